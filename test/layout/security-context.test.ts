// IRP_MJ_CREATE's IO_SECURITY_CONTEXT and the ACCESS_STATE behind it, read from guest memory with the described
// layouts at the moment the driver's dispatch routine gets the IRP, as a driver would read them.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DriverSession } from '../../hal/session.js';
import type { Kernel } from '../../hal/kernel.js';
import { ARCHES } from '../fixtures/build.js';
import { sample } from '../helpers.js';

interface Seen {
  pid: number;
  securityQos: bigint;
  desiredAccess: number;
  fullCreateOptions: number;
  stackOptions: number;
  state: bigint;
  operationId: bigint;
  flags: number;
  remaining: number;
  granted: number;
  original: number;
  processAuditId: bigint;
  clientToken: bigint;
  privilegesUsed: bigint;
  privileges: bigint;
  mapping: number[];
  objectName: [number, bigint];
}

/** What a driver finds through IoGetCurrentIrpStackLocation(Irp)->Parameters.Create.SecurityContext. */
function readCreate(k: Kernel, irp: bigint): Seen {
  const m = k.m;
  const L = k.L;
  const sl = m.ptrAt(irp, L.IRP.off['Tail.Overlay.CurrentStackLocation']);
  const sc = m.ptrAt(sl, L.IO_STACK_LOCATION.off['Parameters.Create.SecurityContext']);
  const state = m.ptrAt(sc, L.IO_SECURITY_CONTEXT.off.AccessState);
  const a = L.ACCESS_STATE.off;
  const aux = m.ptrAt(state, a.AuxData);
  const g = L.AUX_ACCESS_DATA.off;
  return {
    pid: k.ps.pid,
    securityQos: m.ptrAt(sc, L.IO_SECURITY_CONTEXT.off.SecurityQos),
    desiredAccess: m.u32At(sc, L.IO_SECURITY_CONTEXT.off.DesiredAccess),
    fullCreateOptions: m.u32At(sc, L.IO_SECURITY_CONTEXT.off.FullCreateOptions),
    stackOptions: m.u32At(sl, L.IO_STACK_LOCATION.off['Parameters.Create.Options']),
    state,
    operationId: (BigInt(m.u32At(state, a['OperationID.HighPart'])) << 32n) | BigInt(m.u32At(state, a['OperationID.LowPart'])),
    flags: m.u32At(state, a.Flags),
    remaining: m.u32At(state, a.RemainingDesiredAccess),
    granted: m.u32At(state, a.PreviouslyGrantedAccess),
    original: m.u32At(state, a.OriginalDesiredAccess),
    processAuditId: m.ptrAt(state, a['SubjectSecurityContext.ProcessAuditId']),
    clientToken: m.ptrAt(state, a['SubjectSecurityContext.ClientToken']),
    privilegesUsed: m.ptrAt(aux, g.PrivilegesUsed),
    privileges: state + BigInt(a.Privileges),
    mapping: [g['GenericMapping.GenericRead'], g['GenericMapping.GenericWrite'], g['GenericMapping.GenericExecute'], g['GenericMapping.GenericAll']].map((o) => m.u32At(aux, o)),
    objectName: [m.u16At(state, a['ObjectName.Length']), m.ptrAt(state, a['ObjectName.Buffer'])],
  };
}

// GENERIC_READ | GENERIC_WRITE as the I/O manager maps them for files, with the SYNCHRONIZE a synchronous open adds.
const ACCESS = 0x120089 | 0x120116 | 0x100000;

describe.each(ARCHES)('%s', (arch) => {
  it('hands IRP_MJ_CREATE an ACCESS_STATE as IopParseDevice leaves it, and frees it with the IRP', () => {
    const driverPath = sample(arch, 'readfile.sys');
    const creates: Seen[] = [];
    const s: DriverSession = DriverSession.load({
      driverPath,
      driverBytes: new Uint8Array(readFileSync(driverPath)),
      onTrace: (e) => {
        if (e.type === 'irp' && e.event === 'sent' && e.major === 'IRP_MJ_CREATE') creates.push(readCreate(s.k, BigInt(e.irp)));
      },
    });
    try {
      s.start();
      // The device itself: checked against the device (no security descriptor: all granted). One open at a time:
      // the sample's device is exclusive.
      const device = s.user.CreateFile('\\\\.\\My_Device');
      expect(device.status).toBe(0);
      s.user.CloseHandle(device.handle);
      // A name under it: only traverse rights are needed, so the access stays to be granted by the driver.
      const under = s.user.CreateFile('\\\\.\\My_Device\\sub', undefined, 0, { overlapped: true });
      expect(under.status).toBe(0);
      s.user.CloseHandle(under.handle);
      expect(creates).toHaveLength(2);
      const [d, u] = creates;
      for (const c of creates) {
        expect(c.securityQos).toBe(0n);
        expect(c.state).not.toBe(0n);
        expect([c.desiredAccess, c.original]).toEqual([ACCESS, ACCESS]);
        expect(c.flags).toBe(1); // TOKEN_HAS_TRAVERSE_PRIVILEGE
        expect(c.processAuditId).toBe(BigInt(c.pid));
        expect(c.clientToken).toBe(0n);
        expect(c.privilegesUsed).toBe(c.privileges);
        expect(c.mapping).toEqual([0x120089, 0x120116, 0x1200a0, 0x1f01ff]);
        expect(c.objectName).toEqual([0, 0n]);
        // The stack location keeps the disposition (FILE_OPEN) over the low 24 bits of the options.
        expect(c.stackOptions).toBe(((1 << 24) | c.fullCreateOptions) >>> 0);
      }
      expect([d.granted, d.remaining, d.fullCreateOptions]).toEqual([ACCESS, 0, 0x20]); // FILE_SYNCHRONOUS_IO_NONALERT
      expect([u.granted, u.remaining, u.fullCreateOptions]).toEqual([0, ACCESS, 0]);
      // Each access state has an operation id of its own.
      expect(u.operationId).toBe(d.operationId + 1n);
      expect(d.operationId).toBeGreaterThan(0x3e7n);

      s.unload();
      expect(s.leaks().filter((l) => l.kind === 'pool')).toEqual([]);
    } finally {
      s.close();
    }
  });
});
