/**
 * Data-plane constructs -> model (build.ts sorts them by name), with every rule checked at the construct's path:
 * identifiers, field types and their Feast/Avro/Iceberg/Spark mappings, the event-time
 * column, partitions, pinned commits (a branch must be in dfp.lock.json), and feature views that only name columns
 * their source has, with types Feast can hold.
 */
import type { IConstruct } from 'constructs';
import { Entity, FeatureService, FeatureView, IcebergTable, namedRef } from '../data.ts';
import { pinnedCommit, unpinnedMessage } from '../lock.ts';
import type { Problems } from './errors.ts';
import { guarded } from './structure.ts';
import { parseFieldType } from './field-types.ts';
import { checkIdentifier, checkLakeFsRefName, checkLakeFsRepository, HEX64 } from './names.ts';
import type { DataPlane } from './schema.ts';

function ident(problems: Problems, path: string, what: string, value: string): void {
  const problem = checkIdentifier(what, value);
  if (problem) problems.add(path, problem);
}

function fieldType(problems: Problems, path: string, field: string, type: string) {
  const t = parseFieldType(type);
  if (typeof t === 'string') problems.add(path, `field '${field}': ${t}`);
  return typeof t === 'string' ? undefined : t;
}

export function buildDataPlane(
  all: readonly IConstruct[],
  problems: Problems,
): Omit<DataPlane, 'transforms' | 'dbtProjects'> {
  // Each construct is guarded on its own: a prop that cannot be read drops that construct
  // alone, reported at its path, and the rest of the data plane is still built and checked.
  const tables = all
    .filter((c): c is IcebergTable => c instanceof IcebergTable)
    .flatMap((t) =>
      guarded(problems, t, () => {
        const path = t.node.path;
        const p = t.props;
        ident(problems, path, 'table', t.node.id);
        ident(problems, path, 'namespace', p.namespace);
        const fields = Object.entries(p.fields).map(([name, type]) => {
          ident(problems, path, 'field', name);
          fieldType(problems, path, name, type);
          return { name, type };
        });
        const ts = fields.find((f) => f.name === p.timestampField);
        if (!ts)
          problems.add(
            path,
            `timestampField '${p.timestampField}' is not a field of the table; add it to fields or name an ` +
              'existing one',
          );
        else if (ts.type !== 'timestamp')
          problems.add(path, `timestampField '${p.timestampField}' has type '${ts.type}'; it must be a timestamp`);
        for (const col of p.partitionBy ?? []) {
          if (!fields.some((f) => f.name === col))
            problems.add(path, `partitionBy '${col}' is not a field of the table`);
        }
        if ('commit' in p.ref && !HEX64.test(p.ref.commit))
          problems.add(path, `ref.commit '${p.ref.commit}' is not a lakeFS commit id; use the 64-hex id`);
        const named = namedRef(p.ref);
        // Synth and `dfp lock` hold table refs to the same rules.
        for (const problem of [
          checkLakeFsRepository(p.lakefsRepository),
          named && checkLakeFsRefName(named.kind, named.name),
        ])
          if (problem) problems.add(path, problem);
        const commit = named
          ? pinnedCommit(t, p.lakefsRepository, named.name)
          : 'commit' in p.ref
            ? p.ref.commit
            : undefined;
        if (named && commit === undefined) problems.add(path, unpinnedMessage(t, p.lakefsRepository, named.name));
        return {
          name: t.qualifiedName,
          path,
          catalog: p.catalog ?? 'lakefs',
          namespace: p.namespace,
          table: t.node.id,
          lakefs: {
            repository: p.lakefsRepository,
            ref: named ?? { kind: 'commit' as const, id: 'commit' in p.ref ? p.ref.commit : '' },
            commit: commit ?? '',
          },
          fields,
          timestampField: p.timestampField,
          partitionBy: [...(p.partitionBy ?? [])],
          ...(p.description ? { description: p.description } : {}),
        };
      }),
    );

  const entities = all
    .filter((c): c is Entity => c instanceof Entity)
    .flatMap((e) =>
      guarded(problems, e, () => {
        const path = e.node.path;
        const type = e.props.type ?? 'string';
        ident(problems, path, 'entity', e.node.id);
        const t = fieldType(problems, path, e.props.joinKey ?? e.node.id, type);
        if (t && !['string', 'int32', 'int64'].includes(type))
          problems.add(path, `join key type '${type}' cannot key a Feast entity; use string, int32 or int64`);
        return {
          name: e.node.id,
          path,
          joinKey: e.props.joinKey ?? e.node.id,
          type,
          ...(e.props.description ? { description: e.props.description } : {}),
        };
      }),
    );

  const featureViews = all
    .filter((c): c is FeatureView => c instanceof FeatureView)
    .flatMap((v) =>
      guarded(problems, v, () => {
        const path = v.node.path;
        const p = v.props;
        ident(problems, path, 'feature view', v.node.id);
        const source = p.source instanceof IcebergTable ? tables.find((t) => t.path === p.source.node.path) : undefined;
        if (!source) {
          const table =
            p.source instanceof IcebergTable ? ` (${p.source.node.path} could not be built; see its own problems)` : '';
          problems.add(path, `source is not an IcebergTable of this app${table}; pass the table construct`);
          return [];
        }
        const features = p.features.map((name) => {
          const column = source.fields.find((f) => f.name === name);
          if (!column) {
            problems.add(
              path,
              `feature '${name}' is not a column of ${source.name}; add it to the table's fields or drop it`,
            );
            return { name, type: 'string' };
          }
          const t = parseFieldType(column.type);
          if (typeof t !== 'string' && !t.feast) {
            problems.add(
              path,
              `feature '${name}' has type '${column.type}', which Feast cannot hold; cast it in the transform ` +
                '(a date to a timestamp, a decimal to float64)',
            );
          }
          return column;
        });
        for (const e of p.entities) {
          const key = e.props.joinKey ?? e.node.id;
          const column = source.fields.find((f) => f.name === key);
          if (!column)
            problems.add(path, `entity '${e.node.id}' joins on '${key}', which is not a column of ${source.name}`);
          else if (column.type !== (e.props.type ?? 'string'))
            problems.add(
              path,
              `entity '${e.node.id}' is ${e.props.type ?? 'string'} but ${source.name}.${key} is ${column.type}` +
                '; make them the same type',
            );
        }
        if (p.features.length === 0) problems.add(path, 'features: name at least one column of the source');
        const ttlSeconds = p.ttl ? Math.round(p.ttl.toSeconds()) : 0;
        return [
          {
            name: v.node.id,
            path,
            source: source.name,
            entities: p.entities.map((e) => e.node.id),
            features,
            ttlSeconds,
            online: p.online ?? true,
            tags: Object.fromEntries(Object.entries(p.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
            ...(p.owner ? { owner: p.owner } : {}),
            ...(p.description ? { description: p.description } : {}),
          },
        ];
      }),
    )
    .flat();

  const featureServices = all
    .filter((c): c is FeatureService => c instanceof FeatureService)
    .flatMap((svc) =>
      guarded(problems, svc, () => {
        const path = svc.node.path;
        const p = svc.props;
        ident(problems, path, 'feature service', svc.node.id);
        if (p.features.length === 0) problems.add(path, 'features: serve at least one feature view');
        const features = p.features.map((item, i) => {
          const view = item instanceof FeatureView ? item : item?.view;
          const model = view instanceof FeatureView ? featureViews.find((v) => v.path === view.node.path) : undefined;
          if (!model) {
            problems.add(
              path,
              `features[${i}] is not a FeatureView of this app; pass the view (or { view, features })`,
            );
            return { view: '', features: [] };
          }
          const selected = item instanceof FeatureView ? [] : [...item.features];
          for (const f of selected.filter((f) => !model.features.some((x) => x.name === f))) {
            problems.add(
              path,
              `feature '${f}' is not a feature of view ${model.name}; it has ` +
                `${model.features.map((x) => x.name).join(', ')}`,
            );
          }
          if (!(item instanceof FeatureView) && selected.length === 0)
            problems.add(
              path,
              `features[${i}]: select at least one feature of ${model.name}, or pass the view itself to serve all`,
            );
          return { view: model.name, features: selected };
        });
        const names = features.map((f) => f.view).filter(Boolean);
        for (const dup of names.filter((n, i) => names.indexOf(n) !== i))
          problems.add(path, `view ${dup} is served twice; list it once`);
        return {
          name: svc.node.id,
          path,
          features,
          tags: Object.fromEntries(Object.entries(p.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))),
          ...(p.owner ? { owner: p.owner } : {}),
          ...(p.description ? { description: p.description } : {}),
        };
      }),
    );

  for (const [kind, xs] of [
    ['table', tables],
    ['entity', entities],
    ['feature view', featureViews],
    ['feature service', featureServices],
  ] as const) {
    const seen = new Map<string, string>();
    for (const x of xs) {
      const other = seen.get(x.name);
      if (other) problems.add(x.path, `another ${kind} is named '${x.name}' (${other}); rename one`);
      seen.set(x.name, x.path);
    }
  }
  return { tables, entities, featureViews, featureServices };
}
