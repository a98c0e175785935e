// Layouts of the executive (Ex) structures drivers embed: the ERESOURCE reader/writer lock and its owner entries.

import { LIST_ENTRY } from './rtl.js';
import { DISPATCHER_HEADER, KEVENT, KSPIN_LOCK } from './ke.js';
import { i16, only, ptr, struct, u16, u32, u64, union, usize } from './struct.js';

// OwnerThread is an ERESOURCE_THREAD (the owning KTHREAD as a ULONG_PTR); the union's bit fields
// (IoPriorityBoosted:1, OwnerReferenced:1, OwnerCount:30) share TableSize's ULONG.
export const OWNER_ENTRY = struct('OWNER_ENTRY', {
  OwnerThread: usize,
  $u: union({ TableSize: u32 }),
});

export const ERESOURCE = struct('ERESOURCE', {
  SystemResourcesList: LIST_ENTRY,
  OwnerTable: ptr,
  ActiveCount: i16,
  Flag: u16,
  SharedWaiters: ptr,
  ExclusiveWaiters: ptr,
  OwnerEntry: OWNER_ENTRY,
  ActiveEntries: u32,
  ContentionCount: u32,
  NumberOfSharedWaiters: u32,
  NumberOfExclusiveWaiters: u32,
  Reserved2: only('x64', ptr), // #if defined(_WIN64)
  $u: union({ Address: ptr, CreatorBackTraceIndex: usize }),
  SpinLock: KSPIN_LOCK,
});

// ExInitializeFastMutex (a header inline) leaves Count 1 (FM_LOCK_BIT: free), no Owner, and a synchronization event.
export const FAST_MUTEX = struct('FAST_MUTEX', {
  Count: u32,
  Owner: ptr,
  Contention: u32,
  Event: KEVENT,
  OldIrql: u32,
});

export const KGUARDED_MUTEX = struct('KGUARDED_MUTEX', {
  Count: u32,
  Owner: ptr,
  Contention: u32,
  Gate: struct({ Header: DISPATCHER_HEADER }),
  $u: union({ $s: struct({ KernelApcDisable: i16, SpecialApcDisable: i16 }), CombinedApcDisable: u32 }),
});

// ExInitializeWorkItem (a macro) fills WorkerRoutine and Parameter and clears List.Flink.
export const WORK_QUEUE_ITEM = struct('WORK_QUEUE_ITEM', {
  List: LIST_ENTRY,
  WorkerRoutine: ptr,
  Parameter: ptr,
});

// SLIST_HEADER: x64 (Windows 8's HeaderX64) Depth:16 and Sequence:48 in the first quadword, HeaderType:1, Reserved:3 and
// NextEntry:60 (the first entry's address >> 4) in the second, 16-aligned; x86 the first entry, Depth and Sequence.
export const SLIST_HEADER = union('SLIST_HEADER', {
  $x64: only('x64', struct({ Alignment: u64, Region: u64 })),
  $x86a: only('x86', u64),
  $x86: only('x86', struct({ Next: ptr, Depth: u16, Sequence: u16 })),
}, { align: { x64: 16 } });

// The lookaside lists' common part; Allocate/Free default to ExAllocatePoolWithTag / ExFreePool. (The WDK cache-aligns
// them on x86 too; mingw-w64 does not, and only the field offsets, which agree, matter here.)
export const GENERAL_LOOKASIDE = struct('GENERAL_LOOKASIDE', {
  ListHead: SLIST_HEADER,
  Depth: u16,
  MaximumDepth: u16,
  TotalAllocates: u32,
  $u2: union({ AllocateMisses: u32, AllocateHits: u32 }),
  TotalFrees: u32,
  $u3: union({ FreeMisses: u32, FreeHits: u32 }),
  Type: u32,
  Tag: u32,
  Size: u32,
  $u4: union({ AllocateEx: ptr, Allocate: ptr }),
  $u5: union({ FreeEx: ptr, Free: ptr }),
  ListEntry: LIST_ENTRY,
  LastTotalAllocates: u32,
  $u6: union({ LastAllocateMisses: u32, LastAllocateHits: u32 }),
  Future: u64,
}, { align: { x64: 64 } });

export const NPAGED_LOOKASIDE_LIST = struct('NPAGED_LOOKASIDE_LIST', {
  L: GENERAL_LOOKASIDE,
  Lock__ObsoleteButDoNotDelete: only('x86', KSPIN_LOCK),
}, { align: { x64: 64 } });

// The paged list: x86 keeps an obsolete FAST_MUTEX after the common part. LOOKASIDE_LIST_EX's L (GENERAL_LOOKASIDE_POOL)
// has GENERAL_LOOKASIDE's fields at the same offsets.
export const PAGED_LOOKASIDE_LIST = struct('PAGED_LOOKASIDE_LIST', {
  L: GENERAL_LOOKASIDE,
  Lock__ObsoleteButDoNotDelete: only('x86', FAST_MUTEX),
});
