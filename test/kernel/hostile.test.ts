// Drivers written to misbehave end in a typed outcome and a complete report, on both engines and within their budgets:
// never a host exception, never a hang. (test/fixtures/drivers/hostile.c, one variant per define.)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import type { Report } from '../../hal/report.js';
import { ARCHES, buildDriver, type Arch, type BuiltDriver } from '../fixtures/build.js';
import { enginesHere, sample } from '../helpers.js';
import { cli, cliJson, run } from './harness.js';

const hostile = (variant: string, arch: Arch) => buildDriver('hostile', arch, { defines: { [`HOSTILE_${variant}`]: true } });

/** The engines to check on: both in CI (a missing one fails there), what is installed locally. */
const ENGINES_HERE: EngineName[] = enginesHere('hostile drivers', ['wasm', 'unicorn']);

/** A complete report: every top-level field of the contract is present and the stop is described. */
function expectFullReport(r: Report): void {
  for (const key of ['driver', 'outcome', 'driverEntry', 'devices', 'symlinks', 'ops', 'dbgPrint', 'unload', 'stop', 'client', 'unsupportedCalls', 'stats']) {
    expect(r).toHaveProperty(key);
  }
  if (r.outcome !== 'completed') {
    expect(r.stop?.reason).toMatch(/\S/);
    expect(r.outcome).not.toBe('internal-error');
  }
}

describe.each(ENGINES_HERE)('on the %s engine', (engine) => {
  describe.each(ARCHES)('%s', (arch) => {
    it('memset over the whole address space faults at the first unmapped byte with PAGE_FAULT_IN_NONPAGED_AREA', () => {
      const { report } = run(hostile('MEMSET', arch), [], { engine });
      expectFullReport(report);
      expect(report.outcome).toBe('fault');
      expect(report.stop?.export).toBe('ntoskrnl.exe!memset');
      expect(report.stop?.bugcheck?.code).toBe('0x00000050');
      // The first bad byte is the end of the pool's mapped part, past the block the driver allocated.
      const allocated = BigInt('0x' + /allocated ([0-9A-Fa-f]+)/.exec(report.dbgPrint[0])![1]);
      const bad = BigInt(report.stop!.bugcheck!.params[0]);
      expect(bad).toBeGreaterThan(allocated);
      expect(bad % 0x1000n).toBe(0n);
      expect(report.stop?.fault?.access).toBe('write');
    });

    it("the kernel's memcpy into the driver's read-only .rdata bugchecks ATTEMPTED_WRITE_TO_READONLY_MEMORY", () => {
      const { report } = run(hostile('RDATA', arch), [], { engine });
      expectFullReport(report);
      expect(report.outcome).toBe('fault');
      expect(report.stop?.export).toBe('ntoskrnl.exe!memcpy');
      const target = /copying to ([0-9A-Fa-f]+)/.exec(report.dbgPrint[0])![1];
      expect(report.stop?.bugcheck).toEqual({ code: '0x000000BE', name: 'ATTEMPTED_WRITE_TO_READONLY_MEMORY', params: [`0x${target.toUpperCase()}`, '0x0', '0x0', '0x0'] });
      expect(report.stop?.module).toBe('hostile.sys');
    });

    it('a call into non-executable data bugchecks ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY', () => {
      const { report } = run(hostile('NX', arch), [], { engine });
      expectFullReport(report);
      expect(report.outcome).toBe('fault');
      const target = `0x${/calling ([0-9A-Fa-f]+)/.exec(report.dbgPrint[0])![1].toUpperCase()}`;
      expect(report.stop?.fault).toEqual({ access: 'fetch', address: target });
      expect(report.stop?.bugcheck).toEqual({ code: '0x000000FC', name: 'ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY', params: [target, '0x0', '0x0', '0x0'] });
    });

    it('a bad pointer read at DISPATCH_LEVEL bugchecks DRIVER_IRQL_NOT_LESS_OR_EQUAL', () => {
      const { report } = run(hostile('IRQL', arch), [], { engine });
      expectFullReport(report);
      expect(report.outcome).toBe('fault');
      // (address, IRQL, 0 = read, the faulting instruction)
      expect(report.stop?.bugcheck).toEqual({ code: '0x000000D1', name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL', params: ['0x1230', '0x2', '0x0', report.stop!.pc] });
      expect(report.stop?.module).toBe('hostile.sys');
    });

    it('a corrupted LIST_ENTRY bugchecks KERNEL_SECURITY_CHECK_FAILURE with FAST_FAIL_CORRUPT_LIST_ENTRY', () => {
      const { report } = run(hostile('LIST', arch), [], { engine });
      expectFullReport(report);
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck).toEqual({ code: '0x00000139', name: 'KERNEL_SECURITY_CHECK_FAILURE', params: ['0x3', '0x0', '0x0', '0x0'] });
      expect(report.dbgPrint).toEqual(['inserting\n']);
    });

    it('a periodic timer without a DPC and a wait nothing can end is a deadlock, found at once', () => {
      const started = performance.now();
      const { report } = run(hostile('TIMER', arch), [], { engine });
      expectFullReport(report);
      expect(report.outcome).toBe('deadlock');
      expect(report.dbgPrint).toEqual(['waiting\n']);
      expect(performance.now() - started).toBeLessThan(10_000);
    });

    it('a periodic timer whose DPC never ends the wait stops at the virtual-time budget', () => {
      const { report } = run(hostile('TIMER_DPC', arch), [], { engine, maxVirtualMs: 2000 });
      expectFullReport(report);
      expect(report.outcome).toBe('timeout');
      expect(report.stop?.reason).toMatch(/virtual-time budget \(--max-virtual-time 2000 ms\)/);
    });

    it('with the wall-clock budget, the same driver stops at --timeout however large the virtual budget', () => {
      const started = performance.now();
      const { report } = run(hostile('TIMER_DPC', arch), [], { engine, maxVirtualMs: 'unlimited', timeoutMs: 1500 });
      expect(report.outcome).toBe('timeout');
      expect(report.stop?.reason).toMatch(/wall-clock budget/);
      expect(performance.now() - started).toBeLessThan(15_000);
    });

    it('an endless loop in DriverEntry stops at the instruction budget', () => {
      const { report } = run(hostile('SPIN', arch), [], { engine, maxInstructions: 3_000_000 });
      expectFullReport(report);
      expect(report.outcome).toBe('instruction-limit');
      expect(report.stats.instructions).toBe(3_000_000);
      expect(report.stop?.module).toBe('hostile.sys');
    });

    it('600 MiB of pool beyond the guest memory budget is NULL, as on Windows, and the run completes', () => {
      const { report } = run(hostile('BIGPOOL', arch), [], { engine, memoryMb: 256 });
      expectFullReport(report);
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint).toEqual(['600 MiB: NULL\n']);
    });
  });
});

describe('default budgets', () => {
  it('an endless DriverEntry ends by default: the default instruction budget holds (wasm)', () => {
    const r = cliJson(['run', hostile('SPIN', 'x64').path]);
    expect(r.status).toBe(1);
    expect(r.json.outcome).toBe('instruction-limit');
    expect(r.json.stop?.reason).toMatch(/instruction budget \(1000000000\)/);
  }, 120_000);

  it('600 MiB of x64 pool within the default budget is allocated and usable', () => {
    const { report } = run(hostile('BIGPOOL', 'x64'));
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toEqual(['600 MiB: ok 1 2\n']);
    expect(report.unload.leaks).toEqual([]);
  });

  it('x86 pool is smaller: 600 MiB is NULL there even within the memory budget', () => {
    const { report } = run(hostile('BIGPOOL', 'x86'));
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toEqual(['600 MiB: NULL\n']);
  });

  it('the CLI refuses budgets of 0 and takes unlimited', () => {
    for (const opt of ['--max-instructions', '--max-virtual-time']) {
      const r = cli(['run', sample('x64', 'readfile.sys'), opt, '0']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^kdemu: ${opt}: 0 would stop the run before it starts`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      const ok = cliJson(['run', sample('x64', 'readfile.sys'), opt, 'unlimited', '--read', '4']);
      expect(ok.status).toBe(0);
    }
    expect(cli(['run', sample('x64', 'readfile.sys'), '--memory', '8']).stderr).toMatch(/--memory: 8 MiB is too little/);
    expect(cli(['run', sample('x64', 'readfile.sys'), '--memory', '99999']).status).toBe(2);
  });
});

describe('large requests and images', () => {
  it('--read 268435456 on x64 returns the status NtReadFile gives: the data, or STATUS_INSUFFICIENT_RESOURCES', () => {
    const small = cliJson(['run', sample('x64', 'readfile.sys'), '--read', '268435456', '--memory', '300']);
    expect(small.status).toBe(0);
    expect(small.json.ops[1]).toMatchObject({ op: 'read', status: '0xC000009A', win32Error: 1450, information: 0 });

    const r = cliJson(['run', sample('x64', 'readfile.sys'), '--read', '268435456'], 110_000);
    expect(r.status).toBe(0);
    const read = r.json.ops[1];
    expect(read).toMatchObject({ op: 'read', status: '0x00000000', information: 268435456, dataBytes: 268435456 });
    // The report spells out the first 16 MiB and says how long the whole is and what it hashes to.
    expect(read.data).toHaveLength(2 * 16 * 1024 * 1024);
    expect(read.data!.slice(0, 8)).toBe('68686868');
    expect(read.dataSha256).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('an image whose SizeOfImage exceeds the memory budget is refused at load with one line (exit 2)', () => {
    const big = withSizeOfImage(buildDriver('nullwrite', 'x64'), 512 * 1024 * 1024);
    const r = cli(['run', big, '--memory', '256']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kdemu: .*SizeOfImage 536870912 bytes \(512\.0 MiB\) does not fit the guest memory left/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // Within the budget the 6 KB driver with 512 MiB of image runs (to its NULL write), costing only the pages it uses.
    for (const engine of ENGINES_HERE) {
      const ok = cliJson(['run', big, '--engine', engine]);
      expect(ok.status).toBe(1);
      expect(ok.json.outcome).toBe('fault');
      expect(ok.json.stop?.bugcheck?.code).toBe('0x0000001E');
    }
  }, 60_000);

  it.each(ARCHES)('%s: a driver importing 9,000 functions binds them all and stops at the first missing one', (arch) => {
    const d = manyImports(arch, 9000);
    for (const engine of ENGINES_HERE) {
      const r = cliJson(['run', d, '--engine', engine]);
      expect(r.status).toBe(1);
      expect(r.json.outcome).toBe('unsupported-call');
      expect(r.json.stop?.export).toBe('fake.dll!f4321');
    }
  }, 60_000);
});

/**
 * A copy of a built driver whose last section (zero-filled past its raw data) grows to make SizeOfImage `size`, as a
 * large .bss would: a valid image for the Windows loader, tiny on disk.
 */
function withSizeOfImage(d: BuiltDriver, size: number): string {
  const b = Buffer.from(d.bytes);
  const nt = b.readUInt32LE(0x3c);
  const sections = b.readUInt16LE(nt + 6);
  const optionalSize = b.readUInt16LE(nt + 20);
  const last = nt + 24 + optionalSize + (sections - 1) * 40;
  const va = b.readUInt32LE(last + 12);
  b.writeUInt32LE(size - va, last + 8); // VirtualSize
  b.writeUInt32LE(size, nt + 24 + 56); // OptionalHeader.SizeOfImage, at the same offset in PE32 and PE32+
  const file = path.join(tmpdir(), `kdemu-bigimage-${d.arch}-${process.pid}.sys`);
  writeFileSync(file, b);
  return file;
}

/** Builds a driver that imports n functions f0..f(n-1) from fake.dll (an import library made with dlltool). */
function manyImports(arch: Arch, n: number): string {
  const dir = path.join(tmpdir(), 'kdemu-test-drivers', `imports-${n}`, arch);
  const sys = path.join(dir, 'many.sys');
  if (existsSync(sys)) return sys;
  mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `f${i}`);
  const stdcall = arch === 'x86' ? '@0' : '';
  writeFileSync(path.join(dir, 'fake.def'), `LIBRARY fake.dll\nEXPORTS\n${names.map((f) => `${f}${stdcall}`).join('\n')}\n`);
  writeFileSync(
    path.join(dir, 'many.c'),
    `#include <ntddk.h>\n${names.map((f) => `__declspec(dllimport) void NTAPI ${f}(void);`).join('\n')}\n` +
      `static void (NTAPI *const volatile table[])(void) = { ${names.join(', ')} };\n` +
      `NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT d, PUNICODE_STRING r) { (void)d; (void)r; table[4321](); return STATUS_SUCCESS; }\n`,
  );
  const prefix = arch === 'x64' ? 'x86_64-w64-mingw32' : 'i686-w64-mingw32';
  execFileSync(`${prefix}-dlltool`, ['-d', 'fake.def', '-l', 'libfake.a', ...(arch === 'x86' ? ['-k'] : [])], { cwd: dir });
  const entry = arch === 'x64' ? 'DriverEntry' : '_DriverEntry@8';
  execFileSync(`${prefix}-gcc`, ['-O2', '-I/usr/share/mingw-w64/include/ddk', '-shared', '-nostdlib', '-Wl,--subsystem,native', `-Wl,--entry,${entry}`, '-o', 'many.tmp', 'many.c', '-L.', '-lfake', '-lntoskrnl'], { cwd: dir });
  execFileSync('mv', ['many.tmp', 'many.sys'], { cwd: dir });
  return sys;
}
