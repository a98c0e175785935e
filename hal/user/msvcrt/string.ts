// The C runtimes' string, memory and character functions ("C" locale). The ones ntoskrnl's CRT also has share its
// implementation (hal/rtl/crt.ts); a bad pointer is the program's access violation either way.

import type { AnyExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { exports as kernelCrt } from '../../rtl/crt.js';
import { heapAlloc } from '../kernel32/process.js';
import { CRT_MODULE, crtExport } from './common.js';
import { ERANGE, setErrno } from './errno.js';

const SHARED = new Set(['memcpy', 'memmove', 'memset', 'memcmp', 'strlen', 'wcslen', 'strcpy', 'strncpy', 'wcscpy', 'wcsncpy']);
const MAX = 1 << 24;

const cstr = (k: Kernel, p: bigint) => k.m.cstring(p, MAX);
function wstr(k: Kernel, p: bigint): number[] {
  const out: number[] = [];
  for (let a = p; out.length < MAX; a += 2n) {
    const u = k.m.u16(a);
    if (u === 0) break;
    out.push(u);
  }
  return out;
}
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 32 : c);
const upper = (c: number) => (c >= 0x61 && c <= 0x7a ? c - 32 : c);

function compare(a: ArrayLike<number>, b: ArrayLike<number>, n: number, fold: boolean): number {
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? (fold ? lower(a[i]) : a[i]) : 0;
    const y = i < b.length ? (fold ? lower(b[i]) : b[i]) : 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x === 0) return 0;
  }
  return 0;
}

function find(k: Kernel, s: bigint, c: number, last: boolean): bigint {
  const b = cstr(k, s);
  const ch = c & 0xff;
  if (ch === 0) return s + BigInt(b.length);
  const i = last ? b.lastIndexOf(ch) : b.indexOf(ch);
  return i < 0 ? 0n : s + BigInt(i);
}

/** strtol/strtoul: C's rules (leading space, sign, base prefix, overflow → the limit and ERANGE). */
function strtol(k: Kernel, s: bigint, end: bigint, base: number, unsigned: boolean): bigint {
  const b = cstr(k, s);
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || (b[i] >= 9 && b[i] <= 13))) i++;
  let neg = false;
  if (b[i] === 0x2d || b[i] === 0x2b) neg = b[i++] === 0x2d;
  if ((base === 0 || base === 16) && b[i] === 0x30 && (b[i + 1] | 0x20) === 0x78) {
    i += 2;
    base = 16;
  } else if (base === 0) base = b[i] === 0x30 ? 8 : 10;
  const start = i;
  let v = 0n;
  for (; i < b.length; i++) {
    const c = b[i];
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x7a ? c - 87 : c >= 0x41 && c <= 0x5a ? c - 55 : 99;
    if (d >= base) break;
    v = v * BigInt(base) + BigInt(d);
  }
  if (end !== 0n) k.m.setPtr(end, i === start ? s : s + BigInt(i));
  if (i === start) return 0n;
  const max = unsigned ? 0xffffffffn : neg ? 0x80000000n : 0x7fffffffn;
  if (v > max) {
    setErrno(k, ERANGE);
    return unsigned ? 0xffffffffn : neg ? 0x80000000n : 0x7fffffffn;
  }
  return neg ? BigInt.asUintN(32, -v) : v;
}

const CTYPE: Record<string, (c: number) => boolean> = {
  isalpha: (c) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a,
  isdigit: (c) => c >= 0x30 && c <= 0x39,
  isxdigit: (c) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66),
  isspace: (c) => c === 0x20 || (c >= 9 && c <= 13),
  isupper: (c) => c >= 0x41 && c <= 0x5a,
  islower: (c) => c >= 0x61 && c <= 0x7a,
  isalnum: (c) => CTYPE.isalpha(c) || CTYPE.isdigit(c),
  isprint: (c) => c >= 0x20 && c < 0x7f,
  ispunct: (c) => c > 0x20 && c < 0x7f && !CTYPE.isalpha(c) && !CTYPE.isdigit(c),
  iscntrl: (c) => c < 0x20 || c === 0x7f,
};

export const exports: AnyExport[] = [
  // Shared with ntoskrnl's CRT.
  ...kernelCrt.filter((d) => SHARED.has(d.name)).flatMap((d) => Object.values(CRT_MODULE).map((module) => ({ ...d, module }) as AnyExport)),
  ...crtExport({ name: 'strcmp', proto: 'int strcmp(const char *string1, const char *string2)', params: { string1: 'pstr', string2: 'pstr' }, ret: 'i32', impl: () => (k, a) => compare(cstr(k, a.string1), cstr(k, a.string2), MAX, false) }),
  ...crtExport({
    name: 'strncmp', proto: 'int strncmp(const char *string1, const char *string2, size_t count)', params: { string1: 'pstr', string2: 'pstr', count: 'usize' }, ret: 'i32',
    impl: () => (k, a) => compare(k.m.cstring(a.string1, Number(a.count)), k.m.cstring(a.string2, Number(a.count)), Number(a.count), false),
  }),
  ...(['_stricmp', '_strcmpi'] as const).flatMap((name) =>
    crtExport({ name, proto: `int ${name}(const char *string1, const char *string2)`, params: { string1: 'pstr', string2: 'pstr' }, ret: 'i32', impl: () => (k, a) => compare(cstr(k, a.string1), cstr(k, a.string2), MAX, true) }),
  ),
  ...crtExport({
    name: '_strnicmp', proto: 'int _strnicmp(const char *string1, const char *string2, size_t count)', params: { string1: 'pstr', string2: 'pstr', count: 'usize' }, ret: 'i32',
    impl: () => (k, a) => compare(k.m.cstring(a.string1, Number(a.count)), k.m.cstring(a.string2, Number(a.count)), Number(a.count), true),
  }),
  ...crtExport({ name: 'wcscmp', proto: 'int wcscmp(const wchar_t *string1, const wchar_t *string2)', params: { string1: 'pwstr', string2: 'pwstr' }, ret: 'i32', impl: () => (k, a) => compare(wstr(k, a.string1), wstr(k, a.string2), MAX, false) }),
  ...crtExport({ name: '_wcsicmp', proto: 'int _wcsicmp(const wchar_t *string1, const wchar_t *string2)', params: { string1: 'pwstr', string2: 'pwstr' }, ret: 'i32', impl: () => (k, a) => compare(wstr(k, a.string1), wstr(k, a.string2), MAX, true) }),
  ...crtExport({
    name: 'wcsncmp', proto: 'int wcsncmp(const wchar_t *string1, const wchar_t *string2, size_t count)', params: { string1: 'pwstr', string2: 'pwstr', count: 'usize' }, ret: 'i32',
    impl: () => (k, a) => compare(wstr(k, a.string1), wstr(k, a.string2), Number(a.count), false),
  }),
  ...crtExport({
    name: 'strcat', proto: 'char *strcat(char *strDestination, const char *strSource)', params: { strDestination: 'ptr', strSource: 'pstr' }, ret: 'ptr',
    impl: () => (k, a) => {
      k.m.write(a.strDestination + BigInt(cstr(k, a.strDestination).length), Uint8Array.from([...cstr(k, a.strSource), 0]));
      return a.strDestination;
    },
  }),
  ...crtExport({
    name: 'strncat', proto: 'char *strncat(char *strDest, const char *strSource, size_t count)', params: { strDest: 'ptr', strSource: 'pstr', count: 'usize' }, ret: 'ptr',
    impl: () => (k, a) => {
      k.m.write(a.strDest + BigInt(cstr(k, a.strDest).length), Uint8Array.from([...k.m.cstring(a.strSource, Number(a.count)), 0]));
      return a.strDest;
    },
  }),
  ...crtExport({
    name: 'wcscat', proto: 'wchar_t *wcscat(wchar_t *strDestination, const wchar_t *strSource)', params: { strDestination: 'ptr', strSource: 'pwstr' }, ret: 'ptr',
    impl: () => (k, a) => {
      const src = wstr(k, a.strSource);
      k.m.write(a.strDestination + BigInt(wstr(k, a.strDestination).length * 2), new Uint8Array(Uint16Array.from([...src, 0]).buffer));
      return a.strDestination;
    },
  }),
  ...crtExport({ name: 'strchr', proto: 'char *strchr(const char *str, int c)', params: { str: 'pstr', c: 'i32' }, ret: 'ptr', impl: () => (k, a) => find(k, a.str, a.c, false) }),
  ...crtExport({ name: 'strrchr', proto: 'char *strrchr(const char *str, int c)', params: { str: 'pstr', c: 'i32' }, ret: 'ptr', impl: () => (k, a) => find(k, a.str, a.c, true) }),
  ...crtExport({
    name: 'wcschr', proto: 'wchar_t *wcschr(const wchar_t *str, wchar_t c)', params: { str: 'pwstr', c: 'u16' }, ret: 'ptr',
    impl: () => (k, a) => {
      const s = wstr(k, a.str);
      const i = a.c === 0 ? s.length : s.indexOf(a.c);
      return i < 0 ? 0n : a.str + BigInt(i * 2);
    },
  }),
  ...crtExport({
    name: 'strstr', proto: 'char *strstr(const char *str, const char *strSearch)', params: { str: 'pstr', strSearch: 'pstr' }, ret: 'ptr',
    impl: () => (k, a) => {
      const s = Buffer.from(cstr(k, a.str));
      const i = s.indexOf(Buffer.from(cstr(k, a.strSearch)));
      return i < 0 ? 0n : a.str + BigInt(i);
    },
  }),
  ...crtExport({
    name: 'memchr', proto: 'void *memchr(const void *buf, int c, size_t count)', params: { buf: 'ptr', c: 'i32', count: 'usize' }, ret: 'ptr',
    impl: () => (k, a) => {
      const i = a.count === 0n ? -1 : k.m.read(a.buf, Number(a.count)).indexOf(a.c & 0xff);
      return i < 0 ? 0n : a.buf + BigInt(i);
    },
  }),
  ...(['_strdup', 'strdup'] as const).flatMap((name) =>
    crtExport({
      name, proto: `char *${name}(const char *strSource)`, params: { strSource: 'pstr' }, ret: 'ptr',
      impl: () => (k, a) => {
        if (a.strSource === 0n) return 0n;
        const s = cstr(k, a.strSource);
        const p = heapAlloc(k, 0, BigInt(s.length + 1));
        if (p !== 0n) k.m.write(p, Uint8Array.from([...s, 0]));
        return p;
      },
    }, name === 'strdup' ? 'ucrt' : undefined),
  ),
  ...crtExport({ name: 'tolower', proto: 'int tolower(int c)', params: { c: 'i32' }, ret: 'i32', impl: () => (_k, a) => (a.c >= 0 && a.c < 256 ? lower(a.c) : a.c) }),
  ...crtExport({ name: 'toupper', proto: 'int toupper(int c)', params: { c: 'i32' }, ret: 'i32', impl: () => (_k, a) => (a.c >= 0 && a.c < 256 ? upper(a.c) : a.c) }),
  ...Object.entries(CTYPE).flatMap(([name, test]) =>
    crtExport({ name, proto: `int ${name}(int c)`, params: { c: 'i32' }, ret: 'i32', impl: () => (_k, a) => (a.c >= 0 && a.c < 128 && test(a.c) ? 1 : 0) }),
  ),
  ...(['atoi', 'atol'] as const).flatMap((name) =>
    crtExport({ name, proto: `${name === 'atoi' ? 'int' : 'long'} ${name}(const char *str)`, params: { str: 'pstr' }, ret: 'i32', impl: () => (k, a) => Number(BigInt.asIntN(32, strtol(k, a.str, 0n, 10, false))) }),
  ),
  ...crtExport({
    name: 'strtol', proto: 'long strtol(const char *strSource, char **endptr, int base)', params: { strSource: 'pstr', endptr: 'ptr', base: 'i32' }, ret: 'i32',
    impl: () => (k, a) => Number(BigInt.asIntN(32, strtol(k, a.strSource, a.endptr, a.base, false))),
  }),
  ...crtExport({
    name: 'strtoul', proto: 'unsigned long strtoul(const char *strSource, char **endptr, int base)', params: { strSource: 'pstr', endptr: 'ptr', base: 'i32' }, ret: 'u32',
    impl: () => (k, a) => Number(strtol(k, a.strSource, a.endptr, a.base, true)),
  }),
  ...(['abs', 'labs'] as const).flatMap((name) =>
    crtExport({ name, proto: `${name === 'abs' ? 'int' : 'long'} ${name}(${name === 'abs' ? 'int' : 'long'} n)`, params: { n: 'i32' }, ret: 'i32', impl: () => (_k, a) => Math.abs(a.n) | 0 }),
  ),
];
