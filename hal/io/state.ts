// The I/O manager's bookkeeping: loaded drivers, their devices, open files and handles.

import type { Module } from '../kernel.js';

export interface DriverRecord {
  /** Service name, e.g. "readfile" (from the image file name). */
  name: string;
  /** The DRIVER_OBJECT in guest memory. */
  object: bigint;
  image: Module;
  /** "\Driver\<name>": its name in the object namespace, which also attributes symbolic links to it. */
  objectName: string;
  /** The driver whose code created this one with IoCreateDriver (whose image holds its routines). */
  createdBy?: DriverRecord;
}

export interface DeviceRecord {
  address: bigint;
  name?: string;
  driver: DriverRecord;
  deleted: boolean;
  /** Open FILE_OBJECTs on this device (exclusive devices allow one). */
  openCount: number;
  /** The device this one is attached on top of (IoAttachDeviceToDeviceStack), while attached. */
  attachedTo?: bigint;
}

export interface FileRecord {
  handle: number;
  /** The FILE_OBJECT in guest memory. */
  address: bigint;
  device: DeviceRecord;
  grantedAccess: number;
  /** The NT path the caller opened (for reports). */
  path: string;
  /** Opened for overlapped I/O (FILE_FLAG_OVERLAPPED: no FO_SYNCHRONOUS_IO). */
  overlapped?: boolean;
  /** A kernel handle (a driver opened it), not one of the user process's. */
  kernel?: boolean;
}

export class IoState {
  readonly drivers: DriverRecord[] = [];
  /** Every device ever created, in creation order (deleted ones are marked, for the leak report). */
  readonly devices: DeviceRecord[] = [];
  readonly files = new Map<number, FileRecord>();
  /** Handles are multiples of 4, as in a Windows handle table. */
  private nextHandle = 0x4;
  /** IRPs a dispatch routine returned without completing or pending: lost to their caller. */
  readonly lostIrps: { irp: bigint; major: string; device: string }[] = [];
  /** Every FILE_OBJECT that exists (from IRP_MJ_CREATE until it is freed). */
  readonly liveFiles = new Set<bigint>();
  /** File objects whose handle is closed but which a driver still references: IRP_MJ_CLOSE comes with the last reference. */
  readonly closingFiles = new Map<bigint, DeviceRecord>();
  /** IRPs a caller issued that the driver left pending: by IRP, the file object and what it was (for CancelIo, leaks). */
  readonly pendingIrps = new Map<bigint, { file: bigint; major: string; device: string; overlapped?: bigint }>();
  /** Whether the cancel spin lock is held, and the IRQL to go back to. */
  cancelLock: { held: boolean } = { held: false };
  /** The driver whose code is running (DriverEntry, an IoCreateDriver routine, unload), to attribute symbolic links. */
  current: DriverRecord | undefined;

  deviceAt(address: bigint): DeviceRecord | undefined {
    return this.devices.find((d) => d.address === address && !d.deleted);
  }

  driverAt(address: bigint): DriverRecord | undefined {
    return this.drivers.find((d) => d.object === address);
  }

  allocateHandle(): number {
    const h = this.nextHandle;
    this.nextHandle += 4;
    return h;
  }
}
