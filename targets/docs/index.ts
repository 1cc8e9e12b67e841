/**
 * Review pages: per pipeline `dist/<env>/docs/<pipeline>.md`, its description, parameters
 * and task graph (Mermaid, which code hosts draw in a pull request). Rendered for every
 * environment, so a reviewer sees the graph next to the files it explains.
 */
import type { Environment, Pipeline } from '../../constructs/model/schema.ts';
import type { RenderedFile, Target } from '../types.ts';
import { mermaid } from './mermaid.ts';

const oneLine = (text: string) => text.replace(/[\r\n\u2028\u2029]+/g, ' ');

/**
 * User text that Markdown shows as written, on one line: characters with inline meaning
 * (emphasis, code, links, HTML, entities, table pipes) backslash-escaped, and a start that
 * would open a block (list, rule, ordered list, indented code) neutralised; leading and
 * trailing blanks, which a paragraph or a table cell would drop, as character references.
 */
export function markdownText(text: string): string {
  const escaped = oneLine(text)
    .replace(/[\\`*_[\]<>&|~#!]/g, (c) => `\\${c}`)
    .replace(/^([ \t]*)([-+=])/, '$1\\$2')
    .replace(/^([ \t]*)(\d{1,9})([.)])/, '$1$2\\$3');
  const blank = (ws: string) => [...ws].map((c) => `&#${c.codePointAt(0)};`).join('');
  // Any Unicode blank: Markdown parsers trim paragraphs and cells with more than ' ' and '\t'.
  return escaped.replace(/^\s+/, blank).replace(/\s+$/, blank);
}

/** Code in a table cell: one line, fenced by more backticks than it holds in a row, pipes escaped for the table. */
export function markdownCode(text: string): string {
  const line = oneLine(text);
  const fence = '`'.repeat(Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = /^[ `]|[ `]$/.test(line) ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`.replace(/\|/g, '\\|');
}

function page(p: Pipeline, env: Environment): string {
  const params = p.parameters.map(
    (x) =>
      `| \`${x.name}\` | ${x.type} | ` +
      `${x.default === undefined ? '(required)' : markdownCode(JSON.stringify(x.default))} | ` +
      `${markdownText(x.description ?? '')} |`,
  );
  return [
    `# ${p.name} (${env.name}, ${env.orchestrator})`,
    '',
    markdownText(p.description),
    '',
    ...(params.length
      ? ['| parameter | type | default | description |', '| --- | --- | --- | --- |', ...params, '']
      : []),
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
    return model.pipelines.map((p) => ({
      path: `${p.name}.md`,
      content: page(p, env),
      kubernetes: false,
      pipeline: p.name,
    }));
  },
};
