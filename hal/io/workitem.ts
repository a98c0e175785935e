// I/O work items: IoAllocateWorkItem, IoFreeWorkItem, IoQueueWorkItem(Ex), IoSizeofWorkItem, IoInitializeWorkItem,
// IoUninitializeWorkItem. An IO_WORKITEM is opaque to drivers; kdemu's holds the I/O object it belongs to. Queueing
// one references that device (or driver) object until the routine has returned, so its driver cannot go meanwhile;
// the routine runs on a system worker thread (ex/work.ts) at PASSIVE_LEVEL.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { referenceObject } from '../ob/object.js';
import { queueWorkItem } from '../ex/work.js';

/** IO_WORKITEM: a WORK_QUEUE_ITEM, then the I/O object, the routine, its context and its type (kdemu's layout). */
function size(k: Kernel): number {
  return k.L.WORK_QUEUE_ITEM.size + 4 * k.ptrSize;
}

function ioObjectField(k: Kernel): number {
  return k.L.WORK_QUEUE_ITEM.size;
}

function initialize(k: Kernel, item: bigint, ioObject: bigint): void {
  k.m.fill(item, size(k));
  k.m.setPtrAt(item, ioObjectField(k), ioObject);
}

function queue(k: Kernel, item: bigint, routine: bigint, queueType: number, context: bigint, ex: boolean, name: string): void {
  const ioObject = k.m.ptrAt(item, ioObjectField(k));
  if (ioObject === 0n) {
    throw new GuestStop('bugcheck', `${name}(${hex(item)}) from ${k.symbolize(k.callerAddress())}: the work item was never initialized (no I/O object)`, {
      bugcheck: { code: 0xc4, params: [0x20n, item, 0n, 0n] },
    });
  }
  // The I/O manager keeps the object alive while the item waits and runs.
  referenceObject(k, ioObject, name);
  queueWorkItem(k, queueType, { routine, a1: ioObject, a2: context, ...(ex ? { a3: item } : {}), item, device: ioObject });
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoAllocateWorkItem', proto: 'PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const item = k.pool.allocate(size(k), 0x6b576f49 /* 'IoWk' */, 0, 'driver', k.symbolize(k.callerAddress()));
      if (item === null) return 0n;
      initialize(k, item, a.DeviceObject);
      return item;
    },
  }),
  defineExport({
    ...io, name: 'IoFreeWorkItem', proto: 'VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)',
    params: { IoWorkItem: 'ptr' }, ret: 'void',
    impl: (k, a) => void k.pool.free_(a.IoWorkItem, 0, k.callerAddress()),
  }),
  defineExport({
    ...io, name: 'IoSizeofWorkItem', proto: 'ULONG IoSizeofWorkItem(VOID)',
    params: {}, ret: 'u32',
    impl: (k) => size(k),
  }),
  defineExport({
    ...io, name: 'IoInitializeWorkItem', proto: 'VOID IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)',
    params: { IoObject: 'ptr', IoWorkItem: 'ptr' }, ret: 'void',
    impl: (k, a) => initialize(k, a.IoWorkItem, a.IoObject),
  }),
  defineExport({
    ...io, name: 'IoUninitializeWorkItem', proto: 'VOID IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem)',
    params: { IoWorkItem: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setPtrAt(a.IoWorkItem, ioObjectField(k), 0n),
  }),
  defineExport({
    ...io, name: 'IoQueueWorkItem', proto: 'VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType, PVOID Context)',
    params: { IoWorkItem: 'ptr', WorkerRoutine: 'ptr', QueueType: 'u32', Context: 'ptr' }, ret: 'void',
    impl: (k, a) => queue(k, a.IoWorkItem, a.WorkerRoutine, a.QueueType, a.Context, false, 'IoQueueWorkItem'),
  }),
  defineExport({
    ...io, name: 'IoQueueWorkItemEx', proto: 'VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine, WORK_QUEUE_TYPE QueueType, PVOID Context)',
    params: { IoWorkItem: 'ptr', WorkerRoutine: 'ptr', QueueType: 'u32', Context: 'ptr' }, ret: 'void',
    impl: (k, a) => queue(k, a.IoWorkItem, a.WorkerRoutine, a.QueueType, a.Context, true, 'IoQueueWorkItemEx'),
  }),
];
