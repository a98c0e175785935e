// Declaring a framework entry: module Wdf01000.sys, the client's PWDF_DRIVER_GLOBALS first, as every entry takes it.

import { defineExport, type AnyExport, type Args, type CallConv, type Params, type RetKind, type VarArgs } from '../export.js';
import type { Kernel } from '../kernel.js';

type WithGlobals<P extends Params> = { readonly DriverGlobals: 'ptr' } & P;
type RetValue<R extends RetKind> = ReturnType<Extract<Parameters<typeof defineExport<Params, R>>[0], object>['impl']>;

export interface WdfDecl<P extends Params, R extends RetKind> {
  readonly name: string;
  /** The documented prototype, without the DriverGlobals parameter every entry takes first. */
  readonly proto: string;
  readonly params: P;
  readonly ret: R;
  /** x86 convention: NTAPI (stdcall) unless the header says FASTCALL. */
  readonly cc?: CallConv;
  readonly impl: (k: Kernel, args: Args<WithGlobals<P>>, va: VarArgs) => RetValue<R>;
}

export const WDF_MODULE = 'Wdf01000.sys';

export function wdfExport<const P extends Params, const R extends RetKind>(d: WdfDecl<P, R>): AnyExport {
  return defineExport({
    module: WDF_MODULE,
    name: d.name,
    cc: d.cc ?? 'stdcall',
    proto: d.proto,
    params: { DriverGlobals: 'ptr', ...d.params } as WithGlobals<P>,
    ret: d.ret,
    impl: d.impl as never,
  });
}
