// Cancelling IRPs: the cancel spin lock, IoCancelIrp, and CancelIo's core (cancel what a file has pending).
//
// IoCancelIrp sets Irp->Cancel, takes the cancel spin lock and the IRP's cancel routine (IoSetCancelRoutine is a
// header inline: an interlocked exchange on Irp->CancelRoutine), and calls the routine with the lock held and the
// IRQL to return to in Irp->CancelIrql; the routine releases the lock and completes the IRP (STATUS_CANCELLED).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { raiseIrql, setIrql } from '../ke/irql.js';
import { currentStackLocation } from './irp.js';

export function acquireCancelLock(k: Kernel, routine: string): number {
  if (k.io.cancelLock.held) {
    throw new GuestStop('deadlock', `${routine} from ${k.symbolize(k.callerAddress())}: the cancel spin lock is already held, and on one processor nothing can release it`, {});
  }
  k.io.cancelLock.held = true;
  return raiseIrql(k, Math.max(k.irql, 2));
}

export function releaseCancelLock(k: Kernel, irql: number, routine: string): void {
  if (!k.io.cancelLock.held) {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} releases the cancel spin lock, which is not held`, {
      bugcheck: { code: 0x10 /* SPIN_LOCK_NOT_OWNED */, params: [0n, 0n, 0n, 0n] },
    });
  }
  k.io.cancelLock.held = false;
  setIrql(k, irql);
}

/** IoCancelIrp: true when the IRP had a cancel routine (which was called). */
export function cancelIrp(k: Kernel, irp: bigint): boolean {
  const o = k.L.IRP.off;
  const m = k.m;
  const irql = acquireCancelLock(k, 'IoCancelIrp');
  m.setU8At(irp, o.Cancel, 1);
  const routine = m.ptrAt(irp, o.CancelRoutine);
  m.setPtrAt(irp, o.CancelRoutine, 0n);
  if (routine === 0n) {
    releaseCancelLock(k, irql, 'IoCancelIrp');
    return false;
  }
  m.setU8At(irp, o.CancelIrql, irql);
  const device = m.ptrAt(currentStackLocation(k, irp), k.L.IO_STACK_LOCATION.off.DeviceObject);
  k.callRoutine(routine, [device, irp], `cancel routine for IRP ${hex(irp)}`);
  return true;
}

/** CancelIo / CancelIoEx: cancels the pending IRPs on a file object (all, or the one for this OVERLAPPED). */
export function cancelFileIo(k: Kernel, file: bigint, overlapped?: bigint): number {
  return k.m.actingAs(0, () => cancelPending(k, file, overlapped));
}

function cancelPending(k: Kernel, file: bigint, overlapped?: bigint): number {
  let n = 0;
  for (const [irp, p] of [...k.io.pendingIrps]) {
    if (p.file !== file || (overlapped !== undefined && p.overlapped !== overlapped)) continue;
    if (!k.io.pendingIrps.has(irp)) continue; // completed by an earlier cancellation's routine
    cancelIrp(k, irp);
    n++;
  }
  return n;
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoAcquireCancelSpinLock', proto: 'VOID IoAcquireCancelSpinLock(PKIRQL Irql)',
    params: { Irql: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU8(a.Irql, acquireCancelLock(k, 'IoAcquireCancelSpinLock')),
  }),
  defineExport({
    ...io, name: 'IoReleaseCancelSpinLock', proto: 'VOID IoReleaseCancelSpinLock(KIRQL Irql)',
    params: { Irql: 'irql' }, ret: 'void',
    impl: (k, a) => releaseCancelLock(k, a.Irql, 'IoReleaseCancelSpinLock'),
  }),
  defineExport({
    ...io, name: 'IoCancelIrp', proto: 'BOOLEAN IoCancelIrp(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'bool',
    impl: (k, a) => (cancelIrp(k, a.Irp) ? 1 : 0),
  }),
];
