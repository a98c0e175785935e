// What a KMDF driver left behind at unload: requests it never completed, and framework objects that outlived the
// driver object because the driver kept references on them.

import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import type { LeakReport } from '../report.js';
import { IRP_MJ } from '../io/constants.js';
import { wdfClients } from './client.js';
import { liveObjects } from './object.js';
import { FxRequest } from './request.js';

export function wdfLeaks(k: Kernel): LeakReport[] {
  // Only once a client is gone is what remains of it a leak.
  if (!wdfClients(k).some((c) => c.unbound)) return [];
  const out: LeakReport[] = [];
  for (const o of liveObjects(k)) {
    if (o instanceof FxRequest) {
      if (!o.fromIo || o.phase === 'completed') continue;
      const major = IRP_MJ[o.major] ?? `IRP_MJ_0x${o.major.toString(16)}`;
      const where = o.phase === 'queued' ? `still in queue ${hex(o.queue?.handle ?? 0n)}` : 'owned by the driver and never completed';
      out.push({ kind: 'wdf-request', detail: `WDFREQUEST ${hex(o.handle)} (${major} IRP ${hex(o.irp)}) ${where}` });
      continue;
    }
    const own = o.refs - o.children.length - (o.state === 'live' ? 1 : 0);
    if (own > 0) {
      out.push({ kind: 'wdf-object', detail: `${o.describe()} outlived its driver: ${own} reference${own === 1 ? '' : 's'} never released (WdfObjectReference without WdfObjectDereference)`, caller: o.caller });
    } else if (o.state === 'live' && !o.parent) {
      out.push({ kind: 'wdf-object', detail: `${o.describe()} was never deleted`, caller: o.caller });
    }
  }
  return out;
}
