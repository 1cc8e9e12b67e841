/**
 * Model -> every file of every environment, in memory. A target's failure is reported
 * with the construct path it names and the target and environment it happened in.
 */
import { DfpError, type Problem } from '../constructs/model/errors.ts';
import { bindEnvironment } from '../constructs/model/bind-environment.ts';
import type { Environment, Model } from '../constructs/model/schema.ts';
import { RenderError, SYNC_WAVE, type Target, type TargetOutput } from '../targets/types.ts';

/** A rendered file with its full path below dist/. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
  readonly kubernetes: boolean;
  /** The pipeline the file belongs to (RenderedFile.pipeline). */
  readonly pipeline?: string;
}

const SAFE_PATH = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export function renderAll(model: Model, targets: readonly Target[]): OutputFile[] {
  // Targets that render `last` see what the others rendered for the same environment.
  const ordered = [...targets.filter((t) => !t.last), ...targets.filter((t) => t.last)];
  const bound = model.environments.map((env) => ({ env, model: bindEnvironment(model, env) }));
  // Every target's checks for every environment first: all problems are reported together,
  // and nothing is rendered when there is one.
  const problems: Problem[] = [];
  for (const { env, model: m } of bound) {
    for (const target of ordered.filter((t) => t.appliesTo(env))) {
      for (const p of target.check?.(m, env) ?? []) problems.push(blame(target, env, p.path, p.message));
    }
  }
  if (problems.length > 0) throw new DfpError(problems, 'rendering failed');

  const files = new Map<string, OutputFile>();
  for (const { env, model: m } of bound) {
    const outputs: TargetOutput[] = [];
    for (const target of ordered.filter((t) => t.appliesTo(env))) {
      try {
        const rendered = target.render(m, env, target.last ? outputs : []);
        outputs.push({ target: target.name, syncWave: target.syncWave ?? SYNC_WAVE.orchestrators, files: rendered });
        for (const f of rendered) {
          const path = `${env.name}/${target.name}/${f.path}`;
          // A path is a contract with reviewers and Argo CD: no escapes, no clashes, no CRLF.
          if (!SAFE_PATH.test(path) || files.has(path) || f.content.includes('\r') || !f.content.endsWith('\n')) {
            throw new Error(`target '${target.name}' produced an invalid or duplicate file '${path}'`);
          }
          files.set(path, {
            path,
            content: f.content,
            kubernetes: f.kubernetes,
            ...(f.pipeline !== undefined ? { pipeline: f.pipeline } : {}),
          });
        }
      } catch (e) {
        if (e instanceof RenderError) problems.push(blame(target, env, e.path, e.message));
        else throw e;
      }
    }
  }
  if (problems.length > 0) throw new DfpError(problems, 'rendering failed');
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const blame = (target: Target, env: Environment, path: string, message: string): Problem => ({
  path,
  message: `cannot render for ${target.name} in environment '${env.name}': ${message}`,
});
