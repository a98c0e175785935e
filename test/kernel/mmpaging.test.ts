// Driver paging bookkeeping (MmLockPagableDataSection and its handle forms, MmPageEntireDriver) and more MDL support
// (MmSizeOfMdl, MmCreateMdl, IoBuildPartialMdl, MmProtectMdlSystemAddress, reserved mappings), with their misuse.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('mm paging and MDL support');

describe.each(ARCHES)('%s', (arch) => {
  const misuse = (flag: string) => run(buildDriver('mmpaging', arch, { defines: { [flag]: true } }));

  describe.each(engines)('%s engine', (engine) => {
    const result = () => run(buildDriver('mmpaging', arch), [], { engine });

    it('MmLockPagableDataSection returns the section header of the address, MmPageEntireDriver the image base', () => {
      const r = result();
      expect(r.report.outcome).toBe('completed');
      expect(r.report.dbgPrint.slice(0, 4)).toEqual([
        'data handle in image 1, section PAGEDATA\n',
        'code section PAGE, other handle 1, routine 15\n',
        `page entire driver base 1, outside ${'0'.repeat(arch === 'x64' ? 16 : 8)}\n`,
        'system size 2, server 0, verifying 0 0, recursive fault 0\n',
      ]);
    });

    it('MmSizeOfMdl counts spanned pages; MmCreateMdl and IoBuildPartialMdl describe the buffer and share the PFNs', () => {
      const r = result();
      const off = arch === 'x64' ? ['1b0', '9a0'] : ['e0', '8d0'];
      expect(r.report.dbgPrint.slice(4, 9)).toEqual([
        'size of mdl 2 1 0\n',
        `created count 2000 offset ${off[0]} start ok 1 flags 0\n`,
        'partial va 1, count 1000, pfns 1 1, partial 1, nonpaged 1\n',
        `partial rest count 800 offset ${off[1]}\n`,
        'protect nonpaged c0000019\n',
      ]);
    });

    it('MmProtectMdlSystemAddress changes the view\'s protection; a reserved mapping shows the same pages', () => {
      const r = result();
      expect(r.report.dbgPrint.slice(9)).toEqual([
        'protect readonly 00000000, bad c0000045, read 11, valid 1\n',
        'protect readwrite 00000000, write seen 33\n',
        'reserved map at start 1, reads 33\n',
        'write through reserved seen 44\n',
        'unmapped valid 0\n',
        `too big ${'0'.repeat(arch === 'x64' ? 16 : 8)}\n`,
      ]);
      expect(r.report.unload.leaks).toEqual([]);
    });
  });

  it('unlocking a section more often than it was locked bugchecks MEMORY_MANAGEMENT 0x1010', () => {
    const r = misuse('UNLOCK_TWICE');
    expect(r.report.outcome).toBe('bugcheck');
    expect(r.report.stop?.bugcheck?.code).toBe('0x0000001A');
    expect(r.report.stop?.bugcheck?.params[0]).toBe('0x1010');
    expect(r.report.stop?.module).toBe('mmpaging.sys');
  });

  it('locking an address outside every image section bugchecks MEMORY_MANAGEMENT 0x1234', () => {
    const r = misuse('LOCK_OUTSIDE');
    expect(r.report.stop?.bugcheck?.code).toBe('0x0000001A');
    expect(r.report.stop?.bugcheck?.params.slice(0, 1)).toEqual(['0x1234']);
    expect(r.report.stop?.reason).toMatch(/lies in no section of a loaded image/);
  });

  it('a write to a view made read-only by MmProtectMdlSystemAddress faults', () => {
    const r = misuse('WRITE_READONLY');
    expect(r.report.outcome).toBe('fault');
    expect(r.report.stop?.fault?.access).toBe('write');
    expect(r.report.stop?.bugcheck?.name).toBe('ATTEMPTED_WRITE_TO_READONLY_MEMORY');
  });

  it('freeing a reserved mapping range with another tag, or while it maps an MDL, bugchecks SYSTEM_PTE_MISUSE', () => {
    const tag = misuse('BAD_TAG');
    expect(tag.report.stop?.bugcheck?.code).toBe('0x000000DA');
    expect(tag.report.stop?.reason).toMatch(/is not the one the range was reserved with/);
    const mapped = misuse('FREE_MAPPED');
    expect(mapped.report.stop?.bugcheck?.code).toBe('0x000000DA');
    expect(mapped.report.stop?.reason).toMatch(/still maps MDL/);
  });
});
