// A fuzzing campaign: cases spread over worker threads, one case at a time per worker, each under a watchdog (a
// worker that does not answer in time is terminated and the case recorded as a hang), the process's RSS sampled
// throughout. Returns counts by outcome and every failure with the command that replays it.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Kind } from './cases.js';
import type { CaseResult } from './runner.js';
import { findRepo } from './targets.js';
import type { FromWorker, ToWorker, WorkerConfig } from './worker.js';

export interface CampaignOptions {
  /** Cases per kind: indices start .. start + count - 1. */
  plan: { kind: Kind; count: number; start?: number }[];
  seed: number;
  engine?: 'wasm' | 'unicorn';
  workers?: number;
  /** A case not done in this long is a hang (its worker is terminated). */
  watchdogMs?: number;
  /** Wall-time bound of one command line. */
  maxWallMs?: number;
  /** Bound of the process's resident set (all workers together), MiB. */
  maxRssMb?: number;
  /** kdemu's own --timeout for the runs. */
  runTimeoutMs?: number;
  /** Results with complete outputs (replay). */
  full?: boolean;
  /** Keep the case files in this directory (replay). */
  keepDir?: string;
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  onResult?: (r: CaseResult) => void;
  /** Each failure as it is found (long campaigns log them as they go). */
  onFailure?: (f: Failure) => void;
  /** Stops the campaign early: no new case starts, the ones running finish, the summary says interrupted. */
  signal?: AbortSignal;
}

export interface Progress {
  done: number;
  total: number;
  failures: number;
  elapsedMs: number;
  rssMb: number;
  /** The summary so far (a checkpoint of a long campaign). */
  summary: () => Summary;
}

export interface Failure {
  kind: string;
  index: number;
  desc: string;
  problems: string[];
  argv: string[][];
  replay: string;
}

export interface Summary {
  seed: number;
  engine: string;
  workers: number;
  plan: { kind: string; count: number; start: number }[];
  bounds: { watchdogMs: number; maxWallMs: number; maxRssMb: number; runTimeoutMs: number };
  /** Cases run (total; planned when interrupted): passed, failed, of which hangs and worker crashes. */
  cases: { total: number; planned: number; passed: number; failed: number; hangs: number; crashes: number };
  /** Stopped before the plan was done (signal), or a checkpoint of a campaign still running. */
  interrupted: boolean;
  /** Command lines by outcome: "run 1 bugcheck", "info 2", ... per kind. */
  outcomes: Record<string, Record<string, number>>;
  /** Operations sent, by kind of case and operation: { ioctl: { ioctl: 312345, read: ... } }. */
  ops: Record<string, Record<string, number>>;
  /** Cases by target image (the driver or client a case ran or mutated). */
  targets: Record<string, number>;
  /** Failure classes (first words of each problem) and their counts. */
  problemClasses: Record<string, number>;
  failures: Failure[];
  maxRssMb: number;
  maxCaseWallMs: number;
  maxRunWallMs: number;
  wallSeconds: number;
  casesPerSecond: number;
  sharedDrivers: boolean;
}

export const DEFAULTS = { watchdogMs: 20_000, maxWallMs: 15_000, maxRssMb: 2048, runTimeoutMs: 5_000 };

/** dist/fuzz/worker.js next to this module when it is compiled; the compiled one when this runs from source (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./worker.js', here);
  const compiled = path.join(findRepo(path.dirname(fileURLToPath(here))), 'dist', 'fuzz', 'worker.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: build first (bash scripts/setup.sh --quiet)`);
  return new URL(`file://${compiled}`);
}

export function replayCommand(kind: string, seed: number, index: number, engine: string): string {
  return `npm run fuzz -- ${kind} --seed ${seed} --replay ${index}${engine !== 'wasm' ? ` --engine ${engine}` : ''}`;
}

/** A failure's class for the summary: the check that failed, and for an internal error the kdemu function and file. */
export function problemClass(p: string): string {
  const internal = /internal-error: kdemu failed internally in (.+?) \(([^:)]+)[^)]*\): (\w+)/.exec(p);
  if (internal) return `internal-error in ${internal[1]} (${internal[2]}): ${internal[3]}`;
  return p
    .replace(/^\[\w+ #\d+\] /, '')
    .replace(/^(exit code \d+).*/, '$1')
    .replace(/:.*$/s, '')
    .replace(/\d+/g, 'N')
    .slice(0, 80);
}

export async function runCampaign(o: CampaignOptions): Promise<Summary> {
  const started = performance.now();
  const engine = o.engine ?? 'wasm';
  const watchdogMs = o.watchdogMs ?? DEFAULTS.watchdogMs;
  const maxWallMs = o.maxWallMs ?? DEFAULTS.maxWallMs;
  const maxRssMb = o.maxRssMb ?? DEFAULTS.maxRssMb;
  const runTimeoutMs = o.runTimeoutMs ?? DEFAULTS.runTimeoutMs;
  const plan = o.plan.map((p) => ({ kind: p.kind, count: p.count, start: p.start ?? 0 }));
  const total = plan.reduce((s, p) => s + p.count, 0);
  const nWorkers = Math.max(1, Math.min(o.workers ?? availableParallelism(), total || 1));
  const repo = findRepo(path.dirname(fileURLToPath(import.meta.url)));
  const root = o.keepDir ?? mkdtempSync(path.join(tmpdir(), 'kdemu-fuzz-'));
  if (o.keepDir) mkdirSync(o.keepDir, { recursive: true });
  const url = workerUrl();

  // Cases interleaved across kinds, so every kind progresses from the start.
  const cursors = plan.map((p) => ({ ...p, next: 0 }));
  let rr = 0;
  const nextCase = (): { kind: Kind; index: number } | undefined => {
    for (let k = 0; k < cursors.length; k++) {
      const c = cursors[(rr + k) % cursors.length]!;
      if (c.next < c.count) {
        rr = (rr + k + 1) % cursors.length;
        return { kind: c.kind, index: c.start + c.next++ };
      }
    }
    return undefined;
  };

  const summary: Summary = {
    seed: o.seed,
    engine,
    workers: nWorkers,
    plan,
    bounds: { watchdogMs, maxWallMs, maxRssMb, runTimeoutMs },
    cases: { total: 0, planned: total, passed: 0, failed: 0, hangs: 0, crashes: 0 },
    interrupted: false,
    outcomes: {},
    ops: {},
    targets: {},
    problemClasses: {},
    failures: [],
    maxRssMb: 0,
    maxCaseWallMs: 0,
    maxRunWallMs: 0,
    wallSeconds: 0,
    casesPerSecond: 0,
    sharedDrivers: existsSync(path.resolve(repo, '..', 'shared', 'drivers', 'manifest.json')),
  };
  let done = 0;
  const inFlight = new Set<Slot>();

  const fail = (kind: string, index: number, desc: string, problems: string[], argv: string[][] = []): void => {
    const f: Failure = { kind, index, desc, problems, argv, replay: replayCommand(kind, o.seed, index, engine) };
    summary.failures.push(f);
    o.onFailure?.(f);
    for (const p of problems) {
      const c = problemClass(p);
      summary.problemClasses[c] = (summary.problemClasses[c] ?? 0) + 1;
    }
  };

  const record = (r: CaseResult, extra: string[] = []): void => {
    const byKind = (summary.outcomes[r.kind] ??= {});
    for (const run of r.runs) {
      byKind[run.key] = (byKind[run.key] ?? 0) + 1;
      summary.maxRunWallMs = Math.max(summary.maxRunWallMs, run.wallMs);
    }
    summary.maxRssMb = Math.max(summary.maxRssMb, r.rssMb);
    const ops = (summary.ops[r.kind] ??= {});
    for (const [op, n] of Object.entries(r.ops)) ops[op] = (ops[op] ?? 0) + n;
    if (r.target) summary.targets[r.target] = (summary.targets[r.target] ?? 0) + 1;
    summary.maxCaseWallMs = Math.max(summary.maxCaseWallMs, Math.round(r.wallMs));
    const problems = [...r.runs.flatMap((run, i) => run.problems.map((p) => (r.runs.length > 1 ? `[${run.argv[0]} #${i}] ${p}` : p))), ...extra];
    if (r.rssMb > maxRssMb) problems.push(`process RSS ${r.rssMb} MiB after the case (bound ${maxRssMb} MiB)`);
    if (problems.length) {
      summary.cases.failed++;
      fail(r.kind, r.index, r.desc, problems, r.runs.map((x) => x.argv));
    } else summary.cases.passed++;
    o.onResult?.(r);
  };

  interface Slot {
    id: number;
    worker: Worker;
    current?: { kind: Kind; index: number; desc: string; timer: NodeJS.Timeout; rssFlag?: string };
    retired: boolean;
    ready: boolean;
  }

  let finish!: () => void;
  let abort!: (e: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    abort = reject;
  });
  let generation = 0;
  let startupDeaths = 0;

  let stopping = false;
  const maybeFinish = (): void => {
    if (done === total || (stopping && [...inFlight].every((s) => !s.current))) finish();
  };
  const onAbort = (): void => {
    stopping = true;
    for (const s of [...inFlight]) {
      if (s.current) continue;
      s.retired = true;
      inFlight.delete(s);
      void s.worker.terminate();
    }
    maybeFinish();
  };
  if (o.signal?.aborted) stopping = true;
  o.signal?.addEventListener('abort', onAbort);

  const dispatch = (slot: Slot): void => {
    const next = stopping ? undefined : nextCase();
    if (!next) {
      slot.retired = true;
      void slot.worker.terminate();
      inFlight.delete(slot);
      maybeFinish();
      return;
    }
    const timer = setTimeout(() => died(slot, `hang: no result after ${watchdogMs} ms (worker terminated)`, true), watchdogMs);
    slot.current = { ...next, desc: '', timer };
    slot.worker.postMessage({ type: 'case', kind: next.kind, seed: o.seed, index: next.index } satisfies ToWorker);
  };

  /** A worker that hung, crashed or exited: its case (if any) is a failure; a new worker takes its place. */
  const died = (slot: Slot, problem: string, hang: boolean): void => {
    if (slot.retired) return;
    const c = slot.current;
    slot.current = undefined;
    slot.retired = true;
    inFlight.delete(slot);
    void slot.worker.terminate();
    if (!slot.ready) {
      // It never got as far as its first case: a broken build, not a finding.
      if (++startupDeaths >= 3) return abort(new Error(`fuzz workers fail to start: ${problem}`));
    }
    if (c) {
      clearTimeout(c.timer);
      if (hang) summary.cases.hangs++;
      else summary.cases.crashes++;
      summary.cases.failed++;
      fail(c.kind, c.index, c.desc, [problem]);
      const byKind = (summary.outcomes[c.kind] ??= {});
      const key = hang ? 'hang' : 'worker crash';
      byKind[key] = (byKind[key] ?? 0) + 1;
      done++;
    }
    if (done < total && !stopping) spawn();
    else maybeFinish();
  };

  const spawn = (): void => {
    const id = generation++;
    const cfg: WorkerConfig = { repo, tmpDir: o.keepDir ?? path.join(root, `w${id}`), engine, runTimeoutMs, maxWallMs, full: o.full === true, keep: o.keepDir !== undefined };
    const worker = new Worker(url, { workerData: cfg, stdout: false, stderr: false });
    const slot: Slot = { id, worker, retired: false, ready: false };
    inFlight.add(slot);
    worker.on('message', (m: FromWorker) => {
      if (slot.retired) return;
      if (m.type === 'ready') {
        slot.ready = true;
        dispatch(slot);
      } else if (m.type === 'started') {
        if (slot.current) slot.current.desc = m.desc;
      } else if (m.type === 'result') {
        const c = slot.current;
        if (!c) return;
        clearTimeout(c.timer);
        slot.current = undefined;
        done++;
        record(m.result, c.rssFlag ? [c.rssFlag] : []);
        dispatch(slot);
      }
    });
    worker.on('error', (e) => died(slot, `worker crashed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, false));
    worker.on('exit', (code) => died(slot, `worker exited with code ${code} (process.exit or a fatal error)`, false));
  };

  // RSS sampled throughout: a spike during a case is charged to the cases running then.
  const sampler = setInterval(() => {
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    summary.maxRssMb = Math.max(summary.maxRssMb, rss);
    if (rss > maxRssMb) for (const s of inFlight) if (s.current && !s.current.rssFlag) s.current.rssFlag = `process RSS reached ${rss} MiB during the case (bound ${maxRssMb} MiB)`;
  }, 100);
  const finalize = (): Summary => {
    summary.cases.total = done;
    summary.interrupted = done < total;
    summary.wallSeconds = Math.round((performance.now() - started) / 100) / 10;
    summary.casesPerSecond = Math.round((done / Math.max(summary.wallSeconds, 0.001)) * 10) / 10;
    summary.failures.sort((a, b) => (a.kind === b.kind ? a.index - b.index : a.kind < b.kind ? -1 : 1));
    return summary;
  };
  const progress = o.onProgress
    ? setInterval(
        () =>
          o.onProgress!({
            done,
            total,
            failures: summary.failures.length,
            elapsedMs: performance.now() - started,
            rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
            summary: () => structuredClone(finalize()),
          }),
        o.progressEveryMs ?? 10_000,
      )
    : undefined;

  try {
    if (total > 0 && !stopping) {
      for (let i = 0; i < nWorkers; i++) spawn();
      await finished;
    }
  } finally {
    clearInterval(sampler);
    if (progress) clearInterval(progress);
    // A worker stuck in native code may not stop at once: do not wait for it forever.
    const stopping = [...inFlight].map((s) => ((s.retired = true), s.worker.terminate()));
    await Promise.race([Promise.all(stopping), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (!o.keepDir) rmSync(root, { recursive: true, force: true });
  }
  o.signal?.removeEventListener('abort', onAbort);
  return finalize();
}
