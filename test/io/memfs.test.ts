// Tests of hal/io/memfs.ts: the emulated C: drive with NT file semantics, alone or over a host folder.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DELETE, FILE_APPEND_DATA, FILE_ATTRIBUTE_ARCHIVE, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_READONLY, FILE_CREATE, FILE_CREATED,
  FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE, FILE_DOES_NOT_EXIST, FILE_EXISTS, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPENED,
  FILE_OPEN_IF, FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN, FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ,
  FILE_SHARE_WRITE, FILE_SUPERSEDE, FILE_SUPERSEDED, FILE_WRITE_TO_END_OF_FILE, GENERIC_ALL, MemFs, fsPath, mapFileAccess, nameMatches,
  type DirEntry, type OpenFile, type OpenOptions,
} from '../../hal/io/memfs.js';
import { FILE_READ_DATA, FILE_WRITE_DATA, GENERIC_READ, GENERIC_WRITE } from '../../hal/io/constants.js';
import { STATUS } from '../../hal/rtl/ntstatus.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const RW = GENERIC_READ | GENERIC_WRITE;
const SHARE_ALL = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/** A clock that ticks once per reading, so each change gets its own time. */
function ticking(start = 1000n): () => bigint {
  let t = start;
  return () => t++;
}

function opts(disposition: number, extra: Partial<OpenOptions> = {}): OpenOptions {
  return { desiredAccess: RW, shareAccess: SHARE_ALL, disposition, ...extra };
}

function mustOpen(fsys: MemFs, p: string, o: OpenOptions): OpenFile {
  const r = fsys.open(p, o);
  expect(r.status).toBe(STATUS.SUCCESS);
  return r.file as OpenFile;
}

function writeFile(fsys: MemFs, p: string, content: string, extra: Partial<OpenOptions> = {}): void {
  const f = mustOpen(fsys, p, opts(FILE_OVERWRITE_IF, extra));
  expect(f.write(bytes(content)).status).toBe(STATUS.SUCCESS);
  f.close();
}

function readAll(fsys: MemFs, p: string): string {
  const f = mustOpen(fsys, p, opts(FILE_OPEN, { desiredAccess: GENERIC_READ }));
  const r = f.read(1 << 20);
  f.close();
  return r.status === STATUS.END_OF_FILE ? '' : text(r.data);
}

function names(fsys: MemFs, dir: string, pattern?: string): string[] {
  const d = mustOpen(fsys, dir, opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA, createOptions: FILE_DIRECTORY_FILE }));
  const r = d.listDirectory(true, pattern);
  d.close();
  return r.entries.map((e) => e.name);
}

describe('paths', () => {
  it('maps the NT spellings of a C: path to the drive and its components', () => {
    expect(fsPath('\\??\\C:\\dir\\file.txt')).toEqual({ drive: 'C:', parts: ['dir', 'file.txt'] });
    expect(fsPath('\\DosDevices\\c:\\x')).toEqual({ drive: 'C:', parts: ['x'] });
    expect(fsPath('\\GLOBAL??\\C:\\x')).toEqual({ drive: 'C:', parts: ['x'] });
    expect(fsPath('\\SystemRoot\\System32\\drivers')).toEqual({ drive: 'C:', parts: ['Windows', 'System32', 'drivers'] });
    expect(fsPath('\\Device\\HarddiskVolume1\\x\\')).toEqual({ drive: 'C:', parts: ['x'] });
    expect(fsPath('\\??\\C:\\')).toEqual({ drive: 'C:', parts: [] });
    expect(fsPath('\\??\\D:\\x')).toEqual({ drive: 'D:', parts: ['x'] });
  });

  it('does not take device, pipe or drive-relative paths for file system paths', () => {
    expect(fsPath('\\Device\\NamedPipe\\x')).toBeUndefined();
    expect(fsPath('\\Device\\Foo')).toBeUndefined();
    expect(fsPath('\\Device\\HarddiskVolume10\\x')).toBeUndefined();
    expect(fsPath('\\??\\C:x')).toBeUndefined();
    expect(fsPath('\\??\\KdDevice')).toBeUndefined();
  });

  it('has C:\\Windows\\System32 from the start, and no other drive', () => {
    const fsys = new MemFs();
    expect(fsys.open('\\SystemRoot\\System32', opts(FILE_OPEN, { createOptions: FILE_DIRECTORY_FILE })).status).toBe(STATUS.SUCCESS);
    expect(names(fsys, '\\??\\C:\\')).toEqual(['Windows']);
    expect(fsys.open('\\??\\D:\\x', opts(FILE_OPEN_IF)).status).toBe(STATUS.OBJECT_PATH_NOT_FOUND);
  });

  it('rejects names with wildcards, colons, controls or empty components', () => {
    const fsys = new MemFs();
    for (const p of ['a*b', 'a?b', 'a:b', 'a<b', 'a|b', 'a"b', 'a\x01b', 'a\\\\b', '..', '.']) {
      expect(fsys.open(`\\??\\C:\\${p}`, opts(FILE_OPEN_IF)).status, p).toBe(STATUS.OBJECT_NAME_INVALID);
    }
  });

  it('finds names in any case and keeps the case they were created with', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\Read Me.TXT', 'hi');
    const r = fsys.open('\\??\\c:\\READ me.txt', opts(FILE_OPEN_IF));
    expect(r.information).toBe(FILE_OPENED);
    expect(r.file?.path).toBe('\\Read Me.TXT');
    expect(names(fsys, '\\??\\C:\\')).toEqual(['Read Me.TXT', 'Windows']);
  });
});

describe('dispositions', () => {
  it('FILE_OPEN of a missing file is OBJECT_NAME_NOT_FOUND with FILE_DOES_NOT_EXIST', () => {
    const fsys = new MemFs();
    expect(fsys.open('\\??\\C:\\nope.txt', opts(FILE_OPEN))).toEqual({ status: STATUS.OBJECT_NAME_NOT_FOUND, information: FILE_DOES_NOT_EXIST });
    expect(fsys.open('\\??\\C:\\nope.txt', opts(FILE_OVERWRITE)).status).toBe(STATUS.OBJECT_NAME_NOT_FOUND);
  });

  it('a missing or non-directory parent is OBJECT_PATH_NOT_FOUND', () => {
    const fsys = new MemFs();
    expect(fsys.open('\\??\\C:\\no\\file.txt', opts(FILE_OPEN_IF)).status).toBe(STATUS.OBJECT_PATH_NOT_FOUND);
    writeFile(fsys, '\\??\\C:\\f', 'x');
    expect(fsys.open('\\??\\C:\\f\\g', opts(FILE_OPEN_IF)).status).toBe(STATUS.OBJECT_PATH_NOT_FOUND);
  });

  it('FILE_CREATE on an existing file is a name collision', () => {
    const fsys = new MemFs();
    const first = fsys.open('\\??\\C:\\a.txt', opts(FILE_CREATE));
    expect(first.information).toBe(FILE_CREATED);
    first.file?.close();
    expect(fsys.open('\\??\\C:\\A.TXT', opts(FILE_CREATE))).toEqual({ status: STATUS.OBJECT_NAME_COLLISION, information: FILE_EXISTS });
  });

  it('FILE_OPEN_IF creates the file once and opens it after', () => {
    const fsys = new MemFs();
    const a = fsys.open('\\??\\C:\\a', opts(FILE_OPEN_IF));
    const b = fsys.open('\\??\\C:\\a', opts(FILE_OPEN_IF));
    expect([a.information, b.information]).toEqual([FILE_CREATED, FILE_OPENED]);
  });

  it('FILE_OVERWRITE_IF and FILE_SUPERSEDE empty an existing file and say so', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\a', 'content');
    const o = fsys.open('\\??\\C:\\a', opts(FILE_OVERWRITE_IF));
    expect(o.information).toBe(FILE_OVERWRITTEN);
    expect(o.file?.queryStandard().endOfFile).toBe(0n);
    o.file?.close();
    writeFile(fsys, '\\??\\C:\\a', 'again');
    const s = fsys.open('\\??\\C:\\a', opts(FILE_SUPERSEDE));
    expect(s.information).toBe(FILE_SUPERSEDED);
    expect(s.file?.queryStandard().endOfFile).toBe(0n);
    expect(fsys.open('\\??\\C:\\new', opts(FILE_SUPERSEDE)).information).toBe(FILE_CREATED);
  });

  it('a directory asked for as a file is FILE_IS_A_DIRECTORY, a file asked for as a directory NOT_A_DIRECTORY', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\f', 'x');
    expect(fsys.open('\\??\\C:\\Windows', opts(FILE_OPEN, { createOptions: FILE_NON_DIRECTORY_FILE })).status).toBe(STATUS.FILE_IS_A_DIRECTORY);
    expect(fsys.open('\\??\\C:\\f', opts(FILE_OPEN, { createOptions: FILE_DIRECTORY_FILE })).status).toBe(STATUS.NOT_A_DIRECTORY);
    expect(fsys.open('\\??\\C:\\f\\', opts(FILE_OPEN)).status).toBe(STATUS.OBJECT_NAME_INVALID);
  });

  it('a directory cannot be overwritten, nor created with an overwrite disposition', () => {
    const fsys = new MemFs();
    expect(fsys.open('\\??\\C:\\Windows', opts(FILE_OVERWRITE_IF)).status).toBe(STATUS.OBJECT_NAME_COLLISION);
    expect(fsys.open('\\??\\C:\\d', opts(FILE_OVERWRITE_IF, { createOptions: FILE_DIRECTORY_FILE })).status).toBe(STATUS.INVALID_PARAMETER);
    expect(fsys.open('\\??\\C:\\d', opts(FILE_OPEN, { createOptions: FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE })).status).toBe(STATUS.INVALID_PARAMETER);
  });

  it('FILE_DIRECTORY_FILE with FILE_CREATE makes a directory files can go in', () => {
    const fsys = new MemFs();
    const d = mustOpen(fsys, '\\??\\C:\\logs', opts(FILE_CREATE, { createOptions: FILE_DIRECTORY_FILE }));
    expect(d.directory).toBe(true);
    expect(d.queryBasic().fileAttributes).toBe(FILE_ATTRIBUTE_DIRECTORY);
    writeFile(fsys, '\\??\\C:\\logs\\1.log', 'one');
    expect(readAll(fsys, '\\??\\C:\\LOGS\\1.LOG')).toBe('one');
  });

  it('a read-only file refuses write access and overwriting but opens for reading', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\ro', 'keep', { fileAttributes: FILE_ATTRIBUTE_READONLY });
    expect(fsys.open('\\??\\C:\\ro', opts(FILE_OPEN)).status).toBe(STATUS.ACCESS_DENIED);
    expect(fsys.open('\\??\\C:\\ro', opts(FILE_OPEN, { desiredAccess: FILE_APPEND_DATA })).status).toBe(STATUS.ACCESS_DENIED);
    expect(fsys.open('\\??\\C:\\ro', opts(FILE_OVERWRITE, { desiredAccess: GENERIC_READ })).status).toBe(STATUS.ACCESS_DENIED);
    expect(readAll(fsys, '\\??\\C:\\ro')).toBe('keep');
  });
});

describe('share access', () => {
  it('maps generic rights the way the file object type does', () => {
    expect(mapFileAccess(GENERIC_READ)).toBe(0x120089);
    expect(mapFileAccess(GENERIC_WRITE)).toBe(0x120116);
    expect(mapFileAccess(GENERIC_ALL)).toBe(0x1f01ff);
  });

  it('a reader that does not share writing keeps writers out, and the other way round', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\f', 'x');
    const reader = mustOpen(fsys, '\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: FILE_SHARE_READ, disposition: FILE_OPEN });
    expect(fsys.open('\\??\\C:\\f', { desiredAccess: GENERIC_WRITE, shareAccess: SHARE_ALL, disposition: FILE_OPEN }).status).toBe(STATUS.SHARING_VIOLATION);
    // A second reader sharing read is fine; one not sharing read is not (the first one reads).
    mustOpen(fsys, '\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: FILE_SHARE_READ, disposition: FILE_OPEN }).close();
    expect(fsys.open('\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: 0, disposition: FILE_OPEN }).status).toBe(STATUS.SHARING_VIOLATION);
    reader.close();
    const writer = mustOpen(fsys, '\\??\\C:\\f', { desiredAccess: GENERIC_WRITE, shareAccess: FILE_SHARE_WRITE, disposition: FILE_OPEN });
    expect(fsys.open('\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: SHARE_ALL, disposition: FILE_OPEN }).status).toBe(STATUS.SHARING_VIOLATION);
    writer.close();
    expect(fsys.open('\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: 0, disposition: FILE_OPEN }).status).toBe(STATUS.SUCCESS);
  });

  it('an exclusive open does not stop opens for attributes only', () => {
    const fsys = new MemFs();
    const f = mustOpen(fsys, '\\??\\C:\\f', { desiredAccess: RW, shareAccess: 0, disposition: FILE_CREATE });
    expect(fsys.open('\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: SHARE_ALL, disposition: FILE_OPEN }).status).toBe(STATUS.SHARING_VIOLATION);
    const attrs = fsys.open('\\??\\C:\\f', { desiredAccess: FILE_READ_ATTRIBUTES, shareAccess: 0, disposition: FILE_OPEN });
    expect(attrs.status).toBe(STATUS.SUCCESS);
    f.close();
  });

  it('delete access needs the other opens to share delete', () => {
    const fsys = new MemFs();
    const f = mustOpen(fsys, '\\??\\C:\\f', { desiredAccess: GENERIC_READ, shareAccess: FILE_SHARE_READ | FILE_SHARE_WRITE, disposition: FILE_CREATE });
    expect(fsys.open('\\??\\C:\\f', { desiredAccess: DELETE, shareAccess: SHARE_ALL, disposition: FILE_OPEN }).status).toBe(STATUS.SHARING_VIOLATION);
    f.close();
  });
});

describe('reading and writing', () => {
  let fsys: MemFs;
  beforeEach(() => {
    fsys = new MemFs();
  });

  it('a read at or after the end is END_OF_FILE unless it asks for no bytes', () => {
    writeFile(fsys, '\\??\\C:\\f', 'abc');
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_OPEN));
    expect(f.read(10, 3n)).toEqual({ status: STATUS.END_OF_FILE, data: new Uint8Array() });
    expect(f.read(10, 100n).status).toBe(STATUS.END_OF_FILE);
    expect(f.read(0, 3n)).toEqual({ status: STATUS.SUCCESS, data: new Uint8Array() });
    expect(text(f.read(10, 1n).data)).toBe('bc'); // a read across the end returns what there is
  });

  it('reads and writes without an offset go from the current position, which they move', () => {
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_CREATE));
    f.write(bytes('hello '));
    f.write(bytes('world'));
    expect(f.position).toBe(11n);
    f.position = 0n;
    expect(text(f.read(5).data)).toBe('hello');
    expect(text(f.read(100).data)).toBe(' world');
    expect(f.read(1).status).toBe(STATUS.END_OF_FILE);
  });

  it('a write past the end extends the file with zeros in between', () => {
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_CREATE));
    expect(f.write(bytes('ab'), 4n)).toEqual({ status: STATUS.SUCCESS, information: 2 });
    expect([...f.read(6, 0n).data]).toEqual([0, 0, 0, 0, 0x61, 0x62]);
    expect(f.queryStandard()).toEqual({ allocationSize: 4096n, endOfFile: 6n, numberOfLinks: 1, deletePending: false, directory: false });
  });

  it('FILE_WRITE_TO_END_OF_FILE appends, and so does every write of an append-only handle', () => {
    writeFile(fsys, '\\??\\C:\\log', 'a');
    const f = mustOpen(fsys, '\\??\\C:\\log', opts(FILE_OPEN));
    f.write(bytes('b'), FILE_WRITE_TO_END_OF_FILE);
    f.write(bytes('c'), 0xffffffffffffffffn); // the same LARGE_INTEGER read as unsigned
    f.close();
    const append = mustOpen(fsys, '\\??\\C:\\log', opts(FILE_OPEN, { desiredAccess: FILE_APPEND_DATA }));
    append.write(bytes('d'), 0n);
    append.close();
    expect(readAll(fsys, '\\??\\C:\\log')).toBe('abcd');
  });

  it('overwriting the middle keeps the rest', () => {
    writeFile(fsys, '\\??\\C:\\f', 'abcdef');
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_OPEN));
    f.write(bytes('XY'), 2n);
    expect(text(f.read(100, 0n).data)).toBe('abXYef');
  });

  it('reading needs read access and writing needs write or append access', () => {
    writeFile(fsys, '\\??\\C:\\f', 'abc');
    const w = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_OPEN, { desiredAccess: FILE_WRITE_DATA }));
    expect(w.read(1, 0n).status).toBe(STATUS.ACCESS_DENIED);
    const r = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA }));
    expect(r.write(bytes('z'), 0n).status).toBe(STATUS.ACCESS_DENIED);
    expect(r.setEndOfFile(0n)).toBe(STATUS.ACCESS_DENIED);
  });

  it('a directory handle cannot be read or written, and a closed handle not used', () => {
    const d = mustOpen(fsys, '\\??\\C:\\Windows', opts(FILE_OPEN));
    expect(d.read(1).status).toBe(STATUS.INVALID_DEVICE_REQUEST);
    expect(d.write(bytes('x')).status).toBe(STATUS.INVALID_DEVICE_REQUEST);
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_CREATE));
    f.close();
    expect(f.read(1).status).toBe(STATUS.FILE_CLOSED);
  });

  it('setEndOfFile truncates, and extending again brings zeros, not the old bytes', () => {
    writeFile(fsys, '\\??\\C:\\f', 'abcdef');
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_OPEN));
    expect(f.setEndOfFile(2n)).toBe(STATUS.SUCCESS);
    expect(f.setEndOfFile(4n)).toBe(STATUS.SUCCESS);
    expect([...f.read(10, 0n).data]).toEqual([0x61, 0x62, 0, 0]);
  });

  it('times come from the given clock: creation stays, writes move write and change times', () => {
    const clock = ticking(500n);
    const fsys = new MemFs({ now: clock });
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_CREATE));
    const created = f.queryBasic();
    expect(created.creationTime).toBeGreaterThanOrEqual(500n);
    expect(created.fileAttributes).toBe(FILE_ATTRIBUTE_ARCHIVE);
    f.write(bytes('x'));
    const written = f.queryBasic();
    expect(written.creationTime).toBe(created.creationTime);
    expect(written.lastWriteTime).toBeGreaterThan(created.lastWriteTime);
    expect(written.changeTime).toBe(written.lastWriteTime);
  });

  it('is deterministic: the same operations give the same times, ids and tree', () => {
    const run = () => {
      const fsys = new MemFs({ now: ticking() });
      writeFile(fsys, '\\??\\C:\\b', 'bb');
      writeFile(fsys, '\\??\\C:\\a', 'a');
      const f = mustOpen(fsys, '\\??\\C:\\a', opts(FILE_OPEN));
      return { basic: f.queryBasic(), id: f.fileId, tree: fsys.snapshot() };
    };
    expect(run()).toEqual(run());
  });
});

describe('directories', () => {
  function populate(): MemFs {
    const fsys = new MemFs();
    mustOpen(fsys, '\\??\\C:\\d', opts(FILE_CREATE, { createOptions: FILE_DIRECTORY_FILE })).close();
    for (const n of ['b.txt', 'A.txt', 'c.sys', 'B2.TXT', 'readme']) writeFile(fsys, `\\??\\C:\\d\\${n}`, n);
    mustOpen(fsys, '\\??\\C:\\d\\sub', opts(FILE_CREATE, { createOptions: FILE_DIRECTORY_FILE })).close();
    return fsys;
  }

  it('lists "." and ".." first, then the names in case-insensitive order', () => {
    expect(names(populate(), '\\??\\C:\\d')).toEqual(['.', '..', 'A.txt', 'b.txt', 'B2.TXT', 'c.sys', 'readme', 'sub']);
  });

  it('the root has no "." or ".."', () => {
    expect(names(populate(), '\\??\\C:\\')).toEqual(['d', 'Windows']);
  });

  it('matches * and ? case-insensitively', () => {
    const fsys = populate();
    expect(names(fsys, '\\??\\C:\\d', '*.TXT')).toEqual(['A.txt', 'b.txt', 'B2.TXT']);
    expect(names(fsys, '\\??\\C:\\d', '?.txt')).toEqual(['A.txt', 'b.txt']);
    expect(names(fsys, '\\??\\C:\\d', 'READ*')).toEqual(['readme']);
    expect(names(fsys, '\\??\\C:\\d', 'c.sys')).toEqual(['c.sys']);
  });

  it('matches the DOS wildcards as FsRtlIsNameInExpression does', () => {
    expect(nameMatches('<.txt', 'a.b.txt')).toBe(true);
    expect(nameMatches('<', 'a.b')).toBe(false); // DOS_STAR stops at the last dot
    expect(nameMatches('<"<', 'a.b')).toBe(true);
    expect(nameMatches('a>>', 'a')).toBe(true); // DOS_QM matches nothing at the end
    expect(nameMatches('a>>.txt', 'a.txt')).toBe(true);
    expect(nameMatches('file"', 'file')).toBe(true);
    expect(nameMatches('*', '')).toBe(true);
    expect(nameMatches('a*b*c', 'AxxBxxC')).toBe(true);
    expect(nameMatches('a*b*c', 'axxbxx')).toBe(false);
  });

  it('returns entries batch by batch as the caller\'s buffer takes them, the pattern of the first call sticking', () => {
    const fsys = populate();
    const d = mustOpen(fsys, '\\??\\C:\\d', opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA }));
    const two = (_: DirEntry, taken: number) => taken < 2;
    expect(d.listDirectory(false, '*.txt', two).entries.map((e) => e.name)).toEqual(['A.txt', 'b.txt']);
    expect(d.listDirectory(false, 'ignored', two).entries.map((e) => e.name)).toEqual(['B2.TXT']);
    expect(d.listDirectory(false, undefined, two)).toEqual({ status: STATUS.NO_MORE_FILES, entries: [] });
    expect(d.listDirectory(false, undefined, two).status).toBe(STATUS.NO_MORE_FILES);
    expect(d.listDirectory(true, undefined, two).entries.map((e) => e.name)).toEqual(['A.txt', 'b.txt']);
    expect(d.listDirectory(true, 'c*', two).entries.map((e) => e.name)).toEqual(['c.sys']);
  });

  it('an entry the buffer cannot take comes first in the next batch', () => {
    const fsys = populate();
    const d = mustOpen(fsys, '\\??\\C:\\d', opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA }));
    expect(d.listDirectory(false, '*.txt', () => false)).toEqual({ status: STATUS.SUCCESS, entries: [] });
    expect(d.listDirectory(false, undefined, (_, n) => n === 0).entries.map((e) => e.name)).toEqual(['A.txt']);
  });

  it('a pattern nothing matches is NO_SUCH_FILE, then NO_MORE_FILES', () => {
    const fsys = populate();
    const d = mustOpen(fsys, '\\??\\C:\\d', opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA }));
    expect(d.listDirectory(false, '*.dll')).toEqual({ status: STATUS.NO_SUCH_FILE, entries: [] });
    expect(d.listDirectory(false).status).toBe(STATUS.NO_MORE_FILES);
  });

  it('listing reports sizes, attributes and the directory flag; a file handle cannot be listed', () => {
    const fsys = populate();
    const d = mustOpen(fsys, '\\??\\C:\\d', opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA }));
    const entries = d.listDirectory(false, 'A.txt').entries;
    expect(entries).toMatchObject([{ name: 'A.txt', endOfFile: 5n, allocationSize: 4096n, directory: false, fileAttributes: FILE_ATTRIBUTE_ARCHIVE }]);
    expect(d.listDirectory(true, 'sub').entries[0]).toMatchObject({ directory: true, fileAttributes: FILE_ATTRIBUTE_DIRECTORY, endOfFile: 0n });
    const f = mustOpen(fsys, '\\??\\C:\\d\\readme', opts(FILE_OPEN));
    expect(f.listDirectory(false).status).toBe(STATUS.INVALID_PARAMETER);
  });

  it('entries created during an enumeration after the cursor show up, in their place', () => {
    const fsys = populate();
    const d = mustOpen(fsys, '\\??\\C:\\d', opts(FILE_OPEN, { desiredAccess: FILE_READ_DATA }));
    expect(d.listDirectory(false, '*.txt', (_, n) => n < 1).entries.map((e) => e.name)).toEqual(['A.txt']);
    writeFile(fsys, '\\??\\C:\\d\\b1.txt', 'new');
    writeFile(fsys, '\\??\\C:\\d\\0.txt', 'before the cursor');
    expect(d.listDirectory(false).entries.map((e) => e.name)).toEqual(['b.txt', 'b1.txt', 'B2.TXT']);
  });
});

describe('deleting', () => {
  it('FILE_DELETE_ON_CLOSE deletes the file when its last handle closes, refusing new opens meanwhile', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\tmp', 'x');
    const other = mustOpen(fsys, '\\??\\C:\\tmp', opts(FILE_OPEN, { desiredAccess: GENERIC_READ }));
    const del = mustOpen(fsys, '\\??\\C:\\tmp', opts(FILE_OPEN, { desiredAccess: DELETE, createOptions: FILE_DELETE_ON_CLOSE }));
    del.close();
    expect(other.queryStandard().deletePending).toBe(true);
    expect(fsys.open('\\??\\C:\\tmp', opts(FILE_OPEN)).status).toBe(STATUS.DELETE_PENDING);
    other.close();
    expect(fsys.open('\\??\\C:\\tmp', opts(FILE_OPEN)).status).toBe(STATUS.OBJECT_NAME_NOT_FOUND);
    expect(fsys.memoryUsed).toBe(0);
  });

  it('FILE_DELETE_ON_CLOSE without DELETE access is an invalid parameter', () => {
    const fsys = new MemFs();
    expect(fsys.open('\\??\\C:\\tmp', opts(FILE_CREATE, { createOptions: FILE_DELETE_ON_CLOSE })).status).toBe(STATUS.INVALID_PARAMETER);
  });

  it('setDisposition on a non-empty directory is DIRECTORY_NOT_EMPTY; on an empty one it deletes at close', () => {
    const fsys = new MemFs();
    const d = mustOpen(fsys, '\\??\\C:\\d', opts(FILE_CREATE, { desiredAccess: DELETE | FILE_READ_DATA, createOptions: FILE_DIRECTORY_FILE }));
    writeFile(fsys, '\\??\\C:\\d\\f', 'x');
    expect(d.setDisposition(true)).toBe(STATUS.DIRECTORY_NOT_EMPTY);
    const f = mustOpen(fsys, '\\??\\C:\\d\\f', opts(FILE_OPEN, { desiredAccess: DELETE }));
    expect(f.setDisposition(true)).toBe(STATUS.SUCCESS);
    f.close();
    expect(d.setDisposition(true)).toBe(STATUS.SUCCESS);
    d.close();
    expect(names(fsys, '\\??\\C:\\')).toEqual(['Windows']);
  });

  it('setDisposition(false) takes the deletion back; it needs DELETE access', () => {
    const fsys = new MemFs();
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_CREATE, { desiredAccess: GENERIC_ALL }));
    expect(f.setDisposition(true)).toBe(STATUS.SUCCESS);
    expect(f.setDisposition(false)).toBe(STATUS.SUCCESS);
    f.close();
    expect(fsys.open('\\??\\C:\\f', opts(FILE_OPEN)).status).toBe(STATUS.SUCCESS);
    const r = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_OPEN, { desiredAccess: GENERIC_READ }));
    expect(r.setDisposition(true)).toBe(STATUS.ACCESS_DENIED);
  });

  it('a read-only file cannot be deleted', () => {
    const fsys = new MemFs();
    writeFile(fsys, '\\??\\C:\\ro', 'x', { fileAttributes: FILE_ATTRIBUTE_READONLY });
    expect(fsys.open('\\??\\C:\\ro', opts(FILE_OPEN, { desiredAccess: DELETE, createOptions: FILE_DELETE_ON_CLOSE })).status).toBe(STATUS.CANNOT_DELETE);
    const f = mustOpen(fsys, '\\??\\C:\\ro', opts(FILE_OPEN, { desiredAccess: DELETE }));
    expect(f.setDisposition(true)).toBe(STATUS.CANNOT_DELETE);
  });
});

describe('memory cap', () => {
  it('a write beyond the cap is DISK_FULL and changes nothing; deleting frees the space', () => {
    const fsys = new MemFs({ memoryLimit: 1000 });
    const f = mustOpen(fsys, '\\??\\C:\\big', opts(FILE_CREATE, { desiredAccess: GENERIC_ALL }));
    expect(f.write(new Uint8Array(600)).status).toBe(STATUS.SUCCESS);
    const g = mustOpen(fsys, '\\??\\C:\\big2', opts(FILE_CREATE));
    expect(g.write(new Uint8Array(401))).toEqual({ status: STATUS.DISK_FULL, information: 0 });
    expect(g.queryStandard().endOfFile).toBe(0n);
    expect(g.write(new Uint8Array(1), 1n << 40n).status).toBe(STATUS.DISK_FULL);
    expect(g.setEndOfFile(401n)).toBe(STATUS.DISK_FULL);
    expect(g.write(new Uint8Array(400)).status).toBe(STATUS.SUCCESS);
    expect(fsys.memoryUsed).toBe(1000);
    f.setDisposition(true);
    f.close();
    expect(g.write(new Uint8Array(600)).status).toBe(STATUS.SUCCESS);
  });

  it('rewriting bytes a file already has needs no new room', () => {
    const fsys = new MemFs({ memoryLimit: 10 });
    const f = mustOpen(fsys, '\\??\\C:\\f', opts(FILE_CREATE));
    expect(f.write(new Uint8Array(10)).status).toBe(STATUS.SUCCESS);
    expect(f.write(bytes('abc'), 0n).status).toBe(STATUS.SUCCESS);
    expect(f.write(bytes('x')).status).toBe(STATUS.SUCCESS); // at the position (3): inside the file
    expect(f.write(bytes('x'), FILE_WRITE_TO_END_OF_FILE).status).toBe(STATUS.DISK_FULL);
  });
});

describe('host folder', () => {
  let dir: string;
  let outside: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdemu-memfs-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'kdemu-memfs-outside-'));
    fs.writeFileSync(path.join(dir, 'config.ini'), 'key=value\n');
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'Blob.bin'), Buffer.from([1, 2, 3]));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'do not read');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('shows the host files under C:\\ alongside Windows', () => {
    const fsys = new MemFs({ hostDir: dir });
    expect(names(fsys, '\\??\\C:\\')).toEqual(['config.ini', 'data', 'Windows']);
    expect(readAll(fsys, '\\??\\C:\\CONFIG.INI')).toBe('key=value\n');
    const f = mustOpen(fsys, '\\Device\\HarddiskVolume1\\data\\blob.bin', opts(FILE_OPEN));
    expect([...f.read(10, 0n).data]).toEqual([1, 2, 3]);
  });

  it('a write goes to the in-memory copy and leaves the host file as it was', () => {
    const fsys = new MemFs({ hostDir: dir });
    const f = mustOpen(fsys, '\\??\\C:\\config.ini', opts(FILE_OPEN));
    f.write(bytes('KEY'), 0n);
    f.close();
    writeFile(fsys, '\\??\\C:\\data\\new.txt', 'new');
    expect(readAll(fsys, '\\??\\C:\\config.ini')).toBe('KEY=value\n');
    expect(fs.readFileSync(path.join(dir, 'config.ini'), 'utf8')).toBe('key=value\n');
    expect(fs.readdirSync(path.join(dir, 'data'))).toEqual(['Blob.bin']);
  });

  it('deleting or overwriting a host file does not touch the host', () => {
    const fsys = new MemFs({ hostDir: dir });
    const f = mustOpen(fsys, '\\??\\C:\\config.ini', opts(FILE_OPEN, { desiredAccess: DELETE, createOptions: FILE_DELETE_ON_CLOSE }));
    f.close();
    expect(fsys.open('\\??\\C:\\config.ini', opts(FILE_OPEN)).status).toBe(STATUS.OBJECT_NAME_NOT_FOUND);
    const o = fsys.open('\\??\\C:\\data\\blob.bin', opts(FILE_OVERWRITE));
    expect(o.information).toBe(FILE_OVERWRITTEN);
    expect(fs.readFileSync(path.join(dir, 'config.ini'), 'utf8')).toBe('key=value\n');
    expect(fs.readFileSync(path.join(dir, 'data', 'Blob.bin'))).toEqual(Buffer.from([1, 2, 3]));
  });

  it('reads host files lazily: a file changed on the host before its first open is seen as changed', () => {
    const fsys = new MemFs({ hostDir: dir });
    expect(names(fsys, '\\??\\C:\\data')).toEqual(['.', '..', 'Blob.bin']);
    fs.writeFileSync(path.join(dir, 'data', 'Blob.bin'), 'later');
    expect(readAll(fsys, '\\??\\C:\\data\\Blob.bin')).toBe('later');
  });

  it('a host symlink leading out of the folder does not exist for the guest', () => {
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'escape.txt'));
    fs.symlinkSync(outside, path.join(dir, 'escapedir'));
    fs.symlinkSync(path.join(dir, 'config.ini'), path.join(dir, 'inside.ini'));
    const fsys = new MemFs({ hostDir: dir });
    expect(fsys.open('\\??\\C:\\escape.txt', opts(FILE_OPEN)).status).toBe(STATUS.OBJECT_NAME_NOT_FOUND);
    expect(fsys.open('\\??\\C:\\escapedir\\secret.txt', opts(FILE_OPEN)).status).toBe(STATUS.OBJECT_PATH_NOT_FOUND);
    expect(names(fsys, '\\??\\C:\\')).toEqual(['config.ini', 'data', 'inside.ini', 'Windows']);
    expect(readAll(fsys, '\\??\\C:\\inside.ini')).toBe('key=value\n'); // a link that stays inside is followed
  });

  it('a host file over the per-file cap is FILE_TOO_LARGE, one over the memory cap INSUFFICIENT_RESOURCES', () => {
    const small = new MemFs({ hostDir: dir, hostFileLimit: 5 });
    expect(small.open('\\??\\C:\\config.ini', opts(FILE_OPEN)).status).toBe(STATUS.FILE_TOO_LARGE);
    expect(small.open('\\??\\C:\\data\\Blob.bin', opts(FILE_OPEN)).status).toBe(STATUS.SUCCESS);
    const tight = new MemFs({ hostDir: dir, memoryLimit: 5 });
    expect(tight.open('\\??\\C:\\config.ini', opts(FILE_OPEN)).status).toBe(STATUS.INSUFFICIENT_RESOURCES);
    // Overwriting does not need the old content, so it fits.
    expect(tight.open('\\??\\C:\\config.ini', opts(FILE_OVERWRITE)).status).toBe(STATUS.SUCCESS);
  });

  it('readHost replaces the reading of a host file\'s content, and the guest writes to a copy', () => {
    const seen: string[] = [];
    const supplied = bytes('supplied');
    const fsys = new MemFs({ hostDir: dir, readHost: (rel) => (seen.push(rel), supplied) });
    const f = mustOpen(fsys, '\\??\\C:\\data\\blob.bin', opts(FILE_OPEN));
    expect(text(f.read(100, 0n).data)).toBe('supplied');
    f.write(bytes('S'), 0n);
    expect(seen).toEqual(['data/Blob.bin']);
    expect(text(supplied)).toBe('supplied');
  });

  it('a host folder named like a built-in directory merges into it', () => {
    fs.mkdirSync(path.join(dir, 'WINDOWS', 'system32'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'WINDOWS', 'system32', 'hosts'), '127.0.0.1 localhost');
    const fsys = new MemFs({ hostDir: dir });
    expect(readAll(fsys, '\\SystemRoot\\System32\\hosts')).toBe('127.0.0.1 localhost');
    expect(names(fsys, '\\SystemRoot')).toEqual(['.', '..', 'System32']);
  });

  it('the snapshot lists what the run saw, with sizes and where it came from', () => {
    const fsys = new MemFs({ hostDir: dir });
    readAll(fsys, '\\??\\C:\\config.ini');
    writeFile(fsys, '\\??\\C:\\out.log', 'abc');
    expect(fsys.snapshot()).toEqual([
      { path: 'C:\\config.ini', directory: false, size: 10, host: true, modified: false },
      { path: 'C:\\data', directory: true, size: 0, host: true, modified: false }, // not listed yet: its files are left out
      { path: 'C:\\out.log', directory: false, size: 3, host: false, modified: true },
      { path: 'C:\\Windows', directory: true, size: 0, host: false, modified: false },
      { path: 'C:\\Windows\\System32', directory: true, size: 0, host: false, modified: false },
    ]);
  });

  it('a missing host folder is an error at construction', () => {
    expect(() => new MemFs({ hostDir: path.join(dir, 'missing') })).toThrow(/host folder/);
  });
});
