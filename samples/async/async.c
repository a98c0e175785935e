/* The chapter's asynchronous-I/O example: reads are left pending in a cancel-safe queue (IoCsqXxx) and
 * completed later, by a write or by a timer.
 *
 * \Device\KdAsync (symbolic link \??\KdAsync), DO_BUFFERED_IO:
 *   IRP_MJ_READ     marks the IRP pending, inserts it into the cancel-safe queue, (re)arms a 500 ms timer
 *                   and returns STATUS_PENDING.
 *   timer DPC       completes the oldest queued read with the 7 bytes "timeout"; if reads are still queued
 *                   it arms the timer again for another 500 ms.
 *   IRP_MJ_WRITE    completes the oldest queued read (if any) with the written bytes, and itself succeeds
 *                   with Information = its length.
 *   CancelIo        the queue's cancel routine completes the read with STATUS_CANCELLED.
 *   IRP_MJ_CLEANUP  completes every read still queued for that file object with STATUS_CANCELLED.
 *   unload          cancels the timer, waits for a DPC that may still be queued or running, deletes the
 *                   link and the device.
 *
 * Timing is kept simple: every queued read sets the timer to 500 ms from now (KeSetTimer on a timer that
 * is already set just moves its due time), so when reads arrive in a burst the oldest waits 500 ms after
 * the newest one.  The DPC then completes one read per 500 ms.
 * The dispatch, unload, DPC and IoCsq routines carry NTAPI (stdcall on x86), as the WDK would compile them (/Gz). */
#include <ntddk.h>

#define DEVICE_NAME  L"\\Device\\KdAsync"
#define SYMLINK_NAME L"\\??\\KdAsync"
#define TIMEOUT_100NS (-5000000LL)   /* 相对时间(负数), 单位 100ns: 500 ms */

static const char TimeoutText[] = "timeout";   /* 超时时返回的 7 个字节 (不含 NUL) */

/* 设备扩展: 取消安全队列、保护它的自旋锁、定时器和 DPC 都放在这里, 随设备对象一起分配 */
typedef struct _ASYNC_EXTENSION
{
    IO_CSQ Csq;               // 取消安全队列 (由 IoCsqInitialize 填写)
    LIST_ENTRY PendingReads;  // 挂起的读 IRP, 通过 Irp->Tail.Overlay.ListEntry 串起来, 队首最旧
    KSPIN_LOCK QueueLock;     // 保护 PendingReads
    KTIMER Timer;             // 500 ms 超时定时器
    KDPC TimerDpc;            // 定时器到期时排队的 DPC
} ASYNC_EXTENSION, *PASYNC_EXTENSION;

#define EXT_FROM_CSQ(c) CONTAINING_RECORD((c), ASYNC_EXTENSION, Csq)

/* ---------------- 取消安全队列的六个回调 ---------------- */
/* IoCsqXxx 在调用 Insert/Remove/Peek 之前已经通过 AcquireLock 拿到了锁 */

VOID NTAPI CsqInsertIrp(PIO_CSQ Csq, PIRP Irp)
{
    PASYNC_EXTENSION Ext = EXT_FROM_CSQ(Csq);
    InsertTailList(&Ext->PendingReads, &Irp->Tail.Overlay.ListEntry);  // 新的放在队尾
}

VOID NTAPI CsqRemoveIrp(PIO_CSQ Csq, PIRP Irp)
{
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

/* 从 Irp 之后(Irp 为 NULL 时从队首)开始找下一个 IRP;
 * PeekContext 不为 NULL 时它是一个文件对象, 只找属于这个文件对象的 IRP */
PIRP NTAPI CsqPeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PASYNC_EXTENSION Ext = EXT_FROM_CSQ(Csq);
    PLIST_ENTRY Head = &Ext->PendingReads;
    PLIST_ENTRY Entry = (Irp == NULL) ? Head->Flink : Irp->Tail.Overlay.ListEntry.Flink;

    while (Entry != Head)
    {
        PIRP Next = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
        if (PeekContext == NULL ||
            IoGetCurrentIrpStackLocation(Next)->FileObject == (PFILE_OBJECT)PeekContext)
            return Next;
        Entry = Entry->Flink;
    }
    return NULL;
}

VOID NTAPI CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    KeAcquireSpinLock(&EXT_FROM_CSQ(Csq)->QueueLock, Irql);
}

VOID NTAPI CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&EXT_FROM_CSQ(Csq)->QueueLock, Irql);
}

/* IRP 在队列中被取消(CancelIo、线程退出): IoCsq 已把它移出队列, 这里只需完成它 */
VOID NTAPI CsqCompleteCanceledIrp(PIO_CSQ Csq, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* ---------------- 辅助函数 ---------------- */

static NTSTATUS CompleteIrp(PIRP pIrp, NTSTATUS Status, ULONG_PTR Information)
{
    pIrp->IoStatus.Status = Status;
    pIrp->IoStatus.Information = NT_SUCCESS(Status) ? Information : 0;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return Status;
}

/* 用 Data 的前 Length 个字节完成一个挂起的读 IRP (最多拷贝读缓冲区的长度) */
static VOID CompleteReadWith(PIRP ReadIrp, const VOID *Data, ULONG Length)
{
    ULONG ReadLength = IoGetCurrentIrpStackLocation(ReadIrp)->Parameters.Read.Length;
    if (Length > ReadLength)
        Length = ReadLength;
    if (Length > 0)
        RtlCopyMemory(ReadIrp->AssociatedIrp.SystemBuffer, Data, Length);  // 缓冲 I/O: 写入系统缓冲区
    CompleteIrp(ReadIrp, STATUS_SUCCESS, Length);
}

static BOOLEAN QueueIsEmpty(PASYNC_EXTENSION Ext)
{
    KIRQL Irql;
    BOOLEAN Empty;
    KeAcquireSpinLock(&Ext->QueueLock, &Irql);
    Empty = IsListEmpty(&Ext->PendingReads);
    KeReleaseSpinLock(&Ext->QueueLock, Irql);
    return Empty;
}

static VOID ArmTimer(PASYNC_EXTENSION Ext)
{
    LARGE_INTEGER DueTime;
    DueTime.QuadPart = TIMEOUT_100NS;               // 负数: 相对于现在
    KeSetTimer(&Ext->Timer, DueTime, &Ext->TimerDpc);  // 已在等待的定时器会被重新设置
}

/* ---------------- 定时器 DPC (DISPATCH_LEVEL) ---------------- */

VOID NTAPI TimerDpcRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PASYNC_EXTENSION Ext = (PASYNC_EXTENSION)DeferredContext;
    PIRP ReadIrp = IoCsqRemoveNextIrp(&Ext->Csq, NULL);  // 取出最旧的读 (已被取消的不会再返回)

    if (ReadIrp != NULL)
        CompleteReadWith(ReadIrp, TimeoutText, sizeof(TimeoutText) - 1);
    if (!QueueIsEmpty(Ext))   // 还有读在等: 再等 500 ms
        ArmTimer(Ext);
}

/* ---------------- 派遣函数 ---------------- */

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING SymLinkName;
    PDEVICE_OBJECT pDevObj = pDriver->DeviceObject;

    if (pDevObj)
    {
        PASYNC_EXTENSION Ext = (PASYNC_EXTENSION)pDevObj->DeviceExtension;
        // 所有句柄都已关闭(IRP_MJ_CLEANUP 已取消全部挂起的读), 队列为空, DPC 不会再设置定时器
        KeCancelTimer(&Ext->Timer);   // 取消尚未到期的定时器
        KeFlushQueuedDpcs();          // 等待已排队或正在运行的 DPC 结束, 之后才能释放设备扩展
    }
    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    IoDeleteSymbolicLink(&SymLinkName);   // 删除符号链接
    if (pDevObj)
        IoDeleteDevice(pDevObj);          // 删除设备 (设备扩展随之释放)
}

NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    return CompleteIrp(pIrp, STATUS_SUCCESS, 0);
}

/* 读: 不立即完成, 挂起并放入取消安全队列 */
NTSTATUS NTAPI DispatchRead(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PASYNC_EXTENSION Ext = (PASYNC_EXTENSION)pDevObj->DeviceExtension;

    IoMarkIrpPending(pIrp);                     // 先标记挂起: 插入队列后它随时可能被完成或取消
    IoCsqInsertIrp(&Ext->Csq, pIrp, NULL);      // 由 IoCsq 设置取消例程; 若已被取消则直接交给 CsqCompleteCanceledIrp
    ArmTimer(Ext);                              // 500 ms 后由 DPC 完成最旧的读
    return STATUS_PENDING;                      // 之后不能再访问 pIrp
}

/* 写: 把数据交给最旧的挂起读, 自身立即成功 */
NTSTATUS NTAPI DispatchWrite(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PASYNC_EXTENSION Ext = (PASYNC_EXTENSION)pDevObj->DeviceExtension;
    ULONG Length = IoGetCurrentIrpStackLocation(pIrp)->Parameters.Write.Length;
    PIRP ReadIrp = IoCsqRemoveNextIrp(&Ext->Csq, NULL);

    if (ReadIrp != NULL)
        CompleteReadWith(ReadIrp, pIrp->AssociatedIrp.SystemBuffer, Length);
    return CompleteIrp(pIrp, STATUS_SUCCESS, Length);
}

/* 清理: 文件对象的最后一个句柄关闭时, 取消它所有仍在队列中的读 */
NTSTATUS NTAPI DispatchCleanup(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PASYNC_EXTENSION Ext = (PASYNC_EXTENSION)pDevObj->DeviceExtension;
    PFILE_OBJECT FileObject = IoGetCurrentIrpStackLocation(pIrp)->FileObject;
    PIRP ReadIrp;

    while ((ReadIrp = IoCsqRemoveNextIrp(&Ext->Csq, FileObject)) != NULL)
        CompleteIrp(ReadIrp, STATUS_CANCELLED, 0);
    return CompleteIrp(pIrp, STATUS_SUCCESS, 0);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PDEVICE_OBJECT pDevObj;
    PASYNC_EXTENSION Ext;
    UNICODE_STRING DeviceName;
    UNICODE_STRING SymLinkName;

    RtlInitUnicodeString(&DeviceName, DEVICE_NAME);
    Status = IoCreateDevice(pDriver, sizeof(ASYNC_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
        &pDevObj);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdAsync: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    pDevObj->Flags |= DO_BUFFERED_IO;

    Ext = (PASYNC_EXTENSION)pDevObj->DeviceExtension;
    RtlZeroMemory(Ext, sizeof(ASYNC_EXTENSION));
    InitializeListHead(&Ext->PendingReads);
    KeInitializeSpinLock(&Ext->QueueLock);
    IoCsqInitialize(&Ext->Csq, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp,
        CsqAcquireLock, CsqReleaseLock, CsqCompleteCanceledIrp);
    KeInitializeTimer(&Ext->Timer);
    KeInitializeDpc(&Ext->TimerDpc, TimerDpcRoutine, Ext);   // DeferredContext: 设备扩展

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    Status = IoCreateSymbolicLink(&SymLinkName, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdAsync: IoCreateSymbolicLink failed %08x\n", Status);
        IoDeleteDevice(pDevObj);
        return Status;
    }

    pDriver->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_READ] = DispatchRead;
    pDriver->MajorFunction[IRP_MJ_WRITE] = DispatchWrite;
    pDriver->MajorFunction[IRP_MJ_CLEANUP] = DispatchCleanup;
    pDriver->DriverUnload = UnDriver;

    pDevObj->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
