// The section layout rules of the Windows loader (MiCreateImageFileMap, MiVerifyImageHeader): what it refuses is a
// PeFormatError saying STATUS_INVALID_IMAGE_FORMAT and why; what it accepts, kdemu parses and maps the same way.
import { describe, expect, it } from 'vitest';
import { PROT_EXEC, PROT_READ, PROT_WRITE, PeFormatError, mapImage, parsePe } from '../../emu/pe/index.js';
import { SCN_CODE, SCN_DATA, buildPe, contiguous, smallPe, type CraftOptions, type CraftSection } from './crafted.js';

function refusal(bytes: Uint8Array): string {
  try {
    parsePe(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(PeFormatError);
    return (e as PeFormatError).message;
  }
  throw new Error('parsePe accepted an image Windows refuses');
}

/** smallPe with one change: .text 0x1000-0x3000, .data 0x3000-0x4000, .bss 0x4000-0x6000; raw .text 0x400, .data 0x1600; file 0x1800. */
function refused(patch: (o: CraftOptions) => void, why: string | RegExp): void {
  const message = refusal(smallPe(patch));
  if (typeof why === 'string') expect(message).toBe(`STATUS_INVALID_IMAGE_FORMAT: ${why}`);
  else {
    expect(message).toMatch(/^STATUS_INVALID_IMAGE_FORMAT: /);
    expect(message).toMatch(why);
  }
}

const section = (o: CraftOptions, name: string): CraftSection => o.sections.find((s) => s.name === name)!;
const RULE = 'Windows requires sections in ascending address order, each starting where the previous one ends';

describe('the Windows loader rules', () => {
  it('accept the unmodified small image (so each refusal below comes from its one change)', () => {
    const img = parsePe(smallPe());
    expect(img.sections.map((s) => [s.name, s.rva])).toEqual([['.text', 0x1000], ['.data', 0x3000], ['.bss', 0x4000]]);
    expect(img.sizeOfImage).toBe(0x6000);
  });

  describe('refuse', () => {
    it('a section overlapping the one before it in virtual space', () => {
      refused((o) => void (section(o, '.data').rva = 0x2000), `section .data (RVA 0x2000) overlaps section .text, which runs to 0x3000: ${RULE}`);
    });

    it('a section table out of ascending address order', () => {
      refused(
        (o) => void (section(o, '.bss').rva = 0x1000),
        `section .bss (RVA 0x1000) lies below section .data (RVA 0x3000), which comes before it in the table: ${RULE}`,
      );
    });

    it('a gap between two sections', () => {
      refused((o) => void (section(o, '.data').rva = 0x4000), `a gap from 0x3000 to 0x4000 between section .text and section .data: ${RULE}`);
    });

    it('a first section over the headers, or after a gap behind them', () => {
      refused((o) => void (section(o, '.text').rva = 0), `section .text (RVA 0x0) overlaps the headers, which take up to 0x1000: ${RULE}`);
      refused((o) => void (section(o, '.text').rva = 0x2000), `a gap from 0x1000 to 0x2000 between the headers and section .text: ${RULE}`);
    });

    it('a section RVA that is not a multiple of SectionAlignment', () => {
      refused((o) => void (section(o, '.data').rva = 0x3100), 'section .data RVA 0x3100 is not a multiple of SectionAlignment 0x1000');
    });

    it('a section with neither VirtualSize nor SizeOfRawData', () => {
      refused((o) => Object.assign(section(o, '.data'), { virtualSize: 0, rawSize: 0 }), 'section .data is empty: its VirtualSize and SizeOfRawData are both 0');
    });

    it('raw data whose end wraps past 4 GiB', () => {
      refused((o) => void (section(o, '.data').rawOffset = 0xffffff00), 'section .data raw data (offset 0xFFFFFF00, size 0x200) wraps past 4 GiB');
    });

    it('raw data past the end of the file, for any section', () => {
      refused((o) => void (section(o, '.text').rawSize = 0x1600), 'truncated PE: section .text raw data ends at 0x1A00, past the end of the file (0x1800 bytes)');
    });

    it('a SizeOfImage smaller than the end of the last section (in pages)', () => {
      refused((o) => void (o.sizeOfImage = 0x5000), 'section .bss (RVA 0x4000, size 0x2000) extends past SizeOfImage 0x5000');
    });

    it('a SizeOfImage reaching a whole SectionAlignment past the last section', () => {
      refused(
        (o) => void (o.sizeOfImage = 0x7000),
        'SizeOfImage 0x7000 reaches 0x1000 bytes past the end of the last section (0x6000); Windows allows less than SectionAlignment 0x1000',
      );
    });

    it('headers that do not fit below SizeOfImage', () => {
      refused((o) => Object.assign(o, { sections: [], sizeOfImage: 0x400 }), 'SizeOfHeaders 0x400 is not smaller than SizeOfImage 0x400');
      refused(
        (o) => Object.assign(o, { sections: [], sizeOfImage: 0x1000, sectionAlignment: 0x2000 }),
        'the headers (SizeOfHeaders 0x400 rounded up to SectionAlignment 0x2000) extend past SizeOfImage 0x1000',
      );
    });

    it('more than 96 sections', () => {
      const specs = Array.from({ length: 97 }, (_, i) => ({ name: `s${i}`, virtualSize: 0x10, rawSize: 0, characteristics: SCN_DATA }));
      const { sections, sizeOfImage } = contiguous(specs, 0x1200);
      const b = buildPe({ fileSize: 0x1200, sections, sizeOfImage, sizeOfHeaders: 0x1200 });
      expect(refusal(b)).toBe("STATUS_INVALID_IMAGE_FORMAT: too many sections: 97 (Windows' limit is 96)");
      // 96 of the same parse.
      const ok = contiguous(specs.slice(0, 96), 0x1200);
      expect(parsePe(buildPe({ fileSize: 0x1200, sections: ok.sections, sizeOfImage: ok.sizeOfImage, sizeOfHeaders: 0x1200 })).sections).toHaveLength(96);
    });

    it('a FileAlignment that is neither a multiple of 512 nor SectionAlignment', () => {
      refused((o) => void (o.fileAlignment = 0x100), 'FileAlignment 0x100 is neither a multiple of 0x200 nor equal to SectionAlignment 0x1000');
    });

    it('a file not marked IMAGE_FILE_EXECUTABLE_IMAGE (an object file, a failed link)', () => {
      refused((o) => void (o.characteristics = 0x2020), "IMAGE_FILE_EXECUTABLE_IMAGE is not set in the file header's Characteristics (0x2020)");
    });

    describe('below a page of SectionAlignment, where the file is mapped as it is', () => {
      const tiny = (s: Partial<CraftSection>): Uint8Array =>
        buildPe({
          fileSize: 0x800,
          sectionAlignment: 0x200,
          fileAlignment: 0x200,
          sizeOfHeaders: 0x200,
          sizeOfImage: 0x800,
          sections: [{ name: '.text', rva: 0x200, virtualSize: 0x200, rawOffset: 0x200, rawSize: 0x200, characteristics: SCN_CODE, ...s }],
        });

      it('a section whose RVA is not its file offset', () => {
        expect(refusal(tiny({ rva: 0x400 }))).toMatch(/^STATUS_INVALID_IMAGE_FORMAT: section \.text: .* its RVA 0x400 must equal its file offset 0x200$/);
      });

      it('a section that would need zero fill (VirtualSize above SizeOfRawData)', () => {
        expect(refusal(tiny({ virtualSize: 0x400 }))).toMatch(/its VirtualSize 0x400 must not exceed its SizeOfRawData 0x200$/);
      });
    });
  });

  describe('accept, as Windows does', () => {
    it('sections sharing raw data (only their virtual order matters), each mapped with it', () => {
      const b = smallPe((o) => void (section(o, '.data').rawOffset = 0x400));
      b.set([0xde, 0xad], 0x400);
      const img = parsePe(b);
      const m = mapImage(img, b, img.imageBase);
      expect([...m.memory.subarray(0x1000, 0x1002)]).toEqual([0xde, 0xad]);
      expect([...m.memory.subarray(0x3000, 0x3002)]).toEqual([0xde, 0xad]);
    });

    it('a SizeOfImage ending inside the last section page, and one ending less than SectionAlignment past it', () => {
      expect(parsePe(smallPe((o) => void (o.sizeOfImage = 0x5800))).sizeOfImage).toBe(0x5800);
      const { sections, fileEnd } = contiguous([{ name: '.text', virtualSize: 0x2000, rawSize: 0x200, characteristics: SCN_CODE }]);
      const wide = sections.map((s) => ({ ...s, rva: 0x2000 }));
      // SectionAlignment 0x2000: the section runs to 0x4000, and SizeOfImage may stop a page past that.
      expect(parsePe(buildPe({ fileSize: fileEnd, sections: wide, sizeOfImage: 0x5000, sectionAlignment: 0x2000 })).sizeOfImage).toBe(0x5000);
      expect(refusal(buildPe({ fileSize: fileEnd, sections: wide, sizeOfImage: 0x6000, sectionAlignment: 0x2000 }))).toMatch(/reaches 0x2000 bytes past/);
    });

    it('a PointerToRawData left as garbage when SizeOfRawData is 0 (old linkers)', () => {
      expect(parsePe(smallPe((o) => void (section(o, '.bss').rawOffset = 0xfffff000))).sections[2]!.rawOffset).toBe(0xfffff000);
    });

    it('overlapping sections below a page of SectionAlignment: the file is mapped as it is, read-write-execute', () => {
      const b = buildPe({
        fileSize: 0x800,
        sectionAlignment: 0x200,
        fileAlignment: 0x200,
        sizeOfHeaders: 0x200,
        sizeOfImage: 0x800,
        sections: [
          { name: 'a', rva: 0x200, virtualSize: 0x400, rawOffset: 0x200, rawSize: 0x400, characteristics: SCN_CODE },
          { name: 'b', rva: 0x200, virtualSize: 0x200, rawOffset: 0x200, rawSize: 0x200, characteristics: SCN_DATA },
        ],
      });
      b.fill(0x90, 0x200, 0x800);
      const img = parsePe(b);
      const m = mapImage(img, b, 0x10000n);
      expect(m.memory.subarray(0, 0x800)).toEqual(b.subarray(0, 0x800));
      expect(m.regions).toEqual([{ rva: 0, size: 0x1000, prot: PROT_READ | PROT_WRITE | PROT_EXEC }]);
    });
  });
});
