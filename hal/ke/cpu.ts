// The processor's privileged state as the kernel keeps it: control and debug registers, MSRs, descriptor tables.
//
// Every engine hands privileged and I/O instructions to the kernel layer (the 'privileged' exit): this decides
// their effect, the same on every engine, with what a Windows 10 machine shows a driver.

import { decodePrivileged, type MemoryOperand } from '../../emu/disasm.js';
import type { Reg } from '../../emu/engine.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex, kernelFaultBugcheck, GuestAccessError } from '../machine.js';
import { EngineMemoryError } from '../../emu/engine.js';
import { ports, type PortWidth } from '../hal/port.js';
import { tscAt } from '../../emu/cpuid.js';
import { setIrql } from './irql.js';

const STATUS_PRIVILEGED_INSTRUCTION = 0xc0000096n;

/** What a kernel driver finds in the control registers of a running Windows 10 machine. */
function initialCr(arch: 'x86' | 'x64'): Record<number, bigint> {
  return arch === 'x64'
    ? { 0: 0x80050033n, 2: 0n, 3: 0x1aa000n, 4: 0x350ef8n } // PG WP NE ET MP PE; PCIDE OSXSAVE SMEP FSGSBASE ... PAE
    : { 0: 0x80010033n, 2: 0n, 3: 0x185000n, 4: 0x406e9n }; // PG WP NE ET MP PE; PAE OSFXSR ...
}

export class CpuState {
  readonly cr: Record<number, bigint>;
  readonly dr: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0xffff0ff0n, 0x400n];
  readonly msr = new Map<number, bigint>();
  gdt: { base: bigint; limit: number };
  idt: { base: bigint; limit: number };
  /** x86: the fs base of the mode not running (the TEB while in the kernel, the KPCR while in user mode). */
  otherFsBase = 0n;

  constructor(private readonly k: Kernel) {
    this.cr = initialCr(k.arch);
    const x64 = k.arch === 'x64';
    // Descriptor tables: zeroed pages of kernel memory (x86's GDT is where the engine keeps its segment descriptors).
    this.gdt = { base: x64 ? k.systemAlloc(0x1000, 0x1000) : 0x8003f000n, limit: x64 ? 0x7f : 0x3ff };
    this.idt = { base: k.systemAlloc(0x1000, 0x1000), limit: x64 ? 0xfff : 0x7ff };
    const msr: [number, bigint][] = [
      [0x1b, 0xfee00900n], // IA32_APIC_BASE: BSP, enabled
      [0x3a, 0x5n], // IA32_FEATURE_CONTROL: locked, VMX outside SMX
      [0x17, 0n], // IA32_PLATFORM_ID
      [0x1a0, 0x850089n], // IA32_MISC_ENABLE
      [0x1d9, 0n], // IA32_DEBUGCTL
      [0x277, 0x0007010600070106n], // IA32_PAT
      [0x174, 0x8n], // IA32_SYSENTER_CS
      [0x175, 0n], // IA32_SYSENTER_ESP
      [0x176, x64 ? 0n : k.internalRoutine('KiFastCallEntry', 0, systemCallEntry)], // IA32_SYSENTER_EIP
      [0xc0000080, x64 ? 0xd01n : 0x800n], // IA32_EFER: SCE LME LMA NXE (x86: NXE)
    ];
    if (x64) {
      msr.push(
        [0xc0000081, 0x0023001000000000n], // STAR
        [0xc0000082, k.internalRoutine('KiSystemCall64', 0, systemCallEntry)], // LSTAR
        [0xc0000083, 0n], // CSTAR
        [0xc0000084, 0x4700n], // SFMASK
        [0xc0000102, 0n], // KERNEL_GS_BASE: the user gs base while in the kernel
        [0xc0000103, 0n], // TSC_AUX: processor 0
      );
    }
    for (const [i, v] of msr) this.msr.set(i, v);
  }

  readMsr(index: number): bigint | undefined {
    const e = this.k.m.engine;
    if (index === 0x10) return tscAt(e.instructions); // IA32_TIME_STAMP_COUNTER
    if (this.k.arch === 'x64' && index === 0xc0000100) return e.getReg('fsBase');
    if (this.k.arch === 'x64' && index === 0xc0000101) return e.getReg('gsBase');
    return this.msr.get(index);
  }

  writeMsr(index: number, value: bigint): boolean {
    const e = this.k.m.engine;
    if (this.k.arch === 'x64' && index === 0xc0000100) e.setReg('fsBase', value);
    else if (this.k.arch === 'x64' && index === 0xc0000101) e.setReg('gsBase', value);
    else if (this.msr.has(index)) this.msr.set(index, value);
    else return false;
    return true;
  }
}

/** The system-call entry points drivers can find through the MSRs: calling one is not something kdemu supports. */
function systemCallEntry(k: Kernel): bigint {
  throw new GuestStop('unsupported-call', `a jump to the system-call entry point (from the LSTAR/SYSENTER_EIP MSR) at ${k.symbolize(k.callerAddress())}`, {
    export: 'ntoskrnl.exe!KiSystemCall64',
  });
}

/** Emulates the privileged instruction at pc; returns where execution continues. */
export function emulatePrivileged(k: Kernel, pc: bigint): bigint {
  const m = k.m;
  const e = m.engine;
  let bytes: Uint8Array | null = null;
  for (let n = 15; n > 0 && !bytes; n--) bytes = m.tryRead(pc, n);
  const insn = bytes ? decodePrivileged(bytes, k.arch, pc) : undefined;
  const where = k.symbolize(pc);
  if (!insn) throw new GuestStop('unsupported-instruction', `the CPU engine handed over the instruction at ${where}, which kdemu cannot emulate`, { pc });
  if (k.trace.enabled) k.trace.emit({ type: 'cpu', instruction: insn.text, at: where });
  const cpu = k.cpu;
  const width = k.arch === 'x64' ? 64 : 32;
  const gp = (why: string): never => {
    // An unhandled #GP in kernel mode: KMODE_EXCEPTION_NOT_HANDLED with STATUS_PRIVILEGED_INSTRUCTION.
    throw new GuestStop('bugcheck', `${insn.text} at ${where}: ${why} (#GP)`, { pc, bugcheck: { code: 0x1e, params: [STATUS_PRIVILEGED_INSTRUCTION, pc, 0n, 0n] } });
  };
  const reg = (r: string) => e.getReg(r as Reg);
  const set = (r: string, v: bigint) => e.setReg(r as Reg, BigInt.asUintN(width, v));
  if (e.cpl === 3 && insn.op !== 'iret') {
    // User mode: every one of these is a #GP, which Windows turns into STATUS_PRIVILEGED_INSTRUCTION in the process.
    k.raiseUserException(STATUS_PRIVILEGED_INSTRUCTION, pc, `${insn.text} at ${where}: a privileged instruction in user mode`);
  }
  switch (insn.op) {
    case 'iret':
      return iret(k, insn.size, pc, where);
    case 'cli':
    case 'sti': {
      // The wasm core hands these over only at CPL3 (above); the Unicorn engine also does for code in user pages.
      const f = e.getReg('rflags');
      e.setReg('rflags', insn.op === 'cli' ? f & ~0x200n : f | 0x200n);
      break;
    }
    case 'mov-from-cr': {
      if (insn.n === 8) set(insn.reg, BigInt(k.irql));
      else if (insn.n in cpu.cr) set(insn.reg, cpu.cr[insn.n]);
      else gp(`cr${insn.n} does not exist`);
      break;
    }
    case 'mov-to-cr': {
      const v = reg(insn.reg);
      if (insn.n === 8) setIrql(k, Number(v & 0xfn)); // writing cr8 is how x64 code raises and lowers the IRQL inline
      else if (insn.n in cpu.cr && insn.n !== 2) cpu.cr[insn.n] = v;
      else if (insn.n === 2) cpu.cr[2] = v;
      else gp(`cr${insn.n} does not exist`);
      break;
    }
    case 'mov-from-dr':
      set(insn.reg, cpu.dr[insn.n & 7]);
      break;
    case 'mov-to-dr':
      cpu.dr[insn.n & 7] = reg(insn.reg);
      break;
    case 'rdmsr': {
      const index = Number(reg('rcx') & 0xffffffffn);
      const v = cpu.readMsr(index);
      if (v === undefined) gp(`MSR ${hex(index)} is not one kdemu's processor has`);
      set('rax', v! & 0xffffffffn);
      set('rdx', (v! >> 32n) & 0xffffffffn);
      break;
    }
    case 'wrmsr': {
      const index = Number(reg('rcx') & 0xffffffffn);
      const v = ((reg('rdx') & 0xffffffffn) << 32n) | (reg('rax') & 0xffffffffn);
      if (!cpu.writeMsr(index, v)) gp(`MSR ${hex(index)} is not one kdemu's processor has`);
      break;
    }
    case 'clts':
      cpu.cr[0] &= ~0x8n; // CR0.TS
      break;
    // Caches and TLBs have no effect a driver can observe on this machine.
    case 'invd':
    case 'wbinvd':
    case 'invlpg':
      break;
    case 'swapgs': {
      const user = cpu.msr.get(0xc0000102) ?? 0n;
      cpu.msr.set(0xc0000102, e.getReg('gsBase'));
      e.setReg('gsBase', user);
      break;
    }
    case 'sgdt':
    case 'sidt': {
      const t = insn.op === 'sgdt' ? cpu.gdt : cpu.idt;
      const a = effectiveAddress(k, insn.memory);
      m.setU16(a, t.limit);
      m.setPtr(a + 2n, t.base);
      break;
    }
    case 'lgdt':
    case 'lidt': {
      const a = effectiveAddress(k, insn.memory);
      const t = { limit: m.u16(a), base: m.ptr(a + 2n) };
      if (insn.op === 'lgdt') cpu.gdt = t;
      else cpu.idt = t;
      break;
    }
    case 'hlt':
      throw new GuestStop('deadlock', `hlt at ${where}: the processor waits for an interrupt and nothing in the machine raises one`, { pc });
    case 'in':
    case 'out':
    case 'ins':
    case 'outs':
      portInstruction(k, bytes!, pc, where);
      break;
  }
  return pc + BigInt(insn.length);
}

/**
 * in/out with an immediate port or dx, and ins/outs (with rep: rcx elements, up or down by the direction flag)
 * through the machine's port bus. Decoded from the bytes, since the prefixes decide it all: 66 the operand size,
 * 67 the address size, F2/F3 the repeat, 64/65 outs's source segment.
 */
function portInstruction(k: Kernel, bytes: Uint8Array, pc: bigint, where: string): void {
  const e = k.m.engine;
  const x64 = k.arch === 'x64';
  const bus = ports(k);
  let i = 0;
  let operand16 = false;
  let addressBits = x64 ? 64 : 32;
  let rep = false;
  let segmentBase = 0n;
  for (; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x66) operand16 = true;
    else if (b === 0x67) addressBits = x64 ? 32 : 16;
    else if (b === 0xf2 || b === 0xf3) rep = true;
    else if (b === 0x64) segmentBase = e.getReg('fsBase');
    else if (b === 0x65) segmentBase = e.getReg('gsBase');
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0xf0) continue; // flat segments; lock
    else if (x64 && (b & 0xf0) === 0x40) continue; // REX: in/out have no 64-bit form
    else break;
  }
  const op = bytes[i];
  const width: PortWidth = (op & 1) === 0 ? 1 : operand16 ? 2 : 4;
  const dx = Number(e.getReg('rdx') & 0xffffn);
  const rax = e.getReg('rax');
  const mask = (1n << BigInt(width * 8)) - 1n;
  switch (op) {
    case 0xe4: case 0xe5: case 0xec: case 0xed: {
      const v = BigInt(bus.read(op < 0xec ? bytes[i + 1] : dx, width, where));
      // A 32-bit result zero-extends into rax on x64; the 8- and 16-bit ones leave the rest of the register.
      e.setReg('rax', width === 4 ? v : (rax & ~mask) | v);
      return;
    }
    case 0xe6: case 0xe7: case 0xee: case 0xef:
      bus.write(op < 0xee ? bytes[i + 1] : dx, width, Number(rax & mask), where);
      return;
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
      break;
    default:
      throw new GuestStop('unsupported-instruction', `port I/O instruction at ${where} with opcode ${hex(op ?? 0, 2)}, which kdemu cannot decode`, { pc });
  }
  // String I/O: ins stores to es:[rdi], outs loads from ds:[rsi] (or the override); the registers step by the width.
  const input = op < 0x6e;
  const indexReg = input ? 'rdi' : 'rsi';
  const addrMask = (1n << BigInt(addressBits)) - 1n;
  const down = (e.getReg('rflags') & 0x400n) !== 0n;
  let index = e.getReg(indexReg) & addrMask;
  let count = rep ? e.getReg('rcx') & addrMask : 1n;
  const commit = () => {
    // 16-bit addressing changes only di/si and cx; 32- and 64-bit writes are whole (zero-extended) registers.
    const merge = (r: 'rdi' | 'rsi' | 'rcx', v: bigint) => e.setReg(r, addressBits === 16 ? (e.getReg(r) & ~addrMask) | (v & addrMask) : v & addrMask);
    merge(indexReg, index);
    if (rep) merge('rcx', count);
  };
  try {
    for (; count > 0n; ) {
      const address = BigInt.asUintN(x64 ? 64 : 32, (input ? 0n : segmentBase) + index);
      const le = new Uint8Array(width);
      if (input) {
        const v = bus.read(dx, width, where);
        for (let b = 0; b < width; b++) le[b] = (v >>> (8 * b)) & 0xff;
        k.m.actingAs(0, () => k.m.write(address, le));
      } else {
        const src = k.m.actingAs(0, () => k.m.read(address, width));
        let v = 0;
        for (let b = width - 1; b >= 0; b--) v = v * 256 + src[b];
        bus.write(dx, width, v, where);
      }
      index = (index + (down ? -BigInt(width) : BigInt(width))) & addrMask;
      if (!rep) break;
      count--;
    }
  } catch (err) {
    if (!(err instanceof EngineMemoryError)) throw err;
    // The string instruction's memory access faults as the instruction itself would (registers show its progress).
    commit();
    const reason = err instanceof GuestAccessError ? err.reason : 'unmapped';
    const bugcheck = kernelFaultBugcheck(err.address, err.access, reason, pc, k.irql, e.pageProt(err.address) !== undefined);
    throw new GuestStop('fault', `${input ? 'ins' : 'outs'} at ${where}: page fault: ${err.access} of ${hex(err.address)} (${reason === 'unmapped' ? 'not present' : 'protection'})`, {
      pc,
      fault: { access: err.access, address: err.address },
      bugcheck,
    });
  }
  commit();
}

/**
 * iret/iretd/iretq: pops the return address, CS and the flags, then (always in long mode; in 32-bit mode only on a
 * return to an outer level) the stack pointer and SS. The popped CS's requested privilege level becomes the CPL.
 */
function iret(k: Kernel, size: 2 | 4 | 8, pc: bigint, where: string): bigint {
  const m = k.m;
  const e = m.engine;
  const x64 = k.arch === 'x64';
  const sp = e.getReg('rsp');
  const at = (i: number): bigint => {
    const a = sp + BigInt(i * size);
    const v = m.tryRead(a, size);
    if (!v) throw new GuestStop('fault', `${where}: iret reads its frame from 0x${a.toString(16)}, which is not mapped`, { pc, fault: { access: 'read', address: a } });
    let r = 0n;
    for (let b = size - 1; b >= 0; b--) r = (r << 8n) | BigInt(v[b]);
    return r;
  };
  const ip = at(0);
  const cs = Number(at(1) & 0xffffn);
  const flags = at(2);
  const toCpl = (cs & 3) as 0 | 1 | 2 | 3;
  if (toCpl !== 0 && toCpl !== 3) throw new GuestStop('unsupported-instruction', `${where}: iret to privilege level ${toCpl}, which Windows never uses`, { pc });
  if (toCpl < e.cpl) {
    // An inner-level return from user mode: #GP, a privileged-instruction exception in the process.
    k.raiseUserException(STATUS_PRIVILEGED_INSTRUCTION, pc, `iret to CPL0 at ${where} from user mode`);
  }
  const outer = x64 || toCpl > e.cpl;
  const newSp = outer ? at(3) : sp + BigInt(3 * size);
  // IF and IOPL change only at CPL0 (IOPL stays 0); the reserved bit 1 is always set.
  const keep = e.cpl === 0 ? 0n : 0x3200n;
  const oldFlags = e.getReg('rflags');
  const mask = (size === 2 ? 0xffffn : 0x3f7fd7n) & ~keep;
  e.setReg('rflags', ((oldFlags & ~mask) | (flags & mask)) | 2n);
  e.setReg('rsp', BigInt.asUintN(x64 ? 64 : 32, newSp));
  if (toCpl !== e.cpl) k.switchMode(toCpl);
  return BigInt.asUintN(x64 ? 64 : 32, size === 2 ? ip & 0xffffn : ip);
}

function effectiveAddress(k: Kernel, mo: MemoryOperand): bigint {
  if (mo.ripRelative) return mo.displacement;
  const e = k.m.engine;
  let a = mo.displacement;
  if (mo.base) a += e.getReg(mo.base as Reg);
  if (mo.index) a += e.getReg(mo.index as Reg) * BigInt(mo.scale);
  return BigInt.asUintN(k.arch === 'x64' ? 64 : 32, a);
}
