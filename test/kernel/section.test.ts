// Section objects from a driver: ZwCreateSection (pagefile-backed, named, file-backed), ZwOpenSection (by name,
// \Device\PhysicalMemory), ZwMapViewOfSection / ZwUnmapViewOfSection in the user address space,
// MmMapViewInSystemSpace / MmUnmapViewInSystemSpace, ObReferenceObjectByHandle with MmSectionObjectType, the statuses
// Windows refuses with, and the leak report for what the driver leaves behind.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('section views');

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const { report } = run(buildDriver('section', arch), [op.open('KdSection'), op.close()]);
    expect(report.outcome).toBe('completed');
    return report;
  };
  const lines = () => result().dbgPrint;
  const line = (prefix: string) => lines().find((l) => l.startsWith(prefix + ' '));

  it('a named pagefile-backed section is a Section object: MmSectionObjectType matches its handle, PsProcessType does not', () => {
    expect(lines().slice(0, 3)).toEqual(['create 00000000\n', 'reference 00000000 object 1\n', 'reference as process c0000024\n']);
  });

  it('a system view and a user view show the same zeroed pages: a write through one is seen through the other', () => {
    expect(lines().slice(3, 6)).toEqual([
      'system view 00000000 size 3000 zero 1\n',
      'user view 00000000 size 3000 aligned 1 user 1\n',
      'system to user cafebabe user to system 600df00d\n',
    ]);
  });

  it('ZwOpenSection opens the named section (a second view shows the same bytes); creating the name again collides, OBJ_OPENIF opens it', () => {
    expect(lines().slice(6, 14)).toEqual([
      'open 00000000\n',
      // A view size is rounded up to whole pages.
      'second user view 00000000 size 2000 other 1 sees cafebabe\n',
      'create again c0000035\n', // STATUS_OBJECT_NAME_COLLISION
      'open if 40000000\n', // STATUS_OBJECT_NAME_EXISTS
      'open missing c0000034\n', // STATUS_OBJECT_NAME_NOT_FOUND
      'create in missing directory c000003a\n', // STATUS_OBJECT_PATH_NOT_FOUND
      'create over a directory c0000035\n',
      'relative name c000003b\n', // STATUS_OBJECT_PATH_SYNTAX_BAD
    ]);
  });

  it('ZwCreateSection refuses a missing size, bad protections and bad allocation attributes with Windows\' statuses', () => {
    expect(lines().slice(14, 21)).toEqual([
      'no size c00000f2\n', // STATUS_INVALID_PARAMETER_4
      'zero size c00000f2\n',
      'noaccess c0000045\n', // STATUS_INVALID_PAGE_PROTECTION
      'two protections c0000045\n',
      'guard c0000045\n',
      'no allocation type c00000f4\n', // STATUS_INVALID_PARAMETER_6
      'commit and reserve c00000f4\n',
    ]);
  });

  it('ZwMapViewOfSection refuses misaligned offsets, oversized views, incompatible protections and taken addresses', () => {
    expect(lines().slice(21, 30)).toEqual([
      'offset not 64k c0000220\n', // STATUS_MAPPED_ALIGNMENT
      'view too big c000001f\n', // STATUS_INVALID_VIEW_SIZE
      'offset past end c000001f\n',
      'executable view c000004e\n', // STATUS_SECTION_PROTECTION
      'bad protection c0000045\n',
      'bad inherit c00000f6\n', // STATUS_INVALID_PARAMETER_8
      'taken address c0000018\n', // STATUS_CONFLICTING_ADDRESSES
      'not a section c0000024\n', // STATUS_OBJECT_TYPE_MISMATCH
      'unmap a non-view c0000019\n', // STATUS_NOT_MAPPED_VIEW
    ]);
  });

  it('unmapping takes any address inside a view; a non-view or a view already unmapped is STATUS_NOT_MAPPED_VIEW', () => {
    expect(line('unmap a pool address from system space')).toBe('unmap a pool address from system space c0000019\n');
    expect(lines().slice(31, 34)).toEqual(['unmap inside 00000000\n', 'unmap again c0000019\n', 'unmap user 00000000\n']);
  });

  it('a file-backed section shows the file\'s bytes (zeros past its end); a write through a view reaches the file when it is unmapped', () => {
    expect(lines().slice(34, 41)).toEqual([
      'file 00000000\n',
      'empty file c000011e\n', // STATUS_MAPPED_FILE_SIZE_ZERO
      'file section 00000000\n',
      'file view 00000000 size 1000 [hello, section] after end 1\n',
      'unmap file view 00000000\n',
      'file after unmap 00000000 14 [Jello, section]\n',
      // A read-only section cannot extend its file: STATUS_SECTION_TOO_BIG.
      'read-only section past the end c0000040\n',
    ]);
  });

  it('\\Device\\PhysicalMemory mapped at a pool buffer\'s physical address shows the buffer, and writes reach it', () => {
    expect(lines().slice(41, 45)).toEqual([
      'physical memory 00000000\n',
      'physical view 00000000 offset rounded 1 size 1000 [physical bytes]\n',
      'buffer after write through the view [Physical bytes]\n',
      'unmap physical 00000000\n',
    ]);
  });

  it('MmMapViewInSessionSpace maps in a session\'s process (the client\'s) and refuses the System process, which is in none', () => {
    expect(line('session view system')).toBe('session view system c0000019\n'); // STATUS_NOT_MAPPED_VIEW
    expect(line('session view client')).toBe('session view client 00000000 size 1000 wrote 5e55 unmap 00000000 again c0000019\n');
  });

  it('a view left mapped and a section handle left open show in the leak report', () => {
    const { unload } = result();
    expect(unload.called).toBe(true);
    expect(unload.leaks).toHaveLength(2);
    expect(unload.leaks[0]).toMatchObject({ kind: 'mapping', caller: expect.stringMatching(/^section\.sys\+0x/) });
    expect(unload.leaks[0].detail).toMatch(/^3 pages of section 0x[0-9A-F]+ \(\\BaseNamedObjects\\KdSection\) mapped at 0x[0-9A-F]+ in system space, never unmapped$/);
    expect(unload.leaks[1]).toMatchObject({ kind: 'handle' });
    expect(unload.leaks[1].detail).toMatch(/^kernel handle 0x[0-9A-F]+ to section object 0x[0-9A-F]+ \(\\BaseNamedObjects\\KdSection\), never closed$/);
  });
});

describe.each(ARCHES)('%s: engines agree', (arch) => {
  it.each(engines)('the %s engine sees the same views', (engine) => {
    const { report } = run(buildDriver('section', arch), [op.open('KdSection'), op.close()], { engine });
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toContain('system to user cafebabe user to system 600df00d\n');
    expect(report.dbgPrint).toContain('buffer after write through the view [Physical bytes]\n');
  });
});
