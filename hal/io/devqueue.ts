// Device queues: KeInitializeDeviceQueue, KeInsert(ByKey)DeviceQueue, KeRemove(ByKey)DeviceQueue,
// KeRemoveEntryDeviceQueue; and the I/O manager's StartIo model on top of them: IoStartPacket, IoStartNextPacket,
// IoStartNextPacketByKey.
//
// A device queue is busy while its owner works on a request: inserting into an idle queue marks it busy and does not
// queue the entry (the caller starts the request itself); removing from an empty busy queue makes it idle again.
// Entries are kept in KDEVICE_QUEUE.DeviceListHead in guest memory, in order (by SortKey for the ByKey forms).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { raiseIrql, setIrql } from '../ke/irql.js';
import { acquireCancelLock, releaseCancelLock } from './cancel.js';

const DeviceQueueObject = 0x14;

function fields(k: Kernel, q: bigint) {
  const o = k.L.KDEVICE_QUEUE.off;
  return { head: q + BigInt(o.DeviceListHead), busy: q + BigInt(o.Busy) };
}

const entryOff = (k: Kernel) => k.L.KDEVICE_QUEUE_ENTRY.off;

function checkQueue(k: Kernel, q: bigint, routine: string): void {
  if (k.m.u16(q + BigInt(k.L.KDEVICE_QUEUE.off.Type)) !== DeviceQueueObject) {
    throw new GuestStop('fault', `${routine}(${hex(q)}) from ${k.symbolize(k.callerAddress())}: not an initialized device queue (KeInitializeDeviceQueue)`, { export: `ntoskrnl.exe!${routine}` });
  }
}

/** KeInitializeDeviceQueue: an idle queue with an empty list (IoCreateDevice does it for DEVICE_OBJECT.DeviceQueue). */
export function initializeDeviceQueue(k: Kernel, q: bigint): void {
  const Q = k.L.KDEVICE_QUEUE;
  k.m.fill(q, Q.size);
  k.m.setU16(q + BigInt(Q.off.Type), DeviceQueueObject);
  k.m.setU16(q + BigInt(Q.off.Size), Q.size);
  const head = q + BigInt(Q.off.DeviceListHead);
  k.m.setPtr(head, head);
  k.m.setPtr(head + BigInt(k.ptrSize), head);
}

/** Links entry before `before` (a list entry or the head). */
function linkBefore(k: Kernel, before: bigint, entry: bigint): void {
  const p = BigInt(k.ptrSize);
  const prev = k.m.ptr(before + p);
  k.m.setPtr(entry, before);
  k.m.setPtr(entry + p, prev);
  k.m.setPtr(prev, entry);
  k.m.setPtr(before + p, entry);
}

function unlink(k: Kernel, entry: bigint): void {
  const p = BigInt(k.ptrSize);
  const next = k.m.ptr(entry);
  const prev = k.m.ptr(entry + p);
  k.m.setPtr(prev, next);
  k.m.setPtr(next + p, prev);
}

/** KeInsertDeviceQueue / KeInsertByKeyDeviceQueue: false when the queue was idle (now busy, entry not queued). */
export function insertDeviceQueue(k: Kernel, q: bigint, entry: bigint, key: number | undefined, routine: string): boolean {
  checkQueue(k, q, routine);
  const f = fields(k, q);
  const e = entryOff(k);
  if (key !== undefined) k.m.setU32(entry + BigInt(e.SortKey), key);
  if (!k.m.u8(f.busy)) {
    k.m.setU8(f.busy, 1);
    k.m.setU8(entry + BigInt(e.Inserted), 0);
    return false;
  }
  let before = f.head;
  if (key !== undefined) {
    // After every entry whose key is not greater.
    for (let at = k.m.ptr(f.head); at !== f.head; at = k.m.ptr(at)) {
      if ((k.m.u32(at + BigInt(e.SortKey)) >>> 0) > (key >>> 0)) {
        before = at;
        break;
      }
    }
  }
  linkBefore(k, before, entry);
  k.m.setU8(entry + BigInt(e.Inserted), 1);
  return true;
}

/** KeRemoveDeviceQueue / KeRemoveByKeyDeviceQueue: the next entry, or 0 (and the queue idle) when there is none. */
export function removeDeviceQueue(k: Kernel, q: bigint, key: number | undefined, routine: string): bigint {
  checkQueue(k, q, routine);
  const f = fields(k, q);
  const e = entryOff(k);
  const first = k.m.ptr(f.head);
  if (first === f.head) {
    k.m.setU8(f.busy, 0);
    return 0n;
  }
  let pick = first;
  if (key !== undefined) {
    // The first entry whose key is at least `key`; the head when none is.
    for (let at = first; at !== f.head; at = k.m.ptr(at)) {
      if ((k.m.u32(at + BigInt(e.SortKey)) >>> 0) >= (key >>> 0)) {
        pick = at;
        break;
      }
    }
  }
  unlink(k, pick);
  k.m.setU8(pick + BigInt(e.Inserted), 0);
  return pick;
}

/** IoStartPacket: the device's StartIo gets the IRP now, or the IRP waits in the device queue. */
function startPacket(k: Kernel, device: bigint, irp: bigint, keyPtr: bigint, cancel: bigint): void {
  const D = k.L.DEVICE_OBJECT.off;
  const o = k.L.IRP.off;
  const old = raiseIrql(k, Math.max(k.irql, 2));
  let cancelIrql = 0;
  if (cancel !== 0n) {
    cancelIrql = acquireCancelLock(k, 'IoStartPacket');
    k.m.setPtrAt(irp, o.CancelRoutine, cancel);
  }
  const entry = irp + BigInt(o['Tail.Overlay.DeviceQueueEntry']);
  const queue = device + BigInt(D.DeviceQueue);
  const queued = insertDeviceQueue(k, queue, entry, keyPtr !== 0n ? k.m.u32(keyPtr) : undefined, 'IoStartPacket');
  if (!queued) {
    k.m.setPtrAt(device, D.CurrentIrp, irp);
    if (cancel !== 0n) releaseCancelLock(k, cancelIrql, 'IoStartPacket');
    callStartIo(k, device, irp);
  } else if (cancel !== 0n && k.m.u8At(irp, o.Cancel)) {
    // Cancelled before it was queued: the cancel routine runs now, with the lock held (it releases it).
    k.m.setU8At(irp, o.CancelIrql, cancelIrql);
    k.m.setPtrAt(irp, o.CancelRoutine, 0n);
    k.callRoutine(cancel, [device, irp], `cancel routine for IRP ${hex(irp)}`);
  } else if (cancel !== 0n) {
    releaseCancelLock(k, cancelIrql, 'IoStartPacket');
  }
  setIrql(k, old);
}

function callStartIo(k: Kernel, device: bigint, irp: bigint): void {
  const driver = k.m.ptrAt(device, k.L.DEVICE_OBJECT.off.DriverObject);
  const startIo = k.m.ptrAt(driver, k.L.DRIVER_OBJECT.off.DriverStartIo);
  if (startIo === 0n) {
    throw new GuestStop('fault', `IoStartPacket for device ${hex(device)} from ${k.symbolize(k.callerAddress())}: its driver has no DriverStartIo routine`, { export: 'ntoskrnl.exe!IoStartPacket' });
  }
  k.callRoutine(startIo, [device, irp], 'StartIo');
}

/** IoStartNextPacket(ByKey): the next queued IRP goes to StartIo, or the device becomes idle. */
function startNextPacket(k: Kernel, device: bigint, cancelable: boolean, key: number | undefined, routine: string): void {
  const D = k.L.DEVICE_OBJECT.off;
  const cancelIrql = cancelable ? acquireCancelLock(k, routine) : 0;
  k.m.setPtrAt(device, D.CurrentIrp, 0n);
  const entry = removeDeviceQueue(k, device + BigInt(D.DeviceQueue), key, routine);
  if (entry === 0n) {
    if (cancelable) releaseCancelLock(k, cancelIrql, routine);
    return;
  }
  const irp = entry - BigInt(k.L.IRP.off['Tail.Overlay.DeviceQueueEntry']);
  k.m.setPtrAt(device, D.CurrentIrp, irp);
  if (cancelable) releaseCancelLock(k, cancelIrql, routine);
  callStartIo(k, device, irp);
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeInitializeDeviceQueue', proto: 'VOID KeInitializeDeviceQueue(PKDEVICE_QUEUE DeviceQueue)',
    params: { DeviceQueue: 'ptr' }, ret: 'void',
    impl: (k, a) => initializeDeviceQueue(k, a.DeviceQueue),
  }),
  defineExport({
    ...ke, name: 'KeInsertDeviceQueue', proto: 'BOOLEAN KeInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry)',
    params: { DeviceQueue: 'ptr', DeviceQueueEntry: 'ptr' }, ret: 'bool',
    impl: (k, a) => (insertDeviceQueue(k, a.DeviceQueue, a.DeviceQueueEntry, undefined, 'KeInsertDeviceQueue') ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'KeInsertByKeyDeviceQueue', proto: 'BOOLEAN KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry, ULONG SortKey)',
    params: { DeviceQueue: 'ptr', DeviceQueueEntry: 'ptr', SortKey: 'u32' }, ret: 'bool',
    impl: (k, a) => (insertDeviceQueue(k, a.DeviceQueue, a.DeviceQueueEntry, a.SortKey, 'KeInsertByKeyDeviceQueue') ? 1 : 0),
  }),
  defineExport({
    ...ke, name: 'KeRemoveDeviceQueue', proto: 'PKDEVICE_QUEUE_ENTRY KeRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue)',
    params: { DeviceQueue: 'ptr' }, ret: 'ptr',
    impl: (k, a) => removeDeviceQueue(k, a.DeviceQueue, undefined, 'KeRemoveDeviceQueue'),
  }),
  defineExport({
    ...ke, name: 'KeRemoveByKeyDeviceQueue', proto: 'PKDEVICE_QUEUE_ENTRY KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, ULONG SortKey)',
    params: { DeviceQueue: 'ptr', SortKey: 'u32' }, ret: 'ptr',
    impl: (k, a) => removeDeviceQueue(k, a.DeviceQueue, a.SortKey, 'KeRemoveByKeyDeviceQueue'),
  }),
  defineExport({
    ...ke, name: 'KeRemoveEntryDeviceQueue', proto: 'BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry)',
    params: { DeviceQueue: 'ptr', DeviceQueueEntry: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      checkQueue(k, a.DeviceQueue, 'KeRemoveEntryDeviceQueue');
      const inserted = entryOff(k).Inserted;
      if (!k.m.u8(a.DeviceQueueEntry + BigInt(inserted))) return 0;
      unlink(k, a.DeviceQueueEntry);
      k.m.setU8(a.DeviceQueueEntry + BigInt(inserted), 0);
      return 1;
    },
  }),
  defineExport({
    ...ke, name: 'IoStartPacket', proto: 'VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key, PDRIVER_CANCEL CancelFunction)',
    params: { DeviceObject: 'ptr', Irp: 'ptr', Key: 'ptr', CancelFunction: 'ptr' }, ret: 'void',
    impl: (k, a) => startPacket(k, a.DeviceObject, a.Irp, a.Key, a.CancelFunction),
  }),
  defineExport({
    ...ke, name: 'IoStartNextPacket', proto: 'VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable)',
    params: { DeviceObject: 'ptr', Cancelable: 'bool' }, ret: 'void',
    impl: (k, a) => startNextPacket(k, a.DeviceObject, a.Cancelable !== 0, undefined, 'IoStartNextPacket'),
  }),
  defineExport({
    ...ke, name: 'IoStartNextPacketByKey', proto: 'VOID IoStartNextPacketByKey(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, ULONG Key)',
    params: { DeviceObject: 'ptr', Cancelable: 'bool', Key: 'u32' }, ret: 'void',
    impl: (k, a) => startNextPacket(k, a.DeviceObject, a.Cancelable !== 0, a.Key, 'IoStartNextPacketByKey'),
  }),
];
