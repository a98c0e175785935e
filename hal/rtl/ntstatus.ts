// NTSTATUS knowledge: named status constants, status and Win32 error names, and RtlNtStatusToDosError.
//
// The tables are generated (gen-ntstatus.mjs) from the mingw-w64 and Wine headers and from
// ntstatus-dos-map.txt, the status -> Win32 error facts of Windows' RtlNtStatusToDosError.
// Statuses are handled as unsigned 32-bit numbers (0xC0000010, not -1073741808); every function
// here also accepts the signed spelling that a register read as int32 produces.

import { DOS_ERROR_MAP } from './dos-error-map.generated.js';
import { OTHER_NTSTATUS_CODES, STATUS_CODES } from './ntstatus-names.generated.js';
import { WIN32_ERRORS } from './win32-errors.generated.js';

export type StatusName = keyof typeof STATUS_CODES;

export type Win32ErrorName = keyof typeof WIN32_ERRORS;

// Typed as number records (not the generated literal types) so `let s = STATUS.SUCCESS` can be reassigned.
/** STATUS_* values by name without the prefix: STATUS.INVALID_DEVICE_REQUEST === 0xC0000010. */
export const STATUS: Readonly<Record<StatusName, number>> = Object.freeze({ ...STATUS_CODES });

/** Win32 error codes by full name: WIN32.ERROR_INVALID_FUNCTION === 1. */
export const WIN32: Readonly<Record<Win32ErrorName, number>> = Object.freeze({ ...WIN32_ERRORS });

export const ERROR_MR_MID_NOT_FOUND = 317; // "The system cannot find message text": RtlNtStatusToDosError's "no mapping"

const u32 = (v: number): number => v >>> 0;

// Reverse maps. Several names can share a value (STATUS_SUCCESS / STATUS_WAIT_0); the first one
// in header order wins, which is the conventional name.
const statusNames = new Map<number, string>();
for (const [name, value] of Object.entries(STATUS_CODES)) {
  if (!statusNames.has(value)) statusNames.set(value, `STATUS_${name}`);
}
for (const [name, value] of Object.entries(OTHER_NTSTATUS_CODES)) {
  if (!statusNames.has(value)) statusNames.set(value, name);
}

const win32Names = new Map<number, string>();
for (const [name, value] of Object.entries(WIN32_ERRORS)) {
  const prev = win32Names.get(value);
  // ERROR_* beats aliases such as NO_ERROR for the same value.
  if (prev === undefined || (!prev.startsWith('ERROR_') && name.startsWith('ERROR_'))) win32Names.set(value, name);
}

const dosMap = new Map<number, number>();
for (let i = 0; i < DOS_ERROR_MAP.length; i += 2) dosMap.set(DOS_ERROR_MAP[i], DOS_ERROR_MAP[i + 1]);

/** The symbolic name of a status ("STATUS_INVALID_DEVICE_REQUEST", "DBG_CONTINUE"), or undefined. */
export function ntStatusName(status: number): string | undefined {
  return statusNames.get(u32(status));
}

/** "0xC0000010": 8 upper-case hex digits, the way WinDbg and the docs print statuses. */
export function formatStatus(status: number): string {
  return '0x' + u32(status).toString(16).toUpperCase().padStart(8, '0');
}

/** "STATUS_INVALID_DEVICE_REQUEST (0xC0000010)", or just the hex for unnamed statuses. */
export function describeStatus(status: number): string {
  const name = ntStatusName(status);
  return name ? `${name} (${formatStatus(status)})` : formatStatus(status);
}

/** NT_SUCCESS: severity success or informational (the sign bit clear). */
export function ntSuccess(status: number): boolean {
  return (status | 0) >= 0;
}

/** NT_INFORMATION: severity 01. */
export function ntInformation(status: number): boolean {
  return u32(status) >>> 30 === 1;
}

/** NT_WARNING: severity 10. */
export function ntWarning(status: number): boolean {
  return u32(status) >>> 30 === 2;
}

/** NT_ERROR: severity 11. */
export function ntError(status: number): boolean {
  return u32(status) >>> 30 === 3;
}

/**
 * RtlNtStatusToDosError (without the TEB side effect of remembering the last status).
 * The rule order follows Windows:
 *   - STATUS_SUCCESS -> NO_ERROR;
 *   - customer codes (bit 29 set) are returned unchanged, they are not NT's to translate;
 *   - 0xDxxxxxxx is treated as 0xCxxxxxxx (the reserved N bit is ignored);
 *   - FACILITY_NTWIN32 (0x8007xxxx, 0xC007xxxx) and 0xC001xxxx carry a Win32 code in the low word;
 *   - otherwise the table; exceptions such as STATUS_BREAKPOINT map to themselves there;
 *   - anything else -> ERROR_MR_MID_NOT_FOUND.
 * The table covers facility 0 and a few small facilities (see ntstatus-dos-map.txt); statuses of
 * large subsystem facilities (RPC, graphics, filter manager...) fall into the last rule.
 */
export function rtlNtStatusToDosError(status: number): number {
  let s = u32(status);
  if (s === 0) return 0;
  if (s & 0x20000000) return s;
  if ((s & 0xf0000000) >>> 0 === 0xd0000000) s = (s & ~0x10000000) >>> 0;
  const facility = s >>> 16;
  if (facility === 0xc001 || facility === 0x8007 || facility === 0xc007) return s & 0xffff;
  return dosMap.get(s) ?? ERROR_MR_MID_NOT_FOUND;
}

/** The Win32 error's name ("ERROR_INVALID_FUNCTION"), or undefined for codes winerror.h does not name. */
export function win32ErrorName(code: number): string | undefined {
  return win32Names.get(u32(code));
}

/** Every status with an explicit RtlNtStatusToDosError mapping, for reports and tests. */
export function mappedStatusCount(): number {
  return dosMap.size;
}
