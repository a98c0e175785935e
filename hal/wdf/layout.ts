// The framework's structures as drivers pass them (KMDF 1.33 layouts; older clients pass shorter versions, told by
// their Size). Kept apart from hal/layout's Windows structures: mingw-w64 has no WDF headers, so these are checked
// against kdemu's own KMDF header (samples/include/kmdf/wdf.h) instead.

import { array, i64, layoutOf, ptr, struct, u16, u32, u8, union, usize, type Arch } from '../layout/index.js';

const VERSION = struct('WDF_VERSION', { Major: u32, Minor: u32, Build: u32 });

export const wdfDefs = {
  WDF_DRIVER_GLOBALS: struct('WDF_DRIVER_GLOBALS', { Driver: ptr, DriverFlags: u32, DriverTag: u32, DriverName: array(u8, 32), DisplaceDriverUnload: u8 }),
  WDF_BIND_INFO: struct('WDF_BIND_INFO', { Size: u32, Component: ptr, Version: VERSION, FuncCount: u32, FuncTable: ptr, Module: ptr }),
  WDF_OBJECT_ATTRIBUTES: struct('WDF_OBJECT_ATTRIBUTES', {
    Size: u32, EvtCleanupCallback: ptr, EvtDestroyCallback: ptr, ExecutionLevel: u32, SynchronizationScope: u32, ParentObject: ptr,
    ContextSizeOverride: usize, ContextTypeInfo: ptr,
  }),
  WDF_OBJECT_CONTEXT_TYPE_INFO: struct('WDF_OBJECT_CONTEXT_TYPE_INFO', { Size: u32, ContextName: ptr, ContextSize: usize, UniqueType: ptr, EvtDriverGetUniqueContextType: ptr }),
  WDF_DRIVER_CONFIG: struct('WDF_DRIVER_CONFIG', { Size: u32, EvtDriverDeviceAdd: ptr, EvtDriverUnload: ptr, DriverInitFlags: u32, DriverPoolTag: u32 }),
  WDF_IO_QUEUE_CONFIG: struct('WDF_IO_QUEUE_CONFIG', {
    Size: u32, DispatchType: u32, PowerManaged: u32, AllowZeroLengthRequests: u8, DefaultQueue: u8,
    EvtIoDefault: ptr, EvtIoRead: ptr, EvtIoWrite: ptr, EvtIoDeviceControl: ptr, EvtIoInternalDeviceControl: ptr, EvtIoStop: ptr, EvtIoResume: ptr,
    EvtIoCanceledOnQueue: ptr, Settings: union({ Parallel: struct({ NumberOfPresentedRequests: u32 }) }), Driver: ptr,
  }),
  WDF_FILEOBJECT_CONFIG: struct('WDF_FILEOBJECT_CONFIG', { Size: u32, EvtDeviceFileCreate: ptr, EvtFileClose: ptr, EvtFileCleanup: ptr, AutoForwardCleanupClose: u32, FileObjectClass: u32 }),
  WDF_PNPPOWER_EVENT_CALLBACKS: struct('WDF_PNPPOWER_EVENT_CALLBACKS', {
    Size: u32, EvtDeviceD0Entry: ptr, EvtDeviceD0EntryPostInterruptsEnabled: ptr, EvtDeviceD0Exit: ptr, EvtDeviceD0ExitPreInterruptsDisabled: ptr,
    EvtDevicePrepareHardware: ptr, EvtDeviceReleaseHardware: ptr, EvtDeviceSelfManagedIoCleanup: ptr, EvtDeviceSelfManagedIoFlush: ptr,
    EvtDeviceSelfManagedIoInit: ptr, EvtDeviceSelfManagedIoSuspend: ptr, EvtDeviceSelfManagedIoRestart: ptr, EvtDeviceSurpriseRemoval: ptr,
    EvtDeviceQueryRemove: ptr, EvtDeviceQueryStop: ptr, EvtDeviceUsageNotification: ptr, EvtDeviceRelationsQuery: ptr, EvtDeviceUsageNotificationEx: ptr,
  }),
  WDF_TIMER_CONFIG: struct('WDF_TIMER_CONFIG', { Size: u32, EvtTimerFunc: ptr, Period: u32, AutomaticSerialization: u8, TolerableDelay: u32, UseHighResolutionTimer: u8 }),
  WDF_WORKITEM_CONFIG: struct('WDF_WORKITEM_CONFIG', { Size: u32, EvtWorkItemFunc: ptr, AutomaticSerialization: u8 }),
  WDF_DPC_CONFIG: struct('WDF_DPC_CONFIG', { Size: u32, EvtDpcFunc: ptr, AutomaticSerialization: u8 }),
  WDF_REQUEST_PARAMETERS: struct('WDF_REQUEST_PARAMETERS', {
    Size: u16, MinorFunction: u8, Type: u32,
    Parameters: union({
      Read: struct({ Length: usize, Key: u32, DeviceOffset: i64 }),
      DeviceIoControl: struct({ OutputBufferLength: usize, InputBufferLength: usize, IoControlCode: u32, Type3InputBuffer: ptr }),
      Others: struct({ Arg1: ptr, Arg2: ptr, IoControlCode: u32, Arg4: ptr }),
    }),
  }),
  WDF_REQUEST_SEND_OPTIONS: struct('WDF_REQUEST_SEND_OPTIONS', { Size: u32, Flags: u32, Timeout: i64 }),
  WDFMEMORY_OFFSET: struct('WDFMEMORY_OFFSET', { BufferOffset: usize, BufferLength: usize }),
  WDF_MEMORY_DESCRIPTOR: struct('WDF_MEMORY_DESCRIPTOR', {
    Type: u32,
    u: union({ BufferType: struct({ Buffer: ptr, Length: u32 }), MdlType: struct({ Mdl: ptr, BufferLength: u32 }), HandleType: struct({ Memory: ptr, Offsets: ptr }) }),
  }),
  WDF_REQUEST_COMPLETION_PARAMS: struct('WDF_REQUEST_COMPLETION_PARAMS', {
    Size: u32, Type: u32, IoStatus: struct({ Status: ptr, Information: usize }),
    Parameters: union({
      Write: struct({ Buffer: ptr, Length: usize, Offset: usize }),
      Ioctl: struct({ IoControlCode: u32, Input: struct({ Buffer: ptr, Offset: usize }), Output: struct({ Buffer: ptr, Offset: usize, Length: usize }) }),
      Others: struct({ Argument1: ptr, Argument2: ptr, Argument3: ptr, Argument4: ptr }),
    }),
  }),
  WDF_IO_TYPE_CONFIG: struct('WDF_IO_TYPE_CONFIG', { Size: u32, ReadWriteIoType: u32, DeviceControlIoType: u32, DirectTransferThreshold: u32 }),
  WDF_DRIVER_VERSION_AVAILABLE_PARAMS: struct('WDF_DRIVER_VERSION_AVAILABLE_PARAMS', { Size: u32, MajorVersion: u32, MinorVersion: u32 }),
  WDF_REQUEST_REUSE_PARAMS: struct('WDF_REQUEST_REUSE_PARAMS', { Size: u32, Flags: u32, Status: u32, NewIrp: ptr }),
  WDF_IO_TARGET_OPEN_PARAMS: struct('WDF_IO_TARGET_OPEN_PARAMS', {
    Size: u32, Type: u32, EvtIoTargetQueryRemove: ptr, EvtIoTargetRemoveCanceled: ptr, EvtIoTargetRemoveComplete: ptr,
    TargetDeviceObject: ptr, TargetFileObject: ptr, TargetDeviceName: struct({ Length: u16, MaximumLength: u16, Buffer: ptr }),
    DesiredAccess: u32, ShareAccess: u32, FileAttributes: u32, CreateDisposition: u32, CreateOptions: u32, EaBuffer: ptr, EaBufferLength: u32,
    AllocationSize: ptr, FileInformation: u32,
  }),
};

export type WdfTypeName = keyof typeof wdfDefs;

export interface WdfStructLayout {
  readonly size: number;
  readonly off: Readonly<Record<string, number>>;
}

const cache: Partial<Record<Arch, Record<WdfTypeName, WdfStructLayout>>> = {};

/** The framework structures' offsets and sizes on one architecture, computed once. */
export function wdfLayouts(arch: Arch): Record<WdfTypeName, WdfStructLayout> {
  let l = cache[arch];
  if (!l) {
    const built = {} as Record<WdfTypeName, WdfStructLayout>;
    for (const [name, def] of Object.entries(wdfDefs)) {
      const x = layoutOf(def, arch);
      built[name as WdfTypeName] = Object.freeze({ size: x.size, off: x.offsets as Record<string, number> });
    }
    cache[arch] = l = Object.freeze(built);
  }
  return l;
}
