// The C runtime that ntoskrnl exports to drivers: mem*, str*, wcs*, and the sprintf family.

import { defineExport, type VarArgs } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestFault, formatPrintf } from '../dbg/format.js';
import { GuestStop, hex } from '../machine.js';

const MAX = 0x1000000; // strings longer than 16 MiB are a runaway read, not data

function guestReader(k: Kernel) {
  return { read: (a: bigint, n: number) => k.m.tryRead(a, n) };
}

/** Formats a narrow or wide format string from guest memory with the variadic arguments. */
export function sprintfGuest(k: Kernel, fmt: bigint, va: VarArgs, wide: boolean): Uint8Array {
  const f = wide ? toUnits(k.m.read(fmt, wstrlen(k, fmt) * 2)) : k.m.cstring(fmt, MAX);
  let out: Uint8Array | Uint16Array;
  try {
    out = formatPrintf(f, va, guestReader(k), k.arch, wide);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    // The CRT has no __try: the access violation is the driver's, an unhandled kernel-mode page fault.
    throw new GuestStop('fault', `${wide ? 'wide ' : ''}printf formatting, called from ${k.symbolize(k.callerAddress())}, read unmapped memory at ${hex(e.address)} (${e.what})`, {
      pc: k.callerAddress(),
      fault: { access: 'read', address: e.address },
      bugcheck: { code: 0x50, params: [e.address, 0n, k.callerAddress(), 0n] },
    });
  }
  return out instanceof Uint16Array ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : out;
}

function toUnits(b: Uint8Array): Uint16Array {
  const u = new Uint16Array(b.length >> 1);
  for (let i = 0; i < u.length; i++) u[i] = b[2 * i] | (b[2 * i + 1] << 8);
  return u;
}

function strlen(k: Kernel, p: bigint): number {
  return k.m.cstring(p, MAX).length;
}

function wstrlen(k: Kernel, p: bigint): number {
  let n = 0;
  while (k.m.u16(p + BigInt(n * 2)) !== 0) {
    n++;
    if (n >= MAX) break;
  }
  return n;
}

/** _snprintf/_snwprintf: at most count characters; no terminator and -1 when the text does not fit. */
function snprintf(k: Kernel, buf: bigint, count: number, text: Uint8Array, unit: 1 | 2): number {
  const chars = text.length / unit;
  if (chars < count) {
    const out = new Uint8Array(text.length + unit);
    out.set(text);
    k.m.write(buf, out);
    return chars;
  }
  k.m.write(buf, text.subarray(0, count * unit));
  return chars === count ? chars : -1;
}

const crt = { module: 'ntoskrnl.exe', cc: 'cdecl' } as const;

export const exports = [
  defineExport({
    ...crt,
    name: 'memset',
    proto: 'void *memset(void *dest, int c, size_t count)',
    params: { dest: 'ptr', c: 'i32', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      k.m.fill(a.dest, Number(a.count), a.c);
      return a.dest;
    },
  }),
  // ntoskrnl's memcpy is the same routine as memmove: overlapping copies behave.
  ...(['memcpy', 'memmove'] as const).map((name) =>
    defineExport({
      ...crt,
      name,
      proto: `void *${name}(void *dest, const void *src, size_t count)`,
      params: { dest: 'ptr', src: 'ptr', count: 'usize' },
      ret: 'ptr',
      impl: (k, a) => {
        if (a.count > 0n) k.m.write(a.dest, k.m.read(a.src, Number(a.count)));
        return a.dest;
      },
    }),
  ),
  defineExport({
    ...crt,
    name: 'memcmp',
    proto: 'int memcmp(const void *buf1, const void *buf2, size_t count)',
    params: { buf1: 'ptr', buf2: 'ptr', count: 'usize' },
    ret: 'i32',
    impl: (k, a) => {
      const n = Number(a.count);
      if (n === 0) return 0;
      const x = k.m.read(a.buf1, n);
      const y = k.m.read(a.buf2, n);
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      return 0;
    },
  }),
  defineExport({
    ...crt,
    name: 'strlen',
    proto: 'size_t strlen(const char *str)',
    params: { str: 'pstr' },
    ret: 'usize',
    impl: (k, a) => BigInt(strlen(k, a.str)),
  }),
  defineExport({
    ...crt,
    name: 'wcslen',
    proto: 'size_t wcslen(const wchar_t *str)',
    params: { str: 'pwstr' },
    ret: 'usize',
    impl: (k, a) => BigInt(wstrlen(k, a.str)),
  }),
  defineExport({
    ...crt,
    name: 'strcpy',
    proto: 'char *strcpy(char *dest, const char *src)',
    params: { dest: 'ptr', src: 'pstr' },
    ret: 'ptr',
    impl: (k, a) => {
      const s = k.m.cstring(a.src, MAX);
      const out = new Uint8Array(s.length + 1);
      out.set(s);
      k.m.write(a.dest, out);
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'strncpy',
    proto: 'char *strncpy(char *dest, const char *src, size_t count)',
    params: { dest: 'ptr', src: 'pstr', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      const n = Number(a.count);
      const s = k.m.cstring(a.src, n);
      // Padded with NULs up to count (no terminator when src fills it); the padding is written in place, so a count
      // larger than the destination faults where the destination ends, as the real routine does.
      k.m.write(a.dest, s);
      k.m.fill(a.dest + BigInt(s.length), n - s.length);
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'wcscpy',
    proto: 'wchar_t *wcscpy(wchar_t *dest, const wchar_t *src)',
    params: { dest: 'ptr', src: 'pwstr' },
    ret: 'ptr',
    impl: (k, a) => {
      const n = wstrlen(k, a.src);
      const out = new Uint8Array(n * 2 + 2);
      out.set(k.m.read(a.src, n * 2));
      k.m.write(a.dest, out);
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'wcsncpy',
    proto: 'wchar_t *wcsncpy(wchar_t *dest, const wchar_t *src, size_t count)',
    params: { dest: 'ptr', src: 'pwstr', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      const n = Number(a.count);
      let len = 0;
      while (len < n && k.m.u16(a.src + BigInt(len * 2)) !== 0) len++;
      // As strncpy: the string, then NUL padding written in place up to count characters.
      if (len > 0) k.m.write(a.dest, k.m.read(a.src, len * 2));
      k.m.fill(a.dest + BigInt(len * 2), (n - len) * 2);
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'sprintf',
    proto: 'int sprintf(char *buffer, const char *format, ...)',
    params: { buffer: 'ptr', format: 'pstr' },
    varargs: true,
    ret: 'i32',
    impl: (k, a, va) => {
      const text = sprintfGuest(k, a.format, va, false);
      const out = new Uint8Array(text.length + 1);
      out.set(text);
      k.m.write(a.buffer, out);
      return text.length;
    },
  }),
  defineExport({
    ...crt,
    name: 'swprintf',
    // ntoskrnl exports the legacy two-argument swprintf (no count).
    proto: 'int swprintf(wchar_t *buffer, const wchar_t *format, ...)',
    params: { buffer: 'ptr', format: 'pwstr' },
    varargs: true,
    ret: 'i32',
    impl: (k, a, va) => {
      const text = sprintfGuest(k, a.format, va, true);
      const out = new Uint8Array(text.length + 2);
      out.set(text);
      k.m.write(a.buffer, out);
      return text.length / 2;
    },
  }),
  defineExport({
    ...crt,
    name: '_snprintf',
    proto: 'int _snprintf(char *buffer, size_t count, const char *format, ...)',
    params: { buffer: 'ptr', count: 'usize', format: 'pstr' },
    varargs: true,
    ret: 'i32',
    impl: (k, a, va) => snprintf(k, a.buffer, Number(a.count), sprintfGuest(k, a.format, va, false), 1),
  }),
  defineExport({
    ...crt,
    name: '_snwprintf',
    proto: 'int _snwprintf(wchar_t *buffer, size_t count, const wchar_t *format, ...)',
    params: { buffer: 'ptr', count: 'usize', format: 'pwstr' },
    varargs: true,
    ret: 'i32',
    impl: (k, a, va) => snprintf(k, a.buffer, Number(a.count), sprintfGuest(k, a.format, va, true), 2),
  }),
];
