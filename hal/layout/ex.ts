// Layouts of the executive (Ex) structures drivers embed: the ERESOURCE reader/writer lock and its owner entries.

import { LIST_ENTRY } from './rtl.js';
import { KSPIN_LOCK } from './ke.js';
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
