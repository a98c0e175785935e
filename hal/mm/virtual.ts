// Process virtual memory: ZwAllocateVirtualMemory, ZwFreeVirtualMemory, ZwQueryVirtualMemory in the user address
// space (the client's, or System's while DriverEntry runs in it).
//
// Each allocation is a VAD: a reserved range of whole pages, 64 KiB aligned, whose pages are committed (mapped,
// zeroed, with the page protection asked for) or only reserved (unmapped). kdemu has one user address space: a VAD
// belongs to the process that made it, and the fixed parts of kdemu's user layout (the client's heap, stacks,
// views, system data and DLL stubs) count as taken. Without a base, the first free 64 KiB-aligned range from 16 MiB
// up (MEM_TOP_DOWN: from the top of user space down) is chosen, so an address depends only on earlier requests.

import { PAGE_SIZE, Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { resolveHandle } from '../ob/handle.js';

export const MEM_COMMIT = 0x1000;
export const MEM_RESERVE = 0x2000;
export const MEM_DECOMMIT = 0x4000;
export const MEM_RELEASE = 0x8000;
export const MEM_FREE = 0x10000;
export const MEM_PRIVATE = 0x20000;
export const MEM_MAPPED = 0x40000;
export const MEM_RESET = 0x80000;
export const MEM_TOP_DOWN = 0x100000;
export const MEM_WRITE_WATCH = 0x200000;
export const MEM_PHYSICAL = 0x400000;
export const MEM_RESET_UNDO = 0x1000000;
export const MEM_LARGE_PAGES = 0x20000000;
export const MEM_IMAGE = 0x1000000;

export const PAGE_NOACCESS = 0x01;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const PAGE_WRITECOPY = 0x08;
export const PAGE_EXECUTE = 0x10;
export const PAGE_EXECUTE_READ = 0x20;
export const PAGE_EXECUTE_READWRITE = 0x40;
export const PAGE_EXECUTE_WRITECOPY = 0x80;
export const PAGE_GUARD = 0x100;
export const PAGE_NOCACHE = 0x200;
export const PAGE_WRITECOMBINE = 0x400;

const KernelMode = 0;
const GRANULARITY = 0x10000n;
const PAGE = BigInt(PAGE_SIZE);
/** MM_MAXIMUM_ZERO_BITS. */
const MAX_ZERO_BITS = 21;
/** Where a search without a base starts (below: the client's stack and image). */
const SEARCH_FROM = 0x1000000n;
/** The user-mode thread stacks ps/process.ts maps (64 slots at most). */
const THREAD_STACKS = { start: 0x70000000n, size: 64n * 0x110000n };

interface Vad {
  start: bigint;
  /** Exclusive. */
  end: bigint;
  allocationProtect: number;
  owner: bigint;
  /** Committed pages: page address → PAGE_* protection. */
  committed: Map<bigint, number>;
}

const states = new WeakMap<Kernel, Vad[]>();
function vads(k: Kernel): Vad[] {
  let s = states.get(k);
  if (!s) states.set(k, (s = []));
  return s;
}

/** MM_HIGHEST_USER_ADDRESS. */
export function highestUserAddress(k: Kernel): bigint {
  return k.arch === 'x64' ? 0x7ffffffeffffn : 0x7ffeffffn;
}

/** The engine protection of a PAGE_* value (without modifiers), for a user page. */
export function protOf(protect: number): Prot {
  switch (protect & 0xff) {
    case PAGE_NOACCESS: return Prot.User;
    case PAGE_READONLY: return Prot.Read | Prot.User;
    case PAGE_READWRITE: case PAGE_WRITECOPY: return Prot.RW | Prot.User;
    // x86 pages that can be executed can be read.
    case PAGE_EXECUTE: case PAGE_EXECUTE_READ: return Prot.RX | Prot.User;
    default: return Prot.RWX | Prot.User;
  }
}

/** The PAGE_* value a mapped page's engine protection stands for. */
export function protectOf(prot: Prot): number {
  const r = (prot & Prot.Read) !== 0, w = (prot & Prot.Write) !== 0, x = (prot & Prot.Exec) !== 0;
  if (x) return w ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ;
  if (w) return PAGE_READWRITE;
  return r ? PAGE_READONLY : PAGE_NOACCESS;
}

/** MiMakeProtectionMask's check: one base protection, GUARD/NOCACHE/WRITECOMBINE only on an accessible one, not together. */
function validProtect(protect: number): boolean {
  const base = protect & 0xff;
  if (![1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80].includes(base)) return false;
  if (protect & ~0x7ff) return false;
  const mods = protect & 0x700;
  if (mods && base === PAGE_NOACCESS) return false;
  if ((mods & PAGE_NOCACHE && mods & (PAGE_GUARD | PAGE_WRITECOMBINE)) || (mods & PAGE_GUARD && mods & PAGE_WRITECOMBINE)) return false;
  return true;
}

function unsupported(k: Kernel, routine: string, what: string): never {
  throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())} ${what}`, { export: `ntoskrnl.exe!${routine}` });
}

/** The process a handle names: the current one (kdemu's one user address space), or a status. */
function processOf(k: Kernel, routine: string, h: bigint): { eprocess: bigint } | { status: number } {
  const r = resolveHandle(k, h, KernelMode);
  if (!r) return { status: STATUS.INVALID_HANDLE };
  if (r.type !== 'Process') return { status: STATUS.OBJECT_TYPE_MISMATCH };
  if (r.body !== k.ps.currentProcess) unsupported(k, routine, `on process ${hex(r.body)}, which is not the current one: kdemu has one user address space (attach with KeStackAttachProcess)`);
  return { eprocess: r.body };
}

/** The fixed regions of kdemu's user layout, which no VAD may take. */
function fixedRegions(k: Kernel): [bigint, bigint][] {
  const l = k.m.layout;
  return [
    [l.userStackTop - BigInt(l.userStackSize), l.userStackTop],
    [l.user, l.userLimit],
    [l.userViews, l.userViews + BigInt(l.userViewsSize)],
    [THREAD_STACKS.start, THREAD_STACKS.start + THREAD_STACKS.size],
    [l.userData, l.userData + BigInt(l.userDataSize)],
    [l.userStubs, l.userStubs + BigInt(l.userStubsSize)],
    // KUSER_SHARED_DATA's user-mode address.
    [0x7ffe0000n, 0x7ffe1000n],
  ];
}

/** Whether [start, end) is free: no VAD, no fixed region, no mapped page (an image). */
function isFree(k: Kernel, start: bigint, end: bigint): boolean {
  if (start < GRANULARITY || end - 1n > highestUserAddress(k)) return false;
  for (const v of vads(k)) if (start < v.end && v.start < end) return false;
  for (const [s, e] of fixedRegions(k)) if (start < e && s < end) return false;
  for (let p = start; p < end; p += PAGE) if (k.m.engine.pageProt(p) !== undefined) return false;
  return true;
}

function vadAt(k: Kernel, address: bigint): Vad | undefined {
  return vads(k).find((v) => address >= v.start && address < v.end);
}

function commitPage(k: Kernel, v: Vad, page: bigint, protect: number): void {
  if (v.committed.has(page)) k.m.protect(page, PAGE_SIZE, protOf(protect));
  else k.m.mapPages(page, PAGE_SIZE, protOf(protect));
  v.committed.set(page, protect);
}

function decommit(k: Kernel, v: Vad, start: bigint, end: bigint): void {
  for (let p = start; p < end; p += PAGE) {
    if (!v.committed.has(p)) continue;
    k.m.unmap(p, PAGE_SIZE);
    v.committed.delete(p);
  }
}

/** The highest address an allocation may end at for ZeroBits (x64: 1..31 counts from bit 32, 32 and more is a mask). */
function zeroBitsLimit(k: Kernel, zeroBits: bigint): bigint {
  const top = highestUserAddress(k);
  if (zeroBits === 0n) return top;
  let bits = Number(zeroBits);
  if (k.arch === 'x64') {
    if (zeroBits >= 32n) bits = 64 - zeroBits.toString(2).length;
    else bits += 32;
    const limit = (1n << BigInt(64 - bits)) - 1n;
    return limit < top ? limit : top;
  }
  const limit = (1n << BigInt(32 - bits)) - 1n;
  return limit < top ? limit : top;
}

function allocate(k: Kernel, a: { ProcessHandle: bigint; BaseAddress: bigint; ZeroBits: bigint; RegionSize: bigint; AllocationType: number; Protect: number }): number {
  const routine = 'ZwAllocateVirtualMemory';
  const type = a.AllocationType;
  if (a.ZeroBits > BigInt(MAX_ZERO_BITS) && (k.arch === 'x86' || a.ZeroBits < 32n)) return STATUS.INVALID_PARAMETER_3;
  const valid = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_TOP_DOWN | MEM_WRITE_WATCH | MEM_PHYSICAL | MEM_LARGE_PAGES | MEM_RESET_UNDO;
  if (type & ~valid || !(type & (MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_RESET_UNDO))) return STATUS.INVALID_PARAMETER_5;
  if (type & MEM_RESET && type !== MEM_RESET) return STATUS.INVALID_PARAMETER_5;
  if (type & MEM_WRITE_WATCH && !(type & MEM_RESERVE)) return STATUS.INVALID_PARAMETER_5;
  if (!validProtect(a.Protect)) return STATUS.INVALID_PAGE_PROTECTION;
  let base = k.m.ptr(a.BaseAddress);
  const size = k.m.ptr(a.RegionSize);
  const top = highestUserAddress(k);
  if (base > top) return STATUS.INVALID_PARAMETER_2;
  if (size === 0n || size > top + 1n - base) return STATUS.INVALID_PARAMETER_4;
  const p = processOf(k, routine, a.ProcessHandle);
  if ('status' in p) return p.status;
  if (type & (MEM_WRITE_WATCH | MEM_PHYSICAL | MEM_LARGE_PAGES | MEM_RESET_UNDO)) unsupported(k, routine, `with allocation type ${hex(type)}: kdemu has no write watch, AWE or large pages`);
  if (a.Protect & PAGE_GUARD) unsupported(k, routine, 'with PAGE_GUARD: kdemu has no guard pages');
  // Private memory cannot be copy-on-write.
  if ((a.Protect & 0xff) === PAGE_WRITECOPY || (a.Protect & 0xff) === PAGE_EXECUTE_WRITECOPY) return STATUS.INVALID_PAGE_PROTECTION;

  if (type === MEM_RESET) {
    // The data may be discarded; pages that stay resident keep it, and kdemu keeps every page resident.
    const start = base & ~(PAGE - 1n);
    const end = (base + size + PAGE - 1n) & ~(PAGE - 1n);
    const v = vadAt(k, start);
    if (!v || v.owner !== p.eprocess || end > v.end) return STATUS.CONFLICTING_ADDRESSES;
    for (let q = start; q < end; q += PAGE) if (!v.committed.has(q)) return STATUS.CONFLICTING_ADDRESSES;
    k.m.setPtr(a.BaseAddress, start);
    k.m.setPtr(a.RegionSize, end - start);
    return STATUS.SUCCESS;
  }

  let start: bigint, end: bigint;
  let vad: Vad | undefined;
  if (type & MEM_RESERVE || base === 0n) {
    // A new reservation (MEM_COMMIT alone with no base reserves too).
    if (base !== 0n) {
      start = base & ~(GRANULARITY - 1n);
      end = (base + size + PAGE - 1n) & ~(PAGE - 1n);
      if (!isFree(k, start, end)) return STATUS.CONFLICTING_ADDRESSES;
    } else {
      const length = (size + PAGE - 1n) & ~(PAGE - 1n);
      const limit = zeroBitsLimit(k, a.ZeroBits);
      const found = findFree(k, length, limit, (type & MEM_TOP_DOWN) !== 0);
      if (found === undefined) return STATUS.NO_MEMORY;
      start = found;
      end = found + length;
    }
    vad = { start, end, allocationProtect: a.Protect, owner: p.eprocess, committed: new Map() };
    vads(k).push(vad);
    vads(k).sort((x, y) => (x.start < y.start ? -1 : 1));
  } else {
    start = base & ~(PAGE - 1n);
    end = (base + size + PAGE - 1n) & ~(PAGE - 1n);
    vad = vadAt(k, start);
    // Committing needs a reservation covering the whole range.
    if (!vad || vad.owner !== p.eprocess || end > vad.end) return STATUS.CONFLICTING_ADDRESSES;
  }
  if (type & MEM_COMMIT) {
    // Newly committed pages are zero (a fresh mapping is); committed ones keep their data and take the protection.
    for (let q = start; q < end; q += PAGE) commitPage(k, vad, q, a.Protect);
  }
  k.m.setPtr(a.BaseAddress, start);
  k.m.setPtr(a.RegionSize, end - start);
  return STATUS.SUCCESS;
}

function findFree(k: Kernel, length: bigint, limit: bigint, topDown: boolean): bigint | undefined {
  const step = GRANULARITY;
  if (!topDown) {
    for (let s = SEARCH_FROM; s + length - 1n <= limit; s += step) if (isFree(k, s, s + length)) return s;
    return undefined;
  }
  for (let s = ((limit + 1n - length) & ~(step - 1n)); s >= SEARCH_FROM; s -= step) if (isFree(k, s, s + length)) return s;
  return undefined;
}

function free(k: Kernel, a: { ProcessHandle: bigint; BaseAddress: bigint; RegionSize: bigint; FreeType: number }): number {
  const routine = 'ZwFreeVirtualMemory';
  if (a.FreeType !== MEM_RELEASE && a.FreeType !== MEM_DECOMMIT) return STATUS.INVALID_PARAMETER_4;
  const base = k.m.ptr(a.BaseAddress);
  const size = k.m.ptr(a.RegionSize);
  const top = highestUserAddress(k);
  if (base > top) return STATUS.INVALID_PARAMETER_2;
  if (size > top + 1n - base) return STATUS.INVALID_PARAMETER_3;
  const p = processOf(k, routine, a.ProcessHandle);
  if ('status' in p) return p.status;
  const start = base & ~(PAGE - 1n);
  const v = vadAt(k, start);
  if (!v || v.owner !== p.eprocess) return STATUS.MEMORY_NOT_ALLOCATED;
  let end: bigint;
  if (size === 0n) {
    // A zero size means the whole allocation: MEM_RELEASE must name its base.
    if (a.FreeType === MEM_RELEASE && start !== v.start) return STATUS.FREE_VM_NOT_AT_BASE;
    end = v.end;
  } else {
    end = (base + size + PAGE - 1n) & ~(PAGE - 1n);
    if (end > v.end) return STATUS.UNABLE_TO_FREE_VM;
  }
  decommit(k, v, start, end);
  if (a.FreeType === MEM_RELEASE) {
    const list = vads(k);
    if (start === v.start && end === v.end) list.splice(list.indexOf(v), 1);
    else if (start === v.start) v.start = end;
    else if (end === v.end) v.end = start;
    else {
      // Released from the middle: the rest is two allocations.
      const upper: Vad = { start: end, end: v.end, allocationProtect: v.allocationProtect, owner: v.owner, committed: new Map() };
      for (const [q, pr] of v.committed) if (q >= end) upper.committed.set(q, pr);
      for (const q of upper.committed.keys()) v.committed.delete(q);
      v.end = start;
      list.push(upper);
      list.sort((x, y) => (x.start < y.start ? -1 : 1));
    }
  }
  k.m.setPtr(a.BaseAddress, start);
  k.m.setPtr(a.RegionSize, end - start);
  return STATUS.SUCCESS;
}

const MemoryBasicInformation = 0;

interface BasicInfo {
  base: bigint;
  allocationBase: bigint;
  allocationProtect: number;
  size: bigint;
  state: number;
  protect: number;
  type: number;
}

/** MEMORY_BASIC_INFORMATION for the region holding address. */
export function basicInformation(k: Kernel, address: bigint): BasicInfo {
  const page = address & ~(PAGE - 1n);
  const v = vadAt(k, page);
  if (v) {
    // The run of pages from here with the same state and protection.
    const pr = v.committed.get(page);
    let q = page + PAGE;
    while (q < v.end && v.committed.get(q) === pr) q += PAGE;
    return { base: page, allocationBase: v.start, allocationProtect: v.allocationProtect, size: q - page, state: pr === undefined ? MEM_RESERVE : MEM_COMMIT, protect: pr ?? 0, type: MEM_PRIVATE };
  }
  const prot = k.m.engine.pageProt(page);
  if (prot !== undefined) {
    // Memory kdemu's user layout maps itself (an image, the heap, a stack): committed, as its engine region shows.
    const b = k.m.engine.backing(page);
    const image = k.modules.find((m) => page >= m.base && page < m.base + BigInt(m.size));
    let q = page + PAGE;
    const limit = b ? b.begin + BigInt(b.size) : page + PAGE;
    while (q < limit && k.m.engine.pageProt(q) === prot) q += PAGE;
    return { base: page, allocationBase: image?.base ?? b?.begin ?? page, allocationProtect: protectOf(prot), size: q - page, state: MEM_COMMIT, protect: protectOf(prot), type: image ? MEM_IMAGE : MEM_PRIVATE };
  }
  // Free: up to the next allocation or the top of user space.
  let next = highestUserAddress(k) + 1n;
  for (const x of vads(k)) if (x.start > page && x.start < next) next = x.start;
  for (const [s] of fixedRegions(k)) if (s > page && s < next) next = s;
  for (const m of k.modules) if (m.base > page && m.base < next) next = m.base;
  return { base: page, allocationBase: 0n, allocationProtect: 0, size: next - page, state: MEM_FREE, protect: PAGE_NOACCESS, type: 0 };
}

function query(k: Kernel, a: { ProcessHandle: bigint; BaseAddress: bigint; MemoryInformationClass: number; MemoryInformation: bigint; MemoryInformationLength: bigint; ReturnLength: bigint }): number {
  const routine = 'ZwQueryVirtualMemory';
  if (a.MemoryInformationClass !== MemoryBasicInformation) {
    unsupported(k, routine, `with MEMORY_INFORMATION_CLASS ${a.MemoryInformationClass}: kdemu answers MemoryBasicInformation`);
  }
  const x64 = k.arch === 'x64';
  const need = x64 ? 48 : 28;
  if (a.MemoryInformationLength < BigInt(need)) return STATUS.INFO_LENGTH_MISMATCH;
  if (a.BaseAddress > highestUserAddress(k)) return STATUS.INVALID_PARAMETER;
  const p = processOf(k, routine, a.ProcessHandle);
  if ('status' in p) return p.status;
  const i = basicInformation(k, a.BaseAddress);
  const out = a.MemoryInformation;
  const m = k.m;
  m.fill(out, need);
  const ps = BigInt(k.ptrSize);
  m.setPtr(out, i.base);
  m.setPtr(out + ps, i.allocationBase);
  m.setU32(out + 2n * ps, i.allocationProtect);
  const sizeAt = x64 ? 24n : 12n;
  m.setPtr(out + sizeAt, i.size);
  m.setU32(out + sizeAt + ps, i.state);
  m.setU32(out + sizeAt + ps + 4n, i.protect);
  m.setU32(out + sizeAt + ps + 8n, i.type);
  if (a.ReturnLength !== 0n) m.setPtr(a.ReturnLength, BigInt(need));
  return STATUS.SUCCESS;
}

/** Whether [address, address+length) lies in committed pages of VADs allowing the access (MmSecureVirtualMemory). */
export function committedRange(k: Kernel, address: bigint, length: bigint, write: boolean): boolean {
  for (let q = address & ~(PAGE - 1n); q < address + length; q += PAGE) {
    const prot = k.m.engine.pageProt(q);
    if (prot === undefined || !(prot & Prot.User) || !(prot & Prot.Read) || (write && !(prot & Prot.Write))) return false;
  }
  return true;
}

const zw = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...zw, name: 'ZwAllocateVirtualMemory',
    proto: 'NTSTATUS ZwAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits, PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect)',
    params: { ProcessHandle: 'handle', BaseAddress: 'ptr', ZeroBits: 'usize', RegionSize: 'ptr', AllocationType: 'u32', Protect: 'u32' }, ret: 'status',
    impl: (k, a) => allocate(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwFreeVirtualMemory',
    proto: 'NTSTATUS ZwFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize, ULONG FreeType)',
    params: { ProcessHandle: 'handle', BaseAddress: 'ptr', RegionSize: 'ptr', FreeType: 'u32' }, ret: 'status',
    impl: (k, a) => free(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwQueryVirtualMemory',
    proto: 'NTSTATUS ZwQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation, SIZE_T MemoryInformationLength, PSIZE_T ReturnLength)',
    params: { ProcessHandle: 'handle', BaseAddress: 'ptr', MemoryInformationClass: 'u32', MemoryInformation: 'ptr', MemoryInformationLength: 'usize', ReturnLength: 'ptr' }, ret: 'status',
    impl: (k, a) => query(k, a),
  }),
];
