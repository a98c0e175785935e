// Layouts of what the process manager hands notify routines: PS_CREATE_NOTIFY_INFO and IMAGE_INFO.

import { CLIENT_ID } from './rtl.js';
import { ptr, struct, u32, union, usize } from './struct.js';

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
