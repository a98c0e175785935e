// File I/O from kernel mode: ZwCreateFile (ZwOpenFile, IoCreateFile), ZwReadFile, ZwWriteFile, ZwQueryInformationFile,
// ZwSetInformationFile, ZwDeleteFile, ZwQueryFullAttributesFile, ZwFlushBuffersFile, and ZwDeviceIoControlFile /
// ZwFsControlFile to devices a driver opened, on named pipes (io/npfs.ts), on other devices' paths through the I/O
// manager (IRPs with RequestorMode KernelMode), and on disk paths (\??\C:\..., \SystemRoot)
// in the sandboxed in-memory file system (io/memfs.ts): the host's disk is never reached; --fs DIR shows a host folder
// at C:\, read-only (what the driver writes stays in memory).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntError, ntSuccess } from '../rtl/ntstatus.js';
import { mapGeneric } from '../ob/handle.js';
import { pipeEndOf, pipeName, type PipeEnd } from './npfs.js';
import { attributesName } from '../ex/event.js';
import { OBJ_KERNEL_HANDLE, objectAttributes } from '../ps/thread.js';
import { ntCreateFile, ntDeviceIoControl, ntReadWrite, type IoResult } from './iofunc.js';
import { MemFs, fsPath, mapFileAccess, type OpenFile } from './memfs.js';
import { systemTime } from '../ke/clock.js';
import type { KObject } from '../ob/handle.js';

/** CreateOptions: synchronous I/O on the file object (the caller waits in the service). */
const FILE_SYNCHRONOUS_IO_ALERT = 0x10;
const FILE_SYNCHRONOUS_IO_NONALERT = 0x20;
/** IO_STATUS_BLOCK.Information after a create. */
const FILE_OPENED = 1;
const FILE_OPEN = 1;
const FILE_OPEN_IF = 3;
const KernelMode = 0;

/** Fills an IO_STATUS_BLOCK. */
export function ioStatus(k: Kernel, iosb: bigint, status: number, information: bigint | number): void {
  if (iosb === 0n) return;
  const o = k.L.IO_STATUS_BLOCK.off;
  k.m.setU32At(iosb, o.Status, status >>> 0);
  k.m.setPtrAt(iosb, o.Information, BigInt(information));
}

/** The pipe end a kernel-mode handle names (any table: kernel or the current process's). */
function pipeHandle(k: Kernel, h: bigint): PipeEnd | undefined {
  return pipeEndOf(k.ob.lookup(h, KernelMode)?.object);
}

/** A file of the in-memory file system behind a handle: its open file and whether its I/O is synchronous. */
export interface DiskFile {
  readonly kind: 'memfs';
  readonly open: OpenFile;
  readonly synchronous: boolean;
}

const volumes = new WeakMap<Kernel, MemFs>();

/** The run's file system: empty, or the --fs folder at C:\; file times follow the virtual clock. */
export function fileSystem(k: Kernel): MemFs {
  let fs = volumes.get(k);
  if (!fs) volumes.set(k, (fs = new MemFs({ ...(k.fsDir ? { hostDir: k.fsDir } : {}), now: () => systemTime(k) })));
  return fs;
}

export function diskFileOf(obj: KObject | undefined): DiskFile | undefined {
  const f = obj?.file as DiskFile | undefined;
  return f?.kind === 'memfs' ? f : undefined;
}

/** A FILE_OBJECT for a handle kdemu serves itself (a pipe end, a file of the file system), freed with it. */
export function fileObject(k: Kernel): bigint | null {
  const L = k.L.FILE_OBJECT;
  const body = k.m.actingAs(0, () => k.pool.allocate(L.size, 0x6c69464e /* 'NFil' */, 0, 'system', 'file object'));
  if (body === null) return null;
  k.m.actingAs(0, () => {
    k.m.fill(body, L.size);
    k.m.setU16At(body, L.off.Type, 5); // IO_TYPE_FILE
    k.m.setU16At(body, L.off.Size, L.size);
  });
  return body;
}

/**
 * A handle to a pipe end: a file object whose deletion (its last handle and reference gone) closes the end. In the
 * kernel's table or the current process's; undefined (the end closed) when there is no memory for the file object.
 */
export function pipeEndHandle(k: Kernel, end: PipeEnd, access: number, kernel: boolean): bigint | undefined {
  const body = fileObject(k);
  if (body === null) {
    k.npfs.close(end);
    return undefined;
  }
  const obj = k.ob.create('File', body, {
    file: end,
    onDelete: () => {
      k.npfs.close(end);
      k.m.actingAs(0, () => k.pool.free_(body, 0));
    },
  });
  return k.ob.insert(obj, mapGeneric('File', access), kernel);
}

export function unsupported(k: Kernel, routine: string, what: string): never {
  throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())} ${what}`, { export: `ntoskrnl.exe!${routine}` });
}

function createFile(k: Kernel, a: { FileHandle: bigint; DesiredAccess: number; ObjectAttributes: bigint; IoStatusBlock: bigint; FileAttributes: number; ShareAccess: number; CreateDisposition: number; CreateOptions: number }): number {
  const path = attributesName(k, a.ObjectAttributes, 'ZwCreateFile');
  if (path === undefined) return STATUS.OBJECT_NAME_INVALID;
  const kernel = (objectAttributes(k, a.ObjectAttributes) & OBJ_KERNEL_HANDLE) !== 0;
  const pipe = pipeName(k, path);
  if (pipe !== undefined) {
    if (a.CreateDisposition !== FILE_OPEN && a.CreateDisposition !== FILE_OPEN_IF) {
      // Creating a pipe is NtCreateNamedPipeFile's job; NtCreateFile only opens a client end.
      unsupported(k, 'ZwCreateFile', `creates ${path} with disposition ${a.CreateDisposition}: a pipe's server end comes from ZwCreateNamedPipeFile, which kdemu does not implement`);
    }
    if (!(a.CreateOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))) {
      unsupported(k, 'ZwCreateFile', `opens ${path} for asynchronous I/O (no FILE_SYNCHRONOUS_IO_*): kdemu's pipes are synchronous`);
    }
    const r = k.npfs.connect(pipe, a.DesiredAccess);
    if (!r.end) {
      ioStatus(k, a.IoStatusBlock, r.status, 0);
      return r.status;
    }
    const h = pipeEndHandle(k, r.end, a.DesiredAccess, kernel);
    if (h === undefined) return STATUS.INSUFFICIENT_RESOURCES;
    k.m.setPtr(a.FileHandle, h);
    ioStatus(k, a.IoStatusBlock, STATUS.SUCCESS, FILE_OPENED);
    return STATUS.SUCCESS;
  }
  const found = k.ns.lookup(path);
  if (!('status' in found) && found.object.type === 'device') {
    // Another device's name: IRP_MJ_CREATE to its driver, as for IoGetDeviceObjectPointer.
    const r = ntCreateFile(k, path, a.DesiredAccess, a.ShareAccess, { kernel: true });
    ioStatus(k, a.IoStatusBlock, r.status, ntSuccess(r.status) ? FILE_OPENED : 0);
    if (r.handle !== undefined) k.m.setPtr(a.FileHandle, BigInt(r.handle));
    return r.status;
  }
  if (fsPath(path)) return createDiskFile(k, path, a, kernel);
  const status = 'status' in found ? found.status : STATUS.OBJECT_TYPE_MISMATCH;
  ioStatus(k, a.IoStatusBlock, status, 0);
  return status;
}

/** ZwCreateFile on a disk path: the in-memory file system's NtCreateFile. */
function createDiskFile(k: Kernel, path: string, a: { FileHandle: bigint; DesiredAccess: number; IoStatusBlock: bigint; ShareAccess: number; CreateDisposition: number; CreateOptions: number; FileAttributes?: number }, kernel: boolean): number {
  const r = fileSystem(k).open(path, { desiredAccess: a.DesiredAccess, shareAccess: a.ShareAccess, disposition: a.CreateDisposition, createOptions: a.CreateOptions, fileAttributes: a.FileAttributes ?? 0 });
  ioStatus(k, a.IoStatusBlock, r.status, r.information);
  if (!r.file) return r.status;
  const open = r.file;
  const body = fileObject(k);
  if (body === null) {
    open.close();
    return STATUS.INSUFFICIENT_RESOURCES;
  }
  const file: DiskFile = { kind: 'memfs', open, synchronous: (a.CreateOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) !== 0 };
  const obj = k.ob.create('File', body, {
    file,
    onDelete: () => {
      open.close();
      k.m.actingAs(0, () => k.pool.free_(body, 0));
    },
  });
  k.m.setPtr(a.FileHandle, k.ob.insert(obj, mapFileAccess(a.DesiredAccess), kernel));
  return r.status;
}

/** NtReadFile / NtWriteFile on a file of the file system (synchronous: the data moves at once). */
function diskReadWrite(k: Kernel, routine: string, f: DiskFile, a: { IoStatusBlock: bigint; Buffer: bigint; Length: number; ByteOffset: bigint }): number {
  let offset: bigint | undefined;
  if (a.ByteOffset !== 0n) {
    offset = BigInt.asIntN(64, k.m.u64(a.ByteOffset));
    // FILE_USE_FILE_POINTER_POSITION on a synchronous file is the current position.
    if (offset === -2n && f.synchronous) offset = undefined;
  } else if (!f.synchronous) {
    // An asynchronous file object has no current position: the caller must say where.
    return STATUS.INVALID_PARAMETER;
  }
  if (routine === 'ZwWriteFile') {
    const r = f.open.write(k.m.read(a.Buffer, a.Length), offset);
    ioStatus(k, a.IoStatusBlock, r.status, r.information);
    return r.status;
  }
  const r = f.open.read(a.Length, offset);
  if (r.data.length) k.m.write(a.Buffer, r.data);
  ioStatus(k, a.IoStatusBlock, r.status, r.data.length);
  return r.status;
}

/** FILE_INFORMATION_CLASS values ZwQueryInformationFile and ZwSetInformationFile take here. */
const FileBasicInformation = 4;
const FileStandardInformation = 5;
const FileDispositionInformation = 13;
const FilePositionInformation = 14;
const FileEndOfFileInformation = 20;

function queryInformation(k: Kernel, a: { FileHandle: bigint; IoStatusBlock: bigint; FileInformation: bigint; Length: number; FileInformationClass: number }): number {
  const f = diskFileOf(k.ob.lookup(a.FileHandle, KernelMode)?.object);
  if (!f) return fileHandleStatus(k, a.FileHandle, 'ZwQueryInformationFile');
  const m = k.m;
  const out = a.FileInformation;
  const need = (n: number) => {
    if (a.Length < n) return STATUS.INFO_LENGTH_MISMATCH;
    ioStatus(k, a.IoStatusBlock, STATUS.SUCCESS, n);
    return STATUS.SUCCESS;
  };
  switch (a.FileInformationClass) {
    case FileBasicInformation: {
      const s = need(40);
      if (s !== STATUS.SUCCESS) return s;
      const b = f.open.queryBasic();
      m.setU64(out, b.creationTime);
      m.setU64(out + 8n, b.lastAccessTime);
      m.setU64(out + 16n, b.lastWriteTime);
      m.setU64(out + 24n, b.changeTime);
      m.setU32(out + 32n, b.fileAttributes);
      return s;
    }
    case FileStandardInformation: {
      const s = need(24);
      if (s !== STATUS.SUCCESS) return s;
      const st = f.open.queryStandard();
      m.setU64(out, st.allocationSize);
      m.setU64(out + 8n, st.endOfFile);
      m.setU32(out + 16n, st.numberOfLinks);
      m.setU8(out + 20n, st.deletePending ? 1 : 0);
      m.setU8(out + 21n, st.directory ? 1 : 0);
      return s;
    }
    case FilePositionInformation: {
      const s = need(8);
      if (s === STATUS.SUCCESS) m.setU64(out, f.open.position);
      return s;
    }
  }
  unsupported(k, 'ZwQueryInformationFile', `asks for FILE_INFORMATION_CLASS ${a.FileInformationClass}, which kdemu does not implement (it has FileBasicInformation, FileStandardInformation and FilePositionInformation)`);
}

function setInformation(k: Kernel, a: { FileHandle: bigint; IoStatusBlock: bigint; FileInformation: bigint; Length: number; FileInformationClass: number }): number {
  const f = diskFileOf(k.ob.lookup(a.FileHandle, KernelMode)?.object);
  if (!f) return fileHandleStatus(k, a.FileHandle, 'ZwSetInformationFile');
  const m = k.m;
  const size = { [FilePositionInformation]: 8, [FileEndOfFileInformation]: 8, [FileDispositionInformation]: 1 }[a.FileInformationClass];
  if (size === undefined) {
    unsupported(k, 'ZwSetInformationFile', `sets FILE_INFORMATION_CLASS ${a.FileInformationClass}, which kdemu does not implement (it has FilePositionInformation, FileEndOfFileInformation and FileDispositionInformation)`);
  }
  if (a.Length < size) return STATUS.INFO_LENGTH_MISMATCH;
  let status: number = STATUS.SUCCESS;
  if (a.FileInformationClass === FilePositionInformation) {
    const pos = BigInt.asIntN(64, m.u64(a.FileInformation));
    if (pos < 0n) status = STATUS.INVALID_PARAMETER;
    else f.open.position = pos;
  } else if (a.FileInformationClass === FileEndOfFileInformation) {
    const eof = BigInt.asIntN(64, m.u64(a.FileInformation));
    status = eof < 0n ? STATUS.INVALID_PARAMETER : f.open.setEndOfFile(eof);
  } else {
    status = f.open.setDisposition(m.u8(a.FileInformation) !== 0);
  }
  ioStatus(k, a.IoStatusBlock, status, 0);
  return status;
}

/** The status for a handle that is not a file of the file system: invalid, or a kind kdemu does not query. */
function fileHandleStatus(k: Kernel, h: bigint, routine: string): number {
  if (k.ob.lookup(h, KernelMode) || k.io.files.has(Number(h & 0xffffffffn))) unsupported(k, routine, `on handle ${hex(h)}, which is a pipe or device file: kdemu queries and sets information only on files of its file system`);
  return STATUS.INVALID_HANDLE;
}

function readWrite(k: Kernel, routine: 'ZwReadFile' | 'ZwWriteFile', a: { FileHandle: bigint; Event: bigint; ApcRoutine: bigint; IoStatusBlock: bigint; Buffer: bigint; Length: number; ByteOffset: bigint }): number {
  const disk = diskFileOf(k.ob.lookup(a.FileHandle, KernelMode)?.object);
  if (disk) {
    if (a.Event !== 0n || a.ApcRoutine !== 0n) unsupported(k, routine, 'passes an event or APC routine: kdemu completes file I/O synchronously');
    return diskReadWrite(k, routine, disk, a);
  }
  const end = pipeHandle(k, a.FileHandle);
  if (!end) {
    const device = deviceHandle(k, a.FileHandle);
    if (device === undefined) return STATUS.INVALID_HANDLE;
    if (a.Event !== 0n || a.ApcRoutine !== 0n) unsupported(k, routine, 'on a device passes an event or APC routine: kdemu waits for device I/O in the call');
    let byteOffset: bigint | undefined;
    if (a.ByteOffset !== 0n) {
      byteOffset = k.m.u64(a.ByteOffset);
      // FILE_USE_FILE_POINTER_POSITION: the file object's current position.
      if (BigInt.asIntN(64, byteOffset) === -2n) byteOffset = undefined;
    }
    return deviceResult(k, a.IoStatusBlock, ntReadWrite(k, device, routine === 'ZwWriteFile', a.Buffer, a.Length, undefined, { kernel: true, ...(byteOffset !== undefined ? { byteOffset } : {}) }));
  }
  if (a.Event !== 0n || a.ApcRoutine !== 0n) unsupported(k, routine, 'passes an event or APC routine: kdemu completes pipe I/O synchronously');
  const fn = `ntoskrnl.exe!${routine}`;
  if (routine === 'ZwWriteFile') {
    const data = k.m.read(a.Buffer, a.Length);
    return k.m.actingAs(0, () =>
      k.npfs.write(end, data, fn, (status, n) => {
        ioStatus(k, a.IoStatusBlock, status, n);
        return status;
      }),
    );
  }
  return k.m.actingAs(0, () =>
    k.npfs.read(end, a.Length, fn, (status, data) => {
      if (data.length) k.m.write(a.Buffer, data);
      ioStatus(k, a.IoStatusBlock, status, data.length);
      return status;
    }),
  );
}

/** The in-memory file system's path an OBJECT_ATTRIBUTES names, or the status for a name that is not one. */
function diskPath(k: Kernel, routine: string, oa: bigint): { path: string } | { status: number } {
  const path = attributesName(k, oa, routine);
  if (path === undefined) return { status: STATUS.OBJECT_NAME_INVALID };
  if (fsPath(path)) return { path };
  if (pipeName(k, path) !== undefined) unsupported(k, routine, `on pipe ${path}: kdemu answers it for files of its file system`);
  const found = k.ns.lookup(path);
  if (!('status' in found) && found.object.type === 'device') unsupported(k, routine, `on device ${path}: kdemu answers it for files of its file system`);
  return { status: 'status' in found ? found.status : STATUS.OBJECT_TYPE_MISMATCH };
}

const FILE_DELETE_ON_CLOSE = 0x1000;
const DELETE = 0x10000;
const FILE_READ_ATTRIBUTES = 0x80;
const FILE_WRITE_DATA = 0x2;
const FILE_APPEND_DATA = 0x4;
const SHARE_ALL = 7;

/** NtDeleteFile: opened for DELETE and deleted when the open closes (at once, unless other handles share delete). */
function deleteFile(k: Kernel, oa: bigint): number {
  const p = diskPath(k, 'ZwDeleteFile', oa);
  if ('status' in p) return p.status;
  const r = fileSystem(k).open(p.path, { desiredAccess: DELETE, shareAccess: SHARE_ALL, disposition: FILE_OPEN, createOptions: FILE_DELETE_ON_CLOSE });
  r.file?.close();
  return r.status;
}

/** NtQueryFullAttributesFile: FILE_NETWORK_OPEN_INFORMATION of a file by name, through an open for FILE_READ_ATTRIBUTES. */
function queryFullAttributes(k: Kernel, oa: bigint, out: bigint): number {
  const p = diskPath(k, 'ZwQueryFullAttributesFile', oa);
  if ('status' in p) return p.status;
  const r = fileSystem(k).open(p.path, { desiredAccess: FILE_READ_ATTRIBUTES, shareAccess: SHARE_ALL, disposition: FILE_OPEN });
  if (!r.file) return r.status;
  const b = r.file.queryBasic();
  const st = r.file.queryStandard();
  r.file.close();
  const m = k.m;
  m.setU64(out, b.creationTime);
  m.setU64(out + 8n, b.lastAccessTime);
  m.setU64(out + 16n, b.lastWriteTime);
  m.setU64(out + 24n, b.changeTime);
  m.setU64(out + 32n, st.allocationSize);
  m.setU64(out + 40n, st.endOfFile);
  m.setU32(out + 48n, b.fileAttributes);
  m.setU32(out + 52n, 0);
  return STATUS.SUCCESS;
}

/** NtFlushBuffersFile: the file system keeps nothing unwritten; the handle must have been opened to write. */
function flushBuffers(k: Kernel, h: bigint, iosb: bigint): number {
  const e = k.ob.lookup(h, KernelMode);
  const f = diskFileOf(e?.object);
  if (!f || !e) return fileHandleStatus(k, h, 'ZwFlushBuffersFile');
  if (!(e.access & (FILE_WRITE_DATA | FILE_APPEND_DATA))) return STATUS.ACCESS_DENIED;
  ioStatus(k, iosb, STATUS.SUCCESS, 0);
  return STATUS.SUCCESS;
}

/** CREATE_FILE_TYPE: IoCreateFile's named pipe and mailslot creation (NtCreateNamedPipeFile, NtCreateMailslotFile). */
const CreateFileTypeNone = 0;

function ioCreateFile(k: Kernel, routine: string, a: { FileHandle: bigint; DesiredAccess: number; ObjectAttributes: bigint; IoStatusBlock: bigint; FileAttributes: number; ShareAccess: number; Disposition: number; CreateOptions: number; EaBuffer: bigint; CreateFileType: number; DriverContext?: bigint }): number {
  if (a.CreateFileType !== CreateFileTypeNone) unsupported(k, routine, `with CreateFileType ${a.CreateFileType}: kdemu creates no named pipes or mailslots`);
  if (a.EaBuffer !== 0n) unsupported(k, routine, 'with extended attributes (EaBuffer): kdemu\'s file system has none');
  // IO_DRIVER_CREATE_CONTEXT (Size, ExtraCreateParameter, DeviceObjectHint, TxnParameters): extra create parameters,
  // a create sent below the top of a device stack and transactions are beyond kdemu.
  if (a.DriverContext) {
    const p = BigInt(k.ptrSize);
    if (k.m.ptr(a.DriverContext + p) !== 0n || k.m.ptr(a.DriverContext + 2n * p) !== 0n || k.m.ptr(a.DriverContext + 3n * p) !== 0n) {
      unsupported(k, routine, 'with extra create parameters, a DeviceObjectHint or a transaction in its IO_DRIVER_CREATE_CONTEXT');
    }
  }
  return createFile(k, { ...a, CreateDisposition: a.Disposition });
}

/** A device file handle a driver opened (ZwCreateFile on a device's name): its number in the I/O manager's table. */
function deviceHandle(k: Kernel, h: bigint): number | undefined {
  const n = Number(h & 0xffffffffn);
  return k.io.files.has(n) ? n : undefined;
}

/**
 * A device request's outcome for a kernel-mode caller: the IO_STATUS_BLOCK is written unless the driver failed the
 * request at once (IopCompleteRequest leaves it for an error that did not pend).
 */
function deviceResult(k: Kernel, iosb: bigint, r: IoResult): number {
  if (!ntError(r.status)) ioStatus(k, iosb, r.status, r.information);
  return r.status;
}

/** NtDeviceIoControlFile / NtFsControlFile from kernel mode: an IRP to the device a driver opened. */
function controlFile(k: Kernel, routine: 'ZwDeviceIoControlFile' | 'ZwFsControlFile', a: { FileHandle: bigint; Event: bigint; ApcRoutine: bigint; IoStatusBlock: bigint; Code: number; InputBuffer: bigint; InputBufferLength: number; OutputBuffer: bigint; OutputBufferLength: number }): number {
  const device = deviceHandle(k, a.FileHandle);
  if (device === undefined) {
    const e = k.ob.lookup(a.FileHandle, KernelMode);
    if (e?.object.type === 'File') unsupported(k, routine, `on handle ${hex(a.FileHandle)}, a pipe or a file of the file system: kdemu sends control requests to devices drivers opened`);
    return e ? STATUS.OBJECT_TYPE_MISMATCH : STATUS.INVALID_HANDLE;
  }
  if (a.Event !== 0n || a.ApcRoutine !== 0n) unsupported(k, routine, 'passes an event or APC routine: kdemu waits for device I/O in the call');
  const r = ntDeviceIoControl(k, device, a.Code >>> 0, a.InputBuffer, a.InputBufferLength, a.OutputBuffer, a.OutputBufferLength, undefined, false, { kernel: true, fsControl: routine === 'ZwFsControlFile' });
  return deviceResult(k, a.IoStatusBlock, r);
}

const zw = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;
const IO_CREATE_FILE_PARAMS = { FileHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', IoStatusBlock: 'ptr', AllocationSize: 'ptr', FileAttributes: 'u32', ShareAccess: 'u32', Disposition: 'u32', CreateOptions: 'u32', EaBuffer: 'ptr', EaLength: 'u32', CreateFileType: 'u32', InternalParameters: 'ptr', Options: 'u32' } as const;
const IO_CREATE_FILE_PROTO = 'PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess, ULONG Disposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength, CREATE_FILE_TYPE CreateFileType, PVOID InternalParameters, ULONG Options';

export const exports = [
  defineExport({
    ...zw, name: 'ZwCreateFile',
    proto: 'NTSTATUS ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength)',
    params: { FileHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', IoStatusBlock: 'ptr', AllocationSize: 'ptr', FileAttributes: 'u32', ShareAccess: 'u32', CreateDisposition: 'u32', CreateOptions: 'u32', EaBuffer: 'ptr', EaLength: 'u32' },
    ret: 'status',
    impl: (k, a) => createFile(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwQueryInformationFile',
    proto: 'NTSTATUS ZwQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)',
    params: { FileHandle: 'handle', IoStatusBlock: 'ptr', FileInformation: 'ptr', Length: 'u32', FileInformationClass: 'u32' },
    ret: 'status',
    impl: (k, a) => queryInformation(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwSetInformationFile',
    proto: 'NTSTATUS ZwSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)',
    params: { FileHandle: 'handle', IoStatusBlock: 'ptr', FileInformation: 'ptr', Length: 'u32', FileInformationClass: 'u32' },
    ret: 'status',
    impl: (k, a) => setInformation(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwOpenFile',
    proto: 'NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)',
    params: { FileHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', IoStatusBlock: 'ptr', ShareAccess: 'u32', OpenOptions: 'u32' },
    ret: 'status',
    // NtCreateFile with FILE_OPEN, no allocation size, attributes or EAs.
    impl: (k, a) => createFile(k, { ...a, FileAttributes: 0, CreateDisposition: FILE_OPEN, CreateOptions: a.OpenOptions }),
  }),
  defineExport({
    ...zw, name: 'IoCreateFile', proto: `NTSTATUS IoCreateFile(${IO_CREATE_FILE_PROTO})`,
    params: IO_CREATE_FILE_PARAMS, ret: 'status',
    impl: (k, a) => ioCreateFile(k, 'IoCreateFile', a),
  }),
  defineExport({
    ...zw, name: 'IoCreateFileEx', proto: `NTSTATUS IoCreateFileEx(${IO_CREATE_FILE_PROTO}, PIO_DRIVER_CREATE_CONTEXT DriverContext)`,
    params: { ...IO_CREATE_FILE_PARAMS, DriverContext: 'ptr' }, ret: 'status',
    impl: (k, a) => ioCreateFile(k, 'IoCreateFileEx', a),
  }),
  defineExport({
    ...zw, name: 'ZwDeleteFile', proto: 'NTSTATUS ZwDeleteFile(POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => deleteFile(k, a.ObjectAttributes),
  }),
  defineExport({
    ...zw, name: 'ZwQueryFullAttributesFile',
    proto: 'NTSTATUS ZwQueryFullAttributesFile(POBJECT_ATTRIBUTES ObjectAttributes, PFILE_NETWORK_OPEN_INFORMATION FileInformation)',
    params: { ObjectAttributes: 'ptr', FileInformation: 'ptr' }, ret: 'status',
    impl: (k, a) => queryFullAttributes(k, a.ObjectAttributes, a.FileInformation),
  }),
  defineExport({
    ...zw, name: 'ZwFlushBuffersFile', proto: 'NTSTATUS ZwFlushBuffersFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock)',
    params: { FileHandle: 'handle', IoStatusBlock: 'ptr' }, ret: 'status',
    impl: (k, a) => flushBuffers(k, a.FileHandle, a.IoStatusBlock),
  }),
  defineExport({
    ...zw, name: 'ZwDeviceIoControlFile',
    proto: 'NTSTATUS ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)',
    params: { FileHandle: 'handle', Event: 'handle', ApcRoutine: 'ptr', ApcContext: 'ptr', IoStatusBlock: 'ptr', IoControlCode: 'u32', InputBuffer: 'ptr', InputBufferLength: 'u32', OutputBuffer: 'ptr', OutputBufferLength: 'u32' },
    ret: 'status',
    impl: (k, a) => controlFile(k, 'ZwDeviceIoControlFile', { ...a, Code: a.IoControlCode }),
  }),
  defineExport({
    ...zw, name: 'ZwFsControlFile',
    proto: 'NTSTATUS ZwFsControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG FsControlCode, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)',
    params: { FileHandle: 'handle', Event: 'handle', ApcRoutine: 'ptr', ApcContext: 'ptr', IoStatusBlock: 'ptr', FsControlCode: 'u32', InputBuffer: 'ptr', InputBufferLength: 'u32', OutputBuffer: 'ptr', OutputBufferLength: 'u32' },
    ret: 'status',
    impl: (k, a) => controlFile(k, 'ZwFsControlFile', { ...a, Code: a.FsControlCode }),
  }),
  ...(['ZwReadFile', 'ZwWriteFile'] as const).map((name) =>
    defineExport({
      ...zw, name,
      proto: `NTSTATUS ${name}(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key)`,
      params: { FileHandle: 'handle', Event: 'handle', ApcRoutine: 'ptr', ApcContext: 'ptr', IoStatusBlock: 'ptr', Buffer: 'ptr', Length: 'u32', ByteOffset: 'ptr', Key: 'ptr' },
      ret: 'status',
      impl: (k, a) => readWrite(k, name, a),
    }),
  ),
];
