/**
 * The data plane, declared once: Iceberg tables versioned in lakeFS, Feast entities and
 * feature views over them. Field types are type names (`int64`, `timestamp`,
 * `decimal(10,2)`, `list<float32>`; see model/field-types.ts); each maps to Feast, Avro,
 * Iceberg and Spark SQL, so the four schemas cannot drift.
 */
import type { Duration } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * A lakeFS location: a branch or a tag, which `dfp lock` pins to a commit in
 * dfp.lock.json and synth reads from there, or an exact commit.
 */
export type LakeFsRef = { readonly branch: string } | { readonly tag: string } | { readonly commit: string };

/** The branch or tag a ref names, which needs a pin in dfp.lock.json; undefined for a commit. */
export function namedRef(ref: LakeFsRef): { readonly kind: 'branch' | 'tag'; readonly name: string } | undefined {
  if ('branch' in ref) return { kind: 'branch', name: ref.branch };
  if ('tag' in ref) return { kind: 'tag', name: ref.tag };
  return undefined;
}

/** Props of {@link IcebergTable}. */
export interface IcebergTableProps {
  /** The Iceberg catalog name Spark and Feast use. @default 'lakefs' */
  readonly catalog?: string;
  /** The namespace (database), e.g. `kronodroid`. */
  readonly namespace: string;
  /** The lakeFS repository whose objects hold the table. */
  readonly lakefsRepository: string;
  /** The branch or commit the table is read from. */
  readonly ref: LakeFsRef;
  /** Columns and their types, in table order. */
  readonly fields: Readonly<Record<string, string>>;
  /** The event-time column (type `timestamp`) Feast joins on. */
  readonly timestampField: string;
  /** Identity partition columns. @default none */
  readonly partitionBy?: readonly string[];
  /** What the table holds. @default none */
  readonly description?: string;
}

/** An Iceberg table (Avro data files) in a lakeFS repository. Its construct id is the table name. */
export class IcebergTable extends Construct {
  constructor(
    scope: Construct,
    id: string,
    public readonly props: IcebergTableProps,
  ) {
    super(scope, id);
  }

  /** `namespace.table`. */
  public get qualifiedName(): string {
    return `${this.props.namespace}.${this.node.id}`;
  }

  /**
   * The commit this table is read at, for `lineage.lakefsRef`: its `ref.commit`, or the
   * commit dfp.lock.json pins its branch to, resolved when the model is built.
   */
  public get pinnedCommit(): PinnedCommit {
    return new PinnedCommit(this);
  }
}

/** The commit an {@link IcebergTable} is read at (see `IcebergTable.pinnedCommit`). */
export class PinnedCommit {
  public readonly kind = 'pinnedCommit' as const;
  /** @param table the table whose ref is pinned */
  constructor(public readonly table: IcebergTable) {}
}

/** Props of {@link Entity}. */
export interface EntityProps {
  /** The join key column. @default the entity's id */
  readonly joinKey?: string;
  /** Its type. @default 'string' */
  readonly type?: string;
  /** What it identifies. @default none */
  readonly description?: string;
}

/** A Feast entity: the key features are looked up by. */
export class Entity extends Construct {
  constructor(
    scope: Construct,
    id: string,
    public readonly props: EntityProps = {},
  ) {
    super(scope, id);
  }
}

/** Props of {@link FeatureView}. */
export interface FeatureViewProps {
  /** The table the features come from. */
  readonly source: IcebergTable;
  /** The entities the view is keyed by. */
  readonly entities: readonly Entity[];
  /** Feature columns of the source; their types come from the table. */
  readonly features: readonly string[];
  /** How long a feature value stays valid. @default no limit */
  readonly ttl?: Duration;
  /** Materialise to the online store. @default true */
  readonly online?: boolean;
  /** Free-form tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** The owning team or person. @default none */
  readonly owner?: string;
  /** What the view is for. @default none */
  readonly description?: string;
}

/** A Feast feature view over an Iceberg table. Its construct id is the view's name. */
export class FeatureView extends Construct {
  constructor(
    scope: Construct,
    id: string,
    public readonly props: FeatureViewProps,
  ) {
    super(scope, id);
  }
}

/** Props of {@link FeatureService}. */
export interface FeatureServiceProps {
  /**
   * The views served, whole or as a selection of their features
   * (`{ view, features: ['a', 'b'] }`), each view at most once.
   */
  readonly features: readonly (FeatureView | { readonly view: FeatureView; readonly features: readonly string[] })[];
  /** Free-form tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /** The owning team or person. @default none */
  readonly owner?: string;
  /** What the service is for. @default none */
  readonly description?: string;
}

/** A Feast feature service: the features one model reads, by name. Its construct id is the service's name. */
export class FeatureService extends Construct {
  constructor(
    scope: Construct,
    id: string,
    public readonly props: FeatureServiceProps,
  ) {
    super(scope, id);
  }
}
