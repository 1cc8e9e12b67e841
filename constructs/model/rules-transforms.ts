/**
 * What environments and pipelines demand of transforms: every environment's engine can
 * run every transform (it has an image for it, pinned as the environment's imageTagPolicy
 * requires, and an entrypoint it can start), and a step that runs a transform names one
 * that exists.
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
      // What each engine can start; its renderer refuses the rest too, but only as a guard.
      const code = t.code;
      if (code.kind === 'entrypoint' && env.engine === 'spark' && !code.file.endsWith('.py')) {
        problems.add(t.path, `code: environment '${env.name}' runs transforms on Spark, which runs Python applications: entrypoint '${code.file}' must be a .py file`);
      }
      // A relative path is refused where the transform is built; a URI is valid on Spark only.
      if (code.kind === 'entrypoint' && env.engine === 'datafusion' && /^[a-z0-9]+:\/\//.test(code.file)) {
        problems.add(t.path, `code: environment '${env.name}' runs transforms on DataFusion, which runs a file of its image: entrypoint '${code.file}' must be an absolute path`);
      }
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
