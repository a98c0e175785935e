// The chapter's IOCTL template, SystemBuffer communication and a layered filter: samples/ioctl, samples/systembuf and
// samples/filter, driven by their unmodified clients and by CLI operations, on x86 and x64 and every engine.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import type { Operation, Report } from '../../hal/report.js';
import { enginesHere, kdemu, sample } from '../helpers.js';

const engines = enginesHere('ioctl sample');
const ARCHES = ['x86', 'x64'] as const;

const IOCTL_LINES = ['add: 5', 'buffered: 0403020100', 'in_direct: 0403020100', 'out_direct: 0403020100', 'neither: 0403020100', 'small: error 122', 'unknown: error 1'];

function file(arch: 'x86' | 'x64', name: string) {
  const path = sample(arch, name);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

function withClient(arch: 'x86' | 'x64', driver: string, client: string, engine: 'wasm' | 'unicorn', load: string[] = []): Report {
  const d = file(arch, driver);
  return runDriver({
    driverPath: d.path,
    driverBytes: d.bytes,
    engine,
    operations: [],
    load: load.map((l) => file(arch, l)),
    client: file(arch, client),
  });
}

function withOps(arch: 'x86' | 'x64', driver: string, operations: Operation[], load: string[] = []): Report {
  const d = file(arch, driver);
  return runDriver({ driverPath: d.path, driverBytes: d.bytes, operations, load: load.map((l) => file(arch, l)) });
}

const ioctl = (code: number, hex = '', out = 0): Operation => ({ op: 'ioctl', code, input: Uint8Array.from(Buffer.from(hex, 'hex')), outputLength: out });

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it('ioctl_client prints its seven lines: ADD, REVERSE through all four transfer methods, a short buffer, an unknown code', () => {
      const r = withClient(arch, 'ioctl.sys', 'ioctl_client.exe', engine);
      expect(r.outcome).toBe('completed');
      expect(r.client?.exitCode).toBe(0);
      expect(r.client?.stdout.split('\r\n')).toEqual([...IOCTL_LINES, '']);
      expect(r.unload.leaks).toEqual([]);
    });

    it('systembuf_client gets its upper-cased reply in the same SystemBuffer, then reads back what it wrote', () => {
      const r = withClient(arch, 'systembuf.sys', 'systembuf_client.exe', engine);
      expect(r.outcome).toBe('completed');
      expect(r.client?.stdout).toBe('reply: HELLO KERNEL\r\nread back: ping\r\n');
      expect(r.dbgPrint).toContain('received: hello kernel\n');
      expect(r.unload.leaks).toEqual([]);
    });

    it('with the filter loaded on top of KdIoctl, ADD comes back plus 1000 and the other requests pass through unchanged', () => {
      const r = withClient(arch, 'ioctl.sys', 'ioctl_client.exe', engine, ['filter.sys']);
      expect(r.outcome).toBe('completed');
      expect(r.loaded.map((l) => l.driverEntry.status)).toEqual(['0x00000000']);
      expect(r.client?.stdout.split('\r\n')).toEqual(['add: 1005', ...IOCTL_LINES.slice(1), '']);
      expect(r.unload.leaks).toEqual([]);
    });
  });

  it('runs the UCRT builds of the clients the same way', () => {
    expect(withClient(arch, 'ioctl.sys', 'ioctl_client_ucrt.exe', 'wasm').client?.stdout.split('\r\n')).toEqual([...IOCTL_LINES, '']);
    expect(withClient(arch, 'systembuf.sys', 'systembuf_client_ucrt.exe', 'wasm').client?.stdout).toBe('reply: HELLO KERNEL\r\nread back: ping\r\n');
  });

  it('answers the same requests given as CLI operations, with the Windows statuses', () => {
    const r = withOps(arch, 'ioctl.sys', [
      ioctl(0x222000, '0200000003000000', 4),
      ioctl(0x222004, '0001020304', 5),
      ioctl(0x222009, '0001020304', 5),
      ioctl(0x22200e, '0001020304', 5),
      ioctl(0x222013, '0001020304', 5),
      ioctl(0x222004, '0001020304', 2),
      ioctl(0x222ffc),
      ioctl(0x222000, '02000000', 4),
    ]);
    expect(r.outcome).toBe('completed');
    const ops = r.ops.filter((o) => o.op === 'ioctl').map((o) => [o.status, o.win32Error, o.information, o.data]);
    expect(ops).toEqual([
      ['0x00000000', 0, 4, '05000000'],
      ['0x00000000', 0, 5, '0403020100'],
      ['0x00000000', 0, 5, '0403020100'],
      ['0x00000000', 0, 5, '0403020100'],
      ['0x00000000', 0, 5, '0403020100'],
      ['0xC0000023', 122, 0, ''],
      ['0xC0000010', 1, 0, ''],
      ['0xC000000D', 87, 0, ''],
    ]);
    expect(r.unload.leaks).toEqual([]);
  });

  it('takes --load from the command line: the filter adds 1000 to ADD in the JSON report', () => {
    const res = kdemu(['run', sample(arch, 'ioctl.sys'), '--load', sample(arch, 'filter.sys'), '--ioctl', '0x222000:0200000003000000:4', '--json']);
    expect(res.code).toBe(0);
    const j = JSON.parse(res.stdout) as Report;
    expect(j.loaded).toHaveLength(1);
    expect(j.ops.find((o) => o.op === 'ioctl')?.data).toBe('ed030000');
    expect(j.unload.leaks).toEqual([]);
  });

  it('systembuf via CLI operations: the buffered IOCTL, then a write and a read of the kept bytes', () => {
    const r = withOps(arch, 'systembuf.sys', [ioctl(0x222000, Buffer.from('abc\0').toString('hex'), 16), { op: 'write', data: Uint8Array.from(Buffer.from('ping')) }, { op: 'read', length: 16 }]);
    expect(r.outcome).toBe('completed');
    expect(r.ops.filter((o) => o.op !== 'open').map((o) => [o.op, o.information, o.data])).toEqual([
      ['ioctl', 4, Buffer.from('ABC\0').toString('hex')],
      ['write', 4, undefined],
      ['read', 4, Buffer.from('ping').toString('hex')],
    ]);
  });
});

it('refuses a --load driver of the other architecture with exit 2', () => {
  const res = kdemu(['run', sample('x64', 'ioctl.sys'), '--load', sample('x86', 'filter.sys')]);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/filter\.sys: it is x86 but the first driver is x64/);
});
