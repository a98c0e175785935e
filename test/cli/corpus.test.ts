// `npm run corpus -- DIR`: every driver of a folder on worker threads, one NDJSON record each, and a summary of
// completion and success with the exports that stop the rest.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDriver, repoRoot } from '../fixtures/build.js';
import { summary, type DriverRecord } from '../../bin/corpus-run.js';

function corpus(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'bin', 'corpus.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('corpus runs', () => {
  it('run every driver of a folder (recursively) on both engines and record each one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-corpus-'));
    mkdirSync(path.join(dir, 'sub'));
    copyFileSync(buildDriver('dbgprint', 'x64').path, path.join(dir, 'a-ok.sys'));
    copyFileSync(buildDriver('blocked', 'x86').path, path.join(dir, 'sub', 'b-blocked.sys'));
    writeFileSync(path.join(dir, 'c-garbage.sys'), 'not a PE file');
    const out = path.join(dir, 'results.ndjson');
    const r = corpus([dir, '--engine', 'both', '--jobs', '2', '--ndjson', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DriverRecord);
    expect(records.map((x) => [x.engine, x.file, x.outcome, x.pass])).toEqual([
      ['wasm', 'a-ok.sys', 'completed', true],
      ['wasm', 'c-garbage.sys', 'bad-input', false],
      ['wasm', 'sub/b-blocked.sys', 'unsupported-call', false],
      ['unicorn', 'a-ok.sys', 'completed', true],
      ['unicorn', 'c-garbage.sys', 'bad-input', false],
      ['unicorn', 'sub/b-blocked.sys', 'unsupported-call', false],
    ]);
    const blocked = records.find((x) => x.file === 'sub/b-blocked.sys')!;
    expect(blocked).toMatchObject({ arch: 'x86', driverEntry: null, blocker: { kind: 'export', name: 'ntoskrnl.exe!IoReportDetectedDevice' } });
    expect(records[0]).toMatchObject({ arch: 'x64', driverEntry: '0x00000000', blocker: null });
    expect(records[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    // The summary goes to standard output when the records go to a file.
    expect(r.stdout).toContain('engine wasm: 3 drivers');
    expect(r.stdout).toMatch(/DriverEntry ran to its end +1 +33\.3%/);
    expect(r.stdout).toMatch(/blocking exports \(drivers stopped\):\n +1 +ntoskrnl\.exe!IoReportDetectedDevice/);
  });

  it("send a manifest's requests and count the answers that match its expectations", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-corpus-'));
    copyFileSync(buildDriver('io', 'x64').path, path.join(dir, 'io.sys'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ drivers: [{ file: 'io.sys', checks: [{ op: 'ioctl', code: '0x12345678', input: '', outputLength: 0, expect: { status: '0xC0000010', information: 0, data: null } }] }] }));
    const r = corpus([dir]);
    expect(r.status).toBe(0);
    const rec = JSON.parse(r.stdout.trim()) as DriverRecord;
    expect(rec.requests).toEqual({ total: 1, answered: 1, expected: 1, matched: 1 });
    expect(r.stderr).toContain('requests as expected             1  of 1');
  });

  it('refuse a missing folder or a bad option with exit 2 and one line', () => {
    const r = corpus(['/nonexistent/folder']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('corpus: /nonexistent/folder is not a folder\n');
    expect(corpus([tmpdir(), '--engine', 'qemu']).stderr).toBe("corpus: --engine: 'qemu' is not wasm, unicorn or both\n");
    expect(corpus([tmpdir(), '--jobs', '0']).status).toBe(2);
  });

  it('summarise the blocking exports and instructions most frequent first', () => {
    const rec = (file: string, blocker: DriverRecord['blocker'], driverEntry: string | null): DriverRecord => ({
      file, sha256: '', arch: 'x64', engine: 'wasm', outcome: blocker ? 'unsupported-call' : 'completed', driverEntry, pass: !blocker,
      requests: { total: 0, answered: 0, expected: 0, matched: 0 }, blocker, reason: null, instructions: 0, wallMs: 0,
    });
    const text = summary([
      rec('a', { kind: 'export', name: 'ntoskrnl.exe!A' }, null),
      rec('b', { kind: 'export', name: 'ntoskrnl.exe!B' }, null),
      rec('c', { kind: 'export', name: 'ntoskrnl.exe!B' }, null),
      rec('d', { kind: 'instruction', name: 'vpxor xmm0,xmm0,xmm0' }, null),
      rec('e', null, '0xC0000001'),
      rec('f', null, '0x00000000'),
    ], 10);
    expect(text).toBe([
      'engine wasm: 6 drivers',
      '  DriverEntry ran to its end       2  33.3%',
      '  DriverEntry succeeded            1  16.7%',
      '  passed (no kdemu stop)           2  33.3%',
      '  outcomes: unsupported-call 4, completed 2',
      '  blocking exports (drivers stopped):',
      '        2  ntoskrnl.exe!B',
      '        1  ntoskrnl.exe!A',
      '  blocking instructions (drivers stopped):',
      '        1  vpxor xmm0,xmm0,xmm0',
      '',
    ].join('\n'));
  });
});
