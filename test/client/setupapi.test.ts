// setupapi's device-interface enumeration seen from a client program: it finds the KMDF PnP sample's device by its
// interface class, gets the path (sizing call first), opens it, writes and reads; then the errors Windows gives.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { runDriver } from '../../hal/run.js';
import { ARCHES, clientsDir, type Arch } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';

const engines = enginesHere('setupapi');

const CC: Record<Arch, string> = { x64: 'x86_64-w64-mingw32-gcc', x86: 'i686-w64-mingw32-gcc' };

/** The client, linked with setupapi's import library (buildClient links the default libraries only); cached by hash. */
function buildSetupapiClient(arch: Arch): { path: string; bytes: Uint8Array } {
  const source = path.join(clientsDir, 'setupapi.c');
  const text = readFileSync(source);
  const hash = createHash('sha256').update(CC[arch]).update('\0-lsetupapi\0').update(text).digest('hex').slice(0, 20);
  const dir = path.join(tmpdir(), 'kdemu-test-drivers', hash, arch);
  const out = path.join(dir, 'setupapi.exe');
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
    try {
      execFileSync(CC[arch], ['-O2', '-o', tmp, source, '-lsetupapi'], { stdio: 'pipe' });
    } catch (e) {
      rmSync(tmp, { force: true });
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`setupapi.c (${arch}) did not build:\n${err.stderr?.toString() || err.message}`);
    }
    renameSync(tmp, out);
  }
  return { path: out, bytes: new Uint8Array(readFileSync(out)) };
}

function run(arch: Arch, engine: EngineName) {
  const driver = sample(arch, 'kmdf_pnp.sys');
  const client = buildSetupapiClient(arch);
  return runDriver({
    driverPath: driver,
    driverBytes: readFileSync(driver),
    operations: [],
    engine,
    client: { path: client.path, bytes: client.bytes, args: [], stdin: new Uint8Array() },
  });
}

const GUID = '{6e3b7c2a-4f1d-4b8e-9a57-2c0d1e8f3a64}';
const PATH = `\\\\?\\ROOT#KMDF_PNP#0000#${GUID}`;
/** x86 packs setupapi's structures to 1 byte: the detail structures are 6 (W) and 5 (A) bytes there. */
const SIZES: Record<Arch, string> = { x86: 'detail W 6 A 5, interface data 28, devinfo data 28', x64: 'detail W 8 A 8, interface data 32, devinfo data 32' };

describe.each(ARCHES)('%s', (arch) => {
  it.each(engines)('finds the KMDF PnP device by its interface class, opens its path, writes and reads; errors as Windows gives them (%s engine)', (engine) => {
    const report = run(arch, engine);
    expect(report.outcome).toBe('completed');
    const needW = 4 + (PATH.length + 1) * 2;
    const needA = 4 + PATH.length + 1;
    expect(report.client?.stdout.split('\r\n')).toEqual([
      `sizes: ${SIZES[arch]}`,
      'get class devs: ok',
      `enum 0: 1 class ${GUID} flags 1 reserved set`, // SPINT_ACTIVE
      'enum 1: 0 error 259', // ERROR_NO_MORE_ITEMS
      `detail size: 0 error 122 need ${needW}`, // ERROR_INSUFFICIENT_BUFFER, with the size
      `detail short: 0 error 122 need ${needW}`,
      `detail: 1 path ${PATH} devinst nonzero class {00000000-0000-0000-0000-000000000000}`,
      'open: ok',
      'write: 5',
      'read: hello',
      'enum bad cbSize: 0 error 1784', // ERROR_INVALID_USER_BUFFER
      'detail bad cbSize: 0 error 1784',
      'detail bad devinfo cbSize: 0 error 1784',
      'detail null with size: 0 error 1784',
      'enum device 0: 1 devinst nonzero',
      'enum interfaces of device 0: 1',
      'enum device 1: 0 error 259',
      `detail A size: 0 error 122 need ${needA} (W ${needW})`,
      `detail A: 1 path ${PATH}`,
      'no interfaces: set ok', // an empty set is no error
      'no interfaces enum 0: 0 error 259',
      'destroy: 1',
      'null class: invalid error 87', // ERROR_INVALID_PARAMETER: no class without DIGCF_ALLCLASSES
      'setup class: invalid error 50', // ERROR_NOT_SUPPORTED: kdemu's devices have no setup class
      'no such instance: invalid error e000020b', // ERROR_NO_SUCH_DEVINST
      'by instance: ok enum 1',
      'all classes: ok enum 1',
      'destroy: 1',
      'destroy again: 0 error 6', // ERROR_INVALID_HANDLE
      '',
    ]);
    expect(report.client?.exitCode).toBe(0);
  });
});
