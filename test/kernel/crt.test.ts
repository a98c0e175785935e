// ntoskrnl's C runtime (string.h, wchar.h, ctype.h, stdlib.h, stdio.h) and the x86 64-bit arithmetic helpers, as a
// driver observes them: the fixture calls each routine through MmGetSystemRoutineAddress and prints the results.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver, type Arch } from '../fixtures/build.js';
import { events, run, type Run } from './harness.js';

const runs = new Map<Arch, Run>();
function runCrt(arch: Arch): Run {
  let r = runs.get(arch);
  if (!r) {
    r = run(buildDriver('crt', arch));
    runs.set(arch, r);
  }
  return r;
}

/** count lines from the one starting with first (the messages joined: some lines are printed piecewise). */
function section(all: string[], first: string, count: number): string[] {
  const i = all.findIndex((l) => l.startsWith(first));
  expect(i, first).toBeGreaterThanOrEqual(0);
  return all.slice(i, i + count);
}

describe.each(ARCHES)('%s', (arch) => {
  const lines = () => {
    const { report } = runCrt(arch);
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry?.status).toBe('0x00000000');
    return report.dbgPrint.join('').split('\n');
  };

  it('finds every routine it asks for', () => {
    expect(lines().filter((l) => l.startsWith('missing'))).toEqual([]);
  });

  it('strcmp and wcscmp order by character; the n- and case-insensitive forms fold ASCII (char) or Latin-1 (wchar_t)', () => {
    expect(section(lines(), 'strcmp:', 8)).toEqual([
      // strcmp and wcscmp give -1/0/1; the others the difference, printed here as its sign.
      'strcmp: -1 1 0 -1',
      'strncmp: 0 -1 0',
      '_stricmp: 0 -1 -1',
      '_strnicmp: 0 -1',
      'wcscmp: -1 1 0',
      'wcsncmp: 0 -1',
      // E-acute folds (Latin-1), A-macron does not.
      '_wcsicmp: 0 -1 1',
      '_wcsnicmp: 0 -1',
    ]);
  });

  it('strchr, strstr, strspn, strnlen, memchr and their wide twins find what C says, the terminator included', () => {
    expect(section(lines(), 'strchr:', 8)).toEqual([
      'strchr: 2 9 11 1',
      // Only the low byte of the int counts.
      'strchr 0x16C: 2',
      'wcschr: 4 7 11 1',
      'strstr: 4 0 1',
      'wcsstr: 6 1',
      'strspn: 4 wcsspn: 4 wcscspn: 2 3',
      'strnlen: 3 2 wcsnlen: 5 0',
      'memchr: 6 1',
    ]);
  });

  it('strcat, strncat, _strlwr, _strupr, _strrev, _strset, _strnset and the wide forms modify in place', () => {
    expect(section(lines(), 'strcat:', 15)).toEqual([
      'strcat: abcd 1',
      'strncat 2: abcdef',
      'strncat 9: abcdefij',
      'wcscat/wcsncat: abcd',
      // The "C" locale: ASCII letters only.
      '_strlwr: 6d 69 78 5b 31 c9',
      '_strupr: 4d 49 58 5b 31 c9',
      'strlwr: mix 1',
      '_strrev: c9 31 5b 78 69 6d 00',
      '_strset: ******',
      '_strnset 2: --****',
      '_strnset 99: ++++++',
      // towlower maps Latin-1 only; towupper the whole simple mapping (alpha), but not sharp s (no one-to-one capital).
      '_wcslwr: 0061 00e9 0100 00e9 03b1 00df',
      '_wcsupr: 0041 00c9 0100 00c9 0391 00df',
      '_wcsrev: cba',
      '_wcsnset: zza',
    ]);
  });

  it('the ctype tests return the class bit of the "C" locale; towupper maps all of Unicode, towlower only Latin-1', () => {
    expect(section(lines(), 'isdigit:', 7)).toEqual([
      // The bit of the test's class (_DIGIT 4, _LOWER 2, _UPPER 1, _SPACE 8, _HEX 0x80), not 1; nothing above 0x7F or for EOF.
      'isdigit: 4 0 0 0',
      'islower/isupper: 2 0 1 0',
      'isspace: 8 8 0',
      'isxdigit: 80 80 0',
      'isprint: 40 101 0 0',
      'tolower/toupper: a Z [ e9',
      'towlower: 00e9 0100 0071 towupper: 00c9 0391 00df',
    ]);
  });

  it('atoi wraps, wcstoul and _strtoui64 saturate and report where they stopped, _itoa and the _s conversions check their buffer', () => {
    expect(section(lines(), 'atoi:', 27)).toEqual([
      // 4294967297 wraps to 1: the kernel CRT's atoi does not check for overflow.
      'atoi: -123 42 1 0',
      // Wide white space includes U+00A0, not U+3000.
      '_wtoi: 77 -5 12 0',
      'wcstoul hex: 31 end 6',
      'wcstoul 0777: 511 end 4',
      'wcstoul 777: 777 end 4',
      'wcstoul none: 0 end 0',
      // "0x" without a hex digit is the number 0 followed by 'x'.
      'wcstoul 0x: 0 end 1',
      'wcstoul: 4294967295 4294967295 1295',
      '_strtoui64: 18446744073709551615 7fffffffffffffff end 20',
      '_strtoui64: 18446744073709551615 18446744073709551615',
      '_itoa: -42 ffffffff 11111111',
      '_itow: ya',
      '_itoa_s 5: 0 -123',
      '_itoa_s 4: 34',
      // Out of room: emptied, with the digits written so far (least significant first) behind the terminator.
      '_itoa_s 4: 00 33 32 31 58',
      '_itoa_s: size 1 34 radix 1 22',
      '_itoa_s NULL: 22',
      '_itow_s: -77',
      '_ltoa_s: -2147483648',
      '_ltow_s: ffffff01',
      '_ultoa_s: deadbeef',
      '_ultow_s: 4294967295',
      '_i64toa_s: -9223372036854775808',
      '_i64toa_s 20: 34',
      '_i64tow_s: 1777777777777777777777',
      '_ui64toa_s: 18446744073709551615',
      '_ui64tow_s: 123456789a',
    ]);
  });

  it('mbstowcs, wcstombs, mbtowc and wctomb convert through the ANSI code page', () => {
    expect(section(lines(), 'mbstowcs:', 10)).toEqual([
      'mbstowcs: 3 2 0061 20ac 0000',
      // count characters converted: no terminator.
      'mbstowcs 3: 3 0063 5858',
      'wcstombs: 4 3',
      // The euro sign is 0x80 in code page 1252; A-macron is not in it: the default character '?'.
      'wcstombs: 61 80 3f 00 58',
      'wcstombs 2: 2',
      'wcstombs 2: 61 62 58',
      'mbtowc: 1 20ac',
      'mbtowc: "" 0 0000 NULL 0 count 0 -1',
      'wctomb: 1 80 0',
      'wctomb U+0100: 3f',
    ]);
  });

  it('the secure copies and sets return EINVAL, ERANGE or STRUNCATE and empty the destination as the CRT does', () => {
    expect(section(lines(), 'memcpy_s:', 40)).toEqual([
      'memcpy_s: 0',
      'memcpy_s: 61 62 63 64 58',
      // Too small: the destination is zeroed, then ERANGE.
      'memcpy_s short: 34',
      'memcpy_s short: 00 00 00 58',
      'memcpy_s NULL: 22 22 0',
      'memcpy_s NULL: 00 00 58',
      'memmove_s: 0 aabcdf',
      'memmove_s short: 34 aabcdf 22',
      'strcpy_s: 0 hello',
      // The characters that fitted stay behind the emptied first one.
      'strcpy_s short: 34',
      'strcpy_s short: 00 65 6c 6c 58',
      'strcpy_s NULL: 22 22 00',
      'strcat_s: 0 abcd',
      'strcat_s short: 34',
      'strcat_s short: 00 62 63 64 58',
      'strcat_s unterminated: 22 00',
      'strncpy_s 3: 0 hel',
      // _TRUNCATE: as much as fits, terminated, STRUNCATE (80).
      'strncpy_s _TRUNCATE: 80 hel',
      // Five characters and a terminator do not fit in five.
      'strncpy_s 5 in 5: 34',
      'strncpy_s 5 in 5: 00 65 6c 6c 6f 58',
      'strncpy_s 0: 0 0 00',
      'strncat_s 2: 0 abcd',
      'strncat_s _TRUNCATE: 80 abcd',
      'strncat_s 3 in 5: 34 00',
      'wcscpy_s: 0 wide',
      'wcscpy_s short: 34 0000 0069',
      'wcscat_s: 0 abc',
      'wcscat_s short: 34 0000',
      'wcsncpy_s: 0 ab',
      'wcsncpy_s _TRUNCATE: 80 abc',
      'wcsncat_s: 0 abcxy',
      '_strset_s: 0 ***',
      // Not terminated within its size: the characters before the last are set, then the string is emptied.
      '_strset_s unterminated: 22',
      '_strset_s unterminated: 00 2a 2a 58 58',
      '_strnset_s: 0 --cdef',
      '_strnset_s short: 22',
      '_strnset_s short: 00 2b 63 64 65',
      '_wcsset_s: 0 zz',
      '_wcsnset_s: 0 yyy 0',
      'strtok_s: a b c | 1',
    ]);
  });

  it('the printf family: _vsnprintf cuts without a terminator (-1), the _s forms terminate, empty on ERANGE or truncate', () => {
    expect(section(lines(), '_vsnprintf 8:', 31)).toEqual([
      '_vsnprintf 8: 5 42-xy',
      // Exactly count characters: stored without a terminator, count returned.
      '_vsnprintf 5: 5',
      '_vsnprintf 5: 34 32 2d 78 79 58',
      // Longer: count characters, no terminator, -1.
      '_vsnprintf 4: -1',
      '_vsnprintf 4: 34 32 2d 78 58',
      '_vsnwprintf 2: -1',
      '_vsnwprintf 2: 61 00 62 00 58 58',
      '_vsnwprintf 16: 3 n=7',
      'vsprintf: 9 00042|abc',
      // %n stores the count so far into the driver's int.
      'sprintf %n: 4 3 abcd',
      '_swprintf: 4 xy/9',
      '_vswprintf: 2 ok',
      'sprintf_s: 7 1234567',
      // Does not fit: size - 1 characters and a terminator are written, then the buffer is emptied (ERANGE).
      'sprintf_s short: -1',
      'sprintf_s short: 00 65 6c 00 58',
      'sprintf_s NULL: -1 -1',
      'vsprintf_s: 2 ff',
      'swprintf_s: 3 50%',
      'vswprintf_s short: -1',
      'vswprintf_s short: 00 00 62 00 00 00 58 58',
      // count below the size: silently truncated at count and terminated.
      '_snprintf_s count 3: -1',
      '_snprintf_s count 3: 68 65 6c 00 58 58 58 58',
      '_snprintf_s _TRUNCATE: -1 hellowo',
      '_snprintf_s short: -1',
      '_snprintf_s short: 00 65 6c 00 58',
      // The CRT also terminates the buffer's last character.
      '_snprintf_s fits: 2',
      '_snprintf_s fits: 68 69 00 58 58 58 58 00',
      '_snprintf_s NULL: 0 -1',
      '_vsnprintf_s: 3 -12',
      '_snwprintf_s: -1 truncat',
      '_vsnwprintf_s: -1 12',
    ]);
  });

  it('qsort and bsearch call the driver\'s comparison routine; rand is the CRT\'s generator, seeded 1 until srand', () => {
    expect(section(lines(), 'qsort:', 8)).toEqual([
      'qsort: -50 -3 -1 0 2 5 5 7 7 8 12 19 21 31 42 63 77 88 99 1000',
      'qsort small: 1 2 3 pairs: 4/40 3/30 2/20 1/10',
      'bsearch 63: 15',
      'bsearch -50: 0',
      'bsearch 6: 1 1',
      'invalid qsort: 3 2 1 bsearch: 1',
      // holdrand = holdrand * 214013 + 2531011, (holdrand >> 16) & 0x7FFF, from 1.
      'rand: 41 18467 6334',
      'srand: 41 7584 19164',
    ]);
  });

  it('an invalid parameter is noted in the trace with the error the routine returns', () => {
    const notes = events(runCrt(arch).trace, 'note').map((e) => e.text);
    expect(notes).toContain('strcpy_s: invalid parameter (the destination is too small): returns ERANGE');
    expect(notes).toContain('memcpy_s: invalid parameter (NULL source): returns EINVAL');
    expect(notes).toContain('qsort: invalid parameter (zero width): returns without sorting');
  });
});

describe('x86 compiler helpers', () => {
  it('_allmul, _alldiv, _allrem, _aulldiv, _aullrem, _alldvrm, _aulldvrm and the shifts compute 64-bit results in edx:eax (and ecx:ebx)', () => {
    expect(section(runCrt('x86').report.dbgPrint.join('').split('\n'), '_allmul:', 10)).toEqual([
      '_allmul: -3298534883328 8589934593',
      '_alldiv: -3 -2147483648 -9223372036854775808',
      '_allrem: -1 1',
      '_aulldiv: 5555555555555555 142857142857',
      '_aullrem: 5 1',
      '_alldvrm: -14 -2',
      '_aulldvrm: 18446743944 582344007',
      '_allshl: 10000000000 300000000 0',
      '_allshr: -16 -1 7000000',
      '_aullshr: 1 ffffffff0000 0',
    ]);
  });

  it('are called as kernel exports', () => {
    const called = new Set(events(runCrt('x86').trace, 'call').map((e) => e.export));
    for (const name of ['_allmul', '_alldiv', '_allrem', '_aulldiv', '_aullrem', '_alldvrm', '_aulldvrm', '_allshl', '_allshr', '_aullshr']) {
      expect(called, name).toContain(`ntoskrnl.exe!${name}`);
    }
  });

  it('a zero divisor raises the divide error in _alldiv: KMODE_EXCEPTION_NOT_HANDLED with STATUS_INTEGER_DIVIDE_BY_ZERO', () => {
    const { report } = run(buildDriver('crt', 'x86', { defines: { DIVZERO: true } }));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x0000001E');
    expect(report.stop?.bugcheck?.params[0]).toBe('0xC0000094');
    expect(report.stop?.reason).toMatch(/^divide error \(#DE\) in _alldiv, called from crt\.sys\+0x[0-9a-f]+ with a zero divisor$/);
    expect(report.dbgPrint.join('')).toBe('dividing by zero\n');
  });
});
