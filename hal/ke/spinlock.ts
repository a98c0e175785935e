// Spin locks: KfAcquireSpinLock/KfReleaseSpinLock (x86 HAL), KeAcquireSpinLockRaiseToDpc/KeReleaseSpinLock (x64).
//
// The KSPIN_LOCK is the driver's ULONG_PTR; acquiring sets its bit 0 (as a multiprocessor kernel does) and raises
// the IRQL to DISPATCH_LEVEL; releasing clears it and lowers the IRQL to the value the caller saved. kdemu runs
// one processor: a lock that is already held can never be released while the caller spins, which Windows
// reports as SPIN_LOCK_ALREADY_OWNED; releasing a lock that is not held is SPIN_LOCK_NOT_OWNED.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { DISPATCH_LEVEL, raiseIrql, setIrql } from './irql.js';

export const SPIN_LOCK_ALREADY_OWNED = 0x0f;
export const SPIN_LOCK_NOT_OWNED = 0x10;

/** Takes the lock (bit 0 of the KSPIN_LOCK) and raises to DISPATCH_LEVEL; returns the previous IRQL. */
export function acquireSpinLock(k: Kernel, lock: bigint, routine: string): number {
  const v = k.m.ptr(lock);
  if (v & 1n) {
    throw new GuestStop('bugcheck', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())}: the spin lock is already held, and on one processor its holder can never release it`, {
      bugcheck: { code: SPIN_LOCK_ALREADY_OWNED, params: [lock, 0n, 0n, 0n] },
    });
  }
  k.m.setPtr(lock, v | 1n);
  return raiseIrql(k, Math.max(k.irql, DISPATCH_LEVEL));
}

/** Frees the lock and lowers the IRQL to the one its acquisition returned. */
export function releaseSpinLock(k: Kernel, lock: bigint, newIrql: number, routine: string): void {
  const v = k.m.ptr(lock);
  if (!(v & 1n)) {
    throw new GuestStop('bugcheck', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())}: the spin lock is not held`, {
      bugcheck: { code: SPIN_LOCK_NOT_OWNED, params: [lock, 0n, 0n, 0n] },
    });
  }
  k.m.setPtr(lock, v & ~1n);
  setIrql(k, newIrql);
}

export const exports = [
  defineExport({
    module: 'hal.dll',
    name: 'KfAcquireSpinLock',
    arch: 'x86',
    cc: 'fastcall',
    proto: 'KIRQL FASTCALL KfAcquireSpinLock(PKSPIN_LOCK SpinLock)',
    params: { SpinLock: 'ptr' },
    ret: 'irql',
    impl: (k, a) => acquireSpinLock(k, a.SpinLock, 'KfAcquireSpinLock'),
  }),
  defineExport({
    module: 'hal.dll',
    name: 'KfReleaseSpinLock',
    arch: 'x86',
    cc: 'fastcall',
    proto: 'VOID FASTCALL KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)',
    params: { SpinLock: 'ptr', NewIrql: 'irql' },
    ret: 'void',
    impl: (k, a) => releaseSpinLock(k, a.SpinLock, a.NewIrql, 'KfReleaseSpinLock'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeAcquireSpinLockRaiseToDpc',
    arch: 'x64',
    cc: 'stdcall',
    proto: 'KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)',
    params: { SpinLock: 'ptr' },
    ret: 'irql',
    impl: (k, a) => acquireSpinLock(k, a.SpinLock, 'KeAcquireSpinLockRaiseToDpc'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeReleaseSpinLock',
    arch: 'x64',
    cc: 'stdcall',
    proto: 'VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)',
    params: { SpinLock: 'ptr', NewIrql: 'irql' },
    ret: 'void',
    impl: (k, a) => releaseSpinLock(k, a.SpinLock, a.NewIrql, 'KeReleaseSpinLock'),
  }),
];
