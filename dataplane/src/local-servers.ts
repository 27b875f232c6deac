/**
 * Private PostgreSQL and Redis servers for local development (`npm start` without
 * DATABASE_URL / REDIS_URL). They are the machine's real server binaries, run on loopback on a
 * free port with their data under a project folder, so behaviour matches production and data
 * survives restarts. Nothing here is meant for production; the bridges are.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, realpath, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { type BinaryLookup, findPostgresBinDir, findRedisServer, which } from './binaries.js';
import { type GuardedChild, spawnGuarded } from './child-guard.js';
import { describeError, type LogFn, safeLog } from './log.js';
import { delay, freePort } from './net-util.js';

export { MissingBinaryError } from './binaries.js';
export type { BinaryLookup } from './binaries.js';

export interface LocalServerOptions {
  /** Data folder, e.g. .data/postgres; created if missing, reused on later starts. */
  dataDir: string;
  log?: LogFn;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Where to look for the server binaries (tests point this at nothing). */
  lookup?: BinaryLookup;
  /** How long to wait for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
}

export interface LocalPostgresOptions extends LocalServerOptions {
  /** Extra server settings passed as `-c name=value` (e.g. ssl=on with its certificate files, for TLS tests). */
  settings?: Record<string, string>;
}

export interface LocalServer {
  /** Connection URL: postgres://postgres@127.0.0.1:PORT/postgres or redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Clean shutdown; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

export async function startLocalPostgres(opts: LocalPostgresOptions): Promise<LocalServer> {
  const log = safeLog(opts.log);
  const binDir = await findPostgresBinDir(opts.lookup);
  const dataDir = path.resolve(opts.dataDir);
  // initdb and postgres refuse to run as root; as root, the cluster belongs to the `postgres`
  // OS user that the Debian package creates.
  const owner = process.getuid?.() === 0 ? await osUser('postgres') : null;

  await makeDataDir(dataDir);
  if (owner) await chown(dataDir, owner.uid, owner.gid);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const started = Date.now();
    await initdb(binDir, dataDir, owner);
    log({ level: 'info', msg: 'postgres cluster initialised', dataDir, ms: Date.now() - started });
  }
  await clearStalePidFile(path.join(dataDir, 'postmaster.pid'), dataDir, 'PostgreSQL', log, orphanWait(opts));

  return startWithPortRetry('postgres', opts, log, (port) => ({
    child: spawnGuarded(
      path.join(binDir, 'postgres'),
      // Loopback TCP only; no unix socket, so nothing is written outside the data folder.
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        `listen_addresses=${LOOPBACK}`,
        '-c',
        'unix_socket_directories=',
        ...Object.entries(opts.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      ],
      {
        uid: owner?.uid,
        gid: owner?.gid,
        // SIGINT is Postgres' "fast" shutdown: roll back open transactions, checkpoint, exit.
        stopSignal: 'SIGINT',
        onLine: (line) => log({ level: 'debug', component: 'postgres', line }),
      },
    ),
    probe: () => probePostgres(port),
    url: `postgres://postgres@${LOOPBACK}:${port}/postgres`,
  }));
}

async function initdb(binDir: string, dataDir: string, owner: { uid: number; gid: number } | null): Promise<void> {
  const args = [
    path.join(binDir, 'initdb'),
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
  ];
  let command = args;
  if (owner) {
    const runuser = await which('runuser', `${process.env.PATH ?? ''}:/usr/sbin:/sbin`);
    if (!runuser)
      throw new Error('running as root needs `runuser` (util-linux) to initialise PostgreSQL as the postgres user');
    command = [runuser, '-u', 'postgres', '--', ...args];
  }
  const [file, ...rest] = command as [string, ...string[]];
  await new Promise<void>((resolve, reject) => {
    execFile(file, rest, { timeout: 120_000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const hint = owner ? ' (the postgres OS user must be able to reach the data folder: every parent needs o+x)' : '';
      reject(new Error(`initdb failed${hint}: ${(stderr || stdout || describeError(err)).trim().slice(-2000)}`));
    });
  });
}

/**
 * Sends a StartupMessage and reads the first reply byte. 'R' (authentication, here trust =
 * AuthenticationOk) means the server accepts connections; 'E' while it is still starting up
 * (SQLSTATE 57P03) means not yet. A successful TCP connect alone is not enough for that reason.
 */
function probePostgres(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const done = (ready: boolean) => {
      if (ready)
        socket.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
      else socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
      const msg = Buffer.alloc(8 + params.length);
      msg.writeInt32BE(msg.length, 0);
      msg.writeInt32BE(196608, 4); // protocol 3.0
      params.copy(msg, 8);
      socket.write(msg);
    });
    socket.once('data', (chunk: Buffer) => done(chunk[0] === 0x52 /* R */));
  });
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

export async function startLocalRedis(opts: LocalServerOptions): Promise<LocalServer> {
  const log = safeLog(opts.log);
  const redisServer = await findRedisServer(opts.lookup);
  const dataDir = path.resolve(opts.dataDir);
  await makeDataDir(dataDir);
  const pidFile = path.join(dataDir, 'redis-server.pid');
  await clearStalePidFile(pidFile, dataDir, 'Redis', log, orphanWait(opts));

  return startWithPortRetry('redis', opts, log, (port) => ({
    child: spawnGuarded(
      redisServer,
      [
        '--bind',
        LOOPBACK,
        '--port',
        String(port),
        '--dir',
        dataDir,
        // The append-only file alone carries the data across restarts; no RDB snapshots.
        '--appendonly',
        'yes',
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        '',
        // Written even without daemonize; lets the next start detect a server still running.
        '--pidfile',
        pidFile,
      ],
      {
        // SIGTERM makes Redis flush the append-only file and exit, like SHUTDOWN.
        stopSignal: 'SIGTERM',
        onLine: (line) => log({ level: 'debug', component: 'redis', line }),
      },
    ),
    probe: () => probeRedis(port),
    url: `redis://${LOOPBACK}:${port}`,
  }));
}

/** PING → +PONG. While loading its data Redis answers -LOADING, which counts as not ready. */
function probeRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('+PONG')));
  });
}

// ---------------------------------------------------------------------------------------------
// Shared start/stop logic
// ---------------------------------------------------------------------------------------------

interface Launch {
  child: GuardedChild;
  probe: () => Promise<boolean>;
  url: string;
}

/**
 * Starts the server and waits until it answers. A free port picked in advance can be taken by
 * someone else before the server binds it; in that case (and only when the caller did not ask
 * for a specific port) another port is tried.
 */
async function startWithPortRetry(
  name: 'postgres' | 'redis',
  opts: LocalServerOptions,
  log: LogFn,
  launch: (port: number) => Launch,
): Promise<LocalServer> {
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort(LOOPBACK));
    const started = Date.now();
    const { child, probe, url } = launch(port);
    const ready = await waitUntilReady(child, probe, timeoutMs);
    if (ready) {
      log({
        level: 'info',
        msg: `local ${name} started`,
        url,
        dataDir: path.resolve(opts.dataDir),
        pid: child.pid,
        ms: Date.now() - started,
      });
      let stopped = false;
      void child.exited.then((info) => {
        if (!stopped)
          log({
            level: 'error',
            msg: `local ${name} exited unexpectedly`,
            ...info,
            output: child.recentOutput().slice(-2000),
          });
      });
      return {
        url,
        port,
        async stop() {
          stopped = true;
          const info = await child.stop(name === 'postgres' ? 20_000 : 10_000);
          log({ level: 'info', msg: `local ${name} stopped`, ...info });
        },
      };
    }
    await child.stop(5000);
    const output = child.recentOutput();
    if (opts.port === undefined && attempt < 3 && /address already in use/i.test(output)) continue;
    throw new Error(`local ${name} did not start within ${timeoutMs} ms:\n${output.slice(-3000)}`);
  }
}

async function waitUntilReady(child: GuardedChild, probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) return false;
    if (await probe()) return true;
    await delay(25);
  }
  return false;
}

/** How long an orphan from a crashed run gets to finish its shutdown before the folder counts as busy. */
function orphanWait(opts: LocalServerOptions): number {
  return Math.min(10_000, opts.startTimeoutMs ?? 10_000);
}

/**
 * Parents get the usual mode; only the data folder itself is private. (A recursive mkdir with
 * mode 0700 would also lock the `postgres` user out of a freshly created `.data/` parent.)
 */
async function makeDataDir(dataDir: string): Promise<void> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * A server killed without a clean shutdown leaves its pid file behind. If that PID is gone, or
 * now belongs to some other program (PIDs are reused, e.g. after a reboot), the file is stale
 * and is removed. If it is still a server working in this data folder, it may be the orphan of
 * a crashed parent that its watchdog is stopping right now, so wait briefly before declaring
 * the folder busy.
 */
async function clearStalePidFile(
  file: string,
  dataDir: string,
  label: string,
  log: LogFn,
  waitMs: number,
): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  const deadline = Date.now() + waitMs;
  while (pid > 0 && (await isServerFor(pid, dataDir))) {
    if (Date.now() > deadline) {
      throw new Error(`${label} is already running on ${dataDir} (pid ${pid}); stop it or point the app at it`);
    }
    await delay(100);
  }
  if (existsSync(file)) {
    await rm(file, { force: true });
    log({ level: 'warn', msg: `removed stale ${path.basename(file)}`, pid });
  }
}

/**
 * Both Postgres and Redis chdir into their data folder, so a live process whose working
 * directory is `dataDir` is the server owning it. Without permission to look (another user's
 * process while not root), liveness is all there is to go on.
 */
async function isServerFor(pid: number, dataDir: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!existsSync('/proc/self/cwd')) return true;
  try {
    return (await realpath(`/proc/${pid}/cwd`)) === (await realpath(dataDir));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function osUser(name: string): Promise<{ uid: number; gid: number }> {
  const id = (flag: string) =>
    new Promise<number>((resolve, reject) => {
      execFile('id', [flag, name], { timeout: 5000 }, (err, stdout) => {
        const n = Number.parseInt(stdout, 10);
        if (err || !Number.isInteger(n)) {
          reject(new Error(`running as root requires a "${name}" OS user (apt-get install -y postgresql creates it)`));
        } else resolve(n);
      });
    });
  return Promise.all([id('-u'), id('-g')]).then(([uid, gid]) => ({ uid, gid }));
}
