/* The chapter's DeviceIoControl example: one driver, the four transfer methods.
 *
 * \Device\KdIoctl (symbolic link \??\KdIoctl) answers:
 *   0x222000 ADD      METHOD_BUFFERED    in: ULONG a, ULONG b  -> out: ULONG a + b
 *   0x222004 REVERSE  METHOD_BUFFERED    in: bytes -> out: the same bytes reversed
 *   0x222009 REVERSE  METHOD_IN_DIRECT
 *   0x22200E REVERSE  METHOD_OUT_DIRECT
 *   0x222013 REVERSE  METHOD_NEITHER
 * Any other code fails with STATUS_INVALID_DEVICE_REQUEST.
 *
 * Where each method puts the buffers:
 *   METHOD_BUFFERED    input and output share Irp->AssociatedIrp.SystemBuffer (a kernel copy);
 *   METHOD_IN/OUT_DIRECT the input is in SystemBuffer, the output buffer is described by Irp->MdlAddress;
 *   METHOD_NEITHER     the caller's own addresses: Parameters.DeviceIoControl.Type3InputBuffer and
 *                      Irp->UserBuffer, to be probed before use.
 * The dispatch routines carry NTAPI (stdcall on x86), as the WDK would compile them (/Gz). */
#include <ntddk.h>

#define IOCTL_KD_ADD              CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */
#define IOCTL_KD_REVERSE_BUFFERED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222004 */
#define IOCTL_KD_REVERSE_IN       CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_IN_DIRECT, FILE_ANY_ACCESS)  /* 0x222009 */
#define IOCTL_KD_REVERSE_OUT      CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) /* 0x22200E */
#define IOCTL_KD_REVERSE_NEITHER  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x804, METHOD_NEITHER, FILE_ANY_ACCESS)    /* 0x222013 */

#define DEVICE_NAME  L"\\Device\\KdIoctl"
#define SYMLINK_NAME L"\\??\\KdIoctl"

/* 把 Source 的 Length 个字节倒序写入 Dest; 两块缓冲区可以重叠(METHOD_BUFFERED 时就是同一块) */
static VOID ReverseBytes(PUCHAR Dest, const UCHAR *Source, ULONG Length)
{
    ULONG i;
    UCHAR t;
    RtlMoveMemory(Dest, Source, Length);  // 先整体拷贝(允许重叠)
    for (i = 0; i < Length / 2; i++)      // 再原地倒序
    {
        t = Dest[i];
        Dest[i] = Dest[Length - 1 - i];
        Dest[Length - 1 - i] = t;
    }
}

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING SymLinkName;
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

/* ADD: 输入两个 ULONG, 输出它们的和 (METHOD_BUFFERED, 输入输出共用 SystemBuffer) */
static NTSTATUS DoAdd(PIRP pIrp, ULONG InLen, ULONG OutLen, ULONG_PTR *Information)
{
    PULONG Buffer = (PULONG)pIrp->AssociatedIrp.SystemBuffer;
    ULONG Sum;
    if (InLen < 2 * sizeof(ULONG))
        return STATUS_INVALID_PARAMETER;
    if (OutLen < sizeof(ULONG))
        return STATUS_BUFFER_TOO_SMALL;
    Sum = Buffer[0] + Buffer[1];  // 先读完输入,
    Buffer[0] = Sum;              // 再写输出: 两者是同一块内存
    *Information = sizeof(ULONG);
    return STATUS_SUCCESS;
}

/* REVERSE: 按控制码中的传输方式取得输入/输出缓冲区, 把输入倒序写到输出 */
static NTSTATUS DoReverse(PIRP pIrp, PIO_STACK_LOCATION Stack, ULONG Code, ULONG InLen, ULONG OutLen,
    ULONG_PTR *Information)
{
    PUCHAR Input;
    PUCHAR Output;

    if (OutLen < InLen)
        return STATUS_BUFFER_TOO_SMALL;
    if (InLen == 0)  // 没有数据可倒序: 不必触碰任何缓冲区
    {
        *Information = 0;
        return STATUS_SUCCESS;
    }

    switch (METHOD_FROM_CTL_CODE(Code))
    {
    case METHOD_BUFFERED:
        // I/O 管理器分配的系统缓冲区, 输入已拷入; 完成时再把输出拷回用户
        Input = (PUCHAR)pIrp->AssociatedIrp.SystemBuffer;
        Output = Input;
        break;
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
        // 输入在系统缓冲区, 输出缓冲区已被锁定并由 MDL 描述, 映射到系统地址空间后使用
        Input = (PUCHAR)pIrp->AssociatedIrp.SystemBuffer;
        if (pIrp->MdlAddress == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        Output = (PUCHAR)MmGetSystemAddressForMdlSafe(pIrp->MdlAddress, NormalPagePriority);
        if (Output == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        break;
    default: /* METHOD_NEITHER */
        // 直接使用用户地址: 必须先探测. 正式驱动应放在 __try/__except 中;
        // mingw 没有 __try, 这里直接调用 —— 探测失败时没有处理程序, 系统会蓝屏
        Input = (PUCHAR)Stack->Parameters.DeviceIoControl.Type3InputBuffer;
        Output = (PUCHAR)pIrp->UserBuffer;
        ProbeForRead(Input, InLen, 1);
        ProbeForWrite(Output, OutLen, 1);
        break;
    }

    ReverseBytes(Output, Input, InLen);
    *Information = InLen;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI DispatchDeviceControl(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG Code = Stack->Parameters.DeviceIoControl.IoControlCode;         // 控制码
    ULONG InLen = Stack->Parameters.DeviceIoControl.InputBufferLength;    // 输入长度
    ULONG OutLen = Stack->Parameters.DeviceIoControl.OutputBufferLength;  // 输出长度
    ULONG_PTR Information = 0;
    NTSTATUS Status;

    switch (Code)
    {
    case IOCTL_KD_ADD:
        Status = DoAdd(pIrp, InLen, OutLen, &Information);
        break;
    case IOCTL_KD_REVERSE_BUFFERED:
    case IOCTL_KD_REVERSE_IN:
    case IOCTL_KD_REVERSE_OUT:
    case IOCTL_KD_REVERSE_NEITHER:
        Status = DoReverse(pIrp, Stack, Code, InLen, OutLen, &Information);
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

    RtlInitUnicodeString(&DeviceName, DEVICE_NAME);
    Status = IoCreateDevice(pDriver, 0, &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE, &pDevObj);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdIoctl: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    pDevObj->Flags |= DO_BUFFERED_IO;

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    Status = IoCreateSymbolicLink(&SymLinkName, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdIoctl: IoCreateSymbolicLink failed %08x\n", Status);
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
