/**
 * Transform constructs -> model, with their rules checked at the transform's path: the
 * name (it names a SparkApplication or Job), tables that are IcebergTables of this app,
 * one catalog and lakeFS location per transform (one warehouse), no table written twice,
 * the code, images, credentials by reference, and sizes. Which environments can run a
 * transform is checked with the environments, in rules-transforms.ts.
 */
import type { IConstruct } from 'constructs';
import { IcebergTable } from '../data.ts';
import { Transform } from '../transform.ts';
import { securityModel } from './build-step.ts';
import type { Problems } from './errors.ts';
import { checkDnsLabel, checkDnsSubdomain, checkImage, checkSecretKey } from './names.ts';
import { checkQuantity } from './quantity.ts';
import { guarded } from './structure.ts';
import type { Table, Transform as TransformModel } from './schema.ts';

/** Runs add `-<5 characters>` to the name; Kubernetes labels (the Job's pods) allow 63. */
const MAX_NAME = 50;
/**
 * Keys dfp sets itself: the catalog, the S3A filesystem, the Avro default and the jars (the
 * image's, on the driver's and executors' classpath: a spark.jars.* setting would ask Maven
 * at start-up, which pods cannot reach).
 */
const RESERVED_CONF = new RegExp(
  `^spark\\.(${[
    /sql\.catalog\./,
    /sql\.extensions$/,
    /sql\.defaultCatalog$/,
    /hadoop\.fs\.s3a\./,
    /jars\./,
    /(driver|executor)\.extraClassPath$/,
  ]
    .map((r) => r.source)
    .join('|')})`,
);
const ENTRYPOINT = /^(\/|local:\/\/\/|s3a:\/\/)\S+$/;

export function buildTransforms(
  all: readonly IConstruct[],
  tables: readonly Table[],
  problems: Problems,
): TransformModel[] {
  // Each on its own: a prop one transform cannot have read is reported at that transform, and hides no other.
  const transforms = all
    .filter((c): c is Transform => c instanceof Transform)
    .flatMap((t) => guarded(problems, t, () => buildTransform(t, tables, problems)));
  const writer = new Map<string, string>();
  for (const t of transforms) {
    for (const out of t.outputs) {
      const other = writer.get(out);
      if (other) problems.add(t.path, `output ${out} is also written by ${other}; let one transform own each table`);
      else writer.set(out, t.path);
    }
  }
  const seen = new Map<string, string>();
  for (const t of transforms) {
    const other = seen.get(t.name);
    if (other) problems.add(t.path, `another transform is named '${t.name}' (${other}); rename one`);
    seen.set(t.name, t.path);
  }
  return transforms;
}

function buildTransform(t: Transform, tables: readonly Table[], problems: Problems): TransformModel {
  const path = t.node.path;
  const p = t.props;
  const add = (message: string | undefined) => message && problems.add(path, message);
  add(checkDnsLabel('transform name', t.node.id));
  if (t.node.id.length > MAX_NAME)
    add(
      `transform name '${t.node.id}' is ${t.node.id.length} characters long; keep it to ${MAX_NAME}, since ` +
        'each run adds a suffix',
    );

  const resolve =
    (field: string) =>
    (x: unknown, i: number): Table | undefined => {
      if (!(x instanceof IcebergTable)) {
        add(`${field}[${i}] is not an IcebergTable; pass the table construct (new IcebergTable(...))`);
        return undefined;
      }
      const table = tables.find((m) => m.path === x.node.path);
      if (!table) add(`${field}[${i}] '${x.node.path}' is not a table of this app; create it under the same app`);
      return table;
    };
  const inputs = (p.inputs ?? []).map(resolve('inputs')).filter((x): x is Table => x !== undefined);
  const outputs = (p.outputs ?? []).map(resolve('outputs')).filter((x): x is Table => x !== undefined);
  if ((p.outputs ?? []).length === 0) add('outputs: name at least one IcebergTable the transform writes');
  for (const o of outputs)
    if (inputs.includes(o))
      add(
        `${o.name} is both an input and an output; a transform reads one version of a table and writes the ` +
          'next, so list it once, as an output',
      );
  for (const [field, list] of [
    ['inputs', inputs],
    ['outputs', outputs],
  ] as const) {
    const names = list.map((x) => x.name);
    for (const dup of names.filter((n, i) => names.indexOf(n) !== i)) add(`${field} lists ${dup} twice`);
  }

  // One catalog, one warehouse: the engine gets one catalog configuration per run.
  const all = [...inputs, ...outputs];
  const where = (x: Table) => `${x.catalog} in lakeFS ${x.lakefs.repository}@${refOf(x)}`;
  const first = all[0];
  for (const x of all.slice(1)) {
    if (first && where(x) !== where(first))
      add(
        `${x.name} is in catalog ${where(x)} but ${first.name} is in ${where(first)}; a transform works in one ` +
          'catalog and lakeFS location, so split it',
      );
  }

  const code = p.code;
  if (code.kind === 'sql') {
    const names = outputs.map((o) => o.name);
    for (const [table, query] of Object.entries(code.queries)) {
      if (!names.includes(table))
        add(
          `code: a query for '${table}', which is not an output; key each query by an output's namespace.table ` +
            `(${names.join(', ') || 'no outputs'})`,
        );
      else if (query.trim() === '') add(`code: the query for ${table} is empty`);
    }
    for (const missing of names.filter((n) => code.queries[n] === undefined))
      add(`code: no query for output ${missing}; give one SELECT per output table`);
  } else if (!ENTRYPOINT.test(code.file)) {
    add(
      `code: entrypoint '${code.file}' must be an absolute path in the image ('/opt/dfp/job.py') or a ` +
        'local:/// or s3a:// URI',
    );
  }

  const images = Object.entries(p.images ?? {}).filter(([, v]) => v !== undefined);
  if (images.length === 0) add('images: give an image for at least one engine (spark or datafusion)');
  for (const [engine, image] of images) {
    if (engine !== 'spark' && engine !== 'datafusion')
      add(`images.${engine}: dfp knows the engines spark and datafusion`);
    add(checkImage(image!));
  }

  // Secret references only: a string here (JavaScript callers, casts) is the key itself, never rendered.
  const creds = {
    accessKeyId: secretRef(p.credentials?.accessKeyId, 'accessKeyId', add),
    secretAccessKey: secretRef(p.credentials?.secretAccessKey, 'secretAccessKey', add),
  };

  const size = (what: string, x: { cpu?: string; memory?: string } | undefined) => {
    const cpu = x?.cpu ?? '1';
    const memory = x?.memory ?? '2Gi';
    add(checkQuantity(`${what}.cpu`, cpu, '1'));
    add(checkQuantity(`${what}.memory`, memory, '2Gi'));
    return { cpu, memory };
  };
  const instances = p.resources?.executors?.instances ?? 2;
  if (!Number.isInteger(instances) || instances < 1)
    add(`resources.executors.instances ${instances} must be a whole number of at least 1`);
  const retries = p.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0) add(`retries ${retries} must be a whole number of at least 0`);
  for (const key of Object.keys(p.sparkConf ?? {})) {
    if (RESERVED_CONF.test(key)) add(`sparkConf '${key}' is set by dfp (catalog, S3A, the image's jars); leave it out`);
  }

  return {
    name: t.node.id,
    path,
    ...(p.description ? { description: p.description } : {}),
    code:
      code.kind === 'sql'
        ? {
            kind: 'sql',
            queries: outputs
              .filter((o) => code.queries[o.name] !== undefined)
              .map((o) => ({ table: o.name, query: code.queries[o.name]! })),
          }
        : { kind: 'entrypoint', file: code.file, args: [...code.args] },
    images: Object.fromEntries(images.sort(([a], [b]) => (a < b ? -1 : 1))),
    inputs: inputs.map((x) => x.name),
    outputs: outputs.map((x) => x.name),
    catalog: first?.catalog ?? 'lakefs',
    lakefs: { repository: first?.lakefs.repository ?? '', ref: first ? refOf(first) : '' },
    credentials: {
      accessKeyId: { secret: creds.accessKeyId.secret, key: creds.accessKeyId.key },
      secretAccessKey: { secret: creds.secretAccessKey.secret, key: creds.secretAccessKey.key },
    },
    resources: {
      driver: size('resources.driver', p.resources?.driver),
      executors: { ...size('resources.executors', p.resources?.executors), instances },
    },
    retries,
    sparkConf: Object.fromEntries(Object.entries(p.sparkConf ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
    security: securityModel(undefined),
  };
}

/** A `{ secret, key }` reference, checked; anything else is reported and replaced by an empty one. */
function secretRef(
  ref: unknown,
  field: string,
  add: (message: string | undefined) => unknown,
): { secret: string; key: string } {
  const r = ref as { secret?: unknown; key?: unknown } | null | undefined;
  if (typeof r !== 'object' || r === null || typeof r.secret !== 'string') {
    add(
      `credentials.${field} is ${typeof ref === 'string' ? 'a literal value' : 'not a Secret reference'}; ` +
        `secrets go in by reference only: { secret: '<Secret name>', key: '<key>' }`,
    );
    return { secret: '', key: '' };
  }
  add(checkDnsSubdomain('credentials secret', r.secret));
  add(checkSecretKey(r.secret, typeof r.key === 'string' ? r.key : undefined));
  return { secret: r.secret, key: typeof r.key === 'string' ? r.key : '' };
}

const refOf = (t: Table) => (t.lakefs.ref.kind === 'commit' ? t.lakefs.ref.id : t.lakefs.ref.name);
