/**
 * A scanner for secret-like values in rendered files, independent of dfp's own rules
 * (constructs/model/secrets.ts) so that a gap in those rules cannot hide here too.
 * Kinds: cloud key ids, private keys, JWTs, credential-named keys or env vars holding a
 * literal, high-entropy tokens, and the credentials the test suite itself uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type SecretKind =
  'aws-key-id' | 'private-key' | 'jwt' | 'inline-credential' | 'high-entropy' | 'test-credential';

export interface Finding {
  readonly file: string;
  readonly kind: SecretKind;
  /** A short excerpt, the value itself masked. */
  readonly excerpt: string;
}

const PATTERNS: readonly (readonly [SecretKind, RegExp])[] = [
  ['aws-key-id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g],
  ['private-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/g],
  ['jwt', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g],
  // `password: hunter2`, `token="abc…"`, `PASSWORD=…` in any text (YAML, Python, shell, URLs).
  [
    'inline-credential',
    new RegExp(
      /\b(password|passwd|pwd|api[_-]?key|client[_-]?secret|secret[_-]?access[_-]?key|auth[_-]?token|token)\b/.source +
        /["']?\s*[:=]\s*["']?[^\s"'{}$,)]{4,}/.source,
      'gi',
    ),
  ],
  // `scheme://user:password@host`
  ['inline-credential', /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/gi],
];

/** Env vars and mapping keys that name a credential: their value must come from a Secret. */
const CREDENTIAL_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** Mapping keys that hold the credential itself (not the name of a Secret or of a key in one). */
const CREDENTIAL_KEY = new RegExp(
  '^(' +
    [
      /password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key(_id)?/,
      /secret[_-]?access[_-]?key|private[_-]?key|client[_-]?secret/,
    ]
      .map((r) => r.source)
      .join('|') +
    ')$',
  'i',
);

/** A whole value that only names an environment variable (`${DATAHUB_GMS_TOKEN}`). */
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** Bits per character of `s`'s character distribution. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/**
 * Random-looking tokens: 24+ characters of a base64/base64url alphabet with upper and
 * lower case and digits, and more than 4.3 bits per character. Hex digests (commit ids,
 * sha256, run ids) top out at 4 bits per character and are what dfp legitimately writes.
 */
function highEntropyTokens(text: string): string[] {
  return [...text.matchAll(/[A-Za-z0-9+/_=-]{24,}/g)]
    .map((m) => m[0])
    .filter((t) => /[A-Z]/.test(t) && /[a-z]/.test(t) && /[0-9]/.test(t) && entropy(t) > 4.3);
}

const mask = (s: string) => (s.length <= 8 ? '***' : `${s.slice(0, 4)}…${s.slice(-2)}`);

/** Credential-named keys and env entries in YAML documents that hold a literal. */
function yamlFindings(text: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    // A Kubernetes/Argo/KFP env entry: { name: AWS_SECRET_ACCESS_KEY, value: '…' }.
    if (typeof o.name === 'string' && CREDENTIAL_NAME.test(o.name) && typeof o.value === 'string' && o.value !== '')
      out.push(`${o.name}=${mask(o.value)}`);
    for (const [k, v] of Object.entries(o)) {
      // `${VAR}` is a reference the reader expands from its environment (a DataHub recipe's token), not a value.
      if (
        CREDENTIAL_KEY.test(k) &&
        (typeof v === 'string' || typeof v === 'number') &&
        String(v) !== '' &&
        !ENV_REFERENCE.test(String(v))
      )
        out.push(`${k}: ${mask(String(v))}`);
      // Nested YAML text (an Argo artifact repository ConfigMap holds YAML as a string).
      if (typeof v === 'string' && v.includes(':\n')) out.push(...yamlFindings(v));
      else walk(v);
    }
  };
  try {
    for (const doc of parseAllDocuments(text)) walk(doc.toJS());
  } catch {
    // Not YAML after all: the text patterns still apply.
  }
  return out;
}

/** Python: `name="…SECRET…", value=` in an env var, as a KubernetesPodOperator would set it. */
function pythonFindings(text: string): string[] {
  return [...text.matchAll(/name\s*=\s*["'](\w+)["']\s*,\s*value\s*=\s*["']/g)]
    .filter((m) => CREDENTIAL_NAME.test(m[1]!))
    .map((m) => `${m[1]}=…`);
}

/** Every finding in one file's text. */
export function scanText(file: string, text: string, testCredentials: readonly string[] = []): Finding[] {
  const findings: Finding[] = [];
  for (const [kind, re] of PATTERNS)
    for (const m of text.matchAll(re)) findings.push({ file, kind, excerpt: mask(m[0]) });
  for (const t of highEntropyTokens(text)) findings.push({ file, kind: 'high-entropy', excerpt: mask(t) });
  if (/\.ya?ml$/.test(file))
    for (const e of yamlFindings(text)) findings.push({ file, kind: 'inline-credential', excerpt: e });
  if (file.endsWith('.py'))
    for (const e of pythonFindings(text)) findings.push({ file, kind: 'inline-credential', excerpt: e });
  for (const c of testCredentials)
    if (text.includes(c)) findings.push({ file, kind: 'test-credential', excerpt: mask(c) });
  return findings;
}

/** Every file below `dir`, relative paths. */
function files(dir: string, skip: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (skip.test(p)) continue;
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Scans every file below `dir`; paths in findings are relative to `root`. */
export function scanTree(
  dir: string,
  root: string,
  testCredentials: readonly string[] = [],
): { files: number; findings: Finding[] } {
  const list = files(dir, /\/(node_modules|\.venv|\.git)(\/|$)/);
  return {
    files: list.length,
    findings: list.flatMap((f) => scanText(relative(root, f), readFileSync(f, 'utf8'), testCredentials)),
  };
}

/**
 * The credentials the test suite itself uses anywhere (fixtures, harnesses, scripts):
 * cloud key ids and 40-character secret keys, the password of a URL's user info, and the
 * literal of any credential-named assignment. None of them may ever reach dist/.
 */
export function testCredentials(dirs: readonly string[]): string[] {
  const found = new Set<string>();
  for (const dir of dirs) {
    for (const f of files(dir, /\/(node_modules|\.venv|\.git|golden)(\/|$)|\.(lock|json)$/)) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g)) found.add(m[0]);
      for (const m of text.matchAll(/["'`]([A-Za-z0-9/+]{40})["'`]/g))
        if (/[A-Z]/.test(m[1]!) && /[a-z]/.test(m[1]!)) found.add(m[1]!);
      for (const m of text.matchAll(/:\/\/[^\s/:@'"`]+:([^\s/@'"`]{4,})@/g)) found.add(m[1]!);
      for (const m of text.matchAll(
        new RegExp(
          '\\b(?:' +
            [/[A-Z_]*(?:PASSWORD|SECRET_ACCESS_KEY|ACCESS_KEY_ID|TOKEN)/, /password|accessKey|secretKey/]
              .concat([/access_key|secret_key|token/])
              .map((r) => r.source)
              .join('|') +
            ')' +
            /["']?\s*[:=]\s*["'`]([^"'`\s]{4,})["'`]/.source,
          'g',
        ),
      ))
        found.add(m[1]!);
    }
  }
  // Env var names (`SLACK_TOKEN`), the words themselves and elided examples are not credentials.
  const notValue = (v: string) =>
    (/^[A-Z][A-Z0-9_]*$/.test(v) && !/^(AKIA|ASIA)/.test(v)) ||
    /^(password|secret|token|accesskey|secretkey)$/i.test(v) ||
    /[^\x21-\x7e]/.test(v);
  return [...found].filter((v) => !notValue(v)).sort();
}
