#!/usr/bin/env node
// `node scripts/run.mjs main.ts [args…]`: runs a TypeScript entry point of this project as
// one bundled ES module (esbuild), rebuilt only when a file it is made of has changed.
//
// Why: under tsx every start transpiles ~200 modules through a loader worker and Node
// resolves and lexes every CommonJS file of cdk8s, zod and yaml one by one; that is most
// of a synth of this repository's definitions (bench/RESULTS.md measures both ways). The
// bundle is the same code: `make synth CHECK=1` through it must find dist/ current.
//
// The bundle lives in .cache/bundle/ (not committed). It is fresh when every input it
// was built from is unchanged: project files by sha256, files under node_modules by
// size and mtime (npm ci rewrites them). A rebuild writes to a temporary name and renames,
// so concurrent runs never import half a file.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { argv, cwd, exit, pid, stderr } from 'node:process';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const entry = argv[2];
if (!entry || !entry.endsWith('.ts')) {
  stderr.write('usage: node scripts/run.mjs <entry.ts> [args…]\n');
  exit(2);
}
const entryPath = resolve(cwd(), entry);
const cacheDir = join(ROOT, '.cache', 'bundle');
const name = relative(ROOT, entryPath).replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.ts$/, '');
const bundle = join(cacheDir, `${name}.mjs`);
const manifestFile = join(cacheDir, `${name}.inputs.json`);

/** What identifies one input file's content, cheaply where npm owns it. */
function fingerprint(file) {
  if (file.includes('/node_modules/')) {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  }
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function isFresh() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    statSync(bundle);
  } catch {
    return false;
  }
  try {
    return Object.entries(manifest.inputs).every(([file, print]) => fingerprint(join(ROOT, file)) === print);
  } catch {
    return false; // an input was deleted
  }
}

async function rebuild() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entryPath],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    write: false,
    metafile: true,
    sourcemap: 'linked',
    logLevel: 'error',
    // Input paths in the metafile are relative to the project root, wherever this runs from.
    absWorkingDir: ROOT,
    // CommonJS packages inside an ES module bundle still call require().
    banner: { js: "import { createRequire as __dfpRequire } from 'node:module'; const require = __dfpRequire(import.meta.url);" },
  });
  mkdirSync(cacheDir, { recursive: true });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs).sort()) inputs[file] = fingerprint(join(ROOT, file));
  for (const out of result.outputFiles) {
    const tmp = `${out.path}.${pid}.tmp`;
    writeFileSync(tmp, out.contents);
    renameSync(tmp, out.path);
  }
  const tmp = `${manifestFile}.${pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ entry: relative(ROOT, entryPath), inputs }, null, 1)}\n`);
  renameSync(tmp, manifestFile);
}

const fresh = isFresh();
if (!fresh) await rebuild();
// Every module in the bundle shares one import.meta.url, so the entry points ask
// synth/entry.ts, which reads this name, whether they were started; their arguments
// follow the bundle as they followed the .ts file.
globalThis.dfpEntryPoint = relative(ROOT, entryPath);
argv.splice(1, 2, bundle);
if (process.env.DFP_RUN_VERBOSE) stderr.write(`run: ${basename(bundle)} ${fresh ? 'cached' : 'rebuilt'}\n`);
await import(pathToFileURL(bundle).href);
