// The system's device configuration record: IoGetConfigurationInformation.
//
// One CONFIGURATION_INFORMATION for the whole system, which drivers read and update as they find devices. This
// machine has one hard disk (the C: volume, behind one storage adapter) and no floppy, CD-ROM, tape, serial, parallel
// or medium changer devices; its disk controller is not a legacy AT (WD1003) one, so neither AT disk address range is
// claimed. Version is sizeof(CONFIGURATION_INFORMATION), as documented.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

const records = new WeakMap<Kernel, bigint>();

function configuration(k: Kernel): bigint {
  let p = records.get(k);
  if (p !== undefined) return p;
  const L = k.L.CONFIGURATION_INFORMATION;
  p = k.systemAlloc(L.size, 8);
  k.m.fill(p, L.size);
  k.m.setU32At(p, L.off.DiskCount, 1);
  k.m.setU32At(p, L.off.ScsiPortCount, 1);
  k.m.setU32At(p, L.off.Version, L.size);
  records.set(k, p);
  return p;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'IoGetConfigurationInformation', cc: 'stdcall',
    proto: 'PCONFIGURATION_INFORMATION IoGetConfigurationInformation(VOID)',
    params: {}, ret: 'ptr',
    impl: (k) => configuration(k),
  }),
];
