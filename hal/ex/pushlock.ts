// Push locks (EX_PUSH_LOCK): ExInitializePushLock, ExfAcquirePushLockExclusive / ExfAcquirePushLockShared,
// ExfTryAcquirePushLockShared, ExfReleasePushLock / ExfReleasePushLockExclusive / ExfReleasePushLockShared.
//
// The lock word keeps Windows' uncontended format: bit 0 Locked, and the shared owners' count from bit 4 (an exclusive
// owner leaves the count 0). Waiters are kept by the scheduler rather than chained from the word, so the Waiting bit
// stays clear. Push locks are not recursive and are unfair to readers only as Windows is: a shared acquisition waits
// while an exclusive acquisition is waiting. Owners are tracked per thread to name a thread waiting for itself (a
// deadlock Windows would hang on). The callers are in a critical region at IRQL <= APC_LEVEL. x86: fastcall.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { assertCanWait } from '../ke/clock.js';

const LOCKED = 1n;
const SHARE_INC = 0x10n;
const SHARE_SHIFT = 4n;

interface PushLock {
  exclusive?: bigint;
  shared: Map<bigint, number>;
  exclusiveWaiters: number;
}

const locks = new WeakMap<Kernel, Map<bigint, PushLock>>();
function state(k: Kernel, lock: bigint): PushLock {
  let m = locks.get(k);
  if (!m) locks.set(k, (m = new Map()));
  let s = m.get(lock);
  if (!s) m.set(lock, (s = { shared: new Map(), exclusiveWaiters: 0 }));
  // A free word has no owners (the memory may have been reused for a new lock without ExInitializePushLock).
  if (k.m.ptr(lock) === 0n) {
    s.exclusive = undefined;
    s.shared.clear();
  }
  return s;
}

function selfDeadlock(k: Kernel, lock: bigint, routine: string, how: string): GuestStop {
  return new GuestStop('deadlock', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())}: the thread already holds this push lock ${how} and waits for itself (push locks are not recursive)`, {});
}

function wait(k: Kernel, lock: bigint, routine: string, ready: () => boolean, then: () => void): void {
  assertCanWait(k, routine);
  const caller = k.callerAddress();
  k.m.actingAs(0, () =>
    k.sched.wait(
      {
        get what() {
          return `${routine} on push lock ${hex(lock)} (${hex(k.m.actingAs(0, () => k.m.ptr(lock)))}), called from ${k.symbolize(caller)}`;
        },
        ready: () => k.m.actingAs(0, ready),
      },
      () => {
        k.m.actingAs(0, then);
        return undefined;
      },
    ),
  );
}

function acquireExclusive(k: Kernel, lock: bigint, routine: string): void {
  const s = state(k, lock);
  const me = k.ps.currentThread;
  if (s.exclusive === me) throw selfDeadlock(k, lock, routine, 'exclusively');
  if (s.shared.has(me)) throw selfDeadlock(k, lock, routine, 'shared');
  const take = () => {
    k.m.setPtr(lock, LOCKED);
    s.exclusive = me;
  };
  if (k.m.ptr(lock) === 0n) return take();
  s.exclusiveWaiters++;
  wait(k, lock, routine, () => k.m.ptr(lock) === 0n, () => {
    s.exclusiveWaiters--;
    take();
  });
}

/** A shared acquisition goes ahead while the lock is free or shared and no exclusive acquisition waits. */
function canShare(k: Kernel, lock: bigint, s: PushLock): boolean {
  const v = k.m.ptr(lock);
  return v === 0n || ((v & LOCKED) !== 0n && v >> SHARE_SHIFT !== 0n && s.exclusiveWaiters === 0);
}

function takeShared(k: Kernel, lock: bigint, s: PushLock, me: bigint): void {
  const v = k.m.ptr(lock);
  k.m.setPtr(lock, (v === 0n ? 0n : v) + SHARE_INC | LOCKED);
  s.shared.set(me, (s.shared.get(me) ?? 0) + 1);
}

function acquireShared(k: Kernel, lock: bigint, routine: string): void {
  const s = state(k, lock);
  const me = k.ps.currentThread;
  if (s.exclusive === me) throw selfDeadlock(k, lock, routine, 'exclusively');
  if (canShare(k, lock, s)) return takeShared(k, lock, s, me);
  wait(k, lock, routine, () => canShare(k, lock, s), () => takeShared(k, lock, s, me));
}

function releaseExclusive(k: Kernel, lock: bigint, routine: string): void {
  const s = state(k, lock);
  const v = k.m.ptr(lock);
  if (v !== LOCKED) throw notHeld(k, lock, routine, 'exclusively');
  k.m.setPtr(lock, 0n);
  s.exclusive = undefined;
}

function releaseShared(k: Kernel, lock: bigint, routine: string): void {
  const s = state(k, lock);
  const v = k.m.ptr(lock);
  if (!(v & LOCKED) || v >> SHARE_SHIFT === 0n) throw notHeld(k, lock, routine, 'shared');
  const count = (v >> SHARE_SHIFT) - 1n;
  k.m.setPtr(lock, count === 0n ? 0n : (count << SHARE_SHIFT) | LOCKED);
  // The releasing thread need not be the acquiring one (a push lock has no owner): drop one of the owners' holds.
  const me = k.ps.currentThread;
  const owner = s.shared.has(me) ? me : s.shared.keys().next().value;
  if (owner !== undefined) {
    const n = s.shared.get(owner)! - 1;
    if (n === 0) s.shared.delete(owner);
    else s.shared.set(owner, n);
  }
}

/**
 * Releasing a push lock that is not held in that mode corrupts its word on Windows (the release's assertion fails in
 * a checked kernel); kdemu stops there rather than go on with a lock in a state Windows would not reach.
 */
function notHeld(k: Kernel, lock: bigint, routine: string, how: string): GuestStop {
  return new GuestStop('unsupported-call', `${routine}(${hex(lock)}) from ${k.symbolize(k.callerAddress())}: the push lock is not held ${how} (word ${hex(k.m.ptr(lock))}); releasing it would corrupt the lock`, { export: `ntoskrnl.exe!${routine}` });
}

const ex = { module: 'ntoskrnl.exe', cc: 'fastcall' } as const;
const pl = { PushLock: 'ptr' } as const;

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExInitializePushLock', proto: 'VOID ExInitializePushLock(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'void',
    impl: (k, a) => {
      k.m.setPtr(a.PushLock, 0n);
      locks.get(k)?.delete(a.PushLock);
    },
  }),
  defineExport({
    ...ex, name: 'ExfAcquirePushLockExclusive', proto: 'VOID FASTCALL ExfAcquirePushLockExclusive(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'void',
    impl: (k, a) => acquireExclusive(k, a.PushLock, 'ExfAcquirePushLockExclusive'),
  }),
  defineExport({
    ...ex, name: 'ExfAcquirePushLockShared', proto: 'VOID FASTCALL ExfAcquirePushLockShared(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'void',
    impl: (k, a) => acquireShared(k, a.PushLock, 'ExfAcquirePushLockShared'),
  }),
  defineExport({
    ...ex, name: 'ExfTryAcquirePushLockShared', proto: 'BOOLEAN FASTCALL ExfTryAcquirePushLockShared(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'bool',
    impl: (k, a) => {
      const s = state(k, a.PushLock);
      if (!canShare(k, a.PushLock, s)) return 0;
      takeShared(k, a.PushLock, s, k.ps.currentThread);
      return 1;
    },
  }),
  defineExport({
    ...ex, name: 'ExfReleasePushLockExclusive', proto: 'VOID FASTCALL ExfReleasePushLockExclusive(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'void',
    impl: (k, a) => releaseExclusive(k, a.PushLock, 'ExfReleasePushLockExclusive'),
  }),
  defineExport({
    ...ex, name: 'ExfReleasePushLockShared', proto: 'VOID FASTCALL ExfReleasePushLockShared(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'void',
    impl: (k, a) => releaseShared(k, a.PushLock, 'ExfReleasePushLockShared'),
  }),
  defineExport({
    ...ex, name: 'ExfReleasePushLock', proto: 'VOID FASTCALL ExfReleasePushLock(PEX_PUSH_LOCK PushLock)',
    params: pl, ret: 'void',
    // Either mode: the word says which (a share count, or none for the exclusive owner).
    impl: (k, a) => {
      const v = k.m.ptr(a.PushLock);
      if (v === LOCKED) releaseExclusive(k, a.PushLock, 'ExfReleasePushLock');
      else releaseShared(k, a.PushLock, 'ExfReleasePushLock');
    },
  }),
];
