// The OS version the emulated kernel reports (--os-version) and the routines that report or test it: RtlGetVersion,
// PsGetVersion, RtlVerifyVersionInfo, VerSetConditionMask, IoIsWdmVersionAvailable, RtlIsNtDdiVersionAvailable,
// RtlIsServicePackVersionInstalled; and RtlNtStatusToDosError, the status→Win32 mapping.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS, rtlNtStatusToDosError } from './ntstatus.js';

export interface OsVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/** Windows 10 22H2, build 19045: the default (RtlGetVersion, PsGetVersion, NtBuildNumber, KUSER_SHARED_DATA, PEB). */
export const DEFAULT_OS_VERSION: OsVersion = Object.freeze({ major: 10, minor: 0, build: 19045 });
/** VER_PLATFORM_WIN32_NT. */
export const PLATFORM_ID = 2;

const versions = new WeakMap<Kernel, OsVersion>();

/** Sets the version a machine reports; before boot, so that every place that holds it agrees. */
export function setOsVersion(k: Kernel, v: OsVersion): void {
  versions.set(k, Object.freeze({ ...v }));
}

/** The version this machine reports. */
export function osVersion(k: Kernel): OsVersion {
  return versions.get(k) ?? DEFAULT_OS_VERSION;
}

/** NtBuildNumber's value: the high nibble 0xF marks a free (retail) build, 0xC a checked one. */
export function ntBuildNumber(k: Kernel): number {
  return (0xf0000000 | osVersion(k).build) >>> 0;
}

// No service pack, a workstation with one interactive session: what RtlGetVersion's EX fields and the comparisons use.
const SERVICE_PACK = { major: 0, minor: 0 };
const SUITE_MASK = 0x100; // VER_SUITE_SINGLEUSERTS
const PRODUCT_TYPE = 1; // VER_NT_WORKSTATION

/**
 * The sub-version byte of Windows 10's and 11's NTDDI values (NTDDI_WIN10_TH2 = 0x0A000001 ...) by the first build of
 * each release, as sdkddkver.h numbers them; later builds of a release (19045 is 22H2 on the 2004 base) share it.
 */
const NTDDI_WIN10_RELEASES: readonly [build: number, sub: number][] = [
  [10240, 0x0], [10586, 0x1], [14393, 0x2], [15063, 0x3], [16299, 0x4], [17134, 0x5], [17763, 0x6], [18362, 0x7],
  [19041, 0x8], [20348, 0xa], [22000, 0xb], [22621, 0xc], [26100, 0x10],
];

/** The NTDDI version of the running system: (major << 24) | (minor << 16) | the service pack or Windows 10 release. */
export function ntddiVersion(k: Kernel): number {
  const v = osVersion(k);
  let low = (SERVICE_PACK.major << 8) | SERVICE_PACK.minor;
  if (v.major === 10 && v.minor === 0) {
    low = 0;
    for (const [build, sub] of NTDDI_WIN10_RELEASES) if (v.build >= build) low = sub;
  }
  return ((v.major << 24) | (v.minor << 16) | low) >>> 0;
}

// VER_* type bits and the condition each takes in the 64-bit condition mask (3 bits per type).
const VER_MINORVERSION = 0x1;
const VER_MAJORVERSION = 0x2;
const VER_BUILDNUMBER = 0x4;
const VER_PLATFORMID = 0x8;
const VER_SERVICEPACKMINOR = 0x10;
const VER_SERVICEPACKMAJOR = 0x20;
const VER_SUITENAME = 0x40;
const VER_PRODUCT_TYPE = 0x80;
const VER_EQUAL = 1, VER_GREATER = 2, VER_GREATER_EQUAL = 3, VER_LESS = 4, VER_LESS_EQUAL = 5, VER_AND = 6, VER_OR = 7;

/** The slot (times 3 bits) of each type bit in the mask, in the priority VerSetConditionMask picks one type by. */
const SET_ORDER: readonly [bit: number, slot: number][] = [
  [VER_PRODUCT_TYPE, 7], [VER_SUITENAME, 6], [VER_SERVICEPACKMAJOR, 5], [VER_SERVICEPACKMINOR, 4],
  [VER_PLATFORMID, 3], [VER_BUILDNUMBER, 2], [VER_MAJORVERSION, 1], [VER_MINORVERSION, 0],
];

function conditionOf(mask: bigint, bit: number): number {
  const slot = SET_ORDER.find(([b]) => b === bit)![1];
  return Number((mask >> BigInt(3 * slot)) & 7n);
}

/** The running system's value compared with the required one, as the condition says (AND/OR are for suites only). */
function satisfies(system: number, required: number, condition: number): boolean {
  switch (condition) {
    case VER_EQUAL: return system === required;
    case VER_GREATER: return system > required;
    case VER_GREATER_EQUAL: return system >= required;
    case VER_LESS: return system < required;
    case VER_LESS_EQUAL: return system <= required;
    default: return false;
  }
}

/**
 * RtlVerifyVersionInfo's test. Product type, suite, platform and build are each tested on their own. Major, minor,
 * service pack major and minor form one number compared lexicographically: the first of them given that differs
 * decides, with the condition of the first one given (so "major >= 6 and minor >= 2" holds on 10.0).
 */
function verify(k: Kernel, info: bigint, typeMask: number, mask: bigint): number {
  if (typeMask === 0 || mask === 0n) return STATUS.INVALID_PARAMETER;
  const o = k.L.RTL_OSVERSIONINFOEXW.off;
  const v = osVersion(k);
  const req = {
    major: k.m.u32At(info, o.dwMajorVersion),
    minor: k.m.u32At(info, o.dwMinorVersion),
    build: k.m.u32At(info, o.dwBuildNumber),
    platform: k.m.u32At(info, o.dwPlatformId),
    spMajor: k.m.u16At(info, o.wServicePackMajor),
    spMinor: k.m.u16At(info, o.wServicePackMinor),
    suite: k.m.u16At(info, o.wSuiteMask),
    product: k.m.u8At(info, o.wProductType),
  };
  if (typeMask & VER_PRODUCT_TYPE && !satisfies(PRODUCT_TYPE, req.product, conditionOf(mask, VER_PRODUCT_TYPE))) return STATUS.REVISION_MISMATCH;
  if (typeMask & VER_SUITENAME) {
    const c = conditionOf(mask, VER_SUITENAME);
    if (c === VER_AND) {
      if ((req.suite & SUITE_MASK) !== req.suite) return STATUS.REVISION_MISMATCH;
    } else if (c === VER_OR) {
      if (req.suite !== 0 && (req.suite & SUITE_MASK) === 0) return STATUS.REVISION_MISMATCH;
    } else {
      return STATUS.INVALID_PARAMETER;
    }
  }
  if (typeMask & VER_PLATFORMID && !satisfies(PLATFORM_ID, req.platform, conditionOf(mask, VER_PLATFORMID))) return STATUS.REVISION_MISMATCH;
  if (typeMask & VER_BUILDNUMBER && !satisfies(v.build, req.build, conditionOf(mask, VER_BUILDNUMBER))) return STATUS.REVISION_MISMATCH;
  const parts: [bit: number, system: number, required: number][] = [
    [VER_MAJORVERSION, v.major, req.major],
    [VER_MINORVERSION, v.minor, req.minor],
    [VER_SERVICEPACKMAJOR, SERVICE_PACK.major, req.spMajor],
    [VER_SERVICEPACKMINOR, SERVICE_PACK.minor, req.spMinor],
  ];
  let condition = 0;
  for (const [bit, system, required] of parts) {
    if (!(typeMask & bit)) continue;
    if (condition === 0) condition = conditionOf(mask, bit);
    // Equal so far: the next part given decides (or, with none left, equality itself is tested).
    if (system !== required) return satisfies(system, required, condition) ? STATUS.SUCCESS : STATUS.REVISION_MISMATCH;
  }
  return condition === 0 || satisfies(0, 0, condition) ? STATUS.SUCCESS : STATUS.REVISION_MISMATCH;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlGetVersion',
    cc: 'stdcall',
    proto: 'NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation)',
    params: { lpVersionInformation: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const p = a.lpVersionInformation;
      const L = k.L;
      const size = k.m.u32(p + BigInt(L.RTL_OSVERSIONINFOW.off.dwOSVersionInfoSize));
      const o = L.RTL_OSVERSIONINFOEXW.off;
      if (size !== L.RTL_OSVERSIONINFOW.size && size !== L.RTL_OSVERSIONINFOEXW.size) return STATUS.INVALID_PARAMETER;
      const v = osVersion(k);
      k.m.setU32(p + BigInt(o.dwMajorVersion), v.major);
      k.m.setU32(p + BigInt(o.dwMinorVersion), v.minor);
      k.m.setU32(p + BigInt(o.dwBuildNumber), v.build);
      k.m.setU32(p + BigInt(o.dwPlatformId), PLATFORM_ID);
      k.m.write(p + BigInt(o.szCSDVersion), new Uint8Array(256));
      if (size === L.RTL_OSVERSIONINFOEXW.size) {
        k.m.setU16(p + BigInt(o.wServicePackMajor), SERVICE_PACK.major);
        k.m.setU16(p + BigInt(o.wServicePackMinor), SERVICE_PACK.minor);
        k.m.setU16(p + BigInt(o.wSuiteMask), SUITE_MASK);
        k.m.setU8(p + BigInt(o.wProductType), PRODUCT_TYPE);
        k.m.setU8(p + BigInt(o.wReserved), 0);
      }
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'PsGetVersion',
    cc: 'stdcall',
    proto: 'BOOLEAN PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber, PUNICODE_STRING CSDVersion)',
    params: { MajorVersion: 'ptr', MinorVersion: 'ptr', BuildNumber: 'ptr', CSDVersion: 'ptr' },
    ret: 'bool',
    impl: (k, a) => {
      const v = osVersion(k);
      if (a.MajorVersion !== 0n) k.m.setU32(a.MajorVersion, v.major);
      if (a.MinorVersion !== 0n) k.m.setU32(a.MinorVersion, v.minor);
      if (a.BuildNumber !== 0n) k.m.setU32(a.BuildNumber, ntBuildNumber(k) & 0xffff);
      if (a.CSDVersion !== 0n) {
        // The kernel's own CSD version string: no service pack, so an empty string (its buffer a lone terminator).
        const o = k.L.UNICODE_STRING.off;
        k.m.setU16At(a.CSDVersion, o.Length, 0);
        k.m.setU16At(a.CSDVersion, o.MaximumLength, 2);
        k.m.setPtrAt(a.CSDVersion, o.Buffer, emptyCsdString(k));
      }
      // TRUE for a checked build only; NtBuildNumber says free.
      return ntBuildNumber(k) >>> 28 === 0xc ? 1 : 0;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlVerifyVersionInfo',
    cc: 'stdcall',
    proto: 'NTSTATUS RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW VersionInfo, ULONG TypeMask, ULONGLONG ConditionMask)',
    params: { VersionInfo: 'ptr', TypeMask: 'u32', ConditionMask: 'u64' },
    ret: 'status',
    impl: (k, a) => verify(k, a.VersionInfo, a.TypeMask, a.ConditionMask),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'VerSetConditionMask',
    cc: 'stdcall',
    proto: 'ULONGLONG VerSetConditionMask(ULONGLONG ConditionMask, ULONG TypeMask, UCHAR Condition)',
    params: { ConditionMask: 'u64', TypeMask: 'u32', Condition: 'u8' },
    ret: 'u64',
    impl: (_k, a) => {
      const c = a.Condition & 7;
      if (a.TypeMask === 0 || c === 0) return a.ConditionMask;
      // One type per call: with several bits set, only the first in this order is recorded.
      const hit = SET_ORDER.find(([bit]) => a.TypeMask & bit);
      if (!hit) return a.ConditionMask;
      return a.ConditionMask | (BigInt(c) << BigInt(3 * hit[1]));
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoIsWdmVersionAvailable',
    cc: 'stdcall',
    proto: 'BOOLEAN IoIsWdmVersionAvailable(UCHAR MajorVersion, UCHAR MinorVersion)',
    params: { MajorVersion: 'u8', MinorVersion: 'u8' },
    ret: 'bool',
    impl: (k, a) => {
      const [major, minor] = wdmVersion(osVersion(k));
      return a.MajorVersion < major || (a.MajorVersion === major && a.MinorVersion <= minor) ? 1 : 0;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlIsNtDdiVersionAvailable',
    cc: 'stdcall',
    proto: 'BOOLEAN RtlIsNtDdiVersionAvailable(ULONG Version)',
    params: { Version: 'u32' },
    ret: 'bool',
    impl: (k, a) => (a.Version <= ntddiVersion(k) ? 1 : 0),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlIsServicePackVersionInstalled',
    cc: 'stdcall',
    proto: 'BOOLEAN RtlIsServicePackVersionInstalled(ULONG Version)',
    params: { Version: 'u32' },
    ret: 'bool',
    impl: (k, a) => {
      // Major, minor and the installed service pack (none): NTDDI_WIN7 holds on 10.0, NTDDI_WS08SP2 (6.0 SP2) too.
      const v = osVersion(k);
      const installed = ((v.major << 24) | (v.minor << 16) | (SERVICE_PACK.major << 8) | SERVICE_PACK.minor) >>> 0;
      return a.Version <= installed ? 1 : 0;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'RtlNtStatusToDosError',
    cc: 'stdcall',
    proto: 'ULONG RtlNtStatusToDosError(NTSTATUS Status)',
    params: { Status: 'status' },
    ret: 'u32',
    impl: (_k, a) => rtlNtStatusToDosError(a.Status),
  }),
];

/**
 * The WDM version each Windows provides (WDM_MAJORVERSION/WDM_MINORVERSION): 6.00 from Vista on (Microsoft's table
 * stops growing there), 1.30 on Server 2003, 1.20 on XP, 1.10 on 2000.
 */
function wdmVersion(v: OsVersion): [number, number] {
  if (v.major >= 6) return [6, 0x00];
  if (v.major === 5 && v.minor >= 2) return [1, 0x30];
  if (v.major === 5 && v.minor === 1) return [1, 0x20];
  if (v.major === 5) return [1, 0x10];
  return [1, 0x00];
}

const csdStrings = new WeakMap<Kernel, bigint>();

function emptyCsdString(k: Kernel): bigint {
  let a = csdStrings.get(k);
  if (a === undefined) csdStrings.set(k, (a = k.m.actingAs(-1, () => k.systemAlloc(2, 2))));
  return a;
}
