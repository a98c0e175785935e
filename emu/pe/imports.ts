// The import directory: validated and recorded compactly (two numbers per import, names left in the file), bound
// into a mapped image's IAT from that record, and turned into ImportedDll objects only when someone asks.
import { PeFormatError, hex, shortName } from './errors.js';
import { MAX_IMPORTS, MAX_IMPORTS_PER_MODULE, MAX_IMPORT_MODULES, MAX_NAME_LENGTH, type NameBudget, overCap } from './limits.js';
import type { RvaReader } from './rva.js';
import type { Arch, DataDirectory, ImportedDll, ImportEntry, MappedImage, PeImage } from './types.js';

const DESCRIPTOR_SIZE = 20;
const MAX_DLL_NAME = 1024;
/** In ImportTable's `ref`: set for an import by ordinal (the low 16 bits), clear for a hint/name RVA. */
const BY_ORDINAL = 0x80000000;

/** What the resolver is asked for: the imported name, or the ordinal when imported by ordinal. */
export interface ImportRequest {
  name?: string;
  ordinal?: number;
  hint?: number;
}

/** The imports of one DLL: entries [first, first + count) of the table. */
export interface ImportModule {
  dll: string;
  first: number;
  count: number;
}

/** A growable list of 32-bit numbers (doubling), so the table needs no object per import. */
class U32List {
  private a = new Uint32Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }
  done(): Uint32Array {
    return this.a.slice(0, this.length);
  }
}

/** Every import of an image: per entry its IAT slot and a hint/name RVA or ordinal; names are read on demand. */
export class ImportTable {
  constructor(
    private readonly r: RvaReader | null,
    readonly modules: readonly ImportModule[],
    private readonly iat: Uint32Array,
    private readonly ref: Uint32Array,
  ) {}

  static readonly empty = new ImportTable(null, [], new Uint32Array(0), new Uint32Array(0));

  get length(): number {
    return this.iat.length;
  }

  iatRva(i: number): number {
    return this.iat[i]!;
  }

  ordinal(i: number): number | undefined {
    const ref = this.ref[i]!;
    return ref & BY_ORDINAL ? ref & 0xffff : undefined;
  }

  hint(i: number): number | undefined {
    const ref = this.ref[i]!;
    return ref & BY_ORDINAL ? undefined : this.r!.u16(ref, 'import hint');
  }

  name(i: number): string | undefined {
    const ref = this.ref[i]!;
    return ref & BY_ORDINAL ? undefined : this.r!.cstring(ref + 2, 'import name', MAX_NAME_LENGTH);
  }

  request(i: number): ImportRequest {
    const ordinal = this.ordinal(i);
    return ordinal !== undefined ? { ordinal } : { name: this.name(i)!, hint: this.hint(i)! };
  }

  /** The table as ImportedDll objects (one per entry: for callers that want them all, like `kdemu info`). */
  toList(): ImportedDll[] {
    return this.modules.map((m) => {
      const entries: ImportEntry[] = [];
      for (let i = m.first; i < m.first + m.count; i++) {
        const iatRva = this.iat[i]!;
        const ordinal = this.ordinal(i);
        entries.push(ordinal !== undefined ? { ordinal, iatRva } : { name: this.name(i)!, hint: this.hint(i)!, iatRva });
      }
      return { dll: m.dll, entries };
    });
  }
}

/**
 * Validates the import directory and records it. Only the RVA matters: the loader walks descriptors to the null
 * one and ignores Size (hand-made files leave it 0). Names are checked (NUL-terminated inside the image) and
 * charged to `budget`, but not kept.
 */
export function parseImports(r: RvaReader, dir: DataDirectory | undefined, arch: Arch, budget: NameBudget): ImportTable {
  if (!dir || dir.rva === 0) return ImportTable.empty;
  const ptr = arch === 'x64' ? 8 : 4;
  const modules: ImportModule[] = [];
  const iat = new U32List();
  const ref = new U32List();
  for (let i = 0; ; i++) {
    const d = dir.rva + DESCRIPTOR_SIZE * i;
    const what = `import descriptor #${i}`;
    r.check(d, DESCRIPTOR_SIZE, what);
    const originalFirstThunk = r.u32(d, what);
    const nameRva = r.u32(d + 12, what);
    const firstThunk = r.u32(d + 16, what);
    if (nameRva === 0 && firstThunk === 0) break;
    if (nameRva === 0 || firstThunk === 0) {
      throw new PeFormatError(`${what} has Name ${hex(nameRva)} and FirstThunk ${hex(firstThunk)}; both must be set (or both 0 to end the list)`);
    }
    if (i === MAX_IMPORT_MODULES) throw overCap('import descriptors (DLLs)', `more than ${MAX_IMPORT_MODULES}`, MAX_IMPORT_MODULES);
    const dll = r.cstring(nameRva, `name of ${what}`, MAX_DLL_NAME);
    budget.charge(dll.length);
    const label = shortName(dll);
    // Without an import lookup table the IAT itself holds the names (old linkers, hand-made files).
    const lookup = originalFirstThunk !== 0 ? originalFirstThunk : firstThunk;
    const first = iat.length;
    for (let j = 0; ; j++) {
      const t = lookup + ptr * j;
      const lo = r.u32(t, `import thunk #${j} of ${label}`);
      const hi = ptr === 8 ? r.u32(t + 4, `import thunk #${j} of ${label}`) : 0;
      if (lo === 0 && hi === 0) break;
      if (j === MAX_IMPORTS_PER_MODULE) throw overCap(`imports from ${label}`, `more than ${MAX_IMPORTS_PER_MODULE}`, MAX_IMPORTS_PER_MODULE);
      if (iat.length === MAX_IMPORTS) throw overCap('imports', `more than ${MAX_IMPORTS}`, MAX_IMPORTS);
      const iatRva = firstThunk + ptr * j;
      r.check(iatRva, ptr, `IAT slot #${j} of ${label}`);
      iat.push(iatRva);
      if ((ptr === 8 ? hi : lo) & 0x80000000) {
        ref.push(BY_ORDINAL | (lo & 0xffff));
        continue;
      }
      if (hi !== 0 || (lo & 0x80000000) !== 0) {
        throw new PeFormatError(`import thunk #${j} of ${label} (${hex((BigInt(hi) << 32n) | BigInt(lo))}) is neither an ordinal nor a hint/name RVA`);
      }
      r.u16(lo, `hint/name of import thunk #${j} of ${label}`);
      budget.charge(r.cstringLength(lo + 2, `name of import thunk #${j} of ${label}`, MAX_NAME_LENGTH));
      ref.push(lo);
    }
    modules.push({ dll, first, count: iat.length - first });
  }
  return new ImportTable(r, modules, iat.done(), ref.done());
}

/**
 * Writes each IAT slot (4 bytes on x86, 8 on x64, little-endian) with the address `resolve` returns.
 * Returns the number of slots written.
 */
export function bindImports(mapped: MappedImage, img: PeImage, resolve: (dll: string, entry: ImportRequest) => bigint): number {
  const ptr = img.arch === 'x64' ? 8 : 4;
  const dv = new DataView(mapped.memory.buffer, mapped.memory.byteOffset, mapped.memory.byteLength);
  const t = img.importTable;
  for (const m of t.modules) {
    for (let i = m.first; i < m.first + m.count; i++) {
      const req = t.request(i);
      const addr = resolve(m.dll, req);
      const iatRva = t.iatRva(i);
      const label = (): string => `${shortName(m.dll)}!${shortName(req.name ?? `#${req.ordinal}`)}`;
      if (typeof addr !== 'bigint' || addr < 0n || addr >= (ptr === 8 ? 1n << 64n : 1n << 32n)) {
        throw new RangeError(`resolver returned ${String(addr)} for ${label()}, which does not fit a ${ptr * 8}-bit IAT slot`);
      }
      if (iatRva + ptr > mapped.size) throw new RangeError(`IAT slot for ${label()} at RVA ${hex(iatRva)} is outside the mapped image`);
      if (ptr === 8) dv.setBigUint64(iatRva, addr, true);
      else dv.setUint32(iatRva, Number(addr), true);
    }
  }
  return t.length;
}
