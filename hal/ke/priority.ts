// Thread priorities and APC state: KeQueryPriorityThread, KeSetPriorityThread, KeSetBasePriorityThread,
// KeAreApcsDisabled, KeAreAllApcsDisabled, and the TEB queries PsGetCurrentThreadTeb / PsGetThreadTeb.
//
// A thread's priority is the scheduler's (ke/scheduler.ts runs the ready thread of the highest priority). Its base
// priority starts at its process's (8: system threads and normal processes); KeSetBasePriorityThread moves it by an
// increment within the variable range 1..15, an increment of ±16 saturating it to the end of the range.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { NORMAL_PRIORITY } from '../ps/process.js';
import { kernelApcDisable } from './apc.js';
import { guardedRegionDepth } from '../ex/fastmutex.js';
import type { KThread } from './thread.js';
import { APC_LEVEL } from './irql.js';

const LOW_REALTIME_PRIORITY = 16;
const HIGH_PRIORITY = 31;
/** An increment this large (either way) saturates the base priority. */
const SATURATION = (HIGH_PRIORITY + 1) / 2;

interface Base {
  base: number;
  /** -1, 0 or 1: the base is saturated at the bottom or the top of its range. */
  saturation: number;
}

const bases = new WeakMap<KThread, Base>();

function baseOf(t: KThread): Base {
  let b = bases.get(t);
  if (!b) bases.set(t, (b = { base: NORMAL_PRIORITY, saturation: 0 }));
  return b;
}

function thread(k: Kernel, p: bigint, routine: string): KThread {
  const t = k.ps.threadAt(p);
  if (t) return t;
  throw new GuestStop('fault', `${routine}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: ${hex(p)} is not a thread object`, { export: `ntoskrnl.exe!${routine}` });
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeQueryPriorityThread',
    proto: 'KPRIORITY KeQueryPriorityThread(PKTHREAD Thread)',
    params: { Thread: 'ptr' }, ret: 'i32',
    impl: (k, a) => thread(k, a.Thread, 'KeQueryPriorityThread').priority,
  }),
  defineExport({
    ...ke, name: 'KeSetPriorityThread',
    proto: 'KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)',
    params: { Thread: 'ptr', Priority: 'i32' }, ret: 'i32',
    impl: (k, a) => {
      const t = thread(k, a.Thread, 'KeSetPriorityThread');
      // Windows only asserts the range (checked builds); a free build indexes its ready queues with it.
      if (a.Priority < 0 || a.Priority > HIGH_PRIORITY) {
        throw new GuestStop('fault', `KeSetPriorityThread(${hex(a.Thread)}, ${a.Priority}) from ${k.symbolize(k.callerAddress())}: priorities are 0..31; Windows would corrupt its ready queues`, { export: 'ntoskrnl.exe!KeSetPriorityThread' });
      }
      const old = t.priority;
      t.priority = a.Priority;
      return old;
    },
  }),
  defineExport({
    ...ke, name: 'KeSetBasePriorityThread',
    proto: 'LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment)',
    params: { Thread: 'ptr', Increment: 'i32' }, ret: 'i32',
    impl: (k, a) => {
      const t = thread(k, a.Thread, 'KeSetBasePriorityThread');
      const b = baseOf(t);
      // The previous increment over the process's base (±16 when saturated).
      const old = b.saturation !== 0 ? b.saturation * SATURATION : b.base - NORMAL_PRIORITY;
      let base: number;
      if (Math.abs(a.Increment) >= SATURATION) {
        b.saturation = a.Increment > 0 ? 1 : -1;
        base = a.Increment > 0 ? LOW_REALTIME_PRIORITY - 1 : 1;
      } else {
        b.saturation = 0;
        base = Math.min(LOW_REALTIME_PRIORITY - 1, Math.max(1, NORMAL_PRIORITY + a.Increment));
      }
      b.base = base;
      t.priority = base;
      return old;
    },
  }),
  defineExport({
    ...ke, name: 'KeAreApcsDisabled',
    proto: 'BOOLEAN KeAreApcsDisabled(VOID)',
    params: {}, ret: 'bool',
    // Inside a critical or a guarded region (KTHREAD.CombinedApcDisable != 0); the IRQL does not count.
    impl: (k) => (kernelApcDisable(k) !== 0 || guardedRegionDepth(k) !== 0 ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'KeAreAllApcsDisabled',
    proto: 'BOOLEAN KeAreAllApcsDisabled(VOID)',
    params: {}, ret: 'bool',
    // Special kernel APCs too: inside a guarded region, or at APC_LEVEL or above.
    impl: (k) => (guardedRegionDepth(k) !== 0 || k.irql >= APC_LEVEL ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'PsGetCurrentThreadTeb',
    proto: 'PVOID PsGetCurrentThreadTeb(VOID)',
    params: {}, ret: 'ptr',
    // System threads have no TEB: NULL.
    impl: (k) => k.ps.current.teb,
  }),
  defineExport({
    ...ke, name: 'PsGetThreadTeb',
    proto: 'PVOID PsGetThreadTeb(PETHREAD Thread)',
    params: { Thread: 'ptr' }, ret: 'ptr',
    impl: (k, a) => thread(k, a.Thread, 'PsGetThreadTeb').teb,
  }),
];
