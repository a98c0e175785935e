// Share access: IoSetShareAccess for the first open, IoCheckShareAccess for the next ones (sharing violations both
// ways, opens that take no part), IoUpdateShareAccess and IoRemoveShareAccess.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it('counts opens, readers, writers, deleters and what they share; refuses what an open does not share', () => {
    const { report } = run(buildDriver('share', arch));
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint.map((l) => l.trimEnd())).toEqual([
      'set: reader sharing read: 00000000 open 1 readers 1 writers 0 deleters 0 shared 1/0/0',
      'file 0: read 1 write 0 delete 0 shared 1/0/0',
      'writer: the reader does not share writing: c0000043 open 1 readers 1 writers 0 deleters 0 shared 1/0/0', // STATUS_SHARING_VIOLATION
      'reader not sharing read: c0000043 open 1 readers 1 writers 0 deleters 0 shared 1/0/0',
      'reader, check only: 00000000 open 1 readers 1 writers 0 deleters 0 shared 1/0/0',
      'second reader: 00000000 open 2 readers 2 writers 0 deleters 0 shared 2/0/1',
      'attributes only, sharing nothing: 00000000 open 2 readers 2 writers 0 deleters 0 shared 2/0/1',
      'deleter: not every open shares delete: c0000043 open 2 readers 2 writers 0 deleters 0 shared 2/0/1',
      'first reader closed: 00000000 open 1 readers 1 writers 0 deleters 0 shared 1/0/1',
      'deleter again: 00000000 open 1 readers 1 writers 0 deleters 0 shared 1/0/1',
      'deleter counted: 00000000 open 2 readers 1 writers 0 deleters 1 shared 2/0/1',
      'all closed: 00000000 open 0 readers 0 writers 0 deleters 0 shared 0/0/0',
    ]);
  });
});
