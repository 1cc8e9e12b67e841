/** One model Step -> one Argo container template. */
import type { ITemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Template';
import type { Pipeline, Step, Volume } from '../../constructs/model/schema.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from '../pod-security.ts';
import { skippedContent } from './dag.ts';
import { argText, inputParameter, literal, PATHS } from './expressions.ts';

type Quantities = Record<string, string>;

function resources(s: Step): { requests?: Quantities; limits?: Quantities } | undefined {
  const gpu: Quantities = s.resources.gpu ? { [s.resources.gpu.resource]: String(s.resources.gpu.count) } : {};
  for (const d of s.resources.devices) gpu[d.resource] = String(d.count);
  const requests: Quantities = { ...s.resources.requests, ...gpu };
  const limits: Quantities = { ...s.resources.limits, ...gpu };
  const some = (q: Quantities) => (Object.keys(q).length ? q : undefined);
  return some(requests) || some(limits) ? { requests: some(requests), limits: some(limits) } : undefined;
}

function volumeSource(v: Volume): Record<string, unknown> {
  switch (v.source.kind) {
    case 'pvc':
      return { persistentVolumeClaim: { claimName: v.source.claimName, readOnly: v.readOnly || undefined } };
    case 'emptyDir':
      return { emptyDir: { medium: v.source.medium, sizeLimit: v.source.sizeLimit } };
    case 'configMap':
      return { configMap: { name: v.source.name } };
    case 'secret':
      return { secret: { secretName: v.source.secretName } };
    case 'hostDevice':
      return { hostPath: { path: v.source.path, type: 'CharDevice' } };
  }
}

/**
 * The pod- and container-level security contexts of the step's Pod Security profile, and
 * the annotations that declare a privileged exception where reviewers see it.
 */
function security(s: Step) {
  if (s.security.profile === 'privileged') {
    return {
      pod: undefined,
      container: { privileged: true },
      annotations: {
        'dfp.dev/pod-security': 'privileged',
        'dfp.dev/pod-security-reason': literal(s.path, 'security.reason', s.security.reason),
        'dfp.dev/source': s.path,
      },
    };
  }
  return {
    pod: restrictedPodSecurity(s.security.runAsUser, s.security.runAsGroup),
    container: restrictedContainerSecurity(),
    annotations: undefined,
  };
}

/**
 * How the template reads each input. A step's inputs are its template's input parameters,
 * which its DAG task passes. The exit handler has no task: Argo invokes it with the
 * workflow's own arguments, whatever inputs it declares, so an input named like a
 * parameter that has no default is "not supplied" to Argo's validator (it refuses the
 * WorkflowTemplate). The exit handler can only read pipeline parameters (the model refuses
 * anything else), so it reads them where they are, as `{{workflow.parameters.<name>}}`,
 * and declares no inputs.
 */
function inputReader(
  s: Step,
  exitHandler: boolean,
): { ref: (name: string) => string; declared: Step['inputs']['parameters'] } {
  if (!exitHandler) return { ref: inputParameter, declared: s.inputs.parameters };
  const globals = new Map(
    s.inputs.parameters.flatMap((i) => (i.source.kind === 'pipelineParam' ? [[i.name, i.source.name] as const] : [])),
  );
  return {
    ref: (name) => (globals.has(name) ? `{{workflow.parameters.${globals.get(name)}}}` : inputParameter(name)),
    declared: s.inputs.parameters.filter((i) => !globals.has(i.name)),
  };
}

/** The step's container template; `exitHandler`: the pipeline's exit handler (see inputReader). */
export function containerTemplate(p: Pipeline, s: Step, options: { exitHandler?: boolean } = {}): ITemplate {
  const at = s.path;
  const inputs = inputReader(s, options.exitHandler === true);
  const env = [
    ...s.env.map((e) => ({ name: e.name, value: argText(at, `env.${e.name}`, e.value, inputs.ref) })),
    ...s.secretEnv.map((e) => ({ name: e.name, valueFrom: { secretKeyRef: { name: e.secret, key: e.key } } })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  const params = inputs.declared.map((i) => ({ name: i.name }));
  const cacheable = s.caching && s.inputs.artifacts.length === 0;
  const sec = security(s);

  return {
    name: s.name,
    inputs: nonEmpty({
      parameters: nonEmptyList(params),
      artifacts: nonEmptyList(
        s.inputs.artifacts.map((a) => {
          const skipped = skippedContent(p, a.source);
          return {
            name: a.name,
            path: PATHS.inputArtifactPath(a.name),
            raw: skipped === undefined ? undefined : { data: literal(at, `inputArtifacts.${a.name}`, skipped) },
          };
        }),
      ),
    }),
    outputs: nonEmpty({
      parameters: nonEmptyList(
        s.outputs.parameters.map((o) => ({ name: o.name, valueFrom: { path: PATHS.outputPath(o.name) } })),
      ),
      artifacts: nonEmptyList(
        s.outputs.artifacts.map((a) => ({ name: a.name, path: PATHS.outputArtifactPath(a.name) })),
      ),
    }),
    container: {
      // @kubernetes-models wrongly requires a name on template containers; Argo's own is 'main'.
      name: 'main',
      image: literal(at, 'image', s.image),
      command: nonEmptyList(s.command.map((a, i) => argText(at, `command[${i}]`, a, inputs.ref))),
      args: nonEmptyList(s.args.map((a, i) => argText(at, `args[${i}]`, a, inputs.ref))),
      env: nonEmptyList(env),
      resources: resources(s),
      volumeMounts: nonEmptyList(
        s.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly || undefined })),
      ),
      securityContext: sec.container,
    },
    securityContext: sec.pod,
    metadata: sec.annotations ? { annotations: sec.annotations } : undefined,
    volumes: nonEmptyList(s.volumes.map((v) => ({ name: v.name, ...volumeSource(v) }))),
    nodeSelector: Object.keys(s.nodeSelector).length ? s.nodeSelector : undefined,
    tolerations: nonEmptyList(s.tolerations.map((t) => ({ ...t }))),
    retryStrategy: s.retry
      ? {
          limit: s.retry.limit,
          retryPolicy: 'Always',
          backoff: {
            duration: `${s.retry.backoffSeconds}s`,
            factor: s.retry.backoffFactor,
            cap: `${s.retry.maxBackoffSeconds}s`,
          },
        }
      : undefined,
    activeDeadlineSeconds: s.timeoutSeconds,
    serviceAccountName: s.serviceAccount,
    memoize: cacheable
      ? {
          key: [s.name, ...s.inputs.parameters.map((i) => inputs.ref(i.name))].join('/'),
          maxAge: '720h',
          // Argo's CRD schema requires a key (a ConfigMapKeySelector); Argo ignores it, entries are
          // keyed by memoize.key. Without it the API server refuses the WorkflowTemplate.
          cache: { configMap: { name: `dfp-memo-${p.name}`, key: s.name } },
        }
      : undefined,
  } as ITemplate;
}

function nonEmptyList<T>(xs: T[]): T[] | undefined {
  return xs.length ? xs : undefined;
}

function nonEmpty<T extends object>(o: T): T | undefined {
  return Object.values(o).some((v) => v !== undefined) ? o : undefined;
}
