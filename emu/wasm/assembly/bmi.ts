// BMI1 and BMI2: the VEX-encoded general-register instructions (andn, bextr, blsi, blsmsk, blsr, bzhi, mulx, pdep,
// pext, rorx, sarx, shlx, shrx). The decoder (decodeVex) leaves the kind in R_X, the destination in R_REG, the
// r/m register in R_RM (or the memory operand), VEX.vvvv's register offset in R_SZ2, the size code in R_SZ (2, 3)
// and rorx's count in R_IMM. Flags are written only by the instructions that define them.

import { REGS, SEGBASE, WMASKS, R_REG, R_RM, R_IDX, R_SCALE, R_SEG, R_ASZ, R_FL, R_SZ, R_SZ2, R_DISP, R_IMM, R_X, RF_MEM } from './layout';
import * as C from './cpu';
import { mask, flt, linMask, msb, ARITH, CF, ZF, SF, OF, getCF, getOF } from './cpu';
import { rd } from './mem';
import { rget, rset, ea } from './operand';

export const B_ANDN: u8 = 0;
export const B_BLSR: u8 = 1;
export const B_BLSMSK: u8 = 2;
export const B_BLSI: u8 = 3;
export const B_BEXTR: u8 = 4;
export const B_BZHI: u8 = 5;
export const B_PEXT: u8 = 6;
export const B_PDEP: u8 = 7;
export const B_MULX: u8 = 8;
export const B_SHLX: u8 = 9;
export const B_SARX: u8 = 10;
export const B_SHRX: u8 = 11;
export const B_RORX: u8 = 12;
/** adcx / adox r, r/m (legacy 66 / F3 0F 38 F6, ADX): add with CF or OF as carry in and out, no other flag. */
export const B_ADCX: u8 = 13;
export const B_ADOX: u8 = 14;
/** rdrand / rdseed r (R_REG, R_SZ 1-3): deterministic values (below), CF = 1. */
export const B_RDRAND: u8 = 15;

/**
 * rdrand and rdseed answer from a fixed sequence (splitmix64 from a fixed seed), so runs stay reproducible: the
 * values are well mixed but not secret, and every fresh core starts the same sequence.
 */
let randState: u64 = 0x6b64656d75726e64;
function nextRandom(): u64 {
  randState += 0x9e3779b97f4a7c15;
  let z = randState;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}


/** Sets the arithmetic flags to f (the ones an instruction leaves undefined are cleared). */
@inline function flags(f: u64): void {
  C.materialize();
  C.setFl((C.fl & ~ARITH) | f);
}
@inline function zs(r: u64, sz: i32): u64 {
  return (r == 0 ? ZF : 0) | (msb(r, sz) != 0 ? SF : 0);
}

export function bmi(p: u32): void {
  const k: u32 = load<u8>(p, R_X);
  const sz: i32 = load<u8>(p, R_SZ);
  if (k == B_RDRAND) {
    rset(load<u8>(p, R_REG), sz, nextRandom());
    flags(CF);
    return;
  }
  const n: u64 = sz == 3 ? 64 : 32;
  const src = (load<u8>(p, R_FL) & RF_MEM) != 0 ? rd(ea(p), sz) : rget(load<u8>(p, R_RM), sz);
  if (flt) return;
  const v = rget(load<u8>(p, R_SZ2), sz);
  const d: u32 = load<u8>(p, R_REG);
  const m = mask(sz);
  switch (k) {
    case B_ANDN: { const r = ~v & src & m; rset(d, sz, r); flags(zs(r, sz)); return; }
    // The three group-17 forms write VEX.vvvv (the decoder put it in R_REG).
    case B_BLSR: { const r = src & (src - 1) & m; rset(d, sz, r); flags(zs(r, sz) | (src == 0 ? CF : 0)); return; }
    case B_BLSMSK: { const r = (src ^ (src - 1)) & m; rset(d, sz, r); flags((msb(r, sz) != 0 ? SF : 0) | (src == 0 ? CF : 0)); return; }
    case B_BLSI: { const r = (0 - src) & src & m; rset(d, sz, r); flags(zs(r, sz) | (src != 0 ? CF : 0)); return; }
    case B_BEXTR: {
      const start = v & 0xff, len = (v >> 8) & 0xff;
      let r: u64 = start >= n ? 0 : src >> start;
      if (len < 64) r &= (<u64>1 << len) - 1;
      r &= m;
      rset(d, sz, r);
      flags(r == 0 ? ZF : 0);
      return;
    }
    case B_BZHI: {
      const i = v & 0xff;
      const r = i < n ? src & ((<u64>1 << i) - 1) : src;
      rset(d, sz, r);
      flags(zs(r, sz) | (i > n - 1 ? CF : 0));
      return;
    }
    case B_PEXT: {
      // Bits of the first source (vvvv) at the mask's (r/m) set positions, packed low.
      let r: u64 = 0, at: u64 = 0, mm = src;
      while (mm != 0) {
        const b = ctz<u64>(mm);
        r |= ((v >> b) & 1) << at;
        at++;
        mm &= mm - 1;
      }
      rset(d, sz, r);
      return;
    }
    case B_PDEP: {
      let r: u64 = 0, at: u64 = 0, mm = src;
      while (mm != 0) {
        const b = ctz<u64>(mm);
        r |= ((v >> at) & 1) << b;
        at++;
        mm &= mm - 1;
      }
      rset(d, sz, r);
      return;
    }
    case B_MULX: {
      // edx/rdx × r/m: low half to vvvv, high half to the ModRM.reg register (written last: it wins if the same).
      const a = rget(16, sz);
      let lo: u64, hi: u64;
      if (sz == 3) {
        lo = a * src;
        const a0 = a & 0xffffffff, a1 = a >> 32, b0 = src & 0xffffffff, b1 = src >> 32;
        const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
        const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
        hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
      } else {
        const prod = a * src;
        lo = prod & 0xffffffff;
        hi = prod >> 32;
      }
      rset(load<u8>(p, R_SZ2), sz, lo);
      rset(d, sz, hi);
      return;
    }
    case B_SHLX: rset(d, sz, src << (v & (n - 1))); return;
    case B_SHRX: rset(d, sz, src >> (v & (n - 1))); return;
    case B_SARX: {
      const s = v & (n - 1);
      rset(d, sz, sz == 3 ? <u64>(<i64>src >> s) : <u64>(<i64><i32>src >> s));
      return;
    }
    case B_ADCX: case B_ADOX: {
      const cin = k == B_ADCX ? getCF() : getOF();
      const r = (v + src + cin) & m;
      const cout = r < v || (cin != 0 && r == v) ? <u64>1 : 0;
      rset(d, sz, r);
      C.materialize();
      if (k == B_ADCX) C.setFl((C.fl & ~CF) | cout);
      else C.setFl((C.fl & ~OF) | (cout << 11));
      return;
    }
    default: { // B_RORX
      const c = load<u64>(p, R_IMM) & (n - 1);
      const r = c == 0 ? src : ((src >> c) | (src << (n - c))) & m;
      rset(d, sz, r);
    }
  }
}

