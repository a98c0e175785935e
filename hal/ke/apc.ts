// Kernel APC disabling: KeEnterCriticalRegion and KeLeaveCriticalRegion (the thread's KernelApcDisable count).
//
// kdemu delivers no APCs yet, so the count only records how deep each thread is in critical regions; ERESOURCE
// and wait routines can consult it. Leaving more regions than were entered is the mismatch Windows catches as
// APC_INDEX_MISMATCH when the thread next returns from a system call; kdemu keeps the count and does not check it.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

/** KernelApcDisable per thread (0 or negative: each KeEnterCriticalRegion decrements it). */
const apcDisable = new WeakMap<Kernel, Map<bigint, number>>();

function counts(k: Kernel): Map<bigint, number> {
  let m = apcDisable.get(k);
  if (!m) apcDisable.set(k, (m = new Map()));
  return m;
}

/** The current thread's KernelApcDisable (0 outside critical regions). */
export function kernelApcDisable(k: Kernel): number {
  return counts(k).get(k.ps.currentThread) ?? 0;
}

/** Adds delta to the current thread's KernelApcDisable (-1 enters a critical region, +1 leaves it). */
export function adjustKernelApcDisable(k: Kernel, delta: number): void {
  counts(k).set(k.ps.currentThread, kernelApcDisable(k) + delta);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeEnterCriticalRegion',
    cc: 'stdcall',
    proto: 'VOID KeEnterCriticalRegion(VOID)',
    params: {},
    ret: 'void',
    impl: (k) => adjustKernelApcDisable(k, -1),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeLeaveCriticalRegion',
    cc: 'stdcall',
    proto: 'VOID KeLeaveCriticalRegion(VOID)',
    params: {},
    ret: 'void',
    impl: (k) => adjustKernelApcDisable(k, +1),
  }),
];
