// What ntoskrnl's C runtime modules share: reading and writing narrow and wide strings in guest memory, the error
// codes of the secure (_s) functions, and their invalid parameter reports.

import type { Kernel } from '../../kernel.js';

/** Strings longer than 16 Mi characters are a runaway read, not data. */
export const MAX = 0x1000000;

/** Characters are bytes (char) or UTF-16 units (wchar_t). */
export type Unit = 1 | 2;

/** errno values the secure functions return (errno.h). */
export const EINVAL = 22;
export const ERANGE = 34;
export const STRUNCATE = 80;

export const crt = { module: 'ntoskrnl.exe', cc: 'cdecl' } as const;

/**
 * The characters of a NUL-terminated string, read as they are consumed, a chunk at a time that never crosses a page
 * boundary the string does not cross: a routine that stops early (strcmp at the first difference) faults only where
 * the real one would.
 */
export function* chars(k: Kernel, p: bigint, u: Unit, max = MAX): Generator<number, void, undefined> {
  let a = p;
  let count = 0;
  while (count < max) {
    const toPage = 0x1000 - Number(a & 0xfffn);
    // A wide character straddling a page boundary is read whole.
    const n = u === 1 ? Math.min(toPage, 256, max - count) : toPage < 2 ? 2 : Math.min(toPage & ~1, 512, (max - count) * 2);
    const b = k.m.read(a, n);
    for (let i = 0; i < n; i += u) {
      const c = u === 1 ? b[i] : b[i] | (b[i + 1] << 8);
      if (c === 0) return;
      yield c;
      count++;
    }
    a += BigInt(n);
  }
}

/** The characters of a NUL-terminated string (at most max). */
export function str(k: Kernel, p: bigint, u: Unit, max = MAX): number[] {
  if (u === 1) return Array.from(k.m.cstring(p, max));
  return Array.from(chars(k, p, u, max));
}

/** The length of a NUL-terminated string, in characters. */
export function len(k: Kernel, p: bigint, u: Unit, max = MAX): number {
  return u === 1 ? k.m.cstring(p, max).length : str(k, p, u, max).length;
}

/** Guest bytes of characters. */
export function bytes(chars: ArrayLike<number>, u: Unit): Uint8Array {
  const b = new Uint8Array(chars.length * u);
  for (let i = 0; i < chars.length; i++) {
    if (u === 1) b[i] = chars[i] & 0xff;
    else {
      b[2 * i] = chars[i] & 0xff;
      b[2 * i + 1] = (chars[i] >> 8) & 0xff;
    }
  }
  return b;
}

/** Writes characters at p + index (in characters). */
export function put(k: Kernel, p: bigint, u: Unit, chars: ArrayLike<number>, index = 0): void {
  if (chars.length > 0) k.m.write(p + BigInt(index * u), bytes(chars, u));
}

/** Writes one character at p + index. */
export function putc(k: Kernel, p: bigint, u: Unit, index: number, c: number): void {
  if (u === 1) k.m.setU8(p + BigInt(index), c & 0xff);
  else k.m.setU16(p + BigInt(index * 2), c & 0xffff);
}

/** Reads one character at p + index. */
export function getc(k: Kernel, p: bigint, u: Unit, index: number): number {
  return u === 1 ? k.m.u8(p + BigInt(index)) : k.m.u16(p + BigInt(index * 2));
}

/** (size_t)-1, the _TRUNCATE count of the secure functions. */
export function truncateCount(k: Kernel): bigint {
  return k.arch === 'x64' ? 0xffffffffffffffffn : 0xffffffffn;
}

/**
 * An invalid parameter a secure function found. ntoskrnl has no invalid parameter handler to call: the function
 * returns its error code (the caller's to check), as the CRT does when the handler returns; the trace notes it.
 */
export function invalid(k: Kernel, fn: string, code: number, why: string, returns?: string): number {
  const name = code === EINVAL ? 'EINVAL' : code === ERANGE ? 'ERANGE' : String(code);
  k.trace.emit({ type: 'note', text: `${fn}: invalid parameter (${why}): returns ${returns ?? name}`, at: k.symbolize(k.callerAddress()) });
  return code;
}

/** The C type name of a character unit, for prototypes. */
export function cType(u: Unit): string {
  return u === 1 ? 'char' : 'wchar_t';
}

const CHUNK = 0x10000n;

/**
 * memset over guest memory in chunks: a size that runs past the mapped memory faults where the mapping ends, as the
 * real loop does, without the host allocating the whole size first.
 */
export function fillGuest(k: Kernel, p: bigint, size: bigint, value = 0): void {
  for (let off = 0n; off < size; off += CHUNK) {
    const n = size - off < CHUNK ? size - off : CHUNK;
    k.m.fill(p + off, Number(n), value);
  }
}

/** memmove over guest memory in chunks, in the direction that keeps an overlapping copy right. */
export function copyGuest(k: Kernel, dest: bigint, src: bigint, size: bigint): void {
  if (size <= CHUNK) {
    if (size > 0n) k.m.write(dest, k.m.read(src, Number(size)));
    return;
  }
  const backward = dest > src && dest < src + size;
  for (let done = 0n; done < size; done += CHUNK) {
    const n = size - done < CHUNK ? size - done : CHUNK;
    const off = backward ? size - done - n : done;
    k.m.write(dest + off, k.m.read(src + off, Number(n)));
  }
}
