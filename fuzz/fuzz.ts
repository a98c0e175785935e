// npm run fuzz -- pe|ioctl|args|all[,...] [--count N] [--seed S] [--engine wasm|unicorn] [--workers N] [--json]
//                [--replay INDEX [--keep DIR]] [--start K] [--watchdog MS] [--max-wall MS] [--max-rss MB] [--progress S]
//
// Runs kdemu's command line in-process on generated cases and checks each run: an exit code of the contract, no host
// stack trace, a JSON report that parses and agrees with the exit code, wall time and RSS under the bounds, no hang.
// The same seed gives the same cases (for a given corpus and kdemu build). Exit 0: no failure; 1: failures (each
// listed with the command that replays it); 2: bad arguments.

import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { KINDS, type Kind } from './cases.js';
import { DEFAULTS, runCampaign, type Summary } from './campaign.js';

const USAGE = `usage: npm run fuzz -- KIND[,KIND...] [options]     KIND: pe | ioctl | args | all
  --count N        cases per kind (default 1000)
  --seed S         campaign seed (default 1)
  --start K        first case index (default 0)
  --engine E       wasm (default) or unicorn
  --workers N      worker threads (default: the number of CPUs, ${availableParallelism()})
  --json           print the summary as JSON
  --replay INDEX   run case INDEX of KIND alone and show everything it printed
  --keep DIR       with --replay: write the case's files to DIR and keep them
  --watchdog MS    a case not done in MS is a hang (default ${DEFAULTS.watchdogMs})
  --max-wall MS    wall-time bound of one kdemu command line (default ${DEFAULTS.maxWallMs})
  --max-rss MB     bound of the process's resident set, all workers together (default ${DEFAULTS.maxRssMb})
  --run-timeout MS kdemu's --timeout for each run (default ${DEFAULTS.runTimeoutMs})
  --progress S     a progress line on stderr every S seconds (default 10; 0: none)
  --failures FILE  append each failure to FILE as a JSON line as soon as it is found
  --checkpoint FILE  rewrite FILE with the summary so far at every progress line
A first SIGINT or SIGTERM stops the campaign: the cases running finish, the summary (marked interrupted) is printed.
`;

class ArgError extends Error {}

function int(text: string | undefined, what: string, dflt: number, min = 0): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text.trim())) throw new ArgError(`${what}: '${text}' is not a whole number`);
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < min) throw new ArgError(`${what}: '${text}' must be at least ${min}`);
  return v;
}

function render(s: Summary): string {
  const lines: string[] = [];
  lines.push(`kdemu fuzz: seed ${s.seed}, engine ${s.engine}, ${s.workers} worker(s)${s.sharedDrivers ? '' : ' (../shared/drivers absent: samples only)'}`);
  lines.push(`plan: ${s.plan.map((p) => `${p.kind} ${p.count}${p.start ? ` from #${p.start}` : ''}`).join(', ')}`);
  lines.push(`bounds: watchdog ${s.bounds.watchdogMs} ms per case, ${s.bounds.maxWallMs} ms per command line, RSS ${s.bounds.maxRssMb} MiB (process), kdemu --timeout ${s.bounds.runTimeoutMs} ms`);
  if (s.interrupted) lines.push(`INTERRUPTED after ${s.cases.total} of ${s.cases.planned} cases`);
  lines.push(`cases: ${s.cases.total} (${s.cases.passed} passed, ${s.cases.failed} failed: ${s.cases.hangs} hangs, ${s.cases.crashes} worker crashes) in ${s.wallSeconds} s, ${s.casesPerSecond}/s`);
  lines.push(`max: RSS ${s.maxRssMb} MiB, case ${s.maxCaseWallMs} ms, command line ${Math.round(s.maxRunWallMs)} ms`);
  for (const [kind, counts] of Object.entries(s.outcomes)) {
    lines.push(`outcomes (${kind}):`);
    for (const [k, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(8)}  ${k}`);
  }
  for (const [kind, ops] of Object.entries(s.ops)) {
    if (Object.keys(ops).length) lines.push(`operations sent (${kind}): ${Object.entries(ops).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  }
  if (Object.keys(s.targets).length) lines.push(`targets: ${Object.entries(s.targets).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (Object.keys(s.problemClasses).length) {
    lines.push('problem classes:');
    for (const [k, n] of Object.entries(s.problemClasses).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(8)}  ${k}`);
  }
  if (s.failures.length) {
    lines.push(`failures (${s.failures.length}):`);
    for (const f of s.failures.slice(0, 200)) {
      lines.push(`  ${f.kind} #${f.index}: ${f.desc.slice(0, 300)}`);
      for (const p of f.problems) lines.push(`      ${p}`);
      lines.push(`      replay: ${f.replay}`);
    }
    if (s.failures.length > 200) lines.push(`  ... ${s.failures.length - 200} more (--json lists them all)`);
  } else lines.push('failures: none');
  return lines.join('\n') + '\n';
}

function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        count: { type: 'string' },
        seed: { type: 'string' },
        start: { type: 'string' },
        engine: { type: 'string' },
        workers: { type: 'string' },
        json: { type: 'boolean' },
        replay: { type: 'string' },
        keep: { type: 'string' },
        watchdog: { type: 'string' },
        'max-wall': { type: 'string' },
        'max-rss': { type: 'string' },
        'run-timeout': { type: 'string' },
        progress: { type: 'string' },
        failures: { type: 'string' },
        checkpoint: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`fuzz: ${(e as Error).message.split('\n')[0]}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (parsed.positionals.length !== 1) throw new ArgError('give one KIND (pe, ioctl, args, all, or a comma-separated list)');
    const kindsArg = parsed.positionals[0]!.split(',').map((k) => k.trim());
    const kinds: Kind[] = [];
    for (const k of kindsArg) {
      if (k === 'all') kinds.push(...KINDS);
      else if ((KINDS as readonly string[]).includes(k) || k === 'selftest') kinds.push(k as Kind);
      else throw new ArgError(`unknown kind '${k}' (pe, ioctl, args, all)`);
    }
    const engine = (v.engine ?? 'wasm') as string;
    if (engine !== 'wasm' && engine !== 'unicorn') throw new ArgError(`--engine: '${engine}' is not wasm or unicorn`);
    const seed = int(v.seed, '--seed', 1);
    if (seed > 0xffffffff) throw new ArgError('--seed: at most 4294967295');
    const common = {
      seed,
      engine: engine as 'wasm' | 'unicorn',
      watchdogMs: int(v.watchdog, '--watchdog', DEFAULTS.watchdogMs, 1),
      maxWallMs: int(v['max-wall'], '--max-wall', DEFAULTS.maxWallMs, 1),
      maxRssMb: int(v['max-rss'], '--max-rss', DEFAULTS.maxRssMb, 1),
      runTimeoutMs: int(v['run-timeout'], '--run-timeout', DEFAULTS.runTimeoutMs, 1),
    };
    if (v.replay !== undefined) {
      if (kinds.length !== 1) throw new ArgError('--replay needs one KIND');
      const index = int(v.replay, '--replay', 0);
      const s = await runCampaign({ ...common, plan: [{ kind: kinds[0]!, count: 1, start: index }], workers: 1, full: true, keepDir: v.keep, onResult: (r) => {
        process.stdout.write(`${r.kind} #${r.index}: ${r.desc}\n`);
        for (const run of r.runs) {
          process.stdout.write(`\n$ kdemu ${run.argv.map(shellQuote).join(' ')}\n`);
          process.stdout.write(`exit ${run.exit} (${run.key}) in ${run.wallMs} ms\n`);
          if (run.stderr) process.stdout.write(`--- stderr\n${run.stderr.trimEnd()}\n`);
          if (run.stdout) process.stdout.write(`--- stdout (${run.stdout.length} chars)\n${run.stdout.length > 20000 ? run.stdout.slice(0, 20000) + '\n…' : run.stdout.trimEnd()}\n`);
          for (const p of run.problems) process.stdout.write(`PROBLEM: ${p}\n`);
        }
      } });
      if (v.keep) process.stdout.write(`\nthe case's files are in ${v.keep} (arguments above are shortened when long)\n`);
      for (const f of s.failures) for (const p of f.problems) if (/^(hang|worker)/.test(p)) process.stdout.write(`PROBLEM: ${p}\n`);
      process.stdout.write(s.failures.length ? '\nFAILED\n' : '\npassed\n');
      return s.failures.length ? 1 : 0;
    }
    const count = int(v.count, '--count', 1000);
    const start = int(v.start, '--start', 0);
    const workers = int(v.workers, '--workers', availableParallelism(), 1);
    const progressS = int(v.progress, '--progress', 10);
    const failuresFile = v.failures;
    const checkpoint = v.checkpoint;
    const stop = new AbortController();
    const onSignal = (sig: string) => {
      if (stop.signal.aborted) return;
      process.stderr.write(`[fuzz] ${sig}: finishing the cases running, then the summary\n`);
      stop.abort();
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    const summary = await runCampaign({
      signal: stop.signal,
      ...common,
      ...(failuresFile ? { onFailure: (f) => appendFileSync(failuresFile, JSON.stringify(f) + '\n') } : {}),
      plan: kinds.map((kind) => ({ kind, count, start })),
      workers,
      ...(progressS > 0
        ? {
            progressEveryMs: progressS * 1000,
            onProgress: (p) => {
              process.stderr.write(`[fuzz] ${p.done}/${p.total} cases, ${Math.round(p.done / (p.elapsedMs / 1000))}/s, ${p.failures} failures, RSS ${p.rssMb} MiB, ${Math.round(p.elapsedMs / 1000)} s\n`);
              if (checkpoint) {
                writeFileSync(`${checkpoint}.tmp`, JSON.stringify({ ...p.summary(), interrupted: true }, null, 2) + '\n');
                renameSync(`${checkpoint}.tmp`, checkpoint);
              }
            },
          }
        : {}),
    });
    process.stdout.write(v.json ? JSON.stringify(summary, null, 2) + '\n' : render(summary));
    return summary.failures.length ? 1 : 0;
  } catch (e) {
    if (e instanceof ArgError) {
      process.stderr.write(`fuzz: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

// Run as a program (node dist/fuzz/fuzz.js), not when imported.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  // A reader that went away (| head) ends the output, not with a stack trace.
  for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : undefined));
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 3;
    },
  );
}
