/* The chapter's system-thread example: a driver thread that is a named-pipe client.
 *
 * \Device\KdPipe (symbolic link \??\KdPipe):
 *   IRP_MJ_CREATE/CLOSE   succeed.
 *   0x222000 START        starts a system thread (PsCreateSystemThread) and keeps a reference to its
 *                         ETHREAD; while that thread still runs a second START fails with
 *                         STATUS_DEVICE_BUSY.
 *   the thread            opens \??\pipe\KdPipe (the pipe the user-mode client created) with ZwCreateFile,
 *                         writes "tick 0\n", "tick 1\n", "tick 2\n" 100 ms apart with ZwWriteFile, closes
 *                         the pipe and ends with PsTerminateSystemThread.
 *   unload                waits for the thread to end (its ETHREAD is signaled then), drops the reference,
 *                         deletes the link and the device.
 *
 * The thread's text is formatted by hand so the driver imports no string-formatting routine.
 * The dispatch, unload and thread routines carry NTAPI (stdcall on x86), as the WDK would compile them (/Gz). */
#include <ntddk.h>

#define IOCTL_KD_START CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */

#define DEVICE_NAME  L"\\Device\\KdPipe"
#define SYMLINK_NAME L"\\??\\KdPipe"
#define PIPE_NAME    L"\\??\\pipe\\KdPipe"   /* \??\pipe 指向 \Device\NamedPipe */
#define TICK_COUNT   3
#define DELAY_100NS  (-1000000LL)            /* 相对时间(负数), 单位 100ns: 100 ms */

static PETHREAD g_Thread;   // 已启动线程的 ETHREAD (持有一个引用), 没有则为 NULL
static KMUTEX g_StartLock;  // 串行化 START: 两个并发的 START 不能都看到 g_Thread == NULL

/* 把 "tick <n>\n" 写入 Buffer (至少 16 字节), 返回字节数 (不含 NUL) */
static ULONG FormatTick(char *Buffer, ULONG n)
{
    static const char Prefix[] = "tick ";
    char Digits[10];
    ULONG Length = 0, Count = 0;
    ULONG i;

    for (i = 0; i < sizeof(Prefix) - 1; i++)
        Buffer[Length++] = Prefix[i];
    do  // 先从低位到高位取出数字, 再倒序写入
    {
        Digits[Count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (Count > 0)
        Buffer[Length++] = Digits[--Count];
    Buffer[Length++] = '\n';
    return Length;
}

/* ---------------- 系统线程 (PASSIVE_LEVEL, System 进程上下文) ---------------- */

VOID NTAPI PipeThread(PVOID StartContext)
{
    NTSTATUS Status;
    HANDLE hPipe;
    OBJECT_ATTRIBUTES ObjectAttributes;
    IO_STATUS_BLOCK IoStatus;
    UNICODE_STRING PipeName;
    LARGE_INTEGER Interval;
    char Line[16];
    ULONG Length;
    ULONG i;

    DbgPrint("KdPipe: thread started\n");
    RtlInitUnicodeString(&PipeName, PIPE_NAME);
    // 内核句柄: 只能在内核模式使用, 不进入任何用户进程的句柄表
    InitializeObjectAttributes(&ObjectAttributes, &PipeName, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    // 管道的服务端已由用户态客户端创建, 这里以客户端身份打开它; 同步 I/O: ZwWriteFile 完成后才返回
    Status = ZwCreateFile(&hPipe, GENERIC_WRITE | SYNCHRONIZE, &ObjectAttributes, &IoStatus, NULL,
        FILE_ATTRIBUTE_NORMAL, 0, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdPipe: ZwCreateFile failed %08x\n", Status);
        PsTerminateSystemThread(Status);
    }
    DbgPrint("KdPipe: pipe opened\n");

    for (i = 0; i < TICK_COUNT; i++)
    {
        Interval.QuadPart = DELAY_100NS;   // 负数: 相对于现在
        KeDelayExecutionThread(KernelMode, FALSE, &Interval);
        Length = FormatTick(Line, i);
        Status = ZwWriteFile(hPipe, NULL, NULL, NULL, &IoStatus, Line, Length, NULL, NULL);
        if (!NT_SUCCESS(Status))
        {
            DbgPrint("KdPipe: ZwWriteFile failed %08x\n", Status);
            break;
        }
        DbgPrint("KdPipe: wrote tick %u\n", i);
    }

    ZwClose(hPipe);   // 服务端随后读到 ERROR_BROKEN_PIPE
    DbgPrint("KdPipe: pipe closed, thread exits\n");
    PsTerminateSystemThread(STATUS_SUCCESS);   // 不会返回
}

/* ---------------- 派遣函数 ---------------- */

/* START: 启动线程, 并保留它的 ETHREAD 以便卸载时等待它结束 */
static NTSTATUS StartThread(VOID)
{
    NTSTATUS Status;
    HANDLE hThread;
    OBJECT_ATTRIBUTES ObjectAttributes;
    LARGE_INTEGER Zero;
    PVOID Object;

    KeWaitForSingleObject(&g_StartLock, Executive, KernelMode, FALSE, NULL);
    if (g_Thread != NULL)
    {
        // 超时为 0 的等待只是查询: 线程结束后 ETHREAD 才处于触发状态
        Zero.QuadPart = 0;
        if (KeWaitForSingleObject(g_Thread, Executive, KernelMode, FALSE, &Zero) == STATUS_TIMEOUT)
        {
            Status = STATUS_DEVICE_BUSY;   // 上一个线程还在运行
            goto done;
        }
        ObDereferenceObject(g_Thread);     // 上一个线程已结束: 释放它, 允许再启动一个
        g_Thread = NULL;
    }

    // 派遣函数运行在调用者(用户进程)的上下文中: 用内核句柄, 以免线程句柄进入该进程的句柄表
    InitializeObjectAttributes(&ObjectAttributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&hThread, THREAD_ALL_ACCESS, &ObjectAttributes, NULL, NULL, PipeThread, NULL);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdPipe: PsCreateSystemThread failed %08x\n", Status);
        goto done;
    }
    // 句柄不能用来等待到卸载时 (卸载运行在另一个上下文), 换成对象引用后关闭句柄
    Status = ObReferenceObjectByHandle(hThread, SYNCHRONIZE, *PsThreadType, KernelMode, &Object, NULL);
    ZwClose(hThread);
    if (!NT_SUCCESS(Status))
    {
        // 线程已在运行却拿不到引用: 无法在卸载时等待它 (实际上不会发生)
        DbgPrint("KdPipe: ObReferenceObjectByHandle failed %08x\n", Status);
        goto done;
    }
    g_Thread = (PETHREAD)Object;
    DbgPrint("KdPipe: START\n");

done:
    KeReleaseMutex(&g_StartLock, FALSE);
    return Status;
}

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING SymLinkName;

    if (g_Thread != NULL)
    {
        // 线程的代码在本驱动映像里: 必须等它结束后才能让映像被卸载
        KeWaitForSingleObject(g_Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(g_Thread);
        g_Thread = NULL;
    }
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
    NTSTATUS Status;

    switch (Stack->Parameters.DeviceIoControl.IoControlCode)
    {
    case IOCTL_KD_START:
        Status = StartThread();
        break;
    default:
        Status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }

    pIrp->IoStatus.Status = Status;
    pIrp->IoStatus.Information = 0;   // 没有输出
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return Status;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PDEVICE_OBJECT pDevObj;
    UNICODE_STRING DeviceName;
    UNICODE_STRING SymLinkName;

    g_Thread = NULL;
    KeInitializeMutex(&g_StartLock, 0);   // 互斥体在 PASSIVE_LEVEL 持有, 其间可以调用 PsCreateSystemThread

    RtlInitUnicodeString(&DeviceName, DEVICE_NAME);
    Status = IoCreateDevice(pDriver, 0, &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE, &pDevObj);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdPipe: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    pDevObj->Flags |= DO_BUFFERED_IO;

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    Status = IoCreateSymbolicLink(&SymLinkName, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdPipe: IoCreateSymbolicLink failed %08x\n", Status);
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
