// Framework I/O targets (WDFIOTARGET): a device's local target (the next-lower device of a function or filter
// driver's FDO), remote targets a driver creates and opens (by name, as a kernel-mode open of the named device whose
// stack top the requests then go to, or on a device object it already has), their states, and the entries that send
// a read, write or IOCTL synchronously or format a request for one.
//
// States follow "Controlling a General I/O Target's State": a started target delivers requests; a stopped one still
// accepts asynchronous requests but holds them until it starts again (a synchronous send fails with
// STATUS_INVALID_DEVICE_STATE) unless the request says IGNORE_TARGET_STATE; a closed target takes nothing. Stopping
// can cancel what was sent or wait for it; closing cancels it and waits, then closes the file handle of a named open.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { ntClose, ntCreateFile } from '../io/iofunc.js';
import { attachedTop } from '../io/stack.js';
import { rootDevices } from '../io/pnpmgr.js';
import { waitUntil } from '../ke/clock.js';
import { wdfLayouts } from './layout.js';
import { wdfExport } from './export.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, registerObject, wdfViolation,
  WDF_REQUIRED_PARAMETER_IS_NULL, WDF_VERIFIER_FATAL_ERROR,
} from './object.js';
import { fxDevice, type FxDevice } from './device.js';
import { fxMemory } from './memory.js';
import { fxRequest, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE } from './request.js';
import {
  cancelOutgoing, deliverWaiting, formatForTarget, readDescriptor, readSendOptions, sendSynchronously, type Buf, type FormatKind, type Outgoing,
} from './send.js';

export type TargetState = 'started' | 'stopped' | 'closed' | 'deleted';
const STATE_VALUE: Record<TargetState, number> = { started: 1, stopped: 2, closed: 4, deleted: 5 };

const WdfIoTargetOpenUseExistingDevice = 1;
const WdfIoTargetOpenByName = 2;
const WdfIoTargetOpenReopen = 3;
const WdfIoTargetCancelSentIo = 1;
const WdfIoTargetWaitForSentIoToComplete = 2;
const WdfIoTargetLeaveSentIoPending = 3;

export class FxIoTarget extends FxObject {
  ioState: TargetState;
  /** The device requests go to: the top of the opened device's stack, or the FDO's lower device. */
  targetDevice = 0n;
  /** The PDO at the bottom of the target's stack, when the PnP manager made it. */
  physical = 0n;
  fileObject = 0n;
  /** The kernel handle of a named open (0 for a device object the driver gave). */
  fileHandle = 0;
  /** A named open, kept for WdfIoTargetOpenReopen. */
  opened?: { name: string; access: number; share: number };
  /** Requests delivered to the target device and not completed yet. */
  readonly sent = new Set<Outgoing>();
  /** Asynchronous requests sent while the target was stopped: delivered when it starts. */
  readonly waiting: Outgoing[] = [];
  constructor(
    handle: bigint,
    parent: FxObject,
    caller: string,
    readonly device: FxDevice,
    /** The device's local target (the framework's own object). */
    readonly local: boolean,
  ) {
    super(handle, 'WDFIOTARGET', parent, caller);
    this.ioState = local ? 'started' : 'closed';
  }
}

export function fxIoTarget(k: Kernel, handle: bigint, routine: string): FxIoTarget {
  return fxObject<FxIoTarget>(k, handle, 'WDFIOTARGET', routine);
}

/** The state requests see: a local target is stopped while its device is not started. */
export function targetState(t: FxIoTarget): TargetState {
  if (t.local && t.ioState === 'started' && !t.device.started) return 'stopped';
  return t.ioState;
}

/** The number of stack locations an IRP needs to be sent to the target. */
export function targetStackSize(k: Kernel, t: FxIoTarget): number {
  return t.targetDevice === 0n ? 0 : k.m.u8At(t.targetDevice, k.L.DEVICE_OBJECT.off.StackSize);
}

const localTargets = new WeakMap<FxDevice, FxIoTarget>();

/** WdfDeviceGetIoTarget: an FDO's local target, made on first use; a control device has no lower device, so none. */
function localTarget(k: Kernel, dev: FxDevice): FxIoTarget | undefined {
  if (dev.init.kind !== 'fdo' || dev.lower === 0n) return undefined;
  let t = localTargets.get(dev);
  if (t && t.ioState !== 'deleted') return t;
  t = registerObject(k, (h) => new FxIoTarget(h, dev, 'the framework', dev, true));
  t.noDelete = true;
  t.targetDevice = dev.lower;
  t.physical = dev.init.pdo;
  const self = t;
  t.dispose = () => shutDown(k, self, 'deleted', 'deleting the device');
  localTargets.set(dev, t);
  return t;
}

/** The device at the bottom of a stack, when it is a PDO the PnP manager enumerated. */
function physicalOf(k: Kernel, device: bigint): bigint {
  let d = device;
  for (let n = 0; n < 64; n++) {
    const below = k.io.deviceAt(d)?.attachedTo;
    if (below === undefined || below === 0n) break;
    d = below;
  }
  return rootDevices(k).some((r) => r.pdo === d) ? d : 0n;
}

/** Waits (PASSIVE_LEVEL) until nothing sent to the target is outstanding. */
function waitForSent(k: Kernel, t: FxIoTarget, routine: string): void {
  if (t.sent.size === 0) return;
  if (!waitUntil(k, () => t.sent.size === 0, undefined, routine)) {
    throw new GuestStop('deadlock', `${routine}(${hex(t.handle)}) waits for the ${t.sent.size} request${t.sent.size === 1 ? '' : 's'} sent to ${hex(t.targetDevice)}, and nothing in the machine will complete ${t.sent.size === 1 ? 'it' : 'them'}`, {});
  }
}

/** Cancels what waits in the target and what was sent (IoCancelIrp). */
function cancelAll(k: Kernel, t: FxIoTarget): void {
  for (const o of t.waiting.splice(0)) cancelOutgoing(k, o);
  for (const o of [...t.sent]) cancelOutgoing(k, o);
}

/** Closing (or deleting): cancel everything, wait for it, close the named open's handle. */
function shutDown(k: Kernel, t: FxIoTarget, to: 'closed' | 'deleted', routine: string): void {
  cancelAll(k, t);
  if (k.irql === 0) waitForSent(k, t, routine);
  if (t.fileHandle !== 0) ntClose(k, t.fileHandle);
  t.fileHandle = 0;
  t.fileObject = 0n;
  if (!t.local) {
    t.targetDevice = 0n;
    t.physical = 0n;
  }
  t.ioState = to;
}

function openByName(k: Kernel, t: FxIoTarget, name: string, access: number, share: number): number {
  if (name === '') return STATUS.INVALID_PARAMETER;
  const r = ntCreateFile(k, name, access, share, { kernel: true });
  if (!ntSuccess(r.status) || r.handle === undefined) return r.status;
  const rec = k.io.files.get(r.handle)!;
  t.fileHandle = r.handle;
  t.fileObject = rec.address;
  // IoGetRelatedDeviceObject: requests on the file go to the top of the device's stack.
  t.targetDevice = attachedTop(k, rec.device.address);
  t.physical = physicalOf(k, rec.device.address);
  t.opened = { name, access, share };
  return STATUS.SUCCESS;
}

function targetOpen(k: Kernel, handle: bigint, p: bigint): number {
  const t = fxIoTarget(k, handle, 'WdfIoTargetOpen');
  if (p === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoTargetOpen was passed NULL OpenParams');
  if (k.irql > 0) return STATUS.INVALID_DEVICE_REQUEST;
  const L = wdfLayouts(k.arch).WDF_IO_TARGET_OPEN_PARAMS;
  const m = k.m;
  const size = m.u32(p);
  // Older clients pass the structure without its later members; anything else is not the structure.
  if (size > L.size || size < L.off.EaBuffer) return STATUS.INFO_LENGTH_MISMATCH;
  // The local target is the framework's: only targets the driver created are opened.
  if (t.local) return STATUS.INVALID_DEVICE_REQUEST;
  if (t.ioState !== 'closed') return STATUS.INVALID_DEVICE_STATE;
  const type = m.u32(p + BigInt(L.off.Type));
  let status: number;
  if (type === WdfIoTargetOpenUseExistingDevice) {
    const dev = m.ptr(p + BigInt(L.off.TargetDeviceObject));
    if (dev === 0n || !k.io.deviceAt(dev)) return STATUS.INVALID_PARAMETER;
    t.targetDevice = dev;
    t.fileObject = m.ptr(p + BigInt(L.off.TargetFileObject));
    t.fileHandle = 0;
    t.physical = physicalOf(k, dev);
    status = STATUS.SUCCESS;
  } else if (type === WdfIoTargetOpenByName) {
    const name = readUnicodeString(k, p + BigInt(L.off.TargetDeviceName));
    status = openByName(k, t, name, m.u32(p + BigInt(L.off.DesiredAccess)), m.u32(p + BigInt(L.off.ShareAccess)));
  } else if (type === WdfIoTargetOpenReopen) {
    // Reopens what a named open opened before it was closed.
    if (!t.opened) return STATUS.INVALID_DEVICE_STATE;
    status = openByName(k, t, t.opened.name, t.opened.access, t.opened.share);
  } else {
    return STATUS.INVALID_PARAMETER;
  }
  if (status === STATUS.SUCCESS) t.ioState = 'started';
  return status;
}

function targetCreate(k: Kernel, deviceHandle: bigint, attributes: bigint, out: bigint): number {
  const dev = fxDevice(k, deviceHandle, 'WdfIoTargetCreate');
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfIoTargetCreate was passed a NULL IoTarget');
  k.m.setPtr(out, 0n);
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  // The device by default; another parent the driver names (the target goes when it goes).
  const parent = a.parent !== 0n ? fxObject(k, a.parent, undefined, 'WdfIoTargetCreate') : dev;
  const t = registerObject(k, (h) => new FxIoTarget(h, parent, k.symbolize(k.callerAddress()), dev, false));
  t.dispose = () => shutDown(k, t, 'deleted', 'WdfObjectDelete');
  const status = applyAttributes(k, t, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, t);
    return status;
  }
  k.m.setPtr(out, t.handle);
  return STATUS.SUCCESS;
}

function targetStop(k: Kernel, t: FxIoTarget, action: number): void {
  if (action < WdfIoTargetCancelSentIo || action > WdfIoTargetLeaveSentIoPending) {
    wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, BigInt(action), t.handle, `WdfIoTargetStop(${hex(t.handle)}) with Action ${action}, not a WDF_IO_TARGET_SENT_IO_ACTION`);
  }
  if (t.ioState === 'closed' || t.ioState === 'deleted') return;
  t.ioState = 'stopped';
  if (action === WdfIoTargetCancelSentIo) {
    for (const o of t.waiting.splice(0)) cancelOutgoing(k, o);
    for (const o of [...t.sent]) cancelOutgoing(k, o);
  }
  if (action !== WdfIoTargetLeaveSentIoPending) {
    if (k.irql > 0) wdfViolation(k, 0xe, BigInt(k.irql), 0n, `WdfIoTargetStop at IRQL ${k.irql}: waiting for sent I/O needs PASSIVE_LEVEL`);
    waitForSent(k, t, 'WdfIoTargetStop');
  }
}

/** The request a Send*Synchronously names (optional: the framework uses one of its own without). */
function optionalRequest(k: Kernel, handle: bigint, routine: string) {
  return handle === 0n ? undefined : fxRequest(k, handle, routine);
}

type SyncKind = 'read' | 'write' | 'ioctl' | 'internal' | 'others';
const MAJOR: Record<SyncKind, number> = {
  read: IRP_MJ_READ, write: IRP_MJ_WRITE, ioctl: IRP_MJ_DEVICE_CONTROL, internal: IRP_MJ_INTERNAL_DEVICE_CONTROL, others: IRP_MJ_INTERNAL_DEVICE_CONTROL,
};

function sendSync(
  k: Kernel, name: string, targetHandle: bigint, requestHandle: bigint, kind: SyncKind, code: number, inDesc: bigint, outDesc: bigint,
  deviceOffset: bigint, options: bigint, bytesOut: bigint,
): number {
  const t = fxIoTarget(k, targetHandle, name);
  const r = optionalRequest(k, requestHandle, name);
  if (bytesOut !== 0n) k.m.setPtr(bytesOut, 0n);
  const opts = readSendOptions(k, options);
  if (typeof opts === 'number') return opts;
  let input: Buf | undefined;
  let output: Buf | undefined;
  if (inDesc !== 0n) {
    const b = readDescriptor(k, inDesc, name);
    if (typeof b === 'number') return b;
    input = b;
  }
  if (outDesc !== 0n) {
    const b = readDescriptor(k, outDesc, name);
    if (typeof b === 'number') return b;
    output = b;
  }
  // A read needs the buffer it reads into, a write the one it writes from.
  if ((kind === 'read' && !output) || (kind === 'write' && !input)) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${name} was passed a NULL buffer descriptor`);
  const res = sendSynchronously(k, name, t, r, { kind, major: MAJOR[kind], code, input, output, deviceOffset }, opts);
  if (bytesOut !== 0n && ntSuccess(res.status)) k.m.setPtr(bytesOut, res.information);
  return res.status;
}

/** WdfIoTargetSendInternalIoctlOthersSynchronously: three optional descriptors as Argument1, Argument2, Argument4. */
function sendOthersSync(k: Kernel, name: string, targetHandle: bigint, requestHandle: bigint, code: number, descs: readonly bigint[], options: bigint, bytesOut: bigint): number {
  const t = fxIoTarget(k, targetHandle, name);
  const r = optionalRequest(k, requestHandle, name);
  if (bytesOut !== 0n) k.m.setPtr(bytesOut, 0n);
  const opts = readSendOptions(k, options);
  if (typeof opts === 'number') return opts;
  const others: (Buf | undefined)[] = [];
  for (const d of descs) {
    if (d === 0n) {
      others.push(undefined);
      continue;
    }
    const b = readDescriptor(k, d, name);
    if (typeof b === 'number') return b;
    others.push(b);
  }
  const res = sendSynchronously(k, name, t, r, { kind: 'others', major: IRP_MJ_INTERNAL_DEVICE_CONTROL, code, deviceOffset: 0n, others }, opts);
  if (bytesOut !== 0n && ntSuccess(res.status)) k.m.setPtr(bytesOut, res.information);
  return res.status;
}

/** The device offset a PLONGLONG points to (none: 0, the start). */
function offsetArg(k: Kernel, p: bigint): bigint {
  return p === 0n ? 0n : k.m.u64(p);
}

/** A WDFMEMORY and WDFMEMORY_OFFSET as a buffer (Format* take memory objects). */
function memoryArg(k: Kernel, handle: bigint, offsets: bigint, routine: string): Buf | number | undefined {
  if (handle === 0n) return undefined;
  const mem = fxMemory(k, handle, routine);
  let offset = 0n;
  let length = BigInt(mem.length);
  if (offsets !== 0n) {
    const L = wdfLayouts(k.arch).WDFMEMORY_OFFSET;
    offset = k.m.ptr(offsets + BigInt(L.off.BufferOffset));
    const l = k.m.ptr(offsets + BigInt(L.off.BufferLength));
    // A zero length is the rest of the buffer.
    length = l === 0n ? BigInt(mem.length) - offset : l;
    if (offset > BigInt(mem.length) || length > BigInt(mem.length) - offset) return STATUS.INVALID_BUFFER_SIZE;
  }
  return { va: mem.buffer + offset, length: Number(length), mdl: 0n, memory: mem, offset: Number(offset) };
}

function formatRequest(
  k: Kernel, name: string, targetHandle: bigint, requestHandle: bigint, kind: FormatKind, code: number,
  inMem: bigint, inOff: bigint, outMem: bigint, outOff: bigint, deviceOffset: bigint,
): number {
  const t = fxIoTarget(k, targetHandle, name);
  const r = fxRequest(k, requestHandle, name);
  const input = memoryArg(k, inMem, inOff, name);
  if (typeof input === 'number') return input;
  const output = memoryArg(k, outMem, outOff, name);
  if (typeof output === 'number') return output;
  if ((kind === 'read' && !output) || (kind === 'write' && !input)) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${name} was passed a NULL memory object`);
  return formatForTarget(k, name, r, t, { kind, major: MAJOR[kind as SyncKind], code, input, output, deviceOffset });
}

function formatOthers(k: Kernel, name: string, targetHandle: bigint, requestHandle: bigint, code: number, args: readonly (readonly [bigint, bigint])[]): number {
  const t = fxIoTarget(k, targetHandle, name);
  const r = fxRequest(k, requestHandle, name);
  const others: (Buf | undefined)[] = [];
  for (const [mem, off] of args) {
    const b = memoryArg(k, mem, off, name);
    if (typeof b === 'number') return b;
    others.push(b);
  }
  return formatForTarget(k, name, r, t, { kind: 'others', major: IRP_MJ_INTERNAL_DEVICE_CONTROL, code, deviceOffset: 0n, others });
}

const target = { IoTarget: 'handle' } as const;

export const exports = [
  wdfExport({
    name: 'WdfDeviceGetIoTarget',
    proto: 'WDFIOTARGET WdfDeviceGetIoTarget(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'handle',
    impl: (k, a) => localTarget(k, fxDevice(k, a.Device, 'WdfDeviceGetIoTarget'))?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfIoTargetCreate',
    proto: 'NTSTATUS WdfIoTargetCreate(WDFDEVICE Device, PWDF_OBJECT_ATTRIBUTES IoTargetAttributes, WDFIOTARGET *IoTarget)',
    params: { Device: 'handle', IoTargetAttributes: 'ptr', IoTarget: 'ptr' },
    ret: 'status',
    impl: (k, a) => targetCreate(k, a.Device, a.IoTargetAttributes, a.IoTarget),
  }),
  wdfExport({
    name: 'WdfIoTargetOpen',
    proto: 'NTSTATUS WdfIoTargetOpen(WDFIOTARGET IoTarget, PWDF_IO_TARGET_OPEN_PARAMS OpenParams)',
    params: { IoTarget: 'handle', OpenParams: 'ptr' },
    ret: 'status',
    impl: (k, a) => targetOpen(k, a.IoTarget, a.OpenParams),
  }),
  wdfExport({
    name: 'WdfIoTargetClose',
    proto: 'VOID WdfIoTargetClose(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'void',
    impl: (k, a) => {
      const t = fxIoTarget(k, a.IoTarget, 'WdfIoTargetClose');
      if (t.local) wdfViolation(k, WDF_VERIFIER_FATAL_ERROR, t.handle, 0n, `WdfIoTargetClose(${hex(t.handle)}): the local I/O target is the framework's; only remote targets are closed`);
      if (k.irql > 0) wdfViolation(k, 0xe, BigInt(k.irql), 0n, `WdfIoTargetClose at IRQL ${k.irql}: it waits for sent I/O, so it needs PASSIVE_LEVEL`);
      if (t.ioState === 'closed') return;
      shutDown(k, t, 'closed', 'WdfIoTargetClose');
    },
  }),
  wdfExport({
    name: 'WdfIoTargetStart',
    proto: 'NTSTATUS WdfIoTargetStart(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'status',
    impl: (k, a) => {
      const t = fxIoTarget(k, a.IoTarget, 'WdfIoTargetStart');
      if (t.ioState === 'closed' || t.ioState === 'deleted') return STATUS.INVALID_DEVICE_STATE;
      t.ioState = 'started';
      // What waited in the target goes now, in the order it was sent.
      if (targetState(t) === 'started') deliverWaiting(k, t);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfIoTargetStop',
    proto: 'VOID WdfIoTargetStop(WDFIOTARGET IoTarget, WDF_IO_TARGET_SENT_IO_ACTION Action)',
    params: { IoTarget: 'handle', Action: 'u32' },
    ret: 'void',
    impl: (k, a) => targetStop(k, fxIoTarget(k, a.IoTarget, 'WdfIoTargetStop'), a.Action),
  }),
  wdfExport({
    name: 'WdfIoTargetGetState',
    proto: 'WDF_IO_TARGET_STATE WdfIoTargetGetState(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'u32',
    impl: (k, a) => STATE_VALUE[targetState(fxIoTarget(k, a.IoTarget, 'WdfIoTargetGetState'))],
  }),
  wdfExport({
    name: 'WdfIoTargetGetDevice',
    proto: 'WDFDEVICE WdfIoTargetGetDevice(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'handle',
    impl: (k, a) => fxIoTarget(k, a.IoTarget, 'WdfIoTargetGetDevice').device.handle,
  }),
  wdfExport({
    name: 'WdfIoTargetWdmGetTargetDeviceObject',
    proto: 'PDEVICE_OBJECT WdfIoTargetWdmGetTargetDeviceObject(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'ptr',
    impl: (k, a) => fxIoTarget(k, a.IoTarget, 'WdfIoTargetWdmGetTargetDeviceObject').targetDevice,
  }),
  wdfExport({
    name: 'WdfIoTargetWdmGetTargetPhysicalDevice',
    proto: 'PDEVICE_OBJECT WdfIoTargetWdmGetTargetPhysicalDevice(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'ptr',
    impl: (k, a) => fxIoTarget(k, a.IoTarget, 'WdfIoTargetWdmGetTargetPhysicalDevice').physical,
  }),
  wdfExport({
    name: 'WdfIoTargetWdmGetTargetFileObject',
    proto: 'PFILE_OBJECT WdfIoTargetWdmGetTargetFileObject(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'ptr',
    impl: (k, a) => fxIoTarget(k, a.IoTarget, 'WdfIoTargetWdmGetTargetFileObject').fileObject,
  }),
  wdfExport({
    name: 'WdfIoTargetWdmGetTargetFileHandle',
    proto: 'HANDLE WdfIoTargetWdmGetTargetFileHandle(WDFIOTARGET IoTarget)',
    params: target,
    ret: 'ptr',
    impl: (k, a) => BigInt(fxIoTarget(k, a.IoTarget, 'WdfIoTargetWdmGetTargetFileHandle').fileHandle),
  }),
  wdfExport({
    name: 'WdfIoTargetSendReadSynchronously',
    proto: 'NTSTATUS WdfIoTargetSendReadSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PLONGLONG DeviceOffset, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesRead)',
    params: { IoTarget: 'handle', Request: 'handle', OutputBuffer: 'ptr', DeviceOffset: 'ptr', RequestOptions: 'ptr', BytesRead: 'ptr' },
    ret: 'status',
    impl: (k, a) => sendSync(k, 'WdfIoTargetSendReadSynchronously', a.IoTarget, a.Request, 'read', 0, 0n, a.OutputBuffer, offsetArg(k, a.DeviceOffset), a.RequestOptions, a.BytesRead),
  }),
  wdfExport({
    name: 'WdfIoTargetSendWriteSynchronously',
    proto: 'NTSTATUS WdfIoTargetSendWriteSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, PWDF_MEMORY_DESCRIPTOR InputBuffer, PLONGLONG DeviceOffset, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesWritten)',
    params: { IoTarget: 'handle', Request: 'handle', InputBuffer: 'ptr', DeviceOffset: 'ptr', RequestOptions: 'ptr', BytesWritten: 'ptr' },
    ret: 'status',
    impl: (k, a) => sendSync(k, 'WdfIoTargetSendWriteSynchronously', a.IoTarget, a.Request, 'write', 0, a.InputBuffer, 0n, offsetArg(k, a.DeviceOffset), a.RequestOptions, a.BytesWritten),
  }),
  ...([
    ['WdfIoTargetSendIoctlSynchronously', 'ioctl'],
    ['WdfIoTargetSendInternalIoctlSynchronously', 'internal'],
  ] as const).map(([name, kind]) =>
    wdfExport({
      name,
      proto: `NTSTATUS ${name}(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR InputBuffer, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned)`,
      params: { IoTarget: 'handle', Request: 'handle', IoctlCode: 'u32', InputBuffer: 'ptr', OutputBuffer: 'ptr', RequestOptions: 'ptr', BytesReturned: 'ptr' },
      ret: 'status',
      impl: (k, a) => sendSync(k, name, a.IoTarget, a.Request, kind, a.IoctlCode, a.InputBuffer, a.OutputBuffer, 0n, a.RequestOptions, a.BytesReturned),
    }),
  ),
  wdfExport({
    name: 'WdfIoTargetSendInternalIoctlOthersSynchronously',
    proto: 'NTSTATUS WdfIoTargetSendInternalIoctlOthersSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR OtherArg1, PWDF_MEMORY_DESCRIPTOR OtherArg2, PWDF_MEMORY_DESCRIPTOR OtherArg4, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned)',
    params: { IoTarget: 'handle', Request: 'handle', IoctlCode: 'u32', OtherArg1: 'ptr', OtherArg2: 'ptr', OtherArg4: 'ptr', RequestOptions: 'ptr', BytesReturned: 'ptr' },
    ret: 'status',
    impl: (k, a) => sendOthersSync(k, 'WdfIoTargetSendInternalIoctlOthersSynchronously', a.IoTarget, a.Request, a.IoctlCode, [a.OtherArg1, a.OtherArg2, a.OtherArg4], a.RequestOptions, a.BytesReturned),
  }),
  wdfExport({
    name: 'WdfIoTargetFormatRequestForInternalIoctlOthers',
    proto: 'NTSTATUS WdfIoTargetFormatRequestForInternalIoctlOthers(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY OtherArg1, PWDFMEMORY_OFFSET OtherArg1Offset, WDFMEMORY OtherArg2, PWDFMEMORY_OFFSET OtherArg2Offset, WDFMEMORY OtherArg4, PWDFMEMORY_OFFSET OtherArg4Offset)',
    params: {
      IoTarget: 'handle', Request: 'handle', IoctlCode: 'u32', OtherArg1: 'handle', OtherArg1Offset: 'ptr', OtherArg2: 'handle', OtherArg2Offset: 'ptr', OtherArg4: 'handle', OtherArg4Offset: 'ptr',
    },
    ret: 'status',
    impl: (k, a) => formatOthers(k, 'WdfIoTargetFormatRequestForInternalIoctlOthers', a.IoTarget, a.Request, a.IoctlCode, [
      [a.OtherArg1, a.OtherArg1Offset], [a.OtherArg2, a.OtherArg2Offset], [a.OtherArg4, a.OtherArg4Offset],
    ]),
  }),
  wdfExport({
    name: 'WdfIoTargetFormatRequestForRead',
    proto: 'NTSTATUS WdfIoTargetFormatRequestForRead(WDFIOTARGET IoTarget, WDFREQUEST Request, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset, PLONGLONG DeviceOffset)',
    params: { IoTarget: 'handle', Request: 'handle', OutputBuffer: 'handle', OutputBufferOffset: 'ptr', DeviceOffset: 'ptr' },
    ret: 'status',
    impl: (k, a) => formatRequest(k, 'WdfIoTargetFormatRequestForRead', a.IoTarget, a.Request, 'read', 0, 0n, 0n, a.OutputBuffer, a.OutputBufferOffset, offsetArg(k, a.DeviceOffset)),
  }),
  wdfExport({
    name: 'WdfIoTargetFormatRequestForWrite',
    proto: 'NTSTATUS WdfIoTargetFormatRequestForWrite(WDFIOTARGET IoTarget, WDFREQUEST Request, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, PLONGLONG DeviceOffset)',
    params: { IoTarget: 'handle', Request: 'handle', InputBuffer: 'handle', InputBufferOffset: 'ptr', DeviceOffset: 'ptr' },
    ret: 'status',
    impl: (k, a) => formatRequest(k, 'WdfIoTargetFormatRequestForWrite', a.IoTarget, a.Request, 'write', 0, a.InputBuffer, a.InputBufferOffset, 0n, 0n, offsetArg(k, a.DeviceOffset)),
  }),
  ...([
    ['WdfIoTargetFormatRequestForIoctl', 'ioctl'],
    ['WdfIoTargetFormatRequestForInternalIoctl', 'internal'],
  ] as const).map(([name, kind]) =>
    wdfExport({
      name,
      proto: `NTSTATUS ${name}(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset)`,
      params: { IoTarget: 'handle', Request: 'handle', IoctlCode: 'u32', InputBuffer: 'handle', InputBufferOffset: 'ptr', OutputBuffer: 'handle', OutputBufferOffset: 'ptr' },
      ret: 'status',
      impl: (k, a) => formatRequest(k, name, a.IoTarget, a.Request, kind, a.IoctlCode, a.InputBuffer, a.InputBufferOffset, a.OutputBuffer, a.OutputBufferOffset, 0n),
    }),
  ),
];
