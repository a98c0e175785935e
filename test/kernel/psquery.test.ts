// EPROCESS accessors (SeLocateProcessImageName, PsGetProcessSectionBaseAddress, PsGetProcessDebugPort), MmCopyVirtualMemory
// and the tagged reference exports (Obf(De)ReferenceObjectWithTag, ObDereferenceObjectDeferDelete(WithTag),
// ObReferenceObjectByHandleWithTag).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

const IOCTL_KD_PID = 0x222000;
const pid = (n: number) => op.ioctl(IOCTL_KD_PID, Buffer.from(Uint32Array.of(n).buffer).toString('hex'));

describe.each(ARCHES)('%s', (arch) => {
  const nul = arch === 'x64' ? '0000000000000000' : '00000000';
  const spawned = () => run(buildDriver('psquery', arch), [{ op: 'spawn', image: 'C:\\Windows\\System32\\notepad.exe' }, pid(428), pid(999)]);

  it('System: SeLocateProcessImageName gives an empty name in pool, no debug port, no section base', () => {
    const { report } = spawned();
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint.slice(0, 3)).toEqual([
      'system: image name 00000000 length 0 max 0 [(null)] follows 0\n',
      `system: debug port ${nul}\n`,
      `system: section base ${nul}\n`,
    ]);
  });

  it('a spawned process: SeLocateProcessImageName gives its NT path after the UNICODE_STRING, freed with ExFreePool', () => {
    const { report, trace } = spawned();
    expect(report.dbgPrint.slice(16)).toEqual([
      'lookup 428: 00000000\n',
      'spawned: image name 00000000 length 104 max 106 [\\Device\\HarddiskVolume1\\Windows\\System32\\notepad.exe] follows 1\n',
      `spawned: debug port ${nul}\n`,
      'lookup 999: c000000d\n',
    ]);
    // Each name block is the caller's paged pool: the driver freed both, and its unload finds no pool left.
    expect(events(trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!ExFreePool')).toHaveLength(2);
    expect(report.unload.called).toBe(true);
    expect(report.unload.leaks.filter((l) => l.kind === 'pool')).toEqual([]);
  });

  it('tagged references share the pointer count; DeferDelete releases; ByHandleWithTag checks the type and the handle', () => {
    const { report } = spawned();
    expect(report.dbgPrint.slice(10, 16)).toEqual([
      'tagged: 2 3 2\n',
      // The two DeferDelete calls dropped the two references taken, so a new one makes the count 2 again.
      'deferred: 2\n',
      'by handle: 00000000 same 1 access 001fffff attributes 0\n',
      'by handle: released to 1\n',
      `wrong type: c0000024 ${nul}\n`,
      `bad handle: c0000008 ${nul}\n`,
    ]);
  });

  it('MmCopyVirtualMemory copies within the one address space; a page it cannot read or write ends it with PARTIAL_COPY', () => {
    const { report } = spawned();
    expect(report.dbgPrint.slice(3, 10)).toEqual([
      'copy: 00000000 16 [kdemu copy test!....]\n',
      'copy nothing: 00000000 0\n',
      // A user-mode caller's ranges must lie in user space: nothing is copied.
      'copy, user mode, kernel range: c0000005 0\n',
      'copy to NULL: 8000000d 0\n',
      // The bytes before the decommitted page are copied and counted.
      'copy across a decommitted page: 8000000d 8 [xxxxxxxx........]\n',
      'copy into it: 8000000d 4 [kdem]\n',
      'copy into it, user mode: 8000000d 2 [kdus]\n',
    ]);
  });

  it('dropping a tagged reference never taken bugchecks REFERENCE_BY_POINTER', () => {
    const { report } = run(buildDriver('psquery', arch, { defines: { OVER_DEREFERENCE: true } }));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x00000018');
    expect(report.stop?.reason).toMatch(/^ObfDereferenceObjectWithTag/);
  });

  it('the image base of a process that runs no program stops the run naming the export', () => {
    const { report } = run(buildDriver('psquery', arch, { defines: { SECTION_BASE_OF_CLIENT: true } }), [pid(4)]);
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!PsGetProcessSectionBaseAddress');
    expect(report.stop?.reason).toMatch(/client\.exe runs no program/);
  });
});
