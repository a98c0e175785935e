// Port I/O on the emulated PC: in/out/ins/outs, READ_PORT_*/WRITE_PORT_*, PCI configuration space, the CMOS clock.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildClient, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';
import { enginesHere, requireEngines } from '../helpers.js';

const engines = enginesHere('port I/O');

/** The date a FILETIME falls on, as the CMOS shows it in BCD: "DD-MM-CCYY hh:mm:ss dow NN". */
function cmosText(filetime: bigint): string {
  const d = new Date(Number((filetime - 116444736000000000n) / 10000n));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}-${two(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} dow ${two(d.getUTCDay() + 1)}`;
}

describe.each(ARCHES)('%s', (arch) => {
  describe.skipIf(!requireEngines('port I/O engine parity', 'wasm', 'unicorn'))('on every engine', () => {
    it('the same run gives the same port accesses, values and output on the wasm core and on Unicorn, twice', () => {
      const go = (engine: 'wasm' | 'unicorn') => {
        const r = run(buildDriver('ports', arch), [], { engine, maxVirtualMs: 'unlimited' });
        return JSON.stringify({ ports: events(r.trace, 'port').map(({ seq: _seq, ...e }) => e), dbg: r.report.dbgPrint });
      };
      const wasm = go('wasm');
      expect(wasm.length).toBeGreaterThan(1000);
      expect(go('unicorn')).toBe(wasm);
      expect(go('wasm')).toBe(wasm);
    });
  });

  describe.each(engines)('%s engine', (engine) => {
    const result = () => run(buildDriver('ports', arch), [], { engine, maxVirtualMs: 'unlimited' });

    it('in/out reach the keyboard status, the POST-code register and the PCI configuration ports; unclaimed ports read all ones', () => {
      const { report } = result();
      expect(report.outcome).toBe('completed');
      expect(report.dbgPrint.slice(0, 9)).toEqual([
        'kbc status 1c 1c\n',
        'post 42\n',
        'unclaimed ff ffff ffffffff\n',
        'host bridge 12378086 class 06000002\n',
        'isa bridge 70008086 class 06010000\n',
        'absent ffffffff ffffffff ffffffff\n',
        'device id word 1237 byte 80 address 80000000\n',
        // Only the command register's writable bits take the write; the IDs are read-only.
        'command after writing ffff: 0147, vendor still 8086\n',
        'disabled ffffffff\n',
      ]);
    });

    it('the CMOS clock shows the virtual system time in BCD, with status registers A-D and RAM behind it', () => {
      const { report } = result();
      const lines = report.dbgPrint;
      const time = BigInt(lines.find((l) => l.startsWith('system time '))!.slice(12).trim());
      const cmos = lines.find((l) => l.startsWith('cmos ') && l.includes(':'))!;
      // The clock was read a few instructions before the system time: the same second (or the one before).
      expect([cmosText(time), cmosText(time - 10_000_000n)].map((t) => `cmos ${t}\n`)).toContain(cmos);
      expect(cmos).toBe('cmos 01-01-2024 00:00:00 dow 02\n'); // boot: Monday 1 January 2024, midnight UTC
      // It runs with virtual time: a day, an hour, a minute and a second of KeDelayExecutionThread later.
      expect(lines).toContain('later 02-01-2024 01:01:01 dow 03\n');
      expect(lines).toContain('set minutes: 01:59\n');
      expect(lines).toContain('status a 26 b 02 c 00 d 80\n');
      expect(lines).toContain('base memory 640 KiB\n');
      const year = new Date(Number((time - 116444736000000000n) / 10000n)).getUTCFullYear();
      expect(lines).toContain(`binary month ${new Date(Number((time - 116444736000000000n) / 10000n)).getUTCMonth() + 1} year ${year % 100}, b 06\n`);
      expect(lines).toContain('cmos ram 5a\n');
    });

    it('rep ins/outs move elements through memory in the direction flag\'s direction', () => {
      const { report } = result();
      expect(report.dbgPrint).toEqual(expect.arrayContaining([
        'insb 1c 1c 1c 00\n',
        'outsb left post 03\n',
        'std rep insb 00 1c 1c 00, di moved -2, count 0\n',
        'insw ffff ffff insd ffffffff\n',
      ]));
    });

    it('rep ins into memory that is not mapped faults as the instruction: PAGE_FAULT_IN_NONPAGED_AREA at the driver', () => {
      const { report } = run(buildDriver('ports', arch, { defines: { INS_FAULT: true } }), [], { engine, maxVirtualMs: 'unlimited' });
      expect(report.outcome).toBe('fault');
      expect(report.stop?.bugcheck?.code).toBe('0x00000050');
      expect(report.stop?.fault).toEqual({ access: 'write', address: '0x1FFE' });
      expect(report.stop?.module).toBe('ports.sys');
      expect(report.stop?.instruction).toMatch(/^rep insb/);
    });

    it('READ_PORT_* / WRITE_PORT_* and their buffer forms go through the same device model', () => {
      const { report } = result();
      expect(report.dbgPrint).toEqual(expect.arrayContaining([
        'READ_PORT_UCHAR 99 1c\n',
        'READ_PORT_ULONG 70008086 READ_PORT_USHORT 7000\n',
        'buffers 1c 1c ffff 70008086\n',
        'after buffers post 22\n',
      ]));
    });

    it('KeQueryPerformanceCounter (a hal.dll export) counts at 10 MHz', () => {
      const { report, trace } = result();
      expect(report.dbgPrint).toContain('performance counter 10000000 Hz, monotonic 1\n');
      expect(trace).toContainEqual(expect.objectContaining({ type: 'call', export: 'hal.dll!KeQueryPerformanceCounter' }));
    });

    it('HalGetBusData/HalSetBusData(ByOffset) read and write PCI configuration space and the CMOS; empty slots and missing buses as Windows reports them', () => {
      const { report } = result();
      expect(report.dbgPrint.slice(report.dbgPrint.indexOf('after buffers post 22\n') + 2)).toEqual([
        'HalGetBusDataByOffset host 64 8086:1237 class 0600 rev 02\n',
        'HalGetBusData isa 256 8086:7000 pirq 80\n',
        'empty slot 2 vendor ffff next cc\n',
        'empty slot at 0x40: 0, bus 1: 0, isa bus: 0\n',
        'tail 2\n',
        'HalSetBusDataByOffset 2 command 0007, empty 0\n',
        'HalSetBusData cmos 1\n',
        'cmos bus 2 5a 77, d 80\n',
        'cmos bus from 0xfe: 2\n',
        'cmos with an offset: 0\n',
        'translate 1 febf0000 space 1\n',
      ]);
    });

    it('in/out in user mode is a privileged instruction: the program ends with STATUS_PRIVILEGED_INSTRUCTION, no port is touched', () => {
      const client = buildClient('portio', arch);
      const { report, trace } = run(buildDriver('physmem', arch), [], { engine, client: { path: client.path, bytes: client.bytes } });
      expect(report.outcome).toBe('client-fault');
      expect(report.stop?.reason).toMatch(/^in al,80h at portio\.exe\+0x[0-9a-f]+: a privileged instruction in user mode: STATUS_PRIVILEGED_INSTRUCTION/);
      expect(report.client?.stdout).toBe('before\r\n');
      expect(events(trace, 'port')).toEqual([]);
    });

    it('every port access is a trace event naming the port, width, direction, value and the code that made it', () => {
      const { trace } = result();
      const port = events(trace, 'port');
      expect(port[0]).toMatchObject({ direction: 'in', port: '0x0064', width: 8, value: '0x1C' });
      expect(port[0].at).toMatch(/^ports\.sys\+0x[0-9a-f]+$/);
      expect(port).toContainEqual(expect.objectContaining({ direction: 'out', port: '0x0080', width: 8, value: '0x42' }));
      expect(port).toContainEqual(expect.objectContaining({ direction: 'in', port: '0xC000', width: 32, value: '0xFFFFFFFF' }));
      // HalGetBusDataByOffset's configuration cycles are the caller's port accesses.
      const halCall = trace.findIndex((e) => e.type === 'call' && e.export === 'hal.dll!HalGetBusDataByOffset');
      expect(halCall).toBeGreaterThan(0);
      expect(trace.slice(0, halCall).filter((e) => e.type === 'port').slice(-2)).toMatchObject([
        { direction: 'out', port: '0x0CF8', width: 32 },
        { direction: 'in', port: '0x0CFC', width: 32 },
      ]);
    });
  });
});
