// Base relocations: one streaming walk over the .reloc blocks, used both to validate them when parsing and to
// apply them to a mapped image. No object is made per entry: the blocks' bytes are read where they lie.
import { PeFormatError, hex } from './errors.js';
import { MAX_RELOCATIONS, MAX_RELOCATION_BLOCKS, overCap } from './limits.js';
import { RvaReader } from './rva.js';
import type { DataDirectory, PeImage, Relocation, RelocationTable } from './types.js';

export const IMAGE_REL_BASED_ABSOLUTE = 0;
export const IMAGE_REL_BASED_HIGH = 1;
export const IMAGE_REL_BASED_LOW = 2;
export const IMAGE_REL_BASED_HIGHLOW = 3;
export const IMAGE_REL_BASED_HIGHADJ = 4;
export const IMAGE_REL_BASED_DIR64 = 10;

const TYPE_NAMES: Record<number, string> = {
  1: 'HIGH',
  2: 'LOW',
  3: 'HIGHLOW',
  4: 'HIGHADJ',
  10: 'DIR64',
};

/** Bytes patched by each supported type; other types are kept by the parser and rejected when applied. */
const WIDTH: Record<number, number> = { 1: 2, 2: 2, 3: 4, 4: 2, 10: 8 };

export function relocationTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** Where the walk reads the directory's bytes: the file (by RVA) when parsing, the mapped image when applying. */
export interface RelocationSource {
  u16(rva: number): number;
  u32(rva: number): number;
  /** As RvaReader.runAt: n > 0 bytes at `runStart` in `view` from `rva` on, or -n bytes of zero fill (padding entries). */
  runAt(rva: number): number;
  readonly runStart: number;
  readonly view: DataView;
}

/** Called for each entry that is not ABSOLUTE padding; `param` is HIGHADJ's low half (0 for other types). */
export type RelocationVisitor = (rva: number, type: number, param: number) => void;

/**
 * Walks the blocks of the directory at [dirRva, dirRva + dirSize), checking their structure, the caps, and that
 * every field patched lies below `imageSize`. Returns the number of blocks and of entries other than padding.
 */
export function walkRelocations(
  src: RelocationSource,
  dirRva: number,
  dirSize: number,
  imageSize: number,
  visit?: RelocationVisitor,
): { blocks: number; entries: number } {
  const end = dirRva + dirSize;
  let blocks = 0;
  let slots = 0;
  let entries = 0;
  for (let pos = dirRva; pos < end; ) {
    if (end - pos < 8) {
      throw new PeFormatError(`relocation block at RVA ${hex(pos)} is truncated: only ${end - pos} bytes left in the relocation directory`);
    }
    const page = src.u32(pos);
    const blockSize = src.u32(pos + 4);
    if (blockSize < 8 || blockSize % 2 !== 0) {
      throw new PeFormatError(`relocation block at RVA ${hex(pos)} has SizeOfBlock ${hex(blockSize)} (must be an even number of at least 8)`);
    }
    if (pos + blockSize > end) {
      throw new PeFormatError(
        `relocation block at RVA ${hex(pos)} (SizeOfBlock ${hex(blockSize)}) runs past the end of the relocation directory at ${hex(end)}`,
      );
    }
    if (++blocks > MAX_RELOCATION_BLOCKS) throw overCap('relocation blocks', `more than ${MAX_RELOCATION_BLOCKS}`, MAX_RELOCATION_BLOCKS);
    const count = (blockSize - 8) / 2;
    // Counted before the block is read, so one huge block costs nothing before it is refused.
    slots += count;
    if (slots > MAX_RELOCATIONS) throw overCap('relocation entries', `more than ${MAX_RELOCATIONS}`, MAX_RELOCATIONS);
    const first = pos + 8;
    // Entries [i, runEnd) lie in one run of file bytes, entry k at view offset base + 2k: read directly there.
    let runEnd = 0;
    let base = 0;
    const at = (k: number): number => (k < runEnd ? src.view.getUint16(base + 2 * k, true) : src.u16(first + 2 * k));
    for (let i = 0; i < count; i++) {
      if (i >= runEnd) {
        const n = src.runAt(first + 2 * i);
        if (n <= -2) {
          i += Math.min(Math.floor(-n / 2), count - i) - 1; // zero fill: all padding
          continue;
        }
        runEnd = n >= 2 ? i + Math.floor(n / 2) : i; // one byte left in the run: this entry straddles, read it slowly
        base = src.runStart - 2 * i;
      }
      const e = at(i);
      const type = e >>> 12;
      if (type === IMAGE_REL_BASED_ABSOLUTE) continue; // padding
      const rva = page + (e & 0xfff);
      if (rva + (WIDTH[type] ?? 1) > imageSize) {
        throw new PeFormatError(
          `${relocationTypeName(type)} relocation at RVA ${hex(rva)} (block ${hex(page)}) patches past SizeOfImage ${hex(imageSize)}`,
        );
      }
      let param = 0;
      if (type === IMAGE_REL_BASED_HIGHADJ) {
        // HIGHADJ spends the next entry on the low 16 bits of the value it adjusts.
        if (i + 1 >= count) throw new PeFormatError(`HIGHADJ relocation at RVA ${hex(rva)} has no following parameter entry`);
        param = at(++i);
      }
      entries++;
      visit?.(rva, type, param);
    }
    pos += blockSize;
  }
  return { blocks, entries };
}

class FileSource implements RelocationSource {
  readonly view: DataView;
  constructor(private readonly r: RvaReader) {
    this.view = new DataView(r.file.buffer, r.file.byteOffset, r.file.byteLength);
  }
  u16(rva: number): number {
    return this.r.u16(rva, 'relocation entry');
  }
  u32(rva: number): number {
    return this.r.u32(rva, 'relocation block');
  }
  runAt(rva: number): number {
    return this.r.runAt(rva);
  }
  get runStart(): number {
    return this.r.runStart;
  }
}

const fileSource = (r: RvaReader): RelocationSource => new FileSource(r);

/** Validates the relocation directory of a file being parsed; the table records where it is, not its entries. */
export function parseRelocations(r: RvaReader, dir: DataDirectory | undefined): RelocationTable {
  if (!dir || dir.rva === 0 || dir.size === 0) return { rva: 0, size: 0, blocks: 0, entries: 0 };
  r.check(dir.rva, dir.size, 'relocation directory');
  return { rva: dir.rva, size: dir.size, ...walkRelocations(fileSource(r), dir.rva, dir.size, r.sizeOfImage) };
}

/** Visits the relocations of `img` as the file `bytes` it was parsed from holds them (for inspection and tests). */
export function forEachRelocation(img: PeImage, bytes: Uint8Array, visit: RelocationVisitor): void {
  const t = img.relocations;
  if (t.size === 0) return;
  walkRelocations(fileSource(new RvaReader(bytes, img)), t.rva, t.size, img.sizeOfImage, visit);
}

/** Reads a mapped image (RVA = index) the way the Windows loader reads .reloc: in place, as it patches. */
class MemorySource implements RelocationSource {
  runStart = 0;
  constructor(readonly view: DataView) {}
  u16(rva: number): number {
    return this.view.getUint16(rva, true);
  }
  u32(rva: number): number {
    return this.view.getUint32(rva, true);
  }
  runAt(rva: number): number {
    this.runStart = rva;
    return this.view.byteLength - rva;
  }
}

const mod16 = (n: number): number => ((n % 0x10000) + 0x10000) % 0x10000;

/** Adds the delta to one field; unknown types are a PeFormatError: guessing would silently corrupt code. */
function patch(dv: DataView, at: number, type: number, param: number, d32: number, dHigh: number): void {
  const width = WIDTH[type];
  if (width === undefined) throw new PeFormatError(`unsupported relocation type ${type} at RVA ${hex(at)}`);
  if (at + width > dv.byteLength) {
    throw new PeFormatError(`${relocationTypeName(type)} relocation at RVA ${hex(at)} is outside the mapped image`);
  }
  switch (type) {
    case IMAGE_REL_BASED_HIGHLOW:
      dv.setUint32(at, (dv.getUint32(at, true) + d32) >>> 0, true);
      break;
    case IMAGE_REL_BASED_DIR64: {
      // 64-bit addition as two 32-bit halves with the carry: no BigInt per entry.
      const low = dv.getUint32(at, true) + d32;
      dv.setUint32(at, low >>> 0, true);
      dv.setUint32(at + 4, (dv.getUint32(at + 4, true) + dHigh + (low > 0xffffffff ? 1 : 0)) >>> 0, true);
      break;
    }
    case IMAGE_REL_BASED_HIGH:
      // The field is the high half of a 32-bit value whose low half is 0: only the delta's high half reaches it.
      dv.setUint16(at, mod16(dv.getUint16(at, true) + Math.floor(d32 / 0x10000)), true);
      break;
    case IMAGE_REL_BASED_LOW:
      dv.setUint16(at, mod16(dv.getUint16(at, true) + d32), true);
      break;
    case IMAGE_REL_BASED_HIGHADJ: {
      // Rebuild the full 32-bit value (the low half is signed), add the delta, and round to the nearest high half.
      const signedLow = param >= 0x8000 ? param - 0x10000 : param;
      const value = dv.getUint16(at, true) * 0x10000 + signedLow + d32 + 0x8000;
      dv.setUint16(at, mod16(Math.floor(value / 0x10000)), true);
      break;
    }
  }
}

const isTable = (r: readonly Relocation[] | RelocationTable): r is RelocationTable => !Array.isArray(r);

/**
 * Adds `delta` (new base - preferred base) to every relocated field in `memory`, which holds the image at RVA 0.
 * `relocations` is a parsed image's table (its blocks are read from `memory` itself) or a list of entries.
 */
export function applyRelocations(memory: Uint8Array, relocations: readonly Relocation[] | RelocationTable, delta: bigint): void {
  if (delta === 0n) return;
  const dv = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  const d32 = Number(BigInt.asUintN(32, delta));
  const dHigh = Number(BigInt.asUintN(32, delta >> 32n));
  if (!isTable(relocations)) {
    for (const rel of relocations) patch(dv, rel.rva, rel.type, rel.param ?? 0, d32, dHigh);
    return;
  }
  if (relocations.size === 0) return;
  if (relocations.rva + relocations.size > memory.length) {
    throw new PeFormatError(`relocation directory at RVA ${hex(relocations.rva)} is outside the mapped image`);
  }
  walkRelocations(new MemorySource(dv), relocations.rva, relocations.size, memory.length, (rva, type, param) =>
    patch(dv, rva, type, param, d32, dHigh),
  );
}
