// ExUuidCreate: time-based (version 1) UUIDs from the virtual clock, unique within the run and the same on every run.
//
// The timestamp is the system time in 100 ns units since the Gregorian reform (15 October 1582), kept strictly
// increasing between calls; the node is a fixed random-style address (multicast bit set, as RFC 4122 requires of a node
// that is not a network card's), and the clock sequence a fixed value.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { systemTime } from '../ke/clock.js';

/** 100 ns intervals between 1582-10-15 and 1601-01-01. */
const GREGORIAN_TO_FILETIME = 0x01b21dd213814000n;
const CLOCK_SEQUENCE = 0x1d35;
const NODE = [0x4b, 0x44, 0x45, 0x4d, 0x55, 0x01];

const last = new WeakMap<Kernel, bigint>();

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ExUuidCreate',
    proto: 'NTSTATUS ExUuidCreate(UUID *Uuid)',
    params: { Uuid: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      let t = systemTime(k) + GREGORIAN_TO_FILETIME;
      const prev = last.get(k);
      if (prev !== undefined && t <= prev) t = prev + 1n;
      last.set(k, t);
      const b = new Uint8Array(16);
      const v = new DataView(b.buffer);
      // GUID: Data1 (time_low), Data2 (time_mid), Data3 (version 1 | time_hi), Data4 (variant | clock seq, node).
      v.setUint32(0, Number(t & 0xffffffffn), true);
      v.setUint16(4, Number((t >> 32n) & 0xffffn), true);
      v.setUint16(6, Number((t >> 48n) & 0x0fffn) | 0x1000, true);
      b[8] = 0x80 | ((CLOCK_SEQUENCE >> 8) & 0x3f);
      b[9] = CLOCK_SEQUENCE & 0xff;
      b.set(NODE, 10);
      b[10] |= 0x01;
      k.m.write(a.Uuid, b);
      return STATUS.SUCCESS;
    },
  }),
];
