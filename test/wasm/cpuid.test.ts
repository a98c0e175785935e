// CPUID tells the truth (emu/cpuid.ts): each feature bit it sets has a representative instruction that runs the same
// on the wasm core and on Unicorn, and each instruction-set bit it clears names instructions the core still lacks
// (implementing one should come with setting its bit).
import { describe, expect, it } from 'vitest';
import { Prot, type Arch, type Exit } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { cpuidLeaf } from '../../emu/cpuid.js';
import { requireEngines } from '../helpers.js';

const CODE = 0x400000n;
const DATA = 0x600000n;
const REG = { eax: 0, ebx: 1, ecx: 2, edx: 3 } as const;

interface Feature {
  name: string;
  leaf: number;
  reg: keyof typeof REG;
  bit: number;
  /** Architectures whose encoding this is (the x64 forms with REX are x64 only). */
  arches: readonly Arch[];
  /** The representative: instruction bytes, run from CODE with rbx = DATA (16-byte aligned), ending in int3. */
  code: number[];
  /** Cleared bits: the engine that lacks the instruction (the wasm core: an unsupported exit; Unicorn: #UD). */
  missingOn?: EngineName;
}

const BOTH = ['x64', 'x86'] as const;
const X64 = ['x64'] as const;

const KEPT: Feature[] = [
  // rdtsc: the virtual time-stamp counter on both.
  { name: 'TSC', leaf: 1, reg: 'edx', bit: 4, arches: BOTH, code: [0x0f, 0x31] },
  // rdmsr: a privileged exit for the kernel layer on both (hal/ke/cpu.ts answers it).
  { name: 'MSR', leaf: 1, reg: 'edx', bit: 5, arches: BOTH, code: [0x0f, 0x32] },
  // mov eax, cr4: likewise for the paging and machine-check bits (PSE, PAE, PGE, MCE, VME, DE), which describe the
  // control registers the kernel layer shows.
  { name: 'PAE', leaf: 1, reg: 'edx', bit: 6, arches: BOTH, code: [0x0f, 0x20, 0xe0] },
  // cmpxchg8b [rbx]
  { name: 'CX8', leaf: 1, reg: 'edx', bit: 8, arches: BOTH, code: [0x0f, 0xc7, 0x0b] },
  // cmp eax, ecx ; cmovb eax, edx
  { name: 'CMOV', leaf: 1, reg: 'edx', bit: 15, arches: BOTH, code: [0x39, 0xc8, 0x0f, 0x42, 0xc2] },
  // clflush [rbx]
  { name: 'CLFSH', leaf: 1, reg: 'edx', bit: 19, arches: BOTH, code: [0x0f, 0xae, 0x3b] },
  // fxsave [rbx] ; fxrstor [rbx] ; fxsave [rbx+0x200]
  { name: 'FXSR', leaf: 1, reg: 'edx', bit: 24, arches: BOTH, code: [0x0f, 0xae, 0x03, 0x0f, 0xae, 0x0b, 0x0f, 0xae, 0x83, 0x00, 0x02, 0x00, 0x00] },
  // mov dword [rbx], 0x7fc0 ; ldmxcsr [rbx] ; stmxcsr [rbx+4] ; movups xmm1, [rbx+16] ; xorps xmm1, xmm1 ; movups [rbx+32], xmm1
  {
    name: 'SSE', leaf: 1, reg: 'edx', bit: 25, arches: BOTH,
    code: [0xc7, 0x03, 0xc0, 0x7f, 0, 0, 0x0f, 0xae, 0x13, 0x0f, 0xae, 0x5b, 0x04, 0x0f, 0x10, 0x4b, 0x10, 0x0f, 0x57, 0xc9, 0x0f, 0x11, 0x4b, 0x20],
  },
  // movdqa xmm0, [rbx+16] ; paddq xmm0, xmm0 ; movdqa [rbx+32], xmm0 ; movd eax, xmm0
  { name: 'SSE2', leaf: 1, reg: 'edx', bit: 26, arches: BOTH, code: [0x66, 0x0f, 0x6f, 0x43, 0x10, 0x66, 0x0f, 0xd4, 0xc0, 0x66, 0x0f, 0x7f, 0x43, 0x20, 0x66, 0x0f, 0x7e, 0xc0] },
  // movdqa xmm0, [rbx+16] ; movdqa xmm1, [rbx+32] ; haddps xmm0, xmm1 ; movddup xmm1, xmm0 ; movdqa [rbx+48], xmm0 ; movdqa [rbx+64], xmm1
  {
    name: 'SSE3', leaf: 1, reg: 'ecx', bit: 0, arches: BOTH,
    code: [0x66, 0x0f, 0x6f, 0x43, 0x10, 0x66, 0x0f, 0x6f, 0x4b, 0x20, 0xf2, 0x0f, 0x7c, 0xc1, 0xf2, 0x0f, 0x12, 0xc8, 0x66, 0x0f, 0x7f, 0x43, 0x30, 0x66, 0x0f, 0x7f, 0x4b, 0x40],
  },
  // movdqa xmm0, [rbx+16] ; pshufb xmm0, [rbx+32] ; palignr xmm0, [rbx+48], 5 ; movdqa [rbx+64], xmm0
  {
    name: 'SSSE3', leaf: 1, reg: 'ecx', bit: 9, arches: BOTH,
    code: [0x66, 0x0f, 0x6f, 0x43, 0x10, 0x66, 0x0f, 0x38, 0x00, 0x43, 0x20, 0x66, 0x0f, 0x3a, 0x0f, 0x43, 0x30, 0x05, 0x66, 0x0f, 0x7f, 0x43, 0x40],
  },
  // movdqa xmm0, [rbx+16] ; pminsd xmm0, [rbx+32] ; pmovzxbw xmm1, [rbx+48] ; ptest xmm0, xmm1 ; setz cl ; pextrb eax, xmm0, 1 ;
  // movdqa [rbx+64], xmm1
  {
    name: 'SSE4.1', leaf: 1, reg: 'ecx', bit: 19, arches: BOTH,
    code: [0x66, 0x0f, 0x6f, 0x43, 0x10, 0x66, 0x0f, 0x38, 0x39, 0x43, 0x20, 0x66, 0x0f, 0x38, 0x30, 0x4b, 0x30, 0x66, 0x0f, 0x38, 0x17, 0xc1,
      0x0f, 0x94, 0xc1, 0x66, 0x0f, 0x3a, 0x14, 0xc0, 0x01, 0x66, 0x0f, 0x7f, 0x4b, 0x40],
  },
  // crc32 eax, ecx ; crc32 eax, byte [rbx] ; movdqa xmm0, [rbx+16] ; pcmpistri xmm0, [rbx+32], 0x0c ; pcmpgtq xmm0, [rbx+48]
  {
    name: 'SSE4.2', leaf: 1, reg: 'ecx', bit: 20, arches: BOTH,
    code: [0xf2, 0x0f, 0x38, 0xf1, 0xc1, 0xf2, 0x0f, 0x38, 0xf0, 0x03, 0x66, 0x0f, 0x6f, 0x43, 0x10, 0x66, 0x0f, 0x3a, 0x63, 0x43, 0x20, 0x0c,
      0x66, 0x0f, 0x38, 0x37, 0x43, 0x30],
  },
  // andn eax, ecx, edx ; blsr esi, eax ; bextr edi, eax, edx ; tzcnt ecx, eax
  { name: 'BMI1', leaf: 7, reg: 'ebx', bit: 3, arches: BOTH, code: [0xc4, 0xe2, 0x70, 0xf2, 0xc2, 0xc4, 0xe2, 0x48, 0xf3, 0xc8, 0xc4, 0xe2, 0x68, 0xf7, 0xf8, 0xf3, 0x0f, 0xbc, 0xc8] },
  // shlx eax, ecx, edx ; rorx esi, eax, 7 ; mulx edi, eax, ecx
  { name: 'BMI2', leaf: 7, reg: 'ebx', bit: 8, arches: BOTH, code: [0xc4, 0xe2, 0x69, 0xf7, 0xc1, 0xc4, 0xe3, 0x7b, 0xf0, 0xf0, 0x07, 0xc4, 0xe2, 0x7b, 0xf6, 0xf9] },
  // stc ; adcx eax, ecx ; adox edx, eax
  { name: 'ADX', leaf: 7, reg: 'ebx', bit: 19, arches: BOTH, code: [0xf9, 0x66, 0x0f, 0x38, 0xf6, 0xc1, 0xf3, 0x0f, 0x38, 0xf6, 0xd0] },
  // cmpxchg16b [rbx]
  { name: 'CX16', leaf: 1, reg: 'ecx', bit: 13, arches: X64, code: [0x48, 0x0f, 0xc7, 0x0b] },
  // lahf ; sahf (in long mode)
  { name: 'LAHF-LM', leaf: 0x80000001, reg: 'ecx', bit: 0, arches: X64, code: [0x9f, 0x80, 0xf4, 0x01, 0x9e] },
  // lzcnt eax, ecx
  { name: 'ABM (LZCNT)', leaf: 0x80000001, reg: 'ecx', bit: 5, arches: BOTH, code: [0xf3, 0x0f, 0xbd, 0xc1] },
  // prefetchw [rbx] ; prefetch [rbx+0x10000] (unmapped: a hint never faults)
  { name: 'PREFETCHW', leaf: 0x80000001, reg: 'ecx', bit: 8, arches: BOTH, code: [0x0f, 0x0d, 0x0b, 0x0f, 0x0d, 0x83, 0x00, 0x00, 0x01, 0x00] },
  // jmp to the data page: a fetch from a page without execute permission faults on both.
  { name: 'NX', leaf: 0x80000001, reg: 'edx', bit: 20, arches: BOTH, code: [0xff, 0xe3] },
  // rdtscp
  { name: 'RDTSCP', leaf: 0x80000001, reg: 'edx', bit: 27, arches: BOTH, code: [0x0f, 0x01, 0xf9] },
  // mov rax, imm64: 64-bit code runs.
  { name: 'LM', leaf: 0x80000001, reg: 'edx', bit: 29, arches: X64, code: [0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8] },
];

const CLEARED: Feature[] = [
  // fld1
  { name: 'FPU', leaf: 1, reg: 'edx', bit: 0, arches: BOTH, code: [0xd9, 0xe8] },
  // sysenter
  { name: 'SEP', leaf: 1, reg: 'edx', bit: 11, arches: BOTH, code: [0x0f, 0x34] },
  // emms ; paddb mm0, mm1
  { name: 'MMX', leaf: 1, reg: 'edx', bit: 23, arches: BOTH, code: [0x0f, 0x77] },
  { name: 'MMX', leaf: 1, reg: 'edx', bit: 23, arches: BOTH, code: [0x0f, 0xfc, 0xc1] },
  // popcnt eax, ecx: the core runs it, but libunicorn2's CPU raises #UD.
  { name: 'POPCNT', leaf: 1, reg: 'ecx', bit: 23, arches: BOTH, code: [0xf3, 0x0f, 0xb8, 0xc1], missingOn: 'unicorn' },
  // movbe eax, [rbx]: likewise.
  { name: 'MOVBE', leaf: 1, reg: 'ecx', bit: 22, arches: BOTH, code: [0x0f, 0x38, 0xf0, 0x03], missingOn: 'unicorn' },
  // syscall
  { name: 'SYSCALL', leaf: 0x80000001, reg: 'edx', bit: 11, arches: X64, code: [0x0f, 0x05] },
];

const bit = (f: Feature): number => (cpuidLeaf(f.leaf)[REG[f.reg]] >>> f.bit) & 1;

/** Runs code on a fresh machine: the exit, the general registers and the data page afterwards. */
function run(name: EngineName, arch: Arch, code: number[]): { exit: Exit; regs: bigint[]; data: Uint8Array } {
  const e = createEngine(name, arch);
  e.map(CODE, 0x1000, Prot.RX);
  e.map(DATA, 0x2000, Prot.RW);
  e.write(CODE, Uint8Array.from([...code, 0xcc]));
  const data = Uint8Array.from({ length: 0x2000 }, (_, i) => (i * 151 + 7) & 0xff);
  e.write(DATA, data);
  const regs = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'] as const;
  e.writeRegs(regs, [0x8000_0001n, 0x1234_5678n, 0x0f0f_0f0fn, DATA, DATA + 0x1800n, 0n, 0n, 0n]);
  const exit = e.run(CODE, 100);
  const out = { exit, regs: regs.map((r) => e.getReg(r)), data: e.read(DATA, 0x2000) };
  e.close();
  return out;
}

describe('CPUID', () => {
  it.each(KEPT.map((f) => [f.name, f] as const))('announces %s', (_n, f) => {
    expect(bit(f)).toBe(1);
  });
  it.each(CLEARED.map((f) => [f.name, f] as const))('does not announce %s', (_n, f) => {
    expect(bit(f)).toBe(0);
  });
  // Bits nothing here tests by an instruction: 1 GiB pages (no paging), MTRR and MCA (MSRs the kernel layer lacks).
  it('does not announce 1 GiB pages, MTRR or MCA', () => {
    expect((cpuidLeaf(0x80000001)[3] >>> 26) & 1).toBe(0);
    expect((cpuidLeaf(1)[3] >>> 12) & 1).toBe(0);
    expect((cpuidLeaf(1)[3] >>> 14) & 1).toBe(0);
  });
});

describe.skipIf(!requireEngines('CPUID features on both engines', 'unicorn', 'wasm'))('CPUID features on both engines', () => {
  const kept = KEPT.flatMap((f) => f.arches.map((arch) => [f.name, arch, f] as const));
  it.each(kept)('%s (%s): the representative instruction runs the same on both', (_n, arch, f) => {
    const w = run('wasm', arch, f.code);
    const u = run('unicorn', arch, f.code);
    expect(w.exit.kind).not.toBe('unsupported');
    expect(w.exit).toEqual(u.exit);
    expect(w.regs).toEqual(u.regs);
    expect(Buffer.compare(w.data, u.data)).toBe(0);
  });

  const cleared = CLEARED.flatMap((f) => f.arches.map((arch) => [f.name, arch, f.missingOn ?? 'wasm', Buffer.from(f.code).toString('hex'), f] as const));
  it.each(cleared)('%s (%s): the %s engine does not execute %s', (_n, arch, missingOn, _hex, f) => {
    const exit = run(missingOn, arch, f.code).exit;
    if (missingOn === 'wasm') expect(exit).toMatchObject({ kind: 'unsupported', pc: CODE });
    else expect(exit).toEqual({ kind: 'interrupt', vector: 6, pc: CODE });
  });

  it.each(BOTH)('answers every leaf the same on both engines, from the table (%s)', (arch) => {
    const leaves = [0, 1, 2, 4, 7, 0xb, 0xd, 0xe, 0x40000000, 0x80000000, 0x80000001, 0x80000002, 0x80000008, 0x80000009];
    for (const leaf of leaves) {
      // mov eax, leaf ; mov ecx, 0 ; cpuid
      const code = [0xb8, leaf & 0xff, (leaf >>> 8) & 0xff, (leaf >>> 16) & 0xff, leaf >>> 24, 0xb9, 0, 0, 0, 0, 0x0f, 0xa2];
      const w = run('wasm', arch, code);
      const u = run('unicorn', arch, code);
      expect(w.regs, `leaf 0x${leaf.toString(16)}`).toEqual(u.regs);
      const [a, b, c, d] = cpuidLeaf(leaf).map((v) => BigInt(v >>> 0));
      expect([w.regs[0], w.regs[3], w.regs[1], w.regs[2]], `leaf 0x${leaf.toString(16)}`).toEqual([a, b, c, d]);
    }
  });
});
