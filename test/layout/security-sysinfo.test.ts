// Windows' sizes of the security and system-information structures no mingw-w64 DDK header declares.
import { describe, expect, it } from 'vitest';
import { layouts } from '../../hal/layout/index.js';

describe('layouts kdemu writes for the Se/Rtl security routines and ZwQuerySystemInformation', () => {
  it('have the x86 and x64 sizes and offsets Windows uses', () => {
    const sizes = (arch: 'x86' | 'x64') => {
      const L = layouts(arch);
      return {
        SID: L.SID.size, ACL: L.ACL.size, ACCESS_ALLOWED_ACE: L.ACCESS_ALLOWED_ACE.size,
        SECURITY_DESCRIPTOR: L.SECURITY_DESCRIPTOR.size, SECURITY_DESCRIPTOR_RELATIVE: L.SECURITY_DESCRIPTOR_RELATIVE.size, Dacl: L.SECURITY_DESCRIPTOR.off.Dacl,
        SYSTEM_BASIC_INFORMATION: L.SYSTEM_BASIC_INFORMATION.size, NumberOfProcessors: L.SYSTEM_BASIC_INFORMATION.off.NumberOfProcessors,
        SYSTEM_TIMEOFDAY_INFORMATION: L.SYSTEM_TIMEOFDAY_INFORMATION.size,
        RTL_PROCESS_MODULE_INFORMATION: L.RTL_PROCESS_MODULE_INFORMATION.size, FullPathName: L.RTL_PROCESS_MODULE_INFORMATION.off.FullPathName,
        Modules: L.RTL_PROCESS_MODULES.off.Modules,
        SYSTEM_PROCESS_INFORMATION: L.SYSTEM_PROCESS_INFORMATION.size, ImageName: L.SYSTEM_PROCESS_INFORMATION.off.ImageName, SessionId: L.SYSTEM_PROCESS_INFORMATION.off.SessionId,
        SYSTEM_THREAD_INFORMATION: L.SYSTEM_THREAD_INFORMATION.size, ClientId: L.SYSTEM_THREAD_INFORMATION.off.ClientId,
        SHARE_ACCESS: L.SHARE_ACCESS.size, IO_ERROR_LOG_PACKET: L.IO_ERROR_LOG_PACKET.size,
      };
    };
    expect(sizes('x86')).toEqual({
      SID: 12, ACL: 8, ACCESS_ALLOWED_ACE: 12, SECURITY_DESCRIPTOR: 20, SECURITY_DESCRIPTOR_RELATIVE: 20, Dacl: 16,
      SYSTEM_BASIC_INFORMATION: 0x2c, NumberOfProcessors: 0x28, SYSTEM_TIMEOFDAY_INFORMATION: 0x30,
      RTL_PROCESS_MODULE_INFORMATION: 0x11c, FullPathName: 0x1c, Modules: 4,
      SYSTEM_PROCESS_INFORMATION: 0xb8, ImageName: 0x38, SessionId: 0x50, SYSTEM_THREAD_INFORMATION: 0x40, ClientId: 0x20,
      SHARE_ACCESS: 28, IO_ERROR_LOG_PACKET: 48,
    });
    expect(sizes('x64')).toEqual({
      SID: 12, ACL: 8, ACCESS_ALLOWED_ACE: 12, SECURITY_DESCRIPTOR: 40, SECURITY_DESCRIPTOR_RELATIVE: 20, Dacl: 32,
      SYSTEM_BASIC_INFORMATION: 0x40, NumberOfProcessors: 0x38, SYSTEM_TIMEOFDAY_INFORMATION: 0x30,
      RTL_PROCESS_MODULE_INFORMATION: 0x128, FullPathName: 0x28, Modules: 8,
      SYSTEM_PROCESS_INFORMATION: 0x100, ImageName: 0x38, SessionId: 0x64, SYSTEM_THREAD_INFORMATION: 0x50, ClientId: 0x28,
      SHARE_ACCESS: 28, IO_ERROR_LOG_PACKET: 48,
    });
  });
});
