/**
 * Whether a module is the entry point the process was started with. Under tsx each file
 * has its own `import.meta.url`; in the bundle scripts/run.mjs builds, every module shares
 * the bundle's, so the runner names the entry it bundled instead.
 */
import { argv } from 'node:process';

export function isEntryPoint(moduleUrl: string, file: string): boolean {
  const bundled = (globalThis as { dfpEntryPoint?: string }).dfpEntryPoint;
  return bundled !== undefined ? bundled === file : moduleUrl === `file://${argv[1]}`;
}
