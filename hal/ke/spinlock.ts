// Spin locks: the KSPIN_LOCK routines (KfAcquireSpinLock/KfReleaseSpinLock and KeAcquireSpinLock/KeReleaseSpinLock on
// the x86 HAL, KeAcquireSpinLockRaiseToDpc/KeReleaseSpinLock on x64, the AtDpcLevel/FromDpcLevel, ForDpc, RaiseToSynch,
// try and test forms), the in-stack queued spin locks (KLOCK_QUEUE_HANDLE), and the executive's reader/writer spin
// lock (EX_SPIN_LOCK: ExAcquireSpinLockShared/Exclusive ...).
//
// A KSPIN_LOCK is the driver's ULONG_PTR: an ordinary acquisition sets its bit 0 (as a multiprocessor kernel does); a
// queued one stores the address of the holder's queue entry (the queue's tail, as Windows does). Acquiring raises the
// IRQL to DISPATCH_LEVEL (the AtDpcLevel forms need the caller there already); releasing clears the word and lowers
// the IRQL to the value the caller saved. kdemu runs ONE processor (processor 0): a lock that is already held can
// never be released while the caller spins (its holder is this processor, below us). Windows reports that as
// SPIN_LOCK_ALREADY_OWNED; releasing a lock that is not held is SPIN_LOCK_NOT_OWNED. An EX_SPIN_LOCK has no such
// bugcheck: acquiring one this processor already holds in a conflicting mode hangs Windows, and kdemu reports the
// deadlock.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { DISPATCH_LEVEL, raiseIrql, setIrql } from './irql.js';

export const SPIN_LOCK_ALREADY_OWNED = 0x0f;
export const SPIN_LOCK_NOT_OWNED = 0x10;
const IRQL_NOT_GREATER_OR_EQUAL = 0x09;

/** SYNCH_LEVEL: IPI_LEVEL - 2 (12 on x64, 27 on x86). */
export function synchLevel(k: Kernel): number {
  return k.arch === 'x64' ? 12 : 27;
}

/** Queued holders: lock address → the KSPIN_LOCK_QUEUE entry its word holds (for telling them from garbage). */
const queued = new WeakMap<Kernel, Map<bigint, bigint>>();
function queuedHolders(k: Kernel): Map<bigint, bigint> {
  let m = queued.get(k);
  if (!m) queued.set(k, (m = new Map()));
  return m;
}

/** Whether the lock word says the lock is held (by an ordinary or a queued acquisition). */
function held(k: Kernel, lock: bigint): boolean {
  const v = k.m.ptr(lock);
  return (v & 1n) !== 0n || (v !== 0n && queuedHolders(k).get(lock) === v);
}

function alreadyOwned(k: Kernel, lock: bigint, routine: string): GuestStop {
  return new GuestStop('bugcheck', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())}: the spin lock is already held, and on one processor its holder can never release it`, {
    bugcheck: { code: SPIN_LOCK_ALREADY_OWNED, params: [lock, 0n, 0n, 0n] },
  });
}

function notOwned(k: Kernel, lock: bigint, routine: string): GuestStop {
  return new GuestStop('bugcheck', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())}: the spin lock is not held`, {
    bugcheck: { code: SPIN_LOCK_NOT_OWNED, params: [lock, 0n, 0n, 0n] },
  });
}

/** The AtDpcLevel forms run at DISPATCH_LEVEL or above: below it they bugcheck IRQL_NOT_GREATER_OR_EQUAL. */
function requireDispatch(k: Kernel, lock: bigint, routine: string): void {
  if (k.irql >= DISPATCH_LEVEL) return;
  throw new GuestStop('bugcheck', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: it must be called at DISPATCH_LEVEL or above`, {
    bugcheck: { code: IRQL_NOT_GREATER_OR_EQUAL, params: [lock, BigInt(k.irql), 0n, k.callerAddress()] },
  });
}

/** Raising to `level` from above it is IRQL_NOT_GREATER_OR_EQUAL (KfRaiseIrql's rule); returns the previous IRQL. */
function raiseTo(k: Kernel, level: number, lock: bigint, routine: string): number {
  if (k.irql > level) {
    throw new GuestStop('bugcheck', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: it raises to IRQL ${level}, which is lower`, {
      bugcheck: { code: IRQL_NOT_GREATER_OR_EQUAL, params: [BigInt(k.irql), BigInt(level), 0n, k.callerAddress()] },
    });
  }
  return raiseIrql(k, level);
}

/** Sets bit 0 of a free lock (the IRQL is the caller's business). */
function take(k: Kernel, lock: bigint, routine: string): void {
  if (held(k, lock)) throw alreadyOwned(k, lock, routine);
  k.m.setPtr(lock, k.m.ptr(lock) | 1n);
}

/** Clears an ordinarily held lock. */
function drop(k: Kernel, lock: bigint, routine: string): void {
  const v = k.m.ptr(lock);
  if (!(v & 1n)) throw notOwned(k, lock, routine);
  k.m.setPtr(lock, v & ~1n);
}

/** Takes the lock (bit 0 of the KSPIN_LOCK) and raises to DISPATCH_LEVEL; returns the previous IRQL. */
export function acquireSpinLock(k: Kernel, lock: bigint, routine: string): number {
  take(k, lock, routine);
  return raiseIrql(k, Math.max(k.irql, DISPATCH_LEVEL));
}

/** Frees the lock and lowers the IRQL to the one its acquisition returned. */
export function releaseSpinLock(k: Kernel, lock: bigint, newIrql: number, routine: string): void {
  drop(k, lock, routine);
  setIrql(k, newIrql);
}

function acquireAtDpc(k: Kernel, lock: bigint, routine: string): void {
  requireDispatch(k, lock, routine);
  take(k, lock, routine);
}

function tryAtDpc(k: Kernel, lock: bigint, routine: string): number {
  requireDispatch(k, lock, routine);
  if (held(k, lock)) return 0;
  k.m.setPtr(lock, k.m.ptr(lock) | 1n);
  return 1;
}

/** KeAcquireSpinLockForDpc: raises to DISPATCH_LEVEL unless there already (a DPC); returns the IRQL to restore. */
function acquireForDpc(k: Kernel, lock: bigint, routine: string): number {
  if (k.irql < DISPATCH_LEVEL) return acquireSpinLock(k, lock, routine);
  acquireAtDpc(k, lock, routine);
  return k.irql;
}

function releaseForDpc(k: Kernel, lock: bigint, oldIrql: number, routine: string): void {
  drop(k, lock, routine);
  if (oldIrql < DISPATCH_LEVEL) setIrql(k, oldIrql);
}

// ---- in-stack queued spin locks ------------------------------------------------------------------------------------

/**
 * Fills the KLOCK_QUEUE_HANDLE (LockQueue.Next NULL, LockQueue.Lock the lock) and makes its entry the lock's holder.
 * `raise` is the IRQL to raise to (saved in OldIrql), or undefined for the AtDpcLevel form, which leaves OldIrql alone.
 */
function acquireQueued(k: Kernel, lock: bigint, handle: bigint, raise: number | undefined, routine: string): void {
  const o = k.L.KLOCK_QUEUE_HANDLE.off;
  if (raise === undefined) requireDispatch(k, lock, routine);
  if (held(k, lock)) throw alreadyOwned(k, lock, routine);
  if (raise !== undefined) k.m.setU8At(handle, o.OldIrql, raiseTo(k, raise, lock, routine));
  k.m.setPtrAt(handle, o['LockQueue.Next'], 0n);
  k.m.setPtrAt(handle, o['LockQueue.Lock'], lock);
  const entry = handle + BigInt(o.LockQueue);
  k.m.setPtr(lock, entry);
  queuedHolders(k).set(lock, entry);
}

/** Frees the lock the handle holds; lowers the IRQL to the handle's OldIrql when `lower`. */
function releaseQueued(k: Kernel, handle: bigint, lower: boolean, routine: string): void {
  const o = k.L.KLOCK_QUEUE_HANDLE.off;
  // The low two bits of Lock are the queue's wait/owner flags.
  const lock = k.m.ptrAt(handle, o['LockQueue.Lock']) & ~3n;
  const entry = handle + BigInt(o.LockQueue);
  if (lock === 0n || k.m.ptr(lock) !== entry) throw notOwned(k, lock, routine);
  k.m.setPtr(lock, 0n);
  queuedHolders(k).delete(lock);
  if (lower) setIrql(k, k.m.u8At(handle, o.OldIrql));
}

// ---- EX_SPIN_LOCK: the executive's reader/writer spin lock ------------------------------------------------------------

/** The EX_SPIN_LOCK (a LONG): the exclusive owner's bit, and the count of shared owners below it. */
const EX_EXCLUSIVE = 0x80000000;
const EX_SHARED_MASK = 0x3fffffff;

function exDeadlock(k: Kernel, lock: bigint, routine: string, what: string): GuestStop {
  return new GuestStop('deadlock', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())} spins on an EX_SPIN_LOCK ${what}; on one processor that holder is below this caller and can never release it`, {});
}

function acquireShared(k: Kernel, lock: bigint, routine: string): void {
  const v = k.m.u32(lock);
  if (v & EX_EXCLUSIVE) throw exDeadlock(k, lock, routine, 'held exclusively');
  k.m.setU32(lock, (v & ~EX_SHARED_MASK) | (((v & EX_SHARED_MASK) + 1) & EX_SHARED_MASK));
}

function acquireExclusive(k: Kernel, lock: bigint, routine: string): void {
  const v = k.m.u32(lock);
  if (v & EX_EXCLUSIVE) throw exDeadlock(k, lock, routine, 'held exclusively');
  if (v & EX_SHARED_MASK) throw exDeadlock(k, lock, routine, `held shared ${v & EX_SHARED_MASK} time(s)`);
  k.m.setU32(lock, EX_EXCLUSIVE);
}

/** Windows decrements the shared count without checking it (as here). */
function releaseShared(k: Kernel, lock: bigint): void {
  k.m.setU32(lock, (k.m.u32(lock) - 1) >>> 0);
}

function releaseExclusive(k: Kernel, lock: bigint): void {
  k.m.setU32(lock, 0);
}

const nt = { module: 'ntoskrnl.exe' } as const;
const hal = { module: 'hal.dll' } as const;
const lockParam = { SpinLock: 'ptr' } as const;
const exLock = { SpinLock: 'ptr' } as const;

export const exports = [
  defineExport({
    ...hal, name: 'KfAcquireSpinLock', arch: 'x86', cc: 'fastcall',
    proto: 'KIRQL FASTCALL KfAcquireSpinLock(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'irql',
    impl: (k, a) => acquireSpinLock(k, a.SpinLock, 'KfAcquireSpinLock'),
  }),
  defineExport({
    ...hal, name: 'KfReleaseSpinLock', arch: 'x86', cc: 'fastcall',
    proto: 'VOID FASTCALL KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)',
    params: { SpinLock: 'ptr', NewIrql: 'irql' }, ret: 'void',
    impl: (k, a) => releaseSpinLock(k, a.SpinLock, a.NewIrql, 'KfReleaseSpinLock'),
  }),
  // The x86 HAL's older stdcall pair (the headers map KeAcquireSpinLock to KfAcquireSpinLock, old binaries import these).
  defineExport({
    ...hal, name: 'KeAcquireSpinLock', arch: 'x86', cc: 'stdcall',
    proto: 'VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)',
    params: { SpinLock: 'ptr', OldIrql: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU8(a.OldIrql, acquireSpinLock(k, a.SpinLock, 'KeAcquireSpinLock')),
  }),
  defineExport({
    ...hal, name: 'KeReleaseSpinLock', arch: 'x86', cc: 'stdcall',
    proto: 'VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)',
    params: { SpinLock: 'ptr', NewIrql: 'irql' }, ret: 'void',
    impl: (k, a) => releaseSpinLock(k, a.SpinLock, a.NewIrql, 'KeReleaseSpinLock'),
  }),
  defineExport({
    ...nt, name: 'KeAcquireSpinLockRaiseToDpc', arch: 'x64', cc: 'stdcall',
    proto: 'KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'irql',
    impl: (k, a) => acquireSpinLock(k, a.SpinLock, 'KeAcquireSpinLockRaiseToDpc'),
  }),
  defineExport({
    ...nt, name: 'KeReleaseSpinLock', arch: 'x64', cc: 'stdcall',
    proto: 'VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)',
    params: { SpinLock: 'ptr', NewIrql: 'irql' }, ret: 'void',
    impl: (k, a) => releaseSpinLock(k, a.SpinLock, a.NewIrql, 'KeReleaseSpinLock'),
  }),
  // x64 inlines KeInitializeSpinLock (a store of 0); x86 ntoskrnl exports it.
  defineExport({
    ...nt, name: 'KeInitializeSpinLock', arch: 'x86', cc: 'stdcall',
    proto: 'VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'void',
    impl: (k, a) => k.m.setPtr(a.SpinLock, 0n),
  }),
  // x86 exports both the stdcall names and the fastcall Kef forms the headers use; x64 the stdcall names.
  defineExport({
    ...nt, name: 'KeAcquireSpinLockAtDpcLevel', cc: 'stdcall',
    proto: 'VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'void',
    impl: (k, a) => acquireAtDpc(k, a.SpinLock, 'KeAcquireSpinLockAtDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KeReleaseSpinLockFromDpcLevel', cc: 'stdcall',
    proto: 'VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'void',
    impl: (k, a) => drop(k, a.SpinLock, 'KeReleaseSpinLockFromDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KefAcquireSpinLockAtDpcLevel', arch: 'x86', cc: 'fastcall',
    proto: 'VOID FASTCALL KefAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'void',
    impl: (k, a) => acquireAtDpc(k, a.SpinLock, 'KefAcquireSpinLockAtDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KefReleaseSpinLockFromDpcLevel', arch: 'x86', cc: 'fastcall',
    proto: 'VOID FASTCALL KefReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'void',
    impl: (k, a) => drop(k, a.SpinLock, 'KefReleaseSpinLockFromDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KeTryToAcquireSpinLockAtDpcLevel', cc: 'fastcall',
    proto: 'BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'bool',
    impl: (k, a) => tryAtDpc(k, a.SpinLock, 'KeTryToAcquireSpinLockAtDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KeTestSpinLock', cc: 'fastcall',
    proto: 'BOOLEAN FASTCALL KeTestSpinLock(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'bool',
    // TRUE when the lock is free (an acquisition would not spin).
    impl: (k, a) => (held(k, a.SpinLock) ? 0 : 1),
  }),
  defineExport({
    ...nt, name: 'KeAcquireSpinLockForDpc', cc: 'fastcall',
    proto: 'KIRQL FASTCALL KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock)',
    params: lockParam, ret: 'irql',
    impl: (k, a) => acquireForDpc(k, a.SpinLock, 'KeAcquireSpinLockForDpc'),
  }),
  defineExport({
    ...nt, name: 'KeReleaseSpinLockForDpc', cc: 'fastcall',
    proto: 'VOID FASTCALL KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql)',
    params: { SpinLock: 'ptr', OldIrql: 'irql' }, ret: 'void',
    impl: (k, a) => releaseForDpc(k, a.SpinLock, a.OldIrql, 'KeReleaseSpinLockForDpc'),
  }),
  // RaiseToSynch: the x86 HAL's fastcall export, x64 ntoskrnl's.
  ...(['x86', 'x64'] as const).map((arch) =>
    defineExport({
      module: arch === 'x86' ? 'hal.dll' : 'ntoskrnl.exe', arch, name: 'KeAcquireSpinLockRaiseToSynch', cc: 'fastcall',
      proto: 'KIRQL FASTCALL KeAcquireSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock)',
      params: lockParam, ret: 'irql',
      impl: (k, a) => {
        const old = raiseTo(k, synchLevel(k), a.SpinLock, 'KeAcquireSpinLockRaiseToSynch');
        try {
          take(k, a.SpinLock, 'KeAcquireSpinLockRaiseToSynch');
        } catch (e) {
          setIrql(k, old);
          throw e;
        }
        return old;
      },
    }),
  ),
  // In-stack queued spin locks: the raising pair is in the x86 HAL, ntoskrnl on x64; the DPC-level pair in ntoskrnl.
  ...(['x86', 'x64'] as const).flatMap((arch) => {
    const module = arch === 'x86' ? 'hal.dll' : 'ntoskrnl.exe';
    return [
      defineExport({
        module, arch, name: 'KeAcquireInStackQueuedSpinLock', cc: 'fastcall',
        proto: 'VOID FASTCALL KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)',
        params: { SpinLock: 'ptr', LockHandle: 'ptr' }, ret: 'void',
        impl: (k, a) => acquireQueued(k, a.SpinLock, a.LockHandle, DISPATCH_LEVEL, 'KeAcquireInStackQueuedSpinLock'),
      }),
      defineExport({
        module, arch, name: 'KeAcquireInStackQueuedSpinLockRaiseToSynch', cc: 'fastcall',
        proto: 'VOID FASTCALL KeAcquireInStackQueuedSpinLockRaiseToSynch(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)',
        params: { SpinLock: 'ptr', LockHandle: 'ptr' }, ret: 'void',
        impl: (k, a) => acquireQueued(k, a.SpinLock, a.LockHandle, synchLevel(k), 'KeAcquireInStackQueuedSpinLockRaiseToSynch'),
      }),
      defineExport({
        module, arch, name: 'KeReleaseInStackQueuedSpinLock', cc: 'fastcall',
        proto: 'VOID FASTCALL KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)',
        params: { LockHandle: 'ptr' }, ret: 'void',
        impl: (k, a) => releaseQueued(k, a.LockHandle, true, 'KeReleaseInStackQueuedSpinLock'),
      }),
    ];
  }),
  defineExport({
    ...nt, name: 'KeAcquireInStackQueuedSpinLockAtDpcLevel', cc: 'fastcall',
    proto: 'VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)',
    params: { SpinLock: 'ptr', LockHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => acquireQueued(k, a.SpinLock, a.LockHandle, undefined, 'KeAcquireInStackQueuedSpinLockAtDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KeReleaseInStackQueuedSpinLockFromDpcLevel', cc: 'fastcall',
    proto: 'VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)',
    params: { LockHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => releaseQueued(k, a.LockHandle, false, 'KeReleaseInStackQueuedSpinLockFromDpcLevel'),
  }),
  defineExport({
    ...nt, name: 'KeAcquireInStackQueuedSpinLockForDpc', cc: 'fastcall',
    proto: 'VOID FASTCALL KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)',
    params: { SpinLock: 'ptr', LockHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const routine = 'KeAcquireInStackQueuedSpinLockForDpc';
      if (k.irql < DISPATCH_LEVEL) return acquireQueued(k, a.SpinLock, a.LockHandle, DISPATCH_LEVEL, routine);
      // Already in a DPC: OldIrql records the current level, so the release leaves it.
      acquireQueued(k, a.SpinLock, a.LockHandle, undefined, routine);
      k.m.setU8At(a.LockHandle, k.L.KLOCK_QUEUE_HANDLE.off.OldIrql, k.irql);
    },
  }),
  defineExport({
    ...nt, name: 'KeReleaseInStackQueuedSpinLockForDpc', cc: 'fastcall',
    proto: 'VOID FASTCALL KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle)',
    params: { LockHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const old = k.m.u8At(a.LockHandle, k.L.KLOCK_QUEUE_HANDLE.off.OldIrql);
      releaseQueued(k, a.LockHandle, old < DISPATCH_LEVEL, 'KeReleaseInStackQueuedSpinLockForDpc');
    },
  }),
  // EX_SPIN_LOCK (stdcall on x86).
  defineExport({
    ...nt, name: 'ExAcquireSpinLockShared', cc: 'stdcall',
    proto: 'KIRQL ExAcquireSpinLockShared(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'irql',
    impl: (k, a) => {
      const old = raiseTo(k, DISPATCH_LEVEL, a.SpinLock, 'ExAcquireSpinLockShared');
      acquireShared(k, a.SpinLock, 'ExAcquireSpinLockShared');
      return old;
    },
  }),
  defineExport({
    ...nt, name: 'ExAcquireSpinLockExclusive', cc: 'stdcall',
    proto: 'KIRQL ExAcquireSpinLockExclusive(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'irql',
    impl: (k, a) => {
      const old = raiseTo(k, DISPATCH_LEVEL, a.SpinLock, 'ExAcquireSpinLockExclusive');
      acquireExclusive(k, a.SpinLock, 'ExAcquireSpinLockExclusive');
      return old;
    },
  }),
  defineExport({
    ...nt, name: 'ExReleaseSpinLockShared', cc: 'stdcall',
    proto: 'VOID ExReleaseSpinLockShared(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql)',
    params: { SpinLock: 'ptr', OldIrql: 'irql' }, ret: 'void',
    impl: (k, a) => {
      releaseShared(k, a.SpinLock);
      setIrql(k, a.OldIrql);
    },
  }),
  defineExport({
    ...nt, name: 'ExReleaseSpinLockExclusive', cc: 'stdcall',
    proto: 'VOID ExReleaseSpinLockExclusive(PEX_SPIN_LOCK SpinLock, KIRQL OldIrql)',
    params: { SpinLock: 'ptr', OldIrql: 'irql' }, ret: 'void',
    impl: (k, a) => {
      releaseExclusive(k, a.SpinLock);
      setIrql(k, a.OldIrql);
    },
  }),
  defineExport({
    ...nt, name: 'ExAcquireSpinLockSharedAtDpcLevel', cc: 'stdcall',
    proto: 'VOID ExAcquireSpinLockSharedAtDpcLevel(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'void',
    impl: (k, a) => {
      requireDispatch(k, a.SpinLock, 'ExAcquireSpinLockSharedAtDpcLevel');
      acquireShared(k, a.SpinLock, 'ExAcquireSpinLockSharedAtDpcLevel');
    },
  }),
  defineExport({
    ...nt, name: 'ExAcquireSpinLockExclusiveAtDpcLevel', cc: 'stdcall',
    proto: 'VOID ExAcquireSpinLockExclusiveAtDpcLevel(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'void',
    impl: (k, a) => {
      requireDispatch(k, a.SpinLock, 'ExAcquireSpinLockExclusiveAtDpcLevel');
      acquireExclusive(k, a.SpinLock, 'ExAcquireSpinLockExclusiveAtDpcLevel');
    },
  }),
  defineExport({
    ...nt, name: 'ExReleaseSpinLockSharedFromDpcLevel', cc: 'stdcall',
    proto: 'VOID ExReleaseSpinLockSharedFromDpcLevel(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'void',
    impl: (k, a) => releaseShared(k, a.SpinLock),
  }),
  defineExport({
    ...nt, name: 'ExReleaseSpinLockExclusiveFromDpcLevel', cc: 'stdcall',
    proto: 'VOID ExReleaseSpinLockExclusiveFromDpcLevel(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'void',
    impl: (k, a) => releaseExclusive(k, a.SpinLock),
  }),
  defineExport({
    ...nt, name: 'ExTryConvertSharedSpinLockExclusive', cc: 'stdcall',
    proto: 'LOGICAL ExTryConvertSharedSpinLockExclusive(PEX_SPIN_LOCK SpinLock)',
    params: exLock, ret: 'u32',
    // Only the sole shared owner converts: the lock goes from one shared owner to the exclusive bit.
    impl: (k, a) => {
      if (k.m.u32(a.SpinLock) !== 1) return 0;
      k.m.setU32(a.SpinLock, EX_EXCLUSIVE);
      return 1;
    },
  }),
];
