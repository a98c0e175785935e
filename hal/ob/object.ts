// Object headers: which kernel object a pointer is, and its pointer count (ObfReferenceObject, ObfDereferenceObject).
//
// kdemu's objects (driver, device, file, process and thread objects) have no OBJECT_HEADER in guest memory; their
// pointer counts live here. Each live object holds one reference that the system owns (the loaded driver, the
// device's creator, the open handle, the running process); the references drivers take come on top of it.
// Dropping a reference the driver does not hold would, on Windows, free an object the system still uses: kdemu
// stops there with REFERENCE_BY_POINTER, the bugcheck Windows raises when it catches an object's count going wrong.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { closeFileObject } from '../io/iofunc.js';
import { referenceByHandle, setDriverRefs } from './handle.js';
import { STATUS } from '../rtl/ntstatus.js';
import { internalObjectType } from '../boot.js';
import { isTokenBody } from '../se/tokens.js';

export type ObjectTypeName = 'Driver' | 'Device' | 'File' | 'Process' | 'Thread' | 'Event' | 'Mutant' | 'Semaphore' | 'Timer' | 'Key' | 'Token' | 'SymbolicLink' | 'Callback' | 'Directory' | 'Section';

/** REFERENCE_BY_POINTER: (object type, object, reserved, reserved). */
export const REFERENCE_BY_POINTER = 0x18;

/** The POBJECT_TYPE data export of each type (the bugcheck names the type by its OBJECT_TYPE address). */
const TYPE_VARIABLE: Partial<Record<ObjectTypeName, string>> = {
  Driver: 'IoDriverObjectType',
  Device: 'IoDeviceObjectType',
  File: 'IoFileObjectType',
  Process: 'PsProcessType',
  Thread: 'PsThreadType',
  Event: 'ExEventObjectType',
  Semaphore: 'ExSemaphoreObjectType',
  Token: 'SeTokenObjectType',
  Key: 'CmKeyObjectType',
  Section: 'MmSectionObjectType',
  // Mutant and Timer have no exported variable: their OBJECT_TYPEs are the kernel's own (boot.ts).
};

/** References drivers took (ObfReferenceObject and the Ob*ByName/ByHandle/ByPointer calls), per object. */
const taken = new WeakMap<Kernel, Map<bigint, { type: ObjectTypeName; count: number }>>();

function references(k: Kernel): Map<bigint, { type: ObjectTypeName; count: number }> {
  let m = taken.get(k);
  if (!m) taken.set(k, (m = new Map()));
  return m;
}

setDriverRefs((k, body) => references(k).get(body)?.count ?? 0);

/** The type of the live kernel object at this address, or undefined when it is not one kdemu created. */
export function objectTypeOf(k: Kernel, address: bigint): ObjectTypeName | undefined {
  if (address === 0n) return undefined;
  if (k.io.driverAt(address)) return 'Driver';
  // A deleted device lives on while files are open on it or drivers still reference it.
  if (k.io.devices.some((d) => d.address === address && (!d.deleted || d.openCount > 0))) return 'Device';
  if (k.io.liveFiles.has(address)) return 'File';
  const o = k.ob.at(address);
  if (o) return o.type;
  const held = references(k).get(address);
  if (held) return held.type;
  if (isTokenBody(k, address)) return 'Token';
  return k.ps.objectAt(address);
}

/** The OBJECT_TYPE a type's data export points at (*IoDriverObjectType ...). */
export function objectTypeObject(k: Kernel, type: ObjectTypeName): bigint {
  const variable = TYPE_VARIABLE[type];
  return variable ? k.m.ptr(k.resolveImport('ntoskrnl.exe', variable)) : internalObjectType(k, type);
}

/** Whether the system still holds its own reference (the object has not been deleted by its owner). */
function systemHolds(k: Kernel, address: bigint, type: ObjectTypeName): boolean {
  // A file object's handle (or the create in progress) is the system's reference; after CloseHandle only drivers hold it.
  const o = k.ob.at(address);
  if (o) return k.ob.held(o);
  if (type === 'File') return !k.io.closingFiles.has(address);
  if (type !== 'Device') return true;
  return k.io.devices.some((d) => d.address === address && !d.deleted);
}

/** Every reference a driver took and has not released, in the order the objects were first referenced. */
export function takenReferences(k: Kernel): { address: bigint; type: ObjectTypeName; count: number }[] {
  return [...references(k)].map(([address, r]) => ({ address, type: r.type, count: r.count }));
}

/** References drivers hold on the object. */
export function referencesTaken(k: Kernel, address: bigint): number {
  return references(k).get(address)?.count ?? 0;
}

/** The object's pointer count: the system's reference (while it holds one) plus those drivers took. */
export function pointerCount(k: Kernel, address: bigint, type: ObjectTypeName): number {
  return (systemHolds(k, address, type) ? 1 : 0) + referencesTaken(k, address);
}

function notAnObject(k: Kernel, routine: string, address: bigint): never {
  throw new GuestStop('unsupported-call', `${routine}(${hex(address)}) from ${k.symbolize(k.callerAddress())}: ${hex(address)} is not an object kdemu created (it tracks driver, device, file, process and thread objects), so it has no object header to count references in`, {
    export: `ntoskrnl.exe!${routine}`,
  });
}

/** ObReferenceObject: one more pointer reference; returns the new pointer count. */
export function referenceObject(k: Kernel, address: bigint, routine = 'ObfReferenceObject'): number {
  const type = objectTypeOf(k, address);
  if (!type) notAnObject(k, routine, address);
  const refs = references(k);
  const r = refs.get(address);
  if (r) r.count++;
  else refs.set(address, { type, count: 1 });
  return pointerCount(k, address, type);
}

/** ObDereferenceObject: one reference fewer; the last one deletes an object its owner already deleted. */
export function dereferenceObject(k: Kernel, address: bigint, routine = 'ObfDereferenceObject'): number {
  const type = objectTypeOf(k, address);
  if (!type) notAnObject(k, routine, address);
  const refs = references(k);
  const r = refs.get(address);
  if (!r) {
    throw new GuestStop('bugcheck', `${routine}(${hex(address)}) from ${k.symbolize(k.callerAddress())} releases a reference the driver never took: the ${type.toLowerCase()} object's count would reach zero while the system still uses it`, {
      bugcheck: { code: REFERENCE_BY_POINTER, params: [objectTypeObject(k, type), address, 0n, 0n] },
    });
  }
  r.count--;
  if (r.count === 0) refs.delete(address);
  const count = pointerCount(k, address, type);
  // An object of the object manager's goes with its last reference (a thread that ended, an event no handle names).
  const obj = k.ob.at(address);
  if (obj && count === 0) k.ob.release(obj);
  const closing = type === 'File' && count === 0 ? k.io.closingFiles.get(address) : undefined;
  if (closing) closeFileObject(k, address, closing);
  if (count === 0 && type === 'Device') {
    // IoDeleteDevice ran earlier; the last reference frees the device object (IopDeleteDevice).
    const rec = k.io.devices.find((d) => d.address === address && d.deleted);
    if (rec && rec.openCount === 0) k.pool.free_(address, 0);
  }
  return count;
}

const ob = { module: 'ntoskrnl.exe', params: { Object: 'ptr' }, ret: 'usize' } as const;

export const exports = [
  defineExport({
    ...ob,
    name: 'ObfReferenceObject',
    cc: 'fastcall',
    proto: 'LONG_PTR FASTCALL ObfReferenceObject(PVOID Object)',
    impl: (k, a) => BigInt(referenceObject(k, a.Object)),
  }),
  defineExport({
    ...ob,
    name: 'ObfDereferenceObject',
    cc: 'fastcall',
    proto: 'LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object)',
    impl: (k, a) => BigInt(dereferenceObject(k, a.Object)),
  }),
  defineExport({
    ...ob,
    name: 'ObDereferenceObject',
    cc: 'stdcall',
    // The exported function behind old binaries' calls (the header maps ObDereferenceObject to ObfDereferenceObject).
    proto: 'LONG_PTR ObDereferenceObject(PVOID Object)',
    impl: (k, a) => BigInt(dereferenceObject(k, a.Object, 'ObDereferenceObject')),
  }),
  // The *WithTag forms count in the same pointer count; the tag only feeds Windows' optional reference tracing.
  defineExport({
    ...ob,
    name: 'ObfReferenceObjectWithTag',
    cc: 'fastcall',
    proto: 'LONG_PTR FASTCALL ObfReferenceObjectWithTag(PVOID Object, ULONG Tag)',
    params: { Object: 'ptr', Tag: 'tag' },
    impl: (k, a) => BigInt(referenceObject(k, a.Object, 'ObfReferenceObjectWithTag')),
  }),
  defineExport({
    ...ob,
    name: 'ObfDereferenceObjectWithTag',
    cc: 'fastcall',
    proto: 'LONG_PTR FASTCALL ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag)',
    params: { Object: 'ptr', Tag: 'tag' },
    impl: (k, a) => BigInt(dereferenceObject(k, a.Object, 'ObfDereferenceObjectWithTag')),
  }),
  // DeferDelete: the same release, callable up to DISPATCH_LEVEL; Windows queues the deletion to a worker, which in
  // kdemu's bookkeeping has nothing to wait for, so the object goes when its count reaches zero.
  defineExport({
    ...ob,
    name: 'ObDereferenceObjectDeferDelete',
    cc: 'stdcall',
    proto: 'VOID ObDereferenceObjectDeferDelete(PVOID Object)',
    ret: 'void',
    impl: (k, a) => void dereferenceObject(k, a.Object, 'ObDereferenceObjectDeferDelete'),
  }),
  defineExport({
    ...ob,
    name: 'ObDereferenceObjectDeferDeleteWithTag',
    cc: 'stdcall',
    proto: 'VOID ObDereferenceObjectDeferDeleteWithTag(PVOID Object, ULONG Tag)',
    params: { Object: 'ptr', Tag: 'tag' },
    ret: 'void',
    impl: (k, a) => void dereferenceObject(k, a.Object, 'ObDereferenceObjectDeferDeleteWithTag'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ObReferenceObjectByHandleWithTag',
    cc: 'stdcall',
    proto: 'NTSTATUS ObReferenceObjectByHandleWithTag(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, ULONG Tag, PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)',
    params: { Handle: 'handle', DesiredAccess: 'access', ObjectType: 'ptr', AccessMode: 'u8', Tag: 'tag', Object: 'ptr', HandleInformation: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const r = referenceByHandle(k, a.Handle, a.DesiredAccess, a.ObjectType, a.AccessMode);
      // As ObReferenceObjectByHandle: NULL in *Object on failure.
      k.m.setPtr(a.Object, r.body ?? 0n);
      if (r.status === STATUS.SUCCESS && a.HandleInformation !== 0n) {
        k.m.setU32(a.HandleInformation, 0); // HandleAttributes
        k.m.setU32(a.HandleInformation + 4n, r.access!); // GrantedAccess
      }
      return r.status;
    },
  }),
];
