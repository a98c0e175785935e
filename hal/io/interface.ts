// Device interfaces: IoRegisterDeviceInterface, IoSetDeviceInterfaceState, IoGetDeviceInterfaces.
//
// An interface is registered for a PDO, a device the PnP manager enumerated (hal/io/pnpmgr.ts: the root-enumerated
// device of a PnP driver). Registering one for any other device object (a legacy device a driver made with
// IoCreateDevice) is refused with STATUS_INVALID_DEVICE_REQUEST. The symbolic link name comes back in paged pool the
// caller frees (RtlFreeUnicodeString); enabling an interface creates that link, disabling it removes it, and
// IoGetDeviceInterfaces lists the enabled ones of a class (or a PDO's, all of them with
// DEVICE_INTERFACE_INCLUDE_NONACTIVE).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { tagOf } from './device.js';
import { fillUnicodeString } from './driver.js';
import { deviceInterfaces, guidString, registerInterface, setInterfaceState } from './pnpmgr.js';

const PagedPool = 1;
const DEVICE_INTERFACE_INCLUDE_NONACTIVE = 0x1;

/** A paged-pool copy of text (NUL-terminated strings one after the other, then one more NUL for a list). */
function poolStrings(k: Kernel, texts: readonly string[], list: boolean): bigint | null {
  const chars = texts.reduce((n, t) => n + t.length + 1, 0) + (list ? 1 : 0);
  const p = k.pool.allocate(Math.max(chars * 2, 2), tagOf('PnPi'), PagedPool, 'driver', k.symbolize(k.callerAddress()));
  if (p === null) return null;
  let at = p;
  for (const t of texts) {
    k.m.writeWString(at, t);
    at += BigInt((t.length + 1) * 2);
  }
  if (list || texts.length === 0) k.m.setU16(at, 0);
  return p;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoRegisterDeviceInterface', cc: 'stdcall',
    proto: 'NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject, const GUID *InterfaceClassGuid, PUNICODE_STRING ReferenceString, PUNICODE_STRING SymbolicLinkName)',
    params: { PhysicalDeviceObject: 'ptr', InterfaceClassGuid: 'ptr', ReferenceString: 'pustr', SymbolicLinkName: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const ref = a.ReferenceString === 0n ? undefined : readUnicodeString(k, a.ReferenceString) || undefined;
      const i = registerInterface(k, a.PhysicalDeviceObject, k.m.read(a.InterfaceClassGuid, 16), ref);
      if (typeof i === 'number') return i;
      const buffer = poolStrings(k, [i.link], false);
      if (buffer === null) return STATUS.INSUFFICIENT_RESOURCES;
      fillUnicodeString(k, a.SymbolicLinkName, buffer, i.link.length * 2, i.link.length * 2 + 2);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoSetDeviceInterfaceState', cc: 'stdcall',
    proto: 'NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable)',
    params: { SymbolicLinkName: 'pustr', Enable: 'bool' },
    ret: 'status',
    impl: (k, a) => {
      const name = readUnicodeString(k, a.SymbolicLinkName).toLowerCase();
      const i = deviceInterfaces(k).find((x) => x.link.toLowerCase() === name);
      if (!i) return STATUS.OBJECT_NAME_NOT_FOUND;
      return setInterfaceState(k, i, a.Enable !== 0);
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoGetDeviceInterfaces', cc: 'stdcall',
    proto: 'NTSTATUS IoGetDeviceInterfaces(const GUID *InterfaceClassGuid, PDEVICE_OBJECT PhysicalDeviceObject, ULONG Flags, PZZWSTR *SymbolicLinkList)',
    params: { InterfaceClassGuid: 'ptr', PhysicalDeviceObject: 'ptr', Flags: 'u32', SymbolicLinkList: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const guid = guidString(k.m.read(a.InterfaceClassGuid, 16));
      const all = a.PhysicalDeviceObject !== 0n && (a.Flags & DEVICE_INTERFACE_INCLUDE_NONACTIVE) !== 0;
      const links = deviceInterfaces(k)
        .filter((i) => i.guid === guid && (a.PhysicalDeviceObject === 0n || i.pdo === a.PhysicalDeviceObject) && (i.enabled || all))
        .map((i) => i.link);
      // A list of NUL-terminated names ending with an empty one, in paged pool the caller frees (ExFreePool).
      const list = poolStrings(k, links, true);
      if (list === null) {
        k.m.setPtr(a.SymbolicLinkList, 0n);
        return STATUS.INSUFFICIENT_RESOURCES;
      }
      k.m.setPtr(a.SymbolicLinkList, list);
      return STATUS.SUCCESS;
    },
  }),
];
