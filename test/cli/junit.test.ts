// kdemu run --junit FILE: the run as JUnit XML, well-formed whatever the driver printed, with a failure only where
// the run stopped, the driver misbehaved, leaked, or the run did not complete; written on a stop too.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE, UsageError, parseCommand } from '../../bin/args.js';
import { junitXml, openJunit, xmlEscape, type JunitRequest } from '../../bin/junit.js';
import type { Report } from '../../hal/report.js';
import { buildDriver } from '../fixtures/build.js';
import { kdemu, sample, blankReport } from '../helpers.js';
import { findAll, parseXml, type XmlElement } from './junit-xml.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-junit-'));
let n = 0;
const out = () => path.join(dir, `r${n++}.xml`);

/** Each case as name → verdict (pass, failure:TYPE, error:TYPE, skipped), after checking the suite's counts. */
function verdicts(xml: string): Record<string, string> {
  const root = parseXml(xml);
  expect(root.name).toBe('testsuites');
  const suites = findAll(root, 'testsuite');
  expect(suites).toHaveLength(1);
  const cases = findAll(suites[0], 'testcase');
  const child = (c: XmlElement, name: string) => c.children.find((x) => x.name === name);
  const count = (name: string) => String(cases.filter((c) => child(c, name)).length);
  for (const el of [root, suites[0]]) {
    expect(el.attrs).toMatchObject({ tests: String(cases.length), failures: count('failure'), errors: count('error'), skipped: count('skipped') });
    expect(el.attrs.time).toMatch(/^\d+\.\d{3}$/);
  }
  const result: Record<string, string> = {};
  for (const c of cases) {
    expect(c.attrs.name in result, `duplicate case ${c.attrs.name}`).toBe(false);
    const f = child(c, 'failure') ?? child(c, 'error');
    result[c.attrs.name] = f ? `${f.name}:${f.attrs.type}` : child(c, 'skipped') ? 'skipped' : 'pass';
  }
  return result;
}

function caseEl(xml: string, name: string): XmlElement {
  const c = findAll(parseXml(xml), 'testcase').find((x) => x.attrs.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return c;
}

const text = (el: XmlElement, child: string) => el.children.find((x) => x.name === child)?.text ?? '';

describe('--junit on the command line', () => {
  it('is a run option listed in --help; an empty name is refused and other commands do not take it', () => {
    const cmd = parseCommand(['run', 'd.sys', '--junit', 'r.xml']);
    expect(cmd.cmd === 'run' && cmd.junit).toBe('r.xml');
    const plain = parseCommand(['run', 'd.sys']);
    expect(plain.cmd === 'run' && plain.junit).toBeUndefined();
    expect(() => parseCommand(['run', 'd.sys', '--junit', ''])).toThrow(UsageError);
    expect(() => parseCommand(['info', 'd.sys', '--junit', 'r.xml'])).toThrow('option --junit only applies to kdemu run');
    expect(USAGE).toMatch(/^ {2}--junit FILE +write the run as a JUnit XML report/m);
  });

  it('a completed run: one case per operation, error statuses are data, not failures', () => {
    const file = out();
    const r = kdemu(['run', sample('x64', 'ioctl.sys'), '--ioctl', '0x222000:0100000002000000:4', '--ioctl', '0x999', '--ioctl', '0x222000', '--junit', file]);
    expect(r.code).toBe(0);
    const xml = readFileSync(file, 'utf8');
    expect(verdicts(xml)).toEqual({
      DriverEntry: 'pass',
      'open KdIoctl': 'pass',
      'ioctl 0x222000': 'pass',
      'ioctl 0x999': 'pass',
      // The same operation twice: distinct names, so CI keeps their histories apart.
      'ioctl 0x222000 #2': 'pass',
      DriverUnload: 'pass',
      leaks: 'pass',
      outcome: 'pass',
    });
    expect(text(caseEl(xml, 'ioctl 0x222000'), 'system-out')).toBe('status 0x00000000 (win32 error 0)\ninformation 4\ndata 03000000');
    expect(text(caseEl(xml, 'ioctl 0x999'), 'system-out')).toContain('status 0xC0000010 (win32 error 1)');
    expect(text(caseEl(xml, 'DriverEntry'), 'system-out')).toBe('returned 0x00000000');
    const suite = findAll(parseXml(xml), 'testsuite')[0];
    expect(suite.attrs.name).toBe(`kdemu ${sample('x64', 'ioctl.sys')}`);
    expect(findAll(suite, 'testcase').every((c) => c.attrs.classname === 'kdemu.ioctl_sys')).toBe(true);
  });

  it('a bugcheck in DriverEntry: written, DriverEntry and the outcome fail, what never ran is skipped, DbgPrint is kept', () => {
    const file = out();
    const driver = buildDriver('bugcheck', 'x64');
    const r = kdemu(['run', driver.path, '--ioctl', '0x222000', '--junit', file]);
    expect(r.code).toBe(1);
    const xml = readFileSync(file, 'utf8');
    expect(verdicts(xml)).toEqual({
      DriverEntry: 'failure:bugcheck',
      'ioctl 0x222000': 'skipped',
      DriverUnload: 'skipped',
      leaks: 'skipped',
      outcome: 'failure:bugcheck',
    });
    const failure = caseEl(xml, 'DriverEntry').children.find((c) => c.name === 'failure')!;
    expect(failure.attrs.message).toMatch(/^bugcheck: KeBugCheckEx\(0xDEADBEEF\) from bugcheck\.sys\+0x[0-9a-f]+$/);
    expect(failure.text).toContain('bugcheck 0xDEADBEEF 0xDEADBEEF (0x1, 0x2, 0x3, 0x4)');
    const suite = findAll(parseXml(xml), 'testsuite')[0];
    expect(text(suite, 'system-out')).toBe('about to bugcheck\n');
    expect(text(caseEl(xml, 'outcome'), 'system-out')).toBe('DbgPrint:\nabout to bugcheck\n');
  });

  it('a bugcheck in an operation fails that operation; later ones are skipped', () => {
    const file = out();
    const driver = buildDriver('leaky', 'x64', { defines: { WAIT_AT_DISPATCH: true } });
    const r = kdemu(['run', driver.path, '--ioctl', '0x222000', '--read', '1', '--junit', file]);
    expect(r.code).toBe(1);
    const xml = readFileSync(file, 'utf8');
    expect(verdicts(xml)).toEqual({
      DriverEntry: 'pass',
      'open KdLeaky': 'pass',
      'ioctl 0x222000': 'failure:bugcheck',
      'read 1': 'skipped',
      DriverUnload: 'skipped',
      leaks: 'skipped',
      outcome: 'failure:bugcheck',
    });
    expect(caseEl(xml, 'ioctl 0x222000').children.find((c) => c.name === 'failure')!.attrs.message).toMatch(/IRQL_NOT_LESS_OR_EQUAL|would wait at IRQL 2/);
  });

  it('leaks fail the leak check, listing each; a request pended without IoMarkIrpPending fails its operation', () => {
    const file = out();
    const leaky = buildDriver('leaky', 'x64');
    const r = kdemu(['run', leaky.path, '--overlapped', '--read', '4', '--junit', file]);
    expect(r.code).toBe(0);
    const xml = readFileSync(file, 'utf8');
    expect(verdicts(xml)).toEqual({ DriverEntry: 'pass', 'open KdLeaky': 'pass', 'read 4': 'pass', DriverUnload: 'pass', leaks: 'failure:leak', outcome: 'pass' });
    const failure = caseEl(xml, 'leaks').children.find((c) => c.name === 'failure')!;
    expect(failure.attrs.message).toMatch(/^\d+ left after unload: .*\birp\b/);
    expect(failure.text).toMatch(/^irp: IRP_MJ_READ IRP 0x[0-9A-F]+ to \\Device\\KdLeaky, still pending/m);
    expect(failure.text).toMatch(/^timer: /m);
    expect(text(caseEl(xml, 'read 4'), 'system-out')).toContain('never completed');

    const file2 = out();
    const unmarked = buildDriver('leaky', 'x64', { defines: { UNMARKED: true } });
    expect(kdemu(['run', unmarked.path, '--overlapped', '--read', '4', '--junit', file2]).code).toBe(0);
    const xml2 = readFileSync(file2, 'utf8');
    expect(verdicts(xml2)['read 4']).toBe('failure:misbehaviour');
    expect(caseEl(xml2, 'read 4').children.find((c) => c.name === 'failure')!.attrs.message).toMatch(/returned STATUS_PENDING without IoMarkIrpPending/);
  });

  it('a fault in DriverEntry with --no-unload: no DriverUnload case', () => {
    const file = out();
    const driver = buildDriver('nullwrite', 'x86');
    expect(kdemu(['run', driver.path, '--no-unload', '--junit', file]).code).toBe(1);
    expect(verdicts(readFileSync(file, 'utf8'))).toEqual({ DriverEntry: 'failure:fault', leaks: 'skipped', outcome: 'failure:fault' });
  });

  it('a file that cannot be written is bad input before the run: exit 2, one line, no report', () => {
    for (const bad of [path.join(dir, 'no-such-dir', 'r.xml'), dir]) {
      const r = kdemu(['run', sample('x64', 'ioctl.sys'), '--junit', bad]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^kdemu: --junit .* cannot write \\((ENOENT|EISDIR)\\)\\n$`));
    }
    expect(existsSync(path.join(dir, 'no-such-dir'))).toBe(false);
  });

  it('bad input found after the check (a --load file missing) still leaves a well-formed report saying why', () => {
    const file = out();
    const r = kdemu(['run', sample('x64', 'ioctl.sys'), '--load', path.join(dir, 'missing.sys'), '--junit', file]);
    expect(r.code).toBe(2);
    const xml = readFileSync(file, 'utf8');
    expect(verdicts(xml)).toEqual({ kdemu: 'error:bad-input' });
    expect(caseEl(xml, 'kdemu').children[0].attrs.message).toMatch(/missing\.sys: no such file/);
  });
});

const request = (over: Partial<JunitRequest> = {}): JunitRequest => ({ operations: [], load: [], noUnload: false, ...over });

describe('junitXml', () => {
  it('escapes markup and spells out the characters XML 1.0 cannot hold, in text and attributes', () => {
    expect(xmlEscape('a<b>&"\'')).toBe('a&lt;b&gt;&amp;&quot;&apos;');
    expect(xmlEscape('\x00\x07\x1b\t\n\r\x7f')).toBe('\\x00\\x07\\x1b\t\n&#13;\x7f');
    expect(xmlEscape('\t\n\r', true)).toBe('&#9;&#10;&#13;');
    expect(xmlEscape('\ud83d\ude00 \ud800 \udc00 \ufffe')).toBe('\ud83d\ude00 \\ud800 \\udc00 \\ufffe');
    const nasty = 'bell\x07 esc\x1b[31m nul\x00 ]]> </system-out> &amp; \ud800 ok\n';
    const report = blankReport({
      outcome: 'bugcheck',
      driverEntry: null,
      dbgPrint: [nasty, 'crlf\r\n'],
      stop: { reason: `KeBugCheckEx from "d.sys" <${nasty}>` },
      unload: { called: false, leaks: [] },
      stats: { engine: 'wasm', instructions: 0, apiCalls: 0, wallMs: 1234.5 },
    });
    const xml = junitXml(report, request());
    const root = parseXml(xml);
    expect(text(findAll(root, 'testsuite')[0], 'system-out')).toBe('bell\\x07 esc\\x1b[31m nul\\x00 ]]> </system-out> &amp; \\ud800 ok\ncrlf\r\n');
    const failure = caseEl(xml, 'DriverEntry').children.find((c) => c.name === 'failure')!;
    expect(failure.attrs.message).toBe('bugcheck: KeBugCheckEx from "d.sys" <bell\\x07 esc\\x1b[31m nul\\x00 ]]> </system-out> &amp; \\ud800 ok\n>');
    expect(findAll(root, 'testsuite')[0].attrs.time).toBe('1.234');
  });

  it('a stop before the first I/O names the operation and the open the run does by itself before it', () => {
    const report = blankReport({ outcome: 'fault', stop: { reason: 'read of 0x0' }, unload: { called: false, leaks: [] } });
    const xml = junitXml(report, request({ operations: [{ op: 'ioctl', code: 0x222000, input: new Uint8Array(0), outputLength: 0 }] }));
    expect(verdicts(xml)).toEqual({ DriverEntry: 'pass', 'ioctl 0x222000': 'failure:fault', DriverUnload: 'skipped', leaks: 'skipped', outcome: 'failure:fault' });
    expect(text(caseEl(xml, 'ioctl 0x222000'), 'system-out')).toMatch(/or the open of the device before it/);
  });

  it('a stop after every operation is put on the unload routine', () => {
    const report = blankReport({
      outcome: 'fault',
      stop: { reason: 'write of 0x10' },
      ops: [{ op: 'wait', ms: 5, status: '0x00000000', win32Error: 0 }],
      unload: { called: false, leaks: [] },
    });
    expect(verdicts(junitXml(report, request({ operations: [{ op: 'wait', ms: 5 }] })))).toEqual({
      DriverEntry: 'pass',
      'wait 5 ms': 'pass',
      DriverUnload: 'failure:fault',
      leaks: 'skipped',
      outcome: 'failure:fault',
    });
  });

  it('an error status from DriverEntry passes; what it leaves behind is a leak; nothing after it ran', () => {
    const report = blankReport({ driverEntry: { status: '0xC0000001' }, unload: { called: false, leaks: [{ kind: 'device', detail: '\\Device\\X' }] } });
    expect(verdicts(junitXml(report, request({ operations: [{ op: 'read', length: 1 }], load: ['more/b.sys'] })))).toEqual({
      DriverEntry: 'pass',
      'DriverEntry b.sys': 'skipped',
      'read 1': 'skipped',
      DriverUnload: 'skipped',
      leaks: 'failure:leak',
      outcome: 'pass',
    });
  });

  it('a client program: its exit code is its verdict; a fault in it is the stop, and the driver still unloads', () => {
    const client = { path: 'c.exe', arch: 'x64' as const, exitCode: 0, stdout: 'hi\x01\n', stderr: '', stdoutHex: '', stderrHex: '', notes: [] };
    const ok = junitXml(blankReport({ client }), request({ client: 'bin/c.exe' }));
    expect(verdicts(ok)).toEqual({ DriverEntry: 'pass', 'client c.exe': 'pass', DriverUnload: 'pass', leaks: 'pass', outcome: 'pass' });
    expect(text(caseEl(ok, 'client c.exe'), 'system-out')).toBe('exit code 0\nstdout:\nhi\\x01\n');
    expect(verdicts(junitXml(blankReport({ client: { ...client, exitCode: 3 } }), request({ client: 'c.exe' })))['client c.exe']).toBe('failure:exit-code');
    const fault = blankReport({ client: { ...client, exitCode: null }, outcome: 'client-fault', stop: { reason: 'access violation', pc: '0x401000' } });
    expect(verdicts(junitXml(fault, request({ client: 'c.exe' })))).toEqual({
      DriverEntry: 'pass',
      'client c.exe': 'failure:client-fault',
      DriverUnload: 'pass',
      leaks: 'pass',
      outcome: 'failure:client-fault',
    });
  });

  it('an internal error is an <error>, and a run that ended without a report leaves one errored case', () => {
    const report = blankReport({ outcome: 'internal-error', stop: { reason: 'kdemu failed internally', internal: { where: 'x', error: 'y' } }, unload: { called: false, leaks: [] } });
    expect(verdicts(junitXml(report, request()))).toMatchObject({ DriverUnload: 'error:internal-error', outcome: 'error:internal-error' });
    const file = out();
    openJunit(file).failed('d.sys', new Error('boom'));
    const xml = readFileSync(file, 'utf8');
    expect(verdicts(xml)).toEqual({ kdemu: 'error:internal-error' });
    expect(caseEl(xml, 'kdemu').children[0].attrs.message).toMatch(/^internal error in .*boom/);
  });
});
