/**
 * A real lakeFS (tests/support/lakefs.ts) holding synthetic KronoDroid landing files on
 * `main`, and the Kronodroid data programs run against it in their images' uv-locked venvs,
 * configured from what dfp rendered into dist/: the dlt load, dfp_tools.lakefs_commit_merge,
 * the DataFusion job and the Spark job (spark-submit local[2]). Shared by
 * tests/kronodroid-data.test.ts and tests/kronodroid-datafusion-branches.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { startLakeFs, type LakeFsServer } from './lakefs.ts';
import { ROOT } from './process.ts';

export const IMAGES = join(ROOT, 'images');
export const REPO = 'kronodroid';
const IVY = join(process.env.DFP_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'dfp'), 'ivy');

/** How a program ended, and how long it took. */
export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `python args…` in an image's venv, with the checkout's dfp_tools first on the path. */
export function runPy(
  image: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
  timeoutMs = 900_000,
): Ran {
  const started = Date.now();
  const r = spawnSync(join(IMAGES, image, '.venv', 'bin', 'python'), args, {
    cwd: cwd ?? ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    // The checkout's dfp_tools first: the code under test, not the copy uv installed.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      TZ: 'UTC',
      PYTHONPATH: join(IMAGES, 'dfp_tools'),
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (Date.now() - started) / 1000 };
}

/** The JSON object a program printed as its last line. */
export const json = (r: Ran) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '');

export interface LandingOptions {
  /** Synthetic samples (dfp_tools.kronodroid_synthetic --samples). */
  readonly samples: number;
  readonly seed: number;
  /** Malformed rows added to the CSV exports (--bad-rows). @default none */
  readonly badRows?: number;
  /** Prefix of the temporary work folder. */
  readonly workPrefix: string;
}

export class KronodroidLake {
  /**
   * Starts lakeFS, creates the repository and commits the synthetic CSV exports to
   * `main/landing/kronodroid/` (also left in `<work>/landing/`).
   */
  public static async start(options: LandingOptions): Promise<KronodroidLake> {
    const lakefs = await startLakeFs();
    const work = mkdtempSync(join(tmpdir(), options.workPrefix));
    await lakefs.client.createRepository(REPO, `local://${REPO}`);
    const gen = runPy('lakefs-tools', [
      '-m',
      'dfp_tools.kronodroid_synthetic',
      '--out',
      join(work, 'landing'),
      '--samples',
      String(options.samples),
      '--seed',
      String(options.seed),
      ...(options.badRows !== undefined ? ['--bad-rows', String(options.badRows)] : []),
    ]);
    expect(gen.status, gen.stderr).toBe(0);
    for (const f of readdirSync(join(work, 'landing')))
      await lakefs.client.upload(REPO, 'main', `landing/kronodroid/${f}`, readFileSync(join(work, 'landing', f)));
    const landing = await lakefs.client.commit(REPO, 'main', 'synthetic KronoDroid landing files');
    const csvRows = Object.values(json(gen).files as Record<string, number>).reduce((a, b) => a + b, 0);
    return new KronodroidLake(lakefs, work, landing.id, csvRows);
  }

  /** The S3 gateway's key pair, as the programs read it. */
  public readonly creds: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };

  private constructor(
    public readonly lakefs: LakeFsServer,
    /** A temporary folder of this run (the landing files are in `landing/`). */
    public readonly work: string,
    /** The commit of `main` that added the landing files. */
    public readonly landingCommit: string,
    /** Rows of the CSV exports. */
    public readonly csvRows: number,
  ) {
    this.creds = {
      AWS_ACCESS_KEY_ID: lakefs.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: lakefs.credentials.secretAccessKey,
    };
  }

  public async stop(): Promise<void> {
    await this.lakefs.stop();
  }

  /** The rendered dlt config, mounted where the step mounts it, with this lakeFS as source and destination. */
  public dltLoad(branch: string, source = `s3://${REPO}/main/landing/kronodroid`): Ran {
    const project = mkdtempSync(join(this.work, 'dlt-'));
    mkdirSync(join(project, '.dlt'));
    writeFileSync(
      join(project, '.dlt', 'config.toml'),
      readFileSync(join(ROOT, 'dist', 'dev', 'dlt', 'kronodroid-features', 'dlt-load', 'config.toml')),
    );
    // The env the dlt-load step sets (dist/staging/argo/workflow-templates/kronodroid-features.yaml), with this
    // test's lakeFS.
    return runPy(
      'dlt-runner',
      [join(IMAGES, 'dlt-runner', 'run_load.py')],
      {
        DLT_PROJECT_DIR: project,
        DLT_DATA_DIR: join(project, 'data'),
        RUNTIME__DLTHUB_TELEMETRY: 'false',
        DESTINATION__FILESYSTEM__BUCKET_URL: `s3://${REPO}/${branch}/warehouse`,
        DESTINATION__FILESYSTEM__CREDENTIALS__AWS_ACCESS_KEY_ID: this.creds.AWS_ACCESS_KEY_ID,
        DESTINATION__FILESYSTEM__CREDENTIALS__AWS_SECRET_ACCESS_KEY: this.creds.AWS_SECRET_ACCESS_KEY,
        DFP__S3__ENDPOINT_URL: this.lakefs.endpoint,
        DFP__SOURCE__BUCKET_URL: source,
      },
      project,
    );
  }

  /** dfp_tools.lakefs_commit_merge into main with `args` (`--branch`, `--commit`); the commit id it wrote. */
  public commitMerge(args: string[], env: Record<string, string> = {}): Ran & { commitId?: string } {
    const out = join(mkdtempSync(join(this.work, 'cm-')), 'outputs', 'commit_id');
    const r = runPy(
      'lakefs-tools',
      ['-m', 'dfp_tools.lakefs_commit_merge', '--repository', REPO, '--into', 'main', ...args, '--commit-id-file', out],
      {
        LAKEFS_ENDPOINT: this.lakefs.endpoint,
        LAKEFS_ACCESS_KEY_ID: this.lakefs.credentials.accessKeyId,
        LAKEFS_SECRET_ACCESS_KEY: this.lakefs.credentials.secretAccessKey,
        ...env,
      },
    );
    return { ...r, commitId: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
  }

  /** The rendered DataFusion Job (staging), its command and env, against this lakeFS. */
  public dataFusion(runArgs: string[]): Ran {
    const job = parse(
      readFileSync(join(ROOT, 'dist', 'staging', 'datafusion', 'jobs', 'kronodroid-iceberg.yaml'), 'utf8'),
    );
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['python', '/opt/dfp/kronodroid_iceberg_job.py']);
    const env: Record<string, string> = {};
    for (const e of c.env as { name: string; value?: string; valueFrom?: unknown }[]) {
      if (e.value !== undefined) env[e.name] = e.value;
      else env[e.name] = this.creds[e.name as keyof KronodroidLake['creds']];
    }
    env.AWS_ENDPOINT_URL = this.lakefs.endpoint;
    return runPy(
      'kronodroid-datafusion',
      [join(IMAGES, 'kronodroid-datafusion', 'kronodroid_iceberg_job.py'), ...c.args, ...runArgs],
      env,
    );
  }

  /**
   * spark-submit with the rendered SparkApplication's (dev) sparkConf, hadoopConf and the
   * packages it names, master local[2].
   */
  public sparkSubmit(program: string, args: string[], warehouseOverride?: string): Ran {
    const app = parse(
      readFileSync(join(ROOT, 'dist', 'dev', 'spark', 'applications', 'kronodroid-iceberg.yaml'), 'utf8'),
    );
    const spec = app.spec;
    const venv = join(IMAGES, 'kronodroid-spark', '.venv');
    const conf: Record<string, string> = {
      ...spec.sparkConf,
      'spark.jars.ivy': IVY,
      'spark.ui.enabled': 'false',
      'spark.sql.shuffle.partitions': '2',
      'spark.driver.memory': '1g',
    };
    for (const [k, v] of Object.entries(spec.hadoopConf as Record<string, string>))
      conf[`spark.hadoop.${k}`] = k === 'fs.s3a.endpoint' ? this.lakefs.endpoint : v;
    if (warehouseOverride) conf['spark.sql.catalog.lakefs.warehouse'] = warehouseOverride;
    const started = Date.now();
    const r = spawnSync(
      join(venv, 'bin', 'spark-submit'),
      [
        '--master',
        'local[2]',
        // The venv has no /opt/dfp/jars: the packages the image holds there, from Maven.
        '--packages',
        app.metadata.annotations['dfp.dev/spark-packages'],
        ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
        program,
        ...args,
      ],
      {
        // Spark's INFO log is megabytes.
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 1_200_000,
        maxBuffer: 512 * 1024 * 1024,
        env: {
          PATH: `${join(venv, 'bin')}:${process.env.PATH}`,
          HOME: process.env.HOME ?? '/root',
          TZ: 'UTC',
          SPARK_HOME: join(venv, 'lib', 'python3.11', 'site-packages', 'pyspark'),
          PYSPARK_PYTHON: join(venv, 'bin', 'python'),
          PYTHONPATH: join(IMAGES, 'dfp_tools'),
          ...this.creds,
        },
      },
    );
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (Date.now() - started) / 1000 };
  }

  /** The rendered SparkApplication's (dev) program and arguments, then `runArgs`, through {@link sparkSubmit}. */
  public sparkJob(runArgs: string[]): Ran {
    const app = parse(
      readFileSync(join(ROOT, 'dist', 'dev', 'spark', 'applications', 'kronodroid-iceberg.yaml'), 'utf8'),
    );
    expect(app.spec.mainApplicationFile).toBe('local:///opt/dfp/kronodroid_iceberg_job.py');
    return this.sparkSubmit(join(IMAGES, 'kronodroid-spark', 'kronodroid_iceberg_job.py'), [
      ...app.spec.arguments,
      ...runArgs,
    ]);
  }
}
