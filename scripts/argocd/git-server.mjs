#!/usr/bin/env node
// Serves the git repositories under a folder over git's smart HTTP protocol (`git
// http-backend`, run as a CGI per request) on 127.0.0.1, for the Argo CD that
// scripts/argocd/up runs.
//
// dist/'s Applications name their repository https://git.example.com/<path>.git. Argo CD is
// not told another URL: its repository Secret for that URL names this server as the
// repository's HTTPS proxy (Argo CD's `proxy` repository setting), so the repo server sends
// `CONNECT git.example.com:443` here. The server answers that CONNECT itself: it terminates
// TLS with a certificate for git.example.com (made by scripts/argocd/up, trusted by the repo
// server through Argo CD's TLS certificate store, ARGOCD_TLS_DATA_PATH) and serves the
// request from the local folder. No connection ever leaves this process: a CONNECT to any
// other host is refused. Plain HTTP requests (http://127.0.0.1:PORT/<path>.git) are served
// too, for a look by hand.
//
// Usage: git-server.mjs PORT PROJECT_ROOT TLS_KEY TLS_CERT
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { TLSSocket } from 'node:tls';

const [port, root, keyFile, certFile] = process.argv.slice(2);
if (!port || !root || !keyFile || !certFile) {
  console.error('usage: git-server.mjs PORT PROJECT_ROOT TLS_KEY TLS_CERT');
  process.exit(2);
}
const HOST = 'git.example.com';
const key = readFileSync(keyFile);
const cert = readFileSync(certFile);

/** One request through `git http-backend` (CGI/1.1: the environment in, headers + body out). */
function backend(req, res) {
  const url = new URL(req.url ?? '/', 'http://local');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    // Trust the served folders whoever owns them (a temporary clone a test made).
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'safe.directory',
    GIT_CONFIG_VALUE_0: '*',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
  };
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n');
    let sep = 4;
    if (end < 0) {
      end = head.indexOf('\n\n');
      sep = 2;
    }
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + sep));
  });
  cgi.on('close', (code) => {
    if (!headersDone) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited ${code} without a response\n`);
    } else res.end();
  });
}

const server = createServer(backend);
server.on('connect', (req, socket) => {
  const [host, p] = (req.url ?? '').split(':');
  if (host !== HOST || (p ?? '443') !== '443') {
    socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  const tls = new TLSSocket(socket, { isServer: true, key, cert });
  tls.on('error', () => socket.destroy());
  server.emit('connection', tls);
});
server.listen(Number(port), '127.0.0.1', () => {
  console.error(`git-server: serving ${root} on http://127.0.0.1:${port} (and as https://${HOST}/ through CONNECT)`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
