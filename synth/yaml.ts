/**
 * The one YAML printer for Kubernetes-style output. Deterministic by construction:
 * the style of synth/yaml-style.ts, a fixed key order, no line wrapping. Documents are
 * laid out by synth/yaml-block.ts, which writes exactly what the `yaml` package would,
 * several times faster; a value it does not handle is printed by the package itself.
 */
import { blockYaml, withoutPrintOnce } from './yaml-block.ts';
import { libraryYaml } from './yaml-style.ts';

/** One or more YAML documents, LF line ends, one final newline. */
export function toYaml(...documents: unknown[]): string {
  const print = (d: unknown) => blockYaml(d) ?? libraryYaml(withoutPrintOnce(d));
  // One document: no join, which would copy the whole text once more (undefined prints as '', as join writes it).
  return documents.length === 1 ? print(documents[0]) ?? '' : documents.map(print).join('---\n');
}
