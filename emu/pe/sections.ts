// The section table: decoding it, and the layout rules the Windows loader (MiCreateImageFileMap) enforces on it.
import { PeFormatError, hex, invalidImage, pastEof, shortName } from './errors.js';
import { alignUp } from './layout.js';
import { PAGE_SIZE, type PeSection } from './types.js';

const SCN_MEM_DISCARDABLE = 0x02000000;
const SCN_MEM_EXECUTE = 0x20000000;
const SCN_MEM_READ = 0x40000000;
const SCN_MEM_WRITE = 0x80000000;

export interface SectionLayout {
  sizeOfImage: number;
  sizeOfHeaders: number;
  sectionAlignment: number;
}

function decodeName(raw: Uint8Array): string {
  let s = '';
  for (const c of raw) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Section name for messages: unnamed sections exist (hand-made drivers), so say which one it is. */
function sectionLabel(s: PeSection, index: number): string {
  return s.name === '' ? `#${index} (unnamed)` : shortName(s.name);
}

/** Decodes `count` 40-byte IMAGE_SECTION_HEADERs at `offset` (the caller checked they are inside the file). */
export function readSectionTable(bytes: Uint8Array, offset: number, count: number): PeSection[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections: PeSection[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + 40 * i;
    const sc = dv.getUint32(o + 36, true);
    sections.push({
      name: decodeName(bytes.subarray(o, o + 8)),
      rva: dv.getUint32(o + 12, true),
      virtualSize: dv.getUint32(o + 8, true),
      rawOffset: dv.getUint32(o + 20, true),
      rawSize: dv.getUint32(o + 16, true),
      characteristics: sc,
      readable: (sc & SCN_MEM_READ) !== 0,
      writable: (sc & SCN_MEM_WRITE) !== 0,
      executable: (sc & SCN_MEM_EXECUTE) !== 0,
      discardable: (sc & SCN_MEM_DISCARDABLE) !== 0,
    });
  }
  return sections;
}

/**
 * Refuses a section table the Windows loader refuses. With SectionAlignment of a page or more, sections must
 * follow the headers and each other in table order, each starting exactly where the previous one ends rounded up
 * to SectionAlignment (no overlap, no gap, nothing out of order), none empty, and SizeOfImage must end within
 * SectionAlignment of the last one. Below a page, Windows maps the file as it is, so each section must sit at its
 * own file offset with no zero-filled tail. In both, raw data must lie inside the file (Windows checks the last
 * section; kdemu checks each, since a truncated one would map bytes that are not there).
 */
export function checkSectionLayout(sections: readonly PeSection[], h: SectionLayout, fileLength: number): void {
  const align = h.sectionAlignment;
  const asIs = align < PAGE_SIZE;
  const imageEnd = alignUp(h.sizeOfImage, PAGE_SIZE);
  let next = alignUp(h.sizeOfHeaders, align);
  if (!asIs && next > imageEnd) {
    throw invalidImage(
      `the headers (SizeOfHeaders ${hex(h.sizeOfHeaders)} rounded up to SectionAlignment ${hex(align)}) extend past SizeOfImage ${hex(h.sizeOfImage)}`,
    );
  }
  sections.forEach((s, i) => {
    const label = sectionLabel(s, i);
    checkRawData(s, label, fileLength);
    const extent = s.virtualSize !== 0 ? s.virtualSize : s.rawSize;
    if (extent === 0) throw invalidImage(`section ${label} is empty: its VirtualSize and SizeOfRawData are both 0`);
    if (asIs) {
      checkMappedAsIs(s, label, extent, h);
      return;
    }
    if (s.rva % align !== 0) {
      throw invalidImage(`section ${label} RVA ${hex(s.rva)} is not a multiple of SectionAlignment ${hex(align)}`);
    }
    if (s.rva !== next) throw misplaced(sections, i, label, next);
    const end = s.rva + alignUp(extent, align);
    if (end > imageEnd) {
      throw invalidImage(`section ${label} (RVA ${hex(s.rva)}, size ${hex(extent)}) extends past SizeOfImage ${hex(h.sizeOfImage)}`);
    }
    next = end;
  });
  if (!asIs && imageEnd - next >= align) {
    throw invalidImage(
      `SizeOfImage ${hex(h.sizeOfImage)} reaches ${hex(imageEnd - next)} bytes past the end of the last section (${hex(next)}); Windows allows less than SectionAlignment ${hex(align)}`,
    );
  }
}

function checkRawData(s: PeSection, label: string, fileLength: number): void {
  if (s.rawSize === 0) return; // SizeOfRawData 0: PointerToRawData is ignored (old linkers leave garbage there)
  const end = s.rawOffset + s.rawSize;
  if (end > 0xffffffff) {
    throw invalidImage(`section ${label} raw data (offset ${hex(s.rawOffset)}, size ${hex(s.rawSize)}) wraps past 4 GiB`);
  }
  if (s.rawOffset !== 0 && end > fileLength) {
    throw invalidImage(`truncated PE: section ${label} raw data ${pastEof(end, fileLength)}`);
  }
}

/** Below the page size the file is mapped as it is: each section must already be where it would be mapped. */
function checkMappedAsIs(s: PeSection, label: string, extent: number, h: SectionLayout): void {
  const why = `with SectionAlignment ${hex(h.sectionAlignment)} (below the page size) Windows maps the file as it is, so`;
  if (s.rawOffset !== s.rva) {
    throw invalidImage(`section ${label}: ${why} its RVA ${hex(s.rva)} must equal its file offset ${hex(s.rawOffset)}`);
  }
  if (extent > s.rawSize) {
    throw invalidImage(`section ${label}: ${why} its VirtualSize ${hex(extent)} must not exceed its SizeOfRawData ${hex(s.rawSize)}`);
  }
  // Not a Windows rule here, but kdemu's: a section must lie inside the image it describes.
  if (s.rva + extent > h.sizeOfImage) {
    throw new PeFormatError(`section ${label} (RVA ${hex(s.rva)}, size ${hex(extent)}) extends past SizeOfImage ${hex(h.sizeOfImage)}`);
  }
}

/** Why section `i` does not start at `next`, where the previous one (or the headers) ends. */
function misplaced(sections: readonly PeSection[], i: number, label: string, next: number): PeFormatError {
  const s = sections[i]!;
  const rule = 'Windows requires sections in ascending address order, each starting where the previous one ends';
  if (s.rva > next) {
    const after = i === 0 ? 'the headers' : `section ${sectionLabel(sections[i - 1]!, i - 1)}`;
    return invalidImage(`a gap from ${hex(next)} to ${hex(s.rva)} between ${after} and section ${label}: ${rule}`);
  }
  if (i === 0) return invalidImage(`section ${label} (RVA ${hex(s.rva)}) overlaps the headers, which take up to ${hex(next)}: ${rule}`);
  const prev = sections[i - 1]!;
  const prevLabel = sectionLabel(prev, i - 1);
  if (s.rva < prev.rva) {
    return invalidImage(`section ${label} (RVA ${hex(s.rva)}) lies below section ${prevLabel} (RVA ${hex(prev.rva)}), which comes before it in the table: ${rule}`);
  }
  return invalidImage(`section ${label} (RVA ${hex(s.rva)}) overlaps section ${prevLabel}, which runs to ${hex(next)}: ${rule}`);
}
