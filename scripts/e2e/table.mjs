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
console.log('| orchestrator | environment | pipeline | engine | steps (succeeded/run) | status | duration | note |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const cells = [
    r.orchestrator,
    r.environment,
    r.pipeline,
    r.engine,
    `${r.stepsSucceeded}/${r.steps}`,
    r.status,
    `${r.seconds.toFixed(0)} s`,
    r.note ?? '',
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (rows.length === 0) console.log('| (no run recorded) | | | | | | | |');
