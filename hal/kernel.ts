// The emulated kernel's state and its one funnel for calls: import stubs → declared exports → trace.

import type { Arch, Cpl, Engine, Reg } from '../emu/engine.js';
import { EngineMemoryError, PAGE_SIZE, Prot } from '../emu/engine.js';
import type { AnyExport, CallConv, DataExportDecl, ParamKind, RetKind, VarArgs } from './export.js';
import { x86Slots } from './export.js';
import { GuestAccessError, GuestResume, GuestStop, Machine, SUSPENDED, hex, kernelFaultBugcheck } from './machine.js';
import { Pool } from './ex/pool.js';
import { Tracer } from './trace.js';
import { layouts, type Layouts } from './layout/index.js';
import { describeStatus, formatStatus } from './rtl/ntstatus.js';
import { decodeBytes } from './rtl/text.js';
import { Namespace } from './ob/namespace.js';
import { IoState } from './io/state.js';
import { Processes } from './ps/process.js';
import { Scheduler } from './ke/scheduler.js';
import { ObjectManager } from './ob/handle.js';
import { threadEnded } from './ps/thread.js';
import { Npfs } from './io/npfs.js';
import { SYSTEM } from './ob/namespace.js';
import { isWindowsData } from './windows-exports.js';
import { CpuState, emulatePrivileged } from './ke/cpu.js';
import type { ClientProcess } from './user/process.js';
import { exportAccessException, kernelException } from './ke/except.js';

/** A loaded image, for naming addresses module+offset. */
export interface Module {
  name: string;
  base: bigint;
  size: number;
}

/** What sits behind one stub address. */
type Stub =
  | { kind: 'export'; decl: AnyExport }
  | { kind: 'missing'; module: string; name: string }
  /** Kernel routines that are not imports but whose addresses drivers hold (the default dispatch routine). */
  | { kind: 'internal'; name: string; params: number; run: (k: Kernel, args: bigint[]) => bigint };

const STUB_SLOT = 16n;
const TRAP_REGS_X64: readonly Reg[] = ['rsp', 'rcx', 'rdx', 'r8', 'r9'];
const TRAP_REGS_X86: readonly Reg[] = ['rsp', 'rcx', 'rdx'];
const RET_REGS_X64: readonly Reg[] = ['rsp', 'rax'];
const RET_REGS_X86_64: readonly Reg[] = ['rsp', 'rax', 'rdx'];

/** The export call being handled: its stack pointer at the stub, return address, and register arguments. */
interface Frame {
  sp: bigint;
  ret: bigint;
  /** [sp, rcx, rdx, r8, r9] (x64) or [esp, ecx, edx] (x86). */
  regs: BigUint64Array;
  /** The export call this one was made inside (an export that called the guest that called this one). */
  outer?: Frame;
  /** The declared export being handled, its x86 stack slots and its decoded arguments (when traced). */
  decl?: AnyExport;
  slots?: number;
  display?: Record<string, string>;
}

/**
 * An export call a thread blocked in (a wait): the scheduler suspends the thread there and, when it resumes it,
 * finishes the call with finishSuspendedCall: the return value, the stack clean-up and the trace event.
 */
export interface SuspendedCall {
  /** Where the call returns to, and the stack pointer after the return (the callee's pops included). */
  ret: bigint;
  sp: bigint;
  kind: RetKind;
  name: string;
  display?: Record<string, string>;
}

export class Kernel {
  readonly m: Machine;
  readonly arch: Arch;
  readonly L: Layouts;
  readonly pool: Pool;
  readonly trace: Tracer;
  readonly modules: Module[] = [];
  readonly dbgPrint: string[] = [];
  /** module!name of every unimplemented export the guest reached. */
  readonly unsupportedCalls: string[] = [];
  readonly ns = new Namespace();
  readonly io = new IoState();
  readonly ps: Processes;
  readonly sched: Scheduler;
  readonly ob: ObjectManager;
  readonly npfs: Npfs;
  readonly cpu: CpuState;
  /** Current IRQL; drivers read it through KeGetCurrentIrql (and cr8 on x64). */
  irql = 0;
  apiCalls = 0;
  /** x86's KeTickCount variable, once a driver imported it (the clock keeps it current). */
  tickCountVariable = 0n;
  /** The processor's KPCR (behind gs on x64, fs on x86, while in kernel mode). */
  pcr = 0n;
  /** Virtual time that passed without instructions (sleeps, waits that timed out): see ke/clock.ts. */
  skippedUs = 0n;
  /** The run's virtual-time budget in µs since boot (0: none), checked where time jumps (see ke/clock.ts). */
  maxVirtualUs = 0n;
  /** Runs after each user-mode DLL call returns to the program (the clock's delivery point; set with a client). */
  afterUserCall?: () => void;
  /** A host folder the file system shows read-only at C:\ (--fs). */
  fsDir?: string;
  /** The PnP manager enumerates a root device for each driver with an AddDevice routine (off: --no-pnp). */
  pnp = true;
  /** The user-mode program running against the driver (--client), while it exists. */
  client?: ClientProcess;

  private readonly stubs = new Map<bigint, Stub>();
  private readonly stubByName = new Map<string, bigint>();
  private nextStub: bigint;
  /** User-mode stubs and data, once a user process exists (createUserSpace). */
  private nextUserStub = 0n;
  private userDataCursor = 0n;
  private dataCursor: bigint;
  private readonly dataEnd: bigint;
  private readonly exportsByName: ReadonlyMap<string, AnyExport>;
  private readonly dataByName: ReadonlyMap<string, DataExportDecl>;
  private readonly dataAddr = new Map<string, bigint>();

  constructor(engine: Engine, table: { exports: readonly AnyExport[]; data: readonly DataExportDecl[] }, sink?: ConstructorParameters<typeof Tracer>[0]) {
    this.m = new Machine(engine, (a) => this.onTrap(a));
    this.arch = engine.arch;
    this.L = layouts(this.arch);
    this.pool = new Pool(this.m);
    this.trace = new Tracer(sink, this);
    this.nextStub = this.m.layout.stubs + STUB_SLOT; // slot 0 is the return trap
    this.dataCursor = this.m.layout.systemData;
    this.dataEnd = this.m.layout.systemData + BigInt(this.m.layout.systemDataSize);
    ({ exports: this.exportsByName, data: this.dataByName } = nameMaps(table, this.arch));
    this.modules.push({ name: 'ntoskrnl.exe', base: this.m.layout.stubs, size: this.m.layout.stubsSize });
    this.ob = new ObjectManager(this);
    this.npfs = new Npfs(this);
    // The named pipe file system, and the link every Windows has to it (\\.\pipe\X is \??\PIPE\X).
    this.ns.insert('\\Device\\NamedPipe', { type: 'filesystem', name: 'npfs' });
    this.ns.insert('\\??\\PIPE', { type: 'symlink', target: '\\Device\\NamedPipe', creator: SYSTEM });
    this.ps = new Processes(this);
    this.sched = new Scheduler(this);
    this.sched.onExit = (t) => threadEnded(this, t);
    this.cpu = new CpuState(this);
    this.m.onPrivileged = (pc) => emulatePrivileged(this, pc);
    this.m.onModeSwitch = (cpl) => this.switchMode(cpl);
    this.m.irql = () => this.irql;
    this.m.onKernelException = (exit) => kernelException(this, exit);
    this.m.missingDataAt = (a) => {
      const i = Number((a - this.m.layout.missingData) / 0x1000n);
      const name = a >= this.m.layout.missingData ? this.missingDataNames[i] : undefined;
      if (name && !this.unsupportedCalls.includes(name)) this.unsupportedCalls.push(name);
      return name;
    };
  }

  get ptrSize(): 4 | 8 {
    return this.m.ptrSize;
  }

  // ---- binding imports ---------------------------------------------------------------------------------

  /**
   * The address an import resolves to: a stub for functions, the variable for data exports, a 'missing' stub
   * otherwise. A user-mode image's imports resolve to stubs user code can reach.
   */
  resolveImport(module: string, name: string, user = false): bigint {
    // A kernel image cannot bind to user-mode DLLs (Windows' loader finds no such module in system space): what it
    // imports from them stays unbound and stops the run when reached, naming it.
    if (!user && USER_MODE_DLLS.has(canonicalModule(module))) {
      const missing = canonicalModule(module);
      return this.missingImport(missing, name);
    }
    const k = key(module, name);
    const data = this.dataByName.get(k);
    if (data) return this.dataAddress(data);
    const sk = user ? 'user:' + k : k;
    const cached = this.stubByName.get(sk);
    if (cached !== undefined) return cached;
    const decl = this.exportsByName.get(k);
    if (!decl && isWindowsData(module, name, this.arch)) return this.missingData(canonicalModule(module), name);
    const stub: Stub = decl ? { kind: 'export', decl } : { kind: 'missing', module: canonicalModule(module), name };
    return this.addStub(sk, stub, user);
  }

  /** An unbound import: a never-mapped data page or a stub that stops the run, named module!name. */
  private missingImport(module: string, name: string): bigint {
    const sk = 'unbound:' + key(module, name);
    const cached = this.stubByName.get(sk);
    if (cached !== undefined) return cached;
    if (this.dataByName.has(key(module, name))) return this.missingData(module, name);
    return this.addStub(sk, { kind: 'missing', module, name });
  }

  /** An implemented export by module and name (api-ms-win-crt-* sets name ucrtbase.dll). */
  findExport(module: string, name: string): AnyExport | undefined {
    return this.exportsByName.get(key(module, name));
  }

  /**
   * Maps user mode's fixed regions: the user stubs (the first slot is the user return trap), the user data region
   * and the stack. Called once, when the first user process is created.
   */
  createUserSpace(): void {
    if (this.nextUserStub !== 0n) return;
    const l = this.m.layout;
    const e = this.m.engine;
    this.m.mapPages(l.userStubs, l.userStubsSize, Prot.RX | Prot.User);
    e.write(l.userStubs, new Uint8Array(l.userStubsSize).fill(0xcc));
    e.addTrapRange(l.userStubs, l.userStubs + BigInt(l.userStubsSize));
    this.m.userReturnTrap = l.userStubs;
    this.nextUserStub = l.userStubs + STUB_SLOT;
    this.m.mapPages(l.userData, l.userDataSize, Prot.RW | Prot.User);
    this.userDataCursor = l.userData;
    this.m.mapPages(l.userStackTop - BigInt(l.userStackSize), l.userStackSize, Prot.RW | Prot.User);
    this.m.userSp = l.userStackTop - 0x100n;
    this.modules.push({ name: 'user-mode system DLLs', base: l.userStubs, size: l.userStubsSize });
  }

  /** The user process's heap (user pages): the buffers UserSession passes, the client's HeapAlloc and malloc. */
  get userHeap(): Pool {
    return (this.heap ??= new Pool(this.m, { base: this.m.layout.user, limit: this.m.layout.userLimit, prot: Prot.RW | Prot.User }));
  }
  private heap?: Pool;

  /** Zeroed memory in the user data region (PEB, TEB, the C runtime's variables), never freed. */
  userAlloc(size: number, align = 16): bigint {
    if (this.userDataCursor === 0n) throw new Error('userAlloc before createUserSpace');
    const a = (this.userDataCursor + BigInt(align - 1)) & ~BigInt(align - 1);
    if (a + BigInt(size) > this.m.layout.userData + BigInt(this.m.layout.userDataSize)) {
      throw new GuestStop('resource-limit', `the user-mode system data region (${this.m.layout.userDataSize / 1024} KiB: PEB, TEB, C runtime variables) is full`);
    }
    this.userDataCursor = a + BigInt(size);
    return a;
  }

  /** A never-mapped page standing for a data export kdemu lacks: the first access stops the run naming it. */
  private missingData(module: string, name: string): bigint {
    const full = `${module}!${name}`;
    let i = this.missingDataNames.indexOf(full);
    if (i < 0) i = this.missingDataNames.push(full) - 1;
    return this.m.layout.missingData + BigInt(i) * 0x1000n;
  }
  private readonly missingDataNames: string[] = [];

  /** The address of a kernel routine implemented in TypeScript that drivers only see as a pointer. */
  internalRoutine(name: string, params: number, run: (k: Kernel, args: bigint[]) => bigint): bigint {
    const k = 'internal!' + name;
    return this.stubByName.get(k) ?? this.addStub(k, { kind: 'internal', name, params, run });
  }

  /** The stub of a kernel routine declared like an export but only called by kdemu's own guest code (never imported). */
  privateRoutine(decl: AnyExport): bigint {
    const k = 'private!' + decl.name;
    return this.stubByName.get(k) ?? this.addStub(k, { kind: 'export', decl });
  }

  /** Looks up an export by name the way MmGetSystemRoutineAddress does (ntoskrnl.exe, then hal.dll). */
  systemRoutine(name: string): bigint {
    for (const module of ['ntoskrnl.exe', 'hal.dll']) {
      const k = key(module, name);
      if (this.exportsByName.has(k) || this.dataByName.has(k)) return this.resolveImport(module, name);
    }
    return 0n;
  }

  private addStub(k: string, stub: Stub, user = false): bigint {
    const l = this.m.layout;
    if (user && this.nextUserStub === 0n) throw new Error('user-mode stubs before createUserSpace');
    const a = user ? this.nextUserStub : this.nextStub;
    const end = user ? l.userStubs + BigInt(l.userStubsSize) : l.stubs + BigInt(l.stubsSize);
    if (a + STUB_SLOT > end) {
      throw new GuestStop('resource-limit', `out of ${user ? 'user-mode ' : ''}import stub slots: kdemu binds at most ${(end - (user ? l.userStubs : l.stubs)) / STUB_SLOT - 1n} distinct imports and internal routines per machine`);
    }
    if (user) this.nextUserStub += STUB_SLOT;
    else this.nextStub += STUB_SLOT;
    this.stubs.set(a, stub);
    this.stubByName.set(k, a);
    return a;
  }

  private dataAddress(d: DataExportDecl): bigint {
    const k = key(d.module, d.name);
    let a = this.dataAddr.get(k);
    if (a === undefined) {
      a = d.address(this);
      this.dataAddr.set(k, a);
    }
    return a;
  }

  /** Zeroed memory in the system data region (kernel variables, KPCR ...), never freed. */
  systemAlloc(size: number, align = 16): bigint {
    const a = (this.dataCursor + BigInt(align - 1)) & ~BigInt(align - 1);
    if (a + BigInt(size) > this.dataEnd) {
      throw new GuestStop('resource-limit', `the kernel's system data region (${this.m.layout.systemDataSize / 1024} KiB: kernel variables, KPCR, data exports) is full`);
    }
    this.dataCursor = a + BigInt(size);
    return a;
  }

  /** Maps a region of whole pages (images, user memory). */
  mapRegion(address: bigint, size: number, prot: Prot): void {
    this.m.mapPages(address, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE, prot);
  }

  // ---- privilege levels ------------------------------------------------------------------------------------

  /**
   * Moves the processor to privilege level cpl with the segment base each mode has on Windows: on x64 the gs base
   * trades places with IA32_KERNEL_GS_BASE (swapgs: KPCR in the kernel, TEB in user mode); on x86 fs selects the
   * KPCR (0x30) or the TEB (0x3b), kept here as the other mode's fs base.
   */
  switchMode(cpl: Cpl): void {
    const e = this.m.engine;
    if (cpl === e.cpl) return;
    if (this.arch === 'x64') {
      const other = this.cpu.msr.get(0xc0000102) ?? 0n;
      this.cpu.msr.set(0xc0000102, e.getReg('gsBase'));
      e.setReg('gsBase', other);
    } else {
      const other = this.cpu.otherFsBase;
      this.cpu.otherFsBase = e.getReg('fsBase');
      e.setReg('fsBase', other);
    }
    e.setCpl(cpl);
  }

  /**
   * A processor exception in user mode (#GP, #PF ...): the process gets it as the exception status; with no user
   * exception dispatching yet, that ends the client as Windows ends a process with an unhandled exception.
   */
  raiseUserException(status: bigint, pc: bigint, reason: string): never {
    throw new GuestStop('client-fault', `${reason}: ${describeStatus(Number(status))}`, { pc });
  }

  // ---- naming addresses ----------------------------------------------------------------------------------

  symbolize(a: bigint): string {
    for (const mod of this.modules) {
      if (a >= mod.base && a < mod.base + BigInt(mod.size)) return `${mod.name}+0x${(a - mod.base).toString(16)}`;
    }
    return hex(a);
  }

  moduleOf(a: bigint): Module | undefined {
    return this.modules.find((mod) => a >= mod.base && a < mod.base + BigInt(mod.size));
  }

  private frame: Frame | undefined;
  /** Nesting of export calls (an export that calls the guest that calls an export ...), and their register scratch. */
  private depth = 0;
  private readonly regScratch: BigUint64Array[] = [];
  private regsAt(depth: number): BigUint64Array {
    return (this.regScratch[depth] ??= new BigUint64Array(5));
  }
  /** Per declaration, computed on first call: parameter kinds and names in order, x86 stack slots popped. */
  private readonly shapes = new Map<AnyExport, { kinds: ParamKind[]; names: string[]; slots: number }>();

  /** Where the current export was called from (the return address at the stub). */
  callerAddress(): bigint {
    return this.frame?.ret ?? 0n;
  }

  /**
   * The export calls in progress, innermost first: each one's stack pointer at its stub and return address.
   * Exception dispatch walks on through them into the code that made the call (the kernel routine's frame).
   */
  exportCalls(): { sp: bigint; ret: bigint }[] {
    const out: { sp: bigint; ret: bigint }[] = [];
    for (let f = this.frame; f; f = f.outer) out.push({ sp: f.sp, ret: f.ret });
    return out;
  }

  /** How many export calls are being handled, nested (the scheduler tells a thread's own top-level call by it). */
  get callDepth(): number {
    return this.depth;
  }

  /** The declared export call being handled, as a thread blocking in it leaves it (undefined for internal routines). */
  suspendedCall(): SuspendedCall | undefined {
    const f = this.frame;
    if (!f?.decl) return undefined;
    const sp = this.arch === 'x64' ? f.sp + 8n : f.sp + 4n + BigInt(f.decl.cc === 'cdecl' ? 0 : f.slots! * 4);
    return { ret: f.ret, sp, kind: f.decl.ret, name: `${f.decl.module}!${f.decl.name}`, ...(f.display ? { display: f.display } : {}) };
  }

  /** Completes a call a thread blocked in, now that it resumes: the registers a return leaves, and the trace event. */
  finishSuspendedCall(c: SuspendedCall, value: number | bigint | undefined): void {
    this.returnRegs(c.sp, c.kind, value);
    if (this.trace.enabled && c.display) {
      this.trace.emit({ type: 'call', export: c.name, args: c.display, ...(c.kind === 'void' || value === undefined ? {} : { ret: this.showRet(c.kind, value) }), caller: this.symbolize(c.ret), tid: this.ps.tid });
    }
  }

  // ---- calls into the guest -------------------------------------------------------------------------------

  /**
   * Calls a driver routine (dispatch, completion, DriverEntry, unload) as the kernel would: stdcall on x86.
   * A routine that pops the wrong number of bytes (a cdecl routine built without NTAPI) is survived: the stack
   * is restored and the trace says so.
   */
  callRoutine(target: bigint, args: readonly bigint[], what: string): bigint {
    const traced = this.trace.enabled;
    if (traced) this.trace.emit({ type: 'callback', event: 'enter', routine: what, target: this.symbolize(target) });
    const r = this.m.callGuest(target, args);
    let note: string | undefined;
    if (r.stackMismatch !== 0) {
      note = `${what} ${this.symbolize(target)} ${r.stackMismatch < 0 ? `left ${-r.stackMismatch} bytes of arguments on the stack (cdecl, not stdcall/NTAPI)` : `popped ${r.stackMismatch} bytes too many`}; kdemu restored the stack`;
    }
    if (traced) this.trace.emit({ type: 'callback', event: 'leave', routine: what, target: this.symbolize(target), ret: hex(r.value & (this.arch === 'x86' ? 0xffffffffn : ~0n)), ...(note ? { note } : {}) });
    return r.value;
  }

  // ---- the call funnel -------------------------------------------------------------------------------------

  private onTrap(address: bigint): bigint {
    const stub = this.stubs.get(address);
    // One batched register read per call: the stack pointer and the register arguments.
    const regs = this.regsAt(this.depth);
    this.m.engine.readRegs(this.arch === 'x64' ? TRAP_REGS_X64 : TRAP_REGS_X86, regs);
    const sp = regs[0];
    const ret = this.m.ptr(sp);
    if (!stub) {
      throw new GuestStop('fault', `execution reached ${this.symbolize(address)}, which is not an entry point`, { pc: address });
    }
    if (stub.kind === 'missing') {
      const name = `${stub.module}!${stub.name}`;
      if (!this.unsupportedCalls.includes(name)) this.unsupportedCalls.push(name);
      throw new GuestStop('unsupported-call', `call to ${name}, which kdemu does not implement, from ${this.symbolize(ret)}`, { pc: ret, export: name });
    }
    this.apiCalls++;
    const outer = this.frame;
    const outerActing = this.m.acting;
    this.frame = { sp, ret, regs, outer };
    this.depth++;
    // The export's accesses to guest memory take the page checks of the code that called it.
    this.m.acting = this.m.engine.cpl;
    try {
      if (stub.kind === 'internal') return this.callInternal(stub, ret);
      const r = this.callExport(stub.decl, ret);
      if (r === SUSPENDED) return r;
      // Returning to user mode is where a real machine would take the clock and DPC interrupts that came meanwhile.
      if (this.afterUserCall && this.m.engine.cpl === 3) this.afterUserCall();
      return r;
    } catch (e) {
      // A stop the export raised itself (KeBugCheckEx, a second IoCompleteRequest, a bad pool free) is located at the call.
      if (e instanceof GuestStop && e.detail.pc === undefined) e.detail.pc = ret;
      if (!(e instanceof EngineMemoryError)) throw e;
      const name = stub.kind === 'internal' ? stub.name : `${stub.decl.module}!${stub.decl.name}`;
      // An access violation on a user-space address is an exception the driver's handlers may take.
      exportAccessException(this, e, address, name);
      throw this.accessStop(e, name, ret, address);
    } finally {
      this.frame = outer;
      this.m.acting = outerActing;
      this.depth--;
    }
  }

  /**
   * The fault an export's access to a bad guest pointer is: in user mode an access violation in the process, as in
   * the real DLL; in kernel mode the bugcheck Windows raises for a kernel-mode fault there, located at the call.
   */
  private accessStop(e: EngineMemoryError, name: string, ret: bigint, routine: bigint): GuestStop {
    const reason = e instanceof GuestAccessError ? e.reason : 'unmapped';
    const what = `${e.access === 'write' ? 'wrote to' : 'read from'} ${reason === 'unmapped' ? 'unmapped memory' : e.access === 'write' ? 'read-only memory' : 'memory it may not read'} at ${hex(e.address)}`;
    const fault = { access: e.access, address: e.address };
    if (this.m.engine.cpl === 3) {
      return new GuestStop('client-fault', `${name}, called from ${this.symbolize(ret)}, ${what}: STATUS_ACCESS_VIOLATION (0xC0000005)`, { pc: ret, export: name, fault });
    }
    // The faulting instruction is the kernel routine's (its stub), as in a Windows dump.
    const bugcheck = kernelFaultBugcheck(e.address, e.access, reason, routine, this.irql, this.m.engine.pageProt(e.address) !== undefined);
    return new GuestStop('fault', `${name}, called from ${this.symbolize(ret)}, ${what}`, { pc: ret, export: name, fault, bugcheck });
  }

  private callInternal(stub: Extract<Stub, { kind: 'internal' }>, ret: bigint): bigint {
    const args: bigint[] = [];
    for (let i = 0; i < stub.params; i++) args.push(this.arch === 'x64' ? this.slot(i) : this.stackSlot(i));
    if (this.trace.enabled) this.trace.emit({ type: 'call', export: `ntoskrnl.exe!${stub.name}`, args: Object.fromEntries(args.map((a, i) => [`arg${i}`, hex(a)])), caller: this.symbolize(ret), tid: this.ps.tid });
    const v = stub.run(this, args);
    this.returnFromStub('status', v, 'stdcall', stub.params);
    return ret;
  }

  private callExport(decl: AnyExport, ret: bigint): bigint {
    let shape = this.shapes.get(decl);
    if (!shape) {
      const kinds = Object.values(decl.params) as ParamKind[];
      shape = { kinds, names: Object.keys(decl.params), slots: x86StackSlots(decl.cc, kinds) };
      this.shapes.set(decl, shape);
    }
    const { kinds, names } = shape;
    const args: Record<string, number | bigint> = {};
    const fetch = this.fetcher(decl.cc);
    for (let i = 0; i < kinds.length; i++) args[names[i]] = fetch.param(kinds[i]);
    const va = fetch.varargs;
    let display: Record<string, string> | undefined;
    if (this.trace.enabled && !decl.internal) {
      display = {};
      for (let i = 0; i < kinds.length; i++) display[names[i]] = this.showArg(kinds[i], args[names[i]]);
    }
    const frame = this.frame!;
    frame.decl = decl;
    frame.slots = shape.slots;
    frame.display = display;
    let value: ReturnType<typeof decl.impl>;
    try {
      value = decl.impl(this, args as never, va);
      // The thread suspended in a tail wait: the call is finished when it resumes (Scheduler.resume).
      if (this.sched.suspending) return SUSPENDED;
    } catch (e) {
      // A call that ends the run (KeBugCheckEx, a second IoCompleteRequest, a bad pointer) is traced too.
      if (display && (e instanceof GuestStop || e instanceof EngineMemoryError || e instanceof GuestResume)) {
        // A raised exception a driver's handler took continues elsewhere (its __except block).
        const outcome = e instanceof GuestStop ? e.outcome : e instanceof GuestResume ? 'an exception handler continued at ' + this.symbolize(e.rip) : 'fault';
        this.trace.emit({ type: 'call', export: `${decl.module}!${decl.name}`, args: display, caller: this.symbolize(ret), tid: this.ps.tid, note: `did not return: ${outcome}` });
      }
      throw e;
    }
    this.returnFromStub(decl.ret, value as number | bigint | undefined, decl.cc, shape.slots);
    if (display) {
      this.trace.emit({
        type: 'call',
        export: `${decl.module}!${decl.name}`,
        args: display,
        ...(decl.ret === 'void' ? {} : { ret: this.showRet(decl.ret, value as number | bigint) }),
        caller: this.symbolize(ret),
        tid: this.ps.tid,
      });
    }
    return ret;
  }

  /** Reads declared parameters in order, then the variadic ones, per the architecture and convention. */
  private fetcher(cc: CallConv) {
    let slot = 0;
    let regsUsed = 0; // x86 fastcall: ecx, edx
    const k = this;
    const x64 = this.arch === 'x64';
    const param = (kind: ParamKind): number | bigint => {
      let raw: bigint;
      if (x64) {
        raw = k.slot(slot++);
      } else if (cc === 'edx:eax') {
        // The 64-bit operand in edx:eax, then the count in cl (the parameter's kind narrows ecx to it).
        const r = k.frame!.regs;
        raw = regsUsed++ === 0 ? (k.m.engine.getReg('rax') & 0xffffffffn) | ((r[2] & 0xffffffffn) << 32n) : r[1];
      } else if (cc === 'fastcall' && regsUsed < 2 && x86Slots(kind) === 1) {
        raw = k.frame!.regs[1 + regsUsed++];
      } else if (x86Slots(kind) === 2) {
        raw = k.stackSlot(slot) | (k.stackSlot(slot + 1) << 32n);
        slot += 2;
      } else {
        raw = k.stackSlot(slot++);
      }
      return narrow(kind, raw, x64);
    };
    const varargs: VarArgs = {
      int32: () => Number(BigInt.asUintN(32, x64 ? k.slot(slot++) : k.stackSlot(slot++))),
      int64: () => {
        if (x64) return k.slot(slot++);
        const v = k.stackSlot(slot) | (k.stackSlot(slot + 1) << 32n);
        slot += 2;
        return v;
      },
      ptr: () => (x64 ? k.slot(slot++) : k.stackSlot(slot++)),
    };
    return { param, varargs };
  }

  /** x64 argument slot i at a stub: rcx, rdx, r8, r9, then the stack above the shadow space. */
  private slot(i: number): bigint {
    const f = this.frame!;
    if (i < 4) return f.regs[1 + i];
    return this.m.u64(f.sp + 8n + 8n * BigInt(i));
  }

  /** x86: the i-th 4-byte stack argument slot above the return address. */
  private stackSlot(i: number): bigint {
    return BigInt(this.m.u32(this.frame!.sp + 4n + 4n * BigInt(i)));
  }

  /**
   * Returns from the stub in one register write: the return value, and the stack pointer past the return address
   * (and, for x86 stdcall/fastcall, past the callee-popped arguments).
   */
  private returnFromStub(kind: RetKind, v: number | bigint | undefined, cc: CallConv, slots: number): void {
    const f = this.frame!;
    this.returnRegs(this.arch === 'x64' ? f.sp + 8n : f.sp + 4n + BigInt(cc === 'cdecl' ? 0 : slots * 4), kind, v);
  }

  private returnRegs(sp: bigint, kind: RetKind, v: number | bigint | undefined): void {
    if (kind === 'void' || v === undefined) {
      this.m.engine.setReg('rsp', sp);
      return;
    }
    const w = BigInt.asUintN(64, widenRet(kind, typeof v === 'bigint' ? v : BigInt(v)));
    if (this.arch === 'x64') this.m.engine.writeRegs(RET_REGS_X64, [sp, w]);
    else if (kind === 'u64' || kind === 'i64') this.m.engine.writeRegs(RET_REGS_X86_64, [sp, w & 0xffffffffn, w >> 32n]);
    else this.m.engine.writeRegs(RET_REGS_X64, [sp, w & 0xffffffffn]);
  }

  // ---- trace formatting --------------------------------------------------------------------------------------

  private showArg(kind: ParamKind, v: number | bigint): string {
    switch (kind) {
      case 'u8': case 'u16': case 'u32': case 'i32': case 'irql':
        return String(v);
      case 'bool':
        return v ? 'TRUE' : 'FALSE';
      case 'status':
        return formatStatus(Number(v));
      case 'access':
        return hex(v, 8);
      case 'tag':
        return `'${tagChars(Number(v))}'`;
      case 'u64': case 'i64':
        return String(kind === 'i64' ? BigInt.asIntN(64, v as bigint) : v);
      case 'ptr': case 'usize': case 'handle':
        return hex(v);
      case 'pstr':
        return this.quoted(v as bigint, () => decodeBytes(this.m.cstring(v as bigint, 256)));
      case 'pwstr':
        return this.quoted(v as bigint, () => this.m.wstring(v as bigint, 256));
      case 'pustr':
      case 'pastr':
        return this.quoted(v as bigint, () => this.countedString(v as bigint, kind === 'pustr'));
    }
  }

  private quoted(p: bigint, read: () => string): string {
    if (p === 0n) return 'NULL';
    try {
      return `${hex(p)} ${JSON.stringify(read())}`;
    } catch {
      return `${hex(p)} <unreadable>`;
    }
  }

  /** A UNICODE_STRING / ANSI_STRING's text (Length bytes, not NUL-terminated). */
  countedString(p: bigint, wide: boolean): string {
    const len = this.m.u16(p);
    const buf = this.m.ptr(p + (this.ptrSize === 8 ? 8n : 4n));
    if (buf === 0n || len === 0) return '';
    const b = this.m.read(buf, len);
    if (!wide) return latin1(b);
    let s = '';
    for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] | (b[i + 1] << 8));
    return s;
  }

  private showRet(kind: RetKind, v: number | bigint): string {
    switch (kind) {
      case 'status':
        return formatStatus(Number(v));
      case 'bool':
      case 'u8': case 'u16': case 'u32': case 'i32': case 'irql': case 'u64': case 'i64':
        return String(v);
      default:
        return hex(v);
    }
  }
}

/** x86: the 4-byte stack slots the declared parameters occupy (fastcall passes the first two 32-bit ones in ecx, edx). */
function x86StackSlots(cc: CallConv, kinds: readonly ParamKind[]): number {
  if (cc === 'edx:eax') return 0;
  let regs = cc === 'fastcall' ? 2 : 0;
  let slots = 0;
  for (const kind of kinds) {
    const n = x86Slots(kind);
    if (regs > 0 && n === 1) regs--;
    else slots += n;
  }
  return slots;
}

type ExportTable = { exports: readonly AnyExport[]; data: readonly DataExportDecl[] };
const nameMapCache = new WeakMap<ExportTable, Partial<Record<Arch, { exports: ReadonlyMap<string, AnyExport>; data: ReadonlyMap<string, DataExportDecl> }>>>();

/** The table's exports and data exports by module!name for an architecture: built once per table, shared by every run. */
function nameMaps(table: ExportTable, arch: Arch): { exports: ReadonlyMap<string, AnyExport>; data: ReadonlyMap<string, DataExportDecl> } {
  let perArch = nameMapCache.get(table);
  if (!perArch) nameMapCache.set(table, (perArch = {}));
  let maps = perArch[arch];
  if (!maps) {
    const exports = new Map<string, AnyExport>();
    for (const d of table.exports) {
      if (d.arch && d.arch !== arch) continue;
      for (const n of [d.name, ...(d.aliases ?? [])]) exports.set(key(d.module, n), d);
    }
    const data = new Map(table.data.filter((d) => !d.arch || d.arch === arch).map((d) => [key(d.module, d.name), d] as const));
    perArch[arch] = maps = { exports, data };
  }
  return maps;
}

/** The user-mode system DLLs kdemu implements: only programs bind to them. */
const USER_MODE_DLLS = new Set(['kernel32.dll', 'msvcrt.dll', 'ucrtbase.dll', 'setupapi.dll']);

function key(module: string, name: string): string {
  return canonicalModule(module) + '!' + name;
}

/** Import module names compare case-insensitively; ntoskrnl's other names are the same module. */
export function canonicalModule(module: string): string {
  const m = module.toLowerCase();
  if (m === 'ntoskrnl.exe' || m === 'ntkrnlpa.exe' || m === 'ntkrnlmp.exe' || m === 'ntkrpamp.exe') return 'ntoskrnl.exe';
  // The UCRT's API sets all forward to ucrtbase.dll.
  if (m.startsWith('api-ms-win-crt-')) return 'ucrtbase.dll';
  return m;
}

function narrow(kind: ParamKind, raw: bigint, x64: boolean): number | bigint {
  switch (kind) {
    case 'u8': case 'bool': case 'irql':
      return Number(raw & 0xffn);
    case 'u16':
      return Number(raw & 0xffffn);
    case 'u32': case 'tag': case 'access':
      return Number(raw & 0xffffffffn);
    case 'i32':
      return Number(BigInt.asIntN(32, raw));
    case 'status':
      return Number(raw & 0xffffffffn);
    case 'u64': case 'i64':
      return BigInt.asUintN(64, raw);
    default:
      return x64 ? BigInt.asUintN(64, raw) : raw & 0xffffffffn;
  }
}

function widenRet(kind: RetKind, v: bigint): bigint {
  switch (kind) {
    case 'u8': case 'bool': case 'irql':
      return v & 0xffn;
    case 'u16':
      return v & 0xffffn;
    case 'u32': case 'status': case 'i32':
      return v & 0xffffffffn;
    default:
      return v;
  }
}

function tagChars(tag: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}

export function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}
