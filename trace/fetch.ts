/**
 * `dfp trace --fetch DIR`: the training data exactly as it was at the run's lakeFS
 * commit (read at the commit, never at a branch) and the weights from MLflow's artifact
 * store, each checked against its recorded checksum. Everything is written to a
 * temporary sibling first and renamed to DIR only when every check passed, so a failed
 * fetch leaves no DIR behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LakeFsClient } from '../lakefs/client.ts';
import type { MlflowClient } from '../mlflow/client.ts';
import { TraceError, type Trace } from './report.ts';

/** Progress lines (to stderr): one a file. */
export type Progress = (line: string) => void;

const hash = (algorithm: 'md5' | 'sha256', bytes: Uint8Array) => createHash(algorithm).update(bytes).digest('hex');
/**
 * lakeFS's checksum is the object store's ETag: the MD5 of the bytes for a single upload;
 * for a multipart upload the MD5 of the parts' MD5s, which S3 suffixes with `-<parts>` but
 * lakeFS (on MinIO) stores without it. A one-part multipart upload (pyarrow's and s3fs's
 * writers, the DataFusion job's Iceberg files) is therefore the MD5 of the MD5, and checked
 * as such; with more parts the part size is unknown and the size is what can be checked.
 */
export function checksumMatches(data: Uint8Array, checksum: string): boolean {
  const md5 = createHash('md5').update(data).digest();
  if (!/^[0-9a-f]{32}$/.test(checksum)) return true;
  return md5.toString('hex') === checksum || hash('md5', md5) === checksum;
}
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Refuses a DIR that is a file or a folder with something in it: a fetch never mixes with other files. */
export function checkFetchDir(dir: string): void {
  if (!existsSync(dir)) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new TraceError(`--fetch ${dir} is not a folder; name a new or empty folder`);
  }
  if (entries.length > 0)
    throw new TraceError(
      `--fetch ${dir} is not empty; name a new or empty folder, so the fetched files are the run's alone`,
    );
}

/** Downloads and verifies everything, then moves it into `dir`. Returns the number of files written. */
export async function fetchTrace(
  t: Trace,
  dir: string,
  mlflow: MlflowClient,
  lakefs: LakeFsClient,
  progress: Progress,
): Promise<number> {
  checkFetchDir(dir);
  const target = resolve(dir);
  const partial = join(dirname(target), `.${basename(target)}.dfp-partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  const write = (rel: string, bytes: Uint8Array | string) => {
    const path = join(partial, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  };
  try {
    const { repository, commit } = t.report.lakefs;
    const total = t.dataFiles.length + t.report.weights.length;
    let done = 0;
    let bytes = 0;
    for (const f of t.dataFiles) {
      if (f.path.startsWith('/') || f.path.split('/').includes('..'))
        throw new TraceError(
          `lakeFS ${repository}@${commit} holds an object named '${f.path}', which cannot be written inside ${dir}`,
        );
      const data = await lakefs.getObject(repository, commit, f.path);
      if (data.length !== f.size || !checksumMatches(data, f.checksum)) {
        throw new TraceError(
          `lakeFS ${repository}@${commit}:${f.path} does not match its checksum (${f.checksum}); the download ` +
            'is corrupt',
        );
      }
      write(join('data', f.path), data);
      bytes += data.length;
      progress(`fetched ${++done}/${total} (${kib(bytes)}) data/${f.path}`);
    }
    for (const w of t.report.weights) {
      const data = await mlflow.downloadArtifact(t.run, w.path);
      const actual = hash('sha256', data);
      if (actual !== w.sha256) {
        throw new TraceError(
          `weights ${w.path} of run '${t.run.runId}' have sha256 ${actual}, but the run recorded ${w.sha256}: ` +
            'the artifact was changed after training',
        );
      }
      write(join('weights', w.path), data);
      bytes += data.length;
      progress(`fetched ${++done}/${total} (${kib(bytes)}) weights/${w.path}`);
    }
    write('lineage.json', `${JSON.stringify(t.report, null, 2)}\n`);
    if (existsSync(target)) rmdirSync(target);
    renameSync(partial, target);
    return done + 1;
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    throw e;
  }
}
