// Counted strings (RtlInit*, RtlCopy*, RtlCompare*, RtlEqual*) and ntoskrnl's CRT, as a driver observes them.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('strings', arch);
  const lines = () => {
    const { report } = run(driver());
    expect(report.outcome).toBe('completed');
    return report.dbgPrint;
  };

  it('RtlInitUnicodeString and RtlInitAnsiString count bytes without and with the terminator; NULL gives empty strings', () => {
    expect(lines().slice(0, 4)).toEqual([
      'RtlInitUnicodeString: Length 10 MaximumLength 12 same buffer 1 [Hello]\n',
      'RtlInitUnicodeString(NULL): Length 0 MaximumLength 0 Buffer 1\n',
      'RtlInitAnsiString: Length 12 MaximumLength 13 [Hello, world]\n',
      'RtlInitAnsiString(NULL): Length 0 MaximumLength 0 Buffer 1\n',
    ]);
  });

  it('RtlCopyUnicodeString truncates to MaximumLength and terminates only when there is room', () => {
    expect(lines().slice(4, 8)).toEqual([
      // 4 characters of room: "Trun", Length 8, nothing written past the buffer ('X' = 0x0058 stays).
      'RtlCopyUnicodeString short: Length 8 [Trun] next 0058\n',
      // MaximumLength 7: 7 bytes copied, so the 4th character gets the low byte of 'n' (0x6E) over 'X' (0x0058).
      'RtlCopyUnicodeString odd: Length 7 last 006e next 0058\n',
      'RtlCopyUnicodeString roomy: Length 4 [Hi] next 0000\n',
      'RtlCopyUnicodeString(NULL): Length 0\n',
    ]);
  });

  it('RtlCompareUnicodeString and RtlEqualUnicodeString compare case-sensitively or not, shorter first', () => {
    expect(lines().slice(8, 14)).toEqual([
      'compare abc ABC: 1 insensitive 0\n',
      'compare abc abd: -1 insensitive -1\n',
      'compare abc AB: 1 insensitive 1 reverse -1\n',
      'equal Device DEVICE: 0 insensitive 1\n',
      'equal Device Devic: 0 insensitive 0\n',
      // Case folding is Unicode's, not ASCII's: é/É.
      'equal ete ETE: 0 insensitive 1\n',
    ]);
  });

  it('memcmp, strlen, wcslen and strncpy behave as the CRT documents', () => {
    expect(lines().slice(14, 18)).toEqual([
      'memcmp abcd abce: 4 -> -1, 3 -> 0, reversed 1\n',
      'strlen 12 wcslen 5\n',
      // strncpy pads with NULs up to count, and writes no terminator when the source fills it.
      'strncpy abc 6: 61 62 63 00 00 00 58 58\n',
      'strncpy abcdef 3: 61 62 63 58 58\n',
    ]);
  });

  it('_snprintf returns -1 without a terminator when the text does not fit; sprintf, _snwprintf and swprintf format', () => {
    expect(lines().slice(18)).toEqual([
      '_snprintf 8: 5 [42-xy]\n',
      // Exactly count characters: all stored, no terminator, count returned.
      '_snprintf 5 (exact): 34 32 2d 78 79 58 58\n',
      '_snprintf 5: 5\n',
      // Too long: count characters stored, no terminator, -1.
      '_snprintf 4 (short): 34 32 2d 78 58 58\n',
      '_snprintf 4: -1\n',
      'sprintf: 9 [00042|abc]\n',
      // In a wide format %s is a wide string and %S a narrow one.
      '_snwprintf 8: 3 [n=7]\n',
      '_snwprintf 3 (short): 6e 00 3d 00 31 00 58 58\n',
      '_snwprintf 3: -1\n',
      'swprintf: 4 [xy/9]\n',
    ]);
  });

  it('the results come from the kernel exports, not from code the compiler inlined', () => {
    const { trace } = run(driver());
    const called = new Set(events(trace, 'call').map((e) => e.export.replace(/^ntoskrnl\.exe!/, '')));
    for (const name of ['RtlInitUnicodeString', 'RtlInitAnsiString', 'RtlCopyUnicodeString', 'RtlCompareUnicodeString', 'RtlEqualUnicodeString', 'strlen', 'wcslen', 'strncpy', '_snprintf', 'sprintf', '_snwprintf', 'swprintf']) {
      expect(called, name).toContain(name);
    }
    // x86 ntoskrnl does not export memcmp: mingw-w64's i686 libntoskrnl.a links a copy into the driver instead.
    if (arch === 'x64') expect(called).toContain('memcmp');
    else expect(called).not.toContain('memcmp');
  });
});
