/**
 * The dbt and dlt sync ConfigMaps are what the steps mount, and the files next to them in
 * dist/ are what tests/dbt.test.ts and tests/dlt.test.ts run real dbt and dlt on (issue 27,
 * class 6). Each ConfigMap key must be that checked file, byte for byte, and every checked
 * file must be in a ConfigMap, in every environment; otherwise the tests would pass on
 * files no pod ever sees.
 */
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { ROOT } from './support/process.ts';

interface ConfigMap {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data: Record<string, string>;
}

const tree = readTree(join(ROOT, 'dist'));
const envs = [...new Set([...tree.keys()].map((p) => p.split('/')[0]!))].sort();

/** Each ConfigMap of `env`'s `tool` sync folder, with the folder of checked files it must mirror. */
function mounted(env: string, tool: 'dbt' | 'dlt'): { map: ConfigMap; folder: string }[] {
  const out: { map: ConfigMap; folder: string }[] = [];
  for (const [path, content] of tree) {
    if (!path.startsWith(`${env}/${tool}/sync/`)) continue;
    for (const doc of parseAllDocuments(content)) {
      const map = doc.toJS() as ConfigMap;
      const folder =
        tool === 'dbt' ? map.metadata.labels!['dfp.dev/dbt-project']! : map.metadata.annotations!['dfp.dev/source']!;
      out.push({ map, folder: `${env}/${tool}/${folder}` });
    }
  }
  return out;
}

/** Differences between the ConfigMaps and the checked files of one environment and tool. */
function differences(
  env: string,
  tool: 'dbt' | 'dlt',
  files: ReadonlyMap<string, string>,
  maps = mounted(env, tool),
): string[] {
  const out: string[] = [];
  const covered = new Set<string>();
  for (const { map, folder } of maps) {
    for (const [key, value] of Object.entries(map.data)) {
      const file = `${folder}/${key}`;
      covered.add(file);
      if (!files.has(file)) out.push(`${map.metadata.name}: ${key} has no checked file ${file}`);
      else if (files.get(file) !== value) out.push(`${map.metadata.name}: ${key} differs from ${file}`);
    }
  }
  for (const file of files.keys()) {
    if (file.startsWith(`${env}/${tool}/`) && !file.startsWith(`${env}/${tool}/sync/`) && !covered.has(file))
      out.push(`${file} is in no ConfigMap`);
  }
  return out;
}

describe('dbt and dlt: the ConfigMaps hold exactly the files the tests check', () => {
  for (const env of envs) {
    for (const tool of ['dbt', 'dlt'] as const) {
      it(`${env}/${tool}: every key is its checked file, byte for byte, and every checked file is mounted`, () => {
        const maps = mounted(env, tool);
        expect(maps.length, `no ${tool} ConfigMap in ${env}`).toBeGreaterThan(0);
        expect(maps.reduce((n, m) => n + Object.keys(m.map.data).length, 0)).toBeGreaterThan(0);
        expect(differences(env, tool, tree, maps)).toEqual([]);
      });
    }
  }

  it('the comparison sees a changed byte and a file no ConfigMap holds (it can fail)', () => {
    const env = envs[0]!;
    const changed = new Map(tree);
    const [file, content] = [...tree].find(([p]) => p.startsWith(`${env}/dbt/`) && !p.includes('/sync/'))!;
    changed.set(file, content.replace(/\n$/, ' \n'));
    changed.set(`${env}/dlt/extra/config.toml`, 'x\n');
    expect(differences(env, 'dbt', changed)).toEqual([expect.stringContaining(`differs from ${file}`)]);
    expect(differences(env, 'dlt', changed)).toEqual([`${env}/dlt/extra/config.toml is in no ConfigMap`]);
  });
});
