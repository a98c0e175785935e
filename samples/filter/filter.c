/* The chapter's filter-driver example: a device attached on top of \Device\KdIoctl (the ioctl sample, which
 * must be loaded first).
 *
 * Every IRP is passed down unchanged (IoSkipCurrentIrpStackLocation + IoCallDriver), except the ADD control
 * code 0x222000: for it the filter copies its stack location to the next one and sets a completion routine,
 * AddDone, which adds 1000 to the sum on its way back up. With the filter loaded ioctl_client prints
 * "add: 1005" instead of "add: 5".
 * The dispatch, completion and unload routines carry NTAPI (stdcall on x86), as the WDK would compile them. */
#include <ntddk.h>

#define IOCTL_KD_ADD CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */

#define TARGET_NAME L"\\Device\\KdIoctl"

/* 过滤设备的设备扩展: 记住下层设备, 转发 IRP 和卸载时要用 */
typedef struct _FILTER_EXTENSION
{
    PDEVICE_OBJECT LowerDevice;
} FILTER_EXTENSION, *PFILTER_EXTENSION;

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    PDEVICE_OBJECT pFilter = pDriver->DeviceObject;
    PFILTER_EXTENSION Ext;
    if (pFilter == NULL)
        return;
    Ext = (PFILTER_EXTENSION)pFilter->DeviceExtension;
    if (Ext->LowerDevice)
        IoDetachDevice(Ext->LowerDevice);  // 先从设备栈上摘下来
    IoDeleteDevice(pFilter);               // 再删除过滤设备
}

/* 其余所有 IRP: 不需要看结果, 直接把本层的栈单元让给下层 */
NTSTATUS NTAPI DispatchPass(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PFILTER_EXTENSION Ext = (PFILTER_EXTENSION)pDevObj->DeviceExtension;
    IoSkipCurrentIrpStackLocation(pIrp);
    return IoCallDriver(Ext->LowerDevice, pIrp);
}

/* ADD 的完成例程: 下层驱动完成 IRP 后, 在 I/O 管理器把系统缓冲区拷回用户之前被调用 */
NTSTATUS NTAPI AddDone(PDEVICE_OBJECT pDevObj, PIRP pIrp, PVOID Context)
{
    if (pIrp->PendingReturned)
        IoMarkIrpPending(pIrp);  // 下层返回过 STATUS_PENDING: 本层也要标记
    if (NT_SUCCESS(pIrp->IoStatus.Status) && pIrp->IoStatus.Information == sizeof(ULONG))
        *(PULONG)pIrp->AssociatedIrp.SystemBuffer += 1000;  // 修改下层给出的结果
    return STATUS_CONTINUE_COMPLETION;  // 不是 STATUS_MORE_PROCESSING_REQUIRED: 让完成过程继续向上
}

NTSTATUS NTAPI DispatchDeviceControl(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PFILTER_EXTENSION Ext = (PFILTER_EXTENSION)pDevObj->DeviceExtension;
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);

    if (Stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_KD_ADD)
        return DispatchPass(pDevObj, pIrp);

    // 要在完成时处理结果: 把本层的参数复制给下层, 再设置完成例程
    IoCopyCurrentIrpStackLocationToNext(pIrp);
    IoSetCompletionRoutine(pIrp, AddDone, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(Ext->LowerDevice, pIrp);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PDEVICE_OBJECT pFilter;
    PDEVICE_OBJECT pTarget;
    PDEVICE_OBJECT pLower;
    PFILE_OBJECT pFile;
    PFILTER_EXTENSION Ext;
    UNICODE_STRING TargetName;
    ULONG i;

    // 所有派遣函数都先设为直接下传, 再单独接管 IRP_MJ_DEVICE_CONTROL
    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        pDriver->MajorFunction[i] = DispatchPass;
    pDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    pDriver->DriverUnload = UnDriver;

    // 1. 创建一个没有名字的过滤设备
    Status = IoCreateDevice(pDriver, sizeof(FILTER_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &pFilter);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdFilter: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    Ext = (PFILTER_EXTENSION)pFilter->DeviceExtension;
    Ext->LowerDevice = NULL;

    // 2. 按名字取得目标设备
    RtlInitUnicodeString(&TargetName, TARGET_NAME);
    Status = IoGetDeviceObjectPointer(&TargetName, FILE_ALL_ACCESS, &pFile, &pTarget);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdFilter: IoGetDeviceObjectPointer failed %08x\n", Status);
        IoDeleteDevice(pFilter);
        return Status;
    }

    // 3. 挂到目标设备所在设备栈的栈顶; 返回的是挂载前的栈顶设备
    pLower = IoAttachDeviceToDeviceStack(pFilter, pTarget);
    if (pLower == NULL)
    {
        DbgPrint("KdFilter: IoAttachDeviceToDeviceStack failed\n");
        ObDereferenceObject(pFile);
        IoDeleteDevice(pFilter);
        return STATUS_NO_SUCH_DEVICE;
    }
    Ext->LowerDevice = pLower;

    // 4. 挂上之后就不再需要那个文件对象了 (与 IoAttachDevice 的做法相同)
    ObDereferenceObject(pFile);

    // 5. 与下层设备保持一致: 传输方式、设备类型、特征
    pFilter->Flags |= pLower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    pFilter->DeviceType = pLower->DeviceType;
    pFilter->Characteristics = pLower->Characteristics;
    pFilter->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
