// mapImage: lays a parsed PE out in memory at a chosen base (headers, sections, relocations, page protections).
import { PeFormatError, hex } from './errors.js';
import { applyRelocations } from './relocate.js';
import { alignUp, imageSegments, mapsFileAsIs, sectionMemorySize } from './layout.js';
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, type MappedImage, type MemoryRegion, type PeImage, type PeSection } from './types.js';

/**
 * True when the image cannot be relocated, so it must be mapped at img.imageBase: Windows refuses to move an image
 * only when IMAGE_FILE_RELOCS_STRIPPED is set. An image with no relocation directory but not marked stripped has
 * nothing to fix (x64 code is RIP-relative) and loads anywhere.
 */
export function needsPreferredBase(img: PeImage): boolean {
  return (img.characteristics & IMAGE_FILE_RELOCS_STRIPPED) !== 0;
}

const IMAGE_FILE_RELOCS_STRIPPED = 0x0001;

/** A section's page protection. x86 pages that can be written or executed can always be read, so READ is implied. */
export function sectionProt(s: PeSection): number {
  let prot = 0;
  if (s.readable) prot |= PROT_READ;
  if (s.writable) prot |= PROT_WRITE | PROT_READ;
  if (s.executable) prot |= PROT_EXEC | PROT_READ;
  return prot;
}

/**
 * Page protections for the image. Each page gets the union of what touches it: the headers (read-only) and the
 * section on it (sections own whole pages and do not overlap: checked when parsing). Pages nothing covers are
 * read-only, like the headers. Below a page of SectionAlignment Windows maps the file as one read-write-execute
 * (copy-on-write) view, whatever the sections say.
 */
export function imageRegions(img: PeImage, size: number): MemoryRegion[] {
  if (mapsFileAsIs(img)) return [{ rva: 0, size, prot: PROT_READ | PROT_WRITE | PROT_EXEC }];
  const pages = size / PAGE_SIZE;
  const prot = new Uint8Array(pages);
  const touched = new Uint8Array(pages);
  const mark = (start: number, length: number, p: number): void => {
    if (length <= 0) return;
    const first = Math.floor(start / PAGE_SIZE);
    const last = Math.min(pages - 1, Math.floor((start + length - 1) / PAGE_SIZE));
    for (let i = first; i <= last; i++) {
      prot[i]! |= p;
      touched[i] = 1;
    }
  };
  mark(0, img.sizeOfHeaders, PROT_READ);
  for (const s of img.sections) mark(s.rva, sectionMemorySize(s, img.sectionAlignment, img.sizeOfImage), sectionProt(s));
  const regions: MemoryRegion[] = [];
  for (let i = 0; i < pages; i++) {
    const p = touched[i] ? prot[i]! : PROT_READ;
    const prev = regions[regions.length - 1];
    if (prev && prev.prot === p) prev.size += PAGE_SIZE;
    else regions.push({ rva: i * PAGE_SIZE, size: PAGE_SIZE, prot: p });
  }
  return regions;
}

/**
 * Maps `bytes` (the file `img` was parsed from) at `base`: headers and sections at their RVAs with zero-filled
 * tails, relocations applied for base - img.imageBase, and per-page protections.
 */
export function mapImage(img: PeImage, bytes: Uint8Array, base: bigint): MappedImage {
  const size = alignUp(img.sizeOfImage, PAGE_SIZE);
  if (base < 0n || base % BigInt(PAGE_SIZE) !== 0n) {
    throw new RangeError(`cannot map at ${hex(base)}: the base must be a non-negative multiple of ${hex(PAGE_SIZE)}`);
  }
  const limit = img.arch === 'x86' ? 1n << 32n : 1n << 64n;
  if (base + BigInt(size) > limit) {
    throw new RangeError(`cannot map a ${img.arch} image of ${hex(size)} bytes at ${hex(base)}: it would end past ${hex(limit)}`);
  }
  if (base !== img.imageBase && needsPreferredBase(img)) {
    throw new PeFormatError(`image has its relocations stripped and must load at its preferred base ${hex(img.imageBase)}`);
  }

  const memory = new Uint8Array(size);
  // Segments are disjoint (checked when parsing), so each is copied once into the zeroed memory.
  for (const seg of imageSegments(img, bytes.length)) {
    if (seg.fileSize === 0) continue;
    if (seg.fileOffset + seg.fileSize > bytes.length) {
      throw new PeFormatError(
        `file is shorter (${hex(bytes.length)} bytes) than the parsed image needs (${hex(seg.fileOffset + seg.fileSize)}): not the bytes it was parsed from?`,
      );
    }
    memory.set(bytes.subarray(seg.fileOffset, seg.fileOffset + seg.fileSize), seg.rva);
  }
  applyRelocations(memory, img.relocations, base - img.imageBase);
  return { base, size, memory, regions: imageRegions(img, size) };
}
