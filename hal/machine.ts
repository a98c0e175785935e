// The emulated machine as the kernel sees it: address-space layout, typed guest memory, calls into guest code.

import { EngineMemoryError, GuestMemoryExhaustedError, PAGE_SIZE, Prot } from '../emu/engine.js';
import type { Arch, Backing, Cpl, Engine, Exit, Reg } from '../emu/engine.js';
import type { Outcome } from './report.js';

/** Fixed addresses, so that every run (and every engine) sees the same pointers. */
export interface AddressLayout {
  /** KUSER_SHARED_DATA. */
  sharedUserData: bigint;
  /** The pseudo ntoskrnl image: import stubs and the return trap live here (a trap range). */
  stubs: bigint;
  stubsSize: number;
  /** Kernel variables, KPCR, KPRCB, process and thread objects: a bump region. */
  systemData: bigint;
  systemDataSize: number;
  /** Where the first driver image goes; each next one follows. */
  drivers: bigint;
  /** Non-paged pool: grows upward in chunks. */
  pool: bigint;
  poolLimit: bigint;
  /** Kernel stack: [stackBase - stackSize, stackBase), an unmapped guard page below. */
  stackBase: bigint;
  stackSize: number;
  /** The user process's heap: buffers the user-mode side passes, the client's malloc and HeapAlloc. */
  user: bigint;
  userLimit: bigint;
  /** User-mode import stubs and the user return trap (a trap range user code may reach). */
  userStubs: bigint;
  userStubsSize: number;
  /** User-mode system data: PEB, TEB, process parameters, the C runtime's variables. A bump region. */
  userData: bigint;
  userDataSize: number;
  /** The client's stack: [userStackTop - userStackSize, userStackTop). */
  userStackTop: bigint;
  userStackSize: number;
  /** Never mapped: one page per Windows data export kdemu does not implement, so touching one faults naming it. */
  missingData: bigint;
  /** One page of kernel code kdemu itself runs (saving and restoring a thread's FPU/SSE state on a switch). */
  kernelCode: bigint;
  /** System PTEs: kernel views of locked pages (MmMapLockedPages for KernelMode, MmGetSystemAddressForMdlSafe). */
  systemPtes: bigint;
  systemPtesSize: number;
  /** Where user-mode views of locked pages go in the user process (MmMapLockedPages for UserMode). */
  userViews: bigint;
  userViewsSize: number;
}

export const LAYOUTS: Record<Arch, AddressLayout> = {
  x64: {
    sharedUserData: 0xfffff78000000000n,
    stubs: 0xfffff80000000000n,
    stubsSize: 0x100000,
    systemData: 0xfffff80000100000n,
    systemDataSize: 0x100000,
    drivers: 0xfffff80001000000n,
    pool: 0xffffa00000000000n,
    poolLimit: 0xffffa00040000000n,
    stackBase: 0xfffff88000108000n,
    stackSize: 0x6000,
    user: 0x0000000010000000n,
    userLimit: 0x0000000050000000n,
    userStubs: 0x00007ff700000000n,
    userStubsSize: 0x100000,
    userData: 0x00007ff700100000n,
    userDataSize: 0x100000,
    userStackTop: 0x0000000000300000n,
    userStackSize: 0x200000,
    missingData: 0xfffff80f00000000n,
    kernelCode: 0xfffff80000200000n,
    systemPtes: 0xfffff88100000000n,
    systemPtesSize: 0x1000000,
    userViews: 0x0000000060000000n,
    userViewsSize: 0x10000000,
  },
  x86: {
    sharedUserData: 0xffdf0000n,
    stubs: 0x80800000n,
    stubsSize: 0x100000,
    systemData: 0x80900000n,
    systemDataSize: 0x100000,
    drivers: 0x9a000000n,
    pool: 0x85000000n,
    poolLimit: 0x89000000n,
    stackBase: 0x8f004000n,
    stackSize: 0x3000,
    user: 0x10000000n,
    userLimit: 0x50000000n,
    userStubs: 0x7ff00000n,
    userStubsSize: 0x80000,
    userData: 0x7fe00000n,
    userDataSize: 0x100000,
    userStackTop: 0x00300000n,
    userStackSize: 0x200000,
    missingData: 0x8c000000n,
    kernelCode: 0x80a00000n,
    systemPtes: 0xb0000000n,
    systemPtesSize: 0x1000000,
    userViews: 0x60000000n,
    userViewsSize: 0x10000000,
  },
};

/** What the trap handler returns instead of a pc when the running thread suspended in the call (ke/scheduler.ts). */
export const SUSPENDED = -1n;

/** Offsets of the fxsave and fxrstor helpers in the kernel code page. */
const FX_SAVE = 0;
const FX_RESTORE = 16;

/** Registers callGuest sets on x64 for 0..4 register arguments: rsp first. */
const RETURN_REGS: readonly Reg[] = ['rsp', 'rax', 'rdx'];
const CALL_REGS_X64: readonly (readonly Reg[])[] = [['rsp'], ['rsp', 'rcx'], ['rsp', 'rcx', 'rdx'], ['rsp', 'rcx', 'rdx', 'r8'], ['rsp', 'rcx', 'rdx', 'r8', 'r9']];

/** Why a run stopped abnormally; thrown through the host-side call stack to the top of the run. */
export class GuestStop extends Error {
  constructor(
    readonly outcome: Exclude<Outcome, 'completed' | 'internal-error'>,
    readonly reason: string,
    readonly detail: {
      pc?: bigint;
      export?: string;
      bugcheck?: { code: number; params: bigint[] };
      fault?: { access: string; address: bigint };
      instructionBytes?: Uint8Array;
      /** An unhandled exception's call stack, innermost first (return addresses). */
      stack?: bigint[];
    } = {},
  ) {
    super(reason);
  }
}

/**
 * An access kdemu made on the guest's behalf (inside an export, with the privilege level of the code that called it)
 * that the guest's own instruction could not have made: an unmapped page, a write to a read-only page, a kernel
 * page touched for user mode. The kernel turns it into the fault Windows takes at that point.
 */
export class GuestAccessError extends EngineMemoryError {
  constructor(
    address: bigint,
    size: number,
    access: 'read' | 'write',
    readonly reason: 'unmapped' | 'protection',
  ) {
    super(address, size, access);
    this.message = `${access} of ${size} bytes at 0x${address.toString(16)}: ${reason === 'unmapped' ? 'not mapped' : 'not allowed by the page protection'}`;
  }
}

/** The run's guest-memory budget (--memory) cannot hold a new mapping: allocators answer as Windows does when memory runs out. */
export class MemoryBudgetError extends Error {
  constructor(
    readonly requested: number,
    readonly committed: number,
    readonly budget: number,
  ) {
    super(`${requested} more bytes of guest memory would exceed the budget of ${budget / 1048576} MiB (${committed / 1048576} MiB in use; --memory sets it)`);
  }
}

/** Guest memory a run may map by default (--memory). */
export const DEFAULT_MEMORY_MB = 2048;

/** The result of running one guest call to its return. */
export interface CallResult {
  value: bigint;
  /** Bytes the callee removed from the stack beyond what its declaration says (x86: a cdecl routine called as stdcall). */
  stackMismatch: number;
}

export type TrapHandler = (address: bigint) => bigint;

/**
 * A guest exception handler took the exception (an __except block, or a handler's ExceptionContinueExecution): the
 * thread continues with these registers. Thrown from exception dispatch through the host-side frames between it and
 * the guest run (runToReturn) whose frames hold the stack pointer `sp`, which applies the registers and goes on.
 */
export class GuestResume extends Error {
  constructor(
    /** rax .. r15 in the unwind codes' order (x86: eax ecx edx ebx esp ebp esi edi), then rip and rflags. */
    readonly regs: readonly bigint[],
    readonly rip: bigint,
    readonly eflags: bigint,
  ) {
    super('exception handled: execution continues at ' + hex(rip));
  }
  get sp(): bigint {
    return this.regs[4];
  }
}

const RESUME_REGS_X64: readonly Reg[] = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rflags'];
const RESUME_REGS_X86: readonly Reg[] = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'rflags'];

export class Machine {
  readonly ptrSize: 4 | 8;
  readonly layout: AddressLayout;
  /** The address guest calls return to; reaching it ends the innermost callGuest. */
  readonly returnTrap: bigint;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  private budgetEnd = 0;
  /** Emulates a privileged instruction and returns where execution continues (set by the kernel). */
  onPrivileged: (pc: bigint) => bigint = (pc) => {
    throw new GuestStop('unsupported-instruction', `privileged instruction at ${hex(pc)}`, { pc });
  };
  /** Changes the privilege level with what goes with it (segment bases); set by the kernel. */
  onModeSwitch: (cpl: Cpl) => void = (cpl) => this.engine.setCpl(cpl);
  /** The user return trap, once user mode exists (the kernel's return trap is not reachable from CPL3). */
  userReturnTrap = 0n;
  /** Where the user stack pointer was when user mode last called into the kernel, and the first value for a client. */
  userSp = 0n;
  /** Where the kernel stack pointer was when the kernel last entered user mode. */
  private kernelSp = 0n;
  /** Names the missing data export behind a faulting address (set by the kernel). */
  missingDataAt?: (address: bigint) => string | undefined;
  private readonly retRegs = new BigUint64Array(3);
  private deadline = 0;
  /** Bytes of guest memory mapped (aliases excluded: they add no memory), and the budget for them. */
  private committed = 0;
  memoryBudget = DEFAULT_MEMORY_MB * 1048576;
  /**
   * The privilege level kdemu's own accesses act for: set while an export runs (the caller's level), so that its
   * reads and writes of guest pointers take the same page checks as the guest's instructions; -1 outside exports
   * (the kernel's own bookkeeping). Bumping protGen drops the cached check.
   */
  acting: Cpl | -1 = -1;
  private protGen = 0;
  private okGen = -1;
  private okActing: Cpl | -1 = -1;
  private okWrite = false;
  private okLo = 0n;
  private okHi = 0n;
  /** The current IRQL, for the bugcheck a fault at DISPATCH_LEVEL is (set by the kernel). */
  irql: () => number = () => 0;
  /**
   * A processor exception in kernel mode (a fault, a divide error, int3 ...), offered to the kernel's exception
   * dispatch before it becomes a stop: it throws GuestResume when a guest handler takes it, or a GuestStop; it
   * returns false when Windows would not dispatch it (a bugcheck in the page-fault handler), for stopFor to report.
   */
  onKernelException?: (exit: Extract<Exit, { kind: 'fault' | 'interrupt' }>) => false;

  constructor(
    readonly engine: Engine,
    private readonly onTrap: TrapHandler,
  ) {
    this.ptrSize = engine.arch === 'x64' ? 8 : 4;
    this.layout = LAYOUTS[engine.arch];
    this.returnTrap = this.layout.stubs;
    const l = this.layout;
    this.mapPages(l.stubs, l.stubsSize, Prot.RX);
    engine.write(l.stubs, new Uint8Array(l.stubsSize).fill(0xcc));
    engine.addTrapRange(l.stubs, l.stubs + BigInt(l.stubsSize));
    this.mapPages(l.systemData, l.systemDataSize, Prot.RW);
    this.mapPages(l.stackBase - BigInt(l.stackSize), l.stackSize, Prot.RW);
    engine.setReg('rsp', l.stackBase - 0x100n);
    // fxsave/fxrstor of the buffer given as the first argument, then return (x64: rcx; x86: stdcall [esp+4]).
    this.mapPages(l.kernelCode, PAGE_SIZE, Prot.RW);
    const code = new Uint8Array(PAGE_SIZE).fill(0xcc);
    if (engine.arch === 'x64') {
      code.set([0x48, 0x0f, 0xae, 0x01, 0xc3], FX_SAVE);
      code.set([0x48, 0x0f, 0xae, 0x09, 0xc3], FX_RESTORE);
    } else {
      code.set([0x8b, 0x44, 0x24, 0x04, 0x0f, 0xae, 0x00, 0xc2, 0x04, 0x00], FX_SAVE);
      code.set([0x8b, 0x44, 0x24, 0x04, 0x0f, 0xae, 0x08, 0xc2, 0x04, 0x00], FX_RESTORE);
    }
    engine.write(l.kernelCode, code);
    this.protect(l.kernelCode, PAGE_SIZE, Prot.RX);
  }

  /**
   * Saves (or restores) the processor's x87/MMX/SSE state to the 512-byte, 16-byte aligned area at `area`, as a
   * thread switch does: by running fxsave (fxrstor) in the guest at CPL0 on the given scratch stack. The general
   * registers are the caller's to save before and restore after.
   */
  fxState(area: bigint, save: boolean, scratchSp: bigint): void {
    const e = this.engine;
    const cpl = e.cpl;
    const before = e.instructions;
    if (cpl !== 0) e.setCpl(0);
    try {
      const expectSp = this.pushCall(scratchSp, [area], this.returnTrap);
      const r = this.runToReturn(this.layout.kernelCode + BigInt(save ? FX_SAVE : FX_RESTORE), this.returnTrap, expectSp);
      if (r.stackMismatch !== 0) throw new Error('fxState: the helper left the stack unbalanced');
    } finally {
      if (cpl !== 0) e.setCpl(cpl);
      // The helper is kdemu's, not the guest's: an engine that saves the state natively runs none of it.
      e.discount?.(e.instructions - before);
    }
  }

  get arch(): Arch {
    return this.engine.arch;
  }

  // ---- budgets -------------------------------------------------------------------------------------------

  /** Limits for the whole run: instructions (0: none) and a wall-clock deadline in ms since the epoch (0: none). */
  setBudgets(maxInstructions: number, deadlineMs: number): void {
    this.budgetEnd = maxInstructions;
    this.deadline = deadlineMs;
  }

  // ---- memory --------------------------------------------------------------------------------------------

  read(address: bigint, size: number): Uint8Array {
    if (this.acting >= 0) this.check(address, size, false);
    return this.engine.read(address, size);
  }

  write(address: bigint, data: Uint8Array): void {
    if (this.acting >= 0) this.check(address, data.length, true);
    this.engine.write(address, data);
  }

  private check(a: bigint, size: number, write: boolean): void {
    const b = this.engine.backing(a);
    if (b && Number(a - b.begin) + size <= b.size && this.regionAllows(b, write)) return;
    this.checkAccess(a, size, write);
  }

  /**
   * The page checks the processor makes for an instruction at the acting privilege level: present; writable for a
   * write (Windows runs with CR0.WP, so the kernel cannot write read-only pages either); a user page at CPL3. The
   * last page found good is remembered, as most accesses of an export fall in one structure.
   */
  private checkAccess(a: bigint, size: number, write: boolean): void {
    if (size <= 0) return;
    const end = a + BigInt(size);
    if (this.okGen === this.protGen && this.okActing === this.acting && (this.okWrite || !write) && a >= this.okLo && end <= this.okHi) return;
    const access = write ? 'write' : 'read';
    let last = 0n;
    for (let p = a & ~0xfffn; p < end; p += 0x1000n) {
      const prot = this.engine.pageProt(p);
      const first = p > a ? p : a;
      if (prot === undefined) throw new GuestAccessError(first, size, access, 'unmapped');
      const allowed = (write ? prot & Prot.Write : prot & (Prot.Read | Prot.Write)) && (this.acting !== 3 || prot & Prot.User);
      if (!allowed) throw new GuestAccessError(first, size, access, 'protection');
      last = p;
    }
    // Remembered only once the whole range passed, with the level and kind it passed for.
    this.okLo = last;
    this.okHi = last + 0x1000n;
    this.okGen = this.protGen;
    this.okActing = this.acting;
    this.okWrite = write;
  }

  /** Runs f with kdemu's accesses acting for privilege level `level` (-1: unchecked), restoring the previous level after. */
  actingAs<T>(level: Cpl | -1, f: () => T): T {
    const saved = this.acting;
    this.acting = level;
    try {
      return f();
    } finally {
      this.acting = saved;
    }
  }

  /** Reads, or null if any byte is unmapped (formatters use this to print bad pointers like Windows). */
  tryRead(address: bigint, size: number): Uint8Array | null {
    try {
      return this.engine.read(address, size);
    } catch (e) {
      if (e instanceof EngineMemoryError) return null;
      throw e;
    }
  }

  /** The region's DataView and the offset of [a, a+size) in it, when it lies in one region (the fast path). */
  private at(a: bigint, size: number, write: boolean): number {
    const b = this.engine.backing(a);
    const off = b ? Number(a - b.begin) : 0;
    // Inside one region of uniform protection the check is the region's; anything else takes the page walk.
    if (this.acting >= 0 && !(b && off + size <= b.size && this.regionAllows(b, write))) this.checkAccess(a, size, write);
    if (!b || (write && b.code && (b.alias || this.mayHoldCode(a, size)))) return -1;
    if (off + size > b.size) return -1;
    this.dv = b.view;
    return off;
  }

  /**
   * Whether [a, a+size) touches an executable page: only there can the engine have translated code that a host write
   * must invalidate (an image's data section shares its region with its code, and drivers write their globals often).
   */
  private mayHoldCode(a: bigint, size: number): boolean {
    const first = this.engine.pageProt(a);
    if (first === undefined || first & Prot.Exec) return true;
    const last = a + BigInt(size - 1);
    if ((last & ~0xfffn) === (a & ~0xfffn)) return false;
    const p = this.engine.pageProt(last);
    return p === undefined || (p & Prot.Exec) !== 0;
  }

  /** Whether a region mapped with one protection (and not re-protected since) allows the access at the acting level. */
  private regionAllows(b: Backing, write: boolean): boolean {
    const p = this.regionProt.get(b);
    if (p === undefined) return false;
    return (write ? (p & Prot.Write) !== 0 : (p & (Prot.Read | Prot.Write)) !== 0) && (this.acting !== 3 || (p & Prot.User) !== 0);
  }
  /** Regions whose pages all have the protection they were mapped with: most accesses are checked without a page walk. */
  private readonly regionProt = new WeakMap<Backing, Prot>();
  private dv: DataView = new DataView(new ArrayBuffer(8));

  /**
   * Like at(), for a field at `off` bytes into the structure at `base`: the structure's offset in its region is
   * remembered, so the many field accesses to one IRP or stack location cost no BigInt arithmetic.
   */
  private field(base: bigint, off: number, size: number, write: boolean): number {
    const b = this.engine.backing(base);
    if (this.acting >= 0) {
      const o = b ? Number(base - b.begin) + off : -1;
      if (!(b && o >= 0 && o + size <= b.size && this.regionAllows(b, write))) this.checkAccess(base + BigInt(off), size, write);
    }
    if (!b || (write && b.code && (b.alias || this.mayHoldCode(base + BigInt(off), size)))) return -1;
    let o: number;
    if (base === this.fieldBase && b === this.fieldBacking) o = this.fieldOff;
    else {
      o = Number(base - b.begin);
      this.fieldBase = base;
      this.fieldBacking = b;
      this.fieldOff = o;
    }
    o += off;
    if (o < 0 || o + size > b.size) return -1;
    this.dv = b.view;
    return o;
  }
  private fieldBase = -1n;
  private fieldOff = 0;
  private fieldBacking: unknown;

  u8At(base: bigint, off: number): number {
    const o = this.field(base, off, 1, false);
    return o >= 0 ? this.dv.getUint8(o) : this.u8(base + BigInt(off));
  }
  u16At(base: bigint, off: number): number {
    const o = this.field(base, off, 2, false);
    return o >= 0 ? this.dv.getUint16(o, true) : this.u16(base + BigInt(off));
  }
  u32At(base: bigint, off: number): number {
    const o = this.field(base, off, 4, false);
    return o >= 0 ? this.dv.getUint32(o, true) : this.u32(base + BigInt(off));
  }
  u64At(base: bigint, off: number): bigint {
    const o = this.field(base, off, 8, false);
    return o >= 0 ? this.dv.getBigUint64(o, true) : this.u64(base + BigInt(off));
  }
  ptrAt(base: bigint, off: number): bigint {
    return this.ptrSize === 8 ? this.u64At(base, off) : BigInt(this.u32At(base, off));
  }
  setU8At(base: bigint, off: number, v: number): void {
    const o = this.field(base, off, 1, true);
    if (o >= 0) this.dv.setUint8(o, v & 0xff);
    else this.setU8(base + BigInt(off), v);
  }
  setU16At(base: bigint, off: number, v: number): void {
    const o = this.field(base, off, 2, true);
    if (o >= 0) this.dv.setUint16(o, v & 0xffff, true);
    else this.setU16(base + BigInt(off), v);
  }
  setU32At(base: bigint, off: number, v: number): void {
    const o = this.field(base, off, 4, true);
    if (o >= 0) this.dv.setUint32(o, v >>> 0, true);
    else this.setU32(base + BigInt(off), v);
  }
  setU64At(base: bigint, off: number, v: bigint): void {
    const o = this.field(base, off, 8, true);
    if (o >= 0) this.dv.setBigUint64(o, BigInt.asUintN(64, v), true);
    else this.setU64(base + BigInt(off), v);
  }
  setPtrAt(base: bigint, off: number, v: bigint): void {
    if (this.ptrSize === 8) this.setU64At(base, off, v);
    else this.setU32At(base, off, Number(BigInt.asUintN(32, v)));
  }

  u8(a: bigint): number {
    const o = this.at(a, 1, false);
    return o >= 0 ? this.dv.getUint8(o) : this.read(a, 1)[0];
  }
  u16(a: bigint): number {
    const o = this.at(a, 2, false);
    if (o >= 0) return this.dv.getUint16(o, true);
    const b = this.read(a, 2);
    return b[0] | (b[1] << 8);
  }
  u32(a: bigint): number {
    const o = this.at(a, 4, false);
    if (o >= 0) return this.dv.getUint32(o, true);
    const b = this.read(a, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }
  u64(a: bigint): bigint {
    const o = this.at(a, 8, false);
    if (o >= 0) return this.dv.getBigUint64(o, true);
    const b = this.read(a, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
  ptr(a: bigint): bigint {
    return this.ptrSize === 8 ? this.u64(a) : BigInt(this.u32(a));
  }
  setU8(a: bigint, v: number): void {
    const o = this.at(a, 1, true);
    if (o >= 0) this.dv.setUint8(o, v & 0xff);
    else this.write(a, Uint8Array.of(v & 0xff));
  }
  setU16(a: bigint, v: number): void {
    const o = this.at(a, 2, true);
    if (o >= 0) this.dv.setUint16(o, v & 0xffff, true);
    else this.write(a, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff));
  }
  setU32(a: bigint, v: number): void {
    const o = this.at(a, 4, true);
    if (o >= 0) return this.dv.setUint32(o, v >>> 0, true);
    this.scratch.setUint32(0, v >>> 0, true);
    this.write(a, new Uint8Array(this.scratch.buffer.slice(0, 4)));
  }
  setU64(a: bigint, v: bigint): void {
    const o = this.at(a, 8, true);
    if (o >= 0) return this.dv.setBigUint64(o, BigInt.asUintN(64, v), true);
    this.scratch.setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(a, new Uint8Array(this.scratch.buffer.slice(0, 8)));
  }
  setPtr(a: bigint, v: bigint): void {
    if (this.ptrSize === 8) this.setU64(a, v);
    else this.setU32(a, Number(BigInt.asUintN(32, v)));
  }

  /**
   * Reads up to `max` bytes in page-bounded chunks until `stop(chunk)` finds the end; a chunk never crosses into
   * the next page unless the string goes on, so a string ending just before unmapped memory reads fine.
   */
  private scan(a: bigint, max: number, unit: 1 | 2): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    let p = a;
    while (total < max) {
      const toPage = Number(0x1000n - (p & 0xfffn));
      const n = Math.min(toPage, 256, max - total);
      const chunk = this.read(p, n);
      for (let i = 0; i + unit <= chunk.length; i += unit) {
        if (chunk[i] === 0 && (unit === 1 || chunk[i + 1] === 0)) {
          parts.push(chunk.subarray(0, i));
          return concat(parts, total + i);
        }
      }
      parts.push(chunk);
      total += n;
      p += BigInt(n);
    }
    return concat(parts, total);
  }

  /** A NUL-terminated byte string, at most max bytes. */
  cstring(a: bigint, max = 0x10000): Uint8Array {
    return this.scan(a, max, 1);
  }

  /** A NUL-terminated UTF-16 string, at most max characters. */
  wstring(a: bigint, max = 0x8000): string {
    const b = this.scan(a, max * 2, 2);
    let s = '';
    for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i] | (b[i + 1] << 8));
    return s;
  }

  /** Fills [a, a+size) with one byte value (memset, zeroing new objects) without building a host buffer. */
  fill(a: bigint, size: number, value = 0): void {
    if (size <= 0) return;
    const o = this.at(a, size, true);
    if (o >= 0) {
      const b = this.engine.backing(a)!;
      b.bytes.fill(value & 0xff, o, o + size);
      return;
    }
    this.write(a, new Uint8Array(size).fill(value & 0xff));
  }

  writeWString(a: bigint, s: string, nul = true): void {
    const b = new Uint8Array(s.length * 2 + (nul ? 2 : 0));
    for (let i = 0; i < s.length; i++) {
      b[2 * i] = s.charCodeAt(i) & 0xff;
      b[2 * i + 1] = s.charCodeAt(i) >> 8;
    }
    this.write(a, b);
  }

  /** Maps fresh zeroed pages (page-aligned range) within the run's memory budget (MemoryBudgetError beyond it). */
  mapPages(address: bigint, size: number, prot: Prot): void {
    const n = roundUp(size, PAGE_SIZE);
    if (this.committed + n > this.memoryBudget) throw new MemoryBudgetError(n, this.committed, this.memoryBudget);
    try {
      this.engine.map(address, n, prot);
    } catch (e) {
      // The engine itself is full (a budget above what it holds): the same answer as the budget's.
      if (e instanceof GuestMemoryExhaustedError) throw new MemoryBudgetError(n, this.committed, this.committed);
      throw e;
    }
    this.committed += n;
    this.protGen++;
    const b = this.engine.backing(address);
    if (b && b.begin === address && b.size === n) this.regionProt.set(b, prot);
  }

  /** Unmaps a region mapped with mapPages, or one page mapped with mapAlias (alias: it gives no memory back). */
  unmap(address: bigint, size: number, alias = false): void {
    this.engine.unmap(address, size);
    if (!alias) this.committed -= size;
    this.protGen++;
  }

  /** A second view of the page at source (MDL mappings): no memory of its own. */
  mapAlias(address: bigint, source: bigint, prot: Prot): void {
    this.engine.mapAlias(address, source, prot);
    this.protGen++;
  }

  protect(address: bigint, size: number, prot: Prot): void {
    this.engine.protect(address, size, prot);
    this.protGen++;
    // Its pages may differ now: the region is checked page by page from here on.
    for (let a = address; a < address + BigInt(size); ) {
      const b = this.engine.backing(a);
      if (!b) break;
      this.regionProt.delete(b);
      a = b.begin + BigInt(b.size);
    }
  }

  /**
   * Writes an image into freshly mapped (zeroed) memory, skipping the pages that are all zero: a large SizeOfImage
   * costs memory only for the pages that hold something.
   */
  writeSparse(address: bigint, data: Uint8Array): void {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.byteOffset % 4 === 0 ? data.length >>> 2 : 0);
    for (let off = 0; off < data.length; off += PAGE_SIZE) {
      const end = Math.min(off + PAGE_SIZE, data.length);
      let zero = words.length > 0;
      if (zero) for (let i = off >>> 2, n = end >>> 2; i < n; i++) if (words[i] !== 0) { zero = false; break; }
      if (zero) for (let i = end & ~3; i < end; i++) if (data[i] !== 0) { zero = false; break; }
      if (!zero) this.write(address + BigInt(off), data.subarray(off, end));
    }
  }

  /** Bytes of guest memory mapped so far (the budget's use). */
  get committedBytes(): number {
    return this.committed;
  }

  // ---- registers and stack ------------------------------------------------------------------------------

  get sp(): bigint {
    return this.engine.getReg('rsp');
  }
  set sp(v: bigint) {
    this.engine.setReg('rsp', v);
  }

  push(v: bigint): void {
    const sp = this.sp - BigInt(this.ptrSize);
    this.setPtr(sp, v);
    this.sp = sp;
  }

  // ---- calls into guest code ----------------------------------------------------------------------------

  /**
   * Calls guest code at target with pointer-sized arguments, as the Windows kernel calls a driver routine
   * (x64: rcx, rdx, r8, r9, shadow space, stack; x86: stdcall, arguments pushed right to left), and runs it to its
   * return. Traps in between (import stubs) are handled by onTrap, which may itself call into the guest.
   */
  callGuest(target: bigint, args: readonly bigint[], mode: Cpl = 0): CallResult {
    const e = this.engine;
    const from = e.cpl;
    if (from === mode) return this.callAtLevel(target, args);
    // A call across privilege levels switches stacks, as the processor does through the TSS and the kernel on
    // its way back out: user code runs on the user stack, kernel code on the kernel stack.
    const savedSp = this.sp;
    if (mode === 3) {
      if (this.userReturnTrap === 0n) throw new Error('callGuest: no user mode in this machine');
      this.kernelSp = savedSp;
      this.sp = this.userSp;
    } else {
      this.userSp = savedSp;
      this.sp = this.kernelSp;
    }
    this.onModeSwitch(mode);
    try {
      return this.callAtLevel(target, args);
    } finally {
      // Also when the call ends in a stop: the kernel may still run (a client fault is followed by the clean-up).
      this.onModeSwitch(from);
      if (mode === 3) this.userSp = this.sp;
      else this.kernelSp = this.sp;
      this.sp = savedSp;
    }
  }

  private callAtLevel(target: bigint, args: readonly bigint[]): CallResult {
    const returnTrap = this.engine.cpl === 3 ? this.userReturnTrap : this.returnTrap;
    const savedSp = this.sp;
    const expectSp = this.pushCall(savedSp - 0x40n /* clear of a red zone the interrupted code may use */, args, returnTrap);
    const r = this.runToReturn(target, returnTrap, expectSp);
    this.sp = savedSp;
    return r;
  }

  /**
   * Builds a call frame below sp as the calling convention wants it (x64: register arguments, shadow space and stack
   * arguments; x86: stdcall arguments), with returnTrap as the return address; returns the stack pointer a callee
   * that pops what its declaration says leaves behind.
   */
  pushCall(sp: bigint, args: readonly bigint[], returnTrap: bigint): bigint {
    const e = this.engine;
    if (this.arch === 'x64') {
      const slots = Math.max(args.length, 4);
      sp = (sp - BigInt(slots * 8)) & ~0xfn;
      for (let i = 4; i < args.length; i++) this.setU64(sp + BigInt(8 * i), args[i]);
      sp -= 8n;
      this.setU64(sp, returnTrap);
      const n = Math.min(args.length, 4);
      e.writeRegs(CALL_REGS_X64[n], [sp, ...args.slice(0, n)]);
      return sp + 8n;
    }
    sp = (sp - BigInt(args.length * 4)) & ~0x3n;
    for (let i = 0; i < args.length; i++) this.setU32(sp + BigInt(4 * i), Number(BigInt.asUintN(32, args[i])));
    sp -= 4n;
    this.setU32(sp, Number(returnTrap));
    this.sp = sp;
    return sp + 4n + BigInt(args.length * 4);
  }

  /**
   * Runs guest code from pc until it returns to returnTrap (the call's value, and how far the stack pointer is from
   * expectSp then). Traps in between (import stubs) are handled by onTrap, which may itself call into the guest. A
   * thread the scheduler resumes continues here too, from where it was suspended.
   */
  runToReturn(pc: bigint, returnTrap: bigint, expectSp: bigint): CallResult {
    for (;;) {
      try {
        return this.runLevel(pc, returnTrap, expectSp);
      } catch (e) {
        // An exception handler in this run's frames (below expectSp on its stack) took an exception: go on there.
        if (!(e instanceof GuestResume) || e.sp >= expectSp) throw e;
        pc = this.resume(e);
      }
    }
  }

  /** Loads the registers a GuestResume carries; returns where execution continues. */
  private resume(r: GuestResume): bigint {
    const x64 = this.arch === 'x64';
    const values = x64 ? [...r.regs.slice(0, 16), r.eflags] : [...r.regs.slice(0, 8).map((v) => v & 0xffffffffn), r.eflags];
    this.engine.writeRegs(x64 ? RESUME_REGS_X64 : RESUME_REGS_X86, values);
    this.engine.setReg('rip', r.rip);
    return r.rip;
  }

  private runLevel(pc: bigint, returnTrap: bigint, expectSp: bigint): CallResult {
    const e = this.engine;
    for (;;) {
      const exit = e.run(pc, this.remainingBudget());
      if (exit.kind === 'trap') {
        if (exit.address === returnTrap) {
          e.readRegs(RETURN_REGS, this.retRegs);
          const value = this.retRegs[1] | (this.arch === 'x86' ? this.retRegs[2] << 32n : 0n);
          const stackMismatch = Number(this.retRegs[0] - expectSp);
          return { value, stackMismatch };
        }
        pc = this.onTrap(exit.address);
        // The thread running here suspended in the call (the scheduler's tail wait): this run ends, to be resumed.
        if (pc === SUSPENDED) return { value: 0n, stackMismatch: 0 };
        continue;
      }
      if (exit.kind === 'privileged') {
        pc = this.onPrivileged(exit.pc);
        continue;
      }
      if (exit.kind === 'budget') {
        // A slice ended: remainingBudget() throws if the run's instruction or time budget is spent; the scheduler
        // may switch threads here at a quantum's end.
        pc = exit.pc;
        this.onSlice?.(pc);
        continue;
      }
      if ((exit.kind === 'fault' || exit.kind === 'interrupt') && e.cpl === 0 && this.onKernelException) this.onKernelException(exit);
      throw this.stopFor(exit);
    }
  }

  /** Called when a slice of instructions ends inside guest code (the scheduler's quantum check); set by the kernel. */
  onSlice?: (pc: bigint) => void;

  /** The kernel stack pointer saved when the kernel last entered user mode (the scheduler keeps one per thread). */
  get savedKernelSp(): bigint {
    return this.kernelSp;
  }
  set savedKernelSp(v: bigint) {
    this.kernelSp = v;
  }

  /**
   * Host-side loops the guest can drive (waits that let time pass, timer expiry chains, list walks) call this each
   * round: the wall-clock and instruction budgets hold there as they do while guest code runs.
   */
  checkBudgets(): void {
    this.remainingBudget();
  }

  private remainingBudget(): number {
    if (this.deadline && Date.now() > this.deadline) {
      throw new GuestStop('timeout', 'the wall-clock budget (--timeout) ran out', { pc: this.engine.getReg('rip') });
    }
    let slice = this.deadline ? 5_000_000 : 0;
    // Quantum ends fall on fixed instruction counts, so the interleaving of threads is the same on every run.
    if (this.sliceLimit) {
      const toQuantum = this.sliceLimit - (this.engine.instructions % this.sliceLimit);
      slice = slice ? Math.min(slice, toQuantum) : toQuantum;
    }
    if (!this.budgetEnd) return slice;
    const left = this.budgetEnd - this.engine.instructions;
    if (left <= 0) throw new GuestStop('instruction-limit', `the instruction budget (${this.budgetEnd}) ran out`, { pc: this.engine.getReg('rip') });
    return slice ? Math.min(left, slice) : left;
  }

  /** Instructions per scheduling quantum once several threads exist (0: one thread, no slicing). */
  sliceLimit = 0;

  /** Turns an engine exit other than a trap into the stop Windows would produce. */
  private stopFor(exit: Exit): GuestStop | Error {
    if (this.engine.cpl === 3 && (exit.kind === 'fault' || exit.kind === 'interrupt')) return userException(exit);
    switch (exit.kind) {
      case 'fault': {
        const missing = this.missingDataAt?.(exit.address);
        if (missing) {
          return new GuestStop('unsupported-call', `${exit.access === 'write' ? 'write to' : 'read of'} ${missing}, a data export kdemu does not implement, at ${hex(exit.address)}`, {
            pc: exit.pc,
            export: missing,
            fault: { access: exit.access, address: exit.address },
          });
        }
        const bugcheck = kernelFaultBugcheck(exit.address, exit.access, exit.reason, exit.pc, this.irql(), this.engine.pageProt(exit.address) !== undefined);
        return new GuestStop('fault', `page fault: ${exit.access} of ${hex(exit.address)} (${exit.reason === 'unmapped' ? 'not present' : 'protection'})`, {
          pc: exit.pc,
          fault: { access: exit.access, address: exit.address },
          bugcheck,
        });
      }
      case 'interrupt': {
        const names: Record<number, [string, number]> = {
          0: ['divide error (#DE)', 0xc0000094],
          3: ['breakpoint (int3) with no kernel debugger attached', 0x80000003],
          6: ['invalid or unsupported instruction (#UD)', 0xc000001d],
          0x2c: ['assertion failure (int 2c)', 0xc0000420],
          0x29: ['fast fail (int 29)', 0xc0000409],
        };
        const [what, code] = names[exit.vector] ?? [`interrupt ${exit.vector}`, 0xc000001d];

        // Unhandled kernel-mode exceptions bugcheck KMODE_EXCEPTION_NOT_HANDLED (code, address, 0, 0).
        return new GuestStop('bugcheck', what, { pc: exit.pc, bugcheck: { code: 0x1e, params: [BigInt(code), exit.pc, 0n, 0n] } });
      }
      case 'unsupported':
        return new GuestStop('unsupported-instruction', `the CPU engine does not implement the instruction at ${hex(exit.pc)} (bytes ${Array.from(exit.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')})`, {
          pc: exit.pc,
          instructionBytes: exit.bytes,
        });
      case 'error':
        return new GuestStop('fault', `the CPU engine stopped: ${exit.message}`, { pc: exit.pc });
      case 'trap':
      case 'budget':
      case 'privileged':
        return new Error('unreachable: trap and budget exits are handled by callGuest');
    }
  }
}

/**
 * The bugcheck an unhandled kernel-mode page fault is, as Windows chooses it: at DISPATCH_LEVEL or above any fault
 * on a page that is not present is DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: address, IRQL, 0 read / 1 write / 8 execute,
 * pc); a write to a read-only page ATTEMPTED_WRITE_TO_READONLY_MEMORY (0xBE: address, PTE, 0, 0); a fetch from a
 * no-execute page ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY (0xFC: address, PTE, 0, 0); any other
 * PAGE_FAULT_IN_NONPAGED_AREA (0x50: address, 0 read / 1 write / 10 execute, pc, 0). kdemu has no page tables, so
 * the PTE parameter is 0.
 */
export function kernelFaultBugcheck(address: bigint, access: 'read' | 'write' | 'fetch', reason: 'unmapped' | 'protection', pc: bigint, irql: number, present: boolean): { code: number; params: bigint[] } {
  const kind = access === 'write' ? 1n : access === 'fetch' ? 8n : 0n;
  if (irql >= 2 && !present) return { code: 0xd1, params: [address, BigInt(irql), kind, pc] };
  if (reason === 'protection' && present) {
    if (access === 'write') return { code: 0xbe, params: [address, 0n, 0n, 0n] };
    if (access === 'fetch') return { code: 0xfc, params: [address, 0n, 0n, 0n] };
  }
  return { code: 0x50, params: [address, access === 'write' ? 1n : access === 'fetch' ? 10n : 0n, pc, 0n] };
}

/**
 * A processor exception in user mode: the exception Windows raises in the process (a client with no handler for it
 * ends, which is a client fault; the kernel and the driver go on to clean up).
 */
function userException(exit: Extract<Exit, { kind: 'fault' | 'interrupt' }>): GuestStop {
  if (exit.kind === 'fault') {
    const what = `${exit.access === 'fetch' ? 'execute' : exit.access} of ${hex(exit.address)} (${exit.reason === 'unmapped' ? 'not mapped' : 'a kernel address'})`;
    return new GuestStop('client-fault', `access violation in user mode: ${what}: STATUS_ACCESS_VIOLATION (0xC0000005)`, {
      pc: exit.pc,
      fault: { access: exit.access, address: exit.address },
    });
  }
  const names: Record<number, string> = {
    0: 'STATUS_INTEGER_DIVIDE_BY_ZERO (0xC0000094)',
    3: 'STATUS_BREAKPOINT (0x80000003)',
    6: 'STATUS_ILLEGAL_INSTRUCTION (0xC000001D)',
    0x29: 'STATUS_STACK_BUFFER_OVERRUN (0xC0000409): fast fail (int 29)',
    0x2c: 'STATUS_ASSERTION_FAILURE (0xC0000420)',
  };
  // Other software interrupts hit IDT gates user mode may not use: #GP, an access violation.
  const what = names[exit.vector] ?? `STATUS_ACCESS_VIOLATION (0xC0000005): int ${exit.vector} is not open to user mode`;
  return new GuestStop('client-fault', `exception in user mode: ${what}`, { pc: exit.pc });
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function hex(v: bigint | number, digits = 0): string {
  const s = BigInt.asUintN(64, BigInt(v)).toString(16).toUpperCase();
  return '0x' + s.padStart(digits, '0');
}

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
