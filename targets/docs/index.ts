/**
 * Review pages: per pipeline `dist/<env>/docs/<pipeline>.md`, its description, parameters
 * and task graph (Mermaid, which code hosts draw in a pull request). Rendered for every
 * environment, so a reviewer sees the graph next to the files it explains.
 */
import type { Environment, Pipeline } from '../../constructs/model/schema.ts';
import type { RenderedFile, Target } from '../types.ts';
import { mermaid } from './mermaid.ts';

/** Markdown table cell text: pipes and line breaks would end the cell. */
const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n\u2028\u2029]+/g, ' ');

function page(p: Pipeline, env: Environment): string {
  const params = p.parameters.map((x) => `| \`${x.name}\` | ${x.type} | ${x.default === undefined ? '(required)' : cell(`\`${JSON.stringify(x.default)}\``)} | ${cell(x.description ?? '')} |`);
  return [
    `# ${p.name} (${env.name}, ${env.orchestrator})`,
    '',
    cell(p.description),
    '',
    ...(params.length ? ['| parameter | type | default | description |', '| --- | --- | --- | --- |', ...params, ''] : []),
    '```mermaid',
    mermaid(p),
    '```',
    '',
  ].join('\n');
}

export const docsTarget: Target = {
  name: 'docs',
  appliesTo: () => true,
  render(model, env): RenderedFile[] {
    return model.pipelines.map((p) => ({ path: `${p.name}.md`, content: page(p, env), kubernetes: false }));
  },
};
