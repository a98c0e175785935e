// Synchronisation primitives in driver memory: ERESOURCE, spin locks, interlocked lists, KMUTEX and waits, events,
// remove locks, registry callback registration; and the stops where Windows would bugcheck or hang.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { op, run } from './harness.js';

const IOCTL_KD_OTHER_THREAD = 0x2220c0;

describe.each(ARCHES)('%s', (arch) => {
  const driver = (variant?: string) => buildDriver('sync', arch, variant ? { defines: { [variant]: true } } : {});

  it('each primitive behaves as documented, in DriverEntry and from another thread', () => {
    const { report } = run(driver(), [op.ioctl(IOCTL_KD_OTHER_THREAD)]);
    expect(report.outcome).toBe('completed');
    expect(report.driverEntry).toEqual({ status: '0x00000000' });
    expect(report.dbgPrint).toEqual([
      // Exclusive access is recursive and includes shared access for its owner; ResourceOwnedExclusive (0x80).
      'resource: exclusive 1 recursive 1 shared by owner 1, active 1 flag 80\n',
      // Shared access is shared; a shared owner asking for exclusive access with Wait=FALSE gets FALSE.
      'resource: shared 1 1, exclusive while shared 0, active 1 flag 0\n',
      'resource: released, active 0, delete 00000000\n',
      // Held at DISPATCH_LEVEL, released back to the saved IRQL; the lock word is free again.
      'spin lock: old irql 0, inside 2, after 0, lock 0\n',
      // Insert returns the old first/last entry (NULL on an empty list); remove returns the head, NULL when empty.
      'lists: 0 1 1, removed 3 1 2 0, empty 1\n',
      // A mutex starts signaled (1), goes to -1 after two (recursive) waits; KeReleaseMutex returns the previous state.
      'mutex: state 1, waits 00000000 00000000, held state -1, releases -1 0, state 1 owner none\n',
      // KeReleaseMutex(Wait = TRUE) returns at DISPATCH_LEVEL; the wait that follows lowers it again.
      'release and wait: irql 2, then wait 00000000 at irql 0\n',
      // A synchronization event satisfies one wait and resets: a zero-timeout wait then times out (STATUS_TIMEOUT).
      'event: signaled wait 00000000, then (auto-reset) 00000102, state 0\n',
      'remove lock: acquire 00000000 00000000, count 2\n',
      // Released and waited on: removed, the count (with the lock's bias) at zero, the event signaled; acquiring
      // afterwards fails with STATUS_DELETE_PENDING.
      'remove lock: removed 1, count 0, acquire after removal c0000056, event 1\n',
      // An unknown cookie: STATUS_INVALID_PARAMETER.
      'registry callback: register 00000000 cookie set, unregister 00000000, again c000000d\n',
      // The caller's thread cannot have the resource or the mutex DriverEntry's thread holds.
      'other thread: resource shared 0 exclusive 0, mutex wait 00000102\n',
    ]);
  });

  it('ExReleaseResourceLite of a resource the thread does not own bugchecks RESOURCE_NOT_OWNED', () => {
    const { report } = run(driver('RELEASE_UNOWNED_RESOURCE'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x000000E3', name: 'RESOURCE_NOT_OWNED' });
    expect(report.stop?.module).toBe('sync.sys');
  });

  it('acquiring a spin lock the processor already holds bugchecks SPIN_LOCK_ALREADY_OWNED', () => {
    const { report } = run(driver('SPIN_TWICE'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x0000000F', name: 'SPIN_LOCK_ALREADY_OWNED' });
  });

  it('KeReleaseMutex of a mutex the thread does not hold raises STATUS_MUTANT_NOT_OWNED, unhandled', () => {
    const { report } = run(driver('RELEASE_UNOWNED_MUTEX'));
    expect(report.outcome).toBe('bugcheck');
    expect(report.stop?.bugcheck).toMatchObject({ code: '0x0000001E', name: 'KMODE_EXCEPTION_NOT_HANDLED' });
    expect(report.stop?.bugcheck?.params[0]).toBe('0xC0000046');
  });

  it('waiting without a timeout on an event nothing can signal is a deadlock', () => {
    const { report } = run(driver('WAIT_FOREVER'));
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/^every thread waits and nothing can wake them: thread 8 \(System\) waits in KeWaitForSingleObject on notification event 0x[0-9A-F]+, called from sync\.sys\+0x[0-9a-f]+$/);
  });

  it('a timed wait on an object nothing signals returns STATUS_TIMEOUT once that much virtual time has passed', () => {
    const { report } = run(driver('WAIT_TIMED'));
    expect(report.outcome).toBe('completed');
    expect(report.dbgPrint).toContain('timed wait 102 after 1000 ms\n');
  });

  it('IoReleaseRemoveLockAndWait with another acquisition outstanding is a deadlock', () => {
    const { report } = run(driver('REMOVE_WAIT_FOR_HOLDER'));
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/waits for 1 other acquisition/);
  });

  it('a thread waiting for a resource another thread holds is a deadlock', () => {
    const { report } = run(driver('RESOURCE_WAIT_OTHER_THREAD'), [op.ioctl(IOCTL_KD_OTHER_THREAD)]);
    expect(report.outcome).toBe('deadlock');
    expect(report.stop?.reason).toMatch(/ExAcquireResourceSharedLite\(0x[0-9A-F]+, Wait=TRUE\) .* held exclusively by thread/);
  });
});
