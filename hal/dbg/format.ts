// The kernel's printf engine: what ntoskrnl's _vsnprintf / _vsnwprintf / sprintf / swprintf and DbgPrint produce.
//
// Pure: reads guest memory only through a GuestReader and arguments only through an ArgSource.
//
// Which printf: ntoskrnl (like ntdll) carries Microsoft's old kernel CRT formatter, not the UCRT.
// Its observable rules here come from Microsoft's documentation and from the two independent
// re-implementations that are checked against Windows: Wine's ntdll printf (with its conformance
// tests run on Windows) and ReactOS's kernel CRT (streamout.c) and DbgPrint (rtl/debug.c).
// Where they disagree, the choice is commented at the point of use. In short:
//   - size prefixes: h (and hh: the old CRT has no char size, it is h again), l (32-bit ints; wide
//     strings/chars), ll / I64 / j (64-bit), I / z / t (pointer-sized, only before d i o u x X),
//     I32, w (wide strings/chars), L and F (ignored);
//   - narrow format: %s %hs char*, %S %ls %ws wchar_t*; wide format: %s %ls %ws wchar_t*, %S %hs char*;
//     %c / %C / %hc / %lc / %wc likewise; %Z ANSI_STRING*, %wZ (or %lZ) UNICODE_STRING*;
//   - NULL strings print "(null)"; a %Z / %wZ with a NULL Buffer too;
//   - %p: pointer-size, upper-case hex, zero-padded to 8 (x86) or 16 (x64) digits, no "0x" (with #: "0X");
//   - %#x of 0 prints "0" (no prefix for zero); an explicit precision disables the 0 flag for integers;
//   - %n stores the count written so far (the kernel formatter has no UCRT-style %n lock); this
//     module cannot write guest memory, so the store is returned for the caller to perform;
//   - floating point (%e %E %f %g %G %a %A) is documented as unsupported by DbgPrint; the kernel
//     formatter has no float code, so the letter is printed literally and no argument is consumed
//     (the same as any unknown conversion, e.g. "%q" prints "q"); a warning says so;
//   - wide text in narrow output goes through the ANSI code page (1252 here): characters it lacks
//     become '?' (Windows' best-fit substitutions, e.g. U+0100 -> 'A', are not modelled).
// Unmapped guest memory: the real formatter takes an access violation. This module throws a
// GuestFault; formatDbgPrint turns it into DbgPrint's behaviour (see there).
//
// The same engine serves the user-mode C runtimes (PrintfOptions.crt), which differ from the kernel
// formatter where their sources (the UCRT's corecrt_internal_stdio_output.h and cvt.cpp, shipped
// with the Windows SDK) or Wine's msvcrt conformance tests, run on Windows, say so:
//   - 'msvcrt' (msvcrt.dll): the kernel rules plus floating point (e E f g G a A) in the pre-2015
//     CRT's style; F and N are size prefixes there, so "%F" is not a conversion (Microsoft's
//     legacy_stdio_msvcrt_compatibility.cpp); digits after a '*' width extend it ("%*1d");
//   - 'ucrt' (ucrtbase.dll, plain printf family without the _s/_p validation): C99 floating point,
//     C99 length modifiers (one per conversion: a second one, N, or a modifier with no integer
//     size such as %Ld, is an invalid parameter), %n disabled (an invalid parameter), %#p without
//     "0X". An invalid parameter ends formatting; see PrintfResult.invalidParameter.
// Both print wide text in narrow output (and the reverse) through code page 1252 like the kernel;
// their "C" locale would map only Latin-1 (not modelled).

import { STATUS } from '../rtl/ntstatus.js';

/** Reads guest memory; returns null if any byte of the range is unmapped. */
export interface GuestReader {
  read(address: bigint, size: number): Uint8Array | null;
}

/**
 * The variadic arguments in order. The caller implements the ABI: x86 takes 4-byte stack slots
 * (a 64-bit value takes two), x64 8-byte slots.
 */
export interface ArgSource {
  /** Next argument as a 32-bit int (its bits; signedness is the formatter's business). */
  int32(): number;
  /** Next argument as a 64-bit int (its bits). */
  int64(): bigint;
  /** Next pointer-sized argument. */
  ptr(): bigint;
  /**
   * Next argument as a double (8 bytes: two x86 slots, one x64 slot). Optional: without it the
   * formatter reads int64() and reinterprets the bits, which also keeps NaN payloads intact.
   */
  double?(): number;
}

/** Whose printf rules: ntoskrnl's kernel CRT, msvcrt.dll, or the Universal CRT (ucrtbase.dll). */
export type Crt = 'kernel' | 'msvcrt' | 'ucrt';

export type Arch = 'x86' | 'x64';

/** The formatter touched unmapped guest memory (a bad %s / %wZ pointer...). */
export class GuestFault extends Error {
  /** %n stores performed before the fault (they happen on Windows too). */
  countWrites: CountWrite[] = [];
  constructor(
    readonly address: bigint,
    readonly what: string,
  ) {
    super(`printf: ${what} at unmapped address 0x${address.toString(16)}`);
    this.name = 'GuestFault';
  }
}

/** Things a trace should flag: the output is what Windows prints, but the driver likely has a bug. */
export type PrintfWarning =
  | 'float-unsupported' // %f & co.: printed as the bare letter, argument not consumed
  | 'unknown-conversion' // e.g. %q, %y: printed as the bare letter
  | 'percent-n' // %n: a write into guest memory, see PrintfResult.countWrites
  | 'string-capped' // a string argument had no terminator within maxStringChars
  | 'output-capped'; // formatting stopped at maxOutput

/** A %n store the caller should apply to guest memory (little-endian, `size` bytes). */
export interface CountWrite {
  address: bigint;
  size: 2 | 4 | 8;
  value: number;
}

export interface PrintfOptions {
  /**
   * Output capacity in units (bytes, or UTF-16 units for wide output), like _vsnprintf's count:
   * formatting stops at the first piece that does not fit, and `overflow` is set. Default 1 MiB.
   */
  maxOutput?: number;
  /** Longest NUL-terminated string read from the guest, in characters. Default 64 Ki. */
  maxStringChars?: number;
  /** Which C runtime's rules (see the file header). Default 'kernel'. */
  crt?: Crt;
}

export interface PrintfResult<T extends Uint8Array | Uint16Array> {
  /** The formatted text: bytes (narrow) or UTF-16 code units (wide); at most maxOutput units. */
  output: T;
  /** The output did not fit maxOutput: _vsnprintf returns -1 and stops formatting. */
  overflow: boolean;
  countWrites: CountWrite[];
  warnings: PrintfWarning[];
  /**
   * Set (true) when the UCRT rejected the format (%n, two length modifiers, %Ld...): it calls the
   * invalid parameter handler, which by default terminates the process, and otherwise the call
   * returns -1 with errno EINVAL. `output` holds what was formatted before that point.
   */
  invalidParameter?: boolean;
}

export const DEFAULT_MAX_OUTPUT = 1 << 20;
/** Sane bound for a NUL-terminated string argument, so a missing terminator cannot hang the host. */
export const MAX_STRING_CHARS = 64 * 1024;
/** DbgPrint formats into a 512-byte stack buffer and transmits at most that much. */
export const DBGPRINT_BUFFER_SIZE = 512;

// ---------------------------------------------------------------------------------------------
// ANSI code page 1252 <-> UTF-16, as RtlMultiByteToUnicodeN / RtlUnicodeToMultiByteN do on an
// English system. Bytes 0x80-0x9F are the only ones that are not Latin-1; the five bytes 1252
// leaves undefined map to the C1 controls of the same value, as Windows' table does.

const CP1252_80_9F = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d,
  0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0x009d, 0x017e, 0x0178,
];
const CP1252_REVERSE = new Map<number, number>(CP1252_80_9F.map((u, i) => [u, 0x80 + i]));

/** One ANSI (code page 1252) byte as a UTF-16 unit. */
export function ansiToUnicode(byte: number): number {
  const b = byte & 0xff;
  return b >= 0x80 && b < 0xa0 ? CP1252_80_9F[b - 0x80] : b;
}

/** One UTF-16 unit as an ANSI (code page 1252) byte; '?' (the default char) when 1252 lacks it. */
export function unicodeToAnsi(unit: number): number {
  const u = unit & 0xffff;
  if (u < 0x80 || (u >= 0xa0 && u <= 0xff)) return u;
  return CP1252_REVERSE.get(u) ?? 0x3f;
}

// ---------------------------------------------------------------------------------------------
// Guest string readers.

export interface StringRead<T extends Uint8Array | Uint16Array> {
  /** The characters before the terminator (or before the cap / the fault). */
  value: T;
  /** A terminator was found within `max` characters. */
  terminated: boolean;
  /** Set when the string ran into unmapped memory: the first unmapped byte. */
  faultAt?: bigint;
}

const PAGE = 0x1000n;

// Reads up to `max` units of `unitSize` bytes until a zero unit, page by page so that a string
// ending just before an unmapped page is read without touching that page.
function readUnits(mem: GuestReader, addr: bigint, unitSize: 1 | 2, max: number): { units: number[]; terminated: boolean; faultAt?: bigint } {
  const units: number[] = [];
  let a = addr;
  while (units.length < max) {
    const toPage = Number(PAGE - (a % PAGE));
    let bytes = Math.min(toPage, (max - units.length) * unitSize);
    bytes -= bytes % unitSize;
    if (bytes === 0) bytes = unitSize; // a wide char straddling a page boundary
    const chunk = mem.read(a, bytes);
    if (!chunk) {
      // Something in this chunk is unmapped; the string may still end before it, so go unit by
      // unit (readers need not be page-granular).
      for (let i = 0; i < bytes && units.length < max; i += unitSize) {
        const at = a + BigInt(i);
        const b = mem.read(at, unitSize);
        if (!b) return { units, terminated: false, faultAt: firstUnmapped(mem, at, unitSize) };
        const u = unitSize === 1 ? b[0] : b[0] | (b[1] << 8);
        if (u === 0) return { units, terminated: true };
        units.push(u);
      }
      a += BigInt(bytes);
      continue;
    }
    for (let i = 0; i < chunk.length; i += unitSize) {
      const u = unitSize === 1 ? chunk[i] : chunk[i] | (chunk[i + 1] << 8);
      if (u === 0) return { units, terminated: true };
      units.push(u);
    }
    a += BigInt(bytes);
  }
  return { units, terminated: false };
}

// The exact faulting byte within a range known to contain an unmapped one.
function firstUnmapped(mem: GuestReader, addr: bigint, size: number): bigint {
  for (let i = 0; i < size; i++) if (!mem.read(addr + BigInt(i), 1)) return addr + BigInt(i);
  return addr;
}

/** A NUL-terminated narrow string from guest memory, at most `max` bytes. */
export function readCString(mem: GuestReader, addr: bigint, max: number = MAX_STRING_CHARS): StringRead<Uint8Array> {
  const r = readUnits(mem, addr, 1, max);
  return { value: Uint8Array.from(r.units), terminated: r.terminated, ...(r.faultAt !== undefined ? { faultAt: r.faultAt } : {}) };
}

/** A NUL-terminated UTF-16 string from guest memory, at most `max` characters. */
export function readWString(mem: GuestReader, addr: bigint, max: number = MAX_STRING_CHARS): StringRead<Uint16Array> {
  const r = readUnits(mem, addr, 2, max);
  return { value: Uint16Array.from(r.units), terminated: r.terminated, ...(r.faultAt !== undefined ? { faultAt: r.faultAt } : {}) };
}

function readExact(mem: GuestReader, addr: bigint, size: number, what: string): Uint8Array {
  if (size === 0) return new Uint8Array(0);
  const b = mem.read(addr, size);
  if (!b) throw new GuestFault(firstUnmapped(mem, addr, size), what);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Floating point, for the user-mode CRTs (the kernel formatter has none).
//
// msvcrt.dll keeps the pre-2015 CRT's algorithm: _fltout turns the double into 17 significant
// digits (rounded half up) and %e/%f/%g round that digit string again, half up, at the requested
// precision; further places print as zeros. So "%.0f" of 2^80 is 1208925819614629200000000
// (Microsoft's VS2015 change history), "%.30f" of 1/3 is 0.333333333333333310000000000000 and
// "%.0f" of 2.5 is 3 (Wine's tests, run on Windows). Infinities and NaNs are the digit strings
// "1#INF", "1#QNAN", "1#SNAN", "1#IND" put through the same rounding: "1.#INF00", and "%.2f" gives
// "1.#J". Exponents have at least three digits.
// The UCRT prints the exact binary value and rounds ties to even (what programs built with current
// SDKs select through _CRT_INTERNAL_PRINTF_STANDARD_ROUNDING; older binaries round ties away from
// zero, not modelled); "inf", "nan", "nan(snan)", "nan(ind)" as C99; exponents of two digits or more.

type Rounding = 'even' | 'up';

/** A decimal digit string: the value is 0.<digits> × 10^decpt. */
interface DecimalDigits {
  digits: string;
  decpt: number;
}

const F64 = new DataView(new ArrayBuffer(8));

function doubleBits(x: number): bigint {
  F64.setFloat64(0, x, true);
  return F64.getBigUint64(0, true);
}

// The exact expansion of a finite non-zero double m·2^e: for e < 0 it is m·5^-e / 10^-e.
function exactDigits(biasedExp: number, fraction: bigint): DecimalDigits {
  const m = biasedExp === 0 ? fraction : fraction | (1n << 52n);
  const e = (biasedExp === 0 ? 1 : biasedExp) - 1075;
  const d = e >= 0 ? (m << BigInt(e)).toString() : (m * 5n ** BigInt(-e)).toString();
  return { digits: d.replace(/0+$/, ''), decpt: e >= 0 ? d.length : d.length + e };
}

// The first n characters of `digits`, rounded at the (n+1)th: n characters, or n + 1 when the
// rounding carried into a new leading digit ("999" -> "1000"). 'up' is the old CRT's test
// (next >= '5', which it applies to the letters of "1#INF" too: 'I' + 1 = 'J'); 'even' needs the
// exact digits. With n < 0 everything lies below the rounding place: no digits.
function roundDigits(digits: string, n: number, mode: Rounding): { digits: string; carry: boolean } {
  if (n < 0) return { digits: '', carry: false };
  if (digits.length <= n) return { digits: digits.padEnd(n, '0'), carry: false };
  const next = digits.charCodeAt(n);
  const up =
    mode === 'up'
      ? next >= 0x35
      : next > 0x35 || (next === 0x35 && (/[1-9]/.test(digits.slice(n + 1)) || (n > 0 && (digits.charCodeAt(n - 1) & 1) === 1)));
  const kept = [...digits.slice(0, n)];
  if (!up) return { digits: kept.join(''), carry: false };
  let j = n - 1;
  while (j >= 0 && kept[j] === '9') kept[j--] = '0';
  if (j < 0) return { digits: '1' + kept.join(''), carry: true };
  kept[j] = String.fromCharCode(kept[j].charCodeAt(0) + 1);
  return { digits: kept.join(''), carry: false };
}

// %a without sign and "0x": 1.hhhh (0.hhhh for zero and denormals) and a binary exponent with as
// few digits as it needs. Rounding looks at the first dropped hex digit (>= 8 for 'up'; the UCRT's
// fe_to_nearest for 'even'); a carry out of the fraction bumps the leading digit (0x2.00p+0).
function hexDouble(biasedExp: number, fraction: bigint, precision: number, alt: boolean, upper: boolean, mode: Rounding): string {
  let lead = biasedExp === 0 ? 0 : 1;
  const exp = biasedExp === 0 ? (fraction === 0n ? 0 : -1022) : biasedExp - 1023;
  let hex = fraction.toString(16).padStart(13, '0');
  if (precision >= 13) {
    hex = hex.padEnd(precision, '0');
  } else {
    const next = parseInt(hex[precision], 16);
    const last = precision > 0 ? parseInt(hex[precision - 1], 16) : lead;
    const up = mode === 'up' ? next >= 8 : next > 8 || (next === 8 && (/[1-9a-f]/.test(hex.slice(precision + 1)) || (last & 1) === 1));
    let kept = precision > 0 ? BigInt('0x' + hex.slice(0, precision)) : 0n;
    if (up && ++kept === 16n ** BigInt(precision)) {
      kept = 0n;
      lead++;
    }
    hex = precision > 0 ? kept.toString(16).padStart(precision, '0') : '';
  }
  const mant = `${lead}${precision > 0 || alt ? '.' : ''}${hex}`;
  return `${upper ? mant.toUpperCase() : mant}${upper ? 'P' : 'p'}${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
}

/** A formatted double: the text after the sign (and after "0x" for %a), and whether it is negative. */
interface FloatText {
  negative: boolean;
  text: string;
  /** An infinity or NaN in the UCRT: padded with spaces, no "0x". */
  special: boolean;
}

/** %e %f %g %a (either case) of the double with these bits, under msvcrt's or the UCRT's rules. */
function formatDouble(bits: bigint, conv: string, precision: number, alt: boolean, crt: 'msvcrt' | 'ucrt'): FloatText {
  const negative = bits >> 63n === 1n;
  const biasedExp = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const lower = conv.toLowerCase();
  const upper = conv !== lower;
  const msvcrt = crt === 'msvcrt';
  const mode: Rounding = msvcrt ? 'up' : 'even';
  const expDigits = msvcrt ? 3 : 2;
  // C: default precision 6; %a exact (13 hex digits); %g counts significant digits, at least 1.
  const p = precision < 0 ? (lower === 'a' ? 13 : 6) : precision === 0 && lower === 'g' ? 1 : precision;

  let d: DecimalDigits;
  if (biasedExp === 0x7ff) {
    // Indeterminate is the x86 default NaN (negative, quiet, no payload); the rest is quiet or signaling.
    const ind = negative && fraction === 1n << 51n;
    const quiet = fraction >> 51n === 1n;
    if (!msvcrt) {
      const t = fraction === 0n ? 'inf' : ind ? 'nan(ind)' : quiet ? 'nan' : 'nan(snan)';
      return { negative, text: upper ? t.toUpperCase() : t, special: true };
    }
    d = { digits: fraction === 0n ? '1#INF' : ind ? '1#IND' : quiet ? '1#QNAN' : '1#SNAN', decpt: 1 };
    if (lower === 'a') {
      // As Wine's msvcrt: the digit string, then a zero binary exponent.
      const r = roundDigits(d.digits, p + 1, mode).digits;
      return { negative, text: `${r[0]}${p > 0 || alt ? '.' : ''}${r.slice(1)}${upper ? 'P' : 'p'}+0`, special: false };
    }
  } else if (lower === 'a') {
    return { negative, text: hexDouble(biasedExp, fraction, p, alt, upper, mode), special: false };
  } else if (biasedExp === 0 && fraction === 0n) {
    // The old CRT's zero has its decimal point before the digit ("%#g" of 0 is 0.000000 there,
    // 0.00000 in the UCRT, which special-cases it).
    d = { digits: '0', decpt: msvcrt ? 0 : 1 };
  } else {
    d = exactDigits(biasedExp, fraction);
    if (msvcrt) {
      const r = roundDigits(d.digits, 17, 'up');
      d = { digits: r.digits.slice(0, 17).replace(/0+$/, ''), decpt: d.decpt + (r.carry ? 1 : 0) };
    }
  }
  const zero = d.digits === '0';

  // ddd.ddd with `frac` places; `r` holds the digits from the first one down to the last place.
  const fixed = (r: string, decpt: number, frac: number): string => {
    const int = decpt > 0 ? r.slice(0, decpt) : '0';
    const tail = (decpt >= 0 ? r.slice(decpt) : '0'.repeat(Math.min(-decpt, frac)) + r).padEnd(frac, '0').slice(0, frac);
    return int + (frac > 0 || alt ? '.' : '') + tail;
  };
  // d.ddd with `frac` places, and the exponent part.
  const scientific = (r: string, exp10: number, frac: number): [string, string] => [
    r[0] + (frac > 0 || alt ? '.' : '') + r.slice(1, frac + 1),
    (upper ? 'E' : 'e') + (exp10 < 0 ? '-' : '+') + String(Math.abs(exp10)).padStart(expDigits, '0'),
  ];

  if (lower === 'f') {
    const r = roundDigits(d.digits, p + d.decpt, mode);
    return { negative, text: fixed(r.digits, d.decpt + (r.carry ? 1 : 0), p), special: false };
  }
  if (lower === 'e') {
    const r = roundDigits(d.digits, p + 1, mode);
    const [mant, exp] = scientific(r.digits, zero ? 0 : d.decpt - 1 + (r.carry ? 1 : 0), p);
    return { negative, text: mant + exp, special: false };
  }
  // %g: round to p significant digits, then the exponent X picks the style (C99 7.21.6.1).
  const r = roundDigits(d.digits, p, mode);
  const decpt = d.decpt + (r.carry ? 1 : 0);
  const x = decpt - 1;
  let [mant, exp] = x < -4 || x >= p ? scientific(r.digits, zero ? 0 : x, p - 1) : [fixed(r.digits, decpt, p - 1 - x), ''];
  // Without '#', trailing zeros go, and the point if nothing follows it.
  if (!alt && mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
  return { negative, text: mant + exp, special: false };
}

// ---------------------------------------------------------------------------------------------
// The formatter.

const ch = (c: string): number => c.charCodeAt(0);
const PCT = ch('%');
const INT_CONVERSIONS = new Set([...'diouxX'].map(ch));
const FLOAT_CONVERSIONS = new Set([...'eEfgGaA'].map(ch));
const UCRT_FLOAT_CONVERSIONS = new Set([...'eEfFgGaA'].map(ch)); // F is a size prefix elsewhere
const UCRT_LENGTH_CHARS = new Set([...'hlLIjtzwT'].map(ch));
const NULL_TEXT = [...'(null)'].map(ch);

class StopFormatting extends Error {} // _vsnprintf's early return when the buffer is full
class InvalidParameter extends Error {} // the UCRT's _VALIDATE_RETURN(..., EINVAL, -1)

/** The UCRT's length modifiers: C99's and Microsoft's I, I32, I64, w, T. */
type UcrtLength = 'none' | 'hh' | 'h' | 'l' | 'll' | 'j' | 'z' | 't' | 'L' | 'I' | 'I32' | 'I64' | 'w' | 'T';

// Output in units; `wide` decides how narrow/wide source text is converted on the way in.
class Out {
  readonly units: number[] = [];
  overflow = false;
  constructor(
    readonly wide: boolean,
    readonly cap: number,
  ) {}

  // Like the kernel formatter, a piece that does not fit is written partially and ends formatting.
  private push(u: number): void {
    if (this.units.length >= this.cap) {
      this.overflow = true;
      throw new StopFormatting();
    }
    this.units.push(u);
  }
  repeat(u: number, n: number): void {
    for (let i = 0; i < n; i++) this.push(u);
  }
  /** Text whose units are already in the output's width (format literals, digits). */
  native(units: ArrayLike<number>): void {
    for (let i = 0; i < units.length; i++) this.push(units[i]);
  }
  /** Narrow source bytes. */
  narrow(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.push(this.wide ? ansiToUnicode(bytes[i]) : bytes[i]);
  }
  /** UTF-16 source units. */
  wideText(units: ArrayLike<number>): void {
    for (let i = 0; i < units.length; i++) this.push(this.wide ? units[i] : unicodeToAnsi(units[i]));
  }
}

interface Spec {
  left: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  alt: boolean;
  width: number;
  precision: number; // -1: none
  short: boolean; // h
  wideStr: boolean; // w, or a lone l
  long64: boolean; // ll, I64, j (and I on x64)
  native: boolean; // z, t: pointer-sized
  ucrtLength?: UcrtLength; // crt 'ucrt' only; the fields above are then unused
}

/** Formats like ntoskrnl's _vsnprintf (narrow) / _vsnwprintf (wide); see the file header for the rules. */
export function formatPrintfEx(fmt: Uint8Array, args: ArgSource, mem: GuestReader, arch: Arch, wide: false, options?: PrintfOptions): PrintfResult<Uint8Array>;
export function formatPrintfEx(fmt: Uint16Array | Uint8Array, args: ArgSource, mem: GuestReader, arch: Arch, wide: true, options?: PrintfOptions): PrintfResult<Uint16Array>;
export function formatPrintfEx(fmt: Uint8Array | Uint16Array, args: ArgSource, mem: GuestReader, arch: Arch, wide: boolean, options?: PrintfOptions): PrintfResult<Uint8Array | Uint16Array>;
export function formatPrintfEx(
  fmtIn: Uint8Array | Uint16Array,
  args: ArgSource,
  mem: GuestReader,
  arch: Arch,
  wide: boolean,
  options: PrintfOptions = {},
): PrintfResult<Uint8Array | Uint16Array> {
  const fmt = formatUnits(fmtIn, wide);
  const out = new Out(wide, Math.max(0, options.maxOutput ?? DEFAULT_MAX_OUTPUT));
  const maxStr = Math.max(0, options.maxStringChars ?? MAX_STRING_CHARS);
  const x64 = arch === 'x64';
  const crt = options.crt ?? 'kernel';
  let invalidParameter = false;
  const warnings = new Set<PrintfWarning>();
  const countWrites: CountWrite[] = [];
  let end = fmt.indexOf(0);
  if (end < 0) end = fmt.length;
  const at = (i: number): number => (i < end ? fmt[i] : 0);
  // Widths and precisions beyond the output capacity overflow anyway; clamping them keeps
  // "%.2000000000d" from building a 2 GB digit string on the host.
  const tooBig = out.cap + 1;

  // A finished piece of text with width padding: strings and chars pad with '0' under the 0 flag
  // too (the CRT does), integers get their sign/prefix before the zeros.
  const padded = (len: number, s: Spec, body: () => void, prefix: number[] = []): void => {
    const pad = Math.max(0, s.width - len - prefix.length);
    if (!s.left && !s.zero) out.repeat(ch(' '), pad);
    out.native(prefix);
    if (!s.left && s.zero) out.repeat(ch('0'), pad);
    body();
    if (s.left) out.repeat(ch(' '), pad);
  };

  const stringArg = (s: Spec, isWide: boolean, p: bigint): void => {
    if (p === 0n) {
      // "(null)" honours precision like any string.
      const t = s.precision >= 0 ? NULL_TEXT.slice(0, s.precision) : NULL_TEXT;
      return padded(t.length, s, () => out.narrow(t));
    }
    // With a precision the formatter never looks past that many characters.
    const limit = s.precision >= 0 ? Math.min(s.precision, maxStr) : maxStr;
    const r = isWide ? readWString(mem, p, limit) : readCString(mem, p, limit);
    if (r.faultAt !== undefined) throw new GuestFault(r.faultAt, isWide ? '%ws string' : '%s string');
    if (!r.terminated && (s.precision < 0 || s.precision > maxStr)) warnings.add('string-capped');
    padded(r.value.length, s, () => (isWide ? out.wideText(r.value) : out.narrow(r.value)));
  };

  const countedStringArg = (s: Spec, isWide: boolean, p: bigint): void => {
    // ANSI_STRING / UNICODE_STRING: USHORT Length (bytes), USHORT MaximumLength, then the Buffer
    // pointer, aligned to pointer size.
    let buffer = 0n;
    let length = 0;
    if (p !== 0n) {
      const hdr = readExact(mem, p, x64 ? 16 : 8, isWide ? '%wZ UNICODE_STRING' : '%Z ANSI_STRING');
      const dv = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
      length = dv.getUint16(0, true);
      buffer = x64 ? dv.getBigUint64(8, true) : BigInt(dv.getUint32(4, true));
    }
    // The CRT's %Z ignores precision: Length alone says how much to print.
    const plain: Spec = { ...s, precision: -1 };
    if (p === 0n || buffer === 0n) return padded(NULL_TEXT.length, plain, () => out.narrow(NULL_TEXT));
    if (isWide) {
      const b = readExact(mem, buffer, length & ~1, '%wZ buffer');
      const units = new Uint16Array(b.length >> 1);
      for (let i = 0; i < units.length; i++) units[i] = b[2 * i] | (b[2 * i + 1] << 8);
      padded(units.length, plain, () => out.wideText(units));
    } else {
      const b = readExact(mem, buffer, length, '%Z buffer');
      padded(b.length, plain, () => out.narrow(b));
    }
  };

  // The UCRT's to_integer_size: 0 for modifiers that give an integer no size (%Ld, %wd, %Td).
  const ucrtIntegerSize = (l: UcrtLength): number =>
    l === 'hh' ? 1 : l === 'h' ? 2 : l === 'll' || l === 'j' || l === 'I64' ? 8 : l === 'z' || l === 't' || l === 'I' ? (x64 ? 8 : 4) : l === 'none' || l === 'l' || l === 'I32' ? 4 : 0;

  const integerArg = (s: Spec, conv: number): void => {
    const size = s.ucrtLength === undefined ? (s.long64 || (s.native && x64) ? 8 : s.short ? 2 : 4) : ucrtIntegerSize(s.ucrtLength);
    if (size === 0) throw new InvalidParameter(); // "Invalid integer length modifier"
    const signed = conv === ch('d') || conv === ch('i');
    let v: bigint;
    if (size === 8) {
      const raw = args.int64();
      v = signed ? BigInt.asIntN(64, raw) : BigInt.asUintN(64, raw);
    } else {
      let raw = args.int32();
      if (size === 2) raw = signed ? (raw << 16) >> 16 : raw & 0xffff;
      else if (size === 1) raw = signed ? (raw << 24) >> 24 : raw & 0xff;
      else raw = signed ? raw | 0 : raw >>> 0;
      v = BigInt(raw);
    }
    const negative = v < 0n;
    const mag = negative ? -v : v;
    const base = conv === ch('o') ? 8 : conv === ch('x') || conv === ch('X') ? 16 : 10;
    let digits = mag === 0n && s.precision === 0 ? '' : mag.toString(base);
    if (conv === ch('X')) digits = digits.toUpperCase();
    const spec = { ...s };
    if (s.precision >= 0) spec.zero = false; // an explicit precision replaces zero padding
    digits = digits.padStart(Math.max(s.precision, 0), '0');
    let prefix = '';
    if (signed) prefix = negative ? '-' : s.plus ? '+' : s.space ? ' ' : '';
    if (s.alt && base === 16 && mag !== 0n) prefix = conv === ch('X') ? '0X' : '0x';
    if (s.alt && base === 8 && !digits.startsWith('0')) digits = '0' + digits;
    const d = [...digits].map(ch);
    padded(d.length, spec, () => out.native(d), [...prefix].map(ch));
  };

  const pointerArg = (s: Spec): void => {
    let v = args.ptr();
    v = x64 ? BigInt.asUintN(64, v) : BigInt.asUintN(32, v);
    // Fixed precision of 2*sizeof(void*) upper-case digits; the 0 flag is therefore moot.
    const digits = [...v.toString(16).toUpperCase().padStart(x64 ? 16 : 8, '0')].map(ch);
    // The UCRT formats %p as an integer with format char 'p', which never gets the "0X".
    const prefix = s.alt && v !== 0n && crt !== 'ucrt' ? [ch('0'), ch('X')] : [];
    padded(digits.length, { ...s, zero: false }, () => out.native(digits), prefix);
  };

  const floatArg = (s: Spec, conv: number): void => {
    const bits = args.double ? doubleBits(args.double()) : BigInt.asUintN(64, args.int64());
    const f = formatDouble(bits, String.fromCharCode(conv), s.precision, s.alt, crt === 'ucrt' ? 'ucrt' : 'msvcrt');
    let prefix = f.negative ? '-' : s.plus ? '+' : s.space ? ' ' : '';
    // "0x" belongs to the prefix, so that zero padding goes between it and the digits.
    if ((conv === ch('a') || conv === ch('A')) && !f.special) prefix += conv === ch('A') ? '0X' : '0x';
    const body = [...f.text].map(ch);
    // The UCRT pads "inf" and "nan" with spaces even under the 0 flag; msvcrt zero-pads "1.#INF".
    padded(body.length, f.special ? { ...s, zero: false } : s, () => out.native(body), [...prefix].map(ch));
  };

  // The UCRT's length modifier, at most one (state_case_size). F and N come first there: F is the
  // %F conversion, N an invalid parameter. An I not followed by 32, 64 or an integer conversion
  // is consumed without giving a size.
  const ucrtLength = (i: number): [UcrtLength, number] => {
    let l: UcrtLength = 'none';
    for (;;) {
      const m = at(i);
      if (m === ch('N')) throw new InvalidParameter();
      if (!UCRT_LENGTH_CHARS.has(m)) return [l, i];
      if (l !== 'none') throw new InvalidParameter();
      const next = at(++i);
      if (m === ch('h') || m === ch('l')) {
        const twice = next === m;
        if (twice) i++;
        l = m === ch('h') ? (twice ? 'hh' : 'h') : twice ? 'll' : 'l';
      } else if (m === ch('I')) {
        if (next === ch('3') && at(i + 1) === ch('2')) {
          l = 'I32';
          i += 2;
        } else if (next === ch('6') && at(i + 1) === ch('4')) {
          l = 'I64';
          i += 2;
        } else if (INT_CONVERSIONS.has(next)) {
          l = 'I';
        }
      } else {
        l = String.fromCharCode(m) as UcrtLength;
      }
    }
  };

  try {
    let i = 0;
    while (i < end) {
      const c = fmt[i];
      if (c !== PCT) {
        out.native([c]);
        i++;
        continue;
      }
      i++;
      if (i >= end) break; // a lone '%' at the end prints nothing
      if (fmt[i] === PCT) {
        out.native([PCT]);
        i++;
        continue;
      }
      const s: Spec = { left: false, plus: false, space: false, zero: false, alt: false, width: 0, precision: -1, short: false, wideStr: false, long64: false, native: false };
      for (;; i++) {
        const f = at(i);
        if (f === ch('-')) s.left = true;
        else if (f === ch('+')) s.plus = true;
        else if (f === ch(' ')) s.space = true;
        else if (f === ch('0')) s.zero = true;
        else if (f === ch('#')) s.alt = true;
        else break;
      }
      const star = at(i) === ch('*');
      if (star) {
        const w = args.int32() | 0;
        if (w < 0) s.left = true; // a negative * width means left-justify
        s.width = Math.abs(w);
        i++;
        // Digits after the '*': msvcrt appends them to that width ("%*1d" with 1 is 11 wide, Wine's
        // tests on Windows); the UCRT parses them as a new width.
        if (crt === 'ucrt' && at(i) >= 0x30 && at(i) <= 0x39) s.width = 0;
      }
      if (!star || crt !== 'kernel') {
        while (at(i) >= 0x30 && at(i) <= 0x39) s.width = Math.min(s.width * 10 + (fmt[i++] - 0x30), tooBig);
      }
      s.width = Math.min(s.width, tooBig);
      if (at(i) === ch('.')) {
        i++;
        s.precision = 0;
        if (at(i) === ch('*')) {
          const p = args.int32() | 0;
          s.precision = p < 0 ? -1 : p; // a negative * precision is "no precision"
          i++;
        } else {
          while (at(i) >= 0x30 && at(i) <= 0x39) s.precision = Math.min(s.precision * 10 + (fmt[i++] - 0x30), tooBig);
        }
        s.precision = Math.min(s.precision, tooBig);
      }
      // Size prefixes: the UCRT takes one (ucrtLength); the others any number in any order (Wine's
      // conformance tests pin combinations such as %hllx = 64-bit, %lls = narrow string, %hws =
      // wide in a narrow format).
      if (crt === 'ucrt') [s.ucrtLength, i] = ucrtLength(i);
      while (crt !== 'ucrt') {
        const m = at(i);
        const next = at(i + 1);
        if (m === ch('l') && next === ch('l')) {
          s.long64 = true; // "ll" is a size only; it does not make strings wide
          i += 2;
        } else if (m === ch('l')) {
          s.wideStr = true;
          i++;
        } else if (m === ch('h')) {
          s.short = true; // "hh" too: the kernel CRT predates C99's char size
          i++;
        } else if (m === ch('w')) {
          s.wideStr = true;
          i++;
        } else if (m === ch('L') || m === ch('F') || (m === ch('N') && crt === 'msvcrt')) {
          i++; // long double / far (/ near, msvcrt): no meaning for the kernel formatter
        } else if (m === ch('j')) {
          s.long64 = true;
          i++;
        } else if (m === ch('I')) {
          if (next === ch('6') && at(i + 2) === ch('4')) {
            s.long64 = true;
            i += 3;
          } else if (next === ch('3') && at(i + 2) === ch('2')) {
            i += 3;
          } else if (INT_CONVERSIONS.has(next)) {
            s.native = true;
            i++;
          } else if ((next >= 0x30 && next <= 0x39) || next === 0) {
            break; // "I" is then the conversion character itself
          } else {
            i++;
          }
        } else if ((m === ch('z') || m === ch('t')) && INT_CONVERSIONS.has(next)) {
          s.native = true;
          i++;
        } else {
          break;
        }
      }
      if (i >= end) break; // "%ll" at the end prints nothing
      const conv = fmt[i++];
      // Which argument width a string/char conversion takes. In a narrow format 'w' or a lone 'l'
      // makes it wide, and %S/%C are wide unless 'h'; in a wide format 'h' makes it narrow, and
      // %S/%C are narrow unless 'w'/'l'.
      const inverted = conv === ch('S') || conv === ch('C');
      let wideArg = wide ? !(s.short || (inverted && !s.wideStr)) : s.wideStr || (inverted && !s.short);
      if (s.ucrtLength !== undefined) {
        // The UCRT's is_wide_character_specifier (with the default legacy wide specifiers): l and
        // w are wide, h narrow, T the output's width; otherwise %s and %c are the output's width
        // and every other conversion the opposite one, %Z included (a bare %Z in a narrow format
        // takes a UNICODE_STRING, unlike the kernel's).
        const l = s.ucrtLength;
        const natural = conv === ch('s') || conv === ch('c');
        wideArg = l === 'l' || l === 'w' ? true : l === 'h' ? false : l === 'T' ? wide : wide === natural;
      }
      switch (conv) {
        case ch('s'):
        case ch('S'):
          stringArg(s, wideArg, args.ptr());
          break;
        case ch('c'):
        case ch('C'): {
          const v = args.int32();
          const unit = wideArg ? v & 0xffff : v & 0xff;
          // Precision does not apply to a character.
          padded(1, s, () => (wideArg ? out.wideText([unit]) : out.narrow([unit])));
          break;
        }
        case ch('Z'):
          countedStringArg(s, s.ucrtLength !== undefined ? wideArg : wide ? s.wideStr && !s.short : s.wideStr, args.ptr());
          break;
        case ch('p'):
          pointerArg(s);
          break;
        case ch('n'): {
          const address = args.ptr();
          // The UCRT refuses %n unless the program called _set_printf_count_output(1).
          if (crt === 'ucrt') throw new InvalidParameter();
          countWrites.push({ address, size: s.short ? 2 : s.long64 ? 8 : 4, value: out.units.length });
          warnings.add('percent-n');
          break;
        }
        default:
          if (INT_CONVERSIONS.has(conv)) {
            integerArg(s, conv);
          } else if (crt !== 'kernel' && (crt === 'ucrt' ? UCRT_FLOAT_CONVERSIONS : FLOAT_CONVERSIONS).has(conv)) {
            floatArg(s, conv);
          } else {
            // Not a conversion the kernel formatter knows: the character itself is printed and no
            // argument is consumed ("%q" -> "q", "% %" -> "%", "%f" -> "f").
            if (FLOAT_CONVERSIONS.has(conv)) warnings.add('float-unsupported');
            else if (conv !== PCT) warnings.add('unknown-conversion');
            out.native([conv]);
          }
      }
    }
  } catch (e) {
    if (e instanceof GuestFault) e.countWrites = countWrites;
    if (e instanceof InvalidParameter) invalidParameter = true;
    else if (e instanceof StopFormatting) warnings.add('output-capped');
    else throw e;
  }
  const output = wide ? Uint16Array.from(out.units) : Uint8Array.from(out.units);
  return { output, overflow: out.overflow, countWrites, warnings: [...warnings], ...(invalidParameter ? { invalidParameter } : {}) };
}

/**
 * The formatted text only (bytes when narrow, UTF-16 units when wide). Throws GuestFault on a bad
 * pointer. Use formatPrintfEx to see overflow, %n stores and warnings.
 */
export function formatPrintf(fmt: Uint8Array, args: ArgSource, mem: GuestReader, arch: Arch, wide: false, options?: PrintfOptions): Uint8Array;
export function formatPrintf(fmt: Uint16Array | Uint8Array, args: ArgSource, mem: GuestReader, arch: Arch, wide: true, options?: PrintfOptions): Uint16Array;
export function formatPrintf(fmt: Uint8Array | Uint16Array, args: ArgSource, mem: GuestReader, arch: Arch, wide: boolean, options?: PrintfOptions): Uint8Array | Uint16Array;
export function formatPrintf(
  fmt: Uint8Array | Uint16Array,
  args: ArgSource,
  mem: GuestReader,
  arch: Arch,
  wide: boolean,
  options?: PrintfOptions,
): Uint8Array | Uint16Array {
  return formatPrintfEx(fmt, args, mem, arch, wide, options).output;
}

// A wide format may arrive as raw UTF-16LE bytes; a narrow one must be bytes.
function formatUnits(fmt: Uint8Array | Uint16Array, wide: boolean): Uint8Array | Uint16Array {
  if (!wide) {
    if (fmt instanceof Uint16Array) throw new TypeError('a narrow format must be a Uint8Array of bytes');
    return fmt;
  }
  if (fmt instanceof Uint16Array) return fmt;
  const u = new Uint16Array(fmt.length >> 1);
  for (let i = 0; i < u.length; i++) u[i] = fmt[2 * i] | (fmt[2 * i + 1] << 8);
  return u;
}

// ---------------------------------------------------------------------------------------------
// DbgPrint.

export interface DbgPrintTruncation {
  bytes: Uint8Array;
  truncated: boolean;
}

/**
 * What DbgPrint transmits of a message (prefix included). DbgPrint formats into a 512-byte buffer
 * with _vsnprintf; when the text does not fit, it overwrites the last two bytes with "\n\0" and
 * sends 511 bytes: the first 510 bytes of the text and a newline. Text that fits exactly (512
 * bytes) is sent whole. `truncated` lets the caller flag the loss in the trace.
 */
export function truncateDbgPrint(bytes: Uint8Array): DbgPrintTruncation {
  if (bytes.length <= DBGPRINT_BUFFER_SIZE) return { bytes, truncated: false };
  const kept = new Uint8Array(DBGPRINT_BUFFER_SIZE - 1);
  kept.set(bytes.subarray(0, DBGPRINT_BUFFER_SIZE - 2));
  kept[DBGPRINT_BUFFER_SIZE - 2] = 0x0a;
  return { bytes: kept, truncated: true };
}

export interface DbgPrintResult {
  /** DbgPrint's return value: STATUS_SUCCESS, or the exception code when formatting faulted. */
  status: number;
  /** The bytes DbgPrint transmits (empty after a fault). */
  bytes: Uint8Array;
  truncated: boolean;
  /** Set when formatting touched unmapped memory. */
  fault?: GuestFault;
  countWrites: CountWrite[];
  warnings: PrintfWarning[];
}

/**
 * DbgPrint / DbgPrintEx / vDbgPrintEx(WithPrefix) formatting. The prefix (vDbgPrintExWithPrefix)
 * is copied first, capped at the buffer; the message is formatted into the rest.
 * A bad pointer: Windows runs the formatter inside a __try and on an exception returns the
 * exception code without printing anything, so the result is STATUS_ACCESS_VIOLATION and no bytes.
 * (Any %n store made before the fault did happen and is still reported.)
 */
export function formatDbgPrint(fmt: Uint8Array, args: ArgSource, mem: GuestReader, arch: Arch, prefix: Uint8Array = new Uint8Array(0)): DbgPrintResult {
  const pre = prefix.subarray(0, DBGPRINT_BUFFER_SIZE);
  const room = DBGPRINT_BUFFER_SIZE - pre.length;
  let r: PrintfResult<Uint8Array>;
  try {
    r = formatPrintfEx(fmt, args, mem, arch, false, { maxOutput: room });
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    return { status: STATUS.ACCESS_VIOLATION, bytes: new Uint8Array(0), truncated: false, fault: e, countWrites: e.countWrites, warnings: [] };
  }
  const joined = new Uint8Array(pre.length + r.output.length + (r.overflow ? 1 : 0));
  joined.set(pre);
  joined.set(r.output, pre.length);
  // An overflow means the text is longer than the buffer: one byte more than fits makes
  // truncateDbgPrint apply DbgPrint's "\n" ending.
  const { bytes, truncated } = truncateDbgPrint(joined);
  // 'output-capped' is the truncation itself here, reported as `truncated`.
  const warnings = r.warnings.filter((w) => w !== 'output-capped');
  return { status: STATUS.SUCCESS, bytes, truncated, countWrites: r.countWrites, warnings };
}
