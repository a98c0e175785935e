// Rtl counted strings, code pages (1252 / 437), UTF-8, number and GUID conversions, memory routines and random
// numbers, as a driver observes them: each check is a "section: ..." line the fixture prints.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver, type Arch } from '../fixtures/build.js';
import { events, run } from './harness.js';

const cache = new Map<Arch, string[]>();

/** The fixture's lines of one section, without the section name. */
function section(arch: Arch, name: string): string[] {
  let lines = cache.get(arch);
  if (!lines) {
    const { report } = run(buildDriver('rtlstr', arch));
    expect(report.outcome).toBe('completed');
    lines = report.dbgPrint;
    cache.set(arch, lines);
  }
  return lines.filter((l) => l.startsWith(name + ': ')).map((l) => l.slice(name.length + 2).replace(/\n$/, ''));
}

describe.each(ARCHES)('%s', (arch) => {
  it('RtlInitUnicodeStringEx and RtlInitAnsiStringEx refuse strings too long for a counted string; RtlInitString counts bytes', () => {
    expect(section(arch, 'init')).toEqual([
      'RtlInitUnicodeStringEx 00000000 Length 10 MaximumLength 12 [Hello]',
      'RtlInitUnicodeStringEx(NULL) 00000000 Length 0 MaximumLength 0 Buffer 1',
      // 0xFFFC bytes is the longest text that leaves room for the terminator in a USHORT MaximumLength.
      'RtlInitUnicodeStringEx 32766 chars 00000000 Length 65532 MaximumLength 65534',
      // STATUS_NAME_TOO_LONG, and the destination is left as it was.
      'RtlInitUnicodeStringEx 32767 chars c0000106 Length 1',
      // With its terminator the copy would need 65536 bytes: FALSE, nothing allocated.
      'RtlCreateUnicodeString 32767 chars 0',
      'RtlInitAnsiStringEx 00000000 Length 3 MaximumLength 4 [abc]',
      'RtlInitAnsiStringEx 65534 chars 00000000 Length 65534 MaximumLength 65535',
      'RtlInitAnsiStringEx 65535 chars c0000106',
      'RtlInitString Length 5 MaximumLength 6 [Hello]',
    ]);
  });

  it('the RtlAppend* routines fail with STATUS_BUFFER_TOO_SMALL and leave the string alone; Unicode ones terminate when there is room', () => {
    expect(section(arch, 'append')).toEqual([
      'unicode abc 00000000 Length 6 next 0000',
      'unicode defg 00000000 Length 14 next 0000',
      'unicode h (fills it) 00000000 Length 16 [abcdefgh]',
      'unicode i (no room) c0000023 Length 16',
      'unicode NULL 00000000 Length 16',
      'string cd 00000000 Length 8 [abcd] next 0000',
      // Exactly full: no terminator written past MaximumLength ('X' = 0x0058 stays).
      'string e 00000000 Length 10 next 0058',
      'string e again c0000023 Length 10',
      // Length 8 < MaximumLength 9: the terminator is written, its second byte past MaximumLength.
      'string into odd MaximumLength 00000000 Length 8 next 0000',
      // RtlAppendStringToString never terminates.
      'ansi def 00000000 Length 6 [abcdef] next 58',
      'ansi g c0000023 Length 6',
      'asciiz xy 00000000 Length 4 [abxy]',
      'asciiz xyz c0000023 Length 4',
      'asciiz NULL 00000000 Length 4',
    ]);
  });

  it('ANSI (Windows-1252) and OEM (437) strings convert to and from Unicode, allocated or into the caller\'s buffer', () => {
    expect(section(arch, 'convert')).toEqual([
      // "café €": 0xE9 is é, 0x80 the euro sign; the allocation holds the terminator.
      'ansi->unicode allocated 00000000 Length 12 MaximumLength 14',
      'ansi->unicode text: 0063 0061 0066 00e9 0020 20ac 0000',
      'RtlFreeUnicodeString Length 0 MaximumLength 0 Buffer 1',
      // STATUS_BUFFER_OVERFLOW with Length already set to what was needed, as Windows leaves it.
      'ansi->unicode 8 bytes of room 80000005 Length 8',
      'ansi->unicode 10 bytes of room 00000000 Length 8 [abcd] next 0000',
      // 32767 bytes need 65536 bytes of Unicode: STATUS_INVALID_PARAMETER_2.
      'ansi->unicode 32767 bytes c00000f0',
      // ï → 0xEF, € → 0x80, 中 has no code in 1252: the default character '?'.
      'unicode->ansi allocated 00000000 Length 9 MaximumLength 10',
      'unicode->ansi text: 6e 61 ef 76 65 20 80 20 3f 00',
      'RtlFreeAnsiString Length 0 MaximumLength 0 Buffer 1',
      // Too small: what fits is converted and terminated, and the status says it overflowed.
      'unicode->ansi 4 bytes of room 80000005 Length 3',
      'unicode->ansi truncated: 61 62 63 00 58',
      'unicode->ansi no room 80000005',
      // ß has no single upper-case letter; ÿ becomes Ÿ (0x9F in 1252).
      'upcase unicode->ansi 00000000 Length 8',
      'upcase unicode->ansi text: 53 54 52 41 df 45 20 9f',
      // The upper-case and OEM conversions convert nothing into a buffer that is too small.
      'upcase unicode->ansi 4 bytes of room 80000005 Length 6 first 58',
      // é Ç ▒ in code page 437.
      'unicode->oem 00000000 Length 3 MaximumLength 4',
      'unicode->oem text: 82 80 b1 00',
      'oem->unicode 00000000 Length 6 MaximumLength 8',
      'oem->unicode text: 00e9 00c7 2592',
      'RtlFreeOemString Length 0 MaximumLength 0 Buffer 1',
      'unicode->oem 3 bytes of room 80000005 Length 3 first 58',
      // ÉTÉ: É is 0x90 in 437.
      'upcase unicode->oem text: 90 54 90',
    ]);
  });

  it('the counted OEM conversions write no terminator, give no buffer for empty text and refuse unmappable characters', () => {
    expect(section(arch, 'counted')).toEqual([
      // Exactly 3 bytes of room is enough when no terminator is written.
      'unicode->oem exact room 00000000 Length 3',
      'unicode->oem text: 82 74 82 58',
      'unicode->oem 2 bytes of room 80000005 Length 3',
      'upcase unicode->oem allocated 00000000 Length 3 MaximumLength 3',
      'upcase unicode->oem text: 90 54 90',
      // 中 has no code in 437: STATUS_UNMAPPABLE_CHARACTER, and the allocation is released.
      'unicode->oem unmappable c0000162 Buffer 1',
      // A '?' in the source is a character, not a failed mapping.
      'unicode->oem question mark 00000000 Length 3',
      'unicode->oem empty 00000000 Length 0 MaximumLength 0 Buffer 1',
      'oem->unicode exact room 00000000 Length 6',
      'oem->unicode text: 00e9 0074 00c9 5858',
      'oem->unicode 4 bytes of room 80000005 Length 6',
      'oem->unicode allocated 00000000 Length 6 MaximumLength 6',
    ]);
  });

  it('the size routines count the terminator, and the *N routines convert what fits and succeed', () => {
    expect(section(arch, 'sizes')).toEqual([
      'RtlxUnicodeStringToAnsiSize 4 RtlxUnicodeStringToOemSize 4 RtlxAnsiStringToUnicodeSize 10 RtlxOemStringToUnicodeSize 10',
      'RtlUnicodeStringToAnsiSize 4 RtlUnicodeStringToOemSize 4 RtlAnsiStringToUnicodeSize 10 RtlOemStringToUnicodeSize 10',
      'RtlUnicodeToMultiByteSize 00000000 3',
      'RtlMultiByteToUnicodeSize 00000000 6',
    ]);
    expect(section(arch, 'n')).toEqual([
      // Room for 3 characters of 4; 0x81 is one of 1252's undefined bytes, which map to the C1 control of that value.
      'RtlMultiByteToUnicodeN 6 bytes of room 00000000 6',
      'RtlMultiByteToUnicodeN text: 20ac 0081 0178 5858',
      // 中 has no 1252 code: '?'.
      'RtlUnicodeToMultiByteN 00000000 3',
      'RtlUnicodeToMultiByteN text: 80 3f 21 58',
      'RtlUnicodeToMultiByteN 2 bytes of room, no count 00000000',
      'RtlUnicodeToMultiByteN truncated: 80 3f 58',
      'RtlUpcaseUnicodeToMultiByteN 00000000 4',
      'RtlUpcaseUnicodeToMultiByteN text: 41 42 43 c9',
      'RtlUnicodeToOemN 00000000 3',
      'RtlUnicodeToOemN text: 82 e6 c4',
      'RtlOemToUnicodeN 00000000 8',
      'RtlOemToUnicodeN text: 00e9 00b5 2500 00a0',
      'RtlUpcaseUnicodeToOemN 00000000 2',
      'RtlUpcaseUnicodeToOemN text: 90 5a',
      // Each call reads one byte and moves the caller's pointer past it.
      'RtlAnsiCharToUnicodeChar 20ac 0061 at end 1',
    ]);
  });

  it('RtlUTF8ToUnicodeN and RtlUnicodeToUTF8N size, convert, replace invalid input with U+FFFD and report short buffers', () => {
    expect(section(arch, 'utf8')).toEqual([
      'to unicode size 00000000 8',
      'to unicode 00000000 8',
      'to unicode text: 0068 00e9 d83d de00',
      // Room for 3 units: the surrogate pair is split, as Windows does.
      'to unicode 6 bytes of room c0000023 6 next d83d',
      // STATUS_SOME_NOT_MAPPED: a stray 0xFF and a truncated sequence each become one U+FFFD.
      'to unicode invalid 00000107 8',
      'to unicode invalid text: 0061 fffd 0062 fffd',
      // An encoded surrogate (ED A0 80) and an overlong form (E0 80 AD): one U+FFFD for the lead and the
      // out-of-range byte after it, one for each continuation byte left.
      'to unicode surrogate and overlong 00000107 12',
      'to unicode surrogate and overlong text: 002d fffd fffd 002d fffd fffd',
      'to unicode past U+10FFFF and cut short 00000107 10',
      'to unicode past U+10FFFF and cut short text: fffd fffd fffd fffd 002d',
      'to unicode NULL source c00000f2',
      'to unicode no buffer no count c000000d',
      'from unicode size 00000000 7',
      'from unicode 00000000 7',
      'from unicode text: 68 c3 a9 f0 9f 98 80',
      'from unicode 4 bytes of room c0000023 3 next 58',
      'from unicode lone surrogate 00000107 4',
      'from unicode lone surrogate text: 61 ef bf bd',
      'from unicode odd byte count c00000f3',
      'from unicode size of an odd byte count 00000000 1',
      'from unicode NULL source c00000f2',
      'from unicode no buffer no count c000000d',
    ]);
  });

  it('STRING routines copy, compare (signed CHARs), test prefixes and upper-case only a-z', () => {
    expect(section(arch, 'ansi')).toEqual([
      'RtlCopyString Length 4 [abcd] next 58',
      'RtlCopyString(NULL) Length 0',
      "compare abc ABC 32 insensitive 0",
      'compare abc abcde -2',
      // CHAR is signed: 0xE9 sorts before 'a'.
      'compare e-acute a -1',
      // Case-insensitive compares go through RtlUpperChar, which leaves é and É alone.
      'compare e-acute E-acute 32 insensitive 32',
      'equal Hello HELLO 0 insensitive 1',
      'equal Hello Hell insensitive 0',
      'prefix AB abc 0 insensitive 1',
      'prefix ab abc 1',
      'prefix abcd abc 0',
      'RtlUpperString Length 9',
      // Only a-z: bytes from 0x80 (é ÿ µ) are negative CHARs that Windows passes through.
      'RtlUpperString text: 48 45 4c 4c 4f 20 e9 ff b5 58',
      'RtlUpperString 3 bytes of room Length 3 [HEL] next 58',
      'RtlUpperChar 41 31 e9 ff b5',
    ]);
  });

  it('RtlUpcase/DowncaseUnicodeString map Unicode case into the caller\'s buffer or a new one; the Char forms map one', () => {
    expect(section(arch, 'case')).toEqual([
      'RtlUpcaseUnicodeString allocated 00000000 Length 12 MaximumLength 12',
      'RtlUpcaseUnicodeString text: 0041 0042 0043 00c9 0100 005a',
      'RtlUpcaseUnicodeString 10 bytes of room 80000005 Length 0',
      'RtlDowncaseUnicodeString 00000000 Length 10',
      'RtlDowncaseUnicodeString text: 0061 0062 0063 00e9 0101',
      'RtlDowncaseUnicodeString allocated 00000000 MaximumLength 10 changed buffer 1',
      // Case pairs are one to one: µ (U+00B5) has no upper case here, ϴ (U+03F4) no lower case.
      'RtlUpcaseUnicodeChar 0041 00c9 0391 0031 00b5 0178',
      'RtlDowncaseUnicodeChar 007a 00e9 03b1 0031 03f4 00ff',
    ]);
  });

  it('RtlPrefixUnicodeString, RtlCompareUnicodeStrings (lengths in characters) and RtlHashUnicodeString (x65599)', () => {
    expect(section(arch, 'compare')).toEqual([
      'prefix Device 1',
      'prefix DEVICE 0 insensitive 1',
      'prefix longer 0',
      // The first differing characters' difference, else the difference of the lengths in characters.
      'strings abc abd -1, abc ABC insensitive 0, abc ab 1, ab abc -1, abc ABC 32',
    ]);
    // h = h * 65599 + c in 32 bits: "abc" = (97 * 65599 + 98) * 65599 + 99.
    const x65599 = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 65599) + c.charCodeAt(0)) >>> 0, 0).toString(16).padStart(8, '0');
    expect(section(arch, 'hash')).toEqual([
      `abc x65599 00000000 ${x65599('abc')}`,
      // Case-insensitive hashes the upper-case text; HASH_STRING_ALGORITHM_DEFAULT is x65599.
      `abc insensitive default 00000000 ${x65599('ABC')}`,
      `\\Registry\\Machine insensitive 00000000 ${x65599('\\REGISTRY\\MACHINE')}`,
      'empty 00000000 00000000',
      'algorithm 2 c000000d',
      'NULL result c000000d',
      'NULL string c000000d',
    ]);
    // The formula reproduces Windows' own value for "Test".
    expect(x65599('Test')).toBe('766bb952');
  });

  it('RtlCreateUnicodeString and RtlDuplicateUnicodeString allocate copies; RtlValidateUnicodeString checks the fields', () => {
    expect(section(arch, 'create')).toEqual([
      'RtlCreateUnicodeString 1 Length 14 MaximumLength 16 [Created] terminator 0000',
      'duplicate terminated 00000000 Length 6 MaximumLength 8 [dup] terminator 0000 new buffer 1',
      'duplicate 00000000 Length 6 MaximumLength 6',
      // An empty source gives no buffer unless both flags ask for an allocated empty string.
      'duplicate empty 00000000 Length 0 MaximumLength 0 Buffer 1',
      'duplicate empty allocated 00000000 Length 0 MaximumLength 2 Buffer 1 terminator 0000',
      'duplicate invalid flags 2 c000000d 4 c000000d NULL source c000000d',
      'duplicate Length > MaximumLength c000000d',
    ]);
    expect(section(arch, 'validate')).toEqual([
      'good 00000000 NULL 00000000 flags 1 c000000d',
      'odd Length c000000d',
      'odd MaximumLength c000000d',
      'Length > MaximumLength c000000d',
      'NULL Buffer with Length c000000d',
      'empty NULL Buffer 00000000',
    ]);
  });

  it('integers convert to text in bases 2, 8, 10 and 16 and back, with Windows\' prefixes, signs and statuses', () => {
    expect(section(arch, 'int')).toEqual([
      'RtlIntegerToChar 255 16 00000000 [FF]',
      'RtlIntegerToChar 255 2 00000000 [11111111]',
      'RtlIntegerToChar 4294967295 0 00000000 [4294967295]',
      'RtlIntegerToChar 8 8 00000000 [10]',
      // STATUS_INVALID_PARAMETER, STATUS_BUFFER_OVERFLOW, and STATUS_ACCESS_VIOLATION for a NULL buffer.
      'RtlIntegerToChar base 3 c000000d, 2 bytes for 255 80000005, NULL c0000005',
      // Exactly as long as the digits: no terminator.
      'RtlIntegerToChar exact 00000000',
      'RtlIntegerToChar exact text: 32 35 35 58',
      // A negative OutputLength zero-pads to that many characters.
      'RtlIntegerToChar padded 00000000',
      'RtlIntegerToChar padded text: 30 30 41 42 58',
      // A bad output buffer is caught: the status, not a fault.
      'RtlIntegerToChar padded too long 80000005, unmapped buffer c0000005',
      'RtlIntegerToUnicode 00000000 [FF]',
      'RtlIntegerToUnicode exact 00000000',
      'RtlIntegerToUnicode exact text: 0032 0035 0035 5858',
      'RtlIntegerToUnicode padded 00000000',
      'RtlIntegerToUnicode padded text: 0030 0030 0031 0031 0031 0031 0031 0031 0031 0031 5858',
      'RtlIntegerToUnicode base 7 c000000d, 2 characters for 255 80000005, NULL c0000005',
      'RtlIntegerToUnicodeString 1234 00000000 Length 8 [1234] terminator 0000',
      'RtlIntegerToUnicodeString beef 00000000 [BEEF]',
      'RtlIntegerToUnicodeString base 7 c000000d',
      'RtlIntegerToUnicodeString 8 bytes of room 80000005 Length 8',
      'RtlInt64ToUnicodeString hex 00000000 [123456789ABCDEF0]',
      'RtlInt64ToUnicodeString max 00000000 Length 40 [18446744073709551615]',
      'RtlInt64ToUnicodeString base 0 00000000 [5]',
      'RtlInt64ToUnicodeString base 3 c000000d',
      'RtlUnicodeStringToInteger [  -42] 0 00000000 ffffffd6',
      'RtlUnicodeStringToInteger [0x1F] 0 00000000 0000001f',
      'RtlUnicodeStringToInteger [0b101] 0 00000000 00000005',
      'RtlUnicodeStringToInteger [0o17] 0 00000000 0000000f',
      // Only a lower-case x is a prefix: "0X1F" is the number 0 followed by text.
      'RtlUnicodeStringToInteger [0X1F] 0 00000000 00000000',
      'RtlUnicodeStringToInteger [1F] 16 00000000 0000001f',
      'RtlUnicodeStringToInteger [12abc] 10 00000000 0000000c',
      'RtlUnicodeStringToInteger [z] 10 00000000 00000000',
      // 99999999999 mod 2^32: the ULONG wraps.
      `RtlUnicodeStringToInteger [99999999999] 10 00000000 ${(99999999999 % 2 ** 32).toString(16).padStart(8, '0')}`,
      // A failed call leaves 0 in *Value, and an odd Length is refused.
      'RtlUnicodeStringToInteger [12] 5 c000000d 00000000',
      'RtlUnicodeStringToInteger odd Length c000000d 00000000',
      'RtlCharToInteger [  +123xyz] 10 00000000 0000007b',
      'RtlCharToInteger [0x7fffffff] 0 00000000 7fffffff',
      'RtlCharToInteger [-1] 10 00000000 ffffffff',
      'RtlCharToInteger [777] 8 00000000 000001ff',
      'RtlCharToInteger [10] 2 00000000 00000002',
      'RtlCharToInteger [12] 7 c000000d 0000dead',
      'RtlCharToInteger NULL value c0000005',
    ]);
  });

  it('RtlStringFromGUID allocates the braced upper-case form; RtlGUIDFromString parses exactly that form', () => {
    expect(section(arch, 'guid')).toEqual([
      'RtlStringFromGUID 00000000 Length 76 MaximumLength 78 [{12345678-9ABC-DEF0-0123-456789ABCDEF}] terminator 0000',
      'RtlGUIDFromString round trip 00000000 equal 1',
      'lower case 00000000 Data1 00112233 Data2 4455 Data3 6677 Data4 88..ff',
      'no braces c000000d',
      'not hex c000000d',
      'trailing text c000000d',
    ]);
  });

  it('the memory routines compare, fill, zero and move (overlapping too), as each architecture exports them', () => {
    const common = [
      'RtlCompareMemory 3 6 0',
      // The bytes of the leading ULONGs that match; 0 for a Length that is not a multiple of 4 or a misaligned Source.
      'RtlCompareMemoryUlong 12 8 0, Length 10 0, misaligned 0',
      'RtlFillMemory: 5a 5a 5a 5a 5a 2e 2e',
      'RtlZeroMemory: 5a 00 00 00 5a 2e 2e',
      'RtlMoveMemory overlapping: 61 62 61 62 63 64',
    ];
    expect(section(arch, 'mem')).toEqual(
      arch === 'x64'
        ? [...common, 'RtlCopyMemory: 30 31 32 33 34 35 2e', 'RtlCopyMemoryNonTemporal: 30 78 79 7a 34 35 2e', 'x86-only routines 1 1 1']
        : [
            ...common,
            // Whole ULONGs / ULONGLONGs of the pattern; the rest of Length is left alone.
            'RtlFillMemoryUlong: 44 33 22 11 44 33 22 11 2e 2e 2e',
            'RtlFillMemoryUlonglong: 08 07 06 05 04 03 02 01 08 07 06 05 04 03 02 01 2e',
            // fastcall: USHORT and ULONG in ecx, the ULONGLONG on the stack, returned in edx:eax.
            'byte swaps 3412 78563412 efcdab8967452301',
            'x64-only routines 1 1',
          ],
    );
  });

  it('RtlRandom and RtlRandomEx follow Windows\' generator from the caller\'s seed: the same numbers on every run', () => {
    // x' = (x * 0x7fffffed + 0x7fffffc3) mod 2^32 mod 0x7fffffff; RtlRandom shuffles through its 128-entry table.
    const lcg = (x: number) => ((Math.imul(x, 0x7fffffed) + 0x7fffffc3) >>> 0) % 0x7fffffff;
    const ex = [lcg(1), lcg(lcg(1)), lcg(lcg(lcg(1)))].map((v) => v.toString(16).padStart(8, '0'));
    expect(section(arch, 'random')).toEqual([
      'RtlRandom 7a50bbc6 62e26657 1abc2c4b seed 0b3773e1',
      `RtlRandomEx ${ex.join(' ')} seed ${ex[2]}`,
    ]);
  });

  it('the results come from the kernel exports, and the strings they allocate are all freed', () => {
    const { report, trace } = run(buildDriver('rtlstr', arch));
    expect(report.unload.leaks).toEqual([]);
    const called = new Set(events(trace, 'call').map((e) => e.export.replace(/^ntoskrnl\.exe!/, '')));
    const names = [
      'RtlInitUnicodeStringEx', 'RtlInitAnsiStringEx', 'RtlInitString', 'RtlAppendUnicodeToString', 'RtlAppendUnicodeStringToString',
      'RtlAppendStringToString', 'RtlAppendAsciizToString', 'RtlAnsiStringToUnicodeString', 'RtlUnicodeStringToAnsiString',
      'RtlUpcaseUnicodeStringToAnsiString', 'RtlUnicodeStringToOemString', 'RtlUnicodeStringToCountedOemString',
      'RtlUpcaseUnicodeStringToCountedOemString', 'RtlOemStringToCountedUnicodeString', 'RtlOemStringToUnicodeString', 'RtlUpcaseUnicodeStringToOemString',
      'RtlFreeUnicodeString', 'RtlFreeAnsiString', 'RtlFreeOemString', 'RtlxUnicodeStringToAnsiSize', 'RtlxUnicodeStringToOemSize',
      'RtlxAnsiStringToUnicodeSize', 'RtlxOemStringToUnicodeSize', 'RtlUnicodeStringToAnsiSize', 'RtlUnicodeStringToOemSize',
      'RtlAnsiStringToUnicodeSize', 'RtlOemStringToUnicodeSize', 'RtlUnicodeToMultiByteSize', 'RtlMultiByteToUnicodeSize',
      'RtlMultiByteToUnicodeN', 'RtlUnicodeToMultiByteN', 'RtlUpcaseUnicodeToMultiByteN', 'RtlUnicodeToOemN', 'RtlOemToUnicodeN',
      'RtlUpcaseUnicodeToOemN', 'RtlAnsiCharToUnicodeChar', 'RtlUTF8ToUnicodeN', 'RtlUnicodeToUTF8N', 'RtlCopyString', 'RtlCompareString',
      'RtlEqualString', 'RtlPrefixString', 'RtlUpperString', 'RtlUpperChar', 'RtlUpcaseUnicodeString', 'RtlDowncaseUnicodeString',
      'RtlUpcaseUnicodeChar', 'RtlDowncaseUnicodeChar', 'RtlPrefixUnicodeString', 'RtlCompareUnicodeStrings', 'RtlHashUnicodeString',
      'RtlCreateUnicodeString', 'RtlDuplicateUnicodeString', 'RtlValidateUnicodeString', 'RtlIntegerToChar', 'RtlIntegerToUnicode', 'RtlIntegerToUnicodeString',
      'RtlInt64ToUnicodeString', 'RtlUnicodeStringToInteger', 'RtlCharToInteger', 'RtlStringFromGUID', 'RtlGUIDFromString',
      'RtlCompareMemory', 'RtlCompareMemoryUlong', 'RtlFillMemory', 'RtlZeroMemory', 'RtlMoveMemory', 'RtlRandom', 'RtlRandomEx',
      ...(arch === 'x64'
        ? ['RtlCopyMemory', 'RtlCopyMemoryNonTemporal']
        : ['RtlFillMemoryUlong', 'RtlFillMemoryUlonglong', 'RtlUshortByteSwap', 'RtlUlongByteSwap', 'RtlUlonglongByteSwap']),
    ];
    for (const name of names) expect(called, name).toContain(name);
    const alloc = events(trace, 'call').find((e) => e.export === 'ntoskrnl.exe!RtlAnsiStringToUnicodeString');
    expect(alloc?.args).toMatchObject({ SourceString: expect.stringMatching(/"caf. .*"$/), AllocateDestinationString: 'TRUE' });
  });

  it('gives the same results and trace on both engines', () => {
    const a = run(buildDriver('rtlstr', arch), [], { engine: 'wasm' });
    const b = run(buildDriver('rtlstr', arch), [], { engine: 'unicorn' });
    expect(b.report.outcome).toBe('completed');
    expect(b.report.dbgPrint).toEqual(a.report.dbgPrint);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
  });

  it('a string the driver never frees is a leak tagged Strg, of the size the string routine allocated, at the driver\'s call', () => {
    const { report, trace } = run(buildDriver('rtlstr', arch, { defines: { LEAK: true } }));
    expect(report.outcome).toBe('completed');
    const address = /leak: ([0-9A-F]+)\n/.exec(report.dbgPrint[0])![1];
    const call = events(trace, 'call').find((e) => e.export === 'ntoskrnl.exe!RtlCreateUnicodeString')!;
    // "leaked" and its terminator: 14 bytes.
    expect(report.unload.leaks).toEqual([
      { kind: 'pool', detail: `14 bytes tagged 'Strg' at 0x${BigInt('0x' + address).toString(16).toUpperCase()}`, tag: 'Strg', size: 14, caller: call.caller },
    ]);
    expect(call.caller).toMatch(/^rtlstr\.sys\+0x/);
  });

  it('RtlFreeUnicodeString on a buffer that is not pool memory bugchecks BAD_POOL_CALLER 0x46', () => {
    const { report } = run(buildDriver('rtlstr', arch, { defines: { BADFREE: true } }));
    expect(report.outcome).toBe('bugcheck');
    const address = BigInt('0x' + /badfree: ([0-9A-F]+)\n/.exec(report.dbgPrint[0])![1]);
    expect(report.stop?.bugcheck?.name).toBe('BAD_POOL_CALLER');
    expect(report.stop?.bugcheck?.params.map(BigInt)).toEqual([0x46n, address, 0n, 0n]);
    expect(report.stop?.module).toBe('rtlstr.sys');
    expect(report.dbgPrint).not.toContain('badfree: returned\n');
  });

  it('a NULL UNICODE_STRING where one is required faults in the kernel routine, located at the driver\'s call', () => {
    const { report } = run(buildDriver('rtlstr', arch, { defines: { NULLSTR: true } }));
    expect(report.outcome).toBe('fault');
    // Windows reads the source's Length without a check: the access violation is the kernel routine's, at the call.
    expect(report.stop?.reason).toMatch(/ntoskrnl\.exe!RtlAppendUnicodeStringToString, called from rtlstr\.sys\+0x[0-9a-f]+, read/);
    expect(report.stop?.fault).toEqual({ access: 'read', address: '0x0' });
    expect(report.stop?.bugcheck).toBeDefined();
    expect(report.stop?.stack?.[0]).toMatch(/^rtlstr\.sys\+0x/);
    expect(report.dbgPrint).not.toContain('nullstr: returned\n');
  });
});
