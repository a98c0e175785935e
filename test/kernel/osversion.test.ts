// The OS version a driver sees (RtlGetVersion, PsGetVersion, NtBuildNumber, KUSER_SHARED_DATA) and the routines that
// test it, at the default Windows 10 22H2 and at another version chosen with the osVersion run option (--os-version).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  let cached: ReturnType<typeof run> | undefined;
  const result = () => (cached ??= run(buildDriver('osversion', arch)));
  const lines = () => {
    const { report } = result();
    expect(report.outcome).toBe('completed');
    return report.dbgPrint;
  };

  it('every place the version shows agrees on 10.0.19045; NtBuildNumber marks a free build; PsGetVersion says not checked', () => {
    expect(lines().slice(0, 5)).toEqual([
      'RtlGetVersion: 10.0.19045\n',
      // No service pack: an empty CSD version string.
      'PsGetVersion: 10.0.19045 checked 0 csd length 0\n',
      'PsGetVersion major only: 10\n',
      'NtBuildNumber: f0004a65\n',
      'KUSER_SHARED_DATA: 10.0.19045\n',
    ]);
  });

  it('VerSetConditionMask records one type per call; RtlVerifyVersionInfo compares major.minor as one number', () => {
    expect(lines().slice(5, 17)).toEqual([
      // 3 bits per type: major is the second slot; with two types only the first (major) is set; product type is the 8th.
      'VerSetConditionMask major >= 18, major|minor == 8, product == 200000, condition 0 5\n',
      // 10.0 >= 6.2: the major version decides (a minor of 0 < 2 does not matter).
      'RtlVerifyVersionInfo >= 6.2: 00000000\n',
      'RtlVerifyVersionInfo >= 10.0: 00000000\n',
      // STATUS_REVISION_MISMATCH.
      'RtlVerifyVersionInfo >= 10.1: c0000059\n',
      'RtlVerifyVersionInfo >= 11.0: c0000059\n',
      'RtlVerifyVersionInfo == 10.0: 00000000\n',
      'RtlVerifyVersionInfo == 6.3: c0000059\n',
      'RtlVerifyVersionInfo build > 19044: 00000000\n',
      'RtlVerifyVersionInfo build > 19045: c0000059\n',
      'RtlVerifyVersionInfo workstation, single-user TS: 00000000\n',
      // STATUS_INVALID_PARAMETER without a type or a condition.
      'RtlVerifyVersionInfo no type: c000000d\n',
      'RtlVerifyVersionInfo no condition: c000000d\n',
    ]);
  });

  it('IoIsWdmVersionAvailable (WDM 6.00), RtlIsNtDdiVersionAvailable (NTDDI_WIN10_VB) and RtlIsServicePackVersionInstalled (no service pack)', () => {
    expect(lines().slice(17)).toEqual([
      'IoIsWdmVersionAvailable 1.0 1 1.30 1 6.0 1 6.1 0 7.0 0\n',
      'RtlIsNtDdiVersionAvailable WIN7 1 WIN10 1 WIN10_VB 1 WIN10_MN 0 WIN11 0\n',
      'RtlIsServicePackVersionInstalled WS08SP2 1 WIN7 1 WIN7SP1 1 WIN10 1\n',
    ]);
  });

  it('the osVersion option changes every one of them together', () => {
    const { report } = run(buildDriver('osversion', arch), [], { osVersion: { major: 6, minor: 1, build: 7601 } });
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toEqual([
      'RtlGetVersion: 6.1.7601\n',
      'PsGetVersion: 6.1.7601 checked 0 csd length 0\n',
      'PsGetVersion major only: 6\n',
      'NtBuildNumber: f0001db1\n',
      'KUSER_SHARED_DATA: 6.1.7601\n',
      'VerSetConditionMask major >= 18, major|minor == 8, product == 200000, condition 0 5\n',
      'RtlVerifyVersionInfo >= 6.2: c0000059\n',
      'RtlVerifyVersionInfo >= 10.0: c0000059\n',
      'RtlVerifyVersionInfo >= 10.1: c0000059\n',
      'RtlVerifyVersionInfo >= 11.0: c0000059\n',
      'RtlVerifyVersionInfo == 10.0: c0000059\n',
      'RtlVerifyVersionInfo == 6.3: c0000059\n',
      'RtlVerifyVersionInfo build > 19044: c0000059\n',
      'RtlVerifyVersionInfo build > 19045: c0000059\n',
      'RtlVerifyVersionInfo workstation, single-user TS: 00000000\n',
      'RtlVerifyVersionInfo no type: c000000d\n',
      'RtlVerifyVersionInfo no condition: c000000d\n',
      'IoIsWdmVersionAvailable 1.0 1 1.30 1 6.0 1 6.1 0 7.0 0\n',
      // Windows 7 has no Windows 10 DDI; its service pack level is 0, so SP1's check fails.
      'RtlIsNtDdiVersionAvailable WIN7 1 WIN10 0 WIN10_VB 0 WIN10_MN 0 WIN11 0\n',
      'RtlIsServicePackVersionInstalled WS08SP2 1 WIN7 1 WIN7SP1 0 WIN10 0\n',
    ]);
  });

  it('every result comes from the kernel exports', () => {
    const called = new Set(events(result().trace, 'call').map((e) => e.export.replace(/^ntoskrnl\.exe!/, '')));
    for (const name of ['RtlGetVersion', 'PsGetVersion', 'RtlVerifyVersionInfo', 'VerSetConditionMask', 'IoIsWdmVersionAvailable', 'RtlIsNtDdiVersionAvailable',
      'RtlIsServicePackVersionInstalled']) {
      expect(called, name).toContain(name);
    }
  });
});
