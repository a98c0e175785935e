// Dispatcher objects in guest memory: DISPATCHER_HEADER initialisation for events, and LIST_ENTRY heads.

import type { Kernel } from '../kernel.js';

/** KOBJECTS values for DISPATCHER_HEADER.Type. */
export const NotificationEvent = 0;
export const SynchronizationEvent = 1;

export function initializeListHead(k: Kernel, head: bigint): void {
  k.m.setPtr(head + BigInt(k.L.LIST_ENTRY.off.Flink), head);
  k.m.setPtr(head + BigInt(k.L.LIST_ENTRY.off.Blink), head);
}

/** KeInitializeEvent: Type = event type, Size in dwords, SignalState, empty wait list. */
export function initializeEvent(k: Kernel, event: bigint, type: number, signaled: boolean): void {
  const o = k.L.KEVENT.off;
  const m = k.m;
  m.setU8(event + BigInt(o['Header.Type']), type);
  m.setU8(event + BigInt(o['Header.Size']), k.L.KEVENT.size / 4);
  m.setU32(event + BigInt(o['Header.SignalState']), signaled ? 1 : 0);
  initializeListHead(k, event + BigInt(o['Header.WaitListHead']));
}
