// SSE integer operations against Unicorn: random 16-byte inputs loaded into xmm1/xmm2, one operation, both stored
// back (the Engine interface has no xmm registers, so results are compared through memory).
import { afterAll, describe, expect, it } from 'vitest';
import { Prot, type Engine } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { requireEngines } from '../helpers.js';

const CODE = 0xfffff80000100000n;
const DATA = 0xfffff80000300000n;

/** Each operation on xmm1 (destination) and xmm2 (source), as its bytes. */
const OPS: Record<string, number[]> = {
  pxor: [0x66, 0x0f, 0xef, 0xca], por: [0x66, 0x0f, 0xeb, 0xca], pand: [0x66, 0x0f, 0xdb, 0xca], pandn: [0x66, 0x0f, 0xdf, 0xca],
  xorps: [0x0f, 0x57, 0xca], andps: [0x0f, 0x54, 0xca], orps: [0x0f, 0x56, 0xca],
  punpcklqdq: [0x66, 0x0f, 0x6c, 0xca], punpckhqdq: [0x66, 0x0f, 0x6d, 0xca], punpcklbw: [0x66, 0x0f, 0x60, 0xca],
  punpcklwd: [0x66, 0x0f, 0x61, 0xca], punpckldq: [0x66, 0x0f, 0x62, 0xca], pcmpeqb: [0x66, 0x0f, 0x74, 0xca],
  pcmpeqw: [0x66, 0x0f, 0x75, 0xca], pcmpeqd: [0x66, 0x0f, 0x76, 0xca], paddq: [0x66, 0x0f, 0xd4, 0xca],
  psubb: [0x66, 0x0f, 0xf8, 0xca], paddb: [0x66, 0x0f, 0xfc, 0xca], pminub: [0x66, 0x0f, 0xda, 0xca],
  'pshufd 0x1b': [0x66, 0x0f, 0x70, 0xca, 0x1b], 'pshufd 0': [0x66, 0x0f, 0x70, 0xca, 0x00],
  'psrldq 3': [0x66, 0x0f, 0x73, 0xd9, 3], 'pslldq 5': [0x66, 0x0f, 0x73, 0xf9, 5], 'psrldq 20': [0x66, 0x0f, 0x73, 0xd9, 20],
  'pmovmskb eax': [0x66, 0x0f, 0xd7, 0xc1], 'movd eax': [0x66, 0x0f, 0x7e, 0xc8], 'movq rax': [0x66, 0x48, 0x0f, 0x7e, 0xc8],
  'movd xmm1, ecx': [0x66, 0x0f, 0x6e, 0xc9], 'movq xmm1, rcx': [0x66, 0x48, 0x0f, 0x6e, 0xc9], 'movq xmm1, xmm2': [0xf3, 0x0f, 0x7e, 0xca],
  'movq xmm2, xmm1 (66 d6)': [0x66, 0x0f, 0xd6, 0xca], 'movaps xmm1, xmm2': [0x0f, 0x28, 0xca], 'movq xmm1, [rbx+8]': [0xf3, 0x0f, 0x7e, 0x4b, 0x08],
  'pxor xmm1, [rbx+16]': [0x66, 0x0f, 0xef, 0x4b, 0x10], 'movq [rbx+4], xmm2': [0x66, 0x0f, 0xd6, 0x53, 0x04],
  'movsd xmm1, xmm2': [0xf2, 0x0f, 0x10, 0xca], 'movss xmm1, xmm2': [0xf3, 0x0f, 0x10, 0xca],
  'movsd xmm1, [rbx+8]': [0xf2, 0x0f, 0x10, 0x4b, 0x08], 'movss xmm1, [rbx+4]': [0xf3, 0x0f, 0x10, 0x4b, 0x04],
  'movsd [rbx+4], xmm2': [0xf2, 0x0f, 0x11, 0x53, 0x04], 'movss [rbx+8], xmm2': [0xf3, 0x0f, 0x11, 0x53, 0x08],
  'movsd xmm2, xmm1 (11)': [0xf2, 0x0f, 0x11, 0xca], 'movss xmm2, xmm1 (11)': [0xf3, 0x0f, 0x11, 0xca],
  // What gcc -O2 vectorizes byte-swapping and table loops into (SHA-256, CRC-32 set-up).
  packuswb: [0x66, 0x0f, 0x67, 0xca], punpckhbw: [0x66, 0x0f, 0x68, 0xca], punpckhwd: [0x66, 0x0f, 0x69, 0xca],
  punpckhdq: [0x66, 0x0f, 0x6a, 0xca], paddw: [0x66, 0x0f, 0xfd, 0xca], paddd: [0x66, 0x0f, 0xfe, 0xca],
  psubw: [0x66, 0x0f, 0xf9, 0xca], psubd: [0x66, 0x0f, 0xfa, 0xca], psubq: [0x66, 0x0f, 0xfb, 0xca],
  ...Object.fromEntries(
    [['psrlw', 0x71, 0xd1], ['psraw', 0x71, 0xe1], ['psllw', 0x71, 0xf1], ['psrld', 0x72, 0xd1], ['psrad', 0x72, 0xe1],
      ['pslld', 0x72, 0xf1], ['psrlq', 0x73, 0xd1], ['psllq', 0x73, 0xf1]].flatMap(([name, op, modrm]) =>
      [1, 8, 15, 16, 31, 40, 64].map((n) => [`${name} ${n}`, [0x66, 0x0f, op as number, modrm as number, n]]),
    ),
  ),
};
const PROLOGUE = [0xf3, 0x0f, 0x6f, 0x0b, 0xf3, 0x0f, 0x6f, 0x53, 0x10];
const EPILOGUE = [0xf3, 0x0f, 0x7f, 0x4b, 0x20, 0xf3, 0x0f, 0x7f, 0x53, 0x30, 0xcc];

// One machine per engine for the whole file; every case runs at fresh code addresses, since libunicorn2 keeps
// translations of rewritten code.
const machines = new Map<string, Engine>();
let slot = 0;

function machine(name: 'unicorn' | 'wasm'): Engine {
  let e = machines.get(name);
  if (!e) {
    e = createEngine(name, 'x64');
    e.map(CODE, 0x10000, Prot.RX);
    e.map(DATA, 0x1000, Prot.RW);
    machines.set(name, e);
  }
  return e;
}

function run(name: 'unicorn' | 'wasm', at: bigint, op: number[], input: Uint8Array, rcx: bigint): { out: Uint8Array; rax: bigint } {
  const e = machine(name);
  e.write(at, Uint8Array.from([...PROLOGUE, ...op, ...EPILOGUE]));
  e.write(DATA, input);
  e.setReg('rbx', DATA);
  e.setReg('rax', 0x1111111111111111n);
  e.setReg('rcx', rcx);
  const exit = e.run(at, 0);
  if (exit.kind !== 'interrupt' || exit.vector !== 3) throw new Error(`${name}: ${JSON.stringify(exit, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
  return { out: e.read(DATA, 64), rax: e.getReg('rax') };
}

describe.skipIf(!requireEngines('SSE against Unicorn', 'unicorn', 'wasm'))('wasm core vs Unicorn on SSE integer operations', () => {
  afterAll(() => {
    for (const e of machines.values()) e.close();
  });

  it.each(Object.keys(OPS))('%s', (op) => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    for (let t = 0; t < 6; t++) {
      // Inputs from a small alphabet half the time, so equal bytes (pcmpeq*, pminub) come up.
      const input = Uint8Array.from({ length: 64 }, () => (t % 2 ? rnd() & 3 : rnd()));
      const rcx = BigInt(rnd()) * 0x0102030405060708n;
      const at = CODE + BigInt(64 * slot++);
      const u = run('unicorn', at, OPS[op], input, rcx);
      const w = run('wasm', at, OPS[op], input, rcx);
      expect([...w.out]).toEqual([...u.out]);
      expect(w.rax).toBe(u.rax);
    }
  });
});
