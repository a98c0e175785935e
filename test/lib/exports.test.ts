// The package's "exports" map, as a program outside vitest sees it (vitest itself maps the names to the sources):
// 'kdemu' and 'kdemu/vitest' resolve to the built library and its declarations. Needs the build (npm run build).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from '../helpers.js';

const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  name: string;
  types: string;
  exports: Record<string, { types: string; default: string }>;
};

describe('package exports', () => {
  it('names the library and its matchers, each with its declarations, all present in dist/', () => {
    expect(pkg.name).toBe('kdemu');
    expect(pkg.exports['.']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
    expect(pkg.exports['./vitest']).toEqual({ types: './dist/lib/vitest.d.ts', default: './dist/lib/vitest.js' });
    expect(pkg.types).toBe(pkg.exports['.'].types);
    for (const entry of ['.', './vitest']) {
      for (const file of Object.values(pkg.exports[entry])) expect(existsSync(path.join(repo, file)), file).toBe(true);
    }
    expect(readFileSync(path.join(repo, 'dist/lib/vitest.d.ts'), 'utf8')).toMatch(/declare module 'vitest' \{\s*interface Assertion<T = any> extends KdemuMatchers<void>/);
  });

  it("node resolves the package's own name through the map and the library runs a driver", () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "const { loadDriver, hex } = await import('kdemu');",
      "const where = createRequire(process.cwd() + '/package.json');",
      "const d = await loadDriver('samples/build/x64/ioctl.sys');",
      "const r = d.open('KdIoctl').ioctl(0x222000, hex('0200000003000000'), 4);",
      'const u = d.unload();',
      "console.log(JSON.stringify({ main: where.resolve('kdemu'), vitest: where.resolve('kdemu/vitest'), status: r.statusName, data: [...r.data], leaks: u.leaks.length }));",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      main: path.join(repo, 'dist/lib/index.js'),
      vitest: path.join(repo, 'dist/lib/vitest.js'),
      status: 'STATUS_SUCCESS',
      data: [5, 0, 0, 0],
      leaks: 0,
    });
  });
});
