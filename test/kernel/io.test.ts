// User requests through the I/O manager: opening names, exclusive devices, buffered and neither I/O, IOCTL buffers.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { cliJson, op, run } from './harness.js';

const IOCTL_KD_REVERSE = 0x222400;

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('io', arch);

  it('a second open of an exclusive device fails with STATUS_ACCESS_DENIED; a shared device opens twice', () => {
    const { report } = run(driver(), [op.open('KdIoBuf'), op.open('KdIoBuf'), op.open('KdIoNeither'), op.open('KdIoNeither')]);
    expect(report.outcome).toBe('completed');
    expect(report.devices).toEqual([
      // IoCreateDevice puts the newest device first; 0x40 DO_DEVICE_HAS_NAME, 0x8 DO_EXCLUSIVE, 0x4 DO_BUFFERED_IO.
      { name: '\\Device\\KdIoBuf', type: '0x22', flags: '0x4c' },
      { name: '\\Device\\KdIoNeither', type: '0x22', flags: '0x40' },
    ]);
    expect(report.ops).toEqual([
      { op: 'open', name: 'KdIoBuf', status: '0x00000000', win32Error: 0 },
      { op: 'open', name: 'KdIoBuf', status: '0xC0000022', win32Error: 5 },
      { op: 'open', name: 'KdIoNeither', status: '0x00000000', win32Error: 0 },
      { op: 'open', name: 'KdIoNeither', status: '0x00000000', win32Error: 0 },
    ]);
    // Every handle that opened was closed before unload.
    expect(report.unload).toEqual({ called: true, leaks: [] });
  });

  it('an exclusive device opens again once its handle is closed', () => {
    const { report } = run(driver(), [op.open('KdIoBuf'), op.close(), op.open('KdIoBuf')]);
    expect(report.ops.map((o) => [o.op, o.status])).toEqual([
      ['open', '0x00000000'],
      ['close', '0x00000000'],
      ['open', '0x00000000'],
    ]);
  });

  it('opening a name that does not exist fails with STATUS_OBJECT_NAME_NOT_FOUND (ERROR_FILE_NOT_FOUND)', () => {
    const { report } = run(driver(), [op.open('NoSuchDevice'), op.open('\\Device\\NoSuchDevice'), op.open('\\NoSuchDirectory\\KdIoBuf')]);
    expect(report.outcome).toBe('completed');
    expect(report.ops).toEqual([
      { op: 'open', name: 'NoSuchDevice', status: '0xC0000034', win32Error: 2 },
      { op: 'open', name: '\\Device\\NoSuchDevice', status: '0xC0000034', win32Error: 2 },
      // A missing directory is STATUS_OBJECT_PATH_NOT_FOUND (ERROR_PATH_NOT_FOUND).
      { op: 'open', name: '\\NoSuchDirectory\\KdIoBuf', status: '0xC000003A', win32Error: 3 },
    ]);
  });

  it('a METHOD_BUFFERED IOCTL round-trips input to output through the system buffer', () => {
    const { report } = run(driver(), [op.open('KdIoBuf'), op.ioctl(IOCTL_KD_REVERSE, '0102030405', 5)]);
    expect(report.ops[1]).toEqual({ op: 'ioctl', code: '0x222400', status: '0x00000000', win32Error: 0, information: 5, data: '0504030201' });
    expect(report.ops[1].note).toBeUndefined();
    expect(report.dbgPrint).toEqual(['reverse: input 5, output 5\n']);
  });

  it('an output buffer smaller than IoStatus.Information receives only its own length', () => {
    const { report } = run(driver(), [op.open('KdIoBuf'), op.ioctl(IOCTL_KD_REVERSE, '0102030405060708', 3)]);
    expect(report.outcome).toBe('completed');
    // lpBytesReturned is IoStatus.Information as the driver set it; only 3 bytes land in the caller's buffer.
    expect(report.ops[1]).toEqual({
      op: 'ioctl',
      code: '0x222400',
      status: '0x00000000',
      win32Error: 0,
      information: 8,
      data: '080706',
      note: 'the driver reported 8 bytes for a 3-byte buffer; 3 copied',
    });
    expect(report.dbgPrint).toEqual(['reverse: input 8, output 3\n']);
  });

  it('written bytes reach the driver, through the system buffer on a buffered device and the user buffer otherwise', () => {
    const { report } = run(driver(), [op.open('KdIoBuf'), op.write('deadbeef'), op.open('KdIoNeither'), op.write('cafe00')]);
    expect(report.ops.filter((o) => o.op === 'write')).toEqual([
      { op: 'write', length: 4, status: '0x00000000', win32Error: 0, information: 4 },
      { op: 'write', length: 3, status: '0x00000000', win32Error: 0, information: 3 },
    ]);
    expect(report.dbgPrint).toEqual(['write 4 on buffered from kernel address: de ad be ef\n', 'write 3 on neither from user address: ca fe 00\n']);
  });

  it('a read gets Irp->AssociatedIrp.SystemBuffer with DO_BUFFERED_IO and only Irp->UserBuffer without', () => {
    const { report } = run(driver(), [op.open('KdIoBuf'), op.read(4), op.open('KdIoNeither'), op.read(3)]);
    expect(report.ops.filter((o) => o.op === 'read')).toEqual([
      { op: 'read', length: 4, status: '0x00000000', win32Error: 0, information: 4, data: 'b0b1b2b3' },
      { op: 'read', length: 3, status: '0x00000000', win32Error: 0, information: 3, data: '404142' },
    ]);
    expect(report.dbgPrint).toEqual([
      'read 4 on buffered: SystemBuffer kernel address, UserBuffer user address\n',
      'read 3 on neither: SystemBuffer NULL, UserBuffer user address\n',
    ]);
  });

  it('kdemu run performs the operations in command-line order and exits 0 when requests fail', () => {
    const r = cliJson(['run', driver().path, '--open', 'KdIoBuf', '--open', 'KdIoBuf', '--open', 'Missing']);
    expect(r.status).toBe(0);
    expect(r.json.outcome).toBe('completed');
    expect(r.json.ops.map((o) => [o.name, o.status, o.win32Error])).toEqual([
      ['KdIoBuf', '0x00000000', 0],
      ['KdIoBuf', '0xC0000022', 5],
      ['Missing', '0xC0000034', 2],
    ]);
    expect(r.stderr).toBe('');
  });
});
