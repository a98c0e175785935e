// Framework timers, DPCs and work items on virtual time (hal/wdf/timer.ts, dpc.ts, workitem.ts).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from '../kernel/harness.js';
import { requireEngines } from '../helpers.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => run(buildDriver('kmdf_timing', arch));
  let cached: ReturnType<typeof result> | undefined;
  const get = () => (cached ??= result());
  const line = (prefix: string) => get().report.dbgPrint.find((l) => l.startsWith(prefix + ' ')) ?? `(no ${prefix} line)`;

  it('runs DriverEntry to completion', () => {
    expect(get().report.outcome).toBe('completed');
    expect(get().report.driverEntry).toEqual({ status: '0x00000000' });
  });

  it('WdfTimerCreate needs a parent that leads to a device, and a passive timer may not be periodic', () => {
    expect(line('noparent')).toBe('noparent c0200212\n'); // STATUS_WDF_PARENT_NOT_SPECIFIED
    expect(line('driverparent')).toBe('driverparent c0000010\n'); // STATUS_INVALID_DEVICE_REQUEST
    expect(line('passiveperiodic')).toBe('passiveperiodic c000000d\n'); // STATUS_INVALID_PARAMETER
  });

  it('a one-shot timer fires once, 10 ms after WdfTimerStart, at DISPATCH_LEVEL', () => {
    expect(line('oneshot')).toBe('oneshot start=0 count=1 after=10 ms irql=2 parent=1\n');
  });

  it('WdfTimerStart and WdfTimerStop return whether the timer was still set', () => {
    expect(line('restart')).toBe('restart 0 1 stop=1 stopagain=0\n');
  });

  it('a 20 ms periodic timer fires 5 times in 105 ms, and not after WdfTimerStop(TRUE)', () => {
    expect(line('periodic')).toBe('periodic count=5 stop=1 after=5\n');
  });

  it('a passive-level timer calls EvtTimerFunc at PASSIVE_LEVEL', () => {
    expect(line('passive')).toBe('passive count=1 irql=0\n');
  });

  it('a DPC enqueued twice at DISPATCH_LEVEL: TRUE then FALSE, and it runs once when the IRQL drops', () => {
    expect(line('dpc')).toBe('dpc create=00000000 first=1 second=0 before=0 after=1 irql=2 kdpc=1 parent=1\n');
    expect(line('dpccancel')).toBe('dpccancel 1 count=1\n');
  });

  it('a work item queued twice runs once at PASSIVE_LEVEL on a worker thread, and Flush waits for it', () => {
    expect(line('work')).toBe('work create=00000000 before=0 after=1 irql=0 otherthread=1 waited=1 parent=1\n');
  });

  it("deleting a timer's parent stops the timer", () => {
    expect(line('parentdelete')).toBe('parentdelete create=00000000 before=3 after=3\n');
  });

  it('unloading deletes the device, which stops the timer left running: no timer leaks', () => {
    const { report } = get();
    expect(report.unload.called).toBe(true);
    expect(report.unload.leaks.filter((l) => l.kind === 'timer')).toEqual([]);
  });

  it.skipIf(!requireEngines('kmdf timing', 'wasm', 'unicorn'))('gives the same output and trace on the wasm and unicorn engines', () => {
    const a = run(buildDriver('kmdf_timing', arch), [], { engine: 'wasm' });
    const b = run(buildDriver('kmdf_timing', arch), [], { engine: 'unicorn' });
    expect(a.report.outcome).toBe('completed');
    expect(b.report.dbgPrint).toEqual(a.report.dbgPrint);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
  });
});
