// Device queues (KeInsert/KeRemove(ByKey)DeviceQueue) and the StartIo model (IoStartPacket, IoStartNextPacket(ByKey)).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const { report } = run(buildDriver('startio', arch));
    expect(report.outcome).toBe('completed');
    expect(report.unload).toEqual({ called: true, leaks: [] });
    return report.dbgPrint.map((l) => l.trimEnd());
  };

  it('an idle queue turns busy instead of queuing; entries come out in order or by key; an empty queue turns idle', () => {
    expect(result().slice(0, 7)).toEqual([
      `initialized: type 20 size ${arch === 'x64' ? 40 : 20} busy 0 empty 1`,
      'insert into idle: 0 busy 1 inserted 0',
      'insert by key 30 10 20: 1 1 1',
      // The first entry whose key is at least 15.
      'remove by key 15: item 3 inserted 0',
      'remove entry item 1: 1 again 0',
      'remove: item 2 busy 1',
      `remove from empty: ${arch === 'x64' ? '0000000000000000' : '00000000'} busy 0`,
    ]);
  });

  it("IoStartPacket calls StartIo at DISPATCH_LEVEL when the device is idle, queues otherwise, and runs a cancelled IRP's cancel routine", () => {
    expect(result().slice(7, 12)).toEqual([
      'device queue: type 20 busy 0', // IoCreateDevice initialized DEVICE_OBJECT.DeviceQueue
      'StartIo: irp 0 current 1 irql 2',
      'after packet 0: busy 1 irql 0',
      'cancel routine: irp 4 cancel 1 removed 1',
      'queued: current 0',
    ]);
  });

  it('IoStartNextPacket(ByKey) hands the next queued IRP to StartIo and leaves the device idle when none is left', () => {
    expect(result().slice(12)).toEqual([
      'StartIo: irp 3 current 1 irql 2', // by key: 20 is the first key at least 15
      'StartIo: irp 2 current 1 irql 2',
      'StartIo: irp 1 current 1 irql 2',
      'drained: busy 1 current 1',
      `idle: busy 0 current ${arch === 'x64' ? '0000000000000000' : '00000000'}`,
      'still idle: busy 0',
    ]);
  });
});
