/**
 * An Iceberg table's current snapshot at a lakeFS commit, read as Iceberg's Hadoop
 * catalog reads it: `metadata/version-hint.text` names the current `vN.metadata.json`
 * (when the hint is missing, the highest N), whose `current-snapshot-id` is the answer.
 * The run-time helper (dfp_tools.lineage) reads it the same way.
 */
import { z } from 'zod';
import type { LakeFsClient } from '../lakefs/client.ts';

const metadata = z.object({ 'current-snapshot-id': z.union([z.number(), z.string(), z.null()]).optional() });

/** The snapshot id as a decimal string, or a message saying why there is none. */
export async function snapshotAt(
  lakefs: LakeFsClient,
  repo: string,
  commit: string,
  location: string,
): Promise<{ id: string } | { problem: string }> {
  const folder = `${location}/metadata/`;
  const files = await lakefs.listObjects(repo, commit, folder);
  const hint = files.find((f) => f.path === `${folder}version-hint.text`);
  let name: string | undefined;
  if (hint) {
    const n = new TextDecoder().decode(await lakefs.getObject(repo, commit, hint.path)).trim();
    if (/^[0-9]+$/.test(n)) name = `${folder}v${Number(n)}.metadata.json`;
  }
  if (name === undefined) {
    const versions = files.flatMap((f) => {
      const m = /\/v([0-9]+)\.metadata\.json$/.exec(f.path);
      return m ? [{ n: Number(m[1]), path: f.path }] : [];
    });
    name = versions.sort((a, b) => b.n - a.n)[0]?.path;
  }
  if (name === undefined || !files.some((f) => f.path === name))
    return { problem: `no Iceberg table metadata under ${folder} at commit ${commit}` };
  const text = new TextDecoder().decode(await lakefs.getObject(repo, commit, name));
  try {
    metadata.parse(JSON.parse(text));
  } catch {
    return { problem: `${name} at commit ${commit} is not Iceberg table metadata` };
  }
  // Snapshot ids are 64-bit: JSON.parse would round most of them, so the digits are read as text.
  const id = /"current-snapshot-id"\s*:\s*(-?[0-9]+)/.exec(text)?.[1];
  if (id === undefined || id.startsWith('-'))
    return { problem: `the table at ${location} has no snapshot at commit ${commit}` };
  return { id };
}
