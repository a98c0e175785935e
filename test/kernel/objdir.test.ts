// Object directories: ZwCreateDirectoryObject, ZwOpenDirectoryObject and ZwQueryDirectoryObject's listing rules.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const odi = arch === 'x64' ? 32 : 16; // sizeof(OBJECT_DIRECTORY_INFORMATION)
  const result = () => {
    const { report } = run(buildDriver('objdir', arch));
    expect(report.outcome).toBe('completed');
    expect(report.unload).toEqual({ called: true, leaks: [] });
    return report.dbgPrint.map((l) => l.trimEnd());
  };

  it('a created directory is named, holds what is made in it, and goes with its last handle once empty', () => {
    const lines = result();
    expect(lines.slice(0, 4)).toEqual([
      'create: 00000000 again: c0000035', // STATUS_OBJECT_NAME_COLLISION
      'name: 00000000 [\\KdDir]',
      'empty: 8000001a context 0 length 0', // STATUS_NO_MORE_ENTRIES
      'directory in it: 00000000 link in it: 00000000',
    ]);
    expect(lines[lines.length - 1]).toBe('after the last handle: c0000034');
  });

  it('ZwQueryDirectoryObject lists names and type names, whole or one entry at a time, and says how much room one needs', () => {
    const one = 2 * odi + 8 + 20; // an entry and the terminating one, "Sub", "Directory"
    expect(result().slice(4, 13)).toEqual([
      `whole: 00000000 context 2 length ${3 * odi + 8 + 20 + 8 + 26}`,
      '  [Sub] Directory',
      '  [Dev] SymbolicLink',
      `one by one: 00000000 context 1 length ${one}`,
      '  [Sub] Directory',
      '  next [Dev] SymbolicLink context 2',
      '  end: 8000001a',
      `too small: c0000023 context 0 length ${one}`, // STATUS_BUFFER_TOO_SMALL
      '\\Device: 00000000',
    ]);
  });

  it("the system's directories open by name and alias; a missing name or a non-directory does not", () => {
    expect(result().slice(13, -1)).toEqual([
      `device directory: 00000000 context 2 length ${3 * odi + 20 + 14 + 24 + 14}`,
      '  [NamedPipe] Device',
      '  [KdDirDevice] Device',
      '\\GLOBAL??: 00000000',
      'missing: c0000034',
      'a device: c0000024',
    ]);
  });
});
