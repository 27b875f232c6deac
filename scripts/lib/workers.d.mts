// Types for scripts/lib/workers.mjs, so TypeScript tests can import it.
export const ROOT: string;
export const WORKERS: { name: string; port: number }[];
export function wranglerConfigPath(name: string): string;
export function readWranglerConfig(name: string): Record<string, unknown>;
export function bundleDir(name: string, outRoot?: string): string;
export const QUIET_WRANGLER_ENV: Record<string, string>;
export const COMMON_RUNTIME_ENV: string[];
export const WORKER_RUNTIME_ENV: { auth: string[]; policy: string[]; admin: string[]; monitor: string[] };
export const PER_WORKER_ENV: string[];
export function platformEnvName(name: string, worker: string): string;
