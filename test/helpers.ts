// Shared test helpers: paths inside the repository, running the built CLI.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
