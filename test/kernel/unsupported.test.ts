// Calls to exports kdemu does not implement stop the run naming the export, never a silent "return 0".
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { cli, cliJson, events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('unsupported', arch);

  it('a call to IoReportResourceForDetection stops the run as unsupported-call, naming the export and the caller', () => {
    const { report, trace } = run(driver());
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!IoReportResourceForDetection');
    expect(report.stop?.module).toBe('unsupported.sys');
    expect(report.stop?.offset).toMatch(/^0x[0-9a-f]+$/);
    expect(report.stop?.reason).toContain('ntoskrnl.exe!IoReportResourceForDetection');
    expect(report.unsupportedCalls).toEqual(['ntoskrnl.exe!IoReportResourceForDetection']);
    // Nothing after the call ran: no made-up return value reached the driver.
    expect(report.dbgPrint).toEqual(['querying\n']);
    expect(report.driverEntry).toBeNull();
    expect(events(trace, 'stop')).toEqual([expect.objectContaining({ outcome: 'unsupported-call' })]);
  });

  it('the stop points at the instruction after the call in the driver', () => {
    const { report } = run(driver());
    const offset = Number.parseInt(report.stop!.offset!, 16);
    const base = BigInt(report.driver.imageBase);
    expect(BigInt(report.stop!.pc!)).toBe(base + BigInt(offset));
    // Inside the image's .text (mingw puts it at RVA 0x1000).
    expect(offset).toBeGreaterThan(0x1000);
    expect(offset).toBeLessThan(0x2000);
  });

  it('a pointer from MmGetSystemRoutineAddress to an export kdemu lacks stops the run the same way when called', () => {
    const { report } = run(buildDriver('unsupported', arch, { defines: { KD_VIA_POINTER: true } }));
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!IoReportResourceForDetection');
    expect(report.stop?.module).toBe('unsupported.sys');
    expect(report.unsupportedCalls).toEqual(['ntoskrnl.exe!IoReportResourceForDetection']);
    expect(report.dbgPrint).toEqual(['querying\n']);
  });

  it('kdemu run exits 1 on an unsupported call and kdemu info lists the export as missing', () => {
    const r = cliJson(['run', driver().path]);
    expect(r.status).toBe(1);
    expect(r.json.outcome).toBe('unsupported-call');
    expect(r.json.stop?.export).toBe('ntoskrnl.exe!IoReportResourceForDetection');
    expect(r.stderr).toBe('');
    const human = cli(['run', driver().path]);
    expect(human.status).toBe(1);
    expect(human.stdout).toContain('ntoskrnl.exe!IoReportResourceForDetection');
    const info = cliJson<{ missing: string[] }>(['info', driver().path]);
    expect(info.status).toBe(0);
    expect(info.json.missing).toEqual(['ntoskrnl.exe!IoReportResourceForDetection']);
  });
});

describe.each(ARCHES)('%s: data exports', (arch) => {
  it('reading a Windows data export kdemu does not implement stops the run naming it, not reading stub bytes', () => {
    const { report } = run(buildDriver('missingdata', arch));
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!HalDispatchTable');
    expect(report.stop?.module).toBe('missingdata.sys');
    expect(report.unsupportedCalls).toEqual(['ntoskrnl.exe!HalDispatchTable']);
    expect(report.dbgPrint).toEqual(['before\n']);
  });
});
