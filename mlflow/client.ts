/**
 * The few MLflow REST endpoints `dfp trace` reads (MLflow publishes no TypeScript
 * client): a run, a registered model version, a run's artifact listing, and one
 * artifact's bytes through the tracking server's artifact proxy. Every answer is checked
 * with zod here; every failure is an {@link MlflowError} saying what to do.
 */
import { z } from 'zod';
import { describeBody, fetchFailure } from '../synth/http-body.ts';

/** Props of {@link MlflowClient}. */
export interface MlflowClientProps {
  /** The tracking server, e.g. `http://mlflow:5000`. */
  readonly trackingUri: string;
  /** A bearer token (MLFLOW_TRACKING_TOKEN). @default none */
  readonly token?: string;
  /** Basic-auth user and password (MLFLOW_TRACKING_USERNAME / _PASSWORD). @default none */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** How long one request may take. @default 30_000 */
  readonly timeoutMs?: number;
}

/** An MLflow call that failed, with a message for the person running dfp. */
export class MlflowError extends Error {
  constructor(
    message: string,
    public readonly reason: 'unreachable' | 'timeout' | 'unauthorized' | 'not-found' | 'bad-response' | 'server',
  ) {
    super(message);
    this.name = 'MlflowError';
  }
}

const keyValue = z.object({ key: z.string(), value: z.string() });
const run = z.object({
  run: z.object({
    info: z.object({
      run_id: z.string(),
      experiment_id: z.string(),
      run_name: z.string().optional(),
      status: z.string(),
      artifact_uri: z.string(),
    }),
    data: z.object({
      metrics: z.array(z.object({ key: z.string(), value: z.number(), step: z.coerce.number().optional() })).optional(),
      params: z.array(keyValue).optional(),
      tags: z.array(keyValue).optional(),
    }),
  }),
});
const modelVersion = z.object({
  model_version: z.object({
    name: z.string(),
    version: z.string(),
    run_id: z.string(),
    source: z.string().optional(),
    tags: z.array(keyValue).optional(),
  }),
});
const artifactList = z.object({
  files: z
    .array(z.object({ path: z.string(), is_dir: z.boolean(), file_size: z.coerce.number().optional() }))
    .optional(),
});
const errorBody = z.object({ error_code: z.string().optional(), message: z.string() });

/** A run as `dfp trace` needs it: tags and metrics as maps, the artifact root. */
export interface MlflowRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly name?: string;
  readonly status: string;
  readonly artifactUri: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  /** The latest value of each metric. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** A registered model version: its run and its own tags. */
export interface MlflowModelVersion {
  readonly name: string;
  readonly version: string;
  readonly runId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One file among a run's artifacts. */
export interface MlflowArtifact {
  readonly path: string;
  readonly size: number;
}

const toMap = (pairs: readonly { key: string; value: string }[] | undefined) =>
  Object.fromEntries([...(pairs ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1)).map((p) => [p.key, p.value]));

export class MlflowClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly props: MlflowClientProps) {
    this.base = props.trackingUri.replace(/\/+$/, '');
    this.timeoutMs = props.timeoutMs ?? 30_000;
  }

  public async getRun(runId: string): Promise<MlflowRun> {
    const r = (await this.json(`/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`, run, `run '${runId}'`))
      .run;
    const metrics: Record<string, number> = {};
    for (const m of [...(r.data.metrics ?? [])].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : (a.step ?? 0) - (b.step ?? 0),
    ))
      metrics[m.key] = m.value;
    return {
      runId: r.info.run_id,
      experimentId: r.info.experiment_id,
      ...(r.info.run_name ? { name: r.info.run_name } : {}),
      status: r.info.status,
      artifactUri: r.info.artifact_uri,
      tags: toMap(r.data.tags),
      params: toMap(r.data.params),
      metrics,
    };
  }

  public async getModelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    const q = `name=${encodeURIComponent(name)}&version=${encodeURIComponent(version)}`;
    const v = (
      await this.json(
        `/api/2.0/mlflow/model-versions/get?${q}`,
        modelVersion,
        `model version models:/${name}/${version}`,
      )
    ).model_version;
    return { name: v.name, version: v.version, runId: v.run_id, tags: toMap(v.tags) };
  }

  /** Every file under the run's artifact root, depth first, sorted by path. */
  public async listArtifacts(runId: string, path = ''): Promise<MlflowArtifact[]> {
    const q = `run_id=${encodeURIComponent(runId)}${path ? `&path=${encodeURIComponent(path)}` : ''}`;
    const files =
      (await this.json(`/api/2.0/mlflow/artifacts/list?${q}`, artifactList, `the artifacts of run '${runId}'`)).files ??
      [];
    const out: MlflowArtifact[] = [];
    for (const f of files) {
      if (f.is_dir) out.push(...(await this.listArtifacts(runId, f.path)));
      else out.push({ path: f.path, size: f.file_size ?? 0 });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /**
   * One artifact's bytes, through the server's artifact proxy: the run's artifact root
   * must be `mlflow-artifacts:/…` (a server started with --serve-artifacts, MLflow's
   * default), so the client needs no credentials of the store behind it.
   */
  public async downloadArtifact(r: MlflowRun, path: string): Promise<Uint8Array> {
    const m = /^mlflow-artifacts:\/*(.*)$/.exec(r.artifactUri);
    if (!m) {
      throw new MlflowError(
        `run '${r.runId}' keeps its artifacts at ${r.artifactUri}, not behind the tracking server ` +
          '(mlflow-artifacts:/); start the server with --serve-artifacts',
        'bad-response',
      );
    }
    const root = m[1]!.replace(/\/+$/, '');
    const url = `/api/2.0/mlflow-artifacts/artifacts/${[...root.split('/'), ...path.split('/')]
      .filter((s) => s)
      .map(encodeURIComponent)
      .join('/')}`;
    const response = await this.fetch(url);
    const bytes = new Uint8Array(await this.body(response, 'arrayBuffer'));
    if (response.status !== 200)
      throw this.statusError(
        response.status,
        new TextDecoder().decode(bytes),
        `artifact '${path}' of run '${r.runId}'`,
      );
    return bytes;
  }

  private async json<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
    const response = await this.fetch(path);
    const text = await this.body(response, 'text');
    if (response.status !== 200) throw this.statusError(response.status, text, what);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new MlflowError(
        `${this.base} answered ${what} with ${describeBody(text)}, not MLflow's JSON; is ${this.base} an ` +
          'MLflow tracking server (e.g. http://mlflow:5000)?',
        'bad-response',
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new MlflowError(
        `${this.base} answered ${what} in a shape MLflow does not use (` +
          `${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}); is ` +
          `${this.base} an MLflow tracking server?`,
        'bad-response',
      );
    }
    return parsed.data;
  }

  private async fetch(path: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.props.token) headers.authorization = `Bearer ${this.props.token}`;
    else if (this.props.basicAuth)
      headers.authorization =
        'Basic ' +
        `${Buffer.from(`${this.props.basicAuth.username}:${this.props.basicAuth.password}`).toString('base64')}`;
    try {
      return await fetch(`${this.base}${path}`, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw this.transportError(e);
    }
  }

  private async body<K extends 'text' | 'arrayBuffer'>(
    response: Response,
    kind: K,
  ): Promise<K extends 'text' ? string : ArrayBuffer> {
    try {
      return (await response[kind]()) as K extends 'text' ? string : ArrayBuffer;
    } catch (e) {
      throw this.transportError(e);
    }
  }

  private transportError(e: unknown): MlflowError {
    const failure = fetchFailure(e);
    if (failure.timeout) {
      return new MlflowError(
        `MLflow at ${this.base} did not answer within ${this.timeoutMs / 1000} s; is it overloaded, or is ` +
          'MLFLOW_TRACKING_URI right?',
        'timeout',
      );
    }
    return new MlflowError(
      `cannot reach MLflow at ${this.base} (${failure.why}); is the tracking server running, and is ` +
        'MLFLOW_TRACKING_URI right?',
      'unreachable',
    );
  }

  private statusError(status: number, text: string, what: string): MlflowError {
    let body: z.infer<typeof errorBody> | undefined;
    try {
      const parsed = errorBody.safeParse(JSON.parse(text));
      if (parsed.success) body = parsed.data;
    } catch {
      body = undefined;
    }
    if (status === 401 || status === 403) {
      return new MlflowError(
        `MLflow at ${this.base} refused the credentials (${status}); check MLFLOW_TRACKING_TOKEN or ` +
          'MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD',
        'unauthorized',
      );
    }
    // MLflow's REST API answers errors with JSON {"error_code": …, "message": …}; a 404
    // HTML page (a web server, lakeFS's UI) means this is not MLflow, not that the run is missing.
    if (body?.error_code === undefined) {
      return new MlflowError(
        `${this.base} answered ${what} with ${status} and ${describeBody(text)}, not MLflow's JSON error; is ` +
          `${this.base} an MLflow tracking server (e.g. http://mlflow:5000)?`,
        status === 404 ? 'bad-response' : 'server',
      );
    }
    const detail = body.message;
    if (status === 404 || body.error_code === 'RESOURCE_DOES_NOT_EXIST')
      return new MlflowError(`MLflow at ${this.base} has no ${what} (${detail})`, 'not-found');
    return new MlflowError(`MLflow at ${this.base} failed to give ${what} (${status} ${detail})`, 'server');
  }
}
