// FsRtl's wildcard matcher on its own: '*', '?' and the DOS wildcards (<, >, ") on names Windows has answered for.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isFatLegal, matchExpression } from '../../hal/fsrtl/name.js';
import { upcase } from '../../hal/rtl/nls.js';

const units = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** expression | name | upcase the name | expected */
const CASES = readFileSync(new URL('../fixtures/fsrtl-expressions.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [expr, name, ic, want] = l.split('|');
    return { expr, name, ignoreCase: ic === '1', want: want === '1' };
  });

describe('FsRtl expression matching', () => {
  it.each(CASES)('"$expr" against "$name" (ignore case $ignoreCase) is $want', ({ expr, name, ignoreCase, want }) => {
    const n = units(name).map((c) => (ignoreCase ? upcase(c) : c));
    expect(matchExpression(units(expr), n)).toBe(want);
  });
});

/** name (hex bytes), legal FAT name, has wildcards, is a path, has a leading backslash. */
const FAT = (JSON.parse(readFileSync(new URL('../fixtures/fsrtl-fat-names.json', import.meta.url), 'utf8')) as { names: [string, boolean, boolean, boolean, boolean][] }).names;

describe('FsRtlIsFatDbcsLegal rules', () => {
  it.each(FAT)('%s under each combination of flags', (hex, legal, wild, path, backslash) => {
    const b = [...Buffer.from(hex, 'hex')];
    for (let flags = 0; flags < 8; flags++) {
      const [w, p, l] = [(flags & 1) !== 0, (flags & 2) !== 0, (flags & 4) !== 0];
      const want = legal && (!wild || w) && (!path || p) && (!backslash || l);
      expect(isFatLegal(b, w, p, l), `flags ${flags}`).toBe(want);
    }
  });
});
