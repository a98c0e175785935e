// Machine start-up as the kernel leaves it for drivers: KPCR/KPRCB behind fs/gs, KUSER_SHARED_DATA, data exports.

import { Prot } from '../emu/engine.js';
import { defineData, type DataExportDecl } from './export.js';
import type { Kernel } from './kernel.js';
import { OS_VERSION } from './rtl/version.js';

/** 2024-01-01 00:00:00 UTC as a FILETIME: the emulated machine's boot time. */
export const BOOT_SYSTEM_TIME = 133485408000000000n;

/** KPCR fields drivers reach through gs (x64) / fs (x86), and inline KeGetCurrentThread/KeGetCurrentIrql reads. */
export const KPCR = {
  x64: { size: 0x1000, self: 0x18, currentPrcb: 0x20, irql: 0x50, prcb: 0x180, prcbCurrentThread: 0x08, prcbNumber: 0x24 },
  x86: { size: 0x1000, self: 0x1c, currentPrcb: 0x20, irql: 0x24, prcb: 0x120, prcbCurrentThread: 0x04, prcbNumber: 0x10 },
} as const;

export function boot(k: Kernel): void {
  const m = k.m;
  const l = KPCR[k.arch];
  const pcr = k.systemAlloc(l.size, 0x1000);
  k.pcr = pcr;
  m.setPtr(pcr + BigInt(l.self), pcr);
  m.setPtr(pcr + BigInt(l.currentPrcb), pcr + BigInt(l.prcb));
  m.setU8(pcr + BigInt(l.irql), k.irql);
  if (k.arch === 'x86') m.setU32(pcr, 0xffffffff); // NtTib.ExceptionList: end of the SEH chain
  const currentThread = pcr + BigInt(l.prcb + l.prcbCurrentThread);
  m.setPtr(currentThread, k.ps.currentThread);
  k.ps.onSwitch = (thread) => m.setPtr(currentThread, thread);
  m.engine.setReg(k.arch === 'x64' ? 'gsBase' : 'fsBase', pcr);

  const sud = m.layout.sharedUserData;
  k.mapRegion(sud, 0x1000, Prot.RW);
  m.setU32(sud + 0x4n, 0x0fa00000); // TickCountMultiplier: 15.625 ms ticks
  writeSystemTime(k, sud + 0x14n, BOOT_SYSTEM_TIME);
  m.setU16(sud + 0x2cn, k.arch === 'x64' ? 0x8664 : 0x14c); // ImageNumberLow
  m.setU16(sud + 0x2en, k.arch === 'x64' ? 0x8664 : 0x14c); // ImageNumberHigh
  m.writeWString(sud + 0x30n, 'C:\\Windows');
  m.setU32(sud + 0x260n, OS_VERSION.build); // NtBuildNumber
  m.setU32(sud + 0x264n, 1); // NtProductType: NtProductWinNt
  m.setU8(sud + 0x268n, 1); // ProductTypeIsValid
  m.setU16(sud + 0x26an, k.arch === 'x64' ? 9 : 0); // NativeProcessorArchitecture
  m.setU32(sud + 0x26cn, OS_VERSION.major);
  m.setU32(sud + 0x270n, OS_VERSION.minor);
  m.setU32(sud + 0x2e8n, 0x100000); // NumberOfPhysicalPages: 4 GiB
  m.setU32(sud + 0x3c0n, 1); // ActiveProcessorCount
  // Drivers only read it; the kernel writes it.
  m.engine.protect(sud, 0x1000, Prot.Read);
}

/** KSYSTEM_TIME { LowPart, High1Time, High2Time }. */
function writeSystemTime(k: Kernel, a: bigint, t: bigint): void {
  k.m.setU32(a, Number(t & 0xffffffffn));
  k.m.setU32(a + 4n, Number(t >> 32n));
  k.m.setU32(a + 8n, Number(t >> 32n));
}

/** A kernel variable of the given size, with optional initial bytes. */
function variable(k: Kernel, size: number, init?: (a: bigint) => void): bigint {
  const a = k.systemAlloc(size, 8);
  init?.(a);
  return a;
}

/** An opaque OBJECT_TYPE, and the POBJECT_TYPE variable pointing at it (IoFileObjectType ...). */
function objectTypeVariable(name: string): DataExportDecl {
  return defineData({
    module: 'ntoskrnl.exe',
    name,
    proto: `POBJECT_TYPE ${name}`,
    address: (k) => {
      const type = variable(k, 0x100);
      return variable(k, k.ptrSize, (a) => k.m.setPtr(a, type));
    },
  });
}

export const data: DataExportDecl[] = [
  defineData({
    module: 'ntoskrnl.exe',
    name: 'MmSystemRangeStart',
    proto: 'PVOID MmSystemRangeStart',
    address: (k) => variable(k, k.ptrSize, (a) => k.m.setPtr(a, k.arch === 'x64' ? 0xffff800000000000n : 0x80000000n)),
  }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'MmHighestUserAddress',
    proto: 'PVOID MmHighestUserAddress',
    address: (k) => variable(k, k.ptrSize, (a) => k.m.setPtr(a, k.arch === 'x64' ? 0x7ffffffeffffn : 0x7ffeffffn)),
  }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'MmUserProbeAddress',
    proto: 'ULONG_PTR MmUserProbeAddress',
    address: (k) => variable(k, k.ptrSize, (a) => k.m.setPtr(a, k.arch === 'x64' ? 0x7fffffff0000n : 0x7fff0000n)),
  }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'KeTickCount',
    arch: 'x86',
    proto: 'volatile KSYSTEM_TIME KeTickCount',
    // Kept current by the clock (ke/clock.ts publishTime).
    address: (k) => variable(k, 12, (a) => void (k.tickCountVariable = a)),
  }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'NtBuildNumber',
    proto: 'ULONG NtBuildNumber',
    // The high nibble 0xF marks a free (retail) build.
    address: (k) => variable(k, 4, (a) => k.m.setU32(a, (0xf0000000 | OS_VERSION.build) >>> 0)),
  }),
  defineData({ module: 'ntoskrnl.exe', name: 'InitSafeBootMode', proto: 'ULONG InitSafeBootMode', address: (k) => variable(k, 4) }),
  defineData({ module: 'ntoskrnl.exe', name: 'KdDebuggerEnabled', proto: 'BOOLEAN KdDebuggerEnabled', address: (k) => variable(k, 1) }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'KdDebuggerNotPresent',
    proto: 'BOOLEAN KdDebuggerNotPresent',
    address: (k) => variable(k, 1, (a) => k.m.setU8(a, 1)),
  }),
  objectTypeVariable('IoFileObjectType'),
  objectTypeVariable('IoDeviceObjectType'),
  objectTypeVariable('IoDriverObjectType'),
  objectTypeVariable('PsProcessType'),
  objectTypeVariable('PsThreadType'),
  objectTypeVariable('ExEventObjectType'),
  objectTypeVariable('ExSemaphoreObjectType'),
  objectTypeVariable('CmKeyObjectType'),
];
