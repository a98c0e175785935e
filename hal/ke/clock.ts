// Virtual time: it passes at a fixed rate per instruction executed, plus the time a wait skipped when nothing
// could run until it was over, so every run (and every engine) sees the same clock.

import type { Kernel } from '../kernel.js';

/** Instructions per microsecond of virtual time. */
export const INSTRUCTIONS_PER_US = 1000;

/** Microseconds since boot. */
export function virtualUs(k: Kernel): bigint {
  return BigInt(Math.floor(k.m.engine.instructions / INSTRUCTIONS_PER_US)) + k.skippedUs;
}

/** Lets `us` microseconds pass without executing anything (a sleep or a timed-out wait with nothing to run). */
export function skipTime(k: Kernel, us: bigint): void {
  if (us > 0n) k.skippedUs += us;
}
