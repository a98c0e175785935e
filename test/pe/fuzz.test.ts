// Deterministic fuzzing: random bytes and single-byte/truncation mutations of real drivers only ever yield PeFormatError or success.
import { beforeAll, describe, expect, it } from 'vitest';
import { PeFormatError, bindImports, mapImage, parsePe, rvaToOffset } from '../../emu/pe/index.js';
import { buildFixtures, haveSharedDrivers, loadManifest, readSharedDriver } from './fixtures.js';

/** mulberry32: a tiny seeded PRNG, so a failure names an iteration that reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Corpus {
  bytes: Uint8Array;
  /** File offsets worth hitting more often than code bytes: headers and the parsed directories. */
  hot: number[];
}

function corpusEntry(bytes: Uint8Array): Corpus {
  const img = parsePe(bytes);
  const hot: number[] = [];
  for (let i = 0; i < Math.min(img.sizeOfHeaders, 0x400); i++) hot.push(i);
  for (const d of img.dataDirectories) {
    const off = d.rva !== 0 ? rvaToOffset(img, d.rva) : null;
    if (off === null) continue;
    for (let i = off; i < Math.min(bytes.length, off + Math.max(64, Math.min(d.size, 256))); i++) hot.push(i);
  }
  for (const imp of img.imports) {
    for (const e of imp.entries.slice(0, 4)) {
      const off = rvaToOffset(img, e.iatRva);
      if (off !== null) for (let i = off; i < off + 8; i++) hot.push(i);
    }
  }
  return { bytes, hot };
}

/** Parses, and when that succeeds maps (at the preferred and another base) and binds; returns the error thrown, if any. */
function exercise(bytes: Uint8Array): unknown {
  try {
    const img = parsePe(bytes);
    if (img.sizeOfImage <= 16 * 2 ** 20) {
      const m = mapImage(img, bytes, img.imageBase);
      bindImports(m, img, () => 0x1000n);
      if (img.hasRelocations) mapImage(img, bytes, img.arch === 'x64' ? 0xfffff80000000000n : 0x10000000n);
    }
    return undefined;
  } catch (e) {
    return e;
  }
}

// Overridable for longer local runs: PE_FUZZ_ITERATIONS=200000 PE_FUZZ_SEED=7 npx vitest run test/pe/fuzz.test.ts
const ITERATIONS = Number(process.env.PE_FUZZ_ITERATIONS ?? 2000);
const SEED = Number(process.env.PE_FUZZ_SEED ?? 0x5eed1234);

describe('parsePe on arbitrary bytes', () => {
  let corpus: Corpus[];
  beforeAll(() => {
    const b = buildFixtures();
    const files = [b.x64Driver, b.x86Driver, b.x64Dll, b.x86Dll];
    if (haveSharedDrivers) for (const d of loadManifest()) files.push(readSharedDriver(d.file));
    corpus = files.map(corpusEntry);
  });

  it(`throws nothing but PeFormatError over ${ITERATIONS} random and mutated inputs`, () => {
    const rnd = prng(SEED);
    const int = (n: number): number => Math.floor(rnd() * n);
    const failures: string[] = [];
    const outcomes = { ok: 0, rejected: 0 };
    for (let it = 0; it < ITERATIONS; it++) {
      let input: Uint8Array;
      let how: string;
      const pick = rnd();
      if (pick < 0.15) {
        // Pure noise, sometimes behind a valid MZ/PE prefix so the header parser gets further.
        input = new Uint8Array(int(2048));
        for (let i = 0; i < input.length; i++) input[i] = int(256);
        how = `random ${input.length} bytes`;
        if (input.length >= 0x100 && rnd() < 0.7) {
          input.set([0x4d, 0x5a], 0);
          input.set([0x40, 0, 0, 0], 0x3c);
          input.set([0x50, 0x45, 0, 0], 0x40);
          input.set(rnd() < 0.5 ? [0x4c, 0x01] : [0x64, 0x86], 0x44);
          how += ' behind MZ/PE headers';
        }
      } else {
        const c = corpus[int(corpus.length)]!;
        input = c.bytes.slice();
        if (pick < 0.3) {
          const cut = int(input.length);
          input = input.slice(0, cut);
          how = `truncation to ${cut} of corpus #${corpus.indexOf(c)}`;
        } else {
          const at = rnd() < 0.8 ? c.hot[int(c.hot.length)]! : int(input.length);
          const r = rnd();
          const value = r < 0.4 ? int(256) : r < 0.7 ? input[at]! ^ (1 << int(8)) : r < 0.85 ? 0 : 0xff;
          input[at] = value;
          how = `byte ${at} := ${value} in corpus #${corpus.indexOf(c)}`;
        }
      }
      const err = exercise(input);
      if (err === undefined) outcomes.ok++;
      else if (err instanceof PeFormatError && !err.message.includes('\n') && err.message.length < 400) outcomes.rejected++;
      else failures.push(`iteration ${it} (${how}): ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    expect(failures).toEqual([]);
    // The mutations must exercise both paths, or the fuzzing proves little.
    expect(outcomes.ok).toBeGreaterThan(ITERATIONS / 10);
    expect(outcomes.rejected).toBeGreaterThan(ITERATIONS / 10);
  });
});
