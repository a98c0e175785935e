// A tiny declarative C layout language: describe a Windows structure once, compute its x86 and x64 layout (MSVC rules).
//
// A structure is an object literal of members in declaration order (JS keeps string-key insertion order):
//
//   const LIST_ENTRY = struct('LIST_ENTRY', { Flink: ptr, Blink: ptr });
//
// Members are scalars, named types (nested by value), inline `struct({...})` / `union({...})`, `array(t, n)`,
// or a type wrapped by `aligned(...)` (DECLSPEC_ALIGN on a member), `only(arch, ...)` (#ifdef _WIN64) or
// `at(offset, ...)` (a member placed at Windows' known offset, when the members before it are not described).
// A key starting with `$` is an unnamed member (C11 anonymous struct/union, DUMMYUNIONNAME): its fields are
// reachable from the parent without a prefix, exactly like the C member access `Irp->IoStatus.Status`.
//
// Layout rules (MSVC, which mingw-w64 follows for these headers; the offsetof probe test is the judge):
//  - every scalar is aligned to its size, including 8-byte scalars on x86 (LONGLONG members align to 8);
//  - `#pragma pack(n)` (struct option `pack`) caps member alignment at n, and is inherited by inline members;
//    explicit member alignment (`aligned`) is applied after the cap;
//  - a struct's alignment is the largest member alignment (raised by DECLSPEC_ALIGN, struct option `align`),
//    its size is rounded up to that alignment; a union is the same with every member at offset 0;
//  - a structure described only in part (struct option `size`: Windows' sizeof) is padded to that size.

import type { Arch } from '../../emu/engine.js';

export type { Arch };

/** A value that may differ per architecture; an arch left out means "not set" there (no pack, no extra alignment). */
export type PerArch<T> = T | { readonly x86?: T; readonly x64?: T };

/** DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) as the WDK defines it (pool allocation granularity). */
export const MEMORY_ALLOCATION_ALIGNMENT: PerArch<number> = Object.freeze({ x86: 8, x64: 16 });
/** wdm.h POINTER_ALIGNMENT: DECLSPEC_ALIGN(8) on _WIN64, nothing on x86. */
export const POINTER_ALIGNMENT: PerArch<number> = Object.freeze({ x64: 8 });

export type ScalarKind = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'ptr' | 'handle' | 'usize';

export interface Scalar {
  readonly kind: 'scalar';
  readonly scalar: ScalarKind;
  /** C typedef name when this scalar is itself a described type (KSPIN_LOCK). */
  readonly cname?: string;
}

export interface ArrayType {
  readonly kind: 'array';
  readonly of: Type;
  readonly count: number;
}

export interface CompositeOptions {
  /** `#pragma pack(n)` / pshpack<n>.h in effect for this definition. */
  readonly pack?: PerArch<number>;
  /** DECLSPEC_ALIGN(n) on the structure type. */
  readonly align?: PerArch<number>;
  /**
   * The real WDK header declares `align` but mingw-w64's copy drops it (DEVICE_OBJECT, IRP):
   * the probe then checks the size the WDK gives instead of mingw-w64's.
   */
  readonly mingwLacksAlign?: boolean;
  /**
   * Windows' sizeof, for a structure whose description stops before its end (PEB, TEB: the members after the last
   * one described are not used by kdemu): the layout is padded up to it.
   */
  readonly size?: PerArch<number>;
  /** How mingw-w64's headers declare the structure, for the offsetof probe (default: as described, in ntddk.h). */
  readonly mingw?: MingwView;
}

/** Field paths, the same on both architectures or per architecture. */
export type PerArchList = readonly string[] | { readonly x86?: readonly string[]; readonly x64?: readonly string[] };

/**
 * What the offsetof probe needs to find a described structure in mingw-w64's headers when they do not declare it
 * member for member as Windows does (winternl.h's PEB/TEB hide most fields in Reserved arrays; ntddk.h's
 * KUSER_SHARED_DATA is the Windows 7 one).
 */
export interface MingwView {
  /**
   * 'sdk': declared by the user-mode headers (windows.h, winternl.h, stdio.h), which cannot share a compile with
   * ntddk.h; 'none': no mingw-w64 header declares the type at all (its fields keep Windows' offsets, checked by the
   * known-offset tests). Default 'ddk'.
   */
  readonly headers?: 'ddk' | 'sdk' | 'none';
  /**
   * Fields mingw-w64 declares under another name (a reserved member, an older name): where the field starts, as a
   * member designator with an optional byte offset ('Reserved3[1]', 'Reserved9[22]+4'), per arch when the two
   * differ. The probe compares the offset, and sizeof too when the designator is a whole member (an older name).
   */
  readonly at?: Readonly<Record<string, PerArch<string>>>;
  /**
   * Fields inside mingw-w64's reserved members (or laid out differently by its older declaration) that kdemu does
   * not use: not probed one by one; the declared members around them pin the span.
   */
  readonly reserved?: PerArchList;
  /** Fields no mingw-w64 header declares (in its padding, or past its end): not probed. Say why at the field. */
  readonly undeclared?: PerArchList;
  /** The description and mingw-w64's declaration end at different places: sizeof and alignment are not compared. */
  readonly partial?: boolean;
}

export interface Composite<F extends Fields = Fields> extends CompositeOptions {
  readonly kind: 'struct' | 'union';
  readonly fields: F;
  /** C type name for named (top-level) types; inline members have none. */
  readonly cname?: string;
}

/** A member with attributes: explicit alignment, a fixed offset, or present on one architecture only. */
export interface Member<T extends Type = Type, O extends Arch = Arch> {
  readonly kind: 'member';
  readonly type: T;
  readonly align?: PerArch<number>;
  readonly only?: O;
  /** Offset from the start of the enclosing structure (Windows' own), for members placed past undescribed ones. */
  readonly at?: PerArch<number>;
}

export type Type = Scalar | ArrayType | Composite;
export type Fields = { readonly [name: string]: Type | Member };

// ---------------------------------------------------------------------------------------------------------------
// Builders

const scalar = (s: ScalarKind): Scalar => Object.freeze({ kind: 'scalar', scalar: s });

export const u8 = scalar('u8');
export const i8 = scalar('i8');
export const u16 = scalar('u16');
export const i16 = scalar('i16');
export const u32 = scalar('u32');
export const i32 = scalar('i32');
export const u64 = scalar('u64');
export const i64 = scalar('i64');
/** Any pointer (PVOID, PDEVICE_OBJECT, function pointers): 4 bytes on x86, 8 on x64. */
export const ptr = scalar('ptr');
export const handle = scalar('handle');
/** ULONG_PTR / SIZE_T. */
export const usize = scalar('usize');

/** A named scalar typedef that is described as a type of its own (typedef ULONG_PTR KSPIN_LOCK). */
export function typedef(cname: string, of: Scalar): Scalar {
  return Object.freeze({ ...of, cname });
}

export function struct<F extends Fields>(fields: F): Composite<F>;
export function struct<F extends Fields>(cname: string, fields: F, options?: CompositeOptions): Composite<F>;
export function struct<F extends Fields>(a: string | F, b?: F, options?: CompositeOptions): Composite<F> {
  return composite('struct', a, b, options);
}

export function union<F extends Fields>(fields: F): Composite<F>;
export function union<F extends Fields>(cname: string, fields: F, options?: CompositeOptions): Composite<F>;
export function union<F extends Fields>(a: string | F, b?: F, options?: CompositeOptions): Composite<F> {
  return composite('union', a, b, options);
}

function composite<F extends Fields>(
  kind: 'struct' | 'union',
  a: string | F,
  b: F | undefined,
  options: CompositeOptions = {},
): Composite<F> {
  const named = typeof a === 'string';
  const fields = named ? b! : a;
  return Object.freeze({ kind, fields, ...(named ? { cname: a } : {}), ...options });
}

/** A copy of a named type under another C name (typedef STRING ANSI_STRING). */
export function alias<F extends Fields>(cname: string, of: Composite<F>): Composite<F> {
  return Object.freeze({ ...of, cname });
}

export function array(of: Type, count: number): ArrayType {
  return Object.freeze({ kind: 'array', of, count });
}

/** DECLSPEC_ALIGN(n) on a member, e.g. `aligned(POINTER_ALIGNMENT, u32)`. */
export function aligned<T extends Type>(align: PerArch<number>, type: T): Member<T> {
  return Object.freeze({ kind: 'member', type, align });
}

/** A member that exists on one architecture only (`#ifdef _WIN64`). */
export function only<O extends Arch, T extends Type>(arch: O, type: T | Member<T>): Member<T, O> {
  const m: Member<T> = type.kind === 'member' ? type : { kind: 'member', type };
  return Object.freeze({ ...m, only: arch });
}

/**
 * A member at Windows' known offset in the enclosing structure (per arch when the two differ), for a structure
 * described only where kdemu uses it: the members between the previous one and this one are left out. It must not
 * overlap what comes before it, and must be aligned for its type.
 */
export function at<T extends Type>(offset: PerArch<number>, type: T): Member<T> {
  return Object.freeze({ kind: 'member', type, at: offset });
}

// ---------------------------------------------------------------------------------------------------------------
// Field paths, as types: 'IoStatus.Status', 'Tail.Overlay.CurrentStackLocation', 'MajorFunction' (array base).

type Unwrap<V> = V extends Member<infer T, Arch> ? T : V;
// A member restricted to one arch is visible only when A is that arch (for A = Arch: only on both).
type Present<V, A extends Arch> = V extends Member<Type, infer O> ? ([A] extends [O] ? true : false) : true;

type FieldPaths<F, A extends Arch> = {
  [K in keyof F & string]: Present<F[K], A> extends true
    ? K extends `$${string}`
      ? PathsOf<Unwrap<F[K]>, A>
      : K | `${K}.${PathsOf<Unwrap<F[K]>, A>}`
    : never;
}[keyof F & string];

/** Every dotted field path of T on architecture A (on both, when A is the union). */
export type PathsOf<T, A extends Arch = Arch> = T extends Composite<infer F> ? FieldPaths<F, A> : never;

// ---------------------------------------------------------------------------------------------------------------
// Layout computation

export interface Layout<P extends string = string> {
  readonly cname: string;
  readonly arch: Arch;
  readonly size: number;
  readonly align: number;
  /** Offset of every field path from the start of the structure. */
  readonly offsets: Readonly<Record<P, number>>;
  /** sizeof of every field path (whole array for arrays). */
  readonly sizes: Readonly<Record<P, number>>;
}

interface Measured {
  size: number;
  align: number;
  /** [path, offset, size] relative to the measured type. */
  paths: [string, number, number][];
}

const perArch = (v: PerArch<number> | undefined, arch: Arch): number | undefined =>
  typeof v === 'number' ? v : v?.[arch];

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function scalarSize(s: ScalarKind, arch: Arch): number {
  switch (s) {
    case 'u8': case 'i8': return 1;
    case 'u16': case 'i16': return 2;
    case 'u32': case 'i32': return 4;
    case 'u64': case 'i64': return 8;
    case 'ptr': case 'handle': case 'usize': return arch === 'x64' ? 8 : 4;
  }
}

// Named types are measured once per arch (their own pack applies, not the includer's).
const namedCache: Record<Arch, WeakMap<Type, Measured>> = { x86: new WeakMap(), x64: new WeakMap() };

function measure(t: Type, arch: Arch, inheritedPack: number | undefined): Measured {
  if (t.kind === 'scalar') {
    const n = scalarSize(t.scalar, arch);
    return { size: n, align: n, paths: [] };
  }
  if (t.kind === 'array') {
    const e = measure(t.of, arch, inheritedPack);
    return { size: e.size * t.count, align: e.align, paths: [] };
  }
  if (t.cname !== undefined) {
    let m = namedCache[arch].get(t);
    if (!m) namedCache[arch].set(t, (m = measureComposite(t, arch, undefined)));
    return m;
  }
  return measureComposite(t, arch, inheritedPack);
}

function measureComposite(t: Composite, arch: Arch, inheritedPack: number | undefined): Measured {
  const pack = perArch(t.pack, arch) ?? inheritedPack;
  const paths: [string, number, number][] = [];
  let end = 0;
  let align = 1;
  for (const [key, value] of Object.entries(t.fields)) {
    const member: Member = value.kind === 'member' ? value : { kind: 'member', type: value };
    if (member.only !== undefined && member.only !== arch) continue;
    const inner = measure(member.type, arch, pack);
    let a = pack !== undefined ? Math.min(inner.align, pack) : inner.align;
    a = Math.max(a, perArch(member.align, arch) ?? 1);
    let off = t.kind === 'union' ? 0 : alignUp(end, a);
    const fixed = perArch(member.at, arch);
    if (fixed !== undefined) {
      if (fixed < off || fixed % a !== 0) throw new Error(`member '${key}' at 0x${fixed.toString(16)} (${arch}) overlaps the one before it or is misaligned`);
      off = fixed;
    }
    if (key.startsWith('$')) {
      for (const [p, o, s] of inner.paths) paths.push([p, off + o, s]);
    } else {
      paths.push([key, off, inner.size]);
      for (const [p, o, s] of inner.paths) paths.push([`${key}.${p}`, off + o, s]);
    }
    end = Math.max(end, off + inner.size);
    align = Math.max(align, a);
  }
  align = Math.max(align, perArch(t.align, arch) ?? 1);
  const whole = perArch(t.size, arch);
  if (whole !== undefined && whole < end) throw new Error(`${t.cname ?? 'structure'}: size 0x${whole.toString(16)} (${arch}) is smaller than its members`);
  return { size: alignUp(whole ?? end, align), align, paths };
}

const layoutCache: Record<Arch, WeakMap<Type, Layout>> = { x86: new WeakMap(), x64: new WeakMap() };

/** The layout of a named type on one architecture; computed once, then the same frozen object is returned. */
export function layoutOf<T extends Type, A extends Arch>(def: T, arch: A): Layout<PathsOf<T, A>> {
  const cached = layoutCache[arch].get(def);
  if (cached) return cached as Layout<PathsOf<T, A>>;
  if (def.kind === 'array' || def.cname === undefined) throw new Error('layoutOf: only named types have a layout');
  const m = measure(def, arch, undefined);
  // Plain objects with a few hundred keys at most stay in V8's fast-property mode: cheap constant-key reads.
  const offsets: Record<string, number> = {};
  const sizes: Record<string, number> = {};
  for (const [p, o, s] of m.paths) {
    if (Object.hasOwn(offsets, p)) throw new Error(`${def.cname}: duplicate field path '${p}'`);
    offsets[p] = o;
    sizes[p] = s;
  }
  const layout: Layout = Object.freeze({
    cname: def.cname,
    arch,
    size: m.size,
    align: m.align,
    offsets: Object.freeze(offsets),
    sizes: Object.freeze(sizes),
  });
  layoutCache[arch].set(def, layout);
  return layout as Layout<PathsOf<T, A>>;
}

/** Offset of a field path; the path is checked at compile time and, for untyped callers, at run time. */
export function offsetOf<T extends Type, A extends Arch>(def: T, path: PathsOf<T, A>, arch: A): number {
  const l: Layout = layoutOf(def, arch);
  const off = Object.hasOwn(l.offsets, path) ? l.offsets[path] : undefined;
  if (off === undefined) throw new Error(`unknown field path '${String(path)}' in ${l.cname} (${arch})`);
  return off;
}
