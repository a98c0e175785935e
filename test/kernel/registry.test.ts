// The registry as drivers see it: their service key, the keys of a fresh Windows 10 installation, the Zw key and
// value services with Windows' buffer rules, the Rtl helpers, the trace of every access, and --registry files.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { cli, cliJson, run } from './harness.js';
import { RegFileError, decodeRegFile, parseRegFile } from '../../hal/cm/regfile.js';
import { REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ } from '../../hal/cm/hive.js';

const REG_FILE = `Windows Registry Editor Version 5.00

; the driver's parameters, as an installer would leave them
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\registry\\Parameters]
"Level"=dword:00000007
"Name"="from a .reg file"
"Paths"=hex(7):61,00,00,00,62,00,00,00,00,00
`;

function regFile(text: string, utf16 = false): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-reg-'));
  const file = path.join(dir, 'preload.reg');
  writeFileSync(file, utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\n/g, '\r\n'), 'utf16le')]) : text);
  return file;
}

describe.each(ARCHES)('%s', (arch) => {
  const lines = (options = {}) => {
    const { report, trace } = run(buildDriver('registry', arch), [], options);
    expect(report.outcome).toBe('completed');
    return { lines: report.dbgPrint.map((l) => l.replace(/\n$/, '')), trace };
  };

  it("DriverEntry's RegistryPath is the driver's service key with the values the service control manager writes", () => {
    expect(lines().lines.slice(0, 5)).toEqual([
      'service key \\Registry\\Machine\\System\\CurrentControlSet\\Services\\registry: 00000000',
      'Type: type 4 length 4 value 1 (result 16)',
      'Start: type 4 length 4 value 3 (result 16)',
      'ErrorControl: type 4 length 4 value 1 (result 16)',
      'ImagePath: type 2 [\\SystemRoot\\System32\\drivers\\registry.sys]',
    ]);
  });

  it('the installation has Select\\Current, CurrentControlSet as a link to ControlSet001, ProductOptions and the version keys', () => {
    const l = lines().lines;
    expect(l.slice(5, 16)).toEqual([
      'Select: 00000000',
      'Current: type 4 length 4 value 1 (result 16)',
      'CurrentControlSet\\Control: 00000000',
      'KeyNameInformation: 00000000 96 [\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Control]',
      'relative ProductOptions: 00000000',
      'ProductType: type 1 [WinNT]',
      'CurrentBuildNumber: type 1 [19045]',
      'CurrentMajorVersionNumber: type 4 length 4 value 10 (result 16)',
      // A key nobody created, and a name that is neither absolute nor relative to a handle.
      'missing key: c0000034',
      'relative name without root: c000003b',
      'create: 00000000 disposition 1',
    ]);
  });

  it('ZwQueryValueKey: too small for the fixed part, room for the fixed part only, full and basic classes', () => {
    const l = lines().lines;
    expect(l.slice(16, 23)).toEqual([
      'create again: 00000000 disposition 2',
      'set Number: 00000000',
      // KEY_VALUE_PARTIAL_INFORMATION of "hello": 12 fixed bytes + 12 data bytes.
      'partial 8: c0000023 needs 24',
      'partial 16: 80000005 needs 24 type 1 length 12',
      // Full: 20 fixed + "Text" (8) → data at 28.
      'full: 00000000 40 type 1 offset 28 length 12 name 8 [hello]',
      'basic: 00000000 20 name length 8',
      'absent value: c0000034',
    ]);
  });

  it('values enumerate in the order they were set, subkeys by name; ZwQueryKey counts them; deletes follow Windows', () => {
    const l = lines().lines;
    expect(l.slice(23, 39)).toEqual([
      'value 0: Number type 4',
      'value 1: Text type 1',
      'value 2: List type 7',
      'enumerate values end: 8000001a',
      'subkey 0: Alpha',
      'subkey 1: beta',
      'enumerate keys end: 8000001a',
      'full key: 00000000 subkeys 2 values 3 max value name 12 max data 18 class 18 at 44',
      'delete parent: c0000121',
      'delete leaf: 00000000',
      'set on deleted: c000017c',
      'delete value: 00000000 again: c0000034',
      // RtlQueryRegistryValues: DIRECT into a ULONG, and a missing value's default.
      'RtlQueryRegistryValues direct: 00000000 current 1 missing 42',
      // A DIRECT string into a UNICODE_STRING without a buffer: allocated for the caller (freed with RtlFreeUnicodeString).
      'direct string: 00000000 [WinNT] length 10 max 12',
      'required missing: c0000034',
      'RtlWriteRegistryValue: 00000000',
    ]);
  });

  it('RtlQueryRegistryValues calls the routine per value and per string of a REG_MULTI_SZ; the Rtl key helpers', () => {
    const entry = arch === 'x64' ? '0000000000001234' : '00001234';
    expect(lines().lines.slice(39)).toEqual([
      `routine Text type 1 length 12 [hello] entry ${entry}`,
      `routine List type 1 length 8 [one] entry ${entry}`,
      `routine List type 1 length 8 [two] entry ${entry}`,
      'routine Written type 4 length 4 42',
      'enumerate all: 00000000 calls 4',
      'check key: 00000000 missing: c0000034',
      // Only the last component is created: a missing parent is STATUS_OBJECT_NAME_NOT_FOUND.
      'create key: 00000000 nested: c0000034',
      'delete value: 00000000',
      // No Parameters key on a fresh installation.
      'Parameters: c0000034 calls 0 level 0',
      'IoOpenDeviceRegistryKey: c0000010 bad type: c000000d',
    ]);
  });

  it('every registry access is a trace event with the key, the value and the status', () => {
    const { trace } = lines();
    const reg = trace.filter((e) => e.type === 'registry');
    expect(reg[0]).toMatchObject({ type: 'registry', op: 'open', key: '\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\registry', status: '0x00000000' });
    expect(reg).toContainEqual(expect.objectContaining({ op: 'query', key: '\\REGISTRY\\MACHINE\\SYSTEM\\Select', value: 'Current', data: 'REG_DWORD 0x1', status: '0x00000000' }));
    expect(reg).toContainEqual(expect.objectContaining({ op: 'open', key: '\\Registry\\Machine\\Software\\NoSuchVendor\\Parameters', status: '0xC0000034' }));
    expect(reg).toContainEqual(expect.objectContaining({ op: 'set', key: '\\REGISTRY\\MACHINE\\SOFTWARE\\KdemuTest', value: 'Text', data: 'REG_SZ "hello"' }));
    expect(reg).toContainEqual(expect.objectContaining({ op: 'delete-key', status: '0xC0000121' }));
  });

  it('registry callbacks see pre- and post-notifications, can veto an operation or do it themselves', () => {
    const { report } = run(buildDriver('regcb', arch));
    expect(report.outcome).toBe('completed');
    const ctx = arch === 'x64' ? '0000000000005A5A' : '00005A5A';
    expect(report.dbgPrint.map((l) => l.replace(/\n$/, ''))).toEqual([
      'register: 00000000',
      `pre-open \\Registry\\Machine\\SYSTEM\\Select context ${ctx}`,
      // CmCallbackGetKeyObjectID names the key the open produced.
      'post-open 00000000 \\REGISTRY\\MACHINE\\SYSTEM\\Select',
      'open: 00000000',
      'pre-query Current in \\REGISTRY\\MACHINE\\SYSTEM\\Select class 2',
      'post-query 00000000',
      'query Current: 00000000',
      // A failure from the pre-notification is the caller's status, and no post-notification follows.
      'pre-query Deny in \\REGISTRY\\MACHINE\\SYSTEM\\Select class 2',
      'query Deny: c0000022',
      // STATUS_CALLBACK_BYPASS: the caller gets STATUS_SUCCESS and the configuration manager does nothing.
      'pre-set Bypass type 4 size 4',
      'set Bypass: 00000000',
      'pre-query Bypass in \\REGISTRY\\MACHINE\\SYSTEM\\Select class 2',
      'post-query c0000034',
      'query Bypass: c0000034',
      'unregister: 00000000 calls 8',
      'open after: 00000000 calls 8',
    ]);
    expect(report.unload.leaks).toEqual([]);
  });

  it('--registry preloads values the driver then reads (a UTF-16 file with a BOM, as regedit writes)', () => {
    const driver = buildDriver('registry', arch);
    const r = cliJson(['run', driver.path, '--registry', regFile(REG_FILE, true)]);
    expect(r.status).toBe(0);
    // The SUBKEY entry's routine sees every value of Parameters (a REG_MULTI_SZ string by string), then Level.
    expect(r.json.dbgPrint.slice(-6, -1).map((l) => l.replace(/\n$/, ''))).toEqual([
      'routine Level type 4 length 4 7',
      'routine Name type 1 length 34 [from a .reg file] entry 00000000'.replace('00000000', arch === 'x64' ? '0000000000000000' : '00000000'),
      `routine Paths type 1 length 4 [a] entry ${arch === 'x64' ? '0000000000000000' : '00000000'}`,
      `routine Paths type 1 length 4 [b] entry ${arch === 'x64' ? '0000000000000000' : '00000000'}`,
      'Parameters: 00000000 calls 4 level 7',
    ]);
  });
});

describe('.reg files', () => {
  it('read keys, deletions, strings with escapes, dword, hex, hex(N) with continuation lines, and value deletions', () => {
    const edits = parseRegFile(`REGEDIT4

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor]
@="default"
"Quote"="say \\"hi\\" C:\\\\dir"
"N"=dword:0000ffff
"Bin"=hex:01,02,\\
  03
"Exp"=hex(2):25,00,00,00
"Multi"=hex(7):61,00,00,00,00,00
"Q"=hex(b):01,00,00,00,00,00,00,00
"Gone"=-
[-HKEY_CURRENT_USER\\Software\\Old]
`);
    expect(edits).toEqual([
      { op: 'key', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor' },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: '', type: REG_SZ, data: Uint8Array.from(Buffer.from('default\0', 'utf16le')) },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'Quote', type: REG_SZ, data: Uint8Array.from(Buffer.from('say "hi" C:\\dir\0', 'utf16le')) },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'N', type: REG_DWORD, data: Uint8Array.from([0xff, 0xff, 0, 0]) },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'Bin', type: REG_BINARY, data: Uint8Array.from([1, 2, 3]) },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'Exp', type: REG_EXPAND_SZ, data: Uint8Array.from([0x25, 0, 0, 0]) },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'Multi', type: REG_MULTI_SZ, data: Uint8Array.from([0x61, 0, 0, 0, 0, 0]) },
      { op: 'value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'Q', type: REG_QWORD, data: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]) },
      { op: 'delete-value', path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', name: 'Gone' },
      { op: 'delete-key', path: '\\REGISTRY\\USER\\.DEFAULT\\Software\\Old' },
    ]);
    expect(decodeRegFile(Uint8Array.from([0xff, 0xfe, ...Buffer.from('REGEDIT4', 'utf16le')]))).toBe('REGEDIT4');
  });

  it('name the line of a malformed entry', () => {
    expect(() => parseRegFile('hello')).toThrow(new RegFileError('line 1: a .reg file starts with "Windows Registry Editor Version 5.00" or "REGEDIT4"'));
    expect(() => parseRegFile('REGEDIT4\n"x"=dword:1')).toThrow(new RegFileError('line 2: a value outside any [key]'));
    expect(() => parseRegFile('REGEDIT4\n[HKEY_NOWHERE\\X]')).toThrow(/line 2: \[HKEY_NOWHERE\\X\] does not start with a root key/);
    expect(() => parseRegFile('REGEDIT4\n[HKLM\\X]\n"x"=word:1')).toThrow(/line 3: 'word:1' is not a \.reg value/);
    expect(() => parseRegFile('REGEDIT4\n[HKLM\\X]\n"x"=hex:zz')).toThrow(/line 3: 'zz' is not a hex byte/);
  });

  it('a malformed or missing --registry file is bad input: exit 2 and one line naming it', () => {
    const driver = buildDriver('registry', 'x64');
    const bad = cli(['run', driver.path, '--registry', regFile('REGEDIT4\n[HKLM\\X]\n"x"=nonsense\n')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--registry: .*preload\.reg: line 3: 'nonsense' is not a \.reg value/);
    const missing = cli(['run', driver.path, '--registry', '/nonexistent/file.reg']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--registry: cannot read \/nonexistent\/file\.reg: ENOENT/);
  });
});
