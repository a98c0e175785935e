// Object directories: ZwCreateDirectoryObject, ZwOpenDirectoryObject, ZwQueryDirectoryObject.
//
// The directories are the namespace's (ob/namespace.ts): those that exist at boot and those drivers create. A handle
// names a directory object (a small pool block) shared while it has handles; a created directory is temporary: it
// goes with its last handle when nothing is left in it. ZwQueryDirectoryObject lists a directory's entries in the
// order they were made (Windows' order is its hash table's), each as a name and a type name.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { tagOf } from '../io/device.js';
import { mapGeneric, resolveHandle, type KObject } from './handle.js';
import type { NamedObject } from './namespace.js';

const OBJ_KERNEL_HANDLE = 0x200;
const KernelMode = 0;

const open = new WeakMap<Kernel, Map<string, KObject>>();
const paths = new WeakMap<KObject, string>();

function directoryObjects(k: Kernel): Map<string, KObject> {
  let m = open.get(k);
  if (!m) open.set(k, (m = new Map()));
  return m;
}

/** The path of an open directory object. */
export function directoryPathOf(k: Kernel, body: bigint): string | undefined {
  const o = k.ob.at(body);
  return o ? paths.get(o) : undefined;
}

/** The directory a handle names, or the status. */
export function directoryOf(k: Kernel, h: bigint): string | number {
  const r = resolveHandle(k, h, KernelMode);
  if (!r) return STATUS.INVALID_HANDLE;
  const o = k.ob.at(r.body);
  if (r.type !== 'Directory' || !o) return STATUS.OBJECT_TYPE_MISMATCH;
  return paths.get(o) ?? STATUS.OBJECT_TYPE_MISMATCH;
}

/** A handle to the directory at `path` (it must exist). */
function handleTo(k: Kernel, path: string, access: number, attributes: number): bigint | number {
  const key = k.ns.canonicalDirectory(path).toUpperCase();
  const dirs = directoryObjects(k);
  let obj = dirs.get(key);
  if (!obj) {
    const body = k.m.actingAs(0, () => k.pool.allocate(0x20, tagOf('Dire'), 1, 'system', 'directory object'));
    if (body === null) return STATUS.INSUFFICIENT_RESOURCES;
    const made = k.ob.create('Directory', body, { onDelete: () => {
      dirs.delete(key);
      k.ns.removeDirectory(path);
      k.m.actingAs(0, () => k.pool.free_(body, 0));
    } });
    paths.set(made, k.ns.canonicalDirectory(path));
    dirs.set(key, made);
    obj = made;
  }
  return k.ob.insert(obj, mapGeneric('Directory', access), (attributes & OBJ_KERNEL_HANDLE) !== 0);
}

/** The name an OBJECT_ATTRIBUTES gives (absolute; a root directory handle is not followed yet). */
function nameOf(k: Kernel, oa: bigint, routine: string): { path: string; attributes: number } | number {
  const O = k.L.OBJECT_ATTRIBUTES.off;
  if (k.m.ptr(oa + BigInt(O.RootDirectory)) !== 0n) {
    throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())}: a name relative to a directory handle, which kdemu does not resolve yet`, { export: `ntoskrnl.exe!${routine}` });
  }
  const name = k.m.ptr(oa + BigInt(O.ObjectName));
  if (name === 0n) return STATUS.OBJECT_NAME_INVALID;
  const path = readUnicodeString(k, name);
  if (!path.startsWith('\\')) return STATUS.OBJECT_PATH_SYNTAX_BAD;
  return { path, attributes: k.m.u32(oa + BigInt(O.Attributes)) };
}

/** The type name ZwQueryDirectoryObject reports for an entry. */
function typeName(o: NamedObject | undefined): string {
  if (!o) return 'Directory';
  switch (o.type) {
    case 'device': case 'filesystem': return 'Device';
    case 'driver': return 'Driver';
    case 'symlink': return 'SymbolicLink';
    case 'object': return (o.object as KObject).type;
  }
}

const ob = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ob, name: 'ZwCreateDirectoryObject',
    proto: 'NTSTATUS ZwCreateDirectoryObject(PHANDLE DirectoryHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { DirectoryHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const n = nameOf(k, a.ObjectAttributes, 'ZwCreateDirectoryObject');
      if (typeof n === 'number') return n;
      const s = k.ns.addDirectory(n.path);
      if (s !== STATUS.SUCCESS) return s;
      const h = handleTo(k, n.path, a.DesiredAccess, n.attributes);
      if (typeof h === 'number') return h;
      k.m.setPtr(a.DirectoryHandle, h);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ZwOpenDirectoryObject',
    proto: 'NTSTATUS ZwOpenDirectoryObject(PHANDLE DirectoryHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { DirectoryHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const n = nameOf(k, a.ObjectAttributes, 'ZwOpenDirectoryObject');
      if (typeof n === 'number') return n;
      if (!k.ns.isDirectory(n.path)) {
        const r = k.ns.lookup(n.path);
        return 'status' in r ? r.status : STATUS.OBJECT_TYPE_MISMATCH;
      }
      const h = handleTo(k, n.path, a.DesiredAccess, n.attributes);
      if (typeof h === 'number') return h;
      k.m.setPtr(a.DirectoryHandle, h);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ZwQueryDirectoryObject',
    proto: 'NTSTATUS ZwQueryDirectoryObject(HANDLE DirectoryHandle, PVOID Buffer, ULONG Length, BOOLEAN ReturnSingleEntry, BOOLEAN RestartScan, PULONG Context, PULONG ReturnLength)',
    params: { DirectoryHandle: 'handle', Buffer: 'ptr', Length: 'u32', ReturnSingleEntry: 'bool', RestartScan: 'bool', Context: 'ptr', ReturnLength: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const dir = directoryOf(k, a.DirectoryHandle);
      if (typeof dir === 'number') return dir;
      const all = k.ns.entries(dir);
      const start = a.RestartScan ? 0 : k.m.u32(a.Context);
      if (start >= all.length) return STATUS.NO_MORE_ENTRIES;
      // OBJECT_DIRECTORY_INFORMATION { UNICODE_STRING Name, TypeName } per entry, a zeroed one to end the array,
      // then the NUL-terminated strings.
      const us = k.L.UNICODE_STRING;
      const odi = 2 * us.size;
      const strBytes = (e: { name: string; object?: NamedObject }) => e.name.length * 2 + 2 + typeName(e.object).length * 2 + 2;
      const fits = (n: number) => (n + 1) * odi + all.slice(start, start + n).reduce((t, e) => t + strBytes(e), 0);
      let count = 0;
      const most = a.ReturnSingleEntry ? 1 : all.length - start;
      while (count < most && fits(count + 1) <= a.Length) count++;
      if (count === 0) {
        if (a.ReturnLength !== 0n) k.m.setU32(a.ReturnLength, fits(1));
        return STATUS.BUFFER_TOO_SMALL;
      }
      const used = fits(count);
      k.m.fill(a.Buffer, (count + 1) * odi);
      let text = a.Buffer + BigInt((count + 1) * odi);
      const put = (at: bigint, s: string) => {
        k.m.writeWString(text, s);
        k.m.setU16(at + BigInt(us.off.Length), s.length * 2);
        k.m.setU16(at + BigInt(us.off.MaximumLength), s.length * 2 + 2);
        k.m.setPtr(at + BigInt(us.off.Buffer), text);
        text += BigInt(s.length * 2 + 2);
      };
      for (let i = 0; i < count; i++) {
        const e = all[start + i];
        const at = a.Buffer + BigInt(i * odi);
        put(at, e.name);
        put(at + BigInt(us.size), typeName(e.object));
      }
      k.m.setU32(a.Context, start + count);
      if (a.ReturnLength !== 0n) k.m.setU32(a.ReturnLength, used);
      return !a.ReturnSingleEntry && start + count < all.length ? STATUS.MORE_ENTRIES : STATUS.SUCCESS;
    },
  }),
];
