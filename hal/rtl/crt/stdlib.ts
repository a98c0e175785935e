// stdlib.h as ntoskrnl exports it: number conversions, multibyte conversions (the ANSI code page), qsort and bsearch
// (which call the driver's comparison routine), and rand.

import { defineExport, type AnyExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { ansiToUnicode, unicodeToAnsi } from '../../dbg/format.js';
import { EINVAL, ERANGE, crt, cType, invalid, len, put, putc, str, type Unit } from './common.js';
import { isSpace } from './ctype.js';

// ---- string to number ---------------------------------------------------------------------------------------

/** Leading white space: the "C" locale's, and for wide strings also U+00A0 (not U+3000), as Windows' _wtol skips. */
const blank = (c: number, u: Unit): boolean => isSpace(c) || (u === 2 && c === 0xa0);

function digit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a ? l - 0x61 + 10 : 99;
}

/**
 * atoi / atol / _wtoi / _wtol: leading white space, a sign, decimal digits. The kernel CRT accumulates without an
 * overflow check: the result wraps at 32 bits.
 */
function atol(k: Kernel, p: bigint, u: Unit): number {
  const s = str(k, p, u);
  let i = 0;
  while (i < s.length && blank(s[i], u)) i++;
  const neg = s[i] === 0x2d;
  if (s[i] === 0x2d || s[i] === 0x2b) i++;
  let v = 0;
  for (; i < s.length && s[i] >= 0x30 && s[i] <= 0x39; i++) v = (Math.imul(v, 10) + (s[i] - 0x30)) | 0;
  return neg ? -v | 0 : v;
}

/**
 * strtoul's rules for wcstoul and _strtoui64: white space, a sign, a base prefix (0x for 0 and 16, 0 for octal with 0),
 * digits. Overflow gives the maximum; a minus sign negates (modulo 2^bits). No digits: 0, and *endptr = the string.
 */
function strtou(k: Kernel, p: bigint, end: bigint, base: number, u: Unit, bits: 32 | 64): bigint {
  const s = str(k, p, u);
  const setEnd = (i: number) => {
    if (end !== 0n) k.m.setPtr(end, p + BigInt(i * u));
  };
  if (base !== 0 && (base < 2 || base > 36)) {
    setEnd(0);
    return 0n;
  }
  let i = 0;
  while (i < s.length && blank(s[i], u)) i++;
  const neg = s[i] === 0x2d;
  if (s[i] === 0x2d || s[i] === 0x2b) i++;
  if ((base === 0 || base === 16) && s[i] === 0x30 && (s[i + 1] | 0x20) === 0x78 && digit(s[i + 2] ?? 0) < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) base = s[i] === 0x30 ? 8 : 10;
  const start = i;
  const max = (1n << BigInt(bits)) - 1n;
  let v = 0n;
  let over = false;
  for (; i < s.length && digit(s[i]) < base; i++) {
    v = v * BigInt(base) + BigInt(digit(s[i]));
    if (v > max) over = true;
  }
  if (i === start) {
    setEnd(0);
    return 0n;
  }
  setEnd(i);
  if (over) return max;
  return neg ? BigInt.asUintN(bits, -v) : v;
}

// ---- number to string ---------------------------------------------------------------------------------------

function digits(v: bigint, radix: number): number[] {
  return [...v.toString(radix)].map((c) => c.charCodeAt(0));
}

/** _itoa / _itow: a minus sign only in base 10; other bases show the 32-bit pattern. */
function itoa(k: Kernel, value: number, buf: bigint, radix: number, u: Unit): bigint {
  if (radix < 2 || radix > 36) {
    // The conversion's parameter check empties the buffer before refusing the radix.
    putc(k, buf, u, 0, 0);
    invalid(k, u === 1 ? '_itoa' : '_itow', EINVAL, `radix ${radix}`, 'the emptied string');
    return buf;
  }
  const neg = radix === 10 && value < 0;
  const mag = neg ? BigInt(-value) : BigInt(value >>> 0);
  put(k, buf, u, [...(neg ? [0x2d] : []), ...digits(mag, radix), 0]);
  return buf;
}

/**
 * The _s conversions (xtoa_s): checks the buffer, empties it, needs room for a sign and a digit, checks the radix,
 * then writes the digits least significant first; when they run out of room the buffer is emptied again (ERANGE),
 * leaving the digits that fitted behind its first character.
 */
function xtoaS(k: Kernel, name: string, value: bigint, buf: bigint, size: bigint, radix: number, u: Unit, signed: boolean, bits: 32 | 64): number {
  if (buf === 0n || size === 0n) return invalid(k, name, EINVAL, 'NULL buffer or zero size');
  putc(k, buf, u, 0, 0);
  const v = signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
  const neg = signed && radix === 10 && v < 0n;
  if (size <= (neg ? 2n : 1n)) return invalid(k, name, ERANGE, 'the buffer is too small');
  if (radix < 2 || radix > 36) return invalid(k, name, EINVAL, `radix ${radix}`);
  const mag = neg ? -v : BigInt.asUintN(bits, v);
  const d = digits(mag, radix).reverse();
  const out = neg ? [0x2d] : [];
  for (const c of d) {
    out.push(c);
    if (BigInt(out.length) >= size) break;
  }
  if (BigInt(out.length) >= size) {
    put(k, buf, u, out);
    putc(k, buf, u, 0, 0);
    return invalid(k, name, ERANGE, 'the buffer is too small');
  }
  const first = neg ? 1 : 0;
  put(k, buf, u, [...out.slice(0, first), ...out.slice(first).reverse(), 0]);
  return 0;
}

// ---- qsort and bsearch --------------------------------------------------------------------------------------

/** The parameter checks qsort and bsearch make: an array (unless empty), a non-zero width, a comparison routine. */
function validSort(k: Kernel, name: string, base: bigint, num: bigint, width: bigint, fn: bigint): boolean {
  const returns = name === 'qsort' ? 'without sorting' : 'NULL';
  if (base === 0n && num !== 0n) return (invalid(k, name, EINVAL, 'NULL array', returns), false);
  if (width === 0n) return (invalid(k, name, EINVAL, 'zero width', returns), false);
  if (fn === 0n) return (invalid(k, name, EINVAL, 'NULL comparison routine', returns), false);
  return true;
}

/** Calls the driver's comparison routine (cdecl int (*)(const void *, const void *)). */
function comparer(k: Kernel, fn: bigint): (a: bigint, b: bigint) => number {
  return (a, b) => Number(BigInt.asIntN(32, k.m.callGuest(fn, [a, b]).value & 0xffffffffn));
}

function swap(k: Kernel, a: bigint, b: bigint, width: number): void {
  if (a === b) return;
  // A page at a time, so an absurd width faults in guest memory instead of exhausting the host.
  for (let off = 0; off < width; off += 0x1000) {
    const n = Math.min(0x1000, width - off);
    const x = k.m.read(a + BigInt(off), n);
    k.m.write(a + BigInt(off), k.m.read(b + BigInt(off), n));
    k.m.write(b + BigInt(off), x);
  }
}

/**
 * The CRT's qsort: sorts in place with the caller's comparisons (the elements move in guest memory between calls, as
 * they do on Windows). Partitions of 8 elements or fewer are sorted by repeatedly moving the greatest to the end;
 * larger ones are partitioned around the median of the first, middle and last, the smaller side first.
 */
function qsort(k: Kernel, base: bigint, num: bigint, width: bigint, fn: bigint): void {
  if (!validSort(k, 'qsort', base, num, width, fn)) return;
  if (num < 2n) return;
  const cmp = comparer(k, fn);
  const w = width;
  const wn = Number(width);
  const stack: [bigint, bigint][] = [[base, base + w * (num - 1n)]];
  while (stack.length) {
    let [lo, hi] = stack.pop()!;
    for (;;) {
      const size = (hi - lo) / w + 1n;
      if (size <= 8n) {
        for (let h = hi; h > lo; h -= w) {
          let max = lo;
          for (let p = lo + w; p <= h; p += w) if (cmp(p, max) > 0) max = p;
          swap(k, max, h, wn);
        }
        break;
      }
      let mid = lo + (size / 2n) * w;
      if (cmp(lo, mid) > 0) swap(k, lo, mid, wn);
      if (cmp(lo, hi) > 0) swap(k, lo, hi, wn);
      if (cmp(mid, hi) > 0) swap(k, mid, hi, wn);
      let loguy = lo;
      let higuy = hi;
      for (;;) {
        if (mid > loguy) {
          do loguy += w;
          while (loguy < mid && cmp(loguy, mid) <= 0);
        }
        if (mid <= loguy) {
          do loguy += w;
          while (loguy <= hi && cmp(loguy, mid) <= 0);
        }
        do higuy -= w;
        while (higuy > mid && cmp(higuy, mid) > 0);
        if (higuy < loguy) break;
        swap(k, loguy, higuy, wn);
        if (mid === higuy) mid = loguy;
      }
      higuy += w;
      if (mid < higuy) {
        do higuy -= w;
        while (higuy > mid && cmp(higuy, mid) === 0);
      }
      if (mid >= higuy) {
        do higuy -= w;
        while (higuy > lo && cmp(higuy, mid) === 0);
      }
      // Sort the smaller side now and keep the larger for later, so the pending list stays short.
      if (higuy - lo >= hi - loguy) {
        if (lo < higuy) stack.push([lo, higuy]);
        if (loguy < hi) {
          lo = loguy;
          continue;
        }
      } else {
        if (loguy < hi) stack.push([loguy, hi]);
        if (lo < higuy) {
          hi = higuy;
          continue;
        }
      }
      break;
    }
  }
}

/** The CRT's bsearch: halves the range around its middle element; NULL when no element compares equal. */
function bsearch(k: Kernel, key: bigint, base: bigint, num: bigint, width: bigint, fn: bigint): bigint {
  if (!validSort(k, 'bsearch', base, num, width, fn)) return 0n;
  const cmp = comparer(k, fn);
  let lo = base;
  let n = num;
  while (n > 0n) {
    const half = n / 2n;
    if (half === 0n) return cmp(key, lo) === 0 ? lo : 0n;
    const mid = lo + (n & 1n ? half : half - 1n) * width;
    const r = cmp(key, mid);
    if (r === 0) return mid;
    if (r < 0) n = n & 1n ? half : half - 1n;
    else {
      lo = mid + width;
      n = half;
    }
  }
  return 0n;
}

// ---- rand ---------------------------------------------------------------------------------------------------

// The CRT's linear congruential generator; one seed for the kernel, 1 until srand.
const seeds = new WeakMap<Kernel, number>();

function rand(k: Kernel): number {
  const s = (Math.imul(seeds.get(k) ?? 1, 214013) + 2531011) | 0;
  seeds.set(k, s);
  return (s >>> 16) & 0x7fff;
}

// ---- declarations -------------------------------------------------------------------------------------------

const ps = (u: Unit) => (u === 1 ? 'pstr' : 'pwstr');
const xtoaSNames: readonly [string, Unit, boolean, 32 | 64, string][] = [
  ['_itoa_s', 1, true, 32, 'int'], ['_itow_s', 2, true, 32, 'int'],
  ['_ltoa_s', 1, true, 32, 'long'], ['_ltow_s', 2, true, 32, 'long'],
  ['_ultoa_s', 1, false, 32, 'unsigned long'], ['_ultow_s', 2, false, 32, 'unsigned long'],
  ['_i64toa_s', 1, true, 64, '__int64'], ['_i64tow_s', 2, true, 64, '__int64'],
  ['_ui64toa_s', 1, false, 64, 'unsigned __int64'], ['_ui64tow_s', 2, false, 64, 'unsigned __int64'],
];

export const exports: AnyExport[] = [
  ...([['atoi', 1, 'int'], ['atol', 1, 'long'], ['_wtoi', 2, 'int'], ['_wtol', 2, 'long']] as const).map(([name, u, t]) =>
    defineExport({ ...crt, name, proto: `${t} ${name}(const ${cType(u)} *str)`, params: { str: ps(u) }, ret: 'i32', impl: (k, a) => atol(k, a.str, u) }),
  ),
  defineExport({
    ...crt, name: 'wcstoul', proto: 'unsigned long wcstoul(const wchar_t *strSource, wchar_t **endptr, int base)', params: { strSource: 'pwstr', endptr: 'ptr', base: 'i32' }, ret: 'u32',
    impl: (k, a) => Number(strtou(k, a.strSource, a.endptr, a.base, 2, 32)),
  }),
  defineExport({
    ...crt, name: '_strtoui64', proto: 'unsigned __int64 _strtoui64(const char *strSource, char **endptr, int base)', params: { strSource: 'pstr', endptr: 'ptr', base: 'i32' }, ret: 'u64',
    impl: (k, a) => strtou(k, a.strSource, a.endptr, a.base, 1, 64),
  }),
  ...([['_itoa', 1], ['_itow', 2]] as const).map(([name, u]) =>
    defineExport({
      ...crt, name, proto: `${cType(u)} *${name}(int value, ${cType(u)} *str, int radix)`, params: { value: 'i32', str: 'ptr', radix: 'i32' }, ret: 'ptr',
      impl: (k, a) => itoa(k, a.value, a.str, a.radix, u),
    }),
  ),
  ...xtoaSNames.map(([name, u, signed, bits, t]) =>
    defineExport({
      ...crt, name, proto: `errno_t ${name}(${t} value, ${cType(u)} *buffer, size_t size, int radix)`,
      params: { value: bits === 64 ? 'u64' : 'u32', buffer: 'ptr', size: 'usize', radix: 'i32' }, ret: 'i32',
      impl: (k, a) => xtoaS(k, name, BigInt(a.value), a.buffer, a.size, a.radix, u, signed, bits),
    }),
  ),

  // Multibyte text is the ANSI code page's (RtlMultiByteToUnicodeN / RtlUnicodeToMultiByteN), one byte a character.
  defineExport({
    ...crt, name: 'mbstowcs', proto: 'size_t mbstowcs(wchar_t *wcstr, const char *mbstr, size_t count)', params: { wcstr: 'ptr', mbstr: 'pstr', count: 'usize' }, ret: 'usize',
    // No buffer: the length the conversion needs. Otherwise at most count characters, terminated if there is room.
    impl: (k, a) => {
      if (a.wcstr === 0n) return BigInt(len(k, a.mbstr, 1));
      if (a.count === 0n) return 0n;
      const n = a.count > 0x1000000n ? 0x1000000 : Number(a.count);
      const w = str(k, a.mbstr, 1, n).map(ansiToUnicode);
      put(k, a.wcstr, 2, w);
      if (w.length < n) putc(k, a.wcstr, 2, w.length, 0);
      return BigInt(w.length);
    },
  }),
  defineExport({
    ...crt, name: 'wcstombs', proto: 'size_t wcstombs(char *mbstr, const wchar_t *wcstr, size_t count)', params: { mbstr: 'ptr', wcstr: 'pwstr', count: 'usize' }, ret: 'usize',
    // Characters the code page lacks become its default character, '?'.
    impl: (k, a) => {
      if (a.mbstr === 0n) return BigInt(len(k, a.wcstr, 2));
      if (a.count === 0n) return 0n;
      const n = a.count > 0x1000000n ? 0x1000000 : Number(a.count);
      const b = str(k, a.wcstr, 2, n).map(unicodeToAnsi);
      put(k, a.mbstr, 1, b);
      if (b.length < n) putc(k, a.mbstr, 1, b.length, 0);
      return BigInt(b.length);
    },
  }),
  defineExport({
    ...crt, name: 'mbtowc', proto: 'int mbtowc(wchar_t *wchar, const char *mbchar, size_t count)', params: { wchar: 'ptr', mbchar: 'ptr', count: 'usize' }, ret: 'i32',
    impl: (k, a) => {
      if (a.mbchar === 0n) return 0; // no shift states
      if (a.count === 0n) return -1;
      const c = k.m.u8(a.mbchar);
      if (a.wchar !== 0n) k.m.setU16(a.wchar, ansiToUnicode(c));
      return c === 0 ? 0 : 1;
    },
  }),
  defineExport({
    ...crt, name: 'wctomb', proto: 'int wctomb(char *mbchar, wchar_t wchar)', params: { mbchar: 'ptr', wchar: 'u16' }, ret: 'i32',
    impl: (k, a) => {
      if (a.mbchar === 0n) return 0; // no shift states
      k.m.setU8(a.mbchar, unicodeToAnsi(a.wchar));
      return 1;
    },
  }),

  defineExport({
    ...crt, name: 'qsort', proto: 'void qsort(void *base, size_t num, size_t width, int (__cdecl *compare)(const void *, const void *))',
    params: { base: 'ptr', num: 'usize', width: 'usize', compare: 'ptr' }, ret: 'void',
    impl: (k, a) => qsort(k, a.base, a.num, a.width, a.compare),
  }),
  defineExport({
    ...crt, name: 'bsearch', proto: 'void *bsearch(const void *key, const void *base, size_t num, size_t width, int (__cdecl *compare)(const void *key, const void *datum))',
    params: { key: 'ptr', base: 'ptr', num: 'usize', width: 'usize', compare: 'ptr' }, ret: 'ptr',
    impl: (k, a) => bsearch(k, a.key, a.base, a.num, a.width, a.compare),
  }),
  defineExport({ ...crt, name: 'rand', proto: 'int rand(void)', params: {}, ret: 'i32', impl: (k) => rand(k) }),
  defineExport({
    ...crt, name: 'srand', proto: 'void srand(unsigned int seed)', params: { seed: 'u32' }, ret: 'void',
    impl: (k, a) => {
      seeds.set(k, a.seed | 0);
    },
  }),
];
