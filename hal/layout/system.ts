// Layouts of the processor's control region (KPCR and its KPRCB, behind gs on x64 and fs on x86) and of
// KUSER_SHARED_DATA, the page the kernel shares read-only with every driver and process. Described where kdemu
// writes them and drivers read them inline (KeGetCurrentIrql, KeGetCurrentThread, KeQueryTickCount ...).

import { KSYSTEM_TIME } from './ke.js';
import { LARGE_INTEGER, NT_TIB } from './rtl.js';
import { array, at, i32, i64, only, ptr, struct, u16, u32, u64, u8, union, usize } from './struct.js';

/**
 * The start of Windows 10's KPRCB: the current, next and idle threads and the processor number. No mingw-w64
 * header declares it (ntddk.h only names `struct _KPRCB`), so these are Windows' offsets, checked by the
 * known-offset tests (KeGetCurrentThread is gs:[0x188] on x64, fs:[0x124] on x86).
 */
export const KPRCB = struct(
  'KPRCB',
  {
    $x64: only('x64', struct({ MxCsr: u32, LegacyNumber: u8, ReservedMustBeZero: u8, InterruptRequest: u8, IdleHalt: u8 })),
    $x86: only('x86', struct({ MinorVersion: u16, MajorVersion: u16 })),
    CurrentThread: ptr,
    NextThread: ptr,
    IdleThread: ptr,
    $x64b: only('x64', struct({ NestingLevel: u8, ClockOwner: u8, PendingTickFlags: u8, IdleState: u8, Number: u32 })),
    $x86b: only('x86', struct({ LegacyNumber: u8, NestingLevel: u8, BuildType: u16 })),
  },
  { mingw: { headers: 'none' } },
);

/**
 * The KPCR as ntddk.h declares it for each architecture, up to Irql, then the KPRCB it embeds: PrcbData at 0x120
 * on x86, Prcb at 0x180 on x64. mingw-w64's KPCR stops before them (its x86 one at HalReserved, 0xd0 bytes).
 */
export const KPCR = struct(
  'KPCR',
  {
    $tib: union({
      NtTib: NT_TIB,
      $x86: only('x86', struct({
        Used_ExceptionList: ptr,
        Used_StackBase: ptr,
        Spare2: ptr,
        TssCopy: ptr,
        ContextSwitches: u32,
        SetMemberCopy: usize, // KAFFINITY
        Used_Self: ptr,
      })),
      $x64: only('x64', struct({
        GdtBase: ptr,
        TssBase: ptr,
        UserRsp: u64,
        Self: ptr, // KeGetPcr(): gs:[0x18]
        CurrentPrcb: ptr,
        LockArray: ptr,
        Used_Self: ptr,
      })),
    }),
    $x86: only('x86', struct({ SelfPcr: ptr, Prcb: ptr, Irql: u8 })),
    $x64: only('x64', struct({ IdtBase: ptr, Unused: array(u64, 2), Irql: u8 })),
    PrcbData: only('x86', at(0x120, KPRCB)),
    $prcb: only('x64', at(0x180, struct({ Prcb: KPRCB }))),
  },
  { mingw: { partial: true, undeclared: { x86: ['PrcbData'], x64: ['Prcb'] } } },
);

/**
 * Windows 10's KUSER_SHARED_DATA (build 19045), described up to ActiveProcessorCount. mingw-w64's ntddk.h declares
 * the Windows 7 layout: the same offsets for what kdemu writes, but some fields under older or Reserved names
 * (`at`) and a few Windows 10 fields in its padding.
 */
export const KUSER_SHARED_DATA = struct(
  'KUSER_SHARED_DATA',
  {
    TickCountLowDeprecated: u32,
    TickCountMultiplier: u32, // ticks to ms, as a 8.24 fixed-point factor
    InterruptTime: KSYSTEM_TIME,
    SystemTime: KSYSTEM_TIME,
    TimeZoneBias: KSYSTEM_TIME,
    ImageNumberLow: u16,
    ImageNumberHigh: u16,
    NtSystemRoot: array(u16, 260),
    MaxStackTraceDepth: u32,
    CryptoExponent: u32,
    TimeZoneId: u32,
    LargePageMinimum: u32,
    AitSamplingValue: u32,
    AppCompatFlag: u32,
    RNGSeedVersion: u64,
    GlobalValidationRunlevel: u32,
    TimeZoneBiasStamp: i32,
    NtBuildNumber: u32,
    NtProductType: i32, // NT_PRODUCT_TYPE
    ProductTypeIsValid: u8,
    Reserved0: array(u8, 1),
    NativeProcessorArchitecture: u16,
    NtMajorVersion: u32,
    NtMinorVersion: u32,
    ProcessorFeatures: array(u8, 64), // PROCESSOR_FEATURE_MAX
    Reserved1: u32,
    Reserved3: u32,
    TimeSlip: u32,
    AlternativeArchitecture: i32,
    BootId: u32,
    SystemExpirationDate: LARGE_INTEGER,
    SuiteMask: u32,
    KdDebuggerEnabled: u8,
    MitigationPolicies: u8,
    CyclesPerYield: u16,
    ActiveConsoleId: u32,
    DismountCount: u32,
    ComPlusPackage: u32,
    LastSystemRITEventTickCount: u32,
    NumberOfPhysicalPages: u32,
    SafeBootMode: u8,
    VirtualizationFlags: u8,
    Reserved12: array(u8, 2),
    SharedDataFlags: u32,
    DataFlagsPad: array(u32, 1),
    TestRetInstruction: u64,
    QpcFrequency: i64,
    SystemCall: u32,
    Reserved2: u32,
    SystemCallPad: array(u64, 2),
    $tick: union({
      TickCount: KSYSTEM_TIME,
      TickCountQuad: u64,
      $s: struct({ ReservedTickCountOverlay: array(u32, 3), TickCountPad: array(u32, 1) }),
    }),
    Cookie: u32,
    CookiePad: array(u32, 1),
    ConsoleSessionForegroundProcessId: i64,
    TimeUpdateLock: u64,
    BaselineSystemTimeQpc: u64,
    BaselineInterruptTimeQpc: u64,
    QpcSystemTimeIncrement: u64,
    QpcInterruptTimeIncrement: u64,
    QpcSystemTimeIncrementShift: u8,
    QpcInterruptTimeIncrementShift: u8,
    UnparkedProcessorCount: u16,
    EnclaveFeatureMask: array(u32, 4),
    TelemetryCoverageRound: u32,
    UserModeGlobalLogger: array(u16, 16),
    ImageFileExecutionOptions: u32,
    LangGenerationCount: u32,
    Reserved4: u64,
    InterruptTimeBias: u64,
    QpcBias: u64,
    ActiveProcessorCount: u32,
  },
  {
    mingw: {
      partial: true,
      at: {
        NtBuildNumber: 'Reserved2[6]',
        BootId: 'AltArchitecturePad[0]',
        MitigationPolicies: 'NXSupportPolicy',
        VirtualizationFlags: 'TscQpcData',
        Reserved12: 'TscQpcPad',
        Reserved4: 'Reserved5',
        QpcBias: 'TscQpcBias',
      },
      // Windows 7's Reserved2[7], SystemCall/SystemCallReturn/SystemCallPad[3] and Wow64SharedInformation[16]
      // spans, laid out anew by Windows 10; the declared members after each span pin it.
      reserved: [
        'AitSamplingValue', 'AppCompatFlag', 'RNGSeedVersion', 'GlobalValidationRunlevel', 'TimeZoneBiasStamp',
        'QpcFrequency', 'SystemCall', 'Reserved2', 'SystemCallPad', 'TimeUpdateLock', 'BaselineSystemTimeQpc',
        'BaselineInterruptTimeQpc', 'QpcSystemTimeIncrement', 'QpcInterruptTimeIncrement',
        'QpcSystemTimeIncrementShift', 'QpcInterruptTimeIncrementShift', 'UnparkedProcessorCount',
        'EnclaveFeatureMask', 'TelemetryCoverageRound',
      ],
      // Padding in the Windows 7 declaration.
      undeclared: ['Reserved0', 'NativeProcessorArchitecture', 'CyclesPerYield'],
    },
  },
);
