// Framework spin locks, wait locks, object synchronization locks and the verifier entries (hal/wdf/lock.ts,
// verifier.ts).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from '../kernel/harness.js';
import { requireEngines } from '../helpers.js';

describe.each(ARCHES)('%s', (arch) => {
  const runCase = (c: number) => run(buildDriver('kmdf_locks', arch, { defines: { CASE: c } }));
  const spinHandle = (dbg: string[]) => {
    const m = /^spinlock 00000000 (?:0x)?([0-9a-fA-F]+)\n$/.exec(dbg[0] ?? '');
    if (!m) throw new Error(`no spin lock line in ${JSON.stringify(dbg)}`);
    return '0x' + BigInt('0x' + m[1]).toString(16).toUpperCase();
  };

  it('spin lock, wait lock (timeouts) and the device lock used properly', () => {
    const { report } = runCase(0);
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint.slice(1)).toEqual([
      'spin held=2 after=0\n',
      'waitlock create=00000000 acquire=00000000\n',
      // STATUS_TIMEOUT for the try and for the 10 ms wait on a held lock.
      'held try=00000102 timed=00000102 waited=10\n',
      'free try=00000000\n',
      // From a worker thread: 5 ms, then STATUS_TIMEOUT while DriverEntry holds the lock; STATUS_SUCCESS once it is free.
      'contended held=00000102 waited=5 free=00000000\n',
      'device lock held=2 after=0\n',
    ]);
  });

  it('releasing a spin lock not held stops with WDF_VIOLATION 0xB (parameter 3 = 1)', () => {
    const { report } = runCase(1);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x0000010D');
    expect(report.stop?.bugcheck?.params).toEqual(['0xB', spinHandle(report.dbgPrint), '0x1', '0x0']);
    expect(report.stop?.reason).toMatch(/WdfSpinLockRelease.*not held/);
  });

  it('acquiring a spin lock the thread holds stops with WDF_VIOLATION 0x2 (WDF_RECURSIVE_LOCK)', () => {
    const { report } = runCase(2);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x0000010D');
    expect(report.stop?.bugcheck?.params[0]).toBe('0x2');
    expect(report.stop?.bugcheck?.params[1]).toBe(spinHandle(report.dbgPrint));
  });

  it('WdfObjectAcquireLock on an object without a synchronization lock is WDF_VIOLATION 0xB (parameter 3 = 0)', () => {
    const { report } = runCase(3);
    expect(report.stop?.bugcheck?.code).toBe('0x0000010D');
    expect(report.stop?.bugcheck?.params).toEqual(['0xB', spinHandle(report.dbgPrint), '0x0', '0x0']);
  });

  it("WdfVerifierKeBugCheck bugchecks with the driver's code and parameters", () => {
    const { report } = runCase(4);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x0000DEAD');
    expect(report.stop?.bugcheck?.params).toEqual(['0x1', '0x2', '0x3', '0x4']);
    expect(report.stop?.reason).toMatch(/^WdfVerifierKeBugCheck\(.*\) from kmdf_locks\.sys\+0x[0-9a-f]+$/);
  });

  it("WdfVerifierDbgBreakPoint does nothing unless the driver's Parameters\\Wdf\\DbgBreakOnError asks for a break; then the run stops there", () => {
    const driver = buildDriver('kmdf_locks', arch, { defines: { CASE: 5 } });
    const quiet = run(driver);
    expect(quiet.report.outcome).toBe('completed');
    expect(quiet.trace.some((e) => e.type === 'note' && /^WdfVerifierDbgBreakPoint: no break/.test(e.text))).toBe(true);
    const key = `\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\kmdf_locks\\Parameters\\Wdf`;
    const data = Uint8Array.of(1, 0, 0, 0);
    const { report } = run(driver, [], { registry: [{ op: 'value', path: key, name: 'DbgBreakOnError', type: 4, data }] });
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x0000001E');
    expect(report.stop?.bugcheck?.params[0]).toBe('0x80000003');
    expect(report.stop?.reason).toMatch(/^WdfVerifierDbgBreakPoint from kmdf_locks\.sys\+0x[0-9a-f]+: /);
  });

  it.skipIf(!requireEngines('kmdf locks', 'wasm', 'unicorn'))('gives the same output and trace on the wasm and unicorn engines', () => {
    const driver = buildDriver('kmdf_locks', arch, { defines: { CASE: 0 } });
    const a = run(driver, [], { engine: 'wasm' });
    const b = run(driver, [], { engine: 'unicorn' });
    expect(a.report.outcome).toBe('completed');
    expect(b.report.dbgPrint).toEqual(a.report.dbgPrint);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
  });
});
