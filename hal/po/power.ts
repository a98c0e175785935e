// The power manager's driver interface: PoCallDriver, PoStartNextPowerIrp, PoSetPowerState, PoRequestPowerIrp.
//
// Power IRPs travel down device stacks like any other (since Windows Vista PoCallDriver is IoCallDriver, and
// PoStartNextPowerIrp has nothing left to do). PoSetPowerState records the power state the driver reports for its
// device object and returns the previous one (unspecified until first set). PoRequestPowerIrp builds an IRP_MJ_POWER
// for the top of the device's stack, sends it, and when it completes calls the requester's completion function
// (DeviceObject, MinorFunction, PowerState, Context, IoStatus) and frees the IRP. PoRegisterSystemState keeps a
// system-busy registration (its execution-state flags) until PoUnregisterSystemState; one left at unload is a leak.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { allocateIrp, callDriver, expectCompletion, nextStackLocation } from '../io/irp.js';
import { attachedTop } from '../io/stack.js';
import type { LeakReport } from '../report.js';

const IRP_MJ_POWER = 0x16;
const IRP_MN_WAIT_WAKE = 0;
const IRP_MN_SET_POWER = 2;
const IRP_MN_QUERY_POWER = 3;
const SystemPowerState = 0;
const DevicePowerState = 1;

interface PowerStates {
  system: number;
  device: number;
}

const states = new WeakMap<Kernel, Map<bigint, PowerStates>>();

/** The power states last reported for a device object (0, unspecified, until then). */
export function devicePowerStates(k: Kernel, device: bigint): PowerStates {
  let m = states.get(k);
  if (!m) states.set(k, (m = new Map()));
  let s = m.get(device);
  if (!s) m.set(device, (s = { system: 0, device: 0 }));
  return s;
}

function deviceObject(k: Kernel, p: bigint, routine: string): void {
  if (k.io.deviceAt(p)) return;
  throw new GuestStop('fault', `${routine}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: ${hex(p)} is not a device object`, { export: `ntoskrnl.exe!${routine}` });
}

/** PoRegisterSystemState's handles ('PoSs' pool blocks) and the execution-state flags each registers. */
const busy = new WeakMap<Kernel, Map<bigint, { flags: number; caller: string }>>();

function busyStates(k: Kernel): Map<bigint, { flags: number; caller: string }> {
  let m = busy.get(k);
  if (!m) busy.set(k, (m = new Map()));
  return m;
}

/** System-busy registrations still in place: the leak report's callbacks. */
export function systemStateLeaks(k: Kernel): LeakReport[] {
  return [...(busy.get(k) ?? [])].map(([h, r]) => ({ kind: 'callback', detail: `PoRegisterSystemState registration ${hex(h)} (flags ${hex(r.flags, 8)}) never unregistered`, caller: r.caller }));
}

const po = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...po, name: 'PoCallDriver',
    proto: 'NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
    params: { DeviceObject: 'ptr', Irp: 'ptr' }, ret: 'status',
    impl: (k, a) => callDriver(k, a.DeviceObject, a.Irp),
  }),
  defineExport({
    ...po, name: 'PoStartNextPowerIrp',
    proto: 'VOID PoStartNextPowerIrp(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'void',
    // Power IRPs are no longer serialized per device (Windows Vista and later): the routine does nothing.
    impl: () => undefined,
  }),
  defineExport({
    ...po, name: 'PoSetPowerState',
    proto: 'POWER_STATE PoSetPowerState(PDEVICE_OBJECT DeviceObject, POWER_STATE_TYPE Type, POWER_STATE State)',
    params: { DeviceObject: 'ptr', Type: 'u32', State: 'u32' }, ret: 'u32',
    impl: (k, a) => {
      deviceObject(k, a.DeviceObject, 'PoSetPowerState');
      const s = devicePowerStates(k, a.DeviceObject);
      const key = a.Type === SystemPowerState ? 'system' : 'device';
      const old = s[key];
      s[key] = a.State;
      return old;
    },
  }),
  defineExport({
    ...po, name: 'PoRequestPowerIrp',
    proto: 'NTSTATUS PoRequestPowerIrp(PDEVICE_OBJECT DeviceObject, UCHAR MinorFunction, POWER_STATE PowerState, PREQUEST_POWER_COMPLETE CompletionFunction, PVOID Context, PIRP *Irp)',
    params: { DeviceObject: 'ptr', MinorFunction: 'u8', PowerState: 'u32', CompletionFunction: 'ptr', Context: 'ptr', Irp: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      deviceObject(k, a.DeviceObject, 'PoRequestPowerIrp');
      // Only these minor functions may be requested; set and query power name a device power state.
      if (a.MinorFunction !== IRP_MN_SET_POWER && a.MinorFunction !== IRP_MN_QUERY_POWER && a.MinorFunction !== IRP_MN_WAIT_WAKE) return STATUS.INVALID_PARAMETER_2;
      const top = attachedTop(k, a.DeviceObject);
      const L = k.L;
      const irp = allocateIrp(k, k.m.u8At(top, L.DEVICE_OBJECT.off.StackSize), 'system', 'PoRequestPowerIrp');
      if (irp === null) return STATUS.INSUFFICIENT_RESOURCES;
      const o = L.IRP.off;
      // Until a driver says otherwise, a power IRP has not been handled.
      k.m.setU32At(irp, o['IoStatus.Status'], STATUS.NOT_SUPPORTED);
      const sl = nextStackLocation(k, irp);
      const so = L.IO_STACK_LOCATION.off;
      k.m.setU8At(sl, so.MajorFunction, IRP_MJ_POWER);
      k.m.setU8At(sl, so.MinorFunction, a.MinorFunction);
      // Parameters.Power: SystemContext, then Type and State (POINTER_ALIGNMENT: 8-byte slots on x64);
      // Parameters.WaitWake: PowerState (a system state).
      const params = sl + BigInt(so.Parameters);
      const slot = BigInt(k.ptrSize);
      if (a.MinorFunction === IRP_MN_WAIT_WAKE) k.m.setU32(params, a.PowerState);
      else {
        k.m.setU32(params + slot, DevicePowerState);
        k.m.setU32(params + 2n * slot, a.PowerState);
      }
      if (a.Irp !== 0n) k.m.setPtr(a.Irp, irp);
      const minor = a.MinorFunction;
      const state = a.PowerState;
      const device = a.DeviceObject;
      expectCompletion(k, irp, IRP_MJ_POWER, top, (kk, done) => {
        if (a.CompletionFunction !== 0n) {
          kk.callRoutine(a.CompletionFunction, [device, BigInt(minor), BigInt(state), a.Context, done + BigInt(o['IoStatus.Status'])], 'power completion function');
        }
        kk.m.actingAs(0, () => kk.pool.free_(done, 0));
      });
      callDriver(k, top, irp);
      // The result comes through the completion function.
      return STATUS.PENDING;
    },
  }),
  defineExport({
    ...po, name: 'PoRegisterSystemState',
    proto: 'PVOID PoRegisterSystemState(PVOID StateHandle, EXECUTION_STATE Flags)',
    params: { StateHandle: 'ptr', Flags: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      const m = busyStates(k);
      // A handle from an earlier call: its flags change.
      const known = m.get(a.StateHandle);
      if (a.StateHandle !== 0n && known) {
        known.flags = a.Flags;
        return a.StateHandle;
      }
      if (a.StateHandle !== 0n) {
        throw new GuestStop('fault', `PoRegisterSystemState(${hex(a.StateHandle)}) from ${k.symbolize(k.callerAddress())}: not a handle PoRegisterSystemState returned`, { export: 'ntoskrnl.exe!PoRegisterSystemState' });
      }
      const h = k.m.actingAs(0, () => k.pool.allocate(4 * k.ptrSize, 0x7353506f /* 'PoSs' */, 0, 'system', 'PoRegisterSystemState'));
      if (h === null) return 0n;
      m.set(h, { flags: a.Flags, caller: k.symbolize(k.callerAddress()) });
      return h;
    },
  }),
  defineExport({
    ...po, name: 'PoUnregisterSystemState',
    proto: 'VOID PoUnregisterSystemState(PVOID StateHandle)',
    params: { StateHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      if (!busyStates(k).delete(a.StateHandle)) {
        throw new GuestStop('fault', `PoUnregisterSystemState(${hex(a.StateHandle)}) from ${k.symbolize(k.callerAddress())}: not a handle PoRegisterSystemState returned (or one already unregistered)`, { export: 'ntoskrnl.exe!PoUnregisterSystemState' });
      }
      k.m.actingAs(0, () => k.pool.free_(a.StateHandle, 0));
    },
  }),
];
