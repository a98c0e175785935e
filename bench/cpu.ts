// npm run bench:cpu: a CPU-heavy driver (samples/cpubench) on each engine — instructions, seconds, MIPS.
//   npm run bench:cpu                     a table per workload and engine, totals and the wasm/unicorn ratio
//   npm run bench:cpu -- --json           one JSON object: { "wasm": { "instructions", "seconds", "mips" },
//                                         "unicorn": { ... }, "ratio": wasm mips / unicorn mips } (totals over the workloads)
//   npm run bench:cpu -- --arch x86       the x86 build instead of the x64 one
//   npm run bench:cpu -- --engine wasm    one engine only (Unicorn takes a minute and more)
//   npm run bench:cpu -- --coverage       with the engines recording the driver's executed blocks (--coverage's cost)
//
// Each engine loads the driver once, runs every workload IOCTL once as a warm-up, then once measured. The engines
// count instructions exactly, so the counts must be identical on both: a mismatch, a differing output or a guest
// that stops (e.g. an instruction an engine does not implement) is reported loudly and the exit code is 1; an
// engine that failed is reported as { "error": "..." } in the JSON and the ratio is null.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, engineAvailable, type EngineName } from '../emu/index.js';
import { disassemble } from '../emu/disasm.js';
import { GuestStop, hex } from '../hal/machine.js';
import { DriverSession } from '../hal/session.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Workload {
  name: string;
  code: number;
  outputLength: number;
}

const WORKLOADS: readonly Workload[] = [
  { name: 'sha256 1 MiB', code: 0x222000, outputLength: 32 },
  { name: 'crc32 1 MiB', code: 0x222004, outputLength: 4 },
  { name: 'quicksort 100k', code: 0x222008, outputLength: 4 },
  { name: 'strings 300k', code: 0x22200c, outputLength: 4 },
];

interface Measured {
  instructions: number;
  seconds: number;
  output: string;
}

interface EngineRun {
  /** Per workload: its figures, or why the guest stopped. */
  results: (Measured | { error: string })[];
}

function describeStop(s: DriverSession, e: unknown): string {
  if (!(e instanceof GuestStop)) return e instanceof Error ? e.message : String(e);
  let where = '';
  const pc = e.detail.pc;
  if (pc !== undefined) {
    where = ` at ${s.k.symbolize(pc)}`;
    const bytes = e.detail.instructionBytes;
    const insn = bytes ? disassemble(bytes, s.image.arch, pc) : undefined;
    if (insn) where += `: ${insn.text}`;
    if (bytes) where += ` (bytes ${Array.from(bytes.subarray(0, insn?.length ?? bytes.length), (b) => b.toString(16).padStart(2, '0')).join(' ')})`;
  }
  return `${e.outcome}${where} — ${e.reason}`;
}

function openSession(engine: EngineName, driverPath: string, bytes: Uint8Array): { s: DriverSession; handle: number } {
  const s = DriverSession.load({ driverPath, driverBytes: bytes, engine });
  // As kdemu run --coverage does: the engine marks what executes in the driver's image.
  if (coverage) s.k.m.engine.setCoverage!(s.driver.image.base, s.driver.image.base + BigInt(s.driver.image.size));
  const st = s.start();
  if (st !== 0) throw new Error(`DriverEntry returned ${hex(st, 8)}`);
  const h = s.user.CreateFile('\\\\.\\KdCpuBench');
  if (h.handle < 0) throw new Error(`open failed: ${hex(h.status, 8)}`);
  return { s, handle: h.handle };
}

function ioctl(s: DriverSession, handle: number, w: Workload): string {
  const r = s.user.DeviceIoControl(handle, w.code, new Uint8Array(0), w.outputLength);
  if (r.status !== 0 || r.information !== w.outputLength) throw new Error(`${w.name}: status ${hex(r.status, 8)}, ${r.information} bytes`);
  return Buffer.from(r.data).toString('hex');
}

function runEngine(engine: EngineName, driverPath: string, bytes: Uint8Array): EngineRun {
  const results: EngineRun['results'] = [];
  let session: { s: DriverSession; handle: number } | undefined;
  for (const w of WORKLOADS) {
    // A guest that stops leaves its machine unusable: the next workload gets a fresh one.
    session ??= openSession(engine, driverPath, bytes);
    const { s, handle } = session;
    try {
      ioctl(s, handle, w); // warm-up
      const i0 = s.instructions;
      const t0 = performance.now();
      const output = ioctl(s, handle, w);
      const seconds = (performance.now() - t0) / 1000;
      results.push({ instructions: s.instructions - i0, seconds, output });
    } catch (e) {
      results.push({ error: describeStop(s, e) });
      s.close();
      session = undefined;
    }
  }
  session?.s.close();
  return { results };
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const coverage = args.includes('--coverage');
const archArg = args.indexOf('--arch');
const arch = archArg >= 0 ? args[archArg + 1] : 'x64';
if (arch !== 'x64' && arch !== 'x86') {
  console.error('bench:cpu: --arch x64|x86');
  process.exit(2);
}
const engineArg = args.indexOf('--engine');
const only = engineArg >= 0 ? args[engineArg + 1] : undefined;
if (only !== undefined && !ENGINES.includes(only as EngineName)) {
  console.error(`bench:cpu: --engine ${ENGINES.join('|')}`);
  process.exit(2);
}
const driverPath = path.join(repo, 'samples', 'build', arch, 'cpubench.sys');
const bytes = new Uint8Array(readFileSync(driverPath));

const runs = new Map<EngineName, EngineRun>();
const skipped: string[] = [];
for (const engine of ENGINES) {
  if (only !== undefined && engine !== only) continue;
  if (!engineAvailable(engine)) skipped.push(engine);
  else runs.set(engine, runEngine(engine, driverPath, bytes));
}

// Checks: every workload ran, outputs and instruction counts agree across engines, the SHA-256 digest is right.
const problems: string[] = [];
const expectedSha = createHash('sha256').update(lcgBytes(1 << 20, 1)).digest('hex');
WORKLOADS.forEach((w, i) => {
  const ok: [EngineName, Measured][] = [];
  for (const [engine, run] of runs) {
    const r = run.results[i];
    if ('error' in r) problems.push(`${engine} ${w.name}: ${r.error}`);
    else ok.push([engine, r]);
  }
  if (w.code === 0x222000) for (const [engine, r] of ok) if (r.output !== expectedSha) problems.push(`${engine} ${w.name}: digest ${r.output}, expected ${expectedSha}`);
  for (const [engine, r] of ok.slice(1)) {
    const [first, f] = ok[0];
    if (r.output !== f.output) problems.push(`${w.name}: OUTPUT MISMATCH ${first} ${f.output} vs ${engine} ${r.output}`);
    if (r.instructions !== f.instructions) problems.push(`${w.name}: INSTRUCTION COUNT MISMATCH ${first} ${f.instructions} vs ${engine} ${r.instructions}`);
  }
});

interface Totals {
  instructions: number;
  seconds: number;
  mips: number;
}
function totals(run: EngineRun): Totals | { error: string } {
  const failed = run.results.find((r): r is { error: string } => 'error' in r);
  if (failed) return { error: failed.error };
  const ms = run.results as Measured[];
  const instructions = ms.reduce((a, r) => a + r.instructions, 0);
  const seconds = ms.reduce((a, r) => a + r.seconds, 0);
  return { instructions, seconds: round(seconds, 4), mips: round(instructions / seconds / 1e6, 2) };
}
const summary: Record<string, Totals | { error: string }> = {};
for (const [engine, run] of runs) summary[engine] = totals(run);
const w = summary.wasm;
const u = summary.unicorn;
const ratio = w && u && 'mips' in w && 'mips' in u ? round(w.mips / u.mips, 3) : null;

if (json) {
  console.log(JSON.stringify({ wasm: summary.wasm ?? null, unicorn: summary.unicorn ?? null, ratio }));
} else {
  console.log(`cpubench.sys (${arch}), ${process.version}`);
  for (const e of skipped) console.log(`${e}: not available here, skipped`);
  const cols = ['workload'.padEnd(16), ...[...runs.keys()].map((e) => `${e} instructions`.padStart(22) + `${e} s`.padStart(12) + `${e} MIPS`.padStart(13))];
  if (runs.has('wasm') && runs.has('unicorn')) cols.push('wasm/unicorn'.padStart(14));
  console.log(cols.join(''));
  const row = (name: string, cells: (Measured | Totals | { error: string })[]) => {
    let line = name.padEnd(16);
    const mips: number[] = [];
    for (const c of cells) {
      if ('error' in c) {
        line += 'stopped (see below)'.padStart(47);
        mips.push(NaN);
        continue;
      }
      const m = c.instructions / c.seconds / 1e6;
      mips.push(m);
      line += c.instructions.toLocaleString('en-US').padStart(22) + c.seconds.toFixed(3).padStart(12) + m.toFixed(1).padStart(13);
    }
    const keys = [...runs.keys()];
    if (keys.includes('wasm') && keys.includes('unicorn')) {
      const r = mips[keys.indexOf('wasm')] / mips[keys.indexOf('unicorn')];
      line += (Number.isNaN(r) ? '-' : r.toFixed(2)).padStart(14);
    }
    console.log(line);
  };
  WORKLOADS.forEach((wl, i) => row(wl.name, [...runs.values()].map((r) => r.results[i])));
  row('total', [...runs.values()].map((r) => totals(r)));
  if (ratio !== null) console.log(`ratio (wasm MIPS / unicorn MIPS): ${ratio}`);
}
if (problems.length) {
  console.error(`\nbench:cpu: ${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
  for (const p of problems) console.error(`  !! ${p}`);
  process.exitCode = 1;
}

function lcgBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
