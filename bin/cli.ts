// The kdemu command line as a function: argv in, exit code out, output through the given streams. bin/kdemu.ts
// runs it for the process; tests and the fuzzer run it in-process. Exit 0 completed, 1 the guest stopped abnormally,
// 2 bad input, 3 an internal error of kdemu (a bug: the report says where, and asks for a report).

import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PeFormatError } from '../emu/pe/index.js';
import { EngineUnavailableError } from '../emu/engine.js';
import { inspectImage, listExports } from '../hal/info.js';
import { InputError, parseClient, parseDriver, runDriver } from '../hal/run.js';
import { internalErrorLine } from '../hal/internal.js';
import type { RunOptions } from '../hal/report.js';
import type { TraceEvent } from '../hal/report.js';
import { USAGE, UsageError, parseCommand } from './args.js';
import { renderExports, renderInfo, renderReport } from './render.js';

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

function traceWriter(target: string, io: CliIo): { write: (e: TraceEvent) => void; close: () => void } {
  // The process's stdout is written synchronously (a long trace is never queued in memory); another io gets lines.
  const fd = target !== '-' ? openTrace(target) : io === processIo ? 1 : -1;
  const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v);
  let open = true;
  return {
    write: (e) => {
      if (!open) return;
      const line = JSON.stringify(e, replacer) + '\n';
      if (fd < 0) return io.stdout(line);
      try {
        writeSync(fd, line);
      } catch (err) {
        // A reader that went away (| head) ends the trace, not the run.
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
        open = false;
      }
    },
    close: () => {
      if (fd > 1) closeSync(fd);
    },
  };
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
          ...(cmd.json || cmd.trace === '-' ? {} : { onOutput: (_s: 1 | 2, b: Uint8Array) => {
            if (b.length) lastOutputByte = b[b.length - 1];
            io.stdout(b);
          } }),
        };
      }
      const trace = cmd.trace ? traceWriter(cmd.trace, io) : undefined;
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
          onTrace: trace?.write,
        }));
        // The report starts on a line of its own after the program's output.
        if (lastOutputByte !== undefined && lastOutputByte !== 0x0a) io.stdout('\n');
        io.stdout(cmd.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report));
        return report.outcome === 'completed' ? 0 : report.outcome === 'internal-error' ? 3 : 1;
      } finally {
        trace?.close();
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
