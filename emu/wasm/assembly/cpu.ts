// CPU state outside the register file: rip, lazy flags, the exit being reported, and the mode.
//
// Flags are lazy (the v86 idea, our own formulas): an arithmetic instruction records its kind, size, operands
// and result, and a flag is computed only when something reads it. `fl` holds the real EFLAGS image for every
// bit the lazy record does not cover (DF, IF, TF ...), and for the arithmetic bits too when lfOp is F_NONE.

import { MASKS } from './layout';

export const CF: u64 = 0x1;
export const PF: u64 = 0x4;
export const AF: u64 = 0x10;
export const ZF: u64 = 0x40;
export const SF: u64 = 0x80;
export const DF: u64 = 0x400;
export const OF: u64 = 0x800;
export const ARITH: u64 = CF | PF | AF | ZF | SF | OF;

// Lazy flag kinds.
export const F_NONE: i32 = 0;
export const F_ADD: i32 = 1; // add, adc: CF/OF from the carry vector of a + b (+ carry-in) = r
export const F_SUB: i32 = 2; // sub, sbb, cmp, neg, cmps, scas: from the borrow vector of a - b (- borrow) = r
export const F_LOGIC: i32 = 3; // and, or, xor, test: CF = OF = AF = 0
export const F_INC: i32 = 4; // lfB holds the carry flag inc preserves
export const F_DEC: i32 = 5;
export const F_SHL: i32 = 6; // lfA = operand shifted left by count - 1: CF is its top bit, OF = top(lfA ^ r)
export const F_SHR: i32 = 7; // shr and sar; lfA = operand shifted right by count - 1: CF is its low bit
export const F_MUL: i32 = 8; // lfA = 1 when the product did not fit (CF = OF = 1)

export let lfOp: i32 = F_NONE;
export let lfSz: i32 = 0;
export let lfA: u64 = 0;
export let lfB: u64 = 0;
export let lfR: u64 = 0;
export let fl: u64 = 2;

export let rip: u64 = 0;
/** 1 in long mode, 0 in 32-bit protected mode. */
export let long: i32 = 1;
/** Linear addresses are truncated to 32 bits in 32-bit mode. */
export let linMask: u64 = 0xffffffffffffffff;
/** Current privilege level: 0 or 3. At 3 only user pages are accessible and privileged instructions exit. */
export let cpl: i32 = 0;
/** Instructions executed over all runs. */
export let icount: u64 = 0;

// ---- the exit being reported ----------------------------------------------------------------------------------
export const EXIT_NONE: i32 = 0;
export const EXIT_TRAP: i32 = 1;
export const EXIT_FAULT: i32 = 2;
export const EXIT_INTERRUPT: i32 = 3;
export const EXIT_BUDGET: i32 = 4;
export const EXIT_UNSUPPORTED: i32 = 5;
export const EXIT_PRIVILEGED: i32 = 6;

export const ACC_READ: i32 = 0;
export const ACC_WRITE: i32 = 1;
export const ACC_FETCH: i32 = 2;

/** Set when the current instruction must stop the block: a fault, an interrupt, or a write into code. */
export let stop: i32 = 0;
/** Set (with stop) when a memory access faulted: the instruction must not commit anything. */
export let flt: i32 = 0;
export let exitCode: i32 = EXIT_NONE;
export let exitPc: u64 = 0;
export let exitAddr: u64 = 0;
export let exitAccess: i32 = 0;
/** 0: unmapped, 1: protection. */
export let exitReason: i32 = 0;
export let exitVector: i32 = 0;
export let exitLen: i32 = 0;

export function setMode(isLong: i32): void {
  long = isLong;
  linMask = isLong ? 0xffffffffffffffff : 0xffffffff;
}

@inline export function setCplRaw(c: i32): void {
  cpl = c;
}

export function resetExit(): void {
  stop = 0;
  flt = 0;
  exitCode = EXIT_NONE;
}

export function raiseFault(access: i32, address: u64, reason: i32): void {
  if (flt) return;
  flt = 1;
  stop = 1;
  exitCode = EXIT_FAULT;
  exitAccess = access;
  exitAddr = address;
  exitReason = reason;
}

export function raiseInterrupt(vector: i32, pc: u64): void {
  stop = 1;
  exitCode = EXIT_INTERRUPT;
  exitVector = vector;
  exitPc = pc;
}

/** A write hit a page holding decoded code: the block must end after this instruction and be decoded anew. */
export function codeWritten(): void {
  stop = 1;
}

// ---- sizes --------------------------------------------------------------------------------------------------------
@inline export function mask(sz: i32): u64 {
  return load<u64>(MASKS + (<u32>sz << 3));
}
@inline export function bits(sz: i32): u64 {
  return <u64>(8 << sz);
}
@inline export function msb(v: u64, sz: i32): u64 {
  return (v >> <u64>((8 << sz) - 1)) & 1;
}
/** Sign-extends the low 8 << sz bits of v. */
@inline export function sext(v: u64, sz: i32): i64 {
  const s = <u64>(64 - (8 << sz));
  return <i64>(v << s) >> s;
}

// ---- lazy flags -----------------------------------------------------------------------------------------------
@inline export function setLazy(op: i32, sz: i32, a: u64, b: u64, r: u64): void {
  lfOp = op;
  lfSz = sz;
  lfA = a;
  lfB = b;
  lfR = r;
}

export function getCF(): u64 {
  const a = lfA, b = lfB, r = lfR;
  switch (lfOp) {
    case F_ADD: return msb((a & b) | ((a ^ b) & ~r), lfSz);
    case F_SUB: return msb((~a & b) | (~(a ^ b) & r), lfSz);
    case F_LOGIC: return 0;
    case F_INC:
    case F_DEC: return b;
    case F_SHL: return msb(a, lfSz);
    case F_SHR: return a & 1;
    case F_MUL: return a;
    default: return fl & 1;
  }
}

export function getOF(): u64 {
  const a = lfA, b = lfB, r = lfR;
  switch (lfOp) {
    case F_ADD: return msb((a ^ r) & (b ^ r), lfSz);
    case F_SUB: return msb((a ^ b) & (a ^ r), lfSz);
    case F_LOGIC: return 0;
    case F_INC: return <u64>(r == (<u64>1 << (bits(lfSz) - 1)));
    case F_DEC: return <u64>(r == (mask(lfSz) >> 1));
    case F_SHL:
    case F_SHR: return msb(a ^ r, lfSz);
    case F_MUL: return a;
    default: return (fl >> 11) & 1;
  }
}

export function getAF(): u64 {
  switch (lfOp) {
    case F_ADD:
    case F_SUB: return ((lfA ^ lfB ^ lfR) >> 4) & 1;
    case F_INC: return <u64>((lfR & 0xf) == 0);
    case F_DEC: return <u64>((lfR & 0xf) == 0xf);
    case F_NONE: return (fl >> 4) & 1;
    default: return 0;
  }
}

@inline export function getZF(): u64 {
  return lfOp == F_NONE ? (fl >> 6) & 1 : <u64>(lfR == 0);
}
@inline export function getSF(): u64 {
  return lfOp == F_NONE ? (fl >> 7) & 1 : msb(lfR, lfSz);
}
@inline export function getPF(): u64 {
  return lfOp == F_NONE ? (fl >> 2) & 1 : (~popcnt<u64>(lfR & 0xff)) & 1;
}

/** The full EFLAGS image. */
export function getFlags(): u64 {
  if (lfOp == F_NONE) return fl;
  return (fl & ~ARITH) | getCF() | (getPF() << 2) | (getAF() << 4) | (getZF() << 6) | (getSF() << 7) | (getOF() << 11);
}

/** Folds the lazy record into fl, so single flags can be changed directly. */
export function materialize(): void {
  if (lfOp == F_NONE) return;
  fl = getFlags();
  lfOp = F_NONE;
}

export function setFlags(v: u64): void {
  fl = v;
  lfOp = F_NONE;
}

/** Evaluates condition code cc (the low nibble of jcc/setcc/cmovcc). */
export function cond(cc: u32): bool {
  let r: bool;
  if ((cc >> 1) == 2 && lfOp != F_NONE) {
    // jz/jnz: every lazy kind keeps the result.
    r = lfR == 0;
  } else if (lfOp == F_SUB) {
    // After cmp/sub the common conditions come straight from the operands.
    const sz = lfSz;
    switch (cc >> 1) {
      case 1: r = getCF() != 0; break;
      case 2: r = lfR == 0; break;
      case 6: r = (msb(lfR, sz) ^ getOF()) != 0; break;
      case 7: r = lfR == 0 || (msb(lfR, sz) ^ getOF()) != 0; break;
      default: r = condSlow(cc >> 1);
    }
  } else if (lfOp == F_LOGIC) {
    switch (cc >> 1) {
      case 0: r = false; break;
      case 1: r = false; break;
      case 2: r = lfR == 0; break;
      case 3: r = lfR == 0; break;
      case 4: r = msb(lfR, lfSz) != 0; break;
      case 6: r = msb(lfR, lfSz) != 0; break;
      case 7: r = lfR == 0 || msb(lfR, lfSz) != 0; break;
      default: r = condSlow(cc >> 1);
    }
  } else {
    r = condSlow(cc >> 1);
  }
  return r != ((cc & 1) != 0);
}

function condSlow(c: u32): bool {
  switch (c) {
    case 0: return getOF() != 0;
    case 1: return getCF() != 0;
    case 2: return getZF() != 0;
    case 3: return (getCF() | getZF()) != 0;
    case 4: return getSF() != 0;
    case 5: return getPF() != 0;
    case 6: return (getSF() ^ getOF()) != 0;
    default: return getZF() != 0 || (getSF() ^ getOF()) != 0;
  }
}

export function raiseTrap(address: u64): void {
  stop = 1;
  exitCode = EXIT_TRAP;
  exitAddr = address;
}

/** A privileged instruction at pc: counted as executed, rip stays on it; the host emulates it and moves rip on. */
export function raisePrivileged(pc: u64): void {
  stop = 1;
  exitCode = EXIT_PRIVILEGED;
  exitPc = pc;
}

export function raiseUnsupported(pc: u64): void {
  stop = 1;
  exitCode = EXIT_UNSUPPORTED;
  exitPc = pc;
}

@inline export function setRip(v: u64): void {
  rip = v;
}
@inline export function addIcount(n: u64): void {
  icount += n;
}
@inline export function setIcount(n: u64): void {
  icount = n;
}
@inline export function setFl(v: u64): void {
  fl = v;
}
@inline export function setLfOp(v: i32): void {
  lfOp = v;
}

@inline export function setExitPc(v: u64): void {
  exitPc = v;
}
export function setExit(code: i32, pc: u64): void {
  stop = 1;
  exitCode = code;
  exitPc = pc;
}
