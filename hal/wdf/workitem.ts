// Framework work items (WDFWORKITEM): WdfWorkItemCreate, WdfWorkItemEnqueue, WdfWorkItemGetParentObject,
// WdfWorkItemFlush.
//
// EvtWorkItemFunc(WorkItem) runs at PASSIVE_LEVEL on a system worker thread (ex/work.ts). Enqueueing one that is
// already queued does nothing; once its callback has started it may be queued again. The framework holds a
// reference while the item waits and runs, so deleting it meanwhile keeps the handle valid until the callback is
// done; deleting it at PASSIVE_LEVEL (outside its own callback) flushes it first. The parent must be a device or lead
// to one; AutomaticSerialization takes the parent's synchronization lock, which must then be a passive one.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait, waitUntil } from '../ke/clock.js';
import { DelayedWorkQueue, queueWorkItem } from '../ex/work.js';
import { wdfLayouts } from './layout.js';
import { wdfExport } from './export.js';
import { WDF_STATUS } from './status.js';
import {
  applyAttributes, callEvt, deleteObject, FxObject, fxObject, readAttributes, reference, registerObject, release, wdfViolation,
  WDF_REQUIRED_PARAMETER_IS_NULL,
} from './object.js';
import { deviceChildParent, serializationLock, withLock, type LockState } from './lock.js';

export class FxWorkItem extends FxObject {
  queued = false;
  /** The worker thread running EvtWorkItemFunc, while it runs. */
  runningOn: bigint | undefined;
  constructor(
    handle: bigint,
    parent: FxObject,
    caller: string,
    readonly evt: bigint,
    readonly serialization: { lock: LockState; owner: FxObject } | undefined,
  ) {
    super(handle, 'WDFWORKITEM', parent, caller);
  }
}

const items = new WeakMap<Kernel, Map<bigint, FxWorkItem>>();
function itemTable(k: Kernel): Map<bigint, FxWorkItem> {
  let t = items.get(k);
  if (!t) items.set(k, (t = new Map()));
  return t;
}

function fxWorkItem(k: Kernel, handle: bigint, routine: string): FxWorkItem {
  return fxObject<FxWorkItem>(k, handle, 'WDFWORKITEM', routine);
}

/**
 * The work routine behind every WDFWORKITEM (its argument: the WDFWORKITEM). EvtWorkItemFunc is called from here,
 * one call below the worker loop, so a wait it makes is a nested wait (other threads run on top of it).
 */
function workThunk(k: Kernel): bigint {
  return k.internalRoutine('FxWorkItem::WorkItemThunk', 2, (k, [handle]) => {
    const w = itemTable(k).get(handle);
    if (!w) return 0n;
    w.queued = false;
    w.runningOn = k.ps.currentThread;
    try {
      withLock(k, w.serialization, 'EvtWorkItemFunc (automatic serialization)', () => callEvt(k, w.evt, [w.handle], 'EvtWorkItemFunc'));
    } finally {
      w.runningOn = undefined;
      // The reference Enqueue took.
      release(k, w);
    }
    return 0n;
  });
}

function flush(k: Kernel, w: FxWorkItem, routine: string): void {
  if (w.runningOn === k.ps.currentThread) {
    throw new GuestStop('deadlock', `${routine}(${hex(w.handle)}) from ${k.symbolize(k.callerAddress())} waits for the work item's EvtWorkItemFunc to return, and is called from that very callback`, {});
  }
  if (!w.queued && w.runningOn === undefined) return;
  if (!waitUntil(k, () => !w.queued && w.runningOn === undefined, undefined, `${routine}(${hex(w.handle)})`)) {
    throw new GuestStop('deadlock', `${routine}(${hex(w.handle)}) from ${k.symbolize(k.callerAddress())} waits for the work item to run, and nothing in the machine will run it`, {});
  }
}

function workItemCreate(k: Kernel, config: bigint, attributes: bigint, out: bigint): number {
  const m = k.m;
  if (config === 0n || out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfWorkItemCreate was passed a NULL Config or WorkItem');
  m.setPtr(out, 0n);
  const C = wdfLayouts(k.arch).WDF_WORKITEM_CONFIG;
  if (m.u32(config) !== C.size) return STATUS.INFO_LENGTH_MISMATCH;
  const evt = m.ptr(config + BigInt(C.off.EvtWorkItemFunc));
  if (evt === 0n) return STATUS.INVALID_PARAMETER;
  const automatic = m.u8(config + BigInt(C.off.AutomaticSerialization)) !== 0;
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const parent = deviceChildParent(k, a.parent, 'WdfWorkItemCreate');
  if (typeof parent === 'number') return parent;
  const serialization = automatic ? serializationLock(parent) : undefined;
  // A passive callback cannot be serialized with a spin lock.
  if (serialization && !serialization.lock.passive) return WDF_STATUS.INCOMPATIBLE_EXECUTION_LEVEL;
  const w = registerObject(k, (h) => new FxWorkItem(h, parent, k.symbolize(k.callerAddress()), evt, serialization));
  itemTable(k).set(w.handle, w);
  w.dispose = () => {
    if (k.irql === 0) flush(k, w, 'WdfObjectDelete');
  };
  const status = applyAttributes(k, w, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, w);
    return status;
  }
  m.setPtr(out, w.handle);
  return STATUS.SUCCESS;
}

/** Forgets destroyed work items (the table holds them until their last reference goes). */
function prune(k: Kernel): void {
  for (const [h, w] of itemTable(k)) if (w.state === 'destroyed') itemTable(k).delete(h);
}

export const exports = [
  wdfExport({
    name: 'WdfWorkItemCreate',
    proto: 'NTSTATUS WdfWorkItemCreate(PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFWORKITEM *WorkItem)',
    params: { Config: 'ptr', Attributes: 'ptr', WorkItem: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      prune(k);
      return workItemCreate(k, a.Config, a.Attributes, a.WorkItem);
    },
  }),
  wdfExport({
    name: 'WdfWorkItemEnqueue',
    proto: 'VOID WdfWorkItemEnqueue(WDFWORKITEM WorkItem)',
    params: { WorkItem: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const w = fxWorkItem(k, a.WorkItem, 'WdfWorkItemEnqueue');
      // Already waiting for a worker: nothing more to do.
      if (w.queued || w.state !== 'live') return;
      w.queued = true;
      reference(w);
      // Without serialization the worker calls EvtWorkItemFunc itself (a wait in it is the worker thread's own);
      // with it, the framework's routine takes the lock around the call.
      if (w.serialization) queueWorkItem(k, DelayedWorkQueue, { routine: workThunk(k), a1: w.handle, a2: 0n, item: w.handle });
      else {
        queueWorkItem(k, DelayedWorkQueue, {
          routine: w.evt, a1: w.handle, a2: 0n, item: w.handle,
          taken: () => {
            w.queued = false;
            w.runningOn = k.ps.currentThread;
          },
          done: () => {
            w.runningOn = undefined;
            release(k, w);
          },
        });
      }
    },
  }),
  wdfExport({
    name: 'WdfWorkItemGetParentObject',
    proto: 'WDFOBJECT WdfWorkItemGetParentObject(WDFWORKITEM WorkItem)',
    params: { WorkItem: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxWorkItem(k, a.WorkItem, 'WdfWorkItemGetParentObject').parent?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfWorkItemFlush',
    proto: 'VOID WdfWorkItemFlush(WDFWORKITEM WorkItem)',
    params: { WorkItem: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const w = fxWorkItem(k, a.WorkItem, 'WdfWorkItemFlush');
      assertCanWait(k, 'WdfWorkItemFlush');
      flush(k, w, 'WdfWorkItemFlush');
    },
  }),
];
