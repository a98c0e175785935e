// kernel32's synchronisation: events (CreateEvent, OpenEvent, SetEvent, ResetEvent), waits, Sleep, and critical
// sections.
//
// An event is a kernel KEVENT in non-paged pool behind a process handle, as on Windows, so a driver given the
// handle finds a real dispatcher object. The program is the only user thread: a wait on something not signaled can
// only end by its timeout (virtual time jumps to it) or never, which is reported as a deadlock naming the objects.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop, hex } from '../../machine.js';
import { NotificationEvent, SynchronizationEvent, initializeEvent } from '../../ke/dispatcher.js';
import { virtualUs, waitUntil } from '../../ke/clock.js';
import { clientOf } from '../process.js';
import { ERROR, handleKey, k32, setLastError } from './common.js';

const WAIT_OBJECT_0 = 0;
const WAIT_TIMEOUT = 258;
const WAIT_FAILED = 0xffffffff;
const INFINITE = 0xffffffff;

/** The KEVENT behind an event handle, or undefined. */
export function eventOf(k: Kernel, h: bigint): bigint | undefined {
  const e = clientOf(k).handles.get(handleKey(h));
  return e?.kind === 'event' ? e.event : undefined;
}

function signalState(k: Kernel, ev: bigint): bigint {
  return ev + BigInt(k.L.KEVENT.off['Header.SignalState']);
}

// Events are kernel objects (KEVENT in the pool): the functions that touch them work as the system services behind
// them do, at kernel level (actingAs(0)), while the program's own pointers are checked as user mode's.

export function setEventState(k: Kernel, ev: bigint, signaled: boolean): void {
  k.m.actingAs(0, () => k.m.setU32(signalState(k, ev), signaled ? 1 : 0));
}

/** The last handle to an event is gone: its object goes too (named events are found by name until then). */
export function closeEvent(k: Kernel, ev: bigint): void {
  const c = clientOf(k);
  let n = 0;
  for (const h of c.handles.values()) if (h.kind === 'event' && h.event === ev) n++;
  // The handle being closed is still in the table: it is the last one when it is the only one.
  if (n <= 1) k.m.actingAs(0, () => k.pool.free_(ev, 0));
}

function createEvent(k: Kernel, manual: number, initial: number, name: string | undefined): bigint {
  const c = clientOf(k);
  if (name !== undefined) {
    for (const h of c.handles.values()) {
      if (h.kind === 'event' && h.name === name) {
        // An existing named event: a new handle to it, and ERROR_ALREADY_EXISTS.
        setLastError(k, ERROR.ALREADY_EXISTS);
        return BigInt(c.open({ kind: 'event', event: h.event, name }));
      }
    }
  }
  const ev = k.m.actingAs(0, () => k.pool.allocate(k.L.KEVENT.size, 0x76655645 /* 'EvEv' */, 0, 'system', 'CreateEvent'));
  if (ev === null) {
    setLastError(k, ERROR.NOT_ENOUGH_MEMORY);
    return 0n;
  }
  k.m.actingAs(0, () => initializeEvent(k, ev, manual ? NotificationEvent : SynchronizationEvent, initial !== 0));
  setLastError(k, ERROR.SUCCESS);
  return BigInt(c.open({ kind: 'event', event: ev, ...(name !== undefined ? { name } : {}) }));
}

function openEvent(k: Kernel, name: string): bigint {
  const c = clientOf(k);
  for (const h of c.handles.values()) if (h.kind === 'event' && h.name === name) return BigInt(c.open({ kind: 'event', event: h.event, name }));
  setLastError(k, ERROR.FILE_NOT_FOUND);
  return 0n;
}

/** Waits for one of (any) or all of the objects; only events are waitable here. */
function wait(k: Kernel, fn: string, handles: bigint[], all: boolean, timeout: number): number {
  return k.m.actingAs(0, () => waitEvents(k, fn, handles, all, timeout));
}

function waitEvents(k: Kernel, fn: string, handles: bigint[], all: boolean, timeout: number): number {
  const events: bigint[] = [];
  for (const h of handles) {
    const ev = eventOf(k, h);
    if (ev === undefined) {
      if (clientOf(k).handles.has(handleKey(h)) || k.io.files.has(handleKey(h))) {
        throw new GuestStop('unsupported-call', `${fn} on handle ${hex(h)}, which is not an event: kdemu waits on events only so far`, { export: `kernel32.dll!${fn}` });
      }
      setLastError(k, ERROR.INVALID_HANDLE);
      return WAIT_FAILED;
    }
    events.push(ev);
  }
  const m = k.m;
  const signaled = events.map((ev) => m.u32(signalState(k, ev)) > 0);
  const satisfy = (ev: bigint) => {
    // A synchronization (auto-reset) event is reset by the wait it satisfies.
    if (m.u8(ev + BigInt(k.L.KEVENT.off['Header.Type'])) === SynchronizationEvent) setEventState(k, ev, false);
  };
  if (all ? signaled.every(Boolean) : signaled.some(Boolean)) {
    if (all) {
      events.forEach(satisfy);
      return WAIT_OBJECT_0;
    }
    const i = signaled.indexOf(true);
    satisfy(events[i]);
    return WAIT_OBJECT_0 + i;
  }
  // The program's only thread waits: virtual time passes from timer to timer (their DPCs may signal the events).
  const ready = () => (all ? events.every((ev) => m.u32(signalState(k, ev)) > 0) : events.some((ev) => m.u32(signalState(k, ev)) > 0));
  if (timeout !== 0 && waitUntil(k, ready, timeout === INFINITE ? undefined : virtualUs(k) + BigInt(timeout) * 1000n)) {
    const now = events.map((ev) => m.u32(signalState(k, ev)) > 0);
    if (all) {
      events.forEach(satisfy);
      return WAIT_OBJECT_0;
    }
    const i = now.indexOf(true);
    satisfy(events[i]);
    return WAIT_OBJECT_0 + i;
  }
  if (timeout === INFINITE) {
    const what = handles.map((h, i) => `event ${hex(h)} (${m.u8(events[i] + BigInt(k.L.KEVENT.off['Header.Type'])) === NotificationEvent ? 'manual-reset' : 'auto-reset'}, ${signaled[i] ? 'signaled' : 'not signaled'})`).join(', ');
    throw new GuestStop('deadlock', `the client's only thread waits in ${fn} with no timeout for ${all ? 'all of ' : handles.length > 1 ? 'one of ' : ''}${what}, from ${k.symbolize(k.callerAddress())}, and nothing in the machine can signal it`, {});
  }
  return WAIT_TIMEOUT;
}

export const exports = [
  ...(['A', 'W'] as const).flatMap((w) => [
    defineExport({
      ...k32, name: `CreateEvent${w}`,
      proto: `HANDLE CreateEvent${w}(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { lpEventAttributes: 'ptr', bManualReset: 'u32', bInitialState: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => createEvent(k, a.bManualReset, a.bInitialState, a.lpName === 0n ? undefined : w === 'W' ? k.m.wstring(a.lpName) : String.fromCharCode(...k.m.cstring(a.lpName))),
    }),
    defineExport({
      ...k32, name: `OpenEvent${w}`,
      proto: `HANDLE OpenEvent${w}(DWORD dwDesiredAccess, BOOL bInheritHandle, LPC${w === 'W' ? 'W' : ''}STR lpName)`,
      params: { dwDesiredAccess: 'access', bInheritHandle: 'u32', lpName: w === 'W' ? 'pwstr' : 'pstr' },
      ret: 'handle',
      impl: (k, a) => openEvent(k, w === 'W' ? k.m.wstring(a.lpName) : String.fromCharCode(...k.m.cstring(a.lpName))),
    }),
  ]),
  ...(['SetEvent', 'ResetEvent'] as const).map((name) =>
    defineExport({
      ...k32, name,
      proto: `BOOL ${name}(HANDLE hEvent)`,
      params: { hEvent: 'handle' },
      ret: 'i32',
      impl: (k, a) => {
        const ev = eventOf(k, a.hEvent);
        if (ev === undefined) {
          setLastError(k, ERROR.INVALID_HANDLE);
          return 0;
        }
        setEventState(k, ev, name === 'SetEvent');
        return 1;
      },
    }),
  ),
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
      if (a.dwMilliseconds === INFINITE) {
        throw new GuestStop('deadlock', `the client's only thread calls Sleep(INFINITE) from ${k.symbolize(k.callerAddress())}: it never wakes`, {});
      }
      // Timers expire and DPCs run while the program sleeps.
      waitUntil(k, () => false, virtualUs(k) + BigInt(a.dwMilliseconds) * 1000n);
    },
  }),
  // Critical sections (RTL_CRITICAL_SECTION: DebugInfo, LockCount, RecursionCount, OwningThread, LockSemaphore,
  // SpinCount, 24 bytes on x86 and 40 on x64) with the field values Windows 10 keeps; the program's one thread
  // never has to wait for one.
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
  const tid = BigInt(k.ps.userTid);
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
      if (held > 0 && m.ptrAt(cs, o.OwningThread) !== tid) {
        throw new GuestStop('deadlock', `EnterCriticalSection(${hex(cs)}) from ${k.symbolize(k.callerAddress())}: owned by thread ${m.ptrAt(cs, o.OwningThread)}, which does not exist`, {});
      }
      if (held === 0) m.setU32At(cs, o.LockCount, (m.u32At(cs, o.LockCount) & ~1) >>> 0);
      m.setU32At(cs, o.RecursionCount, held + 1);
      m.setPtrAt(cs, o.OwningThread, tid);
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
