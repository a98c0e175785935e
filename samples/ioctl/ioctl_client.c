/* The chapter's DeviceIoControl client: opens \\.\KdIoctl, asks for 2 + 3, has 00 01 02 03 04 reversed with
 * each of the four transfer methods, then shows two failures (an output buffer that is too small, and a
 * control code the driver does not know). */
#define UNICODE
#include <windows.h>
#include <stdio.h>
#include <winioctl.h>

#define IOCTL_KD_ADD              CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */
#define IOCTL_KD_REVERSE_BUFFERED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222004 */
#define IOCTL_KD_REVERSE_IN       CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_IN_DIRECT, FILE_ANY_ACCESS)  /* 0x222009 */
#define IOCTL_KD_REVERSE_OUT      CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) /* 0x22200E */
#define IOCTL_KD_REVERSE_NEITHER  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x804, METHOD_NEITHER, FILE_ANY_ACCESS)    /* 0x222013 */
#define IOCTL_KD_UNKNOWN          CTL_CODE(FILE_DEVICE_UNKNOWN, 0xBFF, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222FFC */

/* 用指定的控制码把 00 01 02 03 04 倒序, 以十六进制打印结果 */
static void Reverse(HANDLE hDevice, const char *label, DWORD code)
{
    UCHAR input[5] = { 0x00, 0x01, 0x02, 0x03, 0x04 };
    UCHAR output[5] = { 0 };
    DWORD returned = 0;
    DWORD i;

    if (!DeviceIoControl(hDevice, code, input, sizeof(input), output, sizeof(output), &returned, NULL))
    {
        printf("%s: error %lu\n", label, GetLastError());
        return;
    }
    printf("%s: ", label);
    for (i = 0; i < returned && i < sizeof(output); i++)
        printf("%02x", output[i]);
    printf("\n");
}

int main()
{
    HANDLE hDevice;
    ULONG add[2] = { 2, 3 };
    ULONG sum = 0;
    UCHAR input[5] = { 0x00, 0x01, 0x02, 0x03, 0x04 };
    UCHAR small[2];
    DWORD returned = 0;

    hDevice = CreateFile(L"\\\\.\\KdIoctl", GENERIC_READ | GENERIC_WRITE, 0, NULL,
        OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("open failed: %lu\n", GetLastError());
        return 1;
    }

    // 1. METHOD_BUFFERED: 两个 ULONG 相加
    if (DeviceIoControl(hDevice, IOCTL_KD_ADD, add, sizeof(add), &sum, sizeof(sum), &returned, NULL))
        printf("add: %lu\n", sum);
    else
        printf("add: error %lu\n", GetLastError());

    // 2. 同一个操作, 四种传输方式
    Reverse(hDevice, "buffered", IOCTL_KD_REVERSE_BUFFERED);
    Reverse(hDevice, "in_direct", IOCTL_KD_REVERSE_IN);
    Reverse(hDevice, "out_direct", IOCTL_KD_REVERSE_OUT);
    Reverse(hDevice, "neither", IOCTL_KD_REVERSE_NEITHER);

    // 3. 输出缓冲区太小: STATUS_BUFFER_TOO_SMALL -> ERROR_INSUFFICIENT_BUFFER (122)
    if (DeviceIoControl(hDevice, IOCTL_KD_REVERSE_BUFFERED, input, sizeof(input), small, sizeof(small), &returned, NULL))
        printf("small: ok %lu\n", returned);
    else
        printf("small: error %lu\n", GetLastError());

    // 4. 驱动不认识的控制码: STATUS_INVALID_DEVICE_REQUEST -> ERROR_INVALID_FUNCTION (1)
    if (DeviceIoControl(hDevice, IOCTL_KD_UNKNOWN, NULL, 0, NULL, 0, &returned, NULL))
        printf("unknown: ok\n");
    else
        printf("unknown: error %lu\n", GetLastError());

    CloseHandle(hDevice);
    return 0;
}
