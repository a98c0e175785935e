// applyRelocations: each IMAGE_REL_BASED_* type patches its field by the base delta, and unknown types are refused.
import { describe, expect, it } from 'vitest';
import { PeFormatError, applyRelocations } from '../../emu/pe/index.js';

function mem(size = 32): { m: Uint8Array; dv: DataView } {
  const m = new Uint8Array(size);
  return { m, dv: new DataView(m.buffer) };
}

describe('applyRelocations', () => {
  it('adds the low 32 bits of the delta to a HIGHLOW field, wrapping at 4 GiB', () => {
    const { m, dv } = mem();
    dv.setUint32(4, 0x00401234, true);
    dv.setUint32(8, 0xfffff000, true);
    applyRelocations(m, [{ rva: 4, type: 3 }, { rva: 8, type: 3 }], 0x7fc00000n);
    expect(dv.getUint32(4, true)).toBe(0x80001234);
    expect(dv.getUint32(8, true)).toBe(0x7fbff000);
  });

  it('adds the delta to a DIR64 field, including a negative delta', () => {
    const { m, dv } = mem();
    dv.setBigUint64(0, 0x140001000n, true);
    dv.setBigUint64(8, 0x140002000n, true);
    applyRelocations(m, [{ rva: 0, type: 10 }], 0xfffff80000000000n - 0x140000000n);
    applyRelocations(m, [{ rva: 8, type: 10 }], -0x100000000n);
    expect(dv.getBigUint64(0, true)).toBe(0xfffff80000001000n);
    expect(dv.getBigUint64(8, true)).toBe(0x40002000n);
  });

  it('adds only the high half of the delta to a HIGH field and only the low half to a LOW field', () => {
    const { m, dv } = mem();
    dv.setUint16(0, 0x0040, true);
    dv.setUint16(2, 0xfff0, true);
    applyRelocations(m, [{ rva: 0, type: 1 }, { rva: 2, type: 2 }], 0x12340020n);
    expect(dv.getUint16(0, true)).toBe(0x1274);
    expect(dv.getUint16(2, true)).toBe(0x0010);
  });

  it('rounds a HIGHADJ field using its signed low-half parameter', () => {
    const { m, dv } = mem();
    // Value 0x0040_9000: high 0x0041 with low -0x7000 (0x9000) as compilers split it for addi.
    dv.setUint16(0, 0x0041, true);
    applyRelocations(m, [{ rva: 0, type: 4, param: 0x9000 }], 0x00008000n);
    // 0x00409000 + 0x8000 = 0x00411000; high half with rounding: (0x00411000 + 0x8000) >> 16 = 0x41.
    expect(dv.getUint16(0, true)).toBe(0x0041);
    dv.setUint16(0, 0x0041, true);
    applyRelocations(m, [{ rva: 0, type: 4, param: 0x9000 }], 0x00010000n);
    expect(dv.getUint16(0, true)).toBe(0x0042);
  });

  it('changes nothing when the delta is zero, even for unknown types', () => {
    const { m } = mem();
    m[0] = 0xaa;
    applyRelocations(m, [{ rva: 0, type: 5 }], 0n);
    expect(m[0]).toBe(0xaa);
  });

  it('throws PeFormatError for an unknown relocation type', () => {
    const { m } = mem();
    expect(() => applyRelocations(m, [{ rva: 0, type: 7 }], 0x1000n)).toThrow(PeFormatError);
    expect(() => applyRelocations(m, [{ rva: 0, type: 7 }], 0x1000n)).toThrow(/unsupported relocation type 7 at RVA 0x0/);
  });
});
