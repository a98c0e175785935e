// Ke/Ex synchronisation and processors as a driver sees them: spin locks (ordinary, in-stack queued, EX_SPIN_LOCK),
// the one processor's numbers and affinity, IPI and generic-call DPCs, rundown protection, push locks, lookaside lists
// and quota/priority pool allocations; and the stops where Windows would bugcheck or hang.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  const driver = (variant?: string) => buildDriver('kesync', arch, variant ? { defines: { [variant]: true } } : {});
  const x86 = arch === 'x86';

  it('each routine behaves as documented on the one processor (processor 0 of group 0)', () => {
    const { report } = run(driver());
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0x00000000' });
    expect(report.dbgPrint).toEqual([
      // x86 only: KeInitializeSpinLock zeroes the word; the HAL's stdcall KeAcquireSpinLock stores the old IRQL.
      ...(x86 ? ['x86 spin lock: init 0, KeAcquireSpinLock old 0 inside 2, after 0 lock 0\n'] : []),
      // KeTestSpinLock is TRUE while free; a try on a held lock fails; the DPC-level forms leave the IRQL at 2.
      'at dpc level: free 1, held free 0, try while held 0, try free 1, irql 2, lock 0\n',
      'for dpc: old 0, inside 2, after 0\n',
      // SYNCH_LEVEL is IPI_LEVEL - 2.
      `raise to synch: old 0, inside ${x86 ? 27 : 12}, after 0\n`,
      // The queued lock's word holds the holder's KSPIN_LOCK_QUEUE; the handle names the lock, Next NULL.
      'queued: old 0, inside 2, word is the handle 1, free 0, handle 1, after 0, lock 0\n',
      `queued raise to synch: old 0, inside ${x86 ? 27 : 12}, after 0\n`,
      // The AtDpcLevel form leaves OldIrql alone; the ForDpc form in a DPC records DISPATCH_LEVEL and stays there.
      'queued at dpc: OldIrql untouched 77, held 1, irql 2, for dpc old 2, irql 2\n',
      'queued for dpc from passive: old 0, inside 2, after 0\n',
      // EX_SPIN_LOCK: a shared count, the exclusive bit; only a sole shared owner converts to exclusive.
      'ex spin lock: old 0, inside 2, two shared 2, convert with two 0, with one 1, word 80000000\n',
      'ex spin lock: exclusive 80000000, released 0, irql 0\n',
      'processors: active 1 mask 1, ex 1 1 0, max 1 ex 1 0, active mask 1, groups 1 1, group affinity 1 0\n',
      'current processor: index 0 group 0 number 0 reserved 0, inline number 0, NULL 0\n',
      // Index 1 does not exist: STATUS_INVALID_PARAMETER, and INVALID_PROCESSOR_INDEX the other way.
      'index: from 0 00000000 group 0 number 0 reserved 0, back 0',
      ', from 1 c000000d, number 1 -> ffffffff, group 1 -> ffffffff\n',
      'nodes: current 0 highest 0, node 0 mask 1 group 0 count 1 max 1',
      ', node 1 mask 0 count 0 max 0\n',
      // The first system affinity replaces the user affinity (0); a mask naming no processor changes nothing.
      'affinity: first 0, second 1, invalid 3, after revert 0\n',
      'group affinity: previous mask 0 group 0, nested previous mask 1\n',
      // The worker ran once at IPI_LEVEL (0x100 * 2 + IRQL) and its result is the call's.
      `ipi: ${x86 ? '21d' : '20e'}, irql after 0\n`,
      // The DPC ran once at DISPATCH_LEVEL with the KDPC and context; it was the last (only) one to synchronize.
      'generic call dpc: runs 1 at irql 2, context 1234, last 1, irql after 0\n',
      // Four acquisitions are 4 << 1; a rundown with none outstanding completes at once (EX_RUNDOWN_ACTIVE).
      'rundown: acquire 1, ex 1, count 8, released 0, run down 1, acquire after 0, reinit acquire 1\n',
      // DriverEntry's wait lasted until the other thread released its acquisition after sleeping.
      'rundown wait: order 0 1 2 3, active while waited 1, completed 1, acquire 0\n',
      // Two shared owners: 2 << 4 | Locked; the exclusive owner is Locked alone; a shared try fails against it.
      'cache aware rundown: size ok 1, allocated 1, acquire 1 ex 1, after rundown 0, reinit 1, caller block acquire after rundown 0\n',
      'push lock: init 0, two shared 21 (try 1), exclusive 1 (try shared 0), released 0\n',
      // The reader blocked behind DriverEntry's exclusive hold and got the lock once it was released.
      'push lock wait: order 11 12 13, word 0\n',
      // Both flags at once: STATUS_INVALID_PARAMETER_5; an unknown pool type: _4; default routines were stored.
      'lookaside ex: bad flags c00000f3, bad type c00000f2, ok 00000000, depth 4 max 256 size 40 tag xEkL type 0, routines set 1\n',
      // Six misses, then four of six frees are kept (Depth 4) and two go back to the pool.
      'lookaside ex: allocates 6 misses 6, frees 6 misses 2, depth 4\n',
      'lookaside ex: reused 1, flushed depth 0\n',
      // RAISE_ON_FAIL adds POOL_RAISE_IF_ALLOCATION_FAILURE to the type; the custom routines get the list.
      'lookaside ex custom: type 11, allocs 5 frees 5, list passed 1\n',
      'paged lookaside: type 1 size 16, allocates 7 misses 6, frees 6 misses 2, depth 3, reuse 1\n',
      // Block sizes are the request rounded to the pool's granularity; quota allocations say they are charged.
      `pool: quota 1 size ${x86 ? 104 : 112} charged 1, quota untagged 1 size ${x86 ? 24 : 32} charged 1, priority 1 size ${x86 ? 200 : 208} charged 0, failed quota ${x86 ? '00000000' : '0000000000000000'}\n`,
      // Exclusive access includes shared access (the count of both); converted, the owner keeps one shared hold.
      'resource: exclusive 1 count 2, converted exclusive 0 count 1 flag 0, waiters 0 0\n',
      // With an exclusive waiter, ExAcquireSharedWaitForExclusive fails even for an owner, StarveExclusive and a
      // recursive SharedLite succeed; the last release hands the resource to the waiter before it runs again.
      'resource wait: exclusive waiters 1 field 1, wait-for-exclusive 0, starve 1, shared 1, handed over 1, mine 0, order 21 22 23, waiter owned 1, contention 1, waiters after 0\n',
      'owner pointer: caller still owns 0, entry 1, free 0\n',
      `critical region: exclusive 1 shared 1 wait-for-exclusive 1, win32 threads ${Array(3).fill(x86 ? '00000000' : '0000000000000000').join(' ')}\n`,
      // ResourceOwnedExclusive | ResourceDisableBoost; reinitialized, the resource is as new.
      'reinitialize: boost disabled flag 88, 00000000, owned 0, active 0 flag 0\n',
      'done at irql 0, processors 1\n',
    ]);
  });

  it('gives the same trace on both engines, threads and waits included', () => {
    const a = run(driver(), [], { engine: 'wasm' });
    const b = run(driver(), [], { engine: 'unicorn' });
    expect(b.report.dbgPrint).toEqual(a.report.dbgPrint);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
  });

  it('KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL bugchecks IRQL_NOT_GREATER_OR_EQUAL', () => {
    const { report } = run(driver('SPIN_AT_PASSIVE'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x00000009', name: 'IRQL_NOT_GREATER_OR_EQUAL' });
    expect(report.stop?.module).toBe('kesync.sys');
  });

  it('acquiring an in-stack queued spin lock the processor holds bugchecks SPIN_LOCK_ALREADY_OWNED', () => {
    const { report } = run(driver('QUEUED_TWICE'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x0000000F', name: 'SPIN_LOCK_ALREADY_OWNED' });
    expect(report.stop?.reason).toMatch(/^KeAcquireInStackQueuedSpinLock\(0x[0-9A-F]+\) from kesync\.sys\+0x[0-9a-f]+: the spin lock is already held/);
  });

  it('releasing an in-stack queued spin lock through a handle that does not hold it bugchecks SPIN_LOCK_NOT_OWNED', () => {
    const { report } = run(driver('QUEUED_RELEASE_UNOWNED'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x00000010', name: 'SPIN_LOCK_NOT_OWNED' });
  });

  it('an exclusive EX_SPIN_LOCK acquisition while this processor holds it shared is a deadlock', () => {
    const { report } = run(driver('EX_SPIN_DEADLOCK'));
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/^ExAcquireSpinLockExclusive\(0x[0-9A-F]+\) from kesync\.sys\+0x[0-9a-f]+ spins on an EX_SPIN_LOCK held shared 1 time/);
  });

  it('acquiring a push lock the thread holds exclusively is a deadlock', () => {
    const { report } = run(driver('PUSHLOCK_RECURSE'));
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/^ExfAcquirePushLockExclusive\(0x[0-9A-F]+\) from kesync\.sys\+0x[0-9a-f]+: the thread already holds this push lock exclusively/);
  });

  it('KeGenericCallDpc whose DPC never signals done waits forever: a deadlock', () => {
    const { report } = run(driver('GENERIC_DPC_NO_DONE'));
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/^KeGenericCallDpc\(kesync\.sys\+0x[0-9a-f]+\) from kesync\.sys\+0x[0-9a-f]+ waits forever: the DPC routine returned without calling KeSignalCallDpcDone/);
  });

  it('ExWaitForRundownProtectionRelease with the caller\'s own acquisition outstanding is a deadlock', () => {
    const { report } = run(driver('RUNDOWN_WAIT_SELF'));
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/waits in ExWaitForRundownProtectionRelease\(0x[0-9A-F]+\) for 1 outstanding acquisition\(s\) of rundown protection, called from kesync\.sys\+0x[0-9a-f]+/);
  });

  it('ExReleaseResourceForThreadLite for an owner that holds nothing bugchecks RESOURCE_NOT_OWNED', () => {
    const { report } = run(driver('RELEASE_FOR_OTHER_OWNER'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x000000E3', name: 'RESOURCE_NOT_OWNED' });
    expect(report.stop?.reason).toMatch(/^ExReleaseResourceForThreadLite\(0x[0-9A-F]+\) from kesync\.sys\+0x[0-9a-f]+: 0x[0-9A-F]+ does not own the resource/);
  });
});
