// Power IRPs (PoSetPowerState, PoRequestPowerIrp, PoCallDriver, PoStartNextPowerIrp) and PnP notifications on a
// legacy device, as a driver observes them.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const plain = () => {
    const r = run(buildDriver('kepower', arch));
    expect(r.report.outcome).toBe('completed');
    return r;
  };

  it('PoSetPowerState returns the previous device or system power state, unspecified (0) at first', () => {
    expect(plain().report.dbgPrint.slice(0, 3)).toEqual(['set D0: previous 0\n', 'set D3: previous 1\n', 'set S0: previous 0\n']);
  });

  it('PoRequestPowerIrp sends an IRP_MJ_POWER (STATUS_NOT_SUPPORTED until handled), calls the completion function and returns STATUS_PENDING', () => {
    const { report, trace } = plain();
    expect(report.dbgPrint.slice(3, 8)).toEqual([
      // IRP_MN_SET_POWER, DevicePowerState, D2 (3).
      'power irp: minor 2 type 1 state 3 status before c00000bb\n',
      'power complete: device 1 minor 2 state 3 context ctx status 00000000\n',
      'request set power: 00000103 irp 1\n',
      // The dispatch routine's PoSetPowerState recorded D2.
      'after request: previous 3\n',
      // IRP_MN_POWER_SEQUENCE cannot be requested: STATUS_INVALID_PARAMETER_2.
      'request power sequence: c00000f0\n',
    ]);
    const sent = events(trace, 'irp').filter((e) => e.event === 'sent' && e.major === 'IRP_MJ_POWER');
    expect(sent).toHaveLength(2);
    // The power manager's IRP is freed after the completion function: no pool left behind.
    expect(report.unload.leaks).toEqual([]);
  });

  it('PoCallDriver passes a driver-built power IRP down like IoCallDriver; PoStartNextPowerIrp leaves it alone', () => {
    const { report, trace } = plain();
    expect(report.dbgPrint.slice(8, 11)).toEqual(['power irp: minor 3 type 1 state 2 status before c00000bb\n', 'own irp done: 00000000\n', 'PoCallDriver: 00000000\n']);
    const names = events(trace, 'call').map((e) => e.export);
    expect(names).toContain('ntoskrnl.exe!PoCallDriver');
    expect(names.filter((n) => n === 'ntoskrnl.exe!PoStartNextPowerIrp')).toHaveLength(2);
  });

  it('IoRegisterPlugPlayNotification registers; with INCLUDE_EXISTING_INTERFACES no interface exists to report; both unregister calls succeed; a legacy stack has no target device', () => {
    expect(plain().report.dbgPrint.slice(11)).toEqual([
      'register interface notification: 00000000 notified 0\n',
      'register profile notification: 00000000\n',
      'unregister: 00000000 00000000\n',
      // A legacy stack does not answer IRP_MJ_PNP (the default dispatch routine): no target device.
      'register target device notification: c0000010 entry 0\n',
      // PoRegisterSystemState: a new handle, then the same one with new flags.
      'system state: handle 1 same 1\n',
    ]);
  });

  it('a target-device registration asks the stack for its target device; the PDO it names has no device node: STATUS_NO_SUCH_DEVICE, its reference and the relations released', () => {
    const { report, trace } = run(buildDriver('kepower', arch, { defines: { PNP_RELATIONS: true } }));
    expect(report.outcome).toBe('completed');
    const i = report.dbgPrint.indexOf('pnp irp: minor 7 type 4 status before c00000bb\n');
    expect(i).toBeGreaterThan(0);
    expect(report.dbgPrint[i + 1]).toBe('register target device notification: c000000e entry 0\n');
    expect(events(trace, 'irp').filter((e) => e.event === 'sent' && e.major === 'IRP_MJ_PNP')).toHaveLength(1);
    expect(report.unload.leaks).toEqual([]);
  });

  it('notifications and system-busy registrations left at unload are callback leaks naming the routine and the interface class', () => {
    const { report } = run(buildDriver('kepower', arch, { defines: { LEAK_PNP: true } }));
    expect(report.outcome).toBe('completed');
    const leaks = report.unload.leaks.map((l) => `${l.kind}: ${l.detail}`);
    expect(leaks).toHaveLength(3);
    expect(leaks[0]).toMatch(/^callback: PnP device interface change notification 0x[0-9A-F]+ \(kepower\.sys\+0x[0-9a-f]+ for interface class \{6a1b2c3d-1111-2222-3344-5566778899aa\}\) never unregistered$/);
    expect(leaks[1]).toMatch(/^callback: PnP hardware profile change notification 0x[0-9A-F]+ \(kepower\.sys\+0x[0-9a-f]+\) never unregistered$/);
    expect(leaks[2]).toMatch(/^callback: PoRegisterSystemState registration 0x[0-9A-F]+ \(flags 0x80000002\) never unregistered$/);
  });

  it('IoGetDeviceProperty on a legacy device object (not a PDO) bugchecks with PNP_DETECTED_FATAL_ERROR (invalid PDO)', () => {
    const { report } = run(buildDriver('kepower', arch, { defines: { DEVICE_PROPERTY: true } }));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x000000CA');
    expect(report.stop?.bugcheck?.params[0]).toBe('0x2');
    expect(report.stop?.reason).toMatch(/^IoGetDeviceProperty\(0x[0-9A-F]+\) from kepower\.sys\+0x[0-9a-f]+: device \\Device\\KdemuPower is a legacy device object, not a PDO/);
  });
  it('IoGetDevicePropertyData on a legacy device object bugchecks the same way, naming the device and its driver object', () => {
    const { report } = run(buildDriver('kepower', arch, { defines: { DEVICE_PROPERTY_DATA: true } }));
    expect(report.outcome).toBe('bugcheck');
    const b = report.stop?.bugcheck;
    expect([b?.code, b?.params[0], b?.params[3]]).toEqual(['0x000000CA', '0x2', '0x0']);
    expect(report.stop?.reason).toMatch(/^IoGetDevicePropertyData\(/);
  });
});
