// The I/O manager's view of threads: stack limits, the top-level IRP, a thread's process and an IRP's requestor.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import type { KThread } from '../ke/thread.js';

/** ETHREAD.TopLevelIrp of each thread (kdemu's ETHREAD is opaque: the value lives here). */
const topLevel = new WeakMap<KThread, bigint>();

/**
 * The current thread's kernel stack [low, high): the run's own threads (System's, the client's) use the machine's
 * kernel stack; a created thread has its own, whose top kdemu starts 0x40 bytes below the end.
 */
export function stackLimits(k: Kernel): { low: bigint; high: bigint } {
  const t = k.ps.current;
  const l = k.m.layout;
  const high = t.root || t.kernelStack === 0n ? l.stackBase : t.kernelStack + 0x40n;
  return { low: high - BigInt(l.stackSize), high };
}

function threadArg(k: Kernel, ethread: bigint, routine: string): KThread {
  const t = k.ps.threadAt(ethread);
  if (!t) throw new GuestStop('fault', `${routine}(${hex(ethread)}) from ${k.symbolize(k.callerAddress())}: ${hex(ethread)} is not a thread object`, { export: `ntoskrnl.exe!${routine}` });
  return t;
}

/** The process that issued an IRP: its thread's own process (NULL when the IRP names no thread). */
function requestor(k: Kernel, irp: bigint): bigint {
  const thread = k.m.ptrAt(irp, k.L.IRP.off['Tail.Overlay.Thread']);
  if (thread === 0n) return 0n;
  return threadArg(k, thread, 'IoGetRequestorProcess').process.eprocess;
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoGetStackLimits', proto: 'VOID IoGetStackLimits(PULONG_PTR LowLimit, PULONG_PTR HighLimit)',
    params: { LowLimit: 'ptr', HighLimit: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const { low, high } = stackLimits(k);
      k.m.setPtr(a.LowLimit, low);
      k.m.setPtr(a.HighLimit, high);
    },
  }),
  defineExport({
    ...io, name: 'IoGetInitialStack', proto: 'PVOID IoGetInitialStack(VOID)',
    params: {}, ret: 'ptr',
    impl: (k) => stackLimits(k).high,
  }),
  defineExport({
    ...io, name: 'IoGetTopLevelIrp', proto: 'PIRP IoGetTopLevelIrp(VOID)',
    params: {}, ret: 'ptr',
    impl: (k) => topLevel.get(k.ps.current) ?? 0n,
  }),
  defineExport({
    ...io, name: 'IoSetTopLevelIrp', proto: 'VOID IoSetTopLevelIrp(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      topLevel.set(k.ps.current, a.Irp);
    },
  }),
  defineExport({
    ...io, name: 'IoIsSystemThread', proto: 'BOOLEAN IoIsSystemThread(PETHREAD Thread)',
    params: { Thread: 'ptr' }, ret: 'bool',
    impl: (k, a) => (threadArg(k, a.Thread, 'IoIsSystemThread').process.kind === 'system' ? 1 : 0),
  }),
  defineExport({
    ...io, name: 'IoThreadToProcess', proto: 'PEPROCESS IoThreadToProcess(PETHREAD Thread)',
    params: { Thread: 'ptr' }, ret: 'ptr',
    impl: (k, a) => threadArg(k, a.Thread, 'IoThreadToProcess').process.eprocess,
  }),
  defineExport({
    ...io, name: 'IoGetRequestorProcess', proto: 'PEPROCESS IoGetRequestorProcess(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'ptr',
    impl: (k, a) => requestor(k, a.Irp),
  }),
  defineExport({
    ...io, name: 'IoGetRequestorProcessId', proto: 'ULONG IoGetRequestorProcessId(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      const p = requestor(k, a.Irp);
      return p === 0n ? 0 : k.ps.processAt(p)!.pid;
    },
  }),
  defineExport({
    ...io, name: 'IoIs32bitProcess', arch: 'x64', proto: 'BOOLEAN IoIs32bitProcess(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      // The requestor (or, without an IRP, the current process) is never a WOW64 process: kdemu's clients are 64-bit.
      if (a.Irp !== 0n) requestor(k, a.Irp);
      return 0;
    },
  }),
  defineExport({
    ...io, name: 'IoValidateDeviceIoControlAccess', proto: 'NTSTATUS IoValidateDeviceIoControlAccess(PIRP Irp, ULONG RequiredAccess)',
    params: { Irp: 'ptr', RequiredAccess: 'u32' }, ret: 'status',
    impl: (k, a) => {
      // FILE_READ_ACCESS (1) and FILE_WRITE_ACCESS (2) only, on a (file system) device control request.
      if (a.RequiredAccess & ~3) return STATUS.INVALID_PARAMETER;
      const sl = k.m.ptrAt(a.Irp, k.L.IRP.off['Tail.Overlay.CurrentStackLocation']);
      const major = k.m.u8At(sl, k.L.IO_STACK_LOCATION.off.MajorFunction);
      if (major !== 0xe && major !== 0xd) return STATUS.INVALID_PARAMETER;
      // A kernel-mode requestor is trusted; a user's handle must grant what the code asks (the I/O manager marked it).
      if (k.m.u8At(a.Irp, k.L.IRP.off.RequestorMode) === 0) return STATUS.SUCCESS;
      const flags = k.m.u8At(sl, k.L.IO_STACK_LOCATION.off.Flags);
      if ((a.RequiredAccess & 1 && !(flags & 0x1)) || (a.RequiredAccess & 2 && !(flags & 0x4))) return STATUS.ACCESS_DENIED;
      return STATUS.SUCCESS;
    },
  }),
];
