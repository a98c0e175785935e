// KMDF I/O targets and the requests a driver sends: kmdf_target.sys opens kmdf_target_lower.sys's device by name as
// a remote I/O target and sends it IOCTLs synchronously, a read asynchronously with a completion routine, hanging
// IOCTLs with timeouts, and forwards its own read and write requests to it; on x86 and x64, on each engine.

import { afterEach, describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { DriverSession } from '../../hal/session.js';
import { buildDriver, ARCHES, type Arch } from '../fixtures/build.js';
import { enginesHere } from '../helpers.js';

const K = (n: number) => (0x22 << 16) | ((0x800 + n) << 2);
const K_OPEN = K(0);
const K_SYNC_SUM = K(1);
const K_ASYNC_READ = K(2);
const K_TIMEOUT = K(3);
const K_STOPPED = K(4);
const K_STATS = K(5);
const K_SYNC_REVERSE = K(6);
const K_ASYNC_TIMEOUT = K(7);
const K_CLOSE = K(8);
const K_CANCEL_SENT = K(9);
const K_STOPPED_ASYNC = K(10);
const K_LOCAL = K(11);
const K_EXISTING = K(12);
const K_SYNC_RW = K(13);
const K_OTHERS = K(14);

const SUCCESS = 0;
const IO_TIMEOUT = 0xc00000b5;
const INVALID_DEVICE_REQUEST = 0xc0000010;
const CANCELLED = 0xc0000120;
const INVALID_DEVICE_STATE = 0xc0000184;
const WdfIoTargetStarted = 1;
const WdfIoTargetStopped = 2;
const WdfIoTargetClosed = 4;
const IRP_MJ_READ = 3;
const IRP_MJ_WRITE = 4;
const IRP_MJ_DEVICE_CONTROL = 0xe;
const IOCTL_LOWER_HANG = (0x22 << 16) | (0x902 << 2);
const IOCTL_LOWER_MULTIPLY = (0x22 << 16) | (0x906 << 2) | 3;
const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0xf;

const sessions: DriverSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

function ulongs(data: Uint8Array): number[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: data.byteLength >> 2 }, (_, i) => v.getUint32(i * 4, true));
}

function args(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return b;
}

/** Both drivers loaded (the KMDF one first, the target after), \\.\KdTarget open and the target opened. */
function setUp(arch: Arch, engine: EngineName): { s: DriverSession; h: number; open: number[] } {
  const kmdf = buildDriver('kmdf_target', arch);
  const lower = buildDriver('kmdf_target_lower', arch);
  const s = DriverSession.load({ driverPath: kmdf.path, driverBytes: kmdf.bytes, engine });
  sessions.push(s);
  expect(s.start()).toBe(SUCCESS);
  expect(s.loadAnother(lower.path, lower.bytes).status).toBe(SUCCESS);
  const f = s.user.CreateFile('\\\\.\\KdTarget');
  expect(f.status).toBe(SUCCESS);
  const r = s.user.DeviceIoControl(f.handle, K_OPEN, new Uint8Array(0), 40);
  expect(r.status).toBe(SUCCESS);
  return { s, h: f.handle, open: ulongs(r.data) };
}

function ioctl(s: DriverSession, h: number, code: number, input: Uint8Array, outLength: number): number[] {
  const r = s.user.DeviceIoControl(h, code, input, outLength);
  expect(r.status).toBe(SUCCESS);
  return ulongs(r.data);
}

/** LOWER_STATS: Opens, Closes, Cancels, Reads, Writes, LastRequestorMode, LastLength, the last write's first 16 bytes, ReadsStarted. */
function stats(s: DriverSession, h: number): { opens: number; closes: number; cancels: number; reads: number; writes: number; mode: number; lastLength: number; last: number[] } {
  const r = s.user.DeviceIoControl(h, K_STATS, new Uint8Array(0), 48);
  expect(r.status).toBe(SUCCESS);
  const u = ulongs(r.data);
  return { opens: u[0], closes: u[1], cancels: u[2], reads: u[3], writes: u[4], mode: u[5], lastLength: u[6], last: [...r.data.slice(28, 44)] };
}

for (const engine of enginesHere('KMDF I/O targets', ['wasm', 'unicorn'])) {
  for (const arch of ARCHES) {
    describe(`KMDF I/O targets (${arch}, ${engine})`, () => {
      it('a control device has no local target; a remote target opened by name is started and names the device, file object and handle', () => {
        const { s, h, open } = setUp(arch, engine);
        // [0] no local target, [1] create, [2] state before open, [3] open, [4] state, [5] parent device,
        // [6] target device object, [7] file object, [8] file handle, [9] no PDO under a legacy device.
        expect(open).toEqual([1, SUCCESS, WdfIoTargetClosed, SUCCESS, WdfIoTargetStarted, 1, 1, 1, 1, 1]);
        // The named open is one IRP_MJ_CREATE on the target's device; the framework's own IRPs are KernelMode.
        const st = stats(s, h);
        expect(st.opens).toBe(1);
        expect(st.mode).toBe(0);
      });

      it('a target opened on an existing device object sends there without a handle of its own, and is deleted with WdfObjectDelete', () => {
        const { s, h } = setUp(arch, engine);
        // Create, open, no file handle, same device, send, its sum, a second open, state after a stop.
        expect(ioctl(s, h, K_EXISTING, new Uint8Array(0), 32)).toEqual([SUCCESS, SUCCESS, 1, 1, SUCCESS, 42, INVALID_DEVICE_STATE, WdfIoTargetStopped]);
        // No second IRP_MJ_CREATE: the device object was used as it is.
        expect(stats(s, h).opens).toBe(1);
      });

      it('WdfIoTargetSendIoctlSynchronously returns the target status and bytes, the output copied back', () => {
        const { s, h } = setUp(arch, engine);
        expect(ioctl(s, h, K_SYNC_SUM, args(40, 2), 12)).toEqual([SUCCESS, 4, 42]);
        expect(ioctl(s, h, K_SYNC_SUM, args(0xffffffff, 3), 12)).toEqual([SUCCESS, 4, 2]);
      });

      it('synchronous reads and writes, a driver-created write sent with SYNCHRONOUS, and an internal IOCTL the target does not handle', () => {
        const { s, h } = setUp(arch, engine);
        // Write status and bytes; read status, bytes, data; create, format, send, WdfRequestGetStatus, completion
        // parameters (type, length, memory); the internal IOCTL's status.
        expect(ioctl(s, h, K_SYNC_RW, new Uint8Array(0), 52)).toEqual([
          SUCCESS, 5, SUCCESS, 4, 0xa3a2a1a0, SUCCESS, SUCCESS, 1, SUCCESS, IRP_MJ_WRITE, 3, 1, INVALID_DEVICE_REQUEST,
        ]);
        const st = stats(s, h);
        expect(st.writes).toBe(2);
        expect(st.lastLength).toBe(3);
        expect(st.last.slice(0, 3)).toEqual([7, 8, 9]);
      });

      it('an internal IOCTL carries its "other" arguments as they are, sent synchronously or formatted from memory objects', () => {
        const { s, h } = setUp(arch, engine);
        // Sync status, bytes, 6 * 7; create, format, send, 9 * 5, completion type, the code in Argument3.
        expect(ioctl(s, h, K_OTHERS, new Uint8Array(0), 36)).toEqual([SUCCESS, 4, 42, SUCCESS, SUCCESS, 1, 45, IRP_MJ_INTERNAL_DEVICE_CONTROL, IOCTL_LOWER_MULTIPLY]);
      });

      it('a METHOD_OUT_DIRECT IOCTL gets the memory object through an MDL', () => {
        const { s, h } = setUp(arch, engine);
        const r = s.user.DeviceIoControl(h, K_SYNC_REVERSE, Uint8Array.from([1, 2, 3, 4, 5, 6]), 14);
        expect(r.status).toBe(SUCCESS);
        expect(ulongs(r.data.slice(0, 8))).toEqual([SUCCESS, 6]);
        expect([...r.data.slice(8, 14)]).toEqual([6, 5, 4, 3, 2, 1]);
      });

      it('an asynchronous read completes through EvtRequestCompletionRoutine with the completion parameters, and the request is reused', () => {
        const { s, h } = setUp(arch, engine);
        for (let round = 0; round < 2; round++) {
          const u = ioctl(s, h, K_ASYNC_READ, new Uint8Array(0), 44);
          // Status, Information, Type, Read.Length, Read.Buffer is the memory, context, target, WdfRequestGetStatus, data.
          expect(u.slice(0, 10)).toEqual([SUCCESS, 8, IRP_MJ_READ, 8, 1, 1, 1, SUCCESS, 0xa3a2a1a0, 0xa7a6a5a4]);
        }
        expect(stats(s, h).reads).toBe(2);
      });

      it('a synchronous send that times out is cancelled and returns STATUS_IO_TIMEOUT', () => {
        const { s, h } = setUp(arch, engine);
        expect(ioctl(s, h, K_TIMEOUT, new Uint8Array(0), 4)).toEqual([IO_TIMEOUT]);
        expect(stats(s, h).cancels).toBe(1);
      });

      it('an asynchronous send that times out reaches its completion routine as STATUS_IO_TIMEOUT', () => {
        const { s, h } = setUp(arch, engine);
        // Params status, type, IOCTL code, and WdfRequestGetCompletionParams's copy.
        expect(ioctl(s, h, K_ASYNC_TIMEOUT, new Uint8Array(0), 16)).toEqual([IO_TIMEOUT, IRP_MJ_DEVICE_CONTROL, IOCTL_LOWER_HANG, IO_TIMEOUT]);
        expect(stats(s, h).cancels).toBe(1);
      });

      it('WdfRequestCancelSentRequest cancels the IRP at the target: the completion routine sees STATUS_CANCELLED', () => {
        const { s, h } = setUp(arch, engine);
        expect(ioctl(s, h, K_CANCEL_SENT, new Uint8Array(0), 16)).toEqual([CANCELLED, IRP_MJ_DEVICE_CONTROL, IOCTL_LOWER_HANG, CANCELLED]);
      });

      it('a stopped target fails a synchronous send with STATUS_INVALID_DEVICE_STATE unless IGNORE_TARGET_STATE, and sends again once started', () => {
        const { s, h } = setUp(arch, engine);
        // State, send, send ignoring the state, its sum, start, state, send, its sum.
        expect(ioctl(s, h, K_STOPPED, new Uint8Array(0), 32)).toEqual([WdfIoTargetStopped, INVALID_DEVICE_STATE, SUCCESS, 11, SUCCESS, WdfIoTargetStarted, SUCCESS, 15]);
      });

      it('an asynchronous request sent to a stopped target waits in it and goes when the target starts', () => {
        const { s, h } = setUp(arch, engine);
        const u = ioctl(s, h, K_STOPPED_ASYNC, new Uint8Array(0), 44);
        expect(u.slice(0, 10)).toEqual([SUCCESS, 8, IRP_MJ_READ, 8, 1, 1, 1, SUCCESS, 0xa3a2a1a0, 0xa7a6a5a4]);
        // While the target was stopped the read had not reached the lower driver.
        expect(u[10]).toBe(0);
        expect(stats(s, h).reads).toBe(1);
      });

      it('a read forwarded with WdfRequestFormatRequestUsingCurrentType completes with the target\'s data', () => {
        const { s, h } = setUp(arch, engine);
        const r = s.user.ReadFile(h, 6);
        expect(r.status).toBe(SUCCESS);
        expect(r.information).toBe(6);
        expect([...r.data]).toEqual([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5]);
        // The queue presents the next request once the forwarded one is completed.
        expect(ioctl(s, h, K_SYNC_SUM, args(1, 2), 12)).toEqual([SUCCESS, 4, 3]);
      });

      it('a write sent with SEND_AND_FORGET reaches the target and completes with its result', () => {
        const { s, h } = setUp(arch, engine);
        const w = s.user.WriteFile(h, Uint8Array.from([9, 8, 7, 6, 5]));
        expect(w.status).toBe(SUCCESS);
        expect(w.information).toBe(5);
        const st = stats(s, h);
        expect(st.writes).toBe(1);
        expect(st.lastLength).toBe(5);
        expect(st.last.slice(0, 5)).toEqual([9, 8, 7, 6, 5]);
      });

      it('WdfIoTargetClose closes the named open and leaves a closed target that refuses requests', () => {
        const { s, h } = setUp(arch, engine);
        expect(ioctl(s, h, K_CLOSE, new Uint8Array(0), 12)).toEqual([WdfIoTargetClosed, 1, INVALID_DEVICE_STATE]);
      });

      it('after the target is closed both drivers unload with nothing left behind (IRPs, MDLs, buffers, handles)', () => {
        const { s, h } = setUp(arch, engine);
        ioctl(s, h, K_ASYNC_READ, new Uint8Array(0), 44);
        ioctl(s, h, K_ASYNC_TIMEOUT, new Uint8Array(0), 16);
        ioctl(s, h, K_TIMEOUT, new Uint8Array(0), 4);
        expect(s.user.ReadFile(h, 4).status).toBe(SUCCESS);
        expect(s.user.WriteFile(h, Uint8Array.from([1, 2])).status).toBe(SUCCESS);
        expect(s.user.DeviceIoControl(h, K_SYNC_REVERSE, Uint8Array.from([1, 2, 3, 4]), 12).status).toBe(SUCCESS);
        const before = stats(s, h);
        ioctl(s, h, K_CLOSE, new Uint8Array(0), 12);
        expect(s.user.CloseHandle(h).status).toBe(SUCCESS);
        expect(s.unload()).toBe(true);
        expect(s.leaks()).toEqual([]);
        expect(before.opens).toBe(1);
      });

      it('a PnP FDO\'s local target is its lower device, started, the same object each time', () => {
        const kmdf = buildDriver('kmdf_target', arch, { defines: { KD_PNP: true } });
        const s = DriverSession.load({ driverPath: kmdf.path, driverBytes: kmdf.bytes, engine });
        sessions.push(s);
        expect(s.start()).toBe(SUCCESS);
        const f = s.user.CreateFile('\\\\.\\KdTarget');
        expect(f.status).toBe(SUCCESS);
        // Found, started, lower device, PDO, parent, same handle, no file object; the root PDO takes no IOCTLs.
        expect(ioctl(s, f.handle, K_LOCAL, new Uint8Array(0), 32)).toEqual([1, WdfIoTargetStarted, 1, 1, 1, 1, 1, INVALID_DEVICE_REQUEST]);
      });
    });
  }
}
