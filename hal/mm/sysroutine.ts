// MmGetSystemRoutineAddress: look up an ntoskrnl/HAL export by name at run time.

import { defineExport } from '../export.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { isWindowsExport } from '../windows-exports.js';

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'MmGetSystemRoutineAddress',
    cc: 'stdcall',
    proto: 'PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)',
    params: { SystemRoutineName: 'pustr' },
    ret: 'ptr',
    impl: (k, a) => {
      const name = readUnicodeString(k, a.SystemRoutineName);
      const found = k.systemRoutine(name);
      if (found !== 0n) return found;
      // A routine Windows exports but kdemu does not implement: hand out its 'missing' stub, so a call through
      // the pointer stops the run naming it (returning NULL would send the driver down a path Windows never takes).
      for (const module of ['ntoskrnl.exe', 'hal.dll']) if (isWindowsExport(module, name, k.arch)) return k.resolveImport(module, name);
      return 0n;
    },
  }),
];
