// IRP completion rules: double completion bugchecks, a forgotten IRP is reported, unset slots fail the request.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

const IOCTL_KD_COMPLETE_TWICE = 0x222000;
const IOCTL_KD_FORGET = 0x222004;
const IOCTL_KD_OK = 0x222008;

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('irp', arch);

  it('IofCompleteRequest twice bugchecks MULTIPLE_IRP_COMPLETE_REQUESTS', () => {
    const { report, trace } = run(driver(), [op.ioctl(IOCTL_KD_COMPLETE_TWICE)]);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x00000044');
    expect(report.stop?.bugcheck?.name).toBe('MULTIPLE_IRP_COMPLETE_REQUESTS');
    // Located at the second call, in the driver's dispatch routine.
    expect(report.stop?.module).toBe('irp.sys');
    // The first parameter is the IRP: the one the I/O manager sent and saw completed once.
    const completed = events(trace, 'irp').filter((e) => e.event === 'completed' && e.major === 'IRP_MJ_DEVICE_CONTROL');
    expect(completed).toHaveLength(1);
    expect(report.stop?.bugcheck?.params[0]).toBe(completed[0].irp);
    // The driver got as far as the second call, not past it.
    expect(report.dbgPrint).toEqual(['completed once\n']);
    // Both calls are in the trace; the second one did not return.
    const sent = events(trace, 'irp').find((e) => e.event === 'sent' && e.major === 'IRP_MJ_DEVICE_CONTROL')!;
    const calls = events(trace, 'call').filter((e) => e.seq > sent.seq && /!Iof?CompleteRequest$/.test(e.export));
    expect(calls.map((e) => e.args.Irp)).toEqual([sent.irp, sent.irp]);
    expect(calls.map((e) => e.note)).toEqual([undefined, 'did not return: bugcheck']);
    expect(`irp.sys+${report.stop?.offset}`).toBe(calls[1].caller);
    const last = events(trace, 'stop');
    expect(last).toHaveLength(1);
    expect(last[0].outcome).toBe('bugcheck');
  });

  it('a dispatch routine returning STATUS_SUCCESS without completing is noted and its IRP listed as a leak', () => {
    const { report } = run(driver(), [op.ioctl(IOCTL_KD_FORGET), op.ioctl(IOCTL_KD_OK)]);
    expect(report.outcome).toBe('completed');
    const [open, forgot, ok] = report.ops;
    expect(open).toMatchObject({ op: 'open', name: 'KdIrp', status: '0x00000000', win32Error: 0 });
    expect(forgot).toMatchObject({ op: 'ioctl', code: '0x222004', status: '0x00000000', win32Error: 0, information: 0 });
    expect(forgot.note).toMatch(/IRP_MJ_DEVICE_CONTROL dispatch routine returned 0x00000000 without completing IRP 0x[0-9A-F]+/);
    // The next request on the same handle is unaffected.
    expect(ok).toMatchObject({ op: 'ioctl', code: '0x222008', status: '0x00000000', win32Error: 0 });
    expect(ok.note).toBeUndefined();
    expect(report.unload.called).toBe(true);
    const irpLeaks = report.unload.leaks.filter((l) => l.kind === 'irp');
    expect(irpLeaks).toHaveLength(1);
    expect(irpLeaks[0].detail).toMatch(/^IRP_MJ_DEVICE_CONTROL IRP 0x[0-9A-F]+ to \\Device\\KdIrp, never completed$/);
    expect(forgot.note).toContain(irpLeaks[0].detail.split(' ')[2]);
    // The driver cleaned up everything else.
    expect(report.unload.leaks.filter((l) => l.kind !== 'irp')).toEqual([]);
  });

  it('a major function the driver did not set fails with STATUS_INVALID_DEVICE_REQUEST', () => {
    const { report } = run(driver(), [op.read(8), op.write('0102')]);
    expect(report.outcome).toBe('completed');
    expect(report.ops.slice(1)).toEqual([
      { op: 'read', length: 8, status: '0xC0000010', win32Error: 1, information: 0, data: '' },
      { op: 'write', length: 2, status: '0xC0000010', win32Error: 1, information: 0 },
    ]);
    expect(report.unload.leaks).toEqual([]);
  });
});
