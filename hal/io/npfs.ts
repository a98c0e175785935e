// The named pipe file system (NPFS, \Device\NamedPipe): pipes, their instances, and the two ends' semantics.
//
// A server creates an instance (CreateNamedPipe) that listens; a client open (CreateFile on \\.\pipe\NAME,
// ZwCreateFile on \??\pipe\NAME or \Device\NamedPipe\NAME) connects to a listening instance. Data written at one end
// queues for the other: in byte mode reads take what is there, in message mode one message at a time (a short buffer
// gets STATUS_BUFFER_OVERFLOW and the rest stays). A read with nothing queued waits in the scheduler; a writer waits
// while the reader's quota is full. When one end closes, the other reads what is left, then STATUS_PIPE_BROKEN; the
// server's DisconnectNamedPipe drops the data and breaks the client's end. The CLI's --pipe NAME is a server on the
// host side that takes every connection and keeps what it reads (the report's `pipes`).

import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import type { KObject } from '../ob/handle.js';
import type { PipeReport } from '../report.js';

export const PIPE_ACCESS_INBOUND = 1;
export const PIPE_ACCESS_OUTBOUND = 2;
export const PIPE_TYPE_MESSAGE = 4;
export const PIPE_READMODE_MESSAGE = 2;
export const PIPE_NOWAIT = 1;
export const PIPE_UNLIMITED_INSTANCES = 255;
const FILE_READ_DATA = 1;
const FILE_WRITE_DATA = 2;
const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const GENERIC_ALL = 0x10000000;
/** The quota an instance gets when the server asks for 0 (NPFS's default). */
const DEFAULT_QUOTA = 0x1000;

export interface Pipe {
  /** As first created (the report's spelling); looked up case-insensitively. */
  readonly name: string;
  /** Server's open mode: PIPE_ACCESS_INBOUND (client writes) / OUTBOUND (client reads) / DUPLEX. */
  readonly access: number;
  readonly message: boolean;
  readonly maxInstances: number;
  readonly instances: PipeInstance[];
  /** The host-side server (--pipe): what it read, per write. */
  readonly host?: { received: Uint8Array[] };
}

export interface PipeInstance {
  readonly pipe: Pipe;
  state: 'listening' | 'connected' | 'closing' | 'disconnected';
  /** Data for the server to read (the client wrote it) and for the client. */
  readonly toServer: Uint8Array[];
  readonly toClient: Uint8Array[];
  readonly inQuota: number;
  readonly outQuota: number;
  server?: PipeEnd;
  client?: PipeEnd;
}

export interface PipeEnd {
  readonly kind: 'pipe';
  readonly instance: PipeInstance;
  readonly side: 'server' | 'client';
  /** Read mode: message (PIPE_READMODE_MESSAGE) or byte. */
  messageRead: boolean;
  closed: boolean;
}

export class Npfs {
  private readonly pipes = new Map<string, Pipe>();

  constructor(private readonly k: Kernel) {}

  get(name: string): Pipe | undefined {
    return this.pipes.get(name.toUpperCase());
  }

  /** Pipes served from the host side (--pipe), for the report. */
  report(): PipeReport[] {
    const out: PipeReport[] = [];
    for (const p of this.pipes.values()) {
      if (!p.host) continue;
      const all = concat(p.host.received);
      out.push({ name: `\\\\.\\pipe\\${p.name}`, received: hex2(all), text: latin1(all), messages: p.host.received.map(hex2) });
    }
    return out;
  }

  /** --pipe NAME: a host-side server that accepts every client and reads all they write. */
  serveFromHost(name: string): void {
    const pipe: Pipe = { name, access: 3, message: false, maxInstances: PIPE_UNLIMITED_INSTANCES, instances: [], host: { received: [] } };
    this.pipes.set(name.toUpperCase(), pipe);
  }

  /**
   * NtCreateNamedPipeFile: a new listening instance of the pipe (creating the pipe on its first instance). Later
   * instances must agree with the first's access and type, and stay within its instance count.
   */
  createInstance(name: string, access: number, message: boolean, messageRead: boolean, maxInstances: number, outQuota: number, inQuota: number): { status: number; end?: PipeEnd } {
    let pipe = this.get(name);
    if (pipe) {
      if (pipe.host) return { status: STATUS.ACCESS_DENIED };
      if (pipe.instances.length >= pipe.maxInstances) return { status: STATUS.INSTANCE_NOT_AVAILABLE };
      if (pipe.access !== access || pipe.message !== message) return { status: STATUS.ACCESS_DENIED };
    } else {
      pipe = { name, access, message, maxInstances, instances: [] };
      this.pipes.set(name.toUpperCase(), pipe);
    }
    const instance: PipeInstance = { pipe, state: 'listening', toServer: [], toClient: [], inQuota: inQuota || DEFAULT_QUOTA, outQuota: outQuota || DEFAULT_QUOTA };
    const end: PipeEnd = { kind: 'pipe', instance, side: 'server', messageRead, closed: false };
    instance.server = end;
    pipe.instances.push(instance);
    return { status: STATUS.SUCCESS, end };
  }

  /**
   * A client's open of \Device\NamedPipe\NAME: it connects to a listening instance. STATUS_OBJECT_NAME_NOT_FOUND when
   * no such pipe exists, STATUS_PIPE_NOT_AVAILABLE when none listens (ERROR_PIPE_BUSY), access denied for a direction
   * the pipe does not have.
   */
  connect(name: string, desiredAccess: number): { status: number; end?: PipeEnd } {
    const pipe = this.get(name);
    if (!pipe) return { status: STATUS.OBJECT_NAME_NOT_FOUND };
    const wantsRead = (desiredAccess & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) !== 0;
    const wantsWrite = (desiredAccess & (FILE_WRITE_DATA | GENERIC_WRITE | GENERIC_ALL)) !== 0;
    if ((wantsRead && !(pipe.access & PIPE_ACCESS_OUTBOUND)) || (wantsWrite && !(pipe.access & PIPE_ACCESS_INBOUND))) return { status: STATUS.ACCESS_DENIED };
    let instance = pipe.instances.find((i) => i.state === 'listening');
    if (!instance && pipe.host) {
      // The host's server listens again for every client.
      instance = { pipe, state: 'listening', toServer: [], toClient: [], inQuota: DEFAULT_QUOTA, outQuota: DEFAULT_QUOTA };
      pipe.instances.push(instance);
    }
    if (!instance) return { status: STATUS.PIPE_NOT_AVAILABLE };
    instance.state = 'connected';
    const end: PipeEnd = { kind: 'pipe', instance, side: 'client', messageRead: false, closed: false };
    instance.client = end;
    return { status: STATUS.SUCCESS, end };
  }

  /**
   * FSCTL_PIPE_LISTEN (ConnectNamedPipe): waits until a client connects. STATUS_PIPE_CONNECTED when one already did,
   * STATUS_PIPE_CLOSING when it came and went (the server must disconnect first).
   */
  listen<T extends number | bigint | undefined>(end: PipeEnd, fn: string, then: (status: number) => T): T {
    const inst = end.instance;
    if (end.side !== 'server') return then(STATUS.ILLEGAL_FUNCTION);
    if (inst.state === 'disconnected') inst.state = 'listening';
    if (inst.state === 'connected') return then(STATUS.PIPE_CONNECTED);
    if (inst.state === 'closing') return then(STATUS.PIPE_CLOSING);
    return this.k.sched.wait({ what: `${fn} on \\\\.\\pipe\\${inst.pipe.name}, waiting for a client`, ready: () => inst.state !== 'listening' }, () => then(inst.state === 'connected' || inst.state === 'closing' ? STATUS.SUCCESS : STATUS.PIPE_DISCONNECTED));
  }

  /** FSCTL_PIPE_DISCONNECT: drops queued data; the client's end is broken from now on. */
  disconnect(end: PipeEnd): number {
    const inst = end.instance;
    if (end.side !== 'server') return STATUS.ILLEGAL_FUNCTION;
    if (inst.state === 'listening') return STATUS.PIPE_LISTENING;
    inst.toServer.length = 0;
    inst.toClient.length = 0;
    if (inst.client) inst.client.closed = true;
    inst.client = undefined;
    inst.state = 'disconnected';
    return STATUS.SUCCESS;
  }

  /** Queue the end reads from, and the one it writes to. */
  private queues(end: PipeEnd): { incoming: Uint8Array[]; outgoing: Uint8Array[]; outQuota: number } {
    const i = end.instance;
    return end.side === 'server' ? { incoming: i.toServer, outgoing: i.toClient, outQuota: i.outQuota } : { incoming: i.toClient, outgoing: i.toServer, outQuota: i.inQuota };
  }

  /** Whether the other end is gone (closed, or disconnected by the server). */
  private peerGone(end: PipeEnd): boolean {
    const i = end.instance;
    // The host's server (--pipe) never goes away.
    if (end.side === 'client') return end.closed || i.state === 'disconnected' || (!i.pipe.host && (!i.server || i.server.closed));
    return i.state === 'closing';
  }

  /**
   * NtReadFile on a pipe end: what is queued (one message in message read mode), else a wait for data or the peer's
   * end. STATUS_PIPE_LISTENING before a client came, STATUS_PIPE_BROKEN once the peer is gone and nothing is left.
   */
  read<T extends number | bigint | undefined>(end: PipeEnd, length: number, fn: string, then: (status: number, data: Uint8Array) => T): T {
    const inst = end.instance;
    if (end.side === 'server' && (inst.state === 'listening' || inst.state === 'disconnected')) return then(inst.state === 'listening' ? STATUS.PIPE_LISTENING : STATUS.PIPE_DISCONNECTED, EMPTY);
    if (end.side === 'client' && end.closed && inst.state === 'disconnected') return then(STATUS.PIPE_DISCONNECTED, EMPTY);
    const { incoming } = this.queues(end);
    const take = (): T => {
      if (incoming.length === 0) return then(end.side === 'client' && inst.state === 'disconnected' ? STATUS.PIPE_DISCONNECTED : STATUS.PIPE_BROKEN, EMPTY);
      return then(...this.take(end, incoming, length));
    };
    if (incoming.length > 0 || this.peerGone(end)) return take();
    return this.k.sched.wait({ what: `${fn} on \\\\.\\pipe\\${inst.pipe.name} (${end.side} end), waiting for data`, ready: () => incoming.length > 0 || this.peerGone(end) }, take);
  }

  private take(end: PipeEnd, incoming: Uint8Array[], length: number): [number, Uint8Array] {
    if (end.messageRead && end.instance.pipe.message) {
      const msg = incoming[0];
      if (msg.length <= length) {
        incoming.shift();
        return [STATUS.SUCCESS, msg];
      }
      // The rest of the message stays for the next read.
      incoming[0] = msg.subarray(length);
      return [STATUS.BUFFER_OVERFLOW, msg.subarray(0, length)];
    }
    const out = new Uint8Array(Math.min(length, incoming.reduce((n, b) => n + b.length, 0)));
    let o = 0;
    while (o < out.length) {
      const b = incoming[0];
      const n = Math.min(b.length, out.length - o);
      out.set(b.subarray(0, n), o);
      o += n;
      if (n === b.length) incoming.shift();
      else incoming[0] = b.subarray(n);
    }
    return [STATUS.SUCCESS, out];
  }

  /**
   * NtWriteFile on a pipe end: the data queues for the peer (the host's server takes it at once). A writer waits while
   * the peer's quota is full; STATUS_PIPE_LISTENING before a client, STATUS_PIPE_CLOSING once the peer is gone.
   */
  write<T extends number | bigint | undefined>(end: PipeEnd, data: Uint8Array, fn: string, then: (status: number, written: number) => T): T {
    const inst = end.instance;
    if (end.side === 'server' && inst.state === 'listening') return then(STATUS.PIPE_LISTENING, 0);
    if (end.side === 'client' && end.closed) return then(STATUS.PIPE_DISCONNECTED, 0);
    if (this.peerGone(end)) return then(STATUS.PIPE_CLOSING, 0);
    const { outgoing, outQuota } = this.queues(end);
    const put = (): T => {
      if (this.peerGone(end)) return then(STATUS.PIPE_CLOSING, 0);
      if (end.side === 'client' && inst.pipe.host) inst.pipe.host.received.push(data.slice());
      else if (data.length > 0 || inst.pipe.message) outgoing.push(data.slice());
      return then(STATUS.SUCCESS, data.length);
    };
    const queued = () => outgoing.reduce((n, b) => n + b.length, 0);
    if (queued() === 0 || queued() + data.length <= outQuota) return put();
    return this.k.sched.wait({ what: `${fn} on \\\\.\\pipe\\${inst.pipe.name} (${end.side} end), waiting for the reader to make room`, ready: () => queued() + data.length <= outQuota || queued() === 0 || this.peerGone(end) }, put);
  }

  /** PeekNamedPipe: bytes available, and left in the first message. */
  peek(end: PipeEnd, length: number): { status: number; data: Uint8Array; available: number; leftInMessage: number } {
    const inst = end.instance;
    if (end.side === 'server' && inst.state === 'listening') return { status: STATUS.PIPE_LISTENING, data: EMPTY, available: 0, leftInMessage: 0 };
    const { incoming } = this.queues(end);
    if (incoming.length === 0 && this.peerGone(end)) return { status: STATUS.PIPE_BROKEN, data: EMPTY, available: 0, leftInMessage: 0 };
    const all = concat(incoming);
    const first = inst.pipe.message && incoming.length ? incoming[0].length : 0;
    return { status: STATUS.SUCCESS, data: all.subarray(0, Math.min(length, inst.pipe.message ? first : all.length)), available: all.length, leftInMessage: first };
  }

  /** The handle to an end is closed: the peer sees a broken pipe; a server's instance goes. */
  close(end: PipeEnd): void {
    const inst = end.instance;
    end.closed = true;
    if (end.side === 'client') {
      if (inst.client === end && inst.state === 'connected') inst.state = 'closing';
      if (inst.pipe.host && inst.state === 'closing') this.dropInstance(inst);
      return;
    }
    this.dropInstance(inst);
  }

  private dropInstance(inst: PipeInstance): void {
    const list = inst.pipe.instances;
    list.splice(list.indexOf(inst), 1);
    // The pipe goes with its last instance (the host's pipes stay: their server never closes).
    if (list.length === 0 && !inst.pipe.host) this.pipes.delete(inst.pipe.name.toUpperCase());
  }
}

/** A pipe end as the object behind a handle, or undefined. */
export function pipeEndOf(obj: KObject | undefined): PipeEnd | undefined {
  const f = obj?.file as PipeEnd | undefined;
  return f?.kind === 'pipe' ? f : undefined;
}

/** The pipe name a path names under \Device\NamedPipe (after the namespace resolved \??\pipe), or undefined. */
export function pipeName(k: Kernel, ntPath: string): string | undefined {
  const r = k.ns.lookup(ntPath);
  if ('status' in r || r.object.type !== 'filesystem' || r.object.name !== 'npfs') return undefined;
  return r.remainder.replace(/^\\/, '');
}

/** The stop for a pipe feature kdemu leaves out (overlapped pipe handles ...), named. */
export function pipeUnsupported(k: Kernel, fn: string, what: string): never {
  throw new GuestStop('unsupported-call', `${fn} from ${k.symbolize(k.callerAddress())}: ${what} (kdemu's named pipes are synchronous)`, { export: `kernel32.dll!${fn}` });
}

const EMPTY = new Uint8Array(0);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function hex2(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

