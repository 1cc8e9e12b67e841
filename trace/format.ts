/** The trace report as a person reads it: one fact a line, the pins first. */
import type { TraceReport } from './report.ts';

export function formatReport(r: TraceReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(22)}${value}`);
  row('run', `${r.run.id}${r.run.name ? ` (${r.run.name})` : ''}, experiment ${r.run.experimentId}, ${r.run.status}`);
  if (r.modelVersion) row('model version', `models:/${r.modelVersion.name}/${r.modelVersion.version}`);
  row('pipeline', `${r.pipeline} in environment ${r.environment}`);
  const d = r.definitions;
  const revision =
    d.revisionFrom === 'run'
      ? `${d.revision} (recorded by the run)`
      : d.revisionFrom === 'git'
        ? `${d.revision} (first commit of this repository whose dist/ holds the digest)`
        : 'not recorded, and no commit of this checkout holds the digest';
  row('definitions', `sha256 ${d.sha256}`);
  row('  revision', revision);
  row(
    '  rendered now in',
    d.renderedIn.length
      ? d.renderedIn.join(', ')
      : "no file of this checkout's dist/ (the definitions have changed since)",
  );
  if (r.image)
    row('image', r.image.digest ? r.image.ref : `${r.image.ref} (by tag: dfp.lock.json pinned no digest for it)`);
  row('lakeFS', `${r.lakefs.repository} @ ${r.lakefs.commit}`);
  row('  commit', `"${r.lakefs.message}", ${r.lakefs.committedAt}`);
  row('table', `${r.table.name}${r.table.iceberg ? ` (Iceberg ${r.table.iceberg})` : ''}`);
  if (r.table.location)
    row('  files at commit', `${r.table.files} under ${r.table.location}/ (${r.table.bytes} bytes)`);
  if (r.table.snapshotId) row('  snapshot', r.table.snapshotId);
  if (r.featureStore) {
    row('feature view', r.featureStore.featureView);
    if (r.featureStore.definitionsSha256) {
      row('  definitions', `sha256 ${r.featureStore.definitionsSha256}`);
      row(
        '  rendered now in',
        r.featureStore.renderedIn.length
          ? r.featureStore.renderedIn.join(', ')
          : 'no definitions.sha256 of this checkout (the feature definitions have changed since)',
      );
    }
  }
  if (r.datasets) row('dataset splits', [r.datasets.train, r.datasets.val, r.datasets.test].filter(Boolean).join(', '));
  for (const w of r.weights) row('weights', `${w.path} (${w.bytes} bytes) sha256 ${w.sha256}`);
  const metrics = Object.entries(r.metrics);
  if (metrics.length) row('metrics', metrics.map(([k, v]) => `${k}=${v}`).join(', '));
  return `${lines.join('\n')}\n`;
}
