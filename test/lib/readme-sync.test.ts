// The README's vitest example is test/lib/readme-example.test.ts, word for word: a change to one without the other fails.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repo } from '../helpers.js';

it("the README's vitest example is the example test, as written", () => {
  const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Testing drivers from TypeScript (vitest)'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const test = readFileSync(path.join(repo, 'test', 'lib', 'readme-example.test.ts'), 'utf8');
  // The test file's opening comment line is not part of the example.
  expect(block).toBe(test.replace(/^\/\/.*\n\n/, ''));
});
