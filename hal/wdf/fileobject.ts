// Framework file objects (WDFFILEOBJECT) and the create, cleanup and close requests of a framework device.
//
// For each IRP_MJ_CREATE the framework makes a WDFFILEOBJECT (unless the device declared WdfFileObjectNotRequired),
// with the context the device's file object attributes declare. The create goes to the queue configured for
// WdfRequestTypeCreate if there is one, else to EvtDeviceFileCreate(Device, Request, FileObject) — the driver
// completes it — else the framework completes it with STATUS_SUCCESS. A create that fails deletes the file object.
// Cleanup calls EvtFileCleanup(FileObject), close EvtFileClose(FileObject) and then deletes the file object; the
// framework completes both with STATUS_SUCCESS.

import type { Kernel } from '../kernel.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { completeRequest, currentStackLocation } from '../io/irp.js';
import { wdfExport } from './export.js';
import { addContext, callEvt, deleteObject, FxObject, fxObject, registerObject } from './object.js';
import { fileAttributes, fxDevice, type FxDevice } from './device.js';
import { markPending, requestForIrp, trackIrp, IRP_MJ_CREATE } from './request.js';
import { enqueue } from './queue.js';

const WdfFileObjectNotRequired = 1;

export class FxFileObject extends FxObject {
  constructor(handle: bigint, parent: FxObject, caller: string, readonly fileObject: bigint, readonly device: FxDevice) {
    super(handle, 'WDFFILEOBJECT', parent, caller);
  }
}

export function fxFile(k: Kernel, handle: bigint, routine: string): FxFileObject {
  return fxObject<FxFileObject>(k, handle, 'WDFFILEOBJECT', routine);
}

function completeIrp(k: Kernel, irp: bigint, status: number): number {
  const o = k.L.IRP.off;
  k.m.setU32At(irp, o['IoStatus.Status'], status);
  k.m.setPtrAt(irp, o['IoStatus.Information'], 0n);
  completeRequest(k, irp, 0);
  return status;
}

function fileObjectOf(k: Kernel, irp: bigint): bigint {
  return k.m.ptrAt(currentStackLocation(k, irp), k.L.IO_STACK_LOCATION.off.FileObject);
}

/** IRP_MJ_CREATE on a framework device. */
export function dispatchCreate(k: Kernel, dev: FxDevice, irp: bigint): number {
  const file = fileObjectOf(k, irp);
  let fo: FxFileObject | undefined;
  if (dev.init.fileObjectClass !== WdfFileObjectNotRequired && file !== 0n) {
    fo = registerObject(k, (h) => new FxFileObject(h, dev, 'IRP_MJ_CREATE', file, dev));
    fo.noDelete = true;
    const attrs = fileAttributes.get(dev.init);
    if (attrs) {
      fo.cleanup = attrs.cleanup;
      fo.destroy = attrs.destroy;
      addContext(k, fo, attrs);
    }
    dev.files.set(file, fo);
  }
  const dropFile = () => {
    if (!fo) return;
    dev.files.delete(file);
    fo.noDelete = false;
    deleteObject(k, fo);
  };
  const queue = dev.dispatching.get(IRP_MJ_CREATE);
  if (!queue && dev.init.fileCreate === 0n) return completeIrp(k, irp, STATUS.SUCCESS);
  const r = requestForIrp(k, dev, irp);
  trackIrp(k, r);
  r.onComplete = (status) => {
    if (!ntSuccess(status)) dropFile();
  };
  markPending(k, irp);
  if (queue) {
    const s = enqueue(k, queue, r);
    if (s !== STATUS.SUCCESS) {
      r.phase = 'presented';
      r.queue = undefined;
      dropFile();
      r.onComplete = undefined;
      completeIrp(k, irp, s);
      r.phase = 'completed';
      r.noDelete = false;
      deleteObject(k, r);
    }
    return STATUS.PENDING;
  }
  r.phase = 'presented';
  callEvt(k, dev.init.fileCreate, [dev.handle, r.handle, fo?.handle ?? 0n], 'EvtDeviceFileCreate');
  return STATUS.PENDING;
}

/** IRP_MJ_CLEANUP and IRP_MJ_CLOSE on a framework device. */
export function dispatchCleanupClose(k: Kernel, dev: FxDevice, irp: bigint, close: boolean): number {
  const file = fileObjectOf(k, irp);
  const fo = dev.files.get(file);
  const routine = close ? dev.init.fileClose : dev.init.fileCleanup;
  if (routine !== 0n && fo) callEvt(k, routine, [fo.handle], close ? 'EvtFileClose' : 'EvtFileCleanup');
  if (close && fo) {
    dev.files.delete(file);
    fo.noDelete = false;
    deleteObject(k, fo as FxObject);
  }
  return completeIrp(k, irp, STATUS.SUCCESS);
}

export const exports = [
  wdfExport({
    name: 'WdfFileObjectWdmGetFileObject',
    proto: 'PFILE_OBJECT WdfFileObjectWdmGetFileObject(WDFFILEOBJECT FileObject)',
    params: { FileObject: 'handle' },
    ret: 'ptr',
    impl: (k, a) => fxFile(k, a.FileObject, 'WdfFileObjectWdmGetFileObject').fileObject,
  }),
  wdfExport({
    name: 'WdfFileObjectGetDevice',
    proto: 'WDFDEVICE WdfFileObjectGetDevice(WDFFILEOBJECT FileObject)',
    params: { FileObject: 'handle' },
    ret: 'handle',
    impl: (k, a) => fxFile(k, a.FileObject, 'WdfFileObjectGetDevice').device.handle,
  }),
  wdfExport({
    name: 'WdfFileObjectGetFileName',
    proto: 'PUNICODE_STRING WdfFileObjectGetFileName(WDFFILEOBJECT FileObject)',
    params: { FileObject: 'handle' },
    ret: 'ptr',
    // The FILE_OBJECT's FileName: what the opener named after the device's name (empty for the device itself).
    impl: (k, a) => fxFile(k, a.FileObject, 'WdfFileObjectGetFileName').fileObject + BigInt(k.L.FILE_OBJECT.off.FileName),
  }),
  wdfExport({
    name: 'WdfFileObjectGetFlags',
    proto: 'ULONG WdfFileObjectGetFlags(WDFFILEOBJECT FileObject)',
    params: { FileObject: 'handle' },
    ret: 'u32',
    impl: (k, a) => k.m.u32At(fxFile(k, a.FileObject, 'WdfFileObjectGetFlags').fileObject, k.L.FILE_OBJECT.off.Flags),
  }),
  wdfExport({
    name: 'WdfDeviceGetFileObject',
    proto: 'WDFFILEOBJECT WdfDeviceGetFileObject(WDFDEVICE Device, PFILE_OBJECT FileObject)',
    params: { Device: 'handle', FileObject: 'ptr' },
    ret: 'handle',
    impl: (k, a) => fxDevice(k, a.Device, 'WdfDeviceGetFileObject').files.get(a.FileObject)?.handle ?? 0n,
  }),
];
