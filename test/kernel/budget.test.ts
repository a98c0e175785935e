// Run budgets: an endless loop ends at the instruction budget or the wall-clock budget, whichever is given.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { cli, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('spin', arch);

  it('an endless loop in DriverEntry stops at maxInstructions 100000 with outcome instruction-limit', () => {
    const { report } = run(driver(), [], { maxInstructions: 100_000 });
    expect(report.outcome).toBe('instruction-limit');
    expect(report.stop?.reason).toBe('the instruction budget (100000) ran out');
    expect(report.stop?.module).toBe('spin.sys');
    expect(report.stats.instructions).toBeGreaterThanOrEqual(100_000);
    expect(report.stats.instructions).toBeLessThan(100_100);
    expect(report.dbgPrint).toEqual(['waiting for the device\n']);
    expect(report.driverEntry).toBeNull();
  });

  it('an endless loop in DriverEntry stops at timeoutMs 200 with outcome timeout', () => {
    const started = performance.now();
    const { report } = run(driver(), [], { timeoutMs: 200 });
    const elapsed = performance.now() - started;
    expect(report.outcome).toBe('timeout');
    expect(report.stop?.module).toBe('spin.sys');
    expect(report.dbgPrint).toEqual(['waiting for the device\n']);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('kdemu run exits 1 when the budget runs out', () => {
    const r = cli(['run', driver().path, '--max-instructions', '100000']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Stopped: instruction-limit');
    expect(r.stderr).toBe('');
  });
});
