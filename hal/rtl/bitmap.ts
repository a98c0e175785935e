// Bitmaps (RTL_BITMAP): a size in bits over a caller's buffer of ULONGs. Setting, clearing, testing and counting
// bits, and finding clear or set runs (from a hint, wrapping around to the start as Windows does).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

const NOT_FOUND = 0xffffffff;

/** A bitmap's header fields and, read on demand, its bits. */
class Bitmap {
  readonly size: number;
  readonly buffer: bigint;
  private bytes?: Uint8Array;

  constructor(
    private readonly k: Kernel,
    header: bigint,
  ) {
    const o = k.L.RTL_BITMAP.off;
    this.size = k.m.u32At(header, o.SizeOfBitMap);
    this.buffer = k.m.ptrAt(header, o.Buffer);
  }

  /** The whole ULONGs the bits live in. */
  private get data(): Uint8Array {
    return (this.bytes ??= this.size === 0 ? new Uint8Array(0) : this.k.m.read(this.buffer, ulongs(this.size) * 4));
  }

  test(i: number): boolean {
    return ((this.data[i >>> 3] >> (i & 7)) & 1) === 1;
  }

  /** Whether bits [from, from + n) are all `set`. */
  all(from: number, n: number, set: boolean): boolean {
    for (let i = from; i < from + n; i++) if (this.test(i) !== set) return false;
    return true;
  }

  count(set: boolean): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.test(i)) n++;
    return set ? n : this.size - n;
  }

  /** The length of the run of `set` bits starting at i (up to the end of the bitmap). */
  runAt(i: number, set: boolean): number {
    let j = i;
    while (j < this.size && this.test(j) === set) j++;
    return j - i;
  }

  /**
   * The first index at or after the hint where n bits are all `set`; failing that, one before the hint (a run that
   * may reach past it): Windows' wrap-around search. A hint past the end starts at 0.
   */
  find(n: number, hint: number, set: boolean): number {
    if (n > this.size) return NOT_FOUND;
    if (hint >= this.size) hint = 0;
    const search = (from: number, to: number): number => {
      let i = from;
      while (i < to && i + n <= this.size) {
        const run = this.runAt(i, set);
        if (run >= n) return i;
        i += run + this.runAt(i + run, !set); // past this run and the other kind after it
      }
      return NOT_FOUND;
    };
    const after = search(hint, this.size);
    return after !== NOT_FOUND || hint === 0 ? after : search(0, hint);
  }

  /** Every maximal run of clear bits, in order. */
  clearRuns(): { start: number; length: number }[] {
    const runs: { start: number; length: number }[] = [];
    let i = 0;
    while (i < this.size) {
      i += this.runAt(i, true);
      const length = this.runAt(i, false);
      if (length === 0) break;
      runs.push({ start: i, length });
      i += length;
    }
    return runs;
  }
}

function ulongs(bits: number): number {
  return Math.ceil(bits / 32);
}

/** Sets or clears bits [from, from + n) in guest memory (the whole ULONGs they touch are rewritten). */
function setRange(k: Kernel, header: bigint, from: number, n: number, set: boolean): void {
  if (n === 0) return;
  const buffer = k.m.ptrAt(header, k.L.RTL_BITMAP.off.Buffer);
  const first = Math.floor(from / 32);
  const last = Math.floor((from + n - 1) / 32);
  const at = buffer + BigInt(first * 4);
  const b = k.m.read(at, (last - first + 1) * 4);
  for (let i = from; i < from + n; i++) {
    const r = i - first * 32;
    if (set) b[r >>> 3] |= 1 << (r & 7);
    else b[r >>> 3] &= ~(1 << (r & 7));
  }
  k.m.write(at, b);
}

/** RtlSetAllBits / RtlClearAllBits: every ULONG of the buffer, the bits past SizeOfBitMap in the last one too. */
function fillAll(k: Kernel, header: bigint, value: number): void {
  const b = new Bitmap(k, header);
  if (b.size > 0) k.m.fill(b.buffer, ulongs(b.size) * 4, value);
}

/** Finds a run of n bits like `set` from the hint and flips it (RtlFindClearBitsAndSet, RtlFindSetBitsAndClear). */
function findAndFlip(k: Kernel, header: bigint, n: number, hint: number, set: boolean): number {
  const i = new Bitmap(k, header).find(n, hint, set);
  if (i !== NOT_FOUND) setRange(k, header, i, n, !set);
  return i;
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlInitializeBitMap',
    proto: 'VOID RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap)',
    params: { BitMapHeader: 'ptr', BitMapBuffer: 'ptr', SizeOfBitMap: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.RTL_BITMAP.off;
      k.m.setU32At(a.BitMapHeader, o.SizeOfBitMap, a.SizeOfBitMap);
      k.m.setPtrAt(a.BitMapHeader, o.Buffer, a.BitMapBuffer);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlClearAllBits', proto: 'VOID RtlClearAllBits(PRTL_BITMAP BitMapHeader)',
    params: { BitMapHeader: 'ptr' }, ret: 'void',
    impl: (k, a) => fillAll(k, a.BitMapHeader, 0),
  }),
  defineExport({
    ...rtl, name: 'RtlSetAllBits', proto: 'VOID RtlSetAllBits(PRTL_BITMAP BitMapHeader)',
    params: { BitMapHeader: 'ptr' }, ret: 'void',
    impl: (k, a) => fillAll(k, a.BitMapHeader, 0xff),
  }),
  defineExport({
    ...rtl, name: 'RtlClearBits', proto: 'VOID RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear)',
    params: { BitMapHeader: 'ptr', StartingIndex: 'u32', NumberToClear: 'u32' }, ret: 'void',
    impl: (k, a) => setRange(k, a.BitMapHeader, a.StartingIndex, a.NumberToClear, false),
  }),
  defineExport({
    ...rtl, name: 'RtlSetBits', proto: 'VOID RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet)',
    params: { BitMapHeader: 'ptr', StartingIndex: 'u32', NumberToSet: 'u32' }, ret: 'void',
    impl: (k, a) => setRange(k, a.BitMapHeader, a.StartingIndex, a.NumberToSet, true),
  }),
  defineExport({
    ...rtl, name: 'RtlClearBit', proto: 'VOID RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)',
    params: { BitMapHeader: 'ptr', BitNumber: 'u32' }, ret: 'void',
    impl: (k, a) => setRange(k, a.BitMapHeader, a.BitNumber, 1, false),
  }),
  defineExport({
    ...rtl, name: 'RtlSetBit', proto: 'VOID RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)',
    params: { BitMapHeader: 'ptr', BitNumber: 'u32' }, ret: 'void',
    impl: (k, a) => setRange(k, a.BitMapHeader, a.BitNumber, 1, true),
  }),
  defineExport({
    ...rtl, name: 'RtlTestBit', proto: 'BOOLEAN RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)',
    params: { BitMapHeader: 'ptr', BitNumber: 'u32' }, ret: 'bool',
    impl: (k, a) => {
      const buffer = k.m.ptrAt(a.BitMapHeader, k.L.RTL_BITMAP.off.Buffer);
      return (k.m.u8(buffer + BigInt(a.BitNumber >>> 3)) >> (a.BitNumber & 7)) & 1;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlAreBitsClear', proto: 'BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)',
    params: { BitMapHeader: 'ptr', StartingIndex: 'u32', Length: 'u32' }, ret: 'bool',
    impl: (k, a) => areBits(k, a.BitMapHeader, a.StartingIndex, a.Length, false),
  }),
  defineExport({
    ...rtl, name: 'RtlAreBitsSet', proto: 'BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)',
    params: { BitMapHeader: 'ptr', StartingIndex: 'u32', Length: 'u32' }, ret: 'bool',
    impl: (k, a) => areBits(k, a.BitMapHeader, a.StartingIndex, a.Length, true),
  }),
  defineExport({
    ...rtl, name: 'RtlFindClearBits', proto: 'ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    params: { BitMapHeader: 'ptr', NumberToFind: 'u32', HintIndex: 'u32' }, ret: 'u32',
    impl: (k, a) => findBits(k, a.BitMapHeader, a.NumberToFind, a.HintIndex, false),
  }),
  defineExport({
    ...rtl, name: 'RtlFindSetBits', proto: 'ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    params: { BitMapHeader: 'ptr', NumberToFind: 'u32', HintIndex: 'u32' }, ret: 'u32',
    impl: (k, a) => findBits(k, a.BitMapHeader, a.NumberToFind, a.HintIndex, true),
  }),
  defineExport({
    ...rtl, name: 'RtlFindClearBitsAndSet', proto: 'ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    params: { BitMapHeader: 'ptr', NumberToFind: 'u32', HintIndex: 'u32' }, ret: 'u32',
    impl: (k, a) => (a.NumberToFind === 0 ? findBits(k, a.BitMapHeader, 0, a.HintIndex, false) : findAndFlip(k, a.BitMapHeader, a.NumberToFind, a.HintIndex, false)),
  }),
  defineExport({
    ...rtl, name: 'RtlFindSetBitsAndClear', proto: 'ULONG RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)',
    params: { BitMapHeader: 'ptr', NumberToFind: 'u32', HintIndex: 'u32' }, ret: 'u32',
    impl: (k, a) => (a.NumberToFind === 0 ? findBits(k, a.BitMapHeader, 0, a.HintIndex, true) : findAndFlip(k, a.BitMapHeader, a.NumberToFind, a.HintIndex, true)),
  }),
  defineExport({
    ...rtl, name: 'RtlNumberOfClearBits', proto: 'ULONG RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader)',
    params: { BitMapHeader: 'ptr' }, ret: 'u32',
    impl: (k, a) => new Bitmap(k, a.BitMapHeader).count(false),
  }),
  defineExport({
    ...rtl, name: 'RtlNumberOfSetBits', proto: 'ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader)',
    params: { BitMapHeader: 'ptr' }, ret: 'u32',
    impl: (k, a) => new Bitmap(k, a.BitMapHeader).count(true),
  }),
  defineExport({
    ...rtl, name: 'RtlFindFirstRunClear', proto: 'ULONG RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)',
    params: { BitMapHeader: 'ptr', StartingIndex: 'ptr' }, ret: 'u32',
    impl: (k, a) => nextForwardRunClear(k, a.BitMapHeader, 0, a.StartingIndex),
  }),
  defineExport({
    ...rtl, name: 'RtlFindNextForwardRunClear',
    proto: 'ULONG RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG StartingRunIndex)',
    params: { BitMapHeader: 'ptr', FromIndex: 'u32', StartingRunIndex: 'ptr' }, ret: 'u32',
    impl: (k, a) => nextForwardRunClear(k, a.BitMapHeader, a.FromIndex, a.StartingRunIndex),
  }),
  defineExport({
    ...rtl, name: 'RtlFindLastBackwardRunClear',
    proto: 'ULONG RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG StartingRunIndex)',
    params: { BitMapHeader: 'ptr', FromIndex: 'u32', StartingRunIndex: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      const b = new Bitmap(k, a.BitMapHeader);
      if (a.FromIndex >= b.size) {
        k.m.setU32(a.StartingRunIndex, a.FromIndex);
        return 0;
      }
      // Back over set bits to the run's last clear bit, then back over the clear run to its first bit.
      let end = a.FromIndex;
      while (end >= 0 && b.test(end)) end--;
      let start = end;
      while (start >= 0 && !b.test(start)) start--;
      k.m.setU32(a.StartingRunIndex, start + 1);
      return end - start;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlFindLongestRunClear', proto: 'ULONG RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)',
    params: { BitMapHeader: 'ptr', StartingIndex: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      // The first of the longest runs; with no clear bit at all, 0 at index 0.
      let best = { start: 0, length: 0 };
      for (const r of new Bitmap(k, a.BitMapHeader).clearRuns()) if (r.length > best.length) best = r;
      k.m.setU32(a.StartingIndex, best.start);
      return best.length;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlFindClearRuns',
    proto: 'ULONG RtlFindClearRuns(PRTL_BITMAP BitMapHeader, PRTL_BITMAP_RUN RunArray, ULONG SizeOfRunArray, BOOLEAN LocateLongestRuns)',
    params: { BitMapHeader: 'ptr', RunArray: 'ptr', SizeOfRunArray: 'u32', LocateLongestRuns: 'bool' }, ret: 'u32',
    impl: (k, a) => {
      let runs = new Bitmap(k, a.BitMapHeader).clearRuns();
      // The first runs in bitmap order, or the longest ones over the whole bitmap, longest first (ties in order).
      if (a.LocateLongestRuns) runs = runs.map((r, i) => ({ ...r, i })).sort((x, y) => y.length - x.length || x.i - y.i);
      runs = runs.slice(0, a.SizeOfRunArray);
      const R = k.L.RTL_BITMAP_RUN;
      // Every entry's NumberOfBits starts at 0: the entries past the count returned say so.
      for (let i = 0; i < a.SizeOfRunArray; i++) k.m.setU32At(a.RunArray + BigInt(i * R.size), R.off.NumberOfBits, 0);
      runs.forEach((r, i) => {
        const at = a.RunArray + BigInt(i * R.size);
        k.m.setU32At(at, R.off.StartingIndex, r.start);
        k.m.setU32At(at, R.off.NumberOfBits, r.length);
      });
      return runs.length;
    },
  }),
];

function areBits(k: Kernel, header: bigint, from: number, n: number, set: boolean): number {
  const b = new Bitmap(k, header);
  // A range that is empty or does not fit in the bitmap is not "all clear" (or set).
  if (n === 0 || from >= b.size || from + n > b.size) return 0;
  return b.all(from, n, set) ? 1 : 0;
}

function findBits(k: Kernel, header: bigint, n: number, hint: number, set: boolean): number {
  const b = new Bitmap(k, header);
  if (n > b.size) return NOT_FOUND;
  // Nothing to find: the hint, rounded down to its byte (Windows honours hints to the byte).
  if (n === 0) return (hint >= b.size ? 0 : hint) & ~7;
  return b.find(n, hint, set);
}

/** The clear run at or after FromIndex: its start in *StartingRunIndex and its length (0, start at the end: none). */
function nextForwardRunClear(k: Kernel, header: bigint, from: number, out: bigint): number {
  const b = new Bitmap(k, header);
  if (from >= b.size) {
    k.m.setU32(out, from);
    return 0;
  }
  const start = from + b.runAt(from, true);
  k.m.setU32(out, start);
  return b.runAt(start, false);
}
