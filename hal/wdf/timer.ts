// Framework timers (WDFTIMER): WdfTimerCreate, WdfTimerStart, WdfTimerStop, WdfTimerGetParentObject.
//
// A timer is a KTIMER and a KDPC in framework memory, on the kernel's virtual clock: its DPC routine calls
// EvtTimerFunc(Timer) at DISPATCH_LEVEL, or, for a timer whose ExecutionLevel is passive, queues a system work item
// that calls it at PASSIVE_LEVEL. The parent must be a device or lead to one; AutomaticSerialization takes the
// parent's synchronization lock around the callback (none when its scope is none). Deleting the timer, or its parent,
// stops it: the KTIMER is cancelled, a queued DPC removed, and at PASSIVE_LEVEL a callback under way is waited for.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait, waitUntil } from '../ke/clock.js';
import { queueWorkItem, DelayedWorkQueue } from '../ex/work.js';
import { wdfLayouts } from './layout.js';
import { wdfExport } from './export.js';
import { WDF_STATUS } from './status.js';
import {
  applyAttributes, callEvt, deleteObject, FxObject, fxObject, readAttributes, reference, registerObject, release, wdfViolation,
  WDF_REQUIRED_PARAMETER_IS_NULL,
} from './object.js';
import { deviceChildParent, ke, serializationLock, withLock, WdfExecutionLevelPassive, type LockState } from './lock.js';

/** 'FxTm': the KTIMER + KDPC block. */
const TAG_TIMER = 0x6d547846;

export class FxTimer extends FxObject {
  /** The DPC was queued or the passive callback's work item is waiting. */
  workQueued = false;
  /** EvtTimerFunc is running, on this thread. */
  runningOn: bigint | undefined;
  constructor(
    handle: bigint,
    parent: FxObject,
    caller: string,
    readonly ktimer: bigint,
    readonly kdpc: bigint,
    readonly evt: bigint,
    readonly periodMs: number,
    readonly passive: boolean,
    readonly serialization: { lock: LockState; owner: FxObject } | undefined,
  ) {
    super(handle, 'WDFTIMER', parent, caller);
  }
}

function fxTimer(k: Kernel, handle: bigint, routine: string): FxTimer {
  return fxObject<FxTimer>(k, handle, 'WDFTIMER', routine);
}

function timerOf(k: Kernel, handle: bigint): FxTimer | undefined {
  const o = timers.get(k)?.get(handle);
  return o && o.state !== 'destroyed' ? o : undefined;
}

const timers = new WeakMap<Kernel, Map<bigint, FxTimer>>();
function timerTable(k: Kernel): Map<bigint, FxTimer> {
  let t = timers.get(k);
  if (!t) timers.set(k, (t = new Map()));
  return t;
}

/** Calls EvtTimerFunc, under the serialization lock if any. */
function runCallback(k: Kernel, t: FxTimer): void {
  // A timer deleted above PASSIVE_LEVEL may still have its passive callback queued: it no longer runs.
  if (t.evt === 0n || t.state === 'disposed' || t.state === 'destroyed') return;
  t.runningOn = k.ps.currentThread;
  try {
    withLock(k, t.serialization, 'EvtTimerFunc (automatic serialization)', () => callEvt(k, t.evt, [t.handle], 'EvtTimerFunc'));
  } finally {
    t.runningOn = undefined;
  }
}

/** The DPC routine of every framework timer (DeferredContext: the WDFTIMER). */
function timerDpc(k: Kernel): bigint {
  return k.internalRoutine('FxTimer::_FxTimerDpcThunk', 4, (k, [, handle]) => {
    const t = timerOf(k, handle);
    if (!t) return 0n;
    if (!t.passive) {
      runCallback(k, t);
      return 0n;
    }
    // A passive-level timer's callback goes to a system worker thread; one expiry waiting there is enough.
    if (t.workQueued) return 0n;
    t.workQueued = true;
    reference(t);
    queueWorkItem(k, DelayedWorkQueue, { routine: timerWork(k), a1: t.handle, a2: 0n, item: t.handle });
    return 0n;
  });
}

/** The work routine of passive-level timers. */
function timerWork(k: Kernel): bigint {
  return k.internalRoutine('FxTimer::_FxTimerWorkItemCallback', 2, (k, [handle]) => {
    const t = timerOf(k, handle);
    if (!t) return 0n;
    t.workQueued = false;
    try {
      runCallback(k, t);
    } finally {
      release(k, t);
    }
    return 0n;
  });
}

/** Cancels the KTIMER and a queued DPC; true when the timer was set. */
function cancel(k: Kernel, t: FxTimer): boolean {
  const was = ke(k, 'KeCancelTimer', { Timer: t.ktimer }) === 1;
  ke(k, 'KeRemoveQueueDpc', { Dpc: t.kdpc });
  return was;
}

/** Waits until no callback of the timer is queued or running (WdfTimerStop with Wait, deletion at PASSIVE_LEVEL). */
function flush(k: Kernel, t: FxTimer, routine: string): void {
  if (t.runningOn === k.ps.currentThread) {
    throw new GuestStop('deadlock', `${routine}(${hex(t.handle)}) from ${k.symbolize(k.callerAddress())} waits for the timer's EvtTimerFunc to return, and is called from that very callback`, {});
  }
  ke(k, 'KeFlushQueuedDpcs', {});
  if (t.workQueued || t.runningOn !== undefined) {
    if (!waitUntil(k, () => !t.workQueued && t.runningOn === undefined, undefined, `${routine}(${hex(t.handle)})`)) {
      throw new GuestStop('deadlock', `${routine}(${hex(t.handle)}) waits for the timer's callback to finish, and nothing in the machine will run it`, {});
    }
  }
}

function timerCreate(k: Kernel, config: bigint, attributes: bigint, out: bigint): number {
  const m = k.m;
  if (config === 0n || out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfTimerCreate was passed a NULL Config or Timer');
  m.setPtr(out, 0n);
  const C = wdfLayouts(k.arch).WDF_TIMER_CONFIG;
  const size = m.u32(config);
  const round = (n: number) => (n + k.ptrSize - 1) & ~(k.ptrSize - 1);
  // Clients before 1.13 pass it without UseHighResolutionTimer, before 1.9 without TolerableDelay too.
  const sizes = [C.size, round(C.off.UseHighResolutionTimer), round(C.off.TolerableDelay)];
  if (!sizes.includes(size)) return STATUS.INFO_LENGTH_MISMATCH;
  const evt = m.ptr(config + BigInt(C.off.EvtTimerFunc));
  const period = m.u32(config + BigInt(C.off.Period));
  const automatic = m.u8(config + BigInt(C.off.AutomaticSerialization)) !== 0;
  const tolerable = size > C.off.TolerableDelay ? m.u32(config + BigInt(C.off.TolerableDelay)) : 0;
  const highRes = size > C.off.UseHighResolutionTimer ? m.u8(config + BigInt(C.off.UseHighResolutionTimer)) : 0;
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const parent = deviceChildParent(k, a.parent, 'WdfTimerCreate');
  if (typeof parent === 'number') return parent;
  // The period is a LONG that may not be negative.
  if (period > 0x7fffffff) return STATUS.INVALID_PARAMETER;
  const passive = a.executionLevel === WdfExecutionLevelPassive;
  // A passive-level timer cannot be periodic.
  if (passive && period !== 0) return STATUS.INVALID_PARAMETER;
  // A high-resolution timer (WdfTrue) has no tolerable delay.
  if (highRes === 1 && tolerable !== 0) return STATUS.INVALID_PARAMETER;
  const serialization = automatic ? serializationLock(parent) : undefined;
  // A callback at DISPATCH_LEVEL cannot take a passive parent's mutex; a passive one does not take a spin lock.
  if (serialization && serialization.lock.passive !== passive) return WDF_STATUS.INCOMPATIBLE_EXECUTION_LEVEL;
  const L = k.L;
  const dpcOffset = (L.KTIMER.size + 15) & ~15;
  const block = m.actingAs(0, () => k.pool.allocate(dpcOffset + L.KDPC.size, TAG_TIMER, 0, 'system', 'Wdf01000.sys'));
  if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
  const kdpc = block + BigInt(dpcOffset);
  // Timers are looked up by handle until destroyed (a passive callback's work item holds a reference).
  for (const [h, x] of timerTable(k)) if (x.state === 'destroyed') timerTable(k).delete(h);
  const t = registerObject(k, (h) => new FxTimer(h, parent, k.symbolize(k.callerAddress()), block, kdpc, evt, period, passive, serialization));
  timerTable(k).set(t.handle, t);
  m.actingAs(0, () => {
    ke(k, 'KeInitializeTimerEx', { Timer: block, Type: 0 });
    ke(k, 'KeInitializeDpc', { Dpc: kdpc, DeferredRoutine: timerDpc(k), DeferredContext: t.handle });
  });
  t.dispose = () => {
    cancel(k, t);
    if (k.irql === 0 && t.runningOn !== k.ps.currentThread) flush(k, t, 'WdfObjectDelete');
    m.actingAs(0, () => k.pool.free_(block, 0));
  };
  const status = applyAttributes(k, t, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, t);
    return status;
  }
  m.setPtr(out, t.handle);
  return STATUS.SUCCESS;
}

export const exports = [
  wdfExport({
    name: 'WdfTimerCreate',
    proto: 'NTSTATUS WdfTimerCreate(PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFTIMER *Timer)',
    params: { Config: 'ptr', Attributes: 'ptr', Timer: 'ptr' },
    ret: 'status',
    impl: (k, a) => timerCreate(k, a.Config, a.Attributes, a.Timer),
  }),
  wdfExport({
    name: 'WdfTimerStart',
    proto: 'BOOLEAN WdfTimerStart(WDFTIMER Timer, LONGLONG DueTime)',
    params: { Timer: 'handle', DueTime: 'i64' },
    ret: 'bool',
    impl: (k, a) => {
      const t = fxTimer(k, a.Timer, 'WdfTimerStart');
      // TRUE when the timer was already in the system's timer queue (it is set anew).
      const was = ke(k, 'KeSetTimerEx', { Timer: t.ktimer, DueTime: a.DueTime, Period: t.periodMs, Dpc: t.kdpc }) === 1;
      return was ? 1 : 0;
    },
  }),
  wdfExport({
    name: 'WdfTimerStop',
    proto: 'BOOLEAN WdfTimerStop(WDFTIMER Timer, BOOLEAN Wait)',
    params: { Timer: 'handle', Wait: 'bool' },
    ret: 'bool',
    impl: (k, a) => {
      const t = fxTimer(k, a.Timer, 'WdfTimerStop');
      // Waiting for the callbacks is only possible at PASSIVE_LEVEL.
      if (a.Wait !== 0) assertCanWait(k, 'WdfTimerStop');
      const was = cancel(k, t);
      if (a.Wait !== 0) flush(k, t, 'WdfTimerStop');
      return was ? 1 : 0;
    },
  }),
  wdfExport({
    name: 'WdfTimerGetParentObject',
    proto: 'WDFOBJECT WdfTimerGetParentObject(WDFTIMER Timer)',
    params: { Timer: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxTimer(k, a.Timer, 'WdfTimerGetParentObject').parent?.handle ?? 0n,
  }),
];
