// Layouts of the security structures the I/O manager hands a driver at IRP_MJ_CREATE: the ACCESS_STATE behind
// IO_SECURITY_CONTEXT.AccessState, its subject context and privilege sets, and the auxiliary data it points to.

import { GUID, LUID, UNICODE_STRING } from './rtl.js';
import { array, i32, ptr, struct, u32, u8, union } from './struct.js';

// winnt.h/wdm.h declare it inside pshpack4.h (it changes nothing: no member needs more than 4).
export const LUID_AND_ATTRIBUTES = struct('LUID_AND_ATTRIBUTES', { Luid: LUID, Attributes: u32 }, { pack: 4 });

/** A privilege set with ANYSIZE_ARRAY (1) entries; real ones are longer. */
export const PRIVILEGE_SET = struct('PRIVILEGE_SET', {
  PrivilegeCount: u32,
  Control: u32,
  Privilege: array(LUID_AND_ATTRIBUTES, 1),
});

/** The room for INITIAL_PRIVILEGE_COUNT (3) privileges inside an ACCESS_STATE. */
export const INITIAL_PRIVILEGE_SET = struct('INITIAL_PRIVILEGE_SET', {
  PrivilegeCount: u32,
  Control: u32,
  Privilege: array(LUID_AND_ATTRIBUTES, 3),
});

/** How an object type maps GENERIC_READ/WRITE/EXECUTE/ALL to its specific rights. */
export const GENERIC_MAPPING = struct('GENERIC_MAPPING', {
  GenericRead: u32,
  GenericWrite: u32,
  GenericExecute: u32,
  GenericAll: u32,
});

export const SECURITY_SUBJECT_CONTEXT = struct('SECURITY_SUBJECT_CONTEXT', {
  ClientToken: ptr, // the impersonation token, when the thread impersonates
  ImpersonationLevel: i32, // SECURITY_IMPERSONATION_LEVEL
  PrimaryToken: ptr,
  ProcessAuditId: ptr,
});

export const ACCESS_STATE = struct('ACCESS_STATE', {
  OperationID: LUID,
  SecurityEvaluated: u8,
  GenerateAudit: u8,
  GenerateOnClose: u8,
  PrivilegesAllocated: u8,
  Flags: u32, // TOKEN_HAS_TRAVERSE_PRIVILEGE ...
  RemainingDesiredAccess: u32,
  PreviouslyGrantedAccess: u32,
  OriginalDesiredAccess: u32,
  SubjectSecurityContext: SECURITY_SUBJECT_CONTEXT,
  SecurityDescriptor: ptr, // the one the caller gave for a new object
  AuxData: ptr, // PAUX_ACCESS_DATA
  Privileges: union({ InitialPrivilegeSet: INITIAL_PRIVILEGE_SET, PrivilegeSet: PRIVILEGE_SET }),
  AuditPrivileges: u8,
  ObjectName: UNICODE_STRING, // filled only when an audit is generated
  ObjectTypeName: UNICODE_STRING,
});

/**
 * What ACCESS_STATE.AuxData points to (Windows 10's layout, from its symbols). Private to the kernel: no WDK or
 * mingw-w64 header declares it; the Se* routines reach PrivilegesUsed and GenericMapping through it.
 */
export const AUX_ACCESS_DATA = struct(
  'AUX_ACCESS_DATA',
  {
    PrivilegesUsed: ptr, // PPRIVILEGE_SET: the ACCESS_STATE's own Privileges until more are needed
    GenericMapping: GENERIC_MAPPING,
    AccessesToAudit: u32,
    MaximumAuditMask: u32,
    TransactionId: GUID,
    NewSecurityDescriptor: ptr,
    ExistingSecurityDescriptor: ptr,
    ParentSecurityDescriptor: ptr,
    DeRefSecurityDescriptor: ptr,
    SDLock: ptr,
    AccessReasons: struct({ Data: array(u32, 32) }), // ACCESS_REASONS
    GenerateStagingEvents: u8,
  },
  { mingw: { headers: 'none' } },
);
