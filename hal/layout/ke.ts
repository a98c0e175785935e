// Layouts of the kernel (Ke) objects: spin lock, dispatcher header and the waitable objects, DPC, APC, device queue.

import { LIST_ENTRY, ULARGE_INTEGER } from './rtl.js';
import { array, i16, i32, i64, i8, only, ptr, struct, typedef, u16, u32, u8, union, usize } from './struct.js';

export const KSPIN_LOCK = typedef('KSPIN_LOCK', usize);

// A 64-bit time the kernel updates while others read it without a lock: it writes High2Time, LowPart, High1Time;
// a reader takes High1Time, LowPart, High2Time and retries while the two high parts differ.
export const KSYSTEM_TIME = struct('KSYSTEM_TIME', { LowPart: u32, High1Time: i32, High2Time: i32 });

// The first 4 bytes are a union of per-object-type flag bytes and a Lock word. Bit fields (Absolute,
// Inserted, Expired...) are not described: they live in the flag byte that shares their slot
// (Absolute is bit 0 of TimerControlFlags), which is what an emulator reads and writes.
export const DISPATCHER_HEADER = struct('DISPATCHER_HEADER', {
  $u: union({
    $s: struct({
      Type: u8,
      $u1: union({ TimerControlFlags: u8, Abandoned: u8, Signalling: u8 }),
      $u2: union({ ThreadControlFlags: u8, Size: u8, Hand: u8 }),
      $u3: union({ TimerMiscFlags: u8, DebugActive: u8, DpcActive: u8 }),
    }),
    Lock: i32,
  }),
  SignalState: i32,
  WaitListHead: LIST_ENTRY,
});

export const KEVENT = struct('KEVENT', { Header: DISPATCHER_HEADER });

export const KSEMAPHORE = struct('KSEMAPHORE', { Header: DISPATCHER_HEADER, Limit: i32 });

export const KMUTANT = struct('KMUTANT', {
  Header: DISPATCHER_HEADER,
  MutantListEntry: LIST_ENTRY,
  OwnerThread: ptr,
  Abandoned: u8,
  ApcDisable: u8,
});

export const KDPC = struct('KDPC', {
  Type: u8,
  Importance: u8,
  Number: u16,
  DpcListEntry: LIST_ENTRY,
  DeferredRoutine: ptr,
  DeferredContext: ptr,
  SystemArgument1: ptr,
  SystemArgument2: ptr,
  DpcData: ptr,
});

export const KTIMER = struct('KTIMER', {
  Header: DISPATCHER_HEADER,
  DueTime: ULARGE_INTEGER,
  TimerListEntry: LIST_ENTRY,
  Dpc: ptr,
  Processor: only('x64', u32), // #if !defined(_X86_)
  Period: u32,
});

export const KAPC = struct('KAPC', {
  Type: u8,
  SpareByte0: u8,
  Size: u8,
  SpareByte1: u8,
  SpareLong0: u32,
  Thread: ptr,
  ApcListEntry: LIST_ENTRY,
  KernelRoutine: ptr,
  RundownRoutine: ptr,
  NormalRoutine: ptr,
  NormalContext: ptr,
  SystemArgument1: ptr,
  SystemArgument2: ptr,
  ApcStateIndex: i8,
  ApcMode: i8, // KPROCESSOR_MODE
  Inserted: u8,
});

export const KDEVICE_QUEUE_ENTRY = struct('KDEVICE_QUEUE_ENTRY', {
  DeviceListEntry: LIST_ENTRY,
  SortKey: u32,
  Inserted: u8,
});

export const KDEVICE_QUEUE = struct('KDEVICE_QUEUE', {
  Type: i16,
  Size: i16,
  DeviceListHead: LIST_ENTRY,
  Lock: KSPIN_LOCK,
  // On x64 Busy shares a LONG64 with the Reserved:8 / Hint:56 bit fields, which makes the queue 8 bytes longer.
  $u: union({ Busy: u8, $hint: only('x64', i64) }),
});

// The queued spin lock's per-acquisition entry, and the in-stack handle KeAcquireInStackQueuedSpinLock fills.
export const KSPIN_LOCK_QUEUE = struct('KSPIN_LOCK_QUEUE', { Next: ptr, Lock: ptr });
export const KLOCK_QUEUE_HANDLE = struct('KLOCK_QUEUE_HANDLE', { LockQueue: KSPIN_LOCK_QUEUE, OldIrql: u8 });

// A processor by group and group-relative number; a group's affinity mask (KAFFINITY is a ULONG_PTR).
export const PROCESSOR_NUMBER = struct('PROCESSOR_NUMBER', { Group: u16, Number: u8, Reserved: u8 });
export const GROUP_AFFINITY = struct('GROUP_AFFINITY', { Mask: usize, Group: u16, Reserved: array(u16, 3) });

export const KQUEUE = struct('KQUEUE', {
  Header: DISPATCHER_HEADER,
  EntryListHead: LIST_ENTRY,
  CurrentCount: u32,
  MaximumCount: u32,
  ThreadListHead: LIST_ENTRY,
});

export const KBUGCHECK_CALLBACK_RECORD = struct('KBUGCHECK_CALLBACK_RECORD', {
  Entry: LIST_ENTRY,
  CallbackRoutine: ptr,
  Buffer: ptr,
  Length: u32,
  Component: ptr,
  Checksum: usize,
  State: u8,
});

export const KBUGCHECK_REASON_CALLBACK_RECORD = struct('KBUGCHECK_REASON_CALLBACK_RECORD', {
  Entry: LIST_ENTRY,
  CallbackRoutine: ptr,
  Component: ptr,
  Checksum: usize,
  Reason: u32,
  State: u8,
});

/** What KeSaveFloatingPointState saves: the x87 environment on x86; one ULONG on x64. */
export const KFLOATING_SAVE = struct('KFLOATING_SAVE', {
  ControlWord: only('x86', u32),
  StatusWord: only('x86', u32),
  ErrorOffset: only('x86', u32),
  ErrorSelector: only('x86', u32),
  DataOffset: only('x86', u32),
  DataSelector: only('x86', u32),
  Cr0NpxState: only('x86', u32),
  Spare1: only('x86', u32),
  Dummy: only('x64', u32),
});

/**
 * KINTERRUPT, opaque to drivers (wdm.h declares only the pointer): Windows 10's, described up to DispatchCount, the
 * members that are laid out the same on both architectures; the rest (the passive-level event, the ISR/DPC
 * statistics, the redirect object) is padding up to Windows 10's sizeof.
 */
export const KINTERRUPT = struct(
  'KINTERRUPT',
  {
    Type: i16,
    Size: i16,
    InterruptListEntry: LIST_ENTRY,
    ServiceRoutine: ptr,
    MessageServiceRoutine: ptr,
    MessageIndex: u32,
    ServiceContext: ptr,
    SpinLock: KSPIN_LOCK,
    TickCount: u32,
    ActualLock: ptr,
    DispatchAddress: ptr,
    Vector: u32,
    Irql: u8,
    SynchronizeIrql: u8,
    FloatingSave: u8,
    Connected: u8,
    Number: u32,
    ShareVector: u8,
    EmulateActiveBoth: u8,
    ActiveCount: u16,
    InternalState: i32,
    Mode: u32,
    Polarity: u32,
    ServiceCount: u32,
    DispatchCount: u32,
  },
  { size: { x86: 0xd0, x64: 0x120 }, mingw: { headers: 'none' } },
);
