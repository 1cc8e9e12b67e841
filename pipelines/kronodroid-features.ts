/**
 * Kronodroid data refresh: dlt ingests the raw CSV exports, Spark rebuilds the Iceberg training table (Avro data files)
 * on a lakeFS branch, dbt builds and tests its models on them, then the branch is committed and merged into main,
 * daily. Training (kronodroid-autoencoder) does not follow main: it reads the commit dfp.lock.json pins,
 * so new data reaches a model through a reviewed pull request that runs
 * `dfp lock --update kronodroid@main` and shows the new commit in the rendered diff.
 */
import type { Construct } from 'constructs';
import {
  ContainerStep,
  DbtStep,
  DltLoad,
  DltSource,
  Duration,
  Pipeline,
  Resources,
  Schedule,
  TransformStep,
  fmt,
  outputPath,
} from '../constructs/index.ts';
import { KRONODROID, LAKEFS_GATEWAY_CREDENTIALS, kronodroidData } from '../features/kronodroid.ts';
import { IMAGES, LAKEFS_CREDENTIALS } from './kronodroid-shared.ts';

export function kronodroidFeaturesPipeline(scope: Construct): Pipeline {
  const pipeline = new Pipeline(scope, 'kronodroid-features', {
    description:
      'Kronodroid data refresh: dlt load, Spark/Iceberg transform and dbt build on a lakeFS branch, then ' +
      'commit and merge into main. Pin the result for training with `dfp lock --update kronodroid@main`.',
    tags: ['kronodroid', 'data', 'team:ml-platform'],
    schedule: Schedule.daily(2, 0, 'UTC'),
    parameters: {
      run_transform: {
        type: 'bool',
        default: true,
        description:
          'Rebuild the Iceberg tables with the transform and commit them to lakeFS; false skips the transform ' +
          'and the commit (the dlt load and dbt build still run) and only resolves the head of target_branch.',
      },
      target_branch: {
        type: 'string',
        default: 'main',
        description: 'The lakeFS branch the transform writes to before it is merged into main.',
      },
    },
    timeout: Duration.hours(4),
  });
  const p = (name: string) => pipeline.param(name);

  const data = kronodroidData(scope);
  // dlt ingests the raw CSV exports into raw_kronodroid.samples on the run's branch.
  const load = new DltLoad(pipeline, 'dlt-load', {
    description: 'Ingests the Kronodroid CSV exports from the lakeFS landing folder into the raw Iceberg table.',
    source: DltSource.files(KRONODROID.landing, { fileGlob: '*.csv', format: 'csv' }),
    resource: 'kronodroid_csv',
    destination: data.raw,
    branch: p('target_branch'),
    credentials: LAKEFS_GATEWAY_CREDENTIALS,
    retry: { limit: 2, backoffSeconds: 60 },
    timeout: Duration.hours(1),
  });

  // The engine (Spark here, DataFusion where an environment says so) comes from the
  // environment; the step starts the transform's run template and waits for it.
  const transform = new TransformStep(pipeline, 'spark-transform', {
    transform: data.transform,
    args: [
      '--branch',
      p('target_branch'),
      // The job decides, not a `when`: the commit-merge step must wait for the transform
      // whenever it runs, and Kubeflow cannot order a task after one that may be skipped.
      '--enabled',
      p('run_transform'),
    ],
    retry: { limit: 2, backoffSeconds: 60 },
    timeout: Duration.hours(2),
  }).after(load);

  // dbt builds the feature models on the staging tables and runs their schema tests.
  const dbt = new DbtStep(pipeline, 'dbt-build', {
    project: data.dbt,
    command: 'build',
    select: ['+fct_sample_features'],
    branch: p('target_branch'),
    timeout: Duration.hours(1),
  }).after(transform);

  new ContainerStep(pipeline, 'lakefs-commit-merge', {
    description:
      'Commits the transform output and merges it; without a transform, resolves the branch head. Either way ' +
      'the output is an immutable commit id.',
    image: IMAGES.lakefs,
    command: ['python', '-m', 'dfp_tools.lakefs_commit_merge'],
    args: [
      '--repository',
      KRONODROID.lakefsRepository,
      '--branch',
      p('target_branch'),
      '--into',
      KRONODROID.mainBranch,
      fmt`--commit=${p('run_transform')}`,
      '--commit-id-file',
      outputPath('commit_id'),
    ],
    outputs: {
      commit_id: {
        type: 'string',
        description: 'The merge commit; `dfp lock --update kronodroid@main` pins it for training.',
      },
    },
    secretEnv: LAKEFS_CREDENTIALS,
    resources: Resources.fixed('250m', '256Mi'),
    retry: { limit: 3, backoffSeconds: 10 },
  }).after(dbt);

  return pipeline;
}
