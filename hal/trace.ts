// The trace: typed events the kernel emits (API calls, IRPs, DbgPrint, callbacks); renderers live outside hal/.

import type { TraceEvent } from './report.js';

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

export class Tracer {
  private seq = 0;
  apiCalls = 0;

  constructor(private readonly sink?: (e: TraceEvent) => void) {}

  /** False when nobody listens: callers skip building decoded arguments then. */
  get enabled(): boolean {
    return this.sink !== undefined;
  }

  emit(event: WithoutSeq<TraceEvent>): void {
    if (!this.sink) return;
    this.sink({ seq: this.seq++, ...event } as TraceEvent);
  }
}
