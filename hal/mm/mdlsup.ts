// More MDL support: MmSizeOfMdl, MmCreateMdl, IoBuildPartialMdl, MmProtectMdlSystemAddress, the reserved mappings
// (MmAllocateMappingAddress, MmMapLockedPagesWithReservedMapping, MmUnmapReservedMapping, MmFreeMappingAddress) and
// MmSecureVirtualMemory. MDLs are those of mdl.ts: the real header followed by the PFN array.

import { PAGE_SIZE, Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from '../io/device.js';
import { MDL_ALLOCATED_FIXED_SIZE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PARTIAL, MDL_PARTIAL_HAS_BEEN_MAPPED, MDL_SOURCE_IS_NONPAGED_POOL, initializeMdl, mm, spanPages } from './mdl.js';
import { PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, committedRange, highestUserAddress } from './virtual.js';

const MDL_IO_PAGE_READ = 0x40;
const MDL_ALLOCATED_MUST_SUCCEED = 0x4000;
const MDL_IO_SPACE = 0x800;

const TARGET_MDL_TOO_SMALL = 0x40;
const MEMORY_MANAGEMENT = 0x1a;
const SYSTEM_PTE_MISUSE = 0xda;

function pfnSize(k: Kernel): number {
  return k.ptrSize;
}

function sizeOfMdl(k: Kernel, base: bigint, length: number): number {
  return k.L.MDL.size + spanPages(base, length) * pfnSize(k);
}

function caller(k: Kernel): string {
  return k.symbolize(k.callerAddress());
}

function bugcheck(k: Kernel, routine: string, why: string, code: number, params: bigint[]): never {
  throw new GuestStop('bugcheck', `${routine} from ${caller(k)}: ${why}`, { bugcheck: { code, params } });
}

/** A range of system PTEs MmAllocateMappingAddress reserved, and the MDL mapped in it. */
interface Reservation {
  base: bigint;
  pages: number;
  tag: number;
  mdl?: bigint;
  mappedPages: number;
}

class SupState {
  readonly reservations = new Map<bigint, Reservation>();
  /** MmSecureVirtualMemory handles: the pool block → the range. */
  readonly secured = new Map<bigint, { address: bigint; size: bigint }>();
}
const states = new WeakMap<Kernel, SupState>();
function sup(k: Kernel): SupState {
  let s = states.get(k);
  if (!s) states.set(k, (s = new SupState()));
  return s;
}

/** The kernel page protection of a PAGE_* value MmProtectMdlSystemAddress accepts, or undefined. */
function kernelProt(protect: number): Prot | undefined {
  switch (protect) {
    case PAGE_NOACCESS: return Prot.None;
    case PAGE_READONLY: return Prot.Read;
    case PAGE_READWRITE: return Prot.RW;
    case PAGE_EXECUTE: case PAGE_EXECUTE_READ: return Prot.RX;
    case PAGE_EXECUTE_READWRITE: return Prot.RWX;
  }
  return undefined;
}

const mmx = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...mmx, name: 'MmSizeOfMdl', proto: 'SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)',
    params: { Base: 'ptr', Length: 'usize' }, ret: 'usize',
    // ADDRESS_AND_SIZE_TO_SPAN_PAGES PFN_NUMBERs after the header.
    impl: (k, a) => BigInt(k.L.MDL.size) + (((a.Base & 0xfffn) + a.Length + 0xfffn) >> 12n) * BigInt(pfnSize(k)),
  }),
  defineExport({
    ...mmx, name: 'MmCreateMdl', proto: 'PMDL MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length)',
    params: { MemoryDescriptorList: 'ptr', Base: 'ptr', Length: 'usize' }, ret: 'ptr',
    impl: (k, a) => {
      const length = Number(a.Length & 0xffffffffn);
      let mdl = a.MemoryDescriptorList;
      if (mdl === 0n) {
        // The caller frees it with ExFreePool.
        const p = k.pool.allocate(sizeOfMdl(k, a.Base, length), tagOf('Mmdl'), 0, 'driver', caller(k));
        if (p === null) return 0n;
        mdl = p;
      }
      initializeMdl(k, mdl, a.Base, length);
      return mdl;
    },
  }),
  defineExport({
    ...mmx, name: 'IoBuildPartialMdl', proto: 'VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)',
    params: { SourceMdl: 'ptr', TargetMdl: 'ptr', VirtualAddress: 'ptr', Length: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.MDL.off;
      const m = k.m;
      const src = a.SourceMdl, dst = a.TargetMdl;
      const srcStart = m.ptrAt(src, o.StartVa);
      const srcVa = srcStart + BigInt(m.u32At(src, o.ByteOffset));
      const offset = a.VirtualAddress - srcVa;
      const length = a.Length === 0 ? m.u32At(src, o.ByteCount) - Number(offset) : a.Length;
      const pages = spanPages(a.VirtualAddress, length);
      const room = (m.u16At(dst, o.Size) - k.L.MDL.size) / pfnSize(k);
      if (room < pages) bugcheck(k, 'IoBuildPartialMdl', `target MDL ${hex(dst)} has room for ${room} pages, the part takes ${pages}`, TARGET_MDL_TOO_SMALL, [0n, 0n, 0n, 0n]);
      m.setPtrAt(dst, o.Process, m.ptrAt(src, o.Process));
      m.setPtrAt(dst, o.StartVa, a.VirtualAddress & ~0xfffn);
      m.setU32At(dst, o.ByteCount, length);
      m.setU32At(dst, o.ByteOffset, Number(a.VirtualAddress & 0xfffn));
      // The target keeps how it was allocated and takes the source's mapping state: its system address is inside
      // the source's mapping.
      const srcFlags = m.u16At(src, o.MdlFlags);
      let flags = m.u16At(dst, o.MdlFlags) & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED);
      flags |= srcFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_PAGE_READ | MDL_IO_SPACE);
      m.setU16At(dst, o.MdlFlags, flags | MDL_PARTIAL);
      m.setPtrAt(dst, o.MappedSystemVa, m.ptrAt(src, o.MappedSystemVa) + offset);
      const first = Number(((a.VirtualAddress & ~0xfffn) - srcStart) >> 12n);
      const from = src + BigInt(k.L.MDL.size + first * pfnSize(k));
      m.write(dst + BigInt(k.L.MDL.size), m.read(from, pages * pfnSize(k)));
    },
  }),
  defineExport({
    ...mmx, name: 'MmProtectMdlSystemAddress', proto: 'NTSTATUS MmProtectMdlSystemAddress(PMDL MemoryDescriptorList, ULONG NewProtect)',
    params: { MemoryDescriptorList: 'ptr', NewProtect: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const prot = kernelProt(a.NewProtect);
      if (prot === undefined) return STATUS.INVALID_PAGE_PROTECTION;
      const o = k.L.MDL.off;
      const mdl = a.MemoryDescriptorList;
      const flags = k.m.u16At(mdl, o.MdlFlags);
      // Only a system mapping the MDL made itself (not nonpaged pool, not a partial MDL's share of its parent's).
      if ((flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL_HAS_BEEN_MAPPED)) !== MDL_MAPPED_TO_SYSTEM_VA || flags & MDL_PARTIAL) {
        return STATUS.NOT_MAPPED_VIEW;
      }
      const va = k.m.ptrAt(mdl, o.MappedSystemVa);
      const base = va & ~0xfffn;
      const pages = spanPages(va, k.m.u32At(mdl, o.ByteCount));
      const st = mm(k);
      const view = st.views.find((v) => v.address === base && v.mode === 'kernel');
      const reserved = [...sup(k).reservations.values()].find((r) => r.mdl === mdl && r.base === base);
      if (!view && !reserved) bugcheck(k, 'MmProtectMdlSystemAddress', `MDL ${hex(mdl)}'s system address ${hex(va)} is no mapping of system PTEs`, MEMORY_MANAGEMENT, [0x1235n, mdl, va, BigInt(a.NewProtect)]);
      k.m.protect(base, pages * PAGE_SIZE, prot);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...mmx, name: 'MmAllocateMappingAddress', proto: 'PVOID MmAllocateMappingAddress(SIZE_T NumberOfBytes, ULONG PoolTag)',
    params: { NumberOfBytes: 'usize', PoolTag: 'tag' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.NumberOfBytes === 0n) bugcheck(k, 'MmAllocateMappingAddress', 'asks for a range of 0 bytes', SYSTEM_PTE_MISUSE, [0x100n, 0n, BigInt(a.PoolTag), 0n]);
      const pages = Number((a.NumberOfBytes + 0xfffn) >> 12n);
      const base = mm(k).systemPtes.allocate(pages);
      if (base === null) return 0n;
      sup(k).reservations.set(base, { base, pages, tag: a.PoolTag, mappedPages: 0 });
      return base;
    },
  }),
  defineExport({
    ...mmx, name: 'MmFreeMappingAddress', proto: 'VOID MmFreeMappingAddress(PVOID BaseAddress, ULONG PoolTag)',
    params: { BaseAddress: 'ptr', PoolTag: 'tag' }, ret: 'void',
    impl: (k, a) => {
      const r = sup(k).reservations.get(a.BaseAddress);
      if (!r) bugcheck(k, 'MmFreeMappingAddress', `${hex(a.BaseAddress)} is no range MmAllocateMappingAddress reserved`, SYSTEM_PTE_MISUSE, [0x101n, a.BaseAddress, BigInt(a.PoolTag), 0n]);
      if (r.tag !== a.PoolTag) bugcheck(k, 'MmFreeMappingAddress', `tag ${hex(BigInt(a.PoolTag))} is not the one the range was reserved with (${hex(BigInt(r.tag))})`, SYSTEM_PTE_MISUSE, [0x101n, a.BaseAddress, BigInt(a.PoolTag), BigInt(r.tag)]);
      if (r.mdl !== undefined) bugcheck(k, 'MmFreeMappingAddress', `the range at ${hex(a.BaseAddress)} still maps MDL ${hex(r.mdl)}`, SYSTEM_PTE_MISUSE, [0x107n, a.BaseAddress, r.mdl, 0n]);
      sup(k).reservations.delete(a.BaseAddress);
      mm(k).systemPtes.release(r.base, r.pages);
    },
  }),
  defineExport({
    ...mmx, name: 'MmMapLockedPagesWithReservedMapping',
    proto: 'PVOID MmMapLockedPagesWithReservedMapping(PVOID MappingAddress, ULONG PoolTag, PMDL MemoryDescriptorList, MEMORY_CACHING_TYPE CacheType)',
    params: { MappingAddress: 'ptr', PoolTag: 'tag', MemoryDescriptorList: 'ptr', CacheType: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      const routine = 'MmMapLockedPagesWithReservedMapping';
      const r = sup(k).reservations.get(a.MappingAddress);
      if (!r) bugcheck(k, routine, `${hex(a.MappingAddress)} is no range MmAllocateMappingAddress reserved`, SYSTEM_PTE_MISUSE, [0x101n, a.MappingAddress, BigInt(a.PoolTag), 0n]);
      if (r.tag !== a.PoolTag) bugcheck(k, routine, `tag ${hex(BigInt(a.PoolTag))} is not the one the range was reserved with (${hex(BigInt(r.tag))})`, SYSTEM_PTE_MISUSE, [0x101n, a.MappingAddress, BigInt(a.PoolTag), BigInt(r.tag)]);
      if (r.mdl !== undefined) bugcheck(k, routine, `the range at ${hex(a.MappingAddress)} already maps MDL ${hex(r.mdl)}`, SYSTEM_PTE_MISUSE, [0x102n, a.MappingAddress, r.mdl, 0n]);
      const o = k.L.MDL.off;
      const mdl = a.MemoryDescriptorList;
      const va = k.m.ptrAt(mdl, o.StartVa) + BigInt(k.m.u32At(mdl, o.ByteOffset));
      const pages = spanPages(va, k.m.u32At(mdl, o.ByteCount));
      // More pages than the range holds: the mapping fails.
      if (pages > r.pages) return 0n;
      const st = mm(k);
      for (let i = 0; i < pages; i++) {
        const pfn = k.m.ptr(mdl + BigInt(k.L.MDL.size + i * pfnSize(k)));
        const page = st.pageOf.get(pfn);
        if (page === undefined) bugcheck(k, routine, `MDL ${hex(mdl)} names PFN ${hex(pfn)}, which is no page (were its pages locked or described?)`, MEMORY_MANAGEMENT, [0x1236n, mdl, pfn, 0n]);
        const at = r.base + BigInt(i * PAGE_SIZE);
        k.m.mapAlias(at, page, Prot.RW);
        st.pfnOf.set(at, pfn);
      }
      r.mdl = mdl;
      r.mappedPages = pages;
      const address = r.base + (va & 0xfffn);
      k.m.setPtrAt(mdl, o.MappedSystemVa, address);
      const flags = k.m.u16At(mdl, o.MdlFlags);
      k.m.setU16At(mdl, o.MdlFlags, flags | MDL_MAPPED_TO_SYSTEM_VA | (flags & MDL_PARTIAL ? MDL_PARTIAL_HAS_BEEN_MAPPED : 0));
      return address;
    },
  }),
  defineExport({
    ...mmx, name: 'MmUnmapReservedMapping', proto: 'VOID MmUnmapReservedMapping(PVOID BaseAddress, ULONG PoolTag, PMDL MemoryDescriptorList)',
    params: { BaseAddress: 'ptr', PoolTag: 'tag', MemoryDescriptorList: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const routine = 'MmUnmapReservedMapping';
      const r = sup(k).reservations.get(a.BaseAddress);
      if (!r) bugcheck(k, routine, `${hex(a.BaseAddress)} is no range MmAllocateMappingAddress reserved`, SYSTEM_PTE_MISUSE, [0x101n, a.BaseAddress, BigInt(a.PoolTag), 0n]);
      if (r.tag !== a.PoolTag) bugcheck(k, routine, `tag ${hex(BigInt(a.PoolTag))} is not the one the range was reserved with (${hex(BigInt(r.tag))})`, SYSTEM_PTE_MISUSE, [0x101n, a.BaseAddress, BigInt(a.PoolTag), BigInt(r.tag)]);
      if (r.mdl !== a.MemoryDescriptorList) bugcheck(k, routine, `the range at ${hex(a.BaseAddress)} does not map MDL ${hex(a.MemoryDescriptorList)}`, SYSTEM_PTE_MISUSE, [0x105n, a.BaseAddress, a.MemoryDescriptorList, 0n]);
      const st = mm(k);
      for (let i = 0; i < r.mappedPages; i++) {
        const at = r.base + BigInt(i * PAGE_SIZE);
        k.m.unmap(at, PAGE_SIZE, true);
        st.pfnOf.delete(at);
      }
      const o = k.L.MDL.off;
      const flags = k.m.u16At(a.MemoryDescriptorList, o.MdlFlags);
      k.m.setU16At(a.MemoryDescriptorList, o.MdlFlags, flags & ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED));
      r.mdl = undefined;
      r.mappedPages = 0;
    },
  }),
  defineExport({
    ...mmx, name: 'MmSecureVirtualMemory', proto: 'HANDLE MmSecureVirtualMemory(PVOID Address, SIZE_T Size, ULONG ProbeMode)',
    params: { Address: 'ptr', Size: 'usize', ProbeMode: 'u32' }, ret: 'handle',
    impl: (k, a) => {
      if (a.ProbeMode !== PAGE_READONLY && a.ProbeMode !== PAGE_READWRITE) return 0n;
      const end = a.Address + a.Size;
      // A user range, every page of it present and allowing the access: otherwise NULL.
      if (a.Size === 0n || end < a.Address || end - 1n > highestUserAddress(k)) return 0n;
      if (!committedRange(k, a.Address, a.Size, a.ProbeMode === PAGE_READWRITE)) return 0n;
      const h = k.pool.allocate(2 * k.ptrSize, tagOf('MmSc'), 0, 'system', caller(k));
      if (h === null) return 0n;
      k.m.setPtr(h, a.Address);
      k.m.setPtr(h + BigInt(k.ptrSize), end);
      sup(k).secured.set(h, { address: a.Address, size: a.Size });
      return h;
    },
  }),
  defineExport({
    ...mmx, name: 'MmUnsecureVirtualMemory', proto: 'VOID MmUnsecureVirtualMemory(HANDLE SecureHandle)',
    params: { SecureHandle: 'handle' }, ret: 'void',
    impl: (k, a) => {
      if (!sup(k).secured.delete(a.SecureHandle)) bugcheck(k, 'MmUnsecureVirtualMemory', `${hex(a.SecureHandle)} is no handle MmSecureVirtualMemory returned (or it was unsecured already)`, MEMORY_MANAGEMENT, [0n, a.SecureHandle, 0n, 0n]);
      k.pool.free_(a.SecureHandle, 0);
    },
  }),
];
