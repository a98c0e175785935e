// Kernel-mode CNG (ksecdd.sys): digests and HMACs computed for real, CNG's property and size rules, a deterministic
// generator, and the handles' misuse.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { enginesHere } from '../helpers.js';
import { run } from './harness.js';

const ENGINES_HERE = enginesHere('bcrypt', ['wasm', 'unicorn']);

describe.each(ARCHES)('%s', (arch) => {
  const lines = (engine: 'wasm' | 'unicorn' = 'wasm') => {
    const { report } = run(buildDriver('bcrypt', arch), [], { engine });
    expect(report.outcome).toBe('completed');
    return report.dbgPrint.map((l) => l.replace(/\n$/, ''));
  };

  it('SHA-256, HMAC-SHA1 and MD5 give the standard test vectors; a duplicate hash goes on independently', () => {
    const l = lines();
    expect(l).toContain('SHA256(abc): 00000000 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(l).toContain('HMAC-SHA1: 00000000 de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9');
    expect(l).toContain('MD5(message digest) via a duplicate: 00000000 f96b697d7cb7938d525a2f31aaf161d0');
    expect(l).toContain('MD5(message ) from the original: 00000000 9b10c9985311d8a19afc271140d7258e');
  });

  it("properties and CNG's rules: sizes, a short buffer, a finished hash, a small hash object, a wrong digest size", () => {
    expect(lines().slice(0, 8)).toEqual([
      'open SHA256: 00000000',
      'ObjectLength: 00000000 318 (4 bytes)',
      'HashDigestLength: 00000000 32',
      'short property buffer: c0000023 needs 4',
      'SHA256(abc): 00000000 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      'after finish: c000000d',
      'object too small: c0000023',
      'wrong digest size: c000000d',
    ]);
  });

  it('the generator gives the same bytes on every run and engine; unknown algorithms and closed handles are refused', () => {
    const runs = ENGINES_HERE.map((e) => lines(e).slice(-4));
    for (const r of runs) {
      expect(r).toEqual(['unknown algorithm: c0000225', 'random draws differ: 1', 'first draw: 00000000 13ab14c940de3ab6', 'closed twice: c0000008']);
    }
  });
});
