// An instruction the wasm core does not implement stops the run with a clear exit naming its bytes and address.
import { describe, expect, it } from 'vitest';
import { Prot } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { requireEngines } from '../helpers.js';

const CODE = 0x80100000n;

describe.skipIf(!requireEngines('unsupported instructions', 'wasm'))('wasm engine: unsupported instructions', () => {
  it('stops before an unimplemented instruction with its bytes, without counting it', () => {
    // nop ; fld1 (x87: not implemented)
    const e = createEngine('wasm', 'x86');
    e.map(CODE, 0x1000, Prot.RX);
    e.write(CODE, Uint8Array.of(0x90, 0xd9, 0xe8, 0x90));
    expect(e.run(CODE, 0)).toEqual({ kind: 'unsupported', pc: CODE + 1n, bytes: Uint8Array.of(0xd9, 0xe8, 0x90, ...new Array(12).fill(0)) });
    expect(e.getReg('rip')).toBe(CODE + 1n);
    expect(e.instructions).toBe(1);
    e.close();
  });

  it('hands a privileged instruction to the kernel layer, counted, with rip still on it', () => {
    // nop ; hlt
    const e = createEngine('wasm', 'x86');
    e.map(CODE, 0x1000, Prot.RX);
    e.write(CODE, Uint8Array.of(0x90, 0xf4, 0x90));
    expect(e.run(CODE, 0)).toEqual({ kind: 'privileged', pc: CODE + 1n });
    expect(e.getReg('rip')).toBe(CODE + 1n);
    expect(e.instructions).toBe(2);
    e.close();
  });

  it('raises #UD for an encoding that is invalid in long mode', () => {
    // push es is invalid in 64-bit mode
    const e = createEngine('wasm', 'x64');
    e.map(CODE, 0x1000, Prot.RX);
    e.write(CODE, Uint8Array.of(0x06));
    expect(e.run(CODE, 0)).toEqual({ kind: 'interrupt', vector: 6, pc: CODE });
    e.close();
  });
});
