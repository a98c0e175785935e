// A fuzzing worker thread: receives { kind, seed, index }, generates that case itself (deterministically), runs it
// in-process through runCli and posts the checked result. The main thread's watchdog terminates it if a case hangs.

import { parentPort, workerData } from 'node:worker_threads';
import { runCli } from '../bin/cli.js';
import { generateCase, type GenContext, type Kind } from './cases.js';
import { runCase } from './runner.js';
import { loadCorpus } from './targets.js';
import { exportNames } from './exports.js';

export interface WorkerConfig {
  repo: string;
  tmpDir: string;
  engine: 'wasm' | 'unicorn';
  runTimeoutMs: number;
  maxWallMs: number;
  /** Return complete outputs (replay). */
  full: boolean;
  /** Keep the case's files in tmpDir (replay --keep). */
  keep: boolean;
}

export type ToWorker = { type: 'case'; kind: Kind; seed: number; index: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; index: number; kind: string; desc: string }
  | { type: 'result'; result: import('./runner.js').CaseResult };

const cfg = workerData as WorkerConfig;
const ctx: GenContext = { corpus: loadCorpus(cfg.repo), exportNames: exportNames(), engine: cfg.engine, runTimeoutMs: cfg.runTimeoutMs };
const port = parentPort!;

port.on('message', (m: ToWorker) => {
  if (m.type !== 'case') return;
  const c = generateCase(m.kind, m.seed, m.index, ctx);
  // Said before running, so a hang or a crash can name what the case was.
  port.postMessage({ type: 'started', index: m.index, kind: m.kind, desc: c.desc } satisfies FromWorker);
  const result = runCase(c, runCli, { tmpDir: cfg.tmpDir, maxWallMs: cfg.maxWallMs, full: cfg.full, keep: cfg.keep });
  port.postMessage({ type: 'result', result } satisfies FromWorker);
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
