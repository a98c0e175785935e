/* The client side of KMDF binding, compiled into every KMDF driver (what the WDK's WdfDriverEntry.lib provides).
 * FxDriverEntry is the image's entry point: it binds to the framework through wdfldr.sys (which fills
 * WdfDriverGlobals and the function table), runs the driver's own DriverEntry, and unbinds when that fails or,
 * if the framework asks for it, when the driver unloads. */
#include "wdf.h"

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS NTAPI FxDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

PWDF_DRIVER_GLOBALS WdfDriverGlobals = NULL;

#if WDF_FUNCTION_TABLE_IS_POINTER
WDFFUNC *WdfFunctions = NULL;          /* the framework points this at its own table */
#define WDF_BIND_TABLE ((PVOID)&WdfFunctions)
#else
WDFFUNC WdfFunctions[WDF_FUNCTION_COUNT]; /* the framework copies WDF_FUNCTION_COUNT entries in */
#define WDF_BIND_TABLE ((PVOID)WdfFunctions)
#endif

/* Fully static: nothing but the framework writes to it at run time. */
WDF_BIND_INFO WdfBindInfo = {
    sizeof(WDF_BIND_INFO),
    (PWCHAR)L"KmdfLibrary",
    { KMDF_VERSION_MAJOR, KMDF_VERSION_MINOR, 0 },
    WDF_FUNCTION_COUNT,
    WDF_BIND_TABLE,
    NULL
};

/* The driver's own unload routine, when the framework displaces it with FxStubDriverUnload. */
static PDRIVER_UNLOAD WdfDriverStubDisplacedDriverUnload = NULL;
static PUNICODE_STRING WdfDriverStubRegistryPath = NULL;
static UNICODE_STRING WdfDriverStubRegistryPathCopy;
static WCHAR WdfDriverStubRegistryPathBuffer[260];

static VOID NTAPI FxStubDriverUnload(PDRIVER_OBJECT DriverObject)
{
    if (WdfDriverStubDisplacedDriverUnload != NULL && WdfDriverStubDisplacedDriverUnload != FxStubDriverUnload)
        WdfDriverStubDisplacedDriverUnload(DriverObject);
    WdfVersionUnbind(WdfDriverStubRegistryPath, &WdfBindInfo, (PWDF_COMPONENT_GLOBALS)WdfDriverGlobals);
}

NTSTATUS NTAPI FxDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    /* The registry path belongs to the I/O manager only for the duration of this call; unload needs it later. */
    WdfDriverStubRegistryPath = RegistryPath;
    if (RegistryPath != NULL && RegistryPath->Length <= sizeof(WdfDriverStubRegistryPathBuffer)) {
        RtlCopyMemory(WdfDriverStubRegistryPathBuffer, RegistryPath->Buffer, RegistryPath->Length);
        WdfDriverStubRegistryPathCopy.Buffer = WdfDriverStubRegistryPathBuffer;
        WdfDriverStubRegistryPathCopy.Length = RegistryPath->Length;
        WdfDriverStubRegistryPathCopy.MaximumLength = sizeof(WdfDriverStubRegistryPathBuffer);
        WdfDriverStubRegistryPath = &WdfDriverStubRegistryPathCopy;
    }

    status = WdfVersionBind(DriverObject, RegistryPath, &WdfBindInfo, (PWDF_COMPONENT_GLOBALS *)&WdfDriverGlobals);
    if (!NT_SUCCESS(status))
        return status;

    status = DriverEntry(DriverObject, RegistryPath);
    if (!NT_SUCCESS(status)) {
        WdfVersionUnbind(RegistryPath, &WdfBindInfo, (PWDF_COMPONENT_GLOBALS)WdfDriverGlobals);
        return status;
    }

    if (WdfDriverGlobals->DisplaceDriverUnload) {
        WdfDriverStubDisplacedDriverUnload = DriverObject->DriverUnload;
        DriverObject->DriverUnload = FxStubDriverUnload;
    }
    return status;
}
