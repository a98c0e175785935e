// Executive timers and timer resolution: ExAllocateTimer, ExSetTimer, ExCancelTimer, ExDeleteTimer (Windows 8.1's
// high-resolution timers), ExSetTimerResolution, and KeSetCoalescableTimer.
//
// An EX_TIMER is built on the kernel's KTIMER and DPC (ke/timer.ts, ke/dpc.ts): a pool block that starts with a KTIMER
// (so a wait on it is a wait on the timer) followed by the KDPC whose routine calls the driver's callback with the
// timer and its context at DISPATCH_LEVEL. kdemu's virtual clock expires a timer at its due time exactly, which is the
// finest resolution and within any tolerance: high resolution, no-wake and coalescing change nothing about when it
// fires. Periods are kept in whole milliseconds (at least one). ExSetTimerResolution keeps Windows' bookkeeping: the
// resolution the kernel's requests ask for (never finer than 0.5 ms, never coarser than the 15.625 ms default).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { armedTimers, setTimer } from '../ke/timer.js';
import { TIME_INCREMENT } from '../ke/clock.js';

const EX_TIMER_NOTIFICATION = 0x80000000;
const NotificationTimer = 0;
const SynchronizationTimer = 1;
/** The finest clock interval the HAL offers, in 100 ns units. */
const MINIMUM_INCREMENT = 5000;
/** 'ExTm'. */
const EX_TIMER_TAG = 0x6d547845;

interface ExTimer {
  readonly address: bigint;
  readonly callback: bigint;
  readonly context: bigint;
  /** ExDeleteTimer without Cancel on a set timer: deleted once it has expired. */
  deleteAfterExpiry?: { callback: bigint; context: bigint };
}

interface State {
  timers: Map<bigint, ExTimer>;
  /** ExSetTimerResolution requests in force, and the resolution they give. */
  requests: number;
  increment: number;
}

const states = new WeakMap<Kernel, State>();

function state(k: Kernel): State {
  let s = states.get(k);
  if (!s) states.set(k, (s = { timers: new Map(), requests: 0, increment: Number(TIME_INCREMENT) }));
  return s;
}

function dpcOf(k: Kernel, t: bigint): bigint {
  return t + BigInt((k.L.KTIMER.size + 15) & ~15);
}

function ke(k: Kernel, name: string, args: Record<string, bigint | number>): bigint | number | void {
  return k.findExport('ntoskrnl.exe', name)!.impl(k, args as never, undefined as never) as bigint | number | void;
}

function timerOf(k: Kernel, p: bigint, routine: string): ExTimer {
  const t = state(k).timers.get(p);
  if (t) return t;
  throw new GuestStop('fault', `${routine}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: ${hex(p)} is not a timer ExAllocateTimer returned (or it was deleted)`, { export: `ntoskrnl.exe!${routine}` });
}

function cancel(k: Kernel, t: ExTimer): boolean {
  return ke(k, 'KeCancelTimer', { Timer: t.address }) === 1;
}

function remove(k: Kernel, t: ExTimer, deleteCallback: bigint, deleteContext: bigint): void {
  // A periodic timer deleted after an expiry is still set: it goes with its memory.
  cancel(k, t);
  state(k).timers.delete(t.address);
  k.m.actingAs(0, () => k.pool.free_(t.address, 0));
  // EXT_DELETE_PARAMETERS.DeleteCallback: told once the timer is gone.
  if (deleteCallback !== 0n) k.callRoutine(deleteCallback, [deleteContext], 'timer delete callback');
}

/** The DPC routine behind every EX_TIMER: the driver's callback (Timer, Context), then a pending deletion. */
function timerDpc(k: Kernel, args: bigint[]): bigint {
  const t = state(k).timers.get(args[1]);
  if (!t) return 0n;
  k.callRoutine(t.callback, [t.address, t.context], 'EX_TIMER callback');
  const d = t.deleteAfterExpiry;
  if (d && state(k).timers.has(t.address)) remove(k, t, d.callback, d.context);
  return 0n;
}

/** EXT_DELETE_PARAMETERS: Version, Reserved, DeleteCallback, DeleteContext. */
function deleteParameters(k: Kernel, p: bigint): { callback: bigint; context: bigint } {
  if (p === 0n) return { callback: 0n, context: 0n };
  return { callback: k.m.ptr(p + 8n), context: k.m.ptr(p + 8n + BigInt(k.ptrSize)) };
}

const ex = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ex, name: 'ExAllocateTimer',
    proto: 'PEX_TIMER ExAllocateTimer(PEXT_CALLBACK Callback, PVOID CallbackContext, ULONG Attributes)',
    params: { Callback: 'ptr', CallbackContext: 'ptr', Attributes: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      const size = ((k.L.KTIMER.size + 15) & ~15) + k.L.KDPC.size;
      const t = k.pool.allocate(size, EX_TIMER_TAG, 0, 'driver', k.symbolize(k.callerAddress()));
      if (t === null) return 0n;
      ke(k, 'KeInitializeTimerEx', { Timer: t, Type: (a.Attributes & EX_TIMER_NOTIFICATION) !== 0 ? NotificationTimer : SynchronizationTimer });
      ke(k, 'KeInitializeDpc', { Dpc: dpcOf(k, t), DeferredRoutine: k.internalRoutine('ExpTimerDpcRoutine', 4, timerDpc), DeferredContext: t });
      state(k).timers.set(t, { address: t, callback: a.Callback, context: a.CallbackContext });
      return t;
    },
  }),
  defineExport({
    ...ex, name: 'ExSetTimer',
    proto: 'BOOLEAN ExSetTimer(PEX_TIMER Timer, LONGLONG DueTime, LONGLONG Period, PEXT_SET_PARAMETERS Parameters)',
    params: { Timer: 'ptr', DueTime: 'i64', Period: 'i64', Parameters: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const t = timerOf(k, a.Timer, 'ExSetTimer');
      const period = BigInt.asIntN(64, a.Period);
      const periodMs = period <= 0n ? 0 : Math.max(1, Number((period + 5000n) / 10000n));
      // Setting a set timer cancels it first: TRUE.
      return setTimer(k, t.address, a.DueTime, periodMs, dpcOf(k, t.address)) ? 1 : 0;
    },
  }),
  defineExport({
    ...ex, name: 'ExCancelTimer',
    proto: 'BOOLEAN ExCancelTimer(PEX_TIMER Timer, PEXT_CANCEL_PARAMETERS Parameters)',
    params: { Timer: 'ptr', Parameters: 'ptr' }, ret: 'bool',
    impl: (k, a) => (cancel(k, timerOf(k, a.Timer, 'ExCancelTimer')) ? 1 : 0),
  }),
  defineExport({
    ...ex, name: 'ExDeleteTimer',
    proto: 'BOOLEAN ExDeleteTimer(PEX_TIMER Timer, BOOLEAN Cancel, BOOLEAN Wait, PEXT_DELETE_PARAMETERS Parameters)',
    params: { Timer: 'ptr', Cancel: 'bool', Wait: 'bool', Parameters: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const t = timerOf(k, a.Timer, 'ExDeleteTimer');
      const d = deleteParameters(k, a.Parameters);
      // Wait (for a callback in progress) has nothing to wait for: callbacks run to completion in their DPC.
      if (a.Cancel) {
        const was = cancel(k, t);
        remove(k, t, d.callback, d.context);
        return was ? 1 : 0;
      }
      // Without Cancel a set timer expires first (its callback runs), then goes.
      if (armedTimers(k).includes(t.address)) {
        t.deleteAfterExpiry = d;
        return 0;
      }
      remove(k, t, d.callback, d.context);
      return 0;
    },
  }),
  defineExport({
    ...ex, name: 'ExSetTimerResolution',
    proto: 'ULONG ExSetTimerResolution(ULONG DesiredTime, BOOLEAN SetResolution)',
    params: { DesiredTime: 'u32', SetResolution: 'bool' }, ret: 'u32',
    impl: (k, a) => {
      const s = state(k);
      if (a.SetResolution) {
        s.requests++;
        // The finest request in force wins, within what the clock hardware offers.
        s.increment = Math.min(s.increment, Math.max(MINIMUM_INCREMENT, a.DesiredTime));
      } else if (s.requests > 0 && --s.requests === 0) {
        s.increment = Number(TIME_INCREMENT);
      }
      return s.increment;
    },
  }),
  defineExport({
    ...ex, name: 'KeSetCoalescableTimer',
    proto: 'BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period, ULONG TolerableDelay, PKDPC Dpc)',
    params: { Timer: 'ptr', DueTime: 'i64', Period: 'u32', TolerableDelay: 'u32', Dpc: 'ptr' }, ret: 'bool',
    // Expiring on time is within any tolerable delay.
    impl: (k, a) => (setTimer(k, a.Timer, a.DueTime, a.Period, a.Dpc) ? 1 : 0),
  }),
];

