// Device stacks: a filter's device attached on top of another (IoAttachDeviceToDeviceStack), found from below
// (IoGetAttachedDevice), detached at unload; and IoGetDeviceObjectPointer, how a driver finds another driver's
// device by name. Requests always go to the top of a stack, each driver passing them down with IoCallDriver.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS, ntSuccess } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { referenceObject } from '../ob/object.js';
import { ntClose, ntCreateFile } from './iofunc.js';

function attached(k: Kernel, dev: bigint): bigint {
  return k.m.ptrAt(dev, k.L.DEVICE_OBJECT.off.AttachedDevice);
}

/** IoGetAttachedDevice: the highest device of dev's stack. */
export function attachedTop(k: Kernel, dev: bigint): bigint {
  let d = dev;
  for (let n = 0; n < 64; n++) {
    const up = attached(k, d);
    if (up === 0n) return d;
    d = up;
  }
  throw new GuestStop('bugcheck', `the device stack above ${hex(dev)} loops (AttachedDevice)`, { bugcheck: { code: 0x1e, params: [0xc0000005n, 0n, 0n, 0n] } });
}

/**
 * IoAttachDeviceToDeviceStack: source goes on top of target's stack; it needs one more stack location than the
 * device it sits on. Returns that device, or 0 when target's driver is being unloaded or target deleted.
 */
export function attachToStack(k: Kernel, source: bigint, target: bigint): bigint {
  const rec = k.io.deviceAt(target);
  if (!rec || rec.deleted) return 0n;
  const top = attachedTop(k, target);
  const o = k.L.DEVICE_OBJECT.off;
  const m = k.m;
  m.setPtrAt(top, o.AttachedDevice, source);
  m.setU8At(source, o.StackSize, m.u8At(top, o.StackSize) + 1);
  m.setU32At(source, o.AlignmentRequirement, Math.max(m.u32At(source, o.AlignmentRequirement), m.u32At(top, o.AlignmentRequirement)));
  m.setU16At(source, o.SectorSize, m.u16At(top, o.SectorSize));
  const src = k.io.deviceAt(source);
  if (src) src.attachedTo = top;
  return top;
}

/** IoDetachDevice: the device attached on top of target leaves it. */
export function detachDevice(k: Kernel, target: bigint): void {
  const up = attached(k, target);
  if (up === 0n) return; // nothing attached: Windows ignores it
  const rec = k.io.deviceAt(up);
  if (rec) rec.attachedTo = undefined;
  k.m.setPtrAt(target, k.L.DEVICE_OBJECT.off.AttachedDevice, 0n);
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoAttachDeviceToDeviceStack',
    proto: 'PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)',
    params: { SourceDevice: 'ptr', TargetDevice: 'ptr' }, ret: 'ptr',
    impl: (k, a) => attachToStack(k, a.SourceDevice, a.TargetDevice),
  }),
  defineExport({
    ...io, name: 'IoAttachDeviceToDeviceStackSafe',
    proto: 'NTSTATUS IoAttachDeviceToDeviceStackSafe(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice, PDEVICE_OBJECT *AttachedToDeviceObject)',
    params: { SourceDevice: 'ptr', TargetDevice: 'ptr', AttachedToDeviceObject: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const top = attachToStack(k, a.SourceDevice, a.TargetDevice);
      k.m.setPtr(a.AttachedToDeviceObject, top);
      return top === 0n ? STATUS.NO_SUCH_DEVICE : STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...io, name: 'IoDetachDevice', proto: 'VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)',
    params: { TargetDevice: 'ptr' }, ret: 'void',
    impl: (k, a) => detachDevice(k, a.TargetDevice),
  }),
  defineExport({
    ...io, name: 'IoGetAttachedDevice', proto: 'PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'ptr',
    impl: (k, a) => attachedTop(k, a.DeviceObject),
  }),
  defineExport({
    ...io, name: 'IoGetAttachedDeviceReference', proto: 'PDEVICE_OBJECT IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const top = attachedTop(k, a.DeviceObject);
      referenceObject(k, top, 'IoGetAttachedDeviceReference');
      return top;
    },
  }),
  defineExport({
    ...io, name: 'IoGetLowerDeviceObject', proto: 'PDEVICE_OBJECT IoGetLowerDeviceObject(PDEVICE_OBJECT DeviceObject)',
    params: { DeviceObject: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const lower = k.io.deviceAt(a.DeviceObject)?.attachedTo ?? 0n;
      if (lower !== 0n) referenceObject(k, lower, 'IoGetLowerDeviceObject');
      return lower;
    },
  }),
  defineExport({
    ...io, name: 'IoGetRelatedDeviceObject', proto: 'PDEVICE_OBJECT IoGetRelatedDeviceObject(PFILE_OBJECT FileObject)',
    params: { FileObject: 'ptr' }, ret: 'ptr',
    impl: (k, a) => attachedTop(k, k.m.ptrAt(a.FileObject, k.L.FILE_OBJECT.off.DeviceObject)),
  }),
  defineExport({
    ...io, name: 'IoGetDeviceObjectPointer',
    proto: 'NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess, PFILE_OBJECT *FileObject, PDEVICE_OBJECT *DeviceObject)',
    params: { ObjectName: 'pustr', DesiredAccess: 'access', FileObject: 'ptr', DeviceObject: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      // Opens the device (IRP_MJ_CREATE down its stack), keeps a reference to the file object, closes the handle
      // (IRP_MJ_CLEANUP now; IRP_MJ_CLOSE when the caller dereferences the file object).
      const r = ntCreateFile(k, readUnicodeString(k, a.ObjectName), a.DesiredAccess, 0, { kernel: true });
      if (!ntSuccess(r.status) || r.handle === undefined) return r.status;
      const file = k.io.files.get(r.handle)!.address;
      referenceObject(k, file, 'IoGetDeviceObjectPointer');
      ntClose(k, r.handle);
      k.m.setPtr(a.FileObject, file);
      k.m.setPtr(a.DeviceObject, attachedTop(k, k.m.ptrAt(file, k.L.FILE_OBJECT.off.DeviceObject)));
      return STATUS.SUCCESS;
    },
  }),
];
