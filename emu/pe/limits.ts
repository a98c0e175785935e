// kdemu's hard caps on what one PE file may make the loader do. Each bounds a count or size that a hostile file
// could otherwise blow up (time or memory); each sits well above what real drivers need. Exceeding one is a
// PeFormatError naming the cap and its value (exit code 2 from the CLI).
import { PeFormatError, humanSize } from './errors.js';

/**
 * Largest file parsed: the file is held in memory whole. The largest real drivers (GPU) are about 100 MiB; the CLI
 * refuses files over the same 512 MiB before reading them.
 */
export const MAX_FILE_SIZE = 512 * 2 ** 20;

/**
 * Largest SizeOfImage: mapImage allocates the whole image at once. Windows' own limit is 0x77000000 (about
 * 1.9 GiB); real drivers stay under about 100 MiB, so 512 MiB leaves room without letting one file claim gigabytes.
 */
export const MAX_SIZE_OF_IMAGE = 512 * 2 ** 20;

/** Windows' own limit on NumberOfSections (MM_MAXIMUM_IMAGE_SECTIONS): the table must fit its two header pages. */
export const MAX_SECTIONS = 96;

/** Import descriptors (DLLs imported from). Real drivers import from fewer than 20. */
export const MAX_IMPORT_MODULES = 1024;

/** Functions imported from one DLL. ntoskrnl.exe exports about 3,000; a driver importing 9,000 from it still loads. */
export const MAX_IMPORTS_PER_MODULE = 16_384;

/** Functions imported in all. Real drivers import fewer than 2,000. */
export const MAX_IMPORTS = 65_536;

/** Export address table entries and export names: ordinals are 16-bit, so more can only be corruption. */
export const MAX_EXPORTS = 65_536;

/** Relocation blocks: linkers write one per 4 KiB page, and MAX_SIZE_OF_IMAGE has 131,072 pages. */
export const MAX_RELOCATION_BLOCKS = 131_072;

/** Relocation entries, padding included (8 MiB of them). A 100 MiB driver has about a million. */
export const MAX_RELOCATIONS = 4_194_304;

/** x64 RUNTIME_FUNCTION entries in .pdata (12 MiB of them). The largest drivers have about 100,000 functions. */
export const MAX_PDATA_ENTRIES = 1_048_576;

/** Longest single import, export or forwarder name; decorated C++ names are long but nowhere near this. */
export const MAX_NAME_LENGTH = 0x10000;

/**
 * Import, export and forwarder names together: 64 KiB plus 2 bytes per byte of the file. Each name of a real
 * file takes its own bytes of it, so only names read over and over (thousands of thunks naming one string, or
 * the suffixes of one string) can reach this; it keeps `kdemu info`'s output and memory linear in the file size.
 */
export function maxNameBytes(fileSize: number): number {
  return 64 * 1024 + 2 * fileSize;
}

/** "too many imports: 120000 (kdemu's limit is 65536)". */
export function overCap(what: string, value: number | string, limit: number | string): PeFormatError {
  return new PeFormatError(`too many ${what}: ${value} (kdemu's limit is ${limit})`);
}

/** "file too large: 300 MiB (kdemu's limit is 256 MiB)". */
export function tooLarge(what: string, size: number, limit: number, detail = ''): PeFormatError {
  return new PeFormatError(`${what}${detail} is too large: ${humanSize(size)} (kdemu's limit is ${humanSize(limit)})`);
}

/** Counts the bytes of names read against maxNameBytes, so names read many times over stop the parse. */
export class NameBudget {
  private used = 0;
  readonly limit: number;

  constructor(fileSize: number) {
    this.limit = maxNameBytes(fileSize);
  }

  charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) {
      throw new PeFormatError(
        `import and export names too long: more than ${this.limit} bytes in all (kdemu's limit is 64 KiB plus 2 bytes per byte of the file)`,
      );
    }
  }
}
