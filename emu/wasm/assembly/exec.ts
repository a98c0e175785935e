// The run loop and the instruction handlers: executes decoded blocks until an exit, entirely inside wasm.
//
// Each handler reads its operands from the decoded record p. Memory accesses come first and a handler returns
// as soon as one faults (flt), before it commits any register or flag, so a faulting instruction leaves the
// state as it was, as Unicorn does. Only branches (RF_BRANCH, always last in a block) set rip; for the others
// the loop sets it from the last record when the block ends.

import {
  XMM, X87, SCRATCH, REGS, SEGBASE, WMASKS, CPUID_TABLE, CPUID_MAX, R_OP, R_LEN, R_SZ, R_REG, R_RM, R_IDX, R_SCALE, R_SEG, R_ASZ, R_X,
  R_FL, R_SZ2, R_DISP, R_IMM, R_ADDR, R_IMM2, RS, RF_BRANCH, RF_REP, RF_REPNE, RF_CL, RF_MEM, BH_COUNT, BH_COV, BH_SIZE,
} from './layout';
import * as C from './cpu';
import {
  mask, msb, sext, bits, setLazy, getCF, getZF, getFlags, materialize, cond, flt, stop, linMask,
  F_ADD, F_SUB, F_LOGIC, F_INC, F_DEC, F_SHL, F_SHR, F_MUL, CF, ZF, OF, DF, ARITH,
} from './cpu';
import { rd, wr, probeRead } from './mem';
import { rget, rset, ea } from './operand';
import { lookupBlock, decodeBlock } from './decode';
import * as O from './ops';
import { sseX, setMxcsrMirror } from './sse';
import { bmi } from './bmi';

const RAX: u32 = 0;
const RCX: u32 = 8;
const RDX: u32 = 16;
const RBX: u32 = 24;
const RSP: u32 = 32;
const RBP: u32 = 40;
const RSI: u32 = 48;
const RDI: u32 = 56;

export let tscBase: u64 = 0;
export let tscTicks: u64 = 3;
export let cpuidCount: u32 = 0;

export function setTsc(base: u64, ticks: u64): void {
  tscBase = base;
  tscTicks = ticks;
}
export function setCpuidCount(n: u32): void {
  cpuidCount = n;
}

// ---- operands ------------------------------------------------------------------------------------------------------
@inline function reg64(off: u32): u64 {
  return load<u64>(REGS + off);
}
@inline function setReg64(off: u32, v: u64): void {
  store<u64>(REGS + off, v);
}


/** The memory operand's address moved by adj bytes before the address-size wrap (bt with a register offset). */
function eaMoved(p: u32, adj: u64): u64 {
  let a = load<u64>(p, R_DISP) + load<u64>(REGS + load<u8>(p, R_RM)) + (load<u64>(REGS + load<u8>(p, R_IDX)) << load<u8>(p, R_SCALE)) + adj;
  a &= mask(load<u8>(p, R_ASZ));
  return (a + load<u64>(SEGBASE + load<u8>(p, R_SEG))) & linMask;
}

@inline function next(p: u32): u64 {
  return (load<u64>(p, R_ADDR) + load<u8>(p, R_LEN)) & linMask;
}

// ---- stack -----------------------------------------------------------------------------------------------------------
/** Pushes the low 1 << sz bytes of v; on a fault rsp is unchanged. */
@inline function push(sz: i32, v: u64): void {
  const sp = (reg64(RSP) - (<u64>1 << sz)) & linMask;
  wr(sp, sz, v);
  if (flt) return;
  // The stack is always 32- or 64-bit here (SS.B set, or long mode): a 16-bit push moves the whole esp/rsp.
  setReg64(RSP, sp);
}
// x87 state: the control word, the status word (TOP in bits 11-13; the core raises no x87 exception, but fxrstor may
// load the flags), and the abridged tag word (bit i: physical register i holds a value), as fninit leaves them; the
// data registers are at X87.
let fcw: u64 = 0x37f;
let fsw: u64 = 0;
let ftw: u64 = 0;
/** MXCSR: all exceptions masked, round to nearest (the reset value, which Windows gives every thread too). */
let mxcsr: u64 = 0x1f80;

/** The x87 control, status and tag words and MXCSR, by index 0-3, for the host's thread switches (the registers live at X87 and XMM). */
export function fpuGet(i: i32): u64 {
  return i == 0 ? fcw : i == 1 ? fsw : i == 2 ? ftw : mxcsr;
}

export function fpuSet(i: i32, v: u64): void {
  if (i == 0) fcw = v;
  else if (i == 1) fsw = v;
  else if (i == 2) ftw = v;
  else { mxcsr = v; setMxcsrMirror(v); }
}
/** The MXCSR bits that exist (fxsave's MXCSR_MASK, as Unicorn's QEMU reports it: DAZ included); others are reserved. */
const MXCSR_MASK: u64 = 0xffff;

function x87Control(p: u32, kind: u32): void {
  switch (kind) {
    case O.X87_FNINIT: fcw = 0x37f; fsw = 0; ftw = 0; return;
    case O.X87_FNCLEX: fsw &= 0x7f00; return;
    case O.X87_FLDCW: {
      const v = rd(ea(p), 1);
      if (!flt) fcw = v;
      return;
    }
    case O.X87_FNSTCW: wr(ea(p), 1, fcw); return;
    case O.X87_FNSTSW_M: wr(ea(p), 1, fsw); return;
    case O.X87_FNSTSW_AX: rset(0, 1, fsw); return;
  }
}

/** x87 data register ST(i): its 16-byte slot at X87, by physical number (TOP + i). */
@inline function x87St(i: u32): u32 {
  return X87 + ((((<u32>fsw >> 11) + i) & 7) << 4);
}

/**
 * fxsave m512: the legacy area, field by field in the order Unicorn's QEMU stores it: FCW, FSW, the abridged FTW
 * (16 bits), FIP and FDP (zero: this CPU records no x87 pointers), MXCSR and MXCSR_MASK, ST0-ST7 (10 bytes each in
 * 16-byte slots), then xmm0-7 (xmm0-15 in long mode). FOP, the slots' padding and what follows the xmm registers
 * are left as they were, as there. The 64-bit form (REX.W) differs only in the pointers' format: the same here.
 * A fault part way stops at the first store that faults, on the instruction, as the CPU reports it (the bytes
 * before it are written, as on Unicorn, whose helper goes on past the fault and reports the last one instead).
 */
function fxsave(p: u32, a: u64): void {
  if ((a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
  wr(a, 1, fcw); if (flt) return;
  wr((a + 2) & linMask, 1, fsw); if (flt) return;
  wr((a + 4) & linMask, 1, ftw); if (flt) return;
  wr((a + 8) & linMask, 3, 0); if (flt) return;
  wr((a + 16) & linMask, 3, 0); if (flt) return;
  wr((a + 24) & linMask, 2, mxcsr); if (flt) return;
  wr((a + 28) & linMask, 2, MXCSR_MASK); if (flt) return;
  for (let i: u32 = 0; i < 8; i++) {
    const r = x87St(i);
    const at = a + 32 + (<u64>i << 4);
    wr(at & linMask, 3, load<u64>(r)); if (flt) return;
    wr((at + 8) & linMask, 1, load<u16>(r, 8)); if (flt) return;
  }
  const n: u32 = C.long ? 16 : 8;
  for (let i: u32 = 0; i < n; i++) {
    const at = a + 160 + (<u64>i << 4);
    wr(at & linMask, 3, load<u64>(xmm(i))); if (flt) return;
    wr((at + 8) & linMask, 3, load<u64>(xmm(i), 8)); if (flt) return;
  }
}

/**
 * fxrstor m512: the reverse, loading in QEMU's order and committing as it goes; a fault stops at the first load
 * that faults. An MXCSR image with reserved bits set raises #GP before anything changes, as the CPU does (only when
 * that field cannot be read do the loads run into their fault first).
 */
function fxrstor(p: u32, a: u64): void {
  if ((a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
  // The 16-byte-aligned area puts [a+16, a+32) on one page.
  const mh = probeRead((a + 24) & linMask);
  if (mh != 0 && (<u64>load<u32>(mh + (<u32>(a + 24) & 0xfff)) & ~MXCSR_MASK) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
  const cw = rd(a, 1); if (flt) return;
  const sw = rd((a + 2) & linMask, 1); if (flt) return;
  const tw = rd((a + 4) & linMask, 1); if (flt) return;
  fcw = cw;
  // B (bit 15) mirrors ES (bit 7), as on the CPU (and in QEMU).
  fsw = (sw & 0x7fff) | ((sw & 0x80) << 8);
  ftw = tw & 0xff;
  for (let i: u32 = 0; i < 8; i++) {
    const at = a + 32 + (<u64>i << 4);
    const lo = rd(at & linMask, 3); if (flt) return;
    const hi = rd((at + 8) & linMask, 1); if (flt) return;
    const r = x87St(i);
    store<u64>(r, lo);
    store<u16>(r, <u16>hi, 8);
  }
  const m = rd((a + 24) & linMask, 2); if (flt) return;
  mxcsr = m;
  setMxcsrMirror(m);
  const n: u32 = C.long ? 16 : 8;
  for (let i: u32 = 0; i < n; i++) {
    const at = a + 160 + (<u64>i << 4);
    const lo = rd(at & linMask, 3); if (flt) return;
    const hi = rd((at + 8) & linMask, 3); if (flt) return;
    store<u64>(xmm(i), lo);
    store<u64>(xmm(i), hi, 8);
  }
}

/** 0F AE with a memory operand (decode.ts): fxsave, fxrstor, ldmxcsr, stmxcsr, clflush. */
function fxState(p: u32, kind: u32): void {
  const a = ea(p);
  switch (kind) {
    case O.FX_FXSAVE: fxsave(p, a); return;
    case O.FX_FXRSTOR: fxrstor(p, a); return;
    case O.FX_LDMXCSR: {
      const v = rd(a, 2);
      if (flt) return;
      // Reserved bits: #GP(0), as the CPU raises it (Unicorn's QEMU loads them; its engine checks first, see there).
      if ((v & ~MXCSR_MASK) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
      mxcsr = v;
      setMxcsrMirror(v);
      return;
    }
    case O.FX_STMXCSR: wr(a, 2, mxcsr); return;
    default: {
      // clflush: no caches to flush, but the CPU checks the address as for a byte load (QEMU does not: a
      // clflush of unmapped memory faults here and not on Unicorn).
      rd(a, 0);
    }
  }
}

/**
 * enter: as Intel's pseudo-code and QEMU's translation. The stores happen in order (a fault leaves the earlier ones
 * done and the registers unchanged); rbp and rsp are written at the stack's address size whatever the operand size.
 */
function enter(sz: i32, frameSize: u64, level: u32): void {
  const n = <u64>1 << sz;
  const bp = reg64(RBP);
  const frame = (reg64(RSP) - n) & linMask;
  wr(frame, sz, bp);
  if (flt) return;
  if (level != 0) {
    for (let i: u32 = 1; i < level; i++) {
      const v = rd((bp - n * i) & linMask, sz);
      if (flt) return;
      wr((frame - n * i) & linMask, sz, v);
      if (flt) return;
    }
    wr((frame - n * level) & linMask, sz, frame);
    if (flt) return;
  }
  setReg64(RBP, frame);
  setReg64(RSP, (frame - frameSize - n * level) & linMask);
}
/** Pops 1 << sz bytes; on a fault returns 0 with rsp unchanged. */
@inline function pop(sz: i32): u64 {
  const sp = reg64(RSP);
  const v = rd(sp & linMask, sz);
  if (flt) return 0;
  setReg64(RSP, (sp + (<u64>1 << sz)) & linMask);
  return v;
}

// ---- arithmetic ----------------------------------------------------------------------------------------------------
/** ALU operation kind on a, b (both already masked to sz); sets the lazy flags and returns the result. */
@inline function alu(kind: u32, sz: i32, a: u64, b: u64): u64 {
  const m = mask(sz);
  let r: u64;
  switch (kind) {
    case O.ALU_ADD: r = (a + b) & m; setLazy(F_ADD, sz, a, b, r); return r;
    case O.ALU_OR: r = a | b; setLazy(F_LOGIC, sz, 0, 0, r); return r;
    case O.ALU_ADC: r = (a + b + getCF()) & m; setLazy(F_ADD, sz, a, b, r); return r;
    case O.ALU_SBB: r = (a - b - getCF()) & m; setLazy(F_SUB, sz, a, b, r); return r;
    case O.ALU_XOR: r = a ^ b; setLazy(F_LOGIC, sz, 0, 0, r); return r;
    case O.ALU_SUB:
    case O.ALU_CMP: r = (a - b) & m; setLazy(F_SUB, sz, a, b, r); return r;
    default: r = a & b; setLazy(F_LOGIC, sz, 0, 0, r); return r; // and, test
  }
}

function unary(kind: u32, sz: i32, a: u64): u64 {
  const m = mask(sz);
  let r: u64;
  switch (kind) {
    case O.UN_INC: { const c = getCF(); r = (a + 1) & m; setLazy(F_INC, sz, a, c, r); return r; }
    case O.UN_DEC: { const c = getCF(); r = (a - 1) & m; setLazy(F_DEC, sz, a, c, r); return r; }
    case O.UN_NOT: return ~a & m;
    default: r = (0 - a) & m; setLazy(F_SUB, sz, 0, a, r); return r;
  }
}

/** Sets CF and OF directly (rotates). */
@inline function setCfOf(cf: u64, ovf: u64): void {
  materialize();
  C.setFl((C.fl & ~(CF | OF)) | cf | (ovf << 11));
}

/** Group-2 shift/rotate kind of a (masked to sz) by the raw count; flags as Unicorn computes them. */
function shift(kind: u32, sz: i32, a: u64, count: u64): u64 {
  const c = count & (sz == 3 ? 63 : 31);
  if (c == 0) return a;
  const n = bits(sz);
  const m = mask(sz);
  switch (kind) {
    case 0: { // rol
      const k = c & (n - 1);
      const r = k == 0 ? a : ((a << k) | (a >> (n - k))) & m;
      const cf = r & 1;
      setCfOf(cf, msb(r, sz) ^ cf);
      return r;
    }
    case 1: { // ror
      const k = c & (n - 1);
      const r = k == 0 ? a : ((a >> k) | (a << (n - k))) & m;
      setCfOf(msb(r, sz), msb(r, sz) ^ ((r >> (n - 2)) & 1));
      return r;
    }
    case 2: { // rcl: rotate through carry, (n + 1)-bit rotation
      const k = sz == 0 ? c % 9 : sz == 1 ? c % 17 : c;
      if (k == 0) return a;
      const cf = getCF();
      let r: u64, ncf: u64;
      if (sz == 3) {
        r = (a << k) | (cf << (k - 1)) | (k > 1 ? a >> (65 - k) : 0);
        ncf = (a >> (64 - k)) & 1;
      } else {
        const w = n + 1;
        const v = (cf << n) | a;
        const t = ((v << k) | (v >> (w - k))) & ((<u64>1 << w) - 1);
        r = t & m;
        ncf = (t >> n) & 1;
      }
      setCfOf(ncf, msb(a ^ r, sz));
      return r;
    }
    case 3: { // rcr
      const k = sz == 0 ? c % 9 : sz == 1 ? c % 17 : c;
      if (k == 0) return a;
      const cf = getCF();
      let r: u64, ncf: u64;
      if (sz == 3) {
        r = (a >> k) | (cf << (64 - k)) | (k > 1 ? a << (65 - k) : 0);
        ncf = (a >> (k - 1)) & 1;
      } else {
        const w = n + 1;
        const v = (cf << n) | a;
        const t = ((v >> k) | (v << (w - k))) & ((<u64>1 << w) - 1);
        r = t & m;
        ncf = (t >> n) & 1;
      }
      setCfOf(ncf, msb(a ^ r, sz));
      return r;
    }
    case 5: { // shr
      const t = a >> (c - 1);
      const r = t >> 1;
      setLazy(F_SHR, sz, t, 0, r);
      return r;
    }
    case 7: { // sar
      const s = sext(a, sz);
      const t = <u64>(s >> <i64>(c - 1)) & m;
      const r = <u64>(s >> <i64>c) & m;
      setLazy(F_SHR, sz, t, 0, r);
      return r;
    }
    default: { // shl, sal
      const t = (a << (c - 1)) & m;
      const r = (t << 1) & m;
      setLazy(F_SHL, sz, t, 0, r);
      return r;
    }
  }
}

/** shld (kind 0) / shrd (kind 1) of dst with bits from src, as Unicorn (QEMU) computes them. */
function shiftDouble(kind: u32, sz: i32, dst: u64, src: u64, count: u64): u64 {
  const c = count & (sz == 3 ? 63 : 31);
  if (c == 0) return dst;
  const m = mask(sz);
  let t: u64, r: u64;
  if (sz == 3) {
    if (kind == 0) {
      t = dst << (c - 1);
      r = (dst << c) | (src >> (64 - c));
    } else {
      t = dst >> (c - 1);
      r = (dst >> c) | (src << (64 - c));
    }
  } else {
    // 16 and 32 bits: a 64-bit shift of the concatenation (16 bits: dst:src:dst, Intel's behaviour past 16).
    if (kind == 0) {
      const v = sz == 1 ? (dst << 32) | (src << 16) | dst : (dst << 32) | src;
      t = (v << (c - 1)) >> 32;
      r = (v << c) >> 32;
    } else {
      const lo = sz == 1 ? (src << 16) | dst : dst;
      const hi = sz == 1 ? dst : src;
      const v = (hi << 32) | lo;
      t = v >> (c - 1);
      r = v >> c;
    }
  }
  t &= m;
  r &= m;
  setLazy(kind == 0 ? F_SHL : F_SHR, sz, t, 0, r);
  return r;
}

/** High 64 bits of the unsigned 128-bit product. */
function mulhu(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
function mulhs(a: u64, b: u64): u64 {
  let h = mulhu(a, b);
  if (<i64>a < 0) h -= b;
  if (<i64>b < 0) h -= a;
  return h;
}

// Results of div128 (globals: AssemblyScript has no tuples without allocation).
let dq: u64 = 0;
let dr: u64 = 0;
/** Unsigned (hi:lo) / d with hi < d (so the quotient fits 64 bits). */
function div128(hi: u64, lo: u64, d: u64): void {
  if (hi == 0) {
    dq = lo / d;
    dr = lo % d;
    return;
  }
  let r = hi;
  let q: u64 = 0;
  for (let i = 0; i < 64; i++) {
    const top = r >> 63;
    r = (r << 1) | (lo >> 63);
    lo <<= 1;
    q <<= 1;
    if (top != 0 || r >= d) {
      r -= d;
      q |= 1;
    }
  }
  dq = q;
  dr = r;
}

/** mul/imul/div/idiv (group 3 /4../7) with operand v. Returns false on #DE. */
function mulDiv(kind: u32, sz: i32, v: u64): bool {
  const m = mask(sz);
  switch (kind) {
    case 4: { // mul
      if (sz == 3) {
        const a = reg64(RAX);
        const hi = mulhu(a, v);
        const lo = a * v;
        setReg64(RAX, lo);
        setReg64(RDX, hi);
        setLazy(F_MUL, 3, <u64>(hi != 0), 0, lo);
        return true;
      }
      const p = rget(RAX, sz) * v;
      const n = bits(sz);
      const lo = p & m, hi = p >> n;
      if (sz == 0) rset(RAX, 1, p);
      else { rset(RAX, sz, lo); rset(RDX, sz, hi); }
      setLazy(F_MUL, sz, <u64>(hi != 0), 0, lo);
      return true;
    }
    case 5: { // imul
      if (sz == 3) {
        const a = reg64(RAX);
        const hi = mulhs(a, v);
        const lo = a * v;
        setReg64(RAX, lo);
        setReg64(RDX, hi);
        setLazy(F_MUL, 3, <u64>(hi != <u64>(<i64>lo >> 63)), 0, lo);
        return true;
      }
      const p = <u64>(sext(rget(RAX, sz), sz) * sext(v, sz));
      const lo = p & m;
      const hi = (p >> bits(sz)) & m;
      if (sz == 0) rset(RAX, 1, p);
      else { rset(RAX, sz, lo); rset(RDX, sz, hi); }
      setLazy(F_MUL, sz, <u64>(<i64>p != sext(lo, sz)), 0, lo);
      return true;
    }
    case 6: { // div
      if (v == 0) return false;
      if (sz == 3) {
        const hi = reg64(RDX);
        if (hi >= v) return false;
        div128(hi, reg64(RAX), v);
        setReg64(RAX, dq);
        setReg64(RDX, dr);
        return true;
      }
      const n = bits(sz);
      const dividend = sz == 0 ? rget(RAX, 1) : (rget(RDX, sz) << n) | rget(RAX, sz);
      const q = dividend / v;
      if (q > m) return false;
      const r = dividend % v;
      if (sz == 0) rset(RAX, 1, (r << 8) | q);
      else { rset(RAX, sz, q); rset(RDX, sz, r); }
      return true;
    }
    default: { // idiv
      if (v == 0) return false;
      if (sz == 3) {
        const hi = reg64(RDX), lo = reg64(RAX);
        const neg = <i64>hi < 0;
        // |dividend| as 128 bits
        let mh = hi, ml = lo;
        if (neg) { ml = ~lo + 1; mh = ~hi + <u64>(ml == 0); }
        const dneg = <i64>v < 0;
        const mv = dneg ? 0 - v : v;
        if (mh >= mv) return false;
        div128(mh, ml, mv);
        const qneg = neg != dneg;
        if (qneg ? dq > 0x8000000000000000 : dq > 0x7fffffffffffffff) return false;
        setReg64(RAX, qneg ? 0 - dq : dq);
        setReg64(RDX, neg ? 0 - dr : dr);
        return true;
      }
      const n = bits(sz);
      const dividend: i64 = sz == 0 ? sext(rget(RAX, 1), 1) : sz == 1 ? sext((rget(RDX, 1) << 16) | rget(RAX, 1), 2) : <i64>((rget(RDX, 2) << 32) | rget(RAX, 2));
      const d = sext(v, sz);
      if (dividend == i64.MIN_VALUE && d == -1) return false;
      const q = dividend / d;
      const half = <i64>1 << (n - 1);
      if (q >= half || q < -half) return false;
      const r = dividend % d;
      if (sz == 0) rset(RAX, 1, ((<u64>r & 0xff) << 8) | (<u64>q & 0xff));
      else { rset(RAX, sz, <u64>q); rset(RDX, sz, <u64>r); }
      return true;
    }
  }
}

/** imul reg, a, b (two- and three-operand forms). */
function imul2(sz: i32, a: u64, b: u64): u64 {
  const m = mask(sz);
  if (sz == 3) {
    const lo = a * b;
    const hi = mulhs(a, b);
    setLazy(F_MUL, 3, <u64>(hi != <u64>(<i64>lo >> 63)), 0, lo);
    return lo;
  }
  const p = sext(a, sz) * sext(b, sz);
  const lo = <u64>p & m;
  setLazy(F_MUL, sz, <u64>(p != sext(lo, sz)), 0, lo);
  return lo;
}

// ---- string instructions -----------------------------------------------------------------------------------------
/** One iteration of string instruction kind; false if a memory access faulted (nothing committed). */
function strOnce(p: u32, kind: u32, sz: i32): bool {
  const asz: i32 = load<u8>(p, R_ASZ);
  const am = mask(asz);
  const n = <u64>1 << sz;
  const step = (C.fl & DF) != 0 ? 0 - n : n;
  const si = reg64(RSI) & am;
  const di = reg64(RDI) & am;
  const src = (si + load<u64>(SEGBASE + load<u8>(p, R_SEG))) & linMask;
  const dst = di & linMask;
  switch (kind) {
    case O.STR_MOVS: {
      const v = rd(src, sz);
      if (flt) return false;
      wr(dst, sz, v);
      if (flt) return false;
      rset(RSI, asz, si + step);
      rset(RDI, asz, di + step);
      return true;
    }
    case O.STR_STOS: {
      wr(dst, sz, reg64(RAX));
      if (flt) return false;
      rset(RDI, asz, di + step);
      return true;
    }
    case O.STR_LODS: {
      const v = rd(src, sz);
      if (flt) return false;
      rset(RAX, sz, v);
      rset(RSI, asz, si + step);
      return true;
    }
    case O.STR_CMPS: {
      // Unicorn reads es:[rdi] first: which fault is reported when both are bad depends on it.
      const b = rd(dst, sz);
      if (flt) return false;
      const a = rd(src, sz);
      if (flt) return false;
      alu(O.ALU_CMP, sz, a, b);
      rset(RSI, asz, si + step);
      rset(RDI, asz, di + step);
      return true;
    }
    default: { // scas
      const b = rd(dst, sz);
      if (flt) return false;
      alu(O.ALU_CMP, sz, rget(RAX, sz), b);
      rset(RDI, asz, di + step);
      return true;
    }
  }
}

/**
 * A rep-prefixed string instruction, at most `allow` (≥ 1) counted steps. Unicorn counts one instruction per
 * iteration plus one for the final entry that finds the count zero, but none for that when repe/repne ends the
 * loop by its condition; each step is counted even when it faults. Sets rip; returns the steps counted.
 */
function repString(p: u32, allow: u64): u64 {
  const kind: u32 = load<u8>(p, R_X);
  const sz: i32 = load<u8>(p, R_SZ);
  const asz: i32 = load<u8>(p, R_ASZ);
  const f = load<u8>(p, R_FL);
  const cmp = kind == O.STR_CMPS || kind == O.STR_SCAS;
  const repne = (f & RF_REPNE) != 0;
  let steps: u64 = 0;
  for (;;) {
    steps++;
    const c = rget(RCX, asz);
    if (c == 0) {
      C.setRip(next(p));
      return steps;
    }
    if (!strOnce(p, kind, sz)) {
      C.setRip(load<u64>(p, R_ADDR));
      return steps;
    }
    rset(RCX, asz, c - 1);
    if (cmp && ((getZF() != 0) == repne)) {
      C.setRip(next(p));
      return steps;
    }
    if (steps == allow) {
      C.setRip(load<u64>(p, R_ADDR));
      return steps;
    }
  }
  return steps;
}

// ---- system-ish ----------------------------------------------------------------------------------------------------
function doCpuid(): void {
  const leaf = <u32>reg64(RAX);
  let a: u32 = 0, b: u32 = 0, c: u32 = 0, d: u32 = 0;
  for (let i: u32 = 0; i < cpuidCount && i < CPUID_MAX; i++) {
    const e = CPUID_TABLE + i * 20;
    if (load<u32>(e) == leaf) {
      a = load<u32>(e, 4); b = load<u32>(e, 8); c = load<u32>(e, 12); d = load<u32>(e, 16);
      break;
    }
  }
  setReg64(RAX, a);
  setReg64(RBX, b);
  setReg64(RCX, c);
  setReg64(RDX, d);
}

function doRdtsc(before: u64, p: bool): void {
  const t = tscBase + before * tscTicks;
  setReg64(RAX, t & 0xffffffff);
  setReg64(RDX, t >> 32);
  if (p) setReg64(RCX, 0);
}

const POPF_MASK: u64 = ARITH | DF | 0x100 | 0x200 | 0x3000 | 0x4000 | 0x40000 | 0x200000;

function flagOp(kind: u32): void {
  switch (kind) {
    case O.FO_CLC: materialize(); C.setFl(C.fl & ~CF); return;
    case O.FO_STC: materialize(); C.setFl(C.fl | CF); return;
    case O.FO_CMC: materialize(); C.setFl(C.fl ^ CF); return;
    case O.FO_CLD: C.setFl(C.fl & ~DF); return;
    case O.FO_CLI: C.setFl(C.fl & ~<u64>0x200); return;
    case O.FO_STI: C.setFl(C.fl | 0x200); return;
    case O.FO_STD: C.setFl(C.fl | DF); return;
    case O.FO_LAHF: rset(1, 0, (getFlags() & 0xd5) | 2); return;
    default: { // sahf
      materialize();
      C.setFl((C.fl & ~<u64>0xd5) | (rget(1, 0) & 0xd5));
    }
  }
}

/** bt/bts/btr/btc kind on value v with bit b; sets CF; returns the new value. */
@inline function bitOp(kind: u32, v: u64, b: u64): u64 {
  const bit = (v >> b) & 1;
  materialize();
  C.setFl((C.fl & ~CF) | bit);
  switch (kind) {
    case 1: return v | (<u64>1 << b);
    case 2: return v & ~(<u64>1 << b);
    case 3: return v ^ (<u64>1 << b);
    default: return v;
  }
}

/** bsf/bsr/tzcnt/lzcnt/popcnt of v into the register at off. */
function bitScan(kind: u32, sz: i32, off: u32, v: u64): void {
  const n = bits(sz);
  switch (kind) {
    case 0: // bsf: a zero source leaves the destination (Unicorn still writes it back, zero-extending)
    case 1: {
      const r = v == 0 ? rget(off, sz) : kind == 0 ? ctz<u64>(v) : 63 - clz<u64>(v);
      rset(off, sz, r);
      setLazy(F_LOGIC, sz, 0, 0, v);
      return;
    }
    case 2:
    case 3: {
      const r = kind == 2 ? (v == 0 ? n : ctz<u64>(v)) : clz<u64>(v) - (64 - n);
      rset(off, sz, r);
      materialize();
      C.setFl((C.fl & ~ARITH) | <u64>(v == 0) | (<u64>(r == 0) << 6) | (msb(r, sz) << 7));
      return;
    }
    default: {
      const r = popcnt<u64>(v);
      rset(off, sz, r);
      materialize();
      C.setFl((C.fl & ~ARITH) | (<u64>(v == 0) << 6));
    }
  }
}

/** cmpxchg16b m128: rdx:rax against memory; equal: rcx:rbx stored, else the old value loaded (and stored back). */
function cmpxchg16b(p: u32, a: u64): void {
  if ((a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
  const a2 = (a + 8) & linMask;
  const o0 = rd(a, 3);
  if (flt) return;
  const o1 = rd(a2, 3);
  if (flt) return;
  const eq = o0 == reg64(RAX) && o1 == reg64(RDX);
  wr(a, 3, eq ? reg64(RBX) : o0);
  if (flt) return;
  wr(a2, 3, eq ? reg64(RCX) : o1);
  if (flt) return;
  materialize();
  C.setFl(eq ? C.fl | ZF : C.fl & ~ZF);
  if (!eq) { setReg64(RAX, o0); setReg64(RDX, o1); }
}

// ---- SSE ------------------------------------------------------------------------------------------------------------
@inline function xmm(i: u32): u32 {
  return XMM + (i << 4);
}

/** SSE data movement; misaligned movaps/movdqa raise #GP (13). */
function sseMov(p: u32): void {
  const kind: u32 = load<u8>(p, R_X);
  const mem = (load<u8>(p, R_FL) & RF_MEM) != 0;
  const x = xmm(load<u8>(p, R_REG));
  switch (kind) {
    case O.SSE_LOAD: {
      if (!mem) { memory.copy(x, xmm(load<u8>(p, R_RM)), 16); return; }
      const a = ea(p);
      if (load<u8>(p, R_SZ2) != 0 && (a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
      const lo = rd(a, 3);
      if (flt) return;
      const hi = rd((a + 8) & linMask, 3);
      if (flt) return;
      store<u64>(x, lo);
      store<u64>(x, hi, 8);
      return;
    }
    case O.SSE_STORE: {
      if (!mem) { memory.copy(xmm(load<u8>(p, R_RM)), x, 16); return; }
      const a = ea(p);
      if (load<u8>(p, R_SZ2) != 0 && (a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
      wr128(a, load<u64>(x), load<u64>(x, 8));
      return;
    }
    case O.SSE_TO_XMM: {
      const sz: i32 = load<u8>(p, R_SZ);
      const v = mem ? rd(ea(p), sz) : rget(load<u8>(p, R_RM), sz);
      if (flt) return;
      store<u64>(x, v);
      store<u64>(x, 0, 8);
      return;
    }
    case O.SSE_FROM_XMM: {
      const sz: i32 = load<u8>(p, R_SZ);
      const v = load<u64>(x) & mask(sz);
      if (mem) wr(ea(p), sz, v);
      else rset(load<u8>(p, R_RM), sz, v);
      return;
    }
    case O.SSE_SCALAR_LOAD: {
      const sz: i32 = load<u8>(p, R_SZ);
      if (mem) {
        const v = rd(ea(p), sz);
        if (flt) return;
        store<u64>(x, v);
        store<u64>(x, 0, 8);
      } else {
        const y = xmm(load<u8>(p, R_RM));
        if (sz == 3) store<u64>(x, load<u64>(y));
        else store<u32>(x, load<u32>(y));
      }
      return;
    }
    case O.SSE_SCALAR_STORE: {
      const sz: i32 = load<u8>(p, R_SZ);
      if (mem) {
        wr(ea(p), sz, sz == 3 ? load<u64>(x) : <u64>load<u32>(x));
      } else {
        const y = xmm(load<u8>(p, R_RM));
        if (sz == 3) store<u64>(y, load<u64>(x));
        else store<u32>(y, load<u32>(x));
      }
      return;
    }
    case O.SSE_MOVQ_LOAD: {
      const v = mem ? rd(ea(p), 3) : load<u64>(xmm(load<u8>(p, R_RM)));
      if (flt) return;
      store<u64>(x, v);
      store<u64>(x, 0, 8);
      return;
    }
    case O.SSE_LOW_LOAD: { // movlps/movlpd xmm, m64; movhlps xmm, xmm
      const v = mem ? rd(ea(p), 3) : load<u64>(xmm(load<u8>(p, R_RM)), 8);
      if (flt) return;
      store<u64>(x, v);
      return;
    }
    case O.SSE_HIGH_LOAD: { // movhps/movhpd xmm, m64; movlhps xmm, xmm
      const v = mem ? rd(ea(p), 3) : load<u64>(xmm(load<u8>(p, R_RM)));
      if (flt) return;
      store<u64>(x, v, 8);
      return;
    }
    case O.SSE_HIGH_STORE: { // movhps/movhpd m64, xmm (the decoder makes the register forms #UD)
      wr(ea(p), 3, load<u64>(x, 8));
      return;
    }
    default: { // movq xmm/m64, xmm; movlps/movlpd m64, xmm (memory form only)
      const v = load<u64>(x);
      if (mem) { wr(ea(p), 3, v); return; }
      const d = xmm(load<u8>(p, R_RM));
      store<u64>(d, v);
      store<u64>(d, 0, 8);
    }
  }
}

/** A 16-byte store as two 8-byte stores, like Unicorn: a fault on the second leaves the first written. */
function wr128(a: u64, lo: u64, hi: u64): void {
  wr(a, 3, lo);
  if (flt) return;
  wr((a + 8) & linMask, 3, hi);
}

function sseAlu(p: u32): void {
  const kind: u32 = load<u8>(p, R_X);
  const x = xmm(load<u8>(p, R_REG));
  let lo: u64, hi: u64;
  if ((load<u8>(p, R_FL) & RF_MEM) != 0) {
    // Legacy SSE memory operands must be 16-byte aligned.
    const a = ea(p);
    if ((a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return; }
    lo = rd(a, 3);
    if (flt) return;
    hi = rd((a + 8) & linMask, 3);
    if (flt) return;
  } else {
    const y = xmm(load<u8>(p, R_RM));
    lo = load<u64>(y);
    hi = load<u64>(y, 8);
  }
  if (kind >= O.SX_PUNPCKLBW) {
    sseBytes(kind, x, lo, hi, load<u64>(p, R_IMM));
    return;
  }
  const dl = load<u64>(x), dh = load<u64>(x, 8);
  let rl: u64, rh: u64;
  switch (kind) {
    case O.SX_PXOR: rl = dl ^ lo; rh = dh ^ hi; break;
    case O.SX_POR: rl = dl | lo; rh = dh | hi; break;
    case O.SX_PAND: rl = dl & lo; rh = dh & hi; break;
    case O.SX_PANDN: rl = ~dl & lo; rh = ~dh & hi; break;
    case O.SX_PUNPCKLQDQ: rl = dl; rh = lo; break;
    case O.SX_PUNPCKHQDQ: rl = dh; rh = hi; break;
    case O.SX_PCMPEQB: rl = bytesEqual(dl, lo); rh = bytesEqual(dh, hi); break;
    default: rl = dl + lo; rh = dh + hi; // paddq
  }
  store<u64>(x, rl);
  store<u64>(x, rh, 8);
}

/**
 * The byte-shuffling and per-element operations, on the 16-byte images: d = xmm x, s = the source (lo, hi).
 * Built in SCRATCH and copied back, since the source may be x itself.
 */
function sseBytes(kind: u32, x: u32, lo: u64, hi: u64, imm: u64): void {
  const s = SCRATCH;
  const t = SCRATCH + 16;
  store<u64>(s, lo);
  store<u64>(s, hi, 8);
  switch (kind) {
    case O.SX_PUNPCKLBW:
      for (let i: u32 = 0; i < 8; i++) { store<u8>(t + 2 * i, load<u8>(x + i)); store<u8>(t + 2 * i + 1, load<u8>(s + i)); }
      break;
    case O.SX_PUNPCKLWD:
      for (let i: u32 = 0; i < 4; i++) { store<u16>(t + 4 * i, load<u16>(x + 2 * i)); store<u16>(t + 4 * i + 2, load<u16>(s + 2 * i)); }
      break;
    case O.SX_PUNPCKLDQ:
      for (let i: u32 = 0; i < 2; i++) { store<u32>(t + 8 * i, load<u32>(x + 4 * i)); store<u32>(t + 8 * i + 4, load<u32>(s + 4 * i)); }
      break;
    case O.SX_PSUBB:
      for (let i: u32 = 0; i < 16; i++) store<u8>(t + i, load<u8>(x + i) - load<u8>(s + i));
      break;
    case O.SX_PADDB:
      for (let i: u32 = 0; i < 16; i++) store<u8>(t + i, load<u8>(x + i) + load<u8>(s + i));
      break;
    case O.SX_PMINUB:
      for (let i: u32 = 0; i < 16; i++) { const a = load<u8>(x + i), b = load<u8>(s + i); store<u8>(t + i, a < b ? a : b); }
      break;
    case O.SX_PCMPEQW:
      for (let i: u32 = 0; i < 8; i++) store<u16>(t + 2 * i, load<u16>(x + 2 * i) == load<u16>(s + 2 * i) ? 0xffff : 0);
      break;
    case O.SX_PCMPEQD:
      for (let i: u32 = 0; i < 4; i++) store<u32>(t + 4 * i, load<u32>(x + 4 * i) == load<u32>(s + 4 * i) ? 0xffffffff : 0);
      break;
    case O.SX_PSHUFD:
      for (let i: u32 = 0; i < 4; i++) store<u32>(t + 4 * i, load<u32>(s + 4 * ((<u32>imm >> (2 * i)) & 3)));
      break;
    case O.SX_PSRLDQ: {
      const n: u32 = imm > 16 ? 16 : <u32>imm;
      for (let i: u32 = 0; i < 16; i++) store<u8>(t + i, i + n < 16 ? load<u8>(x + i + n) : 0);
      break;
    }
    case O.SX_PSLLDQ: {
      const n: u32 = imm > 16 ? 16 : <u32>imm;
      for (let i: u32 = 0; i < 16; i++) store<u8>(t + i, i >= n ? load<u8>(x + i - n) : 0);
      break;
    }
    case O.SX_PUNPCKHBW:
      for (let i: u32 = 0; i < 8; i++) { store<u8>(t + 2 * i, load<u8>(x + 8 + i)); store<u8>(t + 2 * i + 1, load<u8>(s + 8 + i)); }
      break;
    case O.SX_PUNPCKHWD:
      for (let i: u32 = 0; i < 4; i++) { store<u16>(t + 4 * i, load<u16>(x + 8 + 2 * i)); store<u16>(t + 4 * i + 2, load<u16>(s + 8 + 2 * i)); }
      break;
    case O.SX_PUNPCKHDQ:
      for (let i: u32 = 0; i < 2; i++) { store<u32>(t + 8 * i, load<u32>(x + 8 + 4 * i)); store<u32>(t + 8 * i + 4, load<u32>(s + 8 + 4 * i)); }
      break;
    case O.SX_PACKUSWB:
      for (let i: u32 = 0; i < 8; i++) {
        store<u8>(t + i, satU8(load<i16>(x + 2 * i)));
        store<u8>(t + 8 + i, satU8(load<i16>(s + 2 * i)));
      }
      break;
    case O.SX_PADDW:
      for (let i: u32 = 0; i < 8; i++) store<u16>(t + 2 * i, load<u16>(x + 2 * i) + load<u16>(s + 2 * i));
      break;
    case O.SX_PADDD:
      for (let i: u32 = 0; i < 4; i++) store<u32>(t + 4 * i, load<u32>(x + 4 * i) + load<u32>(s + 4 * i));
      break;
    case O.SX_PSUBW:
      for (let i: u32 = 0; i < 8; i++) store<u16>(t + 2 * i, load<u16>(x + 2 * i) - load<u16>(s + 2 * i));
      break;
    case O.SX_PSUBD:
      for (let i: u32 = 0; i < 4; i++) store<u32>(t + 4 * i, load<u32>(x + 4 * i) - load<u32>(s + 4 * i));
      break;
    case O.SX_PSUBQ:
      for (let i: u32 = 0; i < 2; i++) store<u64>(t + 8 * i, load<u64>(x + 8 * i) - load<u64>(s + 8 * i));
      break;
    // Element shifts: a logical shift by the element width or more gives 0; an arithmetic one fills with the sign.
    case O.SX_PSRLW:
      for (let i: u32 = 0; i < 8; i++) store<u16>(t + 2 * i, imm > 15 ? 0 : load<u16>(x + 2 * i) >> <u16>imm);
      break;
    case O.SX_PSRAW:
      for (let i: u32 = 0; i < 8; i++) store<i16>(t + 2 * i, load<i16>(x + 2 * i) >> <i16>(imm > 15 ? 15 : imm));
      break;
    case O.SX_PSLLW:
      for (let i: u32 = 0; i < 8; i++) store<u16>(t + 2 * i, imm > 15 ? 0 : load<u16>(x + 2 * i) << <u16>imm);
      break;
    case O.SX_PSRLD:
      for (let i: u32 = 0; i < 4; i++) store<u32>(t + 4 * i, imm > 31 ? 0 : load<u32>(x + 4 * i) >> <u32>imm);
      break;
    case O.SX_PSRAD:
      for (let i: u32 = 0; i < 4; i++) store<i32>(t + 4 * i, load<i32>(x + 4 * i) >> <i32>(imm > 31 ? 31 : imm));
      break;
    case O.SX_PSLLD:
      for (let i: u32 = 0; i < 4; i++) store<u32>(t + 4 * i, imm > 31 ? 0 : load<u32>(x + 4 * i) << <u32>imm);
      break;
    case O.SX_PSRLQ:
      for (let i: u32 = 0; i < 2; i++) store<u64>(t + 8 * i, imm > 63 ? 0 : load<u64>(x + 8 * i) >> imm);
      break;
    case O.SX_PSLLQ:
      for (let i: u32 = 0; i < 2; i++) store<u64>(t + 8 * i, imm > 63 ? 0 : load<u64>(x + 8 * i) << imm);
      break;
    default:
      // The decoder produces no other kind; leave the register as it was rather than trap.
      memory.copy(t, x, 16);
  }
  memory.copy(x, t, 16);
}

/** A signed word saturated to an unsigned byte (packuswb). */
@inline function satU8(v: i16): u8 {
  return v < 0 ? 0 : v > 255 ? 255 : <u8>v;
}

/** 0xff in each byte where a and b agree, else 0. */
function bytesEqual(a: u64, b: u64): u64 {
  let r: u64 = 0;
  const d = a ^ b;
  for (let i: u64 = 0; i < 64; i += 8) if (((d >> i) & 0xff) == 0) r |= <u64>0xff << i;
  return r;
}

function pmovmskb(p: u32): void {
  const x = xmm(load<u8>(p, R_RM));
  const lo = load<u64>(x), hi = load<u64>(x, 8);
  let m: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) {
    m |= ((lo >> (i * 8 + 7)) & 1) << i;
    m |= ((hi >> (i * 8 + 7)) & 1) << (i + 8);
  }
  rset(load<u8>(p, R_REG), 2, m);
}

@inline function aluRR(p: u32, k: u32): void {
  const sz: i32 = load<u8>(p, R_SZ);
  const d: u32 = load<u8>(p, R_REG);
  const r = alu(k, sz, rget(d, sz), rget(load<u8>(p, R_RM), sz));
  if (k != O.ALU_CMP && k != O.ALU_TEST) rset(d, sz, r);
}
@inline function aluRI(p: u32, k: u32): void {
  const sz: i32 = load<u8>(p, R_SZ);
  const d: u32 = load<u8>(p, R_REG);
  const r = alu(k, sz, rget(d, sz), load<u64>(p, R_IMM) & mask(sz));
  if (k != O.ALU_CMP && k != O.ALU_TEST) rset(d, sz, r);
}
/** The carry flag inc/dec keep: cheap when the previous flag-setter was an inc/dec too. */
@inline function keptCF(): u64 {
  return C.lfOp == F_INC || C.lfOp == F_DEC ? C.lfB : getCF();
}

// ---- the loop -------------------------------------------------------------------------------------------------------
/**
 * Runs from pc until an exit, at most budget instructions (0: no limit). Returns the exit code; details are in
 * cpu.ts (exitPc, exitAddr ...) and rip.
 */
export function run(pc: u64, budget: u64): i32 {
  C.resetExit();
  C.setRip(pc & linMask);
  let left: u64 = budget == 0 ? 0xffffffffffffffff : budget;
  for (;;) {
    if (left == 0) return budgetExit();
    const pcNow = C.rip;
    let b = lookupBlock(pcNow);
    if (b == 0) {
      b = decodeBlock(pcNow);
      if (b == 0) return C.exitCode; // trap or fetch fault
    }
    const n = <u64>load<u32>(b, BH_COUNT);
    const lim = n < left ? n : left;
    let p = b + BH_SIZE;
    let i: u64 = 0;
    while (i < lim) {
      i++;
      switch (load<u16>(p, R_OP)) {
        case O.OP_NOP: break;
        case O.OP_MOV_RR: {
          const sz: i32 = load<u8>(p, R_SZ);
          rset(load<u8>(p, R_REG), sz, rget(load<u8>(p, R_RM), sz));
          break;
        }
        case O.OP_MOV_RM: {
          const sz: i32 = load<u8>(p, R_SZ);
          const v = rd(ea(p), sz);
          if (flt) break;
          rset(load<u8>(p, R_REG), sz, v);
          break;
        }
        case O.OP_MOV_MR: {
          const sz: i32 = load<u8>(p, R_SZ);
          wr(ea(p), sz, rget(load<u8>(p, R_REG), sz));
          break;
        }
        case O.OP_MOV_RI: rset(load<u8>(p, R_REG), load<u8>(p, R_SZ), load<u64>(p, R_IMM)); break;
        case O.OP_MOV_MI: wr(ea(p), load<u8>(p, R_SZ), load<u64>(p, R_IMM)); break;
        case O.OP_MOVZX_RR: rset(load<u8>(p, R_REG), load<u8>(p, R_SZ), rget(load<u8>(p, R_RM), load<u8>(p, R_SZ2))); break;
        case O.OP_MOVZX_RM: {
          const v = rd(ea(p), load<u8>(p, R_SZ2));
          if (flt) break;
          rset(load<u8>(p, R_REG), load<u8>(p, R_SZ), v);
          break;
        }
        case O.OP_MOVSX_RR: {
          const s2: i32 = load<u8>(p, R_SZ2);
          rset(load<u8>(p, R_REG), load<u8>(p, R_SZ), <u64>sext(rget(load<u8>(p, R_RM), s2), s2));
          break;
        }
        case O.OP_MOVSX_RM: {
          const s2: i32 = load<u8>(p, R_SZ2);
          const v = rd(ea(p), s2);
          if (flt) break;
          rset(load<u8>(p, R_REG), load<u8>(p, R_SZ), <u64>sext(v, s2));
          break;
        }
        case O.OP_LEA: {
          const a = (load<u64>(p, R_DISP) + load<u64>(REGS + load<u8>(p, R_RM)) + (load<u64>(REGS + load<u8>(p, R_IDX)) << load<u8>(p, R_SCALE))) & mask(load<u8>(p, R_ASZ));
          rset(load<u8>(p, R_REG), load<u8>(p, R_SZ), a);
          break;
        }
        case O.OP_ALU_RR_K + O.ALU_ADD: aluRR(p, O.ALU_ADD); break;
        case O.OP_ALU_RR_K + O.ALU_OR: aluRR(p, O.ALU_OR); break;
        case O.OP_ALU_RR_K + O.ALU_AND: aluRR(p, O.ALU_AND); break;
        case O.OP_ALU_RR_K + O.ALU_SUB: aluRR(p, O.ALU_SUB); break;
        case O.OP_ALU_RR_K + O.ALU_XOR: aluRR(p, O.ALU_XOR); break;
        case O.OP_ALU_RR_K + O.ALU_CMP: aluRR(p, O.ALU_CMP); break;
        case O.OP_ALU_RR_K + O.ALU_TEST: aluRR(p, O.ALU_TEST); break;
        case O.OP_ALU_RI_K + O.ALU_ADD: aluRI(p, O.ALU_ADD); break;
        case O.OP_ALU_RI_K + O.ALU_OR: aluRI(p, O.ALU_OR); break;
        case O.OP_ALU_RI_K + O.ALU_AND: aluRI(p, O.ALU_AND); break;
        case O.OP_ALU_RI_K + O.ALU_SUB: aluRI(p, O.ALU_SUB); break;
        case O.OP_ALU_RI_K + O.ALU_XOR: aluRI(p, O.ALU_XOR); break;
        case O.OP_ALU_RI_K + O.ALU_CMP: aluRI(p, O.ALU_CMP); break;
        case O.OP_ALU_RI_K + O.ALU_TEST: aluRI(p, O.ALU_TEST); break;
        case O.OP_INC_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const a = rget(d, sz);
          const r = (a + 1) & mask(sz);
          setLazy(F_INC, sz, a, keptCF(), r);
          rset(d, sz, r);
          break;
        }
        case O.OP_DEC_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const a = rget(d, sz);
          const r = (a - 1) & mask(sz);
          setLazy(F_DEC, sz, a, keptCF(), r);
          rset(d, sz, r);
          break;
        }
        case O.OP_ALU_RR: {
          const sz: i32 = load<u8>(p, R_SZ);
          const k: u32 = load<u8>(p, R_X);
          const d: u32 = load<u8>(p, R_REG);
          const r = alu(k, sz, rget(d, sz), rget(load<u8>(p, R_RM), sz));
          if (k != O.ALU_CMP && k != O.ALU_TEST) rset(d, sz, r);
          break;
        }
        case O.OP_ALU_RM: {
          const sz: i32 = load<u8>(p, R_SZ);
          const k: u32 = load<u8>(p, R_X);
          const d: u32 = load<u8>(p, R_REG);
          const v = rd(ea(p), sz);
          if (flt) break;
          const r = alu(k, sz, rget(d, sz), v);
          if (k != O.ALU_CMP && k != O.ALU_TEST) rset(d, sz, r);
          break;
        }
        case O.OP_ALU_MR: {
          const sz: i32 = load<u8>(p, R_SZ);
          const k: u32 = load<u8>(p, R_X);
          const a = ea(p);
          const v = rd(a, sz);
          if (flt) break;
          aluMem(k, sz, a, v, rget(load<u8>(p, R_REG), sz));
          break;
        }
        case O.OP_ALU_RI: {
          const sz: i32 = load<u8>(p, R_SZ);
          const k: u32 = load<u8>(p, R_X);
          const d: u32 = load<u8>(p, R_REG);
          const r = alu(k, sz, rget(d, sz), load<u64>(p, R_IMM) & mask(sz));
          if (k != O.ALU_CMP && k != O.ALU_TEST) rset(d, sz, r);
          break;
        }
        case O.OP_ALU_MI: {
          const sz: i32 = load<u8>(p, R_SZ);
          const k: u32 = load<u8>(p, R_X);
          const a = ea(p);
          const v = rd(a, sz);
          if (flt) break;
          aluMem(k, sz, a, v, load<u64>(p, R_IMM) & mask(sz));
          break;
        }
        case O.OP_UN_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          rset(d, sz, unary(load<u8>(p, R_X), sz, rget(d, sz)));
          break;
        }
        case O.OP_UN_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const a = ea(p);
          const v = rd(a, sz);
          if (flt) break;
          unaryMem(load<u8>(p, R_X), sz, a, v);
          break;
        }
        case O.OP_PUSH_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          push(sz, rget(load<u8>(p, R_REG), sz));
          break;
        }
        case O.OP_PUSH_I: push(load<u8>(p, R_SZ), load<u64>(p, R_IMM)); break;
        case O.OP_PUSH_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const v = rd(ea(p), sz);
          if (flt) break;
          push(sz, v);
          break;
        }
        case O.OP_POP_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const v = pop(sz);
          if (flt) break;
          rset(load<u8>(p, R_REG), sz, v);
          break;
        }
        case O.OP_POP_M: {
          // The destination address is computed with rsp already incremented.
          const sz: i32 = load<u8>(p, R_SZ);
          const sp = reg64(RSP);
          const v = rd(sp & linMask, sz);
          if (flt) break;
          const nsp = sz == 1 ? (sp & ~<u64>0xffff) | ((sp + 2) & 0xffff) : (sp + (<u64>1 << sz)) & linMask;
          setReg64(RSP, nsp);
          wr(ea(p), sz, v);
          if (flt) setReg64(RSP, sp);
          break;
        }
        case O.OP_CALL: {
          push(load<u8>(p, R_SZ), next(p));
          if (flt) break;
          C.setRip(load<u64>(p, R_IMM));
          break;
        }
        case O.OP_CALL_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const t = rget(load<u8>(p, R_REG), sz);
          push(sz, next(p));
          if (flt) break;
          C.setRip(t);
          break;
        }
        case O.OP_CALL_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const t = rd(ea(p), sz);
          if (flt) break;
          push(sz, next(p));
          if (flt) break;
          C.setRip(t);
          break;
        }
        case O.OP_RET: {
          const sz: i32 = load<u8>(p, R_SZ);
          const t = pop(sz);
          if (flt) break;
          const extra = load<u64>(p, R_IMM2);
          if (extra != 0) setReg64(RSP, (reg64(RSP) + extra) & linMask);
          C.setRip(t);
          break;
        }
        case O.OP_JMP: C.setRip(load<u64>(p, R_IMM)); break;
        case O.OP_JMP_R: C.setRip(rget(load<u8>(p, R_REG), load<u8>(p, R_SZ))); break;
        case O.OP_JMP_M: {
          const t = rd(ea(p), load<u8>(p, R_SZ));
          if (flt) break;
          C.setRip(t);
          break;
        }
        case O.OP_JCC: C.setRip(cond(load<u8>(p, R_X)) ? load<u64>(p, R_IMM) : next(p)); break;
        case O.OP_LOOP: {
          const asz: i32 = load<u8>(p, R_ASZ);
          const k: u32 = load<u8>(p, R_X);
          let take: bool;
          if (k == 3) take = rget(RCX, asz) == 0;
          else {
            const c = (rget(RCX, asz) - 1) & mask(asz);
            rset(RCX, asz, c);
            take = c != 0 && (k == 2 || (getZF() != 0) == (k == 1));
          }
          C.setRip(take ? load<u64>(p, R_IMM) : next(p));
          break;
        }
        case O.OP_SETCC_R: rset(load<u8>(p, R_REG), 0, <u64>cond(load<u8>(p, R_X))); break;
        case O.OP_SETCC_M: wr(ea(p), 0, <u64>cond(load<u8>(p, R_X))); break;
        case O.OP_CMOV_RR: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          rset(d, sz, cond(load<u8>(p, R_X)) ? rget(load<u8>(p, R_RM), sz) : rget(d, sz));
          break;
        }
        case O.OP_CMOV_RM: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const v = rd(ea(p), sz);
          if (flt) break;
          rset(d, sz, cond(load<u8>(p, R_X)) ? v : rget(d, sz));
          break;
        }
        case O.OP_SHIFT_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const cnt = (load<u8>(p, R_FL) & RF_CL) != 0 ? reg64(RCX) & 0xff : load<u64>(p, R_IMM);
          rset(d, sz, shift(load<u8>(p, R_X), sz, rget(d, sz), cnt));
          break;
        }
        case O.OP_SHIFT_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const a = ea(p);
          const v = rd(a, sz);
          if (flt) break;
          const cnt = (load<u8>(p, R_FL) & RF_CL) != 0 ? reg64(RCX) & 0xff : load<u64>(p, R_IMM);
          shiftMem(load<u8>(p, R_X), sz, a, v, cnt);
          break;
        }
        case O.OP_SHD_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_RM);
          const cnt = (load<u8>(p, R_FL) & RF_CL) != 0 ? reg64(RCX) & 0xff : load<u64>(p, R_IMM);
          rset(d, sz, shiftDouble(load<u8>(p, R_X), sz, rget(d, sz), rget(load<u8>(p, R_REG), sz), cnt));
          break;
        }
        case O.OP_SHD_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const a = ea(p);
          const v = rd(a, sz);
          if (flt) break;
          const cnt = (load<u8>(p, R_FL) & RF_CL) != 0 ? reg64(RCX) & 0xff : load<u64>(p, R_IMM);
          shdMem(load<u8>(p, R_X), sz, a, v, rget(load<u8>(p, R_REG), sz), cnt);
          break;
        }
        case O.OP_MULDIV_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          if (!mulDiv(load<u8>(p, R_X), sz, rget(load<u8>(p, R_REG), sz))) C.raiseInterrupt(0, load<u64>(p, R_ADDR));
          break;
        }
        case O.OP_MULDIV_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const v = rd(ea(p), sz);
          if (flt) break;
          if (!mulDiv(load<u8>(p, R_X), sz, v)) C.raiseInterrupt(0, load<u64>(p, R_ADDR));
          break;
        }
        case O.OP_IMUL_RR: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const src = rget(load<u8>(p, R_RM), sz);
          const r = load<u8>(p, R_X) != 0 ? imul2(sz, src, load<u64>(p, R_IMM) & mask(sz)) : imul2(sz, rget(d, sz), src);
          rset(d, sz, r);
          break;
        }
        case O.OP_IMUL_RM: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const src = rd(ea(p), sz);
          if (flt) break;
          const r = load<u8>(p, R_X) != 0 ? imul2(sz, src, load<u64>(p, R_IMM) & mask(sz)) : imul2(sz, rget(d, sz), src);
          rset(d, sz, r);
          break;
        }
        case O.OP_CBW: {
          const sz: i32 = load<u8>(p, R_SZ);
          rset(RAX, sz, <u64>sext(rget(RAX, sz - 1), sz - 1));
          break;
        }
        case O.OP_CWD: {
          const sz: i32 = load<u8>(p, R_SZ);
          rset(RDX, sz, msb(rget(RAX, sz), sz) != 0 ? 0xffffffffffffffff : 0);
          break;
        }
        case O.OP_XCHG_RR: {
          const sz: i32 = load<u8>(p, R_SZ);
          const x: u32 = load<u8>(p, R_REG);
          const y: u32 = load<u8>(p, R_RM);
          const a = rget(x, sz), b2 = rget(y, sz);
          rset(x, sz, b2);
          rset(y, sz, a);
          break;
        }
        case O.OP_XCHG_RM: {
          const sz: i32 = load<u8>(p, R_SZ);
          const x: u32 = load<u8>(p, R_REG);
          const a = ea(p);
          const v = rd(a, sz);
          if (flt) break;
          wr(a, sz, rget(x, sz));
          if (flt) break;
          rset(x, sz, v);
          break;
        }
        case O.OP_LEAVE: {
          const sz: i32 = load<u8>(p, R_SZ);
          const bp = reg64(RBP);
          const v = rd(bp & linMask, sz);
          if (flt) break;
          // esp/rsp = ebp/rbp in full (the stack address size is 32/64), then a pop of the operand size.
          setReg64(RSP, (bp + (<u64>1 << sz)) & linMask);
          if (sz == 1) rset(RBP, 1, v);
          else setReg64(RBP, v);
          break;
        }
        case O.OP_X87CTL: x87Control(p, load<u8>(p, R_X)); break;
        case O.OP_FXSTATE: fxState(p, load<u8>(p, R_X)); break;
        case O.OP_ENTER: enter(load<u8>(p, R_SZ), load<u64>(p, R_IMM), <u32>load<u64>(p, R_IMM2) & 31); break;
        case O.OP_STR: strOnce(p, load<u8>(p, R_X), load<u8>(p, R_SZ)); break;
        case O.OP_REPSTR: {
          const steps = repString(p, left - i + 1);
          i += steps - 1;
          break;
        }
        case O.OP_INT3: {
          C.raiseInterrupt(3, load<u64>(p, R_ADDR));
          C.setRip(next(p));
          break;
        }
        case O.OP_INT: {
          C.raiseInterrupt(<i32>load<u64>(p, R_IMM), load<u64>(p, R_ADDR));
          C.setRip(next(p));
          break;
        }
        case O.OP_UD: C.raiseInterrupt(6, load<u64>(p, R_ADDR)); break;
        case O.OP_CPUID: doCpuid(); break;
        case O.OP_PRIVILEGED: C.raisePrivileged(load<u64>(p, R_ADDR)); break;
        case O.OP_RDTSC: doRdtsc(C.icount + i - 1, false); break;
        case O.OP_RDTSCP: doRdtsc(C.icount + i - 1, true); break;
        case O.OP_FLAGOP: {
          const k: u32 = load<u8>(p, R_X);
          // cli/sti at CPL3 (IOPL is 0): #GP, which the kernel layer raises from the privileged exit.
          if (C.cpl == 3 && (k == O.FO_CLI || k == O.FO_STI)) C.raisePrivileged(load<u64>(p, R_ADDR));
          else flagOp(k);
          break;
        }
        case O.OP_PUSHF: push(load<u8>(p, R_SZ), getFlags() & ~<u64>0x30000); break;
        case O.OP_POPF: {
          const sz: i32 = load<u8>(p, R_SZ);
          const v = pop(sz);
          if (flt) break;
          // At CPL3 (IOPL 0) popf leaves IF and IOPL as they are, without a fault.
          const m = (C.cpl == 3 ? POPF_MASK & ~<u64>0x3200 : POPF_MASK) & mask(sz);
          C.setFlags((getFlags() & ~m) | (v & m));
          break;
        }
        case O.OP_BT_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_RM);
          const off = (load<u8>(p, R_FL) & RF_CL) != 0 ? load<u64>(p, R_IMM) : rget(load<u8>(p, R_REG), sz);
          const k: u32 = load<u8>(p, R_X);
          const r = bitOp(k, rget(d, sz), off & (bits(sz) - 1));
          if (k != 0) rset(d, sz, r);
          break;
        }
        case O.OP_BT_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          let a: u64;
          let off: u64;
          if ((load<u8>(p, R_FL) & RF_CL) != 0) {
            off = load<u64>(p, R_IMM);
            a = ea(p);
          } else {
            // A register bit offset is signed and may address memory outside the operand.
            off = rget(load<u8>(p, R_REG), sz);
            a = eaMoved(p, <u64>(sext(off, sz) >> (3 + sz)) << sz);
          }
          const v = rd(a, sz);
          if (flt) break;
          btMem(load<u8>(p, R_X), sz, a, v, off & (bits(sz) - 1));
          break;
        }
        case O.OP_BITSCAN_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          bitScan(load<u8>(p, R_X), sz, load<u8>(p, R_REG), rget(load<u8>(p, R_RM), sz));
          break;
        }
        case O.OP_BITSCAN_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const v = rd(ea(p), sz);
          if (flt) break;
          bitScan(load<u8>(p, R_X), sz, load<u8>(p, R_REG), v);
          break;
        }
        case O.OP_XADD_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_RM);
          const s: u32 = load<u8>(p, R_REG);
          const dv = rget(d, sz);
          const r = alu(O.ALU_ADD, sz, dv, rget(s, sz));
          rset(s, sz, dv);
          rset(d, sz, r);
          break;
        }
        case O.OP_XADD_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const a = ea(p);
          const dv = rd(a, sz);
          if (flt) break;
          const s: u32 = load<u8>(p, R_REG);
          const sv = rget(s, sz);
          wr(a, sz, (dv + sv) & mask(sz));
          if (flt) break;
          alu(O.ALU_ADD, sz, dv, sv);
          rset(s, sz, dv);
          break;
        }
        case O.OP_CMPXCHG_R: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_RM);
          const old = rget(d, sz);
          const acc = rget(RAX, sz);
          const nv = acc == old ? rget(load<u8>(p, R_REG), sz) : old;
          alu(O.ALU_CMP, sz, acc, old);
          rset(RAX, sz, old);
          rset(d, sz, nv);
          break;
        }
        case O.OP_CMPXCHG_M: {
          const sz: i32 = load<u8>(p, R_SZ);
          const a = ea(p);
          const old = rd(a, sz);
          if (flt) break;
          const acc = rget(RAX, sz);
          wr(a, sz, acc == old ? rget(load<u8>(p, R_REG), sz) : old);
          if (flt) break;
          alu(O.ALU_CMP, sz, acc, old);
          rset(RAX, sz, old);
          break;
        }
        case O.OP_CMPXCHG8B: {
          const a = ea(p);
          if (load<u8>(p, R_SZ) == 4) {
            cmpxchg16b(p, a);
            break;
          }
          const old = rd(a, 3);
          if (flt) break;
          const cmpv = (rget(RDX, 2) << 32) | rget(RAX, 2);
          const eq = old == cmpv;
          wr(a, 3, eq ? (rget(RCX, 2) << 32) | rget(RBX, 2) : old);
          if (flt) break;
          materialize();
          C.setFl(eq ? C.fl | ZF : C.fl & ~ZF);
          if (!eq) { rset(RAX, 2, old & 0xffffffff); rset(RDX, 2, old >> 32); }
          break;
        }
        case O.OP_BSWAP: {
          const sz: i32 = load<u8>(p, R_SZ);
          const d: u32 = load<u8>(p, R_REG);
          const v = reg64(d);
          // bswap r16 is undefined; Unicorn (QEMU) treats it as the 32-bit form.
          if (sz == 3) setReg64(d, bswap<u64>(v));
          else rset(d, 2, <u64>bswap<u32>(<u32>v));
          break;
        }
        case O.OP_SSE_MOV: sseMov(p); break;
        case O.OP_SSE_ALU: sseAlu(p); break;
        case O.OP_PMOVMSKB: pmovmskb(p); break;
        case O.OP_SSEX: sseX(p); break;
        case O.OP_BMI: bmi(p); break;
        default: { // OP_UNSUPPORTED
          C.raiseUnsupported(load<u64>(p, R_ADDR));
          i--;
          break;
        }
      }
      if (stop) break;
      p += RS;
    }
    C.addIcount(i);
    left -= i;
    // Coverage: one flag test per block when off; when on, a compare per block once its records are marked. The
    // records that ran come from p, not i (a rep string counts its steps): those before p, and the one that stopped.
    if (covOn) {
      let ran = (p - b - BH_SIZE) / RS;
      if (stop && C.exitCode != C.EXIT_UNSUPPORTED) ran++;
      if (load<u32>(b, BH_COV) < (covEpoch | ran)) markCoverage(b, ran);
    }
    if (stop) {
      if (C.exitCode == C.EXIT_NONE) {
        // A write hit decoded code: continue after this instruction with freshly decoded blocks.
        if ((load<u8>(p, R_FL) & RF_BRANCH) == 0) C.setRip(next(p));
        C.resetExit();
        continue;
      }
      if (C.exitCode == C.EXIT_FAULT || C.exitCode == C.EXIT_UNSUPPORTED || C.exitCode == C.EXIT_PRIVILEGED) C.setRip(load<u64>(p, R_ADDR));
      else if (C.exitCode == C.EXIT_INTERRUPT && load<u16>(p, R_OP) != O.OP_INT3 && load<u16>(p, R_OP) != O.OP_INT) C.setRip(load<u64>(p, R_ADDR));
      if (C.exitCode == C.EXIT_FAULT) C.setExitPc(load<u64>(p, R_ADDR));
      return C.exitCode;
    }
    // The block ran to its end (or to the budget): a non-branch last instruction falls through.
    p -= RS;
    if ((load<u8>(p, R_FL) & RF_BRANCH) == 0) C.setRip(next(p));
  }
  return 0;
}

// ---- coverage ------------------------------------------------------------------------------------------------------
// An optional address range [covBegin, covBegin + covSize) whose executed instructions set their start address's bit in a
// bitmap the host placed in linear memory (bit k of byte k >> 3 for address covBegin + k).
let covOn: bool = false;
let covBegin: u64 = 0;
let covSize: u64 = 0;
let covMap: u32 = 0;
/** The current range's epoch, pre-shifted: (n << 7) for the n-th range (BH_COV). */
let covEpoch: u32 = 0;

/** Enables coverage of [begin, end) into the bitmap at map (end - begin bits, zeroed by the host); begin == end disables it. */
export function setCoverage(begin: u64, end: u64, map: u32): void {
  covBegin = begin;
  covSize = end > begin ? end - begin : 0;
  covMap = map;
  covOn = covSize != 0;
  covEpoch += 1 << 7;
}

/** Marks the first n records of decoded block b (those that ran), past those marked before in this epoch. */
function markCoverage(b: u32, n: u32): void {
  const c = load<u32>(b, BH_COV);
  const done: u32 = c >= covEpoch ? c - covEpoch : 0;
  store<u32>(b, covEpoch | n, BH_COV);
  let p = b + BH_SIZE + done * RS;
  for (let k = done; k < n; k++) {
    const off = load<u64>(p, R_ADDR) - covBegin;
    if (off < covSize) {
      const a = covMap + <u32>(off >> 3);
      store<u8>(a, load<u8>(a) | <u8>(<u32>1 << <u32>(off & 7)));
    }
    p += RS;
  }
}

function budgetExit(): i32 {
  C.resetExit();
  C.setExit(C.EXIT_BUDGET, C.rip);
  return C.EXIT_BUDGET;
}

// Memory-destination tails, out of line to keep the loop small.
function aluMem(k: u32, sz: i32, a: u64, v: u64, src: u64): void {
  if (k == O.ALU_CMP || k == O.ALU_TEST) {
    alu(k, sz, v, src);
    return;
  }
  // Compute into temporaries first: the flags must not change if the write faults.
  const sOp = C.lfOp, sSz = C.lfSz, sA = C.lfA, sB = C.lfB, sR = C.lfR;
  const r = alu(k, sz, v, src);
  wr(a, sz, r);
  if (flt) setLazy(sOp, sSz, sA, sB, sR);
}
function unaryMem(k: u32, sz: i32, a: u64, v: u64): void {
  const sOp = C.lfOp, sSz = C.lfSz, sA = C.lfA, sB = C.lfB, sR = C.lfR;
  const r = unary(k, sz, v);
  wr(a, sz, r);
  if (flt) setLazy(sOp, sSz, sA, sB, sR);
}
function shiftMem(k: u32, sz: i32, a: u64, v: u64, cnt: u64): void {
  const sFl = C.fl, sOp = C.lfOp, sSz = C.lfSz, sA = C.lfA, sB = C.lfB, sR = C.lfR;
  const r = shift(k, sz, v, cnt);
  wr(a, sz, r);
  // Unicorn (QEMU) computes rcl/rcr flags in a helper before the store, so they stay changed when it faults.
  if (flt && k != 2 && k != 3) { C.setFl(sFl); setLazy(sOp, sSz, sA, sB, sR); }
}
function shdMem(k: u32, sz: i32, a: u64, v: u64, src: u64, cnt: u64): void {
  const sOp = C.lfOp, sSz = C.lfSz, sA = C.lfA, sB = C.lfB, sR = C.lfR;
  const r = shiftDouble(k, sz, v, src, cnt);
  wr(a, sz, r);
  if (flt) setLazy(sOp, sSz, sA, sB, sR);
}
function btMem(k: u32, sz: i32, a: u64, v: u64, bit: u64): void {
  const sFl = C.fl, sOp = C.lfOp, sSz = C.lfSz, sA = C.lfA, sB = C.lfB, sR = C.lfR;
  const r = bitOp(k, v, bit);
  if (k == 0) return;
  wr(a, sz, r);
  if (flt) { C.setFl(sFl); setLazy(sOp, sSz, sA, sB, sR); }
}

