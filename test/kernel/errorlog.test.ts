// The error log: entries a driver allocates, fills and writes show in the trace; freed ones do not; unwritten ones leak.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const r = run(buildDriver('errorlog', arch));
    expect(r.report.outcome).toBe('completed');
    return r;
  };

  it('IoAllocateErrorLogEntry gives zeroed entries up to the maximum size, NULL beyond it or without an object', () => {
    const size = 48 + 4 + 12; // sizeof(IO_ERROR_LOG_PACKET) on both, a dump word, L"disk0"
    expect(result().report.dbgPrint.map((l) => l.trimEnd())).toEqual([
      `allocate ${size}: 1 zeroed 1`,
      'driver object entry: 1',
      'too large: 1, no object: 1',
      'left unwritten: 1',
    ]);
  });

  it('IoWriteErrorLogEntry records the entry (codes, dump data, strings) in the trace; the freed one is not recorded', () => {
    const logged = events(result().trace, 'errorlog');
    expect(logged).toEqual([{
      type: 'errorlog', seq: expect.any(Number), object: expect.stringMatching(/^0x[0-9A-F]+$/),
      errorCode: expect.stringMatching(/^0xC0040004/), uniqueErrorValue: '0x00001234', finalStatus: expect.stringMatching(/^STATUS_DEVICE_NOT_READY|0xC00000A3/),
      majorFunction: 14, dumpData: ['0xDEADBEEF', '0x0000002A'], strings: ['disk0'],
    }]);
  });

  it('an entry neither written nor freed is the driver\'s pool leak', () => {
    const { report } = result();
    expect(report.unload.leaks).toEqual([expect.objectContaining({ kind: 'pool', detail: expect.stringMatching(/IoEr/) })]);
  });
});
