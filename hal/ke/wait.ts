// Waiting on dispatcher objects: KeWaitForSingleObject (and its alias KeWaitForMutexObject).
//
// A signaled object satisfies the wait at once, with its side effect: a synchronization event or timer is reset,
// a semaphore's count goes down by one, a mutex is taken (mutex.ts). kdemu runs one thread at a time with no
// timers or DPCs, so nothing can signal an object while its waiter waits: an unsignaled object with a zero
// timeout (or an absolute time already past) returns STATUS_TIMEOUT; with no timeout it is a deadlock; a timed wait
// would need the virtual clock, which kdemu does not have yet, and stops the run saying so.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { BOOT_SYSTEM_TIME } from '../boot.js';
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
  const state = m.u32(signal) | 0;
  if (type.kind === 'mutant' ? mutantSignaled(k, object) : state > 0) {
    switch (type.kind) {
      case 'mutant':
        return acquireMutant(k, object, routine);
      case 'synchronization':
        m.setU32(signal, 0);
        break;
      case 'semaphore':
        m.setU32(signal, state - 1);
        break;
      case 'notification':
        break;
    }
    return STATUS.SUCCESS;
  }
  if (timeout !== 0n) {
    const t = BigInt.asIntN(64, m.u64(timeout));
    // No clock runs: the system time stays at boot, so only a zero interval or a time already reached is over.
    if (t === 0n || (t > 0n && t <= BOOT_SYSTEM_TIME)) return STATUS.TIMEOUT;
    throw new GuestStop('unsupported-call', `${routine}(${hex(object)}) from ${caller} waits up to ${t < 0n ? `${-t * 100n} ns` : `the absolute time ${t}`} on a ${type.name} nothing can signal; the timeout needs the virtual clock, which kdemu does not have yet`, { export: `ntoskrnl.exe!${routine}` });
  }
  throw new GuestStop('deadlock', `${routine}(${hex(object)}) from ${caller} waits with no timeout on a ${type.name} that is not signaled, and nothing else in the machine can run to signal it`, {});
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
      const restore = takeWaitNext(k);
      const status = waitForSingleObject(k, a.Object, a.Timeout, 'KeWaitForSingleObject');
      if (restore !== undefined) setIrql(k, restore);
      return status;
    },
  }),
];
