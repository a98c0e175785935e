// SIDs, ACLs and security descriptors built through the Rtl routines, as a driver observes them.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const lines = () => {
    const { report } = run(buildDriver('security', arch));
    expect(report.outcome).toBe('completed');
    return report.dbgPrint.map((l) => l.trimEnd());
  };
  const section = (from: string, to?: string) => {
    const all = lines();
    const a = all.findIndex((l) => l.startsWith(from));
    const b = to ? all.findIndex((l) => l.startsWith(to)) : all.length;
    return all.slice(a, b);
  };

  it('SIDs: length 8 + 4 per sub-authority, copied and compared by bytes, validated by revision and count', () => {
    expect(section('RtlLengthRequiredSid', 'RtlCreateAcl')).toEqual([
      'RtlLengthRequiredSid 2: 16, 0: 8',
      'RtlInitializeSid: 00000000 count 2 length 16 valid 1',
      // S-1-5-32-544: the authority big-endian, the sub-authorities little-endian.
      'admins: 01020000000000052000000020020000',
      'RtlInitializeSid 16 sub-authorities: c000000d',
      'RtlCopySid into 8 bytes: c0000023',
      'RtlCopySid: 00000000 equal 1',
      'RtlEqualSid after changing a sub-authority: 0',
      'RtlValidSid revision 2: 0',
      'RtlValidSid 16 sub-authorities: 0',
      'RtlValidSid NULL: 0',
    ]);
  });

  it('ACLs: RtlCreateAcl checks size and revision, ACEs are appended until the ACL is full, the revision rises', () => {
    expect(section('RtlCreateAcl', 'sizeof(SECURITY_DESCRIPTOR)')).toEqual([
      'RtlCreateAcl 4 bytes: c0000023', // STATUS_BUFFER_TOO_SMALL
      'RtlCreateAcl revision 5: c000000d',
      'RtlCreateAcl 0x10000 bytes: c000000d',
      // 30 rounds up to a ULONG.
      'RtlCreateAcl 30: 00000000 revision 2 size 32 count 0',
      'RtlAddAccessAllowedAce: 00000000 count 1',
      // Header (4) + mask (4) + S-1-1-0 (12).
      'RtlGetAce 0: 00000000 offset 8 type 0 size 20 mask 80000000',
      'RtlGetAce 1: c000000d',
      'RtlAddAccessAllowedAce full: c0000099 count 1', // STATUS_ALLOTTED_SPACE_EXCEEDED
      'RtlAddAccessAllowedAceEx DS: 00000000 acl revision 4 flags 02',
      'RtlAddAccessAllowedAceEx bad flags: c000000d',
      'RtlAddAccessAllowedAce revision 5: c0000059', // STATUS_REVISION_MISMATCH
      'RtlAddAccessAllowedAce bad SID: c0000078', // STATUS_INVALID_SID
    ]);
  });

  it('security descriptors: absolute ones take a DACL and an owner, self-relative ones refuse Set, revision 1 only', () => {
    const sd = arch === 'x64' ? 40 : 20;
    const nul = arch === 'x64' ? '0000000000000000' : '00000000';
    expect(section('sizeof(SECURITY_DESCRIPTOR)')).toEqual([
      `sizeof(SECURITY_DESCRIPTOR) ${sd}`,
      'RtlCreateSecurityDescriptor revision 2: c0000058', // STATUS_UNKNOWN_REVISION
      `RtlCreateSecurityDescriptor: 00000000 control 0000 dacl ${nul} length ${sd} valid 1`,
      'RtlGetDaclSecurityDescriptor empty: 00000000 present 0 dacl untouched 1 defaulted 9',
      'RtlSetDaclSecurityDescriptor: 00000000 control 000c', // SE_DACL_PRESENT | SE_DACL_DEFAULTED
      // The descriptor, the owner SID (12) and the ACL (32).
      `RtlSetOwnerSecurityDescriptor: 00000000 control 000c length ${sd + 12 + 32} valid 1`,
      'RtlGetDaclSecurityDescriptor: 00000000 present 1 same 1 defaulted 1',
      'RtlGetOwnerSecurityDescriptor: 00000000 same 1 defaulted 0',
      'RtlSetDaclSecurityDescriptor not present: 00000000 control 0008 dacl kept 1',
      'RtlSetDaclSecurityDescriptor self-relative: c0000079', // STATUS_INVALID_SECURITY_DESCR
      'RtlGetDaclSecurityDescriptor revision 2: c0000058 valid 0',
    ]);
  });
});
