// The export table: every implemented export, kernel and user mode, gathered from the modules that define them.

import type { AnyExport, DataExportDecl } from './export.js';
import { exports as cmCallback } from './cm/callback.js';
import { exports as cmKey } from './cm/key.js';
import { exports as rtlRegistry } from './rtl/registry.js';
import { exports as ioRegistry } from './io/registry.js';
import { exports as bcrypt } from './ksecdd/bcrypt.js';
import { exports as feature } from './ex/feature.js';
import { exports as dbgPrint } from './dbg/print.js';
import { exports as pool } from './ex/pool-exports.js';
import { exports as interlocked } from './ex/interlocked.js';
import { exports as resource } from './ex/resource.js';
import { exports as device } from './io/device.js';
import { exports as driver } from './io/driver.js';
import { exports as irp } from './io/irp.js';
import { exports as remlock } from './io/remlock.js';
import { exports as symlink } from './io/symlink.js';
import { exports as devstack } from './io/stack.js';
import { exports as cancel } from './io/cancel.js';
import { exports as csq } from './io/csq.js';
import { exports as apc } from './ke/apc.js';
import { exports as bug } from './ke/bug.js';
import { exports as event } from './ke/event.js';
import { exports as clock } from './ke/clock.js';
import { exports as dpc } from './ke/dpc.js';
import { exports as timer } from './ke/timer.js';
import { exports as irql } from './ke/irql.js';
import { exports as mutex } from './ke/mutex.js';
import { exports as spinlock } from './ke/spinlock.js';
import { exports as wait } from './ke/wait.js';
import { exports as object } from './ob/object.js';
import { exports as sysroutine } from './mm/sysroutine.js';
import { exports as probe } from './mm/probe.js';
import { exports as mdl } from './mm/mdl.js';
import { exports as ps } from './ps/process.js';
import { exports as psThread } from './ps/thread.js';
import { exports as psNotify } from './ps/notify.js';
import { exports as handle } from './ob/handle.js';
import { exports as obCallbacks } from './ob/callbacks.js';
import { exports as crt } from './rtl/crt.js';
import { exports as unicode } from './rtl/unicode.js';
import { exports as rtlString } from './rtl/string.js';
import { exports as rtlConvert } from './rtl/convert.js';
import { exports as rtlMemory } from './rtl/memory.js';
import { exports as version } from './rtl/version.js';
import { exports as bitmap } from './rtl/bitmap.js';
import { exports as rtlCompress } from './rtl/compress.js';
import { exports as genericTable } from './rtl/generic.js';
import { exports as avlTable } from './rtl/avl.js';
import { exports as rtlTime } from './rtl/time.js';
import { data } from './boot.js';
import { exports as k32File } from './user/kernel32/file.js';
import { exports as k32Process } from './user/kernel32/process.js';
import { exports as k32Sync } from './user/kernel32/sync.js';
import { exports as k32Pipe } from './user/kernel32/pipe.js';
import { exports as k32ProcThreads } from './user/kernel32/processthreads.js';
import { exports as setupDevInfo } from './user/setupapi/devinfo.js';
import { exports as exEvent } from './ex/event.js';
import { exports as fastMutex } from './ex/fastmutex.js';
import { exports as semaphore } from './ke/semaphore.js';
import { exports as exWork } from './ex/work.js';
import { exports as slist } from './ex/slist.js';
import { exports as processor } from './ke/processor.js';
import { exports as rundown } from './ex/rundown.js';
import { exports as pushlock } from './ex/pushlock.js';
import { exports as lookaside } from './ex/lookaside.js';
import { exports as ioWork } from './io/workitem.js';
import { exports as ioFile } from './io/file.js';
import { exports as crtErrno } from './user/msvcrt/errno.js';
import { exports as crtStdio } from './user/msvcrt/stdio.js';
import { exports as crtStdlib, data as crtData } from './user/msvcrt/stdlib.js';
import { exports as crtString } from './user/msvcrt/string.js';
import { exports as halPorts } from './hal/exports.js';
import { exports as physical } from './mm/physical.js';
import { exports as seSid } from './se/sid.js';
import { exports as seAcl } from './se/acl.js';
import { exports as seSd } from './se/sd.js';
import { exports as etw } from './etw/etw.js';
import { exports as sysinfo } from './ex/sysinfo.js';
import { exports as irpAlloc } from './io/irpalloc.js';
import { exports as psInfo } from './ps/info.js';
import { exports as ioThread } from './io/thread.js';
import { exports as obClose } from './ob/close.js';
import { exports as seToken, data as seData } from './se/token.js';
import { exports as obName } from './ob/name.js';
import { exports as devQueue } from './io/devqueue.js';
import { exports as shareAccess } from './io/share.js';
import { exports as psQuery } from './ps/query.js';
import { exports as psOpen } from './ps/open.js';
import { exports as psTerminate } from './ps/terminate.js';
import { exports as mmCopy } from './mm/copy.js';
import { exports as obSymlink } from './ob/symlink.js';
import { exports as ioShutdown } from './io/shutdown.js';
import { exports as devEnum } from './io/devenum.js';
import { exports as errorLog } from './io/errorlog.js';
import { exports as obDuplicate } from './ob/duplicate.js';
import { exports as obDirectory } from './ob/directory.js';
import { exports as seh } from './rtl/seh.js';
import { exports as exCallback } from './ex/callback.js';
import { exports as keQueue } from './ke/queue.js';
import { exports as bugCheckCallback } from './ke/bugcheck-callback.js';
import { exports as fsrtlName } from './fsrtl/name.js';
import { exports as kePriority } from './ke/priority.js';
import { exports as keStack } from './ke/stack.js';
import { exports as exUuid } from './ex/uuid.js';
import { exports as keUnbiased } from './ke/unbiased.js';
import { exports as exTimer } from './ex/timer.js';
import { exports as poPower } from './po/power.js';
import { exports as ioPnp } from './io/pnp.js';
import { exports as keYield } from './ke/yield.js';
import { exports as mmPaging } from './mm/paging.js';
import { exports as mmVirtual } from './mm/virtual.js';
import { exports as mmSection } from './mm/section.js';
import { exports as mmMdlSup } from './mm/mdlsup.js';
import { exports as ioFsInfo } from './io/fsinfo.js';
import { exports as ioExtension } from './io/extension.js';
import { exports as ioTimer } from './io/iotimer.js';
import { exports as ioConfig } from './io/config.js';
import { exports as ioInterface } from './io/interface.js';
import { exports as keFloat } from './ke/float.js';
import { exports as ioReinit } from './io/reinit.js';
import { exports as ioInterrupt } from './io/interrupt.js';
import { exports as wdfLdr } from './wdf/ldr.js';
import { exports as wdfDriver } from './wdf/driver.js';
import { exports as wdfDevice } from './wdf/device.js';
import { exports as wdfQueue } from './wdf/queue.js';
import { exports as wdfRequest } from './wdf/request.js';
import { exports as wdfMemory } from './wdf/memory.js';
import { exports as wdfFile } from './wdf/fileobject.js';
import { exports as wdfString } from './wdf/string.js';
import { exports as wdfRegistry } from './wdf/registry.js';
import { exports as wdfCollection } from './wdf/collection.js';
import { exports as wdfLookaside } from './wdf/lookaside.js';
import { exports as wdfObject } from './wdf/objectapi.js';
import { exports as wdfTimer } from './wdf/timer.js';
import { exports as wdfDpc } from './wdf/dpc.js';
import { exports as wdfWorkItem } from './wdf/workitem.js';
import { exports as wdfLock } from './wdf/lock.js';
import { exports as wdfVerifier } from './wdf/verifier.js';
import { exports as wdfIoTarget } from './wdf/iotarget.js';
import { exports as wdfSend } from './wdf/send.js';

export const EXPORTS: readonly AnyExport[] = [
  ...cmCallback, ...cmKey, ...rtlRegistry, ...ioRegistry, ...bcrypt, ...feature, ...dbgPrint, ...pool, ...interlocked, ...resource, ...device, ...driver, ...irp, ...remlock, ...symlink, ...devstack, ...cancel, ...csq, ...apc, ...bug, ...event, ...clock, ...dpc, ...timer, ...irql,
  ...mutex, ...spinlock, ...wait, ...object, ...sysroutine, ...probe, ...mdl, ...ps, ...psThread, ...psNotify, ...handle, ...obCallbacks, ...exEvent, ...ioFile, ...fastMutex, ...semaphore, ...exWork, ...ioWork, ...slist, ...processor, ...rundown, ...pushlock, ...lookaside, ...crt, ...unicode, ...rtlString, ...rtlConvert, ...rtlMemory, ...version, ...bitmap, ...rtlCompress, ...genericTable, ...avlTable, ...rtlTime, ...halPorts, ...physical, ...seSid, ...seAcl, ...seSd, ...etw, ...sysinfo, ...irpAlloc, ...psInfo, ...ioThread, ...obClose, ...seToken, ...obName, ...devQueue, ...shareAccess, ...psQuery, ...psOpen, ...psTerminate, ...mmCopy, ...obSymlink, ...ioShutdown, ...devEnum, ...errorLog, ...obDuplicate, ...obDirectory,
  ...seh, ...exCallback, ...keQueue, ...bugCheckCallback, ...fsrtlName, ...kePriority, ...keStack, ...exUuid, ...keUnbiased, ...exTimer, ...poPower, ...ioPnp, ...keYield,
  ...mmPaging, ...mmVirtual, ...mmSection, ...mmMdlSup, ...ioFsInfo,
  ...ioExtension, ...ioTimer, ...ioConfig, ...ioInterface, ...keFloat, ...ioReinit, ...ioInterrupt,
  // The Kernel-Mode Driver Framework: its loader (wdfldr.sys) and the framework's function table (Wdf01000.sys).
  ...wdfLdr, ...wdfDriver, ...wdfDevice, ...wdfQueue, ...wdfRequest, ...wdfMemory, ...wdfFile, ...wdfString, ...wdfRegistry, ...wdfCollection,
  ...wdfLookaside, ...wdfObject, ...wdfTimer, ...wdfDpc, ...wdfWorkItem, ...wdfLock, ...wdfVerifier, ...wdfIoTarget, ...wdfSend,
  // User mode: the DLLs a client program imports.
  ...k32File, ...k32Process, ...k32Sync, ...k32Pipe, ...k32ProcThreads, ...setupDevInfo, ...crtErrno, ...crtStdio, ...crtStdlib, ...crtString,
].sort((a, b) => (a.module + '!' + a.name).localeCompare(b.module + '!' + b.name));

export const DATA_EXPORTS: readonly DataExportDecl[] = [...data, ...seData, ...crtData];

export const TABLE = { exports: EXPORTS, data: DATA_EXPORTS };
