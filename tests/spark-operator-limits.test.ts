/**
 * The Spark Operator's CRD refuses values its generated Python models accept (issue 27,
 * class 6): enums of type, mode, pythonVersion and restartPolicy.type, and minimums of
 * cores, instances, retries and retry intervals. The harness now checks them
 * (tests/conformance/spark-operator/markers.py, also written into the CRD that
 * tests/kube-apiserver.test.ts installs), and synth refuses them at the transform's path
 * (targets/spark/operator-limits.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RenderError } from '../targets/types.ts';
import { checkOperatorLimits } from '../targets/spark/operator-limits.ts';
import { validateSparkApplications } from './support/spark-operator.ts';
import { ROOT } from './support/process.ts';

type Json = Record<string, any>;
const APP = parse(readFileSync(join(ROOT, 'dist/dev/spark/applications/kronodroid-iceberg.yaml'), 'utf8')) as Json;
const mutate = (f: (o: Json) => void): Json => {
  const o = structuredClone(APP);
  f(o);
  return o;
};

const BROKEN: [string, (o: Json) => void, string, RegExp][] = [
  [
    'type',
    (o) => {
      o.spec.type = 'Pyhton';
    },
    'spec.type',
    /'Pyhton' is not one of Java, Python, Scala, R/,
  ],
  [
    'mode',
    (o) => {
      o.spec.mode = 'local';
    },
    'spec.mode',
    /'local' is not one of cluster, client/,
  ],
  [
    'pythonVersion',
    (o) => {
      o.spec.pythonVersion = '3.11';
    },
    'spec.pythonVersion',
    /'3.11' is not one of 2, 3/,
  ],
  [
    'restartPolicy.type',
    (o) => {
      o.spec.restartPolicy = { type: 'Sometimes' };
    },
    'spec.restartPolicy.type',
    /'Sometimes' is not one of Never, Always, OnFailure/,
  ],
  [
    'executor.instances',
    (o) => {
      o.spec.executor.instances = 0;
    },
    'spec.executor.instances',
    /0 is less than 1|0 must be a whole number of at least 1/,
  ],
  [
    'driver.cores',
    (o) => {
      o.spec.driver.cores = 0;
    },
    'spec.driver.cores',
    /0 is less than 1|0 must be a whole number of at least 1/,
  ],
  [
    'retry interval',
    (o) => {
      o.spec.restartPolicy = { type: 'OnFailure', onFailureRetries: 1, onFailureRetryInterval: 0 };
    },
    'spec.restartPolicy.onFailureRetryInterval',
    /0 is less than 1|0 must be a whole number of at least 1/,
  ],
];

describe("the Spark Operator's enums and minimums", () => {
  it('the harness refuses each, at its path; the rendered application passes (the control)', () => {
    const results = validateSparkApplications([
      { name: 'control', object: APP },
      ...BROKEN.map(([name, f]) => ({ name, object: mutate(f) })),
    ]);
    expect(results[0]).toMatchObject({ name: 'control', ok: true });
    BROKEN.forEach(([name, , path, says], i) => {
      expect(results[i + 1], name).toMatchObject({ name, ok: false, path });
      expect(results[i + 1]!.error, name).toMatch(says);
    });
  });

  it('synth refuses each at the transform, naming the value and what the operator accepts', () => {
    expect(() => checkOperatorLimits(APP, 'kronodroid-iceberg')).not.toThrow();
    for (const [name, f, path, says] of BROKEN) {
      let error: unknown;
      try {
        checkOperatorLimits(mutate(f), 'kronodroid-iceberg');
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(RenderError);
      expect((error as RenderError).path).toBe('kronodroid-iceberg');
      expect((error as Error).message, name).toContain(`SparkApplication ${path} `);
      expect((error as Error).message, name).toMatch(says);
    }
  });
});
