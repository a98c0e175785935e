// Handles to processes and threads by client id: ZwOpenProcess, ZwOpenThread, PsLookupProcessThreadByCid.
//
// A kernel-mode caller gets any rights it asks for (no access check) unless OBJ_FORCE_ACCESS_CHECK asks for the
// check a user-mode caller gets; the handle goes in the kernel's table with OBJ_KERNEL_HANDLE, else in the current
// process's. Creating it runs the ObRegisterCallbacks routines as any process or thread handle does (ob/handle.ts).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { mapGeneric } from '../ob/handle.js';
import type { KObject } from '../ob/handle.js';
import { referenceObject } from '../ob/object.js';
import { attributesName } from '../ex/event.js';
import { OBJ_KERNEL_HANDLE, objectAttributes } from './thread.js';
import type { KProcess } from './process.js';
import type { KThread } from '../ke/thread.js';

const OBJ_FORCE_ACCESS_CHECK = 0x400;
const SYNCHRONIZE = 0x100000;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const THREAD_QUERY_LIMITED_INFORMATION = 0x800;

/** The live process of a pid (one that ended stays findable while its object is referenced). */
function processOf(k: Kernel, pid: bigint): KProcess | undefined {
  if (pid === 0n || pid > 0xffffffffn) return undefined;
  const p = k.ps.byPid(Number(pid));
  return p && k.ob.at(p.eprocess) ? p : undefined;
}

function threadOf(k: Kernel, tid: bigint): KThread | undefined {
  if (tid === 0n || tid > 0xffffffffn) return undefined;
  const t = k.ps.threads.find((x) => x.tid === Number(tid));
  return t && k.ob.at(t.ethread) ? t : undefined;
}

/** A CLIENT_ID's thread, which must belong to its process when it names one. */
function threadOfCid(k: Kernel, cid: bigint): KThread | undefined {
  const o = k.L.CLIENT_ID.off;
  const t = threadOf(k, k.m.ptrAt(cid, o.UniqueThread));
  const pid = k.m.ptrAt(cid, o.UniqueProcess);
  if (!t || (pid !== 0n && BigInt(t.process.pid) !== pid)) return undefined;
  return t;
}

/**
 * What a user-mode caller may open, as for kernel32's OpenProcess: System's and its threads' objects grant only the
 * limited query right and SYNCHRONIZE to anyone but the kernel.
 */
function userMayOpen(owner: KProcess, type: 'Process' | 'Thread', want: number): boolean {
  if (owner.kind !== 'system') return true;
  const limited = (type === 'Process' ? PROCESS_QUERY_LIMITED_INFORMATION : THREAD_QUERY_LIMITED_INFORMATION) | SYNCHRONIZE;
  return (want & ~limited) === 0;
}

interface OpenArgs {
  Handle: bigint;
  DesiredAccess: number;
  ObjectAttributes: bigint;
  ClientId: bigint;
}

function open(k: Kernel, a: OpenArgs, type: 'Process' | 'Thread', routine: string): number {
  const name = attributesName(k, a.ObjectAttributes, routine);
  // Exactly one of a name and a client id.
  if ((name !== undefined) === (a.ClientId !== 0n)) return STATUS.INVALID_PARAMETER_MIX;
  const attributes = objectAttributes(k, a.ObjectAttributes);
  let obj: KObject | undefined;
  let owner: KProcess;
  if (name !== undefined) {
    obj = k.ob.named(name);
    if (!obj) return k.ns.get(name) ? STATUS.OBJECT_TYPE_MISMATCH : STATUS.OBJECT_NAME_NOT_FOUND;
    if (obj.type !== type) return STATUS.OBJECT_TYPE_MISMATCH;
    owner = type === 'Process' ? k.ps.processAt(obj.body)! : k.ps.threadAt(obj.body)!.process;
  } else if (type === 'Process') {
    const o = k.L.CLIENT_ID.off;
    // A client id with a thread opens that thread's process (the thread must be the process's).
    const p = k.m.ptrAt(a.ClientId, o.UniqueThread) !== 0n ? threadOfCid(k, a.ClientId)?.process : processOf(k, k.m.ptrAt(a.ClientId, o.UniqueProcess));
    if (!p) return STATUS.INVALID_CID;
    obj = k.ob.at(p.eprocess);
    owner = p;
  } else {
    const t = threadOfCid(k, a.ClientId);
    if (!t) return STATUS.INVALID_CID;
    obj = k.ob.at(t.ethread);
    owner = t.process;
  }
  if (!obj) return STATUS.INVALID_CID;
  const want = mapGeneric(type, a.DesiredAccess);
  if ((attributes & OBJ_FORCE_ACCESS_CHECK) !== 0 && !userMayOpen(owner, type, want)) return STATUS.ACCESS_DENIED;
  k.m.setPtr(a.Handle, k.ob.insert(obj, want, (attributes & OBJ_KERNEL_HANDLE) !== 0));
  return STATUS.SUCCESS;
}

const ps = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ps, name: 'ZwOpenProcess',
    proto: 'NTSTATUS ZwOpenProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PCLIENT_ID ClientId)',
    params: { ProcessHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', ClientId: 'ptr' }, ret: 'status',
    impl: (k, a) => open(k, { Handle: a.ProcessHandle, DesiredAccess: a.DesiredAccess, ObjectAttributes: a.ObjectAttributes, ClientId: a.ClientId }, 'Process', 'ZwOpenProcess'),
  }),
  defineExport({
    ...ps, name: 'ZwOpenThread',
    proto: 'NTSTATUS ZwOpenThread(PHANDLE ThreadHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PCLIENT_ID ClientId)',
    params: { ThreadHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', ClientId: 'ptr' }, ret: 'status',
    impl: (k, a) => open(k, { Handle: a.ThreadHandle, DesiredAccess: a.DesiredAccess, ObjectAttributes: a.ObjectAttributes, ClientId: a.ClientId }, 'Thread', 'ZwOpenThread'),
  }),
  defineExport({
    ...ps, name: 'PsLookupProcessThreadByCid',
    proto: 'NTSTATUS PsLookupProcessThreadByCid(PCLIENT_ID Cid, PEPROCESS *Process, PETHREAD *Thread)',
    params: { Cid: 'ptr', Process: 'ptr', Thread: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      // The thread must be the one the client id names in the process it names; both come referenced.
      const o = k.L.CLIENT_ID.off;
      const t = threadOfCid(k, a.Cid);
      if (!t || BigInt(t.process.pid) !== k.m.ptrAt(a.Cid, o.UniqueProcess)) return STATUS.INVALID_CID;
      if (a.Process !== 0n) {
        referenceObject(k, t.process.eprocess, 'PsLookupProcessThreadByCid');
        k.m.setPtr(a.Process, t.process.eprocess);
      }
      referenceObject(k, t.ethread, 'PsLookupProcessThreadByCid');
      k.m.setPtr(a.Thread, t.ethread);
      return STATUS.SUCCESS;
    },
  }),
];
