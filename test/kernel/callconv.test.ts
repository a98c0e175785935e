// x86 calling conventions of driver callbacks: routines built without NTAPI (cdecl) are survived, and said so.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

const IOCTL_KD_SUM = 0x222040;

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('callconv', arch, { cdeclEntry: true });

  it('cdecl DriverEntry, dispatch and unload routines run to the right results', () => {
    const { report } = run(driver(), [op.read(6), op.ioctl(IOCTL_KD_SUM, '0102030405ff', 4)]);
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0x00000000' });
    expect(report.ops).toEqual([
      { op: 'open', name: 'KdCdecl', status: '0x00000000', win32Error: 0 },
      { op: 'read', length: 6, status: '0x00000000', win32Error: 0, information: 6, data: '5a5a5a5a5a5a' },
      { op: 'ioctl', code: '0x222040', status: '0x00000000', win32Error: 0, information: 4, data: '0e010000' },
    ]);
    expect(report.dbgPrint).toEqual([
      'loaded from \\Registry\\Machine\\System\\CurrentControlSet\\Services\\callconv\n',
      'read 6\n',
      'sum of 6 bytes = 270\n',
      // create, read, ioctl, cleanup is not set, close
      'unloaded after 4 requests\n',
    ]);
    expect(report.unload).toEqual({ called: true, leaks: [] });
  });

  it(arch === 'x86' ? 'each cdecl callback leaves a callback event noting the restored stack' : 'x64 callbacks need no stack repair', () => {
    const { trace } = run(driver(), [op.read(1), op.ioctl(IOCTL_KD_SUM, '01', 4)]);
    const leaves = events(trace, 'callback').filter((e) => e.event === 'leave');
    expect(leaves.map((e) => e.routine)).toEqual([
      'DriverEntry',
      'IRP_MJ_CREATE dispatch',
      'IRP_MJ_READ dispatch',
      'IRP_MJ_DEVICE_CONTROL dispatch',
      'IRP_MJ_CLEANUP dispatch',
      'IRP_MJ_CLOSE dispatch',
      'DriverUnload',
    ]);
    // IRP_MJ_CLEANUP goes to the I/O manager's own (stdcall) default routine.
    const driverRoutines = leaves.filter((e) => e.routine !== 'IRP_MJ_CLEANUP dispatch');
    if (arch === 'x86') {
      for (const e of driverRoutines) {
        const bytes = e.routine === 'DriverUnload' ? 4 : 8;
        expect(e.note).toBe(`${e.routine} ${e.target} left ${bytes} bytes of arguments on the stack (cdecl, not stdcall/NTAPI); kdemu restored the stack`);
        expect(e.target).toMatch(/^callconv\.sys\+0x[0-9a-f]+$/);
      }
    } else {
      for (const e of leaves) expect(e.note).toBeUndefined();
    }
    const cleanup = leaves.find((e) => e.routine === 'IRP_MJ_CLEANUP dispatch');
    expect(cleanup?.note).toBeUndefined();
  });
});
