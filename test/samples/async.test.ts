// Pending I/O, cancellation, timers and DPCs, and memory shared through an MDL: samples/async and samples/mdl with
// their clients and as CLI operations; and the ways a caller or a driver can get them wrong.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import type { Operation, Report } from '../../hal/report.js';
import { buildClient, buildDriver } from '../fixtures/build.js';
import { enginesHere, kdemu, sample } from '../helpers.js';

const engines = enginesHere('async sample');
const ARCHES = ['x86', 'x64'] as const;

function file(arch: 'x86' | 'x64', name: string) {
  const path = sample(arch, name);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

function withClient(arch: 'x86' | 'x64', driver: { path: string; bytes: Uint8Array }, client: { path: string; bytes: Uint8Array }, engine: 'wasm' | 'unicorn' = 'wasm'): Report {
  return runDriver({ driverPath: driver.path, driverBytes: driver.bytes, engine, operations: [], client });
}

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it('async_client: a read pends until a write completes it, another until the 500 ms timer\'s DPC, a third until CancelIo', () => {
      const r = withClient(arch, file(arch, 'async.sys'), file(arch, 'async_client.exe'), engine);
      expect(r.outcome).toBe('completed');
      expect(r.client?.stdout.split('\r\n')).toEqual(['read A: pending', 'write: 5', 'read A: hello', 'read B: pending', 'read B: timeout', 'read C: pending', 'read C: cancelled', '']);
      expect(r.unload.leaks).toEqual([]);
    });

    it('mdl_client: the driver\'s buffer mapped into the program, its counter moved by a 100 ms periodic DPC during Sleep(350)', () => {
      const r = withClient(arch, file(arch, 'mdl.sys'), file(arch, 'mdl_client.exe'), engine);
      expect(r.outcome).toBe('completed');
      expect(r.client?.stdout.split('\r\n')).toEqual(['mapped', 'counter: 3', 'message: kernel says hi', 'read: 030000000000', 'unmapped', '']);
      expect(r.unload.leaks).toEqual([]);
    });
  });

  it('async via CLI operations: pending reads report 0x00000103 / 997 and their completion, with the virtual time it came', () => {
    const d = file(arch, 'async.sys');
    const ops: Operation[] = [
      { op: 'read', length: 16 },
      { op: 'write', data: Uint8Array.from(Buffer.from('hello')) },
      { op: 'read', length: 16 },
      { op: 'wait', ms: 600 },
      { op: 'read', length: 16 },
      { op: 'cancel' },
    ];
    const r = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: ops, overlapped: true });
    expect(r.outcome).toBe('completed');
    const io = JSON.parse(JSON.stringify(r.ops)).filter((o: { op: string }) => o.op !== 'open');
    expect(io.map((o: { op: string; status: string; win32Error: number; completion?: unknown }) => [o.op, o.status, o.win32Error, o.completion])).toEqual([
      ['read', '0x00000103', 997, { status: '0x00000000', information: 5, data: '68656c6c6f', atMs: 0 }],
      ['write', '0x00000000', 0, undefined],
      ['read', '0x00000103', 997, { status: '0x00000000', information: 7, data: '74696d656f7574', atMs: 500 }],
      ['wait', '0x00000000', 0, undefined],
      ['read', '0x00000103', 997, { status: '0xC0000120', information: 0, data: '', atMs: 600 }],
      ['cancel', '0x00000000', 0, undefined],
    ]);
    expect(r.unload.leaks).toEqual([]);
  });

  it('the same through the command line, in JSON', () => {
    const res = kdemu(['run', sample(arch, 'async.sys'), '--overlapped', '--read', '16', '--wait', '500', '--json']);
    expect(res.code).toBe(0);
    const j = JSON.parse(res.stdout) as Report;
    expect(j.ops.find((o) => o.op === 'read')?.completion).toEqual({ status: '0x00000000', information: 7, data: '74696d656f7574', atMs: 500 });
  });

  it('mdl via CLI operations: MAP returns a user address, READ copies the shared buffer through the read\'s MDL', () => {
    const d = file(arch, 'mdl.sys');
    const ptr = arch === 'x64' ? 8 : 4;
    const r = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: [{ op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: ptr }, { op: 'wait', ms: 250 }, { op: 'read', length: 6 }] });
    expect(r.outcome).toBe('completed');
    const map = r.ops.find((o) => o.op === 'ioctl')!;
    expect(map.information).toBe(ptr);
    // A user address in the process's view range, at the buffer's offset within its page.
    const user = BigInt('0x' + Buffer.from(map.data!, 'hex').reverse().toString('hex'));
    expect(user >= 0x60000000n && user < 0x70000000n).toBe(true);
    expect(r.ops.find((o) => o.op === 'read')?.data).toBe('020000000000');
    // The program never unmapped: IRP_MJ_CLEANUP did it for the process, so nothing is left.
    expect(r.unload.leaks).toEqual([]);
  });

  it('a caller\'s bad buffers fail the request as Windows does: ERROR_NOACCESS, ERROR_INVALID_HANDLE, nothing crashes', () => {
    const r = withClient(arch, file(arch, 'ioctl.sys'), buildClient('badbuf', arch));
    expect(r.outcome).toBe('completed');
    expect(r.client?.stdout.split('\r\n')).toEqual(['kernel input: 0 998', 'unmapped input: 0 998', 'empty: 1 0', 'closed handle: 0 6', '']);
  });

  it('a METHOD_NEITHER pointer to unmapped user memory faults in the copy the driver makes, with no handler: 0x1E', () => {
    const r = withClient(arch, file(arch, 'ioctl.sys'), buildClient('badbuf', arch, { defines: { NEITHER_UNMAPPED: true } }));
    expect(r.outcome).toBe('fault');
    // The driver copies with ntoskrnl's memmove; the access violation finds no __except on the way up.
    expect(r.stop?.export).toBe('ntoskrnl.exe!memmove');
    expect(r.stop?.stack?.[0]).toMatch(/^ioctl\.sys\+0x[0-9a-f]+$/);
    expect(r.stop?.bugcheck).toMatchObject({ code: '0x0000001E', name: 'KMODE_EXCEPTION_NOT_HANDLED' });
    expect(r.stop?.bugcheck?.params[0]).toBe('0xC0000005');
    expect(r.stop?.fault).toEqual({ access: 'read', address: '0x1000' });
  });

  it('lists what a driver leaves at unload: a set timer and the IRPs it kept pending; a DPC runs once the IRQL drops', () => {
    const d = buildDriver('leaky', arch);
    const r = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: [{ op: 'read', length: 4 }, { op: 'read', length: 4 }], overlapped: true });
    expect(r.outcome).toBe('completed');
    expect(r.dbgPrint).toEqual(['queued at 2\n', 'timer fired\n', 'lowered to 0\n']);
    expect(r.ops.filter((o) => o.op === 'read').map((o) => [o.status, o.completion])).toEqual([['0x00000103', null], ['0x00000103', null]]);
    const kinds = r.unload.leaks.map((l) => l.kind);
    expect(kinds.filter((k) => k === 'irp')).toHaveLength(2);
    expect(kinds).toContain('timer');
    expect(r.unload.leaks.find((l) => l.kind === 'irp')?.detail).toMatch(/IRP_MJ_READ IRP 0x[0-9A-F]+ to \\Device\\KdLeaky, still pending/);
  });

  it('lists an MDL mapping left in the user process at unload (and the pool and MDL behind it)', () => {
    const d = buildDriver('leaky', arch);
    const r = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: [{ op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: 0 }] });
    expect(r.outcome).toBe('completed');
    // A page of pool after its header spans two pages.
    expect(r.unload.leaks.find((l) => l.kind === 'mapping')?.detail).toMatch(/2 pages of MDL 0x[0-9A-F]+ mapped at 0x[0-9A-F]+ in the user process, never unmapped/);
    expect(r.unload.leaks.filter((l) => l.kind === 'pool').map((l) => l.tag).sort()).toEqual(['Leak', 'Mdl ']);
  });

  it('a wait at DISPATCH_LEVEL is IRQL_NOT_LESS_OR_EQUAL', () => {
    const d = buildDriver('leaky', arch, { defines: { WAIT_AT_DISPATCH: true } });
    const r = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: [{ op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: 0 }] });
    expect(r.outcome).toBe('bugcheck');
    expect(r.stop?.bugcheck?.code).toBe('0x0000000A');
    expect(r.stop?.reason).toMatch(/KeWaitForSingleObject .* would wait at IRQL 2/);
  });

  it('notes a read pended without IoMarkIrpPending', () => {
    const d = buildDriver('leaky', arch, { defines: { UNMARKED: true } });
    const r = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: [{ op: 'read', length: 4 }], overlapped: true });
    expect(r.ops.find((o) => o.op === 'read')?.note).toMatch(/returned STATUS_PENDING without IoMarkIrpPending/);
  });
});
