// Privilege levels on every engine: at CPL3 only user pages are reachable, privileged instructions, cli and sti
// exit for the kernel layer to raise #GP, popf keeps IF, and a return to CPL0 makes every page reachable again.
import { describe, expect, it } from 'vitest';
import { Prot, type Arch, type Engine } from '../../emu/engine.js';
import { createEngine, type EngineName } from '../../emu/index.js';
import { enginesHere } from '../helpers.js';

const USER_CODE = { x64: 0x400000n, x86: 0x400000n } as const;
const USER_DATA = { x64: 0x500000n, x86: 0x500000n } as const;
const KERNEL_DATA = { x64: 0xfffff80000300000n, x86: 0x80300000n } as const;

const engines = enginesHere('CPL3');

function machine(name: EngineName, arch: Arch, code: number[]): Engine {
  const e = createEngine(name, arch);
  e.map(USER_CODE[arch], 0x1000, Prot.RX | Prot.User);
  e.map(USER_DATA[arch], 0x2000, Prot.RW | Prot.User);
  e.map(KERNEL_DATA[arch], 0x1000, Prot.RW);
  e.write(USER_CODE[arch], Uint8Array.from([...code, 0xcc]));
  e.setReg('rsp', USER_DATA[arch] + 0x1800n);
  return e;
}

/** mov rax, imm64 (x64) / mov eax, imm32 (x86). */
function movAx(arch: Arch, v: bigint): number[] {
  const b = (n: number) => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
  return arch === 'x64' ? [0x48, 0xb8, ...b(8)] : [0xb8, ...b(4)];
}

describe.each(engines)('%s engine', (name) => {
  describe.each(['x64', 'x86'] as const)('%s', (arch) => {
    it('starts at CPL0 and lets CPL0 code read supervisor and user pages alike', () => {
      // mov rax, KERNEL_DATA ; mov ecx, [rax] ; int3
      const e = machine(name, arch, [...movAx(arch, KERNEL_DATA[arch]), 0x8b, 0x08]);
      e.write(KERNEL_DATA[arch], Uint8Array.from([0x78, 0x56, 0x34, 0x12]));
      expect(e.cpl).toBe(0);
      expect(e.run(USER_CODE[arch], 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
      expect(e.getReg('rcx') & 0xffffffffn).toBe(0x12345678n);
      e.close();
    });

    it('faults with reason protection when CPL3 code reads a supervisor page', () => {
      const e = machine(name, arch, [...movAx(arch, KERNEL_DATA[arch]), 0x8b, 0x08]);
      e.setCpl(3);
      const pc = USER_CODE[arch] + BigInt(arch === 'x64' ? 10 : 5);
      expect(e.run(USER_CODE[arch], 0)).toEqual({ kind: 'fault', access: 'read', address: KERNEL_DATA[arch], pc, reason: 'protection' });
      e.close();
    });

    it('faults on a CPL3 write to a supervisor page and leaves it unchanged', () => {
      // mov rax, KERNEL_DATA ; mov dword [rax], ecx
      const e = machine(name, arch, [...movAx(arch, KERNEL_DATA[arch]), 0x89, 0x08]);
      e.setReg('rcx', 0xdeadn);
      e.setCpl(3);
      expect(e.run(USER_CODE[arch], 0)).toMatchObject({ kind: 'fault', access: 'write', reason: 'protection' });
      expect([...e.read(KERNEL_DATA[arch], 4)]).toEqual([0, 0, 0, 0]);
      e.close();
    });

    it('faults on a CPL3 jump into supervisor code, even code that already ran at CPL0', () => {
      const kcode = KERNEL_DATA[arch];
      const e = machine(name, arch, [...movAx(arch, kcode), 0xff, 0xe0]); // jmp rax
      e.protect(kcode, 0x1000, Prot.RWX);
      e.write(kcode, Uint8Array.from([0x90, 0xcc])); // nop ; int3
      expect(e.run(kcode, 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
      e.setCpl(3);
      expect(e.run(USER_CODE[arch], 0)).toMatchObject({ kind: 'fault', access: 'fetch', address: kcode, reason: 'protection' });
      e.close();
    });

    it('exits as privileged on cli, sti, hlt and mov from cr0 at CPL3, without running them', () => {
      for (const code of [[0xfa], [0xfb], [0xf4], [0x0f, 0x20, 0xc0]]) {
        const e = machine(name, arch, code);
        e.setCpl(3);
        const flags = e.getReg('rflags');
        expect(e.run(USER_CODE[arch], 0)).toEqual({ kind: 'privileged', pc: USER_CODE[arch] });
        expect(e.getReg('rip')).toBe(USER_CODE[arch]);
        expect(e.getReg('rflags') & 0x200n).toBe(flags & 0x200n);
        e.close();
      }
    });

    it('keeps IF when CPL3 code pops flags that clear it', () => {
      // pushf ; and dword [rsp], ~0x200 ; popf ; int3
      const e = machine(name, arch, [0x9c, 0x81, 0x24, 0x24, 0xff, 0xfd, 0xff, 0xff, 0x9d]);
      e.setReg('rflags', 0x202n);
      e.setCpl(3);
      expect(e.run(USER_CODE[arch], 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
      expect(e.getReg('rflags') & 0x200n).toBe(0x200n);
      e.close();
    });

    it('reaches supervisor pages again after returning to CPL0', () => {
      const e = machine(name, arch, [...movAx(arch, KERNEL_DATA[arch]), 0x8b, 0x08]);
      e.setCpl(3);
      expect(e.run(USER_CODE[arch], 0).kind).toBe('fault');
      e.setCpl(0);
      expect(e.run(USER_CODE[arch], 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
      e.close();
    });
  });
});
