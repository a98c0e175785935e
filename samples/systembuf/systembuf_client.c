/* The chapter's buffered-I/O client: sends "hello kernel" to \\.\KdSysBuf and prints the upper-cased reply,
 * then writes "ping" and reads it back. */
#define UNICODE
#include <windows.h>
#include <stdio.h>
#include <winioctl.h>

#define IOCTL_KD_UPPER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */

int main()
{
    HANDLE hDevice;
    char message[] = "hello kernel";
    char reply[64] = { 0 };
    char buffer[16] = { 0 };
    DWORD returned = 0;

    hDevice = CreateFile(L"\\\\.\\KdSysBuf", GENERIC_READ | GENERIC_WRITE, 0, NULL,
        OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("open failed: %lu\n", GetLastError());
        return 1;
    }

    // 输入连同结尾的 NUL 一起发送; 驱动在同一块系统缓冲区里改写为大写
    if (DeviceIoControl(hDevice, IOCTL_KD_UPPER, message, sizeof(message), reply, sizeof(reply) - 1, &returned, NULL))
        printf("reply: %s\n", reply);
    else
        printf("reply: error %lu\n", GetLastError());

    // 写入 4 个字节, 再读回来
    if (!WriteFile(hDevice, "ping", 4, &returned, NULL))
        printf("write: error %lu\n", GetLastError());
    if (ReadFile(hDevice, buffer, sizeof(buffer), &returned, NULL))
        printf("read back: %.*s\n", (int)returned, buffer);
    else
        printf("read back: error %lu\n", GetLastError());

    CloseHandle(hDevice);
    return 0;
}
