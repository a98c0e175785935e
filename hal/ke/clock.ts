// Virtual time: it passes at a fixed rate per instruction executed, and jumps to the next due timer when every thread
// waits (nothing else could make progress), so every run, on every engine, sees the same clock.
//
// Timers expire and DPCs run at delivery points: when a wait lets time pass, when a user-mode request returns, after
// a CLI operation, and when the IRQL drops below DISPATCH_LEVEL with DPCs queued — where a clock or DPC interrupt
// could have come on a real machine. KUSER_SHARED_DATA's clocks (and KeTickCount) follow, for code that reads them
// inline (KeQuerySystemTime, KeQueryTickCount and KeQueryInterruptTime are such macros on x64).

import type { Kernel } from '../kernel.js';
import { BOOT_SYSTEM_TIME } from '../boot.js';
import { drainDpcs, dpcsQueued } from './dpc.js';
import { expireTimers } from './timer.js';
import { defineExport } from '../export.js';
import { GuestStop } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';

/** Instructions per microsecond of virtual time. */
export const INSTRUCTIONS_PER_US = 1000;
/** The clock tick: 15.625 ms, in 100 ns units (KeQueryTimeIncrement). */
export const TIME_INCREMENT = 156250n;

/** Microseconds since boot. */
export function virtualUs(k: Kernel): bigint {
  return BigInt(Math.floor(k.m.engine.instructions / INSTRUCTIONS_PER_US)) + k.skippedUs;
}

/** Interrupt time: 100 ns units since boot. */
export function interruptTime(k: Kernel): bigint {
  return virtualUs(k) * 10n;
}

/** System time: a FILETIME (100 ns units since 1601). */
export function systemTime(k: Kernel): bigint {
  return BOOT_SYSTEM_TIME + interruptTime(k);
}

/** Clock ticks since boot. */
export function tickCount(k: Kernel): bigint {
  return interruptTime(k) / TIME_INCREMENT;
}

/**
 * Lets `us` microseconds pass without executing anything (a sleep or a wait that nothing could end sooner). The run's
 * virtual-time budget (--max-virtual-time) ends the run here rather than letting a sleep or a chain of timer expiries
 * go on without bound.
 */
export function skipTime(k: Kernel, us: bigint): void {
  if (us <= 0n) return;
  k.m.checkBudgets();
  if (k.maxVirtualUs !== 0n && virtualUs(k) + us > k.maxVirtualUs) {
    k.skippedUs += k.maxVirtualUs - virtualUs(k) > 0n ? k.maxVirtualUs - virtualUs(k) : 0n;
    throw new GuestStop('timeout', `the virtual-time budget (--max-virtual-time ${k.maxVirtualUs / 1000n} ms) ran out: the guest waited ${us / 1000n} ms more at ${virtualUs(k) / 1000n} ms`, {
      pc: k.m.engine.getReg('rip'),
    });
  }
  k.skippedUs += us;
}

/** A KSYSTEM_TIME, written in the order readers rely on (High2Time, LowPart, High1Time). */
function writeSystemTime(k: Kernel, a: bigint, t: bigint): void {
  const o = k.L.KSYSTEM_TIME.off;
  k.m.setU32At(a, o.High2Time, Number((t >> 32n) & 0xffffffffn));
  k.m.setU32At(a, o.LowPart, Number(t & 0xffffffffn));
  k.m.setU32At(a, o.High1Time, Number((t >> 32n) & 0xffffffffn));
}

/** Brings KUSER_SHARED_DATA's InterruptTime, SystemTime and TickCount (and x86's KeTickCount) up to now. */
export function publishTime(k: Kernel): void {
  // Nothing to write when no time passed since the last delivery (waits that switch threads deliver often).
  const now = interruptTime(k);
  if (published.get(k) === now) return;
  published.set(k, now);
  // The kernel's own writes to a page drivers only read: not checked as the export's accesses are.
  k.m.actingAs(-1, () => writeClocks(k));
}

/** The interrupt time KUSER_SHARED_DATA holds, per machine. */
const published = new WeakMap<Kernel, bigint>();

function writeClocks(k: Kernel): void {
  const sud = k.m.layout.sharedUserData;
  const K = k.L.KUSER_SHARED_DATA.off;
  writeSystemTime(k, sud + BigInt(K.InterruptTime), interruptTime(k));
  writeSystemTime(k, sud + BigInt(K.SystemTime), systemTime(k));
  writeSystemTime(k, sud + BigInt(K.TickCount), tickCount(k));
  if (k.tickCountVariable !== 0n) writeSystemTime(k, k.tickCountVariable, tickCount(k));
}

/** A delivery point: timers that are due expire (queueing their DPCs), and queued DPCs run if the IRQL allows. */
export function deliver(k: Kernel): void {
  // Interrupt-time work of the kernel, whoever's export reached the delivery point.
  k.m.actingAs(0, () => {
    publishTime(k);
    expireTimers(k, virtualUs(k));
    if (k.irql < 2 && dpcsQueued(k)) drainDpcs(k);
  });
}

/**
 * The current thread waits until `ready()` (checked after each delivery) or, when given, until the deadline (µs
 * since boot). Other threads run meanwhile; with nothing runnable, time jumps to the next due timer. Returns whether
 * ready() became true; false when the deadline passed, or, without one, when nothing in the machine can ever make it
 * true (a deadlock for the caller to report). The thread waits where it is: exports a thread blocks in from its top
 * level use the scheduler's wait, which can suspend it.
 */
export function waitUntil(k: Kernel, ready: () => boolean, deadline?: bigint, what = 'a wait'): boolean {
  return k.m.actingAs(0, () => k.sched.waitNested({ what, ready, ...(deadline !== undefined ? { deadline } : {}) }));
}

/** A relative (negative, 100 ns units) or absolute (system time) LARGE_INTEGER timeout as a deadline in µs since boot. */
export function deadlineOf(k: Kernel, timeout: bigint): bigint {
  const t = BigInt.asIntN(64, timeout);
  const now = virtualUs(k);
  if (t <= 0n) return now + -t / 10n;
  const at = (t - BOOT_SYSTEM_TIME) / 10n;
  return at > now ? at : now;
}

/** A wait that would block at DISPATCH_LEVEL or above: Windows bugchecks (the scheduler cannot run there). */
export function assertCanWait(k: Kernel, routine: string): void {
  if (k.irql < 2) return;
  throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} would wait at IRQL ${k.irql} (DISPATCH_LEVEL or above)`, {
    bugcheck: { code: 0xa, params: [0n, BigInt(k.irql), 0n, k.callerAddress()] },
  });
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeQuerySystemTime', arch: 'x86', proto: 'VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime)',
    params: { CurrentTime: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.CurrentTime, systemTime(k)),
  }),
  defineExport({
    ...ke, name: 'KeQuerySystemTimePrecise', proto: 'VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)',
    params: { CurrentTime: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.CurrentTime, systemTime(k)),
  }),
  defineExport({
    ...ke, name: 'KeQueryTickCount', arch: 'x86', proto: 'VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount)',
    params: { CurrentCount: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.CurrentCount, tickCount(k)),
  }),
  defineExport({
    ...ke, name: 'KeQueryInterruptTime', proto: 'ULONGLONG KeQueryInterruptTime(VOID)', params: {}, ret: 'u64',
    impl: (k) => interruptTime(k),
  }),
  defineExport({
    ...ke, name: 'KeQueryInterruptTimePrecise', proto: 'ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)',
    params: { QpcTimeStamp: 'ptr' }, ret: 'u64',
    impl: (k, a) => {
      if (a.QpcTimeStamp !== 0n) k.m.setU64(a.QpcTimeStamp, virtualUs(k) * 10n);
      return interruptTime(k);
    },
  }),
  defineExport({
    ...ke, name: 'KeQueryTimeIncrement', proto: 'ULONG KeQueryTimeIncrement(VOID)', params: {}, ret: 'u32',
    impl: () => Number(TIME_INCREMENT),
  }),
  defineExport({
    // A HAL export on both architectures (ntoskrnl has none).
    module: 'hal.dll', cc: 'stdcall', name: 'KeQueryPerformanceCounter', proto: 'LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)',
    params: { PerformanceFrequency: 'ptr' }, ret: 'u64',
    impl: (k, a) => {
      // 10 MHz, as Windows 10 reports on most machines.
      if (a.PerformanceFrequency !== 0n) k.m.setU64(a.PerformanceFrequency, 10_000_000n);
      return virtualUs(k) * 10n;
    },
  }),
  defineExport({
    ...ke, name: 'KeDelayExecutionThread', proto: 'NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)',
    params: { WaitMode: 'u8', Alertable: 'bool', Interval: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      assertCanWait(k, 'KeDelayExecutionThread');
      const deadline = deadlineOf(k, k.m.u64(a.Interval));
      const what = `KeDelayExecutionThread until ${deadline / 1000n} ms, called from ${k.symbolize(k.callerAddress())}`;
      return k.m.actingAs(0, () => k.sched.waitTail({ what, ready: () => false, deadline }, () => STATUS.SUCCESS));
    },
  }),
  defineExport({
    module: 'hal.dll', cc: 'stdcall', name: 'KeStallExecutionProcessor', proto: 'VOID KeStallExecutionProcessor(ULONG MicroSeconds)',
    params: { MicroSeconds: 'u32' }, ret: 'void',
    // A busy wait: time passes, nothing else runs (no delivery: the caller may hold a spin lock).
    impl: (k, a) => skipTime(k, BigInt(a.MicroSeconds)),
  }),
];
