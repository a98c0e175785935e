// The loader's cost is linear in the file size: the crafted worst cases (overlapping sections sharing a relocation
// block, tables read many times over) are parsed or refused at once, and `kdemu info` never costs more per byte
// of file at 2.6 MB than a constant bound allows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PeFormatError, parsePe } from '../../emu/pe/index.js';
import { implemented, inspectImage } from '../../hal/info.js';
import { WORST_CASES, overlappingSectionsPe } from './crafted.js';
import { repoRoot } from './fixtures.js';
import { cost } from './measure.js';

const MiB = 2 ** 20;
const KB84 = 84 * 1024;

describe('the crafted 84 KB PE whose overlapping sections share one relocation block', () => {
  // As many sections as its headers hold (2,025: over Windows' 96), and the same shape within 96 sections.
  const shapes = [
    ['with every section its headers hold', overlappingSectionsPe(KB84), /^STATUS_INVALID_IMAGE_FORMAT: too many sections: 2025 \(Windows' limit is 96\)$/],
    ['with 96 sections', overlappingSectionsPe(KB84, 96), /^STATUS_INVALID_IMAGE_FORMAT: section \.r1 \(RVA 0x3000\) overlaps section \.r0, which runs to 0x4000/],
  ] as const;

  it.each(shapes)('%s is refused as Windows refuses it, in under 100 ms and 64 MB of heap', (_shape, bytes, message) => {
    expect(bytes.length).toBe(KB84);
    const c = cost(() => parsePe(bytes));
    expect(c.outcome).toBeInstanceOf(PeFormatError);
    expect((c.outcome as PeFormatError).message).toMatch(message);
    expect(c.ms).toBeLessThan(100);
    expect(Math.max(c.grown, c.retained)).toBeLessThan(64 * MiB);
  });

  describe('through the CLI', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-pe-cost-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each(shapes)('%s: `kdemu info` exits 2 with one line, in a heap capped at 64 MB', (shape, bytes, message) => {
      const file = path.join(dir, `${shape.replace(/\W+/g, '-')}.sys`);
      writeFileSync(file, bytes);
      // Old space 40 MB + two 8 MB semi-spaces + new large objects: a parse needing more aborts instead of exiting 2.
      const r = spawnSync(
        process.execPath,
        ['--max-old-space-size=40', '--max-semi-space-size=8', path.join(repoRoot, 'dist', 'bin', 'kdemu.js'), 'info', file],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      );
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(new RegExp(`^kdemu: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${message.source.slice(1)}`));
      expect(r.status).toBe(2);
    });
  });
});

/**
 * Bounds per byte of file for `kdemu info` (inspectImage: parse, then list every import and export). The fixed
 * part covers what the caps allow whatever the size (4M relocation entries take ~50-100 ms); the rest must not
 * grow faster than the file. Measured worst cases (65,536 imports listed: 100-400 ms, 15-25 MB) sit 3x or more
 * below them, so a busy machine does not trip them, while the quadratic parser took 10 s and 240 MB at 84 KB.
 */
const FIXED_MS = 250;
const MS_PER_MB = 1000;
const FIXED_HEAP = 16 * MiB;
const HEAP_PER_BYTE = 64;

const SIZES = [64 * 1024, 256 * 1024, MiB, 2.6 * MiB];

// PE_COST_LOG=1 npx vitest run test/pe/linear-cost.test.ts prints every measurement.
describe.each(Object.entries(WORST_CASES))('kdemu info on %s', (name, make) => {
  it('costs time and heap within a constant bound per byte, from 64 KB to 2.6 MB', () => {
    for (const size of SIZES) {
      const bytes = make(Math.round(size));
      const c = cost(() => inspectImage(bytes, 'crafted.sys'), 2);
      // Only PeFormatError may stop it: anything else (a RangeError from V8, a TypeError) is a bug.
      if (c.outcome instanceof Error) expect(c.outcome).toBeInstanceOf(PeFormatError);
      const mb = bytes.length / MiB;
      const at = `${bytes.length} bytes: ${c.ms.toFixed(1)} ms, ${(c.grown / MiB).toFixed(1)} MB grown, ${(c.retained / MiB).toFixed(1)} MB kept`;
      if (process.env.PE_COST_LOG) console.log(`${name}: ${at}${c.outcome instanceof Error ? ` (${c.outcome.message.slice(0, 60)})` : ''}`);
      expect(c.ms, at).toBeLessThan(FIXED_MS + MS_PER_MB * mb);
      expect(c.grown, at).toBeLessThan(FIXED_HEAP + HEAP_PER_BYTE * bytes.length);
      expect(c.retained, at).toBeLessThan(FIXED_HEAP + HEAP_PER_BYTE * bytes.length);
    }
  });
});

describe("kdemu info's check of each import against kdemu's exports", () => {
  it('answers from an index as the scan of the export table did: module case and kernel aliases, architecture', () => {
    expect(implemented('ntoskrnl.exe', 'DbgPrint', 'x64')).toBe(true);
    expect(implemented('NTKRNLPA.EXE', 'DbgPrint', 'x86')).toBe(true);
    expect(implemented('HAL.dll', 'KeGetCurrentIrql', 'x86')).toBe(true);
    expect(implemented('hal.dll', 'KeGetCurrentIrql', 'x64')).toBe(false);
    expect(implemented('ntoskrnl.exe', 'NoSuchExport', 'x64')).toBe(false);
  });
});
