/**
 * Model -> every file of every environment, in memory. A target's failure is reported
 * with the construct path it names and the target and environment it happened in.
 */
import { DfpError, type Problem } from '../constructs/model/errors.ts';
import type { Model } from '../constructs/model/schema.ts';
import { RenderError, type Target } from '../targets/types.ts';

/** A rendered file with its full path below dist/. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
  readonly kubernetes: boolean;
}

const SAFE_PATH = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export function renderAll(model: Model, targets: readonly Target[]): OutputFile[] {
  const files = new Map<string, OutputFile>();
  const problems: Problem[] = [];
  for (const env of model.environments) {
    for (const target of targets.filter((t) => t.appliesTo(env))) {
      try {
        for (const f of target.render(model, env)) {
          const path = `${env.name}/${target.name}/${f.path}`;
          // A path is a contract with reviewers and Argo CD: no escapes, no clashes, no CRLF.
          if (!SAFE_PATH.test(path) || files.has(path) || f.content.includes('\r') || !f.content.endsWith('\n')) {
            throw new Error(`target '${target.name}' produced an invalid or duplicate file '${path}'`);
          }
          files.set(path, { path, content: f.content, kubernetes: f.kubernetes });
        }
      } catch (e) {
        if (e instanceof RenderError) problems.push({ path: e.path, message: `cannot render for ${target.name} in environment '${env.name}': ${e.message}` });
        else throw e;
      }
    }
  }
  if (problems.length > 0) throw new DfpError(problems, 'rendering failed');
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
