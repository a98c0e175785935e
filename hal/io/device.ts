// Device objects: IoCreateDevice, IoDeleteDevice, and the DEVICE_OBJECT layout they fill.

import { initializeDeviceQueue } from './devqueue.js';
import { unregisterShutdown } from './shutdown.js';
import { deleteDeviceTimer } from './iotimer.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { DO_DEVICE_HAS_NAME, DO_DEVICE_INITIALIZING, DO_EXCLUSIVE, IO_TYPE_DEVICE, IO_TYPE_DEVICE_OBJECT_EXTENSION } from './constants.js';
import { initializeEvent, initializeListHead, SynchronizationEvent } from '../ke/dispatcher.js';
import { readUnicodeString } from '../rtl/unicode.js';
import type { DeviceRecord } from './state.js';
import { REFERENCE_BY_POINTER, objectTypeObject, objectTypeOf, referencesTaken } from '../ob/object.js';
import { GuestStop, hex } from '../machine.js';

/** Device types whose DEVICE_OBJECT.SectorSize Windows sets (disk-like devices: 512 bytes). */
const SECTOR_DEVICE_TYPES = new Set([0x2, 0x3, 0x7, 0x8, 0x9, 0x14, 0x24]);

export function createDevice(
  k: Kernel,
  driverObject: bigint,
  extensionSize: number,
  name: string | undefined,
  deviceType: number,
  characteristics: number,
  exclusive: boolean,
): { status: number; device?: bigint } {
  const driver = k.io.driverAt(driverObject);
  if (!driver) return { status: STATUS.OBJECT_TYPE_MISMATCH };
  const L = k.L;
  const m = k.m;
  const devSize = L.DEVICE_OBJECT.size;
  const extOffset = alignUp(devSize, 16);
  const extSize = alignUp(extensionSize, 8);
  const doeOffset = extOffset + extSize;
  const total = doeOffset + devobjExtensionSize(k);
  const addr = k.pool.allocate(total, tagOf('Devi'), 0, 'system', 'IoCreateDevice');
  if (addr === null) return { status: STATUS.INSUFFICIENT_RESOURCES };
  if (name !== undefined) {
    const status = k.ns.insert(name, { type: 'device', address: addr });
    if (status !== STATUS.SUCCESS) {
      k.pool.free_(addr, 0);
      return { status };
    }
  }
  m.fill(addr, total);
  const o = L.DEVICE_OBJECT.off;
  m.setU16At(addr, o.Type, IO_TYPE_DEVICE);
  m.setU16At(addr, o.Size, devSize + extensionSize);
  m.setU32At(addr, o.ReferenceCount, 0);
  m.setPtrAt(addr, o.DriverObject, driverObject);
  // New devices go to the head of the driver's list, as IoCreateDevice does.
  const head = driverObject + BigInt(L.DRIVER_OBJECT.off.DeviceObject);
  m.setPtrAt(addr, o.NextDevice, m.ptr(head));
  m.setPtr(head, addr);
  let flags = DO_DEVICE_INITIALIZING;
  if (exclusive) flags |= DO_EXCLUSIVE;
  if (name !== undefined) flags |= DO_DEVICE_HAS_NAME;
  m.setU32At(addr, o.Flags, flags);
  m.setU32At(addr, o.Characteristics, characteristics);
  m.setPtrAt(addr, o.DeviceExtension, extensionSize > 0 ? addr + BigInt(extOffset) : 0n);
  m.setU32At(addr, o.DeviceType, deviceType);
  m.setU8At(addr, o.StackSize, 1);
  m.setU32At(addr, o.AlignmentRequirement, 0);
  if (SECTOR_DEVICE_TYPES.has(deviceType)) m.setU16At(addr, o.SectorSize, 512);
  initializeListHead(k, addr + BigInt(o['Queue.ListEntry']));
  initializeEvent(k, addr + BigInt(o.DeviceLock), SynchronizationEvent, true);
  initializeDeviceQueue(k, addr + BigInt(o.DeviceQueue));
  // DEVOBJ_EXTENSION: Type, Size, DeviceObject (the only fields drivers may look at).
  const doe = addr + BigInt(doeOffset);
  m.setU16(doe, IO_TYPE_DEVICE_OBJECT_EXTENSION);
  m.setU16(doe + 2n, devobjExtensionSize(k));
  m.setPtrAt(doe, k.ptrSize, addr);
  m.setPtrAt(addr, o.DeviceObjectExtension, doe);
  const record: DeviceRecord = { address: addr, name, driver, deleted: false, openCount: 0 };
  k.io.devices.push(record);
  return { status: STATUS.SUCCESS, device: addr };
}

export function deleteDevice(k: Kernel, device: bigint): void {
  const rec = k.io.deviceAt(device);
  if (!rec) return;
  // A device still registered for shutdown notification is unregistered first.
  unregisterShutdown(k, device);
  // Its IoTimer goes with it.
  deleteDeviceTimer(k, device);
  const m = k.m;
  const L = k.L;
  // Unlink from the driver's device list.
  let link = rec.driver.object + BigInt(L.DRIVER_OBJECT.off.DeviceObject);
  for (let cur = m.ptr(link); cur !== 0n; cur = m.ptr(link)) {
    if (cur === device) {
      m.setPtr(link, m.ptrAt(cur, L.DEVICE_OBJECT.off.NextDevice));
      break;
    }
    link = cur + BigInt(L.DEVICE_OBJECT.off.NextDevice);
  }
  if (rec.name !== undefined) k.ns.remove(rec.name);
  rec.deleted = true;
  // The object lives on while files are open on it or drivers hold references (ObfDereferenceObject frees it).
  if (rec.openCount === 0 && referencesTaken(k, device) === 0) k.pool.free_(device, 0);
}

/** BAD_OBJECT_HEADER: (object header, the OBJECT_TYPE its type index gives, 0: the type index is wrong, 0). */
export const BAD_OBJECT_HEADER = 0x189;

/**
 * IoDeleteDevice of something that is not a live device object. Windows checks nothing before using it as one: it
 * reads DeviceObject->Flags (a bad pointer faults there, the page-fault bugcheck), and its ObDereferenceObject of the
 * device at the end is where the object manager catches the rest. A device already deleted has lost the reference
 * IoDeleteDevice drops: REFERENCE_BY_POINTER, as kdemu raises for any reference dropped twice. Anything else has no
 * device object's header in front of it: BAD_OBJECT_HEADER (kdemu's objects have no header in guest memory, so it
 * names where one would be).
 */
function notADevice(k: Kernel, address: bigint): never {
  const from = k.symbolize(k.callerAddress());
  if (k.io.devices.some((d) => d.address === address && d.deleted)) {
    throw new GuestStop('bugcheck', `IoDeleteDevice(${hex(address)}) from ${from}: the device object was deleted already; dropping its reference again leaves its count wrong for the object's state`, {
      bugcheck: { code: REFERENCE_BY_POINTER, params: [objectTypeObject(k, 'Device'), address, 0n, 0n] },
    });
  }
  k.m.u32(address + BigInt(k.L.DEVICE_OBJECT.off.Flags)); // the first access, as IoDeleteDevice makes it (faults on a bad pointer)
  const type = objectTypeOf(k, address);
  const header = address - BigInt(k.ptrSize === 8 ? 0x30 : 0x18); // OBJECT_HEADER.Body
  throw new GuestStop('bugcheck', `IoDeleteDevice(${hex(address)}) from ${from}: ${type ? `a ${type.toLowerCase()} object` : 'not an object'}, not a device object IoCreateDevice made: the object manager finds no device object's header at ${hex(header)}`, {
    bugcheck: { code: BAD_OBJECT_HEADER, params: [header, type ? objectTypeObject(k, type) : 0n, 0n, 0n] },
  });
}

/** DEVOBJ_EXTENSION is opaque beyond { CSHORT Type; USHORT Size; PDEVICE_OBJECT DeviceObject; }: we give it room for those. */
function devobjExtensionSize(k: Kernel): number {
  return 4 * k.ptrSize;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function tagOf(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoCreateDevice',
    cc: 'stdcall',
    proto: 'NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive, PDEVICE_OBJECT *DeviceObject)',
    params: { DriverObject: 'ptr', DeviceExtensionSize: 'u32', DeviceName: 'pustr', DeviceType: 'u32', DeviceCharacteristics: 'u32', Exclusive: 'bool', DeviceObject: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const name = a.DeviceName === 0n ? undefined : readUnicodeString(k, a.DeviceName);
      const r = createDevice(k, a.DriverObject, a.DeviceExtensionSize, name, a.DeviceType, a.DeviceCharacteristics, a.Exclusive !== 0);
      k.m.setPtr(a.DeviceObject, r.device ?? 0n);
      return r.status;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoDeleteDevice',
    cc: 'stdcall',
    proto: 'VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      if (!k.io.deviceAt(a.DeviceObject)) notADevice(k, a.DeviceObject);
      deleteDevice(k, a.DeviceObject);
    },
  }),
];
