// Page faults and interrupts as exits: access kind, address, pc, reason, the state left behind, and the counts.
import { describe, expect, it } from 'vitest';
import { Prot, type Arch, type Engine } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { enginesHere } from '../helpers.js';

const CODE = 0x100000n;
const DATA = 0x200000n;
const engines = enginesHere('faults');

function machine(name: EngineName, arch: Arch, code: number[]): Engine {
  const e = createEngine(name, arch);
  e.map(CODE, 0x1000, Prot.RX);
  e.map(DATA, 0x1000, Prot.RW);
  e.map(DATA + 0x1000n, 0x1000, Prot.Read);
  e.write(CODE, Uint8Array.from(code));
  e.setReg('rsp', DATA + 0x800n);
  return e;
}

describe.each(engines)('%s engine: faults', (name) => {
  it('reports a write to a read-only page as a write protection fault and leaves the registers as they were', () => {
    // mov rax, DATA+0x1000 ; add [rax], rbx ; int3
    const e = machine(name, 'x64', [0x48, 0xb8, ...le(DATA + 0x1000n, 8), 0x48, 0x01, 0x18, 0xcc]);
    e.setReg('rflags', 0x2n);
    e.setReg('rbx', 5n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'write', address: DATA + 0x1000n, pc: CODE + 10n, reason: 'protection' });
    expect(e.getReg('rip')).toBe(CODE + 10n);
    expect(e.getReg('rflags')).toBe(0x2n);
    // The faulting instruction is counted, as Unicorn counts it.
    expect(e.instructions).toBe(2);
    e.close();
  });

  it('reports a read of an unmapped page as a read fault', () => {
    // mov eax, [ebx] (x86)
    const e = machine(name, 'x86', [0x8b, 0x03]);
    e.setReg('rbx', 0x5000n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'read', address: 0x5000n, pc: CODE, reason: 'unmapped' });
    e.close();
  });

  it('reports a read crossing into an unmapped page at the first byte of that page', () => {
    // mov eax, [rbx] with rbx two bytes before the end of the read-only page
    const e = machine(name, 'x64', [0x8b, 0x03]);
    e.setReg('rbx', DATA + 0x1ffen);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'read', address: DATA + 0x2000n, pc: CODE, reason: 'unmapped' });
    e.close();
  });

  it('reports a write crossing into a read-only page at its last byte, after storing the bytes before the page end', () => {
    // mov [rbx], eax with rbx two bytes before the end of the read-write page
    const e = machine(name, 'x64', [0x89, 0x03]);
    e.setReg('rbx', DATA + 0xffen);
    e.setReg('rax', 0x44332211n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'write', address: DATA + 0x1001n, pc: CODE, reason: 'protection' });
    expect([...e.read(DATA + 0xffen, 4)]).toEqual([0x11, 0x22, 0, 0]);
    e.close();
  });

  it('reports a fetch from a non-executable page as a fetch protection fault at that address', () => {
    // jmp rbx (into the data page)
    const e = machine(name, 'x64', [0xff, 0xe3]);
    e.setReg('rbx', DATA + 0x10n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'fetch', address: DATA + 0x10n, pc: DATA + 0x10n, reason: 'protection' });
    e.close();
  });

  it('reports a push onto an unmapped stack as a write fault with rsp unchanged', () => {
    const e = machine(name, 'x64', [0x50]);
    e.setReg('rsp', 0x10n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'write', address: 0x8n, pc: CODE, reason: 'unmapped' });
    expect(e.getReg('rsp')).toBe(0x10n);
    e.close();
  });

  it('reports a division overflow as #DE at the div, which is counted', () => {
    // mov edx, 1 ; mov ecx, 1 ; div ecx  (edx:eax / 1 does not fit 32 bits)
    const e = machine(name, 'x86', [0xba, 1, 0, 0, 0, 0xb9, 1, 0, 0, 0, 0xf7, 0xf1]);
    expect(e.run(CODE, 0)).toEqual({ kind: 'interrupt', vector: 0, pc: CODE + 10n });
    expect(e.getReg('rip')).toBe(CODE + 10n);
    expect(e.instructions).toBe(3);
    e.close();
  });

  it('reports int 2c at the instruction and leaves rip after it', () => {
    const e = machine(name, 'x64', [0x90, 0xcd, 0x2c]);
    expect(e.run(CODE, 0)).toEqual({ kind: 'interrupt', vector: 0x2c, pc: CODE + 1n });
    expect(e.getReg('rip')).toBe(CODE + 3n);
    e.close();
  });
});

describe.each(engines)('%s engine: rep string counts', (name) => {
  it('counts each rep movsb iteration and one more for the entry that finds rcx zero', () => {
    const e = machine(name, 'x64', [0xf3, 0xa4, 0xcc]);
    e.setReg('rcx', 5n);
    e.setReg('rsi', DATA);
    e.setReg('rdi', DATA + 0x100n);
    e.run(CODE, 0);
    expect(e.instructions).toBe(7);
    expect(e.getReg('rdi')).toBe(DATA + 0x105n);
    e.close();
  });

  it('counts no extra entry when repe cmpsb stops on a difference', () => {
    const e = machine(name, 'x64', [0xf3, 0xa6, 0xcc]);
    e.write(DATA + 0x102n, Uint8Array.of(1));
    e.setReg('rcx', 5n);
    e.setReg('rsi', DATA);
    e.setReg('rdi', DATA + 0x100n);
    e.run(CODE, 0);
    expect(e.instructions).toBe(4);
    expect(e.getReg('rcx')).toBe(2n);
    e.close();
  });

  it('stops a rep stosd in the middle when the budget runs out, at the rep instruction', () => {
    const e = machine(name, 'x86', [0xf3, 0xab, 0xcc]);
    e.setReg('rcx', 5n);
    e.setReg('rdi', DATA);
    expect(e.run(CODE, 3)).toEqual({ kind: 'budget', pc: CODE });
    expect(e.getReg('rcx')).toBe(2n);
    // (A budget, not 0: libunicorn2 spends seconds in an unlimited run that resumes a rep it stopped.)
    expect(e.run(CODE, 100)).toEqual({ kind: 'interrupt', vector: 3, pc: CODE + 2n });
    expect(e.instructions).toBe(7);
    e.close();
  });

  it('leaves rcx, rsi and rdi of the completed iterations when a rep movsb faults', () => {
    const e = machine(name, 'x64', [0xf3, 0xa4]);
    e.setReg('rcx', 5n);
    e.setReg('rsi', DATA + 0x1ffen);
    e.setReg('rdi', DATA + 0x100n);
    expect(e.run(CODE, 0)).toEqual({ kind: 'fault', access: 'read', address: DATA + 0x2000n, pc: CODE, reason: 'unmapped' });
    expect([e.getReg('rcx'), e.getReg('rdi'), e.instructions]).toEqual([3n, DATA + 0x102n, 3]);
    e.close();
  });
});

function le(v: bigint, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}
