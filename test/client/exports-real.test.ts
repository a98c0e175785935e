// Exports that used to record and return are real: the top-level exception filter runs on a client's unhandled
// exception, quick_exit runs its handlers, abort raises SIGABRT, the invalid parameter handler is honoured,
// FreeLibrary validates and counts, HeapReAlloc honours HEAP_REALLOC_IN_PLACE_ONLY, IoDeleteDevice of a non-device
// bugchecks. Each is proved by a fixture program or driver whose output shows the behaviour.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, engineAvailable } from '../../emu/index.js';
import { runDriver } from '../../hal/run.js';
import type { Report, TraceEvent } from '../../hal/report.js';
import { ARCHES, buildClient, buildDriver, clientsDir, type Arch, type BuiltDriver } from '../fixtures/build.js';
import { sample } from '../helpers.js';

const CC: Record<Arch, string> = { x64: 'x86_64-w64-mingw32-gcc', x86: 'i686-w64-mingw32-gcc' };
const CACHE = path.join(tmpdir(), 'kdemu-test-ucrt-clients');

/** gcc's own specs with the UCRT in place of msvcrt (as scripts/build-samples.sh links the samples' UCRT clients). */
function ucrtSpecs(arch: Arch): string {
  const specs = execFileSync(CC[arch], ['-dumpspecs'], { encoding: 'utf8' }).replace(/-lmsvcrt/g, '-lucrt');
  const file = path.join(CACHE, `specs-${arch}-${createHash('sha256').update(specs).digest('hex').slice(0, 12)}`);
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, specs);
    renameSync(tmp, file);
  }
  return file;
}

/** test/fixtures/clients/<name>.c linked against the UCRT (api-ms-win-crt-* imports), -DUCRT, cached by content. */
function buildUcrtClient(name: string, arch: Arch, defines: Record<string, string | number | true> = {}): BuiltDriver {
  const source = path.join(clientsDir, `${name}.c`);
  const args = ['-O2', '-DUCRT', ...Object.entries(defines).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => (v === true ? `-D${k}` : `-D${k}=${v}`))];
  const hash = createHash('sha256').update(CC[arch]).update(args.join('\0')).update(readFileSync(source)).digest('hex').slice(0, 20);
  const out = path.join(CACHE, hash, arch, `${name}.exe`);
  if (!existsSync(out)) {
    mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      execFileSync(CC[arch], [`-specs=${ucrtSpecs(arch)}`, ...args, '-o', tmp, source], { stdio: 'pipe' });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new Error(`${name}.c (${arch}, UCRT) did not build:\n${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    }
    renameSync(tmp, out);
  }
  return { path: out, bytes: new Uint8Array(readFileSync(out)), arch, name };
}

const engines = ENGINES.filter((e) => engineAvailable(e));

function runClient(arch: Arch, client: BuiltDriver, opts: { maxInstructions?: number; engine?: (typeof ENGINES)[number] } = {}) {
  const driver = sample(arch, 'readfile.sys');
  const trace: TraceEvent[] = [];
  const report: Report = runDriver({
    driverPath: driver,
    driverBytes: readFileSync(driver),
    operations: [],
    maxInstructions: opts.maxInstructions ?? 20_000_000,
    engine: opts.engine,
    onTrace: (e) => trace.push(e),
    client: { path: client.path, bytes: client.bytes, args: [], stdin: new Uint8Array(0) },
  });
  return { report, trace, lines: (report.client?.stdout ?? '').split('\r\n') };
}

function notes(trace: TraceEvent[]): string[] {
  return trace.flatMap((e) => (e.type === 'note' ? [e.text] : []));
}

describe.each(ARCHES)('%s', (arch) => {
  const sp = arch === 'x64' ? 'Rsp' : 'Esp';
  const regs = arch === 'x64' ? ['Rip', 'Rbx', 'Rsi'] : ['Eip', 'Ebx', 'Esi'];
  const context = `address at fault_at 1, ${regs[0]} 1, ${regs[1]} 5a5a, ${regs[2]} 77, ${sp} in stack 1`;

  describe('SetUnhandledExceptionFilter: the filter gets an unhandled exception', () => {
    it('EXCEPTION_EXECUTE_HANDLER ends the process with the exception code, no atexit functions, no crash report', () => {
      const { report, lines, trace } = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: 1 } }));
      expect(lines).toEqual(['previous filter set 1, now ours 1', 'filter: code c0000005 flags 0 params 2: 0 0', context, '']);
      expect(report.outcome).toBe('completed');
      expect(report.client?.exitCode).toBe(0xc0000005);
      expect(report.stop).toBeNull();
      expect(report.unload.called).toBe(true);
      expect(notes(trace).some((n) => /STATUS_ACCESS_VIOLATION \(0xC0000005\) at seh\.exe\+0x[0-9a-f]+: kdemu searches no vectored handlers and no SEH frames/.test(n))).toBe(true);
    });

    it('EXCEPTION_CONTINUE_SEARCH is the default: the client fault as without a filter', () => {
      const { report, lines } = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: 0 } }));
      expect(lines.slice(0, 3)).toEqual(['previous filter set 1, now ours 1', 'filter: code c0000005 flags 0 params 2: 0 0', context]);
      expect(report.outcome).toBe('client-fault');
      expect(report.stop?.reason).toMatch(/access violation in user mode: read of 0x0 \(not mapped\)/);
      expect(report.stop?.module).toBe('seh.exe');
      expect(report.client?.exitCode).toBeNull();
    });

    it('EXCEPTION_CONTINUE_EXECUTION resumes with the CONTEXT the filter changed: the load reads good memory', () => {
      const { report, lines } = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1 } }));
      expect(lines).toEqual(['previous filter set 1, now ours 1', 'filter: code c0000005 flags 0 params 2: 0 0', context, 'resumed: read 1234', 'atexit ran', '']);
      expect(report.outcome).toBe('completed');
      expect(report.client?.exitCode).toBe(7);
    });

    it.each(engines)('resumes the same way on the %s engine (the trace too)', (engine) => {
      const first = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1 } }), { engine: engines[0] });
      const run = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1 } }), { engine });
      expect(run.report.client).toEqual(first.report.client);
      expect(run.trace).toEqual(first.trace);
    });

    it('resumes inside an atexit function that exit() called, and exit goes on', () => {
      const { report, lines } = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1, IN_ATEXIT: true } }));
      expect(lines).toEqual(['previous filter set 1, now ours 1', 'filter: code c0000005 flags 0 params 2: 0 0', context, 'atexit function resumed: read 1234', 'atexit ran', '']);
      expect(report.client?.exitCode).toBe(4);
    });

    it('a division by zero is STATUS_INTEGER_DIVIDE_BY_ZERO at the div', () => {
      const { report, lines } = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: 1, DIVIDE: true } }));
      expect(lines.slice(1, 3)).toEqual(['filter: code c0000094 flags 0 params 0:', context]);
      expect(report.client?.exitCode).toBe(0xc0000094);
    });

    it('RaiseException: the filter gets the code and arguments; continuing returns from RaiseException', () => {
      const cont = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1, RAISE: 0 } }));
      expect(cont.lines.slice(1)).toEqual(['filter: code e0000001 flags 0 params 2: 11 22', 'RaiseException returned', 'atexit ran', '']);
      expect(cont.report.client?.exitCode).toBe(6);
      const end = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: 1, RAISE: 0 } }));
      expect(end.report.client?.exitCode).toBe(0xe0000001);
      // A non-continuable exception cannot be continued: STATUS_NONCONTINUABLE_EXCEPTION ends the process.
      const nc = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1, RAISE: 1 } }));
      expect(nc.lines[1]).toBe('filter: code e0000001 flags 1 params 2: 11 22');
      expect(nc.report.outcome).toBe('client-fault');
      expect(nc.report.stop?.reason).toMatch(/STATUS_NONCONTINUABLE_EXCEPTION \(0xC0000025\)/);
    });

    it('an access violation inside a DLL function reaches the filter too; continuing there is beyond kdemu, and says so', () => {
      const end = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: 1, DLL_FAULT: true } }));
      expect(end.lines[1]).toBe('filter: code c0000005 flags 0 params 2: 0 8');
      expect(end.report.client?.exitCode).toBe(0xc0000005);
      const cont = runClient(arch, buildClient('seh', arch, { defines: { VERDICT: -1, DLL_FAULT: true } }));
      expect(cont.lines[1]).toBe('filter: code c0000005 flags 0 params 2: 0 8');
      expect(cont.report.outcome).toBe('unsupported-call');
      expect(cont.report.stop?.reason).toMatch(/asked to continue after STATUS_ACCESS_VIOLATION \(0xC0000005\) inside msvcrt\.dll!\w+ \(called from seh\.exe\+0x[0-9a-f]+\): kdemu cannot resume inside its own DLL functions/);
      expect(cont.report.unload.called).toBe(true);
    });

    it('mingw-w64\'s own start-up filter runs the program\'s signal(SIGSEGV) handler', () => {
      const { report, lines } = runClient(arch, buildClient('seh', arch, { defines: { SIGSEGV_HANDLER: true } }));
      expect(lines).toEqual(['previous SIGSEGV action default 1', 'SIGSEGV handler: signal 11', '']);
      expect(report.outcome).toBe('completed');
      expect(report.client?.exitCode).toBe(9);
    });
  });

  describe('the C runtime: quick_exit, signal, raise, abort, the invalid parameter handler', () => {
    const signalLines = [
      'bad signal 1 errno 22',
      'first 1',
      'second 1',
      'handler: signal 2',
      'raise 0',
      'reset to default 1',
      'ignored 0',
      "SIGABRT_COMPAT shares SIGABRT's action 1",
      'raise bad -1 errno 22',
      'itoa 0 -255 0 ff',
    ];
    const checks = (when: string, handler: boolean) => [
      ...(handler ? ['invalid parameter handler: 0 0 0 0 0'] : []),
      `${when}: too small 34 errno 34 emptied 1`,
      ...(handler ? ['invalid parameter handler: 0 0 0 0 0'] : []),
      `${when}: no buffer 22 errno 22`,
      ...(handler ? ['invalid parameter handler: 0 0 0 0 0'] : []),
      `${when}: radix 1 22 errno 22`,
    ];

    it('msvcrt: signals and raise; _itoa_s goes through msvcrt.dll\'s handler (none by default: it returns the error); SIG_DFL ends with 3', () => {
      const { report, lines } = runClient(arch, buildClient('crtexit', arch));
      expect(lines).toEqual([
        ...signalLines,
        ...checks('default', false),
        // mingw-w64 keeps a copy of _set_invalid_parameter_handler in the program: msvcrt.dll never hears of it.
        ...checks("program's copy", false),
        'previous handler set 0',
        ...checks('handler', true),
        '',
      ]);
      expect(report.outcome).toBe('completed');
      expect(report.client?.exitCode).toBe(3);
    });

    it('UCRT: the same, with mingw-w64\'s start-up handler set before main, and _set_fmode validated', () => {
      const { report, lines } = runClient(arch, buildUcrtClient('crtexit', arch));
      expect(lines).toEqual([
        ...signalLines,
        ...checks('default', false),
        'previous handler set 1',
        ...checks('handler', true),
        'invalid parameter handler: 0 0 0 0 0',
        '_set_fmode bad 22 errno 22',
        '',
      ]);
      expect(report.client?.exitCode).toBe(3);
    });

    it('with no invalid parameter handler the UCRT fast-fails (0xC0000409); msvcrt.dll returns the error', () => {
      const ucrt = runClient(arch, buildUcrtClient('crtexit', arch, { NO_IPH: true }));
      expect(ucrt.report.outcome).toBe('client-fault');
      expect(ucrt.report.stop?.reason).toMatch(/_itoa_s, called from crtexit\.exe\+0x[0-9a-f]+, got an invalid parameter .*FAST_FAIL_INVALID_ARG.*STATUS_STACK_BUFFER_OVERRUN \(0xC0000409\)/);
      expect(ucrt.report.client?.exitCode).toBe(0xc0000409);
      expect(ucrt.report.unload.called).toBe(true);
      const msvcrt = runClient(arch, buildClient('crtexit', arch, { defines: { NO_IPH: true } }));
      expect(msvcrt.lines).toEqual(['returned 22 errno 22', 'atexit ran', '']);
      expect(msvcrt.report.client?.exitCode).toBe(0);
    });

    it('quick_exit runs the at_quick_exit functions last first (and those they add), no atexit function', () => {
      const { report, lines } = runClient(arch, buildUcrtClient('crtexit', arch, { QUICK: true }));
      expect(lines).toEqual(['quick_exit', 'q2', 'q3', 'q1', '']);
      expect(report.outcome).toBe('completed');
      expect(report.client?.exitCode).toBe(6);
    });

    it('abort() runs the SIGABRT handler (reset to SIG_DFL first), then ends: msvcrt with 3, the UCRT with a fast fail', () => {
      const handlerLines = ['previous default 1', 'SIGABRT handler: signal 22, action now default 1', ''];
      const m = runClient(arch, buildClient('crtexit', arch, { defines: { ABORT: 1 } }));
      expect(m.lines).toEqual(handlerLines);
      expect(m.report.client?.stderr).toMatch(/This application has requested the Runtime to terminate it in an unusual way/);
      expect(m.report.outcome).toBe('client-fault');
      expect(m.report.client?.exitCode).toBe(3);
      const u = runClient(arch, buildUcrtClient('crtexit', arch, { ABORT: 1 }));
      expect(u.lines).toEqual(handlerLines);
      expect(u.report.client?.stderr).toBe('');
      expect(u.report.stop?.reason).toMatch(/abort\(\).*FAST_FAIL_FATAL_APP_EXIT.*0xC0000409/);
      expect(u.report.client?.exitCode).toBe(0xc0000409);
    });

    it('a SIGABRT handler that exits ends the process its way; SIG_IGN does not stop abort', () => {
      for (const [client, code] of [[buildClient('crtexit', arch, { defines: { ABORT: 2 } }), 5], [buildUcrtClient('crtexit', arch, { ABORT: 2 }), 5]] as const) {
        const { report, lines } = runClient(arch, client);
        expect(lines).toEqual(['previous default 1', 'SIGABRT handler: signal 22, action now default 1', 'atexit ran', '']);
        expect(report.outcome).toBe('completed');
        expect(report.client?.exitCode).toBe(code);
      }
      const m = runClient(arch, buildClient('crtexit', arch, { defines: { ABORT: 3 } }));
      expect(m.report.outcome).toBe('client-fault');
      expect(m.report.client?.exitCode).toBe(3);
      const u = runClient(arch, buildUcrtClient('crtexit', arch, { ABORT: 3 }));
      expect(u.report.client?.exitCode).toBe(0xc0000409);
    });
  });

  describe('kernel32: FreeLibrary and HeapReAlloc', () => {
    it('FreeLibrary checks the handle and counts LoadLibrary\'s references; HEAP_REALLOC_IN_PLACE_ONLY never moves the block', () => {
      const { report, lines, trace } = runClient(arch, buildClient('modheap', arch));
      expect(lines).toEqual([
        'free bogus 0 error 126',
        'free odd 0 error 193',
        'free self 1',
        'free kernel32 1 1, still there 1',
        'ucrtbase not loaded 1 error 126',
        'loaded twice 1, found 1, malloc 1',
        'free 1, still there 1',
        'free 1, gone 1',
        'free again 0 error 126',
        'GetProcAddress after unload 1 error 126',
        'shrink in place 1, size 40',
        'grow back in place 1, size 100, kept ab, zeroed 00 00',
        'grow in place fails 1, error 8, block unchanged 1',
        'moves 1, size 100000, kept ab',
        '',
      ]);
      expect(report.client?.exitCode).toBe(0);
      expect(notes(trace).some((n) => /HeapReAlloc\(0x[0-9A-F]+, HEAP_REALLOC_IN_PLACE_ONLY, 100000\) fails: kdemu's heap resizes a block in place only within the \d+ bytes/.test(n))).toBe(true);
    });

    it('HEAP_GENERATE_EXCEPTIONS: the failure raises STATUS_NO_MEMORY (the size asked for) to the filter', () => {
      const { report, lines } = runClient(arch, buildClient('modheap', arch, { defines: { GENERATE: true } }));
      expect(lines.slice(-2)).toEqual(['filter: code c0000017 flags 0 params 1: 493e0', '']);
      expect(report.client?.exitCode).toBe(0xc0000017);
    });
  });
});

describe('IoDeleteDevice of something that is not a live device object bugchecks', () => {
  function runDriverVariant(arch: Arch, variant?: string) {
    const driver = buildDriver('deldev', arch, variant ? { defines: { [variant]: true } } : {});
    return runDriver({ driverPath: driver.path, driverBytes: driver.bytes, operations: [] });
  }

  it.each(ARCHES)('%s: deleting its device once is fine', (arch) => {
    const r = runDriverVariant(arch);
    expect(r.outcome).toBe('completed');
    expect(r.dbgPrint.at(-1)).toBe('returned\n');
    expect(r.devices).toEqual([]);
  });

  it.each(ARCHES)('%s: twice is REFERENCE_BY_POINTER (the device object type, the device)', (arch) => {
    const r = runDriverVariant(arch, 'TWICE');
    expect(r.outcome).toBe('bugcheck');
    expect(r.dbgPrint.at(-1)).toBe('deleted once\n');
    expect(r.stop?.bugcheck?.code).toBe('0x00000018');
    expect(r.stop?.bugcheck?.params[0]).not.toBe('0x0');
    expect(r.stop?.bugcheck?.params[1]).toBe(`0x${r.dbgPrint[0].match(/created ([0-9A-Fa-f]+)/)![1].replace(/^0+/, '').toUpperCase()}`);
    expect(r.stop?.module).toBe('deldev.sys');
  });

  it.each(ARCHES)('%s: a pool buffer or the driver object is BAD_OBJECT_HEADER (the header address, the type it resolves to)', (arch) => {
    const buffer = runDriverVariant(arch, 'NOT_DEVICE');
    expect(buffer.outcome).toBe('bugcheck');
    expect(buffer.stop?.bugcheck?.code).toBe('0x00000189');
    const p = BigInt('0x' + buffer.dbgPrint[1].match(/buffer ([0-9A-Fa-f]+)/)![1]);
    expect(buffer.stop?.bugcheck?.params).toEqual([`0x${(p - (arch === 'x64' ? 0x30n : 0x18n)).toString(16).toUpperCase()}`, '0x0', '0x0', '0x0']);
    expect(buffer.stop?.reason).toMatch(/not an object, not a device object IoCreateDevice made/);
    const drv = runDriverVariant(arch, 'DRIVER');
    expect(drv.stop?.bugcheck?.code).toBe('0x00000189');
    expect(drv.stop?.bugcheck?.params[1]).not.toBe('0x0'); // *IoDriverObjectType
    expect(drv.stop?.reason).toMatch(/a driver object, not a device object/);
  });

  it.each(ARCHES)('%s: an unmapped address faults where IoDeleteDevice first reads it', (arch) => {
    const r = runDriverVariant(arch, 'BAD_POINTER');
    expect(r.outcome).toBe('fault');
    // A user-space address: an access violation in the thread, which the driver does not handle.
    expect(r.stop?.bugcheck?.code).toBe('0x0000001E');
    expect(r.stop?.bugcheck?.params[3]).toBe(`0x${(0x1000 + (arch === 'x64' ? 0x30 : 0x1c)).toString(16).toUpperCase()}`);
    expect(r.stop?.export).toBe('ntoskrnl.exe!IoDeleteDevice');
  });
});
