// The I/O manager's registry entry points for devices: IoOpenDeviceRegistryKey.
//
// Windows keeps a device's hardware and software keys for devices the PnP manager enumerated (PDOs); every device
// of this machine is a driver's own IoCreateDevice device with no device node, for which Windows answers
// STATUS_INVALID_DEVICE_REQUEST, as it does here.

import { defineExport } from '../export.js';
import { STATUS } from '../rtl/ntstatus.js';

const PLUGPLAY_REGKEY_DEVICE = 1;
const PLUGPLAY_REGKEY_DRIVER = 2;
const PLUGPLAY_REGKEY_CURRENT_HWPROFILE = 4;

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoOpenDeviceRegistryKey', cc: 'stdcall',
    proto: 'NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType, ACCESS_MASK DesiredAccess, PHANDLE DeviceRegKey)',
    params: { DeviceObject: 'ptr', DevInstKeyType: 'u32', DesiredAccess: 'access', DeviceRegKey: 'ptr' }, ret: 'status',
    impl: (_k, a) => {
      const kind = a.DevInstKeyType & ~PLUGPLAY_REGKEY_CURRENT_HWPROFILE;
      if (kind !== PLUGPLAY_REGKEY_DEVICE && kind !== PLUGPLAY_REGKEY_DRIVER) return STATUS.INVALID_PARAMETER;
      // Only a PDO has a device node, and without a PnP manager no device of this machine is one.
      return STATUS.INVALID_DEVICE_REQUEST;
    },
  }),
];
