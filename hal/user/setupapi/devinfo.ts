// setupapi.dll's device-interface enumeration, as programs use it to find a PnP or KMDF driver's device:
// SetupDiGetClassDevs(DIGCF_DEVICEINTERFACE), SetupDiEnumDeviceInterfaces, SetupDiGetDeviceInterfaceDetail,
// SetupDiEnumDeviceInfo and SetupDiDestroyDeviceInfoList.
//
// A device information set is built from the PnP manager's view when SetupDiGetClassDevs is called (as setupapi
// asks the configuration manager then): the root devices exposing interfaces of the class, and those interfaces.
// Setup-class enumeration (no DIGCF_DEVICEINTERFACE) needs INF-installed device classes, which kdemu's root devices
// do not have: it fails with ERROR_NOT_SUPPORTED rather than returning a made-up list.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { deviceInterfaces, guidString, rootDevices, type DeviceInterface, type RootDevice } from '../../io/pnpmgr.js';
import { ERROR, invalidHandle, setLastError } from '../kernel32/common.js';

/** setupapi is WINAPI: stdcall on x86. */
const sa = { module: 'setupapi.dll', cc: 'stdcall' } as const;

const DIGCF_DEFAULT = 0x1;
const DIGCF_PRESENT = 0x2;
const DIGCF_ALLCLASSES = 0x4;
const DIGCF_PROFILE = 0x8;
const DIGCF_DEVICEINTERFACE = 0x10;
const SPINT_ACTIVE = 0x1;

const ERROR_NO_MORE_ITEMS = 259;
const ERROR_NOT_SUPPORTED = 50;
const ERROR_INVALID_FLAGS = 1004;
const ERROR_INVALID_USER_BUFFER = 1784;
/** setupapi's own codes carry APPLICATION_ERROR_MASK | ERROR_SEVERITY_ERROR (winerror.h). */
const ERROR_NO_SUCH_DEVINST = 0xe000020b;

/**
 * The structures' sizes: setupapi.h packs them to 8 bytes on x64 and to 1 byte on x86, so the x86 detail
 * structures are 6 (W) and 5 (A) bytes. The GUID follows cbSize at +4 and Reserved is at +24 on both.
 */
function sizes(k: Kernel) {
  const x64 = k.ptrSize === 8;
  return { interfaceData: x64 ? 32 : 28, devinfoData: x64 ? 32 : 28, detailW: x64 ? 8 : 6, detailA: x64 ? 8 : 5 };
}
/** SP_DEVICE_INTERFACE_DATA / SP_DEVINFO_DATA: cbSize, GUID, Flags or DevInst, Reserved. */
const OFF = { guid: 4, dword: 20, reserved: 24 } as const;
/** offsetof(SP_DEVICE_INTERFACE_DETAIL_DATA, DevicePath) on both architectures. */
const DEVICE_PATH = 4;

interface SetInterface {
  readonly iface: DeviceInterface;
  readonly device: SetDevice;
  /** What SP_DEVICE_INTERFACE_DATA.Reserved holds: the element's identity within kdemu's setupapi. */
  readonly cookie: bigint;
}

interface SetDevice {
  readonly device: RootDevice;
  readonly cookie: bigint;
}

interface DevInfoSet {
  readonly devices: SetDevice[];
  readonly interfaces: SetInterface[];
}

interface SetupState {
  readonly sets: Map<bigint, DevInfoSet>;
  /** Devnode numbers (DEVINST) of the root devices, stable for the run. */
  readonly devnodes: WeakMap<RootDevice, number>;
  nextDevnode: number;
  nextCookie: bigint;
}

const states = new WeakMap<Kernel, SetupState>();

function state(k: Kernel): SetupState {
  let s = states.get(k);
  // Devnode 1 is the root of the device tree (HTREE\ROOT\0); the root-enumerated devices come after it.
  if (!s) states.set(k, (s = { sets: new Map(), devnodes: new WeakMap(), nextDevnode: 2, nextCookie: 1n }));
  return s;
}

function devnode(k: Kernel, d: RootDevice): number {
  const s = state(k);
  let n = s.devnodes.get(d);
  if (n === undefined) s.devnodes.set(d, (n = s.nextDevnode++));
  return n;
}

/** A value for Reserved: nonzero and unique, as setupapi's pointers to its own element records are. */
function cookie(k: Kernel): bigint {
  const s = state(k);
  return 0x5e7d0000n + (s.nextCookie++ << 4n);
}

function readGuid(k: Kernel, p: bigint): string {
  return guidString(k.m.read(p, 16));
}

/** The 16 bytes of "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}": Data1-3 little-endian, Data4 in order. */
function guidBytes(g: string): Uint8Array {
  const h = g.replace(/[{}-]/g, '');
  const b = new Uint8Array(16);
  const put = (at: number, hexText: string, reverse: boolean) => {
    const bytes = hexText.match(/../g)!.map((x) => parseInt(x, 16));
    b.set(reverse ? bytes.reverse() : bytes, at);
  };
  put(0, h.slice(0, 8), true);
  put(4, h.slice(8, 12), true);
  put(6, h.slice(12, 16), true);
  put(8, h.slice(16), false);
  return b;
}

/** The set a handle names; else ERROR_INVALID_HANDLE. */
function setOf(k: Kernel, h: bigint): DevInfoSet | undefined {
  const set = state(k).sets.get(h);
  if (!set) setLastError(k, ERROR.INVALID_HANDLE);
  return set;
}

function fail<T>(k: Kernel, error: number, value: T): T {
  setLastError(k, error);
  return value;
}

function getClassDevs(k: Kernel, fn: string, classGuid: bigint, enumerator: string | undefined, flags: number): bigint {
  const bad = invalidHandle(k);
  if (flags & ~(DIGCF_DEFAULT | DIGCF_PRESENT | DIGCF_ALLCLASSES | DIGCF_PROFILE | DIGCF_DEVICEINTERFACE)) return fail(k, ERROR_INVALID_FLAGS, bad);
  if (!(flags & DIGCF_ALLCLASSES) && classGuid === 0n) return fail(k, ERROR.INVALID_PARAMETER, bad);
  if (!(flags & DIGCF_DEVICEINTERFACE) || flags & DIGCF_DEFAULT) {
    // Device setup classes come from INF installation, and a class's default interface from the registry: kdemu's
    // root devices have neither, so rather than an empty set that looks like "no such device", the call fails.
    const what = flags & DIGCF_DEVICEINTERFACE ? 'DIGCF_DEFAULT (a class\'s default interface)' : 'a device setup class enumeration (no DIGCF_DEVICEINTERFACE)';
    if (k.trace.enabled) k.trace.emit({ type: 'note', text: `setupapi.dll!${fn} asks for ${what}, which kdemu does not model: ERROR_NOT_SUPPORTED`, at: k.symbolize(k.callerAddress()) });
    return fail(k, ERROR_NOT_SUPPORTED, bad);
  }
  const guid = flags & DIGCF_ALLCLASSES ? undefined : readGuid(k, classGuid);
  let devices = rootDevices(k);
  if (enumerator !== undefined && enumerator !== '') {
    // With DIGCF_DEVICEINTERFACE the Enumerator is one device's instance ID: only that device is examined.
    devices = devices.filter((d) => d.instance.toUpperCase() === enumerator.toUpperCase());
    if (devices.length === 0) return fail(k, ERROR_NO_SUCH_DEVINST, bad);
  }
  const present = (flags & DIGCF_PRESENT) !== 0;
  const set: DevInfoSet = { devices: [], interfaces: [] };
  for (const d of devices) {
    const own = deviceInterfaces(k).filter((i) => i.pdo === d.pdo && (guid === undefined || i.guid === guid) && (!present || i.enabled));
    if (own.length === 0) continue;
    const dev: SetDevice = { device: d, cookie: cookie(k) };
    set.devices.push(dev);
    for (const iface of own) set.interfaces.push({ iface, device: dev, cookie: cookie(k) });
  }
  // The handle is a block of the process heap, as setupapi's own set structures are.
  const h = k.userHeap.allocate(16, 0x44746553 /* 'SetD' */, 0, 'system', fn);
  if (h === null) return fail(k, ERROR.NOT_ENOUGH_MEMORY, bad);
  state(k).sets.set(h, set);
  setLastError(k, ERROR.SUCCESS);
  return h;
}

/** The element an input SP_DEVINFO_DATA names (cbSize and Reserved checked); else ERROR_INVALID_PARAMETER. */
function inputDevice(k: Kernel, set: DevInfoSet, p: bigint): SetDevice | undefined {
  const ok = k.m.u32(p) === sizes(k).devinfoData;
  const dev = ok ? set.devices.find((d) => d.cookie === k.m.ptr(p + BigInt(OFF.reserved))) : undefined;
  if (!dev) setLastError(k, ERROR.INVALID_PARAMETER);
  return dev;
}

function fillDevinfoData(k: Kernel, p: bigint, dev: SetDevice): void {
  // ClassGuid is the device's setup class, which an INF installation records. A root device kdemu enumerates from a
  // driver alone has none, and Windows reports GUID_NULL for a device without a class.
  k.m.fill(p + BigInt(OFF.guid), 16);
  k.m.setU32(p + BigInt(OFF.dword), devnode(k, dev.device));
  k.m.setPtr(p + BigInt(OFF.reserved), dev.cookie);
}

function enumDeviceInterfaces(k: Kernel, h: bigint, devinfoData: bigint, classGuid: bigint, index: number, out: bigint): number {
  const set = setOf(k, h);
  if (!set) return 0;
  if (out === 0n || k.m.u32(out) !== sizes(k).interfaceData) return fail(k, ERROR_INVALID_USER_BUFFER, 0);
  let dev: SetDevice | undefined;
  if (devinfoData !== 0n && !(dev = inputDevice(k, set, devinfoData))) return 0;
  if (classGuid === 0n) return fail(k, ERROR.INVALID_PARAMETER, 0);
  const guid = readGuid(k, classGuid);
  const found = set.interfaces.filter((i) => i.iface.guid === guid && (dev === undefined || i.device === dev))[index];
  if (!found) return fail(k, ERROR_NO_MORE_ITEMS, 0);
  k.m.write(out + BigInt(OFF.guid), guidBytes(found.iface.guid));
  // The interface's state now: it may have been disabled since the set was built.
  k.m.setU32(out + BigInt(OFF.dword), found.iface.enabled ? SPINT_ACTIVE : 0);
  k.m.setPtr(out + BigInt(OFF.reserved), found.cookie);
  setLastError(k, ERROR.SUCCESS);
  return 1;
}

/** "\??\ROOT#...#{guid}" as the Win32 path CreateFile takes: "\\?\ROOT#...#{guid}". */
function win32Path(link: string): string {
  return link.replace(/^\\\?\?\\/, '\\\\?\\');
}

function getDetail(k: Kernel, wide: boolean, h: bigint, ifaceData: bigint, detail: bigint, size: number, required: bigint, devinfoData: bigint): number {
  const set = setOf(k, h);
  if (!set) return 0;
  const sz = sizes(k);
  const found = ifaceData !== 0n && k.m.u32(ifaceData) === sz.interfaceData ? set.interfaces.find((i) => i.cookie === k.m.ptr(ifaceData + BigInt(OFF.reserved))) : undefined;
  if (!found) return fail(k, ERROR.INVALID_PARAMETER, 0);
  const charSize = wide ? 2 : 1;
  if (detail !== 0n && k.m.u32(detail) !== (wide ? sz.detailW : sz.detailA)) return fail(k, ERROR_INVALID_USER_BUFFER, 0);
  if (detail === 0n ? size !== 0 : size < DEVICE_PATH + charSize) return fail(k, ERROR_INVALID_USER_BUFFER, 0);
  if (devinfoData !== 0n && k.m.u32(devinfoData) !== sz.devinfoData) return fail(k, ERROR_INVALID_USER_BUFFER, 0);
  const path = win32Path(found.iface.link);
  const need = DEVICE_PATH + (path.length + 1) * charSize;
  if (required !== 0n) k.m.setU32(required, need);
  if (devinfoData !== 0n) fillDevinfoData(k, devinfoData, found.device);
  if (size < need) return fail(k, ERROR.INSUFFICIENT_BUFFER, 0);
  const bytes = new Uint8Array((path.length + 1) * charSize);
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (wide) {
      bytes[2 * i] = c & 0xff;
      bytes[2 * i + 1] = c >> 8;
    } else {
      bytes[i] = c; // instance IDs and GUIDs are ASCII
    }
  }
  k.m.write(detail + BigInt(DEVICE_PATH), bytes);
  setLastError(k, ERROR.SUCCESS);
  return 1;
}

function optionalString(k: Kernel, p: bigint, wide: boolean): string | undefined {
  if (p === 0n) return undefined;
  return wide ? k.m.wstring(p) : String.fromCharCode(...k.m.cstring(p, 0x1000));
}

export const exports = [
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...sa, name: `SetupDiGetClassDevs${w}`,
      proto: `HDEVINFO SetupDiGetClassDevs${w}(const GUID *ClassGuid, PC${w === 'W' ? 'W' : ''}STR Enumerator, HWND hwndParent, DWORD Flags)`,
      params: { ClassGuid: 'ptr', Enumerator: 'ptr', hwndParent: 'handle', Flags: 'u32' },
      ret: 'ptr',
      impl: (k, a) => getClassDevs(k, `SetupDiGetClassDevs${w}`, a.ClassGuid, optionalString(k, a.Enumerator, w === 'W'), a.Flags),
    }),
  ),
  defineExport({
    ...sa, name: 'SetupDiEnumDeviceInterfaces',
    proto: 'BOOL SetupDiEnumDeviceInterfaces(HDEVINFO DeviceInfoSet, PSP_DEVINFO_DATA DeviceInfoData, const GUID *InterfaceClassGuid, DWORD MemberIndex, PSP_DEVICE_INTERFACE_DATA DeviceInterfaceData)',
    params: { DeviceInfoSet: 'ptr', DeviceInfoData: 'ptr', InterfaceClassGuid: 'ptr', MemberIndex: 'u32', DeviceInterfaceData: 'ptr' },
    ret: 'i32',
    impl: (k, a) => enumDeviceInterfaces(k, a.DeviceInfoSet, a.DeviceInfoData, a.InterfaceClassGuid, a.MemberIndex, a.DeviceInterfaceData),
  }),
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...sa, name: `SetupDiGetDeviceInterfaceDetail${w}`,
      proto: `BOOL SetupDiGetDeviceInterfaceDetail${w}(HDEVINFO DeviceInfoSet, PSP_DEVICE_INTERFACE_DATA DeviceInterfaceData, PSP_DEVICE_INTERFACE_DETAIL_DATA_${w} DeviceInterfaceDetailData, DWORD DeviceInterfaceDetailDataSize, PDWORD RequiredSize, PSP_DEVINFO_DATA DeviceInfoData)`,
      params: { DeviceInfoSet: 'ptr', DeviceInterfaceData: 'ptr', DeviceInterfaceDetailData: 'ptr', DeviceInterfaceDetailDataSize: 'u32', RequiredSize: 'ptr', DeviceInfoData: 'ptr' },
      ret: 'i32',
      impl: (k, a) => getDetail(k, w === 'W', a.DeviceInfoSet, a.DeviceInterfaceData, a.DeviceInterfaceDetailData, a.DeviceInterfaceDetailDataSize, a.RequiredSize, a.DeviceInfoData),
    }),
  ),
  defineExport({
    ...sa, name: 'SetupDiEnumDeviceInfo',
    proto: 'BOOL SetupDiEnumDeviceInfo(HDEVINFO DeviceInfoSet, DWORD MemberIndex, PSP_DEVINFO_DATA DeviceInfoData)',
    params: { DeviceInfoSet: 'ptr', MemberIndex: 'u32', DeviceInfoData: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const set = setOf(k, a.DeviceInfoSet);
      if (!set) return 0;
      if (a.DeviceInfoData === 0n || k.m.u32(a.DeviceInfoData) !== sizes(k).devinfoData) return fail(k, ERROR_INVALID_USER_BUFFER, 0);
      const dev = set.devices[a.MemberIndex];
      if (!dev) return fail(k, ERROR_NO_MORE_ITEMS, 0);
      fillDevinfoData(k, a.DeviceInfoData, dev);
      setLastError(k, ERROR.SUCCESS);
      return 1;
    },
  }),
  defineExport({
    ...sa, name: 'SetupDiDestroyDeviceInfoList',
    proto: 'BOOL SetupDiDestroyDeviceInfoList(HDEVINFO DeviceInfoSet)',
    params: { DeviceInfoSet: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      const s = state(k);
      if (!s.sets.delete(a.DeviceInfoSet)) return fail(k, ERROR.INVALID_HANDLE, 0);
      k.userHeap.free_(a.DeviceInfoSet, 0);
      setLastError(k, ERROR.SUCCESS);
      return 1;
    },
  }),
];

