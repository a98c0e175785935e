// The file system run-time library's name helpers: wildcard matching (FsRtlIsNameInExpression, FsRtlIsDbcsInExpression),
// FsRtlDoesNameContainWildCards, FsRtlDissectName, FsRtlIsFatDbcsLegal, and the status filters FsRtlIsNtstatusExpected/
// FsRtlNormalizeNtstatus.
//
// The wildcards are Windows': '*' any run of characters, '?' one character, and the DOS ones the I/O manager turns
// "*.*"-style patterns into: DOS_STAR '<' (any run up to the name's last '.'), DOS_QM '>' (one character, or none at a
// '.' or the end of the name), DOS_DOT '"' (a '.', or nothing at the end of the name).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { counted, readBytes, readUnits, setCounted, upcase } from '../rtl/nls.js';

const STAR = 0x2a;
const QM = 0x3f;
const DOS_STAR = 0x3c;
const DOS_QM = 0x3e;
const DOS_DOT = 0x22;
const DOT = 0x2e;
const BACKSLASH = 0x5c;

function isWild(c: number): boolean {
  return c === STAR || c === QM || c === DOS_STAR || c === DOS_QM || c === DOS_DOT;
}

/**
 * Whether name matches the expression, character codes compared as they are (the caller folds case). A set of
 * expression positions advances one name character at a time; the moves that consume nothing depend on where in the
 * name they are (DOS_QM and DOS_DOT match nothing only at a '.' or the end).
 */
export function matchExpression(expr: ArrayLike<number>, name: ArrayLike<number>): boolean {
  // Windows: an empty name matches only an empty expression, and the reverse.
  if (name.length === 0 || expr.length === 0) return name.length === 0 && expr.length === 0;
  let lastDot = -1;
  for (let i = 0; i < name.length; i++) if (name[i] === DOT) lastDot = i;
  const E = expr.length;
  const closure = (states: Set<number>, i: number): Set<number> => {
    const atEnd = i >= name.length;
    const c = atEnd ? -1 : name[i];
    const todo = [...states];
    while (todo.length > 0) {
      const p = todo.pop()!;
      if (p >= E) continue;
      const e = expr[p];
      const skip = e === STAR || e === DOS_STAR || (e === DOS_QM && (atEnd || c === DOT)) || (e === DOS_DOT && atEnd);
      if (skip && !states.has(p + 1)) {
        states.add(p + 1);
        todo.push(p + 1);
      }
    }
    return states;
  };
  let states = closure(new Set([0]), 0);
  for (let i = 0; i < name.length && states.size > 0; i++) {
    const c = name[i];
    const next = new Set<number>();
    for (const p of states) {
      if (p >= E) continue;
      const e = expr[p];
      if (e === STAR) next.add(p);
      else if (e === DOS_STAR) {
        // Any character but the name's last '.', which the DOS_STAR matches as it ends.
        if (c !== DOT || i !== lastDot) next.add(p);
        else next.add(p + 1);
      } else if (e === QM) next.add(p + 1);
      else if (e === DOS_QM) {
        if (c !== DOT) next.add(p + 1);
      } else if (e === DOS_DOT) {
        if (c === DOT) next.add(p + 1);
      } else if (e === c) next.add(p + 1);
    }
    states = closure(next, i + 1);
  }
  return states.has(E);
}

/** The units of a counted string (UNICODE_STRING or ANSI_STRING, given its buffer and byte length). */
function units(k: Kernel, buf: bigint, len: number, wide: boolean): number[] {
  if (len === 0) return [];
  return wide ? Array.from(readUnits(k, buf, len >> 1)) : Array.from(readBytes(k, buf, len));
}

/** FsRtlDissectName's work on a path given by value (its Length and Buffer). */
function dissect(k: Kernel, length: number, buffer: bigint, first: bigint, rest: bigint): void {
  setCounted(k, first, { len: 0, max: 0, buf: 0n });
  setCounted(k, rest, { len: 0, max: 0, buf: 0n });
  const n = length >> 1;
  if (n === 0) return;
  const u = readUnits(k, buffer, n);
  const start = u[0] === BACKSLASH ? 1 : 0;
  let i = start;
  while (i < n && u[i] !== BACKSLASH) i++;
  setCounted(k, first, { len: (i - start) * 2, max: (i - start) * 2, buf: buffer + BigInt(start * 2) });
  if (i < n) setCounted(k, rest, { len: (n - i - 1) * 2, max: (n - i - 1) * 2, buf: buffer + BigInt((i + 1) * 2) });
}

/** Characters a FAT name may not contain, below 0x80 (besides control characters): FsRtlLegalAnsiCharacterArray's. */
const FAT_ILLEGAL = new Set([...'+,/:;=[\\]|'].map((c) => c.charCodeAt(0)));

/** FsRtlIsAnsiCharacterLegalFat: printable, not one of the reserved ones; wildcards only when permitted. */
function fatLegalChar(c: number, wild: boolean): boolean {
  if (isWild(c)) return wild;
  if (c >= 0x80) return true;
  return c >= 0x20 && !FAT_ILLEGAL.has(c);
}

/** One component of a FAT name: 8.3 unless it has wildcards (then only its characters count). */
function fatComponent(u: number[], wild: boolean): boolean {
  if (!u.every((c) => fatLegalChar(c, wild))) return false;
  if (u.some(isWild)) return true;
  // "." and ".." are directory names a search may name, not file names: legal only where wildcards are.
  if ((u.length === 1 || u.length === 2) && u.every((c) => c === DOT)) return wild;
  const dot = u.indexOf(DOT);
  const name = dot < 0 ? u : u.slice(0, dot);
  const ext = dot < 0 ? [] : u.slice(dot + 1);
  const SPACE = 0x20;
  if (name.length === 0 || name.length > 8 || name[name.length - 1] === SPACE) return false;
  if (dot < 0) return true;
  return ext.length > 0 && ext.length <= 3 && !ext.includes(DOT) && ext[ext.length - 1] !== SPACE;
}

/** FsRtlIsFatDbcsLegal on the name's bytes (the ANSI code page has no double-byte characters). */
export function isFatLegal(b: number[], wild: boolean, path: boolean, leadingBackslash: boolean): boolean {
  if (b.length === 0) return false;
  let rest = b;
  if (rest[0] === BACKSLASH) {
    if (!leadingBackslash) return false;
    rest = rest.slice(1);
    if (rest.length === 0) return true;
  }
  const parts: number[][] = [[]];
  for (const c of rest) {
    if (c === BACKSLASH) parts.push([]);
    else parts[parts.length - 1].push(c);
  }
  // A trailing backslash ends a path; an empty component anywhere else does not exist.
  if (parts.length > 1 && parts[parts.length - 1].length === 0) parts.pop();
  if (parts.length > 1 && !path) return false;
  if (rest[rest.length - 1] === BACKSLASH && !path) return false;
  return parts.every((p) => p.length > 0 && fatComponent(p, wild));
}

/** The exceptions a file system does not expect to see from its own work: they mean a bug, not a failed request. */
function isExpected(status: number): boolean {
  const s = status >>> 0;
  return s !== STATUS.DATATYPE_MISALIGNMENT && s !== STATUS.ACCESS_VIOLATION && s !== STATUS.ILLEGAL_INSTRUCTION && s !== STATUS.INSTRUCTION_MISALIGNMENT;
}

const fs = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...fs, name: 'FsRtlIsNameInExpression',
    proto: 'BOOLEAN FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name, BOOLEAN IgnoreCase, PWCH UpcaseTable)',
    params: { Expression: 'pustr', Name: 'pustr', IgnoreCase: 'bool', UpcaseTable: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const e = counted(k, a.Expression);
      const n = counted(k, a.Name);
      const expr = units(k, e.buf, e.len, true);
      let name = units(k, n.buf, n.len, true);
      // With IgnoreCase the expression is the caller's to give in upper case; only the name is upcased, through the
      // caller's table when it passes one.
      if (a.IgnoreCase) name = name.map((c) => (a.UpcaseTable !== 0n ? k.m.u16(a.UpcaseTable + BigInt(c * 2)) : upcase(c)));
      return matchExpression(expr, name) ? 1 : 0;
    },
  }),
  defineExport({
    ...fs, name: 'FsRtlIsDbcsInExpression',
    proto: 'BOOLEAN FsRtlIsDbcsInExpression(PANSI_STRING Expression, PANSI_STRING Name)',
    params: { Expression: 'pastr', Name: 'pastr' }, ret: 'bool',
    // The system's ANSI code page (1252) has no double-byte characters: each byte is one character.
    impl: (k, a) => {
      const e = counted(k, a.Expression);
      const n = counted(k, a.Name);
      return matchExpression(units(k, e.buf, e.len, false), units(k, n.buf, n.len, false)) ? 1 : 0;
    },
  }),
  defineExport({
    ...fs, name: 'FsRtlDoesNameContainWildCards',
    proto: 'BOOLEAN FsRtlDoesNameContainWildCards(PUNICODE_STRING Name)',
    params: { Name: 'pustr' }, ret: 'bool',
    // Only the last component counts: the scan goes back from the end to the first backslash.
    impl: (k, a) => {
      const n = counted(k, a.Name);
      const u = units(k, n.buf, n.len, true);
      for (let i = u.length - 1; i >= 0 && u[i] !== BACKSLASH; i--) if (isWild(u[i])) return 1;
      return 0;
    },
  }),
  // The path comes by value: on x86 its Length/MaximumLength and Buffer are two stack slots, on x64 a pointer to a copy.
  defineExport({
    ...fs, name: 'FsRtlDissectName', arch: 'x86',
    proto: 'VOID FsRtlDissectName(UNICODE_STRING Path, PUNICODE_STRING FirstName, PUNICODE_STRING RemainingName)',
    params: { PathLengths: 'u32', PathBuffer: 'ptr', FirstName: 'ptr', RemainingName: 'ptr' }, ret: 'void',
    impl: (k, a) => dissect(k, a.PathLengths & 0xffff, a.PathBuffer, a.FirstName, a.RemainingName),
  }),
  defineExport({
    ...fs, name: 'FsRtlDissectName', arch: 'x64',
    proto: 'VOID FsRtlDissectName(UNICODE_STRING Path, PUNICODE_STRING FirstName, PUNICODE_STRING RemainingName)',
    params: { Path: 'ptr', FirstName: 'ptr', RemainingName: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const p = counted(k, a.Path);
      dissect(k, p.len, p.buf, a.FirstName, a.RemainingName);
    },
  }),
  // DbcsName comes by value, as FsRtlDissectName's path does.
  defineExport({
    ...fs, name: 'FsRtlIsFatDbcsLegal', arch: 'x86',
    proto: 'BOOLEAN FsRtlIsFatDbcsLegal(ANSI_STRING DbcsName, BOOLEAN WildCardsPermissible, BOOLEAN PathNamePermissible, BOOLEAN LeadingBackslashPermissible)',
    params: { DbcsNameLengths: 'u32', DbcsNameBuffer: 'ptr', WildCardsPermissible: 'bool', PathNamePermissible: 'bool', LeadingBackslashPermissible: 'bool' }, ret: 'bool',
    impl: (k, a) => (isFatLegal(units(k, a.DbcsNameBuffer, a.DbcsNameLengths & 0xffff, false), a.WildCardsPermissible !== 0, a.PathNamePermissible !== 0, a.LeadingBackslashPermissible !== 0) ? 1 : 0),
  }),
  defineExport({
    ...fs, name: 'FsRtlIsFatDbcsLegal', arch: 'x64',
    proto: 'BOOLEAN FsRtlIsFatDbcsLegal(ANSI_STRING DbcsName, BOOLEAN WildCardsPermissible, BOOLEAN PathNamePermissible, BOOLEAN LeadingBackslashPermissible)',
    params: { DbcsName: 'ptr', WildCardsPermissible: 'bool', PathNamePermissible: 'bool', LeadingBackslashPermissible: 'bool' }, ret: 'bool',
    impl: (k, a) => {
      const n = counted(k, a.DbcsName);
      return isFatLegal(units(k, n.buf, n.len, false), a.WildCardsPermissible !== 0, a.PathNamePermissible !== 0, a.LeadingBackslashPermissible !== 0) ? 1 : 0;
    },
  }),
  defineExport({
    ...fs, name: 'FsRtlIsNtstatusExpected',
    proto: 'BOOLEAN FsRtlIsNtstatusExpected(NTSTATUS Exception)',
    params: { Exception: 'status' }, ret: 'bool',
    impl: (_k, a) => (isExpected(a.Exception) ? 1 : 0),
  }),
  defineExport({
    ...fs, name: 'FsRtlNormalizeNtstatus',
    proto: 'NTSTATUS FsRtlNormalizeNtstatus(NTSTATUS Exception, NTSTATUS GenericException)',
    params: { Exception: 'status', GenericException: 'status' }, ret: 'status',
    impl: (_k, a) => (isExpected(a.Exception) ? a.Exception : a.GenericException),
  }),
];
