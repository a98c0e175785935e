// The user-mode side in TypeScript: CreateFile, ReadFile, WriteFile, DeviceIoControl, CloseHandle, GetLastError.
//
// Shaped like the Win32 calls a client program makes; each returns what the program would see:
// { status (the NTSTATUS behind it), win32Error (GetLastError), information (bytes), data (bytes returned) }.
// Buffers live in the emulated user process's memory, so drivers see real user addresses.

import type { Kernel } from '../kernel.js';
import type { Pool } from '../ex/pool.js';
import { ntClose, ntCreateFile, ntDeviceIoControl, ntReadWrite, type IoResult } from '../io/iofunc.js';
import { rtlNtStatusToDosError, ntSuccess } from '../rtl/ntstatus.js';
import { GENERIC_READ, GENERIC_WRITE } from '../io/constants.js';

export interface Win32Result {
  /** The NTSTATUS the system service returned. */
  status: number;
  /** What GetLastError() returns afterwards (0 on success). */
  win32Error: number;
  /** Bytes transferred (lpNumberOfBytesRead/Written, lpBytesReturned). */
  information: number;
  /** The bytes the driver returned into the caller's buffer. */
  data: Uint8Array;
  /** A driver misbehaviour kdemu noticed during the call. */
  note?: string;
}

export interface CreateFileResult extends Win32Result {
  /** The handle, or -1 (INVALID_HANDLE_VALUE) on failure. */
  handle: number;
}

export const INVALID_HANDLE_VALUE = -1;

export class UserSession {
  private lastError = 0;

  constructor(private readonly k: Kernel) {}

  private get heap(): Pool {
    return this.k.userHeap;
  }

  GetLastError(): number {
    return this.lastError;
  }

  /** CreateFileW(name, access, share, NULL, OPEN_EXISTING, flags, NULL); "\\.\X" opens \??\X, "\Device\X" is an NT path. */
  CreateFile(name: string, desiredAccess = (GENERIC_READ | GENERIC_WRITE) >>> 0, shareMode = 0): CreateFileResult {
    const path = name.startsWith('\\\\.\\') ? '\\??\\' + name.slice(4) : name;
    const r = ntCreateFile(this.k, path, desiredAccess, shareMode);
    const res = this.result({ status: r.status, information: 0n, note: r.note });
    return { ...res, handle: r.handle ?? INVALID_HANDLE_VALUE };
  }

  ReadFile(handle: number, length: number): Win32Result {
    return this.withBuffer(length, undefined, (buf) => ntReadWrite(this.k, handle, false, buf, length));
  }

  WriteFile(handle: number, data: Uint8Array): Win32Result {
    const r = this.withBuffer(data.length, data, (buf) => ntReadWrite(this.k, handle, true, buf, data.length));
    return { ...r, data: new Uint8Array(0) };
  }

  DeviceIoControl(handle: number, code: number, input: Uint8Array, outputLength: number): Win32Result {
    return this.withBuffer(input.length, input, (inBuf) => this.withBuffer(outputLength, undefined, (outBuf) =>
      ntDeviceIoControl(this.k, handle, code >>> 0, input.length ? inBuf : 0n, input.length, outputLength ? outBuf : 0n, outputLength),
    ) as unknown as IoResult);
  }

  CloseHandle(handle: number): Win32Result {
    return this.result(ntClose(this.k, handle));
  }

  /** Runs op with a user buffer holding `init` (or zeroes), then frees it. */
  private withBuffer(length: number, init: Uint8Array | undefined, op: (buf: bigint) => IoResult | Win32Result): Win32Result {
    const buf = this.heap.allocate(Math.max(length, 1), 0x72657355 /* 'User' */, 0, 'system', 'user buffer');
    if (buf === null) throw new Error('the emulated user process ran out of memory');
    try {
      if (init) this.k.m.write(buf, init);
      else this.k.m.fill(buf, length);
      const r = op(buf);
      return 'win32Error' in r ? r : this.result(r);
    } finally {
      this.heap.free_(buf, 0);
    }
  }

  private result(r: IoResult): Win32Result {
    const ok = ntSuccess(r.status);
    // Win32 reports bytes transferred for success and warning statuses (ERROR_MORE_DATA still returns data).
    const carries = ok || r.status >>> 30 === 2;
    this.lastError = ok ? 0 : rtlNtStatusToDosError(r.status);
    return {
      status: r.status >>> 0,
      win32Error: this.lastError,
      information: carries ? Number(BigInt.asUintN(32, r.information)) : 0,
      data: carries && r.data ? r.data : new Uint8Array(0),
      ...(r.note ? { note: r.note } : {}),
    };
  }
}
