// Driver reinitialization: IoRegisterDriverReinitialization and IoRegisterBootDriverReinitialization.
//
// A registration is a REINIT_PACKET (ListEntry, DriverObject, DriverReinitializationRoutine, Context) in nonpaged
// pool, tagged 'IoRi', queued in registration order. After the run's drivers have loaded, the I/O manager drains the
// queue: for each packet it clears DRVO_REINIT_REGISTERED, increments DRIVER_EXTENSION.Count and calls
// Routine(DriverObject, Context, Count) at PASSIVE_LEVEL; a routine that registers again is queued at the tail and
// called again in the same pass with the next Count.
//
// Boot-driver reinitialization runs once, when the boot drivers have been initialized; no driver kdemu loads is a
// boot-start driver, and a demand-start driver's boot reinitialization packets are queued on that list, which is
// never processed again: the routine is never called (as on Windows for a driver loaded after boot).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { tagOf } from './device.js';

const DRVO_REINIT_REGISTERED = 0x8;
const DRVO_BOOTREINIT_REGISTERED = 0x20;
const NONPAGED_POOL = 0;

interface Packet {
  address: bigint;
  driver: bigint;
  routine: bigint;
  context: bigint;
}

interface ReinitState {
  queue: Packet[];
  /** Boot-driver packets: the boot phase that would call them is over. */
  boot: Packet[];
}

const states = new WeakMap<Kernel, ReinitState>();
function state(k: Kernel): ReinitState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { queue: [], boot: [] }));
  return s;
}

/** Allocates and fills a REINIT_PACKET; null when the pool is exhausted (the registration is then silently lost). */
function packet(k: Kernel, driver: bigint, routine: bigint, context: bigint, caller: string): Packet | null {
  const p = k.ptrSize;
  const address = k.pool.allocate(5 * p, tagOf('IoRi'), NONPAGED_POOL, 'system', caller);
  if (address === null) return null;
  k.m.write(address, new Uint8Array(5 * p));
  k.m.setPtrAt(address, 2 * p, driver);
  k.m.setPtrAt(address, 3 * p, routine);
  k.m.setPtrAt(address, 4 * p, context);
  return { address, driver, routine, context };
}

function register(k: Kernel, driver: bigint, routine: bigint, context: bigint, boot: boolean): void {
  const name = boot ? 'IoRegisterBootDriverReinitialization' : 'IoRegisterDriverReinitialization';
  const pk = packet(k, driver, routine, context, name);
  if (pk === null) return;
  const flags = driver + BigInt(k.L.DRIVER_OBJECT.off.Flags);
  k.m.setU32(flags, k.m.u32(flags) | (boot ? DRVO_BOOTREINIT_REGISTERED : DRVO_REINIT_REGISTERED));
  (boot ? state(k).boot : state(k).queue).push(pk);
}

/** IopReinitializeDrivers: calls the queued routines until the queue is empty (including those queued meanwhile). */
export function reinitializeDrivers(k: Kernel): void {
  const s = state(k);
  for (let pk = s.queue.shift(); pk; pk = s.queue.shift()) {
    const flags = pk.driver + BigInt(k.L.DRIVER_OBJECT.off.Flags);
    k.m.setU32(flags, k.m.u32(flags) & ~DRVO_REINIT_REGISTERED);
    const ext = k.m.ptrAt(pk.driver, k.L.DRIVER_OBJECT.off.DriverExtension);
    const countAt = ext + BigInt(k.L.DRIVER_EXTENSION.off.Count);
    const count = (k.m.u32(countAt) + 1) >>> 0;
    k.m.setU32(countAt, count);
    const d = k.io.drivers.find((x) => x.object === pk!.driver);
    const outer = k.io.current;
    k.io.current = d;
    try {
      k.callRoutine(pk.routine, [pk.driver, pk.context, BigInt(count)], 'DriverReinitialize');
    } finally {
      k.io.current = outer;
    }
    k.pool.free_(pk.address, 0);
  }
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoRegisterDriverReinitialization',
    cc: 'stdcall',
    proto: 'VOID IoRegisterDriverReinitialization(PDRIVER_OBJECT DriverObject, PDRIVER_REINITIALIZE DriverReinitializationRoutine, PVOID Context)',
    params: { DriverObject: 'ptr', DriverReinitializationRoutine: 'ptr', Context: 'ptr' },
    ret: 'void',
    impl: (k, a) => register(k, a.DriverObject, a.DriverReinitializationRoutine, a.Context, false),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoRegisterBootDriverReinitialization',
    cc: 'stdcall',
    proto: 'VOID IoRegisterBootDriverReinitialization(PDRIVER_OBJECT DriverObject, PDRIVER_REINITIALIZE DriverReinitializationRoutine, PVOID Context)',
    params: { DriverObject: 'ptr', DriverReinitializationRoutine: 'ptr', Context: 'ptr' },
    ret: 'void',
    impl: (k, a) => register(k, a.DriverObject, a.DriverReinitializationRoutine, a.Context, true),
  }),
];
