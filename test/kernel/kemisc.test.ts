// Callback objects, kernel queues, bug-check callbacks and FsRtl's name helpers, as a driver observes them.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const plain = () => {
    const r = run(buildDriver('kemisc', arch));
    expect(r.report.outcome).toBe('completed');
    return r;
  };
  const lines = () => plain().report.dbgPrint;
  const section = (from: string, to: string) => {
    const l = lines();
    const a = l.findIndex((x) => x.startsWith(from));
    const b = l.findIndex((x) => x.startsWith(to));
    return l.slice(a, b < 0 ? undefined : b);
  };

  it('FsRtlIsNameInExpression applies *, ?, the DOS wildcards and IgnoreCase (upcasing the name, through a table when given)', () => {
    expect(section('match', 'dbcs')).toEqual([
      'match [*.SYS] [kdemu.sys] 1: 1\n',
      'match [*.SYS] [kdemu.sys] 0: 0\n',
      'match [K?EMU.*] [kdemu.sys] 1: 1\n',
      'match [<.SYS] [a.b.sys] 1: 1\n',
      'match [A>>.TXT] [a.txt] 1: 1\n',
      'match [DATA"] [data] 1: 1\n',
      // An empty name matches only an empty expression.
      'match [*] [] 0: 0\n',
      'match [] [] 0: 1\n',
      'upcase table: 1\n',
    ]);
  });

  it('FsRtlIsDbcsInExpression matches ANSI names case-sensitively; FsRtlDoesNameContainWildCards looks at the last component only', () => {
    expect(section('dbcs', 'fat')).toEqual([
      'dbcs [*.sys] [kdemu.sys]: 1\n',
      'dbcs [*.SYS] [kdemu.sys]: 0\n',
      'dbcs [k>>>>.<] [kdemu.sys]: 1\n',
      'wild [\\dir\\file?.txt]: 1\n',
      'wild [\\di*r\\file.txt]: 0\n',
      'wild [plain]: 0\n',
    ]);
  });

  it('FsRtlIsFatDbcsLegal applies the 8.3 rules, wildcards, paths and a leading backslash only as permitted', () => {
    expect(section('fat', 'dissect')).toEqual([
      'fat [KDEMU.SYS] 000: 1\n',
      'fat [KDEMUDRIVER.SYS] 000: 0\n',
      'fat [*.SYS] 000: 0\n',
      'fat [*.SYS] 100: 1\n',
      'fat [\\DIR\\A.B] 011: 1\n',
      'fat [\\DIR\\A.B] 010: 0\n',
    ]);
  });

  it('FsRtlDissectName splits off the first component in place; the status filters reject only the bug-indicating exceptions', () => {
    expect(section('dissect', 'open missing')).toEqual([
      'dissect [\\Users\\Admin\\file]: [Users] 10 [Admin\\file] 20 inside 1\n',
      'dissect [name]: [name] 8 [(null)] 0 inside 1\n',
      'dissect [\\]: [] 0 [(null)] 0 inside 0\n',
      'dissect []: [(null)] 0 [(null)] 0 inside 1\n',
      'expected: 0 0 1\n',
      // STATUS_ILLEGAL_INSTRUCTION becomes the generic status; STATUS_END_OF_FILE stays.
      'normalize: c00000e9 c0000011\n',
    ]);
  });

  it('ExCreateCallback opens named callback objects case-insensitively, creates them on request, and the last dereference deletes one', () => {
    expect(section('open missing', 'open PowerState')).toEqual([
      'open missing: c0000034\n',
      'create: 00000000 object 1\n',
      'open existing: 00000000 same 1\n',
      // AllowMultipleCallbacks FALSE: the second registration is refused.
      'register single: 1 second 0\n',
      'callback one: 1 2\n',
      'after unregister: 0 calls\n',
      'reopen after release: c0000034\n',
      'create in missing directory: c000003a\n',
    ]);
  });

  it('the predefined \\Callback\\PowerState takes several registrations, called in order with their contexts', () => {
    expect(section('open PowerState', 'queue')).toEqual([
      'open PowerState: 00000000\n',
      'register multiple: 1 1\n',
      'callback first: 5 6\n',
      'callback second: 5 6\n',
    ]);
  });

  it('a KQUEUE has its real layout and keeps FIFO order with KeInsertHeadQueue in front; an empty poll gives STATUS_TIMEOUT', () => {
    expect(section('queue', 'insert with a waiter')).toEqual([
      `queue: type 4 size ${arch === 'x64' ? 16 : 10} max 1 state 0\n`,
      'inserts: 0 1 2 state 3\n',
      'remove: 2 count 1\n',
      'remove: 0 1 then 102 state 0\n',
    ]);
  });

  it('KeRemoveQueue blocks until an insert hands it the entry (the queue state stays 0), and times out through the scheduler', () => {
    expect(section('insert with a waiter', 'remove ex')).toEqual(['insert with a waiter: 0 state 0\n', 'consumer got 3\n', 'consumer timeout: 102\n']);
    const { trace } = plain();
    const removes = events(trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!KeRemoveQueue');
    expect(removes.length).toBe(7);
  });

  it('KeRemoveQueueEx takes up to Count queued entries at once; an empty poll gives one element, STATUS_TIMEOUT', () => {
    expect(section('remove ex', 'rundown')).toEqual(['remove ex: 2 [0 1] state 1\n', 'remove ex: 1 [2] state 0\n', 'remove ex empty: 1 102\n']);
  });

  it('KeRundownQueue returns the first entry with the entries still linked to each other, then NULL', () => {
    expect(section('rundown', 'apcs')).toEqual(['rundown: 0 next 1 back 0 prev 1\n', `rundown empty: ${arch === 'x64' ? '0000000000000000' : '00000000'}\n`]);
  });

  it('KeAreApcsDisabled sees critical and guarded regions; KeAreAllApcsDisabled guarded regions and APC_LEVEL', () => {
    expect(section('apcs', 'thread priority')).toEqual(['apcs: 0 0\n', 'critical: 1 0\n', 'guarded: 1 1\n', 'apc level: 0 1\n']);
  });

  it('thread priorities: a system thread starts at 8; base increments move it within 1..15, ±16 saturates; KeSetPriorityThread returns the old one', () => {
    const nul = arch === 'x64' ? '0000000000000000' : '00000000';
    expect(section('thread priority', 'expand')).toEqual([
      `thread priority 8 teb ${nul}\n`,
      'base +2: old 0 priority 10\n',
      'base +16: old 2 priority 15\n',
      'base -3: old 16 priority 5\n',
      `set 12: old 5 now 12 teb ${nul}\n`,
    ]);
  });

  it('KeExpandKernelStackAndCallout(Ex) calls the routine with its parameter, refusing sizes over MAXIMUM_EXPANSION_SIZE', () => {
    expect(section('expand', 'uuid')).toEqual(['expand: 00000000 5\n', 'expand too large: c00000f1 5\n', 'expand ex: 00000000 12\n']);
  });

  it('ExUuidCreate makes distinct version 1 UUIDs; the unbiased interrupt time advances with a sleep; KeSetCoalescableTimer expires', () => {
    expect(section('uuid', 'resolution')).toEqual([
      'uuid: 00000000 version 1 variant 2 node 4b44454d5501 differ 1 later 1\n',
      'unbiased: advanced 1\n',
      'coalescable: was set 0 wait 00000000 state 1\n',
    ]);
    // Deterministic: the same UUIDs on every run.
    const uuids = () => events(plain().trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!ExUuidCreate').length;
    expect(uuids()).toBe(2);
  });

  it('ExSetTimerResolution keeps the finest request in force (not under 0.5 ms) and the default once all are withdrawn', () => {
    expect(section('resolution', 'ex timer')).toEqual(['resolution: 10000 5000 5000 156250\n']);
  });

  it('EX_TIMERs call back at DISPATCH_LEVEL once or per period; ExSetTimer/ExCancelTimer say whether the timer was set', () => {
    expect(section('ex timer', 'delete set timer')).toEqual([
      'ex timer callback: tick irql 2\n',
      'one-shot: set 0 again 1 calls 1 same 1\n',
      'ex timer callback: tick irql 2\n',
      // A 5 ms period over 22 ms: 5, 10, 15 and 20 ms.
      'periodic: calls 4 cancel 1 again 0\n',
      'delete idle: 0\n',
    ]);
  });

  it('ExDeleteTimer without Cancel lets a set timer expire first, then calls the delete callback', () => {
    expect(section('delete set timer', 'ready thread')).toEqual([
      'delete set timer without cancel: 0\n',
      'ex timer callback: late irql 2\n',
      'timer deleted: late after 1 callbacks\n',
    ]);
  });

  it('ZwYieldExecution runs a ready thread before returning STATUS_SUCCESS, and STATUS_NO_YIELD_PERFORMED with none ready', () => {
    expect(section('ready thread', 'register:')).toEqual(['ready thread ran\n', 'yield: 00000000\n', 'yield again: 40000024\n']);
  });

  it('bug-check callback records go BufferEmpty → BufferInserted and back, refusing a second register or deregister', () => {
    expect(section('register:', 'zzz')).toEqual([
      'register: 1 again 0 state 1 checksum ok 1\n',
      'deregister: 1 again 0 state 0\n',
      'reason: 1 0 1 0 state 0\n',
    ]);
    expect(plain().report.unload.leaks).toEqual([]);
  });

  it('after KeBugCheckEx the bug-check callback runs at HIGH_LEVEL with its buffer, then the secondary dump data callback', () => {
    const { report, trace } = run(buildDriver('kemisc', arch, { defines: { BUGCHECK: true } }));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x000000E2');
    const high = arch === 'x64' ? 15 : 31;
    expect(report.dbgPrint.slice(-2)).toEqual([
      `bugcheck callback: crash-buffer 16 irql ${high} state 2\n`,
      `reason callback: reason 2 record 1 irql ${high} in 4096 max 4096 size ok 1\n`,
    ]);
    const calls = events(trace, 'callback').filter((e) => e.event === 'enter').map((e) => e.routine);
    expect(calls).toContain('bug-check callback');
    expect(calls).toContain('bug-check reason callback');
    expect(events(trace, 'note').some((n) => /gave 8 bytes of secondary dump data/.test(n.text))).toBe(true);
  });

  it('a kernel-mode fault that bugchecks runs the bug-check callbacks too', () => {
    const { report } = run(buildDriver('kemisc', arch, { defines: { NULL_WRITE: true } }));
    expect(report.stop?.bugcheck).toBeTruthy();
    const high = arch === 'x64' ? 15 : 31;
    expect(report.dbgPrint.slice(-2)).toEqual([
      `bugcheck callback: crash-buffer 16 irql ${high} state 2\n`,
      `reason callback: reason 2 record 1 irql ${high} in 4096 max 4096 size ok 1\n`,
    ]);
  });

  it('registrations left at unload are callback leaks: a callback object registration and bug-check records', () => {
    const { report } = run(buildDriver('kemisc', arch, { defines: { LEAK_CALLBACK: true } }));
    expect(report.outcome).toBe('completed');
    const leaks = report.unload.leaks.filter((l) => l.kind === 'callback').map((l) => l.detail);
    expect(leaks).toHaveLength(3);
    expect(leaks[0]).toMatch(/^ExRegisterCallback registration 0x[0-9A-F]+ of kemisc\.sys\+0x[0-9A-F]+ on callback object \\Callback\\SetSystemTime never unregistered$/i);
    expect(leaks[1]).toMatch(/^bug-check callback record 0x[0-9A-F]+ \(kemisc\.sys\+0x[0-9A-F]+\) never deregistered$/i);
    expect(leaks[2]).toMatch(/^bug-check reason callback record/);
  });
});
