// Guest memory limits and bookkeeping on every engine: maxGuestBytes, GuestMemoryExhaustedError instead of a plain
// Error, and (wasm) a page table that grows with thousands of regions and aliases, and frames reused cleared.
import { describe, expect, it } from 'vitest';
import { EngineMemoryError, GuestMemoryExhaustedError, Prot, type Engine } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { enginesHere, requireEngines } from '../helpers.js';

const CODE = 0xfffff80000100000n;

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.each(enginesHere('guest memory limits'))('%s engine', (name) => {
  it('refuses a region past maxGuestBytes with GuestMemoryExhaustedError, mapping nothing', () => {
    const e = createEngine(name, 'x64');
    // wasm: a little under wasm32's 4 GiB of linear memory; Unicorn: its 64 GiB cap.
    if (name === 'wasm') expect(e.maxGuestBytes).toBeLessThan(4 * 2 ** 30);
    else expect(e.maxGuestBytes).toBe(64 * 2 ** 30);
    expect(e.maxGuestBytes).toBeGreaterThan(3.9 * 2 ** 30);
    const size = e.maxGuestBytes + 0x1000;
    const error = thrown(() => e.map(0x100000000n, size, Prot.RW));
    expect(error).toBeInstanceOf(GuestMemoryExhaustedError);
    expect(error).toMatchObject({ requestedBytes: size, reason: 'capacity' });
    expect(e.pageProt(0x100000000n)).toBeUndefined();
    // The engine goes on working.
    e.map(0x100000000n, 0x1000, Prot.RW);
    e.write(0x100000000n, Uint8Array.of(1, 2, 3));
    expect([...e.read(0x100000000n, 3)]).toEqual([1, 2, 3]);
    e.close();
  });
});

describe.skipIf(!requireEngines('wasm page table', 'wasm'))('wasm engine: page table and frames', () => {
  /** Region i: one page at a scattered address (regions 1 GiB apart alias in a plain page-number hash). */
  const at = (i: number) => 0x7f0000000000n + BigInt(i) * 0x40001000n;

  it('grows its page table past thousands of regions and aliases, and unmaps from it', () => {
    const e = createEngine('wasm', 'x64');
    const n = 6000; // beyond the first table's 3072 pages
    for (let i = 0; i < n; i++) {
      e.map(at(i), 0x1000, Prot.RW);
      e.write(at(i) + 8n, new Uint8Array(new Uint32Array([i]).buffer));
    }
    // Aliases of the first regions, each a second view of one page.
    const alias = (i: number) => 0x600000000000n + BigInt(i) * 0x1000n;
    for (let i = 0; i < 2000; i++) e.mapAlias(alias(i), at(i), Prot.RW);
    const word = (a: bigint) => new Uint32Array(e.read(a, 4).slice().buffer)[0];
    for (let i = 0; i < n; i++) expect(word(at(i) + 8n)).toBe(i);
    for (let i = 0; i < 2000; i++) expect(word(alias(i) + 8n)).toBe(i);
    // Guest code finds them too: mov rax, [rbx+8] ; int3
    e.map(CODE, 0x1000, Prot.RX);
    e.write(CODE, Uint8Array.of(0x48, 0x8b, 0x43, 0x08, 0xcc));
    for (const i of [0, 1999, 3071, 3072, 5999]) {
      e.setReg('rbx', at(i));
      expect(e.run(CODE, 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
      expect(e.getReg('rax') & 0xffffffffn).toBe(BigInt(i));
    }
    // Every other region goes; the rest stay where they were.
    for (let i = 0; i < n; i += 2) e.unmap(at(i), 0x1000);
    for (let i = 0; i < n; i++) {
      if (i % 2) expect(word(at(i) + 8n)).toBe(i);
      else expect(() => e.read(at(i), 4)).toThrow(EngineMemoryError);
    }
    e.close();
  });

  it('reuses frames given back, cleared, and keeps regions apart', () => {
    const e: Engine = createEngine('wasm', 'x64');
    const a = 0x10000000n;
    const b = 0x20000000n;
    const c = 0x30000000n;
    for (const r of [a, b, c]) {
      e.map(r, 0x10000, Prot.RW);
      e.backing(r)!.bytes.fill(0xee);
    }
    e.unmap(b, 0x10000);
    // The hole b left (and no more) is taken by a region of its size: cleared, and separate from its neighbours.
    const d = 0x40000000n;
    e.map(d, 0x10000, Prot.RW);
    expect(e.read(d, 0x10000).every((x) => x === 0)).toBe(true);
    e.backing(d)!.bytes.fill(0x11);
    expect(e.read(a, 0x10000).every((x) => x === 0xee)).toBe(true);
    expect(e.read(c, 0x10000).every((x) => x === 0xee)).toBe(true);
    // Freed again, with their neighbours: a larger region over them reads zero too.
    e.unmap(d, 0x10000);
    e.unmap(a, 0x10000);
    e.unmap(c, 0x10000);
    e.map(a, 0x30000, Prot.RW);
    expect(e.read(a, 0x30000).every((x) => x === 0)).toBe(true);
    e.close();
  });
});
