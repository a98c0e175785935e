// The published JSON Schemas (schema/*.schema.json at the package root): `kdemu schema report|trace` prints them,
// the tests validate every report and trace event against them.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Outcome, TraceEvent } from '../hal/report.js';

export type SchemaName = 'report' | 'trace';

const FILES: Record<SchemaName, string> = {
  report: 'report.schema.json',
  trace: 'trace-event.schema.json',
};

/** The schema file: next to bin/ when run from the sources, two levels up from dist/bin/ when built. */
export function schemaPath(which: SchemaName): string {
  const candidates = ['../schema/', '../../schema/'].map((dir) => fileURLToPath(new URL(dir + FILES[which], import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${FILES[which]} is missing from the package (looked in ${candidates.join(', ')})`);
  return found;
}

/** The schema's text as published. */
export function schemaText(which: SchemaName): string {
  const text = readFileSync(schemaPath(which), 'utf8');
  return text.endsWith('\n') ? text : text + '\n';
}

/**
 * Every outcome and every trace event type, as records so the compiler insists on each member of the unions: a new
 * one fails to build until it is listed here, and the tests check the schemas list the same (schema/*.json).
 */
const OUTCOME_SET: Record<Outcome, true> = {
  completed: true,
  bugcheck: true,
  fault: true,
  'unsupported-call': true,
  'unsupported-instruction': true,
  'instruction-limit': true,
  timeout: true,
  deadlock: true,
  'client-fault': true,
  'resource-limit': true,
  'trace-limit': true,
  'internal-error': true,
};
const EVENT_TYPE_SET: Record<TraceEvent['type'], true> = {
  call: true,
  irp: true,
  dbgprint: true,
  callback: true,
  cpu: true,
  port: true,
  op: true,
  note: true,
  stop: true,
  thread: true,
  registry: true,
  errorlog: true,
  process: true,
  pnp: true,
};
export const OUTCOMES = Object.keys(OUTCOME_SET) as Outcome[];
export const TRACE_EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as TraceEvent['type'][];
