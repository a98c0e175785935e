// Rtl memory routines (compare, fill, zero, move, copy) and byte swaps, as each architecture's ntoskrnl exports them.

import { defineExport } from '../export.js';

const nt = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

function swap32(v: number): number {
  return ((v & 0xff) << 24 | ((v >> 8) & 0xff) << 16 | ((v >> 16) & 0xff) << 8 | ((v >>> 24) & 0xff)) >>> 0;
}

/** Copies: the source is read whole before the destination is written, so overlapping ranges behave (memmove). */
const copy = (name: string, proto: string) =>
  defineExport({
    ...nt,
    name,
    proto,
    params: { Destination: 'ptr', Source: 'ptr', Length: 'usize' },
    ret: 'void',
    impl: (k, a) => {
      if (a.Length > 0n) k.m.write(a.Destination, k.m.read(a.Source, Number(a.Length)));
    },
  });

export const exports = [
  defineExport({
    ...nt,
    name: 'RtlCompareMemory',
    proto: 'SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)',
    params: { Source1: 'ptr', Source2: 'ptr', Length: 'usize' },
    ret: 'usize',
    impl: (k, a) => {
      // The number of bytes that match before the first difference.
      const n = Number(a.Length);
      if (n === 0) return 0n;
      const x = k.m.read(a.Source1, n);
      const y = k.m.read(a.Source2, n);
      let i = 0;
      while (i < n && x[i] === y[i]) i++;
      return BigInt(i);
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCompareMemoryUlong',
    proto: 'SIZE_T RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern)',
    params: { Source: 'ptr', Length: 'usize', Pattern: 'u32' },
    ret: 'usize',
    impl: (k, a) => {
      // As documented: 0 for a Source that is not ULONG-aligned or a Length that is not a multiple of 4; else the
      // bytes of the leading ULONGs that equal Pattern.
      if (a.Source % 4n !== 0n || a.Length % 4n !== 0n) return 0n;
      const n = Number(a.Length / 4n);
      let i = 0;
      while (i < n && k.m.u32(a.Source + BigInt(i * 4)) === a.Pattern >>> 0) i++;
      return BigInt(i * 4);
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlFillMemory',
    proto: 'VOID RtlFillMemory(PVOID Destination, SIZE_T Length, UCHAR Fill)',
    params: { Destination: 'ptr', Length: 'usize', Fill: 'u8' },
    ret: 'void',
    impl: (k, a) => k.m.fill(a.Destination, Number(a.Length), a.Fill),
  }),
  defineExport({
    ...nt,
    name: 'RtlZeroMemory',
    proto: 'VOID RtlZeroMemory(PVOID Destination, SIZE_T Length)',
    params: { Destination: 'ptr', Length: 'usize' },
    ret: 'void',
    impl: (k, a) => k.m.fill(a.Destination, Number(a.Length), 0),
  }),
  copy('RtlMoveMemory', 'VOID RtlMoveMemory(PVOID Destination, const VOID *Source, SIZE_T Length)'),
  // x64 only: on x86 these names are macros over memcpy.
  { ...copy('RtlCopyMemory', 'VOID RtlCopyMemory(PVOID Destination, const VOID *Source, SIZE_T Length)'), arch: 'x64' as const },
  // Non-temporal stores only bypass the cache: the bytes written are the same.
  { ...copy('RtlCopyMemoryNonTemporal', 'VOID RtlCopyMemoryNonTemporal(PVOID Destination, const VOID *Source, SIZE_T Length)'), arch: 'x64' as const },
  defineExport({
    ...nt,
    name: 'RtlFillMemoryUlong',
    arch: 'x86',
    proto: 'VOID RtlFillMemoryUlong(PVOID Destination, SIZE_T Length, ULONG Pattern)',
    params: { Destination: 'ptr', Length: 'usize', Pattern: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      const n = Number(a.Length / 4n);
      if (n === 0) return;
      const b = new Uint8Array(n * 4);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < n; i++) dv.setUint32(i * 4, a.Pattern, true);
      k.m.write(a.Destination, b);
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlFillMemoryUlonglong',
    arch: 'x86',
    proto: 'VOID RtlFillMemoryUlonglong(PVOID Destination, SIZE_T Length, ULONGLONG Pattern)',
    params: { Destination: 'ptr', Length: 'usize', Pattern: 'u64' },
    ret: 'void',
    impl: (k, a) => {
      const n = Number(a.Length / 8n);
      if (n === 0) return;
      const b = new Uint8Array(n * 8);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < n; i++) dv.setBigUint64(i * 8, a.Pattern, true);
      k.m.write(a.Destination, b);
    },
  }),
  // The byte swaps are exported by x86 only (x64 drivers get compiler intrinsics), and they are fastcall.
  defineExport({
    module: 'ntoskrnl.exe',
    cc: 'fastcall',
    arch: 'x86',
    name: 'RtlUshortByteSwap',
    proto: 'USHORT FASTCALL RtlUshortByteSwap(USHORT Source)',
    params: { Source: 'u16' },
    ret: 'u16',
    impl: (_k, a) => swap16(a.Source),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    cc: 'fastcall',
    arch: 'x86',
    name: 'RtlUlongByteSwap',
    proto: 'ULONG FASTCALL RtlUlongByteSwap(ULONG Source)',
    params: { Source: 'u32' },
    ret: 'u32',
    impl: (_k, a) => swap32(a.Source),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    cc: 'fastcall',
    arch: 'x86',
    name: 'RtlUlonglongByteSwap',
    // A 64-bit argument does not go in ecx/edx: it is on the stack, and the result comes back in edx:eax.
    proto: 'ULONGLONG FASTCALL RtlUlonglongByteSwap(ULONGLONG Source)',
    params: { Source: 'u64' },
    ret: 'u64',
    impl: (_k, a) => (BigInt(swap32(Number(a.Source & 0xffffffffn))) << 32n) | BigInt(swap32(Number(a.Source >> 32n))),
  }),
];
