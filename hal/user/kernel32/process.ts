// kernel32's process and thread functions: ids, the last error, exit, the command line, modules, start-up
// information, TLS slots, time, the process heap, and code-page conversion.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop, hex, type CallResult } from '../../machine.js';
import { Prot } from '../../../emu/engine.js';
import { describeStatus } from '../../rtl/ntstatus.js';
import { virtualUs } from '../../ke/clock.js';
import { BOOT_SYSTEM_TIME } from '../../boot.js';
import { ClientExit, TEB, TLS_SLOTS, clientOf, type ClientProcess } from '../process.js';
import { ERROR, k32, pseudoHandle, setLastError } from './common.js';
import { decodeCodePage, encodeCodePage, knownCodePage, utf16Text } from './nls.js';

const HEAP_GENERATE_EXCEPTIONS = 0x4;
const HEAP_ZERO_MEMORY = 0x8;
const HEAP_REALLOC_IN_PLACE_ONLY = 0x10;
const STATUS_NO_MEMORY = 0xc0000017;
const HEAP_TAG = 0x70616548; // 'Heap'

/** The DLLs whose exports kdemu implements, with the module handles GetModuleHandle gives for them. */
const SYSTEM_DLLS = ['kernel32.dll', 'kernelbase.dll', 'ntdll.dll', 'msvcrt.dll', 'ucrtbase.dll'];
/** Loaded in every Win32 process before its first instruction. */
const ALWAYS_LOADED = ['kernel32.dll', 'kernelbase.dll', 'ntdll.dll'];

/**
 * The loader's view of the process's modules: the image and the DLLs it imports (and those every process has) are
 * loaded for good (a static import is a reference FreeLibrary never drops); a system DLL only LoadLibrary brought in
 * has a load count, and goes when FreeLibrary drops it to zero.
 */
interface ModuleState {
  readonly pinned: Set<string>;
  readonly counts: Map<string, number>;
}
const moduleStates = new WeakMap<ClientProcess, ModuleState>();

function modules(k: Kernel): ModuleState {
  const c = clientOf(k);
  let st = moduleStates.get(c);
  if (!st) {
    const pinned = new Set(ALWAYS_LOADED);
    for (const imp of c.image.imports) {
      const n = imp.dll.toLowerCase();
      pinned.add(n.startsWith('api-ms-win-crt-') ? 'ucrtbase.dll' : n);
    }
    moduleStates.set(c, (st = { pinned, counts: new Map() }));
  }
  return st;
}

function isLoaded(k: Kernel, dll: string): boolean {
  const st = modules(k);
  return st.pinned.has(dll) || (st.counts.get(dll) ?? 0) > 0;
}

function exeName(k: Kernel): string {
  return (clientOf(k).options.path.split(/[\\/]/).pop() ?? '').toLowerCase();
}

/** One page per DLL at the top of the user stub region: an address no code runs from. */
function dllHandle(k: Kernel, dll: string): bigint {
  const l = k.m.layout;
  return l.userStubs + BigInt(l.userStubsSize) - BigInt((SYSTEM_DLLS.length - SYSTEM_DLLS.indexOf(dll)) * 0x1000);
}

/** The system DLL a module handle stands for (loaded or not), or undefined. */
function dllOfHandle(k: Kernel, h: bigint): string | undefined {
  const l = k.m.layout;
  const top = l.userStubs + BigInt(l.userStubsSize);
  if (h >= top || h < top - BigInt(SYSTEM_DLLS.length * 0x1000) || (top - h) % 0x1000n !== 0n) return undefined;
  return SYSTEM_DLLS[SYSTEM_DLLS.length - Number((top - h) / 0x1000n)];
}

/**
 * GetModuleHandle (load false) and LoadLibrary (load true): the image itself, or one of the system DLLs. A DLL that
 * is not loaded is not found by GetModuleHandle; LoadLibrary loads a system DLL (one more reference) and finds no
 * other DLL on the machine. Both fail with ERROR_MOD_NOT_FOUND.
 */
function moduleHandle(k: Kernel, name: string | null, load: boolean): bigint {
  const c = clientOf(k);
  if (name === null) return c.base;
  let n = name.split(/[\\/]/).pop()!.toLowerCase();
  if (!n.includes('.')) n += '.dll';
  if (n === exeName(k)) return c.base;
  if (!SYSTEM_DLLS.includes(n) || (!load && !isLoaded(k, n))) {
    setLastError(k, ERROR.MOD_NOT_FOUND);
    return 0n;
  }
  const st = modules(k);
  if (load && !st.pinned.has(n)) st.counts.set(n, (st.counts.get(n) ?? 0) + 1);
  return dllHandle(k, n);
}

/** FreeLibrary: one reference fewer; a handle that is no loaded module fails as LdrUnloadDll does (STATUS_DLL_NOT_FOUND). */
function freeLibrary(k: Kernel, h: bigint): number {
  const c = clientOf(k);
  if (h & 3n) {
    // LoadLibraryEx's data-file and image-resource handles (the low bits set): kdemu's loader never hands any out.
    const base = h & ~3n;
    if (base === c.base || dllOfHandle(k, base)) {
      throw new GuestStop('unsupported-call', `FreeLibrary(${hex(h)}) from ${k.symbolize(k.callerAddress())}: a LOAD_LIBRARY_AS_DATAFILE / AS_IMAGE_RESOURCE handle, which kdemu's loader does not make`, { export: 'kernel32.dll!FreeLibrary' });
    }
    setLastError(k, 193); // ERROR_BAD_EXE_FORMAT: no image there (STATUS_INVALID_IMAGE_FORMAT)
    return 0;
  }
  if (h === c.base) return 1; // the image: loaded for the process's life
  const dll = dllOfHandle(k, h);
  if (!dll || !isLoaded(k, dll)) {
    setLastError(k, ERROR.MOD_NOT_FOUND);
    return 0;
  }
  const st = modules(k);
  if (!st.pinned.has(dll)) st.counts.set(dll, st.counts.get(dll)! - 1);
  return 1;
}

function procAddress(k: Kernel, module: bigint, name: string): bigint {
  const c = clientOf(k);
  if (module === 0n || module === c.base) {
    // GetProcAddress(NULL, ...) looks in the image, as for its own handle.
    const e = c.image.exports.find((x) => x.name === name);
    if (e && !e.forwarder) return c.base + BigInt(e.rva);
    if (e) throw new GuestStop('unsupported-call', `GetProcAddress of ${name}, which the program exports as a forwarder to ${e.forwarder}: kdemu does not load other images`, { export: 'kernel32.dll!GetProcAddress' });
    setLastError(k, ERROR.PROC_NOT_FOUND);
    return 0n;
  }
  const dll = dllOfHandle(k, module);
  if (!dll || !isLoaded(k, dll)) {
    setLastError(k, ERROR.MOD_NOT_FOUND);
    return 0n;
  }
  if (!k.findExport(dll, name)) {
    setLastError(k, ERROR.PROC_NOT_FOUND);
    return 0n;
  }
  return k.resolveImport(dll, name, true);
}

function heapAlloc(k: Kernel, flags: number, size: bigint): bigint {
  if (size > 0x7fff0000n) return 0n;
  const p = k.userHeap.allocate(Number(size), HEAP_TAG, 0, 'system', 'HeapAlloc');
  if (p === null) return 0n;
  if (flags & HEAP_ZERO_MEMORY) k.m.fill(p, Number(size));
  return p;
}

/**
 * Sizes of blocks HeapReAlloc resized in place. The pool keeps each block's size from its allocation (which decides
 * the memory it gives back on free); what HeapSize, _msize and the next resize see is kept here.
 */
const resizedInPlace = new WeakMap<Kernel, Map<bigint, number>>();

function resized(k: Kernel): Map<bigint, number> {
  let m = resizedInPlace.get(k);
  if (!m) resizedInPlace.set(k, (m = new Map()));
  return m;
}

/** The size of a live block of the process heap (what HeapSize reports), or undefined when p is no block. */
export function heapBlockSize(k: Kernel, p: bigint): number | undefined {
  const b = k.userHeap.block(p);
  return b ? (resized(k).get(p) ?? b.size) : undefined;
}

/** The bytes a block really has: its allocation rounded up to the heap's granule, as the pool laid it out. */
function heapBlockCapacity(k: Kernel, p: bigint): number {
  const h = k.userHeap.header;
  return Math.max(Math.ceil(k.userHeap.block(p)!.size / h) * h, h);
}

function heapCorruption(k: Kernel, fn: string, p: bigint): never {
  throw new GuestStop('client-fault', `${fn}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: not a block of the process heap: STATUS_HEAP_CORRUPTION (0xC0000374)`, {});
}

/** Frees a block of the process heap; anything else is heap corruption, which ends the process on Windows. */
export function heapFree(k: Kernel, p: bigint, fn: string): void {
  if (!k.userHeap.block(p)) heapCorruption(k, fn, p);
  resized(k).delete(p);
  k.userHeap.free_(p, 0);
}

/**
 * HeapReAlloc / realloc: a new size for a block. With HEAP_REALLOC_IN_PLACE_ONLY the block may not move: the resize
 * succeeds when the new size fits the memory the block has, and fails otherwise, the block unchanged. Without it the
 * block moves to a new allocation. Returns 0 when it cannot (the caller reports the failure its way).
 */
export function heapReAlloc(k: Kernel, p: bigint, size: bigint, fn: string, flags = 0): bigint {
  const old = heapBlockSize(k, p);
  if (old === undefined) heapCorruption(k, fn, p);
  if (flags & HEAP_REALLOC_IN_PLACE_ONLY) {
    const capacity = heapBlockCapacity(k, p);
    if (size > BigInt(capacity)) {
      k.trace.emit({
        type: 'note',
        text: `${fn}(${hex(p)}, HEAP_REALLOC_IN_PLACE_ONLY, ${size}) fails: kdemu's heap resizes a block in place only within the ${capacity} bytes it was given; Windows' heap may also grow it into free memory after it`,
        at: k.symbolize(k.callerAddress()),
      });
      return 0n;
    }
    const n = Number(size);
    if (flags & HEAP_ZERO_MEMORY && n > old) k.m.fill(p + BigInt(old), n - old);
    if (n === k.userHeap.block(p)!.size) resized(k).delete(p);
    else resized(k).set(p, n);
    return p;
  }
  const q = heapAlloc(k, 0, size);
  if (q === 0n) return 0n;
  const n = Math.min(old, Number(size));
  if (n > 0) k.m.write(q, k.m.read(p, n));
  if (flags & HEAP_ZERO_MEMORY && Number(size) > old) k.m.fill(q + BigInt(old), Number(size) - old);
  heapFree(k, p, fn);
  return q;
}

/** HeapAlloc's and HeapReAlloc's failure: NULL and ERROR_NOT_ENOUGH_MEMORY, or STATUS_NO_MEMORY raised with HEAP_GENERATE_EXCEPTIONS. */
function heapFailure(k: Kernel, flags: number, size: bigint, fn: string): bigint {
  if (flags & HEAP_GENERATE_EXCEPTIONS) {
    // RtlAllocateHeap's raise: STATUS_NO_MEMORY, continuable, the size asked for as the one parameter.
    raiseException(k, STATUS_NO_MEMORY, 0, [size], `kernel32.dll!${fn}`);
  }
  setLastError(k, ERROR.NOT_ENOUGH_MEMORY);
  return 0n;
}

export { heapAlloc };

function tlsSlot(k: Kernel, i: number): bigint {
  return clientOf(k).teb + BigInt(TEB[k.arch].tlsSlots + i * k.ptrSize);
}

function startupInfo(k: Kernel, p: bigint): void {
  const size = k.ptrSize === 8 ? 0x68 : 0x44;
  k.m.fill(p, size);
  k.m.setU32(p, size);
}

function commandLine(k: Kernel, wide: boolean): bigint {
  const c = clientOf(k);
  if (wide) {
    if (c.commandLineW === 0n) {
      c.commandLineW = k.userAlloc(c.commandLine.length * 2 + 2, 2);
      k.m.writeWString(c.commandLineW, c.commandLine);
    }
    return c.commandLineW;
  }
  if (c.commandLineA === 0n) {
    const b = encodeCodePage(c.commandLine, 0);
    c.commandLineA = k.userAlloc(b.length + 1, 1);
    k.m.write(c.commandLineA, b);
  }
  return c.commandLineA;
}

// ---- exceptions the program leaves unhandled: the top-level filter (SetUnhandledExceptionFilter) ----
//
// On Windows an exception in the process goes through ntdll's dispatcher: vectored handlers, the SEH frames, and
// at the bottom of the thread's stack UnhandledExceptionFilter, which calls the filter SetUnhandledExceptionFilter
// set, with EXCEPTION_POINTERS (the EXCEPTION_RECORD and the CONTEXT of the registers, on the thread's stack). The
// filter's answer decides: EXCEPTION_EXECUTE_HANDLER (1) ends the process with the exception code as its exit code,
// EXCEPTION_CONTINUE_SEARCH (0) goes on to Windows Error Reporting (kdemu's client-fault stop), and
// EXCEPTION_CONTINUE_EXECUTION (-1) resumes the thread with the CONTEXT as the filter left it (NtContinue).
// kdemu runs the filter only: that is what a trace note says each time.

const EXCEPTION_NONCONTINUABLE = 0x1;
const STATUS_NONCONTINUABLE_EXCEPTION = 0xc0000025;
const STATUS_PRIVILEGED_INSTRUCTION = 0xc0000096;
/** Exceptions no handler sees: a fast fail (int 29) ends the process at once; heap corruption is reported that way too. */
const NOT_DISPATCHED = new Set([0xc0000409, 0xc0000374, 0xc0000417]);

/** An exception in the program, as the dispatcher gets it. */
export interface UserException {
  code: number;
  flags: number;
  params: bigint[];
  /**
   * 'cpu': an instruction of the program raised it (the registers are those at the fault, pc is the instruction);
   * 'dll': one of kdemu's DLL functions raised it (called from pc; the registers are those at its entry).
   */
  origin: 'cpu' | 'dll';
  /** origin 'dll': module!name of the function, when known. */
  export?: string;
}

/** Stops whose exception has been through the filter already (an outer caller must not dispatch them again). */
const dispatched = new WeakSet<GuestStop>();

/** The exception a client-fault stop stands for, or undefined for stops that are no exception (abort, a fast fail ...). */
function exceptionOf(e: GuestStop): UserException | undefined {
  if (e.outcome !== 'client-fault' || e.detail.pc === undefined) return undefined;
  const m = /STATUS_\w+ \((0x[0-9A-F]{8})\)/.exec(e.reason);
  if (!m) return undefined;
  const code = Number(m[1]);
  if (NOT_DISPATCHED.has(code)) return undefined;
  const fault = e.detail.fault;
  const cpu = e.reason.startsWith('access violation in user mode') || e.reason.startsWith('exception in user mode') || code === STATUS_PRIVILEGED_INSTRUCTION;
  if (code === 0xc0000005) {
    // ExceptionInformation: 0 read, 1 write, 8 execute (DEP); the address (-1 for a #GP, which has none).
    const params = fault ? [fault.access === 'write' ? 1n : fault.access === 'fetch' ? 8n : 0n, fault.address] : [0n, -1n];
    if (cpu) return { code, flags: 0, params, origin: 'cpu' };
    return fault ? { code, flags: 0, params, origin: 'dll', export: e.detail.export } : undefined;
  }
  if (!cpu) return undefined;
  return { code, flags: 0, params: code === 0x80000003 ? [0n] : [], origin: 'cpu' };
}

type Gpr = 'rax' | 'rcx' | 'rdx' | 'rbx' | 'rsp' | 'rbp' | 'rsi' | 'rdi' | 'r8' | 'r9' | 'r10' | 'r11' | 'r12' | 'r13' | 'r14' | 'r15' | 'rip';

/** CONTEXT (winnt.h): the integer and control registers, the segment selectors of user mode, EFlags. */
const CONTEXT = {
  x64: {
    size: 0x4d0,
    contextFlags: 0x30,
    // CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS: no x87/SSE state.
    flagsValue: 0x100007,
    eflags: 0x44,
    segments: [[0x38, 0x33], [0x3a, 0x2b], [0x3c, 0x2b], [0x3e, 0x53], [0x40, 0x2b], [0x42, 0x2b]] as const, // Cs Ds Es Fs Gs Ss
    segmentSize: 2,
    regs: { rax: 0x78, rcx: 0x80, rdx: 0x88, rbx: 0x90, rsp: 0x98, rbp: 0xa0, rsi: 0xa8, rdi: 0xb0, r8: 0xb8, r9: 0xc0, r10: 0xc8, r11: 0xd0, r12: 0xd8, r13: 0xe0, r14: 0xe8, r15: 0xf0, rip: 0xf8 } as Partial<Record<Gpr, number>>,
  },
  x86: {
    size: 0x2cc,
    contextFlags: 0,
    // CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS.
    flagsValue: 0x10007,
    eflags: 0xc0,
    segments: [[0x8c, 0], [0x90, 0x3b], [0x94, 0x23], [0x98, 0x23], [0xbc, 0x1b], [0xc8, 0x23]] as const, // Gs Fs Es Ds Cs Ss
    segmentSize: 4,
    regs: { rdi: 0x9c, rsi: 0xa0, rbx: 0xa4, rdx: 0xa8, rcx: 0xac, rax: 0xb0, rbp: 0xb4, rip: 0xb8, rsp: 0xc4 } as Partial<Record<Gpr, number>>,
  },
} as const;

/** EXCEPTION_RECORD (winnt.h). */
const EXCEPTION_RECORD = {
  x64: { code: 0, flags: 4, record: 8, address: 0x10, count: 0x18, info: 0x20, size: 0x98 },
  x86: { code: 0, flags: 4, record: 8, address: 0xc, count: 0x10, info: 0x14, size: 0x50 },
} as const;

/** Where the exception's stack pointer is: the user stack pointer the machine keeps, or the live one when user mode still runs. */
function userStackPointer(k: Kernel): bigint {
  return k.m.engine.cpl === 3 ? k.m.sp : k.m.userSp;
}

function setUserStackPointer(k: Kernel, sp: bigint): void {
  if (k.m.engine.cpl === 3) k.m.sp = sp;
  else k.m.userSp = sp;
}

/** The user-mode address of one of kdemu's DLL functions (module!name): where its exceptions happen. */
function functionAddress(k: Kernel, fn: string | undefined): bigint | undefined {
  const i = fn?.indexOf('!') ?? -1;
  return fn && i > 0 ? k.resolveImport(fn.slice(0, i), fn.slice(i + 1), true) : undefined;
}

/**
 * Writes the EXCEPTION_RECORD, the CONTEXT (the registers now, with sp and pc as given) and EXCEPTION_POINTERS on
 * the user stack below sp, as KiUserExceptionDispatcher finds them; returns their addresses and the stack pointer to
 * call the filter with, or undefined when the stack has no room left.
 */
function writeException(k: Kernel, x: UserException, sp: bigint, pc: bigint): { pointers: bigint; context: bigint; below: bigint } | undefined {
  const m = k.m;
  const C = CONTEXT[k.arch];
  const R = EXCEPTION_RECORD[k.arch];
  const p = BigInt(k.ptrSize);
  const context = (sp - 0x100n - BigInt(C.size)) & ~0x3fn;
  const record = (context - BigInt(R.size)) & ~0xfn;
  const pointers = record - 0x10n;
  const below = pointers - 0x40n;
  const l = m.layout;
  if (below - 0x1000n < l.userStackTop - BigInt(l.userStackSize) || sp > l.userStackTop) return undefined;
  m.fill(context, C.size);
  m.setU32(context + BigInt(C.contextFlags), C.flagsValue);
  for (const [r, off] of Object.entries(C.regs) as [Gpr, number][]) {
    const v = r === 'rsp' ? sp : r === 'rip' ? pc : m.engine.getReg(r);
    m.setPtr(context + BigInt(off), v);
  }
  m.setU32(context + BigInt(C.eflags), Number(m.engine.getReg('rflags') & 0xffffffffn));
  for (const [off, sel] of C.segments) {
    if (C.segmentSize === 2) m.setU16(context + BigInt(off), sel);
    else m.setU32(context + BigInt(off), sel);
  }
  m.fill(record, R.size);
  m.setU32(record + BigInt(R.code), x.code);
  m.setU32(record + BigInt(R.flags), x.flags);
  m.setPtr(record + BigInt(R.address), pc);
  const params = x.params.slice(0, 15);
  m.setU32(record + BigInt(R.count), params.length);
  params.forEach((v, i) => m.setPtr(record + BigInt(R.info) + BigInt(i) * p, BigInt.asUintN(k.ptrSize * 8, v)));
  m.setPtr(pointers, record);
  m.setPtr(pointers + p, context);
  return { pointers, context, below };
}

/**
 * Runs the top-level filter for an exception nothing else handles. Returns the CONTEXT to resume with when the filter
 * says EXCEPTION_CONTINUE_EXECUTION; throws ClientExit when it says EXCEPTION_EXECUTE_HANDLER, and `stop` (the
 * default: Windows Error Reporting ends the process) when it says EXCEPTION_CONTINUE_SEARCH or there is no filter.
 */
function unhandledException(k: Kernel, x: UserException, pc: bigint, stop: GuestStop): bigint {
  const c = clientOf(k);
  const filter = c.unhandledExceptionFilter;
  const at = k.symbolize(pc);
  const where = x.origin === 'dll' ? `in ${x.export ?? 'a kdemu DLL function'} called from ${at}` : `at ${at}`;
  k.trace.emit({
    type: 'note',
    text:
      `${describeStatus(x.code)} ${where}: kdemu searches no vectored handlers and no SEH frames (__try/__except scopes, x64 unwind handlers, x86 fs:[0] records); ` +
      (filter === 0n
        ? 'there is no top-level filter'
        : `the top-level filter ${k.symbolize(filter)} gets it, with a CONTEXT of the integer and control registers only (no x87/SSE state)` +
          (x.origin === 'dll' ? ', taken at the entry of the DLL function, which is also the ExceptionAddress' : '')),
    at,
  });
  if (filter === 0n) throw stop;
  // The exception's address and registers: at the faulting instruction, or at the entry of the DLL function.
  const sp = userStackPointer(k);
  const address = x.origin === 'cpu' ? pc : (functionAddress(k, x.export) ?? pc);
  const frame = writeException(k, x, sp, address);
  if (!frame) throw stop; // no stack left for the dispatcher: the process dies as with no handler
  let verdict: number;
  setUserStackPointer(k, frame.below);
  try {
    verdict = Number(BigInt.asIntN(32, k.m.callGuest(filter, [frame.pointers], 3).value));
  } catch (inner) {
    // An exception in the filter ends the process; it is not offered to the filter again.
    if (inner instanceof GuestStop) dispatched.add(inner);
    throw inner;
  } finally {
    setUserStackPointer(k, sp);
  }
  if (verdict > 0) throw new ClientExit(x.code);
  if (verdict === 0) throw stop;
  if (x.flags & EXCEPTION_NONCONTINUABLE) {
    throw new GuestStop('client-fault', `the top-level filter ${k.symbolize(filter)} asked to continue after the non-continuable ${describeStatus(x.code)} ${where}: ${describeStatus(STATUS_NONCONTINUABLE_EXCEPTION)}`, { pc });
  }
  return frame.context;
}

/**
 * Raises a software exception from inside one of kdemu's DLL functions (RaiseException, HeapAlloc with
 * HEAP_GENERATE_EXCEPTIONS), dispatched at once as RtlRaiseException does: returns when the filter continues
 * execution (the function then goes on), ends the process otherwise.
 */
export function raiseException(k: Kernel, code: number, flags: number, params: bigint[], fn: string): void {
  const x: UserException = { code: code >>> 0, flags, params, origin: 'dll', export: fn };
  const pc = k.callerAddress();
  const stop = new GuestStop('client-fault', `${fn} from ${k.symbolize(pc)} raised ${describeStatus(code >>> 0)}, which nothing handled`, { pc, export: fn });
  dispatched.add(stop);
  unhandledException(k, x, pc, stop);
}

/** The stack slot Machine.callGuest puts the return trap in, for a call made with stack pointer sp and n arguments. */
function returnSlot(k: Kernel, sp: bigint, n: number): bigint {
  if (k.arch === 'x64') return ((sp - 0x40n - BigInt(Math.max(n, 4) * 8)) & ~0xfn) - 8n;
  return ((sp - 0x40n - BigInt(n * 4)) & ~0x3n) - 4n;
}

/** Per process: a few bytes of user code that load the stack pointer from the slot after them and return (NtContinue's last step). */
const continueStubs = new WeakMap<ClientProcess, { code: bigint; slot: bigint }>();

function continueStub(k: Kernel): { code: bigint; slot: bigint } {
  const c = clientOf(k);
  let s = continueStubs.get(c);
  if (!s) {
    const code = k.userAlloc(0x2000, 0x1000);
    const slot = code + 0x1000n;
    const bytes = new Uint8Array(16);
    const dv = new DataView(bytes.buffer);
    if (k.arch === 'x64') {
      bytes.set([0x48, 0x8b, 0x25]); // mov rsp, [rip + rel32]
      dv.setInt32(3, Number(slot - (code + 7n)), true);
      bytes[7] = 0xc3; // ret
    } else {
      bytes.set([0x8b, 0x25]); // mov esp, [abs32]
      dv.setUint32(2, Number(slot), true);
      bytes[6] = 0xc3; // ret
    }
    k.m.write(code, bytes);
    k.m.protect(code, 0x1000, Prot.RX | Prot.User);
    continueStubs.set(c, (s = { code, slot }));
  }
  return s;
}

/**
 * Resumes the program with the registers of a CONTEXT (EXCEPTION_CONTINUE_EXECUTION): they are loaded, and the stub
 * switches to its stack and jumps to its pc; the run goes on until the code returns to the frame the host called.
 */
function continueWith(k: Kernel, context: bigint): { r: CallResult; from: bigint } {
  const m = k.m;
  const C = CONTEXT[k.arch];
  const read = (r: Gpr) => m.ptr(context + BigInt(C.regs[r]!));
  const sp = read('rsp');
  const pc = read('rip');
  const target = sp - BigInt(k.ptrSize);
  if (!m.tryRead(target, k.ptrSize)) {
    throw new GuestStop('client-fault', `the top-level filter asked to continue with a CONTEXT whose stack pointer ${hex(sp)} is not on the thread's stack: STATUS_ACCESS_VIOLATION (0xC0000005)`, { pc });
  }
  m.setPtr(target, pc);
  const stub = continueStub(k);
  m.setPtr(stub.slot, target);
  for (const r of Object.keys(C.regs) as Gpr[]) if (r !== 'rsp' && r !== 'rip') m.engine.setReg(r, read(r));
  m.engine.setReg('rflags', BigInt(m.u32(context + BigInt(C.eflags))));
  const from = target - 0x200n;
  setUserStackPointer(k, from);
  return { r: m.callGuest(stub.code, [], 3), from };
}

/**
 * Calls code of the program from the host (its entry point and TLS callbacks, the C runtime's atexit and signal
 * handlers ...): cdecl/stdcall with pointer-sized arguments, at CPL3; returns its return value. An exception it does
 * not handle goes to the top-level filter (see above), and the call resumes, ends the process, or stops the run as
 * the filter decides.
 */
export function callUserCode(k: Kernel, fn: bigint, args: readonly bigint[] = []): bigint {
  const m = k.m;
  const level = { sp: userStackPointer(k), user: m.engine.cpl === 3, n: args.length };
  let call = () => ({ r: m.callGuest(fn, args, 3), from: undefined as bigint | undefined });
  for (;;) {
    let done: { r: CallResult; from: bigint | undefined };
    try {
      done = call();
    } catch (e) {
      if (!(e instanceof GuestStop) || dispatched.has(e)) throw e;
      const x = exceptionOf(e);
      if (!x) throw e;
      dispatched.add(e);
      const context = unhandledException(k, x, e.detail.pc!, e);
      if (x.origin === 'dll') {
        throw new GuestStop('unsupported-call', `the top-level filter asked to continue after ${describeStatus(x.code)} inside ${x.export ?? 'a kdemu DLL function'} (called from ${k.symbolize(e.detail.pc!)}): kdemu cannot resume inside its own DLL functions`, {
          pc: e.detail.pc,
          export: 'kernel32.dll!UnhandledExceptionFilter',
        });
      }
      call = () => continueWith(k, context);
      continue;
    }
    if (done.from !== undefined) {
      // Resumed code returned to a return trap: it must be this call's, not that of a callback frame left behind.
      const p = BigInt(k.ptrSize);
      const returnedAt = returnSlot(k, done.from, 0) + p + BigInt(done.r.stackMismatch);
      const slot = returnSlot(k, level.sp, level.n);
      if (returnedAt < slot + p || returnedAt > slot + p + (k.arch === 'x86' ? BigInt(4 * level.n) : 0n)) {
        throw new GuestStop('unsupported-call', `code resumed by the top-level filter returned through a frame of a callback the host had called (the stack pointer came back at ${hex(returnedAt)}, not ${hex(slot + p)}): kdemu resumes only in the frame of the call that raised the exception`, {
          export: 'kernel32.dll!UnhandledExceptionFilter',
        });
      }
      // As the call's normal return leaves it: the stack pointer back where it was.
      if (level.user) m.sp = level.sp;
      else m.userSp = level.sp;
    }
    return done.r.value;
  }
}

export const exports = [
  defineExport({ ...k32, name: 'GetLastError', proto: 'DWORD GetLastError(VOID)', params: {}, ret: 'u32', impl: (k) => clientOf(k).lastError }),
  defineExport({
    ...k32, name: 'SetLastError', proto: 'VOID SetLastError(DWORD dwErrCode)', params: { dwErrCode: 'u32' }, ret: 'void',
    impl: (k, a) => setLastError(k, a.dwErrCode),
  }),
  defineExport({ ...k32, name: 'GetCurrentProcessId', proto: 'DWORD GetCurrentProcessId(VOID)', params: {}, ret: 'u32', impl: (k) => k.ps.userPid }),
  defineExport({ ...k32, name: 'GetCurrentThreadId', proto: 'DWORD GetCurrentThreadId(VOID)', params: {}, ret: 'u32', impl: (k) => k.ps.tid }),
  defineExport({ ...k32, name: 'GetCurrentProcess', proto: 'HANDLE GetCurrentProcess(VOID)', params: {}, ret: 'handle', impl: (k) => pseudoHandle(k, 1) }),
  defineExport({ ...k32, name: 'GetCurrentThread', proto: 'HANDLE GetCurrentThread(VOID)', params: {}, ret: 'handle', impl: (k) => pseudoHandle(k, 2) }),
  defineExport({
    ...k32, name: 'ExitProcess', proto: 'VOID ExitProcess(UINT uExitCode)', params: { uExitCode: 'u32' }, ret: 'void',
    impl: (_k, a) => {
      throw new ClientExit(a.uExitCode);
    },
  }),
  defineExport({ ...k32, name: 'GetCommandLineA', proto: 'LPSTR GetCommandLineA(VOID)', params: {}, ret: 'ptr', impl: (k) => commandLine(k, false) }),
  defineExport({ ...k32, name: 'GetCommandLineW', proto: 'LPWSTR GetCommandLineW(VOID)', params: {}, ret: 'ptr', impl: (k) => commandLine(k, true) }),
  defineExport({
    ...k32, name: 'GetModuleHandleA', proto: 'HMODULE GetModuleHandleA(LPCSTR lpModuleName)', params: { lpModuleName: 'pstr' }, ret: 'ptr',
    impl: (k, a) => moduleHandle(k, a.lpModuleName === 0n ? null : String.fromCharCode(...k.m.cstring(a.lpModuleName, 260)), false),
  }),
  defineExport({
    ...k32, name: 'GetModuleHandleW', proto: 'HMODULE GetModuleHandleW(LPCWSTR lpModuleName)', params: { lpModuleName: 'pwstr' }, ret: 'ptr',
    impl: (k, a) => moduleHandle(k, a.lpModuleName === 0n ? null : k.m.wstring(a.lpModuleName, 260), false),
  }),
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `LoadLibrary${w}`, proto: `HMODULE LoadLibrary${w}(LPC${w === 'W' ? 'W' : ''}STR lpLibFileName)`, params: { lpLibFileName: w === 'W' ? 'pwstr' : 'pstr' }, ret: 'ptr',
      // Only the system DLLs kdemu provides exist in the emulated machine; any other DLL is not found.
      impl: (k, a) => moduleHandle(k, w === 'W' ? k.m.wstring(a.lpLibFileName, 260) : String.fromCharCode(...k.m.cstring(a.lpLibFileName, 260)), true),
    }),
  ),
  defineExport({ ...k32, name: 'FreeLibrary', proto: 'BOOL FreeLibrary(HMODULE hLibModule)', params: { hLibModule: 'ptr' }, ret: 'i32', impl: (k, a) => freeLibrary(k, a.hLibModule) }),
  defineExport({
    ...k32, name: 'GetProcAddress', proto: 'FARPROC GetProcAddress(HMODULE hModule, LPCSTR lpProcName)', params: { hModule: 'ptr', lpProcName: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.lpProcName < 0x10000n) {
        setLastError(k, ERROR.PROC_NOT_FOUND); // by ordinal: kdemu's DLLs have no ordinals
        return 0n;
      }
      return procAddress(k, a.hModule, String.fromCharCode(...k.m.cstring(a.lpProcName, 256)));
    },
  }),
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `GetStartupInfo${w}`, proto: `VOID GetStartupInfo${w}(LPSTARTUPINFO${w} lpStartupInfo)`, params: { lpStartupInfo: 'ptr' }, ret: 'void',
      impl: (k, a) => startupInfo(k, a.lpStartupInfo),
    }),
  ),
  defineExport({
    ...k32, name: 'SetUnhandledExceptionFilter',
    proto: 'LPTOP_LEVEL_EXCEPTION_FILTER SetUnhandledExceptionFilter(LPTOP_LEVEL_EXCEPTION_FILTER lpTopLevelExceptionFilter)',
    params: { lpTopLevelExceptionFilter: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const c = clientOf(k);
      const prev = c.unhandledExceptionFilter;
      c.unhandledExceptionFilter = a.lpTopLevelExceptionFilter;
      return prev;
    },
  }),
  defineExport({
    ...k32, name: 'RaiseException',
    proto: 'VOID RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags, DWORD nNumberOfArguments, const ULONG_PTR *lpArguments)',
    params: { dwExceptionCode: 'u32', dwExceptionFlags: 'u32', nNumberOfArguments: 'u32', lpArguments: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // As kernelbase does: the reserved bit 28 of the code cleared, only EXCEPTION_NONCONTINUABLE kept, at most
      // EXCEPTION_MAXIMUM_PARAMETERS (15) arguments.
      const n = a.lpArguments === 0n ? 0 : Math.min(a.nNumberOfArguments, 15);
      const params = Array.from({ length: n }, (_, i) => k.m.ptr(a.lpArguments + BigInt(i * k.ptrSize)));
      raiseException(k, a.dwExceptionCode & 0xefffffff, a.dwExceptionFlags & EXCEPTION_NONCONTINUABLE, params, 'kernel32.dll!RaiseException');
    },
  }),
  defineExport({
    ...k32, name: 'TlsAlloc', proto: 'DWORD TlsAlloc(VOID)', params: {}, ret: 'u32',
    impl: (k) => {
      const c = clientOf(k);
      const i = c.tlsUsed.indexOf(false);
      if (i < 0) return 0xffffffff; // TLS_OUT_OF_INDEXES (the expansion slots are not modelled)
      c.tlsUsed[i] = true;
      k.m.setPtr(tlsSlot(k, i), 0n);
      return i;
    },
  }),
  defineExport({
    ...k32, name: 'TlsFree', proto: 'BOOL TlsFree(DWORD dwTlsIndex)', params: { dwTlsIndex: 'u32' }, ret: 'i32',
    impl: (k, a) => {
      const c = clientOf(k);
      if (a.dwTlsIndex >= TLS_SLOTS || !c.tlsUsed[a.dwTlsIndex]) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      c.tlsUsed[a.dwTlsIndex] = false;
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'TlsGetValue', proto: 'LPVOID TlsGetValue(DWORD dwTlsIndex)', params: { dwTlsIndex: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.dwTlsIndex >= TLS_SLOTS) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0n;
      }
      setLastError(k, ERROR.SUCCESS); // documented: callers tell a stored 0 from failure by the last error
      return k.m.ptr(tlsSlot(k, a.dwTlsIndex));
    },
  }),
  defineExport({
    ...k32, name: 'TlsSetValue', proto: 'BOOL TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue)', params: { dwTlsIndex: 'u32', lpTlsValue: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      if (a.dwTlsIndex >= TLS_SLOTS) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      k.m.setPtr(tlsSlot(k, a.dwTlsIndex), a.lpTlsValue);
      return 1;
    },
  }),
  defineExport({ ...k32, name: 'GetTickCount', proto: 'DWORD GetTickCount(VOID)', params: {}, ret: 'u32', impl: (k) => Number((virtualUs(k) / 1000n) & 0xffffffffn) }),
  defineExport({ ...k32, name: 'GetTickCount64', proto: 'ULONGLONG GetTickCount64(VOID)', params: {}, ret: 'u64', impl: (k) => virtualUs(k) / 1000n }),
  defineExport({
    ...k32, name: 'QueryPerformanceCounter', proto: 'BOOL QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)', params: { lpPerformanceCount: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      k.m.setU64(a.lpPerformanceCount, virtualUs(k) * 10n); // 10 MHz, as Windows 10 reports on most machines
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'QueryPerformanceFrequency', proto: 'BOOL QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency)', params: { lpFrequency: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      k.m.setU64(a.lpFrequency, 10_000_000n);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'GetSystemTimeAsFileTime', proto: 'VOID GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime)', params: { lpSystemTimeAsFileTime: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.lpSystemTimeAsFileTime, BOOT_SYSTEM_TIME + virtualUs(k) * 10n),
  }),
  // The process heap (one heap: GetProcessHeap's handle is its base).
  defineExport({ ...k32, name: 'GetProcessHeap', proto: 'HANDLE GetProcessHeap(VOID)', params: {}, ret: 'handle', impl: (k) => k.m.layout.user }),
  defineExport({
    ...k32, name: 'HeapAlloc', proto: 'LPVOID HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)', params: { hHeap: 'handle', dwFlags: 'u32', dwBytes: 'usize' }, ret: 'ptr',
    impl: (k, a) => heapAlloc(k, a.dwFlags, a.dwBytes) || heapFailure(k, a.dwFlags, a.dwBytes, 'HeapAlloc'),
  }),
  defineExport({
    ...k32, name: 'HeapFree', proto: 'BOOL HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)', params: { hHeap: 'handle', dwFlags: 'u32', lpMem: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      if (a.lpMem !== 0n) heapFree(k, a.lpMem, 'HeapFree');
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'HeapReAlloc', proto: 'LPVOID HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes)', params: { hHeap: 'handle', dwFlags: 'u32', lpMem: 'ptr', dwBytes: 'usize' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.lpMem === 0n) return 0n; // RtlReAllocateHeap: nothing to resize, NULL (no block is lost)
      return heapReAlloc(k, a.lpMem, a.dwBytes, 'HeapReAlloc', a.dwFlags) || heapFailure(k, a.dwFlags, a.dwBytes, 'HeapReAlloc');
    },
  }),
  defineExport({
    ...k32, name: 'HeapSize', proto: 'SIZE_T HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)', params: { hHeap: 'handle', dwFlags: 'u32', lpMem: 'ptr' }, ret: 'usize',
    impl: (k, a) => {
      const n = heapBlockSize(k, a.lpMem);
      return n !== undefined ? BigInt(n) : k.ptrSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
    },
  }),
  // Code pages.
  defineExport({ ...k32, name: 'GetACP', proto: 'UINT GetACP(VOID)', params: {}, ret: 'u32', impl: () => 1252 }),
  defineExport({ ...k32, name: 'GetOEMCP', proto: 'UINT GetOEMCP(VOID)', params: {}, ret: 'u32', impl: () => 437 }),
  defineExport({ ...k32, name: 'GetConsoleOutputCP', proto: 'UINT GetConsoleOutputCP(VOID)', params: {}, ret: 'u32', impl: () => 437 }),
  defineExport({
    ...k32, name: 'IsDBCSLeadByteEx', proto: 'BOOL IsDBCSLeadByteEx(UINT CodePage, BYTE TestChar)', params: { CodePage: 'u32', TestChar: 'u8' }, ret: 'i32',
    impl: (k, a) => {
      if (!knownCodePage(a.CodePage)) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      return 0; // the single-byte code pages kdemu knows have no lead bytes
    },
  }),
  defineExport({
    ...k32, name: 'MultiByteToWideChar',
    proto: 'int MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCCH lpMultiByteStr, int cbMultiByte, LPWSTR lpWideCharStr, int cchWideChar)',
    params: { CodePage: 'u32', dwFlags: 'u32', lpMultiByteStr: 'ptr', cbMultiByte: 'i32', lpWideCharStr: 'ptr', cchWideChar: 'i32' },
    ret: 'i32',
    impl: (k, a) => {
      if (!knownCodePage(a.CodePage) || a.lpMultiByteStr === 0n || a.cbMultiByte === 0 || a.cchWideChar < 0) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      // -1: the string and its terminating NUL.
      const src = a.cbMultiByte < 0 ? Uint8Array.from([...k.m.cstring(a.lpMultiByteStr), 0]) : k.m.read(a.lpMultiByteStr, a.cbMultiByte);
      const text = decodeCodePage(src, a.CodePage);
      if (a.cchWideChar === 0) return text.length;
      if (text.length > a.cchWideChar) {
        setLastError(k, ERROR.INSUFFICIENT_BUFFER);
        return 0;
      }
      k.m.writeWString(a.lpWideCharStr, text, false);
      return text.length;
    },
  }),
  defineExport({
    ...k32, name: 'WideCharToMultiByte',
    proto: 'int WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWCH lpWideCharStr, int cchWideChar, LPSTR lpMultiByteStr, int cbMultiByte, LPCCH lpDefaultChar, LPBOOL lpUsedDefaultChar)',
    params: { CodePage: 'u32', dwFlags: 'u32', lpWideCharStr: 'ptr', cchWideChar: 'i32', lpMultiByteStr: 'ptr', cbMultiByte: 'i32', lpDefaultChar: 'ptr', lpUsedDefaultChar: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      if (!knownCodePage(a.CodePage) || a.lpWideCharStr === 0n || a.cchWideChar === 0 || a.cbMultiByte < 0) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      const text = a.cchWideChar < 0 ? k.m.wstring(a.lpWideCharStr) + '\0' : utf16Text(k.m.read(a.lpWideCharStr, a.cchWideChar * 2));
      const dflt = a.lpDefaultChar !== 0n ? k.m.u8(a.lpDefaultChar) : 0x3f;
      const { bytes, usedDefault } = encodeCodePage(text, a.CodePage, dflt, true);
      if (a.lpUsedDefaultChar !== 0n) k.m.setU32(a.lpUsedDefaultChar, usedDefault ? 1 : 0);
      if (a.cbMultiByte === 0) return bytes.length;
      if (bytes.length > a.cbMultiByte) {
        setLastError(k, ERROR.INSUFFICIENT_BUFFER);
        return 0;
      }
      k.m.write(a.lpMultiByteStr, bytes);
      return bytes.length;
    },
  }),
];
