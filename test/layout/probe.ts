// Measures the described structures with mingw-w64's DDK headers: generates offsetof/sizeof C, compiles it, reads it back.
//
// There is no Windows runtime, so the numbers are compile-time constants placed in a `.probe` data section of an
// object file (`gcc -c`), and read back with objdump -s.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defs, layoutOf, type Arch, type Layout } from '../../hal/layout/index.js';

/** mingw-w64 include dir (ntddk.h lives in its ddk/ subdirectory). */
export const MINGW_INCLUDE = process.env.MINGW_INCLUDE ?? '/usr/share/mingw-w64/include';

const TRIPLE: Record<Arch, string> = { x86: 'i686-w64-mingw32', x64: 'x86_64-w64-mingw32' };

export interface ProbeItem {
  /** e.g. "IRP.Tail.Overlay.CurrentStackLocation offset". */
  label: string;
  /** C constant expression. */
  expr: string;
  /** What kdemu computed. */
  expected: number;
}

/** One item per structure (sizeof, alignment) and per field path (offset, size), straight from the descriptions. */
export function probeItems(arch: Arch): { items: ProbeItem[]; prelude: string[] } {
  const items: ProbeItem[] = [];
  const prelude: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const l: Layout = layoutOf(def, arch);
    // mingw-w64 drops some WDK DECLSPEC_ALIGNs: re-apply ours through a wrapper so sizeof and alignment are
    // checked as the WDK declares them (the field offsets are still mingw-w64's own).
    let whole = name;
    if (def.kind !== 'scalar' && def.mingwLacksAlign) {
      whole = `struct kdemu_aligned_${name}`;
      prelude.push(`${whole} { ${name} v; } __attribute__((aligned(${l.align})));`);
    }
    items.push({ label: `${name} sizeof`, expr: `sizeof(${whole})`, expected: l.size });
    items.push({ label: `${name} alignment`, expr: `_Alignof(${whole})`, expected: l.align });
    for (const [path, off] of Object.entries(l.offsets)) {
      items.push({ label: `${name}.${path} offset`, expr: `offsetof(${name}, ${path})`, expected: off });
      items.push({ label: `${name}.${path} sizeof`, expr: `sizeof(((${name} *)0)->${path})`, expected: l.sizes[path]! });
    }
  }
  return { items, prelude };
}

export function probeSource(items: ProbeItem[], prelude: string[]): string {
  return [
    '#include <stddef.h>',
    '#include <ntddk.h>',
    ...prelude,
    '__attribute__((section(".probe"), used)) const unsigned int kdemu_probe[] = {',
    ...items.map((it) => `  ${it.expr}, /* ${it.label} */`),
    '};',
    '',
  ].join('\n');
}

/** Compiles the probe for `arch` and returns the measured values, in item order. Throws with gcc's messages. */
export function runProbe(arch: Arch, items: ProbeItem[], prelude: string[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'kdemu-layout-'));
  try {
    const src = join(dir, `probe-${arch}.c`);
    const obj = join(dir, `probe-${arch}.o`);
    writeFileSync(src, probeSource(items, prelude));
    // Windows 10 headers (the default of current mingw-w64, pinned so the described layouts stay the measured ones).
    const cflags = ['-D_WIN32_WINNT=0x0A00', `-I${join(MINGW_INCLUDE, 'ddk')}`, `-I${MINGW_INCLUDE}`];
    try {
      execFileSync(`${TRIPLE[arch]}-gcc`, [...cflags, '-c', src, '-o', obj], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`${arch} probe did not compile:\n${err.stderr?.toString() || err.message}`);
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
