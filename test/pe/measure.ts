// Time and heap of one call, for the loader's cost tests: the fastest of several runs, and the heap it grows by.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

// vitest gives no --expose-gc; the flag set at run time makes a fresh context's `gc` available.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heap = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

export interface Cost {
  /** Fastest run, in milliseconds (a noisy machine only ever makes a run slower). */
  ms: number;
  /** Heap (JS objects and array buffers) still held after the run, while its result is alive. */
  retained: number;
  /** Heap grown during the run, garbage included (a collection during the run can only lower it). */
  grown: number;
  /** What the call returned, or the error it threw. */
  outcome: unknown;
}

/** Runs `fn` `runs` times; `fn` may throw (a rejected file is an outcome too). */
export function cost(fn: () => unknown, runs = 3): Cost {
  let ms = Infinity;
  let retained = 0;
  let grown = 0;
  let outcome: unknown;
  for (let i = 0; i < runs; i++) {
    outcome = undefined;
    gc();
    const h0 = heap();
    const t0 = performance.now();
    try {
      outcome = fn();
    } catch (e) {
      outcome = e;
    }
    const t1 = performance.now();
    const h1 = heap();
    gc();
    const h2 = heap();
    ms = Math.min(ms, t1 - t0);
    retained = Math.max(retained, h2 - h0);
    grown = Math.max(grown, h1 - h0);
  }
  return { ms, retained, grown, outcome };
}
