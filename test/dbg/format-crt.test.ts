// Tests of hal/dbg/format.ts under the user-mode C runtimes' rules (PrintfOptions.crt).
// Expected strings marked "(Windows)" are results that Wine's msvcrt conformance tests check on
// real Windows; "(exact)" ones are the exact binary value, computed here with BigInt or printed by
// glibc / Python, which round correctly; "(doc)" ones come from Microsoft's documentation.

import { describe, expect, it } from 'vitest';
import { formatPrintf, formatPrintfEx, type ArgSource, type Arch, type Crt } from '../../hal/dbg/format.js';
import { FakeMemory, bytes, i32, i64, ptr, stackArgs, text, units, utf16le, type Arg } from './fakeguest.js';

const STR = 0x10000n; // narrow "str"

function memory(): FakeMemory {
  return new FakeMemory().cstr(STR, 'str');
}

function bitsOf(x: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
}

/** A double as a C caller passes it: its 8 bytes (two x86 slots, one x64 slot). */
const dbl = (x: number): Arg => i64(bitsOf(x));

// Infinities and NaNs by their bits, so that sign and payload are exact.
const INF = i64(0x7ff0000000000000n);
const NEG_INF = i64(0xfff0000000000000n);
const QNAN = i64(0x7ff8000000000000n); // NAN in C headers
const IND = i64(0xfff8000000000000n); // the x86 default NaN: -nan(ind), 1.#IND
const SNAN = i64(0x7ff0000000000001n);
const NEG_QNAN_PAYLOAD = i64(0xfff8000000000001n);

/** sprintf(fmt, args...) under a CRT's rules. */
function sp(crt: Crt, fmt: string, args: Arg[] = [], arch: Arch = 'x64', mem: FakeMemory = memory()): string {
  return text(formatPrintf(bytes(fmt), stackArgs(arch, args), mem, arch, false, { crt }));
}
const uc = (fmt: string, args: Arg[] = [], arch: Arch = 'x64'): string => sp('ucrt', fmt, args, arch);
const ms = (fmt: string, args: Arg[] = [], arch: Arch = 'x64'): string => sp('msvcrt', fmt, args, arch);

describe('the crt option', () => {
  it("keeps the kernel formatter's behaviour by default and for 'kernel': %f is the bare letter", () => {
    for (const options of [undefined, { crt: 'kernel' as const }]) {
      const args = stackArgs('x64', [i32(42)]);
      const r = formatPrintfEx(bytes('%f|%d %.2e'), args, memory(), 'x64', false, options);
      expect(text(r.output)).toBe('f|42 e');
      expect(args.consumed()).toBe(8);
      expect(r.warnings).toContain('float-unsupported');
      expect(r.invalidParameter).toBeUndefined();
    }
  });

  for (const crt of ['msvcrt', 'ucrt'] as const) {
    it(`formats floating point without warnings in ${crt}`, () => {
      const r = formatPrintfEx(bytes('%f|%d'), stackArgs('x64', [dbl(1.5), i32(42)]), memory(), 'x64', false, { crt });
      expect(text(r.output)).toBe('1.500000|42');
      expect(r.warnings).toEqual([]);
    });
  }
});

describe('reading the double', () => {
  it('takes 8 bytes: two stack slots on x86, one on x64', () => {
    for (const crt of ['msvcrt', 'ucrt'] as const) {
      expect(sp(crt, '%f %d %.1f', [dbl(1.5), i32(7), dbl(-2.3)], 'x86')).toBe('1.500000 7 -2.3');
      expect(sp(crt, '%f %d %.1f', [dbl(1.5), i32(7), dbl(-2.3)], 'x64')).toBe('1.500000 7 -2.3');
    }
  });

  it('uses ArgSource.double when the source provides it', () => {
    const values = [2.5, 0.1];
    const args: ArgSource = {
      int32: () => 3,
      int64: () => {
        throw new Error('the formatter read a double through int64()');
      },
      ptr: () => 0n,
      double: () => values.shift()!,
    };
    expect(text(formatPrintf(bytes('%.1f %d %g'), args, memory(), 'x64', false, { crt: 'ucrt' }))).toBe('2.5 3 0.1');
  });

  it('formats in a wide format too', () => {
    const out = formatPrintf(units('%.2f|%e'), stackArgs('x64', [dbl(3.14159), dbl(1e-7)]), memory(), 'x64', true, { crt: 'ucrt' });
    expect(out).toBeInstanceOf(Uint16Array);
    expect(text(out)).toBe('3.14|1.000000e-07');
  });
});

describe('%f', () => {
  it('prints six decimals by default and the given precision otherwise', () => {
    for (const crt of ['msvcrt', 'ucrt'] as const) {
      expect(sp(crt, '%f|%f|%f|%.3f|%.0f', [dbl(3.14159265359), dbl(1), dbl(-2.5), dbl(0.0005), dbl(123.456)])).toBe(
        '3.141593|1.000000|-2.500000|0.001|123',
      );
    }
  });

  it('ucrt rounds exact ties to even: 0.125 -> "%.2f" = 0.12, 2.5 -> "%.0f" = 2', () => {
    expect(uc('%.2f %.0f %.0f %.0f %.0f %.2f %.1f', [dbl(0.125), dbl(2.5), dbl(0.5), dbl(1.5), dbl(-2.5), dbl(0.375), dbl(0.25)])).toBe(
      '0.12 2 0 2 -2 0.38 0.2',
    );
  });

  it('ucrt rounds the exact binary value, not the decimal literal (2.675 is 2.67499999...)', () => {
    expect(uc('%.2f %.1f %.20f', [dbl(2.675), dbl(0.35), dbl(0.1)])).toBe('2.67 0.3 0.10000000000000000555');
  });

  it('msvcrt rounds ties away from zero (Windows)', () => {
    expect(ms('%.0f %.0f %.0f %.0f %.2f %.0f', [dbl(-1.5), dbl(-0.5), dbl(0.5), dbl(1.5), dbl(0.125), dbl(2.5)])).toBe('-2 -1 1 2 0.13 3');
    expect(ms('%2.4f|%0f|%.0f', [dbl(8.6), dbl(0.6), dbl(0.6)])).toBe('8.6000|0.600000|1');
  });

  it('ucrt prints 1e300 with all 301 digits of its exact value', () => {
    const exact = BigInt(1e300).toString(); // 1e300 is an integer: BigInt() converts it exactly
    expect(exact).toHaveLength(301);
    expect(exact.startsWith('1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864')).toBe(true);
    expect(uc('%f', [dbl(1e300)])).toBe(exact + '.000000');
    expect(uc('%.0f', [dbl(2 ** 80)])).toBe('1208925819614629174706176'); // (doc)
  });

  it('ucrt prints tiny numbers exactly: 2^-1074 has 1074 decimals ending in 5', () => {
    const exact = '0.' + (5n ** 1074n).toString().padStart(1074, '0'); // 2^-1074 = 5^1074 / 10^1074
    expect(uc('%.1074f', [dbl(5e-324)])).toBe(exact);
    expect(uc('%.1080f', [dbl(5e-324)])).toBe(exact + '000000');
    expect(uc('%f|%.330f', [dbl(5e-324), dbl(2.2250738585072014e-308)]).split('|')[0]).toBe('0.000000');
    expect(uc('%.20f', [dbl(1e-10)])).toBe('0.00000000010000000000'); // (exact) 1.00000000000000003643e-10
  });

  it('msvcrt prints 17 significant digits, then zeros', () => {
    expect(ms('%.0f', [dbl(2 ** 80)])).toBe('1208925819614629200000000'); // (doc)
    expect(ms('%.30f', [dbl(1 / 3)])).toBe('0.333333333333333310000000000000'); // (Windows)
    expect(ms('%.30f', [dbl(Math.SQRT2)])).toBe('1.414213562373095100000000000000'); // (Windows)
    // 1.00000000000000005250e300: the 18th digit rounds the 17th up.
    expect(ms('%f', [dbl(1e300)])).toBe('10000000000000001' + '0'.repeat(284) + '.000000');
  });

  it('msvcrt keeps all 17 digits where the precision asks for them (Windows)', () => {
    expect(ms('%f|%.10f|%.11f|%.15f', [dbl(3.14159265359), dbl(3.14159265359), dbl(3.14159265359), dbl(Math.PI)])).toBe(
      '3.141593|3.1415926536|3.14159265359|3.141592653589793',
    );
    expect(ms('%.13f|%.14f|%.15f', [dbl(37.866261574537077), dbl(37.866261574537077), dbl(37.866261574537077)])).toBe(
      '37.8662615745371|37.86626157453708|37.866261574537077',
    );
  });

  it('keeps the sign of negative zero', () => {
    for (const crt of ['msvcrt', 'ucrt'] as const) {
      expect(sp(crt, '%f|%.0f|%+f|%g', [dbl(-0), dbl(-0), dbl(0), dbl(-0)])).toBe('-0.000000|-0|+0.000000|-0');
    }
    expect(uc('%e|%a', [dbl(-0), dbl(-0)])).toBe('-0.000000e+00|-0x0.0000000000000p+0');
    expect(ms('%e', [dbl(-0)])).toBe('-0.000000e+000');
  });
});

describe('%e', () => {
  it('ucrt prints %e with a two-digit exponent', () => {
    expect(uc('%e|%e|%E|%e|%e|%.2e', [dbl(10), dbl(1.5e-7), dbl(1e100), dbl(0), dbl(1.7976931348623157e308), dbl(5e-324)])).toBe(
      '1.000000e+01|1.500000e-07|1.000000E+100|0.000000e+00|1.797693e+308|4.94e-324',
    );
  });

  it('msvcrt prints %e with a three-digit exponent (Windows)', () => {
    expect(ms('%e|%2.4e|% 2.4e|% 2.4e|%+2.4e', [dbl(10), dbl(8.6), dbl(8.6), dbl(-8.6), dbl(8.6)])).toBe(
      '1.000000e+001|8.6000e+000| 8.6000e+000|-8.6000e+000|+8.6000e+000',
    );
    expect(ms('%+#23.15e|%-#23.15e|%#23.15e', [dbl(789456123), dbl(789456123), dbl(789456123)])).toBe(
      '+7.894561230000000e+008|7.894561230000000e+008 | 7.894561230000000e+008',
    );
  });

  it('rounds into the next power of ten and adjusts the exponent', () => {
    expect(uc('%.2e|%.0e|%.0e|%.1e', [dbl(9.999), dbl(2.5), dbl(3.5), dbl(1.25)])).toBe('1.00e+01|2e+00|4e+00|1.2e+00');
    expect(ms('%.2e|%.0e|%.1e', [dbl(9.999), dbl(2.5), dbl(1.25)])).toBe('1.00e+001|3e+000|1.3e+000');
  });
});

describe('%g', () => {
  it('ucrt uses %e style when X < -4 or X >= P and strips trailing zeros', () => {
    expect(uc('%g|%g|%g|%g|%g|%g|%g', [dbl(0.0001), dbl(0.00001), dbl(123456), dbl(1234567), dbl(100000), dbl(1e6), dbl(9.9999996)])).toBe(
      '0.0001|1e-05|123456|1.23457e+06|100000|1e+06|10',
    );
    expect(uc('%g|%G|%.3g|%.0g|%.2g|%g', [dbl(0), dbl(1e-10), dbl(0.0001234), dbl(3.5), dbl(0.125), dbl(5e-324)])).toBe(
      '0|1E-10|0.000123|4|0.12|4.94066e-324',
    );
  });

  it("keeps trailing zeros and the point under '#'", () => {
    expect(uc('%#g|%#g|%#.0g|%#g', [dbl(1), dbl(0), dbl(3), dbl(123456)])).toBe('1.00000|0.00000|3.|123456.');
    expect(ms('%#1.1g', [dbl(789456123)])).toBe('8.e+008'); // (Windows)
  });

  it('msvcrt uses three-digit exponents (Windows)', () => {
    expect(ms('%g|%g|%g|%g|%g', [dbl(0.0005), dbl(0.00005), dbl(0.000005), dbl(999999999999999), dbl(1e15)])).toBe(
      '0.0005|5e-005|5e-006|1e+015|1e+015',
    );
    expect(ms('%.15g|%.15g|%.15g|%2.4g', [dbl(0.00005), dbl(999999999999999), dbl(1e15), dbl(8.6)])).toBe('5e-005|999999999999999|1e+015|8.6');
  });

  it("msvcrt's zero carries its decimal point before the digit: %#g of 0 has six zeros after the point", () => {
    expect(ms('%g|%#g', [dbl(0), dbl(0)])).toBe('0|0.000000');
  });
});

describe('%a', () => {
  it('ucrt prints 13 hex digits by default and the shortest binary exponent', () => {
    expect(uc('%a|%a|%A|%a|%a', [dbl(3), dbl(1), dbl(255.5), dbl(0.1), dbl(-1024)])).toBe(
      '0x1.8000000000000p+1|0x1.0000000000000p+0|0X1.FF00000000000P+7|0x1.999999999999ap-4|-0x1.0000000000000p+10',
    );
  });

  it('prints zero and denormals with a leading 0 and exponent -1022', () => {
    for (const crt of ['msvcrt', 'ucrt'] as const) {
      expect(sp(crt, '%a|%a|%.2a', [dbl(0), dbl(5e-324), dbl(2.2250738585072009e-308)])).toBe(
        '0x0.0000000000000p+0|0x0.0000000000001p-1022|0x1.00p-1022',
      );
    }
  });

  it('ucrt rounds a shortened %a to even; msvcrt rounds a dropped 8 up', () => {
    // 0x1.08p+0 and 0x1.18p+0: ties; 0x1.8p+0 with no digits: tie, leading 1 is odd.
    expect(uc('%.1a|%.1a|%.0a|%.0a|%.1a', [dbl(1.03125), dbl(1.09375), dbl(1.5), dbl(1.25), dbl(1.96875)])).toBe(
      '0x1.0p+0|0x1.2p+0|0x2p+0|0x1p+0|0x2.0p+0',
    );
    expect(ms('%.1a|%.1a|%.0a', [dbl(1.03125), dbl(1.09375), dbl(1.5)])).toBe('0x1.1p+0|0x1.2p+0|0x2p+0');
  });

  it("puts zero padding after 0x, and forces the point under '#'", () => {
    expect(uc('[%012.1a][%+a][%#.0a][%-12.1a][%14.1A]', [dbl(1), dbl(1), dbl(1), dbl(-1), dbl(1)])).toBe(
      '[0x00001.0p+0][+0x1.0000000000000p+0][0x1.p+0][-0x1.0p+0   ][      0X1.0P+0]',
    );
  });
});

describe('infinity and NaN', () => {
  it('ucrt prints inf, nan, -nan(ind) and nan(snan), upper case for %F %E %G %A', () => {
    expect(uc('%f|%f|%e|%g|%a', [INF, NEG_INF, QNAN, IND, SNAN])).toBe('inf|-inf|nan|-nan(ind)|nan(snan)');
    expect(uc('%F|%E|%G|%A|%f', [INF, QNAN, IND, NEG_INF, NEG_QNAN_PAYLOAD])).toBe('INF|NAN|-NAN(IND)|-INF|-nan');
  });

  it('ucrt pads inf and nan with spaces even under the 0 flag, and honours + and space', () => {
    expect(uc('[%08.3f][%-6f][%+f][% f][%+08a]', [INF, QNAN, INF, INF, INF])).toBe('[     inf][nan   ][+inf][ inf][    +inf]');
  });

  it('msvcrt prints 1.#INF00, 1.#QNAN0 and -1.#IND00 for %f, %e and %g (Windows)', () => {
    expect(ms('%lf|%lf|%lf', [IND, QNAN, INF])).toBe('-1.#IND00|1.#QNAN0|1.#INF00');
    expect(ms('%le|%le|%le', [IND, QNAN, INF])).toBe('-1.#IND00e+000|1.#QNAN0e+000|1.#INF00e+000');
    expect(ms('%lg|%lg|%lg', [IND, QNAN, INF])).toBe('-1.#IND|1.#QNAN|1.#INF');
  });

  it('msvcrt rounds the letters like digits and zero-pads them: "%010.2f" is 0000001.#J (Windows)', () => {
    expect(ms('%010.2lf|%010.2lf|%010.2lf', [IND, QNAN, INF])).toBe('-000001.#J|0000001.#R|0000001.#J');
    expect(ms('%.0f|%.3f|%f|%f|%E', [INF, INF, NEG_INF, SNAN, INF])).toBe('1|1.#IO|-1.#INF00|1.#SNAN0|1.#INF00E+000');
  });
});

describe('flags and width', () => {
  it('applies +, space, 0, - and # as C99 specifies', () => {
    for (const crt of ['msvcrt', 'ucrt'] as const) {
      expect(sp(crt, '[%+.3f][% f][%010.3f][%-10.2f][%#.0f][%.0f][%10.4f]', [dbl(Math.PI), dbl(1), dbl(-3.14159), dbl(3.14159), dbl(3), dbl(3), dbl(-1)])).toBe(
        '[+3.142][ 1.000000][-00003.142][3.14      ][3.][3][   -1.0000]',
      );
    }
    expect(ms('% 014.4e', [dbl(8.6)])).toBe(' 008.6000e+000'); // (Windows)
    expect(uc('[%#.0e][%-+12.2e][%012.2e]', [dbl(3), dbl(42), dbl(-42)])).toBe('[3.e+00][+4.20e+01   ][-0004.20e+01]');
  });

  it('takes width and precision from the arguments', () => {
    expect(uc('[%*.*f][%-*.*e][%.*f]', [i32(10), i32(2), dbl(3.14159), i32(10), i32(1), dbl(3.14159), i32(-1), dbl(1)])).toBe(
      '[      3.14][3.1e+00   ][1.000000]',
    );
  });

  it('msvcrt appends digits after a * width to it; ucrt starts a new width (Windows for msvcrt)', () => {
    expect(ms('%*1d|%0*0d|% *2d', [i32(1), i32(3), i32(1), i32(2), i32(0), i32(7)])).toBe('          3|0000000002| 7');
    expect(uc('%*1d|', [i32(5), i32(3)])).toBe('3|');
  });

  it('stops at the output capacity like the integer conversions', () => {
    const r = formatPrintfEx(bytes('%f'), stackArgs('x64', [dbl(1e300)]), memory(), 'x64', false, { crt: 'ucrt', maxOutput: 10 });
    expect(text(r.output)).toBe('1000000000');
    expect(r.overflow).toBe(true);
    expect(r.warnings).toContain('output-capped');
  });
});

describe('size prefixes', () => {
  it('ucrt reads %hhd as a char; msvcrt, like the kernel, reads it as a short (Windows)', () => {
    expect(uc('%hhd|%hhu|%hhx|%hd', [i32(0x1ff), i32(0x1ff), i32(0x12345), i32(0x18000)])).toBe('-1|255|45|-32768');
    expect(ms('%hhd|%hhx|%hhx', [i32(0x1ff), i32(0x123), i32(0x12345)])).toBe('511|123|2345');
    expect(sp('kernel', '%hhd', [i32(0x1ff)])).toBe('511');
  });

  for (const crt of ['msvcrt', 'ucrt'] as const) {
    it(`${crt} reads %zu and %td as pointer-sized and %jd as 64-bit`, () => {
      expect(sp(crt, '%zu|%td|%jd|%d', [i64(1n << 40n), i64(-2n), i64(-1n), i32(7)], 'x64')).toBe('1099511627776|-2|-1|7');
      expect(sp(crt, '%zu|%td|%jd|%d', [i32(-1), i32(-2), i64(1n << 40n), i32(7)], 'x86')).toBe('4294967295|-2|1099511627776|7');
    });
  }

  it('ucrt accepts I, I32, I64, l and ll', () => {
    expect(uc('%Ix|%I32d|%I64d|%ld|%lld|%Iu', [i32(0x23456789), i32(-1), i64(-1n), i32(-1), i64(1n << 40n), i32(5)], 'x86')).toBe(
      '23456789|-1|-1|-1|1099511627776|5',
    );
    expect(uc('%Ix|%Lf|%lf|%hf', [i64(0x123456789n), dbl(1), dbl(2), dbl(3)], 'x64')).toBe('123456789|1.000000|2.000000|3.000000');
  });

  it('ucrt takes one length modifier per conversion: two, N, or one without an integer size is an invalid parameter', () => {
    for (const fmt of ['%hld', '%lhd', '%llhd', '%Ld', '%wd', '%Nd', '%Td']) {
      const r = formatPrintfEx(bytes('ok ' + fmt + ' never'), stackArgs('x64', [i32(1)]), memory(), 'x64', false, { crt: 'ucrt' });
      expect(r.invalidParameter, fmt).toBe(true);
      expect(text(r.output), fmt).toBe('ok ');
    }
  });

  it('ucrt treats %F as a conversion; msvcrt, like the kernel, as a size prefix (Windows)', () => {
    expect(uc('%F|%.1F', [dbl(1.5), dbl(2)])).toBe('1.500000|2.0');
    expect(ms('[%F]', [dbl(1.5)])).toBe('[]');
    expect(ms('%Ff|%Fp|%Np', [dbl(1.5), ptr(0x39n), ptr(0x39n)], 'x86')).toBe('1.500000|00000039|00000039');
  });
});

describe('%n, %p and %s', () => {
  it('ucrt refuses %n: formatting stops, the call fails and nothing is stored', () => {
    const r = formatPrintfEx(bytes('abc%n%d'), stackArgs('x64', [ptr(0x7000n), i32(5)]), memory(), 'x64', false, { crt: 'ucrt' });
    expect(r.invalidParameter).toBe(true);
    expect(text(r.output)).toBe('abc');
    expect(r.countWrites).toEqual([]);
  });

  it('msvcrt stores the count for %n like the kernel', () => {
    const r = formatPrintfEx(bytes('abc%n%d'), stackArgs('x64', [ptr(0x7000n), i32(5)]), memory(), 'x64', false, { crt: 'msvcrt' });
    expect(r.invalidParameter).toBeUndefined();
    expect(text(r.output)).toBe('abc5');
    expect(r.countWrites).toEqual([{ address: 0x7000n, size: 4, value: 3 }]);
  });

  for (const crt of ['kernel', 'msvcrt', 'ucrt'] as const) {
    it(`${crt} prints %p as zero-padded upper-case hex without 0x, and a NULL %s as (null)`, () => {
      expect(sp(crt, '%p|%s|%.3s', [ptr(0x39n), ptr(0n), ptr(0n)], 'x64')).toBe('0000000000000039|(null)|(nu');
      expect(sp(crt, '%p|%s', [ptr(0xabcn), ptr(STR)], 'x86')).toBe('00000ABC|str');
    });
  }

  it("adds 0X to %#p in msvcrt (Windows) but not in ucrt, which formats %p as an integer without '#'", () => {
    expect(ms('[%#020p]', [ptr(57n)])).toBe('[  0X0000000000000039]');
    expect(uc('[%#020p]', [ptr(57n)])).toBe('[    0000000000000039]');
  });

  it('ucrt takes a UNICODE_STRING for a bare %Z in a narrow format (only %s and %c have a natural width)', () => {
    const header = new Uint8Array(16);
    const dv = new DataView(header.buffer);
    dv.setUint16(0, 8, true);
    dv.setUint16(2, 10, true);
    dv.setBigUint64(8, 0x50000n, true);
    const mem = memory().map(0x50000n, utf16le('wide')).map(0x60000n, header);
    expect(sp('ucrt', '%Z|%wZ', [ptr(0x60000n), ptr(0x60000n)], 'x64', mem)).toBe('wide|wide');
  });
});
