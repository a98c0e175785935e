// Security descriptors: RtlCreateSecurityDescriptor, RtlSet/GetDacl-, RtlSet/GetOwner-, RtlSet/GetGroupSecurityDescriptor,
// RtlLengthSecurityDescriptor, RtlValidSecurityDescriptor.
//
// A descriptor is absolute (pointers to its owner, group, SACL and DACL) or self-relative (SE_SELF_RELATIVE: offsets
// from its start, in 32-bit fields). The Set routines only work on absolute ones; the Get routines read both.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { sidLength, validSid } from './sid.js';
import { validAcl } from './acl.js';

const SECURITY_DESCRIPTOR_REVISION = 1;
const SE_OWNER_DEFAULTED = 0x0001;
const SE_GROUP_DEFAULTED = 0x0002;
const SE_DACL_PRESENT = 0x0004;
const SE_DACL_DEFAULTED = 0x0008;
const SE_SACL_PRESENT = 0x0010;
const SE_SELF_RELATIVE = 0x8000;

type Part = 'Owner' | 'Group' | 'Sacl' | 'Dacl';

function control(k: Kernel, sd: bigint): number {
  return k.m.u16(sd + BigInt(k.L.SECURITY_DESCRIPTOR.off.Control));
}

function setControl(k: Kernel, sd: bigint, v: number): void {
  k.m.setU16(sd + BigInt(k.L.SECURITY_DESCRIPTOR.off.Control), v);
}

function revisionOk(k: Kernel, sd: bigint): boolean {
  return k.m.u8(sd + BigInt(k.L.SECURITY_DESCRIPTOR.off.Revision)) === SECURITY_DESCRIPTOR_REVISION;
}

/** The address of a part, whichever form the descriptor has (0: none). */
function part(k: Kernel, sd: bigint, which: Part): bigint {
  if (control(k, sd) & SE_SELF_RELATIVE) {
    const off = k.m.u32(sd + BigInt(k.L.SECURITY_DESCRIPTOR_RELATIVE.off[which]));
    return off === 0 ? 0n : sd + BigInt(off);
  }
  return k.m.ptr(sd + BigInt(k.L.SECURITY_DESCRIPTOR.off[which]));
}

/** RtlSetOwner/GroupSecurityDescriptor: absolute descriptors only, the defaulted bit follows the argument. */
function setSid(k: Kernel, sd: bigint, which: 'Owner' | 'Group', sid: bigint, defaulted: number): number {
  if (!revisionOk(k, sd)) return STATUS.UNKNOWN_REVISION;
  const c = control(k, sd);
  if (c & SE_SELF_RELATIVE) return STATUS.INVALID_SECURITY_DESCR;
  const bit = which === 'Owner' ? SE_OWNER_DEFAULTED : SE_GROUP_DEFAULTED;
  k.m.setPtr(sd + BigInt(k.L.SECURITY_DESCRIPTOR.off[which]), sid);
  setControl(k, sd, defaulted ? c | bit : c & ~bit);
  return STATUS.SUCCESS;
}

function getSid(k: Kernel, sd: bigint, which: 'Owner' | 'Group', out: bigint, defaulted: bigint): number {
  if (!revisionOk(k, sd)) return STATUS.UNKNOWN_REVISION;
  k.m.setPtr(out, part(k, sd, which));
  k.m.setU8(defaulted, control(k, sd) & (which === 'Owner' ? SE_OWNER_DEFAULTED : SE_GROUP_DEFAULTED) ? 1 : 0);
  return STATUS.SUCCESS;
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlCreateSecurityDescriptor', proto: 'NTSTATUS RtlCreateSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Revision)',
    params: { SecurityDescriptor: 'ptr', Revision: 'u32' }, ret: 'status',
    impl: (k, a) => {
      if (a.Revision !== SECURITY_DESCRIPTOR_REVISION) return STATUS.UNKNOWN_REVISION;
      // An empty absolute descriptor: no owner, group, SACL or DACL, no control bits.
      k.m.fill(a.SecurityDescriptor, k.L.SECURITY_DESCRIPTOR.size);
      k.m.setU8(a.SecurityDescriptor, SECURITY_DESCRIPTOR_REVISION);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlSetDaclSecurityDescriptor', proto: 'NTSTATUS RtlSetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, BOOLEAN DaclPresent, PACL Dacl, BOOLEAN DaclDefaulted)',
    params: { SecurityDescriptor: 'ptr', DaclPresent: 'bool', Dacl: 'ptr', DaclDefaulted: 'bool' }, ret: 'status',
    impl: (k, a) => {
      const sd = a.SecurityDescriptor;
      if (!revisionOk(k, sd)) return STATUS.UNKNOWN_REVISION;
      const c = control(k, sd);
      if (c & SE_SELF_RELATIVE) return STATUS.INVALID_SECURITY_DESCR;
      // Not present: only the bit goes; the pointer and the defaulted bit stay as they were.
      if (!a.DaclPresent) {
        setControl(k, sd, c & ~SE_DACL_PRESENT);
        return STATUS.SUCCESS;
      }
      k.m.setPtr(sd + BigInt(k.L.SECURITY_DESCRIPTOR.off.Dacl), a.Dacl);
      setControl(k, sd, (c | SE_DACL_PRESENT) & ~SE_DACL_DEFAULTED | (a.DaclDefaulted ? SE_DACL_DEFAULTED : 0));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlGetDaclSecurityDescriptor', proto: 'NTSTATUS RtlGetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PBOOLEAN DaclPresent, PACL *Dacl, PBOOLEAN DaclDefaulted)',
    params: { SecurityDescriptor: 'ptr', DaclPresent: 'ptr', Dacl: 'ptr', DaclDefaulted: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const sd = a.SecurityDescriptor;
      if (!revisionOk(k, sd)) return STATUS.UNKNOWN_REVISION;
      const c = control(k, sd);
      k.m.setU8(a.DaclPresent, c & SE_DACL_PRESENT ? 1 : 0);
      // *Dacl and *DaclDefaulted are written only when a DACL is present.
      if (c & SE_DACL_PRESENT) {
        k.m.setPtr(a.Dacl, part(k, sd, 'Dacl'));
        k.m.setU8(a.DaclDefaulted, c & SE_DACL_DEFAULTED ? 1 : 0);
      }
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlSetOwnerSecurityDescriptor', proto: 'NTSTATUS RtlSetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID Owner, BOOLEAN OwnerDefaulted)',
    params: { SecurityDescriptor: 'ptr', Owner: 'ptr', OwnerDefaulted: 'bool' }, ret: 'status',
    impl: (k, a) => setSid(k, a.SecurityDescriptor, 'Owner', a.Owner, a.OwnerDefaulted),
  }),
  defineExport({
    ...rtl, name: 'RtlGetOwnerSecurityDescriptor', proto: 'NTSTATUS RtlGetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID *Owner, PBOOLEAN OwnerDefaulted)',
    params: { SecurityDescriptor: 'ptr', Owner: 'ptr', OwnerDefaulted: 'ptr' }, ret: 'status',
    impl: (k, a) => getSid(k, a.SecurityDescriptor, 'Owner', a.Owner, a.OwnerDefaulted),
  }),
  defineExport({
    ...rtl, name: 'RtlSetGroupSecurityDescriptor', proto: 'NTSTATUS RtlSetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID Group, BOOLEAN GroupDefaulted)',
    params: { SecurityDescriptor: 'ptr', Group: 'ptr', GroupDefaulted: 'bool' }, ret: 'status',
    impl: (k, a) => setSid(k, a.SecurityDescriptor, 'Group', a.Group, a.GroupDefaulted),
  }),
  defineExport({
    ...rtl, name: 'RtlGetGroupSecurityDescriptor', proto: 'NTSTATUS RtlGetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID *Group, PBOOLEAN GroupDefaulted)',
    params: { SecurityDescriptor: 'ptr', Group: 'ptr', GroupDefaulted: 'ptr' }, ret: 'status',
    impl: (k, a) => getSid(k, a.SecurityDescriptor, 'Group', a.Group, a.GroupDefaulted),
  }),
  defineExport({
    ...rtl, name: 'RtlLengthSecurityDescriptor', proto: 'ULONG RtlLengthSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)',
    params: { SecurityDescriptor: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      // What a self-relative copy takes: the header of its form plus each part rounded up to a ULONG.
      const sd = a.SecurityDescriptor;
      const c = control(k, sd);
      let n = c & SE_SELF_RELATIVE ? k.L.SECURITY_DESCRIPTOR_RELATIVE.size : k.L.SECURITY_DESCRIPTOR.size;
      const up = (v: number) => (v + 3) & ~3;
      const owner = part(k, sd, 'Owner');
      if (owner) n += up(sidLength(k, owner));
      const group = part(k, sd, 'Group');
      if (group) n += up(sidLength(k, group));
      const dacl = c & SE_DACL_PRESENT ? part(k, sd, 'Dacl') : 0n;
      if (dacl) n += up(k.m.u16(dacl + BigInt(k.L.ACL.off.AclSize)));
      const sacl = c & SE_SACL_PRESENT ? part(k, sd, 'Sacl') : 0n;
      if (sacl) n += up(k.m.u16(sacl + BigInt(k.L.ACL.off.AclSize)));
      return n;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlValidSecurityDescriptor', proto: 'BOOLEAN RtlValidSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)',
    params: { SecurityDescriptor: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const sd = a.SecurityDescriptor;
      if (sd === 0n || !k.m.tryRead(sd, k.L.SECURITY_DESCRIPTOR_RELATIVE.size) || !revisionOk(k, sd)) return 0;
      const c = control(k, sd);
      for (const w of ['Owner', 'Group'] as const) {
        const p = part(k, sd, w);
        if (p && !validSid(k, p)) return 0;
      }
      const dacl = c & SE_DACL_PRESENT ? part(k, sd, 'Dacl') : 0n;
      if (dacl && !validAcl(k, dacl)) return 0;
      const sacl = c & SE_SACL_PRESENT ? part(k, sd, 'Sacl') : 0n;
      if (sacl && !validAcl(k, sacl)) return 0;
      return 1;
    },
  }),
];
