// National language support for the Rtl string routines: the ANSI and OEM code pages of a US Windows 10
// (Windows-1252 and 437, both single-byte), Unicode case mapping, UTF-8, and the pool the Rtl*String routines
// allocate from.

import type { Kernel } from '../kernel.js';

/**
 * A single-byte code page: its byte → Unicode table and the reverse map. Characters the code page lacks become its
 * default character; Windows' tables also "best fit" some of them to a look-alike (Ā → A), which these do not.
 */
export interface CodePage {
  readonly name: string;
  readonly toUnicode: Uint16Array;
  readonly fromUnicode: Map<number, number>;
  /** The code page's default character, what unmappable characters become ('?'). */
  readonly defaultChar: number;
}

function codePage(name: string, high: string): CodePage {
  const toUnicode = new Uint16Array(256);
  for (let i = 0; i < 0x80; i++) toUnicode[i] = i;
  for (let i = 0; i < 0x80; i++) toUnicode[0x80 + i] = high.charCodeAt(i);
  const fromUnicode = new Map<number, number>();
  for (let i = 0; i < 256; i++) if (!fromUnicode.has(toUnicode[i])) fromUnicode.set(toUnicode[i], i);
  return { name, toUnicode, fromUnicode, defaultChar: 0x3f };
}

/**
 * Windows-1252: 0x80-0x9F as Windows' table has them (the five bytes the code page leaves undefined map to the
 * C1 controls of the same value), 0xA0-0xFF as Latin-1.
 */
export const ANSI = codePage(
  'Windows-1252',
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
    '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178' +
    Array.from({ length: 0x60 }, (_, i) => String.fromCharCode(0xa0 + i)).join(''),
);

/** Code page 437 (the US OEM code page); 0x00-0x7F are the control characters and ASCII, not the glyphs. */
export const OEM = codePage(
  'OEM 437',
  '\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5' +
    '\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00a2\u00a3\u00a5\u20a7\u0192' +
    '\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u2310\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb' +
    '\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255d\u255c\u255b\u2510' +
    '\u2514\u2534\u252c\u251c\u2500\u253c\u255e\u255f\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u2567' +
    '\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256b\u256a\u2518\u250c\u2588\u2584\u258c\u2590\u2580' +
    '\u03b1\u00df\u0393\u03c0\u03a3\u03c3\u00b5\u03c4\u03a6\u0398\u03a9\u03b4\u221e\u03c6\u03b5\u2229' +
    '\u2261\u00b1\u2265\u2264\u2320\u2321\u00f7\u2248\u00b0\u2219\u00b7\u221a\u207f\u00b2\u25a0\u00a0',
);

export function toCodePage(cp: CodePage, unit: number): number {
  return cp.fromUnicode.get(unit) ?? cp.defaultChar;
}

/**
 * Windows' case tables pair characters one to one: a character maps to its simple Unicode upper (lower) case only
 * when that maps back to it. So µ stays µ (its upper case Μ lowers to μ), as do ı, ſ, ς, ϴ, the Kelvin and Ohm
 * signs and the title-case digraphs.
 */
let upper: Uint16Array | undefined;
let lower: Uint16Array | undefined;

function single(s: string, c: number): number {
  return s.length === 1 ? s.charCodeAt(0) : c;
}

function caseTables(): { upper: Uint16Array; lower: Uint16Array } {
  if (!upper || !lower) {
    const up = new Uint16Array(0x10000);
    const lo = new Uint16Array(0x10000);
    for (let c = 0; c < 0x10000; c++) {
      up[c] = c;
      lo[c] = c;
    }
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue; // surrogates have no case
      const ch = String.fromCharCode(c);
      const u = single(ch.toUpperCase(), c);
      if (u !== c && single(String.fromCharCode(u).toLowerCase(), u) === c) up[c] = u;
      const l = single(ch.toLowerCase(), c);
      if (l !== c && single(String.fromCharCode(l).toUpperCase(), l) === c) lo[c] = l;
    }
    upper = up;
    lower = lo;
  }
  return { upper, lower };
}

/** Windows' RtlUpcaseUnicodeChar. */
export function upcase(c: number): number {
  if (c < 0x61) return c;
  if (c <= 0x7a) return c - 0x20;
  if (c < 0x80) return c;
  return caseTables().upper[c & 0xffff];
}

/** Windows' RtlDowncaseUnicodeChar. */
export function downcase(c: number): number {
  if (c < 0x41) return c;
  if (c <= 0x5a) return c + 0x20;
  if (c < 0x80) return c;
  return caseTables().lower[c & 0xffff];
}

/**
 * RtlUpperChar: only a-z change. Bytes from 0x80 are negative CHARs, which Windows' range check passes through
 * unchanged, so é (0xE9) stays é even though the code page has É.
 */
export function upperChar(b: number): number {
  return b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
}

// ---- UTF-8 ----------------------------------------------------------------------------------------------------

/**
 * Decodes UTF-8 into code points the way Windows' converter does: a byte that cannot start a sequence, or a
 * sequence cut short, becomes one U+FFFD; a lead byte followed by a continuation byte that makes the sequence
 * overlong, a surrogate or past U+10FFFF (E0 80, ED A0, F0 80, F4 90 ...) becomes one U+FFFD for the two bytes,
 * and the continuation bytes after them one U+FFFD each.
 */
export function decodeUtf8(b: Uint8Array): { points: number[]; invalid: boolean } {
  const points: number[] = [];
  let invalid = false;
  let i = 0;
  const bad = (n: number) => {
    points.push(0xfffd);
    invalid = true;
    i += n;
  };
  const cont = (t: number | undefined) => t !== undefined && t >= 0x80 && t <= 0xbf;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      points.push(c);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else {
      bad(1);
      continue;
    }
    const second = b[i + 1];
    if (!cont(second)) {
      bad(1);
      continue;
    }
    if (second < lo || second > hi) {
      bad(2);
      continue;
    }
    cp = (cp << 6) | (second & 0x3f);
    let j = 2;
    while (j <= need && cont(b[i + j])) {
      cp = (cp << 6) | (b[i + j] & 0x3f);
      j++;
    }
    if (j <= need) {
      bad(j);
      continue;
    }
    points.push(cp);
    i += need + 1;
  }
  return { points, invalid };
}

/** UTF-16 units as code points; an unpaired surrogate becomes U+FFFD. */
export function utf16Points(u: Uint16Array): { points: number[]; invalid: boolean } {
  const points: number[] = [];
  let invalid = false;
  for (let i = 0; i < u.length; i++) {
    const c = u[i];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < u.length && u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
      points.push(0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      points.push(0xfffd);
      invalid = true;
    } else {
      points.push(c);
    }
  }
  return { points, invalid };
}

export function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

export function utf16Units(cp: number): number[] {
  if (cp < 0x10000) return [cp];
  const v = cp - 0x10000;
  return [0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff)];
}

// ---- guest memory helpers -------------------------------------------------------------------------------------

/** count UTF-16 units at p (nothing read when count is 0, so a NULL buffer with no text is fine). */
export function readUnits(k: Kernel, p: bigint, count: number): Uint16Array {
  const out = new Uint16Array(count);
  if (count === 0) return out;
  const b = k.m.read(p, count * 2);
  for (let i = 0; i < count; i++) out[i] = b[2 * i] | (b[2 * i + 1] << 8);
  return out;
}

export function writeUnits(k: Kernel, p: bigint, units: ArrayLike<number>): void {
  if (units.length === 0) return;
  const b = new Uint8Array(units.length * 2);
  for (let i = 0; i < units.length; i++) {
    b[2 * i] = units[i] & 0xff;
    b[2 * i + 1] = (units[i] >> 8) & 0xff;
  }
  k.m.write(p, b);
}

export function readBytes(k: Kernel, p: bigint, count: number): Uint8Array {
  return count === 0 ? new Uint8Array(0) : k.m.read(p, count);
}

/** Length and MaximumLength are USHORTs, Buffer a pointer: the same layout for UNICODE_STRING and STRING. */
export interface Counted {
  len: number;
  max: number;
  buf: bigint;
}

export function counted(k: Kernel, p: bigint): Counted {
  const o = k.L.UNICODE_STRING.off;
  return { len: k.m.u16(p + BigInt(o.Length)), max: k.m.u16(p + BigInt(o.MaximumLength)), buf: k.m.ptr(p + BigInt(o.Buffer)) };
}

export function setCounted(k: Kernel, p: bigint, v: Partial<Counted>): void {
  const o = k.L.UNICODE_STRING.off;
  if (v.len !== undefined) k.m.setU16(p + BigInt(o.Length), v.len);
  if (v.max !== undefined) k.m.setU16(p + BigInt(o.MaximumLength), v.max);
  if (v.buf !== undefined) k.m.setPtr(p + BigInt(o.Buffer), v.buf);
}

/** The text units of a UNICODE_STRING (Length / 2 of them). */
export function unicodeUnits(k: Kernel, p: bigint): Uint16Array {
  const s = counted(k, p);
  return readUnits(k, s.buf, s.len >> 1);
}

// ---- string memory --------------------------------------------------------------------------------------------

/** The tag of the buffers the Rtl string routines allocate ('Strg'), paged pool. */
export const STRING_TAG = 0x67727453;
const PagedPool = 1;

/**
 * The string routines' allocator (RtlAllocateStringRoutine): paged pool tagged 'Strg', owned by the driver that
 * asked, whose leak report shows it until RtlFree*String releases it. null when the pool is exhausted.
 */
export function allocateString(k: Kernel, size: number): bigint | null {
  return k.pool.allocate(size, STRING_TAG, PagedPool, 'driver', k.symbolize(k.callerAddress()));
}

/** RtlFreeStringRoutine: ExFreePool, with the pool's checks on the address. */
export function freeString(k: Kernel, p: bigint): void {
  k.pool.free_(p, 0, k.callerAddress());
}
