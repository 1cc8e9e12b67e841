/**
 * Which Parsing Canonical Form is right (issue 27, class 6). avsc and Apache Avro's Python
 * package gave different fingerprints for the same schema. The difference is in a
 * primitive with a logical type, `{"type": "long", "logicalType": "timestamp-micros"}`:
 * the specification ("Parsing Canonical Form for Schemas") applies [STRIP] (keep only
 * type, name, fields, symbols, items, values, size: the logicalType goes) and
 * [PRIMITIVES] ("Convert primitive schemas to their simple form (e.g., int instead of
 * {"type":"int"})"), so the canonical form is `"long"`. avsc, fastavro and dfp write
 * that; Apache Avro's Python package (1.12) strips the attribute but keeps the object,
 * `{"type":"long"}`, which the spec's [PRIMITIVES] rule forbids. dfp follows the spec:
 * this test holds its canonical forms and recorded fingerprints to fastavro's (a second
 * implementation besides avsc, tests/dataplane.test.ts) and shows that Python avro's form
 * differs from them only by that rule.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalForm } from '../targets/schemas/avro.ts';
import { readTree } from '../synth/writer.ts';
import { ROOT, run } from './support/process.ts';

const HARNESS = join(ROOT, 'tests', 'conformance', 'avro');
const tree = readTree(join(ROOT, 'dist'));
const schemas = [...tree.keys()].filter((p) => p.endsWith('.avsc'));

interface Forms {
  fastavro: { canonical: string; sha256: string };
  avro: { canonical: string };
}

function forms(paths: readonly string[]): Record<string, Forms> {
  const r = run(join(HARNESS, '.venv', 'bin', 'python'), [join(HARNESS, 'fingerprints.py'), ...paths]);
  if (r.status !== 0) throw new Error(`fingerprints.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Forms>;
}

/** The [PRIMITIVES] rule applied to a canonical form: `{"type":"long"}` becomes `"long"`. */
const simplePrimitives = (form: string) =>
  form.replace(/\{"type":("(?:null|boolean|int|long|float|double|bytes|string)")\}/g, '$1');

describe('Avro Parsing Canonical Form: dfp, fastavro and the specification agree', () => {
  const all = forms(schemas.map((p) => join(ROOT, 'dist', p)));

  it('there are schemas with logical types among them (where the implementations differ)', () => {
    expect(schemas.length).toBeGreaterThan(0);
    expect(schemas.some((p) => tree.get(p)!.includes('"logicalType"'))).toBe(true);
    // …and Python avro's form does differ there: the difference this test decides.
    expect(Object.values(all).some((f) => f.avro.canonical !== f.fastavro.canonical)).toBe(true);
  });

  for (const path of schemas) {
    it(`${path}: dfp's canonical form and recorded fingerprint are fastavro's`, () => {
      const f = all[join(ROOT, 'dist', path)]!;
      const schema = JSON.parse(tree.get(path)!) as { name: string; namespace: string };
      expect(canonicalForm(schema)).toBe(f.fastavro.canonical);
      const recorded = JSON.parse(tree.get(`${path.split('/')[0]}/schemas/fingerprints.json`)!).schemas as Record<
        string,
        string
      >;
      expect(recorded[`${schema.namespace}.${schema.name}`]).toBe(f.fastavro.sha256);
      // Apache Avro's Python form differs only where [PRIMITIVES] applies.
      expect(simplePrimitives(f.avro.canonical)).toBe(f.fastavro.canonical);
    });
  }

  it("the spec's own example: a primitive as an object is the primitive's name", () => {
    expect(canonicalForm({ type: 'int' })).toBe('"int"');
    expect(canonicalForm({ type: 'long', logicalType: 'timestamp-micros' })).toBe('"long"');
    expect(
      canonicalForm({
        type: 'record',
        name: 'r',
        namespace: 'n',
        doc: 'x',
        fields: [{ name: 'a', type: { type: 'int', logicalType: 'date' }, default: 1 }],
      }),
    ).toBe('{"name":"n.r","type":"record","fields":[{"name":"a","type":"int"}]}');
  });
});
