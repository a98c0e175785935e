// Layouts of the I/O manager structures: IRP, IO_STACK_LOCATION, driver/device/file objects, MDL and their parts.

import { KAPC, KDEVICE_QUEUE, KDEVICE_QUEUE_ENTRY, KDPC, KEVENT, KSPIN_LOCK } from './ke.js';
import { LARGE_INTEGER, LIST_ENTRY, UNICODE_STRING } from './rtl.js';
import {
  MEMORY_ALLOCATION_ALIGNMENT,
  POINTER_ALIGNMENT,
  aligned,
  array,
  handle,
  i16,
  i32,
  i8,
  only,
  ptr,
  struct,
  u16,
  u32,
  u8,
  union,
  usize,
} from './struct.js';

/** IRP_MJ_MAXIMUM_FUNCTION: the last major function code (IRP_MJ_PNP). */
export const IRP_MJ_MAXIMUM_FUNCTION = 0x1b;

export const IO_STATUS_BLOCK = struct('IO_STATUS_BLOCK', {
  $u: union({ Status: i32, Pointer: ptr }),
  Information: usize,
});

export const MDL = struct('MDL', {
  Next: ptr,
  Size: i16,
  MdlFlags: i16,
  Process: ptr,
  MappedSystemVa: ptr,
  StartVa: ptr,
  ByteCount: u32,
  ByteOffset: u32,
});

export const SECTION_OBJECT_POINTERS = struct('SECTION_OBJECT_POINTERS', {
  DataSectionObject: ptr,
  SharedCacheMap: ptr,
  ImageSectionObject: ptr,
});

export const IO_COMPLETION_CONTEXT = struct('IO_COMPLETION_CONTEXT', { Port: ptr, Key: ptr });

export const VPB = struct('VPB', {
  Type: i16,
  Size: i16,
  Flags: u16,
  VolumeLabelLength: u16, // bytes
  DeviceObject: ptr,
  RealDevice: ptr,
  SerialNumber: u32,
  ReferenceCount: u32,
  VolumeLabel: array(u16, 32), // MAXIMUM_VOLUME_LABEL_LENGTH / sizeof(WCHAR)
});

export const WAIT_CONTEXT_BLOCK = struct('WAIT_CONTEXT_BLOCK', {
  WaitQueueEntry: KDEVICE_QUEUE_ENTRY,
  DeviceRoutine: ptr,
  DeviceContext: ptr,
  NumberOfMapRegisters: u32,
  DeviceObject: ptr,
  CurrentIrp: ptr,
  BufferChainingDpc: ptr,
});

export const DRIVER_EXTENSION = struct('DRIVER_EXTENSION', {
  DriverObject: ptr,
  AddDevice: ptr,
  Count: u32,
  ServiceKeyName: UNICODE_STRING,
});

export const DRIVER_OBJECT = struct('DRIVER_OBJECT', {
  Type: i16,
  Size: i16,
  DeviceObject: ptr,
  Flags: u32,
  DriverStart: ptr,
  DriverSize: u32,
  DriverSection: ptr,
  DriverExtension: ptr,
  DriverName: UNICODE_STRING,
  HardwareDatabase: ptr,
  FastIoDispatch: ptr, // FAST_IO_DISPATCH is only ever reached through this pointer
  DriverInit: ptr,
  DriverStartIo: ptr,
  DriverUnload: ptr,
  MajorFunction: array(ptr, IRP_MJ_MAXIMUM_FUNCTION + 1),
});

// The WDK declares DEVICE_OBJECT DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT), which rounds its x64 size from
// 0x148 up to 0x150; mingw-w64's wdm.h leaves the alignment out.
export const DEVICE_OBJECT = struct(
  'DEVICE_OBJECT',
  {
    Type: i16,
    Size: u16,
    ReferenceCount: i32,
    DriverObject: ptr,
    NextDevice: ptr,
    AttachedDevice: ptr,
    CurrentIrp: ptr,
    Timer: ptr,
    Flags: u32,
    Characteristics: u32,
    Vpb: ptr,
    DeviceExtension: ptr,
    DeviceType: u32,
    StackSize: i8,
    Queue: union({ ListEntry: LIST_ENTRY, Wcb: WAIT_CONTEXT_BLOCK }),
    AlignmentRequirement: u32,
    DeviceQueue: KDEVICE_QUEUE,
    Dpc: KDPC,
    ActiveThreadCount: u32,
    SecurityDescriptor: ptr,
    DeviceLock: KEVENT,
    SectorSize: u16,
    Spare1: u16,
    DeviceObjectExtension: ptr,
    Reserved: ptr,
  },
  { align: MEMORY_ALLOCATION_ALIGNMENT, mingwLacksAlign: true },
);

export const FILE_OBJECT = struct('FILE_OBJECT', {
  Type: i16,
  Size: i16,
  DeviceObject: ptr,
  Vpb: ptr,
  FsContext: ptr,
  FsContext2: ptr,
  SectionObjectPointer: ptr, // PSECTION_OBJECT_POINTERS
  PrivateCacheMap: ptr,
  FinalStatus: i32,
  RelatedFileObject: ptr,
  LockOperation: u8,
  DeletePending: u8,
  ReadAccess: u8,
  WriteAccess: u8,
  DeleteAccess: u8,
  SharedRead: u8,
  SharedWrite: u8,
  SharedDelete: u8,
  Flags: u32,
  FileName: UNICODE_STRING,
  CurrentByteOffset: LARGE_INTEGER,
  Waiters: u32,
  Busy: u32,
  LastLock: ptr,
  Lock: KEVENT,
  Event: KEVENT,
  CompletionContext: ptr, // PIO_COMPLETION_CONTEXT
  IrpListLock: KSPIN_LOCK,
  IrpList: LIST_ENTRY,
  FileObjectExtension: ptr,
});

// Members marked POINTER_ALIGNMENT in wdm.h start on an 8-byte boundary on x64 only; enums are 4-byte ints.
const PA = POINTER_ALIGNMENT;
const readWrite = () =>
  struct({ Length: u32, Key: aligned(PA, u32), Flags: only('x64', u32), ByteOffset: LARGE_INTEGER });
const createLike = {
  SecurityContext: ptr,
  Options: u32,
  Reserved: aligned(PA, u16),
  ShareAccess: u16,
  Parameters: ptr,
};

// The Parameters union decides sizeof(IO_STACK_LOCATION): 0x24 on x86 (pshpack4.h caps LARGE_INTEGER at 4),
// 0x48 on x64.
export const IO_STACK_LOCATION = struct(
  'IO_STACK_LOCATION',
  {
    MajorFunction: u8,
    MinorFunction: u8,
    Flags: u8,
    Control: u8,
    Parameters: union({
      Create: struct({
        SecurityContext: ptr,
        Options: u32,
        FileAttributes: aligned(PA, u16),
        ShareAccess: u16,
        EaLength: aligned(PA, u32),
      }),
      CreatePipe: struct(createLike),
      CreateMailslot: struct(createLike),
      Read: readWrite(),
      Write: readWrite(),
      QueryDirectory: struct({
        Length: u32,
        FileName: ptr,
        FileInformationClass: i32,
        FileIndex: aligned(PA, u32),
      }),
      NotifyDirectory: struct({ Length: u32, CompletionFilter: aligned(PA, u32) }),
      NotifyDirectoryEx: struct({
        Length: u32,
        CompletionFilter: aligned(PA, u32),
        DirectoryNotifyInformationClass: aligned(PA, i32),
      }),
      QueryFile: struct({ Length: u32, FileInformationClass: aligned(PA, i32) }),
      SetFile: struct({
        Length: u32,
        FileInformationClass: aligned(PA, i32),
        FileObject: ptr,
        $u: union({
          $s: struct({ ReplaceIfExists: u8, AdvanceOnly: u8 }),
          ClusterCount: u32,
          DeleteHandle: handle,
        }),
      }),
      QueryEa: struct({ Length: u32, EaList: ptr, EaListLength: u32, EaIndex: aligned(PA, u32) }),
      SetEa: struct({ Length: u32 }),
      QueryVolume: struct({ Length: u32, FsInformationClass: aligned(PA, i32) }),
      SetVolume: struct({ Length: u32, FsInformationClass: aligned(PA, i32) }),
      FileSystemControl: struct({
        OutputBufferLength: u32,
        InputBufferLength: aligned(PA, u32),
        FsControlCode: aligned(PA, u32),
        Type3InputBuffer: ptr,
      }),
      LockControl: struct({ Length: ptr, Key: aligned(PA, u32), ByteOffset: LARGE_INTEGER }),
      DeviceIoControl: struct({
        OutputBufferLength: u32,
        InputBufferLength: aligned(PA, u32),
        IoControlCode: aligned(PA, u32),
        Type3InputBuffer: ptr,
      }),
      QuerySecurity: struct({ SecurityInformation: u32, Length: aligned(PA, u32) }),
      SetSecurity: struct({ SecurityInformation: u32, SecurityDescriptor: ptr }),
      MountVolume: struct({ Vpb: ptr, DeviceObject: ptr }),
      VerifyVolume: struct({ Vpb: ptr, DeviceObject: ptr }),
      Scsi: struct({ Srb: ptr }),
      QueryQuota: struct({ Length: u32, StartSid: ptr, SidList: ptr, SidListLength: u32 }),
      SetQuota: struct({ Length: u32 }),
      QueryDeviceRelations: struct({ Type: i32 }),
      QueryInterface: struct({
        InterfaceType: ptr,
        Size: u16,
        Version: u16,
        Interface: ptr,
        InterfaceSpecificData: ptr,
      }),
      DeviceCapabilities: struct({ Capabilities: ptr }),
      FilterResourceRequirements: struct({ IoResourceRequirementList: ptr }),
      ReadWriteConfig: struct({ WhichSpace: u32, Buffer: ptr, Offset: u32, Length: aligned(PA, u32) }),
      SetLock: struct({ Lock: u8 }),
      QueryId: struct({ IdType: i32 }),
      QueryDeviceText: struct({ DeviceTextType: i32, LocaleId: aligned(PA, u32) }),
      UsageNotification: struct({ InPath: u8, Reserved: array(u8, 3), Type: aligned(PA, i32) }),
      WaitWake: struct({ PowerState: i32 }),
      PowerSequence: struct({ PowerSequence: ptr }),
      Power: struct({
        // SYSTEM_POWER_STATE_CONTEXT is a 4-byte bit-field struct; POWER_STATE a union of two enums.
        $u: union({ SystemContext: u32, SystemPowerStateContext: u32 }),
        Type: aligned(PA, i32),
        State: aligned(PA, i32),
        ShutdownType: aligned(PA, i32),
      }),
      StartDevice: struct({ AllocatedResources: ptr, AllocatedResourcesTranslated: ptr }),
      WMI: struct({ ProviderId: usize, DataPath: ptr, BufferSize: u32, Buffer: ptr }),
      Others: struct({ Argument1: ptr, Argument2: ptr, Argument3: ptr, Argument4: ptr }),
    }),
    DeviceObject: ptr,
    FileObject: ptr,
    CompletionRoutine: ptr,
    Context: ptr,
  },
  { pack: { x86: 4 } },
);

// The WDK declares IRP DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) too (sizes are already multiples of it).
export const IRP = struct(
  'IRP',
  {
    Type: i16,
    Size: u16,
    MdlAddress: ptr,
    Flags: u32,
    AssociatedIrp: union({ MasterIrp: ptr, IrpCount: i32, SystemBuffer: ptr }),
    ThreadListEntry: LIST_ENTRY,
    IoStatus: IO_STATUS_BLOCK,
    RequestorMode: i8,
    PendingReturned: u8,
    StackCount: i8,
    CurrentLocation: i8,
    Cancel: u8,
    CancelIrql: u8,
    ApcEnvironment: i8,
    AllocationFlags: u8,
    UserIosb: ptr,
    UserEvent: ptr,
    Overlay: union({
      AsynchronousParameters: struct({
        $u: union({ UserApcRoutine: ptr, IssuingProcess: ptr }),
        UserApcContext: ptr,
      }),
      AllocationSize: LARGE_INTEGER,
    }),
    CancelRoutine: ptr,
    UserBuffer: ptr,
    Tail: union({
      Overlay: struct({
        $u: union({
          DeviceQueueEntry: KDEVICE_QUEUE_ENTRY,
          $s: struct({ DriverContext: array(ptr, 4) }),
        }),
        Thread: ptr,
        AuxiliaryBuffer: ptr,
        $s: struct({
          ListEntry: LIST_ENTRY,
          $u: union({ CurrentStackLocation: ptr, PacketType: u32 }),
        }),
        OriginalFileObject: ptr,
      }),
      Apc: KAPC,
      CompletionKey: ptr,
    }),
  },
  { align: MEMORY_ALLOCATION_ALIGNMENT, mingwLacksAlign: true },
);

// IO_REMOVE_LOCK is this common block alone in free builds (the DBG block follows it only #if DBG).
export const IO_REMOVE_LOCK_COMMON_BLOCK = struct('IO_REMOVE_LOCK_COMMON_BLOCK', {
  Removed: u8,
  Reserved: array(u8, 3),
  IoCount: i32,
  RemoveEvent: KEVENT,
});

/** IrpSp->Parameters.Create.SecurityContext: what the I/O manager knows about the open's security. */
export const IO_SECURITY_CONTEXT = struct('IO_SECURITY_CONTEXT', {
  SecurityQos: ptr, // PSECURITY_QUALITY_OF_SERVICE
  AccessState: ptr, // PACCESS_STATE
  DesiredAccess: u32,
  FullCreateOptions: u32, // every FILE_* create option, where Parameters.Create.Options keeps only the low 24 bits
});

/** A cancel-safe queue: the driver's six routines over its own list and lock. */
export const IO_CSQ = struct('IO_CSQ', {
  Type: u32, // IO_TYPE_CSQ, or IO_TYPE_CSQ_EX when CsqInsertIrp takes an insert context
  CsqInsertIrp: ptr,
  CsqRemoveIrp: ptr,
  CsqPeekNextIrp: ptr,
  CsqAcquireLock: ptr,
  CsqReleaseLock: ptr,
  CsqCompleteCanceledIrp: ptr,
  ReservePointer: ptr,
});

/** A queued IRP's link back to its queue, for IoCsqRemoveIrp. */
export const IO_CSQ_IRP_CONTEXT = struct('IO_CSQ_IRP_CONTEXT', {
  Type: u32, // IO_TYPE_CSQ_IRP_CONTEXT
  Irp: ptr,
  Csq: ptr,
});

/** IoConnectInterruptEx's parameters (wdm.h): the Version selects the member of the union. */
export const IO_CONNECT_INTERRUPT_PARAMETERS = struct('IO_CONNECT_INTERRUPT_PARAMETERS', {
  Version: u32,
  $u: union({
    FullySpecified: struct({
      PhysicalDeviceObject: ptr,
      InterruptObject: ptr,
      ServiceRoutine: ptr,
      ServiceContext: ptr,
      SpinLock: ptr,
      SynchronizeIrql: u8,
      FloatingSave: u8,
      ShareVector: u8,
      Vector: u32,
      Irql: u8,
      InterruptMode: u32,
      ProcessorEnableMask: usize,
      Group: u16,
    }),
    LineBased: struct({
      PhysicalDeviceObject: ptr,
      InterruptObject: ptr,
      ServiceRoutine: ptr,
      ServiceContext: ptr,
      SpinLock: ptr,
      SynchronizeIrql: u8,
      FloatingSave: u8,
    }),
    MessageBased: struct({
      PhysicalDeviceObject: ptr,
      ConnectionContext: ptr,
      MessageServiceRoutine: ptr,
      ServiceContext: ptr,
      SpinLock: ptr,
      SynchronizeIrql: u8,
      FloatingSave: u8,
      FallBackServiceRoutine: ptr,
    }),
  }),
});

/** IoDisconnectInterruptEx's parameters (wdm.h). */
export const IO_DISCONNECT_INTERRUPT_PARAMETERS = struct('IO_DISCONNECT_INTERRUPT_PARAMETERS', {
  Version: u32,
  ConnectionContext: ptr,
});
