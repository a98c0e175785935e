// Helpers of the fuzzing regressions: run the CLI in-process and check it as the fuzzer does, and build the small
// mutants of the samples that reproduce what the fuzzer found.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../bin/cli.js';
import { checkRun } from '../../fuzz/check.js';
import { dataDir, peLayout, rvaToOff } from '../../fuzz/pe.js';
import { repo, sample } from '../helpers.js';

export interface Ran {
  argv: string[];
  exit: number | null;
  stdout: string;
  stderr: string;
  threw?: string;
  wallMs: number;
}

export function cli(argv: string[]): Ran {
  let stdout = '';
  let stderr = '';
  const t0 = performance.now();
  let exit: number | null = null;
  let threw: string | undefined;
  try {
    exit = runCli(argv, { stdout: (d) => void (stdout += typeof d === 'string' ? d : Buffer.from(d).toString('utf8')), stderr: (t) => void (stderr += t) });
  } catch (e) {
    threw = e instanceof Error ? (e.stack ?? e.message) : String(e);
  }
  return { argv, exit, stdout, stderr, wallMs: performance.now() - t0, ...(threw !== undefined ? { threw } : {}) };
}

/** The fuzzer's checks (exit code of the contract, one stderr line for exit 2, a report that parses, no stack trace). */
export function contractProblems(r: Ran, expectUsageError = false): string[] {
  return checkRun(r, { expectUsageError, maxWallMs: 60_000 }).problems;
}

export function outcome(r: Ran): string | undefined {
  try {
    return (JSON.parse(r.stdout) as { outcome?: string }).outcome;
  } catch {
    return undefined;
  }
}

export function sampleBytes(arch: 'x86' | 'x64', file: string): Uint8Array {
  return new Uint8Array(readFileSync(sample(arch, file)));
}

export class Scratch {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'kdemu-fuzz-regress-'));
  file(name: string, bytes: Uint8Array | string): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, bytes);
    return p;
  }
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { repo, sample };

/** Sets relocation entry N of the first block to TYPE (keeping its offset). */
export function withRelocType(image: Uint8Array, entry: number, type: number): Uint8Array {
  const b = image.slice();
  const l = peLayout(b)!;
  const d = dataDir(b, l, 5)!;
  const at = rvaToOff(b, l, d.rva)! + 8 + entry * 2;
  const v = (type << 12) | ((b[at]! | (b[at + 1]! << 8)) & 0xfff);
  b[at] = v & 0xff;
  b[at + 1] = v >>> 8;
  return b;
}

/** Points data directory INDEX at RVA (giving it SIZE when it had none). */
export function withDataDir(image: Uint8Array, index: number, rva: number, size?: number): Uint8Array {
  const b = image.slice();
  const l = peLayout(b)!;
  const d = dataDir(b, l, index)!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(d.entry, rva, true);
  if (size !== undefined) dv.setUint32(d.entry + 4, size, true);
  return b;
}

/** Renames an imported function in place (the new name must not be longer). */
export function withImportRenamed(image: Uint8Array, from: string, to: string): Uint8Array {
  if (to.length > from.length) throw new Error(`${to} is longer than ${from}`);
  const b = Buffer.from(image);
  const at = b.indexOf(`${from}\0`, 0, 'latin1');
  if (at < 0) throw new Error(`no import named ${from}`);
  b.write(`${to}\0`, at, 'latin1');
  return new Uint8Array(b);
}
