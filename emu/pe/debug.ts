// The debug directory: the CodeView record's PDB path (RSDS, or the older NB10).
import { PeFormatError } from './errors.js';
import type { RvaReader } from './rva.js';
import type { DataDirectory } from './types.js';

const IMAGE_DEBUG_TYPE_CODEVIEW = 2;
const ENTRY_SIZE = 28;
const MAX_ENTRIES = 64;

/** Debug data is never needed to load an image, so a damaged debug directory yields no path rather than an error. */
export function parseDebugPdb(r: RvaReader, file: Uint8Array, dir: DataDirectory | undefined): string | undefined {
  if (!dir || dir.rva === 0 || dir.size < ENTRY_SIZE) return undefined;
  try {
    const count = Math.min(Math.floor(dir.size / ENTRY_SIZE), MAX_ENTRIES);
    for (let i = 0; i < count; i++) {
      const e = dir.rva + ENTRY_SIZE * i;
      if (r.u32(e + 12, 'debug directory') !== IMAGE_DEBUG_TYPE_CODEVIEW) continue;
      const sizeOfData = r.u32(e + 16, 'debug directory');
      const addressOfRawData = r.u32(e + 20, 'debug directory');
      const pointerToRawData = r.u32(e + 24, 'debug directory');
      if (sizeOfData < 8) continue;
      const data =
        addressOfRawData !== 0
          ? r.bytes(addressOfRawData, Math.min(sizeOfData, 4096), 'CodeView record')
          : file.subarray(pointerToRawData, pointerToRawData + Math.min(sizeOfData, 4096));
      const sig = String.fromCharCode(...data.subarray(0, 4));
      const pathStart = sig === 'RSDS' ? 24 : sig === 'NB10' ? 16 : -1;
      if (pathStart < 0 || data.length <= pathStart) continue;
      const raw = data.subarray(pathStart);
      const nul = raw.indexOf(0);
      const path = new TextDecoder('utf-8').decode(nul >= 0 ? raw.subarray(0, nul) : raw);
      if (path !== '') return path;
    }
  } catch (e) {
    if (!(e instanceof PeFormatError)) throw e;
  }
  return undefined;
}
