// The scheduler's benchmark (npm run bench, threadSwitchesPerSec): two system threads hand a synchronization event
// back and forth ROUNDS times while DriverEntry waits for both, so every round is two thread switches.
#include <ntddk.h>

#define ROUNDS 100000

static KEVENT ping, pong;
static volatile LONG rounds;

static VOID NTAPI Pinger(PVOID context)
{
    for (int i = 0; i < ROUNDS; i++) {
        KeSetEvent(&ping, IO_NO_INCREMENT, FALSE);
        KeWaitForSingleObject(&pong, Executive, KernelMode, FALSE, NULL);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID NTAPI Ponger(PVOID context)
{
    for (int i = 0; i < ROUNDS; i++) {
        KeWaitForSingleObject(&ping, Executive, KernelMode, FALSE, NULL);
        rounds++;
        KeSetEvent(&pong, IO_NO_INCREMENT, FALSE);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS Start(PKSTART_ROUTINE routine, PVOID *thread)
{
    HANDLE h;
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    NTSTATUS status = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, routine, NULL);
    if (!NT_SUCCESS(status)) return status;
    status = ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, thread, NULL);
    ZwClose(h);
    return status;
}

static VOID NTAPI Unload(PDRIVER_OBJECT driver) {}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path)
{
    PVOID threads[2];
    driver->DriverUnload = Unload;
    KeInitializeEvent(&ping, SynchronizationEvent, FALSE);
    KeInitializeEvent(&pong, SynchronizationEvent, FALSE);
    NTSTATUS status = Start(Pinger, &threads[0]);
    if (!NT_SUCCESS(status)) return status;
    status = Start(Ponger, &threads[1]);
    if (!NT_SUCCESS(status)) return status;
    for (int i = 0; i < 2; i++) {
        KeWaitForSingleObject(threads[i], Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(threads[i]);
    }
    DbgPrint("threadbench: %d rounds\n", rounds);
    return STATUS_SUCCESS;
}
