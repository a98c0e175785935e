// Object reference counts: ObfReferenceObject, ObfDereferenceObject (fastcall on x86), ObDereferenceObject.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it('references on the driver object, the current process and a device return the new pointer count', () => {
    const { report, trace } = run(buildDriver('objref', arch));
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0xC0000001' });
    expect(report.dbgPrint).toEqual([
      // The system holds one reference on each live object; the driver's come on top.
      'driver: 2 3 2 1\n',
      'process: 2 1\n',
      // After IoDeleteDevice only the driver's reference is left; dropping it frees the device object.
      'device: 2 0\n',
    ]);
    const calls = events(trace, 'call').filter((e) => /!Obf?(Reference|Dereference)Object$/.test(e.export));
    expect(calls.map((e) => e.export.replace('ntoskrnl.exe!', ''))).toEqual([
      'ObfReferenceObject', 'ObfReferenceObject', 'ObfDereferenceObject', 'ObDereferenceObject',
      'ObfReferenceObject', 'ObfDereferenceObject', 'ObfReferenceObject', 'ObfDereferenceObject',
    ]);
    // The argument is fetched from ecx on x86 (fastcall), rcx on x64: always the object DriverEntry got.
    const driverObject = calls[0].args.Object;
    expect(calls.slice(0, 4).map((e) => e.args.Object)).toEqual([driverObject, driverObject, driverObject, driverObject]);
    // x86: the fastcall exports popped no stack arguments, the stdcall one popped its one (no callback warning).
    expect(events(trace, 'callback').filter((e) => e.note)).toEqual([]);
  });

  it('releasing a reference the driver never took bugchecks REFERENCE_BY_POINTER (object type, object)', () => {
    const { report, trace } = run(buildDriver('objref', arch, { defines: { OVER_DEREFERENCE: true } }));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x00000018');
    expect(report.stop?.bugcheck?.name).toBe('REFERENCE_BY_POINTER');
    const driverObject = events(trace, 'call').find((e) => e.export === 'ntoskrnl.exe!ObfReferenceObject')!.args.Object;
    expect(report.stop?.bugcheck?.params[1]).toBe(driverObject);
    expect(report.stop?.bugcheck?.params[0]).not.toBe('0x0'); // *IoDriverObjectType
    expect(report.stop?.module).toBe('objref.sys');
  });

  it('referencing memory that is no object stops the run naming the export', () => {
    const { report } = run(buildDriver('objref', arch, { defines: { NOT_AN_OBJECT: true } }));
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!ObfReferenceObject');
    expect(report.stop?.reason).toMatch(/is not an object kdemu created/);
  });
});
