// npm run bench: load + DriverEntry time, ReadFile round trips per second, and the client's start-to-exit time for the
// x64 readfile sample pair, per engine.
//   npm run bench            a table
//   npm run bench -- --json  one JSON object:
//     { "<engine>": { "loadAndDriverEntryMs": n, "readRoundTripsPerSec": n, "clientRunMs": n, "ioctlRoundTripsPerSec": n,
//                     "kmdfIoctlRoundTripsPerSec": n, "threadSwitchesPerSec": n } }
// (ioctlRoundTripsPerSec: the ioctl sample's ADD, METHOD_BUFFERED, through the TS API; kmdfIoctlRoundTripsPerSec: the
// same ADD answered by kmdf_ioctl through the framework (in-caller-context callback, sequential queue, request
// completion); threadSwitchesPerSec: the threadbench sample's two system threads handing an event back and forth)

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, engineAvailable, type EngineName } from '../emu/index.js';
import { DriverSession } from '../hal/session.js';
import { parseClient } from '../hal/run.js';
import { ClientProcess } from '../hal/user/process.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const samplePath = path.join(repo, 'samples', 'build', 'x64', 'readfile.sys');
const clientPath = path.join(repo, 'samples', 'build', 'x64', 'readfile_client.exe');

interface EngineFigures {
  loadAndDriverEntryMs: number;
  readRoundTripsPerSec: number;
  clientRunMs: number;
  ioctlRoundTripsPerSec: number;
  kmdfIoctlRoundTripsPerSec: number;
  threadSwitchesPerSec: number;
}

const threadbenchPath = path.join(repo, 'samples', 'build', 'x64', 'threadbench.sys');

/** Thread switches per second while threadbench's DriverEntry runs its 100,000 rounds (the best of three runs). */
function threadSwitches(engine: EngineName): number {
  const bytes = new Uint8Array(readFileSync(threadbenchPath));
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const s = DriverSession.load({ driverPath: threadbenchPath, driverBytes: bytes, engine });
    const t = performance.now();
    const status = s.start();
    const ms = performance.now() - t;
    if (status !== 0 || s.k.dbgPrint[0] !== 'threadbench: 100000 rounds\n') throw new Error(`threadbench went wrong: ${status.toString(16)} ${s.k.dbgPrint[0]}`);
    best = Math.max(best, s.k.sched.switches / (ms / 1000));
    s.close();
  }
  return Math.round(best);
}

const ioctlPath = path.join(repo, 'samples', 'build', 'x64', 'ioctl.sys');
const kmdfIoctlPath = path.join(repo, 'samples', 'build', 'x64', 'kmdf_ioctl.sys');

/** DeviceIoControl ADD (2 + 3) on one open handle for two seconds after a warm-up: round trips per second. */
function ioctlRoundTrips(engine: EngineName, ioctlPath: string): number {
  const bytes = new Uint8Array(readFileSync(ioctlPath));
  const s = DriverSession.load({ driverPath: ioctlPath, driverBytes: bytes, engine });
  s.start();
  const h = s.user.CreateFile('\\\\.\\KdIoctl');
  if (h.handle < 0) throw new Error(`open failed: 0x${h.status.toString(16)}`);
  const input = Uint8Array.of(2, 0, 0, 0, 3, 0, 0, 0);
  const once = () => {
    const r = s.user.DeviceIoControl(h.handle, 0x222000, input, 4);
    if (r.information !== 4 || r.data[0] !== 5) throw new Error('ADD returned the wrong result');
  };
  for (let i = 0; i < 20000; i++) once();
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < 2000) {
    for (let i = 0; i < 1000; i++) once();
    n += 1000;
    elapsed = performance.now() - t0;
  }
  s.user.CloseHandle(h.handle);
  s.close();
  return Math.round(n / (elapsed / 1000));
}

/**
 * The client pair: the median time from creating the client's process to its exit and rundown (mapping the program,
 * the CRT start-up, main's requests to the driver, exit, closing its handles), each run on a fresh machine with
 * the driver loaded and started, after warm-up runs.
 */
function clientRun(engine: EngineName, bytes: Uint8Array, client: Uint8Array): number {
  const img = parseClient(client, 'x64');
  const times: number[] = [];
  for (let i = 0; i < 13; i++) {
    const s = DriverSession.load({ driverPath: samplePath, driverBytes: bytes, engine });
    s.start();
    const t = performance.now();
    const p = new ClientProcess(s.k, img, client, { path: clientPath, args: [], stdin: new Uint8Array(0) });
    const code = p.run();
    p.closeAll();
    const ms = performance.now() - t;
    if (code !== 0 || Buffer.from(p.stdout).toString() !== '68686868686868686868') throw new Error(`the client run went wrong: exit code ${code}`);
    s.close();
    if (i >= 3) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** Load + DriverEntry: the median of several cold starts (each a fresh machine). */
function loadTime(engine: EngineName, bytes: Uint8Array): number {
  const starts: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    const s = DriverSession.load({ driverPath: samplePath, driverBytes: bytes, engine });
    s.start();
    starts.push(performance.now() - t);
    s.close();
  }
  starts.sort((a, b) => a - b);
  return round(starts[starts.length >> 1]);
}

/** ReadFile of 10 bytes on one open handle for two seconds, after a warm-up: round trips per second. */
function readRoundTrips(engine: EngineName, bytes: Uint8Array): number {
  const s = DriverSession.load({ driverPath: samplePath, driverBytes: bytes, engine });
  s.start();
  const h = s.user.CreateFile('\\\\.\\My_Device');
  if (h.handle < 0) throw new Error(`open failed: 0x${h.status.toString(16)}`);
  for (let i = 0; i < 20000; i++) s.user.ReadFile(h.handle, 10);
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < 2000) {
    for (let i = 0; i < 1000; i++) {
      const r = s.user.ReadFile(h.handle, 10);
      if (r.information !== 10) throw new Error('ReadFile returned the wrong byte count');
    }
    n += 1000;
    elapsed = performance.now() - t0;
  }
  s.user.CloseHandle(h.handle);
  s.close();
  return Math.round(n / (elapsed / 1000));
}

const ITEMS = {
  loadAndDriverEntryMs: (e: EngineName, b: Uint8Array) => loadTime(e, b),
  readRoundTripsPerSec: (e: EngineName, b: Uint8Array) => readRoundTrips(e, b),
  clientRunMs: (e: EngineName, b: Uint8Array) => round(clientRun(e, b, new Uint8Array(readFileSync(clientPath)))),
  ioctlRoundTripsPerSec: (e: EngineName) => ioctlRoundTrips(e, ioctlPath),
  kmdfIoctlRoundTripsPerSec: (e: EngineName) => ioctlRoundTrips(e, kmdfIoctlPath),
  threadSwitchesPerSec: (e: EngineName) => threadSwitches(e),
} as const;

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

const json = process.argv.includes('--json');
const only = process.argv.indexOf('--engine');
if (only >= 0) {
  // One figure of one engine, in a process of its own, printed as JSON for the parent.
  const engine = process.argv[only + 1] as EngineName;
  const item = process.argv[process.argv.indexOf('--item') + 1] as keyof typeof ITEMS;
  console.log(JSON.stringify(ITEMS[item](engine, new Uint8Array(readFileSync(samplePath)))));
} else {
  // Each figure is measured in a fresh process: after other machines in the same process (two engine classes at the
  // kernel layer's call sites, the garbage of dozens of machines) V8 runs slower than a real run, which has one.
  const result: Record<string, EngineFigures> = {};
  for (const engine of ENGINES) {
    if (!engineAvailable(engine)) {
      if (!json) console.log(`${engine}: not available here, skipped`);
      continue;
    }
    const figures: Record<string, number> = {};
    for (const item of Object.keys(ITEMS)) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--engine', engine, '--item', item], { encoding: 'utf8' });
      figures[item] = JSON.parse(out) as number;
    }
    result[engine] = figures as unknown as EngineFigures;
  }
  if (json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`readfile.sys, ioctl.sys, kmdf_ioctl.sys and threadbench.sys (x64), ${process.version}`);
    for (const [engine, f] of Object.entries(result)) {
      console.log(`${engine.padEnd(8)} load + DriverEntry ${f.loadAndDriverEntryMs} ms   ReadFile round trips ${f.readRoundTripsPerSec.toLocaleString('en-US')}/s   client run ${f.clientRunMs} ms   IOCTL round trips ${f.ioctlRoundTripsPerSec.toLocaleString('en-US')}/s (KMDF ${f.kmdfIoctlRoundTripsPerSec.toLocaleString('en-US')}/s)   thread switches ${f.threadSwitchesPerSec.toLocaleString('en-US')}/s`);
    }
  }
}
