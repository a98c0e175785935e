// Control Flow Guard for kernel images: the loader points an image's __guard_check_icall_fptr and
// __guard_dispatch_icall_fptr (its load config's GuardCFCheckFunctionPointer / GuardCFDispatchFunctionPointer) at
// the kernel's checkers. A checked indirect call's target must be a valid call target: with the image's
// GuardCFFunctionTable, one of the functions listed there (the table of the image holding the target); without a
// table, any address in a loaded image's executable pages; and kdemu's own export stubs (ntoskrnl's functions). A
// bad target is a fast fail: KERNEL_SECURITY_CHECK_FAILURE (0x139) with FAST_FAIL_GUARD_ICALL_CHECK_FAILURE (10).

import type { PeImage } from '../../emu/pe/index.js';
import { Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestResume, GuestStop } from '../machine.js';
import { captureCtx, EXCEPTION_NONCONTINUABLE, writeRecord } from './except.js';

const FAST_FAIL_GUARD_ICALL_CHECK_FAILURE = 10;
const KERNEL_SECURITY_CHECK_FAILURE = 0x139;
const STATUS_STACK_BUFFER_OVERRUN = 0xc0000409;
/** IMAGE_GUARD_CF_FUNCTION_TABLE_PRESENT, and the mask of the bytes each table entry carries after its RVA. */
const CF_FUNCTION_TABLE_PRESENT = 0x400;
const CF_FUNCTION_TABLE_SIZE_SHIFT = 28;

/** IMAGE_LOAD_CONFIG_DIRECTORY's GuardCFFunctionTable, GuardCFFunctionCount and GuardFlags offsets. */
const LOAD_CONFIG = { x64: { table: 0x80, count: 0x88, flags: 0x90 }, x86: { table: 0x50, count: 0x54, flags: 0x58 } } as const;

/** The valid call targets (RVAs) of each image that has a GuardCFFunctionTable, by image base. */
const tables = new WeakMap<Kernel, Map<bigint, Set<number>>>();

/** Reads the image's GuardCFFunctionTable (when GuardFlags says it is present) out of its mapped bytes. */
function functionTable(img: PeImage, memory: Uint8Array, ptrSize: 4 | 8, base: bigint): Set<number> | undefined {
  const dir = img.dataDirectories[10];
  const lc = img.loadConfig;
  if (!dir || dir.rva === 0 || !lc) return undefined;
  const o = LOAD_CONFIG[img.arch];
  const dv = new DataView(memory.buffer, memory.byteOffset, memory.length);
  if (lc.size < o.flags + 4 || dir.rva + o.flags + 4 > memory.length) return undefined;
  const flags = dv.getUint32(dir.rva + o.flags, true);
  if (!(flags & CF_FUNCTION_TABLE_PRESENT)) return undefined;
  const va = ptrSize === 8 ? dv.getBigUint64(dir.rva + o.table, true) : BigInt(dv.getUint32(dir.rva + o.table, true));
  const count = Number(ptrSize === 8 ? dv.getBigUint64(dir.rva + o.count, true) : BigInt(dv.getUint32(dir.rva + o.count, true)));
  const stride = 4 + (flags >>> CF_FUNCTION_TABLE_SIZE_SHIFT);
  // The field is relocated with the image: a VA at the base it was mapped at.
  const at = Number(va - base);
  const out = new Set<number>();
  if (va === 0n || at < 0 || at + count * stride > memory.length) return out;
  for (let i = 0; i < count; i++) out.add(dv.getUint32(at + i * stride, true));
  return out;
}

/**
 * The loader's part (LdrpProcessGuardCF): called with the image's bytes as mapped (relocated) at base, before they
 * go into guest memory; points its guard function pointers at the kernel's checkers and keeps its function table.
 */
export function initGuard(k: Kernel, img: PeImage, memory: Uint8Array, base: bigint): void {
  const lc = img.loadConfig;
  if (!lc) return;
  const dv = new DataView(memory.buffer, memory.byteOffset, memory.length);
  const set = (va: bigint | undefined, routine: bigint): void => {
    if (!va) return;
    const rva = Number(va - img.imageBase);
    if (rva < 0 || rva + k.ptrSize > memory.length) return;
    if (k.ptrSize === 8) dv.setBigUint64(rva, routine, true);
    else dv.setUint32(rva, Number(routine), true);
  };
  const table = functionTable(img, memory, k.ptrSize, base);
  if (table) {
    let t = tables.get(k);
    if (!t) tables.set(k, (t = new Map()));
    t.set(base, table);
  }
  set(lc.guardCFCheckFunctionPointerVa, k.privateRoutine(checkDecl));
  if (k.arch === 'x64') set(lc.guardCFDispatchFunctionPointerVa, k.privateRoutine(dispatchDecl));
}

/** Whether target is a valid indirect call target (see the top of this file). */
export function validCallTarget(k: Kernel, target: bigint): boolean {
  const l = k.m.layout;
  if (target >= l.stubs && target < l.stubs + BigInt(l.stubsSize)) return (target - l.stubs) % 16n === 0n && target !== l.stubs;
  const mod = k.moduleOf(target);
  if (!mod || mod.name === 'ntoskrnl.exe') return false;
  const table = tables.get(k)?.get(mod.base);
  if (table) return table.has(Number(target - mod.base));
  const prot = k.m.engine.pageProt(target);
  return prot !== undefined && (prot & Prot.Exec) !== 0;
}

/** The fast fail of a bad target: KERNEL_SECURITY_CHECK_FAILURE(10, trap frame, exception record, 0). */
function guardFailure(k: Kernel, target: bigint, routine: string): never {
  const caller = k.callerAddress();
  const rec = (k.m.sp - 0x200n) & ~0xfn;
  k.m.actingAs(-1, () => writeRecord(k, rec, { code: STATUS_STACK_BUFFER_OVERRUN, flags: EXCEPTION_NONCONTINUABLE, address: caller, params: [BigInt(FAST_FAIL_GUARD_ICALL_CHECK_FAILURE)], what: 'guard check' }));
  throw new GuestStop('bugcheck', `Control Flow Guard: the indirect call from ${k.symbolize(caller)} targets ${k.symbolize(target)}, which is not a valid call target (${routine})`, {
    pc: caller,
    // kdemu has no KTRAP_FRAME: the second parameter stays 0.
    bugcheck: { code: KERNEL_SECURITY_CHECK_FAILURE, params: [BigInt(FAST_FAIL_GUARD_ICALL_CHECK_FAILURE), 0n, rec, 0n] },
  });
}

/** guard_check_icall: validates the target in rcx/ecx and returns (x86: __fastcall; every register is kept). */
const checkDecl = defineExport({
  module: 'ntoskrnl.exe', name: 'guard_check_icall', cc: 'fastcall', internal: true,
  proto: 'VOID __fastcall guard_check_icall(PVOID Target)',
  params: { Target: 'ptr' }, ret: 'void',
  impl: (k, a) => {
    if (!validCallTarget(k, a.Target)) guardFailure(k, a.Target, 'guard_check_icall');
  },
});

/** guard_dispatch_icall (x64): validates the target in rax, then jumps to it, the caller's arguments untouched. */
const dispatchDecl = defineExport({
  module: 'ntoskrnl.exe', name: 'guard_dispatch_icall', cc: 'stdcall', internal: true,
  proto: 'VOID guard_dispatch_icall(VOID) /* target in rax */',
  params: {}, ret: 'void',
  impl: (k) => {
    const c = captureCtx(k);
    const target = c.r[0];
    if (!validCallTarget(k, target)) guardFailure(k, target, 'guard_dispatch_icall');
    // A tail jump: the stack still holds the return address into the caller.
    throw new GuestResume(c.r, target, c.eflags);
  },
});

