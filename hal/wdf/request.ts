// Framework requests (WDFREQUEST): the object the framework makes for each I/O IRP it receives, delivered to the
// driver through a queue; and the entries that read a request's parameters and buffers, complete it, and make it
// cancelable.
//
// A request is framework-owned while it waits in a queue and driver-owned from presentation (or retrieval from a
// manual queue) until the driver completes, forwards or requeues it. Completion writes IoStatus, completes the IRP,
// and deletes the request (its context's EvtCleanupCallback runs, the memory objects wrapping its buffers go). The
// misuses the framework verifier stops (completing a request the driver does not own, one still marked cancelable,
// an Information larger than a buffered read or IOCTL's output buffer) stop the run with WDF_VIOLATION.

import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { completeRequest, currentStackLocation } from '../io/irp.js';
import { acquireCancelLock, releaseCancelLock } from '../io/cancel.js';
import {
  allocateMdl, freeMdl, IoReadAccess, IoWriteAccess, mapLockedPages, MDL_MAPPED_TO_SYSTEM_VA, MDL_SOURCE_IS_NONPAGED_POOL, probeAndLockPages, unlockPages, unmapLockedPages, UserMode,
} from '../mm/mdl.js';
import { wdfLayouts } from './layout.js';
import { wdfExport } from './export.js';
import {
  addContext, callEvt, deleteObject, FxObject, fxObject, registerObject, wdfViolation,
  WDF_REQUEST_FATAL_ERROR, WDF_REQUIRED_PARAMETER_IS_NULL, WDF_VERIFIER_FATAL_ERROR,
} from './object.js';
import { describeMemory, type FxMemory } from './memory.js';
import type { FxDevice } from './device.js';
import type { FxQueue } from './queue.js';
import { requestDone } from './queue.js';

export const IRP_MJ_CREATE = 0x00;
export const IRP_MJ_CLOSE = 0x02;
export const IRP_MJ_READ = 0x03;
export const IRP_MJ_WRITE = 0x04;
export const IRP_MJ_DEVICE_CONTROL = 0x0e;
export const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0f;
export const IRP_MJ_CLEANUP = 0x12;
const METHOD_BUFFERED = 0;
const METHOD_NEITHER = 3;
const SL_PENDING_RETURNED = 0x01;
/** WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH. */
const INFORMATION_LENGTH_MISMATCH = 4n;

export class FxRequest extends FxObject {
  /** queued (framework-owned) → presented (driver-owned) → completed. */
  phase: 'new' | 'queued' | 'presented' | 'completed' = 'new';
  queue?: FxQueue;
  information = 0n;
  /** EvtRequestCancel while the driver has it marked cancelable. */
  cancelRoutine = 0n;
  /** The cancel routine already ran (or is running): UnmarkCancelable reports STATUS_CANCELLED. */
  cancelled = false;
  /** WdfRequestRetrieveUnsafeUser*Buffer is allowed only in EvtIoInCallerContext. */
  inCallerContext = false;
  readonly memories: { input?: FxMemory; output?: FxMemory } = {};
  /** The framework's own follow-up once the request completes (a failed create deletes its file object). */
  onComplete?: (status: number) => void;
  constructor(
    handle: bigint,
    caller: string,
    readonly irp: bigint,
    readonly device: FxDevice | undefined,
    readonly major: number,
    /** Made by the framework for an IRP it received (false: WdfRequestCreate). */
    readonly fromIo: boolean,
  ) {
    super(handle, 'WDFREQUEST', undefined, caller);
  }
}

export function fxRequest(k: Kernel, handle: bigint, routine: string): FxRequest {
  return fxObject<FxRequest>(k, handle, 'WDFREQUEST', routine);
}

/** The framework's request for an IRP the device received (with the device's request context, if declared). */
export function requestForIrp(k: Kernel, dev: FxDevice, irp: bigint): FxRequest {
  const sl = currentStackLocation(k, irp);
  const major = k.m.u8At(sl, k.L.IO_STACK_LOCATION.off.MajorFunction);
  const r = registerObject(k, (h) => new FxRequest(h, `${hex(irp)}`, irp, dev, major, true));
  r.noDelete = true;
  const attrs = dev.init.requestAttributes;
  if (attrs) {
    r.cleanup = attrs.cleanup;
    r.destroy = attrs.destroy;
    addContext(k, r, attrs);
  }
  return r;
}

/** IoMarkIrpPending: the framework marks every IRP it queues pending and returns STATUS_PENDING. */
export function markPending(k: Kernel, irp: bigint): void {
  const sl = currentStackLocation(k, irp);
  const so = k.L.IO_STACK_LOCATION.off;
  k.m.setU8At(sl, so.Control, k.m.u8At(sl, so.Control) | SL_PENDING_RETURNED);
}

function stackParams(k: Kernel, r: FxRequest): { code: number; inLen: number; outLen: number; length: number; type3: bigint; minor: number } {
  const sl = currentStackLocation(k, r.irp);
  const so = k.L.IO_STACK_LOCATION.off;
  const m = k.m;
  return {
    code: m.u32At(sl, so['Parameters.DeviceIoControl.IoControlCode']),
    inLen: m.u32At(sl, so['Parameters.DeviceIoControl.InputBufferLength']),
    outLen: m.u32At(sl, so['Parameters.DeviceIoControl.OutputBufferLength']),
    length: m.u32At(sl, so['Parameters.Read.Length']),
    type3: m.ptrAt(sl, so['Parameters.DeviceIoControl.Type3InputBuffer']),
    minor: m.u8At(sl, so.MinorFunction),
  };
}

/** The system address of an MDL's buffer (MmGetSystemAddressForMdlSafe). */
function mdlSystemAddress(k: Kernel, mdl: bigint): bigint {
  const o = k.L.MDL.off;
  const flags = k.m.u16At(mdl, o.MdlFlags);
  if (flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) return k.m.ptrAt(mdl, o.MappedSystemVa);
  return mapLockedPages(k, mdl, 0, 'Wdf01000.sys');
}

/** A kernel-mode sender's requests may use neither buffered nor direct I/O: their buffers are system addresses. */
function kernelRequestor(k: Kernel, r: FxRequest): boolean {
  return k.m.u8At(r.irp, k.L.IRP.off.RequestorMode) === 0;
}

type BufferResult = { status: number; buffer?: bigint; length?: number; mdl?: bigint };

/**
 * A request's input or output buffer as WdfRequestRetrieve{Input,Output}Buffer finds it: a write's or IOCTL's input, a
 * read's or IOCTL's output; buffered I/O's system buffer, direct I/O's MDL (mapped), or, for internal IOCTLs and
 * kernel-mode senders, METHOD_NEITHER's raw pointers.
 */
function requestBuffer(k: Kernel, r: FxRequest, output: boolean, wantMdl: boolean): BufferResult {
  if (r.phase === 'completed') return { status: STATUS.INTERNAL_ERROR };
  const m = k.m;
  const o = k.L.IRP.off;
  const p = stackParams(k, r);
  const system = m.ptrAt(r.irp, o['AssociatedIrp.SystemBuffer']);
  const mdl = m.ptrAt(r.irp, o.MdlAddress);
  if (r.major === IRP_MJ_DEVICE_CONTROL || r.major === IRP_MJ_INTERNAL_DEVICE_CONTROL) {
    const method = p.code & 3;
    const length = output ? p.outLen : p.inLen;
    if (method === METHOD_NEITHER) {
      if (wantMdl || !(r.major === IRP_MJ_INTERNAL_DEVICE_CONTROL || kernelRequestor(k, r))) return { status: STATUS.INVALID_DEVICE_REQUEST };
      return { status: STATUS.SUCCESS, buffer: output ? m.ptrAt(r.irp, o.UserBuffer) : p.type3, length };
    }
    if (length === 0) return { status: STATUS.BUFFER_TOO_SMALL };
    if (method === METHOD_BUFFERED || !output) {
      // Buffered, and a direct IOCTL's input: the system buffer (an MDL for it is the framework's to build).
      if (wantMdl) return mdlFor(k, r, output, system, length);
      return { status: STATUS.SUCCESS, buffer: system, length };
    }
    if (mdl === 0n) return { status: STATUS.INVALID_DEVICE_REQUEST };
    return wantMdl ? { status: STATUS.SUCCESS, mdl, length } : { status: STATUS.SUCCESS, buffer: mdlSystemAddress(k, mdl), length };
  }
  if ((r.major === IRP_MJ_READ && output) || (r.major === IRP_MJ_WRITE && !output)) {
    if (p.length === 0) return { status: STATUS.BUFFER_TOO_SMALL };
    if (system !== 0n) return wantMdl ? mdlFor(k, r, output, system, p.length) : { status: STATUS.SUCCESS, buffer: system, length: p.length };
    if (mdl !== 0n) return wantMdl ? { status: STATUS.SUCCESS, mdl, length: p.length } : { status: STATUS.SUCCESS, buffer: mdlSystemAddress(k, mdl), length: p.length };
    if (kernelRequestor(k, r) && !wantMdl) return { status: STATUS.SUCCESS, buffer: m.ptrAt(r.irp, o.UserBuffer), length: p.length };
    return { status: STATUS.INVALID_DEVICE_REQUEST };
  }
  return { status: STATUS.INVALID_DEVICE_REQUEST };
}

/** An MDL the framework builds for a system buffer (freed with the request). */
const builtMdls = new WeakMap<FxRequest, bigint[]>();
function mdlFor(k: Kernel, r: FxRequest, _output: boolean, buffer: bigint, length: number): BufferResult {
  const mdl = k.m.actingAs(0, () => allocateMdl(k, buffer, length, 'system', 'Wdf01000.sys'));
  if (mdl === null) return { status: STATUS.INSUFFICIENT_RESOURCES };
  const o = k.L.MDL.off;
  k.m.setU16At(mdl, o.MdlFlags, k.m.u16At(mdl, o.MdlFlags) | MDL_SOURCE_IS_NONPAGED_POOL);
  k.m.setPtrAt(mdl, o.MappedSystemVa, buffer);
  const list = builtMdls.get(r) ?? [];
  list.push(mdl);
  builtMdls.set(r, list);
  return { status: STATUS.SUCCESS, mdl, length };
}

function retrieveBuffer(k: Kernel, handle: bigint, output: boolean, minimum: bigint, bufferOut: bigint, lengthOut: bigint, routine: string): number {
  const r = fxRequest(k, handle, routine);
  if (bufferOut === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL Buffer`);
  k.m.setPtr(bufferOut, 0n);
  if (lengthOut !== 0n) k.m.setPtr(lengthOut, 0n);
  const b = requestBuffer(k, r, output, false);
  if (b.status !== STATUS.SUCCESS) return b.status;
  if (BigInt(b.length!) < minimum) return STATUS.BUFFER_TOO_SMALL;
  k.m.setPtr(bufferOut, b.buffer!);
  if (lengthOut !== 0n) k.m.setPtr(lengthOut, BigInt(b.length!));
  return STATUS.SUCCESS;
}

function retrieveMemory(k: Kernel, handle: bigint, output: boolean, out: bigint, routine: string): number {
  const r = fxRequest(k, handle, routine);
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL Memory`);
  k.m.setPtr(out, 0n);
  const b = requestBuffer(k, r, output, false);
  if (b.status !== STATUS.SUCCESS) return b.status;
  const key = output ? 'output' : 'input';
  // One memory object per buffer, the request's child, gone when it completes.
  const mem = (r.memories[key] ??= describeMemory(k, r, b.buffer!, b.length!, true));
  k.m.setPtr(out, mem.handle);
  return STATUS.SUCCESS;
}

function retrieveMdl(k: Kernel, handle: bigint, output: boolean, out: bigint, routine: string): number {
  const r = fxRequest(k, handle, routine);
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL Mdl`);
  k.m.setPtr(out, 0n);
  const b = requestBuffer(k, r, output, true);
  if (b.status !== STATUS.SUCCESS) return b.status;
  k.m.setPtr(out, b.mdl!);
  return STATUS.SUCCESS;
}

/** The driver must own a request to complete, forward or requeue it. */
export function requireDriverOwned(k: Kernel, r: FxRequest, routine: string): void {
  // EvtIoInCallerContext owns the request it was given until it enqueues it.
  if (r.phase === 'presented' || (r.phase === 'new' && r.inCallerContext)) return;
  const why = r.phase === 'completed' ? 'was already completed' : r.phase === 'queued' ? 'is still in a queue (the framework owns it)' : 'was never presented to the driver';
  wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, r.handle, 0n, `${routine}(${hex(r.handle)}): the request ${why}`);
}

/**
 * Completes a driver-owned request: IoStatus from the status and the request's Information, the IRP completed,
 * the request deleted, and its queue told (a sequential queue presents its next request).
 */
export function completeFxRequest(k: Kernel, r: FxRequest, status: number, information: bigint | undefined, routine: string): void {
  if (!r.fromIo) wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, r.handle, 0n, `${routine}(${hex(r.handle)}): a request the driver created is sent, not completed`);
  requireDriverOwned(k, r, routine);
  if (r.cancelRoutine !== 0n && !r.cancelled) {
    wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, r.handle, 0n, `${routine}(${hex(r.handle)}): the request is still marked cancelable (WdfRequestUnmarkCancelable first)`);
  }
  if (information !== undefined) r.information = information;
  const m = k.m;
  const o = k.L.IRP.off;
  // A buffered read or IOCTL cannot report more bytes than its output buffer holds: the I/O manager would copy them.
  const p = stackParams(k, r);
  const buffered = m.ptrAt(r.irp, o['AssociatedIrp.SystemBuffer']) !== 0n;
  const outLen = r.major === IRP_MJ_READ ? p.length : r.major === IRP_MJ_DEVICE_CONTROL && (p.code & 3) === METHOD_BUFFERED ? p.outLen : undefined;
  if (status >= 0 && status < 0x80000000 && buffered && outLen !== undefined && r.information > BigInt(outLen)) {
    wdfViolation(k, WDF_REQUEST_FATAL_ERROR, INFORMATION_LENGTH_MISMATCH, r.handle, `${routine}(${hex(r.handle)}): Information ${r.information} is larger than the output buffer (${outLen} bytes)`);
  }
  m.setU32At(r.irp, o['IoStatus.Status'], status);
  m.setPtrAt(r.irp, o['IoStatus.Information'], r.information);
  m.setPtrAt(r.irp, o.CancelRoutine, 0n);
  r.phase = 'completed';
  const queue = r.queue;
  for (const mdl of builtMdls.get(r) ?? []) k.m.actingAs(0, () => k.pool.free_(mdl, 0));
  r.onComplete?.(status);
  completeRequest(k, r.irp, 0);
  r.noDelete = false;
  deleteObject(k, r);
  if (queue) requestDone(k, queue, r);
}

/** The IRP's cancel routine while the driver has the request marked cancelable: EvtRequestCancel(Request). */
function cancelRoutine(k: Kernel): bigint {
  return k.internalRoutine('FxRequest::_IrpCancelRoutine', 2, (k, [, irp]) => {
    releaseCancelLock(k, k.m.u8At(irp, k.L.IRP.off.CancelIrql), 'FxRequest cancel');
    const r = requestOfIrp(k, irp);
    if (r && r.cancelRoutine !== 0n && !r.cancelled) {
      r.cancelled = true;
      callEvt(k, r.cancelRoutine, [r.handle], 'EvtRequestCancel');
    }
    return 0n;
  });
}

const byIrp = new WeakMap<Kernel, Map<bigint, FxRequest>>();
export function trackIrp(k: Kernel, r: FxRequest): void {
  let t = byIrp.get(k);
  if (!t) byIrp.set(k, (t = new Map()));
  t.set(r.irp, r);
}
export function requestOfIrp(k: Kernel, irp: bigint): FxRequest | undefined {
  const r = byIrp.get(k)?.get(irp);
  return r && r.phase !== 'completed' ? r : undefined;
}

function markCancelable(k: Kernel, handle: bigint, routine: bigint, ex: boolean, name: string): number {
  const r = fxRequest(k, handle, name);
  requireDriverOwned(k, r, name);
  if (routine === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${name} was passed a NULL EvtRequestCancel`);
  const o = k.L.IRP.off;
  const irql = acquireCancelLock(k, name);
  r.cancelRoutine = routine;
  r.cancelled = false;
  if (k.m.u8At(r.irp, o.Cancel) !== 0) {
    // Cancelled already: the Ex form says so; the other calls EvtRequestCancel at once.
    releaseCancelLock(k, irql, name);
    if (ex) {
      r.cancelRoutine = 0n;
      return STATUS.CANCELLED;
    }
    r.cancelled = true;
    callEvt(k, routine, [r.handle], 'EvtRequestCancel');
    return STATUS.SUCCESS;
  }
  k.m.setPtrAt(r.irp, o.CancelRoutine, cancelRoutine(k));
  releaseCancelLock(k, irql, name);
  return STATUS.SUCCESS;
}

function unmarkCancelable(k: Kernel, handle: bigint): number {
  const r = fxRequest(k, handle, 'WdfRequestUnmarkCancelable');
  requireDriverOwned(k, r, 'WdfRequestUnmarkCancelable');
  if (r.cancelRoutine === 0n) return STATUS.INVALID_DEVICE_REQUEST;
  const irql = acquireCancelLock(k, 'WdfRequestUnmarkCancelable');
  k.m.setPtrAt(r.irp, k.L.IRP.off.CancelRoutine, 0n);
  releaseCancelLock(k, irql, 'WdfRequestUnmarkCancelable');
  const was = r.cancelled;
  r.cancelRoutine = 0n;
  // EvtRequestCancel ran (or runs): it completes the request, and the driver must not.
  return was ? STATUS.CANCELLED : STATUS.SUCCESS;
}

/** WDF_REQUEST_PARAMETERS from the IRP's current stack location. */
export function getParameters(k: Kernel, r: FxRequest, out: bigint): void {
  const L = wdfLayouts(k.arch).WDF_REQUEST_PARAMETERS;
  const m = k.m;
  if (m.u16(out) !== L.size) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `WdfRequestGetParameters: Parameters->Size is ${m.u16(out)}, not ${L.size} (WDF_REQUEST_PARAMETERS_INIT)`);
  const sl = currentStackLocation(k, r.irp);
  const so = k.L.IO_STACK_LOCATION.off;
  m.fill(out, L.size);
  m.setU16(out, L.size);
  m.setU8(out + BigInt(L.off.MinorFunction), m.u8At(sl, so.MinorFunction));
  m.setU32(out + BigInt(L.off.Type), r.major);
  // The union is IO_STACK_LOCATION.Parameters with size_t lengths: copy it field by field per type.
  const base = out + BigInt(L.off.Parameters);
  const p = stackParams(k, r);
  if (r.major === IRP_MJ_READ || r.major === IRP_MJ_WRITE) {
    m.setPtr(out + BigInt(L.off['Parameters.Read.Length']), BigInt(p.length));
    m.setU32(out + BigInt(L.off['Parameters.Read.Key']), m.u32At(sl, so['Parameters.Read.Key']));
    m.setU64(out + BigInt(L.off['Parameters.Read.DeviceOffset']), m.u64(sl + BigInt(so['Parameters.Read.ByteOffset'])));
  } else if (r.major === IRP_MJ_DEVICE_CONTROL || r.major === IRP_MJ_INTERNAL_DEVICE_CONTROL) {
    m.setPtr(out + BigInt(L.off['Parameters.DeviceIoControl.OutputBufferLength']), BigInt(p.outLen));
    m.setPtr(out + BigInt(L.off['Parameters.DeviceIoControl.InputBufferLength']), BigInt(p.inLen));
    m.setU32(out + BigInt(L.off['Parameters.DeviceIoControl.IoControlCode']), p.code);
    m.setPtr(out + BigInt(L.off['Parameters.DeviceIoControl.Type3InputBuffer']), p.type3);
  } else {
    // Others: the stack location's four parameter slots as they are.
    const ps = sl + BigInt(so.Parameters);
    for (let i = 0; i < 4; i++) m.setPtr(base + BigInt(i * k.ptrSize), m.ptr(ps + BigInt(i * k.ptrSize)));
  }
}

function probeAndLock(k: Kernel, handle: bigint, buffer: bigint, length: bigint, out: bigint, write: boolean, routine: string): number {
  const r = fxRequest(k, handle, routine);
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL MemoryObject`);
  k.m.setPtr(out, 0n);
  // Only in the requesting thread's context (EvtIoInCallerContext) are its user addresses the caller's.
  if (!r.inCallerContext) return STATUS.INVALID_DEVICE_REQUEST;
  if (length === 0n) return STATUS.INVALID_USER_BUFFER;
  const mdl = k.m.actingAs(0, () => allocateMdl(k, buffer, Number(length), 'system', 'Wdf01000.sys'));
  if (mdl === null) return STATUS.INSUFFICIENT_RESOURCES;
  try {
    probeAndLockPages(k, mdl, UserMode, write ? IoWriteAccess : IoReadAccess);
  } catch {
    k.m.actingAs(0, () => k.pool.free_(mdl, 0));
    return STATUS.ACCESS_VIOLATION;
  }
  const system = mapLockedPages(k, mdl, 0, 'Wdf01000.sys');
  const mem = describeMemory(k, r, system, Number(length), true);
  mem.dispose = () => releaseLockedMdl(k, mdl, system);
  k.m.setPtr(out, mem.handle);
  return STATUS.SUCCESS;
}

function releaseLockedMdl(k: Kernel, mdl: bigint, system: bigint): void {
  k.m.actingAs(0, () => {
    unmapLockedPages(k, system, mdl);
    unlockPages(k, mdl);
    freeMdl(k, mdl);
  });
}

function unsafeBuffer(k: Kernel, handle: bigint, output: boolean, minimum: bigint, bufferOut: bigint, lengthOut: bigint, routine: string): number {
  const r = fxRequest(k, handle, routine);
  if (bufferOut === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL InputBuffer`);
  k.m.setPtr(bufferOut, 0n);
  if (!r.inCallerContext) return STATUS.INVALID_DEVICE_REQUEST;
  const p = stackParams(k, r);
  const o = k.L.IRP.off;
  let buffer: bigint;
  let length: number;
  if ((r.major === IRP_MJ_DEVICE_CONTROL || r.major === IRP_MJ_INTERNAL_DEVICE_CONTROL) && (p.code & 3) === METHOD_NEITHER) {
    buffer = output ? k.m.ptrAt(r.irp, o.UserBuffer) : p.type3;
    length = output ? p.outLen : p.inLen;
  } else if ((r.major === IRP_MJ_READ && output) || (r.major === IRP_MJ_WRITE && !output)) {
    if (k.m.ptrAt(r.irp, o['AssociatedIrp.SystemBuffer']) !== 0n || k.m.ptrAt(r.irp, o.MdlAddress) !== 0n) return STATUS.INVALID_DEVICE_REQUEST;
    buffer = k.m.ptrAt(r.irp, o.UserBuffer);
    length = p.length;
  } else {
    return STATUS.INVALID_DEVICE_REQUEST;
  }
  if (length === 0) return STATUS.BUFFER_TOO_SMALL;
  if (BigInt(length) < minimum) return STATUS.BUFFER_TOO_SMALL;
  k.m.setPtr(bufferOut, buffer);
  if (lengthOut !== 0n) k.m.setPtr(lengthOut, BigInt(length));
  return STATUS.SUCCESS;
}

const req = { Request: 'handle' } as const;

export const exports = [
  wdfExport({
    name: 'WdfRequestComplete',
    proto: 'VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status)',
    params: { Request: 'handle', Status: 'status' },
    ret: 'void',
    impl: (k, a) => completeFxRequest(k, fxRequest(k, a.Request, 'WdfRequestComplete'), a.Status, undefined, 'WdfRequestComplete'),
  }),
  wdfExport({
    name: 'WdfRequestCompleteWithInformation',
    proto: 'VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information)',
    params: { Request: 'handle', Status: 'status', Information: 'usize' },
    ret: 'void',
    impl: (k, a) => completeFxRequest(k, fxRequest(k, a.Request, 'WdfRequestCompleteWithInformation'), a.Status, a.Information, 'WdfRequestCompleteWithInformation'),
  }),
  wdfExport({
    name: 'WdfRequestCompleteWithPriorityBoost',
    proto: 'VOID WdfRequestCompleteWithPriorityBoost(WDFREQUEST Request, NTSTATUS Status, CCHAR PriorityBoost)',
    params: { Request: 'handle', Status: 'status', PriorityBoost: 'u8' },
    ret: 'void',
    // The boost raises the waiting thread's priority; the emulated scheduler has no priorities to raise.
    impl: (k, a) => completeFxRequest(k, fxRequest(k, a.Request, 'WdfRequestCompleteWithPriorityBoost'), a.Status, undefined, 'WdfRequestCompleteWithPriorityBoost'),
  }),
  wdfExport({
    name: 'WdfRequestSetInformation',
    proto: 'VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information)',
    params: { Request: 'handle', Information: 'usize' },
    ret: 'void',
    impl: (k, a) => {
      fxRequest(k, a.Request, 'WdfRequestSetInformation').information = a.Information;
    },
  }),
  wdfExport({
    name: 'WdfRequestGetInformation',
    proto: 'ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request)',
    params: req,
    ret: 'usize',
    impl: (k, a) => fxRequest(k, a.Request, 'WdfRequestGetInformation').information,
  }),
  wdfExport({
    name: 'WdfRequestGetStatus',
    proto: 'NTSTATUS WdfRequestGetStatus(WDFREQUEST Request)',
    params: req,
    ret: 'status',
    impl: (k, a) => k.m.u32At(fxRequest(k, a.Request, 'WdfRequestGetStatus').irp, k.L.IRP.off['IoStatus.Status']),
  }),
  wdfExport({
    name: 'WdfRequestGetParameters',
    proto: 'VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters)',
    params: { Request: 'handle', Parameters: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestGetParameters');
      if (a.Parameters === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfRequestGetParameters was passed NULL Parameters');
      getParameters(k, r, a.Parameters);
    },
  }),
  wdfExport({
    name: 'WdfRequestRetrieveInputBuffer',
    proto: 'NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *Buffer, size_t *Length)',
    params: { Request: 'handle', MinimumRequiredLength: 'usize', Buffer: 'ptr', Length: 'ptr' },
    ret: 'status',
    impl: (k, a) => retrieveBuffer(k, a.Request, false, a.MinimumRequiredLength, a.Buffer, a.Length, 'WdfRequestRetrieveInputBuffer'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveOutputBuffer',
    proto: 'NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer, size_t *Length)',
    params: { Request: 'handle', MinimumRequiredSize: 'usize', Buffer: 'ptr', Length: 'ptr' },
    ret: 'status',
    impl: (k, a) => retrieveBuffer(k, a.Request, true, a.MinimumRequiredSize, a.Buffer, a.Length, 'WdfRequestRetrieveOutputBuffer'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveInputMemory',
    proto: 'NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory)',
    params: { Request: 'handle', Memory: 'ptr' },
    ret: 'status',
    impl: (k, a) => retrieveMemory(k, a.Request, false, a.Memory, 'WdfRequestRetrieveInputMemory'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveOutputMemory',
    proto: 'NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory)',
    params: { Request: 'handle', Memory: 'ptr' },
    ret: 'status',
    impl: (k, a) => retrieveMemory(k, a.Request, true, a.Memory, 'WdfRequestRetrieveOutputMemory'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveInputWdmMdl',
    proto: 'NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL *Mdl)',
    params: { Request: 'handle', Mdl: 'ptr' },
    ret: 'status',
    impl: (k, a) => retrieveMdl(k, a.Request, false, a.Mdl, 'WdfRequestRetrieveInputWdmMdl'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveOutputWdmMdl',
    proto: 'NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL *Mdl)',
    params: { Request: 'handle', Mdl: 'ptr' },
    ret: 'status',
    impl: (k, a) => retrieveMdl(k, a.Request, true, a.Mdl, 'WdfRequestRetrieveOutputWdmMdl'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveUnsafeUserInputBuffer',
    proto: 'NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *InputBuffer, size_t *Length)',
    params: { Request: 'handle', MinimumRequiredLength: 'usize', InputBuffer: 'ptr', Length: 'ptr' },
    ret: 'status',
    impl: (k, a) => unsafeBuffer(k, a.Request, false, a.MinimumRequiredLength, a.InputBuffer, a.Length, 'WdfRequestRetrieveUnsafeUserInputBuffer'),
  }),
  wdfExport({
    name: 'WdfRequestRetrieveUnsafeUserOutputBuffer',
    proto: 'NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *OutputBuffer, size_t *Length)',
    params: { Request: 'handle', MinimumRequiredLength: 'usize', OutputBuffer: 'ptr', Length: 'ptr' },
    ret: 'status',
    impl: (k, a) => unsafeBuffer(k, a.Request, true, a.MinimumRequiredLength, a.OutputBuffer, a.Length, 'WdfRequestRetrieveUnsafeUserOutputBuffer'),
  }),
  wdfExport({
    name: 'WdfRequestProbeAndLockUserBufferForRead',
    proto: 'NTSTATUS WdfRequestProbeAndLockUserBufferForRead(WDFREQUEST Request, PVOID Buffer, size_t Length, WDFMEMORY *MemoryObject)',
    params: { Request: 'handle', Buffer: 'ptr', Length: 'usize', MemoryObject: 'ptr' },
    ret: 'status',
    impl: (k, a) => probeAndLock(k, a.Request, a.Buffer, a.Length, a.MemoryObject, false, 'WdfRequestProbeAndLockUserBufferForRead'),
  }),
  wdfExport({
    name: 'WdfRequestProbeAndLockUserBufferForWrite',
    proto: 'NTSTATUS WdfRequestProbeAndLockUserBufferForWrite(WDFREQUEST Request, PVOID Buffer, size_t Length, WDFMEMORY *MemoryObject)',
    params: { Request: 'handle', Buffer: 'ptr', Length: 'usize', MemoryObject: 'ptr' },
    ret: 'status',
    impl: (k, a) => probeAndLock(k, a.Request, a.Buffer, a.Length, a.MemoryObject, true, 'WdfRequestProbeAndLockUserBufferForWrite'),
  }),
  wdfExport({
    name: 'WdfRequestMarkCancelable',
    proto: 'VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)',
    params: { Request: 'handle', EvtRequestCancel: 'ptr' },
    ret: 'void',
    impl: (k, a) => void markCancelable(k, a.Request, a.EvtRequestCancel, false, 'WdfRequestMarkCancelable'),
  }),
  wdfExport({
    name: 'WdfRequestMarkCancelableEx',
    proto: 'NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)',
    params: { Request: 'handle', EvtRequestCancel: 'ptr' },
    ret: 'status',
    impl: (k, a) => markCancelable(k, a.Request, a.EvtRequestCancel, true, 'WdfRequestMarkCancelableEx'),
  }),
  wdfExport({
    name: 'WdfRequestUnmarkCancelable',
    proto: 'NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request)',
    params: req,
    ret: 'status',
    impl: (k, a) => unmarkCancelable(k, a.Request),
  }),
  wdfExport({
    name: 'WdfRequestIsCanceled',
    proto: 'BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request)',
    params: req,
    ret: 'bool',
    impl: (k, a) => (k.m.u8At(fxRequest(k, a.Request, 'WdfRequestIsCanceled').irp, k.L.IRP.off.Cancel) !== 0 ? 1 : 0),
  }),
  wdfExport({
    name: 'WdfRequestGetRequestorMode',
    proto: 'KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request)',
    params: req,
    ret: 'u8',
    impl: (k, a) => k.m.u8At(fxRequest(k, a.Request, 'WdfRequestGetRequestorMode').irp, k.L.IRP.off.RequestorMode),
  }),
  wdfExport({
    name: 'WdfRequestIsFrom32BitProcess',
    proto: 'BOOLEAN WdfRequestIsFrom32BitProcess(WDFREQUEST Request)',
    params: req,
    // The one user process runs the driver's own architecture: never a WOW64 process.
    ret: 'bool',
    impl: (k, a) => (fxRequest(k, a.Request, 'WdfRequestIsFrom32BitProcess'), 0),
  }),
  wdfExport({
    name: 'WdfRequestWdmGetIrp',
    proto: 'PIRP WdfRequestWdmGetIrp(WDFREQUEST Request)',
    params: req,
    ret: 'ptr',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestWdmGetIrp');
      // The IRP is only the driver's while it owns the request.
      if (r.fromIo) requireDriverOwned(k, r, 'WdfRequestWdmGetIrp');
      return r.irp;
    },
  }),
  wdfExport({
    name: 'WdfRequestGetFileObject',
    proto: 'WDFFILEOBJECT WdfRequestGetFileObject(WDFREQUEST Request)',
    params: req,
    ret: 'handle',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestGetFileObject');
      const file = k.m.ptrAt(currentStackLocation(k, r.irp), k.L.IO_STACK_LOCATION.off.FileObject);
      return r.device?.files.get(file)?.handle ?? 0n;
    },
  }),
  wdfExport({
    name: 'WdfRequestGetIoQueue',
    proto: 'WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request)',
    params: req,
    ret: 'handle',
    impl: (k, a) => fxRequest(k, a.Request, 'WdfRequestGetIoQueue').queue?.handle ?? 0n,
  }),
];
