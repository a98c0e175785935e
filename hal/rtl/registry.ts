// The run-time library's registry helpers: RtlQueryRegistryValues, RtlWriteRegistryValue, RtlDeleteRegistryValue,
// RtlCheckRegistryKey, RtlCreateRegistryKey.
//
// They work on the configuration manager's keys (cm/), as Windows' do through ZwOpenKey/ZwCreateKey: RelativeTo
// names a base path (Services, Control, Windows NT\CurrentVersion, DeviceMap, the current user) or, with
// RTL_REGISTRY_HANDLE, Path is an open key handle. RtlQueryRegistryValues walks the caller's table as Windows does:
// SUBKEY/TOPKEY change the key, a QueryRoutine is called per value (per string of a REG_MULTI_SZ; REG_EXPAND_SZ
// expanded against the Environment block when one is given — the kernel has no environment of its own, so without
// one the text comes back as it is, typed REG_SZ), DIRECT entries store into EntryContext, missing values take the
// entry's default, and STATUS_BUFFER_TOO_SMALL from a routine or a DIRECT store is ignored, as Windows ignores it.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS, ntSuccess } from './ntstatus.js';
import { tagOf } from '../io/device.js';
import { allocateString } from './nls.js';
import { REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_SZ, Registry, utf16, type RegKey, type RegValue } from '../cm/hive.js';
import { registry } from '../cm/registry.js';
import { findOrCreateKey, keyHandle } from '../cm/key.js';

const RTL_REGISTRY_HANDLE = 0x40000000;
const RTL_REGISTRY_OPTIONAL = 0x80000000;
const RTL_REGISTRY_MAXIMUM = 6;

const RTL_QUERY_REGISTRY_SUBKEY = 0x1;
const RTL_QUERY_REGISTRY_TOPKEY = 0x2;
const RTL_QUERY_REGISTRY_REQUIRED = 0x4;
const RTL_QUERY_REGISTRY_NOVALUE = 0x8;
const RTL_QUERY_REGISTRY_NOEXPAND = 0x10;
const RTL_QUERY_REGISTRY_DIRECT = 0x20;
const RTL_QUERY_REGISTRY_DELETE = 0x40;
const RTL_QUERY_REGISTRY_TYPECHECK = 0x100;
const TYPECHECK_SHIFT = 24;

/** The bases RelativeTo names (RTL_REGISTRY_USER: a system thread has no user of its own: .DEFAULT). */
const BASES = [
  '',
  '\\Registry\\Machine\\System\\CurrentControlSet\\Services',
  '\\Registry\\Machine\\System\\CurrentControlSet\\Control',
  '\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion',
  '\\Registry\\Machine\\Hardware\\DeviceMap',
  '\\Registry\\User\\.Default',
];

/** Windows' query buffer tag ('vrqR' as the C source writes it). */
const QUERY_TAG = tagOf('Rqrv');
const PagedPool = 1;
const MAX_USTRING = 0xfffe;

/**
 * The key RelativeTo and Path name (RtlpGetRegistryHandle). `create` makes its last component when it is missing,
 * as ZwCreateKey does for RtlWriteRegistryValue and RtlCreateRegistryKey.
 */
function registryKey(k: Kernel, relativeTo: number, path: bigint, create: boolean): { key: RegKey; name: string } | { status: number; name: string } {
  if (relativeTo & RTL_REGISTRY_HANDLE) {
    const h = keyHandle(k, path);
    return 'status' in h ? { status: h.status, name: `handle 0x${path.toString(16)}` } : { key: h.key, name: h.key.path };
  }
  const rel = (relativeTo & ~RTL_REGISTRY_OPTIONAL) >>> 0;
  if (rel >= RTL_REGISTRY_MAXIMUM) return { status: STATUS.INVALID_PARAMETER, name: '' };
  const text = path === 0n ? '' : k.m.wstring(path, 0x8000);
  const name = rel === 0 ? text : `${BASES[rel]}\\${text}`;
  const reg = registry(k);
  if (!name.startsWith('\\')) return { status: STATUS.OBJECT_PATH_SYNTAX_BAD, name };
  const parts = Registry.components(name.slice(1));
  if (!parts || parts.length === 0) return { status: STATUS.OBJECT_NAME_INVALID, name };
  if (parts[0].toUpperCase() !== 'REGISTRY') return { status: STATUS.OBJECT_NAME_NOT_FOUND, name };
  if (!create) {
    const w = reg.walk(reg.root, parts.slice(1));
    return 'key' in w ? { key: w.key, name } : { status: 'tooManyLinks' in w ? STATUS.NAME_TOO_LONG : STATUS.OBJECT_NAME_NOT_FOUND, name };
  }
  // As RtlpGetRegistryHandle does it: ZwCreateKey with no options.
  const f = findOrCreateKey(k, reg.root, parts.slice(1), { openLink: false, volatile: false });
  return 'status' in f ? { status: f.status, name } : { key: f.key, name };
}

function trace(k: Kernel, op: string, key: string, status: number, value?: string): void {
  if (k.trace.enabled) k.trace.emit({ type: 'registry', op, key, ...(value !== undefined ? { value } : {}), status: `0x${(status >>> 0).toString(16).padStart(8, '0').toUpperCase()}` });
}

/** %NAME% expansion against a process environment block ("NAME=VALUE\0...\0"); unknown names stay as they are. */
function expand(k: Kernel, text: string, environment: bigint): string {
  if (environment === 0n || !text.includes('%')) return text;
  const vars = new Map<string, string>();
  for (let p = environment; ; ) {
    const entry = k.m.wstring(p, 0x8000);
    if (entry === '') break;
    const eq = entry.indexOf('=', 1);
    if (eq > 0) vars.set(entry.slice(0, eq).toUpperCase(), entry.slice(eq + 1));
    p += BigInt((entry.length + 1) * 2);
  }
  return text.replace(/%([^%]+)%/g, (m, name: string) => vars.get(name.toUpperCase()) ?? m);
}

interface Entry {
  address: bigint;
  routine: bigint;
  flags: number;
  name: bigint;
  entryContext: bigint;
  defaultType: number;
  defaultData: bigint;
  defaultLength: number;
}

function readEntry(k: Kernel, p: bigint): Entry {
  const o = k.L.RTL_QUERY_REGISTRY_TABLE.off;
  return {
    address: p,
    routine: k.m.ptrAt(p, o.QueryRoutine),
    flags: k.m.u32At(p, o.Flags),
    name: k.m.ptrAt(p, o.Name),
    entryContext: k.m.ptrAt(p, o.EntryContext),
    defaultType: k.m.u32At(p, o.DefaultType),
    defaultData: k.m.ptrAt(p, o.DefaultData),
    defaultLength: k.m.u32At(p, o.DefaultLength),
  };
}

/** A DIRECT entry's store into EntryContext (RtlpQueryRegistryDirect). */
function storeDirect(k: Kernel, type: number, data: Uint8Array, dest: bigint): number {
  const m = k.m;
  if (type === REG_SZ || type === REG_EXPAND_SZ || type === REG_MULTI_SZ) {
    const o = k.L.UNICODE_STRING.off;
    const n = Math.min(data.length, MAX_USTRING);
    let buffer = m.ptrAt(dest, o.Buffer);
    if (buffer === 0n) {
      const b = allocateString(k, n);
      if (b === null) return STATUS.NO_MEMORY;
      buffer = b;
      m.setPtrAt(dest, o.Buffer, buffer);
      m.setU16At(dest, o.MaximumLength, n);
    } else if (n > m.u16At(dest, o.MaximumLength)) return STATUS.BUFFER_TOO_SMALL;
    if (n > 0) m.write(buffer, data.subarray(0, n));
    m.setU16At(dest, o.Length, Math.max(0, n - 2));
    return STATUS.SUCCESS;
  }
  if (data.length <= 4) {
    if (data.length > 0) m.write(dest, data);
    return STATUS.SUCCESS;
  }
  // Larger non-string data: the buffer starts with a LONG. Negative: its size, and the data alone goes there;
  // otherwise the size, then ULONG length, ULONG type, data.
  const size = m.u32(dest) | 0;
  if (size < 0) {
    if (-size < data.length) return STATUS.BUFFER_TOO_SMALL;
    m.write(dest, data);
    return STATUS.SUCCESS;
  }
  if (size < 8 + data.length) return STATUS.BUFFER_TOO_SMALL;
  m.setU32(dest, data.length);
  m.setU32(dest + 4n, type);
  m.write(dest + 8n, data);
  return STATUS.SUCCESS;
}

/** The length of a default's data when DefaultLength is 0: strings measured to their terminator(s). */
function defaultBytes(k: Kernel, type: number, data: bigint, length: number): Uint8Array {
  if (length === 0 && data !== 0n) {
    if (type === REG_SZ || type === REG_EXPAND_SZ) length = (k.m.wstring(data, 0x8000).length + 1) * 2;
    else if (type === REG_MULTI_SZ) {
      let p = data;
      for (let s = k.m.wstring(p, 0x8000); s !== ''; s = k.m.wstring(p, 0x8000)) p += BigInt((s.length + 1) * 2);
      length = Number(p - data) + 2;
    }
  }
  return length === 0 ? new Uint8Array(0) : k.m.read(data, length);
}

class Query {
  constructor(
    private readonly k: Kernel,
    private readonly context: bigint,
    private readonly environment: bigint,
  ) {}

  /** Calls the entry's routine (or stores, for DIRECT) with one value: RtlpCallQueryRegistryRoutine. */
  call(e: Entry, value: RegValue | undefined): number {
    const k = this.k;
    let type: number;
    let data: Uint8Array;
    let name: string;
    const defaultType = e.flags & RTL_QUERY_REGISTRY_TYPECHECK ? e.defaultType & 0xffffff : e.defaultType;
    if (!value || value.type === REG_NONE || (value.data.length === 0 && value.type === defaultType)) {
      if (defaultType === REG_NONE) return e.flags & RTL_QUERY_REGISTRY_REQUIRED ? STATUS.OBJECT_NAME_NOT_FOUND : STATUS.SUCCESS;
      type = defaultType;
      data = defaultBytes(k, type, e.defaultData, e.defaultLength);
      name = e.name === 0n ? '' : k.m.wstring(e.name, 0x8000);
    } else {
      type = value.type;
      data = value.data;
      name = value.name;
    }
    if (e.flags & RTL_QUERY_REGISTRY_TYPECHECK && e.flags & RTL_QUERY_REGISTRY_DIRECT) {
      const expected = (e.defaultType >>> TYPECHECK_SHIFT) & 0xff;
      if (type !== expected) return STATUS.OBJECT_TYPE_MISMATCH;
    }
    if (!(e.flags & RTL_QUERY_REGISTRY_NOEXPAND)) {
      if (type === REG_MULTI_SZ) {
        // One call per string, each as a REG_SZ; DIRECT stores into consecutive UNICODE_STRINGs.
        // The list ends at its first empty string (the final double terminator).
        const items: string[] = [];
        for (const s of utf16(data).split('\0')) {
          if (s === '') break;
          items.push(s);
        }
        let dest = e.entryContext;
        for (const s of items) {
          const bytes = utf16Bytes0(s);
          const st = e.flags & RTL_QUERY_REGISTRY_DIRECT ? storeDirect(k, REG_SZ, bytes, dest) : this.invoke(e, name, REG_SZ, bytes);
          dest += BigInt(k.L.UNICODE_STRING.size);
          if (st !== STATUS.BUFFER_TOO_SMALL && !ntSuccess(st)) return st;
        }
        return STATUS.SUCCESS;
      }
      if (type === REG_EXPAND_SZ && data.length >= 2) {
        data = utf16Bytes0(expand(k, utf16(data).replace(/\0+$/, ''), this.environment));
        type = REG_SZ;
      }
    }
    const st = e.flags & RTL_QUERY_REGISTRY_DIRECT ? storeDirect(k, type, data, e.entryContext) : this.invoke(e, name, type, data);
    return st === STATUS.BUFFER_TOO_SMALL ? STATUS.SUCCESS : st;
  }

  /** The caller's QueryRoutine, with the name and data in a pool buffer as Windows passes them. */
  private invoke(e: Entry, name: string, type: number, data: Uint8Array): number {
    const k = this.k;
    const nameBytes = utf16Bytes0(name);
    const dataAt = Math.ceil(nameBytes.length / 8) * 8;
    const size = Math.max(dataAt + data.length, 8);
    const buf = k.pool.allocate(size, QUERY_TAG, PagedPool, 'system', 'RtlQueryRegistryValues');
    if (buf === null) return STATUS.NO_MEMORY;
    try {
      k.m.write(buf, nameBytes);
      if (data.length) k.m.write(buf + BigInt(dataAt), data);
      const r = k.callRoutine(e.routine, [buf, BigInt(type), data.length ? buf + BigInt(dataAt) : 0n, BigInt(data.length), this.context, e.entryContext], 'QueryRoutine');
      return Number(r & 0xffffffffn) | 0;
    } finally {
      k.pool.free_(buf, 0);
    }
  }
}

function utf16Bytes0(s: string): Uint8Array {
  const b = new Uint8Array((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) {
    b[2 * i] = s.charCodeAt(i) & 0xff;
    b[2 * i + 1] = s.charCodeAt(i) >> 8;
  }
  return b;
}

function queryValues(k: Kernel, a: { RelativeTo: number; Path: bigint; QueryTable: bigint; Context: bigint; Environment: bigint }): number {
  const base = registryKey(k, a.RelativeTo, a.Path, false);
  if ('status' in base) {
    trace(k, 'open', base.name, base.status);
    return base.status;
  }
  const reg = registry(k);
  const q = new Query(k, a.Context, a.Environment);
  let current: RegKey = base.key;
  let status: number = STATUS.SUCCESS;
  const size = BigInt(k.L.RTL_QUERY_REGISTRY_TABLE.size);
  for (let p = a.QueryTable; ; p += size) {
    const e = readEntry(k, p);
    if (e.routine === 0n && !(e.flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_DIRECT))) break;
    if (e.flags & RTL_QUERY_REGISTRY_DIRECT && (e.name === 0n || e.flags & RTL_QUERY_REGISTRY_SUBKEY || e.routine !== 0n)) {
      status = STATUS.INVALID_PARAMETER;
      break;
    }
    if (e.flags & (RTL_QUERY_REGISTRY_TOPKEY | RTL_QUERY_REGISTRY_SUBKEY)) current = base.key;
    if (e.flags & RTL_QUERY_REGISTRY_SUBKEY) {
      if (e.name === 0n) {
        status = STATUS.INVALID_PARAMETER;
        break;
      }
      const sub = k.m.wstring(e.name, 0x8000);
      const parts = Registry.components(sub);
      const w = parts ? reg.walk(base.key, parts) : undefined;
      if (!w || !('key' in w)) {
        status = STATUS.OBJECT_NAME_NOT_FOUND;
        trace(k, 'open', `${base.key.path}\\${sub}`, status);
        break;
      }
      current = w.key;
      trace(k, 'open', current.path, STATUS.SUCCESS);
      if (e.routine !== 0n) status = enumerate(k, q, e, current);
    } else if (e.name !== 0n) {
      const name = k.m.wstring(e.name, 0x8000);
      const v = current.value(name);
      trace(k, 'query', current.path, v ? STATUS.SUCCESS : STATUS.OBJECT_NAME_NOT_FOUND, name);
      status = q.call(e, v);
      if (ntSuccess(status) && v && e.flags & RTL_QUERY_REGISTRY_DELETE) reg.deleteValue(current, name);
    } else if (e.flags & RTL_QUERY_REGISTRY_NOVALUE) {
      status = Number(k.callRoutine(e.routine, [0n, BigInt(REG_NONE), 0n, 0n, a.Context, e.entryContext], 'QueryRoutine') & 0xffffffffn) | 0;
    } else status = enumerate(k, q, e, current);
    if (!ntSuccess(status)) break;
  }
  return status;
}

/** Every value of the key, in order (an entry without a Name). */
function enumerate(k: Kernel, q: Query, e: Entry, key: RegKey): number {
  const values = [...key.values.values()];
  if (values.length === 0) return e.flags & RTL_QUERY_REGISTRY_REQUIRED ? STATUS.OBJECT_NAME_NOT_FOUND : STATUS.SUCCESS;
  for (const v of values) {
    if (key.value(v.name) !== v) continue; // deleted by an earlier routine
    trace(k, 'query', key.path, STATUS.SUCCESS, v.name);
    const st = q.call(e, v);
    if (!ntSuccess(st)) return st;
    if (e.flags & RTL_QUERY_REGISTRY_DELETE) registry(k).deleteValue(key, v.name);
  }
  return STATUS.SUCCESS;
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlQueryRegistryValues',
    proto: 'NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context, PVOID Environment)',
    params: { RelativeTo: 'u32', Path: 'ptr', QueryTable: 'ptr', Context: 'ptr', Environment: 'ptr' }, ret: 'status',
    impl: (k, a) => queryValues(k, a),
  }),
  defineExport({
    ...rtl, name: 'RtlWriteRegistryValue',
    proto: 'NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength)',
    params: { RelativeTo: 'u32', Path: 'ptr', ValueName: 'pwstr', ValueType: 'u32', ValueData: 'ptr', ValueLength: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const r = registryKey(k, a.RelativeTo, a.Path, true);
      if ('status' in r) {
        trace(k, 'create', r.name, r.status);
        return r.status;
      }
      const name = a.ValueName === 0n ? '' : k.m.wstring(a.ValueName, 0x8000);
      const data = a.ValueLength === 0 ? new Uint8Array(0) : k.m.read(a.ValueData, a.ValueLength);
      registry(k).setValue(r.key, name, a.ValueType, data);
      trace(k, 'set', r.key.path, STATUS.SUCCESS, name);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlDeleteRegistryValue',
    proto: 'NTSTATUS RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName)',
    params: { RelativeTo: 'u32', Path: 'ptr', ValueName: 'pwstr' }, ret: 'status',
    impl: (k, a) => {
      const r = registryKey(k, a.RelativeTo, a.Path, true);
      if ('status' in r) return r.status;
      const name = a.ValueName === 0n ? '' : k.m.wstring(a.ValueName, 0x8000);
      const status = registry(k).deleteValue(r.key, name) ? STATUS.SUCCESS : STATUS.OBJECT_NAME_NOT_FOUND;
      trace(k, 'delete-value', r.key.path, status, name);
      return status;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlCheckRegistryKey',
    proto: 'NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path)',
    params: { RelativeTo: 'u32', Path: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const r = registryKey(k, a.RelativeTo, a.Path, false);
      trace(k, 'open', 'key' in r ? r.key.path : r.name, 'status' in r ? r.status : STATUS.SUCCESS);
      return 'status' in r ? r.status : STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlCreateRegistryKey',
    proto: 'NTSTATUS RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path)',
    params: { RelativeTo: 'u32', Path: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const r = registryKey(k, a.RelativeTo, a.Path, true);
      trace(k, 'create', 'key' in r ? r.key.path : r.name, 'status' in r ? r.status : STATUS.SUCCESS);
      return 'status' in r ? r.status : STATUS.SUCCESS;
    },
  }),
];
