#!/usr/bin/env node
// `node scripts/run.mjs main.ts [args…]`: runs a TypeScript entry point of this project as
// one bundled script (esbuild), rebuilt only when a file it is made of has changed, with
// V8's code cache for it.
//
// Why: under tsx every start transpiles ~200 modules through a loader worker and Node
// resolves and lexes every CommonJS file of cdk8s, zod and yaml one by one; that is most
// of a synth of this repository's definitions (bench/RESULTS.md measures both ways). The
// bundle is the same code: `make synth CHECK=1` through it must find dist/ current.
// V8 compiles a function when it is first called; the code cache, written after the first
// run of a bundle, holds the bytecode of every function that run called, so later runs
// skip that compilation too (bench/optimisations.md). V8 checks a cache against its own
// version and flags and the source's length only, and does not checksum it: a cache made
// from other source of the same length, or a damaged one, would run wrong code or abort
// the process. So the file starts with the sha256 of the source it was made from and of
// its own payload, and is used only when both match. DFP_RUN_CODE_CACHE=remake writes it
// again after a run that used it, adding what that run compiled (the benchmark warms one
// bundle with each of its paths).
//
// The bundle lives in .cache/bundle/ (not committed). It is fresh when every input it
// was built from is unchanged: project files by sha256, files under node_modules by
// size and mtime (npm ci rewrites them). A rebuild writes to a temporary name and renames,
// so concurrent runs never load half a file; so does writing the code cache.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import process, { argv, cwd, exit, pid, stderr } from 'node:process';
import { Script, constants as vmConstants } from 'node:vm';

const ROOT = resolve(import.meta.dirname, '..');
const entry = argv[2];
if (!entry || !entry.endsWith('.ts')) {
  stderr.write('usage: node scripts/run.mjs <entry.ts> [args…]\n');
  exit(2);
}
const entryPath = resolve(cwd(), entry);
const cacheDir = join(ROOT, '.cache', 'bundle');
const name = relative(ROOT, entryPath)
  .replace(/[^A-Za-z0-9._-]/g, '_')
  .replace(/\.ts$/, '');
const bundle = join(cacheDir, `${name}.cjs`);
const codeCacheFile = join(cacheDir, `${name}.v8cache`);
const manifestFile = join(cacheDir, `${name}.inputs.json`);

/** Writes `file` under a temporary name and renames it into place. */
function writeAtomically(file, contents) {
  const tmp = `${file}.${pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

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

/** What to change for an esbuild error, by its text. */
function remedy(text, file) {
  if (/^Could not resolve /.test(text))
    return (
      `no such file or package: check the path (relative to ${file}, with its .ts extension), or add the package ` +
      'to package.json'
    );
  const noExport = /^No matching export in "([^"]+)" for import "([^"]+)"/.exec(text);
  if (noExport) return `${noExport[1]} exports no '${noExport[2]}': import a name it exports, or export it there`;
  return 'fix the code there (make synth bundles without type-checking; npm run typecheck checks the types too)';
}

/**
 * The bundle could not be built: a syntax error, an import of a file or name that does
 * not exist. Said as the definitions' other errors are, at the user's file:line, with what
 * to change, without esbuild's stack; nothing ran, so nothing was written (exit 1).
 */
function bundleFailed(e) {
  const errors = Array.isArray(e?.errors) && e.errors.length > 0 ? e.errors : [{ text: e?.message ?? String(e) }];
  const lines = errors.map(({ text, location }) => {
    if (!location) return `  ${text}`;
    const where = `${location.file}:${location.line}:${location.column + 1}`;
    return `  ${where}: ${text}\n      ${location.lineText.trim()}\n    ${remedy(text, location.file)}`;
  });
  stderr.write(
    `dfp: the definitions could not be bundled (${errors.length} ` +
      `${errors.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}\ndist/ was left unchanged.\n`,
  );
  exit(1);
}

async function rebuild() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entryPath],
    bundle: true,
    platform: 'node',
    // A CommonJS script, because V8's code cache is made and used through vm.Script.
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    write: false,
    metafile: true,
    // The map turns a frame of the bundle back into the user's file:line (synth/user-frame.ts).
    sourcemap: 'linked',
    // Class names as written (`Pipeline`, not `_Pipeline`) in what constructs and errors print.
    keepNames: true,
    // Errors are printed by bundleFailed, at the user's file:line.
    logLevel: 'silent',
    // Input paths in the metafile are relative to the project root, wherever this runs from.
    absWorkingDir: ROOT,
    // The sources are ES modules; in one script, import.meta.url is the bundle's URL.
    define: { 'import.meta.url': '__dfpBundleUrl' },
    banner: { js: "const __dfpBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  mkdirSync(cacheDir, { recursive: true });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs).sort()) inputs[file] = fingerprint(join(ROOT, file));
  rmSync(codeCacheFile, { force: true });
  for (const out of result.outputFiles) writeAtomically(out.path, out.contents);
  writeAtomically(manifestFile, `${JSON.stringify({ entry: relative(ROOT, entryPath), inputs }, null, 1)}\n`);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

/** The V8 cache stored for `source`, or undefined when there is none or it is not for these bytes. */
function readCodeCache(source) {
  let file;
  try {
    file = readFileSync(codeCacheFile);
  } catch {
    return undefined;
  }
  if (file.length <= 64 || !file.subarray(0, 32).equals(sha256(source))) return undefined;
  const payload = file.subarray(64);
  return file.subarray(32, 64).equals(sha256(payload)) ? payload : undefined;
}

/** Runs the bundle as Node runs a CommonJS file, through a vm.Script that can use and make a code cache. */
function runBundle() {
  const source = readFileSync(bundle);
  const cachedData = readCodeCache(source);
  const script = new Script(Module.wrap(source.toString('utf8')), {
    filename: bundle,
    cachedData,
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const used = cachedData !== undefined && !script.cachedDataRejected;
  if (process.env.DFP_RUN_VERBOSE)
    stderr.write(`run: code cache ${used ? 'used' : cachedData ? 'rejected' : 'none'}\n`);
  // After the run, so that the functions it called are compiled and in the cache.
  if (!used || process.env.DFP_RUN_CODE_CACHE === 'remake') {
    process.once('exit', () => {
      try {
        const payload = script.createCachedData();
        writeAtomically(codeCacheFile, Buffer.concat([sha256(source), sha256(payload), payload]));
      } catch {
        // A cache only saves time; without one the next run compiles as this one did.
      }
    });
  }
  const module = new Module(bundle);
  module.filename = bundle;
  module.paths = Module._nodeModulePaths(dirname(bundle));
  const require = createRequire(bundle);
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));
}

const fresh = isFresh();
if (!fresh) await rebuild().catch(bundleFailed);
// Every module in the bundle shares one import.meta.url, so the entry points ask
// synth/entry.ts, which reads this name, whether they were started; their arguments
// follow the bundle as they followed the .ts file.
globalThis.dfpEntryPoint = relative(ROOT, entryPath);
argv.splice(1, 2, bundle);
if (process.env.DFP_RUN_VERBOSE) stderr.write(`run: ${basename(bundle)} ${fresh ? 'cached' : 'rebuilt'}\n`);
runBundle();
