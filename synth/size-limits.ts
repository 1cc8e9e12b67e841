/**
 * Sizes the cluster refuses, checked at synth instead of at apply (issue 27): etcd stores
 * no value over its request limit (`--max-request-bytes`, 1.5 MiB by default), so the
 * API server cannot keep a larger object (its own request-body limit is 3 MiB), and a
 * ConfigMap's data may not exceed 1 MiB. Parameter defaults, loop items and descriptions
 * are copied into WorkflowTemplates, PipelineVersions and the DataHub ingest ConfigMap,
 * so a large one makes an object that `kubectl apply` or Argo CD's sync would refuse.
 * Each problem names the construct the file is rendered from, the file and the limit.
 */
import { parseAllDocuments } from 'yaml';
import { DfpError, type Problem } from '../constructs/model/errors.ts';
import type { Model } from '../constructs/model/schema.ts';
import type { OutputFile } from './render.ts';

/** etcd's default `--max-request-bytes`: the largest object the API server can store. */
export const ETCD_OBJECT_LIMIT = 1.5 * 1024 * 1024;
/** The most data (data + binaryData) a ConfigMap may hold. */
export const CONFIGMAP_DATA_LIMIT = 1024 * 1024;

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

/**
 * YAML this much smaller than a limit cannot reach it as JSON; larger documents are measured as the JSON the API server
 * stores.
 */
const MEASURE_FROM = 512 * 1024;

/** Throws a DfpError naming each object over a limit; cheap for files far below them. */
export function checkObjectSizes(files: readonly OutputFile[], model: Model): void {
  const problems: Problem[] = [];
  for (const f of files) {
    if (!f.kubernetes || Buffer.byteLength(f.content) < MEASURE_FROM) continue;
    for (const doc of parseAllDocuments(f.content)) {
      const object = doc.toJS() as {
        kind?: string;
        metadata?: { name?: string };
        data?: Record<string, string>;
        binaryData?: Record<string, string>;
      } | null;
      if (object === null || typeof object !== 'object') continue;
      const name = `${object.kind ?? 'object'} '${object.metadata?.name ?? '?'}' in dist/${f.path}`;
      const size = Buffer.byteLength(JSON.stringify(object));
      const path = constructOf(f.path, model);
      if (object.kind === 'ConfigMap') {
        const data = [...Object.values(object.data ?? {}), ...Object.values(object.binaryData ?? {})].reduce(
          (n, v) => n + Buffer.byteLength(String(v)),
          0,
        );
        if (data > CONFIGMAP_DATA_LIMIT) {
          problems.push({
            path,
            message:
              `${name} would hold ${mib(data)} of data, over the 1 MiB a ConfigMap may hold; make what it is ` +
              'rendered from smaller (descriptions, parameter defaults, the number of pipelines in this ' +
              'environment)',
          });
          continue;
        }
      }
      if (size > ETCD_OBJECT_LIMIT) {
        problems.push({
          path,
          message:
            `${name} would be ${mib(size)}, over the 1.5 MiB etcd stores (--max-request-bytes; the API server ` +
            'refuses it at apply); make parameter defaults, loop items and descriptions smaller, or pass large ' +
            'values as artifacts',
        });
      }
    }
  }
  if (problems.length > 0) throw new DfpError(problems, 'objects too large for the cluster');
}

/** The construct a file is rendered from: the pipeline it is named after, else its environment. */
function constructOf(file: string, model: Model): string {
  const base = file
    .split('/')
    .pop()!
    .replace(/\.[^.]+$/, '');
  const pipeline = model.pipelines.find((p) => p.name === base);
  if (pipeline) return pipeline.path;
  const env = model.environments.find((e) => e.name === file.split('/')[0]);
  return env?.path ?? file.split('/')[0]!;
}
