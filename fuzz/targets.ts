// What the fuzzer runs against: the sample drivers and clients (samples/build/{x86,x64}) and, when present, the
// third-party training drivers in ../shared/drivers. For each driver: its architecture, the IOCTL codes it handles
// (from the sample's C source, or the manifest's checks and behaviour text) and the names it can be opened by.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this module with kdemu's package.json (works from fuzz/ and dist/fuzz/). */
export function findRepo(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kdemu') return dir;
      } catch {
        // not ours
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`kdemu's package.json not found above ${from}`);
    dir = up;
  }
}

export type Arch = 'x86' | 'x64';

export interface DriverTarget {
  /** Short name, e.g. "x64/ioctl.sys" or "shared/irpmon64.sys". */
  id: string;
  path: string;
  arch: Arch;
  /** IOCTL codes the driver handles (may be empty). */
  codes: number[];
  /** Names for --open: DOS names (KdIoctl) and NT paths (\Device\KdIoctl). */
  names: string[];
  /** Drivers to run first, this one then given with --load (a filter needs its target). */
  loadAfter?: string;
  /** A CPU-heavy driver: keep its budgets small. */
  heavy?: boolean;
  /** Hints for IOCTL inputs: "subop" drivers take a ULONG sub-operation first (OpenArk). */
  inputStyle?: 'subop';
  bytes: Uint8Array;
}

export interface ClientTarget {
  id: string;
  path: string;
  arch: Arch;
  /** The driver the client talks to. */
  driver: string;
  bytes: Uint8Array;
}

export interface Corpus {
  repo: string;
  drivers: DriverTarget[];
  clients: ClientTarget[];
  /** Whether ../shared/drivers was present (the cases differ when it is not). */
  shared: boolean;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** IOCTL codes and device names from a sample's C source: `CTL_CODE(...) /* 0x222000 *\/` and L"\\??\\Name". */
function fromSource(src: string): { codes: number[]; names: string[] } {
  const codes: number[] = [];
  for (const m of src.matchAll(/CTL_CODE\([^)]*\)\s*\/\*\s*(0x[0-9a-fA-F]+)\s*\*\//g)) codes.push(parseInt(m[1]!, 16) >>> 0);
  const names: string[] = [];
  for (const m of src.matchAll(/L"\\\\(\?\?|DosDevices|Device)\\\\([A-Za-z0-9_]+)"/g)) {
    names.push(m[1] === 'Device' ? `\\Device\\${m[2]}` : m[2]!);
  }
  return { codes: uniq(codes), names: uniq(names) };
}

interface ManifestEntry {
  file: string;
  arch: Arch;
  device: string | null;
  symlink: string | null;
  behaviour: string;
  checks: { op: string; code: string | null }[];
}

function ctl(deviceType: number, fn: number, method: number, access: number): number {
  return ((deviceType << 16) | (access << 14) | (fn << 2) | method) >>> 0;
}

export function loadCorpus(repo = findRepo()): Corpus {
  const drivers: DriverTarget[] = [];
  const clients: ClientTarget[] = [];
  const build = path.join(repo, 'samples', 'build');
  const sources = new Map<string, { codes: number[]; names: string[] }>();
  for (const dir of existsSync(path.join(repo, 'samples')) ? readdirSync(path.join(repo, 'samples')).sort() : []) {
    const c = path.join(repo, 'samples', dir, `${dir}.c`);
    if (existsSync(c)) sources.set(dir, fromSource(readFileSync(c, 'utf8')));
  }
  for (const arch of ['x64', 'x86'] as const) {
    const d = path.join(build, arch);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (!statSync(p).isFile()) continue;
      const bytes = new Uint8Array(readFileSync(p));
      if (f.endsWith('.sys')) {
        const base = f.slice(0, -4);
        const src = sources.get(base) ?? { codes: [], names: [] };
        const t: DriverTarget = { id: `${arch}/${f}`, path: p, arch, codes: src.codes, names: src.names, bytes };
        if (base === 'filter') {
          // The filter attaches to the ioctl sample's device: run ioctl.sys, then --load filter.sys.
          const target = sources.get('ioctl') ?? { codes: [], names: [] };
          t.loadAfter = path.join(d, 'ioctl.sys');
          t.codes = uniq([...t.codes, ...target.codes]);
          t.names = uniq([...target.names, ...t.names]);
        }
        if (base === 'cpubench') t.heavy = true;
        drivers.push(t);
      } else if (f.endsWith('.exe')) {
        const driver = path.join(d, f.replace(/_client(_ucrt)?\.exe$/, '.sys'));
        if (existsSync(driver)) clients.push({ id: `${arch}/${f}`, path: p, arch, driver, bytes });
      }
    }
  }
  const sharedDir = path.resolve(repo, '..', 'shared', 'drivers');
  const manifestPath = path.join(sharedDir, 'manifest.json');
  let shared = false;
  if (existsSync(manifestPath)) {
    shared = true;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { drivers: ManifestEntry[] };
    for (const m of manifest.drivers) {
      const p = path.join(sharedDir, m.file);
      if (!existsSync(p)) continue;
      const codes: number[] = [];
      for (const c of m.checks) if (c.code) codes.push(parseInt(c.code, 16) >>> 0);
      for (const x of m.behaviour.matchAll(/\b0x([0-9A-Fa-f]{6,8})\b/g)) codes.push(parseInt(x[1]!, 16) >>> 0);
      if (/IRPMon/i.test(m.behaviour)) {
        // METHOD_NEITHER, device type 0x22, functions 1..0x16, any/read/write access.
        for (let fn = 1; fn <= 0x16; fn++) for (const access of [0, 1, 2]) codes.push(ctl(0x22, fn, 3, access));
      }
      const names: string[] = [];
      if (m.symlink) names.push(m.symlink.replace(/^\\\?\?\\/, ''));
      if (m.device) names.push(m.device);
      drivers.push({
        id: `shared/${m.file}`,
        path: p,
        arch: m.arch,
        codes: uniq(codes),
        names,
        bytes: new Uint8Array(readFileSync(p)),
        ...(/OpenArk/i.test(m.behaviour) ? { inputStyle: 'subop' as const } : {}),
      });
    }
  }
  return { repo, drivers, clients, shared };
}
