// What drivers ask about a process: its session, parent, PEB, WOW64 state, and the previous processor mode.
//
// kdemu's model: the System process (and its threads: DriverEntry, system threads, work items) is in session 0; the
// client process, where the program under test or the CLI's requests come from, is an interactive process in
// session 1, and the processes it creates join its session. The client is built for the machine's own architecture
// (an x64 program on x64, an x86 one on x86), so no process is a WOW64 process. A thread of a user process is only
// ever in the kernel through a system service it called (an I/O request), so its previous mode there is UserMode;
// system threads' is KernelMode.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { createTimeOf, type KProcess } from './process.js';

export const KernelMode = 0;
export const UserMode = 1;

/** The previous mode of the current thread: UserMode in a user process's thread, KernelMode in a system thread. */
export function previousMode(k: Kernel): number {
  return k.ps.current.process.kind === 'system' ? KernelMode : UserMode;
}

/** The session a process is in: 0 for System, 1 for the client and the processes it made. */
export function sessionOf(p: KProcess): number {
  return p.kind === 'system' ? 0 : 1;
}

function processArg(k: Kernel, eprocess: bigint, routine: string): KProcess {
  const p = k.ps.processAt(eprocess);
  if (!p) throw new GuestStop('fault', `${routine}(${hex(eprocess)}) from ${k.symbolize(k.callerAddress())}: ${hex(eprocess)} is not a process object`, { export: `ntoskrnl.exe!${routine}` });
  return p;
}

const ps = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ps, name: 'PsGetProcessSessionId', proto: 'ULONG PsGetProcessSessionId(PEPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'u32',
    impl: (k, a) => sessionOf(processArg(k, a.Process, 'PsGetProcessSessionId')),
  }),
  defineExport({
    ...ps, name: 'PsGetCurrentProcessSessionId', proto: 'ULONG PsGetCurrentProcessSessionId(VOID)',
    params: {}, ret: 'u32',
    impl: (k) => sessionOf(k.ps.currentKProcess),
  }),
  defineExport({
    ...ps, name: 'PsGetProcessInheritedFromUniqueProcessId', proto: 'HANDLE PsGetProcessInheritedFromUniqueProcessId(PEPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'handle',
    impl: (k, a) => BigInt(processArg(k, a.Process, 'PsGetProcessInheritedFromUniqueProcessId').parentPid),
  }),
  defineExport({
    ...ps, name: 'PsGetProcessCreateTimeQuadPart', proto: 'LONGLONG PsGetProcessCreateTimeQuadPart(PEPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'i64',
    // The system time when kdemu created it (System and the client: at boot).
    impl: (k, a) => createTimeOf(processArg(k, a.Process, 'PsGetProcessCreateTimeQuadPart')),
  }),
  defineExport({
    ...ps, name: 'PsGetCurrentThreadProcessId', proto: 'HANDLE PsGetCurrentThreadProcessId(VOID)',
    params: {}, ret: 'handle',
    impl: (k) => BigInt(k.ps.pid),
  }),
  defineExport({
    ...ps, name: 'PsGetProcessPeb', proto: 'PPEB PsGetProcessPeb(PEPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const p = processArg(k, a.Process, 'PsGetProcessPeb');
      // The System process has no user address space, hence no PEB.
      if (p.kind === 'system') return 0n;
      if (p === k.ps.clientProcess && k.client) return k.client.peb;
      throw new GuestStop('unsupported-call', `PsGetProcessPeb(${hex(a.Process)}) from ${k.symbolize(k.callerAddress())}: ${p.name} has no user address space in kdemu (only a client program's process has a PEB)`, { export: 'ntoskrnl.exe!PsGetProcessPeb' });
    },
  }),
  defineExport({
    ...ps, name: 'PsGetProcessWow64Process', arch: 'x64', proto: 'PVOID PsGetProcessWow64Process(PEPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      processArg(k, a.Process, 'PsGetProcessWow64Process');
      return 0n; // no WOW64 process: every client is a 64-bit program
    },
  }),
  defineExport({
    ...ps, name: 'PsGetCurrentProcessWow64Process', arch: 'x64', proto: 'PVOID PsGetCurrentProcessWow64Process(VOID)',
    params: {}, ret: 'ptr',
    impl: () => 0n,
  }),
  defineExport({
    ...ps, name: 'ExGetPreviousMode', proto: 'KPROCESSOR_MODE ExGetPreviousMode(VOID)',
    params: {}, ret: 'u8',
    impl: (k) => previousMode(k),
  }),
  defineExport({
    ...ps, name: 'KeGetPreviousMode', arch: 'x86', proto: 'KPROCESSOR_MODE KeGetPreviousMode(VOID)',
    params: {}, ret: 'u8',
    impl: (k) => previousMode(k),
  }),
];
