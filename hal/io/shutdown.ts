// Shutdown notifications: IoRegisterShutdownNotification, IoRegisterLastChanceShutdownNotification,
// IoUnregisterShutdownNotification.
//
// A registration marks the device DO_SHUTDOWN_REGISTERED and holds a reference on it until it is undone, by
// IoUnregisterShutdownNotification or by IoDeleteDevice (which unregisters a device still registered, as Windows
// does). kdemu's run ends with the driver's unload, not with a system shutdown: no IRP_MJ_SHUTDOWN is ever sent, so a
// registration is only ever observable through the flag and the reference.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { dereferenceObject, referenceObject } from '../ob/object.js';

const DO_SHUTDOWN_REGISTERED = 0x800;

interface Registrations {
  shutdown: bigint[];
  lastChance: bigint[];
}

const lists = new WeakMap<Kernel, Registrations>();

export function shutdownRegistrations(k: Kernel): Registrations {
  let r = lists.get(k);
  if (!r) lists.set(k, (r = { shutdown: [], lastChance: [] }));
  return r;
}

export function registerShutdown(k: Kernel, device: bigint, list: 'shutdown' | 'lastChance', routine: string): number {
  if (!k.io.deviceAt(device)) {
    throw new GuestStop('fault', `${routine}(${hex(device)}) from ${k.symbolize(k.callerAddress())}: not a device object`, { export: `ntoskrnl.exe!${routine}` });
  }
  referenceObject(k, device, routine);
  shutdownRegistrations(k)[list].push(device);
  const o = k.L.DEVICE_OBJECT.off.Flags;
  k.m.setU32At(device, o, k.m.u32At(device, o) | DO_SHUTDOWN_REGISTERED);
  return STATUS.SUCCESS;
}

/** IoUnregisterShutdownNotification: every registration of the device goes, with the references they held. */
export function unregisterShutdown(k: Kernel, device: bigint): void {
  const r = shutdownRegistrations(k);
  for (const list of [r.shutdown, r.lastChance]) {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] !== device) continue;
      list.splice(i, 1);
      dereferenceObject(k, device, 'IoUnregisterShutdownNotification');
    }
  }
  const o = k.L.DEVICE_OBJECT.off.Flags;
  k.m.setU32At(device, o, k.m.u32At(device, o) & ~DO_SHUTDOWN_REGISTERED);
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoRegisterShutdownNotification', proto: 'NTSTATUS IoRegisterShutdownNotification(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'status',
    impl: (k, a) => registerShutdown(k, a.DeviceObject, 'shutdown', 'IoRegisterShutdownNotification'),
  }),
  defineExport({
    ...io, name: 'IoRegisterLastChanceShutdownNotification', proto: 'NTSTATUS IoRegisterLastChanceShutdownNotification(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'status',
    impl: (k, a) => registerShutdown(k, a.DeviceObject, 'lastChance', 'IoRegisterLastChanceShutdownNotification'),
  }),
  defineExport({
    ...io, name: 'IoUnregisterShutdownNotification', proto: 'VOID IoUnregisterShutdownNotification(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'void',
    impl: (k, a) => unregisterShutdown(k, a.DeviceObject),
  }),
];
