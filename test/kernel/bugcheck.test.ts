// KeBugCheckEx ends the run with the driver's code and its four parameters.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { cli, cliJson, events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('bugcheck', arch);

  it('KeBugCheckEx(0xDEADBEEF, 1, 2, 3, 4) stops with that code and those four parameters', () => {
    const { report, trace } = run(driver());
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toEqual({ code: '0xDEADBEEF', name: '0xDEADBEEF', params: ['0x1', '0x2', '0x3', '0x4'] });
    expect(report.stop?.reason).toMatch(/^KeBugCheckEx\(0xDEADBEEF\) from bugcheck\.sys\+0x[0-9a-f]+$/);
    // Located at the call in DriverEntry.
    expect(report.stop?.module).toBe('bugcheck.sys');
    expect(`bugcheck.sys+${report.stop?.offset}`).toBe(report.stop!.reason.replace(/^.* from /, ''));
    expect(report.dbgPrint).toEqual(['about to bugcheck\n']);
    expect(report.driverEntry).toBeNull();
    // No unload after a crash, and no leak list: the machine is gone.
    expect(report.unload).toEqual({ called: false, leaks: [] });
    // The call that ended the run is in the trace, with its decoded arguments and no return.
    const call = events(trace, 'call').find((e) => e.export === 'ntoskrnl.exe!KeBugCheckEx');
    expect(call).toEqual({
      type: 'call',
      seq: expect.any(Number),
      export: 'ntoskrnl.exe!KeBugCheckEx',
      args: { BugCheckCode: '3735928559', BugCheckParameter1: '0x1', BugCheckParameter2: '0x2', BugCheckParameter3: '0x3', BugCheckParameter4: '0x4' },
      caller: report.stop!.reason.replace(/^.* from /, ''),
      // DriverEntry runs on the System process's thread 8.
      tid: 8,
      note: 'did not return: bugcheck',
    });
  });

  it('kdemu run exits 1 on a bugcheck and prints the code and parameters', () => {
    const r = cliJson(['run', driver().path]);
    expect(r.status).toBe(1);
    expect(r.json.stop?.bugcheck?.params).toEqual(['0x1', '0x2', '0x3', '0x4']);
    const human = cli(['run', driver().path]);
    expect(human.status).toBe(1);
    expect(human.stdout).toContain('bugcheck 0xDEADBEEF 0xDEADBEEF (0x1, 0x2, 0x3, 0x4)');
    expect(human.stderr).toBe('');
  });
});
