// The library API (loadDriver, Driver, Handle) and the kdemu/vitest matchers, through the package's own name.

import { afterEach, describe, expect, it } from 'vitest';
import { DriverStoppedError, InputError, hex, loadDriver, loadDriverSync, traceText, type Driver } from 'kdemu';
import 'kdemu/vitest';
import { buildDriver } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';

const ADD = 0x222000;
const open: Driver[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

async function ioctlDriver(arch: 'x86' | 'x64' = 'x64'): Promise<Driver> {
  const d = await loadDriver(sample(arch, 'ioctl.sys'));
  open.push(d);
  return d;
}

/** The message a failing assertion throws. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('results', () => {
  it('an IOCTL result carries the status by number and name, the Win32 error, information and data', async () => {
    const d = await ioctlDriver();
    expect(d.driverEntryStatus).toBe(0);
    expect(d.driverEntryStatusName).toBe('STATUS_SUCCESS');
    expect(d.devices()).toEqual(['\\Device\\KdIoctl']);
    const h = d.open('KdIoctl');
    expect(h.ok).toBe(true);
    expect(h).toComplete();
    const r = h.ioctl(ADD, [2, 0, 0, 0, 3, 0, 0, 0], 4);
    expect(r).toMatchObject({ op: 'ioctl 0x222000', status: 0, statusName: 'STATUS_SUCCESS', win32Error: 0, information: 4, pending: false });
    expect([...r.data]).toEqual([5, 0, 0, 0]);
    expect(r).toComplete({ status: 0, information: 4, data: '05000000' });
    expect(r).toComplete({ status: 'STATUS_SUCCESS' });
    expect(r).not.toFailWith();
  });

  it('failures match by NT status name or number and by Win32 error name or code', async () => {
    const d = await ioctlDriver();
    const h = d.open();
    const unknown = h.ioctl(0x222ffc);
    expect(unknown.statusName).toBe('STATUS_INVALID_DEVICE_REQUEST');
    expect(unknown.win32ErrorName).toBe('ERROR_INVALID_FUNCTION');
    for (const want of ['INVALID_DEVICE_REQUEST', 'STATUS_INVALID_DEVICE_REQUEST', 0xc0000010, 'ERROR_INVALID_FUNCTION', 1]) expect(unknown).toFailWith(want);
    expect(unknown).not.toFailWith('ACCESS_DENIED');
    expect(unknown).not.toComplete();
    const small = h.ioctl(ADD, hex('0200000003000000'), 2);
    expect(small).toFailWith('BUFFER_TOO_SMALL');
    expect(small).toFailWith(122);
    expect(small).toFailWith('ERROR_INSUFFICIENT_BUFFER');
    expect(h.close()).toComplete();
    expect(d.unload()).toHaveNoLeaks();
  });

  it('a failed open is a handle whose status says why; its requests fail as on an invalid handle', async () => {
    const d = await ioctlDriver();
    const h = d.open('NoSuchDevice');
    expect(h.ok).toBe(false);
    expect(h).toFailWith('OBJECT_NAME_NOT_FOUND');
    expect(h).toFailWith('ERROR_FILE_NOT_FOUND');
    expect(h.ioctl(ADD)).toFailWith('INVALID_HANDLE');
  });

  it('failure messages say what was expected and what came back', async () => {
    const d = await ioctlDriver();
    const h = d.open('KdIoctl');
    const r = h.ioctl(ADD, hex('0200000003000000'), 4);
    const m = failure(() => expect(r).toComplete({ status: 'SUCCESS', data: hex('06000000') }));
    expect(m).toContain('expected ioctl 0x222000 to complete with status STATUS_SUCCESS, data 06000000');
    expect(m).toContain('data is 05000000, expected 06000000');
    expect(m).toContain('got: STATUS_SUCCESS (0x00000000), information 4, data 05000000');
    const f = failure(() => expect(h.ioctl(0x222ffc)).toComplete());
    expect(f).toContain('status is STATUS_INVALID_DEVICE_REQUEST (0xC0000010), not a success');
    expect(f).toContain('win32 error 1 ERROR_INVALID_FUNCTION');
    expect(failure(() => expect(r).toFailWith('INVALID_PARAMETER'))).toContain('expected ioctl 0x222000 to fail with STATUS_INVALID_PARAMETER (0xC000000D)');
    expect(() => expect(r).toComplete({ status: 'NO_SUCH_STATUS_NAME' })).toThrow(/unknown NT status name/);
    expect(() => expect(42).toComplete()).toThrow(/expects the result of an operation/);
  });

  it('hex() reads hex text and rejects what is not', () => {
    expect([...hex('02 00:ff')]).toEqual([2, 0, 255]);
    expect([...hex('0x0A0b')]).toEqual([10, 11]);
    expect(() => hex('123')).toThrow(/not an even number of hex digits/);
    expect(() => hex('zz')).toThrow(/not an even number of hex digits/);
  });

  it.each(enginesHere('library API'))('runs on the %s engine', async (engine) => {
    const d = await loadDriver(sample('x64', 'ioctl.sys'), { engine });
    open.push(d);
    expect(d.session.engineName).toBe(engine);
    expect(d.open('KdIoctl').ioctl(ADD, hex('0200000003000000'), 4)).toComplete({ data: '05000000' });
  });

  it('registry: .reg text is in the emulated registry before DriverEntry', async () => {
    const path = buildDriver('registry', 'x64').path;
    const before = await loadDriver(path);
    open.push(before);
    expect(before.dbgPrint()).toContain('missing key: c0000034\n');
    const d = await loadDriver(path, { registry: 'Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\NoSuchVendor\\Parameters]\n"X"=dword:00000001\n' });
    open.push(d);
    expect(d.dbgPrint()).toContain('missing key: 00000000\n');
  });

  it('loadDriver checks the architecture; loadDriverSync does the same without a promise', async () => {
    await expect(loadDriver(sample('x64', 'ioctl.sys'), { arch: 'x86' })).rejects.toBeInstanceOf(InputError);
    const d = loadDriverSync(sample('x86', 'ioctl.sys'), { arch: 'x86' });
    open.push(d);
    expect(d.open('KdIoctl').ioctl(ADD, hex('0200000003000000'), 4)).toComplete({ data: '05000000' });
  });
});

describe('trace', () => {
  it('toHaveCalled finds a call by export and arguments (strings, numbers, booleans, patterns, asymmetric matchers)', async () => {
    const d = await ioctlDriver();
    expect(d).toHaveCalled('IoCreateDevice');
    expect(d.trace()).toHaveCalled('ntoskrnl.exe!IoCreateDevice', { DeviceName: '\\Device\\KdIoctl', DeviceType: 34, Exclusive: false });
    expect(d.trace()).toHaveCalled('IoCreateSymbolicLink', { SymbolicLinkName: /KdIoctl/, DeviceName: expect.stringContaining('Device') });
    expect(d.trace()).not.toHaveCalled('IoCreateDevice', { DeviceType: 7 });
    expect(d.trace()).not.toHaveCalled('ExAllocatePoolWithTag');
    const m = failure(() => expect(d.trace()).toHaveCalled('IoCreateDevice', { DeviceType: 7 }));
    expect(m).toMatch(/none of its 1 call\(s\) has those arguments:\n {2}#\d+ ntoskrnl\.exe!IoCreateDevice\(DriverObject=0x/);
    expect(failure(() => expect(d).toHaveCalled('ExAllocatePoolWithTag'))).toContain('the trace has none; it calls: ntoskrnl.exe!RtlInitUnicodeString, ntoskrnl.exe!IoCreateDevice, ntoskrnl.exe!IoCreateSymbolicLink');
  });

  it('traceText names pointers in order of first appearance, keeps statuses and module offsets, on x86 too', async () => {
    const d = await ioctlDriver('x86');
    const h = d.open('KdIoctl');
    h.ioctl(0x222ffc);
    const text = traceText(d.trace());
    expect(text).toMatch(/^#0 callback event=enter routine=DriverEntry target=ioctl\.sys\+0x[0-9a-f]+$/m);
    expect(text).toMatch(/#\d+ call ntoskrnl\.exe!RtlInitUnicodeString\(DestinationString=<ptr1>, SourceString=ioctl\.sys\+0x[0-9a-f]+ "/);
    expect(text).toMatch(/IoCreateDevice\(DriverObject=<ptr2>, .*DeviceObject=<ptr3>\) = 0x00000000 from ioctl\.sys\+0x/);
    // A 32-bit status is not an address, even where pointers are 32-bit too.
    expect(text).toMatch(/routine="IRP_MJ_DEVICE_CONTROL dispatch" target=ioctl\.sys\+0x[0-9a-f]+ ret=0xC0000010/);
    expect(new Set(text.match(/0x[0-9A-F]{8}/g))).toEqual(new Set(['0x00000000', '0xC0000010']));
    // The same run gives the same text; a trace without the machine's knowledge still reads.
    expect(traceText(d.trace())).toBe(text);
    expect(traceText(JSON.parse(JSON.stringify(d.trace())))).toMatch(/DriverObject=<ptr\d+>/);
  });

  it('toMatchTraceSnapshot stores the normalised trace', async () => {
    const d = await ioctlDriver();
    d.open('KdIoctl').ioctl(ADD, hex('0200000003000000'), 4);
    d.unload();
    expect(d).toMatchTraceSnapshot('driver itself');
  });
});

describe('leaks and stops', () => {
  it('toHaveNoLeaks lists what the driver left behind; pending requests are visible in their result', async () => {
    const leaky = buildDriver('leaky', 'x64');
    const d = await loadDriver(leaky.path, { overlapped: true });
    open.push(d);
    const r = d.open('KdLeaky').read(4);
    expect(r.pending).toBe(true);
    expect(r).toFailWith('ERROR_IO_PENDING');
    expect(r).toComplete({ status: 'PENDING' });
    expect(r.completion).toBeNull();
    const u = d.unload();
    expect(u.called).toBe(true);
    expect(u).not.toHaveNoLeaks();
    const m = failure(() => expect(u).toHaveNoLeaks());
    expect(m).toMatch(/^expected an unload without leaks, but the driver left \d+ behind:\n- /);
    expect(m).toMatch(/\n- timer: timer 0x[0-9A-F]+ still set/);
    expect(m).toMatch(/\n- irp: IRP_MJ_READ IRP 0x[0-9A-F]+ to \\Device\\KdLeaky/);
    expect(() => d.open('KdLeaky')).toThrow(/the driver was unloaded/);
  });

  it('a bugcheck during an operation is that operation\'s result; the driver keeps it and refuses more work', async () => {
    const leaky = buildDriver('leaky', 'x64', { defines: { WAIT_AT_DISPATCH: true } });
    const d = await loadDriver(leaky.path);
    open.push(d);
    const h = d.open('KdLeaky');
    const r = h.ioctl(0x222000);
    expect(r.stopped?.during).toBe('ioctl 0x222000');
    expect(r.statusName).toBe('STOPPED');
    expect(r).toHaveBugchecked();
    expect(r).toHaveBugchecked('IRQL_NOT_LESS_OR_EQUAL');
    expect(r).toHaveBugchecked(0x0a);
    expect(r).not.toHaveBugchecked('0xD1');
    expect(d).toHaveBugchecked('IRQL_NOT_LESS_OR_EQUAL');
    expect(failure(() => expect(r).toComplete())).toMatch(/the machine stopped: bugcheck during ioctl 0x222000 \(bugcheck 0x0000000A IRQL_NOT_LESS_OR_EQUAL\)/);
    expect(r).not.toFailWith();
    expect(() => h.read(1)).toThrow(DriverStoppedError);
    expect(() => h.read(1)).toThrow(/cannot read 1: the machine stopped during ioctl 0x222000/);
    const u = d.unload();
    expect(u.called).toBe(false);
    expect(u).toHaveBugchecked();
    expect(failure(() => expect(u).toHaveNoLeaks())).toMatch(/the machine stopped before it could unload: bugcheck during ioctl/);
    expect(d.trace().at(-1)).toMatchObject({ type: 'stop', outcome: 'bugcheck' });
  });

  it('a bugcheck in DriverEntry still gives a Driver: its stop, DbgPrint and trace', async () => {
    const d = await loadDriver(buildDriver('bugcheck', 'x64').path);
    open.push(d);
    expect(d.loaded).toBe(false);
    expect(Number.isNaN(d.driverEntryStatus)).toBe(true);
    expect(d.driverEntryStatusName).toBe('STOPPED');
    expect(d).toHaveBugchecked(0xdeadbeef);
    expect(d.stop).toMatchObject({ outcome: 'bugcheck', during: 'DriverEntry', bugcheck: { code: 0xdeadbeef, params: [1n, 2n, 3n, 4n] } });
    expect(d.dbgPrint()).toEqual(['about to bugcheck\n']);
    expect(d).toHaveCalled('KeBugCheckEx');
    expect(() => d.open('X')).toThrow(/cannot open X: the machine stopped during DriverEntry/);
    const ok = await ioctlDriver();
    expect(failure(() => expect(ok).toHaveBugchecked())).toBe('expected the driver to stop with a bugcheck, but the machine is still running');
  });
});
