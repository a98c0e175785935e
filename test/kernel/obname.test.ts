// Object names: ObQueryNameString on named and unnamed objects with its length rule; ObReferenceObjectByName by
// path, type and kind of object.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const us = arch === 'x64' ? 16 : 8; // sizeof(OBJECT_NAME_INFORMATION)
  const result = () => {
    const { report } = run(buildDriver('obname', arch));
    expect(report.outcome).toBe('completed');
    expect(report.unload).toEqual({ called: true, leaks: [] });
    return report.dbgPrint.map((l) => l.trimEnd());
  };

  it('ObQueryNameString: the full name after the header, NUL-terminated; too small a buffer gets the length needed', () => {
    expect(result().slice(0, 6)).toEqual([
      `device: small c0000004 need ${us + 34}, 00000000 length 32 max 34 buffer after [\\Device\\KdObName] terminated 1`,
      `unnamed device: small c0000004 need ${us}, 00000000 length 0 max 0 buffer NULL [(null)] terminated -1`,
      `driver: small c0000004 need ${us + 30}, 00000000 length 28 max 30 buffer after [\\Driver\\obname] terminated 1`,
      `event: small c0000004 need ${us + 64}, 00000000 length 62 max 64 buffer after [\\BaseNamedObjects\\KdObNameEvent] terminated 1`,
      `unnamed event: small c0000004 need ${us}, 00000000 length 0 max 0 buffer NULL [(null)] terminated -1`,
      `process: small c0000004 need ${us}, 00000000 length 0 max 0 buffer NULL [(null)] terminated -1`,
    ]);
  });

  it('ObReferenceObjectByName finds drivers and named events by path and type, not devices (they need an open)', () => {
    expect(result().slice(6, 14)).toEqual([
      'driver: 00000000 same 1',
      'driver, any type: 00000000 same 1',
      'driver as an event: c0000024 same 0', // STATUS_OBJECT_TYPE_MISMATCH
      'event: 00000000 same 1',
      'device: c0000024 same 0',
      'missing: c0000034 same 0', // STATUS_OBJECT_NAME_NOT_FOUND
      'missing directory: c000003a same 0', // STATUS_OBJECT_PATH_NOT_FOUND
      'relative: c000003b same 0', // STATUS_OBJECT_PATH_SYNTAX_BAD
    ]);
  });

  it('ZwOpenSymbolicLinkObject opens links (one object while open), ZwQuerySymbolicLinkObject copies the target as it fits', () => {
    expect(result().slice(14, 22)).toEqual([
      'open link: 00000000 kernel handle 1',
      'open again: 00000000 same object 1', // \GLOBAL?? is \?? and names compare without case
      'query, 10 bytes: c0000023 needs 34 length 0', // STATUS_BUFFER_TOO_SMALL, the length with the terminator
      'query, exactly the text: 00000000 [\\Device\\KdObName] next 5858', // no room for the terminator: none written
      'query: 00000000 [\\Device\\KdObName] next 0000',
      'system link: 00000000 00000000 [\\Device\\NamedPipe] 36',
      'missing link: c0000034 device: c0000024',
      'query a process handle: c0000024',
    ]);
  });

  it("ZwQueryObject(ObjectNameInformation) names a handle's object as ObQueryNameString does", () => {
    expect(result().slice(22)).toEqual([
      `ZwQueryObject link: 00000000 length ${us + 26} [\\??\\KdObName]`,
      `ZwQueryObject, 4 bytes: c0000004 needs ${us + 26}`,
      `ZwQueryObject event: 00000000 length ${us + 64} [\\BaseNamedObjects\\KdObNameEvent]`,
      `ZwQueryObject unnamed event: 00000000 length ${us} buffer ${arch === 'x64' ? '0000000000000000' : '00000000'}`,
      'ZwQueryObject bad handle: c0000008',
    ]);
  });
});
