// Measures the described structures with mingw-w64's headers: generates offsetof/sizeof C, compiles it, reads it back.
//
// There is no Windows runtime, so the numbers are compile-time constants placed in a `.probe` data section of an
// object file (`gcc -c`), and read back with objdump -s. Kernel structures come from ntddk.h, user-mode ones from
// windows.h/winternl.h/stdio.h: the two sets conflict, so each is a compile of its own.
//
// A structure's `mingw` view (hal/layout/struct.ts MingwView) says where mingw-w64 declares what: fields it names
// under another name or hides in Reserved arrays are probed at that designator; fields it covers with reserved
// spans, or does not declare at all, are listed and left out (the known-offset tests check those kdemu uses).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defs, layoutOf, type Arch, type Layout, type MingwView, type PerArch, type PerArchList } from '../../hal/layout/index.js';

/** mingw-w64 include dir (ntddk.h lives in its ddk/ subdirectory). */
export const MINGW_INCLUDE = process.env.MINGW_INCLUDE ?? '/usr/share/mingw-w64/include';

const TRIPLE: Record<Arch, string> = { x86: 'i686-w64-mingw32', x64: 'x86_64-w64-mingw32' };

/** The header sets a probe compiles against. */
export type HeaderSet = 'ddk' | 'sdk' | 'kmdf';

const HEADERS: Record<HeaderSet, string[]> = {
  // ntifs.h includes ntddk.h and adds what file-system and filter drivers see (KQUEUE ...).
  ddk: ['#include <stddef.h>', '#include <ntifs.h>'],
  sdk: ['#include <stddef.h>', '#include <windows.h>', '#include <winternl.h>', '#include <stdio.h>'],
  // kdemu's own KMDF header (samples/include/kmdf), over ntddk.h.
  kmdf: ['#include <stddef.h>', '#include <wdf.h>'],
};

/** Where wdf.h lives. */
const KMDF_INCLUDE = join(fileURLToPath(new URL('../../samples/include/kmdf', import.meta.url)));

export interface ProbeItem {
  /** e.g. "IRP.Tail.Overlay.CurrentStackLocation offset". */
  label: string;
  /** C constant expression. */
  expr: string;
  /** What kdemu computed. */
  expected: number;
  headers: HeaderSet;
}

export interface Probe {
  items: ProbeItem[];
  /** Declarations the items need, per header set. */
  prelude: Partial<Record<HeaderSet, string[]>>;
  /** Field paths (and whole types) left out, with why: "PEB.NtGlobalFlag (reserved)". */
  skipped: string[];
}

const listFor = (l: PerArchList | undefined, arch: Arch): readonly string[] =>
  l === undefined ? [] : Array.isArray(l) ? (l as readonly string[]) : ((l as { x86?: readonly string[]; x64?: readonly string[] })[arch] ?? []);

const designatorFor = (d: PerArch<string>, arch: Arch): string | undefined => (typeof d === 'string' ? d : d[arch]);

/** The path itself or one of the members that contain it ('NtTib' for 'NtTib.Self'). */
const selfOrParent = (path: string, names: Iterable<string>): string | undefined => {
  for (const n of names) if (path === n || path.startsWith(`${n}.`)) return n;
  return undefined;
};

/**
 * One item per structure (sizeof, alignment) and per field path (offset, size), straight from the descriptions and
 * their mingw views. Throws when a view names a field the description does not have.
 */
export function probeItems(arch: Arch): Probe {
  const items: ProbeItem[] = [];
  const prelude: Record<HeaderSet, string[]> = { ddk: [], sdk: [], kmdf: [] };
  const skipped: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const l: Layout = layoutOf(def, arch);
    const view: MingwView = (def.kind !== 'scalar' && def.mingw) || {};
    if (view.headers === 'none') {
      skipped.push(`${name} (no mingw-w64 header declares it)`);
      continue;
    }
    checkView(name, view);
    const headers: HeaderSet = view.headers ?? 'ddk';
    const add = (label: string, expr: string, expected: number) => items.push({ label, expr, expected, headers });
    // mingw-w64 drops some WDK DECLSPEC_ALIGNs: re-apply ours through a wrapper so sizeof and alignment are
    // checked as the WDK declares them (the field offsets are still mingw-w64's own).
    let whole = name;
    if (def.kind !== 'scalar' && def.mingwLacksAlign) {
      whole = `struct kdemu_aligned_${name}`;
      prelude[headers].push(`${whole} { ${name} v; } __attribute__((aligned(${l.align})));`);
    }
    if (view.partial) {
      skipped.push(`${name} sizeof (mingw-w64 declares a different length)`);
    } else {
      add(`${name} sizeof`, `sizeof(${whole})`, l.size);
      add(`${name} alignment`, `_Alignof(${whole})`, l.align);
    }
    const at = view.at ?? {};
    const reserved = listFor(view.reserved, arch);
    const undeclared = listFor(view.undeclared, arch);
    for (const [path, off] of Object.entries(l.offsets)) {
      if (selfOrParent(path, undeclared) !== undefined) {
        skipped.push(`${name}.${path} (not declared by mingw-w64)`);
        continue;
      }
      if (selfOrParent(path, reserved) !== undefined) {
        skipped.push(`${name}.${path} (in mingw-w64's reserved members)`);
        continue;
      }
      const mapped = selfOrParent(path, Object.keys(at));
      if (mapped !== undefined && mapped !== path) {
        skipped.push(`${name}.${path} (inside ${mapped}, probed as a whole)`);
        continue;
      }
      if (mapped !== undefined) {
        const d = designatorFor(at[mapped]!, arch);
        if (d === undefined) throw new Error(`${name}: mingw.at.${path} has no ${arch} designator`);
        const m = /^([A-Za-z_]\w*)((?:\[\d+\])?)(?:\+(\d+))?$/.exec(d);
        if (!m) throw new Error(`${name}: bad mingw designator '${d}' for ${path}`);
        const [, member, index, delta] = m;
        add(`${name}.${path} offset (as ${d})`, `offsetof(${name}, ${member}${index}) + ${delta ?? 0}`, off);
        // The field lies within the member mingw-w64 declares there.
        add(`${name}.${path} fits in ${member}`, `offsetof(${name}, ${member}) + sizeof(((${name} *)0)->${member}) >= ${off + l.sizes[path]!}`, 1);
        if (!index && !delta) add(`${name}.${path} sizeof (as ${d})`, `sizeof(((${name} *)0)->${member})`, l.sizes[path]!);
        continue;
      }
      add(`${name}.${path} offset`, `offsetof(${name}, ${path})`, off);
      add(`${name}.${path} sizeof`, `sizeof(((${name} *)0)->${path})`, l.sizes[path]!);
    }
  }
  return { items, prelude, skipped };
}

/** Every field a view names must be a field of the description (on some architecture): typos fail loudly. */
function checkView(name: string, view: MingwView): void {
  const def = defs[name as keyof typeof defs];
  const paths = new Set([...Object.keys(layoutOf(def, 'x86').offsets), ...Object.keys(layoutOf(def, 'x64').offsets)]);
  const named = [
    ...Object.keys(view.at ?? {}),
    ...listFor(view.reserved, 'x86'),
    ...listFor(view.reserved, 'x64'),
    ...listFor(view.undeclared, 'x86'),
    ...listFor(view.undeclared, 'x64'),
  ];
  for (const n of named) if (!paths.has(n)) throw new Error(`${name}: the mingw view names '${n}', which is not one of its fields`);
}

export function probeSource(headers: HeaderSet, items: ProbeItem[], prelude: string[]): string {
  return [
    ...HEADERS[headers],
    ...prelude,
    '__attribute__((section(".probe"), used)) const unsigned int kdemu_probe[] = {',
    ...items.map((it) => `  ${it.expr}, /* ${it.label} */`),
    '};',
    '',
  ].join('\n');
}

/** Compiles the probe for `arch` (one compile per header set) and returns the measured values, in item order. */
export function runProbe(arch: Arch, probe: Pick<Probe, 'items' | 'prelude'>): number[] {
  const measured = new Array<number>(probe.items.length);
  for (const headers of ['ddk', 'sdk', 'kmdf'] as const) {
    const idx = probe.items.flatMap((it, i) => (it.headers === headers ? [i] : []));
    if (idx.length === 0) continue;
    const values = compileProbe(arch, headers, idx.map((i) => probe.items[i]!), probe.prelude[headers] ?? []);
    idx.forEach((i, j) => (measured[i] = values[j]!));
  }
  return measured;
}

/** Throws with gcc's messages when the probe does not compile. */
function compileProbe(arch: Arch, headers: HeaderSet, items: ProbeItem[], prelude: string[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'kdemu-layout-'));
  try {
    const src = join(dir, `probe-${arch}-${headers}.c`);
    const obj = join(dir, `probe-${arch}-${headers}.o`);
    writeFileSync(src, probeSource(headers, items, prelude));
    // Windows 10 headers (the default of current mingw-w64, pinned so the described layouts stay the measured ones);
    // msvcrt's FILE, not the UCRT's opaque one.
    const cflags = ['-D_WIN32_WINNT=0x0A00', '-D__MSVCRT_VERSION__=0x700', ...(headers !== 'sdk' ? [`-I${join(MINGW_INCLUDE, 'ddk')}`] : []), ...(headers === 'kmdf' ? [`-I${KMDF_INCLUDE}`] : []), `-I${MINGW_INCLUDE}`];
    try {
      execFileSync(`${TRIPLE[arch]}-gcc`, [...cflags, '-c', src, '-o', obj], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`${arch} ${headers} probe did not compile:\n${err.stderr?.toString() || err.message}`);
    }
    const dump = execFileSync(`${TRIPLE[arch]}-objdump`, ['-s', '-j', '.probe', obj], { encoding: 'utf8' });
    return parseDump(dump).slice(0, items.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Little-endian 32-bit words from `objdump -s` ("  0000 d0000000 48000000 ...  ascii"). */
function parseDump(dump: string): number[] {
  const bytes: number[] = [];
  for (const line of dump.split('\n')) {
    const m = /^ ([0-9a-f]+) (.*?)  /.exec(line);
    if (!m) continue;
    for (const group of m[2]!.trim().split(/\s+/)) {
      for (let i = 0; i < group.length; i += 2) bytes.push(parseInt(group.slice(i, i + 2), 16));
    }
  }
  const words: number[] = [];
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    words.push((bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0);
  }
  return words;
}
