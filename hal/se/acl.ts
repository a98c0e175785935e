// Access control lists: RtlCreateAcl, RtlAddAccessAllowedAce(Ex), RtlGetAce (and RtlValidAcl's checks, which
// ntoskrnl does not export but applies before adding an ACE).
//
// An ACL is an 8-byte header (revision 2 or 4, AclSize, AceCount) followed by AceCount ACEs packed one after the
// other; a known ACE is a header (type, flags, size), an access mask and a SID. The ACL's revision rises to that
// of the ACEs added to it.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { SID_MAX_SUB_AUTHORITIES, SID_REVISION, sidLength, sidLengthFor, validSid } from './sid.js';

const MIN_ACL_REVISION = 2; // ACL_REVISION
const MAX_ACL_REVISION = 4; // ACL_REVISION_DS
const ACCESS_ALLOWED_ACE_TYPE = 0;
const ACCESS_MAX_MS_V2_ACE_TYPE = 3;
/** OBJECT_INHERIT, CONTAINER_INHERIT, NO_PROPAGATE_INHERIT, INHERIT_ONLY, INHERITED. */
const VALID_INHERIT_FLAGS = 0x1f;

interface AclHeader {
  revision: number;
  size: number;
  count: number;
}

function header(k: Kernel, acl: bigint): AclHeader {
  const o = k.L.ACL.off;
  return { revision: k.m.u8(acl + BigInt(o.AclRevision)), size: k.m.u16(acl + BigInt(o.AclSize)), count: k.m.u16(acl + BigInt(o.AceCount)) };
}

/** RtlValidAcl: the revision, an even size of at least the header, and every ACE inside it and well formed. */
export function validAcl(k: Kernel, acl: bigint): boolean {
  const raw = acl === 0n ? null : k.m.tryRead(acl, 8);
  if (!raw) return false;
  const h = { revision: raw[0], size: raw[2] | (raw[3] << 8), count: raw[4] | (raw[5] << 8) };
  if (h.revision < MIN_ACL_REVISION || h.revision > MAX_ACL_REVISION) return false;
  if (h.size % 2 !== 0 || h.size < 8) return false;
  const body = k.m.tryRead(acl, h.size);
  if (!body) return false;
  let at = 8;
  for (let i = 0; i < h.count; i++) {
    if (at + 4 >= h.size) return false;
    const type = body[at];
    const size = body[at + 2] | (body[at + 3] << 8);
    if (size % 2 !== 0 || at + size > h.size) return false;
    if (type <= ACCESS_MAX_MS_V2_ACE_TYPE) {
      // Known ACEs: header, mask, then a SID that fits in the ACE.
      if (size % 4 !== 0 || size < 4) return false;
      const sid = at + 8;
      if (sid + 8 > h.size || body[sid] !== SID_REVISION || body[sid + 1] > SID_MAX_SUB_AUTHORITIES) return false;
      if (size < 4 + sidLengthFor(body[sid + 1])) return false;
    } else if (size < 4) {
      return false;
    }
    at += size;
  }
  return true;
}

/** The offset of the first free byte after the ACEs, or undefined when an ACE runs past the end. */
function firstFree(k: Kernel, acl: bigint, h: AclHeader): number | undefined {
  let at = 8;
  for (let i = 0; i < h.count; i++) {
    if (at >= h.size) return undefined;
    at += k.m.u16(acl + BigInt(at + 2));
  }
  return at;
}

/** RtlpAddKnownAce: the checks and the append every Rtl*Ace routine shares. */
function addKnownAce(k: Kernel, acl: bigint, revision: number, flags: number, mask: number, sid: bigint, type: number): number {
  if (!validSid(k, sid)) return STATUS.INVALID_SID;
  const h = header(k, acl);
  if (h.revision > MAX_ACL_REVISION || revision > MAX_ACL_REVISION) return STATUS.REVISION_MISMATCH;
  if (flags & ~VALID_INHERIT_FLAGS) return STATUS.INVALID_PARAMETER;
  if (!validAcl(k, acl)) return STATUS.INVALID_ACL;
  const free = firstFree(k, acl, h);
  if (free === undefined) return STATUS.INVALID_ACL;
  const sidLen = sidLength(k, sid);
  const aceSize = 8 + sidLen;
  if (free + aceSize > h.size) return STATUS.ALLOTTED_SPACE_EXCEEDED;
  const ace = acl + BigInt(free);
  const o = k.L.ACCESS_ALLOWED_ACE.off;
  k.m.setU8(ace + BigInt(o['Header.AceType']), type);
  k.m.setU8(ace + BigInt(o['Header.AceFlags']), flags);
  k.m.setU16(ace + BigInt(o['Header.AceSize']), aceSize);
  k.m.setU32(ace + BigInt(o.Mask), mask);
  k.m.write(ace + BigInt(o.SidStart), k.m.read(sid, sidLen));
  const a = k.L.ACL.off;
  k.m.setU16(acl + BigInt(a.AceCount), h.count + 1);
  k.m.setU8(acl + BigInt(a.AclRevision), Math.max(revision, h.revision));
  return STATUS.SUCCESS;
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlCreateAcl', proto: 'NTSTATUS RtlCreateAcl(PACL Acl, ULONG AclLength, ULONG AclRevision)',
    params: { Acl: 'ptr', AclLength: 'u32', AclRevision: 'u32' }, ret: 'status',
    impl: (k, a) => {
      if (a.AclLength < 8) return STATUS.BUFFER_TOO_SMALL;
      if (a.AclRevision < MIN_ACL_REVISION || a.AclRevision > MAX_ACL_REVISION || a.AclLength > 0xffff) return STATUS.INVALID_PARAMETER;
      const o = k.L.ACL.off;
      k.m.setU8(a.Acl + BigInt(o.AclRevision), a.AclRevision);
      k.m.setU8(a.Acl + BigInt(o.Sbz1), 0);
      // The size is rounded up to a ULONG (a USHORT field: 0xFFFD..0xFFFF wrap to 0, an ACL no ACE fits in).
      k.m.setU16(a.Acl + BigInt(o.AclSize), ((a.AclLength + 3) & ~3) & 0xffff);
      k.m.setU16(a.Acl + BigInt(o.AceCount), 0);
      k.m.setU16(a.Acl + BigInt(o.Sbz2), 0);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlAddAccessAllowedAce', proto: 'NTSTATUS RtlAddAccessAllowedAce(PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask, PSID Sid)',
    params: { Acl: 'ptr', AceRevision: 'u32', AccessMask: 'access', Sid: 'ptr' }, ret: 'status',
    impl: (k, a) => addKnownAce(k, a.Acl, a.AceRevision, 0, a.AccessMask, a.Sid, ACCESS_ALLOWED_ACE_TYPE),
  }),
  defineExport({
    ...rtl, name: 'RtlAddAccessAllowedAceEx', proto: 'NTSTATUS RtlAddAccessAllowedAceEx(PACL Acl, ULONG AceRevision, ULONG AceFlags, ACCESS_MASK AccessMask, PSID Sid)',
    params: { Acl: 'ptr', AceRevision: 'u32', AceFlags: 'u32', AccessMask: 'access', Sid: 'ptr' }, ret: 'status',
    impl: (k, a) => addKnownAce(k, a.Acl, a.AceRevision, a.AceFlags, a.AccessMask, a.Sid, ACCESS_ALLOWED_ACE_TYPE),
  }),
  defineExport({
    ...rtl, name: 'RtlGetAce', proto: 'NTSTATUS RtlGetAce(PACL Acl, ULONG AceIndex, PVOID *Ace)',
    params: { Acl: 'ptr', AceIndex: 'u32', Ace: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const h = header(k, a.Acl);
      if (h.revision < MIN_ACL_REVISION || h.revision > MAX_ACL_REVISION || a.AceIndex >= h.count) return STATUS.INVALID_PARAMETER;
      let at = 8;
      for (let i = 0; i < a.AceIndex; i++) {
        if (at >= h.size) return STATUS.INVALID_PARAMETER;
        at += k.m.u16(a.Acl + BigInt(at + 2));
      }
      if (at >= h.size) return STATUS.INVALID_PARAMETER;
      k.m.setPtr(a.Ace, a.Acl + BigInt(at));
      return STATUS.SUCCESS;
    },
  }),
];
