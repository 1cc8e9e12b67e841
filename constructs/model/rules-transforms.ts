/**
 * What environments and pipelines demand of transforms: every environment's engine can
 * run every transform (it has an image for it, pinned as the environment's imageTagPolicy
 * requires, and an entrypoint it can start), and a step that runs a transform names one
 * that exists.
 */
import { environmentsNamed, type Problems } from './errors.ts';
import { imagePolicyProblems } from './images.ts';
import type { Model } from './schema.ts';

export function checkTransforms(model: Model, problems: Problems): void {
  // What a transform needs depends on the engine, not on which environment chose it: each
  // problem is reported once per engine, naming every environment on that engine.
  const engines = [...new Set(model.environments.map((e) => e.engine))].sort();
  for (const t of model.data.transforms) {
    // A transform with no image at all is reported once, where it is built.
    if (Object.keys(t.images).length === 0) continue;
    for (const engine of engines) {
      const envs = model.environments.filter((e) => e.engine === engine);
      const named = environmentsNamed(envs.map((e) => e.name));
      const run = `${named.who} ${named.plural ? 'run' : 'runs'}`;
      const image = t.images[engine];
      if (image === undefined) {
        const has = Object.keys(t.images).join(' or ');
        problems.add(
          t.path,
          `${run} transforms on ${engine}, but this transform has an image for ${has} only; add images.` +
            `${engine} or change the environment's engine`,
        );
        continue;
      }
      for (const policy of imagePolicyProblems(envs, image)) problems.add(t.path, `images.${engine}: ${policy}`);
      // What each engine can start; its renderer refuses the rest too, but only as a guard.
      const code = t.code;
      if (code.kind === 'entrypoint' && engine === 'spark' && !code.file.endsWith('.py')) {
        problems.add(
          t.path,
          `code: ${run} transforms on Spark, which runs Python applications: entrypoint '${code.file}' must be ` +
            'a .py file',
        );
      }
      // A relative path is refused where the transform is built; a URI is valid on Spark only.
      if (code.kind === 'entrypoint' && engine === 'datafusion' && /^[a-z0-9]+:\/\//.test(code.file)) {
        problems.add(
          t.path,
          `code: ${run} transforms on DataFusion, which runs a file of its image: entrypoint '${code.file}' ` +
            'must be an absolute path',
        );
      }
    }
  }
  const names = new Set(model.data.transforms.map((t) => t.name));
  for (const p of model.pipelines) {
    for (const s of p.exitHandler ? [...p.steps, p.exitHandler] : p.steps) {
      if (s.transform !== undefined && !names.has(s.transform)) {
        problems.add(
          s.path,
          `runs transform '${s.transform}', which is not part of this app; create the Transform under the same app`,
        );
      }
    }
  }
}
