// Test fixtures for the PE loader: tiny PEs built with mingw-w64, and the third-party drivers in ../shared/drivers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forEachRelocation, type PeImage, type Relocation } from '../../emu/pe/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDrivers = path.resolve(repoRoot, '..', 'shared', 'drivers');
export const haveSharedDrivers = existsSync(path.join(sharedDrivers, 'manifest.json'));

export interface ManifestDriver {
  file: string;
  arch: 'x86' | 'x64';
  sha256: string;
  size: number;
  imports: Record<string, string[]>;
}

export function loadManifest(): ManifestDriver[] {
  return (JSON.parse(readFileSync(path.join(sharedDrivers, 'manifest.json'), 'utf8')) as { drivers: ManifestDriver[] })
    .drivers;
}

export function readSharedDriver(file: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(sharedDrivers, file)));
}

const CC = { x64: 'x86_64-w64-mingw32-gcc', x86: 'i686-w64-mingw32-gcc' } as const;

/** The mingw-w64 DDK header directory, asked of the compiler: its headers include each other as <wdm.h>, so it must be on -I. */
function ddkInclude(): string {
  const deps = execFileSync(CC.x64, ['-xc', '-', '-M', '-MG'], { input: '#include <ddk/ntddk.h>\n', encoding: 'utf8' });
  const m = /(\S+)[\\/]ntddk\.h/.exec(deps);
  if (!m) throw new Error(`cannot locate the mingw-w64 DDK headers (ddk/ntddk.h) with ${CC.x64}`);
  return m[1]!;
}

/** A driver with a string table that needs base relocations, three function imports and one data import. */
export const DRIVER_SOURCE = `
#include <ntddk.h>
const char *volatile g_msgs[] = { "hello %p\\n", "world\\n" };
static PDEVICE_OBJECT g_dev;
NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg) {
  UNICODE_STRING name;
  (void)reg;
  RtlInitUnicodeString(&name, L"\\\\Device\\\\PeTest");
  DbgPrint(g_msgs[0], *IoFileObjectType);
  DbgPrint(g_msgs[1]);
  return IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_dev);
}
`;

export const EXE_SOURCE = `
#include <stdio.h>
const char *volatile g_greeting = "hi";
int main(void) { puts(g_greeting); return 0; }
`;

/** A DLL exporting by name, by ordinal only (NONAME) and a forwarder, through a .def file. */
export const DLL_SOURCE = `
int Add(int a, int b) { return a + b; }
int Hidden(void) { return 7; }
`;
export const DLL_DEF = `LIBRARY pelib.dll
EXPORTS
  Add @1
  Hidden @7 NONAME
  Sleepy = KERNEL32.Sleep @3
`;

/** An executable importing Hidden from pelib.dll by ordinal 7 (through an import library made from a .def). */
export const ORDINAL_IMPORTER_SOURCE = `
__declspec(dllimport) int Hidden(void);
int main(void) { return Hidden(); }
`;

export interface Built {
  x64Driver: Uint8Array;
  x86Driver: Uint8Array;
  x64Exe: Uint8Array;
  x64GuiExe: Uint8Array;
  x64Dll: Uint8Array;
  x86Dll: Uint8Array;
  x64OrdinalImporter: Uint8Array;
}

/** Builds every fixture in a fresh temporary directory (removed afterwards) and returns the file bytes. */
export function buildFixtures(): Built {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-pe-'));
  try {
    const write = (name: string, text: string): string => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const run = (cmd: string, args: string[]): void => {
      execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    };
    const out = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir, name)));
    write('drv.c', DRIVER_SOURCE);
    write('exe.c', EXE_SOURCE);
    write('lib.c', DLL_SOURCE);
    write('lib.def', DLL_DEF);
    write('ordimp.c', ORDINAL_IMPORTER_SOURCE);
    write('ord.def', 'LIBRARY pelib.dll\nEXPORTS\n  Hidden @7 NONAME\n');

    const driverFlags = ['-O2', `-I${ddkInclude()}`, '-shared', '-nostdlib', '-Wl,--subsystem,native'];
    run(CC.x64, [...driverFlags, '-Wl,--entry,DriverEntry', '-o', 'x64.sys', 'drv.c', '-lntoskrnl', '-lhal']);
    run(CC.x86, [...driverFlags, '-Wl,--entry,_DriverEntry@8', '-o', 'x86.sys', 'drv.c', '-lntoskrnl', '-lhal']);
    run(CC.x64, ['-O2', '-o', 'a.exe', 'exe.c']);
    run(CC.x64, ['-O2', '-mwindows', '-o', 'gui.exe', 'exe.c']);
    run(CC.x64, ['-O2', '-shared', '-o', 'pelib64.dll', 'lib.c', 'lib.def']);
    run(CC.x86, ['-O2', '-shared', '-o', 'pelib32.dll', 'lib.c', 'lib.def']);
    run('x86_64-w64-mingw32-dlltool', ['-d', 'ord.def', '-l', 'libord.a', '-m', 'i386:x86-64']);
    run(CC.x64, ['-O2', '-o', 'ordimp.exe', 'ordimp.c', '-L.', '-lord']);
    return {
      x64Driver: out('x64.sys'),
      x86Driver: out('x86.sys'),
      x64Exe: out('a.exe'),
      x64GuiExe: out('gui.exe'),
      x64Dll: out('pelib64.dll'),
      x86Dll: out('pelib32.dll'),
      x64OrdinalImporter: out('ordimp.exe'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function u32(mem: Uint8Array, at: number): number {
  return new DataView(mem.buffer, mem.byteOffset, mem.byteLength).getUint32(at, true);
}

export function u64(mem: Uint8Array, at: number): bigint {
  return new DataView(mem.buffer, mem.byteOffset, mem.byteLength).getBigUint64(at, true);
}

/** The relocations of a parsed image as a list (the parser keeps them in the file; tests want to look at them). */
export function relocationList(img: PeImage, bytes: Uint8Array): Relocation[] {
  const out: Relocation[] = [];
  forEachRelocation(img, bytes, (rva, type, param) => out.push(type === 4 ? { rva, type, param } : { rva, type }));
  return out;
}
