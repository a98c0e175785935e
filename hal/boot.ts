// Machine start-up as the kernel leaves it for drivers: KPCR/KPRCB behind fs/gs, KUSER_SHARED_DATA, data exports.

import { processorFeatures } from './ex/feature.js';
import { ramPages } from './mm/physical.js';
import { Prot } from '../emu/engine.js';
import { defineData, type DataExportDecl } from './export.js';
import type { Kernel } from './kernel.js';
import { ntBuildNumber, osVersion } from './rtl/version.js';
import { layouts, type Arch } from './layout/index.js';

/** 2024-01-01 00:00:00 UTC as a FILETIME: the emulated machine's boot time. */
export const BOOT_SYSTEM_TIME = 133485408000000000n;

/**
 * KPCR fields drivers reach through gs (x64) / fs (x86) and inline KeGetCurrentThread/KeGetCurrentIrql reads, by
 * their x64 / x86 names in hal/layout/system.ts (Self / SelfPcr, CurrentPrcb / Prcb, Prcb / PrcbData).
 */
export const KPCR = { x64: pcrFields('x64'), x86: pcrFields('x86') } as const;

function pcrFields(arch: Arch): { self: number; currentPrcb: number; irql: number; prcb: number } {
  if (arch === 'x64') {
    const o = layouts('x64').KPCR.off;
    return { self: o.Self, currentPrcb: o.CurrentPrcb, irql: o.Irql, prcb: o.Prcb };
  }
  const o = layouts('x86').KPCR.off;
  return { self: o.SelfPcr, currentPrcb: o.Prcb, irql: o.Irql, prcb: o.PrcbData };
}

/** The KPCR gets a page of its own; what the description leaves out of it (most of the KPRCB) stays zero. */
const PCR_BYTES = 0x1000;

export function boot(k: Kernel): void {
  const m = k.m;
  const l = KPCR[k.arch];
  const pcr = k.systemAlloc(Math.max(PCR_BYTES, k.L.KPCR.size), 0x1000);
  k.pcr = pcr;
  m.setPtrAt(pcr, l.self, pcr);
  m.setPtrAt(pcr, l.currentPrcb, pcr + BigInt(l.prcb));
  m.setU8At(pcr, l.irql, k.irql);
  if (k.arch === 'x86') m.setPtrAt(pcr, k.L.KPCR.off['NtTib.ExceptionList'], 0xffffffffn); // end of the SEH chain
  const currentThread = pcr + BigInt(l.prcb + k.L.KPRCB.off.CurrentThread);
  m.setPtr(currentThread, k.ps.currentThread);
  k.ps.onSwitch = (thread) => m.setPtr(currentThread, thread);
  m.engine.setReg(k.arch === 'x64' ? 'gsBase' : 'fsBase', pcr);

  const sud = m.layout.sharedUserData;
  const K = k.L.KUSER_SHARED_DATA.off;
  k.mapRegion(sud, 0x1000, Prot.RW);
  m.setU32At(sud, K.TickCountMultiplier, 0x0fa00000); // 15.625 ms ticks
  writeSystemTime(k, sud + BigInt(K.SystemTime), BOOT_SYSTEM_TIME);
  m.setU16At(sud, K.ImageNumberLow, k.arch === 'x64' ? 0x8664 : 0x14c);
  m.setU16At(sud, K.ImageNumberHigh, k.arch === 'x64' ? 0x8664 : 0x14c);
  m.writeWString(sud + BigInt(K.NtSystemRoot), 'C:\\Windows');
  const version = osVersion(k);
  // The version --os-version sets, as RtlGetVersion, PsGetVersion and NtBuildNumber report it (here without the
  // NtBuildNumber variable's 0xF "free build" nibble: the shared page holds the plain build).
  m.setU32At(sud, K.NtBuildNumber, version.build);
  m.setU32At(sud, K.NtProductType, 1); // NtProductWinNt
  m.setU8At(sud, K.ProductTypeIsValid, 1);
  m.setU16At(sud, K.NativeProcessorArchitecture, k.arch === 'x64' ? 9 : 0); // PROCESSOR_ARCHITECTURE_AMD64 / _INTEL
  m.setU32At(sud, K.NtMajorVersion, version.major);
  m.setU32At(sud, K.NtMinorVersion, version.minor);
  m.setU32At(sud, K.NumberOfPhysicalPages, ramPages(k.arch).count); // the RAM map of mm/physical.ts
  m.setU32At(sud, K.ActiveProcessorCount, 1);
  m.write(sud + BigInt(K.ProcessorFeatures), processorFeatures(k.arch));
  // Drivers only read it; the kernel writes it.
  m.protect(sud, 0x1000, Prot.Read);
}

/** A KSYSTEM_TIME, before anything reads it (ke/clock.ts keeps it current in the readers' order). */
function writeSystemTime(k: Kernel, a: bigint, t: bigint): void {
  const o = k.L.KSYSTEM_TIME.off;
  k.m.setU32At(a, o.LowPart, Number(t & 0xffffffffn));
  k.m.setU32At(a, o.High1Time, Number(t >> 32n));
  k.m.setU32At(a, o.High2Time, Number(t >> 32n));
}

/** A kernel variable of the given size, with optional initial bytes. */
function variable(k: Kernel, size: number, init?: (a: bigint) => void): bigint {
  const a = k.systemAlloc(size, 8);
  init?.(a);
  return a;
}

/**
 * An OBJECT_TYPE, and the POBJECT_TYPE variable pointing at it (IoFileObjectType ...). The type starts as Windows'
 * does: TypeList, an empty list head (its Flink points at the type itself), then Name. The empty list is what lets
 * mingw-w64's declaration work: it reads the variable through one more pointer than MSVC's, and lands on Flink.
 */
function objectTypeVariable(name: string, typeName: string): DataExportDecl {
  return defineData({
    module: 'ntoskrnl.exe',
    name,
    proto: `POBJECT_TYPE ${name}`,
    address: (k) => {
      const type = objectType(k, typeName);
      return variable(k, k.ptrSize, (a) => k.m.setPtr(a, type));
    },
  });
}

/** An OBJECT_TYPE: TypeList (an empty list head), then Name. */
function objectType(k: Kernel, typeName: string): bigint {
  return variable(k, 0x100, (t) => {
    k.m.setPtr(t, t);
    k.m.setPtr(t + BigInt(k.ptrSize), t);
    const text = k.systemAlloc(typeName.length * 2 + 2, 2);
    k.m.writeWString(text, typeName);
    const us = t + BigInt(2 * k.ptrSize);
    k.m.setU16(us, typeName.length * 2);
    k.m.setU16(us + 2n, typeName.length * 2 + 2);
    k.m.setPtr(us + BigInt(k.ptrSize), text);
  });
}

const internalTypes = new WeakMap<Kernel, Map<string, bigint>>();

/** The OBJECT_TYPE of a type ntoskrnl does not export a variable for (Mutant, Timer), made on first use. */
export function internalObjectType(k: Kernel, typeName: string): bigint {
  let m = internalTypes.get(k);
  if (!m) internalTypes.set(k, (m = new Map()));
  let t = m.get(typeName);
  if (t === undefined) m.set(typeName, (t = k.m.actingAs(-1, () => objectType(k, typeName))));
  return t;
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
    address: (k) => variable(k, 4, (a) => k.m.setU32(a, ntBuildNumber(k))),
  }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'KeNumberProcessors',
    proto: 'CCHAR KeNumberProcessors',
    // One emulated processor (ke/processor.ts).
    address: (k) => variable(k, 1, (a) => k.m.setU8(a, 1)),
  }),
  defineData({ module: 'ntoskrnl.exe', name: 'InitSafeBootMode', proto: 'ULONG InitSafeBootMode', address: (k) => variable(k, 4) }),
  defineData({ module: 'ntoskrnl.exe', name: 'KdDebuggerEnabled', proto: 'BOOLEAN KdDebuggerEnabled', address: (k) => variable(k, 1) }),
  defineData({
    module: 'ntoskrnl.exe',
    name: 'KdDebuggerNotPresent',
    proto: 'BOOLEAN KdDebuggerNotPresent',
    address: (k) => variable(k, 1, (a) => k.m.setU8(a, 1)),
  }),
  objectTypeVariable('IoFileObjectType', 'File'),
  objectTypeVariable('IoDeviceObjectType', 'Device'),
  objectTypeVariable('IoDriverObjectType', 'Driver'),
  objectTypeVariable('PsProcessType', 'Process'),
  objectTypeVariable('PsThreadType', 'Thread'),
  objectTypeVariable('ExEventObjectType', 'Event'),
  objectTypeVariable('ExSemaphoreObjectType', 'Semaphore'),
  objectTypeVariable('CmKeyObjectType', 'Key'),
  objectTypeVariable('MmSectionObjectType', 'Section'),
];
