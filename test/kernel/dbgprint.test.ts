// DbgPrint: every conversion of the kernel's formatter, exact text per architecture, and a bad pointer survived.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

/** What dbgprint.c prints; %p and pointer-sized %zu differ by architecture. */
function expected(arch: 'x86' | 'x64'): string[] {
  const x64 = arch === 'x64';
  return [
    's=[narrow] S=[wide] ws=[wide] ls=[wide] hs=[narrow]\n',
    'wZ=[Unicode] Z=[Ansi]\n',
    'c=[k] C=[W]\n',
    'd=[-42] i=[17] u=[4000000000]\n',
    'x=[beef] X=[BEEF] o=[10]\n',
    'ld=[-3] lu=[3000000000] lx=[deadbeef] hd=[9029] hx=[5678]\n',
    // %p: upper-case hex, zero-padded to the pointer's width, no 0x.
    x64 ? 'p=[000000001234ABCD]\n' : 'p=[1234ABCD]\n',
    'I64x=[123456789abcdef] I64d=[-1234567890123] I64X=[FEDCBA9876543210]\n',
    'llx=[fedcba9876543210] lld=[-9000000000]\n',
    // %zu of (SIZE_T)-1: SIZE_T is the pointer's width.
    x64 ? 'zu=[18446744073709551615] zd=[-5] jd=[-7] tx=[abc]\n' : 'zu=[4294967295] zd=[-5] jd=[-7] tx=[abc]\n',
    // %#x of 0 has no prefix; a precision turns the 0 flag off.
    '[   42][42   ][00042][+42][ 42][0xff][0XFF][010][0][007][     007]\n',
    '[  abcdef][abcdef  ][abc][     abc][  k][     Unicode][wide  ]|%\n',
    '[    42][42    ][ab][    a][7   ]\n',
    '1 2 3 4 narrow\n',
    // DbgPrint("%s", (char *)0x1234) printed nothing and returned STATUS_ACCESS_VIOLATION.
    'bad pointer: status c0000005\n',
  ];
}

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('dbgprint', arch);

  it('DbgPrint formats every supported conversion, flag, width, precision and * exactly', () => {
    const { report } = run(driver());
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0x00000000' });
    expect(report.dbgPrint).toEqual(expected(arch));
  });

  it('DbgPrint("%s", (char *)0x1234) prints nothing, returns STATUS_ACCESS_VIOLATION and the run goes on', () => {
    const { report, trace } = run(driver());
    expect(report.outcome).toBe('completed');
    const prints = events(trace, 'dbgprint');
    // One event per DbgPrint call: the bad one has no text and says why.
    expect(prints).toHaveLength(expected(arch).length + 1);
    const bad = prints.filter((e) => e.note !== undefined);
    expect(bad).toEqual([
      {
        type: 'dbgprint',
        seq: expect.any(Number),
        text: '',
        note: 'formatting read unmapped memory at 0x1234 (%s string); DbgPrint printed nothing and returned STATUS_ACCESS_VIOLATION',
      },
    ]);
    expect(report.dbgPrint).not.toContain('');
    const call = events(trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!DbgPrint' && e.ret === '0xC0000005');
    expect(call).toHaveLength(1);
    expect(call[0].args.Format).toMatch(/^0x[0-9A-F]+ "%s"$/);
  });
});
