/**
 * The dfp command line:
 *
 *   dfp synth [--check] [--pipeline NAME]   render dist/ (or check it; or one pipeline only)
 *   dfp diff [--env NAME]                   what would change in dist/, as unified diffs; exit 1 if anything
 *   dfp graph [--pipeline NAME]             print each pipeline's task graph (Mermaid)
 *
 * Run it with `npm run dfp -- <command>` or `npx tsx dfp.ts <command>`.
 */
import { argv, exit, stderr, stdout } from 'node:process';
import { buildModel } from './constructs/model/build.ts';
import { DfpError } from './constructs/model/errors.ts';
import { buildApp } from './main.ts';
import { EXIT_INTERNAL, EXIT_INVALID, runCli } from './synth/cli.ts';
import { renderAll } from './synth/render.ts';
import { review } from './synth/review.ts';
import { TARGETS } from './targets/index.ts';
import { mermaid } from './targets/docs/mermaid.ts';

const USAGE = 'usage: dfp synth [--check] [--pipeline NAME] | dfp diff [--env NAME] | dfp graph [--pipeline NAME]\n';
const DIST = process.env.DFP_DIST ?? 'dist';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return value;
}

class UsageError extends Error {}

function guarded(run: () => number): number {
  try {
    return run();
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`dfp: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof DfpError) {
      stderr.write(`${e.message}\ndist/ was left unchanged.\n`);
      return EXIT_INVALID;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    stderr.write(`dfp: internal error: ${err.message}\nThis is a dfp bug; rerun with DFP_DEBUG=1 for details.\n`);
    if (process.env.DFP_DEBUG) stderr.write(`${err.stack ?? ''}\n`);
    return EXIT_INTERNAL;
  }
}

export function main(args: string[]): number {
  const [command, ...rest] = args;
  switch (command) {
    case 'synth':
      return guarded(() => {
        const pipeline = option(rest, '--pipeline');
        return runCli(({ check }) => buildApp({ check, distDir: DIST, pipeline }), rest);
      });
    case 'diff':
      return guarded(() => {
        const env = option(rest, '--env');
        const model = buildModel(buildApp({ distDir: DIST }));
        if (env !== undefined && !model.environments.some((e) => e.name === env)) {
          throw new UsageError(`no environment is named '${env}'; use one of ${model.environments.map((e) => e.name).join(', ')}`);
        }
        const rendered = new Map(renderAll(model, TARGETS).map((f) => [f.path, f.content]));
        const result = review(DIST, rendered, env === undefined ? '' : `${env}/`);
        stdout.write(result.text);
        return result.differs ? 1 : 0;
      });
    case 'graph':
      return guarded(() => {
        const only = option(rest, '--pipeline');
        const model = buildModel(buildApp({ distDir: DIST }));
        const pipelines = model.pipelines.filter((p) => only === undefined || p.name === only);
        if (pipelines.length === 0) throw new UsageError(`no pipeline is named '${only}'`);
        for (const p of pipelines) stdout.write(`%% ${p.name}\n${mermaid(p)}\n\n`);
        return 0;
      });
    default:
      stderr.write(USAGE);
      return 2;
  }
}

if (import.meta.url === `file://${argv[1]}`) exit(main(argv.slice(2)));
