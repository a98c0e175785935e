/* The chapter's event client: learns of process creation and exit through two kinds of event.
 *   - the driver's named notification event "Global\KdProcEvent", opened with OpenEventA: waited on after
 *     each of two CreateProcessA calls (notepad.exe);
 *   - an unnamed auto-reset event of its own, handed to \\.\KdEvent by handle (0x222004): waited on after
 *     TerminateProcess of the first notepad.
 * After each wait it fetches the driver's 12-byte record (0x222000) and prints it. */
#include <windows.h>
#include <stdio.h>
#include <winioctl.h>

#define IOCTL_KD_GET            CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222000 */
#define IOCTL_KD_SET_USER_EVENT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)   /* 0x222004 */

/* 与驱动中的记录相同 (12 字节) */
typedef struct _PROC_RECORD
{
    ULONG ParentPid;   // 创建时为父进程 ID, 退出时为 0
    ULONG Pid;
    ULONG Create;      // 1: 创建, 0: 退出
} PROC_RECORD;

/* 取驱动记录的最近一次进程创建/退出 */
static BOOL GetRecord(HANDLE hDevice, PROC_RECORD *record)
{
    DWORD returned = 0;
    if (!DeviceIoControl(hDevice, IOCTL_KD_GET, NULL, 0, record, sizeof(*record), &returned, NULL))
    {
        printf("DeviceIoControl GET failed: %lu\n", GetLastError());
        return FALSE;
    }
    if (returned != sizeof(*record))
    {
        printf("DeviceIoControl GET returned %lu bytes, expected %lu\n", returned, (DWORD)sizeof(*record));
        return FALSE;
    }
    return TRUE;
}

int main()
{
    HANDLE hNamed = NULL, hOwn = NULL, hDevice = INVALID_HANDLE_VALUE;
    PROCESS_INFORMATION pi[2];
    STARTUPINFOA si;
    PROC_RECORD record;
    DWORD returned, self = GetCurrentProcessId();
    int started = 0;   // pi 中已创建的进程数
    int result = 1;
    int i;

    ZeroMemory(pi, sizeof(pi));

    // 驱动在 \BaseNamedObjects 下创建的事件, 在用户态的名字是 Global\...; 只需等待它
    hNamed = OpenEventA(SYNCHRONIZE, FALSE, "Global\\KdProcEvent");
    if (hNamed == NULL)
    {
        printf("OpenEventA failed: %lu\n", GetLastError());
        goto done;
    }
    hOwn = CreateEventA(NULL, FALSE, FALSE, NULL);   // 自动重置, 初始未触发
    if (hOwn == NULL)
    {
        printf("CreateEventA failed: %lu\n", GetLastError());
        goto done;
    }
    hDevice = CreateFileA("\\\\.\\KdEvent", GENERIC_READ | GENERIC_WRITE, 0, NULL,
        OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hDevice == INVALID_HANDLE_VALUE)
    {
        printf("CreateFileA failed: %lu\n", GetLastError());
        goto done;
    }

    // 把自己的事件句柄交给驱动: 它在本进程的上下文中把句柄换成对象引用
    if (!DeviceIoControl(hDevice, IOCTL_KD_SET_USER_EVENT, &hOwn, sizeof(HANDLE), NULL, 0, &returned, NULL))
    {
        printf("DeviceIoControl SET_USER_EVENT failed: %lu\n", GetLastError());
        goto done;
    }

    // 1. 创建两个进程, 每次等命名事件, 再取记录 (GET 同时清除命名事件)
    for (i = 0; i < 2; i++)
    {
        ZeroMemory(&si, sizeof(si));
        si.cb = sizeof(si);
        if (!CreateProcessA("C:\\Windows\\System32\\notepad.exe", NULL, NULL, NULL, FALSE, 0, NULL, NULL,
                &si, &pi[i]))
        {
            printf("CreateProcessA failed: %lu\n", GetLastError());
            goto done;
        }
        started++;
        if (WaitForSingleObject(hNamed, INFINITE) != WAIT_OBJECT_0)
        {
            printf("WaitForSingleObject failed: %lu\n", GetLastError());
            goto done;
        }
        if (!GetRecord(hDevice, &record))
            goto done;
        if (record.Create != 1 || record.Pid != pi[i].dwProcessId || record.ParentPid != self)
        {
            printf("unexpected record: create=%lu pid=%lu parent=%lu, expected create=1 pid=%lu parent=%lu\n",
                record.Create, record.Pid, record.ParentPid, pi[i].dwProcessId, self);
            goto done;
        }
        printf("created pid=%lu parent=%lu\n", record.Pid, record.ParentPid);
    }

    // 2. 结束第一个进程, 这次等自己的事件. 两次创建已把它置为触发 (自动重置事件在被等待前一直保持触发),
    //    所以先复位, 等到的才是退出的信号
    ResetEvent(hOwn);
    if (!TerminateProcess(pi[0].hProcess, 0))
    {
        printf("TerminateProcess failed: %lu\n", GetLastError());
        goto done;
    }
    if (WaitForSingleObject(hOwn, INFINITE) != WAIT_OBJECT_0)
    {
        printf("WaitForSingleObject failed: %lu\n", GetLastError());
        goto done;
    }
    if (!GetRecord(hDevice, &record))
        goto done;
    if (record.Create != 0 || record.Pid != pi[0].dwProcessId)
    {
        printf("unexpected record: create=%lu pid=%lu, expected create=0 pid=%lu\n",
            record.Create, record.Pid, pi[0].dwProcessId);
        goto done;
    }
    printf("exited pid=%lu\n", record.Pid);
    result = 0;

done:
    for (i = 0; i < started; i++)
    {
        CloseHandle(pi[i].hThread);
        CloseHandle(pi[i].hProcess);
    }
    if (hDevice != INVALID_HANDLE_VALUE)
        CloseHandle(hDevice);
    if (hOwn != NULL)
        CloseHandle(hOwn);
    if (hNamed != NULL)
        CloseHandle(hNamed);
    return result;
}
