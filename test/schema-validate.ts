// Validation of reports and trace events against the published schemas (schema/*.schema.json), so the schemas
// cannot drift from what kdemu writes: the test helpers that run kdemu validate everything they get.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema');

export function loadSchema(file: 'report.schema.json' | 'trace-event.schema.json'): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as Record<string, unknown>;
}

/** A fresh ajv in strict mode: an unknown keyword or a malformed schema is an error, not ignored. */
export function newAjv(): Ajv2020 {
  return new Ajv2020({ strict: true, allErrors: true });
}

let compiled: { report: ValidateFunction; trace: ValidateFunction; byType: Map<string, ValidateFunction> } | undefined;

function validators() {
  if (compiled) return compiled;
  const ajv = newAjv();
  const traceSchema = loadSchema('trace-event.schema.json');
  const report = ajv.compile(loadSchema('report.schema.json'));
  const trace = ajv.compile(traceSchema);
  // One validator per event type: a failing event is explained by its own type's errors, not every branch's.
  const byType = new Map<string, ValidateFunction>();
  for (const name of Object.keys(traceSchema.$defs as object)) byType.set(name, ajv.getSchema(`urn:kdemu:schema:trace-event#/$defs/${name}`)!);
  compiled = { report, trace, byType };
  return compiled;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` (${JSON.stringify(e.params)})` : ''}`).join('; ');
}

/** Throws with ajv's errors when the report does not follow schema/report.schema.json. */
export function validateReport(report: unknown): void {
  const v = validators().report;
  if (!v(report)) throw new Error(`the report does not follow schema/report.schema.json: ${describe(v.errors)}`);
}

/** Throws with ajv's errors when the event does not follow schema/trace-event.schema.json. */
export function validateTraceEvent(event: unknown): void {
  const { trace, byType } = validators();
  if (trace(event)) return;
  const type = (event as { type?: unknown } | null)?.type;
  const own = typeof type === 'string' ? byType.get(type) : undefined;
  if (own) own(event);
  const why = own ? describe(own.errors) : `unknown event type ${JSON.stringify(type)}`;
  throw new Error(`trace event does not follow schema/trace-event.schema.json: ${why}: ${JSON.stringify(event)}`);
}

/** Validates every line of an NDJSON trace. */
export function validateTraceText(text: string): void {
  for (const line of text.split('\n')) if (line) validateTraceEvent(JSON.parse(line));
}
