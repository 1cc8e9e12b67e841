/**
 * Chronon, the alternative feature store, checked by its real package: the harness's
 * uv-locked chronon-ai 0.0.115 (tests/conformance/chronon) imports every rendered repo in
 * dist/ and the `features` golden repo with Chronon's own loader, validates each GroupBy
 * with its repo validator and compiles each Join with its `compile.py` into thrift JSON,
 * which is read back and compared with the model. Controls: copies with a wrong operation,
 * a derivation of a column the GroupBy does not output and a teams.json without the team
 * must fail. The sync hook's script runs on the ConfigMap's files as the Job mounts them
 * (all but the metadata upload, which needs the online store). What Chronon cannot express
 * is refused at the construct path.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Entity, Environment, FeatureService, FeatureView, IcebergTable } from '../constructs/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { definitionsDigest } from '../constructs/model/definitions-digest.ts';
import { imageTagAndDigest } from '../constructs/model/names.ts';
import type { DataPlane } from '../constructs/model/schema.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { aggregatedColumn } from '../targets/chronon/definitions.ts';
import { APPLY_PATHS, configMapKey, syncObjects } from '../targets/chronon/sync.ts';
import { TARGETS } from '../targets/index.ts';
import { featuresApp } from './fixtures/features.ts';
import { tableProps } from './fixtures/transforms.ts';
import { envProps, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

type Json = Record<string, any>;
const HARNESS = join(ROOT, 'tests', 'conformance', 'chronon');
const VENV_BIN = join(HARNESS, '.venv', 'bin');
const DIST = join(ROOT, 'dist');
const tree = readTree(DIST);
const GOLDEN = join(ROOT, 'tests', 'golden', 'features', 'features-chronon', 'chronon', 'dfp_features_chronon');
// A repo is a folder with a teams.json (chronon/sync/ holds the apply hook, not a repo).
const repos = [...tree.keys()]
  .filter((p) => p.split('/')[1] === 'chronon' && p.endsWith('/teams.json'))
  .map((p) => p.replace(/\/teams\.json$/, ''))
  .sort();

interface Compiled {
  groupBys: Record<
    string,
    { keys: string[]; columns: string[]; table: string; timeColumn: string; online: boolean; accuracy: number }
  >;
  joins: Record<
    string,
    { keys: string[]; parts: string[]; outputColumns: string[]; team: string; outputNamespace: string }
  >;
}

/** compile_check.py on a copy of `repo` (Chronon writes its production/ folder into the repo). */
function compile(
  repo: string,
  mutate?: (dir: string) => void,
): { status: number | null; result?: Compiled; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-chronon-'));
  cpSync(repo, dir, { recursive: true });
  mutate?.(dir);
  const r = run(join(VENV_BIN, 'python'), [join(HARNESS, 'compile_check.py'), dir], {
    timeoutMs: 300_000,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('DFP-CHRONON '));
  return {
    status: r.status,
    output: `${r.stdout}\n${r.stderr}`,
    ...(line ? { result: JSON.parse(line.slice('DFP-CHRONON '.length)) as Compiled } : {}),
  };
}

/** What the model says the compiled repo must hold. */
function expected(data: DataPlane, namespace: string): Compiled {
  const keysOf = (view: string) =>
    data.featureViews
      .find((v) => v.name === view)!
      .entities.map((e) => data.entities.find((x) => x.name === e)!.joinKey);
  const groupBys: Compiled['groupBys'] = {};
  for (const v of data.featureViews) {
    const t = data.tables.find((x) => x.name === v.source)!;
    groupBys[`dfp.${v.name}.v1`] = {
      keys: keysOf(v.name),
      columns: [...v.features.map((f) => aggregatedColumn(v, f.name)), ...keysOf(v.name)],
      table: `${t.catalog}.${t.name}`,
      timeColumn: `unix_millis(\`${t.timestampField}\`)`,
      online: v.online,
      accuracy: 0, // TEMPORAL: Feast's point-in-time lookup
    };
  }
  const joins: Compiled['joins'] = {};
  for (const s of data.featureServices) {
    joins[`dfp.${s.name}.v1`] = {
      keys: [...new Set(s.features.flatMap((f) => keysOf(f.view)))].sort(),
      parts: s.features.map((f) => `dfp.${f.view}.v1`),
      outputColumns: s.features.flatMap((f) =>
        (f.features.length
          ? f.features
          : data.featureViews.find((v) => v.name === f.view)!.features.map((x) => x.name)
        ).map((x) => `${f.view}__${x}`),
      ),
      team: 'dfp',
      outputNamespace: namespace,
    };
  }
  return { groupBys, joins };
}

describe('Chronon: the real package loads and compiles every rendered repo', () => {
  it('finds a repo for every environment on Chronon', () => {
    const model = buildModel(buildApp());
    expect(repos).toEqual(
      model.environments.filter((e) => e.featureStore === 'chronon').map((e) => `${e.name}/chronon/dfp_${e.name}`),
    );
    expect(repos).toEqual(['staging/chronon/dfp_staging']);
  });

  const platform = buildModel(buildApp()).data;
  const goldenApp = testApp(false);
  featuresApp(goldenApp);
  const golden = buildModel(goldenApp).data;
  const cases: [string, string, DataPlane, string][] = [
    ...repos.map((r): [string, string, DataPlane, string] => [
      r,
      join(DIST, r),
      platform,
      `chronon_${r.split('/')[0]}`,
    ]),
    ['the features golden repo', GOLDEN, golden, 'chronon_features_chronon'],
  ];
  for (const [name, dir, data, namespace] of cases) {
    it(`${name}: every GroupBy and Join compiles, as the model says`, () => {
      const r = compile(dir);
      expect(r.status, r.output).toBe(0);
      expect(r.result).toEqual(expected(data, namespace));
    }, 300_000);

    it(`${name}: definitions.sha256 is the store-neutral digest Feast's repo and the lineage carry`, () => {
      expect(readFileSync(join(dir, 'definitions.sha256'), 'utf8')).toBe(`${definitionsDigest(data)}\n`);
    });
  }

  it('the Feast repo of the same definitions has the same digest', () => {
    expect(tree.get('dev/feast/dfp_dev/definitions.sha256')).toBe(
      tree.get('staging/chronon/dfp_staging/definitions.sha256'),
    );
  });

  const repo = join(DIST, repos[0]!);
  const control = (mutate: (dir: string) => void, message: RegExp) => {
    const r = compile(repo, mutate);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(message);
  };
  const edit = (file: string, from: string, to: string) => (dir: string) => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(from);
    writeFileSync(path, text.replace(from, to));
  };
  it('control: an operation Chronon does not have fails', () => {
    control(
      edit('group_bys/dfp/kronodroid_autoencoder_features.py', 'Operation.LAST', 'Operation.LATEST'),
      /type object 'Operation' has no attribute 'LATEST'/,
    );
  }, 300_000);
  it("control: a served feature the GroupBy does not output fails Chronon's derivation check", () => {
    control(
      edit('joins/dfp/kronodroid_autoencoder.py', 'v1_api_level_last_3650d', 'v1_api_levl_last_3650d'),
      new RegExp(
        /Incorrect derivation expression /.source +
          /dfp_kronodroid_autoencoder_features_v1_api_levl_last_3650d, expression not found/.source,
      ),
    );
  }, 300_000);
  it('control: a teams.json without the team fails', () => {
    control(
      (dir) =>
        writeFileSync(join(dir, 'teams.json'), JSON.stringify({ default: { namespace: 'x', table_properties: {} } })),
      /team dfp does not exist/,
    );
  }, 300_000);
});

describe('Chronon: the sync hook compiles the reviewed files on every Argo CD sync', () => {
  const hooks = [...tree].filter(([p]) => /^[^/]+\/chronon\/sync\/chronon-apply\.yaml$/.test(p));
  it('every environment on Chronon has the hook', () => {
    expect(hooks.map(([p]) => p)).toEqual(['staging/chronon/sync/chronon-apply.yaml']);
  });

  for (const [path, content] of hooks) {
    const env = path.split('/')[0]!;
    const repoDir = repos.find((r) => r.startsWith(`${env}/`))!;
    const [configMap, job] = parseAllDocuments(content).map((d) => d.toJS() as Json);

    it(`${env}: the ConfigMap holds the repo's files byte for byte, one key per file`, () => {
      const files = [...tree]
        .filter(([p]) => p.startsWith(`${repoDir}/`))
        .map(([p, c]) => [configMapKey(p.slice(repoDir.length + 1)), c]);
      expect(Object.entries(configMap!.data).sort()).toEqual(files.sort());
      expect(configMap!.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    });

    it(`${env}: the Job is a restricted Sync hook with a pinned image that mounts that ConfigMap`, () => {
      expect(job!.metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
      expect(job!.metadata.annotations['dfp.dev/definitions-sha256']).toBe(
        tree.get(`${repoDir}/definitions.sha256`)!.trim(),
      );
      const pod = job!.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.volumes).toContainEqual({ name: 'repo', configMap: { name: configMap!.metadata.name } });
      const [container] = pod.containers;
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      const { tag } = imageTagAndDigest(container.image);
      expect(tag).toBe('0.0.115'); // the harness's chronon-ai
      expect(readFileSync(join(HARNESS, 'pyproject.toml'), 'utf8')).toContain(`"chronon-ai==${tag}"`);
    });

    it(`${env}: the Job's script, run on the ConfigMap's files, compiles every Join with the real compile.py`, () => {
      const scratch = mkdtempSync(join(tmpdir(), 'dfp-chronon-sync-'));
      const [mount, work] = [join(scratch, 'mount'), join(scratch, 'work')];
      mkdirSync(mount);
      mkdirSync(work);
      for (const [key, text] of Object.entries(configMap!.data as Record<string, string>))
        writeFileSync(join(mount, key), text);
      const script = (job!.spec.template.spec.containers[0].command as string[])[2]!;
      // The metadata upload is there only for a Join served online (it needs the online
      // store's jar); everything before it runs as in the pod.
      const lines = script.split('\n');
      const online = [...tree].some(([p, c]) => p.startsWith(`${repoDir}/joins/`) && /^ {4}online=True,$/m.test(c));
      expect(lines.filter((l) => l.includes('run.py --mode metadata-upload'))).toHaveLength(online ? 1 : 0);
      const local = lines
        .filter((l) => !l.includes('run.py'))
        .join('\n')
        .replaceAll(APPLY_PATHS.repoMount, mount)
        .replaceAll(APPLY_PATHS.workDir, work);
      const r = spawnSync('/bin/sh', ['-c', local], {
        encoding: 'utf8',
        env: { PATH: `${VENV_BIN}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 300_000,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      for (const s of buildModel(buildApp()).data.featureServices)
        expect(existsSync(join(work, 'production', 'joins', 'dfp', `${s.name}.v1`)), s.name).toBe(true);
      expect(readFileSync(join(work, 'group_bys', 'dfp', 'kronodroid_autoencoder_features.py'), 'utf8')).toBe(
        tree.get(`${repoDir}/group_bys/dfp/kronodroid_autoencoder_features.py`),
      );
    }, 300_000);
  }
});

describe('Chronon: what it cannot express is refused at the construct path', () => {
  function chrononApp() {
    const app = testApp(false);
    new Environment(app, 'alt', envProps({ featureStore: 'chronon' }));
    const orders = new IcebergTable(
      app,
      'orders',
      tableProps({ customer_id: 'string', amount: 'float64', ts: 'int64' }),
    );
    const customer = new Entity(app, 'customer', { joinKey: 'customer_id' });
    return { app, orders, customer };
  }
  const renderError = (app: ReturnType<typeof testApp>) => {
    try {
      renderAll(buildModel(app), TARGETS);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('rendered without an error');
  };

  it('a TTL that is not a whole number of hours', () => {
    const { app, orders, customer } = chrononApp();
    new FeatureView(app, 'spend', {
      source: orders,
      entities: [customer],
      features: ['amount'],
      ttl: Duration.minutes(90),
    });
    expect(renderError(app)).toMatch(
      new RegExp(
        /spend: cannot render for chronon in environment 'alt': /.source +
          /ttl of 5400 s is not a whole number of hours, and Chronon /.source +
          /windows are in hours or days; use Duration\.hours/.source,
      ),
    );
  });
  it('a column Chronon reserves', () => {
    const { app, orders, customer } = chrononApp();
    new FeatureView(app, 'spend', { source: orders, entities: [customer], features: ['ts'] });
    expect(renderError(app)).toMatch(
      new RegExp(
        /spend: cannot render for chronon in environment /.source +
          /'alt': column 'ts' is reserved by Chronon .*rename /.source +
          /it in the table, e\.g\. 'ts_value'/.source,
      ),
    );
  });
  it("a service whose views have keys the first view's table lacks", () => {
    const { app, orders, customer } = chrononApp();
    const visits = new IcebergTable(app, 'visits', tableProps({ visitor_id: 'string', pages: 'int32' }));
    const spend = new FeatureView(app, 'spend', { source: orders, entities: [customer], features: ['amount'] });
    const pages = new FeatureView(app, 'pages', {
      source: visits,
      entities: [new Entity(app, 'visitor', { joinKey: 'visitor_id' })],
      features: ['pages'],
    });
    new FeatureService(app, 'both', { features: [spend, pages] });
    expect(renderError(app)).toMatch(
      new RegExp(
        /both: cannot render for chronon in environment 'alt': /.source +
          /Chronon joins a service's views onto one table, shop\.orders .* /.source +
          /has no column 'visitor_id'/.source,
      ),
    );
  });
  it("the same definitions render for Feast, so the refusal is Chronon's alone", () => {
    const { app, orders, customer } = chrononApp();
    new Environment(app, 'feast', envProps({ featureStore: 'feast' }));
    new FeatureView(app, 'spend', {
      source: orders,
      entities: [customer],
      features: ['amount'],
      ttl: Duration.minutes(90),
    });
    expect(renderError(app)).not.toMatch(/for feast/);
  });
  it('an environment that demands digests refuses the tag-pinned Chronon image, at its path', () => {
    const app = testApp(false);
    new Environment(app, 'strict', envProps({ imageTagPolicy: 'digest', featureStore: 'chronon' }));
    const table = new IcebergTable(app, 'orders', tableProps({ customer_id: 'string', amount: 'float64' }));
    new FeatureView(app, 'order_stats', {
      source: table,
      entities: [new Entity(app, 'customer', { joinKey: 'customer_id' })],
      features: ['amount'],
    });
    expect(renderError(app)).toMatch(
      new RegExp(
        /strict: cannot render for chronon in environment 'strict': /.source +
          /the Chronon sync Job's image 'registry.dfp.internal\/dfp\/chronon:0.0.115' /.source +
          /has no digest/.source,
      ),
    );
  });
});

describe('Chronon: the sync hook uploads metadata only for a Join served online', () => {
  // Only the online fetcher reads a Join's uploaded metadata, and the upload needs Java and
  // Chronon's driver jar; an offline repo's hook compiles and validates, nothing more.
  const env = buildModel(buildApp()).environments.find((e) => e.name === 'staging')!;
  const script = (upload: boolean) => {
    const [, job] = syncObjects('dfp_x', [], 'd', env, 'registry.dfp.internal/dfp/chronon:0.0.115', upload) as any[];
    return job.spec.template.spec.containers[0].command[2] as string;
  };
  it('online: compiles, then uploads each compiled Join', () => {
    expect(script(true)).toMatch(/compile\.py[^\n]*\n[^\n]*run\.py --mode metadata-upload/);
  });
  it('offline: compiles, uploads nothing', () => {
    expect(script(false)).toContain('compile.py');
    expect(script(false)).not.toContain('run.py');
  });
});
