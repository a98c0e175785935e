// IRPs drivers build and send themselves: IoAllocateIrp, IoInitializeIrp, IoReuseIrp, IoFreeIrp,
// IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest, IoBuildAsynchronousFsdRequest, IoSetCompletionRoutineEx.
//
// IoBuildDeviceIoControlRequest and IoBuildSynchronousFsdRequest make threaded IRPs: the I/O manager finishes them
// when they complete (IopCompleteRequest): it copies a buffered request's output back to the caller's buffer, unlocks
// and frees the MDL, frees the system buffer and the IRP, and, unless the request failed without pending (the caller
// has that status from IoCallDriver), stores IoStatus in *UserIosb and signals UserEvent. IRPs from IoAllocateIrp and
// IoBuildAsynchronousFsdRequest are the driver's: its completion routine frees them (IoFreeIrp) and returns
// STATUS_MORE_PROCESSING_REQUIRED; one that completes all the way stays allocated, the driver's to free (a leak at
// unload otherwise, as its pool block is the driver's).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import {
  DO_BUFFERED_IO, DO_DIRECT_IO, IO_TYPE_IRP, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION,
  MULTIPLE_IRP_COMPLETE_REQUESTS, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS,
} from './constants.js';
import { allocateIrp, builtIrps, initializeIrp, nextStackLocation } from './irp.js';
import { tagOf } from './device.js';
import { allocateMdl, freeMdl, IoReadAccess, IoWriteAccess, probeAndLockPages, unlockPages } from '../mm/mdl.js';
import { dereferenceObject, referenceObject } from '../ob/object.js';

const IRP_MJ_READ = 3;
const IRP_MJ_WRITE = 4;
const IRP_MJ_DEVICE_CONTROL = 0xe;
const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0xf;
const METHOD_BUFFERED = 0;
const METHOD_IN_DIRECT = 1;
const METHOD_NEITHER = 3;
const STATUS_VERIFY_REQUIRED = 0x80000016;
const KernelMode = 0;
const MDL_PAGES_LOCKED = 0x2;

/** NT_ERROR: severity 3. */
const isError = (status: number) => status >>> 30 === 3;

function caller(k: Kernel): string {
  return k.symbolize(k.callerAddress());
}

/** An IRP the driver owns: sending it makes it outstanding; completing it all the way leaves it to the driver. */
function ownIrp(k: Kernel, irp: bigint): void {
  builtIrps(k).set(irp, () => {});
}

/** IopCompleteRequest for a threaded IRP: copy-back, buffers and MDLs freed, the caller's IOSB and event, the IRP freed. */
function finishThreaded(k: Kernel, irp: bigint): void {
  const m = k.m;
  const o = k.L.IRP.off;
  m.actingAs(0, () => {
    const flags = m.u32At(irp, o.Flags);
    const status = m.u32At(irp, o['IoStatus.Status']);
    const information = m.ptrAt(irp, o['IoStatus.Information']);
    const system = m.ptrAt(irp, o['AssociatedIrp.SystemBuffer']);
    if (flags & IRP_BUFFERED_IO) {
      if (flags & IRP_INPUT_OPERATION && status !== STATUS_VERIFY_REQUIRED && !isError(status) && information > 0n) {
        m.write(m.ptrAt(irp, o.UserBuffer), m.read(system, Number(information)));
      }
      if (flags & IRP_DEALLOCATE_BUFFER && system !== 0n) k.pool.free_(system, 0);
    }
    for (let mdl = m.ptrAt(irp, o.MdlAddress); mdl !== 0n; ) {
      const next = m.ptrAt(mdl, k.L.MDL.off.Next);
      if (m.u16At(mdl, k.L.MDL.off.MdlFlags) & MDL_PAGES_LOCKED) unlockPages(k, mdl);
      freeMdl(k, mdl);
      mdl = next;
    }
    // A request that failed without pending: IoCallDriver gave its caller the status; the IOSB and event stay.
    if (!isError(status) || m.u8At(irp, o.PendingReturned)) {
      const iosb = m.ptrAt(irp, o.UserIosb);
      if (iosb !== 0n) {
        m.setU32At(iosb, k.L.IO_STATUS_BLOCK.off.Status, status);
        m.setPtrAt(iosb, k.L.IO_STATUS_BLOCK.off.Information, information);
      }
      const event = m.ptrAt(irp, o.UserEvent);
      if (event !== 0n) m.setU32(event + BigInt(k.L.KEVENT.off['Header.SignalState']), 1);
    }
    builtIrps(k).delete(irp);
    k.pool.free_(irp, 0);
  });
}

/** The system buffer of a buffered request: driver-owned until the I/O manager frees it. */
function systemBuffer(k: Kernel, size: number): bigint | null {
  return k.pool.allocate(size, tagOf('IoBf'), 0, 'driver', caller(k));
}

/** An MDL for a direct-I/O buffer, locked for the access; null when the pages cannot be locked. */
function lockedMdl(k: Kernel, va: bigint, length: number, operation: number): bigint | null {
  const mdl = allocateMdl(k, va, length, 'driver', caller(k));
  if (mdl === null) return null;
  if (probeAndLockPages(k, mdl, KernelMode, operation) !== 0n) {
    freeMdl(k, mdl);
    return null;
  }
  return mdl;
}

/** Frees what a build routine made before it failed. */
function abandon(k: Kernel, irp: bigint): null {
  const o = k.L.IRP.off;
  const system = k.m.ptrAt(irp, o['AssociatedIrp.SystemBuffer']);
  if (system !== 0n && k.m.u32At(irp, o.Flags) & IRP_DEALLOCATE_BUFFER) k.pool.free_(system, 0);
  k.pool.free_(irp, 0);
  return null;
}

function newIrp(k: Kernel, device: bigint): bigint | null {
  const irp = allocateIrp(k, k.m.u8At(device, k.L.DEVICE_OBJECT.off.StackSize), 'driver', caller(k));
  if (irp === null) return null;
  const o = k.L.IRP.off;
  k.m.setU8At(irp, o.RequestorMode, KernelMode);
  k.m.setPtrAt(irp, o['Tail.Overlay.Thread'], k.ps.currentThread);
  return irp;
}

function buildFsd(k: Kernel, major: number, device: bigint, buffer: bigint, length: number, offset: bigint): bigint | null {
  const irp = newIrp(k, device);
  if (irp === null) return null;
  const m = k.m;
  const o = k.L.IRP.off;
  const so = k.L.IO_STACK_LOCATION.off;
  const sl = nextStackLocation(k, irp);
  m.setU8At(sl, so.MajorFunction, major);
  if (major === IRP_MJ_READ || major === IRP_MJ_WRITE) {
    const flags = m.u32At(device, k.L.DEVICE_OBJECT.off.Flags);
    if (flags & DO_BUFFERED_IO) {
      const sys = systemBuffer(k, Math.max(length, 1));
      if (sys === null) return abandon(k, irp);
      m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], sys);
      if (major === IRP_MJ_WRITE) m.write(sys, m.read(buffer, length));
      m.setU32At(irp, o.Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (major === IRP_MJ_READ ? IRP_INPUT_OPERATION : 0));
    } else if (flags & DO_DIRECT_IO) {
      // A read writes into the buffer's pages: IoWriteAccess.
      const mdl = lockedMdl(k, buffer, length, major === IRP_MJ_READ ? IoWriteAccess : IoReadAccess);
      if (mdl === null) return abandon(k, irp);
      m.setPtrAt(irp, o.MdlAddress, mdl);
    }
    m.setPtrAt(irp, o.UserBuffer, buffer);
    m.setU32At(sl, so['Parameters.Read.Length'], length);
    m.setU64At(sl, so['Parameters.Read.ByteOffset'], offset);
  }
  return irp;
}

/**
 * The completion routine IoSetCompletionRoutineEx installs: invoked in every case, it calls the driver's routine when
 * the driver asked for this outcome, then drops the device reference and frees its context.
 */
function completionEx(k: Kernel, args: bigint[]): bigint {
  const [device, irp, block] = args;
  const p = BigInt(k.ptrSize);
  const routine = k.m.ptr(block);
  const context = k.m.ptr(block + p);
  const target = k.m.ptr(block + 2n * p);
  const invoke = k.m.u8(block + 3n * p);
  const status = k.m.u32At(irp, k.L.IRP.off['IoStatus.Status']) | 0;
  const cancelled = k.m.u8At(irp, k.L.IRP.off.Cancel) !== 0;
  const wanted = (status >= 0 && invoke & SL_INVOKE_ON_SUCCESS) || (status < 0 && invoke & SL_INVOKE_ON_ERROR) || (cancelled && invoke & SL_INVOKE_ON_CANCEL);
  const r = wanted ? k.callRoutine(routine, [device, irp, context], 'completion routine') : BigInt(STATUS.SUCCESS);
  k.pool.free_(block, 0);
  dereferenceObject(k, target, 'IoSetCompletionRoutineEx');
  return r;
}

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoAllocateIrp', proto: 'PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)',
    params: { StackSize: 'u8', ChargeQuota: 'bool' }, ret: 'ptr',
    impl: (k, a) => {
      const irp = allocateIrp(k, a.StackSize, 'driver', caller(k));
      if (irp === null) return 0n;
      ownIrp(k, irp);
      return irp;
    },
  }),
  defineExport({
    ...io, name: 'IoInitializeIrp', proto: 'VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)',
    params: { Irp: 'ptr', PacketSize: 'u16', StackSize: 'u8' }, ret: 'void',
    impl: (k, a) => {
      initializeIrp(k, a.Irp, a.PacketSize, a.StackSize);
      ownIrp(k, a.Irp);
    },
  }),
  defineExport({
    ...io, name: 'IoReuseIrp', proto: 'VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)',
    params: { Irp: 'ptr', Iostatus: 'status' }, ret: 'void',
    impl: (k, a) => {
      // Reinitialized in place, keeping its size, stack count and allocation flags; IoStatus.Status = Iostatus.
      const o = k.L.IRP.off;
      const size = k.m.u16At(a.Irp, o.Size);
      const stack = k.m.u8At(a.Irp, o.StackCount);
      const flags = k.m.u8At(a.Irp, o.AllocationFlags);
      initializeIrp(k, a.Irp, size, stack);
      k.m.setU8At(a.Irp, o.AllocationFlags, flags);
      k.m.setU32At(a.Irp, o['IoStatus.Status'], a.Iostatus);
      if (!builtIrps(k).has(a.Irp)) ownIrp(k, a.Irp);
    },
  }),
  defineExport({
    ...io, name: 'IoFreeIrp', proto: 'VOID IoFreeIrp(PIRP Irp)',
    params: { Irp: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      if (k.m.u16At(a.Irp, k.L.IRP.off.Type) !== IO_TYPE_IRP) {
        throw new GuestStop('bugcheck', `IoFreeIrp(${hex(a.Irp)}) from ${caller(k)}: not an IRP (already freed?)`, {
          bugcheck: { code: MULTIPLE_IRP_COMPLETE_REQUESTS, params: [a.Irp, 0n, 0n, 0n] },
        });
      }
      builtIrps(k).delete(a.Irp);
      // The type goes with the IRP, so a second IoFreeIrp is caught.
      k.m.setU16At(a.Irp, k.L.IRP.off.Type, 0);
      k.pool.free_(a.Irp, 0);
    },
  }),
  defineExport({
    ...io, name: 'IoBuildDeviceIoControlRequest',
    proto: 'PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength, BOOLEAN InternalDeviceIoControl, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)',
    params: { IoControlCode: 'u32', DeviceObject: 'ptr', InputBuffer: 'ptr', InputBufferLength: 'u32', OutputBuffer: 'ptr', OutputBufferLength: 'u32', InternalDeviceIoControl: 'bool', Event: 'ptr', IoStatusBlock: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => {
      const irp = newIrp(k, a.DeviceObject);
      if (irp === null) return 0n;
      const m = k.m;
      const o = k.L.IRP.off;
      const so = k.L.IO_STACK_LOCATION.off;
      const sl = nextStackLocation(k, irp);
      m.setU8At(sl, so.MajorFunction, a.InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL);
      m.setU32At(sl, so['Parameters.DeviceIoControl.OutputBufferLength'], a.OutputBufferLength);
      m.setU32At(sl, so['Parameters.DeviceIoControl.InputBufferLength'], a.InputBufferLength);
      m.setU32At(sl, so['Parameters.DeviceIoControl.IoControlCode'], a.IoControlCode);
      const method = a.IoControlCode & 3;
      if (method === METHOD_BUFFERED) {
        const size = Math.max(a.InputBufferLength, a.OutputBufferLength);
        if (size > 0) {
          const sys = systemBuffer(k, size);
          if (sys === null) return abandon(k, irp) ?? 0n;
          if (a.InputBufferLength) m.write(sys, m.read(a.InputBuffer, a.InputBufferLength));
          m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], sys);
          m.setU32At(irp, o.Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (a.OutputBufferLength ? IRP_INPUT_OPERATION : 0));
        }
        m.setPtrAt(irp, o.UserBuffer, a.OutputBuffer);
      } else if (method === METHOD_NEITHER) {
        m.setPtrAt(irp, o.UserBuffer, a.OutputBuffer);
        m.setPtrAt(sl, so['Parameters.DeviceIoControl.Type3InputBuffer'], a.InputBuffer);
      } else {
        // Direct I/O: the input is buffered, the output described by a locked MDL.
        if (a.InputBufferLength) {
          const sys = systemBuffer(k, a.InputBufferLength);
          if (sys === null) return abandon(k, irp) ?? 0n;
          m.write(sys, m.read(a.InputBuffer, a.InputBufferLength));
          m.setPtrAt(irp, o['AssociatedIrp.SystemBuffer'], sys);
          m.setU32At(irp, o.Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER);
        }
        if (a.OutputBuffer !== 0n && a.OutputBufferLength) {
          const mdl = lockedMdl(k, a.OutputBuffer, a.OutputBufferLength, method === METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
          if (mdl === null) return abandon(k, irp) ?? 0n;
          m.setPtrAt(irp, o.MdlAddress, mdl);
        }
      }
      m.setPtrAt(irp, o.UserIosb, a.IoStatusBlock);
      m.setPtrAt(irp, o.UserEvent, a.Event);
      builtIrps(k).set(irp, finishThreaded);
      return irp;
    },
  }),
  defineExport({
    ...io, name: 'IoBuildSynchronousFsdRequest',
    proto: 'PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)',
    params: { MajorFunction: 'u32', DeviceObject: 'ptr', Buffer: 'ptr', Length: 'u32', StartingOffset: 'ptr', Event: 'ptr', IoStatusBlock: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => {
      const irp = buildFsd(k, a.MajorFunction, a.DeviceObject, a.Buffer, a.Length, a.StartingOffset === 0n ? 0n : k.m.u64(a.StartingOffset));
      if (irp === null) return 0n;
      k.m.setPtrAt(irp, k.L.IRP.off.UserIosb, a.IoStatusBlock);
      k.m.setPtrAt(irp, k.L.IRP.off.UserEvent, a.Event);
      builtIrps(k).set(irp, finishThreaded);
      return irp;
    },
  }),
  defineExport({
    ...io, name: 'IoBuildAsynchronousFsdRequest',
    proto: 'PIRP IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length, PLARGE_INTEGER StartingOffset, PIO_STATUS_BLOCK IoStatusBlock)',
    params: { MajorFunction: 'u32', DeviceObject: 'ptr', Buffer: 'ptr', Length: 'u32', StartingOffset: 'ptr', IoStatusBlock: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => {
      const irp = buildFsd(k, a.MajorFunction, a.DeviceObject, a.Buffer, a.Length, a.StartingOffset === 0n ? 0n : k.m.u64(a.StartingOffset));
      if (irp === null) return 0n;
      k.m.setPtrAt(irp, k.L.IRP.off.UserIosb, a.IoStatusBlock);
      ownIrp(k, irp);
      return irp;
    },
  }),
  defineExport({
    ...io, name: 'IoSetCompletionRoutineEx',
    proto: 'NTSTATUS IoSetCompletionRoutineEx(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine, PVOID Context, BOOLEAN InvokeOnSuccess, BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)',
    params: { DeviceObject: 'ptr', Irp: 'ptr', CompletionRoutine: 'ptr', Context: 'ptr', InvokeOnSuccess: 'bool', InvokeOnError: 'bool', InvokeOnCancel: 'bool' },
    ret: 'status',
    impl: (k, a) => {
      // The device stays referenced until the routine has run, so its driver cannot unload under it.
      const block = k.pool.allocate(4 * k.ptrSize, tagOf('IoCr'), 0, 'system', 'IoSetCompletionRoutineEx');
      if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
      const invoke = (a.InvokeOnSuccess ? SL_INVOKE_ON_SUCCESS : 0) | (a.InvokeOnError ? SL_INVOKE_ON_ERROR : 0) | (a.InvokeOnCancel ? SL_INVOKE_ON_CANCEL : 0);
      k.m.setPtr(block, a.CompletionRoutine);
      k.m.setPtr(block + BigInt(k.ptrSize), a.Context);
      k.m.setPtr(block + BigInt(2 * k.ptrSize), a.DeviceObject);
      k.m.setU8(block + BigInt(3 * k.ptrSize), invoke);
      referenceObject(k, a.DeviceObject, 'IoSetCompletionRoutineEx');
      const sl = nextStackLocation(k, a.Irp);
      const so = k.L.IO_STACK_LOCATION.off;
      k.m.setPtrAt(sl, so.CompletionRoutine, k.internalRoutine('IopUnloadSafeCompletion', 3, completionEx));
      k.m.setPtrAt(sl, so.Context, block);
      k.m.setU8At(sl, so.Control, SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL);
      return STATUS.SUCCESS;
    },
  }),
];
