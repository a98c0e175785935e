// Pool exports: ExAllocatePool, ExAllocatePoolWithTag, ExAllocatePoolWithTagPriority, ExAllocatePoolWithQuota(Tag),
// ExAllocatePool2, ExFreePool, ExFreePoolWithTag, ExQueryPoolBlockSize.
//
// kdemu does not limit processes' pool quotas: a quota allocation succeeds whenever the pool has the memory, and is
// marked as charged (ExQueryPoolBlockSize reports it).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop } from '../machine.js';
import { BAD_POOL_CALLER } from './pool.js';

/** ExAllocatePool's implied tag: 'None'. */
const TAG_NONE = 0x656e6f4e;

// POOL_FLAGS for ExAllocatePool2.
const POOL_FLAG_UNINITIALIZED = 0x2n;
const POOL_FLAG_RAISE_ON_FAILURE = 0x20n;
const POOL_FLAG_NON_PAGED = 0x40n;
const POOL_FLAG_NON_PAGED_EXECUTE = 0x80n;
const POOL_FLAG_PAGED = 0x100n;
const POOL_FLAG_REQUIRED_MASK = 0xffffffffn;
const KNOWN_REQUIRED = 0x1n | 0x2n | 0x4n | 0x8n | 0x10n | 0x20n | 0x40n | 0x80n | 0x100n;
const STATUS_INSUFFICIENT_RESOURCES = 0xc000009an;

/** POOL_TYPE flag bits: fail instead of raising (quota allocations), raise if the allocation fails. */
const POOL_QUOTA_FAIL_INSTEAD_OF_RAISE = 0x8;
const POOL_RAISE_IF_ALLOCATION_FAILURE = 0x10;

/** An allocation for the driver (NULL when the pool cannot satisfy it). */
export function allocate(k: Kernel, size: bigint, tag: number, poolType: number): bigint {
  if (size > 0x7fffffffn) return 0n;
  return k.pool.allocate(Number(size), tag, poolType, 'driver', k.symbolize(k.callerAddress())) ?? 0n;
}

/** A failed allocation with POOL_RAISE_IF_ALLOCATION_FAILURE (or a quota one without FAIL_INSTEAD_OF_RAISE) raises. */
function raiseNoMemory(k: Kernel, routine: string): GuestStop {
  return new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} failed: STATUS_INSUFFICIENT_RESOURCES raised and not handled`, {
    bugcheck: { code: 0x1e, params: [STATUS_INSUFFICIENT_RESOURCES, k.callerAddress(), 0n, 0n] },
  });
}

/** ExAllocatePoolWithTag's behaviour for a pool type that may carry POOL_RAISE_IF_ALLOCATION_FAILURE. */
export function allocateOrRaise(k: Kernel, size: bigint, tag: number, poolType: number, routine: string): bigint {
  const p = allocate(k, size, tag, poolType & ~POOL_RAISE_IF_ALLOCATION_FAILURE);
  if (p === 0n && poolType & POOL_RAISE_IF_ALLOCATION_FAILURE) throw raiseNoMemory(k, routine);
  return p;
}

/** Blocks allocated with quota charged to the process (ExQueryPoolBlockSize's QuotaCharged). */
const quotaBlocks = new WeakMap<Kernel, Set<bigint>>();
function quota(k: Kernel): Set<bigint> {
  let s = quotaBlocks.get(k);
  if (!s) quotaBlocks.set(k, (s = new Set()));
  return s;
}

/** ExAllocatePoolWithQuotaTag: raises on failure unless the pool type has POOL_QUOTA_FAIL_INSTEAD_OF_RAISE. */
function allocateWithQuota(k: Kernel, size: bigint, tag: number, poolType: number, routine: string): bigint {
  const p = allocate(k, size, tag, poolType & ~(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE));
  if (p === 0n) {
    if (poolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) return 0n;
    throw raiseNoMemory(k, routine);
  }
  quota(k).add(p);
  return p;
}

export function free(k: Kernel, p: bigint, tag: number): void {
  if (p === 0n) {
    throw new GuestStop('bugcheck', `ExFreePool(NULL) from ${k.symbolize(k.callerAddress())}`, { bugcheck: { code: BAD_POOL_CALLER, params: [0x46n, 0n, 0n, 0n] } });
  }
  k.pool.free_(p, tag, k.callerAddress());
  quota(k).delete(p);
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExAllocatePool',
    cc: 'stdcall',
    proto: 'PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)',
    params: { PoolType: 'u32', NumberOfBytes: 'usize' },
    ret: 'ptr',
    impl: (k, a) => allocate(k, a.NumberOfBytes, TAG_NONE, a.PoolType),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExAllocatePoolWithTag',
    cc: 'stdcall',
    proto: 'PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)',
    params: { PoolType: 'u32', NumberOfBytes: 'usize', Tag: 'tag' },
    ret: 'ptr',
    impl: (k, a) => allocateOrRaise(k, a.NumberOfBytes, a.Tag, a.PoolType, 'ExAllocatePoolWithTag'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExAllocatePoolWithTagPriority',
    cc: 'stdcall',
    proto: 'PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)',
    params: { PoolType: 'u32', NumberOfBytes: 'usize', Tag: 'tag', Priority: 'u32' },
    ret: 'ptr',
    // The priority only matters when the pool runs low, which kdemu's pool does not model short of running out.
    impl: (k, a) => allocateOrRaise(k, a.NumberOfBytes, a.Tag, a.PoolType, 'ExAllocatePoolWithTagPriority'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExAllocatePoolWithQuotaTag',
    cc: 'stdcall',
    proto: 'PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)',
    params: { PoolType: 'u32', NumberOfBytes: 'usize', Tag: 'tag' },
    ret: 'ptr',
    impl: (k, a) => allocateWithQuota(k, a.NumberOfBytes, a.Tag, a.PoolType, 'ExAllocatePoolWithQuotaTag'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExAllocatePoolWithQuota',
    cc: 'stdcall',
    proto: 'PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes)',
    params: { PoolType: 'u32', NumberOfBytes: 'usize' },
    ret: 'ptr',
    impl: (k, a) => allocateWithQuota(k, a.NumberOfBytes, TAG_NONE, a.PoolType, 'ExAllocatePoolWithQuota'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExQueryPoolBlockSize',
    cc: 'stdcall',
    proto: 'SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged)',
    params: { PoolBlock: 'ptr', QuotaCharged: 'ptr' },
    ret: 'usize',
    impl: (k, a) => {
      // Read from the pool header in front of the block, as Windows does: its size in header units, less the header.
      const header = BigInt(k.pool.header);
      const units = BigInt(k.m.u16(a.PoolBlock - header));
      k.m.setU8(a.QuotaCharged, quota(k).has(a.PoolBlock) ? 1 : 0);
      return units * header - header;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExAllocatePool2',
    cc: 'stdcall',
    proto: 'PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)',
    params: { Flags: 'u64', NumberOfBytes: 'usize', Tag: 'tag' },
    ret: 'ptr',
    impl: (k, a) => {
      const required = a.Flags & POOL_FLAG_REQUIRED_MASK;
      const kinds = [POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED].filter((f) => required & f).length;
      // A zero tag, unknown required flags, or not exactly one pool kind: invalid, the call fails.
      if (a.Tag === 0 || required & ~KNOWN_REQUIRED || kinds !== 1) return 0n;
      const poolType = required & POOL_FLAG_PAGED ? 1 : 0;
      const p = allocate(k, a.NumberOfBytes, a.Tag, poolType);
      if (p === 0n) {
        if (required & POOL_FLAG_RAISE_ON_FAILURE) {
          throw new GuestStop('bugcheck', `ExAllocatePool2 with POOL_FLAG_RAISE_ON_FAILURE failed: STATUS_INSUFFICIENT_RESOURCES raised and not handled`, {
            bugcheck: { code: 0x1e, params: [STATUS_INSUFFICIENT_RESOURCES, k.callerAddress(), 0n, 0n] },
          });
        }
        return 0n;
      }
      if (!(required & POOL_FLAG_UNINITIALIZED) && a.NumberOfBytes > 0n) k.m.fill(p, Number(a.NumberOfBytes));
      return p;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExFreePool',
    cc: 'stdcall',
    proto: 'VOID ExFreePool(PVOID P)',
    params: { P: 'ptr' },
    ret: 'void',
    impl: (k, a) => free(k, a.P, 0),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'ExFreePoolWithTag',
    cc: 'stdcall',
    proto: 'VOID ExFreePoolWithTag(PVOID P, ULONG Tag)',
    params: { P: 'ptr', Tag: 'tag' },
    ret: 'void',
    impl: (k, a) => free(k, a.P, a.Tag),
  }),
];
