// Layouts of what the process manager hands notify routines: PS_CREATE_NOTIFY_INFO and IMAGE_INFO.

import { CLIENT_ID, UNICODE_STRING } from './rtl.js';
import { ptr, struct, u16, u32, union, usize } from './struct.js';

// PsSetCreateProcessNotifyRoutineEx's CreateInfo (Flags: FileOpenNameAvailable, IsSubsystemProcess bits).
export const PS_CREATE_NOTIFY_INFO = struct('PS_CREATE_NOTIFY_INFO', {
  Size: usize,
  $u: union({ Flags: u32 }),
  ParentProcessId: ptr,
  CreatingThreadId: CLIENT_ID,
  FileObject: ptr,
  ImageFileName: ptr, // PCUNICODE_STRING
  CommandLine: ptr, // PCUNICODE_STRING
  CreationStatus: u32,
});

// PsSetLoadImageNotifyRoutine's ImageInfo (Properties: ImageAddressingMode:8, SystemModeImage:1, ... bits).
export const IMAGE_INFO = struct('IMAGE_INFO', {
  $u: union({ Properties: u32 }),
  ImageBase: ptr,
  ImageSelector: u32,
  ImageSize: usize,
  ImageSectionNumber: u32,
});

// ObRegisterCallbacks: the registration, each operation's routines, and what a pre/post routine is handed.
export const OB_OPERATION_REGISTRATION = struct('OB_OPERATION_REGISTRATION', {
  ObjectType: ptr, // POBJECT_TYPE *
  Operations: u32,
  PreOperation: ptr,
  PostOperation: ptr,
});

export const OB_CALLBACK_REGISTRATION = struct('OB_CALLBACK_REGISTRATION', {
  Version: u16,
  OperationRegistrationCount: u16,
  Altitude: UNICODE_STRING,
  RegistrationContext: ptr,
  OperationRegistration: ptr,
});

export const OB_PRE_CREATE_HANDLE_INFORMATION = struct('OB_PRE_CREATE_HANDLE_INFORMATION', { DesiredAccess: u32, OriginalDesiredAccess: u32 });

export const OB_PRE_OPERATION_INFORMATION = struct('OB_PRE_OPERATION_INFORMATION', {
  Operation: u32,
  $u: union({ Flags: u32 }),
  Object: ptr,
  ObjectType: ptr,
  CallContext: ptr,
  Parameters: ptr,
});

export const OB_POST_OPERATION_INFORMATION = struct('OB_POST_OPERATION_INFORMATION', {
  Operation: u32,
  $u: union({ Flags: u32 }),
  Object: ptr,
  ObjectType: ptr,
  CallContext: ptr,
  ReturnStatus: u32,
  Parameters: ptr,
});
