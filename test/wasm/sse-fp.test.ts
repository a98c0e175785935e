// SSE behaviour where libunicorn2 differs from the SDM, checked on the wasm core alone (the difftest leaves these
// cases out and names them in bench/difftest.ts): NaN operands, reserved cmpps predicate bits, pcmpestri lengths,
// equal-ordered string matches at the end, dpps/dppd summation, phadd with one register, alignment, MXCSR rounding.
import { afterAll, describe, expect, it } from 'vitest';
import { Prot, type Arch, type Engine, type Exit } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { requireEngines } from '../helpers.js';

const CODE = 0x400000n;
const DATA = 0x600000n;
/** The fxsave image the instruction starts from (at DATA) and the one stored after it (at DATA + 0x200). */
const OUT = DATA + 0x200n;

const engines = new Map<Arch, Engine>();
let slot = 0;

function engine(arch: Arch): Engine {
  let e = engines.get(arch);
  if (!e) {
    e = createEngine('wasm', arch);
    e.map(CODE, 0x10000, Prot.RX);
    e.map(DATA, 0x2000, Prot.RW);
    engines.set(arch, e);
  }
  return e;
}

interface Result {
  exit: Exit;
  xmm: (i: number) => bigint;
  mxcsr: number;
  regs: Record<string, bigint>;
  rflags: bigint;
}

/**
 * Runs `fxrstor [rbx] ; insn ; fxsave [rbx+0x200] ; int3` with rbx = DATA, xmm registers and MXCSR from `xmm` and
 * `mxcsr`, general registers from `regs`; memory at DATA + 0x400 holds `mem`.
 */
function run(insn: number[], o: { xmm?: Record<number, bigint>; mxcsr?: number; regs?: Record<string, bigint>; mem?: number[]; arch?: Arch } = {}): Result {
  const arch = o.arch ?? 'x64';
  const e = engine(arch);
  const image = new Uint8Array(512);
  const dv = new DataView(image.buffer);
  dv.setUint16(0, 0x37f, true);
  dv.setUint32(24, o.mxcsr ?? 0x1f80, true);
  for (const [i, v] of Object.entries(o.xmm ?? {})) {
    dv.setBigUint64(160 + 16 * Number(i), v & 0xffffffffffffffffn, true);
    dv.setBigUint64(168 + 16 * Number(i), v >> 64n, true);
  }
  e.write(DATA, image);
  e.write(OUT, new Uint8Array(512));
  e.write(DATA + 0x400n, Uint8Array.from(o.mem ?? new Array(64).fill(0)));
  const at = CODE + BigInt(0x40 * slot++);
  e.write(at, Uint8Array.from([0x0f, 0xae, 0x0b, ...insn, 0x0f, 0xae, 0x83, 0x00, 0x02, 0x00, 0x00, 0xcc]));
  const names = ['rax', 'rcx', 'rdx', 'rsi', 'rdi'] as const;
  for (const n of names) e.setReg(n, o.regs?.[n] ?? 0n);
  e.setReg('rbx', DATA);
  e.setReg('rflags', 0x2n);
  const exit = e.run(at, 10);
  const out = e.read(OUT, 512);
  const od = new DataView(out.buffer, out.byteOffset, out.length);
  return {
    exit,
    xmm: (i) => od.getBigUint64(160 + 16 * i, true) | (od.getBigUint64(168 + 16 * i, true) << 64n),
    mxcsr: od.getUint32(24, true),
    regs: Object.fromEntries(names.map((n) => [n, e.getReg(n)])),
    rflags: e.getReg('rflags'),
  };
}

const INT3 = (at: Exit) => at.kind === 'interrupt' && at.vector === 3;
const f32 = (x: number): bigint => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, x, true); return BigInt(b.getUint32(0, true)); };
const f64 = (x: number): bigint => { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, x, true); return b.getBigUint64(0, true); };
const lanes32 = (...v: bigint[]): bigint => v.reduce((a, x, i) => a | (x << BigInt(32 * i)), 0n);

describe.skipIf(!requireEngines('SSE on the wasm core', 'wasm'))('wasm core: SSE where Unicorn differs from the SDM', () => {
  afterAll(() => {
    for (const e of engines.values()) e.close();
  });

  it('returns the first source operand\'s NaN, made quiet, when both operands are NaNs (addss, addsd)', () => {
    // addss xmm1, xmm2: xmm1 = QNaN payload 1, xmm2 = QNaN payload 2 (Unicorn picks the larger significand).
    let r = run([0xf3, 0x0f, 0x58, 0xca], { xmm: { 1: 0x7fc00001n, 2: 0x7fc00002n } });
    expect(INT3(r.exit)).toBe(true);
    expect(r.xmm(1) & 0xffffffffn).toBe(0x7fc00001n);
    // A signalling NaN first: quieted; a QNaN second does not win.
    r = run([0xf3, 0x0f, 0x58, 0xca], { xmm: { 1: 0x7f800001n, 2: 0x7fc00002n } });
    expect(r.xmm(1) & 0xffffffffn).toBe(0x7fc00001n);
    r = run([0xf2, 0x0f, 0x58, 0xca], { xmm: { 1: 0x7ff0000000000001n, 2: 0xfff8000000000002n } });
    expect(r.xmm(1) & 0xffffffffffffffffn).toBe(0x7ff8000000000001n);
  });

  it('gives the negative default NaN for invalid operations and keeps the upper lanes of scalar forms', () => {
    // subss inf - inf; sqrtsd of -1.
    let r = run([0xf3, 0x0f, 0x5c, 0xca], { xmm: { 1: lanes32(f32(Infinity), 5n, 6n, 7n), 2: f32(Infinity) } });
    expect(r.xmm(1)).toBe(lanes32(0xffc00000n, 5n, 6n, 7n));
    r = run([0xf2, 0x0f, 0x51, 0xca], { xmm: { 1: 9n << 64n, 2: f64(-1) } });
    expect(r.xmm(1)).toBe((9n << 64n) | 0xfff8000000000000n);
  });

  it('minps/maxps return the second operand for NaNs and for two zeros', () => {
    const r = run([0x0f, 0x5d, 0xca], { xmm: { 1: lanes32(0x7fc00000n, f32(0), f32(1), f32(-3)), 2: lanes32(f32(2), 0x80000000n, 0x7fc00005n, f32(-4)) } });
    expect(r.xmm(1)).toBe(lanes32(f32(2), 0x80000000n, 0x7fc00005n, f32(-4)));
  });

  it('cmpps uses imm8 bits 2:0 and ignores the reserved bits 7:3 (Unicorn raises #UD)', () => {
    // cmpps xmm1, xmm2, 0x09 = predicate 1 (lt).
    const r = run([0x0f, 0xc2, 0xca, 0x09], { xmm: { 1: lanes32(f32(1), f32(2), f32(3), 0x7fc00000n), 2: lanes32(f32(2), f32(2), f32(1), f32(0)) } });
    expect(INT3(r.exit)).toBe(true);
    expect(r.xmm(1)).toBe(lanes32(0xffffffffn, 0n, 0n, 0n));
  });

  it('raises #GP for a misaligned 16-byte operand of movaps and of arithmetic, not for movups (Unicorn does not check)', () => {
    expect(run([0x0f, 0x28, 0x4b, 0x01]).exit).toEqual({ kind: 'interrupt', vector: 13, pc: expect.any(BigInt) });
    expect(run([0x0f, 0x58, 0x4b, 0x08]).exit).toMatchObject({ kind: 'interrupt', vector: 13 });
    expect(INT3(run([0x0f, 0x10, 0x4b, 0x01]).exit)).toBe(true);
  });

  it('phaddd/phsubw with one register as source and destination read the source as it was', () => {
    // phaddd xmm1, xmm1: [1, 2, 3, 4] → [3, 7, 3, 7] (Unicorn's in-place helper gives [3, 7, 10, 7]).
    let r = run([0x66, 0x0f, 0x38, 0x02, 0xc9], { xmm: { 1: lanes32(1n, 2n, 3n, 4n) } });
    expect(r.xmm(1)).toBe(lanes32(3n, 7n, 3n, 7n));
    // phsubw xmm2, xmm2: words [10, 4, 7, 7, 0, 1, 100, 50] → low [6, 0, -1, 50], high the same.
    const words = [10n, 4n, 7n, 7n, 0n, 1n, 100n, 50n].reduce((a, x, i) => a | (x << BigInt(16 * i)), 0n);
    r = run([0x66, 0x0f, 0x38, 0x05, 0xd2], { xmm: { 2: words } });
    const half = [6n, 0n, 0xffffn, 50n].reduce((a, x, i) => a | (x << BigInt(16 * i)), 0n);
    expect(r.xmm(2)).toBe(half | (half << 64n));
  });

  it('pcmpestri saturates 64-bit lengths of 2^31 and more (REX.W) to the element count', () => {
    // pcmpestri64 xmm1, xmm2, 0x00 (equal any, unsigned bytes) of sixteen 'A's in sixteen 'B's: rax = 2^32 → 16,
    // rdx = -(2^40) → 16 (Unicorn truncates them to int, so they come out negative): no match → 16.
    const r = run([0x66, 0x48, 0x0f, 0x3a, 0x61, 0xca, 0x00], {
      xmm: { 1: 0x41n * 0x01010101010101010101010101010101n, 2: 0x42n * 0x01010101010101010101010101010101n }, regs: { rax: 1n << 32n, rdx: BigInt.asUintN(64, -(1n << 40n)) },
    });
    expect(r.regs.rcx).toBe(16n);
    // ZF and SF clear (both lengths 16), CF clear (no match).
    expect(r.rflags & 0x8c5n).toBe(0n);
  });

  it('pcmpistri equal ordered reports a prefix of the needle matching at the end of the haystack', () => {
    // pcmpistri xmm1, xmm2, 0x0c: needle "abc" (xmm1), haystack "xxxxxxxxxxxxxxab" (16 bytes, no terminator).
    const hay = [...'xxxxxxxxxxxxxxab'].map((c) => BigInt(c.charCodeAt(0)));
    const needle = [...'abc'].map((c) => BigInt(c.charCodeAt(0)));
    const pack = (b: bigint[]) => b.reduce((a, x, i) => a | (x << BigInt(8 * i)), 0n);
    const r = run([0x66, 0x0f, 0x3a, 0x63, 0xca, 0x0c], { xmm: { 1: pack(needle), 2: pack(hay) } });
    expect(r.regs.rcx).toBe(14n);
    // CF: a match; SF: the needle is shorter than 16; ZF clear: the haystack has no terminator.
    expect(r.rflags & 0xc1n).toBe(0x81n);
  });

  it('dpps adds the products in pairs, (0 + 1) + (2 + 3), and -0 + -0 stays -0 (dppd)', () => {
    // dpps xmm1, xmm2, 0xf1: 2^30·1 + (-2^30)·1 + 1·1 + 2^-30·1 → pairs: (2^30 - 2^30) + (1 + 2^-30) = 1 + 2^-30 rounded.
    let r = run([0x66, 0x0f, 0x3a, 0x40, 0xca, 0xf1], { xmm: { 1: lanes32(f32(2 ** 30), f32(-(2 ** 30)), f32(1), f32(2 ** -30)), 2: lanes32(f32(1), f32(1), f32(1), f32(1)) } });
    expect(r.xmm(1)).toBe(f32(Math.fround(1 + 2 ** -30)));
    // dppd xmm1, xmm2, 0x31: (-0)·1 + (-0)·1 = -0.
    r = run([0x66, 0x0f, 0x3a, 0x41, 0xca, 0x31], { xmm: { 1: f64(-0) | (f64(-0) << 64n), 2: f64(1) | (f64(1) << 64n) } });
    expect(r.xmm(1)).toBe(0x8000000000000000n);
  });

  it('converts with MXCSR rounding and truncation, and gives the integer indefinite for NaN and overflow', () => {
    // cvtsd2si eax, xmm1 (round to nearest even: 2.5 → 2); cvttsd2si; cvtsd2si of NaN → 0x80000000.
    expect(run([0xf2, 0x0f, 0x2d, 0xc1], { xmm: { 1: f64(2.5) } }).regs.rax).toBe(2n);
    expect(run([0xf2, 0x0f, 0x2d, 0xc1], { xmm: { 1: f64(-2.5) }, mxcsr: 0x3f80 }).regs.rax).toBe(0xfffffffdn);
    expect(run([0xf2, 0x0f, 0x2c, 0xc1], { xmm: { 1: f64(-2.7) } }).regs.rax).toBe(0xfffffffen);
    expect(run([0xf2, 0x0f, 0x2d, 0xc1], { xmm: { 1: 0x7ff8000000000000n } }).regs.rax).toBe(0x80000000n);
    expect(run([0xf2, 0x48, 0x0f, 0x2c, 0xc1], { xmm: { 1: f64(1e300) } }).regs.rax).toBe(0x8000000000000000n);
  });

  it('stops with an unsupported-instruction exit for arithmetic under a rounding mode other than nearest', () => {
    // MXCSR.RC = down: addps would round differently from the host.
    const r = run([0x0f, 0x58, 0xca], { mxcsr: 0x3f80 });
    expect(r.exit.kind).toBe('unsupported');
  });

  it('maskmovdqu stores only the selected bytes at [rdi]', () => {
    // maskmovdqu xmm1, xmm2 with rdi = DATA + 0x400: bytes 0 and 15 selected.
    const r = run([0x66, 0x0f, 0xf7, 0xca], {
      xmm: { 1: 0x11223344556677889900aabbccddeeffn, 2: (0x80n << 120n) | 0x80n }, regs: { rdi: DATA + 0x400n }, mem: new Array(16).fill(0x5a),
    });
    expect(INT3(r.exit)).toBe(true);
    const m = engine('x64').read(DATA + 0x400n, 16);
    expect([...m]).toEqual([0xff, ...new Array(14).fill(0x5a), 0x11]);
  });

  it('xsave, xrstor, xsaveopt and xgetbv raise #UD: CPUID announces no XSAVE (nor does Unicorn\'s CPU have it)', () => {
    for (const insn of [[0x0f, 0xae, 0x63, 0x40], [0x0f, 0xae, 0x6b, 0x40], [0x0f, 0xae, 0x73, 0x40], [0x0f, 0x01, 0xd0]]) {
      const r = run(insn);
      expect(r.exit).toMatchObject({ kind: 'interrupt', vector: 6 });
    }
  });

  it('pextrw, pinsrd and crc32 on x86 too', () => {
    // pinsrd xmm1, eax, 2 ; pextrw ecx, xmm1, 5 ; crc32 edx, eax
    const r = run([0x66, 0x0f, 0x3a, 0x22, 0xc8, 0x02, 0x66, 0x0f, 0xc5, 0xc9, 0x05, 0xf2, 0x0f, 0x38, 0xf1, 0xd0], { arch: 'x86', regs: { rax: 0xdeadbeefn, rdx: 0xffffffffn } });
    expect(INT3(r.exit)).toBe(true);
    expect(r.xmm(1)).toBe(0xdeadbeefn << 64n);
    expect(r.regs.rcx).toBe(0xdeadn);
    // CRC-32C, as crc32 computes it, of the bytes ef be ad de from ~0 (not finalised).
    let c = 0xffffffff;
    for (const b of [0xef, 0xbe, 0xad, 0xde]) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
    }
    expect(r.regs.rdx).toBe(BigInt(c >>> 0));
  });
});
