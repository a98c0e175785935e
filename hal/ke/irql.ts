// IRQL: KeGetCurrentIrql (ntoskrnl on x64, the HAL on x86), and raising/lowering it for the routines that do.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { KPCR } from '../boot.js';

export const PASSIVE_LEVEL = 0;
export const APC_LEVEL = 1;
export const DISPATCH_LEVEL = 2;

/**
 * Sets the current IRQL where drivers read it: the kernel's value (KeGetCurrentIrql, and cr8, whose reads are
 * privileged exits answered from it) and KPCR.Irql behind fs/gs.
 */
export function setIrql(k: Kernel, irql: number): void {
  k.irql = irql;
  const pcr = k.m.engine.getReg(k.arch === 'x64' ? 'gsBase' : 'fsBase');
  if (pcr !== 0n) k.m.setU8(pcr + BigInt(KPCR[k.arch].irql), irql);
}

/** KeRaiseIrql's core: sets a higher IRQL and returns the previous one. */
export function raiseIrql(k: Kernel, irql: number): number {
  const old = k.irql;
  setIrql(k, irql);
  return old;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeGetCurrentIrql',
    arch: 'x64',
    cc: 'stdcall',
    proto: 'KIRQL KeGetCurrentIrql(VOID)',
    params: {},
    ret: 'irql',
    impl: (k) => k.irql,
  }),
  defineExport({
    module: 'hal.dll',
    name: 'KeGetCurrentIrql',
    arch: 'x86',
    cc: 'stdcall',
    proto: 'KIRQL KeGetCurrentIrql(VOID)',
    params: {},
    ret: 'irql',
    impl: (k) => k.irql,
  }),
];
