// Mutex dispatcher objects (KMUTEX, a KMUTANT): KeInitializeMutex, KeReleaseMutex, KeReadStateMutex, and the
// acquisition a satisfied wait performs (used by wait.ts).
//
// SignalState is 1 when free and goes down by one per acquisition by its owner (recursive acquisition);
// KeReleaseMutex raises it back and frees the mutex at 1. A KMUTEX disables normal kernel APCs while held
// (ApcDisable = 1: the owner's KernelApcDisable count, see apc.ts). kdemu keeps no KTHREAD, so the owner's list of
// held mutants (MutantListEntry) is not linked.

import { defineExport } from '../export.js';
import { EXCEPTION_NONCONTINUABLE, raiseFromExport } from './except.js';
import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { initializeListHead } from './dispatcher.js';
import { adjustKernelApcDisable } from './apc.js';
import { DISPATCH_LEVEL, raiseIrql } from './irql.js';

export const MutantObject = 2;
const MINLONG = -0x80000000;

function fields(k: Kernel, mutex: bigint) {
  const o = k.L.KMUTANT.off;
  return {
    type: mutex + BigInt(o['Header.Type']),
    size: mutex + BigInt(o['Header.Size']),
    signal: mutex + BigInt(o['Header.SignalState']),
    waitList: mutex + BigInt(o['Header.WaitListHead']),
    owner: mutex + BigInt(o.OwnerThread),
    abandoned: mutex + BigInt(o.Abandoned),
    apcDisable: mutex + BigInt(o.ApcDisable),
  };
}

/** An exception the routine raises in the caller (ExRaiseStatus): the driver's handlers may take it. */
function raised(k: Kernel, routine: string, status: number, why: string): never {
  raiseFromExport(k, status, [], `${routine} from ${k.symbolize(k.callerAddress())} raised ${hex(status, 8)} (${why})`, EXCEPTION_NONCONTINUABLE);
}

/** True when a wait on the mutant can be satisfied now: it is free, or the waiter already owns it. */
export function mutantSignaled(k: Kernel, mutant: bigint, thread = k.ps.currentThread): boolean {
  const f = fields(k, mutant);
  return (k.m.u32(f.signal) | 0) > 0 || k.m.ptr(f.owner) === thread;
}

/** The thread owning the mutant (0: free). */
export function mutantOwner(k: Kernel, mutant: bigint): bigint {
  return k.m.ptr(fields(k, mutant).owner);
}

/** KeRundownThread's part for a mutant its thread still owns at its end: free, owner gone, Abandoned set. */
export function abandonMutant(k: Kernel, mutant: bigint): void {
  const f = fields(k, mutant);
  k.m.actingAs(-1, () => {
    k.m.setU32(f.signal, 1);
    k.m.setPtr(f.owner, 0n);
    k.m.setU8(f.abandoned, 1);
  });
}

/** Whether the mutant is a kernel mutex (KMUTEX: ApcDisable set) rather than a user-mode mutant. */
export function isKernelMutex(k: Kernel, mutant: bigint): boolean {
  return k.m.u8(fields(k, mutant).apcDisable) !== 0;
}

/** A satisfied wait takes the mutant (KiSatisfyMutantWait); returns STATUS_SUCCESS or STATUS.ABANDONED. */
export function acquireMutant(k: Kernel, mutant: bigint, routine: string): number {
  const f = fields(k, mutant);
  const m = k.m;
  const state = m.u32(f.signal) | 0;
  if (state === MINLONG) raised(k, routine, STATUS.MUTANT_LIMIT_EXCEEDED, `mutant ${hex(mutant)} acquired recursively too many times`);
  m.setU32(f.signal, state - 1);
  let status = 0;
  if (state - 1 === 0) {
    m.setPtr(f.owner, k.ps.currentThread);
    k.ps.current.mutants.add(mutant);
    adjustKernelApcDisable(k, -m.u8(f.apcDisable));
    if (m.u8(f.abandoned)) {
      m.setU8(f.abandoned, 0);
      status = STATUS.ABANDONED;
    }
  }
  return status;
}

/** Threads that released with Wait = TRUE, and the IRQL their next wait returns to. */
const waitNext = new WeakMap<Kernel, number>();

/** For KeWaitXxx: the IRQL a preceding KeReleaseMutex(Wait = TRUE) left raised for this wait to lower, if any. */
export function setWaitNext(k: Kernel, irql: number): void {
  waitNext.set(k, irql);
}

export function takeWaitNext(k: Kernel): number | undefined {
  const irql = waitNext.get(k);
  waitNext.delete(k);
  return irql;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeInitializeMutex',
    cc: 'stdcall',
    proto: 'VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)',
    params: { Mutex: 'ptr', Level: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      const f = fields(k, a.Mutex);
      k.m.setU8(f.type, MutantObject);
      k.m.setU8(f.size, k.L.KMUTANT.size / 4);
      k.m.setU32(f.signal, 1);
      initializeListHead(k, f.waitList);
      k.m.setPtr(f.owner, 0n);
      k.m.setU8(f.abandoned, 0);
      k.m.setU8(f.apcDisable, 1);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeReadStateMutex',
    cc: 'stdcall',
    proto: 'LONG KeReadStateMutex(PRKMUTEX Mutex)',
    params: { Mutex: 'ptr' },
    ret: 'i32',
    impl: (k, a) => k.m.u32(fields(k, a.Mutex).signal) | 0,
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeReleaseMutex',
    cc: 'stdcall',
    proto: 'LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)',
    params: { Mutex: 'ptr', Wait: 'bool' },
    ret: 'i32',
    impl: (k, a) => {
      const f = fields(k, a.Mutex);
      const m = k.m;
      const previous = m.u32(f.signal) | 0;
      if (m.ptr(f.owner) !== k.ps.currentThread) {
        raised(k, 'KeReleaseMutex', m.u8(f.abandoned) ? STATUS.ABANDONED : STATUS.MUTANT_NOT_OWNED, `mutex ${hex(a.Mutex)} is not owned by the calling thread`);
      }
      m.setU32(f.signal, previous + 1);
      if (previous + 1 === 1) {
        m.setPtr(f.owner, 0n);
        k.ps.current.mutants.delete(a.Mutex);
        adjustKernelApcDisable(k, m.u8(f.apcDisable));
      }
      // Wait = TRUE: return at DISPATCH_LEVEL (the dispatcher lock kept) for the KeWaitXxx call that must follow,
      // which lowers the IRQL back to the caller's (KTHREAD.WaitNext / WaitIrql).
      if (a.Wait) waitNext.set(k, raiseIrql(k, Math.max(k.irql, DISPATCH_LEVEL)));
      return previous;
    },
  }),
];
