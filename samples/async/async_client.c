/* The chapter's asynchronous-I/O client: opens \\.\KdAsync for overlapped I/O and shows the three ways a
 * pending read ends:
 *   A  completed by a write ("hello"),
 *   B  completed by the driver's 500 ms timer ("timeout"),
 *   C  cancelled with CancelIo (ERROR_OPERATION_ABORTED, 995).
 * Each operation has its own OVERLAPPED with its own manual-reset event. */
#define UNICODE
#include <windows.h>
#include <stdio.h>
#include <winioctl.h>

/* 发起一个重叠读, 期望它挂起 (FALSE + ERROR_IO_PENDING); 成功挂起返回 TRUE */
static BOOL StartRead(HANDLE hDevice, const char *name, char *buffer, DWORD length, OVERLAPPED *ov)
{
    DWORD error;
    if (ReadFile(hDevice, buffer, length, NULL, ov))
    {
        printf("read %s: completed at once, expected it to pend\n", name);
        return FALSE;
    }
    error = GetLastError();
    if (error != ERROR_IO_PENDING)
    {
        printf("read %s: error %lu, expected ERROR_IO_PENDING\n", name, error);
        return FALSE;
    }
    printf("read %s: pending\n", name);
    return TRUE;
}

/* 等待一个挂起的读完成并打印读到的文本 */
static BOOL FinishRead(HANDLE hDevice, const char *name, const char *buffer, OVERLAPPED *ov)
{
    DWORD got = 0;
    if (!GetOverlappedResult(hDevice, ov, &got, TRUE))
    {
        printf("read %s: error %lu\n", name, GetLastError());
        return FALSE;
    }
    printf("read %s: %.*s\n", name, (int)got, buffer);
    return TRUE;
}

int main()
{
    HANDLE hDevice;
    HANDLE events[4] = { NULL, NULL, NULL, NULL };   // A, 写, B, C 各自的事件
    OVERLAPPED ovA, ovWrite, ovB, ovC;
    char bufA[16], bufB[16], bufC[16];
    DWORD written = 0, got = 0, error;
    int result = 1;
    int i;

    hDevice = CreateFile(L"\\\\.\\KdAsync", GENERIC_READ | GENERIC_WRITE, 0, NULL,
        OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);   // 以重叠方式打开: 读写可以挂起
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("open failed: %lu\n", GetLastError());
        return 1;
    }
    for (i = 0; i < 4; i++)
    {
        events[i] = CreateEvent(NULL, TRUE, FALSE, NULL);   // 手动重置, 初始未触发
        if (events[i] == NULL)
        {
            printf("CreateEvent failed: %lu\n", GetLastError());
            goto done;
        }
    }
    ZeroMemory(&ovA, sizeof(ovA));         ovA.hEvent = events[0];
    ZeroMemory(&ovWrite, sizeof(ovWrite)); ovWrite.hEvent = events[1];
    ZeroMemory(&ovB, sizeof(ovB));         ovB.hEvent = events[2];
    ZeroMemory(&ovC, sizeof(ovC));         ovC.hEvent = events[3];

    // A: 读挂起, 由写完成
    if (!StartRead(hDevice, "A", bufA, sizeof(bufA), &ovA))
        goto done;
    if (!WriteFile(hDevice, "hello", 5, NULL, &ovWrite) && (error = GetLastError()) != ERROR_IO_PENDING)
    {
        printf("write: error %lu\n", error);
        goto done;
    }
    // 无论写是同步完成还是挂起, 结果都在 ovWrite 里
    if (!GetOverlappedResult(hDevice, &ovWrite, &written, TRUE))
    {
        printf("write: error %lu\n", GetLastError());
        goto done;
    }
    printf("write: %lu\n", written);
    if (!FinishRead(hDevice, "A", bufA, &ovA))
        goto done;

    // B: 读挂起, 500 ms 后由驱动的定时器完成
    if (!StartRead(hDevice, "B", bufB, sizeof(bufB), &ovB))
        goto done;
    if (WaitForSingleObject(ovB.hEvent, INFINITE) != WAIT_OBJECT_0)
    {
        printf("read B: wait failed: %lu\n", GetLastError());
        goto done;
    }
    if (!FinishRead(hDevice, "B", bufB, &ovB))
        goto done;

    // C: 读挂起, 然后取消本线程在这个句柄上发起的 I/O
    if (!StartRead(hDevice, "C", bufC, sizeof(bufC), &ovC))
        goto done;
    if (!CancelIo(hDevice))
    {
        printf("CancelIo failed: %lu\n", GetLastError());
        goto done;
    }
    if (GetOverlappedResult(hDevice, &ovC, &got, TRUE))
    {
        printf("read C: completed with %lu bytes, expected it to be cancelled\n", got);
        goto done;
    }
    error = GetLastError();
    if (error != ERROR_OPERATION_ABORTED)   // STATUS_CANCELLED -> 995
    {
        printf("read C: error %lu, expected %lu\n", error, (DWORD)ERROR_OPERATION_ABORTED);
        goto done;
    }
    printf("read C: cancelled\n");
    result = 0;

done:
    CloseHandle(hDevice);   // 仍挂起的读(出错时)在 IRP_MJ_CLEANUP 中被取消
    for (i = 0; i < 4; i++)
    {
        if (events[i] != NULL)
            CloseHandle(events[i]);
    }
    return result;
}
