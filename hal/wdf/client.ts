// The framework's clients: one per driver bound with WdfVersionBind, found by the WDF_DRIVER_GLOBALS every entry
// receives first. kdemu plays Wdf01000.sys, KMDF 1.33: one function table for every client.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import type { DriverRecord } from '../io/state.js';
import { WDF_FUNCTIONS } from './table.js';
import { WDF_MODULE } from './export.js';
import type { FxObject } from './object.js';

export interface WdfClient {
  /** The client's WDF_DRIVER_GLOBALS (guest memory). */
  readonly globals: bigint;
  readonly bindInfo: bigint;
  readonly minor: number;
  readonly funcCount: number;
  readonly driver: DriverRecord;
  readonly registryPath: string;
  /** The WDFDRIVER, once WdfDriverCreate made it. */
  fxDriver?: FxObject;
  /** WDF_DRIVER_CONFIG: EvtDriverDeviceAdd, EvtDriverUnload, DriverInitFlags, DriverPoolTag. */
  deviceAdd: bigint;
  unload: bigint;
  initFlags: number;
  poolTag: number;
  /** The WDFDRIVER's SynchronizationScope and ExecutionLevel, which devices inherit (none and dispatch by default). */
  syncScope: number;
  executionLevel: number;
  unbound: boolean;
}

interface WdfState {
  readonly clients: Map<bigint, WdfClient>;
  /** The framework's function table (WdfVersion.Functions), built on the first bind. */
  table: bigint;
}

const states = new WeakMap<Kernel, WdfState>();

export function wdfState(k: Kernel): WdfState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { clients: new Map(), table: 0n }));
  return s;
}

/** Every client bound so far (unbound ones included), in bind order. */
export function wdfClients(k: Kernel): WdfClient[] {
  return [...(states.get(k)?.clients.values() ?? [])];
}

/** The client whose globals an entry received; anything else is not what a bound driver passes. */
export function clientOf(k: Kernel, globals: bigint, routine: string): WdfClient {
  const c = wdfState(k).clients.get(globals);
  if (!c || c.unbound) {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())}: DriverGlobals ${hex(globals)} is not the WDF_DRIVER_GLOBALS of a driver bound to the framework${c ? ' (it was unbound)' : ''}`, {
      bugcheck: { code: 0x10d, params: [0x5n, globals, 0n, 0n] },
    });
  }
  return c;
}

/** The client a driver record bound as, if any. */
export function clientOfDriver(k: Kernel, d: DriverRecord): WdfClient | undefined {
  return wdfClients(k).find((c) => c.driver === d && !c.unbound);
}

/**
 * The function table: one pointer per WDFFUNCENUM entry, each the stub of the entry (an unimplemented entry's stub
 * stops the run naming it), then a NULL slot past the end.
 */
export function functionTable(k: Kernel): bigint {
  const s = wdfState(k);
  if (s.table !== 0n) return s.table;
  const n = WDF_FUNCTIONS.length;
  s.table = k.systemAlloc((n + 1) * k.ptrSize, 16);
  for (let i = 0; i < n; i++) k.m.setPtr(s.table + BigInt(i * k.ptrSize), k.resolveImport(WDF_MODULE, WDF_FUNCTIONS[i]));
  return s.table;
}
