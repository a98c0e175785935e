// The framework's PnP and power side for a function driver: its AddDevice (EvtDriverDeviceAdd with a fresh FDO
// WDFDEVICE_INIT), and the IRP_MJ_PNP requests the PnP manager sends the FDO.
//
// Start: the framework first passes IRP_MN_START_DEVICE down and waits for the bus driver, then calls
// EvtDevicePrepareHardware(Device, ResourcesRaw, ResourcesTranslated), EvtDeviceD0Entry(Device, WdfPowerDeviceD3Final),
// EvtDeviceD0EntryPostInterruptsEnabled, lets its power-managed queues dispatch, calls EvtDeviceSelfManagedIoInit
// and enables the device's interfaces. Removal runs the reverse: queues purged, EvtDeviceSelfManagedIoSuspend,
// EvtDeviceD0ExitPreInterruptsDisabled and EvtDeviceD0Exit(Device, WdfPowerDeviceD3Final), EvtDeviceReleaseHardware,
// EvtDeviceSelfManagedIoCleanup, interfaces disabled; the IRP goes down and the WDFDEVICE is deleted. A query-remove
// asks EvtDeviceQueryRemove, which may veto. Other PnP and power IRPs go to the lower driver unchanged.
//
// Root-enumerated devices have no hardware: both resource lists are empty WDFCMRESLISTs.

import type { Kernel } from '../kernel.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { callDriver, completeRequest, currentStackLocation } from '../io/irp.js';
import { waitUntil } from '../ke/clock.js';
import { GuestStop, hex } from '../machine.js';
import {
  IRP_MN_CANCEL_REMOVE_DEVICE, IRP_MN_QUERY_REMOVE_DEVICE, IRP_MN_REMOVE_DEVICE, IRP_MN_START_DEVICE, deviceInterfaces, findInterface, setInterfaceState,
} from '../io/pnpmgr.js';
import { SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS } from '../io/constants.js';
import { wdfClients } from './client.js';
import { allocateInit, deviceInit, deviceInitIfAllocated, freeInit, fxDevice, type DeviceInit, type FxDevice } from './device.js';
import { callEvt, deleteObject, FxObject, fxObject, registerObject } from './object.js';
import { wdfExport } from './export.js';
import { dispatch, finishFrameworkOwned } from './queue.js';

const WdfPowerDeviceD3Final = 5n;
/** EvtIoStop's ActionFlags (WDF_REQUEST_STOP_ACTION_FLAGS). */
const WdfRequestStopActionPurge = 0x2;
const WdfRequestStopRequestCancelable = 0x10000000;
const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016n;

/** The framework's AddDevice: EvtDriverDeviceAdd(Driver, DeviceInit) for a new FDO on the PDO. */
export function frameworkAddDevice(k: Kernel): bigint {
  return k.internalRoutine('FxDriver::AddDevice', 2, (k, [driverObject, pdo]) => {
    const c = wdfClients(k).find((x) => x.driver.object === driverObject && !x.unbound);
    if (!c?.fxDriver || c.deviceAdd === 0n) return BigInt(STATUS.INVALID_DEVICE_REQUEST);
    const init = allocateInit(k, c, 'fdo', pdo);
    if (!init) return BigInt(STATUS.INSUFFICIENT_RESOURCES);
    const status = Number(callEvt(k, c.deviceAdd, [c.fxDriver.handle, init.address], 'EvtDriverDeviceAdd') & 0xffffffffn);
    // An init WdfDeviceCreate did not consume is the framework's to free.
    if (initStillAllocated(k, init.address)) freeInit(k, init);
    return BigInt(status);
  });
}

function initStillAllocated(k: Kernel, address: bigint): boolean {
  return deviceInitIfAllocated(k, address) !== undefined;
}

/** Calls one of the device's PnP/power callbacks if it has it; its NTSTATUS (success when absent). */
function pnpCallback(k: Kernel, dev: FxDevice, name: string, args: bigint[]): number {
  const routine = dev.init.pnpPower.get(name);
  if (routine === undefined) return STATUS.SUCCESS;
  return Number(callEvt(k, routine, [dev.handle, ...args], name) & 0xffffffffn);
}

/** Sends the IRP to the lower device and waits for it to come back (the start must reach the bus driver first). */
function forwardAndWait(k: Kernel, dev: FxDevice, irp: bigint): number {
  const m = k.m;
  const so = k.L.IO_STACK_LOCATION.off;
  const size = k.L.IO_STACK_LOCATION.size;
  const cur = currentStackLocation(k, irp);
  const next = cur - BigInt(size);
  // IoCopyCurrentIrpStackLocationToNext, then a completion routine that stops the completion here.
  m.write(next, m.read(cur, so.CompletionRoutine));
  m.setU8At(next, so.Control, 0);
  let back = false;
  const routine = k.internalRoutine('FxPkgPnp::_PnpForwardCompletion', 3, (k, [, i]) => {
    forwarded.get(k)?.get(i)?.();
    return STATUS_MORE_PROCESSING_REQUIRED;
  });
  let map = forwarded.get(k);
  if (!map) forwarded.set(k, (map = new Map()));
  map.set(irp, () => (back = true));
  m.setPtrAt(next, so.CompletionRoutine, routine);
  m.setPtrAt(next, so.Context, 0n);
  m.setU8At(next, so.Control, SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL);
  const r = callDriver(k, dev.lower, irp);
  if (!back && r === STATUS.PENDING && !waitUntil(k, () => back)) {
    throw new GuestStop('deadlock', `the framework waits for the lower driver to complete the PnP IRP ${hex(irp)}, and nothing in the machine will`, {});
  }
  map.delete(irp);
  return k.m.u32At(irp, k.L.IRP.off['IoStatus.Status']);
}
const forwarded = new WeakMap<Kernel, Map<bigint, () => void>>();

/** IoSkipCurrentIrpStackLocation + IoCallDriver to the lower device. */
function passDown(k: Kernel, dev: FxDevice, irp: bigint): number {
  const o = k.L.IRP.off;
  const m = k.m;
  m.setU8At(irp, o.CurrentLocation, m.u8At(irp, o.CurrentLocation) + 1);
  m.setPtrAt(irp, o['Tail.Overlay.CurrentStackLocation'], currentStackLocation(k, irp) + BigInt(k.L.IO_STACK_LOCATION.size));
  return callDriver(k, dev.lower, irp);
}

function complete(k: Kernel, irp: bigint, status: number): number {
  k.m.setU32At(irp, k.L.IRP.off['IoStatus.Status'], status);
  completeRequest(k, irp, 0);
  return status;
}

/** An empty WDFCMRESLIST (a root-enumerated device has no hardware resources). */
class FxResourceList extends FxObject {
  constructor(handle: bigint, parent: FxObject) {
    super(handle, 'WDFCMRESLIST', parent, 'IRP_MN_START_DEVICE');
    this.noDelete = true;
  }
}

function startDevice(k: Kernel, dev: FxDevice, irp: bigint): number {
  let status = forwardAndWait(k, dev, irp);
  if (!ntSuccess(status)) return complete(k, irp, status);
  const raw = registerObject(k, (h) => new FxResourceList(h, dev));
  const translated = registerObject(k, (h) => new FxResourceList(h, dev));
  resourceLists.set(dev, translated);
  status = pnpCallback(k, dev, 'EvtDevicePrepareHardware', [raw.handle, translated.handle]);
  if (ntSuccess(status)) {
    dev.hardwarePrepared = true;
    status = pnpCallback(k, dev, 'EvtDeviceD0Entry', [WdfPowerDeviceD3Final]);
  }
  if (ntSuccess(status)) {
    dev.d0 = true;
    status = pnpCallback(k, dev, 'EvtDeviceD0EntryPostInterruptsEnabled', [WdfPowerDeviceD3Final]);
  }
  if (ntSuccess(status)) status = pnpCallback(k, dev, 'EvtDeviceSelfManagedIoInit', []);
  if (!ntSuccess(status)) {
    powerDown(k, dev);
    return complete(k, irp, status);
  }
  dev.selfManagedIoInit = true;
  dev.started = true;
  for (const i of deviceInterfaces(k)) if (i.pdo === dev.init.pdo) setInterfaceState(k, i, true);
  for (const q of dev.queues) dispatch(k, q);
  return complete(k, irp, STATUS.SUCCESS);
}
const resourceLists = new WeakMap<FxDevice, FxObject>();

/** The reverse of a start, as far as it got. */
function powerDown(k: Kernel, dev: FxDevice): void {
  if (dev.selfManagedIoInit) pnpCallback(k, dev, 'EvtDeviceSelfManagedIoSuspend', []);
  if (dev.d0) {
    pnpCallback(k, dev, 'EvtDeviceD0ExitPreInterruptsDisabled', [WdfPowerDeviceD3Final]);
    pnpCallback(k, dev, 'EvtDeviceD0Exit', [WdfPowerDeviceD3Final]);
    dev.d0 = false;
  }
  if (dev.hardwarePrepared) {
    pnpCallback(k, dev, 'EvtDeviceReleaseHardware', [resourceLists.get(dev)?.handle ?? 0n]);
    dev.hardwarePrepared = false;
  }
  if (dev.selfManagedIoInit) {
    pnpCallback(k, dev, 'EvtDeviceSelfManagedIoCleanup', []);
    dev.selfManagedIoInit = false;
  }
  dev.started = false;
}

function removeDevice(k: Kernel, dev: FxDevice, irp: bigint): number {
  // The queues stop taking and presenting requests; what waits in them is cancelled; the driver hears of each request
  // it still owns from a power-managed queue through EvtIoStop (purge), so it can complete it.
  for (const q of dev.queues) {
    q.accepting = false;
    for (const r of q.pending.splice(0)) finishFrameworkOwned(k, r, STATUS.CANCELLED);
    if (q.powerManaged && q.callbacks.stop !== 0n) {
      for (const r of [...q.presented]) {
        const flags = WdfRequestStopActionPurge | (r.cancelRoutine !== 0n && !r.cancelled ? WdfRequestStopRequestCancelable : 0);
        callEvt(k, q.callbacks.stop, [q.handle, r.handle, BigInt(flags)], 'EvtIoStop');
      }
    }
  }
  powerDown(k, dev);
  for (const i of deviceInterfaces(k)) if (i.pdo === dev.init.pdo && i.enabled) setInterfaceState(k, i, false);
  k.m.setU32At(irp, k.L.IRP.off['IoStatus.Status'], STATUS.SUCCESS);
  const status = passDown(k, dev, irp);
  deleteObject(k, dev);
  return status;
}

/** IRP_MJ_PNP on a framework device. */
export function dispatchPnp(k: Kernel, dev: FxDevice, irp: bigint): number {
  const minor = k.m.u8At(currentStackLocation(k, irp), k.L.IO_STACK_LOCATION.off.MinorFunction);
  // A control device is not in a PnP stack: nothing below to ask.
  if (dev.lower === 0n) return complete(k, irp, k.m.u32At(irp, k.L.IRP.off['IoStatus.Status']));
  switch (minor) {
    case IRP_MN_START_DEVICE:
      return startDevice(k, dev, irp);
    case IRP_MN_QUERY_REMOVE_DEVICE: {
      const status = pnpCallback(k, dev, 'EvtDeviceQueryRemove', []);
      if (!ntSuccess(status)) return complete(k, irp, status);
      k.m.setU32At(irp, k.L.IRP.off['IoStatus.Status'], STATUS.SUCCESS);
      return passDown(k, dev, irp);
    }
    case IRP_MN_CANCEL_REMOVE_DEVICE:
      k.m.setU32At(irp, k.L.IRP.off['IoStatus.Status'], STATUS.SUCCESS);
      return passDown(k, dev, irp);
    case IRP_MN_REMOVE_DEVICE:
      return removeDevice(k, dev, irp);
    default:
      return passDown(k, dev, irp);
  }
}

/** IRP_MJ_POWER and other IRPs a function driver's framework passes on: to the lower device, or failed at the top. */
export function passToLower(k: Kernel, dev: FxDevice, irp: bigint): number {
  if (dev.lower === 0n) return complete(k, irp, STATUS.INVALID_DEVICE_REQUEST);
  return passDown(k, dev, irp);
}

/** The device's interface with that class and reference string, if registered. */
export function interfaceLinkOf(k: Kernel, dev: FxDevice, guid: Uint8Array, ref: string | undefined) {
  return findInterface(k, dev.init.pdo, guid, ref);
}

export const exports = [
  wdfExport({
    name: 'WdfCmResourceListGetCount',
    proto: 'ULONG WdfCmResourceListGetCount(WDFCMRESLIST List)',
    params: { List: 'handle' },
    ret: 'u32',
    // Root-enumerated devices get no resources.
    impl: (k, a) => (fxObject(k, a.List, 'WDFCMRESLIST', 'WdfCmResourceListGetCount'), 0),
  }),
  wdfExport({
    name: 'WdfCmResourceListGetDescriptor',
    proto: 'PCM_PARTIAL_RESOURCE_DESCRIPTOR WdfCmResourceListGetDescriptor(WDFCMRESLIST List, ULONG Index)',
    params: { List: 'handle', Index: 'u32' },
    ret: 'ptr',
    // An index past the count gives NULL.
    impl: (k, a) => (fxObject(k, a.List, 'WDFCMRESLIST', 'WdfCmResourceListGetDescriptor'), 0n),
  }),
  wdfExport({
    name: 'WdfFdoInitWdmGetPhysicalDevice',
    proto: 'PDEVICE_OBJECT WdfFdoInitWdmGetPhysicalDevice(PWDFDEVICE_INIT DeviceInit)',
    params: { DeviceInit: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => fdoInit(k, a.DeviceInit, 'WdfFdoInitWdmGetPhysicalDevice').pdo,
  }),
  wdfExport({
    name: 'WdfFdoInitSetFilter',
    proto: 'VOID WdfFdoInitSetFilter(PWDFDEVICE_INIT DeviceInit)',
    params: { DeviceInit: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      fdoInit(k, a.DeviceInit, 'WdfFdoInitSetFilter').filter = true;
    },
  }),
  wdfExport({
    name: 'WdfDeviceSetFailed',
    proto: 'VOID WdfDeviceSetFailed(WDFDEVICE Device, WDF_DEVICE_FAILED_ACTION FailedAction)',
    params: { Device: 'handle', FailedAction: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      const dev = fxDevice(k, a.Device, 'WdfDeviceSetFailed');
      // A failed device is stopped; the emulated PnP manager does not restart it (WdfDeviceFailedAttemptRestart).
      if (dev.started && dev.init.kind === 'fdo') powerDown(k, dev);
    },
  }),
];

function fdoInit(k: Kernel, p: bigint, routine: string): DeviceInit {
  const init = deviceInit(k, p, routine);
  if (init.kind !== 'fdo') {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())}: ${hex(p)} is a control device's WDFDEVICE_INIT, not an FDO's`, {
      bugcheck: { code: 0x10d, params: [0x5n, p, 0n, 0n] },
    });
  }
  return init;
}

