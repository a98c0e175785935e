// kdemu's hard caps (emu/pe/limits.ts): a file past one is refused with a message naming the cap and its value,
// and a file just within it parses.
import { describe, expect, it } from 'vitest';
import { PeFormatError, limits, parsePe } from '../../emu/pe/index.js';
import { inspectImage } from '../../hal/info.js';
import {
  emptyRelocationBlocksPe,
  fullPdataPe,
  importsPe,
  manyExportsPe,
  paddedRelocationBlockPe,
  sharedExportNamePe,
  sharedImportNamePe,
  smallPe,
  suffixImportNamesPe,
} from './crafted.js';

function refusal(bytes: Uint8Array): string {
  try {
    parsePe(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(PeFormatError);
    return (e as PeFormatError).message;
  }
  throw new Error('parsePe accepted a file past a cap');
}

describe('kdemu caps', () => {
  it('the file size: 512 MiB', () => {
    expect(limits.MAX_FILE_SIZE).toBe(512 * 2 ** 20);
    // Zero pages cost no memory until touched; only the MZ signature is written.
    const big = new Uint8Array(limits.MAX_FILE_SIZE + 2 ** 20);
    big.set([0x4d, 0x5a]);
    expect(refusal(big)).toBe("the file is too large: 513 MiB (kdemu's limit is 512 MiB)");
  });

  it('SizeOfImage: 512 MiB', () => {
    expect(refusal(smallPe((o) => void (o.sizeOfImage = 0x30000000)))).toBe("SizeOfImage 0x30000000 is too large: 768 MiB (kdemu's limit is 512 MiB)");
  });

  it('import descriptors: 1,024 DLLs', () => {
    expect(parsePe(importsPe(Array(1024).fill(1))).importTable.modules).toHaveLength(1024);
    expect(refusal(importsPe(Array(1025).fill(1)))).toBe("too many import descriptors (DLLs): more than 1024 (kdemu's limit is 1024)");
  });

  it('imports from one DLL: 16,384, so a driver importing 9,000 functions from ntoskrnl.exe loads and is listed', () => {
    const nine = inspectImage(importsPe([9000]), 'nine.sys');
    expect(nine.imports).toHaveLength(9000);
    expect(nine.imports[8999]).toEqual({ module: 'ntoskrnl.exe', name: 'IIIIIIIIIIII', implemented: false });
    expect(parsePe(importsPe([16_384])).importTable.length).toBe(16_384);
    expect(refusal(importsPe([16_385]))).toBe("too many imports from ntoskrnl.exe: more than 16384 (kdemu's limit is 16384)");
  });

  it('imports in all: 65,536', () => {
    expect(parsePe(importsPe([16_384, 16_384, 16_384, 16_384])).importTable.length).toBe(65_536);
    expect(refusal(importsPe([16_384, 16_384, 16_384, 16_384, 1]))).toBe("too many imports: more than 65536 (kdemu's limit is 65536)");
  });

  it('exports: 65,536 functions and 65,536 names', () => {
    expect(parsePe(manyExportsPe(2 * 2 ** 20)).exports).toHaveLength(65_536);
    // (Past it: malformed.test.ts patches a real DLL's counts.)
  });

  it('relocation blocks: 131,072', () => {
    expect(parsePe(emptyRelocationBlocksPe(131_072)).relocations).toMatchObject({ blocks: 131_072, entries: 0 });
    expect(refusal(emptyRelocationBlocksPe(131_073))).toBe("too many relocation blocks: more than 131072 (kdemu's limit is 131072)");
  });

  it('relocation entries: 4,194,304, refused before a block past it is read', () => {
    expect(parsePe(paddedRelocationBlockPe(4_194_304)).relocations).toMatchObject({ blocks: 1, entries: 0 });
    const t0 = performance.now();
    expect(refusal(paddedRelocationBlockPe(100_000_000))).toBe("too many relocation entries: more than 4194304 (kdemu's limit is 4194304)");
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('.pdata entries: 1,048,576 (here 96 sections map one run of them)', () => {
    // 96 copies of 128 KiB of 12-byte entries: exactly the cap.
    expect(parsePe(fullPdataPe(0x2_2000, 96)).dataDirectories[3]!.size / 12).toBe(1_048_576);
    expect(refusal(fullPdataPe(0x2_3000, 96))).toBe("too many exception directory (.pdata) entries: more than 1048576 (kdemu's limit is 1048576)");
  });

  it('one name: shorter than 64 KiB', () => {
    expect(refusal(suffixImportNamesPe(2 ** 18))).toBe('name of import thunk #0 of ntoskrnl.exe at RVA 0x1100 is longer than 65536 bytes');
  });

  it('all names: 64 KiB plus 2 bytes per byte of the file, however often one string is named', () => {
    const budget = (size: number): string =>
      `import and export names too long: more than ${64 * 1024 + 2 * size} bytes in all (kdemu's limit is 64 KiB plus 2 bytes per byte of the file)`;
    for (const make of [sharedImportNamePe, sharedExportNamePe, suffixImportNamesPe]) {
      const b = make(2 ** 16);
      expect(refusal(b)).toBe(budget(b.length));
    }
    // Within it: 65,536 imports of a 12-byte name from a 532 KiB file.
    expect(parsePe(importsPe([16_384, 16_384, 16_384, 16_384])).importTable.length).toBe(65_536);
  });
});
