/**
 * Runs a command inside a built image, as a pod would, without a daemon: the image's OCI
 * archive (what `make images` writes and the embedded cluster imports) is unpacked layer by
 * layer into a root file system, and `runc` (Debian) runs the command there, read-only, as
 * uid 1000, with no network, no capabilities and a tmpfs /tmp — the restricted pod profile
 * dfp renders. podman is not used: it fails here raising rlimits (notes/embedded-cluster.md),
 * so the spec below sets none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DFP_CACHE = process.env.DFP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'dfp');

/** The archive `make images` writes for image `name`. */
export const imageArchive = (name: string): string => join(DFP_CACHE, 'images', `${name}.tar`);

function sh(cmd: string, args: string[], options: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface OciImage {
  readonly rootfs: string;
  readonly config: { Env?: string[]; WorkingDir?: string; User?: string };
  readonly digest: string;
}

/** Unpacks `archive` into a fresh folder: the manifest's layers in order, whiteouts applied. */
export function unpackImage(archive: string): OciImage {
  const work = mkdtempSync(join(tmpdir(), 'dfp-oci-'));
  const layout = join(work, 'layout');
  const rootfs = join(work, 'rootfs');
  mkdirSync(layout);
  mkdirSync(rootfs);
  sh('tar', ['-xf', archive, '-C', layout]);
  const blob = (digest: string) => join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const digest = index.manifests[0]!.digest;
  const manifest = JSON.parse(readFileSync(blob(digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  for (const layer of manifest.layers) {
    // A whiteout (.wh.NAME) deletes NAME of the layers below; an opaque one empties its folder.
    for (const entry of sh('tar', ['-tzf', blob(layer.digest)]).split('\n')) {
      const name = entry.replace(/^\.\//, '');
      const base = name.split('/').pop() ?? '';
      if (!base.startsWith('.wh.')) continue;
      const dir = join(rootfs, name.slice(0, name.length - base.length));
      if (base === '.wh..wh..opq') rmSync(dir, { recursive: true, force: true });
      else rmSync(join(dir, base.slice(4)), { recursive: true, force: true });
    }
    sh('tar', ['-xzf', blob(layer.digest), '-C', rootfs, '--numeric-owner', '--exclude=.wh.*', '--exclude=*/.wh.*']);
  }
  const config = (JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { config: OciImage['config'] }).config;
  rmSync(layout, { recursive: true, force: true });
  return { rootfs, config, digest };
}

export interface RunOptions {
  readonly args: readonly string[];
  /** Added to the image's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Host folders mounted read-only: container path -> host path. */
  readonly mounts?: Readonly<Record<string, string>>;
  /** Empty writable folders (tmpfs), as the pods' emptyDir volumes. @default ['/tmp', '/home/dfp'] */
  readonly scratch?: readonly string[];
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let counter = 0;

/** Runs one command in the image with runc; the bundle is removed afterwards. */
export function runInImage(image: OciImage, options: RunOptions): RunResult {
  const bundle = mkdtempSync(join(tmpdir(), 'dfp-runc-'));
  sh('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Record<string, any>;
  const env = new Map<string, string>();
  for (const e of image.config.Env ?? []) env.set(e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1));
  env.set('HOME', '/home/dfp');
  for (const [k, v] of Object.entries(options.env ?? {})) env.set(k, v);
  spec.process.terminal = false;
  spec.process.args = [...options.args];
  spec.process.env = [...env].map(([k, v]) => `${k}=${v}`);
  spec.process.cwd = image.config.WorkingDir || '/';
  spec.process.user = { uid: 1000, gid: 1000 };
  spec.process.noNewPrivileges = true;
  spec.process.capabilities = { bounding: [], effective: [], permitted: [], ambient: [] };
  // Raising limits needs CAP_SYS_RESOURCE, which root lacks here.
  delete spec.process.rlimits;
  spec.root = { path: image.rootfs, readonly: true };
  spec.hostname = 'dfp-image-test';
  for (const dir of options.scratch ?? ['/tmp', '/home/dfp']) {
    spec.mounts.push({ destination: dir, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=512m'] });
  }
  for (const [dest, src] of Object.entries(options.mounts ?? {})) {
    spec.mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'ro'] });
  }
  // Its own network namespace with only loopback: nothing outside can be reached.
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const id = `dfp-image-test-${process.pid}-${counter++}`;
  const r = spawnSync('runc', ['run', '--bundle', bundle, id], { encoding: 'utf8', timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
  rmSync(bundle, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Whether this machine can run images: runc installed and running as root. */
export const canRunImages = (): boolean => spawnSync('runc', ['--version']).status === 0 && process.getuid?.() === 0;

export const archiveExists = (name: string): boolean => existsSync(imageArchive(name));
