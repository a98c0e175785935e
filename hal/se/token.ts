// Access tokens and subject contexts: SeExports, PsReferencePrimaryToken, SeCaptureSubjectContext and its relatives,
// SeSinglePrivilegeCheck, SeQueryAuthenticationIdToken, SeTokenIsAdmin, SeQueryInformationToken(TokenUser).
//
// kdemu's model: the System process runs as LocalSystem (S-1-5-18, logon session SYSTEM_LUID 0x3E7) in session 0 with
// every privilege enabled; the client process and the processes it creates share one token: an elevated
// administrator (S-1-5-21-3623811015-3361044348-30300820-1001, a member of BUILTIN\Administrators) logged on
// interactively in session 1 (logon session 0x2A4E1), with the privileges such a token has, only
// SeChangeNotifyPrivilege, SeImpersonatePrivilege and SeCreateGlobalPrivilege enabled. No thread impersonates.
// A token is an object whose body kdemu keeps opaque; references drivers take on it are counted by ob/object.ts.

import { defineData, defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import type { KProcess } from '../ps/process.js';
import { KernelMode } from '../ps/info.js';
import { internalObjectType } from '../boot.js';
import { dereferenceObject, referenceObject } from '../ob/object.js';
import { tokenBodies } from './tokens.js';
import { tagOf } from '../io/device.js';
import { writeSid } from './sid.js';

/** Privilege LUIDs (SE_*_PRIVILEGE), by SE_EXPORTS field name. */
export const PRIVILEGES: Readonly<Record<string, number>> = {
  SeCreateTokenPrivilege: 2, SeAssignPrimaryTokenPrivilege: 3, SeLockMemoryPrivilege: 4, SeIncreaseQuotaPrivilege: 5,
  SeUnsolicitedInputPrivilege: 6, SeTcbPrivilege: 7, SeSecurityPrivilege: 8, SeTakeOwnershipPrivilege: 9,
  SeLoadDriverPrivilege: 10, SeSystemProfilePrivilege: 11, SeSystemtimePrivilege: 12, SeProfileSingleProcessPrivilege: 13,
  SeIncreaseBasePriorityPrivilege: 14, SeCreatePagefilePrivilege: 15, SeCreatePermanentPrivilege: 16, SeBackupPrivilege: 17,
  SeRestorePrivilege: 18, SeShutdownPrivilege: 19, SeDebugPrivilege: 20, SeAuditPrivilege: 21,
  SeSystemEnvironmentPrivilege: 22, SeChangeNotifyPrivilege: 23, SeRemoteShutdownPrivilege: 24, SeUndockPrivilege: 25,
  SeSyncAgentPrivilege: 26, SeEnableDelegationPrivilege: 27, SeManageVolumePrivilege: 28, SeImpersonatePrivilege: 29,
  SeCreateGlobalPrivilege: 30, SeTrustedCredManAccessPrivilege: 31, SeRelabelPrivilege: 32, SeIncreaseWorkingSetPrivilege: 33,
  SeTimeZonePrivilege: 34, SeCreateSymbolicLinkPrivilege: 35,
};

/** Well-known SIDs: authority and sub-authorities, by SE_EXPORTS field name. */
const SIDS: Readonly<Record<string, [number, number[]]>> = {
  SeNullSid: [0, [0]], SeWorldSid: [1, [0]], SeLocalSid: [2, [0]], SeCreatorOwnerSid: [3, [0]], SeCreatorGroupSid: [3, [1]],
  SeNtAuthoritySid: [5, []], SeDialupSid: [5, [1]], SeNetworkSid: [5, [2]], SeBatchSid: [5, [3]], SeInteractiveSid: [5, [4]],
  SeLocalSystemSid: [5, [18]], SeAliasAdminsSid: [5, [32, 544]], SeAliasUsersSid: [5, [32, 545]], SeAliasGuestsSid: [5, [32, 546]],
  SeAliasPowerUsersSid: [5, [32, 547]], SeAliasAccountOpsSid: [5, [32, 548]], SeAliasSystemOpsSid: [5, [32, 549]],
  SeAliasPrintOpsSid: [5, [32, 550]], SeAliasBackupOpsSid: [5, [32, 551]], SeAuthenticatedUsersSid: [5, [11]],
  SeRestrictedSid: [5, [12]], SeAnonymousLogonSid: [5, [7]], SeLocalServiceSid: [5, [19]], SeNetworkServiceSid: [5, [20]],
  SeIUserSid: [5, [17]], SeUntrustedMandatorySid: [16, [0]], SeLowMandatorySid: [16, [0x1000]], SeMediumMandatorySid: [16, [0x2000]],
  SeHighMandatorySid: [16, [0x3000]], SeSystemMandatorySid: [16, [0x4000]], SeOwnerRightsSid: [3, [4]],
};

const SE_PRIVILEGE_ENABLED = 0x2;
const SYSTEM_LUID = 0x3e7n;
const CLIENT_LOGON_LUID = 0x2a4e1n;
const CLIENT_USER: [number, number[]] = [5, [21, 3623811015, 3361044348, 30300820, 1001]];
/** An elevated administrator's privileges that start enabled. */
const CLIENT_ENABLED = new Set([23, 29, 30]);
/** The privileges an elevated administrator's token holds. */
const CLIENT_PRIVILEGES = [5, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24, 25, 28, 29, 30, 33, 34, 35];

interface Token {
  readonly body: bigint;
  readonly user: [number, number[]];
  readonly authenticationId: bigint;
  readonly sessionId: number;
  readonly admin: boolean;
  /** Privilege LUID → enabled. */
  readonly privileges: ReadonlyMap<number, boolean>;
}

interface TokenState {
  system?: Token;
  client?: Token;
  byBody: Map<bigint, Token>;
}

const states = new WeakMap<Kernel, TokenState>();

function state(k: Kernel): TokenState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { byBody: new Map() }));
  return s;
}

function makeToken(k: Kernel, t: Omit<Token, 'body'>): Token {
  // An opaque TOKEN body (Windows 10's is 0x498 bytes on x64): drivers only pass its address back.
  const body = k.m.actingAs(-1, () => k.systemAlloc(k.ptrSize === 8 ? 0x498 : 0x2b0, 16));
  const token = { ...t, body };
  state(k).byBody.set(body, token);
  tokenBodies(k).add(body);
  return token;
}

/** The primary token of a process. */
export function primaryToken(k: Kernel, p: KProcess): Token {
  const s = state(k);
  if (p.kind === 'system') {
    return (s.system ??= makeToken(k, {
      user: [5, [18]], authenticationId: SYSTEM_LUID, sessionId: 0, admin: true,
      privileges: new Map(Object.values(PRIVILEGES).map((v) => [v, true])),
    }));
  }
  return (s.client ??= makeToken(k, {
    user: CLIENT_USER, authenticationId: CLIENT_LOGON_LUID, sessionId: 1, admin: true,
    privileges: new Map(CLIENT_PRIVILEGES.map((v) => [v, CLIENT_ENABLED.has(v)])),
  }));
}

function tokenArg(k: Kernel, body: bigint, routine: string): Token {
  const t = state(k).byBody.get(body);
  if (!t) throw new GuestStop('fault', `${routine}(${hex(body)}) from ${k.symbolize(k.callerAddress())}: ${hex(body)} is not an access token`, { export: `ntoskrnl.exe!${routine}` });
  return t;
}

function processArg(k: Kernel, eprocess: bigint, routine: string): KProcess {
  const p = k.ps.processAt(eprocess);
  if (!p) throw new GuestStop('fault', `${routine}(${hex(eprocess)}) from ${k.symbolize(k.callerAddress())}: ${hex(eprocess)} is not a process object`, { export: `ntoskrnl.exe!${routine}` });
  return p;
}

/** Subject contexts locked with SeLockSubjectContext and not yet unlocked (the tokens' locks are held shared). */
const locked = new WeakMap<Kernel, Map<bigint, number>>();

function lockCounts(k: Kernel): Map<bigint, number> {
  let m = locked.get(k);
  if (!m) locked.set(k, (m = new Map()));
  return m;
}

const se = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const data = [
  defineData({
    module: 'ntoskrnl.exe', name: 'SeExports', proto: 'PSE_EXPORTS SeExports',
    address: (k) => k.m.actingAs(-1, () => {
      const L = k.L.SE_EXPORTS;
      const block = k.systemAlloc(L.size, 8);
      for (const [name, off] of Object.entries(L.off)) {
        const luid = PRIVILEGES[name];
        if (luid !== undefined) {
          k.m.setU32(block + BigInt(off), luid);
          continue;
        }
        const sid = SIDS[name.replace(/\..*$/, '')];
        if (!sid || name.includes('.')) continue;
        const at = k.systemAlloc(8 + 4 * sid[1].length, 4);
        writeSid(k, at, sid[0], sid[1]);
        k.m.setPtr(block + BigInt(off), at);
      }
      // The undocumented SeSyncAgentPrivilege and SeEnableDelegationPrivilege are in the table too.
      const variable = k.systemAlloc(k.ptrSize, 8);
      k.m.setPtr(variable, block);
      return variable;
    }),
  }),
  defineData({
    module: 'ntoskrnl.exe', name: 'SeTokenObjectType', proto: 'POBJECT_TYPE SeTokenObjectType',
    address: (k) => k.m.actingAs(-1, () => {
      const variable = k.systemAlloc(k.ptrSize, 8);
      k.m.setPtr(variable, internalObjectType(k, 'Token'));
      return variable;
    }),
  }),
];

export const exports = [
  defineExport({
    ...se, name: 'PsReferencePrimaryToken', proto: 'PACCESS_TOKEN PsReferencePrimaryToken(PEPROCESS Process)',
    params: { Process: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const t = primaryToken(k, processArg(k, a.Process, 'PsReferencePrimaryToken'));
      referenceObject(k, t.body, 'PsReferencePrimaryToken');
      return t.body;
    },
  }),
  defineExport({
    ...se, name: 'PsDereferencePrimaryToken', proto: 'VOID PsDereferencePrimaryToken(PACCESS_TOKEN PrimaryToken)',
    params: { PrimaryToken: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      dereferenceObject(k, a.PrimaryToken, 'PsDereferencePrimaryToken');
    },
  }),
  defineExport({
    ...se, name: 'PsReferenceImpersonationToken',
    proto: 'PACCESS_TOKEN PsReferenceImpersonationToken(PETHREAD Thread, PBOOLEAN CopyOnOpen, PBOOLEAN EffectiveOnly, PSECURITY_IMPERSONATION_LEVEL ImpersonationLevel)',
    params: { Thread: 'ptr', CopyOnOpen: 'ptr', EffectiveOnly: 'ptr', ImpersonationLevel: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      if (!k.ps.threadAt(a.Thread)) throw new GuestStop('fault', `PsReferenceImpersonationToken(${hex(a.Thread)}) from ${k.symbolize(k.callerAddress())}: not a thread object`, { export: 'ntoskrnl.exe!PsReferenceImpersonationToken' });
      // No thread impersonates: NULL, and the out parameters are left alone.
      return 0n;
    },
  }),
  defineExport({
    ...se, name: 'SeCaptureSubjectContext', proto: 'VOID SeCaptureSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)',
    params: { SubjectContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.SECURITY_SUBJECT_CONTEXT.off;
      const p = k.ps.current.process;
      const t = primaryToken(k, p);
      referenceObject(k, t.body, 'SeCaptureSubjectContext');
      // A fresh context: not locked, whatever an earlier one at this address was.
      lockCounts(k).delete(a.SubjectContext);
      k.m.setPtr(a.SubjectContext + BigInt(o.ClientToken), 0n);
      k.m.setU32(a.SubjectContext + BigInt(o.ImpersonationLevel), 0);
      k.m.setPtr(a.SubjectContext + BigInt(o.PrimaryToken), t.body);
      k.m.setPtr(a.SubjectContext + BigInt(o.ProcessAuditId), BigInt(p.pid));
    },
  }),
  defineExport({
    ...se, name: 'SeReleaseSubjectContext', proto: 'VOID SeReleaseSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)',
    params: { SubjectContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.SECURITY_SUBJECT_CONTEXT.off;
      const primary = k.m.ptr(a.SubjectContext + BigInt(o.PrimaryToken));
      const client = k.m.ptr(a.SubjectContext + BigInt(o.ClientToken));
      if (primary !== 0n) dereferenceObject(k, primary, 'SeReleaseSubjectContext');
      if (client !== 0n) dereferenceObject(k, client, 'SeReleaseSubjectContext');
    },
  }),
  defineExport({
    ...se, name: 'SeLockSubjectContext', proto: 'VOID SeLockSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)',
    params: { SubjectContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      tokenArg(k, k.m.ptr(a.SubjectContext + BigInt(k.L.SECURITY_SUBJECT_CONTEXT.off.PrimaryToken)), 'SeLockSubjectContext');
      const m = lockCounts(k);
      m.set(a.SubjectContext, (m.get(a.SubjectContext) ?? 0) + 1);
    },
  }),
  defineExport({
    ...se, name: 'SeUnlockSubjectContext', proto: 'VOID SeUnlockSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)',
    params: { SubjectContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const m = lockCounts(k);
      const n = m.get(a.SubjectContext) ?? 0;
      if (n === 0) {
        // Releasing the token's lock the caller does not hold: ExReleaseResourceLite's RESOURCE_NOT_OWNED.
        throw new GuestStop('bugcheck', `SeUnlockSubjectContext(${hex(a.SubjectContext)}) from ${k.symbolize(k.callerAddress())}: the subject context is not locked`, {
          bugcheck: { code: 0xe3, params: [a.SubjectContext, k.ps.currentThread, 0n, 2n] },
        });
      }
      if (n === 1) m.delete(a.SubjectContext);
      else m.set(a.SubjectContext, n - 1);
    },
  }),
  defineExport({
    ...se, name: 'SeSinglePrivilegeCheck', proto: 'BOOLEAN SeSinglePrivilegeCheck(LUID PrivilegeValue, KPROCESSOR_MODE PreviousMode)',
    params: { PrivilegeValue: 'u64', PreviousMode: 'u8' }, ret: 'bool',
    impl: (k, a) => {
      // Kernel-mode callers hold every privilege; a user-mode caller needs it enabled in its (primary) token.
      if (a.PreviousMode === KernelMode) return 1;
      return primaryToken(k, k.ps.current.process).privileges.get(Number(a.PrivilegeValue & 0xffffffffn)) === true && a.PrivilegeValue >> 32n === 0n ? 1 : 0;
    },
  }),
  defineExport({
    ...se, name: 'SeQueryAuthenticationIdToken', proto: 'NTSTATUS SeQueryAuthenticationIdToken(PACCESS_TOKEN Token, PLUID AuthenticationId)',
    params: { Token: 'ptr', AuthenticationId: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      k.m.setU64(a.AuthenticationId, tokenArg(k, a.Token, 'SeQueryAuthenticationIdToken').authenticationId);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...se, name: 'SeTokenIsAdmin', proto: 'BOOLEAN SeTokenIsAdmin(PACCESS_TOKEN Token)',
    params: { Token: 'ptr' }, ret: 'bool',
    impl: (k, a) => (tokenArg(k, a.Token, 'SeTokenIsAdmin').admin ? 1 : 0),
  }),
  defineExport({
    ...se, name: 'SeQueryInformationToken', proto: 'NTSTATUS SeQueryInformationToken(PACCESS_TOKEN Token, TOKEN_INFORMATION_CLASS TokenInformationClass, PVOID *TokenInformation)',
    params: { Token: 'ptr', TokenInformationClass: 'u32', TokenInformation: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const t = tokenArg(k, a.Token, 'SeQueryInformationToken');
      const TokenUser = 1;
      const TokenSessionId = 12;
      if (a.TokenInformationClass === TokenSessionId) {
        // The session id is a ULONG written where TokenInformation points, not a buffer.
        k.m.setU32(a.TokenInformation, t.sessionId);
        return STATUS.SUCCESS;
      }
      if (a.TokenInformationClass !== TokenUser) {
        throw new GuestStop('unsupported-call', `SeQueryInformationToken class ${a.TokenInformationClass} from ${k.symbolize(k.callerAddress())}: kdemu answers TokenUser and TokenSessionId`, { export: 'ntoskrnl.exe!SeQueryInformationToken' });
      }
      // TOKEN_USER (a SID_AND_ATTRIBUTES) followed by the SID, in paged pool the caller frees (ExFreePool).
      const SA = k.L.SID_AND_ATTRIBUTES;
      const sidLen = 8 + 4 * t.user[1].length;
      const buf = k.pool.allocate(SA.size + sidLen, tagOf('Setu'), 1 /* PagedPool */, 'driver', k.symbolize(k.callerAddress()));
      if (buf === null) return STATUS.INSUFFICIENT_RESOURCES;
      const sid = buf + BigInt(SA.size);
      writeSid(k, sid, t.user[0], t.user[1]);
      k.m.setPtr(buf + BigInt(SA.off.Sid), sid);
      k.m.setU32(buf + BigInt(SA.off.Attributes), 0);
      k.m.setPtr(a.TokenInformation, buf);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...se, name: 'SePrivilegeCheck',
    proto: 'BOOLEAN SePrivilegeCheck(PPRIVILEGE_SET RequiredPrivileges, PSECURITY_SUBJECT_CONTEXT SubjectContext, KPROCESSOR_MODE AccessMode)',
    params: { RequiredPrivileges: 'ptr', SubjectContext: 'ptr', AccessMode: 'u8' }, ret: 'bool',
    impl: (k, a) => {
      if (a.AccessMode === KernelMode) return 1;
      // The subject's token: the impersonation token when there is one, else the primary token.
      const sc = k.L.SECURITY_SUBJECT_CONTEXT.off;
      const client = k.m.ptr(a.SubjectContext + BigInt(sc.ClientToken));
      const t = tokenArg(k, client !== 0n ? client : k.m.ptr(a.SubjectContext + BigInt(sc.PrimaryToken)), 'SePrivilegeCheck');
      const P = k.L.PRIVILEGE_SET.off;
      const LA = k.L.LUID_AND_ATTRIBUTES;
      const count = k.m.u32(a.RequiredPrivileges + BigInt(P.PrivilegeCount));
      const all = (k.m.u32(a.RequiredPrivileges + BigInt(P.Control)) & 1) !== 0; // PRIVILEGE_SET_ALL_NECESSARY
      let held = 0;
      for (let i = 0; i < count; i++) {
        const entry = a.RequiredPrivileges + BigInt(P.Privilege + i * LA.size);
        const luid = k.m.u64(entry + BigInt(LA.off.Luid));
        const enabled = luid >> 32n === 0n && t.privileges.get(Number(luid)) === true;
        const attributes = entry + BigInt(LA.off.Attributes);
        // Each privilege the subject holds enabled is marked SE_PRIVILEGE_USED_FOR_ACCESS.
        if (enabled) {
          k.m.setU32(attributes, k.m.u32(attributes) | 0x80000000);
          held++;
        }
      }
      return (all ? held === count : held > 0) ? 1 : 0;
    },
  }),
];
