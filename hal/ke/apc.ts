// Kernel APCs: KeInitializeApc, KeInsertQueueApc, and the kernel APC disabling of KeEnterCriticalRegion and
// KeLeaveCriticalRegion (the thread's KernelApcDisable count).
//
// A kernel-mode APC runs in its target thread below APC_LEVEL. A special one (no NormalRoutine) runs its
// KernelRoutine at APC_LEVEL unless the thread is in a guarded region; a normal one also waits while the thread is in
// a critical region or already runs a normal APC, then runs KernelRoutine at APC_LEVEL and, unless that cleared it,
// NormalRoutine at PASSIVE_LEVEL. Special APCs are queued ahead of normal ones. kdemu delivers them at Windows'
// delivery points for the current thread: KeInsertQueueApc at PASSIVE_LEVEL, the IRQL dropping to PASSIVE_LEVEL,
// KeLeaveCriticalRegion; another thread's APCs run when that thread next starts or resumes (a waiting thread: when
// its wait ends; Windows would interrupt the wait). User-mode APCs need an alertable user-mode wait and a user-mode
// dispatcher (KiUserApcDispatcher) that kdemu does not have: queueing one stops the run as unsupported.
// Leaving more critical regions than were entered is the mismatch Windows catches as APC_INDEX_MISMATCH when the
// thread next returns from a system call; kdemu keeps the count and does not check it.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { guardedRegionDepth } from '../ex/fastmutex.js';
import { setIrql } from './irql.js';

/** KernelApcDisable per thread (0 or negative: each KeEnterCriticalRegion decrements it). */
const apcDisable = new WeakMap<Kernel, Map<bigint, number>>();

function counts(k: Kernel): Map<bigint, number> {
  let m = apcDisable.get(k);
  if (!m) apcDisable.set(k, (m = new Map()));
  return m;
}

/** The current thread's KernelApcDisable (0 outside critical regions). */
export function kernelApcDisable(k: Kernel): number {
  return counts(k).get(k.ps.currentThread) ?? 0;
}

/** Adds delta to the current thread's KernelApcDisable (-1 enters a critical region, +1 leaves it). */
export function adjustKernelApcDisable(k: Kernel, delta: number): void {
  counts(k).set(k.ps.currentThread, kernelApcDisable(k) + delta);
}

const ApcObject = 0x12;
const KernelMode = 0;
const CurrentApcEnvironment = 2;

interface ApcQueues {
  /** Queued kernel-mode APCs per target thread (KTHREAD address), special ones first. */
  queues: Map<bigint, bigint[]>;
  /** Threads running a normal kernel APC's NormalRoutine (KernelApcInProgress). */
  inProgress: Set<bigint>;
  /** Guest slots for KernelRoutine's four in/out pointers, one frame per nested delivery. */
  scratch?: bigint;
  depth: number;
  /** Set while deliverApcs itself moves the IRQL between APC_LEVEL and PASSIVE_LEVEL. */
  switching: boolean;
}
const apcs = new WeakMap<Kernel, ApcQueues>();
function state(k: Kernel): ApcQueues {
  let s = apcs.get(k);
  if (!s) apcs.set(k, (s = { queues: new Map(), inProgress: new Set(), depth: 0, switching: false }));
  return s;
}
const MAX_NESTING = 16;

/** Runs the kernel APCs that may run now in the current thread (see the rules above). */
export function deliverApcs(k: Kernel): void {
  const s = state(k);
  const thread = k.ps.currentThread;
  const q = s.queues.get(thread);
  if (!q || q.length === 0) return;
  const o = k.L.KAPC.off;
  const m = k.m;
  for (;;) {
    if (k.irql !== 0 || guardedRegionDepth(k) !== 0) return;
    const apc = q[0];
    if (apc === undefined) return;
    const special = m.ptrAt(apc, o.NormalRoutine) === 0n;
    if (!special && (kernelApcDisable(k) !== 0 || s.inProgress.has(thread))) return;
    q.shift();
    m.setU8At(apc, o.Inserted, 0);
    if (s.depth >= MAX_NESTING) throw new GuestStop('resource-limit', `kernel APCs nested ${MAX_NESTING} deep in thread ${hex(thread)}`);
    s.scratch ??= k.systemAlloc(MAX_NESTING * 4 * 8, 16);
    const ps = BigInt(k.ptrSize);
    const slots = s.scratch + BigInt(s.depth * 4 * 8);
    m.setPtr(slots, m.ptrAt(apc, o.NormalRoutine));
    m.setPtr(slots + ps, m.ptrAt(apc, o.NormalContext));
    m.setPtr(slots + 2n * ps, m.ptrAt(apc, o.SystemArgument1));
    m.setPtr(slots + 3n * ps, m.ptrAt(apc, o.SystemArgument2));
    const kernelRoutine = m.ptrAt(apc, o.KernelRoutine);
    s.depth++;
    try {
      irql(k, s, 1);
      k.callRoutine(kernelRoutine, [apc, slots, slots + ps, slots + 2n * ps, slots + 3n * ps], `kernel APC ${hex(apc)}`);
      irql(k, s, 0);
      const normal = m.ptr(slots);
      if (!special && normal !== 0n) {
        s.inProgress.add(thread);
        try {
          k.callRoutine(normal, [m.ptr(slots + ps), m.ptr(slots + 2n * ps), m.ptr(slots + 3n * ps)], `normal routine of APC ${hex(apc)}`);
        } finally {
          s.inProgress.delete(thread);
        }
      }
    } finally {
      s.depth--;
    }
  }
}

function irql(k: Kernel, s: ApcQueues, level: number): void {
  s.switching = true;
  try {
    setIrql(k, level);
  } finally {
    s.switching = false;
  }
}

/** setIrql's hook: the IRQL dropped to PASSIVE_LEVEL (not by the delivery itself). */
export function irqlDroppedToPassive(k: Kernel): void {
  const s = apcs.get(k);
  if (s && !s.switching) deliverApcs(k);
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke,
    name: 'KeInitializeApc',
    proto: 'VOID KeInitializeApc(PRKAPC Apc, PRKTHREAD Thread, KAPC_ENVIRONMENT Environment, PKKERNEL_ROUTINE KernelRoutine, PKRUNDOWN_ROUTINE RundownRoutine, PKNORMAL_ROUTINE NormalRoutine, KPROCESSOR_MODE ApcMode, PVOID NormalContext)',
    params: { Apc: 'ptr', Thread: 'ptr', Environment: 'u32', KernelRoutine: 'ptr', RundownRoutine: 'ptr', NormalRoutine: 'ptr', ApcMode: 'u8', NormalContext: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const L = k.L.KAPC;
      const o = L.off;
      const m = k.m;
      m.fill(a.Apc, L.size);
      m.setU8At(a.Apc, o.Type, ApcObject);
      m.setU8At(a.Apc, o.Size, L.size);
      m.setPtrAt(a.Apc, o.Thread, a.Thread);
      // CurrentApcEnvironment means the thread's environment now: attached (1) or original (0).
      const t = k.ps.threads.find((x) => x.ethread === a.Thread);
      const index = a.Environment === CurrentApcEnvironment ? ((t?.attached?.length ?? 0) > 0 ? 1 : 0) : a.Environment;
      m.setU8At(a.Apc, o.ApcStateIndex, index);
      m.setPtrAt(a.Apc, o.KernelRoutine, a.KernelRoutine);
      m.setPtrAt(a.Apc, o.RundownRoutine, a.RundownRoutine);
      m.setPtrAt(a.Apc, o.NormalRoutine, a.NormalRoutine);
      // A special APC (no NormalRoutine) is always kernel mode and has no context.
      if (a.NormalRoutine !== 0n) {
        m.setU8At(a.Apc, o.ApcMode, a.ApcMode);
        m.setPtrAt(a.Apc, o.NormalContext, a.NormalContext);
      } else {
        m.setU8At(a.Apc, o.ApcMode, KernelMode);
      }
    },
  }),
  defineExport({
    ...ke,
    name: 'KeInsertQueueApc',
    proto: 'BOOLEAN KeInsertQueueApc(PRKAPC Apc, PVOID SystemArgument1, PVOID SystemArgument2, KPRIORITY Increment)',
    params: { Apc: 'ptr', SystemArgument1: 'ptr', SystemArgument2: 'ptr', Increment: 'i32' },
    ret: 'bool',
    impl: (k, a) => {
      const o = k.L.KAPC.off;
      const m = k.m;
      const thread = m.ptrAt(a.Apc, o.Thread);
      const t = k.ps.threads.find((x) => x.ethread === thread);
      // Already queued, or a thread that has ended (its APC queue no longer accepts APCs): FALSE.
      if (m.u8At(a.Apc, o.Inserted) !== 0 || !t || t.state === 'terminated') return 0;
      const special = m.ptrAt(a.Apc, o.NormalRoutine) === 0n;
      if (!special && m.u8At(a.Apc, o.ApcMode) !== KernelMode) {
        throw new GuestStop('unsupported-call', `KeInsertQueueApc from ${k.symbolize(k.callerAddress())} with a user-mode APC: kdemu has no alertable user-mode waits nor a user-mode APC dispatcher to deliver it`, {
          export: 'ntoskrnl.exe!KeInsertQueueApc',
        });
      }
      m.setPtrAt(a.Apc, o.SystemArgument1, a.SystemArgument1);
      m.setPtrAt(a.Apc, o.SystemArgument2, a.SystemArgument2);
      m.setU8At(a.Apc, o.Inserted, 1);
      const s = state(k);
      let q = s.queues.get(thread);
      if (!q) s.queues.set(thread, (q = []));
      if (special) {
        // After the special APCs already queued, ahead of every normal one.
        let i = 0;
        while (i < q.length && m.ptrAt(q[i], o.NormalRoutine) === 0n) i++;
        q.splice(i, 0, a.Apc);
      } else q.push(a.Apc);
      // The APC interrupt is taken at once when the target is the running thread and the IRQL allows it.
      if (thread === k.ps.currentThread) deliverApcs(k);
      return 1;
    },
  }),
  defineExport({
    ...ke,
    name: 'KeEnterCriticalRegion',
    proto: 'VOID KeEnterCriticalRegion(VOID)',
    params: {},
    ret: 'void',
    impl: (k) => adjustKernelApcDisable(k, -1),
  }),
  defineExport({
    ...ke,
    name: 'KeLeaveCriticalRegion',
    proto: 'VOID KeLeaveCriticalRegion(VOID)',
    params: {},
    ret: 'void',
    impl: (k) => {
      adjustKernelApcDisable(k, +1);
      // Leaving the last region delivers the normal kernel APCs that waited for it.
      if (kernelApcDisable(k) === 0) deliverApcs(k);
    },
  }),
];
