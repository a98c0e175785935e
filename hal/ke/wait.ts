// Waiting on dispatcher objects: KeWaitForSingleObject (and its alias KeWaitForMutexObject), KeWaitForMultipleObjects.
//
// A signaled object satisfies the wait at once, with its side effect: a synchronization event or timer is reset, a
// semaphore's count goes down by one, a mutex is taken (mutex.ts). Otherwise the thread waits in the scheduler
// (scheduler.ts): other threads run, time passes from timer to timer, until the objects are signaled or the timeout
// is over; an infinite wait nothing can end is a deadlock. Waiting at DISPATCH_LEVEL bugchecks.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait, deadlineOf } from './clock.js';
import { MutantObject, acquireMutant, mutantSignaled, takeWaitNext } from './mutex.js';
import { setIrql } from './irql.js';

/** KOBJECTS: the dispatcher object types a wait understands, by DISPATCHER_HEADER.Type. */
const OBJECTS: Record<number, { name: string; kind: 'notification' | 'synchronization' | 'mutant' | 'semaphore' }> = {
  0: { name: 'notification event', kind: 'notification' },
  1: { name: 'synchronization event', kind: 'synchronization' },
  [MutantObject]: { name: 'mutex', kind: 'mutant' },
  3: { name: 'process', kind: 'notification' },
  5: { name: 'semaphore', kind: 'semaphore' },
  6: { name: 'thread', kind: 'notification' },
  8: { name: 'notification timer', kind: 'notification' },
  9: { name: 'synchronization timer', kind: 'synchronization' },
};

/** MAXIMUM_WAIT_OBJECTS, and THREAD_WAIT_OBJECTS (the waits KeWaitForMultipleObjects may make without a wait block array). */
const MAXIMUM_WAIT_OBJECTS = 64;
const THREAD_WAIT_OBJECTS = 3;
const MAXIMUM_WAIT_OBJECTS_EXCEEDED = 0x0c;
const WaitAll = 0;

/** A dispatcher object a wait can be made on. */
export interface Waitable {
  object: bigint;
  type: (typeof OBJECTS)[number];
}

/** The dispatcher object at `object` as a wait sees it, or the stop for one kdemu cannot wait on. */
export function waitable(k: Kernel, object: bigint, routine: string, module = 'ntoskrnl.exe'): Waitable {
  const typeCode = k.m.u8(object + BigInt(k.L.DISPATCHER_HEADER.off.Type));
  const type = OBJECTS[typeCode];
  if (!type) {
    throw new GuestStop('unsupported-call', `${routine}(${hex(object)}) from ${k.symbolize(k.callerAddress())}: dispatcher object type ${typeCode} is not one kdemu can wait on`, { export: `${module}!${routine}` });
  }
  return { object, type };
}

/** Whether the object is signaled for `thread` (a mutex it owns is). */
export function isSignaled(k: Kernel, w: Waitable, thread: bigint): boolean {
  if (w.type.kind === 'mutant') return mutantSignaled(k, w.object, thread);
  return (k.m.u32(w.object + BigInt(k.L.DISPATCHER_HEADER.off.SignalState)) | 0) > 0;
}

/** The side effect of a satisfied wait on the object; STATUS_SUCCESS or STATUS_ABANDONED (a mutex). */
function satisfy(k: Kernel, w: Waitable, routine: string): number {
  const signal = w.object + BigInt(k.L.DISPATCHER_HEADER.off.SignalState);
  switch (w.type.kind) {
    case 'mutant':
      return acquireMutant(k, w.object, routine);
    case 'synchronization':
      k.m.setU32(signal, 0);
      return STATUS.SUCCESS;
    case 'semaphore':
      k.m.setU32(signal, (k.m.u32(signal) | 0) - 1);
      return STATUS.SUCCESS;
    case 'notification':
      return STATUS.SUCCESS;
  }
}

/**
 * Waits for one (any) or all of the objects, until `deadline` (µs since boot; undefined: forever). Returns, through the
 * scheduler, STATUS_WAIT_0 + i for the first signaled object of a wait-any (STATUS_ABANDONED_WAIT_0 + i for an
 * abandoned mutex), STATUS_SUCCESS for a wait-all, STATUS_TIMEOUT when the deadline passed.
 */
export function waitForObjects(k: Kernel, objects: readonly Waitable[], all: boolean, deadline: bigint | undefined, routine: string, module = 'ntoskrnl.exe'): number {
  const thread = k.ps.currentThread;
  const m = k.m;
  // The objects live in kernel memory: the wait works on them in kernel mode.
  const acting = m.acting;
  m.acting = 0;
  try {
    const signaled = (w: Waitable) => isSignaled(k, w, thread);
    const ready = () => (all ? objects.every(signaled) : objects.some(signaled));
    const complete = (ok: boolean): number => {
      if (!ok) return STATUS.TIMEOUT;
      if (all) {
        let abandoned = false;
        for (const w of objects) if (satisfy(k, w, routine) === STATUS.ABANDONED) abandoned = true;
        return abandoned ? STATUS.ABANDONED : STATUS.SUCCESS;
      }
      const i = objects.findIndex(signaled);
      const s = satisfy(k, objects[i], routine);
      return (s === STATUS.ABANDONED ? STATUS.ABANDONED : STATUS.SUCCESS) + i;
    };
    // Satisfied at once: no wait (the common case, and the one worth keeping cheap).
    if (ready()) return complete(true);
    const caller = k.callerAddress();
    const spec = {
      // Described only when a report needs it (a deadlock).
      get what(): string {
        return `${module === 'ntoskrnl.exe' ? '' : `${module}!`}${routine} on ${all && objects.length > 1 ? 'all of ' : objects.length > 1 ? 'one of ' : ''}${objects.map((w) => `${w.type.name} ${hex(w.object)}`).join(', ')}${deadline === undefined ? '' : ' with a timeout'}, called from ${k.symbolize(caller)}`;
      },
      ready,
      deadline,
    };
    return k.sched.waitTail(spec, (ok) => {
      // A resumed thread finishes its wait in kernel mode too.
      const outer = m.acting;
      m.acting = 0;
      try {
        return complete(ok);
      } finally {
        m.acting = outer;
      }
    });
  } finally {
    m.acting = acting;
  }
}

/** The deadline a PLARGE_INTEGER timeout gives (NULL: none; 0: now, a poll). */
function timeoutDeadline(k: Kernel, timeout: bigint): bigint | undefined {
  return timeout === 0n ? undefined : deadlineOf(k, k.m.u64(timeout));
}

/** Lowers the IRQL a KeReleaseMutex / KeSetEvent with Wait = TRUE left raised for this wait. */
function lowerWaitNext(k: Kernel): void {
  const restore = takeWaitNext(k);
  if (restore !== undefined) setIrql(k, restore);
}

export function waitForSingleObject(k: Kernel, object: bigint, timeout: bigint, routine: string): number {
  const w = waitable(k, object, routine);
  const deadline = timeoutDeadline(k, timeout);
  // A wait that would block needs IRQL < DISPATCH_LEVEL; a zero timeout only polls.
  const poll = timeout !== 0n && k.m.u64(timeout) === 0n;
  if (!poll && !isSignaled(k, w, k.ps.currentThread)) assertCanWait(k, routine);
  return waitForObjects(k, [w], false, deadline, routine);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeWaitForSingleObject',
    aliases: ['KeWaitForMutexObject'],
    cc: 'stdcall',
    proto: 'NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout)',
    params: { Object: 'ptr', WaitReason: 'u32', WaitMode: 'u8', Alertable: 'bool', Timeout: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      // After KeReleaseMutex / KeSetEvent with Wait = TRUE the wait itself lowers the IRQL again.
      lowerWaitNext(k);
      return waitForSingleObject(k, a.Object, a.Timeout, 'KeWaitForSingleObject');
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeWaitForMultipleObjects',
    cc: 'stdcall',
    proto: 'NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout, PKWAIT_BLOCK WaitBlockArray)',
    params: { Count: 'u32', Object: 'ptr', WaitType: 'u32', WaitReason: 'u32', WaitMode: 'u8', Alertable: 'bool', Timeout: 'ptr', WaitBlockArray: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      lowerWaitNext(k);
      // Windows checks the count against the wait blocks it has: MAXIMUM_WAIT_OBJECTS_EXCEEDED.
      if (a.Count === 0 || a.Count > MAXIMUM_WAIT_OBJECTS || (a.WaitBlockArray === 0n && a.Count > THREAD_WAIT_OBJECTS)) {
        throw new GuestStop('bugcheck', `KeWaitForMultipleObjects from ${k.symbolize(k.callerAddress())} waits on ${a.Count} objects ${a.WaitBlockArray === 0n ? 'without a wait block array (at most 3)' : '(at most 64)'}`, {
          bugcheck: { code: MAXIMUM_WAIT_OBJECTS_EXCEEDED, params: [0n, 0n, 0n, 0n] },
        });
      }
      const objects = Array.from({ length: a.Count }, (_, i) => waitable(k, k.m.ptr(a.Object + BigInt(i * k.ptrSize)), 'KeWaitForMultipleObjects'));
      const deadline = timeoutDeadline(k, a.Timeout);
      const thread = k.ps.currentThread;
      const now = a.WaitType === WaitAll ? objects.every((w) => isSignaled(k, w, thread)) : objects.some((w) => isSignaled(k, w, thread));
      if (!now && !(a.Timeout !== 0n && k.m.u64(a.Timeout) === 0n)) assertCanWait(k, 'KeWaitForMultipleObjects');
      return waitForObjects(k, objects, a.WaitType === WaitAll, deadline, 'KeWaitForMultipleObjects');
    },
  }),
];
