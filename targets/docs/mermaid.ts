/**
 * A pipeline's task graph as a Mermaid flowchart: one node per step, one subgraph per
 * condition or loop, an edge per dependency, the exit handler dashed. Labels go through
 * `label()`, so no user string can close a node or inject Mermaid syntax.
 */
import type { Condition, Group, Pipeline, Source } from '../../constructs/model/schema.ts';

/** A quoted Mermaid label: quotes, angle brackets, `#` and line breaks as entity codes. */
export function label(text: string): string {
  const escaped = [...text]
    .map((ch) => {
      if (/[A-Za-z0-9 ._\-/:=,()[\]+*'!?@%&$^~|]/.test(ch)) return ch;
      return `#${ch.codePointAt(0)};`;
    })
    .join('');
  return `"${escaped}"`;
}

function sourceText(src: Source): string {
  switch (src.kind) {
    case 'literal':
      return JSON.stringify(src.value);
    case 'pipelineParam':
      return `params.${src.name}`;
    case 'taskOutput':
      return `${src.step}.${src.output}`;
    case 'loopItem':
      return src.field ? `item.${src.field}` : 'item';
  }
}

const conditionText = (c: Condition) => `${sourceText(c.left)} ${c.op} ${sourceText(c.right)}`;

function groupTitle(g: Group): string {
  return g.kind === 'condition'
    ? `if ${conditionText(g.condition)}`
    : `for each item of ${sourceText(g.items)}${g.parallelism ? `, ${g.parallelism} at a time` : ''}`;
}

/** A header at most 60 characters long: a long literal list is cut, not drawn 1,000 px wide. */
const shorten = (text: string) => (text.length > 60 ? `${text.slice(0, 59)}…` : text);

export function mermaid(p: Pipeline): string {
  const ids = new Map<string, string>();
  const all = [...p.steps, ...(p.exitHandler ? [p.exitHandler] : [])];
  all.forEach((s, i) => ids.set(s.name, `s${i}`));
  const lines = ['flowchart TD'];
  const node = (name: string, indent: string) => {
    const s = all.find((x) => x.name === name)!;
    const text = s.when ? `${s.name}, when ${conditionText(s.when)}` : s.name;
    lines.push(`${indent}${ids.get(name)}[${label(text)}]`);
  };
  // A group's title is short and its condition or items are a header node inside it: Mermaid
  // lays out nodes, not titles, so a long title made a box wider than its layout and it
  // covered its siblings (tests/mermaid-layout.test.ts draws every graph to check).
  const emit = (group: string | undefined, indent: string) => {
    for (const s of p.steps.filter((x) => x.group === group)) node(s.name, indent);
    p.groups
      .filter((g) => g.parent === group)
      .forEach((g) => {
        const id = `g${p.groups.indexOf(g)}`;
        lines.push(`${indent}subgraph ${id}[${label(g.kind === 'condition' ? 'if' : 'for each')}]`);
        lines.push(`${indent}  ${id}h(${label(shorten(groupTitle(g)))})`);
        emit(g.name, `${indent}  `);
        lines.push(`${indent}end`);
      });
  };
  emit(undefined, '  ');
  if (p.exitHandler) node(p.exitHandler.name, '  ');
  for (const s of p.steps) for (const d of s.dependsOn) lines.push(`  ${ids.get(d)} --> ${ids.get(s.name)}`);
  if (p.exitHandler) {
    const last = p.steps.filter((s) => !p.steps.some((t) => t.dependsOn.includes(s.name)));
    for (const s of last) lines.push(`  ${ids.get(s.name)} -. always .-> ${ids.get(p.exitHandler.name)}`);
  }
  return lines.join('\n');
}
