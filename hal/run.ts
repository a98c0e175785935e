// One run, end to end: load the driver, DriverEntry, the user operations, unload, and the report.

import { createHash } from 'node:crypto';
import { interfacePath } from './io/pnpmgr.js';
import type { Kernel } from './kernel.js';
import { GuestStop, MemoryBudgetError, hex } from './machine.js';
import { internalMessage, internalStopReason, internalWhere } from './internal.js';
import { REPORT_SCHEMA_VERSION, type OpReport, type Operation, type Report, type RunOptions, type StopReport } from './report.js';
import { STATUS, formatStatus, ntSuccess, rtlNtStatusToDosError } from './rtl/ntstatus.js';
import { spawnProcess, terminateProcess } from './ps/notify.js';
import { isWorkerThread } from './ex/work.js';
import { reinitializeDrivers } from './io/reinit.js';
import { ProcessContext } from './ps/process.js';
import { UserSession, INVALID_HANDLE_VALUE, type Win32Result } from './user/fileapi.js';
import { bugcheckName } from './ke/bugcodes.js';
import { runBugCheckCallbacks } from './ke/bugcheck-callback.js';
import { disassemble } from '../emu/disasm.js';
import { DEFAULT_ENGINE, DriverSession, InputError, parseDriver } from './session.js';
import { parsePe, imageKind, type PeImage } from '../emu/pe/index.js';
import { ClientProcess } from './user/process.js';
import { reportData } from './dbg/hexdata.js';
import { decodeCodePage } from './user/kernel32/nls.js';
import { deliver, virtualUs, waitUntil } from './ke/clock.js';
import type { ClientReport } from './report.js';
import { startCoverage, type CoverageRun } from './coverage.js';

export { InputError, parseDriver, DEFAULT_ENGINE } from './session.js';

/** Runs a driver end to end as `kdemu run` does and returns the JSON report. */
export function runDriver(options: RunOptions): Report {
  const started = performance.now();
  const arch = parseDriver(options.driverBytes).arch;
  const clientImage = options.client ? parseClient(options.client.bytes, arch) : undefined;
  for (const more of options.load ?? []) {
    const img = parseDriver(more.bytes);
    if (img.arch !== arch) throw new InputError(`it is ${img.arch} but the first driver is ${arch}: all must be the same architecture`, more.path);
  }
  const limit = traceLimit(options);
  const s = DriverSession.load(limit.options);
  const k = s.k;
  let coverage: CoverageRun | undefined;
  if (options.coverage) {
    try {
      const m = { engine: k.m.engine, driversBase: k.m.layout.drivers, modules: k.modules };
      coverage = startCoverage(m, s.driver.image, k.io.drivers.indexOf(s.driver), options.load?.length ?? 0, options.coverage);
    } catch (e) {
      s.close();
      throw e;
    }
  }
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    driver: {
      path: options.driverPath,
      sha256: createHash('sha256').update(options.driverBytes).digest('hex'),
      arch: s.image.arch,
      imageBase: hex(s.driver.image.base),
      entryPoint: hex(s.entryPoint),
    },
    outcome: 'completed',
    driverEntry: null,
    devices: [],
    symlinks: [],
    ops: [],
    dbgPrint: k.dbgPrint,
    unload: { called: false, leaks: [] },
    stop: null,
    client: null,
    loaded: [],
    pipes: [],
    threads: [],
    processes: [],
    unsupportedCalls: k.unsupportedCalls,
    stats: { engine: options.engine ?? DEFAULT_ENGINE, instructions: 0, apiCalls: 0, wallMs: 0 },
  };
  const handles: number[] = [];
  try {
    // Host-side pipe servers exist before the driver starts (--pipe).
    for (const name of options.pipes ?? []) k.npfs.serveFromHost(name);
    const status = s.start();
    report.driverEntry = { status: formatStatus(status) };
    // Threads DriverEntry started run while the system goes on.
    k.sched.runReady();
    // Devices and links as the drivers left them at the end of DriverEntry (again after the --load drivers').
    const listObjects = () => {
      report.devices = k.io.devices
        .filter((d) => !d.deleted)
        .map((d) => ({
          name: d.name ?? '',
          type: hex(k.m.u32(d.address + BigInt(k.L.DEVICE_OBJECT.off.DeviceType))).toLowerCase(),
          flags: hex(k.m.u32(d.address + BigInt(k.L.DEVICE_OBJECT.off.Flags))).toLowerCase(),
        }));
      report.symlinks = k.ns.symlinks().map(({ link, target }) => ({ link, target }));
    };
    listObjects();
    // A driver whose DriverEntry fails is unloaded by the I/O manager without its unload routine being called.
    if (ntSuccess(status)) {
      for (const more of options.load ?? []) {
        const r = s.loadAnother(more.path, more.bytes);
        report.loaded.push({
          path: more.path,
          sha256: createHash('sha256').update(more.bytes).digest('hex'),
          imageBase: hex(r.record.image.base),
          entryPoint: hex(k.m.ptrAt(r.record.object, k.L.DRIVER_OBJECT.off.DriverInit)),
          driverEntry: { status: formatStatus(r.status) },
        });
      }
      // IopReinitializeDrivers: the reinitialization routines the drivers registered, now that all have loaded.
      reinitializeDrivers(k);
      if (options.load?.length) listObjects();
      if (options.client && clientImage) {
        const stop = runClient(k, clientImage, options.client);
        if (stop) {
          report.outcome = stop.outcome;
          report.stop = stopReport(k, stop);
          k.trace.emit({ type: 'stop', outcome: stop.outcome, reason: stop.reason });
          // The clean-up runs whatever budget the client used up.
          k.m.setBudgets(0, 0);
        }
      }
      runOperations(k, s.user, options.operations, report.ops, handles, options.overlapped === true);
      k.sched.runReady();
      // Handles still open are closed before unload, as when the program exits.
      for (const h of handles.splice(0)) if (k.io.files.has(h)) s.user.CloseHandle(h);
      if (!options.noUnload) report.unload.called = s.unload();
    }
    report.unload.leaks = s.leaks();
  } catch (e) {
    if (e instanceof InputError) throw e;
    const stop = asGuestStop(e);
    if (stop) {
      // The drivers' bug-check callbacks run after the bug check, as on Windows.
      if (stop.detail.bugcheck) runBugCheckCallbacks(k, stop.detail.bugcheck.code);
      report.outcome = stop.outcome;
      report.stop = stopReport(k, stop);
      k.trace.emit({ type: 'stop', outcome: stop.outcome, reason: stop.reason });
    } else {
      // Not the guest's doing: a bug in kdemu. The report still comes, saying where.
      report.outcome = 'internal-error';
      report.stop = { reason: internalStopReason(e), internal: { where: internalWhere(e), error: internalMessage(e) } };
      k.trace.emit({ type: 'stop', outcome: 'internal-error', reason: report.stop.reason });
    }
  } finally {
    if (limit.hit() && report.outcome === 'completed') {
      // Some handler swallowed the stop (a callback that may fail, say): the trace is cut short all the same.
      report.outcome = 'trace-limit';
      report.stop = { reason: limit.reason };
      k.trace.emit({ type: 'stop', outcome: 'trace-limit', reason: limit.reason });
    }
    if (k.client) report.client = clientReport(k.client, options.client!.path, s.image.arch);
    report.pipes = k.npfs.report();
    report.threads = k.ps.threads.map((t) => ({ tid: t.tid, pid: t.process.pid, start: t.root || t.start === 0n ? null : isWorkerThread(k, t) ? 'ntoskrnl.exe!ExpWorkerThread' : k.symbolize(t.start), state: t.state, exitStatus: t.exitStatus === undefined ? null : hex(t.exitStatus, 8) }));
    report.processes = k.ps.processes.map((p) => ({ pid: p.pid, parentPid: p.parentPid, image: p.imagePath, exitCode: p.exitCode === undefined ? null : hex(p.exitCode, 8) }));
    report.stats = { engine: s.engineName, instructions: s.instructions, apiCalls: k.apiCalls, wallMs: Math.round((performance.now() - started) * 10) / 10 };
    if (coverage) {
      const images = [{ path: options.driverPath, bytes: options.driverBytes, base: s.driver.image.base }];
      (options.load ?? []).forEach((more, i) => {
        const at = report.loaded[i];
        if (at) images.push({ path: more.path, bytes: more.bytes, base: BigInt(at.imageBase) });
      });
      const summary = coverage.finish(images);
      if (summary) report.coverage = summary;
    }
    s.close();
  }
  return report;
}

/**
 * --trace-limit: the sink stops the run (a GuestStop, as the instruction budget does) at the first event past the
 * limit. Only once: handlers that run during the unwinding trace too, and must not fail. After that only the stop
 * event goes through, so the trace ends saying why.
 */
function traceLimit(options: RunOptions): { options: RunOptions; hit: () => boolean; reason: string } {
  const { traceLimit: limit, onTrace: sink } = options;
  const reason = `the trace reached its limit of ${limit} events (--trace-limit)`;
  if (limit === undefined || !sink) return { options, hit: () => false, reason };
  let count = 0;
  let hit = false;
  const onTrace: RunOptions['onTrace'] = (e, context) => {
    if (hit) {
      if (e.type === 'stop') sink(e, context);
      return;
    }
    if (count === limit) {
      hit = true;
      throw new GuestStop('trace-limit', reason);
    }
    count++;
    sink(e, context);
  };
  return { options: { ...options, onTrace }, hit: () => hit, reason };
}

/** The typed stop an error escaping the guest's run is, or undefined for a bug of kdemu's. */
function asGuestStop(e: unknown): GuestStop | undefined {
  if (e instanceof GuestStop) return e;
  // Guest memory ran out where Windows has no failure status to give (the kernel's own structures).
  if (e instanceof MemoryBudgetError) return new GuestStop('resource-limit', `out of guest memory: ${e.message}`);
  return undefined;
}

/** Checks that the client is a console program of the driver's architecture; InputError (exit 2) otherwise. */
export function parseClient(bytes: Uint8Array, arch: 'x86' | 'x64'): PeImage {
  const img = parsePe(bytes);
  const kind = imageKind(img);
  if (kind.kind !== 'exe') throw new InputError(`the client is not a user-mode program: ${kind.why}`);
  if (img.subsystem !== 3) throw new InputError(`the client is not a console program (subsystem ${img.subsystemName}); kdemu runs console programs`);
  if (img.arch !== arch) throw new InputError(`the client is ${img.arch} but the driver is ${arch}: both must be the same architecture`);
  return img;
}

/**
 * Runs the client program to its end. A stop on the program's side (its fault, abort, a deadlock in its waits, a
 * user-mode function kdemu lacks, the budget running out in its code) is returned: the process is cleaned up and
 * the driver still unloads. A stop inside the kernel or the driver propagates: the machine is gone.
 */
function runClient(k: Kernel, img: PeImage, o: NonNullable<RunOptions["client"]>): GuestStop | undefined {
  let c: ClientProcess | undefined;
  let stop: GuestStop | undefined;
  try {
    // Creating the process runs the loader's part (mapping, imports, TLS): it can fail as the process's own fault.
    c = new ClientProcess(k, img, o.bytes, { path: o.path, args: o.args ?? [], stdin: o.stdin ?? new Uint8Array(0), onOutput: o.onOutput });
    c.run();
  } catch (e) {
    if (!(e instanceof GuestStop) || !clientSide(k, e)) throw e;
    stop = e;
  }
  (c ?? k.client)?.closeAll();
  return stop;
}

/** Whether a stop happened on the client's side of the machine (user-mode code or a user-mode DLL function). */
function clientSide(k: Kernel, e: GuestStop): boolean {
  if (e.outcome === 'client-fault') return true;
  // The trace limit ends the whole run, wherever it was reached.
  if (e.outcome === 'trace-limit') return false;
  if (e.detail.export && /^(kernel32|msvcrt|ucrtbase|ntdll)\.dll!/.test(e.detail.export)) return true;
  const pc = e.detail.pc;
  const userTop = k.arch === 'x64' ? 0x800000000000n : 0x80000000n;
  return pc !== undefined && pc < userTop && e.outcome !== 'bugcheck';
}

function clientReport(c: ClientProcess, path: string, arch: 'x86' | 'x64'): ClientReport {
  const out = Uint8Array.from(c.stdout);
  const err = Uint8Array.from(c.stderr);
  return {
    path,
    arch,
    exitCode: c.exitCode ?? null,
    stdout: consoleText(out),
    stderr: consoleText(err),
    stdoutHex: Buffer.from(out).toString('hex'),
    stderrHex: Buffer.from(err).toString('hex'),
    notes: c.notes,
  };
}

/** Console bytes as text: UTF-8 (what gcc and clang put in string literals), else GBK (the chapter's sources), else 437. */
export function consoleText(b: Uint8Array): string {
  for (const enc of ['utf-8', 'gbk']) {
    try {
      return new TextDecoder(enc, { fatal: true }).decode(b);
    } catch {
      /* not this one */
    }
  }
  return decodeCodePage(b, 437);
}

function runOperations(k: Kernel, user: UserSession, ops: readonly Operation[], out: OpReport[], handles: number[], overlapped: boolean): void {
  let handle = INVALID_HANDLE_VALUE;
  const open = (name: string): void => {
    const r = user.CreateFile(name.startsWith('\\') ? name : `\\\\.\\${name}`, undefined, undefined, { overlapped });
    out.push(opReport({ op: 'open', name }, r));
    k.trace.emit({ type: 'op', op: 'open', status: formatStatus(r.status) });
    handle = r.handle;
    if (handle !== INVALID_HANDLE_VALUE) handles.push(handle);
  };
  for (const op of ops) {
    // Between operations the program's thread runs on: timers due by now expire, DPCs and ready threads run.
    deliver(k);
    k.sched.runReady();
    if (op.op === 'open') {
      open(op.name);
      continue;
    }
    if (op.op === 'open-interface') {
      // The path SetupDiGetDeviceInterfaceDetail gives (\\?\ROOT#...#{guid}); without such an interface the open
      // of the class's name finds nothing, as CreateFile of a path that does not exist.
      const path = interfacePath(k, op.guid);
      open(`\\\\?\\${path ? path.replace(/^\\\?\?\\/, '') : op.guid}`);
      continue;
    }
    if (op.op === 'wait') {
      waitUntil(k, () => false, virtualUs(k) + BigInt(op.ms) * 1000n);
      out.push({ op: 'wait', ms: op.ms, status: formatStatus(0), win32Error: 0 });
      k.trace.emit({ type: 'op', op: 'wait', status: formatStatus(0) });
      continue;
    }
    if (op.op === 'spawn' || op.op === 'kill') {
      // The requests come from the client process (the program the CLI stands for).
      const ctx = k.ps.enter(ProcessContext.User);
      try {
        const rep = op.op === 'spawn' ? spawnOp(k, op.image) : killOp(k, op.pid);
        out.push(rep);
        k.trace.emit({ type: 'op', op: op.op, status: rep.status });
      } finally {
        k.ps.leave(ctx);
      }
      continue;
    }
    if (op.op === 'close') {
      const r = user.CloseHandle(handle);
      out.push(opReport({ op: 'close' }, r));
      handles.splice(handles.indexOf(handle), 1);
      handle = INVALID_HANDLE_VALUE;
      continue;
    }
    if (handle === INVALID_HANDLE_VALUE && !out.some((o) => o.op === 'open')) {
      // By default the first symbolic link the driver created is opened before the first I/O operation.
      const link = k.ns.symlinks()[0];
      if (link) open(link.link.replace(/^\\\?\?\\/, ''));
    }
    let r: Win32Result;
    let base: Partial<OpReport> & { op: OpReport['op'] };
    switch (op.op) {
      case 'read':
        r = user.ReadFile(handle, op.length);
        base = { op: 'read', length: op.length };
        break;
      case 'write':
        r = user.WriteFile(handle, op.data);
        base = { op: 'write', length: op.data.length };
        break;
      case 'ioctl':
        r = user.DeviceIoControl(handle, op.code, op.input, op.outputLength);
        base = { op: 'ioctl', code: '0x' + (op.code >>> 0).toString(16) }; // as written in the contract: 0x222003
        break;
      case 'cancel':
        r = user.CancelIo(handle);
        base = { op: 'cancel' };
        break;
    }
    const rep = opReport(base, r);
    out.push(rep);
    k.trace.emit({ type: 'op', op: op.op, status: rep.status, information: rep.information });
  }
}

/** --spawn IMAGE: a synthetic child of the client process; a bare name is found in the system directory. */
function spawnOp(k: Kernel, image: string): OpReport {
  let path = image;
  if (!/\.[^\\/.]*$/.test(path)) path += '.exe';
  if (!/[\\/]/.test(path)) path = `C:\\Windows\\System32\\${path}`;
  const r = spawnProcess(k, k.ps.clientProcess, path, `"${path}"`);
  if ('status' in r) return { op: 'spawn', image: path, status: formatStatus(r.status), win32Error: rtlNtStatusToDosError(r.status) };
  return { op: 'spawn', image: path, pid: r.process.pid, status: formatStatus(0), win32Error: 0 };
}

/** --kill PID: TerminateProcess(exit code 1) of a process --spawn or the client created. */
function killOp(k: Kernel, pid: number): OpReport {
  const p = k.ps.byPid(pid);
  let status = 0;
  if (!p) status = STATUS.INVALID_CID;
  else if (p.kind !== 'synthetic' || p.exitCode !== undefined) status = STATUS.ACCESS_DENIED;
  else terminateProcess(k, p, 1);
  return { op: 'kill', pid, status: formatStatus(status), win32Error: rtlNtStatusToDosError(status) };
}

function opReport(base: Partial<OpReport> & { op: OpReport['op'] }, r: Win32Result): OpReport {
  const rep: OpReport = { ...base, status: formatStatus(r.status), win32Error: r.win32Error };
  if (base.op === 'read' || base.op === 'write' || base.op === 'ioctl') rep.information = r.information;
  if (base.op === 'read' || base.op === 'ioctl') Object.assign(rep, reportData(r.data));
  if (r.note) rep.note = r.note;
  // A pending request: its completion shows up here when the driver completes it (later ops, --wait, close, unload).
  if (r.status === STATUS_PENDING) Object.defineProperty(rep, 'completion', { get: () => r.completion ?? null, enumerable: true });
  return rep;
}

const STATUS_PENDING = 0x103;

/** Up to 15 bytes at pc, fewer when the next page is unmapped. */
function readInstruction(k: Kernel, pc: bigint): Uint8Array {
  for (let n = 15; n > 0; n--) {
    const b = k.m.tryRead(pc, n);
    if (b) return b;
  }
  return new Uint8Array(0);
}

function stopReport(k: Kernel, e: GuestStop): StopReport {
  const s: StopReport = { reason: e.reason };
  const pc = e.detail.pc;
  if (pc !== undefined) {
    s.pc = hex(pc);
    const mod = k.moduleOf(pc);
    if (mod) {
      s.module = mod.name;
      s.offset = hex(pc - mod.base).toLowerCase();
    }
  }
  if (e.detail.bugcheck) {
    s.bugcheck = { code: hex(e.detail.bugcheck.code, 8), name: bugcheckName(e.detail.bugcheck.code), params: e.detail.bugcheck.params.map((p) => hex(p)) };
  }
  if (e.detail.export) s.export = e.detail.export;
  if (e.detail.fault) s.fault = { access: e.detail.fault.access, address: hex(e.detail.fault.address) };
  if (e.detail.stack) s.stack = e.detail.stack.map((a) => k.symbolize(a));
  if (pc !== undefined && k.moduleOf(pc)?.name !== 'ntoskrnl.exe') {
    // The instruction at the stop, as a kernel debugger would show it (the bytes when it does not decode).
    const bytes = e.detail.instructionBytes ?? readInstruction(k, pc);
    const insn = disassemble(bytes, k.arch, pc);
    s.instruction = insn?.text ?? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  return s;
}
