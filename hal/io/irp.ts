// IRPs: allocation with stack locations, IofCallDriver, IofCompleteRequest with completion routines.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, formatStatus } from '../rtl/ntstatus.js';
import {
  IO_TYPE_IRP, IRP_MJ, MULTIPLE_IRP_COMPLETE_REQUESTS, NO_MORE_IRP_STACK_LOCATIONS, SL_INVOKE_ON_CANCEL,
  SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED, STATUS_MORE_PROCESSING_REQUIRED,
} from './constants.js';
import { initializeListHead } from '../ke/dispatcher.js';
import { tagOf } from './device.js';

/** What the I/O manager does once an IRP it issued is completed (copy-back, freeing, waking the caller). */
export type IrpCompletion = (k: Kernel, irp: bigint) => void;

/** IRPs the I/O manager issued and has not seen completed yet. */
interface Outstanding {
  finish: IrpCompletion;
  /** For the trace: what the IRP was sent as and to whom (named only when traced). */
  major: number;
  device: bigint;
}

const completions = new WeakMap<Kernel, Map<bigint, Outstanding>>();

function pending(k: Kernel): Map<bigint, Outstanding> {
  let m = completions.get(k);
  if (!m) completions.set(k, (m = new Map()));
  return m;
}

/** IoAllocateIrp: an IRP followed by StackSize stack locations; CurrentLocation = StackSize + 1 (none current yet). */
export function allocateIrp(k: Kernel, stackSize: number, owner: 'driver' | 'system', caller: string): bigint | null {
  const L = k.L;
  const size = L.IRP.size + stackSize * L.IO_STACK_LOCATION.size;
  const irp = k.pool.allocate(size, tagOf('Irp '), 0, owner, caller);
  if (irp === null) return null;
  initializeIrp(k, irp, size, stackSize);
  return irp;
}

/** IoInitializeIrp: zero, Type, Size, StackCount, CurrentLocation, CurrentStackLocation past the last location. */
export function initializeIrp(k: Kernel, irp: bigint, size: number, stackSize: number): void {
  const o = k.L.IRP.off;
  const m = k.m;
  m.fill(irp, size);
  m.setU16At(irp, o.Type, IO_TYPE_IRP);
  m.setU16At(irp, o.Size, size);
  m.setU8At(irp, o.StackCount, stackSize);
  m.setU8At(irp, o.CurrentLocation, stackSize + 1);
  initializeListHead(k, irp + BigInt(o.ThreadListEntry));
  m.setPtrAt(irp, o['Tail.Overlay.CurrentStackLocation'], irp + BigInt(k.L.IRP.size + stackSize * k.L.IO_STACK_LOCATION.size));
}

export function currentStackLocation(k: Kernel, irp: bigint): bigint {
  return k.m.ptrAt(irp, k.L.IRP.off['Tail.Overlay.CurrentStackLocation']);
}

/** IoGetNextIrpStackLocation. */
export function nextStackLocation(k: Kernel, irp: bigint): bigint {
  return currentStackLocation(k, irp) - BigInt(k.L.IO_STACK_LOCATION.size);
}

function majorName(major: number): string {
  return IRP_MJ[major] ?? `IRP_MJ_0x${major.toString(16)}`;
}

/** Registers what happens when an IRP issued by the I/O manager completes. */
export function expectCompletion(k: Kernel, irp: bigint, major: number, device: bigint, finish: IrpCompletion): void {
  pending(k).set(irp, { finish, major, device });
}

export function isOutstanding(k: Kernel, irp: bigint): boolean {
  return pending(k).has(irp);
}

export function forgetIrp(k: Kernel, irp: bigint): void {
  pending(k).delete(irp);
}

/** IRPs drivers built (IoAllocateIrp, IoBuild*Request, IoInitializeIrp): what completing one does, once it is sent. */
const built = new WeakMap<Kernel, Map<bigint, IrpCompletion>>();

export function builtIrps(k: Kernel): Map<bigint, IrpCompletion> {
  let m = built.get(k);
  if (!m) built.set(k, (m = new Map()));
  return m;
}

/**
 * IofCallDriver: move to the next stack location, set its DeviceObject and call the driver's dispatch routine
 * for the location's major function. Returns the dispatch routine's NTSTATUS.
 */
export function callDriver(k: Kernel, device: bigint, irp: bigint): number {
  const m = k.m;
  const L = k.L;
  const o = L.IRP.off;
  const loc = m.u8At(irp, o.CurrentLocation) - 1;
  m.setU8At(irp, o.CurrentLocation, loc);
  if (loc <= 0) {
    throw new GuestStop('bugcheck', `IoCallDriver: IRP ${hex(irp)} has no stack location left for ${hex(device)}`, {
      bugcheck: { code: NO_MORE_IRP_STACK_LOCATIONS, params: [irp, 0n, 0n, 0n] },
    });
  }
  const sl = currentStackLocation(k, irp) - BigInt(L.IO_STACK_LOCATION.size);
  m.setPtrAt(irp, o['Tail.Overlay.CurrentStackLocation'], sl);
  m.setPtrAt(sl, L.IO_STACK_LOCATION.off.DeviceObject, device);
  const major = m.u8At(sl, L.IO_STACK_LOCATION.off.MajorFunction);
  // A driver's own IRP becomes outstanding when it is sent (again, after IoReuseIrp).
  const own = builtIrps(k).get(irp);
  if (own && !isOutstanding(k, irp)) expectCompletion(k, irp, major, device, own);
  const driver = m.ptrAt(device, L.DEVICE_OBJECT.off.DriverObject);
  const routine = m.ptr(driver + BigInt(L.DRIVER_OBJECT.off.MajorFunction) + BigInt(major * k.ptrSize));
  const name = IRP_MJ[major] ?? `IRP_MJ_0x${major.toString(16)}`;
  if (k.trace.enabled) k.trace.emit({ type: 'irp', event: 'sent', irp: hex(irp), major: name, device: hex(device) });
  const status = k.callRoutine(routine, [device, irp], `${name} dispatch`);
  return Number(status & 0xffffffffn);
}

/**
 * IofCompleteRequest: validate, then walk the stack locations upward running completion routines, and finally
 * hand the IRP back to whoever issued it.
 */
export function completeRequest(k: Kernel, irp: bigint, _boost: number): void {
  const m = k.m;
  const L = k.L;
  const o = L.IRP.off;
  const stackCount = m.u8At(irp, o.StackCount);
  const current = m.u8At(irp, o.CurrentLocation);
  if (m.u16At(irp, o.Type) !== IO_TYPE_IRP || current > stackCount + 1 || !isOutstanding(k, irp)) {
    throw new GuestStop('bugcheck', `IoCompleteRequest on IRP ${hex(irp)}, which is already completed or is not an IRP`, {
      bugcheck: { code: MULTIPLE_IRP_COMPLETE_REQUESTS, params: [irp, 0n, 0n, 0n] },
    });
  }
  const status = m.u32At(irp, o['IoStatus.Status']);
  if (status === STATUS.PENDING) {
    // Completing with STATUS_PENDING is a driver bug Windows catches with this bugcheck (param 4 = 1).
    throw new GuestStop('bugcheck', `IoCompleteRequest on IRP ${hex(irp)} with IoStatus.Status = STATUS_PENDING`, {
      bugcheck: { code: MULTIPLE_IRP_COMPLETE_REQUESTS, params: [irp, 0n, 0n, 1n] },
    });
  }
  const slSize = BigInt(L.IO_STACK_LOCATION.size);
  const so = L.IO_STACK_LOCATION.off;
  // Walk from the current location toward the bottom (higher addresses: the issuer's locations).
  for (let loc = current; loc <= stackCount; loc++) {
    const sl = currentStackLocation(k, irp);
    const control = m.u8At(sl, so.Control);
    const routine = m.ptrAt(sl, so.CompletionRoutine);
    const context = m.ptrAt(sl, so.Context);
    // IoCompleteRequest clears each location as it leaves it.
    m.setU8At(irp, o.PendingReturned, control & SL_PENDING_RETURNED);
    m.setU8At(irp, o.CurrentLocation, loc + 1);
    m.setPtrAt(irp, o['Tail.Overlay.CurrentStackLocation'], sl + slSize);
    const st = m.u32At(irp, o['IoStatus.Status']) | 0;
    const cancelled = m.u8At(irp, o.Cancel) !== 0;
    const invoke = routine !== 0n && ((st >= 0 && control & SL_INVOKE_ON_SUCCESS) || (st < 0 && control & SL_INVOKE_ON_ERROR) || (cancelled && control & SL_INVOKE_ON_CANCEL));
    m.setU8At(sl, so.MinorFunction, 0);
    m.setU8At(sl, so.Control, 0);
    m.setPtrAt(sl, so.CompletionRoutine, 0n);
    m.setPtrAt(sl, so.Context, 0n);
    if (invoke) {
      const device = loc + 1 <= stackCount ? m.ptr(sl + slSize + BigInt(so.DeviceObject)) : 0n;
      const r = k.callRoutine(routine, [device, irp, context], 'completion routine');
      if (Number(r & 0xffffffffn) === STATUS_MORE_PROCESSING_REQUIRED) return;
    } else if (m.u8At(irp, o.PendingReturned) && loc + 1 <= stackCount) {
      // No routine: propagate the pending mark to the next location up, as IoCompleteRequest does.
      const up = sl + slSize;
      m.setU8At(up, so.Control, m.u8At(up, so.Control) | SL_PENDING_RETURNED);
    }
  }
  const done = pending(k).get(irp);
  pending(k).delete(irp);
  if (k.trace.enabled) k.trace.emit({
    type: 'irp',
    event: 'completed',
    irp: hex(irp),
    major: done ? majorName(done.major) : '',
    device: done ? hex(done.device) : '',
    status: formatStatus(m.u32At(irp, o['IoStatus.Status'])),
    information: hex(m.ptrAt(irp, o['IoStatus.Information'])),
  });
  done?.finish(k, irp);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IofCompleteRequest',
    cc: 'fastcall',
    proto: 'VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)',
    params: { Irp: 'ptr', PriorityBoost: 'u8' },
    ret: 'void',
    impl: (k, a) => completeRequest(k, a.Irp, a.PriorityBoost),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoCompleteRequest',
    cc: 'stdcall',
    proto: 'VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)',
    params: { Irp: 'ptr', PriorityBoost: 'u8' },
    ret: 'void',
    impl: (k, a) => completeRequest(k, a.Irp, a.PriorityBoost),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IofCallDriver',
    cc: 'fastcall',
    proto: 'NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
    params: { DeviceObject: 'ptr', Irp: 'ptr' },
    ret: 'status',
    impl: (k, a) => callDriver(k, a.DeviceObject, a.Irp),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoCallDriver',
    cc: 'stdcall',
    proto: 'NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
    params: { DeviceObject: 'ptr', Irp: 'ptr' },
    ret: 'status',
    impl: (k, a) => callDriver(k, a.DeviceObject, a.Irp),
  }),
];
