/**
 * The images dist/ pins, in the embedded cluster's containerd under the name the kubelet
 * resolves for them. dist/ names an image `name:tag@sha256:…`; the CRI looks it up as
 * `name@sha256:…`, a name `ctr images import` alone never makes. scripts/cluster/import
 * (and `up`) add that name to every image they import, so a suite only imports what the
 * cluster lacks, by the reference dist/ names (the archive holding exactly that digest:
 * scripts/images/archive-for). Embedded cluster only; a user's own cluster pulls from its
 * registry.
 */
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../support/process.ts';

const PINNED = /^(.+):[^:/@]+@(sha256:[0-9a-f]{64})$/;

/** `name@sha256:…` of a pinned `name:tag@sha256:…`, or undefined for a reference by tag. */
export function digestName(ref: string): string | undefined {
  const m = PINNED.exec(ref);
  return m ? `${m[1]}@${m[2]}` : undefined;
}

/** The names containerd (namespace k8s.io) holds, or undefined when the cluster is not running. */
function heldNames(): Set<string> | undefined {
  const state =
    process.env.DFP_CLUSTER_DIR || join(process.env.DFP_CACHE || join(homedir(), '.cache', 'dfp'), 'cluster');
  const r = spawnSync(
    'ctr',
    ['--address', join(state, 'containerd', 'containerd.sock'), '-n', 'k8s.io', 'images', 'ls', '-q'],
    {
      encoding: 'utf8',
    },
  );
  return r.status === 0 ? new Set(r.stdout.split('\n').filter(Boolean)) : undefined;
}

/**
 * Imports (scripts/cluster/import REF…) each pinned reference among `refs` whose digest name
 * the cluster lacks: an image never imported, one kubelet's image GC removed, or one whose
 * tag another checkout's build moved to another digest. References by tag are left alone.
 * Returns the references imported, and those no archive holds or the import did not bring
 * (with the import's own message: which image to build).
 */
export function importPinned(refs: readonly string[]): { imported: string[]; missing: string[]; message: string } {
  const pinned = [...new Set(refs)].filter((r) => digestName(r) !== undefined).sort();
  const held = heldNames();
  if (!held) return { imported: [], missing: pinned, message: 'the cluster is not running (make cluster-up)' };
  const lacking = pinned.filter((r) => !held.has(digestName(r)!));
  if (!lacking.length) return { imported: [], missing: [], message: '' };
  const r = spawnSync(join(ROOT, 'scripts', 'cluster', 'import'), lacking, { encoding: 'utf8' });
  const now = heldNames() ?? new Set<string>();
  const missing = lacking.filter((ref) => !now.has(digestName(ref)!));
  const message = (r.stderr ?? '')
    .split('\n')
    .filter((l) => /^(archive-for|cluster):/.test(l))
    .join('\n');
  return { imported: lacking.filter((ref) => !missing.includes(ref)), missing, message };
}

/** Whether the kubelet finds `ref` (as dist/ names it) in the cluster without a pull. */
export function imageInCluster(ref: string): boolean {
  return heldNames()?.has(digestName(ref) ?? ref) ?? false;
}
