/**
 * A rendered SparkApplication (dist/<env>/spark/applications/*.yaml) run without the Spark
 * operator, which cannot be built here (its Go modules are refused): what the operator
 * would hand spark-submit for the application's driver, derived from the object itself, so
 * that a test runs what dist/ says and not a hand-written twin of it.
 *
 * - the program: `spark-submit`, the application's `mainApplicationFile` (a `local://`
 *   path is a path in the image) and `arguments`, then the run's own arguments (what the
 *   transform launcher appends: `--branch B --enabled true`);
 * - every `sparkConf` entry as `--conf`, every `hadoopConf` entry as
 *   `--conf spark.hadoop.<key>`, the driver's `memory` and `cores` as spark.driver.*;
 * - the executors become threads of the driver's JVM (`--master local[instances × cores]`):
 *   a driver with executor pods needs the operator's submission in cluster mode. That is the
 *   one difference from an operator run, and the callers say so.
 *
 * `hadoopOverrides` replaces hadoopConf values a test machine must change (the lakeFS
 * endpoint of a test server); any other key is refused, so that nothing else drifts.
 */

export interface SparkPodSpec {
  readonly cores?: number;
  readonly coreLimit?: string;
  readonly memory?: string;
  readonly instances?: number;
  readonly env?: readonly { name: string; value?: string; valueFrom?: unknown }[];
  readonly serviceAccount?: string;
  readonly podSecurityContext?: Record<string, unknown>;
  readonly securityContext?: Record<string, unknown>;
  readonly labels?: Record<string, string>;
}

export interface SparkApplication {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Record<string, string>;
    readonly labels?: Record<string, string>;
  };
  readonly spec: {
    readonly type: string;
    readonly mode?: string;
    readonly image: string;
    readonly imagePullPolicy?: string;
    readonly mainApplicationFile: string;
    readonly arguments?: readonly string[];
    readonly deps?: unknown;
    readonly sparkConf?: Record<string, string>;
    readonly hadoopConf?: Record<string, string>;
    readonly driver: SparkPodSpec;
    readonly executor: SparkPodSpec;
  };
}

export interface SubmitOptions {
  /** What the launcher appends for one run (`--branch B --enabled true`). */
  readonly runArgs?: readonly string[];
  /** hadoopConf keys whose value a test machine replaces (only keys the application has). */
  readonly hadoopOverrides?: Readonly<Record<string, string>>;
}

/** The application's program in the image: `local:///opt/dfp/x.py` is `/opt/dfp/x.py`. */
export function applicationFile(app: SparkApplication): string {
  const file = app.spec.mainApplicationFile;
  if (!file.startsWith('local://'))
    throw new Error(
      `${app.metadata.name}: mainApplicationFile ${file} is not in the image (local://); ` +
        'only the operator fetches other files',
    );
  return file.slice('local://'.length);
}

/** The executors' task slots, run as local threads: instances × cores (at least 1). */
export function localThreads(app: SparkApplication): number {
  return Math.max(1, (app.spec.executor.instances ?? 1) * (app.spec.executor.cores ?? 1));
}

/** The spark-submit command line of the application's driver (see above). */
export function sparkSubmitArgv(app: SparkApplication, options: SubmitOptions = {}): string[] {
  const spec = app.spec;
  if (app.kind !== 'SparkApplication') throw new Error(`${app.metadata.name}: a ${app.kind}, not a SparkApplication`);
  if (spec.type !== 'Python')
    throw new Error(`${app.metadata.name}: type ${spec.type}; dfp renders Python applications`);
  if (spec.deps !== undefined)
    throw new Error(
      `${app.metadata.name}: spec.deps asks for jars or files at start-up, which a pod without Maven cannot fetch`,
    );
  const hadoop = { ...(spec.hadoopConf ?? {}) };
  for (const [k, v] of Object.entries(options.hadoopOverrides ?? {})) {
    if (!(k in hadoop)) throw new Error(`${app.metadata.name}: hadoopConf has no ${k} to override`);
    hadoop[k] = v;
  }
  const conf: [string, string][] = [
    ['spark.driver.cores', String(spec.driver.cores ?? 1)],
    ...(spec.driver.memory ? ([['spark.driver.memory', spec.driver.memory]] as [string, string][]) : []),
    ...Object.entries(spec.sparkConf ?? {}),
    ...Object.entries(hadoop).map(([k, v]) => [`spark.hadoop.${k}`, v] as [string, string]),
  ];
  return [
    'spark-submit',
    '--master',
    `local[${localThreads(app)}]`,
    '--deploy-mode',
    'client',
    '--name',
    app.metadata.name,
    ...conf.flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    applicationFile(app),
    ...(spec.arguments ?? []),
    ...(options.runArgs ?? []),
  ];
}

/**
 * The environment the driver gets: its `env` entries, each literal value as it is and each
 * Secret reference resolved by `secret(name, key)` (a test's own credentials).
 */
export function driverEnv(
  app: SparkApplication,
  secret: (name: string, key: string) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of app.spec.driver.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else {
      const ref = (e.valueFrom as { secretKeyRef?: { name: string; key: string } } | undefined)?.secretKeyRef;
      if (!ref) throw new Error(`${app.metadata.name}: driver env ${e.name} is neither a value nor a Secret reference`);
      env[e.name] = secret(ref.name, ref.key);
    }
  }
  return env;
}

/** A Kubernetes memory quantity from Spark's notation (`8192m` is MiB, `2g` GiB). */
export function podMemory(spark: string): string {
  const m = /^(\d+)([kmgt]?)b?$/i.exec(spark);
  if (!m) throw new Error(`memory ${spark}: not in Spark's notation`);
  const unit = { '': '', k: 'Ki', m: 'Mi', g: 'Gi', t: 'Ti' }[m[2]!.toLowerCase()]!;
  return `${m[1]}${unit}`;
}

/**
 * The driver as a Pod that runs the application to the end (restartPolicy Never): the
 * image, ServiceAccount, labels, security contexts and environment of `spec.driver` as
 * rendered, the command of sparkSubmitArgv, CPU from the driver's cores and coreLimit, and
 * memory as the operator sizes a Python driver's container: spark.driver.memory plus
 * Spark's non-JVM overhead (40 %, at least 384 MiB).
 */
export function driverPod(
  app: SparkApplication,
  options: SubmitOptions & { readonly name: string; readonly namespace: string },
): Record<string, unknown> {
  const d = app.spec.driver;
  const heapMiB = Number(podMemory(d.memory ?? '1024m').replace(/Mi$/, '')) || 1024;
  const memory = `${heapMiB + Math.max(384, Math.ceil(heapMiB * 0.4))}Mi`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { ...(d.labels ?? {}), 'spark-role': 'driver' },
      annotations: { 'dfp.dev/spark-application': app.metadata.name },
    },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: d.serviceAccount,
      securityContext: d.podSecurityContext,
      containers: [
        {
          name: 'spark-kubernetes-driver',
          image: app.spec.image,
          imagePullPolicy: app.spec.imagePullPolicy ?? 'IfNotPresent',
          command: sparkSubmitArgv(app, options),
          env: d.env ?? [],
          securityContext: d.securityContext,
          resources: {
            requests: { cpu: String(d.cores ?? 1), memory },
            limits: { cpu: d.coreLimit ?? String(d.cores ?? 1), memory },
          },
        },
      ],
    },
  };
}
