// Key objects and the Zw key and value services: ZwCreateKey, ZwOpenKey(Ex), ZwQueryKey, ZwEnumerateKey,
// ZwQueryValueKey, ZwEnumerateValueKey, ZwSetValueKey, ZwDeleteValueKey, ZwDeleteKey, ZwFlushKey.
//
// A key handle is an object manager handle (type Key, CmKeyObjectType) whose body is a small pool block standing for
// Windows' CM_KEY_BODY; it refers to a key of the run's registry (cm/registry.ts). Drivers call the Zw forms, so the
// previous mode is KernelMode: Windows checks neither the caller's buffers nor the handle's granted access then.
// The information classes write Windows' structures (KEY_*_INFORMATION, KEY_VALUE_*_INFORMATION; the same layout on
// x86 and x64): a buffer shorter than the fixed part gets STATUS_BUFFER_TOO_SMALL, one shorter than the whole gets
// what fits and STATUS_BUFFER_OVERFLOW; ResultLength always says what the whole needs.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { mapGeneric, resolveHandle, type KObject } from '../ob/handle.js';
import { OBJ_KERNEL_HANDLE, objectAttributes } from '../ps/thread.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { MAX_KEY_NAME, MAX_VALUE_NAME, Registry, TYPE_NAMES, describeData, fold, type RegKey, type RegValue } from './hive.js';
import { registry } from './registry.js';
import { RegNt, keyIdentity, notified } from './notify.js';
import { registeredCallbacks } from './callback.js';

const OBJ_OPENLINK = 0x100;
const REG_OPTION_VOLATILE = 1;
const REG_OPTION_CREATE_LINK = 2;
const REG_OPTION_BACKUP_RESTORE = 4;
const REG_OPTION_OPEN_LINK = 8;
const REG_CREATED_NEW_KEY = 1;
const REG_OPENED_EXISTING_KEY = 2;
const KernelMode = 0;
/** The pool tag of key bodies (Windows' CM_KEY_BODY objects). */
const KEY_BODY_TAG = 0x6b624d43; // 'CMbk'
const KEY_BODY_SIZE = 0x48;

const keyOf = new WeakMap<Kernel, Map<bigint, RegKey>>();

function bodies(k: Kernel): Map<bigint, RegKey> {
  let m = keyOf.get(k);
  if (!m) keyOf.set(k, (m = new Map()));
  return m;
}

/** A new handle to `key` in the kernel's or the current process's table. Undefined when the pool is exhausted. */
export function openKeyHandle(k: Kernel, key: RegKey, access: number, kernel: boolean): bigint | undefined {
  const map = bodies(k);
  const obj: KObject | undefined = k.ob.createInPool('Key', KEY_BODY_SIZE, KEY_BODY_TAG, () => {});
  if (!obj) return undefined;
  map.set(obj.body, key);
  const free = obj.onDelete;
  obj.onDelete = () => {
    map.delete(obj.body);
    free?.();
  };
  return k.ob.insert(obj, mapGeneric('Key', access), kernel);
}

/** The key a handle refers to, or the status Windows gives for the handle. */
export function keyHandle(k: Kernel, h: bigint): { key: RegKey; body: bigint } | { status: number } {
  const r = resolveHandle(k, h, KernelMode);
  if (!r) return { status: STATUS.INVALID_HANDLE };
  if (r.type !== 'Key') return { status: STATUS.OBJECT_TYPE_MISMATCH };
  const key = bodies(k).get(r.body);
  if (!key) return { status: STATUS.INVALID_HANDLE };
  if (key.deleted) return { status: STATUS.KEY_DELETED };
  return { key, body: r.body };
}

/** The key object a body stands for (a callback's Object argument). */
export function keyOfObject(k: Kernel, body: bigint): RegKey | undefined {
  return bodies(k).get(body);
}

/** A key object of the kernel's own for \REGISTRY, the root callbacks see for absolute names. */
function rootObject(k: Kernel): bigint {
  const map = bodies(k);
  for (const [body, key] of map) if (key === registry(k).root && k.ob.at(body)?.systemRefs) return body;
  const obj = k.ob.createInPool('Key', KEY_BODY_SIZE, KEY_BODY_TAG, () => {});
  if (!obj) return 0n;
  obj.systemRefs = 1;
  map.set(obj.body, registry(k).root);
  return obj.body;
}

function traceAccess(k: Kernel, op: string, key: RegKey | string, status: number, value?: RegValue | string): void {
  if (!k.trace.enabled) return;
  const path = typeof key === 'string' ? key : key.path;
  const v = typeof value === 'string' ? { value: value } : value ? { value: value.name, data: `${TYPE_NAMES[value.type] ?? value.type} ${describeData(value.type, value.data)}` } : {};
  k.trace.emit({ type: 'registry', op, key: path, ...v, status: `0x${(status >>> 0).toString(16).padStart(8, '0').toUpperCase()}` });
}

/**
 * The key an OBJECT_ATTRIBUTES names: an absolute \REGISTRY\... name, or one relative to a key handle in
 * RootDirectory. `create` makes the last component when it is missing.
 */
function resolveName(k: Kernel, oa: bigint): { start: RegKey; parts: string[]; display: string } | { status: number; display: string } {
  const o = k.L.OBJECT_ATTRIBUTES.off;
  const root = k.m.ptrAt(oa, o.RootDirectory);
  const namePtr = k.m.ptrAt(oa, o.ObjectName);
  const name = namePtr === 0n ? '' : readUnicodeString(k, namePtr);
  const reg = registry(k);
  if (root !== 0n) {
    const base = keyHandle(k, root);
    if ('status' in base) return { status: base.status, display: name };
    if (name.startsWith('\\')) return { status: STATUS.OBJECT_PATH_SYNTAX_BAD, display: name };
    const parts = Registry.components(name);
    if (!parts) return { status: STATUS.OBJECT_NAME_INVALID, display: `${base.key.path}\\${name}` };
    return { start: base.key, parts, display: parts.length ? `${base.key.path}\\${name}` : base.key.path };
  }
  if (!name.startsWith('\\')) return { status: STATUS.OBJECT_PATH_SYNTAX_BAD, display: name };
  const parts = Registry.components(name.slice(1));
  if (!parts || parts.length === 0) return { status: STATUS.OBJECT_NAME_INVALID, display: name };
  // Outside \REGISTRY the object manager finds no key: another object, or nothing of that name.
  if (fold(parts[0]) !== 'REGISTRY') return { status: k.ns.get(name) ? STATUS.OBJECT_TYPE_MISMATCH : STATUS.OBJECT_NAME_NOT_FOUND, display: name };
  return { start: reg.root, parts: parts.slice(1), display: name };
}

/** Where an open or create starts: the key RootDirectory names (or \REGISTRY), for the callbacks' RootObject. */
function rootOf(k: Kernel, oa: bigint): bigint {
  const root = k.m.ptrAt(oa, k.L.OBJECT_ATTRIBUTES.off.RootDirectory);
  if (root === 0n) return rootObject(k);
  const h = keyHandle(k, root);
  return 'body' in h ? h.body : 0n;
}

/**
 * ZwOpenKey(Ex) and ZwCreateKey: the name resolved, the key found or (create) its last component made, a handle
 * to it; between RegNtPre/PostOpenKeyEx or RegNtPre/PostCreateKeyEx notifications.
 */
function openOrCreate(
  k: Kernel,
  a: { KeyHandle: bigint; DesiredAccess: number; ObjectAttributes: bigint; Class: bigint; CreateOptions: number; Disposition: bigint },
  create: boolean,
  openLinkOption: boolean,
): number {
  const L = k.L.REG_CREATE_KEY_INFORMATION;
  const attrs = objectAttributes(k, a.ObjectAttributes);
  const kernel = (attrs & OBJ_KERNEL_HANDLE) !== 0;
  const r = notified<bigint>(
    k,
    create ? RegNt.CreateKeyEx : RegNt.OpenKeyEx,
    L.size + k.ptrSize,
    (info) => {
      const m = k.m;
      m.setPtrAt(info, L.off.CompleteName, m.ptrAt(a.ObjectAttributes, k.L.OBJECT_ATTRIBUTES.off.ObjectName));
      m.setPtrAt(info, L.off.RootObject, rootOf(k, a.ObjectAttributes));
      m.setPtrAt(info, L.off.ObjectType, m.ptr(k.resolveImport('ntoskrnl.exe', 'CmKeyObjectType')));
      m.setU32At(info, L.off.CreateOptions, a.CreateOptions);
      m.setPtrAt(info, L.off.Class, a.Class);
      m.setU32At(info, L.off.DesiredAccess, a.DesiredAccess);
      m.setPtrAt(info, L.off.Disposition, a.Disposition);
      // ResultObject points at a slot after the structure, where a routine that bypasses the open puts its object.
      m.setPtrAt(info, L.off.ResultObject, info + BigInt(L.size));
    },
    () => {
      const st = create ? createKey(k, a, kernel, openLinkOption) : openKey(k, a, kernel, openLinkOption);
      return { status: st.status, object: st.body ?? 0n, ...(st.handle !== undefined ? { result: st.handle } : {}) };
    },
    (info) => {
      // A routine did the open itself: the caller gets a handle to the object it put in ResultObject.
      const key = keyOfObject(k, k.m.ptr(info + BigInt(L.size)));
      if (!key) return STATUS.INVALID_PARAMETER;
      const h = openKeyHandle(k, key, a.DesiredAccess, kernel);
      if (h === undefined) return STATUS.INSUFFICIENT_RESOURCES;
      k.m.setPtr(a.KeyHandle, h);
      return STATUS.SUCCESS;
    },
  );
  if (r.result !== undefined) {
    if (ntSuccess(r.status)) k.m.setPtr(a.KeyHandle, r.result);
    else k.ob.close(r.result);
  }
  return r.status;
}

interface Opened {
  status: number;
  handle?: bigint;
  body?: bigint;
}

function opened(k: Kernel, key: RegKey, access: number, kernel: boolean): Opened {
  const h = openKeyHandle(k, key, access, kernel);
  if (h === undefined) return { status: STATUS.INSUFFICIENT_RESOURCES };
  const entry = k.ob.lookup(h);
  return { status: STATUS.SUCCESS, handle: h, ...(entry ? { body: entry.object.body } : {}) };
}

function openKey(k: Kernel, a: { DesiredAccess: number; ObjectAttributes: bigint }, kernel: boolean, openLinkOption: boolean): Opened {
  const r = resolveName(k, a.ObjectAttributes);
  if ('status' in r) {
    traceAccess(k, 'open', r.display, r.status);
    return { status: r.status };
  }
  const openLink = (objectAttributes(k, a.ObjectAttributes) & OBJ_OPENLINK) !== 0 || openLinkOption;
  const w = registry(k).walk(r.start, r.parts, openLink);
  if (!('key' in w)) {
    const status = 'tooManyLinks' in w ? STATUS.NAME_TOO_LONG : STATUS.OBJECT_NAME_NOT_FOUND;
    traceAccess(k, 'open', r.display, status);
    return { status };
  }
  traceAccess(k, 'open', w.key, STATUS.SUCCESS);
  return opened(k, w.key, a.DesiredAccess, kernel);
}

/**
 * What ZwCreateKey finds or makes: the key `parts` names from `start`, or, when only its last component is missing,
 * that key created (a missing parent is STATUS_OBJECT_NAME_NOT_FOUND). The hives hang under \REGISTRY and
 * \REGISTRY\MACHINE (\USER): no key can be created beside them; a volatile parent takes only volatile children.
 */
export function findOrCreateKey(k: Kernel, start: RegKey, parts: readonly string[], o: { openLink: boolean; volatile: boolean }): { key: RegKey; created: boolean } | { status: number } {
  const reg = registry(k);
  const w = reg.walk(start, parts, o.openLink);
  if ('tooManyLinks' in w) return { status: STATUS.NAME_TOO_LONG };
  if ('key' in w) return { key: w.key, created: false };
  if (w.rest.length !== 1) return { status: STATUS.OBJECT_NAME_NOT_FOUND };
  const name = w.rest[0];
  if (name.length > MAX_KEY_NAME) return { status: STATUS.INVALID_PARAMETER };
  if (w.parent === reg.root || w.parent.parent === reg.root) return { status: STATUS.ACCESS_DENIED };
  if (w.parent.volatile && !o.volatile) return { status: STATUS.CHILD_MUST_BE_VOLATILE };
  const key = reg.createSubkey(w.parent, name);
  key.volatile = o.volatile;
  return { key, created: true };
}

function createKey(k: Kernel, a: { DesiredAccess: number; ObjectAttributes: bigint; Class: bigint; CreateOptions: number; Disposition: bigint }, kernel: boolean, openLinkOption: boolean): Opened {
  if (a.CreateOptions & ~(REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK | REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK)) return { status: STATUS.INVALID_PARAMETER };
  const r = resolveName(k, a.ObjectAttributes);
  if ('status' in r) {
    traceAccess(k, 'create', r.display, r.status);
    return { status: r.status };
  }
  const openLink = (objectAttributes(k, a.ObjectAttributes) & OBJ_OPENLINK) !== 0 || openLinkOption || (a.CreateOptions & REG_OPTION_CREATE_LINK) !== 0;
  const f = findOrCreateKey(k, r.start, r.parts, { openLink, volatile: (a.CreateOptions & REG_OPTION_VOLATILE) !== 0 });
  if ('status' in f) {
    traceAccess(k, 'create', r.display, f.status);
    return { status: f.status };
  }
  const key = f.key;
  const disposition = f.created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
  if (f.created) {
    key.link = (a.CreateOptions & REG_OPTION_CREATE_LINK) !== 0;
    if (a.Class !== 0n) key.className = readUnicodeString(k, a.Class);
  }
  const o = opened(k, key, a.DesiredAccess, kernel);
  if (o.handle !== undefined && a.Disposition !== 0n) k.m.setU32(a.Disposition, disposition);
  traceAccess(k, disposition === REG_CREATED_NEW_KEY ? 'create' : 'open', key, o.status);
  return o;
}

// ---- information classes ---------------------------------------------------------------------------------------

/** Bytes of an information structure: its fixed part's size and the whole. */
class Info {
  private readonly parts: { at: number; bytes: Uint8Array }[] = [];
  private readonly dv: DataView;
  readonly fixedBytes: Uint8Array;
  size: number;

  constructor(readonly fixed: number) {
    this.fixedBytes = new Uint8Array(fixed);
    this.dv = new DataView(this.fixedBytes.buffer);
    this.size = fixed;
  }

  u32(at: number, v: number): this {
    this.dv.setUint32(at, v >>> 0, true);
    return this;
  }

  u64(at: number, v: bigint): this {
    this.dv.setBigUint64(at, v, true);
    return this;
  }

  /** Variable data at `at` (after the fixed part); grows the whole. */
  tail(at: number, bytes: Uint8Array): this {
    this.parts.push({ at, bytes });
    this.size = Math.max(this.size, at + bytes.length);
    return this;
  }

  /** Writes what fits of it into the caller's buffer; the status and ResultLength Windows gives. */
  write(k: Kernel, buffer: bigint, length: number, resultLength: bigint): number {
    if (resultLength !== 0n) k.m.setU32(resultLength, this.size);
    if (length < this.fixed) return STATUS.BUFFER_TOO_SMALL;
    const out = new Uint8Array(Math.min(length, this.size));
    out.set(this.fixedBytes);
    for (const p of this.parts) if (p.at < out.length) out.set(p.bytes.subarray(0, out.length - p.at), p.at);
    k.m.write(buffer, out);
    return length < this.size ? STATUS.BUFFER_OVERFLOW : STATUS.SUCCESS;
  }
}

function nameBytes(name: string): Uint8Array {
  const b = new Uint8Array(name.length * 2);
  for (let i = 0; i < name.length; i++) {
    b[2 * i] = name.charCodeAt(i) & 0xff;
    b[2 * i + 1] = name.charCodeAt(i) >> 8;
  }
  return b;
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** KEY_VALUE_INFORMATION_CLASS: Basic 0, Full 1, Partial 2, FullAlign64 3, PartialAlign64 4. */
function valueInfo(v: RegValue, cls: number): Info | undefined {
  const name = nameBytes(v.name);
  switch (cls) {
    case 0: // KEY_VALUE_BASIC_INFORMATION: TitleIndex, Type, NameLength, Name
      return new Info(12).u32(4, v.type).u32(8, name.length).tail(12, name);
    case 1:
    case 3: {
      // KEY_VALUE_FULL_INFORMATION: TitleIndex, Type, DataOffset, DataLength, NameLength, Name, then the data at
      // DataOffset (ULONG-aligned; 8-aligned for the Align64 class).
      const dataOffset = align(20 + name.length, cls === 3 ? 8 : 4);
      return new Info(20).u32(4, v.type).u32(8, dataOffset).u32(12, v.data.length).u32(16, name.length).tail(20, name).tail(dataOffset, v.data);
    }
    case 2: // KEY_VALUE_PARTIAL_INFORMATION: TitleIndex, Type, DataLength, Data
      return new Info(12).u32(4, v.type).u32(8, v.data.length).tail(12, v.data);
    case 4: // KEY_VALUE_PARTIAL_INFORMATION_ALIGN64: Type, DataLength, Data
      return new Info(8).u32(0, v.type).u32(4, v.data.length).tail(8, v.data);
    default:
      return undefined;
  }
}

function keyStats(key: RegKey) {
  const subkeys = [...key.subkeys.values()];
  const values = [...key.values.values()];
  return {
    subkeys: subkeys.length,
    maxNameLen: Math.max(0, ...subkeys.map((s) => s.name.length * 2)),
    maxClassLen: Math.max(0, ...subkeys.map((s) => s.className.length * 2)),
    values: values.length,
    maxValueNameLen: Math.max(0, ...values.map((v) => v.name.length * 2)),
    maxValueDataLen: Math.max(0, ...values.map((v) => v.data.length)),
  };
}

/** KEY_INFORMATION_CLASS: Basic 0, Node 1, Full 2, Name 3, Cached 4, Virtualization 6, HandleTags 7. */
function keyInfo(key: RegKey, cls: number, query: boolean): Info | undefined {
  const name = nameBytes(key.name);
  const cls8 = nameBytes(key.className);
  switch (cls) {
    case 0: // KEY_BASIC_INFORMATION: LastWriteTime, TitleIndex, NameLength, Name
      return new Info(16).u64(0, key.lastWrite).u32(12, name.length).tail(16, name);
    case 1: {
      // KEY_NODE_INFORMATION: LastWriteTime, TitleIndex, ClassOffset, ClassLength, NameLength, Name, Class
      const classOffset = cls8.length ? 24 + name.length : 0xffffffff;
      const i = new Info(24).u64(0, key.lastWrite).u32(12, classOffset).u32(16, cls8.length).u32(20, name.length).tail(24, name);
      return cls8.length ? i.tail(classOffset, cls8) : i;
    }
    case 2: {
      // KEY_FULL_INFORMATION: LastWriteTime, TitleIndex, ClassOffset, ClassLength, SubKeys, MaxNameLen, MaxClassLen,
      // Values, MaxValueNameLen, MaxValueDataLen, Class
      const s = keyStats(key);
      const i = new Info(44).u64(0, key.lastWrite).u32(12, cls8.length ? 44 : 0xffffffff).u32(16, cls8.length).u32(20, s.subkeys).u32(24, s.maxNameLen)
        .u32(28, s.maxClassLen).u32(32, s.values).u32(36, s.maxValueNameLen).u32(40, s.maxValueDataLen);
      return cls8.length ? i.tail(44, cls8) : i;
    }
    case 3: {
      // KEY_NAME_INFORMATION: NameLength, Name (the full path); ZwQueryKey only.
      if (!query) return undefined;
      const full = nameBytes(key.path);
      return new Info(4).u32(0, full.length).tail(4, full);
    }
    case 4: {
      // KEY_CACHED_INFORMATION: LastWriteTime, TitleIndex, SubKeys, MaxNameLen, Values, MaxValueNameLen, MaxValueDataLen, NameLength
      if (!query) return undefined;
      const s = keyStats(key);
      return new Info(40).u64(0, key.lastWrite).u32(12, s.subkeys).u32(16, s.maxNameLen).u32(20, s.values).u32(24, s.maxValueNameLen).u32(28, s.maxValueDataLen).u32(32, name.length);
    }
    case 6: // KEY_VIRTUALIZATION_INFORMATION: no key of this machine is virtualized (bits all clear)
    case 7: // KEY_HANDLE_TAGS_INFORMATION: HandleTags 0
      return query ? new Info(4) : undefined;
    default:
      return undefined;
  }
}

function valueName(k: Kernel, p: bigint): string | number {
  if (p === 0n) return '';
  const o = k.L.UNICODE_STRING.off;
  const len = k.m.u16(p + BigInt(o.Length));
  if (len & 1) return STATUS.INVALID_PARAMETER;
  const name = readUnicodeString(k, p);
  return name.length > MAX_VALUE_NAME ? STATUS.INVALID_PARAMETER : name;
}

const cm = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

/** Writes a REG_*_INFORMATION structure's fields by name (pointers and ULONGs). */
function fields(k: Kernel, info: bigint, off: Readonly<Record<string, number>>, values: Record<string, bigint | number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === 'bigint') k.m.setPtrAt(info, off[name], v);
    else k.m.setU32At(info, off[name], v >>> 0);
  }
}

/** A value or key operation on an open key, between its pre- and post-notifications. */
function onKey(
  k: Kernel,
  handle: bigint,
  cls: readonly [number, number],
  layout: { size: number; off: Readonly<Record<string, number>> },
  values: Record<string, bigint | number>,
  op: (key: RegKey) => number,
): number {
  const h = keyHandle(k, handle);
  if ('status' in h) return h.status;
  return notified(k, cls, layout.size, (info) => fields(k, info, layout.off, { Object: h.body, ...values }), () => ({ status: op(h.key), object: h.body })).status;
}

export const exports = [
  defineExport({
    ...cm, name: 'ZwOpenKey',
    proto: 'NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { KeyHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => openOrCreate(k, { ...a, Class: 0n, CreateOptions: 0, Disposition: 0n }, false, false),
  }),
  defineExport({
    ...cm, name: 'ZwOpenKeyEx',
    proto: 'NTSTATUS ZwOpenKeyEx(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, ULONG OpenOptions)',
    params: { KeyHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', OpenOptions: 'u32' }, ret: 'status',
    impl: (k, a) => {
      if (a.OpenOptions & ~(REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK)) return STATUS.INVALID_PARAMETER;
      return openOrCreate(k, { ...a, Class: 0n, CreateOptions: a.OpenOptions, Disposition: 0n }, false, (a.OpenOptions & REG_OPTION_OPEN_LINK) !== 0);
    },
  }),
  defineExport({
    ...cm, name: 'ZwCreateKey',
    proto: 'NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition)',
    params: { KeyHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', TitleIndex: 'u32', Class: 'pustr', CreateOptions: 'u32', Disposition: 'ptr' }, ret: 'status',
    impl: (k, a) => openOrCreate(k, a, true, (a.CreateOptions & REG_OPTION_OPEN_LINK) !== 0),
  }),
  defineExport({
    ...cm, name: 'ZwQueryValueKey',
    proto: 'NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)',
    params: { KeyHandle: 'handle', ValueName: 'pustr', KeyValueInformationClass: 'u32', KeyValueInformation: 'ptr', Length: 'u32', ResultLength: 'ptr' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.QueryValueKey, k.L.REG_QUERY_VALUE_KEY_INFORMATION,
        { ValueName: a.ValueName, KeyValueInformationClass: a.KeyValueInformationClass, KeyValueInformation: a.KeyValueInformation, Length: a.Length, ResultLength: a.ResultLength },
        (key) => {
          const name = valueName(k, a.ValueName);
          if (typeof name === 'number') return name;
          const v = key.value(name);
          if (!v) {
            traceAccess(k, 'query', key, STATUS.OBJECT_NAME_NOT_FOUND, name);
            return STATUS.OBJECT_NAME_NOT_FOUND;
          }
          const info = valueInfo(v, a.KeyValueInformationClass);
          if (!info) return STATUS.INVALID_PARAMETER;
          const status = info.write(k, a.KeyValueInformation, a.Length, a.ResultLength);
          traceAccess(k, 'query', key, status, v);
          return status;
        }),
  }),
  defineExport({
    ...cm, name: 'ZwEnumerateValueKey',
    proto: 'NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index, KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)',
    params: { KeyHandle: 'handle', Index: 'u32', KeyValueInformationClass: 'u32', KeyValueInformation: 'ptr', Length: 'u32', ResultLength: 'ptr' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.EnumerateValueKey, k.L.REG_ENUMERATE_VALUE_KEY_INFORMATION,
        { Index: a.Index, KeyValueInformationClass: a.KeyValueInformationClass, KeyValueInformation: a.KeyValueInformation, Length: a.Length, ResultLength: a.ResultLength },
        (key) => {
          const v = [...key.values.values()][a.Index];
          if (!v) return STATUS.NO_MORE_ENTRIES;
          const info = valueInfo(v, a.KeyValueInformationClass);
          if (!info) return STATUS.INVALID_PARAMETER;
          const status = info.write(k, a.KeyValueInformation, a.Length, a.ResultLength);
          traceAccess(k, 'enumerate-value', key, status, v);
          return status;
        }),
  }),
  defineExport({
    ...cm, name: 'ZwSetValueKey',
    proto: 'NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type, PVOID Data, ULONG DataSize)',
    params: { KeyHandle: 'handle', ValueName: 'pustr', TitleIndex: 'u32', Type: 'u32', Data: 'ptr', DataSize: 'u32' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.SetValueKey, k.L.REG_SET_VALUE_KEY_INFORMATION,
        { ValueName: a.ValueName, TitleIndex: a.TitleIndex, Type: a.Type, Data: a.Data, DataSize: a.DataSize },
        (key) => {
          const name = valueName(k, a.ValueName);
          if (typeof name === 'number') return name;
          const reg = registry(k);
          if (key === reg.root || key.parent === reg.root) return STATUS.ACCESS_DENIED;
          const data = a.DataSize === 0 ? new Uint8Array(0) : k.m.read(a.Data, a.DataSize);
          reg.setValue(key, name, a.Type, data);
          traceAccess(k, 'set', key, STATUS.SUCCESS, key.value(name));
          return STATUS.SUCCESS;
        }),
  }),
  defineExport({
    ...cm, name: 'ZwDeleteValueKey',
    proto: 'NTSTATUS ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName)',
    params: { KeyHandle: 'handle', ValueName: 'pustr' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.DeleteValueKey, k.L.REG_DELETE_VALUE_KEY_INFORMATION, { ValueName: a.ValueName }, (key) => {
        const name = valueName(k, a.ValueName);
        if (typeof name === 'number') return name;
        const status = registry(k).deleteValue(key, name) ? STATUS.SUCCESS : STATUS.OBJECT_NAME_NOT_FOUND;
        traceAccess(k, 'delete-value', key, status, name);
        return status;
      }),
  }),
  defineExport({
    ...cm, name: 'ZwQueryKey',
    proto: 'NTSTATUS ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation, ULONG Length, PULONG ResultLength)',
    params: { KeyHandle: 'handle', KeyInformationClass: 'u32', KeyInformation: 'ptr', Length: 'u32', ResultLength: 'ptr' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.QueryKey, k.L.REG_QUERY_KEY_INFORMATION,
        { KeyInformationClass: a.KeyInformationClass, KeyInformation: a.KeyInformation, Length: a.Length, ResultLength: a.ResultLength },
        (key) => {
          const info = keyInfo(key, a.KeyInformationClass, true);
          if (!info) return STATUS.INVALID_PARAMETER;
          const status = info.write(k, a.KeyInformation, a.Length, a.ResultLength);
          traceAccess(k, 'query-key', key, status);
          return status;
        }),
  }),
  defineExport({
    ...cm, name: 'ZwEnumerateKey',
    proto: 'NTSTATUS ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation, ULONG Length, PULONG ResultLength)',
    params: { KeyHandle: 'handle', Index: 'u32', KeyInformationClass: 'u32', KeyInformation: 'ptr', Length: 'u32', ResultLength: 'ptr' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.EnumerateKey, k.L.REG_ENUMERATE_KEY_INFORMATION,
        { Index: a.Index, KeyInformationClass: a.KeyInformationClass, KeyInformation: a.KeyInformation, Length: a.Length, ResultLength: a.ResultLength },
        (key) => {
          const sub = key.sortedSubkeys()[a.Index];
          if (!sub) return STATUS.NO_MORE_ENTRIES;
          const info = keyInfo(sub, a.KeyInformationClass, false);
          if (!info) return STATUS.INVALID_PARAMETER;
          const status = info.write(k, a.KeyInformation, a.Length, a.ResultLength);
          traceAccess(k, 'enumerate-key', sub, status);
          return status;
        }),
  }),
  defineExport({
    ...cm, name: 'ZwDeleteKey',
    proto: 'NTSTATUS ZwDeleteKey(HANDLE KeyHandle)',
    params: { KeyHandle: 'handle' }, ret: 'status',
    impl: (k, a) =>
      onKey(k, a.KeyHandle, RegNt.DeleteKey, k.L.REG_DELETE_KEY_INFORMATION, {}, (key) => {
        const reg = registry(k);
        let status: number = STATUS.SUCCESS;
        if (key === reg.root || key.parent === reg.root || key.parent?.parent === reg.root) status = STATUS.ACCESS_DENIED;
        else if (key.subkeys.size > 0) status = STATUS.CANNOT_DELETE;
        else reg.deleteKey(key);
        traceAccess(k, 'delete-key', key, status);
        return status;
      }),
  }),
  defineExport({
    ...cm, name: 'ZwFlushKey',
    proto: 'NTSTATUS ZwFlushKey(HANDLE KeyHandle)',
    params: { KeyHandle: 'handle' }, ret: 'status',
    // The hives are memory only: there is nothing to write back, and Windows' flush of a volatile hive succeeds too.
    impl: (k, a) => {
      const h = keyHandle(k, a.KeyHandle);
      return 'status' in h ? h.status : STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cm, name: 'CmCallbackGetKeyObjectID',
    proto: 'NTSTATUS CmCallbackGetKeyObjectID(PLARGE_INTEGER Cookie, PVOID Object, PULONG_PTR ObjectID, PCUNICODE_STRING *ObjectName)',
    params: { Cookie: 'ptr', Object: 'ptr', ObjectID: 'ptr', ObjectName: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      // The cookie must be a live registration, the object a key object.
      if (a.Cookie === 0n || !registeredCallbacks(k).some((c) => c.cookie === k.m.u64(a.Cookie))) return STATUS.INVALID_PARAMETER;
      const key = keyOfObject(k, a.Object);
      if (!key) return STATUS.INVALID_PARAMETER;
      const id = keyIdentity(k, key);
      if (a.ObjectID !== 0n) k.m.setPtr(a.ObjectID, id.id);
      if (a.ObjectName !== 0n) k.m.setPtr(a.ObjectName, id.name);
      return STATUS.SUCCESS;
    },
  }),
];
