// Interlocked doubly linked lists guarded by a spin lock: Ex(f)InterlockedInsertHeadList, ...InsertTailList,
// ...RemoveHeadList. Each takes the caller's KSPIN_LOCK around the list operation (at DISPATCH_LEVEL, as Windows
// does) and returns the entry that was first (insert head), last (insert tail) or removed, or NULL when the list
// was empty. The x86 kernel exports the fastcall Exf* forms; x64 exports the Ex* names. The links are checked as
// Windows' list operations check them (a corrupted list bugchecks 0x139).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { acquireSpinLock, releaseSpinLock } from '../ke/spinlock.js';
import { corruptList } from '../rtl/list.js';

function links(k: Kernel) {
  const o = k.L.LIST_ENTRY.off;
  const m = k.m;
  return {
    flink: (e: bigint) => m.ptr(e + BigInt(o.Flink)),
    blink: (e: bigint) => m.ptr(e + BigInt(o.Blink)),
    setFlink: (e: bigint, v: bigint) => m.setPtr(e + BigInt(o.Flink), v),
    setBlink: (e: bigint, v: bigint) => m.setPtr(e + BigInt(o.Blink), v),
  };
}

function locked<T>(k: Kernel, lock: bigint, routine: string, body: () => T): T {
  const irql = acquireSpinLock(k, lock, routine);
  try {
    return body();
  } finally {
    releaseSpinLock(k, lock, irql, routine);
  }
}

function insertHead(k: Kernel, head: bigint, entry: bigint, lock: bigint, routine: string): bigint {
  return locked(k, lock, routine, () => {
    const l = links(k);
    const first = l.flink(head);
    if (l.blink(first) !== head) throw corruptList(k, routine, head, `the first entry's Blink does not point back to the head`);
    l.setFlink(entry, first);
    l.setBlink(entry, head);
    l.setBlink(first, entry);
    l.setFlink(head, entry);
    return first === head ? 0n : first;
  });
}

function insertTail(k: Kernel, head: bigint, entry: bigint, lock: bigint, routine: string): bigint {
  return locked(k, lock, routine, () => {
    const l = links(k);
    const last = l.blink(head);
    if (l.flink(last) !== head) throw corruptList(k, routine, head, `the last entry's Flink does not point back to the head`);
    l.setFlink(entry, head);
    l.setBlink(entry, last);
    l.setFlink(last, entry);
    l.setBlink(head, entry);
    return last === head ? 0n : last;
  });
}

function removeHead(k: Kernel, head: bigint, lock: bigint, routine: string): bigint {
  return locked(k, lock, routine, () => {
    const l = links(k);
    const first = l.flink(head);
    if (first === head) return 0n;
    const next = l.flink(first);
    if (l.blink(first) !== head || l.blink(next) !== first) throw corruptList(k, routine, first, 'a neighbour\'s link does not point back to the entry being removed');
    l.setFlink(head, next);
    l.setBlink(next, head);
    return first;
  });
}

const insertParams = { ListHead: 'ptr', ListEntry: 'ptr', Lock: 'ptr' } as const;
const removeParams = { ListHead: 'ptr', Lock: 'ptr' } as const;

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExfInterlockedInsertHeadList', arch: 'x86', cc: 'fastcall',
    proto: 'PLIST_ENTRY FASTCALL ExfInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    params: insertParams, ret: 'ptr',
    impl: (k, a) => insertHead(k, a.ListHead, a.ListEntry, a.Lock, 'ExfInterlockedInsertHeadList'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExfInterlockedInsertTailList', arch: 'x86', cc: 'fastcall',
    proto: 'PLIST_ENTRY FASTCALL ExfInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    params: insertParams, ret: 'ptr',
    impl: (k, a) => insertTail(k, a.ListHead, a.ListEntry, a.Lock, 'ExfInterlockedInsertTailList'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExfInterlockedRemoveHeadList', arch: 'x86', cc: 'fastcall',
    proto: 'PLIST_ENTRY FASTCALL ExfInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)',
    params: removeParams, ret: 'ptr',
    impl: (k, a) => removeHead(k, a.ListHead, a.Lock, 'ExfInterlockedRemoveHeadList'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExInterlockedInsertHeadList', arch: 'x64', cc: 'stdcall',
    proto: 'PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    params: insertParams, ret: 'ptr',
    impl: (k, a) => insertHead(k, a.ListHead, a.ListEntry, a.Lock, 'ExInterlockedInsertHeadList'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExInterlockedInsertTailList', arch: 'x64', cc: 'stdcall',
    proto: 'PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)',
    params: insertParams, ret: 'ptr',
    impl: (k, a) => insertTail(k, a.ListHead, a.ListEntry, a.Lock, 'ExInterlockedInsertTailList'),
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExInterlockedRemoveHeadList', arch: 'x64', cc: 'stdcall',
    proto: 'PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)',
    params: removeParams, ret: 'ptr',
    impl: (k, a) => removeHead(k, a.ListHead, a.Lock, 'ExInterlockedRemoveHeadList'),
  }),
];
