// Differential test of the wasm core against the Unicorn engine: random instructions (random bytes shaped like
// the implemented opcodes, kept only when iced-x86 decodes them to an implemented mnemonic) run one at a time
// from the same random register and memory state on both engines; registers, rip, rflags (minus the flags
// iced-x86 calls undefined for the instruction), the exit, the instruction count and the data window must agree.
//
//   npm run difftest -- --arch x64|x86 --count N --seed S [--index I] [--verbose] [--stats] [--progress N]
//                       [--family sse] [--excluded]   (SSE-family encodings from iced-x86's tables; what is left out, and why)
//
// A mismatch prints the disassembly, both states and the command that replays it (the seed and the test index),
// and the command exits non-zero. Instructions the wasm core reports as unsupported are skipped and counted.

import { Decoder, DecoderOptions, Formatter, FormatterSyntax, Mnemonic, Register, Code, RflagsBits, OpKind, CodeExt, CpuidFeature, EncodingKind, MandatoryPrefix, OpCodeTableKind } from 'iced-x86';
import { cpuidLeaf } from '../emu/cpuid.js';
import type { Instruction } from 'iced-x86';
import { fileURLToPath } from 'node:url';
import { Prot, type Arch, type Engine, type Exit, type Reg } from '../emu/engine.js';
import { createEngine, engineAvailable } from '../emu/index.js';

/** The instruction classes the core implements, by iced-x86 mnemonic: generation is restricted to these. */
export const CLASSES: Record<string, readonly string[]> = {
  move: ['Mov', 'Movzx', 'Movsx', 'Movsxd', 'Lea', 'Xchg', 'Bswap', 'Nop', 'Pause', 'Prefetch', 'Prefetchw'],
  alu: ['Add', 'Or', 'Adc', 'Sbb', 'And', 'Sub', 'Xor', 'Cmp', 'Test', 'Inc', 'Dec', 'Neg', 'Not', 'Xadd', 'Cmpxchg', 'Cmpxchg8b', 'Cmpxchg16b'],
  shift: ['Shl', 'Sal', 'Shr', 'Sar', 'Rol', 'Ror', 'Rcl', 'Rcr', 'Shld', 'Shrd'],
  muldiv: ['Mul', 'Imul', 'Div', 'Idiv', 'Cbw', 'Cwde', 'Cdqe', 'Cwd', 'Cdq', 'Cqo'],
  bits: ['Bt', 'Bts', 'Btr', 'Btc', 'Bsf', 'Bsr', 'Tzcnt', 'Lzcnt', 'Popcnt'],
  stack: ['Push', 'Pop', 'Pushf', 'Pushfd', 'Pushfq', 'Popf', 'Popfd', 'Popfq', 'Enter', 'Leave'],
  branch: [
    'Call', 'Ret', 'Jmp', 'Loop', 'Loope', 'Loopne', 'Jcxz', 'Jecxz', 'Jrcxz',
    'Jo', 'Jno', 'Jb', 'Jae', 'Je', 'Jne', 'Jbe', 'Ja', 'Js', 'Jns', 'Jp', 'Jnp', 'Jl', 'Jge', 'Jle', 'Jg',
  ],
  condition: [
    'Seto', 'Setno', 'Setb', 'Setae', 'Sete', 'Setne', 'Setbe', 'Seta', 'Sets', 'Setns', 'Setp', 'Setnp', 'Setl', 'Setge', 'Setle', 'Setg',
    'Cmovo', 'Cmovno', 'Cmovb', 'Cmovae', 'Cmove', 'Cmovne', 'Cmovbe', 'Cmova', 'Cmovs', 'Cmovns', 'Cmovp', 'Cmovnp', 'Cmovl', 'Cmovge', 'Cmovle', 'Cmovg',
  ],
  string: ['Movsb', 'Movsw', 'Movsd', 'Movsq', 'Stosb', 'Stosw', 'Stosd', 'Stosq', 'Lodsb', 'Lodsw', 'Lodsd', 'Lodsq', 'Cmpsb', 'Cmpsw', 'Cmpsd', 'Cmpsq', 'Scasb', 'Scasw', 'Scasd', 'Scasq'],
  flags: ['Clc', 'Stc', 'Cmc', 'Cld', 'Std', 'Lahf', 'Sahf', 'Cli', 'Sti'],
  exits: ['Int3', 'Int', 'Ud2'],
  // The x87 and SSE state the core keeps (FCW, FSW, tags, MXCSR) and the instructions that save, load and flush.
  // Generated loads of MXCSR images are valid most of the time (see patches); fxsave shows the whole state.
  state: ['Fninit', 'Fnclex', 'Fldcw', 'Fnstcw', 'Fnstsw', 'Ldmxcsr', 'Stmxcsr', 'Fxsave', 'Fxsave64', 'Fxrstor', 'Fxrstor64', 'Clflush'],
  // Half-register SSE moves (0F 12/13/16/17). xmm registers are not compared: the loads show in the exit, the
  // length and the faults, and in what later stores (and fxsave) of the same registers write to the window.
  sse: ['Movlps', 'Movlpd', 'Movhps', 'Movhpd', 'Movhlps', 'Movlhps'],
};

/** The only instruction forms with xmm operands that are generated (every other Code naming xmm is left out). */
const XMM_CODES = new Set<number>([
  Code.Movlps_xmm_m64, Code.Movlpd_xmm_m64, Code.Movhps_xmm_m64, Code.Movhpd_xmm_m64, Code.Movhlps_xmm_xmm, Code.Movlhps_xmm_xmm,
  Code.Movlps_m64_xmm, Code.Movlpd_m64_xmm, Code.Movhps_m64_xmm, Code.Movhpd_m64_xmm,
]);

const ALLOWED = new Set<number>(Object.values(CLASSES).flat().map((m) => Mnemonic[m as keyof typeof Mnemonic] as number));

// Opcode shapes the generator starts from (the rest of the bytes are random).
const ONE_BYTE = [
  ...range(0x00, 0x05), ...range(0x08, 0x0d), ...range(0x10, 0x15), ...range(0x18, 0x1d), ...range(0x20, 0x25), ...range(0x28, 0x2d),
  ...range(0x30, 0x35), ...range(0x38, 0x3d), ...range(0x50, 0x5f), 0x63, 0x68, 0x69, 0x6a, 0x6b, ...range(0x70, 0x7f), ...range(0x80, 0x8b),
  0x8d, 0x8f, ...range(0x90, 0x99), 0x9c, 0x9d, 0x9e, 0x9f, ...range(0xa0, 0xaf), ...range(0xb0, 0xbf), 0xc0, 0xc1, 0xc2, 0xc3, 0xc6, 0xc7,
  0xc8, 0xc9, 0xcc, 0xcd, ...range(0xd0, 0xd3), ...range(0xe0, 0xe3), 0xe8, 0xe9, 0xeb, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
  0xfe, 0xff, 0xd9, 0xdb, 0xdd, 0xdf,
];
const ONE_BYTE_X86 = range(0x40, 0x4f);
const TWO_BYTE = [
  0x0b, ...range(0x18, 0x1f), ...range(0x40, 0x4f), ...range(0x80, 0x8f), ...range(0x90, 0x9f), 0xa3, 0xa4, 0xa5, 0xab, 0xac, 0xad, 0xaf,
  0xb0, 0xb1, 0xb3, 0xb6, 0xb7, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, 0xc7, ...range(0xc8, 0xcf),
  0x12, 0x13, 0x16, 0x17, 0x0d,
  // 0F AE more often: most of its forms (fences, xsave, register forms) are not compared.
  ...Array<number>(6).fill(0xae),
];

function len0(insn: Instruction): number {
  return insn.length;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

// Machine layout shared by both engines.
// Each test gets its own 256-byte code slot, never reused by the same engines, filled with int3 around the
// instruction at its middle: falling through (or a short jump) ends at an int3, far targets are unmapped. Fresh
// slots matter: libunicorn2 keeps translated blocks when uc_mem_write rewrites code.
const CODE = 0x400000n;
const CODE_SIZE = 0x400000;
const SLOT = 256;
const SLOT_AT = 128;
/** Enough for any single generated instruction (rep counts are small) plus the int3; stops jmp-to-self loops. */
const BUDGET = 1000;
/** Data window: three read-write pages and one read-only page; everything around it is unmapped. */
const WINDOW = 0x10000n;
const WINDOW_RW = 0x3000;
const WINDOW_SIZE = 0x4000;
const FS_BASE = WINDOW + 0x800n;
const GS_BASE = WINDOW + 0x1800n;

const GPRS: readonly Reg[] = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const GPRS_X86: readonly Reg[] = GPRS.slice(0, 8);

/** iced-x86 register → our full register name (memory operands use 32/64-bit registers only). */
function fullReg(r: Register): Reg | null {
  const name = Register[r];
  if (!name) return null;
  const m64 = /^R([A-D]X|SP|BP|SI|DI)$/.exec(name);
  if (m64) return `r${m64[1].toLowerCase()}` as Reg;
  const m32 = /^E([A-D]X|SP|BP|SI|DI)$/.exec(name);
  if (m32) return `r${m32[1].toLowerCase()}` as Reg;
  const mx = /^R(\d+)D?$/.exec(name);
  if (mx) return `r${mx[1]}` as Reg;
  return null;
}

/** EFLAGS bits of iced-x86 RflagsBits. */
function eflagsOf(bits: number): bigint {
  let v = 0n;
  if (bits & RflagsBits.OF) v |= 0x800n;
  if (bits & RflagsBits.SF) v |= 0x80n;
  if (bits & RflagsBits.ZF) v |= 0x40n;
  if (bits & RflagsBits.AF) v |= 0x10n;
  if (bits & RflagsBits.CF) v |= 0x1n;
  if (bits & RflagsBits.PF) v |= 0x4n;
  return v;
}

/** mulberry32: a small deterministic PRNG; each test gets its own stream from (seed, index). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function testSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

interface Case {
  bytes: Uint8Array;
  insn: Instruction;
  /** Bytes written into the data window for this case only (restore() puts the window back). */
  patches: { address: bigint; bytes: Uint8Array }[];
  regs: Map<Reg, bigint>;
  /** The same registers in GPRS order (written in one batch). */
  values: bigint[];
  rflags: bigint;
  /** SSE-family cases: the x87/SSE state (an fxrstor image) loaded before the instruction; fxsave compares it after. */
  fpu?: Uint8Array;
  /** The disassembly (formatted on first use: most cases never need it); read it before insn is freed. */
  readonly text: string;
}

function makeCase(bytes: Uint8Array, insn: Instruction, regs: Map<Reg, bigint>, rflags: bigint, formatter: Formatter, patches: Case['patches'] = [], fpu?: Uint8Array): Case {
  let text: string | undefined;
  return {
    bytes,
    insn,
    patches,
    fpu,
    regs,
    values: GPRS.map((g) => regs.get(g) ?? 0n),
    rflags,
    get text() {
      return (text ??= formatter.format(insn));
    },
  };
}

const INTERESTING = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen, 63n, 64n, 31n, 32n, 33n, 65n];

export interface DifftestOptions {
  arch: Arch;
  /** 'base' (default): the classes of CLASSES; 'sse': the SSE-family encodings of sseCandidates, with xmm state compared. */
  family?: 'base' | 'sse';
  count: number;
  seed: number;
  /** Run only this test index (replay). */
  index?: number;
  verbose?: boolean;
  /** Called with each compared instruction's disassembly (regression tests check they replay what they meant). */
  onCase?: (index: number, text: string) => void;
  /** Called with each case that disagreed on used engines and was run again on fresh ones (see rechecked). */
  onRecheck?: (index: number, text: string) => void;
  /** Called with each mismatch report; the run goes on (up to maxMismatches). */
  onMismatch?: (report: string) => void;
  maxMismatches?: number;
  /** Called every `progressEvery` cases with the counts so far (long runs). */
  onProgress?: (done: number, result: DifftestResult) => void;
  progressEvery?: number;
}

export interface DifftestResult {
  ran: number;
  skipped: number;
  mismatches: number;
  /** Disagreements on used engines that were run again on fresh engines (the mismatches are what remained). */
  rechecked: number;
  /** Rechecked cases per mnemonic. */
  recheckedBy: Map<string, number>;
  /** Compared instructions per mnemonic. */
  byMnemonic: Map<string, number>;
  /** Skipped (unsupported by the core) per mnemonic. */
  unsupported: Map<string, number>;
}

/**
 * The two engines of a run. Each case writes its instruction into a slot and the engines run it; afterwards the
 * slot is int3 again and the data window holds its initial bytes again, so a case sees the same machine whatever
 * ran before it (as --index replays it on fresh engines). Engines are renewed every CODE_SIZE / SLOT cases, so a
 * slot is written once per engine (Unicorn keeps a time-stamp hook for every rdtsc byte pattern ever written).
 */
class Pair {
  uc: Engine;
  readonly wasm: Engine;
  /** Cases run on these engines (a mismatch on used engines is confirmed on fresh ones). */
  used = 0;
  constructor(
    readonly arch: Arch,
    readonly windowData: Uint8Array,
    /** SSE-family engines also map the fxrstor/fxsave stub. */
    readonly sse = false,
  ) {
    this.uc = setupEngine('unicorn', arch, windowData);
    this.wasm = setupEngine('wasm', arch, windowData);
    if (sse) { mapFpuStub(this.uc); mapFpuStub(this.wasm); }
  }
  /**
   * A new Unicorn engine. libunicorn2 hands exceptions to the interrupt hook without delivering them, so QEMU's
   * "exception in flight" (old_exception) is never cleared: after one #DE (or #GP, #PF ...) the next contributory
   * exception is reported as a double fault (8) and the one after that stops the engine without a reason.
   */
  renewUnicorn(): void {
    this.uc.close();
    this.uc = setupEngine('unicorn', this.arch, this.windowData);
    if (this.sse) mapFpuStub(this.uc);
    // The new one has the reset x87/SSE state; so must the wasm engine, or cases that show that state (stmxcsr,
    // fxsave, fnstcw ...) would find what earlier cases loaded on one side only.
    resetFpuState(this.wasm);
  }
  close(): void {
    this.uc.close();
    this.wasm.close();
  }
}

function setupEngine(name: 'unicorn' | 'wasm', arch: Arch, windowData: Uint8Array): Engine {
  const e = createEngine(name, arch);
  e.map(CODE, CODE_SIZE, Prot.RX);
  // int3 everywhere, through the host view: a fresh engine has translated nothing yet (and Engine.write would
  // scan 4 MiB for rdtsc patterns and drop translations of it).
  e.backing(CODE)!.bytes.fill(0xcc);
  e.map(WINDOW, WINDOW_RW, Prot.RW);
  e.map(WINDOW + BigInt(WINDOW_RW), WINDOW_SIZE - WINDOW_RW, Prot.Read);
  setWindow(e, windowData);
  e.setReg('fsBase', FS_BASE);
  e.setReg('gsBase', GS_BASE);
  return e;
}

/** A page used only while resetFpuState runs (mapped and unmapped around it): far from the window and the code. */
const STUB = 0x200000n;

/** Puts e's x87/SSE state back to reset (FCW 0x37F, MXCSR 0x1F80, empty tags, zero registers) with an fxrstor. */
function resetFpuState(e: Engine): void {
  e.map(STUB, 0x1000, Prot.RWX);
  const image = new Uint8Array(512);
  image.set([0x7f, 0x03], 0); // FCW
  image.set([0x80, 0x1f], 24); // MXCSR
  const area = Number(STUB) + 0x800;
  const le32 = [area & 0xff, (area >> 8) & 0xff, (area >> 16) & 0xff, area >>> 24];
  // fxrstor [area] (absolute: SIB without base in long mode, disp32 in 32-bit mode) ; int3
  const code = e.arch === 'x64' ? [0x0f, 0xae, 0x0c, 0x25, ...le32, 0xcc] : [0x0f, 0xae, 0x0d, ...le32, 0xcc];
  e.write(STUB + 0x800n, image);
  e.write(STUB, Uint8Array.from(code));
  const x = e.run(STUB, 10);
  e.unmap(STUB, 0x1000);
  if (x.kind !== 'interrupt' || x.vector !== 3) throw new Error(`resetFpuState: ${x.kind}`);
}

// ---- SSE family ------------------------------------------------------------------------------------------------
// Cases of the 'sse' family load a random x87/SSE state with fxrstor before the instruction and store it with fxsave
// after it, from a stub mapped only in these engines: the xmm registers and MXCSR are compared through that image.
const FPU_CODE = 0x300000n;
const FPU_DATA = 0x301000n;
/** Where the stub's fxsave stores (its fxrstor loads from FPU_DATA). */
const FPU_OUT = FPU_DATA + 0x200n;

function mapFpuStub(e: Engine): void {
  e.map(FPU_CODE, 0x1000, Prot.RX);
  e.map(FPU_DATA, 0x1000, Prot.RW);
  const abs = (a: bigint) => { const n = Number(a); return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]; };
  // fxrstor [FPU_DATA] ; int3 at +0, fxsave [FPU_OUT] ; int3 at +0x20 (absolute operands in both modes).
  const rstor = e.arch === 'x64' ? [0x0f, 0xae, 0x0c, 0x25, ...abs(FPU_DATA)] : [0x0f, 0xae, 0x0d, ...abs(FPU_DATA)];
  const save = e.arch === 'x64' ? [0x0f, 0xae, 0x04, 0x25, ...abs(FPU_OUT)] : [0x0f, 0xae, 0x05, ...abs(FPU_OUT)];
  const code = new Uint8Array(0x40).fill(0xcc);
  code.set(rstor, 0);
  code.set(save, 0x20);
  e.write(FPU_CODE, code);
}

function loadFpu(e: Engine, image: Uint8Array): void {
  e.write(FPU_DATA, image);
  const x = e.run(FPU_CODE, 10);
  if (x.kind !== 'interrupt' || x.vector !== 3) throw new Error(`loadFpu: ${x.kind}`);
}

function saveFpu(e: Engine): Uint8Array {
  e.write(FPU_OUT, new Uint8Array(512));
  const x = e.run(FPU_CODE + 0x20n, 10);
  if (x.kind !== 'interrupt' || x.vector !== 3) throw new Error(`saveFpu: ${x.kind}`);
  return e.read(FPU_OUT, 512);
}

/** The SSE-family features, with their CPUID.1 bit (ECX unless edx) and whether the machine advertises it. */
const SSE_FEATURES: ReadonlyMap<CpuidFeature, { name: string; edx?: boolean; bit: number; leaf?: number }> = new Map([
  [CpuidFeature.BMI1, { name: 'BMI1', leaf: 7, bit: 3 }],
  [CpuidFeature.BMI2, { name: 'BMI2', leaf: 7, bit: 8 }],
  [CpuidFeature.ADX, { name: 'ADX', leaf: 7, bit: 19 }],
  [CpuidFeature.RDRAND, { name: 'RDRAND', bit: 30 }],
  [CpuidFeature.RDSEED, { name: 'RDSEED', leaf: 7, bit: 18 }],
  [CpuidFeature.SSE, { name: 'SSE', edx: true, bit: 25 }],
  [CpuidFeature.SSE2, { name: 'SSE2', edx: true, bit: 26 }],
  [CpuidFeature.SSE3, { name: 'SSE3', bit: 0 }],
  [CpuidFeature.SSSE3, { name: 'SSSE3', bit: 9 }],
  [CpuidFeature.SSE4_1, { name: 'SSE4.1', bit: 19 }],
  [CpuidFeature.SSE4_2, { name: 'SSE4.2', bit: 20 }],
  [CpuidFeature.POPCNT, { name: 'POPCNT', bit: 23 }],
  [CpuidFeature.MOVBE, { name: 'MOVBE', bit: 22 }],
]);

function advertised(f: { edx?: boolean; bit: number; leaf?: number }): boolean {
  if (f.leaf === 7) return ((cpuidLeaf(7)[1] >>> f.bit) & 1) === 1;
  const [, , ecx, edx] = cpuidLeaf(1);
  return (((f.edx ? edx : ecx) >>> f.bit) & 1) === 1;
}

/**
 * Where Unicorn (libunicorn2) cannot be the reference, by mnemonic: its CPU model has no POPCNT and no MOVBE (#UD),
 * and it raises no MXCSR exception flags (not compared: the core raises none either).
 */
const UNICORN_LACKS: ReadonlyMap<string, string> = new Map([
  ['Popcnt', 'Unicorn differs from the SDM: its CPU model lacks POPCNT (#UD); wasm-only tests'],
  ['Movbe', 'Unicorn differs from the SDM: its CPU model lacks MOVBE (#UD); wasm-only tests'],
  ['Rdrand', 'Unicorn lacks RDRAND and RDSEED (#UD); the core gives a fixed sequence; wasm-only tests'],
  ['Rdseed', 'Unicorn lacks RDRAND and RDSEED (#UD); the core gives a fixed sequence; wasm-only tests'],
  // Its dpps/dppd sum the products from +0.0 in lane order; the SDM adds them in pairs, (0 + 1) + (2 + 3), so the
  // sign of a zero sum and the rounding differ.
  ['Dpps', 'Unicorn differs from the SDM: dpps/dppd sum from +0.0 in lane order, not in pairs; wasm-only tests'],
  ['Dppd', 'Unicorn differs from the SDM: dpps/dppd sum from +0.0 in lane order, not in pairs; wasm-only tests'],
  // It swaps pdep's and pext's source and mask (r/m is the mask in the SDM).
  ['Pdep', 'Unicorn differs from the SDM: pdep/pext take the mask from vvvv, not r/m; wasm-only tests'],
  ['Pext', 'Unicorn differs from the SDM: pdep/pext take the mask from vvvv, not r/m; wasm-only tests'],
]);

/**
 * Operand values or forms of compared encodings that are not generated, or results not compared, because Unicorn
 * differs from the SDM there (test/wasm/sse-fp.test.ts and bmi.test.ts check the core on each).
 */
export const PARTIAL: readonly string[] = [
  'cmpps/cmppd/cmpss/cmpsd with imm8 bits 7:3 set: Unicorn raises #UD, the SDM ignores them',
  'phadd*/phsub* with one register as source and destination: Unicorn reads the half it already wrote',
  'pcmpestri/pcmpestrm with REX.W and |rax| or |rdx| >= 2^31: Unicorn truncates the length to int',
  'pcmp[ei]str[im] equal-ordered aggregation: Unicorn misses a needle prefix matching at the haystack end',
  'rorx with a rip-relative operand: Unicorn forgets the imm8 in the address',
  'bzhi with an index >= the operand size; CF of bzhi and blsi: Unicorn clamps the index and inverts CF',
  'bextr with a length >= the operand size, or a 32-bit register source with its high half set (long mode)',
  'floating-point lanes where both engines hold a NaN: Unicorn picks between two NaNs the x87 way',
  'misaligned 16-byte SSE operands: the SDM (and the core) raise #GP, Unicorn does not check',
  'maskmovdqu faulting part way: Unicorn reports the last faulting byte, the core the first',
  'MXCSR exception flags: neither engine raises them',
];

export interface SseCandidates {
  /** Encodings (iced-x86 Code values) the generator draws from. */
  codes: number[];
  /** Encodings left out, by reason: their iced-x86 instruction strings. */
  excluded: Map<string, string[]>;
}

const candidateCache = new Map<Arch, SseCandidates>();

/** One byte image of encoding oc (random operands), or null when r gave none that iced-x86 decodes to it. */
function encodingBytes(code: number, arch: Arch, r: () => number, at: bigint): { bytes: Uint8Array; insn: Instruction } | null {
  const oc = CodeExt.opCode(code);
  try {
    const bitness = arch === 'x64' ? 64 : 32;
    const table = oc.table === OpCodeTableKind.T0F ? [0x0f] : oc.table === OpCodeTableKind.T0F38 ? [0x0f, 0x38] : [0x0f, 0x3a];
    const mp = oc.mandatoryPrefix === MandatoryPrefix.P66 ? [0x66] : oc.mandatoryPrefix === MandatoryPrefix.PF3 ? [0xf3] : oc.mandatoryPrefix === MandatoryPrefix.PF2 ? [0xf2] : [];
    for (let attempt = 0; attempt < 64; attempt++) {
      const b: number[] = [];
      if (oc.encoding === EncodingKind.VEX) {
        // C4 RXB.mmmmm W.vvvv.L.pp: R, X, B (inverted) and vvvv random in long mode (R, X, B set and vvvv < 8 inverted
        // outside it), L = 0, W as the encoding wants (random where it is ignored).
        const mmmmm = oc.table === OpCodeTableKind.T0F ? 1 : oc.table === OpCodeTableKind.T0F38 ? 2 : 3;
        const pp = oc.mandatoryPrefix === MandatoryPrefix.P66 ? 1 : oc.mandatoryPrefix === MandatoryPrefix.PF3 ? 2 : oc.mandatoryPrefix === MandatoryPrefix.PF2 ? 3 : 0;
        const rxb = arch === 'x64' ? Math.floor(r() * 8) : 7;
        const w = oc.isWIG || oc.isWIG32 ? Math.floor(r() * 2) : oc.W;
        const vvvv = arch === 'x64' ? Math.floor(r() * 16) : 8 | Math.floor(r() * 8);
        b.push(0xc4, (rxb << 5) | mmmmm, (w << 7) | (vvvv << 3) | pp, oc.opCode & 0xff);
      } else {
        if (oc.operandSize === 16 && oc.mandatoryPrefix !== MandatoryPrefix.P66) b.push(0x66);
        b.push(...mp);
        if (arch === 'x64' && (r() < 0.5 || oc.operandSize === 64)) b.push(0x40 | Math.floor(r() * 16) | (oc.operandSize === 64 ? 8 : 0));
        b.push(...table, oc.opCode & 0xff);
      }
      let modrm = Math.floor(r() * 256);
      if (r() < 0.4) modrm |= 0xc0;
      if (oc.isGroup) modrm = (modrm & 0xc7) | (oc.groupIndex << 3);
      if (oc.isRmGroup) modrm = 0xc0 | (modrm & 0x38) | oc.rmGroupIndex;
      b.push(modrm);
      while (b.length < 16) b.push(Math.floor(r() * 256));
      const bytes = Uint8Array.from(b);
      const dec = new Decoder(bitness, bytes, DecoderOptions.None);
      dec.ip = at;
      const insn = dec.decode();
      dec.free();
      if (!insn.isInvalid && insn.code === code) return { bytes: bytes.subarray(0, insn.length), insn };
      insn.free();
    }
    return null;
  } finally {
    oc.free();
  }
}

/**
 * The SSE-family encodings, derived from iced-x86's tables: every legacy-encoded 0F / 0F 38 / 0F 3A encoding
 * available in the mode whose CPUID features include an SSE-family one. Those the emulated CPU does not offer, or
 * that the engines cannot compare, are listed with the reason.
 */
export function sseCandidates(arch: Arch): SseCandidates {
  const cached = candidateCache.get(arch);
  if (cached) return cached;
  const codes: number[] = [];
  const excluded = new Map<string, string[]>();
  const exclude = (why: string, what: string) => {
    let l = excluded.get(why);
    if (!l) excluded.set(why, (l = []));
    l.push(what);
  };
  const r = rng(0x5eed);
  const bitness = arch === 'x64' ? 64 : 32;
  const all = Object.values(Code).filter((v): v is number => typeof v === 'number');
  for (const code of all) {
    const oc = CodeExt.opCode(code);
    const legacy = (oc.encoding === EncodingKind.Legacy || oc.encoding === EncodingKind.VEX) && oc.isInstruction && oc.isAvailableInMode(bitness) &&
      (oc.table === OpCodeTableKind.T0F || oc.table === OpCodeTableKind.T0F38 || oc.table === OpCodeTableKind.T0F3A);
    const text = oc.instructionString;
    const privileged = oc.isPrivileged || oc.mustBeCpl0;
    oc.free();
    if (!legacy) continue;
    const sample = encodingBytes(code, arch, r, CODE + BigInt(SLOT_AT));
    if (!sample) continue;
    const features = Array.from(sample.insn.cpuidFeatures());
    const mn = Mnemonic[sample.insn.mnemonic];
    sample.insn.free();
    const family = features.map((f) => SSE_FEATURES.get(f)).filter((f) => f !== undefined);
    if (family.length === 0) continue;
    // VEX: the BMI general-register forms only (the AVX ones carry an AVX feature, which CPUID does not announce).
    if (features.includes(CpuidFeature.AVX) || features.includes(CpuidFeature.AVX2)) continue;
    if (privileged) exclude('privileged: handled by the kernel layer', text);
    else if (/\bmm\d?\b|\bmm\//.test(text) || features.includes(CpuidFeature.MMX)) exclude('MMX registers: not in the advertised CPUID', text);
    else if (UNICORN_LACKS.has(mn)) exclude(UNICORN_LACKS.get(mn)!, text);
    else if (!family.every(advertised)) exclude(`not in the advertised CPUID (${family.filter((f) => !advertised(f)).map((f) => f.name).join(', ')})`, text);
    else codes.push(code);
  }
  const result = { codes, excluded };
  candidateCache.set(arch, result);
  return result;
}

/** Float lane patterns that find the edge cases: zeros, ones, infinities, NaNs (quiet, signalling), denormals, extremes. */
const F32_SPECIAL = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00001,
  0x00000001, 0x807fffff, 0x7f7fffff, 0x4f000000, 0xcf000000, 0x5f000000, 0x3f000000, 0x40490fdb];
const F64_SPECIAL = [0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000000n, 0x7ff4000000000001n, 0x0000000000000001n, 0x41e0000000000000n, 0xc1e0000000000000n, 0x43e0000000000000n,
  0x3fe0000000000000n, 0x400921fb54442d18n, 0x7fefffffffffffffn];

/** A random fxrstor image: FCW 0x37F, MXCSR 0x1F80, x87 registers zero, xmm registers mixing integers and floats. */
function randomFpuImage(r: () => number, arch: Arch): Uint8Array {
  const image = new Uint8Array(512);
  const dv = new DataView(image.buffer);
  dv.setUint16(0, 0x37f, true);
  // MXCSR: the reset value, or (one case in six) another rounding mode, for the conversions that use it (the
  // core stops with an unsupported-instruction exit for arithmetic that would round differently: skipped).
  dv.setUint32(24, r() < 1 / 6 ? 0x1f80 | (Math.floor(r() * 3 + 1) << 13) : 0x1f80, true);
  const n = arch === 'x64' ? 16 : 8;
  for (let i = 0; i < n; i++) {
    const at = 160 + 16 * i;
    const k = r();
    for (let j = 0; j < 16; j += k < 0.5 ? 4 : 8) {
      if (k < 0.25) dv.setUint32(at + j, F32_SPECIAL[Math.floor(r() * F32_SPECIAL.length)], true);
      else if (k < 0.5) dv.setFloat32(at + j, (r() - 0.5) * 2 ** Math.floor(r() * 80 - 40), true);
      else if (k < 0.65) dv.setBigUint64(at + j, F64_SPECIAL[Math.floor(r() * F64_SPECIAL.length)], true);
      else if (k < 0.8) dv.setFloat64(at + j, (r() - 0.5) * 2 ** Math.floor(r() * 200 - 100), true);
      else { dv.setUint32(at + j, Math.floor(r() * 2 ** 32), true); dv.setUint32(at + j + 4, Math.floor(r() * 2 ** 32), true); }
    }
  }
  return image;
}

/** Generates SSE-family test `index`: one of the candidate encodings with random operands and a random xmm state. */
function generateSse(arch: Arch, seed: number, index: number, at: bigint, formatter: Formatter): Case {
  const r = rng(testSeed(seed, index) ^ 0x55e55e);
  const { codes } = sseCandidates(arch);
  for (;;) {
    const code = codes[Math.floor(r() * codes.length)];
    const got = encodingBytes(code, arch, r, at);
    if (!got) continue;
    // Unicorn's QEMU raises #UD for cmpps/cmppd/cmpss/cmpsd with imm8 bits 7:3 set; the SDM has them reserved and
    // ignored (the core uses bits 2:0): not compared (test/wasm/sse-fp.test.ts checks the core).
    if (/^Cmp(ps|pd|ss|sd)$/.test(Mnemonic[got.insn.mnemonic]) && got.insn.immediate8 >= 8) { got.insn.free(); continue; }
    const mn = Mnemonic[got.insn.mnemonic];
    // Unicorn's QEMU computes phadd*/phsub* in place, so with the same register as source and destination the high
    // half reads the already-updated low half (the SDM reads the source as it was): not compared with one register.
    if (/^Ph(add|sub)/.test(mn) && got.insn.op1Kind === OpKind.Register && got.insn.op0Register === got.insn.op1Register) { got.insn.free(); continue; }
    // libunicorn2's QEMU finds equal-ordered (strstr) matches only where the whole of the first operand fits before
    // the end of the second (later QEMU fixed it); the SDM also reports a match of a prefix at the end: not generated.
    if (/^Pcmp[ei]str/.test(mn) && ((got.insn.immediate8 >> 2) & 3) === 3) { got.insn.free(); continue; }
    // And, as for shld/shrd, it forgets rorx's imm8 after a rip-relative operand (the address comes out one short).
    if (mn === 'Rorx' && got.insn.isIpRelMemoryOperand) { got.insn.free(); continue; }
    const state = randomState(arch, r, got.insn, at, true);
    // bzhi: an index of the operand size or more keeps every bit (SDM); Unicorn's QEMU clamps it to size - 1 and
    // clears the top bit. Indexes below the size only.
    if (mn === 'Bzhi') {
      const idx = fullReg(got.insn.op2Register);
      const width = got.insn.op0Register >= Register.RAX && got.insn.op0Register <= Register.R15 ? 64 : 32;
      if (idx) state.regs.set(idx, (state.regs.get(idx)! & ~0xffn) | BigInt(Math.floor(r() * width)));
    }
    // bextr: QEMU clamps a length of the operand size or more to size - 1 (clearing the top bit) and, for 32-bit
    // register sources in long mode, shifts the whole 64-bit register (bits above 31 come down); the SDM keeps every
    // bit of a zero-extended source. Lengths below the size, and such sources with their high half clear.
    if (mn === 'Bextr') {
      const ctl = fullReg(got.insn.op2Register);
      const width = got.insn.op0Register >= Register.RAX && got.insn.op0Register <= Register.R15 ? 64 : 32;
      if (ctl) state.regs.set(ctl, (state.regs.get(ctl)! & ~0xff00n) | (BigInt(Math.floor(r() * width)) << 8n));
      if (arch === 'x64' && width === 32 && got.insn.op1Kind === OpKind.Register) {
        const src = fullReg(got.insn.op1Register);
        if (src) state.regs.set(src, state.regs.get(src)! & 0xffffffffn);
      }
    }
    // pcmpestri/pcmpestrm: lengths in eax/edx (rax/rdx with REX.W) near the element count. Unicorn's QEMU keeps the
    // absolute value of rax/rdx in an int, so 64-bit lengths of 2^31 or more come out negative there instead of
    // saturating (the SDM): they are not generated (test/wasm/sse-fp.test.ts checks the core).
    if (/^Pcmpestr/.test(mn)) {
      const small = () => BigInt.asUintN(arch === 'x64' ? 64 : 32, BigInt(Math.floor(r() * 41) - 20));
      state.regs.set('rax', small());
      state.regs.set('rdx', small());
    }
    return makeCase(got.bytes, got.insn, state.regs, state.rflags, formatter, [], randomFpuImage(r, arch));
  }
}

/** The fxsave images agree, but for lanes where both hold NaNs after a floating-point instruction (see compare). */
function fpuAgree(c: Case, u: Uint8Array | undefined, w: Uint8Array | undefined): boolean {
  if (!u || !w) return u === w;
  if (Buffer.compare(u, w) === 0) return true;
  return fpuProblems(c, u, w).length === 0;
}

/**
 * Differences between two fxsave images. Unicorn's QEMU picks between two NaN operands the x87 way (the larger
 * significand) where the SDM has SSE return the first source: lanes of floating-point results where both engines
 * hold a NaN are not compared (test/wasm/sse-fp.test.ts checks the SDM's choice on the core).
 */
function fpuProblems(c: Case, u: Uint8Array, w: Uint8Array): string[] {
  const problems: string[] = [];
  const fp = /(ps|pd|ss|sd)$/i.test(Mnemonic[c.insn.mnemonic]);
  const ud = new DataView(u.buffer, u.byteOffset, u.length);
  const wd = new DataView(w.buffer, w.byteOffset, w.length);
  const nan32 = (d: DataView, o: number) => (d.getUint32(o, true) & 0x7fffffff) > 0x7f800000;
  const nan64 = (d: DataView, o: number) => (d.getBigUint64(o, true) & 0x7fffffffffffffffn) > 0x7ff0000000000000n;
  for (let i = 0; i < 160; i++) if (u[i] !== w[i]) { problems.push(`fxsave byte ${i}: unicorn ${u[i].toString(16)} | wasm ${w[i].toString(16)}`); break; }
  for (let x = 0; x < 16; x++) {
    const at = 160 + 16 * x;
    let differs = false;
    for (let j = 0; j < 16; j += 8) {
      if (ud.getBigUint64(at + j, true) === wd.getBigUint64(at + j, true)) continue;
      if (fp && nan64(ud, at + j) && nan64(wd, at + j)) continue;
      if (fp && [0, 4].every((h) => ud.getUint32(at + j + h, true) === wd.getUint32(at + j + h, true) || (nan32(ud, at + j + h) && nan32(wd, at + j + h)))) continue;
      differs = true;
    }
    if (differs) {
      const hx = (a: Uint8Array) => Array.from(a.subarray(at, at + 16)).reverse().map((v) => v.toString(16).padStart(2, '0')).join('');
      problems.push(`xmm${x}: unicorn ${hx(u)} | wasm ${hx(w)}`);
    }
  }
  return problems;
}

/**
 * Unicorn's QEMU does not check the alignment of 16-byte SSE memory operands; the SDM raises #GP(0) for a misaligned
 * one (movaps, movdqa, the arithmetic forms ...), as the core does: those cases are not compared.
 */
function misalignedSse(c: Case, u: State, w: State): boolean {
  return c.fpu !== undefined && w.exit.kind === 'interrupt' && w.exit.vector === 13 && !(u.exit.kind === 'interrupt' && u.exit.vector === 13);
}

/** Unicorn exits after which its engine must be renewed (see Pair.renewUnicorn). */
function taintsUnicorn(x: Exit): boolean {
  if (x.kind === 'error') return true;
  if (x.kind !== 'interrupt') return false;
  const v = x.vector;
  return v === 0 || v === 8 || (v >= 10 && v <= 14);
}

/** A copy of the data window's bytes (for a mismatch report). */
function windowBytes(e: Engine): Uint8Array {
  const rw = e.backing(WINDOW)!;
  const ro = e.backing(WINDOW + BigInt(WINDOW_RW))!;
  const out = new Uint8Array(WINDOW_SIZE);
  out.set(rw.bytes.subarray(0, WINDOW_RW), 0);
  out.set(ro.bytes.subarray(0, WINDOW_SIZE - WINDOW_RW), WINDOW_RW);
  return out;
}

/** Both engines' data windows hold the same bytes (memcmp on the host views, no copy). */
function sameWindows(u: Engine, w: Engine): boolean {
  const ur = u.backing(WINDOW)!.bytes;
  const wr = w.backing(WINDOW)!.bytes;
  const uo = u.backing(WINDOW + BigInt(WINDOW_RW))!.bytes;
  const wo = w.backing(WINDOW + BigInt(WINDOW_RW))!.bytes;
  return (
    Buffer.compare(ur.subarray(0, WINDOW_RW), wr.subarray(0, WINDOW_RW)) === 0 &&
    Buffer.compare(uo.subarray(0, WINDOW_SIZE - WINDOW_RW), wo.subarray(0, WINDOW_SIZE - WINDOW_RW)) === 0
  );
}

function setWindow(e: Engine, data: Uint8Array): void {
  e.backing(WINDOW)!.bytes.set(data.subarray(0, WINDOW_RW));
  e.backing(WINDOW + BigInt(WINDOW_RW))!.bytes.set(data.subarray(WINDOW_RW));
}

function hex(v: bigint, arch: Arch): string {
  return '0x' + v.toString(16).padStart(arch === 'x64' ? 16 : 8, '0');
}

/** Generates test `index`: instruction bytes decoded by iced-x86 to an allowed mnemonic, and a machine state. */
function generate(arch: Arch, seed: number, index: number, at: bigint, formatter: Formatter): Case {
  const r = rng(testSeed(seed, index));
  const byte = () => Math.floor(r() * 256);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const bitness = arch === 'x64' ? 64 : 32;
  for (;;) {
    const b: number[] = [];
    if (r() < 0.15) b.push(0x66);
    if (r() < 0.03) b.push(0x67);
    if (r() < 0.03) b.push(0xf0);
    if (r() < 0.05) b.push(pick([0x64, 0x65, 0x2e, 0x3e]));
    const rep = r();
    if (rep < 0.06) b.push(0xf3);
    else if (rep < 0.1) b.push(0xf2);
    if (arch === 'x64' && r() < 0.5) b.push(0x40 | Math.floor(r() * 16));
    const two = r() < 0.3;
    if (two) b.push(0x0f, pick(TWO_BYTE));
    else b.push(pick(arch === 'x86' && r() < 0.1 ? ONE_BYTE_X86 : ONE_BYTE));
    // String instructions: often with rep.
    const op = b[b.length - 1];
    if (!two && op >= 0xa4 && op <= 0xaf && op !== 0xa8 && op !== 0xa9 && r() < 0.5) b.unshift(r() < 0.5 ? 0xf3 : 0xf2);
    // ModRM: favour register and simple memory forms a little.
    let modrm = byte();
    if (r() < 0.2) modrm |= 0xc0;
    b.push(modrm);
    while (b.length < 16) b.push(byte());
    const bytes = Uint8Array.from(b);
    const dec = new Decoder(bitness, bytes, DecoderOptions.None);
    dec.ip = at;
    const insn = dec.decode();
    dec.free();
    const codeName = Code[insn.code] ?? '';
    if (insn.isInvalid || !ALLOWED.has(insn.mnemonic) || (!XMM_CODES.has(insn.code) && /xmm|(^|_)mm|st\d|Far|far|16_rel|rel16|_r16_m16_|ptr16/i.test(codeName))) {
      insn.free();
      continue;
    }
    // Not compared: int3/int n with prefixes (the Unicorn engine finds an interrupt's pc by looking at the bytes
    // before the return address), and lahf/sahf with REX (Unicorn's QEMU then uses spl instead of ah: a bug).
    const mn = Mnemonic[insn.mnemonic];
    if (((mn === 'Int3' || mn === 'Int') && len0(insn) !== (mn === 'Int3' ? 1 : 2)) || ((mn === 'Lahf' || mn === 'Sahf') && insn.length !== 1)) {
      insn.free();
      continue;
    }
    // lock neg: Unicorn's QEMU takes SF and PF from the value before negation (a bug; without lock it is right).
    if (mn === 'Neg' && insn.hasLockPrefix) {
      insn.free();
      continue;
    }
    // Both f2 and f3: the last one counts on a real CPU (and here), Unicorn lets f2 win.
    if (b.includes(0xf2) && b.includes(0xf3)) {
      insn.free();
      continue;
    }
    // Where Unicorn's QEMU and the hardware disagree, the core follows the hardware and the case is not compared:
    // QEMU raises #UD for the TEST alias F6/F7 /1 and for C6/C7 /0 with REX.R (the CPU ignores REX.R in an opcode
    // extension), and sign-extends ret imm16 (the CPU releases imm16 bytes, unsigned); more in isQemuDivergence.
    if (isQemuDivergence(bytes, arch, insn)) {
      insn.free();
      continue;
    }
    // Near branches with an operand-size prefix (16-bit ip) are not modelled.
    if (b.includes(0x66) && /^(Call|Jmp|Ret|J|Loop)/.test(Mnemonic[insn.mnemonic]) && !/^(Cmov)/.test(Mnemonic[insn.mnemonic])) {
      insn.free();
      continue;
    }
    const len = insn.length;
    const state = randomState(arch, r, insn, at);
    return makeCase(bytes.subarray(0, len), insn, state.regs, state.rflags, formatter, statePatches(mn, state.target, r));
  }
}

function isPrefixByte(x: number, arch: Arch): boolean {
  return [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65].includes(x) || (arch === 'x64' && (x & 0xf0) === 0x40);
}

/** The cases described where they are skipped (see generate). */
function isQemuDivergence(bytes: Uint8Array, arch: Arch, insn: Instruction): boolean {
  let i = 0;
  let rexR = false;
  while (i < bytes.length && isPrefixByte(bytes[i], arch)) {
    // Only a REX directly before the opcode counts.
    rexR = arch === 'x64' && (bytes[i] & 0xf0) === 0x40 ? (bytes[i] & 4) !== 0 : false;
    i++;
  }
  const op = bytes[i];
  const reg = (bytes[i + 1] >> 3) & 7;
  if ((op === 0xf6 || op === 0xf7) && reg === 1) return true;
  if ((op === 0xc6 || op === 0xc7) && rexR) return true;
  if (op === 0xc2 && insn.immediate16 >= 0x8000) return true;
  // QEMU forgets the imm8 after a rip-relative operand of shld/shrd (the address comes out one byte short), and
  // leaves eip on a 32-bit `int 6` as if it were #UD.
  if (op === 0x0f && (bytes[i + 1] === 0xa4 || bytes[i + 1] === 0xac) && insn.isIpRelMemoryOperand) return true;
  if (op === 0xcd && bytes[i + 1] === 6) return true;
  return false;
}

/**
 * An MXCSR image (ldmxcsr's operand, fxrstor's field at +24) that is valid 70% of the time: window bytes would set
 * reserved bits almost always, and only the #GP would be compared.
 */
function statePatches(mnemonic: string, target: bigint | undefined, r: () => number): Case['patches'] {
  const at = mnemonic === 'Ldmxcsr' ? target : /^Fxrstor/.test(mnemonic) && target !== undefined ? target + 24n : undefined;
  if (at === undefined || at < WINDOW || at + 4n > WINDOW + BigInt(WINDOW_SIZE) || r() >= 0.7) return [];
  const v = Math.floor(r() * 0x10000);
  return [{ address: at, bytes: Uint8Array.of(v & 0xff, v >> 8, 0, 0) }];
}

function randomState(arch: Arch, r: () => number, insn: Instruction, at: bigint, sse = false): { regs: Map<Reg, bigint>; rflags: bigint; target?: bigint } {
  const mask = arch === 'x64' ? (1n << 64n) - 1n : 0xffffffffn;
  const rand64 = () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  const windowAddr = () => WINDOW + BigInt(Math.floor(r() * WINDOW_SIZE));
  // fxsave/fxrstor: a 16-byte aligned 512-byte area, inside the read-write pages most of the time.
  const fx = /^Fx(save|rstor)/.test(Mnemonic[insn.mnemonic]);
  // SSE operands: 16-byte aligned most of the time (misaligned 16-byte operands are #GP, see misalignedSse).
  const memoryTarget = () => (fx && r() < 0.85 ? WINDOW + BigInt(Math.floor(r() * ((WINDOW_RW - 512) / 16)) * 16) : sse && r() < 0.9 ? windowAddr() & ~15n : windowAddr());
  let chosen: bigint | undefined;
  const regs = new Map<Reg, bigint>();
  for (const g of GPRS) {
    const k = r();
    let v: bigint;
    if (k < 0.4) v = rand64();
    else if (k < 0.6) v = BigInt(Math.floor(r() * 256));
    else if (k < 0.8) v = INTERESTING[Math.floor(r() * INTERESTING.length)];
    else v = windowAddr();
    regs.set(g, v & mask);
  }
  regs.set('rsp', (WINDOW + 0x1000n + BigInt(Math.floor(r() * 0x800))) & (r() < 0.9 ? ~7n : ~0n));
  if (insn.isStringInstruction) {
    regs.set('rsi', windowAddr());
    regs.set('rdi', windowAddr());
    if (insn.hasRepPrefix || insn.hasRepePrefix || insn.hasRepnePrefix || r() < 0.5) regs.set('rcx', BigInt(Math.floor(r() * 7)));
  }
  // Small shift/rotate counts in cl half the time, so the interesting counts (0, 1, width) come up.
  if (r() < 0.5) regs.set('rcx', (regs.get('rcx')! & ~0xffn) | BigInt(Math.floor(r() * 70)));
  // Point the memory operand into the data window: solve the base (or the index) for a random target.
  const base = fullReg(insn.memoryBase);
  const index = fullReg(insn.memoryIndex);
  if ((base || index) && r() < 0.95) {
    const seg = insn.segmentPrefix === Register.FS ? FS_BASE : insn.segmentPrefix === Register.GS ? GS_BASE : 0n;
    const target = memoryTarget();
    chosen = target;
    const disp = insn.memoryDisplacement;
    const scale = BigInt(insn.memoryIndexScale);
    const am = insn.memoryBase >= Register.EAX && insn.memoryBase <= Register.R15D ? 0xffffffffn : mask;
    if (base && index && base !== index) {
      const iv = BigInt(Math.floor(r() * 64));
      regs.set(index, iv);
      regs.set(base, (target - seg - disp - iv * scale) & am);
    } else if (base && !index) {
      regs.set(base, (target - seg - disp) & am);
    } else if (index && !base) {
      regs.set(index, ((target - seg - disp) / scale) & am);
    } else if (base && index) {
      regs.set(base, ((target - seg - disp) / (scale + 1n)) & am);
    }
  }
  const flagBits = [0x1n, 0x4n, 0x10n, 0x40n, 0x80n, 0x800n, 0x400n];
  let rflags = 0x2n;
  for (const f of flagBits) if (r() < (f === 0x400n ? 0.25 : 0.5)) rflags |= f;
  // Where the memory operand points (exactly, when the base and index were solved exactly for it).
  return { regs, rflags, target: chosen };
}

/** One engine's state after a case; reused from case to case (the window is copied only for a report). */
interface State {
  exit: Exit;
  regs: BigUint64Array;
  rip: bigint;
  rflags: bigint;
  count: number;
  window?: Uint8Array;
  /** SSE-family cases: the fxsave image after the instruction. */
  fx?: Uint8Array;
}

function newState(): State {
  return { exit: { kind: 'budget', pc: 0n }, regs: new BigUint64Array(16), rip: 0n, rflags: 0n, count: 0 };
}

const RIP_RFLAGS: readonly Reg[] = ['rip', 'rflags'];
const INT3 = new Uint8Array(16).fill(0xcc);

/** Loads case c into e (the slot at `at` must hold int3 and the window its initial bytes), runs it into s. */
function runOne(e: Engine, c: Case, at: bigint, s: State, scratch: BigUint64Array): void {
  e.write(at, c.bytes);
  for (const p of c.patches) e.write(p.address, p.bytes);
  e.writeRegs(GPRS, c.values);
  e.setReg('rflags', c.rflags);
  if (c.fpu) loadFpu(e, c.fpu);
  e.writeRegs(GPRS, c.values);
  e.setReg('rflags', c.rflags);
  const before = e.instructions;
  s.exit = e.run(at, BUDGET);
  s.count = e.instructions - before;
  s.fx = undefined;
  // x86: eax..edi only (Unicorn has no r8..r15 there; they are not compared).
  e.readRegs(e.arch === 'x64' ? GPRS : GPRS_X86, s.regs);
  e.readRegs(RIP_RFLAGS, scratch);
  s.rip = scratch[0];
  s.rflags = scratch[1];
  s.window = undefined;
  if (c.fpu) s.fx = saveFpu(e);
}

/** Puts back what running c may have changed: its slot (int3) and the data window. */
function restore(e: Engine, c: Case, at: bigint, windowData: Uint8Array): void {
  e.write(at, INT3.subarray(0, c.bytes.length));
  setWindow(e, windowData);
}

/** Structural equality of two exits, at least as strict as comparing their JSON (same keys in the same order). */
function exitsEqual(a: Exit, b: Exit): boolean {
  if (a.kind !== b.kind) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    const x = (a as unknown as Record<string, unknown>)[ka[i]];
    const y = (b as unknown as Record<string, unknown>)[kb[i]];
    if (x instanceof Uint8Array || y instanceof Uint8Array) {
      if (!(x instanceof Uint8Array && y instanceof Uint8Array) || Buffer.compare(x, y) !== 0) return false;
    } else if (x !== y) return false;
  }
  return true;
}

/**
 * Flags not compared besides the undefined ones: Unicorn's QEMU sets blsi's CF when the source is zero (as for blsr
 * and blsmsk); the SDM sets it when the source is not zero (test/wasm/bmi.test.ts checks the core).
 */
function flagsCompared(c: Case): bigint {
  let m = ~eflagsOf(c.insn.rflagsUndefined);
  if (c.insn.mnemonic === Mnemonic.Blsi) m &= ~1n;
  // Its bzhi sets CF inverted (the SDM: CF = index > operand size - 1).
  if (c.insn.mnemonic === Mnemonic.Bzhi) m &= ~1n;
  return m;
}

/** The fast check: true exactly when compare() would find no problem (it is then not called). */
function agree(arch: Arch, c: Case, u: State, w: State, ue: Engine, we: Engine): boolean {
  if (u.count !== w.count || u.rip !== w.rip || !exitsEqual(u.exit, w.exit)) return false;
  const flagMask = flagsCompared(c);
  if ((u.rflags & flagMask) !== (w.rflags & flagMask)) return false;
  const n = arch === 'x64' ? 16 : 8;
  for (let i = 0; i < n; i++) if (u.regs[i] !== w.regs[i]) return false;
  return sameWindows(ue, we) && fpuAgree(c, u.fx, w.fx);
}

function exitText(x: Exit, arch: Arch): string {
  switch (x.kind) {
    case 'trap': return `trap ${hex(x.address, arch)}`;
    case 'fault': return `fault ${x.access} ${hex(x.address, arch)} pc ${hex(x.pc, arch)} ${x.reason}`;
    case 'interrupt': return `interrupt ${x.vector} pc ${hex(x.pc, arch)}`;
    case 'budget': return `budget pc ${hex(x.pc, arch)}`;
    case 'unsupported': return `unsupported pc ${hex(x.pc, arch)}`;
    case 'privileged': return `privileged pc ${hex(x.pc, arch)}`;
    case 'error': return `error ${x.message} pc ${hex(x.pc, arch)}`;
  }
}

function sameExit(arch: Arch, u: State, w: State): boolean {
  const j = (x: Exit) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));
  return j(u.exit) === j(w.exit);
}

function compare(arch: Arch, c: Case, u: State, w: State, ue: Engine, we: Engine, seed: number, index: number, windowData: Uint8Array): string | null {
  const uw = (u.window ??= windowBytes(ue));
  const ww = (w.window ??= windowBytes(we));
  const flagMask = flagsCompared(c);
  const problems: string[] = [];
  if (!sameExit(arch, u, w)) problems.push(`exit: unicorn ${exitText(u.exit, arch)} | wasm ${exitText(w.exit, arch)}`);
  if (u.count !== w.count) problems.push(`instructions: unicorn ${u.count} | wasm ${w.count}`);
  const n = arch === 'x64' ? 16 : 8;
  for (let i = 0; i < n; i++) if (u.regs[i] !== w.regs[i]) problems.push(`${GPRS[i]}: unicorn ${hex(u.regs[i], arch)} | wasm ${hex(w.regs[i], arch)}`);
  if (u.rip !== w.rip) problems.push(`rip: unicorn ${hex(u.rip, arch)} | wasm ${hex(w.rip, arch)}`);
  if ((u.rflags & flagMask) !== (w.rflags & flagMask)) {
    problems.push(`rflags: unicorn 0x${u.rflags.toString(16)} | wasm 0x${w.rflags.toString(16)} (undefined here: 0x${(~flagMask & 0xfffn).toString(16)})`);
  }
  for (let i = 0; i < WINDOW_SIZE; i++) {
    if (uw[i] !== ww[i]) {
      const a = WINDOW + BigInt(i);
      problems.push(`memory ${hex(a, arch)}: unicorn ${uw[i].toString(16)} | wasm ${ww[i].toString(16)} (was ${windowData[i].toString(16)})`);
      if (problems.length > 40) break;
    }
  }
  if (u.fx && w.fx) problems.push(...fpuProblems(c, u.fx, w.fx));
  if (problems.length === 0) return null;
  if (misalignedSse(c, u, w)) return null;
  // Unicorn's cmpxchg8b/16b helper loads edx:eax and moves rip on before its store faults; a CPU changes nothing.
  if (/^Cmpxchg(8|16)b$/.test(Mnemonic[c.insn.mnemonic]) && u.exit.kind === 'fault' && u.exit.access === 'write' && w.exit.kind === 'fault') return null;
  // Its fxsave/fxrstor helpers go on past a faulting access and report the last one, after the instruction; the
  // core stops at the first, on the instruction, as a CPU does.
  if (/^Fx(save|rstor)/.test(Mnemonic[c.insn.mnemonic]) && u.exit.kind === 'fault' && w.exit.kind === 'fault' && u.exit.access === w.exit.access) return null;
  // Its maskmovdqu helper, too, goes on past a faulting byte store and reports the last one; the core stops at the first.
  if (Mnemonic[c.insn.mnemonic] === 'Maskmovdqu' && u.exit.kind === 'fault' && w.exit.kind === 'fault' && u.exit.access === w.exit.access) return null;
  // QEMU's clflush touches no memory; the CPU (and the core) check the address as for a byte load.
  if (Mnemonic[c.insn.mnemonic] === 'Clflush' && w.exit.kind === 'fault' && w.exit.access === 'read' && u.exit.kind !== 'fault') return null;
  const bytes = Array.from(c.bytes, (x) => x.toString(16).padStart(2, '0')).join(' ');
  const regs = [...c.regs].map(([g, v]) => `${g}=${hex(v, arch)}`).join(' ');
  return [
    `MISMATCH ${arch} test ${index}: ${c.text}   [${bytes}]`,
    `  before: ${regs} rflags=0x${c.rflags.toString(16)}`,
    ...problems.map((p) => '  ' + p),
    `  replay: npm run difftest -- --arch ${arch} --seed ${seed} --index ${index}`,
  ].join('\n');
}

/** One case written out (a regression): instruction bytes, registers, flags, and the seed of the window's bytes. */
export interface FixedCase {
  arch: Arch;
  seed: number;
  bytes: readonly number[];
  regs: Partial<Record<Reg, bigint>>;
  rflags: bigint;
}

function windowFor(seed: number): Uint8Array {
  const wr = rng(seed ^ 0x5bd1e995);
  return Uint8Array.from({ length: WINDOW_SIZE }, () => Math.floor(wr() * 256));
}

/** Runs a written-out case on fresh engines: its disassembly and the mismatch report (null when they agree). */
export function replay(fc: FixedCase): { text: string; report: string | null } {
  const formatter = new Formatter(FormatterSyntax.Intel);
  const at = CODE + BigInt(SLOT_AT);
  const bytes = Uint8Array.from(fc.bytes);
  const dec = new Decoder(fc.arch === 'x64' ? 64 : 32, bytes, DecoderOptions.None);
  dec.ip = at;
  const insn = dec.decode();
  dec.free();
  const regs = new Map<Reg, bigint>(GPRS.map((g) => [g, fc.regs[g] ?? 0n]));
  const c = makeCase(bytes, insn, regs, fc.rflags, formatter);
  const windowData = windowFor(fc.seed);
  try {
    return { text: c.text, report: runFresh(fc.arch, c, at, windowData, fc.seed, -1) };
  } finally {
    insn.free();
    formatter.free();
  }
}

/** Runs one case on fresh engines: the mismatch report, or null. */
function runFresh(arch: Arch, c: Case, at: bigint, windowData: Uint8Array, seed: number, index: number): string | null {
  const pair = new Pair(arch, windowData, c.fpu !== undefined);
  try {
    const u = newState();
    const w = newState();
    const scratch = new BigUint64Array(2);
    runOne(pair.wasm, c, at, w, scratch);
    runOne(pair.uc, c, at, u, scratch);
    return agree(arch, c, u, w, pair.uc, pair.wasm) ? null : compare(arch, c, u, w, pair.uc, pair.wasm, seed, index, windowData);
  } finally {
    pair.close();
  }
}

/** Runs the differential test; needs both engines (throws when Unicorn is unavailable). */
export function difftest(o: DifftestOptions): DifftestResult {
  if (!engineAvailable('unicorn') || !engineAvailable('wasm')) throw new Error('difftest needs both the unicorn and the wasm engine');
  const formatter = new Formatter(FormatterSyntax.Intel);
  const result: DifftestResult = { ran: 0, skipped: 0, mismatches: 0, rechecked: 0, recheckedBy: new Map(), byMnemonic: new Map(), unsupported: new Map() };
  const windowData = windowFor(o.seed);
  const slots = CODE_SIZE / SLOT;
  const u = newState();
  const w = newState();
  const scratch = new BigUint64Array(2);
  let pair: Pair | undefined;
  const first = o.index ?? 0;
  const last = o.index !== undefined ? o.index + 1 : o.count;
  try {
    for (let i = first; i < last; i++) {
      // Test i always runs at the same address (so --index replays it exactly), in a slot its engines never used.
      const used = i % slots;
      if (!pair || used === 0) {
        pair?.close();
        pair = new Pair(o.arch, windowData, o.family === 'sse');
      }
      const at = CODE + BigInt(used * SLOT + SLOT_AT);
      if (o.onProgress && i > first && (i - first) % (o.progressEvery ?? 100000) === 0) o.onProgress(i - first, result);
      const c = o.family === 'sse' ? generateSse(o.arch, o.seed, i, at, formatter) : generate(o.arch, o.seed, i, at, formatter);
      const name = Mnemonic[c.insn.mnemonic];
      const fresh = pair.used++ === 0;
      runOne(pair.wasm, c, at, w, scratch);
      if (w.exit.kind === 'unsupported') {
        restore(pair.wasm, c, at, windowData);
        // Unicorn has not run it: its slot still holds int3 (and the case it did not see cannot taint it).
        result.skipped++;
        result.unsupported.set(name, (result.unsupported.get(name) ?? 0) + 1);
        c.insn.free();
        continue;
      }
      runOne(pair.uc, c, at, u, scratch);
      result.ran++;
      result.byMnemonic.set(name, (result.byMnemonic.get(name) ?? 0) + 1);
      let report = agree(o.arch, c, u, w, pair.uc, pair.wasm) ? null : compare(o.arch, c, u, w, pair.uc, pair.wasm, o.seed, i, windowData);
      if (o.verbose) console.log(`${i}: ${c.text}  ${exitText(w.exit, o.arch)}`);
      o.onCase?.(i, c.text);
      restore(pair.wasm, c, at, windowData);
      // A faulting fxrstor leaves the x87/SSE state loaded differently on the two (see compare): a fresh Unicorn
      // and the wasm engine's state reset, so later cases that show that state (stmxcsr, fxsave ...) start equal.
      const fxrstorFault = /^Fxrstor/.test(name) && (u.exit.kind === 'fault' || w.exit.kind === 'fault');
      if (taintsUnicorn(u.exit) || fxrstorFault) pair.renewUnicorn();
      else restore(pair.uc, c, at, windowData);
      if (report && !fresh) {
        // Confirm on fresh engines (as --index replays it): used engines may keep state a case cannot reset.
        result.rechecked++;
        result.recheckedBy.set(name, (result.recheckedBy.get(name) ?? 0) + 1);
        o.onRecheck?.(i, c.text);
        report = runFresh(o.arch, c, at, windowData, o.seed, i);
      }
      c.insn.free();
      if (report) {
        result.mismatches++;
        o.onMismatch?.(report);
        if (result.mismatches >= (o.maxMismatches ?? 20)) break;
      }
    }
  } finally {
    pair?.close();
    formatter.free();
  }
  return result;
}

function main(argv: string[]): number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const archs = (arg('arch') ?? 'x64,x86').split(',') as Arch[];
  const count = Number(arg('count') ?? 10000);
  const seed = Number(arg('seed') ?? 1);
  const index = arg('index') !== undefined ? Number(arg('index')) : undefined;
  let failed = false;
  for (const arch of archs) {
    if (arch !== 'x64' && arch !== 'x86') {
      console.error(`--arch: '${arch}' is not x64 or x86`);
      return 2;
    }
    const t = performance.now();
    const family = arg('family') === 'sse' ? 'sse' : 'base';
    if (argv.includes('--excluded')) {
      const { codes, excluded } = sseCandidates(arch);
      console.log(`${arch}: ${codes.length} SSE-family encodings generated; excluded:`);
      for (const [why, list] of excluded) console.log(`  ${why} (${list.length}): ${list.join('; ')}`);
      console.log('  compared with these cases left out:');
      for (const p of PARTIAL) console.log(`    ${p}`);
    }
    const res: DifftestResult = difftest({ arch, family, count, seed, index, verbose: argv.includes('--verbose'), onMismatch: (r) => console.log(r),
      progressEvery: arg('progress') !== undefined ? Number(arg('progress')) : undefined,
      onProgress: arg('progress') !== undefined
        ? (done, r) => console.log(`  ${done} done: ${r.ran} compared, ${r.mismatches} mismatches, ${r.skipped} skipped, ${r.rechecked} rechecked (${((performance.now() - t) / 1000).toFixed(0)} s)`)
        : undefined,
    });
    const s = ((performance.now() - t) / 1000).toFixed(1);
    console.log(`difftest ${arch} seed ${seed}: ${res.ran} compared, ${res.mismatches} mismatches, ${res.skipped} skipped as unsupported, ${res.rechecked} rechecked on fresh engines (${s} s, ${Math.round((res.ran + res.skipped) / ((performance.now() - t) / 1000))}/s)`);
    if (res.unsupported.size) console.log(`  unsupported: ${[...res.unsupported].map(([m, n]) => `${m} ${n}`).join(', ')}`);
    if (argv.includes('--stats')) {
      console.log(`  compared: ${[...res.byMnemonic].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`);
      console.log(`  rechecked: ${[...res.recheckedBy].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`);
    }
    if (res.mismatches) failed = true;
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
