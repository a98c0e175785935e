// The pool: leaks reported with tag, size and caller; freeing misuse bugchecks BAD_POOL_CALLER; ExAllocatePool2 zeroing.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, op, run } from './harness.js';

const IOCTL_KD_WRONG_TAG = 0x222080;
const IOCTL_KD_DOUBLE_FREE = 0x222084;
const IOCTL_KD_POOL2 = 0x222088;

/** 'mEdk' in C, the tag "kdEm": its bytes in memory order, as a little-endian number. */
const TAG_KDEM = 0x6d45646b;
const TAG_OTHER = 0x7268744f; // "Othr"

/** The address a driver printed with "... %p\n" (upper-case hex, no 0x). */
function printedPointer(line: string): bigint {
  const m = /([0-9A-F]{8,16})\n$/.exec(line);
  if (!m) throw new Error(`no pointer in ${JSON.stringify(line)}`);
  return BigInt('0x' + m[1]);
}

describe.each(ARCHES)('%s', (arch) => {
  const driver = () => buildDriver('pool', arch);

  it('a block allocated in DriverEntry and never freed is a pool leak with its tag, size and caller', () => {
    const { report, trace } = run(driver());
    expect(report.outcome).toBe('completed');
    expect(report.unload.called).toBe(true);
    const address = printedPointer(report.dbgPrint[0]);
    const call = events(trace, 'call').find((e) => e.export === 'ntoskrnl.exe!ExAllocatePoolWithTag')!;
    expect(call.args).toEqual({ PoolType: '0', NumberOfBytes: '0x64', Tag: "'kdEm'" });
    expect(report.unload.leaks).toEqual([
      {
        kind: 'pool',
        detail: `100 bytes tagged 'kdEm' at 0x${address.toString(16).toUpperCase()}`,
        tag: 'kdEm',
        size: 100,
        caller: call.caller,
      },
    ]);
    expect(call.caller).toMatch(/^pool\.sys\+0x1[0-9a-f]{3}$/);
  });

  it('ExFreePoolWithTag with the wrong tag bugchecks BAD_POOL_CALLER 0xA (address, allocator tag, free tag)', () => {
    const { report } = run(driver(), [op.ioctl(IOCTL_KD_WRONG_TAG)]);
    expect(report.outcome).toBe('bugcheck');
    const address = printedPointer(report.dbgPrint[1]);
    expect(report.stop?.bugcheck?.code).toBe('0x000000C2');
    expect(report.stop?.bugcheck?.name).toBe('BAD_POOL_CALLER');
    expect(report.stop?.bugcheck?.params.map(BigInt)).toEqual([0xan, address, BigInt(TAG_KDEM), BigInt(TAG_OTHER)]);
    expect(report.stop?.module).toBe('pool.sys');
    // Tags read in memory order: the C constants 'mEdk' and 'rhtO'.
    expect(report.stop?.reason).toBe("ExFreePoolWithTag with tag 'Othr' on a block allocated with 'kdEm'");
    expect(report.dbgPrint.at(-1)).not.toBe('freed with the wrong tag\n');
  });

  it('freeing a block twice bugchecks BAD_POOL_CALLER 0x7 (reserved, pool header, address)', () => {
    const { report } = run(driver(), [op.ioctl(IOCTL_KD_DOUBLE_FREE)]);
    expect(report.outcome).toBe('bugcheck');
    const address = printedPointer(report.dbgPrint[1]);
    expect(report.dbgPrint.slice(1)).toEqual([report.dbgPrint[1], 'freed once\n']);
    expect(report.stop?.bugcheck?.code).toBe('0x000000C2');
    const [p1, p2, p3, p4] = report.stop!.bugcheck!.params.map(BigInt);
    expect([p1, p2, p4]).toEqual([7n, 0n, address]);
    // The pool header in front of the block; on x64 its second half is the tag.
    expect(p3).not.toBe(0n);
    if (arch === 'x64') expect(p3 >> 32n).toBe(BigInt(TAG_KDEM));
    expect(report.stop?.module).toBe('pool.sys');
  });

  it('ExAllocatePool2 zeroes the block unless POOL_FLAG_UNINITIALIZED is given', () => {
    const { report } = run(driver(), [op.ioctl(IOCTL_KD_POOL2, '', 20)]);
    expect(report.outcome).toBe('completed');
    // [reused, zero bytes] for the zeroed allocation, [reused, zero bytes, 0xBB bytes] for the uninitialized one.
    const words = Array.from(new Uint32Array(Uint8Array.from(Buffer.from(report.ops[1].data!, 'hex')).buffer));
    expect(report.ops[1]).toMatchObject({ op: 'ioctl', status: '0x00000000', information: 20 });
    expect(words).toEqual([1, 64, 1, 0, 64]);
    expect(report.dbgPrint).toContain('pool2: reused 1, zero bytes 64; uninitialized: reused 1, zero bytes 0, stale bytes 64\n');
    // Only the DriverEntry block is left.
    expect(report.unload.leaks.map((l) => [l.kind, l.tag, l.size])).toEqual([['pool', 'kdEm', 100]]);
  });
});
