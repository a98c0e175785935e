// The framework structures kdemu reads and writes (hal/wdf/layout.ts) measured with gcc against kdemu's KMDF header,
// field by field, on x86 and x64: the two must agree, as the Windows structures agree with mingw-w64's.

import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../hal/layout/index.js';
import { wdfDefs } from '../../hal/wdf/layout.js';
import { ARCHES } from '../fixtures/build.js';
import { runProbe, type ProbeItem } from '../layout/probe.js';

describe.each(ARCHES)('%s', (arch) => {
  it('every described field of every framework structure sits where wdf.h puts it, and each size matches', () => {
    const items: ProbeItem[] = [];
    for (const [name, def] of Object.entries(wdfDefs)) {
      const l = layoutOf(def, arch);
      items.push({ label: `sizeof ${name}`, expr: `sizeof(${name})`, expected: l.size, headers: 'kmdf' });
      for (const [path, off] of Object.entries(l.offsets as Record<string, number>)) {
        items.push({ label: `${name}.${path}`, expr: `offsetof(${name}, ${path})`, expected: off, headers: 'kmdf' });
      }
    }
    const measured = runProbe(arch, { items, prelude: {} });
    const wrong = items.flatMap((it, i) => (measured[i] === it.expected ? [] : [`${it.label}: kdemu ${it.expected}, wdf.h ${measured[i]}`]));
    expect(wrong).toEqual([]);
    expect(items.length).toBeGreaterThan(150);
  });
});
