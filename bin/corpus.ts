#!/usr/bin/env node
// `npm run corpus -- DIR`: runs every driver of a folder, in parallel over the cores (worker threads), and reports
// one NDJSON record per driver and engine, then a summary: how many ran DriverEntry to its end, how many succeeded,
// and what stops the others (the exports and instructions kdemu lacks, most frequent first).

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import pc from 'picocolors';
import type { EngineName } from '../emu/index.js';
import { summary, type Check, type DriverRecord, type Job } from './corpus-run.js';

const USAGE = `usage: npm run corpus -- DIR [options]

  DIR                    a folder of drivers (*.sys, searched recursively); its manifest.json, when present, lists
                         the requests each driver gets after DriverEntry
options:
  --engine E             wasm (default), unicorn, or both
  --jobs N               drivers run at once (default: the number of cores)
  --ndjson FILE          write the records to FILE instead of standard output (- for standard output)
  --timeout MS           wall-clock budget per driver (default 60000)
  --max-instructions N   instruction budget per driver (default 1000000000)
  --top N                blocking exports and instructions listed in the summary (default 15)
`;

class UsageError extends Error {}

interface Options {
  dir: string;
  engines: EngineName[];
  jobs: number;
  ndjson: string;
  timeoutMs: number;
  maxInstructions: number;
  top: number;
}

function positive(text: string | undefined, name: string, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${name}: '${text}' is not a positive integer`);
  return Number(text);
}

function options(argv: string[]): Options | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        engine: { type: 'string' }, jobs: { type: 'string' }, ndjson: { type: 'string' }, timeout: { type: 'string' },
        'max-instructions': { type: 'string' }, top: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const v = parsed.values;
  if (v.help) return null;
  if (parsed.positionals.length !== 1) throw new UsageError('give one folder of drivers (npm run corpus -- DIR)');
  const dir = parsed.positionals[0];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const engine = v.engine ?? 'wasm';
  if (!['wasm', 'unicorn', 'both'].includes(engine)) throw new UsageError(`--engine: '${engine}' is not wasm, unicorn or both`);
  return {
    dir,
    engines: engine === 'both' ? ['wasm', 'unicorn'] : [engine as EngineName],
    jobs: positive(v.jobs, '--jobs', availableParallelism()),
    ndjson: v.ndjson ?? '-',
    timeoutMs: positive(v.timeout, '--timeout', 60_000),
    maxInstructions: positive(v['max-instructions'], '--max-instructions', 1_000_000_000),
    top: positive(v.top, '--top', 15),
  };
}

/** The drivers of the folder, and the requests its manifest gives each (by file name relative to the folder). */
function drivers(dir: string): { file: string; name: string; checks: Check[] }[] {
  const manifest = path.join(dir, 'manifest.json');
  const byName = new Map<string, Check[]>();
  if (existsSync(manifest)) {
    let m: { drivers?: { file?: string; checks?: Check[] }[] };
    try {
      m = JSON.parse(readFileSync(manifest, 'utf8'));
    } catch (e) {
      throw new UsageError(`${manifest}: not JSON (${(e as Error).message})`);
    }
    for (const d of m.drivers ?? []) if (d.file) byName.set(d.file, d.checks ?? []);
  }
  const out: { file: string; name: string; checks: Check[] }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.sys$/i.test(e.name)) {
        const name = path.relative(dir, p).split(path.sep).join('/');
        out.push({ file: p, name, checks: byName.get(name) ?? byName.get(e.name) ?? [] });
      }
    }
  };
  walk(dir);
  return out;
}

/** Runs the jobs on `n` worker threads; a worker that outlives twice the budget is ended and its driver recorded. */
async function runAll(jobs: Job[], n: number, onDone: (r: DriverRecord) => void): Promise<void> {
  const workerFile = new URL('./corpus-worker.js', import.meta.url);
  let next = 0;
  const one = async (): Promise<void> => {
    let worker: Worker | null = null;
    while (next < jobs.length) {
      const job = jobs[next++];
      worker ??= new Worker(workerFile);
      const w = worker;
      const record = await new Promise<DriverRecord>((resolve) => {
        const timer = setTimeout(() => {
          void w.terminate();
          worker = null;
          resolve({ file: job.name, sha256: '', arch: null, engine: job.engine, outcome: 'host-error', driverEntry: null, pass: false, requests: { total: job.checks.length, answered: 0, expected: 0, matched: 0 }, blocker: { kind: 'internal', name: 'no answer within twice the wall-clock budget' }, reason: 'the run did not end', instructions: 0, wallMs: job.timeoutMs * 2 });
        }, job.timeoutMs * 2 + 5_000);
        const done = (r: DriverRecord) => {
          clearTimeout(timer);
          w.off('message', done);
          w.off('error', failed);
          resolve(r);
        };
        const failed = (e: Error) => {
          worker = null;
          done({ file: job.name, sha256: '', arch: null, engine: job.engine, outcome: 'host-error', driverEntry: null, pass: false, requests: { total: job.checks.length, answered: 0, expected: 0, matched: 0 }, blocker: { kind: 'internal', name: e.message.split('\n')[0] }, reason: e.message.split('\n')[0], instructions: 0, wallMs: 0 });
        };
        w.on('message', done);
        w.on('error', failed);
        w.postMessage(job);
      });
      onDone(record);
    }
    if (worker) await (worker as Worker).terminate();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, one));
}

function progress(done: number, total: number, passed: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} drivers, ${passed} pass`;
}

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = options(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`corpus: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (!o) {
    process.stdout.write(USAGE);
    return 0;
  }
  const list = drivers(o.dir);
  const jobs: Job[] = o.engines.flatMap((engine) => list.map((d) => ({ file: d.file, name: d.name, checks: d.checks, engine, timeoutMs: o.timeoutMs, maxInstructions: o.maxInstructions })));
  const records: DriverRecord[] = [];
  const toStdout = o.ndjson === '-';
  const tty = process.stderr.isTTY === true;
  let passed = 0;
  await runAll(jobs, o.jobs, (r) => {
    records.push(r);
    if (r.pass) passed++;
    if (toStdout) process.stdout.write(JSON.stringify(r) + '\n');
    if (tty) process.stderr.write(progress(records.length, jobs.length, passed));
  });
  if (tty) process.stderr.write('\n');
  // Records in a stable order (the folder's, then the engine's) whatever order the workers finished in.
  const order = new Map(jobs.map((j, i) => [`${j.engine}\0${j.name}`, i]));
  records.sort((a, b) => order.get(`${a.engine}\0${a.file}`)! - order.get(`${b.engine}\0${b.file}`)!);
  if (!toStdout) writeFileSync(o.ndjson, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
  const table = summary(records, o.top);
  (toStdout ? process.stderr : process.stdout).write((tty ? pc.bold('summary') : 'summary') + '\n' + table);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`corpus: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 3;
  },
);
