// WDFKEY: the driver's Parameters key, typed queries with the framework's type and buffer checks, the Assign
// entries, value and key removal, relative and absolute keys, the registry trace, and a handle of the wrong type.

import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from '../kernel/harness.js';
import { enginesHere } from '../helpers.js';
import { parseRegFile } from '../../hal/cm/regfile.js';

const PRELOAD = parseRegFile(`Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\kmdf_registry\\Parameters]
"Level"=dword:00000007
"Name"="from a .reg file"
"Paths"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00
"Blob"=hex:de,ad,be,ef,01
`);

const engines = enginesHere('KMDF registry');

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    let memo: ReturnType<typeof run> | undefined;
    const result = () => (memo ??= run(buildDriver('kmdf_registry', arch), [], { engine, registry: PRELOAD }));
    const lines = () => {
      const { report } = result();
      expect(report.outcome).toBe('completed');
      return report.dbgPrint.map((l) => l.replace(/\n$/, ''));
    };
    const section = (from: string, to: string) => {
      const l = lines();
      return l.slice(l.findIndex((x) => x.startsWith(from)), l.findIndex((x) => x.startsWith(to)));
    };

    it('typed queries read the Parameters key and refuse values of another type', () => {
      expect(section('parameters:', 'assign ulong:')).toEqual([
        'parameters: 00000000',
        'ulong Level: 00000000 7',
        'ulong Name: c0000024', // STATUS_OBJECT_TYPE_MISMATCH
        'ulong Missing: c0000034', // STATUS_OBJECT_NAME_NOT_FOUND
        'string Name: 00000000 [from a .reg file] 32',
        'string Level: c0000024',
        // STATUS_BUFFER_OVERFLOW with the byte length the string needs (its terminator not counted)
        'unicode small: 80000005 needs 32 length 0',
        'unicode big: 00000000 [from a .reg file] 32',
        'unicode Level: c0000024',
        'multi Paths: 00000000 count 2',
        '  [a]',
        '  [bc]',
        'multi Name: c0000024',
        'value no buffer: 80000005 length 5 type 3',
        'value short: 80000005 de ad ee',
        'value: 00000000 de ad be ef 01',
        'value Missing: c0000034',
        'memory: 00000000 size 5 type 3 de..01',
      ]);
    });

    it('the Assign entries write the types they stand for, read back with the same data', () => {
      expect(section('assign ulong:', 'create Sub:')).toEqual([
        'assign ulong: 00000000',
        '  back: 00000000 42',
        'assign string: 00000000',
        '  back: 00000000 type 1 length 12 [alpha]',
        'assign unicode: 00000000',
        '  back: 00000000 type 1 length 44 [from a UNICODE_STRING]',
        'assign multi: 00000000',
        '  back: 00000000 type 7 length 24 [alpha|beta]',
        'assign multi with a key in it: c000000d',
        'assign value: 00000000',
        '  back: 00000000 type 3 length 6 010203040506',
        'assign memory: 00000000',
        '  back: 00000000 length 3 121314',
        'assign memory past the end: c0000206', // STATUS_INVALID_BUFFER_SIZE
        'remove value: 00000000',
        '  query: c0000034',
        '  again: c0000034',
      ]);
    });

    it('keys open and are created relative to a WDFKEY or by absolute name, and WdfRegistryRemoveKey deletes the key', () => {
      expect(section('create Sub:', 'done')).toEqual([
        'create Sub: 00000000 disposition 1 handle 1',
        'create again: 00000000 disposition 2',
        'open Sub: 00000000 X 7',
        'remove Sub: 00000000',
        `open removed: c0000034 key ${arch === 'x64' ? '0000000000000000' : '00000000'}`,
        'absolute: 00000000 build [19045]',
        'relative name without parent: c000003b', // STATUS_OBJECT_PATH_SYNTAX_BAD
      ]);
    });

    it('every access shows in the registry trace as the Zw services report it', () => {
      const reg = events(result().trace, 'registry');
      const params = '\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\kmdf_registry\\Parameters';
      expect(reg.find((e) => e.op === 'query' && e.value === 'Level')).toMatchObject({ key: params, data: 'REG_DWORD 0x7', status: '0x00000000' });
      expect(reg.find((e) => e.op === 'set' && e.value === 'Counter')).toMatchObject({ key: params, data: 'REG_DWORD 0x2a', status: '0x00000000' });
      expect(reg.find((e) => e.op === 'delete-value')).toMatchObject({ key: params, value: 'Counter', status: '0x00000000' });
      expect(reg.find((e) => e.op === 'delete-key')).toMatchObject({ key: `${params}\\Sub`, status: '0x00000000' });
      expect(reg.filter((e) => e.op === 'create').map((e) => e.key)).toContain(`${params}\\Sub`);
    });
  });

  it('a WDFSTRING passed as a WDFKEY stops the run with WDF_VIOLATION 0x5', () => {
    const { report } = run(buildDriver('kmdf_registry', arch, { defines: { MISUSE: 1 } }), [], { registry: PRELOAD });
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck?.name).toBe('WDF_VIOLATION');
    expect(report.stop?.bugcheck?.params[0]).toBe('0x5');
    expect(report.stop?.reason).toMatch(/WdfRegistryQueryULong: 0x[0-9A-F]+ is a WDFSTRING handle, not WDFKEY/);
    expect(report.dbgPrint).toEqual(['parameters: 00000000\n']);
  });
});
