// errno: one int in user memory per thread (the program has one), reached through _errno().

import type { Kernel } from '../../kernel.js';
import { crtExport, crtVariable } from './common.js';

export const EINVAL = 22;
export const ENOMEM = 12;
export const ERANGE = 34;

export function errnoAddress(k: Kernel): bigint {
  return crtVariable(k, 'errno', 4);
}

export function setErrno(k: Kernel, e: number): void {
  k.m.setU32(errnoAddress(k), e);
}

export const exports = [
  ...crtExport({ name: '_errno', proto: 'int *_errno(void)', params: {}, ret: 'ptr', impl: () => (k) => errnoAddress(k) }),
];
