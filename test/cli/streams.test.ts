// The output streams of kdemu run: --trace - leaves stdout to the trace alone, --trace FILE.gz writes gzip,
// --trace-limit stops a run whose trace grows too long.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report, TraceEvent } from '../../hal/report.js';
import { kdemu, sample } from '../helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-streams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const parse = (text: string) => lines(text).map((l) => JSON.parse(l) as TraceEvent);

describe('--trace -', () => {
  it('puts only trace events on stdout, one JSON object with a type per line; the summary goes to stderr', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--read', '10', '--trace', '-']);
    expect(r.code).toBe(0);
    const events = parse(r.stdout);
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) expect(typeof e.type).toBe('string');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(r.stderr).toContain('DriverEntry → 0x00000000');
    expect(r.stderr).toContain('68686868686868686868');
  });

  it('sends a --client program output echo to stderr too', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--client', sample('x64', 'readfile_client.exe'), '--trace', '-']);
    expect(r.code).toBe(0);
    for (const e of parse(r.stdout)) expect(typeof e.type).toBe('string');
    const plain = kdemu(['run', sample('x64', 'readfile.sys'), '--client', sample('x64', 'readfile_client.exe')]);
    // What the summary printed on stdout without the trace is on stderr with it.
    expect(r.stderr).toBe(plain.stdout.replace(/wasm engine, .*\n/, r.stderr.match(/wasm engine, .*\n/)![0]));
  });

  it('refuses --json with --trace - (both want stdout): exit 2, one line', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--read', '10', '--trace', '-', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kdemu: --json and --trace - both want stdout[^\n]*\n$/);
  });
});

describe('--trace FILE.gz', () => {
  it('writes the same events as a plain trace, gzip-compressed', () => {
    const plain = path.join(dir, 't.ndjson');
    const gz = path.join(dir, 't.ndjson.gz');
    const args = ['run', sample('x64', 'readfile.sys'), '--read', '10', '--ioctl', '0x222003:41414141:16'];
    for (const target of [plain, gz]) {
      const r = kdemu([...args, '--trace', target]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const bytes = readFileSync(gz);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(bytes).toString('utf8')).toBe(readFileSync(plain, 'utf8'));
  });

  it('stays valid gzip across many chunks (members) of a long trace', () => {
    const gz = path.join(dir, 'long.ndjson.gz');
    // 100,000 events are some 12 MB of text: a dozen members of 1 MiB each.
    const r = kdemu(['run', sample('x64', 'threadbench.sys'), '--trace', gz, '--trace-limit', '100000']);
    expect(r.code).toBe(1);
    const events = parse(gunzipSync(readFileSync(gz)).toString('utf8'));
    expect(events).toHaveLength(100_001);
    expect(events.slice(0, -1).map((e) => e.seq)).toEqual(events.slice(0, -1).map((_, i) => i));
    expect(events.at(-1)).toMatchObject({ type: 'stop', outcome: 'trace-limit' });
  });
});

describe('--trace-limit', () => {
  it('stops the run after N events with outcome trace-limit (exit 1); the trace ends with the stop event', () => {
    const file = path.join(dir, 'limited.ndjson');
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--read', '10', '--trace', file, '--trace-limit', '12', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.outcome).toBe('trace-limit');
    expect(report.stop?.reason).toMatch(/limit of 12 events/);
    const events = parse(readFileSync(file, 'utf8'));
    expect(events).toHaveLength(13);
    expect(events.at(-1)).toMatchObject({ type: 'stop', outcome: 'trace-limit' });
  });

  it('ends a long run early, whatever its thread was doing', () => {
    const r = kdemu(['run', sample('x64', 'threadbench.sys'), '--trace', '-', '--trace-limit', '1000']);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toHaveLength(1001);
    expect(r.stderr).toContain('Stopped: trace-limit');
  });

  it('a limit the trace never reaches changes nothing', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--read', '10', '--trace', '-', '--trace-limit', '100000']);
    expect(r.code).toBe(0);
    expect(parse(r.stdout).some((e) => e.type === 'stop')).toBe(false);
  });

  it('is refused without a --trace, and when not a positive number', () => {
    expect(kdemu(['run', sample('x64', 'readfile.sys'), '--trace-limit', '5']).stderr).toMatch(/^kdemu: --trace-limit limits a --trace; there is none\n$/);
    const zero = kdemu(['run', sample('x64', 'readfile.sys'), '--trace', '-', '--trace-limit', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--trace-limit/);
  });
});
