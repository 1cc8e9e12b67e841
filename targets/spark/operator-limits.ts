/**
 * The values the Spark Operator's CRD refuses (its kubebuilder markers, as
 * tests/conformance/spark-operator/markers.py lists them from api/v1beta2), checked on
 * each rendered SparkApplication, so that synth refuses what `kubectl apply` would: an
 * application type, deploy mode, Python version or restart policy outside the enums,
 * fewer than one core or executor, a negative retry count, a retry interval under 1 s.
 * The transform rules refuse what a user can set; this holds the renderer to the same.
 */
import { RenderError } from '../types.ts';

const MARKERS: readonly (readonly [
  readonly string[],
  { readonly enum?: readonly string[]; readonly minimum?: number },
])[] = [
  [['spec', 'type'], { enum: ['Java', 'Python', 'Scala', 'R'] }],
  [['spec', 'mode'], { enum: ['cluster', 'client'] }],
  [['spec', 'pythonVersion'], { enum: ['2', '3'] }],
  [['spec', 'restartPolicy', 'type'], { enum: ['Never', 'Always', 'OnFailure'] }],
  [['spec', 'restartPolicy', 'onSubmissionFailureRetries'], { minimum: 0 }],
  [['spec', 'restartPolicy', 'onFailureRetries'], { minimum: 0 }],
  [['spec', 'restartPolicy', 'onSubmissionFailureRetryInterval'], { minimum: 1 }],
  [['spec', 'restartPolicy', 'onFailureRetryInterval'], { minimum: 1 }],
  [['spec', 'driver', 'cores'], { minimum: 1 }],
  [['spec', 'executor', 'cores'], { minimum: 1 }],
  [['spec', 'executor', 'instances'], { minimum: 1 }],
];

/** Throws a RenderError at `path` (the transform) naming the first value the operator refuses. */
export function checkOperatorLimits(app: object, path: string): void {
  for (const [at, rule] of MARKERS) {
    let node: unknown = app;
    for (const key of at)
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    if (node === undefined) continue;
    if (rule.enum && !rule.enum.includes(node as string)) {
      throw new RenderError(
        path,
        `SparkApplication ${at.join('.')} '${String(node)}' is not one of ${rule.enum.join(', ')}, which the ` +
          'Spark Operator accepts',
      );
    }
    if (rule.minimum !== undefined && !(typeof node === 'number' && Number.isInteger(node) && node >= rule.minimum)) {
      throw new RenderError(
        path,
        `SparkApplication ${at.join('.')} ${String(node)} must be a whole number of at least ${rule.minimum}, ` +
          'as the Spark Operator requires',
      );
    }
  }
}
