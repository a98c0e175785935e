/* The chapter's event example: a process-creation callback that tells user mode through events.
 *
 * \Device\KdEvent (symbolic link \??\KdEvent):
 *   DriverEntry            creates the named notification event \BaseNamedObjects\KdProcEvent (user mode
 *                          opens it as "Global\KdProcEvent") and registers a process notify routine with
 *                          PsSetCreateProcessNotifyRoutineEx.
 *   notify routine         records {parent pid, pid, create = 1} when a process is created, {0, pid, 0}
 *                          when one exits, then signals the named event and, if one was registered, the
 *                          client's own event.
 *   0x222000 GET           out: the 12-byte record; also clears the named event (it is a notification
 *                          event: it stays signaled until someone clears it).
 *   0x222004 SET_USER_EVENT in: an event handle of the calling process (sizeof(HANDLE) bytes); the driver
 *                          keeps a reference to the event object and signals it from the notify routine.
 *   unload                 removes the notify routine, releases the client's event, closes the named
 *                          event, deletes the link and the device.
 *
 * PsSetCreateProcessNotifyRoutineEx only accepts images linked with /INTEGRITYCHECK
 * (IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY): samples/event/ldflags adds -Wl,--forceinteg.
 * The dispatch, unload and notify routines carry NTAPI (stdcall on x86), as the WDK would compile them (/Gz). */
#include <ntddk.h>

#define IOCTL_KD_GET            CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */
#define IOCTL_KD_SET_USER_EVENT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222004 */

#define DEVICE_NAME  L"\\Device\\KdEvent"
#define SYMLINK_NAME L"\\??\\KdEvent"
#define EVENT_NAME   L"\\BaseNamedObjects\\KdProcEvent"

/* 最近一次进程创建/退出的记录, 原样交给用户态 (12 字节) */
typedef struct _PROC_RECORD
{
    ULONG ParentPid;   // 创建时为父进程 ID, 退出时为 0
    ULONG Pid;
    ULONG Create;      // 1: 创建, 0: 退出
} PROC_RECORD;

static PROC_RECORD g_Record;
static PKEVENT g_NamedEvent;          // IoCreateNotificationEvent 返回的事件对象
static HANDLE g_NamedEventHandle;     // 以及它的 (内核) 句柄, 卸载时关闭
static PKEVENT g_UserEvent;           // 客户端登记的事件 (持有一个引用), 没有则为 NULL
static KSPIN_LOCK g_Lock;             // 保护 g_Record 和 g_UserEvent: 回调与派遣函数可能同时运行

/* ---------------- 进程通知回调 (PASSIVE_LEVEL; 创建时在创建者的线程中, 退出时在进程的最后一个线程中) ---------------- */

VOID NTAPI ProcessNotify(PEPROCESS Process, HANDLE ProcessId, PPS_CREATE_NOTIFY_INFO CreateInfo)
{
    KIRQL Irql;

    KeAcquireSpinLock(&g_Lock, &Irql);
    if (CreateInfo != NULL)   // 进程创建
    {
        g_Record.ParentPid = (ULONG)(ULONG_PTR)CreateInfo->ParentProcessId;
        g_Record.Create = 1;
    }
    else                      // 进程退出
    {
        g_Record.ParentPid = 0;
        g_Record.Create = 0;
    }
    g_Record.Pid = (ULONG)(ULONG_PTR)ProcessId;
    // Wait 为 FALSE 的 KeSetEvent 可以在 DISPATCH_LEVEL 调用; 持锁调用保证 g_UserEvent 不会同时被换掉释放
    KeSetEvent(g_NamedEvent, IO_NO_INCREMENT, FALSE);
    if (g_UserEvent != NULL)
        KeSetEvent(g_UserEvent, IO_NO_INCREMENT, FALSE);
    KeReleaseSpinLock(&g_Lock, Irql);
}

/* ---------------- 派遣函数 ---------------- */

/* GET: 把记录拷到系统缓冲区, 并清除命名事件 (通知事件不会被等待自动清除) */
static NTSTATUS DoGet(PIRP pIrp, ULONG OutLen, ULONG_PTR *Information)
{
    KIRQL Irql;

    if (OutLen < sizeof(PROC_RECORD))
        return STATUS_BUFFER_TOO_SMALL;
    KeAcquireSpinLock(&g_Lock, &Irql);
    RtlCopyMemory(pIrp->AssociatedIrp.SystemBuffer, &g_Record, sizeof(PROC_RECORD));
    KeClearEvent(g_NamedEvent);   // 在锁内清除: 不会清掉读取之后才到来的新记录的信号
    KeReleaseSpinLock(&g_Lock, Irql);
    *Information = sizeof(PROC_RECORD);
    return STATUS_SUCCESS;
}

/* SET_USER_EVENT: 输入是调用进程中的一个事件句柄, 换成对象引用保存 (句柄只在调用进程中有效) */
static NTSTATUS DoSetUserEvent(PIRP pIrp, ULONG InLen)
{
    HANDLE hEvent;
    PKEVENT NewEvent;
    PKEVENT OldEvent;
    KIRQL Irql;
    NTSTATUS Status;

    if (InLen < sizeof(HANDLE))
        return STATUS_INVALID_PARAMETER;
    hEvent = *(PHANDLE)pIrp->AssociatedIrp.SystemBuffer;
    // UserMode: 句柄来自用户态, 要检查它确实是事件、且带有 EVENT_MODIFY_STATE 权限
    // (派遣函数运行在调用者的上下文中, 所以这个句柄在这里有效)
    Status = ObReferenceObjectByHandle(hEvent, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode,
        (PVOID *)&NewEvent, NULL);
    if (!NT_SUCCESS(Status))
        return Status;

    KeAcquireSpinLock(&g_Lock, &Irql);
    OldEvent = g_UserEvent;
    g_UserEvent = NewEvent;
    KeReleaseSpinLock(&g_Lock, Irql);
    if (OldEvent != NULL)
        ObDereferenceObject(OldEvent);   // 之前登记的事件
    return STATUS_SUCCESS;
}

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING SymLinkName;

    // 注销后不会再有新的回调, 正在运行的回调也已结束
    PsSetCreateProcessNotifyRoutineEx(ProcessNotify, TRUE);
    if (g_UserEvent != NULL)
    {
        ObDereferenceObject(g_UserEvent);
        g_UserEvent = NULL;
    }
    ZwClose(g_NamedEventHandle);   // 关闭后若用户态也没有句柄, 命名事件随之删除
    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    IoDeleteSymbolicLink(&SymLinkName);   // 先删除符号链接
    if (pDriver->DeviceObject)
        IoDeleteDevice(pDriver->DeviceObject); // 再删除设备对象
}

NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    pIrp->IoStatus.Status = STATUS_SUCCESS;
    pIrp->IoStatus.Information = 0;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI DispatchDeviceControl(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG InLen = Stack->Parameters.DeviceIoControl.InputBufferLength;    // 输入长度
    ULONG OutLen = Stack->Parameters.DeviceIoControl.OutputBufferLength;  // 输出长度
    ULONG_PTR Information = 0;
    NTSTATUS Status;

    switch (Stack->Parameters.DeviceIoControl.IoControlCode)
    {
    case IOCTL_KD_GET:
        Status = DoGet(pIrp, OutLen, &Information);
        break;
    case IOCTL_KD_SET_USER_EVENT:
        Status = DoSetUserEvent(pIrp, InLen);
        break;
    default:
        Status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }

    if (!NT_SUCCESS(Status))
        Information = 0;
    pIrp->IoStatus.Status = Status;
    pIrp->IoStatus.Information = Information;  // 告诉 I/O 管理器输出了多少字节
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return Status;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PDEVICE_OBJECT pDevObj;
    UNICODE_STRING DeviceName;
    UNICODE_STRING SymLinkName;
    UNICODE_STRING EventName;

    RtlZeroMemory(&g_Record, sizeof(g_Record));
    g_UserEvent = NULL;
    KeInitializeSpinLock(&g_Lock);   // 必须在注册回调之前初始化

    RtlInitUnicodeString(&DeviceName, DEVICE_NAME);
    Status = IoCreateDevice(pDriver, 0, &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE, &pDevObj);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdEvent: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    pDevObj->Flags |= DO_BUFFERED_IO;

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    Status = IoCreateSymbolicLink(&SymLinkName, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdEvent: IoCreateSymbolicLink failed %08x\n", Status);
        IoDeleteDevice(pDevObj);
        return Status;
    }

    // 创建 (或打开已存在的) 命名通知事件; 它的状态不确定, 先清除
    RtlInitUnicodeString(&EventName, EVENT_NAME);
    g_NamedEvent = IoCreateNotificationEvent(&EventName, &g_NamedEventHandle);
    if (g_NamedEvent == NULL)
    {
        DbgPrint("KdEvent: IoCreateNotificationEvent failed\n");
        IoDeleteSymbolicLink(&SymLinkName);
        IoDeleteDevice(pDevObj);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeClearEvent(g_NamedEvent);

    // 注册之后回调随时可能运行: 它用到的事件和锁都已就绪
    Status = PsSetCreateProcessNotifyRoutineEx(ProcessNotify, FALSE);
    if (!NT_SUCCESS(Status))
    {
        // 映像没有 FORCE_INTEGRITY 标志时为 STATUS_ACCESS_DENIED
        DbgPrint("KdEvent: PsSetCreateProcessNotifyRoutineEx failed %08x\n", Status);
        ZwClose(g_NamedEventHandle);
        IoDeleteSymbolicLink(&SymLinkName);
        IoDeleteDevice(pDevObj);
        return Status;
    }

    pDriver->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    pDriver->DriverUnload = UnDriver;

    pDevObj->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
