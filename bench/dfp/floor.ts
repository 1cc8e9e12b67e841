/**
 * The serialisation floor: the time the YAML printer (emit/yaml.ts) alone needs for the
 * same output. The objects each target hands to toYaml are built first, untimed, by the
 * same functions the target calls; then only the printing is timed. The printed text
 * must equal the rendered files byte for byte, or the floor measured something else.
 */
import type { Environment, Model } from '../../constructs/model/schema.ts';
import { toYaml } from '../../emit/yaml.ts';
import { clearScalarCache, withoutPrintOnce } from '../../emit/yaml-block.ts';
import { libraryYaml } from '../../emit/yaml-style.ts';
import { artifactRepositoryConfigMap } from '../../targets/argo/artifact-repository.ts';
import { cronWorkflow, workflowTemplate } from '../../targets/argo/workflow-template.ts';
import { pipelineObjects } from '../../targets/kubeflow/manifests.ts';
import { compilePipeline } from '../../targets/kubeflow/pipeline-spec.ts';
import type { BenchPath } from './app.ts';

/**
 * The documents of each file, in the order the target renders them. As in the target, the
 * manifest embeds the IR file's documents, the same objects, which the printer lays out once.
 */
function documentsOf(model: Model, env: Environment, path: BenchPath): unknown[][] {
  if (path === 'kubeflow') {
    return model.pipelines.flatMap((p) => {
      const compiled = compilePipeline(p);
      const plain = compiled.platformSpec ? [compiled.pipelineSpec, compiled.platformSpec] : [compiled.pipelineSpec];
      // The manifests embed the version name, a digest of the printed IR (printed untimed
      // here, from a copy, so that the timed print lays the IR out as the target's does).
      return [plain, pipelineObjects(p, env, compiled, toYaml(...structuredClone(plain)))];
    });
  }
  if (path === 'argo') {
    return [
      [artifactRepositoryConfigMap(env)],
      ...model.pipelines.flatMap((p) => {
        const cron = cronWorkflow(p, env);
        return cron ? [[workflowTemplate(p, env)], [cron]] : [[workflowTemplate(p, env)]];
      }),
    ];
  }
  throw new Error(`no floor for path '${path}'`);
}

/** Milliseconds (wall and CPU) spent in toYaml for the path's files, and whether the bytes match `rendered`. */
export interface Floor {
  /** toYaml (emit/yaml.ts) over every document of the output: wall and CPU ms. */
  readonly ms: number;
  readonly cpuMs: number;
  /** The yaml package's own printer over the same documents. */
  readonly packageMs: number;
  readonly packageCpuMs: number;
  /** Both printed exactly the rendered files. */
  readonly identical: boolean;
}

export function yamlFloor(model: Model, path: BenchPath, rendered: readonly string[]): Floor {
  const env = model.environments[0]!;
  const docs = documentsOf(model, env, path);
  const plainDocs = docs.map((d) => d.map(withoutPrintOnce));
  // From cold: the synth above filled the printer's scalar cache.
  clearScalarCache();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const printed = docs.map((d) => toYaml(...d));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  // The same documents through the yaml package alone: the printer dfp had before.
  const pkgCpu = process.cpuUsage();
  const pkgStart = performance.now();
  const byPackage = plainDocs.map((d) => d.map(libraryYaml).join('---\n'));
  const packageMs = performance.now() - pkgStart;
  const pkgUsed = process.cpuUsage(pkgCpu);
  const packageCpuMs = (pkgUsed.user + pkgUsed.system) / 1000;
  const sorted = (xs: readonly string[]) => [...xs].sort();
  const expected = JSON.stringify(sorted(rendered));
  const identical = JSON.stringify(sorted(printed)) === expected && JSON.stringify(sorted(byPackage)) === expected;
  return { ms, cpuMs, packageMs, packageCpuMs, identical };
}
