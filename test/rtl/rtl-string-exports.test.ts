// The Rtl string, conversion and memory declarations: only names Windows' ntoskrnl exports on each architecture.
import { describe, expect, it } from 'vitest';
import { exports as convert } from '../../hal/rtl/convert.js';
import { exports as memory } from '../../hal/rtl/memory.js';
import { exports as string } from '../../hal/rtl/string.js';
import { exports as unicode } from '../../hal/rtl/unicode.js';
import { isWindowsExport } from '../../hal/windows-exports.js';

describe('Rtl string, conversion and memory declarations', () => {
  it('declare only routines Windows exports on the architectures they are declared for', () => {
    const missing: string[] = [];
    for (const e of [...unicode, ...string, ...convert, ...memory]) {
      for (const arch of ['x86', 'x64'] as const) {
        if (e.arch && e.arch !== arch) continue;
        if (!isWindowsExport(e.module, e.name, arch)) missing.push(`${e.name} (${arch})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('declare the routines one architecture lacks for the other one only', () => {
    const arch = (name: string) => [...memory, ...string, ...convert, ...unicode].find((e) => e.name === name)?.arch;
    expect(['RtlCopyMemory', 'RtlCopyMemoryNonTemporal'].map(arch)).toEqual(['x64', 'x64']);
    expect(['RtlFillMemoryUlong', 'RtlFillMemoryUlonglong', 'RtlUshortByteSwap', 'RtlUlongByteSwap', 'RtlUlonglongByteSwap'].map(arch)).toEqual(['x86', 'x86', 'x86', 'x86', 'x86']);
    for (const name of ['RtlUshortByteSwap', 'RtlUlongByteSwap', 'RtlUlonglongByteSwap']) {
      expect(memory.find((e) => e.name === name)?.cc, name).toBe('fastcall');
    }
  });
});
