// The x64 exception directory (.pdata): RUNTIME_FUNCTION entries used for unwinding and SEH.
import { PeFormatError, hex } from './errors.js';
import type { RvaReader } from './rva.js';
import type { Arch, DataDirectory, RuntimeFunction } from './types.js';

export function parseExceptions(r: RvaReader, dir: DataDirectory | undefined, arch: Arch): RuntimeFunction[] {
  // x86 images use frame-based SEH; their directory (if any) is not in this format.
  if (arch !== 'x64' || !dir || dir.rva === 0 || dir.size < 12) return [];
  r.check(dir.rva, dir.size, 'exception directory');
  const out: RuntimeFunction[] = [];
  const count = Math.floor(dir.size / 12);
  for (let i = 0; i < count; i++) {
    const at = dir.rva + 12 * i;
    const begin = r.u32(at, 'exception directory');
    const end = r.u32(at + 4, 'exception directory');
    const unwindInfo = r.u32(at + 8, 'exception directory');
    if (begin === 0 && end === 0 && unwindInfo === 0) break; // zero padding ends the sorted table
    // Bit 0 of UnwindData marks a chained entry; the rest is still an RVA.
    if (begin > end || end > r.sizeOfImage || (unwindInfo & ~1) >>> 0 >= r.sizeOfImage) {
      throw new PeFormatError(
        `exception directory entry #${i} (begin ${hex(begin)}, end ${hex(end)}, unwind ${hex(unwindInfo)}) lies outside the image (SizeOfImage ${hex(r.sizeOfImage)})`,
      );
    }
    out.push({ begin, end, unwindInfo });
  }
  return out;
}
