import { rmSync } from 'node:fs';

// Every test writes its scratch files under one directory made for this run (vitest.config.ts
// points TMPDIR of every test process, and of what they spawn, at it); it goes when the run ends,
// so a suite that forgets a temp dir, or is killed, leaves nothing in /tmp after the next teardown.
export function teardown(): void {
  const dir = process.env.DFP_TEST_TMPDIR;
  if (dir && process.env.DFP_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
}
