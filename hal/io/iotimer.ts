// Device timers: IoInitializeTimer, IoStartTimer, IoStopTimer.
//
// Each device may have one IO_TIMER (DEVICE_OBJECT.Timer), on the I/O manager's timer list. One system timer,
// periodic at one second of virtual time, runs the IopTimerDispatch DPC, which calls the IoTimer routine of every
// started device timer, in list order, at DISPATCH_LEVEL as TimerRoutine(DeviceObject, Context). The system timer
// is armed only while a device timer is started, so an idle I/O manager keeps no timer due (waits see no wake-up).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { hex } from '../machine.js';
import { tagOf } from './device.js';
import { exports as keTimer, setTimer } from '../ke/timer.js';

const IO_TYPE_TIMER = 9;
/** One second, as a relative due time (100 ns units). */
const ONE_SECOND = -10_000_000n;

interface IoTimerState {
  /** The IO_TIMERs in insertion order (IopTimerQueueHead). */
  timers: bigint[];
  /** How many are started (IopTimerCount). */
  started: number;
  /** The system KTIMER and KDPC that drive them, made on first use. */
  ktimer: bigint;
  kdpc: bigint;
}
const states = new WeakMap<Kernel, IoTimerState>();
function state(k: Kernel): IoTimerState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { timers: [], started: 0, ktimer: 0n, kdpc: 0n }));
  return s;
}

/** The I/O manager's own KTIMER (0 before any device timer started): not a driver's timer in the leak report. */
export function ioManagerTimer(k: Kernel): bigint {
  return state(k).ktimer;
}

/** The device timers still started (for the leak report). */
export function startedIoTimers(k: Kernel): { timer: bigint; device: bigint; routine: bigint }[] {
  const o = k.L.IO_TIMER.off;
  return state(k).timers
    .filter((t) => k.m.u16At(t, o.TimerFlag) !== 0)
    .map((t) => ({ timer: t, device: k.m.ptrAt(t, o.DeviceObject), routine: k.m.ptrAt(t, o.TimerRoutine) }));
}

function systemTimer(k: Kernel): IoTimerState {
  const s = state(k);
  if (s.ktimer !== 0n) return s;
  const L = k.L;
  s.ktimer = k.systemAlloc(L.KTIMER.size, 16);
  s.kdpc = k.systemAlloc(L.KDPC.size, 16);
  k.m.fill(s.ktimer, L.KTIMER.size);
  k.m.setU8(s.ktimer + BigInt(L.KTIMER.off['Header.Type']), 8); // TimerNotificationObject
  k.m.setU8(s.ktimer + BigInt(L.KTIMER.off['Header.Size']), L.KTIMER.size / 4);
  const dispatch = k.internalRoutine('IopTimerDispatch', 4, (k) => {
    const o = k.L.IO_TIMER.off;
    // A routine may stop or delete timers as it runs: walk a copy, skipping those gone meanwhile.
    for (const t of [...state(k).timers]) {
      if (!state(k).timers.includes(t) || k.m.u16At(t, o.TimerFlag) === 0) continue;
      const device = k.m.ptrAt(t, o.DeviceObject);
      k.callRoutine(k.m.ptrAt(t, o.TimerRoutine), [device, k.m.ptrAt(t, o.Context)], `IoTimer routine of device ${hex(device)}`);
    }
    return 0n;
  });
  const d = L.KDPC.off;
  k.m.fill(s.kdpc, L.KDPC.size);
  k.m.setU8At(s.kdpc, d.Type, 0x13); // DpcObject
  k.m.setU8At(s.kdpc, d.Importance, 1);
  k.m.setPtrAt(s.kdpc, d.DeferredRoutine, dispatch);
  return s;
}

function cancelSystemTimer(k: Kernel): void {
  const cancel = keTimer.find((e) => e.name === 'KeCancelTimer')!;
  cancel.impl(k, { Timer: state(k).ktimer }, undefined as never);
}

function startTimer(k: Kernel, timer: bigint): void {
  const o = k.L.IO_TIMER.off;
  if (k.m.u16At(timer, o.TimerFlag) !== 0) return;
  k.m.setU16At(timer, o.TimerFlag, 1);
  const s = systemTimer(k);
  if (++s.started === 1) setTimer(k, s.ktimer, ONE_SECOND, 1000, s.kdpc);
}

function stopTimer(k: Kernel, timer: bigint): void {
  const o = k.L.IO_TIMER.off;
  if (k.m.u16At(timer, o.TimerFlag) === 0) return;
  k.m.setU16At(timer, o.TimerFlag, 0);
  const s = state(k);
  if (--s.started === 0) cancelSystemTimer(k);
}

/** IoDeleteDevice: the device's timer leaves the list and is freed (stopped first when started). */
export function deleteDeviceTimer(k: Kernel, device: bigint): void {
  const timer = k.m.ptrAt(device, k.L.DEVICE_OBJECT.off.Timer);
  if (timer === 0n) return;
  const s = state(k);
  const i = s.timers.indexOf(timer);
  if (i < 0) return;
  stopTimer(k, timer);
  s.timers.splice(i, 1);
  k.m.setPtrAt(device, k.L.DEVICE_OBJECT.off.Timer, 0n);
  k.pool.free_(timer, 0);
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoInitializeTimer',
    proto: 'NTSTATUS IoInitializeTimer(PDEVICE_OBJECT DeviceObject, PIO_TIMER_ROUTINE TimerRoutine, PVOID Context)',
    params: { DeviceObject: 'ptr', TimerRoutine: 'ptr', Context: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const L = k.L;
      const o = L.IO_TIMER.off;
      // A device that has a timer already keeps it: the routine and context are replaced (the documentation's
      // "call it once per device" is advice; the I/O manager reuses the IO_TIMER it finds).
      let timer = k.m.ptrAt(a.DeviceObject, L.DEVICE_OBJECT.off.Timer);
      if (timer === 0n) {
        const t = k.pool.allocate(L.IO_TIMER.size, tagOf('IoTi'), 0 /* NonPagedPool */, 'system', k.symbolize(k.callerAddress()));
        if (t === null) return STATUS.INSUFFICIENT_RESOURCES;
        timer = t;
        k.m.fill(timer, L.IO_TIMER.size);
        k.m.setU16At(timer, o.Type, IO_TYPE_TIMER);
        k.m.setPtrAt(timer, o.DeviceObject, a.DeviceObject);
        // TimerList links it on the I/O manager's list; kdemu keeps the list's order on the host.
        k.m.setPtrAt(timer, o.TimerList, timer + BigInt(o.TimerList));
        k.m.setPtrAt(timer, o.TimerList + k.ptrSize, timer + BigInt(o.TimerList));
        state(k).timers.push(timer);
      }
      k.m.setPtrAt(timer, o.TimerRoutine, a.TimerRoutine);
      k.m.setPtrAt(timer, o.Context, a.Context);
      k.m.setPtrAt(a.DeviceObject, L.DEVICE_OBJECT.off.Timer, timer);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...io, name: 'IoStartTimer', proto: 'VOID IoStartTimer(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'void',
    // DeviceObject->Timer is used as it is: a device never given a timer faults on its NULL, as on Windows.
    impl: (k, a) => startTimer(k, k.m.ptrAt(a.DeviceObject, k.L.DEVICE_OBJECT.off.Timer)),
  }),
  defineExport({
    ...io, name: 'IoStopTimer', proto: 'VOID IoStopTimer(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'void',
    impl: (k, a) => stopTimer(k, k.m.ptrAt(a.DeviceObject, k.L.DEVICE_OBJECT.off.Timer)),
  }),
];
