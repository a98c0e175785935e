// The KMDF framework end to end: binding (WdfVersionBind's checks, both table forms), the samples kmdf_ioctl and
// kmdf_pnp driven by their clients and by CLI operations, the emulated PnP manager's sequence, and the misuses the
// framework verifier stops with WDF_VIOLATION.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import type { Operation, Report, RunOptions, TraceEvent } from '../../hal/report.js';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';
import { op, run } from '../kernel/harness.js';
import { WDF_FUNCTIONS } from '../../hal/wdf/table.js';
import { EXPORTS } from '../../hal/exports.js';

const engines = enginesHere('KMDF framework');
const IOCTL_LINES = ['add: 5', 'buffered: 0403020100', 'in_direct: 0403020100', 'out_direct: 0403020100', 'neither: 0403020100', 'small: error 122', 'unknown: error 1'];

function file(arch: 'x86' | 'x64', name: string) {
  const path = sample(arch, name);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

function runSample(arch: 'x86' | 'x64', driver: string, options: Partial<RunOptions> = {}): { report: Report; trace: TraceEvent[] } {
  const d = file(arch, driver);
  const trace: TraceEvent[] = [];
  const report = runDriver({ driverPath: d.path, driverBytes: d.bytes, operations: [], onTrace: (e) => trace.push(e), ...options });
  return { report, trace };
}

const calls = (trace: TraceEvent[]) => trace.flatMap((e) => (e.type === 'call' ? [e.export] : []));

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it('ioctl_client prints its seven lines against kmdf_ioctl.sys, with no leaks', () => {
      const { report } = runSample(arch, 'kmdf_ioctl.sys', { engine, client: file(arch, 'ioctl_client.exe') });
      expect(report.outcome).toBe('completed');
      expect(report.client?.stdout.split('\r\n')).toEqual([...IOCTL_LINES, '']);
      expect(report.dbgPrint.map((l) => l.trimEnd())).toEqual(['KdIoctl: DriverEntry (KMDF 1.15)', 'KdIoctl: unload']);
      expect(report.unload).toEqual({ called: true, leaks: [] });
    });

    it('kmdf_pnp: the PnP manager adds and starts the device, the client writes, reads back and counts, removal runs the reverse', () => {
      const { report, trace } = runSample(arch, 'kmdf_pnp.sys', { engine, client: file(arch, 'kmdf_pnp_client.exe') });
      expect(report.outcome).toBe('completed');
      expect(report.client?.stdout).toBe('write: 5\r\nread: hello\r\nwrites: 1\r\n');
      const order = report.dbgPrint.map((l) => /^KdPnp: (\w+)/.exec(l)?.[1]);
      expect(order).toEqual(['DriverEntry', 'EvtDriverDeviceAdd', 'EvtDevicePrepareHardware', 'EvtDeviceD0Entry', 'EvtDeviceFileCreate', 'EvtFileCleanup', 'EvtFileClose', 'EvtDeviceD0Exit', 'EvtDeviceReleaseHardware']);
      // D0 entry from WdfPowerDeviceD3Final, D0 exit to it.
      expect(report.dbgPrint.find((l) => l.includes('EvtDeviceD0Entry'))).toMatch(/previous state 5/);
      const pnp = trace.flatMap((e) => (e.type === 'pnp' ? [`${e.event} ${e.status}`] : []));
      expect(pnp).toEqual(['add-device 0x00000000', 'start 0x00000000', 'query-remove 0x00000000', 'remove 0x00000000']);
      expect(report.unload).toEqual({ called: true, leaks: [] });
    });
  });

  it('kmdf_pnp through CLI operations: the read pends in the manual queue until the write\'s timer completes it', () => {
    const { report } = runSample(arch, 'kmdf_pnp.sys', {
      overlapped: false,
      operations: [op.open('KdPnp'), op.write('68656c6c6f'), op.read(5), op.ioctl(0x222000, '', 4), op.close()],
    });
    expect(report.outcome).toBe('completed');
    const ops = report.ops.filter((o) => o.op !== 'open' && o.op !== 'close');
    expect(ops.map((o) => [o.op, o.status, o.information])).toEqual([['write', '0x00000000', 5], ['read', '0x00000000', 5], ['ioctl', '0x00000000', 4]]);
    expect(ops[1].data).toBe('68656c6c6f');
    expect(ops[2].data).toBe('01000000');
  });

  it('--open-interface opens the PnP device through its interface; without PnP enumeration there is no device', () => {
    const guid = '{6e3b7c2a-4f1d-4b8e-9a57-2c0d1e8f3a64}';
    const withPnp = runSample(arch, 'kmdf_pnp.sys', { operations: [{ op: 'open-interface', guid }, op.ioctl(0x222000, '', 4)] }).report;
    expect(withPnp.ops[0]).toMatchObject({ op: 'open', status: '0x00000000' });
    expect(withPnp.ops[0].name).toBe(`\\\\?\\ROOT#KMDF_PNP#0000#${guid}`);
    expect(withPnp.ops[1]).toMatchObject({ status: '0x00000000', data: '00000000' });
    const noPnp = runSample(arch, 'kmdf_pnp.sys', { pnp: false, operations: [{ op: 'open-interface', guid }] }).report;
    expect(noPnp.ops[0].status).toBe('0xC0000034'); // STATUS_OBJECT_NAME_NOT_FOUND
    expect(noPnp.dbgPrint.some((l) => l.includes('EvtDriverDeviceAdd'))).toBe(false);
  });

  it('traces each framework entry as a call of Wdf01000.sys and each Evt callback as a callback', () => {
    const { trace } = runSample(arch, 'kmdf_ioctl.sys', { operations: [op.ioctl(0x222000, '0200000003000000', 4)] });
    const c = calls(trace);
    expect(c).toContain('wdfldr.sys!WdfVersionBind');
    expect(c).toContain('Wdf01000.sys!WdfDriverCreate');
    expect(c).toContain('Wdf01000.sys!WdfRequestCompleteWithInformation');
    expect(c.at(-1)).toBe('wdfldr.sys!WdfVersionUnbind');
    const evt = trace.flatMap((e) => (e.type === 'callback' && e.event === 'enter' ? [e.routine] : []));
    expect(evt).toEqual(expect.arrayContaining(['EvtIoInCallerContext', 'EvtIoDeviceControl', 'EvtDriverUnload']));
  });
});

describe.each(ARCHES)('%s: binding and the verifier', (arch) => {
  const driver = () => buildDriver('kmdf_verifier', arch);
  const stop = (code: number, extra: Partial<RunOptions> = {}) => run(driver(), [op.ioctl(0x222000 + 4 * code, '00', 4)], extra).report;

  it('WdfVersionBind refuses another major version, a newer minor, a table too large or of no released size, a wrong Size; copies a 1.9 table and points a 1.15+ client at the framework\'s', () => {
    const r = run(driver()).report;
    expect(r.outcome).toBe('completed');
    expect(r.dbgPrint.slice(0, 8).map((l) => l.trimEnd())).toEqual([
      'bind major 2: c0000034', // STATUS_OBJECT_NAME_NOT_FOUND: no Wdf02000 library
      'bind minor 34: c0000059', // STATUS_REVISION_MISMATCH
      'bind count 459: c000000d', // STATUS_INVALID_PARAMETER
      'bind count 400: c000000d',
      'bind size 8: c000000d',
      'bind 1.9: 00000000',
      `copied 396, past the end ${arch === 'x64' ? '0000000000001234' : '00001234'}`,
      'bind 1.33: 00000000, table shared',
    ]);
  });

  it('completing a request twice is a WDF_VIOLATION: the completed request\'s handle is no longer valid', () => {
    const r = stop(0);
    expect(r.outcome).toBe('bugcheck');
    expect(r.stop?.bugcheck).toMatchObject({ code: '0x0000010D', name: 'WDF_VIOLATION' });
    expect(r.stop?.bugcheck?.params[0]).toBe('0x5');
  });

  it('completing a request still marked cancelable, and one of the wrong type or NULL, stop with the verifier\'s parameter 1', () => {
    expect(stop(1).stop?.bugcheck?.params[0]).toBe('0x3');
    expect(stop(2).stop?.reason).toMatch(/WDFQUEUE handle, not WDFREQUEST/);
    expect(stop(2).stop?.bugcheck?.params[0]).toBe('0x5');
    expect(stop(3).stop?.bugcheck?.params[0]).toBe('0x4');
  });

  it('an Information larger than a buffered IOCTL\'s output buffer is WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH', () => {
    const r = stop(4);
    expect(r.stop?.bugcheck?.params.slice(0, 2)).toEqual(['0x6', '0x4']);
  });

  it('an Evt callback that returns at another IRQL is WDF_VIOLATION 0xE with both IRQLs', () => {
    expect(stop(6).stop?.bugcheck?.params.slice(0, 3)).toEqual(['0xE', '0x0', '0x2']);
  });

  it('a request the driver never completes is reported at unload; one marked cancelable is cancelled by CancelIo through EvtRequestCancel', () => {
    const kept = run(driver(), [op.open('KdmfVerifier'), op.ioctl(0x222014, '00', 4)], { overlapped: true }).report;
    expect(kept.outcome).toBe('completed');
    expect(kept.ops[1].status).toBe('0x00000103');
    expect(kept.unload.leaks).toEqual(expect.arrayContaining([{ kind: 'wdf-request', detail: expect.stringMatching(/^WDFREQUEST 0x[0-9A-F]+ \(IRP_MJ_DEVICE_CONTROL IRP 0x[0-9A-F]+\) owned by the driver and never completed$/) }]));
    const cancelled = run(driver(), [op.open('KdmfVerifier'), op.ioctl(0x22201c, '00', 4), { op: 'cancel' }], { overlapped: true }).report;
    expect(cancelled.outcome).toBe('completed');
    expect(cancelled.dbgPrint).toContain('cancel kept\n');
    expect(cancelled.unload.leaks.filter((l) => l.kind === 'wdf-request')).toEqual([]);
  });

  it('a read has no input buffer: WdfRequestRetrieveInputBuffer says STATUS_INVALID_DEVICE_REQUEST', () => {
    const r = run(driver(), [op.read(4)]).report;
    expect(r.dbgPrint).toContain('read input buffer: c0000010\n');
    expect(r.ops.find((o) => o.op === 'read')?.status).toBe('0xC0000010');
  });

  it('an entry kdemu does not implement stops the run naming it; the slot past the last entry is NULL, and calling it faults', () => {
    const r = stop(8);
    expect(r.outcome).toBe('unsupported-call');
    expect(r.stop?.export).toBe('wdf01000.sys!WdfChildListCreate');
    const past = stop(9);
    expect(['fault', 'bugcheck']).toContain(past.outcome);
    expect(past.stop?.reason).toMatch(/0x0\b|address 0x0|NULL|0x00000000/i);
  });
});

describe.each(ARCHES)('%s: automatic synchronization', (arch) => {
  it('a device scope inherited from the driver object presents queue callbacks under the device\'s spin lock (DISPATCH_LEVEL), or its wait lock with passive execution', () => {
    const spin = run(buildDriver('kmdf_sync', arch), [op.ioctl(0x222000)]).report;
    expect(spin.outcome).toBe('completed');
    expect(spin.dbgPrint).toEqual(['EvtIoDeviceControl at IRQL 2\n']);
    const passive = run(buildDriver('kmdf_sync', arch, { defines: { PASSIVE: true } }), [op.ioctl(0x222000)]).report;
    expect(passive.dbgPrint).toEqual(['EvtIoDeviceControl at IRQL 0\n']);
  });
});

it('the function table lists the 458 entries of KMDF 1.33, and at least 120 of them are implemented', () => {
  expect(WDF_FUNCTIONS).toHaveLength(458);
  expect(WDF_FUNCTIONS[116]).toBe('WdfDriverCreate');
  expect(WDF_FUNCTIONS[457]).toBe('WdfDeviceSetDeviceInterfaceStateEx');
  const implemented = EXPORTS.filter((e) => e.module === 'Wdf01000.sys');
  expect(implemented.every((e) => WDF_FUNCTIONS.includes(e.name))).toBe(true);
  expect(implemented.length).toBeGreaterThanOrEqual(120);
});

export type { Operation };
