// The x64 exception directory (.pdata): RUNTIME_FUNCTION entries used for unwinding and SEH. Validated when
// parsing; turned into objects only when read.
import { PeFormatError, hex } from './errors.js';
import { MAX_PDATA_ENTRIES, overCap } from './limits.js';
import type { RvaReader } from './rva.js';
import type { Arch, DataDirectory, RuntimeFunction } from './types.js';

/** Walks the entries up to the zero padding that ends the sorted table, checking each; returns how many there are. */
function walk(r: RvaReader, dir: DataDirectory | undefined, arch: Arch, visit?: (f: RuntimeFunction) => void): number {
  // x86 images use frame-based SEH; their directory (if any) is not in this format.
  if (arch !== 'x64' || !dir || dir.rva === 0 || dir.size < 12) return 0;
  r.check(dir.rva, dir.size, 'exception directory');
  const count = Math.floor(dir.size / 12);
  let i = 0;
  for (; i < count; i++) {
    const at = dir.rva + 12 * i;
    const begin = r.u32(at, 'exception directory');
    const end = r.u32(at + 4, 'exception directory');
    const unwindInfo = r.u32(at + 8, 'exception directory');
    if (begin === 0 && end === 0 && unwindInfo === 0) break;
    if (i === MAX_PDATA_ENTRIES) throw overCap('exception directory (.pdata) entries', `more than ${MAX_PDATA_ENTRIES}`, MAX_PDATA_ENTRIES);
    // Bit 0 of UnwindData marks a chained entry; the rest is still an RVA.
    if (begin > end || end > r.sizeOfImage || (unwindInfo & ~1) >>> 0 >= r.sizeOfImage) {
      throw new PeFormatError(
        `exception directory entry #${i} (begin ${hex(begin)}, end ${hex(end)}, unwind ${hex(unwindInfo)}) lies outside the image (SizeOfImage ${hex(r.sizeOfImage)})`,
      );
    }
    visit?.({ begin, end, unwindInfo });
  }
  return i;
}

/** Checks the exception directory; returns the number of runtime functions. */
export function checkExceptions(r: RvaReader, dir: DataDirectory | undefined, arch: Arch): number {
  return walk(r, dir, arch);
}

/** The runtime functions of a directory checkExceptions accepted. */
export function listExceptions(r: RvaReader, dir: DataDirectory | undefined, arch: Arch): RuntimeFunction[] {
  const out: RuntimeFunction[] = [];
  walk(r, dir, arch, (f) => out.push(f));
  return out;
}
