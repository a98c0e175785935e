// Object callbacks: ObRegisterCallbacks / ObUnRegisterCallbacks / ObGetFilterVersion, and the pre- and post-operation
// routines they register, called when a handle to a process or a thread is created (OpenProcess, CreateProcess's
// handles, PsCreateSystemThread's, ObOpenObjectByPointer ...).
//
// A pre-operation routine sees OB_PRE_OPERATION_INFORMATION and may take rights out of
// Parameters->CreateHandleInformation.DesiredAccess (only take: rights it adds are dropped, as on Windows); the handle
// gets what is left, and the post-operation routines see it as GrantedAccess. Registrations are called by altitude:
// pre-operation routines from the highest altitude down, post-operation ones back up. As for the Ex process notify
// routines, the routines' image must be linked with /INTEGRITYCHECK (else STATUS_ACCESS_DENIED).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { signedImage } from '../ps/notify.js';
import type { KObject } from './handle.js';

const OB_FLT_REGISTRATION_VERSION = 0x100;
const OB_OPERATION_HANDLE_CREATE = 1;
const OB_OPERATION_HANDLE_DUPLICATE = 2;
const STATUS_FLT_INSTANCE_ALTITUDE_COLLISION = 0xc01c0011;

interface Operation {
  type: 'Process' | 'Thread';
  operations: number;
  pre: bigint;
  post: bigint;
}

interface Registration {
  handle: bigint;
  altitude: string;
  context: bigint;
  operations: Operation[];
}

const registrations = new WeakMap<Kernel, Registration[]>();

function list(k: Kernel): Registration[] {
  let r = registrations.get(k);
  if (!r) registrations.set(k, (r = []));
  return r;
}

/** Registrations left at unload (a leak: their routines would run in an unloaded driver). */
export function registeredObCallbacks(k: Kernel): { handle: bigint; altitude: string; routine: bigint }[] {
  return (registrations.get(k) ?? []).map((r) => ({ handle: r.handle, altitude: r.altitude, routine: r.operations[0]?.pre || r.operations[0]?.post || 0n }));
}

/** Altitudes compare as the decimal numbers they spell (a fraction allowed), as the filter manager compares them. */
function altitudeValue(a: string): number {
  const v = Number(a);
  return Number.isFinite(v) ? v : 0;
}

/**
 * A handle to a process or thread is being created with `desired` rights: the registered routines decide what it
 * gets. Returns the rights to grant; `insert` creates the handle in between (so the post routines see its result).
 */
export function handleCreated(k: Kernel, obj: KObject, desired: number, kernel: boolean, insert: (granted: number) => bigint): bigint {
  const regs = registrations.get(k);
  if (!regs?.length || (obj.type !== 'Process' && obj.type !== 'Thread')) return insert(desired);
  // The object manager's work, in kernel mode whoever asked for the handle.
  return k.m.actingAs(0, () => callBack(k, regs, obj, desired, kernel, insert));
}

function callBack(k: Kernel, regs: Registration[], obj: KObject, desired: number, kernel: boolean, insert: (granted: number) => bigint): bigint {
  const type = obj.type as 'Process' | 'Thread';
  const calls = regs
    .flatMap((r) => r.operations.filter((o) => o.type === type && o.operations & OB_OPERATION_HANDLE_CREATE).map((o) => ({ r, o })))
    .sort((a, b) => altitudeValue(b.r.altitude) - altitudeValue(a.r.altitude));
  if (!calls.length) return insert(desired);
  const m = k.m;
  const typeObject = m.actingAs(-1, () => m.ptr(k.resolveImport('ntoskrnl.exe', type === 'Process' ? 'PsProcessType' : 'PsThreadType')));
  const PRE = k.L.OB_PRE_OPERATION_INFORMATION;
  const POST = k.L.OB_POST_OPERATION_INFORMATION;
  const PARAMS = k.L.OB_PRE_CREATE_HANDLE_INFORMATION;
  const size = PRE.size + POST.size + PARAMS.size + 16;
  const block = m.actingAs(0, () => k.pool.allocate(size, 0x6c43624f /* 'ObCl' */, 0, 'system', 'object callbacks'));
  if (block === null) return insert(desired);
  const pre = block;
  const post = block + BigInt(PRE.size);
  const params = post + BigInt(POST.size);
  const contexts: bigint[] = [];
  let access = desired >>> 0;
  try {
    for (const { r, o } of calls) {
      m.actingAs(0, () => {
        m.fill(block, size);
        m.setU32At(pre, PRE.off.Operation, OB_OPERATION_HANDLE_CREATE);
        m.setU32At(pre, PRE.off.Flags, kernel ? 1 : 0);
        m.setPtrAt(pre, PRE.off.Object, obj.body);
        m.setPtrAt(pre, PRE.off.ObjectType, typeObject);
        m.setPtrAt(pre, PRE.off.Parameters, params);
        m.setU32At(params, PARAMS.off.DesiredAccess, access);
        m.setU32At(params, PARAMS.off.OriginalDesiredAccess, desired >>> 0);
      });
      if (o.pre !== 0n) k.callRoutine(o.pre, [r.context, pre], 'object pre-operation callback');
      // Only removing rights is honoured.
      access = (access & m.actingAs(0, () => m.u32At(params, PARAMS.off.DesiredAccess))) >>> 0;
      contexts.push(m.actingAs(0, () => m.ptrAt(pre, PRE.off.CallContext)));
    }
    const handle = insert(access);
    for (let i = calls.length - 1; i >= 0; i--) {
      const { r, o } = calls[i];
      if (o.post === 0n) continue;
      m.actingAs(0, () => {
        m.fill(block, size);
        m.setU32At(post, POST.off.Operation, OB_OPERATION_HANDLE_CREATE);
        m.setU32At(post, POST.off.Flags, kernel ? 1 : 0);
        m.setPtrAt(post, POST.off.Object, obj.body);
        m.setPtrAt(post, POST.off.ObjectType, typeObject);
        m.setPtrAt(post, POST.off.CallContext, contexts[i]);
        m.setU32At(post, POST.off.ReturnStatus, STATUS.SUCCESS);
        m.setPtrAt(post, POST.off.Parameters, params);
        m.setU32At(params, 0, access); // OB_POST_CREATE_HANDLE_INFORMATION.GrantedAccess
      });
      k.callRoutine(o.post, [r.context, post], 'object post-operation callback');
    }
    return handle;
  } finally {
    m.actingAs(0, () => k.pool.free_(block, 0));
  }
}

const ob = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ob, name: 'ObRegisterCallbacks',
    proto: 'NTSTATUS ObRegisterCallbacks(POB_CALLBACK_REGISTRATION CallbackRegistration, PVOID *RegistrationHandle)',
    params: { CallbackRegistration: 'ptr', RegistrationHandle: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const m = k.m;
      const R = k.L.OB_CALLBACK_REGISTRATION;
      const O = k.L.OB_OPERATION_REGISTRATION;
      const reg = a.CallbackRegistration;
      if (m.u16At(reg, R.off.Version) !== OB_FLT_REGISTRATION_VERSION) return STATUS.NOT_SUPPORTED;
      const count = m.u16At(reg, R.off.OperationRegistrationCount);
      if (count === 0) return STATUS.INVALID_PARAMETER;
      const altitude = readUnicodeString(k, reg + BigInt(R.off.Altitude));
      if (altitude === '') return STATUS.INVALID_PARAMETER;
      if (list(k).some((r) => r.altitude === altitude)) return STATUS_FLT_INSTANCE_ALTITUDE_COLLISION;
      const operations: Operation[] = [];
      const array = m.ptrAt(reg, R.off.OperationRegistration);
      const processType = m.ptr(k.resolveImport('ntoskrnl.exe', 'PsProcessType'));
      const threadType = m.ptr(k.resolveImport('ntoskrnl.exe', 'PsThreadType'));
      for (let i = 0; i < count; i++) {
        const e = array + BigInt(i * O.size);
        const typeP = m.ptrAt(e, O.off.ObjectType);
        // POBJECT_TYPE *: the exported variable's address (MSVC) or, through mingw-w64's extra indirection, the type itself.
        const type = typeP === 0n ? 0n : m.ptr(typeP);
        const which = type === processType ? 'Process' : type === threadType ? 'Thread' : undefined;
        const ops = m.u32At(e, O.off.Operations);
        const pre = m.ptrAt(e, O.off.PreOperation);
        const post = m.ptrAt(e, O.off.PostOperation);
        if (!which || (ops & ~(OB_OPERATION_HANDLE_CREATE | OB_OPERATION_HANDLE_DUPLICATE)) !== 0 || ops === 0 || (pre === 0n && post === 0n)) return STATUS.INVALID_PARAMETER;
        if ((pre !== 0n && !signedImage(k, pre)) || (post !== 0n && !signedImage(k, post))) return STATUS.ACCESS_DENIED;
        operations.push({ type: which, operations: ops, pre, post });
      }
      const handle = k.pool.allocate(0x40, 0x6c43624f /* 'ObCl' */, 0, 'system', 'ObRegisterCallbacks');
      if (handle === null) return STATUS.INSUFFICIENT_RESOURCES;
      list(k).push({ handle, altitude, context: m.ptrAt(reg, R.off.RegistrationContext), operations });
      m.setPtr(a.RegistrationHandle, handle);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ob, name: 'ObUnRegisterCallbacks',
    proto: 'VOID ObUnRegisterCallbacks(PVOID RegistrationHandle)',
    params: { RegistrationHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const regs = list(k);
      const i = regs.findIndex((r) => r.handle === a.RegistrationHandle);
      if (i < 0) {
        throw new GuestStop('bugcheck', `ObUnRegisterCallbacks(${hex(a.RegistrationHandle)}) from ${k.symbolize(k.callerAddress())}: not a registration ObRegisterCallbacks returned`, {
          bugcheck: { code: 0xc2 /* BAD_POOL_CALLER */, params: [0x7n, 0n, 0n, a.RegistrationHandle] },
        });
      }
      regs.splice(i, 1);
      k.pool.free_(a.RegistrationHandle, 0);
    },
  }),
  defineExport({
    ...ob, name: 'ObGetFilterVersion', proto: 'USHORT ObGetFilterVersion(VOID)', params: {}, ret: 'u16',
    impl: () => OB_FLT_REGISTRATION_VERSION,
  }),
];
