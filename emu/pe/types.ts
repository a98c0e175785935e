// Types describing a parsed PE image (PeImage) and an image mapped into memory (MappedImage).
import type { ImportTable } from './imports.js';

export type Arch = 'x86' | 'x64';

/** Page protection bits used in MappedImage.regions. */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

/** The page size the image is mapped with (x86 and x64 alike). */
export const PAGE_SIZE = 0x1000;

export interface DataDirectory {
  rva: number;
  size: number;
}

export interface PeSection {
  /** As written in the section table, trailing NULs removed (may be empty). */
  name: string;
  rva: number;
  virtualSize: number;
  rawOffset: number;
  rawSize: number;
  characteristics: number;
  readable: boolean;
  writable: boolean;
  executable: boolean;
  discardable: boolean;
}

export interface ImportEntry {
  name?: string;
  ordinal?: number;
  hint?: number;
  /** RVA of the IAT slot the loader fills with the resolved address. */
  iatRva: number;
}

export interface ImportedDll {
  /** The DLL name exactly as written in the file (case kept). */
  dll: string;
  entries: ImportEntry[];
}

export interface ExportEntry {
  name?: string;
  /** Biased ordinal (Base + index), the number importers use. */
  ordinal: number;
  rva: number;
  /** "DLL.Function" or "DLL.#N" when the export forwards elsewhere; rva then points at this string. */
  forwarder?: string;
}

/** A relocation listed by hand (applyRelocations also takes a list); parsed images keep a RelocationTable. */
export interface Relocation {
  /** RVA of the field to patch. */
  rva: number;
  /** IMAGE_REL_BASED_* type (ABSOLUTE entries are not listed). */
  type: number;
  /** HIGHADJ only: the low 16 bits stored in the following entry. */
  param?: number;
}

/**
 * Where a parsed image's base relocation directory is (its entries stay in the file and are read in place when
 * applied or visited: forEachRelocation), with the counts the parser validated. Size 0: no relocations.
 */
export interface RelocationTable {
  rva: number;
  size: number;
  blocks: number;
  /** Entries other than ABSOLUTE padding. */
  entries: number;
}

/** An x64 RUNTIME_FUNCTION from the exception directory (.pdata). */
export interface RuntimeFunction {
  begin: number;
  end: number;
  unwindInfo: number;
}

export interface LoadConfig {
  /** The byte count the fields below were read from (IMAGE_LOAD_CONFIG_DIRECTORY.Size). */
  size: number;
  securityCookieVa?: bigint;
  guardCFCheckFunctionPointerVa?: bigint;
  guardCFDispatchFunctionPointerVa?: bigint;
  guardFlags?: number;
}

export interface PeImage {
  arch: Arch;
  machine: number;
  /** Length of the file it was parsed from. */
  fileSize: number;
  /** File offset of the "PE\0\0" signature (e_lfanew). */
  ntHeadersOffset: number;
  imageBase: bigint;
  entryRva: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  sectionAlignment: number;
  fileAlignment: number;
  subsystem: number;
  subsystemName: string;
  characteristics: number;
  isDll: boolean;
  dllCharacteristics: number;
  checksum: number;
  timestamp: number;
  /** All data directories present (NumberOfRvaAndSizes of them, at most 16). */
  dataDirectories: DataDirectory[];
  /** In table order, which for page-aligned images is ascending RVA order without overlap (checked). */
  sections: PeSection[];
  /** The import table, compact: bindImports walks it. */
  importTable: ImportTable;
  /** The imports as objects, built from importTable when first read. */
  readonly imports: ImportedDll[];
  /** Built from the (validated) export directory when first read. */
  readonly exports: ExportEntry[];
  relocations: RelocationTable;
  hasRelocations: boolean;
  /** Built from the (validated) .pdata when first read; x64 only. */
  readonly exceptions: RuntimeFunction[];
  loadConfig: LoadConfig | null;
  /** CodeView PDB path, when the debug directory has one. */
  debugPdb?: string;
}

export interface MemoryRegion {
  rva: number;
  size: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC bits. */
  prot: number;
}

export interface MappedImage {
  base: bigint;
  /** SizeOfImage rounded up to PAGE_SIZE. */
  size: number;
  memory: Uint8Array;
  /** Page-aligned, contiguous, covering [0, size). */
  regions: MemoryRegion[];
}
