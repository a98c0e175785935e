// Device interfaces: IoRegisterDeviceInterface, IoGetDeviceInterfaces.
//
// An interface is registered for a PDO (a device the PnP manager enumerated, with a device node). Every device of
// this machine is a legacy one a driver made with IoCreateDevice: registering an interface for it is refused with
// STATUS_INVALID_DEVICE_REQUEST, so no interface of any class ever exists, and a query lists none.

import { defineExport } from '../export.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from './device.js';

const PagedPool = 1;

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoRegisterDeviceInterface', cc: 'stdcall',
    proto: 'NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject, const GUID *InterfaceClassGuid, PUNICODE_STRING ReferenceString, PUNICODE_STRING SymbolicLinkName)',
    params: { PhysicalDeviceObject: 'ptr', InterfaceClassGuid: 'ptr', ReferenceString: 'pustr', SymbolicLinkName: 'ptr' },
    ret: 'status',
    // Not a PDO (no device node): the device cannot have interfaces.
    impl: () => STATUS.INVALID_DEVICE_REQUEST,
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoGetDeviceInterfaces', cc: 'stdcall',
    proto: 'NTSTATUS IoGetDeviceInterfaces(const GUID *InterfaceClassGuid, PDEVICE_OBJECT PhysicalDeviceObject, ULONG Flags, PZZWSTR *SymbolicLinkList)',
    params: { InterfaceClassGuid: 'ptr', PhysicalDeviceObject: 'ptr', Flags: 'u32', SymbolicLinkList: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      // The empty list: just the terminating NUL, in paged pool the caller frees (ExFreePool).
      const list = k.pool.allocate(2, tagOf('PnPi'), PagedPool, 'driver', k.symbolize(k.callerAddress()));
      if (list === null) {
        k.m.setPtr(a.SymbolicLinkList, 0n);
        return STATUS.INSUFFICIENT_RESOURCES;
      }
      k.m.setU16(list, 0);
      k.m.setPtr(a.SymbolicLinkList, list);
      return STATUS.SUCCESS;
    },
  }),
];
