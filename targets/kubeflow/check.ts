/**
 * What Kubeflow Pipelines cannot express, checked for every pipeline and step before
 * anything is rendered, so that every problem is reported at once (synth/render.ts).
 * The renderers (pipeline-spec.ts, executor.ts, platform.ts) assume these hold. Problems
 * that depend on where a value flows (channels.ts: a value read outside the group that makes
 * it; pipeline-spec.ts: a step after a conditional one) are still found while rendering, the
 * first per environment.
 */
import type { Problem } from '../../constructs/model/errors.ts';
import { PipelineGraph } from '../../constructs/model/graph.ts';
import type { Model, Pipeline, Step } from '../../constructs/model/schema.ts';
import { operandProblem } from './condition.ts';
import { PLACEHOLDER } from './executor.ts';
import { Scopes } from './scopes.ts';
import { standInStep } from './skip.ts';

export function checkKubeflow(model: Model): Problem[] {
  return model.pipelines.flatMap(checkPipeline);
}

function checkPipeline(p: Pipeline): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const scopes = new Scopes(p);
  // The stand-in of a skippable step (skip.ts) is a task like the steps; its image does not matter here.
  const graph = PipelineGraph.of(p);
  const standIns = scopes.skipBranches().map((b) => standInStep(graph.step(b.step)!, ''));
  const steps = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])];
  for (const s of [...steps, ...standIns]) checkStep(s, add);
  // Task names share one namespace per DAG and component names one per spec.
  const seen = new Map<string, string>(steps.map((s) => [s.name, s.path]));
  for (const s of standIns) {
    const clash = seen.get(s.name);
    if (clash !== undefined)
      add(
        s.path,
        `its Kubeflow stand-in task (when skipped) is named '${s.name}', like the step at ${clash}; rename one of them`,
      );
    seen.set(s.name, s.path);
  }
  for (const c of scopes.clashes)
    add(c.path, `its Kubeflow DAG is named '${c.id}', like the DAG of ${c.other}; rename one of them`);
  for (const scope of scopes.nested()) {
    // Each operand of a condition (a group's or a step's `when`), as condition.ts would print it.
    for (const side of scope.condition ? [scope.condition.left, scope.condition.right] : []) {
      const problem = operandProblem(side);
      if (problem !== undefined) add(scope.path, problem);
    }
    const clash = seen.get(scope.id);
    if (clash !== undefined)
      add(scope.path, `its Kubeflow DAG is named '${scope.id}', like the step at ${clash}; rename one of them`);
    seen.set(scope.id, scope.path);
  }
  return problems;
}

function checkStep(s: Step, add: (path: string, message: string) => void): void {
  // The KFP driver replaces `{{$…}}` in command and args and has no escape for it.
  const placeholder = (field: string) =>
    add(
      s.path,
      `${field} contains '{{$', which the Kubeflow Pipelines driver would replace as a placeholder and ` +
        'cannot escape; pass the text as a pipeline parameter or drop the braces',
    );
  s.command.forEach((a, i) => hasPlaceholder(a) && placeholder(`command[${i}]`));
  s.args.forEach((a, i) => hasPlaceholder(a) && placeholder(`args[${i}]`));
  for (const e of s.env) if (hasPlaceholder(e.value)) placeholder(`env.${e.name}`);
  if (s.serviceAccount !== undefined) {
    add(
      s.path,
      `serviceAccount '${s.serviceAccount}': Kubeflow runs every step of a run under the run's service ` +
        `account; drop it from the step (the environment's serviceAccount applies)`,
    );
  }
  for (const v of s.volumes) {
    if (v.source.kind === 'pvc' && v.readOnly) {
      add(
        s.path,
        `volume '${v.name}': Kubeflow mounts PVCs read-write only; drop readOnly or mount the claim in another ` +
          'orchestrator',
      );
    }
    if (v.source.kind === 'hostDevice') {
      add(
        s.path,
        `volume '${v.name}': Kubeflow cannot mount a host device (${v.source.path}); give the step a ` +
          'device-plugin resource instead (for KVM, KvmAccess.devicePlugin())',
      );
    }
  }
  if (s.security.profile === 'privileged') {
    add(
      s.path,
      `Kubeflow cannot run a privileged container (${s.security.reason}); use the restricted profile, with a ` +
        'device-plugin resource for devices',
    );
  }
  // KFP has one accelerator slot per task: a GPU or one device-plugin resource.
  if ((s.resources.gpu ? 1 : 0) + s.resources.devices.length > 1) {
    const wanted = [...(s.resources.gpu ? [s.resources.gpu] : []), ...s.resources.devices];
    add(
      s.path,
      'Kubeflow gives a task one accelerator, and this step asks for ' +
        `${wanted.map((w) => w.resource).join(' and ')}; keep one`,
    );
  }
  // Run-time env values go in through `env NAME=… <command>` (executor.ts).
  const runtime = s.env
    .filter((e) => !e.value.every((part) => part.kind === 'literal'))
    .map((e) => e.name)
    .sort();
  if (runtime.length === 0) return;
  const first = s.command[0];
  if (first === undefined) {
    add(
      s.path,
      `env ${runtime.join(', ')} is known only at run time, which Kubeflow can set only through the command; ` +
        'give the step an explicit command',
    );
  } else {
    const text = first
      .map((part) => (part.kind === 'literal' ? part.value : PLACEHOLDER[part.kind](part.name)))
      .join('');
    if (text.includes('=') || text.startsWith('-')) {
      add(
        s.path,
        `the command '${text}' would be read by 'env' as an option or a variable; start the command with the ` +
          `program's name`,
      );
    }
  }
}

const hasPlaceholder = (arg: Step['args'][number]) =>
  arg.some((part) => part.kind === 'literal' && part.value.includes('{{$'));
