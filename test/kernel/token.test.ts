// Security subjects: SeExports, the primary tokens of System (LocalSystem, session 0) and of the client (an elevated
// administrator in session 1), subject contexts, privilege checks, and the access state's token at IRP_MJ_CREATE.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';

const IOCTL_KD_TOKEN = 0x222000;
const IOCTL_KD_UNLOCK = 0x222004;
const IOCTL_KD_KEEP = 0x222008;

describe.each(ARCHES)('%s', (arch) => {
  const nul = arch === 'x64' ? '0000000000000000' : '00000000';
  const result = () => {
    const { report } = run(buildDriver('token', arch), [op.open('KdToken'), op.ioctl(IOCTL_KD_TOKEN)]);
    expect(report.outcome).toBe('completed');
    expect(report.unload).toEqual({ called: true, leaks: [] });
    return report.dbgPrint.map((l) => l.trimEnd());
  };

  it("SeExports holds the privileges' LUIDs and valid well-known SIDs", () => {
    expect(result().slice(0, 6)).toEqual([
      'SeExports: debug 20:0 change notify 23 load driver 10 create symlink 35',
      'SeWorldSid: S-1-1-0',
      'SeLocalSystemSid: S-1-5-18',
      'SeAliasAdminsSid: S-1-5-32-544',
      'SeHighMandatorySid: S-1-16-12288',
      'SeExports valid SIDs 1 1',
    ]);
  });

  it('in DriverEntry the subject is LocalSystem in session 0; kernel-mode privilege checks always pass', () => {
    expect(result().filter((l) => l.startsWith('entry:'))).toEqual([
      `entry: client token ${nul} primary 1 audit id 4`,
      'entry: logon 00000000 0:3e7 admin 1', // SYSTEM_LUID
      'entry: TokenUser 00000000 attributes 0',
      'entry: S-1-5-18',
      'entry: TokenSessionId 0',
      "entry: same as the process's primary token 1",
      'entry: SePrivilegeCheck any 1 used 80000000 80000000', // SE_PRIVILEGE_USED_FOR_ACCESS on each one held
      'entry: SePrivilegeCheck all 1 kernel 1',
      'entry: ObGetObjectType of the token is SeTokenObjectType 1',
      'entry: SeDebugPrivilege kernel 1 user 1, SeChangeNotifyPrivilege user 1, SeLoadDriverPrivilege user 1',
    ]);
  });

  it("a user request's subject is the client's elevated administrator: only its enabled privileges pass a user-mode check", () => {
    const lines = result();
    expect(lines.filter((l) => l.startsWith('create:'))).toEqual(['create: access state token logon 0:2a4e1 admin 1']);
    expect(lines.filter((l) => l.startsWith('ioctl:'))).toEqual([
      `ioctl: client token ${nul} primary 1 audit id 420`,
      'ioctl: logon 00000000 0:2a4e1 admin 1',
      'ioctl: TokenUser 00000000 attributes 0',
      'ioctl: S-1-5-21-3623811015-3361044348-30300820-1001',
      'ioctl: TokenSessionId 1',
      "ioctl: same as the process's primary token 1",
      // SePrivilegeCheck(SeDebugPrivilege, SeChangeNotifyPrivilege): any one is enough, not both.
      'ioctl: SePrivilegeCheck any 1 used 0 80000000',
      'ioctl: SePrivilegeCheck all 0 kernel 1',
      'ioctl: ObGetObjectType of the token is SeTokenObjectType 1',
      // SeDebugPrivilege and SeLoadDriverPrivilege are held but disabled; SeChangeNotifyPrivilege is enabled.
      'ioctl: SeDebugPrivilege kernel 1 user 0, SeChangeNotifyPrivilege user 1, SeLoadDriverPrivilege user 0',
    ]);
  });

  it('SeUnlockSubjectContext on a context that is not locked bugchecks RESOURCE_NOT_OWNED', () => {
    const { report } = run(buildDriver('token', arch), [op.ioctl(IOCTL_KD_UNLOCK)]);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x000000E3');
    expect(report.stop?.reason).toMatch(/^SeUnlockSubjectContext\(0x[0-9A-F]+\) from token\.sys\+0x[0-9a-f]+: the subject context is not locked$/);
  });

  it('a token reference the driver keeps past unload is a reference leak', () => {
    const { report } = run(buildDriver('token', arch), [op.ioctl(IOCTL_KD_KEEP)]);
    expect(report.unload).toEqual({ called: true, leaks: [{ kind: 'reference', detail: expect.stringMatching(/^1 reference to token object 0x[0-9A-F]+, never released$/) }] });
  });
});
