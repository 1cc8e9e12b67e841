/**
 * `dfp trace`'s report: from an MLflow run (or a registered model version) back to the
 * exact data and weights that made it. Every pin is checked against the servers: the
 * lakeFS commit exists, the table has files at that commit and its Iceberg snapshot
 * there is the one the run recorded, the weights are among the run's artifacts, and a
 * model version's tags are the run's. What this checkout rendered is looked up too.
 */
import type { LakeFsClient, LakeFsObject } from '../lakefs/client.ts';
import type { MlflowArtifact, MlflowClient, MlflowRun } from '../mlflow/client.ts';
import { snapshotAt } from './iceberg.ts';
import { definitionFilesWith, firstCommitAdding, renderedFilesHolding } from './local.ts';
import { LINEAGE_TAGS, LineageTagError, WEIGHTS_TAG, featureStamps, readLineage, type Lineage } from './tags.ts';

/** What `dfp trace` prints; `--json` prints exactly this. */
export interface TraceReport {
  readonly run: { readonly id: string; readonly experimentId: string; readonly name?: string; readonly status: string };
  readonly modelVersion?: { readonly name: string; readonly version: string };
  readonly pipeline: string;
  readonly environment: string;
  readonly definitions: {
    readonly sha256: string;
    /** The commit of this repository that rendered the step, and how it is known. */
    readonly revision?: string;
    readonly revisionFrom: 'run' | 'git' | 'unknown';
    /** The files of this checkout's dist/ that hold the digest now. */
    readonly renderedIn: readonly string[];
  };
  /**
   * The image the run ran in, as rendered (by digest when the lock pinned it); absent for a run recorded without it.
   */
  readonly image?: { readonly ref: string; readonly digest?: string };
  readonly lakefs: {
    readonly repository: string;
    readonly commit: string;
    readonly message: string;
    readonly committedAt: string;
  };
  readonly table: {
    readonly name: string;
    readonly iceberg?: string;
    readonly location?: string;
    readonly snapshotId?: string;
    readonly files: number;
    readonly bytes: number;
  };
  readonly featureStore?: {
    readonly featureView: string;
    readonly definitionsSha256?: string;
    readonly renderedIn: readonly string[];
  };
  readonly datasets?: { readonly train?: string; readonly val?: string; readonly test?: string };
  readonly weights: readonly { readonly path: string; readonly sha256: string; readonly bytes: number }[];
  readonly metrics: Readonly<Record<string, number>>;
}

/** Everything a trace found, for the report and for `--fetch`. */
export interface Trace {
  readonly report: TraceReport;
  readonly run: MlflowRun;
  /** The table's objects at the commit (empty when the run recorded no table location). */
  readonly dataFiles: readonly LakeFsObject[];
}

/** A pin that does not hold: the run's lineage is wrong or the data is gone. */
export class TraceError extends Error {}

/** Where this checkout is, for the lookups in its dist/ and git history. */
export interface Checkout {
  readonly root: string;
  readonly dist: string;
}

/** `models:/<name>/<version>` or a run id. */
export type TraceTarget = { readonly runId: string } | { readonly model: string; readonly version: string };

export async function trace(
  target: TraceTarget,
  mlflow: MlflowClient,
  lakefs: LakeFsClient,
  checkout: Checkout,
): Promise<Trace> {
  const version = 'model' in target ? await mlflow.getModelVersion(target.model, target.version) : undefined;
  const run = await mlflow.getRun(version ? version.runId : (target as { runId: string }).runId);
  let lineage: Lineage;
  try {
    lineage = readLineage(run.runId, run.tags);
  } catch (e) {
    if (e instanceof LineageTagError) throw new TraceError(e.message);
    throw e;
  }
  if (version) sameTags(version.name, version.version, version.tags, run);
  const t = lineage.tags;
  const repo = t['data.lakefs_repository'];
  const commit = t['data.lakefs_ref'];

  const c = await lakefs.getCommit(repo, commit).catch((e: Error & { reason?: string }) => {
    if (e.reason === 'not-found')
      throw new TraceError(
        `run '${run.runId}' records lakeFS commit ${commit} (data.lakefs_ref), which ` +
          `${e.message.replace(/^lakeFS repository /, 'repository ')}: the data it trained on is not there`,
      );
    throw e;
  });
  const location = t['data.iceberg_table_location'];
  const dataFiles = location ? await lakefs.listObjects(repo, commit, `${location}/`) : [];
  if (location && dataFiles.length === 0)
    throw new TraceError(
      `lakeFS ${repo}@${commit} has no files under ${location}/ (data.iceberg_table_location of run '${run.runId}')`,
    );
  if (location) {
    const snapshot = await snapshotAt(lakefs, repo, commit, location);
    if ('problem' in snapshot) throw new TraceError(`run '${run.runId}': ${snapshot.problem}`);
    const recorded = t['data.iceberg_snapshot_id'];
    if (recorded !== undefined && recorded !== snapshot.id) {
      throw new TraceError(
        `run '${run.runId}' records Iceberg snapshot ${recorded}, but ${location} is at snapshot ${snapshot.id}` +
          ` in lakeFS commit ${commit}`,
      );
    }
  }
  const artifacts = new Map((await mlflow.listArtifacts(run.runId)).map((a): [string, MlflowArtifact] => [a.path, a]));
  const weights = Object.entries(lineage.weights).map(([path, sha256]) => {
    const a = artifacts.get(path);
    if (!a)
      throw new TraceError(
        `run '${run.runId}' records weights ${path} (sha256 ${sha256.slice(0, 12)}…), but the run has no such artifact`,
      );
    return { path, sha256, bytes: a.size };
  });

  const digest = t['dfp.definitions_sha256'];
  const fromGit =
    t['dfp.definitions_revision'] === undefined ? firstCommitAdding(checkout.root, checkout.dist, digest) : undefined;
  const revision = t['dfp.definitions_revision'] ?? fromGit;
  const { view, defs } = featureStamps(t);
  const report: TraceReport = {
    run: { id: run.runId, experimentId: run.experimentId, ...(run.name ? { name: run.name } : {}), status: run.status },
    ...(version ? { modelVersion: { name: version.name, version: version.version } } : {}),
    pipeline: t['dfp.pipeline'],
    environment: t['dfp.environment'],
    definitions: {
      sha256: digest,
      ...(revision ? { revision } : {}),
      revisionFrom: t['dfp.definitions_revision'] !== undefined ? 'run' : fromGit ? 'git' : 'unknown',
      renderedIn: renderedFilesHolding(checkout.root, checkout.dist, digest),
    },
    ...(t['code.image'] ? { image: imageOf(t['code.image']) } : {}),
    lakefs: {
      repository: repo,
      commit,
      message: c.message,
      committedAt: new Date(c.creation_date * 1000).toISOString(),
    },
    table: {
      name: t['data.source_table'],
      ...(t['data.iceberg_table'] ? { iceberg: t['data.iceberg_table'] } : {}),
      ...(location ? { location } : {}),
      ...(t['data.iceberg_snapshot_id'] ? { snapshotId: t['data.iceberg_snapshot_id'] } : {}),
      files: dataFiles.length,
      bytes: dataFiles.reduce((n, f) => n + f.size, 0),
    },
    ...(view
      ? {
          featureStore: {
            featureView: view,
            ...(defs ? { definitionsSha256: defs } : {}),
            renderedIn: defs ? definitionFilesWith(checkout.root, checkout.dist, defs) : [],
          },
        }
      : {}),
    ...(t['dataset.train_id']
      ? { datasets: { train: t['dataset.train_id'], val: t['dataset.val_id'], test: t['dataset.test_id'] } }
      : {}),
    weights,
    metrics: run.metrics,
  };
  return { report, run, dataFiles };
}

/** A model version carries its run's lineage; a version whose tags differ points elsewhere. */
function sameTags(name: string, version: string, tags: Readonly<Record<string, string>>, run: MlflowRun): void {
  const lineageKeys = [
    ...Object.values(LINEAGE_TAGS),
    ...Object.keys(run.tags).filter((k) => k.startsWith(WEIGHTS_TAG)),
  ];
  for (const key of lineageKeys) {
    if (tags[key] !== run.tags[key]) {
      throw new TraceError(
        `models:/${name}/${version} has tag ${key} = '${tags[key] ?? '(none)'}', but its run '${run.runId}' ` +
          `has '${run.tags[key] ?? '(none)'}'; the version's lineage is not its run's`,
      );
    }
  }
}

/** The recorded image and its digest, if it has one. */
function imageOf(ref: string): { ref: string; digest?: string } {
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];
  return { ref, ...(digest ? { digest } : {}) };
}
