/**
 * Runs a command inside a built image, as a pod would, without a daemon: the image's OCI
 * archive (what `make images` writes and the embedded cluster imports) is unpacked layer by
 * layer and mounted as an overlay (below), and `runc` (Debian) runs the command there, read-only, as
 * uid 1000, with no network, no capabilities and a tmpfs /tmp — the restricted pod profile
 * dfp renders. podman is not used: it fails here raising rlimits (notes/embedded-cluster.md),
 * so the spec below sets none.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The archive `make images` built for image `name` with the digest dist/ names
 * (`registry.dfp.internal/dfp/<name>:<tag>@sha256:…`), found by scripts/images/archive-for
 * in `$DFP_CACHE/images/<name>/<key>.tar`; or why there is none (which image to build).
 */
export function findImageArchive(name: string): { path: string } | { error: string } {
  const grep = spawnSync(
    'grep',
    ['-rhoE', `registry\\.dfp\\.internal/dfp/${name}:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}`, join(ROOT, 'dist')],
    { encoding: 'utf8' },
  );
  const refs = [...new Set(grep.stdout.split('\n').filter(Boolean))].sort();
  if (refs.length !== 1) {
    return {
      error:
        refs.length === 0
          ? `dist/ names no image registry.dfp.internal/dfp/${name}:<tag>@sha256:… (make images IMAGES=${name}, ` +
            'then make synth)'
          : `dist/ names ${name} by several digests: ${refs.join(', ')}`,
    };
  }
  const r = spawnSync(join(ROOT, 'scripts', 'images', 'archive-for'), refs, { encoding: 'utf8' });
  return r.status === 0 ? { path: r.stdout.trim() } : { error: r.stderr.trim() };
}

/** The archive of image `name` that dist/ names; throws archive-for's message when there is none. */
export function imageArchive(name: string): string {
  const found = findImageArchive(name);
  if ('error' in found) throw new Error(found.error);
  return found.path;
}

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

/**
 * Layers are unpacked once per process, each into its own folder (keyed by digest), and an
 * image's root file system is a read-only overlay of its layers: images that share layers
 * (python-base; torch-base's gigabytes under kronodroid-train and executorch-export) share
 * them on disk too. A whiteout (.wh.NAME) becomes overlayfs's (a 0/0 character device), an
 * opaque folder (.wh..wh..opq) gets trusted.overlay.opaque. releaseImages() unmounts and
 * removes all of it (also at exit). DFP_IMAGES_LAYERS names another parent folder than the
 * temp folder (/dev/shm: memory instead of a short disk).
 */
let layerRoot = '';
/** Where layers are unpacked: DFP_IMAGES_LAYERS (e.g. /dev/shm, when the disk is short), else the temp folder. */
const layersParent = (): string => process.env.DFP_IMAGES_LAYERS || tmpdir();
const layers = new Map<string, string>();
const mounted: string[] = [];

function layerDir(archive: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  const known = layers.get(hex);
  if (known) return known;
  if (!layerRoot) layerRoot = mkdtempSync(join(layersParent(), 'dfp-oci-layers-'));
  const dir = join(layerRoot, hex);
  // The disk is shared: refuse, naming the need, rather than fill it (a gzip layer unpacks
  // to about twice its size, more for text; 1 GiB is left for everyone else).
  const size = Number(
    sh('bash', ['-c', 'tar -tvf "$1" "blobs/sha256/$2" | awk \'{print $3}\'', 'size', archive, hex]).trim(),
  );
  const free = Number(sh('df', ['--output=avail', '-B1', layerRoot]).trim().split('\n').pop());
  if (free < size * 2.5 + (1 << 30)) {
    throw new Error(
      `unpacking layer ${hex.slice(0, 12)} of ${archive} needs about ` +
        `${Math.round(((size * 2.5) / 1e9) * 10) / 10} GB and 1 GB to spare in ${layerRoot}, which has ` +
        `${Math.round(free / 1e8) / 10} GB free; free some, or set DFP_IMAGES_LAYERS to a folder with room ` +
        '(/dev/shm)',
    );
  }
  mkdirSync(dir);
  // Straight from the archive: tar -xO of the blob into tar -xz, nothing else copied; then
  // the whiteout files it unpacked are turned into overlayfs's.
  sh('bash', [
    '-c',
    'set -eu -o pipefail; tar -xOf "$1" "blobs/sha256/$2" | tar -xz -C "$3" --numeric-owner',
    'unpack',
    archive,
    hex,
    dir,
  ]);
  const whiteouts = sh('find', [dir, '-name', '.wh.*']).split('\n').filter(Boolean);
  for (const path of whiteouts) {
    const base = path.split('/').pop()!;
    const parent = path.slice(0, path.length - base.length - 1);
    rmSync(path, { force: true });
    if (base === '.wh..wh..opq')
      sh('python3', ['-c', 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")', parent]);
    else sh('mknod', [join(parent, base.slice(4)), 'c', '0', '0']);
  }
  layers.set(hex, dir);
  return dir;
}

/** The image in `archive` (its first manifest) as a read-only root file system (see above). */
export function unpackImage(archive: string): OciImage {
  const read = (path: string) => sh('tar', ['-xOf', archive, path]);
  const blob = (digest: string) => JSON.parse(read(`blobs/sha256/${digest.replace(/^sha256:/, '')}`));
  const index = JSON.parse(read('index.json')) as { manifests: { digest: string }[] };
  const digest = index.manifests[0]!.digest;
  const manifest = blob(digest) as { config: { digest: string }; layers: { digest: string }[] };
  const dirs = manifest.layers.map((l) => layerDir(archive, l.digest));
  if (!layerRoot) layerRoot = mkdtempSync(join(layersParent(), 'dfp-oci-layers-'));
  const rootfs = mkdtempSync(join(layerRoot, 'rootfs-'));
  // overlayfs: the first lowerdir is the top layer. An upper folder of its own takes what
  // runc creates (the mount points of volumes the image lacks, as /work); the layers are
  // never written, and runc makes the root read-only for the process (root.readonly).
  const upper = `${rootfs}.upper`;
  const workdir = `${rootfs}.work`;
  mkdirSync(upper);
  mkdirSync(workdir);
  sh('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${[...dirs].reverse().join(':')},upperdir=${upper},workdir=${workdir}`,
    rootfs,
  ]);
  mounted.push(rootfs);
  const config = (blob(manifest.config.digest) as { config: OciImage['config'] }).config;
  return { rootfs, config, digest };
}

/** Unmounts every image root and removes the unpacked layers. */
export function releaseImages(): void {
  while (mounted.length) spawnSync('umount', [mounted.pop()!], { stdio: 'ignore' });
  if (layerRoot) rmSync(layerRoot, { recursive: true, force: true });
  layerRoot = '';
  layers.clear();
}
process.on('exit', releaseImages);

export interface RunOptions {
  readonly args: readonly string[];
  /** Added to the image's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Host folders mounted read-only: container path -> host path. */
  readonly mounts?: Readonly<Record<string, string>>;
  /** Host folders mounted writable (as a pod's PVC or an Argo artifact folder): container path -> host path. */
  readonly writable?: Readonly<Record<string, string>>;
  /**
   * The host's network namespace instead of one with only loopback, as a pod with
   * hostNetwork: for a program that must reach test servers listening on the host's
   * 127.0.0.1 (lakeFS, MLflow). @default false
   */
  readonly hostNetwork?: boolean;
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

/** The runc bundle for one run: its folder and container id. */
function bundleFor(image: OciImage, options: RunOptions): { bundle: string; id: string } {
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
  // As kubelet does for every pod: an /etc/hosts naming the pod's hostname (the JVM resolves
  // its own host name at start; Spark failed with UnknownHostException without it).
  writeFileSync(
    join(bundle, 'hosts'),
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${spec.hostname}\n`,
    { mode: 0o644 },
  );
  spec.mounts.push({
    destination: '/etc/hosts',
    type: 'bind',
    source: join(bundle, 'hosts'),
    options: ['rbind', 'ro'],
  });
  for (const dir of options.scratch ?? ['/tmp', '/home/dfp']) {
    spec.mounts.push({
      destination: dir,
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=1777', 'size=512m'],
    });
  }
  for (const [dest, src] of Object.entries(options.mounts ?? {})) {
    spec.mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'ro'] });
  }
  for (const [dest, src] of Object.entries(options.writable ?? {})) {
    spec.mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rw'] });
  }
  // By default its own network namespace with only loopback: nothing outside can be reached.
  if (options.hostNetwork)
    spec.linux.namespaces = (spec.linux.namespaces as { type: string }[]).filter((n) => n.type !== 'network');
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return { bundle, id: `dfp-image-test-${process.pid}-${counter++}` };
}

/** Runs one command in the image with runc; the bundle is removed afterwards. */
export function runInImage(image: OciImage, options: RunOptions): RunResult {
  const { bundle, id } = bundleFor(image, options);
  const r = spawnSync('runc', ['run', '--bundle', bundle, id], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
  rmSync(bundle, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * runInImage without blocking the event loop, for long runs while servers this process
 * started (lakeFS, MLflow) must keep being served and read.
 */
export function runInImageAsync(image: OciImage, options: RunOptions): Promise<RunResult> {
  const { bundle, id } = bundleFor(image, options);
  return new Promise((resolve, reject) => {
    const child = spawn('runc', ['run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 900_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
      rmSync(bundle, { recursive: true, force: true });
      resolve({ status, stdout, stderr });
    });
  });
}

/** Whether this machine can run images: runc installed and running as root. */
export const canRunImages = (): boolean => spawnSync('runc', ['--version']).status === 0 && process.getuid?.() === 0;

export const archiveExists = (name: string): boolean => {
  const found = findImageArchive(name);
  return 'path' in found && existsSync(found.path);
};
