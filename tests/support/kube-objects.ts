/**
 * The Kubernetes objects of a rendered tree (dist/, a golden fixture's output), each with
 * the namespace Argo CD would apply it in: its own `metadata.namespace`, or else the
 * destination namespace of the Application whose source folder holds its file.
 *
 * A Kubernetes object is a YAML document with a string `apiVersion` and `kind` and an
 * object `metadata`, as tests/kubernetes-schema.test.ts and tests/pod-security.test.ts
 * read them from the same files; the other YAML files (Kubeflow IR, Feast's
 * feature_store.yaml) are not, and are returned apart so a test can name them.
 */
import { parseAllDocuments } from 'yaml';
import { readTree } from '../../synth/writer.ts';

type Json = Record<string, any>;

export interface KubeObject {
  /** `dist/dev/spark/rbac.yaml#1`: the file and the document's index in it. */
  readonly name: string;
  readonly object: Json;
  /** Where Argo CD applies it; null when nothing says (an error for a namespaced kind). */
  readonly namespace: string | null;
}

export interface RenderedTree {
  readonly objects: KubeObject[];
  /** YAML files with no Kubernetes object in them. */
  readonly otherYaml: string[];
  /** The Applications' destination namespaces (they must exist, whatever is synced into them). */
  readonly destinations: string[];
}

const isKubernetesObject = (o: unknown): o is Json =>
  !!o &&
  typeof o === 'object' &&
  typeof (o as Json).apiVersion === 'string' &&
  typeof (o as Json).kind === 'string' &&
  typeof (o as Json).metadata === 'object';

/**
 * Reads every YAML file under `root` (`label` names it in results: `dist`, `golden`). An
 * environment's output is a folder with `argocd/root.yaml`; its Applications' source
 * paths are `dist/<environment>/<folder>`.
 */
export function renderedTree(root: string, label: string): RenderedTree {
  const files = [...readTree(root)].filter(([path]) => /\.ya?ml$/.test(path)).sort(([a], [b]) => a.localeCompare(b));
  const docs = new Map(
    files.map(([path, content]) => [path, parseAllDocuments(content).map((d) => d.toJS() as unknown)]),
  );
  const envRoots = files
    .map(([path]) => path)
    .filter((p) => p === 'argocd/root.yaml' || p.endsWith('/argocd/root.yaml'))
    .map((p) => p.slice(0, -'argocd/root.yaml'.length));

  // Each Application: the folder it syncs (relative to `root`) and where to.
  const syncs: { folder: string; namespace: string }[] = [];
  for (const envRoot of envRoots) {
    for (const [path, objects] of docs) {
      if (!path.startsWith(`${envRoot}argocd/`)) continue;
      for (const o of objects) {
        if (!isKubernetesObject(o) || o.kind !== 'Application') continue;
        const sourcePath = String(o.spec?.source?.path ?? '');
        const folder = sourcePath.split('/').slice(2).join('/'); // dist/<environment>/<folder>
        syncs.push({ folder: `${envRoot}${folder}`, namespace: String(o.spec?.destination?.namespace ?? '') });
      }
    }
  }
  const syncedInto = (path: string): string | null => {
    const covering = syncs
      .filter((s) => path.startsWith(`${s.folder}/`))
      .sort((a, b) => b.folder.length - a.folder.length);
    return covering[0]?.namespace || null;
  };

  const objects: KubeObject[] = [];
  const otherYaml: string[] = [];
  for (const [path, list] of docs) {
    const found = list.flatMap((o, i) => (isKubernetesObject(o) ? [{ o, i }] : []));
    if (found.length === 0) otherYaml.push(`${label}/${path}`);
    for (const { o, i } of found) {
      objects.push({
        name: `${label}/${path}#${i}`,
        object: o,
        namespace: (o.metadata.namespace as string | undefined) ?? syncedInto(path),
      });
    }
  }
  return { objects, otherYaml, destinations: [...new Set(syncs.map((s) => s.namespace))].sort() };
}
