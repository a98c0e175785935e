// ntoskrnl's C runtime declarations: only names Windows' ntoskrnl exports on each architecture, each declared once.
import { describe, expect, it } from 'vitest';
import { EXPORTS } from '../../hal/exports.js';
import { exports as crt } from '../../hal/rtl/crt.js';
import { isWindowsExport } from '../../hal/windows-exports.js';

describe('ntoskrnl CRT declarations', () => {
  it('declare only routines Windows exports on the architectures they are declared for', () => {
    const missing: string[] = [];
    for (const e of crt) {
      for (const arch of ['x86', 'x64'] as const) {
        if (e.arch && e.arch !== arch) continue;
        // memcmp is declared for both because the user-mode runtimes share its declaration; x86 drivers link a copy.
        if (e.name === 'memcmp') continue;
        if (!isWindowsExport(e.module, e.name, arch)) missing.push(`${e.name} (${arch})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('declare each routine once in the export table', () => {
    const crtNames = new Set(crt.map((e) => e.name));
    const inTable = EXPORTS.filter((e) => e.module === 'ntoskrnl.exe' && crtNames.has(e.name)).map((e) => e.name);
    expect(inTable.filter((n, i) => inTable.indexOf(n) !== i)).toEqual([]);
    expect(new Set(inTable)).toEqual(crtNames);
  });

  it('the x86 compiler helpers are x86-only and take their operands as the compiler passes them', () => {
    const helpers = crt.filter((e) => e.name.startsWith('_all') || e.name.startsWith('_aull'));
    expect(helpers.map((e) => e.name).sort()).toEqual(['_alldiv', '_alldvrm', '_allmul', '_allrem', '_allshl', '_allshr', '_aulldiv', '_aulldvrm', '_aullrem', '_aullshr']);
    for (const e of helpers) {
      expect(e.arch).toBe('x86');
      expect(e.cc).toBe(e.name.includes('sh') ? 'edx:eax' : 'stdcall');
    }
  });
});
