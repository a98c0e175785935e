/* The chapter's system-thread client: creates the named pipe \\.\pipe\KdPipe, has \\.\KdPipe start its
 * driver thread (which connects to the pipe and writes three lines), and prints each line it reads until
 * the driver closes its end.
 *
 * The pipe is in byte mode, so one ReadFile may return several lines, or part of one: the bytes are
 * collected and printed a complete "\n"-terminated line at a time. */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <winioctl.h>

#define IOCTL_KD_START CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */

int main()
{
    HANDLE hPipe, hDevice;
    char pending[256];   // 已读到但还没有凑成完整一行的字节
    DWORD used = 0;      // pending 中的字节数
    DWORD got, returned, error, i, start;
    int result = 1;

    // 先创建管道 (服务端), 驱动的线程随后以客户端身份打开它
    hPipe = CreateNamedPipeA("\\\\.\\pipe\\KdPipe", PIPE_ACCESS_INBOUND,
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
    if (hPipe == INVALID_HANDLE_VALUE)
    {
        printf("CreateNamedPipeA failed: %lu\n", GetLastError());
        return 1;
    }

    hDevice = CreateFileA("\\\\.\\KdPipe", GENERIC_READ | GENERIC_WRITE, 0, NULL,
        OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("CreateFileA failed: %lu\n", GetLastError());
        CloseHandle(hPipe);
        return 1;
    }

    if (!DeviceIoControl(hDevice, IOCTL_KD_START, NULL, 0, NULL, 0, &returned, NULL))
    {
        printf("DeviceIoControl failed: %lu\n", GetLastError());
        goto done;
    }

    // 驱动的线程可能已经在 ConnectNamedPipe 之前连上: 这时返回 FALSE + ERROR_PIPE_CONNECTED, 也算成功
    if (!ConnectNamedPipe(hPipe, NULL) && (error = GetLastError()) != ERROR_PIPE_CONNECTED)
    {
        printf("ConnectNamedPipe failed: %lu\n", error);
        goto done;
    }

    for (;;)
    {
        if (!ReadFile(hPipe, pending + used, sizeof(pending) - used, &got, NULL))
        {
            error = GetLastError();
            if (error != ERROR_BROKEN_PIPE)   // 对方关闭管道且数据已读完时才是 ERROR_BROKEN_PIPE
            {
                printf("ReadFile failed: %lu\n", error);
                goto done;
            }
            if (used != 0)
            {
                printf("pipe closed after an incomplete line of %lu bytes\n", used);
                goto done;
            }
            printf("pipe closed\n");
            break;
        }
        used += got;

        // 打印所有完整的行, 把剩下的半行移到缓冲区开头
        start = 0;
        for (i = 0; i < used; i++)
        {
            if (pending[i] == '\n')
            {
                printf("pipe: %.*s\n", (int)(i - start), pending + start);
                start = i + 1;
            }
        }
        used -= start;
        memmove(pending, pending + start, used);
        if (used == sizeof(pending))   // 缓冲区满了却没有换行: 不是本示例的驱动写出的数据
        {
            printf("ReadFile: line longer than %lu bytes\n", (DWORD)sizeof(pending));
            goto done;
        }
    }
    result = 0;

done:
    CloseHandle(hDevice);
    CloseHandle(hPipe);
    return result;
}
