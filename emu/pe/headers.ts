// Parsing of the PE headers: DOS header, NT signature, file header, optional header, data directories and section table.
import { PeFormatError, hex, invalidImage, pastEof } from './errors.js';
import { MAX_FILE_SIZE, MAX_SECTIONS, MAX_SIZE_OF_IMAGE, tooLarge } from './limits.js';
import { checkSectionLayout, readSectionTable } from './sections.js';
import { PAGE_SIZE, type Arch, type DataDirectory, type PeSection } from './types.js';

export const IMAGE_FILE_MACHINE_I386 = 0x14c;
export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;

export const IMAGE_FILE_RELOCS_STRIPPED = 0x0001;
export const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
export const IMAGE_FILE_DLL = 0x2000;

const MACHINE_NAMES: Record<number, string> = {
  0x14c: 'i386',
  0x8664: 'AMD64',
  0x1c0: 'ARM',
  0x1c2: 'ARM Thumb',
  0x1c4: 'ARMv7 Thumb-2',
  0xaa64: 'ARM64',
  0xa641: 'ARM64EC',
  0x200: 'IA-64',
  0xebc: 'EFI byte code',
  0x166: 'MIPS',
  0x1f0: 'PowerPC',
  0x5032: 'RISC-V 32',
  0x5064: 'RISC-V 64',
  0x6232: 'LoongArch 32',
  0x6264: 'LoongArch 64',
};

const SUBSYSTEM_NAMES: Record<number, string> = {
  0: 'unknown',
  1: 'native',
  2: 'windows-gui',
  3: 'windows-cui',
  5: 'os2-cui',
  7: 'posix-cui',
  8: 'native-windows',
  9: 'windows-ce-gui',
  10: 'efi-application',
  11: 'efi-boot-service-driver',
  12: 'efi-runtime-driver',
  13: 'efi-rom',
  14: 'xbox',
  16: 'windows-boot-application',
};

export function subsystemNameOf(subsystem: number): string {
  return SUBSYSTEM_NAMES[subsystem] ?? `subsystem-${subsystem}`;
}

export interface PeHeaders {
  arch: Arch;
  machine: number;
  ntHeadersOffset: number;
  characteristics: number;
  timestamp: number;
  imageBase: bigint;
  entryRva: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  sectionAlignment: number;
  fileAlignment: number;
  subsystem: number;
  dllCharacteristics: number;
  checksum: number;
  dataDirectories: DataDirectory[];
  sections: PeSection[];
}

const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));

export function parseHeaders(bytes: Uint8Array): PeHeaders {
  const len = bytes.length;
  if (len === 0) throw new PeFormatError('not a PE file: the file is empty');
  if (len > MAX_FILE_SIZE) throw tooLarge('the file', len, MAX_FILE_SIZE);
  if (len < 2 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) {
    throw new PeFormatError('not a PE file: missing MZ signature');
  }
  if (len < 0x40) {
    throw new PeFormatError(`not a PE file: too small (${len} bytes) to hold a DOS header (64 bytes)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const nt = dv.getUint32(0x3c, true);
  if (nt + 4 > len) {
    throw new PeFormatError(`not a PE file: e_lfanew ${hex(nt)} points past the end of the file (${hex(len)} bytes)`);
  }
  if (dv.getUint32(nt, true) !== 0x00004550) {
    throw new PeFormatError(`not a PE file: no "PE\\0\\0" signature at e_lfanew ${hex(nt)}`);
  }
  const fh = nt + 4;
  if (fh + 20 > len) throw new PeFormatError(`truncated PE: file header ${pastEof(fh + 20, len)}`);
  const machine = dv.getUint16(fh, true);
  if (machine !== IMAGE_FILE_MACHINE_I386 && machine !== IMAGE_FILE_MACHINE_AMD64) {
    const known = MACHINE_NAMES[machine];
    throw new PeFormatError(
      `unsupported machine ${hex(machine)}${known ? ` (${known})` : ''}: only i386 (0x14C) and AMD64 (0x8664) are supported`,
    );
  }
  const arch: Arch = machine === IMAGE_FILE_MACHINE_AMD64 ? 'x64' : 'x86';
  const numberOfSections = dv.getUint16(fh + 2, true);
  const timestamp = dv.getUint32(fh + 4, true);
  const sizeOfOptionalHeader = dv.getUint16(fh + 16, true);
  const characteristics = dv.getUint16(fh + 18, true);

  const opt = fh + 20;
  if (opt + 2 > len) throw new PeFormatError(`truncated PE: optional header ${pastEof(opt + 2, len)}`);
  const magic = dv.getUint16(opt, true);
  if (magic !== 0x10b && magic !== 0x20b) {
    throw new PeFormatError(`bad optional header magic ${hex(magic)} (expected 0x10B for PE32 or 0x20B for PE32+)`);
  }
  const pe64 = magic === 0x20b;
  if (pe64 !== (arch === 'x64')) {
    throw new PeFormatError(
      `optional header magic ${hex(magic)} (${pe64 ? 'PE32+' : 'PE32'}) does not match machine ${hex(machine)} (${MACHINE_NAMES[machine]})`,
    );
  }
  const fixedSize = pe64 ? 112 : 96;
  if (sizeOfOptionalHeader < fixedSize) {
    throw new PeFormatError(
      `truncated optional header: SizeOfOptionalHeader ${hex(sizeOfOptionalHeader)} is smaller than the ${hex(fixedSize)} bytes ${pe64 ? 'PE32+' : 'PE32'} needs`,
    );
  }
  if (opt + fixedSize > len) throw new PeFormatError(`truncated PE: optional header ${pastEof(opt + fixedSize, len)}`);

  const entryRva = dv.getUint32(opt + 16, true);
  const imageBase = pe64 ? dv.getBigUint64(opt + 24, true) : BigInt(dv.getUint32(opt + 28, true));
  const sectionAlignment = dv.getUint32(opt + 32, true);
  const fileAlignment = dv.getUint32(opt + 36, true);
  const sizeOfImage = dv.getUint32(opt + 56, true);
  const sizeOfHeaders = dv.getUint32(opt + 60, true);
  const checksum = dv.getUint32(opt + 64, true);
  const subsystem = dv.getUint16(opt + 68, true);
  const dllCharacteristics = dv.getUint16(opt + 70, true);
  const numberOfRvaAndSizes = dv.getUint32(opt + (pe64 ? 108 : 92), true);

  // Directories beyond 16, or beyond what SizeOfOptionalHeader holds, do not exist as far as the loader is concerned.
  const dirCount = Math.min(numberOfRvaAndSizes, 16, Math.floor((sizeOfOptionalHeader - fixedSize) / 8));
  const dirStart = opt + fixedSize;
  if (dirStart + dirCount * 8 > len) {
    throw new PeFormatError(`truncated PE: data directory table ${pastEof(dirStart + dirCount * 8, len)}`);
  }
  const dataDirectories: DataDirectory[] = [];
  for (let i = 0; i < dirCount; i++) {
    dataDirectories.push({ rva: dv.getUint32(dirStart + 8 * i, true), size: dv.getUint32(dirStart + 8 * i + 4, true) });
  }

  if ((characteristics & IMAGE_FILE_EXECUTABLE_IMAGE) === 0) {
    throw invalidImage(`IMAGE_FILE_EXECUTABLE_IMAGE is not set in the file header's Characteristics (${hex(characteristics)})`);
  }
  if (numberOfSections > MAX_SECTIONS) {
    throw invalidImage(`too many sections: ${numberOfSections} (Windows' limit is ${MAX_SECTIONS})`);
  }
  const sectionTable = opt + sizeOfOptionalHeader;
  const sectionTableEnd = sectionTable + numberOfSections * 40;
  if (sectionTableEnd > len) {
    throw new PeFormatError(`truncated PE: section table (${numberOfSections} sections) ${pastEof(sectionTableEnd, len)}`);
  }

  if (sizeOfImage === 0) throw new PeFormatError('SizeOfImage is 0');
  if (sizeOfImage > MAX_SIZE_OF_IMAGE) throw tooLarge('SizeOfImage', sizeOfImage, MAX_SIZE_OF_IMAGE, ` ${hex(sizeOfImage)}`);
  if (imageBase % 0x10000n !== 0n) {
    throw invalidImage(`ImageBase ${hex(imageBase)} is not a multiple of 64 KiB`);
  }
  if (imageBase + BigInt(sizeOfImage) > (pe64 ? 1n << 64n : 1n << 32n)) {
    throw new PeFormatError(
      `ImageBase ${hex(imageBase)} + SizeOfImage ${hex(sizeOfImage)} ends past the ${pe64 ? '64' : '32'}-bit address space`,
    );
  }
  if (!isPowerOfTwo(sectionAlignment)) {
    throw invalidImage(`SectionAlignment ${hex(sectionAlignment)} is not a power of two`);
  }
  if (!isPowerOfTwo(fileAlignment)) {
    throw invalidImage(`FileAlignment ${hex(fileAlignment)} is not a power of two`);
  }
  if (fileAlignment > sectionAlignment) {
    throw invalidImage(`FileAlignment ${hex(fileAlignment)} is larger than SectionAlignment ${hex(sectionAlignment)}`);
  }
  if (fileAlignment % 0x200 !== 0 && fileAlignment !== sectionAlignment) {
    throw invalidImage(`FileAlignment ${hex(fileAlignment)} is neither a multiple of 0x200 nor equal to SectionAlignment ${hex(sectionAlignment)}`);
  }
  if (sectionAlignment < PAGE_SIZE && fileAlignment !== sectionAlignment) {
    // Windows maps such images straight from the file, which only works when both alignments agree.
    throw invalidImage(
      `SectionAlignment ${hex(sectionAlignment)} is below the page size, so FileAlignment (${hex(fileAlignment)}) must equal it`,
    );
  }
  if (sizeOfHeaders > len) {
    throw new PeFormatError(`truncated PE: header area (SizeOfHeaders ${hex(sizeOfHeaders)}) ${pastEof(sizeOfHeaders, len)}`);
  }
  if (sizeOfHeaders >= sizeOfImage) {
    throw invalidImage(`SizeOfHeaders ${hex(sizeOfHeaders)} is not smaller than SizeOfImage ${hex(sizeOfImage)}`);
  }
  if (sectionTableEnd > sizeOfHeaders) {
    // The loader only maps SizeOfHeaders bytes of headers; a section table beyond them would be lost.
    throw new PeFormatError(
      `SizeOfHeaders ${hex(sizeOfHeaders)} does not cover the section table, which ends at ${hex(sectionTableEnd)}`,
    );
  }
  if (entryRva >= sizeOfImage) {
    throw new PeFormatError(`entry point RVA ${hex(entryRva)} is outside the image (SizeOfImage ${hex(sizeOfImage)})`);
  }

  const sections = readSectionTable(bytes, sectionTable, numberOfSections);
  checkSectionLayout(sections, { sizeOfImage, sizeOfHeaders, sectionAlignment }, len);

  // The certificate table (directory 4) is the one directory addressed by file offset, not RVA.
  const cert = dataDirectories[4];
  if (cert && cert.rva !== 0 && cert.rva + cert.size > len) {
    throw new PeFormatError(`truncated PE: certificate table (data directory 4) ${pastEof(cert.rva + cert.size, len)}`);
  }

  return {
    arch,
    machine,
    ntHeadersOffset: nt,
    characteristics,
    timestamp,
    imageBase,
    entryRva,
    sizeOfImage,
    sizeOfHeaders,
    sectionAlignment,
    fileAlignment,
    subsystem,
    dllCharacteristics,
    checksum,
    dataDirectories,
    sections,
  };
}
