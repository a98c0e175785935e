// Test doubles for the printf engine: sparse guest memory and a va_list laid out like x86 / x64 stacks.

import type { ArgSource, Arch, GuestReader } from '../../hal/dbg/format.js';

/** Guest memory made of separate regions; a read is served only when it lies inside one region. */
export class FakeMemory implements GuestReader {
  private regions: { base: bigint; bytes: Uint8Array }[] = [];
  reads = 0;

  map(base: bigint, bytes: Uint8Array): this {
    this.regions.push({ base, bytes });
    return this;
  }
  /** A NUL-terminated narrow string (latin1 bytes). */
  cstr(base: bigint, text: string, terminate = true): this {
    const b = Uint8Array.from([...text].map((c) => c.charCodeAt(0)));
    return this.map(base, terminate ? Uint8Array.from([...b, 0]) : b);
  }
  /** A NUL-terminated UTF-16LE string. */
  wstr(base: bigint, text: string, terminate = true): this {
    return this.map(base, utf16le(text, terminate));
  }
  read(address: bigint, size: number): Uint8Array | null {
    this.reads++;
    for (const r of this.regions) {
      const off = address - r.base;
      if (off >= 0n && off + BigInt(size) <= BigInt(r.bytes.length)) return r.bytes.slice(Number(off), Number(off) + size);
    }
    return null;
  }
}

export function utf16le(text: string, terminate = false): Uint8Array {
  const out = new Uint8Array((text.length + (terminate ? 1 : 0)) * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) & 0xff;
    out[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  return out;
}

/** An argument as the caller pushes it: 32-bit ints, 64-bit ints, and pointers. */
export type Arg = { i32: number } | { i64: bigint } | { ptr: bigint };
export const i32 = (v: number): Arg => ({ i32: v });
export const i64 = (v: bigint): Arg => ({ i64: v });
export const ptr = (v: bigint): Arg => ({ ptr: v });

/**
 * A va_list over the stack image a C caller builds: on x86 4-byte slots with 64-bit values in
 * two slots; on x64 8-byte slots (an int's upper half is garbage, here 0xDEADBEEF, as on real
 * stacks, so a formatter that reads 64 bits for %d gets caught).
 */
export function stackArgs(arch: Arch, args: Arg[]): ArgSource & { consumed(): number } {
  const bytes: number[] = [];
  const put = (v: bigint, n: number) => {
    for (let i = 0; i < n; i++) bytes.push(Number((v >> BigInt(8 * i)) & 0xffn));
  };
  for (const a of args) {
    if ('i32' in a) {
      put(BigInt(a.i32 >>> 0), 4);
      if (arch === 'x64') put(0xdeadbeefn, 4);
    } else if ('i64' in a) put(BigInt.asUintN(64, a.i64), 8);
    else put(a.ptr, arch === 'x64' ? 8 : 4);
  }
  let pos = 0;
  const take = (n: number): bigint => {
    if (pos + n > bytes.length) throw new Error('formatter read past the last argument');
    let v = 0n;
    for (let i = 0; i < n; i++) v |= BigInt(bytes[pos + i]) << BigInt(8 * i);
    pos += n;
    return v;
  };
  const slot = arch === 'x64' ? 8 : 4;
  return {
    int32: () => Number(take(slot) & 0xffffffffn),
    int64: () => take(8),
    ptr: () => take(slot),
    consumed: () => pos,
  };
}

export const bytes = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
export const units = (s: string): Uint16Array => Uint16Array.from([...s].map((c) => c.charCodeAt(0)));
export const text = (b: Uint8Array | Uint16Array): string => String.fromCharCode(...b);
