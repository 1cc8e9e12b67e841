/**
 * `feast apply` on every Argo CD sync: the rendered repo as a ConfigMap (the very files
 * of `dist/<env>/feast/<project>/`, so the applied definitions cannot drift from the
 * reviewed ones) and a Job, an Argo CD Sync hook, that copies them out of the mount and
 * applies them to the registry in the environment's bucket. The ConfigMap is in an
 * earlier sync wave, so it is current when the hook runs.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { syncHookObjects } from '../sync-hook.ts';
import type { RenderedFile } from '../types.ts';

export { FEAST_IMAGE } from '../../constructs/model/images.ts';
const REPO_MOUNT = '/feast/repo';
const WORK_DIR = '/work';

/**
 * ConfigMap volumes are symlinks into hidden `..data` folders; feast walks its repo for
 * Python files, so it gets a plain copy. Source validation is skipped: the sync can come
 * before the first transform has written the tables. Fixed text: no user value is spliced in.
 */
const APPLY_SCRIPT =
  `set -eu\ncp -L ${REPO_MOUNT}/* ${WORK_DIR}/\nexec feast ` + `--chdir ${WORK_DIR} apply --skip-source-validation\n`;

export const repoConfigMapName = (project: string) => `feast-repo-${project.replace(/_/g, '-')}`;

export function syncObjects(
  project: string,
  repo: readonly RenderedFile[],
  digest: string,
  env: Environment,
  image: string,
): object[] {
  const creds = env.artifactRepository.credentials;
  const secret = (variable: string, key: string) => ({
    name: variable,
    valueFrom: { secretKeyRef: { name: creds.secret, key } },
  });
  return syncHookObjects(
    {
      name: 'feast-apply',
      configMapName: repoConfigMapName(project),
      data: Object.fromEntries(repo.map((f) => [f.path.slice(project.length + 1), f.content])),
      digestAnnotation: 'dfp.dev/definitions-sha256',
      digest,
      image,
      command: ['/bin/sh', '-c', APPLY_SCRIPT],
      env: [
        secret('AWS_ACCESS_KEY_ID', creds.accessKeyKey),
        { name: 'AWS_DEFAULT_REGION', value: env.artifactRepository.region },
        secret('AWS_SECRET_ACCESS_KEY', creds.secretKeyKey),
        // The registry is in the environment's bucket, on its S3 endpoint.
        { name: 'FEAST_S3_ENDPOINT_URL', value: env.artifactRepository.endpoint },
        { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      ],
      files: { volume: 'repo', path: REPO_MOUNT },
      scratch: { volume: 'work', path: WORK_DIR },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    },
    env,
  );
}
