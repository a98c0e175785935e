// Handles to processes and threads by client id or name (ZwOpenProcess, ZwOpenThread, PsLookupProcessThreadByCid),
// ZwQueryInformationThread, and ZwTerminateProcess on a spawned process.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';

const IOCTL_KD_PID = 0x222000;
const pid = (n: number) => op.ioctl(IOCTL_KD_PID, Buffer.from(Uint32Array.of(n).buffer).toString('hex'));

describe.each(ARCHES)('%s', (arch) => {
  const lines = () => {
    const { report } = run(buildDriver('psopen', arch, { linkFlags: ['-Wl,--forceinteg'] }), [{ op: 'spawn', image: 'C:\\Windows\\System32\\notepad.exe' }, pid(428)]);
    expect(report.outcome).toBe('completed');
    return report.dbgPrint.map((l) => l.trimEnd());
  };
  const after = (all: string[], first: string, n: number) => all.slice(all.findIndex((l) => l.startsWith(first)), all.findIndex((l) => l.startsWith(first)) + n);

  it('ZwOpenProcess by client id: kernel or process handle, the object callbacks trimming a process handle', () => {
    expect(after(lines(), '  pre pid 4 kernel 1 desired 001fffff', 16)).toEqual([
      '  pre pid 4 kernel 1 desired 001fffff',
      '  post granted 001fffff',
      'system kernel handle: 00000000 kernel 1 pid 4 granted 001fffff',
      // Without OBJ_KERNEL_HANDLE the handle goes in the current process's (System's) table, and the pre-operation
      // routine takes PROCESS_VM_WRITE away.
      '  pre pid 4 kernel 0 desired 00000030',
      '  post granted 00000010',
      'system process handle: 00000000 kernel 0 pid 4 granted 00000010',
      // A client id with a thread opens that thread's process, with or without the pid.
      '  pre pid 4 kernel 1 desired 00000400',
      '  post granted 00000400',
      'by thread: 00000000 kernel 1 pid 4 granted 00000400',
      '  pre pid 4 kernel 1 desired 00000400',
      '  post granted 00000400',
      'by thread alone: 00000000 kernel 1 pid 4 granted 00000400',
      'thread of another process: c000000b handle untouched 1',
      'unknown pid: c000000b handle untouched 1',
      // GENERIC_READ maps to the process type's read rights.
      '  pre pid 420 kernel 1 desired 00020410',
      '  post granted 00020410',
    ]);
  });

  it('OBJ_FORCE_ACCESS_CHECK gives System only the limited rights; name and client id are exclusive', () => {
    expect(after(lines(), 'forced check', 8)).toEqual([
      'forced check, all access: c0000022 handle untouched 1',
      '  pre pid 4 kernel 1 desired 00001000',
      '  post granted 00001000',
      'forced check, limited: 00000000 kernel 1 pid 4 granted 00001000',
      'neither: c0000030',
      'both: c0000030',
      'unknown name: c0000034',
      'not a process: c0000024',
    ]);
  });

  it('ZwOpenThread and PsLookupProcessThreadByCid need the thread to be the named process\'s', () => {
    expect(after(lines(), 'thread by tid', 9)).toEqual([
      'thread by tid: 00000000 tid 8 current 1',
      'thread by pid and tid: 00000000 tid 8 current 1',
      'thread in another process: c000000b',
      'unknown tid: c000000b',
      'no tid: c000000b',
      'cid: 00000000 process 1 thread 1',
      'cid, thread only: 00000000 process 0 thread 1',
      'cid without pid: c000000b process 0 thread 0',
      'cid of another process: c000000b process 0 thread 0',
    ]);
  });

  it('ZwQueryInformationThread / ZwSetInformationThread: basic information, start address, termination, debugger hiding, priority', () => {
    const ptr = arch === 'x64' ? '0000000000000000' : '00000000';
    const ps = arch === 'x64' ? 8 : 4;
    expect(after(lines(), 'thread basic, 1 byte long', 13)).toEqual([
      'thread basic, 1 byte long: c0000004 length 99',
      // DriverEntry's thread: System's, running (STATUS_PENDING), no TEB, one processor, its base that of System.
      `thread basic: 00000000 length ${arch === 'x64' ? 48 : 28} exit 00000103 teb ${ptr} pid 4 tid 8 affinity 1 priority 8 base 0`,
      // kdemu's own flow runs the thread that calls DriverEntry: it has no start routine of a driver's.
      `thread start: 00000000 0 length ${ps}`,
      'thread terminated: 00000000 0',
      'thread hidden: 00000000 0',
      // ZwSetInformationThread: hiding takes no data; the priority must be 1..31.
      'hide, 1 byte: c0000004',
      'hide: 00000000',
      'thread hidden now: 1',
      'priority 32: c000000d',
      'priority 0: c000000d',
      'priority 12: 00000000 now 12',
      'thread query, process handle: c0000024',
      'thread query, bad handle: c0000008',
    ]);
  });

  it('a spawned process opens by its pid from a user request (ObIsKernelHandle is FALSE for a user-mode previous mode)', () => {
    expect(after(lines(), '  pre pid 428', 3)).toEqual([
      '  pre pid 428 kernel 1 desired 001fffff',
      '  post granted 001fffff',
      'spawned: 00000000 kernel 0 pid 428 granted 001fffff',
    ]);
  });

  it('ZwTerminateProcess ends a spawned process as --kill does: notify routines, exit status, then PROCESS_IS_TERMINATING', () => {
    const { report } = run(buildDriver('psopen', arch, { linkFlags: ['-Wl,--forceinteg'] }), [{ op: 'spawn', image: 'C:\\Windows\\System32\\notepad.exe' }, pid(428)]);
    expect(report.dbgPrint.slice(-7).map((l) => l.trimEnd())).toEqual([
      // The kernel handle asked for PROCESS_TERMINATE only; ending the process runs the notify routine first.
      '  notify 428 create 0',
      'terminate: 00000000',
      'exit status 00001234',
      'again: c000010a',
      'exit status 00001234',
      'closed handle: c0000008',
      'thread handle: c0000024',
    ]);
    expect(report.processes.find((p) => p.pid === 428)?.exitCode).toBe('0x00001234');
  });

  it('ZwTerminateProcess on System stops the run naming the export', () => {
    const { report } = run(buildDriver('psopen', arch, { linkFlags: ['-Wl,--forceinteg'], defines: { TERMINATE_SYSTEM: true } }));
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!ZwTerminateProcess');
    expect(report.stop?.reason).toMatch(/ending System/);
    expect(report.stop?.module).toBe('psopen.sys');
  });
});
