// Static inspection of a KMDF client for `kdemu info`: its WDF_BIND_INFO (version, table size, where the function
// table lives) and which framework entries its code calls. A KMDF driver imports only wdfldr.sys; the framework
// functions it uses are reads of its function table, found here by a linear sweep of the executable sections.

import { Decoder, DecoderOptions, FlowControl, Mnemonic, OpKind, Register, RegisterExt, type Instruction } from 'iced-x86';
import { rvaToOffset, type PeImage } from '../../emu/pe/index.js';
import { wdfLayouts } from './layout.js';
import { OLD_TABLE_SIZES, WDF_FUNCTIONS } from './table.js';

export interface WdfBinding {
  major: number;
  minor: number;
  funcCount: number;
  /** RVA of the WDF_BIND_INFO. */
  bindInfoRva: number;
  /** RVA of FuncTable: the copied array (up to 1.13's count) or the WdfFunctions pointer variable (1.15+). */
  functionTableRva: number;
  /** Whether FuncTable is the array itself (the framework copies the entries in) rather than a pointer to it. */
  copied: boolean;
}

export interface WdfInspection extends WdfBinding {
  /** Table indices the code reads, ascending; null when no read of the table was recognised. */
  referenced: number[] | null;
}

/** The largest count whose table a client holds as a copy (1.13's); as wdfldr decides between the two forms. */
const COPIED_TABLE_MAX = Math.max(...OLD_TABLE_SIZES.values());

const COMPONENT = 'KmdfLibrary';

/** Reads by RVA from the file (null where the image is not backed by file data). */
class ImageData {
  readonly view: DataView;
  constructor(
    readonly img: PeImage,
    readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** File offset of `length` bytes at `rva`, when all of them are contiguous in the file. */
  offset(rva: number, length: number): number | null {
    const a = rvaToOffset(this.img, rva);
    const b = rvaToOffset(this.img, rva + length - 1);
    return a !== null && b === a + length - 1 ? a : null;
  }

  u32(rva: number): number | null {
    const o = this.offset(rva, 4);
    return o === null ? null : this.view.getUint32(o, true);
  }

  ptr(rva: number): bigint | null {
    if (this.img.arch === 'x86') {
      const v = this.u32(rva);
      return v === null ? null : BigInt(v);
    }
    const o = this.offset(rva, 8);
    return o === null ? null : this.view.getBigUint64(o, true);
  }

  /** The RVA of a VA inside the image at its preferred base, or null. */
  rvaOf(va: bigint): number | null {
    const r = va - this.img.imageBase;
    return r >= 0n && r < BigInt(this.img.sizeOfImage) ? Number(r) : null;
  }

  isUtf16z(rva: number, s: string): boolean {
    const o = this.offset(rva, (s.length + 1) * 2);
    if (o === null) return false;
    for (let i = 0; i <= s.length; i++) if (this.view.getUint16(o + i * 2, true) !== (i < s.length ? s.charCodeAt(i) : 0)) return false;
    return true;
  }
}

/** The client's WDF_BIND_INFO: the first structure in the image's sections that has its shape and names KmdfLibrary. */
export function findBindInfo(img: PeImage, bytes: Uint8Array): WdfBinding | null {
  return findIn(new ImageData(img, bytes));
}

function findIn(d: ImageData): WdfBinding | null {
  const img = d.img;
  const B = wdfLayouts(img.arch).WDF_BIND_INFO;
  const p = img.arch === 'x64' ? 8 : 4;
  for (const s of img.sections) {
    const start = rvaToOffset(img, s.rva);
    if (start === null) continue;
    const span = Math.min(s.virtualSize || s.rawSize, s.rawSize, d.bytes.length - start);
    // The structure holds pointers: the compiler aligns it to their size. Its Size field, read straight from the
    // file, rules out nearly every position before the by-RVA reads.
    for (let off = 0; off + B.size <= span; off += p) {
      if (d.view.getUint32(start + off, true) !== B.size) continue;
      const rva = s.rva + off;
      if (d.u32(rva + B.off['Version.Major']!) !== 1) continue;
      const count = d.u32(rva + B.off.FuncCount!);
      if (!count) continue;
      const component = d.ptr(rva + B.off.Component!);
      const table = d.ptr(rva + B.off.FuncTable!);
      if (component === null || table === null) continue;
      const componentRva = d.rvaOf(component);
      const tableRva = d.rvaOf(table);
      if (componentRva === null || tableRva === null || !d.isUtf16z(componentRva, COMPONENT)) continue;
      return {
        major: 1,
        minor: d.u32(rva + B.off['Version.Minor']!) ?? 0,
        funcCount: count,
        bindInfoRva: rva,
        functionTableRva: tableRva,
        copied: count <= COPIED_TABLE_MAX,
      };
    }
  }
  return null;
}

/** Code swept at most (the sweep runs at a few MB a second; real KMDF drivers have far less code). */
const MAX_SWEEP = 64 * 2 ** 20;

/** How far ahead a branch's register state is kept for its target, and how many targets are kept before a purge. */
const BRANCH_REACH = 0x10000n;
const MAX_TARGETS = 4096;

/** What a register is known to hold during the sweep. */
type Known = { t: 'table' } | { t: 'va'; va: bigint };

/** Mnemonics that read their first register operand without writing it. */
const NO_WRITE = new Set<number>([Mnemonic.Cmp, Mnemonic.Test, Mnemonic.Bt, Mnemonic.Push]);

/** Registers an instruction writes beyond its operands (string operations, widening multiply/divide, ...). */
const IMPLICIT = new Map<number, readonly Register[]>();
{
  const { RAX, RBX, RCX, RDX, RSI, RDI, RBP } = Register;
  const set = (regs: readonly Register[], ...ms: Mnemonic[]): void => ms.forEach((m) => IMPLICIT.set(m, regs));
  set([RAX, RDX], Mnemonic.Mul, Mnemonic.Imul, Mnemonic.Div, Mnemonic.Idiv, Mnemonic.Cwd, Mnemonic.Cdq, Mnemonic.Cqo, Mnemonic.Rdtsc, Mnemonic.Rdmsr, Mnemonic.Xgetbv, Mnemonic.Cmpxchg8b, Mnemonic.Cmpxchg16b);
  set([RAX, RCX, RDX], Mnemonic.Rdtscp);
  set([RAX, RBX, RCX, RDX], Mnemonic.Cpuid);
  set([RAX], Mnemonic.Cmpxchg);
  set([RSI, RDI, RCX], Mnemonic.Movsb, Mnemonic.Movsw, Mnemonic.Movsd, Mnemonic.Movsq, Mnemonic.Cmpsb, Mnemonic.Cmpsw, Mnemonic.Cmpsd, Mnemonic.Cmpsq);
  set([RDI, RCX], Mnemonic.Stosb, Mnemonic.Stosw, Mnemonic.Stosd, Mnemonic.Stosq, Mnemonic.Scasb, Mnemonic.Scasw, Mnemonic.Scasd, Mnemonic.Scasq);
  set([RAX, RSI, RCX], Mnemonic.Lodsb, Mnemonic.Lodsw, Mnemonic.Lodsd, Mnemonic.Lodsq);
  set([RBP], Mnemonic.Leave, Mnemonic.Enter);
  set([RAX, RBX, RCX, RDX, RSI, RDI, RBP], Mnemonic.Popad, Mnemonic.Popa);
}

/** Registers a call may change (the volatile ones of each architecture's convention). */
const VOLATILE = {
  x64: [Register.RAX, Register.RCX, Register.RDX, Register.R8, Register.R9, Register.R10, Register.R11],
  x86: [Register.EAX, Register.ECX, Register.EDX],
};

/**
 * The framework entries the code reads from its function table, by a linear sweep of the executable sections that
 * follows which general registers hold the table pointer (1.15+: loaded from the WdfFunctions variable) or a known
 * address in the image (lea, an absolute or rip-relative load of a pointer the image holds, such as a .refptr slot).
 * A register's knowledge ends when it is written or a call may have changed it.
 */
export function referencedEntries(img: PeImage, bytes: Uint8Array, b: WdfBinding): number[] | null {
  const d = new ImageData(img, bytes);
  const x64 = img.arch === 'x64';
  const p = x64 ? 8 : 4;
  const ptrBig = BigInt(p);
  const tableVa = img.imageBase + BigInt(b.functionTableRva);
  const tableEnd = tableVa + BigInt(b.funcCount) * ptrBig;
  const found = new Set<number>();
  const full = (r: Register): Register => (x64 ? RegisterExt.fullRegister(r) : RegisterExt.fullRegister32(r));
  const isGpr = (r: Register): boolean => (x64 ? r >= Register.RAX && r <= Register.R15 : r >= Register.EAX && r <= Register.EDI);

  const record = (offset: bigint): void => {
    if (offset < 0n || offset % ptrBig !== 0n) return;
    const i = Number(offset / ptrBig);
    if (i < b.funcCount) found.add(i);
  };

  let budget = MAX_SWEEP;
  for (const s of img.sections) {
    if (!s.executable) continue;
    const start = rvaToOffset(img, s.rva);
    const length = Math.min(s.virtualSize || s.rawSize, s.rawSize, budget);
    budget -= Math.max(0, length);
    if (start === null || length <= 0) continue;
    const code = bytes.subarray(start, Math.min(bytes.length, start + length));
    const decoder = new Decoder(x64 ? 64 : 32, code, DecoderOptions.None);
    decoder.ip = img.imageBase + BigInt(s.rva);
    const known = new Map<Register, Known>();
    // What the registers held at each forward branch, by target: code laid out after the branch (a tail call, a
    // return) often changes a register the target still relies on.
    const atTarget = new Map<bigint, Map<Register, Known>>();
    let insn: Instruction | undefined;
    try {
      while (decoder.canDecode) {
        if (insn) decoder.decodeOut(insn);
        else insn = decoder.decode();
        const saved = atTarget.get(insn.ip);
        if (saved) {
          atTarget.delete(insn.ip);
          merge(known, saved);
        }
        if (insn.isInvalid) continue;
        sweepOne(insn);
        const flow = insn.flowControl;
        const t = insn.nearBranchTarget;
        // Branches within a function's reach; targets passed without landing on them are dropped now and then, so
        // that a hostile image's code cannot grow this map without bound.
        if ((flow === FlowControl.ConditionalBranch || flow === FlowControl.UnconditionalBranch) && isNearBranch(insn.op0Kind) && t > insn.ip && t - insn.ip <= BRANCH_REACH) {
          if (atTarget.size >= MAX_TARGETS) for (const k of atTarget.keys()) if (k <= insn.ip) atTarget.delete(k);
          const prev = atTarget.get(t);
          if (prev) merge(prev, known);
          else atTarget.set(t, new Map(known));
        }
      }
    } finally {
      insn?.free();
      decoder.free();
    }

    function sweepOne(insn: Instruction): void {
      const mnemonic = insn.mnemonic;
      // The memory operand: its address when constant, or the table slot when its base holds the table pointer.
      let memIndex = -1;
      for (let i = 0; i < insn.opCount; i++) if (insn.opKind(i) === OpKind.Memory) memIndex = i;
      let ea: bigint | null = null;
      let slot: bigint | null = null;
      if (memIndex >= 0 && insn.memorySegment !== Register.FS && insn.memorySegment !== Register.GS && insn.memoryIndex === Register.None) {
        const base = insn.memoryBase;
        const disp = insn.memoryDisplacement;
        if (insn.isIpRelMemoryOperand) ea = insn.ipRelMemoryAddress;
        else if (base === Register.None) ea = BigInt.asUintN(x64 ? 64 : 32, disp);
        else {
          const k = known.get(full(base));
          if (k?.t === 'table') slot = disp;
          else if (k?.t === 'va') ea = BigInt.asUintN(x64 ? 64 : 32, k.va + disp);
        }
      }
      if (memIndex >= 0 && mnemonic !== Mnemonic.Lea && mnemonic !== Mnemonic.Nop) {
        if (slot !== null) record(slot);
        else if (ea !== null && b.copied && ea >= tableVa && ea < tableEnd) record(ea - tableVa);
      }

      // What the instruction leaves in its destination register.
      if (insn.opCount > 0 && insn.opKind(0) === OpKind.Register && !NO_WRITE.has(mnemonic)) {
        const dest = insn.op0Register;
        const r = full(dest);
        let value: Known | undefined;
        if (isGpr(r) && dest === r) {
          if (mnemonic === Mnemonic.Mov && memIndex === 1 && ea !== null) {
            if (!b.copied && ea === tableVa) value = { t: 'table' };
            else {
              const rva = d.rvaOf(ea);
              const v = rva === null ? null : d.ptr(rva);
              if (v !== null && d.rvaOf(v) !== null) value = { t: 'va', va: v };
            }
          } else if (mnemonic === Mnemonic.Lea && ea !== null && d.rvaOf(ea) !== null) value = { t: 'va', va: ea };
          else if (mnemonic === Mnemonic.Mov && insn.opCount === 2 && isImmediate(insn.opKind(1))) {
            const v = BigInt.asUintN(x64 ? 64 : 32, insn.immediate(1));
            if (d.rvaOf(v) !== null) value = { t: 'va', va: v };
          } else if (mnemonic === Mnemonic.Mov && insn.opKind(1) === OpKind.Register) value = known.get(full(insn.op1Register));
        }
        if (value) known.set(r, value);
        else known.delete(r);
      }
      if (mnemonic === Mnemonic.Xchg || mnemonic === Mnemonic.Xadd) {
        if (insn.opCount === 2 && insn.opKind(1) === OpKind.Register) known.delete(full(insn.op1Register));
      }
      const implicit = IMPLICIT.get(mnemonic);
      // Only the one-operand imul writes rdx:rax.
      if (implicit && (mnemonic !== Mnemonic.Imul || insn.opCount === 1)) for (const r of implicit) known.delete(x64 ? r : RegisterExt.fullRegister32(r));
      if (mnemonic === Mnemonic.Call) for (const r of VOLATILE[img.arch]) known.delete(r);
    }
  }
  return found.size ? [...found].sort((a, b2) => a - b2) : null;
}

function isNearBranch(k: OpKind): boolean {
  return k === OpKind.NearBranch32 || k === OpKind.NearBranch64 || k === OpKind.NearBranch16;
}

/** Adds what `from` knows to `into`; a register the two disagree on is known by neither afterwards. */
function merge(into: Map<Register, Known>, from: ReadonlyMap<Register, Known>): void {
  for (const [r, v] of from) {
    const w = into.get(r);
    if (!w) into.set(r, v);
    else if (w.t !== v.t || (w.t === 'va' && v.t === 'va' && w.va !== v.va)) into.delete(r);
  }
}

function isImmediate(k: OpKind): boolean {
  return k === OpKind.Immediate32 || k === OpKind.Immediate64 || k === OpKind.Immediate32to64;
}

/** The binding and referenced entries of a KMDF client, or null when no WDF_BIND_INFO is found. */
export function inspectKmdf(img: PeImage, bytes: Uint8Array): WdfInspection | null {
  const b = findBindInfo(img, bytes);
  if (!b) return null;
  return { ...b, referenced: referencedEntries(img, bytes, b) };
}

/** An entry's name by table index ("#index" past the table kdemu knows). */
export function wdfEntryName(index: number): string {
  return WDF_FUNCTIONS[index] ?? `#${index}`;
}
