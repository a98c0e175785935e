// Event dispatcher objects: KeInitializeEvent, KeSetEvent, KeResetEvent, KeClearEvent, KeReadStateEvent (waits on
// events are in wait.ts; a waiter is only ever released by a wait that finds the event signaled).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { initializeEvent } from './dispatcher.js';
import { raiseIrql } from './irql.js';
import { setWaitNext } from './mutex.js';

function signalState(k: Kernel, event: bigint): bigint {
  return event + BigInt(k.L.KEVENT.off['Header.SignalState']);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeInitializeEvent',
    cc: 'stdcall',
    // Type: NotificationEvent (0) or SynchronizationEvent (1); State: initially signaled.
    proto: 'VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)',
    params: { Event: 'ptr', Type: 'u32', State: 'bool' },
    ret: 'void',
    impl: (k, a) => initializeEvent(k, a.Event, a.Type, a.State !== 0),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeSetEvent',
    cc: 'stdcall',
    proto: 'LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)',
    params: { Event: 'ptr', Increment: 'i32', Wait: 'bool' },
    ret: 'i32',
    impl: (k, a) => {
      const previous = k.m.u32(signalState(k, a.Event)) | 0;
      k.m.setU32(signalState(k, a.Event), 1);
      // Wait = TRUE: return at DISPATCH_LEVEL for the KeWaitXxx call that must follow, which lowers it back.
      if (a.Wait) setWaitNext(k, raiseIrql(k, Math.max(k.irql, 2)));
      return previous;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeResetEvent',
    cc: 'stdcall',
    proto: 'LONG KeResetEvent(PRKEVENT Event)',
    params: { Event: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const previous = k.m.u32(signalState(k, a.Event)) | 0;
      k.m.setU32(signalState(k, a.Event), 0);
      return previous;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeClearEvent',
    cc: 'stdcall',
    proto: 'VOID KeClearEvent(PRKEVENT Event)',
    params: { Event: 'ptr' },
    ret: 'void',
    impl: (k, a) => k.m.setU32(signalState(k, a.Event), 0),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeReadStateEvent',
    cc: 'stdcall',
    proto: 'LONG KeReadStateEvent(PRKEVENT Event)',
    params: { Event: 'ptr' },
    ret: 'i32',
    impl: (k, a) => k.m.u32(a.Event + BigInt(k.L.KEVENT.off['Header.SignalState'])) | 0,
  }),
];
