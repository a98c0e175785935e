// The real third-party drivers in ../shared/drivers/: each one's manifest checks, run as its README says, through the
// CLI's JSON report, on every engine.
//
// One run per driver and engine: its checks become operations in manifest order (ioctl → --ioctl CODE:IN:OUT,
// read → --read N, write → --write HEX); the report's non-open/close ops are compared with the checks (status and
// information always, data when the check gives it), DriverEntry's status with driverEntryExpect.status, and every
// dbgPrintContains string must appear in a DbgPrint line. After the runs, a table gives per driver and engine the
// DriverEntry status, the checks passed and, for a run kdemu stopped, the export or instruction it stopped at.
// Drivers kdemu cannot run to the end yet are listed in NOT_YET, which pins where they stop today: the day one of
// them gets further, its test fails and it leaves the list.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../hal/report.js';
import type { EngineName } from '../../emu/index.js';
import { repoRoot } from '../fixtures/build.js';
import { enginesHere } from '../helpers.js';
import { cliJson } from '../kernel/harness.js';

interface Check {
  op: 'ioctl' | 'read' | 'write';
  code: string | null;
  input: string;
  outputLength: number;
  expect: { status: string; information: number; data: string | null };
  assumes?: string;
  note?: string;
}

interface ManifestDriver {
  file: string;
  arch: 'x86' | 'x64';
  sha256: string;
  driverEntryExpect: { status: string; dbgPrintContains: string[]; assumes?: string };
  checks: Check[];
}

const driversDir = path.resolve(repoRoot, '..', 'shared', 'drivers');
const manifestPath = path.join(driversDir, 'manifest.json');
const present = existsSync(manifestPath);
const drivers: ManifestDriver[] = present ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { drivers: ManifestDriver[] }).drivers : [];
const ENGINES_HERE: EngineName[] = present ? enginesHere('manifest drivers', ['wasm', 'unicorn']) : [];

/**
 * Where the drivers kdemu cannot run yet stop today: the unimplemented export the run stops at, and how many of
 * the driver's checks pass before it (null: the stop is in DriverEntry).
 */
const NOT_YET: Record<string, { export: string; checksBeforeStop: number | null; missing: string }> = {};

/** The CLI flags of a check, as the manifest's README gives them. */
function flags(c: Check): string[] {
  switch (c.op) {
    case 'ioctl':
      return ['--ioctl', `${c.code}:${c.input}:${c.outputLength}`];
    case 'read':
      return ['--read', String(c.outputLength)];
    case 'write':
      return ['--write', c.input];
  }
}

/** Per driver and engine: what the table after the runs shows. */
const table: { driver: string; engine: EngineName; driverEntry: string; checks: string; stop: string }[] = [];

function run(d: ManifestDriver, engine: EngineName): Report {
  const file = path.join(driversDir, d.file);
  expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(d.sha256);
  const r = cliJson(['run', file, '--engine', engine, ...d.checks.flatMap(flags)], 120_000);
  const report = r.json;
  expect(r.status, r.stderr).toBe(report.outcome === 'completed' ? 0 : 1);
  const got = results(report, d.checks);
  const passed = got.filter((g, i) => JSON.stringify(g) === JSON.stringify(expected(d.checks)[i])).length;
  table.push({
    driver: d.file, engine, driverEntry: report.driverEntry?.status ?? '-', checks: `${passed}/${d.checks.length}`,
    stop: report.stop ? `${report.outcome}${report.stop.export ? ` ${report.stop.export}` : report.stop.instruction ? ` ${report.stop.instruction}` : ''}` : '',
  });
  return report;
}

/** What the report says for each check that ran: the non-open/close ops, in order, in the manifest's terms. */
function results(report: Report, checks: readonly Check[]) {
  return report.ops
    .filter((o) => o.op !== 'open' && o.op !== 'close')
    .map((o, i) => ({ status: o.status, information: o.information, ...(checks[i]?.expect.data !== null ? { data: o.data } : {}) }));
}

function expected(checks: readonly Check[]) {
  return checks.map((c) => ({ status: c.expect.status, information: c.expect.information, ...(c.expect.data !== null ? { data: c.expect.data } : {}) }));
}

function expectDriverEntry(report: Report, d: ManifestDriver): void {
  expect(report.driverEntry).toEqual({ status: d.driverEntryExpect.status });
  for (const text of d.driverEntryExpect.dbgPrintContains) expect(report.dbgPrint.some((line) => line.includes(text)), `DbgPrint has "${text}"`).toBe(true);
}

const why = present ? '' : ` (skipped: ${manifestPath} not found)`;

afterAll(() => {
  if (table.length === 0) return;
  const rows = [['driver', 'engine', 'DriverEntry', 'checks', 'stop'], ...table.map((t) => [t.driver, t.engine, t.driverEntry, t.checks, t.stop])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n'));
});

describe.skipIf(!present)(`manifest drivers${why}`, () => {
  // Without the folder there is nothing to run: the suite shows as skipped, with the reason in its name.
  if (!present) it(`needs ${manifestPath}`, () => expect(present).toBe(true));

  describe.each(ENGINES_HERE)('on the %s engine', (engine) => {
    describe('run to the end', () => {
      for (const d of drivers.filter((x) => !(x.file in NOT_YET))) {
        it(`${d.file} (${d.arch}): DriverEntry and ${d.checks.length} check(s) give the manifest's results`, () => {
          const report = run(d, engine);
          expect(report.stop).toBeNull();
          expect(report.outcome).toBe('completed');
          expectDriverEntry(report, d);
          expect(results(report, d.checks)).toEqual(expected(d.checks));
        });
      }
    });

    describe.skipIf(Object.keys(NOT_YET).length === 0)('not yet supported', () => {
      for (const d of drivers.filter((x) => x.file in NOT_YET)) {
        const stop = NOT_YET[d.file];
        const where = stop.checksBeforeStop === null ? 'in DriverEntry' : `in check ${stop.checksBeforeStop + 1} of ${d.checks.length}`;
        it(`${d.file} (${d.arch}) stops ${where} at ${stop.export}: kdemu lacks ${stop.missing}`, () => {
          const report = run(d, engine);
          expect(report.outcome).toBe('unsupported-call');
          expect(report.stop?.export).toBe(stop.export);
          expect(report.stop?.module).toBe(d.file);
          expect(report.unsupportedCalls).toEqual([stop.export]);
          if (stop.checksBeforeStop === null) {
            expect(report.driverEntry).toBeNull();
            expect(report.ops).toEqual([]);
          } else {
            // DriverEntry and the checks before the stop already give the manifest's results.
            expectDriverEntry(report, d);
            expect(results(report, d.checks)).toEqual(expected(d.checks.slice(0, stop.checksBeforeStop)));
          }
        });
      }
    });
  });
});
