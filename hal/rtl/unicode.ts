// Counted strings: UNICODE_STRING and ANSI_STRING routines (RtlInit*, RtlCopy*, RtlCompare*, RtlEqual*).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

const MAX_USTR = 0xfffc; // (MAXUSHORT & ~1) - sizeof(UNICODE_NULL): RtlInitUnicodeString's cap
const MAX_ASTR = 0xfffe; // MAXUSHORT - sizeof(ANSI_NULL)

/** The text of a UNICODE_STRING in guest memory (Length bytes; not NUL-terminated). */
export function readUnicodeString(k: Kernel, p: bigint): string {
  return k.countedString(p, true);
}

function fields(k: Kernel, p: bigint) {
  const o = k.L.UNICODE_STRING.off;
  return { len: p + BigInt(o.Length), max: p + BigInt(o.MaximumLength), buf: p + BigInt(o.Buffer) };
}

/** Windows' RtlUpcaseUnicodeChar: the simple (one-to-one) Unicode upper-case mapping. */
export function upcase(c: number): number {
  if (c < 0x61) return c;
  if (c <= 0x7a) return c - 0x20;
  if (c < 0x80) return c;
  const u = String.fromCharCode(c).toUpperCase();
  return u.length === 1 ? u.charCodeAt(0) : c;
}

function units(k: Kernel, p: bigint): number[] {
  const f = fields(k, p);
  const len = k.m.u16(f.len) >>> 1;
  const buf = k.m.ptr(f.buf);
  if (len === 0) return [];
  const b = k.m.read(buf, len * 2);
  const out: number[] = new Array(len);
  for (let i = 0; i < len; i++) out[i] = b[2 * i] | (b[2 * i + 1] << 8);
  return out;
}

export function compareUnicode(a: number[], b: number[], caseInsensitive: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = caseInsensitive ? upcase(a[i]) : a[i];
    const y = caseInsensitive ? upcase(b[i]) : b[i];
    if (x !== y) return x - y;
  }
  return (a.length - b.length) * 2; // Length difference in bytes
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
    impl: (k, a) => {
      const f = fields(k, a.DestinationString);
      let size = 0;
      if (a.SourceString !== 0n) {
        size = Math.min(k.m.cstring(a.SourceString, 0x10000).length, MAX_ASTR);
        k.m.setU16(f.max, size + 1);
      } else {
        k.m.setU16(f.max, 0);
      }
      k.m.setU16(f.len, size);
      k.m.setPtr(f.buf, a.SourceString);
    },
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
];
