// Hand-built PE files for the loader's worst cases: a small PE writer and the hostile shapes the performance and
// Windows-rule tests feed the parser (overlapping sections sharing one relocation block, huge tables, shared names).

export const IMAGE_BASE_X64 = 0x140000000n;
const PAGE = 0x1000;

export const SCN_CODE = 0x60000020; // code | execute | read
export const SCN_DATA = 0xc0000040; // initialised data | read | write
export const SCN_RDATA = 0x40000040; // initialised data | read

export interface CraftSection {
  name: string;
  rva: number;
  virtualSize: number;
  rawOffset: number;
  rawSize: number;
  characteristics: number;
}

export interface CraftOptions {
  fileSize: number;
  sections: CraftSection[];
  sizeOfImage: number;
  /** Default 0x400. */
  sizeOfHeaders?: number;
  /** Default 0x1000 / 0x200. */
  sectionAlignment?: number;
  fileAlignment?: number;
  /** Default: the first section's RVA. */
  entryRva?: number;
  /** Data directories by index. */
  directories?: Record<number, { rva: number; size: number }>;
  /** IMAGE_FILE_* flags; default EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL (what mingw -shared writes). */
  characteristics?: number;
}

/** Offsets of the fields tests patch. */
export const NT = 0x80;
export const OPT = NT + 24;
export const SECTION_TABLE = OPT + 240;

/** A PE32+ (x64, native subsystem) file with the given layout; section contents are left zero for the caller to fill. */
export function buildPe(o: CraftOptions): Uint8Array {
  const sizeOfHeaders = o.sizeOfHeaders ?? 0x400;
  const minSize = SECTION_TABLE + 40 * o.sections.length;
  const b = new Uint8Array(Math.max(o.fileSize, minSize));
  const dv = new DataView(b.buffer);
  b.set([0x4d, 0x5a]);
  dv.setUint32(0x3c, NT, true);
  dv.setUint32(NT, 0x00004550, true);
  dv.setUint16(NT + 4, 0x8664, true);
  dv.setUint16(NT + 6, o.sections.length, true);
  dv.setUint16(NT + 20, 240, true);
  dv.setUint16(NT + 22, o.characteristics ?? 0x2022, true);
  dv.setUint16(OPT, 0x20b, true);
  dv.setUint32(OPT + 16, o.entryRva ?? o.sections[0]?.rva ?? 0, true);
  dv.setBigUint64(OPT + 24, IMAGE_BASE_X64, true);
  dv.setUint32(OPT + 32, o.sectionAlignment ?? PAGE, true);
  dv.setUint32(OPT + 36, o.fileAlignment ?? 0x200, true);
  dv.setUint32(OPT + 56, o.sizeOfImage, true);
  dv.setUint32(OPT + 60, sizeOfHeaders, true);
  dv.setUint16(OPT + 68, 1, true); // native: a driver
  dv.setUint32(OPT + 108, 16, true);
  for (const [i, d] of Object.entries(o.directories ?? {})) {
    dv.setUint32(OPT + 112 + 8 * Number(i), d.rva, true);
    dv.setUint32(OPT + 112 + 8 * Number(i) + 4, d.size, true);
  }
  o.sections.forEach((s, i) => {
    const at = SECTION_TABLE + 40 * i;
    for (let c = 0; c < Math.min(8, s.name.length); c++) b[at + c] = s.name.charCodeAt(c);
    dv.setUint32(at + 8, s.virtualSize, true);
    dv.setUint32(at + 12, s.rva, true);
    dv.setUint32(at + 16, s.rawSize, true);
    dv.setUint32(at + 20, s.rawOffset, true);
    dv.setUint32(at + 36, s.characteristics, true);
  });
  return b;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Fills [at, at+size) with DIR64 relocation blocks for `page`, each `blockSize` bytes, entries walking the page. */
function writeRelocBlocks(b: Uint8Array, at: number, size: number, page: number, blockSize: number): void {
  const dv = new DataView(b.buffer);
  for (let p = at; p + blockSize <= at + size; p += blockSize) {
    dv.setUint32(p, page, true);
    dv.setUint32(p + 4, blockSize, true);
    for (let e = 8; e < blockSize; e += 2) dv.setUint16(p + e, (10 << 12) | ((e * 4) & 0xff8), true);
  }
}

/**
 * The shape of the report: `count` sections (default as many as the file's headers hold) all mapping the same
 * raw bytes, one relocation block, at overlapping RVAs; each section's zero-filled tail is covered by the next one,
 * so to a loader that lets later sections win, the relocation directory is `count` copies of that one block.
 * Windows refuses it (over 96 sections; sections overlapping); kdemu must say so at once.
 */
export function overlappingSectionsPe(fileSize: number, count?: number): Uint8Array {
  const block = 0x1000;
  // Unless told otherwise, the section table takes all of the file but the block.
  const n = count ?? Math.min(0xffff, Math.max(2, Math.floor((fileSize - block - 0x200 - SECTION_TABLE) / 40)));
  const sizeOfHeaders = alignUp(SECTION_TABLE + 40 * n, 0x200);
  const raw = alignUp(sizeOfHeaders, 0x200);
  const firstRva = alignUp(sizeOfHeaders, PAGE);
  const sections: CraftSection[] = [];
  for (let i = 0; i < n; i++) {
    sections.push({ name: `.r${i}`, rva: firstRva + i * block, virtualSize: 2 * block, rawOffset: raw, rawSize: block, characteristics: SCN_RDATA });
  }
  const sizeOfImage = firstRva + (n + 1) * block;
  const b = buildPe({
    fileSize: Math.max(fileSize, raw + block),
    sections,
    sizeOfImage,
    sizeOfHeaders,
    directories: { 5: { rva: firstRva, size: n * block } },
  });
  writeRelocBlocks(b, raw, block, firstRva, block);
  return b;
}

/** A valid layout helper: headers, then sections placed back to back (RVAs and raw offsets aligned) from their sizes. */
export function contiguous(
  specs: { name: string; virtualSize: number; rawSize: number; characteristics: number; rawOffset?: number }[],
  sizeOfHeaders = 0x400,
): { sections: CraftSection[]; sizeOfImage: number; fileEnd: number } {
  let rva = alignUp(sizeOfHeaders, PAGE);
  let raw = alignUp(sizeOfHeaders, 0x200);
  const sections: CraftSection[] = [];
  for (const s of specs) {
    const rawOffset = s.rawSize === 0 ? 0 : (s.rawOffset ?? raw);
    sections.push({ name: s.name, rva, virtualSize: s.virtualSize, rawOffset, rawSize: s.rawSize, characteristics: s.characteristics });
    rva += alignUp(Math.max(s.virtualSize, 1), PAGE);
    if (s.rawSize !== 0 && s.rawOffset === undefined) raw += alignUp(s.rawSize, 0x200);
  }
  return { sections, sizeOfImage: rva, fileEnd: raw };
}

/** `copies` sections in a row, each mapping the same `rawSize` bytes right after the headers (Windows allows shared raw data). */
function sharedRaw(
  fileSize: number,
  copies: number,
  characteristics = SCN_DATA,
): { first: number; rawSize: number; rawStart: number; sizeOfHeaders: number; sections: CraftSection[]; sizeOfImage: number } {
  const sizeOfHeaders = alignUp(SECTION_TABLE + 40 * copies, PAGE);
  const rawStart = sizeOfHeaders;
  const rawSize = alignUp(Math.max(fileSize - rawStart, PAGE), PAGE);
  const { sections, sizeOfImage } = contiguous(
    Array.from({ length: copies }, (_, i) => ({ name: `.s${i}`, virtualSize: rawSize, rawSize, rawOffset: rawStart, characteristics })),
    sizeOfHeaders,
  );
  return { first: sections[0]!.rva, rawSize, rawStart, sizeOfHeaders, sections, sizeOfImage };
}

/** A file whose sections are laid out by sharedRaw, with the given data directories. */
function sharedRawPe(l: ReturnType<typeof sharedRaw>, directories: CraftOptions['directories']): Uint8Array {
  return buildPe({ fileSize: l.rawStart + l.rawSize, sections: l.sections, sizeOfImage: l.sizeOfImage, sizeOfHeaders: l.sizeOfHeaders, directories });
}

/** 96 sections sharing raw bytes that are all relocation blocks: the relocation directory is 96 copies of the file. */
export function sharedRelocationsPe(fileSize: number): Uint8Array {
  const l = sharedRaw(fileSize, 96);
  const b = sharedRawPe(l, { 5: { rva: l.first, size: 96 * l.rawSize } });
  writeRelocBlocks(b, l.rawStart, l.rawSize, l.first, PAGE);
  return b;
}

const LONG_NAME = 'DbgPrint' + 'x'.repeat(4000);

/** One section: an import descriptor, then as many thunks as fit, every one naming the same 4 KB hint/name. */
export function sharedImportNamePe(fileSize: number): Uint8Array {
  const l = sharedRaw(fileSize, 1);
  const b = sharedRawPe(l, { 1: { rva: l.first, size: 40 } });
  const dv = new DataView(b.buffer);
  const thunks = 0x1100;
  dv.setUint32(l.rawStart, l.first + thunks, true);
  dv.setUint32(l.rawStart + 12, l.first + 0x40, true);
  dv.setUint32(l.rawStart + 16, l.first + thunks, true);
  b.set(new TextEncoder().encode('ntoskrnl.exe'), l.rawStart + 0x40);
  b.set(new TextEncoder().encode(LONG_NAME), l.rawStart + 0x102);
  for (let at = l.rawStart + thunks; at + 16 <= b.length; at += 8) dv.setBigUint64(at, BigInt(l.first + 0x100), true);
  return b;
}

/** One section: thunks naming successive suffixes of one long string (distinct RVAs, overlapping bytes). */
export function suffixImportNamesPe(fileSize: number): Uint8Array {
  const l = sharedRaw(fileSize, 1);
  const b = sharedRawPe(l, { 1: { rva: l.first, size: 40 } });
  const dv = new DataView(b.buffer);
  const half = alignUp(l.rawSize / 2, 8);
  dv.setUint32(l.rawStart, l.first + half, true);
  dv.setUint32(l.rawStart + 12, l.first + 0x40, true);
  dv.setUint32(l.rawStart + 16, l.first + half, true);
  b.set(new TextEncoder().encode('ntoskrnl.exe'), l.rawStart + 0x40);
  // The string runs from 0x100 to `half` (no NUL until then); thunk i names the suffix starting i bytes in.
  b.fill(0x41, l.rawStart + 0x100, l.rawStart + half - 1);
  let i = 0;
  for (let at = l.rawStart + half; at + 16 <= b.length && 0x100 + i < half - 2; at += 8, i++) dv.setBigUint64(at, BigInt(l.first + 0xfe + i), true);
  return b;
}

/** One section: an export directory whose every name points at the same 4 KB string. */
export function sharedExportNamePe(fileSize: number): Uint8Array {
  const l = sharedRaw(fileSize, 1);
  const n = Math.floor((l.rawSize - 0x1200) / 10);
  const b = sharedRawPe(l, { 0: { rva: l.first, size: 40 } });
  const dv = new DataView(b.buffer);
  const e = l.rawStart;
  const tables = 0x1200;
  b.set(new TextEncoder().encode(LONG_NAME), l.rawStart + 0x100);
  dv.setUint32(e + 16, 1, true);
  dv.setUint32(e + 20, n, true);
  dv.setUint32(e + 24, n, true);
  dv.setUint32(e + 28, l.first + tables, true);
  dv.setUint32(e + 32, l.first + tables + 4 * n, true);
  dv.setUint32(e + 36, l.first + tables + 8 * n, true);
  for (let i = 0; i < n; i++) {
    dv.setUint32(e + tables + 4 * i, l.first + 0x80, true);
    dv.setUint32(e + tables + 4 * n + 4 * i, l.first + 0x100, true);
    dv.setUint16(e + tables + 8 * n + 2 * i, i, true);
  }
  return b;
}

/** An x64 exception directory (.pdata) filling the file, with as many RUNTIME_FUNCTIONs as fit, `copies` times over in memory. */
export function fullPdataPe(fileSize: number, copies = 1): Uint8Array {
  const l = sharedRaw(fileSize, copies, SCN_CODE);
  const b = sharedRawPe(l, { 3: { rva: l.first, size: copies * l.rawSize } });
  const dv = new DataView(b.buffer);
  // Every word the same RVA (begin = end = unwind data), so entries stay valid where a copy boundary cuts them.
  for (let i = 0; i < l.rawSize / 4; i++) dv.setUint32(l.rawStart + 4 * i, l.first, true);
  return b;
}

/**
 * One section holding an import directory with one descriptor per entry of `counts` (that many thunks each), every
 * DLL named ntoskrnl.exe and every thunk naming the same hint/name (`nameLength` bytes of 'I').
 */
export function importsPe(counts: number[], nameLength = 12): Uint8Array {
  const descriptors = 20 * (counts.length + 1);
  const dllName = alignUp(descriptors, 16);
  const hintName = dllName + 16;
  const thunks = alignUp(hintName + 2 + nameLength + 1, 8);
  const size = thunks + 8 * counts.reduce((a, n) => a + n + 1, 0);
  const l = sharedRaw(SECTION_TABLE + size + PAGE, 1);
  const b = sharedRawPe(l, { 1: { rva: l.first, size: descriptors } });
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode('ntoskrnl.exe'), l.rawStart + dllName);
  b.fill(0x49, l.rawStart + hintName + 2, l.rawStart + hintName + 2 + nameLength);
  let at = thunks;
  counts.forEach((count, d) => {
    dv.setUint32(l.rawStart + 20 * d, l.first + at, true);
    dv.setUint32(l.rawStart + 20 * d + 12, l.first + dllName, true);
    dv.setUint32(l.rawStart + 20 * d + 16, l.first + at, true);
    for (let i = 0; i < count; i++, at += 8) dv.setBigUint64(l.rawStart + at, BigInt(l.first + hintName), true);
    at += 8; // the null thunk ending this DLL's list
  });
  return b;
}

/**
 * As many imports as the file holds (up to kdemu's caps), split over DLLs of 16,384 and all naming one short
 * hint/name, so they stay within the name budget: the most work `kdemu info` can be given.
 */
export function manyImportsPe(fileSize: number): Uint8Array {
  const total = Math.min(65_536, Math.floor((fileSize - 0x2000) / 8));
  const counts: number[] = [];
  for (let left = total; left > 0; left -= 16_384) counts.push(Math.min(16_384, left));
  return importsPe(counts);
}

/** As many exports as ordinals allow (or the file holds), each with a name, all names one short string. */
export function manyExportsPe(fileSize: number, nameLength = 12): Uint8Array {
  const l = sharedRaw(fileSize, 1);
  const tables = 0x1000;
  const n = Math.min(65_536, Math.floor((l.rawSize - tables) / 10));
  const b = sharedRawPe(l, { 0: { rva: l.first, size: 40 } });
  const dv = new DataView(b.buffer);
  const e = l.rawStart;
  b.set(new TextEncoder().encode('E'.repeat(nameLength)), e + 0x100);
  dv.setUint32(e + 16, 1, true);
  dv.setUint32(e + 20, n, true);
  dv.setUint32(e + 24, n, true);
  dv.setUint32(e + 28, l.first + tables, true);
  dv.setUint32(e + 32, l.first + tables + 4 * n, true);
  dv.setUint32(e + 36, l.first + tables + 8 * n, true);
  for (let i = 0; i < n; i++) {
    dv.setUint32(e + tables + 4 * i, l.first + 0x80, true);
    dv.setUint32(e + tables + 4 * n + 4 * i, l.first + 0x100, true);
    dv.setUint16(e + tables + 8 * n + 2 * i, i, true);
  }
  return b;
}

/**
 * One relocation block of the most entries kdemu allows, all padding: the file's bytes after the block header are
 * zeros, and the block runs on through the section's zero fill.
 */
export function paddedRelocationsPe(fileSize: number): Uint8Array {
  const blockSize = 8 + 2 * 4_194_304;
  const rawSize = alignUp(Math.max(fileSize - 0x400, 0x200), 0x200);
  const { sections, sizeOfImage } = contiguous([{ name: '.reloc', virtualSize: alignUp(blockSize, PAGE), rawSize, characteristics: SCN_RDATA }]);
  const b = buildPe({ fileSize: 0x400 + rawSize, sections, sizeOfImage, directories: { 5: { rva: sections[0]!.rva, size: blockSize } } });
  const dv = new DataView(b.buffer);
  dv.setUint32(0x400, sections[0]!.rva, true);
  dv.setUint32(0x404, blockSize, true);
  return b;
}

/** Every hostile shape, by name, for a file of about `fileSize` bytes. */
export const WORST_CASES: Record<string, (fileSize: number) => Uint8Array> = {
  'overlapping sections sharing one relocation block': (size) => overlappingSectionsPe(size),
  '96 overlapping sections sharing one relocation block': (size) => overlappingSectionsPe(size, 96),
  '96 sections sharing a file of relocation blocks': sharedRelocationsPe,
  'a relocation block of 4M padding entries, in the file and in zero fill': paddedRelocationsPe,
  'import thunks sharing one 4 KB name': sharedImportNamePe,
  'import names that are suffixes of one string': suffixImportNamesPe,
  'export names sharing one 4 KB string': sharedExportNamePe,
  'a file-sized .pdata': (size) => fullPdataPe(size),
  'as many imports as the caps allow': manyImportsPe,
  'as many exports as the caps allow': (size) => manyExportsPe(size),
};

/** A small valid driver layout: .text, .data and a .bss without file data, back to back after 0x400 bytes of headers. */
export function smallPe(patch?: (o: CraftOptions) => void): Uint8Array {
  const { sections, sizeOfImage, fileEnd } = contiguous([
    { name: '.text', virtualSize: 0x1200, rawSize: 0x1200, characteristics: SCN_CODE },
    { name: '.data', virtualSize: 0x300, rawSize: 0x200, characteristics: SCN_DATA },
    { name: '.bss', virtualSize: 0x2000, rawSize: 0, characteristics: SCN_DATA },
  ]);
  const o: CraftOptions = { fileSize: fileEnd, sections, sizeOfImage };
  patch?.(o);
  return buildPe(o);
}

/** A relocation directory of `blocks` empty 8-byte blocks (legal: a block may hold no entries). */
export function emptyRelocationBlocksPe(blocks: number): Uint8Array {
  const l = sharedRaw(SECTION_TABLE + 8 * blocks + PAGE, 1);
  const b = sharedRawPe(l, { 5: { rva: l.first, size: 8 * blocks } });
  const dv = new DataView(b.buffer);
  for (let i = 0; i < blocks; i++) {
    dv.setUint32(l.rawStart + 8 * i, l.first, true);
    dv.setUint32(l.rawStart + 8 * i + 4, 8, true);
  }
  return b;
}

/** One relocation block of `entries` entries whose header is in the file and whose entries lie in zero fill (padding). */
export function paddedRelocationBlockPe(entries: number): Uint8Array {
  const blockSize = 8 + 2 * entries;
  const { sections, sizeOfImage } = contiguous([{ name: '.reloc', virtualSize: alignUp(blockSize, PAGE), rawSize: 0x200, characteristics: SCN_RDATA }]);
  const b = buildPe({ fileSize: 0x600, sections, sizeOfImage, directories: { 5: { rva: sections[0]!.rva, size: blockSize } } });
  const dv = new DataView(b.buffer);
  dv.setUint32(0x400, sections[0]!.rva, true);
  dv.setUint32(0x404, blockSize, true);
  return b;
}
