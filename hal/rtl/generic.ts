// Generic tables (RTL_GENERIC_TABLE): a splay tree of the caller's elements, ordered by the caller's CompareRoutine,
// in memory the caller's AllocateRoutine gives. Each element is a node header (RTL_SPLAY_LINKS, then the LIST_ENTRY
// of the insertion-order list) followed by the caller's data; the tree and the list live in those nodes, and the table
// header in the caller's memory stays what header inlines read (TableRoot, NumberGenericTableElements ...).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

// RTL_GENERIC_COMPARE_RESULTS and TABLE_SEARCH_RESULT.
export const GenericLessThan = 0;
export const GenericGreaterThan = 1;
export const TableEmptyTree = 0;
export const TableFoundNode = 1;
export const TableInsertAsLeft = 2;
export const TableInsertAsRight = 3;

/** Parent / LeftChild / RightChild of a node (RTL_SPLAY_LINKS and RTL_BALANCED_LINKS start alike). */
export interface Links {
  parent(n: bigint): bigint;
  left(n: bigint): bigint;
  right(n: bigint): bigint;
  setParent(n: bigint, v: bigint): void;
  setLeft(n: bigint, v: bigint): void;
  setRight(n: bigint, v: bigint): void;
}

export function links(k: Kernel): Links {
  const o = k.L.RTL_SPLAY_LINKS.off;
  const m = k.m;
  return {
    parent: (n) => m.ptrAt(n, o.Parent),
    left: (n) => m.ptrAt(n, o.LeftChild),
    right: (n) => m.ptrAt(n, o.RightChild),
    setParent: (n, v) => m.setPtrAt(n, o.Parent, v),
    setLeft: (n, v) => m.setPtrAt(n, o.LeftChild, v),
    setRight: (n, v) => m.setPtrAt(n, o.RightChild, v),
  };
}

/** The table's routines, called as Windows calls them: (Table, ...). */
export interface Routines {
  compare: bigint;
  allocate: bigint;
  free: bigint;
}

/** The caller's CompareRoutine on (Table, Buffer, an element's data): GenericLessThan, GenericGreaterThan or equal. */
export function compare(k: Kernel, table: bigint, r: Routines, buffer: bigint, data: bigint): number {
  return Number(k.callRoutine(r.compare, [table, buffer, data], 'generic table CompareRoutine') & 0xffffffffn);
}

/** A node of `bytes` from the caller's AllocateRoutine (0: it failed). */
export function allocate(k: Kernel, table: bigint, r: Routines, bytes: number): bigint {
  const p = k.callRoutine(r.allocate, [table, BigInt(bytes)], 'generic table AllocateRoutine');
  return k.ptrSize === 8 ? p : p & 0xffffffffn;
}

export function free(k: Kernel, table: bigint, r: Routines, node: bigint): void {
  k.callRoutine(r.free, [table, node], 'generic table FreeRoutine');
}

/** The node header's size: the links (and list entry), then the data at LONGLONG alignment. */
export function headerSize(linkBytes: number): number {
  return (linkBytes + 7) & ~7;
}

/**
 * Walks from `root` to the node whose data compares equal to buffer, or to the node a new one would hang from.
 * Returns the search result and that node (0 for an empty tree).
 */
export function findNodeOrParent(k: Kernel, table: bigint, r: Routines, l: Links, root: bigint, dataOffset: number, buffer: bigint): { result: number; node: bigint } {
  if (root === 0n) return { result: TableEmptyTree, node: 0n };
  let n = root;
  for (;;) {
    const c = compare(k, table, r, buffer, n + BigInt(dataOffset));
    if (c === GenericLessThan) {
      const next = l.left(n);
      if (next === 0n) return { result: TableInsertAsLeft, node: n };
      n = next;
    } else if (c === GenericGreaterThan) {
      const next = l.right(n);
      if (next === 0n) return { result: TableInsertAsRight, node: n };
      n = next;
    } else {
      return { result: TableFoundNode, node: n };
    }
  }
}

export function leftmost(l: Links, n: bigint): bigint {
  while (l.left(n) !== 0n) n = l.left(n);
  return n;
}

export function rightmost(l: Links, n: bigint): bigint {
  while (l.right(n) !== 0n) n = l.right(n);
  return n;
}

/** The next node in order, or 0; `isTop(n)` says n has no real parent (a splay root, an AVL table's root). */
export function successor(l: Links, n: bigint, isTop: (n: bigint) => boolean): bigint {
  if (l.right(n) !== 0n) return leftmost(l, l.right(n));
  while (!isTop(n)) {
    const p = l.parent(n);
    if (l.left(p) === n) return p;
    n = p;
  }
  return 0n;
}

export function predecessor(l: Links, n: bigint, isTop: (n: bigint) => boolean): bigint {
  if (l.left(n) !== 0n) return rightmost(l, l.left(n));
  while (!isTop(n)) {
    const p = l.parent(n);
    if (l.right(p) === n) return p;
    n = p;
  }
  return 0n;
}

// ---- the splay tree (RTL_SPLAY_LINKS: a root is its own parent) ----------------------------------------------

function isRoot(l: Links, n: bigint): boolean {
  return l.parent(n) === n;
}

/** Moves x one level up over its parent. */
function rotate(l: Links, x: bigint): void {
  const p = l.parent(x);
  const pIsRoot = isRoot(l, p);
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
  if (pIsRoot) {
    l.setParent(x, x);
  } else {
    l.setParent(x, g);
    if (l.left(g) === p) l.setLeft(g, x);
    else l.setRight(g, x);
  }
}

/** RtlSplay: rotates x up to the root (zig, zig-zig, zig-zag steps) and returns it. */
function splay(l: Links, x: bigint): bigint {
  while (!isRoot(l, x)) {
    const p = l.parent(x);
    if (isRoot(l, p)) {
      rotate(l, x);
    } else {
      const g = l.parent(p);
      if ((l.left(g) === p) === (l.left(p) === x)) {
        rotate(l, p);
        rotate(l, x);
      } else {
        rotate(l, x);
        rotate(l, x);
      }
    }
  }
  return x;
}

/** Puts `by` (or nothing) where n hangs from its parent; n was a root: by becomes the root. */
function replaceInParent(l: Links, n: bigint, by: bigint): void {
  if (isRoot(l, n)) {
    if (by !== 0n) l.setParent(by, by);
    return;
  }
  const p = l.parent(n);
  if (l.left(p) === n) l.setLeft(p, by);
  else l.setRight(p, by);
  if (by !== 0n) l.setParent(by, p);
}

/**
 * RtlDelete: unlinks n (a node with two children trades places with its in-order predecessor first) and splays the
 * parent of the place that went away. Returns the new root, 0 when the tree is now empty.
 */
function splayDelete(l: Links, n: bigint): bigint {
  let start: bigint;
  if (l.left(n) !== 0n && l.right(n) !== 0n) {
    const pred = rightmost(l, l.left(n));
    const predParent = l.parent(pred);
    if (predParent === n) {
      start = pred;
    } else {
      // The predecessor leaves its place (it has no right child) to its left subtree.
      const c = l.left(pred);
      l.setRight(predParent, c);
      if (c !== 0n) l.setParent(c, predParent);
      l.setLeft(pred, l.left(n));
      l.setParent(l.left(n), pred);
      start = predParent;
    }
    l.setRight(pred, l.right(n));
    l.setParent(l.right(n), pred);
    const wasRoot = isRoot(l, n);
    replaceInParent(l, n, pred);
    if (wasRoot) l.setParent(pred, pred);
  } else {
    const child = l.left(n) !== 0n ? l.left(n) : l.right(n);
    if (isRoot(l, n)) {
      if (child !== 0n) l.setParent(child, child);
      return child;
    }
    start = l.parent(n);
    replaceInParent(l, n, child);
  }
  return splay(l, start);
}

// ---- the table ------------------------------------------------------------------------------------------------

function splayShape(k: Kernel) {
  const linkBytes = k.L.RTL_SPLAY_LINKS.size;
  return {
    /** Where the insertion-order LIST_ENTRY sits in a node, and where the caller's data starts. */
    listEntry: linkBytes,
    data: headerSize(linkBytes + k.L.LIST_ENTRY.size),
  };
}

function routines(k: Kernel, table: bigint): Routines {
  const o = k.L.RTL_GENERIC_TABLE.off;
  return { compare: k.m.ptrAt(table, o.CompareRoutine), allocate: k.m.ptrAt(table, o.AllocateRoutine), free: k.m.ptrAt(table, o.FreeRoutine) };
}

function root(k: Kernel, table: bigint): bigint {
  return k.m.ptrAt(table, k.L.RTL_GENERIC_TABLE.off.TableRoot);
}

function setRoot(k: Kernel, table: bigint, n: bigint): void {
  k.m.setPtrAt(table, k.L.RTL_GENERIC_TABLE.off.TableRoot, n);
}

function find(k: Kernel, table: bigint, buffer: bigint): { result: number; node: bigint } {
  return findNodeOrParent(k, table, routines(k, table), links(k), root(k, table), splayShape(k).data, buffer);
}

/** The ordered-element cache (RtlGetElementGenericTable's) back at the list head. */
function resetOrdered(k: Kernel, table: bigint): void {
  const o = k.L.RTL_GENERIC_TABLE.off;
  k.m.setPtrAt(table, o.OrderedPointer, table + BigInt(o.InsertOrderList));
  k.m.setU32At(table, o.WhichOrderedElement, 0);
}

/** Inserts a new element at the place a search found (result/parent), or returns the existing one. */
function insert(k: Kernel, table: bigint, buffer: bigint, size: number, newElement: bigint, result: number, parent: bigint): bigint {
  const s = splayShape(k);
  const l = links(k);
  const o = k.L.RTL_GENERIC_TABLE.off;
  if (result === TableFoundNode) {
    setRoot(k, table, splay(l, parent));
    if (newElement !== 0n) k.m.setU8(newElement, 0);
    return parent + BigInt(s.data);
  }
  const node = allocate(k, table, routines(k, table), s.data + size);
  if (node === 0n) {
    if (newElement !== 0n) k.m.setU8(newElement, 0);
    return 0n;
  }
  l.setParent(node, node);
  l.setLeft(node, 0n);
  l.setRight(node, 0n);
  // At the tail of the insertion-order list.
  const head = table + BigInt(o.InsertOrderList);
  const entry = node + BigInt(s.listEntry);
  const E = k.L.LIST_ENTRY.off;
  const tail = k.m.ptrAt(head, E.Blink);
  k.m.setPtrAt(entry, E.Flink, head);
  k.m.setPtrAt(entry, E.Blink, tail);
  k.m.setPtrAt(tail, E.Flink, entry);
  k.m.setPtrAt(head, E.Blink, entry);
  k.m.setU32At(table, o.NumberGenericTableElements, k.m.u32At(table, o.NumberGenericTableElements) + 1);
  if (size > 0) k.m.write(node + BigInt(s.data), k.m.read(buffer, size));
  if (result !== TableEmptyTree) {
    if (result === TableInsertAsLeft) l.setLeft(parent, node);
    else l.setRight(parent, node);
    l.setParent(node, parent);
  }
  setRoot(k, table, splay(l, node));
  if (newElement !== 0n) k.m.setU8(newElement, 1);
  return node + BigInt(s.data);
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlInitializeGenericTable',
    proto: 'VOID RtlInitializeGenericTable(PRTL_GENERIC_TABLE Table, PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine, PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine, PRTL_GENERIC_FREE_ROUTINE FreeRoutine, PVOID TableContext)',
    params: { Table: 'ptr', CompareRoutine: 'ptr', AllocateRoutine: 'ptr', FreeRoutine: 'ptr', TableContext: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.RTL_GENERIC_TABLE.off;
      const t = a.Table;
      k.m.setPtrAt(t, o.TableRoot, 0n);
      const head = t + BigInt(o.InsertOrderList);
      k.m.setPtrAt(head, k.L.LIST_ENTRY.off.Flink, head);
      k.m.setPtrAt(head, k.L.LIST_ENTRY.off.Blink, head);
      resetOrdered(k, t);
      k.m.setU32At(t, o.NumberGenericTableElements, 0);
      k.m.setPtrAt(t, o.CompareRoutine, a.CompareRoutine);
      k.m.setPtrAt(t, o.AllocateRoutine, a.AllocateRoutine);
      k.m.setPtrAt(t, o.FreeRoutine, a.FreeRoutine);
      k.m.setPtrAt(t, o.TableContext, a.TableContext);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlInsertElementGenericTable',
    proto: 'PVOID RtlInsertElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer, CLONG BufferSize, PBOOLEAN NewElement)',
    params: { Table: 'ptr', Buffer: 'ptr', BufferSize: 'u32', NewElement: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const f = find(k, a.Table, a.Buffer);
      return insert(k, a.Table, a.Buffer, a.BufferSize, a.NewElement, f.result, f.node);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlInsertElementGenericTableFull',
    proto: 'PVOID RtlInsertElementGenericTableFull(PRTL_GENERIC_TABLE Table, PVOID Buffer, CLONG BufferSize, PBOOLEAN NewElement, PVOID NodeOrParent, TABLE_SEARCH_RESULT SearchResult)',
    params: { Table: 'ptr', Buffer: 'ptr', BufferSize: 'u32', NewElement: 'ptr', NodeOrParent: 'ptr', SearchResult: 'u32' }, ret: 'ptr',
    impl: (k, a) => insert(k, a.Table, a.Buffer, a.BufferSize, a.NewElement, a.SearchResult, a.NodeOrParent),
  }),
  defineExport({
    ...rtl, name: 'RtlLookupElementGenericTable',
    proto: 'PVOID RtlLookupElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer)',
    params: { Table: 'ptr', Buffer: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const f = find(k, a.Table, a.Buffer);
      if (f.result !== TableFoundNode) return 0n;
      setRoot(k, a.Table, splay(links(k), f.node));
      return f.node + BigInt(splayShape(k).data);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlLookupElementGenericTableFull',
    proto: 'PVOID RtlLookupElementGenericTableFull(PRTL_GENERIC_TABLE Table, PVOID Buffer, PVOID *NodeOrParent, TABLE_SEARCH_RESULT *SearchResult)',
    params: { Table: 'ptr', Buffer: 'ptr', NodeOrParent: 'ptr', SearchResult: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      // The place is handed back for a later RtlInsertElementGenericTableFull; only a found element is splayed (a
      // parent handed back keeps its place for that insert).
      const f = find(k, a.Table, a.Buffer);
      if (f.result !== TableEmptyTree) k.m.setPtr(a.NodeOrParent, f.node);
      k.m.setU32(a.SearchResult, f.result);
      if (f.result !== TableFoundNode) return 0n;
      setRoot(k, a.Table, splay(links(k), f.node));
      return f.node + BigInt(splayShape(k).data);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlDeleteElementGenericTable',
    proto: 'BOOLEAN RtlDeleteElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer)',
    params: { Table: 'ptr', Buffer: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const f = find(k, a.Table, a.Buffer);
      if (f.result !== TableFoundNode) return 0;
      const o = k.L.RTL_GENERIC_TABLE.off;
      const E = k.L.LIST_ENTRY.off;
      setRoot(k, a.Table, splayDelete(links(k), f.node));
      const entry = f.node + BigInt(splayShape(k).listEntry);
      const next = k.m.ptrAt(entry, E.Flink);
      const prev = k.m.ptrAt(entry, E.Blink);
      k.m.setPtrAt(prev, E.Flink, next);
      k.m.setPtrAt(next, E.Blink, prev);
      k.m.setU32At(a.Table, o.NumberGenericTableElements, k.m.u32At(a.Table, o.NumberGenericTableElements) - 1);
      resetOrdered(k, a.Table);
      free(k, a.Table, routines(k, a.Table), f.node);
      return 1;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlEnumerateGenericTable',
    proto: 'PVOID RtlEnumerateGenericTable(PRTL_GENERIC_TABLE Table, BOOLEAN Restart)',
    params: { Table: 'ptr', Restart: 'bool' }, ret: 'ptr',
    impl: (k, a) => {
      // The element last returned is splayed to the root: the next call continues from the root's successor.
      const l = links(k);
      const r = root(k, a.Table);
      if (r === 0n) return 0n;
      const n = a.Restart ? leftmost(l, r) : successor(l, r, (x) => isRoot(l, x));
      if (n === 0n) return 0n;
      setRoot(k, a.Table, splay(l, n));
      return n + BigInt(splayShape(k).data);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlEnumerateGenericTableWithoutSplaying',
    proto: 'PVOID RtlEnumerateGenericTableWithoutSplaying(PRTL_GENERIC_TABLE Table, PVOID *RestartKey)',
    params: { Table: 'ptr', RestartKey: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const l = links(k);
      const r = root(k, a.Table);
      if (r === 0n) return 0n;
      const last = k.m.ptr(a.RestartKey);
      const n = last === 0n ? leftmost(l, r) : successor(l, last, (x) => isRoot(l, x));
      if (n === 0n) return 0n;
      k.m.setPtr(a.RestartKey, n);
      return n + BigInt(splayShape(k).data);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlGetElementGenericTable',
    proto: 'PVOID RtlGetElementGenericTable(PRTL_GENERIC_TABLE Table, ULONG I)',
    params: { Table: 'ptr', I: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      // The I-th element in insertion order, walked to from the cached position, the head or the tail.
      const o = k.L.RTL_GENERIC_TABLE.off;
      const E = k.L.LIST_ENTRY.off;
      const count = k.m.u32At(a.Table, o.NumberGenericTableElements);
      const want = a.I + 1; // 1-based, as WhichOrderedElement counts
      if (a.I === 0xffffffff || want > count) return 0n;
      const head = a.Table + BigInt(o.InsertOrderList);
      let at = k.m.u32At(a.Table, o.WhichOrderedElement);
      let p = k.m.ptrAt(a.Table, o.OrderedPointer);
      // Start from whichever known place is nearest: the head (0), the cached element, or the tail (count).
      const fromCache = Math.abs(want - at);
      if (want < fromCache) {
        at = 0;
        p = head;
      }
      if (count - want < Math.abs(want - at)) {
        at = count;
        p = k.m.ptrAt(head, E.Blink);
      }
      while (at < want) {
        p = k.m.ptrAt(p, E.Flink);
        at++;
      }
      while (at > want) {
        p = k.m.ptrAt(p, E.Blink);
        at--;
      }
      k.m.setPtrAt(a.Table, o.OrderedPointer, p);
      k.m.setU32At(a.Table, o.WhichOrderedElement, want);
      const s = splayShape(k);
      return p - BigInt(s.listEntry) + BigInt(s.data);
    },
  }),
  defineExport({
    ...rtl, name: 'RtlNumberGenericTableElements', proto: 'ULONG RtlNumberGenericTableElements(PRTL_GENERIC_TABLE Table)',
    params: { Table: 'ptr' }, ret: 'u32',
    impl: (k, a) => k.m.u32At(a.Table, k.L.RTL_GENERIC_TABLE.off.NumberGenericTableElements),
  }),
  defineExport({
    ...rtl, name: 'RtlIsGenericTableEmpty', proto: 'BOOLEAN RtlIsGenericTableEmpty(PRTL_GENERIC_TABLE Table)',
    params: { Table: 'ptr' }, ret: 'bool',
    impl: (k, a) => (root(k, a.Table) === 0n ? 1 : 0),
  }),
];
