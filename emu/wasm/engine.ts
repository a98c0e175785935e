// The wasm engine: kdemu's own x86/x64 core (AssemblyScript in emu/wasm/assembly, built to build/wasm/core.wasm)
// behind the Engine interface. No native dependency: guest memory, the decoded-block cache and the run loop all
// live in the module's linear memory, and one run() call stays inside wasm until an exit.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { EngineMemoryError, EngineUnavailableError, GuestMemoryExhaustedError, PAGE_SIZE, Prot } from '../engine.js';
import type { Access, Arch, Backing, Cpl, Engine, Exit, Reg } from '../engine.js';
import { cpuidLeaf, TSC_BASE, TSC_TICKS_PER_INSTRUCTION } from '../cpuid.js';

/** The module's exports (emu/wasm/assembly/index.ts); i64 values cross as BigInt. */
interface CoreExports {
  memory: WebAssembly.Memory;
  init(isLong: number): void;
  getReg(i: number): bigint;
  setReg(i: number, v: bigint): void;
  mapPage(vpn: bigint, prot: number, frame: number, zero: number): number;
  mapRange(vpn: bigint, count: number, prot: number, frame: number, zero: number): number;
  pageRoom(): number;
  anyMapped(vpn: bigint, count: number): number;
  ptMove(base: number, bits: number): number;
  ptSizeBits(): number;
  framesBase(): number;
  maxFrames(): number;
  heapBase(): number;
  unmapPage(vpn: bigint): number;
  unmapRange(vpn: bigint, count: number): number;
  protectPage(vpn: bigint, prot: number): number;
  protectRange(vpn: bigint, count: number, prot: number): number;
  hostPage(vpn: bigint, forWrite: number): number;
  addTrap(begin: bigint, end: bigint): number;
  setCpuid(i: number, leaf: number, a: number, b: number, c: number, d: number): void;
  setCpuidCount(n: number): void;
  setTsc(base: bigint, ticks: bigint): void;
  run(pc: bigint, budget: bigint): number;
  instructions(): bigint;
  exitPc(): bigint;
  exitAddr(): bigint;
  exitAccess(): number;
  exitReason(): number;
  exitVector(): number;
  flushCode(): void;
  setCpl(cpl: number): void;
  pageProt(vpn: bigint): number;
  fpuGet(i: number): bigint;
  fpuSet(i: number, v: bigint): void;
  setCoverage(begin: bigint, end: bigint, map: number): void;
}

/** Where the core keeps xmm0-15 and then the x87 registers (emu/wasm/assembly/layout.ts XMM, X87): 384 bytes. */
const FPU_REGS = 0x1400;
const FPU_REGS_BYTES = 0x180;

// Exit codes and access kinds (emu/wasm/assembly/cpu.ts).
const EXIT_TRAP = 1;
const EXIT_FAULT = 2;
const EXIT_INTERRUPT = 3;
const EXIT_BUDGET = 4;
const EXIT_UNSUPPORTED = 5;
const EXIT_PRIVILEGED = 6;
const ACCESS: readonly Access[] = ['read', 'write', 'fetch'];

const REG_INDEX: Record<Reg, number> = {
  rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
  rip: 16, rflags: 17, fsBase: 18, gsBase: 19,
};

/** Where scripts/setup.sh puts the compiled core (asconfig.json). */
export function wasmCorePath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let root = path.resolve(here, '..', '..');
  // From dist/emu/wasm the repository root is one level further up.
  if (path.basename(root) === 'dist') root = path.dirname(root);
  return path.join(root, 'build', 'wasm', 'core.wasm');
}

let compiled: WebAssembly.Module | Error | undefined;

/** The compiled core, compiled once per process (synchronously: engines are created synchronously). */
function coreModule(): WebAssembly.Module {
  if (compiled instanceof Error) throw compiled;
  if (compiled) return compiled;
  const file = wasmCorePath();
  if (!existsSync(file)) {
    compiled = new EngineUnavailableError(`the wasm engine needs ${path.relative(process.cwd(), file)}: run npm run setup`);
    throw compiled;
  }
  compiled = new WebAssembly.Module(readFileSync(file));
  return compiled;
}

/** True when the compiled core is present. */
export function wasmAvailable(): boolean {
  try {
    coreModule();
    return true;
  } catch {
    return false;
  }
}

const MAX_U64 = (1n << 64n) - 1n;
/** The page table's first and largest sizes, log2 of slots (emu/wasm/assembly/layout.ts); 16-byte slots. */
const PT_MIN_BITS = 12;
const PT_MAX_BITS = 21;
/** Pages a table of 2^bits slots may hold: three quarters of its slots. */
const ptLimit = (bits: number): number => ((1 << bits) >> 2) * 3;
/** Instructions per call into the core (see run). */
const SLICE = 1 << 22;

/**
 * A mapped region: its frames are contiguous in linear memory, so the kernel layer gets one view of it. Linear
 * memory can grow (which detaches old views), so the views are renewed on access when the buffer changed; the
 * object itself stays the same for the region's lifetime, as Backing requires.
 */
/** Linear memory's current buffer, renewed only when the engine grows it (the core never does). */
interface MemoryState {
  buffer: ArrayBuffer;
  /** Bumped on every growth: views made before are detached. */
  generation: number;
}

class Region implements Backing {
  private cachedBytes: Uint8Array | undefined;
  private cachedView: DataView | undefined;
  private bytesGen = -1;
  private viewGen = -1;
  constructor(
    readonly begin: bigint,
    readonly size: number,
    /** Byte offset of the first frame in linear memory. */
    readonly host: number,
    readonly frame: number,
    public code: boolean,
    private readonly memory: MemoryState,
    /** A second view of frames another region owns (mapAlias): unmapping it frees nothing. */
    readonly alias = false,
  ) {
    this.end = begin + BigInt(size);
  }
  /** One past the last byte; a field, since every guest access compares against it. */
  readonly end: bigint;
  // A generation compare instead of reading memory.buffer: that getter is slow, and these run on every access.
  get bytes(): Uint8Array {
    if (this.bytesGen === this.memory.generation) return this.cachedBytes!;
    this.bytesGen = this.memory.generation;
    return (this.cachedBytes = new Uint8Array(this.memory.buffer, this.host, this.size));
  }
  get view(): DataView {
    if (this.viewGen === this.memory.generation) return this.cachedView!;
    this.viewGen = this.memory.generation;
    return (this.cachedView = new DataView(this.memory.buffer, this.host, this.size));
  }
}

/** A run of free frames. */
interface FreeRun {
  first: number;
  count: number;
}

/** Static data past framesBase() would be overwritten by guest memory: checked once per process. */
let layoutChecked = false;

export class WasmEngine implements Engine {
  readonly name = 'wasm' as const;
  private readonly core: CoreExports;
  private bytes: Uint8Array;
  private readonly memory: MemoryState;
  private readonly addrMask: bigint;
  private closed = false;
  /** Mapped regions sorted by address (they never overlap): binary search finds one. */
  private readonly regions: Region[] = [];
  private last: Region | undefined;
  /**
   * Frames handed out so far (the high-water mark) and the runs given back, sorted by first frame and merged with
   * their neighbours. Allocation is first fit over the runs and freeing a binary search plus a splice: linear in
   * the number of runs, which stays small since the kernel layer maps few, large regions (pool chunks, images,
   * stacks) and frees neighbours merge.
   */
  private frameTop = 0;
  private readonly freeRuns: FreeRun[] = [];
  /** The frames holding the core's page table (it grows with the guest, so it is not part of the fixed layout). */
  private ptFrames: FreeRun | undefined;
  readonly maxGuestBytes: number;

  constructor(readonly arch: Arch) {
    const instance = new WebAssembly.Instance(coreModule(), {});
    this.core = instance.exports as unknown as CoreExports;
    if (!layoutChecked) {
      if (this.core.heapBase() >>> 0 > this.core.framesBase()) throw new Error('the wasm core\'s static data overlaps its guest frames: raise FRAMES (emu/wasm/assembly/layout.ts)');
      layoutChecked = true;
    }
    // Every frame but those of the largest page table, which a guest that big needs.
    this.maxGuestBytes = (this.core.maxFrames() - ((1 << PT_MAX_BITS) * 16) / PAGE_SIZE) * PAGE_SIZE;
    this.bytes = new Uint8Array(this.core.memory.buffer);
    this.memory = { buffer: this.core.memory.buffer, generation: 0 };
    this.movePageTable(PT_MIN_BITS);
    this.addrMask = arch === 'x64' ? MAX_U64 : 0xffffffffn;
    this.core.init(arch === 'x64' ? 1 : 0);
    // CPUID answers: every basic and extended leaf up to the maxima the table reports (others read as zero).
    const leaves: number[] = [];
    const maxBasic = cpuidLeaf(0)[0] >>> 0;
    for (let l = 0; l <= maxBasic && leaves.length < 32; l++) leaves.push(l);
    const maxExt = cpuidLeaf(0x80000000)[0] >>> 0;
    for (let l = 0x80000000; l <= maxExt && leaves.length < 64; l++) leaves.push(l);
    leaves.forEach((leaf, i) => {
      const [a, b, c, d] = cpuidLeaf(leaf);
      this.core.setCpuid(i, leaf, a, b, c, d);
    });
    this.core.setCpuidCount(leaves.length);
    this.core.setTsc(TSC_BASE, TSC_TICKS_PER_INSTRUCTION);
  }

  get instructions(): number {
    return Number(this.core.instructions());
  }

  pageProt(address: bigint): Prot | undefined {
    const p = this.core.pageProt(address >> 12n);
    return p < 0 ? undefined : (p as Prot);
  }

  private level: Cpl = 0;
  get cpl(): Cpl {
    return this.level;
  }
  setCpl(cpl: Cpl): void {
    this.level = cpl;
    this.core.setCpl(cpl);
  }

  /** A view of linear memory, renewed when the module grew it. */
  private view(): Uint8Array {
    if (this.bytes.buffer !== this.memory.buffer) this.bytes = new Uint8Array(this.memory.buffer);
    return this.bytes;
  }

  /** The host address of a mapped page, or 0 (the core returns a u32, which crosses as a signed i32). */
  private hostPage(vpn: bigint, forWrite: boolean): number {
    return this.core.hostPage(vpn, forWrite ? 1 : 0) >>> 0;
  }

  private checkRange(what: string, address: bigint, size: number): void {
    if (address % BigInt(PAGE_SIZE) !== 0n || size % PAGE_SIZE !== 0 || size === 0) {
      throw new Error(`${what}(0x${address.toString(16)}, 0x${size.toString(16)}): address and size must be page aligned and non-zero`);
    }
  }

  /**
   * A run of count contiguous frames (first fit over the runs given back, else fresh), growing memory as needed;
   * used: the frames held guest memory before (fresh ones are still zero).
   */
  private allocFrames(count: number): { first: number; used: boolean } {
    const runs = this.freeRuns;
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i];
      if (r.count < count) continue;
      const first = r.first;
      r.first += count;
      r.count -= count;
      if (r.count === 0) runs.splice(i, 1);
      return { first, used: true };
    }
    const first = this.frameTop;
    const bytes = count * PAGE_SIZE;
    const max = this.core.maxFrames();
    if (first + count > max) {
      const free = this.freeFrameCount() * PAGE_SIZE;
      throw new GuestMemoryExhaustedError(bytes, 'capacity', `the wasm engine has ${free} bytes of frames free${free >= bytes ? ', but not contiguous' : ''}`);
    }
    // One spare frame past the last keeps the core's 8-byte accesses at a frame's end inside linear memory.
    const need = this.core.framesBase() + (first + count + 1) * PAGE_SIZE;
    const have = this.core.memory.buffer.byteLength;
    if (need > have) {
      // Exactly what is needed: V8 counts linear memory as external memory, so every byte more brings the next
      // garbage collection nearer (and engines are many).
      try {
        this.core.memory.grow(Math.ceil((need - have) / 65536));
      } catch (e) {
        throw new GuestMemoryExhaustedError(bytes, 'host', `growing the wasm memory to ${need} bytes failed: ${(e as Error).message}`);
      }
      this.memory.buffer = this.core.memory.buffer;
      this.memory.generation++;
    }
    this.frameTop += count;
    return { first, used: false };
  }

  private freeFrames(first: number, count: number): void {
    const runs = this.freeRuns;
    // The first run after the freed one.
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (runs[mid].first < first) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? runs[lo - 1] : undefined;
    const next = lo < runs.length ? runs[lo] : undefined;
    const joinsPrev = prev !== undefined && prev.first + prev.count === first;
    const joinsNext = next !== undefined && first + count === next.first;
    if (joinsPrev && joinsNext) {
      prev.count += count + next.count;
      runs.splice(lo, 1);
    } else if (joinsPrev) prev.count += count;
    else if (joinsNext) {
      next.first = first;
      next.count += count;
    } else runs.splice(lo, 0, { first, count });
  }

  /** Frames not in use: never handed out, or given back. */
  private freeFrameCount(): number {
    let n = this.core.maxFrames() - this.frameTop;
    for (const r of this.freeRuns) n += r.count;
    return n;
  }

  /** Moves the core's page table to fresh frames holding 2^bits slots, and frees the old ones. */
  private movePageTable(bits: number): void {
    const count = ((1 << bits) * 16) / PAGE_SIZE;
    const { first, used } = this.allocFrames(count);
    const host = this.core.framesBase() + first * PAGE_SIZE;
    if (used) this.view().fill(0, host, host + count * PAGE_SIZE);
    if (this.core.ptMove(host, bits) !== 0) throw new Error(`the wasm core refused a page table of 2^${bits} slots`);
    if (this.ptFrames) this.freeFrames(this.ptFrames.first, this.ptFrames.count);
    this.ptFrames = { first, count };
  }

  /** Makes the page table big enough for pages more pages (bytes is what the caller asked for, for the error). */
  private pageRoomFor(pages: number, bytes: number): void {
    const room = this.core.pageRoom();
    if (pages <= room) return;
    const bits = this.core.ptSizeBits();
    const need = ptLimit(bits) - room + pages;
    let next = bits + 1;
    while (next <= PT_MAX_BITS && ptLimit(next) < need) next++;
    if (next > PT_MAX_BITS) {
      throw new GuestMemoryExhaustedError(bytes, 'page-table', `the wasm engine maps at most ${ptLimit(PT_MAX_BITS)} pages (aliases included); ${need - pages} are mapped`);
    }
    this.movePageTable(next);
  }

  /** The index of the first region beginning after address (where a region at address would go). */
  private regionIndexAfter(address: bigint): number {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs[mid].begin <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private addRegion(region: Region): void {
    this.regions.splice(this.regionIndexAfter(region.begin), 0, region);
  }

  map(address: bigint, size: number, prot: Prot): void {
    this.checkRange('map', address, size);
    const pages = size / PAGE_SIZE;
    if (this.core.anyMapped(address >> 12n, pages)) throw new Error(`map(0x${address.toString(16)}, 0x${size.toString(16)}): overlaps mapped memory`);
    const free = this.freeFrameCount();
    if (pages > free) throw new GuestMemoryExhaustedError(size, 'capacity', `the wasm engine holds ${this.maxGuestBytes} bytes; ${free * PAGE_SIZE} are free`);
    this.pageRoomFor(pages, size);
    const { first: frame, used } = this.allocFrames(pages);
    const r = this.core.mapRange(address >> 12n, pages, prot, frame, used ? 1 : 0);
    if (r !== 0) {
      // Overlap and room were checked above: a refusal here is a bug in the core.
      this.freeFrames(frame, pages);
      throw new Error(`map(0x${address.toString(16)}, 0x${size.toString(16)}): the wasm core refused it (${r})`);
    }
    this.addRegion(new Region(address, size, this.core.framesBase() + frame * PAGE_SIZE, frame, (prot & Prot.Exec) !== 0, this.memory));
  }

  unmap(address: bigint, size: number): void {
    const i = this.regionIndexAfter(address) - 1;
    const r = i >= 0 ? this.regions[i] : undefined;
    if (!r || r.begin !== address || r.size !== size) throw new Error(`unmap(0x${address.toString(16)}, 0x${size.toString(16)}): not a mapped region`);
    this.regions.splice(i, 1);
    this.last = undefined;
    this.core.unmapRange(address >> 12n, size / PAGE_SIZE);
    if (!r.alias) this.freeFrames(r.frame, size / PAGE_SIZE);
  }

  mapAlias(address: bigint, source: bigint, prot: Prot): void {
    this.checkRange('mapAlias', address, PAGE_SIZE);
    const host = this.hostPage(source >> 12n, false);
    if (host === 0) throw new Error(`mapAlias: the source page 0x${source.toString(16)} is not mapped`);
    if (this.hostPage(address >> 12n, false) !== 0) throw new Error(`mapAlias(0x${address.toString(16)}): already mapped`);
    const frame = (host - this.core.framesBase()) / PAGE_SIZE;
    this.pageRoomFor(1, PAGE_SIZE);
    if (this.core.mapPage(address >> 12n, prot, frame, 0) !== 0) throw new Error(`mapAlias(0x${address.toString(16)}): the wasm core refused it`);
    // Marked as code: writes through a view take the path that drops decoded blocks of the shared frame.
    this.addRegion(new Region(address, PAGE_SIZE, host, frame, true, this.memory, true));
  }

  protect(address: bigint, size: number, prot: Prot): void {
    this.checkRange('protect', address, size);
    if (this.core.protectRange(address >> 12n, size / PAGE_SIZE, prot) !== 0) throw new Error(`protect(0x${address.toString(16)}): memory not mapped`);
    if (!(prot & Prot.Exec)) return;
    // Every region the range touches may now hold code: host writes into them must take the invalidating path.
    const end = address + BigInt(size);
    for (let i = Math.max(0, this.regionIndexAfter(address) - 1); i < this.regions.length && this.regions[i].begin < end; i++) {
      const r = this.regions[i];
      if (r.end > address) r.code = true;
    }
  }

  /** The region holding address, or undefined. */
  private regionAt(address: bigint): Region | undefined {
    const l = this.last;
    if (l && address >= l.begin && address < l.end) return l;
    const i = this.regionIndexAfter(address) - 1;
    if (i < 0) return undefined;
    const r = this.regions[i];
    return address < r.end ? (this.last = r) : undefined;
  }

  backing(address: bigint): Backing | undefined {
    return this.regionAt(address);
  }

  /** Host addresses of the pages under [address, address+size), or null if one is unmapped. */
  private pages(address: bigint, size: number, forWrite: boolean): number[] | null {
    const out: number[] = [];
    const last = (address + BigInt(size) - 1n) >> 12n;
    for (let vpn = address >> 12n; vpn <= last; vpn++) {
      const h = this.hostPage(vpn, forWrite);
      if (h === 0) return null;
      out.push(h);
    }
    return out;
  }

  read(address: bigint, size: number): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    // Inside one region: a copy straight from its view.
    const r = this.regionAt(address);
    if (r && address + BigInt(size) <= r.end) {
      const off = Number(address - r.begin);
      return r.bytes.slice(off, off + size);
    }
    const out = new Uint8Array(size);
    const hosts = this.pages(address, size, false);
    if (!hosts) throw new EngineMemoryError(address, size, 'read');
    const mem = this.view();
    let off = Number(address & 0xfffn);
    let done = 0;
    for (const h of hosts) {
      const n = Math.min(PAGE_SIZE - off, size - done);
      out.set(mem.subarray(h + off, h + off + n), done);
      done += n;
      off = 0;
    }
    return out;
  }

  write(address: bigint, data: Uint8Array): void {
    if (data.length === 0) return;
    // Inside one region that holds no code (so no decoded block can depend on it): straight into its view.
    const r = this.regionAt(address);
    if (r && !r.code && address + BigInt(data.length) <= r.end) {
      r.bytes.set(data, Number(address - r.begin));
      return;
    }
    if (!this.pages(address, data.length, false)) throw new EngineMemoryError(address, data.length, 'write');
    // Second pass with forWrite: frames holding decoded code drop their blocks.
    const hosts = this.pages(address, data.length, true)!;
    const mem = this.view();
    let off = Number(address & 0xfffn);
    let done = 0;
    for (const h of hosts) {
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      mem.set(data.subarray(done, done + n), h + off);
      done += n;
      off = 0;
    }
  }

  getReg(reg: Reg): bigint {
    const v = BigInt.asUintN(64, this.core.getReg(REG_INDEX[reg]));
    return this.arch === 'x86' ? v & 0xffffffffn : v;
  }

  setReg(reg: Reg, value: bigint): void {
    this.core.setReg(REG_INDEX[reg], BigInt.asIntN(64, this.arch === 'x86' ? BigInt.asUintN(32, value) : value));
  }

  readRegs(regs: readonly Reg[], out: BigUint64Array): void {
    for (let i = 0; i < regs.length; i++) out[i] = this.getReg(regs[i]);
  }

  writeRegs(regs: readonly Reg[], values: ArrayLike<bigint>): void {
    for (let i = 0; i < regs.length; i++) this.setReg(regs[i], values[i]);
  }

  saveFpu(into?: Uint8Array): Uint8Array {
    const out = into ?? new Uint8Array(FPU_REGS_BYTES + 32);
    out.set(new Uint8Array(this.core.memory.buffer, FPU_REGS, FPU_REGS_BYTES));
    const dv = new DataView(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < 4; i++) dv.setBigUint64(FPU_REGS_BYTES + 8 * i, this.core.fpuGet(i), true);
    return out;
  }

  restoreFpu(state: Uint8Array): void {
    new Uint8Array(this.core.memory.buffer, FPU_REGS, FPU_REGS_BYTES).set(state.subarray(0, FPU_REGS_BYTES));
    const dv = new DataView(state.buffer, state.byteOffset, state.length);
    for (let i = 0; i < 4; i++) this.core.fpuSet(i, dv.getBigUint64(FPU_REGS_BYTES + 8 * i, true));
  }

  /** The coverage bitmap's frames and the range it covers (setCoverage). */
  private cov: { begin: bigint; end: bigint; first: number; count: number } | undefined;

  setCoverage(begin: bigint, end: bigint): void {
    if (this.cov) {
      this.core.setCoverage(0n, 0n, 0);
      this.freeFrames(this.cov.first, this.cov.count);
      this.cov = undefined;
    }
    if (end <= begin) return;
    const bytes = Number((end - begin + 7n) >> 3n);
    const count = Math.ceil(bytes / PAGE_SIZE);
    const { first, used } = this.allocFrames(count);
    const host = this.core.framesBase() + first * PAGE_SIZE;
    if (used) this.view().fill(0, host, host + count * PAGE_SIZE);
    this.cov = { begin, end, first, count };
    this.core.setCoverage(BigInt.asIntN(64, begin), BigInt.asIntN(64, end), host);
  }

  coverage(): Uint8Array {
    if (!this.cov) return new Uint8Array(0);
    const host = this.core.framesBase() + this.cov.first * PAGE_SIZE;
    return this.view().slice(host, host + Number((this.cov.end - this.cov.begin + 7n) >> 3n));
  }

  addTrapRange(begin: bigint, end: bigint): void {
    if (this.core.addTrap(BigInt.asIntN(64, begin), BigInt.asIntN(64, end)) !== 0) throw new Error('addTrapRange: too many trap ranges');
  }

  run(pc: bigint, budget: number): Exit {
    // Long runs go in slices: V8 swaps in optimized code for the core only between calls (no on-stack
    // replacement), so a single long call would stay in its baseline compilation. Slices change nothing else:
    // the core resumes exactly where a budget exit left it, mid-rep included.
    let code: number;
    let left = budget;
    for (;;) {
      const slice = left === 0 ? SLICE : Math.min(left, SLICE);
      try {
        code = this.core.run(BigInt.asIntN(64, pc & this.addrMask), BigInt(slice));
      } catch (e) {
        // A trap inside the core is a bug in it; it becomes an exit, never an exception across the engine boundary.
        return { kind: 'error', message: `the wasm core trapped: ${(e as Error).message}`, pc };
      }
      if (code !== EXIT_BUDGET) break;
      if (left !== 0) {
        left -= slice;
        if (left === 0) break;
      }
      pc = BigInt.asUintN(64, this.core.getReg(16));
    }
    const u = (v: bigint): bigint => BigInt.asUintN(64, v) & this.addrMask;
    switch (code) {
      case EXIT_TRAP:
        return { kind: 'trap', address: u(this.core.exitAddr()) };
      case EXIT_FAULT: {
        const access = ACCESS[this.core.exitAccess()];
        const address = u(this.core.exitAddr());
        const reason = this.core.exitReason() === 0 ? 'unmapped' : 'protection';
        return { kind: 'fault', access, address, pc: access === 'fetch' ? address : u(this.core.exitPc()), reason };
      }
      case EXIT_INTERRUPT:
        return { kind: 'interrupt', vector: this.core.exitVector(), pc: u(this.core.exitPc()) };
      case EXIT_BUDGET:
        return { kind: 'budget', pc: this.getReg('rip') };
      case EXIT_PRIVILEGED:
        return { kind: 'privileged', pc: u(this.core.exitPc()) };
      case EXIT_UNSUPPORTED: {
        const at = u(this.core.exitPc());
        return { kind: 'unsupported', pc: at, bytes: this.instructionBytes(at) };
      }
      default:
        return { kind: 'error', message: `the wasm core stopped with code ${code}`, pc: this.getReg('rip') };
    }
  }

  /** Up to 15 bytes at pc (an instruction's maximum length), for an unsupported-instruction report. */
  private instructionBytes(pc: bigint): Uint8Array {
    for (let n = 15; n > 0; n--) {
      try {
        return this.read(pc, n);
      } catch {
        /* shorter: the next page is unmapped */
      }
    }
    return new Uint8Array(0);
  }

  close(): void {
    this.closed = true;
  }
}
