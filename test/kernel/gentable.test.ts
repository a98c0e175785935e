// Generic tables, splay and AVL, as a driver observes them: its own Compare/Allocate/Free routines called, the table
// header kept coherent for inline readers, and the trees in its nodes (walked and checked by the driver itself).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { requireEngines } from '../helpers.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  // One run per architecture: every test reads its output.
  let cached: ReturnType<typeof run> | undefined;
  const result = () => (cached ??= run(buildDriver('gentable', arch)));
  /** The driver's output as whole lines (some lines take two DbgPrint calls). */
  const lines = () => {
    const { report } = result();
    expect(report.outcome).toBe('completed');
    return report.dbgPrint.join('').split('\n').filter(Boolean);
  };
  const line = (prefix: string) => {
    const l = lines().find((x) => x.startsWith(prefix));
    expect(l, prefix).toBeDefined();
    return l!;
  };
  const nil = arch === 'x64' ? '0000000000000000' : '00000000';

  it('RtlInitializeGenericTable fills the header; inserts allocate the node header plus the data through the AllocateRoutine', () => {
    expect(line('splay init')).toBe('splay init: context 1 routines 1 list empty 1');
    expect(line('splay empty')).toBe('splay empty: count 0 (header 0) empty 1 tree 0 root-is-own-parent -1');
    // RTL_SPLAY_LINKS and the insertion-order LIST_ENTRY, then the 8-byte data copied from the caller's buffer.
    const header = arch === 'x64' ? 40 : 24;
    expect(line('splay node')).toBe(`splay node: allocated ${header + 8} bytes, data at +${header}, copied 50/500, not the caller's buffer 1`);
    expect(line('splay inserted')).toBe('splay inserted new: 1 1 1 1 1 1 1 1');
    // The driver walked the splay links: 8 nodes in key order, parents consistent, the root its own parent.
    expect(line('splay 8:')).toBe('splay 8: count 8 (header 8) empty 0 tree 8 root-is-own-parent 1');
    expect(line('splay root is')).toBe('splay root is the last inserted: 1');
  });

  it('an existing key is not inserted again; lookups find by CompareRoutine and splay the element to the root', () => {
    expect(line('splay insert 30 again')).toBe('splay insert 30 again: new 0 value 300 allocations 0');
    expect(line('splay lookup 70')).toBe('splay lookup 70: 700, now the root 1');
    expect(line('splay lookup 75')).toBe(`splay lookup 75: ${nil}`);
  });

  it('enumeration is in key order; RtlGetElementGenericTable is in insertion order and caches its place', () => {
    expect(line('splay enumerate:')).toBe('splay enumerate: 10 20 30 50 60 70 80 90');
    expect(line('splay enumerate without')).toBe('splay enumerate without splaying: 10 20 30 50 60 70 80 90 root unchanged 1');
    expect(line('splay get by index')).toBe(`splay get by index (insertion order): 50 20 80 10 30 70 90 60; index 8 ${nil}`);
    expect(line('splay get 3')).toBe('splay get 3: 10 WhichOrderedElement 4');
  });

  it('RtlDeleteElementGenericTable unlinks the element from tree and list and gives it to the FreeRoutine; a missing key is FALSE', () => {
    expect(line('splay delete 20')).toBe('splay delete 20: 1 frees 1, again 0 frees 1');
    expect(line('splay 7:')).toBe('splay 7: count 7 (header 7) empty 0 tree 7 root-is-own-parent 1');
    expect(line('splay after delete')).toBe('splay after delete, sorted then insertion order: 10 30 50 60 70 80 90 50 80 10 30 70 90 60');
  });

  it('the Full forms hand back the place of a search and insert there without comparing again; a failed allocation inserts nothing', () => {
    expect(line('splay full 35')).toBe('splay full 35: insert as a child 1, new 1 value 350 compares 0');
    expect(line('splay full lookup 35')).toBe('splay full lookup 35: found 1 node 1');
    expect(line('splay 8 again')).toBe('splay 8 again: count 8 (header 8) empty 0 tree 8 root-is-own-parent 1');
    expect(line('splay insert with a failing')).toBe(`splay insert with a failing allocator: ${nil} count 8`);
    expect(line('splay emptied')).toBe(`splay emptied: frees 8 count 0 root ${nil} list empty 1`);
  });

  it('RtlInitializeGenericTableAvl sets up the BalancedRoot sentinel; 100 ascending keys make a balanced tree', () => {
    expect(line('avl init')).toBe(`avl init: context 1 sentinel parent 1 root ${nil}`);
    expect(line('avl empty')).toBe('avl empty: count 0 (header 0) empty 1 nodes 0 height 0 DepthOfTree 0 root parent is BalancedRoot -1');
    const header = arch === 'x64' ? 32 : 16;
    expect(line('avl node')).toBe(`avl node: allocated ${header + 8} bytes, data at +${header}`);
    expect(line('avl inserted')).toBe('avl inserted 1..100: failures 0 allocations 100');
    // The driver checked every node's Balance against its subtree heights: a list would be 100 deep, AVL gives 7.
    expect(line('avl 100')).toBe('avl 100: count 100 (header 100) empty 0 nodes 100 height 7 DepthOfTree 7 root parent is BalancedRoot 1');
    expect(line('avl insert 42')).toBe(`avl insert 42 again: new 0 value 420 allocations 100; lookup 77 770 lookup 101 ${nil}`);
  });

  it('AVL deletes keep the tree balanced and count in DeleteCount', () => {
    expect(line('avl deleted')).toBe('avl deleted the even keys: 50, again 0, frees 50 DeleteCount 50');
    const m = /^avl 50: count 50 \(header 50\) empty 0 nodes 50 height (-?\d+) DepthOfTree (\d+) root parent is BalancedRoot 1$/.exec(line('avl 50'));
    expect(m).not.toBeNull();
    // Balanced (the check gives -1000 otherwise): at least log2(51), at most the AVL bound 1.44 log2(52).
    expect(Number(m![1])).toBeGreaterThanOrEqual(6);
    expect(Number(m![1])).toBeLessThanOrEqual(8);
    // DepthOfTree follows the height through the deletes.
    expect(m![2]).toBe(m![1]);
  });

  it('AVL enumeration keeps its place in RestartKey; RtlGetElementGenericTableAvl is in key order', () => {
    // The loop's last call returned 9: the table's RestartKey is that node. WhichOrderedElement counts from 0.
    expect(line('avl enumerate:')).toBe('avl enumerate: 1 3 5 7 RestartKey at 9 1');
    expect(line('avl enumerate all')).toBe('avl enumerate all: 50, without splaying past 90: 91 93 95 97 99');
    expect(line('avl get by index')).toBe(`avl get by index (sorted) 0 1 2 49 10: 1 3 5 99 21; 50 ${nil} WhichOrderedElement 10`);
  });

  it('RtlLookupFirstMatchingElementGenericTableAvl returns the first of the elements that compare equal and enumerates on from it', () => {
    expect(line('avl first matching 3x')).toBe('avl first matching 3x: 31, next 33');
    expect(line('avl first matching 36')).toBe(`avl first matching 36 exactly: ${nil}`);
    expect(line('avl full 36')).toBe('avl full 36: insert as a child 1, new 1 value 360');
    expect(line('avl 51')).toMatch(/^avl 51: count 51 \(header 51\) empty 0 nodes 51 height ([678]) DepthOfTree \1 root parent is BalancedRoot 1$/);
    // 17 odd multiples of 3 and 36 deleted while enumerating, and still every element visited once.
    expect(line('avl enumerate and delete')).toBe('avl enumerate and delete multiples of 3: visited 51 deleted 18');
    expect(line('avl 33')).toMatch(/^avl 33: count 33 \(header 33\) empty 0 nodes 33 height ([678]) DepthOfTree \1 root parent is BalancedRoot 1$/);
    expect(line('avl emptied')).toBe('avl emptied: frees 33');
    expect(line('avl none')).toBe('avl none: count 0 (header 0) empty 1 nodes 0 height 0 DepthOfTree 0 root parent is BalancedRoot -1');
    expect(line('avl one')).toBe('avl one: count 1 (header 1) empty 0 nodes 1 height 1 DepthOfTree 1 root parent is BalancedRoot 1');
  });

  it('the driver\'s routines are called by the kernel exports', () => {
    const { report, trace } = result();
    const called = new Set(events(trace, 'call').map((e) => e.export.replace(/^ntoskrnl\.exe!/, '')));
    for (const name of ['RtlInitializeGenericTable', 'RtlInsertElementGenericTable', 'RtlInsertElementGenericTableFull', 'RtlLookupElementGenericTable',
      'RtlLookupElementGenericTableFull', 'RtlDeleteElementGenericTable', 'RtlEnumerateGenericTable', 'RtlEnumerateGenericTableWithoutSplaying',
      'RtlGetElementGenericTable', 'RtlNumberGenericTableElements', 'RtlIsGenericTableEmpty', 'RtlInitializeGenericTableAvl', 'RtlInsertElementGenericTableAvl',
      'RtlInsertElementGenericTableFullAvl', 'RtlLookupElementGenericTableAvl', 'RtlLookupElementGenericTableFullAvl', 'RtlDeleteElementGenericTableAvl',
      'RtlEnumerateGenericTableAvl', 'RtlEnumerateGenericTableWithoutSplayingAvl', 'RtlGetElementGenericTableAvl', 'RtlNumberGenericTableElementsAvl',
      'RtlIsGenericTableEmptyAvl', 'RtlLookupFirstMatchingElementGenericTableAvl']) {
      expect(called, name).toContain(name);
    }
    const callbacks = new Set(events(trace, 'callback').map((e) => e.routine));
    for (const r of ['generic table CompareRoutine', 'generic table AllocateRoutine', 'generic table FreeRoutine']) expect(callbacks, r).toContain(r);
    expect(report.outcome).toBe('completed');
  });

  // The routines call back into the driver from inside an export: both engines must see the same tables.
  it.skipIf(!requireEngines('generic tables', 'unicorn'))('the Unicorn engine gives the same output, run after run', () => {
    const wasm = result().report;
    const unicorn = run(buildDriver('gentable', arch), [], { engine: 'unicorn' }).report;
    expect(unicorn.outcome).toBe('completed');
    expect(unicorn.dbgPrint).toEqual(wasm.dbgPrint);
    expect(run(buildDriver('gentable', arch)).report.dbgPrint).toEqual(wasm.dbgPrint);
  });
});
