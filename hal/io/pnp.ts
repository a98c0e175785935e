// Plug and Play notifications and device properties: IoRegisterPlugPlayNotification, IoUnregisterPlugPlayNotification,
// IoUnregisterPlugPlayNotificationEx, IoGetDeviceProperty, IoGetDevicePropertyData.
//
// The emulated machine has no PnP device tree: its devices are the legacy ones drivers create, with no device node
// and no registered device interfaces. A device-interface registration with PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_
// INTERFACES therefore finds no interface to report, and no interface or hardware profile ever changes; a target-device
// registration asks the file's device stack for its PDO, which a legacy stack cannot give. Property queries
// need a PDO: on any other device object Windows bugchecks with PNP_DETECTED_FATAL_ERROR (invalid PDO). Registrations
// left at unload would call into unloaded code: leaks.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import type { LeakReport } from '../report.js';
import { allocateIrp, callDriver, expectCompletion, forgetIrp, nextStackLocation } from './irp.js';
import { attachedTop } from './stack.js';
import { waitUntil } from '../ke/clock.js';
import { dereferenceObject } from '../ob/object.js';

const EventCategoryHardwareProfileChange = 1;
const EventCategoryDeviceInterfaceChange = 2;
const EventCategoryTargetDeviceChange = 3;
const CATEGORY_NAMES: Record<number, string> = { 1: 'hardware profile change', 2: 'device interface change', 3: 'target device change' };
/** PNP_DETECTED_FATAL_ERROR, PNP_ERR_INVALID_PDO: (2, purported PDO, its driver object, 0). */
const PNP_DETECTED_FATAL_ERROR = 0xca;
const KERNEL_SECURITY_CHECK_FAILURE = 0x139;
/** The notification entry's pool tag ('PnPn'). */
const ENTRY_TAG = 0x6e506e50;

interface Registration {
  readonly entry: bigint;
  readonly category: number;
  readonly routine: bigint;
  readonly detail: string;
  readonly caller: string;
}

const states = new WeakMap<Kernel, Map<bigint, Registration>>();

function registrations(k: Kernel): Map<bigint, Registration> {
  let m = states.get(k);
  if (!m) states.set(k, (m = new Map()));
  return m;
}

/** Registrations still in place: the leak report's callbacks. */
export function plugPlayLeaks(k: Kernel): LeakReport[] {
  return [...(states.get(k)?.values() ?? [])].map((r) => ({
    kind: 'callback',
    detail: `PnP ${CATEGORY_NAMES[r.category]} notification ${hex(r.entry)} (${k.symbolize(r.routine)}${r.detail}) never unregistered`,
    caller: r.caller,
  }));
}

function guidText(k: Kernel, p: bigint): string {
  const b = k.m.read(p, 16);
  const h = (i: number, n: number) => [...b.slice(i, i + n)].map((x) => x.toString(16).padStart(2, '0')).join('');
  const le = (i: number, n: number) => [...b.slice(i, i + n)].reverse().map((x) => x.toString(16).padStart(2, '0')).join('');
  return `{${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${h(8, 2)}-${h(10, 6)}}`;
}

function unregister(k: Kernel, entry: bigint, routine: string): number {
  const r = registrations(k).get(entry);
  if (!r) {
    // Unlinking what is not a live registration corrupts the notification list: Windows' list check fails fast.
    throw new GuestStop('bugcheck', `${routine}(${hex(entry)}) from ${k.symbolize(k.callerAddress())}: not a registration IoRegisterPlugPlayNotification returned (or one already unregistered)`, {
      bugcheck: { code: KERNEL_SECURITY_CHECK_FAILURE, params: [3n, 0n, 0n, 0n] },
    });
  }
  registrations(k).delete(entry);
  k.m.actingAs(0, () => k.pool.free_(entry, 0));
  return STATUS.SUCCESS;
}

/** Property queries need a PDO; kdemu's devices are all legacy ones (no device node). */
function invalidPdo(k: Kernel, device: bigint, routine: string): never {
  const dev = k.io.deviceAt(device);
  const driver = dev ? k.m.ptrAt(device, k.L.DEVICE_OBJECT.off.DriverObject) : 0n;
  throw new GuestStop('bugcheck', `${routine}(${hex(device)}) from ${k.symbolize(k.callerAddress())}: ${dev ? `device ${dev.name ?? hex(device)} is a legacy device object, not a PDO` : `${hex(device)} is not a device object`} (only a PDO has device properties)`, {
    bugcheck: { code: PNP_DETECTED_FATAL_ERROR, params: [2n, device, driver, 0n] },
  });
}

const IRP_MJ_PNP = 0x1b;
const IRP_MN_QUERY_DEVICE_RELATIONS = 7;
const TargetDeviceRelation = 4;

/**
 * IoGetRelatedTargetDevice: asks the file's device stack for its target device relation (IRP_MN_QUERY_DEVICE_
 * RELATIONS, TargetDeviceRelation) and waits for the answer. A stack that does not handle PnP IRPs fails it (the
 * default dispatch routine: STATUS_INVALID_DEVICE_REQUEST); a PDO it names has no device node in kdemu, which has no
 * device tree: STATUS_NO_SUCH_DEVICE, after releasing the relations as the PnP manager does.
 */
function targetDevice(k: Kernel, file: bigint): number {
  if (!k.io.liveFiles.has(file)) {
    throw new GuestStop('fault', `IoRegisterPlugPlayNotification(EventCategoryTargetDeviceChange) from ${k.symbolize(k.callerAddress())}: ${hex(file)} is not a file object`, { export: 'ntoskrnl.exe!IoRegisterPlugPlayNotification' });
  }
  const L = k.L;
  const m = k.m;
  const top = attachedTop(k, m.ptrAt(file, L.FILE_OBJECT.off.DeviceObject));
  const irp = m.actingAs(0, () => allocateIrp(k, m.u8At(top, L.DEVICE_OBJECT.off.StackSize), 'system', 'IoGetRelatedTargetDevice'));
  if (irp === null) return STATUS.INSUFFICIENT_RESOURCES;
  const o = L.IRP.off;
  const so = L.IO_STACK_LOCATION.off;
  let done: { status: number; information: bigint } | undefined;
  m.actingAs(0, () => {
    // A PnP IRP starts out not supported, until a driver handles it.
    m.setU32At(irp, o['IoStatus.Status'], STATUS.NOT_SUPPORTED);
    const sl = nextStackLocation(k, irp);
    m.setU8At(sl, so.MajorFunction, IRP_MJ_PNP);
    m.setU8At(sl, so.MinorFunction, IRP_MN_QUERY_DEVICE_RELATIONS);
    m.setU32(sl + BigInt(so.Parameters), TargetDeviceRelation);
    m.setPtrAt(sl, so.FileObject, file);
  });
  expectCompletion(k, irp, IRP_MJ_PNP, top, (kk, i) => {
    done = { status: kk.m.u32At(i, o['IoStatus.Status']), information: kk.m.ptrAt(i, o['IoStatus.Information']) };
    kk.m.actingAs(0, () => kk.pool.free_(i, 0));
  });
  const returned = callDriver(k, top, irp);
  if (!done && returned === STATUS.PENDING && !waitUntil(k, () => done !== undefined)) {
    throw new GuestStop('deadlock', `IoRegisterPlugPlayNotification waits for the IRP_MN_QUERY_DEVICE_RELATIONS IRP ${hex(irp)} the driver left pending, and nothing in the machine can complete it`, {});
  }
  if (!done) {
    // Returned without completing: the I/O manager's IRP is lost; the caller only has the returned status.
    forgetIrp(k, irp);
    return ntSuccess(returned) ? STATUS.NO_SUCH_DEVICE : returned;
  }
  const result: { status: number; information: bigint } = done;
  if (!ntSuccess(result.status)) return result.status;
  // DEVICE_RELATIONS: Count, then the referenced device objects; the PnP manager releases them.
  const relations = result.information;
  if (relations !== 0n) {
    const count = m.u32(relations);
    for (let i = 0; i < count; i++) dereferenceObject(k, m.ptr(relations + BigInt(k.ptrSize) * BigInt(1 + i)), 'IoRegisterPlugPlayNotification');
    m.actingAs(0, () => k.pool.free_(relations, 0));
  }
  return STATUS.NO_SUCH_DEVICE;
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoRegisterPlugPlayNotification',
    proto: 'NTSTATUS IoRegisterPlugPlayNotification(IO_NOTIFICATION_EVENT_CATEGORY EventCategory, ULONG EventCategoryFlags, PVOID EventCategoryData, PDRIVER_OBJECT DriverObject, PDRIVER_NOTIFICATION_CALLBACK_ROUTINE CallbackRoutine, PVOID Context, PVOID *NotificationEntry)',
    params: { EventCategory: 'u32', EventCategoryFlags: 'u32', EventCategoryData: 'ptr', DriverObject: 'ptr', CallbackRoutine: 'ptr', Context: 'ptr', NotificationEntry: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      let detail = '';
      switch (a.EventCategory) {
        case EventCategoryHardwareProfileChange:
          break;
        case EventCategoryDeviceInterfaceChange:
          // The interface class; no interface of any class exists to report as already there.
          detail = ` for interface class ${guidText(k, a.EventCategoryData)}`;
          break;
        case EventCategoryTargetDeviceChange: {
          // The PDO of the file's device stack, as its drivers report it; a legacy stack has none to report.
          const status = targetDevice(k, a.EventCategoryData);
          if (status !== STATUS.SUCCESS) return status;
          break;
        }
        default:
          return STATUS.INVALID_PARAMETER;
      }
      if (!k.io.driverAt(a.DriverObject)) return STATUS.INVALID_PARAMETER;
      const entry = k.m.actingAs(0, () => k.pool.allocate(8 * k.ptrSize, ENTRY_TAG, 1, 'system', 'IoRegisterPlugPlayNotification'));
      if (entry === null) return STATUS.INSUFFICIENT_RESOURCES;
      registrations(k).set(entry, { entry, category: a.EventCategory, routine: a.CallbackRoutine, detail, caller: k.symbolize(k.callerAddress()) });
      k.m.setPtr(a.NotificationEntry, entry);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...io, name: 'IoUnregisterPlugPlayNotification',
    proto: 'NTSTATUS IoUnregisterPlugPlayNotification(PVOID NotificationEntry)',
    params: { NotificationEntry: 'ptr' }, ret: 'status',
    impl: (k, a) => unregister(k, a.NotificationEntry, 'IoUnregisterPlugPlayNotification'),
  }),
  defineExport({
    ...io, name: 'IoUnregisterPlugPlayNotificationEx',
    proto: 'NTSTATUS IoUnregisterPlugPlayNotificationEx(PVOID NotificationEntry)',
    params: { NotificationEntry: 'ptr' }, ret: 'status',
    // The Ex form also waits for callbacks in progress: none can be, no event ever being delivered.
    impl: (k, a) => unregister(k, a.NotificationEntry, 'IoUnregisterPlugPlayNotificationEx'),
  }),
  defineExport({
    ...io, name: 'IoGetDeviceProperty',
    proto: 'NTSTATUS IoGetDeviceProperty(PDEVICE_OBJECT DeviceObject, DEVICE_REGISTRY_PROPERTY DeviceProperty, ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength)',
    params: { DeviceObject: 'ptr', DeviceProperty: 'u32', BufferLength: 'u32', PropertyBuffer: 'ptr', ResultLength: 'ptr' }, ret: 'status',
    impl: (k, a) => invalidPdo(k, a.DeviceObject, 'IoGetDeviceProperty'),
  }),
  defineExport({
    ...io, name: 'IoGetDevicePropertyData',
    proto: 'NTSTATUS IoGetDevicePropertyData(PDEVICE_OBJECT Pdo, const DEVPROPKEY *PropertyKey, LCID Lcid, ULONG Flags, ULONG Size, PVOID Data, PULONG RequiredSize, PDEVPROPTYPE Type)',
    params: { Pdo: 'ptr', PropertyKey: 'ptr', Lcid: 'u32', Flags: 'u32', Size: 'u32', Data: 'ptr', RequiredSize: 'ptr', Type: 'ptr' }, ret: 'status',
    impl: (k, a) => invalidPdo(k, a.Pdo, 'IoGetDevicePropertyData'),
  }),
];
