// One driver of a corpus run: its requests, the run, and the record the summary is made of.
//
// A corpus folder may hold a manifest.json in the shared drivers' format ({ drivers: [{ file, checks: [...] }] }):
// each check becomes a request after DriverEntry (ioctl → DeviceIoControl, read → ReadFile, write → WriteFile), and
// a check with an `expect` is compared with what the driver answered. Without a manifest a driver gets DriverEntry
// and its unload. A driver passes when DriverEntry ran to its end (whatever status it chose), every request was
// answered, and nothing stopped the run for want of kdemu (an unsupported export or instruction, an internal error).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError, runDriver } from '../hal/run.js';
import { PeFormatError } from '../emu/pe/index.js';
import type { Operation, Report } from '../hal/report.js';
import type { EngineName } from '../emu/index.js';

export interface Check {
  op: 'ioctl' | 'read' | 'write';
  code?: string | null;
  input?: string;
  outputLength?: number;
  expect?: { status: string; information?: number; data?: string | null };
}

export interface Job {
  file: string;
  name: string;
  engine: EngineName;
  checks: Check[];
  timeoutMs: number;
  maxInstructions: number;
}

export interface Blocker {
  kind: 'export' | 'instruction' | 'internal';
  name: string;
}

export interface DriverRecord {
  file: string;
  sha256: string;
  arch: string | null;
  engine: EngineName;
  outcome: Report['outcome'] | 'bad-input' | 'host-error';
  /** DriverEntry's status when it ran to its end. */
  driverEntry: string | null;
  pass: boolean;
  requests: { total: number; answered: number; expected: number; matched: number };
  blocker: Blocker | null;
  reason: string | null;
  instructions: number;
  wallMs: number;
}

export function operation(c: Check): Operation {
  const bytes = Uint8Array.from(Buffer.from(c.input ?? '', 'hex'));
  switch (c.op) {
    case 'ioctl':
      return { op: 'ioctl', code: parseInt(String(c.code), 16), input: bytes, outputLength: c.outputLength ?? 0 };
    case 'read':
      return { op: 'read', length: c.outputLength ?? 0 };
    case 'write':
      return { op: 'write', data: bytes };
  }
}

const BLOCKING: ReadonlySet<string> = new Set(['unsupported-call', 'unsupported-instruction', 'internal-error', 'resource-limit']);

/** What stopped a run for want of kdemu: the export, the instruction, or the internal error's place. */
export function blockerOf(report: Pick<Report, 'outcome' | 'stop'>): Blocker | null {
  const s = report.stop;
  switch (report.outcome) {
    case 'unsupported-call':
      return { kind: 'export', name: s?.export ?? s?.reason ?? 'unknown' };
    case 'unsupported-instruction':
      return { kind: 'instruction', name: s?.instruction ?? s?.reason ?? 'unknown' };
    case 'internal-error':
      return { kind: 'internal', name: s?.internal?.where ?? 'unknown' };
    default:
      return null;
  }
}

export function runOne(job: Job): DriverRecord {
  const started = performance.now();
  const base = { file: job.name, engine: job.engine, sha256: '', arch: null as string | null };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(job.file));
  } catch (e) {
    return { ...base, outcome: 'bad-input', driverEntry: null, pass: false, requests: { total: job.checks.length, answered: 0, expected: 0, matched: 0 }, blocker: null, reason: (e as Error).message, instructions: 0, wallMs: 0 };
  }
  base.sha256 = createHash('sha256').update(bytes).digest('hex');
  const expected = job.checks.filter((c) => c.expect).length;
  try {
    const report = runDriver({ driverPath: job.file, driverBytes: bytes, engine: job.engine, operations: job.checks.map(operation), timeoutMs: job.timeoutMs, maxInstructions: job.maxInstructions });
    const answers = report.ops.filter((o) => o.op !== 'open' && o.op !== 'close');
    let matched = 0;
    job.checks.forEach((c, i) => {
      const a = answers[i];
      if (!c.expect || !a) return;
      const ok = a.status === c.expect.status && (c.expect.information === undefined || a.information === c.expect.information) && (c.expect.data == null || a.data === c.expect.data);
      if (ok) matched++;
    });
    const blocker = blockerOf(report);
    const answered = Math.min(answers.length, job.checks.length);
    return {
      ...base,
      arch: report.driver.arch,
      outcome: report.outcome,
      driverEntry: report.driverEntry?.status ?? null,
      pass: report.driverEntry !== null && !BLOCKING.has(report.outcome) && answered === job.checks.length,
      requests: { total: job.checks.length, answered, expected, matched },
      blocker,
      reason: report.stop?.reason ?? null,
      instructions: report.stats.instructions,
      wallMs: Math.round(performance.now() - started),
    };
  } catch (e) {
    const bad = e instanceof InputError || e instanceof PeFormatError;
    return { ...base, outcome: bad ? 'bad-input' : 'host-error', driverEntry: null, pass: false, requests: { total: job.checks.length, answered: 0, expected, matched: 0 }, blocker: bad ? null : { kind: 'internal', name: (e as Error).message.split('\n')[0] }, reason: (e as Error).message.split('\n')[0], instructions: 0, wallMs: Math.round(performance.now() - started) };
  }
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);

/** The summary table: per engine, the completion and success rates and what stopped the rest, most frequent first. */
export function summary(records: DriverRecord[], top: number): string {
  const lines: string[] = [];
  const engines = [...new Set(records.map((r) => r.engine))];
  for (const engine of engines) {
    const rs = records.filter((r) => r.engine === engine);
    const completed = rs.filter((r) => r.driverEntry !== null).length;
    const succeeded = rs.filter((r) => r.driverEntry !== null && !/^0x[89ABCDEF]/i.test(r.driverEntry)).length;
    const passed = rs.filter((r) => r.pass).length;
    const expected = rs.reduce((n, r) => n + r.requests.expected, 0);
    const matched = rs.reduce((n, r) => n + r.requests.matched, 0);
    lines.push(`engine ${engine}: ${rs.length} drivers`);
    lines.push(`  DriverEntry ran to its end   ${String(completed).padStart(5)}  ${pct(completed, rs.length)}`);
    lines.push(`  DriverEntry succeeded        ${String(succeeded).padStart(5)}  ${pct(succeeded, rs.length)}`);
    lines.push(`  passed (no kdemu stop)       ${String(passed).padStart(5)}  ${pct(passed, rs.length)}`);
    if (expected > 0) lines.push(`  requests as expected         ${String(matched).padStart(5)}  of ${expected}`);
    const outcomes = new Map<string, number>();
    for (const r of rs) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
    lines.push(`  outcomes: ${[...outcomes].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${n}`).join(', ')}`);
    for (const kind of ['export', 'instruction', 'internal'] as const) {
      const counts = new Map<string, number>();
      for (const r of rs) if (r.blocker?.kind === kind) counts.set(r.blocker.name, (counts.get(r.blocker.name) ?? 0) + 1);
      if (counts.size === 0) continue;
      lines.push(`  blocking ${kind === 'export' ? 'exports' : kind === 'instruction' ? 'instructions' : 'internal errors'} (drivers stopped):`);
      for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top)) lines.push(`    ${String(n).padStart(5)}  ${name}`);
    }
  }
  return lines.join('\n') + '\n';
}
