// The C runtime and kernel32 act for the program with its privileges: a CRT call that reads kernel memory or writes
// the program's read-only data is an access violation in the process, as the program's own instruction would be.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../hal/run.js';
import { ARCHES, buildClient } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';

const engines = enginesHere('client protection', ['wasm', 'unicorn']);

describe.each(engines)('on the %s engine', (engine) => {
  describe.each(ARCHES)('%s', (arch) => {
    const cases = [
      { variant: 'CLIENT_READ_KERNEL', fn: 'memcpy', access: 'read' },
      { variant: 'CLIENT_WRITE_RDATA', fn: 'strcpy', access: 'write' },
      { variant: 'CLIENT_MEMSET_RDATA', fn: 'memset', access: 'write' },
    ];
    it.each(cases)('$fn: $variant is an access violation in the process', ({ variant, fn, access }) => {
      const client = buildClient('hostile', arch, { defines: { [variant]: true } });
      const driver = sample(arch, 'readfile.sys');
      const report = runDriver({
        driverPath: driver,
        driverBytes: readFileSync(driver),
        operations: [],
        engine,
        client: { path: client.path, bytes: client.bytes, args: [], stdin: new Uint8Array(0) },
      });
      expect(report.outcome).toBe('client-fault');
      expect(report.stop?.export).toMatch(new RegExp(`^(msvcrt|ucrtbase)\\.dll!${fn}$`));
      expect(report.stop?.reason).toMatch(/STATUS_ACCESS_VIOLATION/);
      expect(report.stop?.fault?.access).toBe(access);
      expect(report.client?.stdout).toBe('start\r\n'); // text mode
      // The driver still unloads after the process ends.
      expect(report.unload.called).toBe(true);
    });
  });
});
