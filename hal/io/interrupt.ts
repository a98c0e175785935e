// Interrupt objects: IoConnectInterrupt, IoDisconnectInterrupt, KeSynchronizeExecution and the interrupt spin lock.
//
// The emulated machine has no device that raises interrupts: a connection succeeds when Windows' checks pass, and
// its service routine never runs. What drivers do observe is the object's synchronization: KeSynchronizeExecution
// and KeAcquireInterruptSpinLock raise to the SynchronizeIrql and take the interrupt's spin lock (the driver's
// SpinLock when it gave one, else the lock in the I/O manager's IO_INTERRUPT_STRUCTURE), as the ISR would.
//
// KINTERRUPT is opaque to drivers (wdm.h declares only PKINTERRUPT and no inline reads it). IoConnectInterrupt
// allocates the I/O manager's IO_INTERRUPT_STRUCTURE from nonpaged pool: the KINTERRUPT (Windows 10's size), the
// per-processor object array (MAXIMUM_PROCESSORS entries, the first the object itself), then the spin lock used when
// the driver passes none; it fills the KINTERRUPT as KeInitializeInterrupt and KeConnectInterrupt do.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { raiseIrql, setIrql } from '../ke/irql.js';
import { SPIN_LOCK_ALREADY_OWNED, SPIN_LOCK_NOT_OWNED } from '../ke/spinlock.js';
import type { LeakReport } from '../report.js';
import { tagOf } from './device.js';

/** KOBJECTS.InterruptObject. */
const INTERRUPT_OBJECT = 22;
/** MAXIMUM_PROCESSORS: the IO_INTERRUPT_STRUCTURE's array length. */
const MAXIMUM_PROCESSORS = { x86: 32, x64: 64 } as const;
const NONPAGED_POOL = 0;
const IRQL_NOT_GREATER_OR_EQUAL = 0x09;
/** The emulated machine's one processor (KeActiveProcessors). */
const ACTIVE_PROCESSORS = 1n;
/** KINTERRUPT_MODE. */
const LEVEL_SENSITIVE = 0;
const LATCHED = 1;

interface Interrupt {
  address: bigint;
  service: bigint;
  context: bigint;
  lock: bigint;
  vector: number;
  irql: number;
  syncIrql: number;
  mode: number;
  share: boolean;
  caller: string;
}

const tables = new WeakMap<Kernel, Map<bigint, Interrupt>>();
function connected(k: Kernel): Map<bigint, Interrupt> {
  let t = tables.get(k);
  if (!t) tables.set(k, (t = new Map()));
  return t;
}

function highLevel(k: Kernel): number {
  return k.arch === 'x64' ? 15 : 31;
}

/**
 * KeConnectInterrupt's checks: a vector of the IDT, an IRQL up to HIGH_LEVEL that the SynchronizeIrql is not below;
 * on x64 the vector's IRQL is its high nibble and the ISR cannot ask for floating-point saving. A vector already
 * connected is shared only when both connections allow it and use the same mode.
 */
function canConnect(k: Kernel, i: Omit<Interrupt, 'address' | 'caller'>, floatingSave: boolean): boolean {
  if (i.vector > 0xff || i.irql > highLevel(k) || i.syncIrql < i.irql) return false;
  if (i.mode !== LEVEL_SENSITIVE && i.mode !== LATCHED) return false;
  if (k.arch === 'x64' && (i.irql !== i.vector >> 4 || floatingSave)) return false;
  for (const other of connected(k).values()) {
    if (other.vector === i.vector && !(other.share && i.share && other.mode === i.mode)) return false;
  }
  return true;
}

function lookup(k: Kernel, address: bigint, routine: string): Interrupt {
  const i = connected(k).get(address);
  if (i) return i;
  throw new GuestStop('fault', `${routine}(${hex(address)}) from ${k.symbolize(k.callerAddress())}: not a connected interrupt object`, {
    fault: { access: 'read', address },
  });
}

/** Raises to the interrupt's SynchronizeIrql (never a lowering: IRQL_NOT_GREATER_OR_EQUAL) and takes its lock. */
function acquire(k: Kernel, i: Interrupt, routine: string): number {
  if (k.irql > i.syncIrql) {
    throw new GuestStop('bugcheck', `${routine}(${hex(i.address)}) from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: it raises to the SynchronizeIrql ${i.syncIrql}, which is lower`, {
      bugcheck: { code: IRQL_NOT_GREATER_OR_EQUAL, params: [BigInt(k.irql), BigInt(i.syncIrql), 0n, k.callerAddress()] },
    });
  }
  const v = k.m.ptr(i.lock);
  if (v & 1n) {
    throw new GuestStop('bugcheck', `${routine}(${hex(i.address)}) from ${k.symbolize(k.callerAddress())}: its spin lock ${hex(i.lock)} is already held, and on one processor its holder can never release it`, {
      bugcheck: { code: SPIN_LOCK_ALREADY_OWNED, params: [i.lock, 0n, 0n, 0n] },
    });
  }
  const old = raiseIrql(k, i.syncIrql);
  k.m.setPtr(i.lock, v | 1n);
  return old;
}

function release(k: Kernel, i: Interrupt, oldIrql: number, routine: string): void {
  const v = k.m.ptr(i.lock);
  if (!(v & 1n)) {
    throw new GuestStop('bugcheck', `${routine}(${hex(i.address)}) from ${k.symbolize(k.callerAddress())}: its spin lock ${hex(i.lock)} is not held`, {
      bugcheck: { code: SPIN_LOCK_NOT_OWNED, params: [i.lock, 0n, 0n, 0n] },
    });
  }
  k.m.setPtr(i.lock, v & ~1n);
  setIrql(k, oldIrql);
}

function connectInterrupt(k: Kernel, a: {
  InterruptObject: bigint; ServiceRoutine: bigint; ServiceContext: bigint; SpinLock: bigint; Vector: number; Irql: number;
  SynchronizeIrql: number; InterruptMode: number; ShareVector: number; ProcessorEnableMask: bigint; FloatingSave: number;
}): number {
  k.m.setPtr(a.InterruptObject, 0n);
  if ((a.ProcessorEnableMask & ACTIVE_PROCESSORS) === 0n || a.SynchronizeIrql < a.Irql) return STATUS.INVALID_PARAMETER;
  const fields = {
    service: a.ServiceRoutine, context: a.ServiceContext, vector: a.Vector >>> 0, irql: a.Irql, syncIrql: a.SynchronizeIrql,
    mode: a.InterruptMode, share: a.ShareVector !== 0, lock: 0n,
  };
  if (!canConnect(k, fields, a.FloatingSave !== 0)) return STATUS.INVALID_PARAMETER;
  const L = k.L.KINTERRUPT;
  const o = L.off;
  const arrayAt = L.size;
  const lockAt = arrayAt + MAXIMUM_PROCESSORS[k.arch] * k.ptrSize;
  const size = lockAt + k.ptrSize;
  const caller = k.symbolize(k.callerAddress());
  const address = k.pool.allocate(size, tagOf('Ioin'), NONPAGED_POOL, 'system', 'IoConnectInterrupt');
  if (address === null) return STATUS.INSUFFICIENT_RESOURCES;
  const m = k.m;
  m.write(address, new Uint8Array(size));
  m.setPtr(address + BigInt(arrayAt), address);
  const ownLock = address + BigInt(lockAt);
  const lock = a.SpinLock !== 0n ? a.SpinLock : ownLock;
  m.setU16At(address, o.Type, INTERRUPT_OBJECT);
  m.setU16At(address, o.Size, L.size);
  // Connected: linked into the vector's (here empty) chain of shared objects.
  const list = address + BigInt(o.InterruptListEntry);
  m.setPtr(list, list);
  m.setPtr(list + BigInt(k.ptrSize), list);
  m.setPtrAt(address, o.ServiceRoutine, a.ServiceRoutine);
  m.setPtrAt(address, o.ServiceContext, a.ServiceContext);
  m.setPtrAt(address, o.ActualLock, lock);
  m.setU32At(address, o.Vector, fields.vector);
  m.setU8At(address, o.Irql, a.Irql);
  m.setU8At(address, o.SynchronizeIrql, a.SynchronizeIrql);
  m.setU8At(address, o.FloatingSave, a.FloatingSave !== 0 ? 1 : 0);
  m.setU8At(address, o.Connected, 1);
  m.setU8At(address, o.ShareVector, fields.share ? 1 : 0);
  m.setU32At(address, o.Mode, a.InterruptMode);
  connected(k).set(address, { ...fields, lock, address, caller });
  k.m.setPtr(a.InterruptObject, address);
  return STATUS.SUCCESS;
}

function disconnectInterrupt(k: Kernel, address: bigint, routine = 'IoDisconnectInterrupt'): void {
  lookup(k, address, routine);
  connected(k).delete(address);
  k.pool.free_(address, 0);
}

/** IoConnectInterruptEx's Version values (wdm.h; CONNECT_MESSAGE_BASED_PASSIVE since Windows 8). */
const CONNECT_FULLY_SPECIFIED = 1;
const CONNECT_LINE_BASED = 2;
const CONNECT_MESSAGE_BASED = 3;
const CONNECT_FULLY_SPECIFIED_GROUP = 4;
const CONNECT_MESSAGE_BASED_PASSIVE = 5;

/**
 * IoConnectInterruptEx. The fully specified forms connect as IoConnectInterrupt does (a PDO is required, an empty
 * processor mask is STATUS_INVALID_PARAMETER_10; the group form knows only group 0). The line- and message-based
 * forms take the interrupts the PnP manager assigned to the PDO: no device here has interrupt resources, so once
 * the parameters are valid they find none (STATUS_NOT_FOUND, also after a message-based request falls back to lines).
 */
function connectInterruptEx(k: Kernel, params: bigint): number {
  const L = k.L.IO_CONNECT_INTERRUPT_PARAMETERS;
  const o = L.off;
  const m = k.m;
  const version = m.u32At(params, o.Version);
  switch (version) {
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP: {
      const f = (name: string) => o[`FullySpecified.${name}` as keyof typeof o];
      if (m.ptrAt(params, f('PhysicalDeviceObject')) === 0n) return STATUS.INVALID_PARAMETER;
      const mask = m.ptrAt(params, f('ProcessorEnableMask'));
      if (version === CONNECT_FULLY_SPECIFIED_GROUP && m.u16At(params, f('Group')) !== 0) return STATUS.INVALID_PARAMETER;
      if ((mask & ACTIVE_PROCESSORS) === 0n) return STATUS.INVALID_PARAMETER_10;
      return connectInterrupt(k, {
        InterruptObject: m.ptrAt(params, f('InterruptObject')),
        ServiceRoutine: m.ptrAt(params, f('ServiceRoutine')),
        ServiceContext: m.ptrAt(params, f('ServiceContext')),
        SpinLock: m.ptrAt(params, f('SpinLock')),
        Vector: m.u32At(params, f('Vector')),
        Irql: m.u8At(params, f('Irql')),
        SynchronizeIrql: m.u8At(params, f('SynchronizeIrql')),
        InterruptMode: m.u32At(params, f('InterruptMode')),
        ShareVector: m.u8At(params, f('ShareVector')),
        ProcessorEnableMask: mask,
        FloatingSave: m.u8At(params, f('FloatingSave')),
      });
    }
    case CONNECT_LINE_BASED:
      return m.ptrAt(params, o['LineBased.PhysicalDeviceObject']) === 0n ? STATUS.INVALID_PARAMETER : STATUS.NOT_FOUND;
    case CONNECT_MESSAGE_BASED:
    case CONNECT_MESSAGE_BASED_PASSIVE:
      return m.ptrAt(params, o['MessageBased.PhysicalDeviceObject']) === 0n ? STATUS.INVALID_PARAMETER : STATUS.NOT_FOUND;
    default:
      return STATUS.INVALID_PARAMETER_1;
  }
}

/** Interrupts still connected: their ISR would run in an unloaded driver at the device's next interrupt. */
export function interruptLeaks(k: Kernel): LeakReport[] {
  return [...connected(k).values()].map((i) => ({
    kind: 'interrupt' as const,
    detail: `interrupt ${hex(i.address)} (vector ${hex(i.vector)}, IRQL ${i.irql}, ISR ${k.symbolize(i.service)}) still connected`,
    caller: i.caller,
  }));
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoConnectInterrupt',
    cc: 'stdcall',
    proto: 'NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine, PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector, KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode, BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask, BOOLEAN FloatingSave)',
    params: {
      InterruptObject: 'ptr', ServiceRoutine: 'ptr', ServiceContext: 'ptr', SpinLock: 'ptr', Vector: 'u32', Irql: 'irql', SynchronizeIrql: 'irql',
      InterruptMode: 'u32', ShareVector: 'bool', ProcessorEnableMask: 'usize', FloatingSave: 'bool',
    },
    ret: 'status',
    impl: (k, a) => connectInterrupt(k, a),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoDisconnectInterrupt',
    cc: 'stdcall',
    proto: 'VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject)',
    params: { InterruptObject: 'ptr' },
    ret: 'void',
    impl: (k, a) => disconnectInterrupt(k, a.InterruptObject),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoConnectInterruptEx',
    cc: 'stdcall',
    proto: 'NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)',
    params: { Parameters: 'ptr' },
    ret: 'status',
    impl: (k, a) => connectInterruptEx(k, a.Parameters),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoDisconnectInterruptEx',
    cc: 'stdcall',
    proto: 'VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters)',
    params: { Parameters: 'ptr' },
    ret: 'void',
    // Only the fully specified and line-based forms can have connected here: the context is the interrupt object.
    impl: (k, a) => disconnectInterrupt(k, k.m.ptrAt(a.Parameters, k.L.IO_DISCONNECT_INTERRUPT_PARAMETERS.off.ConnectionContext), 'IoDisconnectInterruptEx'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeSynchronizeExecution',
    cc: 'stdcall',
    proto: 'BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine, PVOID SynchronizeContext)',
    params: { Interrupt: 'ptr', SynchronizeRoutine: 'ptr', SynchronizeContext: 'ptr' },
    ret: 'bool',
    impl: (k, a) => {
      const i = lookup(k, a.Interrupt, 'KeSynchronizeExecution');
      const old = acquire(k, i, 'KeSynchronizeExecution');
      const r = k.callRoutine(a.SynchronizeRoutine, [a.SynchronizeContext], 'SynchronizeRoutine');
      release(k, i, old, 'KeSynchronizeExecution');
      return Number(r & 0xffn);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeAcquireInterruptSpinLock',
    cc: 'stdcall',
    proto: 'KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt)',
    params: { Interrupt: 'ptr' },
    ret: 'irql',
    impl: (k, a) => acquire(k, lookup(k, a.Interrupt, 'KeAcquireInterruptSpinLock'), 'KeAcquireInterruptSpinLock'),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeReleaseInterruptSpinLock',
    cc: 'stdcall',
    proto: 'VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql)',
    params: { Interrupt: 'ptr', OldIrql: 'irql' },
    ret: 'void',
    impl: (k, a) => release(k, lookup(k, a.Interrupt, 'KeReleaseInterruptSpinLock'), a.OldIrql, 'KeReleaseInterruptSpinLock'),
  }),
];
