// wdfldr.sys: binding a KMDF client to the framework (WdfVersionBind, WdfVersionUnbind, WdfVersionBindClass,
// WdfLdrQueryInterface).
//
// A KMDF driver's stub (FxDriverEntry) calls WdfVersionBind before DriverEntry with its WDF_BIND_INFO: the KMDF
// version it was built for and its function table. The framework kdemu plays is KMDF 1.33 (458 entries). As the
// framework's client registration does: a FuncCount above the framework's count is refused; a count up to 1.13's
// (438) must be exactly one released table size, and the client gets a copy of that many entries in its own
// array; a larger count is a 1.15+ client, whose FuncTable points at its WdfFunctions pointer, which is set to the
// framework's table. The client's WDF_DRIVER_GLOBALS comes back through ComponentGlobals.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { wdfLayouts } from './layout.js';
import { OLD_TABLE_SIZES, WDF_FUNCTION_COUNT, WDF_MINOR_VERSION } from './table.js';
import { functionTable, wdfState, type WdfClient } from './client.js';
import { unbindClient } from './driver.js';
import { WdfExecutionLevelDispatch, WdfSynchronizationScopeNone } from './lock.js';

const LDR = 'wdfldr.sys';
/** The largest table a client copies (KMDF 1.13's); larger clients reference the framework's table. */
const COPIED_TABLE_MAX = 438;
/** 'FxDg': the globals' pool tag. */
const TAG_GLOBALS = 0x67447846;

/** The driver's pool tag as the framework derives it: the first four characters of its service name. */
function serviceTag(name: string): number {
  const s = (name + '    ').slice(0, 4);
  let t = 0;
  for (let i = 3; i >= 0; i--) t = (t << 8) | (s.charCodeAt(i) & 0xff);
  return t >>> 0;
}

function bind(k: Kernel, driverObject: bigint, registryPath: bigint, info: bigint, out: bigint): number {
  const m = k.m;
  const B = wdfLayouts(k.arch).WDF_BIND_INFO;
  if (info === 0n || out === 0n || registryPath === 0n) return STATUS.INVALID_PARAMETER;
  if (m.u32(info) !== B.size) return STATUS.INVALID_PARAMETER;
  const major = m.u32(info + BigInt(B.off['Version.Major']));
  const minor = m.u32(info + BigInt(B.off['Version.Minor']));
  // Only KMDF 1's library (Wdf01000.sys) is installed: another major version has no library to load.
  if (major !== 1) return STATUS.OBJECT_NAME_NOT_FOUND;
  // A client built for a newer framework than the installed one is refused.
  if (minor > WDF_MINOR_VERSION) return STATUS.REVISION_MISMATCH;
  const count = m.u32(info + BigInt(B.off.FuncCount));
  const table = m.ptr(info + BigInt(B.off.FuncTable));
  if (table === 0n || count === 0 || count > WDF_FUNCTION_COUNT) return STATUS.INVALID_PARAMETER;
  if (count <= COPIED_TABLE_MAX && ![...OLD_TABLE_SIZES.values()].includes(count)) return STATUS.INVALID_PARAMETER;
  const driver = k.io.driverAt(driverObject);
  if (!driver) return STATUS.INVALID_PARAMETER;
  const G = wdfLayouts(k.arch).WDF_DRIVER_GLOBALS;
  const globals = m.actingAs(0, () => k.pool.allocate(G.size, TAG_GLOBALS, 0, 'system', 'WdfVersionBind'));
  if (globals === null) return STATUS.INSUFFICIENT_RESOURCES;
  m.fill(globals, G.size);
  const name = new TextEncoder().encode(driver.name.slice(0, 31));
  m.write(globals + BigInt(G.off.DriverName), name);
  m.setU32(globals + BigInt(G.off.DriverTag), serviceTag(driver.name));
  const fx = functionTable(k);
  if (count <= COPIED_TABLE_MAX) m.write(table, m.read(fx, count * k.ptrSize));
  else m.setPtr(table, fx);
  m.setPtr(out, globals);
  const client: WdfClient = {
    globals, bindInfo: info, minor, funcCount: count, driver, registryPath: readUnicodeString(k, registryPath),
    deviceAdd: 0n, unload: 0n, initFlags: 0, poolTag: 0, syncScope: WdfSynchronizationScopeNone, executionLevel: WdfExecutionLevelDispatch, unbound: false,
  };
  wdfState(k).clients.set(globals, client);
  return STATUS.SUCCESS;
}

function unbind(k: Kernel, info: bigint, globals: bigint): number {
  const c = wdfState(k).clients.get(globals);
  if (info === 0n || !c || c.unbound || c.bindInfo !== info) return STATUS.UNSUCCESSFUL;
  unbindClient(k, c);
  return STATUS.SUCCESS;
}

/** GUID_WDF_LOADER_INTERFACE_STANDARD {49215DFF-F5AC-4901-8588-AB3D540F6021}, as its 16 bytes. */
const LOADER_INTERFACE_STANDARD = Uint8Array.from([0xff, 0x5d, 0x21, 0x49, 0xac, 0xf5, 0x01, 0x49, 0x85, 0x88, 0xab, 0x3d, 0x54, 0x0f, 0x60, 0x21]);

/**
 * WdfLdrQueryInterface(PWDF_INTERFACE_HEADER): the loader's standard interface (RegisterLibrary, VersionBind,
 * VersionUnbind, DiagnosticsHandler after the header { GUID* InterfaceType; ULONG InterfaceSize; }). Framework
 * libraries use it; kdemu has no library registration, so that slot (and the diagnostics one) is an entry that
 * stops the run when called.
 */
function queryInterface(k: Kernel, header: bigint): number {
  if (header === 0n) return STATUS.INVALID_PARAMETER;
  const m = k.m;
  const p = k.ptrSize;
  const guid = m.ptr(header);
  if (guid === 0n) return STATUS.INVALID_PARAMETER;
  const g = m.read(guid, 16);
  if (!g.every((b, i) => b === LOADER_INTERFACE_STANDARD[i])) return STATUS.NOINTERFACE;
  const size = 2 * p + 4 * p;
  if (m.u32(header + BigInt(p)) < size) return STATUS.INVALID_PARAMETER;
  const names = ['WdfRegisterLibrary', 'WdfVersionBind', 'WdfVersionUnbind', 'WdfLdrDiagnosticsHandler'];
  names.forEach((n, i) => m.setPtr(header + BigInt(2 * p + i * p), k.resolveImport(LDR, n)));
  return STATUS.SUCCESS;
}

export const exports = [
  defineExport({
    module: LDR,
    name: 'WdfVersionBind',
    cc: 'stdcall',
    proto: 'NTSTATUS WdfVersionBind(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo, PWDF_COMPONENT_GLOBALS *ComponentGlobals)',
    params: { DriverObject: 'ptr', RegistryPath: 'pustr', BindInfo: 'ptr', ComponentGlobals: 'ptr' },
    ret: 'status',
    impl: (k, a) => bind(k, a.DriverObject, a.RegistryPath, a.BindInfo, a.ComponentGlobals),
  }),
  defineExport({
    module: LDR,
    name: 'WdfVersionUnbind',
    cc: 'stdcall',
    proto: 'NTSTATUS WdfVersionUnbind(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo, PWDF_COMPONENT_GLOBALS ComponentGlobals)',
    params: { RegistryPath: 'pustr', BindInfo: 'ptr', ComponentGlobals: 'ptr' },
    ret: 'status',
    impl: (k, a) => unbind(k, a.BindInfo, a.ComponentGlobals),
  }),
  defineExport({
    module: LDR,
    name: 'WdfVersionBindClass',
    cc: 'stdcall',
    proto: 'NTSTATUS WdfVersionBindClass(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo, PWDF_COMPONENT_GLOBALS Globals, PWDF_CLASS_BIND_INFO ClassBindInfo)',
    params: { RegistryPath: 'pustr', BindInfo: 'ptr', Globals: 'ptr', ClassBindInfo: 'ptr' },
    ret: 'status',
    // No class extension library (a framework "class" such as SpbCx) is installed in the emulated machine: loading
    // the one named finds no such service.
    impl: (k, a) => (a.BindInfo === 0n || a.ClassBindInfo === 0n || !wdfState(k).clients.has(a.Globals) ? STATUS.INVALID_PARAMETER : STATUS.OBJECT_NAME_NOT_FOUND),
  }),
  defineExport({
    module: LDR,
    name: 'WdfLdrQueryInterface',
    cc: 'stdcall',
    proto: 'NTSTATUS WdfLdrQueryInterface(PWDF_INTERFACE_HEADER LoaderInterface)',
    params: { LoaderInterface: 'ptr' },
    ret: 'status',
    impl: (k, a) => queryInterface(k, a.LoaderInterface),
  }),
];
