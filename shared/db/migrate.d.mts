export const MIGRATIONS_DIR: string;
export function migrateDatabase(opts: {
  databaseUrl: string;
  proxy?: string;
  rootCerts?: string;
  migrationsFolder?: string;
}): Promise<void>;
export function migrationCommand(
  env: Record<string, string | undefined>,
  opts?: { startBridge?: (address: string) => Promise<{ url: string; close(): Promise<void> }> },
): Promise<number>;
