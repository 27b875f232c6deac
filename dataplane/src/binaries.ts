/**
 * Locating the PostgreSQL and Redis server binaries of this machine.
 *
 * The lookup inputs (PATH, PostgreSQL install roots, pg_config) are injectable so that tests,
 * and machines with unusual layouts, can point it elsewhere.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';

/** A required server binary is not installed; the message says how to fix it. */
export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
    readonly envVar: string,
    searched: string,
  ) {
    super(
      `${binary} not found (searched ${searched}). Install it with \`apt-get install -y ${debianPackage}\`, ` +
        `or set ${envVar} to use an existing server instead.`,
    );
  }
}

export interface BinaryLookup {
  /** Use exactly this PostgreSQL bin directory (no search). */
  pgBinDir?: string;
  /** Directories searched like PATH (colon separated); default process.env.PATH. */
  path?: string;
  /** Roots holding one directory per PostgreSQL major version; default ['/usr/lib/postgresql']. */
  pgRoots?: string[];
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`: the first executable `name` in the PATH-style list, or null. */
export async function which(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

async function hasServerBinaries(binDir: string): Promise<boolean> {
  return (await isExecutable(path.join(binDir, 'postgres'))) && (await isExecutable(path.join(binDir, 'initdb')));
}

function pgConfigBinDir(pgConfig: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(pgConfig, ['--bindir'], { timeout: 5000 }, (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}

/**
 * The directory holding `postgres` and `initdb`: `pg_config --bindir` first (it names the
 * version the headers belong to), then the newest /usr/lib/postgresql/<major>/bin (Debian keeps
 * server binaries off PATH), then a `postgres` on PATH whose real directory also has initdb.
 */
export async function findPostgresBinDir(lookup: BinaryLookup = {}): Promise<string> {
  if (lookup.pgBinDir !== undefined) {
    if (await hasServerBinaries(lookup.pgBinDir)) return lookup.pgBinDir;
    throw new MissingBinaryError('PostgreSQL server (postgres, initdb)', 'postgresql', 'DATABASE_URL', lookup.pgBinDir);
  }
  const searchPath = lookup.path ?? process.env.PATH ?? '';
  const roots = lookup.pgRoots ?? ['/usr/lib/postgresql'];

  const pgConfig = await which('pg_config', searchPath);
  if (pgConfig) {
    const dir = await pgConfigBinDir(pgConfig);
    if (dir && (await hasServerBinaries(dir))) return dir;
  }

  for (const root of roots) {
    let versions: string[];
    try {
      versions = await readdir(root);
    } catch {
      continue;
    }
    versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a) || b.localeCompare(a));
    for (const version of versions) {
      const dir = path.join(root, version, 'bin');
      if (await hasServerBinaries(dir)) return dir;
    }
  }

  const onPath = await which('postgres', searchPath);
  if (onPath) {
    const dir = path.dirname(await realpath(onPath));
    if (await hasServerBinaries(dir)) return dir;
  }

  throw new MissingBinaryError(
    'PostgreSQL server (postgres, initdb)',
    'postgresql',
    'DATABASE_URL',
    `pg_config, ${roots.join(', ')} and PATH`,
  );
}

export async function findRedisServer(lookup: BinaryLookup = {}): Promise<string> {
  const searchPath = lookup.path ?? process.env.PATH ?? '';
  const found = await which('redis-server', searchPath);
  if (found) return found;
  throw new MissingBinaryError('redis-server', 'redis-server', 'REDIS_URL', 'PATH');
}
