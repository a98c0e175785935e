/* kdemu's minimal KMDF header for mingw-w64 (C): the framework's types, structures, INIT helpers and the inline
 * wrappers that call through the function table, written from the documented WDF prototypes. A KMDF driver includes
 * this, compiles samples/include/kmdf/stub.c next to its own sources (the client side of binding), links libwdfldr.a
 * and uses FxDriverEntry as its entry point.
 *
 * KMDF_VERSION_MINOR (default 15) selects the framework version bound to and with it the table's size and shape:
 * 1.15 and later clients get a pointer to the framework's table, older ones an array the framework copies into.
 * WDFFUNCENUM is generated from hal/wdf/table.ts by scripts/gen-wdf-enum.mjs, which also checks the wrappers'
 * version guards against it. */
#ifndef KDEMU_KMDF_WDF_H
#define KDEMU_KMDF_WDF_H

#include <ntddk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version --------------------------------------------------------------------------------------------------- */

#define KMDF_VERSION_MAJOR 1
#ifndef KMDF_VERSION_MINOR
#define KMDF_VERSION_MINOR 15
#endif

/* The table's name and entry count per minor version (the counts are the framework's, fixed per release). */
#if KMDF_VERSION_MINOR == 0
#define WdfFunctions WdfFunctions_01000
#define WDF_FUNCTION_COUNT 383
#elif KMDF_VERSION_MINOR == 1
#define WdfFunctions WdfFunctions_01001
#define WDF_FUNCTION_COUNT 386
#elif KMDF_VERSION_MINOR == 5
#define WdfFunctions WdfFunctions_01005
#define WDF_FUNCTION_COUNT 387
#elif KMDF_VERSION_MINOR == 7
#define WdfFunctions WdfFunctions_01007
#define WDF_FUNCTION_COUNT 387
#elif KMDF_VERSION_MINOR == 9
#define WdfFunctions WdfFunctions_01009
#define WDF_FUNCTION_COUNT 396
#elif KMDF_VERSION_MINOR == 11
#define WdfFunctions WdfFunctions_01011
#define WDF_FUNCTION_COUNT 432
#elif KMDF_VERSION_MINOR == 13
#define WdfFunctions WdfFunctions_01013
#define WDF_FUNCTION_COUNT 438
#elif KMDF_VERSION_MINOR == 15
#define WdfFunctions WdfFunctions_01015
#define WDF_FUNCTION_COUNT 444
#elif KMDF_VERSION_MINOR == 17
#define WdfFunctions WdfFunctions_01017
#define WDF_FUNCTION_COUNT 444
#elif KMDF_VERSION_MINOR == 19
#define WdfFunctions WdfFunctions_01019
#define WDF_FUNCTION_COUNT 446
#elif KMDF_VERSION_MINOR == 21
#define WdfFunctions WdfFunctions_01021
#define WDF_FUNCTION_COUNT 448
#elif KMDF_VERSION_MINOR == 23
#define WdfFunctions WdfFunctions_01023
#define WDF_FUNCTION_COUNT 451
#elif KMDF_VERSION_MINOR == 25
#define WdfFunctions WdfFunctions_01025
#define WDF_FUNCTION_COUNT 453
#elif KMDF_VERSION_MINOR == 27
#define WdfFunctions WdfFunctions_01027
#define WDF_FUNCTION_COUNT 454
#elif KMDF_VERSION_MINOR == 29
#define WdfFunctions WdfFunctions_01029
#define WDF_FUNCTION_COUNT 454
#elif KMDF_VERSION_MINOR == 31
#define WdfFunctions WdfFunctions_01031
#define WDF_FUNCTION_COUNT 457
#elif KMDF_VERSION_MINOR == 33
#define WdfFunctions WdfFunctions_01033
#define WDF_FUNCTION_COUNT 458
#else
#error "KMDF_VERSION_MINOR must name a released KMDF 1.x version (0 1 5 7 9 11 13 15 ... 33)"
#endif

/* 1.15 and later bind through a pointer the framework sets; older versions get their entries copied in. */
#if KMDF_VERSION_MINOR >= 15
#define WDF_FUNCTION_TABLE_IS_POINTER 1
#else
#define WDF_FUNCTION_TABLE_IS_POINTER 0
#endif

/* ---- Basic types and handles ----------------------------------------------------------------------------------- */

#if defined(__i386__)
#define WDFFASTCALL __attribute__((fastcall))
#else
#define WDFFASTCALL
#endif

#define WDF_DECLARE_HANDLE(name) typedef struct name##__ { int unused; } *name
/* WDFOBJECT is untyped so that any framework handle converts to it, as with the WDK. */
typedef HANDLE WDFOBJECT, *PWDFOBJECT;
WDF_DECLARE_HANDLE(WDFDRIVER);
WDF_DECLARE_HANDLE(WDFDEVICE);
WDF_DECLARE_HANDLE(WDFQUEUE);
WDF_DECLARE_HANDLE(WDFREQUEST);
WDF_DECLARE_HANDLE(WDFMEMORY);
WDF_DECLARE_HANDLE(WDFSPINLOCK);
WDF_DECLARE_HANDLE(WDFWAITLOCK);
WDF_DECLARE_HANDLE(WDFTIMER);
WDF_DECLARE_HANDLE(WDFWORKITEM);
WDF_DECLARE_HANDLE(WDFDPC);
WDF_DECLARE_HANDLE(WDFKEY);
WDF_DECLARE_HANDLE(WDFSTRING);
WDF_DECLARE_HANDLE(WDFCOLLECTION);
WDF_DECLARE_HANDLE(WDFFILEOBJECT);
WDF_DECLARE_HANDLE(WDFIOTARGET);
WDF_DECLARE_HANDLE(WDFLOOKASIDE);
/* WMI objects: declared so drivers that provide WMI data compile; the framework's WdfWmi* entries are not offered. */
WDF_DECLARE_HANDLE(WDFWMIPROVIDER);
WDF_DECLARE_HANDLE(WDFWMIINSTANCE);
WDF_DECLARE_HANDLE(WDFCMRESLIST);
WDF_DECLARE_HANDLE(WDFIORESLIST);
WDF_DECLARE_HANDLE(WDFIORESREQLIST);
typedef PVOID WDFCONTEXT;
typedef struct WDFDEVICE_INIT *PWDFDEVICE_INIT;
typedef VOID (*WDFFUNC)(VOID);
typedef PVOID WDF_COMPONENT_GLOBALS, *PWDF_COMPONENT_GLOBALS;

#define WDF_NO_HANDLE NULL
#define WDF_NO_OBJECT_ATTRIBUTES NULL
#define WDF_NO_CONTEXT NULL
#define WDF_NO_SEND_OPTIONS NULL
#define WDF_NO_EVENT_CALLBACK NULL
#define WDF_DRIVER_GLOBALS_NAME_LEN 32

/* The framework's own status codes (facility 0x20, FACILITY_DRIVER_FRAMEWORK); mingw-w64's ntstatus.h has none. */
#ifndef STATUS_WDF_QUEUED
#define STATUS_WDF_QUEUED ((NTSTATUS)0x40200000L)
#endif
#ifndef STATUS_WDF_POSTED
#define STATUS_WDF_POSTED ((NTSTATUS)0x40200002L)
#endif
#ifndef STATUS_WDF_NO_PACKAGE
#define STATUS_WDF_NO_PACKAGE ((NTSTATUS)0xC0200200L)
#endif
#ifndef STATUS_WDF_INTERNAL_ERROR
#define STATUS_WDF_INTERNAL_ERROR ((NTSTATUS)0xC0200201L)
#endif
#ifndef STATUS_WDF_PAUSED
#define STATUS_WDF_PAUSED ((NTSTATUS)0xC0200203L)
#endif
#ifndef STATUS_WDF_BUSY
#define STATUS_WDF_BUSY ((NTSTATUS)0xC0200204L)
#endif
#ifndef STATUS_WDF_IO_TIMEOUT_NOT_SENT
#define STATUS_WDF_IO_TIMEOUT_NOT_SENT ((NTSTATUS)0xC0200205L)
#endif
#ifndef STATUS_WDF_REQUEST_ALREADY_PENDING
#define STATUS_WDF_REQUEST_ALREADY_PENDING ((NTSTATUS)0xC0200207L)
#endif
#ifndef STATUS_WDF_REQUEST_INVALID_STATE
#define STATUS_WDF_REQUEST_INVALID_STATE ((NTSTATUS)0xC0200209L)
#endif
#ifndef STATUS_WDF_TOO_FRAGMENTED
#define STATUS_WDF_TOO_FRAGMENTED ((NTSTATUS)0xC020020AL)
#endif
#ifndef STATUS_WDF_NO_CALLBACK
#define STATUS_WDF_NO_CALLBACK ((NTSTATUS)0xC020020BL)
#endif
#ifndef STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL
#define STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL ((NTSTATUS)0xC020020CL)
#endif
#ifndef STATUS_WDF_PARENT_ALREADY_ASSIGNED
#define STATUS_WDF_PARENT_ALREADY_ASSIGNED ((NTSTATUS)0xC020020DL)
#endif
#ifndef STATUS_WDF_PARENT_IS_SELF
#define STATUS_WDF_PARENT_IS_SELF ((NTSTATUS)0xC020020EL)
#endif
#ifndef STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED
#define STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED ((NTSTATUS)0xC020020FL)
#endif
#ifndef STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID
#define STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID ((NTSTATUS)0xC0200210L)
#endif
#ifndef STATUS_WDF_EXECUTION_LEVEL_INVALID
#define STATUS_WDF_EXECUTION_LEVEL_INVALID ((NTSTATUS)0xC0200211L)
#endif
#ifndef STATUS_WDF_PARENT_NOT_SPECIFIED
#define STATUS_WDF_PARENT_NOT_SPECIFIED ((NTSTATUS)0xC0200212L)
#endif

/* The security descriptors WdfControlDeviceInitAllocate / WdfDeviceInitAssignSDDLString take (wdmsec.h strings). */
#define SDDL_DEVOBJ_KERNEL_ONLY_STRING L"D:P"
#define SDDL_DEVOBJ_SYS_ALL_STRING L"D:P(A;;GA;;;SY)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_ALL_STRING L"D:P(A;;GA;;;SY)(A;;GA;;;BA)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R_STRING L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGW;;;WD)(A;;GR;;;RC)"
/* Static so that every source file of a driver may include this header; unused ones cost nothing. */
#define WDF_SDDL_CONST(name, text) \
    static const WCHAR name##_buffer[] __attribute__((unused)) = text; \
    static const UNICODE_STRING name __attribute__((unused)) = { sizeof(text) - sizeof(WCHAR), sizeof(text), (PWCH)name##_buffer }
WDF_SDDL_CONST(SDDL_DEVOBJ_KERNEL_ONLY, SDDL_DEVOBJ_KERNEL_ONLY_STRING);
WDF_SDDL_CONST(SDDL_DEVOBJ_SYS_ALL, SDDL_DEVOBJ_SYS_ALL_STRING);
WDF_SDDL_CONST(SDDL_DEVOBJ_SYS_ALL_ADM_ALL, SDDL_DEVOBJ_SYS_ALL_ADM_ALL_STRING);
WDF_SDDL_CONST(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R_STRING);

/* ---- Enumerations ---------------------------------------------------------------------------------------------- */

typedef enum _WDF_TRI_STATE { WdfFalse = 0, WdfTrue = 1, WdfUseDefault = 2 } WDF_TRI_STATE, *PWDF_TRI_STATE;

typedef enum _WDF_EXECUTION_LEVEL {
    WdfExecutionLevelInvalid = 0, WdfExecutionLevelInheritFromParent, WdfExecutionLevelPassive, WdfExecutionLevelDispatch
} WDF_EXECUTION_LEVEL;

typedef enum _WDF_SYNCHRONIZATION_SCOPE {
    WdfSynchronizationScopeInvalid = 0, WdfSynchronizationScopeInheritFromParent, WdfSynchronizationScopeDevice,
    WdfSynchronizationScopeQueue, WdfSynchronizationScopeNone
} WDF_SYNCHRONIZATION_SCOPE;

typedef enum _WDF_IO_QUEUE_DISPATCH_TYPE {
    WdfIoQueueDispatchInvalid = 0, WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel, WdfIoQueueDispatchManual,
    WdfIoQueueDispatchMax
} WDF_IO_QUEUE_DISPATCH_TYPE;

typedef enum _WDF_IO_QUEUE_STATE {
    WdfIoQueueAcceptRequests = 0x01, WdfIoQueueDispatchRequests = 0x02, WdfIoQueueNoRequests = 0x04,
    WdfIoQueueDriverNoRequests = 0x08, WdfIoQueuePnpHeld = 0x10
} WDF_IO_QUEUE_STATE;

typedef enum _WDF_DEVICE_IO_TYPE {
    WdfDeviceIoUndefined = 0, WdfDeviceIoNeither, WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoBufferedOrDirect = 4,
    WdfDeviceIoMaximum
} WDF_DEVICE_IO_TYPE, *PWDF_DEVICE_IO_TYPE;

typedef enum _WDF_FILEOBJECT_CLASS {
    WdfFileObjectInvalid = 0, WdfFileObjectNotRequired = 1, WdfFileObjectWdfCanUseFsContext = 2,
    WdfFileObjectWdfCanUseFsContext2 = 3, WdfFileObjectWdfCannotUseFsContexts = 4,
    WdfFileObjectCanBeOptional = 0x80000000
} WDF_FILEOBJECT_CLASS, *PWDF_FILEOBJECT_CLASS;

typedef enum _WDF_POWER_DEVICE_STATE {
    WdfPowerDeviceInvalid = 0, WdfPowerDeviceD0, WdfPowerDeviceD1, WdfPowerDeviceD2, WdfPowerDeviceD3,
    WdfPowerDeviceD3Final, WdfPowerDevicePrepareForHibernation, WdfPowerDeviceMaximum
} WDF_POWER_DEVICE_STATE, *PWDF_POWER_DEVICE_STATE;

typedef enum _WDF_DRIVER_INIT_FLAGS {
    WdfDriverInitNonPnpDriver = 0x1, WdfDriverInitNoDispatchOverride = 0x2, WdfVerifyOn = 0x4, WdfVerifierOn = 0x8
} WDF_DRIVER_INIT_FLAGS;

/* The request types are the IRP major function codes. */
typedef enum _WDF_REQUEST_TYPE {
    WdfRequestTypeCreate = 0x0, WdfRequestTypeCreateNamedPipe = 0x1, WdfRequestTypeClose = 0x2,
    WdfRequestTypeRead = 0x3, WdfRequestTypeWrite = 0x4, WdfRequestTypeQueryInformation = 0x5,
    WdfRequestTypeSetInformation = 0x6, WdfRequestTypeQueryEA = 0x7, WdfRequestTypeSetEA = 0x8,
    WdfRequestTypeFlushBuffers = 0x9, WdfRequestTypeQueryVolumeInformation = 0xa,
    WdfRequestTypeSetVolumeInformation = 0xb, WdfRequestTypeDirectoryControl = 0xc,
    WdfRequestTypeFileSystemControl = 0xd, WdfRequestTypeDeviceControl = 0xe,
    WdfRequestTypeDeviceControlInternal = 0xf, WdfRequestTypeShutdown = 0x10, WdfRequestTypeLockControl = 0x11,
    WdfRequestTypeCleanup = 0x12, WdfRequestTypeCreateMailSlot = 0x13, WdfRequestTypeQuerySecurity = 0x14,
    WdfRequestTypeSetSecurity = 0x15, WdfRequestTypePower = 0x16, WdfRequestTypeSystemControl = 0x17,
    WdfRequestTypeDeviceChange = 0x18, WdfRequestTypeQueryQuota = 0x19, WdfRequestTypeSetQuota = 0x1a,
    WdfRequestTypePnp = 0x1b, WdfRequestTypeOther = 0x1c, WdfRequestTypeUsb = 0x40, WdfRequestTypeNoFormat = 0xff,
    WdfRequestTypeMax
} WDF_REQUEST_TYPE;

typedef enum _WDF_REQUEST_SEND_OPTIONS_FLAGS {
    WDF_REQUEST_SEND_OPTION_IGNORE_TARGET_STATE = 0x1, WDF_REQUEST_SEND_OPTION_TIMEOUT = 0x2,
    WDF_REQUEST_SEND_OPTION_SYNCHRONOUS = 0x4, WDF_REQUEST_SEND_OPTION_SEND_AND_FORGET = 0x8
} WDF_REQUEST_SEND_OPTIONS_FLAGS;

typedef enum _WDF_REQUEST_REUSE_FLAGS { WDF_REQUEST_REUSE_NO_FLAGS = 0, WDF_REQUEST_REUSE_SET_NEW_IRP = 1 } WDF_REQUEST_REUSE_FLAGS;

typedef enum _WDF_MEMORY_DESCRIPTOR_TYPE {
    WdfMemoryDescriptorTypeInvalid = 0, WdfMemoryDescriptorTypeBuffer, WdfMemoryDescriptorTypeMdl,
    WdfMemoryDescriptorTypeHandle
} WDF_MEMORY_DESCRIPTOR_TYPE;

typedef enum _WDF_IO_TARGET_OPEN_TYPE {
    WdfIoTargetOpenUndefined = 0, WdfIoTargetOpenUseExistingDevice = 1, WdfIoTargetOpenByName = 2,
    WdfIoTargetOpenReopen = 3, WdfIoTargetOpenLocalTargetByFile = 4
} WDF_IO_TARGET_OPEN_TYPE;

typedef enum _WDF_IO_TARGET_STATE {
    WdfIoTargetStateUndefined = 0, WdfIoTargetStarted, WdfIoTargetStopped, WdfIoTargetClosedForQueryRemove,
    WdfIoTargetClosed, WdfIoTargetDeleted
} WDF_IO_TARGET_STATE, *PWDF_IO_TARGET_STATE;

typedef enum _WDF_IO_TARGET_SENT_IO_ACTION {
    WdfIoTargetSentIoUndefined = 0, WdfIoTargetCancelSentIo, WdfIoTargetWaitForSentIoToComplete,
    WdfIoTargetLeaveSentIoPending
} WDF_IO_TARGET_SENT_IO_ACTION;

typedef enum _WDF_SPECIAL_FILE_TYPE {
    WdfSpecialFileUndefined = 0, WdfSpecialFilePaging = 1, WdfSpecialFileHibernation, WdfSpecialFileDump,
    WdfSpecialFileBoot, WdfSpecialFilePostDisplay, WdfSpecialFileGuestAssigned, WdfSpecialFileMax
} WDF_SPECIAL_FILE_TYPE, *PWDF_SPECIAL_FILE_TYPE;

typedef enum _WDF_DEVICE_FAILED_ACTION {
    WdfDeviceFailedUndefined = 0, WdfDeviceFailedAttemptRestart, WdfDeviceFailedNoRestart
} WDF_DEVICE_FAILED_ACTION;

/* EvtIoStop's ActionFlags. */
#define WdfRequestStopActionInvalid 0
#define WdfRequestStopActionSuspend 1
#define WdfRequestStopActionPurge 2
#define WdfRequestStopRequestCancelable 0x10000000

/* WdfDeviceOpenRegistryKey / WdfFdoInitOpenRegistryKey key types beyond PLUGPLAY_REGKEY_*. */
#define WDF_REGKEY_DEVICE_SUBKEY 0x00000008
#define WDF_REGKEY_DRIVER_SUBKEY 0x00000010

/* Upper-case spellings of the I/O types WdfDeviceInitSetIoType takes. */
#define WDF_DEVICE_IO_BUFFERED WdfDeviceIoBuffered
#define WDF_DEVICE_IO_DIRECT WdfDeviceIoDirect
#define WDF_DEVICE_IO_NEITHER WdfDeviceIoNeither

/* ---- Callback types (all NTAPI, as the WDK compiles them) ------------------------------------------------------ */

typedef struct _WDF_REQUEST_COMPLETION_PARAMS *PWDF_REQUEST_COMPLETION_PARAMS;

typedef NTSTATUS NTAPI EVT_WDF_DRIVER_DEVICE_ADD(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD *PFN_WDF_DRIVER_DEVICE_ADD;
typedef VOID NTAPI EVT_WDF_DRIVER_UNLOAD(WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD *PFN_WDF_DRIVER_UNLOAD;
typedef VOID NTAPI EVT_WDF_OBJECT_CONTEXT_CLEANUP(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP *PFN_WDF_OBJECT_CONTEXT_CLEANUP;
typedef VOID NTAPI EVT_WDF_OBJECT_CONTEXT_DESTROY(WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY *PFN_WDF_OBJECT_CONTEXT_DESTROY;
/* The per-type names drivers give their cleanup and destroy callbacks (the same function type). */
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_DEVICE_CONTEXT_CLEANUP;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_DEVICE_CONTEXT_DESTROY;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_IO_QUEUE_CONTEXT_CLEANUP_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_IO_QUEUE_CONTEXT_DESTROY_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP EVT_WDF_FILE_CONTEXT_CLEANUP_CALLBACK;
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY EVT_WDF_FILE_CONTEXT_DESTROY_CALLBACK;

typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_DEFAULT(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_DEFAULT *PFN_WDF_IO_QUEUE_IO_DEFAULT;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_READ(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_READ *PFN_WDF_IO_QUEUE_IO_READ;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_WRITE(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
typedef EVT_WDF_IO_QUEUE_IO_WRITE *PFN_WDF_IO_QUEUE_IO_WRITE;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
    size_t InputBufferLength, ULONG IoControlCode);
typedef EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL *PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL(WDFQUEUE Queue, WDFREQUEST Request,
    size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode);
typedef EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL *PFN_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_STOP(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags);
typedef EVT_WDF_IO_QUEUE_IO_STOP *PFN_WDF_IO_QUEUE_IO_STOP;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_RESUME(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_RESUME *PFN_WDF_IO_QUEUE_IO_RESUME;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE(WDFQUEUE Queue, WDFREQUEST Request);
typedef EVT_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE *PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE;
typedef VOID NTAPI EVT_WDF_IO_QUEUE_STATE(WDFQUEUE Queue, WDFCONTEXT Context);
typedef EVT_WDF_IO_QUEUE_STATE *PFN_WDF_IO_QUEUE_STATE;
typedef VOID NTAPI EVT_WDF_IO_IN_CALLER_CONTEXT(WDFDEVICE Device, WDFREQUEST Request);
typedef EVT_WDF_IO_IN_CALLER_CONTEXT *PFN_WDF_IO_IN_CALLER_CONTEXT;
typedef VOID NTAPI EVT_WDF_REQUEST_CANCEL(WDFREQUEST Request);
typedef EVT_WDF_REQUEST_CANCEL *PFN_WDF_REQUEST_CANCEL;
typedef VOID NTAPI EVT_WDF_REQUEST_COMPLETION_ROUTINE(WDFREQUEST Request, WDFIOTARGET Target,
    PWDF_REQUEST_COMPLETION_PARAMS Params, WDFCONTEXT Context);
typedef EVT_WDF_REQUEST_COMPLETION_ROUTINE *PFN_WDF_REQUEST_COMPLETION_ROUTINE;

typedef VOID NTAPI EVT_WDF_DEVICE_FILE_CREATE(WDFDEVICE Device, WDFREQUEST Request, WDFFILEOBJECT FileObject);
typedef EVT_WDF_DEVICE_FILE_CREATE *PFN_WDF_DEVICE_FILE_CREATE;
typedef VOID NTAPI EVT_WDF_FILE_CLOSE(WDFFILEOBJECT FileObject);
typedef EVT_WDF_FILE_CLOSE *PFN_WDF_FILE_CLOSE;
typedef VOID NTAPI EVT_WDF_FILE_CLEANUP(WDFFILEOBJECT FileObject);
typedef EVT_WDF_FILE_CLEANUP *PFN_WDF_FILE_CLEANUP;

typedef NTSTATUS NTAPI EVT_WDF_DEVICE_D0_ENTRY(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState);
typedef EVT_WDF_DEVICE_D0_ENTRY *PFN_WDF_DEVICE_D0_ENTRY;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState);
typedef EVT_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED *PFN_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_D0_EXIT(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState);
typedef EVT_WDF_DEVICE_D0_EXIT *PFN_WDF_DEVICE_D0_EXIT;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState);
typedef EVT_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED *PFN_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_PREPARE_HARDWARE(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
    WDFCMRESLIST ResourcesTranslated);
typedef EVT_WDF_DEVICE_PREPARE_HARDWARE *PFN_WDF_DEVICE_PREPARE_HARDWARE;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_RELEASE_HARDWARE(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated);
typedef EVT_WDF_DEVICE_RELEASE_HARDWARE *PFN_WDF_DEVICE_RELEASE_HARDWARE;
typedef VOID NTAPI EVT_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP *PFN_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP;
typedef VOID NTAPI EVT_WDF_DEVICE_SELF_MANAGED_IO_FLUSH(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_FLUSH *PFN_WDF_DEVICE_SELF_MANAGED_IO_FLUSH;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_SELF_MANAGED_IO_INIT(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_INIT *PFN_WDF_DEVICE_SELF_MANAGED_IO_INIT;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND *PFN_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_SELF_MANAGED_IO_RESTART(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SELF_MANAGED_IO_RESTART *PFN_WDF_DEVICE_SELF_MANAGED_IO_RESTART;
typedef VOID NTAPI EVT_WDF_DEVICE_SURPRISE_REMOVAL(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SURPRISE_REMOVAL *PFN_WDF_DEVICE_SURPRISE_REMOVAL;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_QUERY_REMOVE(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_QUERY_REMOVE *PFN_WDF_DEVICE_QUERY_REMOVE;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_QUERY_STOP(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_QUERY_STOP *PFN_WDF_DEVICE_QUERY_STOP;
typedef VOID NTAPI EVT_WDF_DEVICE_USAGE_NOTIFICATION(WDFDEVICE Device, WDF_SPECIAL_FILE_TYPE NotificationType,
    BOOLEAN IsInNotificationPath);
typedef EVT_WDF_DEVICE_USAGE_NOTIFICATION *PFN_WDF_DEVICE_USAGE_NOTIFICATION;
typedef VOID NTAPI EVT_WDF_DEVICE_RELATIONS_QUERY(WDFDEVICE Device, DEVICE_RELATION_TYPE RelationType);
typedef EVT_WDF_DEVICE_RELATIONS_QUERY *PFN_WDF_DEVICE_RELATIONS_QUERY;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_USAGE_NOTIFICATION_EX(WDFDEVICE Device, WDF_SPECIAL_FILE_TYPE NotificationType,
    BOOLEAN IsInNotificationPath);
typedef EVT_WDF_DEVICE_USAGE_NOTIFICATION_EX *PFN_WDF_DEVICE_USAGE_NOTIFICATION_EX;

typedef NTSTATUS NTAPI EVT_WDF_DEVICE_ARM_WAKE_FROM_S0(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_ARM_WAKE_FROM_S0 *PFN_WDF_DEVICE_ARM_WAKE_FROM_S0;
typedef VOID NTAPI EVT_WDF_DEVICE_DISARM_WAKE_FROM_S0(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_DISARM_WAKE_FROM_S0 *PFN_WDF_DEVICE_DISARM_WAKE_FROM_S0;
typedef VOID NTAPI EVT_WDF_DEVICE_WAKE_FROM_S0_TRIGGERED(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_WAKE_FROM_S0_TRIGGERED *PFN_WDF_DEVICE_WAKE_FROM_S0_TRIGGERED;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_ARM_WAKE_FROM_SX(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_ARM_WAKE_FROM_SX *PFN_WDF_DEVICE_ARM_WAKE_FROM_SX;
typedef VOID NTAPI EVT_WDF_DEVICE_DISARM_WAKE_FROM_SX(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_DISARM_WAKE_FROM_SX *PFN_WDF_DEVICE_DISARM_WAKE_FROM_SX;
typedef VOID NTAPI EVT_WDF_DEVICE_WAKE_FROM_SX_TRIGGERED(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_WAKE_FROM_SX_TRIGGERED *PFN_WDF_DEVICE_WAKE_FROM_SX_TRIGGERED;
typedef NTSTATUS NTAPI EVT_WDF_DEVICE_ARM_WAKE_FROM_SX_WITH_REASON(WDFDEVICE Device, BOOLEAN DeviceWakeEnabled,
    BOOLEAN ChildrenArmedForWake);
typedef EVT_WDF_DEVICE_ARM_WAKE_FROM_SX_WITH_REASON *PFN_WDF_DEVICE_ARM_WAKE_FROM_SX_WITH_REASON;

typedef VOID NTAPI EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION(WDFDEVICE Device);
typedef EVT_WDF_DEVICE_SHUTDOWN_NOTIFICATION *PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION;
/* WdfControlDeviceInitSetShutdownNotification's Flags. */
#define WdfDeviceShutdown 0x01
#define WdfDeviceLastChanceShutdown 0x02

typedef NTSTATUS NTAPI EVT_WDFDEVICE_WDM_IRP_PREPROCESS(WDFDEVICE Device, PIRP Irp);
typedef EVT_WDFDEVICE_WDM_IRP_PREPROCESS *PFN_WDFDEVICE_WDM_IRP_PREPROCESS;

typedef VOID NTAPI EVT_WDF_TIMER(WDFTIMER Timer);
typedef EVT_WDF_TIMER *PFN_WDF_TIMER;
typedef VOID NTAPI EVT_WDF_WORKITEM(WDFWORKITEM WorkItem);
typedef EVT_WDF_WORKITEM *PFN_WDF_WORKITEM;
typedef VOID NTAPI EVT_WDF_DPC(WDFDPC Dpc);
typedef EVT_WDF_DPC *PFN_WDF_DPC;

typedef NTSTATUS NTAPI EVT_WDF_IO_TARGET_QUERY_REMOVE(WDFIOTARGET IoTarget);
typedef EVT_WDF_IO_TARGET_QUERY_REMOVE *PFN_WDF_IO_TARGET_QUERY_REMOVE;
typedef VOID NTAPI EVT_WDF_IO_TARGET_REMOVE_CANCELED(WDFIOTARGET IoTarget);
typedef EVT_WDF_IO_TARGET_REMOVE_CANCELED *PFN_WDF_IO_TARGET_REMOVE_CANCELED;
typedef VOID NTAPI EVT_WDF_IO_TARGET_REMOVE_COMPLETE(WDFIOTARGET IoTarget);
typedef EVT_WDF_IO_TARGET_REMOVE_COMPLETE *PFN_WDF_IO_TARGET_REMOVE_COMPLETE;

typedef NTSTATUS NTAPI EVT_WDF_TRACE_CALLBACK(UCHAR ActionCode, PVOID DataPath, ULONG BufferLength, PVOID Buffer,
    PVOID Context, PULONG Size);
typedef EVT_WDF_TRACE_CALLBACK *PFN_WDF_TRACE_CALLBACK;

/* ---- Structures and their INIT helpers ------------------------------------------------------------------------- */

typedef struct _WDF_DRIVER_GLOBALS {
    WDFDRIVER Driver;
    ULONG DriverFlags;
    ULONG DriverTag;
    CHAR DriverName[WDF_DRIVER_GLOBALS_NAME_LEN];
    BOOLEAN DisplaceDriverUnload;
} WDF_DRIVER_GLOBALS, *PWDF_DRIVER_GLOBALS;

typedef struct _WDF_VERSION {
    ULONG Major;
    ULONG Minor;
    ULONG Build;
} WDF_VERSION, *PWDF_VERSION;

typedef struct _WDF_BIND_INFO {
    ULONG Size;
    PWCHAR Component;
    WDF_VERSION Version;
    ULONG FuncCount;
    PVOID FuncTable;
    PVOID Module;
} WDF_BIND_INFO, *PWDF_BIND_INFO;

typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO WDF_OBJECT_CONTEXT_TYPE_INFO, *PWDF_OBJECT_CONTEXT_TYPE_INFO;
typedef const WDF_OBJECT_CONTEXT_TYPE_INFO *PCWDF_OBJECT_CONTEXT_TYPE_INFO;
struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
    ULONG Size;
    LPCSTR ContextName;
    size_t ContextSize;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType;
    PVOID EvtDriverGetUniqueContextType;
};

typedef struct _WDF_OBJECT_ATTRIBUTES {
    ULONG Size;
    PFN_WDF_OBJECT_CONTEXT_CLEANUP EvtCleanupCallback;
    PFN_WDF_OBJECT_CONTEXT_DESTROY EvtDestroyCallback;
    WDF_EXECUTION_LEVEL ExecutionLevel;
    WDF_SYNCHRONIZATION_SCOPE SynchronizationScope;
    WDFOBJECT ParentObject;
    size_t ContextSizeOverride;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextTypeInfo;
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;

static __inline VOID WDF_OBJECT_ATTRIBUTES_INIT(PWDF_OBJECT_ATTRIBUTES Attributes)
{
    RtlZeroMemory(Attributes, sizeof(WDF_OBJECT_ATTRIBUTES));
    Attributes->Size = sizeof(WDF_OBJECT_ATTRIBUTES);
    Attributes->ExecutionLevel = WdfExecutionLevelInheritFromParent;
    Attributes->SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
}

typedef struct _WDF_DRIVER_CONFIG {
    ULONG Size;
    PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;
    PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;
    ULONG DriverInitFlags;
    ULONG DriverPoolTag;
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

static __inline VOID WDF_DRIVER_CONFIG_INIT(PWDF_DRIVER_CONFIG Config, PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd)
{
    RtlZeroMemory(Config, sizeof(WDF_DRIVER_CONFIG));
    Config->Size = sizeof(WDF_DRIVER_CONFIG);
    Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

typedef struct _WDF_DRIVER_VERSION_AVAILABLE_PARAMS {
    ULONG Size;
    ULONG MajorVersion;
    ULONG MinorVersion;
} WDF_DRIVER_VERSION_AVAILABLE_PARAMS, *PWDF_DRIVER_VERSION_AVAILABLE_PARAMS;

static __inline VOID WDF_DRIVER_VERSION_AVAILABLE_PARAMS_INIT(PWDF_DRIVER_VERSION_AVAILABLE_PARAMS Params,
    ULONG MajorVersion, ULONG MinorVersion)
{
    RtlZeroMemory(Params, sizeof(WDF_DRIVER_VERSION_AVAILABLE_PARAMS));
    Params->Size = sizeof(WDF_DRIVER_VERSION_AVAILABLE_PARAMS);
    Params->MajorVersion = MajorVersion;
    Params->MinorVersion = MinorVersion;
}

typedef struct _WDF_IO_QUEUE_CONFIG {
    ULONG Size;
    WDF_IO_QUEUE_DISPATCH_TYPE DispatchType;
    WDF_TRI_STATE PowerManaged;
    BOOLEAN AllowZeroLengthRequests;
    BOOLEAN DefaultQueue;
    PFN_WDF_IO_QUEUE_IO_DEFAULT EvtIoDefault;
    PFN_WDF_IO_QUEUE_IO_READ EvtIoRead;
    PFN_WDF_IO_QUEUE_IO_WRITE EvtIoWrite;
    PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoDeviceControl;
    PFN_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL EvtIoInternalDeviceControl;
    PFN_WDF_IO_QUEUE_IO_STOP EvtIoStop;
    PFN_WDF_IO_QUEUE_IO_RESUME EvtIoResume;
    PFN_WDF_IO_QUEUE_IO_CANCELED_ON_QUEUE EvtIoCanceledOnQueue;
    union {
        struct {
            ULONG NumberOfPresentedRequests;
        } Parallel;
    } Settings;
    WDFDRIVER Driver;
} WDF_IO_QUEUE_CONFIG, *PWDF_IO_QUEUE_CONFIG;

static __inline VOID WDF_IO_QUEUE_CONFIG_INIT(PWDF_IO_QUEUE_CONFIG Config, WDF_IO_QUEUE_DISPATCH_TYPE DispatchType)
{
    RtlZeroMemory(Config, sizeof(WDF_IO_QUEUE_CONFIG));
    Config->Size = sizeof(WDF_IO_QUEUE_CONFIG);
    Config->PowerManaged = WdfUseDefault;
    Config->DispatchType = DispatchType;
    if (DispatchType == WdfIoQueueDispatchParallel)
        Config->Settings.Parallel.NumberOfPresentedRequests = (ULONG)-1;  /* no limit */
}

static __inline VOID WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(PWDF_IO_QUEUE_CONFIG Config,
    WDF_IO_QUEUE_DISPATCH_TYPE DispatchType)
{
    WDF_IO_QUEUE_CONFIG_INIT(Config, DispatchType);
    Config->DefaultQueue = TRUE;
}

/* The queue state tests of wdfio.h. */
static __inline BOOLEAN WDF_IO_QUEUE_IDLE(WDF_IO_QUEUE_STATE State)
{ return (State & WdfIoQueueNoRequests) && (State & WdfIoQueueDriverNoRequests); }
static __inline BOOLEAN WDF_IO_QUEUE_READY(WDF_IO_QUEUE_STATE State)
{ return (State & WdfIoQueueDispatchRequests) && (State & WdfIoQueueAcceptRequests); }
static __inline BOOLEAN WDF_IO_QUEUE_STOPPED(WDF_IO_QUEUE_STATE State)
{ return !(State & WdfIoQueueDispatchRequests) && (State & WdfIoQueueAcceptRequests) && (State & WdfIoQueueDriverNoRequests); }
static __inline BOOLEAN WDF_IO_QUEUE_DRAINED(WDF_IO_QUEUE_STATE State)
{ return !(State & WdfIoQueueAcceptRequests) && (State & WdfIoQueueDispatchRequests) && WDF_IO_QUEUE_IDLE(State); }
static __inline BOOLEAN WDF_IO_QUEUE_PURGED(WDF_IO_QUEUE_STATE State)
{ return !(State & WdfIoQueueAcceptRequests) && !(State & WdfIoQueueDispatchRequests) && WDF_IO_QUEUE_IDLE(State); }

typedef struct _WDF_FILEOBJECT_CONFIG {
    ULONG Size;
    PFN_WDF_DEVICE_FILE_CREATE EvtDeviceFileCreate;
    PFN_WDF_FILE_CLOSE EvtFileClose;
    PFN_WDF_FILE_CLEANUP EvtFileCleanup;
    WDF_TRI_STATE AutoForwardCleanupClose;
    WDF_FILEOBJECT_CLASS FileObjectClass;
} WDF_FILEOBJECT_CONFIG, *PWDF_FILEOBJECT_CONFIG;

static __inline VOID WDF_FILEOBJECT_CONFIG_INIT(PWDF_FILEOBJECT_CONFIG FileEventCallbacks,
    PFN_WDF_DEVICE_FILE_CREATE EvtDeviceFileCreate, PFN_WDF_FILE_CLOSE EvtFileClose, PFN_WDF_FILE_CLEANUP EvtFileCleanup)
{
    RtlZeroMemory(FileEventCallbacks, sizeof(WDF_FILEOBJECT_CONFIG));
    FileEventCallbacks->Size = sizeof(WDF_FILEOBJECT_CONFIG);
    FileEventCallbacks->EvtDeviceFileCreate = EvtDeviceFileCreate;
    FileEventCallbacks->EvtFileClose = EvtFileClose;
    FileEventCallbacks->EvtFileCleanup = EvtFileCleanup;
    FileEventCallbacks->FileObjectClass = WdfFileObjectWdfCannotUseFsContexts;
    FileEventCallbacks->AutoForwardCleanupClose = WdfUseDefault;
}

typedef struct _WDF_PNPPOWER_EVENT_CALLBACKS {
    ULONG Size;
    PFN_WDF_DEVICE_D0_ENTRY EvtDeviceD0Entry;
    PFN_WDF_DEVICE_D0_ENTRY_POST_INTERRUPTS_ENABLED EvtDeviceD0EntryPostInterruptsEnabled;
    PFN_WDF_DEVICE_D0_EXIT EvtDeviceD0Exit;
    PFN_WDF_DEVICE_D0_EXIT_PRE_INTERRUPTS_DISABLED EvtDeviceD0ExitPreInterruptsDisabled;
    PFN_WDF_DEVICE_PREPARE_HARDWARE EvtDevicePrepareHardware;
    PFN_WDF_DEVICE_RELEASE_HARDWARE EvtDeviceReleaseHardware;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_CLEANUP EvtDeviceSelfManagedIoCleanup;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_FLUSH EvtDeviceSelfManagedIoFlush;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_INIT EvtDeviceSelfManagedIoInit;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_SUSPEND EvtDeviceSelfManagedIoSuspend;
    PFN_WDF_DEVICE_SELF_MANAGED_IO_RESTART EvtDeviceSelfManagedIoRestart;
    PFN_WDF_DEVICE_SURPRISE_REMOVAL EvtDeviceSurpriseRemoval;
    PFN_WDF_DEVICE_QUERY_REMOVE EvtDeviceQueryRemove;
    PFN_WDF_DEVICE_QUERY_STOP EvtDeviceQueryStop;
    PFN_WDF_DEVICE_USAGE_NOTIFICATION EvtDeviceUsageNotification;
    PFN_WDF_DEVICE_RELATIONS_QUERY EvtDeviceRelationsQuery;
    PFN_WDF_DEVICE_USAGE_NOTIFICATION_EX EvtDeviceUsageNotificationEx;
} WDF_PNPPOWER_EVENT_CALLBACKS, *PWDF_PNPPOWER_EVENT_CALLBACKS;

static __inline VOID WDF_PNPPOWER_EVENT_CALLBACKS_INIT(PWDF_PNPPOWER_EVENT_CALLBACKS Callbacks)
{
    RtlZeroMemory(Callbacks, sizeof(WDF_PNPPOWER_EVENT_CALLBACKS));
    Callbacks->Size = sizeof(WDF_PNPPOWER_EVENT_CALLBACKS);
}

typedef struct _WDF_POWER_POLICY_EVENT_CALLBACKS {
    ULONG Size;
    PFN_WDF_DEVICE_ARM_WAKE_FROM_S0 EvtDeviceArmWakeFromS0;
    PFN_WDF_DEVICE_DISARM_WAKE_FROM_S0 EvtDeviceDisarmWakeFromS0;
    PFN_WDF_DEVICE_WAKE_FROM_S0_TRIGGERED EvtDeviceWakeFromS0Triggered;
    PFN_WDF_DEVICE_ARM_WAKE_FROM_SX EvtDeviceArmWakeFromSx;
    PFN_WDF_DEVICE_DISARM_WAKE_FROM_SX EvtDeviceDisarmWakeFromSx;
    PFN_WDF_DEVICE_WAKE_FROM_SX_TRIGGERED EvtDeviceWakeFromSxTriggered;
    PFN_WDF_DEVICE_ARM_WAKE_FROM_SX_WITH_REASON EvtDeviceArmWakeFromSxWithReason;
} WDF_POWER_POLICY_EVENT_CALLBACKS, *PWDF_POWER_POLICY_EVENT_CALLBACKS;

static __inline VOID WDF_POWER_POLICY_EVENT_CALLBACKS_INIT(PWDF_POWER_POLICY_EVENT_CALLBACKS Callbacks)
{
    RtlZeroMemory(Callbacks, sizeof(WDF_POWER_POLICY_EVENT_CALLBACKS));
    Callbacks->Size = sizeof(WDF_POWER_POLICY_EVENT_CALLBACKS);
}

typedef struct _WDF_IO_TYPE_CONFIG {
    ULONG Size;
    WDF_DEVICE_IO_TYPE ReadWriteIoType;
    WDF_DEVICE_IO_TYPE DeviceControlIoType;
    ULONG DirectTransferThreshold;
} WDF_IO_TYPE_CONFIG, *PWDF_IO_TYPE_CONFIG;

static __inline VOID WDF_IO_TYPE_CONFIG_INIT(PWDF_IO_TYPE_CONFIG IoTypeConfig)
{
    RtlZeroMemory(IoTypeConfig, sizeof(WDF_IO_TYPE_CONFIG));
    IoTypeConfig->Size = sizeof(WDF_IO_TYPE_CONFIG);
    IoTypeConfig->ReadWriteIoType = WdfDeviceIoBuffered;
    IoTypeConfig->DeviceControlIoType = WdfDeviceIoBuffered;
}

typedef struct _WDF_TIMER_CONFIG {
    ULONG Size;
    PFN_WDF_TIMER EvtTimerFunc;
    ULONG Period;
    BOOLEAN AutomaticSerialization;
    ULONG TolerableDelay;
    BOOLEAN UseHighResolutionTimer;
} WDF_TIMER_CONFIG, *PWDF_TIMER_CONFIG;

#define TolerableDelayUnlimited ((ULONG)-1)

static __inline VOID WDF_TIMER_CONFIG_INIT(PWDF_TIMER_CONFIG Config, PFN_WDF_TIMER EvtTimerFunc)
{
    RtlZeroMemory(Config, sizeof(WDF_TIMER_CONFIG));
    Config->Size = sizeof(WDF_TIMER_CONFIG);
    Config->EvtTimerFunc = EvtTimerFunc;
    Config->Period = 0;
    Config->AutomaticSerialization = TRUE;
    Config->TolerableDelay = 0;
}

static __inline VOID WDF_TIMER_CONFIG_INIT_PERIODIC(PWDF_TIMER_CONFIG Config, PFN_WDF_TIMER EvtTimerFunc, LONG Period)
{
    WDF_TIMER_CONFIG_INIT(Config, EvtTimerFunc);
    Config->Period = (ULONG)Period;
}

typedef struct _WDF_WORKITEM_CONFIG {
    ULONG Size;
    PFN_WDF_WORKITEM EvtWorkItemFunc;
    BOOLEAN AutomaticSerialization;
} WDF_WORKITEM_CONFIG, *PWDF_WORKITEM_CONFIG;

static __inline VOID WDF_WORKITEM_CONFIG_INIT(PWDF_WORKITEM_CONFIG Config, PFN_WDF_WORKITEM EvtWorkItemFunc)
{
    RtlZeroMemory(Config, sizeof(WDF_WORKITEM_CONFIG));
    Config->Size = sizeof(WDF_WORKITEM_CONFIG);
    Config->EvtWorkItemFunc = EvtWorkItemFunc;
    Config->AutomaticSerialization = TRUE;
}

typedef struct _WDF_DPC_CONFIG {
    ULONG Size;
    PFN_WDF_DPC EvtDpcFunc;
    BOOLEAN AutomaticSerialization;
} WDF_DPC_CONFIG, *PWDF_DPC_CONFIG;

static __inline VOID WDF_DPC_CONFIG_INIT(PWDF_DPC_CONFIG Config, PFN_WDF_DPC EvtDpcFunc)
{
    RtlZeroMemory(Config, sizeof(WDF_DPC_CONFIG));
    Config->Size = sizeof(WDF_DPC_CONFIG);
    Config->EvtDpcFunc = EvtDpcFunc;
    Config->AutomaticSerialization = TRUE;
}

typedef struct _WDF_REQUEST_PARAMETERS {
    USHORT Size;
    UCHAR MinorFunction;
    WDF_REQUEST_TYPE Type;
    union {
        struct {
            PIO_SECURITY_CONTEXT SecurityContext;
            ULONG Options;
            USHORT POINTER_ALIGNMENT FileAttributes;
            USHORT ShareAccess;
            ULONG POINTER_ALIGNMENT EaLength;
        } Create;
        struct {
            size_t Length;
            ULONG POINTER_ALIGNMENT Key;
            LONGLONG DeviceOffset;
        } Read;
        struct {
            size_t Length;
            ULONG POINTER_ALIGNMENT Key;
            LONGLONG DeviceOffset;
        } Write;
        struct {
            size_t OutputBufferLength;
            size_t POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
        struct {
            PVOID Arg1;
            PVOID Arg2;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID Arg4;
        } Others;
    } Parameters;
} WDF_REQUEST_PARAMETERS, *PWDF_REQUEST_PARAMETERS;

static __inline VOID WDF_REQUEST_PARAMETERS_INIT(PWDF_REQUEST_PARAMETERS Parameters)
{
    RtlZeroMemory(Parameters, sizeof(WDF_REQUEST_PARAMETERS));
    Parameters->Size = sizeof(WDF_REQUEST_PARAMETERS);
}

typedef struct _WDF_REQUEST_SEND_OPTIONS {
    ULONG Size;
    ULONG Flags;
    LONGLONG Timeout;
} WDF_REQUEST_SEND_OPTIONS, *PWDF_REQUEST_SEND_OPTIONS;

static __inline VOID WDF_REQUEST_SEND_OPTIONS_INIT(PWDF_REQUEST_SEND_OPTIONS Options, ULONG Flags)
{
    RtlZeroMemory(Options, sizeof(WDF_REQUEST_SEND_OPTIONS));
    Options->Size = sizeof(WDF_REQUEST_SEND_OPTIONS);
    Options->Flags = Flags;
}

static __inline VOID WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(PWDF_REQUEST_SEND_OPTIONS Options, LONGLONG Timeout)
{
    Options->Flags |= WDF_REQUEST_SEND_OPTION_TIMEOUT;
    Options->Timeout = Timeout;
}

typedef struct _WDFMEMORY_OFFSET {
    size_t BufferOffset;
    size_t BufferLength;
} WDFMEMORY_OFFSET, *PWDFMEMORY_OFFSET;

typedef struct _WDF_MEMORY_DESCRIPTOR {
    WDF_MEMORY_DESCRIPTOR_TYPE Type;
    union {
        struct {
            PVOID Buffer;
            ULONG Length;
        } BufferType;
        struct {
            PMDL Mdl;
            ULONG BufferLength;
        } MdlType;
        struct {
            WDFMEMORY Memory;
            PWDFMEMORY_OFFSET Offsets;
        } HandleType;
    } u;
} WDF_MEMORY_DESCRIPTOR, *PWDF_MEMORY_DESCRIPTOR;

static __inline VOID WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(PWDF_MEMORY_DESCRIPTOR Descriptor, PVOID Buffer, ULONG BufferLength)
{
    RtlZeroMemory(Descriptor, sizeof(WDF_MEMORY_DESCRIPTOR));
    Descriptor->Type = WdfMemoryDescriptorTypeBuffer;
    Descriptor->u.BufferType.Buffer = Buffer;
    Descriptor->u.BufferType.Length = BufferLength;
}

static __inline VOID WDF_MEMORY_DESCRIPTOR_INIT_MDL(PWDF_MEMORY_DESCRIPTOR Descriptor, PMDL Mdl, ULONG BufferLength)
{
    RtlZeroMemory(Descriptor, sizeof(WDF_MEMORY_DESCRIPTOR));
    Descriptor->Type = WdfMemoryDescriptorTypeMdl;
    Descriptor->u.MdlType.Mdl = Mdl;
    Descriptor->u.MdlType.BufferLength = BufferLength;
}

static __inline VOID WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(PWDF_MEMORY_DESCRIPTOR Descriptor, WDFMEMORY Memory,
    PWDFMEMORY_OFFSET Offsets)
{
    RtlZeroMemory(Descriptor, sizeof(WDF_MEMORY_DESCRIPTOR));
    Descriptor->Type = WdfMemoryDescriptorTypeHandle;
    Descriptor->u.HandleType.Memory = Memory;
    Descriptor->u.HandleType.Offsets = Offsets;
}

typedef struct _WDF_REQUEST_COMPLETION_PARAMS {
    ULONG Size;
    WDF_REQUEST_TYPE Type;
    IO_STATUS_BLOCK IoStatus;
    union {
        struct {
            WDFMEMORY Buffer;
            size_t Length;
            size_t Offset;
        } Write;
        struct {
            WDFMEMORY Buffer;
            size_t Length;
            size_t Offset;
        } Read;
        struct {
            ULONG IoControlCode;
            struct {
                WDFMEMORY Buffer;
                size_t Offset;
            } Input;
            struct {
                WDFMEMORY Buffer;
                size_t Offset;
                size_t Length;
            } Output;
        } Ioctl;
        struct {
            union {
                PVOID Ptr;
                ULONG_PTR Value;
            } Argument1;
            union {
                PVOID Ptr;
                ULONG_PTR Value;
            } Argument2;
            union {
                PVOID Ptr;
                ULONG_PTR Value;
            } Argument3;
            union {
                PVOID Ptr;
                ULONG_PTR Value;
            } Argument4;
        } Others;
    } Parameters;
} WDF_REQUEST_COMPLETION_PARAMS;

static __inline VOID WDF_REQUEST_COMPLETION_PARAMS_INIT(PWDF_REQUEST_COMPLETION_PARAMS Params)
{
    RtlZeroMemory(Params, sizeof(WDF_REQUEST_COMPLETION_PARAMS));
    Params->Size = sizeof(WDF_REQUEST_COMPLETION_PARAMS);
    Params->Type = WdfRequestTypeNoFormat;
}

typedef struct _WDF_REQUEST_REUSE_PARAMS {
    ULONG Size;
    ULONG Flags;
    NTSTATUS Status;
    PIRP NewIrp;
} WDF_REQUEST_REUSE_PARAMS, *PWDF_REQUEST_REUSE_PARAMS;

static __inline VOID WDF_REQUEST_REUSE_PARAMS_INIT(PWDF_REQUEST_REUSE_PARAMS Params, ULONG Flags, NTSTATUS Status)
{
    RtlZeroMemory(Params, sizeof(WDF_REQUEST_REUSE_PARAMS));
    Params->Size = sizeof(WDF_REQUEST_REUSE_PARAMS);
    Params->Flags = Flags;
    Params->Status = Status;
}

static __inline VOID WDF_REQUEST_REUSE_PARAMS_SET_NEW_IRP(PWDF_REQUEST_REUSE_PARAMS Params, PIRP NewIrp)
{
    Params->Flags |= WDF_REQUEST_REUSE_SET_NEW_IRP;
    Params->NewIrp = NewIrp;
}

typedef struct _WDF_IO_TARGET_OPEN_PARAMS {
    ULONG Size;
    WDF_IO_TARGET_OPEN_TYPE Type;
    PFN_WDF_IO_TARGET_QUERY_REMOVE EvtIoTargetQueryRemove;
    PFN_WDF_IO_TARGET_REMOVE_CANCELED EvtIoTargetRemoveCanceled;
    PFN_WDF_IO_TARGET_REMOVE_COMPLETE EvtIoTargetRemoveComplete;
    PDEVICE_OBJECT TargetDeviceObject;
    PFILE_OBJECT TargetFileObject;
    UNICODE_STRING TargetDeviceName;
    ACCESS_MASK DesiredAccess;
    ULONG ShareAccess;
    ULONG FileAttributes;
    ULONG CreateDisposition;
    ULONG CreateOptions;
    PVOID EaBuffer;
    ULONG EaBufferLength;
    PLONGLONG AllocationSize;
    ULONG FileInformation;
} WDF_IO_TARGET_OPEN_PARAMS, *PWDF_IO_TARGET_OPEN_PARAMS;

static __inline VOID WDF_IO_TARGET_OPEN_PARAMS_INIT_EXISTING_DEVICE(PWDF_IO_TARGET_OPEN_PARAMS Params,
    PDEVICE_OBJECT DeviceObject)
{
    RtlZeroMemory(Params, sizeof(WDF_IO_TARGET_OPEN_PARAMS));
    Params->Size = sizeof(WDF_IO_TARGET_OPEN_PARAMS);
    Params->Type = WdfIoTargetOpenUseExistingDevice;
    Params->TargetDeviceObject = DeviceObject;
}

static __inline VOID WDF_IO_TARGET_OPEN_PARAMS_INIT_CREATE_BY_NAME(PWDF_IO_TARGET_OPEN_PARAMS Params,
    PCUNICODE_STRING TargetDeviceName, ACCESS_MASK DesiredAccess)
{
    RtlZeroMemory(Params, sizeof(WDF_IO_TARGET_OPEN_PARAMS));
    Params->Size = sizeof(WDF_IO_TARGET_OPEN_PARAMS);
    Params->Type = WdfIoTargetOpenByName;
    RtlCopyMemory(&Params->TargetDeviceName, TargetDeviceName, sizeof(UNICODE_STRING));
    Params->DesiredAccess = DesiredAccess;
    Params->CreateOptions = FILE_NON_DIRECTORY_FILE;
    Params->CreateDisposition = FILE_CREATE;
    Params->FileAttributes = FILE_ATTRIBUTE_NORMAL;
}

static __inline VOID WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(PWDF_IO_TARGET_OPEN_PARAMS Params,
    PCUNICODE_STRING TargetDeviceName, ACCESS_MASK DesiredAccess)
{
    WDF_IO_TARGET_OPEN_PARAMS_INIT_CREATE_BY_NAME(Params, TargetDeviceName, DesiredAccess);
    Params->FileAttributes = 0;
    Params->CreateDisposition = FILE_OPEN;
}

static __inline VOID WDF_IO_TARGET_OPEN_PARAMS_INIT_REOPEN(PWDF_IO_TARGET_OPEN_PARAMS Params)
{
    RtlZeroMemory(Params, sizeof(WDF_IO_TARGET_OPEN_PARAMS));
    Params->Size = sizeof(WDF_IO_TARGET_OPEN_PARAMS);
    Params->Type = WdfIoTargetOpenReopen;
}

/* ---- Time and size helpers (100 ns units; relative times are negative, as KeSetTimer takes them) --------------- */

#define WDF_TIMEOUT_TO_SEC ((LONGLONG)1 * 10 * 1000 * 1000)
#define WDF_TIMEOUT_TO_MS ((LONGLONG)1 * 10 * 1000)
#define WDF_TIMEOUT_TO_US ((LONGLONG)1 * 10)

static __inline LONGLONG WDF_REL_TIMEOUT_IN_SEC(ULONGLONG Time) { return (LONGLONG)Time * -1 * WDF_TIMEOUT_TO_SEC; }
static __inline LONGLONG WDF_ABS_TIMEOUT_IN_SEC(ULONGLONG Time) { return (LONGLONG)Time * WDF_TIMEOUT_TO_SEC; }
static __inline LONGLONG WDF_REL_TIMEOUT_IN_MS(ULONGLONG Time) { return (LONGLONG)Time * -1 * WDF_TIMEOUT_TO_MS; }
static __inline LONGLONG WDF_ABS_TIMEOUT_IN_MS(ULONGLONG Time) { return (LONGLONG)Time * WDF_TIMEOUT_TO_MS; }
static __inline LONGLONG WDF_REL_TIMEOUT_IN_US(ULONGLONG Time) { return (LONGLONG)Time * -1 * WDF_TIMEOUT_TO_US; }
static __inline LONGLONG WDF_ABS_TIMEOUT_IN_US(ULONGLONG Time) { return (LONGLONG)Time * WDF_TIMEOUT_TO_US; }

static __inline size_t WDF_ALIGN_SIZE_DOWN(size_t Length, size_t AlignTo) { return Length & ~(AlignTo - 1); }
static __inline size_t WDF_ALIGN_SIZE_UP(size_t Length, size_t AlignTo)
{ return WDF_ALIGN_SIZE_DOWN(Length + AlignTo - 1, AlignTo); }

/* ---- Binding: the globals, the table and wdfldr.sys's exports -------------------------------------------------- */

/* Both defined by stub.c: the framework fills them in WdfVersionBind. */
extern PWDF_DRIVER_GLOBALS WdfDriverGlobals;
#if WDF_FUNCTION_TABLE_IS_POINTER
extern WDFFUNC *WdfFunctions;
#else
extern WDFFUNC WdfFunctions[WDF_FUNCTION_COUNT];
#endif
extern WDF_BIND_INFO WdfBindInfo;

NTSTATUS NTAPI WdfVersionBind(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
    PWDF_COMPONENT_GLOBALS *ComponentGlobals);
NTSTATUS NTAPI WdfVersionUnbind(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
    PWDF_COMPONENT_GLOBALS ComponentGlobals);
NTSTATUS NTAPI WdfVersionBindClass(PUNICODE_STRING RegistryPath, PWDF_BIND_INFO BindInfo,
    PWDF_COMPONENT_GLOBALS ComponentGlobals, PVOID ClassBindInfo);
NTSTATUS NTAPI WdfLdrQueryInterface(PVOID LoaderInterface);

/* ---- The function table's indexes and the entries' wrappers (generated from hal/wdf/table.ts) ----------------- */

typedef enum _WDFFUNCENUM {
    WdfChildListCreateTableIndex = 0,
    WdfChildListGetDeviceTableIndex = 1,
    WdfChildListRetrievePdoTableIndex = 2,
    WdfChildListRetrieveAddressDescriptionTableIndex = 3,
    WdfChildListBeginScanTableIndex = 4,
    WdfChildListEndScanTableIndex = 5,
    WdfChildListBeginIterationTableIndex = 6,
    WdfChildListRetrieveNextDeviceTableIndex = 7,
    WdfChildListEndIterationTableIndex = 8,
    WdfChildListAddOrUpdateChildDescriptionAsPresentTableIndex = 9,
    WdfChildListUpdateChildDescriptionAsMissingTableIndex = 10,
    WdfChildListUpdateAllChildDescriptionsAsPresentTableIndex = 11,
    WdfChildListRequestChildEjectTableIndex = 12,
    WdfCollectionCreateTableIndex = 13,
    WdfCollectionGetCountTableIndex = 14,
    WdfCollectionAddTableIndex = 15,
    WdfCollectionRemoveTableIndex = 16,
    WdfCollectionRemoveItemTableIndex = 17,
    WdfCollectionGetItemTableIndex = 18,
    WdfCollectionGetFirstItemTableIndex = 19,
    WdfCollectionGetLastItemTableIndex = 20,
    WdfCommonBufferCreateTableIndex = 21,
    WdfCommonBufferGetAlignedVirtualAddressTableIndex = 22,
    WdfCommonBufferGetAlignedLogicalAddressTableIndex = 23,
    WdfCommonBufferGetLengthTableIndex = 24,
    WdfControlDeviceInitAllocateTableIndex = 25,
    WdfControlDeviceInitSetShutdownNotificationTableIndex = 26,
    WdfControlFinishInitializingTableIndex = 27,
    WdfDeviceGetDeviceStateTableIndex = 28,
    WdfDeviceSetDeviceStateTableIndex = 29,
    WdfWdmDeviceGetWdfDeviceHandleTableIndex = 30,
    WdfDeviceWdmGetDeviceObjectTableIndex = 31,
    WdfDeviceWdmGetAttachedDeviceTableIndex = 32,
    WdfDeviceWdmGetPhysicalDeviceTableIndex = 33,
    WdfDeviceWdmDispatchPreprocessedIrpTableIndex = 34,
    WdfDeviceAddDependentUsageDeviceObjectTableIndex = 35,
    WdfDeviceAddRemovalRelationsPhysicalDeviceTableIndex = 36,
    WdfDeviceRemoveRemovalRelationsPhysicalDeviceTableIndex = 37,
    WdfDeviceClearRemovalRelationsDevicesTableIndex = 38,
    WdfDeviceGetDriverTableIndex = 39,
    WdfDeviceRetrieveDeviceNameTableIndex = 40,
    WdfDeviceAssignMofResourceNameTableIndex = 41,
    WdfDeviceGetIoTargetTableIndex = 42,
    WdfDeviceGetDevicePnpStateTableIndex = 43,
    WdfDeviceGetDevicePowerStateTableIndex = 44,
    WdfDeviceGetDevicePowerPolicyStateTableIndex = 45,
    WdfDeviceAssignS0IdleSettingsTableIndex = 46,
    WdfDeviceAssignSxWakeSettingsTableIndex = 47,
    WdfDeviceOpenRegistryKeyTableIndex = 48,
    WdfDeviceSetSpecialFileSupportTableIndex = 49,
    WdfDeviceSetCharacteristicsTableIndex = 50,
    WdfDeviceGetCharacteristicsTableIndex = 51,
    WdfDeviceGetAlignmentRequirementTableIndex = 52,
    WdfDeviceSetAlignmentRequirementTableIndex = 53,
    WdfDeviceInitFreeTableIndex = 54,
    WdfDeviceInitSetPnpPowerEventCallbacksTableIndex = 55,
    WdfDeviceInitSetPowerPolicyEventCallbacksTableIndex = 56,
    WdfDeviceInitSetPowerPolicyOwnershipTableIndex = 57,
    WdfDeviceInitRegisterPnpStateChangeCallbackTableIndex = 58,
    WdfDeviceInitRegisterPowerStateChangeCallbackTableIndex = 59,
    WdfDeviceInitRegisterPowerPolicyStateChangeCallbackTableIndex = 60,
    WdfDeviceInitSetIoTypeTableIndex = 61,
    WdfDeviceInitSetExclusiveTableIndex = 62,
    WdfDeviceInitSetPowerNotPageableTableIndex = 63,
    WdfDeviceInitSetPowerPageableTableIndex = 64,
    WdfDeviceInitSetPowerInrushTableIndex = 65,
    WdfDeviceInitSetDeviceTypeTableIndex = 66,
    WdfDeviceInitAssignNameTableIndex = 67,
    WdfDeviceInitAssignSDDLStringTableIndex = 68,
    WdfDeviceInitSetDeviceClassTableIndex = 69,
    WdfDeviceInitSetCharacteristicsTableIndex = 70,
    WdfDeviceInitSetFileObjectConfigTableIndex = 71,
    WdfDeviceInitSetRequestAttributesTableIndex = 72,
    WdfDeviceInitAssignWdmIrpPreprocessCallbackTableIndex = 73,
    WdfDeviceInitSetIoInCallerContextCallbackTableIndex = 74,
    WdfDeviceCreateTableIndex = 75,
    WdfDeviceSetStaticStopRemoveTableIndex = 76,
    WdfDeviceCreateDeviceInterfaceTableIndex = 77,
    WdfDeviceSetDeviceInterfaceStateTableIndex = 78,
    WdfDeviceRetrieveDeviceInterfaceStringTableIndex = 79,
    WdfDeviceCreateSymbolicLinkTableIndex = 80,
    WdfDeviceQueryPropertyTableIndex = 81,
    WdfDeviceAllocAndQueryPropertyTableIndex = 82,
    WdfDeviceSetPnpCapabilitiesTableIndex = 83,
    WdfDeviceSetPowerCapabilitiesTableIndex = 84,
    WdfDeviceSetBusInformationForChildrenTableIndex = 85,
    WdfDeviceIndicateWakeStatusTableIndex = 86,
    WdfDeviceSetFailedTableIndex = 87,
    WdfDeviceStopIdleNoTrackTableIndex = 88,
    WdfDeviceResumeIdleNoTrackTableIndex = 89,
    WdfDeviceGetFileObjectTableIndex = 90,
    WdfDeviceEnqueueRequestTableIndex = 91,
    WdfDeviceGetDefaultQueueTableIndex = 92,
    WdfDeviceConfigureRequestDispatchingTableIndex = 93,
    WdfDmaEnablerCreateTableIndex = 94,
    WdfDmaEnablerGetMaximumLengthTableIndex = 95,
    WdfDmaEnablerGetMaximumScatterGatherElementsTableIndex = 96,
    WdfDmaEnablerSetMaximumScatterGatherElementsTableIndex = 97,
    WdfDmaTransactionCreateTableIndex = 98,
    WdfDmaTransactionInitializeTableIndex = 99,
    WdfDmaTransactionInitializeUsingRequestTableIndex = 100,
    WdfDmaTransactionExecuteTableIndex = 101,
    WdfDmaTransactionReleaseTableIndex = 102,
    WdfDmaTransactionDmaCompletedTableIndex = 103,
    WdfDmaTransactionDmaCompletedWithLengthTableIndex = 104,
    WdfDmaTransactionDmaCompletedFinalTableIndex = 105,
    WdfDmaTransactionGetBytesTransferredTableIndex = 106,
    WdfDmaTransactionSetMaximumLengthTableIndex = 107,
    WdfDmaTransactionGetRequestTableIndex = 108,
    WdfDmaTransactionGetCurrentDmaTransferLengthTableIndex = 109,
    WdfDmaTransactionGetDeviceTableIndex = 110,
    WdfDpcCreateTableIndex = 111,
    WdfDpcEnqueueTableIndex = 112,
    WdfDpcCancelTableIndex = 113,
    WdfDpcGetParentObjectTableIndex = 114,
    WdfDpcWdmGetDpcTableIndex = 115,
    WdfDriverCreateTableIndex = 116,
    WdfDriverGetRegistryPathTableIndex = 117,
    WdfDriverWdmGetDriverObjectTableIndex = 118,
    WdfDriverOpenParametersRegistryKeyTableIndex = 119,
    WdfWdmDriverGetWdfDriverHandleTableIndex = 120,
    WdfDriverRegisterTraceInfoTableIndex = 121,
    WdfDriverRetrieveVersionStringTableIndex = 122,
    WdfDriverIsVersionAvailableTableIndex = 123,
    WdfFdoInitWdmGetPhysicalDeviceTableIndex = 124,
    WdfFdoInitOpenRegistryKeyTableIndex = 125,
    WdfFdoInitQueryPropertyTableIndex = 126,
    WdfFdoInitAllocAndQueryPropertyTableIndex = 127,
    WdfFdoInitSetEventCallbacksTableIndex = 128,
    WdfFdoInitSetFilterTableIndex = 129,
    WdfFdoInitSetDefaultChildListConfigTableIndex = 130,
    WdfFdoQueryForInterfaceTableIndex = 131,
    WdfFdoGetDefaultChildListTableIndex = 132,
    WdfFdoAddStaticChildTableIndex = 133,
    WdfFdoLockStaticChildListForIterationTableIndex = 134,
    WdfFdoRetrieveNextStaticChildTableIndex = 135,
    WdfFdoUnlockStaticChildListFromIterationTableIndex = 136,
    WdfFileObjectGetFileNameTableIndex = 137,
    WdfFileObjectGetFlagsTableIndex = 138,
    WdfFileObjectGetDeviceTableIndex = 139,
    WdfFileObjectWdmGetFileObjectTableIndex = 140,
    WdfInterruptCreateTableIndex = 141,
    WdfInterruptQueueDpcForIsrTableIndex = 142,
    WdfInterruptSynchronizeTableIndex = 143,
    WdfInterruptAcquireLockTableIndex = 144,
    WdfInterruptReleaseLockTableIndex = 145,
    WdfInterruptEnableTableIndex = 146,
    WdfInterruptDisableTableIndex = 147,
    WdfInterruptWdmGetInterruptTableIndex = 148,
    WdfInterruptGetInfoTableIndex = 149,
    WdfInterruptSetPolicyTableIndex = 150,
    WdfInterruptGetDeviceTableIndex = 151,
    WdfIoQueueCreateTableIndex = 152,
    WdfIoQueueGetStateTableIndex = 153,
    WdfIoQueueStartTableIndex = 154,
    WdfIoQueueStopTableIndex = 155,
    WdfIoQueueStopSynchronouslyTableIndex = 156,
    WdfIoQueueGetDeviceTableIndex = 157,
    WdfIoQueueRetrieveNextRequestTableIndex = 158,
    WdfIoQueueRetrieveRequestByFileObjectTableIndex = 159,
    WdfIoQueueFindRequestTableIndex = 160,
    WdfIoQueueRetrieveFoundRequestTableIndex = 161,
    WdfIoQueueDrainSynchronouslyTableIndex = 162,
    WdfIoQueueDrainTableIndex = 163,
    WdfIoQueuePurgeSynchronouslyTableIndex = 164,
    WdfIoQueuePurgeTableIndex = 165,
    WdfIoQueueReadyNotifyTableIndex = 166,
    WdfIoTargetCreateTableIndex = 167,
    WdfIoTargetOpenTableIndex = 168,
    WdfIoTargetCloseForQueryRemoveTableIndex = 169,
    WdfIoTargetCloseTableIndex = 170,
    WdfIoTargetStartTableIndex = 171,
    WdfIoTargetStopTableIndex = 172,
    WdfIoTargetGetStateTableIndex = 173,
    WdfIoTargetGetDeviceTableIndex = 174,
    WdfIoTargetQueryTargetPropertyTableIndex = 175,
    WdfIoTargetAllocAndQueryTargetPropertyTableIndex = 176,
    WdfIoTargetQueryForInterfaceTableIndex = 177,
    WdfIoTargetWdmGetTargetDeviceObjectTableIndex = 178,
    WdfIoTargetWdmGetTargetPhysicalDeviceTableIndex = 179,
    WdfIoTargetWdmGetTargetFileObjectTableIndex = 180,
    WdfIoTargetWdmGetTargetFileHandleTableIndex = 181,
    WdfIoTargetSendReadSynchronouslyTableIndex = 182,
    WdfIoTargetFormatRequestForReadTableIndex = 183,
    WdfIoTargetSendWriteSynchronouslyTableIndex = 184,
    WdfIoTargetFormatRequestForWriteTableIndex = 185,
    WdfIoTargetSendIoctlSynchronouslyTableIndex = 186,
    WdfIoTargetFormatRequestForIoctlTableIndex = 187,
    WdfIoTargetSendInternalIoctlSynchronouslyTableIndex = 188,
    WdfIoTargetFormatRequestForInternalIoctlTableIndex = 189,
    WdfIoTargetSendInternalIoctlOthersSynchronouslyTableIndex = 190,
    WdfIoTargetFormatRequestForInternalIoctlOthersTableIndex = 191,
    WdfMemoryCreateTableIndex = 192,
    WdfMemoryCreatePreallocatedTableIndex = 193,
    WdfMemoryGetBufferTableIndex = 194,
    WdfMemoryAssignBufferTableIndex = 195,
    WdfMemoryCopyToBufferTableIndex = 196,
    WdfMemoryCopyFromBufferTableIndex = 197,
    WdfLookasideListCreateTableIndex = 198,
    WdfMemoryCreateFromLookasideTableIndex = 199,
    WdfDeviceMiniportCreateTableIndex = 200,
    WdfDriverMiniportUnloadTableIndex = 201,
    WdfObjectGetTypedContextWorkerTableIndex = 202,
    WdfObjectAllocateContextTableIndex = 203,
    WdfObjectContextGetObjectTableIndex = 204,
    WdfObjectReferenceActualTableIndex = 205,
    WdfObjectDereferenceActualTableIndex = 206,
    WdfObjectCreateTableIndex = 207,
    WdfObjectDeleteTableIndex = 208,
    WdfObjectQueryTableIndex = 209,
    WdfPdoInitAllocateTableIndex = 210,
    WdfPdoInitSetEventCallbacksTableIndex = 211,
    WdfPdoInitAssignDeviceIDTableIndex = 212,
    WdfPdoInitAssignInstanceIDTableIndex = 213,
    WdfPdoInitAddHardwareIDTableIndex = 214,
    WdfPdoInitAddCompatibleIDTableIndex = 215,
    WdfPdoInitAddDeviceTextTableIndex = 216,
    WdfPdoInitSetDefaultLocaleTableIndex = 217,
    WdfPdoInitAssignRawDeviceTableIndex = 218,
    WdfPdoMarkMissingTableIndex = 219,
    WdfPdoRequestEjectTableIndex = 220,
    WdfPdoGetParentTableIndex = 221,
    WdfPdoRetrieveIdentificationDescriptionTableIndex = 222,
    WdfPdoRetrieveAddressDescriptionTableIndex = 223,
    WdfPdoUpdateAddressDescriptionTableIndex = 224,
    WdfPdoAddEjectionRelationsPhysicalDeviceTableIndex = 225,
    WdfPdoRemoveEjectionRelationsPhysicalDeviceTableIndex = 226,
    WdfPdoClearEjectionRelationsDevicesTableIndex = 227,
    WdfDeviceAddQueryInterfaceTableIndex = 228,
    WdfRegistryOpenKeyTableIndex = 229,
    WdfRegistryCreateKeyTableIndex = 230,
    WdfRegistryCloseTableIndex = 231,
    WdfRegistryWdmGetHandleTableIndex = 232,
    WdfRegistryRemoveKeyTableIndex = 233,
    WdfRegistryRemoveValueTableIndex = 234,
    WdfRegistryQueryValueTableIndex = 235,
    WdfRegistryQueryMemoryTableIndex = 236,
    WdfRegistryQueryMultiStringTableIndex = 237,
    WdfRegistryQueryUnicodeStringTableIndex = 238,
    WdfRegistryQueryStringTableIndex = 239,
    WdfRegistryQueryULongTableIndex = 240,
    WdfRegistryAssignValueTableIndex = 241,
    WdfRegistryAssignMemoryTableIndex = 242,
    WdfRegistryAssignMultiStringTableIndex = 243,
    WdfRegistryAssignUnicodeStringTableIndex = 244,
    WdfRegistryAssignStringTableIndex = 245,
    WdfRegistryAssignULongTableIndex = 246,
    WdfRequestCreateTableIndex = 247,
    WdfRequestCreateFromIrpTableIndex = 248,
    WdfRequestReuseTableIndex = 249,
    WdfRequestChangeTargetTableIndex = 250,
    WdfRequestFormatRequestUsingCurrentTypeTableIndex = 251,
    WdfRequestWdmFormatUsingStackLocationTableIndex = 252,
    WdfRequestSendTableIndex = 253,
    WdfRequestGetStatusTableIndex = 254,
    WdfRequestMarkCancelableTableIndex = 255,
    WdfRequestUnmarkCancelableTableIndex = 256,
    WdfRequestIsCanceledTableIndex = 257,
    WdfRequestCancelSentRequestTableIndex = 258,
    WdfRequestIsFrom32BitProcessTableIndex = 259,
    WdfRequestSetCompletionRoutineTableIndex = 260,
    WdfRequestGetCompletionParamsTableIndex = 261,
    WdfRequestAllocateTimerTableIndex = 262,
    WdfRequestCompleteTableIndex = 263,
    WdfRequestCompleteWithPriorityBoostTableIndex = 264,
    WdfRequestCompleteWithInformationTableIndex = 265,
    WdfRequestGetParametersTableIndex = 266,
    WdfRequestRetrieveInputMemoryTableIndex = 267,
    WdfRequestRetrieveOutputMemoryTableIndex = 268,
    WdfRequestRetrieveInputBufferTableIndex = 269,
    WdfRequestRetrieveOutputBufferTableIndex = 270,
    WdfRequestRetrieveInputWdmMdlTableIndex = 271,
    WdfRequestRetrieveOutputWdmMdlTableIndex = 272,
    WdfRequestRetrieveUnsafeUserInputBufferTableIndex = 273,
    WdfRequestRetrieveUnsafeUserOutputBufferTableIndex = 274,
    WdfRequestSetInformationTableIndex = 275,
    WdfRequestGetInformationTableIndex = 276,
    WdfRequestGetFileObjectTableIndex = 277,
    WdfRequestProbeAndLockUserBufferForReadTableIndex = 278,
    WdfRequestProbeAndLockUserBufferForWriteTableIndex = 279,
    WdfRequestGetRequestorModeTableIndex = 280,
    WdfRequestForwardToIoQueueTableIndex = 281,
    WdfRequestGetIoQueueTableIndex = 282,
    WdfRequestRequeueTableIndex = 283,
    WdfRequestStopAcknowledgeTableIndex = 284,
    WdfRequestWdmGetIrpTableIndex = 285,
    WdfIoResourceRequirementsListSetSlotNumberTableIndex = 286,
    WdfIoResourceRequirementsListSetInterfaceTypeTableIndex = 287,
    WdfIoResourceRequirementsListAppendIoResListTableIndex = 288,
    WdfIoResourceRequirementsListInsertIoResListTableIndex = 289,
    WdfIoResourceRequirementsListGetCountTableIndex = 290,
    WdfIoResourceRequirementsListGetIoResListTableIndex = 291,
    WdfIoResourceRequirementsListRemoveTableIndex = 292,
    WdfIoResourceRequirementsListRemoveByIoResListTableIndex = 293,
    WdfIoResourceListCreateTableIndex = 294,
    WdfIoResourceListAppendDescriptorTableIndex = 295,
    WdfIoResourceListInsertDescriptorTableIndex = 296,
    WdfIoResourceListUpdateDescriptorTableIndex = 297,
    WdfIoResourceListGetCountTableIndex = 298,
    WdfIoResourceListGetDescriptorTableIndex = 299,
    WdfIoResourceListRemoveTableIndex = 300,
    WdfIoResourceListRemoveByDescriptorTableIndex = 301,
    WdfCmResourceListAppendDescriptorTableIndex = 302,
    WdfCmResourceListInsertDescriptorTableIndex = 303,
    WdfCmResourceListGetCountTableIndex = 304,
    WdfCmResourceListGetDescriptorTableIndex = 305,
    WdfCmResourceListRemoveTableIndex = 306,
    WdfCmResourceListRemoveByDescriptorTableIndex = 307,
    WdfStringCreateTableIndex = 308,
    WdfStringGetUnicodeStringTableIndex = 309,
    WdfObjectAcquireLockTableIndex = 310,
    WdfObjectReleaseLockTableIndex = 311,
    WdfWaitLockCreateTableIndex = 312,
    WdfWaitLockAcquireTableIndex = 313,
    WdfWaitLockReleaseTableIndex = 314,
    WdfSpinLockCreateTableIndex = 315,
    WdfSpinLockAcquireTableIndex = 316,
    WdfSpinLockReleaseTableIndex = 317,
    WdfTimerCreateTableIndex = 318,
    WdfTimerStartTableIndex = 319,
    WdfTimerStopTableIndex = 320,
    WdfTimerGetParentObjectTableIndex = 321,
    WdfUsbTargetDeviceCreateTableIndex = 322,
    WdfUsbTargetDeviceRetrieveInformationTableIndex = 323,
    WdfUsbTargetDeviceGetDeviceDescriptorTableIndex = 324,
    WdfUsbTargetDeviceRetrieveConfigDescriptorTableIndex = 325,
    WdfUsbTargetDeviceQueryStringTableIndex = 326,
    WdfUsbTargetDeviceAllocAndQueryStringTableIndex = 327,
    WdfUsbTargetDeviceFormatRequestForStringTableIndex = 328,
    WdfUsbTargetDeviceGetNumInterfacesTableIndex = 329,
    WdfUsbTargetDeviceSelectConfigTableIndex = 330,
    WdfUsbTargetDeviceWdmGetConfigurationHandleTableIndex = 331,
    WdfUsbTargetDeviceRetrieveCurrentFrameNumberTableIndex = 332,
    WdfUsbTargetDeviceSendControlTransferSynchronouslyTableIndex = 333,
    WdfUsbTargetDeviceFormatRequestForControlTransferTableIndex = 334,
    WdfUsbTargetDeviceIsConnectedSynchronousTableIndex = 335,
    WdfUsbTargetDeviceResetPortSynchronouslyTableIndex = 336,
    WdfUsbTargetDeviceCyclePortSynchronouslyTableIndex = 337,
    WdfUsbTargetDeviceFormatRequestForCyclePortTableIndex = 338,
    WdfUsbTargetDeviceSendUrbSynchronouslyTableIndex = 339,
    WdfUsbTargetDeviceFormatRequestForUrbTableIndex = 340,
    WdfUsbTargetPipeGetInformationTableIndex = 341,
    WdfUsbTargetPipeIsInEndpointTableIndex = 342,
    WdfUsbTargetPipeIsOutEndpointTableIndex = 343,
    WdfUsbTargetPipeGetTypeTableIndex = 344,
    WdfUsbTargetPipeSetNoMaximumPacketSizeCheckTableIndex = 345,
    WdfUsbTargetPipeWriteSynchronouslyTableIndex = 346,
    WdfUsbTargetPipeFormatRequestForWriteTableIndex = 347,
    WdfUsbTargetPipeReadSynchronouslyTableIndex = 348,
    WdfUsbTargetPipeFormatRequestForReadTableIndex = 349,
    WdfUsbTargetPipeConfigContinuousReaderTableIndex = 350,
    WdfUsbTargetPipeAbortSynchronouslyTableIndex = 351,
    WdfUsbTargetPipeFormatRequestForAbortTableIndex = 352,
    WdfUsbTargetPipeResetSynchronouslyTableIndex = 353,
    WdfUsbTargetPipeFormatRequestForResetTableIndex = 354,
    WdfUsbTargetPipeSendUrbSynchronouslyTableIndex = 355,
    WdfUsbTargetPipeFormatRequestForUrbTableIndex = 356,
    WdfUsbInterfaceGetInterfaceNumberTableIndex = 357,
    WdfUsbInterfaceGetNumEndpointsTableIndex = 358,
    WdfUsbInterfaceGetDescriptorTableIndex = 359,
    WdfUsbInterfaceSelectSettingTableIndex = 360,
    WdfUsbInterfaceGetEndpointInformationTableIndex = 361,
    WdfUsbTargetDeviceGetInterfaceTableIndex = 362,
    WdfUsbInterfaceGetConfiguredSettingIndexTableIndex = 363,
    WdfUsbInterfaceGetNumConfiguredPipesTableIndex = 364,
    WdfUsbInterfaceGetConfiguredPipeTableIndex = 365,
    WdfUsbTargetPipeWdmGetPipeHandleTableIndex = 366,
    WdfVerifierDbgBreakPointTableIndex = 367,
    WdfVerifierKeBugCheckTableIndex = 368,
    WdfWmiProviderCreateTableIndex = 369,
    WdfWmiProviderGetDeviceTableIndex = 370,
    WdfWmiProviderIsEnabledTableIndex = 371,
    WdfWmiProviderGetTracingHandleTableIndex = 372,
    WdfWmiInstanceCreateTableIndex = 373,
    WdfWmiInstanceRegisterTableIndex = 374,
    WdfWmiInstanceDeregisterTableIndex = 375,
    WdfWmiInstanceGetDeviceTableIndex = 376,
    WdfWmiInstanceGetProviderTableIndex = 377,
    WdfWmiInstanceFireEventTableIndex = 378,
    WdfWorkItemCreateTableIndex = 379,
    WdfWorkItemEnqueueTableIndex = 380,
    WdfWorkItemGetParentObjectTableIndex = 381,
    WdfWorkItemFlushTableIndex = 382,
    WdfCommonBufferCreateWithConfigTableIndex = 383,
    WdfDmaEnablerGetFragmentLengthTableIndex = 384,
    WdfDmaEnablerWdmGetDmaAdapterTableIndex = 385,
    WdfUsbInterfaceGetNumSettingsTableIndex = 386,
    WdfDeviceRemoveDependentUsageDeviceObjectTableIndex = 387,
    WdfDeviceGetSystemPowerActionTableIndex = 388,
    WdfInterruptSetExtendedPolicyTableIndex = 389,
    WdfIoQueueAssignForwardProgressPolicyTableIndex = 390,
    WdfPdoInitAssignContainerIDTableIndex = 391,
    WdfPdoInitAllowForwardingRequestToParentTableIndex = 392,
    WdfRequestMarkCancelableExTableIndex = 393,
    WdfRequestIsReservedTableIndex = 394,
    WdfRequestForwardToParentDeviceIoQueueTableIndex = 395,
    WdfCxDeviceInitAllocateTableIndex = 396,
    WdfCxDeviceInitAssignWdmIrpPreprocessCallbackTableIndex = 397,
    WdfCxDeviceInitSetIoInCallerContextCallbackTableIndex = 398,
    WdfCxDeviceInitSetRequestAttributesTableIndex = 399,
    WdfCxDeviceInitSetFileObjectConfigTableIndex = 400,
    WdfDeviceWdmDispatchIrpTableIndex = 401,
    WdfDeviceWdmDispatchIrpToIoQueueTableIndex = 402,
    WdfDeviceInitSetRemoveLockOptionsTableIndex = 403,
    WdfDeviceConfigureWdmIrpDispatchCallbackTableIndex = 404,
    WdfDmaEnablerConfigureSystemProfileTableIndex = 405,
    WdfDmaTransactionInitializeUsingOffsetTableIndex = 406,
    WdfDmaTransactionGetTransferInfoTableIndex = 407,
    WdfDmaTransactionSetChannelConfigurationCallbackTableIndex = 408,
    WdfDmaTransactionSetTransferCompleteCallbackTableIndex = 409,
    WdfDmaTransactionSetImmediateExecutionTableIndex = 410,
    WdfDmaTransactionAllocateResourcesTableIndex = 411,
    WdfDmaTransactionSetDeviceAddressOffsetTableIndex = 412,
    WdfDmaTransactionFreeResourcesTableIndex = 413,
    WdfDmaTransactionCancelTableIndex = 414,
    WdfDmaTransactionWdmGetTransferContextTableIndex = 415,
    WdfInterruptQueueWorkItemForIsrTableIndex = 416,
    WdfInterruptTryToAcquireLockTableIndex = 417,
    WdfIoQueueStopAndPurgeTableIndex = 418,
    WdfIoQueueStopAndPurgeSynchronouslyTableIndex = 419,
    WdfIoTargetPurgeTableIndex = 420,
    WdfUsbTargetDeviceCreateWithParametersTableIndex = 421,
    WdfUsbTargetDeviceQueryUsbCapabilityTableIndex = 422,
    WdfUsbTargetDeviceCreateUrbTableIndex = 423,
    WdfUsbTargetDeviceCreateIsochUrbTableIndex = 424,
    WdfDeviceWdmAssignPowerFrameworkSettingsTableIndex = 425,
    WdfDmaTransactionStopSystemTransferTableIndex = 426,
    WdfCxVerifierKeBugCheckTableIndex = 427,
    WdfInterruptReportActiveTableIndex = 428,
    WdfInterruptReportInactiveTableIndex = 429,
    WdfDeviceInitSetReleaseHardwareOrderOnFailureTableIndex = 430,
    WdfGetTriageInfoTableIndex = 431,
    WdfDeviceInitSetIoTypeExTableIndex = 432,
    WdfDeviceQueryPropertyExTableIndex = 433,
    WdfDeviceAllocAndQueryPropertyExTableIndex = 434,
    WdfDeviceAssignPropertyTableIndex = 435,
    WdfFdoInitQueryPropertyExTableIndex = 436,
    WdfFdoInitAllocAndQueryPropertyExTableIndex = 437,
    WdfDeviceStopIdleActualTableIndex = 438,
    WdfDeviceResumeIdleActualTableIndex = 439,
    WdfDeviceGetSelfIoTargetTableIndex = 440,
    WdfDeviceInitAllowSelfIoTargetTableIndex = 441,
    WdfIoTargetSelfAssignDefaultIoQueueTableIndex = 442,
    WdfDeviceOpenDevicemapKeyTableIndex = 443,
    WdfDmaTransactionSetSingleTransferRequirementTableIndex = 444,
    WdfCxDeviceInitSetPnpPowerEventCallbacksTableIndex = 445,
    WdfFileObjectGetInitiatorProcessIdTableIndex = 446,
    WdfRequestGetRequestorProcessIdTableIndex = 447,
    WdfDeviceRetrieveCompanionTargetTableIndex = 448,
    WdfCompanionTargetSendTaskSynchronouslyTableIndex = 449,
    WdfCompanionTargetWdmGetCompanionProcessTableIndex = 450,
    WdfDriverOpenPersistentStateRegistryKeyTableIndex = 451,
    WdfDriverErrorReportApiMissingTableIndex = 452,
    WdfPdoInitRemovePowerDependencyOnParentTableIndex = 453,
    WdfCxDeviceInitAllocateContextTableIndex = 454,
    WdfCxDeviceInitGetTypedContextWorkerTableIndex = 455,
    WdfCxDeviceInitSetPowerPolicyEventCallbacksTableIndex = 456,
    WdfDeviceSetDeviceInterfaceStateExTableIndex = 457,
    WdfFunctionTableNumEntries = 458
} WDFFUNCENUM;

typedef NTSTATUS (NTAPI *PFN_WDFCOLLECTIONCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES CollectionAttributes, WDFCOLLECTION *Collection);
static __inline NTSTATUS WdfCollectionCreate(PWDF_OBJECT_ATTRIBUTES CollectionAttributes, WDFCOLLECTION *Collection)
{ return ((PFN_WDFCOLLECTIONCREATE)WdfFunctions[WdfCollectionCreateTableIndex])(WdfDriverGlobals, CollectionAttributes, Collection); }
typedef ULONG (NTAPI *PFN_WDFCOLLECTIONGETCOUNT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection);
static __inline ULONG WdfCollectionGetCount(WDFCOLLECTION Collection)
{ return ((PFN_WDFCOLLECTIONGETCOUNT)WdfFunctions[WdfCollectionGetCountTableIndex])(WdfDriverGlobals, Collection); }
typedef NTSTATUS (NTAPI *PFN_WDFCOLLECTIONADD)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection, WDFOBJECT Object);
static __inline NTSTATUS WdfCollectionAdd(WDFCOLLECTION Collection, WDFOBJECT Object)
{ return ((PFN_WDFCOLLECTIONADD)WdfFunctions[WdfCollectionAddTableIndex])(WdfDriverGlobals, Collection, Object); }
typedef VOID (NTAPI *PFN_WDFCOLLECTIONREMOVE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection, WDFOBJECT Item);
static __inline VOID WdfCollectionRemove(WDFCOLLECTION Collection, WDFOBJECT Item)
{ ((PFN_WDFCOLLECTIONREMOVE)WdfFunctions[WdfCollectionRemoveTableIndex])(WdfDriverGlobals, Collection, Item); }
typedef VOID (NTAPI *PFN_WDFCOLLECTIONREMOVEITEM)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection, ULONG Index);
static __inline VOID WdfCollectionRemoveItem(WDFCOLLECTION Collection, ULONG Index)
{ ((PFN_WDFCOLLECTIONREMOVEITEM)WdfFunctions[WdfCollectionRemoveItemTableIndex])(WdfDriverGlobals, Collection, Index); }
typedef WDFOBJECT (NTAPI *PFN_WDFCOLLECTIONGETITEM)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection, ULONG Index);
static __inline WDFOBJECT WdfCollectionGetItem(WDFCOLLECTION Collection, ULONG Index)
{ return ((PFN_WDFCOLLECTIONGETITEM)WdfFunctions[WdfCollectionGetItemTableIndex])(WdfDriverGlobals, Collection, Index); }
typedef WDFOBJECT (NTAPI *PFN_WDFCOLLECTIONGETFIRSTITEM)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection);
static __inline WDFOBJECT WdfCollectionGetFirstItem(WDFCOLLECTION Collection)
{ return ((PFN_WDFCOLLECTIONGETFIRSTITEM)WdfFunctions[WdfCollectionGetFirstItemTableIndex])(WdfDriverGlobals, Collection); }
typedef WDFOBJECT (NTAPI *PFN_WDFCOLLECTIONGETLASTITEM)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFCOLLECTION Collection);
static __inline WDFOBJECT WdfCollectionGetLastItem(WDFCOLLECTION Collection)
{ return ((PFN_WDFCOLLECTIONGETLASTITEM)WdfFunctions[WdfCollectionGetLastItemTableIndex])(WdfDriverGlobals, Collection); }
typedef PWDFDEVICE_INIT (NTAPI *PFN_WDFCONTROLDEVICEINITALLOCATE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, CONST UNICODE_STRING *SDDLString);
static __inline PWDFDEVICE_INIT WdfControlDeviceInitAllocate(WDFDRIVER Driver, CONST UNICODE_STRING *SDDLString)
{ return ((PFN_WDFCONTROLDEVICEINITALLOCATE)WdfFunctions[WdfControlDeviceInitAllocateTableIndex])(WdfDriverGlobals, Driver, SDDLString); }
typedef VOID (NTAPI *PFN_WDFCONTROLDEVICEINITSETSHUTDOWNNOTIFICATION)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION Notification, UCHAR Flags);
static __inline VOID WdfControlDeviceInitSetShutdownNotification(PWDFDEVICE_INIT DeviceInit, PFN_WDF_DEVICE_SHUTDOWN_NOTIFICATION Notification, UCHAR Flags)
{ ((PFN_WDFCONTROLDEVICEINITSETSHUTDOWNNOTIFICATION)WdfFunctions[WdfControlDeviceInitSetShutdownNotificationTableIndex])(WdfDriverGlobals, DeviceInit, Notification, Flags); }
typedef VOID (NTAPI *PFN_WDFCONTROLFINISHINITIALIZING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline VOID WdfControlFinishInitializing(WDFDEVICE Device)
{ ((PFN_WDFCONTROLFINISHINITIALIZING)WdfFunctions[WdfControlFinishInitializingTableIndex])(WdfDriverGlobals, Device); }
typedef WDFDEVICE (NTAPI *PFN_WDFWDMDEVICEGETWDFDEVICEHANDLE)(PWDF_DRIVER_GLOBALS DriverGlobals, PDEVICE_OBJECT DeviceObject);
static __inline WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PDEVICE_OBJECT DeviceObject)
{ return ((PFN_WDFWDMDEVICEGETWDFDEVICEHANDLE)WdfFunctions[WdfWdmDeviceGetWdfDeviceHandleTableIndex])(WdfDriverGlobals, DeviceObject); }
typedef PDEVICE_OBJECT (NTAPI *PFN_WDFDEVICEWDMGETDEVICEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEWDMGETDEVICEOBJECT)WdfFunctions[WdfDeviceWdmGetDeviceObjectTableIndex])(WdfDriverGlobals, Device); }
typedef PDEVICE_OBJECT (NTAPI *PFN_WDFDEVICEWDMGETATTACHEDDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEWDMGETATTACHEDDEVICE)WdfFunctions[WdfDeviceWdmGetAttachedDeviceTableIndex])(WdfDriverGlobals, Device); }
typedef PDEVICE_OBJECT (NTAPI *PFN_WDFDEVICEWDMGETPHYSICALDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEWDMGETPHYSICALDEVICE)WdfFunctions[WdfDeviceWdmGetPhysicalDeviceTableIndex])(WdfDriverGlobals, Device); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICEWDMDISPATCHPREPROCESSEDIRP)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PIRP Irp);
static __inline NTSTATUS WdfDeviceWdmDispatchPreprocessedIrp(WDFDEVICE Device, PIRP Irp)
{ return ((PFN_WDFDEVICEWDMDISPATCHPREPROCESSEDIRP)WdfFunctions[WdfDeviceWdmDispatchPreprocessedIrpTableIndex])(WdfDriverGlobals, Device, Irp); }
typedef WDFDRIVER (NTAPI *PFN_WDFDEVICEGETDRIVER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEGETDRIVER)WdfFunctions[WdfDeviceGetDriverTableIndex])(WdfDriverGlobals, Device); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICERETRIEVEDEVICENAME)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, WDFSTRING String);
static __inline NTSTATUS WdfDeviceRetrieveDeviceName(WDFDEVICE Device, WDFSTRING String)
{ return ((PFN_WDFDEVICERETRIEVEDEVICENAME)WdfFunctions[WdfDeviceRetrieveDeviceNameTableIndex])(WdfDriverGlobals, Device, String); }
typedef WDFIOTARGET (NTAPI *PFN_WDFDEVICEGETIOTARGET)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline WDFIOTARGET WdfDeviceGetIoTarget(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEGETIOTARGET)WdfFunctions[WdfDeviceGetIoTargetTableIndex])(WdfDriverGlobals, Device); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICEOPENREGISTRYKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);
static __inline NTSTATUS WdfDeviceOpenRegistryKey(WDFDEVICE Device, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{ return ((PFN_WDFDEVICEOPENREGISTRYKEY)WdfFunctions[WdfDeviceOpenRegistryKeyTableIndex])(WdfDriverGlobals, Device, DeviceInstanceKeyType, DesiredAccess, KeyAttributes, Key); }
typedef VOID (NTAPI *PFN_WDFDEVICESETCHARACTERISTICS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, ULONG DeviceCharacteristics);
static __inline VOID WdfDeviceSetCharacteristics(WDFDEVICE Device, ULONG DeviceCharacteristics)
{ ((PFN_WDFDEVICESETCHARACTERISTICS)WdfFunctions[WdfDeviceSetCharacteristicsTableIndex])(WdfDriverGlobals, Device, DeviceCharacteristics); }
typedef ULONG (NTAPI *PFN_WDFDEVICEGETCHARACTERISTICS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline ULONG WdfDeviceGetCharacteristics(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEGETCHARACTERISTICS)WdfFunctions[WdfDeviceGetCharacteristicsTableIndex])(WdfDriverGlobals, Device); }
typedef ULONG (NTAPI *PFN_WDFDEVICEGETALIGNMENTREQUIREMENT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline ULONG WdfDeviceGetAlignmentRequirement(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEGETALIGNMENTREQUIREMENT)WdfFunctions[WdfDeviceGetAlignmentRequirementTableIndex])(WdfDriverGlobals, Device); }
typedef VOID (NTAPI *PFN_WDFDEVICESETALIGNMENTREQUIREMENT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, ULONG AlignmentRequirement);
static __inline VOID WdfDeviceSetAlignmentRequirement(WDFDEVICE Device, ULONG AlignmentRequirement)
{ ((PFN_WDFDEVICESETALIGNMENTREQUIREMENT)WdfFunctions[WdfDeviceSetAlignmentRequirementTableIndex])(WdfDriverGlobals, Device, AlignmentRequirement); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITFREE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit);
static __inline VOID WdfDeviceInitFree(PWDFDEVICE_INIT DeviceInit)
{ ((PFN_WDFDEVICEINITFREE)WdfFunctions[WdfDeviceInitFreeTableIndex])(WdfDriverGlobals, DeviceInit); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETPNPPOWEREVENTCALLBACKS)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks);
static __inline VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit, PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks)
{ ((PFN_WDFDEVICEINITSETPNPPOWEREVENTCALLBACKS)WdfFunctions[WdfDeviceInitSetPnpPowerEventCallbacksTableIndex])(WdfDriverGlobals, DeviceInit, PnpPowerEventCallbacks); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETPOWERPOLICYEVENTCALLBACKS)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_POWER_POLICY_EVENT_CALLBACKS PowerPolicyEventCallbacks);
static __inline VOID WdfDeviceInitSetPowerPolicyEventCallbacks(PWDFDEVICE_INIT DeviceInit, PWDF_POWER_POLICY_EVENT_CALLBACKS PowerPolicyEventCallbacks)
{ ((PFN_WDFDEVICEINITSETPOWERPOLICYEVENTCALLBACKS)WdfFunctions[WdfDeviceInitSetPowerPolicyEventCallbacksTableIndex])(WdfDriverGlobals, DeviceInit, PowerPolicyEventCallbacks); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETPOWERPOLICYOWNERSHIP)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, BOOLEAN IsPowerPolicyOwner);
static __inline VOID WdfDeviceInitSetPowerPolicyOwnership(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsPowerPolicyOwner)
{ ((PFN_WDFDEVICEINITSETPOWERPOLICYOWNERSHIP)WdfFunctions[WdfDeviceInitSetPowerPolicyOwnershipTableIndex])(WdfDriverGlobals, DeviceInit, IsPowerPolicyOwner); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETIOTYPE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType);
static __inline VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)
{ ((PFN_WDFDEVICEINITSETIOTYPE)WdfFunctions[WdfDeviceInitSetIoTypeTableIndex])(WdfDriverGlobals, DeviceInit, IoType); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETEXCLUSIVE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive);
static __inline VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive)
{ ((PFN_WDFDEVICEINITSETEXCLUSIVE)WdfFunctions[WdfDeviceInitSetExclusiveTableIndex])(WdfDriverGlobals, DeviceInit, IsExclusive); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETPOWERNOTPAGEABLE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit);
static __inline VOID WdfDeviceInitSetPowerNotPageable(PWDFDEVICE_INIT DeviceInit)
{ ((PFN_WDFDEVICEINITSETPOWERNOTPAGEABLE)WdfFunctions[WdfDeviceInitSetPowerNotPageableTableIndex])(WdfDriverGlobals, DeviceInit); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETPOWERPAGEABLE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit);
static __inline VOID WdfDeviceInitSetPowerPageable(PWDFDEVICE_INIT DeviceInit)
{ ((PFN_WDFDEVICEINITSETPOWERPAGEABLE)WdfFunctions[WdfDeviceInitSetPowerPageableTableIndex])(WdfDriverGlobals, DeviceInit); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETPOWERINRUSH)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit);
static __inline VOID WdfDeviceInitSetPowerInrush(PWDFDEVICE_INIT DeviceInit)
{ ((PFN_WDFDEVICEINITSETPOWERINRUSH)WdfFunctions[WdfDeviceInitSetPowerInrushTableIndex])(WdfDriverGlobals, DeviceInit); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETDEVICETYPE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType);
static __inline VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)
{ ((PFN_WDFDEVICEINITSETDEVICETYPE)WdfFunctions[WdfDeviceInitSetDeviceTypeTableIndex])(WdfDriverGlobals, DeviceInit, DeviceType); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICEINITASSIGNNAME)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName);
static __inline NTSTATUS WdfDeviceInitAssignName(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING DeviceName)
{ return ((PFN_WDFDEVICEINITASSIGNNAME)WdfFunctions[WdfDeviceInitAssignNameTableIndex])(WdfDriverGlobals, DeviceInit, DeviceName); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICEINITASSIGNSDDLSTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING SDDLString);
static __inline NTSTATUS WdfDeviceInitAssignSDDLString(PWDFDEVICE_INIT DeviceInit, PCUNICODE_STRING SDDLString)
{ return ((PFN_WDFDEVICEINITASSIGNSDDLSTRING)WdfFunctions[WdfDeviceInitAssignSDDLStringTableIndex])(WdfDriverGlobals, DeviceInit, SDDLString); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETDEVICECLASS)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, CONST GUID *DeviceClassGuid);
static __inline VOID WdfDeviceInitSetDeviceClass(PWDFDEVICE_INIT DeviceInit, CONST GUID *DeviceClassGuid)
{ ((PFN_WDFDEVICEINITSETDEVICECLASS)WdfFunctions[WdfDeviceInitSetDeviceClassTableIndex])(WdfDriverGlobals, DeviceInit, DeviceClassGuid); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETCHARACTERISTICS)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics, BOOLEAN OrInValues);
static __inline VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics, BOOLEAN OrInValues)
{ ((PFN_WDFDEVICEINITSETCHARACTERISTICS)WdfFunctions[WdfDeviceInitSetCharacteristicsTableIndex])(WdfDriverGlobals, DeviceInit, DeviceCharacteristics, OrInValues); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETFILEOBJECTCONFIG)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_FILEOBJECT_CONFIG FileObjectConfig, PWDF_OBJECT_ATTRIBUTES FileObjectAttributes);
static __inline VOID WdfDeviceInitSetFileObjectConfig(PWDFDEVICE_INIT DeviceInit, PWDF_FILEOBJECT_CONFIG FileObjectConfig, PWDF_OBJECT_ATTRIBUTES FileObjectAttributes)
{ ((PFN_WDFDEVICEINITSETFILEOBJECTCONFIG)WdfFunctions[WdfDeviceInitSetFileObjectConfigTableIndex])(WdfDriverGlobals, DeviceInit, FileObjectConfig, FileObjectAttributes); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETREQUESTATTRIBUTES)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_OBJECT_ATTRIBUTES RequestAttributes);
static __inline VOID WdfDeviceInitSetRequestAttributes(PWDFDEVICE_INIT DeviceInit, PWDF_OBJECT_ATTRIBUTES RequestAttributes)
{ ((PFN_WDFDEVICEINITSETREQUESTATTRIBUTES)WdfFunctions[WdfDeviceInitSetRequestAttributesTableIndex])(WdfDriverGlobals, DeviceInit, RequestAttributes); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICEINITASSIGNWDMIRPPREPROCESSCALLBACK)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PFN_WDFDEVICE_WDM_IRP_PREPROCESS EvtDeviceWdmIrpPreprocess, UCHAR MajorFunction, PUCHAR MinorFunctions, ULONG NumMinorFunctions);
static __inline NTSTATUS WdfDeviceInitAssignWdmIrpPreprocessCallback(PWDFDEVICE_INIT DeviceInit, PFN_WDFDEVICE_WDM_IRP_PREPROCESS EvtDeviceWdmIrpPreprocess, UCHAR MajorFunction, PUCHAR MinorFunctions, ULONG NumMinorFunctions)
{ return ((PFN_WDFDEVICEINITASSIGNWDMIRPPREPROCESSCALLBACK)WdfFunctions[WdfDeviceInitAssignWdmIrpPreprocessCallbackTableIndex])(WdfDriverGlobals, DeviceInit, EvtDeviceWdmIrpPreprocess, MajorFunction, MinorFunctions, NumMinorFunctions); }
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETIOINCALLERCONTEXTCALLBACK)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext);
static __inline VOID WdfDeviceInitSetIoInCallerContextCallback(PWDFDEVICE_INIT DeviceInit, PFN_WDF_IO_IN_CALLER_CONTEXT EvtIoInCallerContext)
{ ((PFN_WDFDEVICEINITSETIOINCALLERCONTEXTCALLBACK)WdfFunctions[WdfDeviceInitSetIoInCallerContextCallbackTableIndex])(WdfDriverGlobals, DeviceInit, EvtIoInCallerContext); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICECREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE *Device);
static __inline NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes, WDFDEVICE *Device)
{ return ((PFN_WDFDEVICECREATE)WdfFunctions[WdfDeviceCreateTableIndex])(WdfDriverGlobals, DeviceInit, DeviceAttributes, Device); }
typedef VOID (NTAPI *PFN_WDFDEVICESETSTATICSTOPREMOVE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, BOOLEAN Stoppable);
static __inline VOID WdfDeviceSetStaticStopRemove(WDFDEVICE Device, BOOLEAN Stoppable)
{ ((PFN_WDFDEVICESETSTATICSTOPREMOVE)WdfFunctions[WdfDeviceSetStaticStopRemoveTableIndex])(WdfDriverGlobals, Device, Stoppable); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICECREATEDEVICEINTERFACE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, CONST GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString);
static __inline NTSTATUS WdfDeviceCreateDeviceInterface(WDFDEVICE Device, CONST GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString)
{ return ((PFN_WDFDEVICECREATEDEVICEINTERFACE)WdfFunctions[WdfDeviceCreateDeviceInterfaceTableIndex])(WdfDriverGlobals, Device, InterfaceClassGUID, ReferenceString); }
typedef VOID (NTAPI *PFN_WDFDEVICESETDEVICEINTERFACESTATE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, CONST GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString, BOOLEAN IsInterfaceEnabled);
static __inline VOID WdfDeviceSetDeviceInterfaceState(WDFDEVICE Device, CONST GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString, BOOLEAN IsInterfaceEnabled)
{ ((PFN_WDFDEVICESETDEVICEINTERFACESTATE)WdfFunctions[WdfDeviceSetDeviceInterfaceStateTableIndex])(WdfDriverGlobals, Device, InterfaceClassGUID, ReferenceString, IsInterfaceEnabled); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICERETRIEVEDEVICEINTERFACESTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, CONST GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString, WDFSTRING String);
static __inline NTSTATUS WdfDeviceRetrieveDeviceInterfaceString(WDFDEVICE Device, CONST GUID *InterfaceClassGUID, PCUNICODE_STRING ReferenceString, WDFSTRING String)
{ return ((PFN_WDFDEVICERETRIEVEDEVICEINTERFACESTRING)WdfFunctions[WdfDeviceRetrieveDeviceInterfaceStringTableIndex])(WdfDriverGlobals, Device, InterfaceClassGUID, ReferenceString, String); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICECREATESYMBOLICLINK)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PCUNICODE_STRING SymbolicLinkName);
static __inline NTSTATUS WdfDeviceCreateSymbolicLink(WDFDEVICE Device, PCUNICODE_STRING SymbolicLinkName)
{ return ((PFN_WDFDEVICECREATESYMBOLICLINK)WdfFunctions[WdfDeviceCreateSymbolicLinkTableIndex])(WdfDriverGlobals, Device, SymbolicLinkName); }
typedef VOID (NTAPI *PFN_WDFDEVICESETFAILED)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, WDF_DEVICE_FAILED_ACTION FailedAction);
static __inline VOID WdfDeviceSetFailed(WDFDEVICE Device, WDF_DEVICE_FAILED_ACTION FailedAction)
{ ((PFN_WDFDEVICESETFAILED)WdfFunctions[WdfDeviceSetFailedTableIndex])(WdfDriverGlobals, Device, FailedAction); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICESTOPIDLENOTRACK)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, BOOLEAN WaitForD0);
static __inline NTSTATUS WdfDeviceStopIdleNoTrack(WDFDEVICE Device, BOOLEAN WaitForD0)
{ return ((PFN_WDFDEVICESTOPIDLENOTRACK)WdfFunctions[WdfDeviceStopIdleNoTrackTableIndex])(WdfDriverGlobals, Device, WaitForD0); }
typedef VOID (NTAPI *PFN_WDFDEVICERESUMEIDLENOTRACK)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline VOID WdfDeviceResumeIdleNoTrack(WDFDEVICE Device)
{ ((PFN_WDFDEVICERESUMEIDLENOTRACK)WdfFunctions[WdfDeviceResumeIdleNoTrackTableIndex])(WdfDriverGlobals, Device); }
typedef WDFFILEOBJECT (NTAPI *PFN_WDFDEVICEGETFILEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PFILE_OBJECT FileObject);
static __inline WDFFILEOBJECT WdfDeviceGetFileObject(WDFDEVICE Device, PFILE_OBJECT FileObject)
{ return ((PFN_WDFDEVICEGETFILEOBJECT)WdfFunctions[WdfDeviceGetFileObjectTableIndex])(WdfDriverGlobals, Device, FileObject); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICEENQUEUEREQUEST)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, WDFREQUEST Request);
static __inline NTSTATUS WdfDeviceEnqueueRequest(WDFDEVICE Device, WDFREQUEST Request)
{ return ((PFN_WDFDEVICEENQUEUEREQUEST)WdfFunctions[WdfDeviceEnqueueRequestTableIndex])(WdfDriverGlobals, Device, Request); }
typedef WDFQUEUE (NTAPI *PFN_WDFDEVICEGETDEFAULTQUEUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device);
static __inline WDFQUEUE WdfDeviceGetDefaultQueue(WDFDEVICE Device)
{ return ((PFN_WDFDEVICEGETDEFAULTQUEUE)WdfFunctions[WdfDeviceGetDefaultQueueTableIndex])(WdfDriverGlobals, Device); }
typedef NTSTATUS (NTAPI *PFN_WDFDEVICECONFIGUREREQUESTDISPATCHING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, WDFQUEUE Queue, WDF_REQUEST_TYPE RequestType);
static __inline NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue, WDF_REQUEST_TYPE RequestType)
{ return ((PFN_WDFDEVICECONFIGUREREQUESTDISPATCHING)WdfFunctions[WdfDeviceConfigureRequestDispatchingTableIndex])(WdfDriverGlobals, Device, Queue, RequestType); }
typedef NTSTATUS (NTAPI *PFN_WDFDPCCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC *Dpc);
static __inline NTSTATUS WdfDpcCreate(PWDF_DPC_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFDPC *Dpc)
{ return ((PFN_WDFDPCCREATE)WdfFunctions[WdfDpcCreateTableIndex])(WdfDriverGlobals, Config, Attributes, Dpc); }
typedef BOOLEAN (NTAPI *PFN_WDFDPCENQUEUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDPC Dpc);
static __inline BOOLEAN WdfDpcEnqueue(WDFDPC Dpc)
{ return ((PFN_WDFDPCENQUEUE)WdfFunctions[WdfDpcEnqueueTableIndex])(WdfDriverGlobals, Dpc); }
typedef BOOLEAN (NTAPI *PFN_WDFDPCCANCEL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDPC Dpc, BOOLEAN Wait);
static __inline BOOLEAN WdfDpcCancel(WDFDPC Dpc, BOOLEAN Wait)
{ return ((PFN_WDFDPCCANCEL)WdfFunctions[WdfDpcCancelTableIndex])(WdfDriverGlobals, Dpc, Wait); }
typedef WDFOBJECT (NTAPI *PFN_WDFDPCGETPARENTOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDPC Dpc);
static __inline WDFOBJECT WdfDpcGetParentObject(WDFDPC Dpc)
{ return ((PFN_WDFDPCGETPARENTOBJECT)WdfFunctions[WdfDpcGetParentObjectTableIndex])(WdfDriverGlobals, Dpc); }
typedef PKDPC (NTAPI *PFN_WDFDPCWDMGETDPC)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDPC Dpc);
static __inline PKDPC WdfDpcWdmGetDpc(WDFDPC Dpc)
{ return ((PFN_WDFDPCWDMGETDPC)WdfFunctions[WdfDpcWdmGetDpcTableIndex])(WdfDriverGlobals, Dpc); }
typedef NTSTATUS (NTAPI *PFN_WDFDRIVERCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath, PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver);
static __inline NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath, PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig, WDFDRIVER *Driver)
{ return ((PFN_WDFDRIVERCREATE)WdfFunctions[WdfDriverCreateTableIndex])(WdfDriverGlobals, DriverObject, RegistryPath, DriverAttributes, DriverConfig, Driver); }
typedef PWSTR (NTAPI *PFN_WDFDRIVERGETREGISTRYPATH)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver);
static __inline PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver)
{ return ((PFN_WDFDRIVERGETREGISTRYPATH)WdfFunctions[WdfDriverGetRegistryPathTableIndex])(WdfDriverGlobals, Driver); }
typedef PDRIVER_OBJECT (NTAPI *PFN_WDFDRIVERWDMGETDRIVEROBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver);
static __inline PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)
{ return ((PFN_WDFDRIVERWDMGETDRIVEROBJECT)WdfFunctions[WdfDriverWdmGetDriverObjectTableIndex])(WdfDriverGlobals, Driver); }
typedef NTSTATUS (NTAPI *PFN_WDFDRIVEROPENPARAMETERSREGISTRYKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);
static __inline NTSTATUS WdfDriverOpenParametersRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{ return ((PFN_WDFDRIVEROPENPARAMETERSREGISTRYKEY)WdfFunctions[WdfDriverOpenParametersRegistryKeyTableIndex])(WdfDriverGlobals, Driver, DesiredAccess, KeyAttributes, Key); }
typedef WDFDRIVER (NTAPI *PFN_WDFWDMDRIVERGETWDFDRIVERHANDLE)(PWDF_DRIVER_GLOBALS DriverGlobals, PDRIVER_OBJECT DriverObject);
static __inline WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject)
{ return ((PFN_WDFWDMDRIVERGETWDFDRIVERHANDLE)WdfFunctions[WdfWdmDriverGetWdfDriverHandleTableIndex])(WdfDriverGlobals, DriverObject); }
typedef NTSTATUS (NTAPI *PFN_WDFDRIVERREGISTERTRACEINFO)(PWDF_DRIVER_GLOBALS DriverGlobals, PDRIVER_OBJECT DriverObject, PFN_WDF_TRACE_CALLBACK EvtTraceCallback, PVOID ControlBlock);
static __inline NTSTATUS WdfDriverRegisterTraceInfo(PDRIVER_OBJECT DriverObject, PFN_WDF_TRACE_CALLBACK EvtTraceCallback, PVOID ControlBlock)
{ return ((PFN_WDFDRIVERREGISTERTRACEINFO)WdfFunctions[WdfDriverRegisterTraceInfoTableIndex])(WdfDriverGlobals, DriverObject, EvtTraceCallback, ControlBlock); }
typedef NTSTATUS (NTAPI *PFN_WDFDRIVERRETRIEVEVERSIONSTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, WDFSTRING String);
static __inline NTSTATUS WdfDriverRetrieveVersionString(WDFDRIVER Driver, WDFSTRING String)
{ return ((PFN_WDFDRIVERRETRIEVEVERSIONSTRING)WdfFunctions[WdfDriverRetrieveVersionStringTableIndex])(WdfDriverGlobals, Driver, String); }
typedef BOOLEAN (NTAPI *PFN_WDFDRIVERISVERSIONAVAILABLE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, PWDF_DRIVER_VERSION_AVAILABLE_PARAMS VersionAvailableParams);
static __inline BOOLEAN WdfDriverIsVersionAvailable(WDFDRIVER Driver, PWDF_DRIVER_VERSION_AVAILABLE_PARAMS VersionAvailableParams)
{ return ((PFN_WDFDRIVERISVERSIONAVAILABLE)WdfFunctions[WdfDriverIsVersionAvailableTableIndex])(WdfDriverGlobals, Driver, VersionAvailableParams); }
typedef PDEVICE_OBJECT (NTAPI *PFN_WDFFDOINITWDMGETPHYSICALDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit);
static __inline PDEVICE_OBJECT WdfFdoInitWdmGetPhysicalDevice(PWDFDEVICE_INIT DeviceInit)
{ return ((PFN_WDFFDOINITWDMGETPHYSICALDEVICE)WdfFunctions[WdfFdoInitWdmGetPhysicalDeviceTableIndex])(WdfDriverGlobals, DeviceInit); }
typedef NTSTATUS (NTAPI *PFN_WDFFDOINITOPENREGISTRYKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);
static __inline NTSTATUS WdfFdoInitOpenRegistryKey(PWDFDEVICE_INIT DeviceInit, ULONG DeviceInstanceKeyType, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{ return ((PFN_WDFFDOINITOPENREGISTRYKEY)WdfFunctions[WdfFdoInitOpenRegistryKeyTableIndex])(WdfDriverGlobals, DeviceInit, DeviceInstanceKeyType, DesiredAccess, KeyAttributes, Key); }
typedef VOID (NTAPI *PFN_WDFFDOINITSETFILTER)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit);
static __inline VOID WdfFdoInitSetFilter(PWDFDEVICE_INIT DeviceInit)
{ ((PFN_WDFFDOINITSETFILTER)WdfFunctions[WdfFdoInitSetFilterTableIndex])(WdfDriverGlobals, DeviceInit); }
typedef PUNICODE_STRING (NTAPI *PFN_WDFFILEOBJECTGETFILENAME)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject);
static __inline PUNICODE_STRING WdfFileObjectGetFileName(WDFFILEOBJECT FileObject)
{ return ((PFN_WDFFILEOBJECTGETFILENAME)WdfFunctions[WdfFileObjectGetFileNameTableIndex])(WdfDriverGlobals, FileObject); }
typedef ULONG (NTAPI *PFN_WDFFILEOBJECTGETFLAGS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject);
static __inline ULONG WdfFileObjectGetFlags(WDFFILEOBJECT FileObject)
{ return ((PFN_WDFFILEOBJECTGETFLAGS)WdfFunctions[WdfFileObjectGetFlagsTableIndex])(WdfDriverGlobals, FileObject); }
typedef WDFDEVICE (NTAPI *PFN_WDFFILEOBJECTGETDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject);
static __inline WDFDEVICE WdfFileObjectGetDevice(WDFFILEOBJECT FileObject)
{ return ((PFN_WDFFILEOBJECTGETDEVICE)WdfFunctions[WdfFileObjectGetDeviceTableIndex])(WdfDriverGlobals, FileObject); }
typedef PFILE_OBJECT (NTAPI *PFN_WDFFILEOBJECTWDMGETFILEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject);
static __inline PFILE_OBJECT WdfFileObjectWdmGetFileObject(WDFFILEOBJECT FileObject)
{ return ((PFN_WDFFILEOBJECTWDMGETFILEOBJECT)WdfFunctions[WdfFileObjectWdmGetFileObjectTableIndex])(WdfDriverGlobals, FileObject); }
typedef NTSTATUS (NTAPI *PFN_WDFIOQUEUECREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config, PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue);
static __inline NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config, PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue)
{ return ((PFN_WDFIOQUEUECREATE)WdfFunctions[WdfIoQueueCreateTableIndex])(WdfDriverGlobals, Device, Config, QueueAttributes, Queue); }
typedef WDF_IO_QUEUE_STATE (NTAPI *PFN_WDFIOQUEUEGETSTATE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PULONG QueueRequests, PULONG DriverRequests);
static __inline WDF_IO_QUEUE_STATE WdfIoQueueGetState(WDFQUEUE Queue, PULONG QueueRequests, PULONG DriverRequests)
{ return ((PFN_WDFIOQUEUEGETSTATE)WdfFunctions[WdfIoQueueGetStateTableIndex])(WdfDriverGlobals, Queue, QueueRequests, DriverRequests); }
typedef VOID (NTAPI *PFN_WDFIOQUEUESTART)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue);
static __inline VOID WdfIoQueueStart(WDFQUEUE Queue)
{ ((PFN_WDFIOQUEUESTART)WdfFunctions[WdfIoQueueStartTableIndex])(WdfDriverGlobals, Queue); }
typedef VOID (NTAPI *PFN_WDFIOQUEUESTOP)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE StopComplete, WDFCONTEXT Context);
static __inline VOID WdfIoQueueStop(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE StopComplete, WDFCONTEXT Context)
{ ((PFN_WDFIOQUEUESTOP)WdfFunctions[WdfIoQueueStopTableIndex])(WdfDriverGlobals, Queue, StopComplete, Context); }
typedef VOID (NTAPI *PFN_WDFIOQUEUESTOPSYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue);
static __inline VOID WdfIoQueueStopSynchronously(WDFQUEUE Queue)
{ ((PFN_WDFIOQUEUESTOPSYNCHRONOUSLY)WdfFunctions[WdfIoQueueStopSynchronouslyTableIndex])(WdfDriverGlobals, Queue); }
typedef WDFDEVICE (NTAPI *PFN_WDFIOQUEUEGETDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue);
static __inline WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue)
{ return ((PFN_WDFIOQUEUEGETDEVICE)WdfFunctions[WdfIoQueueGetDeviceTableIndex])(WdfDriverGlobals, Queue); }
typedef NTSTATUS (NTAPI *PFN_WDFIOQUEUERETRIEVENEXTREQUEST)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, WDFREQUEST *OutRequest);
static __inline NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest)
{ return ((PFN_WDFIOQUEUERETRIEVENEXTREQUEST)WdfFunctions[WdfIoQueueRetrieveNextRequestTableIndex])(WdfDriverGlobals, Queue, OutRequest); }
typedef NTSTATUS (NTAPI *PFN_WDFIOQUEUERETRIEVEREQUESTBYFILEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, WDFFILEOBJECT FileObject, WDFREQUEST *OutRequest);
static __inline NTSTATUS WdfIoQueueRetrieveRequestByFileObject(WDFQUEUE Queue, WDFFILEOBJECT FileObject, WDFREQUEST *OutRequest)
{ return ((PFN_WDFIOQUEUERETRIEVEREQUESTBYFILEOBJECT)WdfFunctions[WdfIoQueueRetrieveRequestByFileObjectTableIndex])(WdfDriverGlobals, Queue, FileObject, OutRequest); }
typedef NTSTATUS (NTAPI *PFN_WDFIOQUEUEFINDREQUEST)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFFILEOBJECT FileObject, PWDF_REQUEST_PARAMETERS Parameters, WDFREQUEST *OutRequest);
static __inline NTSTATUS WdfIoQueueFindRequest(WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFFILEOBJECT FileObject, PWDF_REQUEST_PARAMETERS Parameters, WDFREQUEST *OutRequest)
{ return ((PFN_WDFIOQUEUEFINDREQUEST)WdfFunctions[WdfIoQueueFindRequestTableIndex])(WdfDriverGlobals, Queue, FoundRequest, FileObject, Parameters, OutRequest); }
typedef NTSTATUS (NTAPI *PFN_WDFIOQUEUERETRIEVEFOUNDREQUEST)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFREQUEST *OutRequest);
static __inline NTSTATUS WdfIoQueueRetrieveFoundRequest(WDFQUEUE Queue, WDFREQUEST FoundRequest, WDFREQUEST *OutRequest)
{ return ((PFN_WDFIOQUEUERETRIEVEFOUNDREQUEST)WdfFunctions[WdfIoQueueRetrieveFoundRequestTableIndex])(WdfDriverGlobals, Queue, FoundRequest, OutRequest); }
typedef VOID (NTAPI *PFN_WDFIOQUEUEDRAINSYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue);
static __inline VOID WdfIoQueueDrainSynchronously(WDFQUEUE Queue)
{ ((PFN_WDFIOQUEUEDRAINSYNCHRONOUSLY)WdfFunctions[WdfIoQueueDrainSynchronouslyTableIndex])(WdfDriverGlobals, Queue); }
typedef VOID (NTAPI *PFN_WDFIOQUEUEDRAIN)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE DrainComplete, WDFCONTEXT Context);
static __inline VOID WdfIoQueueDrain(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE DrainComplete, WDFCONTEXT Context)
{ ((PFN_WDFIOQUEUEDRAIN)WdfFunctions[WdfIoQueueDrainTableIndex])(WdfDriverGlobals, Queue, DrainComplete, Context); }
typedef VOID (NTAPI *PFN_WDFIOQUEUEPURGESYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue);
static __inline VOID WdfIoQueuePurgeSynchronously(WDFQUEUE Queue)
{ ((PFN_WDFIOQUEUEPURGESYNCHRONOUSLY)WdfFunctions[WdfIoQueuePurgeSynchronouslyTableIndex])(WdfDriverGlobals, Queue); }
typedef VOID (NTAPI *PFN_WDFIOQUEUEPURGE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE PurgeComplete, WDFCONTEXT Context);
static __inline VOID WdfIoQueuePurge(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE PurgeComplete, WDFCONTEXT Context)
{ ((PFN_WDFIOQUEUEPURGE)WdfFunctions[WdfIoQueuePurgeTableIndex])(WdfDriverGlobals, Queue, PurgeComplete, Context); }
typedef NTSTATUS (NTAPI *PFN_WDFIOQUEUEREADYNOTIFY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE QueueReady, WDFCONTEXT Context);
static __inline NTSTATUS WdfIoQueueReadyNotify(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE QueueReady, WDFCONTEXT Context)
{ return ((PFN_WDFIOQUEUEREADYNOTIFY)WdfFunctions[WdfIoQueueReadyNotifyTableIndex])(WdfDriverGlobals, Queue, QueueReady, Context); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PWDF_OBJECT_ATTRIBUTES IoTargetAttributes, WDFIOTARGET *IoTarget);
static __inline NTSTATUS WdfIoTargetCreate(WDFDEVICE Device, PWDF_OBJECT_ATTRIBUTES IoTargetAttributes, WDFIOTARGET *IoTarget)
{ return ((PFN_WDFIOTARGETCREATE)WdfFunctions[WdfIoTargetCreateTableIndex])(WdfDriverGlobals, Device, IoTargetAttributes, IoTarget); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETOPEN)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, PWDF_IO_TARGET_OPEN_PARAMS OpenParams);
static __inline NTSTATUS WdfIoTargetOpen(WDFIOTARGET IoTarget, PWDF_IO_TARGET_OPEN_PARAMS OpenParams)
{ return ((PFN_WDFIOTARGETOPEN)WdfFunctions[WdfIoTargetOpenTableIndex])(WdfDriverGlobals, IoTarget, OpenParams); }
typedef VOID (NTAPI *PFN_WDFIOTARGETCLOSE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline VOID WdfIoTargetClose(WDFIOTARGET IoTarget)
{ ((PFN_WDFIOTARGETCLOSE)WdfFunctions[WdfIoTargetCloseTableIndex])(WdfDriverGlobals, IoTarget); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETSTART)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline NTSTATUS WdfIoTargetStart(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETSTART)WdfFunctions[WdfIoTargetStartTableIndex])(WdfDriverGlobals, IoTarget); }
typedef VOID (NTAPI *PFN_WDFIOTARGETSTOP)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDF_IO_TARGET_SENT_IO_ACTION Action);
static __inline VOID WdfIoTargetStop(WDFIOTARGET IoTarget, WDF_IO_TARGET_SENT_IO_ACTION Action)
{ ((PFN_WDFIOTARGETSTOP)WdfFunctions[WdfIoTargetStopTableIndex])(WdfDriverGlobals, IoTarget, Action); }
typedef WDF_IO_TARGET_STATE (NTAPI *PFN_WDFIOTARGETGETSTATE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline WDF_IO_TARGET_STATE WdfIoTargetGetState(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETGETSTATE)WdfFunctions[WdfIoTargetGetStateTableIndex])(WdfDriverGlobals, IoTarget); }
typedef WDFDEVICE (NTAPI *PFN_WDFIOTARGETGETDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline WDFDEVICE WdfIoTargetGetDevice(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETGETDEVICE)WdfFunctions[WdfIoTargetGetDeviceTableIndex])(WdfDriverGlobals, IoTarget); }
typedef PDEVICE_OBJECT (NTAPI *PFN_WDFIOTARGETWDMGETTARGETDEVICEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline PDEVICE_OBJECT WdfIoTargetWdmGetTargetDeviceObject(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETWDMGETTARGETDEVICEOBJECT)WdfFunctions[WdfIoTargetWdmGetTargetDeviceObjectTableIndex])(WdfDriverGlobals, IoTarget); }
typedef PDEVICE_OBJECT (NTAPI *PFN_WDFIOTARGETWDMGETTARGETPHYSICALDEVICE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline PDEVICE_OBJECT WdfIoTargetWdmGetTargetPhysicalDevice(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETWDMGETTARGETPHYSICALDEVICE)WdfFunctions[WdfIoTargetWdmGetTargetPhysicalDeviceTableIndex])(WdfDriverGlobals, IoTarget); }
typedef PFILE_OBJECT (NTAPI *PFN_WDFIOTARGETWDMGETTARGETFILEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline PFILE_OBJECT WdfIoTargetWdmGetTargetFileObject(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETWDMGETTARGETFILEOBJECT)WdfFunctions[WdfIoTargetWdmGetTargetFileObjectTableIndex])(WdfDriverGlobals, IoTarget); }
typedef HANDLE (NTAPI *PFN_WDFIOTARGETWDMGETTARGETFILEHANDLE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget);
static __inline HANDLE WdfIoTargetWdmGetTargetFileHandle(WDFIOTARGET IoTarget)
{ return ((PFN_WDFIOTARGETWDMGETTARGETFILEHANDLE)WdfFunctions[WdfIoTargetWdmGetTargetFileHandleTableIndex])(WdfDriverGlobals, IoTarget); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETSENDREADSYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PLONGLONG DeviceOffset, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesRead);
static __inline NTSTATUS WdfIoTargetSendReadSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PLONGLONG DeviceOffset, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesRead)
{ return ((PFN_WDFIOTARGETSENDREADSYNCHRONOUSLY)WdfFunctions[WdfIoTargetSendReadSynchronouslyTableIndex])(WdfDriverGlobals, IoTarget, Request, OutputBuffer, DeviceOffset, RequestOptions, BytesRead); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETFORMATREQUESTFORREAD)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset, PLONGLONG DeviceOffset);
static __inline NTSTATUS WdfIoTargetFormatRequestForRead(WDFIOTARGET IoTarget, WDFREQUEST Request, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset, PLONGLONG DeviceOffset)
{ return ((PFN_WDFIOTARGETFORMATREQUESTFORREAD)WdfFunctions[WdfIoTargetFormatRequestForReadTableIndex])(WdfDriverGlobals, IoTarget, Request, OutputBuffer, OutputBufferOffset, DeviceOffset); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETSENDWRITESYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, PWDF_MEMORY_DESCRIPTOR InputBuffer, PLONGLONG DeviceOffset, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesWritten);
static __inline NTSTATUS WdfIoTargetSendWriteSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, PWDF_MEMORY_DESCRIPTOR InputBuffer, PLONGLONG DeviceOffset, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesWritten)
{ return ((PFN_WDFIOTARGETSENDWRITESYNCHRONOUSLY)WdfFunctions[WdfIoTargetSendWriteSynchronouslyTableIndex])(WdfDriverGlobals, IoTarget, Request, InputBuffer, DeviceOffset, RequestOptions, BytesWritten); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETFORMATREQUESTFORWRITE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, PLONGLONG DeviceOffset);
static __inline NTSTATUS WdfIoTargetFormatRequestForWrite(WDFIOTARGET IoTarget, WDFREQUEST Request, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, PLONGLONG DeviceOffset)
{ return ((PFN_WDFIOTARGETFORMATREQUESTFORWRITE)WdfFunctions[WdfIoTargetFormatRequestForWriteTableIndex])(WdfDriverGlobals, IoTarget, Request, InputBuffer, InputBufferOffset, DeviceOffset); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETSENDIOCTLSYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR InputBuffer, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned);
static __inline NTSTATUS WdfIoTargetSendIoctlSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR InputBuffer, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned)
{ return ((PFN_WDFIOTARGETSENDIOCTLSYNCHRONOUSLY)WdfFunctions[WdfIoTargetSendIoctlSynchronouslyTableIndex])(WdfDriverGlobals, IoTarget, Request, IoctlCode, InputBuffer, OutputBuffer, RequestOptions, BytesReturned); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETFORMATREQUESTFORIOCTL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset);
static __inline NTSTATUS WdfIoTargetFormatRequestForIoctl(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset)
{ return ((PFN_WDFIOTARGETFORMATREQUESTFORIOCTL)WdfFunctions[WdfIoTargetFormatRequestForIoctlTableIndex])(WdfDriverGlobals, IoTarget, Request, IoctlCode, InputBuffer, InputBufferOffset, OutputBuffer, OutputBufferOffset); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETSENDINTERNALIOCTLSYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR InputBuffer, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned);
static __inline NTSTATUS WdfIoTargetSendInternalIoctlSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR InputBuffer, PWDF_MEMORY_DESCRIPTOR OutputBuffer, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned)
{ return ((PFN_WDFIOTARGETSENDINTERNALIOCTLSYNCHRONOUSLY)WdfFunctions[WdfIoTargetSendInternalIoctlSynchronouslyTableIndex])(WdfDriverGlobals, IoTarget, Request, IoctlCode, InputBuffer, OutputBuffer, RequestOptions, BytesReturned); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETFORMATREQUESTFORINTERNALIOCTL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset);
static __inline NTSTATUS WdfIoTargetFormatRequestForInternalIoctl(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY InputBuffer, PWDFMEMORY_OFFSET InputBufferOffset, WDFMEMORY OutputBuffer, PWDFMEMORY_OFFSET OutputBufferOffset)
{ return ((PFN_WDFIOTARGETFORMATREQUESTFORINTERNALIOCTL)WdfFunctions[WdfIoTargetFormatRequestForInternalIoctlTableIndex])(WdfDriverGlobals, IoTarget, Request, IoctlCode, InputBuffer, InputBufferOffset, OutputBuffer, OutputBufferOffset); }
typedef NTSTATUS (NTAPI *PFN_WDFMEMORYCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag, size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer);
static __inline NTSTATUS WdfMemoryCreate(PWDF_OBJECT_ATTRIBUTES Attributes, POOL_TYPE PoolType, ULONG PoolTag, size_t BufferSize, WDFMEMORY *Memory, PVOID *Buffer)
{ return ((PFN_WDFMEMORYCREATE)WdfFunctions[WdfMemoryCreateTableIndex])(WdfDriverGlobals, Attributes, PoolType, PoolTag, BufferSize, Memory, Buffer); }
typedef NTSTATUS (NTAPI *PFN_WDFMEMORYCREATEPREALLOCATED)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer, size_t BufferSize, WDFMEMORY *Memory);
static __inline NTSTATUS WdfMemoryCreatePreallocated(PWDF_OBJECT_ATTRIBUTES Attributes, PVOID Buffer, size_t BufferSize, WDFMEMORY *Memory)
{ return ((PFN_WDFMEMORYCREATEPREALLOCATED)WdfFunctions[WdfMemoryCreatePreallocatedTableIndex])(WdfDriverGlobals, Attributes, Buffer, BufferSize, Memory); }
typedef PVOID (NTAPI *PFN_WDFMEMORYGETBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFMEMORY Memory, size_t *BufferSize);
static __inline PVOID WdfMemoryGetBuffer(WDFMEMORY Memory, size_t *BufferSize)
{ return ((PFN_WDFMEMORYGETBUFFER)WdfFunctions[WdfMemoryGetBufferTableIndex])(WdfDriverGlobals, Memory, BufferSize); }
typedef NTSTATUS (NTAPI *PFN_WDFMEMORYASSIGNBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFMEMORY Memory, PVOID Buffer, size_t BufferSize);
static __inline NTSTATUS WdfMemoryAssignBuffer(WDFMEMORY Memory, PVOID Buffer, size_t BufferSize)
{ return ((PFN_WDFMEMORYASSIGNBUFFER)WdfFunctions[WdfMemoryAssignBufferTableIndex])(WdfDriverGlobals, Memory, Buffer, BufferSize); }
typedef NTSTATUS (NTAPI *PFN_WDFMEMORYCOPYTOBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer, size_t NumBytesToCopyTo);
static __inline NTSTATUS WdfMemoryCopyToBuffer(WDFMEMORY SourceMemory, size_t SourceOffset, PVOID Buffer, size_t NumBytesToCopyTo)
{ return ((PFN_WDFMEMORYCOPYTOBUFFER)WdfFunctions[WdfMemoryCopyToBufferTableIndex])(WdfDriverGlobals, SourceMemory, SourceOffset, Buffer, NumBytesToCopyTo); }
typedef NTSTATUS (NTAPI *PFN_WDFMEMORYCOPYFROMBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFMEMORY DestinationMemory, size_t DestinationOffset, PVOID Buffer, size_t NumBytesToCopyFrom);
static __inline NTSTATUS WdfMemoryCopyFromBuffer(WDFMEMORY DestinationMemory, size_t DestinationOffset, PVOID Buffer, size_t NumBytesToCopyFrom)
{ return ((PFN_WDFMEMORYCOPYFROMBUFFER)WdfFunctions[WdfMemoryCopyFromBufferTableIndex])(WdfDriverGlobals, DestinationMemory, DestinationOffset, Buffer, NumBytesToCopyFrom); }
typedef NTSTATUS (NTAPI *PFN_WDFLOOKASIDELISTCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES LookasideAttributes, size_t BufferSize, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, ULONG PoolTag, WDFLOOKASIDE *Lookaside);
static __inline NTSTATUS WdfLookasideListCreate(PWDF_OBJECT_ATTRIBUTES LookasideAttributes, size_t BufferSize, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, ULONG PoolTag, WDFLOOKASIDE *Lookaside)
{ return ((PFN_WDFLOOKASIDELISTCREATE)WdfFunctions[WdfLookasideListCreateTableIndex])(WdfDriverGlobals, LookasideAttributes, BufferSize, PoolType, MemoryAttributes, PoolTag, Lookaside); }
typedef NTSTATUS (NTAPI *PFN_WDFMEMORYCREATEFROMLOOKASIDE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFLOOKASIDE Lookaside, WDFMEMORY *Memory);
static __inline NTSTATUS WdfMemoryCreateFromLookaside(WDFLOOKASIDE Lookaside, WDFMEMORY *Memory)
{ return ((PFN_WDFMEMORYCREATEFROMLOOKASIDE)WdfFunctions[WdfMemoryCreateFromLookasideTableIndex])(WdfDriverGlobals, Lookaside, Memory); }
typedef VOID (NTAPI *PFN_WDFDRIVERMINIPORTUNLOAD)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver);
static __inline VOID WdfDriverMiniportUnload(WDFDRIVER Driver)
{ ((PFN_WDFDRIVERMINIPORTUNLOAD)WdfFunctions[WdfDriverMiniportUnloadTableIndex])(WdfDriverGlobals, Driver); }
typedef PVOID (WDFFASTCALL *PFN_WDFOBJECTGETTYPEDCONTEXTWORKER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo);
static __inline PVOID WdfObjectGetTypedContextWorker(WDFOBJECT Handle, PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo)
{ return ((PFN_WDFOBJECTGETTYPEDCONTEXTWORKER)WdfFunctions[WdfObjectGetTypedContextWorkerTableIndex])(WdfDriverGlobals, Handle, TypeInfo); }
typedef NTSTATUS (NTAPI *PFN_WDFOBJECTALLOCATECONTEXT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID *Context);
static __inline NTSTATUS WdfObjectAllocateContext(WDFOBJECT Handle, PWDF_OBJECT_ATTRIBUTES ContextAttributes, PVOID *Context)
{ return ((PFN_WDFOBJECTALLOCATECONTEXT)WdfFunctions[WdfObjectAllocateContextTableIndex])(WdfDriverGlobals, Handle, ContextAttributes, Context); }
typedef WDFOBJECT (WDFFASTCALL *PFN_WDFOBJECTCONTEXTGETOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, PVOID ContextPointer);
static __inline WDFOBJECT WdfObjectContextGetObject(PVOID ContextPointer)
{ return ((PFN_WDFOBJECTCONTEXTGETOBJECT)WdfFunctions[WdfObjectContextGetObjectTableIndex])(WdfDriverGlobals, ContextPointer); }
typedef VOID (NTAPI *PFN_WDFOBJECTREFERENCEACTUAL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PVOID Tag, LONG Line, PCCHAR File);
static __inline VOID WdfObjectReferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCHAR File)
{ ((PFN_WDFOBJECTREFERENCEACTUAL)WdfFunctions[WdfObjectReferenceActualTableIndex])(WdfDriverGlobals, Handle, Tag, Line, File); }
typedef VOID (NTAPI *PFN_WDFOBJECTDEREFERENCEACTUAL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Handle, PVOID Tag, LONG Line, PCCHAR File);
static __inline VOID WdfObjectDereferenceActual(WDFOBJECT Handle, PVOID Tag, LONG Line, PCCHAR File)
{ ((PFN_WDFOBJECTDEREFERENCEACTUAL)WdfFunctions[WdfObjectDereferenceActualTableIndex])(WdfDriverGlobals, Handle, Tag, Line, File); }
typedef NTSTATUS (NTAPI *PFN_WDFOBJECTCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES Attributes, WDFOBJECT *Object);
static __inline NTSTATUS WdfObjectCreate(PWDF_OBJECT_ATTRIBUTES Attributes, WDFOBJECT *Object)
{ return ((PFN_WDFOBJECTCREATE)WdfFunctions[WdfObjectCreateTableIndex])(WdfDriverGlobals, Attributes, Object); }
typedef VOID (NTAPI *PFN_WDFOBJECTDELETE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Object);
static __inline VOID WdfObjectDelete(WDFOBJECT Object)
{ ((PFN_WDFOBJECTDELETE)WdfFunctions[WdfObjectDeleteTableIndex])(WdfDriverGlobals, Object); }
typedef NTSTATUS (NTAPI *PFN_WDFOBJECTQUERY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Object, CONST GUID *Guid, ULONG QueryBufferLength, PVOID QueryBuffer);
static __inline NTSTATUS WdfObjectQuery(WDFOBJECT Object, CONST GUID *Guid, ULONG QueryBufferLength, PVOID QueryBuffer)
{ return ((PFN_WDFOBJECTQUERY)WdfFunctions[WdfObjectQueryTableIndex])(WdfDriverGlobals, Object, Guid, QueryBufferLength, QueryBuffer); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYOPENKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);
static __inline NTSTATUS WdfRegistryOpenKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{ return ((PFN_WDFREGISTRYOPENKEY)WdfFunctions[WdfRegistryOpenKeyTableIndex])(WdfDriverGlobals, ParentKey, KeyName, DesiredAccess, KeyAttributes, Key); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYCREATEKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess, ULONG CreateOptions, PULONG CreateDisposition, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);
static __inline NTSTATUS WdfRegistryCreateKey(WDFKEY ParentKey, PCUNICODE_STRING KeyName, ACCESS_MASK DesiredAccess, ULONG CreateOptions, PULONG CreateDisposition, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{ return ((PFN_WDFREGISTRYCREATEKEY)WdfFunctions[WdfRegistryCreateKeyTableIndex])(WdfDriverGlobals, ParentKey, KeyName, DesiredAccess, CreateOptions, CreateDisposition, KeyAttributes, Key); }
typedef VOID (NTAPI *PFN_WDFREGISTRYCLOSE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key);
static __inline VOID WdfRegistryClose(WDFKEY Key)
{ ((PFN_WDFREGISTRYCLOSE)WdfFunctions[WdfRegistryCloseTableIndex])(WdfDriverGlobals, Key); }
typedef HANDLE (NTAPI *PFN_WDFREGISTRYWDMGETHANDLE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key);
static __inline HANDLE WdfRegistryWdmGetHandle(WDFKEY Key)
{ return ((PFN_WDFREGISTRYWDMGETHANDLE)WdfFunctions[WdfRegistryWdmGetHandleTableIndex])(WdfDriverGlobals, Key); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYREMOVEKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key);
static __inline NTSTATUS WdfRegistryRemoveKey(WDFKEY Key)
{ return ((PFN_WDFREGISTRYREMOVEKEY)WdfFunctions[WdfRegistryRemoveKeyTableIndex])(WdfDriverGlobals, Key); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYREMOVEVALUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName);
static __inline NTSTATUS WdfRegistryRemoveValue(WDFKEY Key, PCUNICODE_STRING ValueName)
{ return ((PFN_WDFREGISTRYREMOVEVALUE)WdfFunctions[WdfRegistryRemoveValueTableIndex])(WdfDriverGlobals, Key, ValueName); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYQUERYVALUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength, PVOID Value, PULONG ValueLengthQueried, PULONG ValueType);
static __inline NTSTATUS WdfRegistryQueryValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueLength, PVOID Value, PULONG ValueLengthQueried, PULONG ValueType)
{ return ((PFN_WDFREGISTRYQUERYVALUE)WdfFunctions[WdfRegistryQueryValueTableIndex])(WdfDriverGlobals, Key, ValueName, ValueLength, Value, ValueLengthQueried, ValueType); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYQUERYMEMORY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, WDFMEMORY *Memory, PULONG ValueType);
static __inline NTSTATUS WdfRegistryQueryMemory(WDFKEY Key, PCUNICODE_STRING ValueName, POOL_TYPE PoolType, PWDF_OBJECT_ATTRIBUTES MemoryAttributes, WDFMEMORY *Memory, PULONG ValueType)
{ return ((PFN_WDFREGISTRYQUERYMEMORY)WdfFunctions[WdfRegistryQueryMemoryTableIndex])(WdfDriverGlobals, Key, ValueName, PoolType, MemoryAttributes, Memory, ValueType); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYQUERYMULTISTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, PWDF_OBJECT_ATTRIBUTES StringsAttributes, WDFCOLLECTION Collection);
static __inline NTSTATUS WdfRegistryQueryMultiString(WDFKEY Key, PCUNICODE_STRING ValueName, PWDF_OBJECT_ATTRIBUTES StringsAttributes, WDFCOLLECTION Collection)
{ return ((PFN_WDFREGISTRYQUERYMULTISTRING)WdfFunctions[WdfRegistryQueryMultiStringTableIndex])(WdfDriverGlobals, Key, ValueName, StringsAttributes, Collection); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYQUERYUNICODESTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, PUSHORT ValueByteLength, PUNICODE_STRING Value);
static __inline NTSTATUS WdfRegistryQueryUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PUSHORT ValueByteLength, PUNICODE_STRING Value)
{ return ((PFN_WDFREGISTRYQUERYUNICODESTRING)WdfFunctions[WdfRegistryQueryUnicodeStringTableIndex])(WdfDriverGlobals, Key, ValueName, ValueByteLength, Value); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYQUERYSTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String);
static __inline NTSTATUS WdfRegistryQueryString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)
{ return ((PFN_WDFREGISTRYQUERYSTRING)WdfFunctions[WdfRegistryQueryStringTableIndex])(WdfDriverGlobals, Key, ValueName, String); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYQUERYULONG)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value);
static __inline NTSTATUS WdfRegistryQueryULong(WDFKEY Key, PCUNICODE_STRING ValueName, PULONG Value)
{ return ((PFN_WDFREGISTRYQUERYULONG)WdfFunctions[WdfRegistryQueryULongTableIndex])(WdfDriverGlobals, Key, ValueName, Value); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYASSIGNVALUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, ULONG ValueLength, PVOID Value);
static __inline NTSTATUS WdfRegistryAssignValue(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, ULONG ValueLength, PVOID Value)
{ return ((PFN_WDFREGISTRYASSIGNVALUE)WdfFunctions[WdfRegistryAssignValueTableIndex])(WdfDriverGlobals, Key, ValueName, ValueType, ValueLength, Value); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYASSIGNMEMORY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, WDFMEMORY Memory, PWDFMEMORY_OFFSET MemoryOffsets);
static __inline NTSTATUS WdfRegistryAssignMemory(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG ValueType, WDFMEMORY Memory, PWDFMEMORY_OFFSET MemoryOffsets)
{ return ((PFN_WDFREGISTRYASSIGNMEMORY)WdfFunctions[WdfRegistryAssignMemoryTableIndex])(WdfDriverGlobals, Key, ValueName, ValueType, Memory, MemoryOffsets); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYASSIGNMULTISTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, WDFCOLLECTION StringsCollection);
static __inline NTSTATUS WdfRegistryAssignMultiString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFCOLLECTION StringsCollection)
{ return ((PFN_WDFREGISTRYASSIGNMULTISTRING)WdfFunctions[WdfRegistryAssignMultiStringTableIndex])(WdfDriverGlobals, Key, ValueName, StringsCollection); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYASSIGNUNICODESTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, PCUNICODE_STRING Value);
static __inline NTSTATUS WdfRegistryAssignUnicodeString(WDFKEY Key, PCUNICODE_STRING ValueName, PCUNICODE_STRING Value)
{ return ((PFN_WDFREGISTRYASSIGNUNICODESTRING)WdfFunctions[WdfRegistryAssignUnicodeStringTableIndex])(WdfDriverGlobals, Key, ValueName, Value); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYASSIGNSTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String);
static __inline NTSTATUS WdfRegistryAssignString(WDFKEY Key, PCUNICODE_STRING ValueName, WDFSTRING String)
{ return ((PFN_WDFREGISTRYASSIGNSTRING)WdfFunctions[WdfRegistryAssignStringTableIndex])(WdfDriverGlobals, Key, ValueName, String); }
typedef NTSTATUS (NTAPI *PFN_WDFREGISTRYASSIGNULONG)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFKEY Key, PCUNICODE_STRING ValueName, ULONG Value);
static __inline NTSTATUS WdfRegistryAssignULong(WDFKEY Key, PCUNICODE_STRING ValueName, ULONG Value)
{ return ((PFN_WDFREGISTRYASSIGNULONG)WdfFunctions[WdfRegistryAssignULongTableIndex])(WdfDriverGlobals, Key, ValueName, Value); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES RequestAttributes, WDFIOTARGET IoTarget, WDFREQUEST *Request);
static __inline NTSTATUS WdfRequestCreate(PWDF_OBJECT_ATTRIBUTES RequestAttributes, WDFIOTARGET IoTarget, WDFREQUEST *Request)
{ return ((PFN_WDFREQUESTCREATE)WdfFunctions[WdfRequestCreateTableIndex])(WdfDriverGlobals, RequestAttributes, IoTarget, Request); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTREUSE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PWDF_REQUEST_REUSE_PARAMS ReuseParams);
static __inline NTSTATUS WdfRequestReuse(WDFREQUEST Request, PWDF_REQUEST_REUSE_PARAMS ReuseParams)
{ return ((PFN_WDFREQUESTREUSE)WdfFunctions[WdfRequestReuseTableIndex])(WdfDriverGlobals, Request, ReuseParams); }
typedef VOID (NTAPI *PFN_WDFREQUESTFORMATREQUESTUSINGCURRENTTYPE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline VOID WdfRequestFormatRequestUsingCurrentType(WDFREQUEST Request)
{ ((PFN_WDFREQUESTFORMATREQUESTUSINGCURRENTTYPE)WdfFunctions[WdfRequestFormatRequestUsingCurrentTypeTableIndex])(WdfDriverGlobals, Request); }
typedef BOOLEAN (NTAPI *PFN_WDFREQUESTSEND)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, WDFIOTARGET Target, PWDF_REQUEST_SEND_OPTIONS Options);
static __inline BOOLEAN WdfRequestSend(WDFREQUEST Request, WDFIOTARGET Target, PWDF_REQUEST_SEND_OPTIONS Options)
{ return ((PFN_WDFREQUESTSEND)WdfFunctions[WdfRequestSendTableIndex])(WdfDriverGlobals, Request, Target, Options); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTGETSTATUS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline NTSTATUS WdfRequestGetStatus(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTGETSTATUS)WdfFunctions[WdfRequestGetStatusTableIndex])(WdfDriverGlobals, Request); }
typedef VOID (NTAPI *PFN_WDFREQUESTMARKCANCELABLE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel);
static __inline VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{ ((PFN_WDFREQUESTMARKCANCELABLE)WdfFunctions[WdfRequestMarkCancelableTableIndex])(WdfDriverGlobals, Request, EvtRequestCancel); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTUNMARKCANCELABLE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTUNMARKCANCELABLE)WdfFunctions[WdfRequestUnmarkCancelableTableIndex])(WdfDriverGlobals, Request); }
typedef BOOLEAN (NTAPI *PFN_WDFREQUESTISCANCELED)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTISCANCELED)WdfFunctions[WdfRequestIsCanceledTableIndex])(WdfDriverGlobals, Request); }
typedef BOOLEAN (NTAPI *PFN_WDFREQUESTCANCELSENTREQUEST)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline BOOLEAN WdfRequestCancelSentRequest(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTCANCELSENTREQUEST)WdfFunctions[WdfRequestCancelSentRequestTableIndex])(WdfDriverGlobals, Request); }
typedef BOOLEAN (NTAPI *PFN_WDFREQUESTISFROM32BITPROCESS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline BOOLEAN WdfRequestIsFrom32BitProcess(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTISFROM32BITPROCESS)WdfFunctions[WdfRequestIsFrom32BitProcessTableIndex])(WdfDriverGlobals, Request); }
typedef VOID (NTAPI *PFN_WDFREQUESTSETCOMPLETIONROUTINE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PFN_WDF_REQUEST_COMPLETION_ROUTINE CompletionRoutine, WDFCONTEXT CompletionContext);
static __inline VOID WdfRequestSetCompletionRoutine(WDFREQUEST Request, PFN_WDF_REQUEST_COMPLETION_ROUTINE CompletionRoutine, WDFCONTEXT CompletionContext)
{ ((PFN_WDFREQUESTSETCOMPLETIONROUTINE)WdfFunctions[WdfRequestSetCompletionRoutineTableIndex])(WdfDriverGlobals, Request, CompletionRoutine, CompletionContext); }
typedef VOID (NTAPI *PFN_WDFREQUESTGETCOMPLETIONPARAMS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PWDF_REQUEST_COMPLETION_PARAMS Params);
static __inline VOID WdfRequestGetCompletionParams(WDFREQUEST Request, PWDF_REQUEST_COMPLETION_PARAMS Params)
{ ((PFN_WDFREQUESTGETCOMPLETIONPARAMS)WdfFunctions[WdfRequestGetCompletionParamsTableIndex])(WdfDriverGlobals, Request, Params); }
typedef VOID (NTAPI *PFN_WDFREQUESTCOMPLETE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, NTSTATUS Status);
static __inline VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status)
{ ((PFN_WDFREQUESTCOMPLETE)WdfFunctions[WdfRequestCompleteTableIndex])(WdfDriverGlobals, Request, Status); }
typedef VOID (NTAPI *PFN_WDFREQUESTCOMPLETEWITHPRIORITYBOOST)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, NTSTATUS Status, CCHAR PriorityBoost);
static __inline VOID WdfRequestCompleteWithPriorityBoost(WDFREQUEST Request, NTSTATUS Status, CCHAR PriorityBoost)
{ ((PFN_WDFREQUESTCOMPLETEWITHPRIORITYBOOST)WdfFunctions[WdfRequestCompleteWithPriorityBoostTableIndex])(WdfDriverGlobals, Request, Status, PriorityBoost); }
typedef VOID (NTAPI *PFN_WDFREQUESTCOMPLETEWITHINFORMATION)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information);
static __inline VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status, ULONG_PTR Information)
{ ((PFN_WDFREQUESTCOMPLETEWITHINFORMATION)WdfFunctions[WdfRequestCompleteWithInformationTableIndex])(WdfDriverGlobals, Request, Status, Information); }
typedef VOID (NTAPI *PFN_WDFREQUESTGETPARAMETERS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters);
static __inline VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters)
{ ((PFN_WDFREQUESTGETPARAMETERS)WdfFunctions[WdfRequestGetParametersTableIndex])(WdfDriverGlobals, Request, Parameters); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEINPUTMEMORY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, WDFMEMORY *Memory);
static __inline NTSTATUS WdfRequestRetrieveInputMemory(WDFREQUEST Request, WDFMEMORY *Memory)
{ return ((PFN_WDFREQUESTRETRIEVEINPUTMEMORY)WdfFunctions[WdfRequestRetrieveInputMemoryTableIndex])(WdfDriverGlobals, Request, Memory); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEOUTPUTMEMORY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, WDFMEMORY *Memory);
static __inline NTSTATUS WdfRequestRetrieveOutputMemory(WDFREQUEST Request, WDFMEMORY *Memory)
{ return ((PFN_WDFREQUESTRETRIEVEOUTPUTMEMORY)WdfFunctions[WdfRequestRetrieveOutputMemoryTableIndex])(WdfDriverGlobals, Request, Memory); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEINPUTBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *Buffer, size_t *Length);
static __inline NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *Buffer, size_t *Length)
{ return ((PFN_WDFREQUESTRETRIEVEINPUTBUFFER)WdfFunctions[WdfRequestRetrieveInputBufferTableIndex])(WdfDriverGlobals, Request, MinimumRequiredLength, Buffer, Length); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEOUTPUTBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer, size_t *Length);
static __inline NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize, PVOID *Buffer, size_t *Length)
{ return ((PFN_WDFREQUESTRETRIEVEOUTPUTBUFFER)WdfFunctions[WdfRequestRetrieveOutputBufferTableIndex])(WdfDriverGlobals, Request, MinimumRequiredSize, Buffer, Length); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEINPUTWDMMDL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PMDL *Mdl);
static __inline NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{ return ((PFN_WDFREQUESTRETRIEVEINPUTWDMMDL)WdfFunctions[WdfRequestRetrieveInputWdmMdlTableIndex])(WdfDriverGlobals, Request, Mdl); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEOUTPUTWDMMDL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PMDL *Mdl);
static __inline NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{ return ((PFN_WDFREQUESTRETRIEVEOUTPUTWDMMDL)WdfFunctions[WdfRequestRetrieveOutputWdmMdlTableIndex])(WdfDriverGlobals, Request, Mdl); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEUNSAFEUSERINPUTBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *InputBuffer, size_t *Length);
static __inline NTSTATUS WdfRequestRetrieveUnsafeUserInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *InputBuffer, size_t *Length)
{ return ((PFN_WDFREQUESTRETRIEVEUNSAFEUSERINPUTBUFFER)WdfFunctions[WdfRequestRetrieveUnsafeUserInputBufferTableIndex])(WdfDriverGlobals, Request, MinimumRequiredLength, InputBuffer, Length); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTRETRIEVEUNSAFEUSEROUTPUTBUFFER)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *OutputBuffer, size_t *Length);
static __inline NTSTATUS WdfRequestRetrieveUnsafeUserOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength, PVOID *OutputBuffer, size_t *Length)
{ return ((PFN_WDFREQUESTRETRIEVEUNSAFEUSEROUTPUTBUFFER)WdfFunctions[WdfRequestRetrieveUnsafeUserOutputBufferTableIndex])(WdfDriverGlobals, Request, MinimumRequiredLength, OutputBuffer, Length); }
typedef VOID (NTAPI *PFN_WDFREQUESTSETINFORMATION)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, ULONG_PTR Information);
static __inline VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information)
{ ((PFN_WDFREQUESTSETINFORMATION)WdfFunctions[WdfRequestSetInformationTableIndex])(WdfDriverGlobals, Request, Information); }
typedef ULONG_PTR (NTAPI *PFN_WDFREQUESTGETINFORMATION)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTGETINFORMATION)WdfFunctions[WdfRequestGetInformationTableIndex])(WdfDriverGlobals, Request); }
typedef WDFFILEOBJECT (NTAPI *PFN_WDFREQUESTGETFILEOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline WDFFILEOBJECT WdfRequestGetFileObject(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTGETFILEOBJECT)WdfFunctions[WdfRequestGetFileObjectTableIndex])(WdfDriverGlobals, Request); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTPROBEANDLOCKUSERBUFFERFORREAD)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PVOID Buffer, size_t Length, WDFMEMORY *MemoryObject);
static __inline NTSTATUS WdfRequestProbeAndLockUserBufferForRead(WDFREQUEST Request, PVOID Buffer, size_t Length, WDFMEMORY *MemoryObject)
{ return ((PFN_WDFREQUESTPROBEANDLOCKUSERBUFFERFORREAD)WdfFunctions[WdfRequestProbeAndLockUserBufferForReadTableIndex])(WdfDriverGlobals, Request, Buffer, Length, MemoryObject); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTPROBEANDLOCKUSERBUFFERFORWRITE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PVOID Buffer, size_t Length, WDFMEMORY *MemoryObject);
static __inline NTSTATUS WdfRequestProbeAndLockUserBufferForWrite(WDFREQUEST Request, PVOID Buffer, size_t Length, WDFMEMORY *MemoryObject)
{ return ((PFN_WDFREQUESTPROBEANDLOCKUSERBUFFERFORWRITE)WdfFunctions[WdfRequestProbeAndLockUserBufferForWriteTableIndex])(WdfDriverGlobals, Request, Buffer, Length, MemoryObject); }
typedef KPROCESSOR_MODE (NTAPI *PFN_WDFREQUESTGETREQUESTORMODE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTGETREQUESTORMODE)WdfFunctions[WdfRequestGetRequestorModeTableIndex])(WdfDriverGlobals, Request); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTFORWARDTOIOQUEUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, WDFQUEUE DestinationQueue);
static __inline NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue)
{ return ((PFN_WDFREQUESTFORWARDTOIOQUEUE)WdfFunctions[WdfRequestForwardToIoQueueTableIndex])(WdfDriverGlobals, Request, DestinationQueue); }
typedef WDFQUEUE (NTAPI *PFN_WDFREQUESTGETIOQUEUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTGETIOQUEUE)WdfFunctions[WdfRequestGetIoQueueTableIndex])(WdfDriverGlobals, Request); }
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTREQUEUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline NTSTATUS WdfRequestRequeue(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTREQUEUE)WdfFunctions[WdfRequestRequeueTableIndex])(WdfDriverGlobals, Request); }
typedef VOID (NTAPI *PFN_WDFREQUESTSTOPACKNOWLEDGE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, BOOLEAN Requeue);
static __inline VOID WdfRequestStopAcknowledge(WDFREQUEST Request, BOOLEAN Requeue)
{ ((PFN_WDFREQUESTSTOPACKNOWLEDGE)WdfFunctions[WdfRequestStopAcknowledgeTableIndex])(WdfDriverGlobals, Request, Requeue); }
typedef PIRP (NTAPI *PFN_WDFREQUESTWDMGETIRP)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline PIRP WdfRequestWdmGetIrp(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTWDMGETIRP)WdfFunctions[WdfRequestWdmGetIrpTableIndex])(WdfDriverGlobals, Request); }
typedef NTSTATUS (NTAPI *PFN_WDFSTRINGCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES StringAttributes, WDFSTRING *String);
static __inline NTSTATUS WdfStringCreate(PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES StringAttributes, WDFSTRING *String)
{ return ((PFN_WDFSTRINGCREATE)WdfFunctions[WdfStringCreateTableIndex])(WdfDriverGlobals, UnicodeString, StringAttributes, String); }
typedef VOID (NTAPI *PFN_WDFSTRINGGETUNICODESTRING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFSTRING String, PUNICODE_STRING UnicodeString);
static __inline VOID WdfStringGetUnicodeString(WDFSTRING String, PUNICODE_STRING UnicodeString)
{ ((PFN_WDFSTRINGGETUNICODESTRING)WdfFunctions[WdfStringGetUnicodeStringTableIndex])(WdfDriverGlobals, String, UnicodeString); }
typedef VOID (NTAPI *PFN_WDFOBJECTACQUIRELOCK)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Object);
static __inline VOID WdfObjectAcquireLock(WDFOBJECT Object)
{ ((PFN_WDFOBJECTACQUIRELOCK)WdfFunctions[WdfObjectAcquireLockTableIndex])(WdfDriverGlobals, Object); }
typedef VOID (NTAPI *PFN_WDFOBJECTRELEASELOCK)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFOBJECT Object);
static __inline VOID WdfObjectReleaseLock(WDFOBJECT Object)
{ ((PFN_WDFOBJECTRELEASELOCK)WdfFunctions[WdfObjectReleaseLockTableIndex])(WdfDriverGlobals, Object); }
typedef NTSTATUS (NTAPI *PFN_WDFWAITLOCKCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES LockAttributes, WDFWAITLOCK *Lock);
static __inline NTSTATUS WdfWaitLockCreate(PWDF_OBJECT_ATTRIBUTES LockAttributes, WDFWAITLOCK *Lock)
{ return ((PFN_WDFWAITLOCKCREATE)WdfFunctions[WdfWaitLockCreateTableIndex])(WdfDriverGlobals, LockAttributes, Lock); }
typedef NTSTATUS (NTAPI *PFN_WDFWAITLOCKACQUIRE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWAITLOCK Lock, PLONGLONG Timeout);
static __inline NTSTATUS WdfWaitLockAcquire(WDFWAITLOCK Lock, PLONGLONG Timeout)
{ return ((PFN_WDFWAITLOCKACQUIRE)WdfFunctions[WdfWaitLockAcquireTableIndex])(WdfDriverGlobals, Lock, Timeout); }
typedef VOID (NTAPI *PFN_WDFWAITLOCKRELEASE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWAITLOCK Lock);
static __inline VOID WdfWaitLockRelease(WDFWAITLOCK Lock)
{ ((PFN_WDFWAITLOCKRELEASE)WdfFunctions[WdfWaitLockReleaseTableIndex])(WdfDriverGlobals, Lock); }
typedef NTSTATUS (NTAPI *PFN_WDFSPINLOCKCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock);
static __inline NTSTATUS WdfSpinLockCreate(PWDF_OBJECT_ATTRIBUTES SpinLockAttributes, WDFSPINLOCK *SpinLock)
{ return ((PFN_WDFSPINLOCKCREATE)WdfFunctions[WdfSpinLockCreateTableIndex])(WdfDriverGlobals, SpinLockAttributes, SpinLock); }
typedef VOID (NTAPI *PFN_WDFSPINLOCKACQUIRE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFSPINLOCK SpinLock);
static __inline VOID WdfSpinLockAcquire(WDFSPINLOCK SpinLock)
{ ((PFN_WDFSPINLOCKACQUIRE)WdfFunctions[WdfSpinLockAcquireTableIndex])(WdfDriverGlobals, SpinLock); }
typedef VOID (NTAPI *PFN_WDFSPINLOCKRELEASE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFSPINLOCK SpinLock);
static __inline VOID WdfSpinLockRelease(WDFSPINLOCK SpinLock)
{ ((PFN_WDFSPINLOCKRELEASE)WdfFunctions[WdfSpinLockReleaseTableIndex])(WdfDriverGlobals, SpinLock); }
typedef NTSTATUS (NTAPI *PFN_WDFTIMERCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFTIMER *Timer);
static __inline NTSTATUS WdfTimerCreate(PWDF_TIMER_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFTIMER *Timer)
{ return ((PFN_WDFTIMERCREATE)WdfFunctions[WdfTimerCreateTableIndex])(WdfDriverGlobals, Config, Attributes, Timer); }
typedef BOOLEAN (NTAPI *PFN_WDFTIMERSTART)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFTIMER Timer, LONGLONG DueTime);
static __inline BOOLEAN WdfTimerStart(WDFTIMER Timer, LONGLONG DueTime)
{ return ((PFN_WDFTIMERSTART)WdfFunctions[WdfTimerStartTableIndex])(WdfDriverGlobals, Timer, DueTime); }
typedef BOOLEAN (NTAPI *PFN_WDFTIMERSTOP)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFTIMER Timer, BOOLEAN Wait);
static __inline BOOLEAN WdfTimerStop(WDFTIMER Timer, BOOLEAN Wait)
{ return ((PFN_WDFTIMERSTOP)WdfFunctions[WdfTimerStopTableIndex])(WdfDriverGlobals, Timer, Wait); }
typedef WDFOBJECT (NTAPI *PFN_WDFTIMERGETPARENTOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFTIMER Timer);
static __inline WDFOBJECT WdfTimerGetParentObject(WDFTIMER Timer)
{ return ((PFN_WDFTIMERGETPARENTOBJECT)WdfFunctions[WdfTimerGetParentObjectTableIndex])(WdfDriverGlobals, Timer); }
typedef VOID (NTAPI *PFN_WDFVERIFIERDBGBREAKPOINT)(PWDF_DRIVER_GLOBALS DriverGlobals);
static __inline VOID WdfVerifierDbgBreakPoint(void)
{ ((PFN_WDFVERIFIERDBGBREAKPOINT)WdfFunctions[WdfVerifierDbgBreakPointTableIndex])(WdfDriverGlobals); }
typedef VOID (NTAPI *PFN_WDFVERIFIERKEBUGCHECK)(PWDF_DRIVER_GLOBALS DriverGlobals, ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4);
static __inline VOID WdfVerifierKeBugCheck(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)
{ ((PFN_WDFVERIFIERKEBUGCHECK)WdfFunctions[WdfVerifierKeBugCheckTableIndex])(WdfDriverGlobals, BugCheckCode, BugCheckParameter1, BugCheckParameter2, BugCheckParameter3, BugCheckParameter4); }
typedef NTSTATUS (NTAPI *PFN_WDFWORKITEMCREATE)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFWORKITEM *WorkItem);
static __inline NTSTATUS WdfWorkItemCreate(PWDF_WORKITEM_CONFIG Config, PWDF_OBJECT_ATTRIBUTES Attributes, WDFWORKITEM *WorkItem)
{ return ((PFN_WDFWORKITEMCREATE)WdfFunctions[WdfWorkItemCreateTableIndex])(WdfDriverGlobals, Config, Attributes, WorkItem); }
typedef VOID (NTAPI *PFN_WDFWORKITEMENQUEUE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWORKITEM WorkItem);
static __inline VOID WdfWorkItemEnqueue(WDFWORKITEM WorkItem)
{ ((PFN_WDFWORKITEMENQUEUE)WdfFunctions[WdfWorkItemEnqueueTableIndex])(WdfDriverGlobals, WorkItem); }
typedef WDFOBJECT (NTAPI *PFN_WDFWORKITEMGETPARENTOBJECT)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWORKITEM WorkItem);
static __inline WDFOBJECT WdfWorkItemGetParentObject(WDFWORKITEM WorkItem)
{ return ((PFN_WDFWORKITEMGETPARENTOBJECT)WdfFunctions[WdfWorkItemGetParentObjectTableIndex])(WdfDriverGlobals, WorkItem); }
typedef VOID (NTAPI *PFN_WDFWORKITEMFLUSH)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFWORKITEM WorkItem);
static __inline VOID WdfWorkItemFlush(WDFWORKITEM WorkItem)
{ ((PFN_WDFWORKITEMFLUSH)WdfFunctions[WdfWorkItemFlushTableIndex])(WdfDriverGlobals, WorkItem); }
#if WDF_FUNCTION_COUNT > 393
typedef NTSTATUS (NTAPI *PFN_WDFREQUESTMARKCANCELABLEEX)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel);
static __inline NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{ return ((PFN_WDFREQUESTMARKCANCELABLEEX)WdfFunctions[WdfRequestMarkCancelableExTableIndex])(WdfDriverGlobals, Request, EvtRequestCancel); }
#endif
#if WDF_FUNCTION_COUNT > 418
typedef VOID (NTAPI *PFN_WDFIOQUEUESTOPANDPURGE)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE StopAndPurgeComplete, WDFCONTEXT Context);
static __inline VOID WdfIoQueueStopAndPurge(WDFQUEUE Queue, PFN_WDF_IO_QUEUE_STATE StopAndPurgeComplete, WDFCONTEXT Context)
{ ((PFN_WDFIOQUEUESTOPANDPURGE)WdfFunctions[WdfIoQueueStopAndPurgeTableIndex])(WdfDriverGlobals, Queue, StopAndPurgeComplete, Context); }
#endif
#if WDF_FUNCTION_COUNT > 419
typedef VOID (NTAPI *PFN_WDFIOQUEUESTOPANDPURGESYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFQUEUE Queue);
static __inline VOID WdfIoQueueStopAndPurgeSynchronously(WDFQUEUE Queue)
{ ((PFN_WDFIOQUEUESTOPANDPURGESYNCHRONOUSLY)WdfFunctions[WdfIoQueueStopAndPurgeSynchronouslyTableIndex])(WdfDriverGlobals, Queue); }
#endif
#if WDF_FUNCTION_COUNT > 431
typedef PVOID (NTAPI *PFN_WDFGETTRIAGEINFO)(PWDF_DRIVER_GLOBALS DriverGlobals);
static __inline PVOID WdfGetTriageInfo(void)
{ return ((PFN_WDFGETTRIAGEINFO)WdfFunctions[WdfGetTriageInfoTableIndex])(WdfDriverGlobals); }
#endif
#if WDF_FUNCTION_COUNT > 432
typedef VOID (NTAPI *PFN_WDFDEVICEINITSETIOTYPEEX)(PWDF_DRIVER_GLOBALS DriverGlobals, PWDFDEVICE_INIT DeviceInit, PWDF_IO_TYPE_CONFIG IoTypeConfig);
static __inline VOID WdfDeviceInitSetIoTypeEx(PWDFDEVICE_INIT DeviceInit, PWDF_IO_TYPE_CONFIG IoTypeConfig)
{ ((PFN_WDFDEVICEINITSETIOTYPEEX)WdfFunctions[WdfDeviceInitSetIoTypeExTableIndex])(WdfDriverGlobals, DeviceInit, IoTypeConfig); }
#endif
#if WDF_FUNCTION_COUNT > 438
typedef NTSTATUS (NTAPI *PFN_WDFDEVICESTOPIDLEACTUAL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, BOOLEAN WaitForD0, PVOID Tag, LONG Line, PCCHAR File);
static __inline NTSTATUS WdfDeviceStopIdleActual(WDFDEVICE Device, BOOLEAN WaitForD0, PVOID Tag, LONG Line, PCCHAR File)
{ return ((PFN_WDFDEVICESTOPIDLEACTUAL)WdfFunctions[WdfDeviceStopIdleActualTableIndex])(WdfDriverGlobals, Device, WaitForD0, Tag, Line, File); }
#endif
#if WDF_FUNCTION_COUNT > 439
typedef VOID (NTAPI *PFN_WDFDEVICERESUMEIDLEACTUAL)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDEVICE Device, PVOID Tag, LONG Line, PCCHAR File);
static __inline VOID WdfDeviceResumeIdleActual(WDFDEVICE Device, PVOID Tag, LONG Line, PCCHAR File)
{ ((PFN_WDFDEVICERESUMEIDLEACTUAL)WdfFunctions[WdfDeviceResumeIdleActualTableIndex])(WdfDriverGlobals, Device, Tag, Line, File); }
#endif
#if WDF_FUNCTION_COUNT > 446
typedef ULONG (NTAPI *PFN_WDFFILEOBJECTGETINITIATORPROCESSID)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFFILEOBJECT FileObject);
static __inline ULONG WdfFileObjectGetInitiatorProcessId(WDFFILEOBJECT FileObject)
{ return ((PFN_WDFFILEOBJECTGETINITIATORPROCESSID)WdfFunctions[WdfFileObjectGetInitiatorProcessIdTableIndex])(WdfDriverGlobals, FileObject); }
#endif
#if WDF_FUNCTION_COUNT > 447
typedef ULONG (NTAPI *PFN_WDFREQUESTGETREQUESTORPROCESSID)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFREQUEST Request);
static __inline ULONG WdfRequestGetRequestorProcessId(WDFREQUEST Request)
{ return ((PFN_WDFREQUESTGETREQUESTORPROCESSID)WdfFunctions[WdfRequestGetRequestorProcessIdTableIndex])(WdfDriverGlobals, Request); }
#endif
#if WDF_FUNCTION_COUNT > 451
typedef NTSTATUS (NTAPI *PFN_WDFDRIVEROPENPERSISTENTSTATEREGISTRYKEY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key);
static __inline NTSTATUS WdfDriverOpenPersistentStateRegistryKey(WDFDRIVER Driver, ACCESS_MASK DesiredAccess, PWDF_OBJECT_ATTRIBUTES KeyAttributes, WDFKEY *Key)
{ return ((PFN_WDFDRIVEROPENPERSISTENTSTATEREGISTRYKEY)WdfFunctions[WdfDriverOpenPersistentStateRegistryKeyTableIndex])(WdfDriverGlobals, Driver, DesiredAccess, KeyAttributes, Key); }
#endif
#if WDF_FUNCTION_COUNT > 452
typedef NTSTATUS (NTAPI *PFN_WDFDRIVERERRORREPORTAPIMISSING)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFDRIVER Driver, PCWSTR FrameworkExtensionName, ULONG ApiIndex, BOOLEAN DoesApiReturnNtstatus);
static __inline NTSTATUS WdfDriverErrorReportApiMissing(WDFDRIVER Driver, PCWSTR FrameworkExtensionName, ULONG ApiIndex, BOOLEAN DoesApiReturnNtstatus)
{ return ((PFN_WDFDRIVERERRORREPORTAPIMISSING)WdfFunctions[WdfDriverErrorReportApiMissingTableIndex])(WdfDriverGlobals, Driver, FrameworkExtensionName, ApiIndex, DoesApiReturnNtstatus); }
#endif

/* ---- Context types, references, helpers built on the entries --------------------------------------------------- */

/* The type info of a context type declared with WDF_DECLARE_CONTEXT_TYPE[_WITH_NAME]. */
#define WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) _WDF_##_contexttype##_TYPE_INFO
#define WDF_GET_CONTEXT_TYPE_INFO(_contexttype) (WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype).UniqueType)

/* One static type info per context type and an accessor; UniqueType points at the info itself, which is what makes
 * the type unique. Static (not selectany) because mingw-w64 drivers are single-image C: each source file that
 * declares the type gets its own info, so declare a context type in one source file only. */
/* The type info is one object for the whole driver, whichever of its source files declare the type (a header several
 * files include): a selectany definition, as the WDK's is, so the files' lookups find the same UniqueType. gcc honours
 * selectany only before the type and on a first declaration. */
#define WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, _castingfunction) \
    __attribute__((selectany)) const WDF_OBJECT_CONTEXT_TYPE_INFO _WDF_##_contexttype##_TYPE_INFO = { \
        sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO), #_contexttype, sizeof(_contexttype), \
        &_WDF_##_contexttype##_TYPE_INFO, NULL }; \
    static __inline __attribute__((unused)) _contexttype *_castingfunction(WDFOBJECT Handle) \
    { return (_contexttype *)WdfObjectGetTypedContextWorker(Handle, WDF_GET_CONTEXT_TYPE_INFO(_contexttype)); }

#define WDF_DECLARE_CONTEXT_TYPE(_contexttype) \
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, WdfObjectGet_##_contexttype)

#define WdfObjectGetTypedContext(handle, type) \
    ((type *)WdfObjectGetTypedContextWorker((WDFOBJECT)(handle), WDF_GET_CONTEXT_TYPE_INFO(type)))

#define WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype) \
    ((_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype))
#define WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(_attributes, _contexttype) \
    do { WDF_OBJECT_ATTRIBUTES_INIT(_attributes); WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype); } while (0)

#define WdfObjectReference(Handle) WdfObjectReferenceActual((WDFOBJECT)(Handle), NULL, __LINE__, __FILE__)
#define WdfObjectReferenceWithTag(Handle, Tag) WdfObjectReferenceActual((WDFOBJECT)(Handle), (Tag), __LINE__, __FILE__)
#define WdfObjectDereference(Handle) WdfObjectDereferenceActual((WDFOBJECT)(Handle), NULL, __LINE__, __FILE__)
#define WdfObjectDereferenceWithTag(Handle, Tag) WdfObjectDereferenceActual((WDFOBJECT)(Handle), (Tag), __LINE__, __FILE__)

/* 1.15 made the idle references tracked; before that the NoTrack entries are the only ones. */
#if WDF_FUNCTION_COUNT > 439  /* WdfDeviceResumeIdleActualTableIndex */
#define WdfDeviceStopIdle(Device, WaitForD0) WdfDeviceStopIdleActual(Device, WaitForD0, NULL, __LINE__, __FILE__)
#define WdfDeviceResumeIdle(Device) WdfDeviceResumeIdleActual(Device, NULL, __LINE__, __FILE__)
#else
#define WdfDeviceStopIdle(Device, WaitForD0) WdfDeviceStopIdleNoTrack(Device, WaitForD0)
#define WdfDeviceResumeIdle(Device) WdfDeviceResumeIdleNoTrack(Device)
#endif

static __inline WDFDRIVER WdfGetDriver(VOID) { return WdfDriverGlobals->Driver; }

/* ---- WMI instance callbacks (types only: see WDFWMIINSTANCE) --------------------------------------------------- */
typedef NTSTATUS NTAPI EVT_WDF_WMI_INSTANCE_QUERY_INSTANCE(WDFWMIINSTANCE WmiInstance, ULONG OutBufferSize, PVOID OutBuffer, PULONG BufferUsed);
typedef EVT_WDF_WMI_INSTANCE_QUERY_INSTANCE *PFN_WDF_WMI_INSTANCE_QUERY_INSTANCE;
typedef NTSTATUS NTAPI EVT_WDF_WMI_INSTANCE_SET_INSTANCE(WDFWMIINSTANCE WmiInstance, ULONG InBufferSize, PVOID InBuffer);
typedef EVT_WDF_WMI_INSTANCE_SET_INSTANCE *PFN_WDF_WMI_INSTANCE_SET_INSTANCE;
typedef NTSTATUS NTAPI EVT_WDF_WMI_INSTANCE_SET_ITEM(WDFWMIINSTANCE WmiInstance, ULONG DataItemId, ULONG InBufferSize, PVOID InBuffer);
typedef EVT_WDF_WMI_INSTANCE_SET_ITEM *PFN_WDF_WMI_INSTANCE_SET_ITEM;
typedef NTSTATUS NTAPI EVT_WDF_WMI_INSTANCE_EXECUTE_METHOD(WDFWMIINSTANCE WmiInstance, ULONG MethodId, ULONG InBufferSize, ULONG OutBufferSize, PVOID Buffer, PULONG BufferUsed);
typedef EVT_WDF_WMI_INSTANCE_EXECUTE_METHOD *PFN_WDF_WMI_INSTANCE_EXECUTE_METHOD;

/* ---- I/O targets: internal IOCTLs with "other" arguments (Argument1, Argument2, Argument4) ------------------------ */
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETSENDINTERNALIOCTLOTHERSSYNCHRONOUSLY)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget,
    WDFREQUEST Request, ULONG IoctlCode, PWDF_MEMORY_DESCRIPTOR OtherArg1, PWDF_MEMORY_DESCRIPTOR OtherArg2,
    PWDF_MEMORY_DESCRIPTOR OtherArg4, PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned);
static __inline NTSTATUS WdfIoTargetSendInternalIoctlOthersSynchronously(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode,
    PWDF_MEMORY_DESCRIPTOR OtherArg1, PWDF_MEMORY_DESCRIPTOR OtherArg2, PWDF_MEMORY_DESCRIPTOR OtherArg4,
    PWDF_REQUEST_SEND_OPTIONS RequestOptions, PULONG_PTR BytesReturned)
{ return ((PFN_WDFIOTARGETSENDINTERNALIOCTLOTHERSSYNCHRONOUSLY)WdfFunctions[WdfIoTargetSendInternalIoctlOthersSynchronouslyTableIndex])(WdfDriverGlobals, IoTarget, Request, IoctlCode, OtherArg1, OtherArg2, OtherArg4, RequestOptions, BytesReturned); }
typedef NTSTATUS (NTAPI *PFN_WDFIOTARGETFORMATREQUESTFORINTERNALIOCTLOTHERS)(PWDF_DRIVER_GLOBALS DriverGlobals, WDFIOTARGET IoTarget,
    WDFREQUEST Request, ULONG IoctlCode, WDFMEMORY OtherArg1, PWDFMEMORY_OFFSET OtherArg1Offset, WDFMEMORY OtherArg2,
    PWDFMEMORY_OFFSET OtherArg2Offset, WDFMEMORY OtherArg4, PWDFMEMORY_OFFSET OtherArg4Offset);
static __inline NTSTATUS WdfIoTargetFormatRequestForInternalIoctlOthers(WDFIOTARGET IoTarget, WDFREQUEST Request, ULONG IoctlCode,
    WDFMEMORY OtherArg1, PWDFMEMORY_OFFSET OtherArg1Offset, WDFMEMORY OtherArg2, PWDFMEMORY_OFFSET OtherArg2Offset,
    WDFMEMORY OtherArg4, PWDFMEMORY_OFFSET OtherArg4Offset)
{ return ((PFN_WDFIOTARGETFORMATREQUESTFORINTERNALIOCTLOTHERS)WdfFunctions[WdfIoTargetFormatRequestForInternalIoctlOthersTableIndex])(WdfDriverGlobals, IoTarget, Request, IoctlCode, OtherArg1, OtherArg1Offset, OtherArg2, OtherArg2Offset, OtherArg4, OtherArg4Offset); }

#ifdef __cplusplus
}
#endif

#endif /* KDEMU_KMDF_WDF_H */
