/**
 * dbt projects, dbt steps and dlt loads -> model, with their rules checked at the
 * construct's path: a project folder dfp can read, whose models `ref()` only models of
 * the project and read only its declared sources (IcebergTables of this app, in one
 * catalog and lakeFS repository); a selection that names models of the project; a load
 * whose destination is an IcebergTable of this app; credentials by Secret reference and
 * no credential in any rendered setting. The steps' `datasets` (what catalogues such as
 * DataHub show as a step's inputs and outputs) are filled here, once, for every target.
 */
import type { IConstruct } from 'constructs';
import { IcebergTable } from '../data.ts';
import { DbtProject, DbtStep } from '../dbt.ts';
import { DltLoad, dltConfigMap, dltPipelineName } from '../dlt.ts';
import type { ContainerStep } from '../step.ts';
import type { Problems } from './errors.ts';
import { checkDnsLabel, checkDnsSubdomain, checkIdentifier, checkImage, checkSecretKey } from './names.ts';
import type { DatasetRef, DbtProject as DbtProjectModel, Step, Table } from './schema.ts';
import { secretShape } from './secrets.ts';
import { guarded } from './structure.ts';

/** Spark keys the dbt target sets itself: the catalog, the S3A filesystem, packages. */
const RESERVED_SESSION_CONF = /^spark\.(sql\.catalog\.|sql\.extensions$|sql\.defaultCatalog$|hadoop\.fs\.s3a\.|jars)/;
/** Spark property names that hold a credential (`fs.s3a.secret.key`, `…password`). */
const CREDENTIAL_KEY = /(secret|password|token|access\.key|credentials?)(\.|$)/i;
/** A selector dfp can check: a model name with dbt's `+` graph operators. */
const SELECTOR = /^(\+?)([A-Za-z_][A-Za-z0-9_]*)(\+?)$/;

const byName = <T extends { name: string }>(xs: T[]) =>
  xs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const refOf = (t: Table) => (t.lakefs.ref.kind === 'commit' ? t.lakefs.ref.id : t.lakefs.ref.name);

/** A `{ secret, key }` reference, checked; anything else is reported and replaced by an empty one. */
function secretRef(
  ref: unknown,
  field: string,
  add: (m: string | undefined) => unknown,
): { secret: string; key: string } {
  const r = ref as { secret?: unknown; key?: unknown } | null | undefined;
  if (typeof r !== 'object' || r === null || typeof r.secret !== 'string') {
    add(
      `${field} is ${typeof ref === 'string' ? 'a literal value' : 'not a Secret reference'}; secrets go in by ` +
        `reference only: { secret: '<Secret name>', key: '<key>' }`,
    );
    return { secret: '', key: '' };
  }
  add(checkDnsSubdomain('credentials secret', r.secret));
  add(checkSecretKey(r.secret, typeof r.key === 'string' ? r.key : undefined));
  return { secret: r.secret, key: typeof r.key === 'string' ? r.key : '' };
}

/** Every DbtProject of the app, each on its own (a prop one cannot read hides no other). */
export function buildDbtProjects(
  all: readonly IConstruct[],
  tables: readonly Table[],
  problems: Problems,
): DbtProjectModel[] {
  const projects = all
    .filter((c): c is DbtProject => c instanceof DbtProject)
    .flatMap((p) => guarded(problems, p, () => buildDbtProject(p, tables, problems)));
  const seen = new Map<string, string>();
  for (const p of projects) {
    const other = seen.get(p.name);
    if (other) problems.add(p.path, `another dbt project is named '${p.name}' (${other}); rename one`);
    seen.set(p.name, p.path);
  }
  return byName(projects);
}

function buildDbtProject(project: DbtProject, tables: readonly Table[], problems: Problems): DbtProjectModel {
  const path = project.node.path;
  const p = project.props;
  const add = (m: string | undefined) => m && problems.add(path, m);
  const files = project.files;
  if (!files.ok) add(files.problem);
  add(checkIdentifier('dbt project', project.node.id));
  add(checkDnsLabel('dbt project name (in ConfigMap names)', `dbt-${project.node.id.replace(/_/g, '-')}-sources`));
  if (files.ok && files.name !== project.node.id)
    add(
      `dbt_project.yml names the project '${files.name}' but the construct id is '${project.node.id}'; give ` +
        `the DbtProject the project's name`,
    );

  const sources = (p.sources ?? [])
    .map((x: unknown, i): Table | undefined => {
      if (!(x instanceof IcebergTable))
        return void add(`sources[${i}] is not an IcebergTable; pass the table construct`);
      const t = tables.find((m) => m.path === x.node.path);
      if (!t) add(`sources[${i}] '${x.node.path}' is not a table of this app; create it under the same app`);
      return t;
    })
    .filter((t): t is Table => t !== undefined);
  if ((p.sources ?? []).length === 0) add('sources: name at least one IcebergTable the models read');
  const first = sources[0];
  for (const t of sources.slice(1)) {
    if (
      first &&
      (t.catalog !== first.catalog || t.lakefs.repository !== first.lakefs.repository || refOf(t) !== refOf(first))
    ) {
      add(
        `source ${t.name} is in catalog ${t.catalog} in lakeFS ${t.lakefs.repository}@${refOf(t)} but ` +
          `${first.name} is in ${first.catalog} in ${first.lakefs.repository}@${refOf(first)}; one dbt-spark ` +
          'session reads one catalog and lakeFS location, so split the project',
      );
    }
  }
  const sourceNames = sources.map((t) => t.name);

  const models = files.ok ? files.models : [];
  const names = new Set(models.map((m) => m.name));
  const dups = models.map((m) => m.name).filter((n, i, xs) => xs.indexOf(n) !== i);
  for (const d of new Set(dups)) add(`two model files are named ${d}.sql; dbt needs unique model names, so rename one`);
  for (const m of models) {
    for (const r of m.refs.filter((r) => !names.has(r))) {
      add(
        `model ${m.name} (${m.file}) calls ref('${r}'), which names no model of the project; models are ` +
          `${[...names].join(', ')}: fix the ref or add the model`,
      );
    }
    for (const s of m.sources.filter((s) => !sourceNames.includes(s))) {
      add(
        `model ${m.name} (${m.file}) reads source('${s.replace('.', "', '")}'), which is not a source of the ` +
          `project; add the IcebergTable ${s} to sources or fix the model`,
      );
    }
  }

  add(
    typeof p.image === 'string'
      ? checkImage(p.image)
      : 'image: give the dbt image (dbt-core, dbt-spark and the project)',
  );
  secretRef(p.credentials?.accessKeyId, 'credentials.accessKeyId', add);
  secretRef(p.credentials?.secretAccessKey, 'credentials.secretAccessKey', add);
  for (const [key, value] of Object.entries(p.sessionConf ?? {})) {
    if (RESERVED_SESSION_CONF.test(key))
      add(`sessionConf '${key}' is set by dfp (catalog, S3A, packages); leave it out`);
    else if (CREDENTIAL_KEY.test(key) && !/\{\{\s*env_var\(/.test(value))
      add(
        `sessionConf '${key}' holds a literal credential, which would be written into dist/; keep credentials ` +
          'in a Secret: the session reads the lakeFS key pair from credentials',
      );
    else if (secretShape(value))
      add(
        `sessionConf '${key}' holds what looks like ${secretShape(value)}; never write a secret into a ` +
          'definition: keep it in a Kubernetes Secret',
      );
  }
  const schema = p.schema ?? `dbt_${project.node.id}`;
  add(checkIdentifier('schema', schema));

  return {
    name: project.node.id,
    path,
    profile: files.ok ? files.profile : project.node.id,
    schema,
    ...(p.description ? { description: p.description } : {}),
    sources: [...sourceNames].sort(),
    models: models.map((m) => ({ name: m.name, file: m.file, refs: [...m.refs], sources: [...m.sources] })),
    modelsSha256: files.ok ? files.sha256 : '0'.repeat(64),
    catalog: first?.catalog ?? 'lakefs',
    lakefs: { repository: first?.lakefs.repository ?? '', ref: first ? refOf(first) : '' },
    image: typeof p.image === 'string' ? p.image : '',
    sessionConf: Object.fromEntries(Object.entries(p.sessionConf ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** What the analytics builders know, for the steps. */
export interface AnalyticsContext {
  readonly tables: readonly Table[];
  readonly dbtProjects: readonly DbtProjectModel[];
}

/** The `dbt`/`dlt` and `datasets` fields of a DbtStep or a DltLoad; nothing for other steps. */
export function analyticsStepFields(
  step: ContainerStep,
  pipeline: string,
  ctx: AnalyticsContext,
  problems: Problems,
): Pick<Step, 'dbt' | 'dlt' | 'datasets'> {
  if (step instanceof DbtStep) return dbtStepFields(step, ctx, problems);
  if (step instanceof DltLoad) return dltStepFields(step, pipeline, ctx, problems);
  return {};
}

const sortRefs = (xs: DatasetRef[]): DatasetRef[] => {
  const key = (d: DatasetRef) => `${d.platform}\u0000${d.name}`;
  return [...new Map(xs.map((d) => [key(d), d])).values()].sort((a, b) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
  );
};
const datasets = (reads: DatasetRef[], writes: DatasetRef[]): Pick<Step, 'datasets'> =>
  reads.length || writes.length ? { datasets: { reads: sortRefs(reads), writes: sortRefs(writes) } } : {};

function dbtStepFields(step: DbtStep, ctx: AnalyticsContext, problems: Problems): Pick<Step, 'dbt' | 'datasets'> {
  const path = step.node.path;
  const project: unknown = step.project;
  if (!(project instanceof DbtProject)) {
    problems.add(path, 'project is not a DbtProject; pass the DbtProject construct');
    return {};
  }
  const model = ctx.dbtProjects.find((p) => p.path === project.node.path);
  if (!model) {
    problems.add(path, `project '${project.node.path}' is not a dbt project of this app; create it under the same app`);
    return {};
  }
  if (!['build', 'run', 'test'].includes(step.command))
    problems.add(path, `command '${String(step.command)}' is not a dbt command dfp runs; use build, run or test`);
  const byName = new Map(model.models.map((m) => [m.name, m]));
  const parents = (n: string) => byName.get(n)?.refs ?? [];
  const children = (n: string) => model.models.filter((m) => m.refs.includes(n)).map((m) => m.name);
  const closure = (start: string, next: (n: string) => readonly string[]) => {
    const out = new Set<string>();
    const todo = [...next(start)];
    while (todo.length) {
      const n = todo.pop()!;
      if (!out.has(n) && byName.has(n)) {
        out.add(n);
        todo.push(...next(n));
      }
    }
    return out;
  };
  const selected = new Set<string>();
  for (const selector of step.select) {
    const m = SELECTOR.exec(typeof selector === 'string' ? selector : '');
    if (!m) {
      problems.add(
        path,
        `select '${String(selector)}' is not a model selector dfp can check; select models by name, with + for ` +
          'parents (+name) or children (name+)',
      );
      continue;
    }
    const name = m[2]!;
    if (!byName.has(name)) {
      problems.add(
        path,
        `select '${selector}' names no model of dbt project ${model.name}; its models are ` +
          `${[...byName.keys()].join(', ') || 'none'}: select one of them`,
      );
      continue;
    }
    selected.add(name);
    if (m[1]) for (const n of closure(name, parents)) selected.add(n);
    if (m[3]) for (const n of closure(name, children)) selected.add(n);
  }
  if (step.select.length === 0) for (const n of byName.keys()) selected.add(n);
  const chosen = [...selected].map((n) => byName.get(n)!);
  const reads: DatasetRef[] = [
    ...chosen.flatMap((m) => m.sources).map((name) => ({ platform: 'iceberg' as const, name })),
    ...chosen
      .flatMap((m) => m.refs)
      .filter((r) => !selected.has(r))
      .map((r) => ({ platform: 'dbt' as const, name: `${model.name}.${r}` })),
  ];
  const writes = chosen.map((m) => ({ platform: 'dbt' as const, name: `${model.name}.${m.name}` }));
  return { dbt: { project: model.name, command: step.command, select: [...step.select] }, ...datasets(reads, writes) };
}

function dltStepFields(
  step: DltLoad,
  pipeline: string,
  ctx: AnalyticsContext,
  problems: Problems,
): Pick<Step, 'dlt' | 'datasets'> {
  const path = step.node.path;
  const add = (m: string | undefined) => m && problems.add(path, m);
  const p = step.load;
  const dest: unknown = p.destination;
  let table: Table | undefined;
  if (!(dest instanceof IcebergTable))
    add(
      `destination is ${dest === undefined ? 'missing' : 'not an IcebergTable'}; a dlt load writes a table the ` +
        'app defines: pass the IcebergTable construct',
    );
  else {
    table = ctx.tables.find((t) => t.path === dest.node.path);
    if (!table)
      add(`destination '${dest.node.path}' is not a table of this app; create the IcebergTable under the same app`);
  }
  const src = p.source;
  if (src?.kind !== 'files') add("source: give DltSource.files('s3://<repository>/<branch>/<folder>')");
  else {
    if (!/^(s3|gs|az|abfss|file|https?):\/\/\S+$/.test(src.bucketUrl))
      add(
        `source bucketUrl '${src.bucketUrl}' is not a URL dlt's filesystem source reads; use ` +
          's3://<repository>/<branch>/<folder>',
      );
    if (/^[a-z0-9+.-]+:\/\/[^/]*@/i.test(src.bucketUrl))
      add(
        `source bucketUrl '${src.bucketUrl}' holds credentials; never write a secret into a definition: the ` +
          'load reads the lakeFS key pair from credentials',
      );
    for (const [field, value] of [
      ['bucketUrl', src.bucketUrl],
      ['fileGlob', src.fileGlob],
    ] as const) {
      const shape = secretShape(value);
      if (shape)
        add(
          `source ${field} holds what looks like ${shape}; never write a secret into a definition: keep it in ` +
            'a Kubernetes Secret',
        );
    }
    if (!['csv', 'jsonl', 'parquet'].includes(src.format))
      add(`source format '${String(src.format)}' is not one dlt's filesystem source reads; use csv, jsonl or parquet`);
  }
  const resource = p.resource ?? (dest instanceof IcebergTable ? dest.node.id : '');
  // Without a destination there is no default name to check; that problem is reported above.
  if (p.resource !== undefined || resource !== '') add(checkIdentifier('resource', resource));
  const disposition = p.writeDisposition ?? 'replace';
  if (!['append', 'replace'].includes(disposition))
    add(`writeDisposition '${String(disposition)}' is not one dfp renders; use append or replace`);
  secretRef(p.credentials?.accessKeyId, 'credentials.accessKeyId', add);
  secretRef(p.credentials?.secretAccessKey, 'credentials.secretAccessKey', add);
  const pipelineName = dltPipelineName(step.node.id);
  return {
    dlt: {
      pipelineName,
      resource,
      source: {
        kind: 'files',
        bucketUrl: src?.bucketUrl ?? '',
        fileGlob: src?.fileGlob ?? '',
        format: src?.format ?? 'csv',
      },
      destination: table?.name ?? '',
      writeDisposition: disposition,
      configMap: dltConfigMap(pipeline, step.node.id),
    },
    ...datasets(
      [{ platform: 'dlt', name: `${pipelineName}.${resource}` }],
      table ? [{ platform: 'iceberg', name: table.name }] : [],
    ),
  };
}
