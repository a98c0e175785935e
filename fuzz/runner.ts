// Runs one case in this thread: writes its files, runs each command line through runCli with captured streams,
// checks the results, removes the files. The worker calls it for every case; --replay calls it too.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CliIo } from '../bin/cli.js';
import { type Case, TMP } from './cases.js';
import { checkRun, type RunResult } from './check.js';

export type Cli = (argv: string[], io: CliIo) => number;

export interface RunSummary {
  key: string;
  problems: string[];
  wallMs: number;
  /** The command line, long arguments shortened. */
  argv: string[];
  /** With full: the complete output. */
  exit?: number | null;
  stdout?: string;
  stderr?: string;
}

export interface CaseResult {
  kind: string;
  index: number;
  desc: string;
  runs: RunSummary[];
  /** The process's resident set after the case, MiB. */
  rssMb: number;
  wallMs: number;
  /** Operations the case sent, by kind (ioctl, read, ...). */
  ops: Record<string, number>;
  /** The case's target: "x64/ioctl.sys", "shared/irpmon64.sys" ... */
  target: string;
}

export function shorten(arg: string, max = 160): string {
  return arg.length > max ? `${arg.slice(0, max)}…(${arg.length} chars)` : arg;
}

/** Captures what the in-process CLI writes outside its io (console.*, process.stdout/stderr) while f runs. */
function captureStray<T>(f: () => T): { value: T; stray: string } {
  let stray = '';
  const grab = (chunk: unknown): boolean => {
    stray += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return true;
  };
  const out = process.stdout.write;
  const err = process.stderr.write;
  const con = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug, trace: console.trace };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  for (const k of Object.keys(con) as (keyof typeof con)[]) console[k] = (...a: unknown[]) => void grab(a.map(String).join(' ') + '\n');
  try {
    return { value: f(), stray };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    Object.assign(console, con);
  }
}

export function runCase(c: Case, cli: Cli, o: { tmpDir: string; maxWallMs: number; full?: boolean; keep?: boolean }): CaseResult {
  const started = performance.now();
  const dir = o.keep ? o.tmpDir : path.join(o.tmpDir, `${c.kind}-${c.index}`);
  mkdirSync(dir, { recursive: true });
  const runs: RunSummary[] = [];
  try {
    for (const f of c.files) writeFileSync(path.join(dir, f.name), f.bytes);
    for (const inv of c.invocations) {
      const argv = inv.argv.map((a) => a.split(TMP).join(dir));
      const out: string[] = [];
      let stderr = '';
      const io: CliIo = {
        stdout: (d) => void out.push(typeof d === 'string' ? d : Buffer.from(d).toString('utf8')),
        stderr: (t) => void (stderr += t),
      };
      const t0 = performance.now();
      let exit: number | null = null;
      let threw: string | undefined;
      const { stray } = captureStray(() => {
        try {
          exit = inv.fake !== undefined ? selftestCli(inv.fake, io) : cli(argv, io);
        } catch (e) {
          threw = e instanceof Error ? (e.stack ?? String(e)) : String(e);
        }
      });
      const r: RunResult = { argv, exit, stdout: out.join(''), stderr, wallMs: performance.now() - t0, ...(threw !== undefined ? { threw } : {}), ...(stray ? { stray } : {}) };
      const v = checkRun(r, { expectUsageError: inv.expectUsageError, maxWallMs: o.maxWallMs });
      runs.push({
        key: v.key,
        problems: v.problems,
        wallMs: Math.round(r.wallMs * 10) / 10,
        argv: argv.map((a) => shorten(a)),
        ...(o.full ? { exit: r.exit, stdout: r.stdout, stderr: r.stderr + (r.threw ? `\n[threw] ${r.threw}` : '') + (r.stray ? `\n[stray] ${r.stray}` : '') } : {}),
      });
    }
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  return { kind: c.kind, index: c.index, desc: c.desc, runs, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20), wallMs: performance.now() - started, ops: c.ops ?? {}, target: /^[\w./-]+\.(sys|exe)/.exec(c.desc)?.[0] ?? '' };
}

/** The stand-in CLI of the selftest cases: each misbehaves in one way the checks must catch ("ok" must pass). */
export function selftestCli(what: string, io: CliIo): number {
  const report = (outcome: string) => JSON.stringify({ driver: {}, outcome, ops: [], dbgPrint: [], unload: { called: true, leaks: [] }, stop: null, stats: {} }, null, 2) + '\n';
  switch (what) {
    case 'ok':
      io.stdout(report('completed'));
      return 0;
    case 'exit3':
      io.stderr('kdemu: internal error in Foo (hal/foo.js:1): TypeError: x is undefined (please report it)\n');
      return 3;
    case 'exit4':
      return 4;
    case 'stack-stderr':
      io.stderr('kdemu: boom\n    at Foo.bar (/srv/kdemu/dist/hal/foo.js:10:5)\n');
      return 2;
    case 'stack-stdout':
      io.stdout('TypeError: x\n    at Object.<anonymous> (file:///srv/kdemu/dist/hal/foo.js:3:4)\n');
      return 0;
    case 'bad-json':
      io.stdout('{"outcome": "completed"');
      return 0;
    case 'two-lines':
      io.stderr('kdemu: first\nkdemu: second\n');
      return 2;
    case 'internal-outcome':
      io.stdout(report('internal-error'));
      return 1;
    case 'outcome-mismatch':
      io.stdout(report('bugcheck'));
      return 0;
    case 'throw':
      throw new TypeError('selftest: runCli threw');
    case 'hang':
      for (;;) {
        // spins until the watchdog terminates the worker
      }
    case 'process-exit':
      process.exit(7);
    case 'stray-output':
      console.log('selftest: stray');
      io.stdout(report('completed'));
      return 0;
    case 'usage-expected':
      io.stdout(report('completed'));
      return 0;
    default:
      io.stderr(`kdemu: unknown selftest ${what}\n`);
      return 2;
  }
}
