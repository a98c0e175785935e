// Kernel APCs as a driver observes them: KAPC fields, when special and normal kernel APCs run, at which IRQL, in which
// order and thread, with which arguments. The fixture logs a letter per event: the KernelRoutine logs its
// SystemArgument1 and the IRQL; the NormalRoutine logs "(" context, IRQL, SystemArgument2 ")".
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  let cached: ReturnType<typeof run> | undefined;
  const result = () => (cached ??= run(buildDriver('apc', arch)));
  const lines = () => {
    const { report } = result();
    expect(report.outcome).toBe('completed');
    return report.dbgPrint;
  };

  it('KeInitializeApc fills the KAPC: type 0x12, its size, the thread; a special APC is kernel mode with no context', () => {
    expect(lines().slice(0, 2)).toEqual([
      arch === 'x86'
        ? 'KeInitializeApc special: type 12 size 30 thread 1 mode 0 context 00000000 inserted 0 index 0\n'
        : 'KeInitializeApc special: type 12 size 58 thread 1 mode 0 context 0000000000000000 inserted 0 index 0\n',
      'KeInitializeApc normal: mode 0 context n normal 1\n',
    ]);
  });

  it('a special APC queued to the current thread at PASSIVE_LEVEL runs inside KeInsertQueueApc at APC_LEVEL', () => {
    expect(lines().slice(2, 4)).toEqual(['special at passive: 1 inserted 0\n', 'log: <s1>\n']);
  });

  it('at APC_LEVEL the APC waits until KeLowerIrql; queueing it again while queued returns FALSE', () => {
    expect(lines().slice(4, 6)).toEqual(["at APC_LEVEL: 1 0 inserted 1 log ''\n", 'after KeLowerIrql: s1\n']);
  });

  it('a normal APC runs its KernelRoutine at APC_LEVEL, then its NormalRoutine at PASSIVE_LEVEL with the context and arguments the KernelRoutine left', () => {
    expect(lines().slice(6, 8)).toEqual(['normal: k1(n02)\n', 'changed context, cancelled normal routine: k1(M03)c1\n']);
  });

  it('KeEnterCriticalRegion holds normal APCs back but not special ones; KeLeaveCriticalRegion delivers them', () => {
    expect(lines().slice(8, 10)).toEqual(["in critical region: 's1' normal inserted 1\n", 'after KeLeaveCriticalRegion: s1k1(n05)\n']);
  });

  it('special APCs run ahead of normal ones, each kind in the order queued', () => {
    expect(lines()[10]).toBe('order: 214111(n0a)31(o0c)\n');
  });

  it("another thread's APC runs in that thread before its start routine; a thread that has ended takes no APC", () => {
    expect(lines().slice(11)).toEqual(['other thread: 1\n', 'log: it1=(w07)W\n', 'ended thread: 0 inserted 0\n']);
  });

  it('the APC fixture prints the same on the wasm and unicorn engines', () => {
    const wasm = run(buildDriver('apc', arch), [], { engine: 'wasm' }).report;
    const unicorn = run(buildDriver('apc', arch), [], { engine: 'unicorn' }).report;
    expect(unicorn.outcome).toBe('completed');
    expect(unicorn.dbgPrint).toEqual(wasm.dbgPrint);
  });

  it('a user-mode APC stops the run as unsupported-call: kdemu has no alertable user-mode wait to deliver it', () => {
    const { report } = run(buildDriver('apc', arch, { defines: { KD_USER_APC: true } }));
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!KeInsertQueueApc');
    expect(report.stop?.reason).toContain('user-mode APC');
    expect(report.dbgPrint).toEqual(['queueing a user-mode APC\n']);
  });
});
