// Structured exception handling exports: raising (RtlRaiseException, ExRaiseStatus ...), the x64 unwinder's API
// (RtlLookupFunctionEntry, RtlVirtualUnwind, RtlUnwindEx), the C language handlers compiled code names
// (__C_specific_handler on x64; _except_handler3 and its helpers on x86), context capture and stack walks.
// Dispatch itself is ke/except.ts.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { DISPATCHER_CONTEXT, EXCEPTION_RECORD, CONTEXT_X64 } from '../layout/except.js';
import {
  callerCtx, captureCtx, EXCEPTION_EXIT_UNWIND, EXCEPTION_NONCONTINUABLE, EXCEPTION_TARGET_UNWIND, EXCEPTION_UNWINDING,
  ExceptionContinueExecution, ExceptionContinueSearch, raiseException, raiseFromExport, readContext, readRecord, resumeWith, stackTrace,
  STATUS_ACCESS_VIOLATION, STATUS_DATATYPE_MISALIGNMENT, unwindStart, unwindX64, unwindX86, writeContext,
} from '../ke/except.js';
import { lookupFunctionEntry, RSP, virtualUnwind, type Ctx, type FunctionEntry } from './unwind.js';

const nt = { module: 'ntoskrnl.exe' } as const;

/** EXCEPTION_EXECUTE_HANDLER as a scope's filter address: no filter to call. */
const EXCEPTION_EXECUTE_HANDLER = 1;

/** A loaded image holding pc that is a real PE image, its headers mapped (not one of kdemu's pseudo modules). */
function imageOf(k: Kernel, pc: bigint): { base: bigint; size: number } | undefined {
  const mod = k.moduleOf(pc);
  const mz = mod ? k.m.tryRead(mod.base, 2) : null;
  return mod && mz && mz[0] === 0x4d && mz[1] === 0x5a ? mod : undefined;
}

// ---- x64: __C_specific_handler ------------------------------------------------------------------------------------

/**
 * The language handler of C's __try: its HandlerData is a SCOPE_TABLE { Count; { BeginAddress, EndAddress,
 * HandlerAddress, JumpTarget } [Count] } (RVAs). Dispatching: the first scope holding the pc whose filter says
 * EXCEPTION_EXECUTE_HANDLER (1) unwinds to its JumpTarget (the __except block) with rax = the exception code; -1
 * continues execution. Unwinding: the __finally blocks (JumpTarget 0) of the scopes holding the pc run, stopping
 * at the scope the unwind targets.
 */
function cSpecificHandler(k: Kernel, rec: bigint, frame: bigint, context: bigint, dc: bigint): number {
  const m = k.m;
  const o = DISPATCHER_CONTEXT;
  const imageBase = m.u64(dc + BigInt(o.ImageBase));
  const controlPc = Number(m.u64(dc + BigInt(o.ControlPc)) - imageBase);
  const table = m.u64(dc + BigInt(o.HandlerData));
  const count = m.u32(table);
  const scope = (i: number) => {
    const at = table + 4n + BigInt(16 * i);
    return { begin: m.u32(at), end: m.u32(at + 4n), handler: m.u32(at + 8n), jump: m.u32(at + 12n) };
  };
  const flags = m.u32(rec + BigInt(EXCEPTION_RECORD.x64.ExceptionFlags));
  if (flags & (EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND)) {
    const targetPc = Number(m.u64(dc + BigInt(o.TargetIp)) - imageBase);
    for (let i = m.u32(dc + BigInt(o.ScopeIndex)); i < count; i++) {
      const s = scope(i);
      if (controlPc < s.begin || controlPc >= s.end) continue;
      if (flags & EXCEPTION_TARGET_UNWIND) {
        // The target lies in this same __try (the unwind ends in it): nothing more runs here.
        let j = 0;
        for (; j < count; j++) {
          const t = scope(j);
          if (targetPc >= t.begin && targetPc < t.end && t.jump === s.jump && t.handler === s.handler) break;
        }
        if (j !== count) break;
      }
      if (s.jump !== 0) {
        if (targetPc === s.jump && flags & EXCEPTION_TARGET_UNWIND) break;
      } else {
        // The next handler call resumes after this scope (a __finally that raises does not run twice).
        m.setU32(dc + BigInt(o.ScopeIndex), i + 1);
        k.m.callGuest(imageBase + BigInt(s.handler), [1n, frame]);
      }
    }
    return ExceptionContinueSearch;
  }
  // EXCEPTION_POINTERS { ExceptionRecord, ContextRecord } for the filters, in the handler's own frame.
  const pointers = (m.sp - 0x20n) & ~0xfn;
  m.setU64(pointers, rec);
  m.setU64(pointers + 8n, context);
  for (let i = m.u32(dc + BigInt(o.ScopeIndex)); i < count; i++) {
    const s = scope(i);
    if (controlPc < s.begin || controlPc >= s.end || s.jump === 0) continue;
    const value = s.handler === EXCEPTION_EXECUTE_HANDLER ? 1 : Number(k.m.callGuest(imageBase + BigInt(s.handler), [pointers, frame]).value & 0xffffffffn) | 0;
    if (value < 0) return ExceptionContinueExecution;
    if (value > 0) {
      const code = BigInt(m.u32(rec));
      unwindX64(k, frame, imageBase + BigInt(s.jump), rec, code, unwindStart(k));
    }
  }
  return ExceptionContinueSearch;
}

// ---- x86: _except_handler3 -----------------------------------------------------------------------------------------

/**
 * MSVC's x86 frame: the EXCEPTION_REGISTRATION_RECORD { Next, Handler } is followed by ScopeTable and TryLevel, and
 * preceded by the saved esp (-8) and the EXCEPTION_POINTERS pointer (-4); the function's ebp is the record + 0x10.
 * A scope table entry is { EnclosingLevel, FilterFunc (0: a __finally), HandlerFunc }.
 */
function scopeEntry(k: Kernel, reg: bigint, level: number): { prev: number; filter: bigint; handler: bigint } {
  const table = BigInt(k.m.u32(reg + 8n));
  const at = table + BigInt(12 * level);
  return { prev: k.m.u32(at) | 0, filter: BigInt(k.m.u32(at + 4n)), handler: BigInt(k.m.u32(at + 8n)) };
}

/** Calls a filter or termination block of the frame at reg: no arguments, ebp the frame's. */
function callWithEbp(k: Kernel, target: bigint, reg: bigint): number {
  const e = k.m.engine;
  const saved = e.getReg('rbp');
  e.setReg('rbp', reg + 0x10n);
  try {
    return Number(k.m.callGuest(target, []).value & 0xffffffffn) | 0;
  } finally {
    e.setReg('rbp', saved);
  }
}

/** Local unwinds in progress on each kernel (the frame and the level being left), for _abnormal_termination. */
const localUnwinds = new WeakMap<Kernel, bigint[]>();

/** _local_unwind2: runs the __finally blocks of the frame's scopes from its TryLevel out to `stop` (-1: all). */
function localUnwind2(k: Kernel, reg: bigint, stop: number): void {
  const list = localUnwinds.get(k) ?? [];
  localUnwinds.set(k, list);
  for (let guard = 0; guard < 4096; guard++) {
    const level = k.m.u32(reg + 12n) | 0;
    if (level === -1 || level === stop) return;
    const s = scopeEntry(k, reg, level);
    k.m.setU32(reg + 12n, s.prev);
    if (s.filter === 0n) {
      list.push(reg);
      try {
        callWithEbp(k, s.handler, reg);
      } finally {
        list.pop();
      }
    }
  }
}

function exceptHandler3(k: Kernel, rec: bigint, reg: bigint, context: bigint): number {
  const m = k.m;
  const flags = m.u32(rec + BigInt(EXCEPTION_RECORD.x86.ExceptionFlags));
  if (flags & (EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND)) {
    localUnwind2(k, reg, -1);
    return ExceptionContinueSearch;
  }
  const pointers = (m.sp - 0x20n) & ~0xfn;
  m.setU32(pointers, Number(rec));
  m.setU32(pointers + 4n, Number(context));
  m.setU32(reg - 4n, Number(pointers));
  let level = m.u32(reg + 12n) | 0;
  for (let guard = 0; level !== -1 && guard < 4096; guard++) {
    const s = scopeEntry(k, reg, level);
    if (s.filter !== 0n) {
      const value = callWithEbp(k, s.filter, reg);
      if (value < 0) return ExceptionContinueExecution;
      if (value > 0) {
        // _global_unwind2, then this frame's own inner __finally blocks, then the __except block with the frame's ebp.
        unwindX86(k, reg, rec, captureCtx(k));
        localUnwind2(k, reg, level);
        m.setU32(reg + 12n, s.prev);
        const c = captureCtx(k);
        c.r[5] = reg + 0x10n;
        c.r[RSP] = BigInt(m.u32(reg - 8n));
        c.rip = s.handler;
        resumeWith(c);
      }
    }
    level = s.prev;
  }
  return ExceptionContinueSearch;
}

// ---- context and stacks -------------------------------------------------------------------------------------------

/** Writes the general registers of ctx into a CONTEXT in place, keeping its other fields (RtlVirtualUnwind). */
function storeIntegerContext(k: Kernel, at: bigint, c: Ctx): void {
  for (let i = 0; i < 16; i++) k.m.setU64(at + BigInt(CONTEXT_X64.Rax + 8 * i), c.r[i]);
  k.m.setU64(at + BigInt(CONTEXT_X64.Rip), c.rip);
}

/** The frames above the caller of the export: return addresses, innermost first (the caller's own location first). */
function callerFrames(k: Kernel): bigint[] {
  return stackTrace(k, callerCtx(k), 128);
}

function raiseStatus(k: Kernel, status: number, routine: string): never {
  raiseFromExport(k, status, [], `${routine}(${hex(status, 8)}) from ${k.symbolize(k.callerAddress())}`, EXCEPTION_NONCONTINUABLE);
}

export const exports = [
  defineExport({
    ...nt, name: '__C_specific_handler', cc: 'cdecl', arch: 'x64',
    proto: 'EXCEPTION_DISPOSITION __C_specific_handler(struct _EXCEPTION_RECORD *ExceptionRecord, void *EstablisherFrame, struct _CONTEXT *ContextRecord, struct _DISPATCHER_CONTEXT *DispatcherContext)',
    params: { ExceptionRecord: 'ptr', EstablisherFrame: 'ptr', ContextRecord: 'ptr', DispatcherContext: 'ptr' }, ret: 'i32',
    impl: (k, a) => cSpecificHandler(k, a.ExceptionRecord, a.EstablisherFrame, a.ContextRecord, a.DispatcherContext),
  }),
  defineExport({
    ...nt, name: '_except_handler3', cc: 'cdecl', arch: 'x86',
    proto: 'EXCEPTION_DISPOSITION __cdecl _except_handler3(struct _EXCEPTION_RECORD *ExceptionRecord, struct _EXCEPTION_REGISTRATION_RECORD *EstablisherFrame, struct _CONTEXT *ContextRecord, void *DispatcherContext)',
    params: { ExceptionRecord: 'ptr', EstablisherFrame: 'ptr', ContextRecord: 'ptr', DispatcherContext: 'ptr' }, ret: 'i32',
    impl: (k, a) => exceptHandler3(k, a.ExceptionRecord, a.EstablisherFrame, a.ContextRecord),
  }),
  defineExport({
    ...nt, name: '_local_unwind2', cc: 'cdecl', arch: 'x86',
    proto: 'void __cdecl _local_unwind2(struct _EXCEPTION_REGISTRATION_RECORD *EstablisherFrame, int TryLevel)',
    params: { EstablisherFrame: 'ptr', TryLevel: 'i32' }, ret: 'void',
    impl: (k, a) => localUnwind2(k, a.EstablisherFrame, a.TryLevel),
  }),
  defineExport({
    ...nt, name: '_global_unwind2', cc: 'cdecl', arch: 'x86',
    proto: 'void __cdecl _global_unwind2(struct _EXCEPTION_REGISTRATION_RECORD *EstablisherFrame)',
    params: { EstablisherFrame: 'ptr' }, ret: 'void',
    impl: (k, a) => unwindX86(k, a.EstablisherFrame, 0n, callerCtx(k)),
  }),
  defineExport({
    ...nt, name: '_abnormal_termination', cc: 'cdecl', arch: 'x86',
    proto: 'int __cdecl _abnormal_termination(void)',
    params: {}, ret: 'i32',
    // TRUE inside a __finally block that a local unwind (an exception's unwind) runs, not on the normal exit path.
    impl: (k) => ((localUnwinds.get(k)?.length ?? 0) > 0 ? 1 : 0),
  }),
  defineExport({
    ...nt, name: 'RtlUnwind', cc: 'stdcall',
    proto: 'VOID RtlUnwind(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord, PVOID ReturnValue)',
    params: { TargetFrame: 'ptr', TargetIp: 'ptr', ExceptionRecord: 'ptr', ReturnValue: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // x86 unwinds the registration chain and returns to the caller; x64 is RtlUnwindEx with a context of its own.
      if (k.arch === 'x86') {
        unwindX86(k, a.TargetFrame, a.ExceptionRecord, callerCtx(k));
        // The caller continues with eax = ReturnValue (x86's RtlUnwind ends in NtContinue of its caller's context).
        k.m.engine.setReg('rax', a.ReturnValue);
        return;
      }
      unwindX64(k, a.TargetFrame, a.TargetIp, a.ExceptionRecord, a.ReturnValue, unwindStart(k));
    },
  }),
  defineExport({
    ...nt, name: 'RtlUnwindEx', cc: 'stdcall', arch: 'x64',
    proto: 'VOID RtlUnwindEx(PVOID TargetFrame, PVOID TargetIp, PEXCEPTION_RECORD ExceptionRecord, PVOID ReturnValue, PCONTEXT ContextRecord, PUNWIND_HISTORY_TABLE HistoryTable)',
    params: { TargetFrame: 'ptr', TargetIp: 'ptr', ExceptionRecord: 'ptr', ReturnValue: 'ptr', ContextRecord: 'ptr', HistoryTable: 'ptr' }, ret: 'void',
    impl: (k, a) => unwindX64(k, a.TargetFrame, a.TargetIp, a.ExceptionRecord, a.ReturnValue, unwindStart(k)),
  }),
  defineExport({
    ...nt, name: 'RtlLookupFunctionEntry', cc: 'stdcall', arch: 'x64',
    proto: 'PRUNTIME_FUNCTION RtlLookupFunctionEntry(DWORD64 ControlPc, PDWORD64 ImageBase, PUNWIND_HISTORY_TABLE HistoryTable)',
    params: { ControlPc: 'u64', ImageBase: 'ptr', HistoryTable: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const f = lookupFunctionEntry(k, a.ControlPc);
      k.m.setU64(a.ImageBase, f?.imageBase ?? imageOf(k, a.ControlPc)?.base ?? 0n);
      return f?.address ?? 0n;
    },
  }),
  defineExport({
    ...nt, name: 'RtlVirtualUnwind', cc: 'stdcall', arch: 'x64',
    proto: 'PEXCEPTION_ROUTINE RtlVirtualUnwind(DWORD HandlerType, DWORD64 ImageBase, DWORD64 ControlPc, PRUNTIME_FUNCTION FunctionEntry, PCONTEXT ContextRecord, PVOID *HandlerData, PDWORD64 EstablisherFrame, PKNONVOLATILE_CONTEXT_POINTERS ContextPointers)',
    params: { HandlerType: 'u32', ImageBase: 'u64', ControlPc: 'u64', FunctionEntry: 'ptr', ContextRecord: 'ptr', HandlerData: 'ptr', EstablisherFrame: 'ptr', ContextPointers: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const m = k.m;
      const fn: FunctionEntry = { imageBase: a.ImageBase, address: a.FunctionEntry, begin: m.u32(a.FunctionEntry), end: m.u32(a.FunctionEntry + 4n), unwindInfo: m.u32(a.FunctionEntry + 8n) };
      const c = readContext(k, a.ContextRecord);
      c.rip = a.ControlPc;
      if (a.ContextPointers !== 0n) c.from = [];
      const u = virtualUnwind(k, a.HandlerType, fn, c);
      storeIntegerContext(k, a.ContextRecord, c);
      // KNONVOLATILE_CONTEXT_POINTERS: FloatingContext[16], then IntegerContext[16] (where each register was restored from).
      if (c.from) for (let i = 0; i < 16; i++) if (c.from[i] !== undefined) m.setU64(a.ContextPointers + 0x80n + BigInt(8 * i), c.from[i]!);
      m.setU64(a.HandlerData, u.handlerData);
      m.setU64(a.EstablisherFrame, u.establisherFrame);
      return u.handler;
    },
  }),
  defineExport({
    ...nt, name: 'RtlPcToFileHeader', cc: 'stdcall', arch: 'x64',
    proto: 'PVOID RtlPcToFileHeader(PVOID PcValue, PVOID *BaseOfImage)',
    params: { PcValue: 'ptr', BaseOfImage: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const base = imageOf(k, a.PcValue)?.base ?? 0n;
      k.m.setPtr(a.BaseOfImage, base);
      return base;
    },
  }),
  defineExport({
    ...nt, name: 'RtlRaiseException', cc: 'stdcall',
    proto: 'VOID RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord)',
    params: { ExceptionRecord: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // The caller's own record is dispatched, its ExceptionAddress set to where the caller raised it.
      const ctx = callerCtx(k);
      k.m.setPtr(a.ExceptionRecord + BigInt(EXCEPTION_RECORD[k.arch].ExceptionAddress), ctx.rip);
      const e = readRecord(k, a.ExceptionRecord);
      raiseException(k, { ...e, what: `RtlRaiseException(${hex(e.code, 8)}) from ${k.symbolize(ctx.rip)}` }, ctx, a.ExceptionRecord);
    },
  }),
  defineExport({
    ...nt, name: 'ExRaiseStatus', cc: 'stdcall',
    proto: 'DECLSPEC_NORETURN VOID ExRaiseStatus(NTSTATUS Status)',
    params: { Status: 'status' }, ret: 'void',
    impl: (k, a) => raiseStatus(k, a.Status, 'ExRaiseStatus'),
  }),
  defineExport({
    ...nt, name: 'ExRaiseAccessViolation', cc: 'stdcall',
    proto: 'VOID ExRaiseAccessViolation(VOID)',
    params: {}, ret: 'void',
    impl: (k) => raiseStatus(k, STATUS_ACCESS_VIOLATION, 'ExRaiseAccessViolation'),
  }),
  defineExport({
    ...nt, name: 'ExRaiseDatatypeMisalignment', cc: 'stdcall',
    proto: 'VOID ExRaiseDatatypeMisalignment(VOID)',
    params: {}, ret: 'void',
    impl: (k) => raiseStatus(k, STATUS_DATATYPE_MISALIGNMENT, 'ExRaiseDatatypeMisalignment'),
  }),
  defineExport({
    ...nt, name: 'RtlCaptureContext', cc: 'stdcall',
    proto: 'VOID RtlCaptureContext(PCONTEXT ContextRecord)',
    params: { ContextRecord: 'ptr' }, ret: 'void',
    // The caller's registers as they are when the call returns.
    impl: (k, a) => writeContext(k, a.ContextRecord, callerCtx(k)),
  }),
  defineExport({
    ...nt, name: 'RtlCaptureStackBackTrace', cc: 'stdcall',
    proto: 'USHORT RtlCaptureStackBackTrace(ULONG FramesToSkip, ULONG FramesToCapture, PVOID *BackTrace, PULONG BackTraceHash)',
    params: { FramesToSkip: 'u32', FramesToCapture: 'u32', BackTrace: 'ptr', BackTraceHash: 'ptr' }, ret: 'u16',
    impl: (k, a) => {
      const frames = callerFrames(k).slice(a.FramesToSkip, a.FramesToSkip + a.FramesToCapture);
      let hash = 0n;
      frames.forEach((f, i) => {
        k.m.setPtr(a.BackTrace + BigInt(i * k.ptrSize), f);
        hash += f;
      });
      // The hash is the sum of the captured addresses, truncated to a ULONG.
      if (a.BackTraceHash !== 0n) k.m.setU32(a.BackTraceHash, Number(hash & 0xffffffffn));
      return frames.length;
    },
  }),
  defineExport({
    ...nt, name: 'RtlWalkFrameChain', cc: 'stdcall',
    proto: 'ULONG RtlWalkFrameChain(PVOID *Callers, ULONG Count, ULONG Flags)',
    params: { Callers: 'ptr', Count: 'u32', Flags: 'u32' }, ret: 'u32',
    impl: (k, a) => {
      // Flags 1 asks for the thread's user-mode frames: a system thread has none; kdemu does not walk a client's.
      if (a.Flags & 1) {
        if (k.ps.current.userStack === 0n) return 0;
        throw new GuestStop('unsupported-call', `RtlWalkFrameChain for user-mode frames from ${k.symbolize(k.callerAddress())}: kdemu walks kernel-mode frames only`, { export: 'ntoskrnl.exe!RtlWalkFrameChain' });
      }
      const frames = callerFrames(k).slice(0, a.Count);
      frames.forEach((f, i) => k.m.setPtr(a.Callers + BigInt(i * k.ptrSize), f));
      return frames.length;
    },
  }),
];
