// Threads as a client program sees them (test/fixtures/clients/threads.c, one behaviour per -D variant): CreateThread,
// waits on every kind of object, critical sections, mutexes, semaphores, events, thread-local storage, named pipes
// between threads of one process, synthetic child processes, and a deadlock. Each variant prints what Windows prints
// (the lines below are Windows' values, from the documented semantics on Microsoft Learn), on x86 and x64 and every
// engine; and the scheduler is deterministic: the same run twice gives the same trace.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { runDriver } from '../../hal/run.js';
import type { Report, TraceEvent } from '../../hal/report.js';
import { ARCHES, buildClient, type Arch } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';

const engines = enginesHere('client threads');

function run(arch: Arch, engine: EngineName, variant: string, opts: { trace?: boolean } = {}) {
  const driver = sample(arch, 'readfile.sys');
  const client = buildClient('threads', arch, { defines: { [variant]: true } });
  const trace: TraceEvent[] = [];
  const report: Report = runDriver({
    driverPath: driver,
    driverBytes: readFileSync(driver),
    operations: [],
    engine,
    maxInstructions: 200_000_000,
    ...(opts.trace ? { onTrace: (e: TraceEvent) => trace.push(e) } : {}),
    client: { path: client.path, bytes: client.bytes, args: [], stdin: new Uint8Array() },
  });
  return { report, trace };
}

/** What a run shows, in one value: a failed comparison names the outcome, why kdemu stopped, and every line. */
function seen(report: Report) {
  return {
    outcome: report.outcome,
    stop: report.stop?.reason ?? null,
    lines: report.client?.stdout.split('\r\n') ?? [],
    exitCode: report.client?.exitCode ?? null,
  };
}

/** What Windows gives: the program completes, prints these lines (then "done"), and exits with 0. */
function windows(lines: string[]) {
  return { outcome: 'completed', stop: null, lines: [...lines, 'done', ''], exitCode: 0 };
}

const counter = [
  // Each thread sleeps four times holding the lock: they cannot have ended yet.
  'running: 259 259',
  'wait-all: 0',
  // 2 × 200 increments, and never two threads inside the lock at once.
  'counter 400, overlapped 0',
  // One returned 101, the other called ExitThread(202).
  'exit codes 101 202',
  'wait again: 0',
];

const EXPECTED: Record<string, string[]> = {
  // 1. A counter under a CRITICAL_SECTION and under a mutex, joined with WaitForMultipleObjects(wait-all).
  COUNTER_CS: counter,
  COUNTER_MUTEX: ['mutex 1', ...counter],
  // 2. Producer/consumer in lockstep: a semaphore counts the items, an auto-reset event says one was taken.
  PRODUCER: [
    ...[1, 4, 9, 16, 25].flatMap((n) => [`produce ${n}`, `consume ${n} (wait 0)`]),
    'wait-all: 0',
    'consumer 55 producer 1',
    // The producer's last wait reset the auto-reset event; the semaphore is back at 0.
    'event 258 semaphore 258',
  ],
  // 2. WAIT_TIMEOUT (258) while another thread sleeps; wait-any's index; a manual-reset event stays signaled.
  TIMEOUTS: [
    'thread while it sleeps: 258',
    'wait-all with a timeout: 258',
    'wait-any: 1',
    'waited at least 180 ms: 1',
    'thread: 0 exit 7',
    'manual-reset stays set: 0 0',
    'after ResetEvent: 258',
    'nothing sets it: 258',
    'waited at least 90 ms: 1',
  ],
  // 3. CREATE_SUSPENDED: nothing runs until ResumeThread, which returns the previous suspend count (1).
  SUSPENDED: [
    'ran while suspended: 0, exit code 259',
    'wait while suspended: 258',
    'ResumeThread: 1',
    'wait: 0',
    'ran: 1, exit code 3',
    'id from CreateThread 1, GetThreadId 1, differs from main 1, nonzero 1',
    "main's GetThreadId(GetCurrentThread()) 1",
    'GetExitCodeThread(GetCurrentThread()) 259',
    'second thread: own id 1, differs from first 1',
  ],
  // 3. A TLS slot starts at 0 in each new thread (TlsGetValue sets the last error to 0) and holds each thread's value.
  TLS_API: [
    'TlsAlloc ok 1',
    'wait-all: 0',
    'thread 1: initial 0 error 0, then 101',
    'thread 2: initial 0 error 0, then 102',
    'exit codes 101 102',
    'main: value 7',
    'TlsFree 1',
  ],
  // 3. __thread / _Thread_local: each thread starts from the initial values and keeps its own copy.
  TLS_VAR: ['wait-all: 0', 'thread 1: starts with 5 init, then 15 thread1', 'thread 2: starts with 5 init, then 25 thread2', 'exit codes 15 25', 'main: 1 main'],
  // 4. ReleaseMutex by a thread that does not own it: ERROR_NOT_OWNER (288); ownership is recursive.
  MUTEX_OWNER: [
    'release a free mutex: 0 error 288',
    'created owned: 1 error 0',
    'owner waits again: 0',
    'other thread releases: 0 error 288',
    'other thread polls the owned mutex: 258',
    'opened by name: 1',
    'release 1: 1',
    'release 2: 1',
    'release 3: 0 error 288',
  ],
  // 4. The owner ended without releasing: the next waiter gets the mutex with WAIT_ABANDONED (0x80), once.
  ABANDONED: [
    'owner took it: 0',
    'thread ended: 0 exit 9',
    'next waiter: 128',
    'release: 1 error 0',
    'wait again: 0',
    'release: 1',
    'owner took it: 0',
    // WAIT_ABANDONED_0 + 1: the mutex is the second handle.
    'wait-any: 129',
  ],
  // 4. Past the maximum count: ERROR_TOO_MANY_POSTS (298), and the count is unchanged.
  SEMAPHORE_LIMIT: [
    'release 1: 1 previous 0',
    'release 2 more: 0 error 298',
    'release 1: 1 previous 1',
    'release past the maximum: 0 error 298',
    'release 0: 0 error 87',
    'waits 0 0 258',
    'initial above maximum: 0 error 87',
  ],
  // 5. A one-instance message pipe between a server thread and client threads of the same process.
  PIPE: [
    'server: 1',
    'read before a client: 0 error 536',
    'no such pipe: 0 error 2',
    'client opens: 1',
    'connect after the client came: 0 error 535',
    'second client: 0 error 231',
    'client wrote 1 11, 1 6',
    'peek: 1 available 17 left in message 11',
    'peek 4: 1 read 4 [hell] available 17 left in message 7',
    'server read 5: 0 5 [hello] error 234',
    'peek: 1 available 12 left in message 6',
    'server read rest: 1 6 [, pipe] error 0',
    'server read next: 1 6 [second] error 0',
    'server wrote 1 5',
    'server read after close: 0 0 [] error 109',
    'peek after close: 0 error 109',
    'disconnect: 1',
    'connect again: 1',
    'server read: 1 5 [again] error 0',
    'server read after close: 0 0 [] error 109',
    'disconnect: 1',
    'all done: 0',
    'client read: 1 5 [reply] error 0',
    'client closes: 1',
    'second client opens: 1',
    'second client wrote 1 5',
    'second client closes: 1',
    'after the server closed: 0 error 2',
  ],
  // 6. A child process: running (STILL_ACTIVE 259) until TerminateProcess(7); its thread ends with it.
  PROCESS: [
    'CreateProcessA: 1',
    'handles 1 1, ids nonzero 1 1, multiples of 4 1 1, child is not me 1',
    'GetProcessId 1 GetThreadId 1',
    'running: exit code 259, wait 258, thread exit code 259',
    'OpenProcess: 1, same pid 1',
    'TerminateProcess: 1',
    "wait 0, through OpenProcess's handle 0, thread 0",
    "exit code 7, through OpenProcess's handle 7, thread 7",
    'terminate without PROCESS_TERMINATE: 0 error 5',
    'OpenProcess(0): 0 error 87',
    'own exit code 259',
  ],
};

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it.each(Object.keys(EXPECTED))('%s prints what Windows prints', (variant) => {
      const { report } = run(arch, engine, variant);
      expect(seen(report)).toEqual(windows(EXPECTED[variant]));
      expect(report.unsupportedCalls).toEqual([]);
      expect(report.unload.called).toBe(true);
    });

    it('DEADLOCK: two threads each waiting forever for the other\'s event end the run as a deadlock naming both waits', () => {
      const { report } = run(arch, engine, 'DEADLOCK');
      expect(report.outcome).toBe('deadlock');
      expect(report.client?.stdout).toBe('both started\r\n');
      expect(report.client?.exitCode).toBe(null);
      const reason = report.stop?.reason ?? '';
      expect(reason).toMatch(/^every thread waits and nothing can wake them: /);
      // The main thread in its wait-all on the two threads, and each thread in its wait on the other's event.
      const event = /thread (\d+) \(threads\.exe, threads\.exe\+0x[0-9a-f]+\) waits in kernel32\.dll!WaitForSingleObject on synchronization event 0x[0-9A-F]+, called from threads\.exe\+0x[0-9a-f]+/g;
      const waits = [...reason.matchAll(event)];
      expect(waits).toHaveLength(2);
      expect(new Set(waits.map((m) => m[1])).size).toBe(2);
      expect(reason).toMatch(/waits in kernel32\.dll!WaitForMultipleObjects on all of thread 0x[0-9A-F]+, thread 0x[0-9A-F]+, called from threads\.exe\+0x[0-9a-f]+/);
      expect(report.unload.called).toBe(true);
    });

    it.each(['PRODUCER', 'PIPE', 'COUNTER_MUTEX', 'DEADLOCK'])('%s run twice gives the same trace and report', (variant) => {
      const a = run(arch, engine, variant, { trace: true });
      const b = run(arch, engine, variant, { trace: true });
      expect(a.trace.length).toBeGreaterThan(0);
      // Other threads ran: the processor switched between them.
      expect(a.trace.some((e) => e.type === 'thread' && e.event === 'switch')).toBe(true);
      expect(b.trace).toEqual(a.trace);
      const strip = (r: Report) => ({ ...r, stats: { ...r.stats, wallMs: 0 } });
      expect(strip(b.report)).toEqual(strip(a.report));
    });
  });
});
