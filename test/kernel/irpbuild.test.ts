// IRPs a driver builds and sends itself: threaded IRPs the I/O manager finishes (copy-back, IOSB, event, freeing),
// and the driver's own IRPs (IoAllocateIrp, IoBuildAsynchronousFsdRequest) that its completion routines free.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const r = run(buildDriver('irpbuild', arch));
    expect(r.report.outcome).toBe('completed');
    return { ...r, lines: r.report.dbgPrint.map((l) => l.trimEnd()) };
  };

  it('IoBuildDeviceIoControlRequest: buffered output is copied back, the IOSB set and the event signaled', () => {
    expect(result().lines.slice(0, 3)).toEqual([
      'built: stack 1 current 2 next major 14 mode 0 thread 1',
      // IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION, a system buffer apart from the caller's.
      'dispatch: in 4 out 8 flags 70 same buffer 1',
      'upcase: 00000000 event 1 iosb 00000000 4 out PINGxx',
    ]);
  });

  it('a threaded IRP that fails without pending leaves the IOSB and event alone; one that pended gets them', () => {
    expect(result().lines.slice(3, 8)).toEqual([
      'failing: c0000010 event 0 iosb untouched 1',
      'pending: 00000103 event 0',
      'completed later with an error: event 1 iosb c0000001',
      'internal ioctl 1234 requestor mode 0',
      'internal: 00000000 event 1',
    ]);
  });

  it('IoBuildSynchronousFsdRequest writes and reads through a buffered device at the given offset', () => {
    expect(result().lines.slice(8, 10)).toEqual([
      'write: 00000000 event 1 iosb 00000000 8 offset 1000 data written',
      'read: 00000000 event 1 8 [written]',
    ]);
  });

  it("the driver's own IRPs: completion routines free them, IoReuseIrp resets one, IoSetCompletionRoutineEx filters", () => {
    expect(result().lines.slice(10)).toEqual([
      'completion routine: status 00000000 info 4 ctx 1',
      // The routine freed the IRP and its system buffer: nothing is copied to the caller's buffer.
      'async read: 00000000 completions 1 []',
      'IoAllocateIrp: type 6 stack 1 current 2 size ok 1',
      'keep routine: status c0000010',
      'own irp: c0000010 completions 2',
      'IoReuseIrp: status c00000bb current 2',
      'IoSetCompletionRoutineEx: 00000000',
      // Invoke on success only: the failed request does not reach the routine.
      'reused irp: c0000010 completions 2 status c0000010',
    ]);
  });

  it('every IRP and buffer is freed: no leak at unload; the sent IRPs appear in the trace', () => {
    const { report, trace } = result();
    expect(report.unload).toEqual({ called: true, leaks: [] });
    const sent = events(trace, 'irp').filter((e) => e.event === 'sent').map((e) => e.major);
    expect(sent).toEqual(['IRP_MJ_DEVICE_CONTROL', 'IRP_MJ_DEVICE_CONTROL', 'IRP_MJ_DEVICE_CONTROL', 'IRP_MJ_INTERNAL_DEVICE_CONTROL', 'IRP_MJ_WRITE', 'IRP_MJ_READ', 'IRP_MJ_READ', 'IRP_MJ_DEVICE_CONTROL', 'IRP_MJ_DEVICE_CONTROL']);
  });

  it('IoFreeIrp on an IRP already freed bugchecks MULTIPLE_IRP_COMPLETE_REQUESTS at the call', () => {
    const { report } = run(buildDriver('irpbuild', arch), [op.ioctl(0x22200c)]);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.name).toBe('MULTIPLE_IRP_COMPLETE_REQUESTS');
    expect(report.stop?.reason).toMatch(/^IoFreeIrp\(0x[0-9A-F]+\) from irpbuild\.sys\+0x[0-9a-f]+: not an IRP/);
  });
});
