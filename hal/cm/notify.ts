// Registry callbacks at work: the configuration manager's pre- and post-notifications to the routines drivers
// registered with CmRegisterCallback(Ex), and CmCallbackGetKeyObjectID.
//
// Before an operation each routine gets (Context, REG_NOTIFY_CLASS, REG_*_INFORMATION): the highest altitude first,
// then the CmRegisterCallback routines in registration order. A failure status ends the operation with that status
// and no later routine is called; STATUS_CALLBACK_BYPASS means the routine did the work itself, and the caller gets
// STATUS_SUCCESS. After it, each routine that saw the pre-notification gets a REG_POST_OPERATION_INFORMATION (the
// object, the status, the pre-notification's structure) in the reverse order; one that returns
// STATUS_CALLBACK_BYPASS there replaces the caller's status with the ReturnStatus it wrote. Routines run in the
// caller's thread, at its IRQL; the structures live in pool for the time of the call.

import type { Kernel } from '../kernel.js';
import { ntSuccess } from '../rtl/ntstatus.js';
import { registeredCallbacks, type RegistryCallback } from './callback.js';
import type { RegKey } from './hive.js';

export const STATUS_CALLBACK_BYPASS = 0xc0000503 | 0;

/** REG_NOTIFY_CLASS values kdemu sends (pre, post). */
export const RegNt = {
  DeleteKey: [0, 15],
  SetValueKey: [1, 16],
  DeleteValueKey: [2, 17],
  EnumerateKey: [5, 20],
  EnumerateValueKey: [6, 21],
  QueryKey: [7, 22],
  QueryValueKey: [8, 23],
  CreateKeyEx: [26, 27],
  OpenKeyEx: [28, 29],
} as const satisfies Record<string, readonly [number, number]>;

const PagedPool = 1;

/** The order pre-notifications go in: altitudes highest first, then the routines without one, oldest first. */
function ordered(k: Kernel): RegistryCallback[] {
  const list = registeredCallbacks(k);
  const withAlt = list.filter((c) => c.altitude !== undefined).sort((a, b) => compareAltitude(b.altitude!, a.altitude!));
  return [...withAlt, ...list.filter((c) => c.altitude === undefined)];
}

/** Altitudes are decimal numbers, possibly with a fraction ("380000", "385100.5"). */
function compareAltitude(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether any routine is registered (operations skip building structures otherwise). */
export function anyRegistryCallback(k: Kernel): boolean {
  return registeredCallbacks(k).length > 0;
}

function call(k: Kernel, c: RegistryCallback, cls: number, info: bigint): number {
  return Number(k.callRoutine(c.routine, [c.context, BigInt(cls), info], 'RegistryCallback') & 0xffffffffn) | 0;
}

export interface Notified<T> {
  status: number;
  result?: T;
}

/**
 * Runs `op` between the pre- and post-notifications of `cls`. `fill` writes the pre-notification structure (`size`
 * bytes, zeroed first); `op` returns the operation's status and the key object it produced or worked on; `bypass`
 * gives the caller's status when a routine did the operation itself (STATUS_SUCCESS without it).
 */
export function notified<T>(
  k: Kernel,
  cls: readonly [number, number],
  size: number,
  fill: (info: bigint) => void,
  op: () => { status: number; object: bigint; result?: T },
  bypass?: (info: bigint) => number,
): Notified<T> {
  const routines = ordered(k);
  if (routines.length === 0) {
    const r = op();
    return { status: r.status, ...(r.result !== undefined ? { result: r.result } : {}) };
  }
  const m = k.m;
  const info = m.actingAs(0, () => k.pool.allocate(Math.max(size, 8), 0x62437243 /* 'CrCb' */, PagedPool, 'system', 'registry notification'));
  if (info === null) return { status: 0xc000009a | 0 };
  const free = (p: bigint) => m.actingAs(0, () => k.pool.free_(p, 0));
  try {
    m.actingAs(0, () => {
      m.write(info, new Uint8Array(size));
      fill(info);
    });
    const told: RegistryCallback[] = [];
    for (const c of routines) {
      const st = call(k, c, cls[0], info);
      told.push(c);
      if (st === STATUS_CALLBACK_BYPASS) return { status: bypass ? bypass(info) : 0 };
      if (!ntSuccess(st)) return { status: st };
    }
    const r = op();
    const L = k.L.REG_POST_OPERATION_INFORMATION;
    const post = m.actingAs(0, () => k.pool.allocate(L.size, 0x62437243, PagedPool, 'system', 'registry notification'));
    if (post === null) return { status: r.status, ...(r.result !== undefined ? { result: r.result } : {}) };
    let status = r.status;
    try {
      m.actingAs(0, () => {
        m.write(post, new Uint8Array(L.size));
        m.setPtrAt(post, L.off.Object, r.object);
        m.setU32At(post, L.off.Status, r.status >>> 0);
        m.setPtrAt(post, L.off.PreInformation, info);
        m.setU32At(post, L.off.ReturnStatus, r.status >>> 0);
      });
      for (const c of told.reverse()) {
        if (call(k, c, cls[1], post) === STATUS_CALLBACK_BYPASS) status = m.u32At(post, L.off.ReturnStatus) | 0;
      }
    } finally {
      free(post);
    }
    return { status, ...(r.result !== undefined ? { result: r.result } : {}) };
  } finally {
    free(info);
  }
}

// ---- key object identities (CmCallbackGetKeyObjectID) --------------------------------------------------------

const identities = new WeakMap<Kernel, Map<RegKey, { id: bigint; name: bigint }>>();

/** A key's identity for callbacks: a stable id and a UNICODE_STRING of its full name that the kernel keeps. */
export function keyIdentity(k: Kernel, key: RegKey): { id: bigint; name: bigint } {
  let map = identities.get(k);
  if (!map) identities.set(k, (map = new Map()));
  let e = map.get(key);
  if (!e) {
    const text = key.path;
    const us = k.systemAlloc(k.L.UNICODE_STRING.size, 8);
    const buf = k.systemAlloc(text.length * 2 + 2, 2);
    k.m.actingAs(-1, () => {
      k.m.writeWString(buf, text);
      k.m.setU16At(us, k.L.UNICODE_STRING.off.Length, text.length * 2);
      k.m.setU16At(us, k.L.UNICODE_STRING.off.MaximumLength, text.length * 2 + 2);
      k.m.setPtrAt(us, k.L.UNICODE_STRING.off.Buffer, buf);
    });
    // The id is what Windows gives too: the address of the key's control block, one per key (here, its name).
    e = { id: us, name: us };
    map.set(key, e);
  }
  return e;
}
