// The framework driver object: WdfDriverCreate and the WDFDRIVER's other entries, the framework's DriverUnload, and
// the end of a client (WdfVersionUnbind deletes what the driver left).
//
// WdfDriverCreate takes over the WDM driver object as the framework does: every MajorFunction slot goes to the
// framework's dispatch routine (unless WdfDriverInitNoDispatchOverride), DriverUnload to the framework's unload
// routine (which calls EvtDriverUnload), DriverExtension->AddDevice to the framework's when the driver has an
// EvtDriverDeviceAdd, and the globals' DisplaceDriverUnload tells the stub to chain its own unload (which unbinds)
// after it.

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { IRP_MJ_MAXIMUM_FUNCTION } from '../layout/index.js';
import { wdfLayouts } from './layout.js';
import { clientOf, wdfClients, type WdfClient } from './client.js';
import { applyAttributes, callEvt, deleteObject, fxObject, readAttributes, registerObject, FxObject, WDF_REQUIRED_PARAMETER_IS_NULL, wdfViolation } from './object.js';
import { wdfExport } from './export.js';
import { frameworkDispatch } from './dispatch.js';
import { frameworkAddDevice } from './pnp.js';
import { WDF_MINOR_VERSION } from './table.js';
import { inheritSynchronization, WdfExecutionLevelDispatch, WdfSynchronizationScopeNone } from './lock.js';

export const WdfDriverInitNonPnpDriver = 0x1;
export const WdfDriverInitNoDispatchOverride = 0x2;

/** The framework's DriverUnload: EvtDriverUnload(Driver). */
function frameworkUnload(k: Kernel): bigint {
  return k.internalRoutine('FxDriver::Unload', 1, (k, [driverObject]) => {
    const c = wdfClients(k).find((x) => x.driver.object === driverObject && !x.unbound);
    if (c?.fxDriver && c.unload !== 0n) callEvt(k, c.unload, [c.fxDriver.handle], 'EvtDriverUnload');
    return 0n;
  });
}

function driverCreate(k: Kernel, c: WdfClient, driverObject: bigint, attributes: bigint, config: bigint, out: bigint): number {
  const m = k.m;
  if (config === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDriverCreate was passed a NULL DriverConfig');
  const C = wdfLayouts(k.arch).WDF_DRIVER_CONFIG;
  if (m.u32(config) !== C.size) return STATUS.INFO_LENGTH_MISMATCH;
  if (driverObject !== c.driver.object) return STATUS.INVALID_PARAMETER;
  // One WDFDRIVER per client.
  if (c.fxDriver) return STATUS.OBJECT_NAME_COLLISION;
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const deviceAdd = m.ptr(config + BigInt(C.off.EvtDriverDeviceAdd));
  const flags = m.u32(config + BigInt(C.off.DriverInitFlags));
  // A non-PnP driver has no devices to add.
  if (flags & WdfDriverInitNonPnpDriver && deviceAdd !== 0n) return STATUS.INVALID_PARAMETER;
  const o = registerObject(k, (h) => new FxObject(h, 'WDFDRIVER', undefined, k.symbolize(k.callerAddress())));
  o.noDelete = true;
  const status = applyAttributes(k, o, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, o);
    return status;
  }
  c.fxDriver = o;
  c.deviceAdd = deviceAdd;
  c.unload = m.ptr(config + BigInt(C.off.EvtDriverUnload));
  c.initFlags = flags;
  c.poolTag = m.u32(config + BigInt(C.off.DriverPoolTag));
  // The driver object has no parent: "inherit" means the defaults (no automatic serialization, dispatch level).
  const sync = inheritSynchronization(a.synchronizationScope, a.executionLevel, { scope: WdfSynchronizationScopeNone, executionLevel: WdfExecutionLevelDispatch });
  c.syncScope = sync.scope;
  c.executionLevel = sync.executionLevel;
  const G = wdfLayouts(k.arch).WDF_DRIVER_GLOBALS;
  m.setPtr(c.globals + BigInt(G.off.Driver), o.handle);
  m.setU32(c.globals + BigInt(G.off.DriverFlags), flags);
  if (c.poolTag !== 0) m.setU32(c.globals + BigInt(G.off.DriverTag), c.poolTag);
  const D = k.L.DRIVER_OBJECT.off;
  if (!(flags & WdfDriverInitNoDispatchOverride)) {
    const dispatch = frameworkDispatch(k);
    for (let i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) m.setPtr(driverObject + BigInt(D.MajorFunction) + BigInt(i * k.ptrSize), dispatch);
  }
  m.setPtrAt(driverObject, D.DriverUnload, frameworkUnload(k));
  m.setU8(c.globals + BigInt(G.off.DisplaceDriverUnload), 1);
  if (deviceAdd !== 0n) m.setPtrAt(m.ptrAt(driverObject, D.DriverExtension), k.L.DRIVER_EXTENSION.off.AddDevice, frameworkAddDevice(k));
  if (out !== 0n) m.setPtr(out, o.handle);
  return STATUS.SUCCESS;
}

/** WdfVersionUnbind: the driver object and everything under it are deleted; what survives has references left. */
export function unbindClient(k: Kernel, c: WdfClient): void {
  if (c.fxDriver) {
    c.fxDriver.noDelete = false;
    deleteObject(k, c.fxDriver);
  }
  c.unbound = true;
  k.m.actingAs(0, () => k.pool.free_(c.globals, 0));
}

function driverOf(k: Kernel, globals: bigint, handle: bigint, routine: string): WdfClient {
  const c = clientOf(k, globals, routine);
  fxObject(k, handle, 'WDFDRIVER', routine);
  return c;
}

export const exports = [
  wdfExport({
    name: 'WdfDriverCreate',
    proto: 'NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath, PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver)',
    params: { DriverObject: 'ptr', RegistryPath: 'pustr', DriverAttributes: 'ptr', DriverConfig: 'ptr', Driver: 'ptr' },
    ret: 'status',
    impl: (k, a) => driverCreate(k, clientOf(k, a.DriverGlobals, 'WdfDriverCreate'), a.DriverObject, a.DriverAttributes, a.DriverConfig, a.Driver),
  }),
  wdfExport({
    name: 'WdfDriverWdmGetDriverObject',
    proto: 'PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)',
    params: { Driver: 'handle' },
    ret: 'ptr',
    impl: (k, a) => driverOf(k, a.DriverGlobals, a.Driver, 'WdfDriverWdmGetDriverObject').driver.object,
  }),
  wdfExport({
    name: 'WdfWdmDriverGetWdfDriverHandle',
    proto: 'WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject)',
    params: { DriverObject: 'ptr' },
    ret: 'handle',
    // The WDFDRIVER of a driver object the framework manages; NULL for any other.
    impl: (k, a) => wdfClients(k).find((c) => !c.unbound && c.driver.object === a.DriverObject)?.fxDriver?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfDriverGetRegistryPath',
    proto: 'PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver)',
    params: { Driver: 'handle' },
    ret: 'ptr',
    impl: (k, a) => {
      const c = driverOf(k, a.DriverGlobals, a.Driver, 'WdfDriverGetRegistryPath');
      return registryPathString(k, c);
    },
  }),
  wdfExport({
    name: 'WdfDriverIsVersionAvailable',
    proto: 'BOOLEAN WdfDriverIsVersionAvailable(WDFDRIVER Driver, PWDF_DRIVER_VERSION_AVAILABLE_PARAMS VersionAvailableParams)',
    params: { Driver: 'handle', VersionAvailableParams: 'ptr' },
    ret: 'bool',
    impl: (k, a) => {
      driverOf(k, a.DriverGlobals, a.Driver, 'WdfDriverIsVersionAvailable');
      if (a.VersionAvailableParams === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfDriverIsVersionAvailable was passed NULL parameters');
      const P = wdfLayouts(k.arch).WDF_DRIVER_VERSION_AVAILABLE_PARAMS;
      const p = a.VersionAvailableParams;
      if (k.m.u32(p) !== P.size) return 0;
      const major = k.m.u32(p + BigInt(P.off.MajorVersion));
      const minor = k.m.u32(p + BigInt(P.off.MinorVersion));
      // The framework is KMDF 1.33: any 1.x up to that is available.
      return major === 1 && minor <= WDF_MINOR_VERSION ? 1 : 0;
    },
  }),
];

/** The service key path as a NUL-terminated string the framework keeps for the driver's lifetime. */
const registryPaths = new WeakMap<WdfClient, bigint>();
function registryPathString(k: Kernel, c: WdfClient): bigint {
  let p = registryPaths.get(c);
  if (p === undefined) {
    p = k.systemAlloc((c.registryPath.length + 1) * 2, 8);
    k.m.writeWString(p, c.registryPath);
    registryPaths.set(c, p);
  }
  return p;
}
