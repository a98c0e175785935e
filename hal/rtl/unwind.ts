// The x64 unwinder: RUNTIME_FUNCTION lookup in a loaded image's exception directory (.pdata) and the virtual unwind
// of one frame by its UNWIND_INFO (.xdata), as RtlLookupFunctionEntry and RtlVirtualUnwind do (documented in "x64
// exception handling": unwind codes, chained info, epilog detection). Registers are a host-side context (Ctx).

import type { Kernel } from '../kernel.js';

/** The registers a CONTEXT carries, by the unwind codes' numbering: rax rcx rdx rbx rsp rbp rsi rdi r8 .. r15. */
export const GPR = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export const RSP = 4;
export const RBP = 5;

/** A thread's register state as exception dispatch works on it (x86 uses the first eight, the 32-bit views). */
export interface Ctx {
  r: bigint[];
  rip: bigint;
  eflags: bigint;
  /** When asked for (RtlVirtualUnwind's ContextPointers): where each restored register was read from. */
  from?: (bigint | undefined)[];
}

export function cloneCtx(c: Ctx): Ctx {
  return { r: c.r.slice(), rip: c.rip, eflags: c.eflags };
}

function restore(k: Kernel, ctx: Ctx, reg: number, at: bigint): void {
  ctx.r[reg] = k.m.u64(at);
  if (ctx.from) ctx.from[reg] = at;
}

export const UNW_FLAG_NHANDLER = 0;
export const UNW_FLAG_EHANDLER = 1;
export const UNW_FLAG_UHANDLER = 2;
export const UNW_FLAG_CHAININFO = 4;

/** A RUNTIME_FUNCTION found for a pc: the image base, the entry's address, and its fields (RVAs). */
export interface FunctionEntry {
  imageBase: bigint;
  address: bigint;
  begin: number;
  end: number;
  unwindInfo: number;
}

/** A loaded image's exception directory, read once from its mapped headers. */
interface Pdata {
  base: bigint;
  size: number;
  /** Address and entry count of the RUNTIME_FUNCTION table. */
  table: bigint;
  count: number;
}

const pdataCache = new WeakMap<Kernel, Map<bigint, Pdata | null>>();

/** The exception directory of the image loaded at base (null when it has none), from its in-memory PE headers. */
function pdataOf(k: Kernel, base: bigint, size: number): Pdata | null {
  let cache = pdataCache.get(k);
  if (!cache) pdataCache.set(k, (cache = new Map()));
  const hit = cache.get(base);
  if (hit !== undefined) return hit;
  let out: Pdata | null = null;
  const m = k.m;
  const hdr = m.tryRead(base, 0x40);
  if (hdr && hdr[0] === 0x4d && hdr[1] === 0x5a) {
    const lfanew = new DataView(hdr.buffer, hdr.byteOffset).getUint32(0x3c, true);
    // IMAGE_NT_HEADERS64: the optional header at +0x18, DataDirectory at +0x70, the exception directory is entry 3.
    const dir = m.tryRead(base + BigInt(lfanew) + 0x18n + 0x70n + 3n * 8n, 8);
    if (dir) {
      const dv = new DataView(dir.buffer, dir.byteOffset);
      const rva = dv.getUint32(0, true);
      const bytes = dv.getUint32(4, true);
      if (rva !== 0 && rva + bytes <= size) out = { base, size, table: base + BigInt(rva), count: Math.floor(bytes / 12) };
    }
  }
  cache.set(base, out);
  return out;
}

/**
 * RtlLookupFunctionEntry: the RUNTIME_FUNCTION of the loaded image holding pc whose [Begin, End) contains it (a
 * binary search of the sorted table), or undefined for a leaf function or an address in no image with one.
 */
export function lookupFunctionEntry(k: Kernel, pc: bigint): FunctionEntry | undefined {
  if (k.arch !== 'x64') return undefined;
  const mod = k.moduleOf(pc);
  if (!mod || mod.name === 'ntoskrnl.exe') return undefined;
  const p = pdataOf(k, mod.base, mod.size);
  if (!p) return undefined;
  const rva = Number(pc - mod.base);
  let lo = 0;
  let hi = p.count - 1;
  const m = k.m;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = p.table + BigInt(12 * mid);
    const begin = m.u32(at);
    const end = m.u32(at + 4n);
    if (rva < begin) hi = mid - 1;
    else if (rva >= end) lo = mid + 1;
    else return resolveChain(k, { imageBase: mod.base, address: at, begin, end, unwindInfo: m.u32(at + 8n) });
  }
  return undefined;
}

/** An entry whose UnwindData has bit 0 set points at another RUNTIME_FUNCTION (indirect entry): follow it. */
function resolveChain(k: Kernel, f: FunctionEntry): FunctionEntry {
  for (let i = 0; i < 8 && f.unwindInfo & 1; i++) {
    const at = f.imageBase + BigInt(f.unwindInfo & ~1);
    f = { imageBase: f.imageBase, address: at, begin: k.m.u32(at), end: k.m.u32(at + 4n), unwindInfo: k.m.u32(at + 8n) };
  }
  return f;
}

/** What RtlVirtualUnwind returns: the language handler (0: none of the kind asked for), its data and the frame. */
export interface Unwound {
  handler: bigint;
  handlerData: bigint;
  establisherFrame: bigint;
}

/** Bad unwind data: Windows stops with a bugcheck when its unwinder meets it. */
export class BadUnwindError extends Error {}

/**
 * RtlVirtualUnwind: undoes the prolog of the function `f` (by its unwind codes, only those already executed when pc
 * is inside the prolog; by simulating the epilog when pc is in one), leaving ctx as the caller sees it (rip the
 * return address). The handler is reported only when pc is in the body and the function has one of `handlerType`.
 */
export function virtualUnwind(k: Kernel, handlerType: number, f: FunctionEntry, ctx: Ctx): Unwound {
  const m = k.m;
  const base = f.imageBase;
  const pc = ctx.rip;
  let frame = ctx.r[RSP];
  let establisher = frame;
  let machFrame = false;
  let fn = f;
  let flags = 0;
  let infoAt = 0n;
  let count = 0;
  let prologOffset = -1;
  for (let depth = 0; ; depth++) {
    if (depth > 32) throw new BadUnwindError('chained unwind information loops');
    infoAt = base + BigInt(fn.unwindInfo & ~1);
    const head = m.u32(infoAt);
    const version = head & 7;
    if (version !== 1 && version !== 2) throw new BadUnwindError(`unwind information version ${version} at ${k.symbolize(infoAt)}`);
    flags = (head >>> 3) & 0x1f;
    const prolog = (head >>> 8) & 0xff;
    count = (head >>> 16) & 0xff;
    const frameReg = (head >>> 24) & 0xf;
    const frameOff = (head >>> 28) & 0xf;
    if (frameReg) frame = ctx.r[frameReg] - BigInt(frameOff * 16);
    const start = base + BigInt(fn.begin);
    if (pc >= start && pc < start + BigInt(prolog)) prologOffset = Number(pc - start);
    else {
      prologOffset = -1;
      if (depth === 0 && insideEpilog(k, pc, base, fn)) {
        interpretEpilog(k, pc, ctx);
        return { handler: 0n, handlerData: 0n, establisherFrame: frame };
      }
    }
    const codes = infoAt + 4n;
    const slot = (i: number): number => m.u16(codes + BigInt(2 * i));
    for (let i = 0; i < count; ) {
      const c = slot(i);
      const offset = c & 0xff;
      const op = (c >>> 8) & 0xf;
      const info = (c >>> 12) & 0xf;
      const size = opSize(op, info);
      if (prologOffset >= 0 && prologOffset < offset) {
        i += size;
        continue;
      }
      switch (op) {
        case 0: // UWOP_PUSH_NONVOL
          restore(k, ctx, info, ctx.r[RSP]);
          ctx.r[RSP] += 8n;
          break;
        case 1: // UWOP_ALLOC_LARGE
          ctx.r[RSP] += info ? BigInt(slot(i + 1) | (slot(i + 2) << 16)) : BigInt(slot(i + 1) * 8);
          break;
        case 2: // UWOP_ALLOC_SMALL
          ctx.r[RSP] += BigInt((info + 1) * 8);
          break;
        case 3: // UWOP_SET_FPREG
          ctx.r[RSP] = frame;
          establisher = frame;
          break;
        case 4: // UWOP_SAVE_NONVOL
          restore(k, ctx, info, frame + BigInt(slot(i + 1) * 8));
          break;
        case 5: // UWOP_SAVE_NONVOL_FAR
          restore(k, ctx, info, frame + BigInt((slot(i + 1) | (slot(i + 2) << 16)) >>> 0));
          break;
        case 6: // UWOP_EPILOG (version 2): epilog descriptions, nothing to undo
        case 8: // UWOP_SAVE_XMM128: xmm6-15 are not part of kdemu's context
        case 9: // UWOP_SAVE_XMM128_FAR
          break;
        case 10: {
          // UWOP_PUSH_MACHFRAME: a trap frame (with an error code when info is 1).
          if (info) ctx.r[RSP] += 8n;
          ctx.rip = m.u64(ctx.r[RSP]);
          ctx.r[RSP] = m.u64(ctx.r[RSP] + 24n);
          machFrame = true;
          break;
        }
        default:
          throw new BadUnwindError(`unknown unwind code ${op} at ${k.symbolize(codes + BigInt(2 * i))}`);
      }
      i += size;
    }
    if (!(flags & UNW_FLAG_CHAININFO)) break;
    // The chained RUNTIME_FUNCTION follows the (even-padded) codes.
    const chained = codes + BigInt(2 * ((count + 1) & ~1));
    fn = { imageBase: base, address: chained, begin: m.u32(chained), end: m.u32(chained + 4n), unwindInfo: m.u32(chained + 8n) };
  }
  if (!machFrame) {
    ctx.rip = m.u64(ctx.r[RSP]);
    ctx.r[RSP] += 8n;
  }
  if (!(flags & handlerType) || prologOffset >= 0) return { handler: 0n, handlerData: 0n, establisherFrame: establisher };
  const h = infoAt + 4n + BigInt(2 * ((count + 1) & ~1));
  return { handler: base + BigInt(m.u32(h)), handlerData: h + 4n, establisherFrame: establisher };
}

function opSize(op: number, info: number): number {
  switch (op) {
    case 1:
      return info ? 3 : 2;
    case 4:
    case 8:
      return 2;
    case 5:
    case 9:
      return 3;
    default:
      return 1;
  }
}

/** The bytes at pc (up to 16, fewer at the end of a mapping). */
function codeAt(k: Kernel, pc: bigint): Uint8Array {
  for (let n = 16; n > 0; n -= 4) {
    const b = k.m.tryRead(pc, n);
    if (b) return b;
  }
  return new Uint8Array(0);
}

/**
 * Whether pc is in an epilog: the documented forms are an optional `add rsp, n` or `lea rsp, [frame + n]`, then
 * `pop` of non-volatile registers, then `ret` or a `jmp` out of the function (a tail call).
 */
function insideEpilog(k: Kernel, pc: bigint, base: bigint, fn: FunctionEntry): boolean {
  let b = codeAt(k, pc);
  let i = 0;
  if (b.length >= 4 && (b[0] & 0xf8) === 0x48) {
    if (b[1] === 0x81 && b[0] === 0x48 && b[2] === 0xc4) i = 7;
    else if (b[1] === 0x83 && b[0] === 0x48 && b[2] === 0xc4) i = 4;
    else if (b[1] === 0x8d) {
      if (b[0] & 0x06 || ((b[2] >> 3) & 7) !== 4 || (b[2] & 7) === 4) return false;
      if (b[2] >> 6 === 1) i = 4;
      else if (b[2] >> 6 === 2) i = 7;
      else return false;
    }
  }
  for (let steps = 0; steps < 32; steps++) {
    if (i + 6 > b.length) {
      pc += BigInt(i);
      b = codeAt(k, pc);
      i = 0;
      if (b.length === 0) return false;
    }
    if ((b[i] & 0xf0) === 0x40) i++;
    const op = b[i];
    if (op >= 0x58 && op <= 0x5f) {
      i++;
      continue;
    }
    if (op === 0xc2 || op === 0xc3) return true;
    if (op === 0xf3) return b[i + 1] === 0xc3;
    if (op === 0xe9 || op === 0xeb) {
      const disp = op === 0xe9 ? new DataView(b.buffer, b.byteOffset + i + 1, 4).getInt32(0, true) : (b[i + 1] << 24) >> 24;
      const target = pc + BigInt(i + (op === 0xe9 ? 5 : 2) + disp);
      const rva = Number(target - base);
      return !(rva >= fn.begin && rva < fn.end);
    }
    return false;
  }
  return false;
}

/** Runs the epilog at pc on ctx: the stack adjustment, the pops and the return. */
function interpretEpilog(k: Kernel, pc: bigint, ctx: Ctx): void {
  const m = k.m;
  let b = codeAt(k, pc);
  let i = 0;
  if (b.length >= 4 && (b[0] & 0xf8) === 0x48) {
    const dv = new DataView(b.buffer, b.byteOffset);
    if (b[1] === 0x81) {
      ctx.r[RSP] += BigInt(dv.getInt32(3, true));
      i = 7;
    } else if (b[1] === 0x83) {
      ctx.r[RSP] += BigInt((b[3] << 24) >> 24);
      i = 4;
    } else if (b[1] === 0x8d) {
      const reg = (b[2] & 7) + (b[0] & 1) * 8;
      if (b[2] >> 6 === 1) {
        ctx.r[RSP] = ctx.r[reg] + BigInt((b[3] << 24) >> 24);
        i = 4;
      } else {
        ctx.r[RSP] = ctx.r[reg] + BigInt(dv.getInt32(3, true));
        i = 7;
      }
    }
  }
  for (let steps = 0; steps < 64; steps++) {
    if (i + 6 > b.length) {
      pc += BigInt(i);
      b = codeAt(k, pc);
      i = 0;
    }
    let rex = 0;
    if ((b[i] & 0xf0) === 0x40) rex = b[i++] & 0xf;
    const op = b[i];
    if (op >= 0x58 && op <= 0x5f) {
      restore(k, ctx, op - 0x58 + (rex & 1) * 8, ctx.r[RSP]);
      ctx.r[RSP] += 8n;
      i++;
      continue;
    }
    if (op === 0xc2 || op === 0xc3 || op === 0xf3) {
      ctx.rip = m.u64(ctx.r[RSP]);
      ctx.r[RSP] += 8n + (op === 0xc2 ? BigInt(b[i + 1] | (b[i + 2] << 8)) : 0n);
      return;
    }
    if (op === 0xe9 || op === 0xeb) {
      // A tail call: the frame is gone once the jump is taken; the return address is the caller's.
      ctx.rip = m.u64(ctx.r[RSP]);
      ctx.r[RSP] += 8n;
      return;
    }
    return;
  }
}
