/**
 * The benchmark's cdk8s app: N generated pipelines and the environment(s) of the path
 * being measured. `kubeflow` renders Kubeflow IR (+ its v2beta1 manifests) the way a
 * Kubeflow environment does; `argo` renders WorkflowTemplates; `airflow` DAG files (for
 * the DAG-parse comparison, bench/python/parse_dags.py); `all` is the whole
 * product (both environments, every target: docs, Argo CD apps too).
 */
import { Environment } from '../../constructs/index.ts';
import { DfpApp } from '../../app/dfp-app.ts';
import { synthesize } from '../../synth/synth.ts';
import { airflowTarget } from '../../targets/airflow/index.ts';
import { argoTarget } from '../../targets/argo/index.ts';
import { TARGETS } from '../../targets/index.ts';
import { kubeflowTarget } from '../../targets/kubeflow/index.ts';
import type { Target } from '../../targets/types.ts';
import type { BenchPipeline } from '../generator/spec.ts';
import { AIRFLOW_COMMAND, benchPipeline } from './pipeline.ts';

export type BenchPath = 'kubeflow' | 'argo' | 'airflow' | 'all';
export const BENCH_PATHS: readonly BenchPath[] = ['kubeflow', 'argo', 'airflow', 'all'];

export const PATH_TARGETS: Record<BenchPath, readonly Target[]> = {
  kubeflow: [kubeflowTarget],
  argo: [argoTarget],
  airflow: [airflowTarget],
  all: TARGETS,
};

const ENV_PROPS = {
  namespace: 'ml-bench',
  endpoints: {
    lakefs: 'http://lakefs.lakefs:8000',
    mlflow: 'http://mlflow.mlflow:5000',
    s3: 'http://minio.minio:9000',
  },
  artifactRepository: { bucket: 'dfp-bench', credentials: { secret: 'minio-credentials' } },
  gitops: { repoURL: 'https://git.example.com/ml/dfp.git' },
};

/** The environments of `path`, created in `app`. */
export function benchEnvironments(app: DfpApp, path: BenchPath): void {
  if (path === 'kubeflow' || path === 'all')
    new Environment(app, 'bench-kubeflow', { ...ENV_PROPS, orchestrator: 'kubeflow' });
  if (path === 'argo' || path === 'all') new Environment(app, 'bench-argo', { ...ENV_PROPS, orchestrator: 'argo' });
  if (path === 'airflow') new Environment(app, 'bench-airflow', { ...ENV_PROPS, orchestrator: 'airflow' });
}

/** A DfpApp whose synth renders only the targets of one path. */
export class BenchApp extends DfpApp {
  constructor(
    private readonly path: BenchPath,
    private readonly dist: string,
  ) {
    super({ distDir: dist });
  }

  public override synth(): void {
    this.result = synthesize(this, {
      distDir: this.dist,
      targets: PATH_TARGETS[this.path],
      // Under `cdk8s synth`, mirror the Kubernetes objects for the CLI as DfpApp does.
      ...(process.env.CDK8S_OUTDIR ? { manifestDir: process.env.CDK8S_OUTDIR } : {}),
    });
  }
}

/** The whole app: environments, then every pipeline, in spec order. */
export function buildBenchApp(specs: readonly BenchPipeline[], path: BenchPath, dist: string): BenchApp {
  const app = new BenchApp(path, dist);
  benchEnvironments(app, path);
  const options = path === 'airflow' ? { command: AIRFLOW_COMMAND } : {};
  for (const spec of specs) benchPipeline(app, spec, options);
  return app;
}
