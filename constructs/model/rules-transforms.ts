/**
 * What environments and pipelines demand of transforms: every environment's engine can
 * run every transform (it has an image for it, pinned as the environment's imageTagPolicy
 * requires), and a step that runs a transform names one that exists.
 */
import type { Problems } from './errors.ts';
import { imagePolicyProblem } from './rules-environment.ts';
import type { Model } from './schema.ts';

export function checkTransforms(model: Model, problems: Problems): void {
  for (const t of model.data.transforms) {
    // A transform with no image at all is reported once, where it is built.
    if (Object.keys(t.images).length === 0) continue;
    for (const env of model.environments) {
      const image = t.images[env.engine];
      if (image === undefined) {
        const has = Object.keys(t.images).join(' or ');
        problems.add(t.path, `environment '${env.name}' runs transforms on ${env.engine}, but this transform has an image for ${has} only; add images.${env.engine} or change the environment's engine`);
        continue;
      }
      const policy = imagePolicyProblem(env, image);
      if (policy) problems.add(t.path, `images.${env.engine}: ${policy}`);
    }
  }
  const names = new Set(model.data.transforms.map((t) => t.name));
  for (const p of model.pipelines) {
    for (const s of p.exitHandler ? [...p.steps, p.exitHandler] : p.steps) {
      if (s.transform !== undefined && !names.has(s.transform)) {
        problems.add(s.path, `runs transform '${s.transform}', which is not part of this app; create the Transform under the same app`);
      }
    }
  }
}
