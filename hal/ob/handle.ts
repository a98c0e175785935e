// The object manager's typed objects and handle tables: ObReferenceObjectByHandle, ZwClose, named objects.
//
// An object is a body in guest memory (a KEVENT, EPROCESS, ETHREAD, FILE_OBJECT ...) with a type, an optional name
// in the namespace (\BaseNamedObjects\X), and counts: its open handles, the references the system keeps (a running
// thread, a live process, a permanent object), and those drivers took (ob/object.ts). It goes when all are gone.
// Handles live in the table of the process that opened them, or in the kernel's (OBJ_KERNEL_HANDLE: handle values
// with the top bit set, valid in every process context, only from kernel mode), with the access granted at open.
// File handles on devices are the I/O manager's (io/state.ts) and share the numbering.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import type { KProcess } from '../ps/process.js';
import { ntClose } from '../io/iofunc.js';
import { referenceObject } from './object.js';
import { handleCreated } from './callbacks.js';

export type ObjectType = 'Event' | 'Mutant' | 'Semaphore' | 'Timer' | 'Process' | 'Thread' | 'File' | 'Key' | 'SymbolicLink' | 'Callback' | 'Directory' | 'Section';

export interface KObject {
  readonly type: ObjectType;
  /** The object's body in guest memory (what ObReferenceObjectByHandle returns). */
  readonly body: bigint;
  /** Its full name in the namespace (\BaseNamedObjects\KdProcEvent), while it has one. */
  name?: string;
  handleCount: number;
  /** References the system itself holds (a running thread, a live process, a permanent object). */
  systemRefs: number;
  /** Frees what the object owns (its pool body ...) once the last handle and reference are gone. */
  onDelete?: () => void;
  /** What stands behind a file object that is not a device's (a pipe end). */
  readonly file?: unknown;
}

export interface HandleEntry {
  readonly object: KObject;
  readonly access: number;
}

/** Standard and generic rights. */
export const DELETE = 0x10000;
export const READ_CONTROL = 0x20000;
export const SYNCHRONIZE = 0x100000;
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;
export const MAXIMUM_ALLOWED = 0x2000000;

/** Each type's GENERIC_MAPPING (read, write, execute, all) and the POBJECT_TYPE export that names it. */
const TYPES: Record<ObjectType, { mapping: [number, number, number, number]; variable?: string }> = {
  Event: { mapping: [0x20001, 0x20002, 0x120000, 0x1f0003], variable: 'ExEventObjectType' },
  Mutant: { mapping: [0x20001, 0x20000, 0x120000, 0x1f0001] },
  SymbolicLink: { mapping: [0x20001, 0x20000, 0x20001, 0xf0001] },
  Directory: { mapping: [0x20003, 0x2000c, 0x20003, 0xf000f] },
  Semaphore: { mapping: [0x20001, 0x20002, 0x120000, 0x1f0003], variable: 'ExSemaphoreObjectType' },
  Timer: { mapping: [0x20001, 0x20002, 0x120000, 0x1f0003] },
  // ExpCallbackMapping: read, write | CALLBACK_MODIFY_STATE, execute | SYNCHRONIZE, CALLBACK_ALL_ACCESS.
  Callback: { mapping: [0x20000, 0x20001, 0x120000, 0x1f0001] },
  Process: { mapping: [0x20410, 0x20bea, 0x121000, 0x1fffff], variable: 'PsProcessType' },
  Thread: { mapping: [0x20048, 0x20037, 0x121800, 0x1fffff], variable: 'PsThreadType' },
  File: { mapping: [0x120089, 0x120116, 0x1200a0, 0x1f01ff], variable: 'IoFileObjectType' },
  Key: { mapping: [0x20019, 0x20006, 0x20019, 0xf003f], variable: 'CmKeyObjectType' },
  // MmpSectionMapping: read | SECTION_QUERY | SECTION_MAP_READ, write | SECTION_MAP_WRITE, execute | SECTION_MAP_EXECUTE, SECTION_ALL_ACCESS.
  Section: { mapping: [0x20005, 0x20002, 0x20008, 0xf001f], variable: 'MmSectionObjectType' },
};

/** RtlMapGenericMask for the type: generic rights become the type's specific ones; MAXIMUM_ALLOWED grants all. */
export function mapGeneric(type: ObjectType, access: number): number {
  const [r, w, x, all] = TYPES[type].mapping;
  let a = access & 0x0fffffff & ~MAXIMUM_ALLOWED;
  if (access & GENERIC_READ) a |= r;
  if (access & GENERIC_WRITE) a |= w;
  if (access & GENERIC_EXECUTE) a |= x;
  if (access & GENERIC_ALL || access & MAXIMUM_ALLOWED) a |= all;
  return a >>> 0;
}

export function typeVariable(type: ObjectType): string | undefined {
  return TYPES[type].variable;
}

const KernelMode = 0;

export class ObjectManager {
  private readonly objects = new Map<bigint, KObject>();
  private readonly tables = new Map<KProcess, Map<number, HandleEntry>>();
  private readonly kernelTable = new Map<number, HandleEntry>();

  constructor(private readonly k: Kernel) {}

  /** A new object (not yet in any handle table). */
  create(type: ObjectType, body: bigint, o: { name?: string; systemRefs?: number; onDelete?: () => void; file?: unknown } = {}): KObject {
    const obj: KObject = { type, body, handleCount: 0, systemRefs: o.systemRefs ?? 0, ...(o.name ? { name: o.name } : {}), ...(o.onDelete ? { onDelete: o.onDelete } : {}), ...(o.file ? { file: o.file } : {}) };
    this.objects.set(body, obj);
    if (o.name) {
      const s = this.k.ns.insert(o.name, { type: 'object', object: obj });
      if (s !== STATUS.SUCCESS) throw new Error(`named object ${o.name}: ${hex(s)}`);
    }
    return obj;
  }

  /**
   * A dispatcher object whose body is a non-paged pool block the object owns (freed when the object goes): `init`
   * fills it. Undefined when the pool is exhausted.
   */
  createInPool(type: ObjectType, size: number, tag: number, init: (body: bigint) => void, name?: string): KObject | undefined {
    const k = this.k;
    const body = k.m.actingAs(0, () => k.pool.allocate(size, tag, 0, 'system', `${type} object`));
    if (body === null) return undefined;
    k.m.actingAs(0, () => init(body));
    return this.create(type, body, { ...(name ? { name } : {}), onDelete: () => k.m.actingAs(0, () => k.pool.free_(body, 0)) });
  }

  /** The object whose body is at this address. */
  at(body: bigint): KObject | undefined {
    return this.objects.get(body);
  }

  /** A named object of the namespace (\BaseNamedObjects\X), if one exists. */
  named(path: string): KObject | undefined {
    const e = this.k.ns.get(path);
    return e?.type === 'object' ? (e.object as KObject) : undefined;
  }

  private table(p: KProcess): Map<number, HandleEntry> {
    let t = this.tables.get(p);
    if (!t) this.tables.set(p, (t = new Map()));
    return t;
  }

  private kernelBit(): bigint {
    return this.k.ptrSize === 8 ? 0xffffffff80000000n : 0x80000000n;
  }

  /** A new handle to obj with the access granted: in the kernel's table, or in the process's. */
  insert(obj: KObject, access: number, kernel: boolean, process = this.k.ps.currentKProcess): bigint {
    // Drivers' object callbacks (ObRegisterCallbacks) see process and thread handles being made, and may trim them.
    return handleCreated(this.k, obj, access, kernel, (granted) => this.add(obj, granted, kernel, process));
  }

  private add(obj: KObject, access: number, kernel: boolean, process: KProcess): bigint {
    const n = this.k.io.allocateHandle();
    (kernel ? this.kernelTable : this.table(process)).set(n, { object: obj, access: access >>> 0 });
    obj.handleCount++;
    return kernel ? this.kernelBit() | BigInt(n) : BigInt(n);
  }

  /** Whether the handle value is a kernel handle (the top bit of a 32-bit handle). */
  isKernelHandle(h: bigint): boolean {
    return (h & 0x80000000n) !== 0n && h !== this.pseudo(1) && h !== this.pseudo(2);
  }

  /** NtCurrentProcess() (-1) and NtCurrentThread() (-2) at the pointer width. */
  pseudo(n: 1 | 2): bigint {
    return (this.k.ptrSize === 8 ? 0x10000000000000000n : 0x100000000n) - BigInt(n);
  }

  /** The entry behind a handle as `mode` may use it (a user-mode caller cannot use kernel handles). */
  lookup(h: bigint, mode = KernelMode, process = this.k.ps.currentKProcess): HandleEntry | undefined {
    if (this.isKernelHandle(h)) return mode === KernelMode ? this.kernelTable.get(Number(h & 0x7fffffffn)) : undefined;
    return this.table(process).get(Number(h & 0xffffffffn));
  }

  /** Every handle a process still has open (process rundown). */
  handlesOf(p: KProcess): bigint[] {
    return [...this.table(p).keys()].map(BigInt);
  }

  /** Open kernel handles, for the leak report. */
  kernelHandles(): { handle: bigint; object: KObject }[] {
    return [...this.kernelTable].map(([n, e]) => ({ handle: this.kernelBit() | BigInt(n), object: e.object }));
  }

  /** NtClose on an object handle; STATUS_INVALID_HANDLE when there is none. */
  close(h: bigint, mode = KernelMode, process = this.k.ps.currentKProcess): number {
    const kernel = this.isKernelHandle(h);
    if (kernel && mode !== KernelMode) return STATUS.INVALID_HANDLE;
    const t = kernel ? this.kernelTable : this.table(process);
    const n = Number(h & (kernel ? 0x7fffffffn : 0xffffffffn));
    const e = t.get(n);
    if (!e) return STATUS.INVALID_HANDLE;
    t.delete(n);
    e.object.handleCount--;
    this.release(e.object);
    return STATUS.SUCCESS;
  }

  /** Deletes the object if nothing holds it any more: no handle, no system reference, no reference a driver took. */
  release(obj: KObject): void {
    if (obj.handleCount > 0 || obj.systemRefs > 0 || driverRefs(this.k, obj.body) > 0) return;
    if (!this.objects.has(obj.body)) return;
    this.objects.delete(obj.body);
    if (obj.name) {
      this.k.ns.remove(obj.name);
      obj.name = undefined;
    }
    obj.onDelete?.();
  }

  /** Whether the system side (handles or its own references) still holds the object. */
  held(obj: KObject): boolean {
    return obj.handleCount > 0 || obj.systemRefs > 0;
  }

  /** The type a POBJECT_TYPE value names, if it is one of the types kdemu's objects have. */
  typeNamed(objectType: bigint): ObjectType | undefined {
    for (const type of Object.keys(TYPES) as ObjectType[]) {
      const v = TYPES[type].variable;
      if (v && this.k.m.actingAs(-1, () => this.k.m.ptr(this.k.resolveImport('ntoskrnl.exe', v))) === objectType) return type;
    }
    return undefined;
  }
}

let driverRefs: (k: Kernel, body: bigint) => number = () => 0;
/** Set by ob/object.ts: references drivers took on an object (they keep it alive too). */
export function setDriverRefs(f: (k: Kernel, body: bigint) => number): void {
  driverRefs = f;
}

/** What a handle stands for, as ObReferenceObjectByHandle resolves it: an object, or a device file handle. */
export function resolveHandle(k: Kernel, h: bigint, mode: number): { type: ObjectType; body: bigint; access: number } | undefined {
  if (h === k.ob.pseudo(1)) return { type: 'Process', body: k.ps.currentProcess, access: 0x1fffff };
  if (h === k.ob.pseudo(2)) return { type: 'Thread', body: k.ps.currentThread, access: 0x1fffff };
  const e = k.ob.lookup(h, mode);
  if (e) return { type: e.object.type, body: e.object.body, access: e.access };
  // Device file handles: the I/O manager's table (the client's, or a driver's kernel handle).
  const f = k.io.files.get(Number(h & 0xffffffffn));
  if (f && (mode === KernelMode || !f.kernel)) return { type: 'File', body: f.address, access: f.grantedAccess };
  return undefined;
}

/** ObReferenceObjectByHandle's checks and reference; the status, and the object on success. */
export function referenceByHandle(k: Kernel, h: bigint, desired: number, objectType: bigint, mode: number): { status: number; body?: bigint; access?: number } {
  const r = resolveHandle(k, h, mode);
  if (!r) return { status: STATUS.INVALID_HANDLE };
  if (objectType !== 0n) {
    const wanted = k.ob.typeNamed(objectType);
    if (wanted !== r.type) return { status: STATUS.OBJECT_TYPE_MISMATCH };
  }
  // Kernel-mode callers are trusted; a user-mode caller needs the rights its handle grants.
  const want = mapGeneric(r.type, desired);
  if (mode !== KernelMode && (r.access & want) !== want) return { status: STATUS.ACCESS_DENIED };
  referenceObject(k, r.body, 'ObReferenceObjectByHandle');
  return { status: STATUS.SUCCESS, body: r.body, access: r.access };
}

/** NtClose from kernel mode (ZwClose) or user mode: object handles, device file handles. */
export function closeHandle(k: Kernel, h: bigint, mode: number): number {
  if (k.ob.lookup(h, mode)) return k.ob.close(h, mode);
  const n = Number(h & 0xffffffffn);
  const f = k.io.files.get(n);
  if (f && (mode === KernelMode || !f.kernel)) return ntClose(k, n).status;
  return STATUS.INVALID_HANDLE;
}

function notAnObject(k: Kernel, routine: string, body: bigint): never {
  throw new GuestStop('unsupported-call', `${routine}(${hex(body)}) from ${k.symbolize(k.callerAddress())}: ${hex(body)} is not an object kdemu's object manager holds (events, mutants, semaphores, processes, threads, files)`, { export: `ntoskrnl.exe!${routine}` });
}

const ob = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ob, name: 'ObReferenceObjectByHandle',
    proto: 'NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)',
    params: { Handle: 'handle', DesiredAccess: 'access', ObjectType: 'ptr', AccessMode: 'u8', Object: 'ptr', HandleInformation: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const r = referenceByHandle(k, a.Handle, a.DesiredAccess, a.ObjectType, a.AccessMode);
      // Windows stores NULL in *Object on failure.
      k.m.setPtr(a.Object, r.body ?? 0n);
      if (r.status === STATUS.SUCCESS && a.HandleInformation !== 0n) {
        k.m.setU32(a.HandleInformation, 0); // HandleAttributes
        k.m.setU32(a.HandleInformation + 4n, r.access!); // GrantedAccess
      }
      return r.status;
    },
  }),
  defineExport({
    ...ob, name: 'ObOpenObjectByPointer',
    proto: 'NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PACCESS_STATE PassedAccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, PHANDLE Handle)',
    params: { Object: 'ptr', HandleAttributes: 'u32', PassedAccessState: 'ptr', DesiredAccess: 'access', ObjectType: 'ptr', AccessMode: 'u8', Handle: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const obj = k.ob.at(a.Object);
      if (!obj) return notAnObject(k, 'ObOpenObjectByPointer', a.Object);
      if (a.ObjectType !== 0n && k.ob.typeNamed(a.ObjectType) !== obj.type) return STATUS.OBJECT_TYPE_MISMATCH;
      k.m.setPtr(a.Handle, k.ob.insert(obj, mapGeneric(obj.type, a.DesiredAccess), (a.HandleAttributes & 0x200) !== 0 /* OBJ_KERNEL_HANDLE */));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ObReferenceObjectByPointer',
    proto: 'NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode)',
    params: { Object: 'ptr', DesiredAccess: 'access', ObjectType: 'ptr', AccessMode: 'u8' },
    ret: 'status',
    impl: (k, a) => {
      const obj = k.ob.at(a.Object);
      // A typed check needs a type kdemu's object manager knows; other objects (devices, drivers) fall to ObfReferenceObject's rules.
      if (obj && a.ObjectType !== 0n && k.ob.typeNamed(a.ObjectType) !== obj.type) return STATUS.OBJECT_TYPE_MISMATCH;
      referenceObject(k, a.Object, 'ObReferenceObjectByPointer');
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ZwClose', aliases: ['NtClose'],
    proto: 'NTSTATUS ZwClose(HANDLE Handle)',
    params: { Handle: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      // ZwClose is a kernel-mode call (previous mode KernelMode): any of the current process's handles or a kernel one.
      const s = k.m.actingAs(0, () => closeHandle(k, a.Handle, KernelMode));
      if (s === STATUS.INVALID_HANDLE && (k.ob.isKernelHandle(a.Handle) || k.ps.currentKProcess.kind === 'system')) {
        // A bad kernel handle, or any bad handle closed in the System process: INVALID_KERNEL_HANDLE (handle, 1).
        throw new GuestStop('bugcheck', `ZwClose(${hex(a.Handle)}) from ${k.symbolize(k.callerAddress())} closes a handle that is not open in ${k.ob.isKernelHandle(a.Handle) ? "the kernel's handle table" : 'the System process'}`, {
          bugcheck: { code: 0x93 /* INVALID_KERNEL_HANDLE */, params: [a.Handle, 1n, 0n, 0n] },
        });
      }
      return s;
    },
  }),
];
