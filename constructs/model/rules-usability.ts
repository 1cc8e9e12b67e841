/**
 * Mistakes the cluster or the orchestrator would only refuse at run time (issue 27):
 * a step created outside any pipeline (rendered nowhere), and two volumes mounted at one
 * path in a container (Kubernetes refuses the pod). Kept apart from the other rule files
 * so that rules added there merge without conflict.
 */
import type { IConstruct } from 'constructs';
import { Pipeline } from '../pipeline.ts';
import { ContainerStep } from '../step.ts';
import type { Problems } from './errors.ts';
import type { Model, Step } from './schema.ts';

/** Every ContainerStep must sit in a Pipeline (directly or in its groups); elsewhere no target renders it. */
export function checkStepPlacement(all: readonly IConstruct[], problems: Problems): void {
  for (const c of all) {
    if (!(c instanceof ContainerStep) || c.node.scopes.some((s) => s instanceof Pipeline)) continue;
    const parent = c.node.scopes[c.node.scopes.length - 2];
    const under = parent && parent.node.path !== '' ? `'${parent.node.path}', which is not a pipeline` : 'the app';
    problems.add(
      c.node.path,
      `this step is created under ${under}, so no orchestrator would run it; create it in a Pipeline (new ` +
        `ContainerStep(pipeline, '${c.node.id}', {...})) or in a Condition or ParallelFor of one`,
    );
  }
}

/** One mount per path in a container: Kubernetes refuses `mountPath` twice ("must be unique"). */
export function checkMountPaths(model: Model, problems: Problems): void {
  for (const p of model.pipelines) {
    for (const s of [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])] as Step[]) {
      const at = new Map<string, string>();
      for (const v of s.volumes) {
        const path = v.mountPath.replace(/\/+$/, '') || '/';
        const first = at.get(path);
        if (first !== undefined)
          problems.add(
            s.path,
            `volumes '${first}' and '${v.name}' are both mounted at '${path}'; Kubernetes refuses two mounts ` +
              'at one path: give one of them another mountPath',
          );
        else at.set(path, v.name);
      }
    }
  }
}
