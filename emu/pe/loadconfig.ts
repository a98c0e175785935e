// The load configuration directory: security cookie and Control Flow Guard pointers.
import { PeFormatError, hex } from './errors.js';
import type { RvaReader } from './rva.js';
import type { Arch, DataDirectory, LoadConfig } from './types.js';

/** Field offsets in IMAGE_LOAD_CONFIG_DIRECTORY32/64. */
const LAYOUT = {
  x86: { ptr: 4, securityCookie: 0x3c, guardCFCheck: 0x48, guardCFDispatch: 0x4c, guardFlags: 0x58 },
  x64: { ptr: 8, securityCookie: 0x58, guardCFCheck: 0x70, guardCFDispatch: 0x78, guardFlags: 0x90 },
} as const;

export function parseLoadConfig(r: RvaReader, dir: DataDirectory | undefined, arch: Arch): LoadConfig | null {
  if (!dir || dir.rva === 0) return null;
  r.check(dir.rva, 4, 'load config directory');
  // The structure's own Size field says which fields exist. The data directory's Size is not used for that:
  // x86 linkers write 0x40 there for old loaders even when the structure is longer (Windows reads the field).
  const structSize = r.u32(dir.rva, 'load config directory');
  const size = structSize !== 0 ? structSize : dir.size;
  if (dir.rva + size > r.sizeOfImage) {
    throw new PeFormatError(
      `load config directory (RVA ${hex(dir.rva)}, Size ${hex(size)}) extends past SizeOfImage ${hex(r.sizeOfImage)}`,
    );
  }
  const L = LAYOUT[arch];
  const covers = (offset: number, width: number): boolean => offset + width <= size;
  const ptrAt = (offset: number): bigint =>
    L.ptr === 8 ? r.u64(dir.rva + offset, 'load config directory') : BigInt(r.u32(dir.rva + offset, 'load config directory'));
  const lc: LoadConfig = { size };
  if (covers(L.securityCookie, L.ptr)) lc.securityCookieVa = ptrAt(L.securityCookie);
  if (covers(L.guardCFCheck, L.ptr)) lc.guardCFCheckFunctionPointerVa = ptrAt(L.guardCFCheck);
  if (covers(L.guardCFDispatch, L.ptr)) lc.guardCFDispatchFunctionPointerVa = ptrAt(L.guardCFDispatch);
  if (covers(L.guardFlags, 4)) lc.guardFlags = r.u32(dir.rva + L.guardFlags, 'load config directory');
  return lc;
}
