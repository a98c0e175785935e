// kernel32's file API on devices and the console: CreateFile, ReadFile, WriteFile, DeviceIoControl, CloseHandle,
// GetOverlappedResult, CancelIo(Ex), GetStdHandle, WriteConsole; overlapped I/O with requests the driver pends.
//
// Each goes to the I/O system services the way kernel32 does (NtCreateFile, NtReadFile ...), with the caller's own
// user-mode buffers, so the driver sees the program's real addresses. Disk paths are refused: the emulated machine
// has no file system and a driver under test never reaches the host's disk.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop } from '../../machine.js';
import { ntClose, ntCreateFile, ntDeviceIoControl, ntReadWrite, type IoResult } from '../../io/iofunc.js';
import { ntError, STATUS } from '../../rtl/ntstatus.js';
import { clientOf } from '../process.js';
import { ERROR, handleKey, invalidHandle, k32, setLastError, setLastNtError } from './common.js';
import { eventOf, setEventState } from './sync.js';
import { openPipeClient, pipeOf, readPipe, writePipe } from './pipe.js';
import { pipeName } from '../../io/npfs.js';
import { cancelFileIo } from '../../io/cancel.js';
import { utf16Text } from './nls.js';
import { waitUntil } from '../../ke/clock.js';

const FILE_FLAG_OVERLAPPED = 0x40000000;
/** OVERLAPPED: Internal (the status), InternalHigh (bytes), Offset, OffsetHigh, hEvent. */
function overlappedOffsets(k: Kernel) {
  const p = k.ptrSize;
  return { internal: 0, internalHigh: p, hEvent: 2 * p + 8 };
}

/** "\\.\X" is \??\X; "\\?\GLOBALROOT\Device\X" an NT path; anything else names the file system. */
function ntPath(k: Kernel, name: string, fn: string): string {
  if (name.startsWith('\\\\.\\')) return '\\??\\' + name.slice(4);
  if (name.toUpperCase().startsWith('\\\\?\\GLOBALROOT\\')) return name.slice(14);
  // \\?\X names the NT path \??\X as it is (device interface paths from SetupDi come in this form); a drive path
  // behind the prefix is a file-system path like any other.
  if (name.startsWith('\\\\?\\') && !/^[a-z]:/i.test(name.slice(4))) return '\\??\\' + name.slice(4);
  throw new GuestStop('unsupported-call', `${fn}("${name}") from ${k.symbolize(k.callerAddress())} opens a path on the file system; the emulated machine has devices only (the host's disk is out of reach)`, {
    export: `kernel32.dll!${fn}`,
  });
}

function createFile(k: Kernel, fn: string, name: string, access: number, share: number, flags: number): bigint {
  const c = clientOf(k);
  const path = ntPath(k, name, fn);
  const pipe = pipeName(k, path);
  if (pipe !== undefined) return openPipeClient(k, pipe, access, flags, fn);
  const r = ntCreateFile(k, path, access, share, { overlapped: (flags & FILE_FLAG_OVERLAPPED) !== 0 });
  if (r.note) c.notes.push(r.note);
  if (r.handle === undefined) {
    setLastNtError(k, r.status);
    return invalidHandle(k);
  }
  setLastError(k, ERROR.SUCCESS);
  return BigInt(r.handle);
}

/**
 * The end of a request as kernel32 reports it: the byte count, the OVERLAPPED fields and event when one was given,
 * the last error on failure; TRUE for success (warnings such as STATUS_BUFFER_OVERFLOW return FALSE with
 * their error, bytes still counted).
 */
function finish(k: Kernel, r: IoResult, handle: number, transferred: bigint, overlapped: bigint): number {
  const c = clientOf(k);
  if (r.note) c.notes.push(r.note);
  const carries = !ntError(r.status);
  const n = carries ? BigInt.asUintN(32, r.information) : 0n;
  if (transferred !== 0n) k.m.setU32(transferred, Number(n));
  // The OVERLAPPED is the request's IO_STATUS_BLOCK (and its event the request's event) on any handle.
  if (overlapped !== 0n) completeOverlapped(k, overlapped, r);
  if (r.status === STATUS.SUCCESS) return 1;
  setLastNtError(k, r.status);
  return r.status >>> 30 === 0 ? 1 : 0; // informational statuses (0x4xxxxxxx) are success
}

/** The I/O manager's completion for an overlapped request: OVERLAPPED.Internal/InternalHigh, then the event. */
function completeOverlapped(k: Kernel, overlapped: bigint, r: IoResult): void {
  const o = overlappedOffsets(k);
  const n = !ntError(r.status) ? BigInt.asUintN(32, r.information) : 0n;
  k.m.setPtr(overlapped + BigInt(o.internal), BigInt(r.status >>> 0));
  k.m.setPtr(overlapped + BigInt(o.internalHigh), n);
  const ev = k.m.ptr(overlapped + BigInt(o.hEvent)) & ~1n; // the low bit only suppresses completion-port queueing
  if (ev !== 0n) {
    const e = eventOf(k, ev);
    if (e) setEventState(k, e, true);
  }
}

/**
 * Issues a read, write or IOCTL as kernel32 does. On an overlapped handle the OVERLAPPED is required; it starts as
 * STATUS_PENDING with its event reset, and a request the driver leaves pending returns FALSE with ERROR_IO_PENDING,
 * its OVERLAPPED and event filled in when the driver completes it.
 */
function request(k: Kernel, handle: number, overlapped: bigint, transferred: bigint, issue: (async?: (r: IoResult) => void) => IoResult): number {
  const c = clientOf(k);
  const file = k.io.files.get(handle);
  if (!file?.overlapped) return finish(k, issue(), handle, transferred, overlapped);
  if (overlapped === 0n) {
    setLastError(k, ERROR.INVALID_PARAMETER);
    return 0;
  }
  const o = overlappedOffsets(k);
  k.m.setPtr(overlapped + BigInt(o.internal), BigInt(STATUS.PENDING));
  k.m.setPtr(overlapped + BigInt(o.internalHigh), 0n);
  const ev = k.m.ptr(overlapped + BigInt(o.hEvent)) & ~1n;
  if (ev !== 0n) {
    const e = eventOf(k, ev);
    if (e) setEventState(k, e, false);
  }
  const r = issue((late) => {
    if (late.note) c.notes.push(late.note);
    completeOverlapped(k, overlapped, late);
  });
  if (r.pendingIrp === undefined) return finish(k, r, handle, transferred, overlapped);
  if (r.note) c.notes.push(r.note);
  const p = k.io.pendingIrps.get(r.pendingIrp);
  if (p) p.overlapped = overlapped;
  setLastError(k, ERROR.IO_PENDING);
  return 0;
}

/** The file object behind a handle; else ERROR_INVALID_HANDLE is set and undefined returned. */
function openFile(k: Kernel, h: bigint) {
  const f = k.io.files.get(handleKey(h));
  if (!f) setLastError(k, ERROR.INVALID_HANDLE);
  return f;
}

function consoleStream(k: Kernel, h: bigint): 0 | 1 | 2 | undefined {
  const e = clientOf(k).handles.get(handleKey(h));
  return e?.kind === 'console' ? e.stream : undefined;
}

function readConsole(k: Kernel, buffer: bigint, length: number): number {
  // The console in line mode hands out what was typed, up to and including the end of the line.
  const c = clientOf(k);
  let n = 0;
  while (n < length) {
    const b = c.readByte();
    if (b < 0) break;
    k.m.setU8(buffer + BigInt(n++), b);
    if (b === 0x0a) break;
  }
  return n;
}

export const exports = [
  defineExport({
    ...k32, name: 'CreateFileW',
    proto: 'HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode, LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)',
    params: { lpFileName: 'pwstr', dwDesiredAccess: 'access', dwShareMode: 'u32', lpSecurityAttributes: 'ptr', dwCreationDisposition: 'u32', dwFlagsAndAttributes: 'u32', hTemplateFile: 'handle' },
    ret: 'handle',
    impl: (k, a) => createFile(k, 'CreateFileW', k.m.wstring(a.lpFileName), a.dwDesiredAccess, a.dwShareMode, a.dwFlagsAndAttributes),
  }),
  defineExport({
    ...k32, name: 'CreateFileA',
    proto: 'HANDLE CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode, LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)',
    params: { lpFileName: 'pstr', dwDesiredAccess: 'access', dwShareMode: 'u32', lpSecurityAttributes: 'ptr', dwCreationDisposition: 'u32', dwFlagsAndAttributes: 'u32', hTemplateFile: 'handle' },
    ret: 'handle',
    impl: (k, a) => createFile(k, 'CreateFileA', String.fromCharCode(...k.m.cstring(a.lpFileName, 0x8000)), a.dwDesiredAccess, a.dwShareMode, a.dwFlagsAndAttributes),
  }),
  defineExport({
    ...k32, name: 'ReadFile',
    proto: 'BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped)',
    params: { hFile: 'handle', lpBuffer: 'ptr', nNumberOfBytesToRead: 'u32', lpNumberOfBytesRead: 'ptr', lpOverlapped: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      if (consoleStream(k, a.hFile) === 0) {
        const n = readConsole(k, a.lpBuffer, a.nNumberOfBytesToRead);
        if (a.lpNumberOfBytesRead) k.m.setU32(a.lpNumberOfBytesRead, n);
        return 1;
      }
      const pipe = pipeOf(k, a.hFile);
      if (pipe) return readPipe(k, pipe, a.lpBuffer, a.nNumberOfBytesToRead, a.lpNumberOfBytesRead, 'kernel32.dll!ReadFile');
      const h = handleKey(a.hFile);
      return request(k, h, a.lpOverlapped, a.lpNumberOfBytesRead, (async) => ntReadWrite(k, h, false, a.lpBuffer, a.nNumberOfBytesToRead, async));
    },
  }),
  defineExport({
    ...k32, name: 'WriteFile',
    proto: 'BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)',
    params: { hFile: 'handle', lpBuffer: 'ptr', nNumberOfBytesToWrite: 'u32', lpNumberOfBytesWritten: 'ptr', lpOverlapped: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const s = consoleStream(k, a.hFile);
      if (s === 1 || s === 2) {
        clientOf(k).write(s, k.m.read(a.lpBuffer, a.nNumberOfBytesToWrite));
        if (a.lpNumberOfBytesWritten) k.m.setU32(a.lpNumberOfBytesWritten, a.nNumberOfBytesToWrite);
        return 1;
      }
      const pipe = pipeOf(k, a.hFile);
      if (pipe) return writePipe(k, pipe, a.lpBuffer, a.nNumberOfBytesToWrite, a.lpNumberOfBytesWritten, 'kernel32.dll!WriteFile');
      const h = handleKey(a.hFile);
      return request(k, h, a.lpOverlapped, a.lpNumberOfBytesWritten, (async) => ntReadWrite(k, h, true, a.lpBuffer, a.nNumberOfBytesToWrite, async));
    },
  }),
  defineExport({
    ...k32, name: 'DeviceIoControl',
    proto: 'BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD nInBufferSize, LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped)',
    params: { hDevice: 'handle', dwIoControlCode: 'access', lpInBuffer: 'ptr', nInBufferSize: 'u32', lpOutBuffer: 'ptr', nOutBufferSize: 'u32', lpBytesReturned: 'ptr', lpOverlapped: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const h = handleKey(a.hDevice);
      return request(k, h, a.lpOverlapped, a.lpBytesReturned, (async) => ntDeviceIoControl(k, h, a.dwIoControlCode, a.lpInBuffer, a.nInBufferSize, a.lpOutBuffer, a.nOutBufferSize, async));
    },
  }),
  defineExport({
    ...k32, name: 'CloseHandle',
    proto: 'BOOL CloseHandle(HANDLE hObject)',
    params: { hObject: 'handle' },
    ret: 'i32',
    impl: (k, a) => {
      const c = clientOf(k);
      const h = handleKey(a.hObject);
      const own = c.handles.get(h);
      if (own) {
        c.handles.delete(h);
        return 1;
      }
      // Objects (events, mutexes, semaphores, processes, threads, pipe ends) are the object manager's.
      if (k.ob.lookup(a.hObject, 1)) {
        k.m.actingAs(0, () => k.ob.close(a.hObject, 1));
        return 1;
      }
      const r = ntClose(k, h);
      if (r.note) c.notes.push(r.note);
      if (r.status !== STATUS.SUCCESS) {
        setLastNtError(k, r.status);
        return 0;
      }
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'GetOverlappedResult',
    proto: 'BOOL GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred, BOOL bWait)',
    params: { hFile: 'handle', lpOverlapped: 'ptr', lpNumberOfBytesTransferred: 'ptr', bWait: 'u32' },
    ret: 'i32',
    impl: (k, a) => {
      const o = overlappedOffsets(k);
      const internal = () => Number(k.m.ptr(a.lpOverlapped + BigInt(o.internal)) & 0xffffffffn);
      if (internal() === STATUS.PENDING) {
        if (!a.bWait) {
          setLastError(k, ERROR.IO_INCOMPLETE);
          return 0;
        }
        // The program's only thread waits: virtual time passes to the next timer until the driver completes it.
        if (!waitUntil(k, () => internal() !== STATUS.PENDING)) {
          throw new GuestStop('deadlock', `the client's only thread waits in GetOverlappedResult (from ${k.symbolize(k.callerAddress())}) for a request the driver left pending, and nothing in the machine can complete it`, {});
        }
      }
      const status = internal();
      const n = Number(k.m.ptr(a.lpOverlapped + BigInt(o.internalHigh)) & 0xffffffffn);
      k.m.setU32(a.lpNumberOfBytesTransferred, n);
      if (ntError(status) || status >>> 30 === 2) {
        setLastNtError(k, status);
        return 0;
      }
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'CancelIo',
    proto: 'BOOL CancelIo(HANDLE hFile)',
    params: { hFile: 'handle' },
    ret: 'i32',
    impl: (k, a) => {
      // Every request of this thread on the file that is still pending: IoCancelIrp on each (its cancel routine
      // completes it with STATUS_CANCELLED). Nothing pending is not an error.
      const f = openFile(k, a.hFile);
      if (!f) return 0;
      cancelFileIo(k, f.address);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'CancelIoEx',
    proto: 'BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)',
    params: { hFile: 'handle', lpOverlapped: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const f = openFile(k, a.hFile);
      if (!f) return 0;
      if (cancelFileIo(k, f.address, a.lpOverlapped === 0n ? undefined : a.lpOverlapped) === 0) {
        setLastError(k, ERROR.NOT_FOUND);
        return 0;
      }
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'GetStdHandle',
    proto: 'HANDLE GetStdHandle(DWORD nStdHandle)',
    params: { nStdHandle: 'i32' },
    ret: 'handle',
    impl: (k, a) => {
      const i = -10 - a.nStdHandle; // STD_INPUT_HANDLE -10, STD_OUTPUT_HANDLE -11, STD_ERROR_HANDLE -12
      if (i < 0 || i > 2) {
        setLastError(k, ERROR.INVALID_HANDLE);
        return invalidHandle(k);
      }
      return BigInt(clientOf(k).stdHandles[i]);
    },
  }),
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `WriteConsole${w}`,
      proto: `BOOL WriteConsole${w}(HANDLE hConsoleOutput, const VOID *lpBuffer, DWORD nNumberOfCharsToWrite, LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)`,
      params: { hConsoleOutput: 'handle', lpBuffer: 'ptr', nNumberOfCharsToWrite: 'u32', lpNumberOfCharsWritten: 'ptr', lpReserved: 'ptr' },
      ret: 'i32',
      impl: (k, a) => {
        const s = consoleStream(k, a.hConsoleOutput);
        if (s !== 1 && s !== 2) {
          setLastError(k, ERROR.INVALID_HANDLE);
          return 0;
        }
        const n = a.nNumberOfCharsToWrite;
        // The console shows UTF-16; kdemu keeps the output as UTF-8 bytes for the wide call.
        const bytes = w === 'A' ? k.m.read(a.lpBuffer, n) : new TextEncoder().encode(utf16Text(k.m.read(a.lpBuffer, n * 2)));
        clientOf(k).write(s, bytes);
        if (a.lpNumberOfCharsWritten) k.m.setU32(a.lpNumberOfCharsWritten, n);
        return 1;
      },
    }),
  ),
];
