// npm run bench: load + DriverEntry time and ReadFile round trips per second for the x64 readfile sample, per engine.
//   npm run bench            a table
//   npm run bench -- --json  one JSON object: { "<engine>": { "loadAndDriverEntryMs": n, "readRoundTripsPerSec": n } }

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, engineAvailable, type EngineName } from '../emu/index.js';
import { DriverSession } from '../hal/session.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const samplePath = path.join(repo, 'samples', 'build', 'x64', 'readfile.sys');

interface EngineFigures {
  loadAndDriverEntryMs: number;
  readRoundTripsPerSec: number;
}

function measure(engine: EngineName, bytes: Uint8Array): EngineFigures {
  // Load + DriverEntry: the median of several cold starts (each a fresh machine).
  const starts: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    const s = DriverSession.load({ driverPath: samplePath, driverBytes: bytes, engine });
    s.start();
    starts.push(performance.now() - t);
    s.close();
  }
  starts.sort((a, b) => a - b);

  // Round trips: ReadFile of 10 bytes on one open handle, after a warm-up.
  const s = DriverSession.load({ driverPath: samplePath, driverBytes: bytes, engine });
  s.start();
  const h = s.user.CreateFile('\\\\.\\My_Device');
  if (h.handle < 0) throw new Error(`open failed: 0x${h.status.toString(16)}`);
  for (let i = 0; i < 2000; i++) s.user.ReadFile(h.handle, 10);
  const seconds = 2;
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 1000; i++) {
      const r = s.user.ReadFile(h.handle, 10);
      if (r.information !== 10) throw new Error('ReadFile returned the wrong byte count');
    }
    n += 1000;
    elapsed = performance.now() - t0;
  }
  s.user.CloseHandle(h.handle);
  s.close();
  return { loadAndDriverEntryMs: round(starts[starts.length >> 1]), readRoundTripsPerSec: Math.round(n / (elapsed / 1000)) };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

const json = process.argv.includes('--json');
const bytes = new Uint8Array(readFileSync(samplePath));
const result: Record<string, EngineFigures> = {};
for (const engine of ENGINES) {
  if (!engineAvailable(engine)) {
    if (!json) console.log(`${engine}: not available here, skipped`);
    continue;
  }
  result[engine] = measure(engine, bytes);
}
if (json) {
  console.log(JSON.stringify(result));
} else {
  console.log(`readfile.sys (x64), ${process.version}`);
  for (const [engine, f] of Object.entries(result)) {
    console.log(`${engine.padEnd(8)} load + DriverEntry ${f.loadAndDriverEntryMs} ms   ReadFile round trips ${f.readRoundTripsPerSec.toLocaleString('en-US')}/s`);
  }
}
