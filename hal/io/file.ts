// File I/O from kernel mode: ZwCreateFile, ZwReadFile, ZwWriteFile on named pipes (io/npfs.ts), on other devices'
// paths through the I/O manager, and on the sandboxed in-memory file system (the host's disk is never reached).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { mapGeneric } from '../ob/handle.js';
import { pipeEndOf, pipeName, type PipeEnd } from './npfs.js';
import { attributesName } from '../ex/event.js';
import { OBJ_KERNEL_HANDLE, objectAttributes } from '../ps/thread.js';
import { ntCreateFile } from './iofunc.js';

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

function unsupported(k: Kernel, routine: string, what: string): never {
  throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())} ${what}`, { export: `ntoskrnl.exe!${routine}` });
}

function createFile(k: Kernel, a: { FileHandle: bigint; DesiredAccess: number; ObjectAttributes: bigint; IoStatusBlock: bigint; ShareAccess: number; CreateDisposition: number; CreateOptions: number }): number {
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
    const end = r.end;
    const body = k.m.actingAs(0, () => k.pool.allocate(k.L.FILE_OBJECT.size, 0x6c69464e /* 'NFil' */, 0, 'system', 'NPFS'));
    if (body === null) {
      k.npfs.close(end);
      return STATUS.INSUFFICIENT_RESOURCES;
    }
    k.m.actingAs(0, () => {
      k.m.fill(body, k.L.FILE_OBJECT.size);
      k.m.setU16At(body, k.L.FILE_OBJECT.off.Type, 5);
      k.m.setU16At(body, k.L.FILE_OBJECT.off.Size, k.L.FILE_OBJECT.size);
    });
    const obj = k.ob.create('File', body, {
      file: end,
      onDelete: () => {
        k.npfs.close(end);
        k.m.actingAs(0, () => k.pool.free_(body, 0));
      },
    });
    k.m.setPtr(a.FileHandle, k.ob.insert(obj, mapGeneric('File', a.DesiredAccess), kernel));
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
  const status = 'status' in found ? found.status : STATUS.OBJECT_TYPE_MISMATCH;
  ioStatus(k, a.IoStatusBlock, status, 0);
  return status;
}

function readWrite(k: Kernel, routine: 'ZwReadFile' | 'ZwWriteFile', a: { FileHandle: bigint; Event: bigint; ApcRoutine: bigint; IoStatusBlock: bigint; Buffer: bigint; Length: number; ByteOffset: bigint }): number {
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
