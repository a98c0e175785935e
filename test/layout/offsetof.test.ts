// Checks every described structure and field path, on x86 and x64, against offsetof/sizeof from mingw-w64's ntddk.h.

import { describe, expect, it } from 'vitest';
import { defs, layouts, type Arch } from '../../hal/layout/index.js';
import { probeItems, runProbe } from './probe.js';

const hex = (n: number) => `0x${n.toString(16)}`;

describe.each<Arch>(['x86', 'x64'])('%s layouts', (arch) => {
  it('match offsetof and sizeof from mingw-w64 ntddk.h, winternl.h, winnt.h and stdio.h for every structure and field path', () => {
    const probe = probeItems(arch);
    const { items, skipped } = probe;
    // Every described type is in the probe (whole, or by its fields when mingw-w64 declares another length), unless
    // no mingw-w64 header declares it.
    for (const name of Object.keys(defs)) {
      const probed = items.some((it) => it.label.startsWith(`${name} `) || it.label.startsWith(`${name}.`));
      expect(probed || skipped.includes(`${name} (no mingw-w64 header declares it)`), name).toBe(true);
    }
    expect(items.length).toBeGreaterThan(1000);
    // The user-mode structures are measured against the user-mode headers.
    for (const name of ['PEB', 'TEB', 'RTL_USER_PROCESS_PARAMETERS', 'RTL_CRITICAL_SECTION', 'FILE']) {
      expect(items.filter((it) => it.label.startsWith(`${name}.`)).every((it) => it.headers === 'sdk'), name).toBe(true);
    }

    const measured = runProbe(arch, probe);
    expect(measured).toHaveLength(items.length);
    const mismatches = items.flatMap((it, i) =>
      measured[i] === it.expected ? [] : [`${arch} ${it.label}: kdemu ${hex(it.expected)}, mingw-w64 ${hex(measured[i]!)}`],
    );
    expect(mismatches).toEqual([]);
  });
});

describe('known Windows layouts', () => {
  it('give the x64 sizes and offsets drivers depend on', () => {
    const L = layouts('x64');
    expect(L.IRP.size).toBe(0xd0);
    expect(L.IRP.off['Tail.Overlay.CurrentStackLocation']).toBe(0xb8);
    expect(L.IO_STACK_LOCATION.size).toBe(0x48);
    expect(L.DEVICE_OBJECT.size).toBe(0x150);
    expect(L.DRIVER_OBJECT.size).toBe(0x150);
    expect(L.DRIVER_OBJECT.off.MajorFunction).toBe(0x70);
    expect(L.FILE_OBJECT.size).toBe(0xd8);
    expect(L.MDL.size).toBe(0x30);
  });

  it('give the x86 sizes and offsets drivers depend on', () => {
    const L = layouts('x86');
    expect(L.IRP.size).toBe(0x70);
    expect(L.IRP.off['Tail.Overlay.CurrentStackLocation']).toBe(0x60);
    expect(L.IO_STACK_LOCATION.size).toBe(0x24);
    expect(L.DEVICE_OBJECT.size).toBe(0xb8);
    expect(L.DRIVER_OBJECT.size).toBe(0xa8);
    expect(L.DRIVER_OBJECT.off.MajorFunction).toBe(0x38);
    expect(L.FILE_OBJECT.size).toBe(0x80);
    expect(L.MDL.size).toBe(0x1c);
  });

  // Windows 10's own offsets for what kdemu writes in structures mingw-w64 declares only in part (or not at
  // all): what user code and drivers read inline (fs:[0x30] is the PEB, fs:[0x124] the current thread ...).
  it.each([
    ['x64', { imageBase: 0x10, ldr: 0x18, params: 0x20, heap: 0x30, processors: 0xb8, major: 0x118, minor: 0x11c, build: 0x120, platform: 0x124, pebSize: 0x7c8, tebSelf: 0x30, tls: 0x58, peb: 0x60, lastError: 0x68, tlsSlots: 0x1480, tebSize: 0x1838, stdIn: 0x20, imagePath: 0x60, commandLine: 0x70, pcrSelf: 0x18, prcb: 0x20, irql: 0x50, currentThread: 0x188, spinCount: 0x20, csSize: 0x28, fileSize: 0x30, fileFlag: 0x18, fileFile: 0x1c }],
    ['x86', { imageBase: 0x8, ldr: 0xc, params: 0x10, heap: 0x18, processors: 0x64, major: 0xa4, minor: 0xa8, build: 0xac, platform: 0xb0, pebSize: 0x480, tebSelf: 0x18, tls: 0x2c, peb: 0x30, lastError: 0x34, tlsSlots: 0xe10, tebSize: 0xfe8, stdIn: 0x18, imagePath: 0x38, commandLine: 0x40, pcrSelf: 0x1c, prcb: 0x20, irql: 0x24, currentThread: 0x124, spinCount: 0x14, csSize: 0x18, fileSize: 0x20, fileFlag: 0xc, fileFile: 0x10 }],
  ] as const)('give the %s user-mode and processor offsets Windows has', (arch, w) => {
    const L = layouts(arch);
    const P = L.PEB.off;
    expect([P.ImageBaseAddress, P.Ldr, P.ProcessParameters, P.ProcessHeap, P.NumberOfProcessors]).toEqual([w.imageBase, w.ldr, w.params, w.heap, w.processors]);
    expect([P.OSMajorVersion, P.OSMinorVersion, P.OSBuildNumber, P.OSPlatformId, L.PEB.size]).toEqual([w.major, w.minor, w.build, w.platform, w.pebSize]);
    const T = L.TEB.off;
    expect([T['NtTib.Self'], T.ThreadLocalStoragePointer, T.ProcessEnvironmentBlock, T.LastErrorValue, T.TlsSlots, L.TEB.size]).toEqual([w.tebSelf, w.tls, w.peb, w.lastError, w.tlsSlots, w.tebSize]);
    const R = L.RTL_USER_PROCESS_PARAMETERS.off;
    expect([R.StandardInput, R.ImagePathName, R.CommandLine]).toEqual([w.stdIn, w.imagePath, w.commandLine]);
    expect([L.RTL_CRITICAL_SECTION.off.SpinCount, L.RTL_CRITICAL_SECTION.size]).toEqual([w.spinCount, w.csSize]);
    expect([L.FILE.size, L.FILE.off._flag, L.FILE.off._file]).toEqual([w.fileSize, w.fileFlag, w.fileFile]);
    const pcr = arch === 'x64'
      ? { self: layouts('x64').KPCR.off.Self, prcb: layouts('x64').KPCR.off.CurrentPrcb, irql: layouts('x64').KPCR.off.Irql, thread: layouts('x64').KPCR.off['Prcb.CurrentThread'] }
      : { self: layouts('x86').KPCR.off.SelfPcr, prcb: layouts('x86').KPCR.off.Prcb, irql: layouts('x86').KPCR.off.Irql, thread: layouts('x86').KPCR.off['PrcbData.CurrentThread'] };
    expect([pcr.self, pcr.prcb, pcr.irql, pcr.thread]).toEqual([w.pcrSelf, w.prcb, w.irql, w.currentThread]);
  });

  it('give KUSER_SHARED_DATA the same offsets on both architectures, where Windows 10 has them', () => {
    for (const arch of ['x86', 'x64'] as const) {
      const K = layouts(arch).KUSER_SHARED_DATA.off;
      expect([K.TickCountMultiplier, K.InterruptTime, K.SystemTime, K.ImageNumberLow, K.NtSystemRoot]).toEqual([0x4, 0x8, 0x14, 0x2c, 0x30]);
      expect([K.NtBuildNumber, K.NtProductType, K.ProductTypeIsValid, K.NativeProcessorArchitecture, K.NtMajorVersion, K.NtMinorVersion]).toEqual([0x260, 0x264, 0x268, 0x26a, 0x26c, 0x270]);
      expect([K.NumberOfPhysicalPages, K.TickCount, K.ActiveProcessorCount]).toEqual([0x2e8, 0x320, 0x3c0]);
    }
  });

  it('give IO_SECURITY_CONTEXT, ACCESS_STATE and the private AUX_ACCESS_DATA their x64 sizes', () => {
    const L = layouts('x64');
    expect([L.IO_SECURITY_CONTEXT.size, L.ACCESS_STATE.size, L.ACCESS_STATE.off.AuxData, L.ACCESS_STATE.off.ObjectName]).toEqual([0x18, 0xa0, 0x48, 0x80]);
    // AUX_ACCESS_DATA is in no header: Windows 10's symbols give 0xe0 bytes, GenerateStagingEvents last at 0xd8.
    expect([L.AUX_ACCESS_DATA.size, L.AUX_ACCESS_DATA.off.TransactionId, L.AUX_ACCESS_DATA.off.GenerateStagingEvents]).toEqual([0xe0, 0x20, 0xd8]);
    expect([L.KPRCB.off.Number, layouts('x86').KPRCB.off.LegacyNumber]).toEqual([0x24, 0x10]);
  });
});
