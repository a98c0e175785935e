// RtlGetVersion and RtlNtStatusToDosError: the version kdemu's kernel reports, and the status→Win32 mapping.

import { defineExport } from '../export.js';
import { STATUS, rtlNtStatusToDosError } from './ntstatus.js';

/** Windows 10 22H2, build 19045: what the emulated kernel reports everywhere (RtlGetVersion, KUSER_SHARED_DATA). */
export const OS_VERSION = { major: 10, minor: 0, build: 19045, platformId: 2 } as const;

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
      k.m.setU32(p + BigInt(o.dwMajorVersion), OS_VERSION.major);
      k.m.setU32(p + BigInt(o.dwMinorVersion), OS_VERSION.minor);
      k.m.setU32(p + BigInt(o.dwBuildNumber), OS_VERSION.build);
      k.m.setU32(p + BigInt(o.dwPlatformId), OS_VERSION.platformId);
      k.m.write(p + BigInt(o.szCSDVersion), new Uint8Array(256));
      if (size === L.RTL_OSVERSIONINFOEXW.size) {
        k.m.setU16(p + BigInt(o.wServicePackMajor), 0);
        k.m.setU16(p + BigInt(o.wServicePackMinor), 0);
        k.m.setU16(p + BigInt(o.wSuiteMask), 0x100); // VER_SUITE_SINGLEUSERTS
        k.m.setU8(p + BigInt(o.wProductType), 1); // VER_NT_WORKSTATION
        k.m.setU8(p + BigInt(o.wReserved), 0);
      }
      return STATUS.SUCCESS;
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
