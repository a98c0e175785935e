// Processes and threads as drivers see them: EPROCESS/ETHREAD objects with stable ids and image names, the current
// process and thread, and the exports that name them.
//
// Ids come from one counter, as Windows' client-id table hands out process and thread ids alike in steps of 4: the
// System process is 4 with its thread 8, the client 0x1A4 with its main thread 0x1A8, and every process or thread
// created after them gets the next free id, in creation order, so every run sees the same ids.

import { Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import type { KThread } from '../ke/thread.js';
import { STATUS } from '../rtl/ntstatus.js';
import { systemTime } from '../ke/clock.js';

export const enum ProcessContext {
  System = 0,
  User = 1,
}

/** KOBJECTS: DISPATCHER_HEADER.Type of processes and threads. */
export const ProcessObject = 3;
export const ThreadObject = 6;

/**
 * Opaque EPROCESS/ETHREAD blocks, as large as Windows 10's, with the fields drivers commonly read by offset where
 * Windows 10 (19041) has them: UniqueProcessId and ImageFileName in the EPROCESS.
 */
const EPROCESS = { x64: { size: 0xa40, pid: 0x440, imageFileName: 0x5a8 }, x86: { size: 0x2c0, pid: 0xb4, imageFileName: 0x17c } } as const;
const ETHREAD_SIZE = { x64: 0x898, x86: 0x4a0 } as const;

/** Priorities: the base priority of threads in a normal process and of system threads. */
export const NORMAL_PRIORITY = 8;

export interface KProcess {
  readonly pid: number;
  readonly parentPid: number;
  /** The image file name (notepad.exe), as PsGetProcessImageFileName gives its first 15 characters. */
  name: string;
  /** The full image path (C:\Windows\System32\notepad.exe). */
  imagePath: string;
  readonly eprocess: bigint;
  /** 'system': System; 'client': the program under test (or the CLI's requests); 'synthetic': created, runs no code. */
  readonly kind: 'system' | 'client' | 'synthetic';
  exitCode?: number;
  readonly threads: KThread[];
}

/** Where thread stacks go: kernel stacks (with a guard page between) and user stacks, one slot per thread. */
const STACKS = {
  x64: { kernel: 0xfffff88010000000n, kernelSize: 0x6000, user: 0x0000000070000000n, userSize: 0x100000, slot: 0x10000n, userSlot: 0x110000n },
  x86: { kernel: 0x8f100000n, kernelSize: 0x3000, user: 0x70000000n, userSize: 0x100000, slot: 0x10000n, userSlot: 0x110000n },
} as const;
// x64: 2,048 user stack slots end at 0xF8000000, below where programs are based (0x140000000); x86: 224 end below the
// user data region.
const MAX_THREAD_SLOTS = { x64: 2048, x86: 224 } as const;

export class Processes {
  readonly processes: KProcess[] = [];
  readonly threads: KThread[] = [];
  private nextId = 0x1ac;
  private thread!: KThread;
  private readonly roots: [KThread, KThread];
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  /** Called when the current thread changes, so the KPCR's CurrentThread follows. */
  onSwitch: (thread: bigint) => void = () => {};

  constructor(private readonly k: Kernel) {
    const system = this.newProcess(4, 0, 'System', 'System', 'system');
    const client = this.newProcess(0x1a4, 0x3e8, 'client.exe', 'C:\\kdemu\\client.exe', 'client');
    this.roots = [this.newThread(system, 8, { root: true }), this.newThread(client, 0x1a8, { root: true })];
    for (const t of this.roots) t.state = 'running';
    this.thread = this.roots[0];
  }

  private newProcess(pid: number, parentPid: number, name: string, imagePath: string, kind: KProcess['kind']): KProcess {
    // The kernel's own bookkeeping, whoever's call creates the process.
    return this.k.m.actingAs(-1, () => this.buildProcess(pid, parentPid, name, imagePath, kind));
  }

  private buildProcess(pid: number, parentPid: number, name: string, imagePath: string, kind: KProcess['kind']): KProcess {
    const k = this.k;
    const L = EPROCESS[k.arch];
    const eprocess = k.systemAlloc(L.size, 16);
    k.m.setU8(eprocess, ProcessObject);
    k.m.setU8(eprocess + 2n, Math.min(L.size / 4, 0xff));
    k.m.setPtr(eprocess + BigInt(L.pid), BigInt(pid));
    k.m.write(eprocess + BigInt(L.imageFileName), imageFileName(name));
    const p: KProcess = { pid, parentPid, name, imagePath, eprocess, kind, threads: [] };
    createTimes.set(p, systemTime(k));
    this.processes.push(p);
    // The process holds itself while it lives; handles and drivers' references keep its object after that.
    k.ob.create('Process', eprocess, { systemRefs: 1 });
    return p;
  }

  private newThread(process: KProcess, tid: number, o: { root?: boolean; start?: bigint; param?: bigint; user?: boolean }): KThread {
    return this.k.m.actingAs(-1, () => this.buildThread(process, tid, o));
  }

  private buildThread(process: KProcess, tid: number, o: { root?: boolean; start?: bigint; param?: bigint; user?: boolean }): KThread {
    const k = this.k;
    const size = ETHREAD_SIZE[k.arch];
    const ethread = k.systemAlloc(size, 16);
    k.m.setU8(ethread, ThreadObject);
    k.m.setU8(ethread + 2n, Math.min(size / 4, 0xff));
    const t: KThread = {
      tid, process, ethread, start: o.start ?? 0n, param: o.param ?? 0n, user: o.user === true, root: o.root === true,
      priority: NORMAL_PRIORITY, state: 'initialized', seq: 0, baseDepth: -1, started: false,
      returnTrap: 0n, expectSp: 0n, kernelStack: 0n, userStack: 0n, teb: 0n, fx: k.systemAlloc(512, 16), mutants: new Set(), suspendCount: 0,
    };
    createTimes.set(t, systemTime(k));
    process.threads.push(t);
    this.threads.push(t);
    k.ob.create('Thread', ethread, { systemRefs: 1 });
    return t;
  }

  /** The next process or thread id. */
  private id(): number {
    const id = this.nextId;
    this.nextId += 4;
    return id;
  }

  /** A process that runs no code (CreateProcess from the client, --spawn): its EPROCESS and pid. */
  createProcess(parent: KProcess, imagePath: string): KProcess {
    const name = imagePath.split(/[\\/]/).pop() ?? imagePath;
    const p = this.newProcess(this.id(), parent.pid, name, imagePath, 'synthetic');
    if (this.k.trace.enabled) this.k.trace.emit({ type: 'process', event: 'create', pid: p.pid, parentPid: parent.pid, image: imagePath });
    return p;
  }

  /** A process has ended with this exit code: its object is signaled. */
  endProcess(p: KProcess, exitCode: number): void {
    p.exitCode = exitCode >>> 0;
    this.k.m.actingAs(-1, () => this.k.m.setU32(p.eprocess + BigInt(this.k.L.DISPATCHER_HEADER.off.SignalState), 1));
    this.dropSelf(p.eprocess);
    if (this.k.trace.enabled) this.k.trace.emit({ type: 'process', event: 'exit', pid: p.pid, parentPid: p.parentPid, image: p.imagePath, exitCode: hex(p.exitCode, 8) });
  }

  /**
   * A thread of `process` that will run `start(param)`: a system thread (kernel mode, its own kernel stack) or a user
   * thread (CPL3 with a user stack and a TEB the caller fills). It is ready; the scheduler runs it.
   */
  createThread(process: KProcess, start: bigint, param: bigint, user: boolean): KThread {
    const k = this.k;
    const slot = this.freeSlots.shift() ?? this.nextSlot++;
    if (slot >= MAX_THREAD_SLOTS[k.arch]) {
      throw new GuestStop('resource-limit', `too many threads alive at once: kdemu keeps stacks for ${MAX_THREAD_SLOTS[k.arch]} on ${k.arch}`);
    }
    const S = STACKS[k.arch];
    const t = this.newThread(process, this.id(), { start, param, user });
    const base = S.kernel + BigInt(slot) * S.slot;
    k.m.mapPages(base, S.kernelSize, Prot.RW);
    t.kernelStack = base + BigInt(S.kernelSize) - 0x40n;
    stackSlots.set(t, slot);
    if (user) {
      const ub = S.user + BigInt(slot) * S.userSlot;
      k.m.mapPages(ub, S.userSize, Prot.RW | Prot.User);
      t.userStack = ub + BigInt(S.userSize) - 0x40n;
    }
    if (k.trace.enabled) k.trace.emit({ type: 'thread', event: 'create', tid: t.tid, pid: process.pid, start: k.symbolize(start) });
    return t;
  }

  /** A thread or process that ended no longer holds its own object. */
  dropSelf(body: bigint): void {
    const o = this.k.ob.at(body);
    if (o && o.systemRefs > 0) {
      o.systemRefs--;
      this.k.ob.release(o);
    }
  }

  /** The initial thread of a synthetic process: it never runs (its process runs no code). */
  createSyntheticThread(p: KProcess): KThread {
    const t = this.newThread(p, this.id(), {});
    t.state = 'waiting';
    t.wait = { what: 'nothing: a synthetic process runs no code', ready: () => false };
    if (this.k.trace.enabled) this.k.trace.emit({ type: 'thread', event: 'create', tid: t.tid, pid: p.pid });
    return t;
  }

  /** Ends a synthetic process's thread (TerminateProcess): signaled, its own reference dropped. */
  endSyntheticThread(t: KThread, status: number): void {
    if (t.state === 'terminated') return;
    t.state = 'terminated';
    t.wait = undefined;
    t.exitStatus = status >>> 0;
    this.k.m.actingAs(-1, () => this.k.m.setU32(t.ethread + BigInt(this.k.L.DISPATCHER_HEADER.off.SignalState), 1));
    if (this.k.trace.enabled) this.k.trace.emit({ type: 'thread', event: 'exit', tid: t.tid, pid: t.process.pid, status: hex(status >>> 0, 8) });
    this.dropSelf(t.ethread);
  }

  /** Gives a terminated thread's stacks back (its ETHREAD stays while referenced; kdemu never reuses it). */
  releaseStacks(t: KThread): void {
    const slot = stackSlots.get(t);
    if (slot === undefined) return;
    stackSlots.delete(t);
    const S = STACKS[this.k.arch];
    this.k.m.unmap(S.kernel + BigInt(slot) * S.slot, S.kernelSize);
    if (t.user) this.k.m.unmap(S.user + BigInt(slot) * S.userSlot, S.userSize);
    this.freeSlots.push(slot);
    this.freeSlots.sort((a, b) => a - b);
  }

  get current(): KThread {
    return this.thread;
  }

  /** The run's own thread of a process context: System's, or the client's main thread. */
  mainThread(ctx: ProcessContext): KThread {
    return this.roots[ctx];
  }

  /** The client process takes the program's name once one runs. */
  nameClient(name: string, imagePath: string): void {
    const p = this.clientProcess;
    p.name = name;
    p.imagePath = imagePath;
    this.k.m.actingAs(-1, () => this.k.m.write(p.eprocess + BigInt(EPROCESS[this.k.arch].imageFileName), imageFileName(name)));
  }

  /** Makes t the current thread (the scheduler's switch): the KPCR's CurrentThread follows. */
  setCurrent(t: KThread): void {
    if (t === this.thread) return;
    this.thread = t;
    this.onSwitch(t.ethread);
  }

  get system(): KProcess {
    return this.processes[0];
  }

  /** The client process (the program under test, or the process the CLI's requests come from). */
  get clientProcess(): KProcess {
    return this.processes[1];
  }

  get currentThread(): bigint {
    return this.thread.ethread;
  }

  get currentProcess(): bigint {
    return this.currentKProcess.eprocess;
  }

  /** The process whose handle table and address space are current: the one attached to (KeStackAttachProcess), else the thread's. */
  get currentKProcess(): KProcess {
    const a = this.thread.attached;
    return a && a.length ? a[a.length - 1] : this.thread.process;
  }

  byPid(pid: number): KProcess | undefined {
    return this.processes.find((p) => p.pid === pid);
  }

  processAt(eprocess: bigint): KProcess | undefined {
    return this.processes.find((p) => p.eprocess === eprocess);
  }

  threadAt(ethread: bigint): KThread | undefined {
    return this.threads.find((t) => t.ethread === ethread);
  }

  /** 'Process' or 'Thread' when the address is one of the EPROCESS/ETHREAD objects kdemu created. */
  objectAt(address: bigint): 'Process' | 'Thread' | undefined {
    if (this.processAt(address)) return 'Process';
    if (this.threadAt(address)) return 'Thread';
    return undefined;
  }

  /** The thread's own process id (PsGetCurrentProcessId: the thread's, whatever it is attached to). */
  get pid(): number {
    return this.thread.process.pid;
  }

  get tid(): number {
    return this.thread.tid;
  }

  /** The client process's ids (its GetCurrentProcessId; its main thread's GetCurrentThreadId). */
  get userPid(): number {
    return this.roots[1].process.pid;
  }
  get userTid(): number {
    return this.roots[1].tid;
  }

  /** The current process context. */
  get context(): ProcessContext {
    return this.thread.process.kind === 'system' ? ProcessContext.System : ProcessContext.User;
  }

  /**
   * Runs what follows in a process context (I/O requests run in the caller's): a thread of that process already
   * running stays; otherwise the run's own thread of that process takes over. Returns the thread to go back to.
   */
  enter(ctx: ProcessContext): KThread {
    const prev = this.thread;
    if (this.context !== ctx) this.setCurrent(this.roots[ctx]);
    return prev;
  }

  leave(prev: KThread): void {
    this.setCurrent(prev);
  }
}

const stackSlots = new WeakMap<KThread, number>();

/** When each process and thread was created (system time, 100 ns units since 1601). */
const createTimes = new WeakMap<KProcess | KThread, bigint>();

export function createTimeOf(o: KProcess | KThread): bigint {
  return createTimes.get(o) ?? 0n;
}

/** EPROCESS.ImageFileName: the first 15 bytes of the name, NUL-padded to 15 (the field is UCHAR[15]). */
function imageFileName(name: string): Uint8Array {
  const b = new Uint8Array(15);
  for (let i = 0; i < Math.min(name.length, 14); i++) b[i] = name.charCodeAt(i) & 0xff;
  return b;
}

const ps = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

/** The process behind an EPROCESS pointer a driver passes, or the stop Windows' crash on a bad one would be. */
function processArg(k: Kernel, eprocess: bigint, routine: string): KProcess {
  const p = k.ps.processAt(eprocess);
  if (!p) throw new GuestStop('fault', `${routine}(${hex(eprocess)}) from ${k.symbolize(k.callerAddress())}: ${hex(eprocess)} is not a process object`, { export: `ntoskrnl.exe!${routine}` });
  return p;
}

/** KAPC_STATEs of the attaches in progress, per thread: what KeUnstackDetachProcess must be given back. */
const apcStates = new WeakMap<KThread, bigint[]>();

function attach(k: Kernel, process: bigint, apcState: bigint | undefined, routine: string): void {
  const p = processArg(k, process, routine);
  const t = k.ps.current;
  if (k.irql >= 2) {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}`, {
      bugcheck: { code: 0x5 /* INVALID_PROCESS_ATTACH_ATTEMPT */, params: [process, t.process.eprocess, BigInt(t.attached?.length ?? 0), BigInt(k.irql)] },
    });
  }
  (t.attached ??= []).push(p);
  const states = apcStates.get(t) ?? [];
  states.push(apcState ?? 0n);
  apcStates.set(t, states);
}

function detach(k: Kernel, apcState: bigint | undefined, routine: string): void {
  const t = k.ps.current;
  const states = apcStates.get(t) ?? [];
  const top = states[states.length - 1];
  if (!t.attached?.length || (apcState !== undefined && top !== apcState)) {
    throw new GuestStop('bugcheck', `${routine}${apcState !== undefined ? `(${hex(apcState)})` : ''} from ${k.symbolize(k.callerAddress())}: ${t.attached?.length ? 'not the KAPC_STATE of the innermost attach' : 'the thread is not attached to a process'}`, {
      bugcheck: { code: 0x6 /* INVALID_PROCESS_DETACH_ATTEMPT */, params: [0n, 0n, BigInt(t.attached?.length ?? 0), BigInt(k.irql)] },
    });
  }
  t.attached.pop();
  states.pop();
}

export const exports = [
  defineExport({
    ...ps, name: 'KeStackAttachProcess', proto: 'VOID KeStackAttachProcess(PRKPROCESS Process, PRKAPC_STATE ApcState)',
    params: { Process: 'ptr', ApcState: 'ptr' }, ret: 'void',
    impl: (k, a) => attach(k, a.Process, a.ApcState, 'KeStackAttachProcess'),
  }),
  defineExport({
    ...ps, name: 'KeUnstackDetachProcess', proto: 'VOID KeUnstackDetachProcess(PRKAPC_STATE ApcState)',
    params: { ApcState: 'ptr' }, ret: 'void',
    impl: (k, a) => detach(k, a.ApcState, 'KeUnstackDetachProcess'),
  }),
  defineExport({
    ...ps, name: 'KeAttachProcess', proto: 'VOID KeAttachProcess(PRKPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // The old interface does not nest: attaching again bugchecks.
      if (k.ps.current.attached?.length) {
        throw new GuestStop('bugcheck', `KeAttachProcess from ${k.symbolize(k.callerAddress())}: the thread is already attached`, {
          bugcheck: { code: 0x5, params: [a.Process, k.ps.current.process.eprocess, 1n, BigInt(k.irql)] },
        });
      }
      attach(k, a.Process, undefined, 'KeAttachProcess');
    },
  }),
  defineExport({
    ...ps, name: 'KeDetachProcess', proto: 'VOID KeDetachProcess(VOID)', params: {}, ret: 'void',
    impl: (k) => detach(k, undefined, 'KeDetachProcess'),
  }),
  defineExport({ ...ps, params: {}, name: 'PsGetCurrentProcessId', proto: 'HANDLE PsGetCurrentProcessId(VOID)', ret: 'handle', impl: (k) => BigInt(k.ps.pid) }),
  defineExport({ ...ps, params: {}, name: 'PsGetCurrentThreadId', proto: 'HANDLE PsGetCurrentThreadId(VOID)', ret: 'handle', impl: (k) => BigInt(k.ps.tid) }),
  defineExport({ ...ps, params: {}, name: 'IoGetCurrentProcess', proto: 'PEPROCESS IoGetCurrentProcess(VOID)', ret: 'ptr', impl: (k) => k.ps.currentProcess }),
  defineExport({ ...ps, params: {}, name: 'PsGetCurrentProcess', proto: 'PEPROCESS PsGetCurrentProcess(VOID)', ret: 'ptr', impl: (k) => k.ps.currentProcess }),
  defineExport({ ...ps, params: {}, name: 'PsGetCurrentThread', proto: 'PETHREAD PsGetCurrentThread(VOID)', ret: 'ptr', impl: (k) => k.ps.currentThread }),
  defineExport({ ...ps, params: {}, name: 'KeGetCurrentThread', proto: 'PKTHREAD KeGetCurrentThread(VOID)', ret: 'ptr', impl: (k) => k.ps.currentThread }),
  defineExport({
    ...ps, name: 'PsGetProcessId', proto: 'HANDLE PsGetProcessId(PEPROCESS Process)', params: { Process: 'ptr' }, ret: 'handle',
    impl: (k, a) => BigInt(processArg(k, a.Process, 'PsGetProcessId').pid),
  }),
  defineExport({
    ...ps, name: 'PsGetProcessImageFileName', proto: 'PUCHAR PsGetProcessImageFileName(PEPROCESS Process)', params: { Process: 'ptr' }, ret: 'ptr',
    impl: (k, a) => processArg(k, a.Process, 'PsGetProcessImageFileName').eprocess + BigInt(EPROCESS[k.arch].imageFileName),
  }),
  defineExport({
    ...ps, name: 'PsGetThreadId', proto: 'HANDLE PsGetThreadId(PETHREAD Thread)', params: { Thread: 'ptr' }, ret: 'handle',
    impl: (k, a) => BigInt(threadArg(k, a.Thread, 'PsGetThreadId').tid),
  }),
  defineExport({
    ...ps, name: 'PsGetThreadProcessId', proto: 'HANDLE PsGetThreadProcessId(PETHREAD Thread)', params: { Thread: 'ptr' }, ret: 'handle',
    impl: (k, a) => BigInt(threadArg(k, a.Thread, 'PsGetThreadProcessId').process.pid),
  }),
  defineExport({
    ...ps, name: 'PsIsSystemThread', proto: 'BOOLEAN PsIsSystemThread(PETHREAD Thread)', params: { Thread: 'ptr' }, ret: 'bool',
    impl: (k, a) => (threadArg(k, a.Thread, 'PsIsSystemThread').process.kind === 'system' ? 1 : 0),
  }),
  defineExport({
    ...ps, name: 'PsGetProcessExitStatus', proto: 'NTSTATUS PsGetProcessExitStatus(PEPROCESS Process)', params: { Process: 'ptr' }, ret: 'status',
    // STATUS_PENDING while the process runs, as Windows keeps it.
    impl: (k, a) => processArg(k, a.Process, 'PsGetProcessExitStatus').exitCode ?? STATUS.PENDING,
  }),
];

function threadArg(k: Kernel, ethread: bigint, routine: string): KThread {
  const t = k.ps.threadAt(ethread);
  if (!t) throw new GuestStop('fault', `${routine}(${hex(ethread)}) from ${k.symbolize(k.callerAddress())}: ${hex(ethread)} is not a thread object`, { export: `ntoskrnl.exe!${routine}` });
  return t;
}
