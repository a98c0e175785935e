// Layouts of the security structures the I/O manager hands a driver at IRP_MJ_CREATE: the ACCESS_STATE behind
// IO_SECURITY_CONTEXT.AccessState, its subject context and privilege sets, and the auxiliary data it points to.

import { GUID, LUID, UNICODE_STRING } from './rtl.js';
import { array, i32, ptr, struct, u16, u32, u8, union } from './struct.js';

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

// Security identifiers, ACLs and descriptors (winnt.h; ntddk.h declares only ACL, ntifs.h the rest).

export const SID_IDENTIFIER_AUTHORITY = struct('SID_IDENTIFIER_AUTHORITY', { Value: array(u8, 6) }, { mingw: { headers: 'none' } });

/** A SID with ANYSIZE_ARRAY (1) sub-authorities; real ones have SubAuthorityCount. */
export const SID = struct('SID', {
  Revision: u8,
  SubAuthorityCount: u8,
  IdentifierAuthority: SID_IDENTIFIER_AUTHORITY,
  SubAuthority: array(u32, 1),
}, { mingw: { headers: 'none' } });

export const ACL = struct('ACL', { AclRevision: u8, Sbz1: u8, AclSize: u16, AceCount: u16, Sbz2: u16 });

export const ACE_HEADER = struct('ACE_HEADER', { AceType: u8, AceFlags: u8, AceSize: u16 }, { mingw: { headers: 'none' } });

/** ACCESS_ALLOWED_ACE: the SID starts at SidStart. */
export const ACCESS_ALLOWED_ACE = struct('ACCESS_ALLOWED_ACE', { Header: ACE_HEADER, Mask: u32, SidStart: u32 }, { mingw: { headers: 'none' } });

/** The absolute form: pointers to the owner, group, SACL and DACL. */
export const SECURITY_DESCRIPTOR = struct('SECURITY_DESCRIPTOR', {
  Revision: u8,
  Sbz1: u8,
  Control: u16,
  Owner: ptr,
  Group: ptr,
  Sacl: ptr,
  Dacl: ptr,
}, { mingw: { headers: 'none' } });

/** The self-relative form (SE_SELF_RELATIVE): offsets from the descriptor instead of pointers. */
export const SECURITY_DESCRIPTOR_RELATIVE = struct('SECURITY_DESCRIPTOR_RELATIVE', {
  Revision: u8,
  Sbz1: u8,
  Control: u16,
  Owner: u32,
  Group: u32,
  Sacl: u32,
  Dacl: u32,
}, { mingw: { headers: 'none' } });

export const SID_AND_ATTRIBUTES = struct('SID_AND_ATTRIBUTES', { Sid: ptr, Attributes: u32 }, { mingw: { headers: 'none' } });

/** What the SeExports variable points to: the privileges' LUIDs and the well-known SIDs (ntifs.h). */
export const SE_EXPORTS = struct('SE_EXPORTS', {
  SeCreateTokenPrivilege: LUID,
  SeAssignPrimaryTokenPrivilege: LUID,
  SeLockMemoryPrivilege: LUID,
  SeIncreaseQuotaPrivilege: LUID,
  SeUnsolicitedInputPrivilege: LUID,
  SeTcbPrivilege: LUID,
  SeSecurityPrivilege: LUID,
  SeTakeOwnershipPrivilege: LUID,
  SeLoadDriverPrivilege: LUID,
  SeCreatePagefilePrivilege: LUID,
  SeIncreaseBasePriorityPrivilege: LUID,
  SeSystemProfilePrivilege: LUID,
  SeSystemtimePrivilege: LUID,
  SeProfileSingleProcessPrivilege: LUID,
  SeCreatePermanentPrivilege: LUID,
  SeBackupPrivilege: LUID,
  SeRestorePrivilege: LUID,
  SeShutdownPrivilege: LUID,
  SeDebugPrivilege: LUID,
  SeAuditPrivilege: LUID,
  SeSystemEnvironmentPrivilege: LUID,
  SeChangeNotifyPrivilege: LUID,
  SeRemoteShutdownPrivilege: LUID,
  SeNullSid: ptr,
  SeWorldSid: ptr,
  SeLocalSid: ptr,
  SeCreatorOwnerSid: ptr,
  SeCreatorGroupSid: ptr,
  SeNtAuthoritySid: ptr,
  SeDialupSid: ptr,
  SeNetworkSid: ptr,
  SeBatchSid: ptr,
  SeInteractiveSid: ptr,
  SeLocalSystemSid: ptr,
  SeAliasAdminsSid: ptr,
  SeAliasUsersSid: ptr,
  SeAliasGuestsSid: ptr,
  SeAliasPowerUsersSid: ptr,
  SeAliasAccountOpsSid: ptr,
  SeAliasSystemOpsSid: ptr,
  SeAliasPrintOpsSid: ptr,
  SeAliasBackupOpsSid: ptr,
  SeAuthenticatedUsersSid: ptr,
  SeRestrictedSid: ptr,
  SeAnonymousLogonSid: ptr,
  SeUndockPrivilege: LUID,
  SeSyncAgentPrivilege: LUID,
  SeEnableDelegationPrivilege: LUID,
  SeLocalServiceSid: ptr,
  SeNetworkServiceSid: ptr,
  SeManageVolumePrivilege: LUID,
  SeImpersonatePrivilege: LUID,
  SeCreateGlobalPrivilege: LUID,
  SeTrustedCredManAccessPrivilege: LUID,
  SeRelabelPrivilege: LUID,
  SeIncreaseWorkingSetPrivilege: LUID,
  SeTimeZonePrivilege: LUID,
  SeCreateSymbolicLinkPrivilege: LUID,
  SeIUserSid: ptr,
  SeUntrustedMandatorySid: ptr,
  SeLowMandatorySid: ptr,
  SeMediumMandatorySid: ptr,
  SeHighMandatorySid: ptr,
  SeSystemMandatorySid: ptr,
  SeOwnerRightsSid: ptr,
}, { mingw: { headers: 'none' } });
