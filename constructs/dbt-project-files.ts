/**
 * What dfp reads of a dbt project folder when the app is built: the project's name and
 * profile (dbt_project.yml) and each model (`<model-paths>/**\/*.sql`) with the models and
 * sources it names in `ref()` and `source()`. That is all dfp needs to refuse a selection
 * or a `ref()` that names no model before dbt sees it; dbt itself parses the rest. A
 * folder dfp cannot read is a problem the model builder reports at the project's path.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';

/** One model file as dfp read it. */
export interface DbtModelFile {
  /** The model's name: its file name without `.sql`. */
  readonly name: string;
  /** The file, relative to the project folder, with forward slashes. */
  readonly file: string;
  /** Model names in `ref('…')`, sorted, once each; a two-argument ref keeps its package as `pkg.model`. */
  readonly refs: readonly string[];
  /** `source('<source>', '<table>')` calls as `<source>.<table>`, sorted, once each. */
  readonly sources: readonly string[];
}

/** A dbt project folder, read. */
export type DbtProjectFiles =
  | {
      readonly ok: true;
      readonly name: string;
      readonly profile: string;
      readonly models: readonly DbtModelFile[];
      readonly sha256: string;
    }
  | { readonly ok: false; readonly problem: string };

// dbt's Jinja calls with literal arguments; a ref built from variables cannot be known before dbt runs.
const REF = /\{\{-?\s*ref\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]+)\3\s*)?\)\s*-?\}\}/g;
const SOURCE = /\{\{-?\s*source\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3\s*\)\s*-?\}\}/g;

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

function sqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) return sqlFiles(full);
      return entry.endsWith('.sql') ? [full] : [];
    });
}

/** Reads the project at `dir`: dbt_project.yml and every model file below its model-paths. */
export function readDbtProject(dir: string): DbtProjectFiles {
  const projectFile = join(dir, 'dbt_project.yml');
  if (!existsSync(projectFile))
    return { ok: false, problem: `dir '${dir}' holds no dbt_project.yml; point dir at the dbt project folder` };
  let project: unknown;
  try {
    project = parse(readFileSync(projectFile, 'utf8'));
  } catch (e) {
    return { ok: false, problem: `${projectFile} is not YAML (${(e as Error).message.split('\n')[0]}); fix the file` };
  }
  const p = (project ?? {}) as Record<string, unknown>;
  if (typeof p.name !== 'string' || typeof p.profile !== 'string') {
    return { ok: false, problem: `${projectFile} must set name and profile; add them` };
  }
  const paths = Array.isArray(p['model-paths'])
    ? p['model-paths'].filter((x): x is string => typeof x === 'string')
    : ['models'];
  const digest = createHash('sha256');
  const models = paths
    .flatMap((mp) => sqlFiles(join(dir, mp)))
    .map((full): DbtModelFile => {
      const text = readFileSync(full, 'utf8');
      const file = relative(dir, full).split(sep).join('/');
      digest.update(`${file}\n${text}\n`);
      const refs = [...text.matchAll(REF)].map((m) => (m[4] !== undefined ? `${m[2]}.${m[4]}` : m[2]!));
      const sources = [...text.matchAll(SOURCE)].map((m) => `${m[2]}.${m[4]}`);
      return {
        name: file.slice(file.lastIndexOf('/') + 1, -'.sql'.length),
        file,
        refs: sorted(refs),
        sources: sorted(sources),
      };
    });
  return {
    ok: true,
    name: p.name,
    profile: p.profile,
    models: models.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    sha256: digest.digest('hex'),
  };
}
