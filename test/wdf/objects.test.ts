// The framework's generic objects as a KMDF driver sees them: the parent/child hierarchy and its callback order,
// references, contexts, strings, collections, lookaside lists, and the misuse the framework stops with
// WDF_VIOLATION.

import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from '../kernel/harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('KMDF objects');

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    let memo: string[] | undefined;
    const lines = () => {
      if (memo) return memo;
      const { report } = run(buildDriver('kmdf_objects', arch), [], { engine });
      expect(report.outcome).toBe('completed');
      return (memo = report.dbgPrint.map((l) => l.replace(/\n$/, '')));
    };
    const section = (l: string[], from: string, to: string) => l.slice(l.findIndex((x) => x.startsWith(from)), l.findIndex((x) => x.startsWith(to)));

    it("deleting a parent cleans its children up (the last created first) before it, and a referenced child's destroy waits for its last reference", () => {
      expect(section(lines(), 'create:', 'context:')).toEqual([
        'create: 00000000 00000000 00000000',
        'cleanup child2',
        'destroy child2',
        'cleanup child1',
        'cleanup parent',
        'deleted parent',
        // child1's reference held both: dropping it destroys child1, then its parent.
        'destroy child1',
        'destroy parent',
        'dereferenced child1',
      ]);
    });

    it('contexts are zeroed, found by type, map back to their object, and a second context of the same type is refused', () => {
      expect(section(lines(), 'context:', 'string:')).toEqual([
        'context: 00000000 zero 1 back 1 extra-before 1',
        'allocate: 00000000 same 1 zero 1 back 1',
        'again: 40000000 same 1', // STATUS_OBJECT_NAME_EXISTS with the existing context
        'with parent: c020020f', // STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED
        'no type: c0000033', // STATUS_OBJECT_NAME_INVALID
        'bad size: c0000004', // STATUS_INFO_LENGTH_MISMATCH
        'value kept 1234',
        // The later context's cleanup runs at deletion, then the object's destroy.
        'extra cleanup loose',
        'destroy loose',
      ]);
    });

    it('strings own a copy of their text; the version string names KMDF 1.33', () => {
      expect(section(lines(), 'string:', 'collection:')).toEqual([
        'string: 00000000 [hello, framework] 32/32 copy 1',
        'empty: 00000000 0',
        'odd length: c000000d',
        'version: 00000000 [KMDF 1.33]',
      ]);
    });

    it('collections keep order and hold a reference on each item until it leaves them', () => {
      expect(section(lines(), 'collection:', 'zero size:')).toEqual([
        'collection: 00000000 count 0',
        'add: 00000000 00000000 00000000 count 3',
        'order: first 1 last 1 item1 1 item3 null 1',
        // Deleted while listed: cleaned up now, destroyed only when removed.
        'cleanup loose',
        'deleted listed object, count 3',
        'destroy loose',
        'removed it, count 2 item1 1',
        'remove item 0: count 1 first 1',
        'cleanup other',
        'destroy other',
        'cleanup other',
        'deleting the collection',
        'destroy other',
        'empty: first null 1 last null 1',
      ]);
    });

    it('lookaside lists hand out BufferSize memory objects, reuse returned buffers and take their memory with them', () => {
      expect(section(lines(), 'zero size:', 'done')).toEqual([
        'zero size: c000000d',
        'lookaside: 00000000',
        'memory: 00000000 size 100',
        'distinct 1',
        'cleanup lookaside memory',
        'reused 1',
        'deleting the list',
        'cleanup lookaside memory',
        'cleanup lookaside memory',
        'list deleted',
      ]);
    });

  });

  const misuse = (n: number) => run(buildDriver('kmdf_objects', arch, { defines: { MISUSE: n } })).report;

  it.each([
    [1, 'WdfObjectDelete(NULL)', 0x4, /WdfObjectDelete was passed a NULL handle/],
    [2, 'a WDFSTRING passed as a WDFCOLLECTION', 0x5, /WdfCollectionGetCount: 0x[0-9A-F]+ is a WDFSTRING handle, not WDFCOLLECTION/],
    [3, 'WdfObjectDelete of the WDFDRIVER', 0x7, /WdfObjectDelete of WDFDRIVER 0x[0-9A-F]+, which the driver does not own/],
    [4, 'one dereference too many', 0x7, /WdfObjectDereference of WDFOBJECT .* drops the reference the framework holds/],
  ])('misuse %i (%s) stops the run with WDF_VIOLATION %i', (n, _what, code, reason) => {
    const report = misuse(n);
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.code).toBe('0x0000010D');
    expect(report.stop?.bugcheck?.name).toBe('WDF_VIOLATION');
    expect(report.stop?.bugcheck?.params[0]).toBe(`0x${code.toString(16)}`);
    expect(report.stop?.reason).toMatch(reason);
    expect(report.dbgPrint).not.toContain('done\n');
    if (n === 4) expect(report.dbgPrint).toEqual(['balanced dereference ok\n']);
  });
});
