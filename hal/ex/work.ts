// System worker threads and work items: ExQueueWorkItem (WORK_QUEUE_ITEM), and the queue IoQueueWorkItem uses.
//
// A worker thread is a system thread whose code is kdemu's own few instructions in the kernel code page:
//   for (;;) { item = ExpWorkerThreadNext(); item->Routine(item->Argument1, item->Argument2); }
// so a work routine runs at a worker's top level, as on Windows, and may wait (its waits suspend the worker like any
// thread's). ExpWorkerThreadNext waits in the scheduler for an item of its queue. Workers are created as items need
// them: when an item is queued and no worker of its queue is idle, another starts (Windows also grows its pools), so
// a work routine that waits for another work item does not deadlock. Workers run at the queue's priority (critical
// 13, delayed 12, hypercritical 15). A routine must return at PASSIVE_LEVEL owning no mutex: Windows checks both
// (WORKER_THREAD_RETURNED_AT_BAD_IRQL, SYSTEM_EXIT_OWNED_MUTEX).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import type { KThread } from '../ke/thread.js';
import { dereferenceObject } from '../ob/object.js';
import { threadCreated } from '../ps/notify.js';

/** WORK_QUEUE_TYPE values. */
export const CriticalWorkQueue = 0;
export const DelayedWorkQueue = 1;
export const HyperCriticalWorkQueue = 2;
const MaximumWorkQueue = 7;
const PRIORITY: Record<number, number> = { [CriticalWorkQueue]: 13, [DelayedWorkQueue]: 12, [HyperCriticalWorkQueue]: 15 };

/** Where the worker loop and its import slot live in the kernel code page. */
const LOOP = 0x100;
const SLOT = 0x1f0;

export interface WorkItem {
  /** The routine and its two arguments (x64: rcx, rdx; x86: pushed). */
  routine: bigint;
  a1: bigint;
  a2: bigint;
  /** The driver's WORK_QUEUE_ITEM (ExQueueWorkItem) or IO_WORKITEM (IoQueueWorkItem), for reports and checks. */
  item: bigint;
  /** IoQueueWorkItem keeps the device object referenced until the routine returns. */
  device?: bigint;
  /** ExQueueWorkItem: List.Flink is cleared when a worker takes the item (it may be queued again from then on). */
  exItem?: boolean;
  /** A third argument (IoQueueWorkItemEx passes the IO_WORKITEM). */
  a3?: bigint;
  /** Bookkeeping of the item's owner when a worker takes it, and after the routine returned (the framework's). */
  taken?: () => void;
  done?: () => void;
}

interface Worker {
  thread: KThread;
  queue: number;
  idle: boolean;
  current?: WorkItem;
  /** Where ExpWorkerThreadNext puts the item for the loop: routine, argument 1, argument 2, argument 3. */
  slot: bigint;
}

interface WorkState {
  queues: WorkItem[][];
  workers: Worker[];
  loop: bigint;
}

const states = new WeakMap<Kernel, WorkState>();

function state(k: Kernel): WorkState {
  let s = states.get(k);
  if (!s) {
    s = { queues: Array.from({ length: MaximumWorkQueue }, () => []), workers: [], loop: writeLoop(k) };
    states.set(k, s);
  }
  return s;
}

/** Writes the worker loop (and the slot holding ExpWorkerThreadNext's stub) into the kernel code page. */
function writeLoop(k: Kernel): bigint {
  const base = k.m.layout.kernelCode;
  const next = k.privateRoutine(NEXT);
  const code = k.arch === 'x64' ? loopX64() : loopX86(base);
  const slot = new Uint8Array(8);
  new DataView(slot.buffer).setBigUint64(0, next, true);
  k.m.engine.write(base + BigInt(LOOP), code);
  k.m.engine.write(base + BigInt(SLOT), slot.subarray(0, k.ptrSize));
  return base + BigInt(LOOP);
}

function loopX64(): Uint8Array {
  const b = [0x48, 0x83, 0xec, 0x28]; // sub rsp, 28h: shadow space, rsp 16-aligned at each call
  const again = b.length;
  const call = b.length;
  b.push(0xff, 0x15, 0, 0, 0, 0); // call [rip+slot]
  const rel = SLOT - (LOOP + call + 6);
  b[call + 2] = rel & 0xff;
  b[call + 3] = (rel >> 8) & 0xff;
  b[call + 4] = (rel >> 16) & 0xff;
  b[call + 5] = (rel >> 24) & 0xff;
  b.push(0x48, 0x8b, 0x48, 0x08); // mov rcx, [rax+8]
  b.push(0x48, 0x8b, 0x50, 0x10); // mov rdx, [rax+16]
  b.push(0x4c, 0x8b, 0x40, 0x18); // mov r8, [rax+24]
  b.push(0xff, 0x10); // call [rax]
  b.push(0xeb, (again - (b.length + 2)) & 0xff); // jmp again
  return Uint8Array.from(b);
}

function loopX86(base: bigint): Uint8Array {
  const slot = Number(base) + SLOT;
  const b: number[] = [];
  const again = b.length;
  b.push(0xff, 0x15, slot & 0xff, (slot >> 8) & 0xff, (slot >> 16) & 0xff, (slot >>> 24) & 0xff); // call [slot]
  b.push(0x8b, 0xf4); // mov esi, esp: whatever the routine pops, the loop's stack comes back
  b.push(0xff, 0x70, 0x0c); // push [eax+12]
  b.push(0xff, 0x70, 0x08); // push [eax+8]
  b.push(0xff, 0x70, 0x04); // push [eax+4]
  b.push(0xff, 0x10); // call [eax]
  b.push(0x8b, 0xe6); // mov esp, esi
  b.push(0xeb, (again - (b.length + 2)) & 0xff); // jmp again
  return Uint8Array.from(b);
}

/** The worker the current thread is, if it is one. */
function workerOf(k: Kernel, t: KThread): Worker | undefined {
  return state(k).workers.find((w) => w.thread === t);
}

/** Whether a thread is one of the system's worker threads (they live as long as the system: never a leak). */
export function isWorkerThread(k: Kernel, t: KThread): boolean {
  return states.get(k)?.workers.some((w) => w.thread === t) ?? false;
}

/** Items queued and not yet taken by a worker (at unload: work the driver left behind). */
export function queuedWorkItems(k: Kernel): WorkItem[] {
  return states.get(k)?.queues.flat() ?? [];
}

/** Queues an item; a worker of its queue takes it when it next waits (a new worker starts if none is idle). */
export function queueWorkItem(k: Kernel, queue: number, item: WorkItem): void {
  const s = state(k);
  const q = queue >= 0 && queue < MaximumWorkQueue ? queue : DelayedWorkQueue;
  s.queues[q].push(item);
  const waiting = s.queues[q].length;
  const idle = s.workers.filter((w) => w.queue === q && w.idle).length;
  if (idle >= waiting) return;
  const thread = k.m.actingAs(-1, () => k.ps.createThread(k.ps.system, s.loop, 0n, false));
  thread.priority = PRIORITY[q] ?? PRIORITY[DelayedWorkQueue];
  threadCreated(k, thread);
  s.workers.push({ thread, queue: q, idle: true, slot: k.systemAlloc(4 * k.ptrSize, 16) });
  k.sched.ready(thread);
}

/** The checks Windows makes when a work routine returns, and the device reference IoQueueWorkItem took. */
function finished(k: Kernel, w: Worker, it: WorkItem): void {
  if (k.irql !== 0) {
    throw new GuestStop('bugcheck', `the work routine ${k.symbolize(it.routine)} returned at IRQL ${k.irql}`, {
      pc: it.routine,
      bugcheck: { code: 0xe1, params: [it.routine, BigInt(k.irql), it.item, it.item] },
    });
  }
  if (w.thread.mutants.size > 0) {
    throw new GuestStop('bugcheck', `the work routine ${k.symbolize(it.routine)} returned owning mutex ${hex([...w.thread.mutants][0])}`, {
      pc: it.routine,
      bugcheck: { code: 0x39, params: [it.routine, it.a1, it.item, 0n] },
    });
  }
  if (it.device !== undefined) k.m.actingAs(0, () => dereferenceObject(k, it.device!, 'IoQueueWorkItem'));
  it.done?.();
}

/** The worker loop's wait for its next item (see the top of the file). */
const NEXT = defineExport({
  module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExpWorkerThreadNext', internal: true,
  proto: 'PVOID ExpWorkerThreadNext(VOID)', params: {}, ret: 'ptr',
  impl: (k) => {
    const w = workerOf(k, k.ps.current);
    if (!w) throw new Error('ExpWorkerThreadNext outside a worker thread');
    if (w.current) finished(k, w, w.current);
    w.current = undefined;
    w.idle = true;
    const queue = state(k).queues[w.queue];
    return k.m.actingAs(0, () =>
      k.sched.wait({ what: `the worker thread's wait for work (queue ${w.queue})`, ready: () => queue.length > 0, idle: true }, () => {
        const it = queue.shift()!;
        w.idle = false;
        w.current = it;
        if (it.exItem) k.m.setPtrAt(it.item, k.L.WORK_QUEUE_ITEM.off['List.Flink'], 0n);
        it.taken?.();
        const p = BigInt(k.ptrSize);
        k.m.setPtr(w.slot, it.routine);
        k.m.setPtr(w.slot + p, it.a1);
        k.m.setPtr(w.slot + 2n * p, it.a2);
        k.m.setPtr(w.slot + 3n * p, it.a3 ?? 0n);
        return w.slot;
      }),
    );
  },
});

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExQueueWorkItem',
    proto: 'VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)',
    params: { WorkItem: 'ptr', QueueType: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.WORK_QUEUE_ITEM.off;
      const routine = k.m.ptrAt(a.WorkItem, o.WorkerRoutine);
      const parameter = k.m.ptrAt(a.WorkItem, o.Parameter);
      // Linked into the queue: List.Flink is not NULL until a worker takes it.
      k.m.setPtrAt(a.WorkItem, o['List.Flink'], a.WorkItem);
      queueWorkItem(k, a.QueueType, { routine, a1: parameter, a2: 0n, item: a.WorkItem, exItem: true });
    },
  }),
];
