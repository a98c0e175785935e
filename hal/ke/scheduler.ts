// The deterministic scheduler: which thread runs, when a wait ends, and the switch between threads.
//
// One processor. A thread runs until it waits, ends, or uses up its quantum (a fixed number of instructions, so the
// interleaving is the same on every run and engine); then the ready thread of the highest priority runs, first come
// first served among equals. Virtual time jumps to the next timer or wait deadline only when nothing can run.
//
// The kernel is TypeScript on the host's call stack, so a thread's state is not only its registers: a thread that
// blocks in an export it called from its own top level (a system thread's KeWaitForSingleObject, a user thread's
// WaitForSingleObject) leaves nothing on the host stack but that call, and is suspended there (the call is finished
// when it resumes). A thread that blocks deeper (inside a dispatch routine the I/O manager called for it), and the two
// root threads that the run itself drives, wait where they are: other threads run nested above their wait. A thread
// waiting like that can only go on once everything above it has returned or blocked; if the only thread that could run
// is one of those, kdemu says so and stops (resource-limit) rather than hanging.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { deliver, skipTime, virtualUs } from './clock.js';
import { nextTimerDue } from './timer.js';
import { deliverApcs } from './apc.js';
import { restoreContext, saveContext, type KThread, type SavedContext, type WaitSpec } from './thread.js';

/** Instructions in a quantum: two clock ticks (31.25 ms) of virtual time at 1,000 instructions per µs. */
export const QUANTUM = 31_250_000;

/**
 * Unwinds the host call stack from a suspended thread's blocking call to the scheduler that runs it. Not an Error:
 * it is thrown on every switch, and a stack trace would cost more than the switch.
 */
export class ThreadSwitch {
  constructor(readonly thread: KThread) {}
  get message(): string {
    return `thread ${this.thread.tid} switched out`;
  }
}

/** PsTerminateSystemThread / ExitThread: unwinds the thread's host frames to the scheduler that runs it. */
export class ThreadExit {
  constructor(
    readonly thread: KThread,
    readonly status: number,
  ) {}
  get message(): string {
    return `thread ${this.thread.tid} exited with ${hex(this.status >>> 0, 8)}`;
  }
}

export class Scheduler {
  private seq = 0;
  /** Thread switches so far (the trace and the benchmark count them). */
  switches = 0;
  /** A small stack of its own for the fxsave/fxrstor helper. */
  private readonly scratchSp: bigint;
  /** Called when a thread has ended (its process may end with it; thread notify routines run). */
  onExit: (t: KThread) => void = () => {};
  /** Runs in a new user thread before its routine (the loader's TLS callbacks with DLL_THREAD_ATTACH). */
  onUserThreadStart?: (t: KThread) => void;
  /** Runs in a user thread that is ending, before it ends (the TLS callbacks with DLL_THREAD_DETACH). */
  onUserThreadEnd?: (t: KThread) => void;

  constructor(private readonly k: Kernel) {
    this.scratchSp = k.systemAlloc(0x400, 16) + 0x3f0n;
    k.m.onSlice = (pc) => this.quantumEnd(pc);
  }

  private get current(): KThread {
    return this.k.ps.current;
  }

  /** A new thread is ready to run; it runs when the running thread waits or its quantum ends. */
  ready(t: KThread): void {
    t.state = 'ready';
    t.seq = this.seq++;
    // Slices end at quantum boundaries once there is more than one thread to share the processor.
    this.k.m.sliceLimit = QUANTUM;
  }

  /**
   * The running thread lets each ready thread run once, until it waits, ends or uses up its quantum, and goes on: the
   * run's own thread does this between its steps (after DriverEntry, between the CLI's requests, before unload), as
   * the processor is shared meanwhile on Windows. Virtual time does not jump here.
   */
  runReady(): void {
    const k = this.k;
    const t = this.current;
    this.yielding = t;
    try {
      const ran = new Set<KThread>();
      for (;;) {
        k.m.checkBudgets();
        const next = this.pick(t);
        if (!next || ran.has(next)) return;
        ran.add(next);
        this.run(next);
      }
    } finally {
      this.yielding = undefined;
    }
  }
  /** The thread in runReady: it is owed the processor back at the running thread's quantum end. */
  private yielding?: KThread;

  /**
   * The current thread waits until spec.ready() or spec.deadline; `then(satisfied)` completes the wait and gives the
   * blocking call's result. A thread blocked in its own top-level call is suspended (then runs when it resumes);
   * otherwise other threads run nested until the wait ends. An infinite wait nothing can end is a deadlock.
   */
  wait<T extends number | bigint | undefined>(spec: WaitSpec, then: (satisfied: boolean) => T, tail = false): T {
    const k = this.k;
    const t = this.current;
    if (spec.ready()) return then(true);
    if (spec.deadline !== undefined && spec.deadline <= virtualUs(k)) return then(false);
    const call = !t.root && k.callDepth === t.baseDepth + 1 ? k.suspendedCall() : undefined;
    t.wait = spec;
    t.state = 'waiting';
    t.seq = this.seq++;
    if (call) {
      // Nothing of this thread is on the host stack but this call: it is suspended here and finished on resumption.
      t.resume = { call, then };
      t.context = k.m.actingAs(-1, () => saveContext(k, t, this.scratchSp));
      if (!tail) throw new ThreadSwitch(t);
      // The caller returns this value at once, up through the export call (see waitTail): no unwinding needed.
      this.suspending = t;
      return undefined as T;
    }
    let ok: boolean;
    try {
      ok = this.waitHere(t, spec);
    } finally {
      t.wait = undefined;
      if (t.state === 'waiting') t.state = 'running';
    }
    return then(ok);
  }

  /**
   * wait() for a caller whose result is the export's result, with nothing done after it (KeWaitForSingleObject ...):
   * a thread that suspends here is not unwound by an exception; the export call ends at once instead (the kernel sees
   * `suspending` set) and the thread's run returns to the scheduler through its run loop. Thread switches are the
   * scheduler's hot path, and an exception per switch costs more than the switch.
   */
  waitTail<T extends number | bigint | undefined>(spec: WaitSpec, then: (satisfied: boolean) => T): T {
    return this.wait(spec, then, true);
  }

  /** The thread that suspended in a tail wait: its export call ends without a return (see waitTail). */
  suspending?: KThread;

  /**
   * The current thread waits where it is (never suspended) until ready() or the deadline; false when it timed out or,
   * with no deadline, when nothing in the machine can ever end the wait (the caller reports that deadlock).
   */
  waitNested(spec: WaitSpec): boolean {
    const t = this.current;
    if (spec.ready()) return true;
    const prevWait = t.wait;
    const prevState = t.state;
    t.wait = spec;
    t.state = 'waiting';
    try {
      return this.waitHere(t, spec, true);
    } finally {
      t.wait = prevWait;
      t.state = prevState;
    }
  }

  /** The nested wait: runs other threads and lets time pass until the wait ends; false when it timed out. */
  private waitHere(t: KThread, spec: WaitSpec, falseWhenStuck = false): boolean {
    const lazy: { ctx?: SavedContext } = {};
    const outer = this.pendingRestore;
    this.pendingRestore = false;
    try {
      return this.waitLoop(t, spec, falseWhenStuck, lazy);
    } finally {
      if (this.pendingRestore && lazy.ctx) this.k.m.actingAs(-1, () => restoreContext(this.k, t, lazy.ctx!, this.scratchSp));
      this.pendingRestore = outer;
    }
  }

  private waitLoop(t: KThread, spec: WaitSpec, falseWhenStuck: boolean, lazy: { ctx?: SavedContext }): boolean {
    const k = this.k;
    for (;;) {
      k.m.checkBudgets();
      deliver(k);
      if (spec.ready()) return true;
      const now = virtualUs(k);
      if (spec.deadline !== undefined && spec.deadline <= now) return false;
      const next = this.pick(t);
      if (next) {
        k.m.actingAs(-1, () => this.switchRun(next, lazy));
        continue;
      }
      const wake = this.nextWake(spec.deadline);
      if (wake === undefined) {
        // Alone in waiting (idle workers and synthetic processes aside): the caller reports its own deadlock.
        if (falseWhenStuck && !this.k.ps.threads.some((x) => x !== t && x.state === 'waiting' && !x.wait?.idle && x.process.kind !== 'synthetic')) return false;
        this.stuck(t);
      }
      if (wake > now) skipTime(k, wake - now);
    }
  }

  /** The earliest time something can change: a timer due (one that can still change something), or a wait's deadline. */
  private nextWake(own: bigint | undefined): bigint | undefined {
    let wake = nextTimerDue(this.k, true);
    const min = (d: bigint | undefined) => {
      if (d !== undefined && (wake === undefined || d < wake)) wake = d;
    };
    min(own);
    for (const t of this.k.ps.threads) if (t.state === 'waiting' && t.resume) min(t.wait?.deadline);
    return wake;
  }

  /** Whether a thread can be switched to now: ready, or suspended with its wait satisfied or timed out. */
  private runnable(t: KThread, now: bigint): boolean {
    if (t.root) return false;
    if (t.state === 'ready') return true;
    if (t.state !== 'waiting' || !t.resume) return false;
    const w = t.wait!;
    return w.ready() || (w.deadline !== undefined && w.deadline <= now);
  }

  /** The thread to run next: the highest priority, then the longest ready; not `except` and none on the host stack. */
  private pick(except?: KThread): KThread | undefined {
    const now = virtualUs(this.k);
    let best: KThread | undefined;
    for (const t of this.k.ps.threads) {
      if (t === except || !this.runnable(t, now)) continue;
      if (!best || t.priority > best.priority || (t.priority === best.priority && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /**
   * Runs thread t until it waits, ends or its quantum is over, then switches back to the thread that was running,
   * whose processor state is saved and restored around it.
   */
  run(t: KThread): void {
    // The switch itself is the kernel's own work, whoever's export reached it.
    this.k.m.actingAs(-1, () => this.switchRun(t));
  }

  private switchRun(t: KThread, lazy?: { ctx?: SavedContext }): void {
    const k = this.k;
    const prev = this.current;
    const saved = lazy?.ctx ?? saveContext(k, prev, this.scratchSp);
    if (lazy) lazy.ctx = saved;
    this.switchTo(prev, t);
    t.baseDepth = k.callDepth;
    try {
      const r = t.started ? this.resume(t) : this.start(t);
      if (this.suspending === t) this.suspending = undefined;
      else this.ending(t, t.user ? Number(BigInt.asUintN(32, r)) : 0);
    } catch (e) {
      if (e instanceof ThreadExit && e.thread === t) this.ending(t, e.status);
      else if (!(e instanceof ThreadSwitch && e.thread === t)) throw e;
    } finally {
      this.switchTo(t, prev);
      // A waiting thread's loop may run several threads before it goes on: its registers come back once, at its end,
      // unless the processor was left in a state the loop cannot use (user mode, or a stack that went with its thread).
      if (!lazy || k.m.engine.cpl !== 0 || t.state === 'terminated') {
        restoreContext(k, prev, saved, this.scratchSp);
        if (lazy) lazy.ctx = undefined;
        this.pendingRestore = false;
      } else this.pendingRestore = true;
      prev.state = prev.wait ? 'waiting' : 'running';
    }
  }
  /** The waiting thread's registers are not in the processor (see switchRun). */
  private pendingRestore = false;

  private switchTo(from: KThread, to: KThread): void {
    const k = this.k;
    this.switches++;
    k.ps.setCurrent(to);
    if (to.state !== 'terminated') to.state = 'running';
    if (k.trace.enabled) k.trace.emit({ type: 'thread', event: 'switch', tid: to.tid, pid: to.process.pid, from: from.tid });
  }

  /** A thread's first run: its start routine on its own stack (user threads at CPL3 with their TEB). */
  private start(t: KThread): bigint {
    const k = this.k;
    const m = k.m;
    const e = m.engine;
    t.started = true;
    // x86: the new thread's kernel-mode SEH chain starts empty (NT_TIB.ExceptionList at the KPCR).
    if (k.arch === 'x86' && k.pcr !== 0n) m.actingAs(-1, () => m.setU32(k.pcr, 0xffffffff));
    if (t.user) {
      // User mode: the segment base selects the thread's TEB, the kernel's is the other one (swapgs / fs 0x30).
      e.setCpl(3);
      if (k.arch === 'x64') {
        e.setReg('gsBase', t.teb);
        k.cpu.msr.set(0xc0000102, k.pcr);
      } else {
        e.setReg('fsBase', t.teb);
        k.cpu.otherFsBase = k.pcr;
      }
      m.savedKernelSp = t.kernelStack;
      t.returnTrap = m.userReturnTrap;
      m.sp = t.userStack;
      // The TLS callbacks run in a nested call: a wait there cannot suspend the thread at its top level.
      const base = t.baseDepth;
      t.baseDepth = Number.MIN_SAFE_INTEGER;
      try {
        this.onUserThreadStart?.(t);
      } finally {
        t.baseDepth = base;
      }
    } else {
      e.setCpl(0);
      e.setReg(k.arch === 'x64' ? 'gsBase' : 'fsBase', k.pcr);
      t.returnTrap = m.returnTrap;
      // Kernel APCs queued before the thread first ran run first, on its stack.
      m.sp = t.kernelStack;
      deliverApcs(k);
    }
    t.expectSp = m.pushCall(t.user ? t.userStack : t.kernelStack, [t.param], t.returnTrap);
    const r = m.runToReturn(t.start, t.returnTrap, t.expectSp);
    if (r.stackMismatch !== 0 && k.trace.enabled) {
      k.trace.emit({ type: 'note', text: `thread ${t.tid}'s start routine ${k.symbolize(t.start)} returned with the stack ${r.stackMismatch} bytes off (cdecl, not NTAPI)` });
    }
    return r.value;
  }

  /** Resumes a suspended thread: finishes the call it blocked in (or continues where its quantum ended). */
  private resume(t: KThread): bigint {
    const k = this.k;
    restoreContext(k, t, t.context!, this.scratchSp);
    t.context = undefined;
    // Kernel APCs queued while the thread was switched out run as it goes on (a user thread's: not here).
    if (!t.user) deliverApcs(k);
    let pc: bigint;
    const r = t.resume;
    if (r) {
      const w = t.wait!;
      t.resume = undefined;
      t.wait = undefined;
      const value = r.then(w.ready());
      k.finishSuspendedCall(r.call, value);
      pc = r.call.ret;
    } else {
      pc = k.m.engine.getReg('rip');
    }
    return k.m.runToReturn(pc, t.returnTrap, t.expectSp).value;
  }

  /**
   * A quantum ended inside guest code. A thread at its own top level gives the processor to a ready thread of at least
   * its priority; a thread that cannot be suspended there (a root thread, one inside a nested call) lets them run
   * nested, each for a quantum, and goes on.
   */
  private quantumEnd(pc: bigint): void {
    const k = this.k;
    const m = k.m;
    // Slices also end for the wall-clock check; only a quantum boundary switches.
    if (m.sliceLimit === 0 || m.engine.instructions % m.sliceLimit !== 0 || k.irql >= 2) return;
    const t = this.current;
    const next = this.pick(t);
    const owed = this.yielding !== undefined && this.yielding !== t;
    if (!owed && (!next || next.priority < t.priority)) return;
    if (!t.root && k.callDepth === t.baseDepth) {
      t.context = m.actingAs(-1, () => saveContext(k, t, this.scratchSp));
      t.context.regs[16] = pc;
      this.ready(t);
      throw new ThreadSwitch(t);
    }
    if (next && next.priority >= t.priority) this.run(next);
  }

  /**
   * Ends a thread that is not running and has nothing on the host stack (its process ended: ExitProcess from another
   * thread). A thread waiting nested below the running one cannot be ended there: kdemu says so.
   */
  terminate(t: KThread, status: number): void {
    if (t.state === 'terminated') return;
    if (t === this.current || (t.started && t.state === 'waiting' && !t.resume) || t.state === 'running') {
      throw new GuestStop('resource-limit', `thread ${t.tid} cannot be ended while it waits inside a nested kernel call (its process ended)`);
    }
    this.exit(t, status);
  }

  /** Thread t, the running one, ends: a user thread's TLS callbacks see it go (in a nested call), then it is gone. */
  private ending(t: KThread, status: number): void {
    if (t.user && this.onUserThreadEnd) {
      const base = t.baseDepth;
      t.baseDepth = Number.MIN_SAFE_INTEGER;
      try {
        this.onUserThreadEnd(t);
      } catch (e) {
        // ExitThread from a detach callback ends the thread all the same.
        if (!(e instanceof ThreadExit && e.thread === t)) throw e;
      } finally {
        t.baseDepth = base;
      }
    }
    this.exit(t, status);
  }

  /** Thread t has ended: its object is signaled and its stacks go. */
  private exit(t: KThread, status: number): void {
    t.state = 'terminated';
    t.exitStatus = status >>> 0;
    t.wait = undefined;
    t.resume = undefined;
    t.context = undefined;
    if (this.k.trace.enabled) this.k.trace.emit({ type: 'thread', event: 'exit', tid: t.tid, pid: t.process.pid, status: hex(status >>> 0, 8) });
    this.onExit(t);
  }

  /**
   * Nothing can run and no timer or deadline is due: every thread waits for something only another waiting thread
   * could do. A deadlock, with each thread's wait; or, when a thread waiting lower on the host stack could go on, the
   * limit described at the top of this file.
   */
  private stuck(t: KThread): never {
    const k = this.k;
    const now = virtualUs(k);
    const blocked = k.ps.threads.filter((x) => x !== t && x.state === 'waiting' && !x.resume && x.wait && (x.wait.ready() || (x.wait.deadline !== undefined && x.wait.deadline <= now)));
    if (blocked.length > 0) {
      throw new GuestStop('resource-limit', `thread ${blocked[0].tid} could go on (${blocked[0].wait!.what}), but it waits inside a nested kernel call below thread ${t.tid}, which waits for ${t.wait?.what ?? 'something'}: kdemu's scheduler cannot switch to it there`);
    }
    throw new GuestStop('deadlock', `every thread waits and nothing can wake them: ${this.waits().join('; ')}`, {});
  }

  /** Each live thread's wait, for a deadlock report. */
  waits(): string[] {
    return this.k.ps.threads
      // The run's own threads count while they wait or run; an idle one (the client's, with no client) does not.
      .filter((x) => x.state !== 'terminated' && x.state !== 'initialized' && x.process.kind !== 'synthetic' && !x.wait?.idle && (!x.root || x.state === 'waiting' || x === this.current))
      .map((x) => `thread ${x.tid} (${x.process.name}${x.start ? `, ${this.k.symbolize(x.start)}` : ''}) ${x.state === 'waiting' && x.wait ? `waits in ${x.wait.what}` : x.state}`);
  }
}
