// Framework I/O queues (WDFQUEUE): creation, the request types routed to them, presentation to the driver's
// EvtIo* callbacks by dispatch type, manual retrieval, forwarding and requeueing, and the queue state changes
// (start, stop, drain, purge) with their completion callbacks.
//
// Dispatching follows the framework's rules: a sequential queue presents one request at a time (the next when the
// driver completes, forwards or requeues it), a parallel queue as many as NumberOfPresentedRequests allows (all when
// 0), a manual queue none (the driver retrieves them; EvtIoQueueState is called when it goes from empty to not
// empty). A power-managed queue only dispatches while its device is in D0. A request a queue has no callback for
// is completed with STATUS_INVALID_DEVICE_REQUEST, a zero-length read or write with STATUS_SUCCESS unless the queue
// allows them; a request arriving at a queue that no longer accepts any is completed with
// STATUS_INVALID_DEVICE_STATE. A queued request is cancelable by the framework: on cancellation it leaves the
// queue and goes to EvtIoCanceledOnQueue, or is completed with STATUS_CANCELLED.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { completeRequest, currentStackLocation } from '../io/irp.js';
import { acquireCancelLock, releaseCancelLock } from '../io/cancel.js';
import { waitUntil } from '../ke/clock.js';
import { wdfLayouts } from './layout.js';
import { WDF_STATUS } from './status.js';
import { inheritSynchronization, serializationLock, setSynchronization, withLock } from './lock.js';
import { wdfExport } from './export.js';
import {
  applyAttributes, callEvt, deleteObject, FxObject, fxObject, readAttributes, reference, registerObject, wdfViolation,
  WDF_REQUIRED_PARAMETER_IS_NULL,
} from './object.js';
import { fxDevice, type FxDevice } from './device.js';
import {
  fxRequest, getParameters, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE, requireDriverOwned, trackIrp, type FxRequest,
} from './request.js';

export const WdfIoQueueDispatchSequential = 1;
export const WdfIoQueueDispatchParallel = 2;
export const WdfIoQueueDispatchManual = 3;
const WdfFalse = 0;
const WdfTrue = 1;
const WdfIoQueueAcceptRequests = 0x1;
const WdfIoQueueDispatchRequests = 0x2;
const WdfIoQueueNoRequests = 0x4;
const WdfIoQueueDriverNoRequests = 0x8;
const WdfIoQueuePnpHeld = 0x10;

interface QueueCallbacks {
  readonly default: bigint;
  readonly read: bigint;
  readonly write: bigint;
  readonly ioctl: bigint;
  readonly internal: bigint;
  readonly stop: bigint;
  readonly resume: bigint;
  readonly canceledOnQueue: bigint;
}

export class FxQueue extends FxObject {
  /** Framework-owned requests, in arrival order. */
  readonly pending: FxRequest[] = [];
  /** Driver-owned requests that came from this queue. */
  readonly presented = new Set<FxRequest>();
  accepting = true;
  dispatching = true;
  /** Inside the dispatch loop (a completion from a callback must not re-enter it). */
  busy = false;
  readyNotify?: { routine: bigint; context: bigint };
  /** A state change (stop, drain, purge) waiting for the driver's requests to finish: its callback. */
  idleCallbacks: { routine: bigint; context: bigint; what: string; drain: boolean }[] = [];
  constructor(
    handle: bigint,
    parent: FxObject,
    caller: string,
    readonly device: FxDevice,
    readonly dispatchType: number,
    readonly powerManaged: boolean,
    readonly allowZeroLength: boolean,
    readonly maxPresented: number,
    readonly callbacks: QueueCallbacks,
  ) {
    super(handle, 'WDFQUEUE', parent, caller);
  }
}

export function fxQueue(k: Kernel, handle: bigint, routine: string): FxQueue {
  return fxObject<FxQueue>(k, handle, 'WDFQUEUE', routine);
}

function queueCreate(k: Kernel, deviceHandle: bigint, config: bigint, attributes: bigint, out: bigint): number {
  const m = k.m;
  const dev = fxDevice(k, deviceHandle, 'WdfIoQueueCreate');
  if (config === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoQueueCreate was passed a NULL Config');
  const C = wdfLayouts(k.arch).WDF_IO_QUEUE_CONFIG;
  const size = m.u32(config);
  // Clients before 1.9 pass the structure without its trailing Driver member.
  if (size !== C.size && size !== C.off.Driver) return STATUS.INFO_LENGTH_MISMATCH;
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const at = (f: string) => m.ptr(config + BigInt(C.off[f]));
  const dispatchType = m.u32(config + BigInt(C.off.DispatchType));
  if (dispatchType < WdfIoQueueDispatchSequential || dispatchType > WdfIoQueueDispatchManual) return STATUS.INVALID_PARAMETER;
  const isDefault = m.u8(config + BigInt(C.off.DefaultQueue)) !== 0;
  // One default queue per device.
  if (isDefault && dev.defaultQueue) return STATUS.INVALID_DEVICE_REQUEST;
  const managed = m.u32(config + BigInt(C.off.PowerManaged));
  // WdfUseDefault: power-managed on a PnP device that owns power policy, not on a control device.
  const powerManaged = managed === WdfTrue || (managed !== WdfFalse && dev.init.kind === 'fdo' && !dev.init.filter);
  if (powerManaged && dev.init.kind === 'control') return STATUS.INVALID_PARAMETER;
  const callbacks: QueueCallbacks = {
    default: at('EvtIoDefault'), read: at('EvtIoRead'), write: at('EvtIoWrite'), ioctl: at('EvtIoDeviceControl'), internal: at('EvtIoInternalDeviceControl'),
    stop: at('EvtIoStop'), resume: at('EvtIoResume'), canceledOnQueue: at('EvtIoCanceledOnQueue'),
  };
  // A default queue must be able to take every request type: it needs EvtIoDefault or some EvtIo* callback, unless manual.
  if (dispatchType !== WdfIoQueueDispatchManual && [callbacks.default, callbacks.read, callbacks.write, callbacks.ioctl, callbacks.internal].every((c) => c === 0n)) {
    return STATUS.INVALID_PARAMETER;
  }
  const maxPresented = dispatchType === WdfIoQueueDispatchParallel ? m.u32(config + BigInt(C.off['Settings.Parallel.NumberOfPresentedRequests'])) : 0;
  const parent = a.parent !== 0n ? fxObject(k, a.parent, undefined, 'WdfIoQueueCreate') : dev;
  const q = registerObject(k, (h) => new FxQueue(h, parent, k.symbolize(k.callerAddress()), dev, dispatchType, powerManaged, m.u8(config + BigInt(C.off.AllowZeroLengthRequests)) !== 0, maxPresented, callbacks));
  const status = applyAttributes(k, q, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, q);
    return status;
  }
  q.dispose = () => disposeQueue(k, q);
  const sync = inheritSynchronization(a.synchronizationScope, a.executionLevel, dev.sync);
  setSynchronization(q, sync.scope, sync.executionLevel);
  dev.queues.push(q);
  if (isDefault) dev.defaultQueue = q;
  if (out !== 0n) m.setPtr(out, q.handle);
  return STATUS.SUCCESS;
}

function disposeQueue(k: Kernel, q: FxQueue): void {
  // Deleting a queue purges what it still holds.
  for (const r of q.pending.splice(0)) finishFrameworkOwned(k, r, STATUS.CANCELLED);
  const d = q.device;
  d.queues = d.queues.filter((x) => x !== q);
  if (d.defaultQueue === q) d.defaultQueue = undefined;
  for (const [t, x] of d.dispatching) if (x === q) d.dispatching.delete(t);
}

/** The callback that presents a request of this major function, or 0 when the queue has none for it. */
function handlerFor(q: FxQueue, major: number): bigint {
  const c = q.callbacks;
  const specific = major === IRP_MJ_READ ? c.read : major === IRP_MJ_WRITE ? c.write : major === IRP_MJ_DEVICE_CONTROL ? c.ioctl : major === IRP_MJ_INTERNAL_DEVICE_CONTROL ? c.internal : 0n;
  return specific !== 0n ? specific : c.default;
}

/** Completes a request the framework still owns (rejected, purged, cancelled in a queue). */
export function finishFrameworkOwned(k: Kernel, r: FxRequest, status: number): void {
  const o = k.L.IRP.off;
  k.m.setU32At(r.irp, o['IoStatus.Status'], status);
  k.m.setPtrAt(r.irp, o['IoStatus.Information'], 0n);
  k.m.setPtrAt(r.irp, o.CancelRoutine, 0n);
  r.phase = 'completed';
  completeRequest(k, r.irp, 0);
  r.noDelete = false;
  deleteObject(k, r);
}

/** The IRP cancel routine of a request waiting in a queue. */
function queuedCancelRoutine(k: Kernel): bigint {
  return k.internalRoutine('FxIoQueue::_IrpCancelForQueue', 2, (k, [, irp]) => {
    releaseCancelLock(k, k.m.u8At(irp, k.L.IRP.off.CancelIrql), 'FxIoQueue cancel');
    for (const q of allQueues(k)) {
      const i = q.pending.findIndex((r) => r.irp === irp);
      if (i < 0) continue;
      const [r] = q.pending.splice(i, 1);
      if (q.callbacks.canceledOnQueue !== 0n) {
        // The driver owns it now and completes it.
        r.phase = 'presented';
        q.presented.add(r);
        callEvt(k, q.callbacks.canceledOnQueue, [q.handle, r.handle], 'EvtIoCanceledOnQueue');
      } else {
        finishFrameworkOwned(k, r, STATUS.CANCELLED);
      }
      checkIdle(k, q);
      break;
    }
    return 0n;
  });
}

const queuesOf = new WeakMap<Kernel, Set<FxQueue>>();
function allQueues(k: Kernel): Set<FxQueue> {
  let s = queuesOf.get(k);
  if (!s) queuesOf.set(k, (s = new Set()));
  return s;
}

/** Puts a framework-owned request in a queue (at the head for a requeue) and dispatches. */
export function enqueue(k: Kernel, q: FxQueue, r: FxRequest, head = false): number {
  if (q.state !== 'live' || !q.accepting) return STATUS.INVALID_DEVICE_STATE;
  const len = requestLength(k, r);
  if ((r.major === IRP_MJ_READ || r.major === IRP_MJ_WRITE) && len === 0 && !q.allowZeroLength) {
    finishFrameworkOwned(k, r, STATUS.SUCCESS);
    return STATUS.SUCCESS;
  }
  if (q.dispatchType !== WdfIoQueueDispatchManual && handlerFor(q, r.major) === 0n) {
    finishFrameworkOwned(k, r, STATUS.INVALID_DEVICE_REQUEST);
    return STATUS.SUCCESS;
  }
  allQueues(k).add(q);
  trackIrp(k, r);
  r.queue = q;
  r.phase = 'queued';
  const wasEmpty = q.pending.length === 0;
  if (head) q.pending.unshift(r);
  else q.pending.push(r);
  const o = k.L.IRP.off;
  const irql = acquireCancelLock(k, 'FxIoQueue::QueueRequest');
  if (k.m.u8At(r.irp, o.Cancel) !== 0) {
    // Cancelled before it could wait: it goes at once.
    releaseCancelLock(k, irql, 'FxIoQueue::QueueRequest');
    q.pending.splice(q.pending.indexOf(r), 1);
    finishFrameworkOwned(k, r, STATUS.CANCELLED);
    return STATUS.SUCCESS;
  }
  k.m.setPtrAt(r.irp, o.CancelRoutine, queuedCancelRoutine(k));
  releaseCancelLock(k, irql, 'FxIoQueue::QueueRequest');
  if (q.dispatchType === WdfIoQueueDispatchManual && wasEmpty && q.readyNotify && canDispatch(q)) {
    callEvt(k, q.readyNotify.routine, [q.handle, q.readyNotify.context], 'EvtIoQueueState (ready)');
  }
  dispatch(k, q);
  return STATUS.SUCCESS;
}

function requestLength(k: Kernel, r: FxRequest): number {
  return k.m.u32At(currentStackLocation(k, r.irp), k.L.IO_STACK_LOCATION.off['Parameters.Read.Length']);
}

function canDispatch(q: FxQueue): boolean {
  return q.dispatching && (!q.powerManaged || q.device.d0);
}

/** Takes a request out of the queue for the driver (presentation or retrieval). */
function takeForDriver(k: Kernel, q: FxQueue, r: FxRequest): void {
  const i = q.pending.indexOf(r);
  if (i >= 0) q.pending.splice(i, 1);
  k.m.setPtrAt(r.irp, k.L.IRP.off.CancelRoutine, 0n);
  r.phase = 'presented';
  q.presented.add(r);
}

/** Presents queued requests while the dispatch type allows. */
export function dispatch(k: Kernel, q: FxQueue): void {
  if (q.busy) return;
  q.busy = true;
  try {
    for (;;) {
      if (q.state !== 'live' || !canDispatch(q) || q.dispatchType === WdfIoQueueDispatchManual) break;
      if (q.dispatchType === WdfIoQueueDispatchSequential && q.presented.size > 0) break;
      if (q.dispatchType === WdfIoQueueDispatchParallel && q.maxPresented > 0 && q.presented.size >= q.maxPresented) break;
      const r = q.pending[0];
      if (!r) break;
      takeForDriver(k, q, r);
      present(k, q, r);
    }
  } finally {
    q.busy = false;
  }
  checkIdle(k, q);
}

/** Presents a request: the queue's callback for its type, holding the queue's or device's lock when its scope says so. */
function present(k: Kernel, q: FxQueue, r: FxRequest): void {
  withLock(k, serializationLock(q), 'the queue\'s synchronization lock', () => presentUnlocked(k, q, r));
}

function presentUnlocked(k: Kernel, q: FxQueue, r: FxRequest): void {
  const routine = handlerFor(q, r.major);
  const sl = currentStackLocation(k, r.irp);
  const so = k.L.IO_STACK_LOCATION.off;
  const m = k.m;
  const c = q.callbacks;
  if (routine === c.read && c.read !== 0n && r.major === IRP_MJ_READ) {
    callEvt(k, routine, [q.handle, r.handle, BigInt(m.u32At(sl, so['Parameters.Read.Length']))], 'EvtIoRead');
  } else if (routine === c.write && c.write !== 0n && r.major === IRP_MJ_WRITE) {
    callEvt(k, routine, [q.handle, r.handle, BigInt(m.u32At(sl, so['Parameters.Read.Length']))], 'EvtIoWrite');
  } else if (routine !== c.default && (r.major === IRP_MJ_DEVICE_CONTROL || r.major === IRP_MJ_INTERNAL_DEVICE_CONTROL)) {
    const args = [q.handle, r.handle, BigInt(m.u32At(sl, so['Parameters.DeviceIoControl.OutputBufferLength'])), BigInt(m.u32At(sl, so['Parameters.DeviceIoControl.InputBufferLength'])), BigInt(m.u32At(sl, so['Parameters.DeviceIoControl.IoControlCode']))];
    callEvt(k, routine, args, r.major === IRP_MJ_DEVICE_CONTROL ? 'EvtIoDeviceControl' : 'EvtIoInternalDeviceControl');
  } else {
    callEvt(k, routine, [q.handle, r.handle], 'EvtIoDefault');
  }
}

/** A driver-owned request left the driver (completed, forwarded, requeued): the queue may present the next. */
export function requestDone(k: Kernel, q: FxQueue, r: FxRequest): void {
  q.presented.delete(r);
  if (q.state === 'live') dispatch(k, q);
  else checkIdle(k, q);
}

/** Runs the stop/drain/purge callbacks whose condition holds now. */
function checkIdle(k: Kernel, q: FxQueue): void {
  if (q.idleCallbacks.length === 0 || q.presented.size > 0) return;
  const ready = q.idleCallbacks.filter((c) => !c.drain || q.pending.length === 0);
  q.idleCallbacks = q.idleCallbacks.filter((c) => !ready.includes(c));
  for (const c of ready) if (c.routine !== 0n) callEvt(k, c.routine, [q.handle, c.context], c.what);
}

type StateChange = 'stop' | 'drain' | 'purge' | 'stop-and-purge';

/** Stop (no more dispatching), drain (no more accepting; what is queued still goes), purge (neither; queued cancelled). */
function changeState(k: Kernel, q: FxQueue, change: StateChange, routine: bigint, context: bigint, wait: boolean, name: string): void {
  if (change === 'stop' || change === 'stop-and-purge') q.dispatching = false;
  if (change === 'drain' || change === 'purge') q.accepting = false;
  if (change === 'purge' || change === 'stop-and-purge') {
    for (const r of q.pending.splice(0)) {
      if (q.callbacks.canceledOnQueue !== 0n) {
        r.phase = 'presented';
        q.presented.add(r);
        k.m.setPtrAt(r.irp, k.L.IRP.off.CancelRoutine, 0n);
        callEvt(k, q.callbacks.canceledOnQueue, [q.handle, r.handle], 'EvtIoCanceledOnQueue');
      } else {
        finishFrameworkOwned(k, r, STATUS.CANCELLED);
      }
    }
  }
  const drain = change === 'drain';
  const what = change === 'stop' ? 'EvtIoQueueState (stop complete)' : change === 'drain' ? 'EvtIoQueueState (drain complete)' : 'EvtIoQueueState (purge complete)';
  if (wait) {
    const idle = () => q.presented.size === 0 && (!drain || q.pending.length === 0);
    if (!idle()) {
      if (drain) dispatch(k, q);
      if (!waitUntil(k, idle)) {
        throw new GuestStop('deadlock', `${name}(${hex(q.handle)}) waits for the driver to complete the ${q.presented.size} request${q.presented.size === 1 ? '' : 's'} it owns from this queue, and nothing in the machine will`, {});
      }
    }
    return;
  }
  q.idleCallbacks.push({ routine, context, what, drain });
  if (drain) dispatch(k, q);
  else checkIdle(k, q);
}

/** The queue a request of this type goes to on a device: the one configured for the type, else the default. */
export function queueFor(dev: FxDevice, major: number): FxQueue | undefined {
  return dev.dispatching.get(major) ?? dev.defaultQueue;
}

/** Routes a new request to its queue; without one it fails as the framework fails it. */
export function routeRequest(k: Kernel, dev: FxDevice, r: FxRequest): number {
  const q = queueFor(dev, r.major);
  if (!q) {
    // No queue takes this type: a filter passes it down, any other device fails it.
    finishFrameworkOwned(k, r, STATUS.INVALID_DEVICE_REQUEST);
    return STATUS.SUCCESS;
  }
  return enqueue(k, q, r);
}

const queueParam = { Queue: 'handle' } as const;

export const exports = [
  wdfExport({
    name: 'WdfIoQueueCreate',
    proto: 'NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config, PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue)',
    params: { Device: 'handle', Config: 'ptr', QueueAttributes: 'ptr', Queue: 'ptr' },
    ret: 'status',
    impl: (k, a) => queueCreate(k, a.Device, a.Config, a.QueueAttributes, a.Queue),
  }),
  wdfExport({
    name: 'WdfDeviceGetDefaultQueue',
    proto: 'WDFQUEUE WdfDeviceGetDefaultQueue(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxDevice(k, a.Device, 'WdfDeviceGetDefaultQueue').defaultQueue?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfDeviceConfigureRequestDispatching',
    proto: 'NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue, WDF_REQUEST_TYPE RequestType)',
    params: { Device: 'handle', Queue: 'handle', RequestType: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      const dev = fxDevice(k, a.Device, 'WdfDeviceConfigureRequestDispatching');
      const q = fxQueue(k, a.Queue, 'WdfDeviceConfigureRequestDispatching');
      if (q.device !== dev) return STATUS.INVALID_DEVICE_REQUEST;
      // Create, read, write, IOCTL and internal IOCTL requests can go to a queue of their own.
      if (![0x00, IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL].includes(a.RequestType)) return STATUS.INVALID_PARAMETER;
      if (dev.dispatching.has(a.RequestType)) return STATUS.INVALID_DEVICE_STATE;
      dev.dispatching.set(a.RequestType, q);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfDeviceEnqueueRequest',
    proto: 'NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request)',
    params: { Device: 'handle', Request: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const dev = fxDevice(k, a.Device, 'WdfDeviceEnqueueRequest');
      const r = fxRequest(k, a.Request, 'WdfDeviceEnqueueRequest');
      // Only from EvtIoInCallerContext, with a request of this device the framework has not queued yet.
      if (!r.inCallerContext || r.device !== dev || r.phase !== 'new') {
        wdfViolation(k, 0x3, r.handle, 0n, `WdfDeviceEnqueueRequest(${hex(r.handle)}) outside EvtIoInCallerContext, or of a request already queued`);
      }
      const q = queueFor(dev, r.major);
      if (!q) return STATUS.INVALID_DEVICE_REQUEST;
      return enqueue(k, q, r);
    },
  }),
  wdfExport({
    name: 'WdfIoQueueGetDevice',
    proto: 'WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue)',
    params: queueParam,
    ret: 'handle',
    impl: (k, a) => fxQueue(k, a.Queue, 'WdfIoQueueGetDevice').device.handle,
  }),
  wdfExport({
    name: 'WdfIoQueueGetState',
    proto: 'WDF_IO_QUEUE_STATE WdfIoQueueGetState(WDFQUEUE Queue, PULONG QueueRequests, PULONG DriverRequests)',
    params: { Queue: 'handle', QueueRequests: 'ptr', DriverRequests: 'ptr' },
    ret: 'u32',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueGetState');
      if (a.QueueRequests !== 0n) k.m.setU32(a.QueueRequests, q.pending.length);
      if (a.DriverRequests !== 0n) k.m.setU32(a.DriverRequests, q.presented.size);
      let s = 0;
      if (q.accepting) s |= WdfIoQueueAcceptRequests;
      if (q.dispatching) s |= WdfIoQueueDispatchRequests;
      if (q.pending.length === 0) s |= WdfIoQueueNoRequests;
      if (q.presented.size === 0) s |= WdfIoQueueDriverNoRequests;
      if (q.powerManaged && !q.device.d0) s |= WdfIoQueuePnpHeld;
      return s;
    },
  }),
  wdfExport({
    name: 'WdfIoQueueStart',
    proto: 'VOID WdfIoQueueStart(WDFQUEUE Queue)',
    params: queueParam,
    ret: 'void',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueStart');
      q.accepting = true;
      q.dispatching = true;
      dispatch(k, q);
    },
  }),
  ...([
    ['WdfIoQueueStop', 'stop', 'StopComplete'],
    ['WdfIoQueueDrain', 'drain', 'DrainComplete'],
    ['WdfIoQueuePurge', 'purge', 'PurgeComplete'],
    ['WdfIoQueueStopAndPurge', 'stop-and-purge', 'StopAndPurgeComplete'],
  ] as const).map(([name, change, cb]) =>
    wdfExport({
      name,
      proto: `VOID ${name}(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE ${cb}, WDFCONTEXT Context)`,
      params: { Queue: 'handle', Complete: 'ptr', Context: 'ptr' },
      ret: 'void',
      impl: (k, a) => changeState(k, fxQueue(k, a.Queue, name), change, a.Complete, a.Context, false, name),
    }),
  ),
  ...([
    ['WdfIoQueueStopSynchronously', 'stop'],
    ['WdfIoQueueDrainSynchronously', 'drain'],
    ['WdfIoQueuePurgeSynchronously', 'purge'],
    ['WdfIoQueueStopAndPurgeSynchronously', 'stop-and-purge'],
  ] as const).map(([name, change]) =>
    wdfExport({
      name,
      proto: `VOID ${name}(WDFQUEUE Queue)`,
      params: queueParam,
      ret: 'void',
      impl: (k, a) => {
        if (k.irql > 0) wdfViolation(k, 0xe, BigInt(k.irql), 0n, `${name} at IRQL ${k.irql}: it waits, so it needs PASSIVE_LEVEL`);
        changeState(k, fxQueue(k, a.Queue, name), change, 0n, 0n, true, name);
      },
    }),
  ),
  wdfExport({
    name: 'WdfIoQueueReadyNotify',
    proto: 'NTSTATUS WdfIoQueueReadyNotify(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE QueueReady, WDFCONTEXT Context)',
    params: { Queue: 'handle', QueueReady: 'ptr', Context: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueReadyNotify');
      if (q.dispatchType !== WdfIoQueueDispatchManual) return STATUS.INVALID_DEVICE_REQUEST;
      if (a.QueueReady === 0n) {
        q.readyNotify = undefined;
        return STATUS.SUCCESS;
      }
      if (q.readyNotify) return STATUS.INVALID_DEVICE_REQUEST;
      q.readyNotify = { routine: a.QueueReady, context: a.Context };
      // Requests already waiting: the driver hears of them now.
      if (q.pending.length > 0 && canDispatch(q)) callEvt(k, a.QueueReady, [q.handle, a.Context], 'EvtIoQueueState (ready)');
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfIoQueueRetrieveNextRequest',
    proto: 'NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest)',
    params: { Queue: 'handle', OutRequest: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueRetrieveNextRequest');
      if (a.OutRequest === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoQueueRetrieveNextRequest was passed a NULL OutRequest');
      k.m.setPtr(a.OutRequest, 0n);
      if (q.dispatchType === WdfIoQueueDispatchParallel) return STATUS.INVALID_DEVICE_STATE;
      if (!canDispatch(q)) return WDF_STATUS.PAUSED;
      const r = q.pending[0];
      if (!r) return STATUS.NO_MORE_ENTRIES;
      takeForDriver(k, q, r);
      k.m.setPtr(a.OutRequest, r.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfIoQueueRetrieveRequestByFileObject',
    proto: 'NTSTATUS WdfIoQueueRetrieveRequestByFileObject(WDFQUEUE Queue, WDFFILEOBJECT FileObject, WDFREQUEST *OutRequest)',
    params: { Queue: 'handle', FileObject: 'handle', OutRequest: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueRetrieveRequestByFileObject');
      fxObject(k, a.FileObject, 'WDFFILEOBJECT', 'WdfIoQueueRetrieveRequestByFileObject');
      if (a.OutRequest === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoQueueRetrieveRequestByFileObject was passed a NULL OutRequest');
      k.m.setPtr(a.OutRequest, 0n);
      if (q.dispatchType === WdfIoQueueDispatchParallel) return STATUS.INVALID_DEVICE_STATE;
      if (!canDispatch(q)) return WDF_STATUS.PAUSED;
      const r = q.pending.find((x) => fileOf(k, x) === a.FileObject);
      if (!r) return STATUS.NO_MORE_ENTRIES;
      takeForDriver(k, q, r);
      k.m.setPtr(a.OutRequest, r.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfIoQueueFindRequest',
    proto: 'NTSTATUS WdfIoQueueFindRequest(WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFFILEOBJECT FileObject, PWDF_REQUEST_PARAMETERS Parameters, WDFREQUEST *OutRequest)',
    params: { Queue: 'handle', FoundRequest: 'handle', FileObject: 'handle', Parameters: 'ptr', OutRequest: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueFindRequest');
      if (a.OutRequest === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoQueueFindRequest was passed a NULL OutRequest');
      k.m.setPtr(a.OutRequest, 0n);
      let start = 0;
      if (a.FoundRequest !== 0n) {
        const i = q.pending.findIndex((x) => x.handle === a.FoundRequest);
        if (i < 0) return STATUS.NOT_FOUND;
        start = i + 1;
      }
      const r = q.pending.slice(start).find((x) => a.FileObject === 0n || fileOf(k, x) === a.FileObject);
      if (!r) return STATUS.NO_MORE_ENTRIES;
      // The caller holds a reference on what it found until WdfObjectDereference.
      reference(r);
      if (a.Parameters !== 0n) getParameters(k, r, a.Parameters);
      k.m.setPtr(a.OutRequest, r.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfIoQueueRetrieveFoundRequest',
    proto: 'NTSTATUS WdfIoQueueRetrieveFoundRequest(WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFREQUEST *OutRequest)',
    params: { Queue: 'handle', FoundRequest: 'handle', OutRequest: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const q = fxQueue(k, a.Queue, 'WdfIoQueueRetrieveFoundRequest');
      if (a.OutRequest === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoQueueRetrieveFoundRequest was passed a NULL OutRequest');
      k.m.setPtr(a.OutRequest, 0n);
      const r = q.pending.find((x) => x.handle === a.FoundRequest);
      if (!r) return STATUS.NOT_FOUND;
      takeForDriver(k, q, r);
      k.m.setPtr(a.OutRequest, r.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfRequestForwardToIoQueue',
    proto: 'NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue)',
    params: { Request: 'handle', DestinationQueue: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestForwardToIoQueue');
      const dest = fxQueue(k, a.DestinationQueue, 'WdfRequestForwardToIoQueue');
      requireDriverOwned(k, r, 'WdfRequestForwardToIoQueue');
      const src = r.queue;
      // To another queue of the same device only.
      if (dest === src || dest.device !== r.device) return STATUS.INVALID_DEVICE_REQUEST;
      if (!dest.accepting) return STATUS.INVALID_DEVICE_STATE;
      if (src) src.presented.delete(r);
      const status = enqueue(k, dest, r);
      if (src) requestDone(k, src, r);
      return status;
    },
  }),
  wdfExport({
    name: 'WdfRequestRequeue',
    proto: 'NTSTATUS WdfRequestRequeue(WDFREQUEST Request)',
    params: { Request: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestRequeue');
      requireDriverOwned(k, r, 'WdfRequestRequeue');
      const q = r.queue;
      // Back to the head of the manual queue it was retrieved from.
      if (!q || q.dispatchType !== WdfIoQueueDispatchManual) return STATUS.INVALID_DEVICE_REQUEST;
      q.presented.delete(r);
      return enqueue(k, q, r, true);
    },
  }),
  wdfExport({
    name: 'WdfRequestStopAcknowledge',
    proto: 'VOID WdfRequestStopAcknowledge(WDFREQUEST Request, BOOLEAN Requeue)',
    params: { Request: 'handle', Requeue: 'bool' },
    ret: 'void',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestStopAcknowledge');
      requireDriverOwned(k, r, 'WdfRequestStopAcknowledge');
      const q = r.queue;
      if (a.Requeue && q) {
        q.presented.delete(r);
        enqueue(k, q, r, true);
      }
    },
  }),
];

/** The WDFFILEOBJECT handle of a request's file object. */
function fileOf(k: Kernel, r: FxRequest): bigint {
  const file = k.m.ptrAt(currentStackLocation(k, r.irp), k.L.IO_STACK_LOCATION.off.FileObject);
  return r.device?.files.get(file)?.handle ?? 0n;
}
