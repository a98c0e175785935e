// BMI1/BMI2, ADX, popcnt, movbe and rdrand on the wasm core, by the SDM. The difftest compares most of these with
// Unicorn (bench/difftest.ts --family sse); the cases here are where libunicorn2 differs from the SDM (pdep/pext
// operand order, blsi's and bzhi's CF, bzhi/bextr beyond the operand size, 32-bit bextr of a 64-bit register) or
// lacks the instruction (popcnt, movbe, rdrand).
import { afterAll, describe, expect, it } from 'vitest';
import { Prot, type Arch, type Engine, type Exit } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { requireEngines } from '../helpers.js';

const CODE = 0x400000n;
const DATA = 0x600000n;
const CF = 0x1n, ZF = 0x40n, SF = 0x80n, OF = 0x800n;

const engines = new Map<Arch, Engine>();
let slot = 0;

function engine(arch: Arch): Engine {
  let e = engines.get(arch);
  if (!e) {
    e = createEngine('wasm', arch);
    e.map(CODE, 0x10000, Prot.RX);
    e.map(DATA, 0x1000, Prot.RW);
    engines.set(arch, e);
  }
  return e;
}

/** Runs insn ; int3 with the registers given (rbx = DATA unless given) and DATA holding mem. */
function run(insn: number[], regs: Record<string, bigint> = {}, o: { arch?: Arch; rflags?: bigint; mem?: number[] } = {}): { exit: Exit; r: (n: string) => bigint; flags: bigint } {
  const e = engine(o.arch ?? 'x64');
  const at = CODE + BigInt(0x20 * slot++);
  e.write(at, Uint8Array.from([...insn, 0xcc]));
  e.write(DATA, Uint8Array.from(o.mem ?? new Array(16).fill(0)));
  for (const n of ['rax', 'rcx', 'rdx', 'rsi', 'rdi'] as const) e.setReg(n, regs[n] ?? 0n);
  e.setReg('rbx', regs.rbx ?? DATA);
  e.setReg('rflags', o.rflags ?? 0x2n);
  const exit = e.run(at, 10);
  return { exit, r: (n) => e.getReg(n as 'rax'), flags: e.getReg('rflags') };
}

const ARITH = CF | ZF | SF | OF;

describe.skipIf(!requireEngines('BMI on the wasm core', 'wasm'))('wasm core: BMI1, BMI2, ADX, popcnt, movbe, rdrand', () => {
  afterAll(() => {
    for (const e of engines.values()) e.close();
  });

  it('pext gathers the bits of the vvvv source at the r/m mask\'s set bits; pdep scatters them back', () => {
    // pext eax, ecx, edx ; pdep esi, eax, edx (mask in r/m, as the SDM has it; Unicorn swaps the two).
    const x = run([0xc4, 0xe2, 0x72, 0xf5, 0xc2], { rcx: 0x12345678n, rdx: 0xff00fff0n });
    expect(x.r('rax')).toBe(0x12567n);
    const y = run([0xc4, 0xe2, 0x73, 0xf5, 0xc2], { rcx: 0x12567n, rdx: 0xff00fff0n });
    expect(y.r('rax')).toBe(0x12005670n);
  });

  it('blsi isolates the lowest set bit and sets CF when the source is not zero', () => {
    // blsi eax, ecx
    let x = run([0xc4, 0xe2, 0x78, 0xf3, 0xd9], { rcx: 0b1100n });
    expect(x.r('rax')).toBe(4n);
    expect(x.flags & ARITH).toBe(CF);
    x = run([0xc4, 0xe2, 0x78, 0xf3, 0xd9], { rcx: 0n, rax: 7n });
    expect(x.r('rax')).toBe(0n);
    expect(x.flags & ARITH).toBe(ZF);
  });

  it('blsr and blsmsk set CF when the source is zero', () => {
    // blsr eax, ecx ; blsmsk eax, ecx
    let x = run([0xc4, 0xe2, 0x78, 0xf3, 0xc9], { rcx: 0n });
    expect(x.flags & ARITH).toBe(CF | ZF);
    x = run([0xc4, 0xe2, 0x78, 0xf3, 0xd1], { rcx: 0b1000n });
    expect(x.r('rax')).toBe(0b1111n);
    expect(x.flags & ARITH).toBe(0n);
  });

  it('bzhi keeps every bit for an index of the operand size or more, with CF set; below it clears and CF is clear', () => {
    // bzhi eax, ecx, edx
    let x = run([0xc4, 0xe2, 0x68, 0xf5, 0xc1], { rcx: 0xffffffffn, rdx: 40n });
    expect(x.r('rax')).toBe(0xffffffffn);
    expect(x.flags & (CF | ZF)).toBe(CF);
    x = run([0xc4, 0xe2, 0x68, 0xf5, 0xc1], { rcx: 0xffffffffn, rdx: 8n });
    expect(x.r('rax')).toBe(0xffn);
    expect(x.flags & CF).toBe(0n);
  });

  it('bextr extracts from the zero-extended 32-bit source, and a length beyond it keeps every bit', () => {
    // bextr eax, ecx, edx: start 28, length 8 of ecx (rcx's high half must not come in).
    let x = run([0xc4, 0xe2, 0x68, 0xf7, 0xc1], { rcx: 0xaaaaaaaa12345678n, rdx: 0x081cn });
    expect(x.r('rax')).toBe(1n);
    x = run([0xc4, 0xe2, 0x68, 0xf7, 0xc1], { rcx: 0x80000001n, rdx: 0x2800n });
    expect(x.r('rax')).toBe(0x80000001n);
    expect(x.flags & ZF).toBe(0n);
  });

  it('andn, shlx/sarx/shrx, rorx and mulx', () => {
    // andn eax, ecx, edx = ~ecx & edx
    expect(run([0xc4, 0xe2, 0x70, 0xf2, 0xc2], { rcx: 0xf0n, rdx: 0xffn }).r('rax')).toBe(0x0fn);
    // sarx rax, rcx, rdx (count masked to 6 bits: 65 → 1)
    expect(run([0xc4, 0xe2, 0xea, 0xf7, 0xc1], { rcx: 0x8000000000000000n, rdx: 65n }).r('rax')).toBe(0xc000000000000000n);
    // rorx eax, ecx, 4
    expect(run([0xc4, 0xe3, 0x7b, 0xf0, 0xc1, 0x04], { rcx: 0x12345678n }).r('rax')).toBe(0x81234567n);
    // mulx rsi, rax, rcx: rdx × rcx, high half to rsi, low to rax; flags untouched.
    const x = run([0xc4, 0xe2, 0xfb, 0xf6, 0xf1], { rdx: 0xffffffffffffffffn, rcx: 3n }, { rflags: 0x2n | CF });
    expect(x.r('rsi')).toBe(2n);
    expect(x.r('rax')).toBe(0xfffffffffffffffdn);
    expect(x.flags & CF).toBe(CF);
  });

  it('adcx carries through CF only and adox through OF only', () => {
    // adcx eax, ecx with CF set: 0xffffffff + 0 + 1 = 0, CF out; OF kept.
    let x = run([0x66, 0x0f, 0x38, 0xf6, 0xc1], { rax: 0xffffffffn, rcx: 0n }, { rflags: 0x2n | CF | OF });
    expect(x.r('rax')).toBe(0n);
    expect(x.flags & ARITH).toBe(CF | OF);
    // adox eax, ecx with OF clear: 1 + 2 = 3, OF clear; CF kept.
    x = run([0xf3, 0x0f, 0x38, 0xf6, 0xc1], { rax: 1n, rcx: 2n }, { rflags: 0x2n | CF });
    expect(x.r('rax')).toBe(3n);
    expect(x.flags & ARITH).toBe(CF);
  });

  it('popcnt counts bits and sets ZF for zero only', () => {
    let x = run([0xf3, 0x0f, 0xb8, 0xc1], { rcx: 0xf0f0n }, { arch: 'x86' });
    expect(x.r('rax')).toBe(8n);
    expect(x.flags & ARITH).toBe(0n);
    x = run([0xf3, 0x48, 0x0f, 0xb8, 0xc1], { rcx: 0n, rax: 5n });
    expect(x.r('rax')).toBe(0n);
    expect(x.flags & ARITH).toBe(ZF);
  });

  it('movbe loads and stores with the bytes swapped (16, 32 and 64 bits)', () => {
    // movbe eax, [rbx] ; movbe [rbx+8], cx (16 bits) on x86
    let x = run([0x0f, 0x38, 0xf0, 0x03], {}, { mem: [0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(x.r('rax')).toBe(0x11223344n);
    x = run([0x66, 0x0f, 0x38, 0xf1, 0x4b, 0x08], { rcx: 0xabcdn }, { arch: 'x86' });
    expect([...engine('x86').read(DATA + 8n, 2)]).toEqual([0xab, 0xcd]);
    x = run([0x48, 0x0f, 0x38, 0xf0, 0x03], {}, { mem: [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(x.r('rax')).toBe(0x0102030405060708n);
  });

  it('rdrand and rdseed give a fixed sequence with CF set: the same on every fresh core', () => {
    const first = (): bigint[] => {
      const e = createEngine('wasm', 'x64');
      e.map(CODE, 0x1000, Prot.RX);
      // rdrand rax ; rdseed rcx ; rdrand edx
      e.write(CODE, Uint8Array.of(0x48, 0x0f, 0xc7, 0xf0, 0x48, 0x0f, 0xc7, 0xf9, 0x0f, 0xc7, 0xf2, 0xcc));
      e.setReg('rflags', 0x2n | ZF);
      e.run(CODE, 10);
      const out = [e.getReg('rax'), e.getReg('rcx'), e.getReg('rdx'), e.getReg('rflags') & ARITH];
      e.close();
      return out;
    };
    const a = first();
    expect(a).toEqual(first());
    expect(a[3]).toBe(CF);
    expect(a[0]).not.toBe(a[1]);
    expect(a[2] >> 32n).toBe(0n);
  });
});
