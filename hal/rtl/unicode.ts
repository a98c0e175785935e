// Counted strings: UNICODE_STRING routines (RtlInit*, RtlCopy*, RtlCompare*, RtlEqual*, RtlAppend*, RtlCreate*,
// RtlDuplicate*, RtlFree*, case mapping, prefix tests, hashing, validation) and RtlInitAnsiString / RtlInitString.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from './ntstatus.js';
import { allocateString, counted, downcase, freeString, readUnits, setCounted, unicodeUnits, upcase, writeUnits } from './nls.js';

export { upcase } from './nls.js';

const MAX_USTR = 0xfffc; // (MAXUSHORT & ~1) - sizeof(UNICODE_NULL): RtlInitUnicodeString's cap
const MAX_ASTR = 0xfffe; // MAXUSHORT - sizeof(ANSI_NULL)
const MAX_WSTR_SCAN = 0x8000; // more characters than any counted string holds

/** The text of a UNICODE_STRING in guest memory (Length bytes; not NUL-terminated). */
export function readUnicodeString(k: Kernel, p: bigint): string {
  return k.countedString(p, true);
}

function fields(k: Kernel, p: bigint) {
  const o = k.L.UNICODE_STRING.off;
  return { len: p + BigInt(o.Length), max: p + BigInt(o.MaximumLength), buf: p + BigInt(o.Buffer) };
}

function units(k: Kernel, p: bigint): number[] {
  return Array.from(unicodeUnits(k, p));
}

export function compareUnicode(a: ArrayLike<number>, b: ArrayLike<number>, caseInsensitive: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = caseInsensitive ? upcase(a[i]) : a[i];
    const y = caseInsensitive ? upcase(b[i]) : b[i];
    if (x !== y) return x - y;
  }
  return (a.length - b.length) * 2; // Length difference in bytes
}

/** Characters of a NUL-terminated wide string (wcslen), scanning at most max characters. */
export function wcslen(k: Kernel, p: bigint, max = MAX_WSTR_SCAN): number {
  return k.m.wstring(p, max).length;
}

/**
 * Appends `bytes` at Length if they fit in MaximumLength, then writes a terminating WCHAR whenever Length is below
 * MaximumLength: with an odd MaximumLength one byte of it lands past the buffer, as on Windows.
 */
function appendUnicode(k: Kernel, dest: bigint, src: Uint8Array): number {
  const d = counted(k, dest);
  if (d.len + src.length > d.max) return STATUS.BUFFER_TOO_SMALL;
  if (src.length > 0) k.m.write(d.buf + BigInt(d.len), src);
  const len = d.len + src.length;
  setCounted(k, dest, { len });
  if (len < d.max) k.m.setU16(d.buf + BigInt(len), 0);
  return STATUS.SUCCESS;
}

/** RtlUpcaseUnicodeString / RtlDowncaseUnicodeString: into Destination's buffer or a new one. */
function mapCase(k: Kernel, dest: bigint, source: bigint, allocate: number, map: (c: number) => number): number {
  const s = counted(k, source);
  const text = readUnits(k, s.buf, s.len >> 1);
  let buf: bigint;
  if (allocate) {
    const p = allocateString(k, s.len);
    if (p === null) return STATUS.NO_MEMORY;
    buf = p;
    setCounted(k, dest, { max: s.len, buf });
  } else {
    const d = counted(k, dest);
    if (s.len > d.max) return STATUS.BUFFER_OVERFLOW;
    buf = d.buf;
  }
  writeUnits(k, buf, Array.from(text, map));
  setCounted(k, dest, { len: s.len });
  return STATUS.SUCCESS;
}

function zeroString(k: Kernel, p: bigint): void {
  k.m.fill(p, k.L.UNICODE_STRING.size);
}

/** RtlFreeUnicodeString / RtlFreeAnsiString / RtlFreeOemString: the buffer back to the pool, the structure zeroed. */
export function freeCounted(k: Kernel, p: bigint): void {
  const s = counted(k, p);
  if (s.buf === 0n) return;
  freeString(k, s.buf);
  zeroString(k, p);
}

// HASH_STRING_ALGORITHM_* (wdm.h).
const HASH_STRING_ALGORITHM_DEFAULT = 0;
const HASH_STRING_ALGORITHM_X65599 = 1;

// RTL_DUPLICATE_UNICODE_STRING_* flags.
const DUPLICATE_NULL_TERMINATE = 1;
const DUPLICATE_ALLOCATE_NULL_STRING = 2;

const nt = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

function initAnsi(k: Kernel, dest: bigint, src: bigint): void {
  const f = fields(k, dest);
  let size = 0;
  if (src !== 0n) {
    size = Math.min(k.m.cstring(src, 0x10000).length, MAX_ASTR);
    k.m.setU16(f.max, size + 1);
  } else {
    k.m.setU16(f.max, 0);
  }
  k.m.setU16(f.len, size);
  k.m.setPtr(f.buf, src);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlInitUnicodeString',
    cc: 'stdcall',
    proto: 'VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pwstr' },
    ret: 'void',
    impl: (k, a) => {
      const f = fields(k, a.DestinationString);
      let size = 0;
      if (a.SourceString !== 0n) {
        size = Math.min(k.m.wstring(a.SourceString, 0x8000).length * 2, MAX_USTR);
        k.m.setU16(f.max, size + 2);
      } else {
        k.m.setU16(f.max, 0);
      }
      k.m.setU16(f.len, size);
      k.m.setPtr(f.buf, a.SourceString);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlInitAnsiString',
    cc: 'stdcall',
    proto: 'VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pstr' },
    ret: 'void',
    impl: (k, a) => initAnsi(k, a.DestinationString, a.SourceString),
  }),
  defineExport({
    ...nt,
    name: 'RtlInitString',
    proto: 'VOID RtlInitString(PSTRING DestinationString, PCSZ SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pstr' },
    ret: 'void',
    impl: (k, a) => initAnsi(k, a.DestinationString, a.SourceString),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlCopyUnicodeString',
    cc: 'stdcall',
    proto: 'VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr' },
    ret: 'void',
    impl: (k, a) => {
      const d = fields(k, a.DestinationString);
      if (a.SourceString === 0n) {
        k.m.setU16(d.len, 0);
        return;
      }
      const s = fields(k, a.SourceString);
      const max = k.m.u16(d.max);
      // min(Source.Length, Destination.MaximumLength) bytes, as documented (an odd MaximumLength is not rounded down).
      const n = Math.min(k.m.u16(s.len), max);
      const dst = k.m.ptr(d.buf);
      if (n > 0) k.m.write(dst, k.m.read(k.m.ptr(s.buf), n));
      k.m.setU16(d.len, n);
      if (n + 2 <= max) k.m.setU16(dst + BigInt(n), 0);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlCompareUnicodeString',
    cc: 'stdcall',
    proto: 'LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)',
    params: { String1: 'pustr', String2: 'pustr', CaseInSensitive: 'bool' },
    ret: 'i32',
    impl: (k, a) => compareUnicode(units(k, a.String1), units(k, a.String2), a.CaseInSensitive !== 0),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlEqualUnicodeString',
    cc: 'stdcall',
    proto: 'BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)',
    params: { String1: 'pustr', String2: 'pustr', CaseInSensitive: 'bool' },
    ret: 'bool',
    impl: (k, a) => {
      const x = units(k, a.String1);
      const y = units(k, a.String2);
      return x.length === y.length && compareUnicode(x, y, a.CaseInSensitive !== 0) === 0 ? 1 : 0;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlInitUnicodeStringEx',
    proto: 'NTSTATUS RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pwstr' },
    ret: 'status',
    impl: (k, a) => {
      let len = 0;
      if (a.SourceString !== 0n) {
        // Unlike RtlInitUnicodeString, a string too long for a UNICODE_STRING is refused, not truncated.
        len = wcslen(k, a.SourceString, MAX_USTR / 2 + 1) * 2;
        if (len > MAX_USTR) return STATUS.NAME_TOO_LONG;
      }
      setCounted(k, a.DestinationString, { len, max: a.SourceString === 0n ? 0 : len + 2, buf: a.SourceString });
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlAppendUnicodeToString',
    proto: 'NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)',
    params: { Destination: 'ptr', Source: 'pwstr' },
    ret: 'status',
    impl: (k, a) => {
      if (a.Source === 0n) return STATUS.SUCCESS; // nothing to append
      // The source's length as RtlInitUnicodeString counts it (capped at 0xFFFC bytes).
      const n = Math.min(wcslen(k, a.Source) * 2, MAX_USTR);
      return appendUnicode(k, a.Destination, k.m.read(a.Source, n));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlAppendUnicodeStringToString',
    proto: 'NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source)',
    params: { Destination: 'ptr', Source: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const s = counted(k, a.Source);
      if (s.len === 0) return STATUS.SUCCESS;
      return appendUnicode(k, a.Destination, k.m.read(s.buf, s.len));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCreateUnicodeString',
    proto: 'BOOLEAN RtlCreateUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)',
    params: { DestinationString: 'ptr', SourceString: 'pwstr' },
    ret: 'bool',
    impl: (k, a) => {
      const size = (wcslen(k, a.SourceString) + 1) * 2;
      if (size > 0xffff) return 0;
      const buf = allocateString(k, size);
      if (buf === null) return 0;
      k.m.write(buf, k.m.read(a.SourceString, size)); // the terminator included
      setCounted(k, a.DestinationString, { len: size - 2, max: size, buf });
      return 1;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlDuplicateUnicodeString',
    proto: 'NTSTATUS RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut)',
    params: { Flags: 'u32', StringIn: 'pustr', StringOut: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      if (a.StringIn === 0n || a.StringOut === 0n || a.Flags === DUPLICATE_ALLOCATE_NULL_STRING || a.Flags > 3) return STATUS.INVALID_PARAMETER;
      const s = counted(k, a.StringIn);
      if (s.len > s.max || (s.len === 0 && s.max > 0 && s.buf === 0n)) return STATUS.INVALID_PARAMETER;
      // An empty source gives an empty string with no buffer, unless both flags ask for an allocated "\0".
      if (s.len === 0 && a.Flags !== (DUPLICATE_NULL_TERMINATE | DUPLICATE_ALLOCATE_NULL_STRING)) {
        setCounted(k, a.StringOut, { len: 0, max: 0, buf: 0n });
        return STATUS.SUCCESS;
      }
      const terminate = (a.Flags & DUPLICATE_NULL_TERMINATE) !== 0;
      const size = s.len + (terminate ? 2 : 0);
      const buf = allocateString(k, size);
      if (buf === null) return STATUS.NO_MEMORY;
      if (s.len > 0) k.m.write(buf, k.m.read(s.buf, s.len));
      if (terminate) k.m.setU16(buf + BigInt(s.len), 0);
      setCounted(k, a.StringOut, { len: s.len, max: size & 0xffff, buf });
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlFreeUnicodeString',
    proto: 'VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)',
    params: { UnicodeString: 'ptr' },
    ret: 'void',
    impl: (k, a) => freeCounted(k, a.UnicodeString),
  }),
  defineExport({
    ...nt,
    name: 'RtlUpcaseUnicodeString',
    proto: 'NTSTATUS RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => mapCase(k, a.DestinationString, a.SourceString, a.AllocateDestinationString, upcase),
  }),
  defineExport({
    ...nt,
    name: 'RtlDowncaseUnicodeString',
    proto: 'NTSTATUS RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString, BOOLEAN AllocateDestinationString)',
    params: { DestinationString: 'ptr', SourceString: 'pustr', AllocateDestinationString: 'bool' },
    ret: 'status',
    impl: (k, a) => mapCase(k, a.DestinationString, a.SourceString, a.AllocateDestinationString, downcase),
  }),
  defineExport({
    ...nt,
    name: 'RtlUpcaseUnicodeChar',
    proto: 'WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter)',
    params: { SourceCharacter: 'u16' },
    ret: 'u16',
    impl: (_k, a) => upcase(a.SourceCharacter),
  }),
  defineExport({
    ...nt,
    name: 'RtlDowncaseUnicodeChar',
    proto: 'WCHAR RtlDowncaseUnicodeChar(WCHAR SourceCharacter)',
    params: { SourceCharacter: 'u16' },
    ret: 'u16',
    impl: (_k, a) => downcase(a.SourceCharacter),
  }),
  defineExport({
    ...nt,
    name: 'RtlPrefixUnicodeString',
    proto: 'BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)',
    params: { String1: 'pustr', String2: 'pustr', CaseInSensitive: 'bool' },
    ret: 'bool',
    impl: (k, a) => {
      const x = unicodeUnits(k, a.String1);
      const s2 = counted(k, a.String2);
      if (x.length * 2 > s2.len) return 0;
      const y = readUnits(k, s2.buf, x.length);
      return compareUnicode(x, y, a.CaseInSensitive !== 0) === 0 ? 1 : 0;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCompareUnicodeStrings',
    proto: 'LONG RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2, SIZE_T String2Length, BOOLEAN CaseInSensitive)',
    params: { String1: 'ptr', String1Length: 'usize', String2: 'ptr', String2Length: 'usize', CaseInSensitive: 'bool' },
    ret: 'i32',
    impl: (k, a) => {
      // Lengths are in characters; only the common part is read.
      const n = Number(a.String1Length < a.String2Length ? a.String1Length : a.String2Length);
      const x = readUnits(k, a.String1, n);
      const y = readUnits(k, a.String2, n);
      for (let i = 0; i < n; i++) {
        const c1 = a.CaseInSensitive ? upcase(x[i]) : x[i];
        const c2 = a.CaseInSensitive ? upcase(y[i]) : y[i];
        if (c1 !== c2) return c1 - c2;
      }
      return Number(BigInt.asIntN(32, a.String1Length - a.String2Length));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlHashUnicodeString',
    proto: 'NTSTATUS RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive, ULONG HashAlgorithm, PULONG HashValue)',
    params: { String: 'pustr', CaseInSensitive: 'bool', HashAlgorithm: 'u32', HashValue: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      if (a.String === 0n || a.HashValue === 0n) return STATUS.INVALID_PARAMETER;
      if (a.HashAlgorithm !== HASH_STRING_ALGORITHM_DEFAULT && a.HashAlgorithm !== HASH_STRING_ALGORITHM_X65599) return STATUS.INVALID_PARAMETER;
      // x65599: h = h * 65599 + c over the (upper-cased) characters, in 32 bits.
      let h = 0;
      for (const c of unicodeUnits(k, a.String)) h = (Math.imul(h, 65599) + (a.CaseInSensitive ? upcase(c) : c)) >>> 0;
      k.m.setU32(a.HashValue, h);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlValidateUnicodeString',
    proto: 'NTSTATUS RtlValidateUnicodeString(ULONG Flags, PCUNICODE_STRING String)',
    params: { Flags: 'u32', String: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      if (a.Flags !== 0) return STATUS.INVALID_PARAMETER;
      if (a.String === 0n) return STATUS.SUCCESS; // a NULL string is a valid (empty) one
      const s = counted(k, a.String);
      const ok = !(s.buf === 0n && (s.len !== 0 || s.max !== 0)) && s.len % 2 === 0 && s.max % 2 === 0 && s.len <= s.max;
      return ok ? STATUS.SUCCESS : STATUS.INVALID_PARAMETER;
    },
  }),
];
