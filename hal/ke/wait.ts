// Waiting on dispatcher objects: KeWaitForSingleObject (and its alias KeWaitForMutexObject).
//
// A signaled object satisfies the wait at once, with its side effect: a synchronization event or timer is reset,
// a semaphore's count goes down by one, a mutex is taken (mutex.ts). kdemu runs one thread: while it waits, virtual
// time jumps from timer to timer (their DPCs may signal the object) until the object is signaled or the timeout is
// over; an infinite wait on something nothing can signal is a deadlock. Waiting at DISPATCH_LEVEL bugchecks.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { assertCanWait, deadlineOf, waitUntil } from './clock.js';
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

export function waitForSingleObject(k: Kernel, object: bigint, timeout: bigint, routine: string): number {
  const m = k.m;
  const o = k.L.DISPATCHER_HEADER.off;
  const typeCode = m.u8(object + BigInt(o.Type));
  const type = OBJECTS[typeCode];
  const caller = k.symbolize(k.callerAddress());
  if (!type) {
    throw new GuestStop('unsupported-call', `${routine}(${hex(object)}) from ${caller}: dispatcher object type ${typeCode} is not one kdemu can wait on`, { export: `ntoskrnl.exe!${routine}` });
  }
  const signal = object + BigInt(o.SignalState);
  const signaled = () => (type.kind === 'mutant' ? mutantSignaled(k, object) : (m.u32(signal) | 0) > 0);
  if (!signaled()) {
    // The only thread waits: time passes to the next timer (whose DPC may signal the object) until it is signaled
    // or the timeout is over; with no timeout and nothing due, nothing can ever signal it.
    const t = timeout === 0n ? undefined : BigInt.asIntN(64, m.u64(timeout));
    if (t === 0n) return STATUS.TIMEOUT;
    assertCanWait(k, routine);
    const ok = waitUntil(k, signaled, t === undefined ? undefined : deadlineOf(k, t));
    if (!ok && t !== undefined) return STATUS.TIMEOUT;
    if (!ok) throw new GuestStop('deadlock', `${routine}(${hex(object)}) from ${caller} waits with no timeout on a ${type.name} that is not signaled, and nothing else in the machine can run to signal it`, {});
  }
  switch (type.kind) {
    case 'mutant':
      return acquireMutant(k, object, routine);
    case 'synchronization':
      m.setU32(signal, 0);
      break;
    case 'semaphore':
      m.setU32(signal, (m.u32(signal) | 0) - 1);
      break;
    case 'notification':
      break;
  }
  return STATUS.SUCCESS;
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
      const restore = takeWaitNext(k);
      if (restore !== undefined) setIrql(k, restore);
      return waitForSingleObject(k, a.Object, a.Timeout, 'KeWaitForSingleObject');
    },
  }),
];
