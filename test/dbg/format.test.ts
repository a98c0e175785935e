// Tests of hal/dbg/format.ts against the behaviour of Windows' kernel/ntdll printf.
// Expected strings marked "(Windows)" are results that Wine's conformance tests check on real Windows.

import { describe, expect, it } from 'vitest';
import {
  DBGPRINT_BUFFER_SIZE,
  GuestFault,
  ansiToUnicode,
  formatDbgPrint,
  formatPrintf,
  formatPrintfEx,
  readCString,
  readWString,
  truncateDbgPrint,
  unicodeToAnsi,
  type Arch,
} from '../../hal/dbg/format.js';
import { FakeMemory, bytes, i32, i64, ptr, stackArgs, text, units, utf16le, type Arg } from './fakeguest.js';

const STR = 0x10000n; // narrow "str"
const WSTR = 0x20000n; // wide L"str"
const END = 0x30000n; // narrow "end"
const WEND = 0x40000n; // wide L"end"

function memory(): FakeMemory {
  return new FakeMemory().cstr(STR, 'str').wstr(WSTR, 'str').cstr(END, 'end').wstr(WEND, 'end');
}

/** sprintf(fmt, args...) as a narrow string. */
function sp(fmt: string, args: Arg[] = [], arch: Arch = 'x64', mem: FakeMemory = memory()): string {
  return text(formatPrintf(bytes(fmt), stackArgs(arch, args), mem, arch, false));
}

/** swprintf(fmt, args...) as a JS string of UTF-16 units. */
function swp(fmt: string, args: Arg[] = [], arch: Arch = 'x64', mem: FakeMemory = memory()): string {
  return text(formatPrintf(units(fmt), stackArgs(arch, args), mem, arch, true));
}

describe('literal text', () => {
  it('copies text and turns %% into a single percent sign', () => {
    expect(sp('100%% sure')).toBe('100% sure');
  });
  it('prints nothing for a lone % at the end of the format', () => {
    expect(sp('abc%')).toBe('abc');
  });
  it('stops at the first NUL of the format', () => {
    expect(text(formatPrintf(Uint8Array.from([0x61, 0, 0x62]), stackArgs('x64', []), memory(), 'x64', false))).toBe('a');
  });
});

describe('integer conversions', () => {
  for (const arch of ['x86', 'x64'] as const) {
    it(`formats signed, unsigned, hex and octal 32-bit values (${arch})`, () => {
      expect(sp('%d %i %u', [i32(-5), i32(42), i32(-1)], arch)).toBe('-5 42 4294967295');
      expect(sp('%x %X %o', [i32(0xbeef), i32(0xbeef), i32(8)], arch)).toBe('beef BEEF 10');
      expect(sp('%d', [i32(-2147483648)], arch)).toBe('-2147483648');
    });
  }

  it('reads only 32 bits for %d and %lu on x64 (long is 32-bit on Windows)', () => {
    // The stack slot's upper half holds garbage; a 64-bit read would show it.
    expect(sp('%d %lu %lx', [i32(7), i32(65537), i32(0xffffffff)], 'x64')).toBe('7 65537 ffffffff');
  });

  it('applies the + and space flags to signed conversions only', () => {
    expect(sp('%+d % d %+u % x', [i32(5), i32(5), i32(5), i32(5)])).toBe('+5  5 5 5');
    expect(sp('%+d', [i32(0)])).toBe('+0');
  });

  it('pads to the width with spaces, zeros after the sign, or on the right with -', () => {
    expect(sp('[%6d][%-6d][%06d][%-06d]', [i32(-42), i32(-42), i32(-42), i32(-42)])).toBe('[   -42][-42   ][-00042][-42   ]');
  });

  it('takes * width and precision from the arguments, a negative width meaning left-justify', () => {
    expect(sp('[%*d][%*d][%.*d]', [i32(5), i32(1), i32(-5), i32(2), i32(4), i32(7)])).toBe('[    1][2    ][0007]');
  });

  it('treats a negative * precision as no precision', () => {
    expect(sp('[%.*s]', [i32(-1), ptr(STR)])).toBe('[str]');
  });

  it('pads digits to the precision and ignores the 0 flag when a precision is given', () => {
    expect(sp('[%.5d][%08.3d][%.0d][%.0x]', [i32(-42), i32(5), i32(0), i32(0)])).toBe('[-00042][     005][][]');
  });

  it('puts 0x before non-zero values only under # (Windows)', () => {
    expect(sp('%#x %#x', [i32(0), i32(1)])).toBe('0 0x1');
    expect(sp('%#X %#o %#o', [i32(255), i32(8), i32(0)])).toBe('0XFF 010 0');
    expect(sp('[%#08x]', [i32(0x1f)])).toBe('[0x00001f]');
  });

  it('truncates to 16 bits under h (Windows)', () => {
    expect(sp('%hx %hd', [i32(0x123456), i32(987654)])).toBe('3456 4614');
    expect(sp('%hu %hd', [i32(65537), i32(0xffff)])).toBe('1 -1');
  });

  it('treats hh like h: the kernel CRT has no char-sized integers', () => {
    expect(sp('%hhd %hhu', [i32(0x1ff), i32(65537)])).toBe('511 1');
  });

  for (const arch of ['x86', 'x64'] as const) {
    it(`reads 64 bits for I64, ll and j, two stack slots on x86 (${arch}, Windows)`, () => {
      expect(sp('%I64x %d', [i64(0x1234567890n), i32(1)], arch)).toBe('1234567890 1');
      expect(sp('%llx %d', [i64(0x1234567890n), i32(1)], arch)).toBe('1234567890 1');
      expect(sp('%jx %d', [i64(0x1234567890n), i32(1)], arch)).toBe('1234567890 1');
      expect(sp('%I64d %lld', [i64(-1n), i64(-9223372036854775808n)], arch)).toBe('-1 -9223372036854775808');
      expect(sp('%I64u', [i64(0xffffffffffffffffn)], arch)).toBe('18446744073709551615');
      expect(sp('%I32x %d', [i32(0x123456), i32(1)], arch)).toBe('123456 1');
    });
  }

  it('reads pointer-sized values for I, z and t: 32-bit on x86, 64-bit on x64 (Windows)', () => {
    for (const p of ['I', 'z', 't']) {
      expect(sp(`%${p}x %d`, [i32(0x123456), i32(1)], 'x86')).toBe('123456 1');
      expect(sp(`%${p}x %d`, [i64(0x1234567890n), i32(1)], 'x64')).toBe('1234567890 1');
    }
  });

  it('accepts size prefixes in any number and order like Windows', () => {
    // Combinations from Wine's test_printf_format, checked on Windows.
    expect(sp('%lllllllu|%s', [i64(10n), ptr(END)])).toBe('10|end');
    expect(sp('%hllx|%s', [i64(0x100000010n), ptr(END)])).toBe('100000010|end');
    expect(sp('%llhx|%s', [i64(0x100000010n), ptr(END)])).toBe('100000010|end');
    expect(sp('%hlu|%s', [i32(65537), ptr(END)])).toBe('1|end');
    expect(sp('%lhu|%s', [i32(65537), ptr(END)])).toBe('1|end');
    expect(sp('%##lhllwlx|%s', [i64(0x1000000010n), ptr(END)])).toBe('0x1000000010|end');
    expect(sp('%04lhlwllx|%s', [i64(0x1000000010n), ptr(END)])).toBe('1000000010|end');
    expect(sp('% llu|%s', [i64(10n), ptr(END)])).toBe('10|end');
    expect(sp('%# llx|%s', [i64(10n), ptr(END)])).toBe('0xa|end');
    expect(sp('%Lx|%s', [i32(10), ptr(END)])).toBe('a|end'); // L is no size for integers
  });
});

describe('unknown and unsupported conversions', () => {
  it('prints an unknown conversion letter and consumes no argument (Windows)', () => {
    expect(sp('%qu|%s', [ptr(END)])).toBe('qu|end');
    expect(sp('%q%u|%s', [i32(10), ptr(END)])).toBe('q10|end');
    expect(sp('%u% %u|%s', [i32(10), ptr(END)])).toBe('10%u|end');
    expect(sp('%  ll u|%s', [ptr(END)])).toBe(' u|end');
    expect(sp('%lhw%u|%s', [ptr(END)])).toBe('%u|end');
    expect(sp('%ll|%s', [ptr(END)])).toBe('|end');
  });

  it('prints %f as "f" without consuming the double, and warns that DbgPrint has no floating point', () => {
    const args = stackArgs('x64', [i32(42)]);
    const r = formatPrintfEx(bytes('%f|%d %.2e'), args, memory(), 'x64', false);
    expect(text(r.output)).toBe('f|42 e');
    expect(args.consumed()).toBe(8);
    expect(r.warnings).toContain('float-unsupported');
  });

  it('flags unknown conversions as a warning', () => {
    expect(formatPrintfEx(bytes('%y'), stackArgs('x64', []), memory(), 'x64', false).warnings).toEqual(['unknown-conversion']);
  });
});

describe('string conversions in a narrow format', () => {
  it('takes char* for %s %hs and wchar_t* for %S %ls %ws (Windows)', () => {
    expect(sp('%s|%hs|%S|%ls|%ws|%wS', [ptr(STR), ptr(STR), ptr(WSTR), ptr(WSTR), ptr(WSTR), ptr(WSTR)])).toBe(
      'str|str|str|str|str|str',
    );
  });

  it('keeps %lls narrow and %llS wide: ll is an integer size, not "wide" (Windows)', () => {
    expect(sp('%lls|%llS|%llls|%lllls', [ptr(STR), ptr(WSTR), ptr(WSTR), ptr(STR)])).toBe('str|str|str|str');
  });

  it('lets w win over h in a narrow format (Windows)', () => {
    expect(sp('%hws|%whS|%hS', [ptr(WSTR), ptr(WSTR), ptr(STR)])).toBe('str|str|str');
  });

  it('prints (null) for NULL string pointers, cut by the precision', () => {
    expect(sp('%s|%S|%.3s|%8s', [ptr(0n), ptr(0n), ptr(0n), ptr(0n)])).toBe('(null)|(null)|(nu|  (null)');
  });

  it('limits the characters to the precision and pads to the width', () => {
    const mem = memory().cstr(0x50000n, 'abcdef');
    expect(sp('[%.3s][%-5s][%5s][%05s]', [ptr(0x50000n), ptr(STR), ptr(STR), ptr(STR)], 'x64', mem)).toBe(
      '[abc][str  ][  str][00str]',
    );
  });

  it('never reads past the precision, so a short unterminated buffer is fine', () => {
    const mem = memory().cstr(0x50000n, 'abc', false); // ends right at unmapped memory
    expect(sp('%.3s', [ptr(0x50000n)], 'x64', mem)).toBe('abc');
    expect(sp('%.0s|', [ptr(0xdead0000n)], 'x64', mem)).toBe('|');
  });

  it('converts wide text to the ANSI code page, unknown characters becoming ?', () => {
    const mem = memory().wstr(0x50000n, 'caf\u00e9 \u20ac \u95c8 \u0100');
    expect(Array.from(formatPrintf(bytes('%ws'), stackArgs('x64', [ptr(0x50000n)]), mem, 'x64', false))).toEqual([
      ...bytes('caf'),
      0xe9,
      0x20,
      0x80,
      0x20,
      0x3f,
      0x20,
      0x3f,
    ]);
  });

  it('passes narrow bytes through unchanged', () => {
    const mem = memory().map(0x50000n, Uint8Array.from([0x80, 0xe9, 0xff, 0]));
    expect(Array.from(formatPrintf(bytes('%s'), stackArgs('x86', [ptr(0x50000n)]), mem, 'x86', false))).toEqual([0x80, 0xe9, 0xff]);
  });

  it('caps a string with no terminator at maxStringChars and warns', () => {
    const mem = memory().map(0x50000n, new Uint8Array(100).fill(0x41));
    const r = formatPrintfEx(bytes('%s'), stackArgs('x64', [ptr(0x50000n)]), mem, 'x64', false, { maxStringChars: 10 });
    expect(text(r.output)).toBe('AAAAAAAAAA');
    expect(r.warnings).toEqual(['string-capped']);
  });
});

describe('character conversions', () => {
  it('prints the low byte for %c and %hc, ? for an ANSI-less wide char in %lc %C %wc (Windows)', () => {
    const out = formatPrintf(bytes('%c%hc%llc%lc%C%wc%hwc'), stackArgs('x64', Array(7).fill(i32(0x95c8))), memory(), 'x64', false);
    expect(Array.from(out)).toEqual([0xc8, 0xc8, 0xc8, 0x3f, 0x3f, 0x3f, 0x3f]);
  });

  it('prints a NUL character as a byte of the output', () => {
    expect(Array.from(formatPrintf(bytes('a%cb'), stackArgs('x86', [i32(0)]), memory(), 'x86', false))).toEqual([0x61, 0, 0x62]);
  });

  it('pads a character to the width but ignores the precision', () => {
    expect(sp('[%3c][%-3c][%.0c]', [i32(0x41), i32(0x42), i32(0x43)])).toBe('[  A][B  ][C]');
  });
});

describe('wide formats (_snwprintf / swprintf)', () => {
  it('takes wchar_t* for %s %ls %ws and char* for %S %hs (Windows)', () => {
    expect(swp('%s|%ls|%ws|%S|%hs|%lls|%llS', [ptr(WSTR), ptr(WSTR), ptr(WSTR), ptr(STR), ptr(STR), ptr(WSTR), ptr(STR)])).toBe(
      'str|str|str|str|str|str|str',
    );
  });

  it('lets h win over w in a wide format (Windows)', () => {
    expect(swp('%hws|%lhwS', [ptr(STR), ptr(STR)])).toBe('str|str');
  });

  it('keeps wide characters and widens narrow ones through the ANSI code page (Windows)', () => {
    const out = formatPrintf(units('%c%C%hc%lC%wc'), stackArgs('x86', Array(5).fill(i32(0x95c8))), memory(), 'x86', true);
    expect(Array.from(out)).toEqual([0x95c8, 0xc8, 0xc8, 0x95c8, 0x95c8]);
    const euro = formatPrintf(units('%C'), stackArgs('x86', [i32(0x80)]), memory(), 'x86', true);
    expect(Array.from(euro)).toEqual([0x20ac]);
  });

  it('formats numbers and (null) as UTF-16 units', () => {
    expect(swp('%I64x %d %#x %s', [i64(0x1234567890n), i32(1), i32(0), ptr(0n)], 'x86')).toBe('1234567890 1 0 (null)');
  });

  it('accepts the format as raw UTF-16LE bytes', () => {
    const out = formatPrintf(utf16le('n=%d'), stackArgs('x64', [i32(3)]), memory(), 'x64', true);
    expect(text(out)).toBe('n=3');
  });
});

describe('%Z and %wZ counted strings', () => {
  // ANSI_STRING / UNICODE_STRING: Length, MaximumLength, then Buffer at offset 4 (x86) or 8 (x64).
  function counted(arch: Arch, at: bigint, length: number, buffer: bigint): Uint8Array {
    const b = new Uint8Array(arch === 'x64' ? 16 : 8);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, length, true);
    dv.setUint16(2, length + 2, true);
    if (arch === 'x64') dv.setBigUint64(8, buffer, true);
    else dv.setUint32(4, Number(buffer), true);
    return b;
  }

  for (const arch of ['x86', 'x64'] as const) {
    it(`prints exactly Length bytes of a UNICODE_STRING, not up to a NUL (${arch})`, () => {
      // "DriverName" without terminator, followed directly by unmapped memory.
      const mem = memory().map(0x50000n, utf16le('\\Driver\\Demo')).map(0x60000n, counted(arch, 0x60000n, 14, 0x50000n));
      expect(sp('[%wZ]', [ptr(0x60000n)], arch, mem)).toBe('[\\Driver]');
    });

    it(`prints an ANSI_STRING with %Z and honours the width (${arch})`, () => {
      const mem = memory().cstr(0x50000n, 'hello world').map(0x60000n, counted(arch, 0x60000n, 5, 0x50000n));
      expect(sp('[%Z][%-7Z][%.2Z]', [ptr(0x60000n), ptr(0x60000n), ptr(0x60000n)], arch, mem)).toBe('[hello][hello  ][hello]');
    });
  }

  it('prints (null) for a NULL PUNICODE_STRING or a NULL Buffer', () => {
    const mem = memory().map(0x60000n, counted('x64', 0x60000n, 10, 0n));
    expect(sp('%wZ|%wZ|%Z', [ptr(0n), ptr(0x60000n), ptr(0n)], 'x64', mem)).toBe('(null)|(null)|(null)');
  });

  it('reads the UNICODE_STRING for %wZ in a wide format and the ANSI_STRING for %Z', () => {
    const mem = memory()
      .map(0x50000n, utf16le('wide'))
      .cstr(0x51000n, 'ansi')
      .map(0x60000n, counted('x64', 0x60000n, 8, 0x50000n))
      .map(0x61000n, counted('x64', 0x61000n, 4, 0x51000n));
    expect(swp('%wZ %Z', [ptr(0x60000n), ptr(0x61000n)], 'x64', mem)).toBe('wide ansi');
  });
});

describe('%p', () => {
  it('prints 8 upper-case hex digits on x86 and 16 on x64, without 0x', () => {
    expect(sp('%p', [ptr(0xdeadbeefn)], 'x86')).toBe('DEADBEEF');
    expect(sp('%p', [ptr(0x1234n)], 'x86')).toBe('00001234');
    expect(sp('%p', [ptr(0xfffff80012345678n)], 'x64')).toBe('FFFFF80012345678');
    expect(sp('%p %p', [ptr(0n), ptr(0x10n)], 'x64')).toBe('0000000000000000 0000000000000010');
  });

  it('adds 0X under #, pads with spaces to the width, and ignores precision and the 0 flag', () => {
    expect(sp('%#p', [ptr(0xabcn)], 'x86')).toBe('0X00000ABC');
    expect(sp('[%12p][%-10p][%012p][%.2p]', [ptr(1n), ptr(1n), ptr(1n), ptr(1n)], 'x86')).toBe(
      '[    00000001][00000001  ][    00000001][00000001]',
    );
  });
});

describe('%n', () => {
  it('consumes the pointer, prints nothing and reports the store of the count written so far', () => {
    const r = formatPrintfEx(bytes('abc%n%s%hn%lln'), stackArgs('x64', [ptr(0x7000n), ptr(STR), ptr(0x7008n), ptr(0x7010n)]), memory(), 'x64', false);
    expect(text(r.output)).toBe('abcstr');
    expect(r.countWrites).toEqual([
      { address: 0x7000n, size: 4, value: 3 },
      { address: 0x7008n, size: 2, value: 6 },
      { address: 0x7010n, size: 8, value: 6 },
    ]);
    expect(r.warnings).toContain('percent-n');
  });
});

describe('bad guest pointers', () => {
  it('throws a GuestFault at the first unmapped byte instead of crashing', () => {
    let caught: unknown;
    try {
      sp('%s', [ptr(0xbad0000n)]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GuestFault);
    expect((caught as GuestFault).address).toBe(0xbad0000n);
  });

  it('reports the address where a string runs off mapped memory', () => {
    const mem = memory().map(0x50ffcn, bytes('abcd')); // no terminator, next page unmapped
    expect(() => sp('%s', [ptr(0x50ffcn)], 'x64', mem)).toThrowError(GuestFault);
    try {
      sp('%s', [ptr(0x50ffcn)], 'x64', mem);
    } catch (e) {
      expect((e as GuestFault).address).toBe(0x51000n);
    }
  });

  it('faults on an unmapped UNICODE_STRING buffer', () => {
    const hdr = new Uint8Array(16);
    new DataView(hdr.buffer).setUint16(0, 8, true);
    new DataView(hdr.buffer).setBigUint64(8, 0xbad0000n, true);
    const mem = memory().map(0x60000n, hdr);
    expect(() => sp('%wZ', [ptr(0x60000n)], 'x64', mem)).toThrowError(GuestFault);
  });
});

describe('output limit (_vsnprintf count)', () => {
  it('stops at the first piece that does not fit, keeping what fits, and skips the rest', () => {
    // The second %s points at unmapped memory: it must not be read once the buffer is full.
    const r = formatPrintfEx(bytes('%s-%s%s'), stackArgs('x64', [ptr(STR), ptr(END), ptr(0xbad0000n)]), memory(), 'x64', false, {
      maxOutput: 5,
    });
    expect(text(r.output)).toBe('str-e');
    expect(r.overflow).toBe(true);
    expect(r.warnings).toEqual(['output-capped']);
  });

  it('reports no overflow when the text fits exactly', () => {
    const r = formatPrintfEx(bytes('%s'), stackArgs('x64', [ptr(STR)]), memory(), 'x64', false, { maxOutput: 3 });
    expect(text(r.output)).toBe('str');
    expect(r.overflow).toBe(false);
  });

  it('does not hang or exhaust memory on an absurd width', () => {
    const r = formatPrintfEx(bytes('%2000000000d'), stackArgs('x64', [i32(1)]), memory(), 'x64', false);
    expect(r.overflow).toBe(true);
    expect(r.output.length).toBe(1 << 20);
  });
});

describe('guest string readers', () => {
  it('reads a string that ends exactly before an unmapped page without touching it', () => {
    const mem = new FakeMemory().map(0x1ffan, Uint8Array.from([0x68, 0x69, 0, 0, 0, 0]));
    expect(readCString(mem, 0x1ffan)).toEqual({ value: bytes('hi'), terminated: true });
  });

  it('reports the fault address when the start is unmapped', () => {
    expect(readCString(new FakeMemory(), 0x4000n).faultAt).toBe(0x4000n);
    expect(readWString(new FakeMemory(), 0x4002n).faultAt).toBe(0x4002n);
  });

  it('reads a wide string across a page boundary', () => {
    const mem = new FakeMemory().map(0xffcn, utf16le('abcd', true));
    const r = readWString(mem, 0xffcn);
    expect(text(r.value)).toBe('abcd');
    expect(r.terminated).toBe(true);
  });

  it('stops at max characters and says the string was not terminated', () => {
    const mem = new FakeMemory().map(0x1000n, new Uint8Array(64).fill(0x7a));
    expect(readCString(mem, 0x1000n, 8)).toEqual({ value: bytes('zzzzzzzz'), terminated: false });
  });
});

describe('ANSI code page conversion', () => {
  it('maps code page 1252 bytes to Unicode and back', () => {
    expect(ansiToUnicode(0x41)).toBe(0x41);
    expect(ansiToUnicode(0x80)).toBe(0x20ac);
    expect(ansiToUnicode(0x9f)).toBe(0x0178);
    expect(ansiToUnicode(0x81)).toBe(0x0081);
    expect(ansiToUnicode(0xe9)).toBe(0xe9);
    expect(unicodeToAnsi(0x20ac)).toBe(0x80);
    expect(unicodeToAnsi(0x2122)).toBe(0x99);
    expect(unicodeToAnsi(0xff)).toBe(0xff);
    expect(unicodeToAnsi(0x0100)).toBe(0x3f);
    expect(unicodeToAnsi(0xd83d)).toBe(0x3f); // a lone surrogate half
  });
});

describe('DbgPrint', () => {
  it('passes a message of up to 512 bytes unchanged', () => {
    const msg = new Uint8Array(DBGPRINT_BUFFER_SIZE).fill(0x61);
    expect(truncateDbgPrint(msg)).toEqual({ bytes: msg, truncated: false });
  });

  it('cuts a longer message to 510 bytes plus a newline and says so', () => {
    const msg = Uint8Array.from({ length: 600 }, (_, i) => 0x30 + (i % 10));
    const { bytes: kept, truncated } = truncateDbgPrint(msg);
    expect(truncated).toBe(true);
    expect(kept.length).toBe(511);
    expect(Array.from(kept.subarray(0, 510))).toEqual(Array.from(msg.subarray(0, 510)));
    expect(kept[510]).toBe(0x0a);
  });

  it('formats a message and returns STATUS_SUCCESS', () => {
    const r = formatDbgPrint(bytes('hello %s %d\n'), stackArgs('x86', [ptr(STR), i32(7)]), memory(), 'x86');
    expect(r.status).toBe(0);
    expect(text(r.bytes)).toBe('hello str 7\n');
    expect(r.truncated).toBe(false);
  });

  it('returns STATUS_ACCESS_VIOLATION and prints nothing when an argument points at unmapped memory', () => {
    const r = formatDbgPrint(bytes('name=%s\n'), stackArgs('x64', [ptr(0xbad0000n)]), memory(), 'x64');
    expect(r.status).toBe(0xc0000005);
    expect(r.bytes.length).toBe(0);
    expect(r.fault?.address).toBe(0xbad0000n);
  });

  it('truncates an over-long message with the prefix counted in the 512 bytes', () => {
    const long = memory().map(0x50000n, Uint8Array.from([...new Uint8Array(700).fill(0x78), 0]));
    const r = formatDbgPrint(bytes('%s'), stackArgs('x64', [ptr(0x50000n)]), long, 'x64', bytes('PFX: '));
    expect(r.truncated).toBe(true);
    expect(r.bytes.length).toBe(511);
    expect(text(r.bytes.subarray(0, 5))).toBe('PFX: ');
    expect(r.bytes[509]).toBe(0x78);
    expect(r.bytes[510]).toBe(0x0a);
    expect(r.warnings).toEqual([]);
  });

  it('keeps a message that fills the buffer exactly', () => {
    const fill = memory().map(0x50000n, Uint8Array.from([...new Uint8Array(512).fill(0x79), 0]));
    const r = formatDbgPrint(bytes('%s'), stackArgs('x64', [ptr(0x50000n)]), fill, 'x64');
    expect(r.truncated).toBe(false);
    expect(r.bytes.length).toBe(512);
  });
});

describe('absurd precisions', () => {
  it('overflows instead of building a huge digit string for %.2000000000d', () => {
    const r = formatPrintfEx(bytes('%.2000000000d|%.*d'), stackArgs('x86', [i32(1), i32(0x7fffffff), i32(2)]), memory(), 'x86', false, {
      maxOutput: 64,
    });
    expect(r.overflow).toBe(true);
    expect(text(r.output)).toBe('0'.repeat(64));
  });
});
