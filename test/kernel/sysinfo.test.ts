// ZwQuerySystemInformation: the machine's basics, time of day, loaded modules, debugger and code integrity state,
// each class with Windows' length rule.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const x64 = arch === 'x64';
  const result = () => run(buildDriver('sysinfo', arch)).report;
  const lines = () => result().dbgPrint.map((l) => l.trimEnd());
  const line = (prefix: string) => lines().filter((l) => l.startsWith(prefix));

  it('SystemBasicInformation wants its exact size and describes one processor, 4 GiB and the 15.625 ms clock', () => {
    expect(line('sizeof BASIC')).toEqual([x64 ? 'sizeof BASIC 64 MODULE 296 offset Modules 8' : 'sizeof BASIC 44 MODULE 284 offset Modules 4']);
    expect(line('basic')).toEqual([
      `basic, 4 bytes too many: c0000004 length ${x64 ? 64 : 44}`,
      x64
        ? 'basic: 00000000 length 64 resolution 156250 page 4096 pages 1..1310719 of 1048478 granularity 10000 user 0000000000010000..00007FFFFFFEFFFF affinity 0000000000000001 processors 1'
        : 'basic: 00000000 length 44 resolution 156250 page 4096 pages 1..786431 of 786334 granularity 10000 user 00010000..7FFEFFFF affinity 00000001 processors 1',
    ]);
  });

  it('SystemTimeOfDayInformation fills up to its size: boot time, the current time, a UTC clock', () => {
    expect(line('timeofday')).toEqual([
      'timeofday: 00000000 length 48 boot 1da3c457689c000 not before boot 1 not before now 1 bias 0 zone 0',
      'timeofday 8 bytes: 00000000 length 8 boot 1da3c457689c000 next untouched 1',
      'timeofday 1 byte too many: c0000004 length 48',
    ]);
  });

  it('SystemModuleInformation lists ntoskrnl.exe and the driver with bases and sizes, and reports the length it needs', () => {
    const need = x64 ? 8 + 2 * 296 : 4 + 2 * 284;
    expect(line('module')).toEqual([
      `modules, 4 bytes: c0000004 count 2 needs ${need}`,
      `modules: 00000000 count 2 length ${need}`,
      `module 0: \\SystemRoot\\system32\\ntoskrnl.exe file ntoskrnl.exe order 0/0 count 1 self 0 size ok 1 mapped ${x64 ? '0000000000000000' : '00000000'}`,
      `module 1: \\SystemRoot\\system32\\drivers\\sysinfo.sys file sysinfo.sys order 1/1 count 1 self 1 size ok 1 mapped ${x64 ? '0000000000000000' : '00000000'}`,
    ]);
    expect(line('DbgPrint in module 0')).toEqual(['DbgPrint in module 0: 1']);
  });

  it("SystemProcessInformation lists kdemu's live processes with their sessions, names and threads", () => {
    expect(line('sizeof process')).toEqual([x64 ? 'sizeof process 256 thread 80' : 'sizeof process 184 thread 64']);
    const all = lines();
    const from = all.indexOf('processes: 00000000');
    expect(all.slice(from - 1, from + 7)).toEqual([
      'processes, 4 bytes: c0000004 needs more 1',
      'processes: 00000000',
      'process 4 parent 0 session 0 threads 2 name [(null)] name inside 1 created at boot 1',
      '  thread 8 of 4 state 2 priority 8 worker 0', // Running: DriverEntry's
      '  thread 428 of 4 state 1 priority 8 worker 1', // the system thread just created: Ready
      'process 420 parent 1000 session 1 threads 1 name [client.exe] name inside 1 created at boot 1',
      '  thread 424 of 420 state 1 priority 8 worker 0',
      'PsGetProcessCreateTimeQuadPart(System) 1da3c457689c000',
    ]);
  });

  it('no kernel debugger, code integrity in test-signing mode, classes past any Windows one are invalid', () => {
    expect(lines().filter((l) => /^(kernel debugger|code integrity|class 0x100)/.test(l))).toEqual([
      'kernel debugger: 00000000 length 2 enabled 0 not present 1',
      'kernel debugger, 1 byte: c0000004 length 2',
      'code integrity: 00000000 length 8 options 3', // CODEINTEGRITY_OPTION_ENABLED | CODEINTEGRITY_OPTION_TESTSIGN
      'code integrity, Length 4: c0000004',
      'class 0x100: c0000003', // STATUS_INVALID_INFO_CLASS
    ]);
  });

  it('a class kdemu does not answer stops the run naming it', () => {
    const r = result();
    expect(r.outcome).toBe('unsupported-call');
    expect(r.stop?.reason).toMatch(/^ZwQuerySystemInformation class 1 \(0x1\), called from sysinfo\.sys\+0x[0-9a-f]+:/);
    expect(r.dbgPrint).not.toContain('not reached\n');
  });
});
