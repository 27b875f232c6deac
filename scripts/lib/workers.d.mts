// Types for scripts/lib/workers.mjs, so TypeScript tests can import it.
export const ROOT: string;
export const WORKERS: { name: string; port: number }[];
export function wranglerConfigPath(name: string): string;
export function readWranglerConfig(name: string): Record<string, unknown>;
export function bundleDir(name: string, outRoot?: string): string;
export const QUIET_WRANGLER_ENV: Record<string, string>;
export interface DeclaredVariable {
  required: boolean;
  aliasOf?: string;
  perWorker: boolean;
}
export function workerVariables(name: string): Map<string, DeclaredVariable>;
export function allWorkerVariables(): string[];
export function platformEnvName(variable: string, worker: string): string;
export function perWorkerVariables(): string[];
export function singleWorkerEnv(platformEnv: Record<string, string>, worker: string): Record<string, string>;
