// Unhandled page faults in driver code: a NULL (user-space) pointer is an access violation raised in the thread,
// unhandled KMODE_EXCEPTION_NOT_HANDLED at the faulting instruction in the driver.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { cli, cliJson, events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('nullwrite', arch);

  it('a NULL pointer write in DriverEntry is a fault in the driver, an access violation no handler takes (0x1E)', () => {
    const { report, trace } = run(driver());
    expect(report.outcome).toBe('fault');
    const stop = report.stop!;
    expect(stop.module).toBe('nullwrite.sys');
    expect(stop.offset).toMatch(/^0x[0-9a-f]+$/);
    // The faulting instruction is in the image's .text.
    const offset = Number.parseInt(stop.offset!, 16);
    expect(offset).toBeGreaterThanOrEqual(0x1000);
    expect(offset).toBeLessThan(0x2000);
    expect(BigInt(stop.pc!)).toBe(BigInt(report.driver.imageBase) + BigInt(offset));
    expect(stop.fault).toEqual({ access: 'write', address: '0x0' });
    // KMODE_EXCEPTION_NOT_HANDLED(STATUS_ACCESS_VIOLATION, faulting instruction, 1 = write, address).
    expect(stop.bugcheck).toEqual({ code: '0x0000001E', name: 'KMODE_EXCEPTION_NOT_HANDLED', params: ['0xC0000005', stop.pc, '0x1', '0x0'] });
    expect(report.dbgPrint).toEqual(['counting\n']);
    expect(report.driverEntry).toBeNull();
    expect(events(trace, 'stop')).toEqual([expect.objectContaining({ outcome: 'fault' })]);
  });

  it('kdemu run exits 1 on a fault, reporting it without a host stack trace', () => {
    const r = cliJson(['run', driver().path]);
    expect(r.status).toBe(1);
    expect(r.json.outcome).toBe('fault');
    expect(r.json.stop?.fault).toEqual({ access: 'write', address: '0x0' });
    expect(r.stderr).toBe('');
    const human = cli(['run', driver().path]);
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/Stopped: fault/);
    expect(human.stdout).toMatch(/at nullwrite\.sys\+0x[0-9a-f]+/);
    expect(human.stdout).toMatch(/call stack: nullwrite\.sys\+0x[0-9a-f]+/);
    expect(human.stderr).toBe('');
    expect(human.stdout + human.stderr).not.toMatch(/\n\s+at .*\.(js|ts):\d+/);
  });
});
