// The framework verifier's entries for drivers: WdfVerifierDbgBreakPoint and WdfVerifierKeBugCheck.
//
// A driver calls WdfVerifierDbgBreakPoint where it found itself in a state it treats as a bug. The framework breaks
// into the kernel debugger only when the driver's verifier settings ask it to (DbgBreakOnError, a DWORD in the
// service key's Parameters\Wdf, e.g. set with --registry); otherwise the call does nothing, and kdemu says so with a
// trace note. When it breaks, kdemu stands where the debugger would be: the run stops at the driver's call, reported
// as the breakpoint exception nothing handled (KMODE_EXCEPTION_NOT_HANDLED with STATUS_BREAKPOINT, as kdemu reports a
// driver's own int3). WdfVerifierKeBugCheck is KeBugCheckEx with the driver's code and parameters. WdfGetTriageInfo
// is not offered: kdemu keeps none of the framework's internal structures a debugger extension would read through it.

import { GuestStop } from '../machine.js';
import { bugcheckName } from '../ke/bugcodes.js';
import { clientOf } from './client.js';
import { registry } from '../cm/registry.js';
import type { Kernel } from '../kernel.js';
import { wdfExport } from './export.js';

const KMODE_EXCEPTION_NOT_HANDLED = 0x1e;
const REG_DWORD = 4;

/** The driver's Parameters\Wdf\DbgBreakOnError, a nonzero DWORD. */
function breakOnError(k: Kernel, registryPath: string): boolean {
  const v = registry(k).find(`${registryPath}\\Parameters\\Wdf`)?.value('DbgBreakOnError');
  return v !== undefined && v.type === REG_DWORD && v.data.length >= 4 && new DataView(v.data.buffer, v.data.byteOffset, 4).getUint32(0, true) !== 0;
}
const STATUS_BREAKPOINT = 0x80000003n;

export const exports = [
  wdfExport({
    name: 'WdfVerifierDbgBreakPoint',
    proto: 'VOID WdfVerifierDbgBreakPoint(VOID)',
    params: {},
    ret: 'void',
    impl: (k, a) => {
      const c = clientOf(k, a.DriverGlobals, 'WdfVerifierDbgBreakPoint');
      const at = k.callerAddress();
      if (!breakOnError(k, c.registryPath)) {
        if (k.trace.enabled) k.trace.emit({ type: 'note', text: `WdfVerifierDbgBreakPoint: no break (the driver's Parameters\\Wdf\\DbgBreakOnError is not set)`, at: k.symbolize(at) });
        return;
      }
      throw new GuestStop('bugcheck', `WdfVerifierDbgBreakPoint from ${k.symbolize(at)}: the driver ${c.driver.name} asked the framework verifier to break into the debugger, and no kernel debugger is attached`, {
        pc: at,
        bugcheck: { code: KMODE_EXCEPTION_NOT_HANDLED, params: [STATUS_BREAKPOINT, at, 0n, 0n] },
      });
    },
  }),
  wdfExport({
    name: 'WdfVerifierKeBugCheck',
    proto: 'VOID WdfVerifierKeBugCheck(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)',
    params: { BugCheckCode: 'u32', BugCheckParameter1: 'usize', BugCheckParameter2: 'usize', BugCheckParameter3: 'usize', BugCheckParameter4: 'usize' },
    ret: 'void',
    impl: (k, a) => {
      clientOf(k, a.DriverGlobals, 'WdfVerifierKeBugCheck');
      throw new GuestStop('bugcheck', `WdfVerifierKeBugCheck(${bugcheckName(a.BugCheckCode)}) from ${k.symbolize(k.callerAddress())}`, {
        bugcheck: { code: a.BugCheckCode, params: [a.BugCheckParameter1, a.BugCheckParameter2, a.BugCheckParameter3, a.BugCheckParameter4] },
      });
    },
  }),
];
