// `kdemu info` and `kdemu exports`: what an image imports (and whether kdemu implements it), what kdemu exports.

import { createHash } from 'node:crypto';
import { imageKind, parsePe } from '../emu/pe/index.js';
import type { Arch } from '../emu/engine.js';
import { DATA_EXPORTS, EXPORTS } from './exports.js';
import { canonicalModule } from './kernel.js';
import { hex } from './machine.js';
import { inspectKmdf, wdfEntryName } from './wdf/inspect.js';
import { WDF_MODULE } from './wdf/export.js';

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
  /** A KMDF client's binding, when its WDF_BIND_INFO was found: version, table size, RVAs of the bind info and of
   * FuncTable, and the table entries its code calls (null when no call through the table was recognised). */
  wdf?: WdfInfo;
  sections: { name: string; rva: string; size: string; prot: string }[];
  imports: { module: string; name: string; implemented: boolean }[];
  exports: { name: string; ordinal: number; rva: string }[];
  missing: string[];
}

export interface WdfInfo {
  version: string;
  funcCount: number;
  bindInfo: string;
  functionTable: string;
  referenced: { index: number; name: string; implemented: boolean }[] | null;
}

/** For each `module!name` kdemu implements (names and aliases), the one architecture it is limited to, or 'any'. */
let implementedIndex: Map<string, Arch | 'any'> | undefined;

function implementedKey(module: string, name: string): string {
  return `${canonicalModule(module)}!${name}`;
}

/** Built once: `kdemu info` asks for every import, and a scan of the export table per import would be quadratic. */
function index(): Map<string, Arch | 'any'> {
  if (implementedIndex) return implementedIndex;
  const m = new Map<string, Arch | 'any'>();
  for (const d of [...EXPORTS, ...DATA_EXPORTS] as { module: string; name: string; arch?: Arch; aliases?: readonly string[] }[]) {
    for (const n of [d.name, ...(d.aliases ?? [])]) {
      const k = implementedKey(d.module, n);
      const prev = m.get(k);
      // Declared for both architectures (one declaration each, or one for any): implemented on any.
      m.set(k, !d.arch || (prev !== undefined && prev !== d.arch) ? 'any' : d.arch);
    }
  }
  return (implementedIndex = m);
}

export function implemented(module: string, name: string, arch: Arch): boolean {
  const a = index().get(implementedKey(module, name));
  return a === 'any' || a === arch;
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
  const kmdf = imports.some((i) => i.name === 'WdfVersionBind');
  const wdf = kmdf ? wdfInfo(img, bytes) : undefined;
  // Named as the unsupported-call stop names a framework entry.
  const wdfMissing = (wdf?.referenced ?? []).filter((e) => !e.implemented).map((e) => `${WDF_MODULE.toLowerCase()}!${e.name}`);
  return {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    kind: kind.kind,
    subsystem: img.subsystemName,
    arch: img.arch,
    imageBase: hex(img.imageBase),
    entryPoint: hex(img.imageBase + BigInt(img.entryRva)),
    sizeOfImage: hex(img.sizeOfImage),
    kmdf,
    ...(wdf ? { wdf } : {}),
    sections: img.sections.map((s) => ({
      name: s.name,
      rva: hex(s.rva),
      size: hex(s.virtualSize),
      prot: (s.readable ? 'r' : '-') + (s.writable ? 'w' : '-') + (s.executable ? 'x' : '-'),
    })),
    imports,
    exports: img.exports.map((e) => ({ name: e.name ?? '', ordinal: e.ordinal, rva: hex(e.rva) })),
    missing: [...imports.filter((i) => !i.implemented).map((i) => `${i.module}!${i.name}`), ...wdfMissing],
  };
}

function wdfInfo(img: ReturnType<typeof parsePe>, bytes: Uint8Array): WdfInfo | undefined {
  const w = inspectKmdf(img, bytes);
  if (!w) return undefined;
  return {
    version: `${w.major}.${w.minor}`,
    funcCount: w.funcCount,
    bindInfo: hex(w.bindInfoRva),
    functionTable: hex(w.functionTableRva),
    referenced: w.referenced?.map((index) => {
      const name = wdfEntryName(index);
      return { index, name, implemented: implemented(WDF_MODULE, name, img.arch) };
    }) ?? null,
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
