// Conversions between numbers and text (RtlIntegerToChar, RtlCharToInteger, RtlIntegerToUnicodeString,
// RtlInt64ToUnicodeString, RtlUnicodeStringToInteger), GUIDs and their string form, and Rtl's pseudo-random numbers.

import { EngineMemoryError } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from './ntstatus.js';
import { ANSI, allocateString, counted, readUnits, setCounted, writeUnits } from './nls.js';
import { toUnicodeString } from './string.js';

/** Digits of value in base 2, 8, 10 or 16 (0 means 10), upper-case; undefined for any other base. */
function digits(value: bigint, base: number): string | undefined {
  if (base === 0) base = 10;
  if (base !== 2 && base !== 8 && base !== 10 && base !== 16) return undefined;
  return value.toString(base).toUpperCase();
}

/**
 * A store these routines make inside their own exception handler: a bad output pointer (NULL included) returns
 * STATUS_ACCESS_VIOLATION instead of faulting.
 */
function guardedStore(store: () => void): number {
  try {
    store();
    return STATUS.SUCCESS;
  } catch (e) {
    if (e instanceof EngineMemoryError) return STATUS.ACCESS_VIOLATION;
    throw e;
  }
}

/**
 * RtlIntegerToChar / RtlIntegerToUnicode: a negative OutputLength asks for the digits zero-padded to -OutputLength
 * characters; the text is terminated only when it is shorter than OutputLength.
 */
function integerToText(value: number, base: number, outputLength: number): { text: string } | { status: number } {
  let d = digits(BigInt(value >>> 0), base);
  if (d === undefined) return { status: STATUS.INVALID_PARAMETER };
  if (outputLength < 0) {
    outputLength = -outputLength;
    d = d.padStart(outputLength, '0');
  }
  if (d.length > outputLength) return { status: STATUS.BUFFER_OVERFLOW };
  return { text: d.length < outputLength ? d + '\0' : d };
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * The parse RtlCharToInteger and RtlUnicodeStringToInteger share: leading white space (anything up to ' '), one
 * sign, a 0b/0o/0x prefix when the base is 0, then digits until the first that is not one in the base.
 */
function parseInteger(chars: ArrayLike<number>, base: number): { value: number } | { status: number } {
  let i = 0;
  while (i < chars.length && chars[i] <= 0x20) i++;
  let minus = false;
  if (i < chars.length && chars[i] === 0x2b) i++;
  else if (i < chars.length && chars[i] === 0x2d) {
    minus = true;
    i++;
  }
  if (base === 0) {
    base = 10;
    if (i + 1 < chars.length && chars[i] === 0x30) {
      const p = chars[i + 1];
      const prefixed = p === 0x62 ? 2 : p === 0x6f ? 8 : p === 0x78 ? 16 : 0;
      if (prefixed) {
        base = prefixed;
        i += 2;
      }
    }
  } else if (base !== 2 && base !== 8 && base !== 10 && base !== 16) {
    return { status: STATUS.INVALID_PARAMETER };
  }
  let total = 0;
  for (; i < chars.length; i++) {
    const c = chars[i];
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x5a ? c - 0x41 + 10 : c >= 0x61 && c <= 0x7a ? c - 0x61 + 10 : -1;
    if (d < 0 || d >= base) break;
    total = (Math.imul(total, base) + d) >>> 0; // ULONG arithmetic: overflow wraps
  }
  return { value: minus ? (0 - total) >>> 0 : total };
}

/** "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}", 38 characters. */
const GUID_CHARS = 38;

function guidText(b: Uint8Array): string {
  const h = (v: number, n: number) => v.toString(16).toUpperCase().padStart(n, '0');
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  return `{${h(dv.getUint32(0, true), 8)}-${h(dv.getUint16(4, true), 4)}-${h(dv.getUint16(6, true), 4)}-${h(b[8], 2)}${h(b[9], 2)}-${Array.from(b.subarray(10, 16), (x) => h(x, 2)).join('')}}`;
}

function parseGuid(u: Uint16Array): Uint8Array | undefined {
  if (u.length !== GUID_CHARS) return undefined;
  const s = String.fromCharCode(...u);
  const m = /^\{([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}$/.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, parseInt(m[1], 16), true);
  dv.setUint16(4, parseInt(m[2], 16), true);
  dv.setUint16(6, parseInt(m[3], 16), true);
  const tail = m[4] + m[5];
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(tail.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---- RtlRandom / RtlRandomEx ---------------------------------------------------------------------------------
//
// A linear congruential generator (x * 0x7fffffed + 0x7fffffc3 in 32 bits, mod 0x7fffffff) whose outputs are
// shuffled through a 128-entry table of Windows' initial constants. The table is kernel state (one per machine),
// so a run's sequence depends only on the seeds its driver passes.

const LCG_A = 0x7fffffed;
const LCG_C = 0x7fffffc3;
const LCG_M = 0x7fffffff;

const RANDOM_VECTOR = [
  0x4c8bc0aa, 0x4c022957, 0x2232827a, 0x2f1e7626, 0x7f8bdafb, 0x5c37d02a, 0x0ab48f72, 0x2f0c4ffa,
  0x290e1954, 0x6b635f23, 0x5d3885c0, 0x74b49ff8, 0x5155fa54, 0x6214ad3f, 0x111e9c29, 0x242a3a09,
  0x75932ae1, 0x40ac432e, 0x54f7ba7a, 0x585ccbd5, 0x6df5c727, 0x0374dad1, 0x7112b3f1, 0x735fc311,
  0x404331a9, 0x74d97781, 0x64495118, 0x323e04be, 0x5974b425, 0x4862e393, 0x62389c1d, 0x28a68b82,
  0x0f95da37, 0x7a50bbc6, 0x09b0091c, 0x22cdb7b4, 0x4faaed26, 0x66417ccd, 0x189e4bfa, 0x1ce4e8dd,
  0x5274c742, 0x3bdcf4dc, 0x2d94e907, 0x32eac016, 0x26d33ca3, 0x60415a8a, 0x31f57880, 0x68c8aa52,
  0x23eb16da, 0x6204f4a1, 0x373927c1, 0x0d24eb7c, 0x06dd7379, 0x2b3be507, 0x0f9c55b1, 0x2c7925eb,
  0x36d67c9a, 0x42f831d9, 0x5e3961cb, 0x65d637a8, 0x24bb3820, 0x4d08e33d, 0x2188754f, 0x147e409e,
  0x6a9620a0, 0x62e26657, 0x7bd8ce81, 0x11da0abb, 0x5f9e7b50, 0x23e444b6, 0x25920c78, 0x5fc894f0,
  0x5e338cbb, 0x404237fd, 0x1d60f80f, 0x320a1743, 0x76013d2b, 0x070294ee, 0x695e243b, 0x56b177fd,
  0x752492e1, 0x6decd52f, 0x125f5219, 0x139d2e78, 0x1898d11e, 0x2f7ee785, 0x4db405d8, 0x1a028a35,
  0x63f6f323, 0x1f6d0078, 0x307cfd67, 0x3f32a78a, 0x6980796c, 0x462b3d83, 0x34b639f2, 0x53fce379,
  0x74ba50f4, 0x1abc2c4b, 0x5eeaeb8d, 0x335a7a0d, 0x3973dd20, 0x0462d66b, 0x159813ff, 0x1e4643fd,
  0x06bc5c62, 0x3115e3fc, 0x09101613, 0x47af2515, 0x4f11ec54, 0x78b99911, 0x3db8dd44, 0x1ec10b9b,
  0x5b5506ca, 0x773ce092, 0x567be81a, 0x5475b975, 0x7a2cde1a, 0x494536f5, 0x34737bb4, 0x76d9750b,
  0x2a1f6232, 0x2e49644d, 0x7dddcbe7, 0x500cebdb, 0x619dab9e, 0x48c626fe, 0x1cda3193, 0x52dabe9d,
];

const RANDOM_EX_VECTOR = [
  0x4c8bc0aa, 0x51a0b326, 0x7112b3f1, 0x1b9ca4e1, 0x735fc311, 0x6fe48580, 0x320a1743, 0x494045ca,
  0x103ad1c5, 0x4ba26e25, 0x62f1d304, 0x280d5677, 0x070294ee, 0x7acef21a, 0x62a407d5, 0x2dd36af5,
  0x194f0f95, 0x1f21d7b4, 0x307cfd67, 0x66b9311e, 0x60415a8a, 0x5b264785, 0x3c28b0e4, 0x08faded7,
  0x556175ce, 0x29c44179, 0x666f23c9, 0x65c057d8, 0x72b97abc, 0x7c3be3d0, 0x478e1753, 0x3074449b,
  0x675ee842, 0x53f4c2de, 0x44d58949, 0x6426cf59, 0x111e9c29, 0x3aba68b9, 0x242a3a09, 0x50ddb118,
  0x7f8bdafb, 0x089ebf23, 0x5c37d02a, 0x27db8ca6, 0x0ab48f72, 0x34995a4e, 0x189e4bfa, 0x2c405c36,
  0x373927c1, 0x66c20c71, 0x5f991360, 0x67a38fa3, 0x4edc56aa, 0x25a59126, 0x34b639f2, 0x1679b2ce,
  0x54f7ba7a, 0x319d28b5, 0x5155fa54, 0x769e6b87, 0x323e04be, 0x4565a5aa, 0x5974b425, 0x5c56a104,
  0x25920c78, 0x362912dc, 0x7af3996f, 0x5feb9c87, 0x618361bf, 0x433fbe97, 0x0244da8e, 0x54e3c739,
  0x33183689, 0x3533f398, 0x0d24eb7c, 0x06428590, 0x09101613, 0x53ce5c5a, 0x47af2515, 0x2e003f35,
  0x15fb4ed5, 0x5e5925f4, 0x7f622ea7, 0x0bb6895f, 0x2173cdb6, 0x0467bb41, 0x2c4d19f1, 0x364712e1,
  0x78b99911, 0x0a39a380, 0x3db8dd44, 0x6b4793b8, 0x09b0091c, 0x47ef52b0, 0x293cdcb3, 0x707b9e7b,
  0x26d33ca3, 0x1e527faa, 0x3fe08625, 0x42560b04, 0x139d2e78, 0x0b558cdb, 0x28a68b82, 0x7ba3a51d,
  0x52dabe9d, 0x59c3da1d, 0x5676cf9c, 0x152e972f, 0x6d8ac746, 0x5eb33591, 0x78b30601, 0x0ab68db0,
  0x34737bb4, 0x1b6dd168, 0x76d9750b, 0x2ddc4ff2, 0x18a610cd, 0x2bacc08c, 0x422db55f, 0x169b89b6,
  0x5274c742, 0x615535dd, 0x46ad005d, 0x4128f8dd, 0x29f5875c, 0x62c6f3ef, 0x2b3be507, 0x4a8e003f,
];

interface RandomState {
  vector: number[];
  exVector: number[];
  exY: number;
}

const randomStates = new WeakMap<Kernel, RandomState>();

function randomState(k: Kernel): RandomState {
  let s = randomStates.get(k);
  if (!s) {
    s = { vector: [...RANDOM_VECTOR], exVector: [...RANDOM_EX_VECTOR], exY: 0x7775fb16 };
    randomStates.set(k, s);
  }
  return s;
}

function lcg(x: number): number {
  return ((Math.imul(x, LCG_A) + LCG_C) >>> 0) % LCG_M;
}

const nt = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...nt,
    name: 'RtlIntegerToChar',
    proto: 'NTSTATUS RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength, PSZ String)',
    params: { Value: 'u32', Base: 'u32', OutputLength: 'i32', String: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const r = integerToText(a.Value, a.Base, a.OutputLength);
      if ('status' in r) return r.status;
      return guardedStore(() => k.m.write(a.String, ascii(r.text)));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlIntegerToUnicode',
    proto: 'NTSTATUS RtlIntegerToUnicode(ULONG Value, ULONG Base, LONG OutputLength, PWSTR String)',
    params: { Value: 'u32', Base: 'u32', OutputLength: 'i32', String: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      // OutputLength counts characters, as in RtlIntegerToChar.
      const r = integerToText(a.Value, a.Base, a.OutputLength);
      if ('status' in r) return r.status;
      return guardedStore(() => writeUnits(k, a.String, Array.from(r.text, (c) => c.charCodeAt(0))));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCharToInteger',
    proto: 'NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value)',
    params: { String: 'pstr', Base: 'u32', Value: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const r = parseInteger(k.m.cstring(a.String, 0x10000), a.Base);
      if ('status' in r) return r.status;
      return guardedStore(() => k.m.setU32(a.Value, r.value));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlUnicodeStringToInteger',
    proto: 'NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)',
    params: { String: 'pustr', Base: 'u32', Value: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const s = counted(k, a.String);
      // Since Vista an odd Length is refused, and a failed call leaves 0 in *Value.
      const r = s.len % 2 !== 0 ? { status: STATUS.INVALID_PARAMETER } : parseInteger(readUnits(k, s.buf, s.len >> 1), a.Base);
      if ('status' in r) {
        if (a.Value !== 0n) guardedStore(() => k.m.setU32(a.Value, 0));
        return r.status;
      }
      return guardedStore(() => k.m.setU32(a.Value, r.value));
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlIntegerToUnicodeString',
    proto: 'NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)',
    params: { Value: 'u32', Base: 'u32', String: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const d = digits(BigInt(a.Value), a.Base);
      if (d === undefined) return STATUS.INVALID_PARAMETER;
      // The digits go through RtlAnsiStringToUnicodeString into the caller's buffer (no allocation).
      return toUnicodeString(k, ANSI, a.String, ascii(d), 0);
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlInt64ToUnicodeString',
    proto: 'NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String)',
    params: { Value: 'u64', Base: 'u32', String: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const d = digits(a.Value, a.Base);
      if (d === undefined) return STATUS.INVALID_PARAMETER;
      return toUnicodeString(k, ANSI, a.String, ascii(d), 0);
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlStringFromGUID',
    proto: 'NTSTATUS RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString)',
    params: { Guid: 'ptr', GuidString: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const s = guidText(k.m.read(a.Guid, 16));
      const size = (GUID_CHARS + 1) * 2;
      const buf = allocateString(k, size);
      if (buf === null) return STATUS.NO_MEMORY;
      writeUnits(k, buf, [...Array.from(s, (c) => c.charCodeAt(0)), 0]);
      setCounted(k, a.GuidString, { len: GUID_CHARS * 2, max: size, buf });
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlGUIDFromString',
    proto: 'NTSTATUS RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid)',
    params: { GuidString: 'pustr', Guid: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const s = counted(k, a.GuidString);
      const g = parseGuid(readUnits(k, s.buf, s.len >> 1));
      if (!g) return STATUS.INVALID_PARAMETER;
      k.m.write(a.Guid, g);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlRandom',
    proto: 'ULONG RtlRandom(PULONG Seed)',
    params: { Seed: 'ptr' },
    ret: 'u32',
    impl: (k, a) => {
      const st = randomState(k);
      const x = lcg(k.m.u32(a.Seed));
      const seed = lcg(x);
      k.m.setU32(a.Seed, seed);
      const pos = seed & 0x7f;
      const r = st.vector[pos];
      st.vector[pos] = x;
      return r;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlRandomEx',
    proto: 'ULONG RtlRandomEx(PULONG Seed)',
    params: { Seed: 'ptr' },
    ret: 'u32',
    impl: (k, a) => {
      const st = randomState(k);
      const pos = st.exY & 0x7f;
      st.exY = st.exVector[pos];
      const r = lcg(k.m.u32(a.Seed));
      st.exVector[pos] = r;
      k.m.setU32(a.Seed, r);
      return r;
    },
  }),
];
