// The export directory: functions by ordinal, their names, and forwarders. Validated when parsing (no object per
// export); turned into ExportEntry objects only when read.
import { PeFormatError, hex } from './errors.js';
import { MAX_EXPORTS, MAX_NAME_LENGTH, type NameBudget, overCap } from './limits.js';
import type { RvaReader } from './rva.js';
import type { DataDirectory, ExportEntry } from './types.js';

interface ExportDirectory {
  rva: number;
  size: number;
  base: number;
  functions: number;
  names: number;
  addressOfFunctions: number;
  addressOfNames: number;
  addressOfNameOrdinals: number;
}

function readDirectory(r: RvaReader, dir: DataDirectory): ExportDirectory {
  const d = dir.rva;
  const what = 'export directory';
  r.check(d, 40, what);
  if (d + dir.size > r.sizeOfImage) {
    throw new PeFormatError(`${what} (RVA ${hex(d)}, size ${hex(dir.size)}) extends past SizeOfImage ${hex(r.sizeOfImage)}`);
  }
  const e: ExportDirectory = {
    rva: d,
    size: dir.size,
    base: r.u32(d + 16, what),
    functions: r.u32(d + 20, what),
    names: r.u32(d + 24, what),
    addressOfFunctions: r.u32(d + 28, what),
    addressOfNames: r.u32(d + 32, what),
    addressOfNameOrdinals: r.u32(d + 36, what),
  };
  if (e.functions > MAX_EXPORTS) throw overCap('exported functions', e.functions, MAX_EXPORTS);
  if (e.names > MAX_EXPORTS) throw overCap('export names', e.names, MAX_EXPORTS);
  if (e.functions > 0) r.check(e.addressOfFunctions, e.functions * 4, 'export address table');
  if (e.names > 0) {
    r.check(e.addressOfNames, e.names * 4, 'export name pointer table');
    r.check(e.addressOfNameOrdinals, e.names * 2, 'export ordinal table');
  }
  return e;
}

const nameRvaOf = (r: RvaReader, e: ExportDirectory, i: number): number => r.u32(e.addressOfNames + 4 * i, 'export name pointer table');

/** An RVA inside the export directory itself names another DLL's export instead of code. */
const isForwarder = (e: ExportDirectory, rva: number): boolean => rva >= e.rva && rva < e.rva + e.size;

/** Checks every name, ordinal, address and forwarder of the export directory, charging names to `budget`. */
export function checkExports(r: RvaReader, dir: DataDirectory | undefined, budget: NameBudget): void {
  if (!dir || dir.rva === 0) return;
  const e = readDirectory(r, dir);
  for (let i = 0; i < e.names; i++) {
    const index = r.u16(e.addressOfNameOrdinals + 2 * i, 'export ordinal table');
    if (index >= e.functions) {
      throw new PeFormatError(`export name #${i} refers to function index ${index}, beyond NumberOfFunctions ${e.functions}`);
    }
    budget.charge(r.cstringLength(nameRvaOf(r, e, i), `export name #${i}`, MAX_NAME_LENGTH));
  }
  for (let i = 0; i < e.functions; i++) {
    const rva = r.u32(e.addressOfFunctions + 4 * i, 'export address table');
    if (rva === 0) continue; // unused ordinal slot
    const ordinal = e.base + i;
    if (rva >= r.sizeOfImage) {
      throw new PeFormatError(`export ordinal ${ordinal} has RVA ${hex(rva)}, outside the image (SizeOfImage ${hex(r.sizeOfImage)})`);
    }
    if (isForwarder(e, rva)) budget.charge(r.cstringLength(rva, `forwarder of export ordinal ${ordinal}`, MAX_NAME_LENGTH));
  }
}

/**
 * The exports of a directory checkExports accepted, in ordinal order; a function with several names appears once
 * per name (in name table order), one without a name once.
 */
export function listExports(r: RvaReader, dir: DataDirectory | undefined): ExportEntry[] {
  if (!dir || dir.rva === 0) return [];
  const e = readDirectory(r, dir);
  // Names grouped by function index as linked lists in typed arrays: no Map of arrays.
  const firstName = new Int32Array(e.functions).fill(-1);
  const lastName = new Int32Array(e.functions).fill(-1);
  const nextName = new Int32Array(e.names).fill(-1);
  for (let i = 0; i < e.names; i++) {
    const index = r.u16(e.addressOfNameOrdinals + 2 * i, 'export ordinal table');
    if (lastName[index]! < 0) firstName[index] = i;
    else nextName[lastName[index]!] = i;
    lastName[index] = i;
  }
  const out: ExportEntry[] = [];
  for (let i = 0; i < e.functions; i++) {
    const rva = r.u32(e.addressOfFunctions + 4 * i, 'export address table');
    if (rva === 0) continue;
    const ordinal = e.base + i;
    const forwarder = isForwarder(e, rva) ? r.cstring(rva, 'forwarder', MAX_NAME_LENGTH) : undefined;
    const n0 = firstName[i]!;
    if (n0 < 0) out.push(forwarder !== undefined ? { ordinal, rva, forwarder } : { ordinal, rva });
    for (let n = n0; n >= 0; n = nextName[n]!) {
      const name = r.cstring(nameRvaOf(r, e, n), 'export name', MAX_NAME_LENGTH);
      out.push(forwarder !== undefined ? { name, ordinal, rva, forwarder } : { name, ordinal, rva });
    }
  }
  return out;
}
