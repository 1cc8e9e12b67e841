/**
 * Kronodroid data refresh: Spark rebuilds the Iceberg training table (Avro data files) on
 * a lakeFS branch, then the branch is committed and merged into main, daily. Training
 * (kronodroid-autoencoder) does not follow main: it reads the commit dfp.lock.json pins,
 * so new data reaches a model through a reviewed pull request that runs
 * `dfp lock --update kronodroid@main` and shows the new commit in the rendered diff.
 */
import type { Construct } from 'constructs';
import { ContainerStep, Duration, Pipeline, Resources, Schedule, TransformStep, fmt, outputPath } from '../constructs/index.ts';
import { KRONODROID, kronodroidData } from '../features/kronodroid.ts';
import { IMAGES, LAKEFS_CREDENTIALS } from './kronodroid-shared.ts';

export function kronodroidFeaturesPipeline(scope: Construct): Pipeline {
  const pipeline = new Pipeline(scope, 'kronodroid-features', {
    description: 'Kronodroid data refresh: Spark/Iceberg transform on a lakeFS branch, then commit and merge into main. Pin the result for training with `dfp lock --update kronodroid@main`.',
    tags: ['kronodroid', 'data', 'team:ml-platform'],
    schedule: Schedule.daily(2, 0, 'UTC'),
    parameters: {
      run_transform: { type: 'bool', default: true, description: 'Rebuild the Iceberg tables and commit them to lakeFS; false only resolves the head of target_branch.' },
      target_branch: { type: 'string', default: 'main', description: 'The lakeFS branch the transform writes to before it is merged into main.' },
    },
    timeout: Duration.hours(4),
  });
  const p = (name: string) => pipeline.param(name);

  // The engine (Spark here, DataFusion where an environment says so) comes from the
  // environment; the step starts the transform's run template and waits for it.
  const transform = new TransformStep(pipeline, 'spark-transform', {
    transform: kronodroidData(scope).transform,
    args: [
      '--branch', p('target_branch'),
      // The job decides, not a `when`: the commit-merge step must wait for the transform
      // whenever it runs, and Kubeflow cannot order a task after one that may be skipped.
      '--enabled', p('run_transform'),
    ],
    retry: { limit: 2, backoffSeconds: 60 },
    timeout: Duration.hours(2),
  });

  new ContainerStep(pipeline, 'lakefs-commit-merge', {
    description: 'Commits the transform output and merges it; without a transform, resolves the branch head. Either way the output is an immutable commit id.',
    image: IMAGES.lakefs,
    command: ['python', '-m', 'dfp_tools.lakefs_commit_merge'],
    args: [
      '--repository', KRONODROID.lakefsRepository,
      '--branch', p('target_branch'),
      '--into', KRONODROID.mainBranch,
      fmt`--commit=${p('run_transform')}`,
      '--commit-id-file', outputPath('commit_id'),
    ],
    outputs: { commit_id: { type: 'string', description: 'The merge commit; `dfp lock --update kronodroid@main` pins it for training.' } },
    secretEnv: LAKEFS_CREDENTIALS,
    resources: Resources.fixed('250m', '256Mi'),
    retry: { limit: 3, backoffSeconds: 10 },
  }).after(transform);

  return pipeline;
}
