// The CPU engine interface: one surface shaped like Unicorn's, with exits (not callbacks) as the contract.
//
// The kernel layer maps memory, sets registers, calls run(), and handles the Exit it gets back: an import stub
// or return trap was reached, a fault, a privileged instruction, an interrupt, the budget ran out. Every engine
// (Unicorn via koffi, the wasm core) implements exactly this, so hal/ never sees an engine's specifics.

export type Arch = 'x86' | 'x64';

/** Page protections, as Unicorn's UC_PROT_* bits. */
export const enum Prot {
  None = 0,
  Read = 1,
  Write = 2,
  Exec = 4,
  RW = 3,
  RX = 5,
  RWX = 7,
  /** The user/supervisor bit: the page is accessible at CPL3 as well (every mapped page is accessible at CPL0). */
  User = 8,
}

/** Privilege level: 0 for the kernel, 3 for user mode. */
export type Cpl = 0 | 3;

export const PAGE_SIZE = 0x1000;

/** x86 only: a page an engine may use for its own GDT (segment bases are descriptors there); the machine leaves it free. */
export const X86_GDT_BASE = 0x8003f000n;

/** Registers by their x64 names; on x86 the 32-bit views (eax ...) are read and written through the same names. */
export type Reg =
  | 'rax' | 'rbx' | 'rcx' | 'rdx' | 'rsi' | 'rdi' | 'rbp' | 'rsp'
  | 'r8' | 'r9' | 'r10' | 'r11' | 'r12' | 'r13' | 'r14' | 'r15'
  | 'rip' | 'rflags' | 'fsBase' | 'gsBase';

export type Access = 'read' | 'write' | 'fetch';

/** One mapped region's host memory, as Engine.backing returns it; the same object for the region's lifetime. */
export interface Backing {
  readonly begin: bigint;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Executable: host writes must use Engine.write (on its pages that can run; see alias). */
  readonly code: boolean;
  /** A second view of another page's memory (mapAlias): code may run from the other view, so every host write to it uses Engine.write. */
  readonly alias?: boolean;
}

export type Exit =
  /** Execution reached an address inside a trap range (import stub, return trap); the instruction there did not run. */
  | { kind: 'trap'; address: bigint }
  /** A memory access faulted: unmapped page or missing permission. pc is the faulting instruction. */
  | { kind: 'fault'; access: Access; address: bigint; pc: bigint; reason: 'unmapped' | 'protection' }
  /** An interrupt or exception the CPU raised: int3 (3), int 2c (0x2c), #UD (6), #DE (0) ... pc is the instruction. */
  | { kind: 'interrupt'; vector: number; pc: bigint }
  /**
   * A privileged or I/O instruction at pc (mov to/from cr/dr, rdmsr/wrmsr, in/out/ins/outs, hlt, invd/wbinvd, clts,
   * invlpg, swapgs, sgdt/sidt/lgdt/lidt): counted as executed, but its effect is the kernel layer's to decide; rip
   * is still pc, and the kernel sets the results and moves rip past it before resuming.
   */
  | { kind: 'privileged'; pc: bigint }
  /** The engine does not implement the instruction at pc (it did not run and is not counted). */
  | { kind: 'unsupported'; pc: bigint; bytes: Uint8Array }
  /** The instruction budget given to run() was used up; pc is the next instruction. */
  | { kind: 'budget'; pc: bigint }
  /** The engine stopped for a reason it cannot classify; message says what it reported. */
  | { kind: 'error'; message: string; pc: bigint };

export interface Engine {
  readonly name: 'unicorn' | 'wasm';
  readonly arch: Arch;
  /**
   * The most guest memory, in bytes, this engine can hold mapped at once (aliases aside): the wasm core's linear
   * memory holds a little under 4 GiB, Unicorn's host memory is capped at 64 GiB. A run's own budget is enforced
   * above the engine; beyond this, map() throws GuestMemoryExhaustedError.
   */
  readonly maxGuestBytes: number;

  /**
   * Map [address, address+size) with the given protections; both page aligned. Throws GuestMemoryExhaustedError
   * when the engine cannot provide the memory (mapAlias too, when it has no room left for another page).
   */
  map(address: bigint, size: number, prot: Prot): void;
  unmap(address: bigint, size: number): void;
  /**
   * Maps the page at address onto the memory of the mapped page at source (both page aligned): a second view of the
   * same memory, as the memory manager maps one physical page at two addresses (MDL mappings). A write through either
   * is seen through both; unmap(address, PAGE_SIZE) removes only this view.
   */
  mapAlias(address: bigint, source: bigint, prot: Prot): void;
  protect(address: bigint, size: number, prot: Prot): void;

  /** Read guest memory; throws EngineMemoryError when any byte is unmapped. */
  read(address: bigint, size: number): Uint8Array;
  /** Write guest memory; throws EngineMemoryError when any byte is unmapped. */
  write(address: bigint, data: Uint8Array): void;

  /**
   * The host-backed region holding address (no copy), for the kernel's many small field accesses; undefined
   * when unmapped. Writes into a region marked `code` must go through write() so translated code is invalidated.
   */
  backing(address: bigint): Backing | undefined;

  /** The protections of the page holding address (Prot.User included), or undefined when it is not mapped. */
  pageProt(address: bigint): Prot | undefined;

  getReg(reg: Reg): bigint;
  setReg(reg: Reg, value: bigint): void;
  /** Several registers at once (one native call where the engine has a batch API): out[i] = regs[i]. */
  readRegs(regs: readonly Reg[], out: BigUint64Array): void;
  /** Several registers at once: regs[i] = values[i]. */
  writeRegs(regs: readonly Reg[], values: ArrayLike<bigint>): void;

  /**
   * Declare [begin, end) as a trap range: fetching an instruction there stops the run with a 'trap' exit before it
   * executes. Used for import stubs and the return trap.
   */
  addTrapRange(begin: bigint, end: bigint): void;

  /**
   * The privilege level run() executes at; 0 until set. At 3, pages without Prot.User fault ('protection'), and
   * privileged and I/O instructions, cli and sti exit as 'privileged' for the kernel layer to raise #GP.
   */
  readonly cpl: Cpl;
  setCpl(cpl: Cpl): void;

  /**
   * The x87/MMX/SSE state (what fxsave stores) as an opaque copy, and back: a thread switch's part besides the
   * general registers. Optional: without it the kernel layer runs fxsave/fxrstor in the guest.
   */
  saveFpu?(into?: Uint8Array): Uint8Array;
  restoreFpu?(state: Uint8Array): void;

  /**
   * Code coverage, optional: from now on every executed instruction whose address is in [begin, end) sets bit
   * (address - begin) of a bitmap (bit k in byte k >> 3, LSB first); begin >= end turns it off. coverage() returns
   * a copy of the bitmap, (end - begin + 7) >> 3 bytes.
   */
  setCoverage?(begin: bigint, end: bigint): void;
  coverage?(): Uint8Array;

  /** Run from pc until an exit; at most `budget` instructions (0 = no limit). */
  run(pc: bigint, budget: number): Exit;

  /** Instructions executed so far, over all runs: exact, so virtual time and budgets agree across engines. */
  readonly instructions: number;
  /**
   * Leaves `n` instructions just run out of `instructions`: code the kernel layer ran for itself where another engine
   * needs none (the fxsave/fxrstor helper of a thread switch), so counts and virtual time stay the same on every engine.
   */
  discount?(n: number): void;

  close(): void;
}

export class EngineMemoryError extends Error {
  constructor(
    readonly address: bigint,
    readonly size: number,
    readonly access: 'read' | 'write',
  ) {
    super(`${access} of ${size} bytes at 0x${address.toString(16)} touches unmapped guest memory`);
  }
}

/** Raised when an engine cannot be created here (library missing); the message says what to install. */
export class EngineUnavailableError extends Error {}

/**
 * The engine itself cannot provide guest memory (not the run's budget, which the kernel layer enforces): the kernel
 * layer reports it to the guest as STATUS_INSUFFICIENT_RESOURCES. reason: 'capacity', more than maxGuestBytes would
 * be mapped; 'page-table', the engine's page table has no room for more pages (the wasm core: mapped pages plus
 * aliases); 'host', the host refused the memory (memory.grow, mmap or uc_mem_map failed).
 */
export class GuestMemoryExhaustedError extends Error {
  constructor(
    readonly requestedBytes: number,
    readonly reason: 'capacity' | 'page-table' | 'host',
    detail?: string,
  ) {
    super(`out of guest memory: ${requestedBytes} more bytes requested (${reason}${detail ? `: ${detail}` : ''})`);
  }
}
