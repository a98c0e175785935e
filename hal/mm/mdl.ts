// Memory descriptor lists: describing a buffer's pages (MmBuildMdlForNonPagedPool, MmProbeAndLockPages), and
// mapping those pages a second time, into system space or into the calling process (MmMapLockedPagesSpecifyCache).
//
// An MDL lives in guest memory with the real layout: the header (Next, Size, MdlFlags, Process, MappedSystemVa,
// StartVa, ByteCount, ByteOffset) followed by one PFN_NUMBER per page, so header macros (MmGetSystemAddressForMdlSafe,
// MmGetMdlVirtualAddress, MmGetMdlByteCount) work on it directly. Page frame numbers come from a small PFN database:
// the first address a page was seen at names it, and every view of the page made here is the same memory (the
// engines' mapAlias), so a write on one side is seen on the other.

import { PAGE_SIZE, Prot } from '../../emu/engine.js';
import { walkChain } from '../rtl/list.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { tagOf } from '../io/device.js';
import { userProbeAddress } from './probe.js';
import { VaRange } from './va.js';

export const MDL_MAPPED_TO_SYSTEM_VA = 0x1;
export const MDL_PAGES_LOCKED = 0x2;
export const MDL_SOURCE_IS_NONPAGED_POOL = 0x4;
export const MDL_ALLOCATED_FIXED_SIZE = 0x8;
export const MDL_PARTIAL = 0x10;
export const MDL_PARTIAL_HAS_BEEN_MAPPED = 0x20;
export const MDL_WRITE_OPERATION = 0x80;

export const KernelMode = 0;
export const UserMode = 1;
/** LOCK_OPERATION. */
export const IoReadAccess = 0;
export const IoWriteAccess = 1;
export const IoModifyAccess = 2;

const STATUS_ACCESS_VIOLATION = 0xc0000005n;

/** A view made by MmMapLockedPagesSpecifyCache, until MmUnmapLockedPages. */
export interface MdlView {
  address: bigint;
  pages: number;
  mdl: bigint;
  mode: 'kernel' | 'user';
  /** For the leak report: who mapped it. */
  caller: string;
}

class MmState {
  /** Page (its first address) → PFN, for every page an MDL described or a view shows. */
  readonly pfnOf = new Map<bigint, bigint>();
  /** PFN → the address the page was first seen at (where its memory is); physical.ts adds pages it backs itself. */
  readonly pageOf = new Map<bigint, bigint>();
  private nextPfn = 0x1000n;
  readonly systemPtes: VaRange;
  readonly userViews: VaRange;
  readonly views: MdlView[] = [];
  /** MDLs with locked pages, for the leak report. */
  readonly locked = new Set<bigint>();

  constructor(k: Kernel) {
    const l = k.m.layout;
    this.systemPtes = new VaRange(l.systemPtes, l.systemPtesSize);
    this.userViews = new VaRange(l.userViews, l.userViewsSize);
  }

  pfn(page: bigint): bigint {
    let n = this.pfnOf.get(page);
    if (n === undefined) {
      // PFNs start at 0x1000: low physical memory is the firmware's. Frames physical.ts handed out are skipped.
      while (this.pageOf.has(this.nextPfn)) this.nextPfn++;
      n = this.nextPfn++;
      this.pageOf.set(n, page);
      this.pfnOf.set(page, n);
    }
    return n;
  }
}

const states = new WeakMap<Kernel, MmState>();
export function mm(k: Kernel): MmState {
  let s = states.get(k);
  if (!s) states.set(k, (s = new MmState(k)));
  return s;
}

function pfnSize(k: Kernel): number {
  return k.ptrSize; // PFN_NUMBER is ULONG_PTR on x64, ULONG on x86
}

/** ADDRESS_AND_SIZE_TO_SPAN_PAGES. */
export function spanPages(va: bigint, length: number): number {
  return Number(((va & 0xfffn) + BigInt(length) + 0xfffn) >> 12n);
}

function fields(k: Kernel, mdl: bigint) {
  const o = k.L.MDL.off;
  const m = k.m;
  return {
    flags: () => m.u16At(mdl, o.MdlFlags),
    setFlags: (f: number) => m.setU16At(mdl, o.MdlFlags, f & 0xffff),
    startVa: () => m.ptrAt(mdl, o.StartVa),
    byteOffset: () => m.u32At(mdl, o.ByteOffset),
    byteCount: () => m.u32At(mdl, o.ByteCount),
    pfnAt: (i: number) => mdl + BigInt(k.L.MDL.size + i * pfnSize(k)),
  };
}

/** MmInitializeMdl: the header for a buffer; its PFN array is filled when the pages are described. */
export function initializeMdl(k: Kernel, mdl: bigint, va: bigint, length: number): void {
  const o = k.L.MDL.off;
  const m = k.m;
  m.setPtrAt(mdl, o.Next, 0n);
  m.setU16At(mdl, o.Size, k.L.MDL.size + spanPages(va, length) * pfnSize(k));
  m.setU16At(mdl, o.MdlFlags, 0);
  m.setPtrAt(mdl, o.Process, 0n);
  m.setPtrAt(mdl, o.MappedSystemVa, 0n);
  m.setPtrAt(mdl, o.StartVa, va & ~0xfffn);
  m.setU32At(mdl, o.ByteCount, length);
  m.setU32At(mdl, o.ByteOffset, Number(va & 0xfffn));
}

/** IoAllocateMdl without the IRP part: an MDL in non-paged pool for [va, va+length), or null. */
export function allocateMdl(k: Kernel, va: bigint, length: number, owner: 'driver' | 'system', caller: string): bigint | null {
  if (length === 0 || length > 0x7fffffff) return null;
  const pages = spanPages(va, length);
  const mdl = k.pool.allocate(k.L.MDL.size + pages * pfnSize(k), tagOf('Mdl '), 0, owner, caller);
  if (mdl === null) return null;
  initializeMdl(k, mdl, va, length);
  // Small MDLs come from a lookaside list on Windows and say so.
  if (pages <= 23) fields(k, mdl).setFlags(MDL_ALLOCATED_FIXED_SIZE);
  return mdl;
}

/** MmBuildMdlForNonPagedPool: the PFNs of a non-paged system buffer; it is its own system address. */
export function buildMdlForNonPagedPool(k: Kernel, mdl: bigint): void {
  const f = fields(k, mdl);
  const st = mm(k);
  const start = f.startVa();
  const pages = spanPages(start + BigInt(f.byteOffset()), f.byteCount());
  for (let i = 0; i < pages; i++) k.m.setPtr(f.pfnAt(i), st.pfn(start + BigInt(i * PAGE_SIZE)));
  k.m.setPtrAt(mdl, k.L.MDL.off.MappedSystemVa, start + BigInt(f.byteOffset()));
  k.m.setPtrAt(mdl, k.L.MDL.off.Process, 0n);
  f.setFlags(f.flags() | MDL_SOURCE_IS_NONPAGED_POOL);
}

/**
 * MmProbeAndLockPages: every page must be mapped and allowed for the access, and for UserMode lie below
 * MmUserProbeAddress and be user pages. Returns 0 or the status Windows raises (STATUS_ACCESS_VIOLATION); the
 * caller decides whether that is an exception the driver did not handle or a status the I/O manager returns.
 */
export function probeAndLockPages(k: Kernel, mdl: bigint, mode: number, operation: number): bigint {
  const f = fields(k, mdl);
  const st = mm(k);
  const start = f.startVa();
  const va = start + BigInt(f.byteOffset());
  const count = f.byteCount();
  const pages = spanPages(va, count);
  const write = operation !== IoReadAccess;
  if (mode === UserMode && va + BigInt(count) > userProbeAddress(k)) return STATUS_ACCESS_VIOLATION;
  for (let i = 0; i < pages; i++) {
    const page = start + BigInt(i * PAGE_SIZE);
    const prot = k.m.engine.pageProt(page);
    if (prot === undefined || !(prot & Prot.Read) || (write && !(prot & Prot.Write)) || (mode === UserMode && !(prot & Prot.User))) return STATUS_ACCESS_VIOLATION;
  }
  for (let i = 0; i < pages; i++) k.m.setPtr(f.pfnAt(i), st.pfn(start + BigInt(i * PAGE_SIZE)));
  k.m.setPtrAt(mdl, k.L.MDL.off.Process, va < userProbeAddress(k) ? k.ps.currentProcess : 0n);
  f.setFlags(f.flags() | MDL_PAGES_LOCKED | (write ? MDL_WRITE_OPERATION : 0));
  st.locked.add(mdl);
  return 0n;
}

/** MmMapLockedPagesSpecifyCache: the MDL's pages at a new address in system space or in the current process. */
export function mapLockedPages(k: Kernel, mdl: bigint, mode: number, caller: string): bigint {
  const f = fields(k, mdl);
  const st = mm(k);
  const flags = f.flags();
  if (mode === KernelMode && flags & MDL_MAPPED_TO_SYSTEM_VA) return k.m.ptrAt(mdl, k.L.MDL.off.MappedSystemVa);
  const pages = spanPages(f.startVa() + BigInt(f.byteOffset()), f.byteCount());
  const range = mode === KernelMode ? st.systemPtes : st.userViews;
  const base = range.allocate(pages);
  if (base === null) return 0n;
  const prot = mode === KernelMode ? Prot.RW : Prot.RW | Prot.User;
  for (let i = 0; i < pages; i++) {
    const pfn = k.m.ptr(f.pfnAt(i));
    const page = st.pageOf.get(pfn);
    // An MDL whose pages were never described or locked holds no valid PFNs: Windows would map whatever they name.
    if (page === undefined) throw new GuestStop('bugcheck', `MmMapLockedPagesSpecifyCache: MDL ${hex(mdl)} names PFN ${hex(pfn)}, which is no page (were its pages locked or described?)`, { bugcheck: { code: 0x4e, params: [0x99n, pfn, 0n, 0n] } });
    const at = base + BigInt(i * PAGE_SIZE);
    k.m.mapAlias(at, page, prot);
    st.pfnOf.set(at, pfn);
  }
  const address = base + BigInt(f.byteOffset());
  st.views.push({ address: base, pages, mdl, mode: mode === KernelMode ? 'kernel' : 'user', caller });
  if (mode === KernelMode) {
    k.m.setPtrAt(mdl, k.L.MDL.off.MappedSystemVa, address);
    // A partial MDL mapped on its own (not through its parent's mapping) says so: IoFreeMdl unmaps it.
    f.setFlags(flags | MDL_MAPPED_TO_SYSTEM_VA | (flags & MDL_PARTIAL ? MDL_PARTIAL_HAS_BEEN_MAPPED : 0));
  }
  return address;
}

/** MmUnmapLockedPages: removes a view MmMapLockedPagesSpecifyCache made. */
export function unmapLockedPages(k: Kernel, address: bigint, mdl: bigint): void {
  const st = mm(k);
  const base = address & ~0xfffn;
  const i = st.views.findIndex((v) => v.address === base);
  if (i < 0) {
    throw new GuestStop('bugcheck', `MmUnmapLockedPages(${hex(address)}) of an address no MDL mapping starts at`, {
      bugcheck: { code: 0x4e, params: [0x9an, address, mdl, 0n] },
    });
  }
  const [v] = st.views.splice(i, 1);
  for (let p = 0; p < v.pages; p++) {
    const at = v.address + BigInt(p * PAGE_SIZE);
    k.m.unmap(at, PAGE_SIZE, true);
    st.pfnOf.delete(at);
  }
  (v.mode === 'kernel' ? st.systemPtes : st.userViews).release(v.address, v.pages);
  if (v.mode === 'kernel' && mdl !== 0n) {
    const f = fields(k, mdl);
    f.setFlags(f.flags() & ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED));
  }
}

/** MmUnlockPages: drops the MDL's system view (if it made one) and unlocks its pages. */
export function unlockPages(k: Kernel, mdl: bigint): void {
  const f = fields(k, mdl);
  const flags = f.flags();
  if (!(flags & MDL_PAGES_LOCKED)) {
    throw new GuestStop('bugcheck', `MmUnlockPages on MDL ${hex(mdl)}, whose pages are not locked`, { bugcheck: { code: 0x4e, params: [0x9an, mdl, 0n, 0n] } });
  }
  if (flags & MDL_MAPPED_TO_SYSTEM_VA && !(flags & MDL_SOURCE_IS_NONPAGED_POOL)) unmapLockedPages(k, k.m.ptrAt(mdl, k.L.MDL.off.MappedSystemVa), mdl);
  f.setFlags(f.flags() & ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION));
  mm(k).locked.delete(mdl);
}

/** IoFreeMdl: a system view made from a non-locked (nonpaged-pool) MDL goes with it. */
export function freeMdl(k: Kernel, mdl: bigint): void {
  const f = fields(k, mdl);
  const flags = f.flags();
  // A partial MDL's system address is its parent's mapping unless it was mapped on its own.
  const own = !(flags & MDL_PARTIAL) || (flags & MDL_PARTIAL_HAS_BEEN_MAPPED) !== 0;
  if (flags & MDL_MAPPED_TO_SYSTEM_VA && !(flags & MDL_SOURCE_IS_NONPAGED_POOL) && own) unmapLockedPages(k, k.m.ptrAt(mdl, k.L.MDL.off.MappedSystemVa), mdl);
  mm(k).locked.delete(mdl);
  k.pool.free_(mdl, 0);
}

function raiseUnhandled(k: Kernel, routine: string, status: bigint, why: string): never {
  throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} raised STATUS_ACCESS_VIOLATION (${why}) and no exception handler caught it`, {
    bugcheck: { code: 0x1e, params: [status, k.callerAddress(), 0n, 0n] },
  });
}

const mmx = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...mmx, name: 'MmBuildMdlForNonPagedPool', proto: 'VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)',
    params: { MemoryDescriptorList: 'ptr' }, ret: 'void',
    impl: (k, a) => buildMdlForNonPagedPool(k, a.MemoryDescriptorList),
  }),
  defineExport({
    ...mmx, name: 'MmProbeAndLockPages', proto: 'VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)',
    params: { MemoryDescriptorList: 'ptr', AccessMode: 'u8', Operation: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const s = probeAndLockPages(k, a.MemoryDescriptorList, a.AccessMode, a.Operation);
      if (s !== 0n) raiseUnhandled(k, 'MmProbeAndLockPages', s, `a page of the buffer at ${hex(k.m.ptrAt(a.MemoryDescriptorList, k.L.MDL.off.StartVa))} cannot be locked for this access`);
    },
  }),
  defineExport({
    ...mmx, name: 'MmUnlockPages', proto: 'VOID MmUnlockPages(PMDL MemoryDescriptorList)',
    params: { MemoryDescriptorList: 'ptr' }, ret: 'void',
    impl: (k, a) => unlockPages(k, a.MemoryDescriptorList),
  }),
  defineExport({
    ...mmx, name: 'MmMapLockedPagesSpecifyCache',
    proto: 'PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG BugCheckOnFailure, ULONG Priority)',
    params: { MemoryDescriptorList: 'ptr', AccessMode: 'u8', CacheType: 'u32', RequestedAddress: 'ptr', BugCheckOnFailure: 'u32', Priority: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.RequestedAddress !== 0n) {
        throw new GuestStop('unsupported-call', `MmMapLockedPagesSpecifyCache with a requested address (${hex(a.RequestedAddress)}) is not supported`, { export: 'ntoskrnl.exe!MmMapLockedPagesSpecifyCache' });
      }
      return mapLockedPages(k, a.MemoryDescriptorList, a.AccessMode, k.symbolize(k.callerAddress()));
    },
  }),
  defineExport({
    ...mmx, name: 'MmMapLockedPages', proto: 'PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode)',
    params: { MemoryDescriptorList: 'ptr', AccessMode: 'u8' }, ret: 'ptr',
    impl: (k, a) => mapLockedPages(k, a.MemoryDescriptorList, a.AccessMode, k.symbolize(k.callerAddress())),
  }),
  defineExport({
    ...mmx, name: 'MmUnmapLockedPages', proto: 'VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)',
    params: { BaseAddress: 'ptr', MemoryDescriptorList: 'ptr' }, ret: 'void',
    impl: (k, a) => unmapLockedPages(k, a.BaseAddress, a.MemoryDescriptorList),
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'IoAllocateMdl',
    proto: 'PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)',
    params: { VirtualAddress: 'ptr', Length: 'u32', SecondaryBuffer: 'bool', ChargeQuota: 'bool', Irp: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const mdl = allocateMdl(k, a.VirtualAddress, a.Length, 'driver', k.symbolize(k.callerAddress()));
      if (mdl === null || a.Irp === 0n) return mdl ?? 0n;
      const field = a.Irp + BigInt(k.L.IRP.off.MdlAddress);
      if (!a.SecondaryBuffer) k.m.setPtr(field, mdl);
      else {
        // Chained at the end of the IRP's MDL list.
        let p = k.m.ptr(field);
        if (p === 0n) k.m.setPtr(field, mdl);
        else {
          p = walkChain(k, 'IoAllocateMdl', p, (q) => k.m.ptrAt(q, k.L.MDL.off.Next));
          k.m.setPtrAt(p, k.L.MDL.off.Next, mdl);
        }
      }
      return mdl;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'IoFreeMdl', proto: 'VOID IoFreeMdl(PMDL Mdl)',
    params: { Mdl: 'ptr' }, ret: 'void',
    impl: (k, a) => freeMdl(k, a.Mdl),
  }),
];
