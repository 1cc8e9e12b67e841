/**
 * The few words the lakeFS and MLflow clients put in an error: why a real `fetch` failed
 * (a closed port, a name that does not resolve, a server that never answers), and what a
 * server answered instead of JSON.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBody, fetchFailure } from '../synth/http-body.ts';

async function failureOf(url: string, timeoutMs = 5_000): Promise<ReturnType<typeof fetchFailure>> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    return fetchFailure(e);
  }
  throw new Error(`fetch ${url} succeeded`);
}

describe('fetchFailure', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort = 0;
  let closedPort = 0;

  beforeAll(async () => {
    // Accepts connections and never answers: only the deadline ends the request.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it('a closed port is "connection refused"', async () => {
    expect(await failureOf(`http://127.0.0.1:${closedPort}/`)).toEqual({ timeout: false, why: 'connection refused' });
  });

  it('a name that does not resolve is "unknown host"', async () => {
    expect(await failureOf('http://dfp-no-such-host.invalid/')).toEqual({ timeout: false, why: 'unknown host' });
  });

  it('a server that never answers is a timeout', async () => {
    expect(await failureOf(`http://127.0.0.1:${silentPort}/`, 300)).toEqual({ timeout: true });
  });

  it('anything else keeps its own code or message', () => {
    expect(fetchFailure(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toEqual({
      timeout: false,
      why: 'ECONNRESET',
    });
    expect(fetchFailure(new Error('bad port'))).toEqual({ timeout: false, why: 'bad port' });
  });
});

describe('describeBody', () => {
  it('names an HTML page by its title and cuts other text to one short line', () => {
    expect(describeBody('<html><title>404 Not Found</title><body>…</body></html>')).toBe(
      "an HTML page titled '404 Not Found'",
    );
    expect(describeBody('  ')).toBe('an empty body');
    expect(describeBody('a\nb')).toBe("'a b'");
    expect(describeBody('x'.repeat(100))).toBe(`'${'x'.repeat(80)}…'`);
  });
});
