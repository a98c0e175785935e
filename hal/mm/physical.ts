// Physical memory: the machine's RAM map, virtual↔physical translation, I/O-space mappings and the allocators that
// hand out physical pages (contiguous, non-cached, pages for an MDL).
//
// The machine has 4 GiB of RAM laid out as on a PC: 632 KiB below the legacy video/BIOS hole, RAM from 1 MiB to
// 3 GiB, and (x64 only: 32-bit client Windows uses no memory above 4 GiB) the last GiB remapped above 4 GiB. Page
// frame numbers are those of the MDL code's PFN database (hal/mm/mdl.ts): a page of kernel memory gets one when it
// is first described, so MmGetPhysicalAddress, an MDL's PFN array and MmMapIoSpace agree. Pages this module hands
// out live in a window of system space of its own ("home" pages), from the top of the acceptable range down.
//
// Device memory: the local APIC (0xFEE00000) and the HPET (0xFED00000) read as their registers after firmware set
// them up (the HPET halted, so its counter stands still); any other address that is not RAM reads all ones. kdemu
// has no memory-mapped I/O hooks, so these pages are plain memory: what a driver writes there stays.

import { PAGE_SIZE, Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, MemoryBudgetError, hex } from '../machine.js';
import type { LeakReport } from '../report.js';
import { tagOf } from '../io/device.js';
import { VaRange } from './va.js';
import { allocateMdl, mm, spanPages, MDL_PAGES_LOCKED } from './mdl.js';

/** [base, end) of each RAM range. */
const RAM_BELOW_4G: readonly (readonly [bigint, bigint])[] = [
  [0x1000n, 0x9f000n],
  [0x100000n, 0xc0000000n],
];
const RAM: Record<'x86' | 'x64', readonly (readonly [bigint, bigint])[]> = {
  x86: RAM_BELOW_4G,
  x64: [...RAM_BELOW_4G, [0x100000000n, 0x140000000n]],
};

/** The RAM map in pages: how many, and the lowest and highest page frame numbers (what KUSER_SHARED_DATA and
 * SystemBasicInformation report). */
export function ramPages(arch: 'x86' | 'x64'): { count: number; lowest: number; highest: number } {
  const r = RAM[arch];
  const count = r.reduce((n, [b, e]) => n + Number((e - b) / 0x1000n), 0);
  return { count, lowest: Number(r[0][0] / 0x1000n), highest: Number((r[r.length - 1][1] - 1n) / 0x1000n) };
}

/** The window of system space where physical pages this module backs are mapped. */
const WINDOW: Record<'x86' | 'x64', { base: bigint; size: number }> = {
  x64: { base: 0xfffffa8000000000n, size: 0x40000000 },
  x86: { base: 0xc1000000n, size: 0x4000000 },
};

export const LOCAL_APIC_BASE = 0xfee00000n;
export const HPET_BASE = 0xfed00000n;

const PAGE = BigInt(PAGE_SIZE);

/** Physical pages a driver holds through an allocation of this module, until it frees them. */
interface Allocation {
  kind: 'contiguous' | 'non-cached' | 'mdl-pages';
  /** The allocation's virtual address (contiguous, non-cached) or the MDL describing it (mdl-pages). */
  address: bigint;
  pfns: bigint[];
  /** Home pages: one region of all pages (contiguous, non-cached) or one region per page (mdl-pages). */
  homes: bigint[];
  caller: string;
}

interface IoMapping {
  /** The first page of the view, its pages, and the physical address it shows. */
  base: bigint;
  pages: number;
  physical: bigint;
  caller: string;
}

class PhysicalState {
  readonly window: VaRange;
  readonly allocations: Allocation[] = [];
  readonly ioMappings: IoMapping[] = [];
  /** The page every non-RAM, non-device page shows (all ones), created on first use. */
  floating = 0n;

  constructor(k: Kernel) {
    const w = WINDOW[k.arch];
    this.window = new VaRange(w.base, w.size);
  }
}

const states = new WeakMap<Kernel, PhysicalState>();
function phys(k: Kernel): PhysicalState {
  let s = states.get(k);
  if (!s) states.set(k, (s = new PhysicalState(k)));
  return s;
}

export function isRam(k: Kernel, pa: bigint): boolean {
  return RAM[k.arch].some(([b, e]) => pa >= b && pa < e);
}

/** Maps `pages` fresh zeroed pages in the window; null when the window or the memory budget is exhausted. */
function mapHome(k: Kernel, pages: number): bigint | null {
  const st = phys(k);
  const va = st.window.allocate(pages);
  if (va === null) return null;
  try {
    k.m.mapPages(va, pages * PAGE_SIZE, Prot.RW);
  } catch (e) {
    st.window.release(va, pages);
    if (e instanceof MemoryBudgetError) return null;
    throw e;
  }
  return va;
}

function unmapHome(k: Kernel, va: bigint, pages: number): void {
  k.m.unmap(va, pages * PAGE_SIZE);
  phys(k).window.release(va, pages);
}

/** Whether a view (an MDL mapping, an I/O-space mapping) still shows the page frame at an address other than home. */
function stillMapped(k: Kernel, pfn: bigint, home: bigint): boolean {
  for (const [at, n] of mm(k).pfnOf) if (n === pfn && at !== home) return true;
  return false;
}

/**
 * Gives pages back. Pages a view still shows (a driver freeing memory it has not unmapped) stay where they are, so
 * that the view goes on showing memory rather than a hole; only their frames are free again.
 */
function releaseHomes(k: Kernel, pfns: readonly bigint[], homes: readonly bigint[], pagesPerHome: number): void {
  const mapped = pfns.some((pfn, i) => stillMapped(k, pfn, pagesPerHome === 1 ? homes[i] : homes[0] + BigInt(i) * PAGE));
  pfns.forEach((pfn, i) => unclaim(k, pfn, pagesPerHome === 1 ? homes[i] : homes[0] + BigInt(i) * PAGE));
  if (mapped) return;
  for (const h of homes) unmapHome(k, h, pagesPerHome);
}

/** Enters a page this module backs into the PFN database. */
function claim(k: Kernel, pfn: bigint, home: bigint): void {
  const db = mm(k);
  db.pageOf.set(pfn, home);
  db.pfnOf.set(home, pfn);
}

function unclaim(k: Kernel, pfn: bigint, home: bigint): void {
  const db = mm(k);
  db.pageOf.delete(pfn);
  db.pfnOf.delete(home);
}

/** The register page of a device at this page frame, or undefined for RAM and unclaimed addresses. */
function devicePage(pfn: bigint): Uint8Array | undefined {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  if (pfn === LOCAL_APIC_BASE >> 12n) {
    // An enabled xAPIC, processor 0, with its local vector table masked (LINT0 ExtINT, LINT1 NMI).
    dv.setUint32(0x020, 0x00000000, true); // ID
    dv.setUint32(0x030, 0x00050014, true); // version 0x14, six LVT entries
    dv.setUint32(0x0d0, 0x01000000, true); // logical destination: processor 0
    dv.setUint32(0x0e0, 0xffffffff, true); // destination format: flat
    dv.setUint32(0x0f0, 0x0000011f, true); // spurious vector 0x1F, APIC software-enabled
    for (const o of [0x320, 0x330, 0x340, 0x370]) dv.setUint32(o, 0x00010000, true); // timer, thermal, perf, error: masked
    dv.setUint32(0x350, 0x00010700, true); // LINT0: ExtINT, masked
    dv.setUint32(0x360, 0x00000400, true); // LINT1: NMI
    return page;
  }
  if (pfn === HPET_BASE >> 12n) {
    // 14.31818 MHz (69841279 fs), 64-bit main counter, three timers, legacy replacement capable, Intel; halted.
    dv.setUint32(0x000, 0x8086a201, true);
    dv.setUint32(0x004, 0x0429b17f, true);
    for (let t = 0; t < 3; t++) {
      dv.setUint32(0x100 + 0x20 * t, t === 0 ? 0x00000030 : 0x00000000, true); // timer 0: 64-bit, periodic capable
      dv.setUint32(0x104 + 0x20 * t, 0x00f00000, true); // routable to IRQ 20..23
      dv.setBigUint64(0x108 + 0x20 * t, 0xffffffffffffffffn, true); // comparator: its reset value
    }
    return page;
  }
  return undefined;
}

/**
 * The page holding the memory of page frame `pfn`: the kernel page it names, else a page created for it now (zero
 * RAM, a device's registers, or the shared all-ones page for addresses nothing decodes).
 */
export function homeOf(k: Kernel, pfn: bigint): bigint | null {
  const known = mm(k).pageOf.get(pfn);
  if (known !== undefined) return known;
  const device = devicePage(pfn);
  if (device || isRam(k, pfn << 12n)) {
    const home = mapHome(k, 1);
    if (home === null) return null;
    if (device) k.m.actingAs(-1, () => k.m.write(home, device));
    claim(k, pfn, home);
    return home;
  }
  const st = phys(k);
  if (st.floating === 0n) {
    const home = mapHome(k, 1);
    if (home === null) return null;
    k.m.actingAs(-1, () => k.m.fill(home, PAGE_SIZE, 0xff));
    st.floating = home;
  }
  return st.floating;
}

/** MmGetPhysicalAddress: the physical address behind a mapped virtual address, 0 for an unmapped one. */
export function physicalAddress(k: Kernel, va: bigint): bigint {
  const page = va & ~0xfffn;
  if (k.m.engine.pageProt(page) === undefined) return 0n;
  return (mm(k).pfn(page) << 12n) | (va & 0xfffn);
}

/**
 * RAM page frames nobody holds, from the top of [low, high] down: a run of `count` (contiguous; null if there is
 * none), or up to `count` frames anywhere (fewer when the range has fewer).
 */
function freeFrames(k: Kernel, count: number, low: bigint, high: bigint, boundary: bigint, contiguous: boolean): bigint[] | null {
  const used = mm(k).pageOf;
  const lowPfn = (low + PAGE - 1n) >> 12n;
  const highPfn = high >> 12n; // the last acceptable frame
  const n = BigInt(count);
  const out: bigint[] = [];
  const ranges = [...RAM[k.arch]].reverse();
  for (const [b, e] of ranges) {
    let top = (e >> 12n) - 1n;
    if (top > highPfn) top = highPfn;
    const bottom = b >> 12n > lowPfn ? b >> 12n : lowPfn;
    if (!contiguous) {
      for (let p = top; p >= bottom && out.length < count; p--) if (!used.has(p)) out.push(p);
      if (out.length === count) return out;
      continue;
    }
    while (top - n + 1n >= bottom) {
      const start = top - n + 1n;
      if (boundary !== 0n) {
        // The run may not cross a multiple of the boundary: move below the one it crosses.
        const line = ((top << 12n) / boundary) * boundary;
        if (start << 12n < line) {
          top = (line >> 12n) - 1n;
          continue;
        }
      }
      let clash = -1n;
      for (let p = top; p >= start; p--) {
        if (used.has(p)) {
          clash = p;
          break;
        }
      }
      if (clash < 0n) {
        for (let p = start; p <= top; p++) out.push(p);
        return out;
      }
      top = clash - 1n;
    }
  }
  return contiguous ? null : out;
}

function caller(k: Kernel): string {
  return k.symbolize(k.callerAddress());
}

/** Pages at consecutive virtual addresses backed by free frames (one physical run for contiguous memory); 0 on failure. */
function allocatePages(k: Kernel, kind: 'contiguous' | 'non-cached', bytes: bigint, low: bigint, high: bigint, boundary: bigint): bigint {
  if (bytes === 0n) return 0n;
  const pages = Number((bytes + PAGE - 1n) >> 12n);
  if (pages > WINDOW[k.arch].size / PAGE_SIZE) return 0n;
  const pfns = freeFrames(k, pages, low, high, boundary, kind === 'contiguous');
  if (!pfns || pfns.length < pages) return 0n;
  const va = mapHome(k, pages);
  if (va === null) return 0n;
  // Ascending physical addresses at ascending virtual ones.
  pfns.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  pfns.forEach((pfn, i) => claim(k, pfn, va + BigInt(i) * PAGE));
  phys(k).allocations.push({ kind, address: va, pfns, homes: [va], caller: caller(k) });
  return va;
}

function freePages(k: Kernel, kind: 'contiguous' | 'non-cached', address: bigint, routine: string): void {
  const st = phys(k);
  const i = st.allocations.findIndex((a) => a.kind === kind && a.address === address);
  if (i < 0) {
    // BAD_POOL_CALLER 0x60: freeing contiguous memory that was never allocated; for non-cached memory the system
    // PTEs being released are not a mapping: SYSTEM_PTE_MISUSE.
    const bugcheck = kind === 'contiguous' ? { code: 0xc2, params: [0x60n, address, 0n, 0n] } : { code: 0xda, params: [0x3n, 0n, 0n, address] };
    throw new GuestStop('bugcheck', `${routine}(${hex(address)}) from ${caller(k)}: no ${kind} memory was allocated there`, { bugcheck });
  }
  const [a] = st.allocations.splice(i, 1);
  releaseHomes(k, a.pfns, a.homes, a.pfns.length);
}

/** MmAllocateContiguousMemorySpecifyCache(Node): the boundary must be a multiple of the page size and leave room for the allocation. */
function allocateContiguous(k: Kernel, bytes: bigint, low: bigint, high: bigint, boundary: bigint): bigint {
  if (boundary % PAGE !== 0n || (boundary !== 0n && bytes > boundary)) return 0n;
  return allocatePages(k, 'contiguous', bytes, low, high, boundary);
}

/** MmMapIoSpace(Ex): a view in system PTEs of physical pages; null when the PTEs run out. */
function mapIoSpace(k: Kernel, pa: bigint, bytes: bigint, readOnly: boolean, routine: string): bigint {
  if (bytes === 0n) return 0n;
  const pages = spanPages(pa, Number(bytes > 0x7fffffffn ? 0x7fffffffn : bytes));
  const first = pa >> 12n;
  // Windows 10 refuses to map RAM nobody owns (its contents and attributes may change at any time): MEMORY_MANAGEMENT.
  for (let i = 0n; i < BigInt(pages); i++) {
    const pfn = first + i;
    if (isRam(k, pfn << 12n) && !mm(k).pageOf.has(pfn)) {
      throw new GuestStop('bugcheck', `${routine}(${hex(pa)}, ${bytes}) from ${caller(k)} maps RAM page ${hex(pfn)}, which no one has allocated or locked`, {
        bugcheck: { code: 0x1a, params: [0x1233n, pfn, 0n, 0n] },
      });
    }
  }
  const db = mm(k);
  const base = db.systemPtes.allocate(pages);
  if (base === null) return 0n;
  for (let i = 0; i < pages; i++) {
    const pfn = first + BigInt(i);
    const home = homeOf(k, pfn);
    if (home === null) {
      for (let j = 0; j < i; j++) {
        k.m.unmap(base + BigInt(j) * PAGE, PAGE_SIZE, true);
        db.pfnOf.delete(base + BigInt(j) * PAGE);
      }
      db.systemPtes.release(base, pages);
      return 0n;
    }
    const at = base + BigInt(i) * PAGE;
    k.m.mapAlias(at, home, readOnly ? Prot.Read : Prot.RW);
    db.pfnOf.set(at, pfn);
  }
  phys(k).ioMappings.push({ base, pages, physical: pa, caller: caller(k) });
  return base + (pa & 0xfffn);
}

function unmapIoSpace(k: Kernel, address: bigint, bytes: bigint): void {
  const st = phys(k);
  const base = address & ~0xfffn;
  const i = st.ioMappings.findIndex((v) => v.base === base);
  if (i < 0) {
    throw new GuestStop('bugcheck', `MmUnmapIoSpace(${hex(address)}) from ${caller(k)}: no I/O-space mapping starts there`, { bugcheck: { code: 0xda, params: [0x3n, 0n, 0n, address] } });
  }
  const v = st.ioMappings[i];
  const pages = spanPages(address, Number(bytes > 0x7fffffffn ? 0x7fffffffn : bytes));
  if (pages !== v.pages) {
    throw new GuestStop('bugcheck', `MmUnmapIoSpace(${hex(address)}, ${bytes}) from ${caller(k)}: the mapping has ${v.pages} page${v.pages === 1 ? '' : 's'}, not ${pages}`, {
      bugcheck: { code: 0xda, params: [0x2n, 0n, BigInt(v.pages), BigInt(pages)] },
    });
  }
  st.ioMappings.splice(i, 1);
  const db = mm(k);
  for (let p = 0; p < v.pages; p++) {
    const at = v.base + BigInt(p) * PAGE;
    k.m.unmap(at, PAGE_SIZE, true);
    db.pfnOf.delete(at);
  }
  db.systemPtes.release(v.base, v.pages);
}

/** MM_ALLOCATE_FULLY_REQUIRED: all of TotalBytes or nothing. */
const MM_ALLOCATE_FULLY_REQUIRED = 0x4;

/** MmAllocatePagesForMdl(Ex): an MDL (pool) describing zeroed pages within [low, high]; the range moves up by skip. */
function allocatePagesForMdl(k: Kernel, low: bigint, high: bigint, skip: bigint, total: bigint, flags: number): bigint {
  if (total === 0n) return 0n;
  const want = Number((total + PAGE - 1n) >> 12n);
  const pfns: bigint[] = [];
  const top = RAM[k.arch].at(-1)![1];
  for (let lo = low, hi = high; pfns.length < want && lo < top; lo += skip, hi += skip) {
    for (const p of freeFrames(k, want - pfns.length, lo, hi, 0n, false)!) if (!pfns.includes(p)) pfns.push(p);
    if (skip === 0n) break;
  }
  if (pfns.length === 0 || (flags & MM_ALLOCATE_FULLY_REQUIRED && pfns.length < want)) return 0n;
  const mdl = allocateMdl(k, 0n, pfns.length * PAGE_SIZE, 'driver', caller(k));
  if (mdl === null) return 0n;
  const homes: bigint[] = [];
  for (const pfn of pfns) {
    const home = mapHome(k, 1);
    if (home === null) {
      homes.forEach((h, i) => {
        unclaim(k, pfns[i], h);
        unmapHome(k, h, 1);
      });
      k.pool.free_(mdl, 0);
      return 0n;
    }
    claim(k, pfn, home);
    homes.push(home);
  }
  const arr = mdl + BigInt(k.L.MDL.size);
  pfns.forEach((pfn, i) => k.m.setPtr(arr + BigInt(i * k.ptrSize), pfn));
  const o = k.L.MDL.off;
  k.m.setU16At(mdl, o.MdlFlags, k.m.u16At(mdl, o.MdlFlags) | MDL_PAGES_LOCKED);
  phys(k).allocations.push({ kind: 'mdl-pages', address: mdl, pfns, homes, caller: caller(k) });
  return mdl;
}

function freePagesFromMdl(k: Kernel, mdl: bigint): void {
  const st = phys(k);
  const i = st.allocations.findIndex((a) => a.kind === 'mdl-pages' && a.address === mdl);
  if (i < 0) {
    throw new GuestStop('bugcheck', `MmFreePagesFromMdl(${hex(mdl)}) from ${caller(k)}: the MDL does not describe pages MmAllocatePagesForMdl allocated`, {
      bugcheck: { code: 0x4e, params: [0x9an, mdl, 0n, 0n] },
    });
  }
  const [a] = st.allocations.splice(i, 1);
  releaseHomes(k, a.pfns, a.homes, 1);
  const o = k.L.MDL.off;
  k.m.setU16At(mdl, o.MdlFlags, k.m.u16At(mdl, o.MdlFlags) & ~MDL_PAGES_LOCKED);
}

/** What a driver left behind: physical memory it allocated and I/O space it mapped. */
export function physicalLeaks(k: Kernel): LeakReport[] {
  const st = states.get(k);
  if (!st) return [];
  const out: LeakReport[] = [];
  for (const a of st.allocations) {
    const what = a.kind === 'mdl-pages' ? `MDL ${hex(a.address)} (MmAllocatePagesForMdl)` : `${a.kind} memory at ${hex(a.address)}`;
    out.push({ kind: 'physical-memory', detail: `${a.pfns.length} physical page${a.pfns.length === 1 ? '' : 's'} of ${what}, never freed`, size: a.pfns.length * PAGE_SIZE, caller: a.caller });
  }
  for (const v of st.ioMappings) {
    out.push({ kind: 'mapping', detail: `${v.pages} page${v.pages === 1 ? '' : 's'} of I/O space at physical ${hex(v.physical)} mapped at ${hex(v.base + (v.physical & 0xfffn))}, never unmapped (MmUnmapIoSpace)`, caller: v.caller });
  }
  return out;
}

/** MEMORY_CACHING_TYPE's last value + 1: larger ones are invalid. */
const MmMaximumCacheType = 6;
const PAGE_READONLY = 0x02;
const PAGE_READWRITE = 0x04;
const PAGE_NOCACHE = 0x200;
const PAGE_WRITECOMBINE = 0x400;

const mmx = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...mmx, name: 'MmGetPhysicalAddress', proto: 'PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)',
    params: { BaseAddress: 'ptr' }, ret: 'u64',
    impl: (k, a) => physicalAddress(k, a.BaseAddress),
  }),
  defineExport({
    ...mmx, name: 'MmGetVirtualForPhysical', proto: 'PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress)',
    params: { PhysicalAddress: 'u64' }, ret: 'ptr',
    impl: (k, a) => {
      const home = homeOf(k, a.PhysicalAddress >> 12n);
      return home === null ? 0n : home + (a.PhysicalAddress & 0xfffn);
    },
  }),
  defineExport({
    ...mmx, name: 'MmIsAddressValid', proto: 'BOOLEAN MmIsAddressValid(PVOID VirtualAddress)',
    params: { VirtualAddress: 'ptr' }, ret: 'bool',
    // Whether a read there would not fault: the page is present.
    impl: (k, a) => (k.m.engine.pageProt(a.VirtualAddress & ~0xfffn) !== undefined ? 1 : 0),
  }),
  defineExport({
    ...mmx, name: 'MmIsNonPagedSystemAddressValid', proto: 'BOOLEAN MmIsNonPagedSystemAddressValid(PVOID VirtualAddress)',
    params: { VirtualAddress: 'ptr' }, ret: 'bool',
    // A present page of system space (kdemu's system memory is all non-paged).
    impl: (k, a) => {
      const systemStart = k.arch === 'x64' ? 0xffff800000000000n : 0x80000000n;
      return a.VirtualAddress >= systemStart && k.m.engine.pageProt(a.VirtualAddress & ~0xfffn) !== undefined ? 1 : 0;
    },
  }),
  defineExport({
    ...mmx, name: 'MmMapIoSpace', proto: 'PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)',
    params: { PhysicalAddress: 'u64', NumberOfBytes: 'usize', CacheType: 'u32' }, ret: 'ptr',
    impl: (k, a) => (a.CacheType >= MmMaximumCacheType ? 0n : mapIoSpace(k, a.PhysicalAddress, a.NumberOfBytes, false, 'MmMapIoSpace')),
  }),
  defineExport({
    ...mmx, name: 'MmMapIoSpaceEx', proto: 'PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect)',
    params: { PhysicalAddress: 'u64', NumberOfBytes: 'usize', Protect: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      // PAGE_READWRITE or PAGE_READONLY, optionally with one of PAGE_NOCACHE and PAGE_WRITECOMBINE; nothing else.
      const access = a.Protect & ~(PAGE_NOCACHE | PAGE_WRITECOMBINE);
      if ((access !== PAGE_READWRITE && access !== PAGE_READONLY) || (a.Protect & PAGE_NOCACHE && a.Protect & PAGE_WRITECOMBINE)) return 0n;
      return mapIoSpace(k, a.PhysicalAddress, a.NumberOfBytes, access === PAGE_READONLY, 'MmMapIoSpaceEx');
    },
  }),
  defineExport({
    ...mmx, name: 'MmUnmapIoSpace', proto: 'VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)',
    params: { BaseAddress: 'ptr', NumberOfBytes: 'usize' }, ret: 'void',
    impl: (k, a) => unmapIoSpace(k, a.BaseAddress, a.NumberOfBytes),
  }),
  defineExport({
    ...mmx, name: 'MmAllocateContiguousMemory', proto: 'PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)',
    params: { NumberOfBytes: 'usize', HighestAcceptableAddress: 'u64' }, ret: 'ptr',
    impl: (k, a) => allocatePages(k, 'contiguous', a.NumberOfBytes, 0n, a.HighestAcceptableAddress, 0n),
  }),
  defineExport({
    ...mmx, name: 'MmAllocateContiguousMemorySpecifyCache',
    proto: 'PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress, PHYSICAL_ADDRESS HighestAcceptableAddress, PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType)',
    params: { NumberOfBytes: 'usize', LowestAcceptableAddress: 'u64', HighestAcceptableAddress: 'u64', BoundaryAddressMultiple: 'u64', CacheType: 'u32' }, ret: 'ptr',
    impl: (k, a) => allocateContiguous(k, a.NumberOfBytes, a.LowestAcceptableAddress, a.HighestAcceptableAddress, a.BoundaryAddressMultiple),
  }),
  defineExport({
    ...mmx, name: 'MmAllocateContiguousMemorySpecifyCacheNode',
    proto: 'PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress, PHYSICAL_ADDRESS HighestAcceptableAddress, PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType, NODE_REQUIREMENT PreferredNode)',
    params: { NumberOfBytes: 'usize', LowestAcceptableAddress: 'u64', HighestAcceptableAddress: 'u64', BoundaryAddressMultiple: 'u64', CacheType: 'u32', PreferredNode: 'u32' }, ret: 'ptr',
    // The machine is one NUMA node: node 0 is every node's memory (and MM_ANY_NODE_OK's).
    impl: (k, a) => allocateContiguous(k, a.NumberOfBytes, a.LowestAcceptableAddress, a.HighestAcceptableAddress, a.BoundaryAddressMultiple),
  }),
  defineExport({
    ...mmx, name: 'MmFreeContiguousMemory', proto: 'VOID MmFreeContiguousMemory(PVOID BaseAddress)',
    params: { BaseAddress: 'ptr' }, ret: 'void',
    impl: (k, a) => freePages(k, 'contiguous', a.BaseAddress, 'MmFreeContiguousMemory'),
  }),
  defineExport({
    ...mmx, name: 'MmFreeContiguousMemorySpecifyCache', proto: 'VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)',
    params: { BaseAddress: 'ptr', NumberOfBytes: 'usize', CacheType: 'u32' }, ret: 'void',
    impl: (k, a) => freePages(k, 'contiguous', a.BaseAddress, 'MmFreeContiguousMemorySpecifyCache'),
  }),
  defineExport({
    ...mmx, name: 'MmAllocateNonCachedMemory', proto: 'PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes)',
    params: { NumberOfBytes: 'usize' }, ret: 'ptr',
    impl: (k, a) => allocatePages(k, 'non-cached', a.NumberOfBytes, 0n, (1n << 52n) - 1n, 0n),
  }),
  defineExport({
    ...mmx, name: 'MmFreeNonCachedMemory', proto: 'VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes)',
    params: { BaseAddress: 'ptr', NumberOfBytes: 'usize' }, ret: 'void',
    impl: (k, a) => freePages(k, 'non-cached', a.BaseAddress, 'MmFreeNonCachedMemory'),
  }),
  defineExport({
    ...mmx, name: 'MmGetPhysicalMemoryRanges', proto: 'PPHYSICAL_MEMORY_RANGE MmGetPhysicalMemoryRanges(VOID)',
    params: {}, ret: 'ptr',
    impl: (k) => {
      // PHYSICAL_MEMORY_RANGE is two LARGE_INTEGERs (BaseAddress, NumberOfBytes) on both architectures; a zero
      // entry ends the array. The caller frees it with ExFreePool.
      const ranges = RAM[k.arch];
      const a = k.pool.allocate((ranges.length + 1) * 16, tagOf('MmPr'), 0, 'driver', caller(k));
      if (a === null) return 0n;
      ranges.forEach(([b, e], i) => {
        k.m.setU64(a + BigInt(i * 16), b);
        k.m.setU64(a + BigInt(i * 16 + 8), e - b);
      });
      k.m.setU64(a + BigInt(ranges.length * 16), 0n);
      k.m.setU64(a + BigInt(ranges.length * 16 + 8), 0n);
      return a;
    },
  }),
  defineExport({
    ...mmx, name: 'MmAllocatePagesForMdl',
    proto: 'PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes)',
    params: { LowAddress: 'u64', HighAddress: 'u64', SkipBytes: 'u64', TotalBytes: 'usize' }, ret: 'ptr',
    impl: (k, a) => (a.SkipBytes % PAGE !== 0n ? 0n : allocatePagesForMdl(k, a.LowAddress, a.HighAddress, a.SkipBytes, a.TotalBytes, 0)),
  }),
  defineExport({
    ...mmx, name: 'MmAllocatePagesForMdlEx',
    proto: 'PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes, MEMORY_CACHING_TYPE CacheType, ULONG Flags)',
    params: { LowAddress: 'u64', HighAddress: 'u64', SkipBytes: 'u64', TotalBytes: 'usize', CacheType: 'u32', Flags: 'u32' }, ret: 'ptr',
    impl: (k, a) => (a.SkipBytes % PAGE !== 0n || a.CacheType >= MmMaximumCacheType ? 0n : allocatePagesForMdl(k, a.LowAddress, a.HighAddress, a.SkipBytes, a.TotalBytes, a.Flags)),
  }),
  defineExport({
    ...mmx, name: 'MmFreePagesFromMdl', proto: 'VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList)',
    params: { MemoryDescriptorList: 'ptr' }, ret: 'void',
    impl: (k, a) => freePagesFromMdl(k, a.MemoryDescriptorList),
  }),
];
