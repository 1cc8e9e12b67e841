/**
 * Strict structural check of JSON values against the TypeScript interfaces that the
 * kubernetes-models packages generate from the upstream Go types.
 *
 * Why: the packages' own `validate()` checks types and required fields but accepts
 * unknown fields, so a misspelt `retryStratgy` would pass. Here every value is written
 * out as an object literal typed with the package's interface and type-checked by the
 * TypeScript compiler: its excess-property check rejects unknown fields at every depth,
 * and ordinary assignability catches wrong types and missing required fields. Each
 * diagnostic is mapped back to the JSON path of the offending value.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './process.ts';

/** Which exported interface of which module a value must conform to. */
export interface TypeRef {
  readonly module: string;
  readonly type: string;
}

export interface Subject {
  /** Names the value in problems, e.g. a dist/ path. */
  readonly name: string;
  readonly type: TypeRef;
  readonly value: unknown;
}

export interface StrictProblem {
  readonly subject: string;
  /** JSON path of the offending value, e.g. `spec.templates[2].container.image`. */
  readonly path: string;
  readonly message: string;
}

const V1ALPHA1 = '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1';

export const ARGO_TYPES = {
  WorkflowTemplate: { module: `${V1ALPHA1}/WorkflowTemplate`, type: 'IWorkflowTemplate' },
  CronWorkflow: { module: `${V1ALPHA1}/CronWorkflow`, type: 'ICronWorkflow' },
  ArtifactRepository: {
    module: `${V1ALPHA1}/ArtifactRepository`,
    type: 'IComGithubArgoprojArgoWorkflowsV4PkgApisWorkflowV1alpha1ArtifactRepository',
  },
  ConfigMap: { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
} as const satisfies Record<string, TypeRef>;

/** Argo CD (v3 API types, argoproj.io/v1alpha1). */
export const ARGOCD_TYPES = {
  Application: { module: '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application', type: 'IApplication' },
} as const satisfies Record<string, TypeRef>;

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [],
};

/** Type-checks every subject in one compiler program; returns all problems found. */
export function strictCheck(subjects: readonly Subject[]): StrictProblem[] {
  // In-memory files, named as if inside the project so that node_modules resolution applies.
  const dir = join(ROOT, 'tests', '.strict-schema');
  const files = new Map<string, { subject: Subject; text: string }>();
  subjects.forEach((subject, i) => {
    const text =
      `import type { ${subject.type.type} as T } from ${JSON.stringify(subject.type.module)};\n` +
      `export const value: T = ${JSON.stringify(subject.value, null, 2)};\n`;
    files.set(join(dir, `subject-${i}.ts`), { subject, text });
  });

  const host = ts.createCompilerHost(OPTIONS, true);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => files.get(f)?.text ?? readFile(f);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.getSourceFile = (f, lang, onError, create) => {
    const virtual = files.get(f);
    return virtual ? ts.createSourceFile(f, virtual.text, lang, true) : getSourceFile(f, lang, onError, create);
  };

  const program = ts.createProgram([...files.keys()], OPTIONS, host);
  const problems: StrictProblem[] = [];
  for (const [file, { subject }] of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`strict-schema: compiler lost ${file}`);
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      problems.push({
        subject: subject.name,
        path: d.start === undefined ? '' : jsonPathAt(source, d.start),
        message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
      });
    }
  }
  return problems;
}

/** The JSON path of the innermost literal that contains `pos`. */
function jsonPathAt(source: ts.SourceFile, pos: number): string {
  let node: ts.Node = source;
  for (;;) {
    const child = node.getChildren(source).find((c) => c.getStart(source) <= pos && pos < c.getEnd());
    if (!child) break;
    node = child;
  }
  const parts: string[] = [];
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    const parent = n.parent;
    if (ts.isPropertyAssignment(n) && ts.isStringLiteral(n.name)) parts.unshift(`.${n.name.text}`);
    else if (parent && ts.isArrayLiteralExpression(parent) && parent.elements.includes(n as ts.Expression)) {
      parts.unshift(`[${parent.elements.indexOf(n as ts.Expression)}]`);
    }
  }
  return parts.join('').replace(/^\./, '');
}
