// Export declarations: module, name, calling convention and typed parameters, declared once per export.
//
// A declaration drives everything about a call: fetching the arguments for x86 stdcall/cdecl/fastcall and x64,
// the stack clean-up, the return value, the decoded arguments in the trace, `kdemu exports` and `kdemu info`.

import type { Kernel } from './kernel.js';

/** Parameter kinds: the width decides how the argument is fetched, the kind how the trace shows it. */
export type ParamKind =
  | 'u8' | 'bool' | 'u16' | 'u32' | 'i32' | 'status' | 'tag' | 'irql' | 'access'
  | 'u64' | 'i64'
  | 'ptr' | 'usize' | 'handle'
  | 'pstr' | 'pwstr' | 'pustr' | 'pastr';

/** Return kinds; 'void' leaves rax/eax as the implementation found it. */
export type RetKind = 'void' | 'u8' | 'bool' | 'u16' | 'u32' | 'i32' | 'status' | 'irql' | 'u64' | 'i64' | 'ptr' | 'usize' | 'handle';

/**
 * x86 conventions. 'edx:eax' is the one of the compiler's 64-bit shift helpers (_allshl & co.): the first parameter,
 * 64-bit, in edx:eax, the second in cl, nothing on the stack; the result in edx:eax.
 */
export type CallConv = 'stdcall' | 'cdecl' | 'fastcall' | 'edx:eax';

type NumberKinds = 'u8' | 'bool' | 'u16' | 'u32' | 'i32' | 'status' | 'tag' | 'irql' | 'access';
type ValueOf<K extends ParamKind> = K extends NumberKinds ? number : bigint;
type RetValue<R extends RetKind> = R extends 'void' ? void : R extends NumberKinds ? number : bigint;

export type Params = Readonly<Record<string, ParamKind>>;
export type Args<P extends Params> = { readonly [K in keyof P]: ValueOf<P[K]> };

/** The variadic arguments after the declared ones (DbgPrint's), in the order the callee would read them. */
export interface VarArgs {
  int32(): number;
  int64(): bigint;
  ptr(): bigint;
}

export interface ExportDecl<P extends Params = Params, R extends RetKind = RetKind> {
  readonly module: string;
  readonly name: string;
  /** x86 convention; x64 always uses the Microsoft x64 convention. */
  readonly cc: CallConv;
  readonly params: P;
  readonly ret: R;
  readonly varargs?: boolean;
  /** Only exported on this architecture (e.g. the x86 HAL's KfRaiseIrql). */
  readonly arch?: 'x86' | 'x64';
  /** Other names that bind to the same implementation (ExAllocatePool → ExAllocatePoolWithTag is not one: different params). */
  readonly aliases?: readonly string[];
  /** Windows' prototype, for `kdemu exports`. */
  readonly proto: string;
  /** A routine of the kernel's own that only its code calls (the worker threads' loop): not traced, not importable. */
  readonly internal?: boolean;
  readonly impl: (k: Kernel, args: Args<P>, va: VarArgs) => RetValue<R>;
}

export type AnyExport = ExportDecl<Params, RetKind>;

export function defineExport<const P extends Params, const R extends RetKind>(decl: ExportDecl<P, R>): AnyExport {
  return decl as unknown as AnyExport;
}

/** A data export: the IAT slot gets the address of an emulated kernel variable (KeTickCount, IoFileObjectType ...). */
export interface DataExportDecl {
  readonly module: string;
  readonly name: string;
  readonly arch?: 'x86' | 'x64';
  readonly proto: string;
  /** Returns the guest address of the variable, creating it on first use. */
  readonly address: (k: Kernel) => bigint;
}

export function defineData(decl: DataExportDecl): DataExportDecl {
  return decl;
}

/** Bytes one parameter takes on the x86 stack (64-bit values take two slots). */
export function x86Slots(kind: ParamKind): number {
  return kind === 'u64' || kind === 'i64' ? 2 : 1;
}

export function isWide(kind: ParamKind | RetKind): boolean {
  return kind === 'u64' || kind === 'i64';
}
