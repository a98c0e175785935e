// I/O manager constants from wdm.h: object type codes, IRP major functions, flags.

export const IO_TYPE_DRIVER = 4;
export const IO_TYPE_DEVICE = 3;
export const IO_TYPE_FILE = 5;
export const IO_TYPE_IRP = 6;
export const IO_TYPE_DEVICE_OBJECT_EXTENSION = 13;

export const IRP_MJ = [
  'IRP_MJ_CREATE', 'IRP_MJ_CREATE_NAMED_PIPE', 'IRP_MJ_CLOSE', 'IRP_MJ_READ', 'IRP_MJ_WRITE',
  'IRP_MJ_QUERY_INFORMATION', 'IRP_MJ_SET_INFORMATION', 'IRP_MJ_QUERY_EA', 'IRP_MJ_SET_EA',
  'IRP_MJ_FLUSH_BUFFERS', 'IRP_MJ_QUERY_VOLUME_INFORMATION', 'IRP_MJ_SET_VOLUME_INFORMATION',
  'IRP_MJ_DIRECTORY_CONTROL', 'IRP_MJ_FILE_SYSTEM_CONTROL', 'IRP_MJ_DEVICE_CONTROL',
  'IRP_MJ_INTERNAL_DEVICE_CONTROL', 'IRP_MJ_SHUTDOWN', 'IRP_MJ_LOCK_CONTROL', 'IRP_MJ_CLEANUP',
  'IRP_MJ_CREATE_MAILSLOT', 'IRP_MJ_QUERY_SECURITY', 'IRP_MJ_SET_SECURITY', 'IRP_MJ_POWER',
  'IRP_MJ_SYSTEM_CONTROL', 'IRP_MJ_DEVICE_CHANGE', 'IRP_MJ_QUERY_QUOTA', 'IRP_MJ_SET_QUOTA', 'IRP_MJ_PNP',
] as const;
export const IRP_MJ_MAXIMUM_FUNCTION = 0x1b;

export const enum Mj {
  Create = 0x00,
  Close = 0x02,
  Read = 0x03,
  Write = 0x04,
  FileSystemControl = 0x0d,
  DeviceControl = 0x0e,
  InternalDeviceControl = 0x0f,
  Cleanup = 0x12,
}

// DEVICE_OBJECT.Flags
export const DO_VERIFY_VOLUME = 0x2;
export const DO_BUFFERED_IO = 0x4;
export const DO_EXCLUSIVE = 0x8;
export const DO_DIRECT_IO = 0x10;
export const DO_DEVICE_HAS_NAME = 0x40;
export const DO_DEVICE_INITIALIZING = 0x80;

// IRP.Flags
export const IRP_NOCACHE = 0x1;
export const IRP_SYNCHRONOUS_API = 0x4;
export const IRP_CLOSE_OPERATION = 0x400;
export const IRP_BUFFERED_IO = 0x10;
export const IRP_DEALLOCATE_BUFFER = 0x20;
export const IRP_INPUT_OPERATION = 0x40;
export const IRP_CREATE_OPERATION = 0x80;
export const IRP_READ_OPERATION = 0x100;
export const IRP_WRITE_OPERATION = 0x200;
export const IRP_DEFER_IO_COMPLETION = 0x800;

// IO_STACK_LOCATION.Control
export const SL_PENDING_RETURNED = 0x01;
export const SL_INVOKE_ON_CANCEL = 0x20;
export const SL_INVOKE_ON_SUCCESS = 0x40;
export const SL_INVOKE_ON_ERROR = 0x80;

// FILE_OBJECT.Flags
export const FO_SYNCHRONOUS_IO = 0x2;
export const FO_HANDLE_CREATED = 0x40000;

// CTL_CODE fields
export const METHOD_BUFFERED = 0;
export const METHOD_IN_DIRECT = 1;
export const METHOD_OUT_DIRECT = 2;
export const METHOD_NEITHER = 3;
export const FILE_ANY_ACCESS = 0;
export const FILE_READ_ACCESS = 1;
export const FILE_WRITE_ACCESS = 2;

// Access masks
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const FILE_READ_DATA = 0x1;
export const FILE_WRITE_DATA = 0x2;
export const SYNCHRONIZE = 0x100000;
export const FILE_GENERIC_READ = 0x120089;
export const FILE_GENERIC_WRITE = 0x120116;

// Bugcheck codes the I/O manager raises.
export const NO_MORE_IRP_STACK_LOCATIONS = 0x35;
export const MULTIPLE_IRP_COMPLETE_REQUESTS = 0x44;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;

// DRIVER_OBJECT.Flags
export const DRVO_UNLOAD_INVOKED = 0x1;
export const DRVO_LEGACY_DRIVER = 0x2;
export const DRVO_BUILTIN_DRIVER = 0x4;
