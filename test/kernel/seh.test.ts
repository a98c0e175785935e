// Structured exception handling, /GS and Control Flow Guard in drivers built with the Microsoft compiler ABI (clang
// *-pc-windows-msvc and lld-link): faults, probes and raised statuses reach the driver's __try/__except (x64 through
// .pdata and __C_specific_handler, x86 through the fs:[0] chain and _except_handler3), __finally blocks run while
// unwinding, and what nobody handles stops the run as Windows does. Both engines, both architectures.
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { ARCHES, buildMsvcDriver, msvcToolchainMissing, type Arch } from '../fixtures/build.js';
import { enginesHere } from '../helpers.js';
import { events, run } from './harness.js';

const missing = msvcToolchainMissing();
if (missing && process.env.CI) throw new Error(`seh: the MSVC-ABI toolchain is missing: ${missing}`);
if (missing) console.warn(`seh: skipped here: ${missing}`);
const ENGINES_HERE: EngineName[] = missing ? [] : enginesHere('seh', ['wasm', 'unicorn']);

const seh = (arch: Arch, variant?: string) => buildMsvcDriver('seh', arch, variant ? { defines: { [variant]: true } } : {});
const guard = (arch: Arch, variant?: string) => buildMsvcDriver('guard', arch, { gs: true, cfg: true, ...(variant ? { defines: { [variant]: true } } : {}) });

describe.skipIf(!!missing).each(ENGINES_HERE)('on the %s engine', (engine) => {
  describe.each(ARCHES)('%s', (arch) => {
    const caught = () => {
      const { report } = run(seh(arch), [], { engine });
      expect(report.outcome).toBe('completed');
      return report.dbgPrint;
    };

    it('ProbeForRead/ProbeForWrite raise STATUS_ACCESS_VIOLATION and STATUS_DATATYPE_MISALIGNMENT into the driver\'s __except', () => {
      const d = caught();
      expect(d).toContain('ProbeForRead(kernel address): c0000005\n');
      expect(d).toContain('ProbeForRead(misaligned): 80000002\n');
      expect(d).toContain('ProbeForWrite(unmapped user page): c0000005\n');
    });

    it('an access to an invalid user address in kernel mode is a caught access violation with (read/write, address)', () => {
      const d = caught();
      expect(d).toContain('read of user 0x1000: c0000005 info 0 1000 value 0\n');
      expect(d).toContain('write of user 0x1000: c0000005 info 1 1000\n');
    });

    it('ExRaiseStatus reaches the filter (noncontinuable) and the __except block with its code; __finally blocks run during the unwind', () => {
      const d = caught();
      const i = d.indexOf('filter: code e0000001 flags 1 params 0 want e0000001\n');
      expect(i).toBeGreaterThanOrEqual(0);
      // The filter runs first (search), then the inner and middle __finally (unwind), then the __except block.
      expect(d.slice(i + 1, i + 4)).toEqual(['inner finally: abnormal 1\n', 'middle finally: abnormal 1\n', 'ExRaiseStatus caught: e0000001 finally blocks 2\n']);
      expect(d).toContain('normal finally: abnormal 0\n');
    });

    it('the trace shows the exception dispatched and the raising call that did not return', () => {
      const { trace } = run(seh(arch), [], { engine });
      const raise = events(trace, 'call').find((e) => e.export === 'ntoskrnl.exe!ExRaiseStatus' && e.args.Status.startsWith('0xE0000001'));
      expect(raise?.note).toMatch(/^did not return: an exception handler continued at seh\.sys\+0x[0-9a-f]+$/);
      expect(events(trace, 'note').some((e) => /^exception 0xE0000001 \(ExRaiseStatus\(0xE0000001\) from seh\.sys\+0x[0-9a-f]+\) at seh\.sys\+0x[0-9a-f]+: dispatching to the driver's handlers$/.test(e.text))).toBe(true);
    });

    it('nested __try: an inner filter that declines passes the exception out; one raised in an __except block goes to the enclosing handler', () => {
      const d = caught();
      expect(d).toContain('filter: code e0000002 flags 1 params 0 want e0000003\n');
      expect(d).toContain('nested: inner 00000000 outer e0000002\n');
      expect(d).toContain('raised in __except: e0000005\n');
    });

    it('EXCEPTION_CONTINUE_EXECUTION resumes after RtlRaiseException; on a noncontinuable exception it raises STATUS_NONCONTINUABLE_EXCEPTION', () => {
      const d = caught();
      expect(d).toContain('continued after RtlRaiseException: 1 code 00000000 address in image 1\n');
      expect(d).toContain('continuing ExRaiseStatus: c0000025\n');
    });

    it('int3 with no debugger, a divide by zero, an illegal instruction and a kernel routine\'s raised status are exceptions the driver catches', () => {
      const d = caught();
      expect(d).toContain('int3: 80000003\n');
      expect(d).toContain('divide by zero: c0000094\n');
      expect(d).toContain('ud2: c000001d\n');
      expect(d).toContain('KeReleaseMutex not owned: c0000046\n');
    });

    it('an exception in a routine the kernel calls back (IoCreateDriver\'s initialization routine) reaches the caller\'s __except through the kernel\'s frame', () => {
      expect(caught()).toContain('raised in IoCreateDriver\'s callback: e0000020\n');
    });

    it('RtlCaptureStackBackTrace and RtlWalkFrameChain return the callers, innermost first', () => {
      const d = caught();
      expect(d).toContain('backtrace: 3 frames, first in Trace 1, second Trace\'s return 1, hash ok 1\n');
      expect(d).toContain('RtlWalkFrameChain: 2 frames, first in Stacks 1, same caller 1; skip 1: 1 frame, DriverEntry\'s 1\n');
      if (arch === 'x64') expect(d).toContain('RtlPcToFileHeader: 1 1\n');
    });

    it.runIf(arch === 'x64')('x64: RtlCaptureContext, RtlLookupFunctionEntry and RtlVirtualUnwind find the caller\'s frame; RtlUnwindEx/RtlUnwind unwind to it, running __finally, rax the return value', () => {
      const d = caught();
      expect(d.filter((l) => l === 'lookup: found 1, base is the image 1, begins before the pc 1\n')).toHaveLength(2);
      expect(d.filter((l) => l === 'virtual unwind: at Helper\'s return address 1, stack above the frame 1\n')).toHaveLength(2);
      expect(d).toContain('RtlUnwindEx returned 1234, RtlUnwind 5678, finally blocks 2\n');
    });

    it.runIf(arch === 'x86')('x86: _local_unwind2 and _global_unwind2 (RtlUnwind through _except_handler3) run the frames\' __finally blocks; _abnormal_termination tells an unwind; RtlCaptureContext', () => {
      const d = caught();
      expect(d).toContain('_local_unwind2 to 0: 12 11, level 0\n');
      // The inner registration's blocks, innermost first (Fin0 saw _abnormal_termination() == 1); the chain ends at the target.
      expect(d).toContain('_global_unwind2: 2 blocks 11 110, chain at the target 1, outer level 0\n');
      expect(d).toContain('RtlUnwind to the head: chain unchanged 1\n');
      expect(d).toContain('RtlCaptureContext: ebp 1, esp below it 1, _abnormal_termination outside a __finally 0\n');
    });

    it('an exception no handler takes is KMODE_EXCEPTION_NOT_HANDLED with the raising location and the call stack', () => {
      const { report } = run(seh(arch, 'UNHANDLED'), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      const stop = report.stop!;
      expect(stop.bugcheck?.code).toBe('0x0000001E');
      expect(stop.bugcheck?.params.slice(0, 2)).toEqual(['0xE0000BAD', stop.pc]);
      expect(stop.module).toBe('seh.sys');
      // RaiseDeep(0) <- RaiseDeep(1) <- RaiseDeep(2) <- DriverEntry, as module+offset.
      expect(stop.stack).toHaveLength(4);
      expect(stop.stack![0]).toBe(`seh.sys+${stop.offset}`);
      expect(stop.stack![1]).toBe(stop.stack![2]);
      for (const f of stop.stack!) expect(f).toMatch(/^seh\.sys\+0x1[0-9a-f]{3}$/);
      expect(stop.reason).toMatch(/ExRaiseStatus\(0xE0000BAD\).*no exception handler took 0xE0000BAD, KMODE_EXCEPTION_NOT_HANDLED/);
    });

    it('an unhandled access violation on a user address is a fault with KMODE_EXCEPTION_NOT_HANDLED (c0000005, pc, read, address)', () => {
      const { report } = run(seh(arch, 'UNHANDLED_FAULT'), [], { engine });
      expect(report.outcome).toBe('fault');
      expect(report.stop?.bugcheck?.code).toBe('0x0000001E');
      expect(report.stop?.bugcheck?.params).toEqual(['0xC0000005', report.stop!.pc, '0x0', '0x1000']);
      expect(report.stop?.fault).toEqual({ access: 'read', address: '0x1000' });
      expect(report.stop?.stack).toEqual([`seh.sys+${report.stop!.offset}`]);
    });

    it('an unhandled exception in a system thread is SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (code, address, record, context)', () => {
      const { report } = run(seh(arch, 'THREAD'), [], { engine });
      expect(report.dbgPrint).toEqual(['thread: 00000000\n']);
      const stop = report.stop!;
      expect(stop.bugcheck?.code).toBe('0x0000007E');
      expect(stop.bugcheck?.params[0]).toBe('0xC0000005');
      expect(stop.bugcheck?.params[1]).toBe(stop.pc);
      expect(BigInt(stop.bugcheck!.params[2])).not.toBe(0n);
      expect(BigInt(stop.bugcheck!.params[3])).not.toBe(0n);
      expect(stop.reason).toMatch(/in system thread \d+ \(seh\.sys\+0x[0-9a-f]+\)/);
    });

    it('each thread has its own handlers: a system thread catches its exception, and the thread it preempted in a __try catches its own after (x86: fs:[0] per thread)', () => {
      const { report } = run(seh(arch, 'THREAD_SEH'), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['thread caught e0000030\n', 'DriverEntry: after the wait\n', 'DriverEntry caught e0000032\n']);
    });

    it('CFG: the loader points the guard function pointers at its checkers; valid indirect calls, import pointers and jump tables run; /GS cookies pass', () => {
      const { report } = run(guard(arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual([
        'cookie initialised 1, guard check replaced 1\n',
        'indirect calls: 10 25\n',
        'through an import pointer: 1\n',
        'switch: 10 76 44147\n',
        'no overrun: 3\n',
      ]);
    });

    it.each(['CFG_MID_FUNCTION', 'CFG_DATA'])('CFG: an indirect call to a bad target (%s) is KERNEL_SECURITY_CHECK_FAILURE (FAST_FAIL_GUARD_ICALL_CHECK_FAILURE)', (variant) => {
      const { report } = run(guard(arch, variant), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x00000139');
      expect(report.stop?.bugcheck?.params[0]).toBe('0xA');
      expect(report.stop?.module).toBe('guard.sys');
      expect(report.stop?.reason).toMatch(/Control Flow Guard: the indirect call from guard\.sys\+0x[0-9a-f]+ targets guard\.sys\+0x[0-9a-f]+, which is not a valid call target/);
    });

    it('__fastfail (int 29) is KERNEL_SECURITY_CHECK_FAILURE with its code at once, no handler consulted', () => {
      const { report } = run(guard(arch, 'FASTFAIL'), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x00000139');
      expect(report.stop?.bugcheck?.params[0]).toBe('0x7');
      expect(report.stop?.instruction).toBe('int 29h');
    });

    it('/GS: a stack buffer overrun fails __security_check_cookie, and __report_gsfailure bugchecks DRIVER_OVERRAN_STACK_BUFFER', () => {
      const { report } = run(guard(arch, 'GS_OVERRUN'), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x000000F7');
      // (the cookie found, the image's cookie as the loader set it, its complement, 0)
      expect(report.stop?.bugcheck?.params[1]).toBe(arch === 'x64' ? '0x2D358A7F6C13' : '0x2F4B7C39');
      expect(report.stop?.bugcheck?.params[0]).not.toBe(report.stop?.bugcheck?.params[1]);
    });
  });
});
