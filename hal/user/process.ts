// The client: an unmodified user-mode console program run in the emulated user process, against the driver.
//
// Like the Windows loader and kernel32's process start-up: the image is mapped at its preferred base in the user
// half, its imports bind to kdemu's user-mode DLL exports (user stubs), the PEB, TEB, process parameters and TLS
// are built, TLS callbacks run, then the entry point (the C runtime's start-up, which calls main) runs at CPL3 on
// the user stack. It ends by returning from the entry point, ExitProcess/exit, or a fault; then the kernel closes
// the handles it left open (IRP_MJ_CLEANUP and IRP_MJ_CLOSE reach the driver).

import { EngineMemoryError, Prot } from '../../emu/engine.js';
import { bindImports, mapImage, type PeImage } from '../../emu/pe/index.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { ProcessContext } from '../ps/process.js';
import { osVersion } from '../rtl/version.js';
import { ntClose } from '../io/iofunc.js';
import { deliver } from '../ke/clock.js';
import { cancelFileIo } from '../io/cancel.js';
import { layouts } from '../layout/index.js';
import { imageFits } from '../io/driver.js';
import { callUserCode } from './kernel32/process.js';
import { processCreated, processExiting, threadExiting } from '../ps/notify.js';
import { describeStatus } from '../rtl/ntstatus.js';

/** ExitProcess, exit, or the entry point's return: unwinds the host call stack to runClient. */
export class ClientExit extends Error {
  constructor(readonly code: number) {
    super(`the client exited with code ${code}`);
  }
}

/** What the process's handles stand for, besides files (which the I/O manager keeps). */
export type ClientHandle = { kind: 'console'; stream: 0 | 1 | 2 };

/** The TEB's TLS slot array, where kernel32's TlsGetValue/TlsSetValue keep values (hal/layout/user.ts's TEB). */
export const TEB = {
  x64: { tlsSlots: layouts('x64').TEB.off.TlsSlots },
  x86: { tlsSlots: layouts('x86').TEB.off.TlsSlots },
} as const;

export const TLS_SLOTS = 64;

export interface ClientOptions {
  path: string;
  /** Arguments after the program name. */
  args: readonly string[];
  /** Standard input: read to its end, then EOF. */
  stdin: Uint8Array;
  /** Called with each piece of console output as it is written (the CLI prints it as it comes). */
  onOutput?: (stream: 1 | 2, bytes: Uint8Array) => void;
}

/** The client process's user-mode state that its DLLs keep. */
export class ClientProcess {
  readonly stdout: number[] = [];
  /** Driver misbehaviour noticed during the program's requests (a dispatch routine that did not complete ...). */
  readonly notes: string[] = [];
  readonly stderr: number[] = [];
  stdinPos = 0;
  readonly handles = new Map<number, ClientHandle>();
  readonly stdHandles: [number, number, number];
  readonly base: bigint;
  readonly entry: bigint;
  /** The main thread's TEB (each thread CreateThread makes has its own). */
  readonly mainTeb: bigint;
  readonly peb: bigint;
  readonly commandLine: string;
  /** Command line copies the CRTs hand out (GetCommandLineA/W return the same pointers every time). */
  commandLineA = 0n;
  commandLineW = 0n;
  /** TLS callbacks from the image's TLS directory. */
  readonly tlsCallbacks: bigint[] = [];
  readonly tlsUsed = new Array<boolean>(TLS_SLOTS).fill(false);
  exitCode: number | undefined;
  unhandledExceptionFilter = 0n;
  /** C runtime state (msvcrt / ucrt). */
  readonly crt = { atexit: [] as bigint[], ungot: -1, locks: new Map<number, number>(), signals: new Map<number, bigint>(), cache: new Map<string, bigint>(), appType: 0, userMathErr: 0n, newMode: 0, invalidParameterHandler: 0n, atQuickExit: [] as bigint[] };

  constructor(
    private readonly k: Kernel,
    readonly image: PeImage,
    bytes: Uint8Array,
    readonly options: ClientOptions,
  ) {
    const m = k.m;
    const arch = k.arch;
    k.createUserSpace();
    // Binding imports creates the runtime's variables, which belong to this process.
    k.client = this;
    k.afterUserCall = () => deliver(k);
    const base = image.imageBase;
    const size = BigInt(Math.ceil(image.sizeOfImage / 0x1000) * 0x1000);
    const l = m.layout;
    if (base < 0x10000n || base + size > (arch === 'x64' ? 0x7fff_ffff_0000n : 0x7fff_0000n) || (base < l.userLimit && base + size > l.user) || (base < l.userStackTop && base + size > l.userStackTop - BigInt(l.userStackSize))) {
      throw new GuestStop('client-fault', `the client's image base 0x${base.toString(16)} overlaps memory kdemu's user process uses; relink it elsewhere`, {});
    }
    this.base = base;
    this.entry = base + BigInt(image.entryRva);
    const name = options.path.split(/[\\/]/).pop() ?? options.path;
    this.commandLine = [name, ...options.args].map(quoteArg).join(' ');
    imageFits(k, image, options.path);
    const mapped = mapImage(image, bytes, base);
    bindImports(mapped, image, (dll, e) => k.resolveImport(dll, e.name ?? `#${e.ordinal}`, true));
    // Written while writable only, then each section gets its protection (the engines look at code once it can run).
    k.mapRegion(base, mapped.size, Prot.RW | Prot.User);
    m.writeSparse(base, mapped.memory);
    for (const r of mapped.regions) m.protect(base + BigInt(r.rva), r.size, (r.prot | Prot.User) as Prot);
    k.modules.push({ name, base, size: mapped.size });

    // The process heap, PEB, parameters and TEB.
    const heap = k.userHeap;
    const L = k.L;
    const P = L.PEB.off;
    this.peb = k.userAlloc(L.PEB.size, 0x1000);
    m.setPtrAt(this.peb, P.ImageBaseAddress, base);
    m.setPtrAt(this.peb, P.ProcessHeap, l.user);
    m.setU32At(this.peb, P.NumberOfProcessors, 1);
    const version = osVersion(k);
    m.setU32At(this.peb, P.OSMajorVersion, version.major);
    m.setU32At(this.peb, P.OSMinorVersion, version.minor);
    m.setU16At(this.peb, P.OSBuildNumber, version.build);
    m.setU32At(this.peb, P.OSPlatformId, 2); // VER_PLATFORM_WIN32_NT
    void heap;
    const R = L.RTL_USER_PROCESS_PARAMETERS;
    const params = k.userAlloc(R.size, 16);
    // The block is the structure alone (its strings live apart), already normalized: the strings hold pointers.
    m.setU32At(params, R.off.MaximumLength, R.size);
    m.setU32At(params, R.off.Length, R.size);
    m.setU32At(params, R.off.Flags, 1); // RTL_USER_PROC_PARAMS_NORMALIZED
    m.setPtrAt(this.peb, P.ProcessParameters, params);
    const imagePath = 'C:\\kdemu\\' + name;
    this.unicodeString(params + BigInt(R.off.ImagePathName), imagePath);
    this.unicodeString(params + BigInt(R.off.CommandLine), this.commandLine);

    this.mainTeb = this.newTeb(l.userStackTop, l.userStackSize, k.ps.userTid);
    // The process and its main thread carry the program's name from here on.
    k.ps.nameClient(name, imagePath);
    // The user-mode segment base: behind gs (x64, swapped in by swapgs) or fs (x86) once user mode runs.
    if (arch === 'x64') k.cpu.msr.set(0xc0000102, this.mainTeb);
    else k.cpu.otherFsBase = this.mainTeb;
    k.ps.mainThread(1).teb = this.mainTeb;

    this.setUpTls();
    // Each thread the program creates runs the TLS callbacks with DLL_THREAD_ATTACH before its routine.
    k.sched.onUserThreadStart = () => {
      for (const cb of this.tlsCallbacks) callUserCode(k, cb, [this.base, 2n, 0n]);
    };
    // ... and DLL_THREAD_DETACH when it ends (ExitThread or its routine's return).
    k.sched.onUserThreadEnd = () => {
      for (const cb of this.tlsCallbacks) callUserCode(k, cb, [this.base, 3n, 0n]);
    };
    this.stdHandles = [this.open({ kind: 'console', stream: 0 }), this.open({ kind: 'console', stream: 1 }), this.open({ kind: 'console', stream: 2 })];
    // GetStdHandle's answers, where the process parameters keep them.
    m.setPtrAt(params, R.off.StandardInput, BigInt(this.stdHandles[0]));
    m.setPtrAt(params, R.off.StandardOutput, BigInt(this.stdHandles[1]));
    m.setPtrAt(params, R.off.StandardError, BigInt(this.stdHandles[2]));
  }

  /** The current thread's TEB (the main thread's when kdemu itself acts for the process). */
  get teb(): bigint {
    const t = this.k.ps.current;
    return t.user && t.teb !== 0n ? t.teb : this.mainTeb;
  }

  /** A TEB for a thread with the given stack: the NT_TIB, its ids, the PEB, and a TLS block of its own. */
  newTeb(stackTop: bigint, stackSize: number, tid: number): bigint {
    const k = this.k;
    const m = k.m;
    const T = k.L.TEB.off;
    const teb = k.userAlloc(k.L.TEB.size, 0x1000);
    m.setPtrAt(teb, T['NtTib.ExceptionList'], k.arch === 'x64' ? 0n : 0xffffffffn); // x86's SEH chain ends with -1
    m.setPtrAt(teb, T['NtTib.StackBase'], stackTop);
    m.setPtrAt(teb, T['NtTib.StackLimit'], stackTop - BigInt(stackSize));
    m.setPtrAt(teb, T['NtTib.Self'], teb);
    m.setPtrAt(teb, T['ClientId.UniqueProcess'], BigInt(k.ps.userPid));
    m.setPtrAt(teb, T['ClientId.UniqueThread'], BigInt(tid));
    m.setPtrAt(teb, T.ProcessEnvironmentBlock, this.peb);
    if (this.tlsTemplate) this.threadTls(teb);
    return teb;
  }

  /** Implicit TLS for a thread: its own copy of the template block. */
  private threadTls(teb: bigint): void {
    const k = this.k;
    const t = this.tlsTemplate!;
    const block = k.userAlloc(t.data.length + t.zeroFill + 16, 16);
    k.m.write(block, t.data);
    const array = k.userAlloc(k.ptrSize * 4, 16);
    k.m.setPtr(array, block);
    k.m.setPtrAt(teb, k.L.TEB.off.ThreadLocalStoragePointer, array);
  }
  private tlsTemplate?: { data: Uint8Array; zeroFill: number };

  /** A new process handle (files get theirs from the I/O manager's table, which hands out the same numbers). */
  open(h: ClientHandle): number {
    const handle = this.k.io.allocateHandle();
    this.handles.set(handle, h);
    return handle;
  }

  private unicodeString(us: bigint, text: string): void {
    const buf = this.k.userAlloc(text.length * 2 + 2, 2);
    this.k.m.writeWString(buf, text);
    const o = this.k.L.UNICODE_STRING.off;
    this.k.m.setU16At(us, o.Length, text.length * 2);
    this.k.m.setU16At(us, o.MaximumLength, text.length * 2 + 2);
    this.k.m.setPtrAt(us, o.Buffer, buf);
  }

  /** Implicit TLS (IMAGE_TLS_DIRECTORY): the thread's block from the template, its index, the callbacks. */
  private setUpTls(): void {
    const dir = this.image.dataDirectories[9];
    if (!dir || dir.size === 0 || dir.rva === 0) return;
    // The loader reads the directory with the process's rights; a directory pointing at nothing mapped is its access
    // violation, and the process never starts (Windows: "unable to start correctly (0xc0000005)").
    try {
      this.k.m.actingAs(3, () => this.readTlsDirectory(dir.rva));
    } catch (e) {
      if (!(e instanceof EngineMemoryError)) throw e;
      throw new GuestStop('client-fault', `the loader faulted on the program's TLS directory (${e.access} of ${hex(e.address)}): the process cannot start, STATUS_ACCESS_VIOLATION (0xC0000005)`, {
        fault: { access: e.access, address: e.address },
      });
    }
  }

  private readTlsDirectory(rva: number): void {
    const k = this.k;
    const m = k.m;
    const dir = { rva };
    const d = this.base + BigInt(dir.rva);
    const p = k.ptrSize;
    const start = m.ptr(d);
    const end = m.ptr(d + BigInt(p));
    const indexAt = m.ptr(d + BigInt(2 * p));
    const callbacks = m.ptr(d + BigInt(3 * p));
    const zeroFill = m.u32(d + BigInt(4 * p));
    const template = end > start ? m.read(start, Number(end - start)) : new Uint8Array(0);
    this.tlsTemplate = { data: template, zeroFill };
    this.threadTls(this.mainTeb);
    if (indexAt) m.setU32(indexAt, 0);
    if (callbacks) {
      for (let a = callbacks; ; a += BigInt(p)) {
        const cb = m.ptr(a);
        if (cb === 0n) break;
        this.tlsCallbacks.push(cb);
      }
    }
  }

  /** Console output: kept as the bytes the program wrote, and passed on as it comes. */
  write(stream: 1 | 2, bytes: Uint8Array): void {
    const out = stream === 1 ? this.stdout : this.stderr;
    for (const b of bytes) out.push(b);
    this.options.onOutput?.(stream, bytes);
  }

  /** The next byte of standard input, or -1 at its end. */
  readByte(): number {
    const s = this.options.stdin;
    return this.stdinPos < s.length ? s[this.stdinPos++] : -1;
  }

  get lastError(): number {
    return this.k.m.u32At(this.teb, this.k.L.TEB.off.LastErrorValue);
  }
  set lastError(v: number) {
    this.k.m.setU32At(this.teb, this.k.L.TEB.off.LastErrorValue, v >>> 0);
  }

  /**
   * Runs the process: TLS callbacks (DLL_PROCESS_ATTACH), then the entry point; returns the exit code. The caller
   * closes its handles (closeAll) when the machine is still sound.
   */
  run(): number {
    const k = this.k;
    // The process starts: drivers' process, thread and image notify routines see it, in its creator's context.
    const p = k.ps.clientProcess;
    if (k.trace.enabled) k.trace.emit({ type: 'process', event: 'create', pid: p.pid, parentPid: p.parentPid, image: p.imagePath });
    const status = processCreated(k, p, k.ps.mainThread(ProcessContext.User), this.commandLine, this.base, BigInt(this.image.sizeOfImage));
    if (status !== 0) {
      throw new GuestStop('client-fault', `a process notify routine refused the program's creation with ${describeStatus(status)}: CreateProcess fails, the program never runs`, {});
    }
    const ctx = k.ps.enter(ProcessContext.User);
    try {
      try {
        // An exception the program leaves unhandled goes to its top-level filter (SetUnhandledExceptionFilter).
        for (const cb of this.tlsCallbacks) callUserCode(k, cb, [this.base, 1n, 0n]);
        const r = callUserCode(k, this.entry);
        // Returning from the entry point is ExitThread for the main thread (the C runtime calls exit() first).
        this.exitCode = Number(BigInt.asUintN(32, r));
      } catch (e) {
        if (!(e instanceof ClientExit)) throw e;
        this.exitCode = e.code >>> 0;
      }
      this.ended(this.exitCode);
      return this.exitCode;
    } finally {
      k.ps.leave(ctx);
    }
  }

  /** The process ends: its other threads end with it (they have nothing on the host stack), then the process. */
  private ended(code: number): void {
    const k = this.k;
    const p = k.ps.clientProcess;
    const main = k.ps.mainThread(ProcessContext.User);
    for (const t of p.threads) {
      if (t.state === 'terminated') continue;
      if (t.root) {
        threadExiting(k, t);
        t.state = 'terminated';
        t.exitStatus = code >>> 0;
        k.ps.dropSelf(t.ethread);
        k.m.actingAs(-1, () => k.m.setU32(t.ethread + BigInt(k.L.DISPATCHER_HEADER.off.SignalState), 1));
      } else k.sched.terminate(t, code);
    }
    processExiting(k, p, main);
    k.ps.endProcess(p, code);
  }

  /**
   * Process rundown, once the program has ended: its pending requests are cancelled and every handle it left open
   * is closed (files get IRP_MJ_CLEANUP, then IRP_MJ_CLOSE; events go).
   */
  closeAll(): void {
    const k = this.k;
    const ctx = k.ps.enter(ProcessContext.User);
    try {
      // The thread's I/O still pending is cancelled first (IoCancelThreadIo), then each handle is closed.
      for (const f of [...k.io.files.values()]) if (!f.kernel) cancelFileIo(k, f.address);
      for (const [h, f] of [...k.io.files]) {
        if (f.kernel) continue;
        const r = ntClose(k, h);
        if (r.note) this.notes.push(r.note);
      }
      this.handles.clear();
      // Its objects' handles (events, pipe ends, processes ...) close with it.
      const p = k.ps.clientProcess;
      for (const h of k.ob.handlesOf(p)) k.ob.close(h, 1, p);
    } finally {
      k.ps.leave(ctx);
    }
  }
}

/** The command line as CommandLineToArgvW splits it back. */
function quoteArg(a: string): string {
  if (a !== '' && !/[\s"]/.test(a)) return a;
  let out = '"';
  let slashes = 0;
  for (const c of a) {
    if (c === '\\') {
      slashes++;
      continue;
    }
    out += c === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + c;
    slashes = 0;
  }
  return out + '\\'.repeat(slashes * 2) + '"';
}

/** The client process of this kernel; a user-mode export called without one is a kdemu bug. */
export function clientOf(k: Kernel): ClientProcess {
  const c = k.client;
  if (!c) throw new Error('a user-mode export ran with no client process');
  return c;
}
