// The system as a driver sees it: RtlGetVersion, the current process per context, MmGetSystemRoutineAddress.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('system', arch);

  it('RtlGetVersion reports Windows 10.0.19045 and rejects a wrong dwOSVersionInfoSize', () => {
    const { report } = run(driver());
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint.slice(1, 4)).toEqual([
      'RtlGetVersion: 00000000 10.0.19045 platform 2\n',
      // VER_NT_WORKSTATION, no service pack.
      'RtlGetVersion ex: 00000000 10.0.19045 product type 1 service pack 0.0\n',
      // STATUS_INVALID_PARAMETER, nothing filled in.
      'RtlGetVersion bad size: c000000d major 0\n',
    ]);
  });

  it('PsGetCurrentProcessId is 4 (System) in DriverEntry and unload, and the caller\'s fixed pid in dispatch routines', () => {
    const first = run(driver(), [op.read(4)]).report;
    expect(first.outcome).toBe('completed');
    const where = (what: string) => first.dbgPrint.find((l) => l.startsWith(`${what}:`));
    expect(where('DriverEntry')).toBe('DriverEntry: pid 4 tid 8\n');
    expect(where('unload')).toBe('unload: pid 4 tid 8\n');
    const pid = /^create: pid (\d+) tid (\d+)\n$/.exec(where('create')!);
    expect(pid).not.toBeNull();
    const userPid = Number(pid![1]);
    expect(userPid).not.toBe(4);
    expect(userPid % 4).toBe(0); // process ids are handle-table values
    for (const what of ['read', 'close']) expect(where(what)).toBe(`${what}: pid ${userPid} tid ${pid![2]}\n`);
    // The read returned the pid to the caller.
    const data = Buffer.from(first.ops[1].data!, 'hex').readUInt32LE(0);
    expect(data).toBe(userPid);
    // Fixed: the same in every run.
    const second = run(driver(), [op.read(4)]).report;
    expect(second.dbgPrint).toEqual(first.dbgPrint);
  });

  it('MmGetSystemRoutineAddress(L"DbgPrint") returns a callable DbgPrint and an unknown name returns NULL', () => {
    const { report, trace } = run(driver());
    expect(report.dbgPrint.slice(4, 6)).toEqual([
      'DbgPrint through MmGetSystemRoutineAddress: 42 ok\n',
      'DbgPrint found 1, KdemuNoSuchRoutine is NULL\n',
    ]);
    const lookups = events(trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!MmGetSystemRoutineAddress');
    expect(lookups.map((e) => e.args.SystemRoutineName.replace(/^0x[0-9A-F]+ /, ''))).toEqual(['"DbgPrint"', '"KdemuNoSuchRoutine"']);
    expect(lookups[0].ret).not.toBe('0x0');
    expect(lookups[1].ret).toBe('0x0');
    // The pointer is the same routine the import table binds: the call through it is traced as DbgPrint.
    const viaPointer = events(trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!DbgPrint' && e.args.Format.includes('through MmGetSystemRoutineAddress'));
    expect(viaPointer).toHaveLength(1);
    expect(report.unsupportedCalls).toEqual([]);
  });
});
