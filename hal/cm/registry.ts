// The run's registry: the keys of a fresh Windows 10 installation that drivers read, a service key for every loaded
// driver, and the edits of the --registry files, applied in that order when the registry is first used.

import type { Kernel } from '../kernel.js';
import { systemTime } from '../ke/clock.js';
import { BOOT_SYSTEM_TIME } from '../boot.js';
import { osVersion } from '../rtl/version.js';
import { REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ, Registry, dword, multiSz, qword, utf16Bytes, type RegKey } from './hive.js';
import type { RegEdit } from './regfile.js';

/** When the installation wrote its keys: a day before boot (the LastWriteTime ZwQueryKey shows for them). */
const INSTALL_TIME = BOOT_SYSTEM_TIME - 864_000_000_000n;

const MACHINE = '\\REGISTRY\\MACHINE';
const CONTROL_SET = `${MACHINE}\\SYSTEM\\ControlSet001`;
export const SERVICES = `${MACHINE}\\SYSTEM\\CurrentControlSet\\Services`;

type Values = Record<string, [number, Uint8Array]>;
const sz = (s: string): [number, Uint8Array] => [REG_SZ, utf16Bytes(s)];
const expand = (s: string): [number, Uint8Array] => [REG_EXPAND_SZ, utf16Bytes(s)];
const dw = (n: number): [number, Uint8Array] => [REG_DWORD, dword(n)];

/** The installation's keys and values drivers read. */
function installation(k: Kernel): [string, Values][] {
  const v = osVersion(k);
  return [
    [`${MACHINE}\\SYSTEM\\Select`, { Current: dw(1), Default: dw(1), Failed: dw(0), LastKnownGood: dw(2) }],
    [`${MACHINE}\\SYSTEM\\Setup`, { SystemSetupInProgress: dw(0), SetupType: dw(0), OOBEInProgress: dw(0) }],
    [`${CONTROL_SET}\\Control`, { SystemBootDevice: sz('multi(0)disk(0)rdisk(0)partition(1)'), SystemStartOptions: sz(' NOEXECUTE=OPTIN'), CurrentUser: sz('USERNAME'), WaitToKillServiceTimeout: sz('5000') }],
    [`${CONTROL_SET}\\Control\\ProductOptions`, { ProductType: sz('WinNT'), ProductSuite: [REG_MULTI_SZ, multiSz(['Terminal Server'])] }],
    [`${CONTROL_SET}\\Control\\ComputerName\\ComputerName`, { ComputerName: sz('KDEMU') }],
    [`${CONTROL_SET}\\Control\\ComputerName\\ActiveComputerName`, { ComputerName: sz('KDEMU') }],
    [`${CONTROL_SET}\\Control\\Session Manager`, { ProtectionMode: dw(1), ObjectDirectories: [REG_MULTI_SZ, multiSz(['\\Windows', '\\RPC Control'])] }],
    [`${CONTROL_SET}\\Control\\Session Manager\\Environment`, {
      ComSpec: expand('%SystemRoot%\\system32\\cmd.exe'), OS: sz('Windows_NT'), Path: expand('%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem'),
      PROCESSOR_ARCHITECTURE: sz(k.arch === 'x64' ? 'AMD64' : 'x86'), NUMBER_OF_PROCESSORS: sz('1'), TEMP: expand('%SystemRoot%\\TEMP'), TMP: expand('%SystemRoot%\\TEMP'), windir: expand('%SystemRoot%'),
    }],
    [`${CONTROL_SET}\\Control\\Session Manager\\Memory Management`, { PagingFiles: [REG_MULTI_SZ, multiSz(['?:\\pagefile.sys'])], ClearPageFileAtShutdown: dw(0), FeatureSettingsOverride: dw(0) }],
    [`${CONTROL_SET}\\Control\\Session Manager\\Kernel`, {}],
    [`${CONTROL_SET}\\Control\\CrashControl`, { CrashDumpEnabled: dw(7), AutoReboot: dw(1), DumpFile: expand('%SystemRoot%\\MEMORY.DMP') }],
    [`${CONTROL_SET}\\Control\\SafeBoot`, { AlternateShell: sz('cmd.exe') }],
    [`${CONTROL_SET}\\Control\\Class`, {}],
    [`${CONTROL_SET}\\Control\\DeviceClasses`, {}],
    [`${CONTROL_SET}\\Control\\CI`, {}],
    [`${CONTROL_SET}\\Control\\TimeZoneInformation`, { Bias: dw(0), StandardName: sz('Coordinated Universal Time'), DaylightName: sz('Coordinated Universal Time'), TimeZoneKeyName: sz('UTC'), RealTimeIsUniversal: dw(0) }],
    [`${CONTROL_SET}\\Control\\Nls\\CodePage`, { ACP: sz('1252'), OEMCP: sz('437'), MACCP: sz('10000') }],
    [`${CONTROL_SET}\\Enum`, {}],
    [`${CONTROL_SET}\\Hardware Profiles\\Current`, {}],
    [`${CONTROL_SET}\\Services`, {}],
    [`${MACHINE}\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`, {
      ProductName: sz('Windows 10 Pro'), EditionID: sz('Professional'), InstallationType: sz('Client'),
      CurrentVersion: sz('6.3'), CurrentMajorVersionNumber: dw(v.major), CurrentMinorVersionNumber: dw(v.minor),
      CurrentBuild: sz(String(v.build)), CurrentBuildNumber: sz(String(v.build)), CurrentType: sz('Multiprocessor Free'),
      ReleaseId: sz('2009'), DisplayVersion: sz('22H2'), UBR: dw(0), SystemRoot: sz('C:\\Windows'), PathName: sz('C:\\Windows'),
      RegisteredOwner: sz('kdemu'), RegisteredOrganization: sz(''), InstallDate: dw(Number((INSTALL_TIME - 116444736000000000n) / 10_000_000n)),
      InstallTime: [REG_QWORD, qword(INSTALL_TIME)],
    }],
    [`${MACHINE}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion`, { ProgramFilesDir: sz('C:\\Program Files'), CommonFilesDir: sz('C:\\Program Files\\Common Files') }],
    [`${MACHINE}\\SOFTWARE\\Policies`, {}],
    [`${MACHINE}\\SOFTWARE\\Classes`, {}],
    [`${MACHINE}\\HARDWARE\\DESCRIPTION\\System`, { Identifier: sz('AT/AT COMPATIBLE') }],
    [`${MACHINE}\\HARDWARE\\DESCRIPTION\\System\\BIOS`, { SystemManufacturer: sz('kdemu'), SystemProductName: sz('kdemu virtual machine'), BIOSVendor: sz('kdemu'), BIOSVersion: sz('1.0') }],
    [`${MACHINE}\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0`, {
      Identifier: sz(k.arch === 'x64' ? 'Intel64 Family 6 Model 158 Stepping 10' : 'x86 Family 6 Model 158 Stepping 10'),
      ProcessorNameString: sz('Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz'), VendorIdentifier: sz('GenuineIntel'), '~MHz': dw(3192), FeatureSet: dw(0x3d1b3bfe),
    }],
    [`${MACHINE}\\HARDWARE\\DEVICEMAP`, {}],
    [`${MACHINE}\\HARDWARE\\RESOURCEMAP`, {}],
    [`${MACHINE}\\SAM`, {}],
    [`${MACHINE}\\SECURITY`, {}],
    [`\\REGISTRY\\USER\\.DEFAULT\\Software`, {}],
    [`\\REGISTRY\\USER\\S-1-5-18`, {}],
  ];
}

function build(k: Kernel, r: Registry): void {
  for (const [path, values] of installation(k)) {
    const key = r.ensure(path);
    for (const [name, [type, data]] of Object.entries(values)) r.setValue(key, name, type, data);
  }
  // CurrentControlSet is a link to the control set Select\Current names.
  r.makeLink(`${MACHINE}\\SYSTEM\\CurrentControlSet`, `\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001`);
  r.ensure(`${MACHINE}\\SYSTEM\\ControlSet002\\Control`);
}

/**
 * A driver's service key, as the service control manager leaves it for a demand-start kernel driver: Type
 * SERVICE_KERNEL_DRIVER, Start SERVICE_DEMAND_START, ErrorControl SERVICE_ERROR_NORMAL, the ImagePath and DisplayName.
 * Values a --registry file already set stay as they are.
 */
function service(r: Registry, name: string, file: string): void {
  const key = r.ensure(`${CONTROL_SET}\\Services\\${name}`);
  const defaults: Values = { Type: dw(1), Start: dw(3), ErrorControl: dw(1), ImagePath: expand(`\\SystemRoot\\System32\\drivers\\${file}`), DisplayName: sz(name) };
  for (const [n, [type, data]] of Object.entries(defaults)) if (!key.value(n)) r.setValue(key, n, type, data);
}

function applyEdit(r: Registry, e: RegEdit): void {
  switch (e.op) {
    case 'key':
      r.ensure(e.path);
      return;
    case 'delete-key': {
      const key = r.find(e.path);
      if (key) deleteTree(r, key);
      return;
    }
    case 'value':
      r.setValue(r.ensure(e.path), e.name, e.type, e.data);
      return;
    case 'delete-value': {
      const key = r.find(e.path);
      if (key) r.deleteValue(key, e.name);
      return;
    }
  }
}

function deleteTree(r: Registry, key: RegKey): void {
  for (const sub of key.sortedSubkeys()) deleteTree(r, sub);
  r.deleteKey(key);
}

const registries = new WeakMap<Kernel, { registry: Registry; services: Set<string>; edits: readonly RegEdit[] }>();

/** The --registry edits for this run; before the registry is first used. */
export function preloadRegistry(k: Kernel, edits: readonly RegEdit[]): void {
  registries.delete(k);
  pending.set(k, edits);
}
const pending = new WeakMap<Kernel, readonly RegEdit[]>();

/** The run's registry, built on first use; every loaded driver has its service key. */
export function registry(k: Kernel): Registry {
  let state = registries.get(k);
  if (!state) {
    let installing = true;
    const registry = new Registry(() => (installing ? INSTALL_TIME : systemTime(k)));
    const edits = pending.get(k) ?? [];
    build(k, registry);
    installing = false;
    for (const e of edits) applyEdit(registry, e);
    state = { registry, services: new Set(), edits };
    registries.set(k, state);
  }
  for (const d of k.io.drivers) {
    // IoCreateDriver's drivers (createdBy) are no services: they have no key.
    if (d.createdBy || state.services.has(d.name)) continue;
    state.services.add(d.name);
    service(state.registry, d.name, d.image.name);
  }
  return state.registry;
}

