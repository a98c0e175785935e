// Checks every described structure and field path, on x86 and x64, against offsetof/sizeof from mingw-w64's ntddk.h.

import { describe, expect, it } from 'vitest';
import { defs, layouts, type Arch } from '../../hal/layout/index.js';
import { probeItems, runProbe } from './probe.js';

const hex = (n: number) => `0x${n.toString(16)}`;

describe.each<Arch>(['x86', 'x64'])('%s layouts', (arch) => {
  it('match offsetof and sizeof from mingw-w64 ntddk.h for every structure and field path', () => {
    const { items, prelude } = probeItems(arch);
    // Every described type is in the probe, with its field paths.
    for (const name of Object.keys(defs)) expect(items.some((it) => it.label === `${name} sizeof`)).toBe(true);
    expect(items.length).toBeGreaterThan(500);

    const measured = runProbe(arch, items, prelude);
    expect(measured).toHaveLength(items.length);
    const mismatches = items.flatMap((it, i) =>
      measured[i] === it.expected ? [] : [`${arch} ${it.label}: kdemu ${hex(it.expected)}, mingw-w64 ${hex(measured[i]!)}`],
    );
    expect(mismatches).toEqual([]);
  });
});

describe('known Windows layouts', () => {
  it('give the x64 sizes and offsets drivers depend on', () => {
    const L = layouts('x64');
    expect(L.IRP.size).toBe(0xd0);
    expect(L.IRP.off['Tail.Overlay.CurrentStackLocation']).toBe(0xb8);
    expect(L.IO_STACK_LOCATION.size).toBe(0x48);
    expect(L.DEVICE_OBJECT.size).toBe(0x150);
    expect(L.DRIVER_OBJECT.size).toBe(0x150);
    expect(L.DRIVER_OBJECT.off.MajorFunction).toBe(0x70);
    expect(L.FILE_OBJECT.size).toBe(0xd8);
    expect(L.MDL.size).toBe(0x30);
  });

  it('give the x86 sizes and offsets drivers depend on', () => {
    const L = layouts('x86');
    expect(L.IRP.size).toBe(0x70);
    expect(L.IRP.off['Tail.Overlay.CurrentStackLocation']).toBe(0x60);
    expect(L.IO_STACK_LOCATION.size).toBe(0x24);
    expect(L.DEVICE_OBJECT.size).toBe(0xb8);
    expect(L.DRIVER_OBJECT.size).toBe(0xa8);
    expect(L.DRIVER_OBJECT.off.MajorFunction).toBe(0x38);
    expect(L.FILE_OBJECT.size).toBe(0x80);
    expect(L.MDL.size).toBe(0x1c);
  });
});
