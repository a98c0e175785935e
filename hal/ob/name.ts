// Object names: ObQueryNameString and ObReferenceObjectByName over kdemu's namespace (ob/namespace.ts).
//
// Named objects are devices (\Device\X), drivers (\Driver\X) and named kernel objects (\BaseNamedObjects\X). A
// device or driver without a name, processes, threads and unnamed events have an empty name. File objects' names
// come from their file system (a query IRP), which kdemu does not issue: ObQueryNameString on one stops the run.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { resolveHandle, type KObject } from './handle.js';
import { linkPathOf } from './symlink.js';
import { directoryPathOf } from './directory.js';
import { objectTypeObject, objectTypeOf, referenceObject, type ObjectTypeName } from './object.js';

/** The full name of a live object, '' when it has none; undefined when kdemu cannot name it (file objects). */
export function objectName(k: Kernel, address: bigint): string | undefined {
  const type = objectTypeOf(k, address);
  if (!type) return undefined;
  if (type === 'File') return undefined;
  if (type === 'Driver') {
    const d = k.io.drivers.find((r) => r.object === address);
    return d && k.ns.get(d.objectName)?.type === 'driver' ? d.objectName : '';
  }
  if (type === 'Device') {
    const d = k.io.devices.find((r) => r.address === address);
    return d && !d.deleted && d.name !== undefined ? k.ns.canonical(d.name) : '';
  }
  if (type === 'SymbolicLink') return linkPathOf(k, address) ?? '';
  if (type === 'Directory') return directoryPathOf(k, address) ?? '';
  return k.ob.at(address)?.name ?? '';
}

/** The object a name leads to, as ObReferenceObjectByName finds it (symbolic links followed), or the status. */
function bodyOf(k: Kernel, path: string): { body: bigint; type: ObjectTypeName } | { status: number } {
  const r = k.ns.lookup(path);
  if ('status' in r) return r;
  // A path that continues past an object names something inside it (a file): not an object of the namespace.
  if (r.remainder) return { status: STATUS.OBJECT_NAME_NOT_FOUND };
  const o = r.object;
  // A device's parse routine (IopParseDevice) only accepts an open packet, which ObReferenceObjectByName has none of.
  if (o.type === 'device') return { status: STATUS.OBJECT_TYPE_MISMATCH };
  if (o.type === 'driver') return { body: o.address, type: 'Driver' };
  if (o.type === 'object') {
    const obj = o.object as KObject;
    const type = objectTypeOf(k, obj.body);
    return type ? { body: obj.body, type } : { status: STATUS.OBJECT_TYPE_MISMATCH };
  }
  return { status: STATUS.OBJECT_TYPE_MISMATCH };
}

/** Stops the run for an object kdemu cannot name (a file object) or does not know. */
function unnameable(k: Kernel, routine: string, object: bigint): never {
  const what = objectTypeOf(k, object) === 'File' ? 'a file object, whose name its file system gives' : 'not an object kdemu created';
  throw new GuestStop('unsupported-call', `${routine}(${hex(object)}) from ${k.symbolize(k.callerAddress())}: ${what}`, { export: `ntoskrnl.exe!${routine}` });
}

/**
 * OBJECT_NAME_INFORMATION: a UNICODE_STRING with the NUL-terminated text after it (an empty name is just the
 * header). Too small a buffer gets STATUS_INFO_LENGTH_MISMATCH and the length needed.
 */
function writeName(k: Kernel, name: string, info: bigint, length: number, returnLength: bigint): number {
  const header = k.L.UNICODE_STRING.size;
  const bytes = name.length * 2;
  const need = name ? header + bytes + 2 : header;
  if (returnLength !== 0n) k.m.setU32(returnLength, need);
  if (length < need) return STATUS.INFO_LENGTH_MISMATCH;
  const o = k.L.UNICODE_STRING.off;
  const text = name ? info + BigInt(header) : 0n;
  if (name) k.m.writeWString(text, name);
  k.m.setU16(info + BigInt(o.Length), bytes);
  k.m.setU16(info + BigInt(o.MaximumLength), name ? bytes + 2 : 0);
  k.m.setPtr(info + BigInt(o.Buffer), text);
  return STATUS.SUCCESS;
}

const ob = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ob, name: 'ObQueryNameString',
    proto: 'NTSTATUS ObQueryNameString(PVOID Object, POBJECT_NAME_INFORMATION ObjectNameInfo, ULONG Length, PULONG ReturnLength)',
    params: { Object: 'ptr', ObjectNameInfo: 'ptr', Length: 'u32', ReturnLength: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const name = objectName(k, a.Object);
      if (name === undefined) unnameable(k, 'ObQueryNameString', a.Object);
      return writeName(k, name, a.ObjectNameInfo, a.Length, a.ReturnLength);
    },
  }),
  defineExport({
    ...ob, name: 'ObReferenceObjectByName',
    proto: 'NTSTATUS ObReferenceObjectByName(PUNICODE_STRING ObjectName, ULONG Attributes, PACCESS_STATE AccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, PVOID ParseContext, PVOID *Object)',
    params: { ObjectName: 'pustr', Attributes: 'u32', AccessState: 'ptr', DesiredAccess: 'access', ObjectType: 'ptr', AccessMode: 'u8', ParseContext: 'ptr', Object: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      if (a.ObjectName === 0n) return STATUS.OBJECT_NAME_INVALID;
      const path = readUnicodeString(k, a.ObjectName);
      if (path === '') return STATUS.OBJECT_NAME_INVALID;
      if (!path.startsWith('\\')) return STATUS.OBJECT_PATH_SYNTAX_BAD;
      const r = bodyOf(k, path);
      if ('status' in r) return r.status;
      if (a.ObjectType !== 0n && objectTypeObject(k, r.type) !== a.ObjectType) return STATUS.OBJECT_TYPE_MISMATCH;
      referenceObject(k, r.body, 'ObReferenceObjectByName');
      k.m.setPtr(a.Object, r.body);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ZwQueryObject',
    proto: 'NTSTATUS ZwQueryObject(HANDLE Handle, OBJECT_INFORMATION_CLASS ObjectInformationClass, PVOID ObjectInformation, ULONG ObjectInformationLength, PULONG ReturnLength)',
    params: { Handle: 'handle', ObjectInformationClass: 'u32', ObjectInformation: 'ptr', ObjectInformationLength: 'u32', ReturnLength: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const ObjectNameInformation = 1;
      if (a.ObjectInformationClass !== ObjectNameInformation) {
        throw new GuestStop('unsupported-call', `ZwQueryObject class ${a.ObjectInformationClass} from ${k.symbolize(k.callerAddress())}: kdemu answers ObjectNameInformation`, { export: 'ntoskrnl.exe!ZwQueryObject' });
      }
      // A kernel-mode caller: kernel handles and the current process's.
      const r = resolveHandle(k, a.Handle, 0);
      if (!r) return STATUS.INVALID_HANDLE;
      const name = objectName(k, r.body);
      if (name === undefined) unnameable(k, 'ZwQueryObject', r.body);
      return writeName(k, name, a.ObjectInformation, a.ObjectInformationLength, a.ReturnLength);
    },
  }),
  defineExport({
    ...ob, name: 'ObGetObjectType', proto: 'POBJECT_TYPE ObGetObjectType(PVOID Object)',
    params: { Object: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      // The OBJECT_TYPE in the object's header; kdemu's objects have no header in guest memory, so it is looked up.
      const type = objectTypeOf(k, a.Object);
      if (!type) unnameable(k, 'ObGetObjectType', a.Object);
      return objectTypeObject(k, type);
    },
  }),
];
