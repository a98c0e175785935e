// The same results on both CPU engines: callback objects, queues, timers, power IRPs.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it.each(['kemisc', 'kepower'])('%s prints the same on the wasm and unicorn engines', (name) => {
    const wasm = run(buildDriver(name, arch), [], { engine: 'wasm' }).report;
    const unicorn = run(buildDriver(name, arch), [], { engine: 'unicorn' }).report;
    expect(wasm.outcome).toBe('completed');
    expect(unicorn.dbgPrint).toEqual(wasm.dbgPrint);
    expect(unicorn.unload.leaks).toEqual(wasm.unload.leaks);
  });

  it('the bug-check callbacks after a fault run the same on both engines', () => {
    const opts = { defines: { NULL_WRITE: true } } as const;
    const wasm = run(buildDriver('kemisc', arch, opts), [], { engine: 'wasm' }).report;
    const unicorn = run(buildDriver('kemisc', arch, opts), [], { engine: 'unicorn' }).report;
    expect(unicorn.stop?.bugcheck).toEqual(wasm.stop?.bugcheck);
    expect(unicorn.dbgPrint).toEqual(wasm.dbgPrint);
  });
});
