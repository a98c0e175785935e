// Deferred procedure calls: KeInitializeDpc, KeInsertQueueDpc, KeRemoveQueueDpc, KeFlushQueuedDpcs.
//
// A queued DPC runs at DISPATCH_LEVEL, in whatever context the processor is in, as soon as the IRQL is below
// DISPATCH_LEVEL at a delivery point (ke/clock.ts): at once when queued from PASSIVE or APC level, else when the IRQL
// drops (KeLowerIrql, releasing a spin lock) or time passes. kdemu has one processor, so DPCs run one at a time, in
// queue order (HighImportance ones first).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import { setIrql } from './irql.js';
import { KPCR } from '../boot.js';

const DpcObject = 0x13;
const HighImportance = 2;

interface DpcState {
  queue: bigint[];
  running: boolean;
}
const states = new WeakMap<Kernel, DpcState>();
function state(k: Kernel): DpcState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { queue: [], running: false }));
  return s;
}

export function dpcsQueued(k: Kernel): boolean {
  return state(k).queue.length > 0;
}

/** The DPCs still queued (for the leak report at unload). */
export function queuedDpcs(k: Kernel): readonly bigint[] {
  return state(k).queue;
}

const off = (k: Kernel) => k.L.KDPC.off;

/** KeInsertQueueDpc's core: false when the DPC is already queued. */
export function insertQueueDpc(k: Kernel, dpc: bigint, arg1: bigint, arg2: bigint): boolean {
  const o = off(k);
  const m = k.m;
  if (m.ptrAt(dpc, o.DpcData) !== 0n) return false;
  m.setPtrAt(dpc, o.SystemArgument1, arg1);
  m.setPtrAt(dpc, o.SystemArgument2, arg2);
  // DpcData points at the processor's DPC data while queued; the KPRCB is where it lives.
  m.setPtrAt(dpc, o.DpcData, k.pcr + BigInt(KPCR[k.arch].prcb));
  const q = state(k).queue;
  if (m.u8At(dpc, o.Importance) === HighImportance) q.unshift(dpc);
  else q.push(dpc);
  return true;
}

/** Runs every queued DPC (and those they queue) at DISPATCH_LEVEL; not reentrant. */
export function drainDpcs(k: Kernel): void {
  const s = state(k);
  if (s.running) return;
  s.running = true;
  try {
    while (s.queue.length) {
      const dpc = s.queue.shift()!;
      const o = off(k);
      const m = k.m;
      m.setPtrAt(dpc, o.DpcData, 0n);
      const old = k.irql;
      setIrql(k, 2);
      k.callRoutine(m.ptrAt(dpc, o.DeferredRoutine), [dpc, m.ptrAt(dpc, o.DeferredContext), m.ptrAt(dpc, o.SystemArgument1), m.ptrAt(dpc, o.SystemArgument2)], `DPC ${hex(dpc)}`);
      setIrql(k, old);
    }
  } finally {
    s.running = false;
  }
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeInitializeDpc', proto: 'VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)',
    params: { Dpc: 'ptr', DeferredRoutine: 'ptr', DeferredContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = off(k);
      const m = k.m;
      m.fill(a.Dpc, k.L.KDPC.size);
      m.setU8At(a.Dpc, o.Type, DpcObject);
      m.setU8At(a.Dpc, o.Importance, 1); // MediumImportance
      m.setPtrAt(a.Dpc, o.DeferredRoutine, a.DeferredRoutine);
      m.setPtrAt(a.Dpc, o.DeferredContext, a.DeferredContext);
    },
  }),
  defineExport({
    ...ke, name: 'KeSetImportanceDpc', proto: 'VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)',
    params: { Dpc: 'ptr', Importance: 'u32' }, ret: 'void',
    impl: (k, a) => k.m.setU8At(a.Dpc, off(k).Importance, a.Importance),
  }),
  defineExport({
    ...ke, name: 'KeInsertQueueDpc', proto: 'BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)',
    params: { Dpc: 'ptr', SystemArgument1: 'ptr', SystemArgument2: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const queued = insertQueueDpc(k, a.Dpc, a.SystemArgument1, a.SystemArgument2);
      // Below DISPATCH_LEVEL the DPC interrupt is taken at once.
      if (queued && k.irql < 2) drainDpcs(k);
      return queued ? 1 : 0;
    },
  }),
  defineExport({
    ...ke, name: 'KeRemoveQueueDpc', proto: 'BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)',
    params: { Dpc: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const q = state(k).queue;
      const i = q.indexOf(a.Dpc);
      if (i < 0) return 0;
      q.splice(i, 1);
      k.m.setPtrAt(a.Dpc, off(k).DpcData, 0n);
      return 1;
    },
  }),
  defineExport({
    ...ke, name: 'KeFlushQueuedDpcs', proto: 'VOID KeFlushQueuedDpcs(VOID)', params: {}, ret: 'void',
    impl: (k) => drainDpcs(k),
  }),
];
