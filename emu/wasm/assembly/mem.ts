// Guest memory: 4 KiB frames in linear memory, a hashed page table (vpn → frame, protections), software TLBs
// for reads and writes, and the guest access paths with Unicorn's fault semantics.
//
// A read or write hits its TLB with one compare; a miss walks the page table and fills the entry. Frames that
// hold decoded code never get a write-TLB entry, so every write to them takes the slow path, which bumps the
// frame's generation (invalidating its decoded blocks) and stops the current block.

import {
  TLB_READ, TLB_WRITE, TLB_SIZE, TLB_EMPTY, PT_MIN_BITS, PT_MAX_BITS, PT_FREE, MAX_FRAMES, FRAME_GEN, FRAME_CODE,
  FRAMES,
} from './layout';
import { raiseFault, codeWritten, flt, mask, cpl, setCplRaw, ACC_READ, ACC_WRITE, ACC_FETCH } from './cpu';

export const PROT_READ: u32 = 1;
export const PROT_WRITE: u32 = 2;
export const PROT_EXEC: u32 = 4;
/** The user/supervisor bit: the page is accessible at CPL3. */
export const PROT_USER: u32 = 8;

/** The protections of the page translate() last resolved (the decoder asks whether it was a user page). */
export let lastProt: u32 = 0;

/**
 * Changes the privilege level. Entering CPL3 empties the TLBs, which may hold supervisor pages; leaving it keeps
 * them, since CPL0 may access every page a CPL3 entry names.
 */
export function setCpl(c: i32): void {
  if (c == cpl) return;
  if (c == 3) tlbFlushAll();
  setCplRaw(c);
}

export let mappedPages: u32 = 0;

// ---- page table ----------------------------------------------------------------------------------------------
/** The table: its first slot's address, log2 of its slot count, and how many pages it may hold (3/4 of the slots). */
let ptBase: u32 = 0;
let ptBits: u32 = 0;
let ptMask: u32 = 0;
let ptLimit: u32 = 0;

/**
 * Runs of 16 contiguous pages go to 16 contiguous slots (256 bytes of the table: mapping a region faults in at most
 * one host page of it per 16 pages, not one per page); the runs themselves are scattered by a multiplicative hash,
 * so big regions at any stride spread evenly and no long probe runs form (a plain fold of the page number lets a
 * 1 GiB region fill a contiguous stretch that every lookup hashing into it must walk to its end).
 */
@inline function ptHash(vpn: u64): u32 {
  const run = <u32>(((vpn >> 4) * 0x9e3779b97f4a7c15) >> (64 - (ptBits - 4)));
  return (run << 4) | (<u32>vpn & 15);
}
@inline function ptSlot(i: u32): u32 {
  return ptBase + (i << 4);
}

/** The page table slot holding vpn, or 0. */
export function ptFind(vpn: u64): u32 {
  let i = ptHash(vpn);
  const key = vpn + 1;
  for (;;) {
    const s = ptSlot(i);
    const k = load<u64>(s);
    if (k == key) return s;
    if (k == PT_FREE) return 0;
    i = (i + 1) & ptMask;
  }
  return 0;
}

function ptInsert(vpn: u64, frame: u32, prot: u32): void {
  let i = ptHash(vpn);
  for (;;) {
    const s = ptSlot(i);
    if (load<u64>(s) == PT_FREE) {
      store<u64>(s, vpn + 1);
      store<u32>(s, frame, 8);
      store<u32>(s, prot, 12);
      return;
    }
    i = (i + 1) & ptMask;
  }
}

/**
 * Moves the page table to the 2^bits slots at host address base (zero-filled frames the host allocated; it frees
 * the old table's frames afterwards), rehashing every entry. The first call (no table yet) just sets it up.
 * 0: done; 1: bits out of range, or too small for the pages mapped.
 */
export function ptMove(base: u32, bits: u32): i32 {
  if (bits < PT_MIN_BITS || bits > PT_MAX_BITS || mappedPages > ((<u32>1 << bits) >> 2) * 3) return 1;
  const oldBase = ptBase;
  const oldSize: u32 = ptBits == 0 ? 0 : <u32>1 << ptBits;
  ptBase = base;
  ptBits = bits;
  ptMask = (<u32>1 << bits) - 1;
  ptLimit = ((<u32>1 << bits) >> 2) * 3;
  for (let i: u32 = 0; i < oldSize; i++) {
    const s = oldBase + (i << 4);
    const k = load<u64>(s);
    if (k != PT_FREE) ptInsert(k - 1, load<u32>(s, 8), load<u32>(s, 12));
  }
  return 0;
}

export function ptSizeBits(): u32 {
  return ptBits;
}

/** Removes slot s, shifting later entries of its probe run back so lookups need no tombstones. */
function ptRemoveSlot(s: u32): void {
  let i = (s - ptBase) >> 4;
  let j = i;
  for (;;) {
    store<u64>(ptSlot(i), PT_FREE);
    for (;;) {
      j = (j + 1) & ptMask;
      const sj = ptSlot(j);
      const k = load<u64>(sj);
      if (k == PT_FREE) return;
      const h = ptHash(k - 1);
      // Entry j may move to i only if its home h is not cyclically in (i, j].
      const movable = i <= j ? h <= i || h > j : h <= i && h > j;
      if (movable) {
        const si = ptSlot(i);
        store<u64>(si, k);
        store<u64>(si, load<u64>(sj, 8), 8);
        i = j;
        break;
      }
    }
  }
}

// ---- frames --------------------------------------------------------------------------------------------------
@inline export function frameHost(frame: u32): u32 {
  return FRAMES + (frame << 12);
}

@inline function bumpGen(frame: u32): void {
  const g = FRAME_GEN + (frame << 2);
  store<u32>(g, load<u32>(g) + 1);
  store<u8>(FRAME_CODE + frame, 0);
}

// ---- TLB -----------------------------------------------------------------------------------------------------
@inline function tlbIndex(vpn: u64): u32 {
  return (<u32>vpn & (TLB_SIZE - 1)) << 4;
}

export function tlbFlushPage(vpn: u64): void {
  const i = tlbIndex(vpn);
  if (load<u64>(TLB_READ + i) == vpn + 1) store<u64>(TLB_READ + i, TLB_EMPTY);
  if (load<u64>(TLB_WRITE + i) == vpn + 1) store<u64>(TLB_WRITE + i, TLB_EMPTY);
}

export function tlbFlushAll(): void {
  memory.fill(TLB_READ, 0, TLB_SIZE << 4);
  memory.fill(TLB_WRITE, 0, TLB_SIZE << 4);
}

// ---- host-side page operations ---------------------------------------------------------------------------------
/**
 * Maps vpn to frame (chosen by the host, which keeps each mapped region's frames contiguous so it can hand out one
 * view per region, and grows linear memory first); zero: the frame was used before and must be cleared.
 * 0: mapped; 1: already mapped; 2: page table full or no such frame.
 */
export function mapPage(vpn: u64, prot: u32, frame: u32, zero: i32): i32 {
  if (ptFind(vpn) != 0) return 1;
  if (mappedPages >= ptLimit || frame >= MAX_FRAMES) return 2;
  // A frame never used since the instance started is still zero: filling it would only fault its host page in now.
  if (zero) memory.fill(frameHost(frame), 0, 4096);
  ptInsert(vpn, frame, prot);
  mappedPages++;
  tlbFlushPage(vpn);
  return 0;
}

/**
 * Maps count pages from vpn onto the frames from frame (one wasm call per region, not per page); all or nothing.
 * 0: mapped; 1: a page was already mapped; 2: the page table has no room or the frames do not exist.
 */
export function mapRange(vpn: u64, count: u32, prot: u32, frame: u32, zero: i32): i32 {
  for (let i: u32 = 0; i < count; i++) if (ptFind(vpn + i) != 0) return 1;
  if (count > ptLimit - mappedPages || frame >= MAX_FRAMES || count > MAX_FRAMES - frame) return 2;
  // Reused frames are cleared a chunk at a time (a byte count of a whole range may not fit 32 bits).
  if (zero) for (let i: u32 = 0; i < count; i += 1 << 16) memory.fill(frameHost(frame + i), 0, min(count - i, 1 << 16) << 12);
  for (let i: u32 = 0; i < count; i++) {
    ptInsert(vpn + i, frame + i, prot);
    tlbFlushPage(vpn + i);
  }
  mappedPages += count;
  return 0;
}

/** 1 if a page of the count from vpn is mapped, else 0. */
export function anyMapped(vpn: u64, count: u32): i32 {
  for (let i: u32 = 0; i < count; i++) if (ptFind(vpn + i) != 0) return 1;
  return 0;
}

/** Pages the page table can still take at its present size (ptMove to a bigger one makes more room). */
export function pageRoom(): u32 {
  return ptLimit - mappedPages;
}

/** 0: unmapped; 1: was not mapped. The host takes the frame back. */
export function unmapPage(vpn: u64): i32 {
  const s = ptFind(vpn);
  if (s == 0) return 1;
  bumpGen(load<u32>(s, 8));
  ptRemoveSlot(s);
  mappedPages--;
  tlbFlushPage(vpn);
  return 0;
}

/** Unmaps count pages from vpn; the number of them that were not mapped. */
export function unmapRange(vpn: u64, count: u32): u32 {
  let missing: u32 = 0;
  for (let i: u32 = 0; i < count; i++) missing += <u32>unmapPage(vpn + i);
  return missing;
}

/** 0: changed; 1: not mapped. Blocks decoded from the page are dropped (it may have lost execute permission). */
export function protectPage(vpn: u64, prot: u32): i32 {
  const s = ptFind(vpn);
  if (s == 0) return 1;
  store<u32>(s, prot, 12);
  bumpGen(load<u32>(s, 8));
  tlbFlushPage(vpn);
  return 0;
}

/** Sets the protections of count pages from vpn, all or nothing: 0 changed; 1 a page is not mapped. */
export function protectRange(vpn: u64, count: u32, prot: u32): i32 {
  for (let i: u32 = 0; i < count; i++) if (ptFind(vpn + i) == 0) return 1;
  for (let i: u32 = 0; i < count; i++) protectPage(vpn + i, prot);
  return 0;
}

/** The protections of a mapped page, or -1. */
export function pageProt(vpn: u64): i32 {
  const s = ptFind(vpn);
  return s == 0 ? -1 : <i32>load<u32>(s, 12);
}

/** The host address of a mapped page (permissions ignored, as uc_mem_read/write do), or 0. */
export function hostPage(vpn: u64, forWrite: i32): u32 {
  const s = ptFind(vpn);
  if (s == 0) return 0;
  const f = load<u32>(s, 8);
  if (forWrite && load<u8>(FRAME_CODE + f)) bumpGen(f);
  return frameHost(f);
}

// ---- guest access ----------------------------------------------------------------------------------------------
/** The host page lin's page reads from at the current privilege level, or 0 if a read would fault; raises nothing. */
export function probeRead(lin: u64): u32 {
  const s = ptFind(lin >> 12);
  if (s == 0) return 0;
  const prot = load<u32>(s, 12);
  if ((prot & PROT_READ) == 0 || (cpl == 3 && (prot & PROT_USER) == 0)) return 0;
  return frameHost(load<u32>(s, 8));
}


/**
 * The host page address for an access of kind acc to lin's page, filling the TLB; 0 after raising a fault at
 * faultAt. Writes to a frame holding decoded code invalidate its blocks and stop the current block.
 */
export function translate(lin: u64, acc: i32, faultAt: u64): u32 {
  const vpn = lin >> 12;
  const s = ptFind(vpn);
  if (s == 0) {
    raiseFault(acc, faultAt, 0);
    return 0;
  }
  const prot = load<u32>(s, 12);
  const need = acc == ACC_READ ? PROT_READ : acc == ACC_WRITE ? PROT_WRITE : PROT_EXEC;
  if ((prot & need) == 0 || (cpl == 3 && (prot & PROT_USER) == 0)) {
    raiseFault(acc, faultAt, 1);
    return 0;
  }
  lastProt = prot;
  const f = load<u32>(s, 8);
  const h = frameHost(f);
  const i = tlbIndex(vpn);
  if (acc == ACC_READ) {
    store<u64>(TLB_READ + i, vpn + 1);
    store<u32>(TLB_READ + i, h, 8);
  } else if (acc == ACC_WRITE) {
    if (load<u8>(FRAME_CODE + f)) {
      bumpGen(f);
      codeWritten();
    }
    store<u64>(TLB_WRITE + i, vpn + 1);
    store<u32>(TLB_WRITE + i, h, 8);
  }
  return h;
}

/** Marks the frame behind a fetched page as holding code: its write-TLB entry goes, so writes take the slow path. */
export function markCode(vpn: u64, frame: u32): void {
  store<u8>(FRAME_CODE + frame, 1);
  const i = tlbIndex(vpn);
  if (load<u64>(TLB_WRITE + i) == vpn + 1) store<u64>(TLB_WRITE + i, TLB_EMPTY);
}

/** The frame index behind a host page address. */
@inline export function frameOf(host: u32): u32 {
  return (host - FRAMES) >> 12;
}

@inline export function frameGen(frame: u32): u32 {
  return load<u32>(FRAME_GEN + (frame << 2));
}

/** Reads 1 << sz bytes at lin (zero-extended). On a fault returns 0 with flt set. */
@inline export function rd(lin: u64, sz: i32): u64 {
  const vpn = lin >> 12;
  const e = TLB_READ + tlbIndex(vpn);
  const off = <u32>lin & 0xfff;
  if (load<u64>(e) == vpn + 1 && off <= 0x1000 - (1 << sz)) {
    return load<u64>(load<u32>(e, 8) + off) & mask(sz);
  }
  return rdSlow(lin, sz);
}

export function rdSlow(lin: u64, sz: i32): u64 {
  const n = <u32>1 << sz;
  const off = <u32>lin & 0xfff;
  const h1 = translate(lin, ACC_READ, lin);
  if (h1 == 0) return 0;
  if (off + n <= 0x1000) return load<u64>(h1 + off) & mask(sz);
  // Crossing into the next page: Unicorn reports a fault there at the page's first byte.
  const next = (lin | 0xfff) + 1;
  const h2 = translate(next, ACC_READ, next);
  if (h2 == 0) return 0;
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const o = off + i;
    const b = o < 0x1000 ? load<u8>(h1 + o) : load<u8>(h2 + o - 0x1000);
    v |= <u64>b << (<u64>i << 3);
  }
  return v;
}

/** Writes the low 1 << sz bytes of v at lin. On a fault nothing is written and flt is set. */
@inline export function wr(lin: u64, sz: i32, v: u64): void {
  const vpn = lin >> 12;
  const e = TLB_WRITE + tlbIndex(vpn);
  const off = <u32>lin & 0xfff;
  if (load<u64>(e) == vpn + 1 && off <= 0x1000 - (1 << sz)) {
    const h = load<u32>(e, 8) + off;
    const m = mask(sz);
    store<u64>(h, (load<u64>(h) & ~m) | (v & m));
    return;
  }
  wrSlow(lin, sz, v);
}

export function wrSlow(lin: u64, sz: i32, v: u64): void {
  const n = <u32>1 << sz;
  const off = <u32>lin & 0xfff;
  const h1 = translate(lin, ACC_WRITE, lin);
  if (h1 == 0) return;
  if (off + n <= 0x1000) {
    const h = h1 + off;
    const m = mask(sz);
    store<u64>(h, (load<u64>(h) & ~m) | (v & m));
    return;
  }
  // Crossing pages, as Unicorn does it: the bytes on the first page are stored, then a fault on the second page
  // is reported at the access's last byte.
  const next = (lin | 0xfff) + 1;
  const h2 = translate(next, ACC_WRITE, lin + n - 1);
  for (let i: u32 = 0; i < n; i++) {
    const o = off + i;
    const b = <u8>(v >> (<u64>i << 3));
    if (o < 0x1000) store<u8>(h1 + o, b);
    else if (h2 != 0) store<u8>(h2 + o - 0x1000, b);
  }
}

/** Reads a byte for the decoder through the execute permission; -1 after raising a fetch fault. */
export function fetchHost(lin: u64): u32 {
  return translate(lin, ACC_FETCH, lin);
}

export { flt };
