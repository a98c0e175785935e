// mapAlias: one page of memory seen at two addresses (the memory manager's MDL mappings), on every engine.
import { describe, expect, it } from 'vitest';
import { Prot } from '../../emu/engine.js';
import { createEngine } from '../../emu/index.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('mapAlias');

describe.each(engines)('%s engine', (name) => {
  it('shows a guest write through one address at the other, and host writes both ways', () => {
    const e = createEngine(name, 'x64');
    const code = 0xfffff80000100000n;
    const src = 0xfffff80000200000n;
    const view = 0x0000000000500000n;
    e.map(code, 0x1000, Prot.RX);
    e.map(src, 0x2000, Prot.RW);
    e.mapAlias(view, src + 0x1000n, Prot.RW | Prot.User);
    // mov rax, view+8 ; mov dword [rax], 0x11223344 ; int3
    e.write(code, Uint8Array.from([0x48, 0xb8, ...new Uint8Array(new BigUint64Array([view + 8n]).buffer), 0xc7, 0x00, 0x44, 0x33, 0x22, 0x11, 0xcc]));
    expect(e.run(code, 0)).toMatchObject({ kind: 'interrupt', vector: 3 });
    expect([...e.read(src + 0x1008n, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    e.write(src + 0x1010n, Uint8Array.of(7));
    expect(e.read(view + 0x10n, 1)[0]).toBe(7);
    expect(e.pageProt(view)).toBe(Prot.RW | Prot.User);
    // Removing the view leaves the memory where it was.
    e.unmap(view, 0x1000);
    expect(e.pageProt(view)).toBeUndefined();
    expect(e.read(src + 0x1010n, 1)[0]).toBe(7);
    e.close();
  });
});
