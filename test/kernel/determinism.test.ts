// Determinism: the same run gives the same trace, event for event, and the same report.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';

const IOCTL_KD_REVERSE = 0x222400;

describe.each(ARCHES)('%s', (arch) => {
  it('the same run twice gives byte-identical trace event lists', () => {
    const driver = buildDriver('io', arch);
    const ops = [op.open('KdIoBuf'), op.read(16), op.write('00112233'), op.ioctl(IOCTL_KD_REVERSE, '0102030405060708', 3), op.open('KdIoNeither'), op.read(5), op.open('NoSuch')];
    const a = run(driver, ops);
    const b = run(driver, ops);
    expect(a.report.outcome).toBe('completed');
    expect(a.trace.length).toBeGreaterThan(50);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
    // The report too, apart from the wall-clock time.
    const stable = (r: typeof a.report) => JSON.stringify({ ...r, stats: { ...r.stats, wallMs: 0 } });
    expect(stable(b.report)).toBe(stable(a.report));
  });

  it('a run that stops abnormally is as deterministic as one that completes', () => {
    const driver = buildDriver('pool', arch);
    const a = run(driver, [op.ioctl(0x222084)]);
    const b = run(driver, [op.ioctl(0x222084)]);
    expect(a.report.outcome).toBe('bugcheck');
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
    expect(b.report.stop).toEqual(a.report.stop);
  });
});
