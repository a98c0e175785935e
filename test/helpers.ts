// Shared test helpers: paths inside the repository, running the built CLI.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createEngine, engineAvailable, ENGINES, type EngineName } from '../emu/index.js';
import { validateReport, validateTraceText } from './schema-validate.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../hal/report.js';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function sample(arch: 'x86' | 'x64', file: string): string {
  return path.join(repo, 'samples', 'build', arch, file);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/bin/kdemu.js (built by npm run setup) with the arguments. */
export function kdemu(args: string[], options: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(repo, 'dist', 'bin', 'kdemu.js'), ...args], {
    cwd: options.cwd ?? repo,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (args[0] === 'run') validateOutput(args, r.stdout, options.cwd ?? repo);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The run's --json report and --trace events (stdout or a file) must follow the published schemas. */
function validateOutput(args: string[], stdout: string, cwd: string): void {
  const at = args.indexOf('--trace');
  const target = at >= 0 ? args[at + 1] : undefined;
  if (target === '-') validateTraceText(stdout);
  else if (target !== undefined) {
    const file = path.resolve(cwd, target);
    if (existsSync(file)) {
      const raw = readFileSync(file);
      validateTraceText((/\.gz$/i.test(file) ? gunzipSync(raw) : raw).toString('utf8'));
    }
  }
  // A usage error prints no report: only a report the run printed is checked.
  if (args.includes('--json') && stdout.trimStart().startsWith('{')) validateReport(JSON.parse(stdout));
}

/** In CI a missing engine fails the suite (CI services set CI=true; some set 1). Read at each call. */
function inCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/** Why the engine cannot be created here (EngineUnavailableError says what to install). */
function whyUnavailable(name: EngineName): string {
  try {
    createEngine(name, 'x64').close();
    return 'it failed its availability check';
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Whether every engine named is available, for a suite that needs them all (comparing the wasm core against
 * Unicorn): in CI a missing one throws, so the suite fails instead of passing without having run anything; locally
 * the suite is skipped with a message naming what is missing. Use: describe.skipIf(!requireEngines('suite', ...)).
 */
export function requireEngines(suite: string, ...names: EngineName[]): boolean {
  const missing = names.filter((e) => !engineAvailable(e));
  if (missing.length === 0) return true;
  const why = missing.map((e) => `the ${e} engine is not available (${whyUnavailable(e)})`).join('; ');
  if (inCi()) throw new Error(`${suite}: ${why}. CI must run this suite on every engine.`);
  console.warn(`${suite}: skipped here: ${why}`);
  return false;
}

/**
 * The engines of `wanted` a suite that runs once per engine can use: all of them, or (locally only) those available,
 * with a message naming the ones left out. In CI a missing engine throws, as requireEngines does.
 */
export function enginesHere(suite: string, wanted: readonly EngineName[] = ENGINES): EngineName[] {
  return wanted.filter((e) => requireEngines(`${suite} on the ${e} engine`, e));
}

/** A completed report with nothing in it, for rendering and report-writer tests the CLI cannot easily produce. */
export function blankReport(over: Partial<Report> = {}): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    driver: { path: 'd.sys', sha256: '', arch: 'x64', imageBase: '0xFFFFF80001000000', entryPoint: '0xFFFFF80001001000' },
    outcome: 'completed',
    driverEntry: { status: '0x00000000' },
    devices: [],
    symlinks: [],
    ops: [],
    dbgPrint: [],
    unload: { called: true, leaks: [] },
    stop: null,
    client: null,
    loaded: [],
    pipes: [],
    threads: [],
    processes: [],
    unsupportedCalls: [],
    stats: { engine: 'wasm', instructions: 1, apiCalls: 1, wallMs: 1 },
    ...over,
  };
}
