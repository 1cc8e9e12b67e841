/**
 * Injection fuzz across every target: hostile strings (quotes, backslashes, line ends,
 * Unicode, YAML indicators, `{{ }}`, `{% %}`, `$(`, backticks, `"""`; never NUL) go into
 * every free-text field (tests/fixtures/injection-app.ts), every target renders them, and
 * the outputs are parsed back the way their consumers read them: YAML and JSON with the
 * `yaml` parser, Python with `ast` in one real Python process, Airflow's templated fields
 * with Jinja's sandbox, Kubeflow conditions as CEL string literals, Markdown with `marked`.
 *
 * Where each value must appear is learned, not hand-listed: the same app is rendered with
 * a plain marker, and every place the marker lands (a YAML path, a Python constant's path
 * in the tree) is where the hostile string must come back, whole. Argo `{{` and Kubeflow
 * `{{$` may instead be refused by a rule that names the construct path; nothing else may.
 * Zero differences. DFP_FUZZ_RUNS sets the number of strings (make fuzz: 5000).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { marked, type Token } from 'marked';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { TARGETS } from '../targets/index.ts';
import { RenderError, type TargetOutput } from '../targets/types.ts';
import { AIRFLOW_PYTHON } from './support/airflow.ts';
import { ROOT, run } from './support/process.ts';
import {
  conditionsApp,
  exceptionsApp,
  plainApp,
  valuesOf,
  VALIDATED_FIELDS,
  type Values,
} from './fixtures/injection-app.ts';

const RUNS = Number(process.env.DFP_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.DFP_FUZZ_SEED ?? 20261202);
/** Plain markers, one per kind of value (injection-app.ts's Values), to find where each lands. */
const MARKS: Values = { s: 'dfpMARKq', tag: 'dfpTAGq', revision: 'dfpREVq' };
const hasMark = (text: string) => Object.values(MARKS).some((m) => text.includes(m));
const fill = (template: string, v: Values, f: (x: string) => string = (x) => x) =>
  // Replacer functions: a `$'` in the value must not be read as a replacement pattern.
  template
    .replaceAll(MARKS.s, () => f(v.s))
    .replaceAll(MARKS.tag, () => f(v.tag))
    .replaceAll(MARKS.revision, () => f(v.revision));

/** Pieces that break naive quoting in YAML, Python, Jinja, Argo, CEL, Markdown and shells. */
const hostile = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc
      .array(
        fc.constantFrom(
          '"',
          "'",
          '"""',
          "'''",
          '\\',
          '\\n',
          '\\u0041',
          '\n',
          '\r\n',
          '\r',
          '\t',
          ' ',
          '  ',
          ': ',
          '#',
          '- ',
          '? ',
          '&a',
          '*a',
          '!tag',
          '|',
          '>',
          '%',
          '@',
          '`',
          '---',
          '...',
          '[',
          ']',
          '{',
          '}',
          ',',
          '{{',
          '}}',
          '{{ 7*7 }}',
          '{{$.inputs}}',
          '{{workflow.name}}',
          '{%',
          '%}',
          '{# #}',
          '$(',
          '$(id)',
          '${x}',
          '`id`',
          'yes',
          'no',
          'on',
          'null',
          '~',
          '0x1F',
          '0755',
          '1e3',
          '.inf',
          'true',
          '2026-12-02',
          '```',
          '<!--',
          '-->',
          '<b>',
          '| a |',
          '# h',
          '\\|',
          '\u2028',
          '\u2029',
          '\u0085',
          '\u00a0',
          '\ufeff',
          '\u202e',
          'é',
          'ß',
          '🚀',
          '👩‍👩‍👧',
          '\x7f',
          '\u000b',
          '\u000c',
          '.yaml',
          '.json',
          // Names of Object.prototype: a lookup in a plain object must not take them for keys.
          'valueOf',
          'constructor',
          '__proto__',
          'toString',
          'hasOwnProperty',
        ),
        { maxLength: 10 },
      )
      .map((xs) => xs.join('')),
  )
  // NUL-free; not empty, because an empty description or owner means "none" and is left out.
  .filter((s) => s !== '' && !s.includes('\u0000'));

// ---------------------------------------------------------------- rendering, per target

interface Refusal {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}
interface Rendered {
  readonly files: Map<string, string>;
  readonly refused: Refusal[];
}

/** Every target's files, each target on its own, so a refusal by one hides none of the others. */
function renderEach(app: DfpApp): Rendered | DfpError {
  let model;
  try {
    model = buildModel(app);
  } catch (e) {
    if (e instanceof DfpError) return e;
    throw e;
  }
  const files = new Map<string, string>();
  const refused: Refusal[] = [];
  const ordered = [...TARGETS.filter((t) => !t.last), ...TARGETS.filter((t) => t.last)];
  for (const env of model.environments) {
    const outputs: TargetOutput[] = [];
    for (const t of ordered.filter((x) => x.appliesTo(env))) {
      // A target renders only what its checks accept (synth/render.ts).
      const problems = t.check?.(model, env) ?? [];
      if (problems.length > 0) {
        refused.push(...problems.map((p) => ({ file: `${env.name}/${t.name}`, path: p.path, message: p.message })));
        continue;
      }
      try {
        const out = t.render(model, env, t.last ? outputs : []);
        outputs.push({ target: t.name, syncWave: 0, files: out });
        for (const f of out) files.set(`${env.name}/${t.name}/${f.path}`, f.content);
      } catch (e) {
        if (!(e instanceof RenderError)) throw e;
        refused.push({ file: `${env.name}/${t.name}`, path: e.path, message: e.message });
      }
    }
  }
  return { files, refused };
}

/** Argo evaluates `{{` and Kubeflow's driver `{{$`, with no escape: refusing them is right. */
function allowedRefusal(s: string, r: Refusal): boolean {
  const target = r.file.split('/')[1];
  if (target === 'argo') {
    return (
      (s.includes('{{') && r.message.includes("contains '{{'")) || r.message.includes('condition language cannot quote')
    );
  }
  return target === 'kubeflow' && s.includes('{{$') && r.message.includes("contains '{{$'");
}

// ---------------------------------------------------------------- reading outputs back

/** Every string scalar of YAML (1.1, as written) or JSON text, by its path. */
function scalars(file: string, content: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'string') out.set(path, node);
    else if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${path}/${i}`));
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, `${path}/${k}`);
  };
  if (/\.(json|avsc)$/.test(file)) walk(JSON.parse(content), '');
  else
    parseAllDocuments(content, { version: '1.1' }).forEach((d, i) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      walk(d.toJS(), `#${i}`);
    });
  return out;
}

/** Character references, as the browser showing the rendered Markdown decodes them. */
const decodeEntities = (t: string) =>
  t
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)));

/** The text a reader sees in a Markdown page's paragraphs and table cells, in order, escapes undone. */
function markdownTexts(content: string): string[] {
  const inline = (tokens: Token[] | undefined): string =>
    (tokens ?? [])
      .map((t) => {
        if (t.type === 'escape' || t.type === 'codespan') return String((t as { text: string }).text);
        if ('tokens' in t && t.tokens) return inline(t.tokens);
        return 'text' in t ? decodeEntities(String(t.text)) : t.raw;
      })
      .join('');
  return marked.lexer(content).flatMap((t) => {
    if (t.type === 'paragraph') return [inline(t.tokens)];
    if (t.type === 'table') {
      const table = t as unknown as { header: { tokens: Token[] }[]; rows: { tokens: Token[] }[][] };
      return [...table.header, ...table.rows.flat()].map((c) => inline(c.tokens));
    }
    return [];
  });
}

/** A CEL string literal's value (the CEL spec's escapes), for Kubeflow's trigger conditions. */
function celStrings(expression: string): string[] {
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'/gs;
  for (const m of expression.matchAll(re)) {
    out.push(
      m[1]!.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[0-7]{3}|.)/gs, (_, e: string) => {
        if (/^[uUx]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
        if (/^[0-7]{3}$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
        return ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[e] ?? e;
      }),
    );
  }
  return out;
}

interface PyString {
  path: string;
  value: string;
  templated: boolean;
  rendered: string | null;
}

/** One Python process reads every generated .py file of the batch (see python_strings.py). */
function pythonStrings(
  files: { file: string; params: Record<string, unknown> }[],
): Record<string, { error?: string; strings?: PyString[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dfp-inject-py-'));
  writeFileSync(join(dir, 'in.json'), JSON.stringify(files));
  const r = run(
    AIRFLOW_PYTHON,
    [join(ROOT, 'tests/support/python_strings.py'), join(dir, 'in.json'), join(dir, 'out.json')],
    { timeoutMs: 600_000 },
  );
  if (r.status !== 0) throw new Error(`python_strings.py failed: ${r.stderr}`);
  return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
}

// ---------------------------------------------------------------- where values belong

/** A place a value lands: the file, the path in it, and the text there with each value as its marker. */
interface Place {
  readonly file: string;
  readonly path: string;
  readonly template: string;
  readonly templated?: boolean;
}

/** Files read back by Python: generated DAGs (with `ast`) and dlt's config.toml (with `tomllib`, as dlt reads it). */
const isPython = (f: string) => f.endsWith('.py') || f.endsWith('.toml');
const isMarkdown = (f: string) => f.endsWith('.md');

function placesOf(rendered: Rendered, py: Record<string, { strings?: PyString[] }>, pyDir: string): Place[] {
  const places: Place[] = [];
  for (const [file, content] of rendered.files) {
    if (!hasMark(content)) continue;
    if (isPython(file)) {
      for (const s of py[join(pyDir, file)]?.strings ?? []) {
        if (hasMark(s.value))
          places.push({ file, path: s.path, template: s.templated ? s.rendered! : s.value, templated: s.templated });
      }
    } else if (isMarkdown(file)) {
      markdownTexts(content).forEach(
        (text, i) => hasMark(text) && places.push({ file, path: `text ${i}`, template: text }),
      );
    } else {
      for (const [path, value] of scalars(file, content))
        if (hasMark(value) && !embeddedFile(file, path)) places.push({ file, path, template: value });
    }
  }
  return places;
}

/**
 * The Feast, Chronon, DataHub, dbt and dlt ConfigMaps carry the rendered files whole
 * (`data/<file>`; Chronon's key is the path below the repo, `/` as `.`): their values are
 * checked against those files byte for byte ({@link embeddedDifferences}), and the strings
 * inside them where the files themselves are read.
 */
const SYNC_FOLDER = /^[^/]+\/(feast|chronon|datahub|dbt|dlt)\/sync\//;
const embeddedFile = (file: string, path: string): string | undefined =>
  SYNC_FOLDER.test(file) ? /^#\d+\/data\/([^/]+)$/.exec(path)?.[1] : undefined;

/**
 * DataHub keeps free text that becomes a URN (an owner, a tag) percent-encoded as its
 * UrnEncoder does (`,` `(` `)` `␟`, and `%`), and a `team:<name>` owner as a corpGroup:
 * read back, the URN names the text as written.
 */
function datahubUrnText(v: string): string {
  const m = /^urn:li:(corpuser|corpGroup|tag):(.*)$/s.exec(v);
  if (!m) return v;
  const id = m[2]!.replace(/%(25|2C|28|29|E2%90%9F)/g, (x) => decodeURIComponent(x));
  return m[1] === 'corpGroup' ? `urn:li:corpuser:team:${id}` : `urn:li:${m[1]}:${id}`;
}

/** Each embedded file that is not its repo file byte for byte. */
function embeddedDifferences(s: string, files: ReadonlyMap<string, string>): Difference[] {
  const out: Difference[] = [];
  for (const [file, content] of files) {
    if (!SYNC_FOLDER.test(file)) continue;
    const [env, target] = file.split('/');
    for (const [path, value] of scalars(file, content)) {
      const name = embeddedFile(file, path);
      if (name === undefined) continue;
      const repoFile = [...files.keys()].find(
        (f) =>
          f.startsWith(`${env}/${target}/`) &&
          !SYNC_FOLDER.test(f) &&
          (target === 'chronon' ? f.split('/').slice(3).join('.') === name : f.endsWith(`/${name}`)),
      );
      stats.values++;
      stats.embedded++;
      if (repoFile === undefined || files.get(repoFile) !== value)
        out.push({
          s: JSON.stringify(s),
          where: `${file} ${path}`,
          expected: repoFile ?? 'a repo file of that name',
          actual: 'different bytes',
        });
    }
  }
  return out;
}

/** The Markdown review page puts a description on one line: line breaks read as spaces there. */
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ');

// ---------------------------------------------------------------- the property

interface Difference {
  readonly s: string;
  readonly where: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

const strings = fc.sample(hostile, { numRuns: RUNS, seed: SEED });
const differences: Difference[] = [];
const stats = { strings: 0, values: 0, embedded: 0, refusedAtBuild: 0, refusedByTarget: 0, files: 0 };
const APPS = { plain: plainApp, cond: conditionsApp, exceptions: exceptionsApp } as const;
type AppKind = keyof typeof APPS;
const places: Record<AppKind, Place[]> = { plain: [], cond: [], exceptions: [] };
/** The params Airflow renders templates with: plainApp's `x` defaults to the string. */
const paramsOf = (kind: AppKind, s: string) => ({ x: kind === 'plain' ? s : 'a' });

function writePython(dir: string, files: Map<string, string>, params: Record<string, unknown>) {
  const list: { file: string; params: Record<string, unknown> }[] = [];
  for (const [file, content] of files) {
    if (!isPython(file)) continue;
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    list.push({ file: path, params });
  }
  return list;
}

describe(`injection fuzz: ${RUNS} hostile strings (seed ${SEED}), every free-text field and target`, () => {
  beforeAll(
    () => {
      const started = Date.now();
      // 1. Where the plain markers land, per field and target; a marker run renders everything.
      const markDir = mkdtempSync(join(tmpdir(), 'dfp-inject-mark-'));
      const marked: Partial<Record<AppKind, Rendered>> = {};
      const markFiles: { file: string; params: Record<string, unknown> }[] = [];
      for (const kind of Object.keys(APPS) as AppKind[]) {
        const r = renderEach(APPS[kind](MARKS));
        if (r instanceof DfpError || r.refused.length)
          throw new Error(
            `the marker app '${kind}' must render everywhere: ` +
              `${JSON.stringify(r instanceof DfpError ? r.message : r.refused)}`,
          );
        marked[kind] = r;
        markFiles.push(...writePython(join(markDir, kind), r.files, paramsOf(kind, MARKS.s)));
      }
      const markPy = pythonStrings(markFiles);
      for (const kind of Object.keys(APPS) as AppKind[])
        places[kind] = placesOf(marked[kind]!, markPy, join(markDir, kind));

      // 2. Every hostile string, rendered by every target; Python read back in one batch.
      const dir = mkdtempSync(join(tmpdir(), 'dfp-inject-'));
      const batch: { s: string; i: number; out: Record<AppKind, Rendered | DfpError> }[] = [];
      const pyFiles: { file: string; params: Record<string, unknown> }[] = [];
      strings.forEach((s, i) => {
        const out = {} as Record<AppKind, Rendered | DfpError>;
        for (const kind of Object.keys(APPS) as AppKind[]) {
          out[kind] = renderEach(APPS[kind](valuesOf(s)));
          const r = out[kind];
          if (!(r instanceof DfpError))
            pyFiles.push(...writePython(join(dir, `${i}`, kind), r.files, paramsOf(kind, s)));
        }
        batch.push({ s, i, out });
      });
      const py = pythonStrings(pyFiles);

      // 3. Compare each place's value with the string, as each consumer reads it.
      const check = (s: string, rendered: Rendered | DfpError, places: Place[], pyDir: string, kind: AppKind) => {
        if (kind === 'plain') stats.strings++;
        if (rendered instanceof DfpError) {
          // Refused by a rule: acceptable only with a construct path on every problem.
          stats.refusedAtBuild++;
          if (process.env.DFP_FUZZ_VERBOSE) console.log(`refused: ${JSON.stringify(s)}: ${rendered.message}`);
          for (const p of rendered.problems)
            if (!/^[\w./-]+$/.test(p.path))
              differences.push({ s, where: 'build', expected: 'a construct path', actual: p.path });
          return;
        }
        for (const r of rendered.refused) {
          if (allowedRefusal(s, r)) stats.refusedByTarget++;
          else
            differences.push({ s, where: `${r.file} refused at ${r.path}`, expected: 'rendered', actual: r.message });
        }
        const refusedTargets = new Set(rendered.refused.map((r) => r.file));
        differences.push(...embeddedDifferences(s, rendered.files));
        const byFile = new Map<string, Map<string, string>>();
        for (const place of places) {
          if (refusedTargets.has(place.file.split('/').slice(0, 2).join('/'))) continue;
          const content = rendered.files.get(place.file);
          if (content === undefined) {
            // Argo CD's app for a target exists only when the target rendered.
            if (
              /\/argocd\/apps\//.test(place.file) &&
              rendered.refused.some((r) => r.file.startsWith(place.file.split('/')[0]!))
            )
              continue;
            differences.push({ s, where: place.file, expected: 'the file', actual: 'missing' });
            continue;
          }
          const v = valuesOf(s);
          // The parameter table shows a default as JSON: a string default is quoted and escaped as JSON.
          const json = (x: string) => JSON.stringify(x).slice(1, -1);
          const expected = !isMarkdown(place.file)
            ? fill(place.template, v)
            : place.template.includes(`"${MARKS.s}"`)
              ? oneLine(fill(place.template, v, json))
              : oneLine(fill(place.template, v, oneLine));
          let actual: unknown;
          if (isPython(place.file)) {
            const file = py[join(pyDir, place.file)];
            if (file?.error) actual = file.error;
            else {
              const found = file?.strings?.find((x) => x.path === place.path);
              actual = place.templated ? found?.rendered : found?.value;
            }
          } else if (isMarkdown(place.file)) {
            actual = markdownTexts(content)[Number(place.path.split(' ')[1])];
          } else {
            if (!byFile.has(place.file)) byFile.set(place.file, scalars(place.file, content));
            actual = byFile.get(place.file)!.get(place.path);
            // Kubeflow's trigger conditions are CEL: the literal is read as CEL reads it.
            if (place.path.endsWith('/triggerPolicy/condition') && typeof actual === 'string') {
              const lits = celStrings(actual);
              if (lits.includes(s)) actual = expected;
            }
            if (/^[^/]+\/datahub\//.test(place.file) && typeof actual === 'string') actual = datahubUrnText(actual);
            // Kubeflow loop items are JSON text.
            if (place.path.endsWith('/items/raw') && typeof actual === 'string')
              actual = JSON.parse(actual).every((v: unknown) => v === s) ? expected : actual;
          }
          stats.values++;
          if (actual !== expected)
            differences.push({
              s: JSON.stringify(s),
              where: `${place.file} ${place.path}`,
              expected: JSON.stringify(expected),
              actual: JSON.stringify(actual),
            });
        }
      };
      for (const { s, i, out } of batch) {
        for (const kind of Object.keys(APPS) as AppKind[]) {
          check(s, out[kind], places[kind], join(dir, `${i}`, kind), kind);
          const r = out[kind];
          if (!(r instanceof DfpError)) stats.files += r.files.size;
        }
      }
      console.log(
        `injection fuzz: ${stats.strings} strings (seed ${SEED}), ${stats.files} files rendered, ` +
          `${Object.values(places).flat().length} places per string ` +
          `in ${
            new Set(
              Object.values(places)
                .flat()
                .map((p) => p.file.split('/').slice(0, 2).join('/')),
            ).size
          } env/target outputs; ` +
          (`${stats.values} values compared, ${stats.refusedByTarget} refusals of '{{' by Argo/Kubeflow with ` +
            `the path, ${stats.refusedAtBuild} apps refused by a rule; `) +
          `${differences.length} differences; ${Date.now() - started} ms`,
      );
    },
    Math.max(900_000, RUNS * 400),
  );

  it('the marker lands in every target that renders user text', () => {
    const targets = (kind: AppKind) => new Set(places[kind].map((p) => p.file.split('/')[1]));
    for (const target of [
      'argo',
      'kubeflow',
      'airflow',
      'feast',
      'chronon',
      'schemas',
      'docs',
      'argocd',
      'spark',
      'datafusion',
      'datahub',
      'dbt',
      'dlt',
    ])
      expect(targets('plain'), target).toContain(target);
    // The Feast, Chronon, DataHub, dbt and dlt sync ConfigMaps embed the rendered files; the strings inside are checked
    // there, the bytes here.
    expect(stats.embedded, 'sync ConfigMap files compared byte for byte').toBeGreaterThan(0);
    // DataHub's descriptions, owners and tags, in its JSON MCP files.
    const datahub = places.plain.filter((p) => /\/datahub\/metadata\/.*\.json$/.test(p.file)).map((p) => p.path);
    for (const field of ['/aspect/json/description', '/aspect/json/owners/0/owner', '/aspect/json/tags/0/tag'])
      expect(
        datahub.some((p) => p.endsWith(field)),
        field,
      ).toBe(true);
    expect(
      places.plain.some((p) => /\/chronon\/[^/]+\/(group_bys|joins)\//.test(p.file)),
      'user text in the Chronon modules',
    ).toBe(true);
    for (const target of ['argo', 'kubeflow', 'airflow']) expect(targets('cond'), target).toContain(target);
    for (const target of ['argo', 'airflow']) expect(targets('exceptions'), target).toContain(target);
    // Python constants in fields Airflow renders and in fields it does not are both checked.
    expect(places.plain.some((p) => p.templated)).toBe(true);
    expect(places.plain.some((p) => isPython(p.file) && !p.templated)).toBe(true);
  });

  it('every hostile string comes back unchanged, or is refused with its construct path: zero differences', () => {
    expect(stats.strings).toBe(RUNS);
    expect(stats.values).toBeGreaterThan(RUNS * 20);
    expect(differences.slice(0, 8)).toEqual([]);
  });

  it('control: the comparison finds a value that was not escaped', () => {
    // A DAG whose argument is written raw: Jinja evaluates it, and the check must see the difference.
    const dir = mkdtempSync(join(tmpdir(), 'dfp-inject-control-'));
    const file = join(dir, 'raw.py');
    writeFileSync(file, 'KubernetesPodOperator(task_id="t", arguments=["{{ 7*7 }}"], doc_md="{{ 7*7 }}")\n');
    const strings = pythonStrings([{ file, params: {} }])[file]!.strings!;
    expect(strings.find((x) => x.templated)!.rendered).toBe('49');
    expect(strings.find((x) => !x.templated && x.value.includes('7*7'))!.value).toBe('{{ 7*7 }}');
    // A YAML value a naive printer would break, and a Markdown line that would open a code block.
    expect(() => scalars('x.yaml', 'a: b: c\n')).toThrow();
    expect(markdownTexts('# t\n\n```\nnot a paragraph\n')).toEqual([]);
    expect(markdownTexts('+ x\n')).toEqual([]);
  });
});

const FIELD_STRINGS = strings;

describe(
  `restricted fields: ${FIELD_STRINGS.length} hostile strings in each of ${VALIDATED_FIELDS.length} fields the ` +
    'rules check',
  () => {
    it(
      'each is refused at its construct path, or is valid and renders in every target; nothing crashes',
      () => {
        const started = Date.now();
        const bad: { field: string; s: string; got: string }[] = [];
        let refused = 0;
        let accepted = 0;
        for (const f of VALIDATED_FIELDS) {
          for (const s of [...FIELD_STRINGS, '{{ 7*7 }}', '$(id)', 'a\nb', ' ']) {
            let r: Rendered | DfpError;
            try {
              r = renderEach(f.app(s));
            } catch (e) {
              bad.push({ field: f.field, s: JSON.stringify(s), got: `crash: ${String(e)}` });
              continue;
            }
            if (r instanceof DfpError) {
              if (r.problems.some((p) => p.path === f.path)) refused++;
              else bad.push({ field: f.field, s: JSON.stringify(s), got: r.message });
              continue;
            }
            accepted++;
            for (const x of r.refused.filter((x) => !allowedRefusal(s, x)))
              bad.push({ field: f.field, s: JSON.stringify(s), got: `${x.file}: ${x.message}` });
          }
        }
        console.log(
          `restricted fields: ${VALIDATED_FIELDS.length} fields x ${FIELD_STRINGS.length + 4} strings: ${refused}` +
            ` refused at the construct path, ${accepted} valid and rendered, ${bad.length} otherwise; ` +
            `${Date.now() - started} ms`,
        );
        expect(refused).toBeGreaterThan(0);
        expect(bad.slice(0, 8)).toEqual([]);
      },
      Math.max(300_000, RUNS * 400),
    );
  },
);
