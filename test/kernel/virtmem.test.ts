// Process virtual memory from a driver: ZwAllocateVirtualMemory (reserve, commit, protections, rounding, the statuses
// Windows refuses with), ZwFreeVirtualMemory (decommit, release, partial release), ZwQueryVirtualMemory and
// MmSecureVirtualMemory.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';
import { enginesHere } from '../helpers.js';

const engines = enginesHere('process virtual memory');

describe.each(ARCHES)('%s', (arch) => {
  describe.each(engines)('%s engine', (engine) => {
    const lines = () => {
      const r = run(buildDriver('virtmem', arch), [], { engine });
      expect(r.report.outcome).toBe('completed');
      return r.report.dbgPrint;
    };

    it('a reservation is 64 KiB aligned and page rounded; committing a page in it maps zeroed memory', () => {
      expect(lines().slice(0, 5)).toEqual([
        'reserve 00000000 size 2000 aligned 1 user 1\n',
        'reserved 00000000: base +0 alloc same prot 4 size 2000 state 2000 protect 0 type 20000 len 1\n',
        'commit 00000000 at +1000 size 1000, zero 1\n',
        'first 00000000: base +0 alloc same prot 4 size 1000 state 2000 protect 0 type 20000 len 1\n',
        'second 00000000: base +1000 alloc same prot 4 size 1000 state 1000 protect 4 type 20000 len 1\n',
      ]);
    });

    it('commits outside a reservation, overlapping reservations and bad arguments get Windows\' statuses', () => {
      expect(lines().slice(5, 8)).toEqual([
        'commit outside c0000018\n',
        'reserve again c0000018\n',
        'bad protect c0000045 writecopy c0000045 type c00000f3 zero size c00000f2 zerobits c00000f1 handle c0000008\n',
      ]);
    });

    it('MEM_COMMIT without a base reserves too; recommitting changes the protection, not the allocation protection', () => {
      expect(lines().slice(8, 12)).toEqual([
        'commit new 00000000 after 1 reads 0\n',
        'readonly 00000000: base +0 alloc same prot 2 size 3000 state 1000 protect 2 type 20000 len 1\n',
        'recommitted 00000000: base +0 alloc same prot 2 size 1000 state 1000 protect 40 type 20000 len 1\n',
        'secure rw 1, readonly page for write 0, reserved 0, kernel 0\n',
      ]);
    });

    it('a base of the caller\'s is rounded down to 64 KiB; MEM_TOP_DOWN allocates high; PAGE_NOACCESS commits', () => {
      expect(lines().slice(12, 15)).toEqual([
        `fixed 00000000 at ${arch === 'x64' ? '000000005A000000' : '5A000000'} size 2000\n`,
        'top down 00000000 above 1\n',
        'noaccess 00000000: base +0 alloc same prot 1 size 1000 state 1000 protect 1 type 20000 len 1\n',
      ]);
    });

    it('decommit leaves the reservation; release needs the base; freed memory is MEM_FREE', () => {
      expect(lines().slice(15, 22)).toEqual([
        'decommit 00000000\n',
        'decommitted 00000000: base +1000 alloc same prot 4 size 1000 state 2000 protect 0 type 20000 len 1\n',
        'release not at base c000009f, bad type c00000f2, past end c000001a\n',
        'release 00000000 size 2000\n',
        'release again c00000a0\n',
        'freed 00000000: base +0 alloc null prot 0 size 10000 state 10000 protect 1 type 0 len 1\n',
        'short buffer c0000004, kernel address c000000d\n',
      ]);
    });

    it('a process handle works as NtCurrentProcess() does; a thread handle is STATUS_OBJECT_TYPE_MISMATCH', () => {
      expect(lines().slice(26)).toEqual(['process handle 00000000, allocate 00000000\n', 'free through handle 00000000\n', 'thread handle c0000024\n']);
    });

    it('releasing pages from the middle of an allocation leaves two', () => {
      expect(lines().slice(22, 26)).toEqual([
        'release middle 00000000\n',
        'lower 00000000: base +0 alloc same prot 2 size 1000 state 1000 protect 40 type 20000 len 1\n',
        'hole 00000000: base +1000 alloc null prot 0 size 1000 state 10000 protect 1 type 0 len 1\n',
        'upper 00000000: base +0 alloc same prot 2 size 1000 state 1000 protect 2 type 20000 len 1\n',
      ]);
    });
  });

  it('a committed PAGE_NOACCESS page faults when the driver reads it', () => {
    const r = run(buildDriver('virtmem', arch, { defines: { TOUCH_NOACCESS: true } }));
    expect(r.report.outcome).toBe('fault');
    expect(r.report.stop?.fault?.access).toBe('read');
    expect(r.report.dbgPrint.some((l) => l.startsWith('read '))).toBe(false);
  });
});
