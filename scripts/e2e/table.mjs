#!/usr/bin/env node
// Prints the runs `make e2e` recorded (tests/e2e/support/run-table.ts) as one Markdown table.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(process.env.DFP_E2E_OUT ?? '.e2e', 'runs');
let files = [];
try {
  files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
} catch {
  // no run recorded: the table says so below
}
const rows = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
/** One word for every orchestrator: Argo's Succeeded/Failed/Error, Airflow's and kfp's success/failed. */
const result = (status) =>
  /^(succeeded|success)$/i.test(status) ? 'Succeeded' : /^not run$/i.test(status) ? 'Not run' : 'Failed';
console.log('| orchestrator | environment | pipeline | engine | steps (succeeded/run) | result | duration | note |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const word = result(r.status);
  const own = word.toLowerCase() === String(r.status).toLowerCase() ? '' : `${r.orchestrator} says ${r.status}; `;
  const cells = [
    r.orchestrator,
    r.environment,
    r.pipeline,
    r.engine,
    `${r.stepsSucceeded}/${r.steps}`,
    word,
    `${r.seconds.toFixed(0)} s`,
    `${own}${r.note ?? ''}`.replace(/\|/g, '\\|'),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (rows.length === 0) console.log('| (no run recorded) | | | | | | | |');
const count = (w) => rows.filter((r) => result(r.status) === w).length;
console.log(
  `\n${rows.length} runs: ${count('Succeeded')} Succeeded, ${count('Failed')} Failed, ${count('Not run')} not run`,
);
