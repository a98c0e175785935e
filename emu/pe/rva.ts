// RVA addressing of an unmapped PE: where each RVA's bytes come from in the file, and bounds-checked reads by RVA.
import { PeFormatError, hex } from './errors.js';
import type { PeImage, PeSection } from './types.js';

/** One piece of the image: `size` bytes at `rva`, the first `fileSize` of them taken from the file at `fileOffset`, the rest zero. */
export interface Segment {
  rva: number;
  size: number;
  fileOffset: number;
  fileSize: number;
}

export interface LayoutInput {
  sizeOfImage: number;
  sizeOfHeaders: number;
  sectionAlignment: number;
  sections: readonly PeSection[];
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Bytes a section occupies in memory: VirtualSize (or SizeOfRawData when it is 0) rounded to SectionAlignment, clipped to the image. */
export function sectionMemorySize(s: PeSection, sectionAlignment: number, sizeOfImage: number): number {
  const declared = s.virtualSize !== 0 ? s.virtualSize : s.rawSize;
  return Math.max(0, Math.min(alignUp(declared, sectionAlignment), sizeOfImage - s.rva));
}

/**
 * The image as the loader builds it: headers first, then each section in table order (a later section
 * overwrites an earlier one where they overlap). Mapping and parsing both use this, so what the parser
 * reads by RVA is exactly what ends up in memory.
 */
export function imageSegments(img: LayoutInput): Segment[] {
  const segs: Segment[] = [{ rva: 0, size: img.sizeOfHeaders, fileOffset: 0, fileSize: img.sizeOfHeaders }];
  for (const s of img.sections) {
    const size = sectionMemorySize(s, img.sectionAlignment, img.sizeOfImage);
    // PointerToRawData 0 means "no file data" (uninitialised data), whatever SizeOfRawData says.
    const fileSize = s.rawOffset === 0 ? 0 : Math.min(s.rawSize, size);
    segs.push({ rva: s.rva, size, fileOffset: s.rawOffset, fileSize });
  }
  return segs;
}

function findSegment(segs: readonly Segment[], rva: number): Segment | undefined {
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i]!;
    if (rva >= s.rva && rva < s.rva + s.size) return s;
  }
  return undefined;
}

/** The file offset holding the byte at `rva`, or null when that byte is not backed by the file (zero-filled or outside the image). */
export function rvaToOffset(img: PeImage, rva: number): number | null {
  if (!Number.isInteger(rva) || rva < 0 || rva >= img.sizeOfImage) return null;
  const seg = findSegment(imageSegments(img), rva);
  if (!seg) return null;
  const off = rva - seg.rva;
  return off < seg.fileSize ? seg.fileOffset + off : null;
}

/** A NUL-terminated single-byte string at `offset` (stops at NUL, `maxLength` or the end of `bytes`; never throws). */
export function readCString(bytes: Uint8Array, offset: number, maxLength = 4096): string {
  if (!Number.isInteger(offset) || offset < 0) return '';
  const end = Math.min(bytes.length, offset + maxLength);
  let s = '';
  for (let i = offset; i < end; i++) {
    const c = bytes[i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Bounds-checked little-endian reads by RVA; every failure is a PeFormatError naming `what` was being read. */
export class RvaReader {
  private readonly view: DataView;
  private readonly segments: Segment[];

  constructor(
    private readonly file: Uint8Array,
    layout: LayoutInput,
  ) {
    this.view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    this.segments = imageSegments(layout);
    this.sizeOfImage = layout.sizeOfImage;
  }

  readonly sizeOfImage: number;

  /** Throws unless [rva, rva+length) lies inside the image. */
  check(rva: number, length: number, what: string): void {
    if (rva < 0 || rva + length > this.sizeOfImage) {
      throw new PeFormatError(`${what} at RVA ${hex(rva)} is outside the image (SizeOfImage ${hex(this.sizeOfImage)})`);
    }
  }

  /** File offset for reading `length` bytes straight from the file, or -1 when the range is not one contiguous file-backed run. */
  private direct(rva: number, length: number): number {
    const seg = findSegment(this.segments, rva);
    if (!seg) return -1;
    const off = rva - seg.rva;
    if (off + length > seg.fileSize) return -1;
    // A later, overlapping segment could override part of the range; that is rare enough to take the slow path.
    const last = findSegment(this.segments, rva + length - 1);
    return last === seg ? seg.fileOffset + off : -1;
  }

  u8(rva: number, what: string): number {
    this.check(rva, 1, what);
    const seg = findSegment(this.segments, rva);
    if (!seg) return 0;
    const off = rva - seg.rva;
    return off < seg.fileSize ? this.file[seg.fileOffset + off]! : 0;
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

  /** A NUL-terminated single-byte string; it must end inside the image and within `maxLength` bytes. */
  cstring(rva: number, what: string, maxLength = 4096): string {
    this.check(rva, 1, what);
    let s = '';
    for (let p = rva; ; p++) {
      if (p >= this.sizeOfImage) {
        throw new PeFormatError(`${what} at RVA ${hex(rva)} runs past the end of the image without a terminating NUL`);
      }
      if (p - rva >= maxLength) {
        throw new PeFormatError(`${what} at RVA ${hex(rva)} is longer than ${maxLength} bytes`);
      }
      const c = this.u8(p, what);
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  }
}
