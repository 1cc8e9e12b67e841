/**
 * The one type system of the data plane. A field is declared once, as a type name, and
 * maps to a Feast dtype, an Avro type, an Iceberg type and a Spark SQL type; a type one
 * of them lacks is reported where it is used (the construct path), not discovered when
 * the feature store or the Spark job fails.
 *
 * Type names: `string`, `int32`, `int64`, `float32`, `float64`, `bool`, `bytes`,
 * `timestamp` (microseconds, UTC), `date`, `decimal(P,S)`, `list<T>` for a scalar T.
 */
export type AvroType = string | { readonly [key: string]: unknown };

interface Scalar {
  readonly feast?: string;
  readonly avro: AvroType;
  readonly iceberg: string;
  readonly spark: string;
}

const SCALARS: Readonly<Record<string, Scalar>> = {
  string: { feast: 'String', avro: 'string', iceberg: 'string', spark: 'STRING' },
  int32: { feast: 'Int32', avro: 'int', iceberg: 'int', spark: 'INT' },
  int64: { feast: 'Int64', avro: 'long', iceberg: 'long', spark: 'BIGINT' },
  float32: { feast: 'Float32', avro: 'float', iceberg: 'float', spark: 'FLOAT' },
  float64: { feast: 'Float64', avro: 'double', iceberg: 'double', spark: 'DOUBLE' },
  bool: { feast: 'Bool', avro: 'boolean', iceberg: 'boolean', spark: 'BOOLEAN' },
  bytes: { feast: 'Bytes', avro: 'bytes', iceberg: 'binary', spark: 'BINARY' },
  timestamp: {
    feast: 'UnixTimestamp',
    avro: { type: 'long', logicalType: 'timestamp-micros' },
    iceberg: 'timestamptz',
    spark: 'TIMESTAMP',
  },
  // Feast has no date type: a date feature must be cast (to a timestamp or a string) first.
  date: { avro: { type: 'int', logicalType: 'date' }, iceberg: 'date', spark: 'DATE' },
};

export interface FieldType {
  /** The declared name, e.g. `list<int64>`. */
  readonly name: string;
  /** Feast's dtype expression (`Float64`, `Array(Int64)`), or undefined when Feast has none. */
  readonly feast?: string;
  readonly avro: AvroType;
  readonly iceberg: string;
  readonly spark: string;
}

/** A scalar by name; own keys only, so `valueOf` or `constructor` is not a type. */
const scalarNamed = (name: string): Scalar | undefined => (Object.hasOwn(SCALARS, name) ? SCALARS[name] : undefined);

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;
const LIST = /^list<(.+)>$/;

/** The type's mappings, or a message saying what is wrong with the name. */
export function parseFieldType(name: string): FieldType | string {
  const scalar = scalarNamed(name);
  if (scalar) return { name, ...scalar };
  const d = DECIMAL.exec(name);
  if (d) {
    const [precision, scale] = [Number(d[1]), Number(d[2])];
    if (precision < 1 || precision > 38 || scale > precision)
      return `'${name}' needs 1 <= precision <= 38 and scale <= precision`;
    return {
      name,
      // Feast has no decimal type.
      avro: { type: 'bytes', logicalType: 'decimal', precision, scale },
      iceberg: `decimal(${precision}, ${scale})`,
      spark: `DECIMAL(${precision},${scale})`,
    };
  }
  const l = LIST.exec(name);
  if (l) {
    const inner = scalarNamed(l[1]!);
    if (!inner) return `'${name}': a list holds one of ${Object.keys(SCALARS).join(', ')}`;
    return {
      name,
      feast: inner.feast && inner.feast !== 'Bool' ? `Array(${inner.feast})` : undefined,
      avro: { type: 'array', items: inner.avro },
      iceberg: `list<${inner.iceberg}>`,
      spark: `ARRAY<${inner.spark}>`,
    };
  }
  return `unknown field type '${name}'; use one of ${Object.keys(SCALARS).join(', ')}, decimal(P,S) or list<T>`;
}
