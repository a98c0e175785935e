// The I/O system services behind user requests: NtCreateFile, NtReadFile, NtWriteFile, NtDeviceIoControlFile, NtClose.
//
// Each builds an IRP the way the I/O manager does for a synchronous file object, sends it with IofCallDriver,
// and on completion does what IopCompleteRequest does: copy buffered output back to the caller, free the
// system buffer, free the IRP.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntError, ntSuccess } from '../rtl/ntstatus.js';
import {
  DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, DO_EXCLUSIVE, FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_READ_ACCESS,
  FILE_READ_DATA, FILE_WRITE_ACCESS, FILE_WRITE_DATA, FO_HANDLE_CREATED, FO_SYNCHRONOUS_IO, GENERIC_READ, GENERIC_WRITE,
  IO_TYPE_FILE, IRP_BUFFERED_IO, IRP_CLOSE_OPERATION, IRP_CREATE_OPERATION, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ,
  IRP_READ_OPERATION, IRP_SYNCHRONOUS_API, IRP_WRITE_OPERATION, METHOD_BUFFERED, METHOD_NEITHER, Mj, SYNCHRONIZE,
} from './constants.js';
import { allocateIrp, callDriver, expectCompletion, forgetIrp, nextStackLocation } from './irp.js';
import { NotificationEvent, SynchronizationEvent, initializeEvent } from '../ke/dispatcher.js';
import { tagOf } from './device.js';
import { fillUnicodeString } from './driver.js';
import type { DeviceRecord, FileRecord } from './state.js';
import { ProcessContext } from '../ps/process.js';
import { referencesTaken } from '../ob/object.js';

/** The outcome of one request as the system service returns it, plus the IO_STATUS_BLOCK the caller gets. */
export interface IoResult {
  status: number;
  information: bigint;
  /** Bytes copied back to the caller's buffer. */
  data?: Uint8Array;
  /** A driver misbehaviour worth reporting (returned without completing, more bytes than the buffer ...). */
  note?: string;
}

const UserMode = 1;
const FILE_OPEN = 1;

/** Generic rights as the I/O manager maps them for files and devices. */
function mapAccess(access: number): number {
  let a = access & 0x0fffffff;
  if (access & GENERIC_READ) a |= FILE_GENERIC_READ;
  if (access & GENERIC_WRITE) a |= FILE_GENERIC_WRITE;
  return a >>> 0;
}

/** NtCreateFile on a device path: parse the name, check the device, send IRP_MJ_CREATE. */
export function ntCreateFile(k: Kernel, path: string, desiredAccess: number, shareAccess: number, options: { overlapped?: boolean } = {}): { status: number; handle?: number; note?: string } {
  const found = k.ns.lookup(path);
  if ('status' in found) return { status: found.status };
  if (found.object.type !== 'device') return { status: STATUS.OBJECT_TYPE_MISMATCH };
  const dev = k.io.deviceAt(found.object.address);
  if (!dev) return { status: STATUS.NO_SUCH_DEVICE };
  const m = k.m;
  const L = k.L;
  const flags = m.u32At(dev.address, L.DEVICE_OBJECT.off.Flags);
  if (flags & DO_DEVICE_INITIALIZING) return { status: STATUS.NO_SUCH_DEVICE };
  if (flags & DO_EXCLUSIVE && dev.openCount > 0) return { status: STATUS.ACCESS_DENIED };
  const granted = mapAccess(desiredAccess) | SYNCHRONIZE;

  const file = createFileObject(k, dev, found.remainder, granted, shareAccess, options.overlapped === true);
  const irp = newIrp(k, dev);
  const o = L.IRP.off;
  m.setU32At(irp, o.Flags, IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API);
  const sl = nextStackLocation(k, irp);
  const so = L.IO_STACK_LOCATION.off;
  m.setU8At(sl, so.MajorFunction, Mj.Create);
  m.setPtrAt(sl, so.FileObject, file);
  const security = securityContext(k, granted);
  m.setPtrAt(sl, so['Parameters.Create.SecurityContext'], security);
  m.setU32At(sl, so['Parameters.Create.Options'], (FILE_OPEN << 24) | (options.overlapped ? 0 : 0x20) /* FILE_SYNCHRONOUS_IO_NONALERT */);
  m.setU16At(sl, so['Parameters.Create.FileAttributes'], 0x80 /* FILE_ATTRIBUTE_NORMAL */);
  m.setU16At(sl, so['Parameters.Create.ShareAccess'], shareAccess);
  const r = send(k, dev, irp, file, () => ({}));
  k.pool.free_(security, 0);
  if (!ntSuccess(r.status)) {
    freeFileObject(k, file);
    return { status: r.status, note: r.note };
  }
  m.setU32At(file, L.FILE_OBJECT.off.Flags, m.u32At(file, L.FILE_OBJECT.off.Flags) | FO_HANDLE_CREATED);
  dev.openCount++;
  const handle = k.io.allocateHandle();
  k.io.files.set(handle, { handle, address: file, device: dev, grantedAccess: granted, path, overlapped: options.overlapped === true });
  return { status: r.status, handle, note: r.note };
}

function createFileObject(k: Kernel, dev: DeviceRecord, remainder: string, granted: number, share: number, overlapped: boolean): bigint {
  const L = k.L;
  const m = k.m;
  const size = L.FILE_OBJECT.size;
  const file = alloc(k, size + remainder.length * 2 + 2, 'File');
  m.fill(file, size);
  const o = L.FILE_OBJECT.off;
  m.setU16At(file, o.Type, IO_TYPE_FILE);
  m.setU16At(file, o.Size, size);
  m.setPtrAt(file, o.DeviceObject, dev.address);
  m.setU32At(file, o.Flags, overlapped ? 0 : FO_SYNCHRONOUS_IO);
  m.setU8At(file, o.ReadAccess, granted & FILE_READ_DATA ? 1 : 0);
  m.setU8At(file, o.WriteAccess, granted & FILE_WRITE_DATA ? 1 : 0);
  m.setU8At(file, o.SharedRead, share & 1 ? 1 : 0);
  m.setU8At(file, o.SharedWrite, share & 2 ? 1 : 0);
  // FileName: what follows the device's name in the opened path (empty for \\.\Link).
  const nameBuf = file + BigInt(size);
  m.writeWString(nameBuf, remainder);
  fillUnicodeString(k, file + BigInt(o.FileName), remainder ? nameBuf : 0n, remainder.length * 2, remainder ? remainder.length * 2 + 2 : 0);
  initializeEvent(k, file + BigInt(o.Lock), SynchronizationEvent, false);
  initializeEvent(k, file + BigInt(o.Event), NotificationEvent, false);
  k.io.liveFiles.add(file);
  return file;
}

function freeFileObject(k: Kernel, file: bigint): void {
  k.io.liveFiles.delete(file);
  k.pool.free_(file, 0);
}

/** IO_SECURITY_CONTEXT { SecurityQos, AccessState, DesiredAccess, FullCreateOptions } for IRP_MJ_CREATE. */
function securityContext(k: Kernel, access: number): bigint {
  const p = k.ptrSize;
  const ctx = alloc(k, 4 * p, 'Se  ');
  k.m.fill(ctx, 4 * p);
  k.m.setU32At(ctx, 2 * p, access);
  return ctx;
}

function alloc(k: Kernel, size: number, tag: string): bigint {
  const a = k.pool.allocate(size, tagOf(tag), 0, 'system', 'I/O manager');
  if (a === null) throw new GuestStop('bugcheck', 'non-paged pool exhausted', { bugcheck: { code: 0x41, params: [0n, 0n, 0n, 0n] } });
  return a;
}

function newIrp(k: Kernel, dev: DeviceRecord): bigint {
  const stack = k.m.u8At(dev.address, k.L.DEVICE_OBJECT.off.StackSize);
  const irp = allocateIrp(k, Math.max(stack, 1), 'system', 'I/O manager');
  if (irp === null) throw new GuestStop('bugcheck', 'non-paged pool exhausted', { bugcheck: { code: 0x41, params: [0n, 0n, 0n, 0n] } });
  const o = k.L.IRP.off;
  k.m.setU8At(irp, o.RequestorMode, UserMode);
  k.m.setPtrAt(irp, o['Tail.Overlay.Thread'], k.ps.currentThread);
  return irp;
}

/**
 * Sends an IRP and waits for it as a synchronous caller would. `finish` runs at completion (IopCompleteRequest's
 * copy-back) and returns the bytes handed to the caller.
 */
function send(k: Kernel, dev: DeviceRecord, irp: bigint, file: bigint, finish: (status: number, information: bigint) => { data?: Uint8Array; note?: string }): IoResult {
  const m = k.m;
  const o = k.L.IRP.off;
  k.m.setPtrAt(irp, o['Tail.Overlay.OriginalFileObject'], file);
  let completed: IoResult | undefined;
  const major = m.u8(nextStackLocation(k, irp) + BigInt(k.L.IO_STACK_LOCATION.off.MajorFunction));
  expectCompletion(k, irp, major, dev.address, () => {
    const status = m.u32At(irp, o['IoStatus.Status']);
    const information = m.ptrAt(irp, o['IoStatus.Information']);
    const extra = finish(status, information);
    completed = { status, information, ...extra };
    k.pool.free_(irp, 0);
  });
  const ctx = k.ps.enter(ProcessContext.User);
  let status: number;
  try {
    status = callDriver(k, dev.address, irp);
  } finally {
    k.ps.leave(ctx);
  }
  if (completed) {
    // A synchronous caller gets the dispatch routine's return value, or the final status if it pended.
    return status === STATUS.PENDING ? completed : { ...completed, status };
  }
  if (status === STATUS.PENDING) {
    throw new GuestStop('deadlock', `the caller waits for ${IRP_MJ[major]} IRP ${hex(irp)}, which the driver left pending, and nothing in the machine can complete it`, {});
  }
  // Returned without completing: the IRP is lost to the caller; Windows would leave the thread hanging at exit.
  forgetIrp(k, irp);
  k.io.lostIrps.push({ irp, major: IRP_MJ[major] ?? String(major), device: dev.name ?? hex(dev.address) });
  return { status, information: 0n, note: `the ${IRP_MJ[major]} dispatch routine returned ${hex(status >>> 0, 8)} without completing IRP ${hex(irp)}` };
}

export function fileFor(k: Kernel, handle: number): FileRecord | undefined {
  return k.io.files.get(handle);
}

/** NtReadFile/NtWriteFile for a synchronous file object: buffered, or neither I/O per the device's flags. */
export function ntReadWrite(k: Kernel, handle: number, write: boolean, userBuffer: bigint, length: number): IoResult {
  const f = fileFor(k, handle);
  if (!f) return { status: STATUS.INVALID_HANDLE, information: 0n };
  if (!(f.grantedAccess & (write ? FILE_WRITE_DATA : FILE_READ_DATA))) return { status: STATUS.ACCESS_DENIED, information: 0n };
  const m = k.m;
  const L = k.L;
  const dev = f.device;
  const devFlags = m.u32At(dev.address, L.DEVICE_OBJECT.off.Flags);
  if (devFlags & DO_DIRECT_IO) {
    throw new GuestStop('unsupported-call', `${write ? 'WriteFile' : 'ReadFile'} on a DO_DIRECT_IO device needs an MDL for the user buffer, which kdemu does not build yet`, { export: 'I/O manager: direct I/O' });
  }
  const irp = newIrp(k, dev);
  const o = L.IRP.off;
  const sl = nextStackLocation(k, irp);
  const so = L.IO_STACK_LOCATION.off;
  m.setU8At(sl, so.MajorFunction, write ? Mj.Write : Mj.Read);
  m.setPtrAt(sl, so.FileObject, f.address);
  m.setU32At(sl, write ? so['Parameters.Write.Length'] : so['Parameters.Read.Length'], length);
  const offsetField = f.address + BigInt(L.FILE_OBJECT.off.CurrentByteOffset);
  m.write(sl + BigInt(write ? so['Parameters.Write.ByteOffset'] : so['Parameters.Read.ByteOffset']), m.read(offsetField, 8));
  let flags = IRP_SYNCHRONOUS_API | (write ? IRP_WRITE_OPERATION : IRP_READ_OPERATION);
  let system = 0n;
  if (devFlags & DO_BUFFERED_IO) {
    if (length > 0) {
      system = alloc(k, length, 'IoBu');
      if (write) m.write(system, m.read(userBuffer, length));
      flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (write ? 0 : IRP_INPUT_OPERATION);
    }
    m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], system);
  }
  m.setPtrAt(irp, o.UserBuffer, userBuffer);
  m.setU32At(irp, o.Flags, flags);
  return send(k, dev, irp, f.address, (status, information) => {
    const r = finishBuffered(k, status, information, system, userBuffer, write ? 0 : length, !write && system !== 0n, userBuffer);
    if (ntSuccess(status) && m.u32At(f.address, L.FILE_OBJECT.off.Flags) & FO_SYNCHRONOUS_IO) {
      m.setU64(offsetField, m.u64(offsetField) + information);
    }
    return r;
  });
}

/** IopCompleteRequest for buffered I/O: copy Information bytes back unless the status is an error; free the buffer. */
function finishBuffered(k: Kernel, status: number, information: bigint, system: bigint, userBuffer: bigint, outLength: number, copyBack: boolean, readFrom: bigint): { data?: Uint8Array; note?: string } {
  let note: string | undefined;
  let n = Number(BigInt.asUintN(32, information));
  if (n > outLength && outLength >= 0 && (copyBack || system === 0n)) {
    if (copyBack) note = `the driver reported ${n} bytes for a ${outLength}-byte buffer; ${outLength} copied`;
    n = outLength;
  }
  const ok = !ntError(status); // success, informational and warning statuses carry data
  if (copyBack && ok && n > 0) k.m.write(userBuffer, k.m.read(system, n));
  if (system !== 0n) k.pool.free_(system, 0);
  const data = ok && n > 0 && outLength > 0 ? k.m.read(readFrom, n) : undefined;
  return { data, note };
}

/** NtDeviceIoControlFile: METHOD_BUFFERED and METHOD_NEITHER (the direct methods need MDLs). */
export function ntDeviceIoControl(k: Kernel, handle: number, code: number, input: bigint, inLength: number, output: bigint, outLength: number, internal = false): IoResult {
  const f = fileFor(k, handle);
  if (!f) return { status: STATUS.INVALID_HANDLE, information: 0n };
  const method = code & 3;
  const access = (code >>> 14) & 3;
  if ((access & FILE_READ_ACCESS && !(f.grantedAccess & FILE_READ_DATA)) || (access & FILE_WRITE_ACCESS && !(f.grantedAccess & FILE_WRITE_DATA))) {
    return { status: STATUS.ACCESS_DENIED, information: 0n };
  }
  if (method !== METHOD_BUFFERED && method !== METHOD_NEITHER) {
    throw new GuestStop('unsupported-call', `DeviceIoControl ${hex(code, 8)} uses METHOD_${method === 1 ? 'IN' : 'OUT'}_DIRECT, whose MDL kdemu does not build yet`, { export: 'I/O manager: METHOD_IN_DIRECT/METHOD_OUT_DIRECT' });
  }
  const m = k.m;
  const L = k.L;
  const dev = f.device;
  const irp = newIrp(k, dev);
  const o = L.IRP.off;
  const sl = nextStackLocation(k, irp);
  const so = L.IO_STACK_LOCATION.off;
  m.setU8At(sl, so.MajorFunction, internal ? Mj.InternalDeviceControl : Mj.DeviceControl);
  m.setPtrAt(sl, so.FileObject, f.address);
  m.setU32At(sl, so['Parameters.DeviceIoControl.OutputBufferLength'], outLength);
  m.setU32At(sl, so['Parameters.DeviceIoControl.InputBufferLength'], inLength);
  m.setU32At(sl, so['Parameters.DeviceIoControl.IoControlCode'], code);
  let flags = IRP_SYNCHRONOUS_API;
  let system = 0n;
  if (method === METHOD_BUFFERED) {
    const size = Math.max(inLength, outLength);
    if (size > 0) {
      system = alloc(k, size, 'IoBu');
      if (inLength > 0) m.write(system, m.read(input, inLength));
      flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (outLength > 0 ? IRP_INPUT_OPERATION : 0);
    }
    m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], system);
  } else {
    m.setPtrAt(sl, so['Parameters.DeviceIoControl.Type3InputBuffer'], input);
  }
  m.setPtrAt(irp, o.UserBuffer, output);
  m.setU32At(irp, o.Flags, flags);
  return send(k, dev, irp, f.address, (status, information) =>
    finishBuffered(k, status, information, system, output, outLength, method === METHOD_BUFFERED && outLength > 0, output),
  );
}

/** Sends IRP_MJ_CLEANUP or IRP_MJ_CLOSE for a file object; returns the driver-misbehaviour note, if any. */
function sendFileIrp(k: Kernel, dev: DeviceRecord, file: bigint, major: Mj.Cleanup | Mj.Close): string | undefined {
  const irp = newIrp(k, dev);
  const sl = nextStackLocation(k, irp);
  k.m.setU8At(sl, k.L.IO_STACK_LOCATION.off.MajorFunction, major);
  k.m.setPtrAt(sl, k.L.IO_STACK_LOCATION.off.FileObject, file);
  k.m.setU32At(irp, k.L.IRP.off.Flags, IRP_SYNCHRONOUS_API | (major === Mj.Close ? IRP_CLOSE_OPERATION : 0));
  return send(k, dev, irp, file, () => ({})).note;
}

/**
 * The file object's last reference is gone: IRP_MJ_CLOSE, then the object is freed (and a deleted device whose
 * last file this was). Called by NtClose, or by ObDereferenceObject when a driver held the file longer.
 */
export function closeFileObject(k: Kernel, file: bigint, dev: DeviceRecord): string | undefined {
  k.io.closingFiles.delete(file);
  const note = sendFileIrp(k, dev, file, Mj.Close);
  dev.openCount--;
  freeFileObject(k, file);
  if (dev.deleted && dev.openCount === 0 && referencesTaken(k, dev.address) === 0) k.pool.free_(dev.address, 0);
  return note;
}

/** NtClose on a file handle: IRP_MJ_CLEANUP now, IRP_MJ_CLOSE when the last reference to the file object goes. */
export function ntClose(k: Kernel, handle: number): IoResult {
  const f = fileFor(k, handle);
  if (!f) return { status: STATUS.INVALID_HANDLE, information: 0n };
  k.io.files.delete(handle);
  const notes: string[] = [];
  const cleanup = sendFileIrp(k, f.device, f.address, Mj.Cleanup);
  if (cleanup) notes.push(cleanup);
  if (referencesTaken(k, f.address) > 0) {
    // A driver still holds the file object (ObReferenceObject): its IRP_MJ_CLOSE waits for that reference.
    k.io.closingFiles.set(f.address, f.device);
  } else {
    const close = closeFileObject(k, f.address, f.device);
    if (close) notes.push(close);
  }
  // CloseHandle succeeds whatever the driver's cleanup and close routines return.
  return { status: STATUS.SUCCESS, information: 0n, ...(notes.length ? { note: notes.join('; ') } : {}) };
}
