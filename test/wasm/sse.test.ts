// SSE data movement and integer operations compilers use for struct copies and memset/memcpy, on both engines.
import { describe, expect, it } from 'vitest';
import { Prot, type Engine } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { enginesHere } from '../helpers.js';

const CODE = 0xfffff80000100000n;
const DATA = 0xfffff80000300000n;
const engines = enginesHere('SSE');

function machine(name: EngineName, code: number[]): Engine {
  const e = createEngine(name, 'x64');
  e.map(CODE, 0x1000, Prot.RX);
  e.map(DATA, 0x1000, Prot.RW);
  e.write(CODE, Uint8Array.from([...code, 0xcc]));
  e.setReg('rsp', DATA + 0x800n);
  e.setReg('rbx', DATA);
  return e;
}

function u64s(e: Engine, at: bigint, n: number): bigint[] {
  const b = e.read(at, n * 8);
  return Array.from({ length: n }, (_, i) => new DataView(b.buffer).getBigUint64(i * 8, true));
}

describe.each(engines)('%s engine: SSE', (name) => {
  it('builds a 16-byte value with movq and punpcklqdq and stores it with movups (the readfile sample)', () => {
    // movq xmm0, rdx ; movq xmm1, rax ; punpcklqdq xmm0, xmm1 ; movups [rbx+0x11], xmm0
    const e = machine(name, [0x66, 0x48, 0x0f, 0x6e, 0xc2, 0x66, 0x48, 0x0f, 0x6e, 0xc8, 0x66, 0x0f, 0x6c, 0xc1, 0x0f, 0x11, 0x43, 0x11]);
    e.setReg('rdx', 0x1122334455667788n);
    e.setReg('rax', 0x99aabbccddeeff00n);
    expect(e.run(CODE, 0).kind).toBe('interrupt');
    expect(u64s(e, DATA + 0x11n, 2)).toEqual([0x1122334455667788n, 0x99aabbccddeeff00n]);
    e.close();
  });

  it('zeroes with pxor and copies 16 bytes with movdqu load and movdqa store', () => {
    // movdqu xmm2, [rbx+0x101] ; movdqa [rbx+0x200], xmm2 ; pxor xmm2, xmm2 ; movdqa [rbx+0x210], xmm2
    const e = machine(name, [0xf3, 0x0f, 0x6f, 0x93, 0x01, 0x01, 0, 0, 0x66, 0x0f, 0x7f, 0x93, 0, 0x02, 0, 0, 0x66, 0x0f, 0xef, 0xd2, 0x66, 0x0f, 0x7f, 0x93, 0x10, 0x02, 0, 0]);
    e.write(DATA + 0x101n, Uint8Array.from({ length: 16 }, (_, i) => i + 1));
    e.write(DATA + 0x210n, new Uint8Array(16).fill(0xee));
    expect(e.run(CODE, 0).kind).toBe('interrupt');
    expect([...e.read(DATA + 0x200n, 16)]).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect([...e.read(DATA + 0x210n, 16)]).toEqual(new Array(16).fill(0));
    e.close();
  });

  it('finds a zero byte with pcmpeqb and pmovmskb (the strlen pattern)', () => {
    // pxor xmm0, xmm0 ; movdqu xmm1, [rbx] ; pcmpeqb xmm1, xmm0 ; pmovmskb eax, xmm1
    const e = machine(name, [0x66, 0x0f, 0xef, 0xc0, 0xf3, 0x0f, 0x6f, 0x0b, 0x66, 0x0f, 0x74, 0xc8, 0x66, 0x0f, 0xd7, 0xc1]);
    e.write(DATA, Uint8Array.from([65, 66, 67, 0, 68, 0, ...new Array(10).fill(1)]));
    expect(e.run(CODE, 0).kind).toBe('interrupt');
    expect(e.getReg('rax')).toBe(0b101000n);
    e.close();
  });

  // A CPU raises #GP; libunicorn2 (QEMU's TCG) does not check SSE alignment and runs on.
  (name === 'unicorn' ? it.skip : it)('raises #GP (13) for a misaligned movdqa', () => {
    const e = machine(name, [0x66, 0x0f, 0x6f, 0x43, 0x08]);
    expect(e.run(CODE, 0)).toEqual({ kind: 'interrupt', vector: 13, pc: CODE });
    e.close();
  });
});
