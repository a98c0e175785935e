// Driver object extensions, device timers (IoInitializeTimer, IoStartTimer, IoStopTimer), the configuration
// record, device interfaces of a legacy device, and KeSave/RestoreFloatingPointState, as a driver observes them.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = (waitMs = 5000) => {
    const r = run(buildDriver('iomore', arch), waitMs > 0 ? [{ op: 'wait', ms: waitMs }] : []);
    expect(r.report.outcome).toBe('completed');
    return { ...r, lines: r.report.dbgPrint.map((l) => l.trimEnd()) };
  };

  it('IoAllocateDriverObjectExtension gives zeroed memory per key, refuses a second one for a key, and IoGetDriverObjectExtension finds it', () => {
    expect(result(0).lines.slice(0, 4)).toEqual([
      'extension: 00000000 allocated 1 zeroed 1',
      'same key: c0000035 null 1',
      'other key: 00000000 distinct 1',
      'get: first 1 second 1 unknown null 1',
    ]);
  });

  it('IoGetConfigurationInformation describes one disk behind one adapter and nothing else', () => {
    expect(result(0).lines[4]).toBe('config: same 1 disks 1 floppies 0 cdroms 0 tapes 0 scsi 1 serial 0 parallel 0 changers 0 at 0 0 version 40');
  });

  it('a legacy device gets no device interface, and the interface list is empty', () => {
    expect(result(0).lines.slice(5, 7)).toEqual(['register interface: c0000010 link 0', 'interfaces: 00000000 empty 1']);
  });

  it('KeSaveFloatingPointState and KeRestoreFloatingPointState put the control state back', () => {
    const lines = result(0).lines;
    // x86 hands the caller a freshly initialised x87 unit; x64 leaves the state as it was.
    expect(lines[7]).toBe(arch === 'x86' ? 'fp save: 00000000 control word after 037f saved 027f' : 'fp save: 00000000 control word after 027f');
    expect(lines[8]).toBe('fp restore: 00000000 control word 027f mxcsr 7f80');
  });

  it('IoInitializeTimer sets DEVICE_OBJECT.Timer once; a second call replaces the routine and context on the same timer', () => {
    expect(result(0).lines.slice(9, 12)).toEqual(['timer before: 1', 'init timer: 00000000 set 1', 'init again: 00000000 same 1']);
  });

  it('a started device timer calls its routine once per second of virtual time at DISPATCH_LEVEL until stopped; IoDeleteDevice removes it', () => {
    const { lines, report, trace } = result(5000);
    const ticks = lines.filter((l) => l.startsWith('tick'));
    expect(ticks).toEqual(['tick 1 irql 2 device 1 context 1', 'tick 2 irql 2 device 1 context 1', 'tick 3 irql 2 device 1 context 1']);
    expect(lines.filter((l) => l.startsWith('other tick'))).toEqual([1, 2, 3, 4, 5].map((n) => `other tick ${n} device 1`));
    expect(lines.at(-1)).toBe('unload: ticks 3 other 5');
    // Each call shows in the trace as a callback; the device timers leave nothing behind once their devices go.
    expect(events(trace, 'callback').filter((e) => e.event === 'enter' && e.routine.startsWith('IoTimer routine')).length).toBe(8);
    expect(report.unload).toEqual({ called: true, leaks: [] });
  });

  it('a device left with its timer started is reported with the timer at unload', () => {
    const { report } = run(buildDriver('iomore', arch, { defines: { KEEP_TIMER: true } }), [{ op: 'wait', ms: 1500 }]);
    expect(report.outcome).toBe('completed');
    expect(report.unload.leaks.map((l) => l.kind).sort()).toEqual(['device', 'timer']);
    expect(report.unload.leaks.find((l) => l.kind === 'timer')?.detail).toMatch(/^IoTimer 0x[0-9A-F]+ of device 0x[0-9A-F]+ still started \(routine iomore\.sys\+0x[0-9a-f]+\)$/);
  });

  it('prints the same on the wasm and unicorn engines', () => {
    const ops = [{ op: 'wait', ms: 3500 }] as const;
    const wasm = run(buildDriver('iomore', arch), [...ops], { engine: 'wasm' }).report;
    const unicorn = run(buildDriver('iomore', arch), [...ops], { engine: 'unicorn' }).report;
    expect(wasm.outcome).toBe('completed');
    expect(unicorn.dbgPrint).toEqual(wasm.dbgPrint);
    expect(unicorn.unload.leaks).toEqual(wasm.unload.leaks);
  });

  it('without a wait no second passes and no timer routine runs', () => {
    expect(result(0).lines.some((l) => l.includes('tick '))).toBe(false);
  });
});
