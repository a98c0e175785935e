// Callback objects: ExCreateCallback, ExRegisterCallback, ExUnregisterCallback, ExNotifyCallback.
//
// A callback object is an object-manager object (usually named \Callback\X) with a list of registered functions;
// ExNotifyCallback calls each, in registration order, with its context and the two arguments, at the caller's IRQL.
// Windows creates \Callback\SetSystemTime, \Callback\PowerState and \Callback\ProcessorAdd at boot (permanent objects
// that allow several registrations); a registration holds a reference on its object. Registrations a driver leaves
// behind at unload would call into unloaded code: they are leaks.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import type { KObject } from '../ob/handle.js';
import { referenceObject } from '../ob/object.js';
import { attributesName } from './event.js';
import { initializeListHead } from '../ke/dispatcher.js';
import type { LeakReport } from '../report.js';

/** CALLBACK_OBJECT.Signature ('Call'), also the object type's pool tag; registrations are tagged 'CBRe'. */
const CALLBACK_SIGNATURE = 0x6c6c6143;
const REGISTRATION_TAG = 0x65524243;
const OBJ_PERMANENT = 0x10;
/** KERNEL_SECURITY_CHECK_FAILURE, FAST_FAIL_CORRUPT_LIST_ENTRY: what unlinking a registration that is not in a list gives. */
const KERNEL_SECURITY_CHECK_FAILURE = 0x139;
const FAST_FAIL_CORRUPT_LIST_ENTRY = 3n;

/** The callback objects Windows creates at boot. */
export const SYSTEM_CALLBACKS = ['\\Callback\\SetSystemTime', '\\Callback\\PowerState', '\\Callback\\ProcessorAdd'];

interface Registration {
  /** The CALLBACK_REGISTRATION block: the handle ExRegisterCallback returns. */
  readonly address: bigint;
  readonly object: bigint;
  readonly routine: bigint;
  readonly context: bigint;
  readonly caller: string;
}

interface CallbackObject {
  readonly obj: KObject;
  readonly allowMultiple: boolean;
  readonly registrations: Registration[];
}

interface State {
  objects: Map<bigint, CallbackObject>;
  registrations: Map<bigint, Registration>;
  booted: boolean;
}

const states = new WeakMap<Kernel, State>();

function state(k: Kernel): State {
  let s = states.get(k);
  if (!s) states.set(k, (s = { objects: new Map(), registrations: new Map(), booted: false }));
  if (!s.booted) {
    s.booted = true;
    for (const name of SYSTEM_CALLBACKS) createCallbackObject(k, s, name, true, true);
  }
  return s;
}

/** CALLBACK_OBJECT: Signature, Lock, RegisteredCallbacks, AllowMultipleCallbacks. */
function layout(k: Kernel) {
  const p = k.ptrSize;
  return { lock: p, list: 2 * p, allow: 4 * p, size: 4 * p + 8 };
}

function createCallbackObject(k: Kernel, s: State, name: string | undefined, allowMultiple: boolean, permanent: boolean): CallbackObject | undefined {
  const l = layout(k);
  const obj = k.ob.createInPool('Callback', l.size, CALLBACK_SIGNATURE, (body) => {
    k.m.setU32(body, CALLBACK_SIGNATURE);
    initializeListHead(k, body + BigInt(l.list));
    k.m.setU8(body + BigInt(l.allow), allowMultiple ? 1 : 0);
  }, name);
  if (!obj) return undefined;
  const body = obj.body;
  // A permanent object stays without handles or references (the system's callbacks, OBJ_PERMANENT).
  if (permanent) obj.systemRefs++;
  const cb: CallbackObject = { obj, allowMultiple, registrations: [] };
  s.objects.set(body, cb);
  const onDelete = obj.onDelete;
  obj.onDelete = () => {
    s.objects.delete(body);
    onDelete?.();
  };
  return cb;
}

function callbackObject(k: Kernel, s: State, p: bigint, routine: string): CallbackObject {
  const cb = s.objects.get(p);
  if (cb) return cb;
  throw new GuestStop('fault', `${routine}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: ${hex(p)} is not a callback object (ExCreateCallback gives those)`, { export: `ntoskrnl.exe!${routine}` });
}

/** Links an entry at the tail of a guest LIST_ENTRY list. */
function insertTail(k: Kernel, head: bigint, entry: bigint): void {
  const p = BigInt(k.ptrSize);
  const last = k.m.ptr(head + p);
  k.m.setPtr(entry, head);
  k.m.setPtr(entry + p, last);
  k.m.setPtr(last, entry);
  k.m.setPtr(head + p, entry);
}

function unlink(k: Kernel, entry: bigint): void {
  const p = BigInt(k.ptrSize);
  const next = k.m.ptr(entry);
  const prev = k.m.ptr(entry + p);
  k.m.setPtr(prev, next);
  k.m.setPtr(next + p, prev);
}

/** Registrations still in place: the leak report's callbacks (the system's own objects are not the driver's). */
export function callbackLeaks(k: Kernel): LeakReport[] {
  const s = states.get(k);
  if (!s) return [];
  return [...s.registrations.values()].map((r) => {
    const name = s.objects.get(r.object)?.obj.name;
    return { kind: 'callback', detail: `ExRegisterCallback registration ${hex(r.address)} of ${k.symbolize(r.routine)} on callback object ${name ?? hex(r.object)} never unregistered`, caller: r.caller };
  });
}

/** Calls the functions registered on a callback object, as ExNotifyCallback does (the kernel's own notifications too). */
export function notifyCallback(k: Kernel, object: bigint, arg1: bigint, arg2: bigint): void {
  const s = state(k);
  const cb = s.objects.get(object);
  if (!cb) return;
  // A function may unregister itself or others meanwhile: those not registered any more are not called.
  for (const r of [...cb.registrations]) {
    if (s.registrations.get(r.address) !== r) continue;
    k.callRoutine(r.routine, [r.context, arg1, arg2], 'callback function');
  }
}

/** The callback object of a name (\Callback\PowerState), if it exists. */
export function namedCallback(k: Kernel, name: string): bigint | undefined {
  state(k);
  const o = k.ob.named(name);
  return o?.type === 'Callback' ? o.body : undefined;
}

const ex = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ex, name: 'ExCreateCallback',
    proto: 'NTSTATUS ExCreateCallback(PCALLBACK_OBJECT *CallbackObject, POBJECT_ATTRIBUTES ObjectAttributes, BOOLEAN Create, BOOLEAN AllowMultipleCallbacks)',
    params: { CallbackObject: 'ptr', ObjectAttributes: 'ptr', Create: 'bool', AllowMultipleCallbacks: 'bool' }, ret: 'status',
    impl: (k, a) => {
      const s = state(k);
      // Windows reads the attributes unconditionally: a NULL pointer faults like any kernel-mode NULL access.
      const attributes = k.m.u32At(a.ObjectAttributes, k.L.OBJECT_ATTRIBUTES.off.Attributes);
      const name = attributesName(k, a.ObjectAttributes, 'ExCreateCallback');
      let status: number = STATUS.OBJECT_NAME_NOT_FOUND;
      if (name !== undefined) {
        // An existing object is opened, whatever Create says; its own AllowMultipleCallbacks stays.
        const found = k.ns.lookup(name);
        if ('object' in found) {
          const o = k.ob.named(found.path);
          // Another type's name: not opened; creating one of the same name collides.
          if (!o || o.type !== 'Callback') return a.Create ? STATUS.OBJECT_NAME_COLLISION : STATUS.OBJECT_TYPE_MISMATCH;
          referenceObject(k, o.body, 'ExCreateCallback');
          k.m.setPtr(a.CallbackObject, o.body);
          return STATUS.SUCCESS;
        }
        status = found.status;
      }
      if (!a.Create) return status;
      if (name !== undefined && status === STATUS.OBJECT_PATH_NOT_FOUND) return status;
      const cb = createCallbackObject(k, s, name, a.AllowMultipleCallbacks !== 0, (attributes & OBJ_PERMANENT) !== 0);
      if (!cb) return STATUS.INSUFFICIENT_RESOURCES;
      // The caller gets the one reference that keeps a non-permanent object alive: ObDereferenceObject deletes it.
      referenceObject(k, cb.obj.body, 'ExCreateCallback');
      k.m.setPtr(a.CallbackObject, cb.obj.body);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex, name: 'ExRegisterCallback',
    proto: 'PVOID ExRegisterCallback(PCALLBACK_OBJECT CallbackObject, PCALLBACK_FUNCTION CallbackFunction, PVOID CallbackContext)',
    params: { CallbackObject: 'ptr', CallbackFunction: 'ptr', CallbackContext: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const s = state(k);
      const cb = callbackObject(k, s, a.CallbackObject, 'ExRegisterCallback');
      // An object that allows one registration refuses a second: NULL.
      if (!cb.allowMultiple && cb.registrations.length > 0) return 0n;
      const p = k.ptrSize;
      // CALLBACK_REGISTRATION: Link, CallbackObject, CallbackFunction, CallbackContext, Busy, UnregisterWaiting.
      const size = 5 * p + 8;
      const block = k.m.actingAs(0, () => k.pool.allocate(size, REGISTRATION_TAG, 0, 'system', 'ExRegisterCallback'));
      if (block === null) return 0n;
      k.m.actingAs(0, () => {
        k.m.setPtr(block + BigInt(2 * p), a.CallbackObject);
        k.m.setPtr(block + BigInt(3 * p), a.CallbackFunction);
        k.m.setPtr(block + BigInt(4 * p), a.CallbackContext);
        insertTail(k, a.CallbackObject + BigInt(layout(k).list), block);
      });
      const r: Registration = { address: block, object: a.CallbackObject, routine: a.CallbackFunction, context: a.CallbackContext, caller: k.symbolize(k.callerAddress()) };
      cb.registrations.push(r);
      s.registrations.set(block, r);
      // The registration holds the object.
      cb.obj.systemRefs++;
      return block;
    },
  }),
  defineExport({
    ...ex, name: 'ExUnregisterCallback',
    proto: 'VOID ExUnregisterCallback(PVOID CbRegistration)',
    params: { CbRegistration: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const s = state(k);
      const r = s.registrations.get(a.CbRegistration);
      if (!r) {
        // Unlinking what is not a live registration corrupts the list: Windows' list check fails fast.
        throw new GuestStop('bugcheck', `ExUnregisterCallback(${hex(a.CbRegistration)}) from ${k.symbolize(k.callerAddress())}: not a registration ExRegisterCallback returned (or one already unregistered)`, {
          bugcheck: { code: KERNEL_SECURITY_CHECK_FAILURE, params: [FAST_FAIL_CORRUPT_LIST_ENTRY, 0n, 0n, 0n] },
        });
      }
      s.registrations.delete(r.address);
      const cb = s.objects.get(r.object)!;
      cb.registrations.splice(cb.registrations.indexOf(r), 1);
      k.m.actingAs(0, () => {
        unlink(k, r.address);
        k.pool.free_(r.address, 0);
      });
      cb.obj.systemRefs--;
      k.ob.release(cb.obj);
    },
  }),
  defineExport({
    ...ex, name: 'ExNotifyCallback',
    proto: 'VOID ExNotifyCallback(PVOID CallbackObject, PVOID Argument1, PVOID Argument2)',
    params: { CallbackObject: 'ptr', Argument1: 'ptr', Argument2: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      callbackObject(k, state(k), a.CallbackObject, 'ExNotifyCallback');
      notifyCallback(k, a.CallbackObject, a.Argument1, a.Argument2);
    },
  }),
];
