// The described Windows structures by C name, and layouts(arch): their offsets and sizes, computed once per arch.
//
//   const L = layouts('x64');
//   L.IRP.size                          // 0xd0
//   L.IRP.off['IoStatus.Information']   // 0x38 (a typo in the path is a compile error)

import * as ex from './ex.js';
import * as io from './io.js';
import * as ke from './ke.js';
import * as ps from './ps.js';
import * as rtl from './rtl.js';
import * as se from './se.js';
import * as system from './system.js';
import * as user from './user.js';
import { layoutOf, type Arch, type PathsOf } from './struct.js';

export * from './struct.js';
export { IRP_MJ_MAXIMUM_FUNCTION } from './io.js';

/** Every described type, keyed by its C name (the key is checked against the definition below). */
export const defs = {
  LIST_ENTRY: rtl.LIST_ENTRY,
  SINGLE_LIST_ENTRY: rtl.SINGLE_LIST_ENTRY,
  LARGE_INTEGER: rtl.LARGE_INTEGER,
  ULARGE_INTEGER: rtl.ULARGE_INTEGER,
  UNICODE_STRING: rtl.UNICODE_STRING,
  STRING: rtl.STRING,
  ANSI_STRING: rtl.ANSI_STRING,
  OBJECT_ATTRIBUTES: rtl.OBJECT_ATTRIBUTES,
  CLIENT_ID: rtl.CLIENT_ID,
  NT_TIB: rtl.NT_TIB,
  LUID: rtl.LUID,
  GUID: rtl.GUID,
  RTL_OSVERSIONINFOW: rtl.RTL_OSVERSIONINFOW,
  RTL_OSVERSIONINFOEXW: rtl.RTL_OSVERSIONINFOEXW,

  KSPIN_LOCK: ke.KSPIN_LOCK,
  KSYSTEM_TIME: ke.KSYSTEM_TIME,
  DISPATCHER_HEADER: ke.DISPATCHER_HEADER,
  KEVENT: ke.KEVENT,
  KSEMAPHORE: ke.KSEMAPHORE,
  KMUTANT: ke.KMUTANT,
  KTIMER: ke.KTIMER,
  KDPC: ke.KDPC,
  KAPC: ke.KAPC,
  KDEVICE_QUEUE_ENTRY: ke.KDEVICE_QUEUE_ENTRY,
  KDEVICE_QUEUE: ke.KDEVICE_QUEUE,

  OWNER_ENTRY: ex.OWNER_ENTRY,
  ERESOURCE: ex.ERESOURCE,
  FAST_MUTEX: ex.FAST_MUTEX,
  KGUARDED_MUTEX: ex.KGUARDED_MUTEX,
  WORK_QUEUE_ITEM: ex.WORK_QUEUE_ITEM,
  SLIST_HEADER: ex.SLIST_HEADER,
  GENERAL_LOOKASIDE: ex.GENERAL_LOOKASIDE,
  NPAGED_LOOKASIDE_LIST: ex.NPAGED_LOOKASIDE_LIST,

  IO_STATUS_BLOCK: io.IO_STATUS_BLOCK,
  MDL: io.MDL,
  SECTION_OBJECT_POINTERS: io.SECTION_OBJECT_POINTERS,
  IO_COMPLETION_CONTEXT: io.IO_COMPLETION_CONTEXT,
  VPB: io.VPB,
  WAIT_CONTEXT_BLOCK: io.WAIT_CONTEXT_BLOCK,
  DRIVER_EXTENSION: io.DRIVER_EXTENSION,
  DRIVER_OBJECT: io.DRIVER_OBJECT,
  DEVICE_OBJECT: io.DEVICE_OBJECT,
  FILE_OBJECT: io.FILE_OBJECT,
  IO_STACK_LOCATION: io.IO_STACK_LOCATION,
  IRP: io.IRP,
  IO_REMOVE_LOCK_COMMON_BLOCK: io.IO_REMOVE_LOCK_COMMON_BLOCK,
  IO_SECURITY_CONTEXT: io.IO_SECURITY_CONTEXT,
  IO_CSQ: io.IO_CSQ,
  IO_CSQ_IRP_CONTEXT: io.IO_CSQ_IRP_CONTEXT,

  LUID_AND_ATTRIBUTES: se.LUID_AND_ATTRIBUTES,
  PRIVILEGE_SET: se.PRIVILEGE_SET,
  INITIAL_PRIVILEGE_SET: se.INITIAL_PRIVILEGE_SET,
  GENERIC_MAPPING: se.GENERIC_MAPPING,
  SECURITY_SUBJECT_CONTEXT: se.SECURITY_SUBJECT_CONTEXT,
  ACCESS_STATE: se.ACCESS_STATE,
  AUX_ACCESS_DATA: se.AUX_ACCESS_DATA,

  KPRCB: system.KPRCB,
  KPCR: system.KPCR,
  KUSER_SHARED_DATA: system.KUSER_SHARED_DATA,

  PEB: user.PEB,
  TEB: user.TEB,
  RTL_USER_PROCESS_PARAMETERS: user.RTL_USER_PROCESS_PARAMETERS,
  RTL_CRITICAL_SECTION: user.RTL_CRITICAL_SECTION,
  FILE: user.FILE,

  PS_CREATE_NOTIFY_INFO: ps.PS_CREATE_NOTIFY_INFO,
  IMAGE_INFO: ps.IMAGE_INFO,
  OB_OPERATION_REGISTRATION: ps.OB_OPERATION_REGISTRATION,
  OB_CALLBACK_REGISTRATION: ps.OB_CALLBACK_REGISTRATION,
  OB_PRE_CREATE_HANDLE_INFORMATION: ps.OB_PRE_CREATE_HANDLE_INFORMATION,
  OB_PRE_OPERATION_INFORMATION: ps.OB_PRE_OPERATION_INFORMATION,
  OB_POST_OPERATION_INFORMATION: ps.OB_POST_OPERATION_INFORMATION,
} as const;

export type TypeName = keyof typeof defs;

for (const [name, def] of Object.entries(defs)) {
  if (def.cname !== name) throw new Error(`layout registry: key ${name} holds ${def.cname}`);
}

/** One structure on one architecture: sizeof, alignment, and offset/size of every field path. */
export interface StructLayout<P extends string = string> {
  readonly size: number;
  readonly align: number;
  readonly off: Readonly<Record<P, number>>;
  readonly sizes: Readonly<Record<P, number>>;
}

/** Field paths are those that exist on A (for A = Arch: those that exist on both). */
export type Layouts<A extends Arch = Arch> = {
  readonly [K in TypeName]: StructLayout<PathsOf<(typeof defs)[K], A>>;
};

const cache: Partial<Record<Arch, Layouts>> = {};

/** All layouts for one architecture: a plain frozen object, built on first use and then shared. */
export function layouts<A extends Arch>(arch: A): Layouts<A> {
  let ls = cache[arch];
  if (!ls) {
    const built: Record<string, StructLayout> = {};
    for (const [name, def] of Object.entries(defs)) {
      const l = layoutOf(def, arch);
      built[name] = Object.freeze({ size: l.size, align: l.align, off: l.offsets, sizes: l.sizes });
    }
    cache[arch] = ls = Object.freeze(built) as unknown as Layouts;
  }
  return ls as Layouts<A>;
}
