// Types for scripts/lib/local-dashboard.mjs, so TypeScript tests can import it.
export const LOCAL_OPERATOR_EMAIL: string;
export const DASHBOARD_CLIENT_SCOPE: string;

export interface LocalOperator {
  email: string;
  userId: string;
  /** The generated password (absent when the account predates the kept secrets: then `reset`). */
  password?: string;
  reset?: { url: string; token: string };
}

export interface Provisioned {
  env: Record<string, string>;
  restart: boolean;
  keep: Record<string, string>;
  operator: LocalOperator;
  client: { id: string; secret: string } | null;
}

type Urls = { auth: string; admin: string };

export function keptDashboardEnv(secrets: Record<string, string>, issuer: string): Record<string, string>;
export function localOperatorPassword(secrets: Record<string, string>): string;
export function provisionDashboard(opts: {
  urls: Urls;
  env: Record<string, string>;
  secrets: Record<string, string>;
}): Promise<Provisioned>;
export function dashboardNotice(urls: Urls, operator: LocalOperator): string;
export function startWithDashboard<W extends { stop: () => Promise<void> }>(opts: {
  launch: (env: Record<string, string>) => Promise<W>;
  env: Record<string, string>;
  secrets: Record<string, string>;
  urls: Urls;
}): Promise<{ workerd: W; env: Record<string, string>; problem?: string } & Partial<Provisioned>>;
