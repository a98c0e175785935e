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
  IRP_READ_OPERATION, IRP_SYNCHRONOUS_API, SL_PENDING_RETURNED, IRP_WRITE_OPERATION, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT, Mj, SYNCHRONIZE,
} from './constants.js';
import { allocateIrp, callDriver, currentStackLocation, expectCompletion, forgetIrp, nextStackLocation } from './irp.js';
import { waitUntil } from '../ke/clock.js';
import { userProbeAddress } from '../mm/probe.js';
import { Prot } from '../../emu/engine.js';
import { NotificationEvent, SynchronizationEvent, initializeEvent } from '../ke/dispatcher.js';
import { tagOf } from './device.js';
import { fillUnicodeString } from './driver.js';
import type { DeviceRecord, FileRecord } from './state.js';
import { ProcessContext } from '../ps/process.js';
import { attachedTop } from './stack.js';
import { IoReadAccess, IoWriteAccess, MDL_PAGES_LOCKED, allocateMdl, freeMdl, probeAndLockPages, unlockPages } from '../mm/mdl.js';
import { referencesTaken } from '../ob/object.js';
import { walkChain } from '../rtl/list.js';
import { primaryToken } from '../se/token.js';

/** The outcome of one request as the system service returns it, plus the IO_STATUS_BLOCK the caller gets. */
export interface IoResult {
  status: number;
  information: bigint;
  /** STATUS_PENDING: the IRP, still with the driver; the caller's `async` callback gets the result when it completes. */
  pendingIrp?: bigint;
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
/** options.kernel: a kernel-mode caller (a driver's IoGetDeviceObjectPointer): KernelMode requests in its own context. */
export function ntCreateFile(k: Kernel, path: string, desiredAccess: number, shareAccess: number, options: { overlapped?: boolean; kernel?: boolean } = {}): { status: number; handle?: number; note?: string } {
  return service(k, () => createFile(k, path, desiredAccess, shareAccess, options), { status: STATUS.INSUFFICIENT_RESOURCES });
}

function createFile(k: Kernel, path: string, desiredAccess: number, shareAccess: number, options: { overlapped?: boolean; kernel?: boolean }): { status: number; handle?: number; note?: string } {
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
  const irp = newIrp(k, dev, options.kernel);
  const o = L.IRP.off;
  m.setU32At(irp, o.Flags, IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API);
  const sl = nextStackLocation(k, irp);
  const so = L.IO_STACK_LOCATION.off;
  m.setU8At(sl, so.MajorFunction, Mj.Create);
  m.setPtrAt(sl, so.FileObject, file);
  const createOptions = options.overlapped ? 0 : 0x20; /* FILE_SYNCHRONOUS_IO_NONALERT */
  const security = securityContext(k, dev, found.remainder, granted, createOptions, options.kernel === true);
  m.setPtrAt(sl, so['Parameters.Create.SecurityContext'], security);
  m.setU32At(sl, so['Parameters.Create.Options'], (FILE_OPEN << 24) | createOptions);
  m.setU16At(sl, so['Parameters.Create.FileAttributes'], 0x80 /* FILE_ATTRIBUTE_NORMAL */);
  m.setU16At(sl, so['Parameters.Create.ShareAccess'], shareAccess);
  const r = send(k, dev, irp, file, () => ({}), options.kernel);
  k.pool.free_(security, 0);
  if (!ntSuccess(r.status)) {
    freeFileObject(k, file);
    return { status: r.status, note: r.note };
  }
  m.setU32At(file, L.FILE_OBJECT.off.Flags, m.u32At(file, L.FILE_OBJECT.off.Flags) | FO_HANDLE_CREATED);
  dev.openCount++;
  const handle = k.io.allocateHandle();
  k.io.files.set(handle, { handle, address: file, device: dev, grantedAccess: granted, path, overlapped: options.overlapped === true, ...(options.kernel ? { kernel: true } : {}) });
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

const FILE_GENERIC_EXECUTE = 0x1200a0;
const FILE_ALL_ACCESS = 0x1f01ff;
const MAXIMUM_ALLOWED = 0x2000000;
const FILE_DEVICE_SECURE_OPEN = 0x100;
/** ACCESS_STATE.Flags: the caller's token holds SeChangeNotifyPrivilege (every standard token does). */
const TOKEN_HAS_TRAVERSE_PRIVILEGE = 0x1;
/** ExAllocateLocallyUniqueId's next LUID per machine: the first after the well-known ones (SYSTEM_LUID is 0x3e7). */
const nextLuid = new WeakMap<Kernel, bigint>();

/**
 * IO_SECURITY_CONTEXT for IRP_MJ_CREATE with the ACCESS_STATE the object manager builds for the open (and the
 * AUX_ACCESS_DATA it points to), in one pool block the caller frees with the IRP. As IopParseDevice leaves them:
 *  - OriginalDesiredAccess and RemainingDesiredAccess start as the access asked, generic rights mapped for files;
 *  - a user-mode open of the device itself (or of a name under a FILE_DEVICE_SECURE_OPEN device) is access-checked
 *    against the device: kdemu's devices carry no security descriptor, so all that was asked is granted, moves to
 *    PreviouslyGrantedAccess and leaves nothing remaining; a name under another device needs traverse rights only
 *    (TOKEN_HAS_TRAVERSE_PRIVILEGE), and a kernel-mode open no check: both leave the access remaining, none granted;
 *  - DesiredAccess is the access asked, FullCreateOptions every create option (the stack location keeps 24 bits);
 *  - no audit policy: no audit, so ObjectName and ObjectTypeName stay empty;
 *  - no impersonation and no token objects in kdemu: the subject context names the process (ProcessAuditId is its
 *    id, as PsProcessAuditId gives) but no token.
 */
function securityContext(k: Kernel, dev: DeviceRecord, remainder: string, access: number, createOptions: number, kernel: boolean): bigint {
  const m = k.m;
  const { IO_SECURITY_CONTEXT: SC, ACCESS_STATE: AS, AUX_ACCESS_DATA: AUX } = k.L;
  const stateAt = Math.ceil(SC.size / AS.align) * AS.align;
  const auxAt = Math.ceil((stateAt + AS.size) / AUX.align) * AUX.align;
  const ctx = alloc(k, auxAt + AUX.size, 'Se  ');
  m.fill(ctx, auxAt + AUX.size);
  const state = ctx + BigInt(stateAt);
  const aux = ctx + BigInt(auxAt);

  const luid = nextLuid.get(k) ?? 0x3e8n;
  nextLuid.set(k, luid + 1n);
  const a = AS.off;
  m.setU32At(state, a['OperationID.LowPart'], Number(luid & 0xffffffffn));
  m.setU32At(state, a['OperationID.HighPart'], Number(luid >> 32n));
  m.setU32At(state, a.Flags, TOKEN_HAS_TRAVERSE_PRIVILEGE);
  let remaining = access;
  let granted = 0;
  const secureOpen = (m.u32At(dev.address, k.L.DEVICE_OBJECT.off.Characteristics) & FILE_DEVICE_SECURE_OPEN) !== 0;
  if (!kernel && (remainder === '' || secureOpen)) {
    granted = ((access & ~MAXIMUM_ALLOWED) | (access & MAXIMUM_ALLOWED ? FILE_ALL_ACCESS : 0)) >>> 0;
    remaining = (remaining & ~(granted | MAXIMUM_ALLOWED)) >>> 0;
  }
  m.setU32At(state, a.RemainingDesiredAccess, remaining);
  m.setU32At(state, a.PreviouslyGrantedAccess, granted);
  m.setU32At(state, a.OriginalDesiredAccess, access);
  // The requesting process: the user process for a user-mode open (its IRP runs in that context), else the caller's.
  m.setPtrAt(state, a['SubjectSecurityContext.ProcessAuditId'], BigInt(kernel ? k.ps.pid : k.ps.userPid));
  // The requestor's primary token (se/token.ts), held by the I/O manager for the create.
  m.setPtrAt(state, a['SubjectSecurityContext.PrimaryToken'], primaryToken(k, kernel ? k.ps.current.process : k.ps.clientProcess).body);
  m.setPtrAt(state, a.AuxData, aux);
  // The privileges used so far are the access state's own (empty) initial set; the mapping is the file type's.
  m.setPtrAt(aux, AUX.off.PrivilegesUsed, state + BigInt(a.Privileges));
  m.setU32At(aux, AUX.off['GenericMapping.GenericRead'], FILE_GENERIC_READ);
  m.setU32At(aux, AUX.off['GenericMapping.GenericWrite'], FILE_GENERIC_WRITE);
  m.setU32At(aux, AUX.off['GenericMapping.GenericExecute'], FILE_GENERIC_EXECUTE);
  m.setU32At(aux, AUX.off['GenericMapping.GenericAll'], FILE_ALL_ACCESS);

  m.setPtrAt(ctx, SC.off.AccessState, state);
  m.setU32At(ctx, SC.off.DesiredAccess, access);
  m.setU32At(ctx, SC.off.FullCreateOptions, createOptions);
  return ctx;
}

/** The pool could not give a system service what it needs: the service fails with STATUS_INSUFFICIENT_RESOURCES. */
class NoResources extends Error {}

function alloc(k: Kernel, size: number, tag: string): bigint {
  const a = k.pool.allocate(size, tagOf(tag), 0, 'system', 'I/O manager');
  if (a === null) throw new NoResources();
  return a;
}

/**
 * Runs a system service's body; when the pool runs out before the request reaches a driver, what the body allocated
 * is freed (no driver code ran since, so those are the blocks allocated since the start) and the service returns
 * STATUS_INSUFFICIENT_RESOURCES, as NtReadFile and the others do.
 */
function service<T extends { status: number }>(k: Kernel, body: () => T, failed: T): T {
  const mark = k.pool.mark();
  try {
    // A system service runs in kernel mode, whoever called it (a kernel32 function acting for the program).
    return k.m.actingAs(0, body);
  } catch (e) {
    if (!(e instanceof NoResources)) throw e;
    for (const b of k.pool.allocatedSince(mark)) k.pool.free_(b.address, 0);
    return failed;
  }
}

function newIrp(k: Kernel, dev: DeviceRecord, kernel = false): bigint {
  // Requests go to the top of the device's stack (IoGetRelatedDeviceObject): a location for each driver there.
  const stack = k.m.u8At(attachedTop(k, dev.address), k.L.DEVICE_OBJECT.off.StackSize);
  const irp = allocateIrp(k, Math.max(stack, 1), 'system', 'I/O manager');
  if (irp === null) throw new NoResources();
  const o = k.L.IRP.off;
  k.m.setU8At(irp, o.RequestorMode, kernel ? 0 /* KernelMode */ : UserMode);
  // The requesting thread: a user's request comes from the client's thread (the run's own when the CLI issues it).
  const thread = kernel || k.ps.current.process.kind !== 'system' ? k.ps.current : k.ps.mainThread(ProcessContext.User);
  k.m.setPtrAt(irp, o['Tail.Overlay.Thread'], thread.ethread);
  return irp;
}

/**
 * Sends an IRP and waits for it as a synchronous caller would. `finish` runs at completion (IopCompleteRequest's
 * copy-back) and returns the bytes handed to the caller.
 */
function send(
  k: Kernel,
  dev: DeviceRecord,
  irp: bigint,
  file: bigint,
  finish: (status: number, information: bigint) => { data?: Uint8Array; note?: string },
  kernel = false,
  async?: (r: IoResult) => void,
): IoResult {
  const m = k.m;
  const o = k.L.IRP.off;
  k.m.setPtrAt(irp, o['Tail.Overlay.OriginalFileObject'], file);
  let completed: IoResult | undefined;
  let late: ((r: IoResult) => void) | undefined;
  const major = m.u8(nextStackLocation(k, irp) + BigInt(k.L.IO_STACK_LOCATION.off.MajorFunction));
  const target = attachedTop(k, dev.address);
  expectCompletion(k, irp, major, target, () => {
    const status = m.u32At(irp, o['IoStatus.Status']);
    const information = m.ptrAt(irp, o['IoStatus.Information']);
    const extra = finish(status, information);
    completed = { status, information, ...extra };
    k.io.pendingIrps.delete(irp);
    k.pool.free_(irp, 0);
    // A request that pended: its issuer learns the outcome now (the OVERLAPPED, the event, the CLI's completion).
    late?.(completed);
  });
  // A user's request runs in the user process's context; a kernel caller's in its own.
  const ctx = kernel ? k.ps.enter(k.ps.context) : k.ps.enter(ProcessContext.User);
  let status: number;
  try {
    status = callDriver(k, target, irp);
  } finally {
    k.ps.leave(ctx);
  }
  if (completed) {
    // A synchronous caller gets the dispatch routine's return value, or the final status if it pended.
    return status === STATUS.PENDING && !async ? completed : { ...completed, status: status === STATUS.PENDING ? completed.status : status };
  }
  if (status === STATUS.PENDING) {
    const sl = currentStackLocation(k, irp);
    const marked = (m.u8At(sl, k.L.IO_STACK_LOCATION.off.Control) & SL_PENDING_RETURNED) !== 0;
    const note = marked ? undefined : `the ${IRP_MJ[major]} dispatch routine returned STATUS_PENDING without IoMarkIrpPending on IRP ${hex(irp)}`;
    k.io.pendingIrps.set(irp, { file, major: IRP_MJ[major] ?? String(major), device: dev.name ?? hex(dev.address) });
    if (async) {
      late = async;
      return { status: STATUS.PENDING, information: 0n, pendingIrp: irp, ...(note ? { note } : {}) };
    }
    // A synchronous caller waits for the completion: time passes to the next timer, whose DPC may complete it.
    if (waitUntil(k, () => completed !== undefined)) return { ...completed!, ...(note ? { note } : {}) };
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

/**
 * NtReadFile/NtWriteFile: buffered, direct or neither I/O per the device's flags. With `async` (an overlapped file
 * object) a request the driver pends returns STATUS_PENDING at once and `async` gets its result later.
 */
export function ntReadWrite(k: Kernel, handle: number, write: boolean, userBuffer: bigint, length: number, async?: (r: IoResult) => void, via: KernelRequest & { byteOffset?: bigint } = {}): IoResult {
  return service(k, () => readWrite(k, handle, write, userBuffer, length, async, via), { status: STATUS.INSUFFICIENT_RESOURCES, information: 0n });
}

function readWrite(k: Kernel, handle: number, write: boolean, userBuffer: bigint, length: number, async: ((r: IoResult) => void) | undefined, via: KernelRequest & { byteOffset?: bigint }): IoResult {
  const f = fileFor(k, handle);
  if (!f) return { status: STATUS.INVALID_HANDLE, information: 0n };
  if (!(f.grantedAccess & (write ? FILE_WRITE_DATA : FILE_READ_DATA))) return { status: STATUS.ACCESS_DENIED, information: 0n };
  const m = k.m;
  const L = k.L;
  const dev = f.device;
  // The transfer method is that of the device the request goes to: the top of the opened device's stack
  // (IoGetRelatedDeviceObject), e.g. the function driver's FDO over the PDO a device interface names.
  const devFlags = m.u32At(attachedTop(k, dev.address), L.DEVICE_OBJECT.off.Flags);
  // The system service probes a buffered caller's buffer (direct I/O probes through its MDL; neither I/O leaves it
  // to the driver): a bad one fails the call with STATUS_ACCESS_VIOLATION instead of reaching the driver.
  if (!via.kernel && devFlags & DO_BUFFERED_IO && !userBufferOk(k, userBuffer, length, !write)) return { status: STATUS.ACCESS_VIOLATION, information: 0n };
  const irp = newIrp(k, dev, via.kernel);
  const o = L.IRP.off;
  const sl = nextStackLocation(k, irp);
  const so = L.IO_STACK_LOCATION.off;
  m.setU8At(sl, so.MajorFunction, write ? Mj.Write : Mj.Read);
  m.setPtrAt(sl, so.FileObject, f.address);
  m.setU32At(sl, write ? so['Parameters.Write.Length'] : so['Parameters.Read.Length'], length);
  const offsetField = f.address + BigInt(L.FILE_OBJECT.off.CurrentByteOffset);
  // A ByteOffset the caller gives is where the transfer goes (a synchronous file's position moves on from there).
  if (via.byteOffset !== undefined) m.setU64(offsetField, via.byteOffset);
  m.write(sl + BigInt(write ? so['Parameters.Write.ByteOffset'] : so['Parameters.Read.ByteOffset']), m.read(offsetField, 8));
  let flags = IRP_SYNCHRONOUS_API | (write ? IRP_WRITE_OPERATION : IRP_READ_OPERATION);
  let system = 0n;
  if (devFlags & DO_DIRECT_IO) {
    // Direct I/O: the caller's pages, described and locked by an MDL (a read writes into them).
    const probe = lockUserBuffer(k, irp, userBuffer, length, write ? IoReadAccess : IoWriteAccess, via.kernel ? 0 : UserMode);
    if (probe !== undefined) return probe;
    m.setPtrAt(irp, o.UserBuffer, userBuffer);
    m.setU32At(irp, o.Flags, flags);
    return send(k, dev, irp, f.address, (status, information) => {
      releaseMdls(k, irp);
      if (ntSuccess(status) && m.u32At(f.address, L.FILE_OBJECT.off.Flags) & FO_SYNCHRONOUS_IO) m.setU64(offsetField, m.u64(offsetField) + information);
      return directData(k, status, information, userBuffer, write ? 0 : length);
    }, via.kernel === true, async);
  }
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
  }, via.kernel === true, async);
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

/** ProbeForRead / ProbeForWrite as a system service does them for a user-mode caller: below MmUserProbeAddress, user pages, writable if written. */
function userBufferOk(k: Kernel, buffer: bigint, length: number, write: boolean): boolean {
  if (length === 0) return true;
  const end = buffer + BigInt(length);
  if (end > userProbeAddress(k) || end < buffer) return false;
  for (let p = buffer & ~0xfffn; p < end; p += 0x1000n) {
    const prot = k.m.engine.pageProt(p);
    if (prot === undefined || !(prot & Prot.User) || !(prot & Prot.Read) || (write && !(prot & Prot.Write))) return false;
  }
  return true;
}

/**
 * Describes and locks a caller's buffer for direct I/O into the IRP's MdlAddress. A buffer the caller may not use that
 * way makes the system service fail with the probe's status, as its exception handler does on Windows (the IRP is
 * freed); undefined when the buffer is locked (or empty).
 */
function lockUserBuffer(k: Kernel, irp: bigint, buffer: bigint, length: number, operation: number, mode = UserMode): IoResult | undefined {
  if (length === 0) return undefined;
  const mdl = allocateMdl(k, buffer, length, 'system', 'I/O manager');
  if (mdl === null) {
    k.pool.free_(irp, 0);
    return { status: STATUS.INSUFFICIENT_RESOURCES, information: 0n };
  }
  const s = probeAndLockPages(k, mdl, mode, operation);
  if (s !== 0n) {
    k.pool.free_(mdl, 0);
    k.pool.free_(irp, 0);
    return { status: Number(s), information: 0n };
  }
  k.m.setPtrAt(irp, k.L.IRP.off.MdlAddress, mdl);
  return undefined;
}

/** IopCompleteRequest for the MDLs on an IRP: each is unlocked (and its system view removed) and freed. */
function releaseMdls(k: Kernel, irp: bigint): void {
  // The chain is collected first (and checked: the driver may have linked it into a loop), then released.
  const chain: bigint[] = [];
  walkChain(k, 'IoCompleteRequest', k.m.ptrAt(irp, k.L.IRP.off.MdlAddress), (p) => k.m.ptrAt(p, k.L.MDL.off.Next), (p) => chain.push(p));
  for (const mdl of chain) {
    if (k.m.u16At(mdl, k.L.MDL.off.MdlFlags) & MDL_PAGES_LOCKED) unlockPages(k, mdl);
    freeMdl(k, mdl);
  }
  k.m.setPtrAt(irp, k.L.IRP.off.MdlAddress, 0n);
}

/** What the caller finds in its buffer after direct I/O: the driver wrote there itself. */
function directData(k: Kernel, status: number, information: bigint, buffer: bigint, outLength: number): { data?: Uint8Array; note?: string } {
  if (ntError(status) || outLength === 0) return {};
  let n = Number(BigInt.asUintN(32, information));
  let note: string | undefined;
  if (n > outLength) {
    note = `the driver reported ${n} bytes for a ${outLength}-byte buffer`;
    n = outLength;
  }
  return { data: n > 0 ? k.m.read(buffer, n) : undefined, ...(note ? { note } : {}) };
}

/** NtDeviceIoControlFile, for every transfer method. */
export function ntDeviceIoControl(k: Kernel, handle: number, code: number, input: bigint, inLength: number, output: bigint, outLength: number, async?: (r: IoResult) => void, internal = false, via: KernelRequest = {}): IoResult {
  return service(k, () => deviceIoControl(k, handle, code, input, inLength, output, outLength, async, internal, via), { status: STATUS.INSUFFICIENT_RESOURCES, information: 0n });
}

/**
 * A request from kernel mode (ZwDeviceIoControlFile, ZwFsControlFile, ZwReadFile on a device): its buffers are not
 * probed and its IRP says RequestorMode KernelMode; fsControl sends IRP_MJ_FILE_SYSTEM_CONTROL (IRP_MN_USER_FS_REQUEST).
 */
export interface KernelRequest {
  kernel?: boolean;
  fsControl?: boolean;
}

function deviceIoControl(k: Kernel, handle: number, code: number, input: bigint, inLength: number, output: bigint, outLength: number, async: ((r: IoResult) => void) | undefined, internal: boolean, via: KernelRequest): IoResult {
  const f = fileFor(k, handle);
  if (!f) return { status: STATUS.INVALID_HANDLE, information: 0n };
  const method = code & 3;
  const access = (code >>> 14) & 3;
  if ((access & FILE_READ_ACCESS && !(f.grantedAccess & FILE_READ_DATA)) || (access & FILE_WRITE_ACCESS && !(f.grantedAccess & FILE_WRITE_DATA))) {
    return { status: STATUS.ACCESS_DENIED, information: 0n };
  }
  const m = k.m;
  const L = k.L;
  const dev = f.device;
  if (!via.kernel && method !== METHOD_NEITHER && (!userBufferOk(k, input, inLength, false) || (method === METHOD_BUFFERED && !userBufferOk(k, output, outLength, true)))) {
    return { status: STATUS.ACCESS_VIOLATION, information: 0n };
  }
  const irp = newIrp(k, dev, via.kernel);
  const o = L.IRP.off;
  const sl = nextStackLocation(k, irp);
  const so = L.IO_STACK_LOCATION.off;
  // Parameters.FileSystemControl has the same layout as Parameters.DeviceIoControl.
  m.setU8At(sl, so.MajorFunction, via.fsControl ? Mj.FileSystemControl : internal ? Mj.InternalDeviceControl : Mj.DeviceControl);
  m.setPtrAt(sl, so.FileObject, f.address);
  m.setU32At(sl, so['Parameters.DeviceIoControl.OutputBufferLength'], outLength);
  m.setU32At(sl, so['Parameters.DeviceIoControl.InputBufferLength'], inLength);
  m.setU32At(sl, so['Parameters.DeviceIoControl.IoControlCode'], code);
  // What the handle grants, for IoValidateDeviceIoControlAccess (SL_READ_ACCESS_GRANTED, SL_WRITE_ACCESS_GRANTED).
  m.setU8At(sl, so.Flags, (f.grantedAccess & FILE_READ_DATA ? 0x1 : 0) | (f.grantedAccess & FILE_WRITE_DATA ? 0x4 : 0));
  let flags = IRP_SYNCHRONOUS_API;
  let system = 0n;
  if (method === METHOD_IN_DIRECT || method === METHOD_OUT_DIRECT) {
    // The input through a system buffer; the output buffer's pages through an MDL, probed for reading
    // (METHOD_IN_DIRECT: it is a second input) or for writing (METHOD_OUT_DIRECT).
    if (inLength > 0) {
      system = alloc(k, inLength, 'IoBu');
      m.write(system, m.read(input, inLength));
      flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
    }
    m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], system);
    if (outLength > 0) {
      const probe = lockUserBuffer(k, irp, output, outLength, method === METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess, via.kernel ? 0 : UserMode);
      if (probe !== undefined) {
        if (system !== 0n) k.pool.free_(system, 0);
        return probe;
      }
    }
    m.setPtrAt(irp, o.UserBuffer, output);
    m.setU32At(irp, o.Flags, flags);
    return send(k, dev, irp, f.address, (status, information) => {
      releaseMdls(k, irp);
      if (system !== 0n) k.pool.free_(system, 0);
      return directData(k, status, information, output, outLength);
    }, via.kernel === true, async);
  }
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
  via.kernel === true, async);
}

/** Sends IRP_MJ_CLEANUP or IRP_MJ_CLOSE for a file object; returns the driver-misbehaviour note, if any. */
function sendFileIrp(k: Kernel, dev: DeviceRecord, file: bigint, major: Mj.Cleanup | Mj.Close, kernel = false): string | undefined {
  let irp: bigint;
  try {
    irp = newIrp(k, dev, kernel);
  } catch (e) {
    // Windows never fails a close (it waits for memory); with none to come, the run cannot go on.
    if (e instanceof NoResources) throw new GuestStop('resource-limit', `no pool left for the ${major === Mj.Close ? 'IRP_MJ_CLOSE' : 'IRP_MJ_CLEANUP'} IRP of a file object: the guest memory budget (--memory) is spent`);
    throw e;
  }
  const sl = nextStackLocation(k, irp);
  k.m.setU8At(sl, k.L.IO_STACK_LOCATION.off.MajorFunction, major);
  k.m.setPtrAt(sl, k.L.IO_STACK_LOCATION.off.FileObject, file);
  k.m.setU32At(irp, k.L.IRP.off.Flags, IRP_SYNCHRONOUS_API | (major === Mj.Close ? IRP_CLOSE_OPERATION : 0));
  return send(k, dev, irp, file, () => ({}), kernel).note;
}

/**
 * The file object's last reference is gone: IRP_MJ_CLOSE, then the object is freed (and a deleted device whose
 * last file this was). Called by NtClose, or by ObDereferenceObject when a driver held the file longer.
 */
export function closeFileObject(k: Kernel, file: bigint, dev: DeviceRecord, userHandle = false): string | undefined {
  k.io.closingFiles.delete(file);
  // In the context of whoever let go last: the user process closing its handle, or the code dropping a reference.
  const note = sendFileIrp(k, dev, file, Mj.Close, !userHandle);
  dev.openCount--;
  freeFileObject(k, file);
  if (dev.deleted && dev.openCount === 0 && referencesTaken(k, dev.address) === 0) k.pool.free_(dev.address, 0);
  return note;
}

/** NtClose on a file handle: IRP_MJ_CLEANUP now, IRP_MJ_CLOSE when the last reference to the file object goes. */
export function ntClose(k: Kernel, handle: number): IoResult {
  return k.m.actingAs(0, () => closeHandle(k, handle));
}

function closeHandle(k: Kernel, handle: number): IoResult {
  const f = fileFor(k, handle);
  if (!f) return { status: STATUS.INVALID_HANDLE, information: 0n };
  k.io.files.delete(handle);
  const notes: string[] = [];
  const cleanup = sendFileIrp(k, f.device, f.address, Mj.Cleanup, f.kernel);
  if (cleanup) notes.push(cleanup);
  if (referencesTaken(k, f.address) > 0) {
    // A driver still holds the file object (ObReferenceObject): its IRP_MJ_CLOSE waits for that reference.
    k.io.closingFiles.set(f.address, f.device);
  } else {
    const close = closeFileObject(k, f.address, f.device, !f.kernel);
    if (close) notes.push(close);
  }
  // CloseHandle succeeds whatever the driver's cleanup and close routines return.
  return { status: STATUS.SUCCESS, information: 0n, ...(notes.length ? { note: notes.join('; ') } : {}) };
}
