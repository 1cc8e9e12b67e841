/**
 * dbt: a {@link DbtProject} is a dbt project folder of this repository whose models read
 * Iceberg tables of the app as dbt sources; a {@link DbtStep} runs `dbt build` (or `run`,
 * `test`) on a selection of its models in a pipeline. The dbt target renders, per
 * environment, the project's profile (dbt-spark in session mode: a Spark session in the
 * step's pod with the Iceberg catalog on lakeFS, credentials from Secret references in the
 * pod's environment) and its sources YAML, generated from the IcebergTable definitions,
 * as two ConfigMaps the step mounts. So every orchestrator renders the step as an
 * ordinary container.
 */
import { resolve } from 'node:path';
import { Construct } from 'constructs';
import type { Duration } from 'cdk8s';
import type { IcebergTable } from './data.ts';
import { readDbtProject, type DbtProjectFiles } from './dbt-project-files.ts';
import type { Arg, Comparison } from './refs.ts';
import { ContainerStep } from './step.ts';
import type { RetryPolicy, SecretKeyRef } from './values.ts';
import { Resources, Volume } from './values.ts';
import { DBT_REF_ENV, dbtConfigMaps } from './model/analytics-names.ts';

export { DBT_REF_ENV, dbtConfigMaps };

/** Where the image holds the project (its dbt_project.yml). */
export const DBT_PROJECT_DIR = '/opt/dfp/dbt/project';
/** Where the step mounts the rendered profiles.yml. */
export const DBT_PROFILES_DIR = '/etc/dfp/dbt';
/** The folder of the project (a model path of dbt_project.yml) where the rendered sources YAML is mounted. */
export const DBT_SOURCES_FOLDER = 'dfp';
/** Props of {@link DbtProject}. */
export interface DbtProjectProps {
  /** The dbt project folder (with dbt_project.yml), absolute or relative to the working directory. */
  readonly dir: string;
  /**
   * The Iceberg tables the models read, as dbt sources: `source('<namespace>', '<table>')`.
   * Their columns and descriptions come from the table definitions (one schema).
   */
  readonly sources: readonly IcebergTable[];
  /**
   * The image that runs dbt: dbt-core and dbt-spark (session) with pyspark, and this
   * project at {@link DBT_PROJECT_DIR}. Pinned, as environments require.
   */
  readonly image: string;
  /** The schema (Iceberg namespace) dbt builds the models in. @default `dbt_<project name>` */
  readonly schema?: string;
  /** The lakeFS S3 gateway key pair the Spark session reads and writes with; only the references are rendered. */
  readonly credentials: {
    /** The access key id. */
    readonly accessKeyId: SecretKeyRef;
    /** The secret access key. */
    readonly secretAccessKey: SecretKeyRef;
  };
  /**
   * Extra Spark session properties (an escape hatch); dfp's catalog and S3A keys cannot be overridden, and no
   * credential goes here. @default none
   */
  readonly sessionConf?: Readonly<Record<string, string>>;
  /** What the project builds. @default none */
  readonly description?: string;
}

/**
 * A dbt project. Its construct id is the project's `name:` in dbt_project.yml. The folder
 * is read when the construct is created (model names, `ref()` and `source()` calls); what
 * is wrong with it is reported at this construct's path when the model is built.
 */
export class DbtProject extends Construct {
  /** What dfp read of the folder. */
  public readonly files: DbtProjectFiles;

  /**
   * @param scope the app or a data-plane module @param id the project's name @param props its folder, sources and image
   */
  constructor(
    scope: Construct,
    id: string,
    public readonly props: DbtProjectProps,
  ) {
    super(scope, id);
    this.files =
      typeof props.dir === 'string'
        ? readDbtProject(resolve(props.dir))
        : { ok: false, problem: 'dir is not a path; give the dbt project folder' };
  }

  /** The model names dfp found, sorted; none when the folder could not be read. */
  public get modelNames(): readonly string[] {
    return this.files.ok ? this.files.models.map((m) => m.name) : [];
  }
}

/** The dbt commands a step can run. */
export type DbtCommand = 'build' | 'run' | 'test';

/** Props of {@link DbtStep}. */
export interface DbtStepProps {
  /** The project to run. */
  readonly project: DbtProject;
  /** The dbt command. @default 'build' (models, then their tests) */
  readonly command?: DbtCommand;
  /**
   * The models to run, by name, with dbt's graph operators: `+name` adds its parents,
   * `name+` its children. Each must name a model of the project. @default every model
   */
  readonly select?: readonly string[];
  /** The lakeFS branch the session reads and writes through; a runtime value is allowed. @default the sources' ref */
  readonly branch?: Arg;
  /** Runs dbt again after a failure. @default no retries */
  readonly retry?: RetryPolicy;
  /** The step is stopped after this long. @default no limit */
  readonly timeout?: Duration;
  /** The step runs only when this holds at run time. @default always */
  readonly when?: Comparison;
  /** What the step does. @default the project's description */
  readonly description?: string;
}

/** Runs a dbt command on a selection of a project's models. Its construct id is the step's name. */
export class DbtStep extends ContainerStep {
  /** The project the step runs. */
  public readonly project: DbtProject;
  /** The command. */
  public readonly command: DbtCommand;
  /** The selection, as given. */
  public readonly select: readonly string[];
  /** The step's props, as given (the container props it passes on are dfp's). */
  public readonly dbtStepProps: DbtStepProps;

  /** @param scope a pipeline or group @param id the step's name @param props the project, command and selection */
  constructor(scope: Construct, id: string, props: DbtStepProps) {
    const project = props.project;
    const name = project instanceof DbtProject ? project.node.id : 'not-a-project';
    const maps = dbtConfigMaps(name);
    const command = props.command ?? 'build';
    const select = [...(props.select ?? [])];
    const ref = project instanceof DbtProject ? firstRef(project) : undefined;
    const description = props.description ?? (project instanceof DbtProject ? project.props.description : undefined);
    const creds = project instanceof DbtProject ? project.props.credentials : undefined;
    super(scope, id, {
      image: project instanceof DbtProject ? project.props.image : '',
      command: ['dbt', command],
      args: [
        '--project-dir',
        DBT_PROJECT_DIR,
        '--profiles-dir',
        DBT_PROFILES_DIR,
        // The project and profile folders are read-only mounts: dbt writes below /tmp.
        '--target-path',
        '/tmp/dbt/target',
        '--log-path',
        '/tmp/dbt/logs',
        ...(select.length ? ['--select', ...select] : []),
      ],
      env: {
        [DBT_REF_ENV]: props.branch ?? ref ?? '',
        DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      },
      ...(creds
        ? { secretEnv: { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey } }
        : {}),
      volumes: [
        Volume.configMap('dbt-profile', maps.profile, DBT_PROFILES_DIR),
        Volume.configMap('dbt-sources', maps.sources, `${DBT_PROJECT_DIR}/${DBT_SOURCES_FOLDER}`),
        Volume.emptyDir('tmp', '/tmp'),
      ],
      // A local Spark session runs in the pod: driver-sized (one core: a pipeline's steps and a
      // transform's launcher beside its Job must fit a two-core node, as the cluster of
      // `make e2e` is).
      resources: Resources.fixed('1', '4Gi'),
      ...(props.retry ? { retry: props.retry } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.when ? { when: props.when } : {}),
      ...(description ? { description } : {}),
    });
    this.project = project;
    this.command = command;
    this.select = select;
    this.dbtStepProps = props;
  }
}

/** The branch, tag or commit the project's first source is declared at. */
function firstRef(project: DbtProject): string | undefined {
  const t = project.props.sources?.[0];
  if (!t?.props?.ref) return undefined;
  const r = t.props.ref;
  return 'branch' in r ? r.branch : 'tag' in r ? r.tag : r.commit;
}
