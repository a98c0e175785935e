// A range of virtual addresses handed out in whole pages, first fit (deterministic): system PTEs, user views.

import { PAGE_SIZE } from '../../emu/engine.js';

export class VaRange {
  private free: { address: bigint; pages: number }[];

  constructor(base: bigint, size: number) {
    this.free = [{ address: base, pages: size / PAGE_SIZE }];
  }

  /** The first run of `pages` free pages, or null when the range is exhausted. */
  allocate(pages: number): bigint | null {
    const i = this.free.findIndex((f) => f.pages >= pages);
    if (i < 0) return null;
    const f = this.free[i];
    const a = f.address;
    if (f.pages === pages) this.free.splice(i, 1);
    else this.free[i] = { address: f.address + BigInt(pages * PAGE_SIZE), pages: f.pages - pages };
    return a;
  }

  release(address: bigint, pages: number): void {
    let i = this.free.findIndex((f) => f.address > address);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { address, pages });
    const next = this.free[i + 1];
    if (next && address + BigInt(pages * PAGE_SIZE) === next.address) {
      this.free[i].pages += next.pages;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.address + BigInt(prev.pages * PAGE_SIZE) === address) {
      prev.pages += this.free[i].pages;
      this.free.splice(i, 1);
    }
  }
}
