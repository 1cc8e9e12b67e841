/**
 * Iris, the platform's smallest end-to-end pipeline: process the data (pandas; images/iris/),
 * train an XGBoost classifier registered in MLflow, and run batch inference, daily.
 */
import type { Construct } from 'constructs';
import {
  ContainerStep,
  Duration,
  Pipeline,
  Resources,
  Schedule,
  inputArtifactPath,
  outputArtifactPath,
  outputPath,
} from '../constructs/index.ts';

const IMAGE = 'registry.dfp.internal/dfp/iris:1.0.0';
const S3_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: { secret: 'minio-credentials', key: 'accesskey' },
  AWS_SECRET_ACCESS_KEY: { secret: 'minio-credentials', key: 'secretkey' },
};

export function iris(scope: Construct): Pipeline {
  const pipeline = new Pipeline(scope, 'iris', {
    description: 'Iris: pandas processing, XGBoost training registered in MLflow, batch inference.',
    tags: ['iris', 'example'],
    schedule: Schedule.daily(6, 0, 'UTC'),
    parameters: {
      model_name: { type: 'string', default: 'iris_xgboost_classifier' },
      max_depth: { type: 'int', default: 4 },
      learning_rate: { type: 'float', default: 0.1 },
      mlflow_tracking_uri: { type: 'string', default: 'http://mlflow.mlflow.svc.cluster.local:5000' },
    },
  });
  const p = (name: string) => pipeline.param(name);
  const mlflow = { MLFLOW_TRACKING_URI: p('mlflow_tracking_uri') };

  const processData = new ContainerStep(pipeline, 'process-data', {
    image: IMAGE,
    command: ['python', '-m', 'src.pipelines.data_pipeline'],
    args: ['--output', outputArtifactPath('dataset')],
    secretEnv: S3_CREDENTIALS,
    outputArtifacts: { dataset: 'Dataset' },
    resources: Resources.fixed('1', '2Gi'),
    caching: true,
  });

  const train = new ContainerStep(pipeline, 'train', {
    image: IMAGE,
    command: ['python', '-m', 'src.pipelines.training_pipeline'],
    args: [
      '--data',
      inputArtifactPath('dataset'),
      '--model-name',
      p('model_name'),
      '--max-depth',
      p('max_depth'),
      '--learning-rate',
      p('learning_rate'),
      '--model-version-file',
      outputPath('model_version'),
    ],
    env: mlflow,
    secretEnv: S3_CREDENTIALS,
    inputArtifacts: { dataset: processData.artifact('dataset') },
    outputs: { model_version: 'string' },
    resources: Resources.fixed('1', '2Gi'),
    retry: { limit: 2 },
    timeout: Duration.minutes(30),
  });

  new ContainerStep(pipeline, 'batch-inference', {
    image: IMAGE,
    command: ['python', '-m', 'src.pipelines.inference_pipeline'],
    args: [
      '--data',
      inputArtifactPath('dataset'),
      '--model-name',
      p('model_name'),
      '--model-version',
      train.output('model_version'),
      '--predictions',
      outputArtifactPath('predictions'),
    ],
    env: mlflow,
    secretEnv: S3_CREDENTIALS,
    inputArtifacts: { dataset: processData.artifact('dataset') },
    outputArtifacts: { predictions: 'Dataset' },
    resources: Resources.fixed('1', '2Gi'),
  });

  return pipeline;
}
