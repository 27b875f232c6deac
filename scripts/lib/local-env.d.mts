// Types for scripts/lib/local-env.mjs, so TypeScript tests can import it.
export function localWorkerEnv(opts: {
  processEnv: Record<string, string | undefined>;
  dataPlane: Parameters<typeof import('./platform.mjs').dataPlaneEnv>[0];
  secrets: {
    KEY_ENCRYPTION_KEY: string;
    ADMIN_BOOTSTRAP_TOKEN: string;
    POLICY_API_TOKEN: string;
    CLIENT_CACHE_MAC_KEY: string;
  };
  issuer: string;
}): Record<string, string>;
export function registrationNotice(env: Record<string, string | undefined>): string;
