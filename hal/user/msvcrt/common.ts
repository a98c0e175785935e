// What the C runtimes share: declarations made once for msvcrt.dll and ucrtbase.dll (the api-ms-win-crt-* sets),
// the runtime's variables in the user data region, and calls back into the program.

import { defineExport, type AnyExport, type ExportDecl, type Params, type RetKind } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { clientOf } from '../process.js';

export type Crt = 'msvcrt' | 'ucrt';
export const CRT_MODULE: Record<Crt, string> = { msvcrt: 'msvcrt.dll', ucrt: 'ucrtbase.dll' };

type CrtDecl<P extends Params, R extends RetKind> = Omit<ExportDecl<P, R>, 'module' | 'cc' | 'impl'> & {
  impl: (crt: Crt) => ExportDecl<P, R>['impl'];
};

/** One C runtime function in both runtimes (cdecl), its implementation told which runtime it serves. */
export function crtExport<const P extends Params, const R extends RetKind>(decl: CrtDecl<P, R>, only?: Crt): AnyExport[] {
  return (['msvcrt', 'ucrt'] as const)
    .filter((c) => !only || only === c)
    .map((c) => defineExport({ ...decl, module: CRT_MODULE[c], cc: 'cdecl', impl: decl.impl(c) } as ExportDecl<P, R>));
}

/** A runtime variable in user memory, created on first use (per kernel, by name). */
export function crtVariable(k: Kernel, name: string, size: number, init?: (a: bigint) => void): bigint {
  const cache = clientOf(k).crt.cache;
  let a = cache.get(name);
  if (a === undefined) {
    a = k.userAlloc(size, 16);
    init?.(a);
    cache.set(name, a);
  }
  return a;
}

/** A NUL-terminated string in user memory, made once per text (strerror's messages, lconv's fields). */
export function crtString(k: Kernel, text: string): bigint {
  return crtVariable(k, 'str:' + text, text.length + 1, (a) => k.m.write(a, Uint8Array.from([...text].map((c) => c.charCodeAt(0) & 0xff))));
}

/** Calls a function of the program (an atexit handler, an initializer) at CPL3: cdecl, no arguments. */
export function callProgram(k: Kernel, fn: bigint, args: readonly bigint[] = []): bigint {
  return k.m.callGuest(fn, args, 3).value;
}
