// --junit FILE: the run's report as JUnit XML, the format CI services (GitHub, GitLab, Jenkins) show as test results.
//
// Test cases: DriverEntry (and each --load driver's), the client program, one per operation, the unload routine, the
// leak check, and the run's outcome. What a driver returns is data, not a failure: an error status from DriverEntry
// or from an operation passes. A case fails when the run stopped abnormally inside it, when kdemu noted driver
// misbehaviour during it, when leaks remain after unload, and (the outcome case) unless the run completed. A case the
// run never reached is skipped. An internal error of kdemu is an <error>, not a <failure>.

import { closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PeFormatError } from '../emu/pe/index.js';
import { EngineUnavailableError } from '../emu/engine.js';
import { InputError } from '../hal/errors.js';
import { internalErrorLine } from '../hal/internal.js';
import type { Operation, OpReport, Report } from '../hal/report.js';

/** What the command line asked for, beside the report: the report alone does not say where a run stopped. */
export interface JunitRequest {
  operations: readonly Operation[];
  /** --load drivers, in order. */
  load: readonly string[];
  /** --client program. */
  client?: string;
  noUnload: boolean;
}

interface Case {
  name: string;
  failure?: { message: string; type: string; text: string };
  error?: { message: string; type: string; text: string };
  skipped?: string;
  out?: string;
}

/**
 * Text as XML 1.0 may hold it: the five markup characters as entities; characters XML 1.0 forbids even as
 * references (C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF) spelled out as \xNN / \uNNNN so
 * the report stays well-formed and still shows what the driver printed. CR is always a reference (line-end
 * normalisation would drop it), and so are tab and LF in attributes (attribute-value normalisation makes them spaces).
 */
export function xmlEscape(text: string, attribute = false): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + text[i + 1];
        i++;
        continue;
      }
    }
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    // A parser turns a literal CR (CR LF) into LF: a reference keeps it.
    else if (c === 0x0d) out += '&#13;';
    else if (c === 0x09 || c === 0x0a) out += attribute ? `&#${c};` : ch;
    else if (c < 0x20) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** The name an operation's test case has, from its report: "ioctl 0x222000", "read 10", "open KdIoctl". */
function opName(op: OpReport): string {
  switch (op.op) {
    case 'open':
      return `open ${op.name ?? ''}`;
    case 'read':
      return `read ${op.length ?? 0}`;
    case 'write':
      return `write ${op.length ?? 0} bytes`;
    case 'ioctl':
      return `ioctl ${op.code ?? ''}`;
    case 'wait':
      return `wait ${op.ms ?? 0} ms`;
    case 'spawn':
      return `spawn ${op.image ?? ''}`;
    case 'kill':
      return `kill ${op.pid ?? ''}`;
    default:
      return op.op;
  }
}

/** The same name for an operation that has no report (the run stopped in it). */
function requestedName(op: Operation): string {
  switch (op.op) {
    case 'open':
      return `open ${op.name}`;
    case 'open-interface':
      return `open ${op.guid}`;
    case 'read':
      return `read ${op.length}`;
    case 'write':
      return `write ${op.data.length} bytes`;
    case 'ioctl':
      return `ioctl 0x${(op.code >>> 0).toString(16)}`;
    case 'wait':
      return `wait ${op.ms} ms`;
    case 'spawn':
      return `spawn ${op.image}`;
    case 'kill':
      return `kill ${op.pid}`;
    default:
      return op.op;
  }
}

/** What an operation returned, for the case's output. */
function opOutput(op: OpReport): string {
  const lines = [`status ${op.status} (win32 error ${op.win32Error})`];
  if (op.information !== undefined) lines.push(`information ${op.information}`);
  if (op.data) lines.push(`data ${op.data}${op.dataBytes !== undefined ? ` ... (${op.dataBytes} bytes, sha256 ${op.dataSha256})` : ''}`);
  if (op.pid !== undefined && op.op === 'spawn') lines.push(`pid ${op.pid}`);
  if (op.completion !== undefined) {
    const c = op.completion;
    lines.push(c ? `completed later: status ${c.status}, information ${c.information}, at ${c.atMs} ms` : 'never completed');
  }
  if (op.note) lines.push(`note: ${op.note}`);
  return lines.join('\n');
}

/** Where and why the run stopped, as a failure's text. */
function stopText(report: Report): string {
  const s = report.stop;
  if (!s) return '';
  const lines = [`${report.outcome}: ${s.reason}`];
  if (s.bugcheck) lines.push(`bugcheck ${s.bugcheck.code} ${s.bugcheck.name} (${s.bugcheck.params.join(', ')})`);
  if (s.pc) lines.push(`at ${s.pc}${s.module ? ` (${s.module}+${s.offset})` : ''}${s.instruction ? `: ${s.instruction}` : ''}`);
  if (s.fault) lines.push(`${s.fault.access} of ${s.fault.address}`);
  if (s.export) lines.push(`call ${s.export}`);
  if (s.internal) lines.push(`internal error in ${s.internal.where}: ${s.internal.error}`);
  if (s.stack?.length) lines.push('stack:', ...s.stack.map((f) => `  ${f}`));
  return lines.join('\n');
}

function stopCase(name: string, report: Report, out?: string): Case {
  const detail = { message: `${report.outcome}: ${report.stop?.reason ?? ''}`, type: report.outcome, text: stopText(report) };
  return report.outcome === 'internal-error' ? { name, error: detail, out } : { name, failure: detail, out };
}

function statusLine(status: string): string {
  return `returned ${status}`;
}

/** Unique names: a repeated name gets " #2", " #3" ... so CI services keep each case's history apart. */
function uniqueNames(cases: Case[]): void {
  const seen = new Map<string, number>();
  for (const c of cases) {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    if (n > 1) c.name = `${c.name} #${n}`;
  }
}

/** The test cases of a run, in the order things happened. */
export function junitCases(report: Report, request: JunitRequest): Case[] {
  const cases: Case[] = [];
  const stopped = report.stop !== null;
  // Set once the case where the run stopped is found: every later phase was never reached.
  let stopPlaced = false;
  const notReached = 'the run stopped before this';

  // DriverEntry: the report has no status for it only when the run stopped inside it.
  if (report.driverEntry === null) {
    cases.push(stopCase('DriverEntry', report));
    stopPlaced = true;
  } else {
    cases.push({ name: 'DriverEntry', out: statusLine(report.driverEntry.status) });
  }
  const entryFailed = report.driverEntry !== null && (parseInt(report.driverEntry.status, 16) | 0) < 0;
  const skipAfterEntry = entryFailed ? `DriverEntry returned ${report.driverEntry!.status}: the driver was not loaded` : notReached;

  request.load.forEach((file, i) => {
    const name = `DriverEntry ${path.basename(file)}`;
    const loaded = report.loaded[i];
    if (loaded) cases.push({ name, out: statusLine(loaded.driverEntry.status) });
    else if (stopped && !stopPlaced && !entryFailed) {
      cases.push(stopCase(name, report));
      stopPlaced = true;
    } else cases.push({ name, skipped: stopPlaced ? notReached : skipAfterEntry });
  });

  if (request.client !== undefined) {
    const name = `client ${path.basename(request.client)}`;
    const c = report.client;
    if (!c) cases.push({ name, skipped: stopPlaced ? notReached : skipAfterEntry });
    else {
      const out = [`exit code ${c.exitCode ?? 'none'}`, ...(c.stdout ? ['stdout:', c.stdout] : []), ...(c.stderr ? ['stderr:', c.stderr] : []), ...c.notes.map((n) => `note: ${n}`)].join('\n');
      if (c.exitCode === null && stopped && !stopPlaced) {
        cases.push(stopCase(name, report, out));
        stopPlaced = true;
      } else if (c.notes.length) {
        cases.push({ name, failure: { message: c.notes[0], type: 'misbehaviour', text: c.notes.join('\n') }, out });
      } else if (c.exitCode !== 0) {
        // A test program's exit code is its verdict.
        cases.push({ name, failure: { message: `the program exited with ${c.exitCode}`, type: 'exit-code', text: out }, out });
      } else cases.push({ name, out });
    }
  }

  // Operations: each requested one gives one reported op, and the run may add one open of the driver's first
  // symbolic link before the first I/O; the first requested op without a report is where the run stopped.
  const ops = report.ops;
  let i = 0;
  for (const want of request.operations) {
    while (i < ops.length && ops[i].op === 'open' && want.op !== 'open' && want.op !== 'open-interface') {
      cases.push(opCase(ops[i++]));
    }
    if (i < ops.length) {
      cases.push(opCase(ops[i++]));
    } else if (stopped && !stopPlaced && report.driverEntry !== null && !entryFailed) {
      const c = stopCase(requestedName(want), report);
      if (['read', 'write', 'ioctl', 'cancel'].includes(want.op) && !ops.some((o) => o.op === 'open')) {
        // The stop may have come in the open the run does by itself before the first I/O.
        c.out = 'the run stopped during this operation (or the open of the device before it)';
      }
      cases.push(c);
      stopPlaced = true;
    } else {
      cases.push({ name: requestedName(want), skipped: stopPlaced ? notReached : skipAfterEntry });
    }
  }
  for (; i < ops.length; i++) cases.push(opCase(ops[i]));

  // Unload and the leak check run after a stop on the client program's side; any other stop ends the machine first.
  const machineGone = stopped && !clientSideStop(report);
  if (!request.noUnload) {
    const name = 'DriverUnload';
    if (report.unload.called) cases.push({ name });
    else if (entryFailed) cases.push({ name, skipped: skipAfterEntry });
    else if (machineGone && stopPlaced) cases.push({ name, skipped: notReached });
    else if (machineGone) {
      // Every operation returned: the stop came in the unload routine, or in a thread, timer or DPC before it.
      cases.push(stopCase(name, report, 'the run stopped after the last operation, before the unload routine returned'));
      stopPlaced = true;
    } else cases.push({ name, skipped: 'the driver has no unload routine' });
  }

  // After a failed DriverEntry too: Windows calls no unload routine then, so whatever it left is leaked.
  const leakName = 'leaks';
  const leaks = report.unload.leaks;
  if (leaks.length) {
    const lines = leaks.map((l) => `${l.kind}: ${l.detail}${l.target ? ` -> ${l.target}` : ''}${l.driver ? ` (driver ${l.driver})` : ''}${l.caller ? ` from ${l.caller}` : ''}`);
    cases.push({ name: leakName, failure: { message: `${leaks.length} left after unload: ${[...new Set(leaks.map((l) => l.kind))].join(', ')}`, type: 'leak', text: lines.join('\n') } });
  } else if (machineGone) {
    cases.push({ name: leakName, skipped: 'the run stopped before the leak check' });
  } else {
    cases.push({ name: leakName });
  }

  // The outcome carries the driver's DbgPrint output: some services (GitLab) only show a test case's own output.
  const out = report.dbgPrint.length ? `DbgPrint:\n${report.dbgPrint.join('')}` : undefined;
  cases.push(report.outcome === 'completed' ? { name: 'outcome', out } : stopCase('outcome', report, out));
  uniqueNames(cases);
  return cases;
}

/**
 * Whether a stop was on the client program's side (its own fault, a user-mode DLL function, user-mode code), after
 * which the run goes on to unload; the same rule the run applies, read back from the report.
 */
function clientSideStop(report: Report): boolean {
  const s = report.stop;
  if (!s || report.client === null) return false;
  if (report.outcome === 'client-fault') return true;
  if (report.outcome === 'bugcheck' || report.outcome === 'internal-error' || (report.outcome as string) === 'trace-limit') return false;
  if (s.export && /^(kernel32|msvcrt|ucrtbase|ntdll)\.dll!/i.test(s.export)) return true;
  if (s.pc === undefined) return false;
  const userTop = report.driver.arch === 'x64' ? 0x800000000000n : 0x80000000n;
  return BigInt(s.pc) < userTop;
}

function opCase(op: OpReport): Case {
  const c: Case = { name: opName(op), out: opOutput(op) };
  if (op.note) c.failure = { message: op.note, type: 'misbehaviour', text: opOutput(op) };
  return c;
}

/** The class name CI services group the cases by: the driver file, without dots (Jenkins reads them as packages). */
function className(driverPath: string): string {
  return `kdemu.${path.basename(driverPath).replace(/\./g, '_')}`;
}

function element(c: Case, classname: string): string {
  const open = `    <testcase classname="${xmlEscape(classname, true)}" name="${xmlEscape(c.name, true)}" time="0"`;
  const body: string[] = [];
  const detail = (tag: string, d: { message: string; type: string; text: string }) =>
    `      <${tag} message="${xmlEscape(d.message, true)}" type="${xmlEscape(d.type, true)}">${xmlEscape(d.text)}</${tag}>`;
  if (c.failure) body.push(detail('failure', c.failure));
  if (c.error) body.push(detail('error', c.error));
  if (c.skipped !== undefined) body.push(`      <skipped message="${xmlEscape(c.skipped, true)}"/>`);
  if (c.out) body.push(`      <system-out>${xmlEscape(c.out)}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`;
}

function document(suiteName: string, classname: string, cases: Case[], seconds: number, out: string | undefined): string {
  const count = (f: (c: Case) => boolean) => cases.filter(f).length;
  const attrs = `name="${xmlEscape(suiteName, true)}" tests="${cases.length}" failures="${count((c) => !!c.failure)}" errors="${count((c) => !!c.error)}" skipped="${count((c) => c.skipped !== undefined)}" time="${seconds.toFixed(3)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs}>`,
    `  <testsuite ${attrs}>`,
    ...cases.map((c) => element(c, classname)),
    ...(out ? [`    <system-out>${xmlEscape(out)}</system-out>`] : []),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The JUnit XML document of a run: one suite named after the driver; its output is the driver's DbgPrint lines. */
export function junitXml(report: Report, request: JunitRequest): string {
  const cases = junitCases(report, request);
  return document(`kdemu ${report.driver.path}`, className(report.driver.path), cases, report.stats.wallMs / 1000, report.dbgPrint.join('') || undefined);
}

/** When there is no report (bad input found late, a bug in kdemu): one errored case, so CI shows why. */
export function junitErrorXml(driverPath: string, message: string, type: 'bad-input' | 'internal-error'): string {
  const c: Case = { name: 'kdemu', error: { message, type, text: message } };
  return document(`kdemu ${driverPath}`, className(driverPath), [c], 0, undefined);
}

/** The --junit file of one run: checked before the run, written once at its end, whatever the end. */
export interface JunitFile {
  /** The run's report. */
  report(report: Report, request: JunitRequest): void;
  /** The run ended without a report (the error escapes to the command line, which exits 2 or 3). */
  failed(driverPath: string, e: unknown): void;
}

/**
 * Creates (empties) FILE now, so a path that cannot be written is bad input before the run rather than a lost
 * result after it: InputError, exit 2.
 */
export function openJunit(file: string): JunitFile {
  const cannot = (e: unknown) => new InputError(`--junit ${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  try {
    closeSync(openSync(file, 'w'));
  } catch (e) {
    throw cannot(e);
  }
  let written = false;
  const write = (xml: string) => {
    if (written) return;
    written = true;
    try {
      writeFileSync(file, xml);
    } catch (e) {
      throw cannot(e);
    }
  };
  return {
    report: (report, request) => write(junitXml(report, request)),
    failed: (driverPath, e) => {
      const bad = e instanceof InputError || e instanceof PeFormatError || e instanceof EngineUnavailableError;
      try {
        write(junitErrorXml(driverPath, bad ? (e as Error).message : internalErrorLine(e), bad ? 'bad-input' : 'internal-error'));
      } catch {
        // The run's own error is the one to report.
      }
    },
  };
}
