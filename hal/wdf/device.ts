// Framework devices: the WDFDEVICE_INIT a driver fills (control device or, in EvtDriverDeviceAdd, a PnP FDO),
// WdfDeviceCreate, and the WDFDEVICE's entries.
//
// PWDFDEVICE_INIT is opaque to drivers: kdemu hands out the address of a small framework block and keeps the
// settings here. WdfDeviceCreate makes the WDM device (named, typed, exclusive, with the I/O type's DO_ flag), for an
// FDO attached on top of the PDO, and frees the init (the caller's pointer is set to NULL). Deleting the WDFDEVICE
// removes its symbolic link and interfaces and deletes the WDM device.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { createDevice, deleteDevice } from '../io/device.js';
import { attachToStack, detachDevice } from '../io/stack.js';
import { registerShutdown } from '../io/shutdown.js';
import { DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO } from '../io/constants.js';
import { wdfLayouts } from './layout.js';
import { clientOf, type WdfClient } from './client.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, registerObject, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL, type Attributes,
} from './object.js';
import { wdfExport } from './export.js';
import type { FxQueue } from './queue.js';
import { registerInterface, removeInterfaces, setInterfaceState } from '../io/pnpmgr.js';
import { interfaceLinkOf } from './pnp.js';
import { assignString } from './string.js';
import { inheritSynchronization, setSynchronization } from './lock.js';

export const WdfDeviceIoNeither = 1;
export const WdfDeviceIoBuffered = 2;
export const WdfDeviceIoDirect = 3;
const FILE_DEVICE_UNKNOWN = 0x22;
const DO_POWER_PAGABLE = 0x2000;
const WdfDeviceShutdown = 0x1;
const WdfDeviceLastChanceShutdown = 0x2;
const DO_POWER_INRUSH = 0x4000;
/** 'FxDi': a WDFDEVICE_INIT's block. */
const TAG_INIT = 0x69447846;

/** What WDFDEVICE_INIT holds until WdfDeviceCreate. */
export interface DeviceInit {
  readonly address: bigint;
  readonly client: WdfClient;
  readonly kind: 'control' | 'fdo';
  /** The PDO an FDO goes on (EvtDriverDeviceAdd's device). */
  readonly pdo: bigint;
  name?: string;
  exclusive: boolean;
  deviceType: number;
  characteristics: number;
  ioType: number;
  ioctlIoType: number;
  pnpPower: Map<string, bigint>;
  fileCreate: bigint;
  fileClose: bigint;
  fileCleanup: bigint;
  fileObjectClass: number;
  requestAttributes?: Attributes;
  ioInCallerContext: bigint;
  filter: boolean;
  powerPolicyOwner: number;
  /** Power IRPs at PASSIVE_LEVEL (the framework's default), not pageable, or in-rush. */
  power: 'pageable' | 'not-pageable' | 'inrush';
  /** WdfControlDeviceInitSetShutdownNotification: the routine and WDF_DEVICE_SHUTDOWN_FLAGS. */
  shutdown?: { routine: bigint; flags: number };
}

export class FxDevice extends FxObject {
  queues: FxQueue[] = [];
  defaultQueue?: FxQueue;
  /** WdfDeviceConfigureRequestDispatching: queue per request type. */
  readonly dispatching = new Map<number, FxQueue>();
  readonly symlinks: string[] = [];
  /** FILE_OBJECT → its WDFFILEOBJECT. */
  readonly files = new Map<bigint, FxObject>();
  /** The device this one is attached to (an FDO's lower device). */
  lower = 0n;
  /** SynchronizationScope and ExecutionLevel, resolved: what its queues inherit. */
  sync = { scope: 0, executionLevel: 0 };
  /** PnP state: a control device is always "started"; an FDO once IRP_MN_START_DEVICE succeeded. */
  started: boolean;
  /** The PnP/power sequence callbacks reached so far, for the reverse at removal. */
  d0 = false;
  hardwarePrepared = false;
  selfManagedIoInit = false;
  constructor(
    handle: bigint,
    parent: FxObject,
    caller: string,
    readonly client: WdfClient,
    readonly deviceObject: bigint,
    readonly init: DeviceInit,
  ) {
    super(handle, 'WDFDEVICE', parent, caller);
    this.started = init.kind === 'control';
  }
}

const inits = new WeakMap<Kernel, Map<bigint, DeviceInit>>();
const devicesByObject = new WeakMap<Kernel, Map<bigint, FxDevice>>();

function initTable(k: Kernel): Map<bigint, DeviceInit> {
  let t = inits.get(k);
  if (!t) inits.set(k, (t = new Map()));
  return t;
}

function deviceTable(k: Kernel): Map<bigint, FxDevice> {
  let t = devicesByObject.get(k);
  if (!t) devicesByObject.set(k, (t = new Map()));
  return t;
}

/** The WDFDEVICE of a WDM device object the framework created, if any. */
export function fxDeviceOf(k: Kernel, deviceObject: bigint): FxDevice | undefined {
  return deviceTable(k).get(deviceObject);
}

/** A new WDFDEVICE_INIT with the framework's defaults (buffered I/O, FILE_DEVICE_UNKNOWN, not exclusive). */
export function allocateInit(k: Kernel, client: WdfClient, kind: 'control' | 'fdo', pdo: bigint): DeviceInit | null {
  const address = k.m.actingAs(0, () => k.pool.allocate(k.ptrSize * 4, TAG_INIT, 0, 'system', 'Wdf01000.sys'));
  if (address === null) return null;
  const init: DeviceInit = {
    address, client, kind, pdo, exclusive: false, deviceType: FILE_DEVICE_UNKNOWN, characteristics: 0, ioType: WdfDeviceIoBuffered,
    ioctlIoType: WdfDeviceIoBuffered, pnpPower: new Map(), fileCreate: 0n, fileClose: 0n, fileCleanup: 0n, fileObjectClass: 0,
    ioInCallerContext: 0n, filter: false, powerPolicyOwner: 2, power: 'pageable',
  };
  initTable(k).set(address, init);
  return init;
}

/** The init at an address, while WdfDeviceCreate has not consumed it. */
export function deviceInitIfAllocated(k: Kernel, p: bigint): DeviceInit | undefined {
  return initTable(k).get(p);
}

export function freeInit(k: Kernel, init: DeviceInit): void {
  initTable(k).delete(init.address);
  k.m.actingAs(0, () => k.pool.free_(init.address, 0));
}

/** The init a PWDFDEVICE_INIT names; anything else is the NULL/invalid-parameter misuse the framework stops at. */
export function deviceInit(k: Kernel, p: bigint, routine: string): DeviceInit {
  if (p === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL PWDFDEVICE_INIT`);
  const init = initTable(k).get(p);
  if (!init) {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())}: ${hex(p)} is not a WDFDEVICE_INIT the framework handed out (or WdfDeviceCreate already consumed it)`, {
      bugcheck: { code: 0x10d, params: [0x5n, p, 0n, 0n] },
    });
  }
  return init;
}

export function fxDevice(k: Kernel, handle: bigint, routine: string): FxDevice {
  return fxObject<FxDevice>(k, handle, 'WDFDEVICE', routine);
}

function deviceCreate(k: Kernel, globals: bigint, initPtr: bigint, attributes: bigint, out: bigint): number {
  const m = k.m;
  if (initPtr === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDeviceCreate was passed a NULL DeviceInit');
  const init = deviceInit(k, m.ptr(initPtr), 'WdfDeviceCreate');
  const c = clientOf(k, globals, 'WdfDeviceCreate');
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  if (!c.fxDriver) return STATUS.INVALID_DEVICE_STATE;
  const r = createDevice(k, c.driver.object, 0, init.name, init.deviceType, init.characteristics, init.exclusive);
  if (r.status !== STATUS.SUCCESS || r.device === undefined) return r.status;
  const dev = r.device;
  const o = k.L.DEVICE_OBJECT.off;
  let flags = m.u32At(dev, o.Flags);
  if (init.ioType === WdfDeviceIoBuffered) flags |= DO_BUFFERED_IO;
  else if (init.ioType === WdfDeviceIoDirect) flags |= DO_DIRECT_IO;
  if (init.power === 'pageable') flags |= DO_POWER_PAGABLE;
  else if (init.power === 'inrush') flags |= DO_POWER_INRUSH;
  m.setU32At(dev, o.Flags, flags);
  let lower = 0n;
  if (init.kind === 'fdo') {
    lower = attachToStack(k, dev, init.pdo);
    if (lower === 0n) {
      deleteDevice(k, dev);
      return STATUS.NO_SUCH_DEVICE;
    }
    // The FDO is ready once it sits on its stack (the framework clears the flag when EvtDriverDeviceAdd succeeds).
    m.setU32At(dev, o.Flags, m.u32At(dev, o.Flags) & ~DO_DEVICE_INITIALIZING);
  }
  if (init.shutdown && init.shutdown.flags & WdfDeviceShutdown) registerShutdown(k, dev, 'shutdown', 'WdfDeviceCreate');
  if (init.shutdown && init.shutdown.flags & WdfDeviceLastChanceShutdown) registerShutdown(k, dev, 'lastChance', 'WdfDeviceCreate');
  const parent = c.fxDriver;
  const fx = registerObject(k, (h) => new FxDevice(h, parent, k.symbolize(k.callerAddress()), c, dev, init));
  fx.lower = lower;
  fx.sync = inheritSynchronization(a.synchronizationScope, a.executionLevel, { scope: c.syncScope, executionLevel: c.executionLevel });
  setSynchronization(fx, fx.sync.scope, fx.sync.executionLevel);
  fx.dispose = () => disposeDevice(k, fx);
  deviceTable(k).set(dev, fx);
  const status = applyAttributes(k, fx, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, fx);
    return status;
  }
  // The init is the framework's again: the driver's pointer to it is cleared.
  initTable(k).delete(init.address);
  k.m.actingAs(0, () => k.pool.free_(init.address, 0));
  m.setPtr(initPtr, 0n);
  if (out !== 0n) m.setPtr(out, fx.handle);
  return STATUS.SUCCESS;
}

function disposeDevice(k: Kernel, d: FxDevice): void {
  for (const l of d.symlinks) k.ns.remove(l);
  d.symlinks.length = 0;
  // A PnP device's interfaces go with it.
  if (d.init.kind === 'fdo') removeInterfaces(k, d.init.pdo);
  deviceTable(k).delete(d.deviceObject);
  if (d.lower !== 0n) detachDevice(k, d.lower);
  deleteDevice(k, d.deviceObject);
}

function setInit<K extends keyof DeviceInit>(k: Kernel, p: bigint, routine: string, key: K, value: DeviceInit[K]): void {
  deviceInit(k, p, routine)[key] = value;
}

const PNP_CALLBACKS = [
  'EvtDeviceD0Entry', 'EvtDeviceD0EntryPostInterruptsEnabled', 'EvtDeviceD0Exit', 'EvtDeviceD0ExitPreInterruptsDisabled', 'EvtDevicePrepareHardware',
  'EvtDeviceReleaseHardware', 'EvtDeviceSelfManagedIoCleanup', 'EvtDeviceSelfManagedIoFlush', 'EvtDeviceSelfManagedIoInit', 'EvtDeviceSelfManagedIoSuspend',
  'EvtDeviceSelfManagedIoRestart', 'EvtDeviceSurpriseRemoval', 'EvtDeviceQueryRemove', 'EvtDeviceQueryStop', 'EvtDeviceUsageNotification',
  'EvtDeviceRelationsQuery', 'EvtDeviceUsageNotificationEx',
] as const;

/** Reads the callbacks a structure of the given Size holds (older clients pass shorter versions). */
function readCallbacks(k: Kernel, p: bigint): Map<string, bigint> {
  const L = wdfLayouts(k.arch).WDF_PNPPOWER_EVENT_CALLBACKS;
  const size = k.m.u32(p);
  const out = new Map<string, bigint>();
  for (const n of PNP_CALLBACKS) {
    const off = L.off[n];
    if (off + k.ptrSize <= size) {
      const v = k.m.ptr(p + BigInt(off));
      if (v !== 0n) out.set(n, v);
    }
  }
  return out;
}

function symbolicLink(k: Kernel, d: FxDevice, link: string): number {
  const rec = k.io.deviceAt(d.deviceObject);
  // The link names the device's name; an unnamed device (a PnP FDO without one) has none: the PDO's.
  const target = rec?.name ?? k.io.deviceAt(d.init.pdo)?.name;
  if (target === undefined) return STATUS.INVALID_DEVICE_REQUEST;
  const status = k.ns.insert(link, { type: 'symlink', target, creator: d.client.driver.objectName });
  if (status === STATUS.SUCCESS) d.symlinks.push(link);
  return status;
}

function guidArg(k: Kernel, p: bigint, routine: string): Uint8Array {
  if (p === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), `${routine} was passed a NULL GUID`);
  return k.m.read(p, 16);
}

const initParams = { DeviceInit: 'ptr' } as const;

export const exports = [
  wdfExport({
    name: 'WdfControlDeviceInitAllocate',
    proto: 'PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver, const UNICODE_STRING *SDDLString)',
    params: { Driver: 'handle', SDDLString: 'pustr' },
    ret: 'ptr',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfControlDeviceInitAllocate');
      fxObject(k, a.Driver, 'WDFDRIVER', 'WdfControlDeviceInitAllocate');
      if (a.SDDLString === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfControlDeviceInitAllocate was passed a NULL SDDLString');
      return allocateInit(k, c, 'control', 0n)?.address ?? 0n;
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitFree',
    proto: 'VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit)',
    params: initParams,
    ret: 'void',
    impl: (k, a) => freeInit(k, deviceInit(k, a.DeviceInit, 'WdfDeviceInitFree')),
  }),
  wdfExport({
    name: 'WdfControlDeviceInitSetShutdownNotification',
    proto: 'VOID WdfControlDeviceInitSetShutdownNotification(PWDFDEVICE_INIT DeviceInit, PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION Notification, UCHAR Flags)',
    params: { DeviceInit: 'ptr', Notification: 'ptr', Flags: 'u8' },
    ret: 'void',
    // The control device is registered for IRP_MJ_SHUTDOWN (WdfDeviceShutdown) and/or the last-chance notification
    // (WdfDeviceLastChanceShutdown) when it is created; kdemu's runs end with unload, so neither is ever delivered.
    impl: (k, a) => setInit(k, a.DeviceInit, 'WdfControlDeviceInitSetShutdownNotification', 'shutdown', { routine: a.Notification, flags: a.Flags }),
  }),
  wdfExport({
    name: 'WdfDeviceInitSetIoType',
    proto: 'VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)',
    params: { DeviceInit: 'ptr', IoType: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetIoType');
      // WdfDeviceIoBufferedOrDirect is the UMDF-only choice; KMDF keeps its default for it.
      if (a.IoType >= WdfDeviceIoNeither && a.IoType <= WdfDeviceIoDirect) init.ioType = init.ioctlIoType = a.IoType;
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitSetIoTypeEx',
    proto: 'VOID WdfDeviceInitSetIoTypeEx(PWDFDEVICE_INIT DeviceInit, PWDF_IO_TYPE_CONFIG IoTypeConfig)',
    params: { DeviceInit: 'ptr', IoTypeConfig: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetIoTypeEx');
      if (a.IoTypeConfig === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDeviceInitSetIoTypeEx was passed a NULL IoTypeConfig');
      const L = wdfLayouts(k.arch).WDF_IO_TYPE_CONFIG;
      const t = k.m.u32(a.IoTypeConfig + BigInt(L.off.ReadWriteIoType));
      if (t >= WdfDeviceIoNeither && t <= WdfDeviceIoDirect) init.ioType = t;
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitSetExclusive',
    proto: 'VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive)',
    params: { DeviceInit: 'ptr', IsExclusive: 'bool' },
    ret: 'void',
    impl: (k, a) => setInit(k, a.DeviceInit, 'WdfDeviceInitSetExclusive', 'exclusive', a.IsExclusive !== 0),
  }),
  wdfExport({
    name: 'WdfDeviceInitSetDeviceType',
    proto: 'VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)',
    params: { DeviceInit: 'ptr', DeviceType: 'u32' },
    ret: 'void',
    impl: (k, a) => setInit(k, a.DeviceInit, 'WdfDeviceInitSetDeviceType', 'deviceType', a.DeviceType),
  }),
  wdfExport({
    name: 'WdfDeviceInitSetCharacteristics',
    proto: 'VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics, BOOLEAN OrInValues)',
    params: { DeviceInit: 'ptr', DeviceCharacteristics: 'u32', OrInValues: 'bool' },
    ret: 'void',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetCharacteristics');
      init.characteristics = (a.OrInValues ? init.characteristics | a.DeviceCharacteristics : a.DeviceCharacteristics) >>> 0;
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitAssignName',
    proto: 'NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName)',
    params: { DeviceInit: 'ptr', DeviceName: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitAssignName');
      // NULL clears a name assigned before.
      if (a.DeviceName === 0n) delete init.name;
      else init.name = readUnicodeString(k, a.DeviceName);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitAssignSDDLString',
    proto: 'NTSTATUS WdfDeviceInitAssignSDDLString(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING SDDLString)',
    params: { DeviceInit: 'ptr', SDDLString: 'pustr' },
    ret: 'status',
    // kdemu does no access checks on opens: the descriptor is kept nowhere, as it changes nothing.
    impl: (k, a) => (deviceInit(k, a.DeviceInit, 'WdfDeviceInitAssignSDDLString'), STATUS.SUCCESS),
  }),
  wdfExport({
    name: 'WdfDeviceInitSetDeviceClass',
    proto: 'VOID WdfDeviceInitSetDeviceClass(PWDFDEVICE_INIT DeviceInit, const GUID *DeviceClassGuid)',
    params: { DeviceInit: 'ptr', DeviceClassGuid: 'ptr' },
    ret: 'void',
    impl: (k, a) => void (deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetDeviceClass'), guidArg(k, a.DeviceClassGuid, 'WdfDeviceInitSetDeviceClass')),
  }),
  wdfExport({
    name: 'WdfDeviceInitSetPnpPowerEventCallbacks',
    proto: 'VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit, PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks)',
    params: { DeviceInit: 'ptr', PnpPowerEventCallbacks: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetPnpPowerEventCallbacks');
      if (a.PnpPowerEventCallbacks === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDeviceInitSetPnpPowerEventCallbacks was passed NULL callbacks');
      init.pnpPower = readCallbacks(k, a.PnpPowerEventCallbacks);
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitSetPowerPolicyOwnership',
    proto: 'VOID WdfDeviceInitSetPowerPolicyOwnership(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsPowerPolicyOwner)',
    params: { DeviceInit: 'ptr', IsPowerPolicyOwner: 'bool' },
    ret: 'void',
    impl: (k, a) => setInit(k, a.DeviceInit, 'WdfDeviceInitSetPowerPolicyOwnership', 'powerPolicyOwner', a.IsPowerPolicyOwner),
  }),
  ...([
    ['WdfDeviceInitSetPowerPageable', 'pageable'],
    ['WdfDeviceInitSetPowerNotPageable', 'not-pageable'],
    ['WdfDeviceInitSetPowerInrush', 'inrush'],
  ] as const).map(([name, power]) =>
    wdfExport({
      name,
      proto: `VOID ${name}(PWDFDEVICE_INIT DeviceInit)`,
      params: initParams,
      ret: 'void',
      // The device object's DO_POWER_PAGABLE / DO_POWER_INRUSH, set when WdfDeviceCreate makes it.
      impl: (k, a) => {
        deviceInit(k, a.DeviceInit, name).power = power;
      },
    }),
  ),
  wdfExport({
    name: 'WdfDeviceInitSetFileObjectConfig',
    proto: 'VOID WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT DeviceInit, PWDF_FILEOBJECT_CONFIG FileObjectConfig, PWDF_OBJECT_ATTRIBUTES FileObjectAttributes)',
    params: { DeviceInit: 'ptr', FileObjectConfig: 'ptr', FileObjectAttributes: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetFileObjectConfig');
      if (a.FileObjectConfig === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDeviceInitSetFileObjectConfig was passed a NULL FileObjectConfig');
      const L = wdfLayouts(k.arch).WDF_FILEOBJECT_CONFIG;
      const p = a.FileObjectConfig;
      init.fileCreate = k.m.ptr(p + BigInt(L.off.EvtDeviceFileCreate));
      init.fileClose = k.m.ptr(p + BigInt(L.off.EvtFileClose));
      init.fileCleanup = k.m.ptr(p + BigInt(L.off.EvtFileCleanup));
      init.fileObjectClass = k.m.u32(p + BigInt(L.off.FileObjectClass));
      const attrs = readAttributes(k, a.FileObjectAttributes);
      if (attrs !== 'size-mismatch') fileAttributes.set(init, attrs);
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitSetRequestAttributes',
    proto: 'VOID WdfDeviceInitSetRequestAttributes(PWDFDEVICE_INIT DeviceInit, PWDF_OBJECT_ATTRIBUTES RequestAttributes)',
    params: { DeviceInit: 'ptr', RequestAttributes: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const init = deviceInit(k, a.DeviceInit, 'WdfDeviceInitSetRequestAttributes');
      const attrs = readAttributes(k, a.RequestAttributes);
      if (attrs !== 'size-mismatch') init.requestAttributes = attrs;
    },
  }),
  wdfExport({
    name: 'WdfDeviceInitSetIoInCallerContextCallback',
    proto: 'VOID WdfDeviceInitSetIoInCallerContextCallback(PWDFDEVICE_INIT DeviceInit, PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext)',
    params: { DeviceInit: 'ptr', EvtIoInCallerContext: 'ptr' },
    ret: 'void',
    impl: (k, a) => setInit(k, a.DeviceInit, 'WdfDeviceInitSetIoInCallerContextCallback', 'ioInCallerContext', a.EvtIoInCallerContext),
  }),
  wdfExport({
    name: 'WdfDeviceCreate',
    proto: 'NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE *Device)',
    params: { DeviceInit: 'ptr', DeviceAttributes: 'ptr', Device: 'ptr' },
    ret: 'status',
    impl: (k, a) => deviceCreate(k, a.DriverGlobals, a.DeviceInit, a.DeviceAttributes, a.Device),
  }),
  wdfExport({
    name: 'WdfControlFinishInitializing',
    proto: 'VOID WdfControlFinishInitializing(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const d = fxDevice(k, a.Device, 'WdfControlFinishInitializing');
      const f = d.deviceObject + BigInt(k.L.DEVICE_OBJECT.off.Flags);
      k.m.setU32(f, k.m.u32(f) & ~DO_DEVICE_INITIALIZING);
    },
  }),
  wdfExport({
    name: 'WdfDeviceCreateSymbolicLink',
    proto: 'NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE Device, PCUNICODE_STRING SymbolicLinkName)',
    params: { Device: 'handle', SymbolicLinkName: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const d = fxDevice(k, a.Device, 'WdfDeviceCreateSymbolicLink');
      if (a.SymbolicLinkName === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDeviceCreateSymbolicLink was passed a NULL name');
      // One symbolic link per device.
      if (d.symlinks.length > 0) return STATUS.INVALID_DEVICE_REQUEST;
      return symbolicLink(k, d, readUnicodeString(k, a.SymbolicLinkName));
    },
  }),
  wdfExport({
    name: 'WdfDeviceCreateDeviceInterface',
    proto: 'NTSTATUS WdfDeviceCreateDeviceInterface(WDFDEVICE Device, const GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString)',
    params: { Device: 'handle', InterfaceClassGUID: 'ptr', ReferenceString: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const d = fxDevice(k, a.Device, 'WdfDeviceCreateDeviceInterface');
      const guid = guidArg(k, a.InterfaceClassGUID, 'WdfDeviceCreateDeviceInterface');
      // Interfaces belong to a PnP device's PDO; a control device has none.
      if (d.init.kind !== 'fdo') return STATUS.INVALID_DEVICE_REQUEST;
      const ref = a.ReferenceString === 0n ? undefined : readUnicodeString(k, a.ReferenceString);
      const r = registerInterface(k, d.init.pdo, guid, ref);
      if (typeof r === 'number') return r;
      // The framework enables the device's interfaces when it starts.
      if (d.started) setInterfaceState(k, r, true);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfDeviceSetDeviceInterfaceState',
    proto: 'VOID WdfDeviceSetDeviceInterfaceState(WDFDEVICE Device, const GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString, BOOLEAN IsInterfaceEnabled)',
    params: { Device: 'handle', InterfaceClassGUID: 'ptr', ReferenceString: 'pustr', IsInterfaceEnabled: 'bool' },
    ret: 'void',
    impl: (k, a) => {
      const d = fxDevice(k, a.Device, 'WdfDeviceSetDeviceInterfaceState');
      const guid = guidArg(k, a.InterfaceClassGUID, 'WdfDeviceSetDeviceInterfaceState');
      const ref = a.ReferenceString === 0n ? undefined : readUnicodeString(k, a.ReferenceString);
      const link = interfaceLinkOf(k, d, guid, ref);
      if (link) setInterfaceState(k, link, a.IsInterfaceEnabled !== 0);
    },
  }),
  wdfExport({
    name: 'WdfDeviceWdmGetDeviceObject',
    proto: 'PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'ptr',
    impl: (k, a) => fxDevice(k, a.Device, 'WdfDeviceWdmGetDeviceObject').deviceObject,
  }),
  wdfExport({
    name: 'WdfDeviceWdmGetAttachedDevice',
    proto: 'PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'ptr',
    impl: (k, a) => fxDevice(k, a.Device, 'WdfDeviceWdmGetAttachedDevice').lower,
  }),
  wdfExport({
    name: 'WdfDeviceWdmGetPhysicalDevice',
    proto: 'PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'ptr',
    impl: (k, a) => fxDevice(k, a.Device, 'WdfDeviceWdmGetPhysicalDevice').init.pdo,
  }),
  wdfExport({
    name: 'WdfWdmDeviceGetWdfDeviceHandle',
    proto: 'WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' },
    ret: 'handle',
    impl: (k, a) => fxDeviceOf(k, a.DeviceObject)?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfDeviceGetDriver',
    proto: 'WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxDevice(k, a.Device, 'WdfDeviceGetDriver').client.fxDriver?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfDeviceGetCharacteristics',
    proto: 'ULONG WdfDeviceGetCharacteristics(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'u32',
    impl: (k, a) => k.m.u32At(fxDevice(k, a.Device, 'WdfDeviceGetCharacteristics').deviceObject, k.L.DEVICE_OBJECT.off.Characteristics),
  }),
  wdfExport({
    name: 'WdfDeviceSetCharacteristics',
    proto: 'VOID WdfDeviceSetCharacteristics(WDFDEVICE Device, ULONG DeviceCharacteristics)',
    params: { Device: 'handle', DeviceCharacteristics: 'u32' },
    ret: 'void',
    impl: (k, a) => k.m.setU32At(fxDevice(k, a.Device, 'WdfDeviceSetCharacteristics').deviceObject, k.L.DEVICE_OBJECT.off.Characteristics, a.DeviceCharacteristics),
  }),
  wdfExport({
    name: 'WdfDeviceGetAlignmentRequirement',
    proto: 'ULONG WdfDeviceGetAlignmentRequirement(WDFDEVICE Device)',
    params: { Device: 'handle' },
    ret: 'u32',
    impl: (k, a) => k.m.u32At(fxDevice(k, a.Device, 'WdfDeviceGetAlignmentRequirement').deviceObject, k.L.DEVICE_OBJECT.off.AlignmentRequirement),
  }),
  wdfExport({
    name: 'WdfDeviceSetAlignmentRequirement',
    proto: 'VOID WdfDeviceSetAlignmentRequirement(WDFDEVICE Device, ULONG AlignmentRequirement)',
    params: { Device: 'handle', AlignmentRequirement: 'u32' },
    ret: 'void',
    impl: (k, a) => k.m.setU32At(fxDevice(k, a.Device, 'WdfDeviceSetAlignmentRequirement').deviceObject, k.L.DEVICE_OBJECT.off.AlignmentRequirement, a.AlignmentRequirement),
  }),
  wdfExport({
    name: 'WdfDeviceRetrieveDeviceName',
    proto: 'NTSTATUS WdfDeviceRetrieveDeviceName(WDFDEVICE Device, WDFSTRING String)',
    params: { Device: 'handle', String: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const d = fxDevice(k, a.Device, 'WdfDeviceRetrieveDeviceName');
      const name = k.io.deviceAt(d.deviceObject)?.name ?? k.io.deviceAt(d.init.pdo)?.name;
      if (name === undefined) return STATUS.INVALID_DEVICE_STATE;
      return assignString(k, a.String, name, 'WdfDeviceRetrieveDeviceName');
    },
  }),
  wdfExport({
    name: 'WdfDeviceRetrieveDeviceInterfaceString',
    proto: 'NTSTATUS WdfDeviceRetrieveDeviceInterfaceString(WDFDEVICE Device, const GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString, WDFSTRING String)',
    params: { Device: 'handle', InterfaceClassGUID: 'ptr', ReferenceString: 'pustr', String: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const d = fxDevice(k, a.Device, 'WdfDeviceRetrieveDeviceInterfaceString');
      const guid = guidArg(k, a.InterfaceClassGUID, 'WdfDeviceRetrieveDeviceInterfaceString');
      const ref = a.ReferenceString === 0n ? undefined : readUnicodeString(k, a.ReferenceString);
      const link = interfaceLinkOf(k, d, guid, ref);
      if (!link) return STATUS.OBJECT_NAME_NOT_FOUND;
      return assignString(k, a.String, link.link, 'WdfDeviceRetrieveDeviceInterfaceString');
    },
  }),
];

/** The file objects' attributes (context type) a device's init declared. */
export const fileAttributes = new WeakMap<DeviceInit, Attributes>();
