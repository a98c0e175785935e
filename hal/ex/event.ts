// Event objects with handles: ZwCreateEvent, ZwOpenEvent, ZwSetEvent, ZwClearEvent, ZwWaitForSingleObject, and the
// I/O manager's named events (IoCreateNotificationEvent, IoCreateSynchronizationEvent).
//
// An event object is a KEVENT in non-paged pool owned by the object manager (ob/handle.ts): named ones live in the
// namespace (\BaseNamedObjects\X), where user mode's OpenEvent("Global\X") finds them too.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { NotificationEvent, SynchronizationEvent, initializeEvent } from '../ke/dispatcher.js';
import { mapGeneric, resolveHandle, type KObject } from '../ob/handle.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { OBJ_KERNEL_HANDLE, objectAttributes } from '../ps/thread.js';
import { deadlineOf, assertCanWait } from '../ke/clock.js';
import { isSignaled, waitForObjects, waitable } from '../ke/wait.js';

const EVENT_ALL_ACCESS = 0x1f0003;
const EVENT_MODIFY_STATE = 2;
const OBJ_OPENIF = 0x80;
const KernelMode = 0;

/** The name an OBJECT_ATTRIBUTES gives (RootDirectory-relative names are not supported: a named stop). */
export function attributesName(k: Kernel, oa: bigint, routine: string): string | undefined {
  if (oa === 0n) return undefined;
  const o = k.L.OBJECT_ATTRIBUTES.off;
  if (k.m.ptrAt(oa, o.RootDirectory) !== 0n) {
    throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())} names its object relative to a directory handle (OBJECT_ATTRIBUTES.RootDirectory), which kdemu does not support`, { export: `ntoskrnl.exe!${routine}` });
  }
  const name = k.m.ptrAt(oa, o.ObjectName);
  return name === 0n ? undefined : readUnicodeString(k, name);
}

/**
 * Creates an event object (or opens the existing one of the name when `openIf`); its handle in the kernel's or the
 * current process's table. STATUS_OBJECT_NAME_COLLISION for an existing name without openIf, _EXISTS with it.
 */
export function createEventObject(k: Kernel, name: string | undefined, type: number, signaled: boolean, access: number, kernel: boolean, openIf: boolean): { status: number; handle?: bigint; object?: KObject } {
  if (name !== undefined) {
    const existing = k.ns.get(name);
    if (existing) {
      if (!openIf) return { status: STATUS.OBJECT_NAME_COLLISION };
      const obj = k.ob.named(name);
      if (!obj || obj.type !== 'Event') return { status: STATUS.OBJECT_TYPE_MISMATCH };
      return { status: STATUS.OBJECT_NAME_EXISTS, handle: k.ob.insert(obj, access, kernel), object: obj };
    }
    const dir = name.slice(0, name.lastIndexOf('\\')) || '\\';
    if (!/^\\(BaseNamedObjects|KernelObjects|Callback)?$/i.test(dir)) return { status: STATUS.OBJECT_PATH_NOT_FOUND };
  }
  const obj = k.ob.createInPool('Event', k.L.KEVENT.size, 0x76655645 /* 'EvEv' */, (body) => initializeEvent(k, body, type, signaled), name);
  if (!obj) return { status: STATUS.INSUFFICIENT_RESOURCES };
  return { status: STATUS.SUCCESS, handle: k.ob.insert(obj, access, kernel), object: obj };
}

/** IoCreateNotificationEvent / IoCreateSynchronizationEvent: a named event, created signaled, with a kernel handle. */
function ioCreateEvent(k: Kernel, nameP: bigint, handleP: bigint, type: number): bigint {
  const name = readUnicodeString(k, nameP);
  const r = createEventObject(k, name, type, true, EVENT_ALL_ACCESS, true, true);
  if (!r.object) return 0n;
  k.m.setPtr(handleP, r.handle!);
  // The pointer is good while the handle is open (no reference is added for the caller).
  return r.object.body;
}

function eventHandle(k: Kernel, h: bigint, mode: number, want: number): { status: number; body?: bigint } {
  const r = resolveHandle(k, h, mode);
  if (!r) return { status: STATUS.INVALID_HANDLE };
  if (r.type !== 'Event') return { status: STATUS.OBJECT_TYPE_MISMATCH };
  if (mode !== KernelMode && (r.access & want) !== want) return { status: STATUS.ACCESS_DENIED };
  return { status: STATUS.SUCCESS, body: r.body };
}

/** NtSetEvent / NtClearEvent from kernel mode. */
function setEventByHandle(k: Kernel, h: bigint, signaled: boolean, previousP: bigint): number {
  const r = eventHandle(k, h, KernelMode, EVENT_MODIFY_STATE);
  if (r.body === undefined) return r.status;
  const signal = r.body + BigInt(k.L.KEVENT.off['Header.SignalState']);
  const previous = k.m.actingAs(0, () => k.m.u32(signal));
  if (previousP !== 0n) k.m.setU32(previousP, previous);
  k.m.actingAs(0, () => k.m.setU32(signal, signaled ? 1 : 0));
  return STATUS.SUCCESS;
}

const ex = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ex, name: 'IoCreateNotificationEvent',
    proto: 'PKEVENT IoCreateNotificationEvent(PUNICODE_STRING EventName, PHANDLE EventHandle)',
    params: { EventName: 'pustr', EventHandle: 'ptr' }, ret: 'ptr',
    impl: (k, a) => ioCreateEvent(k, a.EventName, a.EventHandle, NotificationEvent),
  }),
  defineExport({
    ...ex, name: 'IoCreateSynchronizationEvent',
    proto: 'PKEVENT IoCreateSynchronizationEvent(PUNICODE_STRING EventName, PHANDLE EventHandle)',
    params: { EventName: 'pustr', EventHandle: 'ptr' }, ret: 'ptr',
    impl: (k, a) => ioCreateEvent(k, a.EventName, a.EventHandle, SynchronizationEvent),
  }),
  defineExport({
    ...ex, name: 'ZwCreateEvent',
    proto: 'NTSTATUS ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, EVENT_TYPE EventType, BOOLEAN InitialState)',
    params: { EventHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', EventType: 'u32', InitialState: 'bool' }, ret: 'status',
    impl: (k, a) => {
      if (a.EventType > SynchronizationEvent) return STATUS.INVALID_PARAMETER;
      const attrs = objectAttributes(k, a.ObjectAttributes);
      const r = createEventObject(k, attributesName(k, a.ObjectAttributes, 'ZwCreateEvent'), a.EventType, a.InitialState !== 0, mapGeneric('Event', a.DesiredAccess), (attrs & OBJ_KERNEL_HANDLE) !== 0, (attrs & OBJ_OPENIF) !== 0);
      if (r.handle !== undefined) k.m.setPtr(a.EventHandle, r.handle);
      return r.status;
    },
  }),
  defineExport({
    ...ex, name: 'ZwOpenEvent',
    proto: 'NTSTATUS ZwOpenEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { EventHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const name = attributesName(k, a.ObjectAttributes, 'ZwOpenEvent');
      if (name === undefined) return STATUS.OBJECT_NAME_INVALID;
      const obj = k.ob.named(name);
      if (!obj) return k.ns.get(name) ? STATUS.OBJECT_TYPE_MISMATCH : STATUS.OBJECT_NAME_NOT_FOUND;
      if (obj.type !== 'Event') return STATUS.OBJECT_TYPE_MISMATCH;
      k.m.setPtr(a.EventHandle, k.ob.insert(obj, mapGeneric('Event', a.DesiredAccess), (objectAttributes(k, a.ObjectAttributes) & OBJ_KERNEL_HANDLE) !== 0));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex, name: 'ZwSetEvent',
    proto: 'NTSTATUS ZwSetEvent(HANDLE EventHandle, PLONG PreviousState)',
    params: { EventHandle: 'handle', PreviousState: 'ptr' }, ret: 'status',
    impl: (k, a) => setEventByHandle(k, a.EventHandle, true, a.PreviousState),
  }),
  defineExport({
    ...ex, name: 'ZwClearEvent',
    proto: 'NTSTATUS ZwClearEvent(HANDLE EventHandle)',
    params: { EventHandle: 'handle' }, ret: 'status',
    impl: (k, a) => setEventByHandle(k, a.EventHandle, false, 0n),
  }),
  defineExport({
    ...ex, name: 'ZwWaitForSingleObject',
    proto: 'NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)',
    params: { Handle: 'handle', Alertable: 'bool', Timeout: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const r = resolveHandle(k, a.Handle, KernelMode);
      if (!r) return STATUS.INVALID_HANDLE;
      if (r.type === 'File') {
        throw new GuestStop('unsupported-call', `ZwWaitForSingleObject(${hex(a.Handle)}) from ${k.symbolize(k.callerAddress())} waits on a file handle, which kdemu does not support`, { export: 'ntoskrnl.exe!ZwWaitForSingleObject' });
      }
      const w = waitable(k, r.body, 'ZwWaitForSingleObject');
      const deadline = a.Timeout === 0n ? undefined : deadlineOf(k, k.m.u64(a.Timeout));
      const poll = a.Timeout !== 0n && k.m.u64(a.Timeout) === 0n;
      if (!poll && !isSignaled(k, w, k.ps.currentThread)) assertCanWait(k, 'ZwWaitForSingleObject');
      return waitForObjects(k, [w], false, deadline, 'ZwWaitForSingleObject');
    },
  }),
];
