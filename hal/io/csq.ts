// Cancel-safe IRP queues: IoCsqInitialize(Ex), IoCsqInsertIrp(Ex), IoCsqRemoveIrp, IoCsqRemoveNextIrp.
//
// The queue itself is the driver's (its six callbacks over its own list and lock); the I/O manager adds the
// cancellation protocol: an IRP in the queue carries the CSQ's cancel routine, and whoever clears that routine first
// (a remover, or IoCancelIrp) owns the IRP. The CSQ (or the caller's IO_CSQ_IRP_CONTEXT) is kept in
// Irp->Tail.Overlay.DriverContext[3], as Windows does.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { SL_PENDING_RETURNED } from './constants.js';
import { currentStackLocation } from './irp.js';
import { releaseCancelLock } from './cancel.js';

const IO_TYPE_CSQ_IRP_CONTEXT = 1;
const IO_TYPE_CSQ = 2;
const IO_TYPE_CSQ_EX = 3;

/** The IO_CSQ routines (hal/layout/io.ts), in IoCsqInitialize's parameter order. */
const ROUTINES = ['CsqInsertIrp', 'CsqRemoveIrp', 'CsqPeekNextIrp', 'CsqAcquireLock', 'CsqReleaseLock', 'CsqCompleteCanceledIrp'] as const;
const INSERT = 0;
const REMOVE = 1;
const PEEK = 2;
const ACQUIRE = 3;
const RELEASE = 4;
const COMPLETE = 5;

function routine(k: Kernel, csq: bigint, i: number): bigint {
  return k.m.ptrAt(csq, k.L.IO_CSQ.off[ROUTINES[i]]);
}

function driverContext3(k: Kernel, irp: bigint): bigint {
  return irp + BigInt(k.L.IRP.off['Tail.Overlay.DriverContext'] + 3 * k.ptrSize);
}

/** A KIRQL the driver's CsqAcquireLock stores into: guest memory, one cell per nesting depth. */
const cells = new WeakMap<Kernel, bigint[]>();
let depth = 0;
function lock(k: Kernel, csq: bigint): number {
  let list = cells.get(k);
  if (!list) cells.set(k, (list = []));
  while (list.length <= depth) list.push(k.systemAlloc(8, 8));
  const cell = list[depth++];
  try {
    k.callRoutine(routine(k, csq, ACQUIRE), [csq, cell], 'CsqAcquireLock');
  } finally {
    depth--;
  }
  return k.m.u8(cell);
}
function unlock(k: Kernel, csq: bigint, irql: number): void {
  k.callRoutine(routine(k, csq, RELEASE), [csq, BigInt(irql)], 'CsqReleaseLock');
}

/** IoSetCancelRoutine: the interlocked exchange on Irp->CancelRoutine; returns the previous routine. */
function setCancelRoutine(k: Kernel, irp: bigint, r: bigint): bigint {
  const at = irp + BigInt(k.L.IRP.off.CancelRoutine);
  const old = k.m.ptr(at);
  k.m.setPtr(at, r);
  return old;
}

/** The CSQ an IRP in a queue belongs to, and its context (if the inserter gave one). */
function owner(k: Kernel, irp: bigint): { csq: bigint; context: bigint } {
  const p = k.m.ptr(driverContext3(k, irp));
  const c = k.L.IO_CSQ_IRP_CONTEXT.off;
  if (p !== 0n && k.m.u32At(p, c.Type) === IO_TYPE_CSQ_IRP_CONTEXT) return { csq: k.m.ptrAt(p, c.Csq), context: p };
  return { csq: p, context: 0n };
}

/** The cancel routine every queued IRP carries: take it out of its queue and let the driver complete it. */
function csqCancelRoutine(k: Kernel, args: bigint[]): bigint {
  const irp = args[1];
  releaseCancelLock(k, k.m.u8At(irp, k.L.IRP.off.CancelIrql), 'IoCsq cancel routine');
  const { csq, context } = owner(k, irp);
  if (context !== 0n) k.m.setPtrAt(context, k.L.IO_CSQ_IRP_CONTEXT.off.Irp, 0n);
  const irql = lock(k, csq);
  k.callRoutine(routine(k, csq, REMOVE), [csq, irp], 'CsqRemoveIrp');
  k.m.setPtr(driverContext3(k, irp), 0n);
  unlock(k, csq, irql);
  k.callRoutine(routine(k, csq, COMPLETE), [csq, irp], 'CsqCompleteCanceledIrp');
  return 0n;
}

function insert(k: Kernel, csq: bigint, irp: bigint, context: bigint, insertContext: bigint | undefined): number {
  const m = k.m;
  const c = k.L.IO_CSQ_IRP_CONTEXT.off;
  const irql = lock(k, csq);
  if (context !== 0n) {
    m.setU32At(context, c.Type, IO_TYPE_CSQ_IRP_CONTEXT);
    m.setPtrAt(context, c.Irp, irp);
    m.setPtrAt(context, c.Csq, csq);
    m.setPtr(driverContext3(k, irp), context);
  } else {
    m.setPtr(driverContext3(k, irp), csq);
  }
  if (insertContext !== undefined && m.u32At(csq, k.L.IO_CSQ.off.Type) === IO_TYPE_CSQ_EX) {
    const s = Number(k.callRoutine(routine(k, csq, INSERT), [csq, irp, insertContext], 'CsqInsertIrpEx') & 0xffffffffn);
    if (s >>> 31) {
      unlock(k, csq, irql);
      return s;
    }
  } else {
    k.callRoutine(routine(k, csq, INSERT), [csq, irp], 'CsqInsertIrp');
  }
  // IoMarkIrpPending, then arm cancellation; an IRP cancelled before that is taken back out at once.
  const sl = currentStackLocation(k, irp);
  const so = k.L.IO_STACK_LOCATION.off;
  m.setU8At(sl, so.Control, m.u8At(sl, so.Control) | SL_PENDING_RETURNED);
  setCancelRoutine(k, irp, k.internalRoutine('IopCsqCancelRoutine', 2, csqCancelRoutine));
  if (m.u8At(irp, k.L.IRP.off.Cancel) && setCancelRoutine(k, irp, 0n) !== 0n) {
    k.callRoutine(routine(k, csq, REMOVE), [csq, irp], 'CsqRemoveIrp');
    m.setPtr(driverContext3(k, irp), 0n);
    if (context !== 0n) m.setPtrAt(context, c.Irp, 0n);
    unlock(k, csq, irql);
    k.callRoutine(routine(k, csq, COMPLETE), [csq, irp], 'CsqCompleteCanceledIrp');
    return STATUS.SUCCESS;
  }
  unlock(k, csq, irql);
  return STATUS.SUCCESS;
}

function initialize(k: Kernel, csq: bigint, type: number, r: bigint[]): number {
  const o = k.L.IO_CSQ.off;
  k.m.setU32At(csq, o.Type, type);
  r.forEach((p, i) => k.m.setPtrAt(csq, o[ROUTINES[i]], p));
  k.m.setPtrAt(csq, o.ReservePointer, 0n);
  return STATUS.SUCCESS;
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;
const initParams = { Csq: 'ptr', CsqInsertIrp: 'ptr', CsqRemoveIrp: 'ptr', CsqPeekNextIrp: 'ptr', CsqAcquireLock: 'ptr', CsqReleaseLock: 'ptr', CsqCompleteCanceledIrp: 'ptr' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoCsqInitialize',
    proto: 'NTSTATUS IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp, PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock, PIO_CSQ_RELEASE_LOCK CsqReleaseLock, PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)',
    params: initParams, ret: 'status',
    impl: (k, a) => initialize(k, a.Csq, IO_TYPE_CSQ, [a.CsqInsertIrp, a.CsqRemoveIrp, a.CsqPeekNextIrp, a.CsqAcquireLock, a.CsqReleaseLock, a.CsqCompleteCanceledIrp]),
  }),
  defineExport({
    ...io, name: 'IoCsqInitializeEx',
    proto: 'NTSTATUS IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp, PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock, PIO_CSQ_RELEASE_LOCK CsqReleaseLock, PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)',
    params: initParams, ret: 'status',
    impl: (k, a) => initialize(k, a.Csq, IO_TYPE_CSQ_EX, [a.CsqInsertIrp, a.CsqRemoveIrp, a.CsqPeekNextIrp, a.CsqAcquireLock, a.CsqReleaseLock, a.CsqCompleteCanceledIrp]),
  }),
  defineExport({
    ...io, name: 'IoCsqInsertIrp', proto: 'VOID IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context)',
    params: { Csq: 'ptr', Irp: 'ptr', Context: 'ptr' }, ret: 'void',
    impl: (k, a) => void insert(k, a.Csq, a.Irp, a.Context, undefined),
  }),
  defineExport({
    ...io, name: 'IoCsqInsertIrpEx', proto: 'NTSTATUS IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context, PVOID InsertContext)',
    params: { Csq: 'ptr', Irp: 'ptr', Context: 'ptr', InsertContext: 'ptr' }, ret: 'status',
    impl: (k, a) => insert(k, a.Csq, a.Irp, a.Context, a.InsertContext),
  }),
  defineExport({
    ...io, name: 'IoCsqRemoveIrp', proto: 'PIRP IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context)',
    params: { Csq: 'ptr', Context: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const m = k.m;
      const irql = lock(k, a.Csq);
      const irpAt = k.L.IO_CSQ_IRP_CONTEXT.off.Irp;
      let irp = m.ptrAt(a.Context, irpAt);
      // Being cancelled (its cancel routine already taken): the cancel routine removes and completes it.
      if (irp !== 0n && setCancelRoutine(k, irp, 0n) !== 0n) {
        k.callRoutine(routine(k, a.Csq, REMOVE), [a.Csq, irp], 'CsqRemoveIrp');
        m.setPtrAt(a.Context, irpAt, 0n);
        m.setPtr(driverContext3(k, irp), 0n);
      } else {
        irp = 0n;
      }
      unlock(k, a.Csq, irql);
      return irp;
    },
  }),
  defineExport({
    ...io, name: 'IoCsqRemoveNextIrp', proto: 'PIRP IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext)',
    params: { Csq: 'ptr', PeekContext: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const m = k.m;
      const irql = lock(k, a.Csq);
      let irp = 0n;
      for (;;) {
        irp = k.callRoutine(routine(k, a.Csq, PEEK), [a.Csq, irp, a.PeekContext], 'CsqPeekNextIrp') & (k.ptrSize === 8 ? ~0n : 0xffffffffn);
        if (irp === 0n) break;
        // Skip IRPs being cancelled: their cancel routine owns them.
        if (setCancelRoutine(k, irp, 0n) === 0n) continue;
        k.callRoutine(routine(k, a.Csq, REMOVE), [a.Csq, irp], 'CsqRemoveIrp');
        const { context } = owner(k, irp);
        if (context !== 0n) m.setPtrAt(context, k.L.IO_CSQ_IRP_CONTEXT.off.Irp, 0n);
        m.setPtr(driverContext3(k, irp), 0n);
        break;
      }
      unlock(k, a.Csq, irql);
      return irp;
    },
  }),
];
