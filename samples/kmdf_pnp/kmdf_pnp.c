/* A KMDF PnP function driver: EvtDriverDeviceAdd builds the device, the framework runs the PnP/power state machine.
 *
 * The device (\Device\KdPnp, symbolic link \??\KdPnp, and an instance of the interface GUID_DEVINTERFACE_KDPNP):
 *   write  stores up to 64 bytes in the device context, counts the write, starts a 50 ms one-shot timer and
 *          completes with the write's length;
 *   read   is dispatched to a manual queue and waits there: the timer's callback takes one read off the queue
 *          and completes it with a copy of the stored bytes;
 *   IOCTL 0x222000 (METHOD_BUFFERED) returns the number of writes as a ULONG.
 * Create, cleanup and close go to the file object callbacks; the PnP/power callbacks print what they are given. */
#include <wdf.h>

#define DEVICE_NAME  L"\\Device\\KdPnp"
#define SYMLINK_NAME L"\\DosDevices\\KdPnp"
#define IOCTL_KDPNP_GET_WRITES CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */
#define KDPNP_DATA_SIZE 64

/* {6E3B7C2A-4F1D-4B8E-9A57-2C0D1E8F3A64} */
static const GUID GUID_DEVINTERFACE_KDPNP =
    { 0x6e3b7c2a, 0x4f1d, 0x4b8e, { 0x9a, 0x57, 0x2c, 0x0d, 0x1e, 0x8f, 0x3a, 0x64 } };

/* 设备上下文: 写入计数与最近一次写入的数据 */
typedef struct _DEVICE_CONTEXT {
    LONG WriteCount;
    ULONG DataLength;
    UCHAR Data[KDPNP_DATA_SIZE];
    WDFQUEUE ReadQueue;  // 手动队列, 读请求在此等待
    WDFTIMER Timer;      // 写入后 50 ms 完成一个读请求
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)

EVT_WDF_DRIVER_DEVICE_ADD KdPnpEvtDeviceAdd;
EVT_WDF_DEVICE_PREPARE_HARDWARE KdPnpEvtDevicePrepareHardware;
EVT_WDF_DEVICE_RELEASE_HARDWARE KdPnpEvtDeviceReleaseHardware;
EVT_WDF_DEVICE_D0_ENTRY KdPnpEvtDeviceD0Entry;
EVT_WDF_DEVICE_D0_EXIT KdPnpEvtDeviceD0Exit;
EVT_WDF_DEVICE_FILE_CREATE KdPnpEvtDeviceFileCreate;
EVT_WDF_FILE_CLEANUP KdPnpEvtFileCleanup;
EVT_WDF_FILE_CLOSE KdPnpEvtFileClose;
EVT_WDF_IO_QUEUE_IO_WRITE KdPnpEvtIoWrite;
EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KdPnpEvtIoDeviceControl;
EVT_WDF_TIMER KdPnpEvtTimer;

NTSTATUS NTAPI KdPnpEvtDevicePrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
    WDFCMRESLIST ResourcesTranslated)
{
    DbgPrint("KdPnp: EvtDevicePrepareHardware device %p raw %p translated %p\n", Device, ResourcesRaw,
        ResourcesTranslated);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI KdPnpEvtDeviceReleaseHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated)
{
    DbgPrint("KdPnp: EvtDeviceReleaseHardware device %p translated %p\n", Device, ResourcesTranslated);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI KdPnpEvtDeviceD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    DbgPrint("KdPnp: EvtDeviceD0Entry device %p previous state %d\n", Device, PreviousState);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI KdPnpEvtDeviceD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    DbgPrint("KdPnp: EvtDeviceD0Exit device %p target state %d\n", Device, TargetState);
    return STATUS_SUCCESS;
}

VOID NTAPI KdPnpEvtDeviceFileCreate(WDFDEVICE Device, WDFREQUEST Request, WDFFILEOBJECT FileObject)
{
    DbgPrint("KdPnp: EvtDeviceFileCreate file %p\n", FileObject);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

VOID NTAPI KdPnpEvtFileCleanup(WDFFILEOBJECT FileObject)
{
    DbgPrint("KdPnp: EvtFileCleanup file %p\n", FileObject);
}

VOID NTAPI KdPnpEvtFileClose(WDFFILEOBJECT FileObject)
{
    DbgPrint("KdPnp: EvtFileClose file %p\n", FileObject);
}

/* 写: 保存至多 64 字节, 计数, 启动定时器 */
VOID NTAPI KdPnpEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PDEVICE_CONTEXT Context = GetDeviceContext(WdfIoQueueGetDevice(Queue));
    PVOID Buffer;
    size_t Stored = Length < KDPNP_DATA_SIZE ? Length : KDPNP_DATA_SIZE;
    NTSTATUS Status;

    if (Stored != 0)
    {
        Status = WdfRequestRetrieveInputBuffer(Request, Stored, &Buffer, NULL);
        if (!NT_SUCCESS(Status))
        {
            WdfRequestComplete(Request, Status);
            return;
        }
        RtlCopyMemory(Context->Data, Buffer, Stored);
    }
    Context->DataLength = (ULONG)Stored;
    InterlockedIncrement(&Context->WriteCount);
    WdfTimerStart(Context->Timer, WDF_REL_TIMEOUT_IN_MS(50));  // 单次定时器: 50 ms 后完成一个等待中的读
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

/* 定时器到期: 从手动队列取出一个读请求, 拷贝保存的数据后完成 */
VOID NTAPI KdPnpEvtTimer(WDFTIMER Timer)
{
    PDEVICE_CONTEXT Context = GetDeviceContext(WdfTimerGetParentObject(Timer));
    WDFREQUEST Request;
    PVOID Buffer;
    size_t Length;
    size_t Copied;
    NTSTATUS Status;

    Status = WdfIoQueueRetrieveNextRequest(Context->ReadQueue, &Request);
    if (!NT_SUCCESS(Status))
        return;  // 没有等待中的读请求
    Copied = 0;
    Status = STATUS_SUCCESS;
    if (Context->DataLength != 0)
    {
        Status = WdfRequestRetrieveOutputBuffer(Request, 1, &Buffer, &Length);
        if (NT_SUCCESS(Status))
        {
            Copied = Length < Context->DataLength ? Length : Context->DataLength;
            RtlCopyMemory(Buffer, Context->Data, Copied);
        }
    }
    WdfRequestCompleteWithInformation(Request, Status, Copied);
}

VOID NTAPI KdPnpEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
    size_t InputBufferLength, ULONG IoControlCode)
{
    PDEVICE_CONTEXT Context = GetDeviceContext(WdfIoQueueGetDevice(Queue));
    PULONG Output;
    NTSTATUS Status;

    if (IoControlCode != IOCTL_KDPNP_GET_WRITES)
    {
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
    Status = WdfRequestRetrieveOutputBuffer(Request, sizeof(ULONG), (PVOID *)&Output, NULL);
    if (!NT_SUCCESS(Status))
    {
        WdfRequestComplete(Request, Status);  // 输出缓冲区不足 4 字节: STATUS_BUFFER_TOO_SMALL
        return;
    }
    *Output = (ULONG)Context->WriteCount;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(ULONG));
}

NTSTATUS NTAPI KdPnpEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    NTSTATUS Status;
    WDF_PNPPOWER_EVENT_CALLBACKS PnpPowerCallbacks;
    WDF_FILEOBJECT_CONFIG FileConfig;
    WDF_OBJECT_ATTRIBUTES Attributes;
    WDF_IO_QUEUE_CONFIG QueueConfig;
    WDF_TIMER_CONFIG TimerConfig;
    WDFDEVICE Device;
    PDEVICE_CONTEXT Context;
    DECLARE_CONST_UNICODE_STRING(DeviceName, DEVICE_NAME);
    DECLARE_CONST_UNICODE_STRING(SymLinkName, SYMLINK_NAME);

    DbgPrint("KdPnp: EvtDriverDeviceAdd driver %p\n", Driver);

    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&PnpPowerCallbacks);
    PnpPowerCallbacks.EvtDevicePrepareHardware = KdPnpEvtDevicePrepareHardware;
    PnpPowerCallbacks.EvtDeviceReleaseHardware = KdPnpEvtDeviceReleaseHardware;
    PnpPowerCallbacks.EvtDeviceD0Entry = KdPnpEvtDeviceD0Entry;
    PnpPowerCallbacks.EvtDeviceD0Exit = KdPnpEvtDeviceD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &PnpPowerCallbacks);

    WDF_FILEOBJECT_CONFIG_INIT(&FileConfig, KdPnpEvtDeviceFileCreate, KdPnpEvtFileClose, KdPnpEvtFileCleanup);
    WdfDeviceInitSetFileObjectConfig(DeviceInit, &FileConfig, WDF_NO_OBJECT_ATTRIBUTES);

    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered);
    Status = WdfDeviceInitAssignName(DeviceInit, &DeviceName);  // 命名设备, 以便创建 \??\KdPnp
    if (!NT_SUCCESS(Status))
        return Status;

    // PnP 设备: 失败时框架负责释放 DeviceInit
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&Attributes, DEVICE_CONTEXT);
    Status = WdfDeviceCreate(&DeviceInit, &Attributes, &Device);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdPnp: WdfDeviceCreate failed %08x\n", Status);
        return Status;
    }
    Context = GetDeviceContext(Device);  // 框架已将上下文清零

    Status = WdfDeviceCreateDeviceInterface(Device, &GUID_DEVINTERFACE_KDPNP, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = WdfDeviceCreateSymbolicLink(Device, &SymLinkName);
    if (!NT_SUCCESS(Status))
        return Status;

    // 默认队列, 并行分发: 写和 IOCTL
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&QueueConfig, WdfIoQueueDispatchParallel);
    QueueConfig.EvtIoWrite = KdPnpEvtIoWrite;
    QueueConfig.EvtIoDeviceControl = KdPnpEvtIoDeviceControl;
    Status = WdfIoQueueCreate(Device, &QueueConfig, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
    if (!NT_SUCCESS(Status))
        return Status;

    // 手动队列: 读请求被送到这里等待, 由定时器取出
    WDF_IO_QUEUE_CONFIG_INIT(&QueueConfig, WdfIoQueueDispatchManual);
    Status = WdfIoQueueCreate(Device, &QueueConfig, WDF_NO_OBJECT_ATTRIBUTES, &Context->ReadQueue);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = WdfDeviceConfigureRequestDispatching(Device, Context->ReadQueue, WdfRequestTypeRead);
    if (!NT_SUCCESS(Status))
        return Status;

    // 单次定时器 (Period 0), 父对象是设备: 随设备一起删除
    WDF_TIMER_CONFIG_INIT(&TimerConfig, KdPnpEvtTimer);
    WDF_OBJECT_ATTRIBUTES_INIT(&Attributes);
    Attributes.ParentObject = Device;
    Status = WdfTimerCreate(&TimerConfig, &Attributes, &Context->Timer);
    if (!NT_SUCCESS(Status))
        return Status;

    return STATUS_SUCCESS;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG Config;
    NTSTATUS Status;

    DbgPrint("KdPnp: DriverEntry (KMDF %d.%d)\n", KMDF_VERSION_MAJOR, KMDF_VERSION_MINOR);
    WDF_DRIVER_CONFIG_INIT(&Config, KdPnpEvtDeviceAdd);
    Status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &Config, WDF_NO_HANDLE);
    if (!NT_SUCCESS(Status))
        DbgPrint("KdPnp: WdfDriverCreate failed %08x\n", Status);
    return Status;
}
