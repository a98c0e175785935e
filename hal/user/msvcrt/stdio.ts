// The C runtimes' console stdio: the three standard streams, the printf family with the runtime's own format
// rules, character and line I/O, and scanf for the simple conversions programs use on the console.
//
// stdin, stdout and stderr are FILE objects in user memory (msvcrt's _iob array; the UCRT's __acrt_iob_func
// hands out the same addresses). They are text-mode streams on the console: "\n" goes out as "\r\n", "\r\n" comes
// in as "\n", and output is written when each call returns, as the runtimes do for a console.

import type { VarArgs } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop, hex } from '../../machine.js';
import { GuestFault, formatPrintfEx, type ArgSource, type PrintfOptions } from '../../dbg/format.js';
import { clientOf } from '../process.js';
import { crtExport, crtVariable, type Crt } from './common.js';
import { errnoAddress } from './errno.js';
import { decodeCodePage, utf16Text } from '../kernel32/nls.js';

const EOF = -1;
const STATUS_INVALID_CRUNTIME_PARAMETER = 'STATUS_INVALID_CRUNTIME_PARAMETER (0xC0000417)';

/** The _iob array: msvcrt's FILE (hal/layout/user.ts) × 3. */
export function iob(k: Kernel): bigint {
  const F = k.L.FILE;
  return crtVariable(k, '_iob', F.size * 3, (a) => {
    const flags = [0x1 /* _IOREAD */, 0x2 /* _IOWRT */, 0x2];
    for (let i = 0; i < 3; i++) {
      const f = a + BigInt(i * F.size);
      k.m.setU32At(f, F.off._flag, flags[i]);
      k.m.setU32At(f, F.off._file, i);
    }
  });
}

/** Which standard stream a FILE* is; anything else is an invalid parameter, which ends the program. */
function stream(k: Kernel, f: bigint, fn: string): 0 | 1 | 2 {
  const base = iob(k);
  const size = BigInt(k.L.FILE.size);
  const i = f >= base && f < base + 3n * size && (f - base) % size === 0n ? Number((f - base) / size) : -1;
  if (i < 0) {
    throw new GuestStop('client-fault', `${fn} from ${k.symbolize(k.callerAddress())} on ${hex(f)}, which is not one of the C runtime's FILE streams (kdemu has stdin, stdout and stderr): ${STATUS_INVALID_CRUNTIME_PARAMETER}`, {});
  }
  return i as 0 | 1 | 2;
}

/** Console output through a text-mode stream: "\n" becomes "\r\n". */
export function writeStream(k: Kernel, s: 1 | 2, bytes: Uint8Array): void {
  let n = 0;
  for (const b of bytes) if (b === 0x0a) n++;
  if (n === 0) return clientOf(k).write(s, bytes);
  const out = new Uint8Array(bytes.length + n);
  let j = 0;
  for (const b of bytes) {
    if (b === 0x0a) out[j++] = 0x0d;
    out[j++] = b;
  }
  clientOf(k).write(s, out);
}

/** One character from the text-mode stdin: "\r\n" reads as "\n"; -1 at the end. */
export function readChar(k: Kernel): number {
  const c = clientOf(k);
  if (c.crt.ungot >= 0) {
    const u = c.crt.ungot;
    c.crt.ungot = -1;
    return u;
  }
  const b = c.readByte();
  if (b === 0x0d) {
    const s = c.options.stdin;
    if (c.stdinPos < s.length && s[c.stdinPos] === 0x0a) c.stdinPos++;
    return 0x0a;
  }
  return b;
}

function reader(k: Kernel) {
  return { read: (a: bigint, n: number) => k.m.tryRead(a, n) };
}

/** A va_list: a pointer walking the argument slots in memory (4 bytes on x86, 8 on x64; 64-bit values take 8). */
export function vaList(k: Kernel, p: bigint): ArgSource {
  const slot = BigInt(k.ptrSize);
  return {
    int32: () => {
      const v = k.m.u32(p);
      p += slot;
      return v;
    },
    int64: () => {
      const v = k.m.u64(p);
      p += 8n; // a 64-bit value takes 8 bytes on both (two slots on x86)
      return v;
    },
    ptr: () => {
      const v = k.m.ptr(p);
      p += slot;
      return v;
    },
  };
}

/** Formats with the runtime's printf rules; a bad pointer in the arguments is the program's access violation. */
export function format(k: Kernel, crt: Crt, fmt: bigint, args: ArgSource | VarArgs, wide: boolean, maxOutput?: number): { bytes: Uint8Array; units: number; overflow: boolean } {
  const f = wide ? wideUnits(k, fmt) : k.m.cstring(fmt, 1 << 24);
  try {
    const options: PrintfOptions = { crt, ...(maxOutput !== undefined ? { maxOutput } : {}) };
    const r = formatPrintfEx(f, args, reader(k), k.arch, wide, options);
    if (r.invalidParameter) {
      // The UCRT's invalid parameter handler: by default it ends the program (a %n, a size the runtime rejects).
      throw new GuestStop('client-fault', `printf format from ${k.symbolize(k.callerAddress())} is an invalid parameter to the UCRT (a %n, or a size prefix it rejects): ${STATUS_INVALID_CRUNTIME_PARAMETER}`, {});
    }
    for (const w of r.countWrites) {
      if (w.size === 8) k.m.setU64(w.address, BigInt(w.value));
      else if (w.size === 2) k.m.setU16(w.address, w.value & 0xffff);
      else k.m.setU32(w.address, w.value);
    }
    const out = r.output;
    const bytes = out instanceof Uint16Array ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : out;
    return { bytes, units: out.length, overflow: r.overflow };
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    throw new GuestStop('client-fault', `printf formatting, called from ${k.symbolize(k.callerAddress())}, read unmapped memory at ${hex(e.address)} (${e.what}): STATUS_ACCESS_VIOLATION (0xC0000005)`, {
      fault: { access: 'read', address: e.address },
    });
  }
}

function wideUnits(k: Kernel, p: bigint): Uint16Array {
  const units: number[] = [];
  for (let a = p; ; a += 2n) {
    const u = k.m.u16(a);
    if (u === 0) break;
    units.push(u);
  }
  return Uint16Array.from(units);
}

/** Wide text to the console, kept as UTF-8 bytes. */
function wideOut(bytes: Uint8Array): Uint8Array {
  return new TextEncoder().encode(utf16Text(bytes));
}

/** _CRT_INTERNAL_PRINTF_LEGACY_MSVCRT_COMPATIBILITY (8): the UCRT formats as msvcrt did. */
function legacy(options: bigint): Crt {
  return (options & 8n) !== 0n ? 'msvcrt' : 'ucrt';
}

function printTo(k: Kernel, crt: Crt, s: 1 | 2, fmt: bigint, args: ArgSource | VarArgs, wide: boolean): number {
  const r = format(k, crt, fmt, args, wide);
  writeStream(k, s, wide ? wideOut(r.bytes) : r.bytes);
  return r.units;
}

/** sprintf family: the text and a NUL into buf; _snprintf's count rules are applied by the caller. */
function sprint(k: Kernel, crt: Crt, buf: bigint, fmt: bigint, args: ArgSource | VarArgs, wide: boolean): number {
  const r = format(k, crt, fmt, args, wide);
  const out = new Uint8Array(r.bytes.length + (wide ? 2 : 1));
  out.set(r.bytes);
  k.m.write(buf, out);
  return r.units;
}

/**
 * The counted forms. msvcrt's _snprintf/_vsnprintf: the text if it fits in count (NUL only if room), else count
 * characters and -1. C99 snprintf/vsnprintf (ucrt): at most count - 1 characters and always a NUL; the full length.
 */
function snprint(k: Kernel, crt: Crt, c99: boolean, buf: bigint, count: number, fmt: bigint, args: ArgSource | VarArgs, wide: boolean): number {
  const unit = wide ? 2 : 1;
  const r = format(k, crt, fmt, args, wide);
  if (c99) {
    if (count > 0) {
      const n = Math.min(r.units, count - 1);
      const out = new Uint8Array((n + 1) * unit);
      out.set(r.bytes.subarray(0, n * unit));
      k.m.write(buf, out);
    }
    return r.units;
  }
  if (r.units < count) {
    const out = new Uint8Array((r.units + 1) * unit);
    out.set(r.bytes);
    k.m.write(buf, out);
    return r.units;
  }
  if (r.units === count) {
    k.m.write(buf, r.bytes);
    return r.units;
  }
  if (count > 0) k.m.write(buf, r.bytes.subarray(0, count * unit));
  return -1;
}

function fgets(k: Kernel, buf: bigint, n: number): bigint {
  if (n <= 0) return 0n;
  const bytes: number[] = [];
  while (bytes.length < n - 1) {
    const c = readChar(k);
    if (c < 0) break;
    bytes.push(c);
    if (c === 0x0a) break;
  }
  if (bytes.length === 0) return 0n;
  k.m.write(buf, Uint8Array.from([...bytes, 0]));
  return buf;
}

// ---- scanf: %d %i %u %x %o %c %s %[...]-free formats with widths, h/l/ll/I64 sizes and * suppression ----------

interface ScanSource {
  peek(): number;
  next(): number;
}

function scan(k: Kernel, src: ScanSource, fmt: Uint8Array, args: ArgSource): number {
  let assigned = 0;
  let i = 0;
  const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
  const skipSpace = () => {
    while (src.peek() >= 0 && isSpace(src.peek())) src.next();
  };
  while (i < fmt.length) {
    const f = fmt[i];
    if (isSpace(f)) {
      skipSpace();
      i++;
      continue;
    }
    if (f !== 0x25 /* % */) {
      if (src.peek() !== f) return assigned;
      src.next();
      i++;
      continue;
    }
    i++;
    if (fmt[i] === 0x25) {
      skipSpace();
      if (src.peek() !== 0x25) return assigned;
      src.next();
      i++;
      continue;
    }
    const suppress = fmt[i] === 0x2a;
    if (suppress) i++;
    let width = 0;
    while (fmt[i] >= 0x30 && fmt[i] <= 0x39) width = width * 10 + (fmt[i++] - 0x30);
    let size = 4;
    const rest = String.fromCharCode(...fmt.subarray(i, i + 3));
    if (rest.startsWith('I64') || rest.startsWith('ll')) {
      size = 8;
      i += rest.startsWith('I64') ? 3 : 2;
    } else if (fmt[i] === 0x68) {
      size = fmt[i + 1] === 0x68 ? 1 : 2;
      i += size === 1 ? 2 : 1;
    } else if (fmt[i] === 0x6c) {
      i++;
    }
    const conv = String.fromCharCode(fmt[i++] ?? 0);
    if (src.peek() < 0 && conv !== 'n') return assigned === 0 ? EOF : assigned;
    if ('diuxXo'.includes(conv)) {
      skipSpace();
      let text = '';
      const max = width || Infinity;
      const base = conv === 'x' || conv === 'X' ? 16 : conv === 'o' ? 8 : conv === 'i' ? 0 : 10;
      if ((src.peek() === 0x2d || src.peek() === 0x2b) && text.length < max) text += String.fromCharCode(src.next());
      const digit = (c: number, b: number) => {
        const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : 99;
        return d < (b || 16);
      };
      let b = base;
      if (b === 0 || b === 16) {
        if (src.peek() === 0x30 && text.length < max) {
          text += String.fromCharCode(src.next());
          if ((src.peek() | 0x20) === 0x78 && text.length < max) {
            text += String.fromCharCode(src.next());
            b = 16;
          } else if (b === 0) b = 8;
        }
        if (b === 0) b = 10;
      }
      while (src.peek() >= 0 && text.length < max && digit(src.peek(), b)) text += String.fromCharCode(src.next());
      const digits = text.replace(/^[+-]?(0[xX])?/, '');
      // No digit at all (a lone "0" of a prefix counts as one): a matching failure ends the conversion.
      if (digits.length === 0 && !text.includes('0')) return assigned === 0 && src.peek() < 0 ? EOF : assigned;
      let v = 0n;
      for (const c of digits) v = v * BigInt(b) + BigInt(parseInt(c, 16));
      if (text.startsWith('-')) v = -v;
      if (!suppress) {
        const p = args.ptr();
        if (size === 8) k.m.setU64(p, v);
        else if (size === 2) k.m.setU16(p, Number(BigInt.asUintN(16, v)));
        else if (size === 1) k.m.setU8(p, Number(BigInt.asUintN(8, v)));
        else k.m.setU32(p, Number(BigInt.asUintN(32, v)));
        assigned++;
      }
    } else if (conv === 's') {
      skipSpace();
      const bytes: number[] = [];
      while (src.peek() >= 0 && !isSpace(src.peek()) && bytes.length < (width || Infinity)) bytes.push(src.next());
      if (!suppress) {
        k.m.write(args.ptr(), Uint8Array.from([...bytes, 0]));
        assigned++;
      }
    } else if (conv === 'c') {
      const n = width || 1;
      const bytes: number[] = [];
      while (src.peek() >= 0 && bytes.length < n) bytes.push(src.next());
      if (!suppress) {
        k.m.write(args.ptr(), Uint8Array.from(bytes));
        assigned++;
      }
    } else {
      throw new GuestStop('unsupported-call', `scanf conversion %${conv} (called from ${k.symbolize(k.callerAddress())}) is not one kdemu's C runtime reads yet`, { export: 'msvcrt.dll!scanf' });
    }
  }
  return assigned;
}

function stdinSource(k: Kernel): ScanSource {
  const c = clientOf(k);
  return {
    peek: () => {
      if (c.crt.ungot < 0) c.crt.ungot = readChar(k);
      return c.crt.ungot;
    },
    next: () => readChar(k),
  };
}

function stringSource(k: Kernel, p: bigint): ScanSource {
  const s = k.m.cstring(p);
  let i = 0;
  return { peek: () => (i < s.length ? s[i] : -1), next: () => (i < s.length ? s[i++] : -1) };
}

export const exports = [
  ...crtExport({ name: '__iob_func', proto: 'FILE *__iob_func(void)', params: {}, ret: 'ptr', impl: () => (k) => iob(k) }, 'msvcrt'),
  ...crtExport({
    name: '__acrt_iob_func', proto: 'FILE *__acrt_iob_func(unsigned index)', params: { index: 'u32' }, ret: 'ptr',
    impl: () => (k, a) => iob(k) + BigInt(Math.min(a.index, 2) * k.L.FILE.size),
  }, 'ucrt'),
  ...crtExport({
    name: '_fileno', proto: 'int _fileno(FILE *stream)', params: { stream: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => stream(k, a.stream, '_fileno'),
  }),
  ...crtExport({
    name: 'printf', proto: 'int printf(const char *format, ...)', params: { format: 'pstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => printTo(k, crt, 1, a.format, va, false),
  }),
  ...crtExport({
    name: 'wprintf', proto: 'int wprintf(const wchar_t *format, ...)', params: { format: 'pwstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => printTo(k, crt, 1, a.format, va, true),
  }),
  ...crtExport({
    name: 'vprintf', proto: 'int vprintf(const char *format, va_list argptr)', params: { format: 'pstr', argptr: 'ptr' }, ret: 'i32',
    impl: (crt) => (k, a) => printTo(k, crt, 1, a.format, vaList(k, a.argptr), false),
  }),
  ...crtExport({
    name: 'fprintf', proto: 'int fprintf(FILE *stream, const char *format, ...)', params: { stream: 'ptr', format: 'pstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => {
      const s = stream(k, a.stream, 'fprintf');
      return s === 0 ? EOF : printTo(k, crt, s, a.format, va, false);
    },
  }),
  ...crtExport({
    name: 'fwprintf', proto: 'int fwprintf(FILE *stream, const wchar_t *format, ...)', params: { stream: 'ptr', format: 'pwstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => {
      const s = stream(k, a.stream, 'fwprintf');
      return s === 0 ? EOF : printTo(k, crt, s, a.format, va, true);
    },
  }),
  ...crtExport({
    name: 'vfprintf', proto: 'int vfprintf(FILE *stream, const char *format, va_list argptr)', params: { stream: 'ptr', format: 'pstr', argptr: 'ptr' }, ret: 'i32',
    impl: (crt) => (k, a) => {
      const s = stream(k, a.stream, 'vfprintf');
      return s === 0 ? EOF : printTo(k, crt, s, a.format, vaList(k, a.argptr), false);
    },
  }),
  ...crtExport({
    name: 'vfwprintf', proto: 'int vfwprintf(FILE *stream, const wchar_t *format, va_list argptr)', params: { stream: 'ptr', format: 'pwstr', argptr: 'ptr' }, ret: 'i32',
    impl: (crt) => (k, a) => {
      const s = stream(k, a.stream, 'vfwprintf');
      return s === 0 ? EOF : printTo(k, crt, s, a.format, vaList(k, a.argptr), true);
    },
  }),
  ...crtExport({
    name: 'sprintf', proto: 'int sprintf(char *buffer, const char *format, ...)', params: { buffer: 'ptr', format: 'pstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => sprint(k, crt, a.buffer, a.format, va, false),
  }),
  ...crtExport({
    name: 'vsprintf', proto: 'int vsprintf(char *buffer, const char *format, va_list argptr)', params: { buffer: 'ptr', format: 'pstr', argptr: 'ptr' }, ret: 'i32',
    impl: (crt) => (k, a) => sprint(k, crt, a.buffer, a.format, vaList(k, a.argptr), false),
  }),
  ...crtExport({
    name: '_snprintf', proto: 'int _snprintf(char *buffer, size_t count, const char *format, ...)', params: { buffer: 'ptr', count: 'usize', format: 'pstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => snprint(k, crt, false, a.buffer, Number(a.count), a.format, va, false),
  }),
  ...crtExport({
    name: '_vsnprintf', proto: 'int _vsnprintf(char *buffer, size_t count, const char *format, va_list argptr)', params: { buffer: 'ptr', count: 'usize', format: 'pstr', argptr: 'ptr' }, ret: 'i32',
    impl: (crt) => (k, a) => snprint(k, crt, false, a.buffer, Number(a.count), a.format, vaList(k, a.argptr), false),
  }),
  ...crtExport({
    name: 'snprintf', proto: 'int snprintf(char *buffer, size_t count, const char *format, ...)', params: { buffer: 'ptr', count: 'usize', format: 'pstr' }, ret: 'i32', varargs: true,
    impl: (crt) => (k, a, va) => snprint(k, crt, true, a.buffer, Number(a.count), a.format, va, false),
  }, 'ucrt'),
  ...crtExport({
    name: 'vsnprintf', proto: 'int vsnprintf(char *buffer, size_t count, const char *format, va_list argptr)', params: { buffer: 'ptr', count: 'usize', format: 'pstr', argptr: 'ptr' }, ret: 'i32',
    impl: (crt) => (k, a) => snprint(k, crt, true, a.buffer, Number(a.count), a.format, vaList(k, a.argptr), false),
  }, 'ucrt'),
  // The UCRT's printf core: every printf-family function of its headers is an inline over these. options holds the
  // _CRT_INTERNAL_PRINTF_* bits (legacy wide specifiers, msvcrt compatibility ...); the locale is the "C" one.
  ...crtExport({
    name: '__stdio_common_vfprintf', proto: 'int __stdio_common_vfprintf(unsigned __int64 options, FILE *stream, const char *format, _locale_t locale, va_list argptr)',
    params: { options: 'u64', stream: 'ptr', format: 'pstr', locale: 'ptr', argptr: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      const s = stream(k, a.stream, '__stdio_common_vfprintf');
      return s === 0 ? EOF : printTo(k, legacy(a.options), s, a.format, vaList(k, a.argptr), false);
    },
  }, 'ucrt'),
  ...crtExport({
    name: '__stdio_common_vfwprintf', proto: 'int __stdio_common_vfwprintf(unsigned __int64 options, FILE *stream, const wchar_t *format, _locale_t locale, va_list argptr)',
    params: { options: 'u64', stream: 'ptr', format: 'pwstr', locale: 'ptr', argptr: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      const s = stream(k, a.stream, '__stdio_common_vfwprintf');
      return s === 0 ? EOF : printTo(k, legacy(a.options), s, a.format, vaList(k, a.argptr), true);
    },
  }, 'ucrt'),
  ...crtExport({
    name: '__stdio_common_vsprintf', proto: 'int __stdio_common_vsprintf(unsigned __int64 options, char *buffer, size_t count, const char *format, _locale_t locale, va_list argptr)',
    params: { options: 'u64', buffer: 'ptr', count: 'usize', format: 'pstr', locale: 'ptr', argptr: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      // Without _CRT_INTERNAL_PRINTF_STANDARD_SNPRINTF_BEHAVIOR (2) a text that does not fit returns -1 (the legacy
      // _vsnprintf rules); with it, C99 snprintf's. A NULL buffer with count 0 asks for the length.
      const c99 = (a.options & 2n) !== 0n;
      if (a.buffer === 0n && a.count === 0n) return format(k, legacy(a.options), a.format, vaList(k, a.argptr), false).units;
      return snprint(k, legacy(a.options), c99, a.buffer, Number(a.count), a.format, vaList(k, a.argptr), false);
    },
  }, 'ucrt'),
  ...(['_lock_file', '_unlock_file'] as const).flatMap((name) =>
    crtExport({
      name, proto: `void ${name}(FILE *stream)`, params: { stream: 'ptr' }, ret: 'void',
      // The program's one thread always owns the streams.
      impl: () => (k, a) => void stream(k, a.stream, name),
    }),
  ),
  ...crtExport({
    name: 'puts', proto: 'int puts(const char *str)', params: { str: 'pstr' }, ret: 'i32',
    impl: () => (k, a) => {
      writeStream(k, 1, Uint8Array.from([...k.m.cstring(a.str, 1 << 24), 0x0a]));
      return 0;
    },
  }),
  ...crtExport({
    name: 'fputs', proto: 'int fputs(const char *str, FILE *stream)', params: { str: 'pstr', stream: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      const s = stream(k, a.stream, 'fputs');
      if (s === 0) return EOF;
      writeStream(k, s, k.m.cstring(a.str, 1 << 24));
      return 0;
    },
  }),
  ...crtExport({
    name: 'putchar', proto: 'int putchar(int c)', params: { c: 'i32' }, ret: 'i32',
    impl: () => (k, a) => {
      writeStream(k, 1, Uint8Array.of(a.c & 0xff));
      return a.c & 0xff;
    },
  }),
  ...(['fputc', 'putc'] as const).flatMap((name) =>
    crtExport({
      name, proto: `int ${name}(int c, FILE *stream)`, params: { c: 'i32', stream: 'ptr' }, ret: 'i32',
      impl: () => (k, a) => {
        const s = stream(k, a.stream, name);
        if (s === 0) return EOF;
        writeStream(k, s, Uint8Array.of(a.c & 0xff));
        return a.c & 0xff;
      },
    }),
  ),
  ...crtExport({
    name: 'fwrite', proto: 'size_t fwrite(const void *buffer, size_t size, size_t count, FILE *stream)', params: { buffer: 'ptr', size: 'usize', count: 'usize', stream: 'ptr' }, ret: 'usize',
    impl: () => (k, a) => {
      const s = stream(k, a.stream, 'fwrite');
      const n = a.size * a.count;
      if (s === 0 || n === 0n) return 0n;
      writeStream(k, s, k.m.read(a.buffer, Number(n)));
      return a.count;
    },
  }),
  ...crtExport({
    name: 'fflush', proto: 'int fflush(FILE *stream)', params: { stream: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      // Console streams are written as each call returns: nothing is ever waiting in a buffer.
      if (a.stream !== 0n) stream(k, a.stream, 'fflush');
      return 0;
    },
  }),
  ...crtExport({ name: 'getchar', proto: 'int getchar(void)', params: {}, ret: 'i32', impl: () => (k) => readChar(k) }),
  ...(['fgetc', 'getc'] as const).flatMap((name) =>
    crtExport({
      name, proto: `int ${name}(FILE *stream)`, params: { stream: 'ptr' }, ret: 'i32',
      impl: () => (k, a) => (stream(k, a.stream, name) === 0 ? readChar(k) : EOF),
    }),
  ),
  ...crtExport({
    name: 'ungetc', proto: 'int ungetc(int c, FILE *stream)', params: { c: 'i32', stream: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      if (stream(k, a.stream, 'ungetc') !== 0 || a.c === EOF) return EOF;
      clientOf(k).crt.ungot = a.c & 0xff;
      return a.c & 0xff;
    },
  }),
  ...crtExport({
    name: 'fgets', proto: 'char *fgets(char *str, int numChars, FILE *stream)', params: { str: 'ptr', numChars: 'i32', stream: 'ptr' }, ret: 'ptr',
    impl: () => (k, a) => (stream(k, a.stream, 'fgets') === 0 ? fgets(k, a.str, a.numChars) : 0n),
  }),
  ...crtExport({
    name: 'scanf', proto: 'int scanf(const char *format, ...)', params: { format: 'pstr' }, ret: 'i32', varargs: true,
    impl: () => (k, a, va) => scan(k, stdinSource(k), k.m.cstring(a.format), va),
  }),
  ...crtExport({
    name: 'sscanf', proto: 'int sscanf(const char *buffer, const char *format, ...)', params: { buffer: 'pstr', format: 'pstr' }, ret: 'i32', varargs: true,
    impl: () => (k, a, va) => scan(k, stringSource(k, a.buffer), k.m.cstring(a.format), va),
  }),
  ...crtExport({
    name: 'perror', proto: 'void perror(const char *message)', params: { message: 'pstr' }, ret: 'void',
    impl: () => (k, a) => {
      const msg = a.message !== 0n ? k.m.cstring(a.message) : new Uint8Array(0);
      const text = new TextEncoder().encode(`${msg.length ? decodeCodePage(msg, 0) + ': ' : ''}${errnoText(k)}\n`);
      writeStream(k, 2, text);
    },
  }),
];

function errnoText(k: Kernel): string {
  const e = k.m.u32(errnoAddress(k));
  return ERRNO_TEXT[e] ?? 'Unknown error';
}

/** msvcrt's _sys_errlist. */
export const ERRNO_TEXT: Record<number, string> = {
  0: 'No error', 1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process', 4: 'Interrupted function call',
  5: 'Input/output error', 6: 'No such device or address', 7: 'Arg list too long', 8: 'Exec format error', 9: 'Bad file descriptor',
  10: 'No child processes', 11: 'Resource temporarily unavailable', 12: 'Not enough space', 13: 'Permission denied', 14: 'Bad address',
  16: 'Resource device', 17: 'File exists', 18: 'Improper link', 19: 'No such device', 20: 'Not a directory', 21: 'Is a directory',
  22: 'Invalid argument', 23: 'Too many open files in system', 24: 'Too many open files', 25: 'Inappropriate I/O control operation',
  27: 'File too large', 28: 'No space left on device', 29: 'Invalid seek', 30: 'Read-only file system', 31: 'Too many links',
  32: 'Broken pipe', 33: 'Domain error', 34: 'Result too large', 36: 'Resource deadlock avoided', 38: 'Filename too long',
  39: 'No locks available', 40: 'Function not implemented', 41: 'Directory not empty', 42: 'Illegal byte sequence',
};
