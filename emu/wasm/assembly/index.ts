// The wasm core's exports: what emu/wasm/engine.ts calls. Addresses and register values cross as i64 (BigInt).

import { REGS, SEGBASE, MASKS, WMASKS, CPUID_TABLE, CPUID_MAX, TRAPS, TRAPS_MAX, FRAMES, MAX_FRAMES } from './layout';
import * as C from './cpu';
import { mapPage, mapRange, unmapPage, unmapRange, protectPage, protectRange, pageRoom, anyMapped, ptMove, ptSizeBits, hostPage, setCpl, pageProt } from './mem';
import { flushBlocks } from './decode';
import * as D from './decode';
import { setTsc, setCpuidCount } from './exec';

export { run, fpuGet, fpuSet, setCoverage } from './exec';
export { mapPage, mapRange, unmapPage, unmapRange, protectPage, protectRange, pageRoom, anyMapped, ptMove, ptSizeBits, hostPage, setTsc, setCpuidCount, setCpl, pageProt };

/** Sets up a fresh instance for long mode (1) or 32-bit protected mode (0); called once, before anything else. */
export function init(isLong: i32): void {
  C.setMode(isLong);
  store<u64>(MASKS, 0xff);
  store<u64>(MASKS + 8, 0xffff);
  store<u64>(MASKS + 16, 0xffffffff);
  store<u64>(MASKS + 24, 0xffffffffffffffff);
  store<u64>(WMASKS, 0xff);
  store<u64>(WMASKS + 8, 0xffff);
  store<u64>(WMASKS + 16, 0xffffffffffffffff);
  store<u64>(WMASKS + 24, 0xffffffffffffffff);
  // A fresh instance's memory is zero, which is an empty page table, TLB and block index: nothing to clear.
  C.setFlags(2);
}

/** Register i: 0-15 general (x86 encoding order), 16 rip, 17 rflags, 18 fs base, 19 gs base. */
export function getReg(i: i32): u64 {
  if (i < 16) return load<u64>(REGS + (<u32>i << 3));
  if (i == 16) return C.rip;
  if (i == 17) return C.getFlags();
  return load<u64>(SEGBASE + ((<u32>i - 17) << 3));
}

export function setReg(i: i32, v: u64): void {
  if (i < 16) store<u64>(REGS + (<u32>i << 3), v);
  else if (i == 16) C.setRip(v);
  else if (i == 17) C.setFlags(v);
  else store<u64>(SEGBASE + ((<u32>i - 17) << 3), v);
}

/** Adds a trap range; decoded blocks become stale since one may now run into it. 0: added, 1: table full. */
export function addTrap(begin: u64, end: u64): i32 {
  const n = D.trapCount;
  if (n >= TRAPS_MAX) return 1;
  store<u64>(TRAPS + (n << 4), begin);
  store<u64>(TRAPS + (n << 4), end, 8);
  D.setTrapCount(n + 1);
  // Not flushBlocks: clearing the whole block index would fault its host pages in; an epoch stales them at once.
  D.newTrapEpoch();
  return 0;
}

export function setCpuid(i: u32, leaf: u32, a: u32, b: u32, c: u32, d: u32): void {
  if (i >= CPUID_MAX) return;
  const e = CPUID_TABLE + i * 20;
  store<u32>(e, leaf);
  store<u32>(e, a, 4);
  store<u32>(e, b, 8);
  store<u32>(e, c, 12);
  store<u32>(e, d, 16);
}

export function instructions(): u64 {
  return C.icount;
}
export function exitPc(): u64 {
  return C.exitPc;
}
export function exitAddr(): u64 {
  return C.exitAddr;
}
export function exitAccess(): i32 {
  return C.exitAccess;
}
export function exitReason(): i32 {
  return C.exitReason;
}
export function exitVector(): i32 {
  return C.exitVector;
}
/** Drops all decoded blocks (tests use it to compare cold and warm runs). */
export function flushCode(): void {
  flushBlocks();
}
/** Linear-memory address of frame 0 (frame i is at framesBase() + i * 4096). */
export function framesBase(): u32 {
  return FRAMES;
}
export function maxFrames(): u32 {
  return MAX_FRAMES;
}
/** The end of the static data: the host checks it stays below framesBase() (asconfig.json's memoryBase). */
export function heapBase(): u32 {
  return <u32>__heap_base;
}
