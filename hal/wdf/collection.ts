// WDFCOLLECTION: an ordered list of framework objects (WdfCollectionCreate, GetCount, Add, Remove, RemoveItem,
// GetItem, GetFirstItem, GetLastItem).
//
// The collection holds a reference on every item it lists, so an item deleted while listed stays a valid handle
// until it is removed; deleting the collection drops those references. Removing an item that is not listed, or an
// index past the end, changes nothing (the framework only breaks into a debugger when its verifier is on).

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';
import {
  applyAttributes, deleteObject, FxObject, fxObject, readAttributes, reference, registerObject, release, wdfViolation, WDF_REQUIRED_PARAMETER_IS_NULL,
} from './object.js';

export class FxCollection extends FxObject {
  readonly items: FxObject[] = [];
}

export function fxCollection(k: Kernel, handle: bigint, routine: string): FxCollection {
  return fxObject<FxCollection>(k, handle, 'WDFCOLLECTION', routine);
}

/** Appends an item, taking a reference on it. */
export function collectionAdd(o: FxCollection, item: FxObject): void {
  reference(item);
  o.items.push(item);
}

function removeAt(k: Kernel, o: FxCollection, i: number): void {
  const [item] = o.items.splice(i, 1);
  release(k, item);
}

export const exports = [
  wdfExport({
    name: 'WdfCollectionCreate',
    proto: 'NTSTATUS WdfCollectionCreate(PWDF_OBJECT_ATTRIBUTES CollectionAttributes, WDFCOLLECTION *Collection)',
    params: { CollectionAttributes: 'ptr', Collection: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfCollectionCreate');
      if (a.Collection === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfCollectionCreate was passed a NULL Collection');
      k.m.setPtr(a.Collection, 0n);
      const attrs = readAttributes(k, a.CollectionAttributes);
      if (attrs === 'size-mismatch') return STATUS.INFO_LENGTH_MISMATCH;
      const parent = attrs.parent !== 0n ? fxObject(k, attrs.parent, undefined, 'WdfCollectionCreate') : c.fxDriver;
      const o = registerObject(k, (h) => new FxCollection(h, 'WDFCOLLECTION', parent, k.symbolize(k.callerAddress())));
      o.dispose = () => {
        while (o.items.length > 0) removeAt(k, o, o.items.length - 1);
      };
      const status = applyAttributes(k, o, attrs);
      if (status !== STATUS.SUCCESS) {
        deleteObject(k, o);
        return status;
      }
      k.m.setPtr(a.Collection, o.handle);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfCollectionGetCount',
    proto: 'ULONG WdfCollectionGetCount(WDFCOLLECTION Collection)',
    params: { Collection: 'handle' },
    ret: 'u32',
    impl: (k, a) => fxCollection(k, a.Collection, 'WdfCollectionGetCount').items.length,
  }),
  wdfExport({
    name: 'WdfCollectionAdd',
    proto: 'NTSTATUS WdfCollectionAdd(WDFCOLLECTION Collection, WDFOBJECT Object)',
    params: { Collection: 'handle', Object: 'handle' },
    ret: 'status',
    impl: (k, a) => {
      const o = fxCollection(k, a.Collection, 'WdfCollectionAdd');
      const item = fxObject(k, a.Object, undefined, 'WdfCollectionAdd');
      collectionAdd(o, item);
      return STATUS.SUCCESS;
    },
  }),
  wdfExport({
    name: 'WdfCollectionRemove',
    proto: 'VOID WdfCollectionRemove(WDFCOLLECTION Collection, WDFOBJECT Item)',
    params: { Collection: 'handle', Item: 'handle' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxCollection(k, a.Collection, 'WdfCollectionRemove');
      if (a.Item === 0n) wdfViolation(k, WDF_REQUIRED_PARAMETER_IS_NULL, 0n, k.callerAddress(), 'WdfCollectionRemove was passed a NULL Item');
      // Listed items are found by handle: one deleted while listed is still there.
      const i = o.items.findIndex((x) => x.handle === a.Item);
      if (i >= 0) removeAt(k, o, i);
    },
  }),
  wdfExport({
    name: 'WdfCollectionRemoveItem',
    proto: 'VOID WdfCollectionRemoveItem(WDFCOLLECTION Collection, ULONG Index)',
    params: { Collection: 'handle', Index: 'u32' },
    ret: 'void',
    impl: (k, a) => {
      const o = fxCollection(k, a.Collection, 'WdfCollectionRemoveItem');
      if (a.Index < o.items.length) removeAt(k, o, a.Index);
    },
  }),
  wdfExport({
    name: 'WdfCollectionGetItem',
    proto: 'WDFOBJECT WdfCollectionGetItem(WDFCOLLECTION Collection, ULONG Index)',
    params: { Collection: 'handle', Index: 'u32' },
    ret: 'handle',
    impl: (k, a) => fxCollection(k, a.Collection, 'WdfCollectionGetItem').items[a.Index]?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfCollectionGetFirstItem',
    proto: 'WDFOBJECT WdfCollectionGetFirstItem(WDFCOLLECTION Collection)',
    params: { Collection: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxCollection(k, a.Collection, 'WdfCollectionGetFirstItem').items[0]?.handle ?? 0n,
  }),
  wdfExport({
    name: 'WdfCollectionGetLastItem',
    proto: 'WDFOBJECT WdfCollectionGetLastItem(WDFCOLLECTION Collection)',
    params: { Collection: 'handle' },
    ret: 'handle',
    impl: (k, a) => {
      const items = fxCollection(k, a.Collection, 'WdfCollectionGetLastItem').items;
      return items[items.length - 1]?.handle ?? 0n;
    },
  }),
];
