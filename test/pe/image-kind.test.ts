// imageKind: drivers, user-mode executables and DLLs, told apart by subsystem first and the DLL bit second.
import { beforeAll, describe, expect, it } from 'vitest';
import { imageKind, parsePe } from '../../emu/pe/index.js';
import { buildFixtures, type Built } from './fixtures.js';

let built: Built;
beforeAll(() => {
  built = buildFixtures();
});

describe('imageKind', () => {
  it('calls a native-subsystem image a driver even though mingw -shared set IMAGE_FILE_DLL', () => {
    for (const sys of [built.x64Driver, built.x86Driver]) {
      const img = parsePe(sys);
      expect(img.isDll).toBe(true);
      const k = imageKind(img);
      expect(k.kind).toBe('driver');
      expect(k.why).toMatch(/kernel-mode driver \(subsystem NATIVE\)/);
    }
  });

  it('calls a console program a user-mode executable with subsystem WINDOWS_CUI', () => {
    const img = parsePe(built.x64Exe);
    expect(img.subsystemName).toBe('windows-cui');
    expect(img.isDll).toBe(false);
    expect(imageKind(img)).toEqual({ kind: 'exe', why: 'a user-mode executable (subsystem WINDOWS_CUI)' });
  });

  it('calls a -mwindows program a user-mode executable with subsystem WINDOWS_GUI', () => {
    const img = parsePe(built.x64GuiExe);
    expect(img.subsystemName).toBe('windows-gui');
    expect(imageKind(img)).toEqual({ kind: 'exe', why: 'a user-mode executable (subsystem WINDOWS_GUI)' });
  });

  it('calls a -shared user-mode library a DLL', () => {
    for (const dll of [built.x64Dll, built.x86Dll]) {
      const k = imageKind(parsePe(dll));
      expect(k.kind).toBe('dll');
      expect(k.why).toMatch(/DLL .*WINDOWS_CUI/);
    }
  });
});
