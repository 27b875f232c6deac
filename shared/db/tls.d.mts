export type PostgresTls = 'off' | 'verify-full';

export class PostgresTlsConfigError extends Error {
  readonly code: 'ERR_PG_TLS_CONFIG';
}

export function requestedPostgresTls(databaseUrl: string): PostgresTls;
export function postgresRootCerts(databaseUrl: string, rootCerts: string | undefined): string;
export function reportTlsFailures(socketClass: {
  prototype: {
    startTls(host: string): Promise<void>;
    emit(event: string, ...args: unknown[]): boolean;
    destroy(): unknown;
  };
}): void;
