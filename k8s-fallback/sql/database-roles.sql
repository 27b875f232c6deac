-- Least-privilege Postgres roles for a production deployment (k8s-fallback/README.md, "Database roles").
--
--   edge_security_owner  owns the schema; used only by the db-migrate Job (edge-security-db-migrate-secrets).
--   edge_security_app    what the Workers connect as (edge-security-secrets DATABASE_URL): read and write rows of
--                        the tables the owner creates, nothing else. No DDL, no TRUNCATE, no other database.
--
-- Run once, connected to the platform's database (e.g. created with `CREATE DATABASE edge_security;`) as a role
-- allowed to create roles (the managed service's admin user), then set the two passwords:
--   psql "postgres://ADMIN@HOST:5432/edge_security?sslmode=verify-full" -f k8s-fallback/sql/database-roles.sql
--   psql ... -c "ALTER ROLE edge_security_owner PASSWORD '...'" -c "ALTER ROLE edge_security_app PASSWORD '...'"
-- Then run the db-migrate Job as edge_security_owner: every table it creates is granted to edge_security_app by
-- the default privileges below. test/node/database-roles.test.ts runs this file and the platform against it.

CREATE ROLE edge_security_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE edge_security_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;

-- Connecting to this database is by grant only; the app role may not create schemas or temporary tables.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO edge_security_owner', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO edge_security_app', current_database());
END
$$;

-- The owner creates and alters the tables (and drizzle's journal schema); the app role only uses them.
ALTER SCHEMA public OWNER TO edge_security_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO edge_security_app;

ALTER DEFAULT PRIVILEGES FOR ROLE edge_security_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO edge_security_app;
ALTER DEFAULT PRIVILEGES FOR ROLE edge_security_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO edge_security_app;

-- A runaway query from a Worker ends instead of holding locks (migrations, as the owner, are not limited).
ALTER ROLE edge_security_app SET statement_timeout = '10s';
ALTER ROLE edge_security_app SET idle_in_transaction_session_timeout = '10s';
