// The wasm core runs every test driver and sample exactly as the Unicorn engine does: same report (instruction
// counts included) and the same trace, event for event.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Operation, Report } from '../../hal/report.js';
import { ARCHES, buildDriver, driversDir } from '../fixtures/build.js';
import { run } from '../kernel/harness.js';
import { kdemu, requireEngines, sample } from '../helpers.js';

const both = requireEngines('the same run on both engines', 'unicorn', 'wasm');
const fixtures = readdirSync(driversDir).filter((f) => f.endsWith('.c')).map((f) => f.replace(/\.c$/, '')).sort();
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString(16) : x), 1);
/** The report without what differs by nature: the engine's name and the wall-clock time. */
const comparable = (r: Report) => ({ ...r, stats: { ...r.stats, engine: '', wallMs: 0 } });

describe.skipIf(!both)('the same run on both engines', () => {
  it.each(fixtures.flatMap((name) => ARCHES.map((arch) => [name, arch] as const)))('test driver %s (%s): load, DriverEntry, unload', (name, arch) => {
    const driver = buildDriver(name, arch);
    const ops: Operation[] = [];
    const u = run(driver, ops, { engine: 'unicorn', maxInstructions: 5_000_000 });
    const w = run(driver, ops, { engine: 'wasm', maxInstructions: 5_000_000 });
    expect(json(comparable(w.report))).toBe(json(comparable(u.report)));
    expect(json(w.trace)).toBe(json(u.trace));
  });

  it.each(ARCHES)('readfile.sys (%s) through the CLI: --json and --trace', (arch) => {
    const args = ['run', sample(arch, 'readfile.sys'), '--read', '10'];
    const u = kdemu([...args, '--engine', 'unicorn', '--json']);
    const w = kdemu([...args, '--engine', 'wasm', '--json']);
    expect(w.code).toBe(0);
    expect(json(comparable(JSON.parse(w.stdout) as Report))).toBe(json(comparable(JSON.parse(u.stdout) as Report)));
    const ut = kdemu([...args, '--engine', 'unicorn', '--trace', '-']);
    const wt = kdemu([...args, '--engine', 'wasm', '--trace', '-']);
    // The NDJSON events (the closing summary line names the engine and the time).
    const events = (out: string) => out.split('\n').filter((l) => l.startsWith('{'));
    expect(events(wt.stdout).length).toBeGreaterThan(10);
    expect(events(wt.stdout)).toEqual(events(ut.stdout));
  });
});
