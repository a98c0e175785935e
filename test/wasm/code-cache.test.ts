// The decoded-block cache: code written by the guest or the host, unmapped, or made non-executable is never run stale.
import { describe, expect, it } from 'vitest';
import { Prot, type Engine } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { enginesHere } from '../helpers.js';

const CODE = 0xfffff80000100000n;
const DATA = 0xfffff80000300000n;
const engines = enginesHere('code changes');

function machine(name: EngineName, code: number[]): Engine {
  const e = createEngine(name, 'x64');
  e.map(CODE, 0x2000, Prot.RWX);
  e.map(DATA, 0x1000, Prot.RW);
  e.write(CODE, Uint8Array.from(code));
  e.setReg('rsp', DATA + 0x800n);
  return e;
}

/**
 * libunicorn2 (Debian's 2.0) keeps running the stale translation when the guest rewrites code inside the block
 * that is executing; the Unicorn engine cannot see that write (host writes and late trap ranges it does handle,
 * by dropping translated blocks through uc_ctl). The case documents what the wasm core guarantees.
 */
const stale = (name: EngineName) => (name === 'unicorn' ? it.skip : it);

describe.each(engines)('%s engine: code changes', (name) => {
  stale(name)('runs code the guest wrote into its own block, not the stale decoding', () => {
    // The block rewrites the immediate of a mov further down in itself:
    //   0: 48 8d 1d 08 00 00 00   lea rbx, [rip+8]    (rbx = CODE+15, the mov's immediate)
    //   7: c6 03 05               mov byte [rbx], 5
    //  10: 90 90 90 90            nops
    //  14: b8 01 00 00 00         mov eax, 1           (imm byte at 15 becomes 5)
    //  19: cc                     int3
    const e = machine(name, [0x48, 0x8d, 0x1d, 0x08, 0, 0, 0, 0xc6, 0x03, 0x05, 0x90, 0x90, 0x90, 0x90, 0xb8, 1, 0, 0, 0, 0xcc]);
    const exit = e.run(CODE, 0);
    expect(exit).toEqual({ kind: 'interrupt', vector: 3, pc: CODE + 19n });
    expect(e.getReg('rax')).toBe(5n);
    expect(e.instructions).toBe(8);
    e.close();
  });

  it('runs code the host rewrote between two runs of the same address', () => {
    const e = machine(name, [0xb8, 1, 0, 0, 0, 0xcc]);
    e.run(CODE, 0);
    expect(e.getReg('rax')).toBe(1n);
    e.write(CODE + 1n, Uint8Array.of(2));
    e.run(CODE, 0);
    expect(e.getReg('rax')).toBe(2n);
    e.close();
  });

  it('faults on a fetch from a page that lost its execute permission after it ran', () => {
    const e = machine(name, [0x90, 0xcc]);
    expect(e.run(CODE, 0)).toEqual({ kind: 'interrupt', vector: 3, pc: CODE + 1n });
    e.protect(CODE, 0x1000, Prot.RW);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'fetch', address: CODE, pc: CODE, reason: 'protection' });
    e.close();
  });

  it('runs the new code after a region is unmapped and mapped again', () => {
    const e = machine(name, [0xb8, 1, 0, 0, 0, 0xcc]);
    e.run(CODE, 0);
    e.unmap(CODE, 0x2000);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'fetch', address: CODE, pc: CODE, reason: 'unmapped' });
    e.map(CODE, 0x2000, Prot.RX);
    e.write(CODE, Uint8Array.of(0xb8, 3, 0, 0, 0, 0xcc));
    e.run(CODE, 0);
    expect(e.getReg('rax')).toBe(3n);
    e.close();
  });

  it('stops at a trap range added after the code around it was decoded', () => {
    // nop ; nop ; int3 — run once, then make the second nop a trap.
    const e = machine(name, [0x90, 0x90, 0xcc]);
    e.run(CODE, 0);
    e.addTrapRange(CODE + 1n, CODE + 2n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'trap', address: CODE + 1n });
    e.close();
  });
});
