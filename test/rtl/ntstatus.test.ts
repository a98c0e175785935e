// Tests of hal/rtl/ntstatus.ts: status constants, names, and RtlNtStatusToDosError as Windows does it.

import { describe, expect, it } from 'vitest';
import {
  ERROR_MR_MID_NOT_FOUND,
  STATUS,
  WIN32,
  describeStatus,
  formatStatus,
  mappedStatusCount,
  ntError,
  ntInformation,
  ntStatusName,
  ntSuccess,
  ntWarning,
  rtlNtStatusToDosError,
  win32ErrorName,
  type StatusName,
} from '../../hal/rtl/ntstatus.js';

describe('STATUS constants', () => {
  it('has the values of ntstatus.h for the statuses drivers return', () => {
    const expected: Partial<Record<StatusName, number>> = {
      SUCCESS: 0x00000000,
      WAIT_0: 0x00000000,
      ABANDONED: 0x00000080,
      USER_APC: 0x000000c0,
      ALERTED: 0x00000101,
      TIMEOUT: 0x00000102,
      PENDING: 0x00000103,
      REPARSE: 0x00000104,
      MORE_ENTRIES: 0x00000105,
      BUFFER_OVERFLOW: 0x80000005,
      NO_MORE_ENTRIES: 0x8000001a,
      BREAKPOINT: 0x80000003,
      SINGLE_STEP: 0x80000004,
      DATATYPE_MISALIGNMENT: 0x80000002,
      UNSUCCESSFUL: 0xc0000001,
      NOT_IMPLEMENTED: 0xc0000002,
      INFO_LENGTH_MISMATCH: 0xc0000004,
      ACCESS_VIOLATION: 0xc0000005,
      IN_PAGE_ERROR: 0xc0000006,
      INVALID_HANDLE: 0xc0000008,
      INVALID_PARAMETER: 0xc000000d,
      NO_SUCH_DEVICE: 0xc000000e,
      NO_SUCH_FILE: 0xc000000f,
      INVALID_DEVICE_REQUEST: 0xc0000010,
      END_OF_FILE: 0xc0000011,
      NO_MEMORY: 0xc0000017,
      ILLEGAL_INSTRUCTION: 0xc000001d,
      ACCESS_DENIED: 0xc0000022,
      BUFFER_TOO_SMALL: 0xc0000023,
      OBJECT_TYPE_MISMATCH: 0xc0000024,
      OBJECT_NAME_INVALID: 0xc0000033,
      OBJECT_NAME_NOT_FOUND: 0xc0000034,
      OBJECT_NAME_COLLISION: 0xc0000035,
      OBJECT_PATH_NOT_FOUND: 0xc000003a,
      SHARING_VIOLATION: 0xc0000043,
      DELETE_PENDING: 0xc0000056,
      INTEGER_DIVIDE_BY_ZERO: 0xc0000094,
      PRIVILEGED_INSTRUCTION: 0xc0000096,
      INSUFFICIENT_RESOURCES: 0xc000009a,
      DEVICE_NOT_READY: 0xc00000a3,
      FILE_IS_A_DIRECTORY: 0xc00000ba,
      NOT_SUPPORTED: 0xc00000bb,
      INVALID_PARAMETER_1: 0xc00000ef,
      INVALID_PARAMETER_2: 0xc00000f0,
      INVALID_PARAMETER_12: 0xc00000fa,
      STACK_OVERFLOW: 0xc00000fd,
      NOT_A_DIRECTORY: 0xc0000103,
      CANCELLED: 0xc0000120,
      DEVICE_CONFIGURATION_ERROR: 0xc0000182,
      INVALID_DEVICE_STATE: 0xc0000184,
      INVALID_BUFFER_SIZE: 0xc0000206,
      NOT_FOUND: 0xc0000225,
      DEVICE_REMOVED: 0xc00002b6,
    };
    for (const [name, value] of Object.entries(expected)) expect([name, STATUS[name as StatusName]]).toEqual([name, value]);
  });

  it('is a frozen table of well over a thousand statuses', () => {
    expect(Object.isFrozen(STATUS)).toBe(true);
    expect(Object.keys(STATUS).length).toBeGreaterThan(1500);
  });

  it('holds unsigned values, never negative numbers', () => {
    expect(Object.values(STATUS).every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)).toBe(true);
  });
});

describe('ntStatusName', () => {
  it('names a status, whether given unsigned or as a signed int32', () => {
    expect(ntStatusName(0xc0000010)).toBe('STATUS_INVALID_DEVICE_REQUEST');
    expect(ntStatusName(-1073741808)).toBe('STATUS_INVALID_DEVICE_REQUEST');
    expect(ntStatusName(0xc0000022)).toBe('STATUS_ACCESS_DENIED');
  });

  it('prefers the conventional name when several share a value', () => {
    expect(ntStatusName(0)).toBe('STATUS_SUCCESS');
    expect(ntStatusName(0x80)).toBe('STATUS_ABANDONED');
  });

  it('names the non-STATUS_ codes too', () => {
    expect(ntStatusName(0x00010002)).toBe('DBG_CONTINUE');
    expect(ntStatusName(0x40010006)).toBe('DBG_PRINTEXCEPTION_C');
    expect(ntStatusName(0xc0020001)).toBe('RPC_NT_INVALID_STRING_BINDING');
  });

  it('returns undefined for an unknown status', () => {
    expect(ntStatusName(0xc0dec0de)).toBeUndefined();
  });
});

describe('formatStatus / describeStatus', () => {
  it('prints 0x and 8 upper-case hex digits', () => {
    expect(formatStatus(0xc0000010)).toBe('0xC0000010');
    expect(formatStatus(-1073741808)).toBe('0xC0000010');
    expect(formatStatus(0x103)).toBe('0x00000103');
    expect(formatStatus(0)).toBe('0x00000000');
  });

  it('adds the name when there is one', () => {
    expect(describeStatus(0xc0000010)).toBe('STATUS_INVALID_DEVICE_REQUEST (0xC0000010)');
    expect(describeStatus(0xe0001234)).toBe('0xE0001234');
  });
});

describe('severity tests', () => {
  it('classifies success, informational, warning and error statuses', () => {
    expect([ntSuccess(0), ntSuccess(0x103), ntSuccess(0x40000000), ntSuccess(0x80000005), ntSuccess(0xc0000001)]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect([ntInformation(0x40000000), ntWarning(0x80000005), ntError(0xc0000001), ntError(-1073741823)]).toEqual([true, true, true, true]);
    expect([ntInformation(0), ntWarning(0xc0000001), ntError(0x80000005)]).toEqual([false, false, false]);
  });
});

describe('rtlNtStatusToDosError', () => {
  it('maps the statuses drivers return most to the Win32 errors Windows gives', () => {
    const cases: [number, number][] = [
      [STATUS.SUCCESS, 0], // NO_ERROR
      [STATUS.INVALID_DEVICE_REQUEST, 1], // ERROR_INVALID_FUNCTION
      [STATUS.NOT_IMPLEMENTED, 1],
      [STATUS.BUFFER_TOO_SMALL, 122], // ERROR_INSUFFICIENT_BUFFER
      [STATUS.CANCELLED, 995], // ERROR_OPERATION_ABORTED
      [STATUS.PENDING, 997], // ERROR_IO_PENDING
      [STATUS.ACCESS_DENIED, 5],
      [STATUS.INVALID_PARAMETER, 87],
      [STATUS.OBJECT_NAME_NOT_FOUND, 2], // ERROR_FILE_NOT_FOUND
      [STATUS.NO_SUCH_FILE, 2],
      [STATUS.OBJECT_PATH_NOT_FOUND, 3], // ERROR_PATH_NOT_FOUND
      [STATUS.OBJECT_NAME_COLLISION, 183], // ERROR_ALREADY_EXISTS
      [STATUS.OBJECT_NAME_INVALID, 123], // ERROR_INVALID_NAME
      [STATUS.OBJECT_TYPE_MISMATCH, 6], // ERROR_INVALID_HANDLE
      [STATUS.BUFFER_OVERFLOW, 234], // ERROR_MORE_DATA
      [STATUS.MORE_ENTRIES, 234],
      [STATUS.NOT_SUPPORTED, 50],
      [STATUS.INSUFFICIENT_RESOURCES, 1450], // ERROR_NO_SYSTEM_RESOURCES
      [STATUS.NO_MEMORY, 8], // ERROR_NOT_ENOUGH_MEMORY
      [STATUS.END_OF_FILE, 38], // ERROR_HANDLE_EOF
      [STATUS.UNSUCCESSFUL, 31], // ERROR_GEN_FAILURE
      [STATUS.INVALID_HANDLE, 6],
      [STATUS.SHARING_VIOLATION, 32],
      [STATUS.DELETE_PENDING, 5],
      [STATUS.FILE_IS_A_DIRECTORY, 5],
      [STATUS.NOT_A_DIRECTORY, 267], // ERROR_DIRECTORY
      [STATUS.DEVICE_NOT_READY, 21], // ERROR_NOT_READY
      [STATUS.INVALID_DEVICE_STATE, 22], // ERROR_BAD_COMMAND
      [STATUS.DEVICE_CONFIGURATION_ERROR, 87],
      [STATUS.NO_SUCH_DEVICE, 433], // ERROR_NO_SUCH_DEVICE
      [STATUS.TIMEOUT, 1460], // ERROR_TIMEOUT
      [STATUS.NO_MORE_ENTRIES, 259], // ERROR_NO_MORE_ITEMS
      [STATUS.NOT_FOUND, 1168], // ERROR_NOT_FOUND
      [STATUS.INVALID_BUFFER_SIZE, 1784], // ERROR_INVALID_USER_BUFFER
      [STATUS.IN_PAGE_ERROR, 999], // ERROR_SWAPERROR
      [STATUS.ALERTED, 739], // ERROR_ALERTED
      [STATUS.USER_APC, 737], // ERROR_USER_APC
      [STATUS.REPARSE, 741], // ERROR_REPARSE
      [STATUS.DEVICE_REMOVED, 1617], // ERROR_DEVICE_REMOVED
    ];
    for (const [status, error] of cases) expect([formatStatus(status), rtlNtStatusToDosError(status)]).toEqual([formatStatus(status), error]);
  });

  it('maps every INVALID_PARAMETER_n to ERROR_INVALID_PARAMETER', () => {
    for (let n = 1; n <= 12; n++) expect(rtlNtStatusToDosError(STATUS[`INVALID_PARAMETER_${n}` as StatusName])).toBe(87);
  });

  it("agrees with Microsoft's documented mapping table (KB 113996)", () => {
    const documented: [StatusName, number][] = [
      ['DATATYPE_MISALIGNMENT', 998], // ERROR_NOACCESS
      ['ACCESS_VIOLATION', 998],
      ['DATATYPE_MISALIGNMENT_ERROR', 998],
      ['CTL_FILE_NOT_SUPPORTED', 50],
      ['PORT_ALREADY_SET', 87],
      ['SECTION_NOT_IMAGE', 87],
      ['BAD_WORKING_SET_LIMIT', 87],
      ['WORKING_SET_LIMIT_RANGE', 87],
      ['INCOMPATIBLE_FILE_MAP', 87],
      ['PORT_DISCONNECTED', 6],
      ['NOT_LOCKED', 158], // ERROR_NOT_LOCKED
      ['NOT_MAPPED_VIEW', 487], // ERROR_INVALID_ADDRESS
      ['UNABLE_TO_FREE_VM', 87],
      ['UNABLE_TO_DELETE_SECTION', 87],
      ['MORE_PROCESSING_REQUIRED', 234],
      ['INVALID_CID', 87],
      ['STACK_OVERFLOW', 1001],
      ['BAD_INITIAL_STACK', 1001],
      ['INVALID_VOLUME_LABEL', 154], // ERROR_LABEL_TOO_LONG
      ['SECTION_NOT_EXTENDED', 14], // ERROR_OUTOFMEMORY
      ['NOT_MAPPED_DATA', 487],
      ['NO_LDT', 1444], // ERROR_INVALID_THREAD_ID
      ['INFO_LENGTH_MISMATCH', 24], // ERROR_BAD_LENGTH
      ['INVALID_INFO_CLASS', 87],
      ['SUSPEND_COUNT_EXCEEDED', 156], // ERROR_SIGNAL_REFUSED
      ['NOTIFY_ENUM_DIR', 1022],
      ['REGISTRY_RECOVERED', 1014],
      ['REGISTRY_IO_FAILED', 1016],
      ['PAGEFILE_QUOTA', 1454],
      ['BAD_INITIAL_PC', 193], // ERROR_BAD_EXE_FORMAT
    ];
    for (const [name, error] of documented) expect([name, rtlNtStatusToDosError(STATUS[name])]).toEqual([name, error]);
  });

  it('passes exception codes through unchanged', () => {
    for (const s of [STATUS.BREAKPOINT, STATUS.SINGLE_STEP, STATUS.ILLEGAL_INSTRUCTION, STATUS.INTEGER_DIVIDE_BY_ZERO, STATUS.PRIVILEGED_INSTRUCTION]) {
      expect(rtlNtStatusToDosError(s)).toBe(s);
    }
  });

  it('maps informational and warning statuses, not only errors', () => {
    expect(rtlNtStatusToDosError(STATUS.OBJECT_NAME_EXISTS)).toBe(698); // ERROR_OBJECT_NAME_EXISTS
    expect(rtlNtStatusToDosError(STATUS.WAIT_1)).toBe(731); // ERROR_WAIT_1
    expect(rtlNtStatusToDosError(STATUS.NO_MORE_FILES)).toBe(18); // ERROR_NO_MORE_FILES
  });

  it('returns the Win32 code carried by FACILITY_NTWIN32 statuses', () => {
    expect(rtlNtStatusToDosError(0xc0070005)).toBe(5);
    expect(rtlNtStatusToDosError(0x80070057)).toBe(87);
    expect(rtlNtStatusToDosError(0xc0010002)).toBe(2);
  });

  it('returns customer-defined statuses (bit 29) unchanged', () => {
    expect(rtlNtStatusToDosError(0xe0001234)).toBe(0xe0001234);
    expect(rtlNtStatusToDosError(0x20000001)).toBe(0x20000001);
  });

  it('treats 0xDxxxxxxx like 0xCxxxxxxx', () => {
    expect(rtlNtStatusToDosError(0xd0000022)).toBe(5);
  });

  it('accepts the signed spelling of a status', () => {
    expect(rtlNtStatusToDosError(-1073741790)).toBe(5); // 0xC0000022
  });

  it('returns ERROR_MR_MID_NOT_FOUND for statuses without a mapping', () => {
    expect(ERROR_MR_MID_NOT_FOUND).toBe(317);
    expect(rtlNtStatusToDosError(0xc0dec0de)).toBe(317);
    expect(rtlNtStatusToDosError(0xc0000109)).toBe(317); // STATUS_MESSAGE_NOT_FOUND is explicitly unmapped
    expect(rtlNtStatusToDosError(0x00000004)).toBe(317); // STATUS_WAIT_4 has no mapping either
  });

  it('carries a table of more than a thousand mappings', () => {
    expect(mappedStatusCount()).toBeGreaterThan(1000);
  });
});

describe('win32ErrorName', () => {
  it('names common Win32 errors', () => {
    expect(win32ErrorName(0)).toBe('ERROR_SUCCESS');
    expect(win32ErrorName(1)).toBe('ERROR_INVALID_FUNCTION');
    expect(win32ErrorName(5)).toBe('ERROR_ACCESS_DENIED');
    expect(win32ErrorName(87)).toBe('ERROR_INVALID_PARAMETER');
    expect(win32ErrorName(122)).toBe('ERROR_INSUFFICIENT_BUFFER');
    expect(win32ErrorName(317)).toBe('ERROR_MR_MID_NOT_FOUND');
    expect(win32ErrorName(997)).toBe('ERROR_IO_PENDING');
    expect(win32ErrorName(1450)).toBe('ERROR_NO_SYSTEM_RESOURCES');
    expect(win32ErrorName(10054)).toBe('WSAECONNRESET');
  });

  it('returns undefined for a code winerror.h does not define', () => {
    expect(win32ErrorName(65000)).toBeUndefined();
  });

  it('exposes the codes by name', () => {
    expect(WIN32.ERROR_INVALID_FUNCTION).toBe(1);
    expect(WIN32.ERROR_MORE_DATA).toBe(234);
    expect(rtlNtStatusToDosError(STATUS.BUFFER_OVERFLOW)).toBe(WIN32.ERROR_MORE_DATA);
  });
});
