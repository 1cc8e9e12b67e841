/**
 * Rules for one pipeline, over the plain model. Each problem names the construct path
 * and what to change.
 */
import { checkCron, checkTimezone } from './cron.ts';
import { article, type Problems } from './errors.ts';
import { groupChain } from './graph.ts';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkEnvVar,
  checkIdentifier,
  checkImage,
  checkLabelKey,
  checkLabelValue,
  checkSecretKey,
} from './names.ts';
import { checkQuantity, parseQuantity } from './quantity.ts';
import { ARTIFACT_TYPES, PARAM_TYPES, type Condition, type Pipeline, type Source, type Step } from './schema.ts';
import { jsonType } from './scope.ts';
import { checkInlineSecret, isSecretName, secretShape } from './secrets.ts';

export function checkPipeline(p: Pipeline, problems: Problems): void {
  const add = (path: string, message: string | undefined) => message && problems.add(path, message);
  add(p.path, checkDnsLabel('pipeline name', p.name));
  // Every orchestrator would accept an empty graph and run nothing: almost always a step forgotten or created in
  // another scope.
  if (p.steps.length === 0) {
    add(
      p.path,
      `pipeline '${p.name}' has no steps${p.exitHandler ? ' besides its exit handler' : ''}; add one (new ` +
        `ContainerStep(pipeline, 'my-step', { image: 'registry/repository:tag' })), or remove the pipeline`,
    );
  }
  if (p.schedule) {
    add(p.path, checkCron(p.schedule.cron));
    add(p.path, checkTimezone(p.schedule.timezone));
    add(p.path, checkScheduledParameters(p));
  }
  for (const tag of p.tags) {
    // Argo and Kubeflow list tags in one comma-separated annotation: a comma would split one.
    if (tag.includes(',') || tag.trim() === '')
      add(p.path, `tag '${tag}' must be non-empty and hold no ','; tags are listed comma-separated in annotations`);
  }
  if (p.timeoutSeconds !== undefined && p.timeoutSeconds <= 0) add(p.path, 'timeout must be longer than zero seconds');
  for (const param of p.parameters) {
    add(p.path, checkIdentifier('parameter', param.name));
    // The types exclude other names; JavaScript callers and casts do not.
    if (!isOneOf(PARAM_TYPES, param.type))
      add(
        p.path,
        `parameter '${param.name}' has the unknown type '${param.type}'; use one of ${PARAM_TYPES.join(', ')}`,
      );
    else if (param.default !== undefined && !accepts(param.type, jsonType(param.default))) {
      add(
        p.path,
        `parameter '${param.name}' is ${article(param.type)} but its default ${JSON.stringify(param.default)} ` +
          `is ${article(jsonType(param.default))}; change the default or the type`,
      );
    }
    // A default is written into every rendered file: it must never be a credential.
    if (param.default !== undefined && isSecretName(param.name)) {
      add(
        p.path,
        `parameter '${param.name}' names a credential but has a default, which would be written into dist/; ` +
          'drop the default and have the step read the value with secretEnv',
      );
    } else if (param.default !== undefined && secretShape(JSON.stringify(param.default))) {
      add(
        p.path,
        `parameter '${param.name}': the default holds what looks like ` +
          `${secretShape(JSON.stringify(param.default))}; store it in a Kubernetes Secret and read it with ` +
          'secretEnv',
      );
    }
  }

  const steps = p.exitHandler ? [...p.steps, p.exitHandler] : p.steps;
  const unique = checkUniqueNames(p, problems);
  const typeOf = sourceTyper(p);
  for (const s of steps) checkStep(s, typeOf, problems);
  // Graph rules look steps up by name; with duplicates they would blame the wrong step.
  if (!unique) return;
  checkGroups(p, typeOf, problems);
  checkCycles(p, problems);
  checkGroupBoundaries(p, problems);
  if (p.exitHandler) checkExitHandler(p, p.exitHandler, problems);
}

/**
 * A scheduled run is started by a clock, which has no value to give a parameter without a
 * default: Argo's cron controller refuses to submit the Workflow (its validator: "value is
 * required"), Airflow refuses to schedule the DAG, and a Kubeflow recurring run made from
 * the schedule would have nothing to pass. The same on every orchestrator, so a model rule.
 */
function checkScheduledParameters(p: Pipeline): string | undefined {
  const required = p.parameters.filter((x) => x.default === undefined).map((x) => `'${x.name}'`);
  if (required.length === 0) return undefined;
  const [noun, has, them] =
    required.length > 1 ? ['parameters', 'have', 'them defaults'] : ['parameter', 'has', 'it a default'];
  return (
    `${noun} ${required.join(', ')} ${has} no default, but the pipeline runs on a schedule ('${p.schedule!.cron}` +
    `'), and a scheduled run has nobody to supply a value (Argo's cron controller, Airflow's scheduler and a ` +
    `Kubeflow recurring run would start nothing); give ${them} or drop the schedule`
  );
}

const isOneOf = (names: readonly string[], name: unknown): boolean => typeof name === 'string' && names.includes(name);

/** `int` values are fine where a `float` is expected; nothing else converts. */
function accepts(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'float' && actual === 'int');
}

/** False when two steps or groups share a name. */
function checkUniqueNames(p: Pipeline, problems: Problems): boolean {
  let unique = true;
  const seen = new Map<string, string>();
  const all = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : []), ...p.groups];
  for (const node of all) {
    const message = checkDnsLabel('step name', node.name);
    if (message) problems.add(node.path, message);
    const first = seen.get(node.name);
    if (first) {
      problems.add(
        node.path,
        `duplicate step name '${node.name}' (also used by '${first}'); step and group names must be unique ` +
          'within the pipeline',
      );
      unique = false;
    } else seen.set(node.name, node.path);
    if (node.name === p.name)
      problems.add(
        node.path,
        `'${node.name}' is the pipeline's own name, which names its root task graph; rename the step`,
      );
  }
  return unique;
}

/** The rules one container obeys, in a pipeline or as a Job's container. */
export function checkStep(s: Step, typeOf: (src: Source) => string, problems: Problems): void {
  const add = (message: string | undefined) => message && problems.add(s.path, message);
  add(checkImage(s.image));
  for (const kind of ['requests', 'limits'] as const) {
    const q = s.resources[kind];
    if (q.cpu !== undefined) add(checkQuantity(`resources.${kind}.cpu`, q.cpu, '500m'));
    if (q.memory !== undefined) add(checkQuantity(`resources.${kind}.memory`, q.memory, '4Gi'));
  }
  for (const r of ['cpu', 'memory'] as const) {
    const req = parseQuantity(s.resources.requests[r] ?? '');
    const lim = parseQuantity(s.resources.limits[r] ?? '');
    if (req !== undefined && lim !== undefined && req > lim) {
      add(
        `resources.requests.${r} '${s.resources.requests[r]}' is more than resources.limits.${r} '` +
          `${s.resources.limits[r]}'; a request may not exceed its limit`,
      );
    }
  }
  const gpu = s.resources.gpu;
  if (gpu && (!Number.isSafeInteger(gpu.count) || gpu.count < 1))
    add(`resources.gpu.count must be a whole number of at least 1, not ${gpu.count}`);
  for (const kind of ['requests', 'limits'] as const) {
    const q = gpu?.cpuOnly?.[kind];
    if (q?.cpu !== undefined) add(checkQuantity(`resources.gpu.cpuOnly.${kind}.cpu`, q.cpu, '500m'));
    if (q?.memory !== undefined) add(checkQuantity(`resources.gpu.cpuOnly.${kind}.memory`, q.memory, '4Gi'));
  }
  checkSecurity(s, problems);

  const envNames = new Set<string>();
  for (const name of [...s.env.map((e) => e.name), ...s.secretEnv.map((e) => e.name)]) {
    add(checkEnvVar(name));
    if (envNames.has(name)) add(`environment variable '${name}' is set twice (env and secretEnv); keep one`);
    envNames.add(name);
  }
  // Secrets only by reference: no credential-named literal, nothing shaped like a key.
  const literalText = (a: Step['args'][number]) =>
    a.map((part) => (part.kind === 'literal' ? part.value : '')).join('');
  for (const e of s.env)
    add(
      checkInlineSecret(
        `env.${e.name}`,
        e.value.every((part) => part.kind === 'literal') ? e.name : undefined,
        literalText(e.value),
      ),
    );
  for (const [field, list] of [
    ['command', s.command],
    ['args', s.args],
  ] as const) {
    list.forEach((a, i) => add(checkInlineSecret(`${field}[${i}]`, undefined, literalText(a))));
  }
  for (const e of s.secretEnv) {
    add(checkDnsSubdomain(`secretEnv.${e.name}: secret name`, e.secret));
    add(checkSecretKey(e.secret, e.key));
  }

  for (const o of s.outputs.parameters) {
    if (!isOneOf(PARAM_TYPES, o.type))
      add(`output '${o.name}' has the unknown type '${o.type}'; use one of ${PARAM_TYPES.join(', ')}`);
  }
  for (const a of s.outputs.artifacts) {
    if (!isOneOf(ARTIFACT_TYPES, a.type))
      add(`output artifact '${a.name}' has the unknown type '${a.type}'; use one of ${ARTIFACT_TYPES.join(', ')}`);
  }
  const ioNames = new Set<string>();
  for (const o of [...s.outputs.parameters, ...s.outputs.artifacts, ...s.inputs.artifacts]) {
    add(checkIdentifier('output or input artifact', o.name));
    if (ioNames.has(o.name)) add(`'${o.name}' names more than one output or input artifact; give each its own name`);
    ioNames.add(o.name);
  }

  const volumeNames = new Set<string>();
  for (const v of s.volumes) {
    add(checkDnsLabel('volume name', v.name));
    if (volumeNames.has(v.name)) add(`volume '${v.name}' is mounted twice; give each volume its own name`);
    volumeNames.add(v.name);
    if (!v.mountPath.startsWith('/')) add(`volume '${v.name}': mountPath '${v.mountPath}' must be an absolute path`);
    if (v.source.kind === 'pvc') add(checkDnsSubdomain(`volume '${v.name}': claimName`, v.source.claimName));
    if (v.source.kind === 'configMap') add(checkDnsSubdomain(`volume '${v.name}': configMap`, v.source.name));
    if (v.source.kind === 'secret') add(checkDnsSubdomain(`volume '${v.name}': secret`, v.source.secretName));
    if (v.source.kind === 'emptyDir' && v.source.sizeLimit !== undefined)
      add(checkQuantity(`volume '${v.name}': sizeLimit`, v.source.sizeLimit, '1Gi'));
    if (v.source.kind === 'hostDevice' && !/^\/dev\/[A-Za-z0-9._/-]+$/.test(v.source.path))
      add(`volume '${v.name}': host device '${v.source.path}' must be a path under /dev/ (e.g. '/dev/kvm')`);
  }

  // The cluster refuses a pod whose selector or toleration is not label syntax: say so here.
  for (const [key, value] of Object.entries(s.nodeSelector)) {
    add(checkLabelKey('nodeSelector', key));
    add(checkLabelValue(`nodeSelector '${key}'`, value));
  }
  for (const t of s.tolerations) {
    if (t.key !== undefined) add(checkLabelKey('toleration', t.key));
    if (t.value !== undefined) add(checkLabelValue(`toleration '${t.key ?? '*'}'`, t.value));
    if (t.operator === 'Exists' && t.value !== undefined)
      add(`toleration '${t.key ?? '*'}': operator Exists takes no value; drop the value or use Equal`);
    if (t.operator === 'Equal' && t.key === undefined) add('a toleration with operator Equal needs a key');
  }
  if (s.retry) {
    const r = s.retry;
    if (!Number.isSafeInteger(r.limit) || r.limit < 0 || r.limit > 100)
      add(`retry.limit must be a whole number from 0 to 100, not ${r.limit}`);
    if (!Number.isSafeInteger(r.backoffSeconds) || r.backoffSeconds <= 0)
      add(`retry.backoffSeconds must be a whole number of seconds more than 0, not ${r.backoffSeconds}`);
    if (r.backoffFactor < 1) add('retry.backoffFactor must be at least 1');
    if (!Number.isSafeInteger(r.maxBackoffSeconds))
      add(`retry.maxBackoffSeconds must be a whole number of seconds, not ${r.maxBackoffSeconds}`);
    else if (r.maxBackoffSeconds < r.backoffSeconds)
      add('retry.maxBackoffSeconds must be at least retry.backoffSeconds');
  }
  if (s.timeoutSeconds !== undefined && s.timeoutSeconds <= 0) add('timeout must be longer than zero seconds');
  if (s.serviceAccount !== undefined) add(checkDnsSubdomain('serviceAccount', s.serviceAccount));
  if (s.when) checkCondition(s.path, 'when', s.when, typeOf, problems);
}

/** A device-plugin resource name: `<domain>/<name>`, as Kubernetes extended resources are. */
const EXTENDED_RESOURCE =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * The Pod Security rules a step's own settings can break: a host device or a privileged
 * container needs a declared exception with a reason; a restricted step runs as non-root.
 */
function checkSecurity(s: Step, problems: Problems): void {
  const add = (message: string) => problems.add(s.path, message);
  const sec = s.security;
  if (sec.profile === 'privileged' && sec.reason.trim().length < 10) {
    add(
      'security: a privileged exception needs a reason a reviewer can judge (at least 10 characters); say why ' +
        'the restricted profile will not do',
    );
  }
  if (sec.profile === 'restricted') {
    for (const [field, id] of [
      ['runAsUser', sec.runAsUser],
      ['runAsGroup', sec.runAsGroup],
    ] as const) {
      if (!Number.isSafeInteger(id) || id < 1 || id > 2147483647)
        add(`security.${field} ${id} must be a non-root id from 1 to 2147483647; the restricted profile forbids root`);
    }
    for (const v of s.volumes) {
      if (v.source.kind === 'hostDevice')
        add(
          `volume '${v.name}': host device '${v.source.path}' breaks the restricted Pod Security profile; ` +
            'declare security: Security.privileged(reason), or use a device-plugin resource (resources.devices)',
        );
    }
  }
  const seen = new Set<string>();
  for (const d of s.resources.devices) {
    if (!EXTENDED_RESOURCE.test(d.resource) || d.resource.length > 253)
      add(
        `resources.devices: '${d.resource}' is not an extended resource name; write it as '<domain>/<name>' ` +
          `(e.g. 'devices.kubevirt.io/kvm')`,
      );
    if (!Number.isSafeInteger(d.count) || d.count < 1)
      add(`resources.devices: '${d.resource}' count must be a whole number of at least 1, not ${d.count}`);
    if (seen.has(d.resource) || d.resource === s.resources.gpu?.resource)
      add(`resources.devices: '${d.resource}' is requested twice; request it once`);
    seen.add(d.resource);
  }
}

/**
 * The parameter type a Source yields in pipeline `p`; 'unknown' for loop items, whose
 * shape the loop's items decide, and for references already reported as dangling.
 */
function sourceTyper(p: Pipeline): (src: Source) => string {
  const paramType = (name: string) => p.parameters.find((x) => x.name === name)?.type ?? 'unknown';
  const outputType = (step: string, output: string) =>
    p.steps.find((s) => s.name === step)?.outputs.parameters.find((o) => o.name === output)?.type ?? 'unknown';
  return (src) =>
    src.kind === 'literal'
      ? jsonType(src.value)
      : src.kind === 'pipelineParam'
        ? paramType(src.name)
        : src.kind === 'taskOutput'
          ? outputType(src.step, src.output)
          : 'unknown';
}

function checkCondition(
  path: string,
  field: string,
  c: Condition,
  typeOf: (s: Source) => string,
  problems: Problems,
): void {
  const left = typeOf(c.left);
  const right = typeOf(c.right);
  const numeric = (t: string) => t === 'int' || t === 'float' || t === 'unknown';
  if (['<', '<=', '>', '>='].includes(c.op) && !(numeric(left) && numeric(right))) {
    problems.add(
      path,
      `${field}: '${c.op}' compares numbers, but the operands are ${left} and ${right}; compare int or float values`,
    );
  } else if (left !== 'unknown' && right !== 'unknown' && !accepts(left, right) && !accepts(right, left)) {
    problems.add(
      path,
      `${field}: compares ${article(left)} with ${article(right)}; both sides must have the same type`,
    );
  }
  for (const side of [c.left, c.right]) {
    if (side.kind === 'literal' && typeof side.value === 'object' && side.value !== null) {
      problems.add(path, `${field}: only strings, numbers and booleans can be compared`);
    }
  }
}

function checkGroups(p: Pipeline, typeOf: (src: Source) => string, problems: Problems): void {
  for (const g of p.groups) {
    if (g.kind === 'condition') checkCondition(g.path, 'when', g.condition, typeOf, problems);
    else {
      const t = typeOf(g.items);
      if (t !== 'list' && t !== 'unknown')
        problems.add(
          g.path,
          `items must be a list (a literal array, or a list parameter or output), not ${article(t)}`,
        );
      // Not when the builder reported the loop: a reference it could not resolve leaves an empty list behind.
      if (
        g.items.kind === 'literal' &&
        Array.isArray(g.items.value) &&
        g.items.value.length === 0 &&
        !problems.has(g.path)
      )
        problems.add(g.path, 'items is an empty list; the loop would never run');
      if (g.parallelism !== undefined && (!Number.isSafeInteger(g.parallelism) || g.parallelism < 1))
        problems.add(g.path, `parallelism must be a whole number of at least 1, not ${g.parallelism}`);
    }
  }
}

/** Depth-first search over dependsOn; reports each cycle once, as the path around it. */
function checkCycles(p: Pipeline, problems: Problems): void {
  const byName = new Map(p.steps.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    const mark = state.get(name);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      problems.add(
        byName.get(name)?.path ?? p.path,
        `dependency cycle: ${cycle.join(' -> ')}; remove one of these dependencies`,
      );
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) if (byName.has(dep)) visit(dep);
    stack.pop();
    state.set(name, 'done');
  };
  for (const s of p.steps) visit(s.name);
}

/**
 * A value produced inside a condition or loop exists only there: a step outside may
 * wait for the group, but not read what a step inside produced.
 */
function checkGroupBoundaries(p: Pipeline, problems: Problems): void {
  const producerGroup = new Map(p.steps.map((s) => [s.name, s.group]));
  for (const s of p.steps) {
    const mine = new Set(groupChain(p.groups, s.group));
    const reads = [
      ...s.inputs.parameters.flatMap((i) => (i.source.kind === 'taskOutput' ? [i.source.step] : [])),
      ...s.inputs.artifacts.map((a) => a.source.step),
    ];
    for (const producer of new Set(reads)) {
      const outside = groupChain(p.groups, producerGroup.get(producer)).filter((g) => !mine.has(g));
      if (outside.length > 0) {
        problems.add(
          s.path,
          `reads an output of '${producer}', which runs inside '${outside[0]}' and may not run or may run many ` +
            `times; move this step into '${outside[0]}', or depend on it with after() and read the data from ` +
            'storage',
        );
      }
    }
  }
}

function checkExitHandler(p: Pipeline, exit: Step, problems: Problems): void {
  if (exit.dependsOn.length > 0 || exit.inputs.artifacts.length > 0) {
    problems.add(
      exit.path,
      'the exit handler runs whether or not other steps ran, so it cannot read their outputs or wait for ' +
        `${exit.dependsOn.map((d) => `'${d}'`).join(', ')}; pass pipeline parameters instead`,
    );
  }
  for (const s of p.steps) {
    if (s.dependsOn.includes(exit.name))
      problems.add(s.path, `depends on the exit handler '${exit.name}', which runs last; remove the dependency`);
  }
}
