// Interrupt objects (IoConnectInterrupt, IoDisconnectInterrupt, KeSynchronizeExecution, the interrupt spin lock) as a
// driver observes them on a machine where no device raises interrupts.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';
import { layouts } from '../../hal/layout/index.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const r = run(buildDriver('interrupt', arch));
    expect(r.report.outcome).toBe('completed');
    return r.report;
  };

  it('IoConnectInterrupt fails with STATUS_INVALID_PARAMETER and a NULL object for bad IRQLs, processors and vector sharing', () => {
    const lines = result().dbgPrint;
    expect(lines.slice(0, 3)).toEqual([
      'sync below irql: c000000d object 00000000\n',
      'no active processor: c000000d object 00000000\n',
      // HIGH_LEVEL is 15 on x64, 31 on x86 (where vector 0xf0 at IRQL 16 is accepted).
      `irql above HIGH_LEVEL on x64: ${arch === 'x64' ? 'c000000d' : '00000000'}\n`,
    ].map((l) => (arch === 'x64' ? l.replace('object 00000000', 'object 0000000000000000') : l)));
    expect(lines.slice(3, 8)).toEqual([
      // An InterruptObject (22) of Windows 10's sizeof(KINTERRUPT).
      `connect shared: 00000000 object set 1 type 22 size ${arch === 'x64' ? '120' : 'd0'}\n`,
      `share with another mode: c000000d object ${arch === 'x64' ? '0000000000000000' : '00000000'}\n`,
      'share with the same mode: 00000000\n',
      'connect exclusive: 00000000\n',
      'share an exclusive vector: c000000d\n',
    ]);
  });

  it('KeSynchronizeExecution runs the routine at the SynchronizeIrql holding the interrupt lock, returns its BOOLEAN and restores the IRQL', () => {
    expect(result().dbgPrint.slice(8, 14)).toEqual([
      'Sync: irql 6 context 7 lock held 0\n',
      'KeSynchronizeExecution: 1\n',
      'after: irql 0\n',
      // The second connection uses the driver's spin lock, which is held during the call.
      'Sync: irql 7 context 8 lock held 1\n',
      'KeSynchronizeExecution (driver\'s lock): 0\n',
      'after: irql 0 lock 0\n',
    ]);
  });

  it('KeAcquireInterruptSpinLock raises to the SynchronizeIrql and takes the lock; KeReleaseInterruptSpinLock undoes both', () => {
    expect(result().dbgPrint.slice(14, 16)).toEqual([
      'KeAcquireInterruptSpinLock: old 0 irql 7 lock 1\n',
      'KeReleaseInterruptSpinLock: irql 0 lock 0\n',
    ]);
  });

  it('IoConnectInterruptEx checks Version, the PDO and the processor mask, connects the fully specified forms and finds no line or message interrupts', () => {
    expect(result().dbgPrint.slice(17, 31)).toEqual([
      'Ex: device 00000000\n',
      'Ex bad version: c00000ef\n', // STATUS_INVALID_PARAMETER_1
      'Ex fully specified without a PDO: c000000d\n',
      'Ex fully specified, no processor: c00000f8\n', // STATUS_INVALID_PARAMETER_10
      'Ex fully specified: 00000000 object set 1\n',
      'Ex group 1: c000000d\n',
      'Ex group 0, vector taken: c000000d\n',
      'Ex group 0: 00000000 object set 1\n',
      'Sync: irql 7 context 7 lock held 0\n',
      'Ex synchronize: 1\n',
      'Ex line based without a PDO: c000000d\n',
      // No device here was assigned interrupts: STATUS_NOT_FOUND, the Version left as given.
      'Ex line based: c0000225\n',
      'Ex message based: c0000225 version 3\n',
      // IoDisconnectInterruptEx freed both vectors.
      'Ex reconnect: 00000000\n',
    ]);
  });

  it('KINTERRUPT has Windows 10\'s size and the connection\'s values at its offsets', () => {
    const L = layouts(arch).KINTERRUPT;
    expect(L.size).toBe(arch === 'x64' ? 0x120 : 0xd0);
    expect([L.off.ServiceContext, L.off.ActualLock, L.off.Vector, L.off.SynchronizeIrql, L.off.Mode]).toEqual(
      arch === 'x64' ? [0x30, 0x48, 0x58, 0x5d, 0x6c] : [0x18, 0x24, 0x2c, 0x31, 0x40],
    );
  });

  it('IoDisconnectInterrupt frees the vector; the ISR never runs; a connection left at unload is reported', () => {
    const report = result();
    expect(report.dbgPrint.slice(16, 17)).toEqual(['reconnect after disconnect: 00000000\n']);
    expect(report.dbgPrint.slice(31)).toEqual(['ISR calls 0\n', 'Unload: ISR calls 0\n']);
    const leaks = report.unload.leaks.filter((l) => l.kind === 'interrupt');
    expect(leaks).toHaveLength(1);
    expect(leaks[0].detail).toMatch(/^interrupt 0x[0-9a-f]+ \(vector 0x60, IRQL 6, ISR interrupt\.sys\+0x[0-9a-f]+\) still connected$/i);
  });
});
