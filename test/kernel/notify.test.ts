// Process, thread and load-image notify routines and the synthetic processes that fire them
// (test/fixtures/drivers/notify.c; linked with /INTEGRITYCHECK, as PsSetCreateProcessNotifyRoutineEx requires).

import { describe, expect, it } from 'vitest';
import { ARCHES, buildClient, buildDriver, type Arch } from '../fixtures/build.js';
import { run } from './harness.js';

const notify = (arch: Arch, keep = false) => buildDriver('notify', arch, { linkFlags: ['-Wl,--forceinteg'], ...(keep ? { defines: { NOTIFY_KEEP: true } } : {}) });

describe.each(ARCHES)('%s', (arch) => {
  it('fires the process, thread and image routines for a spawned process, in order, and again for its end', () => {
    const { report } = run(notify(arch), [{ op: 'spawn', image: 'good.exe' }, { op: 'spawn', image: 'C:\\Tools\\bad.exe' }, { op: 'kill', pid: 428 }]);
    expect(report.outcome).toBe('completed');
    const base = arch === 'x64' ? '0000000140000000' : '00400000';
    expect(report.dbgPrint).toEqual([
      'register 00000000 00000000 00000000\n',
      'remove unknown c000007a\n',
      'cm 00000000 c01c0011\n',
      'process create 428 parent 420 image \\??\\C:\\Windows\\System32\\good.exe\n',
      'thread create 432 in 428\n',
      `image \\Device\\HarddiskVolume1\\Windows\\System32\\good.exe in 428 at ${base}\n`,
      'process create 436 parent 420 image \\??\\C:\\Tools\\bad.exe\n',
      'thread exit 432 in 428\n',
      'process exit 428 (current 428)\n',
    ]);
    // The refused process never started: its CreateProcess fails with the routine's status.
    expect(report.ops.map((o) => [o.op, o.status, o.pid])).toEqual([
      ['spawn', '0x00000000', 428],
      ['spawn', '0xC0000022', undefined],
      ['kill', '0x00000000', 428],
    ]);
    expect(report.processes.slice(2).map((p) => [p.pid, p.exitCode])).toEqual([[428, '0x00000001'], [436, '0xC0000022']]);
    expect(report.unload.leaks).toEqual([]);
  });

  it('reports the routines a driver leaves registered at unload', () => {
    const { report } = run(notify(arch, true));
    expect(report.unload.leaks.map((l) => l.kind)).toEqual(['callback', 'callback', 'callback', 'callback']);
    expect(report.unload.leaks[0].detail).toMatch(/^PsSetCreateProcessNotifyRoutineEx routine notify\.sys\+0x[0-9a-f]+ still registered$/);
  });

  it('refuses PsSetCreateProcessNotifyRoutineEx to an image without /INTEGRITYCHECK with STATUS_ACCESS_DENIED', () => {
    const d = buildDriver('notify', arch);
    const { report } = run(d);
    expect(report.dbgPrint[0]).toBe('register c0000022 00000000 00000000\n');
    expect(report.driverEntry?.status).toBe('0xC0000022');
  });
});

describe.each(ARCHES)('object callbacks (%s)', (arch) => {
  it('a pre-operation callback takes PROCESS_TERMINATE out of handles to other processes; TerminateProcess then fails', () => {
    const d = buildDriver('notify', arch, { linkFlags: ['-Wl,--forceinteg'], defines: { NOTIFY_OB: true } });
    const client = buildClient('obcb', arch);
    const { report } = run(d, [], { client: { path: client.path, bytes: client.bytes } });
    expect(report.outcome).toBe('completed');
    expect(report.client?.stdout.split('\r\n')).toEqual(['open 1', 'terminate 0 error 5', 'self 1', '']);
    const ctx = arch === 'x64' ? '0000000000000077' : '00000077';
    // CreateProcess's own two handles (process, then its thread: only the process one is seen), OpenProcess, then
    // OpenProcess of the program itself, which keeps every right.
    expect(report.dbgPrint.filter((l) => /^(pre|post|ob) /.test(l))).toEqual([
      'ob 00000000\n',
      `pre 428 001fffff kernel 0 context ${ctx}\n`, 'post 428 granted 001ffffe\n',
      `pre 428 001fffff kernel 0 context ${ctx}\n`, 'post 428 granted 001ffffe\n',
      `pre 420 001fffff kernel 0 context ${ctx}\n`, 'post 420 granted 001fffff\n',
    ]);
    expect(report.unload.leaks).toEqual([]);
  });
});
