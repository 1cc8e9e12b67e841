/**
 * The same definitions give the same bytes: in fresh processes, whatever the time zone
 * and locale, and equal to the committed dist/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { ROOT, runTsx } from './support/process.ts';

function synthIn(env: Record<string, string>): Map<string, string> {
  const dist = join(mkdtempSync(join(tmpdir(), 'dfp-det-')), 'dist');
  const r = runTsx(join(ROOT, 'main.ts'), { env: { ...env, DFP_DIST: dist } });
  expect(r.status, r.stderr).toBe(0);
  return readTree(dist);
}

describe('determinism', () => {
  it('two synths in fresh processes, different TZ and locale, are byte-identical and equal dist/', () => {
    const a = synthIn({ TZ: 'UTC', LC_ALL: 'C', LANG: 'C' });
    const b = synthIn({ TZ: 'Pacific/Kiritimati', LC_ALL: 'tr_TR.UTF-8', LANG: 'tr_TR.UTF-8' });
    expect(a.size).toBeGreaterThanOrEqual(6);
    expect([...b.entries()]).toEqual([...a.entries()]);
    expect([...a.entries()]).toEqual([...readTree(join(ROOT, 'dist')).entries()]);
  });

  it('writes LF line ends, one final newline, and no timestamps', () => {
    for (const [path, content] of readTree(join(ROOT, 'dist'))) {
      expect(content.includes('\r'), path).toBe(false);
      expect(content.endsWith('\n') && !content.endsWith('\n\n'), path).toBe(true);
      expect(content, path).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
    }
  });
});
