// ctype.h and wctype.h as ntoskrnl exports them: the "C" locale's character classes and case mappings.

import { defineExport } from '../../export.js';
import { upcase } from '../unicode.js';
import { crt } from './common.js';

// The CRT's character class bits (ctype.h): _UPPER, _LOWER, _DIGIT, _SPACE, _PUNCT, _CONTROL, _BLANK, _HEX, _ALPHA.
const UPPER = 0x1, LOWER = 0x2, DIGIT = 0x4, SPACE = 0x8, PUNCT = 0x10, CONTROL = 0x20, BLANK = 0x40, HEX = 0x80, ALPHA = 0x100;

/** The "C" locale's class bits of one character 0..255 (bytes above 0x7F have none). */
function classOf(c: number): number {
  if (c < 0x20) return c >= 9 && c <= 13 ? CONTROL | SPACE : CONTROL;
  if (c === 0x20) return SPACE | BLANK;
  if (c >= 0x30 && c <= 0x39) return DIGIT | HEX;
  if (c >= 0x41 && c <= 0x5a) return UPPER | ALPHA | (c <= 0x46 ? HEX : 0);
  if (c >= 0x61 && c <= 0x7a) return LOWER | ALPHA | (c <= 0x66 ? HEX : 0);
  if (c < 0x7f) return PUNCT;
  return c === 0x7f ? CONTROL : 0;
}

const TABLE = Array.from({ length: 256 }, (_, c) => classOf(c));

/** The class bits of c masked by the test's bits: what the CRT's is* return (non-zero, not necessarily 1). */
export function ctype(c: number, mask: number): number {
  // EOF (-1) and values outside unsigned char have no class.
  return c >= 0 && c <= 255 ? TABLE[c] & mask : 0;
}

export const isSpace = (c: number): boolean => ctype(c, SPACE) !== 0;

/** tolower/toupper in the "C" locale: ASCII letters only. */
export const lowerA = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
export const upperA = (c: number): number => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c);

/** towlower: Windows' kernel CRT maps only Latin-1 (A-Z, U+00C0-U+00DE but the multiplication sign). */
export function towlower(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  if (c >= 0xc0 && c <= 0xde && c !== 0xd7) return c + 0x20;
  return c;
}

/** towupper: RtlUpcaseUnicodeChar, the whole Unicode simple upper-case mapping. */
export const towupper = (c: number): number => upcase(c & 0xffff);

const CLASSES: readonly [string, number][] = [
  ['isdigit', DIGIT],
  ['islower', LOWER],
  ['isupper', UPPER],
  ['isspace', SPACE],
  ['isxdigit', HEX],
  // _ALPHA is 0x100 | _UPPER | _LOWER in ctype.h.
  ['isprint', BLANK | PUNCT | ALPHA | UPPER | LOWER | DIGIT],
];

export const exports = [
  ...CLASSES.map(([name, mask]) =>
    defineExport({ ...crt, name, proto: `int ${name}(int c)`, params: { c: 'i32' }, ret: 'i32', impl: (_k, a) => ctype(a.c, mask) }),
  ),
  defineExport({ ...crt, name: 'tolower', proto: 'int tolower(int c)', params: { c: 'i32' }, ret: 'i32', impl: (_k, a) => lowerA(a.c) }),
  defineExport({ ...crt, name: 'toupper', proto: 'int toupper(int c)', params: { c: 'i32' }, ret: 'i32', impl: (_k, a) => upperA(a.c) }),
  defineExport({ ...crt, name: 'towlower', proto: 'wchar_t towlower(wchar_t c)', params: { c: 'u16' }, ret: 'u16', impl: (_k, a) => towlower(a.c) }),
  defineExport({ ...crt, name: 'towupper', proto: 'wchar_t towupper(wchar_t c)', params: { c: 'u16' }, ret: 'u16', impl: (_k, a) => towupper(a.c) }),
];
