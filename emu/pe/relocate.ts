// Base relocations: parsing the .reloc blocks and applying them to a mapped image for a new base.
import { PeFormatError, hex } from './errors.js';
import type { RvaReader } from './rva.js';
import type { DataDirectory, Relocation } from './types.js';

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

export function parseRelocations(r: RvaReader, dir: DataDirectory | undefined): Relocation[] {
  if (!dir || dir.rva === 0 || dir.size === 0) return [];
  const end = dir.rva + dir.size;
  r.check(dir.rva, dir.size, 'relocation directory');
  const out: Relocation[] = [];
  let pos = dir.rva;
  while (pos < end) {
    if (end - pos < 8) {
      throw new PeFormatError(
        `relocation block at RVA ${hex(pos)} is truncated: only ${end - pos} bytes left in the relocation directory`,
      );
    }
    const page = r.u32(pos, 'relocation block');
    const blockSize = r.u32(pos + 4, 'relocation block');
    if (blockSize < 8 || blockSize % 2 !== 0) {
      throw new PeFormatError(
        `relocation block at RVA ${hex(pos)} has SizeOfBlock ${hex(blockSize)} (must be an even number of at least 8)`,
      );
    }
    if (pos + blockSize > end) {
      throw new PeFormatError(
        `relocation block at RVA ${hex(pos)} (SizeOfBlock ${hex(blockSize)}) runs past the end of the relocation directory at ${hex(end)}`,
      );
    }
    const count = (blockSize - 8) / 2;
    for (let i = 0; i < count; i++) {
      const e = r.u16(pos + 8 + 2 * i, 'relocation entry');
      const type = e >>> 12;
      if (type === IMAGE_REL_BASED_ABSOLUTE) continue; // padding
      const rva = page + (e & 0xfff);
      const width = WIDTH[type] ?? 1;
      if (rva + width > r.sizeOfImage) {
        throw new PeFormatError(
          `${relocationTypeName(type)} relocation at RVA ${hex(rva)} (block ${hex(page)}) patches past SizeOfImage ${hex(r.sizeOfImage)}`,
        );
      }
      const rel: Relocation = { rva, type };
      if (type === IMAGE_REL_BASED_HIGHADJ) {
        // HIGHADJ spends the next entry on the low 16 bits of the value it adjusts.
        if (i + 1 >= count) {
          throw new PeFormatError(`HIGHADJ relocation at RVA ${hex(rva)} has no following parameter entry`);
        }
        rel.param = r.u16(pos + 8 + 2 * ++i, 'relocation entry');
      }
      out.push(rel);
    }
    pos += blockSize;
  }
  return out;
}

const mod16 = (n: number): number => ((n % 0x10000) + 0x10000) % 0x10000;

/**
 * Adds `delta` (new base - preferred base) to every relocated field in `memory`, which holds the image at RVA 0.
 * Unknown relocation types are a PeFormatError: guessing would silently corrupt code.
 */
export function applyRelocations(memory: Uint8Array, relocations: readonly Relocation[], delta: bigint): void {
  if (delta === 0n) return;
  const dv = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  const d32 = Number(BigInt.asUintN(32, delta));
  for (const rel of relocations) {
    const at = rel.rva;
    const width = WIDTH[rel.type];
    if (width === undefined) {
      throw new PeFormatError(`unsupported relocation type ${rel.type} at RVA ${hex(at)}`);
    }
    if (at + width > memory.length) {
      throw new PeFormatError(`${relocationTypeName(rel.type)} relocation at RVA ${hex(at)} is outside the mapped image`);
    }
    switch (rel.type) {
      case IMAGE_REL_BASED_HIGHLOW:
        dv.setUint32(at, (dv.getUint32(at, true) + d32) >>> 0, true);
        break;
      case IMAGE_REL_BASED_DIR64:
        dv.setBigUint64(at, BigInt.asUintN(64, dv.getBigUint64(at, true) + delta), true);
        break;
      case IMAGE_REL_BASED_HIGH:
        // The field is the high half of a 32-bit value whose low half is 0: only the delta's high half reaches it.
        dv.setUint16(at, mod16(dv.getUint16(at, true) + Math.floor(d32 / 0x10000)), true);
        break;
      case IMAGE_REL_BASED_LOW:
        dv.setUint16(at, mod16(dv.getUint16(at, true) + d32), true);
        break;
      case IMAGE_REL_BASED_HIGHADJ: {
        // Rebuild the full 32-bit value (the low half is signed), add the delta, and round to the nearest high half.
        const low = rel.param ?? 0;
        const signedLow = low >= 0x8000 ? low - 0x10000 : low;
        const value = dv.getUint16(at, true) * 0x10000 + signedLow + d32 + 0x8000;
        dv.setUint16(at, mod16(Math.floor(value / 0x10000)), true);
        break;
      }
    }
  }
}
