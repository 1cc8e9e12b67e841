/**
 * What Argo Workflows cannot express, checked for every pipeline and step before anything is
 * rendered, so that every problem is reported at once (synth/render.ts): a `{{` in any user
 * string Argo would evaluate as a template, and condition text its expression language cannot
 * quote. The renderers (container.ts, dag.ts, workflow-template.ts) refuse the same through
 * expressions.ts, as a last guard.
 */
import type { Problem } from '../../constructs/model/errors.ts';
import type { Arg, Condition, Model, Pipeline, Source, Step } from '../../constructs/model/schema.ts';
import { skippedContent } from './dag.ts';
import { bracesProblem, conditionTextProblem, valueText } from './expressions.ts';

type Add = (path: string, message: string | undefined) => void;

export function checkArgo(model: Model): Problem[] {
  const problems: Problem[] = [];
  const add: Add = (path, message) => {
    if (message !== undefined) problems.push({ path, message });
  };
  for (const p of model.pipelines) checkPipeline(p, add);
  return problems;
}

function checkPipeline(p: Pipeline, add: Add): void {
  for (const param of p.parameters) {
    if (param.default !== undefined)
      add(p.path, bracesProblem(`parameter '${param.name}' default`, valueText(param.default)));
  }
  for (const s of p.exitHandler ? [...p.steps, p.exitHandler] : p.steps) checkStep(p, s, add);
  for (const g of p.groups) {
    if (g.kind === 'condition') checkCondition(g.path, g.condition, add);
    else if (g.items.kind === 'literal') {
      for (const v of g.items.value as unknown[])
        add(g.path, bracesProblem('items', typeof v === 'string' ? v : JSON.stringify(v)));
    }
  }
}

function checkStep(p: Pipeline, s: Step, add: Add): void {
  const arg = (field: string, a: Arg) => {
    for (const part of a) if (part.kind === 'literal') add(s.path, bracesProblem(field, part.value));
  };
  add(s.path, bracesProblem('image', s.image));
  if (s.security.profile === 'privileged') add(s.path, bracesProblem('security.reason', s.security.reason));
  s.command.forEach((a, i) => arg(`command[${i}]`, a));
  s.args.forEach((a, i) => arg(`args[${i}]`, a));
  for (const e of s.env) arg(`env.${e.name}`, e.value);
  for (const i of s.inputs.parameters) literalSource(s.path, i.source, add);
  for (const a of s.inputs.artifacts) {
    const skipped = skippedContent(p, a.source);
    if (skipped !== undefined) add(s.path, bracesProblem(`inputArtifacts.${a.name}`, skipped));
  }
  for (const c of [s.when, s.skip?.when]) if (c) checkCondition(s.path, c, add);
}

function checkCondition(path: string, c: Condition, add: Add): void {
  for (const side of [c.left, c.right]) {
    if (side.kind === 'literal' && typeof side.value === 'string') add(path, conditionTextProblem(side.value));
  }
}

function literalSource(path: string, source: Source, add: Add): void {
  if (source.kind === 'literal') add(path, bracesProblem('a literal value', valueText(source.value)));
}
