// Driver objects: map a driver image and build its DRIVER_OBJECT, DriverEntry, DriverUnload, and IoCreateDriver.

import path from 'node:path';
import { bindImports, mapImage, needsPreferredBase, type PeImage } from '../../emu/pe/index.js';
import { Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { InputError } from '../errors.js';
import { hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { IO_TYPE_DRIVER, IRP_MJ_MAXIMUM_FUNCTION, DO_DEVICE_INITIALIZING, DRVO_BUILTIN_DRIVER } from './constants.js';
import { completeRequest } from './irp.js';
import { tagOf } from './device.js';
import type { DriverRecord } from './state.js';
import { enumerateRootDevice, removeRootDevices } from './pnpmgr.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { initGuard } from '../ke/guard.js';
import { freeDriverExtensions } from './extension.js';

/** Spacing between loaded driver images. */
const IMAGE_STRIDE = 0x1000000n;

/** The /GS cookie values MSVC links in; GsDriverEntry bugchecks if the loader left them (DRIVER_OVERRAN_STACK_BUFFER). */
const GS_COOKIE = { x86: 0x2f4b7c39n, x64: 0x00002d35_8a7f6c13n };

/**
 * Maps a driver image at a kernel-range base that differs from its preferred one (so relocations always run),
 * binds its imports to kdemu's exports, and creates its DRIVER_OBJECT.
 */
export function loadDriver(k: Kernel, img: PeImage, bytes: Uint8Array, imagePath: string): DriverRecord {
  const index = k.io.drivers.length;
  let base = k.m.layout.drivers + IMAGE_STRIDE * BigInt(index);
  if (base === img.imageBase) base += IMAGE_STRIDE / 2n;
  if (needsPreferredBase(img)) base = img.imageBase;
  imageFits(k, img, imagePath);
  const mapped = mapImage(img, bytes, base);
  bindImports(mapped, img, (dll, entry) => k.resolveImport(dll, entry.name ?? `#${entry.ordinal}`));
  if (img.loadConfig?.securityCookieVa) {
    const rva = Number(img.loadConfig.securityCookieVa - img.imageBase);
    const dv = new DataView(mapped.memory.buffer, mapped.memory.byteOffset);
    if (rva >= 0 && rva + k.ptrSize <= mapped.size) {
      if (k.ptrSize === 8) dv.setBigUint64(rva, GS_COOKIE.x64, true);
      else dv.setUint32(rva, Number(GS_COOKIE.x86), true);
    }
  }
  // Control Flow Guard: the image's guard function pointers go to the kernel's checkers.
  initGuard(k, img, mapped.memory, base);
  k.mapRegion(base, mapped.size, Prot.RWX);
  k.m.writeSparse(base, mapped.memory);
  for (const r of mapped.regions) k.m.protect(base + BigInt(r.rva), r.size, r.prot as Prot);
  const file = path.basename(imagePath);
  const service = file.replace(/\.[^.]*$/, '');
  const image = { name: file, base, size: mapped.size };
  k.modules.push(image);
  const object = createDriverObject(k, service, base, mapped.size, base + BigInt(img.entryRva));
  const record: DriverRecord = { name: service, object, image, objectName: `\\Driver\\${service}` };
  k.io.drivers.push(record);
  k.ns.insert(record.objectName, { type: 'driver', address: object });
  return record;
}

/** The loader's check that an image fits the run's guest memory (--memory): one that cannot is bad input, exit 2. */
export function imageFits(k: Kernel, img: PeImage, imagePath: string): void {
  const need = Math.ceil(img.sizeOfImage / 0x1000) * 0x1000;
  const left = k.m.memoryBudget - k.m.committedBytes;
  if (need > left) {
    throw new InputError(`SizeOfImage ${need} bytes (${(need / 1048576).toFixed(1)} MiB) does not fit the guest memory left (${(left / 1048576).toFixed(1)} MiB of --memory ${k.m.memoryBudget / 1048576})`, imagePath);
  }
}

/** A UNICODE_STRING with its buffer, in the system data region (names the kernel owns for good). */
export function systemUnicodeString(k: Kernel, text: string): bigint {
  const us = k.systemAlloc(k.L.UNICODE_STRING.size, 8);
  const buf = k.systemAlloc(text.length * 2 + 2, 2);
  k.m.writeWString(buf, text);
  fillUnicodeString(k, us, buf, text.length * 2, text.length * 2 + 2);
  return us;
}

export function fillUnicodeString(k: Kernel, us: bigint, buffer: bigint, length: number, max: number): void {
  const o = k.L.UNICODE_STRING.off;
  k.m.setU16At(us, o.Length, length);
  k.m.setU16At(us, o.MaximumLength, max);
  k.m.setPtrAt(us, o.Buffer, buffer);
}

function createDriverObject(k: Kernel, service: string, start: bigint, size: number, init: bigint): bigint {
  const obj = allocateDriverObject(k, 'IopLoadDriver');
  if (obj === null) throw new Error('pool exhausted creating the driver object');
  const L = k.L;
  const m = k.m;
  const o = L.DRIVER_OBJECT.off;
  const ext = obj + BigInt(L.DRIVER_OBJECT.size);
  m.setPtrAt(obj, o.DriverStart, start);
  m.setU32At(obj, o.DriverSize, size);
  const keyName = systemUnicodeString(k, service);
  m.write(ext + BigInt(L.DRIVER_EXTENSION.off.ServiceKeyName), m.read(keyName, L.UNICODE_STRING.size));
  const driverName = systemUnicodeString(k, `\\Driver\\${service}`);
  m.write(obj + BigInt(o.DriverName), m.read(driverName, L.UNICODE_STRING.size));
  m.setPtrAt(obj, o.HardwareDatabase, systemUnicodeString(k, '\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM'));
  m.setPtrAt(obj, o.DriverInit, init);
  return obj;
}

/**
 * A zeroed DRIVER_OBJECT followed by its DRIVER_EXTENSION: Type, Size, the extension's back pointer, and every
 * MajorFunction slot at the I/O manager's IopInvalidDeviceRequest, as on Windows.
 */
export function allocateDriverObject(k: Kernel, caller: string): bigint | null {
  const L = k.L;
  const m = k.m;
  const total = L.DRIVER_OBJECT.size + L.DRIVER_EXTENSION.size;
  const obj = k.pool.allocate(total, tagOf('Driv'), 0, 'system', caller);
  if (obj === null) return null;
  m.write(obj, new Uint8Array(total));
  const o = L.DRIVER_OBJECT.off;
  const ext = obj + BigInt(L.DRIVER_OBJECT.size);
  m.setU16At(obj, o.Type, IO_TYPE_DRIVER);
  m.setU16At(obj, o.Size, L.DRIVER_OBJECT.size);
  m.setPtrAt(obj, o.DriverExtension, ext);
  m.setPtrAt(ext, L.DRIVER_EXTENSION.off.DriverObject, obj);
  const invalid = invalidDeviceRequest(k);
  for (let i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) m.setPtr(obj + BigInt(o.MajorFunction) + BigInt(i * k.ptrSize), invalid);
  return obj;
}

/** IopInvalidDeviceRequest: the default dispatch routine; completes the IRP with STATUS_INVALID_DEVICE_REQUEST. */
export function invalidDeviceRequest(k: Kernel): bigint {
  return k.internalRoutine('IopInvalidDeviceRequest', 2, (k, [, irp]) => {
    const o = k.L.IRP.off;
    k.m.setU32At(irp, o['IoStatus.Status'], STATUS.INVALID_DEVICE_REQUEST);
    k.m.setPtrAt(irp, o['IoStatus.Information'], 0n);
    completeRequest(k, irp, 0);
    return BigInt(STATUS.INVALID_DEVICE_REQUEST);
  });
}

/** Calls DriverEntry(DriverObject, RegistryPath); afterwards clears DO_DEVICE_INITIALIZING on its devices. */
export function callDriverEntry(k: Kernel, d: DriverRecord): number {
  const registryPath = systemUnicodeString(k, `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${d.name}`);
  const entry = k.m.ptrAt(d.object, k.L.DRIVER_OBJECT.off.DriverInit);
  k.io.current = d;
  let status: number;
  try {
    status = Number(k.callRoutine(entry, [d.object, registryPath], 'DriverEntry') & 0xffffffffn);
    if (ntSuccess(status)) {
      // IopReadyDeviceObjects: devices created during DriverEntry become usable.
      for (const dev of k.io.devices) {
        if (dev.driver === d && !dev.deleted) {
          const f = dev.address + BigInt(k.L.DEVICE_OBJECT.off.Flags);
          k.m.setU32(f, k.m.u32(f) & ~DO_DEVICE_INITIALIZING);
        }
      }
    }
  } finally {
    k.io.current = undefined;
  }
  // A PnP driver gets its device once it is loaded: the PnP manager's root enumeration (its failure does not unload
  // the driver, as a device that fails to start leaves its driver loaded).
  if (ntSuccess(status) && k.pnp) enumerateRootDevice(k, d);
  return status;
}

/** The unload routine, or 0 when the driver cannot be unloaded. */
export function unloadRoutine(k: Kernel, d: DriverRecord): bigint {
  return k.m.ptrAt(d.object, k.L.DRIVER_OBJECT.off.DriverUnload);
}

/**
 * Unloads a driver: the PnP manager removes its devices first; a driver that vetoes the removal stays loaded (false).
 */
export function callDriverUnload(k: Kernel, d: DriverRecord): boolean {
  if (!removeRootDevices(k, d)) return false;
  const routine = unloadRoutine(k, d);
  k.io.current = d;
  try {
    k.callRoutine(routine, [d.object], 'DriverUnload');
  } finally {
    k.io.current = undefined;
  }
  return true;
}

// ---- IoCreateDriver -----------------------------------------------------------------------------------------

/** KUSER_SHARED_DATA.TickCount (its low 32 bits): the tick count the kernel keeps (no virtual clock runs yet). */
const KUSD_TICK_COUNT = 0x320n;
/** IoCreateDriver retries a generated name this many times when it collides. */
const NAME_RETRIES = 100;

/** A pool block holding a copy of `text` (with a terminating NUL when `terminate`), and the string's byte length. */
function poolString(k: Kernel, text: string, terminate: boolean): { buffer: bigint; length: number } | null {
  const length = text.length * 2;
  const buffer = k.pool.allocate(Math.max(length + (terminate ? 2 : 0), 1), tagOf('IoNm'), 1 /* PagedPool */, 'system', 'IoCreateDriver');
  if (buffer === null) return null;
  if (terminate) k.m.writeWString(buffer, text);
  else for (let i = 0; i < text.length; i++) k.m.setU16At(buffer, 2 * i, text.charCodeAt(i));
  return { buffer, length };
}

/**
 * IoCreateDriver(DriverName, InitializationFunction), undocumented, as ReactOS implements it (io/iomgr/driver.c):
 * a new permanent DRIVER_OBJECT with no image (DriverStart, DriverSize, DriverSection 0; Flags DRVO_BUILTIN_DRIVER)
 * named DriverName, or "\Driver\%08u" of the tick count when DriverName is NULL (retried on a collision); its
 * ServiceKeyName is the same name; every MajorFunction starts at IopInvalidDeviceRequest. The initialization
 * routine runs at once as InitializationFunction(DriverObject, NULL), and its status is the return value. On
 * failure the name is removed (the object is made temporary and dereferenced); on success MajorFunction slots the
 * routine set to NULL go back to IopInvalidDeviceRequest. Devices and symbolic links the routine creates belong to
 * the new driver.
 */
export function createDriver(k: Kernel, driverName: bigint, init: bigint): number {
  const L = k.L;
  const m = k.m;
  const o = L.DRIVER_OBJECT.off;
  const caller = k.callerAddress();
  for (let attempt = 0; ; attempt++) {
    const name = driverName !== 0n ? readUnicodeString(k, driverName) : `\\Driver\\${String(m.u32(m.layout.sharedUserData + KUSD_TICK_COUNT)).padStart(8, '0')}`;
    const obj = allocateDriverObject(k, 'IoCreateDriver');
    const service = poolString(k, name, true);
    const copy = poolString(k, name, false);
    const free = (): void => {
      for (const b of [obj, service?.buffer, copy?.buffer]) if (b) k.pool.free_(b, 0);
    };
    if (obj === null || service === null || copy === null) {
      free();
      return STATUS.INSUFFICIENT_RESOURCES;
    }
    m.setU32At(obj, o.Flags, DRVO_BUILTIN_DRIVER);
    m.setPtrAt(obj, o.DriverInit, init);
    fillUnicodeString(k, obj + BigInt(L.DRIVER_OBJECT.size + L.DRIVER_EXTENSION.off.ServiceKeyName), service.buffer, service.length, service.length + 2);
    fillUnicodeString(k, obj + BigInt(o.DriverName), copy.buffer, copy.length, copy.length);
    const inserted = k.ns.insert(name, { type: 'driver', address: obj });
    if (inserted !== STATUS.SUCCESS) {
      free();
      if (driverName === 0n && inserted === STATUS.OBJECT_NAME_COLLISION && attempt < NAME_RETRIES) continue;
      return inserted;
    }
    const creator = k.io.current ?? k.io.drivers.find((d) => d.image === k.moduleOf(caller));
    const image = k.moduleOf(init) ?? creator?.image ?? { name: '', base: 0n, size: 0 };
    const record: DriverRecord = { name, object: obj, image, objectName: k.ns.canonical(name), ...(creator ? { createdBy: creator } : {}) };
    k.io.drivers.push(record);
    const outer = k.io.current;
    k.io.current = record;
    let status: number;
    try {
      status = Number(k.callRoutine(init, [obj, 0n], 'DriverInit (IoCreateDriver)') & 0xffffffffn);
    } finally {
      k.io.current = outer;
    }
    if (!ntSuccess(status)) {
      // ObMakeTemporaryObject + ObDereferenceObject: the name goes; the object goes too unless devices still hold it.
      k.ns.remove(record.objectName);
      if (!k.io.devices.some((d) => d.driver === record && !d.deleted)) {
        k.io.drivers.splice(k.io.drivers.indexOf(record), 1);
        freeDriverExtensions(k, obj);
        free();
      }
      return status;
    }
    const invalid = invalidDeviceRequest(k);
    for (let i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) {
      const slot = obj + BigInt(o.MajorFunction) + BigInt(i * k.ptrSize);
      if (m.ptr(slot) === 0n) m.setPtr(slot, invalid);
    }
    return status;
  }
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoCreateDriver',
    cc: 'stdcall',
    proto: 'NTSTATUS IoCreateDriver(PUNICODE_STRING DriverName, PDRIVER_INITIALIZE InitializationFunction)',
    params: { DriverName: 'pustr', InitializationFunction: 'ptr' },
    ret: 'status',
    impl: (k, a) => createDriver(k, a.DriverName, a.InitializationFunction),
  }),
];

export function describeDriver(k: Kernel, d: DriverRecord): string {
  return `${d.objectName} at ${hex(d.object)}`;
}
