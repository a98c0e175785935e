// Where each RVA of an image comes from in the file, as the Windows loader lays the image out: found by binary
// search over segments that the section rules (sections.ts) keep sorted and disjoint.
import { PAGE_SIZE, type PeSection } from './types.js';

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

/** Below a page of SectionAlignment, Windows maps the file as it is: RVA = file offset. */
export function mapsFileAsIs(img: { sectionAlignment: number }): boolean {
  return img.sectionAlignment < PAGE_SIZE;
}

/** Bytes a section occupies in memory: VirtualSize (or SizeOfRawData when it is 0) rounded to SectionAlignment, clipped to the mapped image. */
export function sectionMemorySize(s: PeSection, sectionAlignment: number, sizeOfImage: number): number {
  const declared = s.virtualSize !== 0 ? s.virtualSize : s.rawSize;
  return Math.max(0, Math.min(alignUp(declared, sectionAlignment), alignUp(sizeOfImage, PAGE_SIZE) - s.rva));
}

/**
 * The image as the loader builds it, sorted by RVA and disjoint: the file as it is below a page of alignment;
 * otherwise the headers, then each section (PointerToRawData 0 means no file data, whatever SizeOfRawData says).
 */
export function imageSegments(img: LayoutInput, fileLength: number): Segment[] {
  if (mapsFileAsIs(img)) {
    return [{ rva: 0, size: img.sizeOfImage, fileOffset: 0, fileSize: Math.min(fileLength, img.sizeOfImage) }];
  }
  const segs: Segment[] = [{ rva: 0, size: img.sizeOfHeaders, fileOffset: 0, fileSize: img.sizeOfHeaders }];
  for (const s of img.sections) {
    const size = sectionMemorySize(s, img.sectionAlignment, img.sizeOfImage);
    const fileSize = s.rawOffset === 0 ? 0 : Math.min(s.rawSize, size);
    segs.push({ rva: s.rva, size, fileOffset: s.rawOffset, fileSize });
  }
  return segs;
}

/** Index of the segment holding `rva` in sorted, disjoint `segs`, or -1 when no segment does. */
export function findSegment(segs: readonly Segment[], rva: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.rva <= rva) lo = mid + 1;
    else hi = mid - 1;
  }
  // hi is now the last segment starting at or below rva.
  if (hi < 0) return -1;
  const s = segs[hi]!;
  return rva < s.rva + s.size ? hi : -1;
}
