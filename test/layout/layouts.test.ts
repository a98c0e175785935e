// Checks that layouts are computed once and shared, and that unknown field paths are rejected at compile and run time.

import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { defs, layoutOf, layouts, offsetOf } from '../../hal/layout/index.js';

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
