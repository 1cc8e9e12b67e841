/**
 * The shared Python printer and Jinja escaper (emit/): names cannot carry code, literals
 * are ASCII and exact. Their round trips through real Python and real Airflow are
 * checked at scale in airflow-escaping.property.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { jinjaString, jinjaTemplate, jinjaText } from '../emit/jinja.ts';
import {
  attr,
  call,
  Identifiers,
  index,
  isIdentifier,
  list,
  lit,
  name,
  printExpr,
  pyLiteral,
  pyNumber,
  pyString,
  sanitizeIdentifier,
  UnrepresentableValue,
} from '../emit/python.ts';

describe('Python subscripts', () => {
  it('print flat when short and broken when long, and Python reads both as the same subscript', () => {
    const short = index(name('view'), list([lit('a'), lit('b')]));
    const long = index(name('view'), list(Array.from({ length: 12 }, (_, i) => lit(`feature_number_${i}`))));
    expect(printExpr(short)).toBe('view[["a", "b"]]');
    expect(printExpr(long)).toContain('\n');
    const dump = (code: string) =>
      spawnSync('python3', ['-c', 'import ast, sys; print(ast.dump(ast.parse(sys.stdin.read(), mode="eval")))'], {
        input: code,
        encoding: 'utf8',
      });
    const broken = dump(printExpr(long));
    expect(broken.status).toBe(0);
    expect(broken.stdout).toBe(
      dump(`view[[${Array.from({ length: 12 }, (_, i) => `"feature_number_${i}"`).join(', ')}]]`).stdout,
    );
    expect(broken.stdout).toContain('Subscript(');
  });
});

describe('Python names', () => {
  it('refuses anything but identifiers where code expects a name', () => {
    for (const bad of ['a; import os', 'x)', '__import__("os")', 'class', 'a.b-c', '', 'é'])
      expect(() => name(bad)).toThrow('not a Python name');
    expect(() => attr(name('k8s'), 'V1EnvVar()')).toThrow('not a Python attribute');
    expect(() => call('f', [], { 'x=1, y': lit(1) })).toThrow('not a Python keyword argument');
    expect(printExpr(name('k8s.V1EnvVar'))).toBe('k8s.V1EnvVar');
  });

  it('sanitizes text into identifiers and keeps them distinct', () => {
    expect(sanitizeIdentifier('process-data')).toBe('process_data');
    expect(sanitizeIdentifier('9lives')).toBe('_9lives');
    expect(sanitizeIdentifier('for')).toBe('for_');
    expect(sanitizeIdentifier('')).toBe('__');
    expect(isIdentifier('match')).toBe(false);
    const ids = new Identifiers(['dag']);
    expect([ids.for('dag'), ids.for('a-b'), ids.for('a_b'), ids.for('a-b')]).toEqual(['dag_2', 'a_b', 'a_b_2', 'a_b']);
  });
});

describe('Python literals', () => {
  it('prints strings in ASCII with escapes Python reads back', () => {
    expect(pyString('say "hi"\\\n')).toBe('"say \\"hi\\"\\\\\\n"');
    expect(pyString('\u2028é🚀\u0000')).toBe('"\\u2028\\xe9\\U0001f680\\x00"');
    expect(pyString('\'\'\'"""')).toBe('"\'\'\'\\"\\"\\""');
  });

  it('writes printable ASCII as it is but for the quote and the backslash, and escapes what is around it', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(pyString(printable)).toBe(`"${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`);
    expect(pyString('image:0.1@sha256:ab')).toBe('"image:0.1@sha256:ab"');
    expect(pyString('a\x7fb')).toBe('"a\\x7fb"');
    expect(pyString('a\x1fb\tc')).toBe('"a\\x1fb\\tc"');
    expect(pyString('')).toBe('""');
  });

  it('refuses lone surrogates and non-finite numbers', () => {
    expect(() => pyString('a\ud800')).toThrow(UnrepresentableValue);
    expect(() => pyString('\udc00')).toThrow('lone UTF-16 surrogate');
    expect(() => pyNumber(Number.NaN)).toThrow(UnrepresentableValue);
    expect(() => pyNumber(Number.POSITIVE_INFINITY)).toThrow(UnrepresentableValue);
  });

  it('prints integers exactly and floats as floats', () => {
    expect(pyNumber(2 ** 60)).toBe('1152921504606846976');
    expect(pyNumber(1e21)).toBe('1000000000000000000000');
    expect(pyNumber(-0)).toBe('0');
    expect(pyNumber(0.1)).toBe('0.1');
    expect(pyNumber(5e-324)).toBe('5e-324');
    expect(pyLiteral({ a: [true, null, 1.5] })).toBe('{"a": [True, None, 1.5]}');
  });
});

describe('Jinja text', () => {
  it('leaves plain text alone and turns template syntax into one string expression', () => {
    expect(jinjaText('--model-name')).toBe('--model-name');
    expect(jinjaText('{{ 7*7 }}')).toBe("{{ '\\x7b\\x7b 7*7 \\x7d\\x7d' }}");
    expect(jinjaText('a\n')).toBe("{{ 'a\\x0a' }}");
    expect(jinjaText('x.json', { templateExt: ['.json'] })).toBe("{{ 'x.json' }}");
    expect(jinjaString("it's")).toBe("'it\\x27s'");
  });

  it('checks only the last piece of a template against template file extensions', () => {
    const ext = { templateExt: ['.json'] };
    expect(jinjaTemplate([{ text: 'a.json' }, { expression: 'run_id' }], ext)).toBe('a.json{{ run_id }}');
    expect(jinjaTemplate([{ expression: 'run_id' }, { text: '.json' }], ext)).toBe("{{ run_id }}{{ '.json' }}");
  });
});
