// Framework DPCs (WDFDPC): WdfDpcCreate, WdfDpcEnqueue, WdfDpcCancel, WdfDpcGetParentObject, WdfDpcWdmGetDpc.
//
// A WDFDPC is a KDPC in framework memory whose routine calls EvtDpcFunc(Dpc) at DISPATCH_LEVEL, under the parent's
// synchronization lock when AutomaticSerialization asks for it. Queueing and cancelling are the kernel's
// KeInsertQueueDpc / KeRemoveQueueDpc, so their BOOLEANs are the kernel's: a DPC already queued is not queued again.
// The parent must be a device or lead to one. Deleting the DPC removes it from the DPC queue (and, at PASSIVE_LEVEL,
// lets the DPCs already running finish first).

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait } from '../ke/clock.js';
import { wdfLayouts } from './layout.js';
import { wdfExport } from './export.js';
import { WDF_STATUS } from './status.js';
import {
  applyAttributes, callEvt, deleteObject, FxObject, fxObject, readAttributes, registerObject, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL,
} from './object.js';
import { deviceChildParent, ke, serializationLock, withLock, WdfExecutionLevelPassive, type LockState } from './lock.js';

/** 'FxDp': the KDPC's block. */
const TAG_DPC = 0x70447846;

export class FxDpc extends FxObject {
  running = false;
  constructor(
    handle: bigint,
    parent: FxObject,
    caller: string,
    readonly kdpc: bigint,
    readonly evt: bigint,
    readonly serialization: { lock: LockState; owner: FxObject } | undefined,
  ) {
    super(handle, 'WDFDPC', parent, caller);
  }
}

const dpcs = new WeakMap<Kernel, Map<bigint, FxDpc>>();
function dpcTable(k: Kernel): Map<bigint, FxDpc> {
  let t = dpcs.get(k);
  if (!t) dpcs.set(k, (t = new Map()));
  return t;
}

function fxDpc(k: Kernel, handle: bigint, routine: string): FxDpc {
  return fxObject<FxDpc>(k, handle, 'WDFDPC', routine);
}

/** The DPC routine of every WDFDPC (DeferredContext: the WDFDPC). */
function dpcThunk(k: Kernel): bigint {
  return k.internalRoutine('FxDpc::FxDpcThunk', 4, (k, [, handle]) => {
    const d = dpcTable(k).get(handle);
    if (!d || d.state === 'destroyed' || d.evt === 0n) return 0n;
    d.running = true;
    try {
      withLock(k, d.serialization, 'EvtDpcFunc (automatic serialization)', () => callEvt(k, d.evt, [d.handle], 'EvtDpcFunc'));
    } finally {
      d.running = false;
    }
    return 0n;
  });
}

function dpcCreate(k: Kernel, config: bigint, attributes: bigint, out: bigint): number {
  const m = k.m;
  if (config === 0n || out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDpcCreate was passed a NULL Config or Dpc');
  m.setPtr(out, 0n);
  const C = wdfLayouts(k.arch).WDF_DPC_CONFIG;
  if (m.u32(config) !== C.size) return STATUS.INFO_LENGTH_MISMATCH;
  const evt = m.ptr(config + BigInt(C.off.EvtDpcFunc));
  if (evt === 0n) return STATUS.INVALID_PARAMETER;
  const automatic = m.u8(config + BigInt(C.off.AutomaticSerialization)) !== 0;
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const parent = deviceChildParent(k, a.parent, 'WdfDpcCreate');
  if (typeof parent === 'number') return parent;
  // A DPC runs at DISPATCH_LEVEL: a passive execution level is not one it can have.
  if (a.executionLevel === WdfExecutionLevelPassive) return WDF_STATUS.EXECUTION_LEVEL_INVALID;
  const serialization = automatic ? serializationLock(parent) : undefined;
  if (serialization?.lock.passive) return WDF_STATUS.INCOMPATIBLE_EXECUTION_LEVEL;
  const kdpc = m.actingAs(0, () => k.pool.allocate(k.L.KDPC.size, TAG_DPC, 0, 'system', 'Wdf01000.sys'));
  if (kdpc === null) return STATUS.INSUFFICIENT_RESOURCES;
  const d = registerObject(k, (h) => new FxDpc(h, parent, k.symbolize(k.callerAddress()), kdpc, evt, serialization));
  dpcTable(k).set(d.handle, d);
  m.actingAs(0, () => ke(k, 'KeInitializeDpc', { Dpc: kdpc, DeferredRoutine: dpcThunk(k), DeferredContext: d.handle }));
  d.dispose = () => {
    ke(k, 'KeRemoveQueueDpc', { Dpc: kdpc });
    dpcTable(k).delete(d.handle);
    m.actingAs(0, () => k.pool.free_(kdpc, 0));
  };
  const status = applyAttributes(k, d, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, d);
    return status;
  }
  m.setPtr(out, d.handle);
  return STATUS.SUCCESS;
}

export const exports = [
  wdfExport({
    name: 'WdfDpcCreate',
    proto: 'NTSTATUS WdfDpcCreate(PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC *Dpc)',
    params: { Config: 'ptr', Attributes: 'ptr', Dpc: 'ptr' },
    ret: 'status',
    impl: (k, a) => dpcCreate(k, a.Config, a.Attributes, a.Dpc),
  }),
  wdfExport({
    name: 'WdfDpcEnqueue',
    proto: 'BOOLEAN WdfDpcEnqueue(WDFDPC Dpc)',
    params: { Dpc: 'handle' },
    ret: 'bool',
    impl: (k, a) => {
      const d = fxDpc(k, a.Dpc, 'WdfDpcEnqueue');
      // KeInsertQueueDpc: FALSE when already queued; below DISPATCH_LEVEL the DPC runs at once.
      return ke(k, 'KeInsertQueueDpc', { Dpc: d.kdpc, SystemArgument1: 0n, SystemArgument2: 0n }) === 1 ? 1 : 0;
    },
  }),
  wdfExport({
    name: 'WdfDpcCancel',
    proto: 'BOOLEAN WdfDpcCancel(WDFDPC Dpc, BOOLEAN Wait)',
    params: { Dpc: 'handle', Wait: 'bool' },
    ret: 'bool',
    impl: (k, a) => {
      const d = fxDpc(k, a.Dpc, 'WdfDpcCancel');
      if (a.Wait !== 0) {
        assertCanWait(k, 'WdfDpcCancel');
        if (d.running) {
          throw new GuestStop('deadlock', `WdfDpcCancel(${hex(d.handle)}, TRUE) from ${k.symbolize(k.callerAddress())} waits for the DPC's EvtDpcFunc, which it is called from`, {});
        }
      }
      // TRUE when the DPC was removed from the queue before it ran.
      const removed = ke(k, 'KeRemoveQueueDpc', { Dpc: d.kdpc }) === 1;
      // Wait: every DPC running or queued elsewhere finishes (KeFlushQueuedDpcs).
      if (a.Wait !== 0) ke(k, 'KeFlushQueuedDpcs', {});
      return removed ? 1 : 0;
    },
  }),
  wdfExport({
    name: 'WdfDpcGetParentObject',
    proto: 'WDFOBJECT WdfDpcGetParentObject(WDFDPC Dpc)',
    params: { Dpc: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxDpc(k, a.Dpc, 'WdfDpcGetParentObject').parent?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfDpcWdmGetDpc',
    proto: 'PKDPC WdfDpcWdmGetDpc(WDFDPC Dpc)',
    params: { Dpc: 'handle' },
    ret: 'ptr',
    impl: (k, a) => fxDpc(k, a.Dpc, 'WdfDpcWdmGetDpc').kdpc,
  }),
];
