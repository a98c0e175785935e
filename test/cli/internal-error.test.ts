// A failure inside kdemu itself (never the guest's doing) still ends in a report: outcome internal-error, the kdemu
// function where it happened, exit 3 — not a host stack trace.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../bin/cli.js';
import { internalWhere } from '../../hal/internal.js';
import { runDriver } from '../../hal/run.js';
import { sample } from '../helpers.js';

describe('internal errors', () => {
  it('a host error during the run becomes outcome internal-error with where it happened', () => {
    const path = sample('x64', 'readfile.sys');
    const report = runDriver({
      driverPath: path,
      driverBytes: readFileSync(path),
      operations: [{ op: 'read', length: 4 }],
      // A trace sink that fails on the read's event stands for a bug in kdemu's own code.
      onTrace: (e) => {
        if (e.type === 'op' && e.op === 'read') throw new TypeError('sink failed');
      },
    });
    expect(report.outcome).toBe('internal-error');
    expect(report.stop?.internal?.error).toBe('TypeError: sink failed');
    expect(report.stop?.internal?.where).toMatch(/^\S+ \(test\/cli\/internal-error\.test\.ts:\d+\)$|^\S+ \((hal|emu|bin)\/\S+:\d+\)$/);
    expect(report.stop?.reason).toMatch(/please report it as a kdemu bug/);
    // Everything known so far is still reported.
    expect(report.driverEntry?.status).toBe('0x00000000');
  });

  it('kdemu run exits 3 with the report when kdemu fails internally', () => {
    const out: string[] = [];
    const err: string[] = [];
    let traced = 0;
    const code = runCli(['run', sample('x64', 'readfile.sys'), '--trace', '-', '--read', '4'], {
      stdout: (d) => {
        const s = typeof d === 'string' ? d : Buffer.from(d).toString();
        if (s.startsWith('{"seq"') && ++traced === 3) throw new RangeError('stdout broke');
        out.push(s);
      },
      stderr: (t) => void err.push(t),
    });
    expect(code).toBe(3);
    // With --trace - the summary goes to stderr: stdout holds the trace alone.
    expect(err.join('')).toMatch(/Stopped: internal-error/);
    expect(out.join('')).not.toMatch(/Stopped/);
  });

  it('names the innermost kdemu function of a stack, without machine paths', () => {
    const e = new Error('x');
    e.stack = 'Error: x\n    at Pool.allocate (file:///somewhere/dist/hal/ex/pool.js:71:13)\n    at main (/elsewhere/dist/bin/cli.js:12:3)';
    expect(internalWhere(e)).toBe('Pool.allocate (hal/ex/pool.js:71)');
    expect(internalWhere('not an error')).toBe('unknown');
  });
});
