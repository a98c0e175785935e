// AVL generic tables (RTL_AVL_TABLE): a height-balanced tree of the caller's elements, ordered by its CompareRoutine,
// in memory its AllocateRoutine gives. Each element is an RTL_BALANCED_LINKS header (Balance: −1 left-heavy, 0,
// +1 right-heavy) followed by the caller's data. The table's BalancedRoot is a sentinel: its RightChild is the real
// root, whose Parent points back at it.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import {
  GenericGreaterThan, GenericLessThan, TableEmptyTree, TableFoundNode, TableInsertAsLeft, allocate, compare, findNodeOrParent, free,
  headerSize, leftmost, links, predecessor, rightmost, successor, type Links, type Routines,
} from './generic.js';

interface Avl extends Links {
  balance(n: bigint): number;
  setBalance(n: bigint, v: number): void;
}

function avlLinks(k: Kernel): Avl {
  const b = k.L.RTL_BALANCED_LINKS.off.Balance;
  return {
    ...links(k),
    balance: (n) => (k.m.u8At(n, b) << 24) >> 24,
    setBalance: (n, v) => k.m.setU8At(n, b, v & 0xff),
  };
}

function dataOffset(k: Kernel): number {
  return headerSize(k.L.RTL_BALANCED_LINKS.size);
}

/** The sentinel: the table's BalancedRoot. */
function sentinel(k: Kernel, table: bigint): bigint {
  return table + BigInt(k.L.RTL_AVL_TABLE.off.BalancedRoot);
}

function routines(k: Kernel, table: bigint): Routines {
  const o = k.L.RTL_AVL_TABLE.off;
  return { compare: k.m.ptrAt(table, o.CompareRoutine), allocate: k.m.ptrAt(table, o.AllocateRoutine), free: k.m.ptrAt(table, o.FreeRoutine) };
}

function rootOf(k: Kernel, table: bigint): bigint {
  return avlLinks(k).right(sentinel(k, table));
}

function find(k: Kernel, table: bigint, buffer: bigint): { result: number; node: bigint } {
  return findNodeOrParent(k, table, routines(k, table), links(k), rootOf(k, table), dataOffset(k), buffer);
}

/** Nodes whose parent is the sentinel have none in the tree. */
function topTest(k: Kernel, table: bigint, l: Links): (n: bigint) => boolean {
  const s = sentinel(k, table);
  return (n) => l.parent(n) === s;
}

/** Moves x one level up over its parent (the sentinel's RightChild follows when the root changes). */
function rotateUp(l: Avl, x: bigint): void {
  const p = l.parent(x);
  const g = l.parent(p);
  if (l.left(p) === x) {
    const b = l.right(x);
    l.setLeft(p, b);
    if (b !== 0n) l.setParent(b, p);
    l.setRight(x, p);
  } else {
    const b = l.left(x);
    l.setRight(p, b);
    if (b !== 0n) l.setParent(b, p);
    l.setLeft(x, p);
  }
  l.setParent(p, x);
  l.setParent(x, g);
  if (l.left(g) === p) l.setLeft(g, x);
  else l.setRight(g, x);
}

/**
 * S's subtree just grew (insert) or its other side shrank (delete) by one on the side its Balance already leans to:
 * a single rotation (the child leaning the same way comes up), a double rotation (the child leaning the other way
 * brings its inner child up two levels), or, only after a delete, a single rotation over a balanced child. Returns
 * whether that last case happened: the subtree kept its height, so a delete stops rebalancing there.
 */
function rebalanceNode(l: Avl, s: bigint): boolean {
  const a = l.balance(s);
  const r = a === 1 ? l.right(s) : l.left(s);
  const rb = l.balance(r);
  if (rb === a) {
    rotateUp(l, r);
    l.setBalance(r, 0);
    l.setBalance(s, 0);
    return false;
  }
  if (rb === -a) {
    const p = a === 1 ? l.left(r) : l.right(r);
    const pb = l.balance(p);
    rotateUp(l, p);
    rotateUp(l, p);
    l.setBalance(s, pb === a ? -a : 0);
    l.setBalance(r, pb === -a ? a : 0);
    l.setBalance(p, 0);
    return false;
  }
  rotateUp(l, r);
  l.setBalance(r, -a);
  return true;
}

/** Whether n is its parent's left child (the sentinel's only child is its right one). */
function isLeft(l: Links, n: bigint): boolean {
  return l.left(l.parent(n)) === n;
}

/**
 * After n was linked in under its parent: walks up setting balances while subtrees grew, rotating where one got two
 * levels deeper. The sentinel's Balance starts at −1 so that reaching it ends the walk, and says the tree got deeper.
 */
function retraceInsert(k: Kernel, table: bigint, l: Avl, n: bigint): void {
  const s = sentinel(k, table);
  l.setBalance(s, -1);
  let r = n;
  let p = l.parent(n);
  for (;;) {
    const a = isLeft(l, r) ? -1 : 1;
    const b = l.balance(p);
    if (b === 0) {
      l.setBalance(p, a);
      r = p;
      p = l.parent(p);
    } else if (b !== a) {
      l.setBalance(p, 0);
      if (l.balance(s) === 0) addDepth(k, table, 1);
      return;
    } else {
      rebalanceNode(l, p);
      return;
    }
  }
}

function addDepth(k: Kernel, table: bigint, d: number): void {
  const off = k.L.RTL_AVL_TABLE.off.DepthOfTree;
  k.m.setU32At(table, off, k.m.u32At(table, off) + d);
}

/**
 * Removes n from the tree. A node with two children hands the removal to its in-order neighbour on its heavier side
 * (the successor when balanced), which then takes n's place, links and Balance; balances are fixed on the way up
 * from where a node actually left. The sentinel's Balance starts at 0: reaching it means the tree got shallower.
 */
function avlDelete(k: Kernel, table: bigint, l: Avl, n: bigint): void {
  const s = sentinel(k, table);
  let easy = n;
  if (l.left(n) !== 0n && l.right(n) !== 0n) easy = l.balance(n) >= 0 ? leftmost(l, l.right(n)) : rightmost(l, l.left(n));
  const child = l.left(easy) !== 0n ? l.left(easy) : l.right(easy);
  const parent = l.parent(easy);
  let a = -1;
  if (isLeft(l, easy)) {
    l.setLeft(parent, child);
  } else {
    l.setRight(parent, child);
    a = 1;
  }
  if (child !== 0n) l.setParent(child, parent);
  l.setBalance(s, 0);
  let p = parent;
  for (;;) {
    const b = l.balance(p);
    if (b === a) {
      l.setBalance(p, 0);
    } else if (b === 0) {
      l.setBalance(p, -a);
      if (l.balance(s) !== 0) addDepth(k, table, -1);
      break;
    } else {
      if (rebalanceNode(l, p)) break;
      p = l.parent(p);
    }
    a = isLeft(l, p) ? -1 : 1;
    p = l.parent(p);
  }
  if (easy !== n) {
    // The neighbour takes n's place: its links and Balance (the Reserved bytes come along, as a structure copy would).
    k.m.write(easy, k.m.read(n, k.L.RTL_BALANCED_LINKS.size));
    const np = l.parent(easy);
    if (l.left(np) === n) l.setLeft(np, easy);
    else l.setRight(np, easy);
    if (l.left(easy) !== 0n) l.setParent(l.left(easy), easy);
    if (l.right(easy) !== 0n) l.setParent(l.right(easy), easy);
  }
}

/** The ordered-element cache (RtlGetElementGenericTableAvl's) forgotten after a delete. */
function resetOrdered(k: Kernel, table: bigint): void {
  const o = k.L.RTL_AVL_TABLE.off;
  k.m.setPtrAt(table, o.OrderedPointer, 0n);
  k.m.setU32At(table, o.WhichOrderedElement, 0);
}

function insert(k: Kernel, table: bigint, buffer: bigint, size: number, newElement: bigint, result: number, parent: bigint): bigint {
  const l = avlLinks(k);
  const data = dataOffset(k);
  if (result === TableFoundNode) {
    if (newElement !== 0n) k.m.setU8(newElement, 0);
    return parent + BigInt(data);
  }
  const node = allocate(k, table, routines(k, table), data + size);
  if (node === 0n) {
    if (newElement !== 0n) k.m.setU8(newElement, 0);
    return 0n;
  }
  const s = sentinel(k, table);
  l.setLeft(node, 0n);
  l.setRight(node, 0n);
  l.setBalance(node, 0);
  k.m.fill(node + BigInt(k.L.RTL_BALANCED_LINKS.off.Reserved), 3);
  if (size > 0) k.m.write(node + BigInt(data), k.m.read(buffer, size));
  const o = k.L.RTL_AVL_TABLE.off;
  k.m.setU32At(table, o.NumberGenericTableElements, k.m.u32At(table, o.NumberGenericTableElements) + 1);
  if (result === TableEmptyTree) {
    l.setRight(s, node);
    l.setParent(node, s);
    k.m.setU32At(table, o.DepthOfTree, 1);
  } else {
    if (result === TableInsertAsLeft) l.setLeft(parent, node);
    else l.setRight(parent, node);
    l.setParent(node, parent);
    retraceInsert(k, table, l, node);
  }
  // The GetElement cache is left as it is (Windows' too): an index cached before an insert may be off by one after.
  if (newElement !== 0n) k.m.setU8(newElement, 1);
  return node + BigInt(data);
}

function count(k: Kernel, table: bigint): number {
  return k.m.u32At(table, k.L.RTL_AVL_TABLE.off.NumberGenericTableElements);
}

function enumerate(k: Kernel, table: bigint, restartKey: bigint): bigint {
  const l = avlLinks(k);
  if (count(k, table) === 0) return 0n;
  const root = rootOf(k, table);
  const last = k.m.ptr(restartKey);
  const n = last === 0n ? leftmost(l, root) : successor(l, last, topTest(k, table, l));
  if (n === 0n) return 0n;
  k.m.setPtr(restartKey, n);
  return n + BigInt(dataOffset(k));
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlInitializeGenericTableAvl',
    proto: 'VOID RtlInitializeGenericTableAvl(PRTL_AVL_TABLE Table, PRTL_AVL_COMPARE_ROUTINE CompareRoutine, PRTL_AVL_ALLOCATE_ROUTINE AllocateRoutine, PRTL_AVL_FREE_ROUTINE FreeRoutine, PVOID TableContext)',
    params: { Table: 'ptr', CompareRoutine: 'ptr', AllocateRoutine: 'ptr', FreeRoutine: 'ptr', TableContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.RTL_AVL_TABLE.off;
      k.m.fill(a.Table, k.L.RTL_AVL_TABLE.size);
      // The sentinel is its own parent.
      avlLinks(k).setParent(sentinel(k, a.Table), sentinel(k, a.Table));
      k.m.setPtrAt(a.Table, o.CompareRoutine, a.CompareRoutine);
      k.m.setPtrAt(a.Table, o.AllocateRoutine, a.AllocateRoutine);
      k.m.setPtrAt(a.Table, o.FreeRoutine, a.FreeRoutine);
      k.m.setPtrAt(a.Table, o.TableContext, a.TableContext);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlInsertElementGenericTableAvl',
    proto: 'PVOID RtlInsertElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer, CLONG BufferSize, PBOOLEAN NewElement)',
    params: { Table: 'ptr', Buffer: 'ptr', BufferSize: 'u32', NewElement: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const f = find(k, a.Table, a.Buffer);
      return insert(k, a.Table, a.Buffer, a.BufferSize, a.NewElement, f.result, f.node);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlInsertElementGenericTableFullAvl',
    proto: 'PVOID RtlInsertElementGenericTableFullAvl(PRTL_AVL_TABLE Table, PVOID Buffer, CLONG BufferSize, PBOOLEAN NewElement, PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult)',
    params: { Table: 'ptr', Buffer: 'ptr', BufferSize: 'u32', NewElement: 'ptr', NodeOrParent: 'ptr', SearchResult: 'u32' }, ret: 'ptr',
    impl: (k, a) => insert(k, a.Table, a.Buffer, a.BufferSize, a.NewElement, a.SearchResult, a.NodeOrParent),
  }),
  defineExport({
    ...rtl, name: 'RtlLookupElementGenericTableAvl',
    proto: 'PVOID RtlLookupElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer)',
    params: { Table: 'ptr', Buffer: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const f = find(k, a.Table, a.Buffer);
      return f.result === TableFoundNode ? f.node + BigInt(dataOffset(k)) : 0n;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlLookupElementGenericTableFullAvl',
    proto: 'PVOID RtlLookupElementGenericTableFullAvl(PRTL_AVL_TABLE Table, PVOID Buffer, PVOID *NodeOrParent, TABLE_SEARCH_RESULT *SearchResult)',
    params: { Table: 'ptr', Buffer: 'ptr', NodeOrParent: 'ptr', SearchResult: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      // An empty tree leaves NodeOrParent as it was.
      const f = find(k, a.Table, a.Buffer);
      if (f.result !== TableEmptyTree) k.m.setPtr(a.NodeOrParent, f.node);
      k.m.setU32(a.SearchResult, f.result);
      return f.result === TableFoundNode ? f.node + BigInt(dataOffset(k)) : 0n;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlLookupFirstMatchingElementGenericTableAvl',
    proto: 'PVOID RtlLookupFirstMatchingElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer, PVOID *RestartKey)',
    params: { Table: 'ptr', Buffer: 'ptr', RestartKey: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      // The first element in order that compares equal (a CompareRoutine may call several equal, prefixes say):
      // back from the one the search found while the predecessors still match. RestartKey then enumerates on from it.
      const f = find(k, a.Table, a.Buffer);
      if (f.result !== TableFoundNode) return 0n;
      const l = avlLinks(k);
      const top = topTest(k, a.Table, l);
      const r = routines(k, a.Table);
      const data = BigInt(dataOffset(k));
      let n = f.node;
      for (;;) {
        const p = predecessor(l, n, top);
        if (p === 0n) break;
        const c = compare(k, a.Table, r, a.Buffer, p + data);
        if (c === GenericLessThan || c === GenericGreaterThan) break;
        n = p;
      }
      k.m.setPtr(a.RestartKey, n);
      return n + data;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlDeleteElementGenericTableAvl',
    proto: 'BOOLEAN RtlDeleteElementGenericTableAvl(PRTL_AVL_TABLE Table, PVOID Buffer)',
    params: { Table: 'ptr', Buffer: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const f = find(k, a.Table, a.Buffer);
      if (f.result !== TableFoundNode) return 0;
      const o = k.L.RTL_AVL_TABLE.off;
      const l = avlLinks(k);
      // RtlEnumerateGenericTableAvl's place moves back to the predecessor, so that enumerating while deleting works.
      if (k.m.ptrAt(a.Table, o.RestartKey) === f.node) k.m.setPtrAt(a.Table, o.RestartKey, predecessor(l, f.node, topTest(k, a.Table, l)));
      avlDelete(k, a.Table, l, f.node);
      k.m.setU32At(a.Table, o.NumberGenericTableElements, k.m.u32At(a.Table, o.NumberGenericTableElements) - 1);
      k.m.setU32At(a.Table, o.DeleteCount, k.m.u32At(a.Table, o.DeleteCount) + 1);
      resetOrdered(k, a.Table);
      free(k, a.Table, routines(k, a.Table), f.node);
      return 1;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlEnumerateGenericTableAvl',
    proto: 'PVOID RtlEnumerateGenericTableAvl(PRTL_AVL_TABLE Table, BOOLEAN Restart)',
    params: { Table: 'ptr', Restart: 'bool' }, ret: 'ptr',
    impl: (k, a) => {
      // The table's own RestartKey holds the place, as RtlEnumerateGenericTableWithoutSplayingAvl's caller would.
      const key = a.Table + BigInt(k.L.RTL_AVL_TABLE.off.RestartKey);
      if (a.Restart) k.m.setPtr(key, 0n);
      return enumerate(k, a.Table, key);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlEnumerateGenericTableWithoutSplayingAvl',
    proto: 'PVOID RtlEnumerateGenericTableWithoutSplayingAvl(PRTL_AVL_TABLE Table, PVOID *RestartKey)',
    params: { Table: 'ptr', RestartKey: 'ptr' }, ret: 'ptr',
    impl: (k, a) => enumerate(k, a.Table, a.RestartKey),
  }),
  defineExport({
    ...rtl, name: 'RtlGetElementGenericTableAvl',
    proto: 'PVOID RtlGetElementGenericTableAvl(PRTL_AVL_TABLE Table, ULONG I)',
    params: { Table: 'ptr', I: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      // The I-th element in collation order (0-based, as WhichOrderedElement counts), walked to from the cached
      // element, the first or the last, whichever Windows' distance rule picks.
      const o = k.L.RTL_AVL_TABLE.off;
      const number = count(k, a.Table);
      const i = a.I;
      if (i === 0xffffffff || i + 1 > number) return 0n;
      const l = avlLinks(k);
      const top = topTest(k, a.Table, l);
      const root = rootOf(k, a.Table);
      let at = k.m.u32At(a.Table, o.WhichOrderedElement);
      let n = k.m.ptrAt(a.Table, o.OrderedPointer);
      if (n === 0n) {
        n = leftmost(l, root);
        at = 0;
        k.m.setPtrAt(a.Table, o.OrderedPointer, n);
        k.m.setU32At(a.Table, o.WhichOrderedElement, 0);
      }
      if (i === at) return n + BigInt(dataOffset(k));
      const step = (from: bigint, times: number, next: (x: bigint) => bigint) => {
        for (let j = 0; j < times; j++) from = next(from);
        return from;
      };
      const succ = (x: bigint) => successor(l, x, top);
      const pred = (x: bigint) => predecessor(l, x, top);
      if (at > i) {
        n = i >= Math.floor(at / 2) ? step(n, at - i, pred) : step(leftmost(l, root), i, succ);
      } else {
        const forward = i - at;
        const backward = number - (i + 1);
        n = forward <= backward + 1 ? step(n, forward, succ) : step(rightmost(l, root), backward, pred);
      }
      k.m.setPtrAt(a.Table, o.OrderedPointer, n);
      k.m.setU32At(a.Table, o.WhichOrderedElement, i);
      return n + BigInt(dataOffset(k));
    },
  }),
  defineExport({
    ...rtl, name: 'RtlNumberGenericTableElementsAvl', proto: 'ULONG RtlNumberGenericTableElementsAvl(PRTL_AVL_TABLE Table)',
    params: { Table: 'ptr' }, ret: 'u32',
    impl: (k, a) => k.m.u32At(a.Table, k.L.RTL_AVL_TABLE.off.NumberGenericTableElements),
  }),
  defineExport({
    ...rtl, name: 'RtlIsGenericTableEmptyAvl', proto: 'BOOLEAN RtlIsGenericTableEmptyAvl(PRTL_AVL_TABLE Table)',
    params: { Table: 'ptr' }, ret: 'bool',
    impl: (k, a) => (count(k, a.Table) === 0 ? 1 : 0),
  }),
];
