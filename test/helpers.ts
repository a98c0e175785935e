// Shared test helpers: paths inside the repository, running the built CLI.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, engineAvailable, ENGINES, type EngineName } from '../emu/index.js';

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
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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
