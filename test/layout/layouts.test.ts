// Checks that layouts are computed once and shared, and that unknown field paths are rejected at compile and run time.

import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { at, defs, layoutOf, layouts, offsetOf, only, ptr, struct, u32, u64, u8 } from '../../hal/layout/index.js';

describe('layouts', () => {
  it('are computed once per arch and then shared', () => {
    expect(layouts('x64')).toBe(layouts('x64'));
    expect(layouts('x86')).toBe(layouts('x86'));
    expect(layouts('x86')).not.toBe(layouts('x64'));
    expect(layoutOf(defs.IRP, 'x64')).toBe(layoutOf(defs.IRP, 'x64'));
    // The per-arch table reuses the cached offset records rather than copying them.
    expect(layouts('x64').IRP.off).toBe(layoutOf(defs.IRP, 'x64').offsets);
    expect(Object.isFrozen(layouts('x64'))).toBe(true);
    expect(Object.isFrozen(layouts('x64').IRP.off)).toBe(true);
  });

  it('have one entry per described structure, named as Windows names it', () => {
    const L = layouts('x64');
    expect(Object.keys(L)).toEqual(Object.keys(defs));
    expect(L.ANSI_STRING.size).toBe(L.STRING.size);
    expect(L.KSPIN_LOCK.size).toBe(8);
    expect(layouts('x86').KSPIN_LOCK.size).toBe(4);
  });

  it('flatten anonymous unions and structs into the parent path, as C member access does', () => {
    const L = layouts('x64');
    expect(L.IRP.off['IoStatus.Status']).toBe(L.IRP.off['IoStatus.Pointer']);
    expect(L.IRP.off['IoStatus.Information']).toBe(0x38);
    expect(L.IRP.off['Tail.Overlay.PacketType']).toBe(L.IRP.off['Tail.Overlay.CurrentStackLocation']);
    expect(Object.keys(L.IRP.off).some((p) => p.includes('$'))).toBe(false);
  });

  it('include arch-specific fields only on their arch', () => {
    expect(layouts('x64').IO_STACK_LOCATION.off['Parameters.Read.Flags']).toBe(0x14);
    expect('Parameters.Read.Flags' in layouts('x86').IO_STACK_LOCATION.off).toBe(false);
    expect('Processor' in layouts('x86').KTIMER.off).toBe(false);
  });

  it('place members at a fixed offset, pad to a given size, and refuse an overlap', () => {
    const T = struct('T_AT', { A: u32, B: at({ x86: 0x10, x64: 0x20 }, ptr), C: u8 }, { size: { x64: 0x40 } });
    expect([layoutOf(T, 'x86').offsets.B, layoutOf(T, 'x86').offsets.C, layoutOf(T, 'x86').size]).toEqual([0x10, 0x14, 0x18]);
    expect([layoutOf(T, 'x64').offsets.B, layoutOf(T, 'x64').offsets.C, layoutOf(T, 'x64').size]).toEqual([0x20, 0x28, 0x40]);
    // An arch-only member may carry a fixed offset too (the KPCR's embedded KPRCB).
    const U = struct('T_ONLY_AT', { A: u32, B: only('x64', at(0x10, u32)) });
    expect(layoutOf(U, 'x64').offsets.B).toBe(0x10);
    expect('B' in layoutOf(U, 'x86').offsets).toBe(false);
    expect(() => layoutOf(struct('T_OVERLAP', { A: u64, B: at(4, u32) }), 'x64')).toThrow(/overlaps/);
    expect(() => layoutOf(struct('T_SMALL', { A: u64 }, { size: 4 }), 'x64')).toThrow(/smaller than its members/);
  });

  it('reject an unknown field path at run time', () => {
    expect(offsetOf(defs.IRP, 'IoStatus.Information', 'x86')).toBe(0x1c);
    const untyped = offsetOf as (def: unknown, path: string, arch: string) => number;
    expect(() => untyped(defs.IRP, 'IoStatus.Statsu', 'x64')).toThrow(/unknown field path 'IoStatus.Statsu' in IRP/);
    expect(() => untyped(defs.IO_STACK_LOCATION, 'Parameters.Read.Flags', 'x86')).toThrow(/unknown field path/);
  });

  it('reject an unknown field path at compile time', () => {
    // fixtures/paths.ts uses valid paths and marks each invalid one with @ts-expect-error: it type-checks cleanly
    // only if every valid path is accepted and every invalid one is rejected.
    const fixture = fileURLToPath(new URL('./fixtures/paths.ts', import.meta.url));
    const program = ts.createProgram([fixture], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});
