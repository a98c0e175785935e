// Layouts of the configuration manager's structures: RtlQueryRegistryValues' table and the key and value
// information classes (the latter are all ULONGs and LARGE_INTEGERs: the same on x86 and x64, with Name/Data tails).

import { array, i64, ptr, struct, u16, u32, u8 } from './struct.js';

export const RTL_QUERY_REGISTRY_TABLE = struct('RTL_QUERY_REGISTRY_TABLE', {
  QueryRoutine: ptr,
  Flags: u32,
  Name: ptr, // PWSTR
  EntryContext: ptr,
  DefaultType: u32,
  DefaultData: ptr,
  DefaultLength: u32,
});

export const KEY_VALUE_BASIC_INFORMATION = struct('KEY_VALUE_BASIC_INFORMATION', { TitleIndex: u32, Type: u32, NameLength: u32, Name: array(u16, 1) });
export const KEY_VALUE_FULL_INFORMATION = struct('KEY_VALUE_FULL_INFORMATION', { TitleIndex: u32, Type: u32, DataOffset: u32, DataLength: u32, NameLength: u32, Name: array(u16, 1) });
export const KEY_VALUE_PARTIAL_INFORMATION = struct('KEY_VALUE_PARTIAL_INFORMATION', { TitleIndex: u32, Type: u32, DataLength: u32, Data: array(u8, 1) });
export const KEY_BASIC_INFORMATION = struct('KEY_BASIC_INFORMATION', { LastWriteTime: i64, TitleIndex: u32, NameLength: u32, Name: array(u16, 1) });
export const KEY_NODE_INFORMATION = struct('KEY_NODE_INFORMATION', { LastWriteTime: i64, TitleIndex: u32, ClassOffset: u32, ClassLength: u32, NameLength: u32, Name: array(u16, 1) });
export const KEY_FULL_INFORMATION = struct('KEY_FULL_INFORMATION', {
  LastWriteTime: i64, TitleIndex: u32, ClassOffset: u32, ClassLength: u32, SubKeys: u32, MaxNameLen: u32, MaxClassLen: u32,
  Values: u32, MaxValueNameLen: u32, MaxValueDataLen: u32, Class: array(u16, 1),
});

// The registry callbacks' notification structures (CmRegisterCallback(Ex)): what Argument2 points at.
export const REG_CREATE_KEY_INFORMATION = struct('REG_CREATE_KEY_INFORMATION', {
  CompleteName: ptr, RootObject: ptr, ObjectType: ptr, CreateOptions: u32, Class: ptr, SecurityDescriptor: ptr,
  SecurityQualityOfService: ptr, DesiredAccess: u32, GrantedAccess: u32, Disposition: ptr, ResultObject: ptr,
  CallContext: ptr, RootObjectContext: ptr, Transaction: ptr, Reserved: ptr,
});
export const REG_SET_VALUE_KEY_INFORMATION = struct('REG_SET_VALUE_KEY_INFORMATION', {
  Object: ptr, ValueName: ptr, TitleIndex: u32, Type: u32, Data: ptr, DataSize: u32, CallContext: ptr, ObjectContext: ptr, Reserved: ptr,
});
export const REG_QUERY_VALUE_KEY_INFORMATION = struct('REG_QUERY_VALUE_KEY_INFORMATION', {
  Object: ptr, ValueName: ptr, KeyValueInformationClass: u32, KeyValueInformation: ptr, Length: u32, ResultLength: ptr,
  CallContext: ptr, ObjectContext: ptr, Reserved: ptr,
});
export const REG_DELETE_VALUE_KEY_INFORMATION = struct('REG_DELETE_VALUE_KEY_INFORMATION', { Object: ptr, ValueName: ptr, CallContext: ptr, ObjectContext: ptr, Reserved: ptr });
export const REG_DELETE_KEY_INFORMATION = struct('REG_DELETE_KEY_INFORMATION', { Object: ptr, CallContext: ptr, ObjectContext: ptr, Reserved: ptr });
export const REG_ENUMERATE_KEY_INFORMATION = struct('REG_ENUMERATE_KEY_INFORMATION', {
  Object: ptr, Index: u32, KeyInformationClass: u32, KeyInformation: ptr, Length: u32, ResultLength: ptr, CallContext: ptr, ObjectContext: ptr, Reserved: ptr,
});
export const REG_ENUMERATE_VALUE_KEY_INFORMATION = struct('REG_ENUMERATE_VALUE_KEY_INFORMATION', {
  Object: ptr, Index: u32, KeyValueInformationClass: u32, KeyValueInformation: ptr, Length: u32, ResultLength: ptr, CallContext: ptr, ObjectContext: ptr, Reserved: ptr,
});
export const REG_QUERY_KEY_INFORMATION = struct('REG_QUERY_KEY_INFORMATION', {
  Object: ptr, KeyInformationClass: u32, KeyInformation: ptr, Length: u32, ResultLength: ptr, CallContext: ptr, ObjectContext: ptr, Reserved: ptr,
});
export const REG_POST_OPERATION_INFORMATION = struct('REG_POST_OPERATION_INFORMATION', {
  Object: ptr, Status: u32, PreInformation: ptr, ReturnStatus: u32, CallContext: ptr, ObjectContext: ptr, Reserved: ptr,
});
