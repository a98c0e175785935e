// The chapter's ReadFile sample end to end through the CLI, on x86 and x64.

import { describe, expect, it } from 'vitest';
import { kdemu, sample } from '../helpers.js';
import type { Report } from '../../hal/report.js';

describe.each(['x86', 'x64'] as const)('readfile.sys (%s)', (arch) => {
  const driver = sample(arch, 'readfile.sys');

  it('reads 10 bytes of 0x68 and reports the DbgPrint lines, the unload and the leaked link', () => {
    const r = kdemu(['run', driver, '--read', '10', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.driver.arch).toBe(arch);
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0x00000000' });
    expect(report.devices).toEqual([{ name: '\\Device\\My_Device', type: '0x22', flags: '0x4c' }]);
    expect(report.symlinks).toEqual([{ link: '\\??\\My_Device', target: '\\Device\\My_Device' }]);
    expect(report.ops).toEqual([
      { op: 'open', name: 'My_Device', status: '0x00000000', win32Error: 0 },
      { op: 'read', length: 10, status: '0x00000000', win32Error: 0, information: 10, data: '68686868686868686868' },
    ]);
    expect(report.dbgPrint).toEqual([
      '命令 IoCreateDevice 状态: 0',
      '当前命令IoCreatesymbolicLink状态: 0',
      '驱动加载完成...',
      '派遣函数 IRP_MJ_CREATE 成功执行 !\n',
      '应用要读取的长度: 10\n',
      '派遣函数 IRP_MJ_CLOSE 成功执行 !\n',
      '删除设备与符号链接成功...',
    ]);
    expect(report.unload.called).toBe(true);
    // The chapter's bug: UnDriver deletes \??\My_Driver, so the link it created outlives it.
    expect(report.unload.leaks).toEqual([{ kind: 'symlink', detail: '\\??\\My_Device', target: '\\Device\\My_Device' }]);
    expect(report.stop).toBeNull();
    expect(report.stats.engine).toBe('wasm'); // the default engine: no native library
    expect(report.stats.instructions).toBeGreaterThan(50);
  });

  it('answers an IOCTL it has no handler for with STATUS_INVALID_DEVICE_REQUEST (win32 1)', () => {
    const r = kdemu(['run', driver, '--ioctl', '0x222000', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ops[1]).toEqual({ op: 'ioctl', code: '0x222000', status: '0xC0000010', win32Error: 1, information: 0, data: '' });
  });

  it('gives byte-identical traces on two runs', () => {
    const a = kdemu(['run', driver, '--read', '10', '--ioctl', '0x222003:41414141:16', '--trace', '-']);
    const b = kdemu(['run', driver, '--read', '10', '--ioctl', '0x222003:41414141:16', '--trace', '-']);
    expect(a.code).toBe(0);
    const events = (s: string) => s.split('\n').filter((l) => l.startsWith('{"seq"'));
    expect(events(a.stdout).length).toBeGreaterThan(30);
    expect(events(a.stdout)).toEqual(events(b.stdout));
  });

  it('traces each kernel call with decoded arguments and its caller, and each IRP sent and completed', () => {
    const r = kdemu(['run', driver, '--read', '4', '--trace', '-']);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('{"seq"')).map((l) => JSON.parse(l));
    const create = events.find((e) => e.type === 'call' && e.export === 'ntoskrnl.exe!IoCreateDevice');
    expect(create.args.DeviceName).toMatch(/"\\\\Device\\\\My_Device"$/);
    expect(create.args.Exclusive).toBe('TRUE');
    expect(create.ret).toBe('0x00000000');
    expect(create.caller).toMatch(/^readfile\.sys\+0x[0-9a-f]+$/);
    const complete = events.find((e) => e.type === 'call' && e.export === 'ntoskrnl.exe!IofCompleteRequest');
    expect(complete.args.PriorityBoost).toBe('0');
    expect(events.filter((e) => e.type === 'irp' && e.event === 'sent').map((e) => e.major)).toEqual(['IRP_MJ_CREATE', 'IRP_MJ_READ', 'IRP_MJ_CLEANUP', 'IRP_MJ_CLOSE']);
    const read = events.find((e) => e.type === 'irp' && e.event === 'completed' && e.major === 'IRP_MJ_READ');
    expect(read).toMatchObject({ status: '0x00000000', information: '0x4' });
    expect(events.filter((e) => e.type === 'dbgprint').map((e) => e.text)).toContain('应用要读取的长度: 4\n');
  });

  it('prints a readable summary without --json', () => {
    const r = kdemu(['run', driver, '--read', '10']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('read 10');
    expect(r.stdout).toContain('68686868686868686868');
    expect(r.stdout).toContain('leak symlink  \\??\\My_Device');
  });

  it('skips the unload routine with --no-unload and reports what is still there', () => {
    const report = JSON.parse(kdemu(['run', driver, '--no-unload', '--json']).stdout) as Report;
    expect(report.unload.called).toBe(false);
    expect(report.unload.leaks.map((l) => l.kind)).toEqual(['device', 'symlink']);
  });

  it('runs operations from a --script file in order', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-'));
    const script = path.join(dir, 'ops.json');
    writeFileSync(script, JSON.stringify([{ op: 'read', length: 3 }, { op: 'ioctl', code: '0x222003', input: '41414141', outputLength: 16 }, { op: 'close' }]));
    const report = JSON.parse(kdemu(['run', driver, '--script', script, '--json']).stdout) as Report;
    expect(report.ops.map((o) => [o.op, o.status])).toEqual([
      ['open', '0x00000000'],
      ['read', '0x00000000'],
      ['ioctl', '0xC0000010'],
      ['close', '0x00000000'],
    ]);
    expect(report.ops[1].data).toBe('686868');
  });

  it('stops at the instruction budget with exit code 1', () => {
    const r = kdemu(['run', driver, '--read', '10', '--max-instructions', '40', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.outcome).toBe('instruction-limit');
    expect(report.stop?.reason).toMatch(/instruction budget \(40\)/);
  });
});
