// Process, thread and handle facts from DriverEntry (the System process, kernel mode) and from a user request's
// dispatch routine (the client process in session 1, user mode).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';

const IOCTL_KD_INFO = 0x222000;
const IOCTL_KD_PEB = 0x222004;

describe.each(ARCHES)('%s', (arch) => {
  const x64 = arch === 'x64';
  const nul = x64 ? '0000000000000000' : '00000000';
  const result = () => {
    const { report } = run(buildDriver('procinfo', arch), [op.ioctl(IOCTL_KD_INFO)]);
    expect(report.outcome).toBe('completed');
    return report.dbgPrint.map((l) => l.trimEnd());
  };
  const at = (where: string) => result().filter((l) => l.startsWith(where + ':'));

  it('DriverEntry runs in System: session 0, kernel previous mode, a system thread on its kernel stack, no PEB', () => {
    expect(at('entry').slice(0, x64 ? 5 : 4)).toEqual([
      'entry: pid 4 session 0 current session 0 parent 0 thread pid 4 previous mode 0',
      'entry: stack holds a local 1, initial stack is the top 1, remaining 1',
      "entry: system thread 1 thread's process 1",
      ...(x64 ? [`entry: wow64 ${nul} is32bit 0`] : []),
      `entry: System's PEB ${nul}`,
    ]);
  });

  it('ZwQueryInformationProcess on System: basic information with its length rule, session 0, no WOW64, no image file', () => {
    const ps = x64 ? 8 : 4;
    expect(at('entry').slice(x64 ? 5 : 4, x64 ? 12 : 11)).toEqual([
      `entry: basic, 1 byte short: c0000004 length ${6 * ps}`,
      `entry: basic: 00000000 length ${6 * ps} exit 00000103 peb ${nul} affinity 1 priority 8 pid 4 parent 0`,
      'entry: session: 00000000 0',
      `entry: wow64: 00000000 0 length ${ps}`,
      // An empty name fits in the UNICODE_STRING alone.
      `entry: image name, 8 bytes: ${x64 ? 'c0000004' : '00000000'} needs ${2 * ps}`,
      'entry: image name: 00000000 length 0 max 0 [(null)] after 0',
      'entry: bad handle c0000008',
    ]);
  });

  it('IoSetTopLevelIrp sets what IoGetTopLevelIrp returns; kernel handles are kernel handles to a kernel-mode caller', () => {
    expect(at('entry').slice(x64 ? 12 : 11)).toEqual([
      `entry: top-level IRP ${nul}`,
      'entry: top-level IRP after set 1',
      'entry: ObIsKernelHandle kernel 1 current process 0',
      'entry: ObCloseHandle 00000000 again (UserMode) c0000008',
    ]);
  });

  it("a user request's dispatch routine runs in the client (session 1, user previous mode), the IRP's requestor, whose handle's access IoValidateDeviceIoControlAccess checks", () => {
    expect(at('ioctl')).toEqual([
      'ioctl: pid 420 session 1 current session 1 parent 1000 thread pid 420 previous mode 1',
      'ioctl: stack holds a local 1, initial stack is the top 1, remaining 1',
      "ioctl: system thread 0 thread's process 1",
      ...(x64 ? [`ioctl: wow64 ${nul} is32bit 0`] : []),
      'ioctl: requestor 1 pid 420',
      // The handle grants read and write: the I/O manager marked SL_READ_ACCESS_GRANTED | SL_WRITE_ACCESS_GRANTED.
      'ioctl: validate read 00000000 write 00000000 bad c000000d flags 05 without c0000022',
      // Previous mode UserMode: a kernel handle is not one to this caller, and ObCloseHandle(UserMode) cannot close it.
      'ioctl: ObIsKernelHandle 0',
      'ioctl: ObCloseHandle UserMode c0000008 KernelMode 00000000',
      'ioctl: session: 00000000 1',
      `ioctl: wow64: 00000000 0 length ${x64 ? 8 : 4}`,
      `ioctl: image name, 8 bytes: c0000004 needs ${(x64 ? 16 : 8) + 82}`,
      'ioctl: image name: 00000000 length 80 max 82 [\\Device\\HarddiskVolume1\\kdemu\\client.exe] after 1',
    ]);
  });

  it('PsGetProcessPeb on a client process that runs no program stops the run: it has no user address space', () => {
    const { report } = run(buildDriver('procinfo', arch), [op.ioctl(IOCTL_KD_PEB)]);
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.reason).toMatch(/^PsGetProcessPeb\(0x[0-9A-F]+\) from procinfo\.sys\+0x[0-9a-f]+: client\.exe has no user address space/);
  });
});
