/**
 * Images by digest: dfp.lock.json's `images` section (written by `make images` through
 * `dfp lock --images`), read by synth and rendered as `name:tag@sha256:…` in every
 * orchestrator's files, with the image as a lineage stamp; an image the lock does not pin
 * renders by tag with a warning, and is refused where an environment demands digests.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerStep, Environment, IcebergTable, Pipeline } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DATAHUB_IMAGE, FEAST_IMAGE, pinImage, unpinnedImages } from '../constructs/model/images.ts';
import { describeImageLock, lockImages } from '../lakefs/lock-command.ts';
import { LockFileError, formatLock, readLock } from '../constructs/model/lock-file.ts';
import { unpinnedWarning } from '../app/cli.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { envProps } from './support/fixtures.ts';
import { runTsx } from './support/process.ts';

const PINNED = 'registry.dfp.internal/test/train:2.0.0';
const UNPINNED = 'registry.dfp.internal/test/prep:1.0.0';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const COMMIT = 'c'.repeat(64);

function lockFile(lock: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dfp-images-lock-')), 'dfp.lock.json');
  writeFileSync(file, JSON.stringify(lock));
  return file;
}

/** A two-step pipeline (one image pinned, one not) in one environment per orchestrator, or one that demands digests. */
function app(policy?: 'digest') {
  const a = new DfpApp({
    distDir: join(mkdtempSync(join(tmpdir(), 'dfp-dist-')), 'dist'),
    lockFile: lockFile({
      version: 1,
      refs: { 'shop@main': { commit: COMMIT } },
      images: { [PINNED]: { digest: DIGEST } },
    }),
  });
  if (policy)
    new Environment(a, 'strict', envProps({ namespace: 'ml-strict', imageTagPolicy: policy, orchestrator: 'argo' }));
  else
    for (const orchestrator of ['argo', 'kubeflow', 'airflow'] as const)
      new Environment(a, orchestrator, envProps({ namespace: `ml-${orchestrator}`, orchestrator }));
  const table = new IcebergTable(a, 'orders', {
    namespace: 'shop',
    lakefsRepository: 'shop',
    ref: { branch: 'main' },
    fields: { id: 'string', amount: 'float64', ts: 'timestamp' },
    timestampField: 'ts',
  });
  const p = new Pipeline(a, 'p');
  const prep = new ContainerStep(p, 'prep', { image: UNPINNED, command: ['prep'] });
  new ContainerStep(p, 'train', {
    image: PINNED,
    command: ['train'],
    lineage: { lakefsRepository: 'shop', lakefsRef: table.pinnedCommit, sourceTable: table },
  }).after(prep);
  return a;
}

describe('the lock pins images', () => {
  it('reads and writes the images section in the canonical form, and refuses a wrong key or digest', () => {
    const text = formatLock({ version: 1, refs: {}, images: { [PINNED]: { digest: DIGEST } } });
    expect(text).toBe(
      `{\n  "images": {\n    "${PINNED}": {\n      "digest": "${DIGEST}"\n    }\n  },\n  "refs": {},\n  ` +
        '"version": 1\n}\n',
    );
    expect(readLock(lockFile(JSON.parse(text)))).toEqual({
      version: 1,
      refs: {},
      images: { [PINNED]: { digest: DIGEST } },
    });
    for (const [images, message] of [
      [
        { [PINNED]: { digest: 'ab'.repeat(32) } },
        /images\.registry\.dfp\.internal\/test\/train:2\.0\.0\.digest: a digest is sha256: and 64 lowercase hex digits/,
      ],
      [
        { 'registry.dfp.internal/test/train': { digest: DIGEST } },
        /'registry\.dfp\.internal\/test\/train' is not <registry>\/<name>:<tag>/,
      ],
      [{ [`${PINNED}@${DIGEST}`]: { digest: DIGEST } }, /is not <registry>\/<name>:<tag>/],
    ] as const) {
      expect(() => readLock(lockFile({ version: 1, refs: {}, images }))).toThrow(message);
    }
  });

  it(
    'dfp lock --images records the digests make images wrote and keeps the lakeFS pins; a bad file leaves the ' +
      'lock as it was',
    () => {
      const file = lockFile({ version: 1, refs: { 'shop@main': { commit: COMMIT } } });
      const dir = mkdtempSync(join(tmpdir(), 'dfp-digests-'));
      writeFileSync(join(dir, 'train.digest'), `${PINNED} ${DIGEST}\n`);
      const first = lockImages(file, [join(dir, 'train.digest')]);
      expect(first.written).toBe(true);
      expect(describeImageLock(first, 'dfp.lock.json')).toBe(
        `dfp lock --images: wrote dfp.lock.json\n  ${PINNED} -> ${DIGEST} (new pin)`,
      );
      expect(readLock(file)).toEqual({
        version: 1,
        refs: { 'shop@main': { commit: COMMIT } },
        images: { [PINNED]: { digest: DIGEST } },
      });
      const again = lockImages(file, [join(dir, 'train.digest')]);
      expect(again.written).toBe(false);
      expect(describeImageLock(again, 'dfp.lock.json')).toContain('(unchanged)');
      const before = readFileSync(file, 'utf8');
      writeFileSync(join(dir, 'bad.digest'), `${PINNED} latest\n`);
      expect(() => lockImages(file, [join(dir, 'bad.digest')])).toThrow(LockFileError);
      expect(() => lockImages(file, [join(dir, 'bad.digest')])).toThrow(
        /bad\.digest is not '<image> sha256:<digest>' on one line; run 'make images'/,
      );
      expect(readFileSync(file, 'utf8')).toBe(before);
    },
  );

  it(
    'the verb: exit 0 and one line per image; a missing file exits 1 (invalid input, as a bad lock file does) ' +
      'with the lock untouched',
    () => {
      const file = lockFile({ version: 1, refs: {} });
      const dir = mkdtempSync(join(tmpdir(), 'dfp-digests-'));
      writeFileSync(join(dir, 'train.digest'), `${PINNED} ${DIGEST}\n`);
      const ok = runTsx('dfp.ts', { args: ['lock', '--images', join(dir, 'train.digest')], env: { DFP_LOCK: file } });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`${PINNED} -> ${DIGEST} (new pin)`);
      const missing = runTsx('dfp.ts', {
        args: ['lock', '--images', join(dir, 'nope.digest')],
        env: { DFP_LOCK: file },
      });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(
        /^dfp lock --images: cannot read .*nope\.digest .*run 'make images' to write it\n.* was left unchanged\.\n$/,
      );
    },
  );
});

describe('synth renders pinned images by digest', () => {
  const model = buildModel(app());
  const files = renderAll(model, TARGETS);
  const orchestratorFiles = files.filter((f) =>
    /\/(argo\/workflow-templates|kubeflow\/pipelines|airflow\/dags)\/p\./.test(f.path),
  );

  it('in every orchestrator, by digest where the lock pins the image and by tag where it does not', () => {
    expect(orchestratorFiles.map((f) => f.path).sort()).toEqual([
      'airflow/airflow/dags/p.py',
      'argo/argo/workflow-templates/p.yaml',
      'kubeflow/kubeflow/pipelines/p.yaml',
    ]);
    for (const f of orchestratorFiles) {
      expect(f.content, f.path).toContain(`${PINNED}@${DIGEST}`);
      expect(f.content, f.path).toContain(UNPINNED);
      expect(f.content, f.path).not.toContain(`${UNPINNED}@`);
      // Never the bare tag of a pinned image (every mention carries the digest).
      expect(f.content.split(PINNED).length - 1, f.path).toBe(f.content.split(`${PINNED}@${DIGEST}`).length - 1);
    }
  });

  it('stamps the step with lineage with its pinned image (DFP_IMAGE), as the run records it', () => {
    const argo = orchestratorFiles.find((f) => f.path.startsWith('argo/'))!.content;
    expect(argo).toContain(`- name: DFP_IMAGE\n            value: ${PINNED}@${DIGEST}\n`);
    expect(model.pipelines[0]!.steps.find((s) => s.name === 'train')!.image).toBe(`${PINNED}@${DIGEST}`);
  });

  it('names what it rendered by tag, for the warning make synth prints', () => {
    // The step's, and the DataHub ingest hook's (the environments have a DataHub endpoint).
    expect(unpinnedImages(model)).toEqual([DATAHUB_IMAGE, UNPINNED]);
    expect(unpinnedWarning([UNPINNED])).toBe(
      `dfp: warning: 1 image rendered by tag, with no digest in the lock (run 'make images', which records the ` +
        `digests in dfp.lock.json, and commit it): ${UNPINNED}\n`,
    );
  });

  it("pins the sync hooks' images from the same lock", () => {
    expect(pinImage({ [FEAST_IMAGE]: DIGEST }, FEAST_IMAGE)).toBe(`${FEAST_IMAGE}@${DIGEST}`);
    expect(pinImage({ [FEAST_IMAGE]: DIGEST }, `${FEAST_IMAGE}@sha256:${'0'.repeat(64)}`)).toBe(
      `${FEAST_IMAGE}@sha256:${'0'.repeat(64)}`,
    );
  });

  it('an environment that demands digests takes the pinned image and refuses the unpinned one, at its path', () => {
    expect(() => buildModel(app('digest'))).toThrow(
      new RegExp(
        /p\/prep: image 'registry\.dfp\.internal\/test\/prep:1\.0\.0' /.source +
          /has no digest, but environment 'strict' requires /.source +
          /one/.source,
      ),
    );
    expect(() => buildModel(app('digest'))).not.toThrow(/p\/train:/);
  });
});
