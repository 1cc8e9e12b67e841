/**
 * The parts of `dfp trace` that need no server: reading lineage tags back (each wrong
 * tag named), finding the commit that first rendered a definitions digest in a real git
 * history, and the verb's help and usage errors.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumMatches } from '../trace/fetch.ts';
import { firstCommitAdding, renderedFilesHolding } from '../trace/local.ts';
import { LineageTagError, featureStamps, readLineage } from '../trace/tags.ts';
import { runTsx } from './support/process.ts';

const tags = {
  'data.lakefs_repository': 'kronodroid',
  'data.lakefs_ref': 'a'.repeat(64),
  'data.source_table': 'fct_training_dataset',
  'data.iceberg_table_location': 'warehouse/kronodroid/fct_training_dataset',
  'dfp.pipeline': 'kronodroid-autoencoder',
  'dfp.environment': 'dev',
  'dfp.definitions_sha256': 'b'.repeat(64),
  'dfp.weights/model/weights.bin': 'c'.repeat(64),
  'mlflow.user': 'someone',
};

describe('trace: lineage tags read back', () => {
  it('a whole lineage, with its weights', () => {
    const l = readLineage('r1', tags);
    expect(l.tags['data.lakefs_ref']).toBe('a'.repeat(64));
    expect(l.weights).toEqual({ 'model/weights.bin': 'c'.repeat(64) });
  });
  it.each([
    [{ 'mlflow.user': 'x' }, /run 'r1' has no lineage tags .*not recorded with dfp_tools\.lineage/],
    [
      { ...tags, 'dfp.environment': undefined },
      /run 'r1' lacks the lineage tag dfp\.environment; its lineage was not recorded whole/,
    ],
    [{ ...tags, 'data.lakefs_ref': 'main' }, /tag data\.lakefs_ref = 'main', which is not a 64-hex digest/],
    [
      { ...tags, 'data.iceberg_table_location': '../etc' },
      /tag data\.iceberg_table_location = '\.\.\/etc', which is not a relative path/,
    ],
    [
      { ...tags, 'dfp.weights/../../x': 'c'.repeat(64) },
      /tag dfp\.weights\/\.\.\/\.\.\/x = '.*', which is not a weight path and its sha256/,
    ],
    [{ ...tags, 'features.defs_sha256': 'abc' }, /tag features\.defs_sha256 = 'abc', which is not a 64-hex digest/],
    [
      { ...tags, 'features.defs_sha256': 'e'.repeat(64), 'feast.defs_sha256': 'f'.repeat(64) },
      new RegExp(
        /tag features\.defs_sha256 = 'e{64}' but feast\.defs_sha256 = /.source +
          /'f{64}'; the Feast name of a stamp holds /.source +
          /the same value/.source,
      ),
    ],
    [
      { ...tags, 'features.feature_view': 'a', 'feast.feature_view': 'b' },
      /tag features\.feature_view = 'a' but feast\.feature_view = 'b'/,
    ],
  ])('refused: %#', (t, message) => {
    const defined = Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Record<string, string>;
    expect(() => readLineage('r1', defined)).toThrow(LineageTagError);
    expect(() => readLineage('r1', defined)).toThrow(message);
  });
});

describe('trace: the feature-store stamps, whatever the store', () => {
  const view = 'kronodroid_autoencoder_features';
  it('reads the store-neutral tags (features.*) that every environment records', () => {
    const l = readLineage('r1', { ...tags, 'features.feature_view': view, 'features.defs_sha256': 'e'.repeat(64) });
    expect(featureStamps(l.tags)).toEqual({ view, defs: 'e'.repeat(64) });
  });
  it('falls back to the Feast names for a run recorded before the neutral ones existed', () => {
    const l = readLineage('r1', { ...tags, 'feast.feature_view': view, 'feast.defs_sha256': 'f'.repeat(64) });
    expect(featureStamps(l.tags)).toEqual({ view, defs: 'f'.repeat(64) });
  });
  it('has none for a run that read no feature view', () => {
    expect(featureStamps(readLineage('r1', tags).tags)).toEqual({});
  });
});

describe('trace: the commit that rendered a digest', () => {
  it('is the oldest commit whose dist/ change added it, in a real git history', () => {
    const repo = mkdtempSync(join(tmpdir(), 'dfp-trace-git-'));
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    git('init', '-q');
    mkdirSync(join(repo, 'dist', 'dev'), { recursive: true });
    const digest = 'd'.repeat(64);
    writeFileSync(join(repo, 'dist', 'dev', 'p.yaml'), 'value: old\n');
    git('add', '.');
    git('commit', '-qm', 'one');
    writeFileSync(join(repo, 'dist', 'dev', 'p.yaml'), `value: ${digest}\n`);
    git('commit', '-qam', 'two: renders the digest');
    const two = git('rev-parse', 'HEAD');
    writeFileSync(join(repo, 'README'), `${digest}\n`);
    git('add', '.');
    git('commit', '-qm', 'three: outside dist/');
    expect(firstCommitAdding(repo, 'dist', digest)).toBe(two);
    expect(firstCommitAdding(repo, 'dist', 'e'.repeat(64))).toBeUndefined();
    expect(renderedFilesHolding(repo, 'dist', digest)).toEqual(['dist/dev/p.yaml']);
    expect(firstCommitAdding(join(repo, 'dist'), 'nowhere', digest)).toBeUndefined();
  });
});

describe('trace: the verb', () => {
  it('--help documents it; a usage mistake exits 2 with one line and the usage', () => {
    const help = runTsx('dfp.ts', { args: ['trace', '--help'] });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: dfp trace <run-id> \| models:\/<name>\/<version>/);
    for (const flag of [
      '--json',
      '--fetch DIR',
      '--mlflow URL',
      '--lakefs URL',
      'MLFLOW_TRACKING_TOKEN',
      'LAKEFS_ACCESS_KEY_ID',
    ])
      expect(help.stdout).toContain(flag);
    const bad = runTsx('dfp.ts', {
      args: ['trace', 'models:/only-a-name'],
      env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:1' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(
      "dfp trace: 'models:/only-a-name' is not a model version; write models:/<name>/<version>, e.g. " +
        'models:/kronodroid-autoencoder/1',
    );
    const none = runTsx('dfp.ts', { args: ['trace', 'r1'], env: { MLFLOW_TRACKING_URI: '', LAKEFS_ENDPOINT: '' } });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(
      /^dfp trace: trace needs the MLflow tracking server: set MLFLOW_TRACKING_URI or pass --mlflow\n/,
    );
  });
});

describe("dfp trace --fetch checks lakeFS's checksum as the object store made it", () => {
  const bytes = Buffer.from('an Iceberg data file');
  const md5 = createHash('md5').update(bytes).digest();
  it('a single upload: the MD5 of the bytes', () => {
    expect(checksumMatches(bytes, md5.toString('hex'))).toBe(true);
  });
  it("a one-part multipart upload (pyarrow's writer), stored by lakeFS without its '-1': the MD5 of the MD5", () => {
    expect(checksumMatches(bytes, createHash('md5').update(md5).digest('hex'))).toBe(true);
  });
  it('other bytes match neither, and are refused', () => {
    expect(checksumMatches(Buffer.from('another file'), md5.toString('hex'))).toBe(false);
    expect(checksumMatches(Buffer.from('another file'), createHash('md5').update(md5).digest('hex'))).toBe(false);
  });
  it("a many-part ETag ('<md5>-<parts>') cannot be recomputed without the part size: left to the size check", () => {
    expect(checksumMatches(bytes, `${md5.toString('hex')}-3`)).toBe(true);
  });
});
