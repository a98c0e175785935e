// The import directory: parsing descriptors/thunks into ImportedDll[], and binding (filling) the IAT of a mapped image.
import { PeFormatError, hex, shortName } from './errors.js';
import type { RvaReader } from './rva.js';
import type { Arch, DataDirectory, ImportedDll, ImportEntry, MappedImage, PeImage } from './types.js';

const DESCRIPTOR_SIZE = 20;
/** Longest import name accepted; decorated C++ names are long but nowhere near this. */
const MAX_NAME = 0x10000;

export function parseImports(r: RvaReader, dir: DataDirectory | undefined, arch: Arch): ImportedDll[] {
  // Only the RVA matters: the loader walks descriptors to the null one and ignores Size (hand-made files leave it 0).
  if (!dir || dir.rva === 0) return [];
  const ptr = arch === 'x64' ? 8 : 4;
  const out: ImportedDll[] = [];
  for (let i = 0; ; i++) {
    const d = dir.rva + DESCRIPTOR_SIZE * i;
    const what = `import descriptor #${i}`;
    r.check(d, DESCRIPTOR_SIZE, what);
    const originalFirstThunk = r.u32(d, what);
    const nameRva = r.u32(d + 12, what);
    const firstThunk = r.u32(d + 16, what);
    if (nameRva === 0 && firstThunk === 0) break;
    if (nameRva === 0 || firstThunk === 0) {
      throw new PeFormatError(
        `${what} has Name ${hex(nameRva)} and FirstThunk ${hex(firstThunk)}; both must be set (or both 0 to end the list)`,
      );
    }
    const dll = r.cstring(nameRva, `name of ${what}`, 1024);
    // Without an import lookup table the IAT itself holds the names (old linkers, hand-made files).
    const lookup = originalFirstThunk !== 0 ? originalFirstThunk : firstThunk;
    const entries: ImportEntry[] = [];
    for (let j = 0; ; j++) {
      const thunkWhat = `import thunk #${j} of ${shortName(dll)}`;
      const t = lookup + ptr * j;
      const iatRva = firstThunk + ptr * j;
      const lo = r.u32(t, thunkWhat);
      const hi = ptr === 8 ? r.u32(t + 4, thunkWhat) : 0;
      if (lo === 0 && hi === 0) break;
      r.check(iatRva, ptr, `IAT slot #${j} of ${shortName(dll)}`);
      const byOrdinal = ptr === 8 ? (hi & 0x80000000) !== 0 : (lo & 0x80000000) !== 0;
      if (byOrdinal) {
        entries.push({ ordinal: lo & 0xffff, iatRva });
        continue;
      }
      if (hi !== 0 || (lo & 0x80000000) !== 0) {
        throw new PeFormatError(`${thunkWhat} (${hex((BigInt(hi) << 32n) | BigInt(lo))}) is neither an ordinal nor a hint/name RVA`);
      }
      const hint = r.u16(lo, `hint/name of ${thunkWhat}`);
      const name = r.cstring(lo + 2, `name of ${thunkWhat}`, MAX_NAME);
      entries.push({ name, hint, iatRva });
    }
    out.push({ dll, entries });
  }
  return out;
}

/** What the resolver is asked for: the imported name, or the ordinal when imported by ordinal. */
export interface ImportRequest {
  name?: string;
  ordinal?: number;
  hint?: number;
}

/**
 * Writes each IAT slot (4 bytes on x86, 8 on x64, little-endian) with the address `resolve` returns.
 * Returns the number of slots written.
 */
export function bindImports(
  mapped: MappedImage,
  img: PeImage,
  resolve: (dll: string, entry: ImportRequest) => bigint,
): number {
  const ptr = img.arch === 'x64' ? 8 : 4;
  const dv = new DataView(mapped.memory.buffer, mapped.memory.byteOffset, mapped.memory.byteLength);
  let count = 0;
  for (const imp of img.imports) {
    for (const e of imp.entries) {
      const req: ImportRequest = {};
      if (e.name !== undefined) req.name = e.name;
      if (e.ordinal !== undefined) req.ordinal = e.ordinal;
      if (e.hint !== undefined) req.hint = e.hint;
      const addr = resolve(imp.dll, req);
      const label = `${shortName(imp.dll)}!${shortName(e.name ?? `#${e.ordinal}`)}`;
      if (typeof addr !== 'bigint' || addr < 0n || addr >= (ptr === 8 ? 1n << 64n : 1n << 32n)) {
        throw new RangeError(`resolver returned ${String(addr)} for ${label}, which does not fit a ${ptr * 8}-bit IAT slot`);
      }
      if (e.iatRva + ptr > mapped.size) {
        throw new RangeError(`IAT slot for ${label} at RVA ${hex(e.iatRva)} is outside the mapped image`);
      }
      if (ptr === 8) dv.setBigUint64(e.iatRva, addr, true);
      else dv.setUint32(e.iatRva, Number(addr), true);
      count++;
    }
  }
  return count;
}
