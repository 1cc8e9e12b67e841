/**
 * Where in the user's own files an error was thrown, as `file:line`. The definitions run
 * as one esbuild bundle (scripts/run.mjs), so V8's frames name `.cache/bundle/main.cjs`;
 * each frame is mapped back through the bundle's source map (written next to it) to the
 * TypeScript file and line the user wrote. Frames in node_modules and in dfp's own
 * library (app/, constructs/, synth/) are skipped: the first frame left is the user's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    let map: SourceMap | undefined;
    try {
      map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined;
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/** A frame's position in the file the user wrote (through the source map when there is one). */
export function originalPosition(file: string, line: number, column: number): { file: string; line: number } {
  const map = sourceMapOf(file);
  if (map === undefined) return { file, line };
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number };
  if (entry.originalSource === undefined || entry.originalLine === undefined) return { file, line };
  const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : entry.originalSource;
  return { file: isAbsolute(source) ? source : resolve(dirname(file), source), line: entry.originalLine + 1 };
}

/** dfp's own library: an error raised there is reported at the user's line that called it. */
const LIBRARY = /(^|\/)(node_modules|app|constructs|synth|targets|emit|lakefs|mlflow|trace)\//;

/** The first stack frame in the user's definition files, as `file:line` relative to `cwd`. */
export function userFrame(err: Error, cwd = process.cwd()): string | undefined {
  for (const line of (err.stack ?? '').split('\n').slice(1)) {
    const m = /\(?(?:file:\/\/)?([^()\s]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m || m[1]!.startsWith('node:')) continue;
    const at = originalPosition(m[1]!, Number(m[2]), Number(m[3]));
    const rel = at.file.startsWith(`${cwd}/`) ? relative(cwd, at.file) : at.file;
    if (LIBRARY.test(rel) || rel.includes('/node_modules/') || rel.startsWith('.cache/')) continue;
    return `${rel}:${at.line}`;
  }
  return undefined;
}
