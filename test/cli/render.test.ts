// The human summary of kdemu run: named statuses, hex dumps of long data, a bugcheck laid out like !analyze -v, and
// colour only for a terminal without NO_COLOR.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { colorEnabled } from '../../bin/colors.js';
import { bugcheckHelp, hexDump, renderReport, statusLabel } from '../../bin/render.js';
import type { OpReport, Report, StopReport } from '../../hal/report.js';
import { blankReport, kdemu, sample } from '../helpers.js';
import pc from 'picocolors';

const plain = pc.createColors(false);
const notTty = { isTTY: false };
const tty = { isTTY: true };
const ESC = '\x1b[';

const op = (o: Partial<OpReport>): OpReport => ({ op: 'read', status: '0x00000000', win32Error: 0, ...o });

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('statuses', () => {
  it('are printed with their names, in DriverEntry, operations and completions', () => {
    expect(statusLabel('0xC0000010')).toBe('0xC0000010 STATUS_INVALID_DEVICE_REQUEST');
    expect(statusLabel('0x00000000')).toBe('0x00000000 STATUS_SUCCESS');
    expect(statusLabel('0xE0001234')).toBe('0xE0001234');
    const text = renderReport(blankReport({
      ops: [
        op({ op: 'ioctl', code: '0x222000', status: '0xC0000010', win32Error: 1, information: 0 }),
        op({ length: 4, status: '0x00000103', win32Error: 997, completion: { status: '0xC0000120', information: 0, data: '', atMs: 5 } }),
      ],
    }), notTty);
    expect(text).toContain('DriverEntry → 0x00000000 STATUS_SUCCESS\n');
    expect(text).toMatch(/^ {2}ioctl 0x222000 +0xC0000010 STATUS_INVALID_DEVICE_REQUEST {2}win32 1 ERROR_INVALID_FUNCTION {2}0 bytes$/m);
    expect(text).toMatch(/^ {2}read 4 +0x00000103 STATUS_PENDING +win32 997 ERROR_IO_PENDING$/m);
    expect(text).toContain('    completed at 5 ms: 0xC0000120 STATUS_CANCELLED  0 bytes\n');
    // The win32 column lines up.
    const cols = text.split('\n').filter((l) => l.includes('win32')).map((l) => l.indexOf('win32'));
    expect(new Set(cols).size).toBe(1);
  });
});

describe('data', () => {
  it('up to 16 bytes stays on the line', () => {
    const text = renderReport(blankReport({ ops: [op({ length: 16, information: 16, data: '41'.repeat(16) })] }), notTty);
    expect(text).toMatch(/^ {2}read 16 .* 16 bytes {2}(41){16}$/m);
  });

  it('longer data is dumped 16 bytes a line with an offset column and ASCII, repeated lines collapsed', () => {
    const data = Buffer.from('Hello, kernel!\n\0' + 'A'.repeat(32) + 'xyz').toString('hex');
    expect(hexDump(data, plain, '  ')).toEqual([
      '  0000  48 65 6c 6c 6f 2c 20 6b  65 72 6e 65 6c 21 0a 00  |Hello, kernel!..|',
      '  0010  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|',
      '  *',
      '  0030  78 79 7a                                          |xyz|',
    ]);
    const text = renderReport(blankReport({ ops: [op({ length: 51, information: 51, data })] }), notTty);
    expect(text).toMatch(/^ {2}read 51 .* 51 bytes\n {4}0000 {2}48 65/m);
  });

  it('a long dump stops after 32 lines and says how much is left', () => {
    const bytes = Buffer.alloc(1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff;
    const lines = hexDump(bytes.toString('hex'), plain);
    expect(lines).toHaveLength(33);
    expect(lines[32]).toBe('… 512 more bytes (--json has them all)');
    expect(hexDump('00'.repeat(70000), plain)[0]).toMatch(/^00000 {2}00 00/);
  });

  it('a completion\'s data and a truncated buffer are dumped too', () => {
    const text = renderReport(blankReport({
      ops: [op({ length: 32, status: '0x00000103', win32Error: 997, completion: { status: '0x00000000', information: 32, data: '00'.repeat(32), atMs: 1 } })],
    }), notTty);
    expect(text).toContain('    completed at 1 ms: 0x00000000 STATUS_SUCCESS  32 bytes\n      0000  00 00');
    const cut = renderReport(blankReport({ ops: [op({ length: 1 << 25, information: 1 << 25, data: '00', dataBytes: 1 << 25, dataSha256: 'ab' })] }), notTty);
    expect(cut).toContain(`the first 1 of ${1 << 25} bytes; sha256 ab\n    0000  00`);
  });
});

describe('a bugcheck', () => {
  const fault: StopReport = {
    reason: 'access violation',
    pc: '0xFFFFF8000100101E',
    module: 'nullwrite.sys',
    offset: '0x101e',
    bugcheck: { code: '0x0000001E', name: 'KMODE_EXCEPTION_NOT_HANDLED', params: ['0xC0000005', '0xFFFFF8000100101E', '0x1', '0x0'] },
    instruction: 'mov dword ptr [rax],1',
    stack: ['nullwrite.sys+0x101e', 'nullwrite.sys+0x1200', 'ntoskrnl.exe!IopLoadDriver'],
  };

  it('shows its code and name, what each parameter means, where it happened and the call stack a frame a line', () => {
    const text = renderReport(blankReport({ outcome: 'fault', driverEntry: null, unload: { called: false, leaks: [] }, stop: fault }), notTty);
    expect(text).toContain([
      'Stopped: fault — access violation',
      '  bugcheck 0x0000001E KMODE_EXCEPTION_NOT_HANDLED (0xC0000005, 0xFFFFF8000100101E, 0x1, 0x0)',
      '    An exception in kernel mode that no handler took.',
      '    Arg1: 0xC0000005          exception code: STATUS_ACCESS_VIOLATION',
      '    Arg2: 0xFFFFF8000100101E  address of the exception: nullwrite.sys+0x101e',
      '    Arg3: 0x1                 exception parameter 0, the access: write',
      '    Arg4: 0x0                 exception parameter 1: the address accessed',
      '  at nullwrite.sys+0x101e (0xFFFFF8000100101E): mov dword ptr [rax],1',
      '  call stack: nullwrite.sys+0x101e',
      '              nullwrite.sys+0x1200',
      '              ntoskrnl.exe!IopLoadDriver',
    ].join('\n'));
  });

  it('knows the parameters of the common codes', () => {
    const help = (code: string, params: string[]) => bugcheckHelp(code, params, { reason: '' })!;
    expect(help('0x000000D1', ['0x10', '0x2', '0x1', '0xFFFFF80001001234'])).toMatchObject({
      name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
      args: ['memory referenced', 'IRQL at the time: DISPATCH_LEVEL', 'access: write', 'address of the instruction that referenced it'],
    });
    expect(help('0x0000000A', ['0x0', '0x2', '0x8', '0x0']).args[2]).toBe('access: execute');
    expect(help('0x00000050', ['0xFFFF', '0x2', '0x0', '0x0']).args[1]).toBe('access: write');
    expect(help('0x0000010D', ['0x4', '0x0', '0xFFFFF80001001000', '0x0'])).toMatchObject({
      name: 'WDF_VIOLATION',
      about: 'NULL passed for a parameter that must not be NULL.',
      args: ['type of violation', 'reserved', "the caller's address", 'reserved'],
    });
    expect(help('0x0000010D', ['0xB', '0x1234', '0x1', '0x0']).args[2]).toBe('error: released by a thread that did not acquire it');
    expect(help('0x000000C4', ['0x0', '0x2', '0x0', '0x0'])).toMatchObject({ about: 'A zero-byte pool allocation.', args: ['type of violation', 'current IRQL: DISPATCH_LEVEL', 'pool type', 'number of bytes'] });
    // An unknown sub-code still says what Arg1 is.
    expect(help('0x000000C4', ['0x20', '0x0', '0x0', '0x0']).args).toEqual(['type of violation', undefined, undefined, undefined]);
    expect(bugcheckHelp('0xDEADBEEF', ['0x1', '0x2', '0x3', '0x4'], { reason: '' })).toBeUndefined();
  });

  it('names a code the report leaves as hex when the table knows it, and lists bare parameters for unknown codes', () => {
    const stop = (code: string, name: string): StopReport => ({ reason: 'r', bugcheck: { code, name, params: ['0x1', '0x2', '0x3', '0x4'] } });
    const known = renderReport(blankReport({ outcome: 'bugcheck', stop: stop('0x0000004E', '0x0000004E') }), notTty);
    expect(known).toContain('  bugcheck 0x0000004E PFN_LIST_CORRUPT (0x1, 0x2, 0x3, 0x4)\n');
    const unknown = renderReport(blankReport({ outcome: 'bugcheck', stop: stop('0xDEADBEEF', '0xDEADBEEF') }), notTty);
    expect(unknown).toContain('  bugcheck 0xDEADBEEF 0xDEADBEEF (0x1, 0x2, 0x3, 0x4)\n    Arg1: 0x1\n    Arg2: 0x2\n');
  });
});

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR, forced with FORCE_COLOR', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(notTty, {})).toBe(false);
    expect(colorEnabled(undefined, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(notTty, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(notTty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });

  it('is decided by the stream the summary goes to', () => {
    vi.stubEnv('NO_COLOR', '');
    vi.stubEnv('FORCE_COLOR', '');
    vi.stubEnv('TERM', 'xterm');
    const r = blankReport({ ops: [op({ status: '0xC0000010', win32Error: 1 })] });
    expect(renderReport(r, tty)).toContain(ESC);
    expect(renderReport(r, notTty)).not.toContain(ESC);
    vi.stubEnv('NO_COLOR', '1');
    expect(renderReport(r, tty)).not.toContain(ESC);
  });
});

describe('kdemu run', () => {
  it('dumps a long read and keeps the lines scripts look for', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--read', '40', '--read', '10']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stdout).toContain('DriverEntry → 0x00000000 STATUS_SUCCESS\n');
    expect(r.stdout).toMatch(/^ {2}read 40 +0x00000000 STATUS_SUCCESS {2}win32 0 {2}40 bytes\n {4}0000 {2}68 68 68 68 68 68 68 68 {2}68 68 68 68 68 68 68 68 {2}\|h{16}\|\n {4}\*\n {4}0020 {2}68( 68){7} {27}\|h{8}\|$/m);
    expect(r.stdout).toMatch(/^ {2}read 10 +0x00000000 STATUS_SUCCESS {2}win32 0 {2}10 bytes {2}68686868686868686868$/m);
    expect(r.stdout).toContain('leak symlink  \\??\\My_Device');
  });
});
