// WDFSTRING: a framework object owning a counted UTF-16 string (WdfStringCreate, WdfStringGetUnicodeString), the
// framework's own assignments to one (device names, registry strings, the version string) and
// WdfDriverRetrieveVersionString.
//
// The buffer is framework pool owned by the object: a new value replaces it (the UNICODE_STRING a driver got
// earlier from WdfStringGetUnicodeString then points at freed pool, as on Windows), deleting the object frees it.

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, registerObject, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL, type Attributes,
} from './object.js';
import { WDF_MINOR_VERSION } from './table.js';
import { utf16 as utf16Text } from '../cm/hive.js';

/** 'FxSt': the framework's tag for string buffers. */
const TAG_STRING = 0x74537846;
/** A UNICODE_STRING counts bytes in a USHORT. */
const MAX_BYTES = 0xfffe;

export class FxString extends FxObject {
  /** Guest buffer (0 while empty) and its length in bytes; MaximumLength is the allocation's size. */
  buffer = 0n;
  length = 0;
  maximum = 0;
}

/** Replaces the object's text; false when the pool has no room (the old text stays). */
function store(k: Kernel, o: FxString, text: string): boolean {
  const bytes = text.length * 2;
  let buffer = 0n;
  if (bytes > 0) {
    const b = k.m.actingAs(0, () => k.pool.allocate(bytes, TAG_STRING, 0, 'system', 'Wdf01000.sys'));
    if (b === null) return false;
    k.m.writeWString(b, text, false);
    buffer = b;
  }
  free(k, o);
  o.buffer = buffer;
  o.length = bytes;
  o.maximum = bytes;
  return true;
}

function free(k: Kernel, o: FxString): void {
  if (o.buffer !== 0n) k.m.actingAs(0, () => k.pool.free_(o.buffer, 0));
  o.buffer = 0n;
  o.length = o.maximum = 0;
}

export function fxString(k: Kernel, handle: bigint, routine: string): FxString {
  return fxObject<FxString>(k, handle, 'WDFSTRING', routine);
}

/** The text a WDFSTRING holds. */
export function stringText(k: Kernel, o: FxString): string {
  return o.length === 0 ? '' : utf16Text(k.m.read(o.buffer, o.length));
}

/**
 * The framework giving a driver's WDFSTRING a new value (WdfDeviceRetrieveDeviceName, WdfRegistryQueryString ...):
 * the handle is validated as every entry validates it; the result is the NTSTATUS the entry returns.
 */
export function assignString(k: Kernel, handle: bigint, text: string, routine: string): number {
  const o = fxString(k, handle, routine);
  if (text.length * 2 > MAX_BYTES) return STATUS.INVALID_PARAMETER;
  return store(k, o, text) ? STATUS.SUCCESS : STATUS.INSUFFICIENT_RESOURCES;
}

/**
 * Creates a WDFSTRING for the framework's own use on a driver's behalf (WdfRegistryQueryMultiString's strings).
 * Returns the object or the failure status.
 */
export function createString(k: Kernel, parent: FxObject | undefined, attrs: Attributes, text: string): FxString | number {
  if (text.length * 2 > MAX_BYTES) return STATUS.INVALID_PARAMETER;
  const o = registerObject(k, (h) => new FxString(h, 'WDFSTRING', parent, k.symbolize(k.callerAddress())));
  o.dispose = () => free(k, o);
  let status = applyAttributes(k, o, attrs);
  if (status === STATUS.SUCCESS && !store(k, o, text)) status = STATUS.INSUFFICIENT_RESOURCES;
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, o);
    return status;
  }
  return o;
}

/** Reads a driver's UNICODE_STRING as the framework validates one: an odd or overlong Length is invalid. */
export function readCounted(k: Kernel, p: bigint): string | undefined {
  const U = k.L.UNICODE_STRING.off;
  const len = k.m.u16(p + BigInt(U.Length));
  const max = k.m.u16(p + BigInt(U.MaximumLength));
  if (len & 1 || len > max) return undefined;
  const buf = k.m.ptr(p + BigInt(U.Buffer));
  if (len > 0 && buf === 0n) return undefined;
  return len === 0 ? '' : utf16Text(k.m.read(buf, len));
}

/** Fills a driver's UNICODE_STRING to describe the object's buffer. */
export function describeString(k: Kernel, o: FxString, us: bigint): void {
  const U = k.L.UNICODE_STRING.off;
  k.m.setU16(us + BigInt(U.Length), o.length);
  k.m.setU16(us + BigInt(U.MaximumLength), o.maximum);
  k.m.setPtr(us + BigInt(U.Buffer), o.buffer);
}

/**
 * What WdfDriverRetrieveVersionString assigns. Microsoft documents only that it identifies the framework's version
 * and that drivers must not parse it; the exact text is not documented, so kdemu writes "KMDF 1.33".
 */
export const VERSION_STRING = `KMDF 1.${WDF_MINOR_VERSION}`;

export const exports = [
  wdfExport({
    name: 'WdfStringCreate',
    proto: 'NTSTATUS WdfStringCreate(PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES StringAttributes, WDFSTRING *String)',
    params: { UnicodeString: 'pustr', StringAttributes: 'ptr', String: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfStringCreate');
      if (a.String === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfStringCreate was passed a NULL String');
      k.m.setPtr(a.String, 0n);
      // UnicodeString is optional: NULL makes an empty string.
      let text = '';
      if (a.UnicodeString !== 0n) {
        const t = readCounted(k, a.UnicodeString);
        if (t === undefined) return STATUS.INVALID_PARAMETER;
        text = t;
      }
      const attrs = readAttributes(k, a.StringAttributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, 'WdfStringCreate') : c.fxDriver;
      const o = createString(k, parent, attrs, text);
      if (typeof o === 'number') return o;
      k.m.setPtr(a.String, o.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfStringGetUnicodeString',
    proto: 'VOID WdfStringGetUnicodeString(WDFSTRING String, PUNICODE_STRING UnicodeString)',
    params: { String: 'handle', UnicodeString: 'ptr' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxString(k, a.String, 'WdfStringGetUnicodeString');
      if (a.UnicodeString === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfStringGetUnicodeString was passed a NULL UnicodeString');
      describeString(k, o, a.UnicodeString);
    },
  }),
  wdfExport({
    name: 'WdfDriverRetrieveVersionString',
    proto: 'NTSTATUS WdfDriverRetrieveVersionString(WDFDRIVER Driver, WDFSTRING String)',
    params: { Driver: 'handle', String: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      clientOf(k, a.DriverGlobals, 'WdfDriverRetrieveVersionString');
      fxObject(k, a.Driver, 'WDFDRIVER', 'WdfDriverRetrieveVersionString');
      return assignString(k, a.String, VERSION_STRING, 'WdfDriverRetrieveVersionString');
    },
  }),
];
