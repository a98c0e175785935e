// The executive's pool: tagged allocations in guest memory, with Windows' checks on free.

import { PAGE_SIZE, Prot } from '../../emu/engine.js';
import { GuestStop, MemoryBudgetError, type Machine } from '../machine.js';

export interface PoolBlock {
  address: bigint;
  size: number;
  tag: number;
  poolType: number;
  /** Who asked: a driver (its leaks are reported at unload) or the kernel itself (objects, IRPs, buffers). */
  owner: 'driver' | 'system';
  /** module+offset of the calling instruction, for the leak report. */
  caller: string;
  /** Allocation order, so that reports list blocks deterministically. */
  seq: number;
}

const CHUNK = 0x100000;
const QUICK_MAX = 0x400;
const QUICK_DEPTH = 32;

/** Bugcheck BAD_POOL_CALLER (0xC2) with Windows' first-parameter codes. */
export const BAD_POOL_CALLER = 0xc2;

export class Pool {
  private readonly blocks = new Map<bigint, PoolBlock>();
  /** Free ranges, sorted by address; first fit keeps reuse deterministic. */
  private free: { address: bigint; size: number }[] = [];
  private mappedEnd: bigint;
  /** Recently freed small blocks by exact size, reused before the free list (deterministic, like lookasides). */
  private readonly quick = new Map<number, bigint[]>();
  private seq = 0;
  /** Pool blocks carry a header like POOL_HEADER: 16 bytes on x64, 8 on x86; allocations are aligned the same. */
  readonly header: number;

  private readonly base: bigint;
  private readonly limit: bigint;
  private readonly prot: Prot;

  /** The non-paged pool by default; the user side reuses the allocator for its process heap with its own range. */
  constructor(private readonly m: Machine, range?: { base: bigint; limit: bigint; prot?: Prot }) {
    this.base = range?.base ?? m.layout.pool;
    this.limit = range?.limit ?? m.layout.poolLimit;
    this.prot = range?.prot ?? Prot.RW;
    this.mappedEnd = this.base;
    this.header = m.ptrSize === 8 ? 16 : 8;
  }

  /** The live block starting at address, if any. */
  block(address: bigint): PoolBlock | undefined {
    return this.blocks.get(address);
  }

  allocate(size: number, tag: number, poolType: number, owner: 'driver' | 'system', caller: string): bigint | null {
    const need = this.header + Math.max(align(size, this.header), this.header);
    let start: bigint;
    const quick = need <= QUICK_MAX ? this.quick.get(need) : undefined;
    if (quick?.length) {
      // Like the pool's lookaside lists: a block of exactly this size freed recently is reused first (LIFO).
      start = quick.pop()!;
    } else {
      let i = this.free.findIndex((f) => f.size >= need);
      if (i < 0) {
        if (!this.grow(need)) return null;
        i = this.free.findIndex((f) => f.size >= need);
      }
      const f = this.free[i];
      start = f.address;
      if (f.size === need) this.free.splice(i, 1);
      else this.free[i] = { address: f.address + BigInt(need), size: f.size - need };
    }
    const address = start + BigInt(this.header);
    // A pool header the way drivers may peek at it: block size in header units, pool type, tag.
    this.m.setU16(start, need / this.header);
    this.m.setU16(start + 2n, poolType & 0xffff);
    this.m.setU32(start + 4n, tag >>> 0);
    this.blocks.set(address, { address, size, tag: tag >>> 0, poolType, owner, caller, seq: this.seq++ });
    return address;
  }

  private grow(need: number): boolean {
    const size = Math.max(CHUNK, Math.ceil(need / CHUNK) * CHUNK);
    const end = this.mappedEnd + BigInt(size);
    if (end > this.limit) return false;
    try {
      this.m.mapPages(this.mappedEnd, size, this.prot);
    } catch (e) {
      // The run's memory budget is spent: the allocation fails, as it does on Windows when memory runs out.
      if (e instanceof MemoryBudgetError) return false;
      throw e;
    }
    this.release(this.mappedEnd, size);
    this.mappedEnd = end;
    return true;
  }

  /** Frees a block; tag 0 means "any tag" (ExFreePool). Misuse bugchecks as on Windows. */
  free_(address: bigint, tag: number, pc?: bigint): PoolBlock {
    const b = this.blocks.get(address);
    if (!b) {
      // 0x7: attempt to free pool which was already freed (reserved, pool header contents, address);
      // 0x46: attempt to free an invalid pool address (address, 0, 0).
      const inPool = address >= this.base && address < this.mappedEnd;
      throw new GuestStop('bugcheck', `ExFreePool of ${inPool ? 'a block that is not allocated (double free?)' : 'an address outside the pool'}: 0x${address.toString(16)}`, {
        pc,
        bugcheck: { code: BAD_POOL_CALLER, params: inPool ? [7n, 0n, this.headerContents(address), address] : [0x46n, address, 0n, 0n] },
      });
    }
    if (tag !== 0 && (tag & 0x7fffffff) !== (b.tag & 0x7fffffff)) {
      throw new GuestStop('bugcheck', `ExFreePoolWithTag with tag '${tagText(tag)}' on a block allocated with '${tagText(b.tag)}'`, {
        pc,
        bugcheck: { code: BAD_POOL_CALLER, params: [0xan, address, BigInt(b.tag), BigInt(tag >>> 0)] },
      });
    }
    this.blocks.delete(address);
    const start = address - BigInt(this.header);
    const need = this.header + Math.max(align(b.size, this.header), this.header);
    const quick = need <= QUICK_MAX ? (this.quick.get(need) ?? this.quick.set(need, []).get(need)!) : undefined;
    if (quick && quick.length < QUICK_DEPTH) quick.push(start);
    else this.release(start, need);
    return b;
  }

  /** The first pointer-sized part of the pool header in front of a block address (0 if unreadable). */
  private headerContents(address: bigint): bigint {
    const b = this.m.tryRead(address - BigInt(this.header), this.m.ptrSize);
    if (!b) return 0n;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return this.m.ptrSize === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
  }

  private release(address: bigint, size: number): void {
    let i = this.free.findIndex((f) => f.address > address);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { address, size });
    // Coalesce with neighbours.
    if (i + 1 < this.free.length && this.free[i].address + BigInt(this.free[i].size) === this.free[i + 1].address) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].address + BigInt(this.free[i - 1].size) === this.free[i].address) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }

  get(address: bigint): PoolBlock | undefined {
    return this.blocks.get(address);
  }

  /** A point in the allocation order, for allocatedSince. */
  mark(): number {
    return this.seq;
  }

  /** The live blocks allocated after mark(), in allocation order. */
  allocatedSince(mark: number): PoolBlock[] {
    return [...this.blocks.values()].filter((b) => b.seq >= mark).sort((a, b) => a.seq - b.seq);
  }

  /** Live blocks in allocation order. */
  live(): PoolBlock[] {
    return [...this.blocks.values()].sort((a, b) => a.seq - b.seq);
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** A pool tag as the four characters Windows tools print ('Devi'); unprintable bytes become '.'. */
export function tagText(tag: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}

export const POOL_PAGE = PAGE_SIZE;
