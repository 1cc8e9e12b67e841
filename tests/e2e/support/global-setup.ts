import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The e2e suites run against the embedded cluster (docs/cluster.md), or against the user's
// own when KUBECONFIG names one. The cluster is left as it was found: started here means
// stopped here; already running (`make cluster-up`, another user of the machine) means left up.
const ROOT = join(__dirname, '..', '..', '..');
let startedHere = false;

function apiServerRuns(): boolean {
  try {
    execFileSync('bash', ['-c', 'source scripts/cluster/lib.sh && running_pid kube-apiserver'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

export function setup(): void {
  if (process.env.KUBECONFIG) return;
  startedHere = !apiServerRuns();
  const out = execFileSync(join(ROOT, 'scripts/cluster/up'), [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.env.KUBECONFIG = out.trim().split('\n').at(-1);
}

export function teardown(): void {
  if (startedHere && process.env.DFP_E2E_KEEP_CLUSTER !== '1') {
    execFileSync(join(ROOT, 'scripts/cluster/down'), [], { stdio: 'inherit' });
  }
}
