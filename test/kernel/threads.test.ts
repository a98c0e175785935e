// System threads, the scheduler, waits and kernel handles (test/fixtures/drivers/threads.c, one variant per define).

import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { ARCHES, buildDriver, type Arch } from '../fixtures/build.js';
import { enginesHere } from '../helpers.js';
import { run } from './harness.js';

const threads = (variant: string, arch: Arch, defines: Record<string, number> = {}) => buildDriver('threads', arch, { defines: { [`THREADS_${variant}`]: true, ...defines } });

const ENGINES_HERE: EngineName[] = enginesHere('threads', ['wasm', 'unicorn']);

describe.each(ENGINES_HERE)('on the %s engine', (engine) => {
  describe.each(ARCHES)('%s', (arch) => {
    it('two system threads hand an event back and forth, and DriverEntry waits for both to end', () => {
      const { report, trace } = run(threads('PINGPONG', arch, { ROUNDS: 50 }), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['pingpong 50 rounds\n', 'unload\n']);
      const created = report.threads.filter((t) => t.start !== null);
      expect(created).toHaveLength(2);
      expect(created.map((t) => [t.pid, t.state, t.exitStatus])).toEqual([[4, 'terminated', '0x00000000'], [4, 'terminated', '0x00000000']]);
      // Every call names the thread that made it; the threads' waits switch the processor.
      const tids = new Set(trace.flatMap((e) => (e.type === 'call' ? [e.tid] : [])));
      expect(tids).toEqual(new Set([8, ...created.map((t) => t.tid)]));
      expect(trace.filter((e) => e.type === 'thread' && e.event === 'switch').length).toBeGreaterThan(100);
      expect(report.unload.leaks).toEqual([]);
    });

    it('a thread waiting for an event nothing sets, while DriverEntry waits for it, is a deadlock naming both waits', () => {
      const { report } = run(threads('DEADLOCK', arch), [], { engine });
      expect(report.outcome).toBe('deadlock');
      expect(report.stop?.reason).toMatch(/^every thread waits and nothing can wake them: thread 8 \(System\) waits in KeWaitForSingleObject on thread 0x[0-9A-F]+, called from threads\.sys\+0x[0-9a-f]+; thread 428 \(System, threads\.sys\+0x[0-9a-f]+\) waits in KeWaitForSingleObject on notification event 0x[0-9A-F]+, called from threads\.sys\+0x[0-9a-f]+$/);
    });

    it('a thread that ends owning a kernel mutex bugchecks THREAD_TERMINATE_HELD_MUTEX', () => {
      const { report } = run(threads('HELD_MUTEX', arch), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x4000008A');
      expect(report.stop?.bugcheck?.params[1]).toMatch(/^0x/);
    });

    it('KeWaitForMultipleObjects times out, then returns the index of the object signaled; a thread object is signaled when it ends', () => {
      const { report } = run(threads('MULTI', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['timeout 00000102\n', 'any 00000001\n', 'open 00000000\n', 'thread 00000000\n', 'ping 00000000\n', 'unload\n']);
      expect(report.threads.find((t) => t.start !== null)?.exitStatus).toBe('0x00001234');
    });

    it('a thread spinning on a flag another thread sets finishes: the scheduler preempts it at the end of its quantum', () => {
      const { report } = run(threads('QUANTUM', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['spun 1\n', 'unload\n']);
    });

    it('checks handle types and modes, and a second ZwClose of a kernel handle bugchecks INVALID_KERNEL_HANDLE', () => {
      const { report } = run(threads('HANDLES', arch), [], { engine });
      expect(report.dbgPrint.slice(0, 6)).toEqual(['create 00000000\n', `wrong type c0000024 ${arch === 'x64' ? '0000000000000000' : '00000000'}\n`, 'user mode c0000008\n', 'event 00000000\n', 'set 00000000 1\n', 'close 00000000\n']);
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck).toMatchObject({ code: '0x00000093', name: 'INVALID_KERNEL_HANDLE' });
    });

    it('ZwCreateFile, ZwWriteFile, ZwReadFile and ZwQueryInformationFile work on the in-memory file system', () => {
      const { report } = run(threads('ZWFILE', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['create 00000000 2\n', 'write 00000000 11\n', 'read 00000000 11 hello, file\n', 'size 00000000 11\n', 'missing c000003a\n', 'unload\n']);
    });

    it('runs an I/O work item and an executive work item on worker threads, a second worker starting while the first waits', () => {
      const { report } = run(threads('WORKITEM', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      const zero = arch === 'x64' ? '0000000000001234' : '00001234';
      expect(report.dbgPrint).toEqual([`io work: irql 0, device 1, context ${zero}\n`, `ex work: ${zero.replace('1234', '5678')}, system thread 1\n`, 'io work: done\n', 'workitem done 00000000\n', 'unload\n']);
      expect(report.threads.filter((t) => t.start === 'ntoskrnl.exe!ExpWorkerThread').map((t) => t.state)).toEqual(['waiting', 'waiting']);
      expect(report.unload.leaks).toEqual([]);
    });

    it('a fast mutex (at APC_LEVEL) and a guarded mutex keep two threads apart; a semaphore counts their ends', () => {
      const { report } = run(threads('FASTMUTEX', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['overlap 0, count 0\n', 'unload\n']);
    });

    it('KeStackAttachProcess makes the client process current for PsGetCurrentProcess, not for the process id; a detach too many bugchecks', () => {
      const { report } = run(threads('ATTACH', arch), [], { engine });
      expect(report.dbgPrint).toEqual(['attached 1 4 420\n', 'detached 0 00000000\n']);
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.name).toBe('INVALID_PROCESS_DETACH_ATTEMPT');
    });

    it('an interlocked SList pops last in first out, and a lookaside list hands back the entry freed to it', () => {
      const { report } = run(threads('SLIST', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['depth 3\n', 'pop last 1, depth 2\n', `flush 1 1, depth 0, empty pop ${arch === 'x64' ? '0000000000000000' : '00000000'}\n`, 'lookaside reuse 1, allocates 2, misses 1\n', 'unload\n']);
      expect(report.unload.leaks).toEqual([]);
    });

    it('lists a thread still running and its kernel handle still open at unload', () => {
      const { report } = run(threads('LEAK', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.unload.leaks.map((l) => l.kind).sort()).toEqual(['handle', 'thread']);
      expect(report.unload.leaks.find((l) => l.kind === 'thread')?.detail).toMatch(/^system thread 428 \(threads\.sys\+0x[0-9a-f]+\) still waiting in KeWaitForSingleObject on notification event/);
    });
  });
});

describe('the scheduler', () => {
  it('gives the same trace on every run and engine', () => {
    const runs = ENGINES_HERE.flatMap((engine) => [0, 1].map(() => run(threads('PINGPONG', 'x64', { ROUNDS: 20 }), [], { engine }).trace));
    const strip = (t: unknown[]) => JSON.stringify(t);
    for (const t of runs.slice(1)) expect(strip(t)).toBe(strip(runs[0]));
  });
});
