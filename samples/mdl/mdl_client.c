/* The chapter's shared-memory client: has \\.\KdMdl map its buffer into this process, watches the counter
 * that the driver's timer advances, reads the start of the buffer through ReadFile for comparison, and
 * unmaps it again. */
#define UNICODE
#include <windows.h>
#include <stdio.h>
#include <winioctl.h>

#define IOCTL_KD_MAP   CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */
#define IOCTL_KD_UNMAP CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222004 */

int main()
{
    HANDLE hDevice;
    PVOID shared = NULL;   // 驱动的缓冲区在本进程中的地址
    UCHAR buffer[6];
    DWORD returned = 0;
    DWORD i;

    hDevice = CreateFile(L"\\\\.\\KdMdl", GENERIC_READ | GENERIC_WRITE, 0, NULL,
        OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("open failed: %lu\n", GetLastError());
        return 1;
    }

    // 1. 让驱动把共享缓冲区映射进本进程, 输出是一个指针
    if (!DeviceIoControl(hDevice, IOCTL_KD_MAP, NULL, 0, &shared, sizeof(shared), &returned, NULL))
    {
        printf("map: error %lu\n", GetLastError());
        CloseHandle(hDevice);
        return 1;
    }
    if (returned != sizeof(shared) || shared == NULL)
    {
        printf("map: returned %lu bytes, address %p\n", returned, shared);
        CloseHandle(hDevice);
        return 1;
    }
    printf("mapped\n");

    // 2. 不再发任何请求, 直接读内存: 驱动的定时器每 100 ms 把计数器加一
    Sleep(350);
    printf("counter: %lu\n", *(volatile ULONG *)shared);
    printf("message: %s\n", (const char *)shared + 8);

    // 3. 再用 ReadFile (直接 I/O) 读出缓冲区开头的 6 个字节
    if (!ReadFile(hDevice, buffer, sizeof(buffer), &returned, NULL))
    {
        printf("read: error %lu\n", GetLastError());
        CloseHandle(hDevice);   // IRP_MJ_CLEANUP 会解除映射
        return 1;
    }
    printf("read: ");
    for (i = 0; i < returned && i < sizeof(buffer); i++)
        printf("%02x", buffer[i]);
    printf("\n");

    // 4. 解除映射: 输入是映射得到的地址
    if (!DeviceIoControl(hDevice, IOCTL_KD_UNMAP, &shared, sizeof(shared), NULL, 0, &returned, NULL))
    {
        printf("unmap: error %lu\n", GetLastError());
        CloseHandle(hDevice);
        return 1;
    }
    printf("unmapped\n");

    CloseHandle(hDevice);
    return 0;
}
