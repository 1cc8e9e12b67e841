/**
 * emit/json.ts: jsonText lays a value out with its keys in canonicalJson's order without
 * printing and parsing the canonical text; on random JSON (integer-like keys, `__proto__`,
 * undefined members, unicode, nested lists) it gives the bytes the print-and-parse did.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonText, type JsonValue } from '../emit/json.ts';

const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', '0', '1', '10', '2', '01', '-1', 'a', 'B', 'é', '', ' '),
  fc.string({ maxLength: 6 }),
);
const leaf = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 5 }),
  ),
})).value;

describe('jsonText', () => {
  it('gives the bytes of laying out JSON.parse(canonicalJson(value))', () => {
    fc.assert(
      fc.property(json, (value) => {
        const reference = `${JSON.stringify(JSON.parse(canonicalJson(value as JsonValue)), null, 2)}\n`;
        expect(jsonText(value)).toBe(reference);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the author order when asked to', () => {
    expect(jsonText({ b: 1, a: [{ d: 1, c: 2 }] }, { sortKeys: false })).toBe(
      '{\n  "b": 1,\n  "a": [\n    {\n      "d": 1,\n      "c": 2\n    }\n  ]\n}\n',
    );
    expect(jsonText({ b: 1, a: [{ d: 1, c: 2 }] })).toBe(
      '{\n  "a": [\n    {\n      "c": 2,\n      "d": 1\n    }\n  ],\n  "b": 1\n}\n',
    );
  });
});
