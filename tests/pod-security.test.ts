/**
 * Every pod dfp renders meets the Kubernetes "restricted" Pod Security Standard, or is a
 * declared exception documented in docs/pod-security.md. Covers every pod spec found in
 * dist/ (all targets; Argo WorkflowTemplates too) and the golden fixtures, and shows
 * with mutated pods that the checker rejects each control it implements.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KvmAccess } from '../android/index.ts';
import { buildModel } from '../constructs/model/build.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { argoTarget } from '../targets/argo/index.ts';
import { TARGETS } from '../targets/index.ts';
import { buildApp } from '../main.ts';
import { benchmarkJob, benchmarkPipeline } from './fixtures/android.ts';
import { testApp } from './support/fixtures.ts';
import { EXCEPTION, podsIn, restrictedViolations, type PodSubject, type Violation } from './support/pod-security.ts';
import { ROOT } from './support/process.ts';

type Json = Record<string, any>;

/**
 * Every pod spec in every YAML document of the committed output and the golden files,
 * plus the Argo rendering of the examples for every environment: whichever orchestrator
 * an environment uses, the Argo WorkflowTemplates of the real pipelines are checked.
 */
function renderedPods(): PodSubject[] {
  const pods: PodSubject[] = [];
  const model = buildModel(buildApp());
  for (const env of model.environments) {
    for (const f of argoTarget.render(model, env))
      for (const doc of parseAllDocuments(f.content))
        pods.push(...podsIn(`argo-render/${env.name}/${f.path}`, doc.toJSON() as Json));
  }
  for (const [root, label] of [
    [join(ROOT, 'dist'), 'dist'],
    [join(ROOT, 'tests', 'golden'), 'golden'],
  ] as const) {
    for (const [path, content] of readTree(root)) {
      if (!/\.ya?ml$/.test(path)) continue;
      for (const doc of parseAllDocuments(content)) {
        const object = doc.toJS() as Json | null;
        if (object && typeof object === 'object') pods.push(...podsIn(`${label}/${path}`, object));
      }
    }
  }
  return pods;
}

/** The construct paths docs/pod-security.md lists as declared exceptions. */
function documentedExceptions(): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'pod-security.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Declared exceptions'), doc.indexOf('### Removing the exception'));
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

const isException = (pod: PodSubject) => pod.annotations[EXCEPTION.profile] === 'privileged';
const format = (vs: readonly Violation[]) =>
  vs.map((v) => `${v.pod} ${v.path} [${v.control}]: ${v.message}`).join('\n');

describe('every rendered pod meets the restricted profile or is a documented exception', () => {
  const pods = renderedPods();
  const documented = documentedExceptions();

  it('finds the pods: Argo step templates and the benchmark Jobs, in every environment', () => {
    const envs = buildModel(buildApp()).environments.map((e) => e.name);
    expect(envs).toEqual(['dev', 'prod', 'staging']);
    expect(pods.filter((p) => p.name.startsWith('argo-render/') && p.name.includes('(benchmark-android)')).length).toBe(
      envs.length,
    );
    expect(
      pods.filter((p) => p.name.startsWith('golden/') && p.name.includes('/argo/workflow-templates/')).length,
    ).toBeGreaterThan(0);
    expect(pods.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'dist/dev/android/kronodroid-runtime-benchmark.yaml#spec.template.spec',
        'dist/prod/android/kronodroid-runtime-benchmark.yaml#spec.template.spec',
        'dist/dev/spark/applications/kronodroid-iceberg.yaml#spec.driver',
        'dist/dev/spark/applications/kronodroid-iceberg.yaml#spec.executor',
        // staging: Argo WorkflowTemplates as committed, a DataFusion Job and the Chronon sync hook.
        'dist/staging/android/kronodroid-runtime-benchmark.yaml#spec.template.spec',
        'dist/staging/datafusion/jobs/kronodroid-iceberg.yaml#spec.template.spec',
        'dist/staging/chronon/sync/chronon-apply.yaml#spec.template.spec',
        'golden/transforms/on-datafusion/datafusion/jobs/join-orders.yaml#spec.template.spec',
      ]),
    );
    expect(documented).toEqual(['kronodroid-runtime-benchmark']);
  });

  for (const pod of pods) {
    if (isException(pod)) {
      it(`${pod.name}: a declared exception with a reason, listed in docs/pod-security.md`, () => {
        expect(pod.annotations[EXCEPTION.reason]?.length ?? 0).toBeGreaterThanOrEqual(10);
        expect(documented).toContain(pod.annotations[EXCEPTION.source]);
      });
    } else {
      it(`${pod.name}: restricted`, () => {
        expect(format(restrictedViolations(pod))).toBe('');
      });
    }
  }

  it('every documented exception is still rendered (no stale entries)', () => {
    const rendered = new Set(pods.filter(isException).map((p) => p.annotations[EXCEPTION.source]));
    expect([...rendered].sort()).toEqual([...documented].sort());
  });

  it('without its declaration the emulator pod breaks exactly the controls its privilege needs', () => {
    const job = pods.find((p) => p.name.startsWith('dist/dev/android/'))!;
    const controls = new Set(restrictedViolations({ ...job, annotations: {} }).map((v) => v.control));
    expect([...controls].sort()).toEqual([
      'Capabilities',
      'HostPath Volumes',
      'Privilege Escalation',
      'Privileged Containers',
      'Running as Non-root',
      'Seccomp',
    ]);
  });
});

describe('with KVM from a device plugin the benchmark needs no exception', () => {
  const app = testApp();
  benchmarkJob(app, { kvm: KvmAccess.devicePlugin() });
  benchmarkPipeline(app, { step: { kvm: KvmAccess.devicePlugin('squat.ai/kvm') } });
  const files = renderAll(buildModel(app), TARGETS);
  const pods = files
    .filter((f) => f.kubernetes)
    .flatMap((f) => parseAllDocuments(f.content).flatMap((d) => podsIn(f.path, d.toJS() as Json)));

  it('the Job and the Argo step are restricted and request the device', () => {
    const job = pods.find((p) => p.name.startsWith('test/android/bench.yaml'))!;
    const step = pods.find((p) => p.name.includes('(bench)'))!;
    for (const pod of [job, step]) {
      expect(isException(pod)).toBe(false);
      expect(format(restrictedViolations(pod))).toBe('');
    }
    expect(job.spec.containers[0].resources.limits['devices.kubevirt.io/kvm']).toBe('1');
    expect(step.spec.containers[0].resources.limits['squat.ai/kvm']).toBe('1');
  });
});

describe('the checker rejects each control of the profile', () => {
  const base: PodSubject = {
    name: 'pod',
    annotations: {},
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: 'x',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [{ name: 'scratch', emptyDir: {} }],
    },
  };
  const controlsOf = (change: (spec: Json, pod: { annotations: Record<string, string> }) => void): string[] => {
    const pod = structuredClone(base) as { name: string; annotations: Record<string, string>; spec: Json };
    change(pod.spec, pod);
    return [...new Set(restrictedViolations(pod).map((v) => v.control))];
  };
  const main = (spec: Json) => spec.containers[0];

  it('accepts the base pod', () => expect(format(restrictedViolations(base))).toBe(''));

  const cases: [string, (spec: Json, pod: { annotations: Record<string, string> }) => void, string][] = [
    [
      'hostNetwork',
      (s) => {
        s.hostNetwork = true;
      },
      'Host Namespaces',
    ],
    [
      'hostPID',
      (s) => {
        s.hostPID = true;
      },
      'Host Namespaces',
    ],
    [
      'hostIPC',
      (s) => {
        s.hostIPC = true;
      },
      'Host Namespaces',
    ],
    [
      'a hostPath volume',
      (s) => {
        s.volumes.push({ name: 'h', hostPath: { path: '/var' } });
      },
      'HostPath Volumes',
    ],
    [
      'a volume type outside the allow-list',
      (s) => {
        s.volumes.push({ name: 'g', gitRepo: { repository: 'x' } });
      },
      'Volume Types',
    ],
    [
      'a privileged container',
      (s) => {
        main(s).securityContext.privileged = true;
      },
      'Privileged Containers',
    ],
    [
      'allowPrivilegeEscalation unset',
      (s) => {
        delete main(s).securityContext.allowPrivilegeEscalation;
      },
      'Privilege Escalation',
    ],
    [
      'capabilities not dropped',
      (s) => {
        main(s).securityContext.capabilities.drop = ['NET_RAW'];
      },
      'Capabilities',
    ],
    [
      'a capability added',
      (s) => {
        main(s).securityContext.capabilities.add = ['SYS_ADMIN'];
      },
      'Capabilities',
    ],
    [
      'runAsNonRoot unset everywhere',
      (s) => {
        delete s.securityContext.runAsNonRoot;
      },
      'Running as Non-root',
    ],
    [
      'runAsNonRoot false on a container',
      (s) => {
        main(s).securityContext.runAsNonRoot = false;
      },
      'Running as Non-root',
    ],
    [
      'uid 0 on the pod',
      (s) => {
        s.securityContext.runAsUser = 0;
      },
      'Running as Non-root user',
    ],
    [
      'uid 0 on a container',
      (s) => {
        main(s).securityContext.runAsUser = 0;
      },
      'Running as Non-root user',
    ],
    [
      'no seccomp profile',
      (s) => {
        delete s.securityContext.seccompProfile;
      },
      'Seccomp',
    ],
    [
      'an Unconfined container',
      (s) => {
        main(s).securityContext.seccompProfile = { type: 'Unconfined' };
      },
      'Seccomp',
    ],
    [
      'a host port',
      (s) => {
        main(s).ports = [{ containerPort: 80, hostPort: 80 }];
      },
      'Host Ports',
    ],
    [
      'an unsafe sysctl',
      (s) => {
        s.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }];
      },
      'Sysctls',
    ],
    [
      'an unmasked /proc',
      (s) => {
        main(s).securityContext.procMount = 'Unmasked';
      },
      '/proc Mount Type',
    ],
    [
      'an SELinux user',
      (s) => {
        s.securityContext.seLinuxOptions = { user: 'system_u' };
      },
      'SELinux',
    ],
    [
      'a Windows HostProcess container',
      (s) => {
        main(s).securityContext.windowsOptions = { hostProcess: true };
      },
      'HostProcess',
    ],
    [
      'an unconfined AppArmor profile',
      (_, p) => {
        p.annotations['container.apparmor.security.beta.kubernetes.io/main'] = 'unconfined';
      },
      'AppArmor',
    ],
    [
      'an init container that escalates',
      (s) => {
        s.initContainers = [{ name: 'init', image: 'x', securityContext: { capabilities: { drop: ['ALL'] } } }];
      },
      'Privilege Escalation',
    ],
  ];
  for (const [what, change, control] of cases) {
    it(`rejects ${what} (${control})`, () => expect(controlsOf(change)).toEqual([control]));
  }

  it('finds Argo pods with workflow-level settings and Job pods with their annotations', () => {
    const wf = {
      kind: 'WorkflowTemplate',
      spec: {
        hostNetwork: true,
        templates: [
          { name: 'dag', dag: { tasks: [] } },
          { name: 's', container: { image: 'x' } },
        ],
      },
    };
    const argo = podsIn('wf', wf);
    expect(argo.map((p) => p.name)).toEqual(['wf#spec.templates[1] (s)']);
    expect(restrictedViolations(argo[0]!).map((v) => v.control)).toContain('Host Namespaces');
    const job = {
      kind: 'Job',
      spec: { template: { metadata: { annotations: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } } },
    };
    expect(podsIn('job', job).map((p) => [p.name, p.annotations])).toEqual([['job#spec.template.spec', { a: 'b' }]]);
    const spark = {
      kind: 'SparkApplication',
      spec: { driver: { podSecurityContext: { runAsUser: 0 }, securityContext: { privileged: true } }, executor: {} },
    };
    const [driver, executor] = podsIn('spark', spark);
    expect([driver!.name, executor!.name]).toEqual(['spark#spec.driver', 'spark#spec.executor']);
    expect(restrictedViolations(driver!).map((v) => v.control)).toEqual(
      expect.arrayContaining(['Privileged Containers', 'Running as Non-root user']),
    );
  });
});
