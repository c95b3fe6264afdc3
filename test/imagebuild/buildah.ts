// Debian's buildah as the oracle for `skiff build`: `buildah bud` in a private storage dir
// (vfs driver, chroot isolation: no daemon, nothing shared with other suites), the built
// image's rootfs through `buildah from` + `buildah mount`, its config through inspect.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OciConfigFields {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
}

export class Buildah {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<Buildah> {
    return new Buildah(await mkdtemp(path.join(os.tmpdir(), 'skiff-buildah-')));
  }

  #base(): string[] {
    return ['--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'runroot'), '--storage-driver', 'vfs'];
  }

  async buildah(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run('buildah', [...this.#base(), ...args], { maxBuffer: 64 << 20 });
      return stdout;
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`buildah ${args.join(' ')}: ${err.stderr || err.stdout || err.message}`, { cause: e });
    }
  }

  async bud(context: string, tag: string, buildArgs: Record<string, string> = {}): Promise<void> {
    const flags = Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    await this.buildah('bud', '--isolation', 'chroot', '--tls-verify=false', '--pull-always=false', ...flags, '-t', tag, context);
  }

  /** The image's rootfs as a directory (a working container on it, mounted). */
  async mountImage(tag: string): Promise<string> {
    const c = (await this.buildah('from', '--pull=never', tag)).trim().split('\n').pop() as string;
    return (await this.buildah('mount', c)).trim();
  }

  async config(tag: string): Promise<OciConfigFields> {
    // This buildah's --format templates have no json function: the whole document it is.
    const out = JSON.parse(await this.buildah('inspect', '--type', 'image', tag)) as { OCIv1: { config?: OciConfigFields } };
    return out.OCIv1.config ?? {};
  }

  /** Removes containers, images and the storage dir (and unmounts anything left under it). */
  async destroy(): Promise<void> {
    await this.buildah('rm', '-a').catch(() => undefined);
    await this.buildah('rmi', '-a', '-f').catch(() => undefined);
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(this.dir));
    for (const m of mounts.sort((a, b) => b.length - a.length)) await run('umount', ['-l', m]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
