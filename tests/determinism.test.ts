/**
 * The same definitions give the same bytes: many synths, each in a fresh process, under
 * time zones with odd offsets (Chatham +12:45, Kiritimati +14, Kathmandu +5:45, St John's
 * -3:30) and locales whose casing, digits and collation differ from English (Turkish
 * dotless i, German, Japanese, Arabic), all byte-identical to each other and to the
 * committed dist/. Two run at a time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { inParallel, ROOT, runTsxAsync } from './support/process.ts';

const SYNTHS = Number(process.env.DFP_DETERMINISM_SYNTHS ?? 20);
const SETTINGS: readonly Record<string, string>[] = [
  { TZ: 'UTC', LC_ALL: 'C', LANG: 'C' },
  { TZ: 'Pacific/Chatham', LC_ALL: 'tr_TR.UTF-8', LANG: 'tr_TR.UTF-8' },
  { TZ: 'Pacific/Kiritimati', LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' },
  { TZ: 'Asia/Kathmandu', LC_ALL: 'ja_JP.UTF-8', LANG: 'ja_JP.UTF-8' },
  { TZ: 'America/St_Johns', LC_ALL: 'ar_SA.UTF-8', LANG: 'ar_SA.UTF-8' },
];

async function synthIn(env: Record<string, string>): Promise<Map<string, string>> {
  const dist = join(mkdtempSync(join(tmpdir(), 'dfp-det-')), 'dist');
  const r = await runTsxAsync(join(ROOT, 'main.ts'), { env: { ...env, DFP_DIST: dist } });
  expect(r.status, r.stderr).toBe(0);
  return readTree(dist);
}

describe('determinism', () => {
  it(
    `${SYNTHS} synths in fresh processes, ${SETTINGS.length} time zones and locales, are byte-identical and ` +
      'equal dist/',
    async () => {
      const started = Date.now();
      const settings = Array.from({ length: SYNTHS }, (_, i) => SETTINGS[i % SETTINGS.length]!);
      const trees = await inParallel(settings.map((env) => () => synthIn(env)));
      const committed = [...readTree(join(ROOT, 'dist')).entries()];
      expect(committed.length).toBeGreaterThanOrEqual(6);
      trees.forEach((tree, i) =>
        expect([...tree.entries()], `synth ${i} (${JSON.stringify(settings[i])})`).toEqual(committed),
      );
      console.log(
        `determinism: ${trees.length} synths in fresh processes (` +
          `${SETTINGS.map((s) => `${s.TZ}/${s.LC_ALL}`).join(', ')}), ${committed.length} files each, ` +
          `byte-identical, ${Date.now() - started} ms`,
      );
    },
    Math.max(600_000, SYNTHS * 15_000),
  );

  it('the settings do reach the process: its time zone offset and locale differ from the control', async () => {
    // Control: without this, a runner that dropped TZ/LC_ALL would make the test above vacuous.
    const probe = join(ROOT, 'tests/fixtures/print-locale.ts');
    const a = await runTsxAsync(probe, { env: SETTINGS[0]! });
    const b = await runTsxAsync(probe, { env: SETTINGS[1]! });
    expect(a.stdout.trim()).toBe('0 en-US 1,234.5');
    expect(b.stdout.trim()).toBe('-825 tr-TR 1.234,5');
  });

  it('writes LF line ends, one final newline, and no timestamps', () => {
    for (const [path, content] of readTree(join(ROOT, 'dist'))) {
      expect(content.includes('\r'), path).toBe(false);
      expect(content.endsWith('\n') && !content.endsWith('\n\n'), path).toBe(true);
      expect(content, path).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
    }
  });
});
