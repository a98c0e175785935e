// IoEnumerateDeviceObjectList, IoGetDeviceAttachmentBaseRef, and shutdown notification registrations (which
// IoDeleteDevice undoes for a device still registered).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const { report } = run(buildDriver('devmisc', arch));
    expect(report.outcome).toBe('completed');
    return { report, lines: report.dbgPrint.map((l) => l.trimEnd()) };
  };

  it("IoEnumerateDeviceObjectList lists the driver's devices newest first, or says how many when the list is too small", () => {
    expect(result().lines.slice(0, 2)).toEqual([
      `enumerate, room for 1: c0000023 count 2 first ${arch === 'x64' ? '0000000000000000' : '00000000'}`,
      'enumerate: 00000000 count 2 upper first 1 lower second 1',
    ]);
  });

  it('IoGetDeviceAttachmentBaseRef returns the bottom of the stack, referenced', () => {
    expect(result().lines[2]).toBe('base of upper is lower 1, of lower is lower 1');
  });

  it('shutdown registrations set DO_SHUTDOWN_REGISTERED until unregistered; IoDeleteDevice unregisters, leaving no reference', () => {
    const { lines, report } = result();
    expect(lines.slice(3)).toEqual(['register: 00000000 flag 1', 'unregister: flag 0', 'last chance: 00000000 flag 1']);
    // Every reference taken (the enumeration's, the base's, the registrations') was released.
    expect(report.unload).toEqual({ called: true, leaks: [] });
  });
});
