/**
 * The generated workerd configurations the image ships (dist/workerd/*.capnp) are deterministic and portable:
 * the same bundles give byte-identical output wherever the checkout lives and whatever the environment holds
 * (no absolute paths, no timestamps, no secret values), and the peer addresses they dial are exactly the
 * Kubernetes Services of the manifests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SECURITY_HEADERS from '../../shared/security-headers.json';
import { renderDev, ROOT, snapshotImage } from './k8s-cluster.js';

const SENTINEL = 'sentinel-secret-value-that-must-never-appear';

/** Generates every config for a dist folder laid out under `outRoot`, in a fresh Node process with `env`. */
function generate(outRoot: string, env: Record<string, string>): Record<string, string> {
  const lib = join(ROOT, 'scripts', 'lib');
  const code = `
    import { join } from 'node:path';
    import { generateWorkerdConfig } from ${JSON.stringify(join(lib, 'workerd-config.mjs'))};
    import { WORKERS } from ${JSON.stringify(join(lib, 'workers.mjs'))};
    const outRoot = process.env.OUT_ROOT;
    const configDir = join(outRoot, 'workerd');
    const out = { platform: generateWorkerdConfig({ mode: 'platform', configDir, outRoot }) };
    for (const { name } of WORKERS) out[name] = generateWorkerdConfig({ mode: 'single', worker: name, configDir, outRoot });
    console.log(JSON.stringify(out));
  `;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env, OUT_ROOT: outRoot },
  });
  if (res.status !== 0) throw new Error(`generator failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

describe('generated workerd configs (what the image runs)', () => {
  let tmp: string;
  let first: Record<string, string>;
  let second: Record<string, string>;
  let snapshot: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'k8s-workerd-config-'));
    // One consistent copy of dist/ (a concurrent `npm run build` rewrites it in place), then two checkouts at
    // different depths sharing those bundles.
    snapshot = await snapshotImage(join(tmp, 'snapshot'));
    const rootA = join(tmp, 'a', 'dist');
    const rootB = join(tmp, 'b', 'deeper', 'checkout', 'dist');
    for (const r of [rootA, rootB]) {
      mkdirSync(r, { recursive: true });
      symlinkSync(join(snapshot, 'workers'), join(r, 'workers'));
    }
    first = generate(rootA, {});
    second = generate(rootB, {
      DATABASE_URL: `postgres://user:${SENTINEL}@db:5432/x`,
      KEY_ENCRYPTION_KEY: SENTINEL,
      ADMIN_BOOTSTRAP_TOKEN: SENTINEL,
      UPSTASH_REDIS_REST_TOKEN: SENTINEL,
    });
  }, 90_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('is byte-identical across checkout locations and environments, and equal to dist/workerd', () => {
    expect(Object.keys(first).sort()).toEqual(['admin', 'auth', 'monitor', 'platform', 'policy']);
    for (const name of Object.keys(first)) {
      expect(second[name], name).toBe(first[name]);
      const built = join(snapshot, 'workerd', `${name}.capnp`);
      expect(readFileSync(built, 'utf8'), `dist/workerd/${name}.capnp differs from a fresh generation`).toBe(
        first[name],
      );
    }
  });

  it('holds no secret value, no absolute path and no timestamp', () => {
    for (const [name, text] of Object.entries(second)) {
      expect(text, name).not.toContain(SENTINEL);
      expect(text, name).not.toContain(tmp);
      expect(text, name).not.toContain(ROOT);
      expect(text, name).not.toMatch(/\b20\d\d-\d\d-\d\dT\d\d:\d\d/);
      // Every secret is bound by name from the environment.
      expect(text, name).toContain('(name = "DATABASE_URL", fromEnvironment = "DATABASE_URL")');
    }
  });

  it('runs every process with the bounded young generation (V8_FLAGS in scripts/lib/workerd-config.mjs)', () => {
    for (const [name, text] of Object.entries(second)) {
      expect(text, name).toContain('  v8Flags = ["--max-semi-space-size=4"],\n');
    }
  });

  // The socket adds the fixed security headers and each Worker is told so (shared/security-headers.ts): the two must
  // name the same headers, in every config, or a response would go out without one.
  it('has every socket inject the fixed security headers its Workers are told the socket adds', () => {
    for (const [name, text] of Object.entries(second)) {
      const sockets = [
        ...text.matchAll(/\(name = "[a-z]+", address = "[^"]+", http = \(injectResponseHeaders = \[(.*?)\]\)/g),
      ];
      expect(sockets.length, name).toBe(name === 'platform' ? 4 : 1);
      const told = [...text.matchAll(/\(name = "SOCKET_SECURITY_HEADERS", text = "([^"]*)"\)/g)].map((m) => m[1]);
      expect(told.length, name).toBe(sockets.length);
      for (const socket of sockets) {
        const injected = [...(socket[1] as string).matchAll(/\(name = "([^"]+)", value = "((?:[^"\\]|\\.)*)"\)/g)];
        const expected = Object.entries(SECURITY_HEADERS.fixed);
        expect(
          injected.map((m) => [m[1], JSON.parse(`"${m[2]}"`)]),
          name,
        ).toEqual(expected);
        for (const list of told) expect(list, name).toBe(expected.map(([k]) => k).join(','));
      }
    }
  });

  it('dials peers at exactly the Services the manifests define', () => {
    const services = new Map(
      renderDev()
        .filter((o) => o.kind === 'Service')
        .map((s) => [s.metadata.name, (s.spec.ports as { port: number }[]).map((p) => p.port)]),
    );
    let peers = 0;
    for (const name of ['auth', 'policy', 'admin', 'monitor']) {
      for (const m of (first[name] as string).matchAll(
        /\(name = "peer-([a-z]+)", external = \(address = "([a-z-]+):(\d+)"/g,
      )) {
        const [, peer, host, port] = m as unknown as [string, string, string, string];
        peers++;
        expect(host, `${name} -> ${peer}`).toBe(peer);
        expect(services.get(host), `${name} dials ${host}:${port}; no such Service`).toContain(Number(port));
      }
    }
    // auth -> policy; admin -> auth, policy, monitor; monitor -> policy.
    expect(peers).toBe(5);
  });
});

describe('each Worker its own Redis token', () => {
  it('the one-process platform config binds each Worker to its own variable; one-Worker configs to its own pod', () => {
    const config = readFileSync(join(ROOT, 'dist', 'workerd', 'platform.capnp'), 'utf8');
    const sources = [...config.matchAll(/const (\w+)Worker :Workerd\.Worker = \(([\s\S]*?)\n\);/g)].map((m) => {
      const from = /\(name = "UPSTASH_REDIS_REST_TOKEN", fromEnvironment = "([A-Z_]+)"\)/.exec(m[2] as string);
      return [m[1], from?.[1]];
    });
    expect(Object.fromEntries(sources)).toEqual({
      auth: 'UPSTASH_REDIS_REST_TOKEN_AUTH',
      policy: 'UPSTASH_REDIS_REST_TOKEN_POLICY',
      admin: 'UPSTASH_REDIS_REST_TOKEN_ADMIN',
      monitor: 'UPSTASH_REDIS_REST_TOKEN_MONITOR',
    });
    for (const worker of ['auth', 'policy', 'admin', 'monitor']) {
      const single = readFileSync(join(ROOT, 'dist', 'workerd', `${worker}.capnp`), 'utf8');
      expect(single).toContain('(name = "UPSTASH_REDIS_REST_TOKEN", fromEnvironment = "UPSTASH_REDIS_REST_TOKEN")');
    }
  });
});
