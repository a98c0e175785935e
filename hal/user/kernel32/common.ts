// What kernel32's functions share: the declaration defaults, handle values, the NTSTATUS → last-error step.

import type { Kernel } from '../../kernel.js';
import { rtlNtStatusToDosError } from '../../rtl/ntstatus.js';
import { clientOf } from '../process.js';

/** kernel32 is WINAPI: stdcall on x86. */
export const k32 = { module: 'kernel32.dll', cc: 'stdcall' } as const;

export const ERROR = {
  SUCCESS: 0,
  FILE_NOT_FOUND: 2,
  PATH_NOT_FOUND: 3,
  ACCESS_DENIED: 5,
  INVALID_HANDLE: 6,
  NOT_ENOUGH_MEMORY: 8,
  INVALID_PARAMETER: 87,
  BROKEN_PIPE: 109,
  INVALID_NAME: 123,
  PIPE_BUSY: 231,
  NO_DATA: 232,
  PIPE_NOT_CONNECTED: 233,
  NOT_OWNER: 288,
  PIPE_CONNECTED: 535,
  PIPE_LISTENING: 536,
  INSUFFICIENT_BUFFER: 122,
  MOD_NOT_FOUND: 126,
  PROC_NOT_FOUND: 127,
  ALREADY_EXISTS: 183,
  ENVVAR_NOT_FOUND: 203,
  NO_UNICODE_TRANSLATION: 1113,
  NOT_FOUND: 1168,
  IO_INCOMPLETE: 996,
  IO_PENDING: 997,
  NOACCESS: 998,
} as const;

/** INVALID_HANDLE_VALUE, (HANDLE)-1, at the architecture's pointer width. */
export function invalidHandle(k: Kernel): bigint {
  return k.ptrSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
}

/** The pseudo handles GetCurrentProcess / GetCurrentThread return: -1 and -2. */
export function pseudoHandle(k: Kernel, n: 1 | 2): bigint {
  return (k.ptrSize === 8 ? 0x10000000000000000n : 0x100000000n) - BigInt(n);
}

export function setLastError(k: Kernel, error: number): void {
  clientOf(k).lastError = error;
}

/** Sets the last error from an NTSTATUS, as kernel32's BaseSetLastNTError does; returns the Win32 error. */
export function setLastNtError(k: Kernel, status: number): number {
  const e = rtlNtStatusToDosError(status);
  setLastError(k, e);
  return e;
}

/** A handle argument as a table key (handles are 32-bit values even in a 64-bit process). */
export function handleKey(h: bigint): number {
  return Number(h & 0xffffffffn);
}
