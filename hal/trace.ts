// The trace: typed events the kernel emits (API calls, IRPs, DbgPrint, callbacks); renderers live outside hal/.

import type { Kernel } from './kernel.js';
import type { TraceEvent } from './report.js';
import { INSTRUCTIONS_PER_US } from './ke/clock.js';

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

/**
 * The machine's state as an event is emitted, for sinks that place events in time (the --timeline writer). Its
 * fields are read live when asked for, so a sink that ignores it costs nothing; read them inside the sink call.
 */
export interface TraceContext {
  /** Virtual time since boot in nanoseconds: one per instruction, plus the time waits skipped (see ke/clock.ts). */
  readonly virtualNs: number;
  /** The running thread's id, and its process's. */
  readonly tid: number;
  readonly pid: number;
  /** The current IRQL. */
  readonly irql: number;
  /**
   * How many export calls of the running thread are being handled: an event emitted inside an export (a callback the
   * export made, a nested call) has depth 1 or more; a call's own event is emitted at its depth before it returns,
   * except a call that suspended its thread in a wait, whose event comes at depth 0 when the thread resumes.
   */
  readonly depth: number;
  /** The part of virtualNs that waits skipped (no instruction ran): it grows only inside waits and sleeps. */
  readonly waitedNs: number;
  /** depth, for any thread: how many export calls of that thread are on the host stack now (0 for one not on it). */
  depthOf(tid: number): number;
}

export type TraceSink = (e: TraceEvent, context: TraceContext) => void;

/** The live context of a kernel's machine (the process table is absent while the kernel is being built). */
function liveContext(k: Kernel): TraceContext {
  const nsPerInstruction = 1000 / INSTRUCTIONS_PER_US;
  const ps = () => k.ps as Kernel['ps'] | undefined;
  return {
    get virtualNs() {
      return k.m.engine.instructions * nsPerInstruction + Number(k.skippedUs) * 1000;
    },
    get tid() {
      return ps()?.tid ?? 0;
    },
    get pid() {
      return ps()?.pid ?? 0;
    },
    get irql() {
      return k.irql;
    },
    get depth() {
      const p = ps();
      return p ? relativeDepth(p.current.baseDepth) : 0;
    },
    get waitedNs() {
      return Number(k.skippedUs) * 1000;
    },
    depthOf(tid: number) {
      const t = ps()?.threads.find((x) => x.tid === tid);
      return t && t.state !== 'terminated' ? relativeDepth(t.baseDepth) : 0;
    },
  };
  // Threads switched to run from the host depth they were started or resumed at; root threads (and a thread in its
  // TLS callbacks, whose base is far below) from 0.
  function relativeDepth(base: number): number {
    return Math.max(0, k.callDepth - Math.max(0, base));
  }
}

const NO_CONTEXT: TraceContext = { virtualNs: 0, tid: 0, pid: 0, irql: 0, depth: 0, waitedNs: 0, depthOf: () => 0 };

export class Tracer {
  private seq = 0;
  apiCalls = 0;
  private readonly context: TraceContext;

  constructor(
    private readonly sink?: TraceSink,
    kernel?: Kernel,
  ) {
    this.context = kernel ? liveContext(kernel) : NO_CONTEXT;
  }

  /** False when nobody listens: callers skip building decoded arguments then. */
  get enabled(): boolean {
    return this.sink !== undefined;
  }

  emit(event: WithoutSeq<TraceEvent>): void {
    if (!this.sink) return;
    this.sink({ seq: this.seq++, ...event } as TraceEvent, this.context);
  }
}
