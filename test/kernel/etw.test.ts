// ETW providers: registration handles are real, no session enables anything, writes are checked and go nowhere.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const result = () => {
    const r = run(buildDriver('etw', arch));
    expect(r.report.outcome).toBe('completed');
    return { ...r, lines: r.report.dbgPrint.map((l) => l.trimEnd()) };
  };

  it('EtwRegister gives distinct handles; with no trace session nothing is enabled and the enable callback never runs', () => {
    expect(result().lines.slice(0, 3)).toEqual([
      'EtwRegister: 00000000 handle 1',
      'EtwRegister second: 00000000 distinct 1',
      'EtwEventEnabled 0 EtwProviderEnabled 0 callbacks 0',
    ]);
  });

  it('EtwWrite, EtwWriteTransfer and EtwWriteString check the handle and the descriptor count, and log nothing', () => {
    const { lines, trace } = result();
    expect(lines.slice(3, 8)).toEqual([
      'EtwWrite: 00000000',
      'EtwWrite 129 descriptors: c000000d', // more than MAX_EVENT_DATA_DESCRIPTORS
      'EtwWrite unregistered handle: c0000008', // STATUS_INVALID_HANDLE
      'EtwWriteTransfer: 00000000',
      'EtwWriteString: 00000000',
    ]);
    expect(events(trace, 'call').filter((e) => e.export === 'ntoskrnl.exe!EtwWriteString').map((e) => e.args.String)).toEqual([expect.stringMatching(/ "hello"$/)]);
  });

  it("EtwActivityIdControl keeps the thread's activity id: get, set, create, swap; bad codes are refused", () => {
    expect(result().lines.slice(8, 16)).toEqual([
      'EtwActivityIdControl GET: 00000000',
      'initial id: 00000000-0000-0000-0000',
      'CREATE twice: different 1',
      'SET then GET: same 1',
      'GET_SET returns the previous: 1',
      'CREATE_SET returns the previous: 1',
      'and sets a new one: 1',
      'EtwActivityIdControl 6: c000000d NULL: c000000d',
    ]);
  });

  it('EtwRegisterClassicProvider registers a WPP-style provider EtwUnregister removes; WmiTraceMessage has no logger to reach', () => {
    expect(result().lines.slice(16, 19)).toEqual([
      'EtwRegisterClassicProvider: 00000000 handle 1',
      'WmiTraceMessage: c0000008', // STATUS_INVALID_HANDLE: no session, no valid logger handle
      'EtwUnregister classic: 00000000',
    ]);
  });

  it('EtwUnregister frees a registration once; one left registered at unload is a callback leak', () => {
    const { lines, report } = result();
    expect(lines.slice(19)).toEqual(['EtwUnregister: 00000000', 'EtwUnregister again: c0000008']);
    expect(report.unload).toEqual({
      called: true,
      leaks: [{ kind: 'callback', detail: expect.stringMatching(/^ETW provider \{0badf00d-0001-0002-0102-030405060708\} \(registration 0x[0-9A-F]+\) never unregistered$/), caller: expect.stringMatching(/^etw\.sys\+0x[0-9a-f]+$/) }],
    });
  });
});
