// Disassembly of one instruction for crash reports (iced-x86), in Intel syntax like WinDbg's.

import { Decoder, DecoderOptions, Formatter, FormatterSyntax, Mnemonic, OpKind, Register } from 'iced-x86';
import type { Arch } from './engine.js';

let formatter: Formatter | undefined;

/** The instruction at ip decoded from bytes (up to 15), or undefined when they do not decode. */
export function disassemble(bytes: Uint8Array, arch: Arch, ip: bigint): { text: string; length: number } | undefined {
  if (bytes.length === 0) return undefined;
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const decoder = new Decoder(arch === 'x64' ? 64 : 32, bytes, DecoderOptions.None);
  decoder.ip = ip;
  const insn = decoder.decode();
  try {
    if (insn.isInvalid) return undefined;
    return { text: formatter.format(insn), length: insn.length };
  } finally {
    insn.free();
    decoder.free();
  }
}

/** The privileged and I/O instructions every engine hands to the kernel layer (the 'privileged' exit). */
const PRIVILEGED = new Set<number>([
  Mnemonic.Rdmsr, Mnemonic.Wrmsr, Mnemonic.In, Mnemonic.Out, Mnemonic.Insb, Mnemonic.Insw, Mnemonic.Insd,
  Mnemonic.Outsb, Mnemonic.Outsw, Mnemonic.Outsd, Mnemonic.Hlt, Mnemonic.Invd, Mnemonic.Wbinvd, Mnemonic.Clts,
  Mnemonic.Invlpg, Mnemonic.Swapgs, Mnemonic.Sgdt, Mnemonic.Sidt, Mnemonic.Lgdt, Mnemonic.Lidt,
  // Not privileged, but a return across privilege levels: the kernel layer performs it.
  Mnemonic.Iret, Mnemonic.Iretd, Mnemonic.Iretq,
]);
/** Privileged only at CPL3 (IOPL is 0 there). */
const USER_PRIVILEGED = new Set<number>([Mnemonic.Cli, Mnemonic.Sti]);

function controlOrDebug(r: Register): boolean {
  return (r >= Register.CR0 && r <= Register.CR15) || (r >= Register.DR0 && r <= Register.DR15);
}

/** Whether the instruction at the start of bytes is one the kernel layer emulates (see PRIVILEGED; and mov cr/dr). */
export function isPrivileged(bytes: Uint8Array, arch: Arch, ip: bigint, cpl: 0 | 3 = 0): boolean {
  if (bytes.length === 0) return false;
  const decoder = new Decoder(arch === 'x64' ? 64 : 32, bytes, DecoderOptions.None);
  decoder.ip = ip;
  const insn = decoder.decode();
  try {
    if (insn.isInvalid) return false;
    if (PRIVILEGED.has(insn.mnemonic)) return true;
    if (cpl === 3 && USER_PRIVILEGED.has(insn.mnemonic)) return true;
    if (insn.mnemonic !== Mnemonic.Mov) return false;
    return (insn.op0Kind === OpKind.Register && controlOrDebug(insn.op0Register)) || (insn.op1Kind === OpKind.Register && controlOrDebug(insn.op1Register));
  } finally {
    insn.free();
    decoder.free();
  }
}

/** A privileged instruction decoded for the kernel layer to emulate. */
export type PrivilegedInstruction = {
  length: number;
  /** Intel-syntax text, for reports. */
  text: string;
} & (
  | { op: 'mov-from-cr' | 'mov-from-dr'; n: number; reg: string }
  | { op: 'mov-to-cr' | 'mov-to-dr'; n: number; reg: string }
  | { op: 'rdmsr' | 'wrmsr' | 'hlt' | 'invd' | 'wbinvd' | 'clts' | 'swapgs' | 'invlpg' }
  | { op: 'in' | 'out' | 'ins' | 'outs' | 'cli' | 'sti' }
  /** iret (2), iretd (4), iretq (8): the size of each value it pops. */
  | { op: 'iret'; size: 2 | 4 | 8 }
  | { op: 'sgdt' | 'sidt' | 'lgdt' | 'lidt'; memory: MemoryOperand }
);

/** base + index * scale + displacement, with registers named as the engine names them (rax ... r15). */
export interface MemoryOperand {
  base?: string;
  index?: string;
  scale: number;
  displacement: bigint;
  /** rip-relative: displacement is already the absolute address. */
  ripRelative: boolean;
}

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

/** The engine name of a general register (any width): eax and rax are both 'rax'. */
function gprName(r: Register): string | undefined {
  if (r >= Register.RAX && r <= Register.R15) return GPR64[r - Register.RAX];
  if (r >= Register.EAX && r <= Register.R15D) return GPR64[r - Register.EAX];
  return undefined;
}

export function decodePrivileged(bytes: Uint8Array, arch: Arch, ip: bigint): PrivilegedInstruction | undefined {
  if (bytes.length === 0) return undefined;
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const decoder = new Decoder(arch === 'x64' ? 64 : 32, bytes, DecoderOptions.None);
  decoder.ip = ip;
  const insn = decoder.decode();
  try {
    if (insn.isInvalid) return undefined;
    const base = { length: insn.length, text: formatter.format(insn) };
    const m = insn.mnemonic;
    if (m === Mnemonic.Mov) {
      const to = insn.op0Kind === OpKind.Register && controlOrDebug(insn.op0Register);
      const from = insn.op1Kind === OpKind.Register && controlOrDebug(insn.op1Register);
      if (!to && !from) return undefined;
      const special = to ? insn.op0Register : insn.op1Register;
      const gpr = gprName(to ? insn.op1Register : insn.op0Register);
      if (!gpr) return undefined;
      const isCr = special >= Register.CR0 && special <= Register.CR15;
      const n = isCr ? special - Register.CR0 : special - Register.DR0;
      return { ...base, op: to ? (isCr ? 'mov-to-cr' : 'mov-to-dr') : isCr ? 'mov-from-cr' : 'mov-from-dr', n, reg: gpr };
    }
    const simple: Partial<Record<number, 'rdmsr' | 'wrmsr' | 'hlt' | 'invd' | 'wbinvd' | 'clts' | 'swapgs' | 'invlpg' | 'in' | 'out' | 'ins' | 'outs'>> = {
      [Mnemonic.Rdmsr]: 'rdmsr', [Mnemonic.Wrmsr]: 'wrmsr', [Mnemonic.Hlt]: 'hlt', [Mnemonic.Invd]: 'invd',
      [Mnemonic.Wbinvd]: 'wbinvd', [Mnemonic.Clts]: 'clts', [Mnemonic.Swapgs]: 'swapgs', [Mnemonic.Invlpg]: 'invlpg',
      [Mnemonic.In]: 'in', [Mnemonic.Out]: 'out', [Mnemonic.Insb]: 'ins', [Mnemonic.Insw]: 'ins', [Mnemonic.Insd]: 'ins',
      [Mnemonic.Outsb]: 'outs', [Mnemonic.Outsw]: 'outs', [Mnemonic.Outsd]: 'outs',
    };
    const s = simple[m];
    if (s) return { ...base, op: s };
    if (m === Mnemonic.Cli || m === Mnemonic.Sti) return { ...base, op: m === Mnemonic.Cli ? 'cli' : 'sti' };
    if (m === Mnemonic.Iret || m === Mnemonic.Iretd || m === Mnemonic.Iretq) {
      return { ...base, op: 'iret', size: m === Mnemonic.Iretq ? 8 : m === Mnemonic.Iretd ? 4 : 2 };
    }
    const table: Partial<Record<number, 'sgdt' | 'sidt' | 'lgdt' | 'lidt'>> = { [Mnemonic.Sgdt]: 'sgdt', [Mnemonic.Sidt]: 'sidt', [Mnemonic.Lgdt]: 'lgdt', [Mnemonic.Lidt]: 'lidt' };
    const t = table[m];
    if (!t) return undefined;
    const ripRelative = insn.isIpRelMemoryOperand;
    return {
      ...base,
      op: t,
      memory: {
        base: ripRelative ? undefined : gprName(insn.memoryBase),
        index: gprName(insn.memoryIndex),
        scale: insn.memoryIndexScale,
        displacement: ripRelative ? insn.ipRelMemoryAddress : insn.memoryDisplacementU64,
        ripRelative,
      },
    };
  } finally {
    insn.free();
    decoder.free();
  }
}
