// Kernel timers: KeInitializeTimer(Ex), KeSetTimer(Ex), KeCancelTimer, KeReadStateTimer.
//
// A KTIMER is a dispatcher object in guest memory (DISPATCHER_HEADER, DueTime, Period, Dpc). When virtual time
// reaches its due time (ke/clock.ts) it is signaled, its DPC is queued with the due time as its arguments, and a
// periodic timer is set again for its next period.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { initializeListHead } from './dispatcher.js';
import { insertQueueDpc } from './dpc.js';
import { deadlineOf, virtualUs } from './clock.js';

const TimerNotificationObject = 8;
const NotificationTimer = 0;

interface Armed {
  timer: bigint;
  /** µs since boot. */
  due: bigint;
  periodMs: number;
  dpc: bigint;
  /** Order of setting: timers due at the same time expire in the order they were set. */
  seq: number;
}

interface TimerState {
  armed: Map<bigint, Armed>;
  seq: number;
}
const states = new WeakMap<Kernel, TimerState>();
function state(k: Kernel): TimerState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { armed: new Map(), seq: 0 }));
  return s;
}

/** The armed timers (for the leak report at unload). */
export function armedTimers(k: Kernel): bigint[] {
  return [...state(k).armed.keys()];
}

/**
 * When the next timer is due (µs since boot). For a wait (`waiting`), only timers whose expiry can change something
 * count: one with a DPC, or one not signaled yet. A timer without a DPC that is already signaled changes nothing by
 * expiring again, so a thread waiting with only such timers armed waits forever (a deadlock), not until the budget.
 */
export function nextTimerDue(k: Kernel, waiting = false): bigint | undefined {
  let next: bigint | undefined;
  for (const a of state(k).armed.values()) {
    if (waiting && a.dpc === 0n && k.m.u32(signalState(k, a.timer)) !== 0) continue;
    if (next === undefined || a.due < next) next = a.due;
  }
  return next;
}

function signalState(k: Kernel, timer: bigint): bigint {
  return timer + BigInt(k.L.KTIMER.off['Header.SignalState']);
}

/** Expires every timer due by `now`, earliest first. */
export function expireTimers(k: Kernel, now: bigint): void {
  const s = state(k);
  for (;;) {
    // A periodic timer far behind expires once per period: a chain the budgets must be able to end.
    k.m.checkBudgets();
    let first: Armed | undefined;
    for (const a of s.armed.values()) if (a.due <= now && (!first || a.due < first.due || (a.due === first.due && a.seq < first.seq))) first = a;
    if (!first) return;
    const m = k.m;
    m.setU32(signalState(k, first.timer), 1);
    if (first.periodMs > 0) {
      // Periods missed meanwhile expire as one (the DPC is queued once, as a queued DPC is not queued again).
      const period = BigInt(first.periodMs) * 1000n;
      first.due += ((now - first.due) / period + 1n) * period;
      first.seq = s.seq++;
      m.setU64(first.timer + BigInt(k.L.KTIMER.off.DueTime), first.due * 10n);
    } else {
      s.armed.delete(first.timer);
    }
    if (first.dpc !== 0n) {
      // The DPC gets the interrupt time the timer expired at, as SystemArgument1/2 (low and high parts).
      const t = now * 10n;
      insertQueueDpc(k, first.dpc, t & 0xffffffffn, t >> 32n);
    }
  }
}

function initializeTimer(k: Kernel, timer: bigint, type: number): void {
  const o = k.L.KTIMER.off;
  const m = k.m;
  state(k).armed.delete(timer);
  m.fill(timer, k.L.KTIMER.size);
  m.setU8(timer + BigInt(o['Header.Type']), TimerNotificationObject + (type === NotificationTimer ? 0 : 1));
  m.setU8(timer + BigInt(o['Header.Size']), k.L.KTIMER.size / 4);
  initializeListHead(k, timer + BigInt(o['Header.WaitListHead']));
  initializeListHead(k, timer + BigInt(o.TimerListEntry));
}

/** KeSetTimerEx's core: true when the timer was already set (it is set anew). */
export function setTimer(k: Kernel, timer: bigint, dueTime: bigint, periodMs: number, dpc: bigint): boolean {
  const s = state(k);
  const was = s.armed.delete(timer);
  const due = deadlineOf(k, dueTime);
  const o = k.L.KTIMER.off;
  k.m.setU32(signalState(k, timer), 0);
  k.m.setU64(timer + BigInt(o.DueTime), due * 10n);
  k.m.setU32(timer + BigInt(o.Period), periodMs);
  k.m.setPtr(timer + BigInt(o.Dpc), dpc);
  s.armed.set(timer, { timer, due, periodMs, dpc, seq: s.seq++ });
  return was;
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeInitializeTimer', proto: 'VOID KeInitializeTimer(PKTIMER Timer)',
    params: { Timer: 'ptr' }, ret: 'void',
    impl: (k, a) => initializeTimer(k, a.Timer, NotificationTimer),
  }),
  defineExport({
    ...ke, name: 'KeInitializeTimerEx', proto: 'VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)',
    params: { Timer: 'ptr', Type: 'u32' }, ret: 'void',
    impl: (k, a) => initializeTimer(k, a.Timer, a.Type),
  }),
  defineExport({
    ...ke, name: 'KeSetTimer', proto: 'BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)',
    params: { Timer: 'ptr', DueTime: 'i64', Dpc: 'ptr' }, ret: 'bool',
    impl: (k, a) => (setTimer(k, a.Timer, a.DueTime, 0, a.Dpc) ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'KeSetTimerEx', proto: 'BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)',
    params: { Timer: 'ptr', DueTime: 'i64', Period: 'i32', Dpc: 'ptr' }, ret: 'bool',
    impl: (k, a) => (setTimer(k, a.Timer, a.DueTime, Math.max(0, a.Period), a.Dpc) ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'KeCancelTimer', proto: 'BOOLEAN KeCancelTimer(PKTIMER Timer)',
    params: { Timer: 'ptr' }, ret: 'bool',
    impl: (k, a) => (state(k).armed.delete(a.Timer) ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'KeReadStateTimer', proto: 'BOOLEAN KeReadStateTimer(PKTIMER Timer)',
    params: { Timer: 'ptr' }, ret: 'bool',
    impl: (k, a) => (k.m.u32(signalState(k, a.Timer)) !== 0 ? 1 : 0),
  }),
];

