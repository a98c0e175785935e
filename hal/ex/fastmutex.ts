// Fast mutexes and guarded mutexes: ExAcquireFastMutex / ExReleaseFastMutex / ExTryToAcquireFastMutex (and the
// Unsafe forms), KeInitializeGuardedMutex / KeAcquireGuardedMutex / KeReleaseGuardedMutex / KeTryToAcquireGuardedMutex
// (and Unsafe), KeEnterGuardedRegion / KeLeaveGuardedRegion.
//
// Count is 1 (FM_LOCK_BIT) while free and 0 while owned; Owner is the owning KTHREAD. A contended acquire waits in the
// scheduler (Contention counts those waits). ExAcquireFastMutex raises the IRQL to APC_LEVEL and keeps the old one in
// OldIrql for the release; a guarded mutex instead disables special kernel APCs (a guarded region) and leaves the IRQL.
// The Unsafe forms do neither: the caller is already at APC_LEVEL or in a critical region.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { APC_LEVEL, raiseIrql, setIrql } from '../ke/irql.js';
import { assertCanWait } from '../ke/clock.js';
import { SynchronizationEvent, initializeEvent } from '../ke/dispatcher.js';

type Kind = 'fast' | 'guarded';

function fields(k: Kernel, kind: Kind) {
  return kind === 'fast' ? k.L.FAST_MUTEX.off : k.L.KGUARDED_MUTEX.off;
}

/** Guarded regions per thread (KTHREAD.SpecialApcDisable, counted here). */
const guarded = new WeakMap<Kernel, Map<bigint, number>>();

/** The current thread's SpecialApcDisable (0 outside guarded regions, negative inside). */
export function guardedRegionDepth(k: Kernel): number {
  return guarded.get(k)?.get(k.ps.currentThread) ?? 0;
}

function adjustGuardedRegion(k: Kernel, delta: number, routine: string): void {
  let m = guarded.get(k);
  if (!m) guarded.set(k, (m = new Map()));
  const t = k.ps.currentThread;
  const n = (m.get(t) ?? 0) + delta;
  if (n > 0) {
    // Leaving a region never entered: Windows' check is APC_INDEX_MISMATCH (0x1) at the thread's next system-call return.
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} leaves a guarded region the thread is not in`, {
      bugcheck: { code: 0x1, params: [k.callerAddress(), 0n, BigInt.asUintN(64, BigInt(n)), 0n] },
    });
  }
  m.set(t, n);
}

/** Takes the mutex for the current thread, waiting while another thread owns it. */
function acquire(k: Kernel, mutex: bigint, kind: Kind, routine: string): void {
  const m = k.m;
  const o = fields(k, kind);
  const me = k.ps.currentThread;
  if (m.u32At(mutex, o.Count) !== 1) {
    if (m.ptrAt(mutex, o.Owner) === me) {
      // Recursion deadlocks on Windows: the thread waits for itself.
      throw new GuestStop('deadlock', `${routine}(${hex(mutex)}) from ${k.symbolize(k.callerAddress())}: the thread already owns this ${kind} mutex (they are not recursive) and waits for itself`, {});
    }
    assertCanWait(k, routine);
    m.setU32At(mutex, o.Contention, m.u32At(mutex, o.Contention) + 1);
    const caller = k.callerAddress();
    const owner = m.ptrAt(mutex, o.Owner);
    k.sched.wait(
      {
        get what() {
          const t = k.ps.threadAt(owner);
          return `${routine} on ${kind} mutex ${hex(mutex)} owned by thread ${t ? t.tid : hex(owner)}, called from ${k.symbolize(caller)}`;
        },
        ready: () => m.u32At(mutex, o.Count) === 1,
      },
      () => {
        take(k, mutex, kind);
        return undefined;
      },
    );
    return;
  }
  take(k, mutex, kind);
}

function take(k: Kernel, mutex: bigint, kind: Kind): void {
  const o = fields(k, kind);
  k.m.setU32At(mutex, o.Count, 0);
  k.m.setPtrAt(mutex, o.Owner, k.ps.currentThread);
}

function release(k: Kernel, mutex: bigint, kind: Kind, routine: string): void {
  const m = k.m;
  const o = fields(k, kind);
  // Windows does not check the owner here (Driver Verifier would): the mutex is released all the same, and said so.
  if ((m.u32At(mutex, o.Count) === 1 || m.ptrAt(mutex, o.Owner) !== k.ps.currentThread) && k.trace.enabled) {
    k.trace.emit({ type: 'note', text: `${routine}(${hex(mutex)}) releases a ${kind} mutex the thread does not own`, at: k.symbolize(k.callerAddress()) });
  }
  m.setPtrAt(mutex, o.Owner, 0n);
  m.setU32At(mutex, o.Count, 1);
}

/** KfRaiseIrql(APC_LEVEL) as the fast mutex does it: from above APC_LEVEL that is IRQL_NOT_GREATER_OR_EQUAL. */
function raiseToApc(k: Kernel, routine: string): number {
  if (k.irql > APC_LEVEL) {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: a fast mutex raises to APC_LEVEL, which is lower`, {
      bugcheck: { code: 0x9, params: [BigInt(k.irql), BigInt(APC_LEVEL), 0n, k.callerAddress()] },
    });
  }
  return raiseIrql(k, APC_LEVEL);
}

function acquireFast(k: Kernel, mutex: bigint, routine: string): void {
  const old = raiseToApc(k, routine);
  acquire(k, mutex, 'fast', routine);
  k.m.setU32At(mutex, k.L.FAST_MUTEX.off.OldIrql, old);
}

function releaseFast(k: Kernel, mutex: bigint, routine: string): void {
  const old = k.m.u32At(mutex, k.L.FAST_MUTEX.off.OldIrql);
  release(k, mutex, 'fast', routine);
  setIrql(k, old);
}

function tryFast(k: Kernel, mutex: bigint): number {
  if (k.m.u32At(mutex, k.L.FAST_MUTEX.off.Count) !== 1) return 0;
  const old = raiseToApc(k, 'ExTryToAcquireFastMutex');
  take(k, mutex, 'fast');
  k.m.setU32At(mutex, k.L.FAST_MUTEX.off.OldIrql, old);
  return 1;
}

const fm = { params: { FastMutex: 'ptr' } } as const;
const gm = { module: 'ntoskrnl.exe', cc: 'fastcall', params: { Mutex: 'ptr' } } as const;

/** x86: the HAL exports the fast mutex routines (fastcall), ntoskrnl the Exi* names; x64: ntoskrnl. */
const fastModules = [
  { module: 'hal.dll', arch: 'x86', prefix: 'Ex' },
  { module: 'ntoskrnl.exe', arch: 'x86', prefix: 'Exi' },
  { module: 'ntoskrnl.exe', arch: 'x64', prefix: 'Ex' },
] as const;

export const exports = [
  ...fastModules.flatMap(({ module, arch, prefix }) => [
    defineExport({
      ...fm, module, arch, cc: 'fastcall', name: `${prefix}AcquireFastMutex`, proto: `VOID FASTCALL ${prefix}AcquireFastMutex(PFAST_MUTEX FastMutex)`, ret: 'void',
      impl: (k, a) => acquireFast(k, a.FastMutex, `${prefix}AcquireFastMutex`),
    }),
    defineExport({
      ...fm, module, arch, cc: 'fastcall', name: `${prefix}ReleaseFastMutex`, proto: `VOID FASTCALL ${prefix}ReleaseFastMutex(PFAST_MUTEX FastMutex)`, ret: 'void',
      impl: (k, a) => releaseFast(k, a.FastMutex, `${prefix}ReleaseFastMutex`),
    }),
    defineExport({
      ...fm, module, arch, cc: 'fastcall', name: `${prefix}TryToAcquireFastMutex`, proto: `BOOLEAN FASTCALL ${prefix}TryToAcquireFastMutex(PFAST_MUTEX FastMutex)`, ret: 'bool',
      impl: (k, a) => tryFast(k, a.FastMutex),
    }),
  ]),
  defineExport({
    ...fm, module: 'ntoskrnl.exe', cc: 'fastcall', name: 'ExAcquireFastMutexUnsafe', proto: 'VOID FASTCALL ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)', ret: 'void',
    impl: (k, a) => acquire(k, a.FastMutex, 'fast', 'ExAcquireFastMutexUnsafe'),
  }),
  defineExport({
    ...fm, module: 'ntoskrnl.exe', cc: 'fastcall', name: 'ExReleaseFastMutexUnsafe', proto: 'VOID FASTCALL ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)', ret: 'void',
    impl: (k, a) => release(k, a.FastMutex, 'fast', 'ExReleaseFastMutexUnsafe'),
  }),
  defineExport({
    ...gm, name: 'KeInitializeGuardedMutex', proto: 'VOID FASTCALL KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)', ret: 'void',
    impl: (k, a) => {
      const o = k.L.KGUARDED_MUTEX.off;
      k.m.fill(a.Mutex, k.L.KGUARDED_MUTEX.size);
      k.m.setU32At(a.Mutex, o.Count, 1);
      // The gate is a synchronization dispatcher object (type GateObject, 7) that starts unsignaled.
      initializeEvent(k, a.Mutex + BigInt(o.Gate), SynchronizationEvent, false);
      k.m.setU8(a.Mutex + BigInt(o.Gate), 7);
    },
  }),
  defineExport({
    ...gm, name: 'KeAcquireGuardedMutex', proto: 'VOID FASTCALL KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)', ret: 'void',
    impl: (k, a) => {
      adjustGuardedRegion(k, -1, 'KeAcquireGuardedMutex');
      acquire(k, a.Mutex, 'guarded', 'KeAcquireGuardedMutex');
    },
  }),
  defineExport({
    ...gm, name: 'KeReleaseGuardedMutex', proto: 'VOID FASTCALL KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)', ret: 'void',
    impl: (k, a) => {
      release(k, a.Mutex, 'guarded', 'KeReleaseGuardedMutex');
      adjustGuardedRegion(k, 1, 'KeReleaseGuardedMutex');
    },
  }),
  defineExport({
    ...gm, name: 'KeTryToAcquireGuardedMutex', proto: 'BOOLEAN FASTCALL KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)', ret: 'bool',
    impl: (k, a) => {
      if (k.m.u32At(a.Mutex, k.L.KGUARDED_MUTEX.off.Count) !== 1) return 0;
      adjustGuardedRegion(k, -1, 'KeTryToAcquireGuardedMutex');
      take(k, a.Mutex, 'guarded');
      return 1;
    },
  }),
  defineExport({
    ...gm, name: 'KeAcquireGuardedMutexUnsafe', proto: 'VOID FASTCALL KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX Mutex)', ret: 'void',
    impl: (k, a) => acquire(k, a.Mutex, 'guarded', 'KeAcquireGuardedMutexUnsafe'),
  }),
  defineExport({
    ...gm, name: 'KeReleaseGuardedMutexUnsafe', proto: 'VOID FASTCALL KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX Mutex)', ret: 'void',
    impl: (k, a) => release(k, a.Mutex, 'guarded', 'KeReleaseGuardedMutexUnsafe'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', params: {}, name: 'KeEnterGuardedRegion', proto: 'VOID KeEnterGuardedRegion(VOID)', ret: 'void',
    impl: (k) => adjustGuardedRegion(k, -1, 'KeEnterGuardedRegion'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', params: {}, name: 'KeLeaveGuardedRegion', proto: 'VOID KeLeaveGuardedRegion(VOID)', ret: 'void',
    impl: (k) => adjustGuardedRegion(k, 1, 'KeLeaveGuardedRegion'),
  }),
];

