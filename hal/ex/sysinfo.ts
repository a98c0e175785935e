// ZwQuerySystemInformation: what the machine is, as the kernel reports it to drivers.
//
// kdemu's machine: one processor (the CPUID of emu/cpuid.ts), 4 GiB of physical memory in one run of pages (the count
// KUSER_SHARED_DATA shows), the 15.625 ms clock of ke/clock.ts, no kernel debugger (KdDebuggerEnabled 0,
// KdDebuggerNotPresent 1) and code integrity in test-signing mode: kdemu loads drivers without checking a signature,
// which on Windows is what test signing allows. The loaded modules are ntoskrnl.exe (whose exports kdemu serves from
// one region; hal.dll's come from the same region, so no separate hal.dll image exists to list) and every driver
// image, in load order. The processes are kdemu's (System, the client and those it created), with their threads.
//
// Each class has Windows' length rule: SystemBasicInformation wants the exact size, SystemTimeOfDayInformation takes
// any length up to its size and fills that much, the lists (SystemModuleInformation) report the length they need.
// Classes kdemu does not answer stop the run naming the class; classes no Windows version defines (0x100 and up) get
// STATUS_INVALID_INFO_CLASS.

import { ramPages } from '../mm/physical.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { BOOT_SYSTEM_TIME } from '../boot.js';
import { TIME_INCREMENT, systemTime } from '../ke/clock.js';
import { createTimeOf } from '../ps/process.js';
import { sessionOf } from '../ps/info.js';
import type { KThread } from '../ke/thread.js';

const SystemBasicInformation = 0;
const SystemTimeOfDayInformation = 3;
const SystemProcessInformation = 5;
const SystemModuleInformation = 11;
const SystemKernelDebuggerInformation = 35;
const SystemCodeIntegrityInformation = 103;
/** Above every class Windows 10 and 11 define. */
const BEYOND_ANY_CLASS = 0x100;

const CODEINTEGRITY_OPTION_ENABLED = 0x01;
const CODEINTEGRITY_OPTION_TESTSIGN = 0x02;

/** A class's answer: the status, the bytes written at the buffer, and the length to report. */
interface Answer {
  status: number;
  data?: Uint8Array;
  returnLength: number;
}

/** Little-endian writer over a fresh buffer laid out per k.L. */
function buffer(size: number): { b: Uint8Array; v: DataView } {
  const b = new Uint8Array(size);
  return { b, v: new DataView(b.buffer) };
}

function setPtr(k: Kernel, v: DataView, off: number, value: bigint): void {
  if (k.ptrSize === 8) v.setBigUint64(off, value, true);
  else v.setUint32(off, Number(value & 0xffffffffn), true);
}

function basic(k: Kernel, length: number): Answer {
  const L = k.L.SYSTEM_BASIC_INFORMATION;
  if (length !== L.size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: L.size };
  const { b, v } = buffer(L.size);
  const o = L.off;
  const ram = ramPages(k.arch);
  v.setUint32(o.TimerResolution, Number(TIME_INCREMENT), true);
  v.setUint32(o.PageSize, 0x1000, true);
  v.setUint32(o.NumberOfPhysicalPages, ram.count, true);
  v.setUint32(o.LowestPhysicalPageNumber, ram.lowest, true);
  v.setUint32(o.HighestPhysicalPageNumber, ram.highest, true);
  v.setUint32(o.AllocationGranularity, 0x10000, true);
  setPtr(k, v, o.MinimumUserModeAddress, 0x10000n);
  setPtr(k, v, o.MaximumUserModeAddress, k.ptrSize === 8 ? 0x7ffffffeffffn : 0x7ffeffffn);
  setPtr(k, v, o.ActiveProcessorsAffinityMask, 1n);
  b[o.NumberOfProcessors] = 1;
  return { status: STATUS.SUCCESS, data: b, returnLength: L.size };
}

function timeOfDay(k: Kernel, length: number): Answer {
  const L = k.L.SYSTEM_TIMEOFDAY_INFORMATION;
  if (length > L.size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: L.size };
  const { b, v } = buffer(L.size);
  v.setBigUint64(L.off.BootTime, BOOT_SYSTEM_TIME, true);
  v.setBigUint64(L.off.CurrentTime, systemTime(k), true);
  // The machine's clock is UTC: no bias, TIME_ZONE_ID_UNKNOWN; it never slept.
  return { status: STATUS.SUCCESS, data: b.slice(0, length), returnLength: length };
}

/** The kernel images: ntoskrnl.exe, then the drivers in load order (user-mode images are not system modules). */
function kernelModules(k: Kernel): { path: string; base: bigint; size: number }[] {
  const out: { path: string; base: bigint; size: number }[] = [];
  // IoCreateDriver's drivers share their creator's image: each image once.
  for (const d of k.io.drivers) if (!out.some((m) => m.base === d.image.base)) out.push({ path: `\\SystemRoot\\system32\\drivers\\${d.image.name}`, base: d.image.base, size: d.image.size });
  const nt = k.modules.find((m) => m.name === 'ntoskrnl.exe')!;
  return [{ path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: nt.base, size: nt.size }, ...out];
}

function modules(k: Kernel, length: number): Answer {
  const list = kernelModules(k);
  const M = k.L.RTL_PROCESS_MODULE_INFORMATION;
  const first = k.L.RTL_PROCESS_MODULES.off.Modules;
  const need = first + list.length * M.size;
  const { b, v } = buffer(need);
  v.setUint32(0, list.length, true);
  if (length < need) {
    // Too small: the count still goes back when it fits, with the length needed.
    return { status: STATUS.INFO_LENGTH_MISMATCH, data: length >= 4 ? b.slice(0, 4) : undefined, returnLength: need };
  }
  list.forEach((mod, i) => {
    const at = first + i * M.size;
    const o = M.off;
    // Section and MappedBase stay NULL for kernel modules; Flags are the loader's and kdemu keeps none.
    setPtr(k, v, at + o.ImageBase, mod.base);
    v.setUint32(at + o.ImageSize, mod.size, true);
    v.setUint16(at + o.LoadOrderIndex, i, true);
    v.setUint16(at + o.InitOrderIndex, i, true);
    v.setUint16(at + o.LoadCount, 1, true);
    v.setUint16(at + o.OffsetToFileName, mod.path.lastIndexOf('\\') + 1, true);
    for (let c = 0; c < mod.path.length && c < 255; c++) b[at + o.FullPathName + c] = mod.path.charCodeAt(c);
  });
  return { status: STATUS.SUCCESS, data: b, returnLength: need };
}

/** KTHREAD_STATE of a thread as the scheduler has it: one processor, so only the current thread is Running. */
function threadState(k: Kernel, t: KThread): number {
  if (t === k.ps.current) return 2; // Running
  switch (t.state) {
    case 'initialized': return 0; // Initialized
    case 'ready': case 'running': return 1; // Ready
    case 'terminated': return 4; // Terminated
    default: return 5; // Waiting
  }
}

/**
 * SystemProcessInformation: each live process, then its live threads, then its image name; NextEntryOffset chains
 * the entries (0 in the last). CPU times, memory and I/O counters are ones kdemu does not keep: they read 0, as do
 * the threads' wait reasons (Executive).
 */
function processes(k: Kernel, buf: bigint, length: number): Answer {
  const P = k.L.SYSTEM_PROCESS_INFORMATION;
  const T = k.L.SYSTEM_THREAD_INFORMATION;
  const live = k.ps.processes.filter((p) => p.exitCode === undefined);
  const entries = live.map((p) => {
    const threads = p.threads.filter((t) => t.state !== 'terminated');
    const name = p.kind === 'system' ? '' : p.name;
    const size = (P.size + threads.length * T.size + (name ? name.length * 2 + 2 : 0) + 7) & ~7;
    return { p, threads, name, size };
  });
  const need = entries.reduce((n, e) => n + e.size, 0);
  if (length < need) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: need };
  const { b, v } = buffer(need);
  let at = 0;
  entries.forEach((e, i) => {
    const o = P.off;
    v.setUint32(at + o.NextEntryOffset, i + 1 < entries.length ? e.size : 0, true);
    v.setUint32(at + o.NumberOfThreads, e.threads.length, true);
    v.setUint32(at + o.NumberOfThreadsHighWatermark, e.p.threads.length, true);
    v.setBigUint64(at + o.CreateTime, createTimeOf(e.p), true);
    v.setInt32(at + o.BasePriority, 8, true);
    setPtr(k, v, at + o.UniqueProcessId, BigInt(e.p.pid));
    setPtr(k, v, at + o.InheritedFromUniqueProcessId, BigInt(e.p.parentPid));
    const handles = k.ob.handlesOf(e.p).length + (e.p === k.ps.clientProcess ? [...k.io.files.values()].filter((f) => !f.kernel).length : 0);
    v.setUint32(at + o.HandleCount, handles, true);
    v.setUint32(at + o.SessionId, sessionOf(e.p), true);
    const nameAt = at + P.size + e.threads.length * T.size;
    if (e.name) {
      v.setUint16(at + o['ImageName.Length'], e.name.length * 2, true);
      v.setUint16(at + o['ImageName.MaximumLength'], e.name.length * 2 + 2, true);
      setPtr(k, v, at + o['ImageName.Buffer'], buf + BigInt(nameAt));
      for (let c = 0; c < e.name.length; c++) v.setUint16(nameAt + 2 * c, e.name.charCodeAt(c), true);
    }
    e.threads.forEach((t, j) => {
      const ta = at + P.size + j * T.size;
      const to = T.off;
      v.setBigUint64(ta + to.CreateTime, createTimeOf(t), true);
      setPtr(k, v, ta + to.StartAddress, t.start);
      setPtr(k, v, ta + to['ClientId.UniqueProcess'], BigInt(e.p.pid));
      setPtr(k, v, ta + to['ClientId.UniqueThread'], BigInt(t.tid));
      v.setInt32(ta + to.Priority, t.priority, true);
      v.setInt32(ta + to.BasePriority, t.priority, true);
      v.setUint32(ta + to.ThreadState, threadState(k, t), true);
    });
    at += e.size;
  });
  return { status: STATUS.SUCCESS, data: b, returnLength: need };
}

function kernelDebugger(k: Kernel, length: number): Answer {
  const L = k.L.SYSTEM_KERNEL_DEBUGGER_INFORMATION;
  if (length < L.size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: L.size };
  // The same answer as the KdDebuggerEnabled and KdDebuggerNotPresent variables.
  const read = (name: string) => k.m.actingAs(-1, () => k.m.u8(k.resolveImport('ntoskrnl.exe', name)));
  const b = new Uint8Array(L.size);
  b[L.off.KernelDebuggerEnabled] = read('KdDebuggerEnabled');
  b[L.off.KernelDebuggerNotPresent] = read('KdDebuggerNotPresent');
  return { status: STATUS.SUCCESS, data: b, returnLength: L.size };
}

function codeIntegrity(k: Kernel, buf: bigint, length: number): Answer {
  const L = k.L.SYSTEM_CODEINTEGRITY_INFORMATION;
  // The caller states the structure's size in Length; the buffer and that field must both be the size.
  if (length !== L.size || k.m.u32(buf + BigInt(L.off.Length)) !== L.size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: L.size };
  const { b, v } = buffer(L.size);
  v.setUint32(L.off.Length, L.size, true);
  v.setUint32(L.off.CodeIntegrityOptions, CODEINTEGRITY_OPTION_ENABLED | CODEINTEGRITY_OPTION_TESTSIGN, true);
  return { status: STATUS.SUCCESS, data: b, returnLength: L.size };
}

export function querySystemInformation(k: Kernel, cls: number, buf: bigint, length: number, returnLength: bigint): number {
  let a: Answer;
  switch (cls) {
    case SystemBasicInformation: a = basic(k, length); break;
    case SystemTimeOfDayInformation: a = timeOfDay(k, length); break;
    case SystemProcessInformation: a = processes(k, buf, length); break;
    case SystemModuleInformation: a = modules(k, length); break;
    case SystemKernelDebuggerInformation: a = kernelDebugger(k, length); break;
    case SystemCodeIntegrityInformation: a = codeIntegrity(k, buf, length); break;
    default:
      if (cls >= BEYOND_ANY_CLASS) return STATUS.INVALID_INFO_CLASS;
      throw new GuestStop('unsupported-call', `ZwQuerySystemInformation class ${cls} (0x${cls.toString(16)}), called from ${k.symbolize(k.callerAddress())}: kdemu answers SystemBasicInformation, SystemTimeOfDayInformation, SystemProcessInformation, SystemModuleInformation, SystemKernelDebuggerInformation and SystemCodeIntegrityInformation`, { export: 'ntoskrnl.exe!ZwQuerySystemInformation' });
  }
  if (a.data && a.data.length) k.m.write(buf, a.data);
  if (returnLength !== 0n) k.m.setU32(returnLength, a.returnLength);
  return a.status;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwQuerySystemInformation',
    proto: 'NTSTATUS ZwQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass, PVOID SystemInformation, ULONG SystemInformationLength, PULONG ReturnLength)',
    params: { SystemInformationClass: 'u32', SystemInformation: 'ptr', SystemInformationLength: 'u32', ReturnLength: 'ptr' }, ret: 'status',
    impl: (k, a) => querySystemInformation(k, a.SystemInformationClass, a.SystemInformation, a.SystemInformationLength, a.ReturnLength),
  }),
];
