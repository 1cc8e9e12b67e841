/**
 * One model step as a KFP executor: the container's image, command, args, constant env
 * and resources, with `{{$…}}` placeholders that the KFP driver fills in at run time.
 *
 * KFP fills placeholders in command and args only, never in env values (kubeflow/
 * pipelines#10111). An env var whose value is known only at run time is therefore set
 * by prefixing the command with `env NAME=<placeholder>`: one argv element per
 * variable, no shell, so the value cannot be parsed as code.
 */
import type { Arg, Step } from '../../constructs/model/schema.ts';
import { legacyResourceFields } from './legacy-resources.ts';
import type { ContainerSpec } from './ir.ts';

export const PLACEHOLDER = {
  input: (n: string) => `{{$.inputs.parameters['${n}']}}`,
  outputPath: (n: string) => `{{$.outputs.parameters['${n}'].output_file}}`,
  outputArtifactPath: (n: string) => `{{$.outputs.artifacts['${n}'].path}}`,
  inputArtifactPath: (n: string) => `{{$.inputs.artifacts['${n}'].path}}`,
};

/** A user string where the KFP driver substitutes placeholders; checkKubeflow refuses `{{$` in it. */
function literal(at: string, field: string, value: string): string {
  if (value.includes('{{$')) throw new Error(`dfp bug: ${at}: ${field} holds '{{$', which checkKubeflow refuses`);
  return value;
}

function argText(at: string, field: string, arg: Arg): string {
  return arg
    .map((part) => (part.kind === 'literal' ? literal(at, field, part.value) : PLACEHOLDER[part.kind](part.name)))
    .join('');
}

const isConstant = (arg: Arg): boolean => arg.every((p) => p.kind === 'literal');

function commandWithRuntimeEnv(s: Step, command: string[]): string[] {
  const runtime = s.env.filter((e) => !isConstant(e.value)).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (runtime.length === 0) return command;
  const first = command[0];
  // checkKubeflow (check.ts) refuses a missing command or one 'env' would misread.
  if (first === undefined) throw new Error(`dfp bug: ${s.path} has run-time env but no command`);
  return ['env', ...runtime.map((e) => `${e.name}=${argText(s.path, `env.${e.name}`, e.value)}`), ...command];
}

/** KFP has one accelerator slot per task: a GPU or one device-plugin resource. */
function accelerator(
  s: Step,
): { resourceType: string; resourceCount: string; type: string; count: string } | undefined {
  const wanted = [...(s.resources.gpu ? [s.resources.gpu] : []), ...s.resources.devices];
  if (wanted.length > 1)
    throw new Error(`dfp bug: ${s.path} asks for more than one accelerator, which checkKubeflow refuses`);
  const [only] = wanted;
  // `type` and `count` (an int64, a string in JSON) are what backends before KFP 2.4 read.
  return only
    ? { resourceType: only.resource, resourceCount: String(only.count), type: only.resource, count: String(only.count) }
    : undefined;
}

function resources(s: Step): Record<string, unknown> | undefined {
  const r = s.resources;
  const out: Record<string, unknown> = {
    resourceCpuRequest: r.requests.cpu,
    resourceCpuLimit: r.limits.cpu,
    resourceMemoryRequest: r.requests.memory,
    resourceMemoryLimit: r.limits.memory,
    ...legacyResourceFields(r),
    accelerator: accelerator(s),
  };
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}

export function containerSpec(s: Step): ContainerSpec {
  const command = s.command.map((a, i) => argText(s.path, `command[${i}]`, a));
  const args = s.args.map((a, i) => argText(s.path, `args[${i}]`, a));
  const fullCommand = commandWithRuntimeEnv(s, command);
  const env = s.env
    .filter((e) => isConstant(e.value))
    .map((e) => ({ name: e.name, value: argText(s.path, `env.${e.name}`, e.value) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    image: s.image,
    command: fullCommand.length ? fullCommand : undefined,
    args: args.length ? args : undefined,
    env: env.length ? env : undefined,
    resources: resources(s),
  };
}
