// CRITICAL_SECTION as kernel32 leaves it, seen by a client program: its fields after each call and the 8-byte
// sentinels around it in .bss. The x64 section is 40 bytes: a kernel32 that clears 48 of them or puts SpinCount at
// +40 instead of +32 breaks the sentinel after it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { runDriver } from '../../hal/run.js';
import { ARCHES, buildClient, type Arch } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';

const engines = enginesHere('CRITICAL_SECTION');

function run(arch: Arch, engine: EngineName) {
  const driver = sample(arch, 'readfile.sys');
  const client = buildClient('critsec', arch);
  return runDriver({
    driverPath: driver,
    driverBytes: readFileSync(driver),
    operations: [],
    engine,
    client: { path: client.path, bytes: client.bytes, args: [], stdin: new Uint8Array() },
  });
}

const SIZE: Record<Arch, number> = { x86: 24, x64: 40 };

describe.each(ARCHES)('%s', (arch) => {
  it.each(engines)(`keeps the ${SIZE[arch]}-byte CRITICAL_SECTION within its bounds and its fields as Windows does (%s engine)`, (engine) => {
    const report = run(arch, engine);
    expect(report.outcome).toBe('completed');
    const fields = (lock: number, rec: number, owner: string) => `lock ${lock} rec ${rec} owner ${owner} sem 0 spin 0 sentinels ok`;
    expect(report.client?.stdout.split('\r\n')).toEqual([
      `sizeof ${SIZE[arch]}, in .bss 1, after at +${SIZE[arch]}`,
      `init: ${fields(-1, 0, 'none')}`,
      `enter: ${fields(-2, 1, 'me')}`,
      `enter again: ${fields(-2, 2, 'me')}`,
      `leave: ${fields(-2, 1, 'me')}`,
      `leave again: ${fields(-1, 0, 'none')}`,
      `delete: ${fields(0, 0, 'none')}`,
      // Asked for 4000, but the machine has one processor (PEB.NumberOfProcessors): Windows stores no spin count.
      `init with spin count 4000: ${fields(-1, 0, 'none')}`,
      `delete: ${fields(0, 0, 'none')}`,
      'all as Windows leaves them',
      '',
    ]);
    expect(report.client?.exitCode).toBe(0);
  });
});
