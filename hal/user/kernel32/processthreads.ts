// kernel32's processes and threads: CreateProcess (a synthetic child), TerminateProcess, OpenProcess,
// GetExitCodeProcess, GetProcessId; CreateThread, ExitThread, GetExitCodeThread, GetThreadId, ResumeThread.
//
// A child process runs no code (ps/notify.ts): it exists, has a pid and an initial thread, fires the drivers' notify
// routines, and ends when terminated. A thread the program creates runs its routine at CPL3 on a stack and TEB of its
// own, scheduled with the others (ke/scheduler.ts); returning from the routine is ExitThread with its value.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { rtlNtStatusToDosError } from '../../rtl/ntstatus.js';
import { mapGeneric } from '../../ob/handle.js';
import { spawnProcess, terminateProcess, threadCreated } from '../../ps/notify.js';
import { ThreadExit } from '../../ke/scheduler.js';
import { ClientExit, clientOf } from '../process.js';
import { ERROR, k32, setLastError } from './common.js';
import { objectOf } from './sync.js';

const STILL_ACTIVE = 259;
const PROCESS_TERMINATE = 0x1;
const PROCESS_QUERY_INFORMATION = 0x400;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const THREAD_QUERY_INFORMATION = 0x40;
const THREAD_QUERY_LIMITED_INFORMATION = 0x800;
const THREAD_SUSPEND_RESUME = 0x2;
const CREATE_SUSPENDED = 0x4;
const PROCESS_ALL_ACCESS = 0x1fffff;
const THREAD_ALL_ACCESS = 0x1fffff;
/** The stack a thread gets (kdemu gives every user thread one size; the program's request is a hint). */
const USER_STACK_SIZE = 0x100000;

/** The process behind a handle (or the pseudo handle), with the access it grants. */
function processOf(k: Kernel, h: bigint) {
  if (h === k.ob.pseudo(1)) return { process: k.ps.clientProcess, access: PROCESS_ALL_ACCESS };
  const e = objectOf(k, h, 'Process');
  return e ? { process: k.ps.processAt(e.object.body)!, access: e.access } : undefined;
}

function threadOf(k: Kernel, h: bigint) {
  if (h === k.ob.pseudo(2)) return { thread: k.ps.current, access: THREAD_ALL_ACCESS };
  const e = objectOf(k, h, 'Thread');
  return e ? { thread: k.ps.threadAt(e.object.body)!, access: e.access } : undefined;
}

/**
 * The image a CreateProcess call names: lpApplicationName, else the command line's first token; a bare name is
 * found in the system directory, and ".exe" is added to a name without an extension.
 */
function imageOf(app: string | undefined, cmd: string | undefined): string | undefined {
  let name = app;
  if (!name && cmd) {
    const m = /^\s*(?:"([^"]*)"|(\S+))/.exec(cmd);
    name = m?.[1] ?? m?.[2];
  }
  if (!name) return undefined;
  if (!/\.[^\\/.]*$/.test(name)) name += '.exe';
  if (!/[\\/]/.test(name)) name = `C:\\Windows\\System32\\${name}`;
  return name;
}

function createProcess(k: Kernel, appP: bigint, cmdP: bigint, pi: bigint, wide: boolean): number {
  const read = (p: bigint) => (p === 0n ? undefined : wide ? k.m.wstring(p) : String.fromCharCode(...k.m.cstring(p)));
  const app = read(appP);
  const cmd = read(cmdP);
  const image = imageOf(app, cmd);
  if (!image) {
    setLastError(k, ERROR.INVALID_PARAMETER);
    return 0;
  }
  const r = spawnProcess(k, k.ps.clientProcess, image, cmd ?? `"${image}"`);
  if ('status' in r) {
    setLastError(k, rtlNtStatusToDosError(r.status));
    return 0;
  }
  const hp = k.ob.insert(k.ob.at(r.process.eprocess)!, PROCESS_ALL_ACCESS, false);
  const ht = k.ob.insert(k.ob.at(r.thread.ethread)!, THREAD_ALL_ACCESS, false);
  // PROCESS_INFORMATION: hProcess, hThread, dwProcessId, dwThreadId.
  const p = BigInt(k.ptrSize);
  k.m.setPtr(pi, hp);
  k.m.setPtr(pi + p, ht);
  k.m.setU32(pi + 2n * p, r.process.pid);
  k.m.setU32(pi + 2n * p + 4n, r.thread.tid);
  setLastError(k, ERROR.SUCCESS);
  return 1;
}

function createThread(k: Kernel, start: bigint, param: bigint, flags: number, tidP: bigint): bigint {
  const c = clientOf(k);
  const t = k.m.actingAs(0, () => k.ps.createThread(k.ps.clientProcess, start, param, true));
  t.teb = c.newTeb(t.userStack + 0x40n, USER_STACK_SIZE, t.tid);
  const h = k.ob.insert(k.ob.at(t.ethread)!, THREAD_ALL_ACCESS, false);
  if (tidP !== 0n) k.m.setU32(tidP, t.tid);
  threadCreated(k, t);
  if (flags & CREATE_SUSPENDED) t.suspendCount = 1;
  else k.sched.ready(t);
  setLastError(k, ERROR.SUCCESS);
  return h;
}

export const exports = [
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `CreateProcess${w}`,
      proto: `BOOL CreateProcess${w}(LPC${w === 'W' ? 'W' : ''}STR lpApplicationName, LP${w === 'W' ? 'W' : ''}STR lpCommandLine, LPSECURITY_ATTRIBUTES lpProcessAttributes, LPSECURITY_ATTRIBUTES lpThreadAttributes, BOOL bInheritHandles, DWORD dwCreationFlags, LPVOID lpEnvironment, LPC${w === 'W' ? 'W' : ''}STR lpCurrentDirectory, LPSTARTUPINFO${w} lpStartupInfo, LPPROCESS_INFORMATION lpProcessInformation)`,
      params: { lpApplicationName: w === 'W' ? 'pwstr' : 'pstr', lpCommandLine: w === 'W' ? 'pwstr' : 'pstr', lpProcessAttributes: 'ptr', lpThreadAttributes: 'ptr', bInheritHandles: 'u32', dwCreationFlags: 'u32', lpEnvironment: 'ptr', lpCurrentDirectory: 'ptr', lpStartupInfo: 'ptr', lpProcessInformation: 'ptr' },
      ret: 'i32',
      impl: (k, a) => createProcess(k, a.lpApplicationName, a.lpCommandLine, a.lpProcessInformation, w === 'W'),
    }),
  ),
  defineExport({
    ...k32, name: 'TerminateProcess',
    proto: 'BOOL TerminateProcess(HANDLE hProcess, UINT uExitCode)',
    params: { hProcess: 'handle', uExitCode: 'u32' }, ret: 'i32',
    impl: (k, a) => {
      const r = processOf(k, a.hProcess);
      if (!r) {
        setLastError(k, ERROR.INVALID_HANDLE);
        return 0;
      }
      if (!(r.access & PROCESS_TERMINATE) || r.process.exitCode !== undefined || r.process.kind === 'system') {
        setLastError(k, ERROR.ACCESS_DENIED);
        return 0;
      }
      if (r.process === k.ps.clientProcess) throw new ClientExit(a.uExitCode);
      terminateProcess(k, r.process, a.uExitCode);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'OpenProcess',
    proto: 'HANDLE OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId)',
    params: { dwDesiredAccess: 'access', bInheritHandle: 'u32', dwProcessId: 'u32' }, ret: 'handle',
    impl: (k, a) => {
      const p = k.ps.byPid(a.dwProcessId);
      if (!p || a.dwProcessId === 0 || !k.ob.at(p.eprocess)) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0n;
      }
      // The System process: only the limited rights are open to a program.
      const want = mapGeneric('Process', a.dwDesiredAccess);
      if (p.kind === 'system' && (want & ~(PROCESS_QUERY_LIMITED_INFORMATION | 0x100000)) !== 0) {
        setLastError(k, ERROR.ACCESS_DENIED);
        return 0n;
      }
      setLastError(k, ERROR.SUCCESS);
      return k.ob.insert(k.ob.at(p.eprocess)!, want, false);
    },
  }),
  defineExport({
    ...k32, name: 'GetExitCodeProcess',
    proto: 'BOOL GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode)',
    params: { hProcess: 'handle', lpExitCode: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      const r = processOf(k, a.hProcess);
      if (!r || !(r.access & (PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION))) {
        setLastError(k, r ? ERROR.ACCESS_DENIED : ERROR.INVALID_HANDLE);
        return 0;
      }
      k.m.setU32(a.lpExitCode, r.process.exitCode ?? STILL_ACTIVE);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'GetProcessId',
    proto: 'DWORD GetProcessId(HANDLE Process)',
    params: { Process: 'handle' }, ret: 'u32',
    impl: (k, a) => {
      const r = processOf(k, a.Process);
      if (!r) setLastError(k, ERROR.INVALID_HANDLE);
      return r?.process.pid ?? 0;
    },
  }),
  defineExport({
    ...k32, name: 'CreateThread',
    proto: 'HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize, LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags, LPDWORD lpThreadId)',
    params: { lpThreadAttributes: 'ptr', dwStackSize: 'usize', lpStartAddress: 'ptr', lpParameter: 'ptr', dwCreationFlags: 'u32', lpThreadId: 'ptr' }, ret: 'handle',
    impl: (k, a) => createThread(k, a.lpStartAddress, a.lpParameter, a.dwCreationFlags, a.lpThreadId),
  }),
  defineExport({
    ...k32, name: 'ResumeThread',
    proto: 'DWORD ResumeThread(HANDLE hThread)',
    params: { hThread: 'handle' }, ret: 'u32',
    impl: (k, a) => {
      const r = threadOf(k, a.hThread);
      if (!r || !(r.access & THREAD_SUSPEND_RESUME)) {
        setLastError(k, r ? ERROR.ACCESS_DENIED : ERROR.INVALID_HANDLE);
        return 0xffffffff;
      }
      const t = r.thread;
      const previous = t.suspendCount;
      if (previous > 0) {
        t.suspendCount--;
        if (t.suspendCount === 0 && !t.started && t.state === 'initialized') k.sched.ready(t);
      }
      return previous;
    },
  }),
  defineExport({
    ...k32, name: 'ExitThread',
    proto: 'VOID ExitThread(DWORD dwExitCode)',
    params: { dwExitCode: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const t = k.ps.current;
      if (t.user) throw new ThreadExit(t, a.dwExitCode);
      // The main thread: the process lives on while its other threads do, and ends with the last.
      const others = () => k.ps.clientProcess.threads.filter((x) => x !== t && x.state !== 'terminated');
      k.m.actingAs(0, () => k.sched.wait({ what: `kernel32.dll!ExitThread of the main thread, waiting for the process's other threads to end`, ready: () => others().length === 0 }, () => undefined));
      throw new ClientExit(a.dwExitCode);
    },
  }),
  defineExport({
    ...k32, name: 'GetExitCodeThread',
    proto: 'BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)',
    params: { hThread: 'handle', lpExitCode: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      const r = threadOf(k, a.hThread);
      if (!r || !(r.access & (THREAD_QUERY_INFORMATION | THREAD_QUERY_LIMITED_INFORMATION))) {
        setLastError(k, r ? ERROR.ACCESS_DENIED : ERROR.INVALID_HANDLE);
        return 0;
      }
      k.m.setU32(a.lpExitCode, r.thread.state === 'terminated' ? r.thread.exitStatus ?? 0 : STILL_ACTIVE);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'GetThreadId',
    proto: 'DWORD GetThreadId(HANDLE Thread)',
    params: { Thread: 'handle' }, ret: 'u32',
    impl: (k, a) => {
      const r = threadOf(k, a.Thread);
      if (!r) setLastError(k, ERROR.INVALID_HANDLE);
      return r?.thread.tid ?? 0;
    },
  }),
];

