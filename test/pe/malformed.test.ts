// Malformed PE files (made by patching real ones in memory) are refused with a PeFormatError naming the exact problem.
import { beforeAll, describe, expect, it } from 'vitest';
import { PeFormatError, mapImage, parsePe, rvaToOffset, type PeImage } from '../../emu/pe/index.js';
import { buildFixtures, haveSharedDrivers, readSharedDriver, type Built } from './fixtures.js';

let built: Built;
beforeAll(() => {
  built = buildFixtures();
});

function peError(bytes: Uint8Array): PeFormatError {
  try {
    parsePe(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(PeFormatError);
    const err = e as PeFormatError;
    expect(err.name).toBe('PeFormatError');
    expect(err.message).not.toMatch(/\n/);
    return err;
  }
  throw new Error('parsePe accepted a malformed file');
}

function expectRejected(bytes: Uint8Array, message: RegExp | string): void {
  const err = peError(bytes);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
}

/** Header offsets of a parsed image, so patches land on the right field. */
function layout(bytes: Uint8Array): { img: PeImage; dv: DataView; nt: number; opt: number; dirs: number; sections: number } {
  const img = parsePe(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nt = img.ntHeadersOffset;
  const opt = nt + 24;
  return { img, dv, nt, opt, dirs: opt + (img.arch === 'x64' ? 112 : 96), sections: opt + dv.getUint16(nt + 20, true) };
}

type Width = 1 | 2 | 4;
function patched(bytes: Uint8Array, at: number, value: number, width: Width): Uint8Array {
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer);
  if (width === 1) dv.setUint8(at, value);
  else if (width === 2) dv.setUint16(at, value, true);
  else dv.setUint32(at, value >>> 0, true);
  return copy;
}

const hex = (n: number): string => '0x' + n.toString(16).toUpperCase();

describe('parsePe rejects', () => {
  it('an empty file', () => {
    expectRejected(new Uint8Array(0), 'not a PE file: the file is empty');
  });

  it('a file too small for a DOS header', () => {
    expectRejected(new Uint8Array([0x4d, 0x5a, 0, 0, 0, 0]), /too small \(6 bytes\) to hold a DOS header/);
  });

  it('a file without the MZ signature', () => {
    expectRejected(patched(built.x64Driver, 0, 0x5a, 1), 'not a PE file: missing MZ signature');
    expectRejected(new TextEncoder().encode('#!/bin/sh\necho not a driver\n'), 'not a PE file: missing MZ signature');
  });

  it('an e_lfanew pointing past the end of the file', () => {
    const b = built.x64Driver;
    expectRejected(patched(b, 0x3c, b.length + 0x100, 4), `not a PE file: e_lfanew ${hex(b.length + 0x100)} points past the end of the file (${hex(b.length)} bytes)`);
  });

  it('a missing "PE\\0\\0" signature', () => {
    const { nt } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, nt, 0x4e, 1), /no "PE\\0\\0" signature at e_lfanew 0x80/);
  });

  it('an unsupported machine', () => {
    const { nt } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, nt + 4, 0x1c0, 2), /^unsupported machine 0x1C0 \(ARM\)/);
    expectRejected(patched(built.x64Driver, nt + 4, 0xaa64, 2), /^unsupported machine 0xAA64 \(ARM64\)/);
  });

  it('a file truncated inside the optional header', () => {
    const { opt } = layout(built.x64Driver);
    expectRejected(built.x64Driver.slice(0, opt + 40), `truncated PE: optional header ends at ${hex(opt + 112)}, past the end of the file (${hex(opt + 40)} bytes)`);
  });

  it('a SizeOfOptionalHeader too small for the fixed fields', () => {
    const { nt } = layout(built.x86Driver);
    expectRejected(patched(built.x86Driver, nt + 20, 0x40, 2), /SizeOfOptionalHeader 0x40 is smaller than the 0x60 bytes PE32 needs/);
  });

  it('a bad optional header magic', () => {
    const { opt } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, opt, 0x10c, 2), /^bad optional header magic 0x10C/);
  });

  it('a PE32 magic on an AMD64 image', () => {
    const { opt } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, opt, 0x10b, 2), /magic 0x10B \(PE32\) does not match machine 0x8664 \(AMD64\)/);
  });

  it('data directories past the end of the file', () => {
    const { dirs } = layout(built.x64Driver);
    expectRejected(built.x64Driver.slice(0, dirs + 20), `truncated PE: data directory table ends at ${hex(dirs + 128)}, past the end of the file (${hex(dirs + 20)} bytes)`);
  });

  it('a section table past the end of the file', () => {
    const { img, sections } = layout(built.x64Driver);
    const end = sections + img.sections.length * 40;
    expectRejected(
      built.x64Driver.slice(0, end - 1),
      `truncated PE: section table (${img.sections.length} sections) ends at ${hex(end)}, past the end of the file (${hex(end - 1)} bytes)`,
    );
  });

  it('headers (SizeOfHeaders) past the end of the file', () => {
    const { opt } = layout(built.x64Driver);
    const b = built.x64Driver;
    expectRejected(patched(b, opt + 60, b.length + 0x200, 4), /^truncated PE: header area \(SizeOfHeaders 0x[0-9A-F]+\) ends at 0x[0-9A-F]+, past the end of the file/);
  });

  it('a SizeOfHeaders that does not cover the section table', () => {
    const { opt, sections } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, opt + 60, sections, 4), /SizeOfHeaders 0x[0-9A-F]+ does not cover the section table/);
  });

  it('section raw data past the end of the file (truncated download)', () => {
    const { img } = layout(built.x64Driver);
    const last = img.sections.reduce((a, s) => (s.rawOffset + s.rawSize > a.rawOffset + a.rawSize ? s : a));
    const cut = last.rawOffset + 0x10;
    expectRejected(
      built.x64Driver.slice(0, cut),
      `STATUS_INVALID_IMAGE_FORMAT: truncated PE: section ${last.name} raw data ends at ${hex(last.rawOffset + last.rawSize)}, past the end of the file (${hex(cut)} bytes)`,
    );
  });

  it('a SizeOfImage of 0', () => {
    const { opt } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, opt + 56, 0, 4), 'SizeOfImage is 0');
  });

  it('a SizeOfImage over 512 MiB', () => {
    const { opt } = layout(built.x64Driver);
    expectRejected(patched(built.x64Driver, opt + 56, 0xc0000000, 4), "SizeOfImage 0xC0000000 is too large: 3 GiB (kdemu's limit is 512 MiB)");
  });

  it('a section outside SizeOfImage', () => {
    const { img, opt } = layout(built.x64Driver);
    const last = img.sections[img.sections.length - 1]!;
    expectRejected(
      patched(built.x64Driver, opt + 56, last.rva, 4),
      `STATUS_INVALID_IMAGE_FORMAT: section ${last.name} (RVA ${hex(last.rva)}, size ${hex(last.virtualSize)}) extends past SizeOfImage ${hex(last.rva)}`,
    );
  });

  it('alignments that are not powers of two, or FileAlignment above SectionAlignment', () => {
    const { opt } = layout(built.x86Driver);
    const invalid = (why: string): string => `STATUS_INVALID_IMAGE_FORMAT: ${why}`;
    expectRejected(patched(built.x86Driver, opt + 32, 0x1800, 4), invalid('SectionAlignment 0x1800 is not a power of two'));
    expectRejected(patched(built.x86Driver, opt + 36, 0, 4), invalid('FileAlignment 0x0 is not a power of two'));
    expectRejected(patched(built.x86Driver, opt + 36, 0x2000, 4), invalid('FileAlignment 0x2000 is larger than SectionAlignment 0x1000'));
  });

  it('an ImageBase that is not a multiple of 64 KiB, or that puts an x86 image past 4 GiB', () => {
    const { opt } = layout(built.x86Driver);
    expectRejected(patched(built.x86Driver, opt + 28, 0x64201000, 4), 'STATUS_INVALID_IMAGE_FORMAT: ImageBase 0x64201000 is not a multiple of 64 KiB');
    const high = patched(patched(built.x86Driver, opt + 28, 0xffff0000, 4), opt + 56, 0x20000, 4);
    expectRejected(high, 'ImageBase 0xFFFF0000 + SizeOfImage 0x20000 ends past the 32-bit address space');
  });

  it('an entry point outside the image', () => {
    const { img, opt } = layout(built.x86Driver);
    expectRejected(patched(built.x86Driver, opt + 16, img.sizeOfImage + 4, 4), /^entry point RVA 0x[0-9A-F]+ is outside the image/);
  });

  it('a certificate table past the end of the file', () => {
    const { dirs } = layout(built.x64Driver);
    const b = patched(patched(built.x64Driver, dirs + 8 * 4, 0x1000, 4), dirs + 8 * 4 + 4, 0x100000, 4);
    expectRejected(b, /^truncated PE: certificate table \(data directory 4\) ends at 0x101000, past the end of the file/);
  });

  describe('malformed relocation blocks', () => {
    const relocBlock = (b: Uint8Array): { off: number; img: PeImage; dirs: number } => {
      const { img, dirs } = layout(b);
      return { off: rvaToOffset(img, img.dataDirectories[5]!.rva)!, img, dirs };
    };

    it('a SizeOfBlock below 8', () => {
      const { off, img } = relocBlock(built.x86Driver);
      expectRejected(patched(built.x86Driver, off + 4, 4, 4), `relocation block at RVA ${hex(img.dataDirectories[5]!.rva)} has SizeOfBlock 0x4 (must be an even number of at least 8)`);
    });

    it('a block running past the end of the directory', () => {
      const { off } = relocBlock(built.x86Driver);
      expectRejected(patched(built.x86Driver, off + 4, 0x1000, 4), /SizeOfBlock 0x1000\) runs past the end of the relocation directory/);
    });

    it('a directory too short for a block header', () => {
      const { dirs } = relocBlock(built.x64Driver);
      expectRejected(patched(built.x64Driver, dirs + 8 * 5 + 4, 6, 4), /relocation block at RVA 0x[0-9A-F]+ is truncated: only 6 bytes left/);
    });

    it('a relocation that patches past SizeOfImage', () => {
      const { off, img } = relocBlock(built.x86Driver);
      expectRejected(patched(built.x86Driver, off, img.sizeOfImage - 0x10, 4), /^HIGHLOW relocation at RVA 0x[0-9A-F]+ \(block 0x[0-9A-F]+\) patches past SizeOfImage/);
    });

    it('a relocation directory outside the image', () => {
      const { img, dirs } = relocBlock(built.x64Driver);
      expectRejected(patched(built.x64Driver, dirs + 8 * 5, img.sizeOfImage - 4, 4), /^relocation directory at RVA 0x[0-9A-F]+ is outside the image/);
    });
  });

  describe('malformed imports', () => {
    const imports = (b: Uint8Array): { img: PeImage; dirs: number; desc: number } => {
      const { img, dirs } = layout(b);
      return { img, dirs, desc: rvaToOffset(img, img.dataDirectories[1]!.rva)! };
    };

    it('an import directory outside the image', () => {
      const { img, dirs } = imports(built.x64Driver);
      expectRejected(patched(built.x64Driver, dirs + 8, img.sizeOfImage - 8, 4), `import descriptor #0 at RVA ${hex(img.sizeOfImage - 8)} is outside the image (SizeOfImage ${hex(img.sizeOfImage)})`);
    });

    it('a DLL name outside the image', () => {
      const { desc } = imports(built.x64Driver);
      expectRejected(patched(built.x64Driver, desc + 12, 0x7fffffff, 4), /^name of import descriptor #0 at RVA 0x7FFFFFFF is outside the image/);
    });

    it('an import lookup table outside the image', () => {
      const { desc } = imports(built.x86Driver);
      expectRejected(patched(built.x86Driver, desc, 0x00ffff00, 4), /^import thunk #0 of ntoskrnl\.exe at RVA 0xFFFF00 is outside the image/);
    });

    it('an IAT outside the image', () => {
      const { desc } = imports(built.x86Driver);
      expectRejected(patched(built.x86Driver, desc + 16, 0x00ffff00, 4), /^IAT slot #0 of ntoskrnl\.exe at RVA 0xFFFF00 is outside the image/);
    });

    it('a hint/name RVA outside the image', () => {
      const { img, desc } = imports(built.x86Driver);
      const ilt = rvaToOffset(img, new DataView(built.x86Driver.buffer).getUint32(desc, true))!;
      expectRejected(patched(built.x86Driver, ilt, 0x00ffff00, 4), /^hint\/name of import thunk #0 of ntoskrnl\.exe at RVA 0xFFFF00 is outside the image/);
    });

    it('a descriptor with a name but no IAT', () => {
      const { desc } = imports(built.x64Driver);
      expectRejected(patched(built.x64Driver, desc + 16, 0, 4), /import descriptor #0 has Name 0x[0-9A-F]+ and FirstThunk 0x0; both must be set/);
    });
  });

  it('an export directory claiming more functions or names than ordinals allow', () => {
    const { img } = layout(built.x64Dll);
    const off = rvaToOffset(img, img.dataDirectories[0]!.rva)!;
    expectRejected(patched(built.x64Dll, off + 20, 0x20000, 4), "too many exported functions: 131072 (kdemu's limit is 65536)");
    expectRejected(patched(built.x64Dll, off + 24, 0x10001, 4), "too many export names: 65537 (kdemu's limit is 65536)");
  });

  it.skipIf(!haveSharedDrivers)('a sub-page SectionAlignment section whose RVA differs from its file offset (corkami)', () => {
    const b = readSharedDriver('corkami-minidrv.sys');
    expectRejected(
      patched(b, 0x138 + 12, 0x1e0, 4),
      'STATUS_INVALID_IMAGE_FORMAT: section #0 (unnamed): with SectionAlignment 0x200 (below the page size) Windows maps the file as it is, so its RVA 0x1E0 must equal its file offset 0x200',
    );
  });
});

describe('mapImage rejects', () => {
  it('nothing for an image without a relocation directory that is not marked stripped: it moves with nothing to fix', () => {
    const { img, dirs } = layout(built.x64Driver);
    const noRelocs = patched(patched(built.x64Driver, dirs + 8 * 5, 0, 4), dirs + 8 * 5 + 4, 0, 4);
    const bare = parsePe(noRelocs);
    expect(bare.hasRelocations).toBe(false);
    const moved = mapImage(bare, noRelocs, img.imageBase + 0x100000n);
    expect(moved.base).toBe(img.imageBase + 0x100000n);
    expect(moved.memory).toEqual(mapImage(bare, noRelocs, img.imageBase).memory);
  });

  it('a new base when IMAGE_FILE_RELOCS_STRIPPED is set, even with a relocation directory', () => {
    const { img, nt } = layout(built.x86Driver);
    const b = patched(built.x86Driver, nt + 22, img.characteristics | 1, 2);
    const s = parsePe(b);
    expect(s.hasRelocations).toBe(false);
    expect(() => mapImage(s, b, 0x10000000n)).toThrow(/relocations stripped and must load at its preferred base 0x64200000/);
  });
});
