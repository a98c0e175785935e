// Event dispatcher objects: KeInitializeEvent, KeReadStateEvent (waits on events are in wait.ts).

import { defineExport } from '../export.js';
import { initializeEvent } from './dispatcher.js';

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
    name: 'KeReadStateEvent',
    cc: 'stdcall',
    proto: 'LONG KeReadStateEvent(PRKEVENT Event)',
    params: { Event: 'ptr' },
    ret: 'i32',
    impl: (k, a) => k.m.u32(a.Event + BigInt(k.L.KEVENT.off['Header.SignalState'])) | 0,
  }),
];
