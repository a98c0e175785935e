// File objects: IRP_MJ_CLEANUP when the handle closes, IRP_MJ_CLOSE when the last reference to the object goes.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it('a file object a driver still references gets IRP_MJ_CLOSE only when the driver drops the reference', () => {
    const { report } = run(buildDriver('fileref', arch), [op.open('KdFileRef'), op.close(), op.open('KdFileRef'), op.ioctl(0x222000), op.close()]);
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toEqual([
      'create: holding the file\n',
      'cleanup held\n', // CloseHandle: cleanup now, close deferred
      'create\n',
      'releasing\n',
      'close held\n', // the driver's ObDereferenceObject was the last reference
      'released\n',
      'cleanup other\n',
      'close other\n',
    ]);
    expect(report.unload.leaks).toEqual([]);
  });

  it('a reference never dropped keeps the file object alive past unload and is reported', () => {
    const { report } = run(buildDriver('fileref', arch), [op.open('KdFileRef'), op.close()]);
    expect(report.dbgPrint).toEqual(['create: holding the file\n', 'cleanup held\n']);
    expect(report.unload.leaks).toEqual([{ kind: 'reference', detail: expect.stringMatching(/^1 reference to file object 0x[0-9A-F]+ \(\\Device\\KdFileRef\), never released$/) }]);
  });
});
