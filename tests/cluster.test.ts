/**
 * The embedded cluster end to end (docs/cluster.md): `scripts/cluster/up` on a host where it
 * is not running, then, in a namespace whose Pod Security admission enforces "restricted",
 * a Pod and a Job of a static smoke image to Succeeded/Complete, pods that reach the API
 * service (by address and by name) and the bridge and have no route to any other address;
 * pods that resolve the platform services' names dist/ uses (CoreDNS) and reach them through
 * their Services (kube-proxy): lakeFS's healthcheck, MLflow's API with a model file logged
 * through its artifact proxy and read back from the host, MinIO; a Service with a selector
 * spread over its two pods; DataHub's and outside names resolving to nothing; the Secrets
 * dist/ names, with credentials lakeFS accepts; no listener beyond loopback and the bridge;
 * a privileged Pod refused (so the namespace really enforces), and an Argo Workflow of two
 * steps that passes a parameter and an artifact (through MinIO: the object is read back from
 * the bucket) to Succeeded; then `scripts/cluster/down`, and the host compared with how it
 * was before up: no process, mount, link, route, iptables rule, path, cgroup or kernel
 * setting left or changed.
 *
 * Needs root and a few minutes (more on the first run, which builds the binaries), so it
 * runs only with DFP_CLUSTER=1 (`make cluster-test`), not in `make test`. The choice of
 * kubeconfig (KUBECONFIG, else the embedded cluster's) is checked always.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKubeconfig } from './support/cluster.ts';
import { clusterServices, parseEndpoints } from './support/cluster-services.ts';
import { ROOT } from './support/process.ts';

const ENABLED = process.env.DFP_CLUSTER === '1';
const SCRIPTS = join(ROOT, 'scripts', 'cluster');
const NAMESPACE = 'dfp-smoke';
const ARGO_NAMESPACE = process.env.DFP_ARGO_NAMESPACE || 'argo';
const SMOKE_IMAGE = 'registry.dfp.internal/dfp/cluster-smoke:test';

function sh(command: string, args: string[], timeoutMs = 120_000, input?: string): string {
  const r = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The snapshot's lines that are this cluster's business. Other work on the machine comes and
 * goes meanwhile and is left out: podman's network (its bridge, veths on it, netavark's
 * chains), containers/storage and mmdebstrap mounts. IPv6 link-local and multicast routes
 * are left out too: every link has them, and the links themselves are compared.
 */
const OTHERS =
  /NETAVARK|netavark|podman|\/var\/lib\/containers|\/run\/containers|\/run\/user\/|\/tmp\/mmdebstrap|fe80::|ff00::\/8/;
function snapshot(): string[] {
  return sh(join(SCRIPTS, 'host-snapshot'), [])
    .split('\n')
    .filter((l) => l && !OTHERS.test(l));
}

let kubeconfig = '';
const kubectl = (args: string[], input?: string) =>
  sh(kubectlBin, ['--kubeconfig', kubeconfig, ...args], 300_000, input);
let kubectlBin = '';
let before: string[] = [];
let isUp = false;
let imagesDir = '';
const upLog: string[] = [];

/** The restricted security context every container here needs. */
const RESTRICTED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
const POD_SECURITY = { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } };

function smokePod(name: string, args: string[]) {
  return {
    restartPolicy: 'Never',
    securityContext: POD_SECURITY,
    containers: [
      {
        name,
        image: SMOKE_IMAGE,
        imagePullPolicy: 'Never',
        command: ['/bin/smoke'],
        args,
        securityContext: RESTRICTED,
      },
    ],
  };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not done within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!ENABLED)('embedded cluster (DFP_CLUSTER=1)', () => {
  beforeAll(() => {
    if (process.getuid?.() !== 0)
      throw new Error('the cluster test needs root: run it as root, or skip it (unset DFP_CLUSTER)');
    before = snapshot();
    if (before.some((l) => l.startsWith('link dfp0') || l.includes('/cluster/containerd'))) {
      throw new Error(
        'the embedded cluster is already running: stop it first (make cluster-down); the test compares the ' +
          'host before up and after down',
      );
    }
    // The smoke image: one static binary FROM scratch, in a folder of archives that up
    // imports the way it imports the platform's ($DFP_CLUSTER_IMAGES, default $DFP_CACHE/images).
    const images = mkdtempSync(join(tmpdir(), 'dfp-cluster-images-'));
    imagesDir = images;
    sh(
      'bash',
      [
        '-c',
        `set -euo pipefail; source ${SCRIPTS}/lib.sh
      (cd ${SCRIPTS}/smoke && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o ${images}/smoke .)
      docker_archive ${images}/smoke.tar ${SMOKE_IMAGE} /bin/smoke ${images}/smoke
      rm ${images}/smoke`,
      ],
      600_000,
    );
    const t0 = Date.now();
    const r = spawnSync(join(SCRIPTS, 'up'), {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60 * 60_000,
      env: { ...process.env, DFP_CLUSTER_IMAGES: images },
    });
    upLog.push(r.stderr);
    isUp = true;
    if (r.status !== 0) throw new Error(`scripts/cluster/up failed (exit ${r.status}):\n${r.stderr}`);
    kubeconfig = r.stdout.trim().split('\n').at(-1)!;
    console.log(
      `up: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('cluster: '))
        .join('\n')}`,
    );
    expect(r.stderr).toContain('images imported: ');
    expect(r.stderr).toMatch(/images imported: .*smoke\.tar/);
    kubectlBin = sh('bash', [
      '-c',
      `source ${SCRIPTS}/lib.sh; eval "$(${SCRIPTS}/build)"; echo "$BIN_DIR/kubectl-$K8S_VERSION"`,
    ]).trim();
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: NAMESPACE,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      }),
    );
    // The namespace's default ServiceAccount comes from the controller manager.
    return waitFor('default ServiceAccount', 60_000, () =>
      spawnSync(kubectlBin, ['--kubeconfig', kubeconfig, '-n', NAMESPACE, 'get', 'sa', 'default']).status === 0
        ? true
        : undefined,
    );
  }, 60 * 60_000);

  afterAll(() => {
    // Only if a test failed before the last one took the cluster down.
    if (isUp) spawnSync(join(SCRIPTS, 'down'), { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (imagesDir) rmSync(imagesDir, { recursive: true, force: true });
  }, 300_000);

  it('runs a Pod to Succeeded under Pod Security "restricted"', async () => {
    const t0 = Date.now();
    kubectl(
      ['-n', NAMESPACE, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hello' },
        spec: smokePod('hello', ['echo', 'hello from the embedded cluster']),
      }),
    );
    const phase = await waitFor('pod hello', 120_000, () => {
      const p = kubectl(['-n', NAMESPACE, 'get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}']);
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    });
    console.log(`pod to ${phase}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(phase).toBe('Succeeded');
    expect(kubectl(['-n', NAMESPACE, 'logs', 'hello'])).toBe('hello from the embedded cluster\n');
  }, 180_000);

  it('gives pods the API service and the bridge, and no route anywhere else', async () => {
    // A pod runs one program: one pod per address. 192.0.2.1 (TEST-NET-1) and 8.8.8.8 stand
    // for any outside address; with no route the pod's kernel refuses, so no packet leaves.
    const cases: [string, string, string][] = [
      ['net-api', '10.96.0.1:443', 'open'],
      ['net-api-name', 'kubernetes.default.svc:443', 'open'],
      ['net-minio', '10.77.0.1:9000', 'open'],
      ['net-testnet', '192.0.2.1:80', 'unreachable'],
      ['net-public', '8.8.8.8:53', 'unreachable'],
    ];
    for (const [name, address, want] of cases) {
      kubectl(
        ['-n', NAMESPACE, 'apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: smokePod(name, ['dial', address, want]),
        }),
      );
    }
    for (const [name, address, want] of cases) {
      const phase = await waitFor(`pod ${name}`, 120_000, () => {
        const p = kubectl(['-n', NAMESPACE, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']);
        return p === 'Succeeded' || p === 'Failed' ? p : undefined;
      });
      expect(`${address}: ${phase}: ${kubectl(['-n', NAMESPACE, 'logs', name]).trim()}`).toBe(
        `${address}: Succeeded: ${address}: ${want === 'open' ? 'open' : 'unreachable (no route)'}`,
      );
    }
  }, 300_000);

  /** Runs the smoke image with ARGS as pod NAME to its end; its phase and log. */
  async function runSmoke(name: string, args: string[]): Promise<{ phase: string; log: string }> {
    kubectl(
      ['-n', NAMESPACE, 'apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: smokePod(name, args) }),
    );
    const phase = await waitFor(`pod ${name}`, 120_000, () => {
      const p = kubectl(['-n', NAMESPACE, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']);
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    });
    return { phase, log: kubectl(['-n', NAMESPACE, 'logs', name]).trim() };
  }

  it(
    'resolves lakefs.lakefs.svc.cluster.local (and the staging ' + "name) in a pod and gets lakeFS's healthcheck",
    async () => {
      const services = clusterServices({ ...process.env, DFP_CLUSTER_DIR: join(kubeconfig, '..') });
      expect(services.lakefs.clusterEndpoint).toBe('http://lakefs.lakefs.svc.cluster.local:8000');
      const resolved = await runSmoke('dns-lakefs', ['resolve', 'lakefs.lakefs.svc.cluster.local']);
      const clusterIp = kubectl(['-n', 'lakefs', 'get', 'service', 'lakefs', '-o', 'jsonpath={.spec.clusterIP}']);
      // The name is the Service's address (CoreDNS), not the host's: kube-proxy routes it.
      expect(resolved).toEqual({ phase: 'Succeeded', log: `lakefs.lakefs.svc.cluster.local: ${clusterIp}` });
      for (const [name, url] of [
        ['lakefs-prod', services.lakefs.clusterEndpoint],
        ['lakefs-staging', services.lakefs.stagingClusterEndpoint],
      ] as const) {
        // lakeFS answers its healthcheck with 204 and no body.
        expect(await runSmoke(name, ['get', `${url}/api/v1/healthcheck`])).toEqual({ phase: 'Succeeded', log: '204' });
      }
    },
    300_000,
  );

  it(
    "reaches MLflow's API from a pod and logs a model through " + 'its artifact proxy, and reaches MinIO by name',
    async () => {
      const services = clusterServices({ ...process.env, DFP_CLUSTER_DIR: join(kubeconfig, '..') });
      const health = await runSmoke('mlflow-health', ['get', `${services.mlflow.clusterEndpoint}/health`]);
      expect(health).toEqual({ phase: 'Succeeded', log: '200 OK' });
      // The staging name, through the same server: a run with model/MLmodel uploaded to it.
      const logged = await runSmoke('mlflow-log', [
        'mlflow',
        services.mlflow.stagingClusterEndpoint,
        `cluster-test-${Date.now()}`,
      ]);
      expect(logged.phase, logged.log).toBe('Succeeded');
      const runId = logged.log;
      expect(runId).toMatch(/^[0-9a-f]{32}$/);
      // Read back from the host: the run finished, and the server holds the model file.
      const run = (await (
        await fetch(`${services.mlflow.endpoint}/api/2.0/mlflow/runs/get?run_id=${runId}`)
      ).json()) as any;
      expect(run.run.info.status).toBe('FINISHED');
      const listed = (await (
        await fetch(`${services.mlflow.endpoint}/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=model`)
      ).json()) as any;
      expect(listed.files.map((f: any) => f.path)).toEqual(['model/MLmodel']);
      const model = await (
        await fetch(`${services.mlflow.endpoint}/get-artifact?run_id=${runId}&path=model/MLmodel`)
      ).text();
      expect(model).toContain(`run_id: ${runId}`);
      for (const [name, url] of [
        ['minio-prod', services.minio.clusterEndpoint],
        ['minio-staging', services.minio.stagingClusterEndpoint],
      ] as const) {
        expect(await runSmoke(name, ['get', `${url}/minio/health/live`])).toEqual({ phase: 'Succeeded', log: '200' });
      }
    },
    300_000,
  );

  it('load-balances a Service with a selector across its pods (kube-proxy)', async () => {
    const labels = { app: 'echo' };
    kubectl(
      ['-n', NAMESPACE, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'echo' },
            spec: {
              replicas: 2,
              selector: { matchLabels: labels },
              template: {
                metadata: { labels },
                spec: {
                  securityContext: POD_SECURITY,
                  containers: [
                    {
                      name: 'echo',
                      image: SMOKE_IMAGE,
                      imagePullPolicy: 'Never',
                      command: ['/bin/smoke'],
                      args: ['serve', ':8080', '$(POD_NAME)'],
                      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                      readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
                      securityContext: RESTRICTED,
                    },
                  ],
                },
              },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'echo' },
            spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
          },
        ],
      }),
    );
    kubectl(['-n', NAMESPACE, 'rollout', 'status', 'deployment/echo', '--timeout=180s']);
    const pods = kubectl(['-n', NAMESPACE, 'get', 'pods', '-l', 'app=echo', '-o', 'jsonpath={.items[*].metadata.name}'])
      .split(' ')
      .sort();
    expect(pods).toHaveLength(2);
    // 20 connections through the Service's name: each pod answers some (the chance that
    // kube-proxy's random choice picks one pod 20 times is 2 × 2^-20).
    const r = await runSmoke('echo-client', ['get', `http://echo.${NAMESPACE}.svc.cluster.local`, '20']);
    expect(r.phase, r.log).toBe('Succeeded');
    const answers = r.log.split('\n');
    expect(answers).toHaveLength(20);
    expect([...new Set(answers)].sort()).toEqual(pods.map((p) => `200 ${p}`));
  }, 300_000);

  it("resolves only the cluster's names: DataHub GMS and outside names are NXDOMAIN", async () => {
    for (const [name, host] of [
      ['dns-datahub', 'datahub-datahub-gms.datahub.svc.cluster.local'],
      ['dns-outside', 'pypi.org'],
    ] as const) {
      const r = await runSmoke(name, ['resolve', host]);
      expect(r).toEqual({ phase: 'Failed', log: `smoke: lookup ${host} on 10.96.0.10:53: no such host` });
    }
  }, 300_000);

  it('creates the Secrets dist/ names, holding credentials the services accept', async () => {
    const ns = 'dfp-secrets';
    sh(join(SCRIPTS, 'secrets'), [ns], 120_000);
    const services = clusterServices({ ...process.env, DFP_CLUSTER_DIR: join(kubeconfig, '..') });
    const data = (name: string) => {
      const d = JSON.parse(kubectl(['-n', ns, 'get', 'secret', name, '-o', 'json'])).data as Record<string, string>;
      return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    };
    const lakefs = data('lakefs-credentials');
    expect(lakefs).toEqual({
      access_key_id: services.lakefs.accessKeyId,
      secret_access_key: services.lakefs.secretAccessKey,
    });
    for (const name of ['minio-credentials', 'object-store-credentials']) {
      expect(data(name)).toEqual({ accesskey: services.minio.accessKey, secretkey: services.minio.secretKey });
    }
    expect(Object.keys(data('datahub-token'))).toEqual(['token']);
    // lakeFS accepts the key: the current user is the admin up created.
    const auth = `Basic ${Buffer.from(`${lakefs.access_key_id}:${lakefs.secret_access_key}`).toString('base64')}`;
    const user = (await (
      await fetch(`${services.lakefs.endpoint}/api/v1/user`, { headers: { authorization: auth } })
    ).json()) as any;
    expect(user.user.id).toBe('dfp-admin');
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  }, 180_000);

  it('listens on nothing but loopback and the bridge address', () => {
    // Every listening socket of the cluster's processes: those in the session of a process
    // up started (each runs in its own, setsid), workers included.
    const out = sh('bash', [
      '-c',
      `source ${SCRIPTS}/lib.sh
      sessions=" $(cat "$STATE"/run/*.pid | tr '\\n' ' ') "
      ss -ltnupH | while read -r proto state recv send local peer users; do
        for pid in $(grep -o 'pid=[0-9]*' <<<"$users" | cut -d= -f2 | sort -u); do
          sid="$(ps -o sid= -p "$pid" | tr -d ' ')"
          [[ -n "$sid" && "$sessions" == *" $sid "* ]] && echo "$proto $local $(basename "$(readlink /proc/$pid/exe)")"
        done
      done | sort -u`,
    ]);
    const lines = out.trim().split('\n');
    console.log(`listening:\n${out}`);
    for (const want of [
      '10.77.0.1:53 coredns',
      '10.77.0.1:8000 lakefs',
      '10.77.0.1:5000 python',
      '10.77.0.1:9000 minio',
      '10.77.0.1:6443 kube-apiserver',
    ]) {
      const [address, name] = want.split(' ');
      expect(
        lines.some((l) => l.includes(` ${address} `) && l.split(' ')[2]!.startsWith(name!)),
        `${want}\n${out}`,
      ).toBe(true);
    }
    const elsewhere = lines.filter((l) => !/ (127\.0\.0\.1|\[::1\]|10\.77\.0\.1):\d+ /.test(l));
    expect(elsewhere).toEqual([]);
  });

  it('refuses a privileged Pod in that namespace (admission enforces "restricted")', () => {
    const r = spawnSync(kubectlBin, ['--kubeconfig', kubeconfig, '-n', NAMESPACE, 'apply', '-f', '-'], {
      encoding: 'utf8',
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'privileged' },
        spec: {
          containers: [
            { name: 'p', image: SMOKE_IMAGE, imagePullPolicy: 'Never', securityContext: { privileged: true } },
          ],
        },
      }),
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/violates PodSecurity "restricted:latest".*privileged/);
  });

  it('runs a Job to Complete', async () => {
    const t0 = Date.now();
    kubectl(
      ['-n', NAMESPACE, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'smoke-job' },
        spec: { backoffLimit: 0, template: { spec: smokePod('job', ['write', '/tmp/x', 'job ran', '/tmp/y', 'ok']) } },
      }),
    );
    const done = await waitFor('job smoke-job', 180_000, () => {
      const c = kubectl([
        '-n',
        NAMESPACE,
        'get',
        'job',
        'smoke-job',
        '-o',
        'jsonpath={range .status.conditions[?(@.status=="True")]}{.type} {end}',
      ]);
      return /Complete|Failed/.test(c) ? c.trim() : undefined;
    });
    console.log(`job to ${done}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(done).toContain('Complete');
    expect(kubectl(['-n', NAMESPACE, 'logs', 'job/smoke-job'])).toBe('wrote /tmp/x\nwrote /tmp/y\n');
  }, 240_000);

  it('runs an Argo Workflow of two steps passing a parameter and an artifact through MinIO', async () => {
    const token = `t-${Date.now()}`;
    const step = (name: string, args: string[], extra: Record<string, unknown>) => ({
      name,
      ...extra,
      container: {
        image: SMOKE_IMAGE,
        imagePullPolicy: 'Never',
        command: ['/bin/smoke'],
        args,
        securityContext: RESTRICTED,
      },
    });
    const workflow = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'smoke-steps' },
      spec: {
        entrypoint: 'main',
        serviceAccountName: 'argo-workflow',
        securityContext: POD_SECURITY,
        templates: [
          {
            name: 'main',
            steps: [
              [{ name: 'produce', template: 'produce' }],
              [
                {
                  name: 'consume',
                  template: 'consume',
                  arguments: {
                    parameters: [{ name: 'token', value: '{{steps.produce.outputs.parameters.token}}' }],
                    artifacts: [{ name: 'data', from: '{{steps.produce.outputs.artifacts.data}}' }],
                  },
                },
              ],
            ],
          },
          step('produce', ['write', '/tmp/token', token, '/tmp/data.txt', `artifact ${token}`], {
            outputs: {
              parameters: [{ name: 'token', valueFrom: { path: '/tmp/token' } }],
              artifacts: [{ name: 'data', path: '/tmp/data.txt' }],
            },
          }),
          // The artifact must hold "artifact " + the parameter: one check of both.
          step('consume', ['expect', '/tmp/in/data.txt', 'artifact {{inputs.parameters.token}}'], {
            inputs: { parameters: [{ name: 'token' }], artifacts: [{ name: 'data', path: '/tmp/in/data.txt' }] },
          }),
        ],
      },
    };
    const t0 = Date.now();
    kubectl(['-n', ARGO_NAMESPACE, 'create', '-f', '-'], JSON.stringify(workflow));
    const phase = await waitFor('workflow smoke-steps', 240_000, () => {
      const p = kubectl(['-n', ARGO_NAMESPACE, 'get', 'workflow', 'smoke-steps', '-o', 'jsonpath={.status.phase}']);
      return p === 'Succeeded' || p === 'Failed' || p === 'Error' ? p : undefined;
    });
    console.log(`workflow to ${phase}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const status = JSON.parse(kubectl(['-n', ARGO_NAMESPACE, 'get', 'workflow', 'smoke-steps', '-o', 'json'])).status;
    expect(phase, JSON.stringify(status, null, 1)).toBe('Succeeded');
    const nodes = Object.values(status.nodes) as any[];
    const produce = nodes.find((n) => n.displayName === 'produce');
    const consume = nodes.find((n) => n.displayName === 'consume');
    expect(produce.outputs.parameters[0].value).toBe(token);
    expect(consume.inputs.parameters[0].value).toBe(token);
    // The artifact went through MinIO: read the object back from the bucket.
    const key: string = produce.outputs.artifacts.find((a: any) => a.name === 'data').s3.key;
    const env = readFileSync(join(kubeconfig, '..', 'minio.env'), 'utf8');
    const user = /MINIO_ROOT_USER=(.*)/.exec(env)![1]!;
    const password = /MINIO_ROOT_PASSWORD=(.*)/.exec(env)![1]!;
    const out = join(mkdtempSync(join(tmpdir(), 'dfp-cluster-artifact-')), 'data.tgz');
    sh('curl', [
      '-fsS',
      '--aws-sigv4',
      'aws:amz:us-east-1:s3',
      '--user',
      `${user}:${password}`,
      '-o',
      out,
      `http://127.0.0.1:9000/argo-artifacts/${key}`,
    ]);
    expect(sh('tar', ['-xzOf', out])).toBe(`artifact ${token}`);
    rmSync(join(out, '..'), { recursive: true, force: true });
  }, 300_000);

  it('down leaves no process, mount, link, route, iptables rule, path, cgroup or kernel setting behind', () => {
    const t0 = Date.now();
    const r = spawnSync(join(SCRIPTS, 'down'), { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    isUp = false;
    expect(r.status, r.stderr).toBe(0);
    console.log(`down: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const after = snapshot();
    const added = after.filter((l) => !before.includes(l));
    const removed = before.filter((l) => !after.includes(l));
    expect({ added, removed }).toEqual({ added: [], removed: [] });
  }, 300_000);
});

describe('the kubeconfig pipeline runs use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-kubeconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (env: Record<string, string>) =>
    spawnSync(join(SCRIPTS, 'kubeconfig'), {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env },
    });

  it('is KUBECONFIG when set, in the TypeScript helper and the script alike', () => {
    const own = join(dir, 'own.yaml');
    writeFileSync(own, 'apiVersion: v1\nkind: Config\n');
    const env = { KUBECONFIG: own, DFP_CACHE: join(dir, 'cache') };
    expect(clusterKubeconfig(env)).toBe(own);
    expect(script(env).stdout.trim()).toBe(own);
  });

  it("is the embedded cluster's otherwise, and neither is an error that says what to do", () => {
    const env = { DFP_CLUSTER_DIR: join(dir, 'cluster') };
    expect(() => clusterKubeconfig(env)).toThrow(/make cluster-up.*or set KUBECONFIG/);
    const r = script(env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/make cluster-up.*or set KUBECONFIG/);
    sh('mkdir', ['-p', join(dir, 'cluster')]);
    writeFileSync(join(dir, 'cluster', 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    expect(clusterKubeconfig(env)).toBe(join(dir, 'cluster', 'kubeconfig'));
    expect(script(env).stdout.trim()).toBe(join(dir, 'cluster', 'kubeconfig'));
  });

  it("reads the platform services' endpoints, and names a missing one", () => {
    const text = [
      'KUBECONFIG=/k',
      'LAKEFS_ENDPOINT=http://10.77.0.1:8000',
      'LAKEFS_CLUSTER_ENDPOINT=http://lakefs.lakefs.svc.cluster.local:8000',
      'LAKEFS_STAGING_CLUSTER_ENDPOINT=http://lakefs.lakefs-staging.svc.cluster.local:8000',
      'LAKEFS_BLOCKSTORE=s3://lakefs',
      'LAKEFS_ACCESS_KEY_ID=AKIA',
      'LAKEFS_SECRET_ACCESS_KEY=a=b',
      'MLFLOW_TRACKING_URI=http://10.77.0.1:5000',
      'MLFLOW_CLUSTER_TRACKING_URI=http://mlflow.mlflow.svc.cluster.local:5000',
      'MLFLOW_STAGING_CLUSTER_TRACKING_URI=http://mlflow.mlflow-staging.svc.cluster.local:5000',
      'MINIO_ENDPOINT=http://10.77.0.1:9000',
      'MINIO_CLUSTER_ENDPOINT=http://minio.minio.svc.cluster.local:9000',
      'MINIO_STAGING_CLUSTER_ENDPOINT=http://minio.minio-staging.svc.cluster.local:9000',
      'MINIO_ACCESS_KEY=u',
      'MINIO_SECRET_KEY=p',
    ].join('\n');
    const s = parseEndpoints(text);
    expect(s.lakefs.secretAccessKey).toBe('a=b');
    expect(s.mlflow.stagingClusterEndpoint).toBe('http://mlflow.mlflow-staging.svc.cluster.local:5000');
    expect(s.minio).toEqual({
      endpoint: 'http://10.77.0.1:9000',
      clusterEndpoint: 'http://minio.minio.svc.cluster.local:9000',
      stagingClusterEndpoint: 'http://minio.minio-staging.svc.cluster.local:9000',
      accessKey: 'u',
      secretKey: 'p',
    });
    expect(() => parseEndpoints(text.replace(/^MINIO_SECRET_KEY=.*$/m, ''))).toThrow(/printed no MINIO_SECRET_KEY/);
  });

  it('says the services are not up when the cluster is not', () => {
    expect(() =>
      clusterServices({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DFP_CLUSTER_DIR: join(dir, 'nowhere') }),
    ).toThrow(/not up.*make cluster-up/);
  });

  it('is refused when KUBECONFIG names a file that does not exist', () => {
    const env = { KUBECONFIG: join(dir, 'missing.yaml') };
    expect(() => clusterKubeconfig(env)).toThrow(/missing\.yaml, which does not exist/);
    expect(script(env).stderr).toMatch(/missing\.yaml, which does not exist/);
  });
});
