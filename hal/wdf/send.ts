// Sending requests to I/O targets: driver-created requests (WdfRequestCreate, WdfRequestReuse), formatting an IRP's
// next stack location for a target, WdfRequestSend (synchronously, asynchronously with the driver's
// EvtRequestCompletionRoutine, or send-and-forget for a request the framework delivered), timeouts, cancellation,
// and the completion parameters the driver reads afterwards.
//
// The IRP is the request's own (a driver-created request's, allocated with the target's stack size; a delivered
// request's, the I/O manager's). Buffers go to the target device as the I/O manager would hand a kernel caller's to
// it: a read's or write's buffer as the system buffer (DO_BUFFERED_IO), through an MDL (DO_DIRECT_IO) or as is; an
// IOCTL's by its transfer method (METHOD_BUFFERED through one framework buffer the output is copied back from). The
// framework's completion routine on the target's stack location gets the IRP back (STATUS_MORE_PROCESSING_REQUIRED)
// and then tells the driver; a timed-out request is cancelled and reports STATUS_IO_TIMEOUT.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { allocateIrp, callDriver, currentStackLocation, expectCompletion, forgetIrp, initializeIrp, nextStackLocation } from '../io/irp.js';
import { cancelIrp } from '../io/cancel.js';
import { SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, STATUS_MORE_PROCESSING_REQUIRED, DO_BUFFERED_IO, DO_DIRECT_IO } from '../io/constants.js';
import { deadlineOf, waitUntil } from '../ke/clock.js';
import { setTimer } from '../ke/timer.js';
import { allocateMdl, buildMdlForNonPagedPool, freeMdl, mapLockedPages, MDL_MAPPED_TO_SYSTEM_VA, MDL_SOURCE_IS_NONPAGED_POOL } from '../mm/mdl.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';
import { wdfLayouts } from './layout.js';
import {
  applyAttributes, callEvt, deleteObject, fxObject, readAttributes, reference, registerObject, release, wdfViolation,
  WDF_REQUEST_FATAL_ERROR, WDF_REQUIRED_PARAMETER_IS_NULL, WDF_VERIFIER_FATAL_ERROR,
} from './object.js';
import { fxMemory, type FxMemory } from './memory.js';
import { completeFxRequest, FxRequest, fxRequest, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL } from './request.js';
import { requestDone } from './queue.js';
import { fxIoTarget, targetStackSize, targetState, type FxIoTarget } from './iotarget.js';

const WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE = 0x1;
const WDF_REQUEST_SEND_OPTION_TIMEOUT = 0x2;
const WDF_REQUEST_SEND_OPTION_SYNCHRONOUS = 0x4;
const WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET = 0x8;
const WDF_REQUEST_REUSE_SET_NEW_IRP = 0x1;
const WdfMemoryDescriptorTypeBuffer = 1;
const WdfMemoryDescriptorTypeMdl = 2;
const WdfMemoryDescriptorTypeHandle = 3;
const METHOD_BUFFERED = 0;
const METHOD_IN_DIRECT = 1;
const METHOD_OUT_DIRECT = 2;
/** The request type a request has before it is formatted (WdfRequestTypeNoFormat). */
const WdfRequestTypeNoFormat = 0xff;
/** 'FxRq': the framework's blocks for requests it sends (completion parameters, double buffers, timers). */
const TAG = 0x71527846;

/** A buffer a request carries: its system address, an MDL that already describes it, the memory object it came from. */
export interface Buf {
  readonly va: bigint;
  readonly length: number;
  readonly mdl: bigint;
  readonly memory?: FxMemory;
  readonly offset: number;
}

export type FormatKind = 'read' | 'write' | 'ioctl' | 'internal' | 'others' | 'current';

export interface FormatSpec {
  readonly kind: FormatKind;
  readonly major: number;
  readonly code: number;
  readonly input?: Buf;
  readonly output?: Buf;
  readonly deviceOffset: bigint;
  /** An internal IOCTL's "other" arguments: Argument1, Argument2 and Argument4 (Argument3 holds the code). */
  readonly others?: readonly (Buf | undefined)[];
}

interface Formatted extends FormatSpec {
  /** Resources the formatting made (MDLs, the METHOD_BUFFERED buffer), released when the request comes back. */
  readonly release: (() => void)[];
  /** METHOD_BUFFERED with distinct buffers: the output is copied from the framework's buffer. */
  copyBack?: { from: bigint; to: bigint; max: number };
  /** A delivered request's own IRP buffer fields, put back when it returns from the target. */
  saved?: { system: bigint; mdl: bigint; user: bigint };
}

/** One trip of an IRP to a target. */
export interface Outgoing {
  readonly id: number;
  readonly irp: bigint;
  readonly target: FxIoTarget;
  readonly request?: FxRequest;
  readonly sync: boolean;
  done: boolean;
  timedOut: boolean;
  /** The asynchronous timeout's KTIMER and KDPC (one block). */
  timer?: { block: bigint; fired: boolean };
  timeout?: bigint;
}

/** What the framework keeps for a request it sends. */
interface SendState {
  routine: bigint;
  context: bigint;
  /** WDF_REQUEST_COMPLETION_PARAMS in guest memory, filled when the request comes back. */
  params: bigint;
  format?: Formatted;
  out?: Outgoing;
  /** The IRP the framework allocated for a request the driver created (freed with it). */
  ownIrp: bigint;
  lastTarget?: FxIoTarget;
}

const states = new WeakMap<FxRequest, SendState>();
const outgoing = new WeakMap<Kernel, Map<number, Outgoing>>();
let nextId = 1;

function outTable(k: Kernel): Map<number, Outgoing> {
  let t = outgoing.get(k);
  if (!t) outgoing.set(k, (t = new Map()));
  return t;
}

function stateOf(k: Kernel, r: FxRequest): SendState {
  let s = states.get(r);
  if (!s) {
    s = { routine: 0n, context: 0n, params: 0n, ownIrp: 0n };
    states.set(r, s);
    const prev = r.dispose;
    const st = s;
    r.dispose = () => {
      prev?.();
      disposeSendState(k, r, st);
    };
  }
  return s;
}

function disposeSendState(k: Kernel, r: FxRequest, s: SendState): void {
  if (s.out && !s.out.done) {
    wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `the request ${hex(r.handle)} was deleted while it is still sent to I/O target ${hex(s.out.target.handle)} (cancel it and wait for its completion routine first)`);
  }
  releaseFormat(k, s);
  k.m.actingAs(0, () => {
    if (s.params !== 0n) k.pool.free_(s.params, 0);
    if (s.ownIrp !== 0n) k.pool.free_(s.ownIrp, 0);
  });
  s.params = 0n;
  s.ownIrp = 0n;
}

function alloc(k: Kernel, size: number): bigint | null {
  return k.m.actingAs(0, () => k.pool.allocate(size, TAG, 0, 'system', 'Wdf01000.sys'));
}

/** WDF_REQUEST_SEND_OPTIONS (NULL: none). */
export interface SendOptions {
  readonly flags: number;
  readonly timeout?: bigint;
}

export function readSendOptions(k: Kernel, p: bigint): SendOptions | number {
  if (p === 0n) return { flags: 0 };
  const L = wdfLayouts(k.arch).WDF_REQUEST_SEND_OPTIONS;
  if (k.m.u32(p) !== L.size) return STATUS.INFO_LENGTH_MISMATCH;
  const flags = k.m.u32(p + BigInt(L.off.Flags));
  return flags & WDF_REQUEST_SEND_OPTION_TIMEOUT ? { flags, timeout: k.m.u64(p + BigInt(L.off.Timeout)) } : { flags };
}

/** The system address of an MDL's buffer (MmGetSystemAddressForMdlSafe). */
function mdlAddress(k: Kernel, mdl: bigint): bigint {
  const o = k.L.MDL.off;
  if (k.m.u16At(mdl, o.MdlFlags) & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) return k.m.ptrAt(mdl, o.MappedSystemVa);
  return mapLockedPages(k, mdl, 0, 'Wdf01000.sys');
}

/** A WDF_MEMORY_DESCRIPTOR as a buffer; a status for one the framework rejects. */
export function readDescriptor(k: Kernel, p: bigint, routine: string): Buf | number {
  const L = wdfLayouts(k.arch).WDF_MEMORY_DESCRIPTOR;
  const m = k.m;
  const at = (f: string) => p + BigInt(L.off[f]);
  const type = m.u32(p);
  if (type === WdfMemoryDescriptorTypeBuffer) {
    const va = m.ptr(at('u.BufferType.Buffer'));
    const length = m.u32(at('u.BufferType.Length'));
    if (va === 0n || length === 0) return STATUS.INVALID_PARAMETER;
    return { va, length, mdl: 0n, offset: 0 };
  }
  if (type === WdfMemoryDescriptorTypeMdl) {
    const mdl = m.ptr(at('u.MdlType.Mdl'));
    const length = m.u32(at('u.MdlType.BufferLength'));
    if (mdl === 0n || length === 0) return STATUS.INVALID_PARAMETER;
    return { va: mdlAddress(k, mdl), length, mdl, offset: 0 };
  }
  if (type === WdfMemoryDescriptorTypeHandle) {
    const mem = fxMemory(k, m.ptr(at('u.HandleType.Memory')), routine);
    const offsets = m.ptr(at('u.HandleType.Offsets'));
    let offset = 0n;
    let length = BigInt(mem.length);
    if (offsets !== 0n) {
      const O = wdfLayouts(k.arch).WDFMEMORY_OFFSET;
      offset = m.ptr(offsets + BigInt(O.off.BufferOffset));
      const l = m.ptr(offsets + BigInt(O.off.BufferLength));
      length = l === 0n ? BigInt(mem.length) - offset : l;
      if (offset > BigInt(mem.length) || length > BigInt(mem.length) - offset) return STATUS.INVALID_BUFFER_SIZE;
    }
    return { va: mem.buffer + offset, length: Number(length), mdl: 0n, memory: mem, offset: Number(offset) };
  }
  return STATUS.INVALID_PARAMETER;
}

/** An MDL for a kernel buffer (IoAllocateMdl + MmBuildMdlForNonPagedPool), freed when the request comes back. */
function mdlFor(k: Kernel, b: Buf, release: (() => void)[]): bigint | null {
  if (b.mdl !== 0n) return b.mdl;
  const mdl = k.m.actingAs(0, () => allocateMdl(k, b.va, b.length, 'system', 'Wdf01000.sys'));
  if (mdl === null) return null;
  buildMdlForNonPagedPool(k, mdl);
  release.push(() => k.m.actingAs(0, () => freeMdl(k, mdl)));
  return mdl;
}

/** A formatting that could not finish gives back what it made so far. */
function abandon(f: Formatted, status: number): number {
  for (const r of f.release.splice(0)) r();
  return status;
}

function buffersOf(f: FormatSpec): (Buf | undefined)[] {
  return [f.input, f.output, ...(f.others ?? [])];
}

function releaseFormat(k: Kernel, s: SendState): void {
  const f = s.format;
  if (!f) return;
  for (const r of f.release.splice(0)) r();
  for (const b of buffersOf(f)) if (b?.memory) release(k, b.memory);
  s.format = undefined;
}

/**
 * Writes the IRP's next stack location (and its buffer fields) for the target, as the framework formats a request.
 * Returns a status for what cannot be formatted.
 */
function formatIrp(k: Kernel, irp: bigint, t: FxIoTarget | undefined, spec: FormatSpec, saveOwn: boolean): Formatted | number {
  const m = k.m;
  const o = k.L.IRP.off;
  const so = k.L.IO_STACK_LOCATION.off;
  if (m.u8At(irp, o.CurrentLocation) <= 1) return STATUS.REQUEST_NOT_ACCEPTED;
  const f: Formatted = { ...spec, release: [] };
  if (saveOwn) f.saved = { system: m.ptrAt(irp, o['AssociatedIrp.SystemBuffer']), mdl: m.ptrAt(irp, o.MdlAddress), user: m.ptrAt(irp, o.UserBuffer) };
  const sl = nextStackLocation(k, irp);
  if (spec.kind === 'current') {
    // IoCopyCurrentIrpStackLocationToNext: everything but the completion routine, its context and its control flags.
    const cur = currentStackLocation(k, irp);
    m.write(sl, m.read(cur, k.L.IO_STACK_LOCATION.size));
    m.setPtrAt(sl, so.CompletionRoutine, 0n);
    m.setPtrAt(sl, so.Context, 0n);
    m.setU8At(sl, so.Control, 0);
    return f;
  }
  m.fill(sl, k.L.IO_STACK_LOCATION.size);
  m.setU8At(sl, so.MajorFunction, spec.major);
  m.setPtrAt(sl, so.FileObject, t?.fileObject ?? 0n);
  const devFlags = !t || t.targetDevice === 0n ? 0 : m.u32At(t.targetDevice, k.L.DEVICE_OBJECT.off.Flags);
  let system = 0n;
  let mdl = 0n;
  let user = 0n;
  if (spec.kind === 'others') {
    // The arguments as they are: no buffering, the target knows what they point to.
    const [a1, a2, a4] = spec.others ?? [];
    m.setPtrAt(sl, so['Parameters.Others.Argument1'], a1?.va ?? 0n);
    m.setPtrAt(sl, so['Parameters.Others.Argument2'], a2?.va ?? 0n);
    m.setPtrAt(sl, so['Parameters.Others.Argument4'], a4?.va ?? 0n);
    m.setU32At(sl, so['Parameters.DeviceIoControl.IoControlCode'], spec.code);
  } else if (spec.kind === 'read' || spec.kind === 'write') {
    const b = (spec.kind === 'read' ? spec.output : spec.input)!;
    m.setU32At(sl, so['Parameters.Read.Length'], b.length);
    m.setU64(sl + BigInt(so['Parameters.Read.ByteOffset']), spec.deviceOffset);
    user = b.va;
    if (devFlags & DO_BUFFERED_IO) system = b.va;
    else if (devFlags & DO_DIRECT_IO) {
      const x = mdlFor(k, b, f.release);
      if (x === null) return abandon(f, STATUS.INSUFFICIENT_RESOURCES);
      mdl = x;
    }
  } else {
    const inLen = spec.input?.length ?? 0;
    const outLen = spec.output?.length ?? 0;
    m.setU32At(sl, so['Parameters.DeviceIoControl.OutputBufferLength'], outLen);
    m.setU32At(sl, so['Parameters.DeviceIoControl.InputBufferLength'], inLen);
    m.setU32At(sl, so['Parameters.DeviceIoControl.IoControlCode'], spec.code);
    const method = spec.code & 3;
    user = spec.output?.va ?? 0n;
    if (method === METHOD_BUFFERED) {
      if (spec.input && spec.output && spec.input.va !== spec.output.va) {
        // One buffer for both ways: the input copied in, the output copied out when the request comes back.
        const size = Math.max(inLen, outLen);
        const buf = alloc(k, size);
        if (buf === null) return abandon(f, STATUS.INSUFFICIENT_RESOURCES);
        m.write(buf, m.read(spec.input.va, inLen));
        f.release.push(() => k.m.actingAs(0, () => k.pool.free_(buf, 0)));
        f.copyBack = { from: buf, to: spec.output.va, max: outLen };
        system = buf;
      } else {
        system = (spec.input ?? spec.output)?.va ?? 0n;
      }
    } else if (method === METHOD_IN_DIRECT || method === METHOD_OUT_DIRECT) {
      system = spec.input?.va ?? 0n;
      if (spec.output) {
        const x = mdlFor(k, spec.output, f.release);
        if (x === null) return abandon(f, STATUS.INSUFFICIENT_RESOURCES);
        mdl = x;
      }
    } else {
      m.setPtrAt(sl, so['Parameters.DeviceIoControl.Type3InputBuffer'], spec.input?.va ?? 0n);
    }
  }
  m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], system);
  m.setPtrAt(irp, o.MdlAddress, mdl);
  m.setPtrAt(irp, o.UserBuffer, user);
  return f;
}

/** Formats a request for a target (the Format* entries); the memory objects stay referenced until it is reformatted. */
export function formatForTarget(k: Kernel, routine: string, r: FxRequest, t: FxIoTarget, spec: FormatSpec): number {
  const s = stateOf(k, r);
  if (s.out && !s.out.done) wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `${routine}(${hex(r.handle)}): the request is still sent to an I/O target`);
  if (r.fromIo && r.phase !== 'presented') wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, r.handle, 0n, `${routine}(${hex(r.handle)}): the driver does not own the request`);
  if (t.ioState === 'closed' || t.ioState === 'deleted') return STATUS.INVALID_DEVICE_STATE;
  restoreOwnBuffers(k, r, s);
  releaseFormat(k, s);
  const f = formatIrp(k, r.irp, t, spec, r.fromIo);
  if (typeof f === 'number') return f;
  for (const b of buffersOf(f)) if (b?.memory) reference(b.memory);
  s.format = f;
  s.lastTarget = t;
  if (!r.fromIo) (r as { major: number }).major = spec.major;
  return STATUS.SUCCESS;
}

/** A delivered request's IRP gets its own buffers back once a Format* formatting is done with. */
function restoreOwnBuffers(k: Kernel, r: FxRequest, s: SendState): void {
  const saved = s.format?.saved;
  if (!saved || !r.fromIo) return;
  const o = k.L.IRP.off;
  k.m.setPtrAt(r.irp, o['AssociatedIrp.SystemBuffer'], saved.system);
  k.m.setPtrAt(r.irp, o.MdlAddress, saved.mdl);
  k.m.setPtrAt(r.irp, o.UserBuffer, saved.user);
  s.format!.saved = undefined;
}

/** The framework's completion routine on the target's stack location: the IRP is the framework's again. */
function completionRoutine(k: Kernel): bigint {
  return k.internalRoutine('FxIoTarget::_RequestCompletionRoutine', 3, (k, [, irp, context]) => {
    const out = outTable(k).get(Number(context));
    if (out && out.irp === irp && !out.done) requestReturned(k, out);
    return BigInt(STATUS_MORE_PROCESSING_REQUIRED);
  });
}

/** The asynchronous timeout's DPC: the request is cancelled (it completes as STATUS_IO_TIMEOUT). */
function timeoutDpc(k: Kernel): bigint {
  return k.internalRoutine('FxRequestBase::_TimerDPC', 4, (k, [, context]) => {
    const out = outTable(k).get(Number(context));
    if (!out || !out.timer) return 0n;
    out.timer.fired = true;
    if (out.done) {
      freeTimer(k, out);
    } else {
      out.timedOut = true;
      cancelIrp(k, out.irp);
    }
    return 0n;
  });
}

function freeTimer(k: Kernel, out: Outgoing): void {
  const block = out.timer?.block;
  out.timer = undefined;
  if (block) k.m.actingAs(0, () => k.pool.free_(block, 0));
  if (out.done) outTable(k).delete(out.id);
}

function armTimeout(k: Kernel, out: Outgoing, timeout: bigint): boolean {
  const T = k.L.KTIMER;
  const D = k.L.KDPC;
  const dpcAt = Math.ceil(T.size / 16) * 16;
  const block = alloc(k, dpcAt + D.size);
  if (block === null) return false;
  k.m.fill(block, dpcAt + D.size);
  const dpc = block + BigInt(dpcAt);
  k.m.setU8At(dpc, D.off.Type, 0x13 /* DpcObject */);
  k.m.setU8At(dpc, D.off.Importance, 1 /* MediumImportance */);
  k.m.setPtrAt(dpc, D.off.DeferredRoutine, timeoutDpc(k));
  k.m.setPtrAt(dpc, D.off.DeferredContext, BigInt(out.id));
  out.timer = { block, fired: false };
  setTimer(k, block, timeout, 0, dpc);
  return true;
}

/** Cancels the armed timeout when the request comes back first; a timer already expired frees itself in its DPC. */
function disarmTimeout(k: Kernel, out: Outgoing): void {
  if (!out.timer) return;
  if (out.timer.fired) {
    freeTimer(k, out);
    return;
  }
  const cancelled = k.callRoutine(k.systemRoutine('KeCancelTimer'), [out.timer.block], 'KeCancelTimer') & 0xffn;
  if (cancelled !== 0n) freeTimer(k, out);
}

function irpStatus(k: Kernel, irp: bigint): number {
  return k.m.u32At(irp, k.L.IRP.off['IoStatus.Status']);
}

/** The request is back from the target: undo the formatting's buffers, fill the completion parameters, tell the driver. */
function requestReturned(k: Kernel, out: Outgoing): void {
  const m = k.m;
  const o = k.L.IRP.off;
  const irp = out.irp;
  out.done = true;
  out.target.sent.delete(out);
  disarmTimeout(k, out);
  if (!out.timer) outTable(k).delete(out.id);
  // A request the framework timed out and the target then cancelled reports the timeout.
  if (out.timedOut && irpStatus(k, irp) === STATUS.CANCELLED) m.setU32At(irp, o['IoStatus.Status'], STATUS.IO_TIMEOUT);
  const r = out.request;
  const s = r ? stateOf(k, r) : undefined;
  const f = s?.format;
  if (f?.copyBack) {
    const n = Math.min(Number(m.ptrAt(irp, o['IoStatus.Information'])), f.copyBack.max);
    if (irpStatus(k, irp) < 0x80000000 && n > 0) m.write(f.copyBack.to, m.read(f.copyBack.from, n));
  }
  if (!r || !r.fromIo) forgetIrp(k, irp);
  if (!r || !s) return;
  restoreOwnBuffers(k, r, s);
  fillCompletionParams(k, r, s, out.target);
  if (out.sync) return;
  if (s.routine !== 0n) {
    callEvt(k, s.routine, [r.handle, out.target.handle, s.params, s.context], 'EvtRequestCompletionRoutine');
  } else if (r.fromIo) {
    // Without a completion routine the framework completes a delivered request with the target's outcome.
    completeFxRequest(k, r, irpStatus(k, irp), m.ptrAt(irp, o['IoStatus.Information']), 'WdfRequestSend');
  }
}

/** WDF_REQUEST_COMPLETION_PARAMS as the request came back. */
function fillCompletionParams(k: Kernel, r: FxRequest, s: SendState, t: FxIoTarget | undefined): void {
  const L = wdfLayouts(k.arch).WDF_REQUEST_COMPLETION_PARAMS;
  const m = k.m;
  if (s.params === 0n) {
    const p = alloc(k, L.size);
    if (p === null) throw new GuestStop('resource-limit', 'no pool left for a request\'s completion parameters');
    s.params = p;
  }
  const p = s.params;
  const at = (f: string) => p + BigInt(L.off[f]);
  m.fill(p, L.size);
  m.setU32(p, L.size);
  const f = s.format;
  m.setU32(at('Type'), f ? (f.kind === 'current' ? r.major : f.major) : WdfRequestTypeNoFormat);
  const o = k.L.IRP.off;
  const info = m.ptrAt(r.irp, o['IoStatus.Information']);
  m.setPtr(at('IoStatus.Status'), BigInt(irpStatus(k, r.irp)));
  m.setPtr(at('IoStatus.Information'), info);
  if (!f || !t) return;
  if (f.kind === 'read' || f.kind === 'write') {
    const b = f.kind === 'read' ? f.output : f.input;
    m.setPtr(at('Parameters.Write.Buffer'), b?.memory?.handle ?? 0n);
    m.setPtr(at('Parameters.Write.Length'), info);
    m.setPtr(at('Parameters.Write.Offset'), BigInt(b?.offset ?? 0));
  } else if (f.kind === 'others') {
    // The arguments as the target got them, the code in Argument3's place.
    const [a1, a2, a4] = f.others ?? [];
    m.setPtr(at('Parameters.Others.Argument1'), a1?.va ?? 0n);
    m.setPtr(at('Parameters.Others.Argument2'), a2?.va ?? 0n);
    m.setPtr(at('Parameters.Others.Argument3'), BigInt(f.code));
    m.setPtr(at('Parameters.Others.Argument4'), a4?.va ?? 0n);
  } else if (f.kind === 'ioctl' || f.kind === 'internal') {
    m.setU32(at('Parameters.Ioctl.IoControlCode'), f.code);
    m.setPtr(at('Parameters.Ioctl.Input.Buffer'), f.input?.memory?.handle ?? 0n);
    m.setPtr(at('Parameters.Ioctl.Input.Offset'), BigInt(f.input?.offset ?? 0));
    m.setPtr(at('Parameters.Ioctl.Output.Buffer'), f.output?.memory?.handle ?? 0n);
    m.setPtr(at('Parameters.Ioctl.Output.Offset'), BigInt(f.output?.offset ?? 0));
    m.setPtr(at('Parameters.Ioctl.Output.Length'), info);
  } else if (r.major === IRP_MJ_DEVICE_CONTROL || r.major === IRP_MJ_INTERNAL_DEVICE_CONTROL) {
    const sl = currentStackLocation(k, r.irp);
    m.setU32(at('Parameters.Ioctl.IoControlCode'), m.u32At(sl, k.L.IO_STACK_LOCATION.off['Parameters.DeviceIoControl.IoControlCode']));
  }
}

/** Hands the IRP to the target device with the framework's completion routine on its stack location. */
function deliver(k: Kernel, out: Outgoing): void {
  const m = k.m;
  const sl = nextStackLocation(k, out.irp);
  const so = k.L.IO_STACK_LOCATION.off;
  m.setPtrAt(sl, so.CompletionRoutine, completionRoutine(k));
  m.setPtrAt(sl, so.Context, BigInt(out.id));
  m.setU8At(sl, so.Control, SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL);
  const o = k.L.IRP.off;
  m.setU8At(out.irp, o.Cancel, 0);
  m.setPtrAt(out.irp, o.CancelRoutine, 0n);
  if (!out.request?.fromIo) {
    // The framework's own IRP: issued by a kernel-mode caller on the current thread.
    m.setU8At(out.irp, o.RequestorMode, 0);
    m.setPtrAt(out.irp, o['Tail.Overlay.Thread'], k.ps.current.ethread);
    m.setPtrAt(out.irp, o['Tail.Overlay.OriginalFileObject'], out.target.fileObject);
    m.setU32At(out.irp, o['IoStatus.Status'], 0);
    m.setPtrAt(out.irp, o['IoStatus.Information'], 0n);
    expectCompletion(k, out.irp, m.u8At(sl, so.MajorFunction), out.target.targetDevice, () => {});
  }
  out.target.sent.add(out);
  if (!out.sync && out.timeout !== undefined && !armTimeout(k, out, out.timeout)) {
    out.target.sent.delete(out);
    failOutgoing(k, out, STATUS.INSUFFICIENT_RESOURCES);
    return;
  }
  callDriver(k, out.target.targetDevice, out.irp);
}

/** A request that never reached the target device: it completes with the status given. */
function failOutgoing(k: Kernel, out: Outgoing, status: number): void {
  const o = k.L.IRP.off;
  k.m.setU32At(out.irp, o['IoStatus.Status'], status);
  k.m.setPtrAt(out.irp, o['IoStatus.Information'], 0n);
  if (!out.request?.fromIo) forgetIrp(k, out.irp);
  requestReturned(k, out);
}

/** IoCancelIrp for a sent request; one still waiting in a stopped target completes as STATUS_CANCELLED. */
export function cancelOutgoing(k: Kernel, out: Outgoing): boolean {
  if (out.done) return false;
  const i = out.target.waiting.indexOf(out);
  if (i >= 0) {
    out.target.waiting.splice(i, 1);
    failOutgoing(k, out, STATUS.CANCELLED);
    return true;
  }
  return cancelIrp(k, out.irp);
}

/** A started target sends what waited in it while it was stopped. */
export function deliverWaiting(k: Kernel, t: FxIoTarget): void {
  for (const out of t.waiting.splice(0)) deliver(k, out);
}

/** Whether the request's IRP has the stack locations the target needs. */
function stackOk(k: Kernel, irp: bigint, t: FxIoTarget): boolean {
  return k.m.u8At(irp, k.L.IRP.off.CurrentLocation) - 1 >= targetStackSize(k, t);
}

/** Checks the target can take a request now; a status when it cannot. */
function admit(k: Kernel, t: FxIoTarget, opts: SendOptions, sync: boolean): number | 'queue' | 'send' {
  const state = targetState(t);
  if (state === 'closed' || state === 'deleted' || t.targetDevice === 0n) return STATUS.INVALID_DEVICE_STATE;
  if (state === 'stopped' && !(opts.flags & WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE)) return sync ? STATUS.INVALID_DEVICE_STATE : 'queue';
  return 'send';
}

/** Waits for a synchronous send, cancelling it when its timeout passes. */
function waitFor(k: Kernel, out: Outgoing, routine: string): void {
  if (out.done) return;
  if (out.timeout !== undefined && !waitUntil(k, () => out.done, deadlineOf(k, out.timeout), routine)) {
    out.timedOut = true;
    cancelIrp(k, out.irp);
  }
  if (!out.done && !waitUntil(k, () => out.done, undefined, routine)) {
    throw new GuestStop('deadlock', `${routine} waits for IRP ${hex(out.irp)} sent to ${hex(out.target.targetDevice)}, and nothing in the machine will complete it`, {});
  }
}

function newOutgoing(irp: bigint, target: FxIoTarget, request: FxRequest | undefined, sync: boolean, timeout: bigint | undefined): Outgoing {
  return { id: nextId++, irp, target, request, sync, done: false, timedOut: false, ...(timeout !== undefined ? { timeout } : {}) };
}

/**
 * The Send*Synchronously entries: formats the driver's request (or an IRP of the framework's own), sends it and waits.
 * Returns the completion status and Information.
 */
export function sendSynchronously(k: Kernel, routine: string, t: FxIoTarget, r: FxRequest | undefined, spec: FormatSpec, opts: SendOptions): { status: number; information: bigint } {
  if (k.irql > 0) return { status: STATUS.INVALID_DEVICE_REQUEST, information: 0n };
  const admitted = admit(k, t, opts, true);
  if (typeof admitted === 'number') return { status: admitted, information: 0n };
  const o = k.L.IRP.off;
  if (r) {
    const status = formatForTarget(k, routine, r, t, spec);
    if (status !== STATUS.SUCCESS) return { status, information: 0n };
    if (!stackOk(k, r.irp, t)) return { status: STATUS.REQUEST_NOT_ACCEPTED, information: 0n };
    const s = stateOf(k, r);
    const out = newOutgoing(r.irp, t, r, true, opts.timeout);
    outTable(k).set(out.id, out);
    s.out = out;
    deliver(k, out);
    waitFor(k, out, routine);
    return { status: irpStatus(k, r.irp), information: k.m.ptrAt(r.irp, o['IoStatus.Information']) };
  }
  const irp = k.m.actingAs(0, () => allocateIrp(k, Math.max(targetStackSize(k, t), 1), 'system', 'Wdf01000.sys'));
  if (irp === null) return { status: STATUS.INSUFFICIENT_RESOURCES, information: 0n };
  const f = formatIrp(k, irp, t, spec, false);
  if (typeof f === 'number') {
    k.m.actingAs(0, () => k.pool.free_(irp, 0));
    return { status: f, information: 0n };
  }
  const out = newOutgoing(irp, t, undefined, true, opts.timeout);
  outTable(k).set(out.id, out);
  deliver(k, out);
  waitFor(k, out, routine);
  if (f.copyBack) {
    const n = Math.min(Number(k.m.ptrAt(irp, o['IoStatus.Information'])), f.copyBack.max);
    if (irpStatus(k, irp) < 0x80000000 && n > 0) k.m.write(f.copyBack.to, k.m.read(f.copyBack.from, n));
  }
  for (const x of f.release) x();
  const result = { status: irpStatus(k, irp), information: k.m.ptrAt(irp, o['IoStatus.Information']) };
  k.m.actingAs(0, () => k.pool.free_(irp, 0));
  return result;
}

/** Records a failure WdfRequestSend reports (WdfRequestGetStatus returns it). */
function sendFailed(k: Kernel, r: FxRequest, status: number): number {
  k.m.setU32At(r.irp, k.L.IRP.off['IoStatus.Status'], status);
  return 0;
}

function requestSend(k: Kernel, handle: bigint, targetHandle: bigint, options: bigint): number {
  const r = fxRequest(k, handle, 'WdfRequestSend');
  const t = fxIoTarget(k, targetHandle, 'WdfRequestSend');
  if (r.fromIo && r.phase !== 'presented') wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, r.handle, 0n, `WdfRequestSend(${hex(r.handle)}): the driver does not own the request`);
  const s = stateOf(k, r);
  if (s.out && !s.out.done) wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `WdfRequestSend(${hex(r.handle)}): the request was already sent and has not come back`);
  const opts = readSendOptions(k, options);
  if (typeof opts === 'number') return sendFailed(k, r, opts);
  const sync = (opts.flags & WDF_REQUEST_SEND_OPTION_SYNCHRONOUS) !== 0;
  if (opts.flags & WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET) return sendAndForget(k, r, s, t, opts);
  if (!s.format) wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `WdfRequestSend(${hex(r.handle)}): the request was never formatted (WdfRequestFormatRequestUsingCurrentType or a WdfIoTargetFormatRequestFor* first)`);
  if (sync && k.irql > 0) return sendFailed(k, r, STATUS.INVALID_DEVICE_REQUEST);
  const admitted = admit(k, t, opts, sync);
  if (typeof admitted === 'number') return sendFailed(k, r, admitted);
  if (!stackOk(k, r.irp, t)) return sendFailed(k, r, STATUS.REQUEST_NOT_ACCEPTED);
  // Formatted for one target, sent to another: the file object on the stack location is the one it is sent to.
  if (s.lastTarget !== t && s.format.kind !== 'current') k.m.setPtrAt(nextStackLocation(k, r.irp), k.L.IO_STACK_LOCATION.off.FileObject, t.fileObject);
  s.lastTarget = t;
  const out = newOutgoing(r.irp, t, r, sync, opts.timeout);
  outTable(k).set(out.id, out);
  s.out = out;
  if (admitted === 'queue') {
    t.waiting.push(out);
    return 1;
  }
  deliver(k, out);
  if (sync) waitFor(k, out, 'WdfRequestSend');
  return 1;
}

/** SEND_AND_FORGET: the IRP goes down without the framework's completion routine, and the request is no longer the driver's. */
function sendAndForget(k: Kernel, r: FxRequest, s: SendState, t: FxIoTarget, opts: SendOptions): number {
  if (!r.fromIo) return sendFailed(k, r, STATUS.INVALID_DEVICE_REQUEST);
  if (opts.flags & (WDF_REQUEST_SEND_OPTION_SYNCHRONOUS | WDF_REQUEST_SEND_OPTION_TIMEOUT) || s.routine !== 0n) return sendFailed(k, r, STATUS.INVALID_PARAMETER);
  if (t.ioState === 'closed' || t.ioState === 'deleted' || t.targetDevice === 0n) return sendFailed(k, r, STATUS.INVALID_DEVICE_STATE);
  const m = k.m;
  const o = k.L.IRP.off;
  const irp = r.irp;
  // Without a formatting of its own the request goes down with its current stack location (IoSkipCurrentIrpStackLocation).
  const skip = !s.format || s.format.kind === 'current';
  if (m.u8At(irp, o.CurrentLocation) - (skip ? 0 : 1) < targetStackSize(k, t)) return sendFailed(k, r, STATUS.REQUEST_NOT_ACCEPTED);
  if (skip) {
    m.setU8At(irp, o.CurrentLocation, m.u8At(irp, o.CurrentLocation) + 1);
    m.setPtrAt(irp, o['Tail.Overlay.CurrentStackLocation'], currentStackLocation(k, irp) + BigInt(k.L.IO_STACK_LOCATION.size));
  }
  // The framework lets go of the request before the IRP goes: it is the target's now.
  s.format = undefined;
  const queue = r.queue;
  r.phase = 'completed';
  r.noDelete = false;
  deleteObject(k, r);
  if (queue) requestDone(k, queue, r);
  callDriver(k, t.targetDevice, irp);
  return 1;
}

function requestCreate(k: Kernel, globals: bigint, attributes: bigint, targetHandle: bigint, out: bigint): number {
  const c = clientOf(k, globals, 'WdfRequestCreate');
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfRequestCreate was passed a NULL Request');
  k.m.setPtr(out, 0n);
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const t = targetHandle === 0n ? undefined : fxIoTarget(k, targetHandle, 'WdfRequestCreate');
  // As many stack locations as the target's stack needs (one without a target: the driver sizes it by WdfRequestReuse).
  const stack = Math.max(t ? targetStackSize(k, t) : 1, 1);
  const irp = k.m.actingAs(0, () => allocateIrp(k, stack, 'system', 'Wdf01000.sys'));
  if (irp === null) return STATUS.INSUFFICIENT_RESOURCES;
  // The driver by default (WdfDriverCreate's object), or the parent the attributes name.
  const parent = a.parent !== 0n ? fxObject(k, a.parent, undefined, 'WdfRequestCreate') : c.fxDriver;
  const r = registerObject(k, (h) => {
    const x = new FxRequest(h, k.symbolize(k.callerAddress()), irp, undefined, 0, false);
    x.parent = parent;
    return x;
  });
  r.phase = 'presented';
  const s = stateOf(k, r);
  s.ownIrp = irp;
  s.lastTarget = t;
  const status = applyAttributes(k, r, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, r);
    return status;
  }
  k.m.setPtr(out, r.handle);
  return STATUS.SUCCESS;
}

function requestReuse(k: Kernel, handle: bigint, p: bigint): number {
  const r = fxRequest(k, handle, 'WdfRequestReuse');
  if (p === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfRequestReuse was passed NULL ReuseParams');
  const L = wdfLayouts(k.arch).WDF_REQUEST_REUSE_PARAMS;
  if (k.m.u32(p) !== L.size) return STATUS.INFO_LENGTH_MISMATCH;
  // A request the framework delivered is completed, not reused.
  if (r.fromIo) return STATUS.INVALID_DEVICE_REQUEST;
  const s = stateOf(k, r);
  if (s.out && !s.out.done) wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `WdfRequestReuse(${hex(r.handle)}): the request is still sent to an I/O target`);
  const flags = k.m.u32(p + BigInt(L.off.Flags));
  const status = k.m.u32(p + BigInt(L.off.Status));
  releaseFormat(k, s);
  s.routine = 0n;
  s.context = 0n;
  s.out = undefined;
  if (flags & WDF_REQUEST_REUSE_SET_NEW_IRP) {
    const irp = k.m.ptr(p + BigInt(L.off.NewIrp));
    if (irp === 0n) return STATUS.INVALID_PARAMETER;
    // The driver's IRP replaces the framework's, which goes.
    if (s.ownIrp !== 0n) k.m.actingAs(0, () => k.pool.free_(s.ownIrp, 0));
    s.ownIrp = 0n;
    (r as { irp: bigint }).irp = irp;
  } else {
    // IoReuseIrp: a fresh IRP of the same size and stack count, its status the one given.
    const o = k.L.IRP.off;
    initializeIrp(k, r.irp, k.m.u16At(r.irp, o.Size), k.m.u8At(r.irp, o.StackCount));
  }
  (r as { major: number }).major = 0;
  k.m.setU32At(r.irp, k.L.IRP.off['IoStatus.Status'], status);
  r.information = 0n;
  return STATUS.SUCCESS;
}

const req = { Request: 'handle' } as const;

export const exports = [
  wdfExport({
    name: 'WdfRequestCreate',
    proto: 'NTSTATUS WdfRequestCreate(PWDF_OBJECT_ATTRIBUTES RequestAttributes, WDFIOTARGET IoTarget, WDFREQUEST *Request)',
    params: { RequestAttributes: 'ptr', IoTarget: 'handle', Request: 'ptr' },
    ret: 'status',
    impl: (k, a) => requestCreate(k, a.DriverGlobals, a.RequestAttributes, a.IoTarget, a.Request),
  }),
  wdfExport({
    name: 'WdfRequestReuse',
    proto: 'NTSTATUS WdfRequestReuse(WDFREQUEST Request, PWDF_REQUEST_REUSE_PARAMS ReuseParams)',
    params: { Request: 'handle', ReuseParams: 'ptr' },
    ret: 'status',
    impl: (k, a) => requestReuse(k, a.Request, a.ReuseParams),
  }),
  wdfExport({
    name: 'WdfRequestFormatRequestUsingCurrentType',
    proto: 'VOID WdfRequestFormatRequestUsingCurrentType(WDFREQUEST Request)',
    params: req,
    ret: 'void',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestFormatRequestUsingCurrentType');
      const s = stateOf(k, r);
      if (s.out && !s.out.done) wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `WdfRequestFormatRequestUsingCurrentType(${hex(r.handle)}): the request is still sent to an I/O target`);
      const o = k.L.IRP.off;
      // Only an IRP with a current stack location (one the framework delivered) has a type to copy.
      if (k.m.u8At(r.irp, o.CurrentLocation) > k.m.u8At(r.irp, o.StackCount)) {
        wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `WdfRequestFormatRequestUsingCurrentType(${hex(r.handle)}): the request's IRP has no current stack location to copy`);
      }
      if (k.m.u8At(r.irp, o.CurrentLocation) <= 1) {
        wdfViolation(k, WDF_REQUEST_FATAL_ERROR, r.handle, 0n, `WdfRequestFormatRequestUsingCurrentType(${hex(r.handle)}): the IRP has no next stack location (the device's StackSize leaves none for a target)`);
      }
      restoreOwnBuffers(k, r, s);
      releaseFormat(k, s);
      const f = formatIrp(k, r.irp, undefined, { kind: 'current', major: r.major, code: 0, deviceOffset: 0n }, false);
      if (typeof f !== 'number') s.format = f;
    },
  }),
  wdfExport({
    name: 'WdfRequestSetCompletionRoutine',
    proto: 'VOID WdfRequestSetCompletionRoutine(WDFREQUEST Request, PFN_WDF_REQUEST_COMPLETION_ROUTINE CompletionRoutine, WDFCONTEXT CompletionContext)',
    params: { Request: 'handle', CompletionRoutine: 'ptr', CompletionContext: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const s = stateOf(k, fxRequest(k, a.Request, 'WdfRequestSetCompletionRoutine'));
      s.routine = a.CompletionRoutine;
      s.context = a.CompletionRoutine === 0n ? 0n : a.CompletionContext;
    },
  }),
  wdfExport({
    name: 'WdfRequestSend',
    proto: 'BOOLEAN WdfRequestSend(WDFREQUEST Request, WDFIOTARGET Target, PWDF_REQUEST_SEND_OPTIONS Options)',
    params: { Request: 'handle', Target: 'handle', Options: 'ptr' },
    ret: 'bool',
    impl: (k, a) => requestSend(k, a.Request, a.Target, a.Options),
  }),
  wdfExport({
    name: 'WdfRequestGetCompletionParams',
    proto: 'VOID WdfRequestGetCompletionParams(WDFREQUEST Request, PWDF_REQUEST_COMPLETION_PARAMS Params)',
    params: { Request: 'handle', Params: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const r = fxRequest(k, a.Request, 'WdfRequestGetCompletionParams');
      if (a.Params === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfRequestGetCompletionParams was passed NULL Params');
      const s = stateOf(k, r);
      const L = wdfLayouts(k.arch).WDF_REQUEST_COMPLETION_PARAMS;
      // Before the request came back there is nothing but its IRP's status.
      if (s.params === 0n) fillCompletionParams(k, r, s, undefined);
      k.m.write(a.Params, k.m.read(s.params, L.size));
    },
  }),
  wdfExport({
    name: 'WdfRequestCancelSentRequest',
    proto: 'BOOLEAN WdfRequestCancelSentRequest(WDFREQUEST Request)',
    params: req,
    ret: 'bool',
    impl: (k, a) => {
      const s = stateOf(k, fxRequest(k, a.Request, 'WdfRequestCancelSentRequest'));
      return s.out && !s.out.done && cancelOutgoing(k, s.out) ? 1 : 0;
    },
  }),
];

