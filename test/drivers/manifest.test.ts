// The real third-party drivers in ../shared/drivers/: each one's manifest checks, run as its README says.
//
// One run per driver: its checks become operations in manifest order (ioctl → DeviceIoControl(code, input,
// outputLength), read → ReadFile(outputLength), write → WriteFile(input)); the report's non-open/close ops are
// compared with the checks (status and information always, data when the check gives it), DriverEntry's status
// with driverEntryExpect.status, and every dbgPrintContains string must appear in a DbgPrint line.
// Drivers kdemu cannot run to the end yet are in their own block, which pins where they stop today: the day one
// of them gets further, its test fails and the driver moves to the first block.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import type { Operation, Report } from '../../hal/report.js';
import { repoRoot } from '../fixtures/build.js';

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

/**
 * Where the drivers kdemu cannot run yet stop today: the unimplemented export the run stops at, and how many of
 * the driver's checks pass before it (null: the stop is in DriverEntry).
 */
const NOT_YET: Record<string, { export: string; checksBeforeStop: number | null; missing: string }> = {
  // IOCTL 0x221C00 (REFRESH_LIST) opens \REGISTRY\MACHINE\SOFTWARE\Tsugumi\Parameters: needs the registry.
  'tsugumi.sys': { export: 'ntoskrnl.exe!ZwOpenKey', checksBeforeStop: 1, missing: 'the registry (ZwOpenKey, ZwQueryValueKey, ZwClose)' },
  // DriverEntry's PnP driver watch reads HKLM\SYSTEM\Select\Current (REG_DWORD): needs the registry.
  'irpmon32.sys': { export: 'ntoskrnl.exe!ZwOpenKey', checksBeforeStop: null, missing: 'the registry (\\Registry\\Machine\\SYSTEM\\Select, value Current)' },
  'irpmon64.sys': { export: 'ntoskrnl.exe!ZwOpenKey', checksBeforeStop: null, missing: 'the registry (\\Registry\\Machine\\SYSTEM\\Select, value Current)' },
};

function operation(c: Check): Operation {
  const bytes = Uint8Array.from(Buffer.from(c.input, 'hex'));
  switch (c.op) {
    case 'ioctl':
      return { op: 'ioctl', code: parseInt(c.code!, 16), input: bytes, outputLength: c.outputLength };
    case 'read':
      return { op: 'read', length: c.outputLength };
    case 'write':
      return { op: 'write', data: bytes };
  }
}

function run(d: ManifestDriver): Report {
  const file = path.join(driversDir, d.file);
  const bytes = new Uint8Array(readFileSync(file));
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(d.sha256);
  return runDriver({ driverPath: file, driverBytes: bytes, operations: d.checks.map(operation) });
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

describe.skipIf(!present)(`manifest drivers${why}`, () => {
  // Without the folder there is nothing to run: the suite shows as skipped, with the reason in its name.
  if (!present) it(`needs ${manifestPath}`, () => expect(present).toBe(true));

  describe('run to the end', () => {
    for (const d of drivers.filter((x) => !(x.file in NOT_YET))) {
      it(`${d.file} (${d.arch}): DriverEntry and ${d.checks.length} check(s) give the manifest's results`, () => {
        const report = run(d);
        expect(report.stop).toBeNull();
        expect(report.outcome).toBe('completed');
        expectDriverEntry(report, d);
        expect(results(report, d.checks)).toEqual(expected(d.checks));
      });
    }
  });

  describe('not yet supported', () => {
    for (const d of drivers.filter((x) => x.file in NOT_YET)) {
      const stop = NOT_YET[d.file];
      const where = stop.checksBeforeStop === null ? 'in DriverEntry' : `in check ${stop.checksBeforeStop + 1} of ${d.checks.length}`;
      it(`${d.file} (${d.arch}) stops ${where} at ${stop.export}: kdemu lacks ${stop.missing}`, () => {
        const report = run(d);
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
