// The kdemu command line as a function: argv in, exit code out, output through the given streams. bin/kdemu.ts
// runs it for the process; tests and the fuzzer run it in-process. Exit 0 completed, 1 the guest stopped abnormally,
// 2 bad input, 3 an internal error of kdemu (a bug: the report says where, and asks for a report).

import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { PeFormatError } from '../emu/pe/index.js';
import { EngineUnavailableError } from '../emu/engine.js';
import { inspectImage, listExports } from '../hal/info.js';
import { InputError, parseClient, parseDriver, runDriver } from '../hal/run.js';
import { coverageLines } from '../hal/coverage.js';
import { internalErrorLine } from '../hal/internal.js';
import type { RunOptions } from '../hal/report.js';
import type { TraceEvent } from '../hal/report.js';
import { USAGE, UsageError, parseCommand } from './args.js';
import { timelineWriter } from './timeline.js';
import { renderExports, renderInfo, renderReport } from './render.js';
import { openJunit } from './junit.js';
import { schemaText } from './schema.js';

/** Where the command line writes: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
}

/** The process's own streams; a reader that went away (| head) ends the output, not the run. */
export const processIo: CliIo = {
  stdout: (d) => void process.stdout.write(d),
  stderr: (t) => void process.stderr.write(t),
};

const MAX_IMAGE_FILE = 512 * 1024 * 1024;

function readImage(file: string, what = 'driver file'): Uint8Array {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
  if (st.isDirectory()) throw new InputError(`${file}: is a directory, not a ${what}`);
  if (!st.isFile()) throw new InputError(`${file}: not a regular file`);
  if (st.size === 0) throw new InputError(`${file}: empty file`);
  if (st.size > MAX_IMAGE_FILE) throw new InputError(`${file}: ${st.size} bytes is too large for an image (limit 512 MiB)`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Uncompressed trace text gathered before it is gzipped as one member of a FILE.gz trace. */
const GZIP_CHUNK = 1 << 20;

function traceWriter(target: string, io: CliIo): { write: (e: TraceEvent) => void; close: () => void } {
  // The process's stdout is written synchronously (a long trace is never queued in memory); another io gets lines.
  const fd = target !== '-' ? openTrace(target) : io === processIo ? 1 : -1;
  const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v);
  // FILE.gz: each chunk is a gzip member of its own (a concatenation of members is one valid gzip file, which zcat
  // and gunzip read whole), so memory stays bounded by the chunk however long the trace.
  const gzip = target !== '-' && /\.gz$/i.test(target);
  let pending: string[] = [];
  let pendingLength = 0;
  let open = true;
  const put = (data: string | Uint8Array) => {
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    } catch (err) {
      // A reader that went away (| head) ends the trace, not the run.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      open = false;
    }
  };
  const flush = () => {
    if (!pending.length) return;
    const text = pending.join('');
    pending = [];
    pendingLength = 0;
    put(gzipSync(text));
  };
  return {
    write: (e) => {
      if (!open) return;
      const line = JSON.stringify(e, replacer) + '\n';
      if (fd < 0) return io.stdout(line);
      if (!gzip) return put(line);
      pending.push(line);
      pendingLength += line.length;
      if (pendingLength >= GZIP_CHUNK) flush();
    },
    close: () => {
      if (gzip && open) flush();
      if (fd > 1) closeSync(fd);
    },
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * All of the bytes, however the fd takes them: a non-blocking pipe (a parent's spawnSync, a slow reader) accepts
 * part of a write or none (EAGAIN) while it is full, so the rest waits for the reader.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function openTrace(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    throw new InputError(`--trace ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A malformed image is bad input; say which file. */
function withFile<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError && e.file !== undefined) throw e;
    if (e instanceof PeFormatError || e instanceof InputError) throw new InputError(e.message, file);
    throw e;
  }
}

function main(argv: string[], io: CliIo): number {
  const cmd = parseCommand(argv);
  switch (cmd.cmd) {
    case 'help':
      io.stdout(USAGE);
      return 0;
    case 'version': {
      const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
      io.stdout(`kdemu ${pkg.version}\n`);
      return 0;
    }
    case 'schema':
      io.stdout(schemaText(cmd.which));
      return 0;
    case 'exports': {
      const list = listExports();
      io.stdout(cmd.json ? JSON.stringify(list, null, 2) + '\n' : renderExports(list));
      return 0;
    }
    case 'info': {
      const bytes = readImage(cmd.file);
      const info = withFile(cmd.file, () => inspectImage(bytes, cmd.file));
      io.stdout(cmd.json ? JSON.stringify(info, null, 2) + '\n' : renderInfo(info));
      return 0;
    }
    case 'run': {
      const bytes = readImage(cmd.file);
      let client: RunOptions['client'];
      let lastOutputByte: number | undefined;
      // With --trace - stdout carries the trace alone (NDJSON a pipe can parse): the rest goes to stderr.
      const toStderr = cmd.trace === '-';
      const text = (t: string) => (toStderr ? io.stderr(t) : io.stdout(t));
      const bytesOut = (b: Uint8Array) => (!toStderr ? io.stdout(b) : io === processIo ? void process.stderr.write(b) : io.stderr(Buffer.from(b).toString('utf8')));
      if (cmd.client) {
        const arch = withFile(cmd.file, () => parseDriver(bytes).arch);
        const path = cmd.client.path;
        const clientBytes = readImage(path, 'client program');
        withFile(path, () => parseClient(clientBytes, arch));
        client = {
          path,
          bytes: clientBytes,
          args: cmd.client.args,
          stdin: new TextEncoder().encode(cmd.client.stdin),
          // The human summary shows the program's output as it comes; --json keeps stdout for the report.
          ...(cmd.json ? {} : { onOutput: (_s: 1 | 2, b: Uint8Array) => {
            if (b.length) lastOutputByte = b[b.length - 1];
            bytesOut(b);
          } }),
        };
      }
      // --junit is checked before the run and written whatever its end: a stopped run is when CI needs it.
      const junit = cmd.junit !== undefined ? openJunit(cmd.junit) : undefined;
      const trace = cmd.trace ? traceWriter(cmd.trace, io) : undefined;
      const timeline = cmd.timeline !== undefined ? timelineWriter(cmd.timeline, `kdemu ${cmd.file.replace(/^.*[\\/]/, '')}`) : undefined;
      try {
        const load = cmd.load.map((path) => {
          const b = readImage(path);
          withFile(path, () => parseDriver(b));
          return { path, bytes: b };
        });
        const report = withFile(cmd.file, () => runDriver({
          client,
          load,
          driverPath: cmd.file,
          driverBytes: bytes,
          engine: cmd.engine,
          operations: cmd.operations,
          overlapped: cmd.overlapped,
          pipes: cmd.pipes,
          ...(cmd.fsDir !== undefined ? { fsDir: cmd.fsDir } : {}),
          ...(cmd.osVersion !== undefined ? { osVersion: cmd.osVersion } : {}),
          ...(cmd.registry !== undefined ? { registry: cmd.registry } : {}),
          noUnload: cmd.noUnload,
          ...(cmd.noPnp ? { pnp: false } : {}),
          maxInstructions: cmd.maxInstructions,
          maxVirtualMs: cmd.maxVirtualMs,
          memoryMb: cmd.memoryMb,
          timeoutMs: cmd.timeoutMs,
          onTrace: timeline ? (e, c) => (trace?.write(e), timeline.write(e, c)) : trace?.write,
          ...(cmd.traceLimit !== undefined ? { traceLimit: cmd.traceLimit } : {}),
          ...(cmd.coverage !== undefined || cmd.coverageSummary ? { coverage: { file: cmd.coverage, summary: cmd.coverageSummary === true } } : {}),
        }));
        junit?.report(report, { operations: cmd.operations, load: cmd.load, client: cmd.client?.path, noUnload: cmd.noUnload });
        // The report starts on a line of its own after the program's output.
        if (lastOutputByte !== undefined && lastOutputByte !== 0x0a) text('\n');
        // Colours follow the stream the summary goes to (none when it is not the process's own).
        text(cmd.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report, io === processIo ? (toStderr ? process.stderr : process.stdout) : {}));
        if (!cmd.json && report.coverage) text(coverageLines(report.coverage));
        return report.outcome === 'completed' ? 0 : report.outcome === 'internal-error' ? 3 : 1;
      } catch (e) {
        junit?.failed(cmd.file, e);
        throw e;
      } finally {
        trace?.close();
        timeline?.close();
      }
    }
  }
}


/**
 * Runs one command line. Bad input is one line on stderr and exit 2; anything else that escapes (a bug in kdemu,
 * never the guest's doing: guest misbehaviour ends in a report) is exit 3 with one line naming where it happened.
 */
export function runCli(argv: string[], io: CliIo = processIo): number {
  try {
    return main(argv, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError || e instanceof PeFormatError || e instanceof EngineUnavailableError) {
      io.stderr(`kdemu: ${oneLine(e.message)}\n`);
      return 2;
    }
    io.stderr(`kdemu: ${oneLine(internalErrorLine(e))}\n`);
    return 3;
  }
}

/** A message is one line whatever it quotes: control characters in file names or arguments are escaped. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
