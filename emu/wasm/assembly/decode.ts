// The decoder: x86 / x86-64 machine code → blocks of fixed-size decoded records (layout.ts), decoded once and
// cached by start address until a write to their page, an unmap or a protection change drops them.
//
// Prefixes, REX, ModRM/SIB, displacements, immediates and operand/address size are resolved here, so the
// handlers in exec.ts see only register offsets, a ready displacement (rip-relative already made absolute),
// sizes and immediates. Opcodes the core does not implement become OP_UNSUPPORTED records: the run stops
// there with an unsupported-instruction exit naming the bytes, so a gap is never silent.

import {
  REG_ZERO, TRAPS, BIDX, BIDX_SIZE, ARENA, ARENA_END, BH_ADDR, BH_COUNT, BH_FRAME1, BH_GEN1, BH_FRAME2,
  BH_GEN2, BH_USER, BH_COV, BH_SIZE, NO_FRAME, BLOCK_MAX, R_OP, R_LEN, R_SZ, R_REG, R_RM, R_IDX, R_SCALE, R_SEG, R_ASZ, R_X, R_FL,
  R_SZ2, R_DISP, R_IMM, R_IMM2, R_ADDR, RS, RF_BRANCH, RF_REP, RF_REPNE, RF_MEM, RF_CL, NO_VPN,
} from './layout';
import { long, linMask, resetExit } from './cpu';
import * as cpu from './cpu';
import { fetchHost, markCode, frameOf, frameGen, lastProt, PROT_USER } from './mem';
import * as O from './ops';
import * as X from './sse';
import * as B from './bmi';

// ---- trap ranges ------------------------------------------------------------------------------------------------
export let trapCount: u32 = 0;
/** Bumped when a trap range is added: every block decoded before may run into it, so all of them are stale. */
export let trapEpoch: u32 = 0;

export function newTrapEpoch(): void {
  trapEpoch++;
}

function inTrap(a: u64): bool {
  for (let i: u32 = 0; i < trapCount; i++) {
    const t = TRAPS + (i << 4);
    if (a >= load<u64>(t) && a < load<u64>(t, 8)) return true;
  }
  return false;
}

// ---- block cache ------------------------------------------------------------------------------------------------
let arenaTop: u32 = ARENA;

@inline function bidxEntry(addr: u64): u32 {
  const x = <u32>addr ^ <u32>(addr >> 16) ^ <u32>(addr >> 32);
  return BIDX + ((x & (BIDX_SIZE - 1)) << 4);
}

/** Drops every decoded block (trap ranges changed, or the arena is full). */
export function flushBlocks(): void {
  if (arenaTop == ARENA) return; // nothing decoded since the last flush
  memory.fill(BIDX, 0, BIDX_SIZE << 4);
  arenaTop = ARENA;
}

/** The cached block starting at addr whose frames are unchanged since it was decoded, or 0. */
@inline export function lookupBlock(addr: u64): u32 {
  const e = bidxEntry(addr);
  const b = load<u32>(e, 8);
  if (b == 0 || load<u64>(e) != addr) return 0;
  const tag = load<u32>(b, BH_USER);
  if (tag >> 1 != trapEpoch || (cpu.cpl == 3 && (tag & 1) == 0)) return 0;
  if (frameGen(load<u32>(b, BH_FRAME1)) != load<u32>(b, BH_GEN1)) return 0;
  const f2 = load<u32>(b, BH_FRAME2);
  if (f2 != NO_FRAME && frameGen(f2) != load<u32>(b, BH_GEN2)) return 0;
  return b;
}

// ---- byte fetch ---------------------------------------------------------------------------------------------------
let dStart: u64 = 0; // address of the instruction being decoded
let dPos: u32 = 0; // bytes of it consumed so far
let dVpn: u64 = NO_VPN; // page the fetch cache holds
let dHost: u32 = 0;
let dFault: bool = false;
let blkVpn: u64 = 0;
let frame1: u32 = NO_FRAME;
let frame2: u32 = NO_FRAME;
let blkUser: u32 = 1;

function fetch8(): u32 {
  if (dFault) return 0;
  const lin = (dStart + dPos) & linMask;
  const vpn = lin >> 12;
  if (vpn != dVpn) {
    const h = fetchHost(lin);
    if (h == 0) {
      dFault = true;
      return 0;
    }
    dVpn = vpn;
    dHost = h;
    if ((lastProt & PROT_USER) == 0) blkUser = 0;
    const f = frameOf(h);
    markCode(vpn, f);
    if (vpn == blkVpn) frame1 = f;
    else frame2 = f;
  }
  dPos++;
  return load<u8>(dHost + (<u32>lin & 0xfff));
}
function fetch16(): u64 {
  const a = <u64>fetch8();
  return a | (<u64>fetch8() << 8);
}
function fetch32(): u64 {
  const a = fetch16();
  return a | (fetch16() << 16);
}
function fetch64(): u64 {
  const a = fetch32();
  return a | (fetch32() << 32);
}
@inline function sx8(v: u64): u64 {
  return <u64>(<i64>(<i8>v));
}
@inline function sx32(v: u64): u64 {
  return <u64>(<i64>(<i32>v));
}

// ---- prefixes and ModRM ---------------------------------------------------------------------------------------------
let pOsz16: bool = false;
let pAsz32: bool = false; // 0x67 in long mode
let pRep: bool = false;
let pRepne: bool = false;
let pLock: bool = false;
let pSeg: u8 = 0;
let hasRex: bool = false;
let rexW: bool = false;
let rexR: u32 = 0;
let rexX: u32 = 0;
let rexB: u32 = 0;
let lockOk: bool = false;

let mMod: u32 = 0;
let mRegRaw: u32 = 0; // ModRM.reg without REX.R: the opcode extension of group instructions
let mReg: u32 = 0;
let mRm: u32 = 0; // register number when mMod == 3
let ripRel: bool = false;

/** Register byte offset of register number r for an operand of size sz (no REX: 4-7 are ah ch dh bh). */
@inline function regOff(r: u32, sz: i32): u8 {
  if (sz == 0 && !hasRex && r >= 4 && r < 8) return <u8>(((r - 4) << 3) + 1);
  return <u8>(r << 3);
}

/** Parses ModRM (+SIB, displacement) into rec; register operands are left to the caller (sizes differ). */
function modrm(rec: u32): void {
  const m = fetch8();
  mMod = m >> 6;
  mRegRaw = (m >> 3) & 7;
  mReg = mRegRaw | rexR;
  const rm = m & 7;
  if (mMod == 3) {
    mRm = rm | rexB;
    return;
  }
  store<u8>(rec, load<u8>(rec, R_FL) | RF_MEM, R_FL);
  if (pAsz32 && !long) {
    modrm16(rec, rm);
    return;
  }
  let base: u32 = REG_ZERO;
  let index: u32 = REG_ZERO;
  let scale: u32 = 0;
  let disp: u64 = 0;
  if (rm == 4) {
    const sib = fetch8();
    scale = sib >> 6;
    const ix = ((sib >> 3) & 7) | rexX;
    if (ix != 4) index = ix << 3;
    const b = sib & 7;
    if (b == 5 && mMod == 0) disp = sx32(fetch32());
    else base = (b | rexB) << 3;
  } else if (rm == 5 && mMod == 0) {
    disp = sx32(fetch32());
    if (long) ripRel = true;
  } else {
    base = (rm | rexB) << 3;
  }
  if (mMod == 1) disp = sx8(<u64>fetch8());
  else if (mMod == 2) disp = sx32(fetch32());
  store<u8>(rec, <u8>base, R_RM);
  store<u8>(rec, <u8>index, R_IDX);
  store<u8>(rec, <u8>scale, R_SCALE);
  store<u64>(rec, disp, R_DISP);
}

/** 16-bit addressing (0x67 in 32-bit mode): bx/bp + si/di + disp8/disp16, wrapped to 16 bits by R_ASZ. */
function modrm16(rec: u32, rm: u32): void {
  // rm: 0 bx+si, 1 bx+di, 2 bp+si, 3 bp+di, 4 si, 5 di, 6 bp (disp16 alone when mod = 0), 7 bx
  const BX: u32 = 3 << 3, BP: u32 = 5 << 3, SI: u32 = 6 << 3, DI: u32 = 7 << 3;
  let base: u32 = REG_ZERO;
  let index: u32 = REG_ZERO;
  let disp: u64 = 0;
  if (rm < 4) {
    base = rm < 2 ? BX : BP;
    index = (rm & 1) == 0 ? SI : DI;
  } else if (rm == 4) base = SI;
  else if (rm == 5) base = DI;
  else if (rm == 7) base = BX;
  else if (mMod != 0) base = BP;
  if (rm == 6 && mMod == 0) disp = fetch16();
  else if (mMod == 1) disp = sx8(<u64>fetch8());
  else if (mMod == 2) disp = <u64>(<i64>(<i16>fetch16()));
  // The registers are 16 bits wide here: bases and indexes hold 32-bit values, but the sum wraps at 16 bits,
  // which the address mask does; only the low 16 bits of each register may count, so mask them by using the
  // register offsets as is and relying on wrap-around: (a + b) mod 2^16 depends on a mod 2^16 and b mod 2^16.
  store<u8>(rec, <u8>base, R_RM);
  store<u8>(rec, <u8>index, R_IDX);
  store<u8>(rec, 0, R_SCALE);
  store<u64>(rec, disp, R_DISP);
}

@inline function isMem(rec: u32): bool {
  return (load<u8>(rec, R_FL) & RF_MEM) != 0;
}
@inline function setOp(rec: u32, op: u16): void {
  store<u16>(rec, op, R_OP);
}
@inline function setSz(rec: u32, sz: i32): void {
  store<u8>(rec, <u8>sz, R_SZ);
}
@inline function setX(rec: u32, x: u32): void {
  store<u8>(rec, <u8>x, R_X);
}
@inline function setImm(rec: u32, v: u64): void {
  store<u64>(rec, v, R_IMM);
}
@inline function addFl(rec: u32, f: u8): void {
  store<u8>(rec, load<u8>(rec, R_FL) | f, R_FL);
}
/** ModRM.reg as the register operand. */
@inline function setReg(rec: u32, sz: i32): void {
  store<u8>(rec, regOff(mReg, sz), R_REG);
}
/** ModRM.rm (register form) as the register operand R_REG (for one-operand register forms). */
@inline function rmAsReg(rec: u32, sz: i32): void {
  store<u8>(rec, regOff(mRm, sz), R_REG);
}
@inline function rmAsRm(rec: u32, sz: i32): void {
  store<u8>(rec, regOff(mRm, sz), R_RM);
}

/** Operand size code of a full-size (non-byte) operand. */
@inline function osz(): i32 {
  return rexW ? 3 : pOsz16 ? 1 : 2;
}
/** Stack operand size: 64 in long mode (16 with 0x66 unless REX.W), 32 in 32-bit mode (16 with 0x66). */
@inline function ssz(): i32 {
  return long ? (rexW || !pOsz16 ? 3 : 1) : pOsz16 ? 1 : 2;
}
/** An immediate of size sz (64-bit operands take a sign-extended imm32). */
function immOf(sz: i32): u64 {
  if (sz == 0) return <u64>fetch8();
  if (sz == 1) return fetch16();
  if (sz == 2) return fetch32();
  return sx32(fetch32());
}
/** A branch target: next instruction + rel, wrapped to 32 bits outside long mode. Call after all bytes are read. */
@inline function target(rel: u64): u64 {
  return (dStart + dPos + rel) & linMask;
}

// ---- one instruction --------------------------------------------------------------------------------------------
/** Decodes the instruction at dStart into rec. Faults leave dFault set. */
function decodeInsn(rec: u32): void {
  memory.fill(rec, 0, RS);
  store<u8>(rec, <u8>REG_ZERO, R_RM);
  store<u8>(rec, <u8>REG_ZERO, R_IDX);
  store<u64>(rec, dStart, R_ADDR);
  dPos = 0;
  pOsz16 = false; pAsz32 = false; pRep = false; pRepne = false; pLock = false; pSeg = 0;
  hasRex = false; rexW = false; rexR = 0; rexX = 0; rexB = 0;
  lockOk = false;
  ripRel = false;

  let op: u32 = 0;
  for (;;) {
    op = fetch8();
    if (dFault) return;
    if (dPos > 14) { setOp(rec, O.OP_UD); store<u8>(rec, <u8>dPos, R_LEN); return; }
    if (op == 0x66) pOsz16 = true;
    else if (op == 0x67) pAsz32 = true;
    else if (op == 0xf3) { pRep = true; pRepne = false; }
    else if (op == 0xf2) { pRepne = true; pRep = false; }
    else if (op == 0xf0) pLock = true;
    else if (op == 0x64) pSeg = 1;
    else if (op == 0x65) pSeg = 2;
    else if (op == 0x2e || op == 0x36 || op == 0x3e || op == 0x26) { /* flat segments: no effect */ }
    else if (long && (op & 0xf0) == 0x40) {
      // REX counts only directly before the opcode: a later prefix cancels it.
      hasRex = true;
      rexW = (op & 8) != 0;
      rexR = (op & 4) << 1;
      rexX = (op & 2) << 2;
      rexB = (op & 1) << 3;
      const nx = fetch8();
      if (dFault) return;
      dPos--;
      if (nx == 0x66 || nx == 0x67 || nx == 0xf2 || nx == 0xf3 || nx == 0xf0 || (nx & 0xf0) == 0x40 ||
          nx == 0x64 || nx == 0x65 || nx == 0x2e || nx == 0x36 || nx == 0x3e || nx == 0x26) {
        hasRex = false; rexW = false; rexR = 0; rexX = 0; rexB = 0;
      }
    } else break;
  }
  store<u8>(rec, <u8>(long ? (pAsz32 ? 2 : 3) : pAsz32 ? 1 : 2), R_ASZ);
  store<u8>(rec, <u8>(pSeg << 3), R_SEG);

  if (op == 0x0f) decodeTwoByte(rec);
  else decodeOneByte(rec, op);
  if (dFault) return;

  if (pLock && !(lockOk && isMem(rec))) {
    setOp(rec, O.OP_UD);
  }
  const len = dPos;
  store<u8>(rec, <u8>len, R_LEN);
  if (ripRel) store<u64>(rec, load<u64>(rec, R_DISP) + dStart + len, R_DISP);
  // With 0x67 in long mode the memory operand (rip-relative included) wraps at 32 bits: done by R_ASZ in ea().
  if (pRep) addFl(rec, RF_REP);
  if (pRepne) addFl(rec, RF_REPNE);
  specialize(rec);
}

/** Rewrites the hottest generic forms to their specialized handler ids (ops.ts). */
function specialize(rec: u32): void {
  const op = load<u16>(rec, R_OP);
  const k = <u16>load<u8>(rec, R_X);
  if (op == O.OP_ALU_RR && k != O.ALU_ADC && k != O.ALU_SBB) setOp(rec, O.OP_ALU_RR_K + k);
  else if (op == O.OP_ALU_RI && k != O.ALU_ADC && k != O.ALU_SBB) setOp(rec, O.OP_ALU_RI_K + k);
  else if (op == O.OP_UN_R && k == O.UN_INC) setOp(rec, O.OP_INC_R);
  else if (op == O.OP_UN_R && k == O.UN_DEC) setOp(rec, O.OP_DEC_R);
}

function decodeOneByte(rec: u32, op: u32): void {
  // ALU block 00-3F: eight operations × six forms.
  if (op < 0x40 && (op & 7) < 6) {
    const kind = op >> 3;
    setX(rec, kind);
    const form = op & 7;
    const sz = (form & 1) == 0 ? 0 : osz();
    setSz(rec, sz);
    if (form < 4) {
      modrm(rec);
      if (form < 2) {
        // op rm, reg
        lockOk = kind != O.ALU_CMP;
        if (isMem(rec)) { setOp(rec, O.OP_ALU_MR); setReg(rec, sz); }
        else { setOp(rec, O.OP_ALU_RR); rmAsReg(rec, sz); store<u8>(rec, regOff(mReg, sz), R_RM); }
      } else {
        // op reg, rm
        setReg(rec, sz);
        if (isMem(rec)) setOp(rec, O.OP_ALU_RM);
        else { setOp(rec, O.OP_ALU_RR); rmAsRm(rec, sz); }
      }
    } else {
      setOp(rec, O.OP_ALU_RI);
      store<u8>(rec, 0, R_REG);
      setImm(rec, immOf(sz));
    }
    return;
  }
  if (op >= 0x50 && op <= 0x57) {
    setOp(rec, O.OP_PUSH_R); setSz(rec, ssz());
    store<u8>(rec, <u8>(((op & 7) | rexB) << 3), R_REG);
    return;
  }
  if (op >= 0x58 && op <= 0x5f) {
    setOp(rec, O.OP_POP_R); setSz(rec, ssz());
    store<u8>(rec, <u8>(((op & 7) | rexB) << 3), R_REG);
    return;
  }
  if (op >= 0x40 && op <= 0x4f) {
    // 32-bit mode only (long mode took these as REX): inc/dec r16/r32.
    setOp(rec, O.OP_UN_R); setSz(rec, osz()); setX(rec, op < 0x48 ? O.UN_INC : O.UN_DEC);
    store<u8>(rec, <u8>((op & 7) << 3), R_REG);
    return;
  }
  if (op >= 0x70 && op <= 0x7f) {
    if (pOsz16) { unsupported(rec); return; }
    const rel = sx8(<u64>fetch8());
    setOp(rec, O.OP_JCC); setX(rec, op & 0xf); setImm(rec, target(rel)); addFl(rec, RF_BRANCH);
    return;
  }
  if (op >= 0x91 && op <= 0x97 || (op == 0x90 && rexB != 0)) {
    const sz = osz();
    setOp(rec, O.OP_XCHG_RR); setSz(rec, sz);
    store<u8>(rec, 0, R_REG);
    store<u8>(rec, <u8>(((op & 7) | rexB) << 3), R_RM);
    return;
  }
  if (op >= 0xb0 && op <= 0xb7) {
    setOp(rec, O.OP_MOV_RI); setSz(rec, 0);
    store<u8>(rec, regOff((op & 7) | rexB, 0), R_REG);
    setImm(rec, <u64>fetch8());
    return;
  }
  if (op >= 0xb8 && op <= 0xbf) {
    const sz = osz();
    setOp(rec, O.OP_MOV_RI); setSz(rec, sz);
    store<u8>(rec, <u8>(((op & 7) | rexB) << 3), R_REG);
    setImm(rec, sz == 3 ? fetch64() : immOf(sz));
    return;
  }
  switch (op) {
    case 0x63: {
      if (!long) { unsupported(rec); return; } // arpl
      const sz = osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      store<u8>(rec, 2, R_SZ2);
      if (sz == 3) setOp(rec, isMem(rec) ? O.OP_MOVSX_RM : O.OP_MOVSX_RR);
      else setOp(rec, isMem(rec) ? O.OP_MOVZX_RM : O.OP_MOVZX_RR);
      if (!isMem(rec)) rmAsRm(rec, 2);
      return;
    }
    case 0x68: case 0x6a: {
      const sz = ssz();
      setOp(rec, O.OP_PUSH_I); setSz(rec, sz);
      setImm(rec, op == 0x6a ? sx8(<u64>fetch8()) : sz == 1 ? fetch16() : sx32(fetch32()));
      return;
    }
    case 0x69: case 0x6b: {
      const sz = osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      setX(rec, 1);
      setImm(rec, op == 0x6b ? sx8(<u64>fetch8()) : sz == 1 ? fetch16() : sx32(fetch32()));
      if (isMem(rec)) setOp(rec, O.OP_IMUL_RM); else { setOp(rec, O.OP_IMUL_RR); rmAsRm(rec, sz); }
      return;
    }
    case 0x80: case 0x81: case 0x82: case 0x83: {
      if (op == 0x82 && long) { setOp(rec, O.OP_UD); return; }
      const sz = (op & 1) == 0 ? 0 : osz();
      modrm(rec); setSz(rec, sz); setX(rec, mRegRaw);
      lockOk = mRegRaw != O.ALU_CMP;
      setImm(rec, op == 0x81 ? immOf(sz) : sz == 0 ? <u64>fetch8() : sx8(<u64>fetch8()));
      if (isMem(rec)) setOp(rec, O.OP_ALU_MI); else { setOp(rec, O.OP_ALU_RI); rmAsReg(rec, sz); }
      return;
    }
    case 0x84: case 0x85: {
      const sz = op == 0x84 ? 0 : osz();
      modrm(rec); setSz(rec, sz); setX(rec, O.ALU_TEST); setReg(rec, sz);
      if (isMem(rec)) setOp(rec, O.OP_ALU_RM); else { setOp(rec, O.OP_ALU_RR); rmAsRm(rec, sz); }
      return;
    }
    case 0x86: case 0x87: {
      const sz = op == 0x86 ? 0 : osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      lockOk = true;
      if (isMem(rec)) setOp(rec, O.OP_XCHG_RM); else { setOp(rec, O.OP_XCHG_RR); rmAsRm(rec, sz); }
      return;
    }
    case 0x88: case 0x89: case 0x8a: case 0x8b: {
      const sz = (op & 1) == 0 ? 0 : osz();
      modrm(rec); setSz(rec, sz);
      if (op < 0x8a) {
        // mov rm, reg
        if (isMem(rec)) { setOp(rec, O.OP_MOV_MR); setReg(rec, sz); }
        else { setOp(rec, O.OP_MOV_RR); rmAsReg(rec, sz); store<u8>(rec, regOff(mReg, sz), R_RM); }
      } else {
        setReg(rec, sz);
        if (isMem(rec)) setOp(rec, O.OP_MOV_RM); else { setOp(rec, O.OP_MOV_RR); rmAsRm(rec, sz); }
      }
      return;
    }
    case 0x8d: {
      const sz = osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      if (!isMem(rec)) { setOp(rec, O.OP_UD); return; }
      // lea computes the offset only: no segment base.
      store<u8>(rec, 0, R_SEG);
      setOp(rec, O.OP_LEA);
      return;
    }
    case 0x8f: {
      modrm(rec); setSz(rec, ssz());
      if (mRegRaw != 0) { unsupported(rec); return; }
      if (isMem(rec)) setOp(rec, O.OP_POP_M); else { setOp(rec, O.OP_POP_R); rmAsReg(rec, 3); }
      return;
    }
    case 0x90: setOp(rec, O.OP_NOP); return;
    case 0x98: setOp(rec, O.OP_CBW); setSz(rec, osz()); return;
    case 0x99: setOp(rec, O.OP_CWD); setSz(rec, osz()); return;
    case 0x9c: setOp(rec, O.OP_PUSHF); setSz(rec, ssz()); return;
    case 0x9d: setOp(rec, O.OP_POPF); setSz(rec, ssz()); return;
    case 0x9e: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_SAHF); return;
    case 0x9f: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_LAHF); return;
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
      // mov al/eAX <-> moffs: the offset is address-sized.
      const sz = (op & 1) == 0 ? 0 : osz();
      setSz(rec, sz);
      const off = long ? (pAsz32 ? fetch32() : fetch64()) : pAsz32 ? fetch16() : fetch32();
      addFl(rec, RF_MEM);
      store<u64>(rec, off, R_DISP);
      store<u8>(rec, 0, R_REG);
      setOp(rec, op < 0xa2 ? O.OP_MOV_RM : O.OP_MOV_MR);
      return;
    }
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf: {
      const sz = (op & 1) == 0 ? 0 : osz();
      setSz(rec, sz);
      const k = op < 0xa6 ? O.STR_MOVS : op < 0xa8 ? O.STR_CMPS : op < 0xac ? O.STR_STOS : op < 0xae ? O.STR_LODS : O.STR_SCAS;
      setX(rec, k);
      if (pRep || pRepne) { setOp(rec, O.OP_REPSTR); addFl(rec, RF_BRANCH); }
      else setOp(rec, O.OP_STR);
      // Only cmps and scas look at the repe/repne distinction; for the others f2 acts as rep.
      if (k != O.STR_CMPS && k != O.STR_SCAS && pRepne) { pRepne = false; pRep = true; }
      return;
    }
    case 0xa8: case 0xa9: {
      const sz = op == 0xa8 ? 0 : osz();
      setOp(rec, O.OP_ALU_RI); setSz(rec, sz); setX(rec, O.ALU_TEST);
      store<u8>(rec, 0, R_REG);
      setImm(rec, immOf(sz));
      return;
    }
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const sz = (op & 1) == 0 ? 0 : osz();
      modrm(rec); setSz(rec, sz); setX(rec, mRegRaw);
      if (op < 0xc2) setImm(rec, <u64>fetch8());
      else if (op < 0xd2) setImm(rec, 1);
      else addFl(rec, RF_CL);
      if (isMem(rec)) setOp(rec, O.OP_SHIFT_M); else { setOp(rec, O.OP_SHIFT_R); rmAsReg(rec, sz); }
      return;
    }
    case 0xc2: case 0xc3: {
      if (pOsz16) { unsupported(rec); return; }
      setOp(rec, O.OP_RET); setSz(rec, ssz()); addFl(rec, RF_BRANCH);
      if (op == 0xc2) store<u64>(rec, fetch16(), R_IMM2);
      return;
    }
    case 0xc6: case 0xc7: {
      const sz = op == 0xc6 ? 0 : osz();
      modrm(rec); setSz(rec, sz);
      if (mRegRaw != 0) { unsupported(rec); return; }
      setImm(rec, immOf(sz));
      if (isMem(rec)) setOp(rec, O.OP_MOV_MI); else { setOp(rec, O.OP_MOV_RI); rmAsReg(rec, sz); }
      return;
    }
    case 0xc8: {
      setOp(rec, O.OP_ENTER); setSz(rec, ssz());
      setImm(rec, fetch16());
      store<u64>(rec, <u64>fetch8(), R_IMM2);
      return;
    }
    case 0xc9: setOp(rec, O.OP_LEAVE); setSz(rec, ssz()); return;
    // fwait: the core raises no x87 exception, so it waits for nothing. An ES flag fxrstor loads is not reported as
    // #MF either (nor by Unicorn, whose CR0.NE is clear; a CPU under Windows would raise it).
    case 0x9b: setOp(rec, O.OP_NOP); return;
    // x87 control instructions that C runtimes' start-up runs (_fpreset, the control word); arithmetic is absent.
    case 0xd9: case 0xdb: case 0xdd: case 0xdf: {
      const m = fetch8();
      if (op == 0xdb && (m == 0xe3 || m == 0xe2)) { setOp(rec, O.OP_X87CTL); setX(rec, m == 0xe3 ? O.X87_FNINIT : O.X87_FNCLEX); return; }
      if (op == 0xdf && m == 0xe0) { setOp(rec, O.OP_X87CTL); setX(rec, O.X87_FNSTSW_AX); return; }
      const g = (m >> 3) & 7;
      if ((m >> 6) != 3 && ((op == 0xd9 && (g == 5 || g == 7)) || (op == 0xdd && g == 7))) {
        dPos--;
        modrm(rec);
        setOp(rec, O.OP_X87CTL);
        setX(rec, op == 0xdd ? O.X87_FNSTSW_M : g == 5 ? O.X87_FLDCW : O.X87_FNSTCW);
        return;
      }
      unsupported(rec);
      return;
    }
    // iret/iretd/iretq: a return across privilege levels, so the kernel layer performs it (as the exits do).
    case 0xcf: setOp(rec, O.OP_PRIVILEGED); return;
    case 0xcc: setOp(rec, O.OP_INT3); addFl(rec, RF_BRANCH); return;
    case 0xcd: setOp(rec, O.OP_INT); setImm(rec, <u64>fetch8()); addFl(rec, RF_BRANCH); return;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
      if (pOsz16) { unsupported(rec); return; }
      const rel = sx8(<u64>fetch8());
      setOp(rec, O.OP_LOOP); setX(rec, op & 3); setImm(rec, target(rel)); addFl(rec, RF_BRANCH);
      return;
    }
    case 0xe8: case 0xe9: {
      if (pOsz16) { unsupported(rec); return; }
      const rel = sx32(fetch32());
      setOp(rec, op == 0xe8 ? O.OP_CALL : O.OP_JMP); setSz(rec, ssz()); setImm(rec, target(rel)); addFl(rec, RF_BRANCH);
      return;
    }
    case 0xeb: {
      if (pOsz16) { unsupported(rec); return; }
      const rel = sx8(<u64>fetch8());
      setOp(rec, O.OP_JMP); setImm(rec, target(rel)); addFl(rec, RF_BRANCH);
      return;
    }
    case 0xf5: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_CMC); return;
    // hlt, in/out (imm8 and dx forms), ins/outs: privileged or I/O, emulated by the kernel layer.
    case 0xf4: case 0xec: case 0xed: case 0xee: case 0xef: case 0x6c: case 0x6d: case 0x6e: case 0x6f:
      setOp(rec, O.OP_PRIVILEGED); return;
    case 0xe4: case 0xe5: case 0xe6: case 0xe7:
      fetch8(); setOp(rec, O.OP_PRIVILEGED); return;
    case 0xfa: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_CLI); return;
    case 0xfb: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_STI); return;
    case 0xf8: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_CLC); return;
    case 0xf9: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_STC); return;
    case 0xfc: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_CLD); return;
    case 0xfd: setOp(rec, O.OP_FLAGOP); setX(rec, O.FO_STD); return;
    case 0xf6: case 0xf7: {
      const sz = op == 0xf6 ? 0 : osz();
      modrm(rec); setSz(rec, sz);
      const g = mRegRaw;
      if (g < 2) {
        setX(rec, O.ALU_TEST);
        setImm(rec, immOf(sz));
        if (isMem(rec)) setOp(rec, O.OP_ALU_MI); else { setOp(rec, O.OP_ALU_RI); rmAsReg(rec, sz); }
      } else if (g < 4) {
        lockOk = true;
        setX(rec, g == 2 ? O.UN_NOT : O.UN_NEG);
        if (isMem(rec)) setOp(rec, O.OP_UN_M); else { setOp(rec, O.OP_UN_R); rmAsReg(rec, sz); }
      } else {
        setX(rec, g);
        if (isMem(rec)) setOp(rec, O.OP_MULDIV_M); else { setOp(rec, O.OP_MULDIV_R); rmAsReg(rec, sz); }
      }
      return;
    }
    case 0xfe: case 0xff: {
      const sz = op == 0xfe ? 0 : osz();
      modrm(rec); setSz(rec, sz);
      const g = mRegRaw;
      if (g < 2) {
        lockOk = true;
        setX(rec, g);
        if (isMem(rec)) setOp(rec, O.OP_UN_M); else { setOp(rec, O.OP_UN_R); rmAsReg(rec, sz); }
        return;
      }
      if (op == 0xfe) { setOp(rec, O.OP_UD); return; }
      if (g == 2 || g == 4) {
        if (pOsz16) { unsupported(rec); return; }
        const s = long ? 3 : 2;
        setSz(rec, s);
        addFl(rec, RF_BRANCH);
        if (isMem(rec)) setOp(rec, g == 2 ? O.OP_CALL_M : O.OP_JMP_M);
        else { setOp(rec, g == 2 ? O.OP_CALL_R : O.OP_JMP_R); rmAsReg(rec, s); }
        return;
      }
      if (g == 6) {
        setSz(rec, ssz());
        if (isMem(rec)) setOp(rec, O.OP_PUSH_M); else { setOp(rec, O.OP_PUSH_R); rmAsReg(rec, 3); }
        return;
      }
      if (g == 7) { setOp(rec, O.OP_UD); return; }
      unsupported(rec);
      return;
    }
    case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e: case 0x1f: case 0x27: case 0x2f: case 0x37:
    case 0x3f: case 0x60: case 0x61: case 0x62: case 0x9a: case 0xce: case 0xd4: case 0xd5: case 0xea:
      if (long) { setOp(rec, O.OP_UD); return; }
      unsupported(rec);
      return;
    case 0xd6: setOp(rec, O.OP_UD); return;
    case 0xc4: case 0xc5: decodeVex(rec, op); return;
    default:
      unsupported(rec);
  }
}

/** SSE forms (0F xx with a mandatory 66/F3/F2 prefix or none); false if op is not one of them. */
function decodeSse(rec: u32, op: u32): bool {
  // The mandatory prefix selects the instruction; it is not an operand-size or rep prefix here.
  const p66 = pOsz16, pf3 = pRep, pf2 = pRepne;
  let kind: i32 = -1;
  let aligned = false;
  let memOnly = false;
  let alu: i32 = -1;
  if ((op == 0x10 || op == 0x11) && (pf2 || pf3)) {
    // movsd (f2) / movss (f3): scalar moves of the low 8 / 4 bytes.
    pRep = false;
    pRepne = false;
    pOsz16 = false;
    modrm(rec);
    store<u8>(rec, <u8>mReg, R_REG);
    setOp(rec, O.OP_SSE_MOV);
    setX(rec, op == 0x10 ? O.SSE_SCALAR_LOAD : O.SSE_SCALAR_STORE);
    setSz(rec, pf2 ? 3 : 2);
    if (!isMem(rec)) store<u8>(rec, <u8>mRm, R_RM);
    return true;
  }
  if (pf2) return false;
  switch (op) {
    case 0x10: case 0x11: if (pf3) return false; kind = op == 0x10 ? O.SSE_LOAD : O.SSE_STORE; break; // movups/movupd
    case 0x28: case 0x29: if (pf3) return false; kind = op == 0x28 ? O.SSE_LOAD : O.SSE_STORE; aligned = true; break; // movaps/movapd
    case 0x6f: case 0x7f: // movdqa (66) / movdqu (f3)
      if (!p66 && !pf3) return false;
      kind = op == 0x6f ? O.SSE_LOAD : O.SSE_STORE;
      aligned = p66;
      break;
    case 0x6e: if (!p66 || pf3) return false; kind = O.SSE_TO_XMM; break;
    case 0x7e: kind = pf3 ? O.SSE_MOVQ_LOAD : p66 ? O.SSE_FROM_XMM : -1; if (kind < 0) return false; break;
    case 0xd6: if (!p66 || pf3) return false; kind = O.SSE_MOVQ_STORE; break;
    // movlps/movlpd, movhps/movhpd xmm, m64: one half loaded, the other kept. Without 66 the register forms are
    // movhlps/movlhps; with 66 they are #UD. F3/F2 (movsldup, movshdup, movddup: SSE3) are decodeSseX's.
    case 0x12: case 0x16:
      if (pf3) return false;
      kind = op == 0x12 ? O.SSE_LOW_LOAD : O.SSE_HIGH_LOAD;
      memOnly = p66;
      break;
    // movlps/movlpd, movhps/movhpd m64, xmm: one half stored (the low one as movq does); no register forms.
    case 0x13: case 0x17:
      if (pf3) return false;
      kind = op == 0x13 ? O.SSE_MOVQ_STORE : O.SSE_HIGH_STORE;
      memOnly = true;
      break;
    case 0x57: if (pf3) return false; alu = O.SX_PXOR; break; // xorps/xorpd: the same bits
    case 0x54: if (pf3) return false; alu = O.SX_PAND; break; // andps/andpd
    case 0x55: if (pf3) return false; alu = O.SX_PANDN; break;
    case 0x56: if (pf3) return false; alu = O.SX_POR; break; // orps/orpd
    case 0xef: case 0xeb: case 0xdb: case 0xdf: case 0x6c: case 0x6d: case 0x74: case 0xd4: case 0x60: case 0x61:
    case 0x62: case 0xf8: case 0xfc: case 0xda: case 0x75: case 0x76: case 0x70:
    case 0x67: case 0x68: case 0x69: case 0x6a: case 0xfd: case 0xfe: case 0xf9: case 0xfa: case 0xfb:
      if (!p66 || pf3) return false;
      switch (op) {
        case 0xef: alu = O.SX_PXOR; break;
        case 0xeb: alu = O.SX_POR; break;
        case 0xdb: alu = O.SX_PAND; break;
        case 0xdf: alu = O.SX_PANDN; break;
        case 0x6c: alu = O.SX_PUNPCKLQDQ; break;
        case 0x6d: alu = O.SX_PUNPCKHQDQ; break;
        case 0x74: alu = O.SX_PCMPEQB; break;
        case 0x75: alu = O.SX_PCMPEQW; break;
        case 0x76: alu = O.SX_PCMPEQD; break;
        case 0xd4: alu = O.SX_PADDQ; break;
        case 0x60: alu = O.SX_PUNPCKLBW; break;
        case 0x61: alu = O.SX_PUNPCKLWD; break;
        case 0x62: alu = O.SX_PUNPCKLDQ; break;
        case 0xf8: alu = O.SX_PSUBB; break;
        case 0xfc: alu = O.SX_PADDB; break;
        case 0xda: alu = O.SX_PMINUB; break;
        case 0x67: alu = O.SX_PACKUSWB; break;
        case 0x68: alu = O.SX_PUNPCKHBW; break;
        case 0x69: alu = O.SX_PUNPCKHWD; break;
        case 0x6a: alu = O.SX_PUNPCKHDQ; break;
        case 0xfd: alu = O.SX_PADDW; break;
        case 0xfe: alu = O.SX_PADDD; break;
        case 0xf9: alu = O.SX_PSUBW; break;
        case 0xfa: alu = O.SX_PSUBD; break;
        case 0xfb: alu = O.SX_PSUBQ; break;
        default: alu = O.SX_PSHUFD; // 0x70
      }
      break;
    case 0x71: case 0x72: case 0x73: {
      // Shifts of xmm by imm8: 71 words, 72 dwords, 73 qwords (/2 logical right, /4 arithmetic right, /6 left),
      // and 73 /3 psrldq, /7 pslldq (whole register, in bytes).
      if (!p66 || pf3) return false;
      modrm(rec);
      let shift: i32 = -1;
      if (!isMem(rec)) {
        if (op == 0x71) shift = mRegRaw == 2 ? O.SX_PSRLW : mRegRaw == 4 ? O.SX_PSRAW : mRegRaw == 6 ? O.SX_PSLLW : -1;
        else if (op == 0x72) shift = mRegRaw == 2 ? O.SX_PSRLD : mRegRaw == 4 ? O.SX_PSRAD : mRegRaw == 6 ? O.SX_PSLLD : -1;
        else shift = mRegRaw == 2 ? O.SX_PSRLQ : mRegRaw == 3 ? O.SX_PSRLDQ : mRegRaw == 6 ? O.SX_PSLLQ : mRegRaw == 7 ? O.SX_PSLLDQ : -1;
      }
      if (shift < 0) { unsupported(rec); return true; }
      pOsz16 = false;
      setOp(rec, O.OP_SSE_ALU);
      setX(rec, shift);
      store<u8>(rec, <u8>mRm, R_REG);
      store<u8>(rec, <u8>mRm, R_RM);
      setImm(rec, <u64>fetch8());
      return true;
    }
    case 0xd7:
      if (!p66 || pf3) return false;
      modrm(rec);
      if (isMem(rec)) { setOp(rec, O.OP_UD); return true; }
      setOp(rec, O.OP_PMOVMSKB);
      setSz(rec, 2);
      store<u8>(rec, <u8>(mReg << 3), R_REG);
      store<u8>(rec, <u8>mRm, R_RM);
      pOsz16 = false;
      return true;
    default: return false;
  }
  pOsz16 = false;
  pRep = false;
  modrm(rec);
  store<u8>(rec, <u8>mReg, R_REG);
  if (alu >= 0) {
    setOp(rec, O.OP_SSE_ALU);
    setX(rec, alu);
    if (!isMem(rec)) store<u8>(rec, <u8>mRm, R_RM);
    if (alu == O.SX_PSHUFD) setImm(rec, <u64>fetch8());
    return true;
  }
  if (memOnly && !isMem(rec)) { setOp(rec, O.OP_UD); return true; }
  setOp(rec, O.OP_SSE_MOV);
  setX(rec, kind);
  store<u8>(rec, aligned ? 1 : 0, R_SZ2);
  if (kind == O.SSE_TO_XMM || kind == O.SSE_FROM_XMM) {
    const sz = rexW ? 3 : 2;
    setSz(rec, sz);
    if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM); // a general register
  } else if (!isMem(rec)) {
    store<u8>(rec, <u8>mRm, R_RM); // an xmm register
  }
  return true;
}

function decodeTwoByte(rec: u32): void {
  const op = fetch8();
  if (decodeSse(rec, op)) return;
  if (decodeSseX(rec, op)) return;
  if (op == 0x38) { decode38(rec); return; }
  if (op == 0x3a) { decode3A(rec); return; }
  if (op >= 0x80 && op <= 0x8f) {
    if (pOsz16) { unsupported(rec); return; }
    const rel = sx32(fetch32());
    setOp(rec, O.OP_JCC); setX(rec, op & 0xf); setImm(rec, target(rel)); addFl(rec, RF_BRANCH);
    return;
  }
  if (op >= 0x40 && op <= 0x4f) {
    const sz = osz();
    modrm(rec); setSz(rec, sz); setReg(rec, sz); setX(rec, op & 0xf);
    if (isMem(rec)) setOp(rec, O.OP_CMOV_RM); else { setOp(rec, O.OP_CMOV_RR); rmAsRm(rec, sz); }
    return;
  }
  if (op >= 0x90 && op <= 0x9f) {
    modrm(rec); setSz(rec, 0); setX(rec, op & 0xf);
    if (isMem(rec)) setOp(rec, O.OP_SETCC_M); else { setOp(rec, O.OP_SETCC_R); rmAsReg(rec, 0); }
    return;
  }
  if (op >= 0xc8 && op <= 0xcf) {
    setOp(rec, O.OP_BSWAP); setSz(rec, osz());
    store<u8>(rec, <u8>(((op & 7) | rexB) << 3), R_REG);
    return;
  }
  if (op == 0x0d) {
    // prefetch / prefetchw m8 (any ModRM.reg): a hint, never an access; the register form is #UD.
    modrm(rec);
    setOp(rec, isMem(rec) ? O.OP_NOP : O.OP_UD);
    return;
  }
  if (op >= 0x18 && op <= 0x1f) {
    // Hint nops, prefetch, endbr: a ModRM operand that is never accessed.
    modrm(rec);
    setOp(rec, O.OP_NOP);
    return;
  }
  switch (op) {
    case 0x0b: case 0xff: case 0xb9: setOp(rec, O.OP_UD); return;
    case 0xae: {
      modrm(rec);
      if (pOsz16 || pRep || pRepne) { unsupported(rec); return; } // clflushopt, clwb, rd/wrfsbase ...: absent
      if (!isMem(rec)) {
        // lfence / mfence / sfence: ordering is trivial on one emulated CPU.
        if (mRegRaw >= 5) { setOp(rec, O.OP_NOP); return; }
        setOp(rec, O.OP_UD);
        return;
      }
      // fxsave, fxrstor (REX.W: the 64-bit forms, the same here: the x87 pointers are stored as zeros), ldmxcsr,
      // stmxcsr, clflush; /4 /5 /6 are xsave, xrstor, xsaveopt, which CPUID does not announce.
      const g = mRegRaw;
      // xsave, xrstor, xsaveopt (/4 /5 /6): #UD, as on a CPU whose CPUID has no XSAVE (libunicorn2's has none either).
      if (g > 3 && g != 7) { setOp(rec, O.OP_UD); return; }
      setOp(rec, O.OP_FXSTATE);
      setX(rec, g);
      return;
    }
    case 0x31: setOp(rec, O.OP_RDTSC); return;
    case 0xa2: setOp(rec, O.OP_CPUID); return;
    // mov to/from control and debug registers: the ModRM byte always names registers (mod is ignored).
    case 0x20: case 0x21: case 0x22: case 0x23: fetch8(); setOp(rec, O.OP_PRIVILEGED); return;
    // clts, invd, wbinvd, wrmsr, rdmsr.
    case 0x06: case 0x08: case 0x09: case 0x30: case 0x32: setOp(rec, O.OP_PRIVILEGED); return;
    case 0x01: {
      const m = fetch8();
      if (m == 0xf9) { setOp(rec, O.OP_RDTSCP); return; }
      if (m == 0xf8 && long) { setOp(rec, O.OP_PRIVILEGED); return; } // swapgs
      if (m == 0xd0 || m == 0xd1) { setOp(rec, O.OP_UD); return; } // xgetbv, xsetbv: #UD without XSAVE (CR4.OSXSAVE clear)
      const g = (m >> 3) & 7;
      if ((m >> 6) != 3 && (g <= 3 || g == 7)) {
        // sgdt, sidt, lgdt, lidt, invlpg m: decode the memory operand for the length.
        dPos--;
        modrm(rec);
        setOp(rec, O.OP_PRIVILEGED);
        return;
      }
      unsupported(rec);
      return;
    }
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
      const sz = osz();
      const src = (op & 1) == 0 ? 0 : 1;
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      store<u8>(rec, <u8>src, R_SZ2);
      const sx = op >= 0xbe;
      if (isMem(rec)) setOp(rec, sx ? O.OP_MOVSX_RM : O.OP_MOVZX_RM);
      else { setOp(rec, sx ? O.OP_MOVSX_RR : O.OP_MOVZX_RR); rmAsRm(rec, src); }
      return;
    }
    case 0xaf: {
      const sz = osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      if (isMem(rec)) setOp(rec, O.OP_IMUL_RM); else { setOp(rec, O.OP_IMUL_RR); rmAsRm(rec, sz); }
      return;
    }
    case 0xa3: case 0xab: case 0xb3: case 0xbb: case 0xba: {
      const sz = osz();
      modrm(rec); setSz(rec, sz);
      if (op == 0xba) {
        if (mRegRaw < 4) { setOp(rec, O.OP_UD); return; }
        setX(rec, mRegRaw - 4);
        setImm(rec, <u64>fetch8());
        addFl(rec, RF_CL); // RF_CL here: the bit offset is the immediate
      } else {
        setX(rec, (op >> 3) & 3);
        setReg(rec, sz);
      }
      lockOk = load<u8>(rec, R_X) != 0;
      if (isMem(rec)) setOp(rec, O.OP_BT_M); else { setOp(rec, O.OP_BT_R); rmAsRm(rec, sz); }
      return;
    }
    case 0xbc: case 0xbd: case 0xb8: {
      if (op == 0xb8 && !pRep) { unsupported(rec); return; }
      const sz = osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      // bsf, bsr; with f3: tzcnt, lzcnt; f3 0f b8: popcnt.
      setX(rec, op == 0xb8 ? 4 : (op - 0xbc) + (pRep ? 2 : 0));
      pRep = false;
      if (isMem(rec)) setOp(rec, O.OP_BITSCAN_M); else { setOp(rec, O.OP_BITSCAN_R); rmAsRm(rec, sz); }
      return;
    }
    case 0xc0: case 0xc1: case 0xb0: case 0xb1: {
      const sz = (op & 1) == 0 ? 0 : osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      lockOk = true;
      const xadd = op >= 0xc0;
      if (isMem(rec)) setOp(rec, xadd ? O.OP_XADD_M : O.OP_CMPXCHG_M);
      else { setOp(rec, xadd ? O.OP_XADD_R : O.OP_CMPXCHG_R); rmAsRm(rec, sz); }
      return;
    }
    case 0xa4: case 0xa5: case 0xac: case 0xad: {
      const sz = osz();
      modrm(rec); setSz(rec, sz); setReg(rec, sz);
      setX(rec, op >= 0xac ? 1 : 0);
      if ((op & 1) == 0) setImm(rec, <u64>fetch8()); else addFl(rec, RF_CL);
      if (isMem(rec)) setOp(rec, O.OP_SHD_M); else { setOp(rec, O.OP_SHD_R); rmAsRm(rec, sz); }
      return;
    }
    case 0xc7: {
      const sz = osz();
      modrm(rec);
      if (!isMem(rec) && !pRep && !pRepne && (mRegRaw == 6 || mRegRaw == 7)) {
        // rdrand / rdseed r16/32/64.
        setOp(rec, O.OP_BMI); setX(rec, B.B_RDRAND); setSz(rec, sz); rmAsReg(rec, sz);
        return;
      }
      if (mRegRaw != 1 || !isMem(rec)) { unsupported(rec); return; }
      lockOk = true;
      setSz(rec, rexW ? 4 : 3);
      setOp(rec, O.OP_CMPXCHG8B);
      return;
    }
    default:
      unsupported(rec);
  }
}

function unsupported(rec: u32): void {
  setOp(rec, O.OP_UNSUPPORTED);
}

// ---- blocks -------------------------------------------------------------------------------------------------------
/**
 * Decodes the block starting at addr, caches it and returns it; 0 when the first instruction cannot be fetched
 * (a fetch fault exit is set) or addr is in a trap range (a trap exit is set).
 */
export function decodeBlock(addr: u64): u32 {
  if (arenaTop + BH_SIZE + BLOCK_MAX * RS > ARENA_END) flushBlocks();
  const b = arenaTop;
  blkVpn = addr >> 12;
  dVpn = NO_VPN;
  frame1 = NO_FRAME;
  frame2 = NO_FRAME;
  blkUser = 1;
  let n: u32 = 0;
  let a = addr;
  while (n < BLOCK_MAX) {
    if (n > 0 && (a >> 12) != blkVpn) break;
    if (inTrap(a)) {
      if (n == 0) {
        cpu.raiseTrap(a);
        return 0;
      }
      break;
    }
    const rec = b + BH_SIZE + n * RS;
    dStart = a;
    dFault = false;
    const f2before = frame2;
    decodeInsn(rec);
    if (dFault) {
      if (n == 0) return 0;
      // The instruction will fault when execution reaches it: end the block before it.
      resetExit();
      frame2 = f2before;
      break;
    }
    n++;
    a = (a + <u64>load<u8>(rec, R_LEN)) & linMask;
    const o = load<u16>(rec, R_OP);
    if ((load<u8>(rec, R_FL) & RF_BRANCH) != 0 || o == O.OP_UNSUPPORTED || o == O.OP_UD || o == O.OP_PRIVILEGED) break;
  }
  store<u64>(b, addr, BH_ADDR);
  store<u32>(b, n, BH_COUNT);
  store<u32>(b, frame1, BH_FRAME1);
  store<u32>(b, frame1 == NO_FRAME ? 0 : frameGen(frame1), BH_GEN1);
  store<u32>(b, frame2, BH_FRAME2);
  store<u32>(b, frame2 == NO_FRAME ? 0 : frameGen(frame2), BH_GEN2);
  store<u32>(b, (trapEpoch << 1) | blkUser, BH_USER);
  store<u32>(b, 0, BH_COV);
  arenaTop = b + BH_SIZE + n * RS;
  const e = bidxEntry(addr);
  store<u64>(e, addr);
  store<u32>(e, b, 8);
  return b;
}


export function setTrapCount(n: u32): void {
  trapCount = n;
}

// ---- SSE beyond decodeSse: OP_SSEX (sse.ts) --------------------------------------------------------------------------
/** An OP_SSEX record: xmm R_REG op= xmm R_RM / memory of width code w (16-byte aligned when align); imm8 when imm. */
function sx(rec: u32, kind: u16, w: u32, align: bool, imm: bool): bool {
  pOsz16 = false; pRep = false; pRepne = false;
  modrm(rec);
  setOp(rec, O.OP_SSEX);
  store<u16>(rec, kind, R_IMM2);
  store<u8>(rec, <u8>mReg, R_REG);
  if (!isMem(rec)) store<u8>(rec, <u8>mRm, R_RM);
  store<u8>(rec, <u8>(w | (align ? X.W_ALIGN : 0)), R_SZ2);
  if (imm) setImm(rec, <u64>fetch8());
  return true;
}
/** A floating-point OP_SSEX: ty 0 ps, 1 pd, 2 ss, 3 sd (the source width follows). */
function sxf(rec: u32, op: u16, ty: i32, imm: bool): bool {
  sx(rec, X.K_FP + op, ty == 2 ? 2 : ty == 3 ? 3 : 4, ty < 2, imm);
  setSz(rec, ty);
  return true;
}
/** Prefix class of an SSE opcode: 0 none, 1 66, 2 F3, 3 F2 (F2/F3 take precedence over 66, as the last of them). */
@inline function pfx(): i32 {
  return pRepne ? 3 : pRep ? 2 : pOsz16 ? 1 : 0;
}

/** 0F xx SSE forms that decodeSse leaves; false when op is none of them (the caller goes on). */
function decodeSseX(rec: u32, op: u32): bool {
  const p = pfx();
  switch (op) {
    case 0x12: if (p == 3) return sx(rec, X.K_MOVDDUP, 3, false, false); if (p == 2) return sx(rec, X.K_MOVSLDUP, 4, true, false); return false;
    case 0x16: if (p == 2) return sx(rec, X.K_MOVSHDUP, 4, true, false); return false;
    case 0x14: if (p < 2) return sx(rec, p == 0 ? X.K_UNPCKLPS : X.K_UNPCKLPD, 4, true, false); return false;
    case 0x15: if (p < 2) return sx(rec, p == 0 ? X.K_UNPCKHPS : X.K_UNPCKHPD, 4, true, false); return false;
    case 0x2a: {
      if (p < 2) return false; // cvtpi2ps/pd: MMX
      const sz = rexW ? 3 : 2;
      sx(rec, p == 2 ? X.K_CVTSI2SS : X.K_CVTSI2SD, 0, false, false);
      setSz(rec, sz);
      if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM);
      return true;
    }
    case 0x2b: { // movntps/movntpd m128, xmm: an aligned store
      if (p > 1) return false;
      pOsz16 = false;
      modrm(rec);
      if (!isMem(rec)) { setOp(rec, O.OP_UD); return true; }
      setOp(rec, O.OP_SSE_MOV); setX(rec, O.SSE_STORE); store<u8>(rec, 1, R_SZ2);
      store<u8>(rec, <u8>mReg, R_REG);
      return true;
    }
    case 0x2c: case 0x2d: {
      if (p < 2) return false;
      const t = op == 0x2c;
      const sz = rexW ? 3 : 2;
      sx(rec, p == 2 ? (t ? X.K_CVTTSS2SI : X.K_CVTSS2SI) : (t ? X.K_CVTTSD2SI : X.K_CVTSD2SI), 0, false, false);
      setSz(rec, sz);
      store<u8>(rec, <u8>(mReg << 3), R_REG);
      return true;
    }
    case 0x2e: case 0x2f: // ucomiss/comiss, ucomisd/comisd (no exceptions are raised: the two are the same here)
      if (p > 1) return false;
      sx(rec, X.K_COMIS, 0, false, false);
      setSz(rec, p == 0 ? 2 : 3);
      return true;
    case 0x50: {
      if (p > 1) return false;
      sx(rec, p == 0 ? X.K_MOVMSKPS : X.K_MOVMSKPD, 0, false, false);
      if (isMem(rec)) { setOp(rec, O.OP_UD); return true; }
      setSz(rec, 2);
      store<u8>(rec, <u8>(mReg << 3), R_REG);
      return true;
    }
    case 0x51: return sxf(rec, X.FP_SQRT, p == 0 ? 0 : p == 1 ? 1 : p == 2 ? 2 : 3, false);
    case 0x52: case 0x53: { // rsqrtps/rsqrtss, rcpps/rcpss
      if (p == 1 || p == 3) return false;
      sx(rec, op == 0x52 ? X.K_RSQRT : X.K_RCP, p == 0 ? 4 : 2, p == 0, false);
      setSz(rec, p == 0 ? 0 : 2);
      return true;
    }
    case 0xf7: { // maskmovdqu xmm1, xmm2 (register form only)
      if (p != 1) return false;
      sx(rec, X.K_MASKMOVDQU, 0, false, false);
      if (isMem(rec)) setOp(rec, O.OP_UD);
      return true;
    }
    case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
      const o: u16 = op == 0x58 ? X.FP_ADD : op == 0x59 ? X.FP_MUL : op == 0x5c ? X.FP_SUB : op == 0x5d ? X.FP_MIN : op == 0x5e ? X.FP_DIV : X.FP_MAX;
      return sxf(rec, o, p == 0 ? 0 : p == 1 ? 1 : p == 2 ? 2 : 3, false);
    }
    case 0x5a:
      if (p == 0) return sx(rec, X.K_CVTPS2PD, 3, false, false);
      if (p == 1) return sx(rec, X.K_CVTPD2PS, 4, true, false);
      if (p == 2) return sx(rec, X.K_CVTSS2SD, 2, false, false);
      return sx(rec, X.K_CVTSD2SS, 3, false, false);
    case 0x5b:
      if (p == 3) return false;
      return sx(rec, p == 0 ? X.K_CVTDQ2PS : p == 1 ? X.K_CVTPS2DQ : X.K_CVTTPS2DQ, 4, true, false);
    case 0x63: case 0x64: case 0x65: case 0x66: case 0x6b:
      if (p != 1) return false;
      return sx(rec, op == 0x63 ? X.K_PACKSSWB : op == 0x64 ? X.K_PCMPGTB : op == 0x65 ? X.K_PCMPGTW : op == 0x66 ? X.K_PCMPGTD : X.K_PACKSSDW, 4, true, false);
    case 0x70:
      if (p < 2) return false;
      return sx(rec, p == 2 ? X.K_PSHUFHW : X.K_PSHUFLW, 4, true, true);
    case 0x7c: case 0x7d:
      if (p == 1) return sxf(rec, op == 0x7c ? X.FP_HADD : X.FP_HSUB, 1, false);
      if (p == 3) return sxf(rec, op == 0x7c ? X.FP_HADD : X.FP_HSUB, 0, false);
      return false;
    case 0xc2: return sxf(rec, X.FP_CMP, p == 0 ? 0 : p == 1 ? 1 : p == 2 ? 2 : 3, true);
    case 0xc3: { // movnti m32/64, r32/64: a plain store
      if (p != 0) return false;
      const sz = rexW ? 3 : 2;
      modrm(rec);
      if (!isMem(rec)) { setOp(rec, O.OP_UD); return true; }
      setSz(rec, sz); setReg(rec, sz); setOp(rec, O.OP_MOV_MR);
      return true;
    }
    case 0xc4: {
      if (p != 1) return false;
      sx(rec, X.K_PINSR, 1, false, true);
      setSz(rec, 1);
      if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM);
      return true;
    }
    case 0xc5: {
      if (p != 1) return false;
      sx(rec, X.K_PEXTR, 0, false, true);
      if (isMem(rec)) { setOp(rec, O.OP_UD); return true; }
      setSz(rec, 1);
      // pextrw r32, xmm: here ModRM.reg is the general register and rm the xmm register.
      store<u8>(rec, <u8>mRm, R_REG);
      store<u8>(rec, <u8>(mReg << 3), R_RM);
      return true;
    }
    case 0xc6: if (p > 1) return false; return sx(rec, p == 0 ? X.K_SHUFPS : X.K_SHUFPD, 4, true, true);
    case 0xd0:
      if (p == 1) return sxf(rec, X.FP_ADDSUB, 1, false);
      if (p == 3) return sxf(rec, X.FP_ADDSUB, 0, false);
      return false;
    case 0xe6:
      if (p == 0) return false;
      return sx(rec, p == 1 ? X.K_CVTTPD2DQ : p == 2 ? X.K_CVTDQ2PD : X.K_CVTPD2DQ, p == 2 ? 3 : 4, p != 2, false);
    case 0xe7: { // movntdq m128, xmm
      if (p != 1) return false;
      pOsz16 = false;
      modrm(rec);
      if (!isMem(rec)) { setOp(rec, O.OP_UD); return true; }
      setOp(rec, O.OP_SSE_MOV); setX(rec, O.SSE_STORE); store<u8>(rec, 1, R_SZ2);
      store<u8>(rec, <u8>mReg, R_REG);
      return true;
    }
    case 0xf0: {
      if (p != 3) return false;
      sx(rec, X.K_COPY, 4, false, false);
      if (!isMem(rec)) setOp(rec, O.OP_UD);
      return true;
    }
    default: break;
  }
  if (p != 1) return false;
  let k: u16 = 0;
  switch (op) {
    case 0xd1: k = X.K_PSRLW; break;
    case 0xd2: k = X.K_PSRLD; break;
    case 0xd3: k = X.K_PSRLQ; break;
    case 0xd5: k = X.K_PMULLW; break;
    case 0xd8: k = X.K_PSUBUSB; break;
    case 0xd9: k = X.K_PSUBUSW; break;
    case 0xdc: k = X.K_PADDUSB; break;
    case 0xdd: k = X.K_PADDUSW; break;
    case 0xde: k = X.K_PMAXUB; break;
    case 0xe0: k = X.K_PAVGB; break;
    case 0xe1: k = X.K_PSRAW; break;
    case 0xe2: k = X.K_PSRAD; break;
    case 0xe3: k = X.K_PAVGW; break;
    case 0xe4: k = X.K_PMULHUW; break;
    case 0xe5: k = X.K_PMULHW; break;
    case 0xe8: k = X.K_PSUBSB; break;
    case 0xe9: k = X.K_PSUBSW; break;
    case 0xea: k = X.K_PMINSW; break;
    case 0xec: k = X.K_PADDSB; break;
    case 0xed: k = X.K_PADDSW; break;
    case 0xee: k = X.K_PMAXSW; break;
    case 0xf1: k = X.K_PSLLW; break;
    case 0xf2: k = X.K_PSLLD; break;
    case 0xf3: k = X.K_PSLLQ; break;
    case 0xf4: k = X.K_PMULUDQ; break;
    case 0xf5: k = X.K_PMADDWD; break;
    case 0xf6: k = X.K_PSADBW; break;
    default: return false;
  }
  return sx(rec, k, 4, true, false);
}

/** 0F 38 xx: SSSE3/SSE4.1/SSE4.2 (66), movbe (none or 66), crc32 (F2). */
function decode38(rec: u32): void {
  const op = fetch8();
  const p = pfx();
  if (op == 0xf6 && (p == 1 || p == 2)) {
    // adcx (66), adox (F3): r32/64 += r/m with CF / OF.
    const sz = rexW ? 3 : 2;
    pOsz16 = false; pRep = false;
    modrm(rec);
    setOp(rec, O.OP_BMI); setX(rec, p == 1 ? B.B_ADCX : B.B_ADOX); setSz(rec, sz);
    store<u8>(rec, <u8>(mReg << 3), R_REG);
    store<u8>(rec, <u8>(mReg << 3), R_SZ2);
    if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM);
    return;
  }
  if (op == 0xf0 || op == 0xf1) {
    if (p == 3) {
      // crc32 r32/64, r/m8 (F0) or r/m16/32/64 (F1).
      const src = op == 0xf0 ? 0 : rexW ? 3 : pOsz16 ? 1 : 2;
      const dst = rexW ? 3 : 2;
      sx(rec, X.K_CRC32, 0, false, false);
      setSz(rec, src);
      store<u8>(rec, <u8>dst, R_SZ2);
      store<u8>(rec, <u8>(mReg << 3), R_REG);
      if (!isMem(rec)) store<u8>(rec, regOff(mRm, src), R_RM);
      return;
    }
    if (p == 2) { unsupported(rec); return; }
    const sz = osz();
    sx(rec, op == 0xf0 ? X.K_MOVBE_LOAD : X.K_MOVBE_STORE, 0, false, false);
    if (!isMem(rec)) { setOp(rec, O.OP_UD); return; }
    setSz(rec, sz);
    store<u8>(rec, <u8>(mReg << 3), R_REG);
    return;
  }
  if (p != 1) { unsupported(rec); return; }
  let k: u16 = 0;
  let w: u32 = 4;
  switch (op) {
    case 0x00: k = X.K_PSHUFB; break;
    case 0x01: k = X.K_PHADDW; break;
    case 0x02: k = X.K_PHADDD; break;
    case 0x03: k = X.K_PHADDSW; break;
    case 0x04: k = X.K_PMADDUBSW; break;
    case 0x05: k = X.K_PHSUBW; break;
    case 0x06: k = X.K_PHSUBD; break;
    case 0x07: k = X.K_PHSUBSW; break;
    case 0x08: k = X.K_PSIGNB; break;
    case 0x09: k = X.K_PSIGNW; break;
    case 0x0a: k = X.K_PSIGND; break;
    case 0x0b: k = X.K_PMULHRSW; break;
    case 0x10: k = X.K_PBLENDVB; break;
    case 0x14: k = X.K_BLENDVPS; break;
    case 0x15: k = X.K_BLENDVPD; break;
    case 0x17: k = X.K_PTEST; break;
    case 0x1c: k = X.K_PABSB; break;
    case 0x1d: k = X.K_PABSW; break;
    case 0x1e: k = X.K_PABSD; break;
    case 0x28: k = X.K_PMULDQ; break;
    case 0x29: k = X.K_PCMPEQQ; break;
    case 0x2a: {
      sx(rec, X.K_COPY, 4, true, false);
      if (!isMem(rec)) setOp(rec, O.OP_UD);
      return;
    }
    case 0x2b: k = X.K_PACKUSDW; break;
    case 0x37: k = X.K_PCMPGTQ; break;
    case 0x38: k = X.K_PMINSB; break;
    case 0x39: k = X.K_PMINSD; break;
    case 0x3a: k = X.K_PMINUW; break;
    case 0x3b: k = X.K_PMINUD; break;
    case 0x3c: k = X.K_PMAXSB; break;
    case 0x3d: k = X.K_PMAXSD; break;
    case 0x3e: k = X.K_PMAXUW; break;
    case 0x3f: k = X.K_PMAXUD; break;
    case 0x40: k = X.K_PMULLD; break;
    case 0x41: k = X.K_PHMINPOSUW; break;
    default: {
      if ((op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35)) {
        const f = op & 7;
        k = X.K_PMOVX + <u16>f + (op < 0x30 ? 8 : 0);
        // Memory source: half, quarter or eighth of 16 bytes, unaligned.
        w = f == 0 || f == 3 || f == 5 ? 3 : f == 1 || f == 4 ? 2 : 1;
        sx(rec, k, w, false, false);
        return;
      }
      unsupported(rec);
      return;
    }
  }
  sx(rec, k, w, true, false);
}

/** 0F 3A xx imm8 (66): SSSE3 palignr, SSE4.1 round/blend/insert/extract. */
function decode3A(rec: u32): void {
  const op = fetch8();
  if (pfx() != 1) { unsupported(rec); return; }
  switch (op) {
    case 0x08: sxf(rec, X.FP_ROUND, 0, true); return;
    case 0x09: sxf(rec, X.FP_ROUND, 1, true); return;
    case 0x0a: sxf(rec, X.FP_ROUND, 2, true); return;
    case 0x0b: sxf(rec, X.FP_ROUND, 3, true); return;
    case 0x0c: sx(rec, X.K_BLENDPS, 4, true, true); return;
    case 0x0d: sx(rec, X.K_BLENDPD, 4, true, true); return;
    case 0x0e: sx(rec, X.K_PBLENDW, 4, true, true); return;
    case 0x0f: sx(rec, X.K_PALIGNR, 4, true, true); return;
    case 0x40: sx(rec, X.K_DPPS, 4, true, true); return;
    case 0x41: sx(rec, X.K_DPPD, 4, true, true); return;
    case 0x42: sx(rec, X.K_MPSADBW, 4, true, true); return;
    case 0x60: case 0x61: case 0x62: case 0x63: {
      // pcmpestrm, pcmpestri, pcmpistrm, pcmpistri: no alignment required for the memory operand.
      const w = rexW ? 3 : 2;
      sx(rec, op == 0x60 ? X.K_PCMPESTRM : op == 0x61 ? X.K_PCMPESTRI : op == 0x62 ? X.K_PCMPISTRM : X.K_PCMPISTRI, 4, false, true);
      setSz(rec, w);
      return;
    }
    case 0x14: case 0x15: case 0x16: case 0x17: {
      // pextrb, pextrw, pextrd/q, extractps r/m, xmm, imm8.
      const w = rexW;
      const sz = op == 0x14 ? 0 : op == 0x15 ? 1 : op == 0x16 && w ? 3 : 2;
      sx(rec, X.K_PEXTR, 0, false, true);
      setSz(rec, sz);
      if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM);
      if (w && sz == 3) store<u8>(rec, 0x40, R_SZ2);
      return;
    }
    case 0x20: case 0x22: {
      const sz = op == 0x20 ? 0 : rexW ? 3 : 2;
      sx(rec, X.K_PINSR, 0, false, true);
      setSz(rec, sz);
      if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM);
      return;
    }
    case 0x21: {
      sx(rec, X.K_INSERTPS, 2, false, true);
      // A memory source is the 32 bits read (imm8[7:6] does not select): clear the selector for it.
      if (isMem(rec)) setImm(rec, load<u64>(rec, R_IMM) & 0x3f);
      return;
    }
    default: unsupported(rec);
  }
}

/** VEX (C4 / C5): the BMI1/BMI2 general-register instructions; the AVX forms stay unsupported (no AVX in CPUID). */
function decodeVex(rec: u32, op: u32): void {
  if (!long) {
    // In 32-bit mode C4/C5 are les/lds unless ModRM.mod would be 11.
    const nx = fetch8();
    dPos--;
    if ((nx >> 6) != 3) { unsupported(rec); return; }
  }
  const b1 = fetch8();
  let map: u32 = 1, w = false, vvvv: u32, l: u32, pp: u32;
  if (op == 0xc5) {
    rexR = ((~b1 >> 7) & 1) << 3; rexX = 0; rexB = 0;
    vvvv = (~b1 >> 3) & 15; l = (b1 >> 2) & 1; pp = b1 & 3;
  } else {
    rexR = ((~b1 >> 7) & 1) << 3; rexX = ((~b1 >> 6) & 1) << 3; rexB = ((~b1 >> 5) & 1) << 3;
    map = b1 & 31;
    const b2 = fetch8();
    w = (b2 >> 7) != 0; vvvv = (~b2 >> 3) & 15; l = (b2 >> 2) & 1; pp = b2 & 3;
  }
  if (!long) { rexR = 0; rexX = 0; rexB = 0; vvvv &= 7; }
  const opc = fetch8();
  // A 66, F2, F3 or REX prefix before VEX is #UD.
  const bad = pOsz16 || pRep || pRepne || hasRex;
  hasRex = false; rexW = false; pOsz16 = false; pRep = false; pRepne = false;
  const sz = long && w ? 3 : 2;
  let k: i32 = -1;
  if (map == 2) {
    if (opc == 0xf2 && pp == 0) k = B.B_ANDN;
    else if (opc == 0xf3 && pp == 0) k = 0x100; // group 17: by ModRM.reg
    else if (opc == 0xf5) k = pp == 0 ? B.B_BZHI : pp == 2 ? B.B_PEXT : pp == 3 ? B.B_PDEP : -1;
    else if (opc == 0xf6 && pp == 3) k = B.B_MULX;
    else if (opc == 0xf7) k = pp == 0 ? B.B_BEXTR : pp == 1 ? B.B_SHLX : pp == 2 ? B.B_SARX : B.B_SHRX;
  } else if (map == 3 && opc == 0xf0 && pp == 3) k = B.B_RORX;
  if (k < 0) { unsupported(rec); return; }
  modrm(rec);
  if (k == 0x100) {
    k = mRegRaw == 1 ? B.B_BLSR : mRegRaw == 2 ? B.B_BLSMSK : mRegRaw == 3 ? B.B_BLSI : -1;
    if (k < 0) { unsupported(rec); return; }
    store<u8>(rec, <u8>(vvvv << 3), R_REG);
  } else {
    store<u8>(rec, <u8>(mReg << 3), R_REG);
  }
  setOp(rec, O.OP_BMI); setX(rec, <u32>k); setSz(rec, sz);
  store<u8>(rec, <u8>(vvvv << 3), R_SZ2);
  if (!isMem(rec)) store<u8>(rec, <u8>(mRm << 3), R_RM);
  if (k == B.B_RORX) {
    setImm(rec, <u64>fetch8());
    // VEX.vvvv must be 1111 (register number 0 once inverted).
    if (vvvv != 0) { setOp(rec, O.OP_UD); return; }
  }
  if (bad || l != 0) setOp(rec, O.OP_UD);
}
