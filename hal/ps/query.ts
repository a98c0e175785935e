// ZwQueryInformationProcess: a process's basic information, image file name, WOW64 state and session, as the kernel
// answers a kernel-mode caller (the handle may be a kernel handle; no access check). The EPROCESS accessors security
// drivers use next to it: SeLocateProcessImageName, PsGetProcessSectionBaseAddress, PsGetProcessDebugPort; and
// ZwQueryInformationThread for the classes kdemu's threads have facts for.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { resolveHandle } from '../ob/handle.js';
import { tagOf } from '../io/device.js';
import { NORMAL_PRIORITY, type KProcess } from './process.js';
import type { KThread } from '../ke/thread.js';
import { sessionOf } from './info.js';

const ProcessBasicInformation = 0;
const ProcessSessionInformation = 24;
const ProcessWow64Information = 26;
const ProcessImageFileName = 27;
const KernelMode = 0;

/** The NT path of a process's image (\Device\HarddiskVolume1 is C:), '' for System, which has no image file. */
export function ntImagePath(p: KProcess): string {
  if (p.kind === 'system') return '';
  return `\\Device\\HarddiskVolume1${p.imagePath.replace(/^[A-Za-z]:/, '')}`;
}

function pebOf(k: Kernel, p: KProcess): bigint {
  if (p.kind === 'system') return 0n;
  if (p === k.ps.clientProcess && k.client) return k.client.peb;
  throw new GuestStop('unsupported-call', `ZwQueryInformationProcess(ProcessBasicInformation) from ${k.symbolize(k.callerAddress())}: ${p.name} has no user address space in kdemu, so no PEB address to report`, { export: 'ntoskrnl.exe!ZwQueryInformationProcess' });
}

interface Answer {
  status: number;
  data?: Uint8Array;
  returnLength: number;
}

function answer(k: Kernel, p: KProcess, cls: number, length: number): Answer {
  const ps = k.ptrSize;
  const put = (v: DataView, off: number, value: bigint) => (ps === 8 ? v.setBigUint64(off, value, true) : v.setUint32(off, Number(value), true));
  switch (cls) {
    case ProcessBasicInformation: {
      // PROCESS_BASIC_INFORMATION: ExitStatus, PebBaseAddress, AffinityMask, BasePriority, UniqueProcessId, InheritedFrom...
      const size = ps === 8 ? 48 : 24;
      if (length !== size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: size };
      const b = new Uint8Array(size);
      const v = new DataView(b.buffer);
      v.setUint32(0, p.exitCode ?? STATUS.PENDING, true);
      put(v, ps, pebOf(k, p));
      put(v, 2 * ps, 1n);
      v.setInt32(3 * ps, NORMAL_PRIORITY, true);
      put(v, 4 * ps, BigInt(p.pid));
      put(v, 5 * ps, BigInt(p.parentPid));
      return { status: STATUS.SUCCESS, data: b, returnLength: size };
    }
    case ProcessSessionInformation: {
      if (length !== 4) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: 4 };
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, sessionOf(p), true);
      return { status: STATUS.SUCCESS, data: b, returnLength: 4 };
    }
    case ProcessWow64Information: {
      // A ULONG_PTR: the WOW64 PEB's address, 0 for a native process (kdemu's clients are all native).
      if (length !== ps) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: ps };
      return { status: STATUS.SUCCESS, data: new Uint8Array(ps), returnLength: ps };
    }
    default:
      throw new GuestStop('unsupported-call', `ZwQueryInformationProcess class ${cls} from ${k.symbolize(k.callerAddress())}: kdemu answers ProcessBasicInformation, ProcessSessionInformation, ProcessWow64Information and ProcessImageFileName`, { export: 'ntoskrnl.exe!ZwQueryInformationProcess' });
  }
}

const ThreadBasicInformation = 0;
const ThreadQuerySetWin32StartAddress = 9;
const ThreadHideFromDebugger = 17;
const ThreadIsTerminated = 20;
const ThreadPriority = 2;
const LOW_PRIORITY = 0;
const HIGH_PRIORITY = 31;

/** Threads hidden from debuggers (the flag is never cleared on Windows either). */
const hidden = new WeakSet<KThread>();

function threadOfHandle(k: Kernel, h: bigint, routine: string): KThread | number {
  const r = resolveHandle(k, h, KernelMode);
  if (!r) return STATUS.INVALID_HANDLE;
  if (r.type !== 'Thread') return STATUS.OBJECT_TYPE_MISMATCH;
  const t = k.ps.threadAt(r.body);
  if (!t) throw new GuestStop('fault', `${routine}(${hex(h)}): no thread at ${hex(r.body)}`, { export: `ntoskrnl.exe!${routine}` });
  return t;
}

function threadAnswer(k: Kernel, t: KThread, cls: number, length: number): Answer {
  const ps = k.ptrSize;
  const put = (v: DataView, off: number, value: bigint) => (ps === 8 ? v.setBigUint64(off, value, true) : v.setUint32(off, Number(value), true));
  const fixed = (size: number, fill: (v: DataView) => void): Answer => {
    if (length !== size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: 0 };
    const b = new Uint8Array(size);
    fill(new DataView(b.buffer));
    return { status: STATUS.SUCCESS, data: b, returnLength: size };
  };
  switch (cls) {
    case ThreadBasicInformation:
      // THREAD_BASIC_INFORMATION: ExitStatus, TebBaseAddress, ClientId, AffinityMask, Priority, BasePriority.
      return fixed(ps === 8 ? 48 : 28, (v) => {
        v.setUint32(0, t.exitStatus ?? STATUS.PENDING, true);
        put(v, ps, t.teb);
        put(v, 2 * ps, BigInt(t.process.pid));
        put(v, 3 * ps, BigInt(t.tid));
        put(v, 4 * ps, 1n);
        v.setInt32(5 * ps, t.priority, true);
        // KeQueryBasePriorityThread: the base priority over the process's; kdemu never moves a thread's base.
        v.setInt32(5 * ps + 4, 0, true);
      });
    case ThreadQuerySetWin32StartAddress:
      return fixed(ps, (v) => put(v, 0, t.start));
    case ThreadHideFromDebugger:
      // A BOOLEAN: whether ZwSetInformationThread(ThreadHideFromDebugger) hid the thread.
      return fixed(1, (v) => v.setUint8(0, hidden.has(t) ? 1 : 0));
    case ThreadIsTerminated:
      return fixed(4, (v) => v.setUint32(0, t.state === 'terminated' ? 1 : 0, true));
    default:
      throw new GuestStop('unsupported-call', `ZwQueryInformationThread class ${cls} from ${k.symbolize(k.callerAddress())}: kdemu answers ThreadBasicInformation, ThreadQuerySetWin32StartAddress, ThreadHideFromDebugger and ThreadIsTerminated`, { export: 'ntoskrnl.exe!ZwQueryInformationThread' });
  }
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwQueryInformationThread',
    proto: 'NTSTATUS ZwQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass, PVOID ThreadInformation, ULONG ThreadInformationLength, PULONG ReturnLength)',
    params: { ThreadHandle: 'handle', ThreadInformationClass: 'u32', ThreadInformation: 'ptr', ThreadInformationLength: 'u32', ReturnLength: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const t = threadOfHandle(k, a.ThreadHandle, 'ZwQueryInformationThread');
      if (typeof t === 'number') return t;
      const ans = threadAnswer(k, t, a.ThreadInformationClass, a.ThreadInformationLength);
      if (ans.data) k.m.write(a.ThreadInformation, ans.data);
      if (a.ReturnLength !== 0n && ans.status === STATUS.SUCCESS) k.m.setU32(a.ReturnLength, ans.returnLength);
      return ans.status;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwSetInformationThread',
    proto: 'NTSTATUS ZwSetInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass, PVOID ThreadInformation, ULONG ThreadInformationLength)',
    params: { ThreadHandle: 'handle', ThreadInformationClass: 'u32', ThreadInformation: 'ptr', ThreadInformationLength: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      const t = threadOfHandle(k, a.ThreadHandle, 'ZwSetInformationThread');
      if (typeof t === 'number') return t;
      switch (a.ThreadInformationClass) {
        case ThreadHideFromDebugger:
          // Takes no data: the length must be 0.
          if (a.ThreadInformationLength !== 0) return STATUS.INFO_LENGTH_MISMATCH;
          hidden.add(t);
          return STATUS.SUCCESS;
        case ThreadPriority: {
          // A KPRIORITY in 1..31 (a kernel-mode caller needs no privilege for the real-time range); KeSetPriorityThread's effect.
          if (a.ThreadInformationLength !== 4) return STATUS.INFO_LENGTH_MISMATCH;
          const priority = k.m.u32(a.ThreadInformation) | 0;
          if (priority <= LOW_PRIORITY || priority > HIGH_PRIORITY) return STATUS.INVALID_PARAMETER;
          t.priority = priority;
          return STATUS.SUCCESS;
        }
        default:
          throw new GuestStop('unsupported-call', `ZwSetInformationThread class ${a.ThreadInformationClass} from ${k.symbolize(k.callerAddress())}: kdemu sets ThreadHideFromDebugger and ThreadPriority`, { export: 'ntoskrnl.exe!ZwSetInformationThread' });
      }
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwQueryInformationProcess',
    proto: 'NTSTATUS ZwQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass, PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength)',
    params: { ProcessHandle: 'handle', ProcessInformationClass: 'u32', ProcessInformation: 'ptr', ProcessInformationLength: 'u32', ReturnLength: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const r = resolveHandle(k, a.ProcessHandle, KernelMode);
      if (!r) return STATUS.INVALID_HANDLE;
      if (r.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
      const p = k.ps.processAt(r.body);
      if (!p) throw new GuestStop('fault', `ZwQueryInformationProcess(${hex(a.ProcessHandle)}): no process at ${hex(r.body)}`, { export: 'ntoskrnl.exe!ZwQueryInformationProcess' });
      if (a.ProcessInformationClass === ProcessImageFileName) {
        // A UNICODE_STRING followed by the NUL-terminated text it points to.
        const name = ntImagePath(p);
        const header = k.L.UNICODE_STRING.size;
        const need = header + (name ? name.length * 2 + 2 : 0);
        if (a.ReturnLength !== 0n) k.m.setU32(a.ReturnLength, need);
        if (a.ProcessInformationLength < need) return STATUS.INFO_LENGTH_MISMATCH;
        const o = k.L.UNICODE_STRING.off;
        const text = name ? a.ProcessInformation + BigInt(header) : 0n;
        if (name) k.m.writeWString(text, name);
        k.m.setU16(a.ProcessInformation + BigInt(o.Length), name.length * 2);
        k.m.setU16(a.ProcessInformation + BigInt(o.MaximumLength), name ? name.length * 2 + 2 : 0);
        k.m.setPtr(a.ProcessInformation + BigInt(o.Buffer), text);
        return STATUS.SUCCESS;
      }
      const ans = answer(k, p, a.ProcessInformationClass, a.ProcessInformationLength);
      if (ans.data) k.m.write(a.ProcessInformation, ans.data);
      if (a.ReturnLength !== 0n) k.m.setU32(a.ReturnLength, ans.returnLength);
      return ans.status;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'SeLocateProcessImageName',
    proto: 'NTSTATUS SeLocateProcessImageName(PEPROCESS Process, PUNICODE_STRING *pImageFileName)',
    params: { Process: 'ptr', pImageFileName: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const p = processArg(k, a.Process, 'SeLocateProcessImageName');
      // One paged-pool block: the UNICODE_STRING, then the NT path it points to; the caller frees it with ExFreePool.
      const name = ntImagePath(p);
      const header = k.L.UNICODE_STRING.size;
      const bytes = name ? name.length * 2 + 2 : 0;
      const block = k.pool.allocate(header + bytes, tagOf('SePa'), 1 /* PagedPool */, 'driver', k.symbolize(k.callerAddress()));
      if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
      const o = k.L.UNICODE_STRING.off;
      const text = name ? block + BigInt(header) : 0n;
      if (name) k.m.writeWString(text, name);
      k.m.setU16(block + BigInt(o.Length), name.length * 2);
      k.m.setU16(block + BigInt(o.MaximumLength), bytes);
      k.m.setPtr(block + BigInt(o.Buffer), text);
      k.m.setPtr(a.pImageFileName, block);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'PsGetProcessSectionBaseAddress',
    proto: 'PVOID PsGetProcessSectionBaseAddress(PEPROCESS Process)',
    params: { Process: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => {
      const p = processArg(k, a.Process, 'PsGetProcessSectionBaseAddress');
      // System has no main image (SectionBaseAddress NULL); the client's is where its program was mapped.
      if (p.kind === 'system') return 0n;
      if (p === k.ps.clientProcess && k.client) return k.client.base;
      throw new GuestStop('unsupported-call', `PsGetProcessSectionBaseAddress(${p.name}) from ${k.symbolize(k.callerAddress())}: ${p.name} runs no program in kdemu, so no image is mapped in it`, { export: 'ntoskrnl.exe!PsGetProcessSectionBaseAddress' });
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'PsGetProcessDebugPort',
    proto: 'PVOID PsGetProcessDebugPort(PEPROCESS Process)',
    params: { Process: 'ptr' },
    ret: 'ptr',
    // kdemu attaches no user-mode debugger to any process, so no process has a debug object.
    impl: (k, a) => (processArg(k, a.Process, 'PsGetProcessDebugPort'), 0n),
  }),
];

/** The process behind an EPROCESS pointer, or the fault Windows' dereference of a bad one would be. */
function processArg(k: Kernel, eprocess: bigint, routine: string): KProcess {
  const p = k.ps.processAt(eprocess);
  if (!p) throw new GuestStop('fault', `${routine}(${hex(eprocess)}) from ${k.symbolize(k.callerAddress())}: ${hex(eprocess)} is not a process object`, { export: `ntoskrnl.exe!${routine}` });
  return p;
}
