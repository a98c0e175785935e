// The object manager's namespace: directories, named objects and symbolic links, resolved like ObpLookupObjectName.

import { STATUS } from '../rtl/ntstatus.js';

export type NamedObject =
  | { type: 'device'; address: bigint }
  | { type: 'driver'; address: bigint }
  | { type: 'symlink'; target: string; creator: string }
  /** A named kernel object (an event in \BaseNamedObjects ...): ob/handle.ts's KObject. */
  | { type: 'object'; object: unknown }
  /** A file system kdemu implements itself (the named pipe file system at \Device\NamedPipe). */
  | { type: 'filesystem'; name: string };

/** Directories that exist at boot; \DosDevices is a link to \?? and \GLOBAL?? is the same directory here (one session). */
const DIRECTORIES = ['\\', '\\Device', '\\Driver', '\\FileSystem', '\\??', '\\ObjectTypes', '\\KernelObjects', '\\BaseNamedObjects', '\\Callback'];
const DIRECTORY_ALIASES: Record<string, string> = { '\\dosdevices': '\\??', '\\global??': '\\??' };

/** The creator of the links that exist at boot (\??\PIPE). */
export const SYSTEM = '<system>';

export class Namespace {
  /** Canonical upper-case path → entry; the original spelling is kept for reports. */
  private readonly objects = new Map<string, { path: string; object: NamedObject }>();
  private readonly dirs = new Set(DIRECTORIES.map((d) => d.toUpperCase()));
  /** Directories created after boot, as spelled. */
  private readonly dirNames = new Map<string, string>();

  /** Normalises the directory part through the boot-time aliases (\DosDevices\X → \??\X). */
  canonical(path: string): string {
    const slash = path.lastIndexOf('\\');
    const dir = path.slice(0, slash) || '\\';
    const alias = DIRECTORY_ALIASES[dir.toLowerCase()];
    return alias ? alias + path.slice(slash) : path;
  }

  /** Inserts a named object; fails like ObInsertObject on a bad path, a missing directory or a collision. */
  insert(path: string, object: NamedObject): number {
    if (!path.startsWith('\\') || path.length < 2 || path.endsWith('\\')) return STATUS.OBJECT_NAME_INVALID;
    const p = this.canonical(path);
    const slash = p.lastIndexOf('\\');
    const dir = (p.slice(0, slash) || '\\').toUpperCase();
    if (!this.dirs.has(dir)) return STATUS.OBJECT_PATH_NOT_FOUND;
    const k = p.toUpperCase();
    if (this.objects.has(k) || this.dirs.has(k)) return STATUS.OBJECT_NAME_COLLISION;
    this.objects.set(k, { path: p, object });
    return STATUS.SUCCESS;
  }

  remove(path: string): NamedObject | undefined {
    const k = this.canonical(path).toUpperCase();
    const e = this.objects.get(k);
    if (e) this.objects.delete(k);
    return e?.object;
  }

  get(path: string): NamedObject | undefined {
    return this.objects.get(this.canonical(path).toUpperCase())?.object;
  }

  /**
   * Resolves a path to an object, following symbolic links in any prefix (\??\X\rest → target\rest).
   * Returns the object and the remaining path (the part a device's FILE_OBJECT.FileName gets).
   */
  lookup(path: string): { object: NamedObject; path: string; remainder: string } | { status: number } {
    let p = this.canonical(path);
    for (let depth = 0; depth < 32; depth++) {
      const parts = p.split('\\');
      let found: { path: string; object: NamedObject } | undefined;
      let rest = '';
      for (let n = parts.length; n > 1; n--) {
        const prefix = this.canonical(parts.slice(0, n).join('\\'));
        const e = this.objects.get(prefix.toUpperCase());
        if (e) {
          found = e;
          rest = parts.slice(n).join('\\');
          break;
        }
      }
      if (!found) {
        const dir = p.slice(0, Math.max(p.lastIndexOf('\\'), 1)).toUpperCase();
        return { status: this.dirs.has(dir) ? STATUS.OBJECT_NAME_NOT_FOUND : STATUS.OBJECT_PATH_NOT_FOUND };
      }
      if (found.object.type === 'symlink') {
        p = found.object.target + (rest ? '\\' + rest : '');
        continue;
      }
      return { object: found.object, path: found.path, remainder: rest ? '\\' + rest : '' };
    }
    return { status: STATUS.REPARSE_POINT_NOT_RESOLVED ?? STATUS.OBJECT_PATH_NOT_FOUND };
  }

  /** Whether a directory exists (canonical, any case). */
  isDirectory(path: string): boolean {
    return this.dirs.has(this.canonicalDirectory(path).toUpperCase());
  }

  /** A directory's own path through the boot-time aliases (\GLOBAL?? and \DosDevices are \??). */
  canonicalDirectory(path: string): string {
    return DIRECTORY_ALIASES[path.toLowerCase()] ?? this.canonical(path);
  }

  /** Removes an empty directory created after boot (its last handle closed). */
  removeDirectory(path: string): void {
    const k = this.canonicalDirectory(path).toUpperCase();
    if (this.dirNames.has(k) && this.entries(path).length === 0) {
      this.dirs.delete(k);
      this.dirNames.delete(k);
    }
  }

  /** Creates a directory in an existing one (ZwCreateDirectoryObject); fails like ObInsertObject. */
  addDirectory(path: string): number {
    if (!path.startsWith('\\') || path.length < 2 || path.endsWith('\\')) return STATUS.OBJECT_NAME_INVALID;
    const p = this.canonical(path);
    const parent = (p.slice(0, p.lastIndexOf('\\')) || '\\').toUpperCase();
    if (!this.dirs.has(parent)) return STATUS.OBJECT_PATH_NOT_FOUND;
    const k = p.toUpperCase();
    if (this.dirs.has(k) || this.objects.has(k)) return STATUS.OBJECT_NAME_COLLISION;
    this.dirs.add(k);
    this.dirNames.set(k, p);
    return STATUS.SUCCESS;
  }

  /** What a directory holds, in insertion order: each entry's name (within the directory) and kind. */
  entries(dir: string): { name: string; object?: NamedObject }[] {
    const d = this.canonicalDirectory(dir).toUpperCase();
    const prefix = d === '\\' ? '\\' : d + '\\';
    const out: { name: string; object?: NamedObject }[] = [];
    for (const k of this.dirs) {
      if (k !== d && k.startsWith(prefix) && !k.slice(prefix.length).includes('\\')) {
        const spelled = this.dirNames.get(k) ?? DIRECTORIES.find((x) => x.toUpperCase() === k) ?? k;
        out.push({ name: spelled.slice(spelled.lastIndexOf('\\') + 1) });
      }
    }
    for (const [k, e] of this.objects) {
      if (k.startsWith(prefix) && !k.slice(prefix.length).includes('\\')) out.push({ name: e.path.slice(e.path.lastIndexOf('\\') + 1), object: e.object });
    }
    return out;
  }

  /** Every symbolic link a driver created, in insertion order (the system's own, made at boot, are left out). */
  symlinks(): { link: string; target: string; creator: string }[] {
    const out: { link: string; target: string; creator: string }[] = [];
    for (const { path, object } of this.objects.values()) if (object.type === 'symlink' && object.creator !== SYSTEM) out.push({ link: path, target: object.target, creator: object.creator });
    return out;
  }
}
