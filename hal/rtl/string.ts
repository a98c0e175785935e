// Counted 8-bit strings (STRING / ANSI_STRING / OEM_STRING) and the conversions between them and Unicode: the
// ANSI code page (Windows-1252), the OEM code page (437) and UTF-8.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from './ntstatus.js';
import {
  ANSI, OEM, allocateString, counted, freeString, decodeUtf8, readBytes, readUnits, setCounted, toCodePage, upcase, upperChar,
  utf16Points, utf16Units, utf8Bytes, writeUnits, type CodePage,
} from './nls.js';
import { freeCounted } from './unicode.js';

const MAX_ASTR = 0xfffe; // MAXUSHORT - sizeof(ANSI_NULL)
const MAXUSHORT = 0xffff;

function toUnicode(cp: CodePage, b: Uint8Array): number[] {
  return Array.from(b, (c) => cp.toUnicode[c]);
}

function fromUnicode(cp: CodePage, u: ArrayLike<number>, up: boolean): Uint8Array {
  const out = new Uint8Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = toCodePage(cp, up ? upcase(u[i]) : u[i]);
  return out;
}

/** CHAR is signed: the comparisons of RtlCompareString are on signed bytes. */
function signedChar(b: number): number {
  return b >= 0x80 ? b - 0x100 : b;
}

function setOptional(k: Kernel, p: bigint, v: number): void {
  if (p !== 0n) k.m.setU32(p, v);
}

/**
 * RtlAnsiStringToUnicodeString / RtlOemStringToUnicodeString on the source's bytes. Length is set before the room
 * check, so a failed call without allocation leaves the needed Length in Destination, as Windows does.
 */
export function toUnicodeString(k: Kernel, cp: CodePage, dest: bigint, bytes: Uint8Array, allocate: number): number {
  const size = (bytes.length + 1) * 2; // RtlxAnsiStringToUnicodeSize: one WCHAR per byte, and the terminator
  if (size > MAXUSHORT) return STATUS.INVALID_PARAMETER_2;
  setCounted(k, dest, { len: size - 2 });
  let buf: bigint;
  if (allocate) {
    const p = allocateString(k, size);
    if (p === null) return STATUS.NO_MEMORY;
    buf = p;
    setCounted(k, dest, { max: size, buf });
  } else {
    const d = counted(k, dest);
    if (size - 2 >= d.max) return STATUS.BUFFER_OVERFLOW;
    buf = d.buf;
  }
  writeUnits(k, buf, [...toUnicode(cp, bytes), 0]);
  return STATUS.SUCCESS;
}

/**
 * RtlUnicodeStringToAnsiString and its OEM and upper-case siblings. Only RtlUnicodeStringToAnsiString converts what
 * fits into a buffer that is too small (and returns STATUS_BUFFER_OVERFLOW); the others convert nothing then.
 */
function fromUnicodeString(k: Kernel, cp: CodePage, dest: bigint, source: bigint, allocate: number, opts: { up: boolean; partial: boolean }): number {
  const s = counted(k, source);
  const size = (s.len >> 1) + 1; // RtlxUnicodeStringToAnsiSize
  let len = size - 1;
  setCounted(k, dest, { len });
  let status = STATUS.SUCCESS;
  let buf: bigint;
  if (allocate) {
    const p = allocateString(k, size);
    if (p === null) return STATUS.NO_MEMORY;
    buf = p;
    setCounted(k, dest, { max: size, buf });
  } else {
    const d = counted(k, dest);
    buf = d.buf;
    if (len >= d.max) {
      if (!opts.partial || d.max === 0) return STATUS.BUFFER_OVERFLOW;
      status = STATUS.BUFFER_OVERFLOW;
      len = d.max - 1;
      setCounted(k, dest, { len });
    }
  }
  const text = fromUnicode(cp, readUnits(k, s.buf, len), opts.up);
  const out = new Uint8Array(len + 1);
  out.set(text);
  k.m.write(buf, out);
  return status;
}

/**
 * RtlUnicodeStringToCountedOemString and its upper-case form: no terminator, an empty result has no buffer, and a
 * character the OEM code page lacks (converted to its default character) fails the call with
 * STATUS_UNMAPPABLE_CHARACTER, since file systems use these for names that must round-trip.
 */
function toCountedOem(k: Kernel, dest: bigint, source: bigint, allocate: number, up: boolean): number {
  const s = counted(k, source);
  const len = s.len >> 1;
  if (len === 0) {
    setCounted(k, dest, { len: 0, max: 0, buf: 0n });
    return STATUS.SUCCESS;
  }
  setCounted(k, dest, { len });
  let buf: bigint;
  if (allocate) {
    const p = allocateString(k, len);
    if (p === null) return STATUS.NO_MEMORY;
    buf = p;
    setCounted(k, dest, { max: len, buf });
  } else {
    const d = counted(k, dest);
    if (len > d.max) return STATUS.BUFFER_OVERFLOW;
    buf = d.buf;
  }
  const units = readUnits(k, s.buf, len);
  const out = fromUnicode(OEM, units, up);
  k.m.write(buf, out);
  for (let i = 0; i < len; i++) {
    if (out[i] === OEM.defaultChar && units[i] !== OEM.defaultChar) {
      if (allocate) {
        freeString(k, buf);
        setCounted(k, dest, { buf: 0n });
      }
      return STATUS.UNMAPPABLE_CHARACTER;
    }
  }
  return STATUS.SUCCESS;
}

/** Rtl*ToUnicodeN: min(MaxBytes / 2, source bytes) characters; success even when that truncates. */
function mbToUnicodeN(k: Kernel, cp: CodePage, dst: bigint, max: number, written: bigint, src: bigint, srcBytes: number): number {
  const n = Math.min(Math.floor(max / 2), srcBytes);
  writeUnits(k, dst, toUnicode(cp, readBytes(k, src, n)));
  setOptional(k, written, n * 2);
  return STATUS.SUCCESS;
}

/** RtlUnicodeTo*N: min(MaxBytes, source characters) bytes; success even when that truncates. */
function unicodeToMbN(k: Kernel, cp: CodePage, dst: bigint, max: number, written: bigint, src: bigint, srcBytes: number, up: boolean): number {
  const n = Math.min(max, Math.floor(srcBytes / 2));
  const out = fromUnicode(cp, readUnits(k, src, n), up);
  if (n > 0) k.m.write(dst, out);
  setOptional(k, written, n);
  return STATUS.SUCCESS;
}

function compareBytes(x: Uint8Array, y: Uint8Array, caseInsensitive: boolean): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = signedChar(caseInsensitive ? upperChar(x[i]) : x[i]);
    const b = signedChar(caseInsensitive ? upperChar(y[i]) : y[i]);
    if (a !== b) return a - b;
  }
  return x.length - y.length;
}

function text(k: Kernel, p: bigint): Uint8Array {
  const s = counted(k, p);
  return readBytes(k, s.buf, s.len);
}

function append(k: Kernel, dest: bigint, bytes: Uint8Array): number {
  const d = counted(k, dest);
  if (d.len + bytes.length > d.max) return STATUS.BUFFER_TOO_SMALL;
  if (bytes.length > 0) k.m.write(d.buf + BigInt(d.len), bytes);
  setCounted(k, dest, { len: d.len + bytes.length });
  return STATUS.SUCCESS;
}

const nt = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

const toUnicodeSize = (k: Kernel, p: bigint): number => (counted(k, p).len + 1) * 2;
const fromUnicodeSize = (k: Kernel, p: bigint): number => (counted(k, p).len >> 1) + 1;

export const exports = [
  defineExport({
    ...nt,
    name: 'RtlInitAnsiStringEx',
    proto: 'NTSTATUS RtlInitAnsiStringEx(PANSI_STRING DestinationString, PCSZ SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pstr' },
    ret: 'status',
    impl: (k, a) => {
      let len = 0;
      if (a.SourceString !== 0n) {
        len = k.m.cstring(a.SourceString, MAX_ASTR + 1).length;
        if (len > MAX_ASTR) return STATUS.NAME_TOO_LONG;
      }
      setCounted(k, a.DestinationString, { len, max: a.SourceString === 0n ? 0 : len + 1, buf: a.SourceString });
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCopyString',
    proto: 'VOID RtlCopyString(PSTRING DestinationString, const STRING *SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pastr' },
    ret: 'void',
    impl: (k, a) => {
      if (a.SourceString === 0n) {
        setCounted(k, a.DestinationString, { len: 0 });
        return;
      }
      const d = counted(k, a.DestinationString);
      const s = counted(k, a.SourceString);
      const n = Math.min(s.len, d.max);
      if (n > 0) k.m.write(d.buf, k.m.read(s.buf, n));
      setCounted(k, a.DestinationString, { len: n });
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCompareString',
    proto: 'LONG RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)',
    params: { String1: 'pastr', String2: 'pastr', CaseInSensitive: 'bool' },
    ret: 'i32',
    impl: (k, a) => compareBytes(text(k, a.String1), text(k, a.String2), a.CaseInSensitive !== 0),
  }),
  defineExport({
    ...nt,
    name: 'RtlEqualString',
    proto: 'BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)',
    params: { String1: 'pastr', String2: 'pastr', CaseInSensitive: 'bool' },
    ret: 'bool',
    impl: (k, a) => {
      const x = text(k, a.String1);
      const y = text(k, a.String2);
      return x.length === y.length && compareBytes(x, y, a.CaseInSensitive !== 0) === 0 ? 1 : 0;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlPrefixString',
    proto: 'BOOLEAN RtlPrefixString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)',
    params: { String1: 'pastr', String2: 'pastr', CaseInSensitive: 'bool' },
    ret: 'bool',
    impl: (k, a) => {
      const x = text(k, a.String1);
      const s2 = counted(k, a.String2);
      if (x.length > s2.len) return 0;
      return compareBytes(x, readBytes(k, s2.buf, x.length), a.CaseInSensitive !== 0) === 0 ? 1 : 0;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlUpperChar',
    proto: 'CHAR RtlUpperChar(CHAR Character)',
    params: { Character: 'u8' },
    ret: 'u8',
    impl: (_k, a) => upperChar(a.Character),
  }),
  defineExport({
    ...nt,
    name: 'RtlUpperString',
    proto: 'VOID RtlUpperString(PSTRING DestinationString, const STRING *SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pastr' },
    ret: 'void',
    impl: (k, a) => {
      const d = counted(k, a.DestinationString);
      const s = counted(k, a.SourceString);
      const n = Math.min(s.len, d.max);
      const b = readBytes(k, s.buf, n).map((c) => upperChar(c));
      if (n > 0) k.m.write(d.buf, b);
      setCounted(k, a.DestinationString, { len: n });
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlAppendStringToString',
    proto: 'NTSTATUS RtlAppendStringToString(PSTRING Destination, const STRING *Source)',
    params: { Destination: 'ptr', Source: 'pastr' },
    ret: 'status',
    impl: (k, a) => append(k, a.Destination, text(k, a.Source)),
  }),
  defineExport({
    ...nt,
    name: 'RtlAppendAsciizToString',
    proto: 'NTSTATUS RtlAppendAsciizToString(PSTRING Destination, PCSZ Source)',
    params: { Destination: 'ptr', Source: 'pstr' },
    ret: 'status',
    impl: (k, a) => (a.Source === 0n ? STATUS.SUCCESS : append(k, a.Destination, k.m.cstring(a.Source, 0x10000))),
  }),
  defineExport({
    ...nt,
    name: 'RtlFreeAnsiString',
    proto: 'VOID RtlFreeAnsiString(PANSI_STRING AnsiString)',
    params: { AnsiString: 'ptr' },
    ret: 'void',
    impl: (k, a) => freeCounted(k, a.AnsiString),
  }),
  defineExport({
    ...nt,
    name: 'RtlFreeOemString',
    proto: 'VOID RtlFreeOemString(POEM_STRING OemString)',
    params: { OemString: 'ptr' },
    ret: 'void',
    impl: (k, a) => freeCounted(k, a.OemString),
  }),
  defineExport({
    ...nt,
    name: 'RtlAnsiStringToUnicodeString',
    proto: 'NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pastr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => toUnicodeString(k, ANSI, a.DestinationString, text(k, a.SourceString), a.AllocateDestinationString),
  }),
  defineExport({
    ...nt,
    name: 'RtlOemStringToUnicodeString',
    proto: 'NTSTATUS RtlOemStringToUnicodeString(PUNICODE_STRING DestinationString, PCOEM_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pastr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => toUnicodeString(k, OEM, a.DestinationString, text(k, a.SourceString), a.AllocateDestinationString),
  }),
  defineExport({
    ...nt,
    name: 'RtlUnicodeStringToAnsiString',
    proto: 'NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => fromUnicodeString(k, ANSI, a.DestinationString, a.SourceString, a.AllocateDestinationString, { up: false, partial: true }),
  }),
  defineExport({
    ...nt,
    name: 'RtlUpcaseUnicodeStringToAnsiString',
    proto: 'NTSTATUS RtlUpcaseUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => fromUnicodeString(k, ANSI, a.DestinationString, a.SourceString, a.AllocateDestinationString, { up: true, partial: false }),
  }),
  defineExport({
    ...nt,
    name: 'RtlUnicodeStringToOemString',
    proto: 'NTSTATUS RtlUnicodeStringToOemString(POEM_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => fromUnicodeString(k, OEM, a.DestinationString, a.SourceString, a.AllocateDestinationString, { up: false, partial: false }),
  }),
  defineExport({
    ...nt,
    name: 'RtlUpcaseUnicodeStringToOemString',
    proto: 'NTSTATUS RtlUpcaseUnicodeStringToOemString(POEM_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => fromUnicodeString(k, OEM, a.DestinationString, a.SourceString, a.AllocateDestinationString, { up: true, partial: false }),
  }),
  defineExport({
    ...nt,
    name: 'RtlUnicodeStringToCountedOemString',
    proto: 'NTSTATUS RtlUnicodeStringToCountedOemString(POEM_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => toCountedOem(k, a.DestinationString, a.SourceString, a.AllocateDestinationString, false),
  }),
  defineExport({
    ...nt,
    name: 'RtlUpcaseUnicodeStringToCountedOemString',
    proto: 'NTSTATUS RtlUpcaseUnicodeStringToCountedOemString(POEM_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => toCountedOem(k, a.DestinationString, a.SourceString, a.AllocateDestinationString, true),
  }),
  defineExport({
    ...nt,
    name: 'RtlOemStringToCountedUnicodeString',
    proto: 'NTSTATUS RtlOemStringToCountedUnicodeString(PUNICODE_STRING DestinationString, PCOEM_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pastr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => {
      // No terminator; an empty source gives an empty string with no buffer.
      const bytes = text(k, a.SourceString);
      const size = bytes.length * 2;
      if (size === 0) {
        setCounted(k, a.DestinationString, { len: 0, max: 0, buf: 0n });
        return STATUS.SUCCESS;
      }
      if (size > MAXUSHORT) return STATUS.INVALID_PARAMETER_2;
      setCounted(k, a.DestinationString, { len: size });
      let buf: bigint;
      if (a.AllocateDestinationString) {
        const p = allocateString(k, size);
        if (p === null) return STATUS.NO_MEMORY;
        buf = p;
        setCounted(k, a.DestinationString, { max: size, buf });
      } else {
        const d = counted(k, a.DestinationString);
        if (size > d.max) return STATUS.BUFFER_OVERFLOW;
        buf = d.buf;
      }
      writeUnits(k, buf, toUnicode(OEM, bytes));
      return STATUS.SUCCESS;
    },
  }),
  // The sizes include the terminator. ntddk.h's RtlAnsiStringToUnicodeSize etc. are macros over the Rtlx forms on a
  // single-byte code page, and the kernel exports both names.
  ...(['RtlxAnsiStringToUnicodeSize', 'RtlAnsiStringToUnicodeSize'] as const).map((name) =>
    defineExport({ ...nt, name, proto: `ULONG ${name}(PCANSI_STRING AnsiString)`, params: { AnsiString: 'pastr' }, ret: 'u32', impl: (k, a) => toUnicodeSize(k, a.AnsiString) }),
  ),
  ...(['RtlxOemStringToUnicodeSize', 'RtlOemStringToUnicodeSize'] as const).map((name) =>
    defineExport({ ...nt, name, proto: `ULONG ${name}(PCOEM_STRING OemString)`, params: { OemString: 'pastr' }, ret: 'u32', impl: (k, a) => toUnicodeSize(k, a.OemString) }),
  ),
  ...(['RtlxUnicodeStringToAnsiSize', 'RtlUnicodeStringToAnsiSize', 'RtlxUnicodeStringToOemSize', 'RtlUnicodeStringToOemSize'] as const).map((name) =>
    defineExport({ ...nt, name, proto: `ULONG ${name}(PCUNICODE_STRING UnicodeString)`, params: { UnicodeString: 'pustr' }, ret: 'u32', impl: (k, a) => fromUnicodeSize(k, a.UnicodeString) }),
  ),
  defineExport({
    ...nt,
    name: 'RtlMultiByteToUnicodeN',
    proto: 'NTSTATUS RtlMultiByteToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString, PULONG BytesInUnicodeString, const CHAR *MultiByteString, ULONG BytesInMultiByteString)',
    params: { UnicodeString: 'ptr', MaxBytesInUnicodeString: 'u32', BytesInUnicodeString: 'ptr', MultiByteString: 'ptr', BytesInMultiByteString: 'u32' },
    ret: 'status',
    impl: (k, a) => mbToUnicodeN(k, ANSI, a.UnicodeString, a.MaxBytesInUnicodeString, a.BytesInUnicodeString, a.MultiByteString, a.BytesInMultiByteString),
  }),
  defineExport({
    ...nt,
    name: 'RtlOemToUnicodeN',
    proto: 'NTSTATUS RtlOemToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString, PULONG BytesInUnicodeString, PCCH OemString, ULONG BytesInOemString)',
    params: { UnicodeString: 'ptr', MaxBytesInUnicodeString: 'u32', BytesInUnicodeString: 'ptr', OemString: 'ptr', BytesInOemString: 'u32' },
    ret: 'status',
    impl: (k, a) => mbToUnicodeN(k, OEM, a.UnicodeString, a.MaxBytesInUnicodeString, a.BytesInUnicodeString, a.OemString, a.BytesInOemString),
  }),
  ...([['RtlUnicodeToMultiByteN', ANSI, false, 'MultiByteString'], ['RtlUpcaseUnicodeToMultiByteN', ANSI, true, 'MultiByteString'], ['RtlUnicodeToOemN', OEM, false, 'OemString'], ['RtlUpcaseUnicodeToOemN', OEM, true, 'OemString']] as const).map(([name, cp, up, what]) =>
    defineExport({
      ...nt,
      name,
      proto: `NTSTATUS ${name}(PCHAR ${what}, ULONG MaxBytesIn${what}, PULONG BytesIn${what}, PCWCH UnicodeString, ULONG BytesInUnicodeString)`,
      params: { Destination: 'ptr', MaxBytes: 'u32', BytesWritten: 'ptr', UnicodeString: 'ptr', BytesInUnicodeString: 'u32' },
      ret: 'status',
      impl: (k, a) => unicodeToMbN(k, cp, a.Destination, a.MaxBytes, a.BytesWritten, a.UnicodeString, a.BytesInUnicodeString, up),
    }),
  ),
  defineExport({
    ...nt,
    name: 'RtlMultiByteToUnicodeSize',
    proto: 'NTSTATUS RtlMultiByteToUnicodeSize(PULONG BytesInUnicodeString, const CHAR *MultiByteString, ULONG BytesInMultiByteString)',
    params: { BytesInUnicodeString: 'ptr', MultiByteString: 'ptr', BytesInMultiByteString: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      k.m.setU32(a.BytesInUnicodeString, a.BytesInMultiByteString * 2);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlUnicodeToMultiByteSize',
    proto: 'NTSTATUS RtlUnicodeToMultiByteSize(PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString)',
    params: { BytesInMultiByteString: 'ptr', UnicodeString: 'ptr', BytesInUnicodeString: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      k.m.setU32(a.BytesInMultiByteString, a.BytesInUnicodeString >>> 1);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlAnsiCharToUnicodeChar',
    proto: 'WCHAR RtlAnsiCharToUnicodeChar(PUCHAR *SourceCharacter)',
    params: { SourceCharacter: 'ptr' },
    ret: 'u16',
    impl: (k, a) => {
      // One byte on a single-byte code page; the caller's pointer moves past it.
      const p = k.m.ptr(a.SourceCharacter);
      const c = k.m.u8(p);
      k.m.setPtr(a.SourceCharacter, p + 1n);
      return ANSI.toUnicode[c];
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlUTF8ToUnicodeN',
    proto: 'NTSTATUS RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination, ULONG UnicodeStringMaxByteCount, PULONG UnicodeStringActualByteCount, PCCH UTF8StringSource, ULONG UTF8StringByteCount)',
    params: { UnicodeStringDestination: 'ptr', UnicodeStringMaxByteCount: 'u32', UnicodeStringActualByteCount: 'ptr', UTF8StringSource: 'ptr', UTF8StringByteCount: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      if (a.UTF8StringSource === 0n) return STATUS.INVALID_PARAMETER_4;
      if (a.UnicodeStringDestination === 0n && a.UnicodeStringActualByteCount === 0n) return STATUS.INVALID_PARAMETER;
      const { points, invalid } = decodeUtf8(readBytes(k, a.UTF8StringSource, a.UTF8StringByteCount));
      const done = invalid ? STATUS.SOME_NOT_MAPPED : STATUS.SUCCESS;
      if (a.UnicodeStringDestination === 0n) {
        setOptional(k, a.UnicodeStringActualByteCount, points.reduce((n, cp) => n + utf16Units(cp).length * 2, 0));
        return done;
      }
      // As many UTF-16 units as fit: Windows splits a surrogate pair at the end of the buffer.
      const all = points.flatMap(utf16Units);
      const room = Math.floor(a.UnicodeStringMaxByteCount / 2);
      const truncated = all.length > room;
      const out = truncated ? all.slice(0, room) : all;
      writeUnits(k, a.UnicodeStringDestination, out);
      setOptional(k, a.UnicodeStringActualByteCount, out.length * 2);
      return truncated ? STATUS.BUFFER_TOO_SMALL : done;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlUnicodeToUTF8N',
    proto: 'NTSTATUS RtlUnicodeToUTF8N(PCHAR UTF8StringDestination, ULONG UTF8StringMaxByteCount, PULONG UTF8StringActualByteCount, PCWCH UnicodeStringSource, ULONG UnicodeStringByteCount)',
    params: { UTF8StringDestination: 'ptr', UTF8StringMaxByteCount: 'u32', UTF8StringActualByteCount: 'ptr', UnicodeStringSource: 'ptr', UnicodeStringByteCount: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      if (a.UnicodeStringSource === 0n) return STATUS.INVALID_PARAMETER_4;
      if (a.UTF8StringDestination === 0n && a.UTF8StringActualByteCount === 0n) return STATUS.INVALID_PARAMETER;
      // An odd byte count is refused when converting; when only sizing, the odd byte is ignored.
      if (a.UTF8StringDestination !== 0n && a.UnicodeStringByteCount % 2 !== 0) return STATUS.INVALID_PARAMETER_5;
      const { points, invalid } = utf16Points(readUnits(k, a.UnicodeStringSource, a.UnicodeStringByteCount >>> 1));
      const done = invalid ? STATUS.SOME_NOT_MAPPED : STATUS.SUCCESS;
      if (a.UTF8StringDestination === 0n) {
        setOptional(k, a.UTF8StringActualByteCount, points.reduce((n, cp) => n + utf8Bytes(cp).length, 0));
        return done;
      }
      // As many whole characters as fit: a character's bytes are never split.
      const out: number[] = [];
      let truncated = false;
      for (const cp of points) {
        const b = utf8Bytes(cp);
        if (out.length + b.length > a.UTF8StringMaxByteCount) {
          truncated = true;
          break;
        }
        out.push(...b);
      }
      if (out.length > 0) k.m.write(a.UTF8StringDestination, Uint8Array.from(out));
      setOptional(k, a.UTF8StringActualByteCount, out.length);
      return truncated ? STATUS.BUFFER_TOO_SMALL : done;
    },
  }),
];
