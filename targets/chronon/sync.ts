/**
 * The Chronon definitions applied on every Argo CD sync, like the Feast sync hook: the
 * rendered repo as a ConfigMap (the very files of `dist/<env>/chronon/<project>/`, so what
 * is applied cannot drift from what was reviewed) and a Job, an Argo CD Sync hook, that
 * copies them out of the mount and compiles them with Chronon's own `compile.py` (the
 * package's validation and its thrift JSON): a definition Chronon refuses fails the sync.
 * Where a Join is served online (every view it reads is `online`), the hook also uploads
 * the compiled joins' metadata to the online store with `run.py --mode metadata-upload`
 * (the online store's jar and class are the image's, `CHRONON_ONLINE_JAR`,
 * `CHRONON_ONLINE_CLASS`). An offline Join has nothing to upload: the online fetcher is the
 * only reader of that metadata, and the upload needs Java and Chronon's driver jar, which
 * run.py fetches from Maven at run time (docs/images.md) — on the embedded cluster's first
 * real sync, the step failed on every attempt and held staging's wave 1 (docs/gitops.md).
 * The ConfigMap is in an earlier sync wave, so it is current when the hook runs.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { syncHookObjects } from '../sync-hook.ts';
import type { RenderedFile } from '../types.ts';
import { TEAM } from './definitions.ts';

export { CHRONON_IMAGE } from '../../constructs/model/images.ts';
const REPO_MOUNT = '/chronon/repo';
const WORK_DIR = '/work';

/**
 * A ConfigMap holds flat keys, so each file is stored under its path with `/` as `.`
 * (`group_bys.dfp.view.py`) and the script puts it back in its folder (a view name has no `.`). Fixed text: no user
 * value is spliced in; the file names come from the mount.
 */
const applyScript = (upload: boolean) =>
  [
    'set -eu',
    `cd ${WORK_DIR}`,
    `for f in ${REPO_MOUNT}/*; do`,
    '  key=$(basename "$f")',
    '  case "$key" in',
    '    group_bys.*|joins.*) folder=${key%%.*}; rest=${key#*.}; team=${rest%%.*}; ' +
      'mkdir -p "$folder/$team"; cp -L "$f" "$folder/$team/${rest#*.}" ;;',
    '    *) cp -L "$f" "./$key" ;;',
    '  esac',
    'done',
    `export PYTHONPATH=${WORK_DIR}`,
    // One file at a time: compile.py logs and skips a folder's broken files, a single file's failure fails it.
    `for f in group_bys/${TEAM}/*.py joins/${TEAM}/*.py; do [ -e "$f" ] || continue; ` +
      `compile.py --chronon_root ${WORK_DIR} --conf "$f" --force-overwrite -y; done`,
    ...(upload
      ? [
          `for conf in production/joins/${TEAM}/*; do [ -e "$conf" ] || continue; ` +
            `run.py --mode metadata-upload --repo ${WORK_DIR} --conf "$conf"; done`,
        ]
      : []),
    '',
  ].join('\n');

/** The script's paths, for the conformance test that runs it on a copy of the ConfigMap. */
export const APPLY_PATHS = { repoMount: REPO_MOUNT, workDir: WORK_DIR } as const;

/** The ConfigMap holding the repo: `chronon-repo-dfp-<env>`. */
export const repoConfigMapName = (project: string) => `chronon-repo-${project.replace(/_/g, '-')}`;

/** The ConfigMap key of a repo file: its path below the project, `/` as `.`. */
export const configMapKey = (path: string) => path.replace(/\//g, '.');

/**
 * The ConfigMap (sync wave -1) and the Sync-hook Job that compiles the repo and, when
 * `upload` (a Join is served online), uploads the joins' metadata.
 */
export function syncObjects(
  project: string,
  repo: readonly RenderedFile[],
  digest: string,
  env: Environment,
  image: string,
  upload: boolean,
): object[] {
  return syncHookObjects(
    {
      name: 'chronon-apply',
      configMapName: repoConfigMapName(project),
      data: Object.fromEntries(repo.map((f) => [configMapKey(f.path.slice(project.length + 1)), f.content])),
      digestAnnotation: 'dfp.dev/definitions-sha256',
      digest,
      image,
      command: ['/bin/sh', '-c', applyScript(upload)],
      env: [{ name: 'PYTHONDONTWRITEBYTECODE', value: '1' }],
      files: { volume: 'repo', path: REPO_MOUNT },
      scratch: { volume: 'work', path: WORK_DIR },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    },
    env,
  );
}
