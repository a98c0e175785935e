// Vitest matchers for driver tests; importing this module registers them with expect.extend.
//
//   import 'kdemu/vitest';
//   expect(h.ioctl(0x222000, hex('0200000003000000'), 4)).toComplete({ status: 'SUCCESS', data: hex('05000000') });
//   expect(h.ioctl(0x222000)).toFailWith('INVALID_PARAMETER');
//   expect(d.unload()).toHaveNoLeaks();
//   expect(d.trace()).toHaveCalled('IoCreateDevice', { DeviceName: '\\Device\\KdIoctl' });
//   expect(d.trace()).toMatchTraceSnapshot();

import { expect, Snapshots } from 'vitest';
import type { MatcherState } from 'vitest';
import { bugcheckName } from '../hal/ke/bugcodes.js';
import { ntSuccess } from '../hal/rtl/ntstatus.js';
import { hex, statusCode, statusName, toHex, traceText, win32Code, type IoResult, type LeakReport, type Stop, type TraceEvent, type UnloadResult } from './index.js';

/** What toComplete checks; absent fields are not checked (status absent: any success that did not pend). */
export interface CompleteExpectation {
  /** An NT status name without STATUS_ ('SUCCESS', 'BUFFER_OVERFLOW'), with it, or the number. */
  status?: string | number;
  information?: number;
  /** The bytes returned: bytes, or hex text. */
  data?: Uint8Array | readonly number[] | string;
}

/** A value to compare an argument of a traced call with. */
export type ArgExpectation = string | number | bigint | boolean | RegExp | { asymmetricMatch(other: unknown): boolean };

export interface KdemuMatchers<R = void> {
  /** The request completed (not stopped) with these status, information and data. */
  toComplete(expected?: CompleteExpectation): R;
  /** The request failed: with this NT status (name or number above 0xFFFF) or Win32 error (ERROR_ name or number). */
  toFailWith(expected?: string | number): R;
  /** The unload left nothing behind (an UnloadResult, or a list of leaks). */
  toHaveNoLeaks(): R;
  /** The machine stopped with a bugcheck, of this code or name when given (a Driver, an I/O or unload result). */
  toHaveBugchecked(code?: string | number): R;
  /** The trace (or a Driver's) has a call to the export ('IoCreateDevice' or 'ntoskrnl.exe!IoCreateDevice') with these args. */
  toHaveCalled(exportName: string, args?: Record<string, ArgExpectation>): R;
  /** The trace (or a Driver's) as stable text (traceText) matches the stored snapshot. */
  toMatchTraceSnapshot(hint?: string): R;
}

declare module 'vitest' {
  // Typed on Assertion, so expect(x).toComplete() and friends type-check wherever this module is imported.
  interface Assertion<T = any> extends KdemuMatchers<void> {}
}

/** What a synchronous matcher returns. */
type Result = ReturnType<typeof Snapshots.toMatchSnapshot>;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function isIoResult(x: unknown): x is IoResult {
  return isObject(x) && typeof x.op === 'string' && typeof x.statusName === 'string';
}

function isUnloadResult(x: unknown): x is UnloadResult {
  return isObject(x) && typeof x.called === 'boolean' && Array.isArray(x.leaks);
}

/** A Driver, recognised by shape so that two copies of the library still work together. */
interface DriverLike {
  stop: Stop | undefined;
  trace(): TraceEvent[];
}

function isDriver(x: unknown): x is DriverLike {
  return isObject(x) && typeof x.trace === 'function' && typeof x.dbgPrint === 'function';
}

function wrongType(matcher: string, want: string, got: unknown): never {
  throw new TypeError(`${matcher}: expects ${want}, got ${typeof got === 'object' ? JSON.stringify(got)?.slice(0, 200) ?? String(got) : String(got)}`);
}

function describeStop(s: Stop): string {
  const bc = s.bugcheck ? ` (bugcheck ${hexCode(s.bugcheck.code)} ${s.bugcheck.name})` : '';
  return `${s.outcome} during ${s.during}${bc}: ${s.reason}${s.at ? ` at ${s.at}` : ''}`;
}

function hexCode(code: number): string {
  return '0x' + (code >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

function showStatus(status: number): string {
  return `${statusName(status)} (${hexCode(status)})`;
}

function summary(r: IoResult): string {
  if (r.stopped) return `the machine stopped: ${describeStop(r.stopped)}`;
  const parts = [showStatus(r.status)];
  if (r.win32Error) parts.push(`win32 error ${r.win32Error}${r.win32ErrorName && r.win32ErrorName !== String(r.win32Error) ? ` ${r.win32ErrorName}` : ''}`);
  parts.push(`information ${r.information}`, `data ${r.data.length ? toHex(r.data) : '(none)'}`);
  if (r.pending) parts.push('pending');
  if (r.note) parts.push(`note: ${r.note}`);
  return parts.join(', ');
}

function wantedStatus(matcher: string, s: string | number): number {
  const code = statusCode(s);
  if (code === undefined) throw new TypeError(`${matcher}: unknown NT status name '${s}' (use the name without STATUS_, or the number)`);
  return code;
}

function bytesOf(d: Uint8Array | readonly number[] | string): Uint8Array {
  return typeof d === 'string' ? hex(d) : Uint8Array.from(d);
}

function toComplete(this: MatcherState, received: unknown, expected: CompleteExpectation = {}): Result {
  if (!isIoResult(received)) wrongType('toComplete', 'the result of an operation (open, read, write, ioctl, close)', received);
  const r = received;
  const wants: string[] = [];
  const problems: string[] = [];
  if (r.stopped) {
    problems.push(`the machine stopped: ${describeStop(r.stopped)}`);
  } else {
    if (expected.status !== undefined) {
      const want = wantedStatus('toComplete', expected.status);
      wants.push(`status ${statusName(want)}`);
      if (r.status !== want) problems.push(`status is ${showStatus(r.status)}, expected ${showStatus(want)}`);
    } else {
      wants.push('success');
      if (!ntSuccess(r.status) || r.pending) problems.push(`status is ${showStatus(r.status)}, not a success`);
    }
    if (expected.information !== undefined) {
      wants.push(`information ${expected.information}`);
      if (r.information !== expected.information) problems.push(`information is ${r.information}, expected ${expected.information}`);
    }
    if (expected.data !== undefined) {
      const want = toHex(bytesOf(expected.data));
      wants.push(`data ${want || '(none)'}`);
      if (toHex(r.data) !== want) problems.push(`data is ${toHex(r.data) || '(none)'}, expected ${want || '(none)'}`);
    }
  }
  const pass = problems.length === 0;
  return {
    pass,
    message: () =>
      pass
        ? `expected ${r.op} not to complete with ${wants.join(', ')}, but it did: ${summary(r)}`
        : `expected ${r.op} to complete with ${wants.join(', ') || 'success'}:\n  ${problems.join('\n  ')}\n  got: ${summary(r)}`,
  };
}

function toFailWith(this: MatcherState, received: unknown, expected?: string | number): Result {
  if (!isIoResult(received)) wrongType('toFailWith', 'the result of an operation (open, read, write, ioctl, close)', received);
  const r = received;
  let want = 'a failure';
  let matches: (r: IoResult) => boolean = () => true;
  if (typeof expected === 'string' && /^ERROR_/i.test(expected.trim())) {
    const code = win32Code(expected);
    if (code === undefined) throw new TypeError(`toFailWith: unknown Win32 error name '${expected}'`);
    want = `Win32 error ${expected.trim().toUpperCase()} (${code})`;
    matches = (x) => x.win32Error === code;
  } else if (typeof expected === 'number' && expected >>> 0 <= 0xffff) {
    want = `Win32 error ${expected}`;
    matches = (x) => x.win32Error === expected;
  } else if (expected !== undefined) {
    const code = wantedStatus('toFailWith', expected);
    want = showStatus(code);
    matches = (x) => x.status === code;
  }
  // A pending request fails as Win32 sees it (ERROR_IO_PENDING), though STATUS_PENDING is a success status.
  const failed = !r.stopped && !Number.isNaN(r.status) && (!ntSuccess(r.status) || r.pending);
  const pass = failed && matches(r);
  return {
    pass,
    message: () => (pass ? `expected ${r.op} not to fail with ${want}, but it did: ${summary(r)}` : `expected ${r.op} to fail with ${want}\n  got: ${summary(r)}`),
  };
}

function leakLine(l: LeakReport): string {
  return `- ${l.kind}: ${l.detail}${l.caller ? ` (allocated at ${l.caller})` : ''}${l.driver ? ` [${l.driver}]` : ''}`;
}

function toHaveNoLeaks(this: MatcherState, received: unknown): Result {
  let leaks: LeakReport[];
  let stopped: Stop | undefined;
  let called: boolean | undefined;
  if (isUnloadResult(received)) {
    leaks = received.leaks;
    stopped = received.stopped;
    called = received.called;
  } else if (Array.isArray(received)) {
    leaks = received as LeakReport[];
  } else {
    wrongType('toHaveNoLeaks', 'the result of unload() or a list of leaks', received);
  }
  const pass = !stopped && leaks.length === 0;
  const how = called === false ? ' (the unload routine did not run)' : '';
  return {
    pass,
    message: () => {
      if (pass) return `expected leaks, but the driver left nothing behind${how}`;
      if (stopped) return `expected an unload without leaks, but the machine stopped before it could unload: ${describeStop(stopped)}`;
      return `expected an unload without leaks${how}, but the driver left ${leaks.length} behind:\n${leaks.map(leakLine).join('\n')}`;
    },
  };
}

function stopOf(matcher: string, x: unknown): { stop: Stop | undefined; what: string; running: string } {
  if (isDriver(x)) return { stop: x.stop, what: 'the driver', running: 'the machine is still running' };
  if (isIoResult(x)) return { stop: x.stopped, what: x.op, running: `it returned ${summary(x)}` };
  if (isUnloadResult(x)) return { stop: x.stopped, what: 'the unload', running: `the unload ${x.called ? 'ran' : 'did not run the unload routine'} with ${x.leaks.length} leak(s)` };
  wrongType(matcher, 'a Driver, the result of an operation, or of unload()', x);
}

function bugcheckMatches(code: number, want: string | number): boolean {
  if (typeof want === 'number') return code >>> 0 === want >>> 0;
  const w = want.trim().toUpperCase();
  if (/^0X[0-9A-F]+$/.test(w)) return code >>> 0 === parseInt(w, 16) >>> 0;
  return bugcheckName(code) === w;
}

function toHaveBugchecked(this: MatcherState, received: unknown, code?: string | number): Result {
  const { stop, what, running } = stopOf('toHaveBugchecked', received);
  const want = code === undefined ? 'a bugcheck' : `bugcheck ${typeof code === 'number' ? `${hexCode(code)} ${bugcheckName(code)}` : code}`;
  const pass = stop?.outcome === 'bugcheck' && stop.bugcheck !== undefined && (code === undefined || bugcheckMatches(stop.bugcheck.code, code));
  return {
    pass,
    message: () => {
      if (pass) return `expected ${what} not to stop with ${want}, but it did: ${describeStop(stop!)}`;
      return `expected ${what} to stop with ${want}, but ${stop ? `it stopped with ${describeStop(stop)}` : running}`;
    },
  };
}

type CallEvent = Extract<TraceEvent, { type: 'call' }>;

function traceOf(matcher: string, x: unknown): readonly TraceEvent[] {
  if (isDriver(x)) return x.trace();
  if (Array.isArray(x)) return x as TraceEvent[];
  wrongType(matcher, 'a trace (driver.trace()) or a Driver', x);
}

/** Whether an argument as the trace shows it ('0x1F "\\Device\\X"', '34', 'TRUE') is the one wanted. */
function argMatches(shown: string | undefined, want: ArgExpectation): boolean {
  if (shown === undefined) return false;
  if (want instanceof RegExp) return want.test(shown);
  if (typeof want === 'object') return want.asymmetricMatch(shown);
  if (typeof want === 'boolean') return shown === (want ? 'TRUE' : 'FALSE');
  const head = shown.split(' ')[0];
  if (typeof want === 'number' || typeof want === 'bigint') {
    if (!/^(0x[0-9a-f]+|-?\d+)$/i.test(head)) return false;
    return BigInt(head) === BigInt(want) || BigInt.asUintN(64, BigInt(head)) === BigInt.asUintN(64, BigInt(want));
  }
  if (shown === want || head.toLowerCase() === want.toLowerCase()) return true;
  // A string argument: the text after the pointer ("\\Device\\X"), or a quoted tag ('Tag1').
  const quoted = /^\S+ (".*")$/.exec(shown);
  if (quoted) {
    try {
      if (JSON.parse(quoted[1]) === want) return true;
    } catch {
      /* not JSON after all */
    }
  }
  return shown === `'${want}'`;
}

function callLine(c: CallEvent): string {
  return `#${c.seq} ${c.export}(${Object.entries(c.args).map(([n, v]) => `${n}=${v}`).join(', ')})${c.ret !== undefined ? ` = ${c.ret}` : ''} from ${c.caller}`;
}

function toHaveCalled(this: MatcherState, received: unknown, exportName: string, args?: Record<string, ArgExpectation>): Result {
  const trace = traceOf('toHaveCalled', received);
  const calls = trace.filter((e): e is CallEvent => e.type === 'call');
  const named = calls.filter((c) => c.export === exportName || c.export.endsWith(`!${exportName}`));
  const wanted = args ? Object.entries(args) : [];
  const hit = named.find((c) => wanted.every(([n, v]) => argMatches(c.args[n], v)));
  const pass = hit !== undefined;
  const withArgs = args ? ` with ${this.utils.stringify(args)}` : '';
  return {
    pass,
    message: () => {
      if (pass) return `expected no call to ${exportName}${withArgs}, but the trace has one:\n  ${callLine(hit!)}`;
      if (named.length === 0) {
        const names = [...new Set(calls.map((c) => c.export))];
        return `expected a call to ${exportName}${withArgs}, but the trace has none; it calls: ${names.length ? names.join(', ') : '(nothing)'}`;
      }
      const shown = named.slice(0, 10).map(callLine);
      if (named.length > 10) shown.push(`... and ${named.length - 10} more`);
      return `expected a call to ${exportName}${withArgs}, but none of its ${named.length} call(s) has those arguments:\n  ${shown.join('\n  ')}`;
    },
  };
}

function toMatchTraceSnapshot(this: MatcherState, received: unknown, hint?: string): Result {
  const text = traceText(traceOf('toMatchTraceSnapshot', received));
  return Snapshots.toMatchSnapshot.call(this, text, hint);
}

/** The matchers, for expect.extend in a setup of one's own (importing this module already registers them). */
export const kdemuMatchers = { toComplete, toFailWith, toHaveNoLeaks, toHaveBugchecked, toHaveCalled, toMatchTraceSnapshot };

expect.extend(kdemuMatchers);
