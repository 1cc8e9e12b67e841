/**
 * What the Kubernetes platform adds to a step's pod, in kfp-kubernetes'
 * KubernetesExecutorConfig: secrets as env, volumes, node selector, tolerations and the
 * step's deadline. Secrets are referenced by name and key only.
 */
import type { Step } from '../../constructs/model/schema.ts';

const constant = (value: string) => ({ runtimeValue: { constant: value } });

function secretsAsEnv(s: Step): Record<string, unknown>[] {
  const bySecret = new Map<string, { secretKey: string; envVar: string }[]>();
  for (const e of s.secretEnv) {
    const list = bySecret.get(e.secret) ?? [];
    list.push({ secretKey: e.key, envVar: e.name });
    bySecret.set(e.secret, list);
  }
  return [...bySecret.keys()].sort().map((secretName) => ({
    secretName,
    secretNameParameter: constant(secretName),
    keyToEnv: bySecret.get(secretName)!.sort((a, b) => (a.envVar < b.envVar ? -1 : 1)),
    optional: false,
  }));
}

/** The step passed checkKubeflow (check.ts): no read-only PVC, no host device. */
function volumes(s: Step): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const push = (field: string, value: unknown) => (out[field] ??= []).push(value);
  for (const v of s.volumes) {
    const src = v.source;
    if (src.kind === 'pvc') {
      push('pvcMount', { constant: src.claimName, pvcNameParameter: constant(src.claimName), mountPath: v.mountPath });
    } else if (src.kind === 'emptyDir') {
      push('emptyDirMounts', {
        volumeName: v.name,
        mountPath: v.mountPath,
        medium: src.medium,
        sizeLimit: src.sizeLimit,
      });
    } else if (src.kind === 'configMap') {
      push('configMapAsVolume', {
        configMapName: src.name,
        configMapNameParameter: constant(src.name),
        mountPath: v.mountPath,
        optional: false,
      });
    } else if (src.kind === 'hostDevice') {
      throw new Error(`dfp bug: ${s.path} mounts a host device, which checkKubeflow refuses`);
    } else {
      push('secretAsVolume', {
        secretName: src.secretName,
        secretNameParameter: constant(src.secretName),
        mountPath: v.mountPath,
        optional: false,
      });
    }
  }
  return out;
}

/**
 * kfp-kubernetes' SecurityContext has only the user fields: the restricted profile's
 * user and non-root rule are rendered; privilege escalation, capabilities and seccomp
 * are left to the namespace's Pod Security admission (docs/pod-security.md).
 */
function securityContext(s: Step): Record<string, unknown> {
  if (s.security.profile === 'privileged')
    throw new Error(`dfp bug: ${s.path} is privileged, which checkKubeflow refuses`);
  // int64 in protobuf JSON is a string.
  return { runAsUser: String(s.security.runAsUser), runAsGroup: String(s.security.runAsGroup), runAsNonRoot: true };
}

/** The executor's Kubernetes config, or undefined when the step needs none. */
export function kubernetesConfig(s: Step): Record<string, unknown> | undefined {
  const labels = Object.keys(s.nodeSelector).length ? s.nodeSelector : undefined;
  const secretAsEnv = secretsAsEnv(s);
  const config: Record<string, unknown> = {
    secretAsEnv: secretAsEnv.length ? secretAsEnv : undefined,
    ...volumes(s),
    nodeSelector: labels ? { labels } : undefined,
    tolerations: s.tolerations.length
      ? s.tolerations.map((t) => ({ key: t.key, operator: t.operator, value: t.value, effect: t.effect }))
      : undefined,
    // int64 in protobuf JSON is a string.
    activeDeadlineSeconds: s.timeoutSeconds === undefined ? undefined : String(s.timeoutSeconds),
    securityContext: securityContext(s),
  };
  return Object.values(config).some((v) => v !== undefined) ? config : undefined;
}
