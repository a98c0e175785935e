/* The KMDF PnP sample's client: opens \\.\KdPnp, writes "hello", reads the bytes back (the read waits in the
 * driver's manual queue until the 50 ms timer the write started completes it), and asks for the write counter.
 *
 * Expected output:
 *   write: 5
 *   read: hello
 *   writes: 1
 */
#define UNICODE
#include <windows.h>
#include <stdio.h>
#include <winioctl.h>

#define IOCTL_KDPNP_GET_WRITES CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */

int main()
{
    HANDLE hDevice;
    char data[6] = { 0 };
    ULONG writes = 0;
    DWORD done = 0;

    hDevice = CreateFile(L"\\\\.\\KdPnp", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
        FILE_ATTRIBUTE_NORMAL, NULL);
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("open failed: %lu\n", GetLastError());
        return 1;
    }

    if (WriteFile(hDevice, "hello", 5, &done, NULL))
        printf("write: %lu\n", done);
    else
        printf("write: error %lu\n", GetLastError());

    // 读请求在驱动的手动队列中等待, 由定时器完成
    if (ReadFile(hDevice, data, 5, &done, NULL))
        printf("read: %.*s\n", (int)done, data);
    else
        printf("read: error %lu\n", GetLastError());

    if (DeviceIoControl(hDevice, IOCTL_KDPNP_GET_WRITES, NULL, 0, &writes, sizeof(writes), &done, NULL))
        printf("writes: %lu\n", writes);
    else
        printf("writes: error %lu\n", GetLastError());

    CloseHandle(hDevice);
    return 0;
}
