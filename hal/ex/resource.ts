// Executive resources (ERESOURCE): the reader/writer lock of ExInitializeResourceLite, ExAcquireResource*Lite,
// ExAcquireSharedStarveExclusive / ExAcquireSharedWaitForExclusive, ExReleaseResource(ForThread)Lite,
// ExConvertExclusiveToSharedLite, ExIsResourceAcquired*Lite, ExGet*WaiterCount, ExSetResourceOwnerPointer(Ex),
// ExReinitializeResourceLite, ExDisableResourceBoostLite, and the critical-region forms (ExEnterCriticalRegionAndAcquireResource*,
// ExReleaseResourceAndLeaveCriticalRegion).
//
// The owners (ERESOURCE_THREAD values: the owning KTHREAD, or an owner pointer with its low two bits set) and the
// waiters are kept here, per resource address; the ERESOURCE in guest memory mirrors them (ActiveCount, ActiveEntries,
// Flag's ResourceOwnedExclusive, OwnerEntry, the waiter counts, ContentionCount) for a driver or debugger that looks.
// Semantics as documented: exclusive access is recursive for its owner and includes shared access; shared access is
// granted while no other thread holds the resource exclusively, and (ExAcquireResourceSharedLite) to a new shared owner
// only while no exclusive acquisition waits. A thread that cannot have the resource waits through the scheduler; as
// Windows' release does, the release hands the resource over: to every shared waiter after an exclusive owner,
// otherwise to the first exclusive waiter. Releasing a resource the thread does not own bugchecks RESOURCE_NOT_OWNED.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { initializeListHead } from '../ke/dispatcher.js';
import { assertCanWait } from '../ke/clock.js';
import { adjustKernelApcDisable } from '../ke/apc.js';

export const RESOURCE_NOT_OWNED = 0xe3;
const ResourceOwnedExclusive = 0x80;
/** Flag: no priority boost for the owners of a resource threads wait for (ExDisableResourceBoostLite). */
const ResourceDisableBoost = 0x08;

type SharedKind = 'lite' | 'starve' | 'waitForExclusive';

interface Waiter {
  thread: bigint;
  exclusive: boolean;
  granted: boolean;
}

interface Resource {
  exclusive: boolean;
  /** ERESOURCE_THREAD → acquisitions it holds. */
  owners: Map<bigint, number>;
  /** Threads waiting for the resource, first come first served. */
  waiters: Waiter[];
  contention: number;
  /** The mode of the last owners before the resource became free (decides who a release hands it to). */
  wasExclusive: boolean;
}

const resources = new WeakMap<Kernel, Map<bigint, Resource>>();

function table(k: Kernel): Map<bigint, Resource> {
  let m = resources.get(k);
  if (!m) resources.set(k, (m = new Map()));
  return m;
}

/** The initialised resources still live (not deleted with ExDeleteResourceLite), by address. */
export function liveResources(k: Kernel): bigint[] {
  return [...table(k).keys()];
}

function fresh(): Resource {
  return { exclusive: false, owners: new Map(), waiters: [], contention: 0, wasExclusive: false };
}

function get(k: Kernel, resource: bigint, routine: string): Resource {
  const r = table(k).get(resource);
  if (!r) {
    throw new GuestStop('unsupported-call', `${routine}(${hex(resource)}) from ${k.symbolize(k.callerAddress())}: the ERESOURCE was never initialised with ExInitializeResourceLite (or was deleted), and kdemu cannot say what Windows would do with its contents`, {
      export: `ntoskrnl.exe!${routine}`,
    });
  }
  return r;
}

const waiting = (r: Resource, exclusive: boolean) => r.waiters.filter((w) => !w.granted && w.exclusive === exclusive).length;

/** Writes the owner state where a driver (or a debugger's !locks) would read it. */
function mirror(k: Kernel, resource: bigint, r: Resource): void {
  const o = k.L.ERESOURCE.off;
  const m = k.m;
  const entries = [...r.owners.entries()];
  const acquisitions = entries.reduce((n, [, c]) => n + c, 0);
  m.setU16(resource + BigInt(o.ActiveCount), entries.length > 0 ? 1 : 0);
  m.setU32(resource + BigInt(o.ActiveEntries), r.exclusive ? 1 : acquisitions);
  const flag = m.u16(resource + BigInt(o.Flag));
  m.setU16(resource + BigInt(o.Flag), r.exclusive ? flag | ResourceOwnedExclusive : flag & ~ResourceOwnedExclusive);
  const [thread, count] = entries[0] ?? [0n, 0];
  m.setPtr(resource + BigInt(o['OwnerEntry.OwnerThread']), thread);
  m.setU32(resource + BigInt(o['OwnerEntry.TableSize']), count << 2); // OwnerCount:30 above two flag bits
  m.setU32(resource + BigInt(o.NumberOfSharedWaiters), waiting(r, false));
  m.setU32(resource + BigInt(o.NumberOfExclusiveWaiters), waiting(r, true));
  m.setU32(resource + BigInt(o.ContentionCount), r.contention);
}

function add(r: Resource, owner: bigint): void {
  r.owners.set(owner, (r.owners.get(owner) ?? 0) + 1);
}

/** Whether `thread` may have shared access now, for each flavour of shared acquisition. */
function canShare(r: Resource, thread: bigint, kind: SharedKind): boolean {
  if (r.owners.size === 0) return true;
  const mine = r.owners.has(thread);
  if (r.exclusive) return mine;
  if (kind === 'starve') return true;
  const exclusiveWaiters = waiting(r, true) > 0;
  if (kind === 'lite') return mine || !exclusiveWaiters;
  return !exclusiveWaiters;
}

/**
 * Hands a resource that became free to its waiters, as Windows' release does: after an exclusive owner to every shared
 * waiter (if any), otherwise to the first exclusive waiter, otherwise to the shared waiters.
 */
function grant(k: Kernel, resource: bigint, r: Resource): void {
  if (r.owners.size > 0) return;
  const pending = r.waiters.filter((w) => !w.granted);
  const shared = pending.filter((w) => !w.exclusive);
  const exclusive = pending.find((w) => w.exclusive);
  if (exclusive && !(r.wasExclusive && shared.length > 0)) {
    r.exclusive = true;
    add(r, exclusive.thread);
    exclusive.granted = true;
  } else if (shared.length > 0) {
    r.exclusive = false;
    for (const w of shared) {
      add(r, w.thread);
      w.granted = true;
    }
  }
  mirror(k, resource, r);
}

function selfDeadlock(k: Kernel, resource: bigint, r: Resource, routine: string): GuestStop {
  return new GuestStop('deadlock', `${routine}(${hex(resource)}, Wait=TRUE) from ${k.symbolize(k.callerAddress())} waits for a resource the thread itself holds ${r.exclusive ? 'exclusively' : 'shared'}, which it can never release while it waits`, {});
}

/**
 * Waits until a release grants the resource to this thread; `result` is the acquiring call's return value (the
 * thread may be suspended in its call and finish it when it resumes).
 */
function waitFor<T extends number | bigint>(k: Kernel, resource: bigint, r: Resource, exclusive: boolean, routine: string, result: T): T {
  assertCanWait(k, routine);
  const me = k.ps.currentThread;
  const w: Waiter = { thread: me, exclusive, granted: false };
  r.waiters.push(w);
  r.contention++;
  mirror(k, resource, r);
  const caller = k.callerAddress();
  return k.m.actingAs(0, () =>
    k.sched.wait(
      {
        get what() {
          const holders = [...r.owners.keys()].map((t) => {
            const th = k.ps.threadAt(t);
            return th ? String(th.tid) : hex(t);
          });
          return `${routine}(${hex(resource)}, Wait=TRUE) on a resource held ${r.exclusive ? 'exclusively' : 'shared'} by thread ${holders.join(', ')}, called from ${k.symbolize(caller)}`;
        },
        ready: () => w.granted,
      },
      () => {
        r.waiters.splice(r.waiters.indexOf(w), 1);
        k.m.actingAs(0, () => mirror(k, resource, r));
        return result;
      },
    ),
  );
}

function acquireExclusive<T extends number | bigint>(k: Kernel, resource: bigint, wait: number, routine: string, result: T): T | 0 {
  const r = get(k, resource, routine);
  const me = k.ps.currentThread;
  if (r.owners.size === 0 || (r.exclusive && r.owners.has(me))) {
    r.exclusive = true;
    add(r, me);
    mirror(k, resource, r);
    return result;
  }
  if (!wait) return 0;
  // A shared owner asking for exclusive access waits for itself.
  if (r.owners.has(me)) throw selfDeadlock(k, resource, r, routine);
  return waitFor(k, resource, r, true, routine, result);
}

function acquireShared<T extends number | bigint>(k: Kernel, resource: bigint, wait: number, kind: SharedKind, routine: string, result: T): T | 0 {
  const r = get(k, resource, routine);
  const me = k.ps.currentThread;
  if (canShare(r, me, kind)) {
    if (r.owners.size === 0) r.exclusive = false;
    add(r, me); // the exclusive owner gets it recursively, as exclusive access
    mirror(k, resource, r);
    return result;
  }
  if (!wait) return 0;
  if (r.exclusive && r.owners.has(me)) throw selfDeadlock(k, resource, r, routine);
  return waitFor(k, resource, r, false, routine, result);
}

function release(k: Kernel, resource: bigint, owner: bigint, routine: string): void {
  const r = get(k, resource, routine);
  const mine = r.owners.get(owner);
  if (mine === undefined) {
    throw new GuestStop('bugcheck', `${routine}(${hex(resource)}) from ${k.symbolize(k.callerAddress())}: ${hex(owner)} does not own the resource`, {
      bugcheck: { code: RESOURCE_NOT_OWNED, params: [resource, owner, k.m.ptr(resource + BigInt(k.L.ERESOURCE.off.OwnerTable)), 0n] },
    });
  }
  if (mine > 1) r.owners.set(owner, mine - 1);
  else r.owners.delete(owner);
  if (r.owners.size === 0) {
    r.wasExclusive = r.exclusive;
    r.exclusive = false;
    grant(k, resource, r);
  }
  mirror(k, resource, r);
}

/**
 * Moves the current thread's acquisitions to another owner (an owner pointer has its low two bits set: it cannot be a
 * thread), which ExReleaseResourceForThreadLite later releases.
 */
function setOwnerPointer(k: Kernel, resource: bigint, owner: bigint, routine: string): void {
  const r = get(k, resource, routine);
  const me = k.ps.currentThread;
  const mine = r.owners.get(me);
  if (mine === undefined) {
    throw new GuestStop('bugcheck', `${routine}(${hex(resource)}) from ${k.symbolize(k.callerAddress())}: thread ${hex(me)} does not own the resource`, {
      bugcheck: { code: RESOURCE_NOT_OWNED, params: [resource, me, k.m.ptr(resource + BigInt(k.L.ERESOURCE.off.OwnerTable)), 3n] },
    });
  }
  r.owners.delete(me);
  r.owners.set(owner, (r.owners.get(owner) ?? 0) + mine);
  mirror(k, resource, r);
}

const ex = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;
const res = { Resource: 'ptr' } as const;
const resWait = { Resource: 'ptr', Wait: 'bool' } as const;

export const exports = [
  defineExport({
    ...ex, name: 'ExInitializeResourceLite', proto: 'NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)',
    params: res, ret: 'status',
    impl: (k, a) => {
      k.m.fill(a.Resource, k.L.ERESOURCE.size);
      // Windows links it into the system's resource list; kdemu keeps that list on the host side.
      initializeListHead(k, a.Resource + BigInt(k.L.ERESOURCE.off.SystemResourcesList));
      table(k).set(a.Resource, fresh());
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex, name: 'ExReinitializeResourceLite', proto: 'NTSTATUS ExReinitializeResourceLite(PERESOURCE Resource)',
    params: res, ret: 'status',
    // Back to the state of a new resource: no owners, no waiters, counts zero (Windows keeps it in the system list).
    impl: (k, a) => {
      const r = get(k, a.Resource, 'ExReinitializeResourceLite');
      Object.assign(r, fresh());
      k.m.setU16(a.Resource + BigInt(k.L.ERESOURCE.off.Flag), 0);
      mirror(k, a.Resource, r);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex, name: 'ExDeleteResourceLite', proto: 'NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)',
    params: res, ret: 'status',
    impl: (k, a) => {
      get(k, a.Resource, 'ExDeleteResourceLite');
      table(k).delete(a.Resource);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex, name: 'ExAcquireResourceExclusiveLite', proto: 'BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)',
    params: resWait, ret: 'bool',
    impl: (k, a) => acquireExclusive(k, a.Resource, a.Wait, 'ExAcquireResourceExclusiveLite', 1),
  }),
  defineExport({
    ...ex, name: 'ExAcquireResourceSharedLite', proto: 'BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)',
    params: resWait, ret: 'bool',
    impl: (k, a) => acquireShared(k, a.Resource, a.Wait, 'lite', 'ExAcquireResourceSharedLite', 1),
  }),
  defineExport({
    ...ex, name: 'ExAcquireSharedStarveExclusive', proto: 'BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)',
    params: resWait, ret: 'bool',
    impl: (k, a) => acquireShared(k, a.Resource, a.Wait, 'starve', 'ExAcquireSharedStarveExclusive', 1),
  }),
  defineExport({
    ...ex, name: 'ExAcquireSharedWaitForExclusive', proto: 'BOOLEAN ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)',
    params: resWait, ret: 'bool',
    impl: (k, a) => acquireShared(k, a.Resource, a.Wait, 'waitForExclusive', 'ExAcquireSharedWaitForExclusive', 1),
  }),
  defineExport({
    ...ex, cc: 'fastcall', name: 'ExReleaseResourceLite', proto: 'VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource)',
    params: res, ret: 'void',
    impl: (k, a) => release(k, a.Resource, k.ps.currentThread, 'ExReleaseResourceLite'),
  }),
  defineExport({
    ...ex, name: 'ExReleaseResourceForThreadLite', proto: 'VOID ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)',
    params: { Resource: 'ptr', ResourceThreadId: 'usize' }, ret: 'void',
    impl: (k, a) => release(k, a.Resource, a.ResourceThreadId, 'ExReleaseResourceForThreadLite'),
  }),
  defineExport({
    ...ex, name: 'ExConvertExclusiveToSharedLite', proto: 'VOID ExConvertExclusiveToSharedLite(PERESOURCE Resource)',
    params: res, ret: 'void',
    impl: (k, a) => {
      const r = get(k, a.Resource, 'ExConvertExclusiveToSharedLite');
      if (!r.exclusive || !r.owners.has(k.ps.currentThread)) {
        throw new GuestStop('unsupported-call', `ExConvertExclusiveToSharedLite(${hex(a.Resource)}) from ${k.symbolize(k.callerAddress())}: the thread does not own the resource exclusively, and Windows' result is then undefined`, { export: 'ntoskrnl.exe!ExConvertExclusiveToSharedLite' });
      }
      // The owner keeps its acquisitions, now shared; the shared waiters get the resource with it.
      r.exclusive = false;
      const shared = r.waiters.filter((w) => !w.granted && !w.exclusive);
      for (const w of shared) {
        add(r, w.thread);
        w.granted = true;
      }
      mirror(k, a.Resource, r);
    },
  }),
  defineExport({
    ...ex, name: 'ExIsResourceAcquiredExclusiveLite', proto: 'BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)',
    params: res, ret: 'bool',
    impl: (k, a) => {
      const r = get(k, a.Resource, 'ExIsResourceAcquiredExclusiveLite');
      return r.exclusive && r.owners.has(k.ps.currentThread) ? 1 : 0;
    },
  }),
  defineExport({
    ...ex, name: 'ExIsResourceAcquiredSharedLite', proto: 'ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource)',
    params: res, ret: 'u32',
    // The caller's acquisitions, shared or exclusive (exclusive access includes shared access).
    impl: (k, a) => get(k, a.Resource, 'ExIsResourceAcquiredSharedLite').owners.get(k.ps.currentThread) ?? 0,
  }),
  defineExport({
    ...ex, name: 'ExDisableResourceBoostLite', proto: 'VOID ExDisableResourceBoostLite(PERESOURCE Resource)',
    params: res, ret: 'void',
    // kdemu's scheduler boosts no owner anyway; the flag is what Windows records.
    impl: (k, a) => {
      get(k, a.Resource, 'ExDisableResourceBoostLite');
      const flag = a.Resource + BigInt(k.L.ERESOURCE.off.Flag);
      k.m.setU16(flag, k.m.u16(flag) | ResourceDisableBoost);
    },
  }),
  defineExport({
    ...ex, name: 'ExGetExclusiveWaiterCount', proto: 'ULONG ExGetExclusiveWaiterCount(PERESOURCE Resource)',
    params: res, ret: 'u32',
    impl: (k, a) => waiting(get(k, a.Resource, 'ExGetExclusiveWaiterCount'), true),
  }),
  defineExport({
    ...ex, name: 'ExGetSharedWaiterCount', proto: 'ULONG ExGetSharedWaiterCount(PERESOURCE Resource)',
    params: res, ret: 'u32',
    impl: (k, a) => waiting(get(k, a.Resource, 'ExGetSharedWaiterCount'), false),
  }),
  defineExport({
    ...ex, name: 'ExSetResourceOwnerPointer', proto: 'VOID ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer)',
    params: { Resource: 'ptr', OwnerPointer: 'ptr' }, ret: 'void',
    impl: (k, a) => setOwnerPointer(k, a.Resource, a.OwnerPointer, 'ExSetResourceOwnerPointer'),
  }),
  defineExport({
    ...ex, name: 'ExSetResourceOwnerPointerEx', proto: 'VOID ExSetResourceOwnerPointerEx(PERESOURCE Resource, PVOID OwnerPointer, ULONG Flags)',
    params: { Resource: 'ptr', OwnerPointer: 'ptr', Flags: 'u32' }, ret: 'void',
    // FLAG_OWNER_POINTER_IS_THREAD says the pointer is a thread rather than a tagged owner pointer: either way it owns.
    impl: (k, a) => setOwnerPointer(k, a.Resource, a.OwnerPointer, 'ExSetResourceOwnerPointerEx'),
  }),
  // The critical-region forms return the current thread's Win32Thread: NULL, as kernel threads have none.
  defineExport({
    ...ex, name: 'ExEnterCriticalRegionAndAcquireResourceExclusive', proto: 'PVOID ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource)',
    params: res, ret: 'ptr',
    impl: (k, a) => {
      adjustKernelApcDisable(k, -1);
      return BigInt(acquireExclusive(k, a.Resource, 1, 'ExEnterCriticalRegionAndAcquireResourceExclusive', 0n));
    },
  }),
  defineExport({
    ...ex, name: 'ExEnterCriticalRegionAndAcquireResourceShared', proto: 'PVOID ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource)',
    params: res, ret: 'ptr',
    impl: (k, a) => {
      adjustKernelApcDisable(k, -1);
      return BigInt(acquireShared(k, a.Resource, 1, 'lite', 'ExEnterCriticalRegionAndAcquireResourceShared', 0n));
    },
  }),
  defineExport({
    ...ex, name: 'ExEnterCriticalRegionAndAcquireSharedWaitForExclusive', proto: 'PVOID ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(PERESOURCE Resource)',
    params: res, ret: 'ptr',
    impl: (k, a) => {
      adjustKernelApcDisable(k, -1);
      return BigInt(acquireShared(k, a.Resource, 1, 'waitForExclusive', 'ExEnterCriticalRegionAndAcquireSharedWaitForExclusive', 0n));
    },
  }),
  defineExport({
    ...ex, cc: 'fastcall', name: 'ExReleaseResourceAndLeaveCriticalRegion', proto: 'VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource)',
    params: res, ret: 'void',
    impl: (k, a) => {
      release(k, a.Resource, k.ps.currentThread, 'ExReleaseResourceAndLeaveCriticalRegion');
      adjustKernelApcDisable(k, 1);
    },
  }),
];
