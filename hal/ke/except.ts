// Kernel-mode exception dispatch, as KiDispatchException and RtlDispatchException do it: the EXCEPTION_RECORD and
// CONTEXT go on the faulting thread's stack, the frame-based handlers are searched (x64: the unwinder over the
// images' .pdata with each frame's language handler and a DISPATCHER_CONTEXT; x86: the EXCEPTION_REGISTRATION chain
// at fs:[0]) and called in the guest; a handler that takes the exception unwinds (RtlUnwindEx / RtlUnwind: the
// __finally blocks of the frames in between run) and execution continues in its __except block. With no handler the
// machine stops as Windows does: KMODE_EXCEPTION_NOT_HANDLED (0x1E), or SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E)
// in a system thread, with the faulting location and the call stack.
//
// Which processor faults become exceptions follows MmAccessFault: a kernel-mode access to a user-space address that
// is not valid is STATUS_ACCESS_VIOLATION, raised in the thread; an invalid kernel-space address bugchecks in the
// page-fault handler itself (PAGE_FAULT_IN_NONPAGED_AREA), no handler is tried; at DISPATCH_LEVEL or above any
// page fault that is not resolved bugchecks (DRIVER_IRQL_NOT_LESS_OR_EQUAL). A kernel int3 with no debugger is
// STATUS_BREAKPOINT raised like any exception; int 29 (__fastfail) is KERNEL_SECURITY_CHECK_FAILURE at once.

import type { Exit } from '../../emu/engine.js';
import { EngineMemoryError } from '../../emu/engine.js';
import type { Kernel } from '../kernel.js';
import { GuestResume, GuestStop, hex } from '../machine.js';
import { describeStatus } from '../rtl/ntstatus.js';
import { bugcheckName } from './bugcodes.js';
import { CONTEXT_FLAGS_X64, CONTEXT_FLAGS_X86, CONTEXT_X64, CONTEXT_X86, DISPATCHER_CONTEXT, EXCEPTION_MAXIMUM_PARAMETERS, EXCEPTION_RECORD } from '../layout/except.js';
import { BadUnwindError, cloneCtx, GPR, lookupFunctionEntry, RSP, UNW_FLAG_EHANDLER, UNW_FLAG_NHANDLER, UNW_FLAG_UHANDLER, virtualUnwind, type Ctx, type FunctionEntry } from '../rtl/unwind.js';

export const EXCEPTION_NONCONTINUABLE = 0x1;
export const EXCEPTION_UNWINDING = 0x2;
export const EXCEPTION_EXIT_UNWIND = 0x4;
export const EXCEPTION_STACK_INVALID = 0x8;
export const EXCEPTION_NESTED_CALL = 0x10;
export const EXCEPTION_TARGET_UNWIND = 0x20;
export const EXCEPTION_COLLIDED_UNWIND = 0x40;

/** EXCEPTION_DISPOSITION. */
export const ExceptionContinueExecution = 0;
export const ExceptionContinueSearch = 1;
export const ExceptionNestedException = 2;
export const ExceptionCollidedUnwind = 3;

export const STATUS_ACCESS_VIOLATION = 0xc0000005;
export const STATUS_DATATYPE_MISALIGNMENT = 0x80000002;
export const STATUS_BREAKPOINT = 0x80000003;
const STATUS_INTEGER_DIVIDE_BY_ZERO = 0xc0000094;
const STATUS_ILLEGAL_INSTRUCTION = 0xc000001d;
const STATUS_ASSERTION_FAILURE = 0xc0000420;
const STATUS_NONCONTINUABLE_EXCEPTION = 0xc0000025;
const STATUS_INVALID_DISPOSITION = 0xc0000026;
export const STATUS_UNWIND = 0xc0000027;
const STATUS_BAD_STACK = 0xc0000028;
const STATUS_INVALID_UNWIND_TARGET = 0xc0000029;

const KMODE_EXCEPTION_NOT_HANDLED = 0x1e;
const SYSTEM_THREAD_EXCEPTION_NOT_HANDLED = 0x7e;
const KERNEL_SECURITY_CHECK_FAILURE = 0x139;

/** What an EXCEPTION_RECORD says. */
export interface ExceptionInfo {
  code: number;
  flags: number;
  address: bigint;
  params: bigint[];
  /** A page fault (the run's outcome is 'fault' if nothing handles it): what was accessed where. */
  fault?: { access: string; address: bigint };
  /** The kernel routine whose access faulted (module!name), for the stop. */
  export?: string;
  /** ExceptionRecord: the exception this one was raised while handling (STATUS_NONCONTINUABLE_EXCEPTION's). */
  nested?: bigint;
  /** Says what happened, for the stop's reason. */
  what: string;
}

/** An exception being dispatched on the current thread (RtlUnwindEx called by a guest handler starts from it). */
interface Dispatch {
  ctx: Ctx;
  record: bigint;
}
const active = new WeakMap<Kernel, Dispatch[]>();
function dispatches(k: Kernel): Dispatch[] {
  let d = active.get(k);
  if (!d) active.set(k, (d = []));
  return d;
}

// ---- contexts -------------------------------------------------------------------------------------------------

const CAPTURE_REGS = [...GPR, 'rip', 'rflags'] as const;

/** The processor's registers now. */
export function captureCtx(k: Kernel): Ctx {
  const out = new BigUint64Array(CAPTURE_REGS.length);
  k.m.engine.readRegs(CAPTURE_REGS, out);
  const n = k.arch === 'x64' ? 16 : 8;
  const mask = k.arch === 'x64' ? ~0n : 0xffffffffn;
  const r: bigint[] = [];
  for (let i = 0; i < 16; i++) r.push(i < n ? out[i] & mask : 0n);
  return { r, rip: out[16] & mask, eflags: out[17] };
}

/** The registers as the caller of the export being handled sees them once it returns (its stack popped per convention). */
export function callerCtx(k: Kernel): Ctx {
  const c = captureCtx(k);
  const call = k.suspendedCall();
  c.rip = k.callerAddress();
  if (call) c.r[RSP] = call.sp;
  return c;
}

/** x86 CONTEXT fields by register number (eax ecx edx ebx esp ebp esi edi). */
const X86_REG_FIELDS = [CONTEXT_X86.Eax, CONTEXT_X86.Ecx, CONTEXT_X86.Edx, CONTEXT_X86.Ebx, CONTEXT_X86.Esp, CONTEXT_X86.Ebp, CONTEXT_X86.Esi, CONTEXT_X86.Edi];

export function contextSize(k: Kernel): number {
  return k.arch === 'x64' ? CONTEXT_X64.size : CONTEXT_X86.size;
}

/** Writes a CONTEXT with the control, integer and segment registers (the floating-point part zero, MXCSR at reset). */
export function writeContext(k: Kernel, at: bigint, c: Ctx): void {
  const m = k.m;
  m.fill(at, contextSize(k));
  if (k.arch === 'x64') {
    const o = CONTEXT_X64;
    m.setU32(at + BigInt(o.ContextFlags), CONTEXT_FLAGS_X64);
    m.setU32(at + BigInt(o.MxCsr), 0x1f80);
    m.setU32(at + BigInt(o.FltSave + 0x18), 0x1f80);
    m.setU16(at + BigInt(o.SegCs), 0x10);
    m.setU16(at + BigInt(o.SegSs), 0x18);
    for (const [f, v] of [[o.SegDs, 0x2b], [o.SegEs, 0x2b], [o.SegFs, 0x53], [o.SegGs, 0x2b]] as const) m.setU16(at + BigInt(f), v);
    m.setU32(at + BigInt(o.EFlags), Number(c.eflags & 0xffffffffn));
    for (let i = 0; i < 16; i++) m.setU64(at + BigInt(o.Rax + 8 * i), c.r[i]);
    m.setU64(at + BigInt(o.Rip), c.rip);
  } else {
    const o = CONTEXT_X86;
    m.setU32(at + BigInt(o.ContextFlags), CONTEXT_FLAGS_X86);
    for (const [f, v] of [[o.SegCs, 0x08], [o.SegSs, 0x10], [o.SegDs, 0x23], [o.SegEs, 0x23], [o.SegFs, 0x30], [o.SegGs, 0]] as const) m.setU32(at + BigInt(f), v);
    m.setU32(at + BigInt(o.EFlags), Number(c.eflags & 0xffffffffn));
    for (let i = 0; i < 8; i++) m.setU32(at + BigInt(X86_REG_FIELDS[i]), Number(c.r[i] & 0xffffffffn));
    m.setU32(at + BigInt(o.Eip), Number(c.rip & 0xffffffffn));
  }
}

export function readContext(k: Kernel, at: bigint): Ctx {
  const m = k.m;
  const r: bigint[] = new Array(16).fill(0n);
  if (k.arch === 'x64') {
    const o = CONTEXT_X64;
    for (let i = 0; i < 16; i++) r[i] = m.u64(at + BigInt(o.Rax + 8 * i));
    return { r, rip: m.u64(at + BigInt(o.Rip)), eflags: BigInt(m.u32(at + BigInt(o.EFlags))) };
  }
  const o = CONTEXT_X86;
  for (let i = 0; i < 8; i++) r[i] = BigInt(m.u32(at + BigInt(X86_REG_FIELDS[i])));
  return { r, rip: BigInt(m.u32(at + BigInt(o.Eip))), eflags: BigInt(m.u32(at + BigInt(o.EFlags))) };
}

export function writeRecord(k: Kernel, at: bigint, e: ExceptionInfo): void {
  const m = k.m;
  const o = EXCEPTION_RECORD[k.arch];
  m.fill(at, o.size);
  m.setU32(at + BigInt(o.ExceptionCode), e.code);
  m.setU32(at + BigInt(o.ExceptionFlags), e.flags);
  m.setPtr(at + BigInt(o.ExceptionRecord), e.nested ?? 0n);
  m.setPtr(at + BigInt(o.ExceptionAddress), e.address);
  const n = Math.min(e.params.length, EXCEPTION_MAXIMUM_PARAMETERS);
  m.setU32(at + BigInt(o.NumberParameters), n);
  for (let i = 0; i < n; i++) m.setPtr(at + BigInt(o.ExceptionInformation + i * k.ptrSize), e.params[i]);
}

export function readRecord(k: Kernel, at: bigint): ExceptionInfo {
  const m = k.m;
  const o = EXCEPTION_RECORD[k.arch];
  const n = Math.min(m.u32(at + BigInt(o.NumberParameters)), EXCEPTION_MAXIMUM_PARAMETERS);
  const params: bigint[] = [];
  for (let i = 0; i < n; i++) params.push(m.ptr(at + BigInt(o.ExceptionInformation + i * k.ptrSize)));
  const code = m.u32(at + BigInt(o.ExceptionCode));
  return { code, flags: m.u32(at + BigInt(o.ExceptionFlags)), address: m.ptr(at + BigInt(o.ExceptionAddress)), params, what: describeStatus(code) };
}

function setFlags(k: Kernel, rec: bigint, flags: number): void {
  k.m.setU32(rec + BigInt(EXCEPTION_RECORD[k.arch].ExceptionFlags), flags);
}
function getFlags(k: Kernel, rec: bigint): number {
  return k.m.u32(rec + BigInt(EXCEPTION_RECORD[k.arch].ExceptionFlags));
}

/** Continues the thread with ctx's registers (NtContinue, RtlRestoreContext, an __except block's entry). */
export function resumeWith(c: Ctx): never {
  throw new GuestResume(c.r, c.rip, c.eflags);
}

/** UNEXPECTED_KERNEL_MODE_TRAP's first parameter for a double fault (EXCEPTION_DOUBLE_FAULT). */
const UNEXPECTED_KERNEL_MODE_TRAP = 0x7f;
const EXCEPTION_DOUBLE_FAULT = 8n;

/**
 * Space on the current stack below both the processor's stack pointer and `below`: the lowest address, 16-aligned.
 * A stack pointer that leaves no mapped, writable room for the exception frame is what makes the processor fault
 * again while delivering the first fault: a double fault, UNEXPECTED_KERNEL_MODE_TRAP (8).
 */
function stackBelow(k: Kernel, below: bigint, size: number): bigint {
  const sp = k.m.sp < below ? k.m.sp : below;
  const at = (sp - 0x40n - BigInt(size)) & ~0xfn;
  const end = sp;
  let usable = at >= 0n && end <= (k.arch === 'x64' ? 0xffffffffffffffffn : 0xffffffffn);
  for (let page = at & ~0xfffn; usable && page < end; page += 0x1000n) {
    const p = k.m.engine.pageProt(page);
    usable = p !== undefined && (p & 2) !== 0;
  }
  if (!usable) {
    throw new GuestStop('bugcheck', `the stack pointer ${hex(k.m.sp)} leaves no room to deliver an exception (the frame would be at ${hex(BigInt.asUintN(k.arch === 'x64' ? 64 : 32, at))}): a double fault`, {
      pc: k.m.engine.getReg('rip'),
      bugcheck: { code: UNEXPECTED_KERNEL_MODE_TRAP, params: [EXCEPTION_DOUBLE_FAULT, 0n, 0n, 0n] },
    });
  }
  return at;
}

/** Calls a guest routine with pointer arguments (x64 convention; x86 pushes them, a cdecl callee leaves them). */
function callHandler(k: Kernel, routine: bigint, args: bigint[]): number {
  return Number(k.m.callGuest(routine, args).value & 0xffffffffn) | 0;
}

/** Whether a frame pointer can be on the current thread's stack: aligned and on a mapped writable kernel page. */
function onStack(k: Kernel, frame: bigint, align: bigint): boolean {
  if (frame % align !== 0n) return false;
  const p = k.m.engine.pageProt(frame);
  return p !== undefined && (p & 2) !== 0;
}

/** x86: whether a registration lies in the current thread's kernel stack (RtlpGetStackLimits' check). */
function onThreadStack(k: Kernel, reg: bigint): boolean {
  if (!onStack(k, reg, 4n)) return false;
  const t = k.ps.current;
  const top = t.root ? k.m.layout.stackBase : t.kernelStack + 0x40n;
  const region = k.m.engine.backing(top - 1n);
  return region !== undefined && reg >= region.begin && reg < top;
}

/** Whether a return address ends the driver's frames: kdemu's return traps and import stubs (the kernel's own frames). */
function endOfFrames(k: Kernel, pc: bigint): boolean {
  const l = k.m.layout;
  return pc === 0n || (pc >= l.stubs && pc < l.stubs + BigInt(l.stubsSize)) || (pc >= l.userStubs && pc < l.userStubs + BigInt(l.userStubsSize));
}

/**
 * x64: the walk reached the return trap of a guest call the kernel made inside an export (IoCallDriver calling a
 * dispatch routine, a callback): it goes on in the code that called that export, through the kernel routine's frame
 * as Windows' unwinder does. False at the bottom of the thread's kernel-mode frames (its start, or user mode).
 */
function throughKernelCall(k: Kernel, c: Ctx): boolean {
  if (k.arch !== 'x64' || c.rip !== k.m.returnTrap) return false;
  const t = k.ps.current;
  const top = t.root ? k.m.layout.stackBase : t.kernelStack + 0x40n;
  const sp = c.r[RSP];
  // The innermost export call below the trap on this thread's stack is the one that made the guest call.
  const call = k.exportCalls().find((f) => f.sp > sp && f.sp <= top);
  if (!call || call.ret < systemRangeStart(k)) return false;
  c.rip = call.ret;
  c.r[RSP] = call.sp + 8n;
  return true;
}

/** Moves c to the next frame's code when it sits at a boundary the walk goes through; false at the end of the frames. */
function walkOn(k: Kernel, c: Ctx): boolean {
  return !endOfFrames(k, c.rip) || throughKernelCall(k, c);
}

// ---- raising ----------------------------------------------------------------------------------------------------

/**
 * Dispatches an exception on the current thread: e happened with the registers ctx. Returns only never: the thread
 * continues where a handler says (GuestResume), or the machine stops with the unhandled-exception bugcheck.
 */
export function raiseException(k: Kernel, e: ExceptionInfo, ctx: Ctx, record?: bigint): never {
  const size = contextSize(k);
  const recSize = EXCEPTION_RECORD[k.arch].size;
  const ctxAddr = stackBelow(k, ctx.r[RSP], size + recSize + 0x20);
  // RtlRaiseException dispatches the caller's own record; other exceptions get one next to the context.
  const recAddr = record ?? ctxAddr + BigInt(size + 0x10);
  k.m.actingAs(-1, () => {
    writeContext(k, ctxAddr, ctx);
    if (record === undefined) writeRecord(k, recAddr, e);
  });
  const savedSp = k.m.sp;
  k.m.sp = ctxAddr - 0x20n;
  if (k.trace.enabled) k.trace.emit({ type: 'note', text: `exception ${hex(e.code, 8)} (${e.what}) at ${k.symbolize(e.address)}: dispatching to the driver's handlers`, at: k.symbolize(e.address) });
  const list = dispatches(k);
  list.push({ ctx, record: recAddr });
  try {
    const handled = k.arch === 'x64' ? dispatchX64(k, recAddr, ctxAddr, ctx) : dispatchX86(k, recAddr, ctxAddr);
    if (handled) {
      if (getFlags(k, recAddr) & EXCEPTION_NONCONTINUABLE) {
        raiseException(k, { code: STATUS_NONCONTINUABLE_EXCEPTION, flags: EXCEPTION_NONCONTINUABLE, address: e.address, params: [], nested: recAddr, what: 'a handler continued a noncontinuable exception' }, ctx);
      }
      resumeWith(readContext(k, ctxAddr));
    }
  } finally {
    list.pop();
    k.m.sp = savedSp;
  }
  throw unhandled(k, e, ctx, recAddr, ctxAddr);
}

/** Raises an exception from inside an export (ExRaiseStatus, ProbeForRead ...): it happens at the caller's return address. */
export function raiseFromExport(k: Kernel, code: number, params: bigint[], what: string, flags = 0, address?: bigint): never {
  const ctx = callerCtx(k);
  raiseException(k, { code, flags, address: address ?? ctx.rip, params, what }, ctx);
}

/** The stop an exception no handler took is. */
function unhandled(k: Kernel, e: ExceptionInfo, ctx: Ctx, rec: bigint, ctxAddr: bigint): GuestStop {
  const t = k.ps.current;
  const systemThread = !t.root && t.userStack === 0n;
  const bugcheck = systemThread
    ? { code: SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, params: [BigInt(e.code), e.address, rec, ctxAddr] }
    : { code: KMODE_EXCEPTION_NOT_HANDLED, params: [BigInt(e.code), e.address, e.params[0] ?? 0n, e.params[1] ?? 0n] };
  const where = systemThread ? ` in system thread ${t.tid} (${k.symbolize(t.start)})` : '';
  return new GuestStop(e.fault ? 'fault' : 'bugcheck', `${e.what} at ${k.symbolize(e.address)}${where}: no exception handler took ${hex(e.code, 8)}, ${bugcheckName(bugcheck.code)}`, {
    pc: e.address,
    bugcheck,
    ...(e.fault ? { fault: e.fault } : {}),
    ...(e.export ? { export: e.export } : {}),
    stack: stackTrace(k, ctx),
  });
}

// ---- x64 ------------------------------------------------------------------------------------------------------

/** One frame of the walk: the function entry (none for a leaf) and the frame it establishes. */
function unwindFrame(k: Kernel, type: number, c: Ctx): { fn?: FunctionEntry; next: Ctx; handler: bigint; data: bigint; frame: bigint } {
  const next = cloneCtx(c);
  const fn = lookupFunctionEntry(k, c.rip);
  if (!fn) {
    // A leaf function: no prolog, the return address is at rsp.
    next.rip = k.m.u64(c.r[RSP]);
    next.r[RSP] += 8n;
    return { next, handler: 0n, data: 0n, frame: c.r[RSP] };
  }
  const u = virtualUnwind(k, type, fn, next);
  return { fn, next, handler: u.handler, data: u.handlerData, frame: u.establisherFrame };
}

/** RtlDispatchException (x64): true when a handler said ExceptionContinueExecution. */
function dispatchX64(k: Kernel, rec: bigint, ctxAddr: bigint, start: Ctx): boolean {
  const m = k.m;
  const frameCtx = stackBelow(k, m.sp, CONTEXT_X64.size + DISPATCHER_CONTEXT.size + 0x20);
  const dc = frameCtx + BigInt(CONTEXT_X64.size + 0x10);
  m.sp = frameCtx - 0x20n;
  let c = cloneCtx(start);
  for (let depth = 0; depth < 256 && walkOn(k, c); depth++) {
    let f;
    try {
      f = unwindFrame(k, UNW_FLAG_EHANDLER, c);
    } catch (err) {
      if (err instanceof BadUnwindError || err instanceof EngineMemoryError) return badStack(k, rec);
      throw err;
    }
    if (!onStack(k, f.frame, 8n)) return badStack(k, rec);
    if (f.handler) {
      m.actingAs(-1, () => {
        writeContext(k, frameCtx, c);
        writeDispatcherContext(k, dc, c.rip, f.fn!, f.frame, 0n, frameCtx, f.handler, f.data);
      });
      const r = callHandler(k, f.handler, [rec, f.frame, ctxAddr, dc]);
      setFlags(k, rec, getFlags(k, rec) & ~EXCEPTION_NESTED_CALL);
      if (r === ExceptionContinueExecution) return true;
      if (r !== ExceptionContinueSearch && r !== ExceptionNestedException) invalidDisposition(k, r, f.handler, start);
    }
    c = f.next;
  }
  return false;
}

function writeDispatcherContext(k: Kernel, dc: bigint, pc: bigint, fn: FunctionEntry, frame: bigint, targetIp: bigint, ctx: bigint, handler: bigint, data: bigint): void {
  const m = k.m;
  const o = DISPATCHER_CONTEXT;
  m.fill(dc, o.size);
  m.setU64(dc + BigInt(o.ControlPc), pc);
  m.setU64(dc + BigInt(o.ImageBase), fn.imageBase);
  m.setU64(dc + BigInt(o.FunctionEntry), fn.address);
  m.setU64(dc + BigInt(o.EstablisherFrame), frame);
  m.setU64(dc + BigInt(o.TargetIp), targetIp);
  m.setU64(dc + BigInt(o.ContextRecord), ctx);
  m.setU64(dc + BigInt(o.LanguageHandler), handler);
  m.setU64(dc + BigInt(o.HandlerData), data);
}

function badStack(k: Kernel, rec: bigint): false {
  setFlags(k, rec, getFlags(k, rec) | EXCEPTION_STACK_INVALID);
  return false;
}

function invalidDisposition(k: Kernel, r: number, handler: bigint, ctx: Ctx): never {
  raiseException(k, { code: STATUS_INVALID_DISPOSITION, flags: EXCEPTION_NONCONTINUABLE, address: handler, params: [], what: `the handler ${k.symbolize(handler)} returned disposition ${r}` }, ctx);
}

/** The context RtlUnwindEx starts from: the exception being dispatched, else the caller's (a direct call). */
export function unwindStart(k: Kernel): Ctx {
  const list = dispatches(k);
  return list.length ? cloneCtx(list[list.length - 1].ctx) : callerCtx(k);
}

/**
 * RtlUnwindEx: unwinds from `start` to the frame targetFrame (0: all frames, an exit unwind), calling each frame's
 * termination handler with EXCEPTION_UNWINDING (EXCEPTION_TARGET_UNWIND for the target's own), then continues at
 * targetIp in the target frame with rax = returnValue.
 */
export function unwindX64(k: Kernel, targetFrame: bigint, targetIp: bigint, recIn: bigint, returnValue: bigint, start: Ctx): never {
  const m = k.m;
  const recSize = EXCEPTION_RECORD.x64.size;
  const frameCtx = stackBelow(k, m.sp < start.r[RSP] ? m.sp : start.r[RSP], CONTEXT_X64.size + DISPATCHER_CONTEXT.size + recSize + 0x30);
  const dc = frameCtx + BigInt(CONTEXT_X64.size + 0x10);
  let rec = recIn;
  if (rec === 0n) {
    rec = dc + BigInt(DISPATCHER_CONTEXT.size + 0x10);
    m.actingAs(-1, () => writeRecord(k, rec, { code: STATUS_UNWIND, flags: 0, address: start.rip, params: [], what: 'unwind' }));
  }
  const savedSp = m.sp;
  m.sp = frameCtx - 0x20n;
  let flags = getFlags(k, rec) | EXCEPTION_UNWINDING;
  if (targetFrame === 0n) flags |= EXCEPTION_EXIT_UNWIND;
  let c = cloneCtx(start);
  try {
    for (let depth = 0; ; depth++) {
      if (depth > 256 || !walkOn(k, c)) {
        if (targetFrame === 0n) throw exitUnwound(k, start);
        raiseException(k, { code: STATUS_INVALID_UNWIND_TARGET, flags: EXCEPTION_NONCONTINUABLE, address: start.rip, params: [], what: `RtlUnwindEx found no frame ${hex(targetFrame)} to unwind to` }, start);
      }
      let f;
      try {
        f = unwindFrame(k, UNW_FLAG_UHANDLER, c);
      } catch (err) {
        if (err instanceof BadUnwindError || err instanceof EngineMemoryError) raiseException(k, { code: STATUS_BAD_STACK, flags: EXCEPTION_NONCONTINUABLE, address: c.rip, params: [], what: `unwinding failed at ${k.symbolize(c.rip)}: ${(err as Error).message}` }, start);
        throw err;
      }
      if (!onStack(k, f.frame, 8n)) raiseException(k, { code: STATUS_BAD_STACK, flags: EXCEPTION_NONCONTINUABLE, address: c.rip, params: [], what: `frame ${hex(f.frame)} is not on the stack` }, start);
      if (targetFrame !== 0n && f.frame > targetFrame) {
        raiseException(k, { code: STATUS_INVALID_UNWIND_TARGET, flags: EXCEPTION_NONCONTINUABLE, address: c.rip, params: [], what: `RtlUnwindEx passed its target frame ${hex(targetFrame)}` }, start);
      }
      if (f.handler) {
        const target = f.frame === targetFrame;
        m.actingAs(-1, () => {
          setFlags(k, rec, flags | (target ? EXCEPTION_TARGET_UNWIND : 0));
          writeContext(k, frameCtx, c);
          writeDispatcherContext(k, dc, c.rip, f.fn!, f.frame, targetIp, frameCtx, f.handler, f.data);
        });
        const r = callHandler(k, f.handler, [rec, f.frame, frameCtx, dc]);
        if (r !== ExceptionContinueSearch) invalidDisposition(k, r, f.handler, c);
      }
      if (f.frame === targetFrame) break;
      c = f.next;
    }
  } finally {
    m.sp = savedSp;
  }
  c.r[0] = returnValue;
  c.rip = targetIp;
  resumeWith(c);
}

/** An exit unwind (no target frame) ran every handler up to the end of the driver's frames: the thread cannot go on. */
function exitUnwound(k: Kernel, start: Ctx): GuestStop {
  return new GuestStop('bugcheck', `an exit unwind (RtlUnwind with no target frame) from ${k.symbolize(start.rip)} unwound every frame of the call`, {
    pc: start.rip,
    bugcheck: { code: KMODE_EXCEPTION_NOT_HANDLED, params: [BigInt(STATUS_UNWIND), start.rip, 0n, 0n] },
    stack: stackTrace(k, start),
  });
}

// ---- x86 ------------------------------------------------------------------------------------------------------

/** The head of x86's exception registration chain: NT_TIB.ExceptionList at fs:[0] (the KPCR in kernel mode). */
export function exceptionList(k: Kernel): bigint {
  return BigInt(k.m.actingAs(-1, () => k.m.u32(k.m.engine.getReg('fsBase'))));
}
export function setExceptionList(k: Kernel, v: bigint): void {
  k.m.actingAs(-1, () => k.m.setU32(k.m.engine.getReg('fsBase'), Number(v & 0xffffffffn)));
}
const END_OF_CHAIN = 0xffffffffn;

/** RtlDispatchException (x86): each registration's handler, innermost first. */
function dispatchX86(k: Kernel, rec: bigint, ctxAddr: bigint): boolean {
  const m = k.m;
  const dc = stackBelow(k, m.sp, 0x10);
  m.sp = dc - 0x10n;
  let reg = exceptionList(k);
  for (let depth = 0; reg !== END_OF_CHAIN && depth < 256; depth++) {
    if (!onThreadStack(k, reg) || reg < m.sp) return badStack(k, rec);
    const handler = BigInt(m.u32(reg + 4n));
    m.actingAs(-1, () => m.setU32(dc, Number(reg)));
    const r = callHandler(k, handler, [rec, reg, ctxAddr, dc]);
    setFlags(k, rec, getFlags(k, rec) & ~EXCEPTION_NESTED_CALL);
    if (r === ExceptionContinueExecution) return true;
    if (r !== ExceptionContinueSearch && r !== ExceptionNestedException) invalidDisposition(k, r, handler, readContext(k, ctxAddr));
    reg = BigInt(m.u32(reg));
  }
  return false;
}

/**
 * RtlUnwind (x86): calls the handler of every registration above targetFrame (all of them when it is 0) with
 * EXCEPTION_UNWINDING and takes it off the chain; then returns to the caller, as x86 Windows does.
 */
export function unwindX86(k: Kernel, targetFrame: bigint, recIn: bigint, ctx: Ctx): void {
  const m = k.m;
  const size = CONTEXT_X86.size + EXCEPTION_RECORD.x86.size + 0x30;
  const ctxAddr = stackBelow(k, m.sp, size);
  const dc = ctxAddr + BigInt(CONTEXT_X86.size + 0x10);
  let rec = recIn;
  const savedSp = m.sp;
  m.actingAs(-1, () => {
    writeContext(k, ctxAddr, ctx);
    if (rec === 0n) {
      rec = dc + 0x10n;
      writeRecord(k, rec, { code: STATUS_UNWIND, flags: 0, address: ctx.rip, params: [], what: 'unwind' });
    }
  });
  m.sp = ctxAddr - 0x20n;
  const flags = getFlags(k, rec) | EXCEPTION_UNWINDING | (targetFrame === 0n ? EXCEPTION_EXIT_UNWIND : 0);
  try {
    let reg = exceptionList(k);
    while (reg !== END_OF_CHAIN && reg !== targetFrame) {
      if (targetFrame !== 0n && targetFrame < reg) {
        raiseException(k, { code: STATUS_INVALID_UNWIND_TARGET, flags: EXCEPTION_NONCONTINUABLE, address: ctx.rip, params: [], what: `RtlUnwind: frame ${hex(targetFrame)} is not on the exception registration chain` }, ctx);
      }
      if (!onThreadStack(k, reg)) raiseException(k, { code: STATUS_BAD_STACK, flags: EXCEPTION_NONCONTINUABLE, address: ctx.rip, params: [], what: `registration ${hex(reg)} is not on the stack` }, ctx);
      const handler = BigInt(m.u32(reg + 4n));
      m.actingAs(-1, () => {
        setFlags(k, rec, flags);
        m.setU32(dc, Number(reg));
      });
      const r = callHandler(k, handler, [rec, reg, ctxAddr, dc]);
      if (r !== ExceptionContinueSearch && r !== ExceptionCollidedUnwind) invalidDisposition(k, r, handler, ctx);
      reg = BigInt(m.u32(reg));
      setExceptionList(k, reg);
    }
    if (reg === END_OF_CHAIN && targetFrame !== 0n) {
      raiseException(k, { code: STATUS_INVALID_UNWIND_TARGET, flags: EXCEPTION_NONCONTINUABLE, address: ctx.rip, params: [], what: `RtlUnwind: frame ${hex(targetFrame)} is not on the exception registration chain` }, ctx);
    }
  } finally {
    m.sp = savedSp;
  }
}

// ---- stacks -------------------------------------------------------------------------------------------------------

/** The call stack at ctx, innermost first: x64 unwound by .pdata (leaf functions by the return address at rsp), x86 by the ebp chain. */
export function stackTrace(k: Kernel, start: Ctx, max = 32): bigint[] {
  const out: bigint[] = [start.rip];
  try {
    if (k.arch === 'x64') {
      let c = cloneCtx(start);
      while (out.length < max) {
        const f = unwindFrame(k, UNW_FLAG_NHANDLER, c);
        c = f.next;
        if (!walkOn(k, c)) break;
        out.push(c.rip);
      }
    } else {
      let ebp = start.r[5];
      while (out.length < max && ebp !== 0n && onStack(k, ebp, 4n)) {
        const ret = BigInt(k.m.u32(ebp + 4n));
        const next = BigInt(k.m.u32(ebp));
        if (endOfFrames(k, ret) || !k.moduleOf(ret)) break;
        out.push(ret);
        if (next <= ebp) break;
        ebp = next;
      }
    }
  } catch (e) {
    if (!(e instanceof EngineMemoryError || e instanceof BadUnwindError)) throw e;
  }
  return out;
}

// ---- processor exceptions -------------------------------------------------------------------------------------------

/** The first user-space address above the last one: x64 0x800000000000 (canonical lower half), x86 0x80000000. */
function systemRangeStart(k: Kernel): bigint {
  return k.arch === 'x64' ? 0x800000000000n : 0x80000000n;
}

/**
 * The machine's hook for a processor exception in kernel mode: raised in the thread when Windows raises it (see the
 * top of this file), else false for the machine's own stop (a bugcheck in the trap handler).
 */
export function kernelException(k: Kernel, exit: Extract<Exit, { kind: 'fault' | 'interrupt' }>): false {
  const ctx = captureCtx(k);
  ctx.rip = exit.pc;
  if (exit.kind === 'fault') {
    if (k.irql >= 2 || exit.address >= systemRangeStart(k)) return false;
    if (k.m.missingDataAt?.(exit.address)) return false;
    // Executing a present user page in kernel mode is SMEP's fault: ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY at once.
    if (exit.access === 'fetch' && k.m.engine.pageProt(exit.address) !== undefined) return false;
    const kind = exit.access === 'write' ? 1n : exit.access === 'fetch' ? 8n : 0n;
    raiseException(k, {
      code: STATUS_ACCESS_VIOLATION,
      flags: 0,
      address: exit.pc,
      params: [kind, exit.address],
      fault: { access: exit.access, address: exit.address },
      what: `access violation: ${exit.access === 'fetch' ? 'execute' : exit.access} of user-space address ${hex(exit.address)} in kernel mode`,
    }, ctx);
  }
  switch (exit.vector) {
    case 0:
      raiseException(k, { code: STATUS_INTEGER_DIVIDE_BY_ZERO, flags: 0, address: exit.pc, params: [], what: 'divide error (#DE)' }, ctx);
    case 3:
      // KiBreakpointTrap with no kernel debugger: STATUS_BREAKPOINT (BREAKPOINT_BREAK) at the int3 itself.
      raiseException(k, { code: STATUS_BREAKPOINT, flags: 0, address: exit.pc, params: [0n], what: 'breakpoint (int3) with no kernel debugger attached' }, ctx);
    case 6:
      raiseException(k, { code: STATUS_ILLEGAL_INSTRUCTION, flags: 0, address: exit.pc, params: [], what: 'invalid or unsupported instruction (#UD)' }, ctx);
    case 0x2c:
      raiseException(k, { code: STATUS_ASSERTION_FAILURE, flags: 0, address: exit.pc, params: [], what: 'assertion failure (int 2c)' }, ctx);
    case 0x29: {
      // __fastfail: KiRaiseSecurityCheckFailure bugchecks at once (no handler may see it), the code in rcx/ecx.
      const code = ctx.r[1];
      throw new GuestStop('bugcheck', `fast fail (int 29) with code ${code} at ${k.symbolize(exit.pc)}`, {
        pc: exit.pc,
        bugcheck: { code: KERNEL_SECURITY_CHECK_FAILURE, params: [code, 0n, 0n, 0n] },
        stack: stackTrace(k, ctx),
      });
    }
  }
  return false;
}

/**
 * An export's access to a bad guest pointer in kernel mode: on a user-space address below DISPATCH_LEVEL it is an
 * access violation raised in the thread (at the routine, as the kernel's own instruction faulting), which a
 * driver's __try around the call takes; else undefined (the page-fault handler's bugcheck).
 */
export function exportAccessException(k: Kernel, e: EngineMemoryError, routine: bigint, name: string): void {
  if (k.m.engine.cpl !== 0 || k.irql >= 2 || e.address >= systemRangeStart(k)) return;
  const ctx = callerCtx(k);
  raiseException(k, {
    code: STATUS_ACCESS_VIOLATION,
    flags: 0,
    address: routine,
    params: [e.access === 'write' ? 1n : 0n, e.address],
    fault: { access: e.access, address: e.address },
    export: name,
    what: `access violation: ${name}, called from ${k.symbolize(ctx.rip)}, ${e.access === 'write' ? 'wrote to' : 'read from'} user-space address ${hex(e.address)}`,
  }, ctx);
}
