// Operand access shared by the instruction groups (exec.ts, sse.ts, bmi.ts): general registers by width, and the
// effective address of a decoded instruction's memory operand.

import { REGS, SEGBASE, WMASKS, R_RM, R_IDX, R_SCALE, R_SEG, R_ASZ, R_DISP, R_FL, RF_MEM } from './layout';
import { mask, linMask } from './cpu';

/** Register read of `sz` bytes. */
@inline export function rget(off: u32, sz: i32): u64 {
  return load<u64>(REGS + off) & mask(sz);
}
/** Register write: 8/16-bit merge, 32-bit zero-extends, 64-bit replaces. */
@inline export function rset(off: u32, sz: i32, v: u64): void {
  const a = REGS + off;
  const w = load<u64>(WMASKS + (<u32>sz << 3));
  store<u64>(a, (load<u64>(a) & ~w) | (v & mask(sz)));
}
/** The linear address of the memory operand: base + index << scale + displacement, at the address size, plus the segment base. */
@inline export function ea(p: u32): u64 {
  let a = load<u64>(p, R_DISP) + load<u64>(REGS + load<u8>(p, R_RM)) + (load<u64>(REGS + load<u8>(p, R_IDX)) << load<u8>(p, R_SCALE));
  a &= mask(load<u8>(p, R_ASZ));
  return (a + load<u64>(SEGBASE + load<u8>(p, R_SEG))) & linMask;
}
/** Whether the instruction's r/m operand is in memory. */
@inline export function isMem(p: u32): bool {
  return (load<u8>(p, R_FL) & RF_MEM) != 0;
}
