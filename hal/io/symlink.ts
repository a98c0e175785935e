// Symbolic links in the object namespace: IoCreateSymbolicLink, IoCreateUnprotectedSymbolicLink, IoDeleteSymbolicLink.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { STATUS } from '../rtl/ntstatus.js';

function create(k: Kernel, link: bigint, target: bigint): number {
  const name = readUnicodeString(k, link);
  const to = readUnicodeString(k, target);
  return k.ns.insert(name, { type: 'symlink', target: to, creator: k.io.current?.objectName ?? k.symbolize(k.callerAddress()) });
}

const createParams = { SymbolicLinkName: 'pustr', DeviceName: 'pustr' } as const;

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoCreateSymbolicLink',
    cc: 'stdcall',
    proto: 'NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)',
    params: createParams,
    ret: 'status',
    impl: (k, a) => create(k, a.SymbolicLinkName, a.DeviceName),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoCreateUnprotectedSymbolicLink',
    cc: 'stdcall',
    // The same link with a security descriptor that lets everyone use it; kdemu has no access checks on links.
    proto: 'NTSTATUS IoCreateUnprotectedSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)',
    params: createParams,
    ret: 'status',
    impl: (k, a) => create(k, a.SymbolicLinkName, a.DeviceName),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'IoDeleteSymbolicLink',
    cc: 'stdcall',
    proto: 'NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)',
    params: { SymbolicLinkName: 'pustr' },
    ret: 'status',
    impl: (k, a) => {
      const name = readUnicodeString(k, a.SymbolicLinkName);
      const o = k.ns.get(name);
      if (!o) return STATUS.OBJECT_NAME_NOT_FOUND;
      if (o.type !== 'symlink') return STATUS.OBJECT_TYPE_MISMATCH;
      k.ns.remove(name);
      return STATUS.SUCCESS;
    },
  }),
];
