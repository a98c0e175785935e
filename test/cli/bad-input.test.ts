// Bad input never crashes the host: each case exits 2 with one clear line on stderr and nothing on stdout.

import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { kdemu, sample } from '../helpers.js';

let dir: string;
const driver = sample('x64', 'readfile.sys');

function file(name: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The readfile driver with a patch applied at a field of its PE headers. */
function patched(name: string, patch: (b: Buffer, nt: number) => Buffer | void): string {
  const b = Buffer.from(readFileSync(driver));
  const nt = b.readUInt32LE(0x3c);
  return file(name, patch(b, nt) ?? b);
}

function expectBadInput(args: string[], message: RegExp): void {
  const r = kdemu(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^kdemu: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kdemu-bad-'));
});

describe('kdemu run refuses bad driver files', () => {
  it('a missing file', () => expectBadInput(['run', path.join(dir ?? '', 'nope.sys')], /nope\.sys: no such file/));
  it('a directory', () => expectBadInput(['run', tmpdir()], /is a directory/));
  it('an empty file', () => expectBadInput(['run', file('empty.sys', '')], /empty file/));
  it('random bytes', () => {
    let x = 12345;
    const bytes = Uint8Array.from({ length: 4096 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    bytes[0] = 0x4e; // not 'M'
    expectBadInput(['run', file('random.sys', bytes)], /not a PE file/);
  });
  it('a truncated PE', () => expectBadInput(['run', patched('truncated.sys', (b) => b.subarray(0, 0x300))], /truncated|past the end|shorter/i));
  it('headers pointing past the end of the file', () => expectBadInput(['run', patched('lfanew.sys', (b) => void b.writeUInt32LE(0x7ffff0, 0x3c))], /e_lfanew|past the end/i));
  it('a SizeOfImage of 3 GiB', () => expectBadInput(['run', patched('huge.sys', (b, nt) => void b.writeUInt32LE(0xc0000000, nt + 24 + 56))], /SizeOfImage .*too large/));
  it('a user-mode program, naming its subsystem', () => expectBadInput(['run', sample('x64', 'readfile_client.exe')], /not a kernel driver: .*WINDOWS_CUI/i));
  it('a DLL, naming its subsystem', () => {
    const src = file('lib.c', 'int __declspec(dllexport) f(int x) { return x + 1; }\n');
    const out = path.join(dir, 'lib.dll');
    execFileSync('x86_64-w64-mingw32-gcc', ['-shared', '-o', out, src]);
    expectBadInput(['run', out], /not a kernel driver: .*DLL.*WINDOWS_(GUI|CUI)|not a kernel driver: .*WINDOWS_(GUI|CUI).*DLL/i);
  });
  it('info refuses the same files the same way', () => expectBadInput(['info', file('empty2.sys', '')], /empty file/));
});

describe('kdemu refuses bad arguments', () => {
  it('an unknown option', () => expectBadInput(['run', driver, '--frobnicate'], /unknown option --frobnicate/));
  it('an unknown command', () => expectBadInput(['frob', driver], /unknown command 'frob'/));
  it('a malformed --ioctl', () => expectBadInput(['run', driver, '--ioctl', 'zz'], /--ioctl code: 'zz' is not a number/));
  it('malformed --ioctl input hex', () => expectBadInput(['run', driver, '--ioctl', '0x222000:4g'], /--ioctl input: '4g' is not an even number of hex digits/));
  it('an odd-length --write hex', () => expectBadInput(['run', driver, '--write', 'abc'], /--write: 'abc' is not an even number of hex digits/));
  it('a negative --read', () => expectBadInput(['run', driver, '--read', '-1'], /--read/));
  it('no driver file', () => expectBadInput(['run'], /missing the DRIVER file/));
  it('a --script that is not JSON', () => expectBadInput(['run', driver, '--script', file('bad.json', '{')], /not JSON/));
  it('a --script op with an unknown key', () => expectBadInput(['run', driver, '--script', file('bad2.json', '[{"op":"read","length":1,"extra":2}]')], /unknown key "extra"/));
  it('an engine that does not exist', () => expectBadInput(['run', driver, '--engine', 'qemu'], /--engine: 'qemu' is not an engine/));
  it('a --wait that is not a number of milliseconds', () => expectBadInput(['run', driver, '--wait', 'soon'], /--wait: 'soon' is not a number/));
  it('a --script wait without ms', () => expectBadInput(['run', driver, '--script', file('bad3.json', '[{"op":"wait"}]')], /"ms" is required/));
  it('a --load driver that does not exist', () => expectBadInput(['run', driver, '--load', '/nonexistent/filter.sys'], /filter\.sys: no such file/));
  it('a --registry file that does not exist', () => expectBadInput(['run', driver, '--registry', 'x.reg'], /--registry: cannot read x\.reg: ENOENT/));
});

describe('kdemu info', () => {
  it('lists each import and whether kdemu implements it', () => {
    const r = kdemu(['info', driver, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.kind).toBe('driver');
    expect(info.arch).toBe('x64');
    expect(info.imports).toContainEqual({ module: 'ntoskrnl.exe', name: 'IofCompleteRequest', implemented: true });
    expect(info.missing).toEqual([]);
    expect(info.kmdf).toBe(false);
  });

  it('describes a client program too', () => {
    const r = kdemu(['info', sample('x86', 'readfile_client.exe')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exe \(windows-cui\), x86/);
  });
});

describe('kdemu exports', () => {
  it('lists every implemented export with its prototype', () => {
    const r = kdemu(['exports', '--json']);
    const list = JSON.parse(r.stdout) as { module: string; name: string; convention?: string; prototype: string }[];
    expect(list.find((e) => e.name === 'IofCompleteRequest')).toMatchObject({ module: 'ntoskrnl.exe', convention: 'fastcall' });
    expect(list.find((e) => e.name === 'DbgPrint')?.prototype).toBe('ULONG DbgPrint(PCSTR Format, ...)');
    mkdirSync(dir, { recursive: true });
  });

  it('implements at least 400 kernel-mode exports (ntoskrnl, hal and the other kernel modules), each with its prototype', () => {
    const list = JSON.parse(kdemu(['exports', '--json']).stdout) as { module: string; name: string; prototype: string }[];
    const kernel = new Set(list.filter((e) => !['kernel32.dll', 'msvcrt.dll', 'ucrtbase.dll'].includes(e.module)).map((e) => `${e.module}!${e.name}`));
    expect(kernel.size).toBeGreaterThanOrEqual(400);
    expect(list.every((e) => e.prototype.includes(e.name))).toBe(true);
    for (const m of ['ntoskrnl.exe', 'hal.dll', 'ksecdd.sys']) expect([...kernel].some((n) => n.startsWith(m + '!')), m).toBe(true);
  });
});
