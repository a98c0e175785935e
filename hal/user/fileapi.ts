// The user-mode side in TypeScript: CreateFile, ReadFile, WriteFile, DeviceIoControl, CloseHandle, GetLastError.
//
// Shaped like the Win32 calls a client program makes; each returns what the program would see:
// { status (the NTSTATUS behind it), win32Error (GetLastError), information (bytes), data (bytes returned) }.
// Buffers live in the emulated user process's memory, so drivers see real user addresses.

import type { Kernel } from '../kernel.js';
import type { Pool } from '../ex/pool.js';
import { ntClose, ntCreateFile, ntDeviceIoControl, ntReadWrite, type IoResult } from '../io/iofunc.js';
import { STATUS, formatStatus, rtlNtStatusToDosError, ntSuccess } from '../rtl/ntstatus.js';
import { cancelFileIo } from '../io/cancel.js';
import { virtualUs } from '../ke/clock.js';
import { reportData, type ReportData } from '../dbg/hexdata.js';
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
  /** A request left pending (status STATUS_PENDING, win32Error 997): filled in when the driver completes it. */
  completion?: { status: string; information: number; atMs: number } & ReportData;
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

  /**
   * CreateFileW(name, access, share, NULL, OPEN_EXISTING, flags, NULL); "\\.\X" opens \??\X, "\Device\X" is an NT
   * path. overlapped: FILE_FLAG_OVERLAPPED (requests may pend: their results come in `completion`).
   */
  CreateFile(name: string, desiredAccess = (GENERIC_READ | GENERIC_WRITE) >>> 0, shareMode = 0, options: { overlapped?: boolean } = {}): CreateFileResult {
    // \\.\X and \\?\X are both the NT path \??\X (device interface paths come in the second form).
    const path = name.startsWith('\\\\.\\') || name.startsWith('\\\\?\\') ? '\\??\\' + name.slice(4) : name;
    const r = ntCreateFile(this.k, path, desiredAccess, shareMode, { overlapped: options.overlapped === true });
    const res = this.result({ status: r.status, information: 0n, note: r.note });
    return { ...res, handle: r.handle ?? INVALID_HANDLE_VALUE };
  }

  ReadFile(handle: number, length: number): Win32Result {
    return this.request(handle, [{ length }], ([buf], async) => ntReadWrite(this.k, handle, false, buf, length, async));
  }

  WriteFile(handle: number, data: Uint8Array): Win32Result {
    const r = this.request(handle, [{ length: data.length, init: data }], ([buf], async) => ntReadWrite(this.k, handle, true, buf, data.length, async));
    return { ...r, data: new Uint8Array(0) };
  }

  DeviceIoControl(handle: number, code: number, input: Uint8Array, outputLength: number): Win32Result {
    return this.request(
      handle,
      [{ length: input.length, init: input }, { length: outputLength }],
      ([inBuf, outBuf], async) => ntDeviceIoControl(this.k, handle, code >>> 0, input.length ? inBuf : 0n, input.length, outputLength ? outBuf : 0n, outputLength, async),
    );
  }

  CloseHandle(handle: number): Win32Result {
    return this.result(ntClose(this.k, handle));
  }

  /** CancelIo: the requests still pending on the handle are cancelled (their completions come in as they finish). */
  CancelIo(handle: number): Win32Result {
    const f = this.k.io.files.get(handle);
    if (!f) return this.result({ status: STATUS.INVALID_HANDLE, information: 0n });
    cancelFileIo(this.k, f.address);
    return this.result({ status: STATUS.SUCCESS, information: 0n });
  }

  /**
   * Runs a request with user buffers holding `init` (or zeroes), freed when it is over: at once, or, when the driver
   * leaves it pending on an overlapped handle, at its completion, which fills the result's `completion`.
   */
  private request(handle: number, buffers: { length: number; init?: Uint8Array }[], op: (bufs: bigint[], async?: (r: IoResult) => void) => IoResult): Win32Result {
    const k = this.k;
    const bufs: bigint[] = [];
    const free = () => bufs.forEach((b) => this.giveBack(b));
    for (const b of buffers) {
      const buf = this.takeBuffer(b.length);
      if (buf === null) {
        // The program's own HeapAlloc for the buffer failed (the guest memory budget): the request is never made.
        free();
        this.lastError = 8; // ERROR_NOT_ENOUGH_MEMORY
        return { status: STATUS.NO_MEMORY, win32Error: 8, information: 0, data: new Uint8Array(0), note: `the user process could not allocate its ${b.length}-byte buffer (guest memory budget, --memory)` };
      }
      bufs.push(buf);
      if (b.init) k.m.write(buf, b.init);
      else k.m.fill(buf, b.length);
    }
    const overlapped = k.io.files.get(handle)?.overlapped === true;
    let pending: Win32Result | undefined;
    let r: IoResult;
    try {
      r = op(bufs, overlapped ? (late) => {
        const done = this.outcome(late);
        pending!.completion = { status: formatStatus(done.status), information: done.information, ...reportData(done.data), atMs: Number(virtualUs(k) / 1000n) };
        free();
      } : undefined);
    } catch (e) {
      free();
      throw e;
    }
    if (r.pendingIrp === undefined) {
      free();
      return this.result(r);
    }
    this.lastError = 997; // ERROR_IO_PENDING
    pending = { status: STATUS.PENDING, win32Error: 997, information: 0, data: new Uint8Array(0), ...(r.note ? { note: r.note } : {}) };
    return pending;
  }

  /**
   * Buffers in the process's heap, kept for the next request once one is over (a program reusing its buffers):
   * no heap traffic per call, and the same addresses on every run.
   */
  private readonly spare: { address: bigint; size: number }[] = [];
  private readonly inUse = new Map<bigint, number>();

  private takeBuffer(length: number): bigint | null {
    const size = Math.max(length, 1);
    const i = this.spare.findIndex((b) => b.size >= size);
    if (i >= 0) {
      const [b] = this.spare.splice(i, 1);
      this.inUse.set(b.address, b.size);
      return b.address;
    }
    const buf = this.heap.allocate(size, 0x72657355 /* 'User' */, 0, 'system', 'user buffer');
    if (buf === null) return null;
    this.inUse.set(buf, size);
    return buf;
  }

  private giveBack(address: bigint): void {
    const size = this.inUse.get(address)!;
    this.inUse.delete(address);
    if (this.spare.length < 8) this.spare.push({ address, size });
    else this.heap.free_(address, 0);
  }

  /** A completed request as Win32 reports it, without touching the last error. */
  private outcome(r: IoResult): Win32Result {
    const ok = ntSuccess(r.status);
    const carries = ok || r.status >>> 30 === 2;
    return {
      status: r.status >>> 0,
      win32Error: ok ? 0 : rtlNtStatusToDosError(r.status),
      information: carries ? Number(BigInt.asUintN(32, r.information)) : 0,
      data: carries && r.data ? r.data : new Uint8Array(0),
    };
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
