// The error log: IoAllocateErrorLogEntry, IoWriteErrorLogEntry, IoFreeErrorLogEntry.
//
// An entry is an IO_ERROR_LOG_PACKET plus dump data and insertion strings, at most ERROR_LOG_MAXIMUM_SIZE bytes
// (240 on x64, 152 on x86). Written entries go to the event log: here, the trace records each one ('errorlog'),
// and the entry is the I/O manager's from then on (freed). One neither written nor freed is the driver's leak.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { formatStatus } from '../rtl/ntstatus.js';
import { tagOf } from './device.js';

/** Entries allocated and not yet written or freed. */
const live = new WeakMap<Kernel, Map<bigint, bigint>>();

function entries(k: Kernel): Map<bigint, bigint> {
  let m = live.get(k);
  if (!m) live.set(k, (m = new Map()));
  return m;
}

function maximumSize(k: Kernel): number {
  return k.ptrSize === 8 ? 240 : 152;
}

function entryArg(k: Kernel, entry: bigint, routine: string): bigint {
  const object = entries(k).get(entry);
  if (object === undefined) {
    throw new GuestStop('bugcheck', `${routine}(${hex(entry)}) from ${k.symbolize(k.callerAddress())}: not an error log entry from IoAllocateErrorLogEntry (already written or freed?)`, {
      bugcheck: { code: 0xc2 /* BAD_POOL_CALLER */, params: [7n, 0n, 0n, entry] },
    });
  }
  return object;
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoAllocateErrorLogEntry', proto: 'PVOID IoAllocateErrorLogEntry(PVOID IoObject, UCHAR EntrySize)',
    params: { IoObject: 'ptr', EntrySize: 'u8' }, ret: 'ptr',
    impl: (k, a) => {
      // A device or driver object names the source; too large an entry, or none, gets NULL.
      if (a.IoObject === 0n || a.EntrySize > maximumSize(k)) return 0n;
      if (!k.io.deviceAt(a.IoObject) && !k.io.driverAt(a.IoObject)) {
        throw new GuestStop('fault', `IoAllocateErrorLogEntry(${hex(a.IoObject)}) from ${k.symbolize(k.callerAddress())}: not a device or driver object`, { export: 'ntoskrnl.exe!IoAllocateErrorLogEntry' });
      }
      const entry = k.pool.allocate(Math.max(a.EntrySize, 1), tagOf('IoEr'), 0, 'driver', k.symbolize(k.callerAddress()));
      if (entry === null) return 0n;
      k.m.fill(entry, Math.max(a.EntrySize, 1));
      entries(k).set(entry, a.IoObject);
      return entry;
    },
  }),
  defineExport({
    ...io, name: 'IoWriteErrorLogEntry', proto: 'VOID IoWriteErrorLogEntry(PVOID ElEntry)',
    params: { ElEntry: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const object = entryArg(k, a.ElEntry, 'IoWriteErrorLogEntry');
      const P = k.L.IO_ERROR_LOG_PACKET.off;
      const m = k.m;
      const e = a.ElEntry;
      const dumpWords = Math.floor(m.u16(e + BigInt(P.DumpDataSize)) / 4);
      const dumpData: string[] = [];
      for (let i = 0; i < dumpWords; i++) dumpData.push(hex(m.u32(e + BigInt(P.DumpData + 4 * i)), 8));
      const strings: string[] = [];
      let at = e + BigInt(m.u16(e + BigInt(P.StringOffset)));
      for (let i = 0; i < m.u16(e + BigInt(P.NumberOfStrings)); i++) {
        const s = m.wstring(at, 256);
        strings.push(s);
        at += BigInt(s.length * 2 + 2);
      }
      if (k.trace.enabled) {
        k.trace.emit({
          type: 'errorlog',
          object: hex(object),
          errorCode: formatStatus(m.u32(e + BigInt(P.ErrorCode))),
          uniqueErrorValue: hex(m.u32(e + BigInt(P.UniqueErrorValue)), 8),
          finalStatus: formatStatus(m.u32(e + BigInt(P.FinalStatus))),
          majorFunction: m.u8(e + BigInt(P.MajorFunctionCode)),
          dumpData,
          strings,
        });
      }
      entries(k).delete(e);
      k.pool.free_(e, 0);
    },
  }),
  defineExport({
    ...io, name: 'IoFreeErrorLogEntry', proto: 'VOID IoFreeErrorLogEntry(PVOID ElEntry)',
    params: { ElEntry: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      entryArg(k, a.ElEntry, 'IoFreeErrorLogEntry');
      entries(k).delete(a.ElEntry);
      k.pool.free_(a.ElEntry, 0);
    },
  }),
];
