// Threads as the scheduler keeps them (KTHREAD's role), and the processor state a thread switch saves and restores.
//
// Every thread has its ETHREAD in guest memory (a dispatcher object: its DISPATCHER_HEADER is signaled when the thread
// ends), its own kernel stack (user threads a user stack and a TEB too), and, while it is not running, its saved
// context: the general registers, the privilege level with both segment bases, the saved user and kernel stack
// pointers, the IRQL, and the x87/SSE state (fxsave in an area of its own).

import type { Reg } from '../../emu/engine.js';
import type { Kernel, SuspendedCall } from '../kernel.js';
import type { KProcess } from '../ps/process.js';
import { KPCR } from '../boot.js';

export type ThreadState = 'initialized' | 'ready' | 'running' | 'waiting' | 'terminated';

/** What a waiting thread waits for. */
export interface WaitSpec {
  /** For reports and deadlocks: "KeWaitForSingleObject on notification event 0x…". */
  what: string;
  /** Whether the wait can be satisfied now, for the waiting thread (it owns a mutant it waits on ...). */
  ready(): boolean;
  /** Virtual time (µs since boot) when the wait times out; undefined: never. */
  deadline?: bigint;
  /** The thread's rest state (a worker thread waiting for work): not part of a deadlock. */
  idle?: boolean;
}

/** A thread suspended in an export call it blocked in: how to finish that call when it resumes. */
export interface Resume {
  call: SuspendedCall;
  /** Completes the wait (its side effects: an auto-reset event reset, a mutant taken) and gives the return value. */
  then: (satisfied: boolean) => number | bigint | undefined;
}

/** The processor state of a thread that is not running. */
export interface SavedContext {
  /** rax..r15, then rip, rflags, fsBase, gsBase. */
  regs: BigUint64Array;
  /** The x87/SSE state from the engine (else it is in the thread's fx area in guest memory). */
  fpu?: Uint8Array;
  cpl: 0 | 3;
  /** The other mode's segment base (x64: IA32_KERNEL_GS_BASE; x86: the fs base the other mode uses). */
  otherBase: bigint;
  userSp: bigint;
  kernelSp: bigint;
  irql: number;
  /** x86: the KPCR's NT_TIB.ExceptionList, the thread's kernel-mode SEH chain (KiSwapContext keeps it per thread). */
  exceptionList?: number;
}

export interface KThread {
  readonly tid: number;
  readonly process: KProcess;
  /** ETHREAD (KTHREAD first: its DISPATCHER_HEADER) in guest memory. */
  readonly ethread: bigint;
  /** The start routine and its argument (0 for the root threads: the host's own flow runs them). */
  readonly start: bigint;
  readonly param: bigint;
  /** A user-mode thread (CreateThread): its start routine runs at CPL3. */
  readonly user: boolean;
  /**
   * One of the two threads the run itself drives (System's, running DriverEntry, the CLI's requests and unload; the
   * client's main thread): they wait where they are, never suspended by the scheduler.
   */
  readonly root: boolean;
  priority: number;
  state: ThreadState;
  /** When it last became ready or started waiting: first come, first served among equal priorities. */
  seq: number;
  wait?: WaitSpec;
  /** Set while suspended in a blocking export call. */
  resume?: Resume;
  /** Set while not running. */
  context?: SavedContext;
  /** The export nesting at which the scheduler entered it: a call one deeper is its own top-level call. */
  baseDepth: number;
  started: boolean;
  exitStatus?: number;
  /** Its top-level routine's return trap and the stack pointer a balanced return leaves there. */
  returnTrap: bigint;
  expectSp: bigint;
  /** Top of its kernel stack (and user stack, TEB for a user thread). */
  kernelStack: bigint;
  userStack: bigint;
  teb: bigint;
  /** 512-byte, 16-byte aligned fxsave area. */
  readonly fx: bigint;
  /** Processes it is attached to (KeStackAttachProcess), innermost last. */
  attached?: KProcess[];
  /** ResumeThread's count: a thread created suspended starts when it drops to 0. */
  suspendCount: number;
  /** Buffers its saved context reuses. */
  regsBuffer?: BigUint64Array;
  fpuBuffer?: Uint8Array;
  /** Mutants it owns (kdemu keeps KTHREAD's MutantListHead here), checked when it ends. */
  readonly mutants: Set<bigint>;
}

const REGS_A: readonly Reg[] = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const REGS_B: readonly Reg[] = ['rip', 'rflags', 'fsBase', 'gsBase'];
/** What writeRegs takes: segment bases go through setReg (Unicorn's x86 sets them through descriptors). */
const REGS_ALL_BUT_BASES: readonly Reg[] = [...REGS_A, 'rip', 'rflags'];
const REGS_ALL: readonly Reg[] = [...REGS_A, ...REGS_B];

/** Saves the processor's state as `t`'s context (its fx area gets the x87/SSE state). */
export function saveContext(k: Kernel, t: KThread, scratchSp: bigint): SavedContext {
  const e = k.m.engine;
  // Each thread has one saved context at a time: its buffers are reused.
  const regs = (t.regsBuffer ??= new BigUint64Array(20));
  e.readRegs(REGS_ALL, regs);
  const ctx: SavedContext = {
    regs,
    cpl: e.cpl,
    otherBase: k.arch === 'x64' ? (k.cpu.msr.get(0xc0000102) ?? 0n) : k.cpu.otherFsBase,
    userSp: k.m.userSp,
    kernelSp: k.m.savedKernelSp,
    irql: k.irql,
    ...(k.arch === 'x86' && k.pcr !== 0n ? { exceptionList: k.m.actingAs(-1, () => k.m.u32(k.pcr)) } : {}),
  };
  if (e.saveFpu) {
    ctx.fpu = t.fpuBuffer = e.saveFpu(t.fpuBuffer);
    return ctx;
  }
  k.m.fxState(t.fx, true, scratchSp);
  // fxState ran code: the registers are put back as they were.
  writeAll(k, regs);
  return ctx;
}

/** Loads a saved context into the processor. */
export function restoreContext(k: Kernel, t: KThread, ctx: SavedContext, scratchSp: bigint): void {
  const e = k.m.engine;
  if (ctx.fpu && e.restoreFpu) e.restoreFpu(ctx.fpu);
  else {
    if (e.cpl !== 0) e.setCpl(0);
    k.m.fxState(t.fx, false, scratchSp);
  }
  e.setCpl(ctx.cpl);
  writeAll(k, ctx.regs);
  if (k.arch === 'x64') k.cpu.msr.set(0xc0000102, ctx.otherBase);
  else k.cpu.otherFsBase = ctx.otherBase;
  k.m.userSp = ctx.userSp;
  k.m.savedKernelSp = ctx.kernelSp;
  loadIrql(k, ctx.irql);
  if (ctx.exceptionList !== undefined) k.m.actingAs(-1, () => k.m.setU32(k.pcr, ctx.exceptionList!));
}

function writeAll(k: Kernel, regs: BigUint64Array): void {
  const e = k.m.engine;
  e.writeRegs(REGS_ALL_BUT_BASES, regs);
  // The base the mode switch changes (gs on x64, fs on x86); setting a base is costly on Unicorn's x86.
  const i = k.arch === 'x64' ? 19 : 18;
  const reg = k.arch === 'x64' ? 'gsBase' : 'fsBase';
  if (e.getReg(reg) !== regs[i]) e.setReg(reg, regs[i]);
}

/** Sets the IRQL a thread switch brings back (no DPC delivery: switches happen below DISPATCH_LEVEL). */
export function loadIrql(k: Kernel, irql: number): void {
  k.irql = irql;
  if (k.pcr !== 0n) k.m.actingAs(-1, () => k.m.setU8(k.pcr + BigInt(KPCR[k.arch].irql), irql));
}
