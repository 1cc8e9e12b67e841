/**
 * A small typed client for the few lakeFS REST endpoints dfp uses (lakeFS publishes no
 * TypeScript client on npm). Every answer is checked with zod at this boundary, and every
 * failure becomes a {@link LakeFsError} whose message says what to do: wrong credentials,
 * an unknown repository or branch, a server that does not answer or is not running.
 */
import { z } from 'zod';
import { HEX64 } from '../constructs/model/names.ts';
import { describeBody, fetchFailure } from '../synth/http-body.ts';

/** Props of {@link LakeFsClient}. */
export interface LakeFsClientProps {
  /** The lakeFS server, e.g. `http://lakefs:8000` (a trailing `/api/v1` is accepted). */
  readonly endpoint: string;
  /** An access key id and its secret; omit for the setup calls, which need none. @default no credentials */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** How long one request may take. @default 10_000 */
  readonly timeoutMs?: number;
}

/** A lakeFS call that failed, with a message meant for the person running dfp. */
export class LakeFsError extends Error {
  constructor(
    message: string,
    /** What went wrong, for callers and tests that branch on it. */
    public readonly reason:
      'unreachable' | 'timeout' | 'unauthorized' | 'not-found' | 'conflict' | 'bad-response' | 'server',
  ) {
    super(message);
    this.name = 'LakeFsError';
  }
}

const ref = z.object({ id: z.string(), commit_id: z.string() });
const commit = z.object({
  id: z.string(),
  parents: z.array(z.string()),
  message: z.string(),
  creation_date: z.number(),
});
const credentials = z.object({ access_key_id: z.string(), secret_access_key: z.string() });
const setupState = z.object({ state: z.string().optional() });
const repository = z.object({ id: z.string(), default_branch: z.string(), storage_namespace: z.string() });
const errorBody = z.object({ message: z.string() });
const objectStats = z.object({
  path: z.string(),
  path_type: z.string(),
  checksum: z.string(),
  size_bytes: z.number().optional(),
});
const objectList = z.object({
  pagination: z.object({ has_more: z.boolean(), next_offset: z.string() }),
  results: z.array(objectStats),
});
const health = z.unknown();

/** A lakeFS branch or tag and the commit it points at now. */
export type LakeFsRefInfo = z.infer<typeof ref>;
/** A lakeFS commit. */
export type LakeFsCommit = z.infer<typeof commit>;
/** An object at a ref: its path, lakeFS's checksum of its bytes, its size. */
export interface LakeFsObject {
  readonly path: string;
  readonly checksum: string;
  readonly size: number;
}

/** Path segments and query values: repository and branch names go into URLs escaped. */
const enc = encodeURIComponent;

/** A commit id as lakeFS prints it: 64 lowercase hex digits. */

export class LakeFsClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly props: LakeFsClientProps) {
    this.base = `${props.endpoint.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
    this.timeoutMs = props.timeoutMs ?? 10_000;
  }

  /** The server's URL as the user gave it, for messages. */
  public get endpoint(): string {
    return this.props.endpoint;
  }

  /** Resolves once the server answers its health check. */
  public async healthcheck(): Promise<void> {
    await this.call('GET', '/healthcheck', health, { expect: [204, 200] });
  }

  /** Whether the installation still needs its first admin user. */
  public async needsSetup(): Promise<boolean> {
    const state = await this.call('GET', '/setup_lakefs', setupState);
    return state.state !== 'initialized';
  }

  /** Creates the first admin user and returns its credentials (the only time lakeFS shows the secret). */
  public async setup(username: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const c = await this.call('POST', '/setup_lakefs', credentials, { body: { username } });
    return { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key };
  }

  /** Creates a repository whose objects live under `storageNamespace`. */
  public async createRepository(name: string, storageNamespace: string, defaultBranch = 'main'): Promise<void> {
    await this.call('POST', '/repositories', repository, {
      expect: [201],
      body: { name, storage_namespace: storageNamespace, default_branch: defaultBranch },
      context: { repository: name },
    });
  }

  /** Creates `branch` from `source` (a branch, tag or commit). */
  public async createBranch(repo: string, branch: string, source: string): Promise<void> {
    await this.call('POST', `/repositories/${enc(repo)}/branches`, z.unknown(), {
      expect: [201],
      body: { name: branch, source },
      context: { repository: repo },
      text: true,
    });
  }

  /** Uploads `content` to `path` on `branch` (uncommitted until {@link commit}). */
  public async upload(repo: string, branch: string, path: string, content: string | Uint8Array): Promise<void> {
    await this.call(
      'POST',
      `/repositories/${enc(repo)}/branches/${enc(branch)}/objects?path=${enc(path)}`,
      z.unknown(),
      {
        expect: [201],
        raw: content,
        context: { repository: repo, branch },
      },
    );
  }

  /** Commits what is staged on `branch`; returns the new commit. */
  public async commit(repo: string, branch: string, message: string): Promise<LakeFsCommit> {
    return this.call('POST', `/repositories/${enc(repo)}/branches/${enc(branch)}/commits`, commit, {
      expect: [201],
      body: { message },
      context: { repository: repo, branch },
    });
  }

  /** The branch and the commit at its head now. */
  public async getBranch(repo: string, branch: string): Promise<LakeFsRefInfo> {
    return this.call('GET', `/repositories/${enc(repo)}/branches/${enc(branch)}`, ref, {
      context: { repository: repo, branch },
    });
  }

  /** The tag and the commit it points at. */
  public async getTag(repo: string, tag: string): Promise<LakeFsRefInfo> {
    return this.call('GET', `/repositories/${enc(repo)}/tags/${enc(tag)}`, ref, {
      context: { repository: repo, branch: tag },
    });
  }

  /** Tags `ref` (a branch, tag or commit) as `tag`. */
  public async createTag(repo: string, tag: string, ref: string): Promise<void> {
    await this.call('POST', `/repositories/${enc(repo)}/tags`, z.unknown(), {
      expect: [201],
      body: { id: tag, ref },
      context: { repository: repo },
    });
  }

  /** The commit `id` of `repo`, or a not-found error saying the repository lacks it. */
  public async getCommit(repo: string, id: string): Promise<LakeFsCommit> {
    try {
      return await this.call('GET', `/repositories/${enc(repo)}/commits/${enc(id)}`, commit, {
        context: { repository: repo, branch: id },
      });
    } catch (e) {
      if (e instanceof LakeFsError && e.reason === 'not-found') {
        await this.getRepository(repo);
        throw new LakeFsError(`lakeFS repository '${repo}' at ${this.endpoint} has no commit ${id}`, 'not-found');
      }
      throw e;
    }
  }

  /** Every object under `prefix` at `ref` (a commit, branch or tag), sorted by path. */
  public async listObjects(repo: string, ref: string, prefix: string): Promise<LakeFsObject[]> {
    const out: LakeFsObject[] = [];
    for (let after = ''; ;) {
      const q = `prefix=${enc(prefix)}&after=${enc(after)}&amount=1000`;
      const page = await this.call('GET', `/repositories/${enc(repo)}/refs/${enc(ref)}/objects/ls?${q}`, objectList, {
        context: { repository: repo, branch: ref },
      });
      for (const o of page.results.filter((r) => r.path_type === 'object'))
        out.push({ path: o.path, checksum: o.checksum, size: o.size_bytes ?? 0 });
      if (!page.pagination.has_more) return out.sort((a, b) => (a.path < b.path ? -1 : 1));
      after = page.pagination.next_offset;
    }
  }

  /** The bytes of `path` at `ref`. */
  public async getObject(repo: string, ref: string, path: string): Promise<Uint8Array> {
    const bytes = await this.call(
      'GET',
      `/repositories/${enc(repo)}/refs/${enc(ref)}/objects?path=${enc(path)}`,
      z.instanceof(Uint8Array),
      {
        context: { repository: repo, branch: ref },
        binary: true,
      },
    );
    return bytes;
  }

  /** The repository, or a not-found error naming it. */
  public async getRepository(repo: string): Promise<void> {
    await this.call('GET', `/repositories/${enc(repo)}`, repository, { context: { repository: repo } });
  }

  /**
   * The commit a branch (or tag) points at, as a 64-hex id. On a 404 it asks again for
   * the repository alone, because lakeFS answers 404 for either and the user needs to
   * know which.
   */
  public async resolve(repo: string, kind: 'branch' | 'tag', name: string): Promise<string> {
    let head: LakeFsRefInfo;
    try {
      head = kind === 'branch' ? await this.getBranch(repo, name) : await this.getTag(repo, name);
    } catch (e) {
      if (e instanceof LakeFsError && e.reason === 'not-found') {
        await this.getRepository(repo);
        throw new LakeFsError(
          `lakeFS repository '${repo}' at ${this.endpoint} has no ${kind} '${name}'; create it, or fix the ref ` +
            'in the definitions',
          'not-found',
        );
      }
      throw e;
    }
    if (!HEX64.test(head.commit_id)) {
      throw new LakeFsError(
        `lakeFS at ${this.endpoint} answered '${head.commit_id}' for ${repo}@${name}, which is not a commit id`,
        'bad-response',
      );
    }
    return head.commit_id;
  }

  /** {@link resolve} for a branch. */
  public async resolveBranch(repo: string, branch: string): Promise<string> {
    return this.resolve(repo, 'branch', branch);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodType<T>,
    options: {
      expect?: number[];
      body?: unknown;
      raw?: string | Uint8Array;
      text?: boolean;
      /** Return the body's bytes, unparsed. */
      binary?: boolean;
      context?: { repository?: string; branch?: string };
    } = {},
  ): Promise<T> {
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const c = this.props.credentials;
    if (c) headers.authorization = `Basic ${Buffer.from(`${c.accessKeyId}:${c.secretAccessKey}`).toString('base64')}`;
    let body: string | Blob | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (options.raw !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = typeof options.raw === 'string' ? options.raw : new Blob([new Uint8Array(options.raw)]);
    }

    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      throw this.transportError(e);
    }
    const text = new TextDecoder().decode(bytes);
    if (!(options.expect ?? [200]).includes(response.status))
      throw this.statusError(response.status, text, method, path, options.context ?? {});
    if (options.binary) return schema.parse(bytes);
    if (options.text || text === '') return schema.parse(text === '' ? undefined : text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new LakeFsError(
        `${this.endpoint} answered ${method} ${path} with ${describeBody(text)}, not lakeFS's JSON; is ` +
          `${this.endpoint} a lakeFS server (e.g. http://lakefs:8000)?`,
        'bad-response',
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new LakeFsError(
        `${this.endpoint} answered ${method} ${path} in a shape lakeFS does not use (` +
          `${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}); is ` +
          `${this.endpoint} a lakeFS server?`,
        'bad-response',
      );
    }
    return parsed.data;
  }

  private transportError(e: unknown): LakeFsError {
    const failure = fetchFailure(e);
    if (failure.timeout) {
      return new LakeFsError(
        `lakeFS at ${this.endpoint} did not answer within ${this.timeoutMs / 1000} s; is it overloaded, or is ` +
          'the endpoint right?',
        'timeout',
      );
    }
    return new LakeFsError(
      `cannot reach lakeFS at ${this.endpoint} (${failure.why}); is lakeFS running at ${this.endpoint}?`,
      'unreachable',
    );
  }

  private statusError(
    status: number,
    text: string,
    method: string,
    path: string,
    context: { repository?: string; branch?: string },
  ): LakeFsError {
    let body: z.infer<typeof errorBody> | undefined;
    try {
      const parsed = errorBody.safeParse(JSON.parse(text));
      if (parsed.success) body = parsed.data;
    } catch {
      body = undefined;
    }
    // lakeFS answers every error with JSON {"message": …}; anything else (a web server's
    // HTML 404, MLflow's pages) is not lakeFS, whatever the status says.
    if (body === undefined) {
      return new LakeFsError(
        `${this.endpoint} answered ${method} ${path} with ${status} and ${describeBody(text)}, not lakeFS's ` +
          `JSON error; is ${this.endpoint} a lakeFS server (e.g. http://lakefs:8000)?`,
        'bad-response',
      );
    }
    const detail = body.message;
    if (status === 401) {
      return new LakeFsError(
        `lakeFS at ${this.endpoint} rejected the credentials (401 ${detail}); check LAKEFS_ACCESS_KEY_ID and ` +
          'LAKEFS_SECRET_ACCESS_KEY',
        'unauthorized',
      );
    }
    if (status === 403) {
      return new LakeFsError(
        `lakeFS at ${this.endpoint} refused ${method} ${path} (403 ${detail}); the access key lacks permission`,
        'unauthorized',
      );
    }
    if (status === 404) {
      const what =
        context.branch === undefined && context.repository !== undefined
          ? `lakeFS at ${this.endpoint} has no repository '${context.repository}'; create it, or fix the ` +
            'repository in the definitions'
          : `lakeFS at ${this.endpoint} found nothing at ${method} ${path} (404 ${detail})`;
      return new LakeFsError(what, 'not-found');
    }
    if (status === 409)
      return new LakeFsError(
        `lakeFS at ${this.endpoint}: ${method} ${path} conflicts with what exists (409 ${detail})`,
        'conflict',
      );
    return new LakeFsError(`lakeFS at ${this.endpoint} failed ${method} ${path} (${status} ${detail})`, 'server');
  }
}
