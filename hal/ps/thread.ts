// System threads: PsCreateSystemThread, PsTerminateSystemThread, and what happens when any thread ends.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { ThreadExit } from '../ke/scheduler.js';
import type { KThread } from '../ke/thread.js';
import { mapGeneric, resolveHandle } from '../ob/handle.js';
import type { KProcess } from './process.js';
import { abandonMutant, isKernelMutex, mutantOwner } from '../ke/mutex.js';
import { threadCreated, threadExiting } from './notify.js';

/** OBJECT_ATTRIBUTES.Attributes: the handle goes in the kernel's table. */
export const OBJ_KERNEL_HANDLE = 0x200;
/** THREAD_TERMINATE_HELD_MUTEX: (thread, mutant, 0, 0). */
const THREAD_TERMINATE_HELD_MUTEX = 0x4000008a;

/** The Attributes of an OBJECT_ATTRIBUTES (0 when there is none). */
export function objectAttributes(k: Kernel, oa: bigint): number {
  return oa === 0n ? 0 : k.m.u32At(oa, k.L.OBJECT_ATTRIBUTES.off.Attributes);
}

/**
 * A thread has ended (its routine returned, PsTerminateSystemThread, ExitThread): a kernel mutex it still owns is a
 * bugcheck (THREAD_TERMINATE_HELD_MUTEX); its object is signaled, its stacks go, and its own reference is dropped.
 */
export function threadEnded(k: Kernel, t: KThread): void {
  // The thread notify routines run first, in the ending thread's context.
  threadExiting(k, t);
  for (const mutant of t.mutants) {
    if (mutantOwner(k, mutant) !== t.ethread) continue;
    if (isKernelMutex(k, mutant)) {
      throw new GuestStop('bugcheck', `thread ${t.tid} (${k.symbolize(t.start)}) ended while owning the kernel mutex ${hex(mutant)}`, {
        bugcheck: { code: THREAD_TERMINATE_HELD_MUTEX, params: [t.ethread, mutant, 0n, 0n] },
      });
    }
    // A user-mode mutant is abandoned: free again, and the next wait on it is told (WAIT_ABANDONED).
    abandonMutant(k, mutant);
  }
  t.mutants.clear();
  k.m.actingAs(-1, () => k.m.setU32(t.ethread + BigInt(k.L.DISPATCHER_HEADER.off.SignalState), 1));
  k.ps.releaseStacks(t);
  k.ps.dropSelf(t.ethread);
}

const ps = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ps, name: 'PsCreateSystemThread',
    proto: 'NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID StartContext)',
    params: { ThreadHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', ProcessHandle: 'handle', ClientId: 'ptr', StartRoutine: 'ptr', StartContext: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      if (k.irql !== 0) {
        throw new GuestStop('bugcheck', `PsCreateSystemThread from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql} (it must be called at PASSIVE_LEVEL)`, {
          bugcheck: { code: 0x4a /* IRQL_GT_ZERO_AT_SYSTEM_SERVICE */, params: [k.callerAddress(), BigInt(k.irql), 0n, 0n] },
        });
      }
      // NULL: the System process; else a process handle (a driver may create its thread in a user process).
      let process: KProcess = k.ps.system;
      if (a.ProcessHandle !== 0n) {
        const r = resolveHandle(k, a.ProcessHandle, 0);
        if (!r) return STATUS.INVALID_HANDLE;
        if (r.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
        process = k.ps.processAt(r.body)!;
        if (process.exitCode !== undefined) return STATUS.PROCESS_IS_TERMINATING;
      }
      const t = k.ps.createThread(process, a.StartRoutine, a.StartContext, false);
      threadCreated(k, t);
      // The handle goes in the kernel's table with OBJ_KERNEL_HANDLE, else in the current process's.
      const kernel = (objectAttributes(k, a.ObjectAttributes) & OBJ_KERNEL_HANDLE) !== 0;
      const h = k.ob.insert(k.ob.at(t.ethread)!, mapGeneric('Thread', a.DesiredAccess), kernel);
      k.m.setPtr(a.ThreadHandle, h);
      if (a.ClientId !== 0n) {
        k.m.setPtrAt(a.ClientId, k.L.CLIENT_ID.off.UniqueProcess, BigInt(process.pid));
        k.m.setPtrAt(a.ClientId, k.L.CLIENT_ID.off.UniqueThread, BigInt(t.tid));
      }
      k.sched.ready(t);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ps, name: 'PsTerminateSystemThread',
    proto: 'NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)',
    params: { ExitStatus: 'status' },
    ret: 'status',
    impl: (k, a) => {
      const t = k.ps.current;
      // Only a system thread may end itself this way.
      if (t.process.kind !== 'system') return STATUS.INVALID_PARAMETER;
      if (t.root) {
        throw new GuestStop('unsupported-call', `PsTerminateSystemThread from ${k.symbolize(k.callerAddress())} would end the system thread that runs DriverEntry, the requests and unload; it never returns on Windows, and the driver's load would never finish`, {
          export: 'ntoskrnl.exe!PsTerminateSystemThread',
        });
      }
      throw new ThreadExit(t, a.ExitStatus);
    },
  }),
];
