// The PE loader on real third-party drivers from ../shared/drivers: arch, imports per the manifest, mapping, and corkami's odd layout.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  PeFormatError,
  bindImports,
  imageKind,
  mapImage,
  needsPreferredBase,
  parsePe,
  readCString,
} from '../../emu/pe/index.js';
import { haveSharedDrivers, loadManifest, readSharedDriver, relocationList, sharedDrivers, u32 } from './fixtures.js';

const manifest = haveSharedDrivers ? loadManifest() : [];

describe.skipIf(!haveSharedDrivers)(`third-party drivers (skipped: ${sharedDrivers}/manifest.json not found)`, () => {
  describe.each(manifest.map((d) => [d.file, d] as const))('%s', (_file, d) => {
    const bytes = readSharedDriver(d.file);

    it('is the file the manifest describes', () => {
      expect(bytes.length).toBe(d.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(d.sha256);
    });

    it('parses as a driver of the manifest architecture', () => {
      const img = parsePe(bytes);
      expect(img.arch).toBe(d.arch);
      expect(imageKind(img).kind).toBe('driver');
    });

    it('imports exactly the manifest functions, per DLL, by name', () => {
      const img = parsePe(bytes);
      const got = Object.fromEntries(img.imports.map((i) => [i.dll, i.entries.map((e) => e.name ?? `#${e.ordinal}`).sort()]));
      const want = Object.fromEntries(Object.entries(d.imports).map(([dll, names]) => [dll, [...names].sort()]));
      expect(got).toEqual(want);
    });

    it('maps, relocates when it can, and binds every import', () => {
      const img = parsePe(bytes);
      const base = needsPreferredBase(img) ? img.imageBase : d.arch === 'x64' ? 0xfffff80123450000n : 0x9a000000n;
      if (needsPreferredBase(img)) {
        expect(() => mapImage(img, bytes, img.imageBase + 0x10000n)).toThrow(/relocations stripped and must load at its preferred base/);
      }
      const m = mapImage(img, bytes, base);
      const entries = img.imports.flatMap((i) => i.entries);
      expect(bindImports(m, img, () => 0x1000n)).toBe(entries.length);
      for (const e of entries) expect(u32(m.memory, e.iatRva)).toBe(0x1000);
      // Every byte of the image has a protection, and the entry point is executable.
      const entryRegion = m.regions.find((r) => img.entryRva >= r.rva && img.entryRva < r.rva + r.size)!;
      expect(entryRegion.prot & PROT_EXEC).toBe(PROT_EXEC);
    });
  });

  describe('corkami-minidrv.sys (hand-made: SectionAlignment 0x200, IAT inside the only section)', () => {
    const bytes = haveSharedDrivers ? readSharedDriver('corkami-minidrv.sys') : new Uint8Array();

    it('parses its headers and single unnamed write+execute section', () => {
      const img = parsePe(bytes);
      expect(img).toMatchObject({
        arch: 'x86',
        imageBase: 0x10000n,
        entryRva: 0x200,
        sizeOfImage: 0x400,
        sizeOfHeaders: 0x160,
        sectionAlignment: 0x200,
        fileAlignment: 0x200,
        subsystemName: 'native',
        isDll: false,
        exports: [],
        exceptions: [],
        loadConfig: null,
      });
      expect(img.sections).toEqual([
        {
          name: '',
          rva: 0x200,
          virtualSize: 0x200,
          rawOffset: 0x200,
          rawSize: 0x200,
          characteristics: 0xa0000000,
          readable: false,
          writable: true,
          executable: true,
          discardable: false,
        },
      ]);
    });

    it('finds the import although the import directory Size is 0, with the IAT inside the section', () => {
      const img = parsePe(bytes);
      expect(img.dataDirectories[1]).toEqual({ rva: 0x220, size: 0 });
      expect(img.imports).toEqual([{ dll: 'ntoskrnl.exe', entries: [{ name: 'DbgPrint', hint: 0, iatRva: 0x218 }] }]);
    });

    it('has two HIGHLOW relocations, for the pushed string and the IAT call', () => {
      const img = parsePe(bytes);
      expect(img.hasRelocations).toBe(true);
      expect(img.relocations).toMatchObject({ blocks: 1, entries: 2 });
      expect(relocationList(img, bytes)).toEqual([
        { rva: 0x201, type: 3 },
        { rva: 0x207, type: 3 },
      ]);
    });

    it('maps into one read-write-execute page and relocates both operands', () => {
      const img = parsePe(bytes);
      const m = mapImage(img, bytes, 0x7a0000n);
      expect(m.size).toBe(0x1000);
      expect(m.regions).toEqual([{ rva: 0, size: 0x1000, prot: PROT_READ | PROT_WRITE | PROT_EXEC }]);
      // push offset msg / call [__imp_DbgPrint]
      expect(m.memory[0x200]).toBe(0x68);
      expect(u32(m.memory, 0x201)).toBe(0x7a0280);
      expect(u32(m.memory, 0x207)).toBe(0x7a0218);
      expect(readCString(m.memory, 0x280)).toBe(' * minimalist driver');
      bindImports(m, img, (dll, e) => {
        expect([dll, e.name]).toEqual(['ntoskrnl.exe', 'DbgPrint']);
        return 0x80501234n;
      });
      expect(u32(m.memory, 0x218)).toBe(0x80501234);
    });

    it('refuses to apply an unknown relocation type at a new base but loads at its preferred base', () => {
      const patched = bytes.slice();
      patched[0x279] = 0x50; // first entry 0x3001 -> 0x5001 (type 5, meaningless on x86)
      const img = parsePe(patched);
      expect(relocationList(img, patched)[0]).toEqual({ rva: 0x201, type: 5 });
      expect(() => mapImage(img, patched, 0x20000n)).toThrow(PeFormatError);
      expect(() => mapImage(img, patched, 0x20000n)).toThrow(/unsupported relocation type 5 at RVA 0x201/);
      expect(() => mapImage(img, patched, img.imageBase)).not.toThrow();
    });
  });

  describe('MSVC driver details', () => {
    it('reads the load config fields its Size field covers, beyond the legacy 0x40 directory size (irpmon32)', () => {
      const img = parsePe(readSharedDriver('irpmon32.sys'));
      expect(img.dataDirectories[10]!.size).toBe(0x40);
      expect(img.loadConfig).toEqual({
        size: 0x98,
        securityCookieVa: 0x40e05cn,
        guardCFCheckFunctionPointerVa: 0x40d14cn,
        guardCFDispatchFunctionPointerVa: 0n,
        guardFlags: 0,
      });
    });

    it('stops at the fields a short load config covers (openark32: security cookie only)', () => {
      const img = parsePe(readSharedDriver('openark32.sys'));
      expect(img.loadConfig).toEqual({ size: 0x48, securityCookieVa: 0x404000n });
    });

    it('reads the x64 load config CFG pointers and flags (irpmon64)', () => {
      const img = parsePe(readSharedDriver('irpmon64.sys'));
      expect(img.loadConfig).toEqual({
        size: 0xf4,
        securityCookieVa: 0x1400120b8n,
        guardCFCheckFunctionPointerVa: 0x140010270n,
        guardCFDispatchFunctionPointerVa: 0x140010278n,
        guardFlags: 0x100,
      });
    });

    it('reads the CodeView PDB path', () => {
      expect(parsePe(readSharedDriver('irpmon64.sys')).debugPdb).toBe('M:\\Prace\\Git\\IRPMon\\bin\\x64\\Release\\irpmndrv.pdb');
      expect(parsePe(readSharedDriver('openark32.sys')).debugPdb).toMatch(/OpenArkDrv32\.pdb$/);
    });

    it('keeps code in the discardable INIT section and lists x64 runtime functions (tdl-dummy)', () => {
      const img = parsePe(readSharedDriver('tdl-dummy.sys'));
      const init = img.sections.find((s) => s.name === 'INIT')!;
      expect(init).toMatchObject({ executable: true, discardable: true });
      expect(img.entryRva).toBeGreaterThanOrEqual(init.rva);
      expect(img.exceptions).toHaveLength(1);
      expect(img.exceptions[0]!.begin).toBe(img.entryRva);
      // No .reloc and not marked stripped: nothing to fix, so Windows (and kdemu) may load it anywhere.
      expect(img.hasRelocations).toBe(false);
      expect(needsPreferredBase(img)).toBe(false);
    });

    it('keeps the DLL name as written (HAL.dll in irpmon32)', () => {
      const img = parsePe(readSharedDriver('irpmon32.sys'));
      expect(img.imports.map((i) => i.dll)).toEqual(['ntoskrnl.exe', 'HAL.dll']);
    });
  });
});
