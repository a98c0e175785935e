// `kdemu info` and `kdemu exports`: what an image imports (and whether kdemu implements it), what kdemu exports.

import { createHash } from 'node:crypto';
import { imageKind, parsePe } from '../emu/pe/index.js';
import type { Arch } from '../emu/engine.js';
import { DATA_EXPORTS, EXPORTS } from './exports.js';
import { canonicalModule } from './kernel.js';
import { hex } from './machine.js';

export interface InfoReport {
  path: string;
  sha256: string;
  kind: 'driver' | 'exe' | 'dll';
  subsystem: string;
  arch: Arch;
  imageBase: string;
  entryPoint: string;
  sizeOfImage: string;
  kmdf: boolean;
  sections: { name: string; rva: string; size: string; prot: string }[];
  imports: { module: string; name: string; implemented: boolean }[];
  exports: { name: string; ordinal: number; rva: string }[];
  missing: string[];
}

export function implemented(module: string, name: string, arch: Arch): boolean {
  const m = canonicalModule(module);
  const match = (d: { module: string; name: string; arch?: Arch; aliases?: readonly string[] }) =>
    canonicalModule(d.module) === m && (d.name === name || (d.aliases?.includes(name) ?? false)) && (!d.arch || d.arch === arch);
  return EXPORTS.some(match) || DATA_EXPORTS.some(match);
}

export function inspectImage(bytes: Uint8Array, path: string): InfoReport {
  const img = parsePe(bytes);
  const kind = imageKind(img);
  const imports = img.imports.flatMap((d) =>
    d.entries.map((e) => {
      const name = e.name ?? `#${e.ordinal}`;
      return { module: d.dll, name, implemented: kind.kind !== 'dll' ? implemented(d.dll, name, img.arch) : false };
    }),
  );
  return {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    kind: kind.kind,
    subsystem: img.subsystemName,
    arch: img.arch,
    imageBase: hex(img.imageBase),
    entryPoint: hex(img.imageBase + BigInt(img.entryRva)),
    sizeOfImage: hex(img.sizeOfImage),
    kmdf: imports.some((i) => i.name === 'WdfVersionBind'),
    sections: img.sections.map((s) => ({
      name: s.name,
      rva: hex(s.rva),
      size: hex(s.virtualSize),
      prot: (s.readable ? 'r' : '-') + (s.writable ? 'w' : '-') + (s.executable ? 'x' : '-'),
    })),
    imports,
    exports: img.exports.map((e) => ({ name: e.name ?? '', ordinal: e.ordinal, rva: hex(e.rva) })),
    missing: imports.filter((i) => !i.implemented).map((i) => `${i.module}!${i.name}`),
  };
}

export interface ExportListing {
  module: string;
  name: string;
  kind: 'function' | 'data';
  convention?: string;
  arch?: Arch;
  prototype: string;
}

export function listExports(): ExportListing[] {
  const fns: ExportListing[] = EXPORTS.map((d) => ({ module: d.module, name: d.name, kind: 'function', convention: d.cc, ...(d.arch ? { arch: d.arch } : {}), prototype: d.proto }));
  const data: ExportListing[] = DATA_EXPORTS.map((d) => ({ module: d.module, name: d.name, kind: 'data', ...(d.arch ? { arch: d.arch } : {}), prototype: d.proto }));
  return [...fns, ...data].sort((a, b) => (a.module + '!' + a.name).localeCompare(b.module + '!' + b.name));
}
