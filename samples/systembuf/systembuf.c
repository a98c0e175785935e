/* The chapter's buffered-I/O example: everything goes through the system buffer
 * (Irp->AssociatedIrp.SystemBuffer), the kernel copy of the caller's data that the I/O manager makes for
 * DO_BUFFERED_IO devices and METHOD_BUFFERED control codes.
 *
 * \Device\KdSysBuf (symbolic link \??\KdSysBuf):
 *   0x222000 (METHOD_BUFFERED)  in: a NUL-terminated ASCII string; the driver prints it and writes the
 *                               upper-cased string (with its NUL) back into the same system buffer.
 *   IRP_MJ_WRITE                keeps up to 256 bytes in the device extension.
 *   IRP_MJ_READ                 returns the kept bytes.
 * The dispatch routines carry NTAPI (stdcall on x86), as the WDK would compile them (/Gz). */
#include <ntddk.h>

#define IOCTL_KD_UPPER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */

#define DEVICE_NAME  L"\\Device\\KdSysBuf"
#define SYMLINK_NAME L"\\??\\KdSysBuf"
#define KEEP_SIZE    256

/* 设备扩展: 随设备对象一起分配, 删除设备时一起释放 */
typedef struct _SYSBUF_EXTENSION
{
    ULONG Length;            // 已保存的字节数
    UCHAR Data[KEEP_SIZE];   // IRP_MJ_WRITE 写入的数据
} SYSBUF_EXTENSION, *PSYSBUF_EXTENSION;

VOID NTAPI UnDriver(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING SymLinkName;
    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    IoDeleteSymbolicLink(&SymLinkName);        // 删除符号链接
    if (pDriver->DeviceObject)
        IoDeleteDevice(pDriver->DeviceObject); // 删除设备 (设备扩展随之释放)
}

static NTSTATUS CompleteIrp(PIRP pIrp, NTSTATUS Status, ULONG_PTR Information)
{
    pIrp->IoStatus.Status = Status;
    pIrp->IoStatus.Information = NT_SUCCESS(Status) ? Information : 0;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return Status;
}

NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    return CompleteIrp(pIrp, STATUS_SUCCESS, 0);
}

NTSTATUS NTAPI DispatchDeviceControl(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG InLen = Stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG OutLen = Stack->Parameters.DeviceIoControl.OutputBufferLength;
    PCHAR Buffer = (PCHAR)pIrp->AssociatedIrp.SystemBuffer;  // 输入和输出共用这一块
    ULONG Length, i;

    if (Stack->Parameters.DeviceIoControl.IoControlCode != IOCTL_KD_UPPER)
        return CompleteIrp(pIrp, STATUS_INVALID_DEVICE_REQUEST, 0);

    // 输入必须在自己的长度之内以 NUL 结尾, 否则不能当作字符串使用
    for (Length = 0; Length < InLen && Buffer[Length] != '\0'; Length++)
        ;
    if (Length == InLen)
        return CompleteIrp(pIrp, STATUS_INVALID_PARAMETER, 0);
    if (OutLen < Length + 1)
        return CompleteIrp(pIrp, STATUS_BUFFER_TOO_SMALL, 0);

    DbgPrint("received: %s\n", Buffer);

    // 原地改写为大写: 完成时 I/O 管理器把系统缓冲区的前 Information 个字节拷回用户的输出缓冲区
    for (i = 0; i < Length; i++)
    {
        if (Buffer[i] >= 'a' && Buffer[i] <= 'z')
            Buffer[i] = (CHAR)(Buffer[i] - 'a' + 'A');
    }
    return CompleteIrp(pIrp, STATUS_SUCCESS, Length + 1);
}

NTSTATUS NTAPI DispatchWrite(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PSYSBUF_EXTENSION Ext = (PSYSBUF_EXTENSION)pDevObj->DeviceExtension;
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG Length = Stack->Parameters.Write.Length;

    if (Length > KEEP_SIZE)  // 多出的部分丢弃
        Length = KEEP_SIZE;
    if (Length > 0)
        RtlCopyMemory(Ext->Data, pIrp->AssociatedIrp.SystemBuffer, Length);
    Ext->Length = Length;
    return CompleteIrp(pIrp, STATUS_SUCCESS, Length);
}

NTSTATUS NTAPI DispatchRead(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PSYSBUF_EXTENSION Ext = (PSYSBUF_EXTENSION)pDevObj->DeviceExtension;
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG Length = Stack->Parameters.Read.Length;

    if (Length > Ext->Length)
        Length = Ext->Length;
    if (Length > 0)
        RtlCopyMemory(pIrp->AssociatedIrp.SystemBuffer, Ext->Data, Length);
    return CompleteIrp(pIrp, STATUS_SUCCESS, Length);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    PDEVICE_OBJECT pDevObj;
    PSYSBUF_EXTENSION Ext;
    UNICODE_STRING DeviceName;
    UNICODE_STRING SymLinkName;

    RtlInitUnicodeString(&DeviceName, DEVICE_NAME);
    Status = IoCreateDevice(pDriver, sizeof(SYSBUF_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
        &pDevObj);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdSysBuf: IoCreateDevice failed %08x\n", Status);
        return Status;
    }
    Ext = (PSYSBUF_EXTENSION)pDevObj->DeviceExtension;
    RtlZeroMemory(Ext, sizeof(SYSBUF_EXTENSION));
    pDevObj->Flags |= DO_BUFFERED_IO;  // 读写也走系统缓冲区

    RtlInitUnicodeString(&SymLinkName, SYMLINK_NAME);
    Status = IoCreateSymbolicLink(&SymLinkName, &DeviceName);
    if (!NT_SUCCESS(Status))
    {
        DbgPrint("KdSysBuf: IoCreateSymbolicLink failed %08x\n", Status);
        IoDeleteDevice(pDevObj);
        return Status;
    }

    pDriver->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    pDriver->MajorFunction[IRP_MJ_READ] = DispatchRead;
    pDriver->MajorFunction[IRP_MJ_WRITE] = DispatchWrite;
    pDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    pDriver->DriverUnload = UnDriver;

    pDevObj->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
