// --coverage FILE (drcov) and --coverage-summary: the executed basic blocks of the driver images, identical on
// every engine, in the format coverage viewers (Lighthouse, bncov) load.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Decoder, DecoderOptions } from 'iced-x86';
import { mapImage, parsePe } from '../../emu/pe/index.js';
import { enginesHere, kdemu, sample } from '../helpers.js';
import type { Report } from '../../hal/report.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-coverage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IOCTL = ['--ioctl', '0x222000:0200000003000000:4'];

interface Drcov {
  modules: { id: number; base: bigint; end: bigint; entry: bigint; path: string }[];
  blocks: { start: number; size: number; mod: number }[];
}

/** A small drcov reader, as a coverage viewer parses the file: header lines, module table, binary bb table. */
function parseDrcov(data: Buffer): Drcov {
  let at = 0;
  const line = (): string => {
    const nl = data.indexOf(0x0a, at);
    if (nl < 0) throw new Error('truncated header');
    const s = data.subarray(at, nl).toString('utf8');
    at = nl + 1;
    return s;
  };
  expect(line()).toBe('DRCOV VERSION: 2');
  expect(line()).toBe('DRCOV FLAVOR: drcov');
  const table = /^Module Table: version 2, count (\d+)$/.exec(line());
  expect(table).not.toBeNull();
  const count = Number(table![1]);
  expect(line()).toBe('Columns: id, base, end, entry, checksum, timestamp, path');
  const modules: Drcov['modules'] = [];
  for (let i = 0; i < count; i++) {
    const cols = line().split(',').map((c) => c.trim());
    expect(cols.length).toBeGreaterThanOrEqual(7);
    const [id, base, end, entry] = cols;
    modules.push({ id: Number(id), base: BigInt(base), end: BigInt(end), entry: BigInt(entry), path: cols.slice(6).join(',') });
  }
  const bbs = /^BB Table: (\d+) bbs$/.exec(line());
  expect(bbs).not.toBeNull();
  const n = Number(bbs![1]);
  expect(data.length - at).toBe(n * 8);
  const blocks: Drcov['blocks'] = [];
  for (let i = 0; i < n; i++, at += 8) blocks.push({ start: data.readUInt32LE(at), size: data.readUInt16LE(at + 4), mod: data.readUInt16LE(at + 6) });
  return { modules, blocks };
}

/** Every block decodes as whole instructions from its start to its end (the image as mapped there). */
function expectBlocksDecode(file: string, mod: Drcov['modules'][number], blocks: Drcov['blocks']): void {
  const bytes = readFileSync(file);
  const img = parsePe(bytes);
  const memory = mapImage(img, bytes, mod.base).memory;
  const decoder = new Decoder(img.arch === 'x64' ? 64 : 32, memory, DecoderOptions.None);
  try {
    for (const b of blocks) {
      let pos = b.start;
      while (pos < b.start + b.size) {
        decoder.position = pos;
        decoder.ip = mod.base + BigInt(pos);
        const insn = decoder.decode();
        expect(insn.isInvalid, `invalid instruction at +0x${pos.toString(16)}`).toBe(false);
        pos += insn.length;
        insn.free();
      }
      expect(pos, `block +0x${b.start.toString(16)} ends inside an instruction`).toBe(b.start + b.size);
    }
  } finally {
    decoder.free();
  }
}

/** The IRP_MJ_DEVICE_CONTROL dispatch routine's offset in the image, from the trace's callback event. */
function dispatchRva(traceFile: string, image: string): number {
  for (const l of readFileSync(traceFile, 'utf8').split('\n')) {
    if (!l) continue;
    const e = JSON.parse(l) as { type: string; routine?: string; target?: string };
    if (e.type === 'callback' && e.routine === 'IRP_MJ_DEVICE_CONTROL dispatch') {
      const m = new RegExp(`^${image.replace('.', '\\.')}\\+0x([0-9a-f]+)$`, 'i').exec(e.target ?? '');
      if (m) return parseInt(m[1], 16);
    }
  }
  throw new Error('no IRP_MJ_DEVICE_CONTROL dispatch callback in the trace');
}

const engines = enginesHere('coverage');

describe.each(['x64', 'x86'] as const)('--coverage on the %s ioctl sample', (arch) => {
  const driver = sample(arch, 'ioctl.sys');
  const runs = new Map<string, { drcov: Drcov; report: Report; trace: string }>();
  for (const engine of engines) {
    it(`${engine}: the drcov file lists the dispatch routine's blocks and the report sums them up`, () => {
      const out = path.join(dir, `${arch}-${engine}.drcov`);
      const trace = path.join(dir, `${arch}-${engine}.ndjson`);
      const r = kdemu(['run', driver, ...IOCTL, '--engine', engine, '--coverage', out, '--coverage-summary', '--trace', trace, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      const drcov = parseDrcov(readFileSync(out));
      runs.set(engine, { drcov, report, trace });

      expect(drcov.modules).toHaveLength(1);
      const mod = drcov.modules[0];
      expect(mod.id).toBe(0);
      expect(mod.path).toBe(driver);
      expect(mod.base).toBe(BigInt(report.driver.imageBase));
      expect(mod.entry).toBe(BigInt(report.driver.entryPoint));
      expect(mod.end).toBeGreaterThan(mod.base);
      expect(drcov.blocks.length).toBeGreaterThan(5);
      for (const b of drcov.blocks) {
        expect(b.mod).toBe(0);
        expect(b.size).toBeGreaterThan(0);
        expect(BigInt(b.start + b.size)).toBeLessThanOrEqual(mod.end - mod.base);
      }
      // Sorted, without overlap.
      for (let i = 1; i < drcov.blocks.length; i++) expect(drcov.blocks[i].start).toBeGreaterThanOrEqual(drcov.blocks[i - 1].start + drcov.blocks[i - 1].size);
      expectBlocksDecode(driver, mod, drcov.blocks);

      // The acceptance check: DispatchDeviceControl ran, so a block starts at its first instruction; DriverEntry's too.
      const starts = new Set(drcov.blocks.map((b) => b.start));
      expect(starts.has(dispatchRva(trace, 'ioctl.sys'))).toBe(true);
      expect(starts.has(Number(mod.entry - mod.base))).toBe(true);

      const summary = report.coverage!.modules;
      expect(summary).toHaveLength(1);
      expect(summary[0].name).toBe('ioctl.sys');
      expect(summary[0].blocksHit).toBeGreaterThan(0);
      expect(summary[0].blocksHit).toBeLessThanOrEqual(summary[0].blocks);
      expect(summary[0].functionsHit).toBeGreaterThanOrEqual(2);
      expect(summary[0].functionsHit).toBeLessThanOrEqual(summary[0].functions);
    });
  }

  it.skipIf(engines.length < 2)('every engine gives the same blocks', () => {
    const [first, ...rest] = engines.map((e) => runs.get(e));
    expect(first).toBeDefined();
    for (const other of rest) {
      expect(other).toBeDefined();
      expect(other!.drcov.blocks).toEqual(first!.drcov.blocks);
      expect(other!.report.coverage).toEqual(first!.report.coverage);
    }
  });
});

describe('--coverage with --load and the human summary', () => {
  it('has one module per driver image, and a summary line each', () => {
    const out = path.join(dir, 'load.drcov');
    const driver = sample('x64', 'ioctl.sys');
    const filter = sample('x64', 'filter.sys');
    const r = kdemu(['run', driver, '--load', filter, ...IOCTL, '--coverage', out, '--coverage-summary']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Coverage ioctl\.sys: \d+\/\d+ blocks \([\d.]+%\), \d+\/\d+ functions$/m);
    expect(r.stdout).toMatch(/^Coverage filter\.sys: \d+\/\d+ blocks/m);
    const drcov = parseDrcov(readFileSync(out));
    expect(drcov.modules.map((m) => m.path)).toEqual([driver, filter]);
    for (const id of [0, 1]) {
      const blocks = drcov.blocks.filter((b) => b.mod === id);
      expect(blocks.length).toBeGreaterThan(0);
      expectBlocksDecode(id === 0 ? driver : filter, drcov.modules[id], blocks);
    }
  });

  it('without --coverage-summary the report has no coverage field', () => {
    const out = path.join(dir, 'plain.drcov');
    const r = kdemu(['run', sample('x64', 'ioctl.sys'), ...IOCTL, '--coverage', out, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Report).coverage).toBeUndefined();
    expect(parseDrcov(readFileSync(out)).blocks.length).toBeGreaterThan(0);
  });
});

describe('--coverage bad input', () => {
  it('a file that cannot be written: exit 2 before the run', () => {
    const r = kdemu(['run', sample('x64', 'ioctl.sys'), ...IOCTL, '--coverage', path.join(dir, 'no', 'such', 'dir.drcov')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dir\.drcov: cannot write the coverage file \(ENOENT\)/);
    expect(r.stdout).toBe('');
  });

  it('only applies to kdemu run', () => {
    const r = kdemu(['info', sample('x64', 'ioctl.sys'), '--coverage', path.join(dir, 'x.drcov')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--coverage only applies to kdemu run/);
  });
});
