/** `tsx bench/generator/cli.ts N FILE`: writes N pipeline specs as one JSON array. */
import { writeFileSync } from 'node:fs';
import { generatePipelines } from './generate.ts';

const [n, file] = process.argv.slice(2);
if (!n || !file || !/^\d+$/.test(n)) {
  process.stderr.write('usage: tsx bench/generator/cli.ts N FILE\n');
  process.exit(2);
}
writeFileSync(file, `${JSON.stringify(generatePipelines(Number(n)), null, 1)}\n`);
