// The decoder: x86 / x86-64 machine code → blocks of fixed-size decoded records (layout.ts), decoded once and
// cached by start address until a write to their page, an unmap or a protection change drops them.
//
// Prefixes, REX, ModRM/SIB, displacements, immediates and operand/address size are resolved here, so the
// handlers in exec.ts see only register offsets, a ready displacement (rip-relative already made absolute),
// sizes and immediates. Opcodes the core does not implement become OP_UNSUPPORTED records: the run stops
// there with an unsupported-instruction exit naming the bytes, so a gap is never silent.

import {
  REG_ZERO, TRAPS, BIDX, BIDX_SIZE, ARENA, ARENA_END, BH_ADDR, BH_COUNT, BH_FRAME1, BH_GEN1, BH_FRAME2,
  BH_GEN2, BH_USER, BH_SIZE, NO_FRAME, BLOCK_MAX, R_OP, R_LEN, R_SZ, R_REG, R_RM, R_IDX, R_SCALE, R_SEG, R_ASZ, R_X, R_FL,
  R_SZ2, R_DISP, R_IMM, R_IMM2, R_ADDR, RS, RF_BRANCH, RF_REP, RF_REPNE, RF_MEM, RF_CL, NO_VPN,
} from './layout';
import { long, linMask, resetExit } from './cpu';
import * as cpu from './cpu';
import { fetchHost, markCode, frameOf, frameGen, lastProt, PROT_USER } from './mem';
import * as O from './ops';

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
    // movhlps/movlhps; with 66 they are #UD. F3/F2 (movsldup, movshdup, movddup) are SSE3, which CPUID does not
    // announce (f2 is turned away above).
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
      if (g > 3 && g != 7) { unsupported(rec); return; }
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
      modrm(rec);
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
  arenaTop = b + BH_SIZE + n * RS;
  const e = bidxEntry(addr);
  store<u64>(e, addr);
  store<u32>(e, b, 8);
  return b;
}


export function setTrapCount(n: u32): void {
  trapCount = n;
}
