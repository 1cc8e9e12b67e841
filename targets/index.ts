/**
 * Every output format dfp knows. Adding a target is one folder under targets/ and one
 * line here; no target imports another.
 */
import { accountsTarget } from './accounts/index.ts';
import { airflowTarget } from './airflow/index.ts';
import { androidTarget } from './android/index.ts';
import { argoTarget } from './argo/index.ts';
import { argocdTarget } from './argocd/index.ts';
import { chrononTarget } from './chronon/index.ts';
import { datafusionTarget } from './datafusion/index.ts';
import { datahubTarget } from './datahub/index.ts';
import { dbtTarget } from './dbt/index.ts';
import { dltTarget } from './dlt/index.ts';
import { docsTarget } from './docs/index.ts';
import { feastTarget } from './feast/index.ts';
import { kubeflowTarget } from './kubeflow/index.ts';
import { schemasTarget } from './schemas/index.ts';
import { sparkTarget } from './spark/index.ts';
import type { Target } from './types.ts';

export const TARGETS: readonly Target[] = [
  argoTarget,
  kubeflowTarget,
  airflowTarget,
  androidTarget,
  schemasTarget,
  feastTarget,
  chrononTarget,
  sparkTarget,
  datafusionTarget,
  dbtTarget,
  dltTarget,
  docsTarget,
  datahubTarget,
  accountsTarget,
  argocdTarget,
];
