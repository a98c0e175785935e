// Layouts of what NtQuerySystemInformation returns (winternl.h / the native API headers: no mingw-w64 DDK header
// declares them, so these are Windows' layouts, checked by the known-offset tests).

import { CLIENT_ID, LARGE_INTEGER, UNICODE_STRING } from './rtl.js';
import { array, handle, i32, ptr, struct, u16, u32, u64, u8, usize } from './struct.js';

const none = { mingw: { headers: 'none' } } as const;

/** SystemBasicInformation (0). */
export const SYSTEM_BASIC_INFORMATION = struct('SYSTEM_BASIC_INFORMATION', {
  Reserved: u32,
  TimerResolution: u32,
  PageSize: u32,
  NumberOfPhysicalPages: u32,
  LowestPhysicalPageNumber: u32,
  HighestPhysicalPageNumber: u32,
  AllocationGranularity: u32,
  MinimumUserModeAddress: usize,
  MaximumUserModeAddress: usize,
  ActiveProcessorsAffinityMask: usize,
  NumberOfProcessors: u8,
}, none);

/** SystemTimeOfDayInformation (3). */
export const SYSTEM_TIMEOFDAY_INFORMATION = struct('SYSTEM_TIMEOFDAY_INFORMATION', {
  BootTime: LARGE_INTEGER,
  CurrentTime: LARGE_INTEGER,
  TimeZoneBias: LARGE_INTEGER,
  TimeZoneId: u32,
  Reserved: u32,
  BootTimeBias: u64,
  SleepTimeBias: u64,
}, none);

/** One loaded kernel module, as SystemModuleInformation (11) lists it. */
export const RTL_PROCESS_MODULE_INFORMATION = struct('RTL_PROCESS_MODULE_INFORMATION', {
  Section: handle,
  MappedBase: ptr,
  ImageBase: ptr,
  ImageSize: u32,
  Flags: u32,
  LoadOrderIndex: u16,
  InitOrderIndex: u16,
  LoadCount: u16,
  OffsetToFileName: u16,
  FullPathName: array(u8, 256),
}, none);

export const RTL_PROCESS_MODULES = struct('RTL_PROCESS_MODULES', {
  NumberOfModules: u32,
  Modules: array(RTL_PROCESS_MODULE_INFORMATION, 1),
}, none);

/** SystemKernelDebuggerInformation (35). */
export const SYSTEM_KERNEL_DEBUGGER_INFORMATION = struct('SYSTEM_KERNEL_DEBUGGER_INFORMATION', {
  KernelDebuggerEnabled: u8,
  KernelDebuggerNotPresent: u8,
}, none);

/** SystemCodeIntegrityInformation (103): the caller sets Length. */
export const SYSTEM_CODEINTEGRITY_INFORMATION = struct('SYSTEM_CODEINTEGRITY_INFORMATION', {
  Length: u32,
  CodeIntegrityOptions: u32,
}, none);


/** One process of SystemProcessInformation (5); its threads' SYSTEM_THREAD_INFORMATION follow it. */
export const SYSTEM_PROCESS_INFORMATION = struct('SYSTEM_PROCESS_INFORMATION', {
  NextEntryOffset: u32,
  NumberOfThreads: u32,
  WorkingSetPrivateSize: LARGE_INTEGER,
  HardFaultCount: u32,
  NumberOfThreadsHighWatermark: u32,
  CycleTime: u64,
  CreateTime: LARGE_INTEGER,
  UserTime: LARGE_INTEGER,
  KernelTime: LARGE_INTEGER,
  ImageName: UNICODE_STRING,
  BasePriority: i32,
  UniqueProcessId: handle,
  InheritedFromUniqueProcessId: handle,
  HandleCount: u32,
  SessionId: u32,
  UniqueProcessKey: usize,
  PeakVirtualSize: usize,
  VirtualSize: usize,
  PageFaultCount: u32,
  PeakWorkingSetSize: usize,
  WorkingSetSize: usize,
  QuotaPeakPagedPoolUsage: usize,
  QuotaPagedPoolUsage: usize,
  QuotaPeakNonPagedPoolUsage: usize,
  QuotaNonPagedPoolUsage: usize,
  PagefileUsage: usize,
  PeakPagefileUsage: usize,
  PrivatePageCount: usize,
  ReadOperationCount: LARGE_INTEGER,
  WriteOperationCount: LARGE_INTEGER,
  OtherOperationCount: LARGE_INTEGER,
  ReadTransferCount: LARGE_INTEGER,
  WriteTransferCount: LARGE_INTEGER,
  OtherTransferCount: LARGE_INTEGER,
}, none);

export const SYSTEM_THREAD_INFORMATION = struct('SYSTEM_THREAD_INFORMATION', {
  KernelTime: LARGE_INTEGER,
  UserTime: LARGE_INTEGER,
  CreateTime: LARGE_INTEGER,
  WaitTime: u32,
  StartAddress: ptr,
  ClientId: CLIENT_ID,
  Priority: i32,
  BasePriority: i32,
  ContextSwitches: u32,
  ThreadState: u32,
  WaitReason: u32,
}, none);
