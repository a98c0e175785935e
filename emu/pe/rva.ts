// Reads by RVA from an unmapped PE: bounds-checked little-endian values and NUL-terminated names, each in
// O(log sections) (O(1) for runs of reads in one segment), without copying the file.
import { Buffer } from 'node:buffer';
import { PeFormatError, hex } from './errors.js';
import { findSegment, imageSegments, type LayoutInput, type Segment } from './layout.js';
import type { PeImage } from './types.js';

const segmentsOf = new WeakMap<PeImage, Segment[]>();

/** The file offset holding the byte at `rva`, or null when that byte is not backed by the file (zero-filled or outside the image). */
export function rvaToOffset(img: PeImage, rva: number): number | null {
  if (!Number.isInteger(rva) || rva < 0 || rva >= img.sizeOfImage) return null;
  let segs = segmentsOf.get(img);
  if (!segs) segmentsOf.set(img, (segs = imageSegments(img, img.fileSize)));
  const i = findSegment(segs, rva);
  if (i < 0) return null;
  const off = rva - segs[i]!.rva;
  return off < segs[i]!.fileSize ? segs[i]!.fileOffset + off : null;
}

/** A NUL-terminated single-byte string at `offset` (stops at NUL, `maxLength` or the end of `bytes`; never throws). */
export function readCString(bytes: Uint8Array, offset: number, maxLength = 4096): string {
  if (!Number.isInteger(offset) || offset < 0 || offset >= bytes.length) return '';
  const run = bytes.subarray(offset, Math.min(bytes.length, offset + maxLength));
  const nul = run.indexOf(0);
  return latin1(nul >= 0 ? run.subarray(0, nul) : run);
}

/** Bytes as ISO-8859-1 text: one character per byte, as names in PE files are compared. */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** Names are short: a plain loop finds most NULs before a subarray is worth making. */
const SHORT_SCAN = 256;

/** Bounds-checked little-endian reads by RVA; every failure is a PeFormatError naming `what` was being read. */
export class RvaReader {
  private readonly view: DataView;
  /** The file as a Buffer (no copy), to decode names without a Buffer per name. */
  private readonly buf: Buffer;
  private readonly segments: Segment[];
  /** The segment of the last lookup: tables are read front to back, so it usually holds the next read too. */
  private last = 0;
  readonly sizeOfImage: number;

  constructor(
    readonly file: Uint8Array,
    layout: LayoutInput,
  ) {
    this.view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    this.buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
    this.segments = imageSegments(layout, file.length);
    this.sizeOfImage = layout.sizeOfImage;
  }

  /** Throws unless [rva, rva+length) lies inside the image. */
  check(rva: number, length: number, what: string): void {
    if (rva < 0 || rva + length > this.sizeOfImage) {
      throw new PeFormatError(`${what} at RVA ${hex(rva)} is outside the image (SizeOfImage ${hex(this.sizeOfImage)})`);
    }
  }

  /** Index of the segment holding `rva`, or -1 (such bytes read as zero). */
  private segment(rva: number): number {
    const s = this.segments[this.last];
    if (s && rva >= s.rva && rva < s.rva + s.size) return this.last;
    const i = findSegment(this.segments, rva);
    if (i >= 0) this.last = i;
    return i;
  }

  /**
   * File offset of `rva` when it and the `length - 1` bytes after it come straight from the file, else -1
   * (zero-filled, outside every segment, or straddling a segment's end).
   */
  private direct(rva: number, length: number): number {
    const i = this.segment(rva);
    if (i < 0) return -1;
    const seg = this.segments[i]!;
    const off = rva - seg.rva;
    return off + length <= seg.fileSize ? seg.fileOffset + off : -1;
  }

  /**
   * The run of bytes from `rva` (inside the image) that come from one place: n > 0 bytes straight from the file, at
   * file offset `runStart`, or -n bytes of zero fill. Lets a scan step over a whole run at once.
   */
  runAt(rva: number): number {
    const i = this.segment(rva);
    if (i >= 0) {
      const seg = this.segments[i]!;
      const off = rva - seg.rva;
      if (off < seg.fileSize) {
        this.runStart = seg.fileOffset + off;
        return seg.fileSize - off;
      }
      return -(seg.size - off);
    }
    // Between segments, or past the last one: zero up to the next segment (or the end of the image).
    const next = this.segments.find((s) => s.rva > rva)?.rva ?? this.sizeOfImage;
    return -(Math.max(next, rva + 1) - rva);
  }
  runStart = 0;

  u8(rva: number, what: string): number {
    this.check(rva, 1, what);
    const o = this.direct(rva, 1);
    return o >= 0 ? this.file[o]! : 0;
  }

  u16(rva: number, what: string): number {
    this.check(rva, 2, what);
    const o = this.direct(rva, 2);
    if (o >= 0) return this.view.getUint16(o, true);
    return this.u8(rva, what) | (this.u8(rva + 1, what) << 8);
  }

  u32(rva: number, what: string): number {
    this.check(rva, 4, what);
    const o = this.direct(rva, 4);
    if (o >= 0) return this.view.getUint32(o, true);
    return (this.u16(rva, what) | (this.u16(rva + 2, what) << 16)) >>> 0;
  }

  u64(rva: number, what: string): bigint {
    const lo = this.u32(rva, what);
    const hi = this.u32(rva + 4, what);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  bytes(rva: number, length: number, what: string): Uint8Array {
    this.check(rva, length, what);
    const o = this.direct(rva, length);
    if (o >= 0) return this.file.slice(o, o + length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u8(rva + i, what);
    return out;
  }

  /**
   * Length of the NUL-terminated string at `rva`, which must end inside the image and be shorter than
   * `maxLength`. Scans file-backed runs with indexOf: the cost is the string's length, not one lookup per byte.
   */
  cstringLength(rva: number, what: string, maxLength: number): number {
    this.check(rva, 1, what);
    for (let n = 0; ; ) {
      const p = rva + n;
      if (p >= this.sizeOfImage) {
        throw new PeFormatError(`${what} at RVA ${hex(rva)} runs past the end of the image without a terminating NUL`);
      }
      if (n >= maxLength) throw new PeFormatError(`${what} at RVA ${hex(rva)} is longer than ${maxLength} bytes`);
      const avail = this.runAt(p);
      if (avail <= 0) return n; // zero-filled: the string ends here
      const take = Math.min(avail, maxLength - n, this.sizeOfImage - p);
      const start = this.runStart;
      const quick = start + Math.min(take, SHORT_SCAN);
      let k = start;
      while (k < quick && this.file[k] !== 0) k++;
      if (k < quick) return n + (k - start);
      // indexOf on a bounded subarray: a search from `start` over the whole file could run far past `take`.
      const nul = take > SHORT_SCAN ? this.file.subarray(quick, start + take).indexOf(0) : -1;
      if (nul >= 0) return n + SHORT_SCAN + nul;
      n += take;
    }
  }

  /** The `length` bytes at `rva` as text (a length cstringLength returned). */
  text(rva: number, length: number): string {
    const o = this.direct(rva, length);
    return o >= 0 ? this.buf.toString('latin1', o, o + length) : latin1(this.bytes(rva, length, 'string'));
  }

  /** A NUL-terminated single-byte string; it must end inside the image and be shorter than `maxLength` bytes. */
  cstring(rva: number, what: string, maxLength = 4096): string {
    return this.text(rva, this.cstringLength(rva, what, maxLength));
  }
}
