// The wasm core against Unicorn on random instructions of every implemented class (bench/difftest.ts), both modes.
import { describe, expect, it } from 'vitest';
import { difftest, sseCandidates } from '../../bench/difftest.js';
import { requireEngines } from '../helpers.js';

const both = requireEngines('difftest', 'unicorn', 'wasm');

/** Instructions per architecture: at least 200,000 each, with no mismatch. */
const COUNT = 200_000;

describe.skipIf(!both)('wasm core vs Unicorn on random instructions', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`agrees on ${COUNT} random ${arch} instructions (seed 7)`, { timeout: 300_000 }, () => {
      const reports: string[] = [];
      const r = difftest({ arch, count: COUNT, seed: 7, onMismatch: (m) => reports.push(m) });
      expect(reports.join('\n\n')).toBe('');
      expect(r.mismatches).toBe(0);
      // Most generated instructions must be implemented (x86 skips 16-bit addressing, which is not).
      expect(r.ran).toBeGreaterThan(COUNT * 0.95);
    });
  }
});

/** SSE-family cases per architecture (every SSE..SSE4.2, BMI1/2 and ADX encoding the machine advertises). */
const SSE_COUNT = 100_000;

describe.skipIf(!both)('wasm core vs Unicorn on the SSE-family encodings of iced-x86\'s tables', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`agrees on ${SSE_COUNT} random ${arch} SSE/SSE2/SSE3/SSSE3/SSE4/BMI/ADX instructions, xmm registers and MXCSR included (seed 7)`, { timeout: 300_000 }, () => {
      const reports: string[] = [];
      const r = difftest({ arch, family: 'sse', count: SSE_COUNT, seed: 7, onMismatch: (m) => reports.push(m) });
      expect(reports.join('\n\n')).toBe('');
      expect(r.mismatches).toBe(0);
      // Every generated encoding is implemented (only arithmetic under another MXCSR rounding mode is skipped),
      // and the tables give more than a few.
      expect(r.skipped).toBeLessThan(SSE_COUNT * 0.05);
      expect(r.byMnemonic.size).toBeGreaterThan(150);
    });
  }

  it('derives its candidates from iced-x86 and says why the rest are left out', () => {
    const c = sseCandidates('x64');
    expect(c.codes.length).toBeGreaterThan(250);
    const reasons = [...c.excluded.keys()];
    expect(reasons.some((r) => r.startsWith('MMX registers'))).toBe(true);
    expect(c.excluded.get('Unicorn differs from the SDM: its CPU model lacks POPCNT (#UD); wasm-only tests')).toContain('POPCNT r64, r/m64');
    // Nothing of SSE..SSE4.2 is left out for want of CPUID.
    expect(reasons.filter((r) => r.startsWith('not in the advertised CPUID'))).toEqual([]);
  });
});
