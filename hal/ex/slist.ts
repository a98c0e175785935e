// Interlocked singly linked lists (SLIST_HEADER) and the non-paged lookaside lists built on them:
// InitializeSListHead, ExpInterlockedPushEntrySList / ExpInterlockedPopEntrySList / ExpInterlockedFlushSList and
// ExQueryDepthSList (x64), InterlockedPushEntrySList / InterlockedPopEntrySList / ExInterlockedFlushSList and the
// spin-locked ExInterlockedPushEntrySList / ExInterlockedPopEntrySList (x86, fastcall); ExInitializeNPagedLookasideList
// and ExDeleteNPagedLookasideList (ExAllocateFromNPagedLookasideList / ExFreeToNPagedLookasideList are header inlines
// over the SList routines and the list's Allocate/Free pointers).
//
// The header keeps Windows' format: on x64 Depth:16 and Sequence:48 in the first quadword, HeaderType (1: the x64
// header), Reserved:3 and NextEntry:60 (the first entry's address >> 4: entries are 16-byte aligned) in the second;
// on x86 the first entry, Depth and Sequence. One processor: each operation is atomic by construction.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';

const MASK48 = (1n << 48n) - 1n;

interface Header {
  first: bigint;
  depth: number;
  sequence: bigint;
}

function read(k: Kernel, head: bigint): Header {
  const m = k.m;
  if (k.arch === 'x64') {
    const q0 = m.u64(head);
    const q1 = m.u64(head + 8n);
    return { first: (q1 >> 4n) << 4n, depth: Number(q0 & 0xffffn), sequence: q0 >> 16n };
  }
  return { first: m.ptr(head), depth: m.u16(head + 4n), sequence: BigInt(m.u16(head + 6n)) };
}

function write(k: Kernel, head: bigint, h: Header): void {
  const m = k.m;
  if (k.arch === 'x64') {
    m.setU64(head, (BigInt(h.depth & 0xffff)) | ((h.sequence & MASK48) << 16n));
    // HeaderType 1: the x64 header format; NextEntry in the top 60 bits.
    m.setU64(head + 8n, ((h.first >> 4n) << 4n) | 1n);
    return;
  }
  m.setPtr(head, h.first);
  m.setU16(head + 4n, h.depth);
  m.setU16(head + 6n, Number(h.sequence & 0xffffn));
}

function initialize(k: Kernel, head: bigint, routine: string): void {
  if (k.arch === 'x64' && (head & 0xfn) !== 0n) {
    // InitializeSListHead raises STATUS_DATATYPE_MISALIGNMENT for a header that is not 16-byte aligned.
    throw new GuestStop('bugcheck', `${routine}(${hex(head)}) from ${k.symbolize(k.callerAddress())}: the SLIST_HEADER is not 16-byte aligned; STATUS_DATATYPE_MISALIGNMENT raised and not handled`, {
      bugcheck: { code: 0x1e, params: [0x80000002n, k.callerAddress(), 0n, 0n] },
    });
  }
  k.m.fill(head, k.arch === 'x64' ? 16 : 8);
  write(k, head, { first: 0n, depth: 0, sequence: 0n });
}

/** Pushes entry; returns the entry that was first before (NULL for an empty list). */
export function pushEntry(k: Kernel, head: bigint, entry: bigint): bigint {
  const h = read(k, head);
  k.m.setPtr(entry, h.first);
  write(k, head, { first: entry, depth: h.depth + 1, sequence: h.sequence + 1n });
  return h.first;
}

/** Pops the first entry (NULL for an empty list). */
export function popEntry(k: Kernel, head: bigint): bigint {
  const h = read(k, head);
  if (h.first === 0n) return 0n;
  write(k, head, { first: k.m.ptr(h.first), depth: h.depth - 1, sequence: h.sequence + 1n });
  return h.first;
}

function flush(k: Kernel, head: bigint): bigint {
  const h = read(k, head);
  write(k, head, { first: 0n, depth: 0, sequence: h.sequence });
  return h.first;
}

const nt = { module: 'ntoskrnl.exe' } as const;

export const exports = [
  defineExport({
    ...nt, arch: 'x64', cc: 'stdcall', name: 'InitializeSListHead', proto: 'VOID InitializeSListHead(PSLIST_HEADER SListHead)',
    params: { SListHead: 'ptr' }, ret: 'void',
    impl: (k, a) => initialize(k, a.SListHead, 'InitializeSListHead'),
  }),
  defineExport({
    ...nt, arch: 'x64', cc: 'stdcall', name: 'ExpInterlockedPushEntrySList', proto: 'PSLIST_ENTRY ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)',
    params: { ListHead: 'ptr', ListEntry: 'ptr' }, ret: 'ptr',
    impl: (k, a) => pushEntry(k, a.ListHead, a.ListEntry),
  }),
  defineExport({
    ...nt, arch: 'x64', cc: 'stdcall', name: 'ExpInterlockedPopEntrySList', proto: 'PSLIST_ENTRY ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead)',
    params: { ListHead: 'ptr' }, ret: 'ptr',
    impl: (k, a) => popEntry(k, a.ListHead),
  }),
  defineExport({
    ...nt, arch: 'x64', cc: 'stdcall', name: 'ExpInterlockedFlushSList', proto: 'PSLIST_ENTRY ExpInterlockedFlushSList(PSLIST_HEADER ListHead)',
    params: { ListHead: 'ptr' }, ret: 'ptr',
    impl: (k, a) => flush(k, a.ListHead),
  }),
  defineExport({
    ...nt, arch: 'x64', cc: 'stdcall', name: 'ExQueryDepthSList', proto: 'USHORT ExQueryDepthSList(PSLIST_HEADER ListHead)',
    params: { ListHead: 'ptr' }, ret: 'u16',
    impl: (k, a) => read(k, a.ListHead).depth,
  }),
  defineExport({
    ...nt, arch: 'x86', cc: 'fastcall', name: 'InterlockedPushEntrySList', proto: 'PSLIST_ENTRY FASTCALL InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)',
    params: { ListHead: 'ptr', ListEntry: 'ptr' }, ret: 'ptr',
    impl: (k, a) => pushEntry(k, a.ListHead, a.ListEntry),
  }),
  defineExport({
    ...nt, arch: 'x86', cc: 'fastcall', name: 'InterlockedPopEntrySList', proto: 'PSLIST_ENTRY FASTCALL InterlockedPopEntrySList(PSLIST_HEADER ListHead)',
    params: { ListHead: 'ptr' }, ret: 'ptr',
    impl: (k, a) => popEntry(k, a.ListHead),
  }),
  defineExport({
    ...nt, arch: 'x86', cc: 'fastcall', name: 'ExInterlockedFlushSList', proto: 'PSLIST_ENTRY FASTCALL ExInterlockedFlushSList(PSLIST_HEADER ListHead)',
    params: { ListHead: 'ptr' }, ret: 'ptr',
    impl: (k, a) => flush(k, a.ListHead),
  }),
  // The spin lock of the old interface is not needed on one processor.
  defineExport({
    ...nt, arch: 'x86', cc: 'fastcall', name: 'ExInterlockedPushEntrySList', proto: 'PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    params: { ListHead: 'ptr', ListEntry: 'ptr', Lock: 'ptr' }, ret: 'ptr',
    impl: (k, a) => pushEntry(k, a.ListHead, a.ListEntry),
  }),
  defineExport({
    ...nt, arch: 'x86', cc: 'fastcall', name: 'ExInterlockedPopEntrySList', proto: 'PSINGLE_LIST_ENTRY FASTCALL ExInterlockedPopEntrySList(PSLIST_HEADER ListHead, PKSPIN_LOCK Lock)',
    params: { ListHead: 'ptr', Lock: 'ptr' }, ret: 'ptr',
    impl: (k, a) => popEntry(k, a.ListHead),
  }),
  defineExport({
    ...nt, cc: 'stdcall', name: 'ExInitializeNPagedLookasideList',
    proto: 'VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)',
    params: { Lookaside: 'ptr', Allocate: 'ptr', Free: 'ptr', Flags: 'u32', Size: 'usize', Tag: 'tag', Depth: 'u16' },
    ret: 'void',
    impl: (k, a) => {
      const L = k.L.NPAGED_LOOKASIDE_LIST;
      const o = k.L.GENERAL_LOOKASIDE.off;
      const l = a.Lookaside;
      k.m.fill(l, L.size);
      initialize(k, l + BigInt(o.ListHead), 'ExInitializeNPagedLookasideList');
      // Windows starts every list at a depth of 4 and tunes it from its own statistics; MaximumDepth is 256.
      k.m.setU16At(l, o.Depth, 4);
      k.m.setU16At(l, o.MaximumDepth, 256);
      // NonPagedPool, with the flags the caller gave (POOL_NX_ALLOCATION, POOL_RAISE_IF_ALLOCATION_FAILURE).
      k.m.setU32At(l, o.Type, 0 /* NonPagedPool */ | a.Flags);
      k.m.setU32At(l, o.Tag, a.Tag);
      // Every entry holds at least an SLIST_ENTRY.
      k.m.setU32At(l, o.Size, Math.max(Number(a.Size), k.ptrSize));
      k.m.setPtrAt(l, o.Allocate, a.Allocate !== 0n ? a.Allocate : k.resolveImport('ntoskrnl.exe', 'ExAllocatePoolWithTag'));
      k.m.setPtrAt(l, o.Free, a.Free !== 0n ? a.Free : k.resolveImport('ntoskrnl.exe', 'ExFreePool'));
      lookasides(k).add(l);
    },
  }),
  defineExport({
    ...nt, cc: 'stdcall', name: 'ExDeleteNPagedLookasideList',
    proto: 'VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)',
    params: { Lookaside: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // The cached entries go back through the list's Free routine.
      const o = k.L.GENERAL_LOOKASIDE.off;
      const free = k.m.ptrAt(a.Lookaside, o.Free);
      for (let e = popEntry(k, a.Lookaside + BigInt(o.ListHead)); e !== 0n; e = popEntry(k, a.Lookaside + BigInt(o.ListHead))) {
        k.callRoutine(free, [e], 'lookaside Free routine');
      }
      lookasides(k).delete(a.Lookaside);
    },
  }),
];

const lists = new WeakMap<Kernel, Set<bigint>>();

/** Lookaside lists initialized and not deleted (a leak at unload: their cached entries stay allocated). */
export function lookasides(k: Kernel): Set<bigint> {
  let s = lists.get(k);
  if (!s) lists.set(k, (s = new Set()));
  return s;
}
