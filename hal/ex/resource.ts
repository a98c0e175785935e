// Executive resources (ERESOURCE): the reader/writer lock of ExInitializeResourceLite and ExAcquireResource*Lite.
//
// The owners are kept here, per resource address; the ERESOURCE in guest memory mirrors them (ActiveCount,
// ActiveEntries, Flag's ResourceOwnedExclusive, OwnerEntry) for a driver or debugger that looks. Semantics as
// documented: exclusive access is recursive for its owner, shared access is granted while no other thread holds
// the resource exclusively (and recursively to the exclusive owner). kdemu runs one thread at a time, so a
// resource another thread holds is never released while the caller waits: Wait=FALSE returns FALSE, Wait=TRUE
// is a deadlock. Releasing a resource the thread does not own bugchecks RESOURCE_NOT_OWNED, as on Windows.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { initializeListHead } from '../ke/dispatcher.js';

export const RESOURCE_NOT_OWNED = 0xe3;
const ResourceOwnedExclusive = 0x80;

interface Resource {
  exclusive: boolean;
  /** ERESOURCE_THREAD (the owning thread) → acquisitions it holds. */
  owners: Map<bigint, number>;
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

function get(k: Kernel, resource: bigint, routine: string): Resource {
  const r = table(k).get(resource);
  if (!r) {
    throw new GuestStop('unsupported-call', `${routine}(${hex(resource)}) from ${k.symbolize(k.callerAddress())}: the ERESOURCE was never initialised with ExInitializeResourceLite (or was deleted), and kdemu cannot say what Windows would do with its contents`, {
      export: `ntoskrnl.exe!${routine}`,
    });
  }
  return r;
}

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
}

function wouldWait(k: Kernel, resource: bigint, r: Resource, routine: string, wait: number): number {
  if (!wait) return 0;
  const holder = [...r.owners.keys()].map(hex).join(', ');
  throw new GuestStop('deadlock', `${routine}(${hex(resource)}, Wait=TRUE) from ${k.symbolize(k.callerAddress())} waits for a resource held ${r.exclusive ? 'exclusively' : 'shared'} by thread ${holder}, which cannot run to release it (kdemu runs one thread at a time)`, {});
}

function acquireExclusive(k: Kernel, resource: bigint, wait: number): number {
  const r = get(k, resource, 'ExAcquireResourceExclusiveLite');
  const thread = k.ps.currentThread;
  const mine = r.owners.get(thread);
  if (r.owners.size === 0) {
    r.exclusive = true;
    r.owners.set(thread, 1);
  } else if (r.exclusive && mine !== undefined) {
    r.owners.set(thread, mine + 1);
  } else {
    // Held shared (even by the caller: a shared owner asking for exclusive access waits for itself) or by another thread.
    return wouldWait(k, resource, r, 'ExAcquireResourceExclusiveLite', wait);
  }
  mirror(k, resource, r);
  return 1;
}

function acquireShared(k: Kernel, resource: bigint, wait: number): number {
  const r = get(k, resource, 'ExAcquireResourceSharedLite');
  const thread = k.ps.currentThread;
  const mine = r.owners.get(thread);
  if (r.owners.size === 0) {
    r.exclusive = false;
    r.owners.set(thread, 1);
  } else if (r.exclusive) {
    if (mine === undefined) return wouldWait(k, resource, r, 'ExAcquireResourceSharedLite', wait);
    r.owners.set(thread, mine + 1); // the exclusive owner gets it recursively
  } else {
    r.owners.set(thread, (mine ?? 0) + 1);
  }
  mirror(k, resource, r);
  return 1;
}

function release(k: Kernel, resource: bigint): void {
  const r = get(k, resource, 'ExReleaseResourceLite');
  const thread = k.ps.currentThread;
  const mine = r.owners.get(thread);
  if (mine === undefined) {
    throw new GuestStop('bugcheck', `ExReleaseResourceLite(${hex(resource)}) from ${k.symbolize(k.callerAddress())}: thread ${hex(thread)} does not own the resource`, {
      bugcheck: { code: RESOURCE_NOT_OWNED, params: [resource, thread, k.m.ptr(resource + BigInt(k.L.ERESOURCE.off.OwnerTable)), 0n] },
    });
  }
  if (mine > 1) r.owners.set(thread, mine - 1);
  else r.owners.delete(thread);
  if (r.owners.size === 0) r.exclusive = false;
  mirror(k, resource, r);
}

const ex = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ex,
    name: 'ExInitializeResourceLite',
    proto: 'NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)',
    params: { Resource: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      k.m.fill(a.Resource, k.L.ERESOURCE.size);
      // Windows links it into the system's resource list; kdemu keeps that list on the host side.
      initializeListHead(k, a.Resource + BigInt(k.L.ERESOURCE.off.SystemResourcesList));
      table(k).set(a.Resource, { exclusive: false, owners: new Map() });
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex,
    name: 'ExDeleteResourceLite',
    proto: 'NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)',
    params: { Resource: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      get(k, a.Resource, 'ExDeleteResourceLite');
      table(k).delete(a.Resource);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ex,
    name: 'ExAcquireResourceExclusiveLite',
    proto: 'BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)',
    params: { Resource: 'ptr', Wait: 'bool' },
    ret: 'bool',
    impl: (k, a) => acquireExclusive(k, a.Resource, a.Wait),
  }),
  defineExport({
    ...ex,
    name: 'ExAcquireResourceSharedLite',
    proto: 'BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)',
    params: { Resource: 'ptr', Wait: 'bool' },
    ret: 'bool',
    impl: (k, a) => acquireShared(k, a.Resource, a.Wait),
  }),
  defineExport({
    ...ex,
    name: 'ExReleaseResourceLite',
    cc: 'fastcall',
    proto: 'VOID FASTCALL ExReleaseResourceLite(PERESOURCE Resource)',
    params: { Resource: 'ptr' },
    ret: 'void',
    impl: (k, a) => release(k, a.Resource),
  }),
];
