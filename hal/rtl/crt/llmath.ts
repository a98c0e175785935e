// The x86 compiler helpers for 64-bit arithmetic that ntoskrnl exports (MSVC emits calls to them for long long
// division, multiplication and variable shifts). Multiplication and division are stdcall with two 64-bit operands
// and return in edx:eax; _alldvrm/_aulldvrm also return the remainder in ecx:ebx; the shifts take their operand in
// edx:eax and the count in cl.

import { defineExport, type AnyExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop } from '../../machine.js';

const helper = { module: 'ntoskrnl.exe', arch: 'x86' } as const;

/** A zero divisor: the helper's div instruction raises #DE, an unhandled kernel-mode exception. */
function divide(k: Kernel, name: string, b: bigint): void {
  if (b !== 0n) return;
  const at = k.resolveImport('ntoskrnl.exe', name);
  throw new GuestStop('bugcheck', `divide error (#DE) in ${name}, called from ${k.symbolize(k.callerAddress())} with a zero divisor`, {
    bugcheck: { code: 0x1e, params: [0xc0000094n, at, 0n, 0n] },
  });
}

// Signed division truncates toward zero; the remainder takes the dividend's sign. INT64_MIN / -1 wraps (the helpers
// divide magnitudes, then negate).
const sdiv = (a: bigint, b: bigint) => BigInt.asIntN(64, BigInt.asIntN(64, a) / BigInt.asIntN(64, b));
const srem = (a: bigint, b: bigint) => BigInt.asIntN(64, BigInt.asIntN(64, a) % BigInt.asIntN(64, b));
const udiv = (a: bigint, b: bigint) => BigInt.asUintN(64, a) / BigInt.asUintN(64, b);
const urem = (a: bigint, b: bigint) => BigInt.asUintN(64, a) % BigInt.asUintN(64, b);

function binary(name: string, signed: boolean, op: (a: bigint, b: bigint) => bigint, checkZero: boolean): AnyExport {
  const t = signed ? 'LONGLONG' : 'ULONGLONG';
  return defineExport({
    ...helper, cc: 'stdcall', name, proto: `${t} __stdcall ${name}(${t} a, ${t} b)`, params: { a: signed ? 'i64' : 'u64', b: signed ? 'i64' : 'u64' }, ret: signed ? 'i64' : 'u64',
    impl: (k, a) => {
      if (checkZero) divide(k, name, a.b);
      return op(a.a, a.b);
    },
  });
}

function divrem(name: string, signed: boolean): AnyExport {
  const t = signed ? 'LONGLONG' : 'ULONGLONG';
  return defineExport({
    ...helper, cc: 'stdcall', name, proto: `${t} __stdcall ${name}(${t} a, ${t} b) /* remainder in ecx:ebx */`, params: { a: signed ? 'i64' : 'u64', b: signed ? 'i64' : 'u64' }, ret: signed ? 'i64' : 'u64',
    impl: (k, a) => {
      divide(k, name, a.b);
      const r = BigInt.asUintN(64, signed ? srem(a.a, a.b) : urem(a.a, a.b));
      k.m.engine.setReg('rcx', r >> 32n);
      k.m.engine.setReg('rbx', r & 0xffffffffn);
      return signed ? sdiv(a.a, a.b) : udiv(a.a, a.b);
    },
  });
}

function shift(name: string, op: (v: bigint, n: bigint) => bigint): AnyExport {
  return defineExport({
    ...helper, cc: 'edx:eax', name, proto: `ULONGLONG ${name}(ULONGLONG value /* edx:eax */, UCHAR count /* cl */)`, params: { value: 'u64', count: 'u8' }, ret: 'u64',
    // Counts of 64 or more shift everything out (the helpers test cl against 64 and 32).
    impl: (_k, a) => BigInt.asUintN(64, op(a.value, BigInt(Math.min(a.count, 64)))),
  });
}

export const exports: AnyExport[] = [
  binary('_allmul', true, (a, b) => BigInt.asIntN(64, a * b), false),
  binary('_alldiv', true, sdiv, true),
  binary('_allrem', true, srem, true),
  binary('_aulldiv', false, udiv, true),
  binary('_aullrem', false, urem, true),
  divrem('_alldvrm', true),
  divrem('_aulldvrm', false),
  shift('_allshl', (v, n) => v << n),
  shift('_allshr', (v, n) => BigInt.asIntN(64, v) >> n),
  shift('_aullshr', (v, n) => v >> n),
];
