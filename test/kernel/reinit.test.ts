// Driver reinitialization (IoRegisterDriverReinitialization, IoRegisterBootDriverReinitialization) as a driver observes it.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it('routines run after DriverEntry in registration order, Count from 1; one that registers again runs again; boot reinitialization never runs for a demand-start driver', () => {
    const { report, trace } = run(buildDriver('reinit', arch));
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toEqual([
      'DriverEntry: flags reinit 0 boot 0\n',
      'DriverEntry: registered, flags reinit 1 boot 1 count 0\n',
      // DRVO_REINIT_REGISTERED is cleared before each call; DRIVER_EXTENSION.Count is the Count passed.
      'ReinitA: Count 1 context ok 1 irql 0 flag 0 ext count 1\n',
      'ReinitB: Count 2 context ok 1\n',
      'ReinitA: Count 3 context ok 1 irql 0 flag 0 ext count 3\n',
      // Registered again during its first call: queued behind ReinitB. The boot routine never ran; its flag stays.
      'Unload: flags reinit 0 boot 1 count 3\n',
    ]);
    const calls = events(trace, 'callback').filter((e) => e.event === 'enter' && e.routine === 'DriverReinitialize');
    expect(calls).toHaveLength(3);
  });

  it('routines run only once the other drivers of the run have loaded', () => {
    const other = buildDriver('strings', arch);
    const { report, trace } = run(buildDriver('reinit', arch), [], { load: [{ path: other.path, bytes: other.bytes }] });
    expect(report.outcome).toBe('completed');
    expect(report.loaded[0].driverEntry.status).toBe('0x00000000');
    const order = trace.filter((e) => (e.type === 'callback' && e.event === 'enter') ).map((e) => (e as { routine: string }).routine);
    const firstReinit = order.indexOf('DriverReinitialize');
    expect(order.lastIndexOf('DriverEntry')).toBeLessThan(firstReinit);
    expect(order.filter((r) => r === 'DriverEntry')).toHaveLength(2);
  });
});
