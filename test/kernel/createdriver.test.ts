// IoCreateDriver: a second driver object, its initialization routine run at once, its devices and links its own.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

const IOCTL_KD_WHO = 0x222080;

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('createdriver', arch);

  it('IoCreateDriver runs the initialization routine at once on a new \\Driver\\ object and returns its status', () => {
    const { report } = run(driver());
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0x00000000' });
    expect(report.dbgPrint).toEqual([
      // ServiceKeyName is the driver name; RegistryPath is NULL; no image (DriverStart 0, DriverSize 0); DRVO_BUILTIN_DRIVER.
      'second: name \\Driver\\KdSecond, service key \\Driver\\KdSecond, registry path NULL\n',
      `second: start ${arch === 'x64' ? '0000000000000000' : '00000000'} size 0 flags 4 init is this routine, read slot set\n`,
      'IoCreateDriver(\\Driver\\KdSecond) = 00000000, inits 1\n',
      // The name is taken: STATUS_OBJECT_NAME_COLLISION, and the routine does not run.
      'IoCreateDriver(\\Driver\\KdSecond) again = c0000035, inits 1\n',
      // No name: \Driver\ and the tick count in 8 digits (0: kdemu's clock does not run), then a collision.
      'unnamed: name \\Driver\\00000000\n',
      'IoCreateDriver(NULL) = 00000000, inits 2\n',
      'IoCreateDriver(NULL) again = c0000035, inits 2\n',
      // A failing routine's status is returned and its driver object's name is removed.
      'IoCreateDriver(\\Driver\\KdFails) failing = c0000182, inits 3\n',
      'unnamed: name \\Driver\\KdFails\n',
      'IoCreateDriver(\\Driver\\KdFails) after the failure = 00000000, inits 4\n',
      'loaded driver \\Driver\\createdriver has no device\n',
    ]);
  });

  it('the device belongs to the new driver object: its dispatch routines answer, a NULL slot is the default routine', () => {
    const { report, trace } = run(driver(), [op.ioctl(IOCTL_KD_WHO, '', 64), op.write('00'), op.read(4)]);
    expect(report.outcome).toBe('completed');
    expect(report.devices).toEqual([{ name: '\\Device\\KdSecond', type: '0x22', flags: '0x44' }]);
    expect(report.symlinks).toEqual([{ link: '\\??\\KdSecond', target: '\\Device\\KdSecond' }]);
    const who = Buffer.from('\\Driver\\KdSecond', 'utf16le').toString('hex');
    expect(report.ops).toEqual([
      { op: 'open', name: 'KdSecond', status: '0x00000000', win32Error: 0 },
      { op: 'ioctl', code: '0x222080', status: '0x00000000', win32Error: 0, information: 32, data: who },
      // IRP_MJ_WRITE was set to NULL and IRP_MJ_READ never set: both go to IopInvalidDeviceRequest.
      { op: 'write', length: 1, status: '0xC0000010', win32Error: 1, information: 0 },
      { op: 'read', length: 4, status: '0xC0000010', win32Error: 1, information: 0, data: '' },
    ]);
    const routines = events(trace, 'callback').filter((e) => e.event === 'leave').map((e) => e.routine);
    expect(routines.filter((r) => r === 'DriverInit (IoCreateDriver)')).toHaveLength(4);
    // The loaded driver has no unload routine; what is left is the new driver's, and the report says whose.
    expect(report.unload).toEqual({
      called: false,
      leaks: [
        { kind: 'device', detail: '\\Device\\KdSecond', driver: '\\Driver\\KdSecond' },
        { kind: 'symlink', detail: '\\??\\KdSecond', target: '\\Device\\KdSecond', driver: '\\Driver\\KdSecond' },
      ],
    });
  });
});
