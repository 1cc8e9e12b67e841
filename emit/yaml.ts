/**
 * The one YAML printer for Kubernetes-style output. Deterministic by construction:
 * the style of emit/yaml-style.ts, a fixed key order, no line wrapping. Documents are
 * laid out by emit/yaml-block.ts, which writes exactly what the `yaml` package would,
 * several times faster; a value it does not handle is printed by the package itself.
 */
import { appendBlockYaml, withoutPrintOnce } from './yaml-block.ts';
import { libraryYaml } from './yaml-style.ts';

/**
 * One or more YAML documents, LF line ends, one final newline. A map printed as one of the
 * last few documents and found again nested in a later one is not laid out twice
 * (yaml-block.ts); do not change a map after printing it.
 */
export function toYaml(...documents: unknown[]): string {
  const out: string[] = [];
  documents.forEach((d, i) => {
    if (i > 0) out.push('---\n');
    // The package prints what the block printer declines (undefined prints as '', as join writes it).
    if (!appendBlockYaml(d, out)) out.push(libraryYaml(withoutPrintOnce(d)) ?? '');
  });
  return out.join('');
}
