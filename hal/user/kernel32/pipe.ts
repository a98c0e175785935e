// kernel32's named pipes: CreateNamedPipe, ConnectNamedPipe, DisconnectNamedPipe, PeekNamedPipe, and the pipe ends'
// part of CreateFile, ReadFile, WriteFile and CloseHandle (io/npfs.ts has the file system's semantics).
//
// A pipe end is a file object behind a handle in the process's table. Overlapped pipe handles
// (FILE_FLAG_OVERLAPPED) are left out: kdemu stops naming the call rather than answering as if they worked.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { ntSuccess, STATUS } from '../../rtl/ntstatus.js';
import { pipeEndOf, pipeUnsupported, PIPE_READMODE_MESSAGE, PIPE_TYPE_MESSAGE, PIPE_NOWAIT, type PipeEnd } from '../../io/npfs.js';
import { pipeEndHandle } from '../../io/file.js';
import { ERROR, invalidHandle, k32, setLastError, setLastNtError } from './common.js';

const UserMode = 1;
const FILE_FLAG_OVERLAPPED = 0x40000000;
const PIPE_ACCESS_DUPLEX = 3;
const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x80000;
const PIPE_REJECT_REMOTE_CLIENTS = 8;

/** The pipe end behind a user handle. */
export function pipeOf(k: Kernel, h: bigint): PipeEnd | undefined {
  return pipeEndOf(k.ob.lookup(h, UserMode)?.object);
}

/** The program's handle to a new pipe end (ERROR_NOT_ENOUGH_MEMORY and INVALID_HANDLE_VALUE without memory for it). */
function endHandle(k: Kernel, end: PipeEnd, access: number): bigint {
  const h = pipeEndHandle(k, end, access, false);
  if (h === undefined) {
    setLastError(k, ERROR.NOT_ENOUGH_MEMORY);
    return invalidHandle(k);
  }
  setLastError(k, ERROR.SUCCESS);
  return h;
}

/** CreateFile on \\.\pipe\NAME: a client end connected to a listening instance. */
export function openPipeClient(k: Kernel, name: string, access: number, flags: number, fn: string): bigint {
  if (flags & FILE_FLAG_OVERLAPPED) pipeUnsupported(k, fn, `opening \\\\.\\pipe\\${name} with FILE_FLAG_OVERLAPPED`);
  const r = k.npfs.connect(name, access);
  if (!r.end) {
    setLastNtError(k, r.status);
    return invalidHandle(k);
  }
  return endHandle(k, r.end, access);
}

/** ReadFile on a pipe end: waits for data in the scheduler. */
export function readPipe(k: Kernel, end: PipeEnd, buffer: bigint, length: number, read: bigint, fn: string): number {
  return k.npfs.read(end, length, fn, (status, data) => {
    if (data.length) k.m.write(buffer, data);
    if (read !== 0n) k.m.setU32(read, data.length);
    if (ntSuccess(status)) return 1;
    setLastNtError(k, status);
    return 0;
  });
}

/** WriteFile on a pipe end. */
export function writePipe(k: Kernel, end: PipeEnd, buffer: bigint, length: number, written: bigint, fn: string): number {
  const data = k.m.read(buffer, length);
  return k.npfs.write(end, data, fn, (status, n) => {
    if (written !== 0n) k.m.setU32(written, n);
    if (ntSuccess(status)) return 1;
    setLastNtError(k, status);
    return 0;
  });
}

function createNamedPipe(k: Kernel, fn: string, name: string, openMode: number, pipeMode: number, maxInstances: number, outSize: number, inSize: number): bigint {
  const m = /^\\\\\.\\pipe\\(.+)$/i.exec(name);
  if (!m || m[1].length > 256) {
    setLastError(k, ERROR.INVALID_NAME);
    return invalidHandle(k);
  }
  if (openMode & FILE_FLAG_OVERLAPPED) pipeUnsupported(k, fn, 'a pipe created with FILE_FLAG_OVERLAPPED');
  if (pipeMode & PIPE_NOWAIT) pipeUnsupported(k, fn, 'a PIPE_NOWAIT pipe');
  const access = openMode & PIPE_ACCESS_DUPLEX;
  if (access === 0 || maxInstances === 0 || maxInstances > 255 || (pipeMode & ~(PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_REJECT_REMOTE_CLIENTS)) !== 0) {
    setLastError(k, ERROR.INVALID_PARAMETER);
    return invalidHandle(k);
  }
  const message = (pipeMode & PIPE_TYPE_MESSAGE) !== 0;
  const messageRead = (pipeMode & PIPE_READMODE_MESSAGE) !== 0;
  // A byte pipe cannot be read in message mode.
  if (messageRead && !message) {
    setLastError(k, ERROR.INVALID_PARAMETER);
    return invalidHandle(k);
  }
  if (openMode & FILE_FLAG_FIRST_PIPE_INSTANCE && k.npfs.get(m[1])) {
    setLastError(k, ERROR.ACCESS_DENIED);
    return invalidHandle(k);
  }
  const r = k.npfs.createInstance(m[1], access, message, messageRead, maxInstances, outSize, inSize);
  if (!r.end) {
    // The instance count is used up: ERROR_PIPE_BUSY.
    if (r.status === STATUS.INSTANCE_NOT_AVAILABLE) setLastError(k, ERROR.PIPE_BUSY);
    else setLastNtError(k, r.status);
    return invalidHandle(k);
  }
  // The server's handle: read for inbound, write for outbound, both for duplex, plus SYNCHRONIZE.
  const want = (access & 1 ? 0x80000000 : 0) | (access & 2 ? 0x40000000 : 0) | 0x100000;
  return endHandle(k, r.end, want);
}

function serverEnd(k: Kernel, h: bigint): PipeEnd | undefined {
  const end = pipeOf(k, h);
  if (!end) setLastError(k, ERROR.INVALID_HANDLE);
  return end;
}

export const exports = [
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `CreateNamedPipe${w}`,
      proto: `HANDLE CreateNamedPipe${w}(LPC${w === 'W' ? 'W' : ''}STR lpName, DWORD dwOpenMode, DWORD dwPipeMode, DWORD nMaxInstances, DWORD nOutBufferSize, DWORD nInBufferSize, DWORD nDefaultTimeOut, LPSECURITY_ATTRIBUTES lpSecurityAttributes)`,
      params: { lpName: w === 'W' ? 'pwstr' : 'pstr', dwOpenMode: 'u32', dwPipeMode: 'u32', nMaxInstances: 'u32', nOutBufferSize: 'u32', nInBufferSize: 'u32', nDefaultTimeOut: 'u32', lpSecurityAttributes: 'ptr' },
      ret: 'handle',
      impl: (k, a) => {
        const name = w === 'W' ? k.m.wstring(a.lpName) : String.fromCharCode(...k.m.cstring(a.lpName));
        return createNamedPipe(k, `CreateNamedPipe${w}`, name, a.dwOpenMode, a.dwPipeMode, a.nMaxInstances, a.nOutBufferSize, a.nInBufferSize);
      },
    }),
  ),
  defineExport({
    ...k32, name: 'ConnectNamedPipe',
    proto: 'BOOL ConnectNamedPipe(HANDLE hNamedPipe, LPOVERLAPPED lpOverlapped)',
    params: { hNamedPipe: 'handle', lpOverlapped: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const end = serverEnd(k, a.hNamedPipe);
      if (!end) return 0;
      if (a.lpOverlapped !== 0n) pipeUnsupported(k, 'ConnectNamedPipe', 'an OVERLAPPED connect');
      return k.npfs.listen(end, 'kernel32.dll!ConnectNamedPipe', (status) => {
        if (status === STATUS.SUCCESS) {
          setLastError(k, ERROR.SUCCESS);
          return 1;
        }
        // A client that connected before the call: FALSE with ERROR_PIPE_CONNECTED, which callers treat as success.
        setLastNtError(k, status);
        return 0;
      });
    },
  }),
  defineExport({
    ...k32, name: 'DisconnectNamedPipe',
    proto: 'BOOL DisconnectNamedPipe(HANDLE hNamedPipe)',
    params: { hNamedPipe: 'handle' },
    ret: 'i32',
    impl: (k, a) => {
      const end = serverEnd(k, a.hNamedPipe);
      if (!end) return 0;
      const s = k.npfs.disconnect(end);
      if (s === STATUS.SUCCESS) return 1;
      setLastNtError(k, s);
      return 0;
    },
  }),
  defineExport({
    ...k32, name: 'PeekNamedPipe',
    proto: 'BOOL PeekNamedPipe(HANDLE hNamedPipe, LPVOID lpBuffer, DWORD nBufferSize, LPDWORD lpBytesRead, LPDWORD lpTotalBytesAvail, LPDWORD lpBytesLeftThisMessage)',
    params: { hNamedPipe: 'handle', lpBuffer: 'ptr', nBufferSize: 'u32', lpBytesRead: 'ptr', lpTotalBytesAvail: 'ptr', lpBytesLeftThisMessage: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const end = serverEnd(k, a.hNamedPipe);
      if (!end) return 0;
      const r = k.npfs.peek(end, a.lpBuffer === 0n ? 0 : a.nBufferSize);
      if (!ntSuccess(r.status)) {
        setLastNtError(k, r.status);
        return 0;
      }
      if (r.data.length) k.m.write(a.lpBuffer, r.data);
      if (a.lpBytesRead !== 0n) k.m.setU32(a.lpBytesRead, r.data.length);
      if (a.lpTotalBytesAvail !== 0n) k.m.setU32(a.lpTotalBytesAvail, r.available);
      if (a.lpBytesLeftThisMessage !== 0n) k.m.setU32(a.lpBytesLeftThisMessage, r.leftInMessage > r.data.length ? r.leftInMessage - r.data.length : 0);
      return 1;
    },
  }),
];

