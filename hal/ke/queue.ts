// Kernel queues (KQUEUE): KeInitializeQueue, KeInsertQueue, KeInsertHeadQueue, KeRemoveQueue, KeRemoveQueueEx,
// KeRundownQueue, KeReadStateQueue.
//
// A queue is a dispatcher object whose SignalState counts the entries in EntryListHead. A thread that takes an entry
// with KeRemoveQueue becomes associated with the queue; CurrentCount counts the associated threads that are running
// (one that blocks, on the queue or on anything else, stops counting), and entries go to waiting threads only while
// it is below MaximumCount: the queue's concurrency limit, the number of processors by default. An entry inserted
// while a thread waits (and the limit allows) goes straight to that thread, the one that waited last first, and the
// queue's state stays 0.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait, deadlineOf } from './clock.js';
import { initializeListHead } from './dispatcher.js';
import type { KThread } from './thread.js';

const QueueObject = 4;
/** The processors kdemu emulates (KeNumberProcessors): a queue's concurrency when KeInitializeQueue is given 0. */
const PROCESSORS = 1;

interface Waiter {
  readonly thread: KThread;
  /** The entry an insert handed it directly. */
  entry?: bigint;
}

interface QueueState {
  /** Threads waiting in KeRemoveQueue, the last to wait first. */
  waiters: Waiter[];
}

interface State {
  queues: Map<bigint, QueueState>;
  /** The queue each thread is associated with (KTHREAD.Queue). */
  association: Map<KThread, bigint>;
}

const states = new WeakMap<Kernel, State>();

function state(k: Kernel): State {
  let s = states.get(k);
  if (!s) states.set(k, (s = { queues: new Map(), association: new Map() }));
  return s;
}

function off(k: Kernel) {
  return k.L.KQUEUE.off;
}

function field(k: Kernel, q: bigint, name: keyof ReturnType<typeof off>): bigint {
  return q + BigInt(off(k)[name]);
}

function queueOf(k: Kernel, q: bigint, routine: string): QueueState {
  const s = state(k);
  const qs = s.queues.get(q);
  if (qs && k.m.u8(field(k, q, 'Header.Type')) === QueueObject) return qs;
  throw new GuestStop('fault', `${routine}(${hex(q)}) from ${k.symbolize(k.callerAddress())}: ${hex(q)} is not a queue KeInitializeQueue initialized`, { export: `ntoskrnl.exe!${routine}` });
}

/**
 * The associated threads that count against the limit: running or ready (not blocked), and the waiters an entry was
 * handed to (they are about to run); `except` is the thread asking, which is about to wait itself.
 */
function activeCount(k: Kernel, q: bigint, except?: KThread): number {
  const s = state(k);
  const qs = s.queues.get(q);
  let n = 0;
  for (const [t, queue] of s.association) {
    if (queue !== q || t === except || t.state === 'terminated') continue;
    if (t.state !== 'waiting' || qs?.waiters.some((w) => w.thread === t && w.entry !== undefined)) n++;
  }
  return n;
}

function publishCount(k: Kernel, q: bigint, except?: KThread): void {
  k.m.setU32(field(k, q, 'CurrentCount'), activeCount(k, q, except));
}

function listEmpty(k: Kernel, head: bigint): boolean {
  return k.m.ptr(head) === head;
}

function insert(k: Kernel, head: bigint, entry: bigint, atHead: boolean): void {
  const p = BigInt(k.ptrSize);
  if (atHead) {
    const first = k.m.ptr(head);
    k.m.setPtr(entry, first);
    k.m.setPtr(entry + p, head);
    k.m.setPtr(first + p, entry);
    k.m.setPtr(head, entry);
  } else {
    const last = k.m.ptr(head + p);
    k.m.setPtr(entry, head);
    k.m.setPtr(entry + p, last);
    k.m.setPtr(last, entry);
    k.m.setPtr(head + p, entry);
  }
}

function removeHead(k: Kernel, head: bigint): bigint {
  const p = BigInt(k.ptrSize);
  const entry = k.m.ptr(head);
  const next = k.m.ptr(entry);
  k.m.setPtr(head, next);
  k.m.setPtr(next + p, head);
  return entry;
}

function maximum(k: Kernel, q: bigint): number {
  return k.m.u32(field(k, q, 'MaximumCount'));
}

function signal(k: Kernel, q: bigint): bigint {
  return field(k, q, 'Header.SignalState');
}

/** KiInsertQueue: hands the entry to the last waiter when the limit allows, else queues it; the previous state. */
function insertQueue(k: Kernel, q: bigint, entry: bigint, atHead: boolean, routine: string): number {
  const qs = queueOf(k, q, routine);
  const previous = k.m.u32(signal(k, q)) | 0;
  const free = [...qs.waiters].reverse().find((w) => w.entry === undefined);
  if (free && activeCount(k, q) < maximum(k, q)) {
    free.entry = entry;
    state(k).association.set(free.thread, q);
  } else {
    insert(k, field(k, q, 'EntryListHead'), entry, atHead);
    k.m.setU32(signal(k, q), previous + 1);
  }
  publishCount(k, q);
  return previous;
}

/** Takes the first entry for the current thread (the caller checked the list and the limit). */
function take(k: Kernel, q: bigint, t: KThread): bigint {
  const entry = removeHead(k, field(k, q, 'EntryListHead'));
  k.m.setU32(signal(k, q), (k.m.u32(signal(k, q)) | 0) - 1);
  state(k).association.set(t, q);
  return entry;
}

/**
 * KeRemoveQueue: an entry, or STATUS_TIMEOUT (as a pointer) when the timeout passed first. `more` (KeRemoveQueueEx)
 * takes further entries that are already queued once the first is had.
 */
function removeQueue(k: Kernel, q: bigint, timeout: bigint, routine: string, more?: (first: bigint) => bigint): bigint {
  const qs = queueOf(k, q, routine);
  const s = state(k);
  const t = k.ps.current;
  // A thread associated with another queue leaves it; the count of the queue it leaves or returns to goes down.
  const before = s.association.get(t);
  if (before !== undefined && before !== q) {
    s.association.delete(t);
    if (s.queues.has(before)) publishCount(k, before);
  }
  const head = field(k, q, 'EntryListHead');
  const available = () => !listEmpty(k, head) && activeCount(k, q, t) < maximum(k, q);
  if (available()) {
    const entry = take(k, q, t);
    publishCount(k, q);
    return more ? more(entry) : entry;
  }
  const poll = timeout !== 0n && k.m.u64(timeout) === 0n;
  if (poll) {
    publishCount(k, q, t);
    return more ? more(BigInt(STATUS.TIMEOUT)) : BigInt(STATUS.TIMEOUT);
  }
  assertCanWait(k, routine);
  const deadline = timeout === 0n ? undefined : deadlineOf(k, k.m.u64(timeout));
  const w: Waiter = { thread: t };
  qs.waiters.push(w);
  publishCount(k, q, t);
  const caller = k.callerAddress();
  const m = k.m;
  return k.sched.waitTail({
    get what() {
      return `${routine} on queue ${hex(q)}${deadline === undefined ? '' : ' with a timeout'}, called from ${k.symbolize(caller)}`;
    },
    // An entry handed over, or one in the list once the limit allows (another associated thread blocked).
    ready: () => w.entry !== undefined || m.actingAs(0, available),
    deadline,
  }, (ok) => m.actingAs(0, () => {
    qs.waiters.splice(qs.waiters.indexOf(w), 1);
    let r: bigint;
    if (w.entry !== undefined) r = w.entry;
    else if (ok && available()) r = take(k, q, t);
    else r = BigInt(STATUS.TIMEOUT);
    publishCount(k, q);
    return more ? more(r) : r;
  }));
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeInitializeQueue',
    proto: 'VOID KeInitializeQueue(PRKQUEUE Queue, ULONG Count)',
    params: { Queue: 'ptr', Count: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const q = a.Queue;
      k.m.setU8(field(k, q, 'Header.Type'), QueueObject);
      k.m.setU8(field(k, q, 'Header.Size'), k.L.KQUEUE.size / 4);
      k.m.setU32(signal(k, q), 0);
      initializeListHead(k, field(k, q, 'Header.WaitListHead'));
      initializeListHead(k, field(k, q, 'EntryListHead'));
      k.m.setU32(field(k, q, 'CurrentCount'), 0);
      k.m.setU32(field(k, q, 'MaximumCount'), a.Count === 0 ? PROCESSORS : a.Count);
      initializeListHead(k, field(k, q, 'ThreadListHead'));
      const s = state(k);
      s.queues.set(q, { waiters: [] });
      for (const [t, queue] of s.association) if (queue === q) s.association.delete(t);
    },
  }),
  defineExport({
    ...ke, name: 'KeInsertQueue',
    proto: 'LONG KeInsertQueue(PRKQUEUE Queue, PLIST_ENTRY Entry)',
    params: { Queue: 'ptr', Entry: 'ptr' }, ret: 'i32',
    impl: (k, a) => insertQueue(k, a.Queue, a.Entry, false, 'KeInsertQueue'),
  }),
  defineExport({
    ...ke, name: 'KeInsertHeadQueue',
    proto: 'LONG KeInsertHeadQueue(PRKQUEUE Queue, PLIST_ENTRY Entry)',
    params: { Queue: 'ptr', Entry: 'ptr' }, ret: 'i32',
    impl: (k, a) => insertQueue(k, a.Queue, a.Entry, true, 'KeInsertHeadQueue'),
  }),
  defineExport({
    ...ke, name: 'KeRemoveQueue',
    proto: 'PLIST_ENTRY KeRemoveQueue(PRKQUEUE Queue, KPROCESSOR_MODE WaitMode, PLARGE_INTEGER Timeout)',
    params: { Queue: 'ptr', WaitMode: 'u8', Timeout: 'ptr' }, ret: 'ptr',
    impl: (k, a) => removeQueue(k, a.Queue, a.Timeout, 'KeRemoveQueue'),
  }),
  defineExport({
    ...ke, name: 'KeRemoveQueueEx',
    proto: 'ULONG KeRemoveQueueEx(PKQUEUE Queue, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout, PLIST_ENTRY *EntryArray, ULONG Count)',
    params: { Queue: 'ptr', WaitMode: 'u8', Alertable: 'bool', Timeout: 'ptr', EntryArray: 'ptr', Count: 'u32' }, ret: 'u32',
    // Up to Count entries, waiting only for the first; a timeout gives one element, STATUS_TIMEOUT.
    impl: (k, a) => Number(removeQueue(k, a.Queue, a.Timeout, 'KeRemoveQueueEx', (first) => {
      const p = BigInt(k.ptrSize);
      k.m.setPtr(a.EntryArray, first);
      let n = 1;
      if (first !== BigInt(STATUS.TIMEOUT)) {
        const head = field(k, a.Queue, 'EntryListHead');
        for (; n < a.Count && !listEmpty(k, head); n++) {
          const e = removeHead(k, head);
          k.m.setU32(signal(k, a.Queue), (k.m.u32(signal(k, a.Queue)) | 0) - 1);
          k.m.setPtr(a.EntryArray + BigInt(n) * p, e);
        }
      }
      return BigInt(n);
    })),
  }),
  defineExport({
    ...ke, name: 'KeRundownQueue',
    proto: 'PLIST_ENTRY KeRundownQueue(PRKQUEUE Queue)',
    params: { Queue: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      queueOf(k, a.Queue, 'KeRundownQueue');
      const head = field(k, a.Queue, 'EntryListHead');
      let first = 0n;
      // The entries stay linked to each other, without the head: the caller walks them from the first.
      if (!listEmpty(k, head)) {
        first = k.m.ptr(head);
        const p = BigInt(k.ptrSize);
        const last = k.m.ptr(head + p);
        k.m.setPtr(last, first);
        k.m.setPtr(first + p, last);
        initializeListHead(k, head);
      }
      const s = state(k);
      for (const [t, queue] of s.association) if (queue === a.Queue) s.association.delete(t);
      k.m.setU32(field(k, a.Queue, 'CurrentCount'), 0);
      return first;
    },
  }),
  defineExport({
    ...ke, name: 'KeReadStateQueue',
    proto: 'LONG KeReadStateQueue(PRKQUEUE Queue)',
    params: { Queue: 'ptr' }, ret: 'i32',
    impl: (k, a) => k.m.u32(signal(k, a.Queue)) | 0,
  }),
];
