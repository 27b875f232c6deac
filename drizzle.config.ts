import { defineConfig } from 'drizzle-kit';

// Generation only (`npm run db:generate`): it reads the schema, no database needed.
// Migrations are applied by scripts/migrate.mjs through the Neon driver, the same path the Workers use.
export default defineConfig({
  dialect: 'postgresql',
  schema: './shared/db/schema.ts',
  out: './migrations',
});
