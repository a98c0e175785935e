// The public API types: run options, operations, and the JSON report (the contract in docs/cli.md).

import type { Arch } from '../emu/engine.js';
import type { RegEdit } from './cm/regfile.js';
import type { EngineName } from '../emu/index.js';
import type { TraceContext } from './trace.js';

export type { EngineName };

/** One user-mode operation, as given on the command line or in a --script file. */
export type Operation =
  | { op: 'open'; name: string }
  /** Open the first enabled device interface of a class ({guid}, lower case), as SetupDi would find its path. */
  | { op: 'open-interface'; guid: string }
  | { op: 'read'; length: number }
  | { op: 'write'; data: Uint8Array }
  | { op: 'ioctl'; code: number; input: Uint8Array; outputLength: number }
  | { op: 'close' }
  /** Let this many milliseconds of virtual time pass (timers, DPCs, pending I/O make progress). */
  | { op: 'wait'; ms: number }
  /** CancelIo on the open handle. */
  | { op: 'cancel' }
  /** Create a synthetic process of this image as the client process's child (notify routines fire). */
  | { op: 'spawn'; image: string }
  /** Terminate a process created earlier (notify routines fire). */
  | { op: 'kill'; pid: number };

export interface ClientOptions {
  path: string;
  bytes: Uint8Array;
  /** Command-line arguments after the program name. */
  args?: string[];
  /** Standard input; EOF after it. */
  stdin?: Uint8Array;
  /** Console output as the program writes it (the CLI's human summary prints it as it comes). */
  onOutput?: (stream: 1 | 2, bytes: Uint8Array) => void;
}

export interface ClientReport {
  path: string;
  arch: Arch;
  /** The process's exit code; null when it did not exit (a fault, a deadlock, a budget). */
  exitCode: number | null;
  /** Console output, decoded as best we can (UTF-8, else GBK, else code page 437). */
  stdout: string;
  stderr: string;
  /** The exact bytes written, in hex. */
  stdoutHex: string;
  stderrHex: string;
  /** Driver misbehaviour noticed during the program's requests. */
  notes: string[];
}

export interface RunOptions {
  /** Path of the driver image (used in the report). */
  driverPath: string;
  /** The driver file's bytes. */
  driverBytes: Uint8Array;
  engine?: EngineName;
  operations: Operation[];
  /** Skip the unload routine. */
  noUnload?: boolean;
  /** A user-mode console program to run against the driver after DriverEntry (instead of operations). */
  client?: ClientOptions;
  /** Open handles with FILE_FLAG_OVERLAPPED (--overlapped): requests may pend. */
  overlapped?: boolean;
  /** Named pipes served from the host side before DriverEntry (--pipe). */
  pipes?: string[];
  /** A host folder shown read-only at C:\ in the emulated file system (--fs). */
  fsDir?: string;
  /** Edits applied to the emulated registry before DriverEntry, in order (--registry FILE.reg, parsed). */
  registry?: readonly RegEdit[];
  /**
   * Root-enumerate a device for each driver that registers AddDevice (PnP and KMDF drivers) and start it; false
   * (--no-pnp) leaves such drivers without devices.
   */
  pnp?: boolean;
  /** Drivers to load after the first, in order (--load): filters, driver stacks. */
  load?: { path: string; bytes: Uint8Array }[];
  /** Instruction budget for the whole run (absent: DEFAULT_MAX_INSTRUCTIONS). */
  maxInstructions?: number | 'unlimited';
  /** Virtual-time budget in milliseconds since boot (absent: DEFAULT_MAX_VIRTUAL_MS). */
  maxVirtualMs?: number | 'unlimited';
  /** Guest memory the run may map, in MiB (absent: DEFAULT_MEMORY_MB). */
  memoryMb?: number;
  /** Wall-clock budget for the whole run in milliseconds (0 or absent: none). */
  timeoutMs?: number;
  /** The Windows version the kernel reports (--os-version; absent: 10.0.19045, Windows 10 22H2). */
  osVersion?: { major: number; minor: number; build: number };
  /** Receives every trace event as it happens (NDJSON writer, the --timeline writer, tests), with the machine's state then. */
  onTrace?: (event: TraceEvent, context: TraceContext) => void;
  /** Stop the run (outcome 'trace-limit') when the trace would go past this many events (--trace-limit; absent: none). */
  traceLimit?: number;
  /**
   * Code coverage of the driver images (the main driver and the --load ones): file, where to write the executed
   * basic blocks in drcov format (--coverage FILE); summary, add Report.coverage (--coverage-summary).
   */
  coverage?: { file?: string; summary?: boolean };
}

export type Outcome =
  | 'completed'
  | 'bugcheck'
  | 'fault'
  | 'unsupported-call'
  | 'unsupported-instruction'
  | 'instruction-limit'
  | 'timeout'
  | 'deadlock'
  | 'client-fault'
  /** A bound of kdemu's own was reached while the guest ran (a host-side table or region full); exit 1. */
  | 'resource-limit'
  /** The trace reached --trace-limit events; the run stopped there; exit 1. */
  | 'trace-limit'
  /** A bug in kdemu: stop.internal says where; exit 3. */
  | 'internal-error';

export interface OpReport {
  op: 'open' | 'read' | 'write' | 'ioctl' | 'close' | 'wait' | 'cancel' | 'spawn' | 'kill';
  /** spawn: the image as created; spawn, kill: the process id. */
  image?: string;
  pid?: number;
  /** wait: the milliseconds waited. */
  ms?: number;
  /** A request the driver left pending (status 0x00000103, win32Error 997): its result once it completed, else null. */
  completion?: { status: string; information: number; data: string; dataBytes?: number; dataSha256?: string; atMs: number } | null;
  name?: string;
  length?: number;
  code?: string;
  /** NTSTATUS, 8 upper-case hex digits with 0x. */
  status: string;
  win32Error: number;
  information?: number;
  /** Bytes returned to the caller, lower-case hex (the first MAX_REPORT_DATA bytes when dataBytes is present). */
  data?: string;
  /** Only for a buffer larger than the report spells out (16 MiB): its full length and the SHA-256 of all of it. */
  dataBytes?: number;
  dataSha256?: string;
  /** A driver misbehaviour kdemu noticed during the operation (returned without completing the IRP ...). */
  note?: string;
}

export interface LeakReport {
  kind: 'device' | 'symlink' | 'pool' | 'handle' | 'irp' | 'reference' | 'mapping' | 'locked-pages' | 'physical-memory' | 'timer' | 'dpc' | 'callback' | 'thread' | 'work-item' | 'interrupt' | 'wdf-object' | 'wdf-request';
  detail: string;
  /** symlink: the target it still points to. */
  target?: string;
  /** device, symlink: the driver object that owns it when it is not the loaded driver's (one made by IoCreateDriver). */
  driver?: string;
  tag?: string;
  size?: number;
  caller?: string;
}

export interface StopReport {
  reason: string;
  pc?: string;
  module?: string;
  offset?: string;
  bugcheck?: { code: string; name: string; params: string[] };
  export?: string;
  fault?: { access: string; address: string };
  instruction?: string;
  stack?: string[];
  /** outcome internal-error: the kdemu function where it happened and the error, for a bug report. */
  internal?: { where: string; error: string };
}

export interface PipeReport {
  /** The pipe's name (\\.\pipe\NAME). */
  name: string;
  /** Bytes the host-side server read from the pipe, lower-case hex, and as text. */
  received: string;
  text: string;
  /** Messages (message mode) or writes (byte mode) as they arrived, hex. */
  messages: string[];
}

export interface ThreadReport {
  tid: number;
  pid: number;
  /** The start routine (module+offset), or null for the run's own threads (System's, the client's main thread). */
  start: string | null;
  state: 'initialized' | 'ready' | 'running' | 'waiting' | 'terminated';
  /** NTSTATUS or exit code, once it ended. */
  exitStatus: string | null;
}

export interface ProcessReport {
  pid: number;
  parentPid: number;
  image: string;
  /** Once it ended. */
  exitCode: string | null;
}

/** The report's schema version (schema/report.schema.json): fields are only ever added, and each addition increments it. */
export const REPORT_SCHEMA_VERSION = 1;

export interface Report {
  /** REPORT_SCHEMA_VERSION of the kdemu that wrote the report. */
  schemaVersion: number;
  driver: { path: string; sha256: string; arch: Arch; imageBase: string; entryPoint: string };
  outcome: Outcome;
  driverEntry: { status: string } | null;
  devices: { name: string; type: string; flags: string }[];
  symlinks: { link: string; target: string }[];
  ops: OpReport[];
  dbgPrint: string[];
  unload: { called: boolean; leaks: LeakReport[] };
  stop: StopReport | null;
  client: ClientReport | null;
  /** The drivers loaded after the first (--load), in order. */
  loaded: { path: string; sha256: string; imageBase: string; entryPoint: string; driverEntry: { status: string } }[];
  /** Named pipes the run's host side served (--pipe): what the driver wrote into each. */
  pipes: PipeReport[];
  /** Every thread that existed, in creation order. */
  threads: ThreadReport[];
  /** Every process that existed, in creation order. */
  processes: ProcessReport[];
  unsupportedCalls: string[];
  stats: { engine: EngineName; instructions: number; apiCalls: number; wallMs: number };
  /** --coverage-summary: per driver image, its basic blocks and functions and how many of them executed. */
  coverage?: { modules: { name: string; blocks: number; blocksHit: number; functions: number; functionsHit: number }[] };
}

/** Trace events: one per API call, IRP sent/completed, DbgPrint, and notable conditions. NDJSON-serialisable. */
export type TraceEvent =
  /** tid: the thread that made the call. */
  | { type: 'call'; seq: number; export: string; args: Record<string, string>; ret?: string; caller: string; tid: number; note?: string }
  | { type: 'irp'; seq: number; event: 'sent' | 'completed'; irp: string; major: string; device: string; status?: string; information?: string }
  | { type: 'dbgprint'; seq: number; text: string; note?: string }
  | { type: 'callback'; seq: number; event: 'enter' | 'leave'; routine: string; target: string; ret?: string; note?: string }
  /** A privileged instruction the kernel layer emulated (mov cr8, rdmsr ...). */
  | { type: 'cpu'; seq: number; instruction: string; at: string }
  /** An I/O port access (in/out/ins/outs, READ_PORT_*, WRITE_PORT_*, the HAL's PCI and CMOS accesses): port and value in hex. */
  | { type: 'port'; seq: number; direction: 'in' | 'out'; port: string; width: 8 | 16 | 32; value: string; at: string }
  | { type: 'op'; seq: number; op: string; status: string; information?: number }
  /** Where kdemu knowingly does less than Windows (Wine's FIXME habit): what it left out, and where (module+offset). */
  | { type: 'note'; seq: number; text: string; at?: string }
  | { type: 'stop'; seq: number; outcome: Outcome; reason: string }
  /** A thread was created, the processor switched to it (from: the thread that ran before), or it ended. */
  | { type: 'thread'; seq: number; event: 'create' | 'switch' | 'exit'; tid: number; pid: number; start?: string; from?: number; status?: string }
  /**
   * A registry access: op is open, create, query, set, delete-value, delete-key, query-key, enumerate-key or
   * enumerate-value; key the full path (\REGISTRY\MACHINE\...); value and data (type and contents) when a value is involved.
   */
  | { type: 'registry'; seq: number; op: string; key: string; value?: string; data?: string; status: string }
  /** An error log entry a driver wrote (IoWriteErrorLogEntry): the event log's record of it. */
  | { type: 'errorlog'; seq: number; object: string; errorCode: string; uniqueErrorValue: string; finalStatus: string; majorFunction: number; dumpData: string[]; strings: string[] }
  /** A process was created (a synthetic one: CreateProcess, --spawn) or ended. */
  | { type: 'process'; seq: number; event: 'create' | 'exit'; pid: number; parentPid: number; image: string; exitCode?: string }
  /**
   * The PnP manager's work on a root-enumerated device: the driver's AddDevice, and each IRP_MJ_PNP it sends the device
   * stack (start, query-remove, remove), with the PDO and the status.
   */
  | { type: 'pnp'; seq: number; event: 'add-device' | 'start' | 'query-remove' | 'remove'; device: string; driver: string; status: string };
