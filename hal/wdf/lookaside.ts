// WDFLOOKASIDE: WdfLookasideListCreate and WdfMemoryCreateFromLookaside.
//
// A lookaside list hands out memory objects whose buffers are all BufferSize bytes of one pool type and tag (the
// driver's, or its default tag); deleting such a memory object returns its buffer to the list, which keeps it for
// the next WdfMemoryCreateFromLookaside. The memory objects get the MemoryAttributes given at creation (their
// callbacks and context), and are the list's children unless those attributes name another parent, so a list is
// never gone while its memory is out. Deleting the list frees the buffers it kept.

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';
import { defaultTag, FxMemory } from './memory.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, reference, registerObject, release, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL, type Attributes,
} from './object.js';

/** Buffers a list keeps for reuse, as the executive's lookaside lists keep a bounded depth. */
const DEPTH = 4;

export class FxLookaside extends FxObject {
  readonly free: bigint[] = [];
  constructor(
    handle: bigint,
    parent: FxObject | undefined,
    caller: string,
    readonly bufferSize: number,
    readonly poolType: number,
    readonly tag: number,
    readonly memoryAttributes: Attributes,
  ) {
    super(handle, 'WDFLOOKASIDE', parent, caller);
  }
}

function releaseBuffer(k: Kernel, list: FxLookaside, buffer: bigint): void {
  if (list.state === 'live' && list.free.length < DEPTH) list.free.push(buffer);
  else k.m.actingAs(0, () => k.pool.free_(buffer, 0));
}

export const exports = [
  wdfExport({
    name: 'WdfLookasideListCreate',
    proto: 'NTSTATUS WdfLookasideListCreate(PWDF_OBJECT_ATTRIBUTES LookasideAttributes, size_t BufferSize, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, ULONG PoolTag, WDFLOOKASIDE *Lookaside)',
    params: { LookasideAttributes: 'ptr', BufferSize: 'usize', PoolType: 'u32', MemoryAttributes: 'ptr', PoolTag: 'tag', Lookaside: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfLookasideListCreate');
      if (a.Lookaside === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfLookasideListCreate was passed a NULL Lookaside');
      k.m.setPtr(a.Lookaside, 0n);
      if (a.BufferSize === 0n || a.BufferSize > 0xffffffffn) return STATUS.INVALID_PARAMETER;
      const attrs = readAttributes(k, a.LookasideAttributes);
      const memAttrs = readAttributes(k, a.MemoryAttributes);
      if (attrs === 'size-mismatch' || memAttrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      // A parent named for the memory objects must exist now.
      if (memAttrs.parent !== 0n) fxObject(k, memAttrs.parent, undefined, 'WdfLookasideListCreate');
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, 'WdfLookasideListCreate') : c.fxDriver;
      const tag = a.PoolTag || defaultTag(k, c);
      const o = registerObject(k, (h) => new FxLookaside(h, parent, k.symbolize(k.callerAddress()), Number(a.BufferSize), a.PoolType, tag, memAttrs));
      o.dispose = () => {
        for (const b of o.free.splice(0)) k.m.actingAs(0, () => k.pool.free_(b, 0));
      };
      const status = applyAttributes(k, o, attrs);
      if (status !== STATUS.SUCCESS) {
        deleteObject(k, o);
        return status;
      }
      k.m.setPtr(a.Lookaside, o.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfMemoryCreateFromLookaside',
    proto: 'NTSTATUS WdfMemoryCreateFromLookaside(WDFLOOKASIDE Lookaside, WDFMEMORY *Memory)',
    params: { Lookaside: 'handle', Memory: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const list = fxObject<FxLookaside>(k, a.Lookaside, 'WDFLOOKASIDE', 'WdfMemoryCreateFromLookaside');
      if (a.Memory === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfMemoryCreateFromLookaside was passed a NULL Memory');
      k.m.setPtr(a.Memory, 0n);
      const ma = list.memoryAttributes;
      // The parent named at the list's creation may be gone by now.
      const parent = ma.parent !== 0n ? fxObject(k, ma.parent, undefined, 'WdfMemoryCreateFromLookaside') : list;
      let buffer = list.free.pop();
      if (buffer === undefined) {
        const b = k.pool.allocate(list.bufferSize, list.tag, list.poolType, 'system', k.symbolize(k.callerAddress()));
        if (b === null) return STATUS.INSUFFICIENT_RESOURCES;
        buffer = b;
      }
      const got = buffer;
      const o = registerObject(k, (h) => new FxMemory(h, parent, k.symbolize(k.callerAddress()), got, list.bufferSize, true));
      // The buffer goes back to the list, which must outlive the memory: as its parent it does; under another
      // parent the memory holds a reference on it.
      const held = parent !== list;
      if (held) reference(list);
      o.dispose = () => {
        releaseBuffer(k, list, got);
        if (held) release(k, list);
      };
      const status = applyAttributes(k, o, ma);
      if (status !== STATUS.SUCCESS) {
        deleteObject(k, o);
        return status;
      }
      k.m.setPtr(a.Memory, o.handle);
      return STATUS.SUCCESS;
    },
  }),
];
