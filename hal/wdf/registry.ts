// WDFKEY: the framework's registry-key objects over the configuration manager, and the WdfRegistry* entries.
//
// As the framework does, every access goes through the Zw key services (ZwOpenKey, ZwCreateKey, ZwQueryValueKey,
// ZwSetValueKey, ZwDeleteValueKey, ZwDeleteKey, ZwClose) with kernel handles: registry callbacks see them, and the
// run's trace shows them as `registry` events like any other driver's registry access. A WDFKEY holds its kernel
// handle; WdfRegistryClose, WdfObjectDelete or the parent's deletion closes it. WdfRegistryRemoveKey deletes the
// key and then the object.
//
// Typed queries check the value's type: STATUS_OBJECT_TYPE_MISMATCH for a ULONG that is not a 4-byte REG_DWORD or
// a string that is not REG_SZ / REG_EXPAND_SZ (REG_MULTI_SZ for the multi-string query). A too-small buffer gets
// STATUS_BUFFER_OVERFLOW, with the length needed where the entry reports one; an empty value is
// STATUS_RESOURCE_DATA_NOT_FOUND for the entries that create objects from the data.

import type { Kernel } from '../kernel.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ, dword, multiSz, utf16, utf16Bytes } from '../cm/hive.js';
import { OBJ_KERNEL_HANDLE } from '../ps/thread.js';
import { clientOf, type WdfClient } from './client.js';
import { wdfExport } from './export.js';
import { defaultTag, FxMemory, fxMemory } from './memory.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, registerObject, release, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL, type Attributes,
} from './object.js';
import { createString, fxString, readCounted, stringText, assignString, type FxString } from './string.js';
import { collectionAdd, fxCollection } from './collection.js';
import { wdfLayouts } from './layout.js';

const OBJ_CASE_INSENSITIVE = 0x40;
/** 'FxRg': the framework's tag for its scratch buffers. */
const TAG_SCRATCH = 0x67527846;
/** KEY_VALUE_PARTIAL_INFORMATION: TitleIndex, Type, DataLength, then the data. */
const PARTIAL_HEADER = 12;
const KeyValuePartialInformation = 2;

export class FxKey extends FxObject {
  constructor(
    handle: bigint,
    parent: FxObject | undefined,
    caller: string,
    /** The kernel handle of the open key. */
    public kernelHandle: bigint,
  ) {
    super(handle, 'WDFKEY', parent, caller);
  }
}

export function fxKey(k: Kernel, handle: bigint, routine: string): FxKey {
  return fxObject<FxKey>(k, handle, 'WDFKEY', routine);
}

// ---- the Zw services, as the framework calls them -----------------------------------------------------------

function zw(k: Kernel, name: string, args: Record<string, bigint | number>): number {
  const e = k.findExport('ntoskrnl.exe', name);
  if (!e) throw new Error(`${name} is not exported`);
  return (e.impl as (k: Kernel, a: Record<string, bigint | number>, va: never) => number)(k, args, undefined as never) >>> 0;
}

/** A zeroed framework pool block for the duration of f. */
function withScratch<T>(k: Kernel, size: number, f: (p: bigint) => T): T | number {
  const p = k.m.actingAs(0, () => k.pool.allocate(Math.max(size, 8), TAG_SCRATCH, 0, 'system', 'Wdf01000.sys'));
  if (p === null) return STATUS.INSUFFICIENT_RESOURCES;
  try {
    k.m.fill(p, Math.max(size, 8));
    return f(p);
  } finally {
    k.m.actingAs(0, () => k.pool.free_(p, 0));
  }
}

/** ZwOpenKey / ZwCreateKey of `name` (a driver's UNICODE_STRING) relative to `root` (0: an absolute name). */
function openKey(k: Kernel, root: bigint, name: bigint, access: number, create: { options: number; disposition: bigint } | undefined): { handle: bigint } | { status: number } {
  const O = k.L.OBJECT_ATTRIBUTES;
  const r = withScratch(k, O.size + k.ptrSize, (oa) => {
    const out = oa + BigInt(O.size);
    k.m.setU32At(oa, O.off.Length, O.size);
    k.m.setPtrAt(oa, O.off.RootDirectory, root);
    k.m.setPtrAt(oa, O.off.ObjectName, name);
    k.m.setU32At(oa, O.off.Attributes, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE);
    const status = create
      ? zw(k, 'ZwCreateKey', { KeyHandle: out, DesiredAccess: access, ObjectAttributes: oa, TitleIndex: 0, Class: 0n, CreateOptions: create.options, Disposition: create.disposition })
      : zw(k, 'ZwOpenKey', { KeyHandle: out, DesiredAccess: access, ObjectAttributes: oa });
    return ntSuccess(status) ? { handle: k.m.ptr(out) } : { status };
  });
  return typeof r === 'number' ? { status: r } : r;
}

/** A driver-side UNICODE_STRING built in scratch memory for a name the framework makes up ("Parameters"). */
function withName<T>(k: Kernel, text: string, f: (us: bigint) => T): T | number {
  const U = k.L.UNICODE_STRING;
  return withScratch(k, U.size + text.length * 2, (us) => {
    const buf = us + BigInt(U.size);
    k.m.writeWString(buf, text, false);
    k.m.setU16(us + BigInt(U.off.Length), text.length * 2);
    k.m.setU16(us + BigInt(U.off.MaximumLength), text.length * 2);
    k.m.setPtr(us + BigInt(U.off.Buffer), buf);
    return f(us);
  });
}

function closeKernelHandle(k: Kernel, h: bigint): void {
  zw(k, 'ZwClose', { Handle: h });
}

/** A value's type and data (ZwQueryValueKey, KeyValuePartialInformation), or the status it failed with. */
function queryValue(k: Kernel, key: FxKey, name: bigint): { type: number; data: Uint8Array } | { status: number } {
  let length = PARTIAL_HEADER + 256;
  for (;;) {
    type Got = { retry: number } | { status: number } | { type: number; data: Uint8Array };
    const r = withScratch(k, length + 4, (info): Got => {
      const resultLength = info + BigInt(length);
      const status = zw(k, 'ZwQueryValueKey', {
        KeyHandle: key.kernelHandle, ValueName: name, KeyValueInformationClass: KeyValuePartialInformation, KeyValueInformation: info, Length: length, ResultLength: resultLength,
      });
      if (status === STATUS.BUFFER_OVERFLOW || status === STATUS.BUFFER_TOO_SMALL) return { retry: k.m.u32(resultLength) };
      if (!ntSuccess(status)) return { status };
      const size = k.m.u32(info + 8n);
      return { type: k.m.u32(info + 4n), data: size === 0 ? new Uint8Array(0) : k.m.read(info + BigInt(PARTIAL_HEADER), size) };
    });
    if (typeof r === 'number') return { status: r };
    if ('retry' in r) {
      // The value grew between the calls, or the first guess was short: ask again with the size it needs.
      if (r.retry <= length) return { status: STATUS.INTERNAL_ERROR };
      length = r.retry;
      continue;
    }
    return r;
  }
}

function setValue(k: Kernel, key: FxKey, name: bigint, type: number, data: Uint8Array): number {
  const r = withScratch(k, data.length, (p) => {
    if (data.length > 0) k.m.write(p, data);
    return zw(k, 'ZwSetValueKey', { KeyHandle: key.kernelHandle, ValueName: name, TitleIndex: 0, Type: type, Data: p, DataSize: data.length });
  });
  return r;
}

// ---- objects ----------------------------------------------------------------------------------------------

/** Makes the WDFKEY for an open kernel handle (closed again when the object cannot be made). */
function keyObject(k: Kernel, c: WdfClient, attrs: Attributes, kernelHandle: bigint, out: bigint, routine: string): number {
  const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, routine) : c.fxDriver;
  const o = registerObject(k, (h) => new FxKey(h, parent, k.symbolize(k.callerAddress()), kernelHandle));
  o.dispose = () => {
    if (o.kernelHandle !== 0n) closeKernelHandle(k, o.kernelHandle);
    o.kernelHandle = 0n;
  };
  const status = applyAttributes(k, o, attrs);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, o);
    return status;
  }
  k.m.setPtr(out, o.handle);
  return STATUS.SUCCESS;
}

function required(k: Kernel, p: bigint, what: string, routine: string): void {
  if (p === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL ${what}`);
}

function isString(type: number): boolean {
  return type === REG_SZ || type === REG_EXPAND_SZ;
}

/** The text of REG_SZ data: up to its first NUL (the stored terminator is not part of the string). */
function szText(data: Uint8Array): string {
  const s = utf16(data);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** The strings of REG_MULTI_SZ data: each NUL-terminated, an empty one (or the data's end) ending the list. */
function multiSzItems(data: Uint8Array): string[] {
  const items: string[] = [];
  const s = utf16(data);
  let at = 0;
  while (at < s.length) {
    const nul = s.indexOf('\0', at);
    const item = nul < 0 ? s.slice(at) : s.slice(at, nul);
    if (item === '') break;
    items.push(item);
    if (nul < 0) break;
    at = nul + 1;
  }
  return items;
}

function openEntry(
  k: Kernel,
  globals: bigint,
  routine: string,
  parentKey: bigint,
  keyName: bigint,
  access: number,
  attributes: bigint,
  out: bigint,
  create?: { options: number; disposition: bigint },
): number {
  const c = clientOf(k, globals, routine);
  required(k, keyName, 'KeyName', routine);
  required(k, out, 'Key', routine);
  k.m.setPtr(out, 0n);
  const root = parentKey !== 0n ? fxKey(k, parentKey, routine).kernelHandle : 0n;
  const attrs = readAttributes(k, attributes);
  if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const r = openKey(k, root, keyName, access, create);
  if ('status' in r) return r.status;
  return keyObject(k, c, attrs, r.handle, out, routine);
}

export const exports = [
  wdfExport({
    name: 'WdfRegistryOpenKey',
    proto: 'NTSTATUS WdfRegistryOpenKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)',
    params: { ParentKey: 'handle', KeyName: 'pustr', DesiredAccess: 'access', KeyAttributes: 'ptr', Key: 'ptr' },
    ret: 'status',
    impl: (k, a) => openEntry(k, a.DriverGlobals, 'WdfRegistryOpenKey', a.ParentKey, a.KeyName, a.DesiredAccess, a.KeyAttributes, a.Key),
  }),
  wdfExport({
    name: 'WdfRegistryCreateKey',
    proto: 'NTSTATUS WdfRegistryCreateKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess, ULONG CreateOptions, PULONG CreateDisposition, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)',
    params: { ParentKey: 'handle', KeyName: 'pustr', DesiredAccess: 'access', CreateOptions: 'u32', CreateDisposition: 'ptr', KeyAttributes: 'ptr', Key: 'ptr' },
    ret: 'status',
    impl: (k, a) =>
      openEntry(k, a.DriverGlobals, 'WdfRegistryCreateKey', a.ParentKey, a.KeyName, a.DesiredAccess, a.KeyAttributes, a.Key, { options: a.CreateOptions, disposition: a.CreateDisposition }),
  }),
  wdfExport({
    name: 'WdfDriverOpenParametersRegistryKey',
    proto: 'NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)',
    params: { Driver: 'handle', DesiredAccess: 'access', KeyAttributes: 'ptr', Key: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfDriverOpenParametersRegistryKey';
      const c = clientOf(k, a.DriverGlobals, routine);
      fxObject(k, a.Driver, 'WDFDRIVER', routine);
      required(k, a.Key, 'Key', routine);
      k.m.setPtr(a.Key, 0n);
      const attrs = readAttributes(k, a.KeyAttributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      // The service key, then its Parameters subkey, created when it is missing.
      const service = withName(k, c.registryPath, (us) => openKey(k, 0n, us, 0x20019 /* KEY_READ */, undefined));
      if (typeof service === 'number') return service;
      if ('status' in service) return service.status;
      const params = withName(k, 'Parameters', (us) => openKey(k, service.handle, us, a.DesiredAccess, { options: 0, disposition: 0n }));
      closeKernelHandle(k, service.handle);
      if (typeof params === 'number') return params;
      if ('status' in params) return params.status;
      return keyObject(k, c, attrs, params.handle, a.Key, routine);
    },
  }),
  wdfExport({
    name: 'WdfRegistryClose',
    proto: 'VOID WdfRegistryClose(WDFKEY Key)',
    params: { Key: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      deleteObject(k, fxKey(k, a.Key, 'WdfRegistryClose'));
    },
  }),
  wdfExport({
    name: 'WdfRegistryWdmGetHandle',
    proto: 'HANDLE WdfRegistryWdmGetHandle(WDFKEY Key)',
    params: { Key: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxKey(k, a.Key, 'WdfRegistryWdmGetHandle').kernelHandle,
  }),
  wdfExport({
    name: 'WdfRegistryRemoveKey',
    proto: 'NTSTATUS WdfRegistryRemoveKey(WDFKEY Key)',
    params: { Key: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxKey(k, a.Key, 'WdfRegistryRemoveKey');
      const status = zw(k, 'ZwDeleteKey', { KeyHandle: o.kernelHandle });
      // The key object goes with the key; after a failure the driver still owns it.
      if (ntSuccess(status)) deleteObject(k, o);
      return status;
    },
  }),
  wdfExport({
    name: 'WdfRegistryRemoveValue',
    proto: 'NTSTATUS WdfRegistryRemoveValue(WDFKEY Key, PCUNICODE_STRING ValueName)',
    params: { Key: 'handle', ValueName: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxKey(k, a.Key, 'WdfRegistryRemoveValue');
      required(k, a.ValueName, 'ValueName', 'WdfRegistryRemoveValue');
      return zw(k, 'ZwDeleteValueKey', { KeyHandle: o.kernelHandle, ValueName: a.ValueName });
    },
  }),
  wdfExport({
    name: 'WdfRegistryQueryValue',
    proto: 'NTSTATUS WdfRegistryQueryValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength, PVOID Value, PULONG ValueLengthQueried, PULONG ValueType)',
    params: { Key: 'handle', ValueName: 'pustr', ValueLength: 'u32', Value: 'ptr', ValueLengthQueried: 'ptr', ValueType: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxKey(k, a.Key, 'WdfRegistryQueryValue');
      required(k, a.ValueName, 'ValueName', 'WdfRegistryQueryValue');
      const v = queryValue(k, o, a.ValueName);
      if ('status' in v) return v.status;
      if (a.ValueLengthQueried !== 0n) k.m.setU32(a.ValueLengthQueried, v.data.length);
      if (a.ValueType !== 0n) k.m.setU32(a.ValueType, v.type);
      // No buffer: the length (and type) only.
      if (a.Value === 0n) return v.data.length === 0 ? STATUS.SUCCESS : STATUS.BUFFER_OVERFLOW;
      const n = Math.min(a.ValueLength, v.data.length);
      if (n > 0) k.m.write(a.Value, v.data.subarray(0, n));
      return n < v.data.length ? STATUS.BUFFER_OVERFLOW : STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfRegistryQueryMemory',
    proto: 'NTSTATUS WdfRegistryQueryMemory(WDFKEY Key, PCUNICODE_STRING ValueName, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, WDFMEMORY *Memory, PULONG ValueType)',
    params: { Key: 'handle', ValueName: 'pustr', PoolType: 'u32', MemoryAttributes: 'ptr', Memory: 'ptr', ValueType: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryQueryMemory';
      const c = clientOf(k, a.DriverGlobals, routine);
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      required(k, a.Memory, 'Memory', routine);
      k.m.setPtr(a.Memory, 0n);
      const attrs = readAttributes(k, a.MemoryAttributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      const v = queryValue(k, o, a.ValueName);
      if ('status' in v) return v.status;
      if (a.ValueType !== 0n) k.m.setU32(a.ValueType, v.type);
      if (v.data.length === 0) return STATUS.RESOURCE_DATA_NOT_FOUND;
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, routine) : c.fxDriver;
      const buffer = k.pool.allocate(v.data.length, defaultTag(k, c), a.PoolType, 'system', k.symbolize(k.callerAddress()));
      if (buffer === null) return STATUS.INSUFFICIENT_RESOURCES;
      k.m.write(buffer, v.data);
      const mem = registerObject(k, (h) => new FxMemory(h, parent, k.symbolize(k.callerAddress()), buffer, v.data.length, true));
      mem.dispose = () => k.m.actingAs(0, () => k.pool.free_(buffer, 0));
      const status = applyAttributes(k, mem, attrs);
      if (status !== STATUS.SUCCESS) {
        deleteObject(k, mem);
        return status;
      }
      k.m.setPtr(a.Memory, mem.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfRegistryQueryMultiString',
    proto: 'NTSTATUS WdfRegistryQueryMultiString(WDFKEY Key, PCUNICODE_STRING ValueName, PWDF_OBJECT_ATTRIBUTES StringsAttributes, WDFCOLLECTION Collection)',
    params: { Key: 'handle', ValueName: 'pustr', StringsAttributes: 'ptr', Collection: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryQueryMultiString';
      const c = clientOf(k, a.DriverGlobals, routine);
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      const coll = fxCollection(k, a.Collection, routine);
      const attrs = readAttributes(k, a.StringsAttributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      const v = queryValue(k, o, a.ValueName);
      if ('status' in v) return v.status;
      if (v.type !== REG_MULTI_SZ) return STATUS.OBJECT_TYPE_MISMATCH;
      const items = multiSzItems(v.data);
      if (items.length === 0) return STATUS.RESOURCE_DATA_NOT_FOUND;
      // The strings' parent: the one the attributes name, else the driver (as documented).
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, routine) : c.fxDriver;
      const made: FxString[] = [];
      for (const text of items) {
        const s = createString(k, parent, attrs, text);
        if (typeof s === 'number') {
          // Nothing half done: the strings added so far leave the collection and go.
          for (const m of made) {
            const i = coll.items.indexOf(m);
            if (i >= 0) {
              coll.items.splice(i, 1);
              release(k, m);
            }
            deleteObject(k, m);
          }
          return s;
        }
        made.push(s);
        collectionAdd(coll, s);
      }
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfRegistryQueryUnicodeString',
    proto: 'NTSTATUS WdfRegistryQueryUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PUSHORT ValueByteLength, PUNICODE_STRING Value)',
    params: { Key: 'handle', ValueName: 'pustr', ValueByteLength: 'ptr', Value: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryQueryUnicodeString';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      const v = queryValue(k, o, a.ValueName);
      if ('status' in v) return v.status;
      if (!isString(v.type)) return STATUS.OBJECT_TYPE_MISMATCH;
      const bytes = szText(v.data).length * 2;
      if (bytes > 0xfffe) return STATUS.INVALID_PARAMETER;
      if (a.ValueByteLength !== 0n) k.m.setU16(a.ValueByteLength, bytes);
      if (a.Value === 0n) return bytes === 0 ? STATUS.SUCCESS : STATUS.BUFFER_OVERFLOW;
      const U = k.L.UNICODE_STRING.off;
      const max = k.m.u16(a.Value + BigInt(U.MaximumLength));
      const buf = k.m.ptr(a.Value + BigInt(U.Buffer));
      if (max < bytes) return STATUS.BUFFER_OVERFLOW;
      if (bytes > 0) k.m.write(buf, v.data.subarray(0, bytes));
      k.m.setU16(a.Value + BigInt(U.Length), bytes);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfRegistryQueryString',
    proto: 'NTSTATUS WdfRegistryQueryString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)',
    params: { Key: 'handle', ValueName: 'pustr', String: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryQueryString';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      fxString(k, a.String, routine);
      const v = queryValue(k, o, a.ValueName);
      if ('status' in v) return v.status;
      if (!isString(v.type)) return STATUS.OBJECT_TYPE_MISMATCH;
      return assignString(k, a.String, szText(v.data), routine);
    },
  }),
  wdfExport({
    name: 'WdfRegistryQueryULong',
    proto: 'NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value)',
    params: { Key: 'handle', ValueName: 'pustr', Value: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryQueryULong';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      required(k, a.Value, 'Value', routine);
      const v = queryValue(k, o, a.ValueName);
      if ('status' in v) return v.status;
      if (v.type !== REG_DWORD || v.data.length !== 4) return STATUS.OBJECT_TYPE_MISMATCH;
      k.m.write(a.Value, v.data);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfRegistryAssignValue',
    proto: 'NTSTATUS WdfRegistryAssignValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, ULONG ValueLength, PVOID Value)',
    params: { Key: 'handle', ValueName: 'pustr', ValueType: 'u32', ValueLength: 'u32', Value: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxKey(k, a.Key, 'WdfRegistryAssignValue');
      required(k, a.ValueName, 'ValueName', 'WdfRegistryAssignValue');
      if (a.ValueLength > 0 && a.Value === 0n) return STATUS.INVALID_PARAMETER;
      return setValue(k, o, a.ValueName, a.ValueType, a.ValueLength === 0 ? new Uint8Array(0) : k.m.read(a.Value, a.ValueLength));
    },
  }),
  wdfExport({
    name: 'WdfRegistryAssignMemory',
    proto: 'NTSTATUS WdfRegistryAssignMemory(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, WDFMEMORY Memory, PWDFMEMORY_OFFSET MemoryOffsets)',
    params: { Key: 'handle', ValueName: 'pustr', ValueType: 'u32', Memory: 'handle', MemoryOffsets: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryAssignMemory';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      const mem = fxMemory(k, a.Memory, routine);
      let offset = 0n;
      let length = BigInt(mem.length);
      if (a.MemoryOffsets !== 0n) {
        const M = wdfLayouts(k.arch).WDFMEMORY_OFFSET.off;
        offset = k.m.ptr(a.MemoryOffsets + BigInt(M.BufferOffset));
        const l = k.m.ptr(a.MemoryOffsets + BigInt(M.BufferLength));
        // A zero BufferLength means the rest of the buffer from BufferOffset.
        length = l === 0n ? BigInt(mem.length) - offset : l;
        if (offset > BigInt(mem.length) || length < 0n || length > BigInt(mem.length) - offset) return STATUS.INVALID_BUFFER_SIZE;
      }
      if (length > 0xffffffffn) return STATUS.INVALID_PARAMETER;
      return setValue(k, o, a.ValueName, a.ValueType, length === 0n ? new Uint8Array(0) : k.m.read(mem.buffer + offset, Number(length)));
    },
  }),
  wdfExport({
    name: 'WdfRegistryAssignMultiString',
    proto: 'NTSTATUS WdfRegistryAssignMultiString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFCOLLECTION StringsCollection)',
    params: { Key: 'handle', ValueName: 'pustr', StringsCollection: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryAssignMultiString';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      const coll = fxCollection(k, a.StringsCollection, routine);
      // Every item must be a string object.
      if (coll.items.some((x) => x.type !== 'WDFSTRING')) return STATUS.INVALID_PARAMETER;
      const texts = coll.items.map((x) => stringText(k, x as FxString));
      // REG_MULTI_SZ cannot hold an empty string: it would end the list.
      if (texts.some((t) => t === '')) return STATUS.INVALID_PARAMETER;
      return setValue(k, o, a.ValueName, REG_MULTI_SZ, multiSz(texts));
    },
  }),
  wdfExport({
    name: 'WdfRegistryAssignUnicodeString',
    proto: 'NTSTATUS WdfRegistryAssignUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PCUNICODE_STRING Value)',
    params: { Key: 'handle', ValueName: 'pustr', Value: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryAssignUnicodeString';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      required(k, a.Value, 'Value', routine);
      const text = readCounted(k, a.Value);
      if (text === undefined) return STATUS.INVALID_PARAMETER;
      return setValue(k, o, a.ValueName, REG_SZ, utf16Bytes(text));
    },
  }),
  wdfExport({
    name: 'WdfRegistryAssignString',
    proto: 'NTSTATUS WdfRegistryAssignString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)',
    params: { Key: 'handle', ValueName: 'pustr', String: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const routine = 'WdfRegistryAssignString';
      const o = fxKey(k, a.Key, routine);
      required(k, a.ValueName, 'ValueName', routine);
      const s = fxString(k, a.String, routine);
      return setValue(k, o, a.ValueName, REG_SZ, utf16Bytes(stringText(k, s)));
    },
  }),
  wdfExport({
    name: 'WdfRegistryAssignULong',
    proto: 'NTSTATUS WdfRegistryAssignULong(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG Value)',
    params: { Key: 'handle', ValueName: 'pustr', Value: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxKey(k, a.Key, 'WdfRegistryAssignULong');
      required(k, a.ValueName, 'ValueName', 'WdfRegistryAssignULong');
      return setValue(k, o, a.ValueName, REG_DWORD, dword(a.Value));
    },
  }),
];
