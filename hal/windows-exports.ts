// Which names Windows' ntoskrnl.exe and hal.dll export, per architecture (from mingw-w64's import libraries).

import * as gen from './windows-exports.generated.js';
import type { Arch } from '../emu/engine.js';

const sets = new Map<string, Set<string>>();

function set(module: string, arch: Arch): Set<string> | undefined {
  const lib = module.toLowerCase().replace(/\.(exe|dll)$/, '').replace(/^ntkrnl\w*$/, 'ntoskrnl');
  const key = `${lib}_${arch}`;
  let s = sets.get(key);
  if (!s) {
    const text = (gen as Record<string, string>)[key];
    if (text === undefined) return undefined;
    s = new Set(text.split('\n').filter(Boolean));
    sets.set(key, s);
  }
  return s;
}

export function isWindowsExport(module: string, name: string, arch: Arch): boolean {
  return set(module, arch)?.has(name) ?? false;
}

/** A data export (a variable such as KeServiceDescriptorTable), as opposed to a function. */
export function isWindowsData(module: string, name: string, arch: Arch): boolean {
  return set(module, `${arch}_data` as Arch)?.has(name) ?? false;
}
