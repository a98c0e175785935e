// PE mutations for the fuzzer: a light header walker of its own (independent of kdemu's loader, so a loader bug cannot
// hide a mutation) and structure-aware mutators: header fields, sections, data directories, import descriptors and
// names, relocation blocks, truncation, duplicated sections, and plain byte flips.

import type { Rng } from './rng.js';

export interface PeLayout {
  peOff: number;
  fileHdr: number;
  numSections: number;
  optOff: number;
  sizeOfOpt: number;
  pe32plus: boolean;
  ddOff: number;
  numDirs: number;
  secOff: number;
  sections: { hdr: number; va: number; vsize: number; rawSize: number; rawPtr: number }[];
  sizeOfHeaders: number;
  sizeOfImage: number;
}

const u16 = (b: Uint8Array, o: number): number => (o + 2 <= b.length ? b[o]! | (b[o + 1]! << 8) : 0);
const u32 = (b: Uint8Array, o: number): number => (o + 4 <= b.length ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0 : 0);

function w16(b: Uint8Array, o: number, v: number): void {
  if (o < 0 || o + 2 > b.length) return;
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

function w32(b: Uint8Array, o: number, v: number): void {
  if (o < 0 || o + 4 > b.length) return;
  v >>>= 0;
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = v >>> 24;
}

/** The header layout, or null when the bytes are no longer a PE this walker can follow. */
export function peLayout(b: Uint8Array): PeLayout | null {
  if (b.length < 0x40 || b[0] !== 0x4d || b[1] !== 0x5a) return null;
  const peOff = u32(b, 0x3c);
  if (peOff + 24 > b.length || u32(b, peOff) !== 0x4550) return null;
  const fileHdr = peOff + 4;
  const numSections = u16(b, fileHdr + 2);
  const sizeOfOpt = u16(b, fileHdr + 16);
  const optOff = fileHdr + 20;
  const magic = u16(b, optOff);
  const pe32plus = magic === 0x20b;
  if (magic !== 0x10b && magic !== 0x20b) return null;
  const ddOff = optOff + (pe32plus ? 112 : 96);
  const numDirs = Math.min(16, u32(b, optOff + (pe32plus ? 108 : 92)));
  const secOff = optOff + sizeOfOpt;
  const sections: PeLayout['sections'] = [];
  for (let i = 0; i < Math.min(numSections, 96); i++) {
    const h = secOff + i * 40;
    if (h + 40 > b.length) break;
    sections.push({ hdr: h, va: u32(b, h + 12), vsize: u32(b, h + 8), rawSize: u32(b, h + 16), rawPtr: u32(b, h + 20) });
  }
  return {
    peOff,
    fileHdr,
    numSections,
    optOff,
    sizeOfOpt,
    pe32plus,
    ddOff,
    numDirs,
    secOff,
    sections,
    sizeOfHeaders: u32(b, optOff + 60),
    sizeOfImage: u32(b, optOff + 56),
  };
}

/** File offset of an RVA, through the section table (or the headers); null when outside every section's raw data. */
export function rvaToOff(b: Uint8Array, l: PeLayout, rva: number): number | null {
  if (rva < l.sizeOfHeaders && rva < b.length) return rva;
  for (const s of l.sections) {
    const size = Math.max(s.vsize, s.rawSize);
    if (rva >= s.va && rva < s.va + size) {
      const off = s.rawPtr + (rva - s.va);
      return rva - s.va < s.rawSize && off < b.length ? off : null;
    }
  }
  return null;
}

export function dataDir(b: Uint8Array, l: PeLayout, index: number): { rva: number; size: number; entry: number } | null {
  if (index >= l.numDirs) return null;
  const entry = l.ddOff + index * 8;
  if (entry + 8 > b.length) return null;
  return { rva: u32(b, entry), size: u32(b, entry + 4), entry };
}

const INTERESTING32 = [
  0, 1, 2, 3, 4, 7, 8, 0xf, 0x10, 0x1f, 0x20, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x1ff, 0x200, 0x3ff, 0x400, 0xfff, 0x1000,
  0x1001, 0x2000, 0xffff, 0x10000, 0x100000, 0x1000000, 0x10000000, 0x7ffff000, 0x7fffffff, 0x80000000, 0x80000001,
  0xfffff000, 0xfffffffe, 0xffffffff,
];
const INTERESTING16 = [0, 1, 2, 3, 0x10, 0x20, 0x5f, 0x60, 0x61, 0x7f, 0x80, 0xe0, 0xf0, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];

/** A new value for a 32-bit field: boundary values, small changes of the old one, or noise. */
export function value32(rng: Rng, old: number, scale = 0): number {
  const r = rng.float();
  if (r < 0.35) return rng.pick(INTERESTING32);
  if (r < 0.55) return (old + rng.range(-16, 16)) >>> 0;
  if (r < 0.65) return (old ^ (1 << rng.int(32))) >>> 0;
  if (r < 0.72) return (old * 2) >>> 0;
  if (r < 0.78) return old >>> 1;
  if (r < 0.88 && scale > 0) return rng.int(scale * 2 + 1) >>> 0;
  if (r < 0.93) return ((old & ~0xfff) + rng.pick([0, 0x1000, -0x1000, 0x10000])) >>> 0;
  return rng.u32();
}

export function value16(rng: Rng, old: number): number {
  const r = rng.float();
  if (r < 0.5) return rng.pick(INTERESTING16);
  if (r < 0.8) return (old + rng.range(-4, 4)) & 0xffff;
  if (r < 0.9) return (old ^ (1 << rng.int(16))) & 0xffff;
  return rng.int(0x10000);
}

/** The mutators: each changes the image (possibly its length) and says what it did. */
type Mutator = (b: Uint8Array, l: PeLayout, rng: Rng, ctx: MutationContext) => { bytes: Uint8Array; what: string } | null;

export interface MutationContext {
  /** Names of exports kdemu implements (import names are sometimes renamed to one of them). */
  exportNames: string[];
}

function fileHeaderField(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } {
  const fields: [string, number, 2 | 4][] = [
    ['Machine', 0, 2],
    ['NumberOfSections', 2, 2],
    ['PointerToSymbolTable', 8, 4],
    ['NumberOfSymbols', 12, 4],
    ['SizeOfOptionalHeader', 16, 2],
    ['Characteristics', 18, 2],
  ];
  const [name, off, size] = rng.pick(fields);
  const at = l.fileHdr + off;
  if (size === 2) {
    let v = value16(rng, u16(b, at));
    if (name === 'Machine' && rng.chance(0.5)) v = rng.pick([0x14c, 0x8664, 0x1c0, 0xaa64, 0x200, 0]);
    if (name === 'NumberOfSections' && rng.chance(0.5)) v = rng.pick([0, 1, l.numSections - 1, l.numSections + 1, 96, 97, 0xffff]) & 0xffff;
    if (name === 'Characteristics' && rng.chance(0.6)) v = u16(b, at) ^ (1 << rng.int(16));
    w16(b, at, v);
    return { bytes: b, what: `FileHeader.${name} := 0x${v.toString(16)}` };
  }
  const v = value32(rng, u32(b, at), b.length);
  w32(b, at, v);
  return { bytes: b, what: `FileHeader.${name} := 0x${v.toString(16)}` };
}

function optionalHeaderField(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } {
  const p = l.pe32plus;
  const fields: [string, number, 2 | 4 | 8][] = [
    ['Magic', 0, 2],
    ['SizeOfCode', 4, 4],
    ['AddressOfEntryPoint', 16, 4],
    ['BaseOfCode', 20, 4],
    ['ImageBase', p ? 24 : 28, p ? 8 : 4],
    ['SectionAlignment', 32, 4],
    ['FileAlignment', 36, 4],
    ['MajorSubsystemVersion', 48, 2],
    ['SizeOfImage', 56, 4],
    ['SizeOfHeaders', 60, 4],
    ['CheckSum', 64, 4],
    ['Subsystem', 68, 2],
    ['DllCharacteristics', 70, 2],
    ['SizeOfStackReserve', 72, p ? 8 : 4],
    ['SizeOfHeapReserve', p ? 88 : 80, p ? 8 : 4],
    ['LoaderFlags', p ? 104 : 88, 4],
    ['NumberOfRvaAndSizes', p ? 108 : 92, 4],
  ];
  const [name, off, size] = rng.pick(fields);
  const at = l.optOff + off;
  const old = u32(b, at);
  if (size === 2) {
    let v = value16(rng, u16(b, at));
    if (name === 'Magic' && rng.chance(0.6)) v = rng.pick([0x10b, 0x20b, 0x107, 0]);
    if (name === 'Subsystem' && rng.chance(0.6)) v = rng.pick([0, 1, 2, 3, 9, 10, 11, 16]);
    w16(b, at, v);
    return { bytes: b, what: `OptionalHeader.${name} := 0x${v.toString(16)}` };
  }
  let v: number;
  if (name === 'SectionAlignment' || name === 'FileAlignment') v = rng.chance(0.6) ? rng.pick([0, 1, 2, 0x10, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x10000, 0x80000000, 0x1001]) : value32(rng, old);
  else if (name === 'NumberOfRvaAndSizes') v = rng.chance(0.7) ? rng.pick([0, 1, 2, 5, 6, 15, 16, 17, 0x100, 0xffffffff]) : value32(rng, old);
  else if (name === 'AddressOfEntryPoint') v = rng.chance(0.5) ? rng.range(0, Math.max(l.sizeOfImage, 1) + 0x10) : value32(rng, old, l.sizeOfImage);
  else v = value32(rng, old, name === 'SizeOfImage' || name === 'SizeOfHeaders' ? l.sizeOfImage : b.length);
  w32(b, at, v);
  if (size === 8 && rng.chance(0.5)) w32(b, at + 4, rng.pick([0, 0xffffffff, 0xfffff800, 0x80000000, 1, rng.u32()]));
  return { bytes: b, what: `OptionalHeader.${name} := 0x${v.toString(16)}` };
}

function sectionField(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } | null {
  if (l.sections.length === 0) return null;
  const i = rng.int(l.sections.length);
  const s = l.sections[i]!;
  const fields: [string, number][] = [
    ['Name', 0],
    ['VirtualSize', 8],
    ['VirtualAddress', 12],
    ['SizeOfRawData', 16],
    ['PointerToRawData', 20],
    ['PointerToRelocations', 24],
    ['NumberOfRelocations', 32],
    ['Characteristics', 36],
  ];
  const [name, off] = rng.pick(fields);
  const at = s.hdr + off;
  if (name === 'Name') {
    const n = rng.pick(['.text\0\0\0', 'INIT\0\0\0\0', '.reloc\0\0', '.idata\0\0', 'PAGE\0\0\0\0', '\0\0\0\0\0\0\0\0', '\xff'.repeat(8), 'ABCDEFGH']);
    for (let k = 0; k < 8; k++) b[at + k] = n.charCodeAt(k) & 0xff;
    return { bytes: b, what: `section[${i}].Name := ${JSON.stringify(n)}` };
  }
  if (name === 'NumberOfRelocations') {
    const v = value16(rng, u16(b, at));
    w16(b, at, v);
    return { bytes: b, what: `section[${i}].${name} := 0x${v.toString(16)}` };
  }
  let v: number;
  if (name === 'Characteristics') {
    v = rng.chance(0.6) ? (u32(b, at) ^ (1 << rng.int(32))) >>> 0 : rng.pick([0, 0x60000020, 0xc0000040, 0xe0000020, 0x02000000, 0x42000040, 0xffffffff]);
  } else if (name === 'VirtualAddress' && rng.chance(0.5)) {
    // Overlap another section, or go past SizeOfImage.
    const other = rng.pick(l.sections);
    v = rng.pick([other.va, other.va + 0x10, l.sizeOfImage, l.sizeOfImage - 0x1000, 0]) >>> 0;
  } else if (name === 'PointerToRawData' && rng.chance(0.5)) {
    v = rng.pick([0, b.length, b.length - 1, b.length + 0x1000, s.rawPtr + 1, rng.int(b.length)]) >>> 0;
  } else {
    v = value32(rng, u32(b, at), name === 'VirtualAddress' ? l.sizeOfImage : b.length);
  }
  w32(b, at, v);
  return { bytes: b, what: `section[${i}].${name} := 0x${v.toString(16)}` };
}

const DIR_NAMES = ['export', 'import', 'resource', 'exception', 'security', 'basereloc', 'debug', 'arch', 'globalptr', 'tls', 'loadconfig', 'boundimport', 'iat', 'delayimport', 'clr', 'reserved'];

function dataDirField(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } | null {
  const idx = rng.chance(0.6) ? rng.pick([0, 1, 5, 9, 10, 12, 3]) : rng.int(16);
  const d = dataDir(b, l, idx) ?? (l.ddOff + idx * 8 + 8 <= b.length ? { rva: u32(b, l.ddOff + idx * 8), size: u32(b, l.ddOff + idx * 8 + 4), entry: l.ddOff + idx * 8 } : null);
  if (!d) return null;
  const sizeField = rng.chance(0.45);
  const at = d.entry + (sizeField ? 4 : 0);
  let v: number;
  if (!sizeField && rng.chance(0.4)) {
    // Point it at another directory, a section start, the headers or past the image.
    const other = dataDir(b, l, rng.int(l.numDirs || 1));
    const sec = l.sections.length ? rng.pick(l.sections) : undefined;
    v = rng.pick([other?.rva ?? 0, sec?.va ?? 0, 0, 0x40, l.sizeOfImage, l.sizeOfImage - 4, d.rva + 1, d.rva + 4]) >>> 0;
  } else if (sizeField && rng.chance(0.4)) {
    v = rng.pick([0, 1, 4, 8, 20, d.size - 1, d.size + 1, d.size * 2, 0x7fffffff, 0xffffffff]) >>> 0;
  } else {
    v = value32(rng, u32(b, at), l.sizeOfImage);
  }
  w32(b, at, v);
  return { bytes: b, what: `DataDirectory[${DIR_NAMES[idx]}].${sizeField ? 'Size' : 'VirtualAddress'} := 0x${v.toString(16)}` };
}

function importMutation(b: Uint8Array, l: PeLayout, rng: Rng, ctx: MutationContext): { bytes: Uint8Array; what: string } | null {
  const d = dataDir(b, l, 1);
  if (!d || d.rva === 0) return null;
  const off = rvaToOff(b, l, d.rva);
  if (off === null) return null;
  const descs: number[] = [];
  for (let p = off; p + 20 <= b.length && descs.length < 64; p += 20) {
    if (u32(b, p + 12) === 0 && u32(b, p + 16) === 0) break;
    descs.push(p);
  }
  if (descs.length === 0) return null;
  const di = rng.int(descs.length);
  const desc = descs[di]!;
  const thunkSize = l.pe32plus ? 8 : 4;
  const r = rng.float();
  if (r < 0.3) {
    // A descriptor field.
    const fields: [string, number][] = [['OriginalFirstThunk', 0], ['TimeDateStamp', 4], ['ForwarderChain', 8], ['Name', 12], ['FirstThunk', 16]];
    const [name, o] = rng.pick(fields);
    const v = rng.chance(0.3) ? rng.pick([0, 0xffffffff, l.sizeOfImage, u32(b, desc + (o === 0 ? 16 : 0)), d.rva]) >>> 0 : value32(rng, u32(b, desc + o), l.sizeOfImage);
    w32(b, desc + o, v);
    return { bytes: b, what: `import[${di}].${name} := 0x${v.toString(16)}` };
  }
  if (r < 0.4) {
    // Remove the terminator (the next descriptor is whatever follows), or terminate early.
    const last = desc + 20 * (descs.length - di);
    if (rng.chance(0.5)) {
      for (let k = 0; k < 20 && last + k < b.length; k++) b[last + k] = rng.int(256);
      return { bytes: b, what: `import terminator overwritten after ${descs.length} descriptors` };
    }
    b.fill(0, desc, Math.min(b.length, desc + 20));
    return { bytes: b, what: `import[${di}] zeroed (early terminator)` };
  }
  if (r < 0.55) {
    // The DLL name.
    const nameOff = rvaToOff(b, l, u32(b, desc + 12));
    if (nameOff === null) return null;
    const names = ['ntoskrnl.exe', 'HAL.dll', 'NTOSKRNL.EXE', 'ntoskrnl', 'kernel32.dll', 'msvcrt.dll', 'ucrtbase.dll', 'WDFLDR.SYS', 'x', ''];
    const old = cstrLen(b, nameOff);
    const n = rng.chance(0.8) ? rng.pick(names) : String.fromCharCode(...rng.bytes(rng.int(old + 1)).map((c) => (c % 255) + 1));
    if (n.length > old) return null;
    for (let k = 0; k < n.length; k++) b[nameOff + k] = n.charCodeAt(k);
    if (rng.chance(0.9)) b[nameOff + n.length] = 0;
    return { bytes: b, what: `import[${di}] DLL name := ${JSON.stringify(n)}` };
  }
  // A thunk: the lookup table if there is one, else the IAT.
  const table = u32(b, desc) || u32(b, desc + 16);
  const tOff = rvaToOff(b, l, table);
  if (tOff === null) return null;
  const thunks: number[] = [];
  for (let p = tOff; p + thunkSize <= b.length && thunks.length < 512; p += thunkSize) {
    if (u32(b, p) === 0 && (thunkSize === 4 || u32(b, p + 4) === 0)) break;
    thunks.push(p);
  }
  if (thunks.length === 0) return null;
  const ti = rng.int(thunks.length);
  const th = thunks[ti]!;
  const rr = rng.float();
  if (rr < 0.5) {
    // Rename the imported function: to another export kdemu implements (its prototype differs: the driver calls it
    // with the old one's arguments), to an unknown name, or to garbage.
    const hintName = u32(b, th);
    if (thunkSize === 8 && (u32(b, th + 4) & 0x80000000) !== 0) return null;
    if (thunkSize === 4 && (hintName & 0x80000000) !== 0) return null;
    const nOff = rvaToOff(b, l, hintName);
    if (nOff === null) return null;
    const old = cstrLen(b, nOff + 2);
    const fits = ctx.exportNames.filter((n) => n.length <= old);
    const q = rng.float();
    const n = q < 0.7 && fits.length ? rng.pick(fits) : q < 0.85 ? 'KdemuNoSuchExport'.slice(0, old) : String.fromCharCode(...rng.bytes(rng.range(0, old)).map((c) => (c % 255) + 1));
    for (let k = 0; k < n.length; k++) b[nOff + 2 + k] = n.charCodeAt(k);
    b[nOff + 2 + n.length] = 0;
    if (rng.chance(0.2)) w16(b, nOff, rng.int(0x10000));
    return { bytes: b, what: `import[${di}] thunk ${ti} renamed to ${JSON.stringify(n)}` };
  }
  if (rr < 0.7) {
    // Import by ordinal.
    const ord = rng.pick([0, 1, 2, 100, 0xffff, rng.int(0x10000)]);
    if (thunkSize === 8) {
      w32(b, th, ord);
      w32(b, th + 4, 0x80000000);
    } else w32(b, th, (0x80000000 | ord) >>> 0);
    return { bytes: b, what: `import[${di}] thunk ${ti} := ordinal ${ord}` };
  }
  const v = value32(rng, u32(b, th), l.sizeOfImage);
  w32(b, th, v);
  if (thunkSize === 8 && rng.chance(0.3)) w32(b, th + 4, rng.pick([0, 0x7fffffff, 0xffffffff]));
  return { bytes: b, what: `import[${di}] thunk ${ti} := 0x${v.toString(16)}` };
}

function cstrLen(b: Uint8Array, off: number): number {
  let n = 0;
  while (off + n < b.length && b[off + n] !== 0 && n < 256) n++;
  return n;
}

function relocMutation(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } | null {
  const d = dataDir(b, l, 5);
  if (!d || d.rva === 0 || d.size < 8) return null;
  const off = rvaToOff(b, l, d.rva);
  if (off === null) return null;
  const blocks: { at: number; size: number }[] = [];
  for (let p = off; p + 8 <= Math.min(b.length, off + d.size) && blocks.length < 256; ) {
    const size = u32(b, p + 4);
    blocks.push({ at: p, size });
    if (size < 8) break;
    p += size;
  }
  if (blocks.length === 0) return null;
  const bi = rng.int(blocks.length);
  const blk = blocks[bi]!;
  const r = rng.float();
  if (r < 0.25) {
    const v = rng.chance(0.5) ? rng.pick([0, 1, 4, 7, 8, 9, 10, blk.size + 2, blk.size - 2, d.size, d.size + 8, 0x10000, 0xffffffff]) >>> 0 : value32(rng, blk.size, d.size);
    w32(b, blk.at + 4, v);
    return { bytes: b, what: `reloc block ${bi}.SizeOfBlock := 0x${v.toString(16)}` };
  }
  if (r < 0.5) {
    const v = rng.chance(0.5) ? rng.pick([0, l.sizeOfImage, l.sizeOfImage - 0x1000, 0xfffff000, 0x7ffff000, (l.sections.length ? rng.pick(l.sections).va : 0)]) >>> 0 : value32(rng, u32(b, blk.at), l.sizeOfImage);
    w32(b, blk.at, v);
    return { bytes: b, what: `reloc block ${bi}.VirtualAddress := 0x${v.toString(16)}` };
  }
  // An entry: type and offset.
  const n = Math.max(0, Math.min((blk.size - 8) >>> 1, 2048));
  if (n === 0) return null;
  const ei = rng.int(n);
  const at = blk.at + 8 + ei * 2;
  const type = rng.chance(0.6) ? rng.pick([0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 15]) : rng.int(16);
  const offset = rng.chance(0.5) ? rng.pick([0, 0xffc, 0xffd, 0xffe, 0xfff, 0xff8, 0xff9]) : rng.int(0x1000);
  w16(b, at, (type << 12) | offset);
  return { bytes: b, what: `reloc block ${bi} entry ${ei} := type ${type} offset 0x${offset.toString(16)}` };
}

function truncate(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } {
  const points = [l.peOff + 4, l.optOff + 10, l.secOff, l.secOff + 20, l.sizeOfHeaders, ...l.sections.flatMap((s) => [s.rawPtr, s.rawPtr + (s.rawSize >>> 1), s.rawPtr + s.rawSize - 1])];
  let cut = rng.chance(0.5) ? rng.pick(points) + rng.range(-2, 2) : rng.int(b.length);
  cut = Math.max(1, Math.min(b.length - 1, cut));
  return { bytes: b.slice(0, cut), what: `truncated to ${cut} bytes` };
}

function duplicateSection(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } | null {
  if (l.sections.length === 0) return null;
  const i = rng.int(l.sections.length);
  const src = l.sections[i]!;
  const slot = l.secOff + l.numSections * 40;
  if (slot + 40 > b.length) return null;
  let out = b;
  const hdr = b.slice(src.hdr, src.hdr + 40);
  const r = rng.float();
  let what = `section[${i}] duplicated as section[${l.numSections}]`;
  if (r < 0.35) {
    what += ' (same VA: overlapping)';
  } else if (r < 0.7) {
    // Mapped after the last section, image grown (or not).
    const end = Math.max(...l.sections.map((s) => s.va + Math.max(s.vsize, s.rawSize)));
    const va = (end + 0xfff) & ~0xfff;
    w32(hdr, 12, va);
    if (rng.chance(0.7)) w32(out, l.optOff + 56, va + ((Math.max(src.vsize, src.rawSize) + 0xfff) & ~0xfff));
    what += ` at 0x${va.toString(16)}`;
  } else {
    // Its raw data copied to the end of the file.
    const data = b.slice(src.rawPtr, Math.min(b.length, src.rawPtr + src.rawSize));
    const at = (b.length + 0x1ff) & ~0x1ff;
    out = new Uint8Array(at + data.length);
    out.set(b);
    out.set(data, at);
    w32(hdr, 20, at);
    const end = Math.max(...l.sections.map((s) => s.va + Math.max(s.vsize, s.rawSize)));
    const va = (end + 0xfff) & ~0xfff;
    w32(hdr, 12, va);
    w32(out, l.optOff + 56, va + ((Math.max(src.vsize, src.rawSize) + 0xfff) & ~0xfff));
    what += ` with its data appended at 0x${at.toString(16)}, VA 0x${va.toString(16)}`;
  }
  out.set(hdr, slot);
  w16(out, l.fileHdr + 2, l.numSections + 1);
  return { bytes: out, what };
}

function byteFlips(b: Uint8Array, l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } {
  const n = rng.weighted([[6, 1], [3, 2], [2, 4], [1, 16]] as const);
  const hot = rng.chance(0.5);
  const where: string[] = [];
  for (let k = 0; k < n; k++) {
    let at: number;
    if (hot) at = rng.int(Math.min(b.length, Math.max(l.sizeOfHeaders, 0x200)));
    else if (rng.chance(0.5) && l.sections.length) {
      // Inside a section's raw data (code: the CPU meets new instructions).
      const s = rng.pick(l.sections);
      at = Math.min(b.length - 1, s.rawPtr + rng.int(Math.max(1, Math.min(s.rawSize, b.length - s.rawPtr))));
    } else at = rng.int(b.length);
    if (at < 0 || at >= b.length) continue;
    const q = rng.float();
    b[at] = q < 0.5 ? b[at]! ^ (1 << rng.int(8)) : q < 0.8 ? rng.int(256) : rng.pick([0, 0xff, 0x7f, 0x80, 0xcc, 0x90, 0x0f]);
    where.push(`0x${at.toString(16)}`);
  }
  return { bytes: b, what: `bytes changed at ${where.join(',')}` };
}

function appendJunk(b: Uint8Array, _l: PeLayout, rng: Rng): { bytes: Uint8Array; what: string } {
  const n = rng.pick([1, 7, 0x200, 0x1000, rng.int(0x10000)]);
  const out = new Uint8Array(b.length + n);
  out.set(b);
  out.set(rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n), b.length);
  return { bytes: out, what: `${n} bytes appended` };
}

const MUTATORS: [number, string, Mutator][] = [
  [20, 'bytes', byteFlips],
  [8, 'file-header', fileHeaderField],
  [14, 'optional-header', optionalHeaderField],
  [14, 'section', sectionField],
  [12, 'data-directory', dataDirField],
  [16, 'import', importMutation],
  [10, 'reloc', relocMutation],
  [4, 'truncate', truncate],
  [4, 'duplicate-section', duplicateSection],
  [2, 'append', appendJunk],
];

/** 1 to 8 mutations of IMAGE; returns the mutant and what was done. */
export function mutatePe(image: Uint8Array, rng: Rng, ctx: MutationContext): { bytes: Uint8Array; steps: string[] } {
  let bytes: Uint8Array = image.slice();
  const steps: string[] = [];
  const count = rng.weighted([[50, 1], [20, 2], [15, 3], [10, 5], [5, 8]] as const);
  for (let attempt = 0; steps.length < count && attempt < count * 4; attempt++) {
    const l = peLayout(bytes);
    if (!l) {
      // No longer a PE this walker follows: only blind changes apply.
      if (bytes.length < 2) break;
      const at = rng.int(bytes.length);
      bytes[at] = rng.int(256);
      steps.push(`byte 0x${at.toString(16)} := 0x${bytes[at]!.toString(16)}`);
      continue;
    }
    const mut = rng.weighted(MUTATORS.map(([w, name, f]) => [w, [name, f] as const] as const));
    const r = mut[1](bytes, l, rng, ctx);
    if (!r) continue;
    bytes = r.bytes;
    steps.push(r.what);
  }
  return { bytes, steps };
}
