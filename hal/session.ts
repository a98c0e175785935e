// The programmatic API: one emulated machine with one driver loaded, driven from TypeScript.
//
//   const s = DriverSession.load({ driverPath, driverBytes });   // boots, maps, binds imports
//   s.start();                                                   // DriverEntry → NTSTATUS
//   const h = s.user.CreateFile('\\\\.\\My_Device');
//   s.user.ReadFile(h.handle, 10);                               // { status, win32Error, information, data }
//   s.user.CloseHandle(h.handle);
//   s.unload(); s.leaks(); s.close();
//
// A guest that stops abnormally (bugcheck, fault, unsupported call, budget) throws GuestStop from the call that
// ran it; the machine is not usable afterwards, as after a crash.

import { createEngine, type EngineName } from '../emu/index.js';
import type { Engine } from '../emu/engine.js';
import { PeFormatError, parsePe, imageKind, type PeImage } from '../emu/pe/index.js';
import { boot } from './boot.js';
import { InputError } from './errors.js';
import { TABLE } from './exports.js';
import { callDriverEntry, callDriverUnload, loadDriver, unloadRoutine } from './io/driver.js';
import type { DriverRecord } from './io/state.js';
import { Kernel } from './kernel.js';
import { DEFAULT_MEMORY_MB, hex } from './machine.js';
import { ntSuccess } from './rtl/ntstatus.js';
import { setOsVersion } from './rtl/version.js';
import { preloadRegistry } from './cm/registry.js';
import type { LeakReport, RunOptions } from './report.js';
import { tagText } from './ex/pool.js';
import { UserSession } from './user/fileapi.js';
import { takenReferences } from './ob/object.js';
import { mm } from './mm/mdl.js';
import { interruptLeaks } from './io/interrupt.js';
import { armedTimers } from './ke/timer.js';
import { ioManagerTimer, startedIoTimers } from './io/iotimer.js';
import { queuedDpcs } from './ke/dpc.js';
import { registeredNotifyRoutines } from './ps/notify.js';
import { registeredObCallbacks } from './ob/callbacks.js';
import { registeredCallbacks } from './cm/callback.js';
import { etwRegistrations } from './etw/etw.js';
import { isWorkerThread, queuedWorkItems } from './ex/work.js';
import { physicalLeaks } from './mm/physical.js';
import { sectionLeaks } from './mm/section.js';
import { callbackLeaks } from './ex/callback.js';
import { bugCheckCallbackLeaks } from './ke/bugcheck-callback.js';
import { plugPlayLeaks } from './io/pnp.js';
import { systemStateLeaks } from './po/power.js';
import { wdfLeaks } from './wdf/leaks.js';

export { InputError } from './errors.js';

export const DEFAULT_ENGINE: EngineName = 'wasm';

export type SessionOptions = Pick<RunOptions, 'driverPath' | 'driverBytes' | 'engine' | 'onTrace' | 'maxInstructions' | 'maxVirtualMs' | 'memoryMb' | 'timeoutMs' | 'fsDir' | 'osVersion' | 'registry' | 'pnp'>;

/** The instruction budget of a run unless told otherwise: about 5 s on the wasm core, far above any DriverEntry. */
export const DEFAULT_MAX_INSTRUCTIONS = 1_000_000_000;
/** The virtual-time budget of a run unless told otherwise: ten minutes of the emulated machine's time. */
export const DEFAULT_MAX_VIRTUAL_MS = 600_000;

/** Parses and checks that the image is a kernel driver kdemu can load. */
export function parseDriver(bytes: Uint8Array): PeImage {
  const img = parsePe(bytes);
  const kind = imageKind(img);
  if (kind.kind !== 'driver') throw new InputError(`not a kernel driver: ${kind.why}`);
  return img;
}

export class DriverSession {
  readonly k: Kernel;
  readonly user: UserSession;
  readonly driver: DriverRecord;
  readonly engineName: EngineName;
  private closed = false;

  private constructor(
    readonly image: PeImage,
    private readonly engine: Engine,
    options: SessionOptions,
  ) {
    this.engineName = engine.name;
    this.k = new Kernel(engine, TABLE, options.onTrace);
    const max = options.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.k.m.setBudgets(max === 'unlimited' ? 0 : max, options.timeoutMs ? Date.now() + options.timeoutMs : 0);
    const virtualMs = options.maxVirtualMs ?? DEFAULT_MAX_VIRTUAL_MS;
    this.k.maxVirtualUs = virtualMs === 'unlimited' ? 0n : BigInt(virtualMs) * 1000n;
    this.k.m.memoryBudget = (options.memoryMb ?? DEFAULT_MEMORY_MB) * 1048576;
    if (options.fsDir !== undefined) this.k.fsDir = options.fsDir;
    if (options.osVersion !== undefined) setOsVersion(this.k, options.osVersion);
    if (options.registry) preloadRegistry(this.k, options.registry);
    if (options.pnp === false) this.k.pnp = false;
    this.user = new UserSession(this.k);
    boot(this.k);
    this.driver = loadDriver(this.k, image, options.driverBytes, options.driverPath);
  }

  /** Boots a machine and maps the driver (imports bound, DRIVER_OBJECT built); DriverEntry has not run yet. */
  static load(options: SessionOptions): DriverSession {
    const img = parseDriver(options.driverBytes);
    const engine = createEngine(options.engine ?? DEFAULT_ENGINE, img.arch);
    try {
      return new DriverSession(img, engine, options);
    } catch (e) {
      engine.close();
      throw e;
    }
  }

  get entryPoint(): bigint {
    return this.driver.image.base + BigInt(this.image.entryRva);
  }

  /** Calls DriverEntry; returns its NTSTATUS. */
  start(): number {
    return callDriverEntry(this.k, this.driver);
  }

  /** Drivers loaded after the first (--load), whose DriverEntry succeeded, in load order. */
  readonly more: DriverRecord[] = [];

  /**
   * Loads another driver into the same machine and calls its DriverEntry (filters, driver stacks); returns its
   * NTSTATUS. One that fails is not kept, as the I/O manager unloads it without its unload routine.
   */
  loadAnother(path: string, bytes: Uint8Array): { status: number; record: DriverRecord } {
    const img = parseDriver(bytes);
    if (img.arch !== this.image.arch) throw new InputError(`it is ${img.arch} but the first driver is ${this.image.arch}: all must be the same architecture`, path);
    let record: DriverRecord;
    try {
      record = loadDriver(this.k, img, bytes, path);
    } catch (e) {
      // What the loader finds wrong only while mapping (a relocation it cannot apply) is this file's bad input.
      if (e instanceof PeFormatError) throw new InputError(e.message, path);
      throw e;
    }
    const status = callDriverEntry(this.k, record);
    if (ntSuccess(status)) this.more.push(record);
    return { status, record };
  }

  /**
   * Calls each driver's DriverUnload, the last loaded first (a filter leaves before the device it sits on); false
   * when the first driver cannot be unloaded (no routine).
   */
  unload(): boolean {
    for (const d of [...this.more].reverse()) if (unloadRoutine(this.k, d) !== 0n) callDriverUnload(this.k, d);
    if (unloadRoutine(this.k, this.driver) === 0n) return false;
    return callDriverUnload(this.k, this.driver);
  }

  /** What the driver has left behind: devices, symbolic links, pool blocks, open handles, lost IRPs. */
  leaks(): LeakReport[] {
    const k = this.k;
    const d = this.driver;
    const out: LeakReport[] = [];
    // The drivers' own objects, and those of the drivers their code created with IoCreateDriver; any but the first
    // driver's are named by "driver".
    const roots = [d, ...this.more];
    const owners = k.io.drivers.filter((x) => roots.some((r) => createdBy(x, r)));
    const owner = (x: DriverRecord) => (x === d ? {} : { driver: x.objectName });
    for (const dev of k.io.devices) if (owners.includes(dev.driver) && !dev.deleted) out.push({ kind: 'device', detail: dev.name ?? hex(dev.address), ...owner(dev.driver) });
    for (const l of k.ns.symlinks()) {
      const x = owners.find((o) => o.objectName === l.creator);
      if (x) out.push({ kind: 'symlink', detail: l.link, target: l.target, ...owner(x) });
    }
    for (const b of k.pool.live()) {
      if (b.owner === 'driver') out.push({ kind: 'pool', detail: `${b.size} bytes tagged '${tagText(b.tag)}' at ${hex(b.address)}`, tag: tagText(b.tag), size: b.size, caller: b.caller });
    }
    for (const f of k.io.files.values()) out.push({ kind: 'handle', detail: `handle ${hex(f.handle)} to ${f.path}` });
    for (const r of takenReferences(k)) {
      const file = r.type === 'File' ? k.io.closingFiles.get(r.address) ?? [...k.io.files.values()].find((f) => f.address === r.address)?.device : undefined;
      const named = file?.name ?? k.io.devices.find((d) => d.address === r.address)?.name;
      out.push({ kind: 'reference', detail: `${r.count} reference${r.count === 1 ? '' : 's'} to ${r.type.toLowerCase()} object ${hex(r.address)}${named ? ` (${named})` : ''}, never released` });
    }
    for (const irp of k.io.lostIrps) out.push({ kind: 'irp', detail: `${irp.major} IRP ${hex(irp.irp)} to ${irp.device}, never completed` });
    const st = mm(k);
    for (const v of st.views) {
      out.push({ kind: 'mapping', detail: `${v.pages} page${v.pages === 1 ? '' : 's'} of MDL ${hex(v.mdl)} mapped at ${hex(v.address)} in ${v.mode === 'user' ? 'the user process' : 'system space'}, never unmapped`, caller: v.caller });
    }
    for (const mdl of st.locked) out.push({ kind: 'locked-pages', detail: `MDL ${hex(mdl)} still has its pages locked (MmProbeAndLockPages without MmUnlockPages)` });
    out.push(...physicalLeaks(k), ...sectionLeaks(k));
    for (const [irp, p] of k.io.pendingIrps) out.push({ kind: 'irp', detail: `${p.major} IRP ${hex(irp)} to ${p.device}, still pending` });
    for (const t of startedIoTimers(k)) {
      const dev = k.io.devices.find((d) => d.address === t.device);
      if (dev && owners.includes(dev.driver)) out.push({ kind: 'timer', detail: `IoTimer ${hex(t.timer)} of device ${dev.name ?? hex(t.device)} still started (routine ${k.symbolize(t.routine)})`, ...owner(dev.driver) });
    }
    // The I/O manager's own timer runs the device timers above: not a driver's.
    for (const t of armedTimers(k)) if (t !== ioManagerTimer(k)) out.push({ kind: 'timer', detail: `timer ${hex(t)} still set (KeSetTimer without KeCancelTimer)${k.moduleOf(t) ? ` in ${k.symbolize(t)}` : ''}` });
    for (const d of queuedDpcs(k)) out.push({ kind: 'dpc', detail: `DPC ${hex(d)} still queued` });
    // Kernel handles (OBJ_KERNEL_HANDLE) and the System process's handles are the drivers' to close.
    for (const { handle, object } of [...k.ob.kernelHandles(), ...k.ob.handlesOf(k.ps.system).map((h) => ({ handle: h, object: k.ob.lookup(h, 0, k.ps.system)!.object }))]) {
      out.push({ kind: 'handle', detail: `${k.ob.isKernelHandle(handle) ? 'kernel ' : ''}handle ${hex(handle)} to ${object.type.toLowerCase()} object ${hex(object.body)}${object.name ? ` (${object.name})` : ''}, never closed` });
    }
    for (const r of registeredNotifyRoutines(k)) out.push({ kind: 'callback', detail: `${r.kind} routine ${k.symbolize(r.routine)} still registered` });
    for (const c of registeredCallbacks(k)) out.push({ kind: 'callback', detail: `registry callback ${k.symbolize(c.routine)}${c.altitude !== undefined ? ` (altitude ${c.altitude})` : ''} still registered`, caller: c.caller });
    for (const r of etwRegistrations(k).values()) out.push({ kind: 'callback', detail: `ETW provider ${r.provider} (registration ${hex(r.handle)}) never unregistered`, caller: r.caller });
    for (const r of registeredObCallbacks(k)) out.push({ kind: 'callback', detail: `ObRegisterCallbacks registration ${hex(r.handle)} (altitude ${r.altitude}, ${k.symbolize(r.routine)}) never unregistered` });
    out.push(...callbackLeaks(k), ...bugCheckCallbackLeaks(k), ...plugPlayLeaks(k), ...systemStateLeaks(k));
    out.push(...interruptLeaks(k), ...wdfLeaks(k));
    for (const w of queuedWorkItems(k)) out.push({ kind: 'work-item', detail: `work item ${hex(w.item)} (routine ${k.symbolize(w.routine)}) still queued` });
    // A system thread still alive runs code of an unloaded driver the next time it is scheduled.
    for (const t of k.ps.threads) {
      if (t.root || t.user || t.process.kind === 'synthetic' || t.state === 'terminated' || isWorkerThread(k, t)) continue;
      out.push({ kind: 'thread', detail: `system thread ${t.tid} (${k.symbolize(t.start)}) still ${t.state === 'waiting' && t.wait ? `waiting in ${t.wait.what}` : t.state}` });
    }
    return out;
  }

  get instructions(): number {
    return this.engine.instructions;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.engine.close();
  }
}

/** True when x is d or was created, directly or through others, by d's code (IoCreateDriver). */
function createdBy(x: DriverRecord | undefined, d: DriverRecord): boolean {
  for (; x; x = x.createdBy) if (x === d) return true;
  return false;
}
