// Driver object extensions: IoAllocateDriverObjectExtension, IoGetDriverObjectExtension.
//
// A driver (a class or port driver, typically) hangs per-driver-object data off another driver's object, keyed by
// an address of its own choosing (ClientIdentificationAddress). The block is zeroed non-paged pool that belongs to
// the driver object: nobody frees it but the I/O manager, when the driver object goes.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from './device.js';

/** Per driver object: its client extensions by ClientIdentificationAddress, in allocation order. */
const states = new WeakMap<Kernel, Map<bigint, Map<bigint, bigint>>>();
function extensions(k: Kernel): Map<bigint, Map<bigint, bigint>> {
  let s = states.get(k);
  if (!s) states.set(k, (s = new Map()));
  return s;
}

/** Frees the client extensions of a driver object that goes away. */
export function freeDriverExtensions(k: Kernel, driverObject: bigint): void {
  const of = extensions(k).get(driverObject);
  if (!of) return;
  for (const block of of.values()) k.pool.free_(block, 0);
  extensions(k).delete(driverObject);
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoAllocateDriverObjectExtension',
    proto: 'NTSTATUS IoAllocateDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress, ULONG DriverObjectExtensionSize, PVOID *DriverObjectExtension)',
    params: { DriverObject: 'ptr', ClientIdentificationAddress: 'ptr', DriverObjectExtensionSize: 'u32', DriverObjectExtension: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      // The output is cleared first: it is NULL on every failure.
      k.m.setPtr(a.DriverObjectExtension, 0n);
      const all = extensions(k);
      const of = all.get(a.DriverObject) ?? new Map<bigint, bigint>();
      if (of.has(a.ClientIdentificationAddress)) return STATUS.OBJECT_NAME_COLLISION;
      const block = k.pool.allocate(Math.max(a.DriverObjectExtensionSize, 1), tagOf('Driv'), 0 /* NonPagedPool */, 'system', k.symbolize(k.callerAddress()));
      if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
      k.m.fill(block, Math.max(a.DriverObjectExtensionSize, 1));
      of.set(a.ClientIdentificationAddress, block);
      all.set(a.DriverObject, of);
      k.m.setPtr(a.DriverObjectExtension, block);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...io, name: 'IoGetDriverObjectExtension',
    proto: 'PVOID IoGetDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress)',
    params: { DriverObject: 'ptr', ClientIdentificationAddress: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => extensions(k).get(a.DriverObject)?.get(a.ClientIdentificationAddress) ?? 0n,
  }),
];
