// Layouts of the basic runtime-library structures: lists, 64-bit integers, counted strings, object attributes, versions.

import { alias, array, handle, i16, i32, i64, i8, ptr, struct, u16, u32, u64, u8, union } from './struct.js';

export const LIST_ENTRY = struct('LIST_ENTRY', { Flink: ptr, Blink: ptr });

export const SINGLE_LIST_ENTRY = struct('SINGLE_LIST_ENTRY', { Next: ptr });

// LARGE_INTEGER is a union, so on x86 it is 8-aligned wherever it is embedded (unless a pack caps it).
export const LARGE_INTEGER = union('LARGE_INTEGER', {
  $s: struct({ LowPart: u32, HighPart: i32 }),
  u: struct({ LowPart: u32, HighPart: i32 }),
  QuadPart: i64,
});

export const ULARGE_INTEGER = union('ULARGE_INTEGER', {
  $s: struct({ LowPart: u32, HighPart: u32 }),
  u: struct({ LowPart: u32, HighPart: u32 }),
  QuadPart: u64,
});

// Length and MaximumLength are in bytes, not characters.
export const UNICODE_STRING = struct('UNICODE_STRING', { Length: u16, MaximumLength: u16, Buffer: ptr });

export const STRING = struct('STRING', { Length: u16, MaximumLength: u16, Buffer: ptr });

// ntdef.h: typedef STRING ANSI_STRING.
export const ANSI_STRING = alias('ANSI_STRING', STRING);

export const OBJECT_ATTRIBUTES = struct('OBJECT_ATTRIBUTES', {
  Length: u32,
  RootDirectory: handle,
  ObjectName: ptr, // PUNICODE_STRING
  Attributes: u32,
  SecurityDescriptor: ptr,
  SecurityQualityOfService: ptr,
});

export const CLIENT_ID = struct('CLIENT_ID', { UniqueProcess: handle, UniqueThread: handle });

// The TEB and the KPCR both start with one: fs:/gs: reads of Self and the stack bounds land here.
export const NT_TIB = struct('NT_TIB', {
  ExceptionList: ptr, // x86's SEH chain, ending with -1
  StackBase: ptr,
  StackLimit: ptr,
  SubSystemTib: ptr,
  $u: union({ FiberData: ptr, Version: u32 }),
  ArbitraryUserPointer: ptr,
  Self: ptr,
});

// A locally unique identifier: two 32-bit halves, so 4-byte aligned even where a LONGLONG would be 8.
export const LUID = struct('LUID', { LowPart: u32, HighPart: i32 });

export const GUID = struct('GUID', { Data1: u32, Data2: u16, Data3: u16, Data4: array(u8, 8) });

const osVersionInfo = {
  dwOSVersionInfoSize: u32,
  dwMajorVersion: u32,
  dwMinorVersion: u32,
  dwBuildNumber: u32,
  dwPlatformId: u32,
  szCSDVersion: array(u16, 128), // WCHAR[128]
};

// RtlGetVersion tells the two apart by dwOSVersionInfoSize, so both sizes matter.
export const RTL_OSVERSIONINFOW = struct('RTL_OSVERSIONINFOW', osVersionInfo);

export const RTL_OSVERSIONINFOEXW = struct('RTL_OSVERSIONINFOEXW', {
  ...osVersionInfo,
  wServicePackMajor: u16,
  wServicePackMinor: u16,
  wSuiteMask: u16,
  wProductType: u8,
  wReserved: u8,
});

// A bitmap: its size in bits and a buffer of ULONGs (bit n is bit n%32 of ULONG n/32).
export const RTL_BITMAP = struct('RTL_BITMAP', { SizeOfBitMap: u32, Buffer: ptr });

export const RTL_BITMAP_RUN = struct('RTL_BITMAP_RUN', { StartingIndex: u32, NumberOfBits: u32 });

// CSHORT fields; Weekday 0 is Sunday.
export const TIME_FIELDS = struct('TIME_FIELDS', {
  Year: i16,
  Month: i16,
  Day: i16,
  Hour: i16,
  Minute: i16,
  Second: i16,
  Milliseconds: i16,
  Weekday: i16,
});

// The node header of a generic (splay) table element; the caller's data follows it.
export const RTL_SPLAY_LINKS = struct('RTL_SPLAY_LINKS', { Parent: ptr, LeftChild: ptr, RightChild: ptr });

export const RTL_GENERIC_TABLE = struct('RTL_GENERIC_TABLE', {
  TableRoot: ptr,
  InsertOrderList: LIST_ENTRY,
  OrderedPointer: ptr,
  WhichOrderedElement: u32,
  NumberGenericTableElements: u32,
  CompareRoutine: ptr,
  AllocateRoutine: ptr,
  FreeRoutine: ptr,
  TableContext: ptr,
});

// The node header of an AVL table element; the table's BalancedRoot is a sentinel whose RightChild is the real root.
export const RTL_BALANCED_LINKS = struct('RTL_BALANCED_LINKS', {
  Parent: ptr,
  LeftChild: ptr,
  RightChild: ptr,
  Balance: i8,
  Reserved: array(u8, 3),
});

export const RTL_AVL_TABLE = struct('RTL_AVL_TABLE', {
  BalancedRoot: RTL_BALANCED_LINKS,
  OrderedPointer: ptr,
  WhichOrderedElement: u32,
  NumberGenericTableElements: u32,
  DepthOfTree: u32,
  RestartKey: ptr,
  DeleteCount: u32,
  CompareRoutine: ptr,
  AllocateRoutine: ptr,
  FreeRoutine: ptr,
  TableContext: ptr,
});
