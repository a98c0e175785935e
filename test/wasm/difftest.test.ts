// The wasm core against Unicorn on random instructions of every implemented class (bench/difftest.ts), both modes.
import { describe, expect, it } from 'vitest';
import { difftest } from '../../bench/difftest.js';
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
