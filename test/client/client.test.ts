// Client programs (kdemu run DRIVER --client CLIENT.exe): unmodified mingw-w64 console programs run at CPL3
// against the driver, on every engine; their output, exit, the driver's view, and every way they can end badly.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import type { Report, TraceEvent } from '../../hal/report.js';
import { ARCHES, buildClient, buildDriver, type Arch } from '../fixtures/build.js';
import { enginesHere, kdemu, requireEngines, sample } from '../helpers.js';

const engines = enginesHere('client programs');

function runClient(arch: Arch, client: { path: string; bytes: Uint8Array }, opts: { engine?: 'wasm' | 'unicorn'; stdin?: string; args?: string[]; maxInstructions?: number } = {}) {
  const driver = sample(arch, 'readfile.sys');
  const trace: TraceEvent[] = [];
  const report: Report = runDriver({
    driverPath: driver,
    driverBytes: readFileSync(driver),
    operations: [],
    engine: opts.engine,
    maxInstructions: opts.maxInstructions,
    onTrace: (e) => trace.push(e),
    client: { path: client.path, bytes: client.bytes, args: opts.args ?? [], stdin: new TextEncoder().encode(opts.stdin ?? '') },
  });
  return { report, trace };
}

function readfileClient(arch: Arch) {
  const path = sample(arch, 'readfile_client.exe');
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it('runs the chapter\'s ReadFile client to exit code 0, printing the driver\'s bytes, with CREATE, READ and CLOSE in order', () => {
      const { report } = runClient(arch, readfileClient(arch), { engine });
      expect(report.outcome).toBe('completed');
      expect(report.client).toMatchObject({ arch, exitCode: 0, stdout: '68686868686868686868', stderr: '' });
      const dispatches = report.dbgPrint.filter((l) => /IRP_MJ_|读取/.test(l));
      expect(dispatches).toEqual(['派遣函数 IRP_MJ_CREATE 成功执行 !\n', '应用要读取的长度: 10\n', '派遣函数 IRP_MJ_CLOSE 成功执行 !\n']);
      expect(report.unload.called).toBe(true);
      expect(report.unload.leaks).toEqual([{ kind: 'symlink', detail: '\\??\\My_Device', target: '\\Device\\My_Device' }]);
    });
  });

  it.each(engines)('runs the same client linked against the UCRT (api-ms-win-crt-* imports) on the %s engine', (engine) => {
    const path = sample(arch, 'readfile_client_ucrt.exe');
    const bytes = new Uint8Array(readFileSync(path));
    expect(Buffer.from(bytes).includes(Buffer.from('api-ms-win-crt-stdio-l1-1-0.dll'))).toBe(true);
    const { report } = runClient(arch, { path, bytes }, { engine });
    expect(report.outcome).toBe('completed');
    expect(report.client).toMatchObject({ exitCode: 0, stdout: '68686868686868686868' });
    expect(report.unsupportedCalls).toEqual([]);
  });

  it.skipIf(!requireEngines('client programs: the same trace on every engine', 'unicorn', 'wasm'))('gives the same trace and report on every engine', () => {
    const runs = engines.map((engine) => runClient(arch, readfileClient(arch), { engine }));
    const strip = (r: Report) => ({ ...r, stats: { ...r.stats, engine: '', wallMs: 0 } });
    expect(strip(runs[1].report)).toEqual(strip(runs[0].report));
    expect(runs[1].trace).toEqual(runs[0].trace);
  });

  it('hands getchar EOF at the end of an empty standard input instead of blocking', () => {
    const { report } = runClient(arch, readfileClient(arch), { stdin: '' });
    expect(report.client?.exitCode).toBe(0);
  });

  it('runs the C runtime and kernel32 as Windows does: printf rules, argv, stdin lines, heap, last error, waits, the device', () => {
    const { report } = runClient(arch, buildClient('probe', arch), { stdin: 'one\ntwo\r\nthree', args: ['a', 'b c'] });
    expect(report.outcome).toBe('completed');
    const ptr = arch === 'x64' ? '0000000000001234' : '00001234';
    expect(report.client?.stdout.split('\r\n')).toEqual([
      'argc 3: [a] [b c]',
      `wide wide2 narrow 0a 123456789abc    xy| 7   | +3 ${ptr}`,
      'puts line',
      'sscanf 3: 12 31 abc',
      '!',
      'line 1: one',
      'line 2: two',
      'line 3: threestdin ended after 3 lines, getchar -1',
      'heap grows 10 0',
      'last error 1234',
      'no device: 1 error 2',
      'waits 258 0 258, waited at least 100 ms: 1',
      'read 1 4 68686868',
      'pid 420 tid 424',
      'atexit ran',
      '',
    ]);
    expect(report.client?.stderr).toBe('to stderr 42\r\n');
    expect(report.client?.exitCode).toBe(3);
    // Console bytes as the text-mode stream wrote them: "\n" went out as "\r\n".
    expect(report.client?.stdoutHex.startsWith(Buffer.from('argc 3: [a] [b c]\r\n').toString('hex'))).toBe(true);
  });

  it('closes the handles a program leaves open when it exits: the driver gets CLEANUP and CLOSE', () => {
    const { report } = runClient(arch, buildClient('probe', arch, { defines: { LEAVE_OPEN: true } }));
    expect(report.client).toMatchObject({ exitCode: 5, stdout: 'opened 1\r\n' });
    expect(report.dbgPrint.filter((l) => l.includes('IRP_MJ'))).toEqual(['派遣函数 IRP_MJ_CREATE 成功执行 !\n', '派遣函数 IRP_MJ_CLOSE 成功执行 !\n']);
    expect(report.unload.leaks.map((l) => l.kind)).toEqual(['symlink']);
  });

  it('stops a program that loops past the wall-clock budget with outcome timeout, where it was, and unloads the driver', () => {
    const driver = sample(arch, 'readfile.sys');
    const client = buildClient('probe', arch, { defines: { LOOP: true } });
    const report = runDriver({ driverPath: driver, driverBytes: readFileSync(driver), operations: [], timeoutMs: 300, client: { path: client.path, bytes: client.bytes } });
    expect(report.outcome).toBe('timeout');
    expect(report.stop?.module).toBe('probe.exe');
    expect(report.unload.called).toBe(true);
  });

  describe('a program that ends badly is reported and the driver still unloads', () => {
    const cases: [string, string, RegExp][] = [
      ['CRASH_KERNEL', 'client-fault', /access violation in user mode: read of 0x[0-9A-F]+ \(a kernel address\)/],
      ['CRASH_NULL', 'client-fault', /access violation in user mode: write of 0x0 \(not mapped\)/],
      ['PRIVILEGED', 'client-fault', /cli at probe\.exe\+0x[0-9a-f]+: a privileged instruction in user mode: STATUS_PRIVILEGED_INSTRUCTION/],
      ['ABORT', 'client-fault', /called abort\(\)/],
      ['DEADLOCK', 'deadlock', /^every thread waits and nothing can wake them: thread 424 \(probe\.exe\) waits in kernel32\.dll!WaitForSingleObject on notification event 0x[0-9A-F]+, called from probe\.exe\+0x[0-9a-f]+$/],
      ['UNSUPPORTED', 'unsupported-call', /kernel32\.dll!GetComputerNameA/],
      ['LOOP', 'instruction-limit', /instruction budget/],
    ];
    it.each(cases)('%s: outcome %s', (variant, outcome, reason) => {
      const { report } = runClient(arch, buildClient('probe', arch, { defines: { [variant]: true } }), { maxInstructions: 3_000_000 });
      expect(report.outcome).toBe(outcome);
      expect(report.stop?.reason).toMatch(reason);
      if (variant !== 'ABORT' && variant !== 'LOOP') expect(report.stop?.module).toBe('probe.exe');
      expect(report.client?.exitCode).toBe(variant === 'ABORT' ? 3 : null);
      expect(report.unload.called).toBe(true);
      expect(report.unload.leaks.map((l) => l.detail)).toEqual(['\\??\\My_Device']);
    });
  });
});

describe('the command line', () => {
  it('prints the program\'s output as it comes, before the summary, and exits 0', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--client', sample('x64', 'readfile_client.exe')]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('68686868686868686868\n')).toBe(true);
    expect(r.stdout).toMatch(/Client .*readfile_client\.exe {2}exited with code 0/);
  });

  it('reports the client in JSON and exits 1 when the program faults', () => {
    const client = buildClient('probe', 'x64', { defines: { CRASH_NULL: true } });
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--client', client.path, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Report;
    expect(j.outcome).toBe('client-fault');
    expect(j.client).toMatchObject({ path: client.path, arch: 'x64', exitCode: null });
  });

  it.each([
    ['a file that is not a PE', () => sample('x64', '../../readfile/readfile.c'), /not a PE file/],
    ['a driver', () => sample('x64', 'readfile.sys'), /the client is not a user-mode program: a kernel-mode driver/],
    ['a DLL', () => buildClient('probe', 'x64', { kind: 'dll' }).path, /the client is not a user-mode program: a user-mode DLL/],
    ['the wrong architecture', () => sample('x86', 'readfile_client.exe'), /the client is x86 but the driver is x64/],
    ['a missing file', () => '/nonexistent/client.exe', /no such file/],
  ])('refuses %s as the client with exit 2 and one line', (_what, client, message) => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--client', client()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--stdin', 'x'], /--stdin feeds a --client program/],
    [['--', 'arg'], /arguments after -- go to a --client program/],
    [['--client', sample('x64', 'readfile_client.exe'), '--read', '4'], /instead of operations/],
  ])('refuses %j with exit 2', (args, message) => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('lists a client\'s imports in kdemu info, marking the ones kdemu implements', () => {
    const r = kdemu(['info', sample('x64', 'readfile_client.exe'), '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { imports: { module: string; name: string; implemented: boolean }[]; missing: string[] };
    expect(info.imports.find((i) => i.name === 'ReadFile')?.implemented).toBe(true);
    expect(info.imports.find((i) => i.name === 'getchar')?.implemented).toBe(true);
  });
});


describe('METHOD_NEITHER with the program\'s own buffers: ProbeForRead and ProbeForWrite as documented', () => {
  function runNeither(arch: Arch, variant?: string) {
    const driver = buildDriver('probe', arch);
    const client = buildClient('neither', arch, variant ? { defines: { [variant]: true } } : {});
    return runDriver({
      driverPath: driver.path,
      driverBytes: driver.bytes,
      operations: [],
      client: { path: client.path, bytes: client.bytes },
    });
  }

  it.each(ARCHES)('%s: the driver reads and writes the user addresses the program passed', (arch) => {
    const r = runNeither(arch);
    expect(r.outcome).toBe('completed');
    expect(r.client?.stdout).toBe('ok 1 got 4: 04030201\r\n');
    expect(r.dbgPrint).toContain('probed 4 in, 8 out\n');
  });

  it.each([
    ['MISALIGNED', '0x80000002', /ProbeForRead .* raised STATUS_DATATYPE_MISALIGNMENT/],
    ['KERNEL_POINTER', '0xC0000005', /ProbeForWrite .* raised STATUS_ACCESS_VIOLATION \(0x[0-9A-F]+ \+ 8 is not below MmUserProbeAddress/],
    ['READ_ONLY', '0xC0000005', /ProbeForWrite .* raised STATUS_ACCESS_VIOLATION \(page 0x[0-9A-F]+ is not writable\)/],
  ])('%s: the probe raises %s, unhandled in the driver (KMODE_EXCEPTION_NOT_HANDLED)', (variant, status, reason) => {
    for (const arch of ARCHES) {
      const r = runNeither(arch, variant);
      expect(r.outcome).toBe('bugcheck');
      expect(r.stop?.bugcheck?.code).toBe('0x0000001E');
      expect(r.stop?.bugcheck?.params[0]).toBe(status);
      expect(r.stop?.reason).toMatch(reason);
      expect(r.stop?.module).toBe('probe.sys');
    }
  });
});
