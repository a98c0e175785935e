// The framework's generic object entries: contexts (WdfObjectGetTypedContextWorker, WdfObjectAllocateContext,
// WdfObjectContextGetObject), references (WdfObjectReferenceActual, WdfObjectDereferenceActual), general objects
// (WdfObjectCreate) and WdfObjectDelete.
//
// WdfObjectDelete refuses what the framework owns (the WDFDRIVER, a presented request — deleted by completing it —,
// file objects ...): that is WDF_VIOLATION 0x7 as with the framework's verifier. A context allocated later with
// WdfObjectAllocateContext may bring its own EvtCleanupCallback and EvtDestroyCallback; they run after the
// object's own, in the order the contexts were allocated.

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';
import {
  addContext, applyAttributes, callEvt, contextOf, deleteObject, dereference, FxObject, fxObject, objectOfContext, readAttributes, reference,
  registerObject, wdfViolation, WDF_INVALID_HANDLE, WDF_OBJECT_ERROR, WDF_REQUIRED_PARAMETER_IS_NULL,
} from './object.js';
import { WDF_STATUS } from './status.js';
import { hex } from '../machine.js';


/** Callbacks of contexts added after creation, by handle (the object is gone from the handle table when destroy runs). */
interface Extra {
  cleanup: bigint[];
  destroy: bigint[];
  firstCleanup: bigint;
  firstDestroy: bigint;
}
const extras = new WeakMap<Kernel, Map<bigint, Extra>>();

function extraOf(k: Kernel): Map<bigint, Extra> {
  let m = extras.get(k);
  if (!m) extras.set(k, (m = new Map()));
  return m;
}

/** Runs the object's own callback, then those of its later contexts. */
function chained(k: Kernel, which: 'cleanup' | 'destroy'): bigint {
  return k.internalRoutine(which === 'cleanup' ? 'FxObject::CleanupChain' : 'FxObject::DestroyChain', 1, (k, [handle]) => {
    const e = extraOf(k).get(handle);
    if (!e) return 0n;
    const first = which === 'cleanup' ? e.firstCleanup : e.firstDestroy;
    const what = which === 'cleanup' ? 'EvtCleanupCallback' : 'EvtDestroyCallback';
    if (first !== 0n) callEvt(k, first, [handle], what);
    for (const r of which === 'cleanup' ? e.cleanup : e.destroy) callEvt(k, r, [handle], `${what} of a context`);
    if (which === 'destroy') extraOf(k).delete(handle);
    return 0n;
  });
}

/** Adds a later context's callbacks to the object's. */
function addCallbacks(k: Kernel, o: FxObject, cleanup: bigint, destroy: bigint): void {
  if (cleanup === 0n && destroy === 0n) return;
  const map = extraOf(k);
  let e = map.get(o.handle);
  if (!e) {
    e = { cleanup: [], destroy: [], firstCleanup: o.cleanup, firstDestroy: o.destroy };
    map.set(o.handle, e);
    o.cleanup = chained(k, 'cleanup');
    o.destroy = chained(k, 'destroy');
  }
  if (cleanup !== 0n) e.cleanup.push(cleanup);
  if (destroy !== 0n) e.destroy.push(destroy);
}

export const exports = [
  wdfExport({
    name: 'WdfObjectGetTypedContextWorker',
    proto: 'PVOID FASTCALL WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)',
    params: { Handle: 'handle', TypeInfo: 'ptr' },
    ret: 'ptr',
    cc: 'fastcall',
    impl: (k, a) => {
      const o = fxObject(k, a.Handle, undefined, 'WdfObjectGetTypedContextWorker');
      if (a.TypeInfo === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfObjectGetTypedContextWorker was passed a NULL TypeInfo');
      return contextOf(k, o, a.TypeInfo);
    },
  }),
  wdfExport({
    name: 'WdfObjectAllocateContext',
    proto: 'NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID *Context)',
    params: { Handle: 'handle', ContextAttributes: 'ptr', Context: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxObject(k, a.Handle, undefined, 'WdfObjectAllocateContext');
      if (a.ContextAttributes === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfObjectAllocateContext was passed NULL ContextAttributes');
      if (a.Context !== 0n) k.m.setPtr(a.Context, 0n);
      const attrs = readAttributes(k, a.ContextAttributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      // The attributes describe a context, not a new object: a parent cannot be given here.
      if (attrs.parent !== 0n) return WDF_STATUS.PARENT_ASSIGNMENT_NOT_ALLOWED;
      if (attrs.contextTypeInfo === 0n) return STATUS.OBJECT_NAME_INVALID;
      if (o.state !== 'live') return STATUS.DELETE_PENDING;
      const existing = contextOf(k, o, attrs.contextTypeInfo);
      if (existing !== 0n) {
        if (a.Context !== 0n) k.m.setPtr(a.Context, existing);
        return STATUS.OBJECT_NAME_EXISTS;
      }
      const c = addContext(k, o, attrs);
      if (c === 'no-memory') return STATUS.INSUFFICIENT_RESOURCES;
      if (c === 'collision') return STATUS.OBJECT_NAME_EXISTS;
      addCallbacks(k, o, attrs.cleanup, attrs.destroy);
      if (a.Context !== 0n) k.m.setPtr(a.Context, c);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfObjectContextGetObject',
    proto: 'WDFOBJECT FASTCALL WdfObjectContextGetObject(PVOID ContextPointer)',
    params: { ContextPointer: 'ptr' },
    ret: 'handle',
    cc: 'fastcall',
    impl: (k, a) => {
      if (a.ContextPointer === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfObjectContextGetObject was passed a NULL ContextPointer');
      const o = objectOfContext(k, a.ContextPointer);
      // The framework finds the object from the context's header: any other pointer names no object.
      if (!o || o.state === 'destroyed') {
        wdfViolation(k, WDF_INVALID_HANDLE, a.ContextPointer, 0n, `WdfObjectContextGetObject: ${hex(a.ContextPointer)} is not the start of a context space of a framework object that exists`);
      }
      return o.handle;
    },
  }),
  wdfExport({
    name: 'WdfObjectReferenceActual',
    proto: 'VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCHAR File)',
    params: { Handle: 'handle', Tag: 'ptr', Line: 'i32', File: 'pstr' },
    ret: 'void',
    impl: (k, a) => {
      reference(fxObject(k, a.Handle, undefined, 'WdfObjectReferenceActual'));
    },
  }),
  wdfExport({
    name: 'WdfObjectDereferenceActual',
    proto: 'VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCHAR File)',
    params: { Handle: 'handle', Tag: 'ptr', Line: 'i32', File: 'pstr' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxObject(k, a.Handle, undefined, 'WdfObjectDereferenceActual');
      dereference(k, o, 'WdfObjectDereference');
    },
  }),
  wdfExport({
    name: 'WdfObjectCreate',
    proto: 'NTSTATUS WdfObjectCreate(PWDF_OBJECT_ATTRIBUTES Attributes, WDFOBJECT *Object)',
    params: { Attributes: 'ptr', Object: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfObjectCreate');
      if (a.Object === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfObjectCreate was passed a NULL Object');
      k.m.setPtr(a.Object, 0n);
      const attrs = readAttributes(k, a.Attributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, 'WdfObjectCreate') : c.fxDriver;
      const o = registerObject(k, (h) => new FxObject(h, 'WDFOBJECT', parent, k.symbolize(k.callerAddress())));
      const status = applyAttributes(k, o, attrs);
      if (status !== STATUS.SUCCESS) {
        deleteObject(k, o);
        return status;
      }
      k.m.setPtr(a.Object, o.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfObjectDelete',
    proto: 'VOID WdfObjectDelete(WDFOBJECT Object)',
    params: { Object: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxObject(k, a.Object, undefined, 'WdfObjectDelete');
      if (o.noDelete) {
        const how = o.type === 'WDFREQUEST' ? ': a request the framework presented is deleted by completing it' : ': the framework deletes it';
        wdfViolation(k, WDF_OBJECT_ERROR, o.handle, 0n, `WdfObjectDelete of ${o.describe()}, which the driver does not own${how}`);
      }
      deleteObject(k, o);
    },
  }),
];
