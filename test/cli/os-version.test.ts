// --os-version MAJOR.MINOR.BUILD: parsed and checked by kdemu run, shown in --help, and reaching the driver.
import { describe, expect, it } from 'vitest';
import { USAGE, UsageError, parseCommand } from '../../bin/args.js';
import { buildDriver } from '../fixtures/build.js';
import { kdemu } from '../helpers.js';

function usageError(argv: string[]): string {
  try {
    parseCommand(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`kdemu ${argv.join(' ')} was accepted`);
}

describe('--os-version', () => {
  it('gives the run its version; without it the run has none (the kernel reports 10.0.19045)', () => {
    const cmd = parseCommand(['run', 'd.sys', '--os-version', '6.1.7601']);
    expect(cmd.cmd === 'run' && cmd.osVersion).toEqual({ major: 6, minor: 1, build: 7601 });
    const plain = parseCommand(['run', 'd.sys']);
    expect(plain.cmd === 'run' && plain.osVersion).toBeUndefined();
  });

  it('refuses anything but MAJOR.MINOR.BUILD within the ranges Windows can hold, with one line naming the option', () => {
    for (const bad of ['10.0', '10', '10.0.19045.1', 'ten.0.1', '0.0.1', '256.0.1', '10.256.1', '10.0.65536', '10.0.-1', '', '10..1']) {
      const message = usageError(['run', 'd.sys', '--os-version', bad]);
      expect(message, bad).toMatch(/^--os-version: '.*' is not MAJOR\.MINOR\.BUILD/);
      expect(message).not.toContain('\n');
    }
    expect(usageError(['info', 'd.sys', '--os-version', '10.0.1'])).toBe('option --os-version only applies to kdemu run');
  });

  it('is listed in kdemu --help', () => {
    expect(USAGE).toMatch(/^ {2}--os-version M\.m\.B +the Windows version the kernel reports \(default 10\.0\.19045, Windows 10 22H2\)$/m);
  });

  it('reaches the driver through the CLI, and a bad value exits 2 with one line', () => {
    const driver = buildDriver('osversion', 'x64');
    const ok = kdemu(['run', driver.path, '--os-version', '6.3.9600', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { dbgPrint: string[] };
    expect(report.dbgPrint.slice(0, 5)).toEqual([
      'RtlGetVersion: 6.3.9600\n',
      'PsGetVersion: 6.3.9600 checked 0 csd length 0\n',
      'PsGetVersion major only: 6\n',
      'NtBuildNumber: f0002580\n',
      'KUSER_SHARED_DATA: 6.3.9600\n',
    ]);
    const bad = kdemu(['run', driver.path, '--os-version', '10.0']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^kdemu: --os-version: '10\.0' is not MAJOR\.MINOR\.BUILD/)]);
  });
});
