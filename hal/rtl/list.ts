// Checks on guest-controlled lists, as Windows makes them: the checked LIST_ENTRY operations (InsertHeadList,
// InsertTailList, RemoveHeadList ... since Windows 8) __fastfail(FAST_FAIL_CORRUPT_LIST_ENTRY) when a neighbour's
// back link does not point where it must, which bugchecks KERNEL_SECURITY_CHECK_FAILURE (0x139) in kernel mode.
// Singly linked chains the kernel walks itself (an IRP's MDL chain) get a bound: a cycle is a corrupted list too.

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';

export const KERNEL_SECURITY_CHECK_FAILURE = 0x139;
/** __fastfail code for a corrupted LIST_ENTRY (winnt.h FAST_FAIL_CORRUPT_LIST_ENTRY). */
export const FAST_FAIL_CORRUPT_LIST_ENTRY = 3n;
/** The longest chain kdemu walks on the guest's behalf before calling it corrupted (far above any real MDL chain). */
export const MAX_CHAIN = 1 << 16;

/** The stop for a corrupted list: bugcheck 0x139 (1: the fast-fail code, 2: trap frame, 3: exception record, 4: 0). */
export function corruptList(k: Kernel, routine: string, entry: bigint, why: string): GuestStop {
  return new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} found a corrupted list at ${hex(entry)}: ${why}`, {
    bugcheck: { code: KERNEL_SECURITY_CHECK_FAILURE, params: [FAST_FAIL_CORRUPT_LIST_ENTRY, 0n, 0n, 0n] },
  });
}

/**
 * Walks a NULL-terminated singly linked chain from first (next: the link of an element), calling visit on each; a
 * chain that loops or runs past MAX_CHAIN elements is corrupted. The budgets are checked as the walk goes.
 */
export function walkChain(k: Kernel, routine: string, first: bigint, next: (p: bigint) => bigint, visit?: (p: bigint) => void): bigint {
  const seen = new Set<bigint>();
  let last = 0n;
  for (let p = first; p !== 0n; p = next(p)) {
    if (seen.has(p) || seen.size >= MAX_CHAIN) throw corruptList(k, routine, p, seen.has(p) ? 'the chain loops back to this element' : `the chain is longer than ${MAX_CHAIN} elements`);
    seen.add(p);
    if ((seen.size & 0xfff) === 0) k.m.checkBudgets();
    last = p;
    visit?.(p);
  }
  return last;
}
