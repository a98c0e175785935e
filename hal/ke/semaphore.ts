// Semaphore dispatcher objects: KeInitializeSemaphore, KeReleaseSemaphore, KeReadStateSemaphore (waits on them are in
// wait.ts: a satisfied wait takes one from the count).

import { defineExport } from '../export.js';
import { EXCEPTION_NONCONTINUABLE, raiseFromExport } from './except.js';
import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { initializeListHead } from './dispatcher.js';
import { DISPATCH_LEVEL, raiseIrql } from './irql.js';
import { setWaitNext } from './mutex.js';

const SemaphoreObject = 5;

function signal(k: Kernel, s: bigint): bigint {
  return s + BigInt(k.L.KSEMAPHORE.off['Header.SignalState']);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'KeInitializeSemaphore',
    proto: 'VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)',
    params: { Semaphore: 'ptr', Count: 'i32', Limit: 'i32' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.KSEMAPHORE.off;
      k.m.setU8(a.Semaphore + BigInt(o['Header.Type']), SemaphoreObject);
      k.m.setU8(a.Semaphore + BigInt(o['Header.Size']), k.L.KSEMAPHORE.size / 4);
      k.m.setU32(signal(k, a.Semaphore), a.Count);
      initializeListHead(k, a.Semaphore + BigInt(o['Header.WaitListHead']));
      k.m.setU32(a.Semaphore + BigInt(o.Limit), a.Limit);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'KeReleaseSemaphore',
    proto: 'LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)',
    params: { Semaphore: 'ptr', Increment: 'i32', Adjustment: 'i32', Wait: 'bool' }, ret: 'i32',
    impl: (k, a) => {
      const previous = k.m.u32(signal(k, a.Semaphore)) | 0;
      const limit = k.m.u32(a.Semaphore + BigInt(k.L.KSEMAPHORE.off.Limit)) | 0;
      const next = previous + a.Adjustment;
      if (a.Adjustment <= 0 || next > limit || next < previous) {
        // KeReleaseSemaphore raises STATUS_SEMAPHORE_LIMIT_EXCEEDED; unhandled in a driver it bugchecks.
        raiseFromExport(k, STATUS.SEMAPHORE_LIMIT_EXCEEDED, [], `KeReleaseSemaphore(${hex(a.Semaphore)}, adjustment ${a.Adjustment}) from ${k.symbolize(k.callerAddress())} would take the count from ${previous} past its limit ${limit}: STATUS_SEMAPHORE_LIMIT_EXCEEDED raised`, EXCEPTION_NONCONTINUABLE);
      }
      k.m.setU32(signal(k, a.Semaphore), next);
      if (a.Wait) setWaitNext(k, raiseIrql(k, Math.max(k.irql, DISPATCH_LEVEL)));
      return previous;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'KeReadStateSemaphore',
    proto: 'LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)',
    params: { Semaphore: 'ptr' }, ret: 'i32',
    impl: (k, a) => k.m.u32(signal(k, a.Semaphore)) | 0,
  }),
];
