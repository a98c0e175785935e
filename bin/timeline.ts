// --timeline FILE.json: the run as a Chrome trace-event JSON file (ui.perfetto.dev, chrome://tracing) on the
// emulated machine's virtual clock. One process stands for the machine, one track per emulated thread: export calls
// and driver callbacks as slices, IRPs as async slices from sent to completed, IRQL as a counter, DbgPrint and the
// other trace events as instants. Events are written as they come (a bounded buffer), never held whole.

import { closeSync, openSync, writeSync } from 'node:fs';
import { InputError } from '../hal/errors.js';
import type { TraceEvent } from '../hal/report.js';
import type { TraceContext } from '../hal/trace.js';

/** The process id that stands for the emulated machine (its threads' ids are the emulated ones). */
export const MACHINE_PID = 1;

/** One event of the Trace Event Format. */
export interface ChromeEvent {
  ph: string;
  name: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: string;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

/** Past this depth a thread's nesting is not tracked (a guard: real call chains are far shorter). */
const MAX_DEPTH = 256;

interface OpenCallback {
  name: string;
  depth: number;
}

/** What the writer knows of one emulated thread's track. */
interface Track {
  tid: number;
  /** Start tick of the call open at depth i+1 once something inside it was seen (a call's own event comes at its end). */
  calls: (number | undefined)[];
  /** Callback slices begun and not yet ended, innermost last. */
  callbacks: OpenCallback[];
  /** The tick of the thread's last event, and the waited time then (a wait since shows in the next call). */
  lastTick: number;
  lastWaitedNs: number;
  /** Where the thread last left the processor: a call it was suspended in ends when it resumes. */
  awayTick?: number;
}

/**
 * Turns trace events into trace-event JSON objects, in order. Timestamps are the virtual clock in microseconds, to
 * the nanosecond (one instruction); events at the same instant are spread a nanosecond apart in emit order, so
 * slices nest as they happened whatever order a viewer sorts ties in.
 */
export class TimelineBuilder {
  private last = -1;
  private readonly tracks = new Map<number, Track>();
  private readonly threadStart = new Map<number, { pid: number; start?: string }>();
  private readonly images = new Map<number, string>();
  /** Open IRP async slices by IRP address: their names, innermost last (an IRP passed down is sent again). */
  private readonly irps = new Map<string, string[]>();
  private irql = -1;
  private lastNs = 0;

  constructor(
    private readonly out: (e: ChromeEvent) => void,
    title: string,
  ) {
    out({ ph: 'M', name: 'process_name', pid: MACHINE_PID, args: { name: title } });
  }

  /** The next tick: the virtual time in ns, or just after the last one when no time passed. */
  private tick(ns: number): number {
    this.last = Math.max(Math.floor(ns), this.last + 1);
    return this.last;
  }

  private track(tid: number, pid: number, first?: TraceEvent): Track {
    let t = this.tracks.get(tid);
    if (t) return t;
    t = { tid, calls: [], callbacks: [], lastTick: -1, lastWaitedNs: 0 };
    this.tracks.set(tid, t);
    this.out({ ph: 'M', name: 'thread_name', pid: MACHINE_PID, tid, args: { name: this.threadName(tid, pid, first) } });
    this.out({ ph: 'M', name: 'thread_sort_index', pid: MACHINE_PID, tid, args: { sort_index: this.tracks.size } });
    return t;
  }

  private threadName(tid: number, pid: number, first?: TraceEvent): string {
    const id = `0x${tid.toString(16)}`;
    const created = this.threadStart.get(tid);
    const image = this.images.get(created?.pid ?? pid);
    if (created) {
      const owner = created.pid === 4 ? 'System' : (image ?? `process ${created.pid}`);
      if (created.start && /ExpWorkerThread/.test(created.start)) return `${owner}: worker thread ${id}`;
      return `${owner}: thread ${id}${created.start ? ` (${created.start})` : ''}`;
    }
    // A thread that was never created in the run: the System process's initial thread, or the client's main thread.
    if (pid === 4) return `System: thread ${id}${first?.type === 'callback' && first.routine === 'DriverEntry' ? ' (DriverEntry)' : ''}`;
    return `${image ?? `process ${pid}`}: main thread ${id}`;
  }

  private emitAt(t: Track, e: Omit<ChromeEvent, 'pid' | 'tid'>): void {
    this.out({ ...e, pid: MACHINE_PID, tid: t.tid });
  }

  /** Begins the start of calls 1..depth on the thread that are open but had no start yet (outer ones first). */
  private openCalls(t: Track, depth: number, ns: number, waitedNs: number): void {
    // A wait since the thread's last event happened inside the outermost call that starts here: it starts right
    // after that event, not at the first thing seen inside it.
    let waited = waitedNs > t.lastWaitedNs && t.lastTick >= 0;
    for (let i = 0; i < depth; i++) {
      if (t.calls[i] !== undefined) continue;
      if (waited && t.lastTick + 1 < Math.max(Math.floor(ns), this.last + 1)) t.calls[i] = t.lastTick + 1;
      else t.calls[i] = this.tick(ns);
      waited = false;
    }
  }

  /** Ends the callback slices begun at depth `from` or deeper (a stop unwound them without a leave). */
  private closeCallbacks(t: Track, from: number, ns: number, note: string): void {
    while (t.callbacks.length && t.callbacks[t.callbacks.length - 1].depth >= from) {
      const c = t.callbacks.pop()!;
      this.emitAt(t, { ph: 'E', name: c.name, cat: 'callback', ts: us(this.tick(ns)), args: { note } });
    }
  }

  write(e: TraceEvent, c: TraceContext): void {
    const ns = c.virtualNs;
    this.lastNs = Math.max(this.lastNs, ns);
    if (e.type === 'thread') return this.thread(e, c, ns);
    if (e.type === 'process' && e.event === 'create') this.images.set(e.pid, e.image.replace(/^.*[\\/]/, ''));
    const t = this.track(c.tid, c.pid, e);
    this.counter(t, c.irql, ns);
    const depth = Math.min(c.depth, MAX_DEPTH);
    if (e.type === 'call') {
      this.call(t, e, depth, ns, c.waitedNs);
    } else {
      // Calls deeper than this event's have ended (their events came, or they never trace one).
      t.calls.length = Math.min(t.calls.length, depth);
      this.openCalls(t, depth, ns, c.waitedNs);
      this.event(t, e, depth, ns);
    }
    t.lastTick = this.last;
    t.lastWaitedNs = c.waitedNs;
  }

  private call(t: Track, e: Extract<TraceEvent, { type: 'call' }>, depth: number, ns: number, waitedNs: number): void {
    let start: number;
    if (depth === 0) {
      // A call the thread was suspended in (a wait): it comes back when the thread resumes.
      t.calls.length = 0;
      this.closeCallbacks(t, 1, ns, 'did not return');
      start = t.awayTick ?? this.tick(ns);
      t.awayTick = undefined;
    } else {
      t.calls.length = Math.min(t.calls.length, depth);
      this.openCalls(t, depth, ns, waitedNs);
      this.closeCallbacks(t, depth, ns, 'did not return');
      start = t.calls[depth - 1]!;
      t.calls.length = depth - 1;
    }
    const end = this.tick(ns);
    const args: Record<string, unknown> = { ...e.args };
    if (e.ret !== undefined) args.ret = e.ret;
    args.caller = e.caller;
    if (e.note !== undefined) args.note = e.note;
    this.emitAt(t, { ph: 'X', name: e.export, cat: 'call', ts: us(start), dur: us(end - start), args });
  }

  private event(t: Track, e: TraceEvent, depth: number, ns: number): void {
    switch (e.type) {
      case 'callback':
        if (e.event === 'enter') {
          this.closeCallbacks(t, depth + 1, ns, 'did not return');
          t.callbacks.push({ name: e.routine, depth });
          this.emitAt(t, { ph: 'B', name: e.routine, cat: 'callback', ts: us(this.tick(ns)), args: { target: e.target } });
        } else {
          this.closeCallbacks(t, depth + 1, ns, 'did not return');
          const top = t.callbacks[t.callbacks.length - 1];
          if (!top || top.depth !== depth) return;
          t.callbacks.pop();
          this.emitAt(t, { ph: 'E', name: top.name, cat: 'callback', ts: us(this.tick(ns)), args: { ret: e.ret, ...(e.note ? { note: e.note } : {}) } });
        }
        return;
      case 'irp': {
        const open = this.irps.get(e.irp) ?? [];
        const args = { device: e.device, major: e.major, ...(e.status !== undefined ? { status: e.status } : {}), ...(e.information !== undefined ? { information: e.information } : {}) };
        if (e.event === 'sent') {
          open.push(e.major);
          this.irps.set(e.irp, open);
          this.emitAt(t, { ph: 'b', name: e.major, cat: 'irp', id: e.irp, ts: us(this.tick(ns)), args });
        } else {
          // Completion ends the IRP at every level it was passed down to.
          this.irps.delete(e.irp);
          for (let i = open.length - 1; i >= 0; i--) this.emitAt(t, { ph: 'e', name: open[i], cat: 'irp', id: e.irp, ts: us(this.tick(ns)), args });
          if (!open.length) this.instant(t, `${e.major} completed`, 'irp', ns, { irp: e.irp, ...args });
        }
        return;
      }
      case 'dbgprint':
        return this.instant(t, 'DbgPrint', 'dbgprint', ns, { text: e.text, ...(e.note ? { note: e.note } : {}) });
      case 'op':
        return this.instant(t, `op ${e.op}`, 'op', ns, { status: e.status, ...(e.information !== undefined ? { information: e.information } : {}) });
      case 'stop':
        this.emitAt(t, { ph: 'i', s: 'g', name: `stop: ${e.outcome}`, cat: 'stop', ts: us(this.tick(ns)), args: { reason: e.reason } });
        return;
      case 'process':
        this.emitAt(t, { ph: 'i', s: 'p', name: `process ${e.event} ${e.pid}`, cat: 'process', ts: us(this.tick(ns)), args: { pid: e.pid, parentPid: e.parentPid, image: e.image, ...(e.exitCode ? { exitCode: e.exitCode } : {}) } });
        return;
      case 'note':
        return this.instant(t, 'note', 'note', ns, { text: e.text, ...(e.at ? { at: e.at } : {}) });
      case 'cpu':
        return this.instant(t, e.instruction, 'cpu', ns, { at: e.at });
      case 'port':
        return this.instant(t, `port ${e.direction} ${e.port}`, 'port', ns, { width: e.width, value: e.value, at: e.at });
      case 'registry':
        return this.instant(t, `registry ${e.op}`, 'registry', ns, { key: e.key, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.data !== undefined ? { data: e.data } : {}), status: e.status });
      case 'pnp':
        return this.instant(t, `pnp ${e.event}`, 'pnp', ns, { device: e.device, driver: e.driver, status: e.status });
      default: {
        // Kinds added to the trace later: an instant with their fields.
        const { type, seq: _seq, ...rest } = e as { type: string; seq: number } & Record<string, unknown>;
        return this.instant(t, String(type), String(type), ns, rest);
      }
    }
  }

  private instant(t: Track, name: string, cat: string, ns: number, args: Record<string, unknown>): void {
    this.emitAt(t, { ph: 'i', s: 't', name, cat, ts: us(this.tick(ns)), args });
  }

  private thread(e: Extract<TraceEvent, { type: 'thread' }>, c: TraceContext, ns: number): void {
    if (e.event === 'create') {
      this.threadStart.set(e.tid, { pid: e.pid, ...(e.start !== undefined ? { start: e.start } : {}) });
      const t = this.track(e.tid, e.pid);
      this.instant(t, 'thread create', 'thread', ns, { pid: e.pid, ...(e.start !== undefined ? { start: e.start } : {}) });
      t.lastTick = this.last;
      return;
    }
    if (e.event === 'exit') {
      const t = this.track(e.tid, e.pid);
      this.closeCallbacks(t, 0, ns, 'the thread ended');
      t.calls.length = 0;
      this.instant(t, 'thread exit', 'thread', ns, { ...(e.status ? { status: e.status } : {}) });
      t.lastTick = this.last;
      return;
    }
    // A switch: the thread that leaves stays inside its calls (a nested wait) or is suspended at its top level.
    if (e.from === undefined) return;
    const from = this.tracks.get(e.from);
    if (!from) return;
    const depth = Math.min(c.depthOf(e.from), MAX_DEPTH);
    // Suspended (depth 0 now, its call unwound): the call it blocked in began at the first thing seen inside it.
    const began = depth === 0 ? from.calls[0] : undefined;
    from.calls.length = Math.min(from.calls.length, depth);
    this.openCalls(from, depth, ns, c.waitedNs);
    from.awayTick = began ?? this.tick(ns);
    from.lastTick = this.last;
    from.lastWaitedNs = c.waitedNs;
  }

  private counter(t: Track, irql: number, ns: number): void {
    if (irql === this.irql) return;
    this.irql = irql;
    this.emitAt(t, { ph: 'C', name: 'IRQL', cat: 'irql', ts: us(this.tick(ns)), args: { IRQL: irql } });
  }

  /** Ends what is still open when the run ended (a stop mid-call, an IRP never completed): every B gets its E. */
  finish(): void {
    const ns = this.lastNs;
    for (const t of this.tracks.values()) this.closeCallbacks(t, 0, ns, 'still running when the run ended');
    const any = this.tracks.values().next().value;
    for (const [irp, names] of this.irps) {
      for (let i = names.length - 1; i >= 0; i--) {
        this.out({ ph: 'e', name: names[i], cat: 'irp', id: irp, pid: MACHINE_PID, ...(any ? { tid: any.tid } : {}), ts: us(this.tick(ns)), args: { note: 'not completed when the run ended' } });
      }
    }
    this.irps.clear();
  }
}

/** Nanosecond ticks as the format's microseconds. */
function us(ns: number): number {
  return ns / 1000;
}

/** The JSON object form, streamed: the events array first, the file's own fields after it. */
const HEAD = '{"traceEvents":[\n';
const TAIL = '\n],\n"displayTimeUnit":"ns",\n"otherData":{"generator":"kdemu","clock":"virtual time since boot (1000 instructions per microsecond, plus waits)"}}\n';
/** Writes go out in chunks of about this many characters. */
const CHUNK = 1 << 16;

/** Opens FILE for the timeline now (bad input, exit 2, when it cannot be written), and writes events as they come. */
export function timelineWriter(path: string, title: string): { write: (e: TraceEvent, c: TraceContext) => void; close: () => void } {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new InputError(`--timeline ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let buf = HEAD;
  let first = true;
  const flush = () => {
    if (buf) writeSync(fd, buf);
    buf = '';
  };
  const builder = new TimelineBuilder((ev) => {
    buf += (first ? '' : ',\n') + JSON.stringify(ev);
    first = false;
    if (buf.length >= CHUNK) flush();
  }, title);
  let open = true;
  return {
    write: (e, c) => {
      if (open) builder.write(e, c);
    },
    close: () => {
      if (!open) return;
      open = false;
      try {
        builder.finish();
        buf += TAIL;
        flush();
      } finally {
        closeSync(fd);
      }
    },
  };
}
