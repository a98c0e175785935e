// Shared helpers for the kernel behaviour tests: run a fixture driver through runDriver or the CLI.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runDriver } from '../../hal/run.js';
import type { Operation, Report, RunOptions, TraceEvent } from '../../hal/report.js';
import { repoRoot, type BuiltDriver } from '../fixtures/build.js';
import { validateReport, validateTraceEvent } from '../schema-validate.js';

export interface Run {
  report: Report;
  trace: TraceEvent[];
}

/**
 * Runs a built driver with the given user operations, recording every trace event. The report and the events are
 * checked against the published schemas (an onTrace of the options' own is still validated, through a wrapper).
 */
export function run(driver: BuiltDriver, operations: Operation[] = [], options: Partial<RunOptions> = {}): Run {
  const trace: TraceEvent[] = [];
  const sink = options.onTrace ?? ((e: TraceEvent) => void trace.push(e));
  const report = runDriver({
    driverPath: driver.path,
    driverBytes: driver.bytes,
    operations,
    ...options,
    onTrace: (e, context) => {
      validateTraceEvent(e);
      sink(e, context);
    },
  });
  validateReport(report);
  return { report, trace };
}

export const op = {
  open: (name: string): Operation => ({ op: 'open', name }),
  read: (length: number): Operation => ({ op: 'read', length }),
  write: (hex: string): Operation => ({ op: 'write', data: Uint8Array.from(Buffer.from(hex, 'hex')) }),
  ioctl: (code: number, inHex = '', outputLength = 0): Operation => ({ op: 'ioctl', code, input: Uint8Array.from(Buffer.from(inHex, 'hex')), outputLength }),
  close: (): Operation => ({ op: 'close' }),
};

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/bin/kdemu.js, from `npm run setup`) with arguments. */
export function cli(args: string[], timeoutMs = 30_000): CliResult {
  const kdemu = path.join(repoRoot, 'dist', 'bin', 'kdemu.js');
  if (!existsSync(kdemu)) throw new Error(`${kdemu} is missing: build it with npm run setup`);
  const r = spawnSync(process.execPath, [kdemu, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the CLI printed with --json (the run report by default). */
export function cliJson<T = Report>(args: string[], timeoutMs?: number): CliResult & { json: T } {
  const r = cli([...args, '--json'], timeoutMs);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`kdemu ${args.join(' ')} printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, json };
}

/** The trace events of one type. */
export function events<T extends TraceEvent['type']>(trace: TraceEvent[], type: T): Extract<TraceEvent, { type: T }>[] {
  return trace.filter((e): e is Extract<TraceEvent, { type: T }> => e.type === type);
}
