// The SSE/SSE2/SSE3/SSSE3/SSE4.1/SSE4.2 operations beyond plain moves and the first integer set (exec.ts has those),
// plus crc32 and movbe. One handler, OP_SSEX: the decoder (decode.ts decodeSseX) leaves the kind (K_* below) in
// R_IMM2, the source's memory width and alignment in R_SZ2, xmm numbers (or general register offsets) in R_REG and
// R_RM, and imm8 in R_IMM. The source is read first (a fault commits nothing), then the result is built in SCRATCH
// and copied to the destination, since source and destination may be the same register.
//
// Floating point follows the SDM for MXCSR's reset rounding (nearest, no FTZ/DAZ): NaN operands give the first
// source's NaN made quiet, invalid operations the default NaN (negative, quiet). Other rounding modes stop with an
// unsupported-instruction exit rather than round wrongly. The exception flags of MXCSR are not raised.

import { XMM, SCRATCH, REGS, SEGBASE, WMASKS, R_REG, R_RM, R_IDX, R_SCALE, R_SEG, R_ASZ, R_FL, R_SZ, R_SZ2, R_DISP, R_IMM, R_IMM2, R_ADDR, RF_MEM } from './layout';
import * as C from './cpu';
import { mask, flt, linMask, ARITH } from './cpu';
import { rd, wr } from './mem';
import { rget, rset, ea, isMem } from './operand';

// ---- kinds ----------------------------------------------------------------------------------------------------------
// Integer, two operands (xmm op= xmm/m128).
export const K_PADDSB: u16 = 1;
export const K_PADDSW: u16 = 2;
export const K_PADDUSB: u16 = 3;
export const K_PADDUSW: u16 = 4;
export const K_PSUBSB: u16 = 5;
export const K_PSUBSW: u16 = 6;
export const K_PSUBUSB: u16 = 7;
export const K_PSUBUSW: u16 = 8;
export const K_PMULLW: u16 = 9;
export const K_PMULHW: u16 = 10;
export const K_PMULHUW: u16 = 11;
export const K_PMULUDQ: u16 = 12;
export const K_PMADDWD: u16 = 13;
export const K_PSADBW: u16 = 14;
export const K_PAVGB: u16 = 15;
export const K_PAVGW: u16 = 16;
export const K_PMAXUB: u16 = 17;
export const K_PMAXSW: u16 = 18;
export const K_PMINSW: u16 = 19;
export const K_PCMPGTB: u16 = 20;
export const K_PCMPGTW: u16 = 21;
export const K_PCMPGTD: u16 = 22;
export const K_PACKSSWB: u16 = 23;
export const K_PACKSSDW: u16 = 24;
/** Shifts by the low qword of xmm/m128 (0F D1-D3, E1-E2, F1-F3). */
export const K_PSRLW: u16 = 25;
export const K_PSRLD: u16 = 26;
export const K_PSRLQ: u16 = 27;
export const K_PSRAW: u16 = 28;
export const K_PSRAD: u16 = 29;
export const K_PSLLW: u16 = 30;
export const K_PSLLD: u16 = 31;
export const K_PSLLQ: u16 = 32;
export const K_PSHUFHW: u16 = 33;
export const K_PSHUFLW: u16 = 34;
export const K_PSHUFB: u16 = 35;
export const K_PALIGNR: u16 = 36;
export const K_PHADDW: u16 = 37;
export const K_PHADDD: u16 = 38;
export const K_PHADDSW: u16 = 39;
export const K_PMADDUBSW: u16 = 40;
export const K_PHSUBW: u16 = 41;
export const K_PHSUBD: u16 = 42;
export const K_PHSUBSW: u16 = 43;
export const K_PSIGNB: u16 = 44;
export const K_PSIGNW: u16 = 45;
export const K_PSIGND: u16 = 46;
export const K_PMULHRSW: u16 = 47;
export const K_PABSB: u16 = 48;
export const K_PABSW: u16 = 49;
export const K_PABSD: u16 = 50;
export const K_PBLENDVB: u16 = 51;
export const K_BLENDVPS: u16 = 52;
export const K_BLENDVPD: u16 = 53;
export const K_PMULDQ: u16 = 54;
export const K_PCMPEQQ: u16 = 55;
export const K_PACKUSDW: u16 = 56;
export const K_PCMPGTQ: u16 = 57;
export const K_PMINSB: u16 = 58;
export const K_PMINSD: u16 = 59;
export const K_PMINUW: u16 = 60;
export const K_PMINUD: u16 = 61;
export const K_PMAXSB: u16 = 62;
export const K_PMAXSD: u16 = 63;
export const K_PMAXUW: u16 = 64;
export const K_PMAXUD: u16 = 65;
export const K_PMULLD: u16 = 66;
export const K_PHMINPOSUW: u16 = 67;
/** pmovsx/pmovzx: K_PMOVX + (sign ? 8 : 0) + form (0 bw, 1 bd, 2 bq, 3 wd, 4 wq, 5 dq). */
export const K_PMOVX: u16 = 68; // .. 81
export const K_BLENDPS: u16 = 82;
export const K_BLENDPD: u16 = 83;
export const K_PBLENDW: u16 = 84;
export const K_INSERTPS: u16 = 85;
export const K_UNPCKLPS: u16 = 86;
export const K_UNPCKHPS: u16 = 87;
export const K_UNPCKLPD: u16 = 88;
export const K_UNPCKHPD: u16 = 89;
export const K_SHUFPS: u16 = 90;
export const K_SHUFPD: u16 = 91;
export const K_MOVDDUP: u16 = 92;
export const K_MOVSLDUP: u16 = 93;
export const K_MOVSHDUP: u16 = 94;
/** lddqu, movntdqa: the source as is. */
export const K_COPY: u16 = 95;
export const K_PTEST: u16 = 96;
export const K_DPPS: u16 = 97;
export const K_DPPD: u16 = 98;
export const K_MPSADBW: u16 = 99;
// Floating point: K_FP + op; R_SZ: 0 ps, 1 pd, 2 ss, 3 sd.
export const K_FP: u16 = 100;
export const FP_ADD: u16 = 0;
export const FP_MUL: u16 = 1;
export const FP_SUB: u16 = 2;
export const FP_MIN: u16 = 3;
export const FP_DIV: u16 = 4;
export const FP_MAX: u16 = 5;
export const FP_SQRT: u16 = 6;
export const FP_CMP: u16 = 7;
export const FP_HADD: u16 = 8;
export const FP_HSUB: u16 = 9;
export const FP_ADDSUB: u16 = 10;
export const FP_ROUND: u16 = 11;
export const K_FP_END: u16 = 112;
// Conversions.
export const K_CVTPS2PD: u16 = 120;
export const K_CVTPD2PS: u16 = 121;
export const K_CVTSS2SD: u16 = 122;
export const K_CVTSD2SS: u16 = 123;
export const K_CVTDQ2PS: u16 = 124;
export const K_CVTPS2DQ: u16 = 125;
export const K_CVTTPS2DQ: u16 = 126;
export const K_CVTDQ2PD: u16 = 127;
export const K_CVTPD2DQ: u16 = 128;
export const K_CVTTPD2DQ: u16 = 129;
// With a general register or flags as an operand (R_SZ: the general operand's size code).
/** cvtsi2ss/cvtsi2sd xmm, r/m32/64: R_RM a register offset (register form); R_SZ2 low bits: 2 ss, 3 sd. */
export const K_CVTSI2SS: u16 = 140;
export const K_CVTSI2SD: u16 = 141;
/** cvt(t)ss2si / cvt(t)sd2si r32/64, xmm/m: R_REG a register offset. */
export const K_CVTSS2SI: u16 = 142;
export const K_CVTTSS2SI: u16 = 143;
export const K_CVTSD2SI: u16 = 144;
export const K_CVTTSD2SI: u16 = 145;
export const K_MOVMSKPS: u16 = 146;
export const K_MOVMSKPD: u16 = 147;
/** comiss/ucomiss (R_SZ 2) and comisd/ucomisd (3). */
export const K_COMIS: u16 = 148;
/** pextrb/w/d/q, extractps r/m, xmm, imm8: R_SZ the element size code; R_RM a register offset (register form). */
export const K_PEXTR: u16 = 149;
/** pinsrb/w/d/q xmm, r/m, imm8: R_SZ the element size code; R_RM a register offset (register form). */
export const K_PINSR: u16 = 150;
/** crc32 r32/64, r/m8/16/32/64: R_SZ the source size, R_SZ2 the destination size; R_RM a register offset. */
export const K_CRC32: u16 = 151;
/** movbe r, m (R_X... R_SZ size) and movbe m, r. */
export const K_MOVBE_LOAD: u16 = 152;
export const K_MOVBE_STORE: u16 = 153;
/** pcmpestri, pcmpestrm, pcmpistri, pcmpistrm xmm1, xmm2/m128, imm8 (R_SZ 3: REX.W, rax/rdx hold the lengths). */
export const K_PCMPESTRI: u16 = 154;
export const K_PCMPESTRM: u16 = 155;
export const K_PCMPISTRI: u16 = 156;
export const K_PCMPISTRM: u16 = 157;
/** rcpps/rcpss, rsqrtps/rsqrtss (R_SZ 0 packed, 2 scalar): see recip(). */
export const K_RCP: u16 = 158;
export const K_RSQRT: u16 = 159;
/** maskmovdqu xmm1, xmm2: the bytes of xmm1 whose xmm2 byte has its top bit set, stored at [rdi] (R_ASZ). */
export const K_MASKMOVDQU: u16 = 160;

/** R_SZ2: the memory source width code (0 byte .. 4 16 bytes) and, in bit 7, that it must be 16-byte aligned. */
export const W_ALIGN: u8 = 0x80;

// ---- operands ---------------------------------------------------------------------------------------------------------
@inline function xmm(i: u32): u32 {
  return XMM + (i << 4);
}

const S: u32 = SCRATCH; // the source operand's 16 bytes
const T: u32 = SCRATCH + 16; // the result being built

/** Reads the source (xmm R_RM, or memory of R_SZ2's width, zero-extended) into S; false when the read faulted. */
function loadSrc(p: u32): bool {
  if (!isMem(p)) {
    memory.copy(S, xmm(load<u8>(p, R_RM)), 16);
    return true;
  }
  const w: u32 = load<u8>(p, R_SZ2);
  const a = ea(p);
  if ((w & W_ALIGN) != 0 && (a & 15) != 0) { C.raiseInterrupt(13, load<u64>(p, R_ADDR)); return false; }
  const n = w & 7;
  if (n == 4) {
    const lo = rd(a, 3);
    if (flt) return false;
    const hi = rd((a + 8) & linMask, 3);
    if (flt) return false;
    store<u64>(S, lo);
    store<u64>(S, hi, 8);
    return true;
  }
  const v = rd(a, <i32>n);
  if (flt) return false;
  store<u64>(S, v);
  store<u64>(S, 0, 8);
  return true;
}

// ---- helpers ------------------------------------------------------------------------------------------------------------
@inline function satS8(v: i32): i32 { return v < -128 ? -128 : v > 127 ? 127 : v; }
@inline function satU8(v: i32): i32 { return v < 0 ? 0 : v > 255 ? 255 : v; }
@inline function satS16(v: i32): i32 { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }
@inline function satU16(v: i32): i32 { return v < 0 ? 0 : v > 65535 ? 65535 : v; }

@inline function isNan32(b: u32): bool { return (b & 0x7fffffff) > 0x7f800000; }
@inline function isNan64(b: u64): bool { return (b & 0x7fffffffffffffff) > 0x7ff0000000000000; }
const DEFAULT_NAN32: u32 = 0xffc00000;
const DEFAULT_NAN64: u64 = 0xfff8000000000000;

/** MXCSR as the core keeps it (exec.ts owns it; read through this hook). */
export let mxcsrNow: u64 = 0x1f80;
export function setMxcsrMirror(v: u64): void {
  mxcsrNow = v;
}

/** Rounding of conversions: 0 nearest, 1 down, 2 up, 3 toward zero (MXCSR.RC). */
@inline function rc(): u32 {
  return <u32>(mxcsrNow >> 13) & 3;
}

function round64(x: f64, mode: u32): f64 {
  switch (mode) {
    case 0: return nearest<f64>(x);
    case 1: return floor<f64>(x);
    case 2: return ceil<f64>(x);
    default: return trunc<f64>(x);
  }
}

/** f64 → i32 with x86's integer indefinite (0x80000000) for NaN and out-of-range values. */
function cvtI32(x: f64, mode: u32): u32 {
  if (x != x) return 0x80000000;
  const r = round64(x, mode);
  if (r >= 2147483648.0 || r < -2147483648.0) return 0x80000000;
  return <u32><i32>r;
}
function cvtI64(x: f64, mode: u32): u64 {
  if (x != x) return 0x8000000000000000;
  const r = round64(x, mode);
  if (r >= 9223372036854775808.0 || r < -9223372036854775808.0) return 0x8000000000000000;
  return <u64><i64>r;
}

/** f32 bits → f64 bits, NaNs kept quiet with their payload (wasm's promote may change a NaN's bits). */
function f32to64(b: u32): u64 {
  if (isNan32(b)) return (<u64>(b >> 31) << 63) | 0x7ff8000000000000 | (<u64>(b & 0x3fffff) << 29);
  return reinterpret<u64>(<f64>reinterpret<f32>(b));
}
function f64to32(b: u64): u32 {
  if (isNan64(b)) return (<u32>(b >> 63) << 31) | 0x7fc00000 | <u32>((b >> 29) & 0x3fffff);
  return reinterpret<u32>(<f32>reinterpret<f64>(b));
}

/** One single-precision lane of a two-operand arithmetic op, with the SDM's NaN rules. */
function op32(op: u32, a: u32, b: u32, imm: u32): u32 {
  if (op == FP_MIN || op == FP_MAX) {
    // Either operand NaN, or both zeros: the second operand.
    if (isNan32(a) || isNan32(b)) return b;
    const x = reinterpret<f32>(a), y = reinterpret<f32>(b);
    if (x == y) return b;
    return op == FP_MIN ? (x < y ? a : b) : (x > y ? a : b);
  }
  if (op == FP_CMP) return cmp64(<f64>reinterpret<f32>(a), <f64>reinterpret<f32>(b), imm) ? 0xffffffff : 0;
  if (op == FP_SQRT) {
    if (isNan32(b)) return b | 0x400000;
    const r = reinterpret<u32>(sqrt<f32>(reinterpret<f32>(b)));
    return isNan32(r) ? DEFAULT_NAN32 : r;
  }
  if (op == FP_ROUND) {
    if (isNan32(b)) return b | 0x400000;
    const m = (imm & 4) != 0 ? rc() : imm & 3;
    return reinterpret<u32>(<f32>round64(<f64>reinterpret<f32>(b), m));
  }
  if (isNan32(a)) return a | 0x400000;
  if (isNan32(b)) return b | 0x400000;
  const x = reinterpret<f32>(a), y = reinterpret<f32>(b);
  let r: f32;
  switch (op) {
    case FP_ADD: r = x + y; break;
    case FP_SUB: r = x - y; break;
    case FP_MUL: r = x * y; break;
    default: r = x / y;
  }
  const rb = reinterpret<u32>(r);
  return isNan32(rb) ? DEFAULT_NAN32 : rb;
}

function op64(op: u32, a: u64, b: u64, imm: u32): u64 {
  if (op == FP_MIN || op == FP_MAX) {
    if (isNan64(a) || isNan64(b)) return b;
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    if (x == y) return b;
    return op == FP_MIN ? (x < y ? a : b) : (x > y ? a : b);
  }
  if (op == FP_CMP) return cmp64(reinterpret<f64>(a), reinterpret<f64>(b), imm) ? 0xffffffffffffffff : 0;
  if (op == FP_SQRT) {
    if (isNan64(b)) return b | 0x8000000000000;
    const r = reinterpret<u64>(sqrt<f64>(reinterpret<f64>(b)));
    return isNan64(r) ? DEFAULT_NAN64 : r;
  }
  if (op == FP_ROUND) {
    if (isNan64(b)) return b | 0x8000000000000;
    const m = (imm & 4) != 0 ? rc() : imm & 3;
    return reinterpret<u64>(round64(reinterpret<f64>(b), m));
  }
  if (isNan64(a)) return a | 0x8000000000000;
  if (isNan64(b)) return b | 0x8000000000000;
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
  let r: f64;
  switch (op) {
    case FP_ADD: r = x + y; break;
    case FP_SUB: r = x - y; break;
    case FP_MUL: r = x * y; break;
    default: r = x / y;
  }
  const rb = reinterpret<u64>(r);
  return isNan64(rb) ? DEFAULT_NAN64 : rb;
}

/** cmpps/cmpss predicates 0-7 (imm8 bits 2:0): eq, lt, le, unord, neq, nlt, nle, ord. */
function cmp64(x: f64, y: f64, imm: u32): bool {
  const un = x != x || y != y;
  switch (imm & 7) {
    case 0: return !un && x == y;
    case 1: return !un && x < y;
    case 2: return !un && x <= y;
    case 3: return un;
    case 4: return un || x != y;
    case 5: return un || !(x < y);
    case 6: return un || !(x <= y);
    default: return !un;
  }
}

/**
 * Under MXCSR other than the reset rounding (RC, FTZ) the kinds that round (wasm rounds to nearest, keeps denormals)
 * cannot run; comparisons, min/max, roundps and the conversions that use MXCSR.RC themselves can. With DAZ set no
 * floating-point kind can (denormal inputs would count as zeros).
 */
function wouldRoundDifferently(k: u16, fpKind: bool): bool {
  const isFp = fpKind || (k >= K_CVTPS2PD && k <= K_CVTTPD2DQ) || k == K_DPPS || k == K_DPPD;
  if (!isFp) return false;
  if (daz()) return true;
  if (fpKind) {
    const op = k - K_FP;
    return op != FP_CMP && op != FP_MIN && op != FP_MAX && op != FP_ROUND;
  }
  return k == K_CVTPD2PS || k == K_CVTSD2SS || k == K_CVTDQ2PS || k == K_DPPS || k == K_DPPD;
}

/** MXCSR.DAZ: denormal inputs would count as zeros. */
@inline function daz(): bool {
  return (mxcsrNow & 0x40) != 0;
}

/** A rounding mode or flush setting other than MXCSR's reset one: arithmetic would round differently from wasm. */
@inline function nonDefaultFp(): bool {
  return (mxcsrNow & 0xe040) != 0;
}

function crc32c(crc: u32, v: u64, n: u32): u32 {
  for (let i: u32 = 0; i < n; i++) {
    crc ^= <u32>(v >> (<u64>i << 3)) & 0xff;
    for (let k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78 & (0 - (crc & 1)));
  }
  return crc;
}

// ---- the handler --------------------------------------------------------------------------------------------------------
export function sseX(p: u32): void {
  const k: u16 = load<u16>(p, R_IMM2);
  if (k >= K_CVTSI2SS) { sseGeneral(p, k); return; }
  const fpKind = k >= K_FP && k < K_FP_END;
  if ((mxcsrNow & 0xe040) != 0 && wouldRoundDifferently(k, fpKind)) {
    C.raiseUnsupported(load<u64>(p, R_ADDR));
    return;
  }
  if (!loadSrc(p)) return;
  const x = xmm(load<u8>(p, R_REG));
  const imm = <u32>load<u64>(p, R_IMM);
  memory.copy(T, x, 16);
  if (fpKind) {
    fp(<u32>(k - K_FP), load<u8>(p, R_SZ), x, imm);
  } else {
    intOp(k, x, imm);
  }
  memory.copy(x, T, 16);
}

function fp(op: u32, ty: u32, x: u32, imm: u32): void {
  if (op == FP_HADD || op == FP_HSUB || op == FP_ADDSUB) {
    const o: u32 = op == FP_HSUB ? FP_SUB : FP_ADD;
    if (ty == 0) {
      if (op == FP_ADDSUB) {
        for (let i: u32 = 0; i < 4; i++) store<u32>(T + 4 * i, op32((i & 1) == 0 ? FP_SUB : FP_ADD, load<u32>(x + 4 * i), load<u32>(S + 4 * i), 0));
      } else {
        store<u32>(T, op32(o, load<u32>(x), load<u32>(x, 4), 0));
        store<u32>(T + 4, op32(o, load<u32>(x, 8), load<u32>(x, 12), 0));
        store<u32>(T + 8, op32(o, load<u32>(S), load<u32>(S, 4), 0));
        store<u32>(T + 12, op32(o, load<u32>(S, 8), load<u32>(S, 12), 0));
      }
    } else {
      if (op == FP_ADDSUB) {
        store<u64>(T, op64(FP_SUB, load<u64>(x), load<u64>(S), 0));
        store<u64>(T + 8, op64(FP_ADD, load<u64>(x, 8), load<u64>(S, 8), 0));
      } else {
        store<u64>(T, op64(o, load<u64>(x), load<u64>(x, 8), 0));
        store<u64>(T + 8, op64(o, load<u64>(S), load<u64>(S, 8), 0));
      }
    }
    return;
  }
  switch (ty) {
    case 0: for (let i: u32 = 0; i < 16; i += 4) store<u32>(T + i, op32(op, load<u32>(x + i), load<u32>(S + i), imm)); return;
    case 1: for (let i: u32 = 0; i < 16; i += 8) store<u64>(T + i, op64(op, load<u64>(x + i), load<u64>(S + i), imm)); return;
    case 2: store<u32>(T, op32(op, load<u32>(x), load<u32>(S), imm)); return;
    default: store<u64>(T, op64(op, load<u64>(x), load<u64>(S), imm));
  }
}

function intOp(k: u16, x: u32, imm: u32): void {
  switch (k) {
    case K_PADDSB: for (let i: u32 = 0; i < 16; i++) store<i8>(T + i, <i8>satS8(<i32>load<i8>(x + i) + <i32>load<i8>(S + i))); return;
    case K_PADDSW: for (let i: u32 = 0; i < 16; i += 2) store<i16>(T + i, <i16>satS16(<i32>load<i16>(x + i) + <i32>load<i16>(S + i))); return;
    case K_PADDUSB: for (let i: u32 = 0; i < 16; i++) store<u8>(T + i, <u8>satU8(<i32>load<u8>(x + i) + <i32>load<u8>(S + i))); return;
    case K_PADDUSW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, <u16>satU16(<i32>load<u16>(x + i) + <i32>load<u16>(S + i))); return;
    case K_PSUBSB: for (let i: u32 = 0; i < 16; i++) store<i8>(T + i, <i8>satS8(<i32>load<i8>(x + i) - <i32>load<i8>(S + i))); return;
    case K_PSUBSW: for (let i: u32 = 0; i < 16; i += 2) store<i16>(T + i, <i16>satS16(<i32>load<i16>(x + i) - <i32>load<i16>(S + i))); return;
    case K_PSUBUSB: for (let i: u32 = 0; i < 16; i++) store<u8>(T + i, <u8>satU8(<i32>load<u8>(x + i) - <i32>load<u8>(S + i))); return;
    case K_PSUBUSW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, <u16>satU16(<i32>load<u16>(x + i) - <i32>load<u16>(S + i))); return;
    case K_PMULLW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, <u16>(<i32>load<i16>(x + i) * <i32>load<i16>(S + i))); return;
    case K_PMULHW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, <u16>((<i32>load<i16>(x + i) * <i32>load<i16>(S + i)) >> 16)); return;
    case K_PMULHUW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, <u16>((<u32>load<u16>(x + i) * <u32>load<u16>(S + i)) >> 16)); return;
    case K_PMULUDQ: for (let i: u32 = 0; i < 16; i += 8) store<u64>(T + i, <u64>load<u32>(x + i) * <u64>load<u32>(S + i)); return;
    case K_PMULDQ: for (let i: u32 = 0; i < 16; i += 8) store<i64>(T + i, <i64>load<i32>(x + i) * <i64>load<i32>(S + i)); return;
    case K_PMADDWD:
      for (let i: u32 = 0; i < 16; i += 4) {
        const s = <i64>load<i16>(x + i) * <i64>load<i16>(S + i) + <i64>load<i16>(x + i + 2) * <i64>load<i16>(S + i + 2);
        store<u32>(T + i, <u32>s);
      }
      return;
    case K_PSADBW:
      for (let h: u32 = 0; h < 16; h += 8) {
        let s: u32 = 0;
        for (let i: u32 = 0; i < 8; i++) { const d = <i32>load<u8>(x + h + i) - <i32>load<u8>(S + h + i); s += <u32>(d < 0 ? -d : d); }
        store<u64>(T + h, <u64>s);
      }
      return;
    case K_PAVGB: for (let i: u32 = 0; i < 16; i++) store<u8>(T + i, <u8>((<u32>load<u8>(x + i) + <u32>load<u8>(S + i) + 1) >> 1)); return;
    case K_PAVGW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, <u16>((<u32>load<u16>(x + i) + <u32>load<u16>(S + i) + 1) >> 1)); return;
    case K_PMAXUB: for (let i: u32 = 0; i < 16; i++) { const a = load<u8>(x + i), b = load<u8>(S + i); store<u8>(T + i, a > b ? a : b); } return;
    case K_PMAXSW: for (let i: u32 = 0; i < 16; i += 2) { const a = load<i16>(x + i), b = load<i16>(S + i); store<i16>(T + i, a > b ? a : b); } return;
    case K_PMINSW: for (let i: u32 = 0; i < 16; i += 2) { const a = load<i16>(x + i), b = load<i16>(S + i); store<i16>(T + i, a < b ? a : b); } return;
    case K_PMAXSB: for (let i: u32 = 0; i < 16; i++) { const a = load<i8>(x + i), b = load<i8>(S + i); store<i8>(T + i, a > b ? a : b); } return;
    case K_PMINSB: for (let i: u32 = 0; i < 16; i++) { const a = load<i8>(x + i), b = load<i8>(S + i); store<i8>(T + i, a < b ? a : b); } return;
    case K_PMAXUW: for (let i: u32 = 0; i < 16; i += 2) { const a = load<u16>(x + i), b = load<u16>(S + i); store<u16>(T + i, a > b ? a : b); } return;
    case K_PMINUW: for (let i: u32 = 0; i < 16; i += 2) { const a = load<u16>(x + i), b = load<u16>(S + i); store<u16>(T + i, a < b ? a : b); } return;
    case K_PMAXSD: for (let i: u32 = 0; i < 16; i += 4) { const a = load<i32>(x + i), b = load<i32>(S + i); store<i32>(T + i, a > b ? a : b); } return;
    case K_PMINSD: for (let i: u32 = 0; i < 16; i += 4) { const a = load<i32>(x + i), b = load<i32>(S + i); store<i32>(T + i, a < b ? a : b); } return;
    case K_PMAXUD: for (let i: u32 = 0; i < 16; i += 4) { const a = load<u32>(x + i), b = load<u32>(S + i); store<u32>(T + i, a > b ? a : b); } return;
    case K_PMINUD: for (let i: u32 = 0; i < 16; i += 4) { const a = load<u32>(x + i), b = load<u32>(S + i); store<u32>(T + i, a < b ? a : b); } return;
    case K_PMULLD: for (let i: u32 = 0; i < 16; i += 4) store<u32>(T + i, load<u32>(x + i) * load<u32>(S + i)); return;
    case K_PCMPGTB: for (let i: u32 = 0; i < 16; i++) store<u8>(T + i, load<i8>(x + i) > load<i8>(S + i) ? 0xff : 0); return;
    case K_PCMPGTW: for (let i: u32 = 0; i < 16; i += 2) store<u16>(T + i, load<i16>(x + i) > load<i16>(S + i) ? 0xffff : 0); return;
    case K_PCMPGTD: for (let i: u32 = 0; i < 16; i += 4) store<u32>(T + i, load<i32>(x + i) > load<i32>(S + i) ? 0xffffffff : 0); return;
    case K_PCMPGTQ: for (let i: u32 = 0; i < 16; i += 8) store<u64>(T + i, load<i64>(x + i) > load<i64>(S + i) ? 0xffffffffffffffff : 0); return;
    case K_PCMPEQQ: for (let i: u32 = 0; i < 16; i += 8) store<u64>(T + i, load<u64>(x + i) == load<u64>(S + i) ? 0xffffffffffffffff : 0); return;
    case K_PACKSSWB:
      for (let i: u32 = 0; i < 8; i++) {
        store<i8>(T + i, <i8>satS8(<i32>load<i16>(x + 2 * i)));
        store<i8>(T + 8 + i, <i8>satS8(<i32>load<i16>(S + 2 * i)));
      }
      return;
    case K_PACKSSDW:
      for (let i: u32 = 0; i < 4; i++) {
        store<i16>(T + 2 * i, <i16>satS16(load<i32>(x + 4 * i)));
        store<i16>(T + 8 + 2 * i, <i16>satS16(load<i32>(S + 4 * i)));
      }
      return;
    case K_PACKUSDW:
      for (let i: u32 = 0; i < 4; i++) {
        store<u16>(T + 2 * i, <u16>satU16(load<i32>(x + 4 * i)));
        store<u16>(T + 8 + 2 * i, <u16>satU16(load<i32>(S + 4 * i)));
      }
      return;
    case K_PSRLW: case K_PSRLD: case K_PSRLQ: case K_PSRAW: case K_PSRAD: case K_PSLLW: case K_PSLLD: case K_PSLLQ: {
      const n = load<u64>(S);
      if (k == K_PSRLW || k == K_PSRAW || k == K_PSLLW) {
        for (let i: u32 = 0; i < 16; i += 2) {
          const v = load<u16>(x + i);
          let r: u16;
          if (k == K_PSRAW) r = <u16>(load<i16>(x + i) >> <i16>(n > 15 ? 15 : n));
          else if (n > 15) r = 0;
          else r = k == K_PSRLW ? v >> <u16>n : v << <u16>n;
          store<u16>(T + i, r);
        }
      } else if (k == K_PSRLD || k == K_PSRAD || k == K_PSLLD) {
        for (let i: u32 = 0; i < 16; i += 4) {
          const v = load<u32>(x + i);
          let r: u32;
          if (k == K_PSRAD) r = <u32>(load<i32>(x + i) >> <i32>(n > 31 ? 31 : n));
          else if (n > 31) r = 0;
          else r = k == K_PSRLD ? v >> <u32>n : v << <u32>n;
          store<u32>(T + i, r);
        }
      } else {
        for (let i: u32 = 0; i < 16; i += 8) {
          const v = load<u64>(x + i);
          store<u64>(T + i, n > 63 ? 0 : k == K_PSRLQ ? v >> n : v << n);
        }
      }
      return;
    }
    case K_PSHUFHW:
      store<u64>(T, load<u64>(S));
      for (let i: u32 = 0; i < 4; i++) store<u16>(T + 8 + 2 * i, load<u16>(S + 8 + 2 * ((imm >> (2 * i)) & 3)));
      return;
    case K_PSHUFLW:
      store<u64>(T, load<u64>(S, 8), 8);
      for (let i: u32 = 0; i < 4; i++) store<u16>(T + 2 * i, load<u16>(S + 2 * ((imm >> (2 * i)) & 3)));
      return;
    case K_PSHUFB:
      for (let i: u32 = 0; i < 16; i++) { const c = load<u8>(S + i); store<u8>(T + i, (c & 0x80) != 0 ? 0 : load<u8>(x + (c & 15))); }
      return;
    case K_PALIGNR:
      // dest:src as 32 bytes (dest high), shifted right by imm8 bytes.
      for (let i: u32 = 0; i < 16; i++) {
        const j = i + imm;
        store<u8>(T + i, j < 16 ? load<u8>(S + j) : j < 32 ? load<u8>(x + j - 16) : 0);
      }
      return;
    case K_PHADDW: case K_PHSUBW: case K_PHADDSW: case K_PHSUBSW:
      for (let i: u32 = 0; i < 4; i++) {
        store<i16>(T + 2 * i, <i16>hw(k, load<i16>(x + 4 * i), load<i16>(x + 4 * i + 2)));
        store<i16>(T + 8 + 2 * i, <i16>hw(k, load<i16>(S + 4 * i), load<i16>(S + 4 * i + 2)));
      }
      return;
    case K_PHADDD: case K_PHSUBD:
      for (let i: u32 = 0; i < 2; i++) {
        const a0 = load<u32>(x + 8 * i), a1 = load<u32>(x + 8 * i + 4), b0 = load<u32>(S + 8 * i), b1 = load<u32>(S + 8 * i + 4);
        store<u32>(T + 4 * i, k == K_PHADDD ? a0 + a1 : a0 - a1);
        store<u32>(T + 8 + 4 * i, k == K_PHADDD ? b0 + b1 : b0 - b1);
      }
      return;
    case K_PMADDUBSW:
      for (let i: u32 = 0; i < 16; i += 2) {
        const s = <i32>load<u8>(x + i) * <i32>load<i8>(S + i) + <i32>load<u8>(x + i + 1) * <i32>load<i8>(S + i + 1);
        store<i16>(T + i, <i16>satS16(s));
      }
      return;
    case K_PSIGNB: for (let i: u32 = 0; i < 16; i++) { const s = load<i8>(S + i); store<i8>(T + i, s < 0 ? -load<i8>(x + i) : s == 0 ? 0 : load<i8>(x + i)); } return;
    case K_PSIGNW: for (let i: u32 = 0; i < 16; i += 2) { const s = load<i16>(S + i); store<i16>(T + i, s < 0 ? -load<i16>(x + i) : s == 0 ? 0 : load<i16>(x + i)); } return;
    case K_PSIGND: for (let i: u32 = 0; i < 16; i += 4) { const s = load<i32>(S + i); store<i32>(T + i, s < 0 ? -load<i32>(x + i) : s == 0 ? 0 : load<i32>(x + i)); } return;
    case K_PMULHRSW:
      for (let i: u32 = 0; i < 16; i += 2) store<i16>(T + i, <i16>((((<i32>load<i16>(x + i) * <i32>load<i16>(S + i)) >> 14) + 1) >> 1));
      return;
    case K_PABSB: for (let i: u32 = 0; i < 16; i++) { const v = <i32>load<i8>(S + i); store<u8>(T + i, <u8>(v < 0 ? -v : v)); } return;
    case K_PABSW: for (let i: u32 = 0; i < 16; i += 2) { const v = <i32>load<i16>(S + i); store<u16>(T + i, <u16>(v < 0 ? -v : v)); } return;
    case K_PABSD: for (let i: u32 = 0; i < 16; i += 4) { const v = load<i32>(S + i); store<u32>(T + i, <u32>(v < 0 ? -v : v)); } return;
    case K_PBLENDVB: for (let i: u32 = 0; i < 16; i++) if (load<i8>(XMM + i) < 0) store<u8>(T + i, load<u8>(S + i)); return;
    case K_BLENDVPS: for (let i: u32 = 0; i < 16; i += 4) if (load<i32>(XMM + i) < 0) store<u32>(T + i, load<u32>(S + i)); return;
    case K_BLENDVPD: for (let i: u32 = 0; i < 16; i += 8) if (load<i64>(XMM + i) < 0) store<u64>(T + i, load<u64>(S + i)); return;
    case K_BLENDPS: for (let i: u32 = 0; i < 4; i++) if ((imm >> i) & 1) store<u32>(T + 4 * i, load<u32>(S + 4 * i)); return;
    case K_BLENDPD: for (let i: u32 = 0; i < 2; i++) if ((imm >> i) & 1) store<u64>(T + 8 * i, load<u64>(S + 8 * i)); return;
    case K_PBLENDW: for (let i: u32 = 0; i < 8; i++) if ((imm >> i) & 1) store<u16>(T + 2 * i, load<u16>(S + 2 * i)); return;
    case K_PHMINPOSUW: {
      let m: u32 = load<u16>(S), at: u32 = 0;
      for (let i: u32 = 1; i < 8; i++) { const v = <u32>load<u16>(S + 2 * i); if (v < m) { m = v; at = i; } }
      store<u64>(T, <u64>(m | (at << 16)));
      store<u64>(T, 0, 8);
      return;
    }
    case K_INSERTPS: {
      // Register source: element imm[7:6]; memory: the 32 bits read. Then imm[5:4] chooses the lane, imm[3:0] zeroes.
      const v = load<u32>(S + ((imm >> 6) & 3) * 4);
      store<u32>(T + ((imm >> 4) & 3) * 4, v);
      for (let i: u32 = 0; i < 4; i++) if ((imm >> i) & 1) store<u32>(T + 4 * i, 0);
      return;
    }
    case K_UNPCKLPS:
      store<u32>(T, load<u32>(x)); store<u32>(T + 4, load<u32>(S)); store<u32>(T + 8, load<u32>(x, 4)); store<u32>(T + 12, load<u32>(S, 4));
      return;
    case K_UNPCKHPS:
      store<u32>(T, load<u32>(x, 8)); store<u32>(T + 4, load<u32>(S, 8)); store<u32>(T + 8, load<u32>(x, 12)); store<u32>(T + 12, load<u32>(S, 12));
      return;
    case K_UNPCKLPD: store<u64>(T + 8, load<u64>(S)); return;
    case K_UNPCKHPD: store<u64>(T, load<u64>(x, 8)); store<u64>(T + 8, load<u64>(S, 8)); return;
    case K_SHUFPS:
      store<u32>(T, load<u32>(x + 4 * (imm & 3)));
      store<u32>(T + 4, load<u32>(x + 4 * ((imm >> 2) & 3)));
      store<u32>(T + 8, load<u32>(S + 4 * ((imm >> 4) & 3)));
      store<u32>(T + 12, load<u32>(S + 4 * ((imm >> 6) & 3)));
      return;
    case K_SHUFPD:
      store<u64>(T, load<u64>(x + 8 * (imm & 1)));
      store<u64>(T + 8, load<u64>(S + 8 * ((imm >> 1) & 1)));
      return;
    case K_MOVDDUP: store<u64>(T, load<u64>(S)); store<u64>(T + 8, load<u64>(S)); return;
    case K_MOVSLDUP:
      store<u32>(T, load<u32>(S)); store<u32>(T + 4, load<u32>(S)); store<u32>(T + 8, load<u32>(S, 8)); store<u32>(T + 12, load<u32>(S, 8));
      return;
    case K_MOVSHDUP:
      store<u32>(T, load<u32>(S, 4)); store<u32>(T + 4, load<u32>(S, 4)); store<u32>(T + 8, load<u32>(S, 12)); store<u32>(T + 12, load<u32>(S, 12));
      return;
    case K_COPY: memory.copy(T, S, 16); return;
    case K_DPPS: {
      // Products of the lanes imm[7:4] selects (others +0.0), summed as (0 + 1) + (2 + 3), into the lanes imm[3:0] selects.
      const z: u32 = 0;
      const t0 = (imm & 0x10) != 0 ? op32(FP_MUL, load<u32>(x), load<u32>(S), 0) : z;
      const t1 = (imm & 0x20) != 0 ? op32(FP_MUL, load<u32>(x, 4), load<u32>(S, 4), 0) : z;
      const t2 = (imm & 0x40) != 0 ? op32(FP_MUL, load<u32>(x, 8), load<u32>(S, 8), 0) : z;
      const t3 = (imm & 0x80) != 0 ? op32(FP_MUL, load<u32>(x, 12), load<u32>(S, 12), 0) : z;
      const s = op32(FP_ADD, op32(FP_ADD, t0, t1, 0), op32(FP_ADD, t2, t3, 0), 0);
      for (let i: u32 = 0; i < 4; i++) store<u32>(T + 4 * i, (imm >> i) & 1 ? s : 0);
      return;
    }
    case K_DPPD: {
      const z: u64 = 0;
      const t0 = (imm & 0x10) != 0 ? op64(FP_MUL, load<u64>(x), load<u64>(S), 0) : z;
      const t1 = (imm & 0x20) != 0 ? op64(FP_MUL, load<u64>(x, 8), load<u64>(S, 8), 0) : z;
      const s = op64(FP_ADD, t0, t1, 0);
      store<u64>(T, imm & 1 ? s : 0);
      store<u64>(T + 8, imm & 2 ? s : 0);
      return;
    }
    case K_MPSADBW: {
      // Eight sums of absolute differences of 4 bytes: dest bytes from offset imm[2]*4 + i, source block imm[1:0].
      const o1 = (imm & 4) != 0 ? 4 : 0;
      const o2 = (imm & 3) * 4;
      for (let i: u32 = 0; i < 8; i++) {
        let s: u32 = 0;
        for (let j: u32 = 0; j < 4; j++) { const dd = <i32>load<u8>(x + o1 + i + j) - <i32>load<u8>(S + o2 + j); s += <u32>(dd < 0 ? -dd : dd); }
        store<u16>(T + 2 * i, <u16>s);
      }
      return;
    }
    case K_PTEST: {
      // Flags only: ZF = (dest & src) == 0, CF = (~dest & src) == 0; the others cleared. The register stays.
      const z = ((load<u64>(x) & load<u64>(S)) | (load<u64>(x, 8) & load<u64>(S, 8))) == 0;
      const c = ((~load<u64>(x) & load<u64>(S)) | (~load<u64>(x, 8) & load<u64>(S, 8))) == 0;
      C.materialize();
      C.setFl((C.fl & ~ARITH) | (z ? C.ZF : 0) | (c ? C.CF : 0));
      return;
    }
    case K_CVTPS2PD: store<u64>(T, f32to64(load<u32>(S))); store<u64>(T + 8, f32to64(load<u32>(S, 4))); return;
    case K_CVTPD2PS: store<u32>(T, f64to32(load<u64>(S))); store<u32>(T + 4, f64to32(load<u64>(S, 8))); store<u64>(T + 8, 0); return;
    case K_CVTSS2SD: store<u64>(T, f32to64(load<u32>(S))); return;
    case K_CVTSD2SS: store<u32>(T, f64to32(load<u64>(S))); return;
    case K_CVTDQ2PS: for (let i: u32 = 0; i < 16; i += 4) store<f32>(T + i, <f32>load<i32>(S + i)); return;
    case K_CVTPS2DQ: case K_CVTTPS2DQ: {
      const m = k == K_CVTTPS2DQ ? 3 : rc();
      for (let i: u32 = 0; i < 16; i += 4) store<u32>(T + i, cvtI32(<f64>load<f32>(S + i), m));
      return;
    }
    case K_CVTDQ2PD: store<f64>(T, <f64>load<i32>(S)); store<f64>(T + 8, <f64>load<i32>(S, 4)); return;
    case K_CVTPD2DQ: case K_CVTTPD2DQ: {
      const m = k == K_CVTTPD2DQ ? 3 : rc();
      store<u32>(T, cvtI32(load<f64>(S), m));
      store<u32>(T + 4, cvtI32(load<f64>(S, 8), m));
      store<u64>(T + 8, 0);
      return;
    }
    default: {
      if (k >= K_PMOVX && k < K_PMOVX + 14) {
        const f = (k - K_PMOVX) & 7;
        const sx = k - K_PMOVX >= 8;
        // Source element size (bytes) and destination element size.
        const ss: u32 = f < 3 ? 1 : f < 5 ? 2 : 4;
        const ds: u32 = f == 0 ? 2 : f == 1 || f == 3 ? 4 : 8;
        const n: u32 = 16 / ds;
        for (let i: u32 = 0; i < n; i++) {
          let v: i64;
          if (ss == 1) v = sx ? <i64>load<i8>(S + i) : <i64>load<u8>(S + i);
          else if (ss == 2) v = sx ? <i64>load<i16>(S + 2 * i) : <i64>load<u16>(S + 2 * i);
          else v = sx ? <i64>load<i32>(S + 4 * i) : <i64>load<u32>(S + 4 * i);
          if (ds == 2) store<u16>(T + 2 * i, <u16>v);
          else if (ds == 4) store<u32>(T + 4 * i, <u32>v);
          else store<u64>(T + 8 * i, <u64>v);
        }
      }
    }
  }
}

/** One pair of a horizontal word add/subtract (saturating for phaddsw/phsubsw). */
function hw(k: u16, a: i16, b: i16): i32 {
  const s = k == K_PHADDW || k == K_PHADDSW ? <i32>a + <i32>b : <i32>a - <i32>b;
  return k == K_PHADDSW || k == K_PHSUBSW ? satS16(s) : s;
}

/** The kinds with a general register, memory destination or flags as an operand. */
function sseGeneral(p: u32, k: u16): void {
  const mem = isMem(p);
  const sz: i32 = load<u8>(p, R_SZ);
  const imm = <u32>load<u64>(p, R_IMM);
  switch (k) {
    case K_CVTSI2SS: case K_CVTSI2SD: {
      // Every int32 is exact as a double: only the other forms round.
      if ((mxcsrNow & 0x6000) != 0 && !(k == K_CVTSI2SD && sz == 2)) { C.raiseUnsupported(load<u64>(p, R_ADDR)); return; }
      const v = mem ? rd(ea(p), sz) : rget(load<u8>(p, R_RM), sz);
      if (flt) return;
      const i: i64 = sz == 3 ? <i64>v : <i64><i32>v;
      const x = xmm(load<u8>(p, R_REG));
      if (k == K_CVTSI2SS) store<f32>(x, <f32>i);
      else store<f64>(x, <f64>i);
      return;
    }
    case K_CVTSS2SI: case K_CVTTSS2SI: case K_CVTSD2SI: case K_CVTTSD2SI: {
      if (daz()) { C.raiseUnsupported(load<u64>(p, R_ADDR)); return; }
      const single = k == K_CVTSS2SI || k == K_CVTTSS2SI;
      let b: u64;
      if (mem) { b = rd(ea(p), single ? 2 : 3); if (flt) return; }
      else b = load<u64>(xmm(load<u8>(p, R_RM)));
      const f: f64 = single ? <f64>reinterpret<f32>(<u32>b) : reinterpret<f64>(b);
      const m = k == K_CVTTSS2SI || k == K_CVTTSD2SI ? 3 : rc();
      rset(load<u8>(p, R_REG), sz, sz == 3 ? cvtI64(f, m) : <u64>cvtI32(f, m));
      return;
    }
    case K_MOVMSKPS: case K_MOVMSKPD: {
      const x = xmm(load<u8>(p, R_RM));
      let m: u64 = 0;
      if (k == K_MOVMSKPS) for (let i: u32 = 0; i < 4; i++) m |= <u64>(load<u32>(x + 4 * i) >> 31) << i;
      else for (let i: u32 = 0; i < 2; i++) m |= (load<u64>(x + 8 * i) >> 63) << i;
      rset(load<u8>(p, R_REG), sz, m);
      return;
    }
    case K_COMIS: {
      if (daz()) { C.raiseUnsupported(load<u64>(p, R_ADDR)); return; }
      let a: f64, b: f64;
      const x = xmm(load<u8>(p, R_REG));
      if (sz == 2) {
        let v: u32;
        if (mem) { v = <u32>rd(ea(p), 2); if (flt) return; } else v = load<u32>(xmm(load<u8>(p, R_RM)));
        a = <f64>load<f32>(x);
        b = <f64>reinterpret<f32>(v);
      } else {
        let v: u64;
        if (mem) { v = rd(ea(p), 3); if (flt) return; } else v = load<u64>(xmm(load<u8>(p, R_RM)));
        a = load<f64>(x);
        b = reinterpret<f64>(v);
      }
      const f: u64 = a != a || b != b ? C.ZF | C.PF | C.CF : a < b ? C.CF : a == b ? C.ZF : 0;
      C.materialize();
      C.setFl((C.fl & ~ARITH) | f);
      return;
    }
    case K_PEXTR: {
      // R_SZ: element size; R_SZ2 bit 6: the destination is 64 bits wide (pextrq / REX.W), else 32.
      const x = xmm(load<u8>(p, R_REG));
      const n = 16 >> sz;
      const i = imm & (n - 1);
      const v: u64 = sz == 0 ? <u64>load<u8>(x + i) : sz == 1 ? <u64>load<u16>(x + 2 * i) : sz == 2 ? <u64>load<u32>(x + 4 * i) : load<u64>(x + 8 * i);
      if (mem) wr(ea(p), sz, v);
      else rset(load<u8>(p, R_RM), (load<u8>(p, R_SZ2) & 0x40) != 0 ? 3 : 2, v);
      return;
    }
    case K_PINSR: {
      const v = mem ? rd(ea(p), sz) : rget(load<u8>(p, R_RM), sz);
      if (flt) return;
      const x = xmm(load<u8>(p, R_REG));
      const n = 16 >> sz;
      const i = imm & (n - 1);
      if (sz == 0) store<u8>(x + i, <u8>v);
      else if (sz == 1) store<u16>(x + 2 * i, <u16>v);
      else if (sz == 2) store<u32>(x + 4 * i, <u32>v);
      else store<u64>(x + 8 * i, v);
      return;
    }
    case K_CRC32: {
      const v = mem ? rd(ea(p), sz) : rget(load<u8>(p, R_RM), sz);
      if (flt) return;
      const d: u32 = load<u8>(p, R_REG);
      const r = crc32c(<u32>load<u64>(REGS + d), v, <u32>1 << sz);
      rset(d, load<u8>(p, R_SZ2), <u64>r);
      return;
    }
    case K_MOVBE_LOAD: {
      const v = rd(ea(p), sz);
      if (flt) return;
      rset(load<u8>(p, R_REG), sz, bswapN(v, sz));
      return;
    }
    case K_PCMPESTRI: case K_PCMPESTRM: case K_PCMPISTRI: case K_PCMPISTRM: pcmpstr(p, k, imm); return;
    case K_RCP: case K_RSQRT: {
      if (nonDefaultFp()) { C.raiseUnsupported(load<u64>(p, R_ADDR)); return; }
      if (!loadSrc(p)) return;
      const x = xmm(load<u8>(p, R_REG));
      const n: u32 = sz == 0 ? 16 : 4;
      for (let i: u32 = 0; i < n; i += 4) store<u32>(x + i, recip(load<u32>(S + i), k == K_RSQRT));
      return;
    }
    case K_MASKMOVDQU: {
      const x = xmm(load<u8>(p, R_REG));
      const m = xmm(load<u8>(p, R_RM));
      let a = load<u64>(REGS + 56) & mask(load<u8>(p, R_ASZ));
      a = (a + load<u64>(SEGBASE + load<u8>(p, R_SEG))) & linMask;
      for (let i: u32 = 0; i < 16; i++) {
        if (load<i8>(m + i) >= 0) continue;
        wr((a + i) & linMask, 0, <u64>load<u8>(x + i));
        if (flt) return;
      }
      return;
    }
    default: { // K_MOVBE_STORE
      wr(ea(p), sz, bswapN(load<u64>(REGS + load<u8>(p, R_REG)), sz));
    }
  }
}

function bswapN(v: u64, sz: i32): u64 {
  if (sz == 1) return <u64>bswap<u16>(<u16>v);
  if (sz == 2) return <u64>bswap<u32>(<u32>v);
  return bswap<u64>(v);
}

/**
 * rcpps/rsqrtps: the SDM allows any result within 1.5 * 2^-12 relative error; this is the correctly rounded value
 * (what Unicorn's QEMU computes), so runs are the same on both engines.
 */
function recip(b: u32, rsqrt: bool): u32 {
  if (isNan32(b)) return b | 0x400000;
  const v = reinterpret<f32>(b);
  const r = rsqrt ? <f32>1.0 / sqrt<f32>(v) : <f32>1.0 / v;
  const rb = reinterpret<u32>(r);
  return isNan32(rb) ? DEFAULT_NAN32 : rb;
}

/** Element i of the packed-string operand at a: bytes or words, signed or not (imm8[1:0]). */
@inline function strElem(a: u32, i: u32, fmt: u32): i32 {
  switch (fmt) {
    case 0: return <i32>load<u8>(a + i);
    case 1: return <i32>load<u16>(a + 2 * i);
    case 2: return <i32>load<i8>(a + i);
    default: return <i32>load<i16>(a + 2 * i);
  }
}

/** pcmpestri/pcmpestrm/pcmpistri/pcmpistrm: the SDM's string compare (aggregation, polarity, output selection). */
function pcmpstr(p: u32, k: u16, imm: u32): void {
  if (!loadSrc(p)) return;
  const a = xmm(load<u8>(p, R_REG));
  const fmt = imm & 3;
  const n: u32 = (fmt & 1) != 0 ? 8 : 16;
  let la: u32, lb: u32;
  if (k == K_PCMPESTRI || k == K_PCMPESTRM) {
    // Explicit lengths: |eax|, |edx| (rax, rdx with REX.W), saturated to n.
    const w = load<u8>(p, R_SZ) == 3;
    const ra = w ? <i64>load<u64>(REGS) : <i64>load<i32>(REGS);
    const rb = w ? <i64>load<u64>(REGS + 16) : <i64>load<i32>(REGS + 16);
    const aa = ra < 0 ? <u64>(-ra) : <u64>ra;
    const ab = rb < 0 ? <u64>(-rb) : <u64>rb;
    la = aa > <u64>n ? n : <u32>aa;
    lb = ab > <u64>n ? n : <u32>ab;
  } else {
    la = n; lb = n;
    for (let i: u32 = 0; i < n; i++) if (strElem(a, i, fmt) == 0) { la = i; break; }
    for (let i: u32 = 0; i < n; i++) if (strElem(S, i, fmt) == 0) { lb = i; break; }
  }
  const agg = (imm >> 2) & 3;
  let r1: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    let bit = false;
    const bj = strElem(S, j, fmt);
    const bValid = j < lb;
    switch (agg) {
      case 0: // equal any
        if (bValid) for (let i: u32 = 0; i < la; i++) if (strElem(a, i, fmt) == bj) { bit = true; break; }
        break;
      case 1: // ranges
        if (bValid) for (let i: u32 = 0; i + 1 < la; i += 2) if (strElem(a, i, fmt) <= bj && strElem(a, i + 1, fmt) >= bj) { bit = true; break; }
        break;
      case 2: { // equal each
        const aValid = j < la;
        bit = !aValid && !bValid ? true : aValid && bValid ? strElem(a, j, fmt) == bj : false;
        break;
      }
      default: { // equal ordered
        bit = true;
        for (let i: u32 = 0; i < n - j; i++) {
          if (i >= la) break; // an invalid a element matches
          if (j + i >= lb) { bit = false; break; }
          if (strElem(a, i, fmt) != strElem(S, j + i, fmt)) { bit = false; break; }
        }
      }
    }
    if (bit) r1 |= <u32>1 << j;
  }
  const all: u32 = (<u32>1 << n) - 1;
  const pol = (imm >> 4) & 3;
  let r2 = r1;
  if (pol == 1) r2 = ~r1 & all;
  else if (pol == 3) r2 = (r1 ^ ((<u32>1 << lb) - 1)) & all;
  if (k == K_PCMPESTRI || k == K_PCMPISTRI) {
    const idx: u32 = r2 == 0 ? n : (imm & 0x40) != 0 ? 31 - clz<u32>(r2) : ctz<u32>(r2);
    store<u64>(REGS + 8, <u64>idx);
  } else {
    if ((imm & 0x40) == 0) {
      store<u64>(XMM, <u64>r2);
      store<u64>(XMM, 0, 8);
    } else {
      for (let i: u32 = 0; i < n; i++) {
        const on = (r2 >> i) & 1;
        if (n == 16) store<u8>(XMM + i, on ? 0xff : 0);
        else store<u16>(XMM + 2 * i, on ? 0xffff : 0);
      }
    }
  }
  const f: u64 = (r2 != 0 ? C.CF : 0) | (lb < n ? C.ZF : 0) | (la < n ? C.SF : 0) | ((r2 & 1) != 0 ? C.OF : 0);
  C.materialize();
  C.setFl((C.fl & ~ARITH) | f);
}
