// Privileged instructions in driver code are emulated by the kernel layer, identically on every engine.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('privileged instructions');

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    it('control registers, MSRs and sgdt show a running Windows machine; writing cr8 sets the IRQL', () => {
      const { report, trace } = run(buildDriver('cpu', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.driverEntry).toEqual({ status: '0xC0000001' });
      const x64 = arch === 'x64';
      expect(report.dbgPrint).toEqual([
        `cr0 ${x64 ? '80050033' : '80010033'} pg 1 wp 1\n`,
        'wp after clearing: 0\n',
        `efer ${x64 ? 'd01' : '800'}\n`,
        'apic base fee00900\n',
        ...(x64 ? ['irql 0\n', 'irql after cr8=2: 2 2\n', 'lstar is set: 1\n'] : []),
        `gdt limit ${x64 ? '7f' : '3ff'}\n`,
      ]);
      const cpu = events(trace, 'cpu').map((e) => e.instruction.split(' ')[0]);
      expect(cpu.filter((i) => i === 'rdmsr')).toHaveLength(x64 ? 3 : 2);
      expect(cpu).toContain('sgdt');
    });

    it('rdmsr of an MSR the processor lacks raises #GP: KMODE_EXCEPTION_NOT_HANDLED (STATUS_PRIVILEGED_INSTRUCTION)', () => {
      const { report } = run(buildDriver('cpu', arch, { defines: { BAD_MSR: true } }), [], { engine });
      expect(report.outcome).toBe('bugcheck');
      expect(report.stop?.bugcheck?.code).toBe('0x0000001E');
      expect(report.stop?.bugcheck?.params[0]).toBe('0xC0000096');
      expect(report.stop?.module).toBe('cpu.sys');
      expect(report.stop?.instruction).toBe('rdmsr');
    });

    it('port I/O reaches the device model: in al,64h reads the keyboard controller status, traced as an instruction and a port access', () => {
      const { report, trace } = run(buildDriver('cpu', arch, { defines: { PORT_IO: true } }), [], { engine });
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint.at(-1)).toBe('port 1c\n');
      expect(events(trace, 'cpu').map((e) => e.instruction)).toContain('in al,64h');
      expect(events(trace, 'port')).toMatchObject([{ direction: 'in', port: '0x0064', width: 8, value: '0x1C' }]);
    });

    it('iret to the same level continues after it, and enter builds frames that leave unwinds', () => {
      const { report, trace } = run(buildDriver('cpu', arch, { defines: { IRET: true } }), [], { engine });
      expect(report.outcome).toBe('completed');
      const x64 = arch === 'x64';
      expect(report.dbgPrint.slice(-2)).toEqual(['after iret\n', `enter frame ${x64 ? 32 : 28}, balanced 1\n`]);
      expect(events(trace, 'cpu').map((e) => e.instruction)).toContain(x64 ? 'iretq' : 'iretd');
    });

    it('iret to CPL3 enters user mode, where fetching kernel code is an access violation in user mode', () => {
      const { report } = run(buildDriver('cpu', arch, { defines: { IRET_USER: true } }), [], { engine });
      expect(report.outcome).toBe('client-fault');
      expect(report.stop?.reason).toMatch(/access violation in user mode: execute of 0x[0-9A-F]+ \(a kernel address\)/);
      expect(report.stop?.module).toBe('cpu.sys');
    });

    it('hlt with nothing to wake the processor is a deadlock', () => {
      const { report } = run(buildDriver('cpu', arch, { defines: { HALT: true } }), [], { engine });
      expect(report.outcome).toBe('deadlock');
      expect(report.stop?.instruction).toBe('hlt');
    });
  });
});
