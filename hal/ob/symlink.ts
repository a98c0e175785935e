// Symbolic link objects by handle: ZwOpenSymbolicLinkObject and ZwQuerySymbolicLinkObject.
//
// The links live in the namespace (ob/namespace.ts: the ones drivers create with IoCreateSymbolicLink and the
// system's own, such as \??\PIPE). Opening one makes (or shares, while it has handles) an object for it whose body
// is a small pool block; the object goes with its last handle.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { tagOf } from '../io/device.js';
import { mapGeneric, resolveHandle, type KObject } from './handle.js';

const OBJ_KERNEL_HANDLE = 0x200;
const KernelMode = 0;

/** The open link objects, by canonical path, and the target each was opened on. */
const open = new WeakMap<Kernel, Map<string, KObject>>();
const targets = new WeakMap<KObject, string>();
const paths = new WeakMap<KObject, string>();

/** The full name of an open symbolic link object (its path as the namespace spells it). */
export function linkPathOf(k: Kernel, body: bigint): string | undefined {
  const o = k.ob.at(body);
  return o ? paths.get(o) : undefined;
}

function linkObjects(k: Kernel): Map<string, KObject> {
  let m = open.get(k);
  if (!m) open.set(k, (m = new Map()));
  return m;
}

const ob = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ob, name: 'ZwOpenSymbolicLinkObject',
    proto: 'NTSTATUS ZwOpenSymbolicLinkObject(PHANDLE LinkHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { LinkHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const O = k.L.OBJECT_ATTRIBUTES.off;
      if (k.m.ptr(a.ObjectAttributes + BigInt(O.RootDirectory)) !== 0n) {
        throw new GuestStop('unsupported-call', `ZwOpenSymbolicLinkObject from ${k.symbolize(k.callerAddress())}: a name relative to a directory handle (kdemu's namespace has no directory objects to open)`, { export: 'ntoskrnl.exe!ZwOpenSymbolicLinkObject' });
      }
      const namePtr = k.m.ptr(a.ObjectAttributes + BigInt(O.ObjectName));
      if (namePtr === 0n) return STATUS.OBJECT_NAME_INVALID;
      const path = readUnicodeString(k, namePtr);
      if (!path.startsWith('\\')) return STATUS.OBJECT_PATH_SYNTAX_BAD;
      const entry = k.ns.get(path);
      if (!entry) {
        // Not a link itself: why the lookup fails, or a type mismatch when the name is some other object.
        const r = k.ns.lookup(path);
        return 'status' in r ? r.status : STATUS.OBJECT_TYPE_MISMATCH;
      }
      if (entry.type !== 'symlink') return STATUS.OBJECT_TYPE_MISMATCH;
      const key = k.ns.canonical(path).toUpperCase();
      const links = linkObjects(k);
      let obj = links.get(key);
      if (!obj) {
        const body = k.m.actingAs(0, () => k.pool.allocate(0x20, tagOf('Symb'), 1, 'system', 'symbolic link object'));
        if (body === null) return STATUS.INSUFFICIENT_RESOURCES;
        const made = k.ob.create('SymbolicLink', body, { onDelete: () => {
          links.delete(key);
          k.m.actingAs(0, () => k.pool.free_(body, 0));
        } });
        targets.set(made, entry.target);
        paths.set(made, k.ns.canonical(path));
        links.set(key, made);
        obj = made;
      }
      const attributes = k.m.u32(a.ObjectAttributes + BigInt(O.Attributes));
      k.m.setPtr(a.LinkHandle, k.ob.insert(obj, mapGeneric('SymbolicLink', a.DesiredAccess), (attributes & OBJ_KERNEL_HANDLE) !== 0));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ZwQuerySymbolicLinkObject',
    proto: 'NTSTATUS ZwQuerySymbolicLinkObject(HANDLE LinkHandle, PUNICODE_STRING LinkTarget, PULONG ReturnedLength)',
    params: { LinkHandle: 'handle', LinkTarget: 'ptr', ReturnedLength: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const r = resolveHandle(k, a.LinkHandle, KernelMode);
      if (!r) return STATUS.INVALID_HANDLE;
      const obj = k.ob.at(r.body);
      if (r.type !== 'SymbolicLink' || !obj) return STATUS.OBJECT_TYPE_MISMATCH;
      const target = targets.get(obj) ?? '';
      const o = k.L.UNICODE_STRING.off;
      const length = target.length * 2;
      const withNul = length + 2;
      const room = k.m.u16(a.LinkTarget + BigInt(o.MaximumLength));
      // The target with its terminator when it fits, without when only the text does; else nothing.
      let status: number = STATUS.BUFFER_TOO_SMALL;
      if (room >= length) {
        const buf = k.m.ptr(a.LinkTarget + BigInt(o.Buffer));
        k.m.writeWString(buf, target, room >= withNul);
        k.m.setU16(a.LinkTarget + BigInt(o.Length), length);
        status = STATUS.SUCCESS;
      }
      if (a.ReturnedLength !== 0n) k.m.setU32(a.ReturnedLength, withNul);
      return status;
    },
  }),
];
