// The library API for driver tests: a friendly facade over DriverSession.
//
//   const d = await loadDriver('build/mydrv.sys');            // DriverEntry has run
//   const h = d.open('MyDevice');                             // CreateFile \\.\MyDevice
//   const r = h.ioctl(0x222000, hex('0200000003000000'), 4);  // { status, statusName, win32Error, information, data }
//   const u = d.unload();                                     // { called, leaks }
//
// A guest that stops abnormally (bugcheck, fault, unsupported call, budget) does not throw from the call that ran
// it: that call's result carries `stopped` and the driver keeps it in `stop`, so a test can assert on the crash.
// Any later operation throws, as the machine is gone. Bad input (not a driver, wrong architecture) and bugs of
// kdemu's own still throw.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineName } from '../emu/index.js';
import { decodeRegFile, parseRegFile, type RegEdit } from '../hal/cm/regfile.js';
import { reinitializeDrivers } from '../hal/io/reinit.js';
import { deliver, virtualUs, waitUntil } from '../hal/ke/clock.js';
import { bugcheckName } from '../hal/ke/bugcodes.js';
import { runBugCheckCallbacks } from '../hal/ke/bugcheck-callback.js';
import type { Kernel } from '../hal/kernel.js';
import { GuestStop, MemoryBudgetError } from '../hal/machine.js';
import type { LeakReport, Outcome, TraceEvent } from '../hal/report.js';
import { STATUS, WIN32, ntStatusName, ntSuccess, win32ErrorName, formatStatus } from '../hal/rtl/ntstatus.js';
import { DriverSession, InputError, parseDriver, type SessionOptions } from '../hal/session.js';
import { INVALID_HANDLE_VALUE, type Win32Result } from '../hal/user/fileapi.js';

export type { EngineName, LeakReport, Outcome, RegEdit, TraceEvent };
export { DriverSession, InputError };

export interface LoadOptions {
  /** The CPU engine: 'wasm' (default) or 'unicorn'. */
  engine?: EngineName;
  /** Fail the load when the driver is not of this architecture. */
  arch?: 'x86' | 'x64';
  /** Registry contents before DriverEntry: the text of a .reg file (regedit format), or parsed edits. */
  registry?: string | readonly RegEdit[];
  /** .reg files to preload, in order, after `registry`. */
  registryFiles?: readonly string[];
  /** Drivers loaded after this one, each with its DriverEntry (filters, driver stacks): paths or bytes. */
  load?: readonly (string | { path: string; bytes: Uint8Array })[];
  /** A host folder shown read-only at C:\ in the emulated file system. */
  fsDir?: string;
  /** The Windows version the kernel reports (default 10.0.19045). */
  osVersion?: { major: number; minor: number; build: number };
  /** Root-enumerate and start a device for drivers with AddDevice (default true). */
  pnp?: boolean;
  /** Open handles with FILE_FLAG_OVERLAPPED unless open() says otherwise (requests may pend). */
  overlapped?: boolean;
  maxInstructions?: number | 'unlimited';
  maxVirtualMs?: number | 'unlimited';
  memoryMb?: number;
  timeoutMs?: number;
  /** Record the trace for trace() and the trace matchers (default true; false skips decoding every call). */
  trace?: boolean;
  /** Also receives every trace event as it happens. */
  onTrace?: (event: TraceEvent) => void;
}

/** Why the machine stopped: a bugcheck, a fault, an unsupported call, a budget ... */
export interface Stop {
  outcome: Exclude<Outcome, 'completed' | 'internal-error'>;
  reason: string;
  /** What was running: 'DriverEntry', 'ioctl 0x222000', 'unload' ... */
  during: string;
  bugcheck?: { code: number; name: string; params: bigint[] };
  /** Where: module+offset (hex when outside every module). */
  at?: string;
  /** The export involved (an unsupported call, a fault inside an export). */
  export?: string;
  fault?: { access: string; address: bigint };
}

/** What a Win32 call returned, as the program would see it. */
export interface IoResult {
  /** The operation, for messages: 'open KdIoctl', 'ioctl 0x222000', 'read 10' ... */
  op: string;
  /** The NTSTATUS behind the call (unsigned); NaN when the machine stopped during it. */
  status: number;
  /** 'STATUS_SUCCESS', the hex when the status has no name, 'STOPPED' when the machine stopped. */
  statusName: string;
  /** GetLastError() afterwards. */
  win32Error: number;
  /** Its name ('ERROR_INVALID_FUNCTION'), or the number in decimal when unnamed; '' for 0. */
  win32ErrorName: string;
  /** Bytes transferred. */
  information: number;
  /** Bytes the driver returned into the caller's buffer. */
  data: Uint8Array;
  /** A driver misbehaviour kdemu noticed during the call. */
  note?: string;
  /** The driver left the request pending (overlapped handles); `completion` fills in when it completes. */
  pending: boolean;
  completion?: { status: string; information: number; atMs: number; data: string } | null;
  /** The machine stopped during the call (a bugcheck ...): the driver is gone. */
  stopped?: Stop;
}

export interface UnloadResult {
  /** Whether the driver's unload routine ran (false: none, DriverEntry failed, or the machine stopped). */
  called: boolean;
  /** What the driver left behind: devices, links, pool, handles, IRPs, timers ... */
  leaks: LeakReport[];
  stopped?: Stop;
}

export interface OpenOptions {
  overlapped?: boolean;
  /** dwDesiredAccess (default GENERIC_READ | GENERIC_WRITE). */
  access?: number;
  /** dwShareMode (default 0). */
  share?: number;
}

/** Bytes from hex text: hex('0200000003000000'); spaces, colons and a 0x prefix are allowed. */
export function hex(text: string): Uint8Array {
  const t = text.replace(/^0x/i, '').replace(/[\s:_-]/g, '');
  if (t.length % 2 !== 0 || /[^0-9a-f]/i.test(t)) throw new Error(`hex: '${text}' is not an even number of hex digits`);
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

/** Lower-case hex of bytes (how results and messages show data). */
export function toHex(bytes: ArrayLike<number>): string {
  return Buffer.from(Uint8Array.from(bytes)).toString('hex');
}

const namedStatuses = new Map<string, number>(Object.entries(STATUS));

/** An NTSTATUS from a name ('SUCCESS', 'STATUS_SUCCESS') or a number; undefined for an unknown name. */
export function statusCode(s: string | number): number | undefined {
  if (typeof s === 'number') return s >>> 0;
  const name = s.trim().toUpperCase();
  if (/^0X[0-9A-F]+$/.test(name)) return parseInt(name, 16) >>> 0;
  return namedStatuses.get(name.replace(/^STATUS_/, ''));
}

/** 'STATUS_SUCCESS', or the hex when the status has no name. */
export function statusName(status: number): string {
  return ntStatusName(status) ?? formatStatus(status);
}

/** A Win32 error from a name ('ERROR_ACCESS_DENIED') or a number; undefined for an unknown name. */
export function win32Code(e: string | number): number | undefined {
  if (typeof e === 'number') return e >>> 0;
  return (WIN32 as Record<string, number>)[e.trim().toUpperCase()];
}

function errorName(code: number): string {
  if (code === 0) return '';
  return win32ErrorName(code) ?? String(code);
}

const STOPPED_NAME = 'STOPPED';

/** A driver loaded in its own emulated machine. */
export class Driver {
  /** DriverEntry's NTSTATUS (unsigned); NaN when the machine stopped during it. */
  readonly driverEntryStatus: number;
  /** The machine stopped (bugcheck, fault ...): every later operation throws. */
  stop: Stop | undefined;
  private readonly handles = new Set<number>();
  private done: 'unloaded' | 'closed' | undefined;
  private unloadResult: UnloadResult | undefined;

  /** @internal use loadDriver */
  constructor(
    /** The underlying session, for what the facade does not cover. */
    readonly session: DriverSession,
    private readonly recorder: TraceRecorder,
    private readonly options: LoadOptions,
    extra: { path: string; bytes: Uint8Array }[],
  ) {
    const k = session.k;
    let status = Number.NaN;
    this.guard('DriverEntry', () => {
      status = session.start() >>> 0;
      // Threads DriverEntry started run while the system goes on.
      k.sched.runReady();
      if (!ntSuccess(status)) return;
      for (const more of extra) {
        const r = session.loadAnother(more.path, more.bytes);
        if (!ntSuccess(r.status)) throw new InputError(`DriverEntry of ${more.path} failed with ${statusName(r.status)}`, more.path);
      }
      // The reinitialization routines the drivers registered, now that all have loaded.
      reinitializeDrivers(k);
    });
    this.driverEntryStatus = status;
  }

  private get k(): Kernel {
    return this.session.k;
  }

  /** Whether DriverEntry succeeded and the machine is still running. */
  get loaded(): boolean {
    return !this.stop && this.done === undefined && ntSuccess(this.driverEntryStatus);
  }

  /** DriverEntry's status by name ('STATUS_SUCCESS'), 'STOPPED' when the machine stopped during it. */
  get driverEntryStatusName(): string {
    return Number.isNaN(this.driverEntryStatus) ? STOPPED_NAME : statusName(this.driverEntryStatus);
  }

  /** What the driver printed with DbgPrint and friends, one string per call. */
  dbgPrint(): string[] {
    return [...this.k.dbgPrint];
  }

  /** The trace events so far (API calls, IRPs, DbgPrint, callbacks ...), for toHaveCalled and toMatchTraceSnapshot. */
  trace(): TraceEvent[] {
    return this.recorder.snapshot();
  }

  /** The device objects the drivers created and have not deleted, by name. */
  devices(): string[] {
    return this.k.io.devices.filter((d) => !d.deleted).map((d) => d.name ?? '');
  }

  /** The symbolic links in the object namespace: \??\Name → \Device\Name. */
  symlinks(): { link: string; target: string }[] {
    return this.k.ns.symlinks().map(({ link, target }) => ({ link, target }));
  }

  /** CreateFile: 'MyDevice' opens \\.\MyDevice; a name starting with \ is used as it is; none: the first link. */
  open(name?: string, options: OpenOptions = {}): Handle {
    this.usable(`open ${name ?? ''}`.trim());
    let target = name;
    if (target === undefined) {
      const link = this.k.ns.symlinks()[0];
      if (!link) throw new Error('open(): the driver created no symbolic link; give the device name');
      target = link.link.replace(/^\\\?\?\\/, '');
    }
    const full = target.startsWith('\\') ? target : `\\\\.\\${target}`;
    const what = `open ${target}`;
    let handle = INVALID_HANDLE_VALUE;
    const r = this.request(what, () => {
      const c = this.session.user.CreateFile(full, options.access, options.share, { overlapped: options.overlapped ?? this.options.overlapped });
      handle = c.handle;
      return c;
    });
    if (handle !== INVALID_HANDLE_VALUE) this.handles.add(handle);
    return new Handle(this, handle, r);
  }

  /** Lets this much virtual time pass: timers, DPCs, threads and pending I/O make progress. */
  wait(ms: number): void {
    this.usable(`wait ${ms}`);
    this.guard(`wait ${ms}`, () => {
      waitUntil(this.k, () => false, virtualUs(this.k) + BigInt(Math.round(ms * 1000)));
    });
  }

  /**
   * Unloads as the system does when the program is over: handles still open are closed, the unload routine runs,
   * and what the driver left behind is listed. The machine is closed afterwards; trace() and dbgPrint() still work.
   */
  unload(): UnloadResult {
    if (this.unloadResult) return this.unloadResult;
    if (this.done === 'closed') throw new Error('unload(): the driver was closed');
    const result: UnloadResult = { called: false, leaks: [] };
    if (this.stop) {
      result.stopped = this.stop;
    } else {
      const stop = this.guard('unload', () => {
        const k = this.k;
        deliver(k);
        k.sched.runReady();
        for (const h of [...this.handles]) if (k.io.files.has(h)) this.session.user.CloseHandle(h);
        this.handles.clear();
        // A driver whose DriverEntry failed was unloaded by the I/O manager without its unload routine.
        if (ntSuccess(this.driverEntryStatus)) result.called = this.session.unload();
        result.leaks = this.session.leaks();
      });
      if (stop) result.stopped = stop;
    }
    this.unloadResult = result;
    this.done = 'unloaded';
    this.session.close();
    return result;
  }

  /** Frees the machine without unloading the driver (after a stop, or when the unload does not matter). */
  close(): void {
    if (this.done === undefined) this.done = 'closed';
    this.session.close();
  }

  /** @internal Throws when the machine can take no more requests. */
  usable(what: string): void {
    if (this.stop) throw new DriverStoppedError(what, this.stop);
    if (this.done) throw new Error(`cannot ${what}: the driver was ${this.done}`);
    if (!ntSuccess(this.driverEntryStatus)) throw new Error(`cannot ${what}: DriverEntry failed with ${this.driverEntryStatusName}, so the driver is not loaded`);
  }

  /** @internal One user-mode request, as the CLI makes it: the system runs on between requests. */
  request(what: string, call: () => Win32Result): IoResult {
    this.usable(what);
    let r: Win32Result | undefined;
    const stop = this.guard(what, () => {
      deliver(this.k);
      this.k.sched.runReady();
      r = call();
    });
    if (stop || !r) return stoppedResult(what, stop!);
    return ioResult(what, r);
  }

  /** @internal */
  forget(handle: number): void {
    this.handles.delete(handle);
  }

  /** Runs guest work; a guest stop is recorded (and returned) instead of thrown. */
  private guard(during: string, work: () => void): Stop | undefined {
    try {
      work();
      return undefined;
    } catch (e) {
      const g = e instanceof GuestStop ? e : e instanceof MemoryBudgetError ? new GuestStop('resource-limit', `out of guest memory: ${e.message}`) : undefined;
      if (!g) throw e;
      const k = this.k;
      // The drivers' bug-check callbacks run after the bug check, as on Windows.
      if (g.detail.bugcheck) {
        try {
          runBugCheckCallbacks(k, g.detail.bugcheck.code);
        } catch {
          /* a callback that fails in turn changes nothing: the machine is already down */
        }
      }
      k.trace.emit({ type: 'stop', outcome: g.outcome, reason: g.reason });
      this.stop = stopOf(k, g, during);
      return this.stop;
    }
  }
}

/** Thrown by an operation on a driver whose machine already stopped. */
export class DriverStoppedError extends Error {
  constructor(
    what: string,
    readonly stop: Stop,
  ) {
    super(`cannot ${what}: the machine stopped during ${stop.during}: ${stop.reason}`);
  }
}

/** An open handle (also the result of the CreateFile that opened it: status, win32Error ...). */
export class Handle implements IoResult {
  readonly op: string;
  readonly status: number;
  readonly statusName: string;
  readonly win32Error: number;
  readonly win32ErrorName: string;
  readonly information: number;
  readonly data: Uint8Array;
  readonly note?: string;
  readonly pending = false;
  readonly stopped?: Stop;
  private closed = false;

  /** @internal use Driver.open */
  constructor(
    private readonly driver: Driver,
    /** The Win32 handle value, -1 when the open failed. */
    readonly handle: number,
    opened: IoResult,
  ) {
    this.op = opened.op;
    this.status = opened.status;
    this.statusName = opened.statusName;
    this.win32Error = opened.win32Error;
    this.win32ErrorName = opened.win32ErrorName;
    this.information = opened.information;
    this.data = opened.data;
    if (opened.note !== undefined) this.note = opened.note;
    if (opened.stopped) this.stopped = opened.stopped;
  }

  /** Whether CreateFile succeeded. */
  get ok(): boolean {
    return this.handle !== INVALID_HANDLE_VALUE;
  }

  /** ReadFile of `length` bytes. */
  read(length: number): IoResult {
    return this.driver.request(`read ${length}`, () => this.driver.session.user.ReadFile(this.handle, length));
  }

  /** WriteFile of the bytes. */
  write(data: Uint8Array | readonly number[]): IoResult {
    const bytes = Uint8Array.from(data);
    return this.driver.request(`write ${bytes.length}`, () => this.driver.session.user.WriteFile(this.handle, bytes));
  }

  /** DeviceIoControl(code, input, outputLength). */
  ioctl(code: number, input: Uint8Array | readonly number[] = new Uint8Array(0), outputLength = 0): IoResult {
    const bytes = Uint8Array.from(input);
    return this.driver.request(`ioctl 0x${(code >>> 0).toString(16)}`, () => this.driver.session.user.DeviceIoControl(this.handle, code, bytes, outputLength));
  }

  /** CancelIo: requests pending on the handle are cancelled. */
  cancel(): IoResult {
    return this.driver.request('cancel', () => this.driver.session.user.CancelIo(this.handle));
  }

  /** CloseHandle (IRP_MJ_CLEANUP and IRP_MJ_CLOSE reach the driver). */
  close(): IoResult {
    if (this.closed) throw new Error('close(): the handle is already closed');
    this.closed = true;
    this.driver.forget(this.handle);
    return this.driver.request('close', () => this.driver.session.user.CloseHandle(this.handle));
  }
}

function ioResult(op: string, r: Win32Result): IoResult {
  const out: IoResult = {
    op,
    status: r.status >>> 0,
    statusName: statusName(r.status),
    win32Error: r.win32Error,
    win32ErrorName: errorName(r.win32Error),
    information: r.information,
    data: r.data,
    pending: r.status === STATUS.PENDING,
  };
  if (r.note) out.note = r.note;
  // A pending request's completion arrives later (the kernel fills the result it returned).
  if (out.pending) Object.defineProperty(out, 'completion', { get: () => r.completion ?? null, enumerable: true });
  return out;
}

function stoppedResult(op: string, stop: Stop): IoResult {
  return { op, status: Number.NaN, statusName: STOPPED_NAME, win32Error: 0, win32ErrorName: '', information: 0, data: new Uint8Array(0), pending: false, stopped: stop };
}

function stopOf(k: Kernel, g: GuestStop, during: string): Stop {
  const s: Stop = { outcome: g.outcome, reason: g.reason, during };
  if (g.detail.bugcheck) s.bugcheck = { code: g.detail.bugcheck.code >>> 0, name: bugcheckName(g.detail.bugcheck.code), params: [...g.detail.bugcheck.params] };
  if (g.detail.pc !== undefined) s.at = k.symbolize(g.detail.pc);
  if (g.detail.export) s.export = g.detail.export;
  if (g.detail.fault) s.fault = { ...g.detail.fault };
  return s;
}

/** Loads a driver in a fresh emulated machine and runs its DriverEntry (then the drivers of `load`). */
export async function loadDriver(driver: string | Uint8Array, options: LoadOptions = {}): Promise<Driver> {
  const bytes = typeof driver === 'string' ? new Uint8Array(await readFile(driver)) : driver;
  const extra = await Promise.all((options.load ?? []).map(async (l) => (typeof l === 'string' ? { path: l, bytes: new Uint8Array(await readFile(l)) } : l)));
  const regFiles = await Promise.all((options.registryFiles ?? []).map(async (f) => ({ f, text: decodeRegFile(new Uint8Array(await readFile(f))) })));
  return start(typeof driver === 'string' ? driver : 'driver.sys', bytes, extra, regFiles, options);
}

/** loadDriver without the promise, for code that cannot await. */
export function loadDriverSync(driver: string | Uint8Array, options: LoadOptions = {}): Driver {
  const bytes = typeof driver === 'string' ? new Uint8Array(readFileSync(driver)) : driver;
  const extra = (options.load ?? []).map((l) => (typeof l === 'string' ? { path: l, bytes: new Uint8Array(readFileSync(l)) } : l));
  const regFiles = (options.registryFiles ?? []).map((f) => ({ f, text: decodeRegFile(new Uint8Array(readFileSync(f))) }));
  return start(typeof driver === 'string' ? driver : 'driver.sys', bytes, extra, regFiles, options);
}

function start(driverPath: string, driverBytes: Uint8Array, extra: { path: string; bytes: Uint8Array }[], regFiles: { f: string; text: string }[], options: LoadOptions): Driver {
  const arch = parseDriver(driverBytes).arch;
  if (options.arch && arch !== options.arch) throw new InputError(`it is ${arch}, not ${options.arch}`, driverPath);
  for (const more of extra) {
    const a = parseDriver(more.bytes).arch;
    if (a !== arch) throw new InputError(`it is ${a} but the first driver is ${arch}: all must be the same architecture`, more.path);
  }
  const registry: RegEdit[] = [];
  if (typeof options.registry === 'string') registry.push(...parseRegFile(options.registry));
  else if (options.registry) registry.push(...options.registry);
  for (const { f, text } of regFiles) {
    try {
      registry.push(...parseRegFile(text));
    } catch (e) {
      throw new InputError(`${path.basename(f)}: ${(e as Error).message}`, f);
    }
  }
  const recorder = new TraceRecorder(options.onTrace);
  const sessionOptions: SessionOptions = {
    driverPath,
    driverBytes,
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.trace !== false || options.onTrace ? { onTrace: (e: TraceEvent) => recorder.add(e, options.trace !== false) } : {}),
    ...(options.maxInstructions !== undefined ? { maxInstructions: options.maxInstructions } : {}),
    ...(options.maxVirtualMs !== undefined ? { maxVirtualMs: options.maxVirtualMs } : {}),
    ...(options.memoryMb !== undefined ? { memoryMb: options.memoryMb } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fsDir !== undefined ? { fsDir: options.fsDir } : {}),
    ...(options.osVersion ? { osVersion: options.osVersion } : {}),
    ...(registry.length ? { registry } : {}),
    ...(options.pnp === false ? { pnp: false } : {}),
  };
  const session = DriverSession.load(sessionOptions);
  recorder.attach(session.k);
  try {
    return new Driver(session, recorder, options, extra);
  } catch (e) {
    session.close();
    throw e;
  }
}

// ---- The trace and its stable text ----

const META = Symbol.for('kdemu.trace.pointers');

/**
 * How each hex number seen in a pointer-carrying field reads in a stable trace: a module+offset, 'ptr' (a data
 * pointer, named <ptrN> in order of first appearance), or null (a number: a status, a size, a handle).
 */
type PointerMap = Map<string, string | null>;

/** Records events and classifies their hex numbers while the machine still knows what memory they point to. */
class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private readonly pointers: PointerMap = new Map();
  private k: Kernel | undefined;
  private early: TraceEvent[] = [];

  constructor(private readonly sink?: (e: TraceEvent) => void) {}

  add(e: TraceEvent, keep: boolean): void {
    this.sink?.(e);
    if (!keep) return;
    this.events.push(e);
    if (this.k) this.classify(e);
    else this.early.push(e);
  }

  attach(k: Kernel): void {
    this.k = k;
    for (const e of this.early) this.classify(e);
    this.early = [];
  }

  snapshot(): TraceEvent[] {
    const out = [...this.events];
    Object.defineProperty(out, META, { value: this.pointers, enumerable: false });
    return out;
  }

  private classify(e: TraceEvent): void {
    const k = this.k!;
    mapPointerFields(e, (token) => {
      if (this.pointers.has(token)) return token;
      this.pointers.set(token, pointerKind(k, token));
      return token;
    });
  }
}

const HEX_HEAD = /^0x[0-9A-Fa-f]+(?=$|\s)/;

/** A number printed unpadded (pointers are; statuses and access masks are padded to 8 digits) and not small. */
function looksLikePointer(token: string): boolean {
  return !(token.length > 3 && token[2] === '0') && BigInt(token) >= 0x10000n;
}

function pointerKind(k: Kernel, token: string): string | null {
  if (!looksLikePointer(token)) return null;
  const v = BigInt(token);
  const mod = k.moduleOf(v);
  if (mod) return `${mod.name}+0x${(v - mod.base).toString(16)}`;
  // Statuses are 32-bit; on x64 anything wider is an address. Otherwise: whatever is mapped memory.
  if (k.arch === 'x64' && v > 0xffffffffn) return 'ptr';
  return k.m.tryRead(v, 1) !== null ? 'ptr' : null;
}

/** A copy of the event with `f` applied to the leading hex number of each field that can hold an address. */
function mapPointerFields(e: TraceEvent, f: (token: string) => string): TraceEvent {
  const fix = (v: string | undefined) => (v === undefined ? v : v.replace(HEX_HEAD, f));
  const c = { ...e } as Record<string, unknown>;
  for (const key of ['ret', 'caller', 'target', 'irp', 'device', 'object', 'start', 'at']) {
    if (typeof c[key] === 'string') c[key] = fix(c[key] as string);
  }
  if (e.type === 'call') c.args = Object.fromEntries(Object.entries(e.args).map(([n, v]) => [n, fix(v)]));
  return c as TraceEvent;
}

/**
 * The trace as stable text, one line per event: addresses inside modules as module+offset, other pointers as
 * <ptr1>, <ptr2> ... in order of first appearance, sequence numbers kept. What toMatchTraceSnapshot compares.
 */
export function traceText(events: readonly TraceEvent[]): string {
  const known = (events as unknown as Record<symbol, PointerMap | undefined>)[META];
  const names = new Map<string, string>();
  const rename = (token: string): string => {
    const kind = known ? known.get(token) ?? null : looksLikePointer(token) ? 'ptr' : null;
    if (kind === null) return token;
    if (kind !== 'ptr') return kind;
    let n = names.get(token);
    if (!n) names.set(token, (n = `<ptr${names.size + 1}>`));
    return n;
  };
  return events.map((raw) => eventLine(mapPointerFields(raw, rename))).join('\n');
}

function eventLine(e: TraceEvent): string {
  if (e.type === 'call') {
    // The thread id is left out: it numbers kdemu's own threads, not something the driver chose.
    const args = Object.entries(e.args).map(([n, v]) => `${n}=${v}`).join(', ');
    return `#${e.seq} call ${e.export}(${args})${e.ret !== undefined ? ` = ${e.ret}` : ''} from ${e.caller}${e.note ? ` // ${e.note}` : ''}`;
  }
  const { seq, type, ...rest } = e as Record<string, unknown>;
  const fields = Object.entries(rest).map(([n, v]) => `${n}=${typeof v === 'string' && /^[^\s"]*$/.test(v) && v !== '' ? v : JSON.stringify(v)}`);
  return [`#${seq} ${type}`, ...fields].join(' ');
}
