// Framework memory objects (WDFMEMORY): WdfMemoryCreate, WdfMemoryCreatePreallocated, WdfMemoryGetBuffer,
// WdfMemoryAssignBuffer, WdfMemoryCopyToBuffer, WdfMemoryCopyFromBuffer, and the memory a request's buffers are
// wrapped in (WdfRequestRetrieveInputMemory & co., the framework's own objects).
//
// WdfMemoryCreate allocates the buffer from pool (the driver's tag, or its DriverPoolTag / service tag) and frees it
// with the object; a preallocated one only describes the driver's buffer. Copies check the offset and length against
// the buffer: STATUS_INVALID_BUFFER_SIZE, as the framework gives.

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { clientOf, type WdfClient } from './client.js';
import { wdfExport } from './export.js';
import { wdfLayouts } from './layout.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, registerObject, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL, type FxType,
} from './object.js';

const NonPagedPool = 0;

export class FxMemory extends FxObject {
  constructor(
    handle: bigint,
    parent: FxObject | undefined,
    caller: string,
    public buffer: bigint,
    public length: number,
    /** The object owns the buffer (WdfMemoryCreate): freed with it. */
    readonly owned: boolean,
    type: FxType = 'WDFMEMORY',
  ) {
    super(handle, type, parent, caller);
  }
}

/** A memory object describing an existing buffer (a request's, a preallocated one). */
export function describeMemory(k: Kernel, parent: FxObject | undefined, buffer: bigint, length: number, frameworkOwned: boolean): FxMemory {
  const o = registerObject(k, (h) => new FxMemory(h, parent, k.symbolize(k.callerAddress()), buffer, length, false));
  o.noDelete = frameworkOwned;
  return o;
}

export function fxMemory(k: Kernel, handle: bigint, routine: string): FxMemory {
  return fxObject<FxMemory>(k, handle, 'WDFMEMORY', routine);
}

/** The pool tag the framework uses for a driver's allocations when it names none. */
export function defaultTag(k: Kernel, c: WdfClient): number {
  return k.m.u32(c.globals + BigInt(wdfLayouts(k.arch).WDF_DRIVER_GLOBALS.off.DriverTag));
}

function memoryCreate(k: Kernel, globals: bigint, attributes: bigint, poolType: number, tag: number, size: bigint, out: bigint, bufferOut: bigint): number {
  const c = clientOf(k, globals, 'WdfMemoryCreate');
  if (out === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfMemoryCreate was passed a NULL Memory');
  k.m.setPtr(out, 0n);
  if (size === 0n) return STATUS.INVALID_PARAMETER;
  const a = readAttributes(k, attributes);
  if (a === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
  const parent = a.parent !== 0n ? fxObject(k, a.parent, undefined, 'WdfMemoryCreate') : c.fxDriver;
  const buffer = k.pool.allocate(Number(size), tag || defaultTag(k, c), poolType, 'system', k.symbolize(k.callerAddress()));
  if (buffer === null) return STATUS.INSUFFICIENT_RESOURCES;
  const o = registerObject(k, (h) => new FxMemory(h, parent, k.symbolize(k.callerAddress()), buffer, Number(size), true));
  o.dispose = () => k.m.actingAs(0, () => k.pool.free_(buffer, 0));
  const status = applyAttributes(k, o, a);
  if (status !== STATUS.SUCCESS) {
    deleteObject(k, o);
    return status;
  }
  k.m.setPtr(out, o.handle);
  if (bufferOut !== 0n) k.m.setPtr(bufferOut, buffer);
  return STATUS.SUCCESS;
}

/** Checks an offset/length window of a memory object's buffer (the framework's WDFMEMORY_OFFSET rules). */
function window(m: FxMemory, offset: bigint, length: bigint): boolean {
  return offset <= BigInt(m.length) && length <= BigInt(m.length) - offset;
}

export const exports = [
  wdfExport({
    name: 'WdfMemoryCreate',
    proto: 'NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag, size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer)',
    params: { Attributes: 'ptr', PoolType: 'u32', PoolTag: 'tag', BufferSize: 'usize', Memory: 'ptr', Buffer: 'ptr' },
    ret: 'status',
    impl: (k, a) => memoryCreate(k, a.DriverGlobals, a.Attributes, a.PoolType, a.PoolTag, a.BufferSize, a.Memory, a.Buffer),
  }),
  wdfExport({
    name: 'WdfMemoryCreatePreallocated',
    proto: 'NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer, size_t BufferSize, WDFMEMORY *Memory)',
    params: { Attributes: 'ptr', Buffer: 'ptr', BufferSize: 'usize', Memory: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfMemoryCreatePreallocated');
      if (a.Memory === 0n || a.Buffer === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfMemoryCreatePreallocated was passed a NULL Buffer or Memory');
      k.m.setPtr(a.Memory, 0n);
      if (a.BufferSize === 0n) return STATUS.INVALID_PARAMETER;
      const attrs = readAttributes(k, a.Attributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, 'WdfMemoryCreatePreallocated') : c.fxDriver;
      const o = describeMemory(k, parent, a.Buffer, Number(a.BufferSize), false);
      const status = applyAttributes(k, o, attrs);
      if (status !== STATUS.SUCCESS) {
        deleteObject(k, o);
        return status;
      }
      k.m.setPtr(a.Memory, o.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfMemoryGetBuffer',
    proto: 'PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize)',
    params: { Memory: 'handle', BufferSize: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => {
      const o = fxMemory(k, a.Memory, 'WdfMemoryGetBuffer');
      if (a.BufferSize !== 0n) k.m.setPtr(a.BufferSize, BigInt(o.length));
      return o.buffer;
    },
  }),
  wdfExport({
    name: 'WdfMemoryAssignBuffer',
    proto: 'NTSTATUS WdfMemoryAssignBuffer(WDFMEMORY Memory, PVOID Buffer, size_t BufferSize)',
    params: { Memory: 'handle', Buffer: 'ptr', BufferSize: 'usize' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxMemory(k, a.Memory, 'WdfMemoryAssignBuffer');
      // Only a preallocated memory object takes another buffer.
      if (o.owned || o.noDelete) return STATUS.INVALID_DEVICE_REQUEST;
      if (a.Buffer === 0n || a.BufferSize === 0n) return STATUS.INVALID_PARAMETER;
      o.buffer = a.Buffer;
      o.length = Number(a.BufferSize);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfMemoryCopyToBuffer',
    proto: 'NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer, size_t NumBytesToCopyTo)',
    params: { SourceMemory: 'handle', SourceOffset: 'usize', Buffer: 'ptr', NumBytesToCopyTo: 'usize' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxMemory(k, a.SourceMemory, 'WdfMemoryCopyToBuffer');
      if (a.Buffer === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfMemoryCopyToBuffer was passed a NULL Buffer');
      if (a.NumBytesToCopyTo === 0n) return STATUS.INVALID_PARAMETER;
      if (!window(o, a.SourceOffset, a.NumBytesToCopyTo)) return STATUS.INVALID_BUFFER_SIZE;
      k.m.write(a.Buffer, k.m.read(o.buffer + a.SourceOffset, Number(a.NumBytesToCopyTo)));
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfMemoryCopyFromBuffer',
    proto: 'NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset, PVOID Buffer, size_t NumBytesToCopyFrom)',
    params: { DestinationMemory: 'handle', DestinationOffset: 'usize', Buffer: 'ptr', NumBytesToCopyFrom: 'usize' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxMemory(k, a.DestinationMemory, 'WdfMemoryCopyFromBuffer');
      if (a.Buffer === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfMemoryCopyFromBuffer was passed a NULL Buffer');
      if (a.NumBytesToCopyFrom === 0n) return STATUS.INVALID_PARAMETER;
      if (!window(o, a.DestinationOffset, a.NumBytesToCopyFrom)) return STATUS.INVALID_BUFFER_SIZE;
      k.m.write(o.buffer + a.DestinationOffset, k.m.read(a.Buffer, Number(a.NumBytesToCopyFrom)));
      return STATUS.SUCCESS;
    },
  }),
];

export { NonPagedPool };
