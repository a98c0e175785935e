// imageKind: whether a parsed image is a kernel driver, a user-mode executable or a DLL, with the reason.
import type { PeImage } from './types.js';

export type ImageKind = 'driver' | 'exe' | 'dll';

/** "windows-cui" -> "WINDOWS_CUI": the IMAGE_SUBSYSTEM_* spelling people search for. */
function subsystemConstant(img: PeImage): string {
  return img.subsystemName.startsWith('subsystem-')
    ? `${img.subsystem} (unknown)`
    : img.subsystemName.toUpperCase().replace(/-/g, '_');
}

export function imageKind(img: PeImage): { kind: ImageKind; why: string } {
  const sub = subsystemConstant(img);
  if (img.subsystem === 1) {
    // mingw's -shared sets IMAGE_FILE_DLL on drivers, so the subsystem decides, not the DLL bit.
    const note = img.isDll ? '; IMAGE_FILE_DLL is also set, as mingw -shared does' : '';
    return { kind: 'driver', why: `a kernel-mode driver (subsystem ${sub})${note}` };
  }
  if (img.isDll) return { kind: 'dll', why: `a user-mode DLL (IMAGE_FILE_DLL set, subsystem ${sub})` };
  return { kind: 'exe', why: `a user-mode executable (subsystem ${sub})` };
}
