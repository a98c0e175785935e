// The x87/SSE state instructions (ldmxcsr, stmxcsr, fxsave, fxrstor) on both engines: the legacy save area's exact
// layout, round trips, and #GP for misalignment and reserved MXCSR bits (which Unicorn's QEMU would load: its
// engine checks before it runs them, as the CPU and the wasm core do).
import { describe, expect, it } from 'vitest';
import { Prot, type Arch, type Exit } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { requireEngines } from '../helpers.js';

const CODE = 0x400000n;
const DATA = 0x600000n;
const ENGINES_COMPARED = ['wasm', 'unicorn'] as const;

/** Runs each program in turn on one fresh machine (state carries over) with rbx = DATA; their exits and the data. */
function run(name: EngineName, arch: Arch, programs: number[][], data: Uint8Array): { exits: Exit[]; data: Uint8Array } {
  const e = createEngine(name, arch);
  e.map(CODE, 0x1000, Prot.RX);
  e.map(DATA, 0x2000, Prot.RW);
  e.write(DATA, data);
  const exits: Exit[] = [];
  programs.forEach((code, i) => {
    const at = CODE + BigInt(i * 0x100);
    e.write(at, Uint8Array.from([...code, 0xcc]));
    e.setReg('rbx', DATA);
    exits.push(e.run(at, 100));
  });
  const out = { exits, data: e.read(DATA, 0x2000) };
  e.close();
  return out;
}

/** The same on both engines; the wasm core's result. */
function both(arch: Arch, programs: number[][], data: Uint8Array): { exits: Exit[]; data: Uint8Array } {
  const [w, u] = ENGINES_COMPARED.map((name) => run(name, arch, programs, data));
  expect(w.exits).toEqual(u.exits);
  expect(Buffer.from(w.data).toString('hex')).toBe(Buffer.from(u.data).toString('hex'));
  return w;
}

const int3At = (program: number, code: number[]): Exit => ({ kind: 'interrupt', vector: 3, pc: CODE + BigInt(program * 0x100 + code.length) });
const gpAt = (program: number, offset = 0): Exit => ({ kind: 'interrupt', vector: 13, pc: CODE + BigInt(program * 0x100 + offset) });
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;

// fxsave [rbx+disp32], fxrstor [rbx+disp32], ldmxcsr, stmxcsr, fnstcw, fnstsw.
const fx = (reg: number, disp: number) => [0x0f, 0xae, 0x83 | (reg << 3), disp & 0xff, (disp >> 8) & 0xff, 0, 0];
const FXSAVE = (d: number) => fx(0, d);
const FXRSTOR = (d: number) => fx(1, d);
const LDMXCSR = (d: number) => fx(2, d);
const STMXCSR = (d: number) => fx(3, d);
const FNSTCW = (d: number) => [0xd9, 0xbb, d & 0xff, (d >> 8) & 0xff, 0, 0];
const FNSTSW = (d: number) => [0xdd, 0xbb, d & 0xff, (d >> 8) & 0xff, 0, 0];

describe.skipIf(!requireEngines('x87/SSE state instructions', 'unicorn', 'wasm'))('x87/SSE state instructions on both engines', () => {
  describe.each(['x64', 'x86'] as const)('%s', (arch) => {
    const xmmCount = arch === 'x64' ? 16 : 8;

    it('fxsave writes the reset state in the legacy layout, leaving FOP, padding and the rest alone', () => {
      const r = both(arch, [FXSAVE(0)], new Uint8Array(0x2000).fill(0xa5));
      expect(r.exits).toEqual([int3At(0, FXSAVE(0))]);
      const want = new Uint8Array(512).fill(0xa5);
      want.set([0x7f, 0x03, 0, 0, 0, 0], 0); // FCW 0x37f, FSW 0, abridged FTW 0 (16 bits); FOP untouched
      want.fill(0, 8, 24); // FIP, FDP: no x87 pointers are recorded
      want.set([0x80, 0x1f, 0, 0, 0xff, 0xff, 0, 0], 24); // MXCSR 0x1f80, MXCSR_MASK 0xffff
      for (let i = 0; i < 8; i++) want.fill(0, 32 + 16 * i, 42 + 16 * i); // ST0-7: 10 bytes of each 16-byte slot
      want.fill(0, 160, 160 + 16 * xmmCount); // xmm0-7 (x86) or xmm0-15 (x64)
      expect(Buffer.from(r.data.subarray(0, 512)).toString('hex')).toBe(Buffer.from(want).toString('hex'));
    });

    it('fxrstor then fxsave gives the image back (B mirrors ES in the status word); fnstcw, fnstsw and stmxcsr agree', () => {
      const data = Uint8Array.from({ length: 0x2000 }, (_, i) => (i * 73 + 19) & 0xff);
      data.set([0x7f, 0x02, 0x81, 0x38, 0x81, 0x00], 0); // FCW 0x027f; FSW 0x3881: TOP 7, ES; FTW 0x81
      data.set([0xc0, 0x9f, 0, 0], 24); // MXCSR 0x9fc0: FZ, DAZ, every exception masked
      const programs = [FXRSTOR(0), FXSAVE(0x200), FNSTCW(0x400), FNSTSW(0x402), STMXCSR(0x404)];
      const r = both(arch, programs, data);
      expect(r.exits).toEqual(programs.map((p, i) => int3At(i, p)));
      const out = r.data.subarray(0x200, 0x400);
      expect([u16(out, 0), u16(out, 2), u16(out, 4), u32(out, 24), u32(out, 28)]).toEqual([0x027f, 0xb881, 0x81, 0x9fc0, 0xffff]);
      for (let i = 0; i < 8; i++) expect(out.subarray(32 + 16 * i, 42 + 16 * i)).toEqual(data.subarray(32 + 16 * i, 42 + 16 * i));
      expect(out.subarray(160, 160 + 16 * xmmCount)).toEqual(data.subarray(160, 160 + 16 * xmmCount));
      expect([u16(r.data, 0x400), u16(r.data, 0x402), u32(r.data, 0x404)]).toEqual([0x027f, 0xb881, 0x9fc0]);
    });

    it('ldmxcsr loads MXCSR; reserved bits raise #GP and change nothing', () => {
      const data = new Uint8Array(0x2000);
      data.set([0xc0, 0x7f, 0, 0], 0x10); // 0x7fc0: DAZ, all masked
      data.set([0x80, 0x1f, 0x01, 0], 0x20); // 0x11f80: bit 16 is reserved
      const programs = [LDMXCSR(0x10), STMXCSR(0x100), LDMXCSR(0x20), STMXCSR(0x104)];
      const r = both(arch, programs, data);
      expect(r.exits).toEqual([int3At(0, programs[0]), int3At(1, programs[1]), gpAt(2), int3At(3, programs[3])]);
      expect([u32(r.data, 0x100), u32(r.data, 0x104)]).toEqual([0x7fc0, 0x7fc0]);
    });

    it('fxrstor of an image with reserved MXCSR bits raises #GP before loading anything', () => {
      const data = new Uint8Array(0x2000);
      data.set([0x7f, 0x02], 0); // FCW 0x027f
      data.set([0x80, 0x1f, 0, 0x80], 24); // MXCSR with bit 31 set
      const programs = [FXRSTOR(0), FNSTCW(0x400), STMXCSR(0x404)];
      const r = both(arch, programs, data);
      expect(r.exits).toEqual([gpAt(0), int3At(1, programs[1]), int3At(2, programs[2])]);
      expect([u16(r.data, 0x400), u32(r.data, 0x404)]).toEqual([0x037f, 0x1f80]);
    });

    // One machine each: libunicorn2 reports a second #GP on the same engine as a double fault (see bench/difftest.ts).
    it.each([['fxsave', FXSAVE(0x108)], ['fxrstor', FXRSTOR(0x8)]])('a misaligned %s raises #GP and writes nothing', (_name, code) => {
      const data = new Uint8Array(0x2000).fill(0x5a);
      const r = both(arch, [code], data);
      expect(r.exits).toEqual([gpAt(0)]);
      expect(r.data.every((b) => b === 0x5a)).toBe(true);
    });

    it('ldmxcsr and fxrstor of unmapped memory fault as reads (the MXCSR check does not hide the fault)', () => {
      const r = both(arch, [LDMXCSR(0x3000), FXRSTOR(0x3000)], new Uint8Array(0x2000));
      expect(r.exits).toEqual([
        { kind: 'fault', access: 'read', address: DATA + 0x3000n, pc: CODE, reason: 'unmapped' },
        { kind: 'fault', access: 'read', address: DATA + 0x3000n, pc: CODE + 0x100n, reason: 'unmapped' },
      ]);
    });
  });
});
