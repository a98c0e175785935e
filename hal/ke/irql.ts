// IRQL: KeGetCurrentIrql (ntoskrnl on x64, the HAL on x86).

import { defineExport } from '../export.js';

export const PASSIVE_LEVEL = 0;
export const APC_LEVEL = 1;
export const DISPATCH_LEVEL = 2;

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
