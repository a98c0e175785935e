// Security identifiers: RtlLengthSid, RtlValidSid, RtlEqualSid, RtlCopySid, RtlInitializeSid and the accessors.
//
// A SID is Revision (1), SubAuthorityCount (at most 15), a 6-byte big-endian identifier authority and that many
// 32-bit sub-authorities: 8 + 4 * count bytes. Like Windows, only RtlValidSid checks one; the others trust it.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';

export const SID_REVISION = 1;
export const SID_MAX_SUB_AUTHORITIES = 15;

/** RtlLengthRequiredSid. */
export function sidLengthFor(count: number): number {
  return 8 + 4 * count;
}

/** RtlLengthSid: what SubAuthorityCount says, unchecked. */
export function sidLength(k: Kernel, sid: bigint): number {
  return sidLengthFor(k.m.u8(sid + BigInt(k.L.SID.off.SubAuthorityCount)));
}

/**
 * RtlValidSid: revision 1 and at most 15 sub-authorities. Windows reads the SID under an exception handler, so an
 * unreadable pointer (NULL included) is an invalid SID rather than a fault.
 */
export function validSid(k: Kernel, sid: bigint): boolean {
  const head = sid === 0n ? null : k.m.tryRead(sid, 8);
  if (!head) return false;
  if ((head[0] & 0x0f) !== SID_REVISION || head[1] > SID_MAX_SUB_AUTHORITIES) return false;
  return k.m.tryRead(sid, sidLengthFor(head[1])) !== null;
}

/** RtlEqualSid: same revision and count, then the same bytes. */
export function equalSid(k: Kernel, a: bigint, b: bigint): boolean {
  const ha = k.m.read(a, 2);
  const hb = k.m.read(b, 2);
  if (ha[0] !== hb[0] || ha[1] !== hb[1]) return false;
  const n = sidLengthFor(ha[1]);
  const x = k.m.read(a, n);
  const y = k.m.read(b, n);
  return x.every((v, i) => v === y[i]);
}

/** Writes a SID (for the kernel's own well-known SIDs). */
export function writeSid(k: Kernel, at: bigint, authority: number, subs: readonly number[]): void {
  const b = new Uint8Array(sidLengthFor(subs.length));
  const v = new DataView(b.buffer);
  b[0] = SID_REVISION;
  b[1] = subs.length;
  // The authority is a 48-bit big-endian number.
  for (let i = 0; i < 6; i++) b[2 + i] = Math.floor(authority / 2 ** (8 * (5 - i))) & 0xff;
  subs.forEach((s, i) => v.setUint32(8 + 4 * i, s >>> 0, true));
  k.m.write(at, b);
}

/** The S-1-5-32-544 text of a SID (for traces and reports). */
export function sidText(k: Kernel, sid: bigint): string {
  const b = k.m.read(sid, 8);
  let auth = 0;
  for (let i = 2; i < 8; i++) auth = auth * 256 + b[i];
  const subs: number[] = [];
  for (let i = 0; i < b[1]; i++) subs.push(k.m.u32(sid + 8n + BigInt(4 * i)));
  return `S-${b[0]}-${auth}${subs.map((s) => '-' + s).join('')}`;
}

const se = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...se, name: 'RtlLengthRequiredSid', proto: 'ULONG RtlLengthRequiredSid(ULONG SubAuthorityCount)',
    params: { SubAuthorityCount: 'u32' }, ret: 'u32',
    impl: (_k, a) => sidLengthFor(a.SubAuthorityCount) >>> 0,
  }),
  defineExport({
    ...se, name: 'RtlLengthSid', proto: 'ULONG RtlLengthSid(PSID Sid)',
    params: { Sid: 'ptr' }, ret: 'u32',
    impl: (k, a) => sidLength(k, a.Sid),
  }),
  defineExport({
    ...se, name: 'RtlValidSid', proto: 'BOOLEAN RtlValidSid(PSID Sid)',
    params: { Sid: 'ptr' }, ret: 'bool',
    impl: (k, a) => (validSid(k, a.Sid) ? 1 : 0),
  }),
  defineExport({
    ...se, name: 'RtlEqualSid', proto: 'BOOLEAN RtlEqualSid(PSID Sid1, PSID Sid2)',
    params: { Sid1: 'ptr', Sid2: 'ptr' }, ret: 'bool',
    impl: (k, a) => (equalSid(k, a.Sid1, a.Sid2) ? 1 : 0),
  }),
  defineExport({
    ...se, name: 'RtlCopySid', proto: 'NTSTATUS RtlCopySid(ULONG DestinationSidLength, PSID DestinationSid, PSID SourceSid)',
    params: { DestinationSidLength: 'u32', DestinationSid: 'ptr', SourceSid: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const n = sidLength(k, a.SourceSid);
      if (a.DestinationSidLength < n) return STATUS.BUFFER_TOO_SMALL;
      k.m.write(a.DestinationSid, k.m.read(a.SourceSid, n));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...se, name: 'RtlInitializeSid', proto: 'NTSTATUS RtlInitializeSid(PSID Sid, PSID_IDENTIFIER_AUTHORITY IdentifierAuthority, UCHAR SubAuthorityCount)',
    params: { Sid: 'ptr', IdentifierAuthority: 'ptr', SubAuthorityCount: 'u8' }, ret: 'status',
    impl: (k, a) => {
      if (a.SubAuthorityCount > SID_MAX_SUB_AUTHORITIES) return STATUS.INVALID_PARAMETER;
      const o = k.L.SID.off;
      k.m.setU8(a.Sid + BigInt(o.Revision), SID_REVISION);
      k.m.setU8(a.Sid + BigInt(o.SubAuthorityCount), a.SubAuthorityCount);
      // The sub-authorities are the caller's to fill (RtlSubAuthoritySid).
      k.m.write(a.Sid + BigInt(o.IdentifierAuthority), k.m.read(a.IdentifierAuthority, 6));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...se, name: 'RtlSubAuthoritySid', proto: 'PULONG RtlSubAuthoritySid(PSID Sid, ULONG SubAuthority)',
    params: { Sid: 'ptr', SubAuthority: 'u32' }, ret: 'ptr',
    // No bounds check, as in Windows: the caller knows the count.
    impl: (k, a) => a.Sid + BigInt(k.L.SID.off.SubAuthority) + 4n * BigInt(a.SubAuthority),
  }),
  defineExport({
    ...se, name: 'RtlSubAuthorityCountSid', proto: 'PUCHAR RtlSubAuthorityCountSid(PSID Sid)',
    params: { Sid: 'ptr' }, ret: 'ptr',
    impl: (k, a) => a.Sid + BigInt(k.L.SID.off.SubAuthorityCount),
  }),
];
