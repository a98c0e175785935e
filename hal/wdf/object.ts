// The framework's object model: handles, parents and children, context spaces, references, deletion.
//
// A handle is the guest address of a small block kdemu allocates for the object (so handles are unique, aligned,
// and stay invalid after the object is gone: the block is freed and the handle forgotten). Context spaces are
// separate zeroed blocks, as many as the driver attaches (WDF_OBJECT_ATTRIBUTES at creation, then
// WdfObjectAllocateContext), found again by their type info's UniqueType.
//
// Lifetime, as the framework documents it: every object has a parent (the driver by default) and holds a reference
// on it; deleting an object first deletes its children (the last created first), then runs its EvtCleanupCallback
// and its type's own teardown, then drops the creation reference. When the count reaches zero EvtDestroyCallback
// runs and the object is gone, and its reference on the parent is released. A WdfObjectDereference that would drop
// the creation reference of an object not yet deleted is the misuse the framework stops with WDF_VIOLATION 0x7.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { wdfLayouts } from './layout.js';

/** WDF_VIOLATION's first parameter (wdfbugcodes.h). */
export const WDF_VIOLATION = 0x10d;
export const WDF_VERIFIER_FATAL_ERROR = 0x3;
export const WDF_REQUIRED_PARAMETER_IS_NULL = 0x4;
export const WDF_INVALID_HANDLE = 0x5;
export const WDF_REQUEST_FATAL_ERROR = 0x6;
export const WDF_OBJECT_ERROR = 0x7;
export const WDF_QUEUE_FATAL_ERROR = 0xa;
export const WDF_INVALID_LOCK_OPERATION = 0xb;
export const WDF_VERIFIER_IRQL_MISMATCH = 0xe;

export type FxType =
  | 'WDFDRIVER' | 'WDFDEVICE' | 'WDFQUEUE' | 'WDFREQUEST' | 'WDFMEMORY' | 'WDFSPINLOCK' | 'WDFWAITLOCK' | 'WDFTIMER'
  | 'WDFWORKITEM' | 'WDFDPC' | 'WDFKEY' | 'WDFSTRING' | 'WDFCOLLECTION' | 'WDFFILEOBJECT' | 'WDFIOTARGET'
  | 'WDFLOOKASIDE' | 'WDFOBJECT' | 'WDFCMRESLIST';

/** The framework's pool tag for its own allocations ('FxOb' / 'FxCx'). */
const TAG_OBJECT = 0x624f7846;
const TAG_CONTEXT = 0x78437846;
/** Room for the handle's block: the framework's object header is opaque to drivers. */
const HEADER_SIZE = 0x20;

export interface FxContext {
  /** The WDF_OBJECT_CONTEXT_TYPE_INFO the context was declared with, and the UniqueType it is found by. */
  readonly typeInfo: bigint;
  readonly unique: bigint;
  readonly address: bigint;
  readonly size: number;
}

export class FxObject {
  readonly children: FxObject[] = [];
  readonly contexts: FxContext[] = [];
  /** The creation reference, references the driver took, and one per child. */
  refs = 1;
  /** live → disposed (deleted: children gone, cleanup ran) → destroyed (count reached zero). */
  state: 'live' | 'disposing' | 'disposed' | 'destroyed' = 'live';
  cleanup = 0n;
  destroy = 0n;
  /** The framework owns it (a presented request, a file object, the driver object): WdfObjectDelete is misuse. */
  noDelete = false;
  /** Type-specific teardown, run when the object is deleted (after its EvtCleanupCallback). */
  dispose?: () => void;
  /** Where the driver created it (for leak reports). */
  readonly caller: string;

  constructor(
    readonly handle: bigint,
    readonly type: FxType,
    public parent: FxObject | undefined,
    caller: string,
  ) {
    this.caller = caller;
  }

  describe(): string {
    return `${this.type} ${hex(this.handle)}`;
  }
}

interface ObjectTable {
  readonly byHandle: Map<bigint, FxObject>;
  readonly byContext: Map<bigint, FxObject>;
}

const tables = new WeakMap<Kernel, ObjectTable>();

function table(k: Kernel): ObjectTable {
  let t = tables.get(k);
  if (!t) tables.set(k, (t = { byHandle: new Map(), byContext: new Map() }));
  return t;
}

/** Every framework object that exists. */
export function liveObjects(k: Kernel): FxObject[] {
  return [...(tables.get(k)?.byHandle.values() ?? [])];
}

/** Stops the run with WDF_VIOLATION, located at the framework call the driver made. */
export function wdfViolation(k: Kernel, code: number, p2: bigint, p3: bigint, why: string): never {
  throw new GuestStop('bugcheck', `WDF_VIOLATION (0x${code.toString(16)}) from ${k.symbolize(k.callerAddress())}: ${why}`, {
    bugcheck: { code: WDF_VIOLATION, params: [BigInt(code), p2, p3, 0n] },
  });
}

/**
 * The object a handle names, checked as the framework's handle validation does: NULL is WDF_REQUIRED_PARAMETER_IS_
 * NULL; a value that names no live object, or an object of another type, is WDF_INVALID_HANDLE.
 */
export function fxObject<T extends FxObject = FxObject>(k: Kernel, handle: bigint, types: FxType | readonly FxType[] | undefined, routine: string): T {
  if (handle === 0n) {
    wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL handle`);
  }
  const o = table(k).byHandle.get(handle);
  if (!o || o.state === 'destroyed') {
    wdfViolation(k, WDF_INVALID_HANDLE, handle, 0n, `${routine}: ${hex(handle)} is not a handle to a framework object that exists (never created, or already deleted)`);
  }
  if (types !== undefined && !(typeof types === 'string' ? o.type === types : types.includes(o.type))) {
    wdfViolation(k, WDF_INVALID_HANDLE, handle, 0n, `${routine}: ${hex(handle)} is a ${o.type} handle, not ${typeof types === 'string' ? types : types.join(' or ')}`);
  }
  return o as T;
}

/** The object or undefined (no check): for the framework's own look-ups (a device object's WDFDEVICE ...). */
export function findObject(k: Kernel, handle: bigint): FxObject | undefined {
  const o = table(k).byHandle.get(handle);
  return o && o.state !== 'destroyed' ? o : undefined;
}

/** Allocates the handle's block and registers the object; the parent gains a reference. */
export function registerObject<T extends FxObject>(k: Kernel, make: (handle: bigint) => T): T {
  const block = k.m.actingAs(0, () => k.pool.allocate(HEADER_SIZE, TAG_OBJECT, 0, 'system', 'Wdf01000.sys'));
  if (block === null) throw new GuestStop('resource-limit', 'no pool left for a framework object');
  const o = make(block);
  table(k).byHandle.set(block, o);
  if (o.parent) {
    o.parent.children.push(o);
    o.parent.refs++;
  }
  return o;
}

/** The WDF_OBJECT_ATTRIBUTES fields the framework reads at creation (a NULL pointer reads as all defaults). */
export interface Attributes {
  readonly cleanup: bigint;
  readonly destroy: bigint;
  readonly executionLevel: number;
  readonly synchronizationScope: number;
  readonly parent: bigint;
  readonly contextSizeOverride: bigint;
  readonly contextTypeInfo: bigint;
}

export const NO_ATTRIBUTES: Attributes = { cleanup: 0n, destroy: 0n, executionLevel: 1, synchronizationScope: 1, parent: 0n, contextSizeOverride: 0n, contextTypeInfo: 0n };

/**
 * Reads WDF_OBJECT_ATTRIBUTES. A Size other than the structure's is what the framework rejects with
 * STATUS_INFO_LENGTH_MISMATCH (the caller returns that status).
 */
export function readAttributes(k: Kernel, p: bigint): Attributes | 'size-mismatch' {
  if (p === 0n) return NO_ATTRIBUTES;
  const L = wdfLayouts(k.arch).WDF_OBJECT_ATTRIBUTES;
  const m = k.m;
  if (m.u32(p) !== L.size) return 'size-mismatch';
  return {
    cleanup: m.ptr(p + BigInt(L.off.EvtCleanupCallback)),
    destroy: m.ptr(p + BigInt(L.off.EvtDestroyCallback)),
    executionLevel: m.u32(p + BigInt(L.off.ExecutionLevel)),
    synchronizationScope: m.u32(p + BigInt(L.off.SynchronizationScope)),
    parent: m.ptr(p + BigInt(L.off.ParentObject)),
    contextSizeOverride: m.ptr(p + BigInt(L.off.ContextSizeOverride)),
    contextTypeInfo: m.ptr(p + BigInt(L.off.ContextTypeInfo)),
  };
}

/** The UniqueType a WDF_OBJECT_CONTEXT_TYPE_INFO stands for (its own address when it names none). */
function uniqueType(k: Kernel, info: bigint): bigint {
  const u = k.m.ptr(info + BigInt(wdfLayouts(k.arch).WDF_OBJECT_CONTEXT_TYPE_INFO.off.UniqueType));
  return u === 0n ? info : u;
}

/**
 * Adds the context space attributes declare: ContextTypeInfo's ContextSize, or ContextSizeOverride when that is
 * larger. Returns the context's address, 0 when the attributes declare none, or an NTSTATUS failure as a string tag.
 */
export function addContext(k: Kernel, o: FxObject, a: Attributes): bigint | 'collision' | 'no-memory' {
  if (a.contextTypeInfo === 0n) return 0n;
  const I = wdfLayouts(k.arch).WDF_OBJECT_CONTEXT_TYPE_INFO;
  const declared = Number(k.m.ptr(a.contextTypeInfo + BigInt(I.off.ContextSize)));
  const size = Math.max(declared, Number(a.contextSizeOverride));
  const unique = uniqueType(k, a.contextTypeInfo);
  if (o.contexts.some((c) => c.unique === unique)) return 'collision';
  const address = k.m.actingAs(0, () => k.pool.allocate(Math.max(size, 1), TAG_CONTEXT, 0, 'system', 'Wdf01000.sys'));
  if (address === null) return 'no-memory';
  k.m.fill(address, Math.max(size, 1));
  o.contexts.push({ typeInfo: a.contextTypeInfo, unique, address, size });
  table(k).byContext.set(address, o);
  return address;
}

/** The context of the given type, or 0 when the object has none of it. */
export function contextOf(k: Kernel, o: FxObject, typeInfo: bigint): bigint {
  if (typeInfo === 0n) return 0n;
  const unique = uniqueType(k, typeInfo);
  return o.contexts.find((c) => c.unique === unique)?.address ?? 0n;
}

/** The object a context space belongs to. */
export function objectOfContext(k: Kernel, context: bigint): FxObject | undefined {
  return table(k).byContext.get(context);
}

/** The context type's name, for reports ("DEVICE_CONTEXT"). */
export function contextName(k: Kernel, typeInfo: bigint): string {
  const p = k.m.ptr(typeInfo + BigInt(wdfLayouts(k.arch).WDF_OBJECT_CONTEXT_TYPE_INFO.off.ContextName));
  try {
    return p === 0n ? '?' : new TextDecoder('latin1').decode(k.m.cstring(p, 128));
  } catch {
    return '?';
  }
}

/** Applies the attributes' callbacks and context to a new object; a failure is returned as the NTSTATUS to give. */
export function applyAttributes(k: Kernel, o: FxObject, a: Attributes): number {
  o.cleanup = a.cleanup;
  o.destroy = a.destroy;
  const c = addContext(k, o, a);
  if (c === 'collision') return 0xc0000035; // STATUS_OBJECT_NAME_COLLISION
  if (c === 'no-memory') return 0xc000009a; // STATUS_INSUFFICIENT_RESOURCES
  return 0;
}

/** Calls a driver's Evt callback; one that returns at another IRQL than it was called at is WDF_VIOLATION 0xE. */
export function callEvt(k: Kernel, routine: bigint, args: readonly bigint[], what: string): bigint {
  const irql = k.irql;
  const r = k.callRoutine(routine, args, what);
  if (k.irql !== irql) {
    throw new GuestStop('bugcheck', `WDF_VIOLATION (0xe): ${what} ${k.symbolize(routine)} was called at IRQL ${irql} and returned at IRQL ${k.irql}`, {
      bugcheck: { code: WDF_VIOLATION, params: [BigInt(WDF_VERIFIER_IRQL_MISMATCH), BigInt(irql), BigInt(k.irql), 0n] },
    });
  }
  return r;
}

/**
 * Deletes an object as WdfObjectDelete does once it is allowed: its children first (the last created first), then
 * its EvtCleanupCallback and its type's teardown, then the creation reference goes.
 */
export function deleteObject(k: Kernel, o: FxObject): void {
  if (o.state !== 'live') return;
  o.state = 'disposing';
  for (const child of [...o.children].reverse()) deleteObject(k, child);
  if (o.cleanup !== 0n) callEvt(k, o.cleanup, [o.handle], `EvtCleanupCallback of ${o.type}`);
  o.dispose?.();
  o.state = 'disposed';
  release(k, o);
}

/** Takes a reference (WdfObjectReference). */
export function reference(o: FxObject): void {
  o.refs++;
}

/**
 * Drops a reference. The last one destroys the object: EvtDestroyCallback, the context spaces and the handle go,
 * and so does its reference on its parent.
 */
export function release(k: Kernel, o: FxObject): void {
  o.refs--;
  if (o.refs > 0 || destroying.has(o)) return;
  // The handle and the context still work inside EvtDestroyCallback; the object is gone once it returns.
  destroying.add(o);
  if (o.destroy !== 0n) callEvt(k, o.destroy, [o.handle], `EvtDestroyCallback of ${o.type}`);
  o.state = 'destroyed';
  const t = table(k);
  for (const c of o.contexts) {
    t.byContext.delete(c.address);
    k.m.actingAs(0, () => k.pool.free_(c.address, 0));
  }
  t.byHandle.delete(o.handle);
  k.m.actingAs(0, () => k.pool.free_(o.handle, 0));
  const p = o.parent;
  if (p) {
    const i = p.children.indexOf(o);
    if (i >= 0) p.children.splice(i, 1);
    release(k, p);
  }
}

/** Objects whose EvtDestroyCallback is running (a reference it takes and drops again must not destroy them twice). */
const destroying = new WeakSet<FxObject>();

/** WdfObjectDereference: dropping the creation reference of an object that was never deleted is WDF_VIOLATION 0x7. */
export function dereference(k: Kernel, o: FxObject, routine: string): void {
  if (o.state === 'live' && o.refs <= 1 + o.children.length) {
    wdfViolation(k, WDF_OBJECT_ERROR, o.handle, 0n, `${routine} of ${o.describe()} drops the reference the framework holds until the object is deleted: delete it with WdfObjectDelete`);
  }
  release(k, o);
}
