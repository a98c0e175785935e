// Layouts of the executive (Ex) structures drivers embed: the ERESOURCE reader/writer lock and its owner entries.

import { LIST_ENTRY } from './rtl.js';
import { DISPATCHER_HEADER, KEVENT, KSPIN_LOCK } from './ke.js';
import { i16, only, ptr, struct, u16, u32, union, usize } from './struct.js';

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
