// The framework's dispatch routine: every MajorFunction slot of a KMDF driver's DRIVER_OBJECT points here.
//
// Create, cleanup and close go to the file-object handling, PnP to the PnP side, power and WMI to the lower driver;
// any other IRP becomes a WDFREQUEST: given to EvtIoInCallerContext when the device has one (in the requesting
// thread, before any queue), else routed to the queue configured for its type or the default queue. The framework
// marks such an IRP pending and returns STATUS_PENDING, whether or not the driver completed it already.

import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { completeRequest, currentStackLocation } from '../io/irp.js';
import { callEvt } from './object.js';
import { fxDeviceOf } from './device.js';
import { dispatchCleanupClose, dispatchCreate } from './fileobject.js';
import { dispatchPnp, passToLower } from './pnp.js';
import { markPending, requestForIrp, trackIrp, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE } from './request.js';
import { routeRequest } from './queue.js';

const IRP_MJ_POWER = 0x16;
const IRP_MJ_SYSTEM_CONTROL = 0x17;
const IRP_MJ_PNP = 0x1b;

export function frameworkDispatch(k: Kernel): bigint {
  return k.internalRoutine('FxDevice::DispatchWithLock', 2, (k, [deviceObject, irp]) => BigInt(dispatchIrp(k, deviceObject, irp)));
}

function dispatchIrp(k: Kernel, deviceObject: bigint, irp: bigint): number {
  const dev = fxDeviceOf(k, deviceObject);
  const major = k.m.u8At(currentStackLocation(k, irp), k.L.IO_STACK_LOCATION.off.MajorFunction);
  if (!dev) {
    // A device the driver made with IoCreateDevice itself has no framework behind it.
    const o = k.L.IRP.off;
    k.m.setU32At(irp, o['IoStatus.Status'], STATUS.INVALID_DEVICE_REQUEST);
    k.m.setPtrAt(irp, o['IoStatus.Information'], 0n);
    completeRequest(k, irp, 0);
    return STATUS.INVALID_DEVICE_REQUEST;
  }
  switch (major) {
    case IRP_MJ_CREATE:
      return dispatchCreate(k, dev, irp);
    case IRP_MJ_CLEANUP:
    case IRP_MJ_CLOSE:
      return dispatchCleanupClose(k, dev, irp, major === IRP_MJ_CLOSE);
    case IRP_MJ_PNP:
      return dispatchPnp(k, dev, irp);
    case IRP_MJ_POWER:
    case IRP_MJ_SYSTEM_CONTROL:
      return passToLower(k, dev, irp);
  }
  const r = requestForIrp(k, dev, irp);
  trackIrp(k, r);
  markPending(k, irp);
  if (dev.init.ioInCallerContext !== 0n) {
    r.inCallerContext = true;
    try {
      callEvt(k, dev.init.ioInCallerContext, [dev.handle, r.handle], 'EvtIoInCallerContext');
    } finally {
      r.inCallerContext = false;
    }
    // Neither enqueued nor completed: the driver keeps it (it must complete it later).
    if (r.phase === 'new') r.phase = 'presented';
    return STATUS.PENDING;
  }
  routeRequest(k, dev, r);
  return STATUS.PENDING;
}
