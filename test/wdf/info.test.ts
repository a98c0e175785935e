// `kdemu info` on KMDF clients: the WDF_BIND_INFO found in the image (version, table size, where the table lives)
// and the framework entries the code calls through the table, in both table forms (1.15's pointer, 1.9's copy).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderInfo } from '../../bin/render.js';
import { inspectImage, type InfoReport } from '../../hal/info.js';
import { wdfIndex } from '../../hal/wdf/table.js';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { kdemu, sample } from '../helpers.js';

function info(path: string): InfoReport {
  return inspectImage(new Uint8Array(readFileSync(path)), path);
}

const names = (r: InfoReport) => (r.wdf?.referenced ?? []).map((e) => e.name);

describe.each(ARCHES)('%s', (arch) => {
  it.each(['kmdf_ioctl.sys', 'kmdf_pnp.sys'])('%s: KMDF 1.15, 444 entries, the entries it calls', (file) => {
    const r = info(sample(arch, file));
    expect(r.kmdf).toBe(true);
    const w = r.wdf!;
    expect(w).toBeDefined();
    expect(w.version).toBe('1.15');
    expect(w.funcCount).toBe(444);
    expect(w.bindInfo).toMatch(/^0x[0-9A-F]+$/);
    expect(w.functionTable).toMatch(/^0x[0-9A-F]+$/);
    for (const n of ['WdfDriverCreate', 'WdfDeviceCreate', 'WdfIoQueueCreate', 'WdfRequestCompleteWithInformation']) {
      const e = w.referenced!.find((x) => x.name === n);
      expect(e, n).toEqual({ index: wdfIndex(n), name: n, implemented: true });
    }
    // Ascending, each once, and nothing the samples do not call.
    const idx = w.referenced!.map((e) => e.index);
    expect(idx).toEqual([...new Set(idx)].sort((a, b) => a - b));
    expect(names(r)).not.toContain('WdfChildListCreate');
    expect(r.missing).toEqual([]);
  });

  it('kmdf_ioctl.sys: exactly the entries its source calls (and the context accessor)', () => {
    expect(names(info(sample(arch, 'kmdf_ioctl.sys'))).sort()).toEqual([
      'WdfControlDeviceInitAllocate', 'WdfControlFinishInitializing', 'WdfDeviceCreate', 'WdfDeviceCreateSymbolicLink',
      'WdfDeviceEnqueueRequest', 'WdfDeviceInitAssignName', 'WdfDeviceInitFree', 'WdfDeviceInitSetExclusive',
      'WdfDeviceInitSetIoInCallerContextCallback', 'WdfDeviceInitSetIoType', 'WdfDeviceInitSetRequestAttributes',
      'WdfDriverCreate', 'WdfIoQueueCreate', 'WdfMemoryGetBuffer', 'WdfObjectDelete', 'WdfObjectGetTypedContextWorker',
      'WdfRequestComplete', 'WdfRequestCompleteWithInformation', 'WdfRequestGetParameters',
      'WdfRequestProbeAndLockUserBufferForRead', 'WdfRequestProbeAndLockUserBufferForWrite',
      'WdfRequestRetrieveInputBuffer', 'WdfRequestRetrieveOutputBuffer', 'WdfRequestRetrieveUnsafeUserInputBuffer',
      'WdfRequestRetrieveUnsafeUserOutputBuffer',
    ]);
  });

  it.each([
    ['1.15 (pointer to the framework table)', undefined, '1.15', 444],
    ['1.9 (copied table)', { minor: 9 }, '1.9', 396],
  ] as const)('a fixture built for %s: found, and an unimplemented entry it calls listed as missing', (_, kmdf, version, count) => {
    const d = buildDriver('kmdf_verifier', arch, kmdf ? { kmdf } : {});
    const r = inspectImage(d.bytes, d.path);
    expect(r.wdf?.version).toBe(version);
    expect(r.wdf?.funcCount).toBe(count);
    const child = r.wdf!.referenced!.find((e) => e.name === 'WdfChildListCreate');
    expect(child).toEqual({ index: 0, name: 'WdfChildListCreate', implemented: false });
    for (const n of ['WdfDriverCreate', 'WdfRequestComplete', 'WdfIoQueueGetDevice', 'WdfRequestMarkCancelable']) {
      expect(r.wdf!.referenced!.find((e) => e.name === n)?.implemented, n).toBe(true);
    }
    expect(r.missing).toContain('wdf01000.sys!WdfChildListCreate');
    expect(r.wdf!.referenced!.every((e) => e.index < count)).toBe(true);
    const text = renderInfo(r);
    expect(text).toMatch(new RegExp(`^KMDF ${version.replace('.', '\\.')} {2}${count} functions `, 'm'));
    expect(text).toMatch(/^ {2}missing {6}WdfChildListCreate \(#0\)$/m);
    expect(text).toMatch(/^Imports \(\d+, 0 missing in kdemu\)$/m);
  });

  it('the bind info and table are where the client\'s exported WdfBindInfo and WdfFunctions are (x86 exports them)', () => {
    const r = info(sample(arch, 'kmdf_ioctl.sys'));
    const exported = (n: string) => r.exports.find((e) => e.name === n)?.rva;
    if (exported('WdfBindInfo')) expect(r.wdf!.bindInfo).toBe(exported('WdfBindInfo'));
    if (exported('WdfFunctions_01015')) expect(r.wdf!.functionTable).toBe(exported('WdfFunctions_01015'));
  });
});

describe('a driver that is not KMDF', () => {
  it('has no wdf section', () => {
    const r = info(sample('x64', 'ioctl.sys'));
    expect(r.kmdf).toBe(false);
    expect(r.wdf).toBeUndefined();
  });
});

describe('the CLI', () => {
  it('kdemu info --json reports the binding and the referenced entries', () => {
    const r = kdemu(['info', sample('x64', 'kmdf_pnp.sys'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as InfoReport;
    expect(j.kmdf).toBe(true);
    expect(j.wdf).toMatchObject({ version: '1.15', funcCount: 444 });
    expect(j.wdf!.referenced!.find((e) => e.name === 'WdfTimerStart')).toEqual({ index: wdfIndex('WdfTimerStart'), name: 'WdfTimerStart', implemented: true });
  });

  it('kdemu info shows a KMDF section', () => {
    const r = kdemu(['info', sample('x86', 'kmdf_ioctl.sys')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^KMDF 1\.15 {2}444 functions {2}bind info 0x[0-9A-F]+ {2}function table 0x[0-9A-F]+$/m);
    expect(r.stdout).toMatch(/^ {2}25 entries referenced, 0 missing in kdemu$/m);
    expect(r.stdout).toMatch(/implemented .*WdfIoQueueCreate/);
  });
});
