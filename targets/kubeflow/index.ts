/**
 * Kubeflow Pipelines: per pipeline the IR YAML that `kfp` uploads
 * (`pipelines/<name>.yaml`: the PipelineSpec, then the Kubernetes platform spec when a
 * step needs one) and the Kubernetes-native Pipeline + PipelineVersion objects that
 * embed the same spec (`manifests/<name>.yaml`), for Argo CD.
 */
import { toYaml } from '../../emit/yaml.ts';
import { kubernetesFile, SYNC_WAVE, type RenderedFile, type Target } from '../types.ts';
import { checkKubeflow } from './check.ts';
import { pipelineObjects } from './manifests.ts';
import { compilePipeline } from './pipeline-spec.ts';
import { kubeflowNotes } from './notes.ts';

export const kubeflowTarget: Target = {
  name: 'kubeflow',
  syncWave: SYNC_WAVE.orchestrators,
  appliesTo: (env) => env.orchestrator === 'kubeflow',
  check: (model) => checkKubeflow(model),
  notes: (model) => kubeflowNotes(model),
  render(model, env): RenderedFile[] {
    return model.pipelines.flatMap((p) => {
      const compiled = compilePipeline(p, model.imagePins);
      // The PipelineVersion embeds both documents of the IR file, the same objects: the
      // printer lays them out once, for both files.
      const spec = compiled.pipelineSpec;
      const platform = compiled.platformSpec;
      const ir = platform ? toYaml(spec, platform) : toYaml(spec);
      return [
        { path: `pipelines/${p.name}.yaml`, content: ir, kubernetes: false, pipeline: p.name },
        kubernetesFile(
          `manifests/${p.name}.yaml`,
          pipelineObjects(p, env, { pipelineSpec: spec, platformSpec: platform }, ir),
          p.name,
        ),
      ];
    });
  },
};
