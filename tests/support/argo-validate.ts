/**
 * Argo Workflows' own validator (workflow/validate of the release the embedded cluster
 * runs: what `argo lint`, the Argo server and the controllers run), through our harness
 * scripts/argo-validate/ (built once by scripts/argo-validate.sh, cached in .tools/).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './process.ts';

/** One Argo object and what the validator refused in it (empty: accepted). */
export interface ArgoVerdict {
  readonly file: string;
  readonly index: number;
  readonly kind: string;
  readonly name: string;
  readonly refusals: readonly string[];
}

export interface ArgoValidation {
  readonly status: number | null;
  readonly verdicts: readonly ArgoVerdict[];
  readonly stderr: string;
}

let binary: string | undefined;

/** The harness's path, built on first use (a link step when Go's build cache is warm). */
export function argoValidator(): string {
  if (binary) return binary;
  const r = spawnSync(join(ROOT, 'scripts', 'argo-validate.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  });
  if (r.status !== 0) throw new Error(`scripts/argo-validate.sh failed (exit ${r.status})`);
  binary = r.stdout.trim().split('\n').at(-1)!;
  return binary;
}

/**
 * Validates `files` together: a WorkflowTemplate in one is what a templateRef or a
 * CronWorkflow's workflowTemplateRef in another resolves to, as with `argo lint --offline`.
 */
export function argoValidate(files: readonly string[]): ArgoValidation {
  const r = spawnSync(argoValidator(), files, { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  const verdicts = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ArgoVerdict);
  return { status: r.status, verdicts, stderr: r.stderr };
}
