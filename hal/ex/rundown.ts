// Rundown protection (EX_RUNDOWN_REF): ExInitializeRundownProtection, ExReInitializeRundownProtection,
// ExAcquireRundownProtection(Ex), ExReleaseRundownProtection(Ex), ExWaitForRundownProtectionRelease, ExRundownCompleted.
//
// The reference keeps Windows' format: bit 0 (EX_RUNDOWN_ACTIVE) says a rundown started, and until then the count of
// outstanding acquisitions is the value >> 1. A rundown that has to wait for acquisitions replaces the value with the
// address of a wait block (its count of acquisitions still out, then a notification KEVENT) | EX_RUNDOWN_ACTIVE; each
// release counts it down and the last one signals the event. The waiter waits through the scheduler, so the other
// threads that hold acquisitions run and release them. On x86 all of these are fastcall.
//
// The cache-aware form (EX_RUNDOWN_REF_CACHE_AWARE, opaque to drivers: RunRefs, PoolToFree, RunRefSize, Number) keeps
// one EX_RUNDOWN_REF per processor, each on its own cache line: on the one emulated processor, a single reference.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { assertCanWait } from '../ke/clock.js';
import { DISPATCH_LEVEL } from '../ke/irql.js';
import { NotificationEvent, initializeEvent } from '../ke/dispatcher.js';

const EX_RUNDOWN_ACTIVE = 1n;
const EX_RUNDOWN_COUNT_INC = 2n;
const IRQL_NOT_LESS_OR_EQUAL = 0x0a;
/** The wait block's pool tag. */
const TAG_RUNDOWN = 0x6e755245; // 'ERun'

function requireAtMostDispatch(k: Kernel, routine: string): void {
  if (k.irql <= DISPATCH_LEVEL) return;
  throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: it may be called at DISPATCH_LEVEL at most`, {
    bugcheck: { code: IRQL_NOT_LESS_OR_EQUAL, params: [0n, BigInt(k.irql), 0n, k.callerAddress()] },
  });
}

/** The wait block: its outstanding count, then its event. */
function blockEvent(k: Kernel, block: bigint): bigint {
  return block + BigInt(k.ptrSize);
}

function acquire(k: Kernel, ref: bigint, count: bigint, routine: string): number {
  requireAtMostDispatch(k, routine);
  const v = k.m.ptr(ref);
  // Once a rundown started, acquisitions fail.
  if (v & EX_RUNDOWN_ACTIVE) return 0;
  k.m.setPtr(ref, BigInt.asUintN(k.ptrSize * 8, v + count * EX_RUNDOWN_COUNT_INC));
  return 1;
}

function release(k: Kernel, ref: bigint, count: bigint, routine: string): void {
  requireAtMostDispatch(k, routine);
  const m = k.m;
  const v = m.ptr(ref);
  if (!(v & EX_RUNDOWN_ACTIVE)) {
    // Windows subtracts without checking; an unbalanced release wraps the count as it does there.
    m.setPtr(ref, BigInt.asUintN(k.ptrSize * 8, v - count * EX_RUNDOWN_COUNT_INC));
    return;
  }
  // A rundown waits: its wait block is the value without the flag (after ExRundownCompleted none: NULL, and the
  // access faults as it does on Windows).
  const block = v & ~EX_RUNDOWN_ACTIVE;
  const left = BigInt.asUintN(k.ptrSize * 8, m.ptr(block) - count);
  m.setPtr(block, left);
  if (left === 0n) m.setU32(blockEvent(k, block) + BigInt(k.L.KEVENT.off['Header.SignalState']), 1);
}

function waitForRelease(k: Kernel, ref: bigint, routine: string): void {
  const m = k.m;
  const v = m.ptr(ref);
  // Nothing outstanding (or a rundown already done): the rundown completes at once.
  if (v === 0n || v === EX_RUNDOWN_ACTIVE) {
    m.setPtr(ref, EX_RUNDOWN_ACTIVE);
    return;
  }
  if (v & EX_RUNDOWN_ACTIVE) {
    throw new GuestStop('unsupported-call', `${routine}(${hex(ref)}) from ${k.symbolize(k.callerAddress())}: another rundown of this reference is already waiting (only one thread may run a reference down)`, { export: `ntoskrnl.exe!${routine}` });
  }
  assertCanWait(k, routine);
  const size = k.ptrSize + k.L.KEVENT.size;
  const block = k.pool.allocate(size, TAG_RUNDOWN, 0, 'system', k.symbolize(k.callerAddress()));
  if (block === null) throw new GuestStop('resource-limit', `${routine}: no pool left for the rundown's wait block`);
  m.setPtr(block, v >> 1n);
  initializeEvent(k, blockEvent(k, block), NotificationEvent, false);
  m.setPtr(ref, block | EX_RUNDOWN_ACTIVE);
  const caller = k.callerAddress();
  const outstanding = () => m.actingAs(0, () => m.ptr(block));
  k.m.actingAs(0, () =>
    k.sched.waitTail(
      {
        get what() {
          return `${routine}(${hex(ref)}) for ${outstanding()} outstanding acquisition(s) of rundown protection, called from ${k.symbolize(caller)}`;
        },
        ready: () => outstanding() === 0n,
      },
      () => {
        // The block lived on the waiter's stack in Windows: it goes with the wait; the reference keeps pointing at it
        // (still marked active) until ExRundownCompleted or ExReInitializeRundownProtection.
        m.actingAs(0, () => k.pool.free_(block, TAG_RUNDOWN));
        return undefined;
      },
    ),
  );
}

// ---- cache-aware rundown protection ---------------------------------------------------------------------------

/** The per-processor references' spacing (the recommended shared-data alignment: a cache line). */
const CACHE_LINE = 64;

/** EX_RUNDOWN_REF_CACHE_AWARE: RunRefs, PoolToFree, RunRefSize, Number. */
function cacheAware(k: Kernel) {
  const p = k.ptrSize;
  return { RunRefs: 0, PoolToFree: p, RunRefSize: 2 * p, Number: 2 * p + 4, size: 2 * p + 8 };
}

/** The whole block a caller allocates itself: the structure, then one cache-aligned reference per processor. */
function cacheAwareSize(k: Kernel): number {
  return cacheAware(k).size + CACHE_LINE + CACHE_LINE;
}

/** Lays out the structure over `block` with its references at `refs` (one processor: one reference). */
function initCacheAware(k: Kernel, block: bigint, refs: bigint, poolToFree: bigint): void {
  const o = cacheAware(k);
  k.m.setPtrAt(block, o.RunRefs, refs);
  k.m.setPtrAt(block, o.PoolToFree, poolToFree);
  k.m.setU32At(block, o.RunRefSize, CACHE_LINE);
  k.m.setU32At(block, o.Number, 1);
  k.m.fill(refs, CACHE_LINE);
}

/** Processor 0's reference. */
function ref0(k: Kernel, cache: bigint): bigint {
  return k.m.ptrAt(cache, cacheAware(k).RunRefs);
}

const alignUp = (a: bigint, n: number) => (a + BigInt(n - 1)) & ~BigInt(n - 1);

const ex = { module: 'ntoskrnl.exe', cc: 'fastcall' } as const;
const cache = { RunRefCacheAware: 'ptr' } as const;
const ref = { RunRef: 'ptr' } as const;

export const exports = [
  defineExport({
    ...ex, name: 'ExInitializeRundownProtection', proto: 'VOID FASTCALL ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)',
    params: ref, ret: 'void',
    impl: (k, a) => k.m.setPtr(a.RunRef, 0n),
  }),
  defineExport({
    ...ex, name: 'ExReInitializeRundownProtection', proto: 'VOID FASTCALL ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)',
    params: ref, ret: 'void',
    impl: (k, a) => k.m.setPtr(a.RunRef, 0n),
  }),
  defineExport({
    ...ex, name: 'ExAcquireRundownProtection', proto: 'BOOLEAN FASTCALL ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef)',
    params: ref, ret: 'bool',
    impl: (k, a) => acquire(k, a.RunRef, 1n, 'ExAcquireRundownProtection'),
  }),
  defineExport({
    ...ex, name: 'ExAcquireRundownProtectionEx', proto: 'BOOLEAN FASTCALL ExAcquireRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)',
    params: { RunRef: 'ptr', Count: 'u32' }, ret: 'bool',
    impl: (k, a) => acquire(k, a.RunRef, BigInt(a.Count), 'ExAcquireRundownProtectionEx'),
  }),
  defineExport({
    ...ex, name: 'ExReleaseRundownProtection', proto: 'VOID FASTCALL ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef)',
    params: ref, ret: 'void',
    impl: (k, a) => release(k, a.RunRef, 1n, 'ExReleaseRundownProtection'),
  }),
  defineExport({
    ...ex, name: 'ExReleaseRundownProtectionEx', proto: 'VOID FASTCALL ExReleaseRundownProtectionEx(PEX_RUNDOWN_REF RunRef, ULONG Count)',
    params: { RunRef: 'ptr', Count: 'u32' }, ret: 'void',
    impl: (k, a) => release(k, a.RunRef, BigInt(a.Count), 'ExReleaseRundownProtectionEx'),
  }),
  defineExport({
    ...ex, name: 'ExWaitForRundownProtectionRelease', proto: 'VOID FASTCALL ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef)',
    params: ref, ret: 'void',
    impl: (k, a) => waitForRelease(k, a.RunRef, 'ExWaitForRundownProtectionRelease'),
  }),
  defineExport({
    ...ex, name: 'ExRundownCompleted', proto: 'VOID FASTCALL ExRundownCompleted(PEX_RUNDOWN_REF RunRef)',
    params: ref, ret: 'void',
    // The reference stays run down (acquisitions keep failing) without the waiter's block.
    impl: (k, a) => k.m.setPtr(a.RunRef, EX_RUNDOWN_ACTIVE),
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExSizeOfRundownProtectionCacheAware', proto: 'SIZE_T ExSizeOfRundownProtectionCacheAware(VOID)',
    params: {}, ret: 'usize',
    impl: (k) => BigInt(cacheAwareSize(k)),
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExInitializeRundownProtectionCacheAware',
    proto: 'VOID ExInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, SIZE_T RunRefSize)',
    params: { RunRefCacheAware: 'ptr', RunRefSize: 'usize' }, ret: 'void',
    // The caller's block (ExSizeOfRundownProtectionCacheAware bytes) holds the references after the structure.
    impl: (k, a) => initCacheAware(k, a.RunRefCacheAware, alignUp(a.RunRefCacheAware + BigInt(cacheAware(k).size), CACHE_LINE), 0n),
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExAllocateCacheAwareRundownProtection',
    proto: 'PEX_RUNDOWN_REF_CACHE_AWARE ExAllocateCacheAwareRundownProtection(POOL_TYPE PoolType, ULONG PoolTag)',
    params: { PoolType: 'u32', PoolTag: 'tag' }, ret: 'ptr',
    impl: (k, a) => {
      const caller = k.symbolize(k.callerAddress());
      const block = k.pool.allocate(cacheAware(k).size, a.PoolTag, a.PoolType, 'driver', caller);
      if (block === null) return 0n;
      const refs = k.pool.allocate(2 * CACHE_LINE, a.PoolTag, a.PoolType, 'driver', caller);
      if (refs === null) {
        k.pool.free_(block, a.PoolTag);
        return 0n;
      }
      initCacheAware(k, block, alignUp(refs, CACHE_LINE), refs);
      return block;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExFreeCacheAwareRundownProtection',
    proto: 'VOID ExFreeCacheAwareRundownProtection(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)',
    params: cache, ret: 'void',
    impl: (k, a) => {
      const pool = k.m.ptrAt(a.RunRefCacheAware, cacheAware(k).PoolToFree);
      k.pool.free_(pool, 0, k.callerAddress());
      k.pool.free_(a.RunRefCacheAware, 0, k.callerAddress());
    },
  }),
  defineExport({
    ...ex, name: 'ExAcquireRundownProtectionCacheAware', proto: 'BOOLEAN FASTCALL ExAcquireRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)',
    params: cache, ret: 'bool',
    impl: (k, a) => acquire(k, ref0(k, a.RunRefCacheAware), 1n, 'ExAcquireRundownProtectionCacheAware'),
  }),
  defineExport({
    ...ex, name: 'ExAcquireRundownProtectionCacheAwareEx', proto: 'BOOLEAN FASTCALL ExAcquireRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware, ULONG Count)',
    params: { RunRefCacheAware: 'ptr', Count: 'u32' }, ret: 'bool',
    impl: (k, a) => acquire(k, ref0(k, a.RunRefCacheAware), BigInt(a.Count), 'ExAcquireRundownProtectionCacheAwareEx'),
  }),
  defineExport({
    ...ex, name: 'ExReleaseRundownProtectionCacheAware', proto: 'VOID FASTCALL ExReleaseRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)',
    params: cache, ret: 'void',
    impl: (k, a) => release(k, ref0(k, a.RunRefCacheAware), 1n, 'ExReleaseRundownProtectionCacheAware'),
  }),
  defineExport({
    ...ex, name: 'ExReleaseRundownProtectionCacheAwareEx', proto: 'VOID FASTCALL ExReleaseRundownProtectionCacheAwareEx(PEX_RUNDOWN_REF_CACHE_AWARE RunRef, ULONG Count)',
    params: { RunRef: 'ptr', Count: 'u32' }, ret: 'void',
    impl: (k, a) => release(k, ref0(k, a.RunRef), BigInt(a.Count), 'ExReleaseRundownProtectionCacheAwareEx'),
  }),
  defineExport({
    ...ex, name: 'ExWaitForRundownProtectionReleaseCacheAware', proto: 'VOID FASTCALL ExWaitForRundownProtectionReleaseCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRef)',
    params: { RunRef: 'ptr' }, ret: 'void',
    impl: (k, a) => waitForRelease(k, ref0(k, a.RunRef), 'ExWaitForRundownProtectionReleaseCacheAware'),
  }),
  defineExport({
    ...ex, name: 'ExRundownCompletedCacheAware', proto: 'VOID FASTCALL ExRundownCompletedCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)',
    params: cache, ret: 'void',
    impl: (k, a) => k.m.setPtr(ref0(k, a.RunRefCacheAware), EX_RUNDOWN_ACTIVE),
  }),
  defineExport({
    ...ex, name: 'ExReInitializeRundownProtectionCacheAware', proto: 'VOID FASTCALL ExReInitializeRundownProtectionCacheAware(PEX_RUNDOWN_REF_CACHE_AWARE RunRefCacheAware)',
    params: cache, ret: 'void',
    impl: (k, a) => k.m.setPtr(ref0(k, a.RunRefCacheAware), 0n),
  }),
];
