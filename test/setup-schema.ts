// Every report the suite makes, and every trace event a test listens to, is checked against the published schemas:
// runDriver is wrapped for all test files, so a field added to the code but not to schema/*.schema.json fails.

import { vi } from 'vitest';
import type { RunOptions } from '../hal/report.js';
import { validateReport, validateTraceEvent } from './schema-validate.js';

vi.mock('../hal/run.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../hal/run.js')>();
  const runDriver: typeof m.runDriver = (o: RunOptions) => {
    // Only a test that traces gets its events checked: turning tracing on for the others would change their runs' cost.
    const onTrace = o.onTrace;
    const r = m.runDriver(onTrace ? { ...o, onTrace: (e, c) => (validateTraceEvent(e), onTrace(e, c)) } : o);
    validateReport(r);
    return r;
  };
  return { ...m, runDriver };
});
