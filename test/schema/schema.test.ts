// The published schemas (schema/*.schema.json): valid 2020-12 schemas, printed by `kdemu schema`, describing every
// field, and followed by representative runs (the test helpers validate every other run of the suite too).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTCOMES, TRACE_EVENT_TYPES } from '../../bin/schema.js';
import type { Report } from '../../hal/report.js';
import { REPORT_SCHEMA_VERSION } from '../../hal/report.js';
import { buildDriver } from '../fixtures/build.js';
import { kdemu, sample } from '../helpers.js';
import { run } from '../kernel/harness.js';
import { loadSchema, newAjv, validateReport, validateTraceEvent, validateTraceText } from '../schema-validate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kdemu-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every object schema in the tree, with where it is. */
function* walk(node: unknown, at: string): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) yield* walk(v, `${at}/${i}`);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const o = node as Record<string, unknown>;
  yield [at, o];
  for (const [k, v] of Object.entries(o)) if (k !== 'enum' && k !== 'const' && k !== 'required') yield* walk(v, `${at}/${k}`);
}

describe('kdemu schema', () => {
  it.each([
    ['report', 'report.schema.json'],
    ['trace', 'trace-event.schema.json'],
  ] as const)('kdemu schema %s prints %s, a schema ajv compiles in strict mode', (which, file) => {
    const r = kdemu(['schema', which]);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).toEqual(loadSchema(file));
    expect(printed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => newAjv().compile(printed)).not.toThrow();
  });

  it('refuses anything but report or trace (exit 2)', () => {
    const r = kdemu(['schema', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kdemu: kdemu schema: expected 'report' or 'trace'/);
  });

  it.each(['report.schema.json', 'trace-event.schema.json'] as const)('%s describes every field and closes every object', (file) => {
    for (const [at, o] of walk(loadSchema(file), '')) {
      if (o.properties) {
        expect(o.additionalProperties, `${at} lets unknown fields through`).toBe(false);
        for (const [name, p] of Object.entries(o.properties as Record<string, Record<string, unknown>>)) {
          const desc = p.description ?? (p.$ref ? 'by reference' : undefined);
          expect(desc, `${at}/properties/${name} has no description`).toBeTruthy();
        }
      }
    }
  });

  it('lists every outcome and every trace event type kdemu has', () => {
    const report = loadSchema('report.schema.json') as { $defs: { outcome: { enum: string[] } } };
    expect([...report.$defs.outcome.enum].sort()).toEqual([...OUTCOMES].sort());
    const trace = loadSchema('trace-event.schema.json') as { $defs: Record<string, { properties: { type: { const: string } } }> };
    expect(Object.values(trace.$defs).map((d) => d.properties.type.const).sort()).toEqual([...TRACE_EVENT_TYPES].sort());
    expect(OUTCOMES).toContain('trace-limit');
  });

  it('catches drift: a field the schema does not know, a missing one, a wrong type', () => {
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--read', '4', '--json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(() => validateReport(report)).not.toThrow();
    expect(() => validateReport({ ...report, surprise: 1 })).toThrow(/surprise/);
    const { schemaVersion: _, ...without } = report;
    expect(() => validateReport(without)).toThrow(/schemaVersion/);
    expect(() => validateTraceEvent({ type: 'dbgprint', seq: 0, text: 1 })).toThrow(/\/text must be string/);
    expect(() => validateTraceEvent({ type: 'nonesuch', seq: 0 })).toThrow(/unknown event type/);
  });
});

describe('representative runs follow the schemas', () => {
  it('a sample with its client program (report and trace file)', () => {
    const trace = path.join(dir, 'client.ndjson');
    const r = kdemu(['run', sample('x64', 'readfile.sys'), '--client', sample('x64', 'readfile_client.exe'), '--json', '--trace', trace]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(report.client?.exitCode).toBe(0);
    validateReport(report);
    validateTraceText(readFileSync(trace, 'utf8'));
  });

  it('a KMDF sample (PnP events, WDF leaks)', () => {
    const trace = path.join(dir, 'kmdf.ndjson');
    const r = kdemu(['run', sample('x64', 'kmdf_pnp.sys'), '--client', sample('x64', 'kmdf_pnp_client.exe'), '--json', '--trace', trace]);
    validateReport(JSON.parse(r.stdout));
    const text = readFileSync(trace, 'utf8');
    validateTraceText(text);
    expect(text).toContain('"type":"pnp"');
  });

  it('a bugcheck (stop with bugcheck details and a stop event)', () => {
    const { report, trace } = run(buildDriver('bugcheck', 'x64'));
    expect(report.outcome).toBe('bugcheck');
    validateReport(JSON.parse(JSON.stringify(report)));
    expect(trace.some((e) => e.type === 'stop')).toBe(true);
  });

  it('an unsupported call', () => {
    const { report } = run(buildDriver('unsupported', 'x86'));
    expect(report.outcome).toBe('unsupported-call');
    validateReport(JSON.parse(JSON.stringify(report)));
  });

  it('a run cut short by --trace-limit', () => {
    const { report, trace } = run(buildDriver('bugcheck', 'x64'), [], { traceLimit: 1 });
    expect(report.outcome).toBe('trace-limit');
    expect(trace).toHaveLength(2);
    validateReport(JSON.parse(JSON.stringify(report)));
  });
});
