// parsePe: turns the bytes of a PE32/PE32+ file into a PeImage, validating everything the loader relies on, in time
// and memory linear in the file size (every table is walked once, with caps: limits.ts).
import { parseDebugPdb } from './debug.js';
import { checkExceptions, listExceptions } from './exceptions.js';
import { checkExports, listExports } from './exports.js';
import { IMAGE_FILE_DLL, IMAGE_FILE_RELOCS_STRIPPED, parseHeaders, subsystemNameOf } from './headers.js';
import { parseImports } from './imports.js';
import { NameBudget } from './limits.js';
import { parseLoadConfig } from './loadconfig.js';
import { parseRelocations } from './relocate.js';
import { RvaReader } from './rva.js';
import type { ExportEntry, ImportedDll, PeImage, RuntimeFunction } from './types.js';

const DIR_EXPORT = 0;
const DIR_IMPORT = 1;
const DIR_EXCEPTION = 3;
const DIR_BASERELOC = 5;
const DIR_DEBUG = 6;
const DIR_LOAD_CONFIG = 10;

/** Parses a PE file. Throws PeFormatError (and nothing else) when the bytes are not a loadable i386/AMD64 image. */
export function parsePe(bytes: Uint8Array): PeImage {
  const h = parseHeaders(bytes);
  const r = new RvaReader(bytes, h);
  const dirs = h.dataDirectories;
  const relocDir = dirs[DIR_BASERELOC];
  const relocations = parseRelocations(r, relocDir);
  const budget = new NameBudget(bytes.length);
  const importTable = parseImports(r, dirs[DIR_IMPORT], h.arch, budget);
  checkExports(r, dirs[DIR_EXPORT], budget);
  checkExceptions(r, dirs[DIR_EXCEPTION], h.arch);
  const stripped = (h.characteristics & IMAGE_FILE_RELOCS_STRIPPED) !== 0;
  // The object lists are built on first read (kdemu run never reads exports or exceptions).
  let imports: ImportedDll[] | undefined;
  let exports: ExportEntry[] | undefined;
  let exceptions: RuntimeFunction[] | undefined;
  const img: PeImage = {
    arch: h.arch,
    machine: h.machine,
    fileSize: bytes.length,
    ntHeadersOffset: h.ntHeadersOffset,
    imageBase: h.imageBase,
    entryRva: h.entryRva,
    sizeOfImage: h.sizeOfImage,
    sizeOfHeaders: h.sizeOfHeaders,
    sectionAlignment: h.sectionAlignment,
    fileAlignment: h.fileAlignment,
    subsystem: h.subsystem,
    subsystemName: subsystemNameOf(h.subsystem),
    characteristics: h.characteristics,
    isDll: (h.characteristics & IMAGE_FILE_DLL) !== 0,
    dllCharacteristics: h.dllCharacteristics,
    checksum: h.checksum,
    timestamp: h.timestamp,
    dataDirectories: dirs,
    sections: h.sections,
    importTable,
    get imports() {
      return (imports ??= importTable.toList());
    },
    get exports() {
      return (exports ??= listExports(r, dirs[DIR_EXPORT]));
    },
    relocations,
    hasRelocations: !stripped && relocations.size !== 0,
    get exceptions() {
      return (exceptions ??= listExceptions(r, dirs[DIR_EXCEPTION], h.arch));
    },
    loadConfig: parseLoadConfig(r, dirs[DIR_LOAD_CONFIG], h.arch),
  };
  const pdb = parseDebugPdb(r, bytes, dirs[DIR_DEBUG]);
  if (pdb !== undefined) img.debugPdb = pdb;
  return img;
}
