// A driver's devices and a stack's base: IoEnumerateDeviceObjectList, IoGetDeviceAttachmentBaseRef.

import { defineExport } from '../export.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { referenceObject } from '../ob/object.js';

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoEnumerateDeviceObjectList',
    proto: 'NTSTATUS IoEnumerateDeviceObjectList(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT *DeviceObjectList, ULONG DeviceObjectListSize, PULONG ActualNumberDeviceObjects)',
    params: { DriverObject: 'ptr', DeviceObjectList: 'ptr', DeviceObjectListSize: 'u32', ActualNumberDeviceObjects: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      if (!k.io.driverAt(a.DriverObject)) {
        throw new GuestStop('fault', `IoEnumerateDeviceObjectList(${hex(a.DriverObject)}) from ${k.symbolize(k.callerAddress())}: not a driver object`, { export: 'ntoskrnl.exe!IoEnumerateDeviceObjectList' });
      }
      // The driver's list as DRIVER_OBJECT.DeviceObject chains it (newest first); each one listed is referenced.
      const devices: bigint[] = [];
      for (let d = k.m.ptrAt(a.DriverObject, k.L.DRIVER_OBJECT.off.DeviceObject); d !== 0n; d = k.m.ptrAt(d, k.L.DEVICE_OBJECT.off.NextDevice)) devices.push(d);
      k.m.setU32(a.ActualNumberDeviceObjects, devices.length);
      if (a.DeviceObjectListSize < devices.length * k.ptrSize) return STATUS.BUFFER_TOO_SMALL;
      devices.forEach((d, i) => {
        referenceObject(k, d, 'IoEnumerateDeviceObjectList');
        k.m.setPtr(a.DeviceObjectList + BigInt(i * k.ptrSize), d);
      });
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...io, name: 'IoGetDeviceAttachmentBaseRef', proto: 'PDEVICE_OBJECT IoGetDeviceAttachmentBaseRef(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      // Down the stack to the device everything else is attached on; referenced.
      let rec = k.io.deviceAt(a.DeviceObject);
      if (!rec) throw new GuestStop('fault', `IoGetDeviceAttachmentBaseRef(${hex(a.DeviceObject)}) from ${k.symbolize(k.callerAddress())}: not a device object`, { export: 'ntoskrnl.exe!IoGetDeviceAttachmentBaseRef' });
      for (let i = 0; rec.attachedTo !== undefined && i < 64; i++) rec = k.io.deviceAt(rec.attachedTo) ?? rec;
      referenceObject(k, rec.address, 'IoGetDeviceAttachmentBaseRef');
      return rec.address;
    },
  }),
];
