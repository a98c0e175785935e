// The Unicorn engine: Debian's libunicorn2 loaded through koffi, behind the Engine interface.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { EngineMemoryError, EngineUnavailableError, GuestMemoryExhaustedError, Prot, X86_GDT_BASE } from '../engine.js';

/** Registers one batched read or write may carry (every Reg name fits). */
const MAX_BATCH = 24;
import type { Access, Arch, Backing, Cpl, Engine, Exit, Reg } from '../engine.js';
import { cpuidLeaf, tscAt } from '../cpuid.js';
import { isPrivileged } from '../disasm.js';
import { Decoder, DecoderOptions, Mnemonic, Register, type Instruction } from 'iced-x86';

const require = createRequire(import.meta.url);

// Constants from unicorn/unicorn.h and unicorn/x86.h (API 2.0).
const UC_ARCH_X86 = 4;
const UC_MODE_32 = 4;
const UC_MODE_64 = 8;
const UC_HOOK_INTR = 1;
const UC_HOOK_INSN = 2;
const UC_HOOK_CODE = 4;
const UC_HOOK_MEM_INVALID = 16 | 32 | 64 | 128 | 256 | 512;
const UC_HOOK_INSN_INVALID = 16384;
const UC_X86_INS_CPUID = 113;
const UC_X86_INS_RDTSC = 608;
const UC_X86_INS_RDTSCP = 609;
const UC_ERR_OK = 0;
const UC_ERR_NOMEM = 1;
// UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2) from unicorn.h.
const UC_CTL_TB_REMOVE_CACHE = 1207959561;
const UC_ERR_INSN_INVALID = 10;

const MEM_TYPES: Record<number, { access: Access; reason: 'unmapped' | 'protection' }> = {
  19: { access: 'read', reason: 'unmapped' },
  20: { access: 'write', reason: 'unmapped' },
  21: { access: 'fetch', reason: 'unmapped' },
  22: { access: 'write', reason: 'protection' },
  23: { access: 'read', reason: 'protection' },
  24: { access: 'fetch', reason: 'protection' },
};

const REGS64: Record<Reg, number> = {
  rax: 35, rbx: 37, rcx: 38, rdx: 40, rsi: 43, rdi: 39, rbp: 36, rsp: 44,
  r8: 106, r9: 107, r10: 108, r11: 109, r12: 110, r13: 111, r14: 112, r15: 113,
  rip: 41, rflags: 253, fsBase: 250, gsBase: 251,
};
const REGS32: Record<Reg, number> = {
  ...REGS64,
  rax: 19, rbx: 21, rcx: 22, rdx: 24, rsi: 29, rdi: 23, rbp: 20, rsp: 30, rip: 26, rflags: 25,
};
const REG_FS = 32;
const REG_SS = 49;
const REG_DS = 17;
const REG_ES = 28;
const REG_GS = 33;
const REG_GDTR = 243;
const REG_CR4 = 54;
const REG_FPCW = 246;
const REG_FPTAG = 247;
const REG_MXCSR = 249;
/** CR4.OSFXSR | CR4.OSXMMEXCPT: as Windows sets them (fxsave/fxrstor include MXCSR and the xmm registers). */
const CR4_OSFXSR_OSXMMEXCPT = 0x600n;
/** The MXCSR bits that exist (MXCSR_MASK, DAZ included): loading any other is #GP on the CPU. */
const MXCSR_MASK = 0xffff;
const GPR_NAMES: readonly Reg[] = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

interface UcLib {
  open: (arch: number, mode: number, out: unknown[]) => number;
  close: (uc: unknown) => number;
  strerror: (err: number) => string;
  memMapPtr: (uc: unknown, address: bigint, size: number, perms: number, ptr: unknown) => number;
  /** uc_mem_map_ptr with the host address as a number: a view into memory another region owns. */
  memMapAt: (uc: unknown, address: bigint, size: number, perms: number, host: bigint) => number;
  memUnmap: (uc: unknown, address: bigint, size: number) => number;
  memProtect: (uc: unknown, address: bigint, size: number, perms: number) => number;
  memRead: (uc: unknown, address: bigint, out: Uint8Array, size: number) => number;
  memWrite: (uc: unknown, address: bigint, data: Uint8Array, size: number) => number;
  regRead: (uc: unknown, reg: number, out: Buffer) => number;
  regWrite: (uc: unknown, reg: number, value: Buffer) => number;
  regReadBatch: (uc: unknown, regs: Int32Array, vals: BigUint64Array, count: number) => number;
  regWriteBatch: (uc: unknown, regs: Int32Array, vals: BigUint64Array, count: number) => number;
  emuStart: (uc: unknown, begin: bigint, until: bigint, timeout: bigint, count: number) => number;
  emuStop: (uc: unknown) => number;
  /** uc_ctl is variadic: extra arguments come as ('uint64_t', value) pairs. */
  ctl: (uc: unknown, control: number, ...extra: unknown[]) => number;
  mmap: (addr: null, length: number, prot: number, flags: number, fd: number, offset: bigint) => unknown;
  munmap: (addr: unknown, length: number) => number;
  hookDel: (uc: unknown, hh: unknown) => number;
  /** uc_hook_add is variadic: UC_HOOK_INSN passes the instruction id as ('int', id). */
  hookAdd: (uc: unknown, hh: unknown[], type: number, cb: unknown, user: unknown, begin: bigint, end: bigint, ...extra: unknown[]) => number;
  koffi: typeof import('koffi');
  protos: { code: unknown; intr: unknown; mem: unknown; insnInvalid: unknown; cpuid: unknown };
  countHook: unknown;
  /** The coverage hook (counter.c), or undefined when the hook library predates it. */
  coverHook: unknown;
}

let cached: UcLib | Error | undefined;

/** Where scripts/setup.sh puts the counting hook (emu/unicorn/counter.c). */
export function counterLibraryPath(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  // From dist/emu/unicorn the repository root is one level further up.
  const repo = path.basename(root) === 'dist' ? path.dirname(root) : root;
  return path.join(repo, 'build', 'native', 'libkdemu-uc.so');
}

function loadLibrary(): UcLib {
  if (cached instanceof Error) throw cached;
  if (cached) return cached;
  try {
    const koffi = require('koffi') as typeof import('koffi');
    let lib;
    try {
      lib = koffi.load('libunicorn.so.2');
    } catch {
      throw new EngineUnavailableError('the Unicorn engine needs libunicorn2 (Debian: apt-get install libunicorn2)');
    }
    const shimPath = counterLibraryPath();
    if (!existsSync(shimPath)) {
      throw new EngineUnavailableError(`the Unicorn engine needs its counting hook ${path.relative(process.cwd(), shimPath)}: run npm run setup`);
    }
    const shim = koffi.load(shimPath);
    const libc = koffi.load('libc.so.6');
    const code = koffi.proto('void kdemu_uc_code_cb(void *uc, uint64_t address, uint32_t size, void *user)');
    const intr = koffi.proto('void kdemu_uc_intr_cb(void *uc, uint32_t intno, void *user)');
    const mem = koffi.proto('bool kdemu_uc_mem_cb(void *uc, int type, uint64_t address, int size, int64_t value, void *user)');
    const insnInvalid = koffi.proto('bool kdemu_uc_insn_invalid_cb(void *uc, void *user)');
    const cpuid = koffi.proto('int kdemu_uc_cpuid_cb(void *uc, void *user)');
    cached = {
      koffi,
      open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
      close: lib.func('int uc_close(void *uc)'),
      strerror: lib.func('const char *uc_strerror(int code)'),
      memMapPtr: lib.func('int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)'),
      memMapAt: lib.func('uc_mem_map_ptr', 'int', ['void *', 'uint64_t', 'size_t', 'uint32_t', 'uint64_t']),
      mmap: libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
      munmap: libc.func('int munmap(void *addr, size_t length)'),
      memUnmap: lib.func('int uc_mem_unmap(void *uc, uint64_t address, size_t size)'),
      memProtect: lib.func('int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)'),
      memRead: lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ uint8_t *bytes, size_t size)'),
      memWrite: lib.func('int uc_mem_write(void *uc, uint64_t address, const uint8_t *bytes, size_t size)'),
      regRead: lib.func('int uc_reg_read(void *uc, int regid, _Out_ uint8_t *value)'),
      regWrite: lib.func('int uc_reg_write(void *uc, int regid, const uint8_t *value)'),
      // void **vals is an array of native addresses: passed as a uint64_t array (same ABI on x86-64).
      regReadBatch: lib.func('int uc_reg_read_batch(void *uc, int *regs, uint64_t *vals, int count)'),
      regWriteBatch: lib.func('int uc_reg_write_batch(void *uc, int *regs, uint64_t *vals, int count)'),
      emuStart: lib.func('int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
      emuStop: lib.func('int uc_emu_stop(void *uc)'),
      ctl: lib.func('int uc_ctl(void *uc, int control, ...)'),
      hookDel: lib.func('int uc_hook_del(void *uc, size_t hh)'),
      hookAdd: lib.func('int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *cb, void *user, uint64_t begin, uint64_t end, ...)'),
      protos: { code, intr, mem, insnInvalid, cpuid },
      countHook: shim.func('void *kdemu_count_hook(void)')(),
      coverHook: (() => {
        try {
          return shim.func('void *kdemu_cover_hook(void)')();
        } catch {
          return undefined;
        }
      })(),
    };
    return cached;
  } catch (e) {
    cached = e instanceof EngineUnavailableError ? e : new EngineUnavailableError(`the Unicorn engine cannot start: ${(e as Error).message}`);
    throw cached;
  }
}

/** True when libunicorn2 and the counting hook are present (tests that compare against Unicorn skip otherwise). */
export function unicornAvailable(): boolean {
  try {
    loadLibrary();
    return true;
  } catch {
    return false;
  }
}

/** Second bytes of 0F-prefixed privileged instructions: mov cr/dr (20-23), clts (06), invd (08), wbinvd (09), wrmsr (30), rdmsr (32). */
const PRIV_0F = new Set([0x20, 0x21, 0x22, 0x23, 0x06, 0x08, 0x09, 0x30, 0x32]);
/** One-byte privileged and I/O opcodes: hlt, in/out imm8 and dx forms, ins/outs; and iret, which the kernel layer performs. */
const PRIV_1 = new Set([0xcf, 0xf4, 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f]);

/** 0F 01 /m: swapgs (F8, x64), or sgdt/sidt/lgdt/lidt/invlpg with a memory operand. */
function privileged0f01(m: number | undefined, arch: Arch): boolean {
  if (m === undefined) return false;
  if (m === 0xf8) return arch === 'x64';
  const g = (m >> 3) & 7;
  return m >> 6 !== 3 && (g <= 3 || g === 7);
}

function isPrefix(b: number, arch: Arch): boolean {
  return [0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65].includes(b) || (arch === 'x64' && b >= 0x40 && b <= 0x4f);
}

interface Region extends Backing {
  end: bigint;
  mem: Uint8Array;
  code: boolean;
  ptr: unknown;
  /** Each page's protections as the kernel layer set them, Prot.User included. */
  prots: Uint8Array;
  /** A view of another region's memory (mapAlias): unmapping it frees nothing. */
  alias?: boolean;
}

type Pending =
  | { kind: 'trap'; address: bigint }
  | { kind: 'interrupt'; vector: number }
  | { kind: 'fault'; access: Access; address: bigint; reason: 'unmapped' | 'protection' }
  | { kind: 'invalid' }
  | { kind: 'tsc'; address: bigint }
  | { kind: 'exception'; vector: number; pc: bigint }
  | { kind: 'error'; message: string };

/**
 * What this engine maps at most: guest memory is host memory (mmap), so the real limit is the host's; the cap keeps
 * a runaway guest from exhausting it before the run's own budget (enforced above the engine) would have stopped it.
 */
const MAX_GUEST_BYTES = 64 * 2 ** 30;

export class UnicornEngine implements Engine {
  readonly name = 'unicorn' as const;
  readonly maxGuestBytes = MAX_GUEST_BYTES;
  /** Bytes of host memory mapped as guest memory now (aliases take none). */
  private mappedBytes = 0;
  private readonly lib: UcLib;
  private readonly uc: unknown;
  private readonly regs: Record<Reg, number>;
  private readonly regBuf = Buffer.alloc(8);
  /** The native hook increments this 8-byte counter; it must stay alive and unmoved as long as uc does. */
  private readonly counter: Buffer;
  private pending: Pending | null = null;
  private readonly callbacks: unknown[] = [];
  private closed = false;
  /** Executable ranges, so that code written there is scanned for RDTSC/RDTSCP (see watchTimeStamp). */
  private readonly execRanges: { begin: bigint; end: bigint }[] = [];
  /** Watched instruction sites (RDTSC, privileged instructions) and their hook handles. */
  private readonly tscSites = new Map<bigint, unknown>();
  private timeStampHook: unknown;
  /** Watched ldmxcsr/fxrstor sites (see watchTimeStamp) and their hook handles; the hook that checks them. */
  private readonly mxcsrSites = new Map<bigint, unknown>();
  private mxcsrHook: unknown;
  private gdtMapped = false;
  /** Mapped regions, sorted by address, each backed by host memory visible as `mem`. */
  private readonly regions: Region[] = [];
  private last: Region | undefined;
  private readonly segBases = { fsBase: 0n, gsBase: 0n };

  constructor(readonly arch: Arch) {
    this.lib = loadLibrary();
    const out: unknown[] = [null];
    this.check(this.lib.open(UC_ARCH_X86, arch === 'x64' ? UC_MODE_64 : UC_MODE_32, out), 'uc_open');
    this.uc = out[0];
    this.regs = arch === 'x64' ? REGS64 : REGS32;
    const { koffi, protos } = this.lib;
    this.counter = Buffer.alloc(8);
    const hh: unknown[] = [0];
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_CODE, this.lib.countHook, this.counter, 1n, 0n), 'uc_hook_add(count)');

    const intr = koffi.register((_uc: unknown, intno: number) => {
      this.stop({ kind: 'interrupt', vector: intno });
    }, koffi.pointer(protos.intr as never));
    const mem = koffi.register((_uc: unknown, type: number, address: bigint) => {
      const m = MEM_TYPES[type];
      // Unicorn reports 32-bit addresses sign-extended; x86 has 32 of them.
      const a = BigInt.asUintN(this.arch === 'x86' ? 32 : 64, BigInt(address));
      this.pending = m ? { kind: 'fault', access: m.access, address: a, reason: m.reason } : { kind: 'error', message: `memory event ${type}` };
      return false;
    }, koffi.pointer(protos.mem as never));
    const invalid = koffi.register(() => {
      this.pending = { kind: 'invalid' };
      return false;
    }, koffi.pointer(protos.insnInvalid as never));
    const cpuid = koffi.register(() => {
      const leaf = Number(this.getRegId(this.regs.rax) & 0xffffffffn);
      const [a, b, c, d] = cpuidLeaf(leaf);
      this.setRegId(this.regs.rax, BigInt(a >>> 0));
      this.setRegId(this.regs.rbx, BigInt(b >>> 0));
      this.setRegId(this.regs.rcx, BigInt(c >>> 0));
      this.setRegId(this.regs.rdx, BigInt(d >>> 0));
      return 1; // skip Unicorn's own CPUID
    }, koffi.pointer(protos.cpuid as never));
    this.callbacks.push(intr, mem, invalid, cpuid);
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_INTR, intr, null, 1n, 0n), 'uc_hook_add(intr)');
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_MEM_INVALID, mem, null, 1n, 0n), 'uc_hook_add(mem)');
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_INSN_INVALID, invalid, null, 1n, 0n), 'uc_hook_add(insn invalid)');
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_INSN, cpuid, null, 1n, 0n, 'int', UC_X86_INS_CPUID), 'uc_hook_add(cpuid)');
    this.timeStampHook = koffi.register((_uc: unknown, address: bigint) => {
      this.stop({ kind: 'tsc', address: BigInt.asUintN(64, BigInt(address)) });
    }, koffi.pointer(protos.code as never));
    this.mxcsrHook = koffi.register((_uc: unknown, address: bigint) => {
      const pc = BigInt.asUintN(64, BigInt(address));
      if (this.loadsReservedMxcsr(pc)) this.stop({ kind: 'exception', vector: 13, pc });
    }, koffi.pointer(protos.code as never));
    this.callbacks.push(this.timeStampHook, this.mxcsrHook);
    // The FPU and SSE state the wasm core starts with, and a CPU has after reset: Unicorn leaves FCW, MXCSR and the
    // tags zero, and CR4.OSFXSR clear (so fxsave would leave MXCSR and the xmm registers out).
    this.setRegId(REG_CR4, this.getRegId(REG_CR4) | CR4_OSFXSR_OSXMMEXCPT);
    this.setRegId(REG_MXCSR, 0x1f80n);
    this.setRegId(REG_FPCW, 0x37fn);
    this.setRegId(REG_FPTAG, 0xffffn); // all empty
  }

  get instructions(): number {
    return Number(this.counter.readBigUInt64LE(0)) - this.trapsHit;
  }

  /** Trap exits so far: the counting hook counted each trapped (never executed) instruction once. */
  private trapsHit = 0;

  discount(n: number): void {
    this.trapsHit += n;
  }

  private stop(p: Pending): void {
    if (!this.pending) this.pending = p;
    this.lib.emuStop(this.uc);
  }

  private check(err: number, what: string): void {
    if (err !== UC_ERR_OK) throw new Error(`${what}: ${this.lib.strerror(err)}`);
  }

  /**
   * Guest memory is host memory we allocate and hand to Unicorn (uc_mem_map_ptr), viewed from JavaScript as an
   * ArrayBuffer: the kernel layer reads and writes guest structures without a native call per access.
   */
  map(address: bigint, size: number, prot: Prot): void {
    if (this.mappedBytes + size > MAX_GUEST_BYTES) {
      throw new GuestMemoryExhaustedError(size, 'capacity', `the Unicorn engine maps at most ${MAX_GUEST_BYTES} bytes, ${this.mappedBytes} are mapped`);
    }
    // Anonymous private pages: zero-filled by the host OS on first touch.
    const ptr = this.lib.mmap(null, size, 3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0n);
    if (!ptr || this.lib.koffi.address(ptr as never) === 0xffffffffffffffffn) {
      throw new GuestMemoryExhaustedError(size, 'host', `mmap of ${size} bytes of host memory failed`);
    }
    const mem = new Uint8Array(this.lib.koffi.view(ptr as never, size));
    const err = this.lib.memMapPtr(this.uc, address, size, this.effective(prot), ptr);
    if (err !== UC_ERR_OK) {
      this.lib.munmap(ptr, size);
      if (err === UC_ERR_NOMEM) throw new GuestMemoryExhaustedError(size, 'host', `uc_mem_map: ${this.lib.strerror(err)}`);
      this.check(err, `uc_mem_map(0x${address.toString(16)}, 0x${size.toString(16)})`);
    }
    this.mappedBytes += size;
    const region: Region = { begin: address, end: address + BigInt(size), size, mem, bytes: mem, view: new DataView(mem.buffer, mem.byteOffset, size), code: (prot & Prot.Exec) !== 0, ptr, prots: new Uint8Array(size / 0x1000).fill(prot) };
    const i = this.regions.findIndex((r) => r.begin > address);
    this.regions.splice(i < 0 ? this.regions.length : i, 0, region);
    if (prot & Prot.Exec) this.execRanges.push({ begin: address, end: address + BigInt(size) });
  }

  unmap(address: bigint, size: number): void {
    const i = this.regions.findIndex((r) => r.begin === address && r.end === address + BigInt(size));
    if (i < 0) throw new Error(`unmap(0x${address.toString(16)}, 0x${size.toString(16)}): not a mapped region`);
    this.check(this.lib.memUnmap(this.uc, address, size), `uc_mem_unmap(0x${address.toString(16)})`);
    const [r] = this.regions.splice(i, 1);
    this.last = undefined;
    if (!r.alias) {
      this.lib.munmap(r.ptr, r.mem.length);
      this.mappedBytes -= r.mem.length;
    }
  }

  mapAlias(address: bigint, source: bigint, prot: Prot): void {
    const src = this.regionAt(source);
    if (!src) throw new Error(`mapAlias: the source page 0x${source.toString(16)} is not mapped`);
    const off = Number((source & ~0xfffn) - src.begin);
    const host = this.lib.koffi.address(src.ptr as never) + BigInt(off);
    const err = this.lib.memMapAt(this.uc, address, 0x1000, this.effective(prot), host);
    if (err === UC_ERR_NOMEM) throw new GuestMemoryExhaustedError(0x1000, 'host', `uc_mem_map_ptr: ${this.lib.strerror(err)}`);
    this.check(err, `uc_mem_map_ptr(alias 0x${address.toString(16)})`);
    const mem = src.mem.subarray(off, off + 0x1000);
    const region: Region = { begin: address, end: address + 0x1000n, size: 0x1000, mem, bytes: mem, view: new DataView(mem.buffer, mem.byteOffset, 0x1000), code: (prot & Prot.Exec) !== 0, ptr: src.ptr, prots: new Uint8Array(1).fill(prot), alias: true };
    const i = this.regions.findIndex((r) => r.begin > address);
    this.regions.splice(i < 0 ? this.regions.length : i, 0, region);
    if (prot & Prot.Exec) this.execRanges.push({ begin: address, end: address + 0x1000n });
  }

  /** The region holding address, or undefined. */
  private regionAt(address: bigint): Region | undefined {
    const l = this.last;
    if (l && address >= l.begin && address < l.end) return l;
    for (const r of this.regions) {
      if (address >= r.begin && address < r.end) return (this.last = r);
    }
    return undefined;
  }

  protect(address: bigint, size: number, prot: Prot): void {
    const r = this.regionAt(address);
    if (r && prot & Prot.Exec) r.code = true;
    this.check(this.lib.memProtect(this.uc, address, size, this.effective(prot)), `uc_mem_protect(0x${address.toString(16)})`);
    for (let a = address; a < address + BigInt(size); a += 0x1000n) {
      const reg = this.regionAt(a);
      if (!reg) continue;
      const i = Number((a - reg.begin) >> 12n);
      // Code that becomes executable here (written while the page was not) is scanned now.
      const scan = prot & Prot.Exec && !(reg.prots[i] & Prot.Exec);
      reg.prots[i] = prot;
      if (scan) this.watchTimeStamp(a, reg.mem.subarray(i * 0x1000, (i + 1) * 0x1000));
    }
    if (!(prot & Prot.Exec)) {
      // Nothing runs from these pages any more: the sites watched there (bytes that looked like RDTSC or a
      // privileged instruction in data an image loader wrote before setting section protections) go, since every
      // code hook slows Unicorn's translation of every block.
      const end = address + BigInt(size);
      for (const sites of [this.tscSites, this.mxcsrSites]) {
        for (const [site, hh] of sites) {
          if (site < address || site >= end) continue;
          this.check(this.lib.hookDel(this.uc, hh), 'uc_hook_del(site)');
          sites.delete(site);
        }
      }
    }
  }

  pageProt(address: bigint): Prot | undefined {
    const r = this.regionAt(address);
    return r ? (r.prots[Number((address - r.begin) >> 12n)] as Prot) : undefined;
  }

  // Unicorn runs without paging, so it has no user/supervisor bit: at CPL3 every page without Prot.User is made
  // inaccessible (a 'protection' fault, as the wasm core reports it), and put back when the kernel runs again.
  private level: Cpl = 0;
  get cpl(): Cpl {
    return this.level;
  }

  private effective(prot: Prot): number {
    return this.level === 3 && (prot & Prot.User) === 0 ? Prot.None : prot & Prot.RWX;
  }

  setCpl(cpl: Cpl): void {
    if (cpl === this.level) return;
    this.level = cpl;
    for (const r of this.regions) {
      // The processor reads descriptors at any level: the engine's GDT stays reachable (QEMU would fault inside a
      // segment load otherwise, outside any instruction).
      if (this.gdtMapped && r.begin === X86_GDT_BASE) continue;
      // Runs of supervisor pages with the same protections, one uc_mem_protect each.
      let i = 0;
      while (i < r.prots.length) {
        const p = r.prots[i];
        let j = i + 1;
        while (j < r.prots.length && r.prots[j] === p) j++;
        if ((p & Prot.User) === 0 && (p & Prot.RWX) !== 0) {
          const a = r.begin + BigInt(i) * 0x1000n;
          const n = (j - i) * 0x1000;
          this.check(this.lib.memProtect(this.uc, a, n, this.effective(p)), `uc_mem_protect(0x${a.toString(16)})`);
          // Blocks already translated from supervisor code would still run: drop them.
          if (cpl === 3 && p & Prot.Exec) this.check(this.lib.ctl(this.uc, UC_CTL_TB_REMOVE_CACHE, 'uint64_t', a, 'uint64_t', a + BigInt(n)), 'uc_ctl(remove cache)');
        }
        i = j;
      }
    }
  }

  read(address: bigint, size: number): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    const r = this.regionAt(address);
    if (r) {
      const off = Number(address - r.begin);
      if (off + size <= r.mem.length) return r.mem.slice(off, off + size);
    }
    // Spans regions (or is unmapped somewhere): piece by piece.
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const a = address + BigInt(done);
      const reg = this.regionAt(a);
      if (!reg) throw new EngineMemoryError(address, size, 'read');
      const off = Number(a - reg.begin);
      const n = Math.min(size - done, reg.mem.length - off);
      out.set(reg.mem.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  backing(address: bigint): Backing | undefined {
    return this.regionAt(address);
  }

  write(address: bigint, data: Uint8Array): void {
    if (data.length === 0) return;
    const end = address + BigInt(data.length);
    if (this.execRanges.some((r) => r.begin < end && address < r.end)) {
      // Code: uc_mem_write does not drop blocks already translated from it in Unicorn 2.0, so ask for that.
      if (this.lib.memWrite(this.uc, address, data, data.length) !== UC_ERR_OK) throw new EngineMemoryError(address, data.length, 'write');
      this.check(this.lib.ctl(this.uc, UC_CTL_TB_REMOVE_CACHE, 'uint64_t', address, 'uint64_t', end), 'uc_ctl(remove cache)');
      this.watchTimeStamp(address, data);
      return;
    }
    let done = 0;
    while (done < data.length) {
      const a = address + BigInt(done);
      const reg = this.regionAt(a);
      if (!reg) throw new EngineMemoryError(address, data.length, 'write');
      const off = Number(a - reg.begin);
      const n = Math.min(data.length - done, reg.mem.length - off);
      reg.mem.set(n === data.length ? data : data.subarray(done, done + n), off);
      done += n;
    }
  }

  /**
   * Unicorn 2.0 cannot hook RDTSC (UC_HOOK_INSN accepts only IN/OUT/SYSCALL/SYSENTER/CPUID), and its own RDTSC
   * reads the host clock. So every 0F 31 (rdtsc) and 0F 01 F9 (rdtscp) byte sequence written into executable
   * memory gets a one-address code hook; it only fires if an instruction really starts there, and run() then
   * answers it from the virtual counter. Code generated at run time by the guest itself is not covered.
   */
  private watchTimeStamp(address: bigint, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      const n1 = data[i + 1];
      const isTsc = b === 0x0f && (n1 === 0x31 || (n1 === 0x01 && data[i + 2] === 0xf9));
      if (isTsc) this.watchSite(address + BigInt(i));
      // fxrstor and ldmxcsr (0F AE /1, /2, memory forms): checked before they run (see loadsReservedMxcsr).
      const m = data[i + 2];
      if (b === 0x0f && n1 === 0xae && m !== undefined && m >> 6 !== 3 && ((m >> 3) & 7) >= 1 && ((m >> 3) & 7) <= 2) {
        this.watchMxcsr(address + BigInt(i));
        for (let k = 1; k <= 4 && i - k >= 0 && isPrefix(data[i - k], this.arch); k++) this.watchMxcsr(address + BigInt(i - k));
      }
      // Privileged and I/O instructions (the same set the wasm core exits on): Unicorn would run them natively.
      const priv =
        (b === 0x0f && n1 !== undefined && (PRIV_0F.has(n1) || (n1 === 0x01 && privileged0f01(data[i + 2], this.arch)))) ||
        PRIV_1.has(b) ||
        ((b === 0xfa || b === 0xfb) && this.isUserPage(address + BigInt(i)));
      if (!priv) continue;
      this.watchSite(address + BigInt(i));
      // The instruction may start with prefixes: watch each place it could begin.
      for (let k = 1; k <= 4 && i - k >= 0 && isPrefix(data[i - k], this.arch); k++) this.watchSite(address + BigInt(i - k));
    }
  }

  /** cli/sti are privileged at CPL3 only: they are watched in user pages, where the kernel layer emulates them. */
  private isUserPage(a: bigint): boolean {
    const r = this.regionAt(a);
    return r !== undefined && (r.prots[Number((a - r.begin) >> 12n)] & Prot.User) !== 0;
  }

  private watchMxcsr(site: bigint): void {
    if (this.mxcsrSites.has(site)) return;
    const hh: unknown[] = [0];
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_CODE, this.mxcsrHook, null, site, site), 'uc_hook_add(mxcsr site)');
    this.mxcsrSites.set(site, hh[0]);
  }

  /**
   * Whether the instruction at pc is an ldmxcsr or fxrstor that would load reserved MXCSR bits. The CPU raises
   * #GP(0) for that before changing anything (so does the wasm core); Unicorn's QEMU loads them. The check runs in
   * a code hook just before the instruction: #GP then, else the instruction runs natively. An operand that cannot
   * be read (or a misaligned fxrstor) is left to Unicorn, whose fault comes first on the CPU too.
   */
  private loadsReservedMxcsr(pc: bigint): boolean {
    const bytes = this.readUpTo(pc, 15);
    const decoder = new Decoder(this.arch === 'x64' ? 64 : 32, bytes, DecoderOptions.None);
    decoder.ip = pc;
    const insn = decoder.decode();
    try {
      const fx = insn.mnemonic === Mnemonic.Fxrstor || insn.mnemonic === Mnemonic.Fxrstor64;
      if (insn.isInvalid || !(fx || insn.mnemonic === Mnemonic.Ldmxcsr)) return false;
      const a = this.operandAddress(insn, bytes);
      if (fx && (a & 15n) !== 0n) return false;
      const v = this.peek((fx ? a + 24n : a) & (this.arch === 'x64' ? 0xffffffffffffffffn : 0xffffffffn), 4);
      if (!v) return false;
      return ((v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24)) & ~MXCSR_MASK) !== 0;
    } finally {
      insn.free();
      decoder.free();
    }
  }

  /** The linear address of insn's memory operand, from the registers now. */
  private operandAddress(insn: Instruction, bytes: Uint8Array): bigint {
    const x64 = this.arch === 'x64';
    if (insn.isIpRelMemoryOperand) return insn.ipRelMemoryAddress;
    let n = 0;
    while (n < bytes.length && isPrefix(bytes[n], this.arch)) n++;
    const asize = bytes.subarray(0, n).includes(0x67) ? (x64 ? 32 : 16) : x64 ? 64 : 32;
    const mask = (1n << BigInt(asize)) - 1n;
    const value = (r: Register): bigint => {
      for (const [first, width] of [[Register.RAX, 64], [Register.EAX, 32], [Register.AX, 16]] as const) {
        const i = r - first;
        if (i >= 0 && i < 16) return this.getReg(GPR_NAMES[i]) & ((1n << BigInt(width)) - 1n);
      }
      return 0n;
    };
    const ea = (insn.memoryDisplacementU64 + value(insn.memoryBase) + value(insn.memoryIndex) * BigInt(insn.memoryIndexScale)) & mask;
    const seg = insn.memorySegment === Register.FS ? this.getReg('fsBase') : insn.memorySegment === Register.GS ? this.getReg('gsBase') : 0n;
    return (ea + seg) & (x64 ? 0xffffffffffffffffn : 0xffffffffn);
  }

  /** n bytes at a from the host views, or undefined when a read there would fault at the current level. */
  private peek(a: bigint, n: number): Uint8Array | undefined {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const at = a + BigInt(i);
      const r = this.regionAt(at);
      if (!r) return undefined;
      const off = Number(at - r.begin);
      const p = r.prots[off >> 12];
      if (!(p & Prot.Read) || (this.level === 3 && !(p & Prot.User))) return undefined;
      out[i] = r.mem[off];
    }
    return out;
  }

  private watchSite(site: bigint): void {
    if (this.tscSites.has(site)) return;
    const hh: unknown[] = [0];
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_CODE, this.timeStampHook, null, site, site), 'uc_hook_add(site)');
    this.tscSites.set(site, hh[0]);
  }

  /**
   * A watched site was reached: RDTSC/RDTSCP are answered here; a privileged instruction becomes a 'privileged'
   * exit (counted, as the counting hook already ran); anything else was a false alarm (bytes that only looked like
   * one): the site stops being watched and the instruction runs natively.
   */
  private siteReached(pc: bigint): Exit | 'again' {
    if (this.emulateTimeStamp(pc)) return 'again';
    const bytes = this.readUpTo(pc, 15);
    if (isPrivileged(bytes, this.arch, pc, this.isUserPage(pc) ? 3 : this.level)) return { kind: 'privileged', pc };
    const hh = this.tscSites.get(pc);
    if (hh !== undefined) this.check(this.lib.hookDel(this.uc, hh), 'uc_hook_del(site)');
    this.tscSites.delete(pc);
    this.trapsHit++; // counted but not run: it runs (and is counted) again
    this.setReg('rip', pc);
    return 'again';
  }

  private readUpTo(pc: bigint, n: number): Uint8Array {
    for (; n > 0; n--) {
      try {
        return this.read(pc, n);
      } catch {
        /* shorter: the next page is unmapped */
      }
    }
    return new Uint8Array(0);
  }

  /** Executes the RDTSC/RDTSCP at pc from the virtual counter; false if the bytes there are something else. */
  private emulateTimeStamp(pc: bigint): boolean {
    const b = this.read(pc, 3);
    const rdtscp = b[1] === 0x01 && b[2] === 0xf9;
    if (b[0] !== 0x0f || !(b[1] === 0x31 || rdtscp)) return false;
    // The counting hook already counted this instruction; the counter value before it is the time stamp.
    const tsc = tscAt(this.instructions - 1);
    this.setRegId(this.regs.rax, tsc & 0xffffffffn);
    this.setRegId(this.regs.rdx, tsc >> 32n);
    if (rdtscp) this.setRegId(this.regs.rcx, 0n); // TSC_AUX: processor 0
    this.setReg('rip', pc + (rdtscp ? 3n : 2n));
    return true;
  }

  private getRegId(id: number): bigint {
    this.lib.regRead(this.uc, id, this.regBuf);
    return this.regBuf.readBigUInt64LE(0);
  }

  private setRegId(id: number, value: bigint): void {
    this.regBuf.writeBigUInt64LE(BigInt.asUintN(64, value), 0);
    this.lib.regWrite(this.uc, id, this.regBuf);
  }

  getReg(reg: Reg): bigint {
    if (this.arch === 'x86' && (reg === 'fsBase' || reg === 'gsBase')) return this.segBases[reg];
    this.regBuf.fill(0);
    this.lib.regRead(this.uc, this.regs[reg], this.regBuf);
    const v = this.regBuf.readBigUInt64LE(0);
    return this.arch === 'x86' && reg !== 'fsBase' && reg !== 'gsBase' ? v & 0xffffffffn : v;
  }

  setReg(reg: Reg, value: bigint): void {
    if (this.arch === 'x86' && (reg === 'fsBase' || reg === 'gsBase')) return this.setSegmentBase(reg, BigInt.asUintN(32, value));
    this.setRegId(this.regs[reg], this.arch === 'x86' ? BigInt.asUintN(32, value) : value);
  }

  /**
   * Unicorn's 32-bit mode has no writable FS/GS base: segment bases come from descriptors, as on real x86. So the
   * engine keeps a GDT in a page of its own (X86_GDT_BASE) and loads selector 0x30 (fs, as Windows' KGDT_R0_PCR)
   * or 0x38 (gs) with a flat ring-0 data descriptor at the requested base.
   */
  private setSegmentBase(reg: 'fsBase' | 'gsBase', base: bigint): void {
    if (!this.gdtMapped) {
      this.map(X86_GDT_BASE, 0x1000, Prot.RW);
      const mmr = Buffer.alloc(24);
      mmr.writeBigUInt64LE(X86_GDT_BASE, 8);
      mmr.writeUInt32LE(0xfff, 16);
      this.check(this.lib.regWrite(this.uc, REG_GDTR, mmr), 'uc_reg_write(gdtr)');
      this.gdtMapped = true;
      // Loading any selector makes QEMU recompute its flags from the SS descriptor cache, which Unicorn leaves
      // 16-bit: give the flat ring-0 code (0x08) and data (0x10) descriptors Windows has, and load them.
      this.write(X86_GDT_BASE + 8n, Uint8Array.of(0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0));
      this.write(X86_GDT_BASE + 16n, Uint8Array.of(0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0));
      for (const seg of [REG_SS, REG_DS, REG_ES]) this.setRegId(seg, 0x10n);
    }
    const index = reg === 'fsBase' ? 6 : 7;
    const b = Number(base);
    const d = Buffer.alloc(8);
    // limit 0xFFFFF with 4 KiB granularity; type 0x93 = present, DPL 0, read/write data, accessed; D/B=1, G=1.
    d.writeUInt16LE(0xffff, 0);
    d.writeUInt16LE(b & 0xffff, 2);
    d[4] = (b >>> 16) & 0xff;
    d[5] = 0x93;
    d[6] = 0xcf;
    d[7] = (b >>> 24) & 0xff;
    this.write(X86_GDT_BASE + BigInt(index * 8), d);
    this.segBases[reg] = base;
    this.setRegId(reg === 'fsBase' ? REG_FS : REG_GS, BigInt(index * 8));
  }

  /** Native scratch for batched register access: 16 value slots, and the array of their addresses. */
  private batch: { ids: Int32Array; ptrs: BigUint64Array; values: BigUint64Array } | undefined;

  private batchScratch() {
    if (!this.batch) {
      const ptr = this.lib.mmap(null, 0x1000, 3, 0x22, -1, 0n);
      this.batchPage = ptr;
      const base = this.lib.koffi.address(ptr as never);
      const values = new BigUint64Array(this.lib.koffi.view(ptr as never, 0x1000), 0, MAX_BATCH);
      const ptrs = new BigUint64Array(MAX_BATCH);
      for (let i = 0; i < MAX_BATCH; i++) ptrs[i] = base + BigInt(8 * i);
      this.batch = { ids: new Int32Array(MAX_BATCH), ptrs, values };
    }
    return this.batch;
  }
  private batchPage: unknown;

  readRegs(regs: readonly Reg[], out: BigUint64Array): void {
    if (regs.length > MAX_BATCH) throw new RangeError(`readRegs: at most ${MAX_BATCH} registers at once (got ${regs.length})`);
    const b = this.batchScratch();
    for (let i = 0; i < regs.length; i++) {
      b.ids[i] = this.regs[regs[i]];
      b.values[i] = 0n;
    }
    this.check(this.lib.regReadBatch(this.uc, b.ids, b.ptrs, regs.length), 'uc_reg_read_batch');
    const mask = this.arch === 'x86' ? 0xffffffffn : 0xffffffffffffffffn;
    for (let i = 0; i < regs.length; i++) out[i] = b.values[i] & mask;
  }

  writeRegs(regs: readonly Reg[], values: ArrayLike<bigint>): void {
    if (regs.length > MAX_BATCH) throw new RangeError(`writeRegs: at most ${MAX_BATCH} registers at once (got ${regs.length})`);
    const b = this.batchScratch();
    for (let i = 0; i < regs.length; i++) {
      if (this.arch === 'x86' && (regs[i] === 'fsBase' || regs[i] === 'gsBase')) throw new Error('writeRegs: set segment bases with setReg');
      b.ids[i] = this.regs[regs[i]];
      b.values[i] = BigInt.asUintN(this.arch === 'x86' ? 32 : 64, values[i]);
    }
    this.check(this.lib.regWriteBatch(this.uc, b.ids, b.ptrs, regs.length), 'uc_reg_write_batch');
  }

  /** The coverage hook's handle and its state: begin u64, size u64, then the bitmap (counter.c struct kdemu_cover). */
  private cov: { hh: unknown; state: Buffer } | undefined;

  setCoverage(begin: bigint, end: bigint): void {
    if (this.cov) {
      this.check(this.lib.hookDel(this.uc, this.cov.hh), 'uc_hook_del(coverage)');
      this.cov = undefined;
    }
    if (end <= begin) return;
    if (this.lib.coverHook === undefined) throw new Error('the Unicorn hook library predates coverage: run npm run setup');
    const state = Buffer.alloc(16 + Number((end - begin + 7n) >> 3n));
    state.writeBigUInt64LE(begin, 0);
    state.writeBigUInt64LE(end - begin, 8);
    const hh: unknown[] = [0];
    // As for trap ranges: the range is inclusive, and blocks translated before the hook existed would not call it.
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_CODE, this.lib.coverHook, state, begin, end - 1n), 'uc_hook_add(coverage)');
    this.check(this.lib.ctl(this.uc, UC_CTL_TB_REMOVE_CACHE, 'uint64_t', begin, 'uint64_t', end), 'uc_ctl(remove cache)');
    this.cov = { hh: hh[0], state };
  }

  coverage(): Uint8Array {
    return this.cov ? new Uint8Array(this.cov.state.subarray(16)) : new Uint8Array(0);
  }

  addTrapRange(begin: bigint, end: bigint): void {
    const { koffi, protos } = this.lib;
    const cb = koffi.register((_uc: unknown, address: bigint) => {
      this.stop({ kind: 'trap', address: BigInt.asUintN(64, BigInt(address)) });
    }, koffi.pointer(protos.code as never));
    this.callbacks.push(cb);
    const hh: unknown[] = [0];
    // Unicorn's range is inclusive. Blocks translated before the hook existed would not call it: drop those that
    // overlap the range (a whole-cache flush walks the 64-bit page map and takes seconds).
    this.check(this.lib.hookAdd(this.uc, hh, UC_HOOK_CODE, cb, null, begin, end - 1n), 'uc_hook_add(trap)');
    this.check(this.lib.ctl(this.uc, UC_CTL_TB_REMOVE_CACHE, 'uint64_t', begin, 'uint64_t', end), 'uc_ctl(remove cache)');
  }

  run(pc: bigint, budget: number): Exit {
    // Unicorn itself stays at CPL0, where popf may change IF and IOPL; at CPL3 they cannot change, so they are put back.
    const kept = this.level === 3 ? this.getReg('rflags') & 0x3200n : -1n;
    const exit = this.runLoop(pc, budget);
    if (kept >= 0n) this.setReg('rflags', (this.getReg('rflags') & ~0x3200n) | kept);
    return exit;
  }

  private runLoop(pc: bigint, budget: number): Exit {
    const before = this.instructions;
    for (;;) {
      const exit = this.runOnce(pc, budget === 0 ? 0 : budget - (this.instructions - before), before, budget);
      if (exit !== 'tsc') return exit;
      pc = this.getReg('rip');
      if (budget > 0 && this.instructions - before >= budget) return { kind: 'budget', pc };
    }
  }

  private runOnce(pc: bigint, count: number, before: number, budget: number): Exit | 'tsc' {
    this.pending = null;
    // `until` must be an address execution can never reach: with 0, a call through a NULL pointer would end the run
    // silently instead of faulting. The top of the address space is never mapped here.
    const err = this.lib.emuStart(this.uc, pc, this.untilAddress(), 0n, count);
    const p = this.pending as Pending | null;
    this.pending = null;
    if (p?.kind === 'trap') {
      // The counting hook ran for the trap instruction, which did not execute: instructions subtracts these.
      this.trapsHit++;
      return { kind: 'trap', address: p.address };
    }
    const here = this.getReg('rip');
    if (p) {
      switch (p.kind) {
        case 'tsc': {
          const r = this.siteReached(p.address);
          return r === 'again' ? 'tsc' : r;
        }
        case 'exception':
          return { kind: 'interrupt', vector: p.vector, pc: p.pc };
        case 'fault':
          return { kind: 'fault', access: p.access, address: p.address, pc: p.access === 'fetch' ? p.address : here, reason: p.reason };
        case 'interrupt':
          return { kind: 'interrupt', vector: p.vector, pc: this.interruptPc(p.vector, here) };
        case 'invalid':
          return { kind: 'interrupt', vector: 6, pc: here };
        case 'error':
          return { kind: 'error', message: p.message, pc: here };
      }
    }
    if (err === UC_ERR_INSN_INVALID) return { kind: 'interrupt', vector: 6, pc: here };
    if (err !== UC_ERR_OK) return { kind: 'error', message: this.lib.strerror(err), pc: here };
    if (budget > 0 && this.instructions - before >= budget) return { kind: 'budget', pc: here };
    // Execution reached `until` itself (a jump or call to the all-ones address): Unicorn stops there silently,
    // before fetching. That address is never mapped, so the fetch would have faulted.
    if (err === UC_ERR_OK && here === this.untilAddress() && !this.regionAt(here)) {
      return { kind: 'fault', access: 'fetch', address: here, pc: here, reason: 'unmapped' };
    }
    return { kind: 'error', message: 'the engine stopped without a reason', pc: here };
  }

  /** The address given to uc_emu_start as `until`: the last one of the address space. */
  private untilAddress(): bigint {
    return this.arch === 'x64' ? 0xffffffffffffffffn : 0xffffffffn;
  }

  /** Software interrupts are traps: Unicorn reports the next instruction; the report names the int itself. */
  private interruptPc(vector: number, pc: bigint): bigint {
    // A fault (#DE, #GP ...) names its instruction already; an int n is told apart by its bytes before pc.
    try {
      if (vector === 3 && this.read(pc - 1n, 1)[0] === 0xcc) return pc - 1n;
      const b = this.read(pc - 2n, 2);
      if (b[0] === 0xcd && b[1] === vector) return pc - 2n;
    } catch {
      /* fall through: keep Unicorn's pc */
    }
    return pc;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lib.close(this.uc);
    for (const r of this.regions.splice(0)) if (!r.alias) this.lib.munmap(r.ptr, r.mem.length);
    if (this.batchPage) this.lib.munmap(this.batchPage, 0x1000);
    for (const cb of this.callbacks) this.lib.koffi.unregister(cb as never);
  }
}
