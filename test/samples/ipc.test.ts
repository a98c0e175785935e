// The driver talking to user mode on its own: samples/pipe (a system thread writing into a named pipe the program
// serves) and samples/event (a process notify routine signalling named and user events), with their clients and as
// CLI operations (--pipe, --spawn, --kill).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import type { Operation, Report, TraceEvent } from '../../hal/report.js';
import { enginesHere, kdemu, sample } from '../helpers.js';

const engines = enginesHere('ipc samples');
const ARCHES = ['x86', 'x64'] as const;

function file(arch: 'x86' | 'x64', name: string) {
  const path = sample(arch, name);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

function pair(arch: 'x86' | 'x64', driver: string, client: string, engine: 'wasm' | 'unicorn' = 'wasm'): { report: Report; trace: TraceEvent[] } {
  const d = file(arch, driver);
  const trace: TraceEvent[] = [];
  const report = runDriver({ driverPath: d.path, driverBytes: d.bytes, engine, operations: [], client: file(arch, client), onTrace: (e) => trace.push(e) });
  return { report, trace };
}

function ops(arch: 'x86' | 'x64', driver: string, operations: Operation[], extra: { pipes?: string[] } = {}): Report {
  const d = file(arch, driver);
  return runDriver({ driverPath: d.path, driverBytes: d.bytes, operations, ...extra });
}

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it('pipe_client reads the system thread\'s three ticks from its pipe, then ERROR_BROKEN_PIPE, twice with one trace', () => {
      const first = pair(arch, 'pipe.sys', 'pipe_client.exe', engine);
      expect(first.report.outcome).toBe('completed');
      expect(first.report.client?.stdout.split('\r\n')).toEqual(['pipe: tick 0', 'pipe: tick 1', 'pipe: tick 2', 'pipe closed', '']);
      expect(first.report.client?.exitCode).toBe(0);
      expect(first.report.unload.leaks).toEqual([]);
      const thread = first.report.threads.find((t) => t.start !== null)!;
      expect(thread).toMatchObject({ pid: 4, state: 'terminated', exitStatus: '0x00000000' });
      expect(thread.start).toMatch(/^pipe\.sys\+0x/);
      // Three 100 ms delays passed in virtual time, and the thread's calls are its own in the trace.
      expect(first.trace.filter((e) => e.type === 'call' && e.export === 'ntoskrnl.exe!ZwWriteFile').map((e) => e.type === 'call' && e.tid)).toEqual([thread.tid, thread.tid, thread.tid]);
      const second = pair(arch, 'pipe.sys', 'pipe_client.exe', engine);
      expect(JSON.stringify(second.trace)).toBe(JSON.stringify(first.trace));
    });

    it('event_client sees two processes created and the first one exit, through the named event and its own', () => {
      const first = pair(arch, 'event.sys', 'event_client.exe', engine);
      expect(first.report.outcome).toBe('completed');
      expect(first.report.client?.stdout.split('\r\n')).toEqual(['created pid=428 parent=420', 'created pid=436 parent=420', 'exited pid=428', '']);
      expect(first.report.unload.leaks).toEqual([]);
      expect(first.report.processes.slice(2)).toEqual([
        { pid: 428, parentPid: 420, image: 'C:\\Windows\\System32\\notepad.exe', exitCode: '0x00000000' },
        { pid: 436, parentPid: 420, image: 'C:\\Windows\\System32\\notepad.exe', exitCode: null },
      ]);
      const kinds = first.trace.filter((e) => e.type === 'process').map((e) => e.type === 'process' && `${e.event} ${e.pid}`);
      expect(kinds).toEqual(['create 420', 'create 428', 'create 436', 'exit 428', 'exit 420']);
      const second = pair(arch, 'event.sys', 'event_client.exe', engine);
      expect(JSON.stringify(second.trace)).toBe(JSON.stringify(first.trace));
    });
  });

  it('--pipe serves the pipe from the host: the report lists the three messages the driver wrote', () => {
    const r = ops(arch, 'pipe.sys', [{ op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: 0 }, { op: 'wait', ms: 1000 }], { pipes: ['KdPipe'] });
    expect(r.outcome).toBe('completed');
    expect(r.pipes).toEqual([{ name: '\\\\.\\pipe\\KdPipe', received: Buffer.from('tick 0\ntick 1\ntick 2\n').toString('hex'), text: 'tick 0\ntick 1\ntick 2\n', messages: ['tick 0\n', 'tick 1\n', 'tick 2\n'].map((m) => Buffer.from(m).toString('hex')) }]);
    expect(r.unload.leaks).toEqual([]);
  });

  it('without a pipe server, the driver\'s ZwCreateFile finds no pipe and its thread ends', () => {
    const r = ops(arch, 'pipe.sys', [{ op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: 0 }, { op: 'wait', ms: 100 }]);
    expect(r.outcome).toBe('completed');
    expect(r.dbgPrint).toContain('KdPipe: ZwCreateFile failed c0000034\n');
    expect(r.unload.leaks).toEqual([]);
  });

  it('--spawn fires the notify routine; the 12-byte record names the process and its parent; --kill its exit', () => {
    const get: Operation = { op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: 12 };
    const r = ops(arch, 'event.sys', [{ op: 'spawn', image: 'notepad.exe' }, get, { op: 'kill', pid: 428 }, get, { op: 'kill', pid: 428 }, { op: 'kill', pid: 9999 }]);
    expect(r.outcome).toBe('completed');
    const rec = (hex: string) => Array.from(new Uint32Array(Uint8Array.from(Buffer.from(hex, 'hex')).buffer));
    expect(r.ops.map((o) => [o.op, o.status, o.pid ?? rec(o.data ?? '')])).toEqual([
      ['spawn', '0x00000000', 428],
      ['open', '0x00000000', []],
      ['ioctl', '0x00000000', [420, 428, 1]],
      ['kill', '0x00000000', 428],
      ['ioctl', '0x00000000', [0, 428, 0]],
      ['kill', '0xC0000022', 428],
      ['kill', '0xC000000B', 9999],
    ]);
    expect(r.processes[2]).toEqual({ pid: 428, parentPid: 420, image: 'C:\\Windows\\System32\\notepad.exe', exitCode: '0x00000001' });
  });

  it('PsSetCreateProcessNotifyRoutineEx is refused with STATUS_ACCESS_DENIED for a driver linked without /INTEGRITYCHECK', () => {
    const d = file(arch, 'event.sys');
    const bytes = d.bytes.slice();
    const pe = new DataView(bytes.buffer).getUint32(0x3c, true);
    bytes[pe + 0x18 + 0x46] &= ~0x80;
    const r = runDriver({ driverPath: d.path, driverBytes: bytes, operations: [] });
    expect(r.driverEntry?.status).toBe('0xC0000022');
    expect(r.unload.leaks).toEqual([]);
  });
});

describe('the pipe pair', () => {
  it('gives one trace over 100 runs', () => {
    const traces = new Set<string>();
    for (let i = 0; i < 100; i++) traces.add(JSON.stringify(pair('x64', 'pipe.sys', 'pipe_client.exe').trace));
    expect(traces.size).toBe(1);
  });
});

describe('the command line', () => {
  it('kdemu run pipe.sys --pipe KdPipe --ioctl 0x222000 --wait 1000 --json lists the messages under pipes', () => {
    const r = kdemu(['run', sample('x64', 'pipe.sys'), '--pipe', 'KdPipe', '--ioctl', '0x222000', '--wait', '1000', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.pipes[0].text).toBe('tick 0\ntick 1\ntick 2\n');
  });

  it('kdemu run event.sys --spawn notepad.exe --ioctl 0x222000::12 --json returns the 12 bytes of that process', () => {
    const r = kdemu(['run', sample('x64', 'event.sys'), '--spawn', 'notepad.exe', '--ioctl', '0x222000::12', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ops.find((o) => o.op === 'ioctl')?.data).toBe('a4010000ac01000001000000');
    expect(report.ops[0]).toMatchObject({ op: 'spawn', image: 'C:\\Windows\\System32\\notepad.exe', pid: 428 });
  });

  it('refuses a malformed --pipe, --kill and --fs with exit 2 and one line', () => {
    for (const [args, why] of [
      [['--pipe', 'a\\b'], /--pipe: 'a\\b' is not a pipe name/],
      [['--kill', 'abc'], /--kill: 'abc' is not a number/],
      [['--fs', '/nonexistent-kdemu-dir'], /--fs: cannot read \/nonexistent-kdemu-dir: ENOENT/],
      [['--spawn', 'a|b'], /--spawn: 'a\|b' is not a Windows file name/],
    ] as const) {
      const r = kdemu(['run', sample('x64', 'event.sys'), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
  });
});
