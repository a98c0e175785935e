// The wasm core holds what drivers expect of a 4 GiB machine: 3 GiB mapped in 1 GiB regions, written and read back
// by guest code and by the host (frames above 2 GiB of linear memory included), and a typed error past its limit.
//
// Touching a page commits host memory and costs a page fault, so the guest writes every second page: 1.5 GiB of
// RSS, spread over all three regions (the other pages are checked to read as zero by sampling).
import { describe, expect, it } from 'vitest';
import { GuestMemoryExhaustedError, Prot } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { requireEngines } from '../helpers.js';

const GiB = 2 ** 30;
const CODE = 0xfffff80000100000n;
const BASES = [0x100000000n, 0x140000000n, 0x180000000n];
const STRIDE = 0x2000;
const TOUCHED = GiB / STRIDE;

// top: mov [rdi], dl ; add rdi, STRIDE ; inc dl ; dec rcx ; jnz top ; int3
const WRITE = [0x88, 0x17, 0x48, 0x81, 0xc7, 0x00, 0x20, 0x00, 0x00, 0xfe, 0xc2, 0x48, 0xff, 0xc9, 0x75, 0xf0, 0xcc];
// top: movzx eax, byte [rdi] ; add rsi, rax ; add rdi, STRIDE ; dec rcx ; jnz top ; int3
const SUM = [0x0f, 0xb6, 0x07, 0x48, 0x01, 0xc6, 0x48, 0x81, 0xc7, 0x00, 0x20, 0x00, 0x00, 0x48, 0xff, 0xc9, 0x75, 0xee, 0xcc];

/** The byte the guest wrote at touched page t of region r. */
const expected = (r: number, t: number) => (r * 0x40 + 1 + t) & 0xff;

describe.skipIf(!requireEngines('guest memory', 'wasm'))('wasm engine: a 4 GiB guest', () => {
  it('maps 3 GiB, has the guest write and read it back, reads it from the host, refuses a 4th GiB and unmaps', { timeout: 600_000 }, () => {
    const e = createEngine('wasm', 'x64');
    // wasm32 linear memory is 4 GiB; the fixed layout and the largest page table take the rest.
    expect(e.maxGuestBytes).toBeGreaterThan(3.9 * GiB);
    expect(e.maxGuestBytes).toBeLessThan(4 * GiB);
    e.map(CODE, 0x1000, Prot.RX);
    e.write(CODE, Uint8Array.from(WRITE));
    e.write(CODE + 0x100n, Uint8Array.from(SUM));

    BASES.forEach((base, r) => {
      e.map(base, GiB, Prot.RW);
      e.writeRegs(['rdi', 'rcx', 'rdx'], [base, BigInt(TOUCHED), BigInt(r * 0x40 + 1)]);
      expect(e.run(CODE, 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
    });

    // The guest reads every touched byte back (through the core's page table and TLB).
    BASES.forEach((base, r) => {
      e.writeRegs(['rdi', 'rcx', 'rsi'], [base, BigInt(TOUCHED), 0n]);
      expect(e.run(CODE + 0x100n, 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
      let sum = 0n;
      for (let t = 0; t < TOUCHED; t++) sum += BigInt(expected(r, t));
      expect(e.getReg('rsi')).toBe(sum);
    });

    // The host sees the same bytes through each region's view; untouched pages are zero.
    BASES.forEach((base, r) => {
      const bytes = e.backing(base)!.bytes;
      let bad = 0;
      for (let t = 0; t < TOUCHED; t++) if (bytes[t * STRIDE] !== expected(r, t)) bad++;
      for (let t = 0; t < TOUCHED; t += 97) if (bytes[t * STRIDE + 0x1000] !== 0) bad++;
      expect(bad).toBe(0);
    });
    // A read across two regions goes page by page through the core (host addresses past 2 GiB included).
    const across = e.read(BASES[2] - 0x2000n, 0x2001);
    expect([across[0], across[0x1000], across[0x2000]]).toEqual([expected(1, TOUCHED - 1), 0, expected(2, 0)]);

    // A 4th GiB does not fit: a typed error, and nothing is mapped.
    const fourth = 0x1c0000000n;
    let error: unknown;
    try {
      e.map(fourth, GiB, Prot.RW);
    } catch (x) {
      error = x;
    }
    expect(error).toBeInstanceOf(GuestMemoryExhaustedError);
    expect(error).toMatchObject({ requestedBytes: GiB, reason: 'capacity' });
    expect(e.pageProt(fourth)).toBeUndefined();
    // What is left is still usable, up near the top of linear memory.
    e.map(fourth, 0x20000000, Prot.RW);
    e.write(fourth + 0x1ffff000n, Uint8Array.of(0x77));
    expect(e.read(fourth + 0x1ffff000n, 1)[0]).toBe(0x77);

    for (const base of BASES) e.unmap(base, GiB);
    expect(e.pageProt(BASES[1])).toBeUndefined();
    // Frames given back are cleared when they are mapped again.
    e.map(0x200000000n, 0x100000, Prot.RW);
    expect(e.read(0x200000000n, 0x100000).every((b) => b === 0)).toBe(true);
    e.close();
  });
});
