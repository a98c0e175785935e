// Layouts of the user-mode structures kdemu builds for a client program: PEB, TEB, process parameters, the
// critical section, and msvcrt's FILE. mingw-w64 declares them in the user-mode headers (winternl.h, winnt.h,
// stdio.h); winternl.h covers most PEB/TEB/parameters fields with Reserved arrays, so each field kdemu writes is
// located there by its real Windows offset (`mingw.at`).

import { CLIENT_ID, LARGE_INTEGER, LIST_ENTRY, NT_TIB, STRING, UNICODE_STRING } from './rtl.js';
import { array, at, handle, i32, only, ptr, struct, u16, u32, u8, union, usize, type MingwView } from './struct.js';

/** Windows 10's PEB (build 19045), described up to SessionId, the last member winternl.h names. */
export const PEB = struct(
  'PEB',
  {
    InheritedAddressSpace: u8,
    ReadImageFileExecOptions: u8,
    BeingDebugged: u8,
    BitField: u8, // ImageUsesLargePages:1, IsProtectedProcess:1 ...
    Mutant: handle,
    ImageBaseAddress: ptr,
    Ldr: ptr, // PPEB_LDR_DATA
    ProcessParameters: ptr, // PRTL_USER_PROCESS_PARAMETERS
    SubSystemData: ptr,
    ProcessHeap: ptr,
    FastPebLock: ptr, // PRTL_CRITICAL_SECTION
    AtlThunkSListPtr: ptr,
    IFEOKey: ptr,
    CrossProcessFlags: u32, // ProcessInJob:1, ProcessInitializing:1 ...
    $cb: union({ KernelCallbackTable: ptr, UserSharedInfoPtr: ptr }),
    SystemReserved: u32,
    AtlThunkSListPtr32: u32,
    ApiSetMap: ptr,
    TlsExpansionCounter: u32,
    TlsBitmap: ptr,
    TlsBitmapBits: array(u32, 2),
    ReadOnlySharedMemoryBase: ptr,
    SharedData: ptr,
    ReadOnlyStaticServerData: ptr,
    AnsiCodePageData: ptr,
    OemCodePageData: ptr,
    UnicodeCaseTableData: ptr,
    NumberOfProcessors: u32,
    NtGlobalFlag: u32,
    CriticalSectionTimeout: LARGE_INTEGER,
    HeapSegmentReserve: usize,
    HeapSegmentCommit: usize,
    HeapDeCommitTotalFreeThreshold: usize,
    HeapDeCommitFreeBlockThreshold: usize,
    NumberOfHeaps: u32,
    MaximumNumberOfHeaps: u32,
    ProcessHeaps: ptr,
    GdiSharedHandleTable: ptr,
    ProcessStarterHelper: ptr,
    GdiDCAttributeList: u32,
    LoaderLock: ptr, // PRTL_CRITICAL_SECTION
    OSMajorVersion: u32,
    OSMinorVersion: u32,
    OSBuildNumber: u16,
    OSCSDVersion: u16,
    OSPlatformId: u32,
    ImageSubsystem: u32,
    ImageSubsystemMajorVersion: u32,
    ImageSubsystemMinorVersion: u32,
    ActiveProcessAffinityMask: usize,
    // ULONG GdiHandleBuffer[GDI_HANDLE_BUFFER_SIZE]: 34 entries on x86, 60 on x64.
    GdiHandleBuffer: union({ $x86: only('x86', array(u32, 34)), $x64: only('x64', array(u32, 60)) }),
    PostProcessInitRoutine: ptr,
    TlsExpansionBitmap: ptr,
    TlsExpansionBitmapBits: array(u32, 32),
    SessionId: u32,
  },
  {
    size: { x86: 0x480, x64: 0x7c8 },
    mingw: {
      headers: 'sdk',
      partial: true,
      at: {
        InheritedAddressSpace: 'Reserved1[0]',
        ReadImageFileExecOptions: 'Reserved1[1]',
        BitField: 'Reserved2[0]',
        Mutant: 'Reserved3[0]',
        ImageBaseAddress: 'Reserved3[1]',
        SubSystemData: 'Reserved4[0]',
        ProcessHeap: 'Reserved4[1]',
        FastPebLock: 'Reserved4[2]',
        IFEOKey: 'Reserved5',
        CrossProcessFlags: 'Reserved6',
        KernelCallbackTable: 'Reserved7',
        UserSharedInfoPtr: 'Reserved7',
        SystemReserved: 'Reserved8',
        ApiSetMap: 'Reserved9[0]',
        // The fields kdemu writes, at their Windows offsets inside Reserved9 (PVOID[45]).
        NumberOfProcessors: { x86: 'Reserved9[11]', x64: 'Reserved9[10]' },
        OSMajorVersion: { x86: 'Reserved9[27]', x64: 'Reserved9[22]' },
        OSMinorVersion: { x86: 'Reserved9[28]', x64: 'Reserved9[22]+4' },
        OSBuildNumber: { x86: 'Reserved9[29]', x64: 'Reserved9[23]' },
        OSPlatformId: { x86: 'Reserved9[30]', x64: 'Reserved9[23]+4' },
        TlsExpansionBitmap: 'Reserved11[0]',
      },
      reserved: [
        'TlsExpansionCounter', 'TlsBitmap', 'TlsBitmapBits', 'ReadOnlySharedMemoryBase', 'SharedData',
        'ReadOnlyStaticServerData', 'AnsiCodePageData', 'OemCodePageData', 'UnicodeCaseTableData', 'NtGlobalFlag',
        'CriticalSectionTimeout', 'HeapSegmentReserve', 'HeapSegmentCommit', 'HeapDeCommitTotalFreeThreshold',
        'HeapDeCommitFreeBlockThreshold', 'NumberOfHeaps', 'MaximumNumberOfHeaps', 'ProcessHeaps',
        'GdiSharedHandleTable', 'ProcessStarterHelper', 'GdiDCAttributeList', 'LoaderLock', 'OSCSDVersion',
        'ImageSubsystem', 'ImageSubsystemMajorVersion', 'ImageSubsystemMinorVersion', 'ActiveProcessAffinityMask',
        'GdiHandleBuffer', // straddles Reserved9 and Reserved10
        'TlsExpansionBitmapBits',
      ],
    } satisfies MingwView,
  },
);

/**
 * Windows 10's TEB, described where kdemu and the C runtimes use it: the NT_TIB (fs:/gs: reads of Self and the
 * stack bounds), the ids, the TLS pointers, the PEB and the last error. The TLS slot arrays sit at their Windows
 * offsets, past members kdemu leaves zero.
 */
export const TEB = struct(
  'TEB',
  {
    NtTib: NT_TIB,
    EnvironmentPointer: ptr,
    ClientId: CLIENT_ID,
    ActiveRpcHandle: ptr,
    ThreadLocalStoragePointer: ptr,
    ProcessEnvironmentBlock: ptr,
    LastErrorValue: u32,
    CountOfOwnedCriticalSections: u32,
    TlsSlots: at({ x86: 0xe10, x64: 0x1480 }, array(ptr, 64)),
    TlsExpansionSlots: at({ x86: 0xf94, x64: 0x1780 }, ptr),
  },
  {
    size: { x86: 0xfe8, x64: 0x1838 },
    mingw: {
      headers: 'sdk',
      partial: true,
      at: {
        NtTib: 'Reserved1[0]',
        EnvironmentPointer: 'Reserved1[7]',
        ClientId: 'Reserved1[8]',
        ActiveRpcHandle: 'Reserved1[10]',
        ThreadLocalStoragePointer: 'Reserved1[11]',
        LastErrorValue: 'Reserved2[0]',
        CountOfOwnedCriticalSections: { x86: 'Reserved2[1]', x64: 'Reserved2[0]+4' },
      },
    } satisfies MingwView,
  },
);

/** CURDIR: a current directory, as the process parameters keep it. */
const CURDIR = struct({ DosPath: UNICODE_STRING, Handle: handle });

/** RTL_DRIVE_LETTER_CURDIR: a per-drive current directory. */
const RTL_DRIVE_LETTER_CURDIR = struct({ Flags: u16, Length: u16, TimeStamp: u32, DosPath: STRING });

/** Windows 10's RTL_USER_PROCESS_PARAMETERS (build 19045): the command line, image path and standard handles. */
export const RTL_USER_PROCESS_PARAMETERS = struct(
  'RTL_USER_PROCESS_PARAMETERS',
  {
    MaximumLength: u32,
    Length: u32,
    Flags: u32, // RTL_USER_PROC_PARAMS_NORMALIZED: the strings hold pointers, not offsets
    DebugFlags: u32,
    ConsoleHandle: handle,
    ConsoleFlags: u32,
    StandardInput: handle,
    StandardOutput: handle,
    StandardError: handle,
    CurrentDirectory: CURDIR,
    DllPath: UNICODE_STRING,
    ImagePathName: UNICODE_STRING,
    CommandLine: UNICODE_STRING,
    Environment: ptr,
    StartingX: u32,
    StartingY: u32,
    CountX: u32,
    CountY: u32,
    CountCharsX: u32,
    CountCharsY: u32,
    FillAttribute: u32,
    WindowFlags: u32,
    ShowWindowFlags: u32,
    WindowTitle: UNICODE_STRING,
    DesktopInfo: UNICODE_STRING,
    ShellInfo: UNICODE_STRING,
    RuntimeData: UNICODE_STRING,
    CurrentDirectories: array(RTL_DRIVE_LETTER_CURDIR, 32), // RTL_MAX_DRIVE_LETTERS
    EnvironmentSize: usize,
    EnvironmentVersion: usize,
    PackageDependencyData: ptr,
    ProcessGroupId: u32,
    LoaderThreads: u32,
    RedirectionDllName: UNICODE_STRING,
    HeapPartitionName: UNICODE_STRING,
    DefaultThreadpoolCpuSetMasks: usize,
    DefaultThreadpoolCpuSetMaskCount: u32,
    DefaultThreadpoolThreadMaximum: u32,
  },
  {
    mingw: {
      headers: 'sdk',
      partial: true,
      at: {
        MaximumLength: 'Reserved1[0]',
        Length: 'Reserved1[4]',
        Flags: 'Reserved1[8]',
        DebugFlags: 'Reserved1[12]',
        ConsoleHandle: 'Reserved2[0]',
        ConsoleFlags: 'Reserved2[1]',
        StandardInput: 'Reserved2[2]',
        StandardOutput: 'Reserved2[3]',
        StandardError: 'Reserved2[4]',
        CurrentDirectory: 'Reserved2[5]',
        DllPath: 'Reserved2[8]',
      },
      // winternl.h's declaration ends with CommandLine.
      undeclared: [
        'Environment', 'StartingX', 'StartingY', 'CountX', 'CountY', 'CountCharsX', 'CountCharsY', 'FillAttribute',
        'WindowFlags', 'ShowWindowFlags', 'WindowTitle', 'DesktopInfo', 'ShellInfo', 'RuntimeData',
        'CurrentDirectories', 'EnvironmentSize', 'EnvironmentVersion', 'PackageDependencyData', 'ProcessGroupId',
        'LoaderThreads', 'RedirectionDllName', 'HeapPartitionName', 'DefaultThreadpoolCpuSetMasks',
        'DefaultThreadpoolCpuSetMaskCount', 'DefaultThreadpoolThreadMaximum',
      ],
    } satisfies MingwView,
  },
);

/** winnt.h's RTL_CRITICAL_SECTION (CRITICAL_SECTION): 24 bytes on x86, 40 on x64. */
export const RTL_CRITICAL_SECTION = struct(
  'RTL_CRITICAL_SECTION',
  {
    DebugInfo: ptr, // PRTL_CRITICAL_SECTION_DEBUG
    LockCount: i32,
    RecursionCount: i32,
    OwningThread: handle,
    LockSemaphore: handle,
    SpinCount: usize,
  },
  { mingw: { headers: 'sdk' } },
);

/**
 * msvcrt's FILE (struct _iobuf), which programs built against msvcrt.dll index through _iob / __iob_func. The
 * UCRT's FILE is opaque (its programs only hold pointers from __acrt_iob_func), so only this one is described.
 */
export const FILE = struct(
  'FILE',
  {
    _ptr: ptr,
    _cnt: i32,
    _base: ptr,
    _flag: i32,
    _file: i32,
    _charbuf: i32,
    _bufsiz: i32,
    _tmpfname: ptr,
  },
  { mingw: { headers: 'sdk' } },
);
