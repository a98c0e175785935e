// Layouts of the I/O manager's smaller public structures drivers fill or read: share access and error log entries.

import { array, i16, i32, ptr, struct, u16, u32, u8 } from './struct.js';
import { LARGE_INTEGER, LIST_ENTRY } from './rtl.js';

/** A file's sharing state, kept by the driver that owns the file (IoCheckShareAccess ...). */
export const SHARE_ACCESS = struct('SHARE_ACCESS', {
  OpenCount: u32,
  Readers: u32,
  Writers: u32,
  Deleters: u32,
  SharedRead: u32,
  SharedWrite: u32,
  SharedDelete: u32,
});

/** An error log entry's fixed part, followed by DumpData[] and the insertion strings (IoAllocateErrorLogEntry). */
export const IO_ERROR_LOG_PACKET = struct('IO_ERROR_LOG_PACKET', {
  MajorFunctionCode: u8,
  RetryCount: u8,
  DumpDataSize: u16,
  NumberOfStrings: u16,
  StringOffset: u16,
  EventCategory: u16,
  ErrorCode: i32,
  UniqueErrorValue: u32,
  FinalStatus: i32,
  SequenceNumber: u32,
  IoControlCode: u32,
  DeviceOffset: LARGE_INTEGER,
  DumpData: array(u32, 1),
});

/** A device's IoTimer registration (IoInitializeTimer); opaque in the DDK headers, Windows' layout. */
export const IO_TIMER = struct('IO_TIMER', {
  Type: i16,
  TimerFlag: i16,
  TimerList: LIST_ENTRY,
  TimerRoutine: ptr,
  Context: ptr,
  DeviceObject: ptr,
}, { mingw: { headers: 'none' } });

/** The system's device counts (IoGetConfigurationInformation). */
export const CONFIGURATION_INFORMATION = struct('CONFIGURATION_INFORMATION', {
  DiskCount: u32,
  FloppyCount: u32,
  CdRomCount: u32,
  TapeCount: u32,
  ScsiPortCount: u32,
  SerialCount: u32,
  ParallelCount: u32,
  AtDiskPrimaryAddressClaimed: u8,
  AtDiskSecondaryAddressClaimed: u8,
  Version: u32,
  MediumChangerCount: u32,
});
