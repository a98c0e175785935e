// Kernel-mode requests to a device a driver opened with ZwCreateFile: ZwDeviceIoControlFile for each transfer method,
// ZwFsControlFile, ZwReadFile and ZwWriteFile, as IRPs whose RequestorMode is KernelMode.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('kernel-mode file services');

describe.each(ARCHES)('%s', (arch) => describe.each(engines)('%s engine', (engine) => {
  const lines = () => {
    const r = run(buildDriver('zwdevice', arch), [], { engine });
    expect(r.report.outcome).toBe('completed');
    expect(r.report.unload.leaks).toEqual([]);
    return r.report.dbgPrint;
  };

  it('ZwDeviceIoControlFile sends IRP_MJ_DEVICE_CONTROL from kernel mode for buffered, direct and neither I/O', () => {
    expect(lines().slice(0, 7)).toEqual([
      'open 00000000\n',
      'dispatch major e mode 0 code 222000 in 4 out 8\n',
      'buffered 00000000 info 8 out 02 03 05 03 06\n',
      'dispatch major e mode 0 code 222006 in 4 out 64\n',
      'direct 00000000 info 64 out 5d 5d\n',
      'dispatch major e mode 0 code 22200b in 4 out 4\n',
      'neither 00000000 info 4 result 42\n',
    ]);
  });

  it('a request the driver fails at once leaves the IO_STATUS_BLOCK alone; ZwFsControlFile sends IRP_MJ_FILE_SYSTEM_CONTROL', () => {
    expect(lines().slice(7, 11)).toEqual([
      'dispatch major e mode 0 code 22200c in 4 out 0\n',
      'failed c0000010 iosb untouched 1\n',
      'dispatch major d mode 0 code 92400 in 4 out 2\n',
      'fsctl 00000000 info 2 out 02 03\n',
    ]);
  });

  it('ZwWriteFile and ZwReadFile reach the device; a ByteOffset is used, then the position moves on', () => {
    expect(lines().slice(11, 17)).toEqual([
      'write mode 0 offset 0 length 11\n',
      'write 00000000 info 11\n',
      'read mode 0 offset 3 length 6\n',
      'read 00000000 info 6 data kernel\n',
      'read mode 0 offset 9 length 2\n',
      'read on 00000000 info 2\n',
    ]);
  });

  it('an IOCTL needing write access on a read-only handle is STATUS_ACCESS_DENIED; a bad handle STATUS_INVALID_HANDLE', () => {
    expect(lines().slice(17)).toEqual(['write-access ioctl on read handle c0000022, bad handle c0000008\n']);
  });
}));
