// File I/O from kernel mode: ZwCreateFile, ZwReadFile, ZwWriteFile, ZwQueryInformationFile, ZwSetInformationFile on
// named pipes (io/npfs.ts), on other devices' paths through the I/O manager, and on disk paths (\??\C:\..., \SystemRoot)
// in the sandboxed in-memory file system (io/memfs.ts): the host's disk is never reached; --fs DIR shows a host folder
// at C:\, read-only (what the driver writes stays in memory).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { mapGeneric } from '../ob/handle.js';
import { pipeEndOf, pipeName, type PipeEnd } from './npfs.js';
import { attributesName } from '../ex/event.js';
import { OBJ_KERNEL_HANDLE, objectAttributes } from '../ps/thread.js';
import { ntCreateFile } from './iofunc.js';
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
interface DiskFile {
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

function diskFileOf(obj: KObject | undefined): DiskFile | undefined {
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

function unsupported(k: Kernel, routine: string, what: string): never {
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
    if (k.io.files.has(Number(a.FileHandle & 0xffffffffn))) unsupported(k, routine, `on device file handle ${hex(a.FileHandle)}: kdemu sends kernel-mode reads and writes to devices only through IRPs the driver builds (IoBuildSynchronousFsdRequest ...)`);
    return STATUS.INVALID_HANDLE;
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

const zw = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

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
