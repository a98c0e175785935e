// Engine behaviour on tiny byte programs: exits, faults, fixed CPUID/RDTSC, exact instruction counts.
import { describe, expect, it } from 'vitest';
import { Prot, type Arch, type Engine } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { enginesHere } from '../helpers.js';
import { cpuidLeaf, tscAt } from '../../emu/cpuid.js';

const CODE = { x64: 0xfffff80000100000n, x86: 0x80100000n } as const;
const TRAP = { x64: 0xfffff80000200000n, x86: 0x80200000n } as const;
const STACK = { x64: 0xfffff80000300000n, x86: 0x80300000n } as const;

const engines = enginesHere('engine behaviour');

function machine(name: EngineName, arch: Arch, code: number[]): Engine {
  const e = createEngine(name, arch);
  e.map(CODE[arch], 0x1000, Prot.RX);
  e.map(TRAP[arch], 0x1000, Prot.RX);
  e.map(STACK[arch], 0x2000, Prot.RW);
  e.addTrapRange(TRAP[arch], TRAP[arch] + 0x1000n);
  e.write(CODE[arch], Uint8Array.from(code));
  e.setReg('rsp', STACK[arch] + 0x1800n);
  return e;
}

describe.each(engines)('%s engine', (name) => {
  it('stops with a trap exit when execution reaches a trap range, without running the trapped instruction', () => {
    // mov eax, 7 ; add eax, 5 ; ret   (the return address is in the trap page)
    const e = machine(name, 'x64', [0xb8, 7, 0, 0, 0, 0x83, 0xc0, 5, 0xc3]);
    const rsp = STACK.x64 + 0x1800n;
    e.write(rsp, new Uint8Array(new BigUint64Array([TRAP.x64 + 0x10n]).buffer));
    const exit = e.run(CODE.x64, 0);
    expect(exit).toEqual({ kind: 'trap', address: TRAP.x64 + 0x10n });
    expect(e.getReg('rax')).toBe(12n);
    expect(e.instructions).toBe(3);
    e.close();
  });

  it('reports a read of unmapped memory as a fault naming the address and the faulting instruction', () => {
    // mov rax, 0x1234 ; mov rbx, [rax]
    const e = machine(name, 'x64', [0x48, 0xc7, 0xc0, 0x34, 0x12, 0, 0, 0x48, 0x8b, 0x18]);
    const exit = e.run(CODE.x64, 0);
    expect(exit).toEqual({ kind: 'fault', access: 'read', address: 0x1234n, pc: CODE.x64 + 7n, reason: 'unmapped' });
    e.close();
  });

  it('reports a write to a read-only page as a protection fault', () => {
    // mov rax, CODE ; mov [rax], eax
    const e = machine(name, 'x86', [0xb8, ...[0x00, 0x00, 0x10, 0x80], 0x89, 0x00]);
    const exit = e.run(CODE.x86, 0);
    expect(exit).toMatchObject({ kind: 'fault', access: 'write', address: CODE.x86, pc: CODE.x86 + 5n, reason: 'protection' });
    e.close();
  });

  it('reports int3 as interrupt 3 at the int3 instruction', () => {
    const e = machine(name, 'x64', [0x90, 0xcc]);
    expect(e.run(CODE.x64, 0)).toEqual({ kind: 'interrupt', vector: 3, pc: CODE.x64 + 1n });
    e.close();
  });

  it('reports ud2 as #UD (vector 6)', () => {
    const e = machine(name, 'x86', [0x90, 0x0f, 0x0b]);
    expect(e.run(CODE.x86, 0)).toMatchObject({ kind: 'interrupt', vector: 6, pc: CODE.x86 + 1n });
    e.close();
  });

  it('answers CPUID from the fixed table', () => {
    // xor eax, eax ; cpuid ; int3
    const e = machine(name, 'x64', [0x31, 0xc0, 0x0f, 0xa2, 0xcc]);
    e.run(CODE.x64, 0);
    const [a, b, c, d] = cpuidLeaf(0);
    expect([e.getReg('rax'), e.getReg('rbx'), e.getReg('rcx'), e.getReg('rdx')]).toEqual([a, b, c, d].map((v) => BigInt(v)));
    e.close();
  });

  it('derives RDTSC from the instruction count', () => {
    // nop ; nop ; rdtsc ; int3
    const e = machine(name, 'x86', [0x90, 0x90, 0x0f, 0x31, 0xcc]);
    e.run(CODE.x86, 0);
    const tsc = tscAt(2);
    expect(e.getReg('rax')).toBe(tsc & 0xffffffffn);
    expect(e.getReg('rdx')).toBe(tsc >> 32n);
    e.close();
  });

  it('stops with a budget exit after exactly the budgeted number of instructions', () => {
    // loop: inc eax ; jmp loop
    const e = machine(name, 'x64', [0xff, 0xc0, 0xeb, 0xfc]);
    const exit = e.run(CODE.x64, 1001);
    expect(exit.kind).toBe('budget');
    expect(e.instructions).toBe(1001);
    expect(e.getReg('rax')).toBe(501n);
    e.close();
  });

  it('reads fs:[0] through the fs base on x86', () => {
    // mov eax, fs:[4] ; int3
    const e = machine(name, 'x86', [0x64, 0xa1, 4, 0, 0, 0, 0xcc]);
    e.write(STACK.x86 + 4n, Uint8Array.from([0x78, 0x56, 0x34, 0x12]));
    e.setReg('fsBase', STACK.x86);
    e.run(CODE.x86, 0);
    expect(e.getReg('rax')).toBe(0x12345678n);
    e.close();
  });

  it('reads gs:[0x10] through the gs base on x64', () => {
    // mov rax, gs:[0x10] ; int3
    const e = machine(name, 'x64', [0x65, 0x48, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0, 0xcc]);
    e.write(STACK.x64 + 0x10n, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    e.setReg('gsBase', STACK.x64);
    e.run(CODE.x64, 0);
    expect(e.getReg('rax')).toBe(0x0807060504030201n);
    e.close();
  });
});
