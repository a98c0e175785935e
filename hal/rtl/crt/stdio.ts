// stdio.h's formatting routines as ntoskrnl exports them: the sprintf family, counted (_snprintf), secure (_s) and
// va_list (v*) forms, narrow and wide. One formatter (hal/dbg/format.ts, shared with DbgPrint) makes the text; this
// module stores it with each routine's termination, truncation and return rules.

import { defineExport, type AnyExport, type ParamKind, type VarArgs } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { DEFAULT_MAX_OUTPUT, GuestFault, formatPrintfEx } from '../../dbg/format.js';
import { vaList } from '../../dbg/print.js';
import { GuestStop, hex } from '../../machine.js';
import { EINVAL, ERANGE, MAX, crt, cType, invalid, putc, str, truncateCount, type Unit } from './common.js';

interface Formatted {
  /** The text as guest bytes (UTF-16LE when wide), at most `cap` characters. */
  bytes: Uint8Array;
  chars: number;
  /** More text than `cap` characters: formatting stopped there. */
  overflow: boolean;
}

/**
 * Formats a narrow or wide format string from guest memory with the variadic arguments, into at most cap characters,
 * and performs its %n stores. A bad pointer among the arguments is the driver's unhandled page fault: the CRT has no
 * __try.
 */
function format(k: Kernel, fmt: bigint, va: VarArgs, u: Unit, cap = DEFAULT_MAX_OUTPUT): Formatted {
  const units = str(k, fmt, u);
  const f = u === 1 ? Uint8Array.from(units) : Uint16Array.from(units);
  try {
    const r = formatPrintfEx(f, va, { read: (a, n) => k.m.tryRead(a, n) }, k.arch, u === 2, { maxOutput: Math.min(cap, MAX) });
    for (const w of r.countWrites) {
      if (w.size === 2) k.m.setU16(w.address, w.value);
      else if (w.size === 4) k.m.setU32(w.address, w.value);
      else k.m.setU64(w.address, BigInt(w.value));
    }
    const out = r.output;
    const bytes = out instanceof Uint16Array ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : out;
    return { bytes, chars: out.length, overflow: r.overflow };
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    throw new GuestStop('fault', `${u === 2 ? 'wide ' : ''}printf formatting, called from ${k.symbolize(k.callerAddress())}, read unmapped memory at ${hex(e.address)} (${e.what})`, {
      pc: k.callerAddress(),
      fault: { access: 'read', address: e.address },
      bugcheck: { code: 0x50, params: [e.address, 0n, k.callerAddress(), 0n] },
    });
  }
}

/** sprintf / swprintf / vsprintf / _vswprintf: the whole text and a terminator; the length. */
function unbounded(k: Kernel, buf: bigint, fmt: bigint, va: VarArgs, u: Unit): number {
  const t = format(k, fmt, va, u);
  k.m.write(buf, t.bytes);
  putc(k, buf, u, t.chars, 0);
  return t.chars;
}

/**
 * _snprintf / _vsnprintf (and the wide forms): at most count characters. Shorter text gets a terminator; text of
 * exactly count characters none (count is returned); longer text is cut at count characters, no terminator, -1.
 */
function counted(k: Kernel, buf: bigint, count: bigint, fmt: bigint, va: VarArgs, u: Unit): number {
  const n = count > BigInt(MAX) ? MAX : Number(count);
  const t = format(k, fmt, va, u, n);
  k.m.write(buf, t.bytes);
  if (t.overflow) return -1;
  if (t.chars < n) putc(k, buf, u, t.chars, 0);
  return t.chars;
}

/**
 * The secure forms' output step: formats into size characters with a terminator. When the text and its terminator do
 * not fit, the first size - 1 characters and a terminator are stored and the result is null (the caller decides).
 */
function terminated(k: Kernel, buf: bigint, size: number, fmt: bigint, va: VarArgs, u: Unit): number | null {
  const t = format(k, fmt, va, u, size);
  k.m.write(buf, t.bytes);
  if (!t.overflow && t.chars < size) {
    putc(k, buf, u, t.chars, 0);
    return t.chars;
  }
  putc(k, buf, u, size - 1, 0);
  return null;
}

/** sprintf_s / swprintf_s / vsprintf_s / vswprintf_s: text that does not fit empties the buffer (ERANGE), -1. */
function secure(k: Kernel, name: string, buf: bigint, size: bigint, fmt: bigint, va: VarArgs, u: Unit): number {
  if (fmt === 0n) return (invalid(k, name, EINVAL, 'NULL format', '-1 (EINVAL)'), -1);
  if (buf === 0n || size === 0n) return (invalid(k, name, EINVAL, 'NULL buffer or zero size', '-1 (EINVAL)'), -1);
  const r = terminated(k, buf, size > BigInt(MAX) ? MAX : Number(size), fmt, va, u);
  if (r !== null) return r;
  putc(k, buf, u, 0, 0);
  return (invalid(k, name, ERANGE, 'the buffer is too small', '-1 (ERANGE)'), -1);
}

/**
 * _snprintf_s / _vsnprintf_s (and wide): at most count characters and a terminator in size characters. A count below
 * size truncates silently (-1, terminated at count); otherwise text that does not fit in size - 1 characters is
 * truncated (-1) when count is _TRUNCATE, else the buffer is emptied (ERANGE, -1).
 */
function secureCounted(k: Kernel, name: string, buf: bigint, size: bigint, count: bigint, fmt: bigint, va: VarArgs, u: Unit): number {
  if (count === 0n && buf === 0n && size === 0n) return 0;
  if (fmt === 0n) return (invalid(k, name, EINVAL, 'NULL format', '-1 (EINVAL)'), -1);
  if (buf === 0n || size === 0n) return (invalid(k, name, EINVAL, 'NULL buffer or zero size', '-1 (EINVAL)'), -1);
  const cap = (v: bigint) => (v > BigInt(MAX) ? MAX : Number(v));
  if (size > count) {
    const r = terminated(k, buf, cap(count) + 1, fmt, va, u);
    return r ?? -1;
  }
  const r = terminated(k, buf, cap(size), fmt, va, u);
  // The CRT terminates the last character of the buffer whatever the text's length.
  putc(k, buf, u, cap(size) - 1, 0);
  if (r !== null) return r;
  if (count === truncateCount(k)) return -1;
  putc(k, buf, u, 0, 0);
  return (invalid(k, name, ERANGE, 'the buffer is too small', '-1 (ERANGE)'), -1);
}

/** One routine in its variadic and va_list forms (the va_list form takes the list where the variadic one has "..."). */
function declare(u: Unit, names: { va?: string; v?: string }, shape: 'plain' | 'count' | 'size' | 'size+count'): AnyExport[] {
  const T = cType(u);
  const ps = u === 1 ? 'pstr' : 'pwstr';
  const out: AnyExport[] = [];
  const run = (k: Kernel, name: string, a: { buffer: bigint; format: bigint; count?: bigint; sizeOfBuffer?: bigint }, va: VarArgs): number => {
    switch (shape) {
      case 'plain':
        return unbounded(k, a.buffer, a.format, va, u);
      case 'count':
        return counted(k, a.buffer, a.count!, a.format, va, u);
      case 'size':
        return secure(k, name, a.buffer, a.sizeOfBuffer!, a.format, va, u);
      case 'size+count':
        return secureCounted(k, name, a.buffer, a.sizeOfBuffer!, a.count!, a.format, va, u);
    }
  };
  const sized = shape === 'size' || shape === 'size+count';
  const countedShape = shape === 'count' || shape === 'size+count';
  const head: Record<string, ParamKind> = { buffer: 'ptr', ...(sized ? { sizeOfBuffer: 'usize' } : {}), ...(countedShape ? { count: 'usize' } : {}) };
  const cHead = `${T} *buffer${sized ? ', size_t sizeOfBuffer' : ''}${countedShape ? ', size_t count' : ''}`;
  if (names.va) {
    const name = names.va;
    out.push(
      defineExport({
        ...crt, name, proto: `int ${name}(${cHead}, const ${T} *format, ...)`, params: { ...head, format: ps } as Record<string, ParamKind>, varargs: true, ret: 'i32',
        impl: (k, a, va) => run(k, name, a as never, va),
      }),
    );
  }
  if (names.v) {
    const name = names.v;
    out.push(
      defineExport({
        ...crt, name, proto: `int ${name}(${cHead}, const ${T} *format, va_list argptr)`, params: { ...head, format: ps, argptr: 'ptr' } as Record<string, ParamKind>, ret: 'i32',
        impl: (k, a) => run(k, name, a as never, vaList(k, a.argptr as bigint)),
      }),
    );
  }
  return out;
}

export const exports: AnyExport[] = [
  ...declare(1, { va: 'sprintf', v: 'vsprintf' }, 'plain'),
  // ntoskrnl's swprintf is the legacy one without a count; _swprintf and _vswprintf are the same routine.
  ...declare(2, { va: 'swprintf' }, 'plain'),
  ...declare(2, { va: '_swprintf', v: '_vswprintf' }, 'plain'),
  ...declare(1, { va: '_snprintf', v: '_vsnprintf' }, 'count'),
  ...declare(2, { va: '_snwprintf', v: '_vsnwprintf' }, 'count'),
  ...declare(1, { va: 'sprintf_s', v: 'vsprintf_s' }, 'size'),
  ...declare(2, { va: 'swprintf_s', v: 'vswprintf_s' }, 'size'),
  ...declare(1, { va: '_snprintf_s', v: '_vsnprintf_s' }, 'size+count'),
  ...declare(2, { va: '_snwprintf_s', v: '_vsnwprintf_s' }, 'size+count'),
];
