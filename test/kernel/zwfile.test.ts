// File services on the file system beyond create, read and write: ZwOpenFile, IoCreateFile(Ex), ZwDeleteFile,
// ZwQueryFullAttributesFile, ZwQueryDirectoryFile, ZwQueryVolumeInformationFile, ZwFlushBuffersFile.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('kernel-mode file services');

describe.each(ARCHES)('%s', (arch) => describe.each(engines)('%s engine', (engine) => {
  const lines = () => {
    const r = run(buildDriver('zwfile', arch), [], { engine });
    expect(r.report.outcome).toBe('completed');
    expect(r.report.unload.leaks).toEqual([]);
    return r.report.dbgPrint;
  };

  it('ZwOpenFile opens an existing directory (FILE_OPENED)', () => {
    expect(lines().slice(0, 2)).toEqual(['mkdir 00000000\n', 'open dir 00000000 info 1\n']);
  });

  it('ZwQueryDirectoryFile lists in NTFS order with 8-byte aligned entries, then STATUS_NO_MORE_FILES', () => {
    expect(lines().slice(2, 5)).toEqual([
      'list 12 00000000 info 126: .(+16) ..(+16) alpha.txt(+32) beta.log(+32) Gamma.txt\n',
      'list 12 80000006 info 0:\n',
      'list 12 80000006 info 0:\n',
    ]);
  });

  it('a pattern selects by wildcard; single entries go one at a time; the classes have their layouts', () => {
    expect(lines().slice(5, 8)).toEqual([
      'list 1 00000000 info 170: [5 20] alpha.txt(+88) [0 20] Gamma.txt\n',
      'list 3 00000000 info 112: [short 0] alpha.txt\n',
      'list 2 00000000 info 86: Gamma.txt\n',
    ]);
  });

  it('a first entry that does not fit is cut (STATUS_BUFFER_OVERFLOW); too small a buffer, no match and bad classes fail', () => {
    expect(lines().slice(8, 14)).toEqual([
      'list 12 80000005 info 16:\n',
      'list 12 c0000004 info 16:\n',
      'list 12 00000000 info 28: beta.log\n',
      'list 12 c000000f info 0:\n',
      'list 12 80000006 info 0:\n',
      'list 4 c0000003 info 0:\n',
    ]);
  });

  it('ZwQueryVolumeInformationFile describes an NTFS disk volume', () => {
    expect(lines().slice(14, 19)).toEqual([
      'volume 00000000 info 18 serial 4b44454d label 0 objects 1\n',
      'size 00000000 total 10000 avail below 1 sectors 8 bytes 512\n',
      'device 00000000 type 7 characteristics 20\n',
      'attribute 00000000 info 20 flags 6 max 255 name NTFS\n',
      'attribute short 80000005 info 16, too short c0000004, label class c0000003\n',
    ]);
  });

  it('ZwQueryFullAttributesFile, ZwFlushBuffersFile and ZwDeleteFile behave as on Windows', () => {
    expect(lines().slice(19, 26)).toEqual([
      'full attributes 00000000 eof 10 alloc 4096 attr 20 times 1\n',
      'missing c0000034\n',
      'flush 00000000, flush read-only handle c0000022, flush bad handle c0000008\n',
      'delete open unshared c0000043\n',
      'delete 00000000\n',
      'deleted is gone c0000034\n',
      'delete non-empty dir c0000101\n',
    ]);
  });

  it('IoCreateFile and IoCreateFileEx open and create like ZwCreateFile', () => {
    expect(lines().slice(26)).toEqual(['IoCreateFile 00000000 read 0123\n', 'IoCreateFileEx 00000000 info 2\n']);
  });
}));
