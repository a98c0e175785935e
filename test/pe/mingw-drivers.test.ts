// Parsing, mapping, relocating and binding small x86/x64 drivers built with mingw-w64 during the test.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  bindImports,
  mapImage,
  needsPreferredBase,
  parsePe,
  readCString,
  rvaToOffset,
  type MappedImage,
  type PeImage,
} from '../../emu/pe/index.js';
import { buildFixtures, relocationList, u32, u64, type Built } from './fixtures.js';

let built: Built;
beforeAll(() => {
  built = buildFixtures();
});

function protAt(m: MappedImage, rva: number): number {
  const r = m.regions.find((x) => rva >= x.rva && rva < x.rva + x.size);
  if (!r) throw new Error(`no region at ${rva.toString(16)}`);
  return r.prot;
}

function exportRva(img: PeImage, name: string): number {
  // x86 stdcall exports carry their argument size: DriverEntry@8.
  const e = img.exports.find((x) => x.name === name || x.name?.startsWith(`${name}@`));
  if (!e) throw new Error(`no export ${name}`);
  return e.rva;
}

const EXPECTED_IMPORTS = ['DbgPrint', 'IoCreateDevice', 'IoFileObjectType', 'RtlInitUnicodeString'];

describe.each(['x64', 'x86'] as const)('%s mingw driver', (arch) => {
  const bytes = (): Uint8Array => (arch === 'x64' ? built.x64Driver : built.x86Driver);
  const ptr = arch === 'x64' ? 8 : 4;
  const readPtr = (mem: Uint8Array, at: number): bigint => (ptr === 8 ? u64(mem, at) : BigInt(u32(mem, at)));

  it('reports its architecture, machine and native subsystem', () => {
    const img = parsePe(bytes());
    expect(img.arch).toBe(arch);
    expect(img.machine).toBe(arch === 'x64' ? 0x8664 : 0x14c);
    expect(img.subsystem).toBe(1);
    expect(img.subsystemName).toBe('native');
    // mingw's -shared marks drivers as DLLs.
    expect(img.isDll).toBe(true);
    expect(img.sectionAlignment).toBe(0x1000);
    expect(img.fileAlignment).toBe(0x200);
  });

  it('has its entry point at the exported DriverEntry', () => {
    const img = parsePe(bytes());
    expect(img.entryRva).toBe(exportRva(img, 'DriverEntry'));
    const text = img.sections.find((s) => s.name === '.text')!;
    expect(img.entryRva).toBeGreaterThanOrEqual(text.rva);
    expect(img.entryRva).toBeLessThan(text.rva + text.virtualSize);
  });

  it('lists function and data imports from ntoskrnl.exe by name with IAT slots', () => {
    const img = parsePe(bytes());
    expect(img.imports.map((d) => d.dll)).toEqual(['ntoskrnl.exe']);
    const entries = img.imports[0]!.entries;
    expect(entries.map((e) => e.name).sort()).toEqual(EXPECTED_IMPORTS);
    for (const e of entries) {
      expect(e.ordinal).toBeUndefined();
      expect(typeof e.hint).toBe('number');
    }
    // Consecutive IAT slots of one pointer each.
    const slots = entries.map((e) => e.iatRva).sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(ptr);
  });

  it('describes sections with their permissions', () => {
    const img = parsePe(bytes());
    const byName = new Map(img.sections.map((s) => [s.name, s]));
    expect(byName.get('.text')).toMatchObject({ readable: true, writable: false, executable: true, discardable: false });
    expect(byName.get('.data')).toMatchObject({ readable: true, writable: true, executable: false });
    expect(byName.get('.rdata')).toMatchObject({ readable: true, writable: false, executable: false });
    const bss = byName.get('.bss')!;
    expect(bss.rawSize).toBe(0);
    expect(rvaToOffset(img, bss.rva)).toBeNull();
    const text = byName.get('.text')!;
    expect(rvaToOffset(img, text.rva + 5)).toBe(text.rawOffset + 5);
  });

  it(`lists ${arch === 'x64' ? 'DIR64' : 'HIGHLOW'} relocations covering the pointer table g_msgs`, () => {
    const img = parsePe(bytes());
    expect(img.hasRelocations).toBe(true);
    expect(needsPreferredBase(img)).toBe(false);
    const table = exportRva(img, 'g_msgs');
    const relocations = relocationList(img, bytes());
    expect(img.relocations.entries).toBe(relocations.length);
    const types = new Set(relocations.map((r) => r.type));
    expect(types).toEqual(new Set([arch === 'x64' ? 10 : 3]));
    const rvas = relocations.map((r) => r.rva);
    expect(rvas).toContain(table);
    expect(rvas).toContain(table + ptr);
  });

  it('maps at the preferred base with pointers unchanged', () => {
    const img = parsePe(bytes());
    const m = mapImage(img, bytes(), img.imageBase);
    const table = exportRva(img, 'g_msgs');
    const p0 = readPtr(m.memory, table);
    expect(readCString(m.memory, Number(p0 - img.imageBase))).toBe('hello %p\n');
  });

  it('relocates pointers when mapped at a different base', () => {
    const img = parsePe(bytes());
    const base = arch === 'x64' ? 0xfffff80012340000n : 0x80a40000n;
    const m = mapImage(img, bytes(), base);
    expect(m.base).toBe(base);
    const table = exportRva(img, 'g_msgs');
    const p0 = readPtr(m.memory, table);
    const p1 = readPtr(m.memory, table + ptr);
    expect(p0 >= base && p0 < base + BigInt(m.size)).toBe(true);
    expect(readCString(m.memory, Number(p0 - base))).toBe('hello %p\n');
    expect(readCString(m.memory, Number(p1 - base))).toBe('world\n');
  });

  it('maps headers and sections at their RVAs with zero-filled tails and page protections', () => {
    const img = parsePe(bytes());
    const m = mapImage(img, bytes(), img.imageBase);
    expect(m.size).toBe(Math.ceil(img.sizeOfImage / 0x1000) * 0x1000);
    expect(m.memory.length).toBe(m.size);
    expect(String.fromCharCode(m.memory[0]!, m.memory[1]!)).toBe('MZ');
    expect(u32(m.memory, img.ntHeadersOffset)).toBe(0x4550);
    const text = img.sections.find((s) => s.name === '.text')!;
    expect(m.memory.subarray(text.rva, text.rva + 16)).toEqual(bytes().subarray(text.rawOffset, text.rawOffset + 16));
    // The virtual tail past the raw data of .bss is zero.
    const bss = img.sections.find((s) => s.name === '.bss')!;
    expect(m.memory.subarray(bss.rva, bss.rva + bss.virtualSize).every((b) => b === 0)).toBe(true);

    expect(protAt(m, 0)).toBe(PROT_READ);
    expect(protAt(m, text.rva)).toBe(PROT_READ | PROT_EXEC);
    expect(protAt(m, img.sections.find((s) => s.name === '.data')!.rva)).toBe(PROT_READ | PROT_WRITE);
    expect(protAt(m, img.sections.find((s) => s.name === '.rdata')!.rva)).toBe(PROT_READ);
    // Regions are page-aligned, contiguous and cover the whole image.
    let next = 0;
    for (const r of m.regions) {
      expect(r.rva).toBe(next);
      expect(r.size % 0x1000).toBe(0);
      next += r.size;
    }
    expect(next).toBe(m.size);
  });

  it('binds each IAT slot to the address the resolver returns', () => {
    const img = parsePe(bytes());
    const m = mapImage(img, bytes(), img.imageBase);
    const addr = new Map(EXPECTED_IMPORTS.map((n, i) => [n, (arch === 'x64' ? 0xfffff80000100000n : 0x80100000n) + BigInt(i * 16)]));
    const seen: string[] = [];
    const n = bindImports(m, img, (dll, e) => {
      seen.push(`${dll}!${e.name}`);
      return addr.get(e.name!)!;
    });
    expect(n).toBe(4);
    expect(seen.sort()).toEqual(EXPECTED_IMPORTS.map((x) => `ntoskrnl.exe!${x}`));
    for (const e of img.imports[0]!.entries) expect(readPtr(m.memory, e.iatRva)).toBe(addr.get(e.name!));
    // The slot after the last one (the IAT's null terminator) is left alone.
    const last = Math.max(...img.imports[0]!.entries.map((e) => e.iatRva));
    expect(readPtr(m.memory, last + ptr)).toBe(0n);
  });

  it('rejects a resolver address that does not fit the IAT slot', () => {
    if (arch !== 'x86') return;
    const img = parsePe(bytes());
    const m = mapImage(img, bytes(), img.imageBase);
    expect(() => bindImports(m, img, () => 0x100000000n)).toThrow(/32-bit IAT slot/);
  });
});

describe('mingw driver details', () => {
  it('has .pdata runtime functions, the first one starting at DriverEntry', () => {
    const img = parsePe(built.x64Driver);
    expect(img.exceptions.length).toBeGreaterThan(0);
    expect(img.exceptions[0]!.begin).toBe(img.entryRva);
    for (const f of img.exceptions) expect(f.end).toBeGreaterThan(f.begin);
  });

  it('has no exception entries, load config or PDB path on x86', () => {
    const img = parsePe(built.x86Driver);
    expect(img.exceptions).toEqual([]);
    expect(img.loadConfig).toBeNull();
    expect(img.debugPdb).toBeUndefined();
  });

  it('keeps a 64-bit image base above 4 GiB', () => {
    const img = parsePe(built.x64Driver);
    expect(img.imageBase > 0xffffffffn).toBe(true);
  });

  it('refuses an x86 mapping base that would end above 4 GiB', () => {
    const img = parsePe(built.x86Driver);
    expect(() => mapImage(img, built.x86Driver, 0x1_0000_0000n)).toThrow(RangeError);
    expect(() => mapImage(img, built.x86Driver, 0x10000800n)).toThrow(/multiple of 0x1000/);
  });
});

describe('user-mode images built with mingw-w64', () => {
  it('lists DLL exports by name, by ordinal only, and forwarders', () => {
    for (const dll of [built.x64Dll, built.x86Dll]) {
      const img = parsePe(dll);
      const byOrdinal = new Map(img.exports.map((e) => [e.ordinal, e]));
      expect(byOrdinal.get(1)).toMatchObject({ name: 'Add' });
      expect(byOrdinal.get(1)!.forwarder).toBeUndefined();
      expect(byOrdinal.get(7)!.name).toBeUndefined();
      expect(byOrdinal.get(7)!.rva).toBeGreaterThan(0);
      expect(byOrdinal.get(3)).toMatchObject({ name: 'Sleepy', forwarder: 'KERNEL32.Sleep' });
      expect(img.exports.map((e) => e.ordinal)).toEqual([1, 3, 7]);
    }
  });

  it('lists an import by ordinal without a name', () => {
    const img = parsePe(built.x64OrdinalImporter);
    const pelib = img.imports.find((d) => d.dll === 'pelib.dll')!;
    expect(pelib.entries).toHaveLength(1);
    expect(pelib.entries[0]!.ordinal).toBe(7);
    expect(pelib.entries[0]!.name).toBeUndefined();
    // The same executable imports msvcrt/kernel32 functions by name; DLL names keep their case.
    expect(img.imports.some((d) => d.dll === 'KERNEL32.dll')).toBe(true);
  });

  it('passes the ordinal to the resolver for ordinal imports', () => {
    const img = parsePe(built.x64OrdinalImporter);
    const m = mapImage(img, built.x64OrdinalImporter, img.imageBase);
    let asked: { name?: string; ordinal?: number } | undefined;
    bindImports(m, img, (dll, e) => {
      if (dll === 'pelib.dll') asked = e;
      return 0x7ff000000000n;
    });
    expect(asked).toEqual({ ordinal: 7 });
  });
});
