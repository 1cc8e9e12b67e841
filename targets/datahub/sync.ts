/**
 * `datahub ingest` on every Argo CD sync: the rendered metadata files and recipe as a
 * ConfigMap (the very bytes of `dist/<env>/datahub/`, so what is ingested is what was
 * reviewed) and a Job, an Argo CD Sync hook, that runs the `datahub` CLI on them. The
 * ConfigMap is in an earlier sync wave, so it is current when the hook runs. The pod meets
 * the restricted Pod Security profile; the token comes from a Secret reference.
 */
import type { Environment } from '../../constructs/model/schema.ts';
import { syncHookObjects } from '../sync-hook.ts';
import type { RenderedFile } from '../types.ts';
import { TOKEN_VARIABLE } from './recipe.ts';

export { DATAHUB_IMAGE } from '../../constructs/model/images.ts';
const CONFIG_MOUNT = '/datahub';
const HOME = '/home/datahub';
export const CONFIG_MAP_NAME = 'datahub-metadata';

/** A ConfigMap key for a rendered file: its name (`metadata/datasets.json` → `datasets.json`). */
export const configMapKey = (path: string) => path.split('/').pop()!;

export function syncObjects(files: readonly RenderedFile[], digest: string, env: Environment, image: string): object[] {
  return syncHookObjects(
    {
      name: 'datahub-ingest',
      configMapName: CONFIG_MAP_NAME,
      data: Object.fromEntries(files.map((f) => [configMapKey(f.path), f.content])),
      // Keys are flat; the volume's items put each file back at its path under the mount.
      items: files.map((f) => ({ key: configMapKey(f.path), path: f.path })),
      digestAnnotation: 'dfp.dev/metadata-sha256',
      digest,
      image,
      command: ['datahub', 'ingest', '-c', `${CONFIG_MOUNT}/recipe.yml`],
      env: [
        {
          name: TOKEN_VARIABLE,
          valueFrom: { secretKeyRef: { name: env.datahubToken.secret, key: env.datahubToken.key } },
        },
        // The CLI keeps its settings under $HOME; the image's root file system is not written to.
        { name: 'DATAHUB_TELEMETRY_ENABLED', value: 'false' },
        { name: 'HOME', value: HOME },
      ],
      files: { volume: 'metadata', path: CONFIG_MOUNT },
      scratch: { volume: 'home', path: HOME },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    },
    env,
  );
}
