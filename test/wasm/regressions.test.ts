// Mismatches the differential test found, fixed in the wasm core, kept as written-out cases (bench/difftest.ts).
import { describe, expect, it } from 'vitest';
import { requireEngines } from '../helpers.js';
import { replay, type FixedCase } from '../../bench/difftest.js';
import { Prot } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';

/**
 * what: the instruction the case is about. A case may be a short sequence (xmm registers are not compared, so
 * movups loads fill them first and movups stores show them in the window): first is then the disassembly of its
 * first instruction, which replay() reports.
 */
const CASES: (FixedCase & { what: string; why: string; first?: string })[] = [
  {
    what: 'data16 leave',
    why: 'with a 32-bit stack, leave sets all of esp from ebp before its 16-bit pop (the wasm core kept esp\'s high half)',
    arch: 'x86', seed: 20261127, rflags: 0x8d7n,
    bytes: [0x66, 0xc9],
    regs: { rax: 0x8601978en, rcx: 0x0001302fn, rdx: 0x68b237d6n, rbx: 0x2c7127cfn, rsp: 0x00011368n, rbp: 0x00636b64n, rsi: 0x4157277cn, rdi: 0x71b5fe7cn, r8: 0x561b753bn, r9: 0x13n, r10: 0x00010a8dn, r11: 0x00013271n, r12: 0x00012fb1n, r13: 0x39n, r14: 0x1e3c4850n, r15: 0x0f97badbn },
  },
  {
    what: 'pop r15',
    why: 'REX.W overrides 66 for push/pop: a 64-bit pop, not a 16-bit one',
    arch: 'x64', seed: 1, rflags: 0x882n,
    bytes: [0x66, 0x4f, 0x5f],
    regs: { rax: 0x4ba152e9c63b4ddbn, rcx: 0x8b2624a98c798903n, rdx: 0x4837f8fbc267078fn, rbx: 0xb1a13b61147687ffn, rsp: 0x111e2n, rbp: 0x7bn, rsi: 0x3fn, rdi: 0xc66f419f61311875n, r8: 0x85n, r9: 0xbfn, r10: 0x8755414b90bfeed6n, r11: 0x139a2n, r12: 0x120e1n, r13: 0x2d8dc2f674d8e0can, r14: 0x40n, r15: 0x12c60n },
  },
  {
    what: 'push r15',
    why: 'REX.W overrides 66 for push/pop: a 64-bit push',
    arch: 'x64', seed: 1, rflags: 0xc52n,
    bytes: [0x66, 0x4f, 0x57],
    regs: { rax: 0x85n, rcx: 0x84n, rdx: 0x2464c5a94277af1en, rbx: 0x1fn, rsp: 0x115e0n, rbp: 0x9an, rsi: 0x958ec5e15cc36fbcn, rdi: 0x411b641bb72c846an, r8: 0x106f2n, r9: 0x10e5an, r10: 0xafn, r11: 0x23n, r12: 0xf666d2e12cfba108n, r13: 0x21n, r14: 0xb5a3aeeeed42cb64n, r15: 0x7dn },
  },
  {
    what: 'rcl dword ptr [r14-5F3D14D6h],1',
    why: 'rcl/rcr flags stay changed when the store faults (Unicorn computes them first)',
    arch: 'x64', seed: 1, rflags: 0x892n,
    bytes: [0x43, 0xd1, 0x96, 0x2a, 0xeb, 0xc2, 0xa0],
    regs: { rax: 0x693f1b6e5ba8809dn, rcx: 0x13505n, rdx: 0x65n, rbx: 0xffffffffffffffffn, rsp: 0x114c8n, rbp: 0x7fffffffn, rsi: 0x1387dn, rdi: 0xe1n, r8: 0xfc20aa21765a0498n, r9: 0xffffffffn, r10: 0x80n, r11: 0x10cf5n, r12: 0xb5n, r13: 0x11259n, r14: 0x5f3e4663n, r15: 0xa159ac07675165bfn },
  },
  {
    what: 'rcr byte ptr [rbx+52h],1',
    why: 'the same for rcr',
    arch: 'x64', seed: 1, rflags: 0x407n,
    bytes: [0x46, 0xd0, 0x5b, 0x52],
    regs: { rax: 0x124d2n, rcx: 0x7edea637269fae46n, rdx: 0x122ean, rbx: 0x135b6n, rsp: 0x11260n, rbp: 0x169544b3d6d4928n, rsi: 0xafn, rdi: 0x7485292aff4913n, r8: 0x608382ed23f0f81an, r9: 0xc6n, r10: 0x41n, r11: 0x1210en, r12: 0xeadbb471a3903936n, r13: 0xb7d40273461fb9d5n, r14: 0xeca7a74c0811a07n, r15: 0xc455c1529124eca2n },
  },
  {
    what: 'rep stosd [rdi]',
    why: 'a store crossing into a read-only page writes the bytes before the page end',
    arch: 'x64', seed: 2, rflags: 0x57n,
    bytes: [0xf3, 0xab],
    regs: { rax: 0xa0a026f3af30a8d1n, rcx: 0x3en, rdx: 0xffffffffffffffffn, rbx: 0xa753ac35f54bfa9cn, rsp: 0x11388n, rbp: 0xab0198c778d4225cn, rsi: 0x13a38n, rdi: 0x12fe2n, r8: 0x81d9db8ccdc62686n, r9: 0x8fn, r10: 0x7fffffffn, r11: 0x17n, r12: 0xffffn, r13: 0xdf18e2744d49b36n, r14: 0x6ad02dba642f619bn, r15: 0xffffn },
  },
  {
    what: 'btc [r15d+2065C3FBh],r11',
    why: 'bt with a register offset: the moved address wraps at the address size',
    arch: 'x64', seed: 2, rflags: 0x853n,
    bytes: [0x66, 0x67, 0xf2, 0x4d, 0xf, 0xbb, 0x9f, 0xfb, 0xc3, 0x65, 0x20],
    regs: { rax: 0x128e7n, rcx: 0xb33178e7bc8c6716n, rdx: 0x1n, rbx: 0x1188en, rsp: 0x110d8n, rbp: 0xe925f57d9fd93c96n, rsi: 0x14n, rdi: 0x5715cc999f780682n, r8: 0x8000000000000000n, r9: 0x10c29n, r10: 0x0n, r11: 0xe2f7eb20341ef913n, r12: 0xbfn, r13: 0x13ae1n, r14: 0x139a2n, r15: 0xdf9b594an },
  },
  {
    what: 'cmpsb [si],[di]',
    why: 'cmps reads es:[di] first (it decides which fault is reported); 16-bit addressing',
    arch: 'x86', seed: 5, rflags: 0x413n,
    bytes: [0x67, 0xa6],
    regs: { rax: 0xcbb1d0cdn, rcx: 0x29n, rdx: 0x1fn, rbx: 0x34n, rsp: 0x11190n, rbp: 0xffffn, rsi: 0x12746n, rdi: 0x13a34n, r8: 0x1fn, r9: 0x13c79n, r10: 0x2867139dn, r11: 0x7fffffffn, r12: 0x3fn, r13: 0xf3f2fe66n, r14: 0x0n, r15: 0x12269n },
  },
  // The half-register SSE moves 0F 12/13/16/17 (gcc -O2 builds 16-byte pairs with movq + movhps). Registers: rsi
  // and rdi point into the window's read-write pages (its bytes come from the seed), the rest are zero.
  {
    what: 'movlps xmm0,[rsi+8]', first: 'movups xmm0,[rsi+40h]',
    why: 'movlps loads the low qword and keeps the high one (then movups [rdi],xmm0)',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x46, 0x40, 0x0f, 0x12, 0x46, 0x08, 0x0f, 0x11, 0x07],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movlpd xmm3,[rsi+rcx*8+10h]', first: 'movups xmm3,[rsi+40h]',
    why: '66 0F 12 with a memory operand: movlpd, the same move',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x5e, 0x40, 0x66, 0x0f, 0x12, 0x5c, 0xce, 0x10, 0x0f, 0x11, 0x1f],
    regs: { rsi: 0x10100n, rdi: 0x10800n, rcx: 5n },
  },
  {
    what: 'movhlps xmm1,xmm0', first: 'movups xmm0,[rsi]',
    why: 'the register form of 0F 12: the destination\'s low qword from the source\'s high one, its high qword kept',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x06, 0x0f, 0x10, 0x4e, 0x10, 0x0f, 0x12, 0xc8, 0x0f, 0x11, 0x0f, 0x0f, 0x11, 0x47, 0x10],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movlps [rdi+8],xmm2', first: 'movups xmm2,[rsi+30h]',
    why: 'movlps stores the low qword (8 bytes, nothing around them)',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x56, 0x30, 0x0f, 0x13, 0x57, 0x08],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movlpd [rdi],xmm5', first: 'movups xmm5,[rsi+30h]',
    why: '66 0F 13: movlpd, the same store',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x6e, 0x30, 0x66, 0x0f, 0x13, 0x2f],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movhps xmm0,[10400h]', first: 'movq xmm0,[rsi]',
    why: 'gcc\'s 16-byte pair: movq the low qword, movhps the high one rip-relative, then movups [rdi],xmm0',
    arch: 'x64', seed: 1, rflags: 0x2n,
    // movhps at 0x400084, 7 bytes: rip+0xffc10375 is 0x10400.
    bytes: [0xf3, 0x0f, 0x7e, 0x06, 0x0f, 0x16, 0x05, 0x75, 0x03, 0xc1, 0xff, 0x0f, 0x11, 0x07],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movhpd xmm9,[r8]', first: 'movups xmm9,[rsi+20h]',
    why: '66 0F 16 with REX.R and REX.B: xmm9\'s high qword from [r8] (misaligned), its low one kept',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x44, 0x0f, 0x10, 0x4e, 0x20, 0x66, 0x45, 0x0f, 0x16, 0x08, 0x44, 0x0f, 0x11, 0x0f],
    regs: { rsi: 0x10100n, rdi: 0x10800n, r8: 0x10a03n },
  },
  {
    what: 'movlhps xmm12,xmm11', first: 'movups xmm12,[rsi]',
    why: 'the register form of 0F 16 with REX.R and REX.B: the high qword from the source\'s low one',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x44, 0x0f, 0x10, 0x26, 0x44, 0x0f, 0x10, 0x5e, 0x10, 0x45, 0x0f, 0x16, 0xe3, 0x44, 0x0f, 0x11, 0x27],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movhlps xmm8,xmm15', first: 'movups xmm8,[rsi]',
    why: 'movhlps between xmm8-15',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x44, 0x0f, 0x10, 0x06, 0x44, 0x0f, 0x10, 0x7e, 0x10, 0x45, 0x0f, 0x12, 0xc7, 0x44, 0x0f, 0x11, 0x07],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movhps [rdi+3],xmm14', first: 'movups xmm14,[rsi+50h]',
    why: 'movhps stores the high qword (misaligned: no alignment check)',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x44, 0x0f, 0x10, 0x76, 0x50, 0x44, 0x0f, 0x17, 0x77, 0x03],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movhpd [r9],xmm1', first: 'movups xmm1,[rsi+60h]',
    why: '66 0F 17 with REX.B, the last 8 bytes of the read-write pages',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x4e, 0x60, 0x66, 0x41, 0x0f, 0x17, 0x09],
    regs: { rsi: 0x10100n, rdi: 0x10800n, r9: 0x12ff8n },
  },
  {
    what: 'movhps [rdi],xmm0', first: 'movups xmm0,[rsi]',
    why: 'a store into the read-only page faults as a write, nothing written',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x06, 0x0f, 0x17, 0x07],
    regs: { rsi: 0x10100n, rdi: 0x13010n },
  },
  {
    what: 'movlps [rdi],xmm0', first: 'movups xmm0,[rsi]',
    why: 'a store crossing into the read-only page',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x06, 0x0f, 0x13, 0x07],
    regs: { rsi: 0x10100n, rdi: 0x12ffcn },
  },
  {
    what: 'movlps xmm0,[rsi]',
    why: 'a load crossing the window\'s end into unmapped memory faults as a read',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x12, 0x06],
    regs: { rsi: 0x13ffcn },
  },
  {
    what: 'movhpd xmm0,[rsi]',
    why: 'a load from unmapped memory faults as a read',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x66, 0x0f, 0x16, 0x06],
    regs: { rsi: 0x14000n },
  },
  {
    what: '(bad)',
    why: '0F 13 (movlps m64, xmm) has no register form: #UD',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x13, 0xc1],
    regs: {},
  },
  {
    what: '(bad)',
    why: '66 0F 17 (movhpd m64, xmm) has no register form: #UD',
    arch: 'x64', seed: 1, rflags: 0x2n,
    bytes: [0x66, 0x0f, 0x17, 0xc1],
    regs: {},
  },
  {
    what: 'movhps xmm0,[esi+8]', first: 'movups xmm0,[esi+40h]',
    why: 'movhps in 32-bit mode (then movups [edi],xmm0)',
    arch: 'x86', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x46, 0x40, 0x0f, 0x16, 0x46, 0x08, 0x0f, 0x11, 0x07],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movlps xmm1,[10404h]', first: 'movups xmm1,[esi+10h]',
    why: 'movlps with a disp32-only operand in 32-bit mode',
    arch: 'x86', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x4e, 0x10, 0x0f, 0x12, 0x0d, 0x04, 0x04, 0x01, 0x00, 0x0f, 0x11, 0x0f],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movlhps xmm1,xmm0', first: 'movups xmm0,[esi]',
    why: 'movlhps in 32-bit mode',
    arch: 'x86', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x06, 0x0f, 0x10, 0x4e, 0x10, 0x0f, 0x16, 0xc8, 0x0f, 0x11, 0x0f],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: 'movlpd [edi],xmm7', first: 'movups xmm7,[esi+20h]',
    why: 'movlpd store in 32-bit mode',
    arch: 'x86', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x10, 0x7e, 0x20, 0x66, 0x0f, 0x13, 0x3f],
    regs: { rsi: 0x10100n, rdi: 0x10800n },
  },
  {
    what: '(bad)',
    why: '0F 17 (movhps m64, xmm) has no register form in 32-bit mode either: #UD',
    arch: 'x86', seed: 1, rflags: 0x2n,
    bytes: [0x0f, 0x17, 0xc1],
    regs: {},
  },
];

describe.skipIf(!requireEngines('difftest regressions', 'unicorn', 'wasm'))('difftest regressions', () => {
  it.each(CASES.map((c) => [`${c.arch} ${c.what}: ${c.why}`, c] as const))('%s', (_name, c) => {
    const r = replay(c);
    expect(r.text).toBe(c.first ?? c.what);
    expect(r.report).toBeNull();
  });
});

// Where the wasm core follows the Intel SDM and Unicorn does not (so no written-out comparison is possible).
describe.skipIf(!requireEngines('SDM-only decodings', 'wasm'))('wasm core: SDM decodings Unicorn differs on', () => {
  it.each([
    ['66 0F 12 /r (movlpd) with a register operand', [0x66, 0x0f, 0x12, 0xc1]],
    ['66 0F 16 /r (movhpd) with a register operand', [0x66, 0x0f, 0x16, 0xc1]],
  ] as const)('%s is #UD (Unicorn\'s QEMU runs it as movhlps/movlhps)', (_name, bytes) => {
    for (const arch of ['x64', 'x86'] as const) {
      const e = createEngine('wasm', arch);
      try {
        e.map(0x400000n, 0x1000, Prot.RX);
        e.write(0x400000n, Uint8Array.from([...bytes, 0xcc]));
        expect(e.run(0x400000n, 0)).toEqual({ kind: 'interrupt', vector: 6, pc: 0x400000n });
      } finally {
        e.close();
      }
    }
  });
});
