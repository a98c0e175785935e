// Physical memory: MmGetPhysicalAddress and back, MmMapIoSpace of RAM and device registers, the RAM map, and the
// contiguous, non-cached and MDL page allocators, with their misuse and their leaks.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('physical memory');

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    const result = () => run(buildDriver('physmem', arch), [], { engine });
    const lines = (r: ReturnType<typeof result>) => r.report.dbgPrint;

    it('a buffer\'s physical address is its MDL PFN, maps back to it, and MmIsAddressValid tells present pages', () => {
      const r = result();
      expect(r.report.outcome).toBe('completed');
      expect(lines(r).slice(0, 4)).toEqual([
        'pa offset ok 1, matches mdl 1, nonzero 1\n',
        'virtual for physical is the buffer 1\n',
        'valid 1 0 0, nonpaged system 1 0\n',
        'unmapped pa 0\n',
      ]);
    });

    it('MmMapIoSpace of RAM shows the same bytes; of the local APIC and HPET their registers; of nothing all ones', () => {
      const r = result();
      expect(lines(r).slice(4, 13)).toEqual([
        'view 5a, same page 1\n',
        'write through view seen a5\n',
        'apic version 00050014 svr 0000011f\n',
        'READ_REGISTER 00050014 0014 14\n',
        'WRITE_REGISTER 000000f0 007ebeef\n',
        'REGISTER_BUFFER ffffffff 00000000 0014 0005 11223344 00050014 00000000\n',
        'hpet caps 8086a201 0429b17f config 00000000\n',
        'nothing there ffffffff, offset 4\n',
        `MmMapIoSpaceEx 00050014, bad protect ${'0'.repeat(arch === 'x64' ? 16 : 8)}\n`,
      ]);
    });

    it('READ_REGISTER_* / WRITE_REGISTER_* (and their buffer forms) are ntoskrnl functions on x86, inlines on x64', () => {
      const r = result();
      const calls = r.trace.filter((e) => e.type === 'call' && e.export.includes('_REGISTER_')).map((e) => (e as { export: string }).export);
      expect(calls).toEqual(arch === 'x64' ? [] : [
        'READ_REGISTER_UCHAR', 'READ_REGISTER_USHORT', 'READ_REGISTER_ULONG', 'WRITE_REGISTER_ULONG', 'WRITE_REGISTER_USHORT', 'WRITE_REGISTER_UCHAR',
        'READ_REGISTER_BUFFER_ULONG', 'READ_REGISTER_BUFFER_USHORT', 'WRITE_REGISTER_BUFFER_UCHAR', 'WRITE_REGISTER_BUFFER_USHORT',
        'WRITE_REGISTER_BUFFER_ULONG', 'READ_REGISTER_BUFFER_UCHAR',
      ].map((n) => `ntoskrnl.exe!${n}`));
    });

    it('MmGetPhysicalMemoryRanges lists the RAM of a 4 GiB PC (x86: below 4 GiB only), ending with a zero entry', () => {
      const r = result();
      expect(lines(r).filter((l) => l.startsWith('range '))).toEqual([
        'range 1000 9e000\n',
        'range 100000 bff00000\n',
        ...(arch === 'x64' ? ['range 100000000 40000000\n'] : []),
      ]);
      expect(r.report.unload.leaks).toEqual([]);
    });

    it('contiguous and non-cached memory come from free RAM at the top of the acceptable range, zeroed, honouring the boundary', () => {
      const r = result();
      const null_ = '0'.repeat(arch === 'x64' ? 16 : 8);
      expect(lines(r)).toEqual(expect.arrayContaining([
        'contiguous below 16M ffd000, contiguous 1, zero 1\n',
        'contiguous below 4G bfffe000\n',
        'mapped contiguous 77\n',
        `boundary ok 1, too big for boundary ${null_}\n`,
        'node memory 1fff000\n',
        'non-cached 1 valid 1\n',
        'after free valid 0\n',
      ]));
    });

    it('MmAllocatePagesForMdl(Ex) describes zeroed, locked pages an MDL mapping shows; fully-required fails when the range is short', () => {
      const r = result();
      expect(lines(r).slice(-4)).toEqual([
        'mdl pages bytes 3000 locked 1 pfns below 4G 1\n',
        'mapped mdl pages 66, zero 0, pa matches 1\n',
        `fully required in two pages ${'0'.repeat(arch === 'x64' ? 16 : 8)}\n`,
        'partial 2000\n',
      ]);
    });

    it('freeing contiguous memory an I/O-space view still shows leaves the view showing it; the frame is allocated afresh', () => {
      const { report } = run(buildDriver('physmem', arch, { defines: { FREE_MAPPED: true } }), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint.slice(-2)).toEqual(['view after free 3c\n', 'reallocated frame is zero 1\n']);
      expect(report.unload.leaks).toEqual([]);
    });

    it('contiguous memory and I/O-space mappings left at unload are leaks', () => {
      const { report } = run(buildDriver('physmem', arch, { defines: { LEAK: true } }), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.unload.leaks).toEqual([
        expect.objectContaining({ kind: 'physical-memory', detail: expect.stringMatching(/^1 physical page of contiguous memory at 0x[0-9A-F]+, never freed$/), size: 4096, caller: expect.stringMatching(/^physmem\.sys\+/) }),
        expect.objectContaining({ kind: 'mapping', detail: expect.stringMatching(/^1 page of I\/O space at physical 0xFEE00000 mapped at 0x[0-9A-F]+, never unmapped/) }),
      ]);
    });

    it('mapping RAM nobody allocated is MEMORY_MANAGEMENT (0x1A, 0x1233, the PFN)', () => {
      const { report } = run(buildDriver('physmem', arch, { defines: { MAP_FREE_RAM: true } }), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x0000001A');
      expect(report.stop?.bugcheck?.params.slice(0, 2)).toEqual(['0x1233', '0x20000']);
      expect(report.stop?.module).toBe('physmem.sys');
    });

    it('MmFreeContiguousMemory of memory it did not allocate is BAD_POOL_CALLER 0x60', () => {
      const { report } = run(buildDriver('physmem', arch, { defines: { BAD_FREE: true } }), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x000000C2');
      expect(report.stop?.bugcheck?.params[0]).toMatch(/^0x0*60$/);
    });
  });
});
