/**
 * The one synth entry point: build model -> validate -> freeze -> render -> write
 * atomically (or, in check mode, compare and write nothing).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IConstruct } from 'constructs';
import { unpinnedImages } from '../constructs/model/images.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { TARGETS } from '../targets/index.ts';
import type { Target } from '../targets/types.ts';
import type { Model } from '../constructs/model/schema.ts';
import { renderAll, type OutputFile } from './render.ts';
import { synthNotes } from './notes.ts';
import { checkObjectSizes } from './size-limits.ts';
import { diffTrees, isEmptyDiff, readTree, recoverInterruptedWrite, writeTree, type TreeDiff } from './writer.ts';

export interface SynthOptions {
  /** The committed output tree. */
  readonly distDir: string;
  /** Compare with distDir and write nothing. */
  readonly check?: boolean;
  /**
   * Where the cdk8s CLI looks for manifests (CDK8S_OUTDIR). Only Kubernetes objects are
   * copied there, flattened, so CLI validation plugins never see IR or Python files.
   */
  readonly manifestDir?: string;
  /** The output formats. @default every registered target */
  readonly targets?: readonly Target[];
  /**
   * Render only this pipeline's files and leave every other file of dist/ as it is. A
   * pipeline's files are those its targets say belong to it (RenderedFile.pipeline:
   * `workflow-templates/iris.yaml`, `dags/iris.py`, dlt's config of a step); the
   * definitions are still all built and checked, but only the pipeline is rendered
   * ({@link pipelineView}). Files that list the target folders (Argo CD's apps) or every
   * pipeline (the DataHub catalogue) are not re-rendered, nor is a file of the pipeline
   * that it no longer renders removed unless it is named after it: run a full synth
   * before committing.
   */
  readonly pipeline?: string;
}

export interface SynthResult {
  readonly files: readonly OutputFile[];
  readonly diff: TreeDiff;
  /** What an orchestrator will not do of what a pipeline asks (synth/notes.ts), one line each. */
  readonly notes: readonly string[];
  /** Images rendered by tag because dfp.lock.json pins no digest for them (constructs/model/images.ts). */
  readonly unpinnedImages: readonly string[];
}

/** Renders every environment of the app under `root`; throws DfpError on bad input. */
export function synthesize(root: IConstruct, options: SynthOptions): SynthResult {
  const model = buildModel(root);
  const targets = options.targets ?? TARGETS;
  let files: OutputFile[];
  let tree: Map<string, string>;
  let notes: string[];
  if (options.pipeline === undefined) {
    notes = synthNotes(model);
    files = renderAll(model, targets);
    tree = new Map(files.map((f) => [f.path, f.content]));
  } else {
    const view = pipelineView(model, options.pipeline);
    notes = synthNotes(view);
    files = renderAll(view, targets).filter((f) => f.pipeline === options.pipeline);
    tree = withPipelineFiles(readTree(options.distDir), options.pipeline, files);
  }
  checkObjectSizes(files, model);
  let diff: TreeDiff;
  if (options.check) {
    recoverInterruptedWrite(options.distDir);
    diff = diffTrees(readTree(options.distDir), tree);
  } else {
    diff = writeTree(options.distDir, tree);
  }
  if (options.manifestDir) writeManifestMirror(options.manifestDir, files);
  return { files, diff, notes, unpinnedImages: unpinnedImages(model) };
}

/**
 * Whether a file of dist/ is named after the pipeline (its name without the extension is
 * the pipeline's): how the files of a pipeline that is re-rendered alone are found in the
 * tree on disk, which records no owner. Rendered files say their pipeline themselves.
 */
export const isPipelineFile = (path: string, pipeline: string): boolean =>
  path
    .split('/')
    .pop()!
    .replace(/\.[^.]+$/, '') === pipeline;

const NO_DATA: Model['data'] = {
  tables: [],
  entities: [],
  featureViews: [],
  featureServices: [],
  transforms: [],
  dbtProjects: [],
};

/**
 * The model with one pipeline, and of the rest only what a pipeline's files are rendered
 * from: a pipeline's files depend on that pipeline, the environment and, for a step that
 * loads into one (dlt), a table's definition. The data plane's own files and the benchmark
 * Jobs are skipped. tests/usability.test.ts holds every target to that: for each pipeline,
 * the files rendered from its view equal those of a full synth.
 */
export function pipelineView(model: Model, pipeline: string): Model {
  const known = model.pipelines.map((p) => p.name);
  const only = model.pipelines.filter((p) => p.name === pipeline);
  if (only.length === 0) {
    throw new DfpError(
      [{ path: pipeline, message: `no pipeline is named '${pipeline}'; use one of ${known.join(', ')}` }],
      'nothing to render',
    );
  }
  return { ...model, pipelines: only, androidBenchmarks: [], data: { ...NO_DATA, tables: model.data.tables } };
}

/** dist/ with the pipeline's files replaced by `rendered`; every other file as it is. */
function withPipelineFiles(
  current: Map<string, string>,
  pipeline: string,
  rendered: readonly OutputFile[],
): Map<string, string> {
  const next = new Map([...current].filter(([path]) => !isPipelineFile(path, pipeline)));
  // Files the pipeline owns under other names (dlt's) are replaced where they are.
  for (const f of rendered) next.set(f.path, f.content);
  return new Map([...next].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function writeManifestMirror(dir: string, files: readonly OutputFile[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of files.filter((x) => x.kubernetes)) {
    const target = join(dir, f.path.replaceAll('/', '--'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
}

/** A short, reviewable account of what differs. */
export function describeDiff(diff: TreeDiff): string {
  if (isEmptyDiff(diff)) return 'dist/ is up to date';
  const lines = [
    ...diff.added.map((p) => `  added:    ${p}`),
    ...diff.removed.map((p) => `  removed:  ${p}`),
    ...diff.changed.map((p) => `  changed:  ${p}`),
  ];
  return [`${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed:`, ...lines].join(
    '\n',
  );
}
