// Process, thread and image notify routines (PsSetCreateProcessNotifyRoutine[Ex|Ex2], PsSetCreateThreadNotifyRoutine,
// PsSetLoadImageNotifyRoutine and their removal), and the synthetic processes that fire them.
//
// A process created by the client's CreateProcess (or the CLI's --spawn) runs no code: it gets an EPROCESS, a pid, an
// initial thread, its image "mapped" at the image's usual base, and every registered routine is called as Windows
// calls it: in the creating thread's context at PASSIVE_LEVEL, process routines first, then thread, then image ones;
// an Ex routine may veto the creation through CreateInfo->CreationStatus. Its end (TerminateProcess, --kill) calls
// the thread and process routines again, in the context of the process that ends.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import type { KProcess } from './process.js';
import type { KThread } from '../ke/thread.js';
import { systemUnicodeString } from '../io/driver.js';
import { referenceObject } from '../ob/object.js';

/** PSP_MAX_CREATE_PROCESS_NOTIFY and its thread and image counterparts. */
const MAX_ROUTINES = 64;
const IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY = 0x80;
/** DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS: a routine in an unloaded driver was called. */
const DRIVER_UNLOADED = 0xce;

type ProcessKind = 'plain' | 'ex' | 'ex2';

interface Routines {
  process: { routine: bigint; kind: ProcessKind }[];
  thread: bigint[];
  image: bigint[];
}

const registry = new WeakMap<Kernel, Routines>();

function routines(k: Kernel): Routines {
  let r = registry.get(k);
  if (!r) registry.set(k, (r = { process: [], thread: [], image: [] }));
  return r;
}

/** Routines still registered, for the leak report at unload (a driver must remove its routines before it goes). */
export function registeredNotifyRoutines(k: Kernel): { kind: string; routine: bigint }[] {
  const r = routines(k);
  return [
    ...r.process.map((p) => ({ kind: p.kind === 'plain' ? 'PsSetCreateProcessNotifyRoutine' : p.kind === 'ex' ? 'PsSetCreateProcessNotifyRoutineEx' : 'PsSetCreateProcessNotifyRoutineEx2', routine: p.routine })),
    ...r.thread.map((routine) => ({ kind: 'PsSetCreateThreadNotifyRoutine', routine })),
    ...r.image.map((routine) => ({ kind: 'PsSetLoadImageNotifyRoutine', routine })),
  ];
}

/** Whether the image holding `routine` was linked with /INTEGRITYCHECK (MmVerifyCallbackFunction). */
export function signedImage(k: Kernel, routine: bigint): boolean {
  const mod = k.moduleOf(routine);
  if (!mod || mod.name === 'ntoskrnl.exe') return false;
  return k.m.actingAs(-1, () => {
    const pe = mod.base + BigInt(k.m.u32(mod.base + 0x3cn));
    // DllCharacteristics sits at the same offset of the optional header in PE32 and PE32+.
    return (k.m.u16(pe + 0x18n + 0x46n) & IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY) !== 0;
  });
}

function setProcessRoutine(k: Kernel, routine: bigint, remove: boolean, kind: ProcessKind): number {
  const list = routines(k).process;
  if (remove) {
    const i = list.findIndex((p) => p.routine === routine && p.kind === kind);
    if (i < 0) return STATUS.PROCEDURE_NOT_FOUND;
    list.splice(i, 1);
    return STATUS.SUCCESS;
  }
  if (kind !== 'plain' && !signedImage(k, routine)) return STATUS.ACCESS_DENIED;
  if (list.length >= MAX_ROUTINES) return STATUS.INVALID_PARAMETER;
  list.push({ routine, kind });
  return STATUS.SUCCESS;
}

function addRoutine(k: Kernel, list: bigint[], routine: bigint): number {
  if (list.length >= MAX_ROUTINES) return STATUS.INSUFFICIENT_RESOURCES;
  list.push(routine);
  return STATUS.SUCCESS;
}

function removeRoutine(list: bigint[], routine: bigint): number {
  const i = list.indexOf(routine);
  if (i < 0) return STATUS.PROCEDURE_NOT_FOUND;
  list.splice(i, 1);
  return STATUS.SUCCESS;
}

/** Calls a notify routine, unless its driver is gone: calling into unloaded code is what Verifier's 0xCE catches. */
function call(k: Kernel, routine: bigint, args: bigint[], what: string): void {
  if (!k.moduleOf(routine)) {
    throw new GuestStop('bugcheck', `a ${what} registered at ${hex(routine)} is still registered after its driver unloaded, and a process event calls it`, {
      pc: routine,
      bugcheck: { code: DRIVER_UNLOADED, params: [routine, 0n, 0n, 0n] },
    });
  }
  k.callRoutine(routine, args, what);
}

/** Runs f with `t` as the current thread (notify routines for a process's end run in that process's context). */
function inContext<T>(k: Kernel, t: KThread, f: () => T): T {
  const prev = k.ps.current;
  k.ps.setCurrent(t);
  try {
    return f();
  } finally {
    k.ps.setCurrent(prev);
  }
}

/** The usual base of an executable of the architecture, and the size kdemu gives a synthetic one. */
const IMAGE_BASE = { x64: 0x140000000n, x86: 0x400000n } as const;
const SYNTHETIC_IMAGE_SIZE = 0x40000n;

/**
 * Creates a synthetic process of `imagePath` as `parent`'s child and fires the notify routines. Returns the process and
 * its initial thread, or the status an Ex routine vetoed it with.
 */
export function spawnProcess(k: Kernel, parent: KProcess, imagePath: string, commandLine: string): { process: KProcess; thread: KThread } | { status: number } {
  // The process manager's work, done in kernel mode whoever asked for it.
  return k.m.actingAs(0, () => spawn(k, parent, imagePath, commandLine));
}

function spawn(k: Kernel, parent: KProcess, imagePath: string, commandLine: string): { process: KProcess; thread: KThread } | { status: number } {
  const p = k.ps.createProcess(parent, imagePath);
  const t = k.ps.createSyntheticThread(p);
  const status = processCreated(k, p, t, commandLine, IMAGE_BASE[k.arch], SYNTHETIC_IMAGE_SIZE);
  if (!ntSuccess(status)) {
    // Vetoed: the process never starts.
    k.ps.endProcess(p, status);
    k.ps.endSyntheticThread(t, status);
    return { status };
  }
  return { process: p, thread: t };
}

/**
 * A process was created with its initial thread t: the process notify routines (an Ex routine may veto it through
 * CreationStatus: its status is returned), then the thread's, then the load-image routines for its executable. In the
 * current thread's context (the creator's).
 */
export function processCreated(k: Kernel, p: KProcess, t: KThread, commandLine: string, imageBase: bigint, imageSize: bigint): number {
  return k.m.actingAs(0, () => {
    const r = routines(k);
    const creator = k.ps.current;
    // CreateInfo: the image name and command line as UNICODE_STRINGs, and a file object for the image.
    const L = k.L.PS_CREATE_NOTIFY_INFO;
    const info = r.process.some((x) => x.kind !== 'plain')
      ? k.m.actingAs(-1, () => {
          const a = k.systemAlloc(L.size + k.L.FILE_OBJECT.size, 16);
          const m = k.m;
          m.setPtrAt(a, L.off.Size, BigInt(L.size));
          m.setU32At(a, L.off.Flags, 1); // FileOpenNameAvailable: ImageFileName is the name the image was opened by
          m.setPtrAt(a, L.off.ParentProcessId, BigInt(p.parentPid));
          m.setPtrAt(a, L.off.CreatingThreadId + k.L.CLIENT_ID.off.UniqueProcess, BigInt(creator.process.pid));
          m.setPtrAt(a, L.off.CreatingThreadId + k.L.CLIENT_ID.off.UniqueThread, BigInt(creator.tid));
          const file = a + BigInt(L.size);
          m.setU16At(file, k.L.FILE_OBJECT.off.Type, 5);
          m.setU16At(file, k.L.FILE_OBJECT.off.Size, k.L.FILE_OBJECT.size);
          m.setPtrAt(a, L.off.FileObject, file);
          m.setPtrAt(a, L.off.ImageFileName, systemUnicodeString(k, `\\??\\${p.imagePath}`));
          m.setPtrAt(a, L.off.CommandLine, systemUnicodeString(k, commandLine));
          m.setU32At(a, L.off.CreationStatus, STATUS.SUCCESS);
          return a;
        })
      : 0n;
    for (const { routine, kind } of [...r.process]) {
      if (kind === 'plain') call(k, routine, [BigInt(p.parentPid), BigInt(p.pid), 1n], 'process notify routine');
      else {
        call(k, routine, [p.eprocess, BigInt(p.pid), info], `process notify routine (${kind === 'ex' ? 'Ex' : 'Ex2'})`);
        const status = k.m.actingAs(-1, () => k.m.u32At(info, L.off.CreationStatus));
        if (!ntSuccess(status)) return status;
      }
    }
    threadCreated(k, t);
    if (r.image.length) {
      const II = k.L.IMAGE_INFO;
      const imageInfo = k.m.actingAs(-1, () => {
        const a = k.systemAlloc(II.size, 16);
        k.m.setU32At(a, II.off.Properties, 3); // IMAGE_ADDRESSING_MODE_32BIT; a user-mode image
        k.m.setPtrAt(a, II.off.ImageBase, imageBase);
        k.m.setPtrAt(a, II.off.ImageSize, imageSize);
        return a;
      });
      const name = systemUnicodeString(k, `\\Device\\HarddiskVolume1${p.imagePath.replace(/^[A-Za-z]:/, '')}`);
      for (const routine of [...r.image]) call(k, routine, [name, BigInt(p.pid), imageInfo], 'load image notify routine');
    }
    return STATUS.SUCCESS;
  });
}

/** A thread was created: the thread notify routines, in the creating thread's context. */
export function threadCreated(k: Kernel, t: KThread): void {
  const list = routines(k).thread;
  if (list.length === 0) return;
  k.m.actingAs(0, () => {
    for (const routine of [...list]) call(k, routine, [BigInt(t.process.pid), BigInt(t.tid), 1n], 'thread notify routine');
  });
}

/** A thread is ending: the thread notify routines, in its own context (it is the current thread). */
export function threadExiting(k: Kernel, t: KThread): void {
  const list = routines(k).thread;
  if (list.length === 0) return;
  inContext(k, t, () =>
    k.m.actingAs(0, () => {
      for (const routine of [...list]) call(k, routine, [BigInt(t.process.pid), BigInt(t.tid), 0n], 'thread notify routine');
    }),
  );
}

/** A process ends (its last thread has): the process notify routines, in its context. */
export function processExiting(k: Kernel, p: KProcess, t: KThread): void {
  const list = routines(k).process;
  if (list.length === 0) return;
  inContext(k, t, () =>
    k.m.actingAs(0, () => {
      for (const { routine, kind } of [...list]) {
        if (kind === 'plain') call(k, routine, [BigInt(p.parentPid), BigInt(p.pid), 0n], 'process notify routine');
        else call(k, routine, [p.eprocess, BigInt(p.pid), 0n], `process notify routine (${kind === 'ex' ? 'Ex' : 'Ex2'})`);
      }
    }),
  );
}

/** Ends a synthetic process: its thread's and then its own notify routines run in its context. */
export function terminateProcess(k: Kernel, p: KProcess, exitCode: number): void {
  k.m.actingAs(0, () => terminate(k, p, exitCode));
}

function terminate(k: Kernel, p: KProcess, exitCode: number): void {
  if (p.exitCode !== undefined) return;
  const t = p.threads.find((x) => x.state !== 'terminated') ?? p.threads[0];
  threadExiting(k, t);
  k.ps.endSyntheticThread(t, exitCode);
  processExiting(k, p, t);
  k.ps.endProcess(p, exitCode);
}

const ps = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ps, name: 'PsSetCreateProcessNotifyRoutine',
    proto: 'NTSTATUS PsSetCreateProcessNotifyRoutine(PCREATE_PROCESS_NOTIFY_ROUTINE NotifyRoutine, BOOLEAN Remove)',
    params: { NotifyRoutine: 'ptr', Remove: 'bool' }, ret: 'status',
    impl: (k, a) => setProcessRoutine(k, a.NotifyRoutine, a.Remove !== 0, 'plain'),
  }),
  defineExport({
    ...ps, name: 'PsSetCreateProcessNotifyRoutineEx',
    proto: 'NTSTATUS PsSetCreateProcessNotifyRoutineEx(PCREATE_PROCESS_NOTIFY_ROUTINE_EX NotifyRoutine, BOOLEAN Remove)',
    params: { NotifyRoutine: 'ptr', Remove: 'bool' }, ret: 'status',
    impl: (k, a) => setProcessRoutine(k, a.NotifyRoutine, a.Remove !== 0, 'ex'),
  }),
  defineExport({
    ...ps, name: 'PsSetCreateProcessNotifyRoutineEx2',
    proto: 'NTSTATUS PsSetCreateProcessNotifyRoutineEx2(PSCREATEPROCESSNOTIFYTYPE NotifyType, PVOID NotifyInformation, BOOLEAN Remove)',
    params: { NotifyType: 'u32', NotifyInformation: 'ptr', Remove: 'bool' }, ret: 'status',
    // PsCreateProcessNotifySubsystems (0) is the only type.
    impl: (k, a) => (a.NotifyType !== 0 ? STATUS.INVALID_PARAMETER : setProcessRoutine(k, a.NotifyInformation, a.Remove !== 0, 'ex2')),
  }),
  defineExport({
    ...ps, name: 'PsSetCreateThreadNotifyRoutine',
    proto: 'NTSTATUS PsSetCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine)',
    params: { NotifyRoutine: 'ptr' }, ret: 'status',
    impl: (k, a) => addRoutine(k, routines(k).thread, a.NotifyRoutine),
  }),
  defineExport({
    ...ps, name: 'PsRemoveCreateThreadNotifyRoutine',
    proto: 'NTSTATUS PsRemoveCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine)',
    params: { NotifyRoutine: 'ptr' }, ret: 'status',
    impl: (k, a) => removeRoutine(routines(k).thread, a.NotifyRoutine),
  }),
  defineExport({
    ...ps, name: 'PsSetLoadImageNotifyRoutine',
    proto: 'NTSTATUS PsSetLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine)',
    params: { NotifyRoutine: 'ptr' }, ret: 'status',
    impl: (k, a) => addRoutine(k, routines(k).image, a.NotifyRoutine),
  }),
  defineExport({
    ...ps, name: 'PsRemoveLoadImageNotifyRoutine',
    proto: 'NTSTATUS PsRemoveLoadImageNotifyRoutine(PLOAD_IMAGE_NOTIFY_ROUTINE NotifyRoutine)',
    params: { NotifyRoutine: 'ptr' }, ret: 'status',
    impl: (k, a) => removeRoutine(routines(k).image, a.NotifyRoutine),
  }),
  defineExport({
    ...ps, name: 'PsLookupProcessByProcessId',
    proto: 'NTSTATUS PsLookupProcessByProcessId(HANDLE ProcessId, PEPROCESS *Process)',
    params: { ProcessId: 'handle', Process: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const p = k.ps.byPid(Number(a.ProcessId & 0xffffffffn));
      // A process that ended and whose object is gone cannot be found; one that ended but is still referenced can.
      if (!p || !k.ob.at(p.eprocess)) return STATUS.INVALID_PARAMETER;
      k.m.setPtr(a.Process, p.eprocess);
      referenceObject(k, p.eprocess, 'PsLookupProcessByProcessId');
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ps, name: 'PsLookupThreadByThreadId',
    proto: 'NTSTATUS PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD *Thread)',
    params: { ThreadId: 'handle', Thread: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const t = k.ps.threads.find((x) => x.tid === Number(a.ThreadId & 0xffffffffn));
      if (!t || !k.ob.at(t.ethread)) return STATUS.INVALID_PARAMETER;
      k.m.setPtr(a.Thread, t.ethread);
      referenceObject(k, t.ethread, 'PsLookupThreadByThreadId');
      return STATUS.SUCCESS;
    },
  }),
];
