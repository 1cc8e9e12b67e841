/**
 * The Feast sync hook: per environment a ConfigMap holding exactly the rendered repo's
 * files and an Argo CD Sync-hook Job that applies them. Real Feast (the harness's
 * feast[spark] 0.67.0) plans and applies the repo as the Job sees it: the ConfigMap's
 * data written out as files. The Kubernetes schema and pod-security suites cover the
 * objects with the rest of dist/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FEAST_IMAGE } from '../constructs/model/images.ts';
import { imageTagAndDigest } from '../constructs/model/names.ts';
import { readTree } from '../synth/writer.ts';
import { ROOT, run } from './support/process.ts';
import { Entity, Environment, FeatureView, IcebergTable } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { tableProps } from './fixtures/transforms.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { FIXTURE_LOCK, envProps } from './support/fixtures.ts';

type Json = Record<string, any>;
const tree = readTree(join(ROOT, 'dist'));
const hooks = [...tree].filter(([p]) => /^[^/]+\/feast\/sync\/feast-apply\.yaml$/.test(p));
const PYTHON = join(ROOT, 'tests', 'conformance', 'feast', '.venv', 'bin', 'python');

describe('feast apply runs on every Argo CD sync, on the reviewed files', () => {
  it(
    'an environment that demands digests refuses the Feast image when the lock does not pin it, and takes it ' +
      'pinned',
    () => {
      const strictApp = (lockFile: string) => {
        const app = new DfpApp({ distDir: join(mkdtempSync(join(tmpdir(), 'dfp-dist-')), 'dist'), lockFile });
        new Environment(app, 'strict', envProps({ imageTagPolicy: 'digest' }));
        const table = new IcebergTable(app, 'orders', tableProps({ customer_id: 'string', amount: 'float64' }));
        new FeatureView(app, 'order_stats', {
          source: table,
          entities: [new Entity(app, 'customer', { joinKey: 'customer_id' })],
          features: ['amount'],
        });
        return app;
      };
      // The fixtures' lock pins the Feast image (tests/fixtures/fixtures.lock.json); the same pins without it:
      const { images: _pinned, ...unpinned } = JSON.parse(readFileSync(FIXTURE_LOCK, 'utf8')) as Record<
        string,
        unknown
      >;
      const noImages = join(mkdtempSync(join(tmpdir(), 'dfp-lock-')), 'dfp.lock.json');
      writeFileSync(noImages, JSON.stringify(unpinned));
      expect(() => renderAll(buildModel(strictApp(noImages)), TARGETS)).toThrow(
        new RegExp(
          /strict: cannot render for feast in environment 'strict': /.source +
            /the Feast sync Job's image 'registry.dfp.internal\/dfp\/feast:0.67.0' /.source +
            /has no digest/.source,
        ),
      );
      // (Only the Feast target: the fixtures' lock leaves the DataHub hook's image unpinned.)
      const pinned = renderAll(
        buildModel(strictApp(FIXTURE_LOCK)),
        TARGETS.filter((t) => t.name === 'feast'),
      ).find((f) => f.path === 'strict/feast/sync/feast-apply.yaml')!;
      expect(pinned.content).toContain(`image: registry.dfp.internal/dfp/feast:0.67.0@sha256:${'e3'.repeat(32)}\n`);
    },
  );

  it('every environment on Feast has the hook', () => {
    expect(hooks.map(([p]) => p)).toEqual(['dev/feast/sync/feast-apply.yaml', 'prod/feast/sync/feast-apply.yaml']);
  });

  const scratch = mkdtempSync(join(tmpdir(), 'dfp-feast-sync-'));
  const mounted: string[] = [];
  for (const [path, content] of hooks) {
    const env = path.split('/')[0]!;
    const [configMap, job] = parseAllDocuments(content).map((d) => d.toJS() as Json);
    const repoDir = [...tree.keys()]
      .find((p) => p.startsWith(`${env}/feast/`) && p.endsWith('/feature_store.yaml'))!
      .replace(/\/feature_store\.yaml$/, '');
    const dir = join(scratch, env);
    mkdirSync(dir);
    for (const [name, text] of Object.entries(configMap!.data as Record<string, string>))
      writeFileSync(join(dir, name), text);
    mounted.push(dir);

    it(`${env}: the ConfigMap holds the repo's files byte for byte`, () => {
      const files = [...tree]
        .filter(([p]) => p.startsWith(`${repoDir}/`))
        .map(([p, c]) => [p.slice(repoDir.length + 1), c]);
      expect(Object.entries(configMap!.data).sort()).toEqual(files.sort());
      expect(configMap!.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    });

    it(
      `${env}: the Job is a Sync hook that mounts that ConfigMap and runs feast apply, with a pinned image and ` +
        'Secret references',
      () => {
        const annotations = job!.metadata.annotations;
        expect(annotations['argocd.argoproj.io/hook']).toBe('Sync');
        expect(annotations['dfp.dev/definitions-sha256']).toBe(tree.get(`${repoDir}/definitions.sha256`)!.trim());
        const pod = job!.spec.template.spec;
        expect(pod.volumes).toContainEqual({ name: 'repo', configMap: { name: configMap!.metadata.name } });
        const [container] = pod.containers;
        expect(container.command.join(' ')).toMatch(/feast --chdir \/work apply/);
        // The Feast image at its tag, and pinned by the digest dfp.lock.json records (dist/ is made with it).
        const { tag, digest } = imageTagAndDigest(container.image);
        expect(container.image.split(/[:@]/)[0]).toBe(FEAST_IMAGE.split(':')[0]);
        expect(tag).toBe(FEAST_IMAGE.split(':')[1]);
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        // A credential comes from a Secret by reference, never as a literal; the literals are settings.
        const secretLike = /KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/i;
        for (const e of container.env) {
          if (secretLike.test(e.name)) {
            expect(e.value, `${e.name} must not be a literal`).toBeUndefined();
            expect(e.valueFrom.secretKeyRef, `${e.name} must come from a Secret`).toEqual({
              name: expect.stringMatching(/^[a-z0-9-]+$/),
              key: expect.stringMatching(/^[A-Za-z0-9_.-]+$/),
            });
          } else {
            expect(typeof e.value, `${e.name}: a setting is a literal string`).toBe('string');
          }
        }
        expect(container.env.filter((e: { name: string }) => secretLike.test(e.name)).length).toBeGreaterThan(0);
      },
    );
  }

  it('real Feast plans and applies each repo as the Job mounts it', () => {
    const r = run(PYTHON, [join(ROOT, 'tests', 'conformance', 'feast', 'plan_apply.py'), ...mounted], {
      timeoutMs: 600_000,
    });
    if (r.status !== 0) throw new Error(`plan_apply.py failed (${r.status}):\n${r.stderr}`);
    const results = (
      JSON.parse(r.stdout) as { results: { ok: boolean; steps: { command: string; code: number; output: string }[] }[] }
    ).results;
    expect(results).toHaveLength(mounted.length);
    for (const res of results) {
      expect(res.ok, res.steps.map((s) => s.output).join('\n')).toBe(true);
      expect(res.steps[1]!.output).toContain('Created feature view kronodroid_autoencoder_features');
    }
  }, 600_000);
});
