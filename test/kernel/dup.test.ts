// ZwDuplicateObject from kernel mode: access kept or chosen, kernel attributes, closing the source, bad handles.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it('makes a second handle to the same object, or closes the source, with the checks Windows makes', () => {
    const { report } = run(buildDriver('dup', arch));
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint.map((l) => l.trimEnd())).toEqual([
      'same access: 00000000 distinct 1 kernel 1 same object 1 access 001f0003', // EVENT_ALL_ACCESS kept
      'synchronize only: 00000000 access 00100000',
      'close source: 00000000 source closed 1',
      'no target, close source: 00000000 closed 1',
      'no target, no close: c000000d', // STATUS_INVALID_PARAMETER
      'bad source: c0000008', // STATUS_INVALID_HANDLE
      'bad process: c0000024', // an event handle as the source process: STATUS_OBJECT_TYPE_MISMATCH
    ]);
    // Every handle the driver made is closed (duplicates included).
    expect(report.unload).toEqual({ called: true, leaks: [] });
  });
});
