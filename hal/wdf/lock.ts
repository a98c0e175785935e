// Framework locks: WDFSPINLOCK, WDFWAITLOCK, and the synchronization (callback) lock of devices and queues
// (WdfObjectAcquireLock / WdfObjectReleaseLock), which AutomaticSerialization of timers, DPCs and work items takes.
//
// A spin lock raises to DISPATCH_LEVEL and remembers the IRQL to go back to and the thread holding it; as the
// framework's verifier does, acquiring one the same thread already holds is WDF_VIOLATION 0x2 (WDF_RECURSIVE_LOCK)
// and releasing one that thread does not hold is WDF_VIOLATION 0xB (WDF_INVALID_LOCK_OPERATION, parameter 3 = 1).
// kdemu has one processor, so a spin lock held by another thread (one a DPC interrupted) can never be released while
// the caller spins: that is a deadlock. A wait lock is a synchronization event: waits go through the scheduler (the
// holder may be another thread), with a timeout; a zero timeout only tries. Acquiring it enters a critical region.
//
// Device and queue objects each have a synchronization lock: a spin lock, or a fast mutex for objects whose
// ExecutionLevel is passive. What AutomaticSerialization uses is the lock of the parent's synchronization scope
// (device or queue); a parent whose scope is none (the framework's default, inherited from the driver) has none to
// give, and the callbacks then run unserialized, as the framework does.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait, deadlineOf, waitUntil } from '../ke/clock.js';
import { DISPATCH_LEVEL, raiseIrql, setIrql } from '../ke/irql.js';
import { adjustKernelApcDisable } from '../ke/apc.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, registerObject, wdfViolation, WDF_INVALID_LOCK_OPERATION,
  WDF_REQUIRED_PARAMETER_IS_NULL, type FxType,
} from './object.js';

export const WDF_RECURSIVE_LOCK = 0x2;
export const WdfExecutionLevelInheritFromParent = 1;
export const WdfExecutionLevelPassive = 2;
export const WdfExecutionLevelDispatch = 3;
export const WdfSynchronizationScopeInheritFromParent = 1;
export const WdfSynchronizationScopeDevice = 2;
export const WdfSynchronizationScopeQueue = 3;
export const WdfSynchronizationScopeNone = 4;

/** Calls one of the kernel's own routines, as the framework does (KeCancelTimer, KeInsertQueueDpc ...). */
export function ke(k: Kernel, name: string, args: Record<string, bigint | number>): bigint | number | void {
  return k.findExport('ntoskrnl.exe', name)!.impl(k, args as never, undefined as never) as bigint | number | void;
}

/** A lock's state: who holds it and the IRQL its release goes back to. */
export class LockState {
  owner: bigint | undefined;
  oldIrql = 0;
  constructor(readonly passive: boolean) {}
}

export class FxLock extends FxObject {
  readonly lock: LockState;
  constructor(handle: bigint, type: FxType, parent: FxObject | undefined, caller: string) {
    super(handle, type, parent, caller);
    this.lock = new LockState(type === 'WDFWAITLOCK');
  }
}

function recursive(k: Kernel, handle: bigint, routine: string): never {
  throw new GuestStop('bugcheck', `WDF_VIOLATION (0x2) from ${k.symbolize(k.callerAddress())}: ${routine}(${hex(handle)}): the lock is already held by this thread`, {
    bugcheck: { code: 0x10d, params: [BigInt(WDF_RECURSIVE_LOCK), handle, k.ps.currentThread, 0n] },
  });
}

/** Takes a spin-type lock: raises to DISPATCH_LEVEL. */
function acquireSpin(k: Kernel, l: LockState, handle: bigint, routine: string): void {
  const me = k.ps.currentThread;
  if (l.owner !== undefined) {
    if (l.owner === me) recursive(k, handle, routine);
    throw new GuestStop('deadlock', `${routine}(${hex(handle)}) from ${k.symbolize(k.callerAddress())}: the spin lock is held by thread ${hex(l.owner)}, which cannot run to release it while this processor spins`, {});
  }
  if (k.irql > DISPATCH_LEVEL) {
    throw new GuestStop('bugcheck', `${routine}(${hex(handle)}) from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: spin locks are acquired at DISPATCH_LEVEL or below`, {
      bugcheck: { code: 0x9, params: [BigInt(k.irql), BigInt(DISPATCH_LEVEL), 0n, k.callerAddress()] },
    });
  }
  l.oldIrql = raiseIrql(k, Math.max(k.irql, DISPATCH_LEVEL));
  l.owner = me;
}

function releaseSpin(k: Kernel, l: LockState, handle: bigint, routine: string): void {
  if (l.owner !== k.ps.currentThread) {
    wdfViolation(k, WDF_INVALID_LOCK_OPERATION, handle, 1n, `${routine}(${hex(handle)}): the lock is not held by this thread`);
  }
  l.owner = undefined;
  setIrql(k, l.oldIrql);
}

/** Makes the current thread the holder of a wait-type lock (it enters a critical region, as KeEnterCriticalRegion). */
function takeWait(k: Kernel, l: LockState): void {
  l.owner = k.ps.currentThread;
  adjustKernelApcDisable(k, -1);
}

/**
 * Takes a wait-type lock (a wait lock, or a passive object's fast mutex) where the caller is: `deadline` undefined
 * waits for ever; 0n only tries. Returns false when the lock could not be had by then.
 */
function acquireWait(k: Kernel, l: LockState, handle: bigint, deadline: bigint | undefined, routine: string): boolean {
  // Waiting for ever on a lock this very thread holds can only end one way.
  if (l.owner === k.ps.currentThread && deadline === undefined) recursive(k, handle, routine);
  if (l.owner !== undefined) {
    if (deadline === 0n) return false;
    const got = waitUntil(k, () => l.owner === undefined, deadline, `${routine}(${hex(handle)})`);
    if (!got) {
      if (deadline === undefined) {
        throw new GuestStop('deadlock', `${routine}(${hex(handle)}) from ${k.symbolize(k.callerAddress())} waits for a lock thread ${hex(l.owner!)} holds, and nothing in the machine will release it`, {});
      }
      return false;
    }
  }
  takeWait(k, l);
  return true;
}

/**
 * acquireWait for an export whose result is the wait's: a thread blocking in its own top-level call is suspended
 * (other threads, the holder among them, run meanwhile), and `done` gives the call's result.
 */
function acquireWaitTail<T extends number | undefined>(k: Kernel, l: LockState, handle: bigint, deadline: bigint | undefined, routine: string, done: (got: boolean) => T): T {
  if (l.owner === k.ps.currentThread && deadline === undefined) recursive(k, handle, routine);
  if (l.owner === undefined) {
    takeWait(k, l);
    return done(true);
  }
  if (deadline === 0n) return done(false);
  const what = `${routine}(${hex(handle)}), called from ${k.symbolize(k.callerAddress())}`;
  return k.m.actingAs(0, () =>
    k.sched.waitTail({ what, ready: () => l.owner === undefined, ...(deadline !== undefined ? { deadline } : {}) }, (ok) => {
      if (ok) takeWait(k, l);
      return done(ok);
    }),
  );
}

function releaseWait(k: Kernel, l: LockState, handle: bigint, routine: string): void {
  if (l.owner !== k.ps.currentThread) {
    wdfViolation(k, WDF_INVALID_LOCK_OPERATION, handle, 1n, `${routine}(${hex(handle)}): the lock is not held by this thread`);
  }
  l.owner = undefined;
  // KeLeaveCriticalRegion: delivers the kernel APCs that waited for the region's end.
  ke(k, 'KeLeaveCriticalRegion', {});
}

// ---- synchronization scopes ---------------------------------------------------------------------------------------

interface Synchronization {
  scope: number;
  passive: boolean;
  lock?: LockState;
}

const syncs = new WeakMap<FxObject, Synchronization>();

/**
 * Records a device's or queue's SynchronizationScope and ExecutionLevel (from its WDF_OBJECT_ATTRIBUTES, after the
 * framework resolved "inherit from parent"), for AutomaticSerialization and WdfObjectAcquireLock.
 */
export function setSynchronization(o: FxObject, scope: number, executionLevel: number): void {
  syncs.set(o, { scope, passive: executionLevel === WdfExecutionLevelPassive });
}

/**
 * The scope and execution level an object's attributes give it: "inherit from parent" takes the parent's (a device
 * the driver's, a queue its device's).
 */
export function inheritSynchronization(scope: number, executionLevel: number, parent: { scope: number; executionLevel: number }): { scope: number; executionLevel: number } {
  return {
    scope: scope === WdfSynchronizationScopeInheritFromParent || scope === 0 ? parent.scope : scope,
    executionLevel: executionLevel === WdfExecutionLevelInheritFromParent || executionLevel === 0 ? parent.executionLevel : executionLevel,
  };
}

function syncOf(o: FxObject): Synchronization {
  let s = syncs.get(o);
  if (!s) syncs.set(o, (s = { scope: WdfSynchronizationScopeNone, passive: false }));
  return s;
}

/** A device's or queue's own synchronization lock (each has one, whatever its scope). */
function objectLock(o: FxObject): LockState {
  const s = syncOf(o);
  return (s.lock ??= new LockState(s.passive));
}

/** The nearest device or queue at or above an object. */
function syncOwner(o: FxObject | undefined): FxObject | undefined {
  for (let p = o; p; p = p.parent) if (p.type === 'WDFDEVICE' || p.type === 'WDFQUEUE') return p;
  return undefined;
}

/** Whether the object is a device or has one among its ancestors (the parent timers, DPCs and work items need). */
export function leadsToDevice(o: FxObject): boolean {
  for (let p: FxObject | undefined = o; p; p = p.parent) if (p.type === 'WDFDEVICE') return true;
  return false;
}

/**
 * The lock AutomaticSerialization makes a child of `parent` take: the queue's own lock for a queue of queue scope,
 * the device's for device scope (a queue of device scope uses its device's); undefined when the scope is none.
 */
export function serializationLock(parent: FxObject): { lock: LockState; owner: FxObject } | undefined {
  const o = syncOwner(parent);
  if (!o) return undefined;
  const s = syncOf(o);
  if (o.type === 'WDFQUEUE' && s.scope === WdfSynchronizationScopeQueue) return { lock: objectLock(o), owner: o };
  if (s.scope === WdfSynchronizationScopeDevice) {
    const d = o.type === 'WDFDEVICE' ? o : syncOwner(o.parent);
    if (d) return { lock: objectLock(d), owner: d };
  }
  return undefined;
}

/** Runs a callback holding a synchronization lock (none: as is). */
export function withLock<T>(k: Kernel, l: { lock: LockState; owner: FxObject } | undefined, what: string, fn: () => T): T {
  if (!l) return fn();
  if (l.lock.passive) acquireWait(k, l.lock, l.owner.handle, undefined, what);
  else acquireSpin(k, l.lock, l.owner.handle, what);
  try {
    return fn();
  } finally {
    if (l.lock.passive) releaseWait(k, l.lock, l.owner.handle, what);
    else releaseSpin(k, l.lock, l.owner.handle, what);
  }
}

function lockCreate(k: Kernel, globals: bigint, attributes: bigint, out: bigint, type: 'WDFSPINLOCK' | 'WDFWAITLOCK', routine: string): number {
  const c = clientOf(k, globals, routine);
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL lock pointer`);
  k.m.setPtr(out, 0n);
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  // The driver object is the default parent.
  const parent = a.parent !== 0n ? fxObject(k, a.parent, undefined, routine) : c.fxDriver;
  const o = registerObject(k, (h) => new FxLock(h, type, parent, k.symbolize(k.callerAddress())));
  const status = applyAttributes(k, o, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, o);
    return status;
  }
  k.m.setPtr(out, o.handle);
  return STATUS.SUCCESS;
}

export const exports = [
  wdfExport({
    name: 'WdfSpinLockCreate',
    proto: 'NTSTATUS WdfSpinLockCreate(PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock)',
    params: { SpinLockAttributes: 'ptr', SpinLock: 'ptr' },
    ret: 'status',
    impl: (k, a) => lockCreate(k, a.DriverGlobals, a.SpinLockAttributes, a.SpinLock, 'WDFSPINLOCK', 'WdfSpinLockCreate'),
  }),
  wdfExport({
    name: 'WdfSpinLockAcquire',
    proto: 'VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock)',
    params: { SpinLock: 'handle' },
    ret: 'void',
    impl: (k, a) => acquireSpin(k, fxObject<FxLock>(k, a.SpinLock, 'WDFSPINLOCK', 'WdfSpinLockAcquire').lock, a.SpinLock, 'WdfSpinLockAcquire'),
  }),
  wdfExport({
    name: 'WdfSpinLockRelease',
    proto: 'VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock)',
    params: { SpinLock: 'handle' },
    ret: 'void',
    impl: (k, a) => releaseSpin(k, fxObject<FxLock>(k, a.SpinLock, 'WDFSPINLOCK', 'WdfSpinLockRelease').lock, a.SpinLock, 'WdfSpinLockRelease'),
  }),
  wdfExport({
    name: 'WdfWaitLockCreate',
    proto: 'NTSTATUS WdfWaitLockCreate(PWDF_OBJECT_ATTRIBUTES LockAttributes, WDFWAITLOCK *Lock)',
    params: { LockAttributes: 'ptr', Lock: 'ptr' },
    ret: 'status',
    impl: (k, a) => lockCreate(k, a.DriverGlobals, a.LockAttributes, a.Lock, 'WDFWAITLOCK', 'WdfWaitLockCreate'),
  }),
  wdfExport({
    name: 'WdfWaitLockAcquire',
    proto: 'NTSTATUS WdfWaitLockAcquire(WDFWAITLOCK Lock, PLONGLONG Timeout)',
    params: { Lock: 'handle', Timeout: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxObject<FxLock>(k, a.Lock, 'WDFWAITLOCK', 'WdfWaitLockAcquire');
      const timeout = a.Timeout === 0n ? undefined : BigInt.asIntN(64, k.m.u64(a.Timeout));
      // Only a zero timeout (a try) may be made above PASSIVE_LEVEL: anything else may wait.
      if (timeout !== 0n) assertCanWait(k, 'WdfWaitLockAcquire');
      const deadline = timeout === undefined ? undefined : timeout === 0n ? 0n : deadlineOf(k, timeout);
      return acquireWaitTail(k, o.lock, a.Lock, deadline, 'WdfWaitLockAcquire', (got) => (got ? STATUS.SUCCESS : STATUS.TIMEOUT));
    },
  }),
  wdfExport({
    name: 'WdfWaitLockRelease',
    proto: 'VOID WdfWaitLockRelease(WDFWAITLOCK Lock)',
    params: { Lock: 'handle' },
    ret: 'void',
    impl: (k, a) => releaseWait(k, fxObject<FxLock>(k, a.Lock, 'WDFWAITLOCK', 'WdfWaitLockRelease').lock, a.Lock, 'WdfWaitLockRelease'),
  }),
  wdfExport({
    name: 'WdfObjectAcquireLock',
    proto: 'VOID WdfObjectAcquireLock(WDFOBJECT Object)',
    params: { Object: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxObject(k, a.Object, undefined, 'WdfObjectAcquireLock');
      if (o.type !== 'WDFDEVICE' && o.type !== 'WDFQUEUE') {
        wdfViolation(k, WDF_INVALID_LOCK_OPERATION, a.Object, 0n, `WdfObjectAcquireLock: ${o.describe()} has no synchronization lock (only devices and queues do)`);
      }
      const l = objectLock(o);
      if (l.passive) {
        assertCanWait(k, 'WdfObjectAcquireLock');
        return acquireWaitTail(k, l, a.Object, undefined, 'WdfObjectAcquireLock', () => undefined);
      }
      acquireSpin(k, l, a.Object, 'WdfObjectAcquireLock');
    },
  }),
  wdfExport({
    name: 'WdfObjectReleaseLock',
    proto: 'VOID WdfObjectReleaseLock(WDFOBJECT Object)',
    params: { Object: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxObject(k, a.Object, undefined, 'WdfObjectReleaseLock');
      if (o.type !== 'WDFDEVICE' && o.type !== 'WDFQUEUE') {
        wdfViolation(k, WDF_INVALID_LOCK_OPERATION, a.Object, 0n, `WdfObjectReleaseLock: ${o.describe()} has no synchronization lock (only devices and queues do)`);
      }
      const l = objectLock(o);
      if (l.passive) releaseWait(k, l, a.Object, 'WdfObjectReleaseLock');
      else releaseSpin(k, l, a.Object, 'WdfObjectReleaseLock');
    },
  }),
];

/**
 * The parent timers, DPCs and work items must be given: a device or an object whose chain of parents leads to one.
 * Returns the failure status their creation gives otherwise.
 */
export function deviceChildParent(k: Kernel, parent: bigint, routine: string): FxObject | number {
  if (parent === 0n) return 0xc0200212; // STATUS_WDF_PARENT_NOT_SPECIFIED
  const p = fxObject(k, parent, undefined, routine);
  return leadsToDevice(p) ? p : STATUS.INVALID_DEVICE_REQUEST;
}
