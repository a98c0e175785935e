/* The ioctl sample (samples/ioctl/ioctl.c) as a KMDF driver: the same device, control codes and statuses, so
 * samples/ioctl/ioctl_client.c drives it unchanged.
 *
 * \Device\KdIoctl (symbolic link \??\KdIoctl), a non-PnP control device:
 *   0x222000 ADD      METHOD_BUFFERED    in: ULONG a, ULONG b  -> out: ULONG a + b
 *   0x222004 REVERSE  METHOD_BUFFERED    in: bytes -> out: the same bytes reversed
 *   0x222009 REVERSE  METHOD_IN_DIRECT
 *   0x22200E REVERSE  METHOD_OUT_DIRECT
 *   0x222013 REVERSE  METHOD_NEITHER
 * Any other code fails with STATUS_INVALID_DEVICE_REQUEST.
 *
 * What the framework does for each method: WdfRequestRetrieveInputBuffer / OutputBuffer hand out the system buffer
 * (BUFFERED) or the system buffer and the mapped MDL (IN/OUT_DIRECT). METHOD_NEITHER buffers are the caller's own
 * addresses, valid only in the caller's context: EvtIoInCallerContext probes and locks them there, keeps the
 * resulting WDFMEMORYs in the request's context, and only then queues the request. */
#include <wdf.h>

#define IOCTL_KD_ADD              CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */
#define IOCTL_KD_REVERSE_BUFFERED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222004 */
#define IOCTL_KD_REVERSE_IN       CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_IN_DIRECT, FILE_ANY_ACCESS)  /* 0x222009 */
#define IOCTL_KD_REVERSE_OUT      CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) /* 0x22200E */
#define IOCTL_KD_REVERSE_NEITHER  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x804, METHOD_NEITHER, FILE_ANY_ACCESS)    /* 0x222013 */

#define DEVICE_NAME  L"\\Device\\KdIoctl"
#define SYMLINK_NAME L"\\DosDevices\\KdIoctl"

/* METHOD_NEITHER 请求在调用者上下文中锁定的用户缓冲区 */
typedef struct _REQUEST_CONTEXT {
    WDFMEMORY InputMemory;
    WDFMEMORY OutputMemory;
} REQUEST_CONTEXT, *PREQUEST_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, GetRequestContext)

EVT_WDF_DRIVER_UNLOAD KdIoctlEvtDriverUnload;
EVT_WDF_IO_IN_CALLER_CONTEXT KdIoctlEvtIoInCallerContext;
EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KdIoctlEvtIoDeviceControl;

/* 把 Source 的 Length 个字节倒序写入 Dest; 两块缓冲区可以重叠(METHOD_BUFFERED 时就是同一块) */
static VOID ReverseBytes(PUCHAR Dest, const UCHAR *Source, size_t Length)
{
    size_t i;
    UCHAR t;
    RtlMoveMemory(Dest, Source, Length);  // 先整体拷贝(允许重叠)
    for (i = 0; i < Length / 2; i++)      // 再原地倒序
    {
        t = Dest[i];
        Dest[i] = Dest[Length - 1 - i];
        Dest[Length - 1 - i] = t;
    }
}

VOID NTAPI KdIoctlEvtDriverUnload(WDFDRIVER Driver)
{
    // 控制设备和符号链接由框架随驱动对象一起删除
    DbgPrint("KdIoctl: unload\n");
}

/* METHOD_NEITHER: 仍在发起者的进程上下文中, 探测并锁定用户缓冲区; 其他请求直接排队 */
VOID NTAPI KdIoctlEvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request)
{
    WDF_REQUEST_PARAMETERS Params;
    PREQUEST_CONTEXT Context;
    PVOID Buffer;
    size_t Length;
    size_t InLen, OutLen;
    NTSTATUS Status;

    WDF_REQUEST_PARAMETERS_INIT(&Params);
    WdfRequestGetParameters(Request, &Params);
    if (Params.Type != WdfRequestTypeDeviceControl ||
        METHOD_FROM_CTL_CODE(Params.Parameters.DeviceIoControl.IoControlCode) != METHOD_NEITHER)
        goto Enqueue;

    Context = GetRequestContext(Request);
    Context->InputMemory = NULL;
    Context->OutputMemory = NULL;
    InLen = Params.Parameters.DeviceIoControl.InputBufferLength;
    OutLen = Params.Parameters.DeviceIoControl.OutputBufferLength;
    // 长度不合适时不必锁定: 队列回调会按 WDM 版本的规则返回错误
    if (InLen == 0 || OutLen < InLen)
        goto Enqueue;

    Status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, InLen, &Buffer, &Length);
    if (NT_SUCCESS(Status))
        Status = WdfRequestProbeAndLockUserBufferForRead(Request, Buffer, Length, &Context->InputMemory);
    if (NT_SUCCESS(Status))
        Status = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, OutLen, &Buffer, &Length);
    if (NT_SUCCESS(Status))
        Status = WdfRequestProbeAndLockUserBufferForWrite(Request, Buffer, Length, &Context->OutputMemory);
    if (!NT_SUCCESS(Status))
    {
        WdfRequestComplete(Request, Status);  // 探测失败(如无效地址): 直接完成
        return;
    }

Enqueue:
    Status = WdfDeviceEnqueueRequest(Device, Request);
    if (!NT_SUCCESS(Status))
        WdfRequestComplete(Request, Status);
}

/* ADD: 输入两个 ULONG, 输出它们的和 (METHOD_BUFFERED, 输入输出共用系统缓冲区) */
static NTSTATUS DoAdd(WDFREQUEST Request, size_t InLen, size_t OutLen, ULONG_PTR *Information)
{
    PULONG Input;
    PULONG Output;
    ULONG Sum;
    NTSTATUS Status;

    if (InLen < 2 * sizeof(ULONG))
        return STATUS_INVALID_PARAMETER;
    if (OutLen < sizeof(ULONG))
        return STATUS_BUFFER_TOO_SMALL;
    Status = WdfRequestRetrieveInputBuffer(Request, 2 * sizeof(ULONG), (PVOID *)&Input, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = WdfRequestRetrieveOutputBuffer(Request, sizeof(ULONG), (PVOID *)&Output, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Sum = Input[0] + Input[1];  // 先读完输入,
    *Output = Sum;              // 再写输出: 两者是同一块内存
    *Information = sizeof(ULONG);
    return STATUS_SUCCESS;
}

/* REVERSE: 按控制码中的传输方式取得输入/输出缓冲区, 把输入倒序写到输出 */
static NTSTATUS DoReverse(WDFREQUEST Request, ULONG Code, size_t InLen, size_t OutLen, ULONG_PTR *Information)
{
    PUCHAR Input;
    PUCHAR Output;
    PREQUEST_CONTEXT Context;
    NTSTATUS Status;

    if (OutLen < InLen)
        return STATUS_BUFFER_TOO_SMALL;
    if (InLen == 0)  // 没有数据可倒序: 不必触碰任何缓冲区
    {
        *Information = 0;
        return STATUS_SUCCESS;
    }

    if (METHOD_FROM_CTL_CODE(Code) == METHOD_NEITHER)
    {
        // EvtIoInCallerContext 已经锁定了用户缓冲区
        Context = GetRequestContext(Request);
        if (Context->InputMemory == NULL || Context->OutputMemory == NULL)
            return STATUS_INVALID_PARAMETER;
        Input = (PUCHAR)WdfMemoryGetBuffer(Context->InputMemory, NULL);
        Output = (PUCHAR)WdfMemoryGetBuffer(Context->OutputMemory, NULL);
    }
    else
    {
        // BUFFERED: 同一块系统缓冲区; IN/OUT_DIRECT: 输入在系统缓冲区, 输出由框架从 MDL 映射
        Status = WdfRequestRetrieveInputBuffer(Request, InLen, (PVOID *)&Input, NULL);
        if (!NT_SUCCESS(Status))
            return Status;
        Status = WdfRequestRetrieveOutputBuffer(Request, InLen, (PVOID *)&Output, NULL);
        if (!NT_SUCCESS(Status))
            return Status;
    }

    ReverseBytes(Output, Input, InLen);
    *Information = InLen;
    return STATUS_SUCCESS;
}

VOID NTAPI KdIoctlEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
    size_t InputBufferLength, ULONG IoControlCode)
{
    ULONG_PTR Information = 0;
    NTSTATUS Status;

    switch (IoControlCode)
    {
    case IOCTL_KD_ADD:
        Status = DoAdd(Request, InputBufferLength, OutputBufferLength, &Information);
        break;
    case IOCTL_KD_REVERSE_BUFFERED:
    case IOCTL_KD_REVERSE_IN:
    case IOCTL_KD_REVERSE_OUT:
    case IOCTL_KD_REVERSE_NEITHER:
        Status = DoReverse(Request, IoControlCode, InputBufferLength, OutputBufferLength, &Information);
        break;
    default:
        Status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }

    if (!NT_SUCCESS(Status))
        Information = 0;
    WdfRequestCompleteWithInformation(Request, Status, Information);  // 告诉 I/O 管理器输出了多少字节
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    WDF_DRIVER_CONFIG Config;
    WDFDRIVER Driver;
    PWDFDEVICE_INIT DeviceInit;
    WDF_OBJECT_ATTRIBUTES RequestAttributes;
    WDF_IO_QUEUE_CONFIG QueueConfig;
    WDFDEVICE Device;
    DECLARE_CONST_UNICODE_STRING(DeviceName, DEVICE_NAME);
    DECLARE_CONST_UNICODE_STRING(SymLinkName, SYMLINK_NAME);

    DbgPrint("KdIoctl: DriverEntry (KMDF %d.%d)\n", KMDF_VERSION_MAJOR, KMDF_VERSION_MINOR);

    // 非 PnP 驱动: 没有 EvtDriverDeviceAdd, 自己创建控制设备
    WDF_DRIVER_CONFIG_INIT(&Config, WDF_NO_EVENT_CALLBACK);
    Config.DriverInitFlags |= WdfDriverInitNonPnpDriver;
    Config.EvtDriverUnload = KdIoctlEvtDriverUnload;
    Status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &Config, &Driver);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdIoctl: WdfDriverCreate failed %08x\n", Status);
        return Status;
    }

    DeviceInit = WdfControlDeviceInitAllocate(Driver, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    if (DeviceInit == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    WdfDeviceInitSetExclusive(DeviceInit, FALSE);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered);
    Status = WdfDeviceInitAssignName(DeviceInit, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        WdfDeviceInitFree(DeviceInit);
        return Status;
    }
    WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, KdIoctlEvtIoInCallerContext);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&RequestAttributes, REQUEST_CONTEXT);  // 每个请求带一个 REQUEST_CONTEXT
    WdfDeviceInitSetRequestAttributes(DeviceInit, &RequestAttributes);

    Status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &Device);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdIoctl: WdfDeviceCreate failed %08x\n", Status);
        WdfDeviceInitFree(DeviceInit);  // 失败时 DeviceInit 仍归驱动所有
        return Status;
    }

    Status = WdfDeviceCreateSymbolicLink(Device, &SymLinkName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdIoctl: WdfDeviceCreateSymbolicLink failed %08x\n", Status);
        WdfObjectDelete(Device);
        return Status;
    }

    // 默认队列, 顺序分发: 同一时刻只处理一个请求
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&QueueConfig, WdfIoQueueDispatchSequential);
    QueueConfig.EvtIoDeviceControl = KdIoctlEvtIoDeviceControl;
    Status = WdfIoQueueCreate(Device, &QueueConfig, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdIoctl: WdfIoQueueCreate failed %08x\n", Status);
        WdfObjectDelete(Device);
        return Status;
    }

    WdfControlFinishInitializing(Device);  // 清除 DO_DEVICE_INITIALIZING, 设备可以打开了
    return STATUS_SUCCESS;
}
