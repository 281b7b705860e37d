import { mkdirSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A name from the owner that would leave the device's folder. */
export class SandboxEscapeError extends Error {
  override readonly name = 'SandboxEscapeError';
}

/**
 * The one folder a simulated device lets its owner touch: downloads land in it, uploads come from
 * it, commands run only from it. Owner-given names are resolved inside it and refused if they are
 * absolute or climb out (`..`), including through a symbolic link.
 */
export class DeviceSandbox {
  readonly root: string;

  constructor(folder: string) {
    mkdirSync(folder, { recursive: true });
    this.root = realpathSync(folder);
  }

  /** The path of `name` inside the folder; SandboxEscapeError when it would be outside. */
  resolve(name: string): string {
    if (name.length === 0 || name.includes('\0')) throw new SandboxEscapeError('empty or invalid file name');
    if (isAbsolute(name)) throw new SandboxEscapeError(`${name} is an absolute path`);
    const path = resolve(this.root, name);
    if (!this.contains(path)) throw new SandboxEscapeError(`${name} is outside the device folder`);
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return path;
    }
    if (!this.contains(real)) throw new SandboxEscapeError(`${name} leads outside the device folder`);
    return real;
  }

  private contains(path: string): boolean {
    const rel = relative(this.root, path);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  }
}
