// Layouts of the I/O manager's smaller public structures drivers fill or read: share access and error log entries.

import { LARGE_INTEGER } from './rtl.js';
import { array, i32, struct, u16, u32, u8 } from './struct.js';

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
