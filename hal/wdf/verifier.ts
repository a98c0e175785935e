// The framework verifier's entries for drivers: WdfVerifierDbgBreakPoint and WdfVerifierKeBugCheck.
//
// WdfVerifierDbgBreakPoint breaks into the kernel debugger. kdemu runs without one: the breakpoint the framework
// executes raises STATUS_BREAKPOINT that nothing handles, which Windows turns into KMODE_EXCEPTION_NOT_HANDLED. The
// run therefore ends with outcome 'bugcheck' (0x1E, STATUS_BREAKPOINT, at the driver's call), as kdemu ends a
// driver's own int3, and the reason names the driver's call as a verifier report. WdfVerifierKeBugCheck is
// KeBugCheckEx with the driver's code and parameters. WdfGetTriageInfo is not offered: kdemu keeps none of the
// framework's internal structures a debugger extension would read through it.

import { GuestStop } from '../machine.js';
import { bugcheckName } from '../ke/bugcodes.js';
import { clientOf } from './client.js';
import { wdfExport } from './export.js';

const KMODE_EXCEPTION_NOT_HANDLED = 0x1e;
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
