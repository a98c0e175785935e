// Lookaside lists: ExInitializeNPagedLookasideList / ExDeleteNPagedLookasideList, ExInitializePagedLookasideList /
// ExDeletePagedLookasideList with ExAllocateFromPagedLookasideList / ExFreeToPagedLookasideList, and
// ExInitializeLookasideListEx / ExDeleteLookasideListEx / ExFlushLookasideListEx.
//
// ExAllocateFromNPagedLookasideList, ExFreeToNPagedLookasideList, ExAllocateFromLookasideListEx and
// ExFreeToLookasideListEx are header inlines: they pop/push the list's SLIST and, on a miss, call the Allocate(Ex) /
// Free(Ex) routine stored in the list with its Type, Size and Tag, counting TotalAllocates, AllocateMisses, TotalFrees
// and FreeMisses. So the list holds callable routines even when the driver gave none: ExAllocatePoolWithTag and
// ExFreePool for the classic lists, kernel routines with the Ex signatures for LOOKASIDE_LIST_EX. Depth starts at 4
// (Windows raises it from its own statistics later) with MaximumDepth 256, or the Ex list's Depth argument.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { allocateOrRaise, free } from './pool-exports.js';
import { depthOf, initializeSListHead, popEntry, pushEntry } from './slist.js';

const NonPagedPool = 0;
const PagedPool = 1;
const POOL_QUOTA_FAIL_INSTEAD_OF_RAISE = 0x8;
const POOL_RAISE_IF_ALLOCATION_FAILURE = 0x10;
const EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL = 0x1;
const EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE = 0x2;
/** The POOL_TYPE bits a lookaside list may name: paged, must-succeed, cache-aligned, session, NX. */
const POOL_TYPE_BITS = 0x1 | 0x2 | 0x4 | 0x20 | 0x200;
const START_DEPTH = 4;
const EX_MAXIMUM_LOOKASIDE_DEPTH_BASE = 256;

const lists = new WeakMap<Kernel, Set<bigint>>();

/** Lookaside lists initialized and not deleted (a leak at unload: their cached entries stay allocated). */
export function lookasides(k: Kernel): Set<bigint> {
  let s = lists.get(k);
  if (!s) lists.set(k, (s = new Set()));
  return s;
}

const off = (k: Kernel) => k.L.GENERAL_LOOKASIDE.off;

function initialize(k: Kernel, l: bigint, size: number, poolType: number, entrySize: bigint, tag: number, maxDepth: number, allocate: bigint, freeRoutine: bigint, routine: string): void {
  const o = off(k);
  k.m.fill(l, size);
  initializeSListHead(k, l + BigInt(o.ListHead), routine);
  k.m.setU16At(l, o.Depth, START_DEPTH);
  k.m.setU16At(l, o.MaximumDepth, maxDepth);
  k.m.setU32At(l, o.Type, poolType);
  k.m.setU32At(l, o.Tag, tag);
  // Every entry holds at least an SLIST_ENTRY.
  k.m.setU32At(l, o.Size, Math.max(Number(entrySize), k.ptrSize));
  k.m.setPtrAt(l, o.Allocate, allocate);
  k.m.setPtrAt(l, o.Free, freeRoutine);
  lookasides(k).add(l);
}

/** Empties the list through its Free routine (FreeEx also gets the list). */
function flush(k: Kernel, l: bigint, ex: boolean): void {
  const o = off(k);
  const freeRoutine = k.m.ptrAt(l, o.Free);
  const head = l + BigInt(o.ListHead);
  for (let e = popEntry(k, head); e !== 0n; e = popEntry(k, head)) {
    k.callRoutine(freeRoutine, ex ? [e, l] : [e], 'lookaside Free routine');
  }
}

/** The inline allocation, done by the kernel (ExAllocateFromPagedLookasideList). */
function allocateEntry(k: Kernel, l: bigint): bigint {
  const o = off(k);
  const m = k.m;
  m.setU32At(l, o.TotalAllocates, (m.u32At(l, o.TotalAllocates) + 1) >>> 0);
  const e = popEntry(k, l + BigInt(o.ListHead));
  if (e !== 0n) return e;
  m.setU32At(l, o.AllocateMisses, (m.u32At(l, o.AllocateMisses) + 1) >>> 0);
  const r = k.callRoutine(m.ptrAt(l, o.Allocate), [BigInt(m.u32At(l, o.Type)), BigInt(m.u32At(l, o.Size)), BigInt(m.u32At(l, o.Tag))], 'lookaside Allocate routine');
  return k.ptrSize === 4 ? r & 0xffffffffn : r;
}

function freeEntry(k: Kernel, l: bigint, entry: bigint): void {
  const o = off(k);
  const m = k.m;
  m.setU32At(l, o.TotalFrees, (m.u32At(l, o.TotalFrees) + 1) >>> 0);
  if (depthOf(k, l + BigInt(o.ListHead)) >= m.u16At(l, o.Depth)) {
    m.setU32At(l, o.FreeMisses, (m.u32At(l, o.FreeMisses) + 1) >>> 0);
    k.callRoutine(m.ptrAt(l, o.Free), [entry], 'lookaside Free routine');
    return;
  }
  pushEntry(k, l + BigInt(o.ListHead), entry);
}

/** LOOKASIDE_LIST_EX's default routines, with the Ex signatures the inlines call. */
const defaultAllocateEx = defineExport({
  module: 'ntoskrnl.exe', cc: 'stdcall', internal: true, name: 'ExpAllocateLookasideEntry',
  proto: 'PVOID ExpAllocateLookasideEntry(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside)',
  params: { PoolType: 'u32', NumberOfBytes: 'usize', Tag: 'tag', Lookaside: 'ptr' }, ret: 'ptr',
  // FAIL_NO_RAISE's flag is for quota allocations; the default allocation only honours RAISE_IF_ALLOCATION_FAILURE.
  impl: (k, a) => allocateOrRaise(k, a.NumberOfBytes, a.Tag, a.PoolType & ~POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 'ExAllocateFromLookasideListEx'),
});
const defaultFreeEx = defineExport({
  module: 'ntoskrnl.exe', cc: 'stdcall', internal: true, name: 'ExpFreeLookasideEntry',
  proto: 'VOID ExpFreeLookasideEntry(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside)',
  params: { Buffer: 'ptr', Lookaside: 'ptr' }, ret: 'void',
  impl: (k, a) => free(k, a.Buffer, 0),
});

const nt = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;
const classic = { Lookaside: 'ptr', Allocate: 'ptr', Free: 'ptr', Flags: 'u32', Size: 'usize', Tag: 'tag', Depth: 'u16' } as const;

export const exports = [
  defineExport({
    ...nt, name: 'ExInitializeNPagedLookasideList',
    proto: 'VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)',
    params: classic, ret: 'void',
    // NonPagedPool, with the flags the caller gave (POOL_NX_ALLOCATION, POOL_RAISE_IF_ALLOCATION_FAILURE).
    impl: (k, a) =>
      initialize(k, a.Lookaside, k.L.NPAGED_LOOKASIDE_LIST.size, NonPagedPool | a.Flags, a.Size, a.Tag, EX_MAXIMUM_LOOKASIDE_DEPTH_BASE,
        a.Allocate !== 0n ? a.Allocate : k.resolveImport('ntoskrnl.exe', 'ExAllocatePoolWithTag'),
        a.Free !== 0n ? a.Free : k.resolveImport('ntoskrnl.exe', 'ExFreePool'), 'ExInitializeNPagedLookasideList'),
  }),
  defineExport({
    ...nt, name: 'ExDeleteNPagedLookasideList', proto: 'VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)',
    params: { Lookaside: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      flush(k, a.Lookaside, false);
      lookasides(k).delete(a.Lookaside);
    },
  }),
  defineExport({
    ...nt, name: 'ExInitializePagedLookasideList',
    proto: 'VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)',
    params: classic, ret: 'void',
    impl: (k, a) =>
      initialize(k, a.Lookaside, k.L.PAGED_LOOKASIDE_LIST.size, PagedPool | a.Flags, a.Size, a.Tag, EX_MAXIMUM_LOOKASIDE_DEPTH_BASE,
        a.Allocate !== 0n ? a.Allocate : k.resolveImport('ntoskrnl.exe', 'ExAllocatePoolWithTag'),
        a.Free !== 0n ? a.Free : k.resolveImport('ntoskrnl.exe', 'ExFreePool'), 'ExInitializePagedLookasideList'),
  }),
  defineExport({
    ...nt, name: 'ExDeletePagedLookasideList', proto: 'VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)',
    params: { Lookaside: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      flush(k, a.Lookaside, false);
      lookasides(k).delete(a.Lookaside);
    },
  }),
  defineExport({
    ...nt, name: 'ExAllocateFromPagedLookasideList', proto: 'PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)',
    params: { Lookaside: 'ptr' }, ret: 'ptr',
    impl: (k, a) => allocateEntry(k, a.Lookaside),
  }),
  defineExport({
    ...nt, name: 'ExFreeToPagedLookasideList', proto: 'VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)',
    params: { Lookaside: 'ptr', Entry: 'ptr' }, ret: 'void',
    impl: (k, a) => freeEntry(k, a.Lookaside, a.Entry),
  }),
  defineExport({
    ...nt, name: 'ExInitializeLookasideListEx',
    proto: 'NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate, PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)',
    params: { Lookaside: 'ptr', Allocate: 'ptr', Free: 'ptr', PoolType: 'u32', Flags: 'u32', Size: 'usize', Tag: 'tag', Depth: 'u16' },
    ret: 'status',
    impl: (k, a) => {
      if (a.PoolType & ~POOL_TYPE_BITS) return STATUS.INVALID_PARAMETER_4;
      // The two flags are mutually exclusive, and no others exist.
      if (a.Flags & ~(EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE) || a.Flags === 3) return STATUS.INVALID_PARAMETER_5;
      const type =
        a.PoolType |
        (a.Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL ? POOL_RAISE_IF_ALLOCATION_FAILURE : 0) |
        (a.Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE ? POOL_QUOTA_FAIL_INSTEAD_OF_RAISE : 0);
      // LOOKASIDE_LIST_EX is GENERAL_LOOKASIDE_POOL: GENERAL_LOOKASIDE's size and fields.
      initialize(k, a.Lookaside, k.L.GENERAL_LOOKASIDE.size, type, a.Size, a.Tag, a.Depth !== 0 ? a.Depth : EX_MAXIMUM_LOOKASIDE_DEPTH_BASE,
        a.Allocate !== 0n ? a.Allocate : k.privateRoutine(defaultAllocateEx),
        a.Free !== 0n ? a.Free : k.privateRoutine(defaultFreeEx), 'ExInitializeLookasideListEx');
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt, name: 'ExDeleteLookasideListEx', proto: 'VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)',
    params: { Lookaside: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      flush(k, a.Lookaside, true);
      lookasides(k).delete(a.Lookaside);
    },
  }),
  defineExport({
    ...nt, name: 'ExFlushLookasideListEx', proto: 'VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)',
    params: { Lookaside: 'ptr' }, ret: 'void',
    impl: (k, a) => flush(k, a.Lookaside, true),
  }),
];
