// IRQL: KeGetCurrentIrql (ntoskrnl on x64, the HAL on x86), and raising/lowering it for the routines that do.

import { defineExport } from '../export.js';
import { dpcsQueued, drainDpcs } from './dpc.js';
import { irqlDroppedToPassive } from './apc.js';
import type { Kernel } from '../kernel.js';
import { GuestStop } from '../machine.js';
import { KPCR } from '../boot.js';

export const PASSIVE_LEVEL = 0;
export const APC_LEVEL = 1;
export const DISPATCH_LEVEL = 2;

/**
 * Sets the current IRQL where drivers read it: the kernel's value (KeGetCurrentIrql, and cr8, whose reads are
 * privileged exits answered from it) and KPCR.Irql behind fs/gs.
 */
export function setIrql(k: Kernel, irql: number): void {
  const old = k.irql;
  k.irql = irql;
  // The KPCR itself, not gs/fs: in user mode those name the TEB.
  if (k.pcr !== 0n) k.m.setU8(k.pcr + BigInt(KPCR[k.arch].irql), irql);
  // Dropping below DISPATCH_LEVEL takes the DPC interrupt if DPCs are queued.
  if (old >= 2 && irql < 2 && dpcsQueued(k)) drainDpcs(k);
  // Dropping to PASSIVE_LEVEL takes the APC interrupt if kernel APCs wait for the current thread.
  if (old >= 1 && irql === 0) irqlDroppedToPassive(k);
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
  // Raising and lowering through the HAL (x86) and ntoskrnl (x64, where the headers usually inline cr8 writes).
  ...(['x86', 'x64'] as const).flatMap((arch) => {
    const module = arch === 'x86' ? 'hal.dll' : 'ntoskrnl.exe';
    return [
      defineExport({
        module, arch, name: 'KfRaiseIrql', cc: 'fastcall', proto: 'KIRQL FASTCALL KfRaiseIrql(KIRQL NewIrql)',
        params: { NewIrql: 'irql' }, ret: 'irql',
        impl: (k, a) => raise(k, a.NewIrql, 'KfRaiseIrql'),
      }),
      defineExport({
        module, arch, name: 'KeRaiseIrqlToDpcLevel', cc: 'stdcall', proto: 'KIRQL KeRaiseIrqlToDpcLevel(VOID)',
        params: {}, ret: 'irql',
        impl: (k) => raise(k, 2, 'KeRaiseIrqlToDpcLevel'),
      }),
      defineExport({
        module, arch, name: 'KeLowerIrql', cc: 'stdcall', proto: 'VOID KeLowerIrql(KIRQL NewIrql)',
        params: { NewIrql: 'irql' }, ret: 'void',
        impl: (k, a) => lower(k, a.NewIrql, 'KeLowerIrql'),
      }),
    ];
  }),
  defineExport({
    module: 'hal.dll', arch: 'x86', name: 'KfLowerIrql', cc: 'fastcall', proto: 'VOID FASTCALL KfLowerIrql(KIRQL NewIrql)',
    params: { NewIrql: 'irql' }, ret: 'void',
    impl: (k, a) => lower(k, a.NewIrql, 'KfLowerIrql'),
  }),
  defineExport({
    module: 'hal.dll', arch: 'x86', name: 'KeRaiseIrql', cc: 'stdcall', proto: 'VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)',
    params: { NewIrql: 'irql', OldIrql: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU8(a.OldIrql, raise(k, a.NewIrql, 'KeRaiseIrql')),
  }),
];

/** KfRaiseIrql: raising to a lower IRQL is IRQL_NOT_GREATER_OR_EQUAL. */
function raise(k: Kernel, irql: number, routine: string): number {
  if (irql < k.irql) {
    throw new GuestStop('bugcheck', `${routine}(${irql}) from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: raising to a lower IRQL`, {
      bugcheck: { code: 0x9, params: [BigInt(k.irql), BigInt(irql), 0n, 0n] },
    });
  }
  return raiseIrql(k, irql);
}

/** KfLowerIrql: lowering to a higher IRQL is IRQL_NOT_LESS_OR_EQUAL. */
function lower(k: Kernel, irql: number, routine: string): void {
  if (irql > k.irql) {
    throw new GuestStop('bugcheck', `${routine}(${irql}) from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: lowering to a higher IRQL`, {
      bugcheck: { code: 0xa, params: [BigInt(k.irql), BigInt(irql), 0n, 0n] },
    });
  }
  setIrql(k, irql);
}
