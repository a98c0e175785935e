// kernel32's synchronisation objects and waits: events, mutexes and semaphores (Create/Open/Set/Reset/Release),
// WaitForSingleObject/WaitForMultipleObjects on any waitable handle (processes and threads too), Sleep, and critical
// sections.
//
// Each object is a kernel dispatcher object (KEVENT, KMUTANT, KSEMAPHORE in non-paged pool) behind a handle in the
// process's table (ob/handle.ts), as on Windows, so a driver given the handle finds a real object. Names live in
// \BaseNamedObjects: "Global\X", "Local\X" and "X" all name \BaseNamedObjects\X (one session). A wait runs in the
// scheduler: other threads run meanwhile, and a wait nothing can end is a deadlock naming every thread's wait.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop, hex } from '../../machine.js';
import { NotificationEvent, SynchronizationEvent, initializeEvent, initializeListHead } from '../../ke/dispatcher.js';
import { virtualUs } from '../../ke/clock.js';
import { clientOf } from '../process.js';
import { ERROR, k32, setLastError, setLastNtError } from './common.js';
import { mapGeneric, SYNCHRONIZE, type KObject, type ObjectType } from '../../ob/handle.js';
import { MutantObject, acquireMutant } from '../../ke/mutex.js';
import { waitForObjects, waitable, type Waitable } from '../../ke/wait.js';
import { STATUS } from '../../rtl/ntstatus.js';

const WAIT_FAILED = 0xffffffff;
const INFINITE = 0xffffffff;
const UserMode = 1;
const SemaphoreObject = 5;
const EVENT_MODIFY_STATE = 2;
const MUTANT_ALL = 0x1f0001;
const SEMAPHORE_MODIFY_STATE = 2;
const ALL_ACCESS: Record<string, number> = { Event: 0x1f0003, Mutant: MUTANT_ALL, Semaphore: 0x1f0003 };

/** The object behind a user handle of the given type (the pseudo handles are the process and thread). */
export function objectOf(k: Kernel, h: bigint, type?: ObjectType): { object: KObject; access: number } | undefined {
  const e = k.ob.lookup(h, UserMode);
  if (!e || (type && e.object.type !== type)) return undefined;
  return e;
}

/** The KEVENT behind an event handle, or undefined. */
export function eventOf(k: Kernel, h: bigint): bigint | undefined {
  return objectOf(k, h, 'Event')?.object.body;
}

function signalState(k: Kernel, object: bigint): bigint {
  return object + BigInt(k.L.DISPATCHER_HEADER.off.SignalState);
}

// Events are kernel objects (KEVENT in the pool): the functions that touch them work as the system services behind
// them do, at kernel level (actingAs(0)), while the program's own pointers are checked as user mode's.

export function setEventState(k: Kernel, ev: bigint, signaled: boolean): void {
  k.m.actingAs(0, () => k.m.setU32(signalState(k, ev), signaled ? 1 : 0));
}

/** \BaseNamedObjects\X for "Global\X", "Local\X" or "X"; undefined for a name Windows refuses (a backslash elsewhere). */
function objectPath(name: string): string | undefined {
  const m = /^(?:(?:Global|Local)\\)?([^\\]+)$/i.exec(name);
  return m ? `\\BaseNamedObjects\\${m[1]}` : undefined;
}

/**
 * Creates a named or unnamed object, or opens the existing one of that name (ERROR_ALREADY_EXISTS, a new handle; of
 * another type: ERROR_INVALID_HANDLE). `init` fills the new body.
 */
function createObject(k: Kernel, type: 'Event' | 'Mutant' | 'Semaphore', size: number, tag: number, name: string | undefined, init: (body: bigint) => void): bigint {
  let path: string | undefined;
  if (name !== undefined && name !== '') {
    path = objectPath(name);
    if (!path) {
      setLastError(k, ERROR.PATH_NOT_FOUND);
      return 0n;
    }
    const existing = k.ob.named(path);
    if (existing) {
      if (existing.type !== type) {
        setLastError(k, ERROR.INVALID_HANDLE);
        return 0n;
      }
      const h = k.ob.insert(existing, ALL_ACCESS[type], false);
      setLastError(k, ERROR.ALREADY_EXISTS);
      return h;
    }
    if (k.ns.get(path)) {
      setLastError(k, ERROR.INVALID_HANDLE);
      return 0n;
    }
  }
  const obj = k.ob.createInPool(type, size, tag, init, path);
  if (!obj) {
    setLastError(k, ERROR.NOT_ENOUGH_MEMORY);
    return 0n;
  }
  setLastError(k, ERROR.SUCCESS);
  return k.ob.insert(obj, ALL_ACCESS[type], false);
}

/** OpenEvent/OpenMutex/OpenSemaphore: a new handle to the named object with the access asked for. */
function openObject(k: Kernel, type: ObjectType, access: number, name: string): bigint {
  const path = objectPath(name);
  const obj = path ? k.ob.named(path) : undefined;
  if (!obj) {
    setLastError(k, path ? ERROR.FILE_NOT_FOUND : ERROR.PATH_NOT_FOUND);
    return 0n;
  }
  if (obj.type !== type) {
    setLastError(k, ERROR.INVALID_HANDLE);
    return 0n;
  }
  setLastError(k, ERROR.SUCCESS);
  return k.ob.insert(obj, mapGeneric(type, access), false);
}

function nameArg(k: Kernel, p: bigint, wide: boolean): string | undefined {
  if (p === 0n) return undefined;
  return wide ? k.m.wstring(p) : String.fromCharCode(...k.m.cstring(p));
}

/** The dispatcher object a user handle waits on: event, mutant, semaphore, process, thread. */
function waitableHandle(k: Kernel, h: bigint, fn: string): Waitable | number {
  if (h === k.ob.pseudo(1)) return waitable(k, k.ps.currentProcess, fn, 'kernel32.dll');
  if (h === k.ob.pseudo(2)) return waitable(k, k.ps.currentThread, fn, 'kernel32.dll');
  const e = k.ob.lookup(h, UserMode);
  if (!e) {
    if (k.io.files.has(Number(h & 0xffffffffn)) || clientOf(k).handles.has(Number(h & 0xffffffffn))) {
      throw new GuestStop('unsupported-call', `${fn} on handle ${hex(h)}, a file or console handle: kdemu waits on events, mutexes, semaphores, processes and threads`, { export: `kernel32.dll!${fn}` });
    }
    return ERROR.INVALID_HANDLE;
  }
  if (!(e.access & SYNCHRONIZE)) return ERROR.ACCESS_DENIED;
  if (e.object.type === 'File') {
    throw new GuestStop('unsupported-call', `${fn} on handle ${hex(h)}, a pipe: kdemu waits on events, mutexes, semaphores, processes and threads`, { export: `kernel32.dll!${fn}` });
  }
  return waitable(k, e.object.body, fn, 'kernel32.dll');
}

/**
 * Waits for one (any) or all of the objects. The statuses are the return values: WAIT_OBJECT_0 + i is
 * STATUS_WAIT_0 + i, WAIT_ABANDONED_0 + i is STATUS_ABANDONED_WAIT_0 + i, WAIT_TIMEOUT is STATUS_TIMEOUT.
 */
function wait(k: Kernel, fn: string, handles: bigint[], all: boolean, timeout: number): number {
  // NtWaitForMultipleObjects works on the objects in kernel mode.
  return k.m.actingAs(0, () => waitHandles(k, fn, handles, all, timeout));
}

function waitHandles(k: Kernel, fn: string, handles: bigint[], all: boolean, timeout: number): number {
  const objects: Waitable[] = [];
  for (const h of handles) {
    const w = waitableHandle(k, h, fn);
    if (typeof w === 'number') {
      setLastError(k, w);
      return WAIT_FAILED;
    }
    objects.push(w);
  }
  const deadline = timeout === INFINITE ? undefined : virtualUs(k) + BigInt(timeout) * 1000n;
  return waitForObjects(k, objects, all, deadline, fn, 'kernel32.dll');
}

export const exports = [
  ...(['A', 'W'] as const).flatMap((w) => [
    defineExport({
      ...k32, name: `CreateEvent${w}`,
      proto: `HANDLE CreateEvent${w}(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { lpEventAttributes: 'ptr', bManualReset: 'u32', bInitialState: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => createObject(k, 'Event', k.L.KEVENT.size, 0x76655645 /* 'EvEv' */, nameArg(k, a.lpName, w === 'W'), (ev) => initializeEvent(k, ev, a.bManualReset ? NotificationEvent : SynchronizationEvent, a.bInitialState !== 0)),
    }),
    defineExport({
      ...k32, name: `OpenEvent${w}`,
      proto: `HANDLE OpenEvent${w}(DWORD dwDesiredAccess, BOOL bInheritHandle, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { dwDesiredAccess: 'access', bInheritHandle: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => openObject(k, 'Event', a.dwDesiredAccess, nameArg(k, a.lpName, w === 'W') ?? ''),
    }),
    defineExport({
      ...k32, name: `CreateMutex${w}`,
      proto: `HANDLE CreateMutex${w}(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { lpMutexAttributes: 'ptr', bInitialOwner: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => {
        const h = createObject(k, 'Mutant', k.L.KMUTANT.size, 0x6174754d /* 'Muta' */, nameArg(k, a.lpName, w === 'W'), (mu) => initializeMutant(k, mu));
        // The initial owner takes the new mutex (an existing one is only opened).
        if (h !== 0n && a.bInitialOwner && clientOf(k).lastError === ERROR.SUCCESS) k.m.actingAs(0, () => acquireMutant(k, k.ob.lookup(h, UserMode)!.object.body, `CreateMutex${w}`));
        return h;
      },
    }),
    defineExport({
      ...k32, name: `OpenMutex${w}`,
      proto: `HANDLE OpenMutex${w}(DWORD dwDesiredAccess, BOOL bInheritHandle, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { dwDesiredAccess: 'access', bInheritHandle: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => openObject(k, 'Mutant', a.dwDesiredAccess, nameArg(k, a.lpName, w === 'W') ?? ''),
    }),
    defineExport({
      ...k32, name: `CreateSemaphore${w}`,
      proto: `HANDLE CreateSemaphore${w}(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount, LONG lMaximumCount, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { lpSemaphoreAttributes: 'ptr', lInitialCount: 'i32', lMaximumCount: 'i32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => {
        if (a.lMaximumCount <= 0 || a.lInitialCount < 0 || a.lInitialCount > a.lMaximumCount) {
          setLastError(k, ERROR.INVALID_PARAMETER);
          return 0n;
        }
        return createObject(k, 'Semaphore', k.L.KSEMAPHORE.size, 0x616d6553 /* 'Sema' */, nameArg(k, a.lpName, w === 'W'), (se) => initializeSemaphore(k, se, a.lInitialCount, a.lMaximumCount));
      },
    }),
    defineExport({
      ...k32, name: `OpenSemaphore${w}`,
      proto: `HANDLE OpenSemaphore${w}(DWORD dwDesiredAccess, BOOL bInheritHandle, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { dwDesiredAccess: 'access', bInheritHandle: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => openObject(k, 'Semaphore', a.dwDesiredAccess, nameArg(k, a.lpName, w === 'W') ?? ''),
    }),
  ]),
  ...(['SetEvent', 'ResetEvent'] as const).map((name) =>
    defineExport({
      ...k32, name,
      proto: `BOOL ${name}(HANDLE hEvent)`,
      params: { hEvent: 'handle' },
      ret: 'i32',
      impl: (k, a) => {
        const e = objectOf(k, a.hEvent);
        if (!e || e.object.type !== 'Event') {
          setLastError(k, ERROR.INVALID_HANDLE);
          return 0;
        }
        if (!(e.access & EVENT_MODIFY_STATE)) {
          setLastError(k, ERROR.ACCESS_DENIED);
          return 0;
        }
        setEventState(k, e.object.body, name === 'SetEvent');
        return 1;
      },
    }),
  ),
  defineExport({
    ...k32, name: 'ReleaseMutex',
    proto: 'BOOL ReleaseMutex(HANDLE hMutex)',
    params: { hMutex: 'handle' },
    ret: 'i32',
    impl: (k, a) => {
      const e = objectOf(k, a.hMutex, 'Mutant');
      if (!e) {
        setLastError(k, ERROR.INVALID_HANDLE);
        return 0;
      }
      const s = k.m.actingAs(0, () => releaseMutant(k, e.object.body));
      if (s !== STATUS.SUCCESS) {
        setLastNtError(k, s);
        return 0;
      }
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'ReleaseSemaphore',
    proto: 'BOOL ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount)',
    params: { hSemaphore: 'handle', lReleaseCount: 'i32', lpPreviousCount: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const e = objectOf(k, a.hSemaphore, 'Semaphore');
      if (!e) {
        setLastError(k, ERROR.INVALID_HANDLE);
        return 0;
      }
      if (!(e.access & SEMAPHORE_MODIFY_STATE)) {
        setLastError(k, ERROR.ACCESS_DENIED);
        return 0;
      }
      const body = e.object.body;
      const count = k.m.actingAs(0, () => k.m.u32(signalState(k, body)) | 0);
      const limit = k.m.actingAs(0, () => k.m.u32(body + BigInt(k.L.KSEMAPHORE.off.Limit)) | 0);
      if (a.lReleaseCount <= 0 || count + a.lReleaseCount > limit) {
        setLastNtError(k, a.lReleaseCount <= 0 ? STATUS.INVALID_PARAMETER : STATUS.SEMAPHORE_LIMIT_EXCEEDED);
        return 0;
      }
      k.m.actingAs(0, () => k.m.setU32(signalState(k, body), count + a.lReleaseCount));
      if (a.lpPreviousCount !== 0n) k.m.setU32(a.lpPreviousCount, count);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'WaitForSingleObject',
    proto: 'DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)',
    params: { hHandle: 'handle', dwMilliseconds: 'u32' },
    ret: 'u32',
    impl: (k, a) => wait(k, 'WaitForSingleObject', [a.hHandle], false, a.dwMilliseconds),
  }),
  defineExport({
    ...k32, name: 'WaitForMultipleObjects',
    proto: 'DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds)',
    params: { nCount: 'u32', lpHandles: 'ptr', bWaitAll: 'u32', dwMilliseconds: 'u32' },
    ret: 'u32',
    impl: (k, a) => {
      if (a.nCount === 0 || a.nCount > 64) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return WAIT_FAILED;
      }
      const hs = Array.from({ length: a.nCount }, (_, i) => k.m.ptr(a.lpHandles + BigInt(i * k.ptrSize)));
      return wait(k, 'WaitForMultipleObjects', hs, a.bWaitAll !== 0, a.dwMilliseconds);
    },
  }),
  defineExport({
    ...k32, name: 'Sleep',
    proto: 'VOID Sleep(DWORD dwMilliseconds)',
    params: { dwMilliseconds: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      const forever = a.dwMilliseconds === INFINITE;
      const what = `kernel32.dll!Sleep(${forever ? 'INFINITE' : a.dwMilliseconds}), called from ${k.symbolize(k.callerAddress())}`;
      // Timers expire, DPCs and other threads run while the thread sleeps; Sleep(INFINITE) never wakes.
      k.m.actingAs(0, () => k.sched.wait({ what, ready: () => false, ...(forever ? {} : { deadline: virtualUs(k) + BigInt(a.dwMilliseconds) * 1000n }) }, () => undefined));
    },
  }),
  // Critical sections (RTL_CRITICAL_SECTION: DebugInfo, LockCount, RecursionCount, OwningThread, LockSemaphore,
  // SpinCount, 24 bytes on x86 and 40 on x64) with the field values Windows 10 keeps; a thread entering one another
  // thread owns waits in the scheduler until it is left.
  ...(['InitializeCriticalSection', 'EnterCriticalSection', 'LeaveCriticalSection', 'DeleteCriticalSection'] as const).map((name) =>
    defineExport({
      ...k32, name,
      proto: `VOID ${name}(LPCRITICAL_SECTION lpCriticalSection)`,
      params: { lpCriticalSection: 'ptr' },
      ret: 'void',
      impl: (k, a) => criticalSection(k, name, a.lpCriticalSection),
    }),
  ),
  defineExport({
    ...k32, name: 'InitializeCriticalSectionAndSpinCount',
    proto: 'BOOL InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount)',
    params: { lpCriticalSection: 'ptr', dwSpinCount: 'u32' },
    ret: 'i32',
    impl: (k, a) => {
      criticalSection(k, 'InitializeCriticalSection', a.lpCriticalSection, a.dwSpinCount);
      return 1;
    },
  }),
];

/**
 * The critical section routines on `cs`. LockCount follows Windows since Server 2003 SP1: -1 when free, bit 0
 * cleared while owned (-2 with no waiters); a recursive enter only counts in RecursionCount.
 */
function criticalSection(k: Kernel, op: string, cs: bigint, spinCount = 0): void {
  const m = k.m;
  const L = k.L.RTL_CRITICAL_SECTION;
  const o = L.off;
  const tid = BigInt(k.ps.tid);
  switch (op) {
    case 'InitializeCriticalSection': {
      m.fill(cs, L.size);
      m.setU32At(cs, o.LockCount, 0xffffffff); // -1: free
      // A single-processor machine never spins: Windows stores 0 there, whatever spin count was asked for.
      const processors = m.u32At(clientOf(k).peb, k.L.PEB.off.NumberOfProcessors);
      m.setPtrAt(cs, o.SpinCount, BigInt(processors > 1 ? spinCount & 0x00ffffff : 0));
      return;
    }
    case 'DeleteCriticalSection':
      m.fill(cs, L.size);
      return;
    case 'EnterCriticalSection': {
      const held = m.u32At(cs, o.RecursionCount);
      const take = () => {
        const n = m.u32At(cs, o.RecursionCount);
        if (n === 0) m.setU32At(cs, o.LockCount, (m.u32At(cs, o.LockCount) & ~1) >>> 0);
        m.setU32At(cs, o.RecursionCount, n + 1);
        m.setPtrAt(cs, o.OwningThread, tid);
      };
      if (held === 0 || m.ptrAt(cs, o.OwningThread) === tid) return take();
      // Owned by another thread: one more waiter (LockCount goes down by 4) until the owner leaves.
      const owner = m.ptrAt(cs, o.OwningThread);
      m.setU32At(cs, o.LockCount, (m.u32At(cs, o.LockCount) - 4) >>> 0);
      const caller = k.callerAddress();
      k.sched.wait(
        {
          get what() {
            return `kernel32.dll!EnterCriticalSection on critical section ${hex(cs)} owned by thread ${owner}, called from ${k.symbolize(caller)}`;
          },
          ready: () => m.u32At(cs, o.RecursionCount) === 0,
        },
        () => {
          m.setU32At(cs, o.LockCount, (m.u32At(cs, o.LockCount) + 4) >>> 0);
          take();
          return undefined;
        },
      );
      return;
    }
    case 'LeaveCriticalSection': {
      const held = m.u32At(cs, o.RecursionCount);
      if (held === 0) return; // leaving a section not entered corrupts it on Windows; here it stays free
      m.setU32At(cs, o.RecursionCount, held - 1);
      if (held === 1) {
        m.setPtrAt(cs, o.OwningThread, 0n);
        m.setU32At(cs, o.LockCount, (m.u32At(cs, o.LockCount) + 1) >>> 0);
      }
      return;
    }
  }
}

/** A user-mode mutant: free (SignalState 1), no owner; unlike a KMUTEX it leaves APCs enabled (ApcDisable 0). */
function initializeMutant(k: Kernel, mu: bigint): void {
  const o = k.L.KMUTANT.off;
  k.m.setU8(mu + BigInt(o['Header.Type']), MutantObject);
  k.m.setU8(mu + BigInt(o['Header.Size']), k.L.KMUTANT.size / 4);
  k.m.setU32(mu + BigInt(o['Header.SignalState']), 1);
  initializeListHead(k, mu + BigInt(o['Header.WaitListHead']));
}

function initializeSemaphore(k: Kernel, se: bigint, count: number, limit: number): void {
  const o = k.L.KSEMAPHORE.off;
  k.m.setU8(se + BigInt(o['Header.Type']), SemaphoreObject);
  k.m.setU8(se + BigInt(o['Header.Size']), k.L.KSEMAPHORE.size / 4);
  k.m.setU32(se + BigInt(o['Header.SignalState']), count);
  k.m.setU32(se + BigInt(o.Limit), limit);
  initializeListHead(k, se + BigInt(o['Header.WaitListHead']));
}

/** NtReleaseMutant: only the owner may release (STATUS_MUTANT_NOT_OWNED); the last release frees it. */
function releaseMutant(k: Kernel, mu: bigint): number {
  const o = k.L.KMUTANT.off;
  const m = k.m;
  if (m.ptr(mu + BigInt(o.OwnerThread)) !== k.ps.currentThread) return STATUS.MUTANT_NOT_OWNED;
  const state = (m.u32(mu + BigInt(o['Header.SignalState'])) | 0) + 1;
  m.setU32(mu + BigInt(o['Header.SignalState']), state);
  if (state === 1) {
    m.setPtr(mu + BigInt(o.OwnerThread), 0n);
    k.ps.current.mutants.delete(mu);
  }
  return STATUS.SUCCESS;
}
