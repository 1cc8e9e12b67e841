/**
 * Every image and every program dist/ references is built or contained by this repository.
 *
 * Images: each `registry.dfp.internal/dfp/<name>:<tag>` in any file of dist/ needs
 * images/<name>/ with a Containerfile, pyproject.toml and uv.lock (what `make images`
 * builds from). Programs: what each container runs, read from every orchestrator's files
 * (Argo, Kubeflow IR and manifests, Airflow DAGs, SparkApplications, DataFusion Jobs, sync
 * hooks, the Android Job):
 * - `python -m X`: the module X in the image's folder (or in images/dfp_tools, when the
 *   image's lock installs dfp-tools), inside a folder its Containerfile copies;
 * - a path under /opt/dfp/ (`python /opt/dfp/job.py`, `local:///opt/dfp/job.py`,
 *   `--project-dir /opt/dfp/dbt/project`), unless a volume is mounted there: a file or
 *   folder the Containerfile copies to that path, present in images/;
 * - a command from a package (`dbt`, `feast`, `datahub`, Chronon's `compile.py`): the
 *   package that provides it, in the image's uv.lock (PROGRAMS below).
 * It fails with one line per thing that is missing; tests/images-run.test.ts runs some
 * of them inside their built images. The Android emulator image is the one exception: its
 * SDK cannot be fetched here (docs/images.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readTree } from '../synth/writer.ts';

const ROOT = join(import.meta.dirname, '..');
const IMAGES = join(ROOT, 'images');
const REGISTRY = 'registry.dfp.internal/dfp/';
const IMAGE_REF =
  /registry\.dfp\.internal\/dfp\/([a-z0-9][a-z0-9._-]*):([A-Za-z0-9_][A-Za-z0-9._-]*)(?:@sha256:[0-9a-f]{64})?/g;

/** Images dist/ names that this repository cannot build, and why (docs/images.md says the same). */
const NOT_BUILT_HERE: Record<string, string> = {
  'android-emulator': 'the Android SDK and system images cannot be fetched on this machine',
};

/** Commands that come from a package, not from the image's own folder: the PyPI distribution that installs each. */
const PROGRAMS: Record<string, string> = {
  feast: 'feast',
  dbt: 'dbt-core',
  datahub: 'acryl-datahub',
  'compile.py': 'chronon-ai',
  'run.py': 'chronon-ai',
};

/** What the base images have (coreutils, the shell, the interpreter): no check needed. */
const BASE_PROGRAMS = new Set([
  'python',
  'python3',
  '/bin/sh',
  'sh',
  'cp',
  'mkdir',
  'basename',
  'cd',
  'exec',
  'set',
  'export',
  'for',
  'do',
  'done',
  'case',
  'esac',
  'in',
  'continue',
]);

interface Container {
  readonly file: string;
  readonly image: string;
  readonly argv: readonly string[];
  readonly mounts: readonly string[];
}

const dist = readTree(join(ROOT, 'dist'));

/** Every container-like object (has a string `image`) in a parsed YAML document, and SparkApplications' files. */
function yamlContainers(file: string, text: string): Container[] {
  const out: Container[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.image === 'string' && o.image.includes(REGISTRY)) {
      const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      const mounts = Array.isArray(o.volumeMounts)
        ? (o.volumeMounts as { mountPath?: string }[]).map((m) => m.mountPath ?? '')
        : [];
      // A SparkApplication: the image runs spark-submit on mainApplicationFile.
      const app = typeof o.mainApplicationFile === 'string' ? [o.mainApplicationFile, ...list(o.arguments)] : [];
      out.push({ file, image: o.image, argv: [...list(o.command), ...list(o.args), ...app], mounts });
    }
    for (const v of Object.values(o)) walk(v);
  };
  for (const doc of parseAllDocuments(text)) walk(doc.toJS());
  return out;
}

/**
 * The text of the list literal `key=[...]` in `code` (up to its matching bracket, string literals skipped), or
 * undefined.
 */
function listLiteral(code: string, key: string): string | undefined {
  const at = new RegExp(`\\b${key}=\\[`).exec(code);
  if (!at) return undefined;
  let depth = 0;
  for (let i = at.index + at[0].length - 1; i < code.length; i++) {
    const ch = code[i];
    if (ch === '"') {
      for (i++; i < code.length && code[i] !== '"'; i++) if (code[i] === '\\') i++;
    } else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return code.slice(at.index + at[0].length, i);
  }
  return undefined;
}

/**
 * The containers of an Airflow DAG file: each KubernetesPodOperator's own (image, cmds and
 * arguments) and each container in its pod (init containers and sidecars: image, command and
 * args), string literals only.
 */
function airflowContainers(file: string, text: string): Container[] {
  const out: Container[] = [];
  const strings = (list: string | undefined) =>
    [...(list ?? '').matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => JSON.parse(m[0]) as string);
  const mounts = (code: string) => [...code.matchAll(/mount_path="([^"]+)"/g)].map((m) => m[1]!);
  for (const call of text.split(/KubernetesPodOperator\(/).slice(1)) {
    const [own = '', ...podContainers] = call.split(/k8s\.V1Container\(/);
    const image = /\bimage="([^"]+)"/.exec(own)?.[1];
    if (image?.includes(REGISTRY)) {
      out.push({
        file,
        image,
        argv: [...strings(listLiteral(own, 'cmds')), ...strings(listLiteral(own, 'arguments'))],
        mounts: mounts(own),
      });
    }
    for (const c of podContainers) {
      const cImage = /\bimage="([^"]+)"/.exec(c)?.[1];
      if (!cImage?.includes(REGISTRY)) continue;
      out.push({
        file,
        image: cImage,
        argv: [...strings(listLiteral(c, 'command')), ...strings(listLiteral(c, 'args'))],
        mounts: mounts(c),
      });
    }
  }
  return out;
}

const containers: Container[] = [...dist].flatMap(([file, text]) => {
  if (!text.includes(REGISTRY)) return [];
  if (/\.ya?ml$/.test(file)) return yamlContainers(file, text);
  if (file.endsWith('.py')) return airflowContainers(file, text);
  return [];
});

/** name -> the files of dist/ that name it. */
const images = new Map<string, Set<string>>();
for (const [file, text] of dist)
  for (const m of text.matchAll(IMAGE_REF)) images.set(m[1]!, (images.get(m[1]!) ?? new Set()).add(file));

const imageName = (ref: string) => new RegExp(`^${REGISTRY.replace(/[./]/g, '\\$&')}([^:@]+)`).exec(ref)?.[1];

/** What one container runs: modules, /opt/dfp paths, and package commands. */
function programsOf(c: Container): { modules: string[]; paths: string[]; commands: string[] } {
  const modules: string[] = [];
  const paths: string[] = [];
  const commands: string[] = [];
  // `env NAME=value … program` (Kubeflow passes run-time parameters so) runs `program`.
  let argv = [...c.argv];
  if (argv[0] === 'env') {
    argv = argv.slice(1);
    while (argv[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0])) argv = argv.slice(1);
  }
  const shell = (argv[0] === '/bin/sh' || argv[0] === 'sh') && argv[1] === '-c';
  const words = shell
    ? argv
        .slice(2)
        .join('\n')
        .split(/[\s;|&()]+/)
        .filter(Boolean)
    : argv;
  words.forEach((w, i) => {
    if ((w === 'python' || w === 'python3') && words[i + 1] === '-m' && words[i + 2]) modules.push(words[i + 2]!);
    const path = w.replace(/^local:\/\//, '');
    if (path.startsWith('/opt/dfp/') && !c.mounts.some((m) => path === m || path.startsWith(`${m}/`))) paths.push(path);
  });
  if (shell) {
    // Package commands a script calls; the rest of its words are the base's shell and coreutils.
    for (const w of words) if (w in PROGRAMS) commands.push(w);
  } else if (argv[0] && !BASE_PROGRAMS.has(argv[0]) && !argv[0].includes('/')) {
    commands.push(argv[0]);
  }
  return { modules, paths, commands };
}

/** `COPY src... dest` lines of a Containerfile, sources relative to images/. */
function copies(containerfile: string): { sources: string[]; dest: string }[] {
  return readFileSync(containerfile, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0]?.toUpperCase() === 'COPY')
    .map((w) => w.slice(1).filter((x) => !x.startsWith('--')))
    .map((w) => ({ sources: w.slice(0, -1), dest: w[w.length - 1]!.replace(/\/$/, '') }));
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/**
 * The image's FROM: a Debian base of scripts/images/base.sh, or a base built from
 * images/bases/<base>/ (torch-base) whose Python packages the image's uv.lock keeps exactly
 * (scripts/images/base-lock-check.py), or the image would carry a second copy of them.
 */
function baseProblems(name: string): string[] {
  const from =
    readFileSync(join(IMAGES, name, 'Containerfile'), 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((w) => w[0]?.toUpperCase() === 'FROM')?.[1] ?? '';
  const base = /^localhost\/dfp\/([a-z0-9-]+):[A-Za-z0-9._-]+$/.exec(from)?.[1];
  if (!base) return [`images/${name}/Containerfile is FROM '${from}', not a local base localhost/dfp/<base>:<tag>`];
  if (base === 'python-base' || base === 'python-java-base') return [];
  const baseDir = join(IMAGES, 'bases', base);
  if (!isFile(join(baseDir, 'Containerfile')))
    return [`images/${name}/Containerfile is FROM ${from}, but images/bases/${base}/Containerfile is missing`];
  if (!isFile(join(baseDir, 'uv.lock'))) return [];
  const r = spawnSync(
    'python3',
    [join(ROOT, 'scripts', 'images', 'base-lock-check.py'), `images/bases/${base}`, `images/${name}`],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return r.status === 0
    ? []
    : r.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/^images: /, ''));
}

/** Everything missing for image `name`, one line each. */
function missing(name: string): string[] {
  const dir = join(IMAGES, name);
  const problems: string[] = [];
  const where = [...images.get(name)!].sort()[0];
  for (const f of ['Containerfile', 'pyproject.toml', 'uv.lock']) {
    if (!isFile(join(dir, f))) problems.push(`images/${name}/${f} is missing (dist/${where} names ${REGISTRY}${name})`);
  }
  if (!isFile(join(dir, 'Containerfile'))) return problems;
  const copied = copies(join(dir, 'Containerfile'));
  problems.push(...baseProblems(name));
  const lock = isFile(join(dir, 'uv.lock')) ? readFileSync(join(dir, 'uv.lock'), 'utf8') : '';
  const locked = (pkg: string) => new RegExp(`^name = "${pkg.replace(/[.-]/g, '[-_.]')}"$`, 'm').test(lock);
  const copiedFolder = (rel: string) => copied.some((c) => c.sources.some((s) => rel === s || rel.startsWith(`${s}/`)));
  const seen = new Set<string>();
  for (const c of containers.filter((x) => imageName(x.image) === name)) {
    const { modules, paths, commands } = programsOf(c);
    for (const m of modules) {
      const key = `module ${m}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const rel = m.replace(/\./g, '/');
      const candidates = [name, `${name}/src`, ...(locked('dfp-tools') ? ['dfp_tools'] : [])].flatMap((base) => [
        `${base}/${rel}.py`,
        `${base}/${rel}/__main__.py`,
      ]);
      const found = candidates.find((p) => isFile(join(IMAGES, p)));
      if (!found)
        problems.push(
          `'python -m ${m}' (dist/${c.file}): no module ${m} in images/${name}/` +
            `${locked('dfp-tools') ? ' or images/dfp_tools/' : ''} (looked for ` +
            `${candidates.map((p) => `images/${p}`).join(', ')})`,
        );
      else if (!copiedFolder(found))
        problems.push(
          `'python -m ${m}' (dist/${c.file}): images/${found} exists, but images/${name}/Containerfile copies ` +
            'no folder that holds it',
        );
    }
    for (const p of paths) {
      const key = `path ${p}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const copy = copied.find((x) => p === x.dest || p.startsWith(`${x.dest}/`));
      const source = copy?.sources.length === 1 ? `${copy.sources[0]}${p.slice(copy.dest.length)}` : undefined;
      if (!copy) problems.push(`${p} (dist/${c.file}): images/${name}/Containerfile copies nothing to it`);
      else if (!source || !existsSync(join(IMAGES, source)))
        problems.push(
          `${p} (dist/${c.file}): images/${source ?? copy.sources.join(' ')} is missing (images/${name}` +
            '/Containerfile copies it there)',
        );
    }
    for (const cmd of commands) {
      const key = `command ${cmd}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const pkg = PROGRAMS[cmd];
      if (!pkg)
        problems.push(
          `'${cmd}' (dist/${c.file}): not a program this test knows; add it to PROGRAMS with the package that ` +
            'provides it',
        );
      else if (!locked(pkg))
        problems.push(`'${cmd}' (dist/${c.file}): images/${name}/uv.lock does not install ${pkg}, which provides it`);
    }
  }
  return problems;
}

describe('every image and program dist/ references is built or contained here', () => {
  it('reads the images and the programs of every orchestrator and target', () => {
    // Not a vacuous pass: the readers found what the examples render.
    expect([...images.keys()].sort()).toEqual(
      expect.arrayContaining(['feast', 'iris', 'kronodroid-train', 'transform-launcher', 'dbt-kronodroid']),
    );
    const kinds = new Set(containers.map((c) => c.file.split('/')[1]));
    expect([...kinds].sort()).toEqual([
      'airflow',
      'android',
      'argo',
      'chronon',
      'datafusion',
      'datahub',
      'feast',
      'kubeflow',
      'spark',
    ]);
    const all = containers.map(programsOf);
    expect(all.flatMap((p) => p.modules)).toContain('dfp_tools.run_transform');
    expect(all.flatMap((p) => p.paths)).toContain('/opt/dfp/kronodroid_iceberg_job.py');
    expect(all.flatMap((p) => p.commands)).toEqual(expect.arrayContaining(['dbt', 'feast', 'datahub', 'compile.py']));
  });

  for (const name of [...images.keys()].sort()) {
    if (NOT_BUILT_HERE[name]) {
      it.skip(`${name}: not built here (${NOT_BUILT_HERE[name]})`, () => {});
      continue;
    }
    it(`${name}: images/${name}/ builds the image and contains what dist/ runs in it`, () => {
      const problems = missing(name);
      if (problems.length) console.log(`images/${name}: missing\n  ${problems.join('\n  ')}`);
      expect(problems, `images/${name}`).toEqual([]);
    });
  }
});

/**
 * The jars a Spark session needs come with its image: pods have no route to Maven, so what
 * dfp renders puts /opt/dfp/jars on the classpath and asks Ivy for nothing, and the image
 * must hold there the jar of every package its SparkApplication's dfp.dev/spark-packages
 * annotation names (images/spark-jars/jars.txt, fetched at build time by sha256).
 */
const JAR_LIST = join(IMAGES, 'spark-jars', 'jars.txt');

/** What is wrong with the jars of the image `image` for the packages `packages` (Maven coordinates). */
export function jarProblems(image: string, packages: readonly string[], list: string): string[] {
  const paths = new Set(
    list
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.split(/\s+/)[1]!),
  );
  const problems: string[] = [];
  for (const coordinate of packages) {
    const [group, artifact, version] = coordinate.split(':');
    const path = `${group!.replaceAll('.', '/')}/${artifact}/${version}/${artifact}-${version}.jar`;
    if (!paths.has(path)) problems.push(`${coordinate}: images/spark-jars/jars.txt has no ${path}`);
  }
  const containerfile = join(IMAGES, image, 'Containerfile');
  const text = existsSync(containerfile) ? readFileSync(containerfile, 'utf8') : '';
  if (!/^COPY .*spark-jars\/jars\.txt/m.test(text) || !/fetch_jars\.py \S*jars\.txt \/opt\/dfp\/jars\b/.test(text))
    problems.push(`images/${image}/Containerfile does not fetch images/spark-jars/jars.txt into /opt/dfp/jars`);
  return problems;
}

describe('the jars of every Spark session come with its image, never from Maven at start-up', () => {
  const apps = [...dist.entries()]
    .filter(([f]) => f.includes('/spark/applications/'))
    .flatMap(([f, text]) => parseAllDocuments(text).map((d) => ({ file: f, app: d.toJS() })));
  const list = readFileSync(JAR_LIST, 'utf8');

  it('every SparkApplication names its packages, puts /opt/dfp/jars on the classpath and resolves nothing', () => {
    expect(apps.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { file, app } of apps) {
      const image = /registry\.dfp\.internal\/dfp\/([a-z0-9._-]+):/.exec(app.spec.image)![1]!;
      const packages = String(app.metadata.annotations?.['dfp.dev/spark-packages'] ?? '')
        .split(',')
        .filter(Boolean);
      if (packages.length === 0) problems.push(`dist/${file}: no dfp.dev/spark-packages annotation`);
      if (app.spec.deps) problems.push(`dist/${file}: spec.deps asks the operator to fetch at start-up`);
      for (const key of Object.keys(app.spec.sparkConf ?? {}))
        if (key.startsWith('spark.jars')) problems.push(`dist/${file}: sparkConf ${key}`);
      for (const role of ['driver', 'executor'])
        if (app.spec.sparkConf?.[`spark.${role}.extraClassPath`] !== '/opt/dfp/jars/*')
          problems.push(`dist/${file}: spark.${role}.extraClassPath is not /opt/dfp/jars/*`);
      problems.push(...jarProblems(image, packages, list).map((p) => `dist/${file}: ${p}`));
    }
    expect(problems).toEqual([]);
  });

  it('dbt-kronodroid (its profile puts /opt/dfp/jars on the driver classpath) fetches the same jars', () => {
    const packages = String(apps[0]!.app.metadata.annotations['dfp.dev/spark-packages']).split(',');
    expect(jarProblems('dbt-kronodroid', packages, list)).toEqual([]);
  });

  it('controls: a package the list lacks, and an image that fetches no jars, are named', () => {
    expect(jarProblems('kronodroid-spark', ['org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.9.9'], list)).toEqual([
      'org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.9.9: images/spark-jars/jars.txt has no ' +
        'org/apache/iceberg/iceberg-spark-runtime-3.5_2.12/1.9.9/iceberg-spark-runtime-3.5_2.12-1.9.9.jar',
    ]);
    expect(jarProblems('kronodroid-datafusion', [], list)).toEqual([
      'images/kronodroid-datafusion/Containerfile does not fetch images/spark-jars/jars.txt into /opt/dfp/jars',
    ]);
  });
});
