// samples/cpubench (the driver behind npm run bench:cpu): each workload's output against an independent
// reference computed here, on x86 and x64, on every available engine. The driver takes the size as a ULONG input;
// the test uses small sizes (the benchmark sends none and gets 1 MiB, 100,000 integers, 300,000 iterations).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../emu/index.js';
import { DriverSession } from '../../hal/session.js';
import { enginesHere, requireEngines, sample } from '../helpers.js';

const SHA256 = 0x222000;
const CRC32 = 0x222004;
const SORT = 0x222008;
const STRINGS = 0x22200c;

function lcg(x: number): number {
  return (Math.imul(x, 1664525) + 1013904223) >>> 0;
}

function lcgBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = lcg(x);
    out[i] = x >>> 24;
  }
  return out;
}

function fnv(h: number, v: number): number {
  return Math.imul((h ^ v) >>> 0, 16777619) >>> 0;
}

function u32le(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b.toString('hex');
}

const expected = {
  sha256: (n: number) => createHash('sha256').update(lcgBytes(n, 1)).digest('hex'),
  crc32: (n: number) => {
    const table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
      table[i] = c >>> 0;
    }
    let crc = 0xffffffff;
    for (const b of lcgBytes(n, 2)) crc = (table[(crc ^ b) & 0xff] ^ (crc >>> 8)) >>> 0;
    return u32le(crc ^ 0xffffffff);
  },
  sort: (n: number) => {
    const a = new Uint32Array(n);
    let x = 3;
    for (let i = 0; i < n; i++) a[i] = x = lcg(x);
    a.sort();
    let h = 2166136261;
    for (const v of a) h = fnv(h, v);
    return u32le(h);
  },
  strings: (n: number) => {
    let x = 4;
    let h = 2166136261;
    let prev = '';
    for (let i = 0; i < n; i++) {
      x = lcg(x);
      const cur = `key-${x.toString(10)}-${i.toString(16)}`.split('').reverse().join('');
      const pos = cur.indexOf('21');
      const cmp = cur < prev ? -1 : cur > prev ? 1 : 0;
      for (let k = 0; k < cur.length; k++) h = fnv(h, cur.charCodeAt(k));
      h = fnv(h, (pos + 1) >>> 0);
      h = fnv(h, cmp + 1);
      prev = cur;
    }
    return u32le(h);
  },
};

function sizeInput(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A fresh machine per run (a guest that stops leaves its machine unusable); returns the outputs in order. */
function run(arch: 'x86' | 'x64', engine: EngineName, calls: { code: number; size?: number; out: number }[]) {
  const driverPath = sample(arch, 'cpubench.sys');
  const s = DriverSession.load({ driverPath, driverBytes: new Uint8Array(readFileSync(driverPath)), engine });
  try {
    expect(s.start()).toBe(0);
    const h = s.user.CreateFile('\\\\.\\KdCpuBench');
    expect(h.status).toBe(0);
    const outputs: { status: number; information: number; data: string; instructions: number }[] = [];
    for (const c of calls) {
      const i0 = s.instructions;
      const r = s.user.DeviceIoControl(h.handle, c.code, c.size === undefined ? new Uint8Array(0) : sizeInput(c.size), c.out);
      outputs.push({ status: r.status, information: r.information, data: Buffer.from(r.data).toString('hex'), instructions: s.instructions - i0 });
    }
    s.user.CloseHandle(h.handle);
    expect(s.unload()).toBe(true);
    expect(s.leaks()).toEqual([]);
    return outputs;
  } finally {
    s.close();
  }
}

const engines = enginesHere('cpubench');
const arches = ['x86', 'x64'] as const;
const cases = arches.flatMap((arch) => engines.map((engine) => [arch, engine] as const));

describe.each(cases)('cpubench.sys (%s, %s)', (arch, engine) => {
  const check = (code: number, sizes: number[], out: number, ref: (n: number) => string) => {
    const r = run(arch, engine, sizes.map((size) => ({ code, size, out })));
    expect(r.map((x) => [x.status, x.information, x.data])).toEqual(sizes.map((n) => [0, out, ref(n)]));
  };

  it('0x222000: SHA-256 of the LCG buffer, padding edge cases included', () => {
    check(SHA256, [0, 1, 55, 56, 63, 64, 65, 1000, 64 * 1024 + 3], 32, expected.sha256);
  });

  it('0x222004: CRC-32 of the LCG buffer', () => {
    check(CRC32, [0, 1, 7, 4096, 64 * 1024 + 3], 4, expected.crc32);
  });

  it('0x222008: quicksort of LCG integers, checksum of the sorted array', () => {
    check(SORT, [0, 1, 2, 15, 16, 17, 1000, 10_000], 4, expected.sort);
  });

  it('0x22200C: string loop checksum', () => {
    check(STRINGS, [0, 1, 100, 10_000], 4, expected.strings);
  });

  it('answers a short output buffer with STATUS_BUFFER_TOO_SMALL and an unknown code with STATUS_INVALID_DEVICE_REQUEST', () => {
    const r = run(arch, engine, [
      { code: SHA256, size: 64, out: 16 },
      { code: 0x222010, out: 4 },
    ]);
    expect(r.map((x) => [x.status >>> 0, x.information])).toEqual([
      [0xc0000023, 0],
      [0xc0000010, 0],
    ]);
  });
});

describe.each(arches)('cpubench.sys (%s) on both engines', (arch) => {
  it.skipIf(!requireEngines('cpubench: instruction counts on both engines', 'unicorn', 'wasm'))('executes exactly the same number of instructions per workload on each engine', () => {
    const calls = [
      { code: SHA256, size: 4096, out: 32 },
      { code: CRC32, size: 4096, out: 4 },
      { code: SORT, size: 2000, out: 4 },
      { code: STRINGS, size: 2000, out: 4 },
    ];
    const per = engines.map((e) => run(arch, e, calls).map((x) => x.instructions));
    for (const p of per.slice(1)) expect(p).toEqual(per[0]);
  });
});
