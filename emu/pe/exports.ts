// The export directory: functions by ordinal, their names, and forwarders.
import { PeFormatError, hex } from './errors.js';
import type { RvaReader } from './rva.js';
import type { DataDirectory, ExportEntry } from './types.js';

/** Ordinals are 16-bit, so a larger table can only be corruption (and would make us loop for nothing). */
const MAX_EXPORTS = 0x10000;

export function parseExports(r: RvaReader, dir: DataDirectory | undefined): ExportEntry[] {
  if (!dir || dir.rva === 0) return [];
  const d = dir.rva;
  const what = 'export directory';
  r.check(d, 40, what);
  if (d + dir.size > r.sizeOfImage) {
    throw new PeFormatError(`${what} (RVA ${hex(d)}, size ${hex(dir.size)}) extends past SizeOfImage ${hex(r.sizeOfImage)}`);
  }
  const base = r.u32(d + 16, what);
  const numberOfFunctions = r.u32(d + 20, what);
  const numberOfNames = r.u32(d + 24, what);
  const addressOfFunctions = r.u32(d + 28, what);
  const addressOfNames = r.u32(d + 32, what);
  const addressOfNameOrdinals = r.u32(d + 36, what);
  if (numberOfFunctions > MAX_EXPORTS) {
    throw new PeFormatError(`${what} claims ${numberOfFunctions} functions (limit ${MAX_EXPORTS})`);
  }
  if (numberOfNames > MAX_EXPORTS) {
    throw new PeFormatError(`${what} claims ${numberOfNames} names (limit ${MAX_EXPORTS})`);
  }
  if (numberOfFunctions > 0) r.check(addressOfFunctions, numberOfFunctions * 4, 'export address table');
  if (numberOfNames > 0) {
    r.check(addressOfNames, numberOfNames * 4, 'export name pointer table');
    r.check(addressOfNameOrdinals, numberOfNames * 2, 'export ordinal table');
  }

  const namesByIndex = new Map<number, string[]>();
  for (let i = 0; i < numberOfNames; i++) {
    const index = r.u16(addressOfNameOrdinals + 2 * i, 'export ordinal table');
    if (index >= numberOfFunctions) {
      throw new PeFormatError(
        `export name #${i} refers to function index ${index}, beyond NumberOfFunctions ${numberOfFunctions}`,
      );
    }
    const name = r.cstring(r.u32(addressOfNames + 4 * i, 'export name pointer table'), `export name #${i}`, 0x10000);
    const list = namesByIndex.get(index);
    if (list) list.push(name);
    else namesByIndex.set(index, [name]);
  }

  const out: ExportEntry[] = [];
  for (let i = 0; i < numberOfFunctions; i++) {
    const rva = r.u32(addressOfFunctions + 4 * i, 'export address table');
    if (rva === 0) continue; // unused ordinal slot
    const ordinal = base + i;
    if (rva >= r.sizeOfImage) {
      throw new PeFormatError(`export ordinal ${ordinal} has RVA ${hex(rva)}, outside the image (SizeOfImage ${hex(r.sizeOfImage)})`);
    }
    // An RVA inside the export directory itself names another DLL's export instead of code.
    const forwarder =
      rva >= d && rva < d + dir.size ? r.cstring(rva, `forwarder of export ordinal ${ordinal}`, 0x10000) : undefined;
    const names = namesByIndex.get(i);
    for (const name of names ?? [undefined]) {
      const e: ExportEntry = { ordinal, rva };
      if (name !== undefined) e.name = name;
      if (forwarder !== undefined) e.forwarder = forwarder;
      out.push(e);
    }
  }
  return out;
}
