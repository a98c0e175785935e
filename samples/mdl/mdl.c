/* The chapter's shared-memory example: a nonpaged kernel buffer described by an MDL and mapped into the
 * calling process, so that the application sees the kernel's data change without any further I/O.
 *
 * \Device\KdMdl (symbolic link \??\KdMdl), DO_DIRECT_IO.  The shared 4096-byte buffer holds a ULONG
 * counter at offset 0 (a periodic 100 ms timer's DPC increments it) and the string "kernel says hi" at
 * offset 8.
 *   0x222000 MAP    (METHOD_BUFFERED) out: the user address of the buffer in the caller's process
 *                   (pointer-sized).  Only one mapping at a time: a second MAP -> STATUS_DEVICE_BUSY.
 *   0x222004 UNMAP  (METHOD_BUFFERED) in: that address.  Must come from the file object that mapped it;
 *                   anything else -> STATUS_INVALID_PARAMETER.
 *   IRP_MJ_CLEANUP  undoes a mapping that the closing file object left behind (the cleanup runs in the
 *                   context of the process that closes the last handle, where the mapping lives).
 *   IRP_MJ_READ     direct I/O: copies the start of the shared buffer into the caller's buffer, described
 *                   by Irp->MdlAddress.
 * The dispatch, unload and DPC routines carry NTAPI (stdcall on x86), as the WDK would compile them (/Gz). */
#include <ntddk.h>

#define IOCTL_KD_MAP   CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */
#define IOCTL_KD_UNMAP CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222004 */

#define DEVICE_NAME    L"\\Device\\KdMdl"
#define SYMLINK_NAME   L"\\??\\KdMdl"
#define SHARED_SIZE    4096
/* 池标记 "KdMl" (内存中的字节顺序; WDK 里常写成多字符常量 'lMdK', gcc 会对其告警) */
#define SHARED_TAG     ((ULONG)'K' | ((ULONG)'d' << 8) | ((ULONG)'M' << 16) | ((ULONG)'l' << 24))
#define MESSAGE_OFFSET 8
#define PERIOD_MS      100

static const char Message[] = "kernel says hi";

/* 设备扩展 */
typedef struct _MDL_EXTENSION
{
    PVOID Shared;             // 4096 字节非分页池缓冲区
    PMDL Mdl;                 // 描述 Shared 的 MDL
    KTIMER Timer;             // 周期定时器
    KDPC TimerDpc;            // 每 100 ms 把计数器加一
    KMUTEX MapLock;           // 保护下面两个字段; 映射/解除映射要在 IRQL < DISPATCH_LEVEL 进行, 所以用互斥体
    PVOID UserAddress;        // 当前的用户态映射地址, 没有映射时为 NULL
    PFILE_OBJECT MapOwner;    // 建立映射的文件对象
} MDL_EXTENSION, *PMDL_EXTENSION;

/* ---------------- 定时器 DPC (DISPATCH_LEVEL) ---------------- */

VOID NTAPI TimerDpcRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PMDL_EXTENSION Ext = (PMDL_EXTENSION)DeferredContext;
    InterlockedIncrement((LONG volatile *)Ext->Shared);   // 偏移 0 处的计数器; 应用程序通过映射直接看到
}

/* ---------------- 映射与解除映射 ---------------- */

static NTSTATUS CompleteIrp(PIRP pIrp, NTSTATUS Status, ULONG_PTR Information)
{
    pIrp->IoStatus.Status = Status;
    pIrp->IoStatus.Information = NT_SUCCESS(Status) ? Information : 0;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return Status;
}

static VOID LockMapping(PMDL_EXTENSION Ext)
{
    KeWaitForSingleObject(&Ext->MapLock, Executive, KernelMode, FALSE, NULL);
}

static VOID UnlockMapping(PMDL_EXTENSION Ext)
{
    KeReleaseMutex(&Ext->MapLock, FALSE);
}

/* 把 MDL 映射到当前进程 (派遣函数运行在调用者的上下文中) */
static NTSTATUS MapToCaller(PMDL_EXTENSION Ext, PFILE_OBJECT FileObject, PVOID *UserAddress)
{
    NTSTATUS Status = STATUS_SUCCESS;
    PVOID Address;

    LockMapping(Ext);
    if (Ext->UserAddress != NULL)
    {
        Status = STATUS_DEVICE_BUSY;   // 已经映射给了某个文件对象
    }
    else
    {
        // AccessMode 为 UserMode 时, 映射失败会抛出异常而不是返回 NULL. 正式驱动应放在 __try/__except 中;
        // mingw 没有 __try, 这里直接调用
        Address = MmMapLockedPagesSpecifyCache(Ext->Mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
        if (Address == NULL)
        {
            Status = STATUS_INSUFFICIENT_RESOURCES;
        }
        else
        {
            Ext->UserAddress = Address;
            Ext->MapOwner = FileObject;   // 记下是谁映射的, 以便它忘记解除时在 IRP_MJ_CLEANUP 中解除
            *UserAddress = Address;
        }
    }
    UnlockMapping(Ext);
    return Status;
}

/* 解除映射: 只有映射的所有者(同一个文件对象, 因而在同一个进程里)才能解除 */
static NTSTATUS UnmapFromCaller(PMDL_EXTENSION Ext, PFILE_OBJECT FileObject, PVOID UserAddress)
{
    NTSTATUS Status = STATUS_INVALID_PARAMETER;

    LockMapping(Ext);
    if (UserAddress != NULL && Ext->UserAddress == UserAddress && Ext->MapOwner == FileObject)
    {
        MmUnmapLockedPages(UserAddress, Ext->Mdl);
        Ext->UserAddress = NULL;
        Ext->MapOwner = NULL;
        Status = STATUS_SUCCESS;
    }
    UnlockMapping(Ext);
    return Status;
}

/* ---------------- 派遣函数 ---------------- */

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING SymLinkName;
    PDEVICE_OBJECT pDevObj = pDriver->DeviceObject;

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    IoDeleteSymbolicLink(&SymLinkName);   // 删除符号链接
    if (pDevObj)
    {
        PMDL_EXTENSION Ext = (PMDL_EXTENSION)pDevObj->DeviceExtension;
        // 所有句柄都已关闭, IRP_MJ_CLEANUP 已解除了遗留的映射
        KeCancelTimer(&Ext->Timer);   // 停止周期定时器
        KeFlushQueuedDpcs();          // 等待已排队或正在运行的 DPC 结束, 它还会访问 Shared
        IoFreeMdl(Ext->Mdl);
        ExFreePoolWithTag(Ext->Shared, SHARED_TAG);
        IoDeleteDevice(pDevObj);      // 删除设备 (设备扩展随之释放)
    }
}

NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    return CompleteIrp(pIrp, STATUS_SUCCESS, 0);
}

NTSTATUS NTAPI DispatchDeviceControl(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PMDL_EXTENSION Ext = (PMDL_EXTENSION)pDevObj->DeviceExtension;
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG InLen = Stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG OutLen = Stack->Parameters.DeviceIoControl.OutputBufferLength;
    PVOID *Buffer = (PVOID *)pIrp->AssociatedIrp.SystemBuffer;  // METHOD_BUFFERED: 输入输出共用
    NTSTATUS Status;

    switch (Stack->Parameters.DeviceIoControl.IoControlCode)
    {
    case IOCTL_KD_MAP:
        if (OutLen < sizeof(PVOID))
            return CompleteIrp(pIrp, STATUS_BUFFER_TOO_SMALL, 0);
        Status = MapToCaller(Ext, Stack->FileObject, Buffer);
        return CompleteIrp(pIrp, Status, sizeof(PVOID));   // 把用户地址拷回调用者
    case IOCTL_KD_UNMAP:
        if (InLen < sizeof(PVOID))
            return CompleteIrp(pIrp, STATUS_INVALID_PARAMETER, 0);
        Status = UnmapFromCaller(Ext, Stack->FileObject, *Buffer);
        return CompleteIrp(pIrp, Status, 0);
    default:
        return CompleteIrp(pIrp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

/* 清理: 文件对象的最后一个句柄关闭时, 解除它忘记解除的映射 (此时仍在该进程的上下文中) */
NTSTATUS NTAPI DispatchCleanup(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PMDL_EXTENSION Ext = (PMDL_EXTENSION)pDevObj->DeviceExtension;
    PFILE_OBJECT FileObject = IoGetCurrentIrpStackLocation(pIrp)->FileObject;

    LockMapping(Ext);
    if (Ext->UserAddress != NULL && Ext->MapOwner == FileObject)
    {
        DbgPrint("KdMdl: unmapping %p left behind by its file object\n", Ext->UserAddress);
        MmUnmapLockedPages(Ext->UserAddress, Ext->Mdl);
        Ext->UserAddress = NULL;
        Ext->MapOwner = NULL;
    }
    UnlockMapping(Ext);
    return CompleteIrp(pIrp, STATUS_SUCCESS, 0);
}

/* 读 (直接 I/O): 调用者的缓冲区已被锁定并由 Irp->MdlAddress 描述 */
NTSTATUS NTAPI DispatchRead(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PMDL_EXTENSION Ext = (PMDL_EXTENSION)pDevObj->DeviceExtension;
    ULONG Length = IoGetCurrentIrpStackLocation(pIrp)->Parameters.Read.Length;
    PVOID Output;

    if (Length > SHARED_SIZE)
        Length = SHARED_SIZE;
    if (Length == 0)   // 长度为 0 时没有 MDL
        return CompleteIrp(pIrp, STATUS_SUCCESS, 0);
    if (pIrp->MdlAddress == NULL)
        return CompleteIrp(pIrp, STATUS_INSUFFICIENT_RESOURCES, 0);
    Output = MmGetSystemAddressForMdlSafe(pIrp->MdlAddress, NormalPagePriority);  // 映射到系统地址空间
    if (Output == NULL)
        return CompleteIrp(pIrp, STATUS_INSUFFICIENT_RESOURCES, 0);
    RtlCopyMemory(Output, Ext->Shared, Length);
    return CompleteIrp(pIrp, STATUS_SUCCESS, Length);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PDEVICE_OBJECT pDevObj;
    PMDL_EXTENSION Ext;
    UNICODE_STRING DeviceName;
    UNICODE_STRING SymLinkName;
    LARGE_INTEGER DueTime;

    RtlInitUnicodeString(&DeviceName, DEVICE_NAME);
    Status = IoCreateDevice(pDriver, sizeof(MDL_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
        &pDevObj);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdMdl: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    pDevObj->Flags |= DO_DIRECT_IO;   // 读写缓冲区由 MDL 描述
    Ext = (PMDL_EXTENSION)pDevObj->DeviceExtension;
    RtlZeroMemory(Ext, sizeof(MDL_EXTENSION));
    KeInitializeMutex(&Ext->MapLock, 0);

    // 共享缓冲区: 计数器在偏移 0, 字符串在偏移 8
    Ext->Shared = ExAllocatePoolWithTag(NonPagedPool, SHARED_SIZE, SHARED_TAG);
    if (Ext->Shared == NULL)
    {
        IoDeleteDevice(pDevObj);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(Ext->Shared, SHARED_SIZE);
    RtlCopyMemory((PUCHAR)Ext->Shared + MESSAGE_OFFSET, Message, sizeof(Message));

    // 用 MDL 描述这块非分页内存: 页面常驻, 不必 MmProbeAndLockPages, 由 MmBuildMdlForNonPagedPool 填写物理页
    Ext->Mdl = IoAllocateMdl(Ext->Shared, SHARED_SIZE, FALSE, FALSE, NULL);
    if (Ext->Mdl == NULL)
    {
        ExFreePoolWithTag(Ext->Shared, SHARED_TAG);
        IoDeleteDevice(pDevObj);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(Ext->Mdl);

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    Status = IoCreateSymbolicLink(&SymLinkName, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdMdl: IoCreateSymbolicLink failed %08x\n", Status);
        IoFreeMdl(Ext->Mdl);
        ExFreePoolWithTag(Ext->Shared, SHARED_TAG);
        IoDeleteDevice(pDevObj);
        return Status;
    }

    // 周期定时器: 100 ms 后第一次到期, 之后每 100 ms 一次
    KeInitializeTimer(&Ext->Timer);
    KeInitializeDpc(&Ext->TimerDpc, TimerDpcRoutine, Ext);
    DueTime.QuadPart = -(LONGLONG)PERIOD_MS * 10000;   // -1000000: 相对 100 ms
    KeSetTimerEx(&Ext->Timer, DueTime, PERIOD_MS, &Ext->TimerDpc);

    pDriver->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_CLEANUP] = DispatchCleanup;
    pDriver->MajorFunction[IRP_MJ_READ] = DispatchRead;
    pDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    pDriver->DriverUnload = UnDriver;

    pDevObj->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
