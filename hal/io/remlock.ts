// Remove locks: IoInitializeRemoveLockEx, IoAcquireRemoveLockEx, IoReleaseRemoveLockEx, IoReleaseRemoveLockAndWaitEx.
//
// The free-build lock (RemlockSize = sizeof(IO_REMOVE_LOCK_COMMON_BLOCK)) in the driver's memory: Removed, IoCount
// (1 while nobody holds it: the lock's own bias) and RemoveEvent, signaled when the count drops to zero after
// removal. Acquiring a removed lock fails with STATUS_DELETE_PENDING. IoReleaseRemoveLockAndWaitEx marks the
// lock removed, drops the caller's acquisition and the bias, and waits for the other holders; kdemu runs one
// thread at a time, so a holder left over can never release it and the wait is a deadlock.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { SynchronizationEvent, initializeEvent } from '../ke/dispatcher.js';

function fields(k: Kernel, lock: bigint) {
  const o = k.L.IO_REMOVE_LOCK_COMMON_BLOCK.off;
  return { removed: lock + BigInt(o.Removed), count: lock + BigInt(o.IoCount), event: lock + BigInt(o.RemoveEvent) };
}

/** Only the free-build lock is emulated; the checked-build size adds tracking blocks kdemu does not keep. */
function checkSize(k: Kernel, size: number, routine: string): void {
  if (size === k.L.IO_REMOVE_LOCK_COMMON_BLOCK.size) return;
  throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())} with RemlockSize ${size}: only the free-build IO_REMOVE_LOCK (${k.L.IO_REMOVE_LOCK_COMMON_BLOCK.size} bytes) is emulated, not the checked-build lock with tracking blocks`, {
    export: `ntoskrnl.exe!${routine}`,
  });
}

/** IoCount - 1; at zero the RemoveEvent is signaled (KeSetEvent on a lock nobody else can be waiting for yet). */
function decrement(k: Kernel, lock: bigint): number {
  const f = fields(k, lock);
  const n = (k.m.u32(f.count) | 0) - 1;
  k.m.setU32(f.count, n);
  if (n === 0) k.m.setU32(f.event + BigInt(k.L.KEVENT.off['Header.SignalState']), 1);
  return n;
}

const removeLockParams = { RemoveLock: 'ptr', Tag: 'ptr', RemlockSize: 'u32' } as const;

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoInitializeRemoveLockEx',
    cc: 'stdcall',
    proto: 'VOID IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes, ULONG HighWatermark, ULONG RemlockSize)',
    params: { Lock: 'ptr', AllocateTag: 'tag', MaxLockedMinutes: 'u32', HighWatermark: 'u32', RemlockSize: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      if (a.Lock === 0n) return;
      checkSize(k, a.RemlockSize, 'IoInitializeRemoveLockEx');
      const f = fields(k, a.Lock);
      k.m.setU8(f.removed, 0);
      k.m.setU32(f.count, 1);
      initializeEvent(k, f.event, SynchronizationEvent, false);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoAcquireRemoveLockEx',
    cc: 'stdcall',
    proto: 'NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line, ULONG RemlockSize)',
    params: { RemoveLock: 'ptr', Tag: 'ptr', File: 'pstr', Line: 'u32', RemlockSize: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      checkSize(k, a.RemlockSize, 'IoAcquireRemoveLockEx');
      const f = fields(k, a.RemoveLock);
      k.m.setU32(f.count, (k.m.u32(f.count) | 0) + 1);
      if (k.m.u8(f.removed) === 0) return STATUS.SUCCESS;
      decrement(k, a.RemoveLock);
      return STATUS.DELETE_PENDING;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoReleaseRemoveLockEx',
    cc: 'stdcall',
    proto: 'VOID IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)',
    params: removeLockParams,
    ret: 'void',
    impl: (k, a) => {
      checkSize(k, a.RemlockSize, 'IoReleaseRemoveLockEx');
      decrement(k, a.RemoveLock);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoReleaseRemoveLockAndWaitEx',
    cc: 'stdcall',
    proto: 'VOID IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)',
    params: removeLockParams,
    ret: 'void',
    impl: (k, a) => {
      checkSize(k, a.RemlockSize, 'IoReleaseRemoveLockAndWaitEx');
      k.m.setU8(fields(k, a.RemoveLock).removed, 1);
      decrement(k, a.RemoveLock); // the caller's own acquisition
      const others = decrement(k, a.RemoveLock); // the lock's bias
      if (others > 0) {
        throw new GuestStop('deadlock', `IoReleaseRemoveLockAndWaitEx(${hex(a.RemoveLock)}) from ${k.symbolize(k.callerAddress())} waits for ${others} other acquisition(s) of the remove lock to be released, and nothing else in the machine can run to release them`, {});
      }
    },
  }),
];
