// Processes and threads as drivers see them: the System process, the user process issuing I/O, current-context exports.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

export const enum ProcessContext {
  System = 0,
  User = 1,
}

/** Opaque EPROCESS/ETHREAD blocks: only their DISPATCHER_HEADER is defined (KPROCESS/KTHREAD start with one). */
const EPROCESS_SIZE = 0x800;
const ETHREAD_SIZE = 0x800;
const ProcessObject = 3;
const ThreadObject = 6;

interface Proc {
  pid: number;
  tid: number;
  eprocess: bigint;
  ethread: bigint;
  name: string;
}

export class Processes {
  /** System (pid 4) runs DriverEntry and unload; the user process (a fixed pid) issues the I/O requests. */
  private readonly procs: Proc[];
  private current: ProcessContext = ProcessContext.System;
  /** Called when the current thread changes, so the KPCR's CurrentThread follows. */
  onSwitch: (thread: bigint) => void = () => {};

  constructor(private readonly k: Kernel) {
    this.procs = [this.make(4, 8, 'System'), this.make(0x1a4, 0x1a8, 'client.exe')];
  }

  private make(pid: number, tid: number, name: string): Proc {
    const k = this.k;
    const eprocess = k.systemAlloc(EPROCESS_SIZE, 16);
    const ethread = k.systemAlloc(ETHREAD_SIZE, 16);
    k.m.setU8(eprocess, ProcessObject);
    k.m.setU8(eprocess + 2n, Math.min(EPROCESS_SIZE / 4, 0xff));
    k.m.setU8(ethread, ThreadObject);
    k.m.setU8(ethread + 2n, Math.min(ETHREAD_SIZE / 4, 0xff));
    return { pid, tid, eprocess, ethread, name };
  }

  private get cur(): Proc {
    return this.procs[this.current];
  }

  get currentThread(): bigint {
    return this.cur.ethread;
  }

  get currentProcess(): bigint {
    return this.cur.eprocess;
  }

  /** 'Process' or 'Thread' when the address is one of the EPROCESS/ETHREAD objects kdemu created. */
  objectAt(address: bigint): 'Process' | 'Thread' | undefined {
    for (const p of this.procs) {
      if (p.eprocess === address) return 'Process';
      if (p.ethread === address) return 'Thread';
    }
    return undefined;
  }

  get pid(): number {
    return this.cur.pid;
  }

  /** The user process's ids (the client's GetCurrentProcessId / GetCurrentThreadId). */
  get userPid(): number {
    return this.procs[ProcessContext.User].pid;
  }
  get userTid(): number {
    return this.procs[ProcessContext.User].tid;
  }

  get tid(): number {
    return this.cur.tid;
  }

  /** The current process context. */
  get context(): ProcessContext {
    return this.current;
  }

  /** Switches to a process context (I/O requests run in the caller's context); returns the previous one. */
  enter(ctx: ProcessContext): ProcessContext {
    const prev = this.current;
    this.current = ctx;
    if (prev !== ctx) this.onSwitch(this.currentThread);
    return prev;
  }

  leave(prev: ProcessContext): void {
    this.enter(prev);
  }
}

const ps = { module: 'ntoskrnl.exe', cc: 'stdcall', params: {} } as const;

export const exports = [
  defineExport({ ...ps, name: 'PsGetCurrentProcessId', proto: 'HANDLE PsGetCurrentProcessId(VOID)', ret: 'handle', impl: (k) => BigInt(k.ps.pid) }),
  defineExport({ ...ps, name: 'PsGetCurrentThreadId', proto: 'HANDLE PsGetCurrentThreadId(VOID)', ret: 'handle', impl: (k) => BigInt(k.ps.tid) }),
  defineExport({ ...ps, name: 'IoGetCurrentProcess', proto: 'PEPROCESS IoGetCurrentProcess(VOID)', ret: 'ptr', impl: (k) => k.ps.currentProcess }),
  defineExport({ ...ps, name: 'PsGetCurrentProcess', proto: 'PEPROCESS PsGetCurrentProcess(VOID)', ret: 'ptr', impl: (k) => k.ps.currentProcess }),
  defineExport({ ...ps, name: 'PsGetCurrentThread', proto: 'PETHREAD PsGetCurrentThread(VOID)', ret: 'ptr', impl: (k) => k.ps.currentThread }),
  defineExport({ ...ps, name: 'KeGetCurrentThread', proto: 'PKTHREAD KeGetCurrentThread(VOID)', ret: 'ptr', impl: (k) => k.ps.currentThread }),
];
