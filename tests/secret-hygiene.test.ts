/**
 * Secrets only by reference: nothing in dist/ (or in the goldens rendered from the test
 * fixtures) looks like a credential, and none of the credentials the tests themselves use
 * appears there. Planted controls prove the scanner catches each kind; the rules refuse
 * inline secret values at the construct path before anything is rendered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerStep, Pipeline } from '../constructs/index.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { BAD_INPUTS } from './fixtures/bad-inputs.ts';
import { IMAGE, modelOrError, testApp } from './support/fixtures.ts';
import { ROOT } from './support/process.ts';
import { scanText, scanTree, testCredentials, type SecretKind } from './support/secret-scan.ts';

const CREDENTIALS = testCredentials([join(ROOT, 'tests'), join(ROOT, 'scripts')]);

describe('secret hygiene of the rendered files', () => {
  it("the suite's own test credentials are collected (the list the scan looks for is not empty)", () => {
    // Used by the bad-input catalogue and the rule tests; lakeFS/MinIO keys added later are picked up too.
    for (const c of ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'minioadmin', 'hunter2'])
      expect(CREDENTIALS).toContain(c);
  });

  it("the lakeFS lock tests' literal credentials are collected too", () => {
    // tests/lakefs-lock.test.ts signs in with a wrong secret on purpose. The lakeFS test
    // server's own keys are made per run by its setup call (tests/support/lakefs.ts): they
    // are in no file, so they are found by kind (an AKIA… key id, a 40-character secret).
    expect(CREDENTIALS).toContain('not-the-secret');
  });

  for (const dir of ['dist', 'tests/golden']) {
    it(`${dir}/: no key ids, private keys, JWTs, inline credentials, high-entropy tokens or test credentials`, () => {
      const { files, findings } = scanTree(join(ROOT, dir), ROOT, CREDENTIALS);
      console.log(
        `secret scan: ${dir}/: ${files} files, ${CREDENTIALS.length} test credentials looked for, ` +
          `${findings.length} findings`,
      );
      expect(files).toBeGreaterThan(5);
      expect(findings).toEqual([]);
    });
  }
});

describe('secret hygiene of the data-plane outputs, each scanned on its own', () => {
  // Transforms carry the lakeFS S3 gateway keys and the Feast sync hook the MinIO ones: by reference only.
  // staging runs its transform on DataFusion, its pipelines on Argo and its features on Chronon.
  const DATA_DIRS = [
    'dist/dev/spark',
    'dist/prod/spark',
    'dist/dev/feast/sync',
    'dist/prod/feast/sync',
    'dist/dev/datahub',
    'dist/prod/datahub',
    'dist/staging/datahub',
    'dist/staging/datafusion',
    'dist/staging/argo',
    'dist/staging/chronon',
    'tests/golden/features/features-chronon/chronon',
    'tests/golden/transforms/on-spark/spark',
    'tests/golden/transforms/on-datafusion/datafusion',
    'tests/golden/transforms',
  ];
  for (const dir of DATA_DIRS) {
    it(`${dir}/: present, and no findings`, () => {
      const { files, findings } = scanTree(join(ROOT, dir), ROOT, CREDENTIALS);
      console.log(`secret scan: ${dir}/: ${files} files, ${findings.length} findings`);
      expect(files).toBeGreaterThan(0);
      expect(findings).toEqual([]);
    });
  }
});

describe('secret scanner controls: each kind planted in a real rendered file is found', () => {
  const argo = readFileSync(join(ROOT, 'dist/dev/android/kronodroid-runtime-benchmark.yaml'), 'utf8');
  const dag = readFileSync(join(ROOT, 'dist/prod/airflow/dags/iris.py'), 'utf8');
  const store = readFileSync(join(ROOT, 'dist/prod/feast/dfp_prod/feature_store.yaml'), 'utf8');
  const planted: readonly (readonly [SecretKind, string, string])[] = [
    ['aws-key-id', 'a.yaml', argo.replace('key: secretkey', 'key: AKIAZZZZZZZZZZZZZZZZ')],
    ['private-key', 'a.yaml', `${argo}# -----BEGIN RSA PRIVATE KEY-----\n`],
    [
      'jwt',
      'a.py',
      dag.replace('"minio-credentials"', '"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZnAifQ.c2lnbmF0dXJlLXZhbHVl"'),
    ],
    [
      'inline-credential',
      'a.yaml',
      argo.replace(/valueFrom:\n\s+secretKeyRef:\n\s+name: [\w-]+\n\s+key: secretkey/, 'value: not-by-reference'),
    ],
    [
      'inline-credential',
      'a.py',
      dag.replace(
        /name="AWS_SECRET_ACCESS_KEY",\s*value_from=/,
        'name="AWS_SECRET_ACCESS_KEY", value="x", value_from=',
      ),
    ],
    [
      'inline-credential',
      'feature_store.yaml',
      store.replace('provider: local', 'provider: local\npassword: plain-text-pw'),
    ],
    [
      'inline-credential',
      'feature_store.yaml',
      store.replace('http://', 'http://admin:pw1234@').replace('https://', 'https://admin:pw1234@'),
    ],
    ['high-entropy', 'a.yaml', `${argo}# q8Zt3LmV9xR2pW7nK4sY6bH1cJ5dF0gA\n`],
    ['test-credential', 'a.yaml', argo.replace('ml-dev', 's3cret')],
  ];
  for (const [kind, file, text] of planted) {
    it(`${kind} in ${file}`, () => {
      expect(text, 'the plant must change the file').not.toBe(
        file.endsWith('.py') ? dag : file === 'feature_store.yaml' ? store : argo,
      );
      const kinds = scanText(file, text, CREDENTIALS).map((f) => f.kind);
      expect(kinds).toContain(kind);
      // The same file without the plant is clean: the finding is the plant's.
      expect(
        scanText(file, file.endsWith('.py') ? dag : file === 'feature_store.yaml' ? store : argo, CREDENTIALS),
      ).toEqual([]);
    });
  }

  // The same on a SparkApplication, a DataFusion Job and the Feast sync hook.
  const spark = readFileSync(join(ROOT, 'dist/dev/spark/applications/kronodroid-iceberg.yaml'), 'utf8');
  const job = readFileSync(
    join(ROOT, 'tests/golden/transforms/on-datafusion/datafusion/jobs/join-orders.yaml'),
    'utf8',
  );
  const sync = readFileSync(join(ROOT, 'dist/dev/feast/sync/feast-apply.yaml'), 'utf8');
  const recipe = readFileSync(join(ROOT, 'dist/dev/datahub/recipe.yml'), 'utf8');
  const ingest = readFileSync(join(ROOT, 'dist/dev/datahub/sync/datahub-ingest.yaml'), 'utf8');
  const dataPlanted: readonly (readonly [SecretKind, string, string, string])[] = [
    [
      'inline-credential',
      'spark.yaml',
      spark,
      spark.replace(
        /valueFrom:\n\s+secretKeyRef:\n\s+name: lakefs-credentials\n\s+key: secret_access_key/,
        'value: not-by-reference',
      ),
    ],
    ['test-credential', 'spark.yaml', spark, spark.replace('name: lakefs-credentials', 'name: not-the-secret')],
    ['aws-key-id', 'job.yaml', job, job.replace('key: access_key_id', 'key: AKIAZZZZZZZZZZZZZZZZ')],
    [
      'inline-credential',
      'job.yaml',
      job,
      job.replace(
        /valueFrom:\n\s+secretKeyRef:\n\s+name: lakefs-credentials\n\s+key: access_key_id/,
        'value: not-by-reference',
      ),
    ],
    [
      'inline-credential',
      'sync.yaml',
      sync,
      sync.replace(/valueFrom:\n\s+secretKeyRef:\n\s+name: [\w-]+\n\s+key: secretkey/, 'value: not-by-reference'),
    ],
    // The DataHub recipe names its token as `${DATAHUB_GMS_TOKEN}`: a token written in instead is found, in the file
    // and in the ConfigMap.
    ['inline-credential', 'recipe.yml', recipe, recipe.replace('${DATAHUB_GMS_TOKEN}', 'not-by-reference')],
    [
      'jwt',
      'recipe.yml',
      recipe,
      recipe.replace('${DATAHUB_GMS_TOKEN}', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZnAifQ.c2lnbmF0dXJlLXZhbHVl'),
    ],
    ['inline-credential', 'datahub-ingest.yaml', ingest, ingest.replace('${DATAHUB_GMS_TOKEN}', 'not-by-reference')],
    [
      'inline-credential',
      'datahub-ingest.yaml',
      ingest,
      ingest.replace(/valueFrom:\n\s+secretKeyRef:\n\s+name: datahub-token\n\s+key: token/, 'value: not-by-reference'),
    ],
  ];
  for (const [kind, file, clean, text] of dataPlanted) {
    it(`${kind} in ${file}`, () => {
      expect(text, 'the plant must change the file').not.toBe(clean);
      expect(scanText(file, text, CREDENTIALS).map((f) => f.kind)).toContain(kind);
      expect(scanText(file, clean, CREDENTIALS)).toEqual([]);
    });
  }

  it('hex digests, commit ids and run ids (what dfp writes legitimately) are not findings', () => {
    const text =
      `sha: ${'ab12'.repeat(16)}\nrun: ` +
      '0123456789abcdef0123456789abcdef\nimage: r/x@sha256:' +
      `${'0f'.repeat(32)}\n`;
    expect(scanText('a.yaml', text, CREDENTIALS)).toEqual([]);
  });
});

describe('inline secret values are refused before anything is rendered', () => {
  for (const c of BAD_INPUTS.filter((x) => x.id.startsWith('inline-'))) {
    it(`${c.id}: reported at '${c.path}'`, () => {
      const app = testApp();
      c.add(app);
      const e = modelOrError(app);
      expect(e).toBeInstanceOf(DfpError);
      expect(
        (e as DfpError).problems.some((p) => p.path === c.path && c.says.test(p.message)),
        (e as DfpError).message,
      ).toBe(true);
    });
  }

  it('the same names by reference, and ordinary literals, are accepted (the rule does not over-block)', () => {
    const app = testApp();
    new ContainerStep(new Pipeline(app, 'p', { parameters: { token_ttl: { type: 'int' } } }), 's', {
      image: IMAGE,
      args: ['--password-file', '/var/run/secrets/db', '--endpoint', 'http://lakefs:8000'],
      // Names about a credential, not holding one; and an empty value, which leaks nothing.
      env: {
        MLFLOW_TRACKING_URI: 'http://mlflow:5000',
        TOKEN_URL: 'http://keycloak:8080/token',
        SECRET_NAME: 'db',
        API_TOKEN: '',
      },
      secretEnv: {
        AWS_SECRET_ACCESS_KEY: { secret: 'minio-credentials', key: 'secretkey' },
        DB_PASSWORD: { secret: 'db', key: 'password' },
      },
    });
    expect(modelOrError(app)).not.toBeInstanceOf(DfpError);
  });
});
