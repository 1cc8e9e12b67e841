/**
 * ContainerStep props -> model Step. Runtime values used in args, env and conditions
 * become named step inputs, so that a target only ever sees a step reading its own
 * inputs, never another step's internals.
 */
import { lineageEnv, lineageProblems } from '../lineage.ts';
import { ENVIRONMENT_STAMPS } from './bind-environment.ts';
import type { IConstruct } from 'constructs';
import {
  ArtifactRef,
  Concat,
  LoopItemRef,
  OutputRef,
  ParamRef,
  PathPlaceholder,
  type Arg as ArgProp,
  type ArgPiece,
  type Comparison,
  type Operand,
} from '../refs.ts';
import { ContainerStep, type ContainerStepProps } from '../step.ts';
import { TransformStep } from '../transform-step.ts';
import { Transform } from '../transform.ts';
import type { Arg, ArgPart, Condition, DatasetRef, Security, Source, Step, Volume } from './schema.ts';
import { IcebergTable } from '../data.ts';
import { Security as SecurityValues, type SecurityProfile } from '../values.ts';
import type { ParamType } from '../refs.ts';
import { describeValue } from './errors.ts';
import type { PipelineScope } from './scope.ts';
import { inputNameFor } from './graph.ts';

/** Resolves references for one step, reporting problems at the step's path. */
export class StepBuilder {
  private readonly inputs = new Map<string, { name: string; type: ParamType; source: Source }>();
  private readonly path: string;

  constructor(
    private readonly step: ContainerStep,
    private readonly scope: PipelineScope,
  ) {
    this.path = step.node.path;
  }

  public build(): Step {
    const p = this.step.props;
    const outputs = Object.entries(p.outputs ?? {}).map(([name, spec]) =>
      typeof spec === 'string'
        ? { name, type: spec }
        : { name, type: spec.type ?? 'string', ...(spec.description ? { description: spec.description } : {}) },
    );
    const command = (p.command ?? []).map((a, i) => this.arg(a, `command[${i}]`));
    const args = (p.args ?? []).map((a, i) => this.arg(a, `args[${i}]`));
    const lineage = p.lineage ? lineageEnv(p.lineage, this.scope.pins) : {};
    for (const problem of p.lineage ? lineageProblems(p.lineage, this.scope.pins) : [])
      this.scope.problems.add(this.path, problem);
    const stamped = p.lineage ? [...Object.keys(lineage), ...ENVIRONMENT_STAMPS] : [];
    for (const name of stamped.filter((n) => p.env?.[n] !== undefined)) {
      this.scope.problems.add(this.path, `env.${name} is also set by lineage; remove it from env`);
    }
    const env = Object.entries({ ...p.env, ...lineage }).map(([name, value]) => ({
      name,
      value: this.arg(value, `env.${name}`),
    }));
    const when = p.when ? this.condition(p.when, 'when') : undefined;
    const skipSpec = this.step.skipSpec;
    const skip = skipSpec
      ? {
          when: this.condition(skipSpec.when, 'skip.when'),
          artifacts: Object.entries(skipSpec.artifacts)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, content]) => ({ name, content })),
        }
      : undefined;
    const artifacts = Object.entries(p.inputArtifacts ?? {}).map(([name, ref]) => {
      const type = this.scope.artifactType(ref, this.path, `inputArtifacts.${name}`) ?? 'Artifact';
      return { name, type, source: { step: this.scope.stepName(ref.step), output: ref.name } };
    });
    const implied = [
      ...[...this.inputs.values()].flatMap((i) => (i.source.kind === 'taskOutput' ? [i.source.step] : [])),
      ...artifacts.map((a) => a.source.step),
      ...(when ? [when.left, when.right].flatMap((s) => (s.kind === 'taskOutput' ? [s.step] : [])) : []),
      ...(skip ? [skip.when.left, skip.when.right].flatMap((s) => (s.kind === 'taskOutput' ? [s.step] : [])) : []),
    ];
    const explicit = this.step.explicitDependencies.flatMap((d) => this.scope.stepsOf(d, this.path, 'after()'));
    const dependsOn = [...new Set([...implied, ...explicit])].filter((d) => d !== '').sort();
    const group = this.scope.groupOf(this.step);

    return {
      name: this.step.node.id,
      path: this.path,
      ...(p.description !== undefined ? { description: p.description } : {}),
      image: p.image,
      command,
      args,
      env,
      secretEnv: this.secretEnv(p.secretEnv ?? {}),
      inputs: { parameters: [...this.inputs.values()], artifacts },
      outputs: {
        parameters: outputs,
        artifacts: Object.entries(p.outputArtifacts ?? {}).map(([name, type]) => ({ name, type })),
      },
      ...podSettingsModel(p),
      ...(p.retry
        ? {
            retry: {
              limit: p.retry.limit,
              backoffSeconds: p.retry.backoffSeconds ?? 30,
              backoffFactor: p.retry.backoffFactor ?? 2,
              maxBackoffSeconds: p.retry.maxBackoffSeconds ?? 3600,
            },
          }
        : {}),
      ...(p.timeout ? { timeoutSeconds: p.timeout.toSeconds() } : {}),
      caching: p.caching ?? false,
      ...(p.serviceAccount ? { serviceAccount: p.serviceAccount } : {}),
      security: securityModel(p.security),
      dependsOn,
      ...(group ? { group } : {}),
      ...(when ? { when } : {}),
      ...(skip ? { skip } : {}),
      ...(this.step instanceof TransformStep ? this.transform(this.step) : {}),
      ...(p.lineage ? { lineage: true as const } : {}),
      ...stepDatasets(this.step),
    };
  }

  /**
   * The transform a step runs, by name: a Transform of this app. One of another app
   * would run this app's transform of the same name, if there is one, so it is refused.
   */
  private transform(step: TransformStep): Pick<Step, 'transform'> {
    const t: unknown = step.transform;
    if (!(t instanceof Transform)) {
      this.scope.problems.add(
        this.path,
        `transform is ${describeValue(t)}, not a Transform; pass the Transform construct`,
      );
      return {};
    }
    if (t.node.root !== step.node.root)
      this.scope.problems.add(this.path, `runs transform '${t.node.id}' of another app; pass this app's Transform`);
    return { transform: t.node.id };
  }

  /**
   * Secret references only. A string where a `{ secret, key }` belongs is the value
   * itself, typed in (JavaScript callers, casts): it is reported, never rendered.
   */
  private secretEnv(refs: Readonly<Record<string, unknown>>): Step['secretEnv'] {
    const out: Step['secretEnv'] = [];
    for (const [name, ref] of Object.entries(refs)) {
      const r = ref as { secret?: unknown; key?: unknown } | null;
      if (r === null || typeof r !== 'object' || typeof r.secret !== 'string') {
        this.scope.problems.add(
          this.path,
          `secretEnv.${name} is ${typeof ref === 'string' ? 'a literal value' : 'not a Secret reference'}; ` +
            `secrets go in by reference only: { secret: '<Secret name>', key: '<key>' }`,
        );
        continue;
      }
      out.push({ name, secret: r.secret, key: typeof r.key === 'string' ? r.key : '' });
    }
    return out;
  }

  /** Condition operands: literals stay literals; runtime values are resolved, not made inputs. */
  public condition(c: Comparison, field: string): Condition {
    return { left: this.operand(c.left, `${field}.left`), op: c.op, right: this.operand(c.right, `${field}.right`) };
  }

  private operand(o: Operand, field: string): Source {
    if (typeof o === 'string' || typeof o === 'number' || typeof o === 'boolean') return { kind: 'literal', value: o };
    return this.scope.source(o, this.step, field) ?? { kind: 'literal', value: null };
  }

  private arg(a: ArgProp, field: string): Arg {
    const pieces: readonly ArgPiece[] = a instanceof Concat ? a.pieces : [a];
    const parts: ArgPart[] = [];
    for (const piece of pieces) {
      const part = this.piece(piece, field);
      const last = parts[parts.length - 1];
      // Adjacent literals merge so that equal arguments always have one model form.
      if (part.kind === 'literal' && last?.kind === 'literal')
        parts[parts.length - 1] = { kind: 'literal', value: last.value + part.value };
      else parts.push(part);
    }
    return parts.length === 0 ? [{ kind: 'literal', value: '' }] : parts;
  }

  private piece(piece: ArgPiece, field: string): ArgPart {
    if (typeof piece === 'string') return { kind: 'literal', value: piece };
    if (typeof piece === 'number' || typeof piece === 'boolean') return { kind: 'literal', value: String(piece) };
    if (piece instanceof PathPlaceholder) {
      this.scope.checkPlaceholder(this.step, piece, field);
      return { kind: piece.kind, name: piece.name };
    }
    if (piece instanceof ParamRef || piece instanceof OutputRef || piece instanceof LoopItemRef) {
      const source = this.scope.source(piece, this.step, field);
      if (!source) return { kind: 'literal', value: '' };
      const name = inputNameFor(source);
      const type = this.scope.sourceType(source);
      this.inputs.set(name, { name, type, source });
      return { kind: 'input', name };
    }
    // Only reachable from untyped callers (JavaScript, casts): the types exclude the rest.
    const stray: unknown = piece;
    if (stray instanceof ArtifactRef) {
      this.scope.problems.add(
        this.path,
        `${field}: artifact '${stray.name}' cannot be used as an argument; pass it in inputArtifacts and use ` +
          'inputArtifactPath() for its local path',
      );
    } else {
      this.scope.problems.add(
        this.path,
        `${field}: ${describeValue(stray)} cannot be used as an argument; use a string, a number, ` +
          'pipeline.param(), step.output(), loop.item() or a path placeholder',
      );
    }
    return { kind: 'literal', value: '' };
  }
}

/**
 * What a step reads and writes, for catalogues: a transform step its transform's input
 * and output tables, a step with `lineage:` its source table (when given as an
 * IcebergTable; a bare name is no known dataset). Other kinds of step (dbt, dlt) add
 * theirs in their own builders. Sorted by platform then name, each once; none when empty.
 */
export function stepDatasets(step: ContainerStep): Pick<Step, 'datasets'> {
  const reads: DatasetRef[] = [];
  const writes: DatasetRef[] = [];
  const iceberg = (t: unknown): DatasetRef[] =>
    t instanceof IcebergTable ? [{ platform: 'iceberg', name: t.qualifiedName }] : [];
  if (step instanceof TransformStep && step.transform instanceof Transform) {
    reads.push(...(step.transform.props.inputs ?? []).flatMap(iceberg));
    writes.push(...(step.transform.props.outputs ?? []).flatMap(iceberg));
  }
  if (step.props.lineage) reads.push(...iceberg(step.props.lineage.sourceTable));
  if (reads.length === 0 && writes.length === 0) return {};
  return { datasets: { reads: sortedRefs(reads), writes: sortedRefs(writes) } };
}

function sortedRefs(refs: DatasetRef[]): DatasetRef[] {
  const key = (r: DatasetRef) => `${r.platform}\u0000${r.name}`;
  const unique = new Map(refs.map((r) => [key(r), r]));
  return [...unique.keys()].sort().map((k) => unique.get(k)!);
}

/** The settings of a step's pod that hold no runtime values: resources, volumes, scheduling. */
export function podSettingsModel(
  p: ContainerStepProps,
): Pick<Step, 'resources' | 'volumes' | 'nodeSelector' | 'tolerations'> {
  const gpu = p.resources?.gpu;
  // The accelerator's nodes are where the step runs, so their labels and taints join the
  // step's own; the model keeps them apart as well, for an environment without accelerators.
  const gpuModel = gpu && {
    count: gpu.count,
    resource: gpu.resource ?? 'nvidia.com/gpu',
    nodeSelector: sortedRecord(gpu.nodeSelector ?? {}),
    tolerations: (gpu.tolerations ?? []).map(tolerationModel),
    ...(gpu.cpuOnly ? { cpuOnly: { requests: { ...gpu.cpuOnly.requests }, limits: { ...gpu.cpuOnly.limits } } } : {}),
  };
  return {
    resources: {
      requests: { ...p.resources?.requests },
      limits: { ...p.resources?.limits },
      ...(gpuModel ? { gpu: gpuModel } : {}),
      devices: (p.resources?.devices ?? [])
        .map((d) => ({ resource: d.resource, count: d.count ?? 1 }))
        .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
    },
    volumes: (p.volumes ?? []).map(volumeModel),
    nodeSelector: sortedRecord({ ...p.nodeSelector, ...gpuModel?.nodeSelector }),
    tolerations: [...(p.tolerations ?? []).map(tolerationModel), ...(gpuModel?.tolerations ?? [])],
  };
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function tolerationModel(t: import('../values.ts').Toleration): Step['tolerations'][number] {
  return { ...t, operator: t.operator ?? (t.value === undefined ? 'Exists' : 'Equal') };
}

/** Restricted unless a privileged exception is declared; a fresh plain copy either way. */
export function securityModel(s: SecurityProfile | undefined): Security {
  if (s?.profile === 'privileged') return { profile: 'privileged', reason: s.reason };
  return {
    profile: 'restricted',
    runAsUser: s?.runAsUser ?? SecurityValues.DEFAULT_USER,
    runAsGroup: s?.runAsGroup ?? SecurityValues.DEFAULT_USER,
  };
}

function volumeModel(v: import('../values.ts').VolumeMount): Volume {
  switch (v.kind) {
    case 'hostDevice':
      return { name: v.name, mountPath: v.path, readOnly: false, source: { kind: 'hostDevice', path: v.path } };
    case 'pvc':
      return {
        name: v.name,
        mountPath: v.mountPath,
        readOnly: v.readOnly ?? false,
        source: { kind: 'pvc', claimName: v.claimName },
      };
    case 'emptyDir':
      return {
        name: v.name,
        mountPath: v.mountPath,
        readOnly: false,
        source: {
          kind: 'emptyDir',
          ...(v.sizeLimit ? { sizeLimit: v.sizeLimit } : {}),
          ...(v.medium ? { medium: v.medium } : {}),
        },
      };
    case 'configMap':
      return { name: v.name, mountPath: v.mountPath, readOnly: true, source: { kind: 'configMap', name: v.configMap } };
    case 'secret':
      return { name: v.name, mountPath: v.mountPath, readOnly: true, source: { kind: 'secret', secretName: v.secret } };
  }
}

export type { IConstruct };
