// Interlocked singly linked lists (SLIST_HEADER) and the non-paged lookaside lists built on them:
// InitializeSListHead, ExpInterlockedPushEntrySList / ExpInterlockedPopEntrySList / ExpInterlockedFlushSList and
// ExQueryDepthSList (x64), InterlockedPushEntrySList / InterlockedPopEntrySList / ExInterlockedFlushSList and the
// spin-locked ExInterlockedPushEntrySList / ExInterlockedPopEntrySList (x86, fastcall). The lookaside lists built on
// them are in lookaside.ts.
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

/** InitializeSListHead: an empty header (x64: 16-byte aligned, or STATUS_DATATYPE_MISALIGNMENT is raised). */
export function initializeSListHead(k: Kernel, head: bigint, routine: string): void {
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

/** The number of entries in the list. */
export function depthOf(k: Kernel, head: bigint): number {
  return read(k, head).depth;
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
    impl: (k, a) => initializeSListHead(k, a.SListHead, 'InitializeSListHead'),
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
];
