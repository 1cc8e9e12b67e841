/**
 * The restricted Pod Security profile as the Kubernetes targets write it (Argo, Spark,
 * DataFusion, the sync hooks): non-root with the given ids and RuntimeDefault seccomp for
 * the pod; no privilege escalation and every capability dropped for each container. A
 * shared helper, not a target. tests/pod-security.test.ts and the API server's Pod Security
 * admission check every pod against the profile.
 */
export const restrictedPodSecurity = (runAsUser: number, runAsGroup: number) => ({
  runAsNonRoot: true,
  runAsUser,
  runAsGroup,
  seccompProfile: { type: 'RuntimeDefault' },
});

export const restrictedContainerSecurity = () => ({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
