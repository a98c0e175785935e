// --timeline FILE.json: the run as Chrome trace-event JSON on the virtual clock, checked against the format's rules
// (the Trace Event Format document; no trace processor is at hand, so the rules viewers rely on are checked here).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { USAGE, UsageError, parseCommand } from '../../bin/args.js';
import { MACHINE_PID, TimelineBuilder, type ChromeEvent } from '../../bin/timeline.js';
import type { TraceEvent } from '../../hal/report.js';
import type { TraceContext } from '../../hal/trace.js';
import { kdemu, sample } from '../helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Event extends ChromeEvent {
  ts: number;
}

/** Reads a timeline file: the JSON object form, its events in file order. */
function load(file: string): { doc: Record<string, unknown>; events: Event[] } {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  expect(Array.isArray(doc.traceEvents)).toBe(true);
  return { doc, events: doc.traceEvents as Event[] };
}

/**
 * The format's rules, as viewers apply them: every event has a phase, a name and a pid; timed events a numeric ts;
 * duration events (B/E) balance per thread, E closing the innermost B, in ts order; complete events (X) have a
 * duration and, with the B/E slices, nest (no two slices of a thread overlap partly); thread-scoped events of a track
 * come in ts order; async events (b/e) pair by cat and id; counters carry numeric values; every track is named.
 */
function validate(events: Event[]): void {
  const open = new Map<number, Event[]>();
  const slices = new Map<number, [number, number, string][]>();
  const lastTs = new Map<number, number>();
  const asyncOpen = new Map<string, Event[]>();
  const named = new Set<number>();
  const used = new Set<number>();
  let processNamed = false;
  let lastCounter = -Infinity;
  const slice = (tid: number, from: number, to: number, name: string) => {
    if (!slices.has(tid)) slices.set(tid, []);
    slices.get(tid)!.push([from, to, name]);
  };
  for (const e of events) {
    const where = JSON.stringify(e);
    expect(typeof e.ph, where).toBe('string');
    expect(typeof e.name, where).toBe('string');
    expect(e.pid, where).toBe(MACHINE_PID);
    if (e.ph === 'M') {
      expect(e.args && typeof e.args === 'object', where).toBe(true);
      if (e.name === 'process_name') processNamed = typeof e.args!.name === 'string';
      if (e.name === 'thread_name') {
        expect(typeof e.args!.name, where).toBe('string');
        named.add(e.tid!);
      }
      continue;
    }
    expect(Number.isFinite(e.ts) && e.ts >= 0, where).toBe(true);
    if (e.tid !== undefined) used.add(e.tid);
    switch (e.ph) {
      case 'B':
      case 'E':
      case 'i': {
        const tid = e.tid!;
        if (e.ph !== 'i' || e.s === 't') {
          expect(e.ts, `ts goes back on track ${tid}: ${where}`).toBeGreaterThanOrEqual(lastTs.get(tid) ?? 0);
          lastTs.set(tid, e.ts);
        }
        if (e.ph === 'i') {
          expect(['g', 'p', 't'], where).toContain(e.s);
          break;
        }
        const stack = open.get(tid) ?? [];
        open.set(tid, stack);
        if (e.ph === 'B') stack.push(e);
        else {
          const b = stack.pop();
          expect(b, `E without B: ${where}`).toBeDefined();
          expect(e.name, where).toBe(b!.name);
          slice(tid, b!.ts, e.ts, b!.name);
        }
        break;
      }
      case 'X':
        expect(typeof e.dur === 'number' && e.dur >= 0, where).toBe(true);
        slice(e.tid!, e.ts, e.ts + e.dur!, e.name);
        break;
      case 'b':
      case 'e': {
        expect(typeof e.cat === 'string' && typeof e.id === 'string', where).toBe(true);
        const key = `${e.cat}/${e.id}`;
        const stack = asyncOpen.get(key) ?? [];
        asyncOpen.set(key, stack);
        if (e.ph === 'b') stack.push(e);
        else {
          const b = stack.pop();
          expect(b, `e without b: ${where}`).toBeDefined();
          expect(e.name, where).toBe(b!.name);
          expect(e.ts, where).toBeGreaterThanOrEqual(b!.ts);
        }
        break;
      }
      case 'C':
        expect(Object.keys(e.args ?? {}).length, where).toBeGreaterThan(0);
        for (const v of Object.values(e.args!)) expect(typeof v === 'number' && Number.isFinite(v), where).toBe(true);
        expect(e.ts, where).toBeGreaterThanOrEqual(lastCounter);
        lastCounter = e.ts;
        break;
      default:
        throw new Error(`unexpected phase: ${where}`);
    }
  }
  expect(processNamed).toBe(true);
  for (const [tid, stack] of open) expect(stack.map((b) => b.name), `B without E on ${tid}`).toEqual([]);
  for (const [key, stack] of asyncOpen) expect(stack.length, `b without e: ${key}`).toBe(0);
  for (const tid of used) expect(named.has(tid), `track ${tid} has no thread_name`).toBe(true);
  // Slices of one thread nest: sorted by start (the longer first at a tie), each lies inside the enclosing one.
  const EPS = 1e-6;
  for (const [tid, list] of slices) {
    list.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const stack: [number, number, string][] = [];
    for (const s of list) {
      while (stack.length && stack[stack.length - 1][1] <= s[0] + EPS) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent) expect(s[1], `on ${tid}, ${s[2]} [${s[0]}, ${s[1]}] overlaps ${parent[2]} [${parent[0]}, ${parent[1]}]`).toBeLessThanOrEqual(parent[1] + EPS);
      stack.push(s);
    }
  }
}

/** IRP async slices: b/e pairs by id, in order, with their spans in µs. */
function irpSpans(events: Event[]): { name: string; id: string; from: number; to: number; end: Event }[] {
  const open = new Map<string, Event[]>();
  const out: { name: string; id: string; from: number; to: number; end: Event }[] = [];
  for (const e of events) {
    if (e.cat !== 'irp' || (e.ph !== 'b' && e.ph !== 'e')) continue;
    const stack = open.get(e.id!) ?? [];
    open.set(e.id!, stack);
    if (e.ph === 'b') stack.push(e);
    else {
      const b = stack.pop()!;
      out.push({ name: b.name, id: e.id!, from: b.ts, to: e.ts, end: e });
    }
  }
  return out;
}

describe('--timeline', () => {
  it('shows the async sample\'s read pended and completed by the 500 ms timer as an IRP slice of 500 ms virtual time', () => {
    const file = path.join(dir, 'async.json');
    const r = kdemu(['run', sample('x64', 'async.sys'), '--client', sample('x64', 'async_client.exe'), '--timeline', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('read B: timeout');
    const { doc, events } = load(file);
    expect(doc.displayTimeUnit).toBe('ns');
    validate(events);
    const reads = irpSpans(events).filter((s) => s.name === 'IRP_MJ_READ');
    // A (completed by the write), B (by the timer: "timeout", 7 bytes), C (cancelled).
    expect(reads).toHaveLength(3);
    const byTimer = reads.filter((s) => s.end.args?.information === '0x7');
    expect(byTimer).toHaveLength(1);
    const ms = (byTimer[0].to - byTimer[0].from) / 1000;
    expect(ms).toBeGreaterThanOrEqual(475);
    expect(ms).toBeLessThanOrEqual(525);
    // The others are short: completed by a write at once, cancelled without waiting.
    for (const s of reads) if (s !== byTimer[0]) expect(s.to - s.from).toBeLessThan(1000);
    // The timer's DPC completed it: a callback slice at the IRP's end, on the thread it ran on.
    const dpc = events.find((e) => e.ph === 'B' && e.name.startsWith('DPC '));
    expect(dpc).toBeDefined();
    expect(Math.abs(dpc!.ts - byTimer[0].to)).toBeLessThan(1000);
    // Tracks: DriverEntry's thread (System's) and the client's main thread, named.
    const names = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toContain('System: thread 0x8 (DriverEntry)');
    expect(names).toContain('async_client.exe: main thread 0x1a8');
    expect(events.find((e) => e.ph === 'B' && e.name === 'DriverEntry')?.tid).toBe(8);
    // Export calls with their decoded arguments, IRQL as a counter (raised to DISPATCH_LEVEL for the DPC).
    const create = events.find((e) => e.ph === 'X' && e.name === 'ntoskrnl.exe!IoCreateDevice');
    expect(create?.args).toMatchObject({ DeviceName: expect.stringContaining('KdAsync'), ret: '0x00000000' });
    const irql = events.filter((e) => e.ph === 'C' && e.name === 'IRQL').map((e) => e.args!.IRQL);
    expect(irql[0]).toBe(0);
    expect(irql).toContain(2);
    // The client's wait for read B spans the timer's 500 ms.
    const wait = events.find((e) => e.ph === 'X' && e.name === 'kernel32.dll!WaitForSingleObject' && e.dur! > 400_000);
    expect(wait?.tid).toBe(0x1a8);
  });

  it('closes what a stopped run left open: every B gets its E, an IRP never completed its e', () => {
    for (const [budget, outcome] of [[['--max-instructions', '3000'], 'instruction-limit'], [['--max-virtual-time', '100'], 'timeout']] as const) {
      const file = path.join(dir, `stopped-${outcome}.json`);
      const r = kdemu(['run', sample('x64', 'async.sys'), '--client', sample('x64', 'async_client.exe'), ...budget, '--timeline', file, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).outcome).toBe(outcome);
      const { events } = load(file);
      validate(events);
      expect(events.some((e) => e.ph === 'i' && e.name === `stop: ${outcome}` && e.s === 'g')).toBe(true);
    }
  });

  it('writes DbgPrint as instants with the text, and the threads a driver starts as tracks of their own', () => {
    const file = path.join(dir, 'pipe.json');
    const r = kdemu(['run', sample('x64', 'pipe.sys'), '--client', sample('x64', 'pipe_client.exe'), '--timeline', file]);
    expect(r.code).toBe(0);
    const { events } = load(file);
    validate(events);
    const threads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(threads.length).toBeGreaterThanOrEqual(3);
    const worker = threads.find((e) => /^System: thread 0x[0-9a-f]+ \(pipe\.sys\+0x[0-9a-f]+\)$/.test(String(e.args!.name)));
    expect(worker).toBeDefined();
    const prints = events.filter((e) => e.ph === 'i' && e.name === 'DbgPrint');
    expect(prints.length).toBeGreaterThan(0);
    for (const p of prints) expect(typeof p.args!.text).toBe('string');
    // The thread's 100 ms sleeps between ticks: calls it was suspended in, shown where they began.
    const sleeps = events.filter((e) => e.ph === 'X' && e.tid === worker!.tid && e.name === 'ntoskrnl.exe!KeDelayExecutionThread');
    expect(sleeps.length).toBeGreaterThanOrEqual(2);
    for (const s of sleeps) expect(s.dur! / 1000).toBeCloseTo(100, 0);
  });

  it('streams: events go out as they come, the builder keeping no more than the open slices', () => {
    const out: ChromeEvent[] = [];
    let ns = 0;
    let tid = 8;
    let depth = 0;
    const c = {
      get virtualNs() { return ns; },
      get tid() { return tid; },
      pid: 4,
      irql: 0,
      get depth() { return depth; },
      waitedNs: 0,
      depthOf: () => 0,
    } satisfies TraceContext;
    const b = new TimelineBuilder((e) => out.push(e), 'test');
    let seq = 0;
    const emit = (e: Omit<TraceEvent, 'seq'>) => b.write({ seq: seq++, ...e } as TraceEvent, c);
    emit({ type: 'callback', event: 'enter', routine: 'DriverEntry', target: 'x.sys+0x1000' });
    expect(out.map((e) => e.ph)).toEqual(['M', 'M', 'M', 'C', 'B']);
    ns = 5000;
    depth = 1;
    emit({ type: 'dbgprint', text: 'hello\n' });
    expect(out[out.length - 1]).toMatchObject({ ph: 'i', s: 't', name: 'DbgPrint', args: { text: 'hello\n' }, tid: 8 });
    emit({ type: 'call', export: 'ntoskrnl.exe!DbgPrint', args: { Format: '"hello"' }, ret: '0x0', caller: 'x.sys+0x1010', tid: 8 });
    // The call began before what it emitted.
    const call = out[out.length - 1];
    expect(call).toMatchObject({ ph: 'X', name: 'ntoskrnl.exe!DbgPrint', args: { Format: '"hello"', ret: '0x0' } });
    const print = out.find((e) => e.name === 'DbgPrint')!;
    expect(call.ts!).toBeLessThan(print.ts!);
    expect(call.ts! + call.dur!).toBeGreaterThan(print.ts!);
    // A thread suspended in a call (depth 0 when its event comes) shows the call from where it left the processor.
    emit({ type: 'thread', event: 'create', tid: 12, pid: 4, start: 'x.sys+0x1200' });
    tid = 12;
    ns = 6000;
    emit({ type: 'thread', event: 'switch', tid: 12, pid: 4, from: 8 });
    depth = 1;
    emit({ type: 'note', text: 'inside' });
    tid = 8;
    emit({ type: 'thread', event: 'switch', tid: 8, pid: 4, from: 12 });
    ns = 100_000_000;
    tid = 12;
    depth = 0;
    emit({ type: 'call', export: 'ntoskrnl.exe!KeWaitForSingleObject', args: {}, ret: '0x0', caller: 'x.sys+0x1220', tid: 12 });
    const wait = out[out.length - 1];
    expect(wait).toMatchObject({ ph: 'X', tid: 12 });
    // It began where the first thing inside it happened, before the thread left.
    expect(wait.ts!).toBeLessThan(out.find((e) => e.name === 'note')!.ts!);
    expect(wait.dur!).toBeGreaterThan(99_000);
    b.finish();
    // finish() ends DriverEntry's slice, which the run never left.
    expect(out[out.length - 1]).toMatchObject({ ph: 'E', name: 'DriverEntry', tid: 8 });
    validate(out.map((e) => ({ ...e, ts: e.ts ?? 0 })));
  });

  it('refuses a path it cannot write before the run, with one line, exit 2', () => {
    const r = kdemu(['run', sample('x64', 'async.sys'), '--timeline', path.join(dir, 'no', 'such', 'dir', 't.json')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kdemu: --timeline .*t\.json: cannot write \(ENOENT\)\n$/);
  });

  it('is an option of kdemu run, listed in --help, and wants a file', () => {
    const cmd = parseCommand(['run', 'd.sys', '--timeline', 't.json']);
    expect(cmd.cmd === 'run' && cmd.timeline).toBe('t.json');
    expect(USAGE).toMatch(/^ {2}--timeline FILE\.json +write a timeline/m);
    expect(() => parseCommand(['run', 'd.sys', '--timeline', '-'])).toThrow(UsageError);
    expect(() => parseCommand(['info', 'd.sys', '--timeline', 't.json'])).toThrow(/only applies to kdemu run/);
  });
});
